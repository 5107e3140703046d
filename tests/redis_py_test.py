"""redis-py against the real binary: the calls shared/COMPAT.md lists, as redis-py 4.3.4 (Debian's
python3-redis) sends them and parses their replies, including its transaction() check-and-set helper.

Runs against ./tally-server, or any server binary given as the first argument (redis-server too: the
same assertions hold for both). Needs Debian's python3-redis, so it runs under /usr/bin/python3
(tests/install_deps.sh installs the package; `make redis-py`, part of `make test`).
"""
import os
import sys
import tempfile
import threading
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from servers import Server  # noqa: E402

BINARY = os.path.abspath(os.environ.get("TALLY_SERVER", os.path.join(os.path.dirname(__file__), "..", "tally-server")))


class RedisPyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = Server("server", BINARY, cls.tmp.name)
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.r = redis.Redis(port=self.port)
        self.r.flushall()

    def tearDown(self):
        self.r.close()

    def test_strings_and_keys(self):
        r = self.r
        self.assertTrue(r.ping())
        self.assertTrue(r.set("k", "v", ex=10))
        self.assertIsNone(r.set("k", "w", px=1500, nx=True))
        self.assertEqual(r.get("k"), b"v")
        self.assertTrue(0 < r.ttl("k") <= 10)
        self.assertEqual(r.incr("n"), 1)
        self.assertEqual(r.incr("n", 5), 6)
        self.assertEqual(r.decr("n"), 5)
        self.assertEqual(r.incrbyfloat("f", 1.5), 1.5)
        self.assertTrue(r.mset({"a": "1", "b": "2"}))
        self.assertEqual(r.mget(["a", "b", "nosuch"]), [b"1", b"2", None])
        self.assertEqual(r.getdel("a"), b"1")
        self.assertEqual(r.exists("a", "b"), 1)
        self.assertEqual(r.type("b"), b"string")
        self.assertTrue(r.expire("b", 100))
        self.assertTrue(r.persist("b"))
        self.assertEqual(r.delete("b", "k"), 2)
        self.assertEqual(sorted(r.scan_iter(match="n*", count=100)), [b"n"])
        with self.assertRaises(redis.ResponseError):
            r.incr("f")  # 1.5 is not an integer

    def test_hashes(self):
        r = self.r
        self.assertEqual(r.hset("h", mapping={"f1": "v1", "f2": 2}), 2)
        self.assertEqual(r.hgetall("h"), {b"f1": b"v1", b"f2": b"2"})
        self.assertEqual(r.hmget("h", ["f1", "nosuch"]), [b"v1", None])
        self.assertEqual(r.hincrby("h", "f2", 3), 5)
        self.assertTrue(r.hexists("h", "f1"))
        self.assertEqual(dict(r.hscan_iter("h")), {b"f1": b"v1", b"f2": b"5"})
        self.assertEqual(r.hdel("h", "f1"), 1)

    def test_sorted_sets(self):
        r = self.r
        self.assertEqual(r.zadd("z", {"a": 1.5, "b": 2, "c": float("inf")}), 3)
        self.assertEqual(r.zrange("z", 0, -1, withscores=True), [(b"a", 1.5), (b"b", 2.0), (b"c", float("inf"))])
        self.assertEqual(r.zadd("z", {"d": 0}, nx=True, ch=True), 1)
        self.assertEqual(r.zadd("z", {"a": 2}, incr=True), 3.5)
        self.assertEqual(r.zrange("z", 10, 0, byscore=True, desc=True, offset=0, num=2, withscores=True),
                         [(b"a", 3.5), (b"b", 2.0)])
        self.assertEqual(r.zrangebyscore("z", "-inf", "+inf"), [b"d", b"b", b"a", b"c"])
        self.assertEqual(r.zrevrange("z", 0, 0), [b"c"])
        self.assertEqual(r.zscore("z", "b"), 2.0)
        self.assertEqual(r.zincrby("z", 1, "d"), 1.0)
        self.assertEqual(r.zrank("z", "d"), 0)
        self.assertEqual(r.zcount("z", 1, 3), 2)
        self.assertEqual(r.zrem("z", "d"), 1)
        self.assertEqual(r.zcard("z"), 3)

    def test_pipelines(self):
        r = self.r
        with r.pipeline() as p:  # MULTI ... EXEC in one write
            p.set("k", 10).incrby("k", 5).get("k")
            self.assertEqual(p.execute(), [True, 15, b"15"])
        with r.pipeline(transaction=False) as p:
            for i in range(100):
                p.set(f"p{i}", i)
            self.assertEqual(p.execute(), [True] * 100)
        self.assertEqual(r.get("p99"), b"99")

    def test_watch_error_when_the_key_changes(self):
        other = redis.Redis(port=self.port)
        with self.r.pipeline() as p:
            p.watch("k")
            other.set("k", "changed")
            p.multi()
            p.set("k", "mine")
            with self.assertRaises(redis.WatchError):
                p.execute()
        self.assertEqual(self.r.get("k"), b"changed")
        other.close()

    def test_transaction_helper_counts_exactly(self):
        self.r.set("counter", 0)

        def incr(pipe):
            value = int(pipe.get("counter"))
            pipe.multi()
            pipe.set("counter", value + 1)

        def worker():
            c = redis.Redis(port=self.port)
            for _ in range(150):
                c.transaction(incr, "counter")
            c.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(self.r.get("counter"), b"600")

    def test_connection_options_and_errors(self):
        c = redis.Redis(port=self.port, db=2, client_name="app", health_check_interval=1)
        self.assertTrue(c.set("in2", "x"))
        self.assertEqual(c.client_getname(), "app")
        self.assertIsNone(self.r.get("in2"))  # db 0
        c.close()
        self.assertIn("redis_version", self.r.info("server"))
        self.r.config_set("requirepass", "pw")
        try:
            with self.assertRaises(redis.AuthenticationError):
                redis.Redis(port=self.port).get("k")
            with self.assertRaisesRegex(redis.ResponseError, "^WRONGPASS"):  # 4.3.4 maps no class to it
                redis.Redis(port=self.port, password="wrong").get("k")
            self.assertIsNone(redis.Redis(port=self.port, password="pw").get("k"))
        finally:
            redis.Redis(port=self.port, password="pw").config_set("requirepass", "")


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BINARY = os.path.abspath(sys.argv.pop(1)) if os.path.sep in sys.argv[1] else sys.argv.pop(1)
    unittest.main(verbosity=1)
