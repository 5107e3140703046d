// Sorted-set commands end to end through hiredis (and a raw socket for RESP3 bytes), checked against
// redis-server 7.0.15 as well. Nothing here depends on Redis's encodings: no OBJECT ENCODING, full
// ZSCAN loops, and the big sets (past Redis's 128-entry listpack limit) are checked the same way as
// the small ones. Blocking pops that wait are covered by integration_blocking_test.cpp.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

const char kWrongType[] = "WRONGTYPE Operation against a key holding the wrong kind of value";

class ZsetTest : public SharedServerTest {
 protected:
  // Every member/score of `key` through a full ZSCAN loop.
  std::map<std::string, std::string> ScanAll(const std::string& key) {
    std::map<std::string, std::string> out;
    std::string cursor = "0";
    for (int calls = 0; calls < 100000; ++calls) {
      Reply r = Cmd(c(), {"ZSCAN", key, cursor, "COUNT", "7"});
      if (!r || !ExpectArrayLen(r, 2)) break;
      cursor = Elem(r.get(), 0)->str;
      std::vector<std::string> flat = Strings(Elem(r.get(), 1));
      for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
      if (cursor == "0") break;
    }
    EXPECT_EQ(cursor, "0");
    return out;
  }
  std::vector<std::string> Args(std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  }
};

TEST_F(ZsetTest, AddScoreRankRemove) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", "b", "3", "c"}), 3);
  ExpectInt(Cmd(c(), {"ZADD", "z", "CH", "1", "a", "5", "b", "4", "d"}), 2);
  ExpectStatus(Cmd(c(), {"TYPE", "z"}), "zset");
  ExpectInt(Cmd(c(), {"ZCARD", "z"}), 4);
  ExpectBulk(Cmd(c(), {"ZSCORE", "z", "b"}), "5");
  ExpectNil(Cmd(c(), {"ZSCORE", "z", "zz"}));
  ExpectInt(Cmd(c(), {"ZRANK", "z", "c"}), 1);
  ExpectInt(Cmd(c(), {"ZREVRANK", "z", "c"}), 2);
  ExpectNil(Cmd(c(), {"ZRANK", "z", "zz"}));
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "0", "-1", "WITHSCORES"}), {"a", "1", "c", "3", "d", "4", "b", "5"});
  ExpectInt(Cmd(c(), {"ZREM", "z", "a", "zz"}), 1);
  ExpectInt(Cmd(c(), {"ZREM", "z", "b", "c", "d"}), 3);
  ExpectInt(Cmd(c(), {"EXISTS", "z"}), 0);  // the last member took the key with it
  ExpectInt(Cmd(c(), {"ZCARD", "z"}), 0);
}

