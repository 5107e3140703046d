// Tests for the intrusive AVL tree: a randomised differential test against std::set that grows and
// shrinks the tree through many rebalances, with rank/at queries and cursor walks (from the first,
// the last, a rank and a node found by key) checked against a sorted snapshot and the invariants
// (balance, heights, counts) checked periodically; sequential insert/delete orders that force every
// rotation shape; the height packed into the child pointers' low bits.
#include "avl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "intrusive.h"

namespace tally {
namespace {

// The key is (value, id): values repeat, ids make every key unique, as avl.h requires.
struct Item {
  AvlNode node;
  uint32_t count = 0;
  int value = 0;
  int id = 0;
};

Item* item_of(AvlNode* n) { return owner_of<Item>(n, offsetof(Item, node)); }
const Item* item_of(const AvlNode* n) { return owner_of<Item>(n, offsetof(Item, node)); }
using Key = std::pair<int, int>;
Key key_of(const AvlNode* n) { return {item_of(n)->value, item_of(n)->id}; }

struct ItemCount {
  static uint32_t get(const AvlNode* n) { return item_of(n)->count; }
  static void set(AvlNode* n, uint32_t c) { item_of(n)->count = c; }
};

bool item_before(const AvlNode* a, const AvlNode* b) { return key_of(a) < key_of(b); }

// A test-side owner: allocates items and keeps the root.
class Tree {
 public:
  AvlNode* root = nullptr;
  std::vector<std::unique_ptr<Item>> pool;  // owns every item ever created
  int next_id = 0;

  Item* insert(int value) {
    pool.push_back(std::make_unique<Item>());
    Item* it = pool.back().get();
    it->value = value;
    it->id = next_id++;
    root = avl_insert<ItemCount>(root, &it->node, item_before);
    return it;
  }

  void erase(Item* it) {
    AvlPath path;
    avl_find_path(root, &it->node, item_before, path);
    root = avl_remove_at<ItemCount>(root, path);
  }

