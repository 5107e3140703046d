// Hash commands end to end through hiredis (and a raw socket for RESP3 bytes), checked against
// redis-server 7.0.15 as well. Field order is unspecified, so multi-field replies are compared as
// sets; nothing here depends on Redis's listpack encoding (no OBJECT ENCODING, full HSCAN loops).
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

const char kWrongType[] = "WRONGTYPE Operation against a key holding the wrong kind of value";

class HashTest : public SharedServerTest {
 protected:
  // Every field/value of `key` through a full HSCAN loop.
  std::set<std::pair<std::string, std::string>> ScanAll(const std::string& key, const std::string& count) {
    std::set<std::pair<std::string, std::string>> out;
    std::string cursor = "0";
    for (int calls = 0; calls < 100000; ++calls) {
      Reply r = Cmd(c(), {"HSCAN", key, cursor, "COUNT", count});
      if (!r || !ExpectArrayLen(r, 2)) break;
      cursor = Elem(r.get(), 0)->str;
      std::vector<std::string> flat = Strings(Elem(r.get(), 1));
      for (size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace(flat[i], flat[i + 1]);
      if (cursor == "0") break;
    }
    EXPECT_EQ(cursor, "0");
    return out;
  }
};

TEST_F(HashTest, SetGetDelete) {
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1", "b", "2"}), 2);
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "10", "c", "3"}), 1);
  ExpectBulk(Cmd(c(), {"HGET", "h", "a"}), "10");
  ExpectNil(Cmd(c(), {"HGET", "h", "zz"}));
  ExpectNil(Cmd(c(), {"HGET", "nokey", "a"}));
  ExpectStatus(Cmd(c(), {"TYPE", "h"}), "hash");
  ExpectInt(Cmd(c(), {"HLEN", "h"}), 3);
  ExpectInt(Cmd(c(), {"HSTRLEN", "h", "a"}), 2);
  ExpectInt(Cmd(c(), {"HEXISTS", "h", "b"}), 1);
  ExpectInt(Cmd(c(), {"HEXISTS", "h", "zz"}), 0);
  ExpectOk(Cmd(c(), {"HMSET", "h", "d", "4"}));
  ExpectInt(Cmd(c(), {"HSETNX", "h", "d", "5"}), 0);
  ExpectInt(Cmd(c(), {"HSETNX", "h", "e", "5"}), 1);
  Reply r = Cmd(c(), {"HMGET", "h", "a", "zz"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "10"));
  EXPECT_TRUE(IsNil(Elem(r.get(), 1)));
  ExpectInt(Cmd(c(), {"HDEL", "h", "a", "b", "zz"}), 2);
  ExpectInt(Cmd(c(), {"HDEL", "h", "c", "d", "e"}), 3);
  ExpectInt(Cmd(c(), {"EXISTS", "h"}), 0);  // the last field took the key with it
  ExpectInt(Cmd(c(), {"HDEL", "h", "a"}), 0);
}

TEST_F(HashTest, BinarySafeFieldsAndBigValues) {
  std::string bin("\0\r\n\xff x", 6), big(1 << 20, 'v');
  ExpectInt(Cmd(c(), {"HSET", bin, bin, big, "", ""}), 2);
  ExpectBulk(Cmd(c(), {"HGET", bin, bin}), big);
  ExpectBulk(Cmd(c(), {"HGET", bin, ""}), "");
  ExpectInt(Cmd(c(), {"HSET", bin, bin, "small"}), 0);
  ExpectBulk(Cmd(c(), {"HGET", bin, bin}), "small");
  ExpectInt(Cmd(c(), {"HSTRLEN", bin, bin}), 5);
}

