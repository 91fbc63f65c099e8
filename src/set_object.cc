// Copyright (c) the kvstore developers.
//
// The set layouts: "intset" (sorted int64s) and "hashtable" (vector + index).

#include "set_object.h"

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <charconv>

#include "decimal.h"
#include "object.h"

namespace kvstore {

namespace {

// Room for any int64 in decimal ("-9223372036854775808").
constexpr std::size_t kIntChars = 20;

std::string_view IntText(int64_t v, char (&buf)[kIntChars]) {
  const auto result = std::to_chars(buf, buf + kIntChars, v);
  return std::string_view(buf, static_cast<std::size_t>(result.ptr - buf));
}

}  // namespace

SetObject::SetObject(const SetObject& other) : SetValue(other), ints_(other.ints_) {
  if (other.table_) table_ = std::make_unique<Table>(*other.table_);
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
    for (const std::string& m : table_->members) {
      if (!fn(m)) return;
    }
    return;
  }
  char buf[kIntChars];
  for (int64_t v : ints_) {
    if (!fn(IntText(v, buf))) return;
  }
}

std::string_view SetObject::at(std::size_t i) const {
  if (table_) return table_->members[i];
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
  auto it = table_->index.find(member);
  if (it == table_->index.end()) return false;
  const std::size_t pos = it->second;
  table_->index.erase(it);
  const std::size_t last = table_->members.size() - 1;
  if (pos != last) {
    table_->members[pos] = std::move(table_->members[last]);
    table_->index.find(table_->members[pos])->second = pos;
  }
  table_->members.pop_back();
  return true;
}

void SetObject::TableAdd(std::string_view member) {
  table_->index.emplace(member, table_->members.size());
  table_->members.emplace_back(member);
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
  using Slot = std::pair<const std::string, std::size_t>;
  std::size_t bytes = sizeof(Table) + table_->members.capacity() * sizeof(std::string) +
                      table_->index.capacity() * (sizeof(Slot) + 1);
  for (const std::string& m : table_->members) bytes += 2 * StringHeapBytes(m);
  return bytes;
}

}  // namespace kvstore
