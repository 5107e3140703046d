// AVL tree cursor walks (see avl.h); the rest is templates over the owner's count policy, in avl.h.
// Rebalancing follows the classic scheme: after a leaf is linked or a node unlinked, walk from the
// changed spot to the root along the descent's path, recomputing height and count at each node and
// rotating where the heights of the two sides differ by 2; above the first subtree whose height held,
// only the counts change.
#include "avl.h"

namespace tally {

AvlNode* avl_path_first(AvlNode* root, AvlPath& path) {
  path.clear();
  for (AvlNode* n = root; n; n = n->left()) path.push(n);
  return path.top();
}

AvlNode* avl_path_last(AvlNode* root, AvlPath& path) {
  path.clear();
  for (AvlNode* n = root; n; n = n->right()) path.push(n);
  return path.top();
}

AvlNode* avl_path_next(AvlPath& path) {
  if (AvlNode* r = path.top()->right()) {
    for (AvlNode* n = r; n; n = n->left()) path.push(n);
    return path.top();
  }
  // Climb while coming up from a right child: the first ancestor reached from its left is next.
  for (;;) {
    AvlNode* child = path.node[--path.depth];
    if (!path.depth) return nullptr;
    if (path.top()->left() == child) return path.top();
  }
}

AvlNode* avl_path_prev(AvlPath& path) {
  if (AvlNode* l = path.top()->left()) {
    for (AvlNode* n = l; n; n = n->right()) path.push(n);
    return path.top();
  }
  for (;;) {
    AvlNode* child = path.node[--path.depth];
    if (!path.depth) return nullptr;
    if (path.top()->right() == child) return path.top();
  }
}

AvlNode* avl_path_peek_next(const AvlPath& path) {
  if (AvlNode* n = path.top()->right()) {
    while (n->left()) n = n->left();
    return n;
  }
  for (int i = path.depth - 1; i > 0; --i) {
    if (path.node[i - 1]->left() == path.node[i]) return path.node[i - 1];
  }
  return nullptr;
}

AvlNode* avl_path_peek_prev(const AvlPath& path) {
  if (AvlNode* n = path.top()->left()) {
    while (n->right()) n = n->right();
    return n;
  }
  for (int i = path.depth - 1; i > 0; --i) {
    if (path.node[i - 1]->right() == path.node[i]) return path.node[i - 1];
  }
  return nullptr;
}

}  // namespace tally
