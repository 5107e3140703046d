// How much memory the process has allocated: the figure INFO reports as used_memory and the one
// maxmemory is compared with (evict.h).
//
// The count is kept the way Redis's zmalloc keeps it: every malloc/calloc/realloc/free (and the aligned
// variants) of the process passes through thin wrappers (alloc_stats.cpp) that add or subtract the
// block's usable size. Each thread adds into its own thread-local delta and folds it into one shared
// atomic once it drifts past kFlushBytes, so the hot path is a thread-local add and a compare; the
// shared figure lags the truth by at most kFlushBytes per thread. glibc's mallinfo2() is not used on
// any hot path: it walks every free chunk of every arena under the arena locks (170 ms after freeing a
// million small blocks, measured), which would stall allocation in every worker.
//
// Sanitizer builds (ASan, TSan) bring their own allocator, so there the wrappers are left out and the
// figures come from the sanitizer's allocator statistics instead (exact, a little slower to read).
//
// Thread-safety: every function may be called from any thread at any time.
#pragma once

#include <cstddef>
#include <cstdint>

// Whether a sanitizer brings its own allocator (ASan, TSan). GCC says __SANITIZE_*__; clang (the
// fuzzers' compiler) says __has_feature(*_sanitizer).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TALLY_CLANG_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(TALLY_CLANG_SANITIZER)
#define TALLY_ALLOC_SANITIZER 1
#else
#define TALLY_ALLOC_SANITIZER 0
#endif

namespace tally::alloc_stats {

inline constexpr int64_t kFlushBytes = 16 * 1024;

// Bytes currently allocated by the whole process (never negative).
uint64_t used_bytes();
// The same, with the calling thread's own not-yet-folded delta included: exact for this thread's own
// allocations, so a thread can measure what a deletion it just made freed.
uint64_t used_bytes_here();

// Adds bytes (negative: subtracts) allocated outside malloc: the slab heap's slots (slab.h), which
// count as allocated while they are handed out, as a malloc'd block counts its usable size.
void count(int64_t bytes);

// Values being freed on the background queue (db.cpp hands big hashes and sorted sets there): they
// still count in used_bytes() until the job runs, so eviction subtracts them ("not counted for
// evict") instead of evicting more keys while the memory is already on its way out.
void lazyfree_queued(std::size_t bytes);
void lazyfree_done(std::size_t bytes);
uint64_t lazyfree_pending_bytes();
uint64_t lazyfree_pending_objects();
uint64_t lazyfreed_objects();  // total freed in the background since start (INFO lazyfreed_objects)

}  // namespace tally::alloc_stats
