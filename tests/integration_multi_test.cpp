// MULTI/EXEC through the real binary: redis-py's default pipeline shape (everything in one write), and
// isolation: a transaction's commands are never interleaved with another client's.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "harness.h"

namespace tally_test {
namespace {

class MultiTest : public SharedServerTest {};

TEST_F(MultiTest, PipelinedTransactionAsRedisPySendsIt) {
  for (const char* cmd : {"MULTI", "SET k 10", "INCRBY k 5", "GET k", "EXEC"}) redisAppendCommand(c(), cmd);
  ExpectOk(GetReply(c()));
  for (int i = 0; i < 3; ++i) ExpectStatus(GetReply(c()), "QUEUED");
  Reply exec = GetReply(c());
  ASSERT_TRUE(exec && exec->type == REDIS_REPLY_ARRAY && exec->elements == 3) << Describe(exec.get());
  EXPECT_EQ(exec->element[0]->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(exec->element[1]->integer, 15);
  EXPECT_EQ(std::string(exec->element[2]->str, exec->element[2]->len), "15");
}

TEST_F(MultiTest, ExecAbortAfterQueuingError) {
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"SET", "a", "1"}), "QUEUED");
  ExpectError(Cmd(c(), {"SET", "a"}), "ERR wrong number of arguments for 'set' command");
  ExpectError(Cmd(c(), {"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  ExpectNil(Cmd(c(), {"GET", "a"}));
}

// SHUTDOWN inside MULTI is refused (no_multi), so EXEC never runs it: the server stays up and the
// transaction aborts.
TEST_F(MultiTest, ShutdownInsideMultiIsRefused) {
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"SET", "a", "1"}), "QUEUED");
  ExpectError(Cmd(c(), {"SHUTDOWN", "NOSAVE"}), "ERR Command not allowed inside a transaction");
  ExpectError(Cmd(c(), {"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  ExpectNil(Cmd(c(), {"GET", "a"}));
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
}

// Two keys always change together inside transactions; a reader outside must never see them differ,
// and the final counts must add up.
TEST_F(MultiTest, TransactionsAreIsolated) {
  ExpectOk(Cmd(c(), {"MSET", "x", "0", "y", "0"}));
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0};
  std::thread reader([&] {
    Client r = NewClient();
    while (!stop.load()) {
      Reply m = Cmd(r, {"MGET", "x", "y"});
      if (!m || m->elements != 2) continue;
      if (std::string(m->element[0]->str, m->element[0]->len) != std::string(m->element[1]->str, m->element[1]->len))
        ++mismatches;
    }
  });
  std::thread writers[3];
  for (auto& w : writers)
    w = std::thread([&] {
      Client cl = NewClient();
      for (int i = 0; i < 200; ++i) {
        redisAppendCommand(cl, "MULTI");
        redisAppendCommand(cl, "INCR x");
        redisAppendCommand(cl, "INCR y");
        redisAppendCommand(cl, "EXEC");
        for (int j = 0; j < 4; ++j) GetReply(cl);
      }
    });
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(mismatches.load(), 0);
  ExpectBulks(Cmd(c(), {"MGET", "x", "y"}), {"600", "600"});
}

}  // namespace
}  // namespace tally_test
