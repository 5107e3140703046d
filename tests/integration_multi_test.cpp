// MULTI/EXEC through the real binary: redis-py's default pipeline shape (everything in one write),
// isolation (a transaction's commands are never interleaved with another client's), and WATCH: which
// changes, by which client, make EXEC fail, as redis-server 7.0 decides it (every test here also
// passes against it).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

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

// ---- WATCH ----

// WATCH key, then (optionally) `change` from another connection, then MULTI / INCR probe / EXEC.
// Returns whether EXEC ran (an array) rather than failing for the watch (a nil); anything else fails.
bool ExecRunsAfter(redisContext* watcher, redisContext* other, const std::string& key,
                   const std::vector<std::string>& change, Loc loc = Loc::current()) {
  bool ok = ExpectOk(Cmd(watcher, {"WATCH", key}), loc);
  if (!change.empty()) ok &= Cmd(other, change) != nullptr;
  ok &= ExpectOk(Cmd(watcher, {"MULTI"}), loc);
  ok &= ExpectStatus(Cmd(watcher, {"INCR", "probe"}), "QUEUED", loc);
  Reply exec = Cmd(watcher, {"EXEC"});
  if (!ok || !exec || (exec->type != REDIS_REPLY_NIL && exec->type != REDIS_REPLY_ARRAY)) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << "EXEC: " << Describe(exec.get());
    return false;
  }
  return exec->type == REDIS_REPLY_ARRAY;
}

TEST_F(MultiTest, WatchedKeyChangedElsewhereFailsExec) {
  Client other = NewClient();
  ExpectOk(Cmd(c(), {"SET", "k", "1"}));
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(other, {"SET", "k", "2"}));
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"SET", "k", "mine"}), "QUEUED");
  ExpectNil(Cmd(c(), {"EXEC"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "2");  // nothing of the transaction ran
  // EXEC forgot the watch: the same transaction now runs.
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"SET", "k", "mine"}), "QUEUED");
  ExpectArrayLen(Cmd(c(), {"EXEC"}), 1);
  ExpectBulk(Cmd(c(), {"GET", "k"}), "mine");
}

TEST_F(MultiTest, WatchForgottenByUnwatchDiscardAndExec) {
  Client other = NewClient();
  EXPECT_TRUE(ExecRunsAfter(c(), other, "k", {}));
  // After the watch was forgotten, another client changes k and an empty transaction still runs.
  auto forgotten = [&](const char* value, Loc loc = Loc::current()) {
    ExpectOk(Cmd(other, {"SET", "k", value}), loc);
    ExpectOk(Cmd(c(), {"MULTI"}), loc);
    ExpectArrayLen(Cmd(c(), {"EXEC"}), 0, loc);
  };
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(c(), {"UNWATCH"}));
  forgotten("1");
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectOk(Cmd(c(), {"DISCARD"}));
  forgotten("2");
  // An aborted EXEC (EXECABORT) forgets it too.
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectError(Cmd(c(), {"GET"}), "ERR wrong number of arguments for 'get' command");
  ExpectError(Cmd(c(), {"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  forgotten("3");
  // RESET forgets it, and the flag of a change already seen.
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(other, {"SET", "k", "4"}));
  ExpectStatus(Cmd(c(), {"RESET"}), "RESET");
  forgotten("5");
  // UNWATCH clears that flag as well; inside MULTI it is queued like any command.
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(other, {"SET", "k", "6"}));
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"UNWATCH"}), "QUEUED");
  ExpectNil(Cmd(c(), {"EXEC"}));
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(other, {"SET", "k", "7"}));
  ExpectOk(Cmd(c(), {"UNWATCH"}));
  forgotten("8");
}

TEST_F(MultiTest, WatchErrors) {
  ExpectError(Cmd(c(), {"WATCH"}), "ERR wrong number of arguments for 'watch' command");
  ExpectError(Cmd(c(), {"UNWATCH", "k"}), "ERR wrong number of arguments for 'unwatch' command");
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"SET", "k", "1"}), "QUEUED");
  // Refused, and the transaction goes on: the refusal is WATCH's own reply, not a queuing error.
  ExpectError(Cmd(c(), {"WATCH", "k"}), "ERR WATCH inside MULTI is not allowed");
  ExpectArrayLen(Cmd(c(), {"EXEC"}), 1);
  ExpectBulk(Cmd(c(), {"GET", "k"}), "1");
}

