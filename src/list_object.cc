// Copyright (c) the kvstore developers.
//
// The list layout: a packed chunked deque ("quicklist"; list_object.h
// describes the chunks and their entries).

#include "list_object.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "coding.h"

namespace kvstore {

// A chunk's header; its data (capacity bytes) follows it in the same block.
struct ListObject::Chunk {
  uint32_t count;     // entries
  uint32_t begin;     // data offset of the first byte in use
  uint32_t end;       // data offset past the last byte in use
  uint32_t capacity;  // data bytes in the block

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  uint32_t bytes() const { return end - begin; }
};

namespace {

using Chunk = ListObject::Chunk;

static_assert(sizeof(Chunk) == 16);

constexpr uint32_t kHeader = sizeof(Chunk);
// Data bytes of a full chunk: a chunk holds more only as a single long element.
constexpr uint32_t kMaxData = ListObject::kChunkBlock - kHeader;
// The smallest block, header included.
constexpr uint32_t kMinBlock = 64;
// A chunk's block is given back (moved to a smaller one) when less than a
// quarter of it is in use and it is bigger than this.
constexpr uint32_t kShrinkAbove = 256;

// The data capacity of the smallest block (a multiple of 16 bytes, at least
// kMinBlock) holding `bytes` of data.
uint32_t CapacityFor(uint64_t bytes) {
  const uint64_t block = std::max<uint64_t>(kMinBlock, (kHeader + bytes + 15) & ~uint64_t{15});
  return static_cast<uint32_t>(block - kHeader);
}

// The capacity for a chunk of `capacity` that must hold `required` bytes:
// half as big again (so pushes copy each byte O(1) times), within a full
// chunk unless `required` alone is more.
uint32_t GrownCapacity(uint32_t capacity, uint64_t required) {
  if (required > kMaxData) return CapacityFor(required);
  const uint64_t target = std::max<uint64_t>(required, uint64_t{capacity} + capacity / 2);
  return std::min(CapacityFor(target), kMaxData);
}

Chunk* NewChunk(uint32_t capacity, uint32_t begin) {
  void* block = std::malloc(kHeader + std::size_t{capacity});
  if (block == nullptr) throw std::bad_alloc();
  auto* c = static_cast<Chunk*>(block);
  c->count = 0;
  c->begin = begin;
  c->end = begin;
  c->capacity = capacity;
  return c;
}

void FreeChunk(Chunk* c) { std::free(c); }

// An entry's bytes for an element of len bytes: the length before and after.
uint32_t EntryBytes(std::size_t len) {
  const auto n = static_cast<uint32_t>(len);
  return 2 * static_cast<uint32_t>(VarintLength(n)) + n;
}

// Writes element's entry at p (EntryBytes(element.size()) bytes).
void PutEntry(char* p, std::string_view element) {
  const auto len = static_cast<uint32_t>(element.size());
  p = PutVarint32(p, len);
  if (len > 0) std::memcpy(p, element.data(), len);
  p += len;
  char tail[5];
  char* t = PutVarint32(tail, len);
  while (t > tail) *p++ = *--t;  // reversed: the low bits end the entry
}

// One entry as read: its element, and the offset of its far edge (the
// offset after it when read forwards, where it starts when read backwards).
// Returned in registers: the element does not go through memory, which
// costs a store-forwarding stall per element in a walk.
struct Entry {
  const char* bytes;
  uint32_t len;
  uint32_t edge;

