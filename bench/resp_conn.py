# A minimal RESP2 client over a raw socket for the server benchmarks
# (bench/expire_reclaim_round.py, bench/multi_exec_client.py): encoding
# commands, one blocking connection that reads whole replies, and INFO
# parsing. Deliberately small and dependency-free, so that the client's own
# cost stays low and predictable; not a general Redis client.

import socket


def encode(*args):
    """One command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def connect(port, host="127.0.0.1"):
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class ReplyError(Exception):
    pass


class Conn:
    """A blocking connection: command() sends one command and returns its reply."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = connect(port, host)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise ReplyError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ReplyError("unexpected reply line %r" % line)

    def command(self, *args):
        self.sock.sendall(encode(*args))
        return self._reply()

    def info(self, *sections):
        """INFO as a dict of field -> text value."""
        text = self.command("INFO", *sections).decode()
        fields = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and ":" in line:
                k, v = line.split(":", 1)
                fields[k] = v
        return fields
