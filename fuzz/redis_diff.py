#!/usr/bin/env python3
"""Differential test: the same random commands to Tally and to redis-server, reply for reply.

Each episode flushes both servers and sends them the same sequence of random commands over a small
keyspace (strings, hashes, sorted sets, expiry, key commands), with the arguments users get wrong as
well as the ones they get right: bad numbers, inf and nan, wrong types, wrong arity, unknown options.
Every reply must be the same bytes, but for the few whose order or timing Redis leaves open (KEYS is
compared sorted; TTL and PTTL within a tolerance). A difference is cut down to the commands it needs
(each earlier command is dropped in turn while the difference stays) and printed with both replies.

Standard library only. Usage:
  python3 fuzz/redis_diff.py --episodes 2000 --seed 7   # starts ./tally-server and redis-server on free ports
  python3 fuzz/redis_diff.py --tally-port 7301 --redis-port 7302 --episodes 2000   # servers already running
  make compat-diff            # 600 episodes, seed 1 (part of make test)
Exit status 1 if any difference was found; --allow FILE lists known differences that do not count
('COMMAND => first line of Redis's reply', one a line).
"""
import argparse
import os
import random
import shutil
import socket
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from memory import encode  # noqa: E402
from servers import Server  # noqa: E402

KEYS = ["k1", "k2", "k3", "k4", "{k}5"]
FIELDS = ["f1", "f2", "f3", "f4", "field-five"]
MEMBERS = ["a", "b", "c", "m1", "m2", "member-three", ""]

