// Hostile input end to end: every class of malformed frame gets Redis 7.0's exact error and close (or
// the same leniency Redis shows), oversized and overflowing lengths, bare line ends, NUL and CRLF
// inside keys and values, 100k-argument commands, a 50k-command pipeline in one write, clients that
// vanish mid-command or stall after promising a million arguments, and all of it at once. In every
// test a bystander connected beforehand keeps reading and writing, and data loaded beforehand stays
// intact. Every expected reply was checked against redis-server 7.0.15 (TALLY_SERVER=redis-server);
// integration_protocol_test.cpp holds the basic protocol errors, which are not repeated here.
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

const std::string kMbulkLen = "-ERR Protocol error: invalid multibulk length\r\n";
const std::string kBulkLen = "-ERR Protocol error: invalid bulk length\r\n";
const std::string kQuotes = "-ERR Protocol error: unbalanced quotes in request\r\n";

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

// Bytes in, expected reply out; the server then closes the connection.
struct Case {
  std::string request;
  std::string reply;
};

class HostileTest : public SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(ExpectOk(Cmd(c(), {"SET", "pre:bin", kPreValue})));
    ASSERT_TRUE(ExpectOk(Cmd(c(), {"SET", "pre:n", "42"})));
    std::vector<std::string> hset = {"HSET", "pre:hash"}, zadd = {"ZADD", "pre:zset"};
    for (int i = 0; i < 100; ++i) {
      hset.insert(hset.end(), {"f" + std::to_string(i), "v" + std::to_string(i)});
      zadd.insert(zadd.end(), {std::to_string(i), "m" + std::to_string(i)});
    }
    ASSERT_TRUE(ExpectInt(Cmd(c(), hset), 100));
    ASSERT_TRUE(ExpectInt(Cmd(c(), zadd), 100));
    bystander_ = std::make_unique<RawConn>(port());
    ASSERT_TRUE(ExpectRaw(*bystander_, "PING\r\n", "+PONG\r\n"));
  }

  // The bystander still reads and writes, and the data loaded before the test is as it was.
  void ExpectUnharmed(Loc loc = Loc::current()) {
    SCOPED_TRACE(std::string("checked at line ") + std::to_string(loc.line()));
    ++bystander_writes_;
    ExpectRaw(*bystander_, "INCR bystander\r\n", ":" + std::to_string(bystander_writes_) + "\r\n");
    ExpectRaw(*bystander_, "GET pre:n\r\n", "$2\r\n42\r\n");
    Client check = NewClient();
    ExpectBulk(Cmd(check, {"GET", "pre:bin"}), kPreValue);
    ExpectInt(Cmd(check, {"HLEN", "pre:hash"}), 100);
    ExpectBulk(Cmd(check, {"HGET", "pre:hash", "f99"}), "v99");
    ExpectInt(Cmd(check, {"ZCARD", "pre:zset"}), 100);
    ExpectBulk(Cmd(check, {"ZSCORE", "pre:zset", "m57"}), "57");
  }

  // Connected clients, from INFO (the bystander and c() included).
  long long ConnectedClients() {
    Reply info = Cmd(c(), {"INFO", "clients"});
    if (!info || info->type != REDIS_REPLY_STRING) return -1;
    return std::stoll(InfoField(info->str, "connected_clients"));
  }

  // Connected clients once the count holds still (five readings 20 ms apart): the connections that
  // the tests before closed (their bystander, ExpectUnharmed's client) may still be on their way out,
  // handled by another worker than the one answering INFO, and a baseline that counts them would sit
  // above the count the server settles at.
  long long SettledClients() {
    long long last = ConnectedClients();
    for (int stable = 0, i = 0; stable < 5 && i < 250; ++i) {
      SleepMs(20);
      const long long now = ConnectedClients();
      stable = now == last ? stable + 1 : 0;
      last = now;
    }
    return last;
  }

  // Waits until only `n` clients are left (closed connections may take a moment to be noticed).
  bool WaitConnected(long long n) {
    for (int i = 0; i < 100; ++i, SleepMs(20))
      if (ConnectedClients() == n) return true;
    return false;
  }

  void ExpectAllReplyThenClose(const std::vector<Case>& cases) {
    for (const Case& tc : cases) {
      SCOPED_TRACE("request: " + Escape(tc.request.substr(0, 60)));
      RawConn conn(port());
      ExpectRawThenClose(conn, tc.request, tc.reply);
    }
  }

  const std::string kPreValue = std::string("pre\r\n\0value", 11) + AllBytes();
  std::unique_ptr<RawConn> bystander_;
  int bystander_writes_ = 0;
};

