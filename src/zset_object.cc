// Copyright (c) the kvstore developers.
//
// The sorted-set layouts: "listpack" (a sorted vector) and "skiplist" (one
// block per member, indexed by a counted tree in order and a table by
// member).

#include "zset_object.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "coding.h"
#include "object.h"
#include "packed_string.h"

namespace kvstore {

namespace {

using Probe = ZSetObject::Probe;
using Entry = ZSetObject::Entry;
using TreeEntry = ZSetObject::TreeEntry;

// A member block: the score's 8 bytes, then the member as a packed string.
constexpr std::size_t kScoreBytes = sizeof(double);

double BlockScore(const char* block) {
  double score;
  std::memcpy(&score, block, kScoreBytes);
  return score;
}
void SetBlockScore(char* block, double score) { std::memcpy(block, &score, kScoreBytes); }
std::string_view BlockMember(const char* block) { return packed::Get(block + kScoreBytes); }
std::size_t BlockSize(const char* block) {
  return kScoreBytes + packed::Size(block + kScoreBytes, 1);
}

// A new block for (score, member); free it with packed::Free.
char* MakeBlock(double score, std::string_view member) {
  char* block = static_cast<char*>(AllocateBlockBytes(kScoreBytes + packed::EncodedSize(member)));
  SetBlockScore(block, score);
  packed::Put(block + kScoreBytes, member);
  return block;
}

char* CopyBlock(const char* block) {
  const std::size_t n = BlockSize(block);
  char* copy = static_cast<char*>(AllocateBlockBytes(n));
  std::memcpy(copy, block, n);
  return copy;
}

std::string_view MemberOf(const Entry& e) { return e.member; }
std::string_view MemberOf(const TreeEntry& e) { return BlockMember(e.block); }

// Scores are never NaN here, so < on doubles is a total order (-0 == +0).
template <typename E>
bool EntryBeforeProbe(const E& e, const Probe& p) {
  switch (p.kind) {
    case Probe::kExact:
      return e.score < p.score || (e.score == p.score && MemberOf(e) < p.member);
    case Probe::kScoreBefore:
      return e.score < p.score;
    case Probe::kScoreAfter:
      return e.score <= p.score;
    case Probe::kLexBefore:
      return MemberOf(e) < p.member;
    case Probe::kLexAfter:
      return MemberOf(e) <= p.member;
  }
  return false;
}

template <typename E>
bool EntryBefore(const E& a, const E& b) {
  if (a.score != b.score) return a.score < b.score;
  return MemberOf(a) < MemberOf(b);
}

template <typename E>
bool ProbeBeforeEntry(const Probe& p, const E& e) {
  if (p.kind == Probe::kExact) {
    return p.score < e.score || (p.score == e.score && p.member < MemberOf(e));
  }
  // A boundary probe never equals an entry.
  return !EntryBeforeProbe(e, p);
}

}  // namespace

bool ZSetObject::Less::operator()(const Entry& a, const Entry& b) const {
  return EntryBefore(a, b);
}
bool ZSetObject::Less::operator()(const Entry& e, const Probe& p) const {
  return EntryBeforeProbe(e, p);
}
bool ZSetObject::Less::operator()(const Probe& p, const Entry& e) const {
  return ProbeBeforeEntry(p, e);
}
bool ZSetObject::Less::operator()(const TreeEntry& a, const TreeEntry& b) const {
  return EntryBefore(a, b);
}
bool ZSetObject::Less::operator()(const TreeEntry& e, const Probe& p) const {
  return EntryBeforeProbe(e, p);
}
bool ZSetObject::Less::operator()(const Probe& p, const TreeEntry& e) const {
  return ProbeBeforeEntry(p, e);
}

ZSetObject::ZSetObject(const ZSetObject& other) : ZSetValue(other), entries_(other.entries_) {
  if (!other.tree_) return;
  tree_ = std::make_unique<Tree>();
  index_ = std::make_unique<Index>();
  index_->reserve(other.index_->size());
  // In order, so every entry appends at the end.
  for (const TreeEntry& e : *other.tree_) {
    char* block = CopyBlock(e.block);
    index_->insert(block);
    tree_->insert(tree_->end(), TreeEntry{e.score, block});
  }
}

ZSetObject::~ZSetObject() {
  if (!index_) return;
  for (char* block : *index_) packed::Free(block);
}

std::size_t ZSetObject::size() const { return tree_ ? tree_->size() : entries_.size(); }

std::string_view ZSetObject::encoding() const { return tree_ ? "skiplist" : "listpack"; }

std::unique_ptr<Object> ZSetObject::Clone() const { return std::make_unique<ZSetObject>(*this); }

std::optional<double> ZSetObject::score(std::string_view member) const {
  if (tree_) {
    auto it = index_->find(member);
    if (it == index_->end()) return std::nullopt;
    return BlockScore(*it);
  }
  for (const Entry& e : entries_) {
    if (e.member == member) return e.score;
  }
  return std::nullopt;
}

std::optional<std::size_t> ZSetObject::rank(std::string_view member) const {
  if (tree_) {
    auto s = index_->find(member);
    if (s == index_->end()) return std::nullopt;
    return tree_->rank(tree_->find(Probe{Probe::kExact, BlockScore(*s), member}));
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].member == member) return i;
  }
  return std::nullopt;
}

