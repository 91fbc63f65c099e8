# Copyright (c) the kvstore developers.
#
# Shared helpers for the kvstore-server integration tests: start the real
# binary (path in $KVSTORE_SERVER) on a free port with a temporary data
# directory, wait until it accepts connections, talk raw RESP over sockets;
# and the checks several test files share (atomic units seen by concurrent
# readers, all or nothing across kill -9).

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

SERVER = os.environ.get("KVSTORE_SERVER", "build-srv/server/kvstore-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A kvstore-server process. Use as a context manager or call stop()."""

    def __init__(self, *args, data_dir=None, port=None, wait=True):
        self.own_dir = data_dir is None
        self.tmp = tempfile.mkdtemp(prefix="kvsrv-") if data_dir is None else None
        self.dir = data_dir or os.path.join(self.tmp, "data")
        self.port = port or free_port()
        self.args = [SERVER, "--port", str(self.port), "--dir", self.dir, "--threads", "2",
                     *args]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early: %s" % self.output())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("server did not start: %s" % self.output())

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def connect(self, timeout=5):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class RedisCase(unittest.TestCase):
    """A test class sharing one server, started by setUpClass with start():
    r is a redis-py client, x one that returns replies as parsed (without
    redis-py's per-command conversions). Every test starts on an empty store."""

    @classmethod
    def start(cls, *args, sync="no"):
        """Starts the class's server with args (and --sync unless sync is None)."""
        import redis  # Debian: python3-redis; only the tests that use this class need it
        cls.redis = redis
        cls.srv = Server(*(("--sync", sync) if sync else ()), *args)
        cls.r = redis.Redis(port=cls.srv.port)
        cls.x = redis.Redis(port=cls.srv.port)
        cls.x.response_callbacks = {}

    @classmethod
    def setUpClass(cls):
        cls.start()

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.x.close()
        cls.srv.stop()
        shutil.rmtree(cls.srv.tmp, ignore_errors=True)

    def setUp(self):
        self.x.execute_command("FLUSHALL")

    def run_(self, *args):
        return self.x.execute_command(*args)

    def err(self, *args):
        """The text of the error reply to a command (a test failure if none)."""
        with self.assertRaises(self.redis.ResponseError) as cm:
            self.x.execute_command(*args)
        return str(cm.exception)


def cmd(*args):
    """Encodes one command as a RESP multibulk."""
    parts = [b"*%d\r\n" % len(args)]  # joined once: linear for millions of arguments
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def client(srv, **kw):
    """A redis-py client of srv on one connection (20 s socket timeout) that
    returns replies as the server sent them, without redis-py's per-command
    conversions."""
    import redis  # Debian: python3-redis; only the tests that use it need it
    r = redis.Redis(port=srv.port, single_connection_client=True, socket_timeout=20, **kw)
    r.response_callbacks = {}
    return r


def read_reply(f):
    """Reads one RESP2 reply from f (a socket's makefile("rb")): a status or
    error as its line without CRLF (b"+OK", b"-ERR ..."), an integer, a
    bulk's bytes (None for a null bulk) or a list. Raises ConnectionError if
    the server closed the connection first."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed (read %r)" % line)
    kind, body = line[:1], line[1:-2]
    if kind in (b"+", b"-"):
        return line[:-2]
    if kind == b":":
        return int(body)
    if kind == b"$":
        n = int(body)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        n = int(body)
        return None if n < 0 else [read_reply(f) for _ in range(n)]
    raise ValueError("not a RESP2 reply: %r" % line)


class Conn:
    """A raw connection to srv with a socket timeout, so that a reply that
    never comes fails the test instead of hanging it."""

    def __init__(self, srv, timeout=10):
        self.sock = srv.connect(timeout=timeout)
        self.f = self.sock.makefile("rb")

    def send(self, *args):
        """Sends one command without waiting for its reply."""
        self.sock.sendall(cmd(*args))

    def send_pipeline(self, *commands):
        """Sends several commands (argument tuples) in one write."""
        self.sock.sendall(b"".join(cmd(*args) for args in commands))

    def reply(self):
        return read_reply(self.f)

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def close(self):
        self.f.close()
        self.sock.close()


def assert_reads_never_torn(test, srv, keys, whole, writes, readers=2):
    """Runs writes() while `readers` clients MGET keys in a loop, and fails
    the test if one read's values are not whole(values): the check that a
    reader never sees part of an atomic unit (a transaction, a script)."""
    stop = threading.Event()
    seen = {"reads": 0, "torn": []}

    def reader():
        c = client(srv)
        while not stop.is_set():
            values = c.execute_command("MGET", *keys)
            if not whole(values):
                seen["torn"].append(values)
            seen["reads"] += 1
        c.close()

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for t in threads:
        t.start()
    try:
        writes()
    finally:
        stop.set()
        for t in threads:
            t.join()
    test.assertEqual(seen["torn"], [])
    test.assertGreater(seen["reads"], 0)


def kill9_and_restart(load, check):
    """Starts a server, runs load(server), kills it with SIGKILL, restarts it
    on the same directory and runs check(client of the restarted server)."""
    srv = Server()
    try:
        load(srv)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(20)
        again = Server(data_dir=srv.dir)
        try:
            r = client(again)
            check(r)
            r.close()
        finally:
            again.stop()
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
        shutil.rmtree(srv.tmp, ignore_errors=True)


class LoadWorker(threading.Thread):
    """A client thread for kill9_under_load: calls self.step(client) until
    the server dies, counting steps. A step records what it expects to
    survive and checks replies with self.expect(); a wrong reply while the
    server was alive ends the thread with self.failure set."""

    def __init__(self, port, tid, seed):
        super().__init__(daemon=True)
        self.port, self.tid = port, tid
        self.rng = random.Random(seed)
        self.ops = 0
        self.failure = None

    def step(self, r):
        raise NotImplementedError

    def run(self):
        import redis  # Debian: python3-redis
        r = redis.Redis(port=self.port, socket_timeout=10)
        r.response_callbacks = {}
        try:
            while True:
                self.step(r)
                self.ops += 1
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError):
            return  # the server died: what was in flight is the step's to say
        except AssertionError as e:
            self.failure = str(e)

    def expect(self, cond):
        if not cond:
            raise AssertionError("wrong reply while the server was alive")


def kill9_under_load(test, mode, make_worker, check, setup=None, threads=4,
                     seconds=1.0):
    """Starts a server with --sync mode, runs setup(port) if given, then
    `threads` workers (make_worker(port, tid), LoadWorker subclasses) for
    `seconds`; kills the server with SIGKILL mid-load, restarts it on the
    same directory and runs check(client, workers). Returns the number of
    steps the workers completed (at least 100, or the test fails)."""
    import redis  # Debian: python3-redis
    srv = Server("--sync", mode)
    try:
        if setup is not None:
            setup(srv.port)
        workers = [make_worker(srv.port, t) for t in range(threads)]
        for w in workers:
            w.start()
        time.sleep(seconds)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(10)
        for w in workers:
            w.join(15)
            test.assertFalse(w.is_alive())
            test.assertIsNone(w.failure)
        total = sum(w.ops for w in workers)
        test.assertGreater(total, 100, "too little load to mean anything")
        with Server(data_dir=srv.dir) as again:
            r = redis.Redis(port=again.port)
            check(r, workers)
            r.close()
            again.stop()
        return total
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
        shutil.rmtree(srv.tmp, ignore_errors=True)


def assert_units_whole_after_kill9(test, write_unit, keys_of):
    """All or nothing across kill -9: one client writes units (t = 0, 1, ...)
    with write_unit(client, t) for a second, the server is killed with
    SIGKILL and restarted, and every acknowledged unit must be whole (all of
    keys_of(t) present) and every later one whole or absent."""
    import redis  # Debian: python3-redis
    acked = []
    threads = []

    def run(srv):
        c = client(srv)
        try:
            for t in range(100000):
                write_unit(c, t)
                acked.append(t)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass  # the server was killed

    def load(srv):
        threads.append(threading.Thread(target=run, args=(srv,)))
        threads[0].start()
        time.sleep(1.0)

    def check(r):
        threads[0].join(30)
        test.assertGreater(len(acked), 0)
        last = acked[-1]
        for t in range(last + 3):
            keys = keys_of(t)
            present = sum(v is not None for v in r.execute_command("MGET", *keys))
            if t <= last:
                test.assertEqual(present, len(keys), "acknowledged unit %d" % t)
            else:
                test.assertIn(present, (0, len(keys)), "unit %d is partial" % t)

    kill9_and_restart(load, check)


def proc_status_kb(pid, field):
    """A memory figure of process pid from /proc/<pid>/status, in KiB:
    "VmRSS" (resident now) or "VmHWM" (the most it has been resident)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kb(pid):
    """Process pid's resident memory now, in KiB."""
    return proc_status_kb(pid, "VmRSS")


def recv_until_closed(s, timeout=5):
    """Reads until the peer closes; returns everything read."""
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def recv_exactly(s, n, timeout=5):
    s.settimeout(timeout)
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data
