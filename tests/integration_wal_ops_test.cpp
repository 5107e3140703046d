// The write-ahead log in operation, proved against the real binary:
//   WalLoadingTest       -LOADING and INFO loading:1 while a big log replays
//   WalMisconfTest       a failing log write (file size limit) refuses writes (everysec) or exits (always)
//   WalAutoRewriteTest   the log is compacted by itself past its growth threshold
//   WalWriterTest        the log writer sleeps when idle; under leader sync it still writes what nobody waits for
#include "tests/integration_wal_support.h"

namespace tally_test {
namespace {

// 6. LOADING while a big log replays

class WalLoadingTest : public WalTest {};

TEST_F(WalLoadingTest, CommandsGetLoadingWhileTheLogReplays) {
  constexpr int kKeys = 300000;
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    std::vector<std::vector<std::string>> cmds;
    cmds.reserve(kKeys);
    for (int i = 0; i < kKeys; ++i) cmds.push_back({"SET", "key:" + std::to_string(i), "value-" + std::to_string(i)});
    ASSERT_TRUE(Pipeline(c, cmds));
  }
  ASSERT_TRUE(Shutdown(*s));
  std::string err;
  long long t0 = NowMs();
  ASSERT_TRUE(s->Launch(&err)) << err;
  ASSERT_TRUE(s->WaitListening(10000, &err)) << err;
  {
    Client c(s->port());
    ASSERT_TRUE(c.ok()) << c.error();
    Reply get = Cmd(c, {"GET", "key:1"});
    long long at = NowMs() - t0;
    ASSERT_TRUE(IsError(get.get(), "LOADING Redis is loading the dataset in memory"))
        << Describe(get.get()) << " " << at << " ms after the start: the load of " << kKeys
        << " keys ended before a client could look (or no -LOADING)";
    std::string info = Info(c, "persistence");
    EXPECT_EQ(InfoField(info, "loading"), "1") << info;
    // The size to load is known within moments of the start (the first instant may still show 0).
    for (long long until = NowMs() + 500; NowMs() < until && InfoField(info, "loading") == "1" &&
                                          InfoField(info, "loading_total_bytes") == "0";
         SleepMs(5))
      info = Info(c, "persistence");
    if (InfoField(info, "loading") == "1") {
      EXPECT_NE(InfoField(info, "loading_total_bytes"), "0") << info;
    }
    ExpectError(Cmd(c, {"SET", "x", "y"}), "LOADING Redis is loading the dataset in memory");
  }
  ASSERT_TRUE(WaitLoaded(*s, &err)) << err;
  std::cout << "[          ] " << kKeys << " keys loaded in about " << NowMs() - t0 << " ms\n";
  Client c(s->port());
  ExpectInt(Cmd(c, {"DBSIZE"}), kKeys);
  ExpectBulk(Cmd(c, {"GET", "key:1"}), "value-1");
  ExpectBulk(Cmd(c, {"GET", "key:299999"}), "value-299999");
  EXPECT_EQ(InfoField(Info(c, "persistence"), "loading"), "0");
}

// ---------------------------------------------------------------------------------------------------------
// 7. A failing log write (the file size limit) is never silent

class WalMisconfTest : public WalTest {};

// CPU time (user + system) the process has used, in ms; -1 if unknown.
long long CpuMs(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {  // fields 14 and 15: utime, stime (clock ticks)
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * 1000 / sysconf(_SC_CLK_TCK);
}

constexpr unsigned long long kFileLimit = 64 * 1024;  // `ulimit -f 64`
const std::string kMisconf = "MISCONF Errors writing to the AOF file: File too large";

TEST_F(WalMisconfTest, EverysecRefusesWritesUntilTheLogCanBeWrittenAgain) {
  auto s = StartWal({"--appendfsync", "everysec"}, {}, kFileLimit);
  ASSERT_TRUE(s);
  Client c(s->port());
  const std::string value(1000, 'v');
  std::map<std::string, std::string> acked;
  Reply last;
  long long deadline = NowMs() + 10000;
  for (int i = 0; NowMs() < deadline; ++i) {
    std::string k = "k" + std::to_string(i);
    last = Cmd(c, {"SET", k, value + std::to_string(i)});
    if (!IsStatus(last.get(), "OK")) break;
    acked[k] = value + std::to_string(i);
  }
  ASSERT_TRUE(IsError(last.get(), kMisconf)) << Describe(last.get()) << " after " << acked.size() << " writes";
  EXPECT_GT(acked.size(), 10u);
  ExpectError(Cmd(c, {"SET", "x", "y"}), kMisconf);
  ExpectError(Cmd(c, {"HSET", "h", "f", "v"}), kMisconf);
  ExpectError(Cmd(c, {"PING"}), kMisconf);
  ExpectBulk(Cmd(c, {"GET", "k0"}), acked["k0"]);  // reads still work
  std::string info = Info(c, "persistence");
  EXPECT_EQ(InfoField(info, "aof_last_write_status"), "err") << info;
  EXPECT_NE(s->LogSinceStart().find("File too large"), std::string::npos) << s->LogSinceStart();
  // Refusing writes must not cost a busy loop: an idle server whose log cannot be written stays idle and
  // does not flood its log with one line per retry.
  long long cpu0 = CpuMs(s->pid());
  SleepMs(500);
  long long cpu_ms = CpuMs(s->pid()) - cpu0;
  EXPECT_LT(cpu_ms, 100) << "ms of CPU in 500 ms while idle with a failing log: the writer retries in a busy loop";
  EXPECT_LT(s->LogSinceStart().size(), 16000u) << "the failing write floods the log:\n" << s->LogTail(600);

  // Lift the limit: the writer's next try succeeds and writes are accepted again.
  rlimit now{};
  ASSERT_EQ(prlimit(s->pid(), RLIMIT_FSIZE, nullptr, &now), 0) << strerror(errno);
  rlimit lifted{now.rlim_max, now.rlim_max};
  ASSERT_EQ(prlimit(s->pid(), RLIMIT_FSIZE, &lifted, nullptr), 0) << strerror(errno);
  long long until = NowMs() + 5000;
  Reply ping;
  while (NowMs() < until && !IsStatus((ping = Cmd(c, {"PING"})).get(), "PONG")) SleepMs(20);
  ASSERT_TRUE(IsStatus(ping.get(), "PONG")) << "writes still refused 5 s after the limit was lifted: " << Describe(ping.get());
  EXPECT_EQ(InfoField(Info(c, "persistence"), "aof_last_write_status"), "ok");
  ExpectOk(Cmd(c, {"SET", "after", "recovered"}));
  acked["after"] = "recovered";
  SleepMs(1200);
  ASSERT_TRUE(s->Kill9());
  s->SetFileSizeLimit(0);
  ASSERT_TRUE(RestartLoaded(*s));
  Client c2(s->port());
  size_t lost = 0;
  for (auto& [k, v] : acked) {
    Reply r = Cmd(c2, {"GET", k});
    if (!IsBulk(r.get(), v) && ++lost <= 5) ADD_FAILURE() << "acknowledged " << k << " is " << Describe(r.get());
  }
  EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged writes";
}

// A snapshot that cannot be written (here: bigger than the file-size limit, while the small log
// writes still fit) fails SAVE with Redis's bare -ERR, makes SHUTDOWN SAVE refuse to stop, shows in
// INFO, and loses nothing: the log generations it started from stay.
TEST_F(WalMisconfTest, FailedSnapshotRefusesSaveAndShutdownSave) {
  auto s = StartWal({}, {}, 6000);  // a snapshot's trailer alone is 8 KB with 1024 shards
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    for (int i = 0; i < 5; ++i) ExpectOk(Cmd(c, {"SET", "k" + std::to_string(i), "v" + std::to_string(i)}));
    ExpectError(Cmd(c, {"SAVE"}), "ERR");
    ExpectError(Cmd(c, {"SHUTDOWN", "SAVE"}), "ERR Errors trying to SHUTDOWN. Check logs.");
    ASSERT_TRUE(s->Alive()) << "SHUTDOWN SAVE stopped the server although the save failed";
    std::string info = Info(c, "persistence");
    EXPECT_EQ(InfoField(info, "rdb_last_bgsave_status"), "err") << info;
    EXPECT_EQ(InfoField(info, "aof_last_write_status"), "ok") << info;
    ExpectOk(Cmd(c, {"SET", "after", "failed-save"}));
    SleepMs(1200);  // everysec: the last write reaches the file
  }
  ASSERT_TRUE(s->Kill9());
  s->SetFileSizeLimit(0);
  ASSERT_TRUE(RestartLoaded(*s));
  Client c(s->port());
  for (int i = 0; i < 5; ++i) ExpectBulk(Cmd(c, {"GET", "k" + std::to_string(i)}), "v" + std::to_string(i));
  ExpectBulk(Cmd(c, {"GET", "after"}), "failed-save");
}

// The log cannot even be opened (its directory cannot be created): the server must not run without the
// log it was asked to keep; it says why and exits, as Redis does.
TEST_F(WalMisconfTest, UnopenableLogStopsTheStart) {
  Server s({"--appendonly", "yes", "--appenddirname", "no/such/parent"});
  std::string err;
  ASSERT_TRUE(s.Launch(&err)) << err;
  ASSERT_TRUE(s.WaitExit(10000)) << "the server runs without the log it was asked to keep";
  EXPECT_GT(s.exit_code(), 0) << s.exit_description();
  EXPECT_NE(s.LogSinceStart().find("Can't open the append only file"), std::string::npos) << s.LogSinceStart();
}

TEST_F(WalMisconfTest, AlwaysExitsOnAFailedWrite) {
  auto s = StartWal({"--appendfsync", "always"}, {}, kFileLimit);
  ASSERT_TRUE(s);
  std::map<std::string, std::string> acked;
  {
    Client c(s->port());
    const std::string value(1000, 'v');
    long long deadline = NowMs() + 10000;
    for (int i = 0; NowMs() < deadline; ++i) {
      std::string k = "k" + std::to_string(i);
      Reply r = Cmd(c, {"SET", k, value + std::to_string(i)});
      if (!r) break;  // the server went away
      ASSERT_TRUE(IsStatus(r.get(), "OK")) << "write " << i << ": " << Describe(r.get());
      acked[k] = value + std::to_string(i);
    }
  }
  ASSERT_TRUE(s->WaitExit(5000)) << "the server kept running after its log write failed under appendfsync always";
  EXPECT_GT(s->exit_code(), 0) << s->exit_description();
  EXPECT_NE(s->LogSinceStart().find("File too large"), std::string::npos) << s->LogSinceStart();
  EXPECT_GT(acked.size(), 10u);
  // Every write it acknowledged is on disk.
  s->SetFileSizeLimit(0);
  ASSERT_TRUE(RestartLoaded(*s));
  Client c(s->port());
  size_t lost = 0;
  for (auto& [k, v] : acked) {
    Reply r = Cmd(c, {"GET", k});
    if (!IsBulk(r.get(), v) && ++lost <= 5) ADD_FAILURE() << "acknowledged " << k << " is " << Describe(r.get());
  }
  EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged writes";
}

// ---------------------------------------------------------------------------------------------------------
// 8. Automatic compaction past the growth threshold

class WalAutoRewriteTest : public WalTest {};

TEST_F(WalAutoRewriteTest, GrowthPastTheThresholdCompactsAndRestores) {
  auto s = StartWal({"--auto-aof-rewrite-min-size", "64kb", "--auto-aof-rewrite-percentage", "100"});
  ASSERT_TRUE(s);
  Client c(s->port());
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 3000; ++i) cmds.push_back({"SET", "key:" + std::to_string(i), std::string(100, 'a' + i % 26)});
  for (int i = 0; i < 3000; i += 3) cmds.push_back({"HSET", "hash:" + std::to_string(i % 50), "f" + std::to_string(i), "v"});
  ASSERT_TRUE(Pipeline(c, cmds));
  // Wait until compaction has happened and settled: no rewrite running, files unchanged for a while.
  std::vector<std::string> files, prev;
  long long deadline = NowMs() + 10000;
  while (NowMs() < deadline) {
    prev = files;
    SleepMs(200);
    files = ListDir(WalDir(s->dir()));
    std::string info = Info(c, "persistence");
    if (files == prev && InfoField(info, "aof_rewrite_in_progress") == "0" && InfoField(info, "aof_rewrites") != "0") break;
  }
  std::string info = Info(c, "persistence");
  EXPECT_NE(InfoField(info, "aof_rewrites"), "0") << info;
  // Exactly one snapshot and the one log after it; nothing older.
  ASSERT_EQ(files.size(), 2u) << Join(files);
  ASSERT_EQ(files[0].substr(files[0].size() - 5), ".snap") << Join(files);
  std::string gen = files[0].substr(6, files[0].size() - 11);
  EXPECT_NE(gen, "1") << Join(files);
  EXPECT_EQ(files[1], "tally." + gen + ".wal") << Join(files);
  EXPECT_LT(LogBytes(c), 600000) << "the log kept growing";
  Dump before, after;
  ASSERT_TRUE(TakeDump(c, &before).empty());
  EXPECT_EQ(before.size(), 3050u);
  ASSERT_TRUE(s->Kill9());
  ASSERT_TRUE(RestartLoaded(*s));
  ASSERT_TRUE(DumpOf(*s, &after));
  EXPECT_TRUE(SameDump(before, after));
}

