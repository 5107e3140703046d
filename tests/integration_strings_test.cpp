// String commands end to end, including the error paths, compared with Redis 7.0.15's exact replies.
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

class StringsTest : public SharedServerTest {
 protected:
  long long Ttl(const std::string& key) {
    Reply r = Cmd(c(), {"TTL", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
  long long Pttl(const std::string& key) {
    Reply r = Cmd(c(), {"PTTL", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
};

TEST_F(StringsTest, GetSetBasics) {
  ExpectNil(Cmd(c(), {"GET", "k"}));
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v");
  ExpectOk(Cmd(c(), {"set", "k", "v2"}));
  ExpectBulk(Cmd(c(), {"get", "k"}), "v2");
  // Binary-safe keys and values, empty value, big value.
  std::string bin("\0\r\n\xff\x01 x", 7);
  ExpectOk(Cmd(c(), {"SET", bin, bin}));
  ExpectBulk(Cmd(c(), {"GET", bin}), bin);
  ExpectOk(Cmd(c(), {"SET", "empty", ""}));
  ExpectBulk(Cmd(c(), {"GET", "empty"}), "");
  ExpectInt(Cmd(c(), {"EXISTS", "empty"}), 1);
  std::string big(1 << 20, 'b');
  ExpectOk(Cmd(c(), {"SET", "big", big}));
  ExpectBulk(Cmd(c(), {"GET", "big"}), big);
  ExpectOk(Cmd(c(), {"SET", "", "emptykey"}));
  ExpectBulk(Cmd(c(), {"GET", ""}), "emptykey");

  ExpectError(Cmd(c(), {"GET"}), "ERR wrong number of arguments for 'get' command");
  ExpectError(Cmd(c(), {"GET", "a", "b"}), "ERR wrong number of arguments for 'get' command");
  ExpectError(Cmd(c(), {"SET", "k"}), "ERR wrong number of arguments for 'set' command");
  ExpectError(Cmd(c(), {"SET"}), "ERR wrong number of arguments for 'set' command");
}

TEST_F(StringsTest, SetExpireOptions) {
  ExpectOk(Cmd(c(), {"SET", "k", "v", "EX", "100"}));
  EXPECT_EQ(Ttl("k"), 100);
  ExpectOk(Cmd(c(), {"SET", "k", "v", "PX", "50000"}));
  long long pttl = Pttl("k");
  EXPECT_GT(pttl, 49000);
  EXPECT_LE(pttl, 50000);
  long long now_s = NowMs() / 1000;
  ExpectOk(Cmd(c(), {"SET", "k", "v", "EXAT", std::to_string(now_s + 200)}));
  long long ttl = Ttl("k");
  EXPECT_GE(ttl, 198);
  EXPECT_LE(ttl, 200);
  ExpectOk(Cmd(c(), {"SET", "k", "v", "PXAT", std::to_string(NowMs() + 300000)}));
  pttl = Pttl("k");
  EXPECT_GT(pttl, 298000);
  EXPECT_LE(pttl, 300000);
  ExpectOk(Cmd(c(), {"set", "k", "v", "ex", "10"}));  // options are case-insensitive
  EXPECT_EQ(Ttl("k"), 10);
  ExpectOk(Cmd(c(), {"SET", "k", "v", "EX", "1", "EX", "20"}));  // a repeated option: the last one wins
  EXPECT_EQ(Ttl("k"), 20);
}

TEST_F(StringsTest, SetKeepTtlAndPlainSetClearsTtl) {
  ExpectOk(Cmd(c(), {"SET", "k", "v", "EX", "100"}));
  ExpectOk(Cmd(c(), {"SET", "k", "v2", "KEEPTTL"}));
  EXPECT_EQ(Ttl("k"), 100);
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v2");
  ExpectOk(Cmd(c(), {"SET", "k", "v3"}));
  EXPECT_EQ(Ttl("k"), -1);
  ExpectOk(Cmd(c(), {"SET", "fresh", "v", "KEEPTTL"}));
  EXPECT_EQ(Ttl("fresh"), -1);
}

TEST_F(StringsTest, SetNxXxGet) {
  ExpectNil(Cmd(c(), {"SET", "k", "v", "XX"}));
  ExpectInt(Cmd(c(), {"EXISTS", "k"}), 0);
  ExpectOk(Cmd(c(), {"SET", "k", "v", "NX"}));
  ExpectNil(Cmd(c(), {"SET", "k", "other", "NX"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v");
  ExpectOk(Cmd(c(), {"SET", "k", "v2", "XX"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v2");

  // GET returns the old value (nil when missing) and still sets.
  ExpectBulk(Cmd(c(), {"SET", "k", "v3", "GET"}), "v2");
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v3");
  ExpectNil(Cmd(c(), {"SET", "new", "n", "GET"}));
  ExpectBulk(Cmd(c(), {"GET", "new"}), "n");
  // GET with XX / NX (NX+GET is allowed since 7.0).
  ExpectBulk(Cmd(c(), {"SET", "k", "v4", "XX", "GET"}), "v3");
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v4");
  ExpectNil(Cmd(c(), {"SET", "missing", "v", "XX", "GET"}));
  ExpectInt(Cmd(c(), {"EXISTS", "missing"}), 0);
  ExpectBulk(Cmd(c(), {"SET", "k", "no", "NX", "GET"}), "v4");  // not set: key exists
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v4");
  ExpectNil(Cmd(c(), {"SET", "nxget", "yes", "NX", "GET"}));
  ExpectBulk(Cmd(c(), {"GET", "nxget"}), "yes");
  ExpectBulk(Cmd(c(), {"SET", "k", "v5", "GET", "EX", "100"}), "v4");
  EXPECT_EQ(Ttl("k"), 100);
}

TEST_F(StringsTest, SetOptionErrors) {
  ExpectOk(Cmd(c(), {"SET", "k", "orig"}));
  const std::string syntax = "ERR syntax error";
  ExpectError(Cmd(c(), {"SET", "k", "v", "NX", "XX"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "10", "PX", "100"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "10", "EXAT", "100"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "PXAT", "10", "EXAT", "100"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "KEEPTTL", "EX", "10"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "PX", "10", "KEEPTTL"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "FOO"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "10"}), syntax);
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "1.5"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SET", "k", "v", "PX", "99999999999999999999"}), "ERR value is not an integer or out of range");
  const std::string invalid = "ERR invalid expire time in 'set' command";
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "0"}), invalid);
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "-1"}), invalid);
  ExpectError(Cmd(c(), {"SET", "k", "v", "PX", "0"}), invalid);
  ExpectError(Cmd(c(), {"SET", "k", "v", "PX", "-100"}), invalid);
  ExpectError(Cmd(c(), {"SET", "k", "v", "EXAT", "0"}), invalid);
  ExpectError(Cmd(c(), {"SET", "k", "v", "PXAT", "-5"}), invalid);
  // Overflowing expire times are rejected too.
  ExpectError(Cmd(c(), {"SET", "k", "v", "EX", "9999999999999999"}), invalid);
  ExpectError(Cmd(c(), {"SET", "k", "v", "PX", "9223372036854775807"}), invalid);
  // None of the failures touched the key.
  ExpectBulk(Cmd(c(), {"GET", "k"}), "orig");
  EXPECT_EQ(Ttl("k"), -1);
}

TEST_F(StringsTest, SetnxSetexPsetex) {
  ExpectInt(Cmd(c(), {"SETNX", "k", "1"}), 1);
  ExpectInt(Cmd(c(), {"SETNX", "k", "2"}), 0);
  ExpectBulk(Cmd(c(), {"GET", "k"}), "1");
  ExpectError(Cmd(c(), {"SETNX", "k"}), "ERR wrong number of arguments for 'setnx' command");

  ExpectOk(Cmd(c(), {"SETEX", "k", "100", "v"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v");
  EXPECT_EQ(Ttl("k"), 100);
  ExpectOk(Cmd(c(), {"PSETEX", "p", "5000", "pv"}));
  long long pttl = Pttl("p");
  EXPECT_GT(pttl, 4000);
  EXPECT_LE(pttl, 5000);
  ExpectBulk(Cmd(c(), {"GET", "p"}), "pv");

  ExpectError(Cmd(c(), {"SETEX", "k", "0", "v"}), "ERR invalid expire time in 'setex' command");
  ExpectError(Cmd(c(), {"SETEX", "k", "-5", "v"}), "ERR invalid expire time in 'setex' command");
  ExpectError(Cmd(c(), {"PSETEX", "k", "0", "v"}), "ERR invalid expire time in 'psetex' command");
  ExpectError(Cmd(c(), {"PSETEX", "k", "-1", "v"}), "ERR invalid expire time in 'psetex' command");
  ExpectError(Cmd(c(), {"SETEX", "k", "abc", "v"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SETEX", "k", "10"}), "ERR wrong number of arguments for 'setex' command");
  ExpectError(Cmd(c(), {"PSETEX", "k", "10"}), "ERR wrong number of arguments for 'psetex' command");
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v");
}

TEST_F(StringsTest, GetsetGetdel) {
  ExpectNil(Cmd(c(), {"GETSET", "k", "a"}));
  ExpectBulk(Cmd(c(), {"GETSET", "k", "b"}), "a");
  ExpectBulk(Cmd(c(), {"GET", "k"}), "b");
  // GETSET drops the TTL.
  ExpectOk(Cmd(c(), {"SET", "t", "x", "EX", "100"}));
  ExpectBulk(Cmd(c(), {"GETSET", "t", "y"}), "x");
  EXPECT_EQ(Ttl("t"), -1);

  ExpectBulk(Cmd(c(), {"GETDEL", "k"}), "b");
  ExpectNil(Cmd(c(), {"GETDEL", "k"}));
  ExpectInt(Cmd(c(), {"EXISTS", "k"}), 0);
  ExpectError(Cmd(c(), {"GETDEL"}), "ERR wrong number of arguments for 'getdel' command");
  ExpectError(Cmd(c(), {"GETSET", "k"}), "ERR wrong number of arguments for 'getset' command");
}

TEST_F(StringsTest, Getex) {
  ExpectNil(Cmd(c(), {"GETEX", "nokey"}));
  // A missing key answers nil before the expire time is even validated.
  ExpectNil(Cmd(c(), {"GETEX", "nokey", "EX", "0"}));
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectBulk(Cmd(c(), {"GETEX", "k"}), "v");
  EXPECT_EQ(Ttl("k"), -1);
  ExpectBulk(Cmd(c(), {"GETEX", "k", "EX", "100"}), "v");
  EXPECT_EQ(Ttl("k"), 100);
  ExpectBulk(Cmd(c(), {"GETEX", "k", "PX", "5000"}), "v");
  long long pttl = Pttl("k");
  EXPECT_GT(pttl, 4000);
  EXPECT_LE(pttl, 5000);
  ExpectBulk(Cmd(c(), {"GETEX", "k", "EXAT", std::to_string(NowMs() / 1000 + 500)}), "v");
  long long ttl = Ttl("k");
  EXPECT_GE(ttl, 498);
  EXPECT_LE(ttl, 500);
  ExpectBulk(Cmd(c(), {"GETEX", "k", "PXAT", std::to_string(NowMs() + 700000)}), "v");
  ttl = Ttl("k");
  EXPECT_GE(ttl, 698);
  EXPECT_LE(ttl, 700);
  ExpectBulk(Cmd(c(), {"GETEX", "k"}), "v");  // plain GETEX keeps the TTL
  EXPECT_GE(Ttl("k"), 698);
  ExpectBulk(Cmd(c(), {"GETEX", "k", "PERSIST"}), "v");
  EXPECT_EQ(Ttl("k"), -1);

  ExpectError(Cmd(c(), {"GETEX", "k", "EX", "0"}), "ERR invalid expire time in 'getex' command");
  ExpectError(Cmd(c(), {"GETEX", "k", "EX", "-1"}), "ERR invalid expire time in 'getex' command");
  ExpectError(Cmd(c(), {"GETEX", "k", "PXAT", "0"}), "ERR invalid expire time in 'getex' command");
  ExpectError(Cmd(c(), {"GETEX", "k", "EX", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"GETEX", "k", "EX"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"GETEX", "k", "PERSIST", "EX", "10"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"GETEX", "k", "EX", "10", "PX", "100"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"GETEX", "k", "FOO"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"GETEX"}), "ERR wrong number of arguments for 'getex' command");
  EXPECT_EQ(Ttl("k"), -1);
}

TEST_F(StringsTest, MgetMsetMsetnx) {
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2"}));
  ExpectBulks(Cmd(c(), {"MGET", "a", "b"}), {"1", "2"});
  Reply r = Cmd(c(), {"MGET", "a", "nokey", "b", "a"});
  ASSERT_TRUE(ExpectArrayLen(r, 4));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "1"));
  EXPECT_TRUE(IsNil(Elem(r.get(), 1)));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 2), "2"));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 3), "1"));
  ExpectOk(Cmd(c(), {"MSET", "a", "x", "a", "y"}));  // the last one wins
  ExpectBulk(Cmd(c(), {"GET", "a"}), "y");
  ExpectError(Cmd(c(), {"MSET", "a"}), "ERR wrong number of arguments for 'mset' command");
  ExpectError(Cmd(c(), {"MSET", "a", "1", "b"}), "ERR wrong number of arguments for 'mset' command");
  ExpectError(Cmd(c(), {"MSET"}), "ERR wrong number of arguments for 'mset' command");
  ExpectError(Cmd(c(), {"MGET"}), "ERR wrong number of arguments for 'mget' command");
  // MSET clears TTLs like SET.
  ExpectOk(Cmd(c(), {"SET", "t", "1", "EX", "100"}));
  ExpectOk(Cmd(c(), {"MSET", "t", "2"}));
  EXPECT_EQ(Ttl("t"), -1);

  ExpectInt(Cmd(c(), {"MSETNX", "a", "1", "c", "2"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "c"}), 0);  // all or nothing
  ExpectInt(Cmd(c(), {"MSETNX", "c", "3", "d", "4"}), 1);
  ExpectBulks(Cmd(c(), {"MGET", "c", "d"}), {"3", "4"});
  ExpectError(Cmd(c(), {"MSETNX", "x"}), "ERR wrong number of arguments for 'msetnx' command");
  ExpectError(Cmd(c(), {"MSETNX", "x", "1", "y"}), "ERR wrong number of arguments for 'msetnx' command");
}

TEST_F(StringsTest, IncrDecr) {
  ExpectInt(Cmd(c(), {"INCR", "n"}), 1);
  ExpectInt(Cmd(c(), {"INCR", "n"}), 2);
  ExpectInt(Cmd(c(), {"DECR", "n"}), 1);
  ExpectInt(Cmd(c(), {"INCRBY", "n", "10"}), 11);
  ExpectInt(Cmd(c(), {"INCRBY", "n", "-20"}), -9);
  ExpectInt(Cmd(c(), {"DECRBY", "n", "1"}), -10);
  ExpectInt(Cmd(c(), {"DECRBY", "n", "-15"}), 5);
  ExpectBulk(Cmd(c(), {"GET", "n"}), "5");
  ExpectInt(Cmd(c(), {"DECR", "fresh"}), -1);
  ExpectOk(Cmd(c(), {"SET", "n", "-0"}));
  ExpectError(Cmd(c(), {"INCR", "n"}), "ERR value is not an integer or out of range");

  // Keeps the TTL.
  ExpectOk(Cmd(c(), {"SET", "t", "10", "EX", "100"}));
  ExpectInt(Cmd(c(), {"INCR", "t"}), 11);
  EXPECT_EQ(Ttl("t"), 100);

  const std::string not_int = "ERR value is not an integer or out of range";
  for (const char* bad : {"abc", "", " 1", "1 ", "01", "+1", "1.5", "0x10", "99999999999999999999"}) {
    ExpectOk(Cmd(c(), {"SET", "s", bad}));
    EXPECT_TRUE(IsError(Cmd(c(), {"INCR", "s"}).get(), not_int)) << "value '" << bad << "'";
  }
  ExpectBulk(Cmd(c(), {"GET", "s"}), "99999999999999999999");
  ExpectError(Cmd(c(), {"INCRBY", "n2", "abc"}), not_int);
  ExpectError(Cmd(c(), {"INCRBY", "n2", "1.5"}), not_int);
  ExpectError(Cmd(c(), {"DECRBY", "n2", ""}), not_int);
  ExpectInt(Cmd(c(), {"EXISTS", "n2"}), 0);

  const std::string overflow = "ERR increment or decrement would overflow";
  ExpectOk(Cmd(c(), {"SET", "max", "9223372036854775807"}));
  ExpectError(Cmd(c(), {"INCR", "max"}), overflow);
  ExpectError(Cmd(c(), {"INCRBY", "max", "1"}), overflow);
  ExpectError(Cmd(c(), {"DECRBY", "max", "-1"}), overflow);
  ExpectInt(Cmd(c(), {"DECR", "max"}), 9223372036854775806LL);
  ExpectOk(Cmd(c(), {"SET", "min", "-9223372036854775808"}));
  ExpectError(Cmd(c(), {"DECR", "min"}), overflow);
  ExpectError(Cmd(c(), {"DECRBY", "min", "1"}), overflow);
  ExpectError(Cmd(c(), {"INCRBY", "min", "-1"}), overflow);
  ExpectInt(Cmd(c(), {"INCRBY", "min", "9223372036854775807"}), -1);
  // DECRBY of LLONG_MIN cannot be negated: its own message.
  ExpectError(Cmd(c(), {"DECRBY", "x", "-9223372036854775808"}), "ERR decrement would overflow");
  ExpectInt(Cmd(c(), {"INCRBY", "x", "-9223372036854775808"}), -9223372036854775807LL - 1);

  ExpectError(Cmd(c(), {"INCR"}), "ERR wrong number of arguments for 'incr' command");
  ExpectError(Cmd(c(), {"INCR", "a", "b"}), "ERR wrong number of arguments for 'incr' command");
  ExpectError(Cmd(c(), {"INCRBY", "a"}), "ERR wrong number of arguments for 'incrby' command");
  ExpectError(Cmd(c(), {"DECRBY", "a"}), "ERR wrong number of arguments for 'decrby' command");
  ExpectError(Cmd(c(), {"DECR"}), "ERR wrong number of arguments for 'decr' command");
}

TEST_F(StringsTest, IncrByFloat) {
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "f", "10.5"}), "10.5");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "f", "0.1"}), "10.6");
  ExpectBulk(Cmd(c(), {"GET", "f"}), "10.6");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "f", "-5"}), "5.6");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "g", "5.0e3"}), "5000");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "g", "2.0e2"}), "5200");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "g", "-5200"}), "0");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "neg", "-1.5"}), "-1.5");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "z", "-0"}), "0");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "small", "0.0000001"}), "0.0000001");
  ExpectOk(Cmd(c(), {"SET", "i", "10"}));
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "i", "1"}), "11");
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "i", "0.25"}), "11.25");
  ExpectOk(Cmd(c(), {"SET", "e", "1e2"}));
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "e", "0"}), "100");
  ExpectOk(Cmd(c(), {"SET", "e", "1.10"}));
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "e", "0"}), "1.1");
  ExpectOk(Cmd(c(), {"SET", "e", "3.0"}));
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "e", "1.5"}), "4.5");
  // The result is stored as a string; INCR on a float fails.
  ExpectError(Cmd(c(), {"INCR", "e"}), "ERR value is not an integer or out of range");
  // Keeps the TTL.
  ExpectOk(Cmd(c(), {"SET", "t", "1", "EX", "100"}));
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "t", "1.5"}), "2.5");
  EXPECT_EQ(Ttl("t"), 100);

  const std::string not_float = "ERR value is not a valid float";
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "abc"}), not_float);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", ""}), not_float);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "nan"}), not_float);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "1.5x"}), not_float);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", " 1"}), not_float);
  ExpectOk(Cmd(c(), {"SET", "s", "abc"}));
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "s", "1"}), not_float);
  const std::string naninf = "ERR increment would produce NaN or Infinity";
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "inf"}), naninf);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "-inf"}), naninf);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "+inf"}), naninf);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f", "Infinity"}), naninf);
  ExpectBulk(Cmd(c(), {"GET", "f"}), "5.6");
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "f"}), "ERR wrong number of arguments for 'incrbyfloat' command");
}

