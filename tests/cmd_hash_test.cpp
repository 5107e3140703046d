// In-process tests of the hash family (cmd_hash.cpp). Expected bytes were checked against
// redis-server 7.0.15 over a raw socket. Small hashes are listpacks in both (hash.h), so their
// field order and one-call HSCAN are Redis's too; tests/integration_encoding_test.cpp covers those.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/cmd_fixture.h"
#include "thread_pool.h"

namespace tally {
namespace {

const std::string kWrongType = "-" + std::string(err::kWrongType) + "\r\n";
const std::string kSyntax = "-ERR syntax error\r\n";
const std::string kNotInt = "-ERR value is not an integer or out of range\r\n";
const std::string kNotFloat = "-ERR value is not a valid float\r\n";
const std::string kEmptyArray = "*0\r\n";

// A flat RESP array of bulk strings, decoded (nested arrays are flattened). Fails the test on
// anything else.
std::vector<std::string> bulks(const std::string& reply) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  auto line = [&]() {
    std::size_t end = reply.find("\r\n", pos);
    std::string l = reply.substr(pos, end - pos);
    pos = end + 2;
    return l;
  };
  while (pos < reply.size()) {
    std::string l = line();
    if (l[0] == '*' || l[0] == '%') continue;
    EXPECT_EQ(l[0], '$') << reply;
    std::size_t n = std::stoul(l.substr(1));
    out.push_back(reply.substr(pos, n));
    pos += n + 2;
  }
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class HashCmdTest : public CmdTest {
 protected:
  // Pairs of a flat field/value reply (HGETALL, HRANDFIELD WITHVALUES, HSCAN's second element),
  // sorted.
  static std::vector<std::pair<std::string, std::string>> pairs(const std::vector<std::string>& flat) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace_back(flat[i], flat[i + 1]);
    std::sort(out.begin(), out.end());
    return out;
  }
  void fill(const std::string& key, int n) {
    for (int i = 0; i < n; ++i) run({"HSET", key, "f" + std::to_string(i), "v" + std::to_string(i)});
  }
  void resp3() { client_.writer.set_resp(3); }
};

// ---- HSET, HMSET, HSETNX, HGET ----

TEST_F(HashCmdTest, HsetHget) {
  EXPECT_EQ(run({"HGET", "h", "a"}), kNil);
  EXPECT_EQ(run({"HSET", "h", "a", "1", "b", "2"}), integer(2));
  EXPECT_EQ(run({"HSET", "h", "a", "10", "c", "3"}), integer(1));  // only new fields count
  EXPECT_EQ(run({"HSET", "h", "c", "3", "c", "4"}), integer(0));   // a repeated field: the last wins
  EXPECT_EQ(run({"HGET", "h", "a"}), bulk("10"));
  EXPECT_EQ(run({"HGET", "h", "c"}), bulk("4"));
  EXPECT_EQ(run({"HGET", "h", "zz"}), kNil);
  EXPECT_EQ(run({"HSET", "h", "", ""}), integer(1));
  EXPECT_EQ(run({"HGET", "h", ""}), "$0\r\n\r\n");
  EXPECT_EQ(run({"OBJECT", "ENCODING", "h"}), bulk("listpack"));
  std::string bin("\0\r\n\xff", 4), big(100000, 'x');
  EXPECT_EQ(run({"HSET", "h", bin, big}), integer(1));
  EXPECT_EQ(run({"HGET", "h", bin}), bulk(big));
  EXPECT_EQ(run({"HSET", "h", bin, "small"}), integer(0));
  EXPECT_EQ(run({"HGET", "h", bin}), bulk("small"));
  EXPECT_EQ(run({"TYPE", "h"}), "+hash\r\n");
  EXPECT_EQ(run({"OBJECT", "ENCODING", "h"}), bulk("hashtable"));  // the 100000-byte value converted it
  EXPECT_EQ(run({"hset", "h2", "f", "v"}), integer(1));  // command names are case-insensitive
  EXPECT_EQ(run({"HGET", "h", "A"}), kNil);                // field names are not
}

TEST_F(HashCmdTest, HsetArity) {
  EXPECT_EQ(run({"HSET", "h"}), error("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(run({"HSET", "h", "a"}), error("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(run({"HSET", "h", "a", "1", "b"}), error("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(run({"HMSET", "h", "a", "1", "b"}), error("ERR wrong number of arguments for 'hmset' command"));
  EXPECT_EQ(run({"HGET", "h"}), error("ERR wrong number of arguments for 'hget' command"));
  EXPECT_EQ(run({"HGET", "h", "a", "b"}), error("ERR wrong number of arguments for 'hget' command"));
  EXPECT_EQ(run({"EXISTS", "h"}), integer(0));  // nothing was created
}

TEST_F(HashCmdTest, Hmset) {
  EXPECT_EQ(run({"HMSET", "h", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(run({"HMSET", "h", "a", "3"}), kOk);
  EXPECT_EQ(run({"HMGET", "h", "a", "b", "c"}), arr({bulk("3"), bulk("2"), std::string(kNil)}));
}

TEST_F(HashCmdTest, Hsetnx) {
  EXPECT_EQ(run({"HSETNX", "h", "a", "1"}), integer(1));
  EXPECT_EQ(run({"HSETNX", "h", "a", "2"}), integer(0));
  EXPECT_EQ(run({"HGET", "h", "a"}), bulk("1"));
  EXPECT_EQ(run({"HSETNX", "h", "b", "2"}), integer(1));
  EXPECT_EQ(run({"HLEN", "h"}), integer(2));
  EXPECT_EQ(run({"HSETNX", "h", "a"}), error("ERR wrong number of arguments for 'hsetnx' command"));
}

TEST_F(HashCmdTest, Hmget) {
  EXPECT_EQ(run({"HMGET", "nokey", "a", "b"}), arr({std::string(kNil), std::string(kNil)}));
  run({"HSET", "h", "a", "1"});
  EXPECT_EQ(run({"HMGET", "h", "a"}), arr({bulk("1")}));
  EXPECT_EQ(run({"HMGET", "h", "x", "a", "a"}), arr({std::string(kNil), bulk("1"), bulk("1")}));
  EXPECT_EQ(run({"HMGET", "h"}), error("ERR wrong number of arguments for 'hmget' command"));
  resp3();
  EXPECT_EQ(run({"HMGET", "nokey", "a", "b"}), "*2\r\n_\r\n_\r\n");
  EXPECT_EQ(run({"HGET", "h", "x"}), "_\r\n");
}

// ---- HDEL, HLEN, HSTRLEN, HEXISTS ----

TEST_F(HashCmdTest, HdelRemovesEmptyHash) {
  EXPECT_EQ(run({"HDEL", "nokey", "a"}), integer(0));
  run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(run({"HDEL", "h", "a", "zz", "a"}), integer(1));
  EXPECT_EQ(run({"HLEN", "h"}), integer(2));
  EXPECT_EQ(run({"HDEL", "h", "b", "c", "b", "c"}), integer(2));
  EXPECT_EQ(run({"EXISTS", "h"}), integer(0));
  EXPECT_EQ(run({"TYPE", "h"}), "+none\r\n");
  EXPECT_EQ(run({"HLEN", "h"}), integer(0));
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  EXPECT_EQ(run({"HDEL", "h"}), error("ERR wrong number of arguments for 'hdel' command"));
}

TEST_F(HashCmdTest, HlenHstrlenHexists) {
  EXPECT_EQ(run({"HLEN", "nokey"}), integer(0));
  EXPECT_EQ(run({"HSTRLEN", "nokey", "a"}), integer(0));
  EXPECT_EQ(run({"HEXISTS", "nokey", "a"}), integer(0));
  run({"HSET", "h", "a", "hello", "", "", "n", "12345"});
  EXPECT_EQ(run({"HLEN", "h"}), integer(3));
  EXPECT_EQ(run({"HSTRLEN", "h", "a"}), integer(5));
  EXPECT_EQ(run({"HSTRLEN", "h", ""}), integer(0));
  EXPECT_EQ(run({"HSTRLEN", "h", "n"}), integer(5));
  EXPECT_EQ(run({"HSTRLEN", "h", "zz"}), integer(0));
  EXPECT_EQ(run({"HEXISTS", "h", "a"}), integer(1));
  EXPECT_EQ(run({"HEXISTS", "h", ""}), integer(1));
  EXPECT_EQ(run({"HEXISTS", "h", "zz"}), integer(0));
  EXPECT_EQ(run({"HLEN", "h", "x"}), error("ERR wrong number of arguments for 'hlen' command"));
  EXPECT_EQ(run({"HSTRLEN", "h"}), error("ERR wrong number of arguments for 'hstrlen' command"));
  EXPECT_EQ(run({"HEXISTS", "h"}), error("ERR wrong number of arguments for 'hexists' command"));
}

// ---- HKEYS, HVALS, HGETALL ----

TEST_F(HashCmdTest, HkeysHvalsHgetall) {
  EXPECT_EQ(run({"HKEYS", "nokey"}), kEmptyArray);
  EXPECT_EQ(run({"HVALS", "nokey"}), kEmptyArray);
  EXPECT_EQ(run({"HGETALL", "nokey"}), kEmptyArray);
  run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(run({"HKEYS", "h"}).substr(0, 4), "*3\r\n");
  EXPECT_EQ(sorted(bulks(run({"HKEYS", "h"}))), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(sorted(bulks(run({"HVALS", "h"}))), (std::vector<std::string>{"1", "2", "3"}));
  std::string all = run({"HGETALL", "h"});
  EXPECT_EQ(all.substr(0, 4), "*6\r\n");
  EXPECT_EQ(pairs(bulks(all)), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  // HKEYS and HVALS walk the fields in the same order.
  std::vector<std::string> keys = bulks(run({"HKEYS", "h"})), vals = bulks(run({"HVALS", "h"}));
  const std::vector<std::string> expected_vals = {"1", "2", "3"};
  ASSERT_EQ(keys.size(), 3u);
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(expected_vals[keys[i][0] - 'a'], vals[i]);
  EXPECT_EQ(run({"HGETALL"}), error("ERR wrong number of arguments for 'hgetall' command"));
  EXPECT_EQ(run({"HKEYS", "h", "x"}), error("ERR wrong number of arguments for 'hkeys' command"));
}

TEST_F(HashCmdTest, HgetallResp3IsAMap) {
  resp3();
  EXPECT_EQ(run({"HGETALL", "nokey"}), "%0\r\n");
  EXPECT_EQ(run({"HKEYS", "nokey"}), kEmptyArray);
  run({"HSET", "h", "a", "1"});
  EXPECT_EQ(run({"HGETALL", "h"}), "%1\r\n" + bulk("a") + bulk("1"));
  EXPECT_EQ(run({"HKEYS", "h"}), arr({bulk("a")}));
  EXPECT_EQ(run({"HVALS", "h"}), arr({bulk("1")}));
}

TEST_F(HashCmdTest, BigHashGrowsAndShrinks) {
  fill("h", 3000);
  EXPECT_EQ(run({"HLEN", "h"}), integer(3000));
  EXPECT_EQ(bulks(run({"HKEYS", "h"})).size(), 3000u);
  for (int i = 0; i < 3000; i += 7)
    EXPECT_EQ(run({"HGET", "h", "f" + std::to_string(i)}), bulk("v" + std::to_string(i)));
  for (int i = 0; i < 2999; ++i) ASSERT_EQ(run({"HDEL", "h", "f" + std::to_string(i)}), integer(1));
  EXPECT_EQ(run({"HGETALL", "h"}), arr({bulk("f2999"), bulk("v2999")}));
  EXPECT_EQ(run({"HDEL", "h", "f2999"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "h"}), integer(0));
}

// ---- HINCRBY, HINCRBYFLOAT ----

TEST_F(HashCmdTest, Hincrby) {
  EXPECT_EQ(run({"HINCRBY", "h", "n", "5"}), integer(5));
  EXPECT_EQ(run({"TYPE", "h"}), "+hash\r\n");
  EXPECT_EQ(run({"HINCRBY", "h", "n", "-7"}), integer(-2));
  EXPECT_EQ(run({"HGET", "h", "n"}), bulk("-2"));
  EXPECT_EQ(run({"HINCRBY", "h", "n", "0"}), integer(-2));
  EXPECT_EQ(run({"HINCRBY", "h", "n", "x"}), kNotInt);
  EXPECT_EQ(run({"HINCRBY", "h", "n", "01"}), kNotInt);
  EXPECT_EQ(run({"HINCRBY", "h", "n", " 1"}), kNotInt);
  EXPECT_EQ(run({"HINCRBY", "h", "n", "1.5"}), kNotInt);
  run({"HSET", "h", "s", "abc", "z", "-0", "e", "1e3", "sp", " 1"});
  for (const char* f : {"s", "z", "e", "sp"})
    EXPECT_EQ(run({"HINCRBY", "h", f, "1"}), error("ERR hash value is not an integer")) << f;
  run({"HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808"});
  EXPECT_EQ(run({"HINCRBY", "h", "max", "1"}), error("ERR increment or decrement would overflow"));
  EXPECT_EQ(run({"HINCRBY", "h", "min", "-1"}), error("ERR increment or decrement would overflow"));
  EXPECT_EQ(run({"HINCRBY", "h", "max", "-9223372036854775808"}), integer(-1));
  EXPECT_EQ(run({"HINCRBY", "h", "min", "9223372036854775807"}), integer(-1));
  EXPECT_EQ(run({"HINCRBY", "h", "new", "-9223372036854775808"}), integer(INT64_MIN));
  EXPECT_EQ(run({"HINCRBY", "nokey", "n", "x"}), kNotInt);
  EXPECT_EQ(run({"EXISTS", "nokey"}), integer(0));  // a failed increment creates nothing
  EXPECT_EQ(run({"HINCRBY", "h", "n"}), error("ERR wrong number of arguments for 'hincrby' command"));
}

TEST_F(HashCmdTest, Hincrbyfloat) {
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "1.5"}), bulk("1.5"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "0.1"}), bulk("1.6"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "-1.6"}), bulk("0"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "g", "3.0e3"}), bulk("3000"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "g2", "-0.0"}), bulk("0"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "g3", "1e-20"}), bulk("0"));
  run({"HSET", "h", "i", "5", "hex", "0x10", "e", "1e3", "x", "5.0"});
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "i", "1"}), bulk("6"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "hex", "1"}), bulk("17"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "e", "1"}), bulk("1001"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "x", "0"}), bulk("5"));
  EXPECT_EQ(run({"HGET", "h", "x"}), bulk("5"));
  EXPECT_EQ(run({"HINCRBY", "h", "x", "1"}), integer(6));  // the stored text is now an integer
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "x"}), kNotFloat);
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "nan"}), kNotFloat);
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", ""}), kNotFloat);
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "inf"}), error("ERR value is NaN or Infinity"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "-inf"}), error("ERR value is NaN or Infinity"));
  run({"HSET", "h", "s", "abc", "sp", "  1", "tr", "1 "});
  for (const char* f : {"s", "sp", "tr"})
    EXPECT_EQ(run({"HINCRBYFLOAT", "h", f, "1"}), error("ERR hash value is not a float")) << f;
  run({"HSET", "h", "huge", "1e4932"});
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "huge", "1e4932"}), error("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(run({"HGET", "h", "huge"}), bulk("1e4932"));
  EXPECT_EQ(run({"HINCRBYFLOAT", "nokey", "f", "nan"}), kNotFloat);
  EXPECT_EQ(run({"HINCRBYFLOAT", "nokey", "f", "inf"}), error("ERR value is NaN or Infinity"));
  EXPECT_EQ(run({"EXISTS", "nokey"}), integer(0));
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f"}), error("ERR wrong number of arguments for 'hincrbyfloat' command"));
}

