// The write-ahead log's guarantees (DESIGN.md, "The write-ahead log"), proved against the real binary:
//   WalDurabilityTest    kill -9 under concurrent load with appendfsync always keeps every acknowledged write
//                        (single commands and MULTI/EXEC, which must come back all or nothing)
//   WalRoundTripTest     a full dump before a restart equals the dump after it (shutdown, kill -9, rewrite, ...)
//   WalTornTailTest      a log cut at any byte of its last batches loads the prefix (or, if told, refuses)
//   WalCorruptionTest    a flipped byte mid-log stops the start, names file and offset; load-corrupt; --check-wal
//   WalCompactionCrashTest  a crash at each point of a compaction (TALLY_CRASH_AT) recovers everything
//   WalLoadingTest       -LOADING and INFO loading:1 while a big log replays
//   WalMisconfTest       a failing log write (file size limit) refuses writes (everysec) or exits (always)
//   WalAutoRewriteTest   the log is compacted by itself past its growth threshold
// Every test restarts the server on its own data directory (Server::Kill9 / Restart / AdoptDir), so they
// only make sense for Tally: against a real redis-server they are skipped.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

namespace fs = std::filesystem;

constexpr int kDbs = 16;
// A fixed far-future expiry (ms) for PEXPIREAT: ten days from when the tests started.
const long long kFarMs = NowMs() + 10LL * 24 * 3600 * 1000;

// ---------------------------------------------------------------------------------------------------------
// Files

