// Key prefetching for pipelined batches (prefetch.h).
#include "prefetch.h"

#include <cstddef>
#include <cstdint>

#include "db.h"
#include "hashtable.h"

namespace tally {

std::size_t prefetch_keys(const Keyspace& ks, int db, const std::string_view* keys, std::size_t n,
                          uint64_t* hashes) {
  if (n < 2) return 0;  // a lone request gains nothing: its lookup comes right away
  for (std::size_t i = 0; i < n; ++i) hashes[i] = hash_bytes(keys[i].data(), keys[i].size());
  for (std::size_t i = 0; i < n; ++i) ks.prefetch_shard(hashes[i]);
  for (std::size_t i = 0; i < n; ++i) ks.prefetch_slot(hashes[i], db);
  for (std::size_t i = 0; i < n; ++i) ks.prefetch_bucket(hashes[i], db);
  return n;
}

}  // namespace tally
