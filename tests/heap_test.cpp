// Tests for the TTL heap: a randomised differential test against std::multiset in which owners
// update, remove and move their items by position, with every owner's position field checked.
#include "heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "intrusive.h"

namespace tally {
namespace {

constexpr uint32_t kNoPos = TtlHeap::kNoPos;

struct Owner {
  uint32_t pos = kNoPos;
  int64_t when = 0;
};

// Owners (heap-allocated so their addresses are stable unless a test moves one on purpose) mirrored
// by a multiset of (when, owner).
class Model {
 public:
  explicit Model(std::size_t owners) {
    for (std::size_t i = 0; i < owners; ++i) owners_.push_back(std::make_unique<Owner>());
  }

  void push(Owner& o, int64_t when) {
    o.when = when;
    heap.push(when, &o.pos);
    ref.emplace(when, &o);
  }
  void update(Owner& o, int64_t when) {
    ref.erase(ref.find({o.when, &o}));
    o.when = when;
    heap.update(o.pos, when);
    ref.emplace(when, &o);
  }
  void remove(Owner& o) {
    ref.erase(ref.find({o.when, &o}));
    heap.remove(o.pos);
  }
  // The owner is reallocated (as a keyspace entry may be) and tells the heap where it went.
  void relocate(std::size_t i) {
    auto fresh = std::make_unique<Owner>(*owners_[i]);
    if (fresh->pos != kNoPos) {
      ref.erase(ref.find({fresh->when, owners_[i].get()}));
      heap.rebind(fresh->pos, &fresh->pos);
      ref.emplace(fresh->when, fresh.get());
    }
    owners_[i] = std::move(fresh);
  }

  ::testing::AssertionResult consistent() const {
    if (!heap.check_invariants()) return ::testing::AssertionFailure() << "heap invariants";
    if (heap.size() != ref.size()) return ::testing::AssertionFailure() << "size";
    if (!ref.empty() && heap.top().when_ms != ref.begin()->first)
      return ::testing::AssertionFailure() << "top " << heap.top().when_ms;
    for (const auto& o : owners_) {
      if (o->pos == kNoPos) continue;
      if (o->pos >= heap.size() || heap.ref(o->pos) != &o->pos || heap.when(o->pos) != o->when)
        return ::testing::AssertionFailure() << "owner position stale";
    }
    return ::testing::AssertionSuccess();
  }

  Owner& owner(std::size_t i) { return *owners_[i]; }
  std::size_t owner_count() const { return owners_.size(); }

  TtlHeap heap;
  std::multiset<std::pair<int64_t, Owner*>> ref;

 private:
  std::vector<std::unique_ptr<Owner>> owners_;
};

TEST(TtlHeap, DifferentialAgainstMultiset) {
  Model m(5000);
  std::mt19937_64 rng(7);
  for (int op = 0; op < 300000; ++op) {
    const std::size_t i = rng() % m.owner_count();
    Owner& o = m.owner(i);
    const int64_t when = static_cast<int64_t>(rng() % 100000);  // small range: many equal times
    const int dice = static_cast<int>(rng() % 100);
    const int push_bias = (op / 20000) % 2 ? 30 : 70;  // the heap fills and drains repeatedly
    if (o.pos == kNoPos) {
      if (dice < push_bias) m.push(o, when);
    } else if (dice < 40) {
      m.update(o, when);
    } else if (dice < 40 + (100 - push_bias) / 2) {
      m.remove(o);
      ASSERT_EQ(o.pos, kNoPos);
    } else if (dice < 90) {
      m.relocate(i);
    } else if (!m.heap.empty()) {  // expire the earliest, as active expiry does
      uint32_t* top_ref = m.heap.top().ref;
      ASSERT_EQ(m.heap.top().when_ms, m.ref.begin()->first);
      m.ref.erase(m.ref.find({m.heap.top().when_ms, owner_of<Owner>(top_ref, offsetof(Owner, pos))}));
      m.heap.remove(0);
      ASSERT_EQ(*top_ref, kNoPos);
    }
    if (op % 97 == 0 || m.heap.size() < 8) {
      ASSERT_TRUE(m.consistent()) << "op " << op;
    }
  }
  ASSERT_TRUE(m.consistent());
}

TEST(TtlHeap, PopsInTimeOrder) {
  Model m(2000);
  std::mt19937_64 rng(8);
  for (std::size_t i = 0; i < m.owner_count(); ++i) m.push(m.owner(i), static_cast<int64_t>(rng() % 500));
  int64_t last = INT64_MIN;
  while (!m.heap.empty()) {
    ASSERT_GE(m.heap.top().when_ms, last);
    last = m.heap.top().when_ms;
    m.heap.remove(0);
    ASSERT_TRUE(m.heap.check_invariants());
  }
  for (std::size_t i = 0; i < m.owner_count(); ++i) EXPECT_EQ(m.owner(i).pos, kNoPos);
}

TEST(TtlHeap, RemovingFromTheMiddleMayMoveTheLastItemUp) {
  // Heap [0, 100, 1, 101, 102, 2, 3]: removing 101 (pos 3) fills it with 3, which must rise above 100.
  Model m(7);
  const int64_t times[] = {0, 100, 1, 101, 102, 2, 3};
  for (std::size_t i = 0; i < 7; ++i) m.push(m.owner(i), times[i]);
  ASSERT_EQ(m.owner(3).pos, 3u);
  m.remove(m.owner(3));
  EXPECT_TRUE(m.consistent());
  EXPECT_EQ(m.owner(6).pos, 1u);
}

TEST(TtlHeap, ClearResetsEveryOwner) {
  Model m(1000);
  for (std::size_t i = 0; i < m.owner_count(); ++i) m.push(m.owner(i), static_cast<int64_t>(i % 37));
  EXPECT_GT(m.heap.memory_bytes(), 0u);
  m.heap.clear();
  m.ref.clear();
  EXPECT_TRUE(m.heap.empty());
  EXPECT_EQ(m.heap.memory_bytes(), 0u);
  for (std::size_t i = 0; i < m.owner_count(); ++i) EXPECT_EQ(m.owner(i).pos, kNoPos);
  m.push(m.owner(5), 9);  // usable afterwards
  EXPECT_TRUE(m.consistent());
}

TEST(TtlHeap, CheckInvariantsDetectsAStaleRef) {
  Model m(10);
  for (std::size_t i = 0; i < 10; ++i) m.push(m.owner(i), static_cast<int64_t>(10 - i));
  ASSERT_TRUE(m.heap.check_invariants());
  std::swap(m.owner(2).pos, m.owner(3).pos);
  EXPECT_FALSE(m.heap.check_invariants());
  std::swap(m.owner(2).pos, m.owner(3).pos);
  EXPECT_TRUE(m.heap.check_invariants());
}

TEST(TtlHeap, SwapExchangesContents) {
  Model a(3), b(2);
  a.push(a.owner(0), 5);
  b.push(b.owner(0), 1);
  b.push(b.owner(1), 2);
  a.heap.swap(b.heap);
  std::swap(a.ref, b.ref);
  EXPECT_EQ(a.heap.size(), 2u);
  EXPECT_EQ(a.heap.top().when_ms, 1);
  EXPECT_EQ(b.heap.top().when_ms, 5);
  EXPECT_TRUE(a.heap.check_invariants());
  EXPECT_TRUE(b.heap.check_invariants());
}

}  // namespace
}  // namespace tally