std::string WalDir(const std::string& server_dir) { return server_dir + "/appendonlydir"; }
std::string LogPath(const std::string& server_dir, int gen = 1) {
  return WalDir(server_dir) + "/tally." + std::to_string(gen) + ".wal";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

long long FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

// File names in `dir`, sorted.
std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

std::string NewTempDir() {
  char tmpl[] = "/tmp/tally-wal-XXXXXX";
  return mkdtemp(tmpl) ? std::string(tmpl) : std::string();
}

// A fresh server directory whose appendonlydir holds `files` (name -> bytes).
std::string MakeDataDir(const std::map<std::string, std::string>& files) {
  std::string dir = NewTempDir();
  if (dir.empty()) return dir;
  fs::create_directories(WalDir(dir));
  for (auto& [name, bytes] : files) WriteFile(WalDir(dir) + "/" + name, bytes);
  return dir;
}

template <class T>
T Load(const std::string& b, size_t off) {
  T v{};
  if (off + sizeof v <= b.size()) std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

// One batch of a log file (wal_format.h): where it is and which keys its records name.
struct Batch {
  size_t offset = 0, size = 0;
  uint64_t first_seq = 0, end_seq = 0;
  uint32_t count = 0;
  std::vector<std::string> keys;
  size_t end() const { return offset + size; }
};

// Parses a log image: 40-byte header, then batches (32-byte header: magic, crc, first, end, payload_len,
// count) of records (u32 len, u32 crc, body: u64 seq, u32 shard, u32 db, u8 op, u32 key_len, key, ...).
std::vector<Batch> ParseLog(const std::string& b) {
  std::vector<Batch> out;
  size_t off = 40;
  while (off + 32 <= b.size() && Load<uint32_t>(b, off) == 0x48435442) {
    Batch bt;
    bt.offset = off;
    bt.first_seq = Load<uint64_t>(b, off + 8);
    bt.end_seq = Load<uint64_t>(b, off + 16);
    uint32_t payload = Load<uint32_t>(b, off + 24);
    bt.count = Load<uint32_t>(b, off + 28);
    bt.size = 32 + payload;
    if (bt.end() > b.size()) break;
    for (size_t p = off + 32; p + 8 + 21 <= bt.end();) {
      uint32_t len = Load<uint32_t>(b, p);
      uint32_t key_len = Load<uint32_t>(b, p + 8 + 17);
      if (p + 8 + 21 + key_len <= bt.end()) bt.keys.push_back(b.substr(p + 8 + 21, key_len));
      p += 8 + len;
    }
    out.push_back(bt);
    off = bt.end();
  }
  return out;
}

// Runs `tally-server args...` to completion; returns its exit code (-1 if a signal ended it), output in *out.
int RunTool(const std::vector<std::string>& args, std::string* out) {
  std::string cmd = "'" + ServerBinary() + "'";
  for (auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  out->clear();
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// ---------------------------------------------------------------------------------------------------------
// Servers

// Waits until the server answers PING with PONG (its data is loaded). False, with why, otherwise.
bool WaitLoaded(Server& s, std::string* why, int timeout_ms = 20000) {
  long long deadline = NowMs() + timeout_ms;
  Reply last;
  Client c;
  while (NowMs() < deadline) {
    if (!s.Alive()) {
      *why = "the server " + s.exit_description() + " while loading; log:\n" + s.LogSinceStart();
      return false;
    }
    if (c.ok() || c.Connect(s.port(), 2000)) {
      last = Cmd(c, {"PING"});
      if (IsStatus(last.get(), "PONG")) return true;
      if (!last) c.Close();
    }
    SleepMs(2);
  }
  *why = "the server did not finish loading within " + std::to_string(timeout_ms) + " ms (last PING: " +
         Describe(last.get()) + "); log:\n" + s.LogSinceStart();
  return false;
}

// A server in a fresh directory with the log on: --appendonly yes, then `args`.
std::unique_ptr<Server> StartWal(std::vector<std::string> args, std::vector<std::string> env = {},
                                 unsigned long long file_size_limit = 0) {
  std::vector<std::string> all = {"--appendonly", "yes"};
  all.insert(all.end(), args.begin(), args.end());
  auto s = std::make_unique<Server>(all);
  s->SetEnv(std::move(env));
  s->SetFileSizeLimit(file_size_limit);
  std::string err;
  if (!s->Restart(&err)) {  // in a fresh temp dir
    ADD_FAILURE() << "could not start the server: " << err;
    return nullptr;
  }
  if (!WaitLoaded(*s, &err)) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  return s;
}

// Starts `s` again on its directory and waits for its data to load.
::testing::AssertionResult RestartLoaded(Server& s) {
  std::string err;
  if (!s.Restart(&err) || !WaitLoaded(s, &err)) return ::testing::AssertionFailure() << "restart failed: " << err;
  return ::testing::AssertionSuccess();
}

// SHUTDOWN, and the process must exit with status 0.
::testing::AssertionResult Shutdown(Server& s) {
  {
    Client c(s.port());
    Reply r = Cmd(c, {"SHUTDOWN"});
    if (r && r->type == REDIS_REPLY_ERROR) return ::testing::AssertionFailure() << "SHUTDOWN: " << Describe(r.get());
  }
  if (!s.WaitExit(10000)) return ::testing::AssertionFailure() << "the server did not exit within 10 s of SHUTDOWN";
  if (s.exit_code() != 0)
    return ::testing::AssertionFailure() << "after SHUTDOWN the server " << s.exit_description() << "; log:\n"
                                         << s.LogSinceStart();
  return ::testing::AssertionSuccess();
}

std::string Info(redisContext* c, const std::string& section) {
  Reply r = Cmd(c, {"INFO", section});
  return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

// Waits until no compaction runs and at least `min_rewrites` have finished.
bool WaitRewriteDone(redisContext* c, long long min_rewrites, int timeout_ms = 15000) {
  long long deadline = NowMs() + timeout_ms;
  while (NowMs() < deadline) {
    std::string info = Info(c, "persistence");
    std::string done = InfoField(info, "aof_rewrites");
    if (InfoField(info, "aof_rewrite_in_progress") == "0" && !done.empty() && std::stoll(done) >= min_rewrites) return true;
    SleepMs(10);
  }
  return false;
}

// Sends `cmds` pipelined in chunks; every reply must arrive and none may be an error.
::testing::AssertionResult Pipeline(redisContext* c, const std::vector<std::vector<std::string>>& cmds) {
  constexpr size_t kChunk = 1000;
  for (size_t i = 0; i < cmds.size(); i += kChunk) {
    size_t end = std::min(cmds.size(), i + kChunk);
    for (size_t j = i; j < end; ++j) Append(c, cmds[j]);
    for (size_t j = i; j < end; ++j) {
      Reply r = GetReply(c);
      if (!r || r->type == REDIS_REPLY_ERROR) {
        std::string cmd;
        for (auto& a : cmds[j]) cmd += " " + Escape(a.substr(0, 40));
        return ::testing::AssertionFailure() << "command" << cmd << " -> " << Describe(r.get());
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------------------
// Full dumps: every key of every database with its type, value and absolute expiry.

struct KeyDump {
  std::string type;
  std::string str;
  std::map<std::string, std::string> hash;
  std::vector<std::pair<std::string, std::string>> zset;  // member, score as printed, in the set's order
  long long expire_at = -1;                                // PEXPIRETIME
  bool operator==(const KeyDump&) const = default;
};
using Dump = std::map<std::string, KeyDump>;  // "<db>:<key>"

std::string Render(const KeyDump& k) {
  std::string s = k.type + " ";
  if (k.type == "string") {
    s += "\"" + Escape(k.str.substr(0, 60)) + (k.str.size() > 60 ? "...\" (" + std::to_string(k.str.size()) + " bytes)" : "\"");
  } else if (k.type == "hash") {
    s += "{";
    int n = 0;
    for (auto& [f, v] : k.hash) {
      if (n++ == 6) {
        s += "... (" + std::to_string(k.hash.size()) + " fields)";
        break;
      }
      s += Escape(f) + "=" + Escape(v) + " ";
    }
    s += "}";
  } else if (k.type == "zset") {
    s += "[";
    int n = 0;
    for (auto& [m, sc] : k.zset) {
      if (n++ == 6) {
        s += "... (" + std::to_string(k.zset.size()) + " members)";
        break;
      }
      s += Escape(m) + ":" + sc + " ";
    }
    s += "]";
  }
  return s + " expire_at=" + std::to_string(k.expire_at);
}

// Dumps databases [0, dbs) (keys matching `match`) into *out; "" or what went wrong.
std::string TakeDump(redisContext* c, Dump* out, const std::string& match = "*", int dbs = kDbs) {
  out->clear();
  for (int db = 0; db < dbs; ++db) {
    Reply sel = Cmd(c, {"SELECT", std::to_string(db)});
    if (!IsStatus(sel.get(), "OK")) return "SELECT " + std::to_string(db) + ": " + Describe(sel.get());
    std::set<std::string> keyset;
    std::string cursor = "0";
    do {
      Reply r = Cmd(c, {"SCAN", cursor, "MATCH", match, "COUNT", "1000"});
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return "SCAN: " + Describe(r.get());
      cursor.assign(r->element[0]->str, r->element[0]->len);
      for (auto& k : Strings(r->element[1])) keyset.insert(k);
    } while (cursor != "0");
    std::vector<std::string> keys(keyset.begin(), keyset.end());
    for (size_t i = 0; i < keys.size(); i += 500) {
      size_t end = std::min(keys.size(), i + 500);
      std::vector<KeyDump> d(end - i);
      for (size_t j = i; j < end; ++j) {
        Append(c, {"TYPE", keys[j]});
        Append(c, {"PEXPIRETIME", keys[j]});
      }
      for (size_t j = i; j < end; ++j) {
        Reply t = GetReply(c), e = GetReply(c);
        if (!t || t->type != REDIS_REPLY_STATUS || !e || e->type != REDIS_REPLY_INTEGER)
          return "TYPE/PEXPIRETIME " + keys[j] + ": " + Describe(t.get()) + " " + Describe(e.get());
        d[j - i].type.assign(t->str, t->len);
        d[j - i].expire_at = e->integer;
      }
      for (size_t j = i; j < end; ++j) {
        const std::string& type = d[j - i].type;
        if (type == "string") Append(c, {"GET", keys[j]});
        else if (type == "hash") Append(c, {"HGETALL", keys[j]});
        else if (type == "zset") Append(c, {"ZRANGE", keys[j], "0", "-1", "WITHSCORES"});
        else Append(c, {"TYPE", keys[j]});
      }
      for (size_t j = i; j < end; ++j) {
        Reply v = GetReply(c);
        KeyDump& k = d[j - i];
        if (!v || v->type == REDIS_REPLY_ERROR) return "reading " + keys[j] + ": " + Describe(v.get());
        if (k.type == "string") {
          if (v->type != REDIS_REPLY_STRING) return "GET " + keys[j] + ": " + Describe(v.get());
          k.str.assign(v->str, v->len);
        } else if (k.type == "hash" || k.type == "zset") {
          auto s = Strings(v.get());
          for (size_t x = 0; x + 1 < s.size(); x += 2) {
            if (k.type == "hash") k.hash[s[x]] = s[x + 1];
            else k.zset.emplace_back(s[x], s[x + 1]);
          }
        }
        (*out)[std::to_string(db) + ":" + keys[j]] = std::move(k);
      }
    }
  }
  Reply sel = Cmd(c, {"SELECT", "0"});
  return IsStatus(sel.get(), "OK") ? "" : "SELECT 0: " + Describe(sel.get());
}

::testing::AssertionResult SameDump(const Dump& want, const Dump& got) {
  std::vector<std::string> diffs;
  for (auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) diffs.push_back("missing " + Escape(k) + " = " + Render(v));
    else if (!(it->second == v)) diffs.push_back("changed " + Escape(k) + ": was " + Render(v) + ", now " + Render(it->second));
  }
  for (auto& [k, v] : got)
    if (!want.count(k)) diffs.push_back("extra " + Escape(k) + " = " + Render(v));
  if (diffs.empty()) return ::testing::AssertionSuccess();
  auto f = ::testing::AssertionFailure();
  f << diffs.size() << " difference(s) between " << want.size() << " keys before and " << got.size() << " after:";
  for (size_t i = 0; i < diffs.size() && i < 15; ++i) f << "\n  " << diffs[i];
  return f;
}

::testing::AssertionResult DumpOf(Server& s, Dump* d, const std::string& match = "*") {
  Client c(s.port());
  if (!c.ok()) return ::testing::AssertionFailure() << "connect: " << c.error();
  std::string err = TakeDump(c, d, match);
  if (!err.empty()) return ::testing::AssertionFailure() << "dump: " << err;
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------------------
// A mixed dataset: every type and most writing commands, TTLs, several databases. `v` varies the names.

std::vector<std::vector<std::string>> MixedCommands(int v) {
  const std::string p = "m" + std::to_string(v) + ":";
  const std::string far = std::to_string(kFarMs + v);
  std::vector<std::vector<std::string>> c;
  auto add = [&](std::vector<std::string> a) { c.push_back(std::move(a)); };
  add({"SELECT", "0"});
  for (int i = 0; i < 300; ++i) {
    std::string k = p + "s:" + std::to_string(i), val = "value-" + std::to_string(i) + "-" + std::to_string(v);
    if (i % 7 == 0) add({"SET", k, val, "EX", "100000"});
    else if (i % 11 == 0) add({"SET", k, val, "PXAT", far});
    else add({"SET", k, val});
  }
  add({"SET", p + "bin", std::string("a\0b\r\n\xff\x01z", 9)});
  add({"SET", p + "empty", ""});
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + (i / 97) % 26);
  add({"SET", p + "big", big});
  add({"SET", p + "int", "12345"});
  add({"INCRBY", p + "int", "10"});
  add({"DECR", p + "int"});
  add({"INCR", p + "counter"});
  add({"INCRBYFLOAT", p + "float", "1.5"});
  add({"APPEND", p + "s:1", "-tail"});
  add({"SETRANGE", p + "s:2", "3", "XYZ"});
  add({"GETSET", p + "s:3", "replaced"});
  add({"SETNX", p + "s:4", "not-set"});
  add({"MSET", p + "ma", "1", p + "mb", "2", p + "mc", "3"});
  add({"MSETNX", p + "md", "4", p + "me", "5"});
  add({"GETDEL", p + "s:5"});
  add({"GETEX", p + "s:6", "PXAT", far});
  add({"GETEX", p + "s:7", "PERSIST"});
  add({"SETEX", p + "s:8", "100000", "setex"});
  add({"PSETEX", p + "s:9", "100000000", "psetex"});
  add({"SET", p + "s:0", "keepttl", "KEEPTTL"});
  add({"SET", p + "s:14", "no-more-ttl"});
  add({"RENAME", p + "s:10", p + "s:10r"});
  add({"RENAMENX", p + "s:12", p + "s:12r"});
  add({"DEL", p + "s:13", p + "s:15"});
  add({"UNLINK", p + "s:16"});
  add({"COPY", p + "s:17", p + "s:17c"});
  add({"EXPIRE", p + "s:18", "100000"});
  add({"PERSIST", p + "s:21"});
  add({"EXPIREAT", p + "s:19", std::to_string(kFarMs / 1000 + 7)});
  add({"PEXPIRE", p + "s:20", "100000000"});
  add({"PEXPIREAT", p + "s:22", "1"});  // in the past: the key is deleted
  add({"EXPIRE", p + "s:23", "100000"});
  add({"SET", p + "s:23", "set-clears-ttl"});
  for (int i = 0; i < 30; ++i) {
    std::vector<std::string> h = {"HSET", p + "h:" + std::to_string(i)};
    for (int f = 0; f <= i; ++f) h.insert(h.end(), {"f" + std::to_string(f), "v" + std::to_string(f * i)});
    add(h);
    std::vector<std::string> z = {"ZADD", p + "z:" + std::to_string(i)};
    for (int m = 0; m <= i; ++m) z.insert(z.end(), {std::to_string(m * 1.5 - 7), "m" + std::to_string(m)});
    add(z);
  }
  std::vector<std::string> bigh = {"HSET", p + "h:big"}, bigz = {"ZADD", p + "z:big"};
  for (int i = 0; i < 2000; ++i) {
    bigh.insert(bigh.end(), {"field" + std::to_string(i), std::string(i % 50, 'q') + std::to_string(i)});
    bigz.insert(bigz.end(), {std::to_string((i * 7919) % 1000 - 500.25), "member" + std::to_string(i)});
  }
  add(bigh);
  add(bigz);
  add({"ZADD", p + "z:inf", "-inf", "low", "+inf", "high", "0", "zero", "0.1", "tenth", "-3e100", "tiny"});
  add({"HDEL", p + "h:3", "f0", "f1"});
  add({"HDEL", p + "h:0", "f0"});  // the last field: the key goes
  add({"HINCRBY", p + "h:4", "cnt", "5"});
  add({"HINCRBY", p + "h:4", "cnt", "-2"});
  add({"HINCRBYFLOAT", p + "h:4", "fl", "2.25"});
  add({"HSETNX", p + "h:5", "f0", "nope"});
  add({"HSETNX", p + "h:5", "new", "yes"});
  add({"HMSET", p + "h:6", "a", "1", "b", "2"});
  add({"EXPIRE", p + "h:7", "100000"});
  add({"RENAME", p + "h:7", p + "h:7r"});  // the TTL moves with it
  add({"PEXPIREAT", p + "z:8", far});
  add({"ZINCRBY", p + "z:9", "2.5", "m1"});
  add({"ZINCRBY", p + "z:9", "4", "new"});
  add({"ZREM", p + "z:10", "m0", "m3"});
  add({"ZREM", p + "z:0", "m0"});  // the last member: the key goes
  add({"ZREMRANGEBYRANK", p + "z:11", "0", "1"});
  add({"ZREMRANGEBYSCORE", p + "z:12", "-7", "-4"});
  add({"ZPOPMIN", p + "z:13"});
  add({"ZPOPMAX", p + "z:14", "2"});
  add({"ZADD", p + "z:15", "GT", "100", "m1", "-100", "m2"});
  add({"ZADD", p + "z:15", "XX", "CH", "42", "m3", "43", "absent"});
  add({"ZUNIONSTORE", p + "zu", "2", p + "z:16", p + "z:17", "WEIGHTS", "1", "2"});
  add({"ZINTERSTORE", p + "zi", "2", p + "z:18", p + "z:19", "AGGREGATE", "MAX"});
  add({"ZDIFFSTORE", p + "zd", "2", p + "z:20", p + "z:5"});
  add({"ZRANGESTORE", p + "zr", p + "z:21", "2", "5"});
  add({"COPY", p + "z:22", p + "z:22c"});
  add({"MOVE", p + "s:24", "3"});
  add({"COPY", p + "s:25", p + "s:25", "DB", "4"});
  add({"COPY", p + "h:8", p + "h:8", "DB", "4"});
  for (int db : {1, 2, 5, 9}) {
    add({"SELECT", std::to_string(db)});
    for (int i = 0; i < 20; ++i) add({"SET", p + "db" + std::to_string(db) + ":" + std::to_string(i), std::to_string(i * db)});
    add({"HSET", p + "dbh", "db", std::to_string(db), "x", "y"});
    add({"ZADD", p + "dbz", std::to_string(db), "a", "2", "b"});
    add({"EXPIRE", p + "dbz", "100000"});
  }
  add({"SELECT", "0"});
  return c;
}

::testing::AssertionResult LoadMixed(redisContext* c, int v) { return Pipeline(c, MixedCommands(v)); }

// A second wave touching what LoadMixed(v) made: fields and members removed, keys deleted, TTLs changed.
std::vector<std::vector<std::string>> MutateCommands(int v) {
  const std::string p = "m" + std::to_string(v) + ":";
  return {{"SELECT", "0"},
          {"HDEL", p + "h:big", "field1", "field2", "field3"},
          {"HSET", p + "h:big", "field4", "changed"},
          {"ZREM", p + "z:big", "member1", "member2"},
          {"ZADD", p + "z:big", "12345", "member3"},
          {"DEL", p + "s:30", p + "h:9"},
          {"APPEND", p + "big", "-appended"},
          {"EXPIRE", p + "s:31", "100000"},
          {"PERSIST", p + "s:0"},
          {"RENAME", p + "z:23", p + "z:23r"},
          {"INCRBY", p + "int", "1000"},
          {"SELECT", "9"},
          {"DEL", p + "db9:1"},
          {"SELECT", "0"}};
}

// ---------------------------------------------------------------------------------------------------------
// Concurrent writers with a model of what was acknowledged.

struct MKey {
  char type = 's';  // 's' string, 'h' hash, 'z' sorted set
  std::string str;
  std::map<std::string, std::string> hash;
  std::map<std::string, double> zset;
  long long expire_lo = -1, expire_hi = -1;  // absolute ms; -1: none. A relative EXPIRE leaves a window.
};
using Model = std::map<std::string, MKey>;

struct Op {
  std::vector<std::string> args;
  std::optional<long long> expect_int;  // the integer reply the model predicts
  bool expect_ok = false;               // +OK
  std::vector<Op> txn;                  // when not empty: MULTI, these, EXEC (args is unused)
  std::function<void(Model&, long long sent_ms, long long acked_ms)> apply;
};

MKey StrKey(const std::string& v) {
  MKey k;
  k.type = 's';
  k.str = v;
  return k;
}

// The next operation of a writer on its own keys (prefix p): every kind of write, chosen at random.
Op NextOp(std::mt19937& rng, const std::string& p, const Model& m, long long n, bool allow_txn = true) {
  auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<unsigned>(k)); };
  auto skey = [&] { return p + "s" + std::to_string(pick(6)); };
  auto ckey = [&] { return p + "c" + std::to_string(pick(3)); };
  auto hkey = [&] { return p + "h" + std::to_string(pick(3)); };
  auto zkey = [&] { return p + "z" + std::to_string(pick(3)); };
  auto anykey = [&] {
    switch (pick(4)) {
      case 0: return skey();
      case 1: return ckey();
      case 2: return hkey();
      default: return zkey();
    }
  };
  auto find = [&m](const std::string& k) -> const MKey* {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  };
  Op op;
  if (allow_txn && pick(17) == 0) {  // MULTI ... EXEC of a few writes on several keys: all or nothing
    Model scratch = m;
    int count = 2 + pick(3);
    for (int i = 0; i < count; ++i) {
      Op sub = NextOp(rng, p, scratch, n * 10 + i, false);
      long long now = NowMs();
      sub.apply(scratch, now, now);
      op.txn.push_back(std::move(sub));
    }
    op.args = {"MULTI"};
    for (auto& sub : op.txn) op.args.insert(op.args.end(), {"|", Join(sub.args)});
    std::vector<Op> subs = op.txn;
    op.apply = [subs](Model& mm, long long sent, long long acked) {
      for (auto& sub : subs) sub.apply(mm, sent, acked);
    };
    return op;
  }
  switch (pick(16)) {
    case 0: {
      std::string k = skey(), v = "v" + std::to_string(n);
      op.args = {"SET", k, v};
      op.expect_ok = true;
      op.apply = [k, v](Model& m, long long, long long) { m[k] = StrKey(v); };
      break;
    }
    case 1: {
      std::string k = ckey();
      const MKey* e = find(k);
      long long nv = (e ? std::stoll(e->str) : 0) + 1;
      op.args = {"INCR", k};
      op.expect_int = nv;
      op.apply = [k, nv](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it == m.end()) m[k] = StrKey(std::to_string(nv));
        else it->second.str = std::to_string(nv);
      };
      break;
    }
    case 2: {
      std::string k = skey(), tail = "+" + std::to_string(n % 1000);
      const MKey* e = find(k);
      op.args = {"APPEND", k, tail};
      op.expect_int = static_cast<long long>((e ? e->str.size() : 0) + tail.size());
      op.apply = [k, tail](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it == m.end()) m[k] = StrKey(tail);
        else it->second.str += tail;
      };
      break;
    }
    case 3: {
      std::string k = hkey(), f = "f" + std::to_string(pick(4)), v = "v" + std::to_string(n);
      const MKey* e = find(k);
      op.args = {"HSET", k, f, v};
      op.expect_int = (e && e->hash.count(f)) ? 0 : 1;
      op.apply = [k, f, v](Model& m, long long, long long) {
        MKey& x = m[k];
        x.type = 'h';
        x.hash[f] = v;
      };
      break;
    }
    case 4: {
      std::string k = hkey(), f = "n" + std::to_string(pick(3));
      const MKey* e = find(k);
      long long nv = 3;
      if (e && e->hash.count(f)) nv += std::stoll(e->hash.at(f));
      op.args = {"HINCRBY", k, f, "3"};
      op.expect_int = nv;
      op.apply = [k, f, nv](Model& m, long long, long long) {
        MKey& x = m[k];
        x.type = 'h';
        x.hash[f] = std::to_string(nv);
      };
      break;
    }
    case 5: {
      std::string k = hkey(), f = (pick(2) ? "f" : "n") + std::to_string(pick(4));
      const MKey* e = find(k);
      op.args = {"HDEL", k, f};
      op.expect_int = (e && e->hash.count(f)) ? 1 : 0;
      op.apply = [k, f](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it == m.end()) return;
        it->second.hash.erase(f);
        if (it->second.hash.empty()) m.erase(it);
      };
      break;
    }
    case 6: {
      std::string k = zkey(), mem = "m" + std::to_string(pick(5));
      double score = static_cast<double>(n % 100) - 50;
      const MKey* e = find(k);
      op.args = {"ZADD", k, std::to_string(static_cast<long long>(score)), mem};
      op.expect_int = (e && e->zset.count(mem)) ? 0 : 1;
      op.apply = [k, mem, score](Model& m, long long, long long) {
        MKey& x = m[k];
        x.type = 'z';
        x.zset[mem] = score;
      };
      break;
    }
    case 7: {
      std::string k = zkey(), mem = "m" + std::to_string(pick(5));
      op.args = {"ZINCRBY", k, "1.5", mem};
      op.apply = [k, mem](Model& m, long long, long long) {
        MKey& x = m[k];
        x.type = 'z';
        x.zset[mem] += 1.5;
      };
      break;
    }
    case 8: {
      std::string k = zkey(), mem = "m" + std::to_string(pick(5));
      const MKey* e = find(k);
      op.args = {"ZREM", k, mem};
      op.expect_int = (e && e->zset.count(mem)) ? 1 : 0;
      op.apply = [k, mem](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it == m.end()) return;
        it->second.zset.erase(mem);
        if (it->second.zset.empty()) m.erase(it);
      };
      break;
    }
    case 9: {
      std::string k = anykey();
      op.args = {"EXPIRE", k, "100000"};
      op.expect_int = find(k) ? 1 : 0;
      op.apply = [k](Model& m, long long sent, long long acked) {
        auto it = m.find(k);
        if (it == m.end()) return;
        it->second.expire_lo = sent + 100000000LL - 1000;  // EXPIRE works in seconds; allow the rounding
        it->second.expire_hi = acked + 100000000LL + 1000;
      };
      break;
    }
    case 10: {
      std::string k = anykey();
      long long at = kFarMs + n;
      op.args = {"PEXPIREAT", k, std::to_string(at)};
      op.expect_int = find(k) ? 1 : 0;
      op.apply = [k, at](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it == m.end()) return;
        it->second.expire_lo = it->second.expire_hi = at;
      };
      break;
    }
    case 11: {
      std::string k = anykey();
      op.args = {"DEL", k};
      op.expect_int = find(k) ? 1 : 0;
      op.apply = [k](Model& m, long long, long long) { m.erase(k); };
      break;
    }
    case 12: {
      std::string a = skey(), b = skey();
      if (a == b || !find(a)) return NextOp(rng, p, m, n, allow_txn);
      op.args = {"RENAME", a, b};
      op.expect_ok = true;
      op.apply = [a, b](Model& m, long long, long long) {
        MKey moved = m.at(a);
        m.erase(a);
        m[b] = moved;
      };
      break;
    }
    case 13: {
      std::string a = skey(), b = skey(), va = "ma" + std::to_string(n), vb = "mb" + std::to_string(n);
      if (a == b) return NextOp(rng, p, m, n, allow_txn);
      op.args = {"MSET", a, va, b, vb};
      op.expect_ok = true;
      op.apply = [a, b, va, vb](Model& m, long long, long long) {
        m[a] = StrKey(va);
        m[b] = StrKey(vb);
      };
      break;
    }
    case 14: {
      std::string k = anykey();
      const MKey* e = find(k);
      op.args = {"PERSIST", k};
      op.expect_int = (e && e->expire_lo >= 0) ? 1 : 0;
      op.apply = [k](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it != m.end()) it->second.expire_lo = it->second.expire_hi = -1;
      };
      break;
    }
    default: {  // a counter with a TTL that INCR must keep
      std::string k = ckey();
      const MKey* e = find(k);
      long long nv = (e ? std::stoll(e->str) : 0) + 5;
      op.args = {"INCRBY", k, "5"};
      op.expect_int = nv;
      op.apply = [k, nv](Model& m, long long, long long) {
        auto it = m.find(k);
        if (it == m.end()) m[k] = StrKey(std::to_string(nv));
        else it->second.str = std::to_string(nv);
      };
      break;
    }
  }
  return op;
}