// The watcher's own change counts too; so does any of the keys it watches, in the database it watched
// them in, and watching while already doomed is allowed.
TEST_F(MultiTest, WatchCoversOwnChangesSeveralKeysAndTheirDatabase) {
  Client other = NewClient();
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  ExpectOk(Cmd(c(), {"SET", "k", "1"}));
  ExpectOk(Cmd(c(), {"WATCH", "more"}));
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectNil(Cmd(c(), {"EXEC"}));

  ExpectOk(Cmd(c(), {"WATCH", "a", "b", "c", "a"}));
  ExpectInt(Cmd(other, {"HSET", "c", "f", "v"}), 1);
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectNil(Cmd(c(), {"EXEC"}));

  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectOk(Cmd(c(), {"WATCH", "k"}));  // k in database 1
  ExpectOk(Cmd(c(), {"SELECT", "0"}));
  ExpectOk(Cmd(other, {"SET", "k", "in db 0"}));
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectArrayLen(Cmd(c(), {"EXEC"}), 0);
  ExpectOk(Cmd(other, {"SELECT", "1"}));
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  EXPECT_FALSE(ExecRunsAfter(c(), other, "k", {"SET", "k", "in db 1"}));
}

struct Change {
  const char* what;
  std::vector<std::vector<std::string>> setup;  // run first, on the other connection
  std::vector<std::string> change;              // run on the other connection after WATCH k
};

