#!/usr/bin/env python3
"""Doxygen INPUT_FILTER for include/kvstore/: the headers document their API
with plain // comments (the project's style); this turns them into Doxygen
comments on the fly, line for line (line numbers stay the same):

  * a block of // lines directly above a declaration becomes ///
    (a block followed by a blank line or a preprocessor line, such as the
    file's header comment, is left alone, but the file gets a \\file tag);
  * a trailing "code;  // text" becomes "code;  ///< text", and // lines
    right below it in the same column, which continue it, become ///<.
"""
import re
import sys

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = list(lines)
comment = re.compile(r"^(\s*)//(?!/)(.*)$")
trailing = re.compile(r"^(\s*[^/\s].*?[;,{])(\s+)//(?!/)(.*)$")

i = 0
trailing_col = -1  # column of the last line's trailing comment
while i < len(lines):
    m = comment.match(lines[i])
    if m and trailing_col == len(m.group(1)):
        out[i] = m.group(1) + "///<" + m.group(2)
        i += 1
        continue
    trailing_col = -1
    if m:
        j = i
        while j < len(lines) and comment.match(lines[j]):
            j += 1
        nxt = lines[j].strip() if j < len(lines) else ""
        if nxt and not nxt.startswith("#") and nxt not in ("}", "};") \
                and not nxt.startswith("} ") and not nxt.startswith("public:") \
                and not nxt.startswith("private:") and not nxt.startswith("protected:"):
            for k in range(i, j):
                m = comment.match(lines[k])
                out[k] = m.group(1) + "///" + m.group(2)
        i = j
        continue
    m = trailing.match(lines[i])
    if m and '"' not in m.group(1) and not m.group(3).lstrip().startswith("NOLINT"):
        out[i] = m.group(1) + m.group(2) + "///<" + m.group(3)
        trailing_col = len(m.group(1)) + len(m.group(2))
    i += 1
# The file itself is documented (by its header comment), so that Doxygen
# checks its free functions too; on the same line, to keep line numbers.
if out and out[0].startswith("// Copyright"):
    out[0] = "/** \\file */ " + out[0]
sys.stdout.write("\n".join(out))