struct Writer {
  std::string prefix;
  Model model;
  std::optional<Op> inflight;  // sent, no reply: may or may not have happened
  long long inflight_sent_ms = 0;
  long long acked = 0;
  long long acked_after_mark = 0;  // acknowledged after *mark became true (sent after it)
  std::vector<std::string> problems;
};

// "" when r is what the model predicts for op.
std::string CheckReply(const Op& op, const redisReply* r) {
  bool bad = !r || r->type == REDIS_REPLY_ERROR || (op.expect_ok && !IsStatus(r, "OK")) ||
             (op.expect_int && !IsInt(r, *op.expect_int));
  if (!bad) return "";
  return Join(op.args) + " -> " + Describe(r) +
         (op.expect_int ? " (the model expected " + std::to_string(*op.expect_int) + ")" : "");
}

// Sends op (a command, or MULTI/commands/EXEC pipelined). *gone: a reply is missing (the server went away);
// otherwise returns "" or what differs from the model.
std::string Send(redisContext* c, const Op& op, bool* gone) {
  *gone = false;
  if (op.txn.empty()) {
    Reply r = Cmd(c, op.args);
    *gone = !r;
    return r ? CheckReply(op, r.get()) : "";
  }
  Append(c, {"MULTI"});
  for (auto& sub : op.txn) Append(c, sub.args);
  Append(c, {"EXEC"});
  std::string problem;
  for (size_t i = 0; i <= op.txn.size(); ++i) {
    Reply r = GetReply(c);
    if (!r) return *gone = true, "";
    if (problem.empty() && !IsStatus(r.get(), i == 0 ? "OK" : "QUEUED"))
      problem = (i == 0 ? std::string("MULTI") : Join(op.txn[i - 1].args)) + " -> " + Describe(r.get());
  }
  Reply exec = GetReply(c);
  if (!exec) return *gone = true, "";
  if (!problem.empty()) return problem;
  if (!IsArrayLen(exec.get(), op.txn.size())) return "EXEC -> " + Describe(exec.get());
  for (size_t i = 0; i < op.txn.size(); ++i)
    if (std::string p = CheckReply(op.txn[i], exec->element[i]); !p.empty()) return "in EXEC: " + p;
  return "";
}