// Each of these writes changes the watched key k (Redis's signalModifiedKey), so EXEC fails.
TEST_F(MultiTest, WatchFailsOnEveryKindOfChange) {
  const std::vector<Change> changes = {
      {"SET", {}, {"SET", "k", "v"}},
      {"SET to the same value", {{"SET", "k", "v"}}, {"SET", "k", "v"}},
      {"DEL", {{"SET", "k", "v"}}, {"DEL", "k"}},
      {"INCR", {}, {"INCR", "k"}},
      {"APPEND", {{"SET", "k", "v"}}, {"APPEND", "k", "w"}},
      {"SETRANGE", {{"SET", "k", "v"}}, {"SETRANGE", "k", "0", "w"}},
      {"GETDEL", {{"SET", "k", "v"}}, {"GETDEL", "k"}},
      {"GETEX PX", {{"SET", "k", "v"}}, {"GETEX", "k", "PX", "100000"}},
      {"EXPIRE", {{"SET", "k", "v"}}, {"EXPIRE", "k", "100"}},
      {"EXPIRE in the past", {{"SET", "k", "v"}}, {"PEXPIREAT", "k", "1"}},
      {"PERSIST", {{"SET", "k", "v", "EX", "100"}}, {"PERSIST", "k"}},
      {"HSET of a new field", {{"HSET", "k", "f", "v"}}, {"HSET", "k", "g", "v"}},
      {"HSET to the same value", {{"HSET", "k", "f", "v"}}, {"HSET", "k", "f", "v"}},
      {"HDEL", {{"HSET", "k", "f", "v", "g", "w"}}, {"HDEL", "k", "f"}},
      {"HINCRBY", {{"HSET", "k", "f", "1"}}, {"HINCRBY", "k", "f", "1"}},
      {"ZADD of a new member", {{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "2", "b"}},
      {"ZADD of a new score", {{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "2", "a"}},
      {"ZINCRBY", {{"ZADD", "k", "1", "a"}}, {"ZINCRBY", "k", "1", "a"}},
      {"ZREM", {{"ZADD", "k", "1", "a", "2", "b"}}, {"ZREM", "k", "a"}},
      {"ZPOPMIN", {{"ZADD", "k", "1", "a", "2", "b"}}, {"ZPOPMIN", "k"}},
      {"ZUNIONSTORE into it", {{"ZADD", "src", "1", "a"}}, {"ZUNIONSTORE", "k", "1", "src"}},
      {"RENAME from it", {{"SET", "k", "v"}}, {"RENAME", "k", "other"}},
      {"RENAME onto it", {{"SET", "src", "v"}}, {"RENAME", "src", "k"}},
      {"MOVE away", {{"SET", "k", "v"}}, {"MOVE", "k", "1"}},
      {"COPY onto it", {{"SET", "src", "v"}}, {"COPY", "src", "k"}},
      {"FLUSHDB", {{"SET", "k", "v"}}, {"FLUSHDB"}},
      {"FLUSHALL", {{"SET", "k", "v"}}, {"FLUSHALL"}},
      {"SWAPDB, key in this db", {{"SET", "k", "v"}}, {"SWAPDB", "0", "1"}},
      {"SWAPDB, key in the other", {{"SELECT", "1"}, {"SET", "k", "v"}, {"SELECT", "0"}}, {"SWAPDB", "0", "1"}},
  };
  Client other = NewClient();
  for (const Change& ch : changes) {
    SCOPED_TRACE(ch.what);
    Cmd(other, {"FLUSHALL"});
    for (const auto& s : ch.setup) ASSERT_TRUE(Cmd(other, s));
    EXPECT_FALSE(ExecRunsAfter(c(), other, "k", ch.change));
  }
}

// ... and these do not: reads, writes that change nothing, failed writes, other keys and databases.
TEST_F(MultiTest, WatchHoldsWhenNothingChanged) {
  const std::vector<Change> changes = {
      {"GET", {{"SET", "k", "v"}}, {"GET", "k"}},
      {"ZADD of the same score", {{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "1", "a"}},
      {"DEL of a missing key", {}, {"DEL", "k"}},
      {"a write that fails", {{"HSET", "k", "f", "v"}}, {"INCR", "k"}},
      {"EXPIRE of a missing key", {}, {"EXPIRE", "k", "100"}},
      {"PERSIST without a TTL", {{"SET", "k", "v"}}, {"PERSIST", "k"}},
      {"HDEL of a missing field", {{"HSET", "k", "f", "v"}}, {"HDEL", "k", "g"}},
      {"ZREM of a missing member", {{"ZADD", "k", "1", "a"}}, {"ZREM", "k", "b"}},
      {"SETNX that finds it", {{"SET", "k", "v"}}, {"SETNX", "k", "w"}},
      {"another key", {}, {"SET", "k2", "v"}},
      {"the same key in another db", {{"SELECT", "1"}}, {"SET", "k", "v"}},
      {"FLUSHDB, key missing", {{"SET", "k2", "v"}}, {"FLUSHDB"}},
      {"FLUSHDB of another db", {{"SET", "k", "v"}, {"SELECT", "1"}}, {"FLUSHDB"}},
      {"SWAPDB, key in neither", {{"SET", "k2", "v"}}, {"SWAPDB", "0", "1"}},
      {"SWAPDB of other dbs", {{"SET", "k", "v"}}, {"SWAPDB", "1", "2"}},
  };
  Client other = NewClient();
  for (const Change& ch : changes) {
    SCOPED_TRACE(ch.what);
    Cmd(other, {"SELECT", "0"});
    Cmd(other, {"FLUSHALL"});
    for (const auto& s : ch.setup) ASSERT_TRUE(Cmd(other, s));
    EXPECT_TRUE(ExecRunsAfter(c(), other, "k", ch.change));
  }
}

// A key that was live when watched and has expired by EXEC fails it, even though nothing deleted it;
// a key already expired when watched does not, even when a lookup deletes it meanwhile.
TEST_F(MultiTest, WatchAndExpiry) {
  Client other = NewClient();
  ExpectOk(Cmd(c(), {"SET", "k", "v", "PX", "100"}));
  ExpectOk(Cmd(c(), {"WATCH", "k"}));
  SleepMs(200);
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectNil(Cmd(c(), {"EXEC"}));

  ExpectOk(Cmd(c(), {"SET", "gone", "v", "PX", "1"}));
  SleepMs(20);
  ExpectOk(Cmd(c(), {"WATCH", "gone"}));
  ExpectNil(Cmd(other, {"GET", "gone"}));  // deletes it, if active expiry has not
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectArrayLen(Cmd(c(), {"EXEC"}), 0);
}

// The optimistic-locking loop WATCH exists for (redis-py's transaction() helper): clients increment
// one counter by GET and SET inside MULTI, retrying when EXEC fails. Without WATCH doing its job,
// increments are lost; with it, the count is exact. Clients may be served by different workers.
TEST_F(MultiTest, CheckAndSetLosesNoIncrement) {
  ExpectOk(Cmd(c(), {"SET", "counter", "0"}));
  constexpr int kClients = 4, kEach = 150;
  std::atomic<int> retries{0}, broken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      Client cl = NewClient();
      for (int done = 0; done < kEach;) {
        Reply w = Cmd(cl, {"WATCH", "counter"});
        Reply v = Cmd(cl, {"GET", "counter"});
        if (!w || !v || v->type != REDIS_REPLY_STRING) {
          ++broken;
          return;
        }
        std::string next = std::to_string(std::stoll(std::string(v->str, v->len)) + 1);
        Append(cl, {"MULTI"});
        Append(cl, {"SET", "counter", next});
        Append(cl, {"EXEC"});
        GetReply(cl);
        GetReply(cl);
        Reply exec = GetReply(cl);
        if (!exec) {
          ++broken;
          return;
        }
        if (exec->type == REDIS_REPLY_NIL) ++retries;
        else ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(broken.load(), 0);
  ExpectBulk(Cmd(c(), {"GET", "counter"}), std::to_string(kClients * kEach));
  RecordProperty("retries", retries.load());
}

// A client that disconnects while watching leaves nothing behind that a later change could trip on
// (under ASan, a stale registration would be a use after free).
TEST_F(MultiTest, WatcherThatDisconnectsIsForgotten) {
  for (int i = 0; i < 20; ++i) {
    Client w = NewClient();
    ExpectOk(Cmd(w, {"WATCH", "k", "k" + std::to_string(i)}));
    if (i % 2) ExpectOk(Cmd(w, {"MULTI"}));
  }
  for (int i = 0; i < 20; ++i) ExpectOk(Cmd(c(), {"SET", "k" + std::to_string(i), "v"}));
  ExpectOk(Cmd(c(), {"SET", "k", "v"}));
  ExpectOk(Cmd(c(), {"FLUSHALL"}));
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
}

}  // namespace
}  // namespace tally_test