  std::string_view element() const { return std::string_view(bytes, len); }
};

// The entry of c starting at offset `at`.
Entry NextEntry(const Chunk* c, uint32_t at) {
  const char* data = c->data();
  const auto first = static_cast<unsigned char>(data[at]);
  if (first < 0x80) return {data + at + 1, first, at + 2 + first};  // most entries
  uint32_t len = 0;
  const char* p = GetVarint32(data + at, data + c->end, &len);
  return {p, len, static_cast<uint32_t>(p - data) + len + static_cast<uint32_t>(VarintLength(len))};
}

// The entry of c ending at offset `end`.
Entry PrevEntry(const Chunk* c, uint32_t end) {
  const char* data = c->data();
  const auto last = static_cast<unsigned char>(data[end - 1]);
  if (last < 0x80) return {data + end - 1 - last, last, end - 2 - last};
  const char* p = data + end;
  uint32_t len = 0;
  int shift = 0;
  unsigned char byte;
  do {
    byte = static_cast<unsigned char>(*--p);
    len |= static_cast<uint32_t>(byte & 0x7f) << shift;
    shift += 7;
  } while ((byte & 0x80) != 0);
  p -= len;
  return {p, len, static_cast<uint32_t>(p - data) - static_cast<uint32_t>(VarintLength(len))};
}

// Of `slack` free bytes in a new block for chunk i, those to put before the
// entries: free space goes where pushes at the list's ends land. The head
// chunk grows at its front, the tail chunk at its back; a chunk that is
// both keeps most at the side being pushed (front), a middle one splits it.
uint32_t FrontSlack(std::size_t i, std::size_t chunks, uint32_t slack, bool front) {
  const bool head = i == 0, tail = i + 1 == chunks;
  if (head && tail) return front ? slack - slack / 4 : slack / 4;
  if (head) return slack;
  if (tail) return 0;
  return slack / 2;
}

}  // namespace

ListObject::ListObject(const ListObject& other) : ListValue(other), size_(other.size_) {
  chunks_.reserve(other.chunk_count());
  for (std::size_t i = 0; i < other.chunk_count(); ++i) {
    const Chunk* from = other.chunk(i);
    Chunk* c = NewChunk(CapacityFor(from->bytes()), 0);
    std::memcpy(c->data(), from->data() + from->begin, from->bytes());
    c->end = from->bytes();
    c->count = from->count;
    chunks_.push_back(c);
  }
}

ListObject::~ListObject() {
  for (std::size_t i = 0; i < chunk_count(); ++i) FreeChunk(chunk(i));
}

std::unique_ptr<Object> ListObject::Clone() const { return std::make_unique<ListObject>(*this); }

// ---- chunks ------------------------------------------------------------------

void ListObject::AddChunk(std::size_t i, Chunk* c) {
  const std::size_t n = chunk_count();
  if (i == 0) {
    if (head_ == 0) {
      // Free slots at the front, as many as there are chunks: adding at the
      // head is O(1) amortized, as push_back is at the tail.
      const std::size_t gap = std::max<std::size_t>(4, n);
      std::vector<Chunk*> slots;
      slots.reserve(gap + n + 1);
      slots.assign(gap, nullptr);
      slots.insert(slots.end(), chunks_.begin(), chunks_.end());
      chunks_.swap(slots);
      head_ = gap;
    }
    chunks_[--head_] = c;
  } else if (i == n) {
    chunks_.push_back(c);
  } else {
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(head_ + i), c);
  }
}