void ZSetObject::for_each_from_rank(
    std::size_t start, bool reverse,
    const std::function<bool(std::string_view member, double score)>& fn) const {
  const std::size_t n = size();
  if (start >= n) return;
  // The position in ascending order to start from.
  const std::size_t pos = reverse ? n - 1 - start : start;
  if (!tree_) {
    if (reverse) {
      for (std::size_t i = pos + 1; i-- > 0;) {
        if (!fn(entries_[i].member, entries_[i].score)) return;
      }
    } else {
      for (std::size_t i = pos; i < n; ++i) {
        if (!fn(entries_[i].member, entries_[i].score)) return;
      }
    }
    return;
  }
  Tree::const_iterator it = tree_->at(pos);
  if (reverse) {
    for (;;) {
      if (!fn(BlockMember(it->block), it->score)) return;
      if (it == tree_->begin()) return;
      --it;
    }
  }
  for (; it != tree_->end(); ++it) {
    if (!fn(BlockMember(it->block), it->score)) return;
  }
}

void ZSetObject::Walk(const Probe& probe, bool reverse,
                      const std::function<bool(std::string_view member, double score)>& fn) const {
  if (!tree_) {
    auto pos = std::lower_bound(entries_.begin(), entries_.end(), probe, Less());
    if (reverse) {
      while (pos != entries_.begin()) {
        --pos;
        if (!fn(pos->member, pos->score)) return;
      }
      return;
    }
    for (; pos != entries_.end(); ++pos) {
      if (!fn(pos->member, pos->score)) return;
    }
    return;
  }
  auto pos = tree_->lower_bound(probe);
  if (reverse) {
    while (pos != tree_->begin()) {
      --pos;
      if (!fn(BlockMember(pos->block), pos->score)) return;
    }
    return;
  }
  for (; pos != tree_->end(); ++pos) {
    if (!fn(BlockMember(pos->block), pos->score)) return;
  }
}

void ZSetObject::for_each_from_score(
    double min, bool exclusive, bool reverse,
    const std::function<bool(std::string_view member, double score)>& fn) const {
  // Ascending starts after the boundary before min (after min when
  // exclusive); descending starts below the boundary after min (before min
  // when exclusive).
  const bool after = exclusive != reverse;
  Walk(Probe{after ? Probe::kScoreAfter : Probe::kScoreBefore, min, {}}, reverse, fn);
}

void ZSetObject::for_each_from_lex(
    std::optional<std::string_view> min, bool exclusive, bool reverse,
    const std::function<bool(std::string_view member, double score)>& fn) const {
  if (!min) {
    for_each_from_rank(0, reverse, fn);
    return;
  }
  const bool after = exclusive != reverse;
  Walk(Probe{after ? Probe::kLexAfter : Probe::kLexBefore, 0, *min}, reverse, fn);
}

bool ZSetObject::Add(double score, std::string_view member, const EncodingLimits& limits) {
  if (!tree_) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->member != member) continue;
      if (it->score == score) return false;
      Entry moved{score, std::move(it->member)};
      entries_.erase(it);
      auto pos = std::lower_bound(entries_.begin(), entries_.end(), moved, Less());
      entries_.insert(pos, std::move(moved));
      return false;
    }
    if (entries_.size() + 1 > limits.zset_max_listpack_entries ||
        member.size() > limits.zset_max_listpack_value) {
      ConvertToTree();
    } else {
      auto pos = std::lower_bound(entries_.begin(), entries_.end(),
                                  Probe{Probe::kExact, score, member}, Less());
      entries_.insert(pos, Entry{score, std::string(member)});
      return true;
    }
  }
  auto s = index_->find(member);
  if (s != index_->end()) {
    char* block = *s;
    const double old = BlockScore(block);
    if (old == score) return false;
    tree_->erase(tree_->find(Probe{Probe::kExact, old, member}));
    SetBlockScore(block, score);
    tree_->insert(TreeEntry{score, block});
    return false;
  }
  const TreeEntry entry{score, MakeBlock(score, member)};
  index_->insert(entry.block);
  // Members arriving in order (a snapshot's load, ZADD of rising scores) go
  // after the last entry: with the end() hint the tree appends without a
  // search, filling its chunks.
  tree_->insert(tree_->end(), entry);
  return true;
}

void ZSetObject::Reserve(std::size_t more) {
  if (index_) index_->reserve(index_->size() + more);
}

bool ZSetObject::Rem(std::string_view member) {
  if (!tree_) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->member == member) {
        entries_.erase(it);
        return true;
      }
    }
    return false;
  }
  auto s = index_->find(member);
  if (s == index_->end()) return false;
  char* block = *s;
  tree_->erase(tree_->find(Probe{Probe::kExact, BlockScore(block), member}));
  index_->erase(s);
  packed::Free(block);
  return true;
}

void ZSetObject::ConvertToTree() {
  tree_ = std::make_unique<Tree>();
  index_ = std::make_unique<Index>();
  index_->reserve(entries_.size());
  // Already in order: every entry appends at the end.
  for (const Entry& e : entries_) {
    char* block = MakeBlock(e.score, e.member);
    index_->insert(block);
    tree_->insert(tree_->end(), TreeEntry{e.score, block});
  }
  entries_.clear();
  entries_.shrink_to_fit();
}

std::size_t ZSetObject::HeapBytes() const {
  if (!tree_) {
    std::size_t bytes = entries_.capacity() * sizeof(Entry);
    for (const Entry& e : entries_) bytes += StringHeapBytes(e.member);
    return bytes;
  }
  // A Swiss table: one slot and one control byte per bucket.
  std::size_t bytes = sizeof(Tree) + tree_->allocated_bytes() + sizeof(Index) +
                      index_->capacity() * (sizeof(char*) + 1);
  for (const char* block : *index_) bytes += BlockAllocatedBytes(BlockSize(block));
  return bytes;
}

}  // namespace kvstore
