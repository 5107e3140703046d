// MULTI / EXEC / DISCARD / WATCH in-process: queuing, EXECABORT, reply shapes (bytes as redis-server
// 7.0.15), and WATCH's rules for keys that expire (integration_multi_test.cpp has the rest of WATCH).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cmd_fixture.h"

namespace tally {
namespace {

class MultiCmdTest : public CmdTest {};

TEST_F(MultiCmdTest, QueuesAndExecutesInOrder) {
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"SET", "k", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"INCR", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"GET", "nokey"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"EXEC"}), "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n");
  EXPECT_EQ(run({"GET", "k"}), bulk("2"));  // out of the transaction again
}

TEST_F(MultiCmdTest, RuntimeErrorsStayInsideTheArray) {
  ASSERT_EQ(run({"SET", "s", "abc"}), kOk);
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"INCR", "s"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"SET", "t", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"EXEC"}), "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n");
  EXPECT_EQ(run({"GET", "t"}), bulk("1"));
}

TEST_F(MultiCmdTest, QueuingErrorsAbortTheTransaction) {
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"GET"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(run({"NOSUCH"}), error("ERR unknown command 'NOSUCH', with args beginning with: "));
  EXPECT_EQ(run({"EXEC"}), error("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(run({"GET", "a"}), kNil);  // nothing ran
  EXPECT_EQ(run({"EXEC"}), error("ERR EXEC without MULTI"));
}

// SAVE and SHUTDOWN are no_multi: refused while queuing (after the arity check, as Redis), which
// aborts the transaction. Found by fuzz/commands_fuzz: a queued SHUTDOWN wrote no reply inside
// EXEC's array, leaving the array one element short.
TEST_F(MultiCmdTest, NoMultiCommandsAreRefusedWhileQueuing) {
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"SAVE", "x"}), error("ERR wrong number of arguments for 'save' command"));
  EXPECT_EQ(run({"SAVE"}), error("ERR Command not allowed inside a transaction"));
  EXPECT_EQ(run({"SHUTDOWN", "BLAH"}), error("ERR Command not allowed inside a transaction"));
  EXPECT_EQ(run({"COMPACT"}), error("ERR Command not allowed inside a transaction"));
  EXPECT_FALSE(client_.close_after_reply);
  EXPECT_EQ(run({"EXEC"}), error("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(run({"GET", "a"}), kNil);
  EXPECT_EQ(state_.workers[0]->cmd[state_.commands.find("shutdown")->id].rejected.load(), 1u);
}

TEST_F(MultiCmdTest, DiscardNestingAndErrors) {
  EXPECT_EQ(run({"EXEC"}), error("ERR EXEC without MULTI"));
  EXPECT_EQ(run({"DISCARD"}), error("ERR DISCARD without MULTI"));
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"MULTI"}), error("ERR MULTI calls can not be nested"));
  EXPECT_EQ(run({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"DISCARD"}), kOk);
  EXPECT_EQ(run({"GET", "a"}), kNil);
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"EXEC"}), "*0\r\n");  // a nested MULTI does not abort; an empty EXEC is *0
}

TEST_F(MultiCmdTest, ResetLeavesTheTransaction) {
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(run({"EXEC"}), error("ERR EXEC without MULTI"));
  EXPECT_EQ(run({"GET", "a"}), kNil);
}

TEST_F(MultiCmdTest, BlockingPopInsideExecDoesNotWait) {
  EXPECT_EQ(run({"MULTI"}), kOk);
  EXPECT_EQ(run({"BZPOPMIN", "empty", "0"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"EXEC"}), "*1\r\n*-1\r\n");
}

