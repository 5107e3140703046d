// The pieces of maxmemory eviction (evict.h) and the allocation counter (alloc_stats.h), in process:
//   - EvictionPool keeps the best candidates, best first, without duplicates;
//   - the LFU access field: start value, logarithmic growth, decay, saturation;
//   - the tenacity's time budget (Redis's evictionTimeLimitUs);
//   - evict_one on a real Keyspace for every policy: which key goes first, keys without a TTL are never
//     taken by volatile-*, an empty or TTL-less keyspace yields nothing, sparse keyspaces and other
//     databases are still found (and a failed sweep is remembered until a key appears), each eviction
//     is counted and logged as a DEL record;
//   - every setting reads from a config file; a bad policy name fails with Redis's reason;
//   - the allocation counter follows allocations and frees (wrappers, or the sanitizer's counts).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "alloc_stats.h"
#include "config.h"
#include "db.h"
#include "evict.h"
#include "wal_format.h"

namespace tally {
namespace {

// Sets the process-wide access mode for one test and restores the default afterwards.
class AccessMode {
 public:
  explicit AccessMode(MaxmemoryPolicy p, int64_t log_factor = 10, int64_t decay = 1) {
    cfg_.maxmemory_policy = p;
    cfg_.lfu_log_factor = log_factor;
    cfg_.lfu_decay_time = decay;
    publish_access_mode(cfg_);
  }
  ~AccessMode() { publish_access_mode(Config{}); }

 private:
  Config cfg_;
};

uint32_t lfu_field(int64_t now_ms, int64_t minutes_ago, uint32_t counter) {
  uint32_t minutes = static_cast<uint32_t>(now_ms / 60000 - minutes_ago) & 0xFFFF;
  return minutes << 8 | counter;
}

// A keyspace with string keys in db `db`; lru (when given) is stored as is.
struct Fixture {
  explicit Fixture(int shards = 1, int dbs = 2) : ks(dbs, shards) {}

  void add(std::string_view key, int db = 0, int64_t ttl_ms = -1, int64_t lru = -1) {
    Txn t(ks, db, key);
    Entry* e = t.set_string(0, "value-of-" + std::string(key));
    if (ttl_ms >= 0) t.set_expire(e, now_ms() + ttl_ms);
    if (lru >= 0) e->lru = static_cast<uint32_t>(lru) & 0xFFFFFF;
  }
  bool exists(std::string_view key, int db = 0) {
    Txn t(ks, db, key);
    return t.probe(0) != nullptr;
  }
  std::size_t keys(int db = 0) { return ks.dbsize(db); }