TEST_F(ZsetTest, AddOptionsAndErrors) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "NX", "1", "a"}), 1);
  ExpectInt(Cmd(c(), {"ZADD", "z", "NX", "9", "a"}), 0);
  ExpectInt(Cmd(c(), {"ZADD", "z", "XX", "1", "new"}), 0);
  ExpectInt(Cmd(c(), {"ZADD", "z", "GT", "CH", "0", "a", "2", "b"}), 1);
  ExpectInt(Cmd(c(), {"ZADD", "z", "LT", "CH", "0", "a"}), 1);
  ExpectBulk(Cmd(c(), {"ZADD", "z", "INCR", "2.5", "a"}), "2.5");
  ExpectNil(Cmd(c(), {"ZADD", "z", "XX", "INCR", "1", "missing"}));
  ExpectNil(Cmd(c(), {"ZADD", "z", "GT", "INCR", "-1", "a"}));
  ExpectError(Cmd(c(), {"ZADD", "z", "NX", "XX", "1", "a"}), "ERR XX and NX options at the same time are not compatible");
  ExpectError(Cmd(c(), {"ZADD", "z", "GT", "LT", "1", "a"}),
              "ERR GT, LT, and/or NX options at the same time are not compatible");
  ExpectError(Cmd(c(), {"ZADD", "z", "INCR", "1", "a", "2", "b"}),
              "ERR INCR option supports a single increment-element pair");
  ExpectError(Cmd(c(), {"ZADD", "z", "1", "a", "2"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"ZADD", "z", "nan", "a"}), "ERR value is not a valid float");
  ExpectError(Cmd(c(), {"ZADD", "z", "1", "a", "x", "b"}), "ERR value is not a valid float");
  ExpectError(Cmd(c(), {"ZINCRBY", "z", "nx", "a"}), "ERR syntax error");  // read as an option, as Redis does
  ExpectInt(Cmd(c(), {"ZADD", "z", "+inf", "top"}), 1);
  ExpectError(Cmd(c(), {"ZINCRBY", "z", "-inf", "top"}), "ERR resulting score is not a number (NaN)");
  ExpectBulk(Cmd(c(), {"ZSCORE", "z", "top"}), "inf");
  ExpectError(Cmd(c(), {"ZADD", "z"}), "ERR wrong number of arguments for 'zadd' command");
  ExpectOk(Cmd(c(), {"SET", "s", "v"}));
  ExpectError(Cmd(c(), {"ZADD", "s", "1", "a"}), kWrongType);
  ExpectError(Cmd(c(), {"ZRANGE", "s", "0", "-1"}), kWrongType);
  ExpectError(Cmd(c(), {"ZPOPMIN", "s"}), kWrongType);
  ExpectError(Cmd(c(), {"ZUNION", "2", "z", "s"}), kWrongType);
}

TEST_F(ZsetTest, ScoresPrintLikeRedis) {
  ExpectBulk(Cmd(c(), {"ZINCRBY", "z", "0.1", "m"}), "0.10000000000000001");
  ExpectBulk(Cmd(c(), {"ZINCRBY", "z", "0.2", "m"}), "0.30000000000000004");
  ExpectInt(Cmd(c(), {"ZADD", "z", "1e300", "big", "-inf", "low", "0x10", "hex", "-0", "zero"}), 4);
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
              {"low", "-inf", "zero", "0", "m", "0.30000000000000004", "hex", "16", "big", "1.0000000000000001e+300"});
}

