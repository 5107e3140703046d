// Key prefetching for pipelined batches (prefetch.h).
#include "prefetch.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "db.h"
#include "hashtable.h"

namespace tally {
namespace {

constexpr std::size_t kMaxScanArgs = 64;  // see first_args()

// Reads "<prefix><digits>\r\n" at p; advances p past it. False when that is not what is there.
// Inlined into first_args' loop: as a call it was 48 instructions per length under callgrind, for a
// header like "*1\r\n".
[[gnu::always_inline]] inline bool read_length(const char*& p, const char* end, char prefix, std::size_t& value) {
  constexpr std::ptrdiff_t kMaxDigits = 12;  // far past any length the parser accepts
  if (end - p < 4 || *p != prefix) return false;  // the shortest is "*1\r\n"
  const char* const digits = p + 1;
  const char* const stop = digits + std::min(end - digits, kMaxDigits + 1);
  const char* q = digits;
  std::size_t v = 0;
  for (; q < stop; ++q) {
    unsigned d = static_cast<unsigned char>(*q) - unsigned{'0'};
    if (d > 9) break;
    v = v * 10 + d;
  }
  if (q == digits || q - digits > kMaxDigits || end - q < 2 || q[0] != '\r' || q[1] != '\n') return false;
  p = q + 2;
  value = v;
  return true;
}

}  // namespace

std::size_t first_args(const char* data, std::size_t len, std::string_view* out, std::size_t max) {
  const char* p = data;
  const char* const end = data + len;
  std::size_t found = 0;
  while (found < max && p < end) {
    std::size_t argc;
    // A request of more arguments is no small pipelined command; and the worker hands an incomplete one
    // back here with every read until it completes, so scanning it whole each time would be quadratic.
    if (!read_length(p, end, '*', argc) || argc == 0 || argc > kMaxScanArgs) break;
    std::string_view first;
    for (std::size_t a = 0; a < argc; ++a) {
      std::size_t n;
      if (!read_length(p, end, '$', n) || static_cast<std::size_t>(end - p) < n + 2) return found;
      if (a == 1) first = {p, n};
      p += n + 2;
    }
    out[found++] = first;
  }
  return found;
}

std::size_t prefetch_keys(const Keyspace& ks, int db, const char* data, std::size_t len) {
  std::string_view keys[kPrefetchBatch];
  const std::size_t found = first_args(data, len, keys, kPrefetchBatch);
  std::size_t n = 0;
  for (std::size_t i = 0; i < found; ++i)  // requests with no argument (PING, EXEC...) have no key
    if (!keys[i].empty()) keys[n++] = keys[i];
  if (n < 2) return 0;  // a lone request gains nothing: its lookup comes right away
  uint64_t hashes[kPrefetchBatch];
  for (std::size_t i = 0; i < n; ++i) hashes[i] = hash_bytes(keys[i].data(), keys[i].size());
  for (std::size_t i = 0; i < n; ++i) ks.prefetch_shard(hashes[i]);
  for (std::size_t i = 0; i < n; ++i) ks.prefetch_slot(hashes[i], db);
  for (std::size_t i = 0; i < n; ++i) ks.prefetch_bucket(hashes[i], db);
  return n;
}

}  // namespace tally