  Keyspace ks;
  EvictionPool pool;
};

// ---- the pool ----

TEST(EvictionPoolTest, PopsBestFirstAndKeepsOnlyTheBest) {
  EvictionPool pool;
  for (uint64_t s = 1; s <= 40; ++s) pool.offer(s * 7 % 41, 0, "k" + std::to_string(s * 7 % 41));
  EXPECT_EQ(pool.size(), EvictionPool::kSize);
  for (uint64_t want = 40; want > 40 - EvictionPool::kSize; --want) {
    EvictionPool::Candidate c = pool.pop_best();
    EXPECT_EQ(c.score, want);
    EXPECT_EQ(c.key, "k" + std::to_string(want));
  }
  EXPECT_TRUE(pool.empty());
}

TEST(EvictionPoolTest, IgnoresDuplicatesAndWorseCandidatesWhenFull) {
  EvictionPool pool;
  pool.offer(5, 1, "a");
  pool.offer(5, 1, "a");
  EXPECT_EQ(pool.size(), 1u);
  pool.offer(5, 2, "a");  // same name, other database: another key
  EXPECT_EQ(pool.size(), 2u);
  for (int i = 0; i < 20; ++i) pool.offer(100 + static_cast<uint64_t>(i), 0, "big" + std::to_string(i));
  pool.offer(1, 0, "worse");  // below everything held
  std::set<std::string> held;
  while (!pool.empty()) held.insert(pool.pop_best().key);
  EXPECT_EQ(held.size(), EvictionPool::kSize);
  EXPECT_FALSE(held.count("worse"));
  EXPECT_FALSE(held.count("a"));
}

// ---- the access field ----

TEST(AccessFieldTest, LruModeStoresTheSecondsClock) {
  int64_t now = now_ms();
  EXPECT_EQ(initial_access(now), static_cast<uint32_t>(now / 1000) & 0xFFFFFF);
  EXPECT_EQ(after_access(0, now), static_cast<uint32_t>(now / 1000) & 0xFFFFFF);
  EXPECT_EQ(lru_idle_seconds(static_cast<uint32_t>(now / 1000 - 42) & 0xFFFFFF, now), 42);
  // The 24-bit clock wraps: an access just before the wrap is still a few seconds old after it.
  EXPECT_EQ(lru_idle_seconds(0xFFFFFF - 2, (int64_t{0x1000000} + 3) * 1000), 5);
}

TEST(AccessFieldTest, LfuStartsAtFiveAndGrowsLogarithmically) {
  AccessMode mode(MaxmemoryPolicy::kAllkeysLfu, 10);
  int64_t now = now_ms();
  uint32_t lru = initial_access(now);
  EXPECT_EQ(lfu_counter(lru, now), kLfuInitCounter);
  for (int i = 0; i < 1000; ++i) lru = after_access(lru, now);
  // Redis's table for lfu-log-factor 10: about 18 after 1000 hits (random, so a wide band).
  EXPECT_GE(lfu_counter(lru, now), 12u);
  EXPECT_LE(lfu_counter(lru, now), 30u);
}

TEST(AccessFieldTest, LfuFactorZeroCountsEveryHitUpTo255) {
  AccessMode mode(MaxmemoryPolicy::kVolatileLfu, 0);
  int64_t now = now_ms();
  uint32_t lru = initial_access(now);
  for (int i = 0; i < 10; ++i) lru = after_access(lru, now);
  EXPECT_EQ(lfu_counter(lru, now), 15u);
  for (int i = 0; i < 400; ++i) lru = after_access(lru, now);
  EXPECT_EQ(lfu_counter(lru, now), 255u);
}

TEST(AccessFieldTest, LfuDecaysOnePerDecayPeriod) {
  int64_t now = now_ms();
  {
    AccessMode mode(MaxmemoryPolicy::kAllkeysLfu, 10, 1);
    EXPECT_EQ(lfu_counter(lfu_field(now, 3, 10), now), 7u);
    EXPECT_EQ(lfu_counter(lfu_field(now, 30, 10), now), 0u);
  }
  {
    AccessMode mode(MaxmemoryPolicy::kAllkeysLfu, 10, 2);
    EXPECT_EQ(lfu_counter(lfu_field(now, 6, 10), now), 7u);
  }
  {
    AccessMode mode(MaxmemoryPolicy::kAllkeysLfu, 10, 0);  // 0: never decays
    EXPECT_EQ(lfu_counter(lfu_field(now, 600, 10), now), 10u);
  }
}

TEST(AccessFieldTest, TenacityBudgetFollowsRedis) {
  EXPECT_EQ(eviction_time_limit_us(0), 0u);
  EXPECT_EQ(eviction_time_limit_us(1), 50u);
  EXPECT_EQ(eviction_time_limit_us(10), 500u);
  EXPECT_EQ(eviction_time_limit_us(11), 575u);
  EXPECT_GT(eviction_time_limit_us(99), 100'000'000u);  // about two minutes
  EXPECT_EQ(eviction_time_limit_us(100), UINT64_MAX);
}

// ---- evict_one ----

TEST(EvictOneTest, AllkeysLruTakesTheLeastRecentlyUsedFirst) {
  Fixture f;
  int64_t now = now_ms();
  f.add("recent", 0, -1, now / 1000);
  f.add("old", 0, -1, now / 1000 - 500);
  f.add("older", 0, -1, now / 1000 - 900);
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_FALSE(f.exists("older"));
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_FALSE(f.exists("old"));
  EXPECT_TRUE(f.exists("recent"));
  EXPECT_EQ(f.ks.counters(0).evicted, 2u);
}

TEST(EvictOneTest, AllkeysLfuTakesTheLeastFrequentlyUsedFirst) {
  AccessMode mode(MaxmemoryPolicy::kAllkeysLfu);
  Fixture f;
  int64_t now = now_ms();
  f.add("hot", 0, -1, lfu_field(now, 0, 200));
  f.add("warm", 0, -1, lfu_field(now, 0, 50));
  f.add("cold", 0, -1, lfu_field(now, 0, 2));
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLfu, 5, f.pool));
  EXPECT_FALSE(f.exists("cold"));
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLfu, 5, f.pool));
  EXPECT_FALSE(f.exists("warm"));
  EXPECT_TRUE(f.exists("hot"));
}

