// The write-ahead log's guarantees (DESIGN.md, "The write-ahead log"), proved against the real binary:
//   WalDurabilityTest    kill -9 under concurrent load with appendfsync always keeps every acknowledged write
//                        (single commands and MULTI/EXEC, which must come back all or nothing), and every
//                        value a reply showed, with many clients on one key (leader sync and writer thread)
//   WalRoundTripTest     a full dump before a restart equals the dump after it (shutdown, kill -9, rewrite, ...)
// (damage and compaction crashes: integration_wal_damage_test.cpp; loading, failing writes and
// automatic compaction: integration_wal_ops_test.cpp). They restart the server on its own data directory,
// so against a real redis-server they are skipped.
#include "tests/integration_wal_support.h"

namespace tally_test {
namespace {

// ---------------------------------------------------------------------------------------------------------
// 1. kill -9 under concurrent load, appendfsync always

class WalDurabilityTest : public WalTest {};

TEST_F(WalDurabilityTest, Kill9UnderConcurrentLoadKeepsEveryAcknowledgedWrite) {
  auto s = StartWal({"--appendfsync", "always"});
  ASSERT_TRUE(s);
  constexpr int kWriters = 4;
  std::vector<Writer> writers(kWriters);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    writers[i].prefix = "t" + std::to_string(i) + ":";
    threads.emplace_back(RunWriter, s->port(), 1000u + i, &stop, nullptr, &writers[i]);
  }
  SleepMs(1500);
  ASSERT_TRUE(s->Kill9()) << "the server died under load: " << s->exit_description() << "\n" << s->LogSinceStart();
  stop = true;
  for (auto& t : threads) t.join();
  long long total = 0;
  for (auto& w : writers) {
    EXPECT_TRUE(w.problems.empty()) << w.prefix << ": " << Join(w.problems);
    EXPECT_GT(w.acked, 20) << "writer " << w.prefix << " got too few writes through to test anything";
    total += w.acked;
  }
  ASSERT_TRUE(RestartLoaded(*s));
  Client c(s->port());
  size_t keys = 0;
  for (auto& w : writers) {
    EXPECT_TRUE(MatchesWriter(c, w));
    keys += w.model.size();
  }
  Reply n = Cmd(c, {"DBSIZE"});
  ASSERT_TRUE(n && n->type == REDIS_REPLY_INTEGER) << Describe(n.get());
  EXPECT_LE(std::llabs(n->integer - static_cast<long long>(keys)), kWriters) << "keys outside the writers' models";
  std::cout << "[          ] " << total << " acknowledged writes from " << kWriters << " clients before kill -9\n";
}

// Many clients on one key (one shard, as redis-benchmark's HSET and ZADD) and on keys of their own,
// while readers look at everything: after kill -9, every acknowledged write is there, and so is
// every value a reader was shown (a reply may only show a write that is already on disk). Each
// writer owns a field of the one hash and a counter; values only grow, so "at least what was
// acknowledged or seen, at most one more" pins both down.
void HotKeyKill9(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--appendfsync", "always"};
  all.insert(all.end(), args.begin(), args.end());
  auto s = StartWal(all);
  ASSERT_TRUE(s);
  constexpr int kWriters = 24, kReaders = 4;
  std::vector<long long> acked_field(kWriters, 0), acked_counter(kWriters, 0);
  std::vector<std::atomic<long long>> seen_field(kWriters), seen_counter(kWriters);
  std::vector<std::string> problems(kWriters + kReaders);
  std::atomic<bool> stop{false};
  auto raise = [](std::atomic<long long>& a, long long v) {
    for (long long cur = a.load(); v > cur && !a.compare_exchange_weak(cur, v);) {}
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      Client c(s->port());
      std::string field = "f" + std::to_string(i), counter = "hot:c" + std::to_string(i);
      while (!stop) {
        Reply r = Cmd(c, {"HINCRBY", "hot", field, "1"});
        if (!r) return;  // killed
        if (!IsInt(r.get(), acked_field[i] + 1)) return void(problems[i] = "HINCRBY -> " + Describe(r.get()));
        ++acked_field[i];
        r = Cmd(c, {"INCR", counter});
        if (!r) return;
        if (!IsInt(r.get(), acked_counter[i] + 1)) return void(problems[i] = "INCR -> " + Describe(r.get()));
        ++acked_counter[i];
      }
    });
  }
  for (int j = 0; j < kReaders; ++j) {
    threads.emplace_back([&, j] {
      Client c(s->port());
      while (!stop) {
        Reply h = Cmd(c, {"HGETALL", "hot"});
        if (!h) return;
        std::vector<std::string> kv = Strings(h.get());
        for (size_t k = 0; k + 1 < kv.size(); k += 2) raise(seen_field[std::stoi(kv[k].substr(1))], std::stoll(kv[k + 1]));
        std::vector<std::string> mget = {"MGET"};
        for (int i = 0; i < kWriters; ++i) mget.push_back("hot:c" + std::to_string(i));
        Reply m = Cmd(c, mget);
        if (!m) return;
        if (m->type != REDIS_REPLY_ARRAY) return void(problems[kWriters + j] = "MGET -> " + Describe(m.get()));
        for (int i = 0; i < kWriters; ++i)
          if (m->element[i]->type == REDIS_REPLY_STRING) raise(seen_counter[i], std::stoll(m->element[i]->str));
      }
    });
  }
  SleepMs(1500);
  ASSERT_TRUE(s->Kill9()) << "the server died under load: " << s->exit_description() << "\n" << s->LogSinceStart();
  stop = true;
  for (auto& t : threads) t.join();
  for (auto& p : problems) EXPECT_EQ(p, "");
  ASSERT_TRUE(RestartLoaded(*s));
  Client c(s->port());
  long long total = 0, seen_ahead = 0;
  for (int i = 0; i < kWriters; ++i) {
    Reply f = Cmd(c, {"HGET", "hot", "f" + std::to_string(i)});
    Reply n = Cmd(c, {"GET", "hot:c" + std::to_string(i)});
    long long fv = f && f->type == REDIS_REPLY_STRING ? std::stoll(f->str) : 0;
    long long nv = n && n->type == REDIS_REPLY_STRING ? std::stoll(n->str) : 0;
    EXPECT_GE(fv, std::max(acked_field[i], seen_field[i].load())) << "field f" << i << " lost a write a reply showed";
    EXPECT_LE(fv, acked_field[i] + 1) << "field f" << i;
    EXPECT_GE(nv, std::max(acked_counter[i], seen_counter[i].load())) << "hot:c" << i << " lost a write a reply showed";
    EXPECT_LE(nv, acked_counter[i] + 1) << "hot:c" << i;
    EXPECT_GT(acked_field[i], 5) << "writer " << i << " got too few writes through to test anything";
    total += acked_field[i] + acked_counter[i];
    seen_ahead += seen_field[i] > acked_field[i] || seen_counter[i] > acked_counter[i];
  }
  long long seen = 0;
  for (int i = 0; i < kWriters; ++i) seen += seen_field[i] + seen_counter[i];
  EXPECT_GT(seen, 0) << "the readers saw nothing";
  std::cout << "[          ] " << total << " acknowledged writes from " << kWriters << " clients before kill -9 ("
            << seen_ahead << " writers had a value seen by a reader before their own reply)\n";
}