TEST_F(StringsTest, AppendStrlen) {
  ExpectInt(Cmd(c(), {"APPEND", "a", "123"}), 3);
  ExpectInt(Cmd(c(), {"APPEND", "a", "45"}), 5);
  ExpectInt(Cmd(c(), {"APPEND", "a", ""}), 5);
  ExpectBulk(Cmd(c(), {"GET", "a"}), "12345");
  ExpectInt(Cmd(c(), {"STRLEN", "a"}), 5);
  ExpectInt(Cmd(c(), {"STRLEN", "nokey"}), 0);
  ExpectInt(Cmd(c(), {"APPEND", "e", ""}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "e"}), 1);  // APPEND creates the key even with an empty value
  ExpectOk(Cmd(c(), {"SET", "n", "10"}));
  ExpectInt(Cmd(c(), {"APPEND", "n", "5"}), 3);  // integer-encoded values append as text
  ExpectInt(Cmd(c(), {"INCR", "n"}), 106);
  ExpectInt(Cmd(c(), {"STRLEN", "n"}), 3);
  ExpectInt(Cmd(c(), {"APPEND", "bin", std::string("\0\n", 2)}), 2);
  ExpectInt(Cmd(c(), {"STRLEN", "bin"}), 2);
  ExpectError(Cmd(c(), {"APPEND", "a"}), "ERR wrong number of arguments for 'append' command");
  ExpectError(Cmd(c(), {"STRLEN"}), "ERR wrong number of arguments for 'strlen' command");
}