TEST_F(HashCmdTest, HincrbyfloatBigResult) {
  // %.17Lf of the long double nearest 1e308 prints all its digits, as Redis does.
  const std::string v =
      "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225"
      "05401322315213474959396058359742081443019641876795910001960319077866310960450710666793915339578893891456054356"
      "3061268364901618630217086589253444881623791300855757318142424510452728255046343928578048";
  EXPECT_EQ(run({"HINCRBYFLOAT", "h", "f", "1e308"}), bulk(v));
  EXPECT_EQ(run({"HGET", "h", "f"}), bulk(v));
  EXPECT_EQ(run({"HSTRLEN", "h", "f"}), integer(308));
}

// ---- HRANDFIELD ----

TEST_F(HashCmdTest, HrandfieldSingle) {
  EXPECT_EQ(run({"HRANDFIELD", "nokey"}), kNil);
  run({"HSET", "h", "a", "1"});
  EXPECT_EQ(run({"HRANDFIELD", "h"}), bulk("a"));
  run({"HSET", "h", "b", "2", "c", "3"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(bulks(run({"HRANDFIELD", "h"}))[0]);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
  resp3();
  EXPECT_EQ(run({"HRANDFIELD", "nokey"}), "_\r\n");
}

TEST_F(HashCmdTest, HrandfieldCount) {
  EXPECT_EQ(run({"HRANDFIELD", "nokey", "3"}), kEmptyArray);
  EXPECT_EQ(run({"HRANDFIELD", "nokey", "-3", "WITHVALUES"}), kEmptyArray);
  run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(run({"HRANDFIELD", "h", "0"}), kEmptyArray);
  EXPECT_EQ(run({"HRANDFIELD", "h", "0", "withvalues"}), kEmptyArray);
  // A count at least the size returns every field once.
  EXPECT_EQ(sorted(bulks(run({"HRANDFIELD", "h", "3"}))), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(sorted(bulks(run({"HRANDFIELD", "h", "9223372036854775807"}))), (std::vector<std::string>{"a", "b", "c"}));
  std::string wv = run({"HRANDFIELD", "h", "5", "WITHVALUES"});
  EXPECT_EQ(wv.substr(0, 4), "*6\r\n");
  EXPECT_EQ(pairs(bulks(wv)), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  // A smaller positive count: distinct fields.
  for (int i = 0; i < 50; ++i) {
    std::vector<std::string> two = bulks(run({"HRANDFIELD", "h", "2"}));
    ASSERT_EQ(two.size(), 2u);
    EXPECT_NE(two[0], two[1]);
  }
  // A negative count: exactly |count| picks, repeats allowed.
  std::vector<std::string> many = bulks(run({"HRANDFIELD", "h", "-20"}));
  EXPECT_EQ(many.size(), 20u);
  EXPECT_EQ(std::set<std::string>(many.begin(), many.end()).size(), 3u);
  std::vector<std::string> mv = bulks(run({"HRANDFIELD", "h", "-4", "WITHVALUES"}));
  ASSERT_EQ(mv.size(), 8u);
  for (std::size_t i = 0; i < mv.size(); i += 2) EXPECT_EQ(mv[i + 1][0] - '1', mv[i][0] - 'a');
}

TEST_F(HashCmdTest, HrandfieldDistinctFromBigHash) {
  fill("h", 300);
  for (const char* count : {"5", "150", "299"}) {
    std::vector<std::string> got = bulks(run({"HRANDFIELD", "h", count}));
    EXPECT_EQ(got.size(), std::stoul(count));
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << count;
  }
  std::vector<std::string> wv = bulks(run({"HRANDFIELD", "h", "10", "WITHVALUES"}));
  ASSERT_EQ(wv.size(), 20u);
  for (std::size_t i = 0; i < wv.size(); i += 2) EXPECT_EQ("v" + wv[i].substr(1), wv[i + 1]);
}

TEST_F(HashCmdTest, HrandfieldResp3WithValuesIsPairs) {
  run({"HSET", "h", "a", "1"});
  resp3();
  std::string pair = "*2\r\n" + bulk("a") + bulk("1");
  EXPECT_EQ(run({"HRANDFIELD", "h", "1", "WITHVALUES"}), "*1\r\n" + pair);
  EXPECT_EQ(run({"HRANDFIELD", "h", "5", "WITHVALUES"}), "*1\r\n" + pair);
  EXPECT_EQ(run({"HRANDFIELD", "h", "-2", "WITHVALUES"}), "*2\r\n" + pair + pair);
  EXPECT_EQ(run({"HRANDFIELD", "h", "-2"}), arr({bulk("a"), bulk("a")}));
  EXPECT_EQ(run({"HRANDFIELD", "nokey", "2"}), kEmptyArray);
}

TEST_F(HashCmdTest, HrandfieldErrors) {
  run({"HSET", "h", "a", "1"});
  EXPECT_EQ(run({"HRANDFIELD", "h", "x"}), kNotInt);
  EXPECT_EQ(run({"HRANDFIELD", "h", "1", "foo"}), kSyntax);
  EXPECT_EQ(run({"HRANDFIELD", "h", "1", "withvalues", "x"}), kSyntax);
  EXPECT_EQ(run({"HRANDFIELD", "h", "-9223372036854775808"}),
            error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
  EXPECT_EQ(run({"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}), error("ERR value is out of range"));
  EXPECT_EQ(run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}), error("ERR value is out of range"));
  EXPECT_EQ(run({"HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"}), arr({bulk("a"), bulk("1")}));
  EXPECT_EQ(run({"HRANDFIELD", "nokey", "x"}), kNotInt);
  EXPECT_EQ(run({"HRANDFIELD", "nokey", "1", "foo"}), kSyntax);
  EXPECT_EQ(run({"HRANDFIELD"}), error("ERR wrong number of arguments for 'hrandfield' command"));
}

// ---- HSCAN ----

TEST_F(HashCmdTest, HscanSmallHashInOneCall) {
  EXPECT_EQ(run({"HSCAN", "nokey", "0"}), arr({bulk("0"), std::string(kEmptyArray)}));
  EXPECT_EQ(run({"HSCAN", "nokey", "0", "foo"}), arr({bulk("0"), std::string(kEmptyArray)}));  // options unchecked
  EXPECT_EQ(run({"HSCAN", "nokey", "0", "COUNT", "0"}), arr({bulk("0"), std::string(kEmptyArray)}));
  run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  std::string r = run({"HSCAN", "h", "0"});
  std::vector<std::string> flat = bulks(r);
  ASSERT_FALSE(flat.empty());
  EXPECT_EQ(flat[0], "0");
  flat.erase(flat.begin());
  EXPECT_EQ(pairs(flat), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(run({"HSCAN", "h", "0", "MATCH", "b*"}), arr({bulk("0"), arr({bulk("b"), bulk("2")})}));
  EXPECT_EQ(run({"HSCAN", "h", "0", "MATCH", "x*"}), arr({bulk("0"), std::string(kEmptyArray)}));
  resp3();  // still a flat array, not a map
  EXPECT_EQ(run({"HSCAN", "h", "0", "match", "b", "count", "100"}), arr({bulk("0"), arr({bulk("b"), bulk("2")})}));
}

TEST_F(HashCmdTest, HscanFullIterationOfBigHash) {
  fill("h", 1000);
  std::set<std::string> fields;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::vector<std::string> flat = bulks(run({"HSCAN", "h", cursor, "COUNT", "20"}));
    ASSERT_FALSE(flat.empty());
    cursor = flat[0];
    for (std::size_t i = 1; i + 1 < flat.size(); i += 2) {
      EXPECT_EQ("v" + flat[i].substr(1), flat[i + 1]);
      fields.insert(flat[i]);
    }
    ++calls;
  } while (cursor != "0" && calls < 10000);
  EXPECT_EQ(cursor, "0");
  EXPECT_EQ(fields.size(), 1000u);
  EXPECT_GT(calls, 10);  // COUNT bounds each call
  // COUNT counts fields (not field+value elements): a call stops once it has seen that many.
  std::vector<std::string> one = bulks(run({"HSCAN", "h", "0", "COUNT", "50"}));
  EXPECT_NE(one[0], "0");
  EXPECT_GE(one.size(), 1u + 2 * 50);
  EXPECT_LE(one.size(), 1u + 2 * 60);  // plus the rest of the last bucket's chain
  // MATCH filters after counting: few matches per call, but the scan still ends.
  std::vector<std::string> flat = bulks(run({"HSCAN", "h", "0", "MATCH", "f99*", "COUNT", "100000"}));
  EXPECT_EQ(flat[0], "0");
  EXPECT_EQ(flat.size(), 1u + 2 * 11);  // f99, f990..f999
}

TEST_F(HashCmdTest, HscanErrors) {
  run({"HSET", "h", "a", "1"});
  EXPECT_EQ(run({"HSCAN", "h", "x"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"HSCAN", "h", " 1"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"HSCAN", "h", "18446744073709551616"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"HSCAN", "nokey", "x"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"HSCAN", "h", "0", "foo"}), kSyntax);
  EXPECT_EQ(run({"HSCAN", "h", "0", "COUNT"}), kSyntax);
  EXPECT_EQ(run({"HSCAN", "h", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(run({"HSCAN", "h", "0", "COUNT", "-1"}), kSyntax);
  EXPECT_EQ(run({"HSCAN", "h", "0", "COUNT", "x"}), kNotInt);
  EXPECT_EQ(run({"HSCAN", "h", "0", "MATCH"}), kSyntax);
  EXPECT_EQ(run({"HSCAN", "h", "0", "TYPE", "string"}), kSyntax);
  // Cursors strtoul accepts: a listpack answers whole, with cursor 0, whatever the cursor (Redis too).
  for (const char* c : {"-1", "+1", "", "18446744073709551615", "12345"})
    EXPECT_EQ(run({"HSCAN", "h", c}), arr({bulk("0"), arr({bulk("a"), bulk("1")})})) << c;
  EXPECT_EQ(run({"HSCAN", "h", ""}), arr({bulk("0"), arr({bulk("a"), bulk("1")})}));  // "" reads as 0
  EXPECT_EQ(run({"HSCAN", "h"}), error("ERR wrong number of arguments for 'hscan' command"));
}

// ---- Types and the keyspace ----

TEST_F(HashCmdTest, WrongTypeBothWays) {
  run({"SET", "s", "v"});
  run({"HSET", "h", "a", "1"});
  EXPECT_EQ(run({"GET", "h"}), kWrongType);
  EXPECT_EQ(run({"APPEND", "h", "x"}), kWrongType);
  EXPECT_EQ(run({"INCR", "h"}), kWrongType);
  const std::vector<std::vector<std::string>> cmds = {
      {"HSET", "s", "a", "1"},   {"HMSET", "s", "a", "1"},     {"HSETNX", "s", "a", "1"},
      {"HGET", "s", "a"},        {"HMGET", "s", "a", "b"},     {"HDEL", "s", "a"},
      {"HLEN", "s"},             {"HSTRLEN", "s", "a"},        {"HEXISTS", "s", "a"},
      {"HKEYS", "s"},            {"HVALS", "s"},               {"HGETALL", "s"},
      {"HINCRBY", "s", "a", "1"}, {"HINCRBYFLOAT", "s", "a", "1"}, {"HRANDFIELD", "s"},
      {"HRANDFIELD", "s", "0"},  {"HRANDFIELD", "s", "2", "WITHVALUES"}, {"HSCAN", "s", "0"},
      {"HSCAN", "s", "0", "foo"},
  };
  for (const auto& cmd : cmds) EXPECT_EQ(run_vec(cmd), kWrongType) << cmd[0];
  // Argument errors come before the type check.
  EXPECT_EQ(run({"HINCRBY", "s", "a", "x"}), kNotInt);
  EXPECT_EQ(run({"HINCRBYFLOAT", "s", "a", "x"}), kNotFloat);
  EXPECT_EQ(run({"HRANDFIELD", "s", "x"}), kNotInt);
  EXPECT_EQ(run({"HRANDFIELD", "s", "1", "foo"}), kSyntax);
  EXPECT_EQ(run({"HSCAN", "s", "x"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"HSET", "s", "a"}), error("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(run({"GET", "s"}), bulk("v"));  // untouched
  EXPECT_EQ(run({"SET", "h", "now a string"}), kOk);  // SET overwrites any type
  EXPECT_EQ(run({"GET", "h"}), bulk("now a string"));
}

TEST_F(HashCmdTest, CopyRenameMoveExpire) {
  run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(run({"COPY", "h", "h2"}), integer(1));
  EXPECT_EQ(run({"HSET", "h2", "a", "changed"}), integer(0));
  EXPECT_EQ(run({"HGET", "h", "a"}), bulk("1"));  // a deep copy
  EXPECT_EQ(run({"HGET", "h2", "a"}), bulk("changed"));
  EXPECT_EQ(run({"COPY", "h", "h3", "DB", "2"}), integer(1));
  EXPECT_EQ(run({"RENAME", "h2", "r"}), kOk);
  EXPECT_EQ(run({"HGETALL", "h2"}), kEmptyArray);
  EXPECT_EQ(run({"HLEN", "r"}), integer(2));
  EXPECT_EQ(run({"MOVE", "r", "1"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "r"}), integer(0));
  EXPECT_EQ(run({"SELECT", "1"}), kOk);
  EXPECT_EQ(run({"HGET", "r", "a"}), bulk("changed"));
  EXPECT_EQ(run({"SELECT", "2"}), kOk);
  EXPECT_EQ(run({"HGET", "h3", "b"}), bulk("2"));
  EXPECT_EQ(run({"SELECT", "0"}), kOk);
  EXPECT_EQ(run({"EXPIRE", "h", "100"}), integer(1));
  EXPECT_EQ(run({"HSET", "h", "c", "3"}), integer(1));
  EXPECT_EQ(run({"TTL", "h"}), integer(100));  // changing fields keeps the TTL
  EXPECT_EQ(run({"HINCRBY", "h", "n", "1"}), integer(1));
  EXPECT_EQ(run({"TTL", "h"}), integer(100));
  EXPECT_EQ(run({"PEXPIRE", "h", "0"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "h"}), integer(0));
  EXPECT_EQ(run({"HGET", "h", "a"}), kNil);
  EXPECT_EQ(run({"HLEN", "h"}), integer(0));
}

TEST_F(HashCmdTest, DeleteAndFlushBigHash) {
  fill("big", 200);  // above kLazyFreeThreshold: freed on the background queue when one is set
  fill("small", 3);
  EXPECT_EQ(run({"DEL", "big", "small"}), integer(2));
  fill("big", 200);
  EXPECT_EQ(run({"UNLINK", "big"}), integer(1));
  fill("big", 200);
  EXPECT_EQ(run({"FLUSHALL"}), kOk);
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
}

// A hash lives inside its key's entry: RENAME moves it with the entry's bytes, COPY builds a new
// one, and DEL of a hash past kLazyFreeThreshold moves it out to the background queue first. Both
// forms (a table past 512 fields); under ASan, a hash freed twice or left behind fails the run.
TEST_F(HashCmdTest, HashInTheEntryMovesCopiesAndFreesWithIt) {
  TaskQueue background;
  state_.keyspace->set_background(&background);
  for (int fields : {3, 100, 600}) {
    SCOPED_TRACE(fields);
    fill("a", fields);
    const std::string len = run({"HLEN", "a"});
    const std::string enc = run({"OBJECT", "ENCODING", "a"});
    EXPECT_EQ(enc, bulk(fields > 512 ? "hashtable" : "listpack"));
    EXPECT_EQ(run({"RENAME", "a", "b"}), kOk);
    EXPECT_EQ(run({"HLEN", "b"}), len);
    EXPECT_EQ(run({"OBJECT", "ENCODING", "b"}), enc);
    EXPECT_EQ(run({"HSET", "b", "extra", "x"}), integer(1));  // the moved hash still takes writes
    EXPECT_EQ(run({"COPY", "b", "c"}), integer(1));
    EXPECT_EQ(run({"HDEL", "b", "extra"}), integer(1));
    EXPECT_EQ(run({"HLEN", "b"}), len);
    EXPECT_EQ(run({"HGET", "c", "extra"}), bulk("x"));  // a deep copy
    EXPECT_EQ(run({"DEL", "b", "c"}), integer(2));
    background.drain();
  }
  state_.keyspace->set_background(nullptr);
}

TEST_F(HashCmdTest, MemoryUsageCountsFields) {
  run({"HSET", "h", "a", "1"});
  std::string small = run({"MEMORY", "USAGE", "h"});
  run({"HSET", "h", "big", std::string(10000, 'x')});
  std::string big = run({"MEMORY", "USAGE", "h"});
  ASSERT_EQ(small[0], ':');
  ASSERT_EQ(big[0], ':');
  EXPECT_GT(std::stoll(big.substr(1)), std::stoll(small.substr(1)) + 10000);
}

TEST_F(HashCmdTest, CommandInfo) {
  std::string info = run({"COMMAND", "INFO", "hset"});
  EXPECT_NE(info.find("hset"), std::string::npos);
  EXPECT_NE(info.find(":-4"), std::string::npos);
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "HSET", "k", "f", "v"}), arr({bulk("k")}));
}

}  // namespace
}  // namespace tally
