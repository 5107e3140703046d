// SlabHeap: slots of the right size that never overlap and keep their bytes, pages that go back to
// the pool when they empty (and are reused from it), frees from other threads, and small_alloc's
// split between the slab and malloc.
#include "slab.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "alloc_stats.h"

namespace tally {
namespace {

struct Block {
  char* p;
  std::size_t n;
  unsigned char fill;
};

// Every live block still holds its fill byte and no two slots overlap.
::testing::AssertionResult intact(const std::vector<Block>& live) {
  std::map<uintptr_t, uintptr_t> ranges;  // start -> end of each slot
  for (const Block& b : live) {
    for (std::size_t i = 0; i < b.n; ++i) {
      if (static_cast<unsigned char>(b.p[i]) != b.fill)
        return ::testing::AssertionFailure() << "block of " << b.n << " bytes changed at byte " << i;
    }
    const auto start = reinterpret_cast<uintptr_t>(b.p);
    ranges[start] = start + SlabHeap::slot_size(b.n);
  }
  uintptr_t prev_end = 0;
  for (const auto& [start, end] : ranges) {
    if (start < prev_end) return ::testing::AssertionFailure() << "slots overlap at " << start;
    prev_end = end;
  }
  return ::testing::AssertionSuccess();
}

std::size_t live_slot_bytes(const std::vector<Block>& live) {
  std::size_t sum = 0;
  for (const Block& b : live) sum += SlabHeap::slot_size(b.n);
  return sum;
}

TEST(SlabTest, SlotSizes) {
  EXPECT_EQ(SlabHeap::slot_size(1), 8u);
  EXPECT_EQ(SlabHeap::slot_size(8), 8u);
  EXPECT_EQ(SlabHeap::slot_size(56), 56u);  // a string entry with a 16-byte key
  EXPECT_EQ(SlabHeap::slot_size(69), 72u);  // a sorted-set node with a 13-byte member
  EXPECT_EQ(SlabHeap::slot_size(SlabHeap::kMaxSize), SlabHeap::kMaxSize);
}

TEST(SlabTest, RandomAllocAndFreeAgainstAReference) {
  SlabHeap heap;
  std::mt19937 rng(7);
  std::vector<Block> live;
  for (int step = 0; step < 200000; ++step) {
    // Grow for the first half, shrink for the second, so that pages fill, empty and come back.
    const bool grow = step < 100000 ? rng() % 4 != 0 : rng() % 4 == 0;
    if (grow || live.empty()) {
      const std::size_t n = 1 + rng() % SlabHeap::kMaxSize;
      auto* p = static_cast<char*>(heap.alloc(n));
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
      const auto fill = static_cast<unsigned char>(rng());
      std::memset(p, fill, n);
      live.push_back({p, n, fill});
    } else {
      const std::size_t i = rng() % live.size();
      heap.free(live[i].p);
      live[i] = live.back();
      live.pop_back();
    }
    if (step % 20000 == 0) {
      ASSERT_TRUE(intact(live)) << "step " << step;
      ASSERT_EQ(heap.stats().slot_bytes, live_slot_bytes(live)) << "step " << step;
    }
  }
  ASSERT_TRUE(intact(live));
  EXPECT_EQ(heap.stats().slot_bytes, live_slot_bytes(live));
  for (const Block& b : live) heap.free(b.p);
  EXPECT_EQ(heap.stats().slot_bytes, 0u);
}

TEST(SlabTest, EmptiedPagesGoToThePoolAndAreReused) {
  SlabHeap heap;
  const std::size_t per_page = (SlabHeap::kPageSize - 64) / 56;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 3 * per_page; ++i) blocks.push_back(heap.alloc(56));
  SlabHeap::Stats full = heap.stats();
  EXPECT_EQ(full.pages_in_use, 3u);
  EXPECT_EQ(full.pool_pages, 0u);
  EXPECT_EQ(full.slot_bytes, 3 * per_page * 56);
  // Exactly full pages: one more object takes a fourth.
  void* extra = heap.alloc(56);
  EXPECT_EQ(heap.stats().pages_in_use, 4u);
  heap.free(extra);

  for (void* p : blocks) heap.free(p);
  SlabHeap::Stats empty = heap.stats();
  EXPECT_EQ(empty.slot_bytes, 0u);
  EXPECT_EQ(empty.pages_in_use, 1u);  // the arena keeps one page of this size
  EXPECT_EQ(empty.pool_pages, 3u);

