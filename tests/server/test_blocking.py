#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Blocking pops against the real kvstore-server, across its I/O threads: no
# element is lost when blocked clients disconnect while a pusher on another
# connection (and so, often, another thread) serves them. Each client half
# closes (shuts down its writing side) at a random moment and then reads to
# the end: whatever the server popped for it must reach it, and whatever it
# did not pop must still be in the list.

import os
import random
import re
import shutil
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server_harness import Conn, Server, cmd, recv_until_closed  # noqa: E402

ELEMENT = re.compile(rb"\$\d+\r\n(e\d+)\r\n")


class BlockingDisconnectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--threads", "4")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.srv.tmp, ignore_errors=True)

    def test_no_element_lost_when_waiters_close(self):
        n, clients = 3000, 24
        received = []
        lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def waiter(seed):
            rng = random.Random(seed)
            try:
                while not stop.is_set():
                    s = self.srv.connect(timeout=5)
                    s.sendall(cmd("BLPOP", "q", "0"))
                    data = b""
                    # Wait a little for the reply, then half close at a random
                    # moment (often while a push is serving this client).
                    s.settimeout(rng.uniform(0.0005, 0.01))
                    try:
                        data += s.recv(65536)
                    except socket.timeout:
                        pass
                    s.shutdown(socket.SHUT_WR)
                    data += recv_until_closed(s, timeout=10)
                    s.close()
                    got = ELEMENT.findall(data)
                    with lock:
                        received.extend(got)
            except Exception as e:  # reported by the test thread
                errors.append(repr(e))

        threads = [threading.Thread(target=waiter, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        pusher = Conn(self.srv)
        deadline = time.time() + 60
        for i in range(n):
            self.assertEqual(pusher.call("RPUSH", "q", "e%d" % i) >= 1, True)
            if i % 16 == 0:
                time.sleep(0.001)
            if time.time() > deadline:
                break
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        left = pusher.call("LRANGE", "q", "0", "-1")
        pusher.close()
        self.assertEqual(len(received), len(set(received)), "an element was given twice")
        self.assertEqual(len(set(received) & set(left)), 0, "an element both given and left")
        missing = set(b"e%d" % i for i in range(n)) - set(received) - set(left)
        self.assertEqual(len(missing), 0, "lost %d elements (received %d, left %d)" %
                         (len(missing), len(received), len(left)))
        self.assertEqual(len(received) + len(left), n)
        self.assertGreater(len(received), 0)


if __name__ == "__main__":
    unittest.main()