TEST(EvictOneTest, VolatileTtlTakesTheSoonestExpiryAndNeverAKeyWithoutTtl) {
  Fixture f(4);
  f.add("forever");
  f.add("late", 0, 3'000'000);
  f.add("soon", 0, 1'000'000);
  f.add("mid", 0, 2'000'000);
  for (const char* want : {"soon", "mid", "late"}) {
    ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kVolatileTtl, 5, f.pool)) << want;
    EXPECT_FALSE(f.exists(want));
  }
  EXPECT_FALSE(evict_one(f.ks, MaxmemoryPolicy::kVolatileTtl, 5, f.pool));
  EXPECT_TRUE(f.exists("forever"));
}

TEST(EvictOneTest, VolatilePoliciesFindNothingWithoutTtlKeys) {
  Fixture f(8);
  for (int i = 0; i < 50; ++i) f.add("k" + std::to_string(i));
  for (MaxmemoryPolicy p : {MaxmemoryPolicy::kVolatileLru, MaxmemoryPolicy::kVolatileLfu,
                            MaxmemoryPolicy::kVolatileRandom, MaxmemoryPolicy::kVolatileTtl}) {
    EXPECT_FALSE(evict_one(f.ks, p, 5, f.pool)) << static_cast<int>(p);
  }
  EXPECT_FALSE(evict_one(f.ks, MaxmemoryPolicy::kNoEviction, 5, f.pool));
  EXPECT_EQ(f.keys(), 50u);
  // The failed sweeps are remembered; a key that gets a TTL makes volatile keys findable again.
  EXPECT_TRUE(f.ks.swept_no_ttls.load());
  {
    Txn t(f.ks, 0, std::string_view("k7"));
    t.set_expire(t.peek(0), now_ms() + 100'000);
  }
  EXPECT_FALSE(f.ks.swept_no_ttls.load());
  EXPECT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kVolatileTtl, 5, f.pool));
  EXPECT_FALSE(f.exists("k7"));
}

TEST(EvictOneTest, VolatileLruAndRandomTakeOnlyKeysWithTtl) {
  for (MaxmemoryPolicy p : {MaxmemoryPolicy::kVolatileLru, MaxmemoryPolicy::kVolatileRandom}) {
    Fixture f(8);
    for (int i = 0; i < 30; ++i) f.add("plain" + std::to_string(i));
    for (int i = 0; i < 10; ++i) f.add("ttl" + std::to_string(i), 0, 100'000);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(evict_one(f.ks, p, 5, f.pool));
    EXPECT_FALSE(evict_one(f.ks, p, 5, f.pool));
    EXPECT_EQ(f.keys(), 30u);
    for (int i = 0; i < 30; ++i) EXPECT_TRUE(f.exists("plain" + std::to_string(i)));
  }
}

TEST(EvictOneTest, RandomEmptiesTheKeyspaceThenFails) {
  Fixture f(16);
  for (int i = 0; i < 100; ++i) f.add("k" + std::to_string(i));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysRandom, 5, f.pool)) << i;
  EXPECT_EQ(f.keys(), 0u);
  EXPECT_FALSE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysRandom, 5, f.pool));
  EXPECT_FALSE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_EQ(f.ks.counters(0).evicted, 100u);
  EXPECT_TRUE(f.ks.swept_no_keys.load());
  f.add("new", 1);  // a new key, in another database, clears the memo
  EXPECT_FALSE(f.ks.swept_no_keys.load());
  EXPECT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_EQ(f.keys(1), 0u);
}

TEST(EvictOneTest, SparseKeyspaceAndOtherDatabasesAreFound) {
  Fixture f(1024, 16);
  f.add("lonely", 13);
  EXPECT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_FALSE(f.exists("lonely", 13));
  f.add("lonely-ttl", 7, 50'000);
  EXPECT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kVolatileTtl, 5, f.pool));
  EXPECT_EQ(f.keys(7), 0u);
}

TEST(EvictOneTest, GhostsInThePoolAreSkipped) {
  Fixture f;
  int64_t now = now_ms();
  f.add("a", 0, -1, now / 1000 - 100);
  f.add("b");
  f.pool.offer(1'000'000, 0, "deleted-meanwhile");  // the best candidate no longer exists
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_FALSE(f.exists("a"));
  EXPECT_TRUE(f.exists("b"));
}

