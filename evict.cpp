// maxmemory eviction and the access field: see evict.h.
#include "evict.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <mutex>

#include "alloc_stats.h"
#include "commands.h"
#include "db.h"
#include "state.h"

namespace tally {

std::atomic<bool> g_lfu_mode{false};

namespace {

std::atomic<int64_t> g_lfu_log_factor{10};
std::atomic<int64_t> g_lfu_decay_time{1};

constexpr uint32_t kLruClockMax = (1u << 24) - 1;
constexpr std::size_t kKeysPerTimeCheck = 16;  // Redis looks at the clock every 16 evicted keys
constexpr int kMaxRounds = 16;                 // sampling rounds per eviction before giving up on ghosts

bool is_volatile(MaxmemoryPolicy p) { return p <= MaxmemoryPolicy::kVolatileTtl; }
bool is_lfu(MaxmemoryPolicy p) { return p == MaxmemoryPolicy::kVolatileLfu || p == MaxmemoryPolicy::kAllkeysLfu; }
bool is_random(MaxmemoryPolicy p) {
  return p == MaxmemoryPolicy::kVolatileRandom || p == MaxmemoryPolicy::kAllkeysRandom;
}

int64_t monotonic_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

uint32_t lfu_minutes(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 60000) & 0xFFFF; }

// Minutes since `ldt`, on the 16-bit minutes clock that wraps (Redis's LFUTimeElapsed).
uint32_t lfu_elapsed(uint32_t ldt, int64_t now_ms) {
  uint32_t now = lfu_minutes(now_ms);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

// The entry whose heap position field `ref` is (see db.h: the TTL heap's item points at node.aux).
Entry* heap_entry(const DbSlot& s, uint32_t pos) {
  return owner_of<Entry>(s.ttl.ref(pos), offsetof(Entry, node) + offsetof(HNode, aux));
}

uint64_t score_of(MaxmemoryPolicy p, const DbSlot& s, const Entry* e, int64_t now) {
  if (p == MaxmemoryPolicy::kVolatileTtl) return UINT64_MAX - static_cast<uint64_t>(s.ttl.when(e->node.aux));
  if (is_lfu(p)) return 255 - lfu_counter(e->lru, now);
  return static_cast<uint64_t>(lru_idle_seconds(e->lru, now));
}

// Calls fn on at least `want` entries of `table` (if it has them) from consecutive scan positions
// after a random one, like Redis's dictGetSomeKeys: one random draw and a short walk of buckets
// instead of a random bucket and a chain walk per sample. Gives up after 10 buckets per entry wanted.
template <class Fn>
void sample_table(const HashTable& table, std::size_t want, Fn&& fn) {
  std::size_t seen = 0;
  uint64_t cursor = random_bits();
  for (std::size_t steps = 0; seen < want && steps < want * 10; ++steps)
    cursor = table.scan(cursor, [&](HNode* n) {
      fn(n);
      ++seen;
    });
}

// One sampling round: visits shards from a random one on (and their databases from a random one on)
// until `samples` candidates are offered to the pool or every shard was seen, so a sparse keyspace
// is still found. Each slot gives all of its candidates when it has no more than are still wanted,
// else that many random ones; under volatile-ttl each slot gives its soonest-expiring key.
std::size_t populate(Keyspace& ks, MaxmemoryPolicy p, std::size_t samples, EvictionPool& pool) {
  const uint32_t shards = ks.shard_count();
  const int dbs = ks.databases();
  const uint32_t start = static_cast<uint32_t>(random_bits() % shards);
  const int db_start = static_cast<int>(random_bits() % static_cast<uint64_t>(dbs));
  const bool vol = is_volatile(p);
  const int64_t now = now_ms();
  std::size_t got = 0;
  for (uint32_t v = 0; v < shards && got < samples; ++v) {
    Shard& sh = ks.shard((start + v) & (shards - 1));
    std::lock_guard lock(sh.mu);
    for (int k = 0; k < dbs && got < samples; ++k) {
      const int db = (db_start + k) % dbs;
      DbSlot& s = sh.dbs[static_cast<std::size_t>(db)];
      const std::size_t size = vol ? s.ttl.size() : s.table.size();
      if (size == 0) continue;
      auto offer = [&](const Entry* e) {
        pool.offer(score_of(p, s, e, now), db, e->key());
        ++got;
      };
      const std::size_t want = samples - got;
      if (p == MaxmemoryPolicy::kVolatileTtl) {
        offer(heap_entry(s, 0));
      } else if (size <= want && vol) {
        for (uint32_t pos = 0; pos < size; ++pos) offer(heap_entry(s, pos));
      } else if (size <= want) {
        s.table.for_each([&](HNode* n) { offer(entry_of(n)); });
      } else if (vol) {
        for (std::size_t i = 0; i < want; ++i) offer(heap_entry(s, static_cast<uint32_t>(random_bits() % size)));
      } else {
        sample_table(s.table, want, [&](HNode* n) { offer(entry_of(n)); });
      }
    }
  }
  return got;
}

bool evict_key(Keyspace& ks, int db, std::string_view key, bool volatile_only) {
  Txn t(ks, db, key);
  return t.evict(0, volatile_only);
}

// A random qualifying key of the first shard (from a random one on) that has one: its db and name.
bool pick_random(Keyspace& ks, bool vol, int* db, std::string* key) {
  const uint32_t shards = ks.shard_count();
  const uint32_t start = static_cast<uint32_t>(random_bits() % shards);
  const int db_start = static_cast<int>(random_bits() % static_cast<uint64_t>(ks.databases()));
  for (uint32_t v = 0; v < shards; ++v) {
    Shard& sh = ks.shard((start + v) & (shards - 1));
    std::lock_guard lock(sh.mu);
    for (int k = 0; k < ks.databases(); ++k) {
      const int d = (db_start + k) % ks.databases();
      DbSlot& s = sh.dbs[static_cast<std::size_t>(d)];
      const std::size_t size = vol ? s.ttl.size() : s.table.size();
      if (size == 0) continue;
      const Entry* e = vol ? heap_entry(s, static_cast<uint32_t>(random_bits() % size))
                           : entry_of(s.table.random_node(&random_bits));
      key->assign(e->key());
      *db = d;
      return true;
    }
  }
  return false;
}

// Runs `sweep` (which returns whether it found candidates). When it finds none, the keyspace's memo
// is set and the sweep runs once more: a key created meanwhile in a shard the first sweep had passed
// is either seen now, or was created after the memo was set, and then its creator (Txn, under the
// shard lock, after the change) sees the memo and clears it. With the memo set, eviction knows there
// is nothing to find without visiting every shard, until a key appears.
template <class Sweep>
bool sweep_with_memo(std::atomic<bool>& memo, Sweep&& sweep) {
  if (memo.load()) return false;
  if (sweep()) return true;
  memo.store(true);
  if (!sweep()) return false;
  memo.store(false);
  return true;
}

std::atomic<bool>& memo_for(Keyspace& ks, MaxmemoryPolicy p) {
  return is_volatile(p) ? ks.swept_no_ttls : ks.swept_no_keys;
}

// allkeys-random / volatile-random.
bool evict_random(Keyspace& ks, MaxmemoryPolicy p) {
  const bool vol = is_volatile(p);
  for (int round = 0; round < kMaxRounds; ++round) {
    std::string key;
    int db = -1;
    if (!sweep_with_memo(memo_for(ks, p), [&] { return pick_random(ks, vol, &db, &key); })) return false;
    if (evict_key(ks, db, key, vol)) return true;
  }
  return false;
}

// Each worker's pool, dropped when the policy or the keyspace it was filled for changes.
struct ThreadPool {
  EvictionPool pool;
  MaxmemoryPolicy policy = MaxmemoryPolicy::kNoEviction;
  const Keyspace* keyspace = nullptr;
};

EvictionPool& pool_for(const Keyspace& ks, MaxmemoryPolicy p) {
  thread_local ThreadPool tp;
  if (tp.policy != p || tp.keyspace != &ks) tp = ThreadPool{EvictionPool{}, p, &ks};
  return tp.pool;
}

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

uint64_t memory_for_eviction_here() {
  return minus(alloc_stats::used_bytes_here(), alloc_stats::lazyfree_pending_bytes());
}

// INFO's total/current_eviction_exceeded_time, updated as Redis's performEvictions does: a stretch
// starts when a call ends still over the limit and ends when a call finds it under.
void note_result(Keyspace& ks, EvictResult r) {
  if (r == EvictResult::kOk) {
    if (ks.over_limit_since_ms.load(std::memory_order_relaxed) == 0) return;
    int64_t since = ks.over_limit_since_ms.exchange(0);
    if (since) ks.over_limit_total_ms.fetch_add(now_ms() - since);
    return;
  }
  int64_t zero = 0;
  ks.over_limit_since_ms.compare_exchange_strong(zero, now_ms());
}

bool queued_deny_oom(const ServerState& server, const Client& client) {
  for (const auto& args : client.multi.queued) {
    const Command* cmd = args.empty() ? nullptr : server.commands.find(args[0]);
    if (cmd && (cmd->spec->flags & kCmdDenyOom)) return true;
  }
  return false;
}

}  // namespace

// ---- the access field ----

void publish_access_mode(const Config& cfg) {
  g_lfu_log_factor.store(cfg.lfu_log_factor.load(std::memory_order_relaxed), std::memory_order_relaxed);
  g_lfu_decay_time.store(cfg.lfu_decay_time.load(std::memory_order_relaxed), std::memory_order_relaxed);
  g_lfu_mode.store(is_lfu(cfg.maxmemory_policy.load(std::memory_order_relaxed)), std::memory_order_relaxed);
}

bool lfu_mode() { return g_lfu_mode.load(std::memory_order_relaxed); }

uint32_t initial_access(int64_t now_ms) {
  if (lfu_mode()) return lfu_minutes(now_ms) << 8 | kLfuInitCounter;
  return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
}

uint32_t lfu_counter(uint32_t lru, int64_t now_ms) {
  const uint32_t counter = lru & 255;
  const int64_t decay = g_lfu_decay_time.load(std::memory_order_relaxed);
  const uint64_t periods = decay > 0 ? lfu_elapsed(lru >> 8, now_ms) / static_cast<uint64_t>(decay) : 0;
  return periods >= counter ? 0 : counter - static_cast<uint32_t>(periods);
}

// Redis's updateLFU: decay, then a logarithmic increment (the more hits a key has, the less likely
// the next one counts), stamped with the current minute.
uint32_t lfu_after_access(uint32_t lru, int64_t now_ms) {
  uint32_t counter = lfu_counter(lru, now_ms);
  if (counter < 255) {
    const double base = counter > kLfuInitCounter ? counter - kLfuInitCounter : 0;
    const double p = 1.0 / (base * static_cast<double>(g_lfu_log_factor.load(std::memory_order_relaxed)) + 1);
    const double r = static_cast<double>(random_bits() >> 11) * 0x1.0p-53;
    if (r < p) ++counter;
  }
  return lfu_minutes(now_ms) << 8 | counter;
}

int64_t lru_idle_seconds(uint32_t lru, int64_t now_ms) {
  const uint32_t now = static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
  return now >= lru ? now - lru : now + (kLruClockMax - lru);
}

// ---- the pool ----

void EvictionPool::offer(uint64_t score, int db, std::string_view key) {
  if (items_.size() == kSize && score <= items_.front().score) return;
  for (const Candidate& c : items_)
    if (c.score == score && c.db == db && c.key == key) return;  // sampled twice
  auto at = std::upper_bound(items_.begin(), items_.end(), score,
                             [](uint64_t s, const Candidate& c) { return s < c.score; });
  items_.insert(at, Candidate{score, db, std::string(key)});
  if (items_.size() > kSize) items_.erase(items_.begin());
}

EvictionPool::Candidate EvictionPool::pop_best() {
  Candidate best = std::move(items_.back());
  items_.pop_back();
  return best;
}

// ---- eviction ----

bool Txn::evict(std::size_t i, bool volatile_only) {
  Entry* e = find_raw(i, db_);
  if (!e || (volatile_only && !e->has_ttl())) return false;
  if (erase_in(i, db_)) ++ks_.shard(slots_[i].shard).evicted_keys;
  return true;
}

uint64_t memory_for_eviction() {
  return minus(alloc_stats::used_bytes(), alloc_stats::lazyfree_pending_bytes());
}

bool evict_one(Keyspace& ks, MaxmemoryPolicy p, std::size_t samples, EvictionPool& pool) {
  if (p == MaxmemoryPolicy::kNoEviction) return false;
  if (is_random(p)) return evict_random(ks, p);
  for (int round = 0; round < kMaxRounds; ++round) {
    const bool found = sweep_with_memo(memo_for(ks, p), [&] { return populate(ks, p, samples, pool) > 0; });
    if (!found && pool.empty()) return false;
    while (!pool.empty()) {
      EvictionPool::Candidate c = pool.pop_best();
      if (evict_key(ks, c.db, c.key, is_volatile(p))) return true;  // else a ghost: try the next
    }
  }
  return false;
}

uint64_t eviction_time_limit_us(int64_t tenacity) {
  if (tenacity <= 10) return 50 * static_cast<uint64_t>(std::max<int64_t>(0, tenacity));
  if (tenacity < 100) return static_cast<uint64_t>(500.0 * std::pow(1.15, static_cast<double>(tenacity) - 10.0));
  return UINT64_MAX;
}

EvictResult perform_evictions(ServerState& server, int gate_slot) {
  const int64_t limit = server.config.maxmemory.load(std::memory_order_relaxed);
  Keyspace& ks = *server.keyspace;
  // Nothing is evicted while the dataset loads (Redis's isSafeToPerformEvictions).
  if (limit <= 0 || server.loading.loading.load(std::memory_order_relaxed) ||
      memory_for_eviction() <= static_cast<uint64_t>(limit)) {
    note_result(ks, EvictResult::kOk);
    return EvictResult::kOk;
  }
  const MaxmemoryPolicy policy = server.config.maxmemory_policy.load(std::memory_order_relaxed);
  EvictResult result = EvictResult::kOk;
  if (policy == MaxmemoryPolicy::kNoEviction) {
    result = EvictResult::kFail;
  } else {
    const uint64_t budget = eviction_time_limit_us(server.config.maxmemory_eviction_tenacity.load());
    const auto samples = static_cast<std::size_t>(std::max<int64_t>(1, server.config.maxmemory_samples.load()));
    EvictionPool& pool = pool_for(ks, policy);
    const int64_t start = monotonic_us();
    // Inside the exec gate, like the command itself: an EXEC elsewhere runs alone, and a transaction's
    // log group holds only its own changes.
    server.gate.enter(gate_slot);
    for (std::size_t keys = 1; memory_for_eviction_here() > static_cast<uint64_t>(limit); ++keys) {
      if (!evict_one(ks, policy, samples, pool)) {
        result = EvictResult::kFail;
        break;
      }
      if (keys % kKeysPerTimeCheck == 0 && static_cast<uint64_t>(monotonic_us() - start) > budget) {
        result = EvictResult::kRunning;
        break;
      }
    }
    server.gate.leave(gate_slot);
  }
  note_result(ks, result);
  return result;
}

std::string_view oom_check(ServerState& server, Client& client, const Command& cmd) {
  if (perform_evictions(server, server.gate.slot_of(client.worker)) != EvictResult::kFail) return {};
  bool refuse = cmd.spec->flags & kCmdDenyOom;
  if (client.multi.active) {
    // Queuing could grow without bound, so inside MULTI everything is refused but the commands that end
    // the transaction; EXEC only when it would run a deny-oom command (and then it is discarded).
    const std::string_view name = cmd.full_name;
    if (name == "exec") {
      if (!queued_deny_oom(server, client)) return {};
      client.multi = {};
      unwatch_all_keys(server, client);
      return err::kExecAbortOom;
    }
    refuse = name != "discard" && name != "quit" && name != "reset";
  }
  return refuse ? err::kOom : std::string_view{};
}

}  // namespace tally