  std::vector<Key> keys() const {
    std::vector<Key> out;
    AvlPath path;
    for (AvlNode* n = avl_path_first(root, path); n; n = avl_path_next(path)) out.push_back(key_of(n));
    return out;
  }
};

// Every query of the tree agrees with the sorted snapshot `want`.
void check_against(const Tree& t, const std::vector<Key>& want, std::mt19937_64& rng) {
  ASSERT_TRUE(avl_check<ItemCount>(t.root));
  ASSERT_EQ(avl_count<ItemCount>(t.root), want.size());
  ASSERT_EQ(t.keys(), want);
  std::vector<Key> backwards;
  AvlPath path;
  for (AvlNode* n = avl_path_last(t.root, path); n; n = avl_path_prev(path)) backwards.push_back(key_of(n));
  std::reverse(backwards.begin(), backwards.end());
  ASSERT_EQ(backwards, want);
  const std::size_t size = want.size();
  for (int q = 0; q < 200 && size > 0; ++q) {
    const std::size_t r = rng() % size;
    AvlNode* n = avl_at<ItemCount>(t.root, r, &path);
    ASSERT_NE(n, nullptr);
    ASSERT_EQ(key_of(n), want[r]);
    ASSERT_EQ(path.top(), n);
    ASSERT_EQ(path.node[0], t.root);
    ASSERT_EQ((avl_rank<ItemCount>(t.root, n, item_before)), r);
    // A cursor left by avl_at walks on from there, both ways, for a few steps.
    AvlPath forward = path;
    for (std::size_t k = r + 1; k < std::min(size, r + 6); ++k) {
      AvlNode* m = avl_path_next(forward);
      ASSERT_NE(m, nullptr);
      ASSERT_EQ(key_of(m), want[k]);
    }
    if (size - r < 50) {  // near the end: the walk runs off it, and the cursor empties
      for (std::size_t k = r + 1; k < size; ++k) ASSERT_EQ(key_of(avl_path_next(path)), want[k]);
      ASSERT_EQ(avl_path_next(path), nullptr);
      ASSERT_EQ(path.depth, 0);
    }
    // One found by key does too.
    AvlPath found;
    avl_find_path(t.root, n, item_before, found);
    ASSERT_EQ(found.top(), n);
    AvlNode* before = avl_path_prev(found);
    if (r == 0) {
      ASSERT_EQ(before, nullptr);
      ASSERT_EQ(found.depth, 0);
    } else {
      ASSERT_NE(before, nullptr);
      ASSERT_EQ(key_of(before), want[r - 1]);
    }
  }
  ASSERT_EQ(avl_at<ItemCount>(t.root, size, &path), nullptr);
  ASSERT_EQ(path.depth, 0);
}

TEST(AvlTest, EmptyTree) {
  EXPECT_TRUE(avl_check<ItemCount>(nullptr));
  EXPECT_EQ(avl_at<ItemCount>(nullptr, 0), nullptr);
  EXPECT_EQ(avl_count<ItemCount>(nullptr), 0u);
  AvlPath path;
  EXPECT_EQ(avl_path_first(nullptr, path), nullptr);
  EXPECT_EQ(avl_path_last(nullptr, path), nullptr);
  EXPECT_EQ(path.depth, 0);
}

TEST(AvlTest, SingleNode) {
  Tree t;
  Item* it = t.insert(7);
  EXPECT_EQ(t.root, &it->node);
  EXPECT_TRUE(avl_check<ItemCount>(t.root));
  EXPECT_EQ(it->node.height(), 1u);
  EXPECT_EQ(it->count, 1u);
  AvlPath path;
  EXPECT_EQ(avl_path_first(t.root, path), &it->node);
  EXPECT_EQ(avl_path_next(path), nullptr);
  EXPECT_EQ(avl_path_last(t.root, path), &it->node);
  EXPECT_EQ(avl_path_prev(path), nullptr);
  t.erase(it);
  EXPECT_EQ(t.root, nullptr);
}

// The height shares the child pointers' low bits: every height 0..63 reads back, and setting either
// never disturbs the other.
TEST(AvlTest, HeightLivesInThePointersLowBits) {
  alignas(8) AvlNode kids[2];
  AvlNode n;
  n.set_left(&kids[0]);
  n.set_right(&kids[1]);
  for (unsigned h = 0; h < 64; ++h) {
    n.set_height(h);
    ASSERT_EQ(n.height(), h);
    ASSERT_EQ(n.left(), &kids[0]);
    ASSERT_EQ(n.right(), &kids[1]);
  }
  n.set_height(45);
  n.set_left(nullptr);
  n.set_right(&kids[0]);
  EXPECT_EQ(n.height(), 45u);
  EXPECT_EQ(n.left(), nullptr);
  EXPECT_EQ(n.right(), &kids[0]);
  EXPECT_EQ(AvlNode{}.height(), 1u);  // a detached node is a one-node tree
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
      ASSERT_LE(t.root->height(), 17u);  // AVL height <= 1.44 log2(n + 2) - 0.33 = 16.9 at n = 4000
    }
    std::vector<Key> want = t.keys();
    ASSERT_TRUE(std::is_sorted(want.begin(), want.end()));
    ASSERT_EQ(want.size(), static_cast<std::size_t>(n));
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
      if ((hi - lo) % 97 == 0) {
        ASSERT_TRUE(avl_check<ItemCount>(t.root));
        ASSERT_EQ(avl_count<ItemCount>(t.root), hi - lo);
      }
    }
    EXPECT_EQ(t.root, nullptr);
  }
}