  // Another size takes its pages from the pool before mapping more.
  std::vector<void*> again;
  for (std::size_t i = 0; i < 3 * ((SlabHeap::kPageSize - 64) / 200); ++i) again.push_back(heap.alloc(200));
  SlabHeap::Stats reused = heap.stats();
  EXPECT_EQ(reused.pool_pages, 0u);
  EXPECT_EQ(reused.pages_in_use, 4u);
  EXPECT_EQ(reused.mapped_bytes, full.mapped_bytes);
  for (void* p : again) heap.free(p);
}

TEST(SlabTest, PagesReleasedToTheKernelComeBackZeroedAndUsable) {
  SlabHeap heap;
  // More empty pages than the pool keeps: the ones past kKeepEmptyPages are madvise'd away.
  const std::size_t pages = SlabHeap::kKeepEmptyPages + 8;
  const std::size_t per_page = (SlabHeap::kPageSize - 64) / 128;
  std::vector<Block> live;
  for (std::size_t i = 0; i < pages * per_page; ++i) {
    auto* p = static_cast<char*>(heap.alloc(128));
    std::memset(p, 0x5a, 128);
    live.push_back({p, 128, 0x5a});
  }
  for (const Block& b : live) heap.free(b.p);
  EXPECT_EQ(heap.stats().pool_pages, pages - 1);
  live.clear();
  for (std::size_t i = 0; i < pages * per_page; ++i) {
    auto* p = static_cast<char*>(heap.alloc(128));
    const auto fill = static_cast<unsigned char>(i);
    std::memset(p, fill, 128);
    live.push_back({p, 128, fill});
  }
  EXPECT_TRUE(intact(live));
  EXPECT_EQ(heap.stats().pool_pages, 0u);
  for (const Block& b : live) heap.free(b.p);
}

TEST(SlabTest, FreesFromOtherThreads) {
  SlabHeap heap;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  // Each thread allocates its share; then each frees the next thread's share while allocating and
  // freeing objects of its own, so that every arena takes frees from a thread that does not own it.
  std::vector<std::vector<Block>> made(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&heap, &made, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::size_t n = 40 + (i * 7 + t) % 120;
          auto* p = static_cast<char*>(heap.alloc(n));
          std::memset(p, t + 1, n);
          made[t].push_back({p, n, static_cast<unsigned char>(t + 1)});
        }
      });
    }
  }
  std::vector<int> intact_shares(kThreads, 0);  // not vector<bool>: its bits share words across threads
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&heap, &made, &intact_shares, t] {
        std::vector<Block>& theirs = made[(t + 1) % kThreads];
        intact_shares[t] = intact(theirs) ? 1 : 0;
        std::vector<void*> mine;
        for (std::size_t i = 0; i < theirs.size(); ++i) {
          heap.free(theirs[i].p);
          mine.push_back(heap.alloc(56));
          if (i % 2 == 1) {
            heap.free(mine.back());
            mine.pop_back();
          }
        }
        for (void* p : mine) heap.free(p);
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(intact_shares[t], 1) << "thread " << t;
  EXPECT_EQ(heap.stats().slot_bytes, 0u);
}

// Sanitizer builds send every request to malloc (so that ASan sees each object): the sizes charged are
// then glibc's usable sizes, and used_memory is the sanitizer's count.
TEST(SlabTest, SmallAllocChargesItsSlotAndSendsLargeObjectsToMalloc) {
  // glibc: a 16-byte-aligned chunk with an 8-byte header; the slab: 8-byte slots, no header.
  EXPECT_EQ(small_alloc_size(SlabHeap::kMaxSize + 1), 264u);
  EXPECT_EQ(small_alloc_size(44), small_alloc_uses_slab() ? 48u : 56u);
  EXPECT_EQ(small_alloc_size(69), 72u);
  small_free(small_alloc(44), 44);  // the process heap's own set-up (its first page) is not measured
  const uint64_t before = alloc_stats::used_bytes_here();
  auto* p = static_cast<char*>(small_alloc(44));
  std::memset(p, 1, 44);
  const uint64_t with_one = alloc_stats::used_bytes_here();
  EXPECT_GE(with_one, before + 44);
  if (small_alloc_uses_slab()) {
    EXPECT_EQ(with_one, before + 48);
  }
  auto* big = static_cast<char*>(small_alloc(1000));
  std::memset(big, 2, 1000);
  EXPECT_GE(alloc_stats::used_bytes_here(), with_one + 1000);
  small_free(big, 1000);
  small_free(p, 44);
  EXPECT_EQ(alloc_stats::used_bytes_here(), before);
}