TEST_F(HostileTest, OversizedAndOverflowingLengths) {
  ExpectAllReplyThenClose({
      {"*1\r\n$9223372036854775807\r\n", kBulkLen},
      {"*1\r\n$9223372036854775808\r\n", kBulkLen},
      {"*1\r\n$99999999999999999999\r\n", kBulkLen},
      {"*1\r\n$-9223372036854775808\r\n", kBulkLen},
      {"*9223372036854775807\r\n", kMbulkLen},
      {"*9223372036854775808\r\n", kMbulkLen},
      {"*2147483648\r\n", kMbulkLen},
      {"*2\r\n$4\r\nECHO\r\n$536870913\r\n", kBulkLen},  // one past proto-max-bulk-len, second argument
  });
  // The largest counts and lengths allowed are awaited, not allocated up front: no reply, no close.
  RawConn most_args(port());
  ASSERT_TRUE(most_args.Send("*2147483647\r\n$4\r\nECHO\r\n"));
  RawConn biggest_bulk(port());
  ASSERT_TRUE(biggest_bulk.Send("*2\r\n$4\r\nECHO\r\n$536870912\r\n" + std::string(100000, 'x')));
  EXPECT_EQ(most_args.ReadAvailable(200), "");
  EXPECT_EQ(biggest_bulk.ReadAvailable(10), "");
  EXPECT_FALSE(most_args.peer_closed());
  EXPECT_FALSE(biggest_bulk.peer_closed());
  ExpectUnharmed();
}

