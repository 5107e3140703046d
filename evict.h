// maxmemory: evicting keys when the server's memory goes over the limit (Redis's performEvictions),
// and what an entry's access field (Entry::lru) means under each policy.
//
// The figure compared with maxmemory is alloc_stats's count of allocated bytes (what INFO reports as
// used_memory) minus the values already queued for freeing on the background thread (INFO's
// mem_not_counted_for_evict). Reading it is two relaxed atomic loads, so dispatch() checks it before
// every command when maxmemory is set (and only compares maxmemory with 0 when it is not).
//
// When the figure is over the limit, the command's worker evicts keys, through the keyspace's normal
// Txn path (so each eviction is a logged DEL like any other), until it is under again or the
// tenacity's time budget is spent (then the next command continues). A command flagged deny-oom, or
// any command queued inside MULTI, is refused with -OOM only when nothing could be evicted (policy
// noeviction, or a volatile-* policy with no key that has a TTL), as in Redis 7.0.
//
// Choosing the victim approximates the policy by sampling, as Redis does: each round visits shards from
// a random one on, taking up to maxmemory-samples candidates (all of a slot's keys when it has that few
// or fewer; the TTL heap's minimum for volatile-ttl), and keeps the best of everything sampled in a
// small per-thread pool (EvictionPool) from which the best candidate that still exists is evicted.
// The random policies evict a random key of a random non-empty shard.
//
// Entry::lru: under LRU (and the non-LFU policies) the 24-bit seconds clock of the last access; under
// an LFU policy, as in Redis, 16 bits of minutes of the last decrement and an 8-bit logarithmic
// access counter (new keys start at 5), decayed by one every lfu-decay-time minutes.
//
// Thread-safety: the access mode is process-wide (published by CONFIG SET through config.cpp);
// eviction runs on any worker, several at once; each locks only the shard it samples or deletes in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace tally {

struct ServerState;
struct Client;
struct Command;
class Keyspace;

// ---- the access field ----

inline constexpr uint32_t kLfuInitCounter = 5;  // Redis's LFU_INIT_VAL

// Publishes cfg's policy, lfu-log-factor and lfu-decay-time as the process-wide access mode.
void publish_access_mode(const Config& cfg);
bool lfu_mode();
// Entry::lru for a new entry, and after an access at `now_ms`.
uint32_t initial_access(int64_t now_ms);
uint32_t lfu_after_access(uint32_t lru, int64_t now_ms);
extern std::atomic<bool> g_lfu_mode;  // read through lfu_mode(); exposed for the inline fast path
inline uint32_t after_access(uint32_t lru, int64_t now_ms) {
  if (!g_lfu_mode.load(std::memory_order_relaxed)) return static_cast<uint32_t>(now_ms / 1000) & 0xFFFFFF;
  return lfu_after_access(lru, now_ms);
}
// The LFU counter of `lru` decayed to `now_ms` (OBJECT FREQ); does not change the entry.
uint32_t lfu_counter(uint32_t lru, int64_t now_ms);
// Seconds since the access recorded in an LRU-mode field (OBJECT IDLETIME).
int64_t lru_idle_seconds(uint32_t lru, int64_t now_ms);

// ---- the candidate pool ----

// The best eviction candidates seen so far, best last: a higher score means evict sooner (idle
// seconds for LRU, 255 - counter for LFU, UINT64_MAX - expiry for volatile-ttl). Holds key names, not
// entries: a candidate may be gone (or changed) by the time it is popped, and the caller looks it up
// again under its shard's lock.
class EvictionPool {
 public:
  static constexpr std::size_t kSize = 16;  // Redis's EVPOOL_SIZE
  struct Candidate {
    uint64_t score = 0;
    int db = 0;
    std::string key;
  };
  // Keeps the candidate if the pool has room or it beats the worst one held (which then drops out).
  void offer(uint64_t score, int db, std::string_view key);
  // Removes and returns the best candidate. REQUIRES: !empty().
  Candidate pop_best();
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<Candidate> items_;  // ascending by score
};

// ---- eviction ----

enum class EvictResult {
  kOk,       // under the limit (now or already)
  kRunning,  // still over, but keys are being evicted: the time budget ran out first
  kFail,     // over and nothing can be evicted
};

// The figure compared with maxmemory: allocated bytes minus lazily-freed values not yet freed.
uint64_t memory_for_eviction();
// Evicts one key of `ks` under `policy`, sampling `samples` candidates per round into `pool`.
// Returns false when no key qualifies. Logged and counted (INFO evicted_keys) like Redis's evictions.
bool evict_one(Keyspace& ks, MaxmemoryPolicy policy, std::size_t samples, EvictionPool& pool);
// Evicts until memory_for_eviction() <= maxmemory, within the tenacity's time budget, inside the
// exec gate's `gate_slot` (the calling worker's). REQUIRES: the caller is not inside the gate.
EvictResult perform_evictions(ServerState& server, int gate_slot);
// dispatch()'s maxmemory step for `cmd`, run before every command when maxmemory is set and the
// client is not inside EXEC: evicts if needed and returns the error to refuse the command with, or
// an empty view. An EXEC it refuses is discarded here (its reply is an EXECABORT).
std::string_view oom_check(ServerState& server, Client& client, const Command& cmd);
// The time budget of one perform_evictions call for a tenacity of 0..100, in microseconds
// (Redis's evictionTimeLimitUs: 50 us per step up to 10, then +15% per step, unlimited at 100).
uint64_t eviction_time_limit_us(int64_t tenacity);

}  // namespace tally