TEST_F(StringsTest, GetrangeSubstr) {
  ExpectOk(Cmd(c(), {"SET", "s", "Hello,World"}));
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "0", "4"}), "Hello");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "-5", "-1"}), "World");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "-100", "2"}), "Hel");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "0", "100"}), "Hello,World");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "0", "-1"}), "Hello,World");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "0", "-100"}), "H");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "5", "2"}), "");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "11", "20"}), "");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "-1", "-5"}), "");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "10", "10"}), "d");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "9223372036854775807", "9223372036854775807"}), "");
  ExpectBulk(Cmd(c(), {"GETRANGE", "s", "-9223372036854775808", "-1"}), "Hello,World");
  ExpectBulk(Cmd(c(), {"GETRANGE", "nokey", "0", "10"}), "");
  ExpectOk(Cmd(c(), {"SET", "n", "12345"}));
  ExpectBulk(Cmd(c(), {"GETRANGE", "n", "1", "2"}), "23");
  ExpectBulk(Cmd(c(), {"SUBSTR", "s", "0", "4"}), "Hello");
  ExpectBulk(Cmd(c(), {"SUBSTR", "s", "-5", "-1"}), "World");
  ExpectError(Cmd(c(), {"GETRANGE", "s", "a", "1"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"GETRANGE", "s", "0"}), "ERR wrong number of arguments for 'getrange' command");
  ExpectError(Cmd(c(), {"SUBSTR", "s", "0"}), "ERR wrong number of arguments for 'substr' command");
}

