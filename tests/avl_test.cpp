// Tests for the intrusive AVL tree: a randomised differential test against std::multiset<int> that
// grows and shrinks the tree through many rebalances, with rank/offset/at queries checked against a
// sorted snapshot and the invariants (balance, heights, counts, parent links) checked periodically;
// plus sequential insert/delete orders that force every rotation shape.
#include "avl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "intrusive.h"

namespace tally {
namespace {

struct Item {
  AvlNode node;
  int value = 0;
};

Item* item_of(AvlNode* n) { return owner_of<Item>(n, offsetof(Item, node)); }

// A test-side owner: allocates items, keeps the root, and inserts with an ordered descent (equal
// values go right, so duplicates keep insertion order).
class Tree {
 public:
  AvlNode* root = nullptr;
  std::vector<std::unique_ptr<Item>> pool;  // owns every item ever created

  Item* insert(int value) {
    pool.push_back(std::make_unique<Item>());
    Item* it = pool.back().get();
    it->value = value;
    AvlNode* parent = nullptr;
    AvlNode** from = &root;
    while (*from) {
      parent = *from;
      from = value < item_of(parent)->value ? &parent->left : &parent->right;
    }
    avl_init(&it->node);
    it->node.parent = parent;
    *from = &it->node;
    root = avl_fix(&it->node);
    return it;
  }

  void erase(Item* it) { root = avl_del(&it->node); }

