// Expiry end to end: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (+NX/XX/GT/LT), TTL/PTTL, PERSIST, EXPIRETIME/PEXPIRETIME,
// and keys that really expire (short TTLs, ~300 ms sleeps).
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

class ExpireTest : public SharedServerTest {
 protected:
  long long IntOf(const std::vector<std::string>& cmd) {
    Reply r = Cmd(c(), cmd);
    EXPECT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << Describe(r.get());
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
};

TEST_F(ExpireTest, TtlPttlSpecialValues) {
  ExpectInt(Cmd(c(), {"TTL", "nokey"}), -2);
  ExpectInt(Cmd(c(), {"PTTL", "nokey"}), -2);
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectInt(Cmd(c(), {"TTL", "k"}), -1);
  ExpectInt(Cmd(c(), {"PTTL", "k"}), -1);
  ExpectInt(Cmd(c(), {"EXPIRETIME", "nokey"}), -2);
  ExpectInt(Cmd(c(), {"PEXPIRETIME", "nokey"}), -2);
  ExpectInt(Cmd(c(), {"EXPIRETIME", "k"}), -1);
  ExpectInt(Cmd(c(), {"PEXPIRETIME", "k"}), -1);
  ExpectError(Cmd(c(), {"TTL"}), "ERR wrong number of arguments for 'ttl' command");
  ExpectError(Cmd(c(), {"PTTL", "a", "b"}), "ERR wrong number of arguments for 'pttl' command");
}

TEST_F(ExpireTest, ExpireFamilySetsTtl) {
  ExpectInt(Cmd(c(), {"EXPIRE", "nokey", "100"}), 0);
  ExpectInt(Cmd(c(), {"PEXPIRE", "nokey", "100"}), 0);
  ExpectInt(Cmd(c(), {"EXPIREAT", "nokey", "99999999999"}), 0);
  ExpectInt(Cmd(c(), {"PEXPIREAT", "nokey", "99999999999"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "nokey"}), 0);

  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "100"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 100);
  long long pttl = IntOf({"PTTL", "k"});
  EXPECT_GT(pttl, 99000);
  EXPECT_LE(pttl, 100000);

  ExpectInt(Cmd(c(), {"PEXPIRE", "k", "50000"}), 1);
  pttl = IntOf({"PTTL", "k"});
  EXPECT_GT(pttl, 49000);
  EXPECT_LE(pttl, 50000);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 50);  // rounded

  long long at = NowMs() / 1000 + 1000;
  ExpectInt(Cmd(c(), {"EXPIREAT", "k", std::to_string(at)}), 1);
  ExpectInt(Cmd(c(), {"EXPIRETIME", "k"}), at);
  ExpectInt(Cmd(c(), {"PEXPIRETIME", "k"}), at * 1000);
  long long ttl = IntOf({"TTL", "k"});
  EXPECT_GE(ttl, 998);
  EXPECT_LE(ttl, 1000);

  // EXPIRETIME (like TTL) rounds milliseconds to the nearest second.
  long long pat = (NowMs() / 1000 + 3000) * 1000 + 600;
  ExpectInt(Cmd(c(), {"PEXPIREAT", "k", std::to_string(pat)}), 1);
  ExpectInt(Cmd(c(), {"PEXPIRETIME", "k"}), pat);
  ExpectInt(Cmd(c(), {"EXPIRETIME", "k"}), pat / 1000 + 1);
  pat -= 200;
  ExpectInt(Cmd(c(), {"PEXPIREAT", "k", std::to_string(pat)}), 1);
  ExpectInt(Cmd(c(), {"EXPIRETIME", "k"}), pat / 1000);
  // Values survive; the TTL does not change the value.
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v");

  ExpectError(Cmd(c(), {"EXPIRE", "k", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"EXPIRE", "k", "1.5"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"PEXPIREAT", "k", "x"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"EXPIRE", "k"}), "ERR wrong number of arguments for 'expire' command");
  ExpectError(Cmd(c(), {"PEXPIRE", "k"}), "ERR wrong number of arguments for 'pexpire' command");
  ExpectError(Cmd(c(), {"EXPIREAT", "k"}), "ERR wrong number of arguments for 'expireat' command");
  ExpectError(Cmd(c(), {"PEXPIREAT", "k"}), "ERR wrong number of arguments for 'pexpireat' command");
  ExpectError(Cmd(c(), {"EXPIRETIME"}), "ERR wrong number of arguments for 'expiretime' command");
  ExpectError(Cmd(c(), {"EXPIRE", "k", "9223372036854775807"}), "ERR invalid expire time in 'expire' command");
  ExpectError(Cmd(c(), {"EXPIRE", "k", "92233720368547758"}), "ERR invalid expire time in 'expire' command");
  ExpectError(Cmd(c(), {"PEXPIRE", "k", "9223372036854775807"}), "ERR invalid expire time in 'pexpire' command");
  ExpectError(Cmd(c(), {"EXPIREAT", "k", "9223372036854775807"}), "ERR invalid expire time in 'expireat' command");
  ExpectInt(Cmd(c(), {"PEXPIRETIME", "k"}), pat);  // failures leave the TTL alone
}

