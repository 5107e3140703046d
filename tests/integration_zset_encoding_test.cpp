// The compact ("listpack") form of small sorted sets, end to end: OBJECT ENCODING at each conversion
// boundary (listpack, then skiplist), the sets that store commands build, ZSCAN answering a listpack
// in one call with cursor 0, the zset-max-listpack-* settings (and their ziplist aliases) through
// CONFIG GET/SET and flags, every read and write giving the same replies on both forms, MEMORY USAGE,
// and what a restart with the log on rebuilds. Every test also passes against redis-server 7.0.15
// (TALLY_SERVER=/usr/bin/redis-server), which is where the expectations come from.
#include <map>
#include <string>
#include <vector>

#include "tests/harness.h"
#include "tests/integration_encoding_support.h"

namespace tally_test {
namespace {

const std::string k64(64, 'x'), k65(65, 'y');

// Shares one server; every test starts from Redis's default limits (tests change them).
class ZsetEncodingTest : public SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "128"}));
    ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-value", "64"}));
  }
  void TearDown() override {
    Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "128"});
    Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-value", "64"});
    SharedServerTest::TearDown();
  }
  // ZADD key first m<first> ... first+n-1 m<first+n-1>, one command.
  void Fill(const std::string& key, int n, int first = 0) {
    std::vector<std::string> args = {"ZADD", key};
    for (int i = first; i < first + n; ++i) {
      args.push_back(std::to_string(i));
      args.push_back("m" + std::to_string(i));
    }
    ExpectInt(Cmd(c(), args), n);
  }
};

TEST_F(ZsetEncodingTest, EntryLimitConvertsAt129AndNeverBack) {
  Fill("z", 128);
  EXPECT_EQ(Encoding(c(), "z"), "listpack");
  ExpectInt(Cmd(c(), {"ZADD", "z", "1000", "m0"}), 0);  // an update never converts
  EXPECT_EQ(Encoding(c(), "z"), "listpack");
  ExpectInt(Cmd(c(), {"ZADD", "z", "128", "m128"}), 1);  // the 129th member
  EXPECT_EQ(Encoding(c(), "z"), "skiplist");
  ExpectInt(Cmd(c(), {"ZCARD", "z"}), 129);
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "-2", "-1", "WITHSCORES"}), {"m128", "128", "m0", "1000"});
  std::vector<std::string> rem = {"ZREM", "z"};
  for (int i = 1; i <= 127; ++i) rem.push_back("m" + std::to_string(i));
  ExpectInt(Cmd(c(), rem), 127);
  EXPECT_EQ(Encoding(c(), "z"), "skiplist");  // two members left, still the tree
  // ZADD with many pairs converts in the same command once it passes the limit.
  Fill("many", 200);
  EXPECT_EQ(Encoding(c(), "many"), "skiplist");
}

TEST_F(ZsetEncodingTest, MemberLengthConvertsAt65Bytes) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", k64}), 2);
  EXPECT_EQ(Encoding(c(), "z"), "listpack");
  ExpectInt(Cmd(c(), {"ZADD", "z", "3", k65}), 1);
  EXPECT_EQ(Encoding(c(), "z"), "skiplist");
  ExpectInt(Cmd(c(), {"ZREM", "z", k65}), 1);
  EXPECT_EQ(Encoding(c(), "z"), "skiplist");
  ExpectInt(Cmd(c(), {"ZADD", "first", "1", k65}), 1);  // a new set's first member
  EXPECT_EQ(Encoding(c(), "first"), "skiplist");
  ExpectBulk(Cmd(c(), {"ZINCRBY", "incr", "5", "a"}), "5");
  EXPECT_EQ(Encoding(c(), "incr"), "listpack");
  ExpectBulk(Cmd(c(), {"ZINCRBY", "incr", "5", k65}), "5");
  EXPECT_EQ(Encoding(c(), "incr"), "skiplist");
}

// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE store a listpack whenever the result fits the
// limits, whatever their sources' forms.
TEST_F(ZsetEncodingTest, StoreCommandsBuildListpacksWhenTheyFit) {
  Fill("big", 300);
  Fill("small", 10);
  EXPECT_EQ(Encoding(c(), "big"), "skiplist");
  ExpectInt(Cmd(c(), {"ZINTERSTORE", "inter", "2", "big", "small"}), 10);
  EXPECT_EQ(Encoding(c(), "inter"), "listpack");
  ExpectInt(Cmd(c(), {"ZUNIONSTORE", "union", "2", "big", "small"}), 300);
  EXPECT_EQ(Encoding(c(), "union"), "skiplist");
  ExpectInt(Cmd(c(), {"ZRANGESTORE", "range", "big", "0", "127"}), 128);
  EXPECT_EQ(Encoding(c(), "range"), "listpack");
  ExpectInt(Cmd(c(), {"ZRANGESTORE", "range", "big", "0", "128"}), 129);
  EXPECT_EQ(Encoding(c(), "range"), "skiplist");
  ExpectInt(Cmd(c(), {"ZDIFFSTORE", "diff", "2", "big", "range"}), 171);
  EXPECT_EQ(Encoding(c(), "diff"), "skiplist");
  ExpectInt(Cmd(c(), {"ZADD", "long", "1", k65, "2", "b"}), 2);
  ExpectInt(Cmd(c(), {"ZUNIONSTORE", "u2", "2", "small", "long"}), 12);
  EXPECT_EQ(Encoding(c(), "u2"), "skiplist");
  ExpectInt(Cmd(c(), {"ZRANGESTORE", "r2", "long", "1", "1"}), 1);  // just "b"
  EXPECT_EQ(Encoding(c(), "r2"), "listpack");
  ExpectBulks(Cmd(c(), {"ZRANGE", "inter", "0", "1", "WITHSCORES"}), {"m0", "0", "m1", "2"});
}

