// MULTI / EXEC / DISCARD in-process: queuing, EXECABORT, reply shapes (bytes as redis-server 7.0.15).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tally