// A second client, and a key that is stored but expired: no worker runs active expiry here, so it
// stays until a lookup deletes it.
class WatchCmdTest : public MultiCmdTest {
 protected:
  std::string run_other(std::initializer_list<std::string_view> args) {
    std::vector<std::string> owned(args.begin(), args.end());
    std::vector<std::string_view> argv(owned.begin(), owned.end());
    other_.out.clear();
    dispatch(state_, other_, argv, state_.workers[0]->cmd.data());
    return std::string(other_.out.view());
  }
  void set_expired(std::string_view db, std::string_view key) {
    ASSERT_EQ(run_other({"SELECT", db}), kOk);
    ASSERT_EQ(run_other({"SET", key, "v", "PX", "1"}), kOk);
    ASSERT_EQ(run_other({"SELECT", "0"}), kOk);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  // MULTI, then EXEC's reply.
  std::string exec() {
    EXPECT_EQ(run({"MULTI"}), kOk);
    return run({"EXEC"});
  }
  Client other_{2, -1};
};

TEST_F(WatchCmdTest, NullReplyFollowsTheProtocol) {
  EXPECT_EQ(run({"WATCH", "k"}), kOk);
  EXPECT_EQ(run_other({"SET", "k", "v"}), kOk);
  EXPECT_EQ(exec(), "*-1\r\n");
  EXPECT_EQ(run({"HELLO", "3"}).substr(0, 1), "%");
  EXPECT_EQ(run({"WATCH", "k"}), kOk);
  EXPECT_EQ(run_other({"SET", "k", "w"}), kOk);
  EXPECT_EQ(exec(), "_\r\n");
}

// Redis (touchWatchedKey): the deletion of a key that had expired when it was watched changes
// nothing the watcher saw; writing the key again does.
TEST_F(WatchCmdTest, AKeyExpiredWhenWatchedChangesOnlyWhenWrittenAgain) {
  set_expired("0", "k");
  EXPECT_EQ(run({"WATCH", "k"}), kOk);
  EXPECT_EQ(run_other({"GET", "k"}), kNil);  // deletes it
  EXPECT_EQ(exec(), "*0\r\n");
  set_expired("0", "k");
  EXPECT_EQ(run({"WATCH", "k"}), kOk);
  EXPECT_EQ(run_other({"SET", "k", "new"}), kOk);
  EXPECT_EQ(exec(), "*-1\r\n");
}

// A key watched live that expires before EXEC fails it, though nothing deleted it (isWatchedKeyExpired).
TEST_F(WatchCmdTest, AKeyThatExpiresAfterWatchFailsExec) {
  EXPECT_EQ(run({"SET", "k", "v", "PX", "2"}), kOk);
  EXPECT_EQ(run({"WATCH", "k"}), kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(exec(), "*-1\r\n");
}

// SWAPDB, as Redis's touchAllWatchedKeysInDb: what the watcher sees after the swap decides. And
// FLUSHDB deleting a key that was expired when watched is no change either.
TEST_F(WatchCmdTest, SwapdbFlushdbAndExpiredKeys) {
  struct Case {
    const char* what;
    bool expired_in_0, expired_in_1, live_in_1;
    const char* change;
    const char* exec;
  };
  const Case cases[] = {
      {"absent, replaced by an expired key", false, true, false, "SWAPDB", "*0\r\n"},
      {"expired, replaced by nothing", true, false, false, "SWAPDB", "*0\r\n"},
      {"expired, replaced by an expired key", true, true, false, "SWAPDB", "*0\r\n"},
      {"expired, replaced by a live key", true, false, true, "SWAPDB", "*-1\r\n"},
      {"expired, flushed", true, false, false, "FLUSHDB", "*0\r\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_EQ(run_other({"FLUSHALL"}), kOk);
    if (c.expired_in_0) set_expired("0", "k");
    if (c.expired_in_1) set_expired("1", "k");
    if (c.live_in_1) {
      ASSERT_EQ(run_other({"SELECT", "1"}), kOk);
      ASSERT_EQ(run_other({"SET", "k", "live"}), kOk);
      ASSERT_EQ(run_other({"SELECT", "0"}), kOk);
    }
    EXPECT_EQ(run({"WATCH", "k"}), kOk);
    if (std::string_view(c.change) == "SWAPDB") EXPECT_EQ(run_other({"SWAPDB", "0", "1"}), kOk);
    else EXPECT_EQ(run_other({"FLUSHDB"}), kOk);
    EXPECT_EQ(exec(), c.exec);
  }
}

// Registrations are per key, database and client, and every way out of a watch removes them.
TEST_F(WatchCmdTest, RegistrationsAreRemoved) {
  Keyspace& ks = *state_.keyspace;
  EXPECT_EQ(run({"WATCH", "a", "b", "a"}), kOk);
  EXPECT_EQ(run_other({"WATCH", "a"}), kOk);
  EXPECT_EQ(client_.watched.size(), 2u);
  EXPECT_TRUE(ks.watching());
  EXPECT_EQ(run({"UNWATCH"}), kOk);
  EXPECT_TRUE(client_.watched.empty());
  EXPECT_TRUE(ks.watching());  // the other client's
  EXPECT_EQ(run_other({"MULTI"}), kOk);
  EXPECT_EQ(run_other({"DISCARD"}), kOk);
  EXPECT_FALSE(ks.watching());
  for (uint32_t s = 0; s < ks.shard_count(); ++s) EXPECT_TRUE(ks.shard(s).watched.empty());
  // Once dirty, WATCH registers nothing more (EXEC will fail anyway), as Redis.
  EXPECT_EQ(run({"WATCH", "a"}), kOk);
  EXPECT_EQ(run_other({"SET", "a", "1"}), kOk);
  EXPECT_EQ(run({"WATCH", "c"}), kOk);
  EXPECT_EQ(client_.watched.size(), 1u);
  EXPECT_EQ(run({"RESET"}), "+RESET\r\n");
  EXPECT_FALSE(ks.watching());
}

}  // namespace
}  // namespace tally
