#!/usr/bin/env python3
# The client of bench/disk_pressure.sh, against one server on a loopback
# port. Two subcommands:
#
#   load    --clients connections spread over --procs processes, each
#           sending one SET at a time (pipeline 1) of its own keys in order,
#           c<client>:<n> for n = 0, 1, 2, ..., with a 100-byte value that
#           starts with the key; every request is timed. After --warmup
#           seconds the requests answered within --seconds are measured. At
#           the end of the period, with requests still in flight, it kills
#           the server (SIGKILL to --server-pid, unless --no-kill), reads the
#           replies that were already on their way, and writes the
#           acknowledgement log (--ack-log, JSON): per client the highest n
#           acknowledged, and the highest n acknowledged more than --grace
#           seconds before the kill. Since a client writes its keys in
#           order and waits for each reply, keys 0..n are all acknowledged.
#           Prints one JSON line: SETs per second, p50/p99/max latency, CPU
#           use of the client processes and of the server.
#   verify  after the server restarted on the same data directory: reads
#           every acknowledged key back (MGET) and counts the keys the
#           persistence mode promised (--mode always: every acknowledged
#           key; everysec: those acknowledged more than --grace seconds
#           before the kill) that are missing or hold another value. Prints
#           one JSON line.
#
# Latency is what this client sees, its own queueing included, for both
# servers alike. A request still unanswered when the period ends counts
# with its age at that moment, so a stall that outlasts the period is not
# hidden.

import argparse
import array
import json
import multiprocessing
import os
import selectors
import signal
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expire_reclaim_round import summary  # noqa: E402
from multi_exec_client import cpu_seconds  # noqa: E402
from resp_conn import Conn, connect, encode  # noqa: E402

VALUE_SIZE = 100


def key(client, n):
    return b"c%d:%d" % (client, n)


def value(client, n):
    return (key(client, n) + b":").ljust(VALUE_SIZE, b"x")


def worker(port, first, count, t_start, t_end, grace, result):
    """Runs clients first..first+count-1 until the server goes away or t_end + 3 s.

    Sends through result: (latencies in s as array bytes, requests answered in the period,
    {client: [acked, acked_before_grace]})
    or an error text."""
    try:
        sel = selectors.DefaultSelector()
        socks, sent_at, next_n, bufs = {}, {}, {}, {}
        acked = {c: [-1, -1] for c in range(first, first + count)}
        lat = array.array("d")
        safe_before = t_end - grace
        for c in range(first, first + count):
            s = connect(port)
            socks[c], next_n[c], bufs[c] = s, 0, bytearray()
            sel.register(s, selectors.EVENT_READ, c)

        def send(c):
            n = next_n[c]
            sent_at[c] = time.time()
            socks[c].sendall(encode("SET", key(c, n), value(c, n)))

        for c in socks:
            send(c)
        stopping = False
        answered = 0
        while socks:
            now = time.time()
            if not stopping and now >= t_end:
                stopping = True  # no new requests; count the unanswered ones with their age
                lat.extend(t_end - t for t in sent_at.values() if t < t_end)
            if now >= t_end + 3:
                break
            for k, _ in sel.select(timeout=0.05):
                c = k.data
                try:
                    data = socks[c].recv(4096)
                except ConnectionError:
                    data = b""
                if not data:  # the server was killed
                    if time.time() < t_end:
                        raise RuntimeError("the server closed connection %d before the end" % c)
                    sel.unregister(socks[c])
                    socks.pop(c).close()
                    continue
                b = bufs[c]
                b += data
                if not b.endswith(b"\r\n"):
                    continue
                if b != b"+OK\r\n":
                    raise RuntimeError("client %d, key %d: unexpected reply %r"
                                       % (c, next_n[c], bytes(b[:200])))
                b.clear()
                t = time.time()
                t_sent = sent_at.pop(c)
                n = next_n[c]
                acked[c][0] = n
                if t < safe_before:
                    acked[c][1] = n
                if t_start <= t < t_end and not stopping:
                    lat.append(t - t_sent)
                    answered += 1
                next_n[c] = n + 1
                if not stopping:
                    send(c)
        for s in socks.values():
            s.close()
        result.send((lat.tobytes(), answered, acked))
    except Exception as e:  # reported by the parent
        result.send("%s: %s" % (type(e).__name__, e))


