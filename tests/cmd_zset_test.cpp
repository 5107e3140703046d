// In-process tests of the sorted-set family (cmd_zset.cpp, cmd_zset2.cpp, cmd_zset3.cpp). The
// expectations of the TEST_Fs up to "Hand-written tests" are the replies of redis-server 7.0.15 to
// the same commands (captured over a raw socket, FLUSHALL before each test); the rest check what a
// fixed transcript cannot: random replies, blocking pops without data, and a randomised comparison of
// ranges, counts and ranks with a naive model.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/cmd_fixture.h"
#include "thread_pool.h"

namespace tally {
namespace {

const std::string kWrongType = "-" + std::string(err::kWrongType) + "\r\n";
const std::string kSyntax = "-ERR syntax error\r\n";
const std::string kNotInt = "-ERR value is not an integer or out of range\r\n";
const std::string kNotFloat = "-ERR value is not a valid float\r\n";
const std::string kNilBulk = "$-1\r\n";
const std::string kNilArray = "*-1\r\n";
const std::string kNull3 = "_\r\n";
const std::string kEmptyArray = "*0\r\n";

class ZsetCmdTest : public CmdTest {
 protected:
  static std::string dbl3(std::string_view s) { return "," + std::string(s) + "\r\n"; }
};

TEST_F(ZsetCmdTest, ZaddBasicsAndCh) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "2", "b", "3", "c", "1", "a"}), integer(2));
  EXPECT_EQ(run({"ZADD", "k", "CH", "1", "a", "5", "b", "6", "d"}), integer(2));
  EXPECT_EQ(run({"ZADD", "k", "1", "dup", "2", "dup"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "CH", "3", "dup", "4", "dup"}), integer(2));
  EXPECT_EQ(run({"ZADD", "k", "ch", "NX", "9", "a", "9", "e"}), integer(1));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("c"), bulk("3"), bulk("dup"), bulk("4"), bulk("b"), bulk("5"), bulk("d"), bulk("6"), bulk("e"), bulk("9")}));
  EXPECT_EQ(run({"ZADD", "k", "XX", "1", "new"}), integer(0));
  EXPECT_EQ(run({"ZADD", "k", "XX", "CH", "7", "a", "7", "new"}), integer(1));
  EXPECT_EQ(run({"ZADD", "missing", "XX", "1", "a"}), integer(0));
  EXPECT_EQ(run({"EXISTS", "missing"}), integer(0));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("c"), bulk("3"), bulk("dup"), bulk("4"), bulk("b"), bulk("5"), bulk("d"), bulk("6"), bulk("a"), bulk("7"), bulk("e"), bulk("9")}));
}

TEST_F(ZsetCmdTest, ZaddGtLt) {
  EXPECT_EQ(run({"ZADD", "k", "5", "a"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "GT", "CH", "4", "a"}), integer(0));
  EXPECT_EQ(run({"ZADD", "k", "GT", "CH", "6", "a", "1", "b"}), integer(2));
  EXPECT_EQ(run({"ZADD", "k", "LT", "CH", "7", "a", "0", "b"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "XX", "GT", "CH", "100", "a", "100", "new"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "LT", "1", "c"}), integer(1));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("b"), bulk("0"), bulk("c"), bulk("1"), bulk("a"), bulk("100")}));
}

TEST_F(ZsetCmdTest, ZaddErrors) {
  EXPECT_EQ(run({"ZADD", "k"}), error("ERR wrong number of arguments for 'zadd' command"));
  EXPECT_EQ(run({"ZADD", "k", "1"}), error("ERR wrong number of arguments for 'zadd' command"));
  EXPECT_EQ(run({"ZADD", "k", "nx"}), error("ERR wrong number of arguments for 'zadd' command"));
  EXPECT_EQ(run({"ZADD", "k", "NX", "XX", "1"}), kSyntax);
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2"}), kSyntax);
  EXPECT_EQ(run({"ZADD", "k", "NX", "XX", "1", "a"}), error("ERR XX and NX options at the same time are not compatible"));
  EXPECT_EQ(run({"ZADD", "k", "GT", "LT", "1", "a"}), error("ERR GT, LT, and/or NX options at the same time are not compatible"));
  EXPECT_EQ(run({"ZADD", "k", "NX", "GT", "1", "a"}), error("ERR GT, LT, and/or NX options at the same time are not compatible"));
  EXPECT_EQ(run({"ZADD", "k", "nx", "lt", "1", "a"}), error("ERR GT, LT, and/or NX options at the same time are not compatible"));
  EXPECT_EQ(run({"ZADD", "k", "INCR", "1", "a", "2", "b"}), error("ERR INCR option supports a single increment-element pair"));
  EXPECT_EQ(run({"ZADD", "k", "INCR", "NX", "XX", "1", "a", "2", "b"}), error("ERR XX and NX options at the same time are not compatible"));
  EXPECT_EQ(run({"ZADD", "k", "abc", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "abc", "b"}), kNotFloat);
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"ZADD", "k", "nan", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "k", "1e400", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "k", " 1", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "k", "1 ", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "k", "", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "k", "1e-400", "a"}), kNotFloat);
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZADD", "s", "abc", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZADD", "s", "1", "a"}), kWrongType);
  EXPECT_EQ(run({"ZADD", "s", "XX", "1", "a"}), kWrongType);
  EXPECT_EQ(run({"GET", "s"}), bulk("v"));
}

TEST_F(ZsetCmdTest, ZaddScoreFormats) {
  EXPECT_EQ(run({"ZADD", "k", "0x10", "a", "-0", "b", "+inf", "c", "-inf", "d", "1.5e10", "e", "0.1", "f", "1e-5", "g", "123456789012345678", "h", "1E3", "i"}), integer(9));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("d"), bulk("-inf"), bulk("b"), bulk("0"), bulk("g"), bulk("1.0000000000000001e-05"), bulk("f"), bulk("0.10000000000000001"), bulk("a"), bulk("16"), bulk("i"), bulk("1000"), bulk("e"), bulk("15000000000"), bulk("h"), bulk("1.2345678901234568e+17"), bulk("c"), bulk("inf")}));
  EXPECT_EQ(run({"ZSCORE", "k", "b"}), bulk("0"));
  EXPECT_EQ(run({"ZADD", "k", "INCR", "-0", "m"}), bulk("-0"));
  EXPECT_EQ(run({"ZSCORE", "k", "m"}), bulk("0"));
}

