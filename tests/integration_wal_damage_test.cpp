// The write-ahead log under damage, proved against the real binary:
//   WalTornTailTest      a log cut at any byte of its last batches loads the prefix (or, if told, refuses)
//   WalCorruptionTest    a flipped byte mid-log stops the start, names file and offset; load-corrupt; --check-wal
//   WalCompactionCrashTest  a crash at each point of a compaction (TALLY_CRASH_AT) recovers everything
#include "tests/integration_wal_support.h"

namespace tally_test {
namespace {

// 3. Torn tail at every byte of the last batches

// Writes one batch per command (appendfsync always, one client), shuts down, and returns the log image.
struct TornFixture {
  std::string log;
  std::vector<Batch> batches;
  std::map<std::string, std::string> strings;  // expected GET value of every string key written
};

void MakeTornFixture(TornFixture* f) {
  auto s = StartWal({"--appendfsync", "always"});
  ASSERT_TRUE(s);
  std::vector<std::vector<std::string>> cmds = {
      {"SET", "a:1", "v1"},
      {"HSET", "a:h", "f", "v", "g", "w"},
      {"ZADD", "a:z", "1", "m", "2.5", "n"},
      {"SET", "a:2", "v2", "PXAT", std::to_string(kFarMs)},
      {"MSET", "b:1", "x1", "b:2", "x2", "b:3", "x3"},  // one batch, three shards
      {"SET", "c:1", "a longer value that makes the record a little bigger than the others"},
      {"MSET", "d:1", "z1", "d:2", "z2", "d:3", "z3", "d:4", "z4"},
  };
  {
    Client c(s->port());
    for (auto& cmd : cmds) {
      Reply r = Cmd(c, cmd);
      ASSERT_TRUE(r && r->type != REDIS_REPLY_ERROR) << Join(cmd) << " -> " << Describe(r.get());
      if (cmd[0] == "SET") f->strings[cmd[1]] = cmd[2];
      if (cmd[0] == "MSET")
        for (size_t i = 1; i + 1 < cmd.size(); i += 2) f->strings[cmd[i]] = cmd[i + 1];
    }
  }
  ASSERT_TRUE(Shutdown(*s));
  f->log = ReadFile(LogPath(s->dir()));
  f->batches = ParseLog(f->log);
  ASSERT_EQ(f->batches.size(), cmds.size()) << "expected one batch per command";
  ASSERT_EQ(f->batches.back().end(), f->log.size()) << "the log has bytes after its last batch";
  std::set<std::string> seen;
  for (auto& b : f->batches) {
    ASSERT_FALSE(b.keys.empty());
    for (auto& k : b.keys) ASSERT_TRUE(seen.insert(k).second) << k << " is in two batches";
  }
  EXPECT_EQ(f->batches[4].keys.size(), 3u);
  EXPECT_EQ(f->batches[6].keys.size(), 4u);
}

// Checks a server started on a log cut at `len`: earlier batches all there, the cut one all absent.
std::string CheckPrefix(Server& s, const TornFixture& f, size_t len) {
  Client c(s.port());
  if (!c.ok()) return "connect: " + c.error();
  std::string out;
  for (size_t i = 0; i < f.batches.size(); ++i) {
    bool want = f.batches[i].end() <= len;
    for (auto& k : f.batches[i].keys) {
      Reply ex = Cmd(c, {"EXISTS", k});
      if (!IsInt(ex.get(), want ? 1 : 0)) {
        out += " batch " + std::to_string(i) + " key " + k + (want ? " missing" : " present") + " (" + Describe(ex.get()) + ");";
        continue;
      }
      auto it = f.strings.find(k);
      if (want && it != f.strings.end()) {
        Reply v = Cmd(c, {"GET", k});
        if (!IsBulk(v.get(), it->second)) out += " " + k + " = " + Describe(v.get()) + ";";
      }
    }
  }
  return out;
}

class WalTornTailTest : public WalTest {};

TEST_F(WalTornTailTest, EveryTruncationOfTheLastThreeBatchesLoadsThePrefix) {
  TornFixture f;
  MakeTornFixture(&f);
  if (HasFatalFailure()) return;
  const size_t from = f.batches[f.batches.size() - 3].offset, to = f.log.size();
  std::atomic<size_t> next{from};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](size_t len, const std::string& what) {
    std::lock_guard lock(mu);
    failures.push_back("cut at " + std::to_string(len) + " of " + std::to_string(to) + ": " + what);
  };
  auto worker = [&] {
    for (size_t len; (len = next.fetch_add(1)) <= to;) {
      size_t boundary = 40;  // the end of the last whole batch within len
      for (auto& b : f.batches)
        if (b.end() <= len) boundary = b.end();
      Server s({"--appendonly", "yes", "--appendfsync", "always"});
      s.AdoptDir(MakeDataDir({{"tally.1.wal", f.log.substr(0, len)}}));
      std::string err;
      if (!s.Restart(&err) || !WaitLoaded(s, &err)) {
        fail(len, "the server did not start: " + err);
        continue;
      }
      if (std::string bad = CheckPrefix(s, f, len); !bad.empty()) fail(len, bad);
      std::string log = s.LogSinceStart();
      std::string where = "tally.1.wal at offset " + std::to_string(boundary);
      if (len != boundary && (log.find("cut off") == std::string::npos || log.find(where) == std::string::npos))
        fail(len, "no log line saying that the torn bytes from " + where + " are cut off; log:\n" + log);
      if (len == boundary && log.find("cut off") != std::string::npos)
        fail(len, "an intact log (cut at a batch boundary) was reported torn; log:\n" + log);
      bool write_more = len % 16 == 0 || len == to - 1;
      if (write_more) {  // a write after the cut must land on the cut, not after the torn bytes
        Client c(s.port());
        Reply r = Cmd(c, {"SET", "post", "cut"});
        if (!IsStatus(r.get(), "OK")) fail(len, "SET after the cut: " + Describe(r.get()));
      }
      s.Kill9();
      long long size = FileSize(LogPath(s.dir()));
      if (!write_more && size != static_cast<long long>(boundary))
        fail(len, "the log is " + std::to_string(size) + " bytes after the start, expected it cut to " + std::to_string(boundary));
      if (write_more) {
        if (!s.Restart(&err) || !WaitLoaded(s, &err)) {
          fail(len, "second start after a write on the cut log: " + err);
          continue;
        }
        if (std::string bad = CheckPrefix(s, f, len); !bad.empty()) fail(len, "after the second start:" + bad);
        Client c(s.port());
        Reply r = Cmd(c, {"GET", "post"});
        if (!IsBulk(r.get(), "cut")) fail(len, "the write made after the cut is lost: GET post = " + Describe(r.get()));
      }
    }
  };
  long long t0 = NowMs();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < failures.size() && i < 20; ++i) ADD_FAILURE() << failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << (to - from + 1) << " cuts failed";
  std::cout << "[          ] " << (to - from + 1) << " cuts (bytes " << from << ".." << to << ") in " << NowMs() - t0 << " ms\n";
}

