// Exact-size memory for the keyspace's small objects: string entries (db.cpp) and sorted-set nodes
// (zset.cpp), each a fixed header plus its key or member bytes.
//
// Why: glibc's malloc puts an 8-byte header before every block and rounds blocks to 16 bytes, so a
// 56-byte entry (40-byte header + a 16-byte key, a 3-byte value inline) takes a 64-byte chunk and a
// 69-byte sorted-set node an 80-byte one. A slab serves each request from a page of equal slots rounded
// only to 8 bytes, with no per-object header: 56 and 72 bytes (docs/performance.md, "Memory").
//
// How: memory comes from the kernel in 16 MiB regions (large, so that even tens of GiB of objects stay
// far below the kernel's limit on mappings, vm.max_map_count, 65530 by default; untouched pages cost
// no memory) cut into 64 KiB pages aligned to their size, so
// the page of any slot is its address rounded down, and the page's header (its first 64 bytes) says
// which arena and size it belongs to. A page holds slots of one size (a multiple of kGranule up to
// kMaxSize); an arena keeps, per size, the list of its pages that have a free slot. Each thread
// allocates from one arena (threads are spread over kArenas), so two workers rarely share a lock; a
// free goes to the arena of the slot's page, from whichever thread. A page whose last slot is freed goes
// back to the heap's pool of empty pages, unless it is its arena's only page of that size with room
// (so one object created and deleted in a loop does not take and return a page each time); the pool
// keeps kKeepEmptyPages of them ready, and past that gives each page's memory back to the kernel
// (MADV_DONTNEED) while keeping its addresses for reuse.
//
// Ownership: the heap owns its regions and unmaps them when destroyed, so every object must have been
// freed by then; the process's heap (small_alloc) is never destroyed.
//
// Thread-safety: alloc() and free() may be called from any thread at any time. Each arena has its own
// mutex; the page pool and regions have one of the heap's (taken after an arena's, never before).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tally {

class SlabHeap {
 public:
  static constexpr std::size_t kGranule = 8;
  static constexpr std::size_t kMaxSize = 256;  // larger objects: malloc (small_alloc)
  static constexpr std::size_t kPageSize = 64 * 1024;
  static constexpr std::size_t kRegionPages = 256;  // 16 MiB mapped at a time
  static constexpr std::size_t kKeepEmptyPages = 32;
  static constexpr int kArenas = 16;

  SlabHeap();
  ~SlabHeap();  // unmaps every region
  SlabHeap(const SlabHeap&) = delete;
  SlabHeap& operator=(const SlabHeap&) = delete;

  // A block of at least n bytes, 8-byte aligned. REQUIRES: 0 < n <= kMaxSize. Throws std::bad_alloc
  // when the kernel gives no more memory.
  void* alloc(std::size_t n);
  // REQUIRES: p came from this heap's alloc() and was not freed since.
  void free(void* p);

  // The bytes an n-byte request takes (its slot).
  static constexpr std::size_t slot_size(std::size_t n) { return (n + kGranule - 1) / kGranule * kGranule; }

  struct Stats {
    std::size_t mapped_bytes = 0;    // regions taken from the kernel
    std::size_t pages_in_use = 0;    // pages holding at least one slot or kept for one (not in the pool)
    std::size_t pool_pages = 0;      // empty pages ready for reuse
    std::size_t slot_bytes = 0;      // slots handed out and not freed
  };
  Stats stats() const;

 private:
  struct Page;
  struct Arena;
  static constexpr std::size_t kClasses = kMaxSize / kGranule + 1;  // index: slot size / kGranule

  Arena& my_arena();
  Page* take_page(Arena* arena, std::size_t slot);  // REQUIRES: arena->mu held
  void give_back(Page* page);                       // REQUIRES: no arena lock held

  Arena* arenas_;  // [kArenas]

  mutable std::mutex pages_mu_;  // guards everything below
  std::vector<std::pair<void*, std::size_t>> regions_;  // what to unmap
  char* region_next_ = nullptr;  // the next page never used, in the newest region
  char* region_end_ = nullptr;
  Page* pool_ = nullptr;          // empty pages, linked through Page::next
  std::size_t pool_pages_ = 0;
  std::size_t pages_in_use_ = 0;
};