TEST_F(ZsetEncodingTest, ZscanAnswersAListpackInOneCall) {
  Fill("z", 100);
  Reply r = Cmd(c(), {"ZSCAN", "z", "0", "COUNT", "1"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  EXPECT_EQ(std::string(Elem(r.get(), 0)->str), "0");
  std::vector<std::string> all = Strings(Elem(r.get(), 1));
  ASSERT_EQ(all.size(), 200u);
  for (int i = 0; i < 100; ++i) {  // in order, each with its score
    EXPECT_EQ(all[2 * i], "m" + std::to_string(i));
    EXPECT_EQ(all[2 * i + 1], std::to_string(i));
  }
  // Any cursor gets the whole set; MATCH filters it.
  Reply m = Cmd(c(), {"ZSCAN", "z", "12345", "MATCH", "m9*"});
  ASSERT_TRUE(ExpectArrayLen(m, 2));
  EXPECT_EQ(std::string(Elem(m.get(), 0)->str), "0");
  EXPECT_EQ(Strings(Elem(m.get(), 1)).size(), 22u);  // m9, m90..m99
  // A skiplist is scanned by cursor: COUNT 1 stops early.
  Fill("big", 300);
  Reply b = Cmd(c(), {"ZSCAN", "big", "0", "COUNT", "1"});
  ASSERT_TRUE(ExpectArrayLen(b, 2));
  EXPECT_NE(std::string(Elem(b.get(), 0)->str), "0");
  EXPECT_LT(Strings(Elem(b.get(), 1)).size(), 200u);
}

// ZSCAN returns a listpack's scores as the listpack stores them: an integral score up to 2^62 in
// magnitude as an integer, where ZRANGE (and ZSCAN over a skiplist) print %.17g.
TEST_F(ZsetEncodingTest, ZscanShowsAListpacksScoresAsStored) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "123456789012345678", "a", "4611686018427387904", "b", "9.2e18", "c", "0.1", "d",
                      "-1e17", "e", "-inf", "f"}),
            6);
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
              {"f", "-inf", "e", "-1e+17", "d", "0.10000000000000001", "a", "1.2345678901234568e+17", "b",
               "4.6116860184273879e+18", "c", "9.2e+18"});
  Reply r = Cmd(c(), {"ZSCAN", "z", "0"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  EXPECT_EQ(Strings(Elem(r.get(), 1)),
            (std::vector<std::string>{"f", "-inf", "e", "-100000000000000000", "d", "0.10000000000000001", "a",
                                      "123456789012345680", "b", "4611686018427387904", "c", "9.2e+18"}));
  Fill("z", 200);  // a skiplist now: %.17g again
  Reply m = Cmd(c(), {"ZSCAN", "z", "0", "MATCH", "a", "COUNT", "1000"});
  ASSERT_TRUE(ExpectArrayLen(m, 2));
  EXPECT_EQ(Strings(Elem(m.get(), 1)), (std::vector<std::string>{"a", "1.2345678901234568e+17"}));
}

// A score of -0 is kept by a skiplist and read as 0 from a listpack, which stores the text "0" for it:
// so it depends on the form the set had when the score was written (passes against redis-server too).
TEST_F(ZsetEncodingTest, NegativeZeroKeptOnlyByASkiplist) {
  ExpectInt(Cmd(c(), {"ZADD", "lp", "-0", "a"}), 1);
  ExpectBulk(Cmd(c(), {"ZSCORE", "lp", "a"}), "0");
  ExpectBulk(Cmd(c(), {"ZINCRBY", "lp", "-0", "b"}), "-0");  // the reply is the score as computed
  ExpectBulk(Cmd(c(), {"ZSCORE", "lp", "b"}), "0");
  Fill("sl", 200);
  ExpectInt(Cmd(c(), {"ZADD", "sl", "-0", "a"}), 1);
  ExpectBulk(Cmd(c(), {"ZSCORE", "sl", "a"}), "-0");
  ExpectBulk(Cmd(c(), {"ZINCRBY", "sl", "-0", "b"}), "-0");
  ExpectBulk(Cmd(c(), {"ZSCORE", "sl", "b"}), "-0");
  ExpectInt(Cmd(c(), {"ZADD", "sl", "0", "a"}), 0);  // equal to -0: no change
  ExpectBulk(Cmd(c(), {"ZSCORE", "sl", "a"}), "-0");
  // Sets the store commands build: a skiplist result keeps it, a listpack one does not.
  ExpectInt(Cmd(c(), {"ZUNIONSTORE", "u", "1", "sl"}), 202);
  ExpectBulk(Cmd(c(), {"ZSCORE", "u", "a"}), "-0");
  ExpectInt(Cmd(c(), {"ZRANGESTORE", "r", "sl", "0", "1"}), 2);  // a and b
  EXPECT_EQ(Encoding(c(), "r"), "listpack");
  ExpectBulk(Cmd(c(), {"ZSCORE", "r", "a"}), "0");
}

// The same members in a listpack and in a skiplist answer every command the same way.
TEST_F(ZsetEncodingTest, BothFormsAnswerAlike) {
  const std::vector<std::string> pairs = {"1", "a", "1", "b", "2", "c", "-5", "d", "1.5", "e", "inf", "f", "-inf", "g",
                                          "0", "h", "0", "i", "300", "j", "-300", "k", "70000", "l", "2.5e-300", "m"};
  std::vector<std::string> add = {"ZADD", "lp"};
  add.insert(add.end(), pairs.begin(), pairs.end());
  ExpectInt(Cmd(c(), add), 13);
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "0"}));
  add[1] = "sl";
  ExpectInt(Cmd(c(), add), 13);
  ASSERT_EQ(Encoding(c(), "lp"), "listpack");
  ASSERT_EQ(Encoding(c(), "sl"), "skiplist");
  const std::vector<std::vector<std::string>> reads = {
      {"ZRANGE", "$", "0", "-1", "WITHSCORES"},
      {"ZRANGE", "$", "2", "-3"},
      {"ZREVRANGE", "$", "0", "4", "WITHSCORES"},
      {"ZRANGE", "$", "(0", "300", "BYSCORE", "LIMIT", "1", "3", "WITHSCORES"},
      {"ZRANGE", "$", "+inf", "(1", "BYSCORE", "REV"},
      {"ZRANGEBYSCORE", "$", "-inf", "+inf", "LIMIT", "2", "-1"},
      {"ZREVRANGEBYSCORE", "$", "2", "-5", "WITHSCORES", "LIMIT", "0", "3"},
      {"ZRANGEBYLEX", "$", "[b", "(i"},
      {"ZREVRANGEBYLEX", "$", "+", "-", "LIMIT", "1", "4"},
      {"ZLEXCOUNT", "$", "-", "+"},
      {"ZCOUNT", "$", "(0", "+inf"},
      {"ZRANK", "$", "e"},
      {"ZREVRANK", "$", "e"},
      {"ZRANK", "$", "nope"},
      {"ZSCORE", "$", "m"},
      {"ZMSCORE", "$", "a", "nope", "f", "g"},
      {"ZCARD", "$"},
      {"ZRANDMEMBER", "$", "20", "WITHSCORES"},  // the whole set, in Redis's order
      {"ZRANGE", "$", "0", "0", "BYLEX"},
  };
  // Runs each command ("$" stands for the key) on both sets and compares the replies.
  auto same_on_both = [this](const std::vector<std::vector<std::string>>& cmds) {
    for (const auto& cmd : cmds) {
      std::vector<std::string> a = cmd, b = cmd;
      a[1] = "lp";
      b[1] = "sl";
      EXPECT_EQ(Describe(Cmd(c(), a).get()), Describe(Cmd(c(), b).get())) << cmd[0];
    }
  };
  same_on_both(reads);
  const std::vector<std::vector<std::string>> writes = {
      {"ZINCRBY", "$", "10", "a"},
      {"ZADD", "$", "GT", "CH", "0", "b", "5", "c"},
      {"ZADD", "$", "XX", "INCR", "-1", "h"},
      {"ZREM", "$", "j", "nope"},
      {"ZPOPMIN", "$", "2"},
      {"ZPOPMAX", "$"},
      {"ZREMRANGEBYSCORE", "$", "(1", "3"},
      {"ZREMRANGEBYRANK", "$", "1", "2"},
      {"ZREMRANGEBYLEX", "$", "-", "[d"},
      {"ZRANGE", "$", "0", "-1", "WITHSCORES"},
  };
  same_on_both(writes);
  EXPECT_EQ(Encoding(c(), "lp"), "listpack");
}