TEST_F(WalTornTailTest, AofLoadTruncatedNoRefusesATornLog) {
  TornFixture f;
  MakeTornFixture(&f);
  if (HasFatalFailure()) return;
  const Batch& last = f.batches.back();
  for (size_t len : {last.offset + 10, last.offset + 32, last.offset + 50, last.end() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(len));
    std::string cut = f.log.substr(0, len);
    Server s({"--appendonly", "yes", "--aof-load-truncated", "no"});
    s.AdoptDir(MakeDataDir({{"tally.1.wal", cut}}));
    std::string err;
    ASSERT_TRUE(s.Launch(&err)) << err;
    ASSERT_TRUE(s.WaitExit(10000)) << "the server started on a torn log with aof-load-truncated no";
    EXPECT_GT(s.exit_code(), 0) << s.exit_description();
    std::string log = s.LogSinceStart();
    EXPECT_NE(log.find("tally.1.wal at offset " + std::to_string(last.offset)), std::string::npos) << log;
    EXPECT_EQ(ReadFile(LogPath(s.dir())), cut) << "a start that refused the log changed it";
  }
  // At a batch boundary the log is whole: it loads.
  Server s({"--appendonly", "yes", "--aof-load-truncated", "no"});
  s.AdoptDir(MakeDataDir({{"tally.1.wal", f.log.substr(0, last.offset)}}));
  ASSERT_TRUE(RestartLoaded(s));
  EXPECT_EQ(CheckPrefix(s, f, last.offset), "");
}

// ---------------------------------------------------------------------------------------------------------
// 4. A flipped byte in the middle of the log

