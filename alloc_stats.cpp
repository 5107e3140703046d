// The allocation counter: see alloc_stats.h.
//
// The wrappers replace glibc's malloc family in the executable (the "replacing malloc" route the glibc
// manual documents: the program defines malloc, free, calloc, realloc and the aligned variants, and
// every caller in the process, libc and libstdc++ included, binds to them). Each one calls glibc's
// own implementation (__libc_malloc and friends) and counts malloc_usable_size() of the block, so the
// heap itself is unchanged; only the bookkeeping is added. The counting state is a trivially
// constructed thread-local (initial-exec TLS: no allocation on first use, so no recursion) and one
// constant-initialised atomic, both usable before any constructor has run.
//
// A thread that exits takes its unfolded delta (under kFlushBytes) with it; workers live as long as
// the server, so the drift this allows is a few kilobytes per short-lived thread (compaction).
#include "alloc_stats.h"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

#if TALLY_ALLOC_SANITIZER
// From the sanitizer runtimes' allocator interface (GCC ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace tally::alloc_stats {
namespace {

constinit std::atomic<int64_t> g_used{0};
__attribute__((tls_model("initial-exec"))) thread_local int64_t t_delta = 0;

constinit std::atomic<int64_t> g_lazy_bytes{0};
constinit std::atomic<int64_t> g_lazy_objects{0};
constinit std::atomic<uint64_t> g_lazy_freed{0};

[[maybe_unused]] inline void note(int64_t bytes) {
  int64_t d = t_delta + bytes;
  if (d > kFlushBytes || d < -kFlushBytes) {
    g_used.fetch_add(d, std::memory_order_relaxed);
    d = 0;
  }
  t_delta = d;
}

[[maybe_unused]] inline int64_t usable(void* p) { return static_cast<int64_t>(malloc_usable_size(p)); }

uint64_t clamp(int64_t v) { return v > 0 ? static_cast<uint64_t>(v) : 0; }

}  // namespace

#if TALLY_ALLOC_SANITIZER
uint64_t used_bytes() { return __sanitizer_get_current_allocated_bytes(); }
uint64_t used_bytes_here() { return __sanitizer_get_current_allocated_bytes(); }
#else
uint64_t used_bytes() { return clamp(g_used.load(std::memory_order_relaxed)); }
uint64_t used_bytes_here() { return clamp(g_used.load(std::memory_order_relaxed) + t_delta); }
#endif

#if TALLY_ALLOC_SANITIZER
void count(int64_t) {}  // the sanitizer's own figures are used; the slab is not (slab.cpp)
#else
void count(int64_t bytes) { note(bytes); }
#endif

void lazyfree_queued(std::size_t bytes) {
  g_lazy_bytes.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  g_lazy_objects.fetch_add(1, std::memory_order_relaxed);
}

void lazyfree_done(std::size_t bytes) {
  g_lazy_bytes.fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  g_lazy_objects.fetch_sub(1, std::memory_order_relaxed);
  g_lazy_freed.fetch_add(1, std::memory_order_relaxed);
}

uint64_t lazyfree_pending_bytes() { return clamp(g_lazy_bytes.load(std::memory_order_relaxed)); }
uint64_t lazyfree_pending_objects() { return clamp(g_lazy_objects.load(std::memory_order_relaxed)); }
uint64_t lazyfreed_objects() { return g_lazy_freed.load(std::memory_order_relaxed); }

}  // namespace tally::alloc_stats

#if !TALLY_ALLOC_SANITIZER

extern "C" {
void* __libc_malloc(size_t n);
void __libc_free(void* p);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t n);
void* __libc_memalign(size_t align, size_t n);
void* __libc_valloc(size_t n);
void* __libc_pvalloc(size_t n);

namespace {
using tally::alloc_stats::note;
using tally::alloc_stats::usable;

void* counted(void* p) {
  if (p) note(usable(p));
  return p;
}
}  // namespace

void* malloc(size_t n) noexcept { return counted(__libc_malloc(n)); }
void* calloc(size_t n, size_t size) noexcept { return counted(__libc_calloc(n, size)); }
void* memalign(size_t align, size_t n) noexcept { return counted(__libc_memalign(align, n)); }
void* aligned_alloc(size_t align, size_t n) noexcept { return counted(__libc_memalign(align, n)); }
void* valloc(size_t n) noexcept { return counted(__libc_valloc(n)); }
void* pvalloc(size_t n) noexcept { return counted(__libc_pvalloc(n)); }

void free(void* p) noexcept {
  if (!p) return;
  note(-usable(p));
  __libc_free(p);
}

// realloc(p, 0) frees p and returns null; a failed realloc leaves p as it was.
void* realloc(void* p, size_t n) noexcept {
  const int64_t before = p ? usable(p) : 0;
  void* q = __libc_realloc(p, n);
  if (q) note(usable(q) - before);
  else if (p && n == 0) note(-before);
  return q;
}

int posix_memalign(void** out, size_t align, size_t n) noexcept {
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0 || align == 0) return EINVAL;
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = counted(p);
  return 0;
}
}  // extern "C"

#endif  // !TALLY_ALLOC_SANITIZER