TEST_F(StringsTest, Setrange) {
  ExpectOk(Cmd(c(), {"SET", "s", "Hello,World"}));
  ExpectInt(Cmd(c(), {"SETRANGE", "s", "0", "J"}), 11);
  ExpectBulk(Cmd(c(), {"GET", "s"}), "Jello,World");
  ExpectInt(Cmd(c(), {"SETRANGE", "s", "6", "Redis!!"}), 13);
  ExpectBulk(Cmd(c(), {"GET", "s"}), "Jello,Redis!!");
  // Padding with zero bytes.
  ExpectInt(Cmd(c(), {"SETRANGE", "new", "5", "ab"}), 7);
  ExpectBulk(Cmd(c(), {"GET", "new"}), std::string("\0\0\0\0\0ab", 7));
  ExpectInt(Cmd(c(), {"SETRANGE", "s", "15", "x"}), 16);
  ExpectBulk(Cmd(c(), {"GET", "s"}), std::string("Jello,Redis!!\0\0x", 16));
  ExpectOk(Cmd(c(), {"SET", "n", "123"}));
  ExpectInt(Cmd(c(), {"SETRANGE", "n", "1", "9"}), 3);
  ExpectBulk(Cmd(c(), {"GET", "n"}), "193");
  // Empty value: a missing key stays missing (0); an existing key reports its length, whatever the offset.
  ExpectInt(Cmd(c(), {"SETRANGE", "nokey", "5", ""}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "nokey"}), 0);
  ExpectInt(Cmd(c(), {"SETRANGE", "n", "100", ""}), 3);
  ExpectInt(Cmd(c(), {"SETRANGE", "n", "536870912", ""}), 3);
  ExpectInt(Cmd(c(), {"SETRANGE", "nokey", "536870912", ""}), 0);

  ExpectError(Cmd(c(), {"SETRANGE", "s", "-1", "x"}), "ERR offset is out of range");
  ExpectError(Cmd(c(), {"SETRANGE", "nokey", "-1", "x"}), "ERR offset is out of range");
  ExpectError(Cmd(c(), {"SETRANGE", "s", "abc", "x"}), "ERR value is not an integer or out of range");
  const std::string too_big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  ExpectError(Cmd(c(), {"SETRANGE", "s", "536870912", "x"}), too_big);
  ExpectError(Cmd(c(), {"SETRANGE", "nokey", "536870912", "x"}), too_big);
  ExpectError(Cmd(c(), {"SETRANGE", "s", "536870911", "xy"}), too_big);
  ExpectError(Cmd(c(), {"SETRANGE", "s", "9223372036854775807", "x"}), too_big);
  ExpectInt(Cmd(c(), {"EXISTS", "nokey"}), 0);
  ExpectError(Cmd(c(), {"SETRANGE", "s", "0"}), "ERR wrong number of arguments for 'setrange' command");
}

