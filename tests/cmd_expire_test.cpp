// Expiry commands, in process, with the exact bytes Redis 7.0.15 sends (checked against redis-server
// for the flag combinations, overflow limits and rounding).
#include <chrono>
#include <string>
#include <thread>

#include "db.h"
#include "tests/cmd_fixture.h"

namespace tally {
namespace {

class ExpireTest : public CmdTest {
 protected:
  void set(std::string_view k, std::string_view v) { ASSERT_EQ(run({"SET", k, v}), kOk); }
  static void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
  int64_t reply_int(std::initializer_list<std::string_view> args) {
    std::string r = run(args);
    EXPECT_EQ(r[0], ':') << r;
    return r[0] == ':' ? std::stoll(r.substr(1)) : INT64_MIN;
  }
};

TEST_F(ExpireTest, ExpireSetsTtl) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "100"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(100));
  int64_t pttl = reply_int({"PTTL", "k"});
  EXPECT_GT(pttl, 99000);
  EXPECT_LE(pttl, 100000);
  EXPECT_EQ(run({"EXPIRE", "nokey", "100"}), integer(0));
}

TEST_F(ExpireTest, PexpireSetsTtlInMs) {
  set("k", "v");
  EXPECT_EQ(run({"PEXPIRE", "k", "50000"}), integer(1));
  int64_t pttl = reply_int({"PTTL", "k"});
  EXPECT_GT(pttl, 49000);
  EXPECT_LE(pttl, 50000);
  EXPECT_EQ(run({"TTL", "k"}), integer(50));
}