TEST_F(ZsetCmdTest, ZaddIncrAndZincrby) {
  EXPECT_EQ(run({"ZADD", "k", "INCR", "1.5", "a"}), bulk("1.5"));
  EXPECT_EQ(run({"ZADD", "k", "INCR", "1", "a"}), bulk("2.5"));
  EXPECT_EQ(run({"ZINCRBY", "k", "0.1", "b"}), bulk("0.10000000000000001"));
  EXPECT_EQ(run({"ZINCRBY", "k", "0.2", "b"}), bulk("0.30000000000000004"));
  EXPECT_EQ(run({"ZINCRBY", "k", "1", "new"}), bulk("1"));
  EXPECT_EQ(run({"ZADD", "k", "XX", "INCR", "1", "zz"}), kNilBulk);
  EXPECT_EQ(run({"ZADD", "k", "NX", "INCR", "1", "a"}), kNilBulk);
  EXPECT_EQ(run({"ZADD", "k", "GT", "INCR", "-1", "a"}), kNilBulk);
  EXPECT_EQ(run({"ZADD", "k", "LT", "INCR", "1", "a"}), kNilBulk);
  EXPECT_EQ(run({"ZADD", "k", "GT", "INCR", "1", "a"}), bulk("3.5"));
  EXPECT_EQ(run({"ZADD", "k", "INCR", "0", "a"}), bulk("3.5"));
  EXPECT_EQ(run({"EXISTS", "zz"}), integer(0));
  EXPECT_EQ(run({"ZADD", "missing", "XX", "INCR", "1", "a"}), kNilBulk);
  EXPECT_EQ(run({"EXISTS", "missing"}), integer(0));
  EXPECT_EQ(run({"ZINCRBY", "k", "inf", "a"}), bulk("inf"));
  EXPECT_EQ(run({"ZINCRBY", "k", "-inf", "a"}), error("ERR resulting score is not a number (NaN)"));
  EXPECT_EQ(run({"ZADD", "k", "INCR", "-inf", "a"}), error("ERR resulting score is not a number (NaN)"));
  EXPECT_EQ(run({"ZSCORE", "k", "a"}), bulk("inf"));
  EXPECT_EQ(run({"ZINCRBY", "k", "abc", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZINCRBY", "k", "nan", "a"}), kNotFloat);
  EXPECT_EQ(run({"ZINCRBY", "k", "nx", "a"}), kSyntax);
  EXPECT_EQ(run({"ZINCRBY", "k", "incr", "a"}), kSyntax);
  EXPECT_EQ(run({"ZINCRBY", "y", "-0", "m"}), bulk("-0"));
  EXPECT_EQ(run({"ZSCORE", "y", "m"}), bulk("0"));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZINCRBY", "s", "1", "a"}), kWrongType);
  EXPECT_EQ(run({"ZINCRBY", "k", "1"}), error("ERR wrong number of arguments for 'zincrby' command"));
}

TEST_F(ZsetCmdTest, Zrem) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZREM", "k", "a", "zz", "a"}), integer(1));
  EXPECT_EQ(run({"ZREM", "missing", "a"}), integer(0));
  EXPECT_EQ(run({"ZREM", "k"}), error("ERR wrong number of arguments for 'zrem' command"));
  EXPECT_EQ(run({"ZREM", "k", "b", "c", "d"}), integer(2));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZREM", "s", "a"}), kWrongType);
}

TEST_F(ZsetCmdTest, PointReads) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "2.5", "c"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZCARD", "k"}), integer(3));
  EXPECT_EQ(run({"ZCARD", "missing"}), integer(0));
  EXPECT_EQ(run({"ZCARD", "s"}), kWrongType);
  EXPECT_EQ(run({"ZSCORE", "k", "c"}), bulk("2.5"));
  EXPECT_EQ(run({"ZSCORE", "k", "zz"}), kNilBulk);
  EXPECT_EQ(run({"ZSCORE", "missing", "a"}), kNilBulk);
  EXPECT_EQ(run({"ZSCORE", "s", "a"}), kWrongType);
  EXPECT_EQ(run({"ZMSCORE", "k", "a", "zz", "c"}), arr({bulk("1"), kNilBulk, bulk("2.5")}));
  EXPECT_EQ(run({"ZMSCORE", "missing", "a", "b"}), arr({kNilBulk, kNilBulk}));
  EXPECT_EQ(run({"ZMSCORE", "s", "a"}), kWrongType);
  EXPECT_EQ(run({"ZMSCORE", "k"}), error("ERR wrong number of arguments for 'zmscore' command"));
  EXPECT_EQ(run({"ZRANK", "k", "a"}), integer(0));
  EXPECT_EQ(run({"ZRANK", "k", "c"}), integer(2));
  EXPECT_EQ(run({"ZRANK", "k", "zz"}), kNilBulk);
  EXPECT_EQ(run({"ZRANK", "missing", "a"}), kNilBulk);
  EXPECT_EQ(run({"ZRANK", "s", "a"}), kWrongType);
  EXPECT_EQ(run({"ZREVRANK", "k", "a"}), integer(2));
  EXPECT_EQ(run({"ZREVRANK", "k", "c"}), integer(0));
  EXPECT_EQ(run({"ZREVRANK", "k", "zz"}), kNilBulk);
  EXPECT_EQ(run({"ZREVRANK", "s", "a"}), kWrongType);
  EXPECT_EQ(run({"ZRANK", "k", "a", "WITHSCORE"}), error("ERR wrong number of arguments for 'zrank' command"));
  EXPECT_EQ(run({"ZREVRANK", "k", "a", "WITHSCORE"}), error("ERR wrong number of arguments for 'zrevrank' command"));
}

TEST_F(ZsetCmdTest, RangeByRank) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), integer(5));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3"), bulk("d"), bulk("4"), bulk("e"), bulk("5")}));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "withscores", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3"), bulk("d"), bulk("4"), bulk("e"), bulk("5")}));
  EXPECT_EQ(run({"ZRANGE", "k", "1", "1"}), arr({bulk("b")}));
  EXPECT_EQ(run({"ZRANGE", "k", "3", "1"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "-100", "100"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "5", "10"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "-1", "-1"}), arr({bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-6", "-6"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "9223372036854775807"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-9223372036854775808", "0"}), arr({bulk("a")}));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "REV"}), arr({bulk("e"), bulk("d"), bulk("c"), bulk("b"), bulk("a")}));
  EXPECT_EQ(run({"ZRANGE", "k", "1", "-2", "REV", "WITHSCORES"}), arr({bulk("d"), bulk("4"), bulk("c"), bulk("3"), bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"ZREVRANGE", "k", "0", "1", "WITHSCORES"}), arr({bulk("e"), bulk("5"), bulk("d"), bulk("4")}));
  EXPECT_EQ(run({"ZREVRANGE", "k", "1", "3"}), arr({bulk("d"), bulk("c"), bulk("b")}));
  EXPECT_EQ(run({"ZREVRANGE", "k", "-2", "-1"}), arr({bulk("b"), bulk("a")}));
  EXPECT_EQ(run({"ZREVRANGE", "k", "0", "-1", "LIMIT", "0", "-1"}), arr({bulk("e"), bulk("d"), bulk("c"), bulk("b"), bulk("a")}));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "LIMIT", "0", "-1"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "missing", "0", "-1"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "missing", "0", "-1", "WITHSCORES"}), kEmptyArray);
}

TEST_F(ZsetCmdTest, RangeByScore) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), integer(5));
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE"}), arr({bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "(5", "BYSCORE", "WITHSCORES"}), arr({bulk("b"), bulk("2"), bulk("c"), bulk("3"), bulk("d"), bulk("4")}));
  EXPECT_EQ(run({"ZRANGE", "k", "3", "3", "BYSCORE"}), arr({bulk("c")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(3", "3", "BYSCORE"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "3", "(3", "BYSCORE"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "4", "2", "BYSCORE"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "2.5", "3.5", "BYSCORE"}), arr({bulk("c")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-inf", "+inf", "BYSCORE"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "inf", "-inf", "BYSCORE", "REV"}), arr({bulk("e"), bulk("d"), bulk("c"), bulk("b"), bulk("a")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-inf", "+inf", "BYSCORE", "REV"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "5", "(1", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"}), arr({bulk("d"), bulk("4"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"ZRANGE", "k", "5", "(1", "BYSCORE", "REV", "LIMIT", "3", "10", "WITHSCORES"}), arr({bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"ZRANGE", "k", "5", "(1", "BYSCORE", "REV", "LIMIT", "4", "10", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE", "LIMIT", "1", "2"}), arr({bulk("c"), bulk("d")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE", "LIMIT", "-1", "2"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE", "LIMIT", "1", "-2"}), arr({bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE", "LIMIT", "10", "2"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE", "LIMIT", "0", "0"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "(1", "5", "BYSCORE", "LIMIT", "0", "1", "LIMIT", "2", "1"}), arr({bulk("d")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(", "5", "BYSCORE"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "", "5", "BYSCORE"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", " 1", "5", "BYSCORE"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "0x1", "5", "BYSCORE"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "1e400", "5", "BYSCORE"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "-1e400", "5", "BYSCORE"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "1e-400", "(2", "BYSCORE"}), arr({bulk("a")}));
  EXPECT_EQ(run({"ZRANGEBYSCORE", "k", "-inf", "+inf", "LIMIT", "1", "1", "WITHSCORES"}), arr({bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"ZRANGEBYSCORE", "k", "(1", "(4", "WITHSCORES"}), arr({bulk("b"), bulk("2"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"ZREVRANGEBYSCORE", "k", "+inf", "-inf", "LIMIT", "0", "2"}), arr({bulk("e"), bulk("d")}));
  EXPECT_EQ(run({"ZREVRANGEBYSCORE", "k", "4", "2", "WITHSCORES"}), arr({bulk("d"), bulk("4"), bulk("c"), bulk("3"), bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"ZREVRANGEBYSCORE", "k", "2", "4"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "missing", "0", "1", "BYSCORE"}), kEmptyArray);
}

TEST_F(ZsetCmdTest, RangeByLex) {
  EXPECT_EQ(run({"ZADD", "k", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa", "0", ""}), integer(7));
  EXPECT_EQ(run({"ZRANGE", "k", "-", "+", "BYLEX"}), arr({bulk(""), bulk("a"), bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "[a", "+", "BYLEX"}), arr({bulk("a"), bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-", "[c", "BYLEX"}), arr({bulk(""), bulk("a"), bulk("aa"), bulk("b"), bulk("c")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-", "(c", "BYLEX"}), arr({bulk(""), bulk("a"), bulk("aa"), bulk("b")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(a", "(c", "BYLEX"}), arr({bulk("aa"), bulk("b")}));
  EXPECT_EQ(run({"ZRANGE", "k", "[b", "[b", "BYLEX"}), arr({bulk("b")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(b", "[b", "BYLEX"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "[c", "[b", "BYLEX"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "+", "-", "BYLEX"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "-", "-", "BYLEX"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "+", "+", "BYLEX"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "k", "[", "+", "BYLEX"}), arr({bulk(""), bulk("a"), bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(", "+", "BYLEX"}), arr({bulk("a"), bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "+", "-", "BYLEX", "REV"}), arr({bulk("e"), bulk("d"), bulk("c"), bulk("b"), bulk("aa"), bulk("a"), bulk("")}));
  EXPECT_EQ(run({"ZRANGE", "k", "(c", "-", "BYLEX", "REV"}), arr({bulk("b"), bulk("aa"), bulk("a"), bulk("")}));
  EXPECT_EQ(run({"ZRANGE", "k", "[d", "(a", "BYLEX", "REV", "LIMIT", "1", "1"}), arr({bulk("c")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-", "+", "BYLEX", "LIMIT", "1", "2"}), arr({bulk("a"), bulk("aa")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-", "+", "BYLEX", "LIMIT", "2", "-1"}), arr({bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGE", "k", "-", "+", "BYLEX", "LIMIT", "-1", "2"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "-", "+"}), arr({bulk(""), bulk("a"), bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "-", "+", "LIMIT", "2", "100"}), arr({bulk("aa"), bulk("b"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZREVRANGEBYLEX", "k", "+", "-", "LIMIT", "0", "2"}), arr({bulk("e"), bulk("d")}));
  EXPECT_EQ(run({"ZREVRANGEBYLEX", "k", "[c", "[a"}), arr({bulk("c"), bulk("b"), bulk("aa"), bulk("a")}));
  EXPECT_EQ(run({"ZREVRANGEBYLEX", "k", "[a", "[c"}), kEmptyArray);
  EXPECT_EQ(run({"ZLEXCOUNT", "k", "-", "+"}), integer(7));
  EXPECT_EQ(run({"ZLEXCOUNT", "k", "[b", "[c"}), integer(2));
  EXPECT_EQ(run({"ZLEXCOUNT", "k", "(a", "+"}), integer(5));
}

TEST_F(ZsetCmdTest, RangeErrors) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b"}), integer(2));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "LIMIT", "0", "1"}), error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "LIMIT", "0", "-2"}), error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "LIMIT", "a", "b"}), kNotInt);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "LIMIT", "0", "b"}), kNotInt);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "LIMIT", "0"}), kSyntax);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "BYSCORE", "BYSCORE"}), kSyntax);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "BYSCORE", "BYLEX"}), kSyntax);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "REV", "REV"}), kSyntax);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "FOO"}), kSyntax);
  EXPECT_EQ(run({"ZRANGE", "k", "-", "+", "BYLEX", "WITHSCORES"}), error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
  EXPECT_EQ(run({"ZRANGE", "k", "a", "b"}), kNotInt);
  EXPECT_EQ(run({"ZRANGE", "k", "0", "b"}), kNotInt);
  EXPECT_EQ(run({"ZRANGE", "k", "x", "5", "BYSCORE"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZRANGE", "k", "1", "x", "BYSCORE"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZRANGE", "k", "1 ", "5", "BYSCORE"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZRANGE", "k", "nan", "5", "BYSCORE"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZRANGE", "k", "(nan", "5", "BYSCORE"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZRANGE", "k", "a", "b", "BYLEX"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZRANGE", "k", "[a", "b", "BYLEX"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZRANGE", "k", "[a", "+x", "BYLEX"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZRANGE", "k", "", "+", "BYLEX"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZREVRANGE", "k", "0", "-1", "BYSCORE"}), kSyntax);
  EXPECT_EQ(run({"ZREVRANGE", "k", "0", "-1", "REV"}), kSyntax);
  EXPECT_EQ(run({"ZREVRANGE", "k", "0", "-1", "WITHSCORES", "LIMIT", "0", "1"}), error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
  EXPECT_EQ(run({"ZRANGEBYSCORE", "k", "-inf", "+inf", "REV"}), kSyntax);
  EXPECT_EQ(run({"ZRANGEBYSCORE", "k", "-inf", "+inf", "BYSCORE"}), kSyntax);
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "-", "+", "WITHSCORES"}), error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "-", "+", "BYLEX"}), kSyntax);
  EXPECT_EQ(run({"ZRANGE", "missing", "x", "y"}), kNotInt);
  EXPECT_EQ(run({"ZRANGE", "missing", "0", "1", "BYLEX"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZRANGE", "s", "0", "-1"}), kWrongType);
  EXPECT_EQ(run({"ZRANGE", "s", "x", "y"}), kNotInt);
  EXPECT_EQ(run({"ZRANGE", "k", "0"}), error("ERR wrong number of arguments for 'zrange' command"));
  EXPECT_EQ(run({"ZRANGEBYSCORE", "k", "0"}), error("ERR wrong number of arguments for 'zrangebyscore' command"));
}

TEST_F(ZsetCmdTest, RangeStore) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), integer(5));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "0", "-1"}), integer(5));
  EXPECT_EQ(run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3"), bulk("d"), bulk("4"), bulk("e"), bulk("5")}));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "0", "-1", "WITHSCORES"}), kSyntax);
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "(1", "4", "BYSCORE", "LIMIT", "1", "2"}), integer(2));
  EXPECT_EQ(run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), arr({bulk("c"), bulk("3"), bulk("d"), bulk("4")}));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "[b", "+", "BYLEX", "REV"}), integer(0));
  EXPECT_EQ(run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "0", "-1", "LIMIT", "0", "1"}), error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "10", "20"}), integer(0));
  EXPECT_EQ(run({"EXISTS", "dst"}), integer(0));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "0", "0"}), integer(1));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "missing", "0", "-1"}), integer(0));
  EXPECT_EQ(run({"EXISTS", "dst"}), integer(0));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "s", "0", "-1"}), kWrongType);
  EXPECT_EQ(run({"ZRANGESTORE", "s", "k", "0", "0"}), integer(1));
  EXPECT_EQ(run({"TYPE", "s"}), std::string("+zset\r\n"));
  EXPECT_EQ(run({"ZRANGESTORE", "k", "k", "1", "2"}), integer(2));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("b"), bulk("2"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"ZRANGESTORE", "dst", "k", "0"}), error("ERR wrong number of arguments for 'zrangestore' command"));
}

