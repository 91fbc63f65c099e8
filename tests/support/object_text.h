// Copyright (c) the kvstore developers.
//
// A canonical text of a hash, list, set or sorted set (kvstore/types.h), for
// tests that compare objects: equal text exactly when the contents are equal,
// whatever the encodings. Each element is written with its length, so any
// bytes compare unambiguously; a hash's pairs and a set's members are sorted
// (their order carries no meaning), a list's and a sorted set's are kept in
// order, and a score is written exactly (C's %a).

#ifndef KVSTORE_TESTS_SUPPORT_OBJECT_TEXT_H_
#define KVSTORE_TESTS_SUPPORT_OBJECT_TEXT_H_

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/types.h"

namespace kvstore::testing {

// "<type>:" then the elements, each "<length>:<bytes>" (a pair: field then
// value; a sorted set's member then "@<score>").
inline std::string ObjectText(const Object& obj) {
  std::vector<std::string> items;
  const auto item = [](std::string_view a) {
    return std::to_string(a.size()) + ":" + std::string(a);
  };
  bool ordered = false;
  switch (obj.type()) {
    case Type::kHash:
      static_cast<const HashValue&>(obj).for_each([&](std::string_view f, std::string_view v) {
        items.push_back(item(f) + item(v));
        return true;
      });
      break;
    case Type::kSet:
      static_cast<const SetValue&>(obj).for_each([&](std::string_view m) {
        items.push_back(item(m));
        return true;
      });
      break;
    case Type::kList:
      ordered = true;
      if (obj.size() > 0) {
        static_cast<const ListValue&>(obj).for_each_from(0, false, [&](std::string_view e) {
          items.push_back(item(e));
          return true;
        });
      }
      break;
    case Type::kZSet:
      ordered = true;
      static_cast<const ZSetValue&>(obj).for_each_from_rank(
          0, false, [&](std::string_view m, double score) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "@%a", score);
            items.push_back(item(m) + buf);
            return true;
          });
      break;
    case Type::kNone:
    case Type::kString:
      break;
  }
  if (!ordered) std::sort(items.begin(), items.end());
  std::string out(TypeName(obj.type()));
  out += ":";
  for (const std::string& i : items) out += i;
  return out;
}

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_OBJECT_TEXT_H_