class WalCorruptionTest : public WalTest {
 protected:
  void FlipAndCheck(size_t byte_in_batch) {
    auto s = StartWal({"--appendfsync", "always"});
    ASSERT_TRUE(s);
    {
      Client c(s->port());
      for (int i = 0; i < 12; ++i) ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "k" + std::to_string(i), "v" + std::to_string(i)})));
    }
    ASSERT_TRUE(Shutdown(*s));
    std::string log = ReadFile(LogPath(s->dir()));
    std::vector<Batch> batches = ParseLog(log);
    ASSERT_EQ(batches.size(), 12u);
    const size_t bad = 5, off = batches[bad].offset;
    ASSERT_EQ(batches[bad].keys, std::vector<std::string>{"k5"});
    log[off + byte_in_batch] ^= 0x20;
    auto expect_prefix = [&](Server& x) {
      Client c(x.port());
      for (int i = 0; i < 12; ++i) {
        std::string k = "k" + std::to_string(i);
        if (i < static_cast<int>(bad)) ExpectBulk(Cmd(c, {"GET", k}), "v" + std::to_string(i));
        else ExpectNil(Cmd(c, {"GET", k}));  // nothing after the damage: no holes
      }
    };
    const std::string where = "tally.1.wal at offset " + std::to_string(off);

    // A plain start refuses, naming the file and the offset, and leaves the file alone.
    Server plain({"--appendonly", "yes"});
    plain.AdoptDir(MakeDataDir({{"tally.1.wal", log}}));
    std::string err;
    ASSERT_TRUE(plain.Launch(&err)) << err;
    ASSERT_TRUE(plain.WaitExit(10000)) << "the server started on a damaged log; log:\n" << plain.LogSinceStart();
    EXPECT_GT(plain.exit_code(), 0) << plain.exit_description();
    EXPECT_NE(plain.LogSinceStart().find(WalDir(plain.dir()) + "/" + where), std::string::npos) << plain.LogSinceStart();
    EXPECT_EQ(ReadFile(LogPath(plain.dir())), log) << "a start that refused the log changed it";

    // --check-wal reports it.
    std::string out;
    EXPECT_EQ(RunTool({"--check-wal", WalDir(plain.dir())}, &out), 1) << out;
    EXPECT_NE(out.find("DAMAGED at offset " + std::to_string(off)), std::string::npos) << out;
    EXPECT_EQ(ReadFile(LogPath(plain.dir())), log) << "--check-wal without --fix changed the log";

    // --wal-load-corrupt yes loads up to the damage; the data stays usable and durable.
    {
      Server lenient({"--appendonly", "yes", "--wal-load-corrupt", "yes"});
      lenient.AdoptDir(MakeDataDir({{"tally.1.wal", log}}));
      ASSERT_TRUE(RestartLoaded(lenient));
      expect_prefix(lenient);
      EXPECT_NE(lenient.LogSinceStart().find(where), std::string::npos) << lenient.LogSinceStart();
      {
        Client c(lenient.port());
        ExpectOk(Cmd(c, {"SET", "after", "damage"}));
      }
      ASSERT_TRUE(Shutdown(lenient));
      lenient.SetExtraArgs({"--appendonly", "yes"});
      ASSERT_TRUE(RestartLoaded(lenient));
      expect_prefix(lenient);
      Client c(lenient.port());
      ExpectBulk(Cmd(c, {"GET", "after"}), "damage");
    }

    // --check-wal --fix truncates at the damage; then a plain start works.
    EXPECT_EQ(RunTool({"--check-wal", WalDir(plain.dir()), "--fix"}, &out), 0) << out;
    EXPECT_NE(out.find("fixed"), std::string::npos) << out;
    EXPECT_EQ(FileSize(LogPath(plain.dir())), static_cast<long long>(off));
    EXPECT_EQ(RunTool({"--check-wal", WalDir(plain.dir())}, &out), 0) << out;
    ASSERT_TRUE(RestartLoaded(plain));
    expect_prefix(plain);
  }
};

TEST_F(WalCorruptionTest, FlippedPayloadByteStopsTheStart) { FlipAndCheck(32 + 8 + 21); }  // the key's first byte
TEST_F(WalCorruptionTest, FlippedBatchHeaderByteStopsTheStart) { FlipAndCheck(9); }       // in first_seq

// ---------------------------------------------------------------------------------------------------------
// 5. A crash at each point of a compaction