TEST_F(WalDurabilityTest, Kill9WithManyClientsOnOneKeyLeaderSync) { HotKeyKill9({}); }
TEST_F(WalDurabilityTest, Kill9WithManyClientsOnOneKeyWriterThread) { HotKeyKill9({"--wal-leader-sync", "no"}); }

// ---------------------------------------------------------------------------------------------------------
// 2. Full dump before == after

class WalRoundTripTest : public WalTest {
 protected:
  // Dumps s, lets `stop` end the process, restarts it and compares.
  void RoundTrip(Server& s, const std::function<void(Server&)>& stop, size_t min_keys = 400) {
    Dump before, after;
    ASSERT_TRUE(DumpOf(s, &before));
    ASSERT_GE(before.size(), min_keys) << "the dataset is smaller than intended";
    stop(s);
    ASSERT_FALSE(s.Alive());
    ASSERT_TRUE(RestartLoaded(s));
    ASSERT_TRUE(DumpOf(s, &after));
    EXPECT_TRUE(SameDump(before, after));
  }
};

TEST_F(WalRoundTripTest, CleanShutdown) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
  }
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(Shutdown(x)); });
  // A second life on the recovered files: more writes, shut down, load again.
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 1));
  }
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(Shutdown(x)); });
}

TEST_F(WalRoundTripTest, Kill9UnderEverysecAfterOneSecond) {
  auto s = StartWal({"--appendfsync", "everysec"});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
  }
  SleepMs(1200);
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