// The process's allocator for entries and sorted-set nodes: requests up to SlabHeap::kMaxSize come
// from one process-wide SlabHeap and count their slot in used_memory (alloc_stats); larger ones, and
// every request in sanitizer builds (so that AddressSanitizer still sees each object), from malloc.
// small_free must be given the n that small_alloc was.
void* small_alloc(std::size_t n);  // throws std::bad_alloc
void small_free(void* p, std::size_t n);
// The bytes an n-byte small_alloc is charged (MEMORY USAGE, ZSet::memory_bytes).
std::size_t small_alloc_size(std::size_t n);
// What glibc's malloc(n) makes usable (n rounded up to its 16-byte chunks less their 8-byte header),
// as used_memory counts it: MEMORY USAGE's estimate for blocks from malloc.
std::size_t malloc_usable_bytes(std::size_t n);
// Whether small_alloc serves requests of up to SlabHeap::kMaxSize from the slab (false in sanitizer
// builds).
bool small_alloc_uses_slab();

// Zero-filled blocks of whole pages, for hash tables' bucket arrays: a power of two of kMinBytes or
// more. Blocks up to kMaxBytes come from 16 MiB regions (the regions, not the blocks, are the
// process's mappings); when one is freed its pages go back to the kernel at once (MADV_DONTNEED) and
// its addresses to a free list of its size, whose next taker finds them zeroed. Larger blocks are
// mappings of their own. So the array a growing table leaves behind does not stay resident, as it
// does as a free chunk of glibc's heap that the next array, twice as large, does not fit in (with
// 1M string keys, 1024 shards each left a 4 KiB array: 4 MiB of RSS).
//
// Ownership: the heap unmaps its regions when destroyed; the process's (zeroed_alloc) never is.
// Thread-safety: alloc() and free() may be called from any thread; one mutex.
class PageBlockHeap {
 public:
  static constexpr std::size_t kMinBytes = 4096;
  static constexpr std::size_t kMaxBytes = 1u << 20;
  static constexpr std::size_t kRegionBytes = 16u << 20;

  PageBlockHeap() = default;
  ~PageBlockHeap();
  PageBlockHeap(const PageBlockHeap&) = delete;
  PageBlockHeap& operator=(const PageBlockHeap&) = delete;

  // REQUIRES: bytes is a power of two >= kMinBytes. Throws std::bad_alloc.
  void* alloc(std::size_t bytes);
  // REQUIRES: p came from alloc(bytes) and was not freed since.
  void free(void* p, std::size_t bytes);

  struct Stats {
    std::size_t used_bytes = 0;  // blocks of up to kMaxBytes handed out
    std::size_t free_bytes = 0;  // on the free lists (mapped, not resident)
  };
  Stats stats() const;

 private:
  static constexpr int kClasses = 9;  // 4 KiB .. 1 MiB
  static_assert(kMinBytes << (kClasses - 1) == kMaxBytes);
  static int class_of(std::size_t bytes) { return std::countr_zero(bytes) - std::countr_zero(kMinBytes); }

  mutable std::mutex mu_;  // guards everything below
  std::vector<void*> lists_[kClasses];
  std::vector<void*> regions_;
  char* next_ = nullptr;  // the unused rest of the newest region
  char* end_ = nullptr;
  Stats stats_;
};

// Zero-filled memory for bucket arrays, counted in used_memory as malloc's is: a PageBlockHeap block
// when bytes >= PageBlockHeap::kMinBytes, calloc below that and in sanitizer builds.
// zeroed_free must be given the bytes zeroed_alloc was. Thread-safe.
void* zeroed_alloc(std::size_t bytes);  // throws std::bad_alloc
void zeroed_free(void* p, std::size_t bytes);
bool zeroed_alloc_uses_pages(std::size_t bytes);

// A std::allocator for vectors that grow large, such as the TTL heaps (heap.h): storage of a page or
// more comes from zeroed_alloc in whole power-of-two blocks (a vector doubles its capacity, so its
// requests already are), so the array a vector outgrows goes back to the kernel.
template <class T>
struct PageBlockAllocator {
  using value_type = T;
  PageBlockAllocator() = default;
  template <class U>
  PageBlockAllocator(const PageBlockAllocator<U>&) noexcept {}
  static std::size_t block_bytes(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    return bytes < PageBlockHeap::kMinBytes ? bytes : std::bit_ceil(bytes);
  }
  T* allocate(std::size_t n) { return static_cast<T*>(zeroed_alloc(block_bytes(n))); }
  void deallocate(T* p, std::size_t n) noexcept { zeroed_free(p, block_bytes(n)); }
  template <class U>
  bool operator==(const PageBlockAllocator<U>&) const noexcept { return true; }
};

}  // namespace tally