TEST(PageBlockTest, BlocksAreZeroEvenWhenReused) {
  PageBlockHeap heap;
  for (std::size_t bytes : {PageBlockHeap::kMinBytes, 8 * PageBlockHeap::kMinBytes, PageBlockHeap::kMaxBytes,
                            2 * PageBlockHeap::kMaxBytes}) {
    for (int life = 0; life < 3; ++life) {
      auto* p = static_cast<unsigned char*>(heap.alloc(bytes));
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % PageBlockHeap::kMinBytes, 0u);
      std::size_t nonzero = 0;
      for (std::size_t i = 0; i < bytes; ++i) nonzero += p[i] != 0;
      EXPECT_EQ(nonzero, 0u) << bytes << " bytes, life " << life;
      std::memset(p, 0xab, bytes);
      heap.free(p, bytes);
    }
  }
}

TEST(PageBlockTest, FreedBlocksAreReusedBySizeAndNeverOverlap) {
  PageBlockHeap heap;
  const std::size_t k = PageBlockHeap::kMinBytes;
  void* a = heap.alloc(2 * k);
  void* b = heap.alloc(2 * k);
  void* c = heap.alloc(k);
  EXPECT_EQ(heap.stats().used_bytes, 5 * k);
  EXPECT_EQ(heap.stats().free_bytes, 0u);
  std::map<uintptr_t, uintptr_t> ranges = {{reinterpret_cast<uintptr_t>(a), 2 * k},
                                           {reinterpret_cast<uintptr_t>(b), 2 * k},
                                           {reinterpret_cast<uintptr_t>(c), k}};
  uintptr_t prev_end = 0;
  for (const auto& [start, len] : ranges) {
    EXPECT_GE(start, prev_end);
    prev_end = start + len;
  }
  heap.free(a, 2 * k);
  EXPECT_EQ(heap.stats().used_bytes, 3 * k);
  EXPECT_EQ(heap.stats().free_bytes, 2 * k);
  void* small = heap.alloc(k);  // another size: not a's addresses
  EXPECT_NE(small, a);
  void* again = heap.alloc(2 * k);  // a's size: its addresses come back
  EXPECT_EQ(again, a);
  EXPECT_EQ(heap.stats().free_bytes, 0u);
  for (auto [p, len] : {std::pair{again, 2 * k}, {b, 2 * k}, {c, k}, {small, k}}) heap.free(p, len);
  EXPECT_EQ(heap.stats().used_bytes, 0u);
  EXPECT_EQ(heap.stats().free_bytes, 6 * k);
  // Blocks past kMaxBytes are mappings of their own, not on the lists.
  void* big = heap.alloc(4 * PageBlockHeap::kMaxBytes);
  EXPECT_EQ(heap.stats().used_bytes, 0u);
  heap.free(big, 4 * PageBlockHeap::kMaxBytes);
}

// The process's zeroed_alloc: zeroed memory of any size (calloc below a page and in sanitizer builds),
// counted in used_memory. Other tests' background threads may allocate meanwhile, hence the margin.
TEST(PageBlockTest, ZeroedAllocIsZeroAndCounted) {
  for (std::size_t bytes : {std::size_t{64}, PageBlockHeap::kMinBytes, PageBlockHeap::kMaxBytes}) {
    const int64_t before = static_cast<int64_t>(alloc_stats::used_bytes_here());
    auto* p = static_cast<unsigned char*>(zeroed_alloc(bytes));
    const int64_t grew = static_cast<int64_t>(alloc_stats::used_bytes_here()) - before;
    EXPECT_GE(grew, static_cast<int64_t>(bytes) - 4096) << bytes;
    EXPECT_LE(grew, static_cast<int64_t>(bytes) + 4096) << bytes;
    std::size_t nonzero = 0;
    for (std::size_t i = 0; i < bytes; ++i) nonzero += p[i] != 0;
    EXPECT_EQ(nonzero, 0u) << bytes;
    std::memset(p, 0xcd, bytes);
    zeroed_free(p, bytes);
    EXPECT_EQ(zeroed_alloc_uses_pages(bytes), small_alloc_uses_slab() && bytes >= PageBlockHeap::kMinBytes);
  }
}

}  // namespace
}  // namespace tally
