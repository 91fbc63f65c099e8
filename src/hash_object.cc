// Copyright (c) the kvstore developers.
//
// The hash layouts: "listpack" (a vector of pairs) and "hashtable".

#include "hash_object.h"

#include <iterator>

#include "object.h"

namespace kvstore {

std::size_t HashObject::size() const { return table_ ? table_->size() : pairs_.size(); }

std::string_view HashObject::encoding() const { return table_ ? "hashtable" : "listpack"; }

std::unique_ptr<Object> HashObject::Clone() const {
  auto copy = std::make_unique<HashObject>();
  copy->pairs_ = pairs_;
  if (table_) copy->table_ = std::make_unique<StringMap<std::string>>(*table_);
  return copy;
}

std::optional<std::string_view> HashObject::get(std::string_view field) const {
  if (table_) {
    auto it = table_->find(field);
    if (it == table_->end()) return std::nullopt;
    return std::string_view(it->second);
  }
  for (const auto& [f, v] : pairs_) {
    if (f == field) return std::string_view(v);
  }
  return std::nullopt;
}

void HashObject::for_each(
    const std::function<bool(std::string_view field, std::string_view value)>& fn) const {
  if (table_) {
    for (const auto& [f, v] : *table_) {
      if (!fn(f, v)) return;
    }
    return;
  }
  for (const auto& [f, v] : pairs_) {
    if (!fn(f, v)) return;
  }
}

std::pair<std::string_view, std::string_view> HashObject::at(std::size_t i) const {
  if (table_) {
    auto it = table_->begin();
    std::advance(it, static_cast<std::ptrdiff_t>(i));
    return {it->first, it->second};
  }
  return {pairs_[i].first, pairs_[i].second};
}

void HashObject::Set(std::string_view field, std::string_view value, const EncodingLimits& limits) {
  if (!table_ && (field.size() > limits.hash_max_listpack_value ||
                  value.size() > limits.hash_max_listpack_value)) {
    ConvertToTable();
  }
  if (table_) {
    (*table_)[field].assign(value);
    return;
  }
  for (auto& [f, v] : pairs_) {
    if (f == field) {
      v.assign(value);
      return;
    }
  }
  pairs_.emplace_back(std::string(field), std::string(value));
  if (pairs_.size() > limits.hash_max_listpack_entries) ConvertToTable();
}

bool HashObject::Del(std::string_view field) {
  if (table_) {
    auto it = table_->find(field);
    if (it == table_->end()) return false;
    table_->erase(it);
    return true;
  }
  for (auto it = pairs_.begin(); it != pairs_.end(); ++it) {
    if (it->first == field) {
      pairs_.erase(it);
      return true;
    }
  }
  return false;
}

void HashObject::ConvertToTable() {
  auto table = std::make_unique<StringMap<std::string>>();
  table->reserve(pairs_.size());
  for (auto& [f, v] : pairs_) table->emplace(std::move(f), std::move(v));
  pairs_.clear();
  pairs_.shrink_to_fit();
  table_ = std::move(table);
}

std::size_t HashObject::HeapBytes() const {
  std::size_t bytes = 0;
  if (table_) {
    using Slot = std::pair<const std::string, std::string>;
    // A Swiss table: one slot and one control byte per bucket, plus the map.
    bytes += sizeof(*table_) + table_->capacity() * (sizeof(Slot) + 1);
    for (const auto& [f, v] : *table_) bytes += StringHeapBytes(f) + StringHeapBytes(v);
    return bytes;
  }
  bytes += pairs_.capacity() * sizeof(pairs_[0]);
  for (const auto& [f, v] : pairs_) bytes += StringHeapBytes(f) + StringHeapBytes(v);
  return bytes;
}

}  // namespace kvstore