void ListObject::DropChunks(std::size_t first, std::size_t count) {
  if (count == 0) return;
  for (std::size_t i = first; i < first + count; ++i) FreeChunk(chunk(i));
  const auto at = chunks_.begin() + static_cast<std::ptrdiff_t>(head_ + first);
  if (first == 0) {
    std::fill(at, at + static_cast<std::ptrdiff_t>(count), nullptr);
    head_ += count;
  } else {
    chunks_.erase(at, at + static_cast<std::ptrdiff_t>(count));
  }
  if (chunk_count() == 0) {
    chunks_.clear();
    head_ = 0;
  } else if (head_ >= 8 && head_ > chunk_count()) {
    // More free slots than chunks (a queue: pushed at the tail, popped at
    // the head): give them back.
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (chunks_.capacity() > 4 * chunks_.size() + 16) chunks_.shrink_to_fit();
}

uint32_t ListObject::Reblock(std::size_t i, uint32_t capacity, uint32_t gap_at, uint32_t gap,
                             bool front) {
  Chunk* c = chunk(i);
  const uint32_t bytes = c->bytes() + gap;
  const uint32_t begin = FrontSlack(i, chunk_count(), capacity - bytes, front);
  Chunk* to = NewChunk(capacity, begin);
  const uint32_t before = gap_at - c->begin;
  std::memcpy(to->data() + begin, c->data() + c->begin, before);
  std::memcpy(to->data() + begin + before + gap, c->data() + gap_at, c->end - gap_at);
  to->end = begin + bytes;
  to->count = c->count;
  FreeChunk(c);
  chunk_slot(i) = to;
  return begin + before;
}

uint32_t ListObject::OpenGap(std::size_t i, uint32_t at, uint32_t need) {
  Chunk* c = chunk(i);
  const uint32_t free_front = c->begin, free_back = c->capacity - c->end;
  const uint32_t before = at - c->begin, after = c->end - at;
  const bool at_head = at == c->begin, at_tail = at == c->end;
  // Move the entries after `at` back or those before it forward, whichever
  // has room and is fewer bytes (nothing to move at an end of the chunk).
  const bool back_ok = free_back >= need && !at_head;
  const bool front_ok = free_front >= need && !at_tail;
  if (back_ok && (after <= before || !front_ok)) {
    std::memmove(c->data() + at + need, c->data() + at, after);
    c->end += need;
    return at;
  }
  if (front_ok) {
    std::memmove(c->data() + c->begin - need, c->data() + c->begin, before);
    c->begin -= need;
    return at - need;
  }
  // Not enough room on the side that can take it: a new block, bigger
  // unless the free bytes were just on the wrong side.
  const uint64_t required = uint64_t{c->bytes()} + need;
  const uint32_t capacity =
      free_front + free_back >= need ? c->capacity : GrownCapacity(c->capacity, required);
  return Reblock(i, capacity, at, need, at_head && !at_tail);
}

uint32_t ListObject::CloseGap(std::size_t i, uint32_t at, uint32_t len, uint32_t entries) {
  Chunk* c = chunk(i);
  c->count -= entries;
  const uint32_t before = at - c->begin, after = c->end - (at + len);
  if (before < after) {
    std::memmove(c->data() + c->begin + len, c->data() + c->begin, before);
    c->begin += len;
    return at + len;
  }
  std::memmove(c->data() + at, c->data() + at + len, after);
  c->end -= len;
  return at;
}

void ListObject::ShrinkIfSparse(std::size_t i) {
  const Chunk* c = chunk(i);
  if (c->capacity + kHeader <= kShrinkAbove || uint64_t{c->bytes()} * 4 >= c->capacity) return;
  Reblock(i, CapacityFor(uint64_t{c->bytes()} * 2), c->end, 0, true);
}

void ListObject::Split(std::size_t i, uint32_t at, uint32_t rank) {
  Chunk* c = chunk(i);
  const uint32_t moved = c->end - at;
  const uint32_t capacity = CapacityFor(moved);
  // The new chunk's free bytes go in front: an insert there lands at its head.
  Chunk* to = NewChunk(capacity, capacity - moved);
  std::memcpy(to->data() + to->begin, c->data() + at, moved);
  to->end = capacity;
  to->count = c->count - rank;
  c->count = rank;
  c->end = at;
  AddChunk(i + 1, to);
}

void ListObject::MergeSparse(std::size_t first, std::size_t last) {
  std::size_t j = first;
  while (j < last && j + 1 < chunk_count()) {
    const Chunk* a = chunk(j);
    const Chunk* b = chunk(j + 1);
    const bool sparse = a->bytes() < kMaxData / 2 || b->bytes() < kMaxData / 2;
    if (!sparse || a->bytes() + b->bytes() > kMaxData) {
      ++j;
      continue;
    }
    // Append b to a, then drop b; a may take the next one too.
    const uint32_t at = OpenGap(j, chunk(j)->end, b->bytes());
    std::memcpy(chunk(j)->data() + at, b->data() + b->begin, b->bytes());
    chunk(j)->count += b->count;
    DropChunks(j + 1, 1);
    --last;
  }
}

void ListObject::DropEmpty(std::size_t first, std::size_t last) {
  std::size_t kept = head_ + first;
  for (std::size_t s = head_ + first; s <= head_ + last; ++s) {
    if (chunks_[s]->count == 0) {
      FreeChunk(chunks_[s]);
    } else {
      chunks_[kept++] = chunks_[s];
    }
  }
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(kept),
                chunks_.begin() + static_cast<std::ptrdiff_t>(head_ + last + 1));
  if (chunk_count() == 0) {
    chunks_.clear();
    head_ = 0;
  }
}

ListObject::Pos ListObject::Locate(std::size_t index) const {
  Pos pos{0, 0, 0};
  std::size_t rank = index;
  if (index < size_ / 2) {
    while (rank >= chunk(pos.chunk)->count) rank -= chunk(pos.chunk++)->count;
  } else {
    // Counted from the tail: the rest-th element from the end (1-based).
    std::size_t rest = size_ - index;
    pos.chunk = chunk_count() - 1;
    while (rest > chunk(pos.chunk)->count) rest -= chunk(pos.chunk--)->count;
    rank = chunk(pos.chunk)->count - rest;
  }
  const Chunk* c = chunk(pos.chunk);
  pos.rank = static_cast<uint32_t>(rank);
  if (rank < c->count / 2) {
    uint32_t at = c->begin;
    for (std::size_t k = 0; k < rank; ++k) at = NextEntry(c, at).edge;
    pos.offset = at;
  } else {
    uint32_t at = c->end;
    for (std::size_t k = c->count; k > rank; --k) at = PrevEntry(c, at).edge;
    pos.offset = at;
  }
  return pos;
}

// ---- reads -------------------------------------------------------------------