TEST_F(HostileTest, NegativeLengths) {
  ExpectAllReplyThenClose({
      {"*1\r\n$-5\r\n", kBulkLen},
      {"*1\r\n$-0\r\n", kBulkLen},
      {"*2\r\n$4\r\nECHO\r\n$-1\r\n", kBulkLen},
      {"*-0\r\n", kMbulkLen},  // string2ll refuses "-0"
  });
  // A negative count is an empty request, as *0: skipped, and the connection goes on.
  RawConn conn(port());
  ExpectRaw(conn, "*-5\r\nPING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "*-1\r\n*-9223372036854775808\r\n*0\r\nECHO x\r\n", "$1\r\nx\r\n");
  ExpectUnharmed();
}

TEST_F(HostileTest, NonNumericAndMisplacedLengths) {
  ExpectAllReplyThenClose({
      {"*1x\r\n", kMbulkLen},
      {"*\r\n", kMbulkLen},
      {"*1\r\n$1x\r\n", kBulkLen},
      {"*1\r\n$\r\n", kBulkLen},
      {"*1\r\n$ 4\r\nPING\r\n", kBulkLen},
      {"*1\r\n$0x4\r\nPING\r\n", kBulkLen},
      {"*1\r\n*1\r\n", "-ERR Protocol error: expected '$', got '*'\r\n"},
      {"*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"},  // the '\r', shown as a space
      {"*2\r\n$4\r\nECHO\r\n+x\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
  });
  // A '$' line without '*' is an inline command named "$4".
  RawConn conn(port());
  ExpectRaw(conn, "$4\r\nPING\r\n", "-ERR unknown command '$4', with args beginning with: \r\n+PONG\r\n");
  ExpectUnharmed();
}

TEST_F(HostileTest, BareOrMissingLineEnds) {
  ExpectAllReplyThenClose({
      {"*1\r\n$4\nPING\r\n", kBulkLen},  // the length line runs to the first '\r'
      // Bare LFs never end a multibulk line: it grows until it is too big.
      {"*1\n$4\nPING\n" + std::string(70000, 'x'), "-ERR Protocol error: too big mbulk count string\r\n"},
      // An inline line must end within 64 KiB (give or take Redis's 16 KiB reads).
      {"SET k " + std::string(120000, 'x') + "\r\n", "-ERR Protocol error: too big inline request\r\n"},
  });
  RawConn conn(port());
  ASSERT_TRUE(conn.Send("*1\n$4\nPING\n"));
  EXPECT_EQ(conn.ReadAvailable(200), "") << "a bare-LF multibulk ran";
  EXPECT_FALSE(conn.peer_closed());
  // Bulk bytes are counted, not delimited: the 2 bytes after a bulk are skipped unchecked, and a
  // bulk longer than announced spills into the next request.
  RawConn lenient(port());
  ExpectRaw(lenient, "*1\r\n$4\r\nPING\r\r", "+PONG\r\n");
  ExpectRaw(lenient, "*2\r\n$4\r\nECHO\r\n$1\r\nab\r\nPING\r\n", "$1\r\na\r\n+PONG\r\n");
  ExpectRaw(lenient, "*2\r\n$4\r\nECHO\r\n$3\r\nabcdefg\r\n",
            "$3\r\nabc\r\n-ERR unknown command 'fg', with args beginning with: \r\n");
  // Inline lines end at LF alone, and a line just over 64 KiB that ends in time is a command.
  ExpectRaw(lenient, "SET lf 1\nGET lf\n", "+OK\r\n$1\r\n1\r\n");
  ExpectRaw(lenient, "SET long " + std::string(70000, 'l') + "\r\nSTRLEN long\r\n", "+OK\r\n:70000\r\n");
  ExpectUnharmed();
}

TEST_F(HostileTest, UnbalancedQuotesInline) {
  ExpectAllReplyThenClose({
      {"ECHO 'abc\r\n", kQuotes},
      {"ECHO \"a\\\"\r\n", kQuotes},  // the only quote is escaped
      {"SET k v \"\r\n", kQuotes},
      {"SET k 'a'\"b\"\r\n", kQuotes},
      {"PING\r\nSET k \"v\r\nPING\r\n", "+PONG\r\n" + kQuotes},  // what came before runs, nothing after
  });
  ExpectInt(Cmd(c(), {"EXISTS", "k"}), 0);
  ExpectUnharmed();
}

TEST_F(HostileTest, NulAndCrlfInsideKeysAndValuesRoundTrip) {
  const std::string key = std::string("k\0ey\r\n*1\r\n$4\r\nPING\r\n", 21);
  const std::string value = "\r\n$-1\r\n" + AllBytes() + std::string(1, '\0');
  ASSERT_TRUE(ExpectOk(Cmd(c(), {"SET", key, value})));
  ExpectBulk(Cmd(c(), {"GET", key}), value);
  ExpectInt(Cmd(c(), {"STRLEN", key}), static_cast<long long>(value.size()));
  ExpectInt(Cmd(c(), {"APPEND", key, std::string("\0\r\n", 3)}), static_cast<long long>(value.size() + 3));
  ExpectBulk(Cmd(c(), {"GETRANGE", key, "0", "1"}), "\r\n");
  ExpectInt(Cmd(c(), {"EXISTS", key, "k"}), 1);  // not the same key as its prefix before the NUL
  ExpectBulks(Cmd(c(), {"KEYS", "k?ey*"}), {key});
  const std::string key2 = std::string("\0", 1);
  ASSERT_TRUE(ExpectOk(Cmd(c(), {"RENAME", key, key2})));
  ExpectBulk(Cmd(c(), {"GET", key2}), value + std::string("\0\r\n", 3));

  const std::string field = std::string("f\0\r\n", 4), member = std::string("m\r\n\0", 4);
  ExpectInt(Cmd(c(), {"HSET", "h\r\n", field, value, "plain", ""}), 2);
  ExpectBulks(Cmd(c(), {"HMGET", "h\r\n", field, "plain"}), {value, ""});
  const std::string zkey = std::string("z\0", 2);
  ExpectInt(Cmd(c(), {"ZADD", zkey, "1.5", member, "2", "plain"}), 2);
  ExpectBulks(Cmd(c(), {"ZRANGE", zkey, "0", "-1", "WITHSCORES"}), {member, "1.5", "plain", "2"});
  ExpectInt(Cmd(c(), {"EXISTS", "z"}), 0);

  // The same bytes through a raw socket: lengths frame them, nothing inside is a delimiter.
  RawConn raw(port());
  ExpectRaw(raw, Resp({"ECHO", std::string("a\0\r\nb", 5)}), std::string("$5\r\na\0\r\nb\r\n", 11));
  ExpectRaw(raw, Resp({"GET", key2}), "$" + std::to_string(value.size() + 3) + "\r\n" + value + std::string("\0\r\n\r\n", 5));
  // A NUL in a command name ends it in the error text (a C string), as in Redis.
  ExpectRaw(raw, std::string("*1\r\n$4\r\nPI\0G\r\n", 14), "-ERR unknown command 'PI', with args beginning with: \r\n");
  // In an inline request a NUL hides the line end: nothing runs, and the connection waits.
  RawConn inline_nul(port());
  ASSERT_TRUE(inline_nul.Send(std::string("ECHO a\0b\r\nPING\r\n", 16)));
  EXPECT_EQ(inline_nul.ReadAvailable(200), "");
  EXPECT_FALSE(inline_nul.peer_closed());
  ExpectUnharmed();
}

TEST_F(HostileTest, HundredThousandArgumentCommands) {
  constexpr int kPairs = 50000;
  std::vector<std::string> mset = {"MSET"}, mget = {"MGET"}, del = {"DEL"}, hset = {"HSET", "bigh"},
                           zadd = {"ZADD", "bigz"}, hdel = {"HDEL", "bigh"};
  for (int i = 0; i < kPairs; ++i) {
    std::string k = "key:" + std::to_string(i);
    mset.insert(mset.end(), {k, "v" + std::to_string(i)});
    mget.push_back(k);
    del.insert(del.end(), {k, "missing:" + std::to_string(i)});
    hset.insert(hset.end(), {"f" + std::to_string(i), std::to_string(i)});
    zadd.insert(zadd.end(), {std::to_string(i), "m" + std::to_string(i)});
    hdel.insert(hdel.end(), {"f" + std::to_string(i), "nof" + std::to_string(i)});
  }
  ASSERT_TRUE(ExpectOk(Cmd(c(), mset)));
  Reply r = Cmd(c(), mget);
  ASSERT_TRUE(ExpectArrayLen(r, kPairs));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "v0"));
  EXPECT_TRUE(IsBulk(Elem(r.get(), kPairs - 1), "v" + std::to_string(kPairs - 1)));
  ExpectInt(Cmd(c(), hset), kPairs);
  ExpectInt(Cmd(c(), zadd), kPairs);
  ExpectInt(Cmd(c(), {"HLEN", "bigh"}), kPairs);
  ExpectInt(Cmd(c(), {"ZCARD", "bigz"}), kPairs);
  ExpectInt(Cmd(c(), del), kPairs);
  // 100k arguments arriving in 1 KiB pieces.
  RawConn slow(port());
  std::string req = Resp(hdel);
  for (size_t at = 0; at < req.size(); at += 1024) ASSERT_TRUE(slow.Send(req.substr(at, 1024)));
  EXPECT_EQ(slow.Read(8, 10000), ":" + std::to_string(kPairs) + "\r\n");
  ExpectInt(Cmd(c(), {"EXISTS", "bigh", "key:0"}), 0);
  ExpectUnharmed();
}