TEST_F(WalRoundTripTest, Kill9AfterRewriteAndMoreWrites) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ExpectStatus(Cmd(c, {"BGREWRITEAOF"}), "Background append only file rewriting started");
    ASSERT_TRUE(LoadMixed(c, 1));  // while the snapshot is being written, as far as it takes
    ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
    ASSERT_TRUE(WaitRewriteDone(c, 1)) << Info(c, "persistence");
    EXPECT_EQ(InfoField(Info(c, "persistence"), "aof_last_bgrewrite_status"), "ok");
    std::vector<std::string> files = ListDir(WalDir(s->dir()));
    EXPECT_TRUE(std::count(files.begin(), files.end(), "tally.2.snap") == 1 &&
                std::count(files.begin(), files.end(), "tally.2.wal") == 1 && files.size() == 2)
        << "after one rewrite: " << Join(files);
    // More writes on top of the snapshot, including whole-database ones.
    ASSERT_TRUE(LoadMixed(c, 2));
    ASSERT_TRUE(Pipeline(c, MutateCommands(1)));
    ASSERT_TRUE(Pipeline(c, {{"SWAPDB", "1", "2"}, {"SELECT", "9"}, {"FLUSHDB"}, {"SELECT", "0"}}));
    // And a second compaction (COMPACT waits), then still more.
    ExpectOk(Cmd(c, {"COMPACT"}));
    ASSERT_TRUE(Pipeline(c, MutateCommands(2)));
    ASSERT_TRUE(Pipeline(c, {{"SWAPDB", "0", "5"}, {"SET", "after-compact", "1"}}));
  }
  SleepMs(1200);
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

TEST_F(WalRoundTripTest, Kill9AfterFlushSwapMoveCopy) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ASSERT_TRUE(Pipeline(c, {{"FLUSHALL"}}));
    ASSERT_TRUE(LoadMixed(c, 1));
    ASSERT_TRUE(LoadMixed(c, 2));
    ASSERT_TRUE(Pipeline(c, {{"SELECT", "5"},
                             {"FLUSHDB"},
                             {"SET", "after-flushdb", "x"},
                             {"SWAPDB", "0", "1"},
                             {"SWAPDB", "2", "3"},
                             {"SELECT", "1"},  // what was db 0
                             {"MOVE", "m1:s:40", "6"},
                             {"MOVE", "m1:h:10", "6"},
                             {"MOVE", "m1:z:11", "6"},
                             {"COPY", "m1:s:41", "m1:s:41", "DB", "7"},
                             {"COPY", "m1:h:12", "m1:h:12", "DB", "7"},
                             {"COPY", "m1:z:13", "m1:z:13c"},
                             {"COPY", "m1:s:42", "m1:s:43", "REPLACE"},
                             {"SELECT", "0"},  // what was db 1
                             {"SET", "in-swapped-db", "y"},
                             {"SELECT", "8"},
                             {"SET", "x", "1"},
                             {"FLUSHDB"},
                             {"SELECT", "0"}}));
  }
  SleepMs(1200);
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

TEST_F(WalRoundTripTest, Kill9UnderAlways) {
  auto s = StartWal({"--appendfsync", "always"});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
    ASSERT_TRUE(Pipeline(c, {{"SWAPDB", "1", "2"}, {"SELECT", "9"}, {"FLUSHDB"}, {"SELECT", "0"}}));
  }
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });  // at once: every reply was an fsync'd write
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 1));
  }
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