TEST_F(ExpireTest, ExpireOptions) {
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  // No TTL yet: XX and GT do nothing (no TTL counts as infinite), NX and LT set it.
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "100", "XX"}), 0);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "100", "GT"}), 0);
  ExpectInt(Cmd(c(), {"TTL", "k"}), -1);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "100", "NX"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 100);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "200", "NX"}), 0);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "200", "XX"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 200);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "50", "GT"}), 0);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "300", "GT"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 300);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "400", "LT"}), 0);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "50", "lt"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 50);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "60", "XX", "GT"}), 1);  // XX combines with GT/LT
  ExpectInt(Cmd(c(), {"TTL", "k"}), 60);
  ExpectInt(Cmd(c(), {"PEXPIRE", "k", "10000", "LT", "XX"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 10);
  ExpectInt(Cmd(c(), {"PERSIST", "k"}), 1);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "50", "LT"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 50);
  ExpectInt(Cmd(c(), {"EXPIREAT", "k", std::to_string(NowMs() / 1000 + 5000), "NX"}), 0);
  ExpectInt(Cmd(c(), {"PEXPIREAT", "k", std::to_string(NowMs() + 5000000), "GT"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 5000);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "100", "NX", "NX"}), 0);  // repeating a flag is fine

  const std::string nxxx = "ERR NX and XX, GT or LT options at the same time are not compatible";
  ExpectError(Cmd(c(), {"EXPIRE", "k", "100", "NX", "XX"}), nxxx);
  ExpectError(Cmd(c(), {"EXPIRE", "k", "100", "NX", "GT"}), nxxx);
  ExpectError(Cmd(c(), {"EXPIRE", "k", "100", "LT", "NX"}), nxxx);
  ExpectError(Cmd(c(), {"PEXPIRE", "k", "100", "NX", "XX"}), nxxx);
  ExpectError(Cmd(c(), {"EXPIREAT", "k", "100", "NX", "XX"}), nxxx);
  ExpectError(Cmd(c(), {"PEXPIREAT", "k", "100", "NX", "XX"}), nxxx);
  ExpectError(Cmd(c(), {"EXPIRE", "k", "100", "GT", "LT"}), "ERR GT and LT options at the same time are not compatible");
  ExpectError(Cmd(c(), {"EXPIRE", "k", "100", "FOO"}), "ERR Unsupported option FOO");
  ExpectError(Cmd(c(), {"PEXPIRE", "k", "100", "xx", "bar"}), "ERR Unsupported option bar");
  ExpectInt(Cmd(c(), {"TTL", "k"}), 5000);
  // Options on a missing key: 0, not an error.
  ExpectInt(Cmd(c(), {"EXPIRE", "nokey", "100", "NX"}), 0);
}

