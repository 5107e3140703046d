// Key prefetching for pipelined batches.
//
// A lookup walks a chain of dependent loads (the shard, its database slot, the table's bucket, the
// entry), each a likely cache miss once the keyspace outgrows the cache: perf put Txn::find_raw and
// the shard mutex at a third of the server's CPU under GET/SET/INCR -P 16. When a read brings several
// requests, the worker first asks the CPU to load those for the next few keys, stage by stage across
// the batch, so their misses overlap instead of queueing one after another (Keyspace::prefetch_*).
//
// The key of a request is taken to be its first argument, which it is for nearly every command; where
// it is not (CONFIG GET, ...) the prefetch is wasted work and nothing else. The hash is not wasted
// where it is: the command's Txn takes it rather than hashing the key again (KeyHashOffer, db.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tally {

class Keyspace;

// Requests taken per prefetch round: the worker parses up to this many ahead (RequestParser::
// parse_ahead) and prefetches their keys before running them.
inline constexpr std::size_t kPrefetchBatch = 16;

// Hashes keys[0, n) into hashes[0, n) and prefetches them in database `db`, stage by stage across the
// batch, when there are at least two. Takes no lock (Keyspace::prefetch_*). Returns how many keys it
// prefetched: 0, leaving hashes[] unset, when fewer than two were given.
std::size_t prefetch_keys(const Keyspace& ks, int db, const std::string_view* keys, std::size_t n,
                          uint64_t* hashes);

// Batches a connection skips prefetching after one that found nothing to prefetch (one request per
// read, or requests without keys such as PING): when the worker scanned each batch for keys apart
// from parsing it, the scan and the hashing were 12% of the server's instructions under PING_MBULK
// -P 16 (callgrind), for no prefetch at all.
inline constexpr int kPrefetchIdleBatches = 8;

}  // namespace tally
