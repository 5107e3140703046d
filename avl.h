// Intrusive AVL tree with subtree sizes, so rank queries and seeks by rank take O(log n), in 16 bytes a node.
//
// Nodes are embedded in their owners (sorted-set members). The tree links and unlinks nodes but never
// allocates or frees them, and knows no keys: the owner keeps the root and passes the ordering
// (`before`) to the calls that descend by key.
//
// What a node holds, and where the rest lives:
// - its two child pointers, with the node's height (6 bits, at most 63) split over their low 3 bits
//   (owners are 8-byte aligned; a tree of 2^32 nodes is at most 46 high);
// - no parent pointer. The calls that need a node's ancestors (removal, rank, the walk to the next
//   node) find them by descending from the root by key, into an AvlPath. An owner that walks the
//   tree in order keeps one AvlPath and steps it (avl_path_next), as a cursor: O(1) amortised;
// - no subtree count: the owner keeps it where it has room (a sorted-set member keeps it in its hash
//   link's spare word) and hands the tree a policy class `Count` with
//     static uint32_t get(const AvlNode*);  static void set(AvlNode*, uint32_t);
//   so a tree holds fewer than 2^32 nodes.
// That is 16 bytes where the links with a parent pointer, a height and a count took 32: a sorted set of 1M
// members `member:N` fits each member, its score, both links and its name in a 56-byte slab slot.
//
// Invariants (checked by avl_check()):
// - height(n) = 1 + max(height(left), height(right)), with height(nullptr) = 0;
// - |height(left) - height(right)| <= 1 at every node;
// - count(n) = 1 + count(left) + count(right), with count(nullptr) = 0.
// The key calls REQUIRE a strict order: no two nodes equal under `before` (a sorted set's
// (score, member) is unique), so a descent by a node's key finds that node.
//
// Thread-safety: none; the owner's lock guards every call.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tally {

struct AvlNode {
  static constexpr uintptr_t kTag = 7;  // the low bits of each child pointer: 3 bits of the height

  uintptr_t left_bits = 1;  // a detached node: no children, height 1
  uintptr_t right_bits = 0;

  AvlNode* left() const { return reinterpret_cast<AvlNode*>(left_bits & ~kTag); }
  AvlNode* right() const { return reinterpret_cast<AvlNode*>(right_bits & ~kTag); }
  unsigned height() const { return static_cast<unsigned>((left_bits & kTag) | (right_bits & kTag) << 3); }
  void set_left(AvlNode* n) { left_bits = reinterpret_cast<uintptr_t>(n) | (left_bits & kTag); }
  void set_right(AvlNode* n) { right_bits = reinterpret_cast<uintptr_t>(n) | (right_bits & kTag); }
  void set_height(unsigned h) {
    left_bits = (left_bits & ~kTag) | (h & kTag);
    right_bits = (right_bits & ~kTag) | ((h >> 3) & kTag);
  }
};
static_assert(sizeof(AvlNode) == 16, "two tagged child pointers");

// A tree of n < 2^32 nodes is at most 1.44 log2(n + 2) - 0.33 < 46 high.
constexpr int kAvlMaxHeight = 48;

// Nodes from the root down (node[0] is the root), as a descent left them: the ancestors of the last.
struct AvlPath {
  AvlNode* node[kAvlMaxHeight];
  int depth = 0;

  AvlNode* top() const { return depth ? node[depth - 1] : nullptr; }
  void push(AvlNode* n) { node[depth++] = n; }
  void clear() { depth = 0; }
};

inline unsigned avl_height(const AvlNode* n) { return n ? n->height() : 0; }
template <class Count>
uint32_t avl_count(const AvlNode* n) { return n ? Count::get(n) : 0; }

// Cursor walks. avl_path_first/last fill `path` down to the first / last node of the tree and
// return it; avl_path_next/prev move path's top to its in-order successor / predecessor and return
// it, or return nullptr (and empty the path) past the end. REQUIRES (next/prev): path is a root-down
// path of the tree as it is now.
AvlNode* avl_path_first(AvlNode* root, AvlPath& path);
AvlNode* avl_path_last(AvlNode* root, AvlPath& path);
AvlNode* avl_path_next(AvlPath& path);
AvlNode* avl_path_prev(AvlPath& path);
// The node avl_path_next / avl_path_prev would move to, leaving path as it is.
AvlNode* avl_path_peek_next(const AvlPath& path);
AvlNode* avl_path_peek_prev(const AvlPath& path);