TEST_F(ExpireTest, Persist) {
  ExpectInt(Cmd(c(), {"PERSIST", "nokey"}), 0);
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectInt(Cmd(c(), {"PERSIST", "k"}), 0);
  ExpectInt(Cmd(c(), {"EXPIRE", "k", "100"}), 1);
  ExpectInt(Cmd(c(), {"PERSIST", "k"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "k"}), -1);
  ExpectInt(Cmd(c(), {"PERSIST", "k"}), 0);
  ExpectError(Cmd(c(), {"PERSIST"}), "ERR wrong number of arguments for 'persist' command");
}

TEST_F(ExpireTest, NonPositiveExpireDeletes) {
  ExpectOk(Cmd(c(), {"SET", "a", "v"}));
  ExpectInt(Cmd(c(), {"EXPIRE", "a", "0"}), 1);
  ExpectInt(Cmd(c(), {"EXISTS", "a"}), 0);
  ExpectOk(Cmd(c(), {"SET", "b", "v"}));
  ExpectInt(Cmd(c(), {"EXPIRE", "b", "-10"}), 1);
  ExpectNil(Cmd(c(), {"GET", "b"}));
  ExpectOk(Cmd(c(), {"SET", "c", "v"}));
  ExpectInt(Cmd(c(), {"PEXPIRE", "c", "-1"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "c"}), -2);
  ExpectOk(Cmd(c(), {"SET", "d", "v"}));
  ExpectInt(Cmd(c(), {"EXPIREAT", "d", "1"}), 1);  // in the past
  ExpectInt(Cmd(c(), {"EXISTS", "d"}), 0);
  ExpectOk(Cmd(c(), {"SET", "e", "v"}));
  ExpectInt(Cmd(c(), {"PEXPIREAT", "e", std::to_string(NowMs() - 1000)}), 1);
  ExpectInt(Cmd(c(), {"EXISTS", "e"}), 0);
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  // GT/LT conditions still apply before a past time deletes.
  ExpectOk(Cmd(c(), {"SET", "f", "v"}));
  ExpectInt(Cmd(c(), {"EXPIRE", "f", "-1", "GT"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "f"}), 1);
  ExpectInt(Cmd(c(), {"EXPIRE", "f", "-1", "XX"}), 0);
  ExpectInt(Cmd(c(), {"EXISTS", "f"}), 1);
  ExpectInt(Cmd(c(), {"EXPIRE", "f", "-1", "LT"}), 1);
  ExpectInt(Cmd(c(), {"EXISTS", "f"}), 0);
}