TEST_F(HostileTest, FiftyThousandCommandPipelineInOneWrite) {
  RawConn conn(port());
  std::string req, expected;
  for (int i = 0; i < 10000; ++i) {
    std::string n = std::to_string(i);
    req += Resp({"SET", "p" + n, "v" + n}) + "INCR ctr\r\n" + Resp({"HSET", "ph", "f" + n, n}) +
           Resp({"ZADD", "pz", n, "m" + n}) + "GET p" + n + "\r\n";
    expected += "+OK\r\n:" + std::to_string(i + 1) + "\r\n:1\r\n:1\r\n$" + std::to_string(n.size() + 1) + "\r\nv" + n + "\r\n";
  }
  ASSERT_TRUE(conn.Send(req));
  std::string got = conn.Read(expected.size(), 30000);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "replies out of order, lost or doubled";
  EXPECT_EQ(conn.ReadAvailable(50), "");
  ExpectInt(Cmd(c(), {"HLEN", "ph"}), 10000);
  ExpectInt(Cmd(c(), {"ZCARD", "pz"}), 10000);
  ExpectUnharmed();
}

TEST_F(HostileTest, ClientsVanishingMidCommand) {
  long long baseline = SettledClients();
  const std::vector<std::string> partial = {
      "*3\r\n",
      "*3\r\n$3",
      "*3\r\n$3\r\nSE",
      "*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n",
      "*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n$100\r\nabc",
      "*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n$100000000\r\n" + std::string(1 << 20, 'g'),
      "*1000000\r\n$3\r\nSET\r\n$4\r\ngone\r\n",
      "SET gone v",
  };
  for (bool reset : {false, true}) {
    for (const std::string& bytes : partial) {
      RawConn conn(port());
      ASSERT_TRUE(conn.Send(bytes));
      if (reset) {  // an abortive close (RST) instead of a FIN
        linger l{1, 0};
        setsockopt(conn.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
    }
  }
  EXPECT_TRUE(WaitConnected(baseline)) << "connections left behind: " << ConnectedClients() - baseline;
  ExpectInt(Cmd(c(), {"EXISTS", "gone"}), 0);
  ExpectUnharmed();
}

TEST_F(HostileTest, MillionArgumentHeaderThenStall) {
  RawConn staller(port());
  ASSERT_TRUE(staller.Send("CLIENT ID\r\n"));
  std::string id = staller.ReadUntil("\r\n").substr(1);
  id.resize(id.size() - 2);
  ASSERT_TRUE(staller.Send("*1000000\r\n$3\r\nDEL\r\n$7\r\npre:bin\r\n"));
  EXPECT_EQ(staller.ReadAvailable(300), "");
  EXPECT_FALSE(staller.peer_closed());
  Reply list = Cmd(c(), {"CLIENT", "LIST", "ID", id});
  ASSERT_TRUE(list && list->type == REDIS_REPLY_STRING);
  std::string line(list->str, list->len);
  size_t q = line.find(" qbuf=");
  ASSERT_NE(q, std::string::npos) << line;
  EXPECT_LT(std::stoll(line.substr(q + 6)), 4096) << "a promise of a million arguments took memory: " << line;
  ExpectUnharmed();  // the DEL never ran
  staller.Close();
  ExpectUnharmed();
}

TEST_F(HostileTest, AllOfItAtOnce) {
  long long baseline = SettledClients();
  const std::vector<Case> malformed = {
      {"*1\r\n$-5\r\n", kBulkLen},       {"*1x\r\n", kMbulkLen},
      {"ECHO 'abc\r\n", kQuotes},        {"*1\r\n*1\r\n", "-ERR Protocol error: expected '$', got '*'\r\n"},
      {"*-0\r\n", kMbulkLen},            {"*1\r\n$99999999999999999999\r\n", kBulkLen},
  };
  std::atomic<int> bad_replies{0};
  std::vector<std::thread> attackers;
  attackers.emplace_back([&] {
    for (int round = 0; round < 20; ++round)
      for (const Case& tc : malformed) {
        RawConn conn(port());
        if (!conn.Send(tc.request) || conn.ReadUntilClosed(5000) != tc.reply) ++bad_replies;
      }
  });
  attackers.emplace_back([&] {
    for (int round = 0; round < 20; ++round) {
      RawConn stall(port());
      stall.Send("*1000000\r\n$3\r\nDEL\r\n$5\r\npre:n\r\n");
      RawConn half(port());
      half.Send("*3\r\n$3\r\nSET\r\n$5\r\npre:n\r\n$1000\r\nxyz");
      SleepMs(5);
    }
  });
  attackers.emplace_back([&] {
    Client big(port());
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < 50000; ++i) mset.insert(mset.end(), {"at:" + std::to_string(i), std::to_string(i)});
    for (int round = 0; round < 3; ++round)
      if (!IsStatus(Cmd(big, mset).get(), "OK")) ++bad_replies;
  });
  // Meanwhile the bystander keeps counting, one round trip at a time.
  for (int i = 0; i < 300; ++i) {
    ++bystander_writes_;
    if (!ExpectRaw(*bystander_, "INCR bystander\r\n", ":" + std::to_string(bystander_writes_) + "\r\n")) break;
  }
  for (std::thread& t : attackers) t.join();
  EXPECT_EQ(bad_replies.load(), 0);
  EXPECT_TRUE(WaitConnected(baseline)) << "connections left behind: " << ConnectedClients() - baseline;
  ExpectBulk(Cmd(c(), {"GET", "at:49999"}), "49999");
  ExpectUnharmed();
}

}  // namespace
}  // namespace tally_test