// Writes until the connection fails or *stop. Records every acknowledged write in w->model.
void RunWriter(int port, unsigned seed, const std::atomic<bool>* stop, const std::atomic<bool>* mark, Writer* w) {
  Client c(port);
  if (!c.ok()) {
    w->problems.push_back("connect: " + c.error());
    return;
  }
  std::mt19937 rng(seed);
  for (long long n = 0; !stop->load(); ++n) {
    Op op = NextOp(rng, w->prefix, w->model, n);
    bool marked = mark && mark->load();
    long long sent = NowMs();
    bool gone = false;
    std::string problem = Send(c, op, &gone);
    if (gone) {  // the server is gone (or hangs): this one may or may not have happened
      w->inflight = std::move(op);
      w->inflight_sent_ms = sent;
      return;
    }
    if (!problem.empty()) {
      w->problems.push_back(problem);
      return;
    }
    op.apply(w->model, sent, NowMs());
    ++w->acked;
    if (marked) ++w->acked_after_mark;
  }
}

// What the server holds under `prefix` in db 0, as a model.
::testing::AssertionResult ReadModel(redisContext* c, const std::string& prefix, Model* out) {
  Dump d;
  std::string err = TakeDump(c, &d, prefix + "*", 1);
  if (!err.empty()) return ::testing::AssertionFailure() << err;
  out->clear();
  for (auto& [name, k] : d) {
    MKey m;
    m.type = k.type == "string" ? 's' : k.type == "hash" ? 'h' : k.type == "zset" ? 'z' : '?';
    m.str = k.str;
    m.hash = k.hash;
    for (auto& [mem, sc] : k.zset) m.zset[mem] = std::strtod(sc.c_str(), nullptr);
    m.expire_lo = m.expire_hi = k.expire_at;
    (*out)[name.substr(2)] = m;  // drop "0:"
  }
  return ::testing::AssertionSuccess();
}