TEST_F(ZsetCmdTest, Counts) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), integer(5));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZCOUNT", "k", "-inf", "+inf"}), integer(5));
  EXPECT_EQ(run({"ZCOUNT", "k", "(1", "3"}), integer(2));
  EXPECT_EQ(run({"ZCOUNT", "k", "3", "1"}), integer(0));
  EXPECT_EQ(run({"ZCOUNT", "k", "3", "3"}), integer(1));
  EXPECT_EQ(run({"ZCOUNT", "k", "(3", "3"}), integer(0));
  EXPECT_EQ(run({"ZCOUNT", "k", "x", "1"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZCOUNT", "missing", "0", "1"}), integer(0));
  EXPECT_EQ(run({"ZCOUNT", "missing", "x", "1"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZCOUNT", "s", "0", "1"}), kWrongType);
  EXPECT_EQ(run({"ZCOUNT", "s", "x", "1"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZLEXCOUNT", "k", "x", "y"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZLEXCOUNT", "missing", "-", "+"}), integer(0));
  EXPECT_EQ(run({"ZLEXCOUNT", "s", "-", "+"}), kWrongType);
  EXPECT_EQ(run({"ZLEXCOUNT", "s", "x", "+"}), error("ERR min or max not valid string range item"));
}

TEST_F(ZsetCmdTest, RemRangeByRank) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), integer(5));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "k", "x", "1"}), kNotInt);
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "missing", "0", "1"}), integer(0));
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "s", "0", "1"}), kWrongType);
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "k", "1", "-2"}), integer(3));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1"}), arr({bulk("a"), bulk("e")}));
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "k", "5", "10"}), integer(0));
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "k", "1", "0"}), integer(0));
  EXPECT_EQ(run({"ZREMRANGEBYRANK", "k", "0", "-1"}), integer(2));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
}

TEST_F(ZsetCmdTest, RemRangeByScoreAndLex) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), integer(5));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZREMRANGEBYSCORE", "k", "x", "1"}), error("ERR min or max is not a float"));
  EXPECT_EQ(run({"ZREMRANGEBYSCORE", "k", "(1", "(3"}), integer(1));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1"}), arr({bulk("a"), bulk("c"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZREMRANGEBYSCORE", "k", "10", "20"}), integer(0));
  EXPECT_EQ(run({"ZREMRANGEBYSCORE", "s", "10", "20"}), kWrongType);
  EXPECT_EQ(run({"ZREMRANGEBYSCORE", "missing", "10", "20"}), integer(0));
  EXPECT_EQ(run({"ZREMRANGEBYSCORE", "k", "-inf", "inf"}), integer(4));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"ZADD", "k", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"}), integer(5));
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "k", "x", "y"}), error("ERR min or max not valid string range item"));
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "k", "(a", "[c"}), integer(2));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1"}), arr({bulk("a"), bulk("d"), bulk("e")}));
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "s", "-", "+"}), kWrongType);
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "missing", "-", "+"}), integer(0));
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "k", "-", "+"}), integer(3));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
}