// Fills `path` from the root down to n, by key. REQUIRES: n is in the tree.
// Before: bool(const AvlNode* a, const AvlNode* b), true when a sorts strictly before b.
template <class Before>
void avl_find_path(AvlNode* root, AvlNode* n, Before&& before, AvlPath& path) {
  path.clear();
  for (AvlNode* cur = root;;) {
    path.push(cur);
    if (cur == n) return;
    cur = before(n, cur) ? cur->left() : cur->right();
  }
}

// The node at 0-based in-order index `rank` (nullptr if out of range), with the path to it in `path`
// when one is given.
template <class Count>
AvlNode* avl_at(AvlNode* root, std::size_t rank, AvlPath* path = nullptr) {
  if (path) path->clear();
  for (AvlNode* n = root; n;) {
    if (path) path->push(n);
    const std::size_t left = avl_count<Count>(n->left());
    if (rank == left) return n;
    if (rank < left) {
      n = n->left();
    } else {
      rank -= left + 1;
      n = n->right();
    }
  }
  if (path) path->clear();
  return nullptr;
}

// n's 0-based in-order index, by a descent by key. REQUIRES: n is in the tree.
template <class Count, class Before>
std::size_t avl_rank(const AvlNode* root, const AvlNode* n, Before&& before) {
  std::size_t rank = 0;
  for (const AvlNode* cur = root; cur != n;) {
    if (before(n, cur)) {
      cur = cur->left();
    } else {
      rank += avl_count<Count>(cur->left()) + 1;
      cur = cur->right();
    }
  }
  return rank + avl_count<Count>(n->left());
}

namespace avl_detail {

template <class Count>
void update(AvlNode* n) {
  n->set_height(1 + std::max(avl_height(n->left()), avl_height(n->right())));
  Count::set(n, 1 + avl_count<Count>(n->left()) + avl_count<Count>(n->right()));
}

// Left rotation: n's right child r takes n's place, n becomes r's left child and r's old left
// subtree n's right one. The in-order sequence is unchanged. Returns the subtree's new top.
template <class Count>
AvlNode* rotate_left(AvlNode* n) {
  AvlNode* r = n->right();
  n->set_right(r->left());
  r->set_left(n);
  update<Count>(n);
  update<Count>(r);
  return r;
}

template <class Count>
AvlNode* rotate_right(AvlNode* n) {
  AvlNode* l = n->left();
  n->set_left(l->right());
  l->set_right(n);
  update<Count>(n);
  update<Count>(l);
  return l;
}

// Recomputes n's height and count and rotates if its sides differ by 2 (a left-right or right-left
// shape takes the inner rotation first). Returns the subtree's top.
template <class Count>
AvlNode* rebalance(AvlNode* n) {
  AvlNode* l = n->left();
  AvlNode* r = n->right();
  const unsigned lh = avl_height(l);
  const unsigned rh = avl_height(r);
  if (lh == rh + 2) {
    if (avl_height(l->left()) < avl_height(l->right())) n->set_left(rotate_left<Count>(l));
    return rotate_right<Count>(n);
  }
  if (rh == lh + 2) {
    if (avl_height(r->right()) < avl_height(r->left())) n->set_right(rotate_right<Count>(r));
    return rotate_left<Count>(n);
  }
  n->set_height(1 + std::max(lh, rh));
  Count::set(n, 1 + avl_count<Count>(l) + avl_count<Count>(r));
  return n;
}

// Makes path's node at index i (or the root, at index 0) `child`'s place: the parent's link that
// pointed at `old` now points at `child`.
inline void relink(AvlPath& path, int i, AvlNode* old, AvlNode* child, AvlNode*& root) {
  if (i == 0) {
    root = child;
    return;
  }
  AvlNode* parent = path.node[i - 1];
  if (parent->left() == old) parent->set_left(child);
  else parent->set_right(child);
}

// After a node was linked or unlinked below path's last node, walks the path up: rebalancing each
// node, and once a subtree kept its height without a rotation, only adding `delta` (+1 or -1) to the
// counts above it, without reading their other children (each a likely cache miss in a large tree).
// Returns the root.
template <class Count>
AvlNode* fix_path(AvlPath& path, AvlNode* root, int32_t delta) {
  int i = path.depth - 1;
  for (; i >= 0; --i) {
    AvlNode* n = path.node[i];
    const unsigned old_height = n->height();
    AvlNode* top = rebalance<Count>(n);
    if (top != n) relink(path, i, n, top, root);
    if (top == n && n->height() == old_height) break;
  }
  for (--i; i >= 0; --i) Count::set(path.node[i], Count::get(path.node[i]) + static_cast<uint32_t>(delta));
  return root;
}

}  // namespace avl_detail