// The log is written over zeros preallocated ahead of its end (wal-preallocate). After kill -9 they
// are still in the file: the restart reads them as the log's end (no torn-write warning), cuts
// them off, and the next write lands right after the last batch.
TEST_F(WalRoundTripTest, Kill9LeavesPreallocatedZerosThatReadAsTheLogsEnd) {
  auto s = StartWal({"--appendfsync", "always", "--wal-preallocate", "256kb"});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "one", "1"})));
    long long log = LogBytes(c);
    EXPECT_GE(FileSize(LogPath(s->dir())), log + 256 * 1024) << "no zeros preallocated after the log's end";
  }
  ASSERT_TRUE(s->Kill9());
  std::string out;
  EXPECT_EQ(RunTool({"--check-wal", WalDir(s->dir())}, &out), 0) << out;
  EXPECT_NE(out.find("zeros after it"), std::string::npos) << out;
  ASSERT_TRUE(RestartLoaded(*s));
  EXPECT_EQ(s->LogSinceStart().find("interrupted"), std::string::npos) << s->LogSinceStart();
  {
    Client c(s->port());
    EXPECT_EQ(FileSize(LogPath(s->dir())), LogBytes(c)) << "the zeros were not cut off at the restart";
    ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "two", "2"})));
  }
  ASSERT_TRUE(s->Kill9());
  ASSERT_TRUE(RestartLoaded(*s));
  Client c(s->port());
  ExpectBulk(Cmd(c, {"GET", "one"}), "1");
  ExpectBulk(Cmd(c, {"GET", "two"}), "2");
}

// wal-preallocate 0: plain appends; the file ends where the log does.
TEST_F(WalRoundTripTest, PreallocateZeroWritesPlainAppends) {
  auto s = StartWal({"--appendfsync", "always", "--wal-preallocate", "0"});
  ASSERT_TRUE(s);
  Client c(s->port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "k" + std::to_string(i), "v"})));
    EXPECT_EQ(FileSize(LogPath(s->dir())), LogBytes(c));
  }
}

TEST_F(WalRoundTripTest, AppendonlySwitchedOffAndOnAgain) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ExpectOk(Cmd(c, {"CONFIG", "SET", "appendonly", "no"}));
    ASSERT_TRUE(LoadMixed(c, 1));  // not logged while off ...
    ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
    ExpectOk(Cmd(c, {"CONFIG", "SET", "appendonly", "yes"}));  // ... but in the snapshot taken when it comes back
    ASSERT_TRUE(WaitRewriteDone(c, 1)) << Info(c, "persistence");
    ASSERT_TRUE(LoadMixed(c, 2));
  }
  SleepMs(1200);
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

// Off and on again within one pass of the log writer (it applies CONFIG SET on its next pass): still a
// fresh log on a snapshot, as Redis starts one for every switch on.
TEST_F(WalRoundTripTest, AppendonlySwitchedOffAndOnBackToBack) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    ASSERT_TRUE(Pipeline(c, {{"CONFIG", "SET", "appendonly", "no"}, {"CONFIG", "SET", "appendonly", "yes"}}));
    ASSERT_TRUE(WaitRewriteDone(c, 1)) << Info(c, "persistence");
    ASSERT_TRUE(LoadMixed(c, 1));
  }
  SleepMs(1200);
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

TEST_F(WalRoundTripTest, SaveBgsaveAndLastsave) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ASSERT_TRUE(LoadMixed(c, 0));
    long long before = NowMs() / 1000;
    ExpectOk(Cmd(c, {"SAVE"}));
    Reply last = Cmd(c, {"LASTSAVE"});
    ASSERT_TRUE(last && last->type == REDIS_REPLY_INTEGER) << Describe(last.get());
    EXPECT_GE(last->integer, before);
    EXPECT_LE(last->integer, NowMs() / 1000 + 1);
    ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
    ExpectStatus(Cmd(c, {"BGSAVE"}), "Background saving started");
    ASSERT_TRUE(WaitRewriteDone(c, 2));
    EXPECT_EQ(InfoField(Info(c, "persistence"), "rdb_last_bgsave_status"), "ok");
    ASSERT_TRUE(LoadMixed(c, 1));
    std::vector<std::string> files = ListDir(WalDir(s->dir()));
    EXPECT_EQ(Join(files), "tally.3.snap tally.3.wal");
  }
  SleepMs(1200);
  RoundTrip(*s, [](Server& x) { ASSERT_TRUE(x.Kill9()); });
}

// ---------------------------------------------------------------------------------------------------------

}  // namespace
}  // namespace tally_test