TEST(EvictOneTest, EvictionIsLoggedAsADeletion) {
  Fixture f;
  f.add("victim");
  f.ks.set_logging(true);
  Shard& sh = f.ks.shard(0);
  sh.wal_buf.clear();
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysRandom, 5, f.pool));
  RecordView r;
  std::size_t used = 0;
  ASSERT_EQ(decode_record(sh.wal_buf.data(), sh.wal_buf.size(), &r, &used), Decode::kOk);
  EXPECT_EQ(r.op, WalOp::kDel);
  EXPECT_EQ(r.key, "victim");
  EXPECT_EQ(used, sh.wal_buf.size());  // nothing else
}

TEST(EvictOneTest, ResetStatsClearsTheEvictedCount) {
  Fixture f;
  f.add("x");
  ASSERT_TRUE(evict_one(f.ks, MaxmemoryPolicy::kAllkeysLru, 5, f.pool));
  EXPECT_EQ(f.ks.counters(0).evicted, 1u);
  f.ks.reset_stats();
  EXPECT_EQ(f.ks.counters(0).evicted, 0u);
}

// ---- configuration ----

TEST(EvictConfigFileTest, EveryEvictionSettingReadsFromAConfigFile) {
  char path[] = "/tmp/tally-evict-conf-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "maxmemory 64mb\nmaxmemory-policy VOLATILE-LFU\nmaxmemory-samples 9\n"
                         "maxmemory-eviction-tenacity 30\nlfu-log-factor 4\nlfu-decay-time 0\n";
  Config cfg;
  char prog[] = "tally-server";
  char* argv[] = {prog, path};
  EXPECT_EQ(parse_args(2, argv, &cfg), "");
  EXPECT_EQ(cfg.maxmemory.load(), 64 * 1024 * 1024);
  EXPECT_EQ(cfg.maxmemory_policy.load(), MaxmemoryPolicy::kVolatileLfu);
  EXPECT_EQ(cfg.maxmemory_samples.load(), 9);
  EXPECT_EQ(cfg.maxmemory_eviction_tenacity.load(), 30);
  EXPECT_EQ(cfg.lfu_log_factor.load(), 4);
  EXPECT_EQ(cfg.lfu_decay_time.load(), 0);
  EXPECT_TRUE(lfu_mode());  // the policy was published: entries now carry LFU data
  std::ofstream(path) << "maxmemory-policy lru\n";
  Config bad;
  EXPECT_EQ(parse_args(2, argv, &bad),
            std::string("config file '") + path + "', line 1: Invalid argument 'lru' for 'maxmemory-policy': "
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
            "allkeys-lru, allkeys-lfu, allkeys-random, noeviction");
  std::remove(path);
  publish_access_mode(Config{});
  EXPECT_FALSE(lfu_mode());
}

// ---- the allocation counter ----

TEST(AllocStatsTest, FollowsAllocationsAndFrees) {
  // Counted by the wrappers, or in sanitizer builds by the sanitizer's allocator: the same figures.
  const uint64_t before = alloc_stats::used_bytes_here();
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 1000; ++i) blocks.emplace_back(new char[1000]);
  const uint64_t during = alloc_stats::used_bytes_here();
  EXPECT_GE(during - before, 1000u * 1000u);
  EXPECT_LE(during - before, 1000u * 1100u);
  blocks.clear();
  blocks.shrink_to_fit();
  const uint64_t after = alloc_stats::used_bytes_here();
  EXPECT_LE(after > before ? after - before : before - after, 1024u);
  // The shared figure lags this thread's by less than one fold.
  const uint64_t shared = alloc_stats::used_bytes(), here = alloc_stats::used_bytes_here();
  EXPECT_LE(shared > here ? shared - here : here - shared, static_cast<uint64_t>(alloc_stats::kFlushBytes));
}

TEST(AllocStatsTest, LazyFreeIsCountedUntilDone) {
  const uint64_t objects = alloc_stats::lazyfree_pending_objects(), freed = alloc_stats::lazyfreed_objects();
  alloc_stats::lazyfree_queued(5000);
  EXPECT_EQ(alloc_stats::lazyfree_pending_objects(), objects + 1);
  EXPECT_GE(alloc_stats::lazyfree_pending_bytes(), 5000u);
  alloc_stats::lazyfree_done(5000);
  EXPECT_EQ(alloc_stats::lazyfree_pending_objects(), objects);
  EXPECT_EQ(alloc_stats::lazyfreed_objects(), freed + 1);
}

}  // namespace
}  // namespace tally