TEST_F(ZsetTest, RangesByScoreAndLex) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), 5);
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "(1", "4", "BYSCORE", "LIMIT", "1", "2"}), {"c", "d"});
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "+inf", "(2", "BYSCORE", "REV", "WITHSCORES"}),
              {"e", "5", "d", "4", "c", "3"});
  ExpectBulks(Cmd(c(), {"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "3", "-1"}), {"d", "e"});
  ExpectBulks(Cmd(c(), {"ZREVRANGEBYSCORE", "z", "3", "-inf"}), {"c", "b", "a"});
  ExpectInt(Cmd(c(), {"ZCOUNT", "z", "(1", "(5"}), 3);
  ExpectError(Cmd(c(), {"ZCOUNT", "z", "x", "1"}), "ERR min or max is not a float");
  ExpectError(Cmd(c(), {"ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"}),
              "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  ExpectError(Cmd(c(), {"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}),
              "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  ExpectInt(Cmd(c(), {"ZADD", "lex", "0", "apple", "0", "banana", "0", "cherry", "0", "date"}), 4);
  ExpectBulks(Cmd(c(), {"ZRANGE", "lex", "[b", "(d", "BYLEX"}), {"banana", "cherry"});
  ExpectBulks(Cmd(c(), {"ZREVRANGEBYLEX", "lex", "+", "(b", "LIMIT", "0", "2"}), {"date", "cherry"});
  ExpectInt(Cmd(c(), {"ZLEXCOUNT", "lex", "-", "+"}), 4);
  ExpectError(Cmd(c(), {"ZLEXCOUNT", "lex", "a", "+"}), "ERR min or max not valid string range item");
  ExpectInt(Cmd(c(), {"ZREMRANGEBYLEX", "lex", "-", "(c"}), 2);
  ExpectInt(Cmd(c(), {"ZREMRANGEBYSCORE", "z", "(1", "3"}), 2);
  ExpectInt(Cmd(c(), {"ZREMRANGEBYRANK", "z", "0", "0"}), 1);
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "0", "-1"}), {"d", "e"});
  ExpectInt(Cmd(c(), {"ZRANGESTORE", "dst", "z", "0", "0"}), 1);
  ExpectBulks(Cmd(c(), {"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), {"d", "4"});
  ExpectInt(Cmd(c(), {"ZRANGESTORE", "dst", "z", "5", "9"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "dst"}), 0);
}

TEST_F(ZsetTest, BinarySafeMembers) {
  std::string bin("\0\r\n\xff x", 6), big(100000, 'm');
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", bin, "2", big, "3", ""}), 3);
  ExpectBulk(Cmd(c(), {"ZSCORE", "z", bin}), "1");
  ExpectBulk(Cmd(c(), {"ZSCORE", "z", ""}), "3");
  ExpectBulks(Cmd(c(), {"ZRANGE", "z", "0", "-1"}), {bin, big, ""});
  ExpectInt(Cmd(c(), {"ZADD", "lex", "0", bin, "0", "", "0", "\xff"}), 3);
  ExpectBulks(Cmd(c(), {"ZRANGEBYLEX", "lex", "-", "+"}), {"", bin, "\xff"});
  ExpectBulks(Cmd(c(), {"ZRANGEBYLEX", "lex", "(", "+"}), {bin, "\xff"});
}

// A leaderboard past Redis's listpack limit, written through a pipeline: ZINCRBY, ZREVRANGE and
// ZREVRANK agree with a model.
TEST_F(ZsetTest, LeaderboardThroughPipeline) {
  std::mt19937 gen(42);
  std::map<std::string, long long> points;
  const int kUpdates = 5000;
  for (int i = 0; i < kUpdates; ++i) {
    std::string player = "player:" + std::to_string(gen() % 700);
    long long add = gen() % 1000;
    points[player] += add;
    Append(c(), {"ZINCRBY", "board", std::to_string(add), player});
  }
  for (int i = 0; i < kUpdates; ++i) {
    Reply r = GetReply(c());
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING) << i;
  }
  std::vector<std::pair<long long, std::string>> order;
  for (const auto& [p, s] : points) order.push_back({s, p});
  std::sort(order.rbegin(), order.rend());  // highest score first; ties: higher member first
  ExpectInt(Cmd(c(), {"ZCARD", "board"}), static_cast<long long>(order.size()));
  std::vector<std::string> top;
  for (int i = 0; i < 10; ++i) {
    top.push_back(order[i].second);
    top.push_back(std::to_string(order[i].first));
  }
  ExpectBulks(Cmd(c(), {"ZREVRANGE", "board", "0", "9", "WITHSCORES"}), top);
  for (size_t i = 0; i < order.size(); i += 37) {
    ExpectInt(Cmd(c(), {"ZREVRANK", "board", order[i].second}), static_cast<long long>(i));
  }
  // The same page by score with LIMIT.
  Reply page = Cmd(c(), {"ZREVRANGEBYSCORE", "board", "+inf", "-inf", "LIMIT", "100", "5"});
  std::vector<std::string> want;
  for (size_t i = 100; i < 105; ++i) want.push_back(order[i].second);
  ExpectBulks(page, want);
}

TEST_F(ZsetTest, PopsAndMpop) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}), 4);
  ExpectBulks(Cmd(c(), {"ZPOPMIN", "z"}), {"a", "1"});
  ExpectBulks(Cmd(c(), {"ZPOPMAX", "z", "2"}), {"d", "4", "c", "3"});
  ExpectArrayLen(Cmd(c(), {"ZPOPMIN", "nokey"}), 0);
  ExpectError(Cmd(c(), {"ZPOPMIN", "z", "-1"}), "ERR value is out of range, must be positive");
  Reply r = Cmd(c(), {"ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "5"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "z"));
  ASSERT_TRUE(IsArrayLen(Elem(r.get(), 1), 1));
  EXPECT_TRUE(IsBulks(Elem(Elem(r.get(), 1), 0), {"b", "2"}));
  ExpectInt(Cmd(c(), {"EXISTS", "z"}), 0);
  r = Cmd(c(), {"ZMPOP", "1", "z", "MAX"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_NIL);
  ExpectError(Cmd(c(), {"ZMPOP", "0", "z", "MIN"}), "ERR numkeys should be greater than 0");
  ExpectError(Cmd(c(), {"ZMPOP", "1", "z", "MIN", "COUNT", "0"}), "ERR count should be greater than 0");
}

TEST_F(ZsetTest, SetAlgebra) {
  ExpectInt(Cmd(c(), {"ZADD", "a", "1", "x", "2", "y", "3", "z"}), 3);
  ExpectInt(Cmd(c(), {"ZADD", "b", "10", "y", "20", "z", "30", "w"}), 3);
  ExpectBulks(Cmd(c(), {"ZUNION", "2", "a", "b", "WITHSCORES"}), {"x", "1", "y", "12", "z", "23", "w", "30"});
  ExpectBulks(Cmd(c(), {"ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"}), {"y", "10", "z", "20"});
  ExpectBulks(Cmd(c(), {"ZDIFF", "2", "a", "b", "WITHSCORES"}), {"x", "1"});
  ExpectInt(Cmd(c(), {"ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "2", "0.5"}), 4);
  ExpectBulks(Cmd(c(), {"ZRANGE", "u", "0", "-1", "WITHSCORES"}), {"x", "2", "y", "9", "w", "15", "z", "16"});
  ExpectInt(Cmd(c(), {"ZINTERSTORE", "a", "2", "a", "b"}), 2);  // the destination is also an input
  ExpectBulks(Cmd(c(), {"ZRANGE", "a", "0", "-1", "WITHSCORES"}), {"y", "12", "z", "23"});
  ExpectInt(Cmd(c(), {"ZDIFFSTORE", "d", "2", "a", "a"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "d"}), 0);
  ExpectInt(Cmd(c(), {"ZINTERCARD", "2", "a", "b"}), 2);
  ExpectInt(Cmd(c(), {"ZINTERCARD", "2", "a", "b", "LIMIT", "1"}), 1);
  ExpectError(Cmd(c(), {"ZUNIONSTORE", "u", "0", "a"}), "ERR at least 1 input key is needed for 'zunionstore' command");
  ExpectError(Cmd(c(), {"ZUNION", "1", "a", "WEIGHTS", "x"}), "ERR weight value is not a float");
  ExpectError(Cmd(c(), {"ZINTERCARD", "1", "a", "LIMIT", "-1"}), "ERR LIMIT can't be negative");
  ExpectInt(Cmd(c(), {"ZADD", "inf", "inf", "p", "-inf", "n"}), 2);
  ExpectInt(Cmd(c(), {"ZADD", "ninf", "-inf", "p", "inf", "n"}), 2);
  ExpectBulks(Cmd(c(), {"ZUNION", "2", "inf", "ninf", "WITHSCORES"}), {"n", "0", "p", "0"});  // inf + -inf is 0
}

// Big inputs (past the listpack limit) give the same algebra as small ones.
TEST_F(ZsetTest, BigSetsAlgebraAndScan) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 300; ++i) {
    a.insert(a.end(), {std::to_string(i), "m" + std::to_string(i)});
    if (i % 3 == 0) b.insert(b.end(), {std::to_string(i * 2), "m" + std::to_string(i)});
  }
  ExpectInt(Cmd(c(), Args({"ZADD", "a"}, a)), 300);
  ExpectInt(Cmd(c(), Args({"ZADD", "b"}, b)), 100);
  ExpectInt(Cmd(c(), {"ZINTERSTORE", "i", "2", "a", "b"}), 100);
  ExpectBulks(Cmd(c(), {"ZRANGE", "i", "-2", "-1", "WITHSCORES"}), {"m294", "882", "m297", "891"});
  ExpectInt(Cmd(c(), {"ZDIFFSTORE", "d", "2", "a", "b"}), 200);
  ExpectInt(Cmd(c(), {"ZCOUNT", "d", "(0", "(10"}), 6);
  std::map<std::string, std::string> all = ScanAll("a");
  ASSERT_EQ(all.size(), 300u);
  EXPECT_EQ(all["m7"], "7");
  EXPECT_EQ(all["m299"], "299");
  Reply matched = Cmd(c(), {"ZSCAN", "b", "0", "MATCH", "m1??", "COUNT", "1000"});
  ASSERT_TRUE(ExpectArrayLen(matched, 2));
  std::vector<std::string> flat = Strings(Elem(matched.get(), 1));
  for (size_t i = 0; i < flat.size(); i += 2) EXPECT_EQ(flat[i].size(), 4u) << flat[i];
}

TEST_F(ZsetTest, RandMember) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", "b", "3", "c"}), 3);
  Reply r = Cmd(c(), {"ZRANDMEMBER", "z", "2"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  std::vector<std::string> two = Strings(r.get());
  EXPECT_NE(two[0], two[1]);
  ExpectBulks(Cmd(c(), {"ZRANDMEMBER", "z", "10", "WITHSCORES"}), {"c", "3", "b", "2", "a", "1"});
  ExpectArrayLen(Cmd(c(), {"ZRANDMEMBER", "z", "-7"}), 7);
  ExpectNil(Cmd(c(), {"ZRANDMEMBER", "nokey"}));
  ExpectArrayLen(Cmd(c(), {"ZRANDMEMBER", "nokey", "3"}), 0);
  ExpectError(Cmd(c(), {"ZRANDMEMBER", "z", "1", "WITHSCORE"}), "ERR syntax error");
}

TEST_F(ZsetTest, Resp3Shapes) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1.5", "a", "2", "b"}), 2);
  RawConn raw(port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send(Resp({"HELLO", "3"})));
  raw.ReadUntil("modules\r\n*0\r\n");
  const std::string a = "$1\r\na\r\n", b = "$1\r\nb\r\n";
  ExpectRaw(raw, Resp({"ZSCORE", "z", "a"}), ",1.5\r\n");
  ExpectRaw(raw, Resp({"ZSCORE", "z", "zz"}), "_\r\n");
  ExpectRaw(raw, Resp({"ZMSCORE", "z", "zz", "b"}), "*2\r\n_\r\n,2\r\n");
  ExpectRaw(raw, Resp({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "*2\r\n*2\r\n" + a + ",1.5\r\n*2\r\n" + b + ",2\r\n");
  ExpectRaw(raw, Resp({"ZUNION", "1", "z", "WITHSCORES"}), "*2\r\n*2\r\n" + a + ",1.5\r\n*2\r\n" + b + ",2\r\n");
  ExpectRaw(raw, Resp({"ZSCAN", "z", "0"}), "*2\r\n$1\r\n0\r\n*4\r\n" + a + "$3\r\n1.5\r\n" + b + "$1\r\n2\r\n");
  ExpectRaw(raw, Resp({"ZADD", "z", "XX", "INCR", "1", "zz"}), "_\r\n");
  ExpectRaw(raw, Resp({"ZPOPMIN", "z"}), "*2\r\n" + a + ",1.5\r\n");
  ExpectRaw(raw, Resp({"ZPOPMAX", "z", "1"}), "*1\r\n*2\r\n" + b + ",2\r\n");
  ExpectRaw(raw, Resp({"ZPOPMIN", "z", "1"}), "*0\r\n");
  ExpectRaw(raw, Resp({"ZMPOP", "1", "z", "MIN"}), "_\r\n");
  ExpectRaw(raw, Resp({"ZRANDMEMBER", "z"}), "_\r\n");
}

}  // namespace
}  // namespace tally_test