std::string RenderKey(const MKey& k) {
  std::string s(1, k.type);
  s += " ";
  if (k.type == 's') s += "\"" + Escape(k.str) + "\"";
  for (auto& [f, v] : k.hash) s += f + "=" + v + " ";
  for (auto& [m, sc] : k.zset) s += m + ":" + std::to_string(sc) + " ";
  return s + " expire=[" + std::to_string(k.expire_lo) + "," + std::to_string(k.expire_hi) + "]";
}

// "" when `got` (read back, exact expiries) matches `want` (expiry windows), else the differences.
std::string ModelDiff(const Model& want, const Model& got) {
  std::string out;
  for (auto& [k, w] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      out += "\n  missing " + k + " = " + RenderKey(w);
      continue;
    }
    const MKey& g = it->second;
    bool same = g.type == w.type && g.str == w.str && g.hash == w.hash && g.zset == w.zset;
    bool ttl_ok = w.expire_lo < 0 ? g.expire_lo == -1 : (g.expire_lo >= w.expire_lo && g.expire_lo <= w.expire_hi);
    if (!same || !ttl_ok) out += "\n  " + k + ": expected " + RenderKey(w) + ", found " + RenderKey(g);
  }
  for (auto& [k, g] : got)
    if (!want.count(k)) out += "\n  extra " + k + " = " + RenderKey(g);
  return out;
}

