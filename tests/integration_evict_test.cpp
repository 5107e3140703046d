// maxmemory and the eviction policies (evict.h, docs/eviction.md) against the real binary. Each test
// starts its own server, reads its baseline used_memory and sets maxmemory a few megabytes above it, so
// the figures do not depend on the machine. Validated against redis-server 7.0 as well
// (TALLY_SERVER=/usr/bin/redis-server), except the write-ahead-log restart, which is Tally's.
//   EvictAllkeysTest    LRU/LFU/random: memory stays at the limit, writes keep succeeding, recently or
//                       frequently read keys survive far more than untouched ones
//   EvictVolatileTest   volatile-ttl takes the shortest TTLs first and never a key without TTL;
//                       volatile-* with no TTL keys refuse writes with -OOM
//   EvictNoEvictionTest the exact -OOM text for deny-oom commands, reads and DEL still work, DEL frees
//   EvictMultiTest      MULTI/EXEC while over the limit, byte for byte as Redis 7.0
//   EvictConfigTest     CONFIG GET/SET, errors, flags, INFO fields, OBJECT FREQ/IDLETIME/REFCOUNT
//   EvictWalTest        evicted keys stay gone after kill -9 and a restart; kept keys are intact
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/harness.h"
#include "tests/integration_wal_support.h"

namespace tally_test {
namespace {

constexpr long long kMb = 1024 * 1024;
const std::string kOom = "OOM command not allowed when used memory > 'maxmemory'.";
const std::string kValue(200, 'v');

long long InfoInt(redisContext* c, std::string_view field) {
  Reply r = Cmd(c, {"INFO", "all"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  std::string v = InfoField(std::string(r->str, r->len), field);
  return v.empty() ? -1 : std::stoll(v);
}

std::string InfoStr(redisContext* c, std::string_view field) {
  Reply r = Cmd(c, {"INFO", "all"});
  return r && r->type == REDIS_REPLY_STRING ? InfoField(std::string(r->str, r->len), field) : "";
}

// Sets maxmemory `extra` bytes above what the server uses now and the policy; returns the limit.
long long LimitAbove(redisContext* c, long long extra, const std::string& policy) {
  long long limit = InfoInt(c, "used_memory") + extra;
  EXPECT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory-policy", policy}).get(), "OK"));
  EXPECT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory", std::to_string(limit)}).get(), "OK"));
  return limit;
}

// What a pipelined batch of writes got back.
struct Outcome {
  long long ok = 0, errors = 0;
  std::string first_error;
};

// Sends cmds in pipelined batches of 500.
Outcome Pipelined(redisContext* c, const std::vector<std::vector<std::string>>& cmds) {
  Outcome o;
  for (size_t i = 0; i < cmds.size(); i += 500) {
    size_t end = std::min(cmds.size(), i + 500);
    for (size_t j = i; j < end; ++j) Append(c, cmds[j]);
    for (size_t j = i; j < end; ++j) {
      Reply r = GetReply(c);
      if (r && r->type == REDIS_REPLY_ERROR) {
        if (o.errors++ == 0) o.first_error.assign(r->str, r->len);
      } else if (r) {
        ++o.ok;
      }
    }
  }
  return o;
}

std::vector<std::string> Names(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

Outcome SetAll(redisContext* c, const std::vector<std::string>& keys, const std::vector<std::string>& extra = {}) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& k : keys) {
    cmds.push_back({"SET", k, kValue});
    cmds.back().insert(cmds.back().end(), extra.begin(), extra.end());
  }
  return Pipelined(c, cmds);
}

void GetAll(redisContext* c, const std::vector<std::string>& keys) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& k : keys) cmds.push_back({"GET", k});
  Pipelined(c, cmds);
}

// How many of keys exist (EXISTS does not count as an access).
long long Surviving(redisContext* c, const std::vector<std::string>& keys) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& k : keys) cmds.push_back({"EXISTS", k});
  long long n = 0;
  for (size_t i = 0; i < cmds.size(); i += 500) {
    size_t end = std::min(cmds.size(), i + 500);
    for (size_t j = i; j < end; ++j) Append(c, cmds[j]);
    for (size_t j = i; j < end; ++j) {
      Reply r = GetReply(c);
      if (r && r->type == REDIS_REPLY_INTEGER) n += r->integer;
    }
  }
  return n;
}