TEST_F(HashTest, WholeHashReplies) {
  ExpectArrayLen(Cmd(c(), {"HGETALL", "nokey"}), 0);
  ExpectArrayLen(Cmd(c(), {"HKEYS", "nokey"}), 0);
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1", "b", "2", "c", "3"}), 3);
  ExpectBulkSet(Cmd(c(), {"HKEYS", "h"}), {"a", "b", "c"});
  ExpectBulkSet(Cmd(c(), {"HVALS", "h"}), {"1", "2", "3"});
  Reply all = Cmd(c(), {"HGETALL", "h"});
  ASSERT_TRUE(ExpectArrayLen(all, 6));
  std::vector<std::string> flat = Strings(all.get());
  std::set<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) pairs.emplace(flat[i], flat[i + 1]);
  EXPECT_EQ(pairs, (std::set<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
}

TEST_F(HashTest, Resp3Shapes) {
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1"}), 1);
  RawConn raw(port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send(Resp({"HELLO", "3"})));
  raw.ReadUntil("modules\r\n*0\r\n");
  const std::string a = "$1\r\na\r\n", one = "$1\r\n1\r\n";
  ExpectRaw(raw, Resp({"HGETALL", "h"}), "%1\r\n" + a + one);
  ExpectRaw(raw, Resp({"HGETALL", "nokey"}), "%0\r\n");
  ExpectRaw(raw, Resp({"HKEYS", "h"}), "*1\r\n" + a);
  ExpectRaw(raw, Resp({"HGET", "h", "zz"}), "_\r\n");
  ExpectRaw(raw, Resp({"HMGET", "h", "zz", "a"}), "*2\r\n_\r\n" + one);
  ExpectRaw(raw, Resp({"HRANDFIELD", "h", "1", "WITHVALUES"}), "*1\r\n*2\r\n" + a + one);
  ExpectRaw(raw, Resp({"HRANDFIELD", "h", "-2", "WITHVALUES"}), "*2\r\n*2\r\n" + a + one + "*2\r\n" + a + one);
  ExpectRaw(raw, Resp({"HRANDFIELD", "nokey"}), "_\r\n");
  ExpectRaw(raw, Resp({"HRANDFIELD", "nokey", "2"}), "*0\r\n");
  ExpectRaw(raw, Resp({"HSCAN", "h", "0"}), "*2\r\n$1\r\n0\r\n*2\r\n" + a + one);
}

TEST_F(HashTest, Increments) {
  ExpectInt(Cmd(c(), {"HINCRBY", "h", "n", "5"}), 5);
  ExpectInt(Cmd(c(), {"HINCRBY", "h", "n", "-10"}), -5);
  ExpectBulk(Cmd(c(), {"HGET", "h", "n"}), "-5");
  ExpectError(Cmd(c(), {"HINCRBY", "h", "n", "x"}), "ERR value is not an integer or out of range");
  ExpectInt(Cmd(c(), {"HSET", "h", "s", "abc", "max", "9223372036854775807"}), 2);
  ExpectError(Cmd(c(), {"HINCRBY", "h", "s", "1"}), "ERR hash value is not an integer");
  ExpectError(Cmd(c(), {"HINCRBY", "h", "max", "1"}), "ERR increment or decrement would overflow");
  ExpectBulk(Cmd(c(), {"HINCRBYFLOAT", "h", "f", "10.5"}), "10.5");
  ExpectBulk(Cmd(c(), {"HINCRBYFLOAT", "h", "f", "0.1"}), "10.6");
  ExpectBulk(Cmd(c(), {"HINCRBYFLOAT", "h", "f", "-10.6"}), "0");
  ExpectBulk(Cmd(c(), {"HINCRBYFLOAT", "h", "g", "3.0e3"}), "3000");
  ExpectError(Cmd(c(), {"HINCRBYFLOAT", "h", "s", "1"}), "ERR hash value is not a float");
  ExpectError(Cmd(c(), {"HINCRBYFLOAT", "h", "f", "x"}), "ERR value is not a valid float");
  ExpectError(Cmd(c(), {"HINCRBYFLOAT", "h", "f", "nan"}), "ERR value is not a valid float");
  ExpectError(Cmd(c(), {"HINCRBYFLOAT", "h", "f", "inf"}), "ERR value is NaN or Infinity");
  ExpectInt(Cmd(c(), {"HSET", "h", "huge", "1e4932"}), 1);
  ExpectError(Cmd(c(), {"HINCRBYFLOAT", "h", "huge", "1e4932"}), "ERR increment would produce NaN or Infinity");
  ExpectBulk(Cmd(c(), {"HINCRBYFLOAT", "fresh", "f", "1"}), "1");
  ExpectStatus(Cmd(c(), {"TYPE", "fresh"}), "hash");
}

TEST_F(HashTest, Hrandfield) {
  ExpectNil(Cmd(c(), {"HRANDFIELD", "nokey"}));
  ExpectArrayLen(Cmd(c(), {"HRANDFIELD", "nokey", "5"}), 0);
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1", "b", "2", "c", "3"}), 3);
  ExpectArrayLen(Cmd(c(), {"HRANDFIELD", "h", "0"}), 0);
  ExpectBulkSet(Cmd(c(), {"HRANDFIELD", "h", "10"}), {"a", "b", "c"});
  ExpectBulkSet(Cmd(c(), {"HRANDFIELD", "h", "3", "WITHVALUES"}), {"a", "1", "b", "2", "c", "3"});
  Reply two = Cmd(c(), {"HRANDFIELD", "h", "2"});
  ASSERT_TRUE(ExpectArrayLen(two, 2));
  std::vector<std::string> picked = Strings(two.get());
  EXPECT_NE(picked[0], picked[1]);
  ExpectArrayLen(Cmd(c(), {"HRANDFIELD", "h", "-7"}), 7);
  ExpectArrayLen(Cmd(c(), {"HRANDFIELD", "h", "-7", "WITHVALUES"}), 14);
  ExpectError(Cmd(c(), {"HRANDFIELD", "h", "x"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"HRANDFIELD", "h", "1", "foo"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}), "ERR value is out of range");
  ExpectError(Cmd(c(), {"HRANDFIELD", "h", "-9223372036854775808"}),
              "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
}

TEST_F(HashTest, HscanFullLoop) {
  ExpectArrayLen(Cmd(c(), {"HSCAN", "nokey", "0"}), 2);
  std::set<std::pair<std::string, std::string>> expected;
  for (int i = 0; i < 1000; ++i) {  // above hash-max-listpack-entries (512): Redis uses a table too
    std::string f = "f" + std::to_string(i), v = "v" + std::to_string(i);
    Cmd(c(), {"HSET", "h", f, v});
    expected.emplace(f, v);
  }
  EXPECT_EQ(ScanAll("h", "10"), expected);
  Reply page = Cmd(c(), {"HSCAN", "h", "0", "COUNT", "50"});  // COUNT counts fields, not elements
  ASSERT_TRUE(ExpectArrayLen(page, 2));
  size_t got = Strings(Elem(page.get(), 1)).size() / 2;
  EXPECT_GE(got, 50u);
  EXPECT_LE(got, 60u);
  EXPECT_EQ(ScanAll("h", "1000"), expected);
  Reply m = Cmd(c(), {"HSCAN", "h", "0", "MATCH", "f49*", "COUNT", "100000"});
  ASSERT_TRUE(ExpectArrayLen(m, 2));
  EXPECT_TRUE(IsBulk(Elem(m.get(), 0), "0"));
  EXPECT_EQ(Strings(Elem(m.get(), 1)).size(), 2u * 11);  // f49, f490..f499
  ExpectError(Cmd(c(), {"HSCAN", "h", "x"}), "ERR invalid cursor");
  ExpectError(Cmd(c(), {"HSCAN", "h", "0", "COUNT", "0"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"HSCAN", "h", "0", "COUNT", "x"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"HSCAN", "h", "0", "TYPE", "hash"}), "ERR syntax error");
}

TEST_F(HashTest, WrongTypeAndArity) {
  ExpectOk(Cmd(c(), {"SET", "s", "v"}));
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1"}), 1);
  ExpectError(Cmd(c(), {"GET", "h"}), kWrongType);
  ExpectError(Cmd(c(), {"HGET", "s", "a"}), kWrongType);
  ExpectError(Cmd(c(), {"HSET", "s", "a", "1"}), kWrongType);
  ExpectError(Cmd(c(), {"HGETALL", "s"}), kWrongType);
  ExpectError(Cmd(c(), {"HINCRBY", "s", "a", "1"}), kWrongType);
  ExpectError(Cmd(c(), {"HDEL", "s", "a"}), kWrongType);
  ExpectError(Cmd(c(), {"HSCAN", "s", "0"}), kWrongType);
  ExpectError(Cmd(c(), {"HRANDFIELD", "s", "1"}), kWrongType);
  ExpectError(Cmd(c(), {"HSET", "h", "a"}), "ERR wrong number of arguments for 'hset' command");
  ExpectError(Cmd(c(), {"HSET", "h", "a", "1", "b"}), "ERR wrong number of arguments for 'hset' command");
  ExpectError(Cmd(c(), {"HMSET", "h", "a", "1", "b"}), "ERR wrong number of arguments for 'hmset' command");
  ExpectError(Cmd(c(), {"HGET", "h"}), "ERR wrong number of arguments for 'hget' command");
  ExpectError(Cmd(c(), {"HDEL", "h"}), "ERR wrong number of arguments for 'hdel' command");
}

TEST_F(HashTest, KeyspaceOperations) {
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1", "b", "2"}), 2);
  ExpectInt(Cmd(c(), {"COPY", "h", "copy"}), 1);
  ExpectInt(Cmd(c(), {"HSET", "copy", "a", "x"}), 0);
  ExpectBulk(Cmd(c(), {"HGET", "h", "a"}), "1");
  ExpectOk(Cmd(c(), {"RENAME", "copy", "renamed"}));
  ExpectBulk(Cmd(c(), {"HGET", "renamed", "a"}), "x");
  ExpectInt(Cmd(c(), {"MOVE", "renamed", "1"}), 1);
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectInt(Cmd(c(), {"HLEN", "renamed"}), 2);
  ExpectOk(Cmd(c(), {"SELECT", "0"}));
  ExpectInt(Cmd(c(), {"EXPIRE", "h", "100"}), 1);
  ExpectInt(Cmd(c(), {"HSET", "h", "c", "3"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "h"}), 100);
  ExpectInt(Cmd(c(), {"PEXPIRE", "h", "1"}), 1);
  SleepMs(20);
  ExpectInt(Cmd(c(), {"HLEN", "h"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "h"}), 0);
  // A big hash (freed off the request path by DEL / UNLINK / FLUSHALL) and then reused.
  for (int i = 0; i < 300; ++i) Cmd(c(), {"HSET", "big", "f" + std::to_string(i), "v"});
  ExpectInt(Cmd(c(), {"DEL", "big"}), 1);
  for (int i = 0; i < 300; ++i) Cmd(c(), {"HSET", "big", "f" + std::to_string(i), "v"});
  ExpectInt(Cmd(c(), {"UNLINK", "big"}), 1);
  ExpectInt(Cmd(c(), {"HSET", "big", "a", "1"}), 1);
  ExpectOk(Cmd(c(), {"FLUSHALL"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
}

}  // namespace
}  // namespace tally_test