TEST_F(ExpireTest, TtlRoundsToNearestSecond) {
  set("k", "v");
  ASSERT_EQ(run({"PEXPIRE", "k", "1400"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(1));
  ASSERT_EQ(run({"PEXPIRE", "k", "2499"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(2));
  ASSERT_EQ(run({"PEXPIRE", "k", "2600"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(3));
  ASSERT_EQ(run({"PEXPIRE", "k", "499"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(0));
}

TEST_F(ExpireTest, TtlOfMissingAndPersistentKeys) {
  EXPECT_EQ(run({"TTL", "nokey"}), integer(-2));
  EXPECT_EQ(run({"PTTL", "nokey"}), integer(-2));
  set("k", "v");
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
  EXPECT_EQ(run({"PTTL", "k"}), integer(-1));
  EXPECT_EQ(run({"TTL"}), error("ERR wrong number of arguments for 'ttl' command"));
  EXPECT_EQ(run({"PTTL", "a", "b"}), error("ERR wrong number of arguments for 'pttl' command"));
}

TEST_F(ExpireTest, ExpireAtAndExpireTime) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIREAT", "k", "4102444800"}), integer(1));  // 2100-01-01
  EXPECT_EQ(run({"EXPIRETIME", "k"}), integer(4102444800));
  EXPECT_EQ(run({"PEXPIRETIME", "k"}), integer(4102444800000));
  EXPECT_EQ(run({"PEXPIREAT", "k", "4102444800123"}), integer(1));
  EXPECT_EQ(run({"PEXPIRETIME", "k"}), integer(4102444800123));
  EXPECT_EQ(run({"EXPIRETIME", "k"}), integer(4102444800));
  int64_t ttl = reply_int({"TTL", "k"});
  EXPECT_NEAR(static_cast<double>(ttl), static_cast<double>(4102444800 - now_ms() / 1000), 2.0);
}

TEST_F(ExpireTest, ExpireTimeOfMissingAndPersistentKeys) {
  EXPECT_EQ(run({"EXPIRETIME", "nokey"}), integer(-2));
  EXPECT_EQ(run({"PEXPIRETIME", "nokey"}), integer(-2));
  set("k", "v");
  EXPECT_EQ(run({"EXPIRETIME", "k"}), integer(-1));
  EXPECT_EQ(run({"PEXPIRETIME", "k"}), integer(-1));
}

TEST_F(ExpireTest, LargestExpireAt) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIREAT", "k", "9223372036854775"}), integer(1));
  EXPECT_EQ(run({"EXPIREAT", "k", "9223372036854775", "xx"}), integer(1));
  EXPECT_EQ(run({"EXPIRETIME", "k"}), integer(9223372036854775));
  EXPECT_EQ(run({"PEXPIRETIME", "k"}), integer(9223372036854775000));
}

TEST_F(ExpireTest, TimeInThePastDeletes) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "0"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "-5", "lt"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  set("k", "v");
  EXPECT_EQ(run({"PEXPIREAT", "k", "1"}), integer(1));
  EXPECT_EQ(run({"GET", "k"}), kNil);
  set("k", "v");
  EXPECT_EQ(run({"EXPIREAT", "k", "-9223372036854775"}), integer(1));
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
}

TEST_F(ExpireTest, KeyExpiresAfterItsTime) {
  set("k", "v");
  set("other", "v");
  ASSERT_EQ(run({"PEXPIRE", "k", "1"}), integer(1));
  pause_ms(5);
  EXPECT_EQ(run({"GET", "k"}), kNil);
  EXPECT_EQ(run({"TTL", "k"}), integer(-2));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"EXPIRE", "k", "100"}), integer(0));
  EXPECT_EQ(run({"PERSIST", "k"}), integer(0));
  EXPECT_EQ(run({"GET", "other"}), bulk("v"));
  EXPECT_EQ(run({"DBSIZE"}), integer(1));
}

TEST_F(ExpireTest, ExpiredKeyIsAbsentToEveryReader) {
  set("k", "v");
  ASSERT_EQ(run({"PEXPIRE", "k", "1"}), integer(1));
  pause_ms(5);
  EXPECT_EQ(run({"PTTL", "k"}), integer(-2));
  EXPECT_EQ(run({"EXPIRETIME", "k"}), integer(-2));
  EXPECT_EQ(run({"TYPE", "k"}), "+none\r\n");
  EXPECT_EQ(run({"RENAME", "k", "x"}), error("ERR no such key"));
  EXPECT_EQ(run({"DEL", "k"}), integer(0));
}

TEST_F(ExpireTest, Persist) {
  set("k", "v");
  EXPECT_EQ(run({"PERSIST", "k"}), integer(0));
  ASSERT_EQ(run({"EXPIRE", "k", "100"}), integer(1));
  EXPECT_EQ(run({"PERSIST", "k"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
  EXPECT_EQ(run({"PERSIST", "nokey"}), integer(0));
  EXPECT_EQ(run({"PERSIST"}), error("ERR wrong number of arguments for 'persist' command"));
}

TEST_F(ExpireTest, NxAndXx) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "100", "XX"}), integer(0));
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
  EXPECT_EQ(run({"EXPIRE", "k", "100", "NX"}), integer(1));
  EXPECT_EQ(run({"EXPIRE", "k", "200", "nx"}), integer(0));
  EXPECT_EQ(run({"TTL", "k"}), integer(100));
  EXPECT_EQ(run({"EXPIRE", "k", "200", "xx"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(200));
  EXPECT_EQ(run({"EXPIRE", "nokey", "100", "NX"}), integer(0));
}

TEST_F(ExpireTest, GtAndLt) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "100", "GT"}), integer(0));  // no TTL counts as infinite
  EXPECT_EQ(run({"EXPIRE", "k", "100", "LT"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(100));
  EXPECT_EQ(run({"EXPIRE", "k", "50", "gt"}), integer(0));
  EXPECT_EQ(run({"EXPIRE", "k", "200", "gt"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(200));
  EXPECT_EQ(run({"EXPIRE", "k", "300", "lt"}), integer(0));
  EXPECT_EQ(run({"EXPIRE", "k", "100", "lt"}), integer(1));
  EXPECT_EQ(run({"TTL", "k"}), integer(100));
  EXPECT_EQ(run({"PEXPIREAT", "k", "4102444800000", "LT"}), integer(0));
  EXPECT_EQ(run({"PEXPIREAT", "k", "4102444800000", "GT", "XX"}), integer(1));
  EXPECT_EQ(run({"PEXPIRETIME", "k"}), integer(4102444800000));
}

TEST_F(ExpireTest, XxWithGtOrLtNeedsATtl) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "100", "xx", "gt"}), integer(0));
  EXPECT_EQ(run({"EXPIRE", "k", "100", "xx", "lt"}), integer(0));
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
}

