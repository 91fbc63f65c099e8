// Copyright (c) the kvstore developers.
//
// The hash layouts: "listpack" (a vector of pairs) and "hashtable" (a set of
// packed [field][value] blocks).

#include "hash_object.h"

#include <iterator>

#include "coding.h"
#include "object.h"
#include "packed_string.h"

namespace kvstore {

namespace {

// A pair block's field and value.
std::string_view Field(const char* block) { return packed::Get(block); }
std::string_view Value(const char* block) { return packed::Get(packed::Skip(block)); }

}  // namespace

HashObject::~HashObject() {
  if (!table_) return;
  for (char* block : *table_) packed::Free(block);
}

std::size_t HashObject::size() const { return table_ ? table_->size() : pairs_.size(); }

std::string_view HashObject::encoding() const { return table_ ? "hashtable" : "listpack"; }

std::unique_ptr<Object> HashObject::Clone() const {
  auto copy = std::make_unique<HashObject>();
  copy->pairs_ = pairs_;
  if (table_) {
    copy->table_ = std::make_unique<Table>();
    copy->table_->reserve(table_->size());
    for (const char* block : *table_) copy->table_->insert(packed::Copy(block, 2));
  }
  return copy;
}

std::optional<std::string_view> HashObject::get(std::string_view field) const {
  if (table_) {
    auto it = table_->find(field);
    if (it == table_->end()) return std::nullopt;
    return Value(*it);
  }
  for (const auto& [f, v] : pairs_) {
    if (f == field) return std::string_view(v);
  }
  return std::nullopt;
}

void HashObject::for_each(
    const std::function<bool(std::string_view field, std::string_view value)>& fn) const {
  if (table_) {
    for (const char* block : *table_) {
      if (!fn(Field(block), Value(block))) return;
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
    return {Field(*it), Value(*it)};
  }
  return {pairs_[i].first, pairs_[i].second};
}

void HashObject::Set(std::string_view field, std::string_view value, const EncodingLimits& limits) {
  if (!table_ && (field.size() > limits.hash_max_listpack_value ||
                  value.size() > limits.hash_max_listpack_value)) {
    ConvertToTable();
  }
  if (table_) {
    auto it = table_->find(field);
    if (it == table_->end()) {
      table_->insert(packed::Make({field, value}));
      return;
    }
    char* old = *it;
    const std::size_t field_bytes = static_cast<std::size_t>(packed::Skip(old) - old);
    const std::size_t old_size = packed::Size(old, 2);
    const std::size_t new_size = field_bytes + packed::EncodedSize(value);
    // In place only within the bytes the block was made with, and only when
    // the allocator would not give the new size a smaller block.
    if (new_size <= old_size && BlockAllocatedBytes(new_size) == BlockAllocatedBytes(old_size)) {
      packed::Put(old + field_bytes, value);
      return;
    }
    char* block = packed::Make({Field(old), value});
    // The slot's key changes from one block to another with the same field:
    // same hash, same equality, so the table stays consistent.
    const_cast<char*&>(*it) = block;
    packed::Free(old);
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
    char* block = *it;
    table_->erase(it);
    packed::Free(block);
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
  auto table = std::make_unique<Table>();
  table->reserve(pairs_.size());
  for (const auto& [f, v] : pairs_) table->insert(packed::Make({f, v}));
  pairs_.clear();
  pairs_.shrink_to_fit();
  table_ = std::move(table);
}

std::size_t HashObject::HeapBytes() const {
  std::size_t bytes = 0;
  if (table_) {
    // A Swiss table: one slot and one control byte per bucket, plus the set.
    bytes += sizeof(*table_) + table_->capacity() * (sizeof(char*) + 1);
    for (const char* block : *table_) bytes += packed::HeapBytes(block, 2);
    return bytes;
  }
  bytes += pairs_.capacity() * sizeof(pairs_[0]);
  for (const auto& [f, v] : pairs_) bytes += StringHeapBytes(f) + StringHeapBytes(v);
  return bytes;
}

}  // namespace kvstore