// 2e5 random inserts and deletes over a tree that grows to ~30k and shrinks back, with repeated
// values (told apart by id).
TEST(AvlTest, DifferentialAgainstSet) {
  std::mt19937_64 rng(42);
  Tree t;
  std::set<Key> model;
  std::vector<Item*> live;  // the items currently linked
  const int kOps = 200000;
  for (int op = 0; op < kOps; ++op) {
    const bool growing = (op / 25000) % 2 == 0;
    const bool insert = live.empty() || rng() % 100 < (growing ? 75u : 25u);
    if (insert) {
      const int v = static_cast<int>(rng() % 20000);  // many repeats
      Item* it = t.insert(v);
      live.push_back(it);
      model.insert(key_of(&it->node));
    } else {
      const std::size_t i = rng() % live.size();
      Item* it = live[i];
      live[i] = live.back();
      live.pop_back();
      // The neighbours around a deleted node are each other's neighbours afterwards. The peeks
      // name the nodes the steps move to, and leave the path at the node, for avl_remove_at.
      AvlPath path;
      avl_find_path(t.root, &it->node, item_before, path);
      const AvlNode* peek_before = avl_path_peek_prev(path);
      const AvlNode* peek_after = avl_path_peek_next(path);
      ASSERT_EQ(path.top(), &it->node);
      AvlPath at = path;
      AvlPath other = path;
      AvlNode* before = avl_path_prev(path);
      AvlNode* after = avl_path_next(other);
      ASSERT_EQ(peek_before, before);
      ASSERT_EQ(peek_after, after);
      t.root = avl_remove_at<ItemCount>(t.root, at);
      model.erase(key_of(&it->node));
      if (before) {
        avl_find_path(t.root, before, item_before, path);
        ASSERT_EQ(avl_path_next(path), after);
      }
      if (after) {
        avl_find_path(t.root, after, item_before, path);
        ASSERT_EQ(avl_path_prev(path), before);
      }
    }
    if (op % 5000 == 0 || op == kOps - 1) {
      ASSERT_NO_FATAL_FAILURE(check_against(t, std::vector<Key>(model.begin(), model.end()), rng));
    }
  }
  while (!live.empty()) {
    t.erase(live.back());
    live.pop_back();
    if (live.size() % 1000 == 0) {
      ASSERT_TRUE(avl_check<ItemCount>(t.root));
      ASSERT_EQ(avl_count<ItemCount>(t.root), live.size());
    }
  }
  EXPECT_EQ(t.root, nullptr);
}

// A node removed and linked again (a sorted set's score update) keeps the tree valid.
TEST(AvlTest, RelinkAfterRemove) {
  std::mt19937_64 rng(7);
  Tree t;
  std::vector<Item*> items;
  for (int i = 0; i < 2000; ++i) items.push_back(t.insert(static_cast<int>(rng() % 500)));
  for (int round = 0; round < 5000; ++round) {
    Item* it = items[rng() % items.size()];
    t.erase(it);
    it->value = static_cast<int>(rng() % 500);
    t.root = avl_insert<ItemCount>(t.root, &it->node, item_before);
  }
  std::vector<Key> want;
  for (Item* it : items) want.push_back(key_of(&it->node));
  std::sort(want.begin(), want.end());
  check_against(t, want, rng);
}

// The checker rejects a tree whose bookkeeping is wrong (so the checks above can fail).
TEST(AvlTest, CheckerCatchesCorruption) {
  Tree t;
  for (int i = 0; i < 100; ++i) t.insert(i);
  ASSERT_TRUE(avl_check<ItemCount>(t.root));
  AvlNode* n = avl_at<ItemCount>(t.root, 40);
  Item* it = item_of(n);
  ++it->count;
  EXPECT_FALSE(avl_check<ItemCount>(t.root));
  --it->count;
  n->set_height(n->height() + 1);
  EXPECT_FALSE(avl_check<ItemCount>(t.root));
  n->set_height(n->height() - 1);
  EXPECT_TRUE(avl_check<ItemCount>(t.root));
  // An unbalanced tree with correct heights and counts: a chain of three.
  Item a, b, c;
  a.node.set_right(&b.node);
  b.node.set_right(&c.node);
  c.count = 1;
  b.count = 2;
  b.node.set_height(2);
  a.count = 3;
  a.node.set_height(3);
  EXPECT_FALSE(avl_check<ItemCount>(&a.node));
}

}  // namespace
}  // namespace tally