TEST_F(ExpireTest, KeysReallyExpire) {
  ExpectOk(Cmd(c(), {"SET", "px", "v", "PX", "100"}));
  ExpectBulk(Cmd(c(), {"GET", "px"}), "v");
  ExpectOk(Cmd(c(), {"PSETEX", "ps", "100", "v"}));
  ExpectOk(Cmd(c(), {"SET", "pe", "v"}));
  ExpectInt(Cmd(c(), {"PEXPIRE", "pe", "100"}), 1);
  ExpectOk(Cmd(c(), {"SET", "pat", "v", "PXAT", std::to_string(NowMs() + 100)}));
  ExpectOk(Cmd(c(), {"SET", "gx", "v"}));
  ExpectBulk(Cmd(c(), {"GETEX", "gx", "PX", "100"}), "v");
  ExpectOk(Cmd(c(), {"SET", "n", "10", "PX", "100"}));
  ExpectOk(Cmd(c(), {"SET", "r", "v", "PX", "100"}));
  ExpectOk(Cmd(c(), {"SET", "long", "v", "EX", "100"}));
  ExpectOk(Cmd(c(), {"SET", "slow", "v", "PX", "1500"}));
  ExpectOk(Cmd(c(), {"SET", "forever", "v"}));
  SleepMs(300);

  // Expired keys are invisible to KEYS/SCAN/EXISTS/MGET even before anything touches them.
  ExpectBulkSet(Cmd(c(), {"KEYS", "*"}), {"long", "slow", "forever"});
  Reply scan = Cmd(c(), {"SCAN", "0", "COUNT", "1000"});
  ASSERT_TRUE(ExpectArrayLen(scan, 2));
  EXPECT_TRUE(IsBulkSet(Elem(scan.get(), 1), {"long", "slow", "forever"}));
  ExpectInt(Cmd(c(), {"EXISTS", "px", "ps", "pe", "pat", "gx", "n", "r"}), 0);
  Reply m = Cmd(c(), {"MGET", "px", "forever"});
  ASSERT_TRUE(ExpectArrayLen(m, 2));
  EXPECT_TRUE(IsNil(Elem(m.get(), 0)));
  ExpectNil(Cmd(c(), {"GET", "ps"}));
  ExpectInt(Cmd(c(), {"TTL", "pe"}), -2);
  ExpectInt(Cmd(c(), {"PTTL", "pat"}), -2);
  ExpectStatus(Cmd(c(), {"TYPE", "gx"}), "none");
  ExpectError(Cmd(c(), {"RENAME", "r", "r2"}), "ERR no such key");
  // Writing to an expired key starts fresh, without the old TTL.
  ExpectInt(Cmd(c(), {"INCR", "n"}), 1);
  ExpectInt(Cmd(c(), {"TTL", "n"}), -1);
  ExpectInt(Cmd(c(), {"DEL", "n"}), 1);
  ExpectInt(Cmd(c(), {"DBSIZE"}), 3);
  long long pttl = IntOf({"PTTL", "slow"});
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 1300);  // it counts down
  EXPECT_GE(IntOf({"TTL", "long"}), 99);
  ExpectBulk(Cmd(c(), {"GET", "forever"}), "v");
}

TEST_F(ExpireTest, UntouchedKeysAreEvictedActively) {
  // Nothing reads these keys; the server must still drop them by itself (DBSIZE counts stored keys).
  for (int i = 0; i < 50; ++i) ExpectOk(Cmd(c(), {"SET", "t" + std::to_string(i), "v", "PX", "100"}));
  ExpectOk(Cmd(c(), {"SET", "keep", "v"}));
  long long size = -1;
  for (int i = 0; i < 60; ++i) {  // up to ~3 s
    SleepMs(50);
    size = IntOf({"DBSIZE"});
    if (size == 1) break;
  }
  EXPECT_EQ(size, 1) << "expired keys were never removed without being accessed";
  Reply info = Cmd(c(), {"INFO", "keyspace"});
  ExpectBulk(info, "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
}

TEST_F(ExpireTest, SetWithoutKeepttlClearsTtl) {
  ExpectOk(Cmd(c(), {"SET", "k", "v", "EX", "100"}));
  ExpectOk(Cmd(c(), {"SET", "k", "v2"}));
  ExpectInt(Cmd(c(), {"TTL", "k"}), -1);
  ExpectOk(Cmd(c(), {"SET", "k", "v", "PX", "100000"}));
  ExpectOk(Cmd(c(), {"SET", "k", "v3", "KEEPTTL"}));
  EXPECT_GT(IntOf({"PTTL", "k"}), 90000);
  ExpectOk(Cmd(c(), {"SETEX", "k", "100", "v"}));
  ExpectInt(Cmd(c(), {"SETNX", "k", "x"}), 0);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 100);
  // Commands that modify the value in place keep the TTL.
  ExpectInt(Cmd(c(), {"APPEND", "k", "x"}), 2);
  ExpectInt(Cmd(c(), {"SETRANGE", "k", "0", "y"}), 2);
  ExpectInt(Cmd(c(), {"TTL", "k"}), 100);
  ExpectInt(Cmd(c(), {"DEL", "k"}), 1);
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectInt(Cmd(c(), {"TTL", "k"}), -1);  // a deleted key's TTL does not come back
}

}  // namespace
}  // namespace tally_test