TEST_F(ZsetCmdTest, PopMinMax) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d"}), integer(4));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZPOPMIN", "k"}), arr({bulk("a"), bulk("1")}));
  EXPECT_EQ(run({"ZPOPMAX", "k"}), arr({bulk("d"), bulk("4")}));
  EXPECT_EQ(run({"ZPOPMIN", "k", "0"}), kEmptyArray);
  EXPECT_EQ(run({"ZPOPMAX", "k", "10"}), arr({bulk("c"), bulk("3"), bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZPOPMIN", "k", "2"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"ZPOPMAX", "k", "1"}), arr({bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"ZPOPMIN", "missing"}), kEmptyArray);
  EXPECT_EQ(run({"ZPOPMIN", "missing", "0"}), kEmptyArray);
  EXPECT_EQ(run({"ZPOPMIN", "missing", "2"}), kEmptyArray);
  EXPECT_EQ(run({"ZPOPMIN", "k", "-1"}), error("ERR value is out of range, must be positive"));
  EXPECT_EQ(run({"ZPOPMIN", "k", "x"}), error("ERR value is out of range, must be positive"));
  EXPECT_EQ(run({"ZPOPMIN", "missing", "-1"}), error("ERR value is out of range, must be positive"));
  EXPECT_EQ(run({"ZPOPMIN", "k", "1", "2"}), kSyntax);
  EXPECT_EQ(run({"ZPOPMIN", "s"}), kWrongType);
  EXPECT_EQ(run({"ZPOPMAX", "s", "1"}), kWrongType);
  EXPECT_EQ(run({"ZPOPMIN", "s", "-1"}), error("ERR value is out of range, must be positive"));
}

TEST_F(ZsetCmdTest, Mpop) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN"}), arr({bulk("k"), arr({arr({bulk("a"), bulk("1")})})}));
  EXPECT_EQ(run({"ZMPOP", "2", "x", "k", "max", "COUNT", "5"}), arr({bulk("k"), arr({arr({bulk("c"), bulk("3")}), arr({bulk("b"), bulk("2")})})}));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN"}), kNilArray);
  EXPECT_EQ(run({"ZMPOP", "2", "missing", "s", "MIN"}), kWrongType);
  EXPECT_EQ(run({"ZMPOP", "2", "s", "missing", "MIN"}), kWrongType);
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZMPOP", "2", "k", "s", "MIN"}), arr({bulk("k"), arr({arr({bulk("a"), bulk("1")})})}));
  EXPECT_EQ(run({"ZMPOP", "2", "k", "s", "MAX", "count", "10"}), arr({bulk("k"), arr({arr({bulk("c"), bulk("3")}), arr({bulk("b"), bulk("2")})})}));
  EXPECT_EQ(run({"ZMPOP", "0", "k", "MIN"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(run({"ZMPOP", "-1", "k", "MIN"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(run({"ZMPOP", "abc", "k", "MIN"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(run({"ZMPOP", "2", "k", "MIN"}), kSyntax);
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN", "COUNT"}), kSyntax);
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN", "COUNT", "0"}), error("ERR count should be greater than 0"));
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN", "COUNT", "-1"}), error("ERR count should be greater than 0"));
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN", "COUNT", "x"}), error("ERR count should be greater than 0"));
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN", "COUNT", "2", "COUNT", "3"}), kSyntax);
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN", "FOO"}), kSyntax);
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIDDLE"}), kSyntax);
  EXPECT_EQ(run({"ZMPOP", "9223372036854775807", "k", "MIN"}), kSyntax);
  EXPECT_EQ(run({"ZMPOP", "1", "k"}), error("ERR wrong number of arguments for 'zmpop' command"));
}

TEST_F(ZsetCmdTest, BlockingPopsWithData) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"BZPOPMIN", "x", "k", "0"}), arr({bulk("k"), bulk("a"), bulk("1")}));
  EXPECT_EQ(run({"BZPOPMAX", "x", "k", "0.5"}), arr({bulk("k"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"BZPOPMIN", "k", "s", "0"}), arr({bulk("k"), bulk("b"), bulk("2")}));
  EXPECT_EQ(run({"BZPOPMIN", "s", "k", "0"}), kWrongType);
  EXPECT_EQ(run({"BZPOPMIN", "missing", "s", "0"}), kWrongType);
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"BZMPOP", "0", "2", "x", "k", "max", "COUNT", "2"}), arr({bulk("k"), arr({arr({bulk("c"), bulk("3")}), arr({bulk("b"), bulk("2")})})}));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b"}), integer(1));
  EXPECT_EQ(run({"BZMPOP", "1.5", "2", "x", "k", "MIN"}), arr({bulk("k"), arr({arr({bulk("a"), bulk("1")})})}));
  EXPECT_EQ(run({"BZMPOP", "0", "2", "missing", "s", "MIN"}), kWrongType);
}

TEST_F(ZsetCmdTest, BlockingPopsArguments) {
  EXPECT_EQ(run({"BZPOPMIN", "k", "abc"}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(run({"BZPOPMIN", "k", ""}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(run({"BZPOPMIN", "k", "nan"}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(run({"BZPOPMIN", "k", " 1"}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(run({"BZPOPMIN", "k", "-1"}), error("ERR timeout is negative"));
  EXPECT_EQ(run({"BZPOPMIN", "k", "-0.0011"}), error("ERR timeout is negative"));
  EXPECT_EQ(run({"BZPOPMIN", "k", "1e300"}), error("ERR timeout is negative"));
  EXPECT_EQ(run({"BZPOPMIN", "k", "inf"}), error("ERR timeout is negative"));
  EXPECT_EQ(run({"BZMPOP", "abc", "1", "k", "MIN"}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(run({"BZMPOP", "0.01", "0", "k", "MIN"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(run({"BZMPOP", "-1", "1", "k", "MIN"}), error("ERR timeout is negative"));
  EXPECT_EQ(run({"BZMPOP", "-1", "1", "k", "FOO"}), kSyntax);
  EXPECT_EQ(run({"BZMPOP", "0.01", "1", "k", "MIN", "COUNT", "0"}), error("ERR count should be greater than 0"));
  EXPECT_EQ(run({"BZMPOP", "abc", "1", "k", "MINX"}), kSyntax);
  EXPECT_EQ(run({"BZPOPMIN", "k"}), error("ERR wrong number of arguments for 'bzpopmin' command"));
  EXPECT_EQ(run({"BZMPOP", "0", "1", "k"}), error("ERR wrong number of arguments for 'bzmpop' command"));
}

TEST_F(ZsetCmdTest, RandMemberArguments) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing"}), kNilBulk);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "5"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "5", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "abc"}), kNotInt);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "5", "foo"}), kSyntax);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "5", "WITHSCORES", "x"}), kSyntax);
  EXPECT_EQ(run({"ZRANDMEMBER", "s"}), kWrongType);
  EXPECT_EQ(run({"ZRANDMEMBER", "s", "1"}), kWrongType);
  EXPECT_EQ(run({"ZRANDMEMBER", "s", "abc"}), kNotInt);
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "0"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "0", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "3"}), arr({bulk("c"), bulk("b"), bulk("a")}));
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "5", "withscores"}), arr({bulk("c"), bulk("3"), bulk("b"), bulk("2"), bulk("a"), bulk("1")}));
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "9223372036854775807"}), arr({bulk("c"), bulk("b"), bulk("a")}));
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "-9223372036854775808"}), error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "-9223372036854775807", "WITHSCORES"}), error("ERR value is out of range"));
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "-4611686018427387904", "WITHSCORES"}), error("ERR value is out of range"));
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "4611686018427387904", "WITHSCORES"}), error("ERR value is out of range"));
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "4611686018427387903", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANDMEMBER", "s", "-4611686018427387904", "WITHSCORES"}), error("ERR value is out of range"));
}

TEST_F(ZsetCmdTest, SetOpArguments) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZUNION", "0", "k"}), error("ERR at least 1 input key is needed for 'zunion' command"));
  EXPECT_EQ(run({"ZUNIONSTORE", "d", "0", "k"}), error("ERR at least 1 input key is needed for 'zunionstore' command"));
  EXPECT_EQ(run({"ZINTER", "-1", "k"}), error("ERR at least 1 input key is needed for 'zinter' command"));
  EXPECT_EQ(run({"ZINTERSTORE", "d", "-1", "k"}), error("ERR at least 1 input key is needed for 'zinterstore' command"));
  EXPECT_EQ(run({"ZDIFF", "0", "k"}), error("ERR at least 1 input key is needed for 'zdiff' command"));
  EXPECT_EQ(run({"ZDIFFSTORE", "d", "0", "k"}), error("ERR at least 1 input key is needed for 'zdiffstore' command"));
  EXPECT_EQ(run({"ZDIFF", "abc", "k"}), kNotInt);
  EXPECT_EQ(run({"ZINTERSTORE", "d", "x", "k"}), kNotInt);
  EXPECT_EQ(run({"ZUNION", "2", "k"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "9223372036854775807", "k"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "1", "2"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "x"}), error("ERR weight value is not a float"));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "nan"}), error("ERR weight value is not a float"));
  EXPECT_EQ(run({"ZUNION", "1", "k", "AGGREGATE"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "1", "k", "AGGREGATE", "foo"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "1", "k", "FOO"}), kSyntax);
  EXPECT_EQ(run({"ZUNIONSTORE", "d", "1", "k", "WITHSCORES"}), kSyntax);
  EXPECT_EQ(run({"ZDIFF", "1", "k", "WEIGHTS", "1"}), kSyntax);
  EXPECT_EQ(run({"ZDIFF", "1", "k", "AGGREGATE", "SUM"}), kSyntax);
  EXPECT_EQ(run({"ZUNION", "2", "k", "s"}), kWrongType);
  EXPECT_EQ(run({"ZUNION", "2", "s", "k", "WEIGHTS", "x"}), kWrongType);
  EXPECT_EQ(run({"ZUNION", "2", "missing", "s"}), kWrongType);
  EXPECT_EQ(run({"ZINTER", "2", "missing", "s"}), kWrongType);
  EXPECT_EQ(run({"ZDIFF", "2", "missing", "s"}), kWrongType);
  EXPECT_EQ(run({"ZUNIONSTORE", "d", "2", "k", "s"}), kWrongType);
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "x", "WITHSCORES"}), error("ERR weight value is not a float"));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "1", "WEIGHTS", "2", "WITHSCORES"}), arr({bulk("a"), bulk("2"), bulk("b"), bulk("4"), bulk("c"), bulk("6")}));
  EXPECT_EQ(run({"ZUNION", "1", "k", "AGGREGATE", "MIN", "AGGREGATE", "SUM", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"ZUNION", "1", "k"}), arr({bulk("a"), bulk("b"), bulk("c")}));
}