// Stops evicting, so that counting survivors changes nothing.
void Freeze(redisContext* c) { EXPECT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory", "0"}).get(), "OK")); }

// ---------------------------------------------------------------------------------------------------------
// allkeys-*

class EvictAllkeysTest : public ::testing::Test {};

TEST_F(EvictAllkeysTest, LruKeepsMemoryAtTheLimitAndWritesSucceeding) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  const long long limit = LimitAbove(c, 20 * kMb, "allkeys-lru");
  auto keys = Names("k:", 200000);  // about three times what fits
  Outcome o = SetAll(c, keys);
  EXPECT_EQ(o.errors, 0) << o.first_error;
  const long long used = InfoInt(c, "used_memory");
  EXPECT_LE(used, limit + kMb) << "used_memory " << used << " vs maxmemory " << limit;
  EXPECT_GE(used, limit - 4 * kMb) << "evicted far more than needed";
  const long long evicted = InfoInt(c, "evicted_keys");
  Reply n = Cmd(c, {"DBSIZE"});
  ASSERT_TRUE(n && n->type == REDIS_REPLY_INTEGER);
  EXPECT_GT(evicted, 50000);
  EXPECT_EQ(evicted + n->integer, 200000) << "every key written is either there or was evicted";
  EXPECT_EQ(InfoStr(c, "maxmemory_policy"), "allkeys-lru");
  // The last keys written are the most recently used: they are there (Redis too loses a few: LRU by
  // sampling is approximate, and keys written within the same second look equally old).
  EXPECT_GE(Surviving(c, std::vector<std::string>(keys.end() - 100, keys.end())), 90);
}

// Cold keys are written and left alone; a hot set is read again and again while new keys push memory
// over the limit. LRU sampling is approximate, so the check is statistical but wide.
TEST_F(EvictAllkeysTest, LruKeepsRecentlyReadKeys) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  LimitAbove(c, 20 * kMb, "allkeys-lru");
  auto cold = Names("cold:", 50000), hot = Names("hot:", 1000), fresh = Names("new:", 50000);
  ASSERT_EQ(SetAll(c, cold).errors, 0);
  ASSERT_EQ(SetAll(c, hot).errors, 0);
  SleepMs(1500);  // the LRU clock counts seconds: the cold keys are now visibly older
  for (size_t i = 0; i < fresh.size(); i += 5000) {
    GetAll(c, hot);
    ASSERT_EQ(SetAll(c, std::vector<std::string>(fresh.begin() + i, fresh.begin() + i + 5000)).errors, 0);
  }
  ASSERT_GT(InfoInt(c, "evicted_keys"), 10000);
  Freeze(c);
  const long long hot_left = Surviving(c, hot), cold_left = Surviving(c, cold);
  EXPECT_GE(hot_left, 900) << "hot keys kept: " << hot_left << "/1000, cold kept: " << cold_left << "/50000";
  EXPECT_LE(cold_left * 1000 / 50000, 600) << "cold keys should go first: " << cold_left << "/50000 kept";
}

TEST_F(EvictAllkeysTest, LfuKeepsFrequentlyReadKeys) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  LimitAbove(c, 20 * kMb, "allkeys-lfu");
  // A small log factor makes ten reads lift a key well above new ones (5), past a decay step or two.
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "lfu-log-factor", "1"}).get(), "OK"));
  auto cold = Names("cold:", 40000), hot = Names("hot:", 1000), fresh = Names("new:", 60000);
  ASSERT_EQ(SetAll(c, hot).errors, 0);
  for (int i = 0; i < 20; ++i) GetAll(c, hot);
  ASSERT_EQ(SetAll(c, cold).errors, 0);
  ASSERT_EQ(SetAll(c, fresh).errors, 0);
  ASSERT_GT(InfoInt(c, "evicted_keys"), 10000);
  Freeze(c);
  const long long hot_left = Surviving(c, hot), cold_left = Surviving(c, cold) + Surviving(c, fresh);
  EXPECT_GE(hot_left, 900) << "hot keys kept: " << hot_left << "/1000, others kept: " << cold_left << "/100000";
  Reply f = Cmd(c, {"OBJECT", "FREQ", "hot:1"});
  ASSERT_TRUE(f && f->type == REDIS_REPLY_INTEGER) << Describe(f.get());
  EXPECT_GT(f->integer, 5);
}

TEST_F(EvictAllkeysTest, RandomEvictsSomething) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  const long long limit = LimitAbove(c, 10 * kMb, "allkeys-random");
  Outcome o = SetAll(c, Names("k:", 80000));
  EXPECT_EQ(o.errors, 0) << o.first_error;
  EXPECT_GT(InfoInt(c, "evicted_keys"), 10000);
  EXPECT_LE(InfoInt(c, "used_memory"), limit + kMb);
}

