// Key prefetching for pipelined batches.
//
// A lookup walks a chain of dependent loads (the shard, its database slot, the table's bucket, the
// entry), each a likely cache miss once the keyspace outgrows the cache: perf put Txn::find_raw and
// the shard mutex at a third of the server's CPU under GET/SET/INCR -P 16. When a read brings several
// requests, the worker first asks the CPU to load those for the next few keys, stage by stage across
// the batch, so their misses overlap instead of queueing one after another (Keyspace::prefetch_*).
//
// The key of a request is taken to be its first argument, which it is for nearly every command; where
// it is not (PING, MULTI, ...) the prefetch is wasted work and nothing else.
#pragma once

#include <cstddef>
#include <string_view>

namespace tally {

class Keyspace;

// The first argument (after the command name) of each complete multibulk request at the start of
// [data, data + len), up to `max` requests, into out[]; returns how many it found. Stops at the first
// request that is not a complete multibulk one (inline, partial, malformed: the parser judges those)
// or that has more than 64 arguments; a request without arguments is counted with an empty view.
std::size_t first_args(const char* data, std::size_t len, std::string_view* out, std::size_t max);

// Requests taken per prefetch round.
inline constexpr std::size_t kPrefetchBatch = 16;

// Prefetches the keys of up to kPrefetchBatch requests at the start of [data, data + len) in database
// `db`, when there are at least two. Takes no lock (Keyspace::prefetch_*). Returns how many keys it
// prefetched (0 when fewer than two were found).
std::size_t prefetch_keys(const Keyspace& ks, int db, const char* data, std::size_t len);

// Batches a connection skips scanning after a scan that found nothing to prefetch (one request per
// read, or requests without keys such as PING): the scan and the hashing were 12% of the server's
// instructions under PING_MBULK -P 16 (callgrind), for no prefetch at all.
inline constexpr int kPrefetchIdleBatches = 8;

}  // namespace tally
