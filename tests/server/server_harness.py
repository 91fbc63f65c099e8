# Copyright (c) the kvstore developers.
#
# Shared helpers for the kvstore-server integration tests: start the real
# binary (path in $KVSTORE_SERVER) on a free port with a temporary data
# directory, wait until it accepts connections, talk raw RESP over sockets.

import os
import shutil
import signal
import socket
import subprocess
import tempfile
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
    out = b"*%d\r\n" % len(args)
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


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