// ---------------------------------------------------------------------------------------------------------
// volatile-*

class EvictVolatileTest : public ::testing::Test {};

TEST_F(EvictVolatileTest, TtlTakesShortestFirstAndNeverKeysWithoutTtl) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  LimitAbove(c, 20 * kMb, "volatile-ttl");
  auto none = Names("none:", 20000), shortt = Names("short:", 20000), longt = Names("long:", 20000);
  auto more = Names("more:", 25000);
  ASSERT_EQ(SetAll(c, none).errors, 0);
  ASSERT_EQ(SetAll(c, longt, {"EX", "100000"}).errors, 0);
  ASSERT_EQ(SetAll(c, shortt, {"EX", "1000"}).errors, 0);
  Outcome o = SetAll(c, more);  // no TTL: these push memory over, and only TTL keys may go
  EXPECT_EQ(o.errors, 0) << o.first_error;
  const long long evicted = InfoInt(c, "evicted_keys");
  ASSERT_GT(evicted, 1000);
  ASSERT_LT(evicted, 20000) << "the test wants fewer evictions than short-TTL keys";
  Freeze(c);
  EXPECT_EQ(Surviving(c, none), 20000);
  EXPECT_EQ(Surviving(c, more), 25000);
  const long long short_gone = 20000 - Surviving(c, shortt), long_gone = 20000 - Surviving(c, longt);
  // Redis 7.0 (sampling the expires dict) takes about 94% from the short ones; the heap minima do better.
  EXPECT_GE(short_gone * 100, evicted * 90) << "short gone " << short_gone << ", long gone " << long_gone;
}

TEST_F(EvictVolatileTest, NoKeyWithTtlMeansOom) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  LimitAbove(c, 2 * kMb, "volatile-lru");
  Outcome o = SetAll(c, Names("k:", 40000));  // about 12 MB: over the limit, and nothing may go
  EXPECT_GT(o.errors, 0);
  EXPECT_EQ(o.first_error, kOom);
  EXPECT_EQ(InfoInt(c, "evicted_keys"), 0);
  LimitAbove(c, -1 * kMb, "volatile-lru");  // clearly over, whatever the pipeline's buffers held
  for (const char* p : {"volatile-lfu", "volatile-random", "volatile-ttl"}) {
    ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory-policy", p}).get(), "OK"));
    EXPECT_TRUE(IsError(Cmd(c, {"SET", "x", "1"}).get(), kOom)) << p;
  }
  // A key with a TTL can go: the write that follows it succeeds once enough is freed.
  Freeze(c);
  ASSERT_EQ(SetAll(c, Names("t:", 20000), {"EX", "1000"}).errors, 0);
  LimitAbove(c, -1 * kMb, "volatile-random");
  EXPECT_TRUE(IsStatus(Cmd(c, {"SET", "x", "1"}).get(), "OK"));
  EXPECT_GT(InfoInt(c, "evicted_keys"), 0);
}

// ---------------------------------------------------------------------------------------------------------
// noeviction

class EvictNoEvictionTest : public ::testing::Test {};

TEST_F(EvictNoEvictionTest, DenyOomCommandsFailReadsAndDeletesWork) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  LimitAbove(c, 4 * kMb, "noeviction");
  auto keys = Names("k:", 30000);
  Outcome o = SetAll(c, keys);
  ASSERT_GT(o.errors, 0);
  EXPECT_EQ(o.first_error, kOom);
  EXPECT_EQ(InfoInt(c, "evicted_keys"), 0);
  LimitAbove(c, -1 * kMb, "noeviction");  // clearly over, whatever the pipeline's buffers held
  // Deny-oom commands are refused; reads and commands that do not add memory run.
  for (std::vector<std::string> cmd : {std::vector<std::string>{"SET", "x", "1"}, {"INCR", "n"}, {"APPEND", "k:0", "x"},
                                       {"HSET", "h", "f", "v"}, {"ZADD", "z", "1", "m"}, {"SETNX", "y", "1"}})
    EXPECT_TRUE(IsError(Cmd(c, cmd).get(), kOom)) << cmd[0];
  EXPECT_TRUE(IsBulk(Cmd(c, {"GET", "k:0"}).get(), kValue));
  EXPECT_TRUE(IsInt(Cmd(c, {"EXPIRE", "k:1", "1000"}).get(), 1));
  EXPECT_TRUE(IsInt(Cmd(c, {"EXISTS", "k:2"}).get(), 1));
  EXPECT_GT(InfoInt(c, "total_eviction_exceeded_time"), -1);
  // Deleting frees memory, and writes work again.
  std::vector<std::vector<std::string>> dels;
  for (int i = 0; i < static_cast<int>(o.ok); ++i) dels.push_back({"DEL", keys[static_cast<size_t>(i)]});
  EXPECT_EQ(Pipelined(c, dels).errors, 0);
  EXPECT_TRUE(IsStatus(Cmd(c, {"SET", "x", "1"}).get(), "OK"));
  EXPECT_EQ(InfoStr(c, "current_eviction_exceeded_time"), "0");
  Reply err = Cmd(c, {"INFO", "errorstats"});
  ASSERT_TRUE(err && err->type == REDIS_REPLY_STRING);
  EXPECT_NE(InfoField(std::string(err->str, err->len), "errorstat_OOM"), "");
}