TEST_F(ZsetEncodingTest, MemoryUsageDropsForListpacks) {
  Fill("lp", 100);
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "0"}));
  Fill("sl", 100);
  Reply lp = Cmd(c(), {"MEMORY", "USAGE", "lp"});
  Reply sl = Cmd(c(), {"MEMORY", "USAGE", "sl"});
  ASSERT_TRUE(lp && lp->type == REDIS_REPLY_INTEGER) << Describe(lp.get());
  ASSERT_TRUE(sl && sl->type == REDIS_REPLY_INTEGER) << Describe(sl.get());
  EXPECT_LT(lp->integer * 4, sl->integer) << lp->integer << " vs " << sl->integer;
  EXPECT_GT(lp->integer, 100 * 3);  // at least the members' bytes
}

TEST_F(ZsetEncodingTest, ConfigGetAndSetWithAliases) {
  EXPECT_EQ(ConfigGet(c(), "zset-max-*"), (std::map<std::string, std::string>{{"zset-max-listpack-entries", "128"},
                                                                               {"zset-max-listpack-value", "64"},
                                                                               {"zset-max-ziplist-entries", "128"},
                                                                               {"zset-max-ziplist-value", "64"}}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-ziplist-entries", "3"}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-value", "1kb"}));
  EXPECT_EQ(ConfigGet(c(), "zset-max-listpack-entries"),
            (std::map<std::string, std::string>{{"zset-max-listpack-entries", "3"}}));
  EXPECT_EQ(ConfigGet(c(), "zset-max-ziplist-value"), (std::map<std::string, std::string>{{"zset-max-ziplist-value", "1024"}}));
  ExpectError(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "-1"}),
              "ERR CONFIG SET failed (possibly related to argument 'zset-max-listpack-entries') - argument must be "
              "between 0 and 9223372036854775807 inclusive");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "zset-max-ziplist-value", "abc"}),
              "ERR CONFIG SET failed (possibly related to argument 'zset-max-ziplist-value') - argument must be a "
              "memory value");
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", "b", "3", "c"}), 3);
  EXPECT_EQ(Encoding(c(), "z"), "listpack");
  ExpectInt(Cmd(c(), {"ZADD", "z", "4", "d"}), 1);
  EXPECT_EQ(Encoding(c(), "z"), "skiplist");
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "0"}));
  ExpectInt(Cmd(c(), {"ZADD", "none", "1", "a"}), 1);
  EXPECT_EQ(Encoding(c(), "none"), "skiplist");
}