TEST_F(StringsTest, Lcs) {
  ExpectOk(Cmd(c(), {"MSET", "key1", "ohmytext", "key2", "mynewtext"}));
  ExpectBulk(Cmd(c(), {"LCS", "key1", "key2"}), "mytext");
  ExpectInt(Cmd(c(), {"LCS", "key1", "key2", "LEN"}), 6);
  ExpectBulk(Cmd(c(), {"LCS", "key1", "nokey"}), "");
  ExpectInt(Cmd(c(), {"LCS", "key1", "nokey", "LEN"}), 0);
  ExpectBulk(Cmd(c(), {"LCS", "key1", "key2", "WITHMATCHLEN"}), "mytext");  // ignored without IDX
  ExpectError(Cmd(c(), {"LCS", "key1", "key2", "LEN", "IDX"}), "ERR If you want both the length and indexes, please just use IDX.");
  ExpectError(Cmd(c(), {"LCS", "key1", "key2", "FOO"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"LCS", "key1", "key2", "MINMATCHLEN", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"LCS", "key1"}), "ERR wrong number of arguments for 'lcs' command");

  // IDX replies are nested arrays: check the bytes.
  RawConn raw(port());
  ExpectRaw(raw, "LCS key1 key2 IDX\r\n",
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
            "$3\r\nlen\r\n:6\r\n");
  ExpectRaw(raw, "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN\r\n",
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n");
  ExpectRaw(raw, "LCS key1 key2 IDX WITHMATCHLEN\r\n",
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
            "$3\r\nlen\r\n:6\r\n");
  ExpectRaw(raw, "LCS key1 key2 IDX MINMATCHLEN -1\r\n",
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
            "$3\r\nlen\r\n:6\r\n");
  ExpectRaw(raw, "LCS nokey1 nokey2 IDX\r\n", "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
}

TEST_F(StringsTest, WrongTypeWhenHashesExist) {
  // Only meaningful once a non-string type exists; skipped while HSET is unknown.
  Reply h = Cmd(c(), {"HSET", "h", "f", "v"});
  if (IsErrorPrefix(h.get(), "ERR unknown command")) GTEST_SKIP() << "no HSET yet";
  ASSERT_TRUE(ExpectInt(h, 1));
  const std::string wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
  ExpectError(Cmd(c(), {"GET", "h"}), wrongtype);
  ExpectError(Cmd(c(), {"SET", "h", "v", "GET"}), wrongtype);
  ExpectError(Cmd(c(), {"GETEX", "h"}), wrongtype);
  ExpectError(Cmd(c(), {"GETDEL", "h"}), wrongtype);
  ExpectError(Cmd(c(), {"GETSET", "h", "x"}), wrongtype);
  ExpectError(Cmd(c(), {"APPEND", "h", "x"}), wrongtype);
  ExpectError(Cmd(c(), {"STRLEN", "h"}), wrongtype);
  ExpectError(Cmd(c(), {"INCR", "h"}), wrongtype);
  ExpectError(Cmd(c(), {"INCRBYFLOAT", "h", "1"}), wrongtype);
  ExpectError(Cmd(c(), {"SETRANGE", "h", "0", "x"}), wrongtype);
  ExpectError(Cmd(c(), {"GETRANGE", "h", "0", "1"}), wrongtype);
  ExpectError(Cmd(c(), {"LCS", "h", "nokey"}), "ERR The specified keys must contain string values");
  // MGET answers nil for non-strings; plain SET overwrites any type.
  ExpectOk(Cmd(c(), {"SET", "s", "v"}));
  Reply m = Cmd(c(), {"MGET", "h", "s"});
  ASSERT_TRUE(ExpectArrayLen(m, 2));
  EXPECT_TRUE(IsNil(Elem(m.get(), 0)));
  EXPECT_TRUE(IsBulk(Elem(m.get(), 1), "v"));
  ExpectOk(Cmd(c(), {"SET", "h", "now-a-string"}));
  ExpectBulk(Cmd(c(), {"GET", "h"}), "now-a-string");
}

}  // namespace
}  // namespace tally_test
