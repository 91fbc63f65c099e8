// Copyright (c) the kvstore developers.
//
// The sorted-set layouts: "listpack" (a sorted vector) and "skiplist" (a
// B-tree plus a member -> score table).

#include "zset_object.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "object.h"

namespace kvstore {

namespace {

using Probe = ZSetObject::Probe;
using Entry = ZSetObject::Entry;

// Scores are never NaN here, so < on doubles is a total order (-0 == +0).
bool EntryBeforeProbe(const Entry& e, const Probe& p) {
  switch (p.kind) {
    case Probe::kExact:
      return e.score < p.score || (e.score == p.score && std::string_view(e.member) < p.member);
    case Probe::kScoreBefore:
      return e.score < p.score;
    case Probe::kScoreAfter:
      return e.score <= p.score;
    case Probe::kLexBefore:
      return std::string_view(e.member) < p.member;
    case Probe::kLexAfter:
      return std::string_view(e.member) <= p.member;
  }
  return false;
}

}  // namespace

bool ZSetObject::Less::operator()(const Entry& a, const Entry& b) const {
  if (a.score != b.score) return a.score < b.score;
  return a.member < b.member;
}

bool ZSetObject::Less::operator()(const Entry& e, const Probe& p) const {
  return EntryBeforeProbe(e, p);
}

bool ZSetObject::Less::operator()(const Probe& p, const Entry& e) const {
  if (p.kind == Probe::kExact) {
    return p.score < e.score || (p.score == e.score && p.member < std::string_view(e.member));
  }
  // A boundary probe never equals an entry.
  return !EntryBeforeProbe(e, p);
}

ZSetObject::ZSetObject(const ZSetObject& other) : ZSetValue(other), entries_(other.entries_) {
  if (other.tree_) {
    tree_ = std::make_unique<Tree>(*other.tree_);
    scores_ = std::make_unique<StringMap<double>>(*other.scores_);
  }
}

std::size_t ZSetObject::size() const { return tree_ ? tree_->size() : entries_.size(); }

std::string_view ZSetObject::encoding() const { return tree_ ? "skiplist" : "listpack"; }

std::unique_ptr<Object> ZSetObject::Clone() const { return std::make_unique<ZSetObject>(*this); }

std::optional<double> ZSetObject::score(std::string_view member) const {
  if (tree_) {
    auto it = scores_->find(member);
    if (it == scores_->end()) return std::nullopt;
    return it->second;
  }
  for (const Entry& e : entries_) {
    if (e.member == member) return e.score;
  }
  return std::nullopt;
}

std::optional<std::size_t> ZSetObject::rank(std::string_view member) const {
  if (tree_) {
    auto s = scores_->find(member);
    if (s == scores_->end()) return std::nullopt;
    auto it = tree_->find(Probe{Probe::kExact, s->second, member});
    return static_cast<std::size_t>(std::distance(tree_->begin(), it));
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
  // Walk to pos from the nearer end.
  Tree::const_iterator it;
  if (pos <= n / 2) {
    it = tree_->begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pos));
  } else {
    it = tree_->end();
    std::advance(it, -static_cast<std::ptrdiff_t>(n - pos));
  }
  if (reverse) {
    for (;;) {
      if (!fn(it->member, it->score)) return;
      if (it == tree_->begin()) return;
      --it;
    }
  }
  for (; it != tree_->end(); ++it) {
    if (!fn(it->member, it->score)) return;
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
      if (!fn(pos->member, pos->score)) return;
    }
    return;
  }
  for (; pos != tree_->end(); ++pos) {
    if (!fn(pos->member, pos->score)) return;
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
  auto [s, inserted] = scores_->try_emplace(member, score);
  if (!inserted) {
    if (s->second == score) return false;
    auto node = tree_->extract(tree_->find(Probe{Probe::kExact, s->second, member}));
    node.value().score = score;
    tree_->insert(std::move(node));
    s->second = score;
    return false;
  }
  Entry entry{score, std::string(member)};
  // Members arriving in order (a snapshot's load, ZADD of rising scores) go
  // after the last entry: with that hint the B-tree appends without a
  // descent from the root.
  if (!tree_->empty() && Less()(*tree_->rbegin(), entry)) {
    tree_->insert(tree_->end(), std::move(entry));
  } else {
    tree_->insert(std::move(entry));
  }
  return true;
}

void ZSetObject::Reserve(std::size_t more) {
  if (scores_) scores_->reserve(scores_->size() + more);
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
  auto s = scores_->find(member);
  if (s == scores_->end()) return false;
  tree_->erase(tree_->find(Probe{Probe::kExact, s->second, member}));
  scores_->erase(s);
  return true;
}

void ZSetObject::ConvertToTree() {
  auto tree = std::make_unique<Tree>();
  auto scores = std::make_unique<StringMap<double>>();
  scores->reserve(entries_.size());
  for (Entry& e : entries_) {
    scores->emplace(e.member, e.score);
    tree->insert(tree->end(), std::move(e));
  }
  entries_.clear();
  entries_.shrink_to_fit();
  tree_ = std::move(tree);
  scores_ = std::move(scores);
}

std::size_t ZSetObject::HeapBytes() const {
  if (!tree_) {
    std::size_t bytes = entries_.capacity() * sizeof(Entry);
    for (const Entry& e : entries_) bytes += StringHeapBytes(e.member);
    return bytes;
  }
  using Slot = std::pair<const std::string, double>;
  std::size_t bytes = sizeof(Tree) + tree_->size() * sizeof(Entry) * 3 / 2 + sizeof(*scores_) +
                      scores_->capacity() * (sizeof(Slot) + 1);
  for (const Entry& e : *tree_) bytes += 2 * StringHeapBytes(e.member);
  return bytes;
}

}  // namespace kvstore