// Links n (detached: fresh or unlinked) where `before` puts it and rebalances; returns the new root.
// REQUIRES: no node of the tree equal to n.
template <class Count, class Before>
AvlNode* avl_insert(AvlNode* root, AvlNode* n, Before&& before) {
  AvlPath path;
  *n = AvlNode{};
  Count::set(n, 1);
  path.clear();
  bool left = false;
  for (AvlNode* cur = root; cur; cur = left ? cur->left() : cur->right()) {
    path.push(cur);
    left = before(n, cur);
  }
  if (!path.depth) return n;
  if (left) path.top()->set_left(n);
  else path.top()->set_right(n);
  return avl_detail::fix_path<Count>(path, root, +1);
}

// Unlinks path's top node n and rebalances; returns the new root (nullptr if the tree is now
// empty). n's links and path are left unspecified. REQUIRES: path is the root-down path to n in the
// tree as it is now (as avl_find_path or a cursor walk leaves it).
template <class Count>
AvlNode* avl_remove_at(AvlNode* root, AvlPath& path) {
  const int i = path.depth - 1;  // n's index
  AvlNode* n = path.node[i];
  if (!n->left() || !n->right()) {
    avl_detail::relink(path, i, n, n->left() ? n->left() : n->right(), root);
    path.depth = i;  // rebalance from n's parent up
    return avl_detail::fix_path<Count>(path, root, -1);
  }
  // Two children: the successor s (leftmost of the right subtree, no left child of its own) leaves
  // its spot to its right child and takes n's place, with n's links, height and count.
  for (AvlNode* s = n->right(); s; s = s->left()) path.push(s);
  AvlNode* s = path.top();
  const int below = path.depth - 2;  // s's parent's index: n itself when s is n's right child
  if (below == i) n->set_right(s->right());
  else path.node[below]->set_left(s->right());
  s->left_bits = n->left_bits;
  s->right_bits = n->right_bits;
  Count::set(s, Count::get(n));
  avl_detail::relink(path, i, n, s, root);
  path.node[i] = s;
  path.depth = below + 1;  // rebalance from s's old parent up
  return avl_detail::fix_path<Count>(path, root, -1);
}

namespace avl_detail {

template <class Count>
bool check_node(const AvlNode* n, unsigned& height, uint32_t& count) {
  if (!n) {
    height = count = 0;
    return true;
  }
  unsigned lh = 0, rh = 0;
  uint32_t lc = 0, rc = 0;
  if (!check_node<Count>(n->left(), lh, lc) || !check_node<Count>(n->right(), rh, rc)) return false;
  height = 1 + std::max(lh, rh);
  count = 1 + lc + rc;
  if (lh > rh + 1 || rh > lh + 1) return false;
  return n->height() == height && Count::get(n) == count;
}

}  // namespace avl_detail

// Checks the invariants above for the tree under `root` (heights, balance, counts). O(n).
template <class Count>
bool avl_check(const AvlNode* root) {
  unsigned height = 0;
  uint32_t count = 0;
  return avl_detail::check_node<Count>(root, height, count);
}

}  // namespace tally