// ---------------------------------------------------------------------------------------------------------
// MULTI / EXEC (maxmemory 1: always over the limit, nothing to evict under noeviction)

class EvictMultiTest : public ::testing::Test {};

TEST_F(EvictMultiTest, InsideMultiEverythingButTheEndIsRefused) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(IsStatus(Cmd(c, {"SET", "a", "1"}).get(), "OK"));
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory", "1"}).get(), "OK"));
  const std::string oom = "-" + kOom + "\r\n";
  RawConn r(s->port());
  ExpectRaw(r, "MULTI\r\nGET a\r\nSET b 1\r\nEXEC\r\n",
            "+OK\r\n" + oom + oom + "-EXECABORT Transaction discarded because of previous errors.\r\n");
  ExpectRaw(r, "MULTI\r\nPING\r\nDISCARD\r\n", "+OK\r\n" + oom + "+OK\r\n");
  ExpectRaw(r, "MULTI\r\nMULTI\r\nRESET\r\n", "+OK\r\n" + oom + "+RESET\r\n");
  ExpectRaw(r, "GET a\r\n", "$1\r\n1\r\n");  // outside MULTI reads still run
}

TEST_F(EvictMultiTest, ExecRefusesQueuedDenyOomCommandsOnly) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client admin(s->port());
  RawConn r(s->port());
  ExpectRaw(r, "MULTI\r\nSET q 1\r\n", "+OK\r\n+QUEUED\r\n");
  ASSERT_TRUE(IsStatus(Cmd(admin, {"CONFIG", "SET", "maxmemory", "1"}).get(), "OK"));
  ExpectRaw(r, "EXEC\r\n", "-EXECABORT Transaction discarded because of: " + kOom + "\r\n");
  ExpectRaw(r, "EXEC\r\n", "-ERR EXEC without MULTI\r\n");  // the transaction was discarded
  ASSERT_TRUE(IsStatus(Cmd(admin, {"CONFIG", "SET", "maxmemory", "0"}).get(), "OK"));
  ExpectRaw(r, "MULTI\r\nGET q\r\nDEL q\r\n", "+OK\r\n+QUEUED\r\n+QUEUED\r\n");
  ASSERT_TRUE(IsStatus(Cmd(admin, {"CONFIG", "SET", "maxmemory", "1"}).get(), "OK"));
  ExpectRaw(r, "EXEC\r\n", "*2\r\n$-1\r\n:0\r\n");  // nothing deny-oom queued: it runs
  Reply stats = Cmd(admin, {"INFO", "commandstats"});
  ASSERT_TRUE(stats && stats->type == REDIS_REPLY_STRING);
  std::string exec = InfoField(std::string(stats->str, stats->len), "cmdstat_exec");
  EXPECT_NE(exec.find("rejected_calls=1,"), std::string::npos) << exec;
}

// ---------------------------------------------------------------------------------------------------------
// Configuration, INFO and OBJECT

class EvictConfigTest : public ::testing::Test {};