std::string_view ListObject::at(std::size_t index) const {
  const Pos pos = Locate(index);
  return NextEntry(chunk(pos.chunk), pos.offset).element();
}

void ListObject::for_each_from(std::size_t start, bool reverse,
                               const std::function<bool(std::string_view element)>& fn) const {
  if (start >= size_) return;
  const Pos pos = Locate(start);
  if (!reverse) {
    for (std::size_t i = pos.chunk; i < chunk_count(); ++i) {
      const Chunk* c = chunk(i);
      for (uint32_t at = i == pos.chunk ? pos.offset : c->begin; at < c->end;) {
        const Entry e = NextEntry(c, at);
        if (!fn(e.element())) return;
        at = e.edge;
      }
    }
    return;
  }
  for (std::size_t i = pos.chunk + 1; i-- > 0;) {
    const Chunk* c = chunk(i);
    uint32_t at = i == pos.chunk ? NextEntry(c, pos.offset).edge : c->end;
    while (at > c->begin) {
      const Entry e = PrevEntry(c, at);
      if (!fn(e.element())) return;
      at = e.edge;
    }
  }
}

// ---- changes -----------------------------------------------------------------

void ListObject::Push(bool front, std::string_view element) {
  const uint32_t need = EntryBytes(element.size());
  const std::size_t n = chunk_count();
  if (n > 0) {
    const std::size_t i = front ? 0 : n - 1;
    const Chunk* c = chunk(i);
    if (uint64_t{c->bytes()} + need <= kMaxData) {
      const uint32_t at = OpenGap(i, front ? c->begin : c->end, need);
      PutEntry(chunk(i)->data() + at, element);
      ++chunk(i)->count;
      ++size_;
      return;
    }
  }
  const uint32_t capacity = CapacityFor(need);
  // Free bytes on the side the next push at this end lands.
  Chunk* c = NewChunk(capacity, front ? capacity - need : 0);
  PutEntry(c->data() + c->begin, element);
  c->end = c->begin + need;
  c->count = 1;
  AddChunk(front ? 0 : n, c);
  ++size_;
}

void ListObject::Pop(bool front, std::size_t count) {
  count = std::min(count, size_);
  if (count == 0) return;
  size_ -= count;
  // Whole chunks go without reading their entries.
  std::size_t whole = 0;
  const std::size_t n = chunk_count();
  while (whole < n) {
    const Chunk* c = chunk(front ? whole : n - 1 - whole);
    if (count < c->count) break;
    count -= c->count;
    ++whole;
  }
  DropChunks(front ? 0 : n - whole, whole);
  if (count == 0) return;
  const std::size_t i = front ? 0 : chunk_count() - 1;
  const Chunk* c = chunk(i);
  if (front) {
    uint32_t at = c->begin;
    for (std::size_t k = 0; k < count; ++k) at = NextEntry(c, at).edge;
    CloseGap(i, c->begin, at - c->begin, static_cast<uint32_t>(count));
  } else {
    uint32_t at = c->end;
    for (std::size_t k = 0; k < count; ++k) at = PrevEntry(c, at).edge;
    CloseGap(i, at, c->end - at, static_cast<uint32_t>(count));
  }
  ShrinkIfSparse(i);
}

void ListObject::Set(std::size_t index, std::string_view element) {
  const Pos pos = Locate(index);
  const Chunk* c = chunk(pos.chunk);
  const uint32_t old_bytes = NextEntry(c, pos.offset).edge - pos.offset;
  const uint32_t new_bytes = EntryBytes(element.size());
  if (uint64_t{c->bytes()} - old_bytes + new_bytes > kMaxData && c->count > 1) {
    // Too long for its chunk now: out, and in again where it fits.
    RemoveAt(index);
    Insert(index, element);
    return;
  }
  if (new_bytes <= old_bytes) {
    PutEntry(chunk(pos.chunk)->data() + pos.offset, element);
    if (new_bytes < old_bytes) {
      CloseGap(pos.chunk, pos.offset + new_bytes, old_bytes - new_bytes, 0);
      ShrinkIfSparse(pos.chunk);
    }
    return;
  }
  // The extra bytes open in front of the old entry; the new one covers both.
  const uint32_t at = OpenGap(pos.chunk, pos.offset, new_bytes - old_bytes);
  PutEntry(chunk(pos.chunk)->data() + at, element);
}