class WalCompactionCrashTest : public WalTest {
 protected:
  void CrashAt(const std::string& point) {
    auto s = StartWal({"--appendfsync", "always"}, {"TALLY_CRASH_AT=" + point});
    ASSERT_TRUE(s);
    Dump before;
    {
      Client c(s->port());
      ASSERT_TRUE(LoadMixed(c, 0));
      std::vector<std::vector<std::string>> bulk;
      for (int i = 0; i < 30000; ++i) bulk.push_back({"SET", "bulk:" + std::to_string(i), std::to_string(i)});
      ASSERT_TRUE(Pipeline(c, bulk));
      ASSERT_TRUE(Pipeline(c, MutateCommands(0)));
      ASSERT_TRUE(Pipeline(c, {{"SWAPDB", "1", "2"}}));
      ASSERT_TRUE(TakeDump(c, &before).empty());
    }
    // Writers keep going on their own keys while the compaction starts and the process dies.
    constexpr int kWriters = 2;
    std::vector<Writer> writers(kWriters);
    std::atomic<bool> stop{false}, rewrite_sent{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i) {
      writers[i].prefix = "w" + std::to_string(i) + ":";
      threads.emplace_back(RunWriter, s->port(), 7u + i, &stop, &rewrite_sent, &writers[i]);
    }
    SleepMs(150);
    {
      Client c(s->port());
      rewrite_sent = true;
      Reply r = Cmd(c, {"BGREWRITEAOF"});
      EXPECT_TRUE(!r || IsStatus(r.get(), "Background append only file rewriting started")) << Describe(r.get());
    }
    bool died = s->WaitExit(10000);
    stop = true;
    for (auto& t : threads) t.join();
    ASSERT_TRUE(died) << "TALLY_CRASH_AT=" << point << " did not kill the server during BGREWRITEAOF";
    EXPECT_NE(s->exit_description().find("signal 9"), std::string::npos) << s->exit_description();
    std::vector<std::string> files_at_crash = ListDir(WalDir(s->dir()));
    long long after_mark = 0;
    for (auto& w : writers) {
      EXPECT_TRUE(w.problems.empty()) << w.prefix << ": " << Join(w.problems);
      after_mark += w.acked_after_mark;
    }

    std::cout << "[          ] crash at " << point << ": files " << Join(files_at_crash) << "; " << after_mark
              << " writes acknowledged after BGREWRITEAOF was sent\n";
    s->SetEnv({});
    ASSERT_TRUE(RestartLoaded(*s)) << "files at the crash: " << Join(files_at_crash);
    SCOPED_TRACE("crash at " + point + ", files then: " + Join(files_at_crash) + ", " + std::to_string(after_mark) +
                 " writes acknowledged after BGREWRITEAOF was sent");
    Dump after;
    {
      Client c(s->port());
      ASSERT_TRUE(TakeDump(c, &after).empty());
      for (auto it = after.begin(); it != after.end();) {
        if (it->first.rfind("0:w", 0) == 0) it = after.erase(it);
        else ++it;
      }
      EXPECT_TRUE(SameDump(before, after));
      for (auto& w : writers) EXPECT_TRUE(MatchesWriter(c, w));
    }
    for (auto& name : ListDir(WalDir(s->dir())))
      EXPECT_EQ(name.find(".tmp"), std::string::npos) << "a leftover of the interrupted compaction: " << name;

    // The recovered directory compacts and recovers again.
    Dump final_before, final_after;
    {
      Client c(s->port());
      ExpectOk(Cmd(c, {"SET", "after-recovery", "1"}));
      ExpectOk(Cmd(c, {"COMPACT"}));
      ExpectOk(Cmd(c, {"SET", "after-second-compaction", "1"}));
      ASSERT_TRUE(TakeDump(c, &final_before).empty());
    }
    ASSERT_TRUE(s->Kill9());
    ASSERT_TRUE(RestartLoaded(*s));
    ASSERT_TRUE(DumpOf(*s, &final_after));
    EXPECT_TRUE(SameDump(final_before, final_after));
  }
};

TEST_F(WalCompactionCrashTest, AfterRotate) { CrashAt("rewrite-after-rotate"); }
TEST_F(WalCompactionCrashTest, MidSnapshot) { CrashAt("rewrite-mid-snapshot"); }
TEST_F(WalCompactionCrashTest, BeforeRename) { CrashAt("rewrite-before-rename"); }
TEST_F(WalCompactionCrashTest, AfterRename) { CrashAt("rewrite-after-rename"); }

// ---------------------------------------------------------------------------------------------------------

}  // namespace
}  // namespace tally_test