  std::vector<int> values() const {
    std::vector<int> out;
    for (AvlNode* n = avl_first(root); n; n = avl_next(n)) out.push_back(item_of(n)->value);
    return out;
  }
};

// Every query of the tree agrees with the sorted snapshot `want`.
void check_against(const Tree& t, const std::vector<int>& want, std::mt19937_64& rng) {
  ASSERT_TRUE(avl_check(t.root));
  ASSERT_EQ(avl_count(t.root), want.size());
  ASSERT_EQ(t.values(), want);
  std::vector<int> backwards;
  for (AvlNode* n = avl_last(t.root); n; n = avl_prev(n)) backwards.push_back(item_of(n)->value);
  std::reverse(backwards.begin(), backwards.end());
  ASSERT_EQ(backwards, want);
  const int64_t size = static_cast<int64_t>(want.size());
  for (int q = 0; q < 200 && size > 0; ++q) {
    const int64_t r = static_cast<int64_t>(rng() % want.size());
    AvlNode* n = avl_at(t.root, static_cast<std::size_t>(r));
    ASSERT_NE(n, nullptr);
    ASSERT_EQ(item_of(n)->value, want[r]);
    ASSERT_EQ(avl_rank(n), static_cast<std::size_t>(r));
    const int64_t k = static_cast<int64_t>(rng() % (2 * want.size() + 10)) - size - 5;
    AvlNode* m = avl_offset(n, k);
    if (r + k < 0 || r + k >= size) {
      ASSERT_EQ(m, nullptr) << "r=" << r << " k=" << k;
    } else {
      ASSERT_NE(m, nullptr);
      ASSERT_EQ(avl_rank(m), static_cast<std::size_t>(r + k));
      ASSERT_EQ(item_of(m)->value, want[r + k]);
    }
    ASSERT_EQ(avl_offset(n, 0), n);
  }
  ASSERT_EQ(avl_at(t.root, want.size()), nullptr);
}

TEST(AvlTest, EmptyTree) {
  EXPECT_TRUE(avl_check(nullptr));
  EXPECT_EQ(avl_first(nullptr), nullptr);
  EXPECT_EQ(avl_last(nullptr), nullptr);
  EXPECT_EQ(avl_at(nullptr, 0), nullptr);
  EXPECT_EQ(avl_count(nullptr), 0u);
}

TEST(AvlTest, SingleNode) {
  Tree t;
  Item* it = t.insert(7);
  EXPECT_EQ(t.root, &it->node);
  EXPECT_TRUE(avl_check(t.root));
  EXPECT_EQ(avl_next(&it->node), nullptr);
  EXPECT_EQ(avl_prev(&it->node), nullptr);
  EXPECT_EQ(avl_offset(&it->node, 1), nullptr);
  EXPECT_EQ(avl_offset(&it->node, -1), nullptr);
  t.erase(it);
  EXPECT_EQ(t.root, nullptr);
}

// Ascending, descending and zig-zag insert orders, then deletes from the front, back and middle:
// together they take every single and double rotation path on insert and delete.
TEST(AvlTest, SequentialOrders) {
  std::mt19937_64 rng(1);
  for (int order = 0; order < 3; ++order) {
    Tree t;
    std::vector<Item*> items;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
      const int v = order == 0 ? i : order == 1 ? n - i : (i % 2 ? i : n + n - i);
      items.push_back(t.insert(v));
      ASSERT_LE(t.root->height, 17u);  // AVL height <= 1.44 log2(n + 2) - 0.33 = 16.9 at n = 4000
    }
    std::vector<int> want = t.values();
    ASSERT_TRUE(std::is_sorted(want.begin(), want.end()));
    check_against(t, want, rng);
    std::sort(items.begin(), items.end(), [](Item* a, Item* b) { return a->value < b->value; });
    // Delete alternately from the ends and the middle.
    std::size_t lo = 0, hi = items.size();
    while (lo < hi) {
      t.erase(items[lo++]);
      if (lo < hi) t.erase(items[--hi]);
      if (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        t.erase(items[mid]);
        items.erase(items.begin() + static_cast<std::ptrdiff_t>(mid));
        --hi;
      }
      if ((hi - lo) % 97 == 0) { ASSERT_TRUE(avl_check(t.root)); }
    }
    EXPECT_EQ(t.root, nullptr);
  }
}

// 2e5 random inserts and deletes over a tree that grows to ~30k and shrinks back, with duplicates.
TEST(AvlTest, DifferentialAgainstMultiset) {
  std::mt19937_64 rng(42);
  Tree t;
  std::multiset<int> model;
  std::vector<Item*> live;  // the items currently linked
  const int kOps = 200000;
  for (int op = 0; op < kOps; ++op) {
    const bool growing = (op / 25000) % 2 == 0;
    const bool insert = live.empty() || rng() % 100 < (growing ? 75u : 25u);
    if (insert) {
      const int v = static_cast<int>(rng() % 20000);  // many duplicates
      live.push_back(t.insert(v));
      model.insert(v);
    } else {
      const std::size_t i = rng() % live.size();
      Item* it = live[i];
      live[i] = live.back();
      live.pop_back();
      // A deleted node must be gone from the in-order walk around it.
      AvlNode* before = avl_prev(&it->node);
      AvlNode* after = avl_next(&it->node);
      t.erase(it);
      model.erase(model.find(it->value));
      if (before) { ASSERT_EQ(avl_next(before), after); }
      if (after) { ASSERT_EQ(avl_prev(after), before); }
    }
    if (op % 5000 == 0 || op == kOps - 1) {
      ASSERT_NO_FATAL_FAILURE(check_against(t, std::vector<int>(model.begin(), model.end()), rng));
    }
  }
  while (!live.empty()) {
    t.erase(live.back());
    live.pop_back();
    if (live.size() % 1000 == 0) { ASSERT_TRUE(avl_check(t.root)); }
  }
  EXPECT_EQ(t.root, nullptr);
}

// The checker rejects a tree whose bookkeeping is wrong (so the checks above can fail).
TEST(AvlTest, CheckerCatchesCorruption) {
  Tree t;
  for (int i = 0; i < 100; ++i) t.insert(i);
  ASSERT_TRUE(avl_check(t.root));
  AvlNode* n = avl_at(t.root, 40);
  ++n->count;
  EXPECT_FALSE(avl_check(t.root));
  --n->count;
  ++n->height;
  EXPECT_FALSE(avl_check(t.root));
  --n->height;
  AvlNode* saved = n->parent;
  n->parent = nullptr;
  EXPECT_FALSE(avl_check(t.root));
  n->parent = saved;
  EXPECT_TRUE(avl_check(t.root));
}

}  // namespace
}  // namespace tally