INTS = ["0", "1", "-1", "2", "7", "42", "-100", "100", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616"]
BAD_INTS = ["", " 1", "1 ", "+1", "01", "1.0", "1e3", "0x10", "abc", "--1", "1a", "-0"]
FLOATS = ["0", "1.5", "-2.25", "1e3", "3.0e-5", "-0.0", "0.1", "1e308", "1.7976931348623157e308",
          "2.5e-320", "10.5", "-1e-7", "123456789012345678", "0.30000000000000004", "5", "+3", ".5", "5."]
BAD_FLOATS = ["inf", "-inf", "+inf", "nan", "NaN", "", "abc", "1.5x", " 1.5", "1e400", "0x1p3", "1,5"]
STRINGS = ["", "a", "hello", "12", "-7", "3.5", "x" * 45, "y" * 100, "with space", "\x00bin\xff"]


class Conn:
    """A RESP2 or RESP3 connection that returns each reply both parsed and as its raw bytes. A RESP3
    map is parsed as a flat list of keys and values, a set as a list."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def call(self, args):
        # latin-1: each character of an argument is the one byte it names ("\xff" is 0xff)
        self.sock.sendall(encode(*(a.encode("latin-1") for a in args)))
        start = self.pos
        value = self._reply()
        raw = self.buf[start:self.pos]
        self.buf = self.buf[self.pos:]
        self.pos = 0
        return raw, value

    def _fill(self, need):
        while len(self.buf) - self.pos < need:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end]
                self.pos = end + 2
                return line
            self._fill(len(self.buf) - self.pos + 1)

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b",", b"#"):  # status, error, RESP3 double and boolean
            return (kind, rest)
        if kind in (b":", b"("):  # integer, RESP3 big number
            return int(rest)
        if kind == b"_":
            return None
        if kind in (b"$", b"="):  # bulk, RESP3 verbatim string
            n = int(rest)
            if n < 0:
                return None
            self._fill(n + 2)
            data = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return data
        if kind in (b"*", b"~", b">"):  # array, RESP3 set and push
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        if kind == b"%":
            return [self._reply() for _ in range(2 * int(rest))]
        if kind == b"|":  # an attribute comes before the reply it describes
            [self._reply() for _ in range(2 * int(rest))]
            return self._reply()
        raise ValueError("unexpected reply line %r" % line)


def pick(r, *choices):
    return r.choice(choices)


class Gen:
    """Random commands. Each family mixes well-formed calls with the mistakes users make."""

    def __init__(self, r):
        self.r = r
        self.pending = []  # the rest of a transaction under way (transaction())

    def key(self):
        return self.r.choice(KEYS)

    def num(self):
        r = self.r.random()
        return self.r.choice(INTS) if r < 0.8 else self.r.choice(BAD_INTS)

    def ttl_ms(self):
        """A time in milliseconds that cannot run out within an episode, or a bad one: a key that
        expires between the two servers' turns would differ by timing, not by behaviour."""
        return self.r.choice(["100000", "86400000", "9223372036854775807", "0", "-1", "x", "1.5", ""])

    def ttl_s(self):
        return self.r.choice(["100", "86400", "9223372036854775", "9223372036854775807", "0", "-5", "x", "1e3"])

    def small(self):
        r = self.r.random()
        if r < 0.8:
            return str(self.r.randint(-3, 12))
        return self.r.choice(INTS + BAD_INTS)

    def flt(self):
        r = self.r.random()
        if r < 0.45:
            return str(self.r.randint(-5, 20))
        return self.r.choice(FLOATS) if r < 0.85 else self.r.choice(BAD_FLOATS)

    def val(self):
        r = self.r.random()
        if r < 0.4:
            return self.r.choice(STRINGS)
        if r < 0.8:
            return str(self.r.randint(-50, 1000))
        return self.r.choice(INTS + FLOATS)

    def score(self):
        r = self.r.random()
        if r < 0.6:
            return str(self.r.randint(-3, 10))
        if r < 0.85:
            return self.r.choice(FLOATS + ["inf", "-inf", "+inf"])
        return self.r.choice(BAD_FLOATS)

    def score_bound(self):
        r = self.r.random()
        if r < 0.5:
            return self.r.choice(["", "("]) + str(self.r.randint(-3, 10))
        return self.r.choice(["-inf", "+inf", "inf", "(inf", "(-inf", "(1.5", "2.5", "(", "nan", "x", "((1"])

    def lex_bound(self):
        return self.r.choice(["-", "+", "[a", "(a", "[b", "(m1", "[member-three", "[", "(", "a", "[z", "(\xff"])

    def member(self):
        return self.r.choice(MEMBERS)

    def field(self):
        return self.r.choice(FIELDS)

    def prelude(self):
        """An episode's settings: RESP3 now and then, and listpack limits small enough that hashes
        and sorted sets convert to their table forms within a few commands."""
        r, c = self.r, []
        if r.random() < 0.3:
            c.append(["HELLO", "3"])
        for name, small in (("hash-max-listpack-entries", ["1", "2", "4"]), ("zset-max-listpack-entries", ["1", "3", "5"]),
                            ("hash-max-listpack-value", ["3", "8"]), ("zset-max-listpack-value", ["2", "8"])):
            if r.random() < 0.25:
                c.append(["CONFIG", "SET", name, r.choice(small)])
        return c

    def transaction(self):
        """WATCH, a few commands that may change the watched keys (or not), MULTI, a few queued
        commands, EXEC (or DISCARD): the optimistic-locking shape, whose EXEC fails or runs."""
        r = self.r
        c = [["WATCH"] + [self.key() for _ in range(r.randint(1, 2))]]
        c += [self.single() for _ in range(r.randint(0, 2))]
        c += [["MULTI"]] + [self.single() for _ in range(r.randint(1, 3))]
        return c + [["EXEC"] if r.random() < 0.9 else ["DISCARD"]]

    def command(self):
        if not self.pending and self.r.random() < 0.02:
            self.pending = self.transaction()
        if self.pending:
            return self.pending.pop(0)
        return self.single()

    def single(self):
        fam = self.r.random()
        if fam < 0.28:
            c = self.string_cmd()
        elif fam < 0.47:
            c = self.hash_cmd()
        elif fam < 0.77:
            c = self.zset_cmd()
        elif fam < 0.95:
            c = self.key_cmd()
        else:
            c = self.conn_cmd()
        # Not for a blocking pop (an added argument becomes its timeout, and 0 waits forever), nor for
        # HRANDFIELD and ZRANDMEMBER (without their count they pick at random).
        fixed = c[0].startswith("BZ") or c[0] in ("HRANDFIELD", "ZRANDMEMBER")
        if self.r.random() < 0.03 and len(c) > 1 and not fixed:  # arity: one argument too few or too many
            c = c[:-1] if self.r.random() < 0.5 else c + [self.val()]
        if self.r.random() < 0.3:  # command names are case-insensitive
            c[0] = c[0].lower()
        return c

    def conn_cmd(self):
        """Connection and server commands whose replies do not depend on the server's identity,
        clock or memory: what COMMAND GETKEYS and ACL DRYRUN make of the other families' commands
        (well-formed or not), CONFIG SET/GET of the settings that CONFIGS resets, names, AUTH."""
        r = self.r
        n = r.randint(0, 11)
        if n in (0, 1):
            return ["COMMAND", "GETKEYS"] + self.single()
        if n == 2:
            return ["ACL", "DRYRUN", pick(r, "default", "default", "nosuch")] + self.single()
        if n in (3, 4):
            name, good, bad = r.choice(CONFIGS)
            return ["CONFIG", "SET", name, r.choice(good + bad)]
        if n == 5:
            return ["CONFIG", "GET", r.choice(CONFIGS)[0]]
        if n == 6:
            return ["CLIENT", "SETNAME", pick(r, "app", "", "with space", "x\ny", "n\x00ul", "a" * 300)]
        if n == 7:
            return ["CLIENT", pick(r, "GETNAME", "NO-EVICT", "BOGUS")] + r.choice([[], ["on"], ["off"], ["x"]])
        if n == 8:
            return ["ECHO"] + r.choice([[self.val()], [], ["a", "b"]])
        if n == 9:
            return ["AUTH"] + r.choice([["pw"], ["default", "pw"], ["nosuch", "pw"], ["a", "b", "c"]])
        if n == 10:
            return ["ACL", pick(r, "WHOAMI", "USERS", "CAT", "BOGUS")]
        return ["RESET"]

    def string_cmd(self):
        r, k = self.r, self.key()
        n = r.randint(0, 24)
        if n == 0:
            # No time already past: SET stores such a key in both servers until their active expiry
            # runs, and DBSIZE would then compare the two servers' timers (seed 46).
            c = ["SET", k, self.val()]
            for _ in range(r.randint(0, 3)):
                c += r.choice([["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", self.ttl_s()], ["PX", self.ttl_ms()],
                               ["EXAT", "4102444800"], ["PXAT", self.r.choice(["4102444800000", "0", "x"])],
                               ["EX"], ["BOGUS"]])
            return c
        if n == 1:
            return ["GET", k]
        if n == 2:
            return ["GETSET", k, self.val()]
        if n == 3:
            return ["GETDEL", k]
        if n == 4:
            return ["GETEX", k] + r.choice([[], ["PERSIST"], ["EX", self.ttl_s()], ["PX", self.ttl_ms()],
                                            ["EXAT", "4102444800"], ["EX"], ["EX", "5", "PX", "5"]])
        if n == 5:
            return ["SETNX", k, self.val()]
        if n == 6:
            return ["SETEX", k, self.ttl_s(), self.val()]
        if n == 7:
            return ["PSETEX", k, self.ttl_ms(), self.val()]
        if n == 8:
            c = ["MSET"]
            for _ in range(r.randint(0, 3)):
                c += [self.key(), self.val()]
            return c if r.random() < 0.9 else c + [self.key()]
        if n == 9:
            c = ["MSETNX"]
            for _ in range(r.randint(1, 3)):
                c += [self.key(), self.val()]
            return c
        if n == 10:
            return ["MGET"] + [self.key() for _ in range(r.randint(1, 4))]
        if n == 11:
            return ["APPEND", k, self.val()]
        if n == 12:
            return ["STRLEN", k]
        if n == 13:
            return [pick(r, "INCR", "DECR"), k]
        if n == 14:
            return [pick(r, "INCRBY", "DECRBY"), k, self.num()]
        if n == 15:
            return ["INCRBYFLOAT", k, self.flt()]
        if n == 16:
            return [pick(r, "GETRANGE", "SUBSTR"), k, self.small(), self.small()]
        if n == 17:
            return ["SETRANGE", k, pick(r, self.small(), "0", "3", "536870912", "-1"), self.val()]
        if n == 18:
            c = ["LCS", k, self.key()]
            for _ in range(r.randint(0, 2)):
                c += r.choice([["LEN"], ["IDX"], ["MINMATCHLEN", self.small()], ["WITHMATCHLEN"], ["X"]])
            return c
        if n == 19:
            return ["SET", k, r.choice(["hello world", "ohello", "12", "1.5", "x" * 45])]
        if n == 20:
            return ["ECHO", self.val()]
        if n == 21:
            return ["PING"] + r.choice([[], [self.val()]])
        if n == 22:
            return ["INCRBYFLOAT", k, r.choice(["1e308", "-1e308", "1.7976931348623157e308", "0.1", "1e-320"])]
        return ["INCRBY", k, r.choice(["9223372036854775807", "-9223372036854775808", "1", "-1"])]

    def hash_cmd(self):
        r, k = self.r, self.key()
        n = r.randint(0, 18)
        if n <= 2:
            c = [pick(r, "HSET", "HSET", "HMSET"), k]
            for _ in range(r.randint(1, 3)):
                c += [self.field(), self.val()]
            return c if r.random() < 0.93 else c + [self.field()]
        if n == 3:
            return ["HSETNX", k, self.field(), self.val()]
        if n == 4:
            return ["HGET", k, self.field()]
        if n == 5:
            return ["HMGET", k] + [self.field() for _ in range(r.randint(1, 3))]
        if n == 6:
            return ["HDEL", k] + [self.field() for _ in range(r.randint(1, 3))]
        if n == 7:
            return [pick(r, "HEXISTS", "HSTRLEN"), k, self.field()]
        if n == 8:
            return ["HLEN", k]
        if n == 9:
            return ["HINCRBY", k, self.field(), self.num()]
        if n == 10:
            return ["HINCRBYFLOAT", k, self.field(), self.flt()]
        if n == 11:
            return [pick(r, "HGETALL", "HKEYS", "HVALS"), k]
        if n == 12:
            c = ["HSCAN", k, pick(r, "0", "0", "x", "-1")]
            for _ in range(r.randint(0, 2)):
                c += r.choice([["COUNT", pick(r, "100", "0", "-1", "x")], ["MATCH", pick(r, "f*", "*", "[a-f]1")],
                               ["NOVALUES"], ["BAD"]])
            return c
        if n == 13:
            return ["HRANDFIELD", k, r.choice(["0", "x"])]  # only the deterministic forms
        if n == 14:
            # big enough to leave the compact form (hash-max-listpack-value 64)
            return ["HSET", k, self.field(), "v" * pick(r, 64, 65, 200)]
        if n == 15:
            return ["HINCRBY", k, self.field(), pick(r, "9223372036854775807", "-9223372036854775808", "1")]
        if n == 16:
            return ["HINCRBYFLOAT", k, self.field(), pick(r, "1e308", "0.1", "-1e308", "5e-324")]
        return ["HSET", k, self.field(), str(r.randint(-5, 99))]

    def zset_cmd(self):
        r, k = self.r, self.key()
        n = r.randint(0, 33)
        if n <= 3:
            c = ["ZADD", k]
            for flag in ("NX", "XX", "GT", "LT", "CH", "INCR"):
                if r.random() < 0.12:
                    c.append(flag)
            for _ in range(r.randint(1, 3) if "INCR" not in c or r.random() < 0.2 else 1):
                c += [self.score(), self.member()]
            return c if r.random() < 0.95 else c + [self.score()]
        if n == 4:
            return ["ZINCRBY", k, self.score(), self.member()]
        if n == 5:
            return ["ZSCORE", k, self.member()]
        if n == 6:
            return ["ZMSCORE", k] + [self.member() for _ in range(r.randint(1, 3))]
        if n == 7:
            return ["ZCARD", k]
        if n == 8:
            return ["ZCOUNT", k, self.score_bound(), self.score_bound()]
        if n == 9:
            return ["ZLEXCOUNT", k, self.lex_bound(), self.lex_bound()]
        if n in (10, 11, 12):
            return self.zrange(["ZRANGE", k])
        if n == 13:
            c = [pick(r, "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), k, self.score_bound(), self.score_bound()]
            return c + self.zopts(("WITHSCORES", "LIMIT"))
        if n == 14:
            c = [pick(r, "ZRANGEBYLEX", "ZREVRANGEBYLEX"), k, self.lex_bound(), self.lex_bound()]
            return c + self.zopts(("LIMIT",))
        if n == 15:
            return [pick(r, "ZREVRANGE", "ZRANGE"), k, self.small(), self.small()] + self.zopts(("WITHSCORES",))
        if n == 16:
            return [pick(r, "ZRANK", "ZREVRANK"), k, self.member()]
        if n == 17:
            return ["ZREM", k] + [self.member() for _ in range(r.randint(1, 3))]
        if n == 18:
            return ["ZREMRANGEBYRANK", k, self.small(), self.small()]
        if n == 19:
            return ["ZREMRANGEBYSCORE", k, self.score_bound(), self.score_bound()]
        if n == 20:
            return ["ZREMRANGEBYLEX", k, self.lex_bound(), self.lex_bound()]
        if n == 21:
            return [pick(r, "ZPOPMIN", "ZPOPMAX"), k] + r.choice([[], [self.small()]])
        if n == 22:
            keys = [self.key() for _ in range(r.randint(1, 3))]
            c = ["ZMPOP", pick(r, str(len(keys)), str(len(keys)), "0", "x", "5")] + keys
            c.append(pick(r, "MIN", "MAX", "min", "BAD"))
            if r.random() < 0.5:
                c += ["COUNT", self.small()]
            return c
        if n in (23, 24, 25):
            return self.setop()
        if n == 26:
            keys = [self.key() for _ in range(r.randint(1, 3))]
            c = ["ZINTERCARD", pick(r, str(len(keys)), str(len(keys)), "0", "x")] + keys
            return c + (["LIMIT", self.small()] if r.random() < 0.4 else [])
        if n == 27:
            return self.zrange(["ZRANGESTORE", self.key(), k], store=True)
        if n == 28:
            c = ["ZSCAN", k, pick(r, "0", "0", "x")]
            if r.random() < 0.5:
                c += r.choice([["COUNT", "100"], ["MATCH", pick(r, "m*", "*", "a")], ["COUNT", "0"]])
            return c
        if n == 29:
            return ["ZRANDMEMBER", k, r.choice(["0", "x", "-0"])]  # only the deterministic forms
        if n == 30:
            return ["ZADD", k, pick(r, "1", "2", "1.5", "-inf", "inf"), "m" * pick(r, 64, 65, 100)]
        if n == 31:
            return [pick(r, "BZPOPMIN", "BZPOPMAX"), k, pick(r, "0.01", "-1", "x", "0.001")]
        if n == 32:
            return ["ZADD", k] + sum(([str(i), "n%d" % i] for i in range(r.randint(1, 140))), [])
        return ["ZADD", k, "INCR", pick(r, "inf", "-inf", "1"), self.member()]

    def zopts(self, allowed):
        r, c = self.r, []
        for _ in range(r.randint(0, 2)):
            opt = r.choice(allowed + ("BOGUS",) if r.random() < 0.1 else allowed)
            if opt == "LIMIT":
                c += ["LIMIT", self.small(), self.small()] if r.random() < 0.9 else ["LIMIT", "0"]
            else:
                c.append(opt)
        return c

    def zrange(self, c, store=False):
        r = self.r
        by = r.random()
        if by < 0.4:
            c += [self.small(), self.small()]
        elif by < 0.7:
            c += [self.score_bound(), self.score_bound(), "BYSCORE"]
        else:
            c += [self.lex_bound(), self.lex_bound(), "BYLEX"]
        if r.random() < 0.4:
            c.append("REV")
        if r.random() < 0.3:
            c += ["LIMIT", self.small(), self.small()]
        if not store and r.random() < 0.4:
            c.append("WITHSCORES")
        if r.random() < 0.05:
            r.shuffle(c[2:] if store else c[2:])
            c.append(pick(r, "BYSCORE", "BYLEX", "WITHSCORES", "X"))
        return c

    def setop(self):
        r = self.r
        op = pick(r, "ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
        keys = [self.key() for _ in range(r.randint(1, 3))]
        numkeys = pick(r, str(len(keys)), str(len(keys)), str(len(keys)), "0", "x", "9", "-1")
        c = [op] + ([self.key()] if op.endswith("STORE") else []) + [numkeys] + keys
        if op not in ("ZDIFF", "ZDIFFSTORE") and r.random() < 0.4:
            c += ["WEIGHTS"] + [self.flt() for _ in range(len(keys) if r.random() < 0.9 else len(keys) + 1)]
        if op not in ("ZDIFF", "ZDIFFSTORE") and r.random() < 0.4:
            c += ["AGGREGATE", pick(r, "SUM", "MIN", "MAX", "max", "AVG")]
        if not op.endswith("STORE") and r.random() < 0.5:
            c.append("WITHSCORES")
        return c

    def key_cmd(self):
        r, k = self.r, self.key()
        n = r.randint(0, 25)
        if n == 0:
            return [pick(r, "DEL", "UNLINK", "EXISTS", "TOUCH")] + [self.key() for _ in range(r.randint(1, 3))]
        if n == 1:
            return ["TYPE", k]
        if n == 2:
            return [pick(r, "RENAME", "RENAMENX"), k, self.key()]
        if n == 3:
            return ["COPY", k, self.key()] + r.choice([[], ["REPLACE"], ["DB", "0"], ["DB", "1"], ["BAD"]])
        if n == 4:
            return ["MOVE", k, pick(r, "1", "0", "x", "99")]
        if n in (5, 6):
            # No GT or LT alone here: a relative time set twice compares equal or greater depending on
            # whether the clock ticked in between (the absolute forms below test them).
            name = pick(r, "EXPIRE", "PEXPIRE")
            c = [name, k, self.ttl_s() if name == "EXPIRE" else self.ttl_ms()]
            return c + r.choice([[], [], ["NX"], ["XX"], ["NX", "XX"], ["GT", "LT"], ["NX", "GT"], ["BAD"]])
        if n == 7:
            c = [pick(r, "EXPIREAT", "PEXPIREAT"), k, pick(r, "4102444800", "4102444801000", "1", "0", "x")]
            return c + r.choice([[], ["NX"], ["XX"], ["GT"], ["LT"]])
        if n in (8, 9):
            return [pick(r, "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"), k]
        if n == 10:
            return ["PERSIST", k]
        if n == 11:
            return ["DBSIZE"]
        if n == 12:
            return ["KEYS", pick(r, "*", "k*", "k[1-2]", "?2", "\\{*", "{k}*")]
        if n in (13, 14):
            return ["OBJECT", pick(r, "ENCODING", "ENCODING", "ENCODING", "REFCOUNT", "FREQ", "NOSUCH"), k]
        if n == 15:
            return ["SELECT", pick(r, "0", "0", "0", "1", "x", "16")]
        if n == 16:
            return ["SWAPDB", pick(r, "0", "1"), pick(r, "0", "1", "x")]
        if n == 17:
            return ["SCAN", "0", "COUNT", "100"] + r.choice([[], ["TYPE", pick(r, "zset", "hash", "string", "x")],
                                                             ["MATCH", "k*"]])
        if n == 18:
            return ["FLUSHDB"] if r.random() < 0.2 else ["EXISTS", k]
        if n == 19:
            return ["RENAME", k, k]
        if n == 20:
            return ["UNKNOWNCMD", k]
        if n == 21:
            return ["MULTI"] if r.random() < 0.5 else ["EXEC"]
        if n in (23, 24):  # the episode's own writes are what a watch sees here
            return ["WATCH"] + [self.key() for _ in range(r.randint(1, 3))]
        if n == 25:
            return ["UNWATCH"]
        return ["DISCARD"]


# Replies in the order of a hash table when the key's value is one (Redis's `hashtable` hashes,
# `skiplist` sorted sets for ZSCAN): the same elements in any order. Pairs stay pairs.
TABLE_ORDER = {"HGETALL": 2, "HKEYS": 1, "HVALS": 1, "HSCAN": 2, "ZSCAN": 2}


def unordered(items, group):
    return sorted(tuple(items[i:i + group]) for i in range(0, len(items), group))


def normalise(cmd, raw, value, table_form, queued=None):
    """The form in which two replies must agree: the raw bytes, or a looser form where Redis leaves the
    order (KEYS, SCAN's keys, a table's elements) or the exact time (TTL, PTTL, *EXPIRETIME) open.
    `table_form` says whether the command's key holds a hash table in Redis; `queued`, for EXEC, the
    commands it ran. Without `raw` (a reply inside EXEC's), the parsed value stands for the bytes."""
    name = cmd[0].upper()
    if name == "HELLO":  # the server's own details (version, client id) differ; the protocol switch not
        return ("hello", isinstance(value, tuple) and value[0] == b"-")
    if name == "OBJECT" and raw is None and len(cmd) > 1 and cmd[1].upper() == "REFCOUNT":
        # inside EXEC, Redis's count includes the references its replication of the transaction holds
        return ("refcount in a transaction", isinstance(value, int))
    if name == "KEYS" and isinstance(value, list):
        return ("sorted", sorted(value))
    if name in ("SCAN", "HSCAN", "ZSCAN") and isinstance(value, list) and len(value) == 2:
        # A cursor's value and a page that starts or ends part-way depend on the table's hashing
        # (Redis seeds its hash function at random each start): over a hash table, only a scan that
        # starts and ends in one call on both servers must agree ("tscan", see agree()). A listpack
        # is scanned whole in one call, in its own order.
        start = cmd[1] if name == "SCAN" else cmd[2]
        form = "tscan" if name == "SCAN" or table_form else "scan"
        if start != "0" or value[0] != b"0":
            return (form, "part")
        if form == "tscan":
            return (form, unordered(value[1], TABLE_ORDER.get(name, 1)))
        return (form, value[1])
    if name in TABLE_ORDER and table_form and isinstance(value, list):
        return ("unordered", unordered(value, TABLE_ORDER[name]))
    if name == "EXEC" and queued is not None and isinstance(value, list) and len(value) == len(queued):
        # each command's reply in its own terms; OBJECT ENCODING cannot be asked inside a transaction,
        # so an order a hash table may set is compared as a set there
        return ("exec", [normalise(q, None, v, True) for q, v in zip(queued, value)])
    if name in ("TTL", "EXPIRETIME") and isinstance(value, int) and value > 0:
        return ("about", value, 2)
    if name in ("PTTL", "PEXPIRETIME") and isinstance(value, int) and value > 0:
        return ("about", value, 1500)
    return ("raw", raw if raw is not None else value)


def agree(a, b):
    if a[0] == "tscan" and b[0] == "tscan" and "part" in (a[1], b[1]):
        return True  # one server's hashing ended the page early: nothing to compare
    if a[0] == "about" and b[0] == "about":
        return abs(a[1] - b[1]) <= a[2]
    if a[0] == "exec" and b[0] == "exec":
        return len(a[1]) == len(b[1]) and all(agree(x, y) for x, y in zip(a[1], b[1]))
    return a == b


# Settings conn_cmd may change: name, good values, bad values (the first good one is the default).
CONFIGS = [("hz", ["10", "1", "500", "100"], ["0", "501", "x", "-1", "1e1", ""]),
           ("maxmemory-policy", ["noeviction", "allkeys-lru", "volatile-ttl", "ALLKEYS-RANDOM"], ["bogus", ""]),
           ("maxmemory-samples", ["5", "1", "64"], ["0", "65", "x"]),
           ("lfu-log-factor", ["10", "0", "255"], ["-1", "x"]),
           ("timeout", ["0", "3600"], ["-1", "x", "1.5"]),
           ("acllog-max-len", ["128", "0", "5"], ["-1", "x"]),
           ("hash-max-ziplist-entries", ["512", "1", "0"], ["-1", "x"]),
           ("zset-max-ziplist-value", ["64", "0", "3"], ["-1", "99999999999999999999"])]
DEFAULTS = [("hash-max-listpack-entries", "512"), ("hash-max-listpack-value", "64"),
            ("zset-max-listpack-entries", "128"), ("zset-max-listpack-value", "64")] + \
           [(name, good[0]) for name, good, _ in CONFIGS]


def table_form(redis, cmd):
    """Whether cmd's key holds a hash table in Redis, for the commands whose order follows it. Asked
    only after the replies differ, so that the sequence the servers see is otherwise the same (OBJECT
    changes nothing; the caller does not ask inside MULTI, where it would be queued)."""
    if cmd[0].upper() not in TABLE_ORDER or len(cmd) < 2:
        return False
    raw, value = redis.call(["OBJECT", "ENCODING", cmd[1]])
    return value in (b"hashtable", b"skiplist")


LEX_COMMANDS = ("ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZLEXCOUNT", "ZREMRANGEBYLEX")


def lex_unspecified(redis, cmd):
    """Whether cmd is a lex range over a skiplist whose members do not all have one score: Redis
    leaves that result unspecified, and its skiplist's random levels decide it. Asked before cmd runs."""
    name = cmd[0].upper()
    if name in ("ZRANGE", "ZRANGESTORE") and any(a.upper() == "BYLEX" for a in cmd):
        key = cmd[2] if name == "ZRANGESTORE" else cmd[1]
    elif name in LEX_COMMANDS and len(cmd) > 1:
        key = cmd[1]
    else:
        return False
    if redis.call(["OBJECT", "ENCODING", key])[1] != b"skiplist":
        return False
    items = redis.call(["ZRANGE", key, "0", "-1", "WITHSCORES"])[1] or []
    # RESP2: member, score, member, ...; RESP3 (after HELLO 3): [member, score] pairs
    scores = [pair[1] for pair in items] if items and isinstance(items[0], list) else items[1::2]
    return len(set(map(repr, scores))) > 1


def run_seq(tally, redis, seq):
    """Sends seq to both (after FLUSHALL) and returns the index of the first command whose replies
    differ, with both replies, or None. A difference where Redis's own answer is left to chance (a lex
    range over a skiplist of mixed scores) ends the comparison: the two data sets may part there."""
    for conn in (tally, redis):
        conn.call(["DISCARD"])  # first, or a MULTI left open would queue the rest
        conn.call(["UNWATCH"])
        conn.call(["CLIENT", "SETNAME", ""])
        conn.call(["CLIENT", "NO-EVICT", "off"])
        conn.call(["HELLO", "2"])
        conn.call(["SELECT", "0"])
        conn.call(["FLUSHALL"])
        for name, value in DEFAULTS:
            conn.call(["CONFIG", "SET", name, value])
    queued = None  # the commands of an open MULTI, as Redis queued them
    for i, cmd in enumerate(seq):
        chance = queued is None and lex_unspecified(redis, cmd)
        ta, tv = tally.call(cmd)
        ra, rv = redis.call(cmd)
        name = cmd[0].upper()
        ran = None
        if name == "MULTI" and ra == b"+OK\r\n":
            queued = []
        elif name in ("EXEC", "DISCARD", "RESET"):  # RESET leaves a MULTI too
            ran, queued = queued, None
        elif queued is not None and ra == b"+QUEUED\r\n":
            queued.append(cmd)
        if ta == ra:
            continue
        if chance:
            return None
        table = queued is None and table_form(redis, cmd)
        if not agree(normalise(cmd, ta, tv, table, ran), normalise(cmd, ra, rv, table, ran)):
            return i, ta, ra
    return None


def shrink(tally, redis, seq):
    """Drops each command before the differing one in turn, keeping the drop if a difference stays at
    the (new) last command."""
    seq = list(seq)
    i = 0
    while i < len(seq) - 1:
        trial = seq[:i] + seq[i + 1:]
        found = run_seq(tally, redis, trial)
        if found and found[0] == len(trial) - 1:
            seq = trial
        else:
            i += 1
    return seq


def show(cmd):
    return " ".join(repr(a) if (not a or any(ch in a for ch in " \"'\\") or not a.isprintable()) else a
                    for a in cmd)


def signature(cmd, r_raw):
    """What an --allow line matches: the command name and Redis's reply's first line."""
    return "%s => %s" % (cmd[0].upper(), r_raw.split(b"\r\n", 1)[0].decode("latin-1"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tally-port", type=int, help="a running Tally (default: start --tally on a free port)")
    p.add_argument("--redis-port", type=int, help="a running redis-server (default: start --redis)")
    p.add_argument("--tally", default=os.path.join(ROOT, "tally-server"))
    p.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--length", type=int, default=40, help="commands per episode")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-reports", type=int, default=20)
    p.add_argument("--allow", help="a file of known differences, one 'COMMAND => redis reply line' a line")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    allowed = set()
    if args.allow:
        with open(args.allow) as f:
            allowed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    started, workdir = [], None
    if args.tally_port is None or args.redis_port is None:
        workdir = tempfile.mkdtemp(prefix="tally-diff-")
        if args.tally_port is None:
            started.append(Server("tally", os.path.abspath(args.tally), workdir))  # it runs in its own dir
            args.tally_port = started[-1].port
        if args.redis_port is None:
            started.append(Server("redis", args.redis, workdir))
            args.redis_port = started[-1].port
    try:
        return run(args, seed, allowed)
    finally:
        for srv in started:
            srv.stop()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, seed, allowed):
    rnd = random.Random(seed)
    tally, redis = Conn(args.tally_port), Conn(args.redis_port)
    gen = Gen(rnd)
    seen, reports, commands = set(), 0, 0
    for _ in range(args.episodes):
        seq = gen.prelude() + [gen.command() for _ in range(args.length)]
        found = run_seq(tally, redis, seq)
        commands += len(seq) if not found else found[0] + 1
        if not found:
            continue
        i, t_raw, r_raw = found
        sig = signature(seq[i], r_raw)
        if sig in seen or sig in allowed:
            continue
        seen.add(sig)
        reports += 1
        small = shrink(tally, redis, seq[:i + 1])
        again = run_seq(tally, redis, small)
        _, t_raw, r_raw = again if again else found
        print("difference %d (seed %d): %s" % (reports, seed, sig))
        for cmd in small:
            print("  > " + show(cmd))
        print("  tally: %r" % t_raw[:300])
        print("  redis: %r" % r_raw[:300])
        sys.stdout.flush()
        if reports >= args.max_reports:
            break
    print("%d episodes, %d commands, %d differences (seed %d)" % (args.episodes, commands, reports, seed))
    return 1 if reports else 0


if __name__ == "__main__":
    sys.exit(main())
