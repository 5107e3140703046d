// AVL tree with subtree counts (see avl.h). Rebalancing follows the classic scheme: after a leaf is
// linked or a node unlinked, walk from the changed spot to the root, recomputing height and count at
// each node and rotating where the heights of the two sides differ by 2. The walk always reaches the
// root because every ancestor's count changed; above the first subtree whose height held, it only
// adjusts counts (avl_fix).
#include "avl.h"

#include <algorithm>

namespace tally {
namespace {

void update(AvlNode* n) {
  n->height = 1 + std::max(avl_height(n->left), avl_height(n->right));
  n->count = 1 + avl_count(n->left) + avl_count(n->right);
}

// The link that points at n: its parent's child pointer, or `root_slot` when n is the root.
AvlNode** link_of(AvlNode* n, AvlNode** root_slot) {
  AvlNode* p = n->parent;
  if (!p) return root_slot;
  return p->left == n ? &p->left : &p->right;
}

// Left rotation: n's right child r takes n's place, n becomes r's left child and r's old left
// subtree becomes n's right subtree. In-order sequence is unchanged.
// Returns the subtree's new top (r), whose parent is n's old parent; the caller relinks it.
AvlNode* rotate_left(AvlNode* n) {
  AvlNode* r = n->right;
  AvlNode* inner = r->left;
  n->right = inner;
  if (inner) inner->parent = n;
  r->parent = n->parent;
  r->left = n;
  n->parent = r;
  update(n);
  update(r);
  return r;
}

AvlNode* rotate_right(AvlNode* n) {
  AvlNode* l = n->left;
  AvlNode* inner = l->right;
  n->left = inner;
  if (inner) inner->parent = n;
  l->parent = n->parent;
  l->right = n;
  n->parent = l;
  update(n);
  update(l);
  return l;
}

// n's left side is 2 taller than its right. A left-right shape needs the inner rotation first.
AvlNode* fix_left_heavy(AvlNode* n) {
  if (avl_height(n->left->left) < avl_height(n->left->right)) n->left = rotate_left(n->left);
  return rotate_right(n);
}

AvlNode* fix_right_heavy(AvlNode* n) {
  if (avl_height(n->right->right) < avl_height(n->right->left)) n->right = rotate_right(n->right);
  return rotate_left(n);
}

// Unlinks a node with at most one child by splicing the child into its place.
AvlNode* del_easy(AvlNode* n) {
  AvlNode* child = n->left ? n->left : n->right;
  AvlNode* parent = n->parent;
  if (child) child->parent = parent;
  if (!parent) return child;
  (parent->left == n ? parent->left : parent->right) = child;
  return avl_fix(parent);
}

// Checks one node's links, height, count and balance; recurses (depth <= ~1.44 log2 n).
bool check_node(const AvlNode* n, const AvlNode* parent, uint32_t& height, uint32_t& count) {
  if (!n) {
    height = count = 0;
    return true;
  }
  if (n->parent != parent) return false;
  uint32_t lh = 0, lc = 0, rh = 0, rc = 0;
  if (!check_node(n->left, n, lh, lc) || !check_node(n->right, n, rh, rc)) return false;
  height = 1 + std::max(lh, rh);
  count = 1 + lc + rc;
  if (lh > rh + 1 || rh > lh + 1) return false;
  return n->height == height && n->count == count;
}

}  // namespace

AvlNode* avl_fix(AvlNode* n) {
  AvlNode* root = nullptr;
  for (bool first = true;; first = false) {
    AvlNode** from = link_of(n, &root);
    AvlNode* parent = n->parent;
    const uint32_t old_height = n->height;
    const uint32_t old_count = n->count;
    update(n);
    const uint32_t lh = avl_height(n->left);
    const uint32_t rh = avl_height(n->right);
    if (lh == rh + 2) {
      *from = fix_left_heavy(n);
    } else if (rh == lh + 2) {
      *from = fix_right_heavy(n);
    } else {
      *from = n;
    }
    if (!parent) return *from;
    // A subtree that kept its height without a rotation changes nothing above it but the counts, and
    // those all by the same amount: the rest of the walk adds it without reading the siblings (each a
    // likely cache miss in a large tree). Not on the first step: a fresh leaf's fields are not what its
    // parent counted for it.
    if (!first && *from == n && n->height == old_height) {
      const uint32_t delta = n->count - old_count;  // +1 or -1 (mod 2^32)
      AvlNode* a = parent;
      for (; a->parent; a = a->parent) a->count += delta;
      a->count += delta;
      return a;
    }
    n = parent;
  }
}

AvlNode* avl_del(AvlNode* n) {
  if (!n->left || !n->right) return del_easy(n);
  // Two children: unlink the successor (which has no left child), then put it in n's place. n's
  // fields are current after the rebalancing, since n stayed in the tree throughout.
  AvlNode* victim = avl_first(n->right);
  AvlNode* root = del_easy(victim);
  *victim = *n;
  if (victim->left) victim->left->parent = victim;
  if (victim->right) victim->right->parent = victim;
  *link_of(n, &root) = victim;
  return root;
}

AvlNode* avl_offset(AvlNode* n, int64_t k) {
  int64_t pos = 0;  // rank of n relative to the starting node
  while (pos != k) {
    if (pos < k && pos + avl_count(n->right) >= k) {
      n = n->right;  // target is in the right subtree
      pos += avl_count(n->left) + 1;
    } else if (pos > k && pos - avl_count(n->left) <= k) {
      n = n->left;
      pos -= avl_count(n->right) + 1;
    } else {
      AvlNode* parent = n->parent;  // target is outside this subtree: climb
      if (!parent) return nullptr;
      if (parent->right == n) {
        pos -= avl_count(n->left) + 1;
      } else {
        pos += avl_count(n->right) + 1;
      }
      n = parent;
    }
  }
  return n;
}

std::size_t avl_rank(const AvlNode* n) {
  std::size_t rank = avl_count(n->left);
  for (const AvlNode* p = n->parent; p; n = p, p = p->parent)
    if (p->right == n) rank += avl_count(p->left) + 1;
  return rank;
}

AvlNode* avl_at(AvlNode* n, std::size_t rank) {
  while (n) {
    const std::size_t left = avl_count(n->left);
    if (rank == left) return n;
    if (rank < left) {
      n = n->left;
    } else {
      rank -= left + 1;
      n = n->right;
    }
  }
  return nullptr;
}

AvlNode* avl_first(AvlNode* n) {
  if (!n) return nullptr;
  while (n->left) n = n->left;
  return n;
}

AvlNode* avl_last(AvlNode* n) {
  if (!n) return nullptr;
  while (n->right) n = n->right;
  return n;
}

AvlNode* avl_next(AvlNode* n) {
  if (n->right) return avl_first(n->right);
  AvlNode* p = n->parent;
  while (p && p->right == n) {
    n = p;
    p = p->parent;
  }
  return p;
}

AvlNode* avl_prev(AvlNode* n) {
  if (n->left) return avl_last(n->left);
  AvlNode* p = n->parent;
  while (p && p->left == n) {
    n = p;
    p = p->parent;
  }
  return p;
}

bool avl_check(const AvlNode* root, const AvlNode* parent) {
  uint32_t height = 0, count = 0;
  return check_node(root, parent, height, count);
}

}  // namespace tally
