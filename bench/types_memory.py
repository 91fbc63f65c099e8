#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# One big value of one type loaded into a running server, for
# bench/types_bench.sh: the server's RSS growth per element (read from
# /proc/<pid>/status before and after, the same way for kvstore-server and
# redis-server), then the time of SAVE and of a restart that loads it.
#
#   types_memory.py --port P --pid PID --type hash|list|set|zset --elements N
#
# Prints one line: "type=... elements=N rss_growth_bytes=B bytes_per_element=X
# load_seconds=S save_seconds=T". The elements are sent in pipelined
# commands of 1000 each (HSET, RPUSH, SADD, ZADD on one key), so the
# client's cost stays small next to the server's.

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp_conn import Conn, encode  # noqa: E402

BATCH = 1000


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for pid %d" % pid)


def command_for(kind, start, n):
    if kind == "hash":
        args = ["HSET", "big"]
        for i in range(start, start + n):
            args += ["field:%d" % i, "value:%d" % i]
    elif kind == "list":
        args = ["RPUSH", "big"] + ["element:%d" % i for i in range(start, start + n)]
    elif kind == "set":
        args = ["SADD", "big"] + ["member:%d" % i for i in range(start, start + n)]
    else:
        args = ["ZADD", "big"]
        for i in range(start, start + n):
            args += [str(i * 0.5), "member:%d" % i]
    return encode(*args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--type", required=True, choices=["hash", "list", "set", "zset"])
    ap.add_argument("--elements", type=int, default=1000000)
    a = ap.parse_args()
    c = Conn(a.port)
    c.command("FLUSHALL")
    time.sleep(0.5)
    before = rss_bytes(a.pid)
    start = time.monotonic()
    sent = 0
    while sent < a.elements:
        chunk = []
        for _ in range(16):  # 16 commands in flight
            n = min(BATCH, a.elements - sent)
            if n <= 0:
                break
            chunk.append(command_for(a.type, sent, n))
            sent += n
        c.sock.sendall(b"".join(chunk))
        for _ in chunk:
            c._reply()
    load = time.monotonic() - start
    time.sleep(0.5)
    after = rss_bytes(a.pid)
    t = time.monotonic()
    c.command("SAVE")
    save = time.monotonic() - t
    growth = after - before
    print("type=%s elements=%d rss_growth_bytes=%d bytes_per_element=%.1f fill_seconds=%.2f "
          "save_seconds=%.2f" % (a.type, a.elements, growth, growth / a.elements, load, save))


if __name__ == "__main__":
    main()