TEST_F(ZsetCmdTest, SetOpUnion) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZADD", "k2", "10", "b", "20", "c", "30", "d"}), integer(3));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"ZUNION", "2", "k", "k2"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d")}));
  EXPECT_EQ(run({"ZUNION", "2", "k", "k2", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("12"), bulk("c"), bulk("23"), bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZUNION", "2", "k", "k2", "WEIGHTS", "2", "0.5", "WITHSCORES"}), arr({bulk("a"), bulk("2"), bulk("b"), bulk("9"), bulk("d"), bulk("15"), bulk("c"), bulk("16")}));
  EXPECT_EQ(run({"ZUNION", "2", "k", "k2", "AGGREGATE", "MIN", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3"), bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZUNION", "2", "k", "k2", "AGGREGATE", "max", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("10"), bulk("c"), bulk("20"), bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZUNION", "3", "k", "k2", "missing", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("12"), bulk("c"), bulk("23"), bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZUNION", "2", "k", "k", "WITHSCORES"}), arr({bulk("a"), bulk("2"), bulk("b"), bulk("4"), bulk("c"), bulk("6")}));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "inf", "WITHSCORES"}), arr({bulk("a"), bulk("inf"), bulk("b"), bulk("inf"), bulk("c"), bulk("inf")}));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "0", "WITHSCORES"}), arr({bulk("a"), bulk("0"), bulk("b"), bulk("0"), bulk("c"), bulk("0")}));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WEIGHTS", "-1", "WITHSCORES"}), arr({bulk("c"), bulk("-3"), bulk("b"), bulk("-2"), bulk("a"), bulk("-1")}));
  EXPECT_EQ(run({"ZADD", "z", "1", "a", "1", "b", "1", "c", "2", "aa"}), integer(4));
  EXPECT_EQ(run({"ZUNION", "2", "z", "k2", "WEIGHTS", "1", "0", "WITHSCORES"}), arr({bulk("d"), bulk("0"), bulk("a"), bulk("1"), bulk("b"), bulk("1"), bulk("c"), bulk("1"), bulk("aa"), bulk("2")}));
  EXPECT_EQ(run({"ZADD", "t", "0.1", "a", "0.2", "b", "0.3", "c"}), integer(3));
  EXPECT_EQ(run({"ZUNION", "3", "t", "t", "t", "WITHSCORES"}), arr({bulk("a"), bulk("0.30000000000000004"), bulk("b"), bulk("0.60000000000000009"), bulk("c"), bulk("0.89999999999999991")}));
  EXPECT_EQ(run({"ZADD", "inf1", "-inf", "a", "inf", "b", "0", "c"}), integer(3));
  EXPECT_EQ(run({"ZADD", "inf2", "inf", "a", "-inf", "b", "5", "e"}), integer(3));
  EXPECT_EQ(run({"ZUNION", "2", "inf1", "inf2", "WITHSCORES"}), arr({bulk("a"), bulk("0"), bulk("b"), bulk("0"), bulk("c"), bulk("0"), bulk("e"), bulk("5")}));
  EXPECT_EQ(run({"ZUNION", "2", "inf1", "inf2", "WEIGHTS", "0", "1", "WITHSCORES"}), arr({bulk("b"), bulk("-inf"), bulk("c"), bulk("0"), bulk("e"), bulk("5"), bulk("a"), bulk("inf")}));
  EXPECT_EQ(run({"ZUNION", "2", "inf1", "inf2", "AGGREGATE", "MIN", "WITHSCORES"}), arr({bulk("a"), bulk("-inf"), bulk("b"), bulk("-inf"), bulk("c"), bulk("0"), bulk("e"), bulk("5")}));
}

TEST_F(ZsetCmdTest, SetOpInterAndDiff) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZADD", "k2", "10", "b", "20", "c", "30", "d"}), integer(3));
  EXPECT_EQ(run({"ZINTER", "2", "k", "k2"}), arr({bulk("b"), bulk("c")}));
  EXPECT_EQ(run({"ZINTER", "2", "k", "k2", "WITHSCORES"}), arr({bulk("b"), bulk("12"), bulk("c"), bulk("23")}));
  EXPECT_EQ(run({"ZINTER", "2", "k", "k2", "AGGREGATE", "MAX", "WITHSCORES"}), arr({bulk("b"), bulk("10"), bulk("c"), bulk("20")}));
  EXPECT_EQ(run({"ZINTER", "2", "k", "k2", "WEIGHTS", "0", "1", "AGGREGATE", "MIN", "WITHSCORES"}), arr({bulk("b"), bulk("0"), bulk("c"), bulk("0")}));
  EXPECT_EQ(run({"ZINTER", "2", "k", "k", "WITHSCORES"}), arr({bulk("a"), bulk("2"), bulk("b"), bulk("4"), bulk("c"), bulk("6")}));
  EXPECT_EQ(run({"ZINTER", "2", "k", "missing", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZADD", "t", "0.1", "a", "0.2", "b", "0.3", "c"}), integer(3));
  EXPECT_EQ(run({"ZINTER", "3", "t", "t", "t", "WITHSCORES"}), arr({bulk("a"), bulk("0.30000000000000004"), bulk("b"), bulk("0.60000000000000009"), bulk("c"), bulk("0.89999999999999991")}));
  EXPECT_EQ(run({"ZADD", "inf1", "-inf", "a", "inf", "b", "0", "c"}), integer(3));
  EXPECT_EQ(run({"ZADD", "inf2", "inf", "a", "-inf", "b", "5", "e"}), integer(3));
  EXPECT_EQ(run({"ZINTER", "2", "inf1", "inf2", "WITHSCORES"}), arr({bulk("a"), bulk("0"), bulk("b"), bulk("0")}));
  EXPECT_EQ(run({"ZDIFF", "1", "k", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3")}));
  EXPECT_EQ(run({"ZDIFF", "2", "k", "k2", "WITHSCORES"}), arr({bulk("a"), bulk("1")}));
  EXPECT_EQ(run({"ZDIFF", "2", "k", "k"}), kEmptyArray);
  EXPECT_EQ(run({"ZDIFF", "3", "k", "missing", "k2"}), arr({bulk("a")}));
  EXPECT_EQ(run({"ZDIFF", "2", "missing", "k"}), kEmptyArray);
  EXPECT_EQ(run({"ZDIFF", "2", "k2", "k"}), arr({bulk("d")}));
}

TEST_F(ZsetCmdTest, SetOpStore) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZADD", "k2", "10", "b", "20", "c", "30", "d"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZUNIONSTORE", "d", "2", "k", "k2"}), integer(4));
  EXPECT_EQ(run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("12"), bulk("c"), bulk("23"), bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZINTERSTORE", "d", "2", "k", "k2", "WEIGHTS", "1", "-1"}), integer(2));
  EXPECT_EQ(run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), arr({bulk("c"), bulk("-17"), bulk("b"), bulk("-8")}));
  EXPECT_EQ(run({"ZDIFFSTORE", "d", "2", "k2", "k"}), integer(1));
  EXPECT_EQ(run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), arr({bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZDIFFSTORE", "d", "2", "k", "k"}), integer(0));
  EXPECT_EQ(run({"EXISTS", "d"}), integer(0));
  EXPECT_EQ(run({"ZUNIONSTORE", "d", "1", "missing"}), integer(0));
  EXPECT_EQ(run({"EXISTS", "d"}), integer(0));
  EXPECT_EQ(run({"ZUNIONSTORE", "s", "1", "k"}), integer(3));
  EXPECT_EQ(run({"TYPE", "s"}), std::string("+zset\r\n"));
  EXPECT_EQ(run({"ZUNIONSTORE", "k", "2", "k", "k2"}), integer(4));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({bulk("a"), bulk("1"), bulk("b"), bulk("12"), bulk("c"), bulk("23"), bulk("d"), bulk("30")}));
  EXPECT_EQ(run({"ZINTERSTORE", "k", "2", "k", "missing"}), integer(0));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"ZADD", "z", "0", "a"}), integer(1));
  EXPECT_EQ(run({"ZUNIONSTORE", "zz", "1", "z", "WEIGHTS", "-1"}), integer(1));
  EXPECT_EQ(run({"ZSCORE", "zz", "a"}), bulk("0"));
  EXPECT_EQ(run({"ZUNION", "1", "z", "WEIGHTS", "-1", "WITHSCORES"}), arr({bulk("a"), bulk("-0")}));
}

TEST_F(ZsetCmdTest, InterCard) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b", "3", "c"}), integer(3));
  EXPECT_EQ(run({"ZADD", "k2", "10", "b", "20", "c", "30", "d"}), integer(3));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZINTERCARD", "2", "k", "k2"}), integer(2));
  EXPECT_EQ(run({"ZINTERCARD", "2", "k", "k2", "LIMIT", "1"}), integer(1));
  EXPECT_EQ(run({"ZINTERCARD", "2", "k", "k2", "LIMIT", "0"}), integer(2));
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "LIMIT", "2"}), integer(2));
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "LIMIT", "1", "LIMIT", "2"}), integer(2));
  EXPECT_EQ(run({"ZINTERCARD", "2", "k", "missing"}), integer(0));
  EXPECT_EQ(run({"ZINTERCARD", "2", "k", "s"}), kWrongType);
  EXPECT_EQ(run({"ZINTERCARD", "0", "k"}), error("ERR at least 1 input key is needed for 'zintercard' command"));
  EXPECT_EQ(run({"ZINTERCARD", "5", "k"}), kSyntax);
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "LIMIT", "-1"}), error("ERR LIMIT can't be negative"));
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "LIMIT", "x"}), error("ERR LIMIT can't be negative"));
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "LIMIT"}), kSyntax);
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "WITHSCORES"}), kSyntax);
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "WEIGHTS", "1"}), kSyntax);
  EXPECT_EQ(run({"ZINTERCARD", "1", "k", "AGGREGATE", "SUM"}), kSyntax);
}