def cmd_load(a):
    if a.procs < 1 or a.clients < a.procs:
        sys.exit("disk_pressure_client: need 1 <= --procs <= --clients")
    ctx = multiprocessing.get_context("fork")
    t_start = time.time() + 0.3 + a.warmup  # 0.3 s to fork and connect
    t_end = t_start + a.seconds
    procs, pipes, first = [], [], 0
    for k in range(a.procs):
        n = a.clients // a.procs + (1 if k < a.clients % a.procs else 0)
        recv_end, send_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=worker,
                           args=(a.port, first, n, t_start, t_end, a.grace, send_end))
        proc.start()
        procs.append(proc)
        pipes.append(recv_end)
        first += n

    time.sleep(max(0.0, t_start - time.time()))
    c0 = sum(cpu_seconds(pr.pid) for pr in procs)
    s0 = cpu_seconds(a.server_pid)
    w0 = time.time()
    time.sleep(max(0.0, t_end - time.time()))
    c1 = sum(cpu_seconds(pr.pid) for pr in procs)
    s1 = cpu_seconds(a.server_pid)
    w1 = time.time()
    killed_at = None
    if not a.no_kill:
        killed_at = time.time()
        os.kill(a.server_pid, signal.SIGKILL)
    results = [pp.recv() for pp in pipes]
    for pr in procs:
        pr.join()
    errors = [r for r in results if isinstance(r, str)]
    if errors:
        sys.exit("disk_pressure_client: " + errors[0])
    lat = array.array("d")
    acked = {}
    answered = 0
    for lat_bytes, done, ack in results:
        lat.frombytes(lat_bytes)
        answered += done
        acked.update(ack)
    with open(a.ack_log, "w") as f:
        json.dump({"grace_s": a.grace, "kill_delay_s": round(killed_at - t_end, 3)
                   if killed_at else None,
                   "clients": {str(c): v for c, v in sorted(acked.items())}}, f)
    out = summary(lat, a.seconds)
    span = w1 - w0
    out.update({
        "rps": round(answered / a.seconds),
        "acked": sum(v[0] + 1 for v in acked.values()),
        "client_cpu_pct": round(100 * (c1 - c0) / span),
        "server_cpu_pct": round(100 * (s1 - s0) / span),
    })
    print(json.dumps(out))


def cmd_verify(a):
    with open(a.ack_log) as f:
        log = json.load(f)
    conn = Conn(a.port)
    lost = required = missing_in_grace = 0
    batch = 1000
    for c_text, (acked, safe) in log["clients"].items():
        c = int(c_text)
        need = acked if a.mode == "always" else safe
        for start in range(0, acked + 1, batch):
            ns = range(start, min(acked + 1, start + batch))
            got = conn.command("MGET", *[key(c, n) for n in ns])
            for n, v in zip(ns, got):
                ok = v == value(c, n)
                if n <= need:
                    required += 1
                    lost += not ok
                else:
                    missing_in_grace += not ok
    conn.close()
    print(json.dumps({"lost": lost, "required": required,
                      "missing_in_grace": missing_in_grace}))


def main():
    p = argparse.ArgumentParser(description="SET load with an acknowledgement log, and its check "
                                "after a restart (bench/disk_pressure.sh)")
    sub = p.add_subparsers(dest="cmd", required=True)
    ld = sub.add_parser("load", help="timed SET load, then kill the server")
    ld.add_argument("--port", type=int, required=True)
    ld.add_argument("--server-pid", type=int, required=True)
    ld.add_argument("--ack-log", required=True, help="where to write the acknowledgement log")
    ld.add_argument("--clients", type=int, default=32, help="connections (default 32)")
    ld.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    ld.add_argument("--seconds", type=float, default=10.0, help="measured seconds (default 10)")
    ld.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds (default 1)")
    ld.add_argument("--grace", type=float, default=2.0,
                    help="seconds before the kill within which everysec may lose writes "
                    "(default 2)")
    ld.add_argument("--no-kill", action="store_true", help="leave the server running")
    vf = sub.add_parser("verify", help="count the promised keys missing after a restart")
    vf.add_argument("--port", type=int, required=True)
    vf.add_argument("--ack-log", required=True)
    vf.add_argument("--mode", choices=["always", "everysec"], required=True)
    a = p.parse_args()
    {"load": cmd_load, "verify": cmd_verify}[a.cmd](a)


if __name__ == "__main__":
    main()