TEST_F(EvictConfigTest, ConfigSetValidatesLikeRedis) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  const std::string failed = "ERR CONFIG SET failed (possibly related to argument '";
  EXPECT_TRUE(IsError(Cmd(c, {"CONFIG", "SET", "maxmemory-policy", "lru"}).get(),
                      failed + "maxmemory-policy') - argument(s) must be one of the following: volatile-lru, "
                               "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
                               "allkeys-random, noeviction"));
  EXPECT_TRUE(IsError(Cmd(c, {"CONFIG", "SET", "maxmemory-samples", "0"}).get(),
                      failed + "maxmemory-samples') - argument must be between 1 and 2147483647 inclusive"));
  EXPECT_TRUE(IsError(Cmd(c, {"CONFIG", "SET", "maxmemory-eviction-tenacity", "101"}).get(),
                      failed + "maxmemory-eviction-tenacity') - argument must be between 0 and 100 inclusive"));
  EXPECT_TRUE(IsError(Cmd(c, {"CONFIG", "SET", "lfu-log-factor", "-1"}).get(),
                      failed + "lfu-log-factor') - argument must be between 0 and 2147483647 inclusive"));
  EXPECT_TRUE(IsError(Cmd(c, {"CONFIG", "SET", "lfu-decay-time", "x"}).get(),
                      failed + "lfu-decay-time') - argument couldn't be parsed into an integer"));
  EXPECT_TRUE(IsError(Cmd(c, {"CONFIG", "SET", "maxmemory", "12xb"}).get(),
                      failed + "maxmemory') - argument must be a memory value"));
  for (auto [name, value, shown] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"maxmemory-policy", "ALLKEYS-LFU", "allkeys-lfu"}, {"maxmemory-samples", "10", "10"},
           {"maxmemory-eviction-tenacity", "0", "0"}, {"lfu-log-factor", "0", "0"}, {"lfu-decay-time", "5", "5"},
           {"maxmemory", "1gb", "1073741824"}}) {
    EXPECT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", name, value}).get(), "OK")) << name;
    EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", name}).get(), {name, shown}));
  }
  EXPECT_EQ(InfoStr(c, "maxmemory_policy"), "allkeys-lfu");
  EXPECT_EQ(InfoStr(c, "maxmemory"), "1073741824");
}

TEST_F(EvictConfigTest, FlagsSetEverySetting) {
  auto s = StartServer({"--maxmemory", "100mb", "--maxmemory-policy", "volatile-ttl", "--maxmemory-samples", "7",
                        "--maxmemory-eviction-tenacity", "20", "--lfu-log-factor", "3", "--lfu-decay-time", "2"});
  ASSERT_TRUE(s);
  Client c(s->port());
  EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", "maxmemory"}).get(), {"maxmemory", "104857600"}));
  EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", "maxmemory-policy"}).get(), {"maxmemory-policy", "volatile-ttl"}));
  EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", "maxmemory-samples"}).get(), {"maxmemory-samples", "7"}));
  EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", "maxmemory-eviction-tenacity"}).get(),
                      {"maxmemory-eviction-tenacity", "20"}));
  EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", "lfu-log-factor"}).get(), {"lfu-log-factor", "3"}));
  EXPECT_TRUE(IsBulks(Cmd(c, {"CONFIG", "GET", "lfu-decay-time"}).get(), {"lfu-decay-time", "2"}));
  EXPECT_EQ(InfoStr(c, "maxmemory_policy"), "volatile-ttl");
  EXPECT_EQ(InfoStr(c, "maxmemory_human"), "100.00M");
}

TEST_F(EvictConfigTest, InfoHasTheEvictionFields) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  for (const char* f : {"used_memory", "maxmemory", "mem_not_counted_for_evict", "lazyfree_pending_objects",
                        "lazyfreed_objects", "evicted_keys", "total_eviction_exceeded_time",
                        "current_eviction_exceeded_time"})
    EXPECT_GE(InfoInt(c, f), 0) << f;
  EXPECT_EQ(InfoStr(c, "maxmemory_policy"), "noeviction");
  // Over the limit with nothing to evict, the exceeded time runs; CONFIG RESETSTAT clears it.
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory", "1"}).get(), "OK"));
  EXPECT_TRUE(IsError(Cmd(c, {"SET", "k", "v"}).get(), kOom));
  SleepMs(300);
  EXPECT_GE(InfoInt(c, "current_eviction_exceeded_time"), 200);
  EXPECT_GE(InfoInt(c, "total_eviction_exceeded_time"), InfoInt(c, "current_eviction_exceeded_time"));
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory", "0"}).get(), "OK"));
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "RESETSTAT"}).get(), "OK"));
  EXPECT_EQ(InfoInt(c, "total_eviction_exceeded_time"), 0);
}