TEST_F(ZsetCmdTest, Zscan) {
  EXPECT_EQ(run({"ZADD", "k", "1.5", "a", "2", "b", "0.1", "c", "-inf", "d", "-0", "e"}), integer(5));
  EXPECT_EQ(run({"SET", "s", "v"}), kOk);
  EXPECT_EQ(run({"ZSCAN", "k", "0"}), arr({bulk("0"), arr({bulk("d"), bulk("-inf"), bulk("e"), bulk("0"), bulk("c"), bulk("0.10000000000000001"), bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "0", "MATCH", "a*"}), arr({bulk("0"), arr({bulk("a"), bulk("1.5")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "0", "MATCH", "[ab]"}), arr({bulk("0"), arr({bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "0", "match", "*", "count", "1"}), arr({bulk("0"), arr({bulk("d"), bulk("-inf"), bulk("e"), bulk("0"), bulk("c"), bulk("0.10000000000000001"), bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "0", "MATCH", "z*", "COUNT", "100"}), arr({bulk("0"), kEmptyArray}));
  EXPECT_EQ(run({"ZSCAN", "k", "-1"}), arr({bulk("0"), arr({bulk("d"), bulk("-inf"), bulk("e"), bulk("0"), bulk("c"), bulk("0.10000000000000001"), bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZSCAN", "k", ""}), arr({bulk("0"), arr({bulk("d"), bulk("-inf"), bulk("e"), bulk("0"), bulk("c"), bulk("0.10000000000000001"), bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "18446744073709551615"}), arr({bulk("0"), arr({bulk("d"), bulk("-inf"), bulk("e"), bulk("0"), bulk("c"), bulk("0.10000000000000001"), bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(run({"ZSCAN", "k", "0", "COUNT", "-1"}), kSyntax);
  EXPECT_EQ(run({"ZSCAN", "k", "0", "COUNT", "x"}), kNotInt);
  EXPECT_EQ(run({"ZSCAN", "k", "0", "MATCH"}), kSyntax);
  EXPECT_EQ(run({"ZSCAN", "k", "0", "FOO", "bar"}), kSyntax);
  EXPECT_EQ(run({"ZSCAN", "k", "0", "TYPE", "string"}), kSyntax);
  EXPECT_EQ(run({"ZSCAN", "k", "x"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"ZSCAN", "k", "18446744073709551616"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"ZSCAN", "missing", "0"}), arr({bulk("0"), kEmptyArray}));
  EXPECT_EQ(run({"ZSCAN", "missing", "0", "COUNT", "0"}), arr({bulk("0"), kEmptyArray}));
  EXPECT_EQ(run({"ZSCAN", "s", "0"}), kWrongType);
  EXPECT_EQ(run({"ZSCAN", "s", "x"}), error("ERR invalid cursor"));
}

TEST_F(ZsetCmdTest, Resp3Replies) {
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"ZADD", "k", "1.5", "a", "2", "b"}), integer(2));
  EXPECT_EQ(run({"ZSCORE", "k", "a"}), dbl3("1.5"));
  EXPECT_EQ(run({"ZSCORE", "k", "zz"}), kNull3);
  EXPECT_EQ(run({"ZMSCORE", "k", "a", "zz"}), arr({dbl3("1.5"), kNull3}));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}), arr({arr({bulk("a"), dbl3("1.5")}), arr({bulk("b"), dbl3("2")})}));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1"}), arr({bulk("a"), bulk("b")}));
  EXPECT_EQ(run({"ZREVRANGE", "k", "0", "0", "WITHSCORES"}), arr({arr({bulk("b"), dbl3("2")})}));
  EXPECT_EQ(run({"ZRANGEBYSCORE", "k", "-inf", "inf", "WITHSCORES", "LIMIT", "0", "0"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGE", "missing", "0", "-1", "WITHSCORES"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANK", "k", "zz"}), kNull3);
  EXPECT_EQ(run({"ZADD", "k", "XX", "INCR", "1", "zz"}), kNull3);
  EXPECT_EQ(run({"ZINCRBY", "k", "1", "zz"}), dbl3("1"));
  EXPECT_EQ(run({"ZRANDMEMBER", "missing"}), kNull3);
  EXPECT_EQ(run({"ZRANDMEMBER", "missing", "1"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANDMEMBER", "k", "5", "WITHSCORES"}), arr({arr({bulk("b"), dbl3("2")}), arr({bulk("a"), dbl3("1.5")}), arr({bulk("zz"), dbl3("1")})}));
  EXPECT_EQ(run({"ZSCAN", "k", "0"}), arr({bulk("0"), arr({bulk("zz"), bulk("1"), bulk("a"), bulk("1.5"), bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"ZUNION", "1", "k", "WITHSCORES"}), arr({arr({bulk("zz"), dbl3("1")}), arr({bulk("a"), dbl3("1.5")}), arr({bulk("b"), dbl3("2")})}));
  EXPECT_EQ(run({"ZPOPMIN", "k"}), arr({bulk("zz"), dbl3("1")}));
  EXPECT_EQ(run({"ZPOPMIN", "k", "1"}), arr({arr({bulk("a"), dbl3("1.5")})}));
  EXPECT_EQ(run({"ZPOPMIN", "missing"}), kEmptyArray);
  EXPECT_EQ(run({"ZPOPMIN", "missing", "2"}), kEmptyArray);
  EXPECT_EQ(run({"ZADD", "k", "1.5", "a", "2", "b"}), integer(1));
  EXPECT_EQ(run({"ZPOPMAX", "k", "0"}), kEmptyArray);
  EXPECT_EQ(run({"ZMPOP", "1", "missing", "MIN"}), kNull3);
  EXPECT_EQ(run({"ZMPOP", "1", "k", "MIN"}), arr({bulk("k"), arr({arr({bulk("a"), dbl3("1.5")})})}));
  EXPECT_EQ(run({"ZADD", "k", "1.5", "a"}), integer(1));
  EXPECT_EQ(run({"BZPOPMIN", "k", "0"}), arr({bulk("k"), bulk("a"), dbl3("1.5")}));
  EXPECT_EQ(run({"ZADD", "k", "1.5", "a"}), integer(1));
  EXPECT_EQ(run({"BZMPOP", "0", "1", "k", "MAX"}), arr({bulk("k"), arr({arr({bulk("b"), dbl3("2")})})}));
  EXPECT_EQ(run({"ZINCRBY", "k", "inf", "zz"}), dbl3("inf"));
}

TEST_F(ZsetCmdTest, StoresReplaceValueAndTtl) {
  EXPECT_EQ(run({"ZADD", "k", "1", "a", "2", "b"}), integer(2));
  EXPECT_EQ(run({"SET", "d", "v", "EX", "100"}), kOk);
  EXPECT_EQ(run({"ZUNIONSTORE", "d", "1", "k"}), integer(2));
  EXPECT_EQ(run({"TTL", "d"}), integer(-1));
  EXPECT_EQ(run({"SET", "d", "v", "EX", "100"}), kOk);
  EXPECT_EQ(run({"ZRANGESTORE", "d", "k", "0", "0"}), integer(1));
  EXPECT_EQ(run({"TTL", "d"}), integer(-1));
  EXPECT_EQ(run({"ZRANGE", "d", "0", "-1"}), arr({bulk("a")}));
  EXPECT_EQ(run({"EXPIRE", "k", "100"}), integer(1));
  EXPECT_EQ(run({"ZADD", "k", "3", "c"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(100));
  EXPECT_EQ(run({"ZREM", "k", "a"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(100));
  EXPECT_EQ(run({"ZINTERSTORE", "d", "1", "k"}), integer(2));
  EXPECT_EQ(run({"TTL", "d"}), integer(-1));
}

TEST_F(ZsetCmdTest, LexRangeOverMixedScoresActsLikeSmallRedisSets) {
  // Redis leaves lex ranges over differing scores unspecified; small sets walk in score order.
  EXPECT_EQ(run({"ZADD", "k", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e"}), integer(5));
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "[b", "[d"}), arr({bulk("d"), bulk("a"), bulk("c"), bulk("b")}));
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "[b", "[d", "LIMIT", "2", "5"}), arr({bulk("c"), bulk("b")}));
  EXPECT_EQ(run({"ZREVRANGEBYLEX", "k", "[d", "[b"}), arr({bulk("b"), bulk("c")}));
  EXPECT_EQ(run({"ZREVRANGEBYLEX", "k", "[d", "[b", "LIMIT", "1", "1"}), arr({bulk("c")}));
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "-", "+"}), arr({bulk("d"), bulk("a"), bulk("c"), bulk("b"), bulk("e")}));
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "(e", "+"}), kEmptyArray);
  EXPECT_EQ(run({"ZRANGEBYLEX", "k", "-", "(a"}), kEmptyArray);
  EXPECT_EQ(run({"ZLEXCOUNT", "k", "[a", "[c"}), integer(0));
  EXPECT_EQ(run({"ZLEXCOUNT", "k", "[c", "[e"}), integer(5));
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "k", "[a", "[c"}), integer(0));
  EXPECT_EQ(run({"ZRANGE", "k", "0", "-1"}), arr({bulk("d"), bulk("a"), bulk("c"), bulk("b"), bulk("e")}));
}

// ---- Hand-written tests ----

// The bulk strings of a flat RESP2 array reply.
std::vector<std::string> bulks_of(const std::string& reply) {
  std::vector<std::string> out;
  std::size_t pos = reply.find("\r\n") + 2;
  while (pos < reply.size()) {
    std::size_t eol = reply.find("\r\n", pos);
    std::size_t len = std::stoul(reply.substr(pos + 1, eol - pos - 1));
    out.push_back(reply.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  return out;
}

// A sorted set lives inside its key's entry: RENAME moves it with the entry's bytes, COPY and MOVE
// build a new one in the new entry, and DEL of a set past kLazyFreeThreshold moves it out to the
// background queue first. Each in both forms (compact up to 128 members, a tree past that); under
// ASan, a set freed twice or left behind fails the run.
TEST_F(ZsetCmdTest, SetInTheEntryMovesCopiesAndFreesWithIt) {
  TaskQueue background;
  state_.keyspace->set_background(&background);
  for (int members : {3, 100, 300}) {
    SCOPED_TRACE(members);
    std::vector<std::string> add = {"ZADD", "a"};
    for (int i = 0; i < members; ++i) {
      add.push_back(std::to_string(i));
      add.push_back("m" + std::to_string(i));
    }
    ASSERT_EQ(run_vec(add), integer(members));
    const std::string all = run({"ZRANGE", "a", "0", "-1", "WITHSCORES"});
    const std::string enc = run({"OBJECT", "ENCODING", "a"});
    EXPECT_EQ(enc, bulk(members > 128 ? "skiplist" : "listpack"));
    EXPECT_EQ(run({"RENAME", "a", "b"}), kOk);
    EXPECT_EQ(run({"ZRANGE", "b", "0", "-1", "WITHSCORES"}), all);
    EXPECT_EQ(run({"OBJECT", "ENCODING", "b"}), enc);
    EXPECT_EQ(run({"ZADD", "b", "-1", "first"}), integer(1));  // the moved set still takes writes
    EXPECT_EQ(run({"ZRANK", "b", "first"}), integer(0));
    EXPECT_EQ(run({"COPY", "b", "c"}), integer(1));
    EXPECT_EQ(run({"ZREM", "b", "first"}), integer(1));
    EXPECT_EQ(run({"ZRANGE", "b", "0", "-1", "WITHSCORES"}), all);
    EXPECT_EQ(run({"ZSCORE", "c", "first"}), bulk("-1"));  // a deep copy
    EXPECT_EQ(run({"MOVE", "c", "1"}), integer(1));
    EXPECT_EQ(run({"SELECT", "1"}), kOk);
    EXPECT_EQ(run({"ZCARD", "c"}), integer(members + 1));
    EXPECT_EQ(run({"DEL", "c"}), integer(1));
    EXPECT_EQ(run({"SELECT", "0"}), kOk);
    EXPECT_EQ(run({"DEL", "b"}), integer(1));
    background.drain();
    EXPECT_EQ(run({"EXISTS", "a", "b"}), integer(0));
  }
  state_.keyspace->set_background(nullptr);
}

TEST_F(ZsetCmdTest, RandMemberDistinctAndRepeated) {
  std::vector<std::string> args = {"ZADD", "k"};
  for (int i = 0; i < 50; ++i) {
    args.push_back(std::to_string(i));
    args.push_back("m" + std::to_string(i));
  }
  ASSERT_EQ(run_vec(args), integer(50));
  for (int count : {1, 2, 10, 16, 17, 40, 49}) {  // both sampling strategies (count * 3 vs size)
    std::vector<std::string> got = bulks_of(run({"ZRANDMEMBER", "k", std::to_string(count)}));
    ASSERT_EQ(got.size(), static_cast<std::size_t>(count));
    std::set<std::string> distinct(got.begin(), got.end());
    EXPECT_EQ(distinct.size(), got.size()) << count;
    for (const auto& m : got) EXPECT_EQ(m.rfind('m', 0), 0u) << m;
  }
  // Negative counts repeat members: 500 picks out of 50 cannot all differ.
  std::vector<std::string> got = bulks_of(run({"ZRANDMEMBER", "k", "-500"}));
  ASSERT_EQ(got.size(), 500u);
  EXPECT_LT(std::set<std::string>(got.begin(), got.end()).size(), 500u);
  // WITHSCORES pairs every member with its own score.
  got = bulks_of(run({"ZRANDMEMBER", "k", "-20", "WITHSCORES"}));
  ASSERT_EQ(got.size(), 40u);
  for (std::size_t i = 0; i < got.size(); i += 2) EXPECT_EQ("m" + got[i + 1], got[i]);
  got = bulks_of(run({"ZRANDMEMBER", "k", "7", "WITHSCORES"}));
  ASSERT_EQ(got.size(), 14u);
  for (std::size_t i = 0; i < got.size(); i += 2) EXPECT_EQ("m" + got[i + 1], got[i]);
  std::string one = run({"ZRANDMEMBER", "k"});
  EXPECT_EQ(one.rfind("$", 0), 0u);
  EXPECT_NE(one.find("\r\nm"), std::string::npos);
  // A single member is always the one chosen.
  EXPECT_EQ(run({"ZADD", "one", "1", "x"}), integer(1));
  EXPECT_EQ(run({"ZRANDMEMBER", "one", "-3"}), arr({bulk("x"), bulk("x"), bulk("x")}));
  EXPECT_EQ(run({"ZRANDMEMBER", "one", "1", "WITHSCORES"}), arr({bulk("x"), bulk("1")}));
}

// Without data a blocking pop waits; an in-process client cannot be parked, so it gets the timeout
// reply at once (the server parks real connections).
TEST_F(ZsetCmdTest, BlockingPopsWithoutDataTimeOut) {
  EXPECT_EQ(run({"BZPOPMIN", "a", "b", "0"}), kNilArray);
  EXPECT_EQ(run({"BZPOPMAX", "a", "0.01"}), kNilArray);
  EXPECT_EQ(run({"BZMPOP", "0", "2", "a", "b", "MIN", "COUNT", "3"}), kNilArray);
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"BZPOPMIN", "a", "0"}), kNull3);
  EXPECT_EQ(run({"BZMPOP", "0", "1", "a", "MAX"}), kNull3);
}

TEST_F(ZsetCmdTest, CommandTableRows) {
  // Name, arity, flags, key positions and ACL categories as Redis reports them (key specs are the
  // command table's business, not the family's).
  const std::string zadd_info =
      "*1\r\n*10\r\n$4\r\nzadd\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n"
      "+@write\r\n+@sortedset\r\n+@fast\r\n*0\r\n";
  EXPECT_EQ(run({"COMMAND", "INFO", "zadd"}).substr(0, zadd_info.size()), zadd_info);
  const std::string bzpopmin_info =
      "*1\r\n*10\r\n$8\r\nbzpopmin\r\n:-3\r\n*4\r\n+write\r\n+noscript\r\n+blocking\r\n+fast\r\n:1\r\n:-2\r\n"
      ":1\r\n*4\r\n+@write\r\n+@sortedset\r\n+@fast\r\n+@blocking\r\n*0\r\n";
  EXPECT_EQ(run({"COMMAND", "INFO", "bzpopmin"}).substr(0, bzpopmin_info.size()), bzpopmin_info);
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            arr({bulk("d"), bulk("a"), bulk("b")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"}), arr({bulk("a"), bulk("b")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0"}), arr({bulk("a"), bulk("b")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"}), arr({bulk("d"), bulk("s")}));
}

// A naive model of a sorted set: Redis order is (score, member bytes), and std::string's operator<
// compares bytes as unsigned chars with the shorter of two prefixes first, exactly like Redis.
using Model = std::set<std::pair<double, std::string>>;

std::string resp_bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }

std::string model_reply(const std::vector<std::pair<double, std::string>>& items, bool withscores) {
  std::string out = "*" + std::to_string(items.size() * (withscores ? 2 : 1)) + "\r\n";
  for (const auto& [score, member] : items) {
    out += resp_bulk(member);
    if (withscores) out += resp_bulk(format_double(score));
  }
  return out;
}

// The members of `m` in [lo, hi] (bounds exclusive when asked), reversed when `rev`, then LIMIT
// offset/count as Redis applies them (negative offset: nothing; negative count: all the rest).
std::vector<std::pair<double, std::string>> model_range(const Model& m, double lo, bool loex, double hi, bool hiex,
                                                        bool rev, int64_t offset, int64_t count) {
  std::vector<std::pair<double, std::string>> in;
  for (const auto& it : m) {
    bool above = loex ? it.first > lo : it.first >= lo;
    bool below = hiex ? it.first < hi : it.first <= hi;
    if (above && below) in.push_back(it);
  }
  if (rev) std::reverse(in.begin(), in.end());
  std::vector<std::pair<double, std::string>> out;
  if (offset < 0) return out;
  for (std::size_t i = static_cast<std::size_t>(offset); i < in.size(); ++i) {
    if (count >= 0 && out.size() == static_cast<std::size_t>(count)) break;
    out.push_back(in[i]);
  }
  return out;
}

std::string bound(double v, bool ex) { return (ex ? "(" : "") + format_double(v); }

TEST_F(ZsetCmdTest, RandomisedRangesMatchModel) {
  std::mt19937 gen(12345);
  auto pick = [&gen](int n) { return static_cast<int>(gen() % static_cast<unsigned>(n)); };
  std::map<std::string, double> scores;
  Model m;
  for (int round = 0; round < 3000; ++round) {
    std::string member = "m" + std::to_string(pick(300));
    double score = pick(40) - 20;  // many ties
    int op = pick(10);
    if (op < 6) {
      run({"ZADD", "z", format_double(score), member});
      if (scores.count(member)) m.erase({scores[member], member});
      scores[member] = score;
      m.insert({score, member});
    } else if (op < 8) {
      run({"ZREM", "z", member});
      if (scores.count(member)) m.erase({scores[member], member});
      scores.erase(member);
    } else {
      std::string got = run({"ZINCRBY", "z", "3", member});
      double now = (scores.count(member) ? scores[member] : 0) + 3;
      if (scores.count(member)) m.erase({scores[member], member});
      scores[member] = now;
      m.insert({now, member});
      ASSERT_EQ(got, bulk(format_double(now)));
    }
    // Queries against the model.
    double lo = pick(50) - 25 + (pick(2) ? 0.5 : 0), hi = lo + pick(30);
    bool loex = pick(2), hiex = pick(2), rev = pick(2), ws = pick(2);
    int64_t offset = pick(8) - 1, count = pick(12) - 2;
    std::vector<std::string> cmd = {rev ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE", "z",
                                    rev ? bound(hi, hiex) : bound(lo, loex), rev ? bound(lo, loex) : bound(hi, hiex)};
    if (ws) cmd.push_back("WITHSCORES");
    if (pick(3)) {
      cmd.insert(cmd.end(), {"LIMIT", std::to_string(offset), std::to_string(count)});
    } else {
      offset = 0;
      count = -1;
    }
    ASSERT_EQ(run_vec(cmd), model_reply(model_range(m, lo, loex, hi, hiex, rev, offset, count), ws)) << round;
    ASSERT_EQ(run({"ZCOUNT", "z", bound(lo, loex), bound(hi, hiex)}),
              integer(static_cast<long long>(model_range(m, lo, loex, hi, hiex, false, 0, -1).size())));
    // Rank reads, by member and by index.
    int64_t rank = scores.count(member) ? std::distance(m.begin(), m.find({scores[member], member})) : -1;
    ASSERT_EQ(run({"ZRANK", "z", member}), rank < 0 ? kNilBulk : integer(rank));
    ASSERT_EQ(run({"ZREVRANK", "z", member}),
              rank < 0 ? kNilBulk : integer(static_cast<long long>(m.size()) - 1 - rank));
    int64_t start = pick(20) - 10, stop = pick(20) - 5;
    std::vector<std::pair<double, std::string>> all(m.begin(), m.end()), want;
    int64_t n = static_cast<int64_t>(all.size()), s = start < 0 ? std::max<int64_t>(start + n, 0) : start,
            e = std::min<int64_t>(stop < 0 ? stop + n : stop, n - 1);
    for (int64_t i = s; i <= e; ++i) want.push_back(all[static_cast<std::size_t>(n - 1 - i)]);
    ASSERT_EQ(run({"ZREVRANGE", "z", std::to_string(start), std::to_string(stop), "WITHSCORES"}),
              model_reply(want, true));
  }
  EXPECT_EQ(run({"ZCARD", "z"}), integer(static_cast<long long>(m.size())));
}

TEST_F(ZsetCmdTest, RandomisedLexRangesMatchModel) {
  std::mt19937 gen(777);
  auto word = [&gen] {
    std::string w;
    for (unsigned n = gen() % 4; n > 0; --n) w += "ab\xff"[gen() % 3];
    return w;
  };
  std::set<std::string> m;
  for (int i = 0; i < 40; ++i) {
    std::string w = word();
    run({"ZADD", "z", "0", w});
    m.insert(w);
  }
  auto lex_bound = [&gen, &word](std::string* text) {
    int kind = static_cast<int>(gen() % 6);
    if (kind == 0) *text = "-";
    else if (kind == 1) *text = "+";
    else *text = (kind % 2 ? "(" : "[") + word();
    return kind;
  };
  auto inside = [](const std::string& v, const std::string& b, bool is_min) {
    if (b == "-") return is_min;
    if (b == "+") return !is_min;
    std::string s = b.substr(1);
    bool ex = b[0] == '(';
    return is_min ? (ex ? v > s : v >= s) : (ex ? v < s : v <= s);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string lo, hi;
    lex_bound(&lo);
    lex_bound(&hi);
    std::vector<std::pair<double, std::string>> want;
    for (const auto& v : m)
      if (inside(v, lo, true) && inside(v, hi, false)) want.push_back({0, v});
    ASSERT_EQ(run({"ZLEXCOUNT", "z", lo, hi}), integer(static_cast<long long>(want.size())));
    ASSERT_EQ(run({"ZRANGEBYLEX", "z", lo, hi}), model_reply(want, false));
    std::reverse(want.begin(), want.end());
    ASSERT_EQ(run({"ZREVRANGEBYLEX", "z", hi, lo}), model_reply(want, false));
  }
  // Removing a lex range leaves exactly the rest.
  EXPECT_EQ(run({"ZREMRANGEBYLEX", "z", "[a", "(b"}),
            integer(static_cast<long long>(std::count_if(m.begin(), m.end(), [](const std::string& v) {
              return v >= "a" && v < "b";
            }))));
  EXPECT_EQ(run({"ZLEXCOUNT", "z", "[a", "(b"}), integer(0));
}

// A leaderboard: many ZINCRBYs, then the top of the board and ranks agree with a model.
TEST_F(ZsetCmdTest, LeaderboardStaysExact) {
  std::mt19937 gen(99);
  std::map<std::string, double> points;
  for (int i = 0; i < 20000; ++i) {
    std::string player = "p" + std::to_string(gen() % 2000);
    double add = static_cast<double>(gen() % 100);
    points[player] += add;
    ASSERT_EQ(run({"ZINCRBY", "board", format_double(add), player}), bulk(format_double(points[player])));
  }
  Model m;
  for (const auto& [p, s] : points) m.insert({s, p});
  std::vector<std::pair<double, std::string>> top(m.rbegin(), std::next(m.rbegin(), 10));
  EXPECT_EQ(run({"ZREVRANGE", "board", "0", "9", "WITHSCORES"}), model_reply(top, true));
  int64_t rank = 0;
  for (auto it = m.rbegin(); it != m.rend(); ++it, ++rank) {
    if (rank % 97) continue;
    ASSERT_EQ(run({"ZREVRANK", "board", it->second}), integer(rank));
  }
  EXPECT_EQ(run({"ZCARD", "board"}), integer(static_cast<long long>(m.size())));
}

}  // namespace
}  // namespace tally

namespace tally {

// Big sets page by cursor: a full ZSCAN returns every member exactly as stored (each at least once),
// calls return about COUNT members, and the cursor ends at 0. Members added during the scan do not
// make it lose the ones present throughout.
TEST_F(ZsetCmdTest, ZscanPagesLargeSetsByCursor) {
  std::set<std::string> all;
  for (int i = 0; i < 1000; ++i) {
    std::string m = "m" + std::to_string(i);
    all.insert(m);
    ASSERT_EQ(run({"ZADD", "big", std::to_string(i), m}), integer(1));
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::string reply = run({"ZSCAN", "big", cursor, "COUNT", "50"});
    // *2 $n cursor *k then member/score bulks
    std::size_t cur_start = reply.find("\r\n", reply.find('$')) + 2;
    cursor = reply.substr(cur_start, reply.find("\r\n", cur_start) - cur_start);
    std::size_t pos = reply.find('*', cur_start);
    std::size_t items = std::stoul(reply.substr(pos + 1));
    EXPECT_LE(items / 2, 200u);  // about COUNT per call (whole buckets), never the whole set
    pos = reply.find("\r\n", pos) + 2;
    for (std::size_t k = 0; k < items; ++k) {
      std::size_t nl = reply.find("\r\n", pos);
      std::size_t n = std::stoul(reply.substr(pos + 1, nl - pos - 1));
      std::string item = reply.substr(nl + 2, n);
      if (k % 2 == 0) seen.insert(item);
      pos = nl + 2 + n + 2;
    }
    if (calls == 3) {
      ASSERT_EQ(run({"ZADD", "big", "5000", "late"}), integer(1));
    }
    ++calls;
  } while (cursor != "0" && calls < 10000);
  EXPECT_EQ(cursor, "0");
  EXPECT_GT(calls, 5);
  for (const auto& m : all) {
    EXPECT_TRUE(seen.count(m)) << m;
  }
  // MATCH filters after counting, as in Redis.
  std::string r = run({"ZSCAN", "big", "0", "MATCH", "nomatch*", "COUNT", "1000000"});
  EXPECT_EQ(r, "*2\r\n$1\r\n0\r\n*0\r\n");
}

}  // namespace tally