void ListObject::Insert(std::size_t index, std::string_view element) {
  if (index == 0 || index == size_) return Push(index == 0, element);
  const Pos pos = Locate(index);
  const uint32_t need = EntryBytes(element.size());
  auto fits = [&](std::size_t i) { return uint64_t{chunk(i)->bytes()} + need <= kMaxData; };
  auto put = [&](std::size_t i, uint32_t at) {
    at = OpenGap(i, at, need);
    PutEntry(chunk(i)->data() + at, element);
    ++chunk(i)->count;
    ++size_;
  };
  std::size_t i = pos.chunk;
  if (fits(i)) return put(i, pos.offset);
  if (pos.rank == 0) {
    // At the head of its chunk: the end of the one before is the same place.
    if (i > 0 && fits(i - 1)) return put(i - 1, chunk(i - 1)->end);
  } else {
    Split(i, pos.offset, pos.rank);
    if (fits(i)) return put(i, chunk(i)->end);
    ++i;
    if (fits(i)) return put(i, chunk(i)->begin);
  }
  // A chunk of its own, before chunk i.
  Chunk* c = NewChunk(CapacityFor(need), 0);
  PutEntry(c->data(), element);
  c->end = need;
  c->count = 1;
  AddChunk(i, c);
  ++size_;
}

void ListObject::RemoveAt(std::size_t index) {
  const Pos pos = Locate(index);
  const uint32_t end = NextEntry(chunk(pos.chunk), pos.offset).edge;
  CloseGap(pos.chunk, pos.offset, end - pos.offset, 1);
  --size_;
  ShrinkIfSparse(pos.chunk);
  MergeSparse(pos.chunk > 0 ? pos.chunk - 1 : 0, pos.chunk + 1);
}

std::size_t ListObject::Rem(int64_t count, std::string_view element) {
  // Matches still to remove.
  uint64_t left = count == 0  ? std::numeric_limits<uint64_t>::max()
                  : count < 0 ? 0 - static_cast<uint64_t>(count)
                              : static_cast<uint64_t>(count);
  const std::size_t n = chunk_count();
  if (n == 0) return 0;
  std::size_t removed = 0;
  // The chunks visited: [first, last].
  std::size_t first = count < 0 ? n - 1 : 0, last = first;
  for (std::size_t step = 0; step < n && left > 0; ++step) {
    const std::size_t i = count < 0 ? n - 1 - step : step;
    first = std::min(first, i);
    last = std::max(last, i);
    Chunk* c = chunk(i);
    char* data = c->data();
    const uint32_t count_before = c->count;
    if (count >= 0) {
      // Kept entries move towards the chunk's start over the removed ones.
      uint32_t read = c->begin, write = c->begin;
      while (read < c->end) {
        if (left == 0) {
          std::memmove(data + write, data + read, c->end - read);
          write += c->end - read;
          break;
        }
        const Entry e = NextEntry(c, read);
        const uint32_t next = e.edge;
        if (e.element() == element) {
          --left;
          --c->count;
        } else {
          if (write != read) std::memmove(data + write, data + read, next - read);
          write += next - read;
        }
        read = next;
      }
      c->end = write;
    } else {
      // From the tail: kept entries move towards the chunk's end.
      uint32_t read = c->end, write = c->end;
      while (read > c->begin) {
        if (left == 0) {
          const uint32_t rest = read - c->begin;
          std::memmove(data + write - rest, data + c->begin, rest);
          write -= rest;
          break;
        }
        const Entry e = PrevEntry(c, read);
        const uint32_t prev = e.edge;
        if (e.element() == element) {
          --left;
          --c->count;
        } else {
          write -= read - prev;
          if (write != prev) std::memmove(data + write, data + prev, read - prev);
        }
        read = prev;
      }
      c->begin = write;
    }
    removed += count_before - c->count;
    if (c->count > 0 && c->count != count_before) ShrinkIfSparse(i);
  }
  if (removed == 0) return 0;
  size_ -= removed;
  const std::size_t before = chunk_count();
  DropEmpty(first, last);
  if (chunk_count() > 0) {
    last -= before - chunk_count();  // may wrap below first when all went: then none to merge
    MergeSparse(first > 0 ? first - 1 : 0, last + 1);
  }
  return removed;
}

void ListObject::Trim(std::size_t start, std::size_t stop) {
  if (start > stop || start >= size_) return Pop(true, size_);
  stop = std::min(stop, size_ - 1);
  Pop(false, size_ - 1 - stop);
  Pop(true, start);
}

std::size_t ListObject::HeapBytes() const {
  std::size_t bytes = chunks_.capacity() * sizeof(Chunk*);
  for (std::size_t i = 0; i < chunk_count(); ++i) bytes += kHeader + chunk(i)->capacity;
  return bytes;
}

}  // namespace kvstore
