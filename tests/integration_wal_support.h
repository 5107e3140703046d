// Shared by the write-ahead-log integration tests (integration_wal*_test.cpp): file helpers, a full
// keyspace dump, a model of acknowledged writes and the writer threads that build it.
#pragma once

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
#include "tests/harness.h"

namespace tally_test {


namespace fs = std::filesystem;

inline constexpr int kDbs = 16;
// A fixed far-future expiry (ms) for PEXPIREAT: ten days from when the tests started.
inline const long long kFarMs = NowMs() + 10LL * 24 * 3600 * 1000;

// ---------------------------------------------------------------------------------------------------------
// Files

inline std::string WalDir(const std::string& server_dir) { return server_dir + "/appendonlydir"; }
inline std::string LogPath(const std::string& server_dir, int gen = 1) {
  return WalDir(server_dir) + "/tally." + std::to_string(gen) + ".wal";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

inline long long FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

// File names in `dir`, sorted.
inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

inline std::string NewTempDir() {
  char tmpl[] = "/tmp/tally-wal-XXXXXX";
  return mkdtemp(tmpl) ? std::string(tmpl) : std::string();
}

// A fresh server directory whose appendonlydir holds `files` (name -> bytes).
inline std::string MakeDataDir(const std::map<std::string, std::string>& files) {
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
inline std::vector<Batch> ParseLog(const std::string& b) {
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
inline int RunTool(const std::vector<std::string>& args, std::string* out) {
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
inline bool WaitLoaded(Server& s, std::string* why, int timeout_ms = 20000) {
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
inline std::unique_ptr<Server> StartWal(std::vector<std::string> args, std::vector<std::string> env = {},
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
inline ::testing::AssertionResult RestartLoaded(Server& s) {
  std::string err;
  if (!s.Restart(&err) || !WaitLoaded(s, &err)) return ::testing::AssertionFailure() << "restart failed: " << err;
  return ::testing::AssertionSuccess();
}

// SHUTDOWN, and the process must exit with status 0.
inline ::testing::AssertionResult Shutdown(Server& s) {
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

inline std::string Info(redisContext* c, const std::string& section) {
  Reply r = Cmd(c, {"INFO", section});
  return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

// Bytes in the log after the last snapshot, from INFO persistence: the log's end, where the file may
// go on in preallocated zeros while the server runs.
inline long long LogBytes(redisContext* c) {
  std::string info = Info(c, "persistence");
  return std::stoll(InfoField(info, "aof_current_size")) - std::stoll(InfoField(info, "aof_base_size"));
}

// Waits until no compaction runs and at least `min_rewrites` have finished.
inline bool WaitRewriteDone(redisContext* c, long long min_rewrites, int timeout_ms = 15000) {
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
inline ::testing::AssertionResult Pipeline(redisContext* c, const std::vector<std::vector<std::string>>& cmds) {
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

inline std::string Render(const KeyDump& k) {
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
inline std::string TakeDump(redisContext* c, Dump* out, const std::string& match = "*", int dbs = kDbs) {
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

inline ::testing::AssertionResult SameDump(const Dump& want, const Dump& got) {
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

inline ::testing::AssertionResult DumpOf(Server& s, Dump* d, const std::string& match = "*") {
  Client c(s.port());
  if (!c.ok()) return ::testing::AssertionFailure() << "connect: " << c.error();
  std::string err = TakeDump(c, d, match);
  if (!err.empty()) return ::testing::AssertionFailure() << "dump: " << err;
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------------------
// A mixed dataset: every type and most writing commands, TTLs, several databases. `v` varies the names.

inline std::vector<std::vector<std::string>> MixedCommands(int v) {
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

inline ::testing::AssertionResult LoadMixed(redisContext* c, int v) { return Pipeline(c, MixedCommands(v)); }

// A second wave touching what LoadMixed(v) made: fields and members removed, keys deleted, TTLs changed.
inline std::vector<std::vector<std::string>> MutateCommands(int v) {
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

inline MKey StrKey(const std::string& v) {
  MKey k;
  k.type = 's';
  k.str = v;
  return k;
}

// The next operation of a writer on its own keys (prefix p): every kind of write, chosen at random.
inline Op NextOp(std::mt19937& rng, const std::string& p, const Model& m, long long n, bool allow_txn = true) {
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
inline std::string CheckReply(const Op& op, const redisReply* r) {
  bool bad = !r || r->type == REDIS_REPLY_ERROR || (op.expect_ok && !IsStatus(r, "OK")) ||
             (op.expect_int && !IsInt(r, *op.expect_int));
  if (!bad) return "";
  return Join(op.args) + " -> " + Describe(r) +
         (op.expect_int ? " (the model expected " + std::to_string(*op.expect_int) + ")" : "");
}

// Sends op (a command, or MULTI/commands/EXEC pipelined). *gone: a reply is missing (the server went away);
// otherwise returns "" or what differs from the model.
inline std::string Send(redisContext* c, const Op& op, bool* gone) {
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
inline void RunWriter(int port, unsigned seed, const std::atomic<bool>* stop, const std::atomic<bool>* mark, Writer* w) {
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
inline ::testing::AssertionResult ReadModel(redisContext* c, const std::string& prefix, Model* out) {
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

inline std::string RenderKey(const MKey& k) {
  std::string s(1, k.type);
  s += " ";
  if (k.type == 's') s += "\"" + Escape(k.str) + "\"";
  for (auto& [f, v] : k.hash) s += f + "=" + v + " ";
  for (auto& [m, sc] : k.zset) s += m + ":" + std::to_string(sc) + " ";
  return s + " expire=[" + std::to_string(k.expire_lo) + "," + std::to_string(k.expire_hi) + "]";
}

// "" when `got` (read back, exact expiries) matches `want` (expiry windows), else the differences.
inline std::string ModelDiff(const Model& want, const Model& got) {
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
inline ::testing::AssertionResult MatchesWriter(redisContext* c, const Writer& w) {
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


}  // namespace tally_test