// A lowered limit applies to later additions only: an existing listpack past it stays one through
// score updates, and converts on its next new member.
TEST_F(ZsetEncodingTest, ConfigSetAffectsLaterWritesOnly) {
  Fill("z", 10);
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "zset-max-listpack-entries", "5"}));
  EXPECT_EQ(Encoding(c(), "z"), "listpack");
  ExpectInt(Cmd(c(), {"ZADD", "z", "XX", "CH", "100", "m0", "-1", "m9"}), 2);
  EXPECT_EQ(Encoding(c(), "z"), "listpack");
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "0", "0"}), {"m9"});
  ExpectInt(Cmd(c(), {"ZADD", "z", "5", "new"}), 1);
  EXPECT_EQ(Encoding(c(), "z"), "skiplist");
  ExpectInt(Cmd(c(), {"ZCARD", "z"}), 11);
}

TEST(ZsetEncodingFlagsTest, LimitsFromFlagsAndAliases) {
  auto s = StartServer({"--zset-max-ziplist-entries", "2", "--zset-max-listpack-value", "4"});
  ASSERT_TRUE(s);
  Client c(s->port());
  EXPECT_EQ(ConfigGet(c, "zset-max-listpack-entries"), (std::map<std::string, std::string>{{"zset-max-listpack-entries", "2"}}));
  ExpectInt(Cmd(c, {"ZADD", "a", "1", "abcd", "2", "x"}), 2);
  EXPECT_EQ(Encoding(c, "a"), "listpack");
  ExpectInt(Cmd(c, {"ZADD", "b", "1", "abcde"}), 1);
  EXPECT_EQ(Encoding(c, "b"), "skiplist");
  ExpectInt(Cmd(c, {"ZADD", "a", "3", "y"}), 1);
  EXPECT_EQ(Encoding(c, "a"), "skiplist");
}

// With the log on, a restart replays the writes as they ran: a set that became a tree and shrank back
// is still a skiplist. A rewrite (BGREWRITEAOF) snapshots it, and the next start loads it by its size:
// a listpack again (Redis: AOF replay vs. its RDB preamble). Scores come back exactly.
TEST(ZsetEncodingRestartTest, SmallSetsSurviveRestartWithEncoding) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ExpectInt(Cmd(c, {"ZADD", "small", "1.5", "c", "-7", "a", "1e300", "b", "0", "d"}), 4);
    ExpectInt(Cmd(c, {"ZADD", "shrunk", "1", "x", "2", k65}), 2);
    ExpectInt(Cmd(c, {"ZREM", "shrunk", k65}), 1);
    ExpectInt(Cmd(c, {"ZADD", "big", "1", k65}), 1);
    EXPECT_EQ(Encoding(c, "shrunk"), "skiplist");
  }
  auto check = [&s](const std::string& shrunk_encoding) {
    Client c(s->port());
    EXPECT_EQ(Encoding(c, "small"), "listpack");
    ExpectBulks(Cmd(c, {"ZRANGE", "small", "0", "-1", "WITHSCORES"}),
                {"a", "-7", "d", "0", "c", "1.5", "b", "1.0000000000000001e+300"});
    EXPECT_EQ(Encoding(c, "shrunk"), shrunk_encoding);
    ExpectBulks(Cmd(c, {"ZRANGE", "shrunk", "0", "-1", "WITHSCORES"}), {"x", "1"});
    EXPECT_EQ(Encoding(c, "big"), "skiplist");
  };
  ASSERT_TRUE(Shutdown(*s));
  ASSERT_TRUE(RestartLoaded(*s));
  check("skiplist");
  {
    Client c(s->port());
    ASSERT_TRUE(RewriteLog(c));
  }
  ASSERT_TRUE(Shutdown(*s));
  ASSERT_TRUE(RestartLoaded(*s));
  check("listpack");
}

}  // namespace
}  // namespace tally_test
