// Intrusive AVL tree with subtree sizes, so rank and offset queries take O(log n).
//
// Nodes are embedded in their owners (sorted-set members). The tree links and unlinks nodes but never
// allocates or frees them; the owner keeps the root pointer and does its own ordered descent to find
// where a new node goes (the tree knows no keys), then calls avl_fix() to rebalance.
//
// Invariants (checked by avl_check()):
// - height(n) = 1 + max(height(left), height(right)), with height(nullptr) = 0;
// - |height(left) - height(right)| <= 1 at every node;
// - count(n) = 1 + count(left) + count(right), with count(nullptr) = 0;
// - child->parent == n for both children of n; root->parent == nullptr.
//
// Thread-safety: none; the owner's lock guards every call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally {

struct AvlNode {
  AvlNode* parent = nullptr;
  AvlNode* left = nullptr;
  AvlNode* right = nullptr;
  uint32_t height = 1;
  uint32_t count = 1;
};

inline uint32_t avl_height(const AvlNode* n) { return n ? n->height : 0; }
inline uint32_t avl_count(const AvlNode* n) { return n ? n->count : 0; }

// Makes n a detached single-node tree.
inline void avl_init(AvlNode* n) {
  n->parent = n->left = n->right = nullptr;
  n->height = 1;
  n->count = 1;
}

// After the caller linked a freshly initialised leaf `n` under its parent (or made it the root),
// updates heights and counts and rebalances on the way up. Returns the new root.
AvlNode* avl_fix(AvlNode* n);

// Unlinks `n` from its tree and returns the new root (nullptr if the tree is now empty).
// n's own links are left unspecified; avl_init() it before reuse.
AvlNode* avl_del(AvlNode* n);

// The node `k` positions away from n in order (k < 0: before), or nullptr if out of range. O(log n).
AvlNode* avl_offset(AvlNode* n, int64_t k);

// n's 0-based in-order index within its whole tree. O(log n).
std::size_t avl_rank(const AvlNode* n);

// The node at 0-based in-order index `rank` of the tree under `root`, nullptr if out of range.
AvlNode* avl_at(AvlNode* root, std::size_t rank);

// Leftmost / rightmost node of the subtree under n (n itself may be nullptr: returns nullptr).
AvlNode* avl_first(AvlNode* n);
AvlNode* avl_last(AvlNode* n);
// In-order successor / predecessor within the whole tree, nullptr at the ends.
AvlNode* avl_next(AvlNode* n);
AvlNode* avl_prev(AvlNode* n);

// Checks the invariants above for the tree under `root` (whose parent must be `parent`). O(n).
bool avl_check(const AvlNode* root, const AvlNode* parent = nullptr);

}  // namespace tally
