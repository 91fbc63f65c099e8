// Copyright (c) the kvstore developers.
//
// The set layouts: "intset" (sorted int64s) and "hashtable" (a vector of
// packed members and an index of positions).

#include "set_object.h"

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "coding.h"
#include "decimal.h"
#include "object.h"
#include "packed_string.h"

namespace kvstore {

namespace {

// Room for any int64 in decimal ("-9223372036854775808").
constexpr std::size_t kIntChars = 20;

std::string_view IntText(int64_t v, char (&buf)[kIntChars]) {
  const auto result = std::to_chars(buf, buf + kIntChars, v);
  return std::string_view(buf, static_cast<std::size_t>(result.ptr - buf));
}

}  // namespace

std::size_t SetObject::PositionHash::operator()(uint32_t pos) const {
  return Hash64(packed::Get((*members)[pos]));
}
std::size_t SetObject::PositionHash::operator()(std::string_view member) const {
  return Hash64(member);
}
bool SetObject::PositionEq::operator()(uint32_t pos, std::string_view member) const {
  return packed::Get((*members)[pos]) == member;
}
bool SetObject::PositionEq::operator()(std::string_view member, uint32_t pos) const {
  return packed::Get((*members)[pos]) == member;
}

SetObject::Table::Table()
    : index(0, PositionHash{.members = &members}, PositionEq{.members = &members}) {}

SetObject::Table::~Table() {
  for (char* block : members) packed::Free(block);
}

SetObject::SetObject(const SetObject& other) : SetValue(other), ints_(other.ints_) {
  if (!other.table_) return;
  table_ = std::make_unique<Table>();
  const Members& from = other.table_->members;
  table_->members.reserve(from.size());
  table_->index.reserve(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) {
    table_->members.push_back(packed::Copy(from[i], 1));
    table_->index.insert(static_cast<uint32_t>(i));
  }
}

std::size_t SetObject::size() const { return table_ ? table_->members.size() : ints_.size(); }

std::string_view SetObject::encoding() const { return table_ ? "hashtable" : "intset"; }

std::unique_ptr<Object> SetObject::Clone() const { return std::make_unique<SetObject>(*this); }

bool SetObject::contains(std::string_view member) const {
  if (table_) return table_->index.contains(member);
  int64_t v;
  if (!ParseCanonicalInt64(member, &v)) return false;
  return std::binary_search(ints_.begin(), ints_.end(), v);
}

void SetObject::for_each(const std::function<bool(std::string_view member)>& fn) const {
  if (table_) {
    for (const char* block : table_->members) {
      if (!fn(packed::Get(block))) return;
    }
    return;
  }
  char buf[kIntChars];
  for (int64_t v : ints_) {
    if (!fn(IntText(v, buf))) return;
  }
}

std::string_view SetObject::at(std::size_t i) const {
  if (table_) return packed::Get(table_->members[i]);
  thread_local char buf[kIntChars];
  return IntText(ints_[i], buf);
}

bool SetObject::Add(std::string_view member, const EncodingLimits& limits) {
  if (!table_) {
    int64_t v;
    if (ParseCanonicalInt64(member, &v)) {
      auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
      if (it != ints_.end() && *it == v) return false;
      ints_.insert(it, v);
      if (ints_.size() > limits.set_max_intset_entries) ConvertToTable();
      return true;
    }
    ConvertToTable();
  }
  if (table_->index.contains(member)) return false;
  TableAdd(member);
  return true;
}

bool SetObject::Rem(std::string_view member) {
  if (!table_) {
    int64_t v;
    if (!ParseCanonicalInt64(member, &v)) return false;
    auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
    if (it == ints_.end() || *it != v) return false;
    ints_.erase(it);
    return true;
  }
  Members& members = table_->members;
  auto& index = table_->index;
  auto it = index.find(member);
  if (it == index.end()) return false;
  const uint32_t pos = *it;
  const auto last = static_cast<uint32_t>(members.size() - 1);
  // Every position the index holds must name a live member whenever the
  // index may hash: so the last member's entry leaves before it moves, and
  // comes back under its new position after.
  index.erase(it);
  packed::Free(members[pos]);
  if (pos != last) {
    index.erase(index.find(last));
    members[pos] = members[last];
    members.pop_back();
    index.insert(pos);
  } else {
    members.pop_back();
  }
  return true;
}

void SetObject::TableAdd(std::string_view member) {
  Members& members = table_->members;
  if (members.size() >= kMaxTableMembers) throw std::length_error("set: too many members");
  members.push_back(packed::Make({member}));
  table_->index.insert(static_cast<uint32_t>(members.size() - 1));
}

void SetObject::ConvertToTable() {
  table_ = std::make_unique<Table>();
  table_->members.reserve(ints_.size());
  table_->index.reserve(ints_.size());
  for (int64_t v : ints_) TableAdd(absl::StrCat(v));
  ints_.clear();
  ints_.shrink_to_fit();
}

std::size_t SetObject::HeapBytes() const {
  if (!table_) return ints_.capacity() * sizeof(int64_t);
  std::size_t bytes = sizeof(Table) + table_->members.capacity() * sizeof(char*) +
                      table_->index.capacity() * (sizeof(uint32_t) + 1);
  for (const char* block : table_->members) bytes += packed::HeapBytes(block, 1);
  return bytes;
}

}  // namespace kvstore
