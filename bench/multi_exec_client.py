#!/usr/bin/env python3
# The client of bench/multi_exec_bench.sh: MULTI + 10 SETs + EXEC
# transactions against one server on a loopback port, --clients connections
# spread over --procs processes, each connection pipelining --pipeline
# transactions per write and waiting for all their replies before the next
# write. Prints one JSON line: transactions per second over --seconds (after
# --warmup), and the CPU use of the client processes and of the server
# (--server-pid), to tell whether the client was the bottleneck.
#
# Replies are not parsed, only compared: a successful transaction always
# answers +OK, 10 x +QUEUED, *10 and 10 x +OK (150 bytes), so a batch's
# replies must equal that text repeated --pipeline times; anything else (an
# error, a null EXEC) stops the run with the bytes received.

import argparse
import json
import multiprocessing
import os
import random
import selectors
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp_conn import connect, encode  # noqa: E402

TX_REPLY = b"+OK\r\n" + b"+QUEUED\r\n" * 10 + b"*10\r\n" + b"+OK\r\n" * 10


def batches(seed, count, pipeline, keyspace, value):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        txs = []
        for _ in range(pipeline):
            sets = [encode("SET", b"key:%012d" % rng.randrange(keyspace), value) for _ in range(10)]
            txs.append(encode("MULTI") + b"".join(sets) + encode("EXEC"))
        out.append(b"".join(txs))
    return out


def worker(port, clients, pipeline, keyspace, value_size, seed, t_start, t_end, result):
    """Runs `clients` connections until t_end; sends the transactions completed
    within [t_start, t_end] (or an error text) through result."""
    try:
        pool = batches(seed, 32, pipeline, keyspace, b"x" * value_size)
        expected = TX_REPLY * pipeline
        want = len(expected)
        rng = random.Random(seed)
        sel = selectors.DefaultSelector()
        socks, bufs = [], []
        for i in range(clients):
            s = connect(port)
            socks.append(s)
            bufs.append(bytearray())
            s.sendall(pool[rng.randrange(len(pool))])
            sel.register(s, selectors.EVENT_READ, i)
        done = 0
        while True:
            now = time.time()
            if now >= t_end:
                break
            for key, _ in sel.select(timeout=0.05):
                i = key.data
                data = socks[i].recv(1 << 16)
                if not data:
                    raise RuntimeError("the server closed a connection")
                b = bufs[i]
                b += data
                if len(b) < want:
                    continue
                if b != expected:
                    raise RuntimeError("unexpected replies: %r" % bytes(b[:300]))
                b.clear()
                if t_start <= time.time() < t_end:
                    done += pipeline
                socks[i].sendall(pool[rng.randrange(len(pool))])
        for s in socks:
            s.close()
        result.send(done)
    except Exception as e:  # reported by the parent
        result.send("%s: %s" % (type(e).__name__, e))


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    p = argparse.ArgumentParser(
        description="MULTI + 10 SETs + EXEC throughput against one server (one JSON line)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--clients", type=int, default=50, help="connections (default 50)")
    p.add_argument("--procs", type=int, default=1, help="client processes (default 1)")
    p.add_argument("--pipeline", type=int, default=16,
                   help="transactions per write per connection (default 16)")
    p.add_argument("--keyspace", type=int, default=100000, help="random keys (default 100000)")
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--seconds", type=float, default=5.0, help="measured seconds (default 5)")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds (default 1)")
    p.add_argument("--server-pid", type=int, default=0, help="server process, for its CPU use")
    a = p.parse_args()
    if a.procs < 1 or a.clients < a.procs:
        p.error("need 1 <= --procs <= --clients")

    ctx = multiprocessing.get_context("fork")
    t_start = time.time() + 0.3 + a.warmup  # 0.3 s to fork and connect
    t_end = t_start + a.seconds
    procs, pipes = [], []
    for k in range(a.procs):
        n = a.clients // a.procs + (1 if k < a.clients % a.procs else 0)
        recv_end, send_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=worker, args=(a.port, n, a.pipeline, a.keyspace, a.value_size,
                                                 1000 + k, t_start, t_end, send_end))
        proc.start()
        procs.append(proc)
        pipes.append(recv_end)

    time.sleep(max(0.0, t_start - time.time()))
    c0 = sum(cpu_seconds(pr.pid) for pr in procs)
    s0 = cpu_seconds(a.server_pid) if a.server_pid else 0.0
    w0 = time.time()
    time.sleep(max(0.0, t_end - time.time()))
    c1 = sum(cpu_seconds(pr.pid) for pr in procs)
    s1 = cpu_seconds(a.server_pid) if a.server_pid else 0.0
    w1 = time.time()
    results = [pp.recv() for pp in pipes]
    for pr in procs:
        pr.join()
    errors = [r for r in results if isinstance(r, str)]
    if errors:
        print("multi_exec_client: " + errors[0], file=sys.stderr)
        sys.exit(1)
    span = w1 - w0
    print(json.dumps({
        "tx_per_s": round(sum(results) / a.seconds),
        "client_cpu_pct": round(100 * (c1 - c0) / span),
        "server_cpu_pct": round(100 * (s1 - s0) / span) if a.server_pid else None,
    }))


if __name__ == "__main__":
    main()
