// The slab heap: see slab.h.
//
// Invariants, for every page handed out by take_page() and not yet given back:
// - used counts its slots handed out and not freed; every other slot is either on free_list or at or
//   past bump (never handed out since the page was taken).
// - The page is on its arena's list for its size (avail[slot / kGranule]) exactly when used < capacity.
#include "slab.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "alloc_stats.h"

namespace tally {

struct SlabHeap::Page {
  Page* next = nullptr;  // in the arena's list for this size, or in the heap's pool
  Page* prev = nullptr;
  Arena* arena = nullptr;
  void* free_list = nullptr;  // freed slots, linked through their first word
  char* bump = nullptr;       // slots from here to the page's end were never handed out
  uint32_t used = 0;
  uint32_t capacity = 0;
  uint32_t slot = 0;
};

namespace {

constexpr std::size_t kHeaderBytes = 64;  // the slots start here

void* map_zeroed(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

}  // namespace

struct alignas(64) SlabHeap::Arena {
  std::mutex mu;
  Page* avail[kClasses] = {};  // pages with a free slot, per slot size / kGranule
  std::size_t slot_bytes = 0;  // slots of this arena's pages handed out and not freed

  void link(Page* p) {
    Page*& head = avail[p->slot / kGranule];
    p->prev = nullptr;
    p->next = head;
    if (head) head->prev = p;
    head = p;
  }
  void unlink(Page* p) {
    Page*& head = avail[p->slot / kGranule];
    if (p->prev) p->prev->next = p->next;
    else head = p->next;
    if (p->next) p->next->prev = p->prev;
    p->next = p->prev = nullptr;
  }
};

SlabHeap::SlabHeap() : arenas_(new Arena[kArenas]) {}

SlabHeap::~SlabHeap() {
  for (auto& [base, bytes] : regions_) munmap(base, bytes);
  delete[] arenas_;
}

SlabHeap::Arena& SlabHeap::my_arena() {
  static std::atomic<unsigned> next_thread{0};
  thread_local unsigned index = next_thread.fetch_add(1, std::memory_order_relaxed) % kArenas;
  return arenas_[index];
}

SlabHeap::Page* SlabHeap::take_page(Arena* arena, std::size_t slot) {
  void* mem;
  {
    std::lock_guard lock(pages_mu_);
    if (pool_) {
      mem = pool_;
      pool_ = pool_->next;
      --pool_pages_;
    } else {
      if (region_next_ == region_end_) {
        // Map one page more than the region and trim, so that the pages are aligned to their size.
        regions_.reserve(regions_.size() + 1);  // before mapping, so that a throw leaks nothing
        const std::size_t bytes = (kRegionPages + 1) * kPageSize;
        void* raw = map_zeroed(bytes);
        const auto start = reinterpret_cast<uintptr_t>(raw);
        const uintptr_t aligned = (start + kPageSize - 1) & ~(kPageSize - 1);
        const uintptr_t end = aligned + kRegionPages * kPageSize;
        if (aligned > start) munmap(raw, aligned - start);
        if (start + bytes > end) munmap(reinterpret_cast<void*>(end), start + bytes - end);
        regions_.emplace_back(reinterpret_cast<void*>(aligned), kRegionPages * kPageSize);
        region_next_ = reinterpret_cast<char*>(aligned);
        region_end_ = reinterpret_cast<char*>(end);
      }
      mem = region_next_;
      region_next_ += kPageSize;
    }
    ++pages_in_use_;
  }
  static_assert(sizeof(Page) <= kHeaderBytes, "the page header fits before the first slot");
  Page* p = new (mem) Page{};
  p->arena = arena;
  p->slot = static_cast<uint32_t>(slot);
  p->capacity = static_cast<uint32_t>((kPageSize - kHeaderBytes) / slot);
  p->bump = static_cast<char*>(mem) + kHeaderBytes;
  return p;
}

void SlabHeap::give_back(Page* page) {
  bool release_memory;
  {
    std::lock_guard lock(pages_mu_);
    --pages_in_use_;
    release_memory = pool_pages_ >= kKeepEmptyPages;
  }
  // The header's first word is rewritten below, so only the rest of the page is released; it reads
  // as zeros when the page is taken again.
  if (release_memory) madvise(reinterpret_cast<char*>(page) + 4096, kPageSize - 4096, MADV_DONTNEED);
  std::lock_guard lock(pages_mu_);
  page->next = pool_;
  pool_ = page;
  ++pool_pages_;
}

void* SlabHeap::alloc(std::size_t n) {
  const std::size_t slot = slot_size(n);
  Arena& a = my_arena();
  std::lock_guard lock(a.mu);
  Page* p = a.avail[slot / kGranule];
  if (!p) {
    p = take_page(&a, slot);
    a.link(p);
  }
  void* out;
  if (p->free_list) {
    out = p->free_list;
    p->free_list = *static_cast<void**>(out);
  } else {
    out = p->bump;
    p->bump += slot;
  }
  if (++p->used == p->capacity) a.unlink(p);
  a.slot_bytes += slot;
  return out;
}

void SlabHeap::free(void* ptr) {
  Page* p = reinterpret_cast<Page*>(reinterpret_cast<uintptr_t>(ptr) & ~(kPageSize - 1));
  Arena& a = *p->arena;
  bool empty;
  {
    std::lock_guard lock(a.mu);
    *static_cast<void**>(ptr) = p->free_list;
    p->free_list = ptr;
    if (p->used-- == p->capacity) a.link(p);
    a.slot_bytes -= p->slot;
    // Keep the last page of this size with room; give back any other that has emptied.
    empty = p->used == 0 && (p->prev || p->next);
    if (empty) a.unlink(p);
  }
  if (empty) give_back(p);
}

SlabHeap::Stats SlabHeap::stats() const {
  Stats s;
  {
    std::lock_guard lock(pages_mu_);
    for (const auto& region : regions_) s.mapped_bytes += region.second;
    s.pages_in_use = pages_in_use_;
    s.pool_pages = pool_pages_;
  }
  for (int i = 0; i < kArenas; ++i) {
    std::lock_guard lock(arenas_[i].mu);
    s.slot_bytes += arenas_[i].slot_bytes;
  }
  return s;
}

// --- the process's heap ---

namespace {

// Sanitizer builds keep malloc for every object, so that the sanitizer sees each one.
constexpr bool kUseSlab = !TALLY_ALLOC_SANITIZER;

SlabHeap& process_heap() {
  static SlabHeap* heap = new SlabHeap;  // never destroyed: objects may outlive static destruction
  return *heap;
}

PageBlockHeap& process_page_blocks() {
  static PageBlockHeap* blocks = new PageBlockHeap;  // never destroyed, as the slab heap
  return *blocks;
}

bool page_block_size(std::size_t bytes) { return kUseSlab && bytes >= PageBlockHeap::kMinBytes; }

}  // namespace

PageBlockHeap::~PageBlockHeap() {
  for (void* region : regions_) munmap(region, kRegionBytes);
}

void* PageBlockHeap::alloc(std::size_t bytes) {
  if (bytes > kMaxBytes) return map_zeroed(bytes);
  std::lock_guard lock(mu_);
  std::vector<void*>& list = lists_[class_of(bytes)];
  void* p;
  if (!list.empty()) {
    p = list.back();
    list.pop_back();
    stats_.free_bytes -= bytes;
  } else {
    if (static_cast<std::size_t>(end_ - next_) < bytes) {
      regions_.reserve(regions_.size() + 1);  // before mapping, so that a throw leaks nothing
      next_ = static_cast<char*>(map_zeroed(kRegionBytes));
      end_ = next_ + kRegionBytes;
      regions_.push_back(next_);
    }
    p = next_;
    next_ += bytes;
  }
  stats_.used_bytes += bytes;
  return p;
}

void PageBlockHeap::free(void* p, std::size_t bytes) {
  if (bytes > kMaxBytes) {
    munmap(p, bytes);
    return;
  }
  madvise(p, bytes, MADV_DONTNEED);  // reads as zeros from now on: the next alloc's promise
  std::lock_guard lock(mu_);
  stats_.used_bytes -= bytes;
  try {
    lists_[class_of(bytes)].push_back(p);
    stats_.free_bytes += bytes;
  } catch (const std::bad_alloc&) {
    // No memory for the list's growth: the block's addresses are lost, its pages are already back.
  }
}

PageBlockHeap::Stats PageBlockHeap::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void* zeroed_alloc(std::size_t bytes) {
  if (!page_block_size(bytes)) {
    void* p = std::calloc(bytes, 1);
    if (!p) throw std::bad_alloc();
    return p;
  }
  void* p = process_page_blocks().alloc(bytes);
  alloc_stats::count(static_cast<int64_t>(bytes));
  return p;
}

void zeroed_free(void* p, std::size_t bytes) {
  if (!page_block_size(bytes)) {
    std::free(p);
    return;
  }
  alloc_stats::count(-static_cast<int64_t>(bytes));
  process_page_blocks().free(p, bytes);
}

bool zeroed_alloc_uses_pages(std::size_t bytes) { return page_block_size(bytes); }

void* small_alloc(std::size_t n) {
  if (kUseSlab && n <= SlabHeap::kMaxSize) {
    void* p = process_heap().alloc(n);
    alloc_stats::count(static_cast<int64_t>(SlabHeap::slot_size(n)));
    return p;
  }
  void* p = std::malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}

void small_free(void* p, std::size_t n) {
  if (kUseSlab && n <= SlabHeap::kMaxSize) {
    alloc_stats::count(-static_cast<int64_t>(SlabHeap::slot_size(n)));
    process_heap().free(p);
    return;
  }
  std::free(p);
}

bool small_alloc_uses_slab() { return kUseSlab; }

std::size_t malloc_usable_bytes(std::size_t n) {
  // glibc's chunk: n plus its 8-byte header, rounded up to 16, at least 32; all but the header usable.
  const std::size_t chunk = (n + 8 + 15) / 16 * 16;
  return (chunk < 32 ? 32 : chunk) - 8;
}

std::size_t small_alloc_size(std::size_t n) {
  return kUseSlab && n <= SlabHeap::kMaxSize ? SlabHeap::slot_size(n) : malloc_usable_bytes(n);
}

}  // namespace tally