TEST_F(EvictConfigTest, ObjectFreqAndIdletimeFollowThePolicy) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  Client c(s->port());
  const std::string no_lfu =
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching "
      "between policies at runtime LRU and LFU data will take some time to adjust.";
  const std::string lfu_selected =
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between "
      "policies at runtime LRU and LFU data will take some time to adjust.";
  ASSERT_TRUE(IsStatus(Cmd(c, {"SET", "k", "v"}).get(), "OK"));
  EXPECT_TRUE(IsError(Cmd(c, {"OBJECT", "FREQ", "k"}).get(), no_lfu));
  EXPECT_TRUE(IsInt(Cmd(c, {"OBJECT", "IDLETIME", "k"}).get(), 0));
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}).get(), "OK"));
  ASSERT_TRUE(IsStatus(Cmd(c, {"SET", "fresh", "value"}).get(), "OK"));
  EXPECT_TRUE(IsInt(Cmd(c, {"OBJECT", "FREQ", "fresh"}).get(), 5));
  EXPECT_TRUE(IsNil(Cmd(c, {"OBJECT", "FREQ", "nokey"}).get()));
  ASSERT_TRUE(IsBulk(Cmd(c, {"GET", "fresh"}).get(), "value"));
  EXPECT_TRUE(IsInt(Cmd(c, {"OBJECT", "FREQ", "fresh"}).get(), 6));  // the first hit past 5 always counts
  EXPECT_TRUE(IsError(Cmd(c, {"OBJECT", "IDLETIME", "fresh"}).get(), lfu_selected));
  EXPECT_TRUE(IsNil(Cmd(c, {"OBJECT", "IDLETIME", "nokey"}).get()));
  // Shared small integers: Redis stops sharing them under maxmemory with an LRU/LFU policy.
  ASSERT_TRUE(IsStatus(Cmd(c, {"SET", "n", "5"}).get(), "OK"));
  EXPECT_TRUE(IsInt(Cmd(c, {"OBJECT", "REFCOUNT", "n"}).get(), 2147483647));
  ASSERT_TRUE(IsStatus(Cmd(c, {"CONFIG", "SET", "maxmemory", "1gb"}).get(), "OK"));
  ASSERT_TRUE(IsStatus(Cmd(c, {"SET", "n", "6"}).get(), "OK"));
  EXPECT_TRUE(IsInt(Cmd(c, {"OBJECT", "REFCOUNT", "n"}).get(), 1));
}

// ---------------------------------------------------------------------------------------------------------
// The write-ahead log: evictions are logged deletions

class EvictWalTest : public WalTest {};

TEST_F(EvictWalTest, EvictedKeysStayGoneAfterKill9AndRestart) {
  auto s = StartWal({"--appendfsync", "always"});
  ASSERT_TRUE(s);
  Client c(s->port());
  LimitAbove(c, 10 * kMb, "allkeys-lru");
  auto keys = Names("k:", 60000);
  Outcome o = SetAll(c, keys);
  ASSERT_EQ(o.errors, 0) << o.first_error;
  ASSERT_GT(InfoInt(c, "evicted_keys"), 10000);
  Freeze(c);
  std::set<std::string> kept;
  for (size_t i = 0; i < keys.size(); i += 500) {
    size_t end = std::min(keys.size(), i + 500);
    for (size_t j = i; j < end; ++j) Append(c, {"EXISTS", keys[j]});
    for (size_t j = i; j < end; ++j) {
      Reply r = GetReply(c);
      ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER);
      if (r->integer) kept.insert(keys[j]);
    }
  }
  ASSERT_TRUE(s->Kill9());
  ASSERT_TRUE(RestartLoaded(*s));
  Client after(s->port());
  Reply n = Cmd(after, {"DBSIZE"});
  ASSERT_TRUE(n && n->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(static_cast<size_t>(n->integer), kept.size()) << "evicted keys came back, or kept keys were lost";
  std::vector<std::vector<std::string>> gets;
  for (const auto& k : kept) gets.push_back({"GET", k});
  long long intact = 0;
  for (size_t i = 0; i < gets.size(); i += 500) {
    size_t end = std::min(gets.size(), i + 500);
    for (size_t j = i; j < end; ++j) Append(after, gets[j]);
    for (size_t j = i; j < end; ++j) {
      Reply r = GetReply(after);
      intact += r && r->type == REDIS_REPLY_STRING && std::string(r->str, r->len) == kValue;
    }
  }
  EXPECT_EQ(intact, static_cast<long long>(kept.size()));
}

}  // namespace
}  // namespace tally_test