// ---------------------------------------------------------------------------------------------------------
// 9. The writer thread when idle, and under leader sync

class WalWriterTest : public WalTest {};

// CPU seconds the process has used (utime + stime).
double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i)
    if (i >= 14) ticks += std::stoll(field);
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// An idle server's log writer sleeps under every policy (under `no` it used to spin once a second
// had passed without an fsync, as if one were due).
TEST_F(WalWriterTest, IdleWriterSleepsUnderEveryPolicy) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  Client c(s->port());
  for (const char* policy : {"no", "everysec", "always"}) {
    ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "appendfsync", policy})));
    ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "k", policy})));
    SleepMs(1300);  // past the second after the last fsync
    double before = CpuSeconds(s->pid());
    SleepMs(1000);
    double used = CpuSeconds(s->pid()) - before;
    EXPECT_LT(used, 0.2) << "appendfsync " << policy << ": " << used << " s of CPU in 1 s of idling";
  }
}

// Under leader sync the workers write the log only for replies that wait; a change nobody waits for
// (here active expiry's deletion) reaches the file through the writer thread's own round.
TEST_F(WalWriterTest, LeaderSyncWritesChangesNobodyWaitsFor) {
  auto s = StartWal({"--appendfsync", "always", "--hz", "50"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "short", "lived", "PX", "50"})));
  // The log's own size, not the file's: the file runs on in preallocated zeros (wal-preallocate).
  long long size = LogBytes(c);
  ASSERT_GT(size, 0);
  long long deadline = NowMs() + 5000;
  while (NowMs() < deadline && LogBytes(c) == size) SleepMs(20);
  EXPECT_GT(LogBytes(c), size) << "the expiry's DEL record never reached the log";
  ASSERT_TRUE(ExpectInt(Cmd(c, {"DBSIZE"}), 0));
}

}  // namespace
}  // namespace tally_test