TEST_F(ExpireTest, FlagErrors) {
  set("k", "v");
  const std::string combo = error("ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(run({"EXPIRE", "k", "100", "nx", "xx"}), combo);
  EXPECT_EQ(run({"EXPIRE", "k", "100", "nx", "gt"}), combo);
  EXPECT_EQ(run({"PEXPIRE", "k", "100", "LT", "NX"}), combo);
  EXPECT_EQ(run({"EXPIRE", "k", "100", "gt", "lt"}),
            error("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(run({"EXPIRE", "k", "100", "foo"}), error("ERR Unsupported option foo"));
  EXPECT_EQ(run({"EXPIRE", "k", "100", "foo", "bar"}), error("ERR Unsupported option foo"));
  // Options are checked before the time.
  EXPECT_EQ(run({"EXPIRE", "k", "abc", "foo"}), error("ERR Unsupported option foo"));
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
}

TEST_F(ExpireTest, TimeErrors) {
  set("k", "v");
  const std::string not_int = error("ERR value is not an integer or out of range");
  EXPECT_EQ(run({"EXPIRE", "k", "abc"}), not_int);
  EXPECT_EQ(run({"EXPIRE", "nokey", "abc"}), not_int);
  EXPECT_EQ(run({"PEXPIRE", "k", "1.5"}), not_int);
  EXPECT_EQ(run({"EXPIREAT", "k", ""}), not_int);
  EXPECT_EQ(run({"EXPIRE", "k"}), error("ERR wrong number of arguments for 'expire' command"));
  EXPECT_EQ(run({"PEXPIREAT", "k"}), error("ERR wrong number of arguments for 'pexpireat' command"));
}

TEST_F(ExpireTest, OverflowIsAnInvalidExpireTime) {
  set("k", "v");
  EXPECT_EQ(run({"EXPIRE", "k", "9223372036854775807"}), error("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(run({"EXPIRE", "k", "9223372036854775"}), error("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(run({"EXPIRE", "k", "9223372036854774"}), error("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(run({"EXPIRE", "k", "-9223372036854776"}), error("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(run({"PEXPIRE", "k", "9223372036854775807"}), error("ERR invalid expire time in 'pexpire' command"));
  EXPECT_EQ(run({"EXPIREAT", "k", "9223372036854776"}), error("ERR invalid expire time in 'expireat' command"));
  EXPECT_EQ(run({"expire", "nokey", "9223372036854775"}), error("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
  // The extremes that fit are accepted.
  EXPECT_EQ(run({"PEXPIREAT", "k", "9223372036854775807"}), integer(1));
  EXPECT_EQ(run({"PEXPIRETIME", "k"}), integer(9223372036854775807));
  EXPECT_EQ(run({"PEXPIREAT", "k", "-9223372036854775808"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
}

TEST_F(ExpireTest, SetClearsTtlAndRenameKeepsIt) {
  set("k", "v");
  ASSERT_EQ(run({"EXPIRE", "k", "100"}), integer(1));
  set("k", "v2");
  EXPECT_EQ(run({"TTL", "k"}), integer(-1));
  ASSERT_EQ(run({"EXPIRE", "k", "100"}), integer(1));
  ASSERT_EQ(run({"RENAME", "k", "j"}), kOk);
  EXPECT_EQ(run({"TTL", "j"}), integer(100));
}

TEST_F(ExpireTest, TableRows) {
  for (auto name : {"expire", "pexpire", "expireat", "pexpireat"}) {
    const Command* c = state_.commands.find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->spec->arity, -3);
    EXPECT_TRUE(c->spec->flags & kCmdWrite);
  }
  for (auto name : {"ttl", "pttl", "expiretime", "pexpiretime", "persist"}) {
    const Command* c = state_.commands.find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->spec->arity, 2);
    EXPECT_EQ(c->spec->first_key, 1);
  }
}

TEST(CommandTimeTest, ScopeSetsNestsAndRestoresTheCommandsTime) {
  EXPECT_NEAR(static_cast<double>(command_now_ms()), static_cast<double>(now_ms()), 1000.0);
  {
    CommandTimeScope outer(5000);
    EXPECT_EQ(command_now_ms(), 5000);
    {
      CommandTimeScope inner(7000);
      EXPECT_EQ(command_now_ms(), 7000);
    }
    EXPECT_EQ(command_now_ms(), 5000);
  }
  EXPECT_GT(command_now_ms(), 1600000000000) << "outside a command: the clock again";
}

// A command's key lookups judge expiry by its one reading of the clock.
TEST_F(ExpireTest, LookupsJudgeExpiryAtTheCommandsTime) {
  set("k", "v");
  const int64_t at = now_ms() + 100000;
  EXPECT_EQ(reply_int({"PEXPIREAT", "k", std::to_string(at)}), 1);
  const std::string_view key = "k";
  {
    CommandTimeScope during(at);
    Txn txn(*state_.keyspace, 0, std::span<const std::string_view>(&key, 1));
    EXPECT_NE(txn.find(0), nullptr) << "alive through the millisecond of its deadline, as in Redis";
  }
  {
    CommandTimeScope after(at + 1);
    Txn txn(*state_.keyspace, 0, std::span<const std::string_view>(&key, 1));
    EXPECT_EQ(txn.find(0), nullptr) << "expired in the millisecond after it";
  }
}

// Active expiry draws the same line as the lookups: it leaves a key alone in the millisecond of its
// deadline and deletes it in the one after.
TEST_F(ExpireTest, ActiveExpiryLeavesAKeyThroughItsDeadlineMillisecond) {
  const int64_t at = now_ms() + 100000;
  set("k", "v");
  ASSERT_EQ(reply_int({"PEXPIREAT", "k", std::to_string(at)}), 1);
  auto expire_all = [&](int64_t now) {
    std::size_t expired = 0;
    for (uint32_t shard = 0; shard < state_.keyspace->shard_count(); ++shard) {
      expired += state_.keyspace->active_expire(shard, now, 100);
    }
    return expired;
  };
  EXPECT_EQ(expire_all(at), 0u);
  EXPECT_EQ(run({"EXISTS", "k"}), integer(1));
  EXPECT_EQ(expire_all(at + 1), 1u);
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
}

// A chain of back-to-back commands (worker.cpp's run_commands) reads the clock for its first command
// and then starts each command when the one before it ended: still the current time, never an older one.
TEST_F(ExpireTest, ChainedCommandClockStartsFromAFreshReading) {
  EXPECT_EQ(run({"SET", "k", "v", "PX", "5"}), kOk);
  pause_ms(20);
  {
    ChainedCommandClock chain;
    EXPECT_EQ(run({"GET", "k"}), kNil) << "expired before the chain began";
    EXPECT_EQ(run({"SET", "j", "v", "PX", "5"}), kOk);
    pause_ms(20);  // not back to back: the chain's contract says the next command sees the old time
    EXPECT_EQ(run({"GET", "j"}), bulk("v"));
  }
  EXPECT_EQ(run({"GET", "j"}), kNil) << "outside the chain: the clock again";
}

}  // namespace
}  // namespace tally