// The server's keys under w.prefix must be exactly the acknowledged writes, or those plus the in-flight one.
::testing::AssertionResult MatchesWriter(redisContext* c, const Writer& w) {
  Model got;
  if (auto r = ReadModel(c, w.prefix, &got); !r) return r;
  std::string diff = ModelDiff(w.model, got);
  if (diff.empty()) return ::testing::AssertionSuccess();
  std::string diff2;
  if (w.inflight) {
    Model with = w.model;
    w.inflight->apply(with, w.inflight_sent_ms, NowMs());
    diff2 = ModelDiff(with, got);
    if (diff2.empty()) return ::testing::AssertionSuccess();
  }
  auto f = ::testing::AssertionFailure();
  f << "writer " << w.prefix << " (" << w.acked << " acknowledged writes): the recovered keys match neither the "
    << "acknowledged writes" << diff;
  if (w.inflight) f << "\nnor those plus the unacknowledged " << Join(w.inflight->args) << diff2;
  return f;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ServerIsRealRedis()) GTEST_SKIP() << "write-ahead-log restarts are Tally's (TALLY_CRASH_AT, --check-wal, ...)";
  }
};

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
  EXPECT_LT(FileSize(WalDir(s->dir()) + "/" + files[1]), 600000) << "the log kept growing";
  Dump before, after;
  ASSERT_TRUE(TakeDump(c, &before).empty());
  EXPECT_EQ(before.size(), 3050u);
  ASSERT_TRUE(s->Kill9());
  ASSERT_TRUE(RestartLoaded(*s));
  ASSERT_TRUE(DumpOf(*s, &after));
  EXPECT_TRUE(SameDump(before, after));
}

}  // namespace
}  // namespace tally_test
