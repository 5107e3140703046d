// Sorted set (see zset.h): every member is one ZNode linked into a hash table and an AVL tree.
// The tree holds no keys of its own: descents here compare (score, member) through the owning ZNode.
#include "zset.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "db.h"
#include "intrusive.h"
#include "slab.h"

namespace tally {
namespace {

ZNode* znode(AvlNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, tree)); }
const ZNode* znode(const AvlNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, tree)); }
const ZNode* znode_of_h(const HNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, hnode)); }
ZNode* znode_of_h(HNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, hnode)); }
ZNode* znode_or_null(AvlNode* n) { return n ? znode(n) : nullptr; }
AvlNode* tree_of(const ZNode* n) { return const_cast<AvlNode*>(&n->tree); }

uint32_t member_hash(std::string_view member) {
  return static_cast<uint32_t>(hash_bytes(member.data(), member.size()));
}

std::size_t alloc_size(std::size_t len) { return small_alloc_size(sizeof(ZNode) + len); }  // a node's slot

// True when (score, member) sorts strictly before node n.
bool before(double score, std::string_view member, const ZNode* n) {
  if (score != n->score) return score < n->score;
  return zset_member_cmp(member, n->name()) < 0;
}

// True when node n sorts strictly before (score, member).
bool sorts_before(const ZNode* n, double score, std::string_view member) {
  if (n->score != score) return n->score < score;
  return zset_member_cmp(n->name(), member) < 0;
}

// The leftmost node satisfying `ok`, where `ok` is monotone along the in-order sequence
// (false...false true...true), or nullptr.
template <class Ok>
AvlNode* first_where(AvlNode* n, Ok&& ok) {
  AvlNode* best = nullptr;
  while (n) {
    if (ok(znode(n))) {
      best = n;
      n = n->left;
    } else {
      n = n->right;
    }
  }
  return best;
}

// The rightmost node satisfying `ok`, where `ok` is monotone (true...true false...false), or nullptr.
template <class Ok>
AvlNode* last_where(AvlNode* n, Ok&& ok) {
  AvlNode* best = nullptr;
  while (n) {
    if (ok(znode(n))) {
      best = n;
      n = n->right;
    } else {
      n = n->left;
    }
  }
  return best;
}

// Links nodes[lo, hi) (already in order) as a perfectly balanced subtree under `parent`; returns its
// root. Sizes of sibling subtrees differ by at most one, so their heights do too (a valid AVL tree).
AvlNode* build_balanced(const std::vector<ZNode*>& nodes, std::size_t lo, std::size_t hi, AvlNode* parent) {
  if (lo >= hi) return nullptr;
  const std::size_t mid = lo + (hi - lo) / 2;
  AvlNode* n = &nodes[mid]->tree;
  n->parent = parent;
  n->left = build_balanced(nodes, lo, mid, n);
  n->right = build_balanced(nodes, mid + 1, hi, n);
  n->height = 1 + std::max(avl_height(n->left), avl_height(n->right));
  n->count = static_cast<uint32_t>(hi - lo);
  return n;
}

}  // namespace

int zset_member_cmp(std::string_view a, std::string_view b) {
  const std::size_t common = std::min(a.size(), b.size());
  if (common) {
    const int c = std::memcmp(a.data(), b.data(), common);
    if (c) return c;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

ZSet::ZSet() = default;

ZSet::~ZSet() {
  // The table links every node exactly once, so its chain is the cheapest way to visit them all.
  for (HNode* h = table_.release_all(); h;) {
    HNode* next = h->next;
    ZNode* n = znode_of_h(h);
    small_free(n, n->alloc_bytes());
    h = next;
  }
}

ZNode* ZSet::alloc_node(std::string_view member, double score, uint32_t hcode) {
  void* mem = small_alloc(sizeof(ZNode) + member.size());
  ZNode* n = new (mem) ZNode{};
  n->hnode.hcode = hcode;
  n->score = score;
  n->hnode.aux = static_cast<uint32_t>(member.size());
  if (!member.empty()) std::memcpy(n + 1, member.data(), member.size());
  node_bytes_ += alloc_size(member.size());
  return n;
}

void ZSet::free_node(ZNode* n) {
  node_bytes_ -= alloc_size(n->len());
  small_free(n, n->alloc_bytes());
}

ZSet* ZSet::clone() const {
  auto copy = std::make_unique<ZSet>();  // frees the nodes copied so far if an allocation throws
  std::vector<ZNode*> nodes;
  nodes.reserve(size());
  for (AvlNode* t = avl_first(root_); t; t = avl_next(t)) {
    const ZNode* src = znode(t);
    ZNode* n = copy->alloc_node(src->name(), src->score, src->hnode.hcode);
    copy->table_.insert(&n->hnode);
    nodes.push_back(n);
  }
  // The source is already sorted, so the copy's tree is built directly in O(n) instead of n inserts.
  copy->root_ = build_balanced(nodes, 0, nodes.size(), nullptr);
  return copy.release();
}

std::size_t ZSet::memory_bytes() const { return sizeof(ZSet) + node_bytes_ + table_.memory_bytes(); }

ZNode* ZSet::find(std::string_view member) const {
  HNode* h = table_.find(member_hash(member),
                         [member](const HNode* n) { return znode_of_h(n)->name() == member; });
  return h ? znode_of_h(h) : nullptr;
}

void ZSet::tree_insert(ZNode* n) {
  AvlNode* parent = nullptr;
  AvlNode** from = &root_;
  while (*from) {
    parent = *from;
    from = before(n->score, n->name(), znode(parent)) ? &parent->left : &parent->right;
  }
  avl_init(&n->tree);
  n->tree.parent = parent;
  *from = &n->tree;
  root_ = avl_fix(&n->tree);
}

ZNode* ZSet::insert(std::string_view member, double score) {
  ZNode* n = alloc_node(member, score, member_hash(member));
  table_.insert(&n->hnode);
  tree_insert(n);
  return n;
}

void ZSet::update_score(ZNode* n, double score) {
  // An update that leaves the node between its neighbours (equal scores, -0.0/0.0, small moves)
  // needs no tree change at all. Only the neighbour on the side it moves towards can be passed: a
  // walk to the other one (often a cache miss or two) is skipped.
  bool in_place;
  if (score == n->score) {
    in_place = true;  // -0.0 and 0.0 compare equal; the score is still stored as given
  } else if (score > n->score) {
    const AvlNode* q = avl_next(&n->tree);
    in_place = !q || before(score, n->name(), znode(q));
  } else {
    const AvlNode* p = avl_prev(&n->tree);
    in_place = !p || sorts_before(znode(p), score, n->name());
  }
  if (in_place) {
    n->score = score;
    return;
  }
  root_ = avl_del(&n->tree);
  n->score = score;
  tree_insert(n);
}

void ZSet::remove(ZNode* n) {
  table_.remove_node(&n->hnode);
  root_ = avl_del(&n->tree);
  free_node(n);
}

ZNode* ZSet::min() const { return znode_or_null(avl_first(root_)); }
ZNode* ZSet::max() const { return znode_or_null(avl_last(root_)); }
ZNode* ZSet::next(const ZNode* n) const { return znode_or_null(avl_next(tree_of(n))); }
ZNode* ZSet::prev(const ZNode* n) const { return znode_or_null(avl_prev(tree_of(n))); }
ZNode* ZSet::offset(const ZNode* n, int64_t k) const { return znode_or_null(avl_offset(tree_of(n), k)); }
ZNode* ZSet::at_rank(std::size_t rank) const { return znode_or_null(avl_at(root_, rank)); }
std::size_t ZSet::rank_of(const ZNode* n) const { return avl_rank(&n->tree); }

ZNode* ZSet::first_in_score(double min, bool exclusive) const {
  return znode_or_null(first_where(root_, [min, exclusive](const ZNode* z) {
    return exclusive ? z->score > min : z->score >= min;
  }));
}

ZNode* ZSet::last_in_score(double max, bool exclusive) const {
  return znode_or_null(last_where(root_, [max, exclusive](const ZNode* z) {
    return exclusive ? z->score < max : z->score <= max;
  }));
}

ZNode* ZSet::first_in_lex(std::string_view s, bool exclusive) const {
  return znode_or_null(first_where(root_, [s, exclusive](const ZNode* z) {
    const int c = zset_member_cmp(z->name(), s);
    return exclusive ? c > 0 : c >= 0;
  }));
}

ZNode* ZSet::last_in_lex(std::string_view s, bool exclusive) const {
  return znode_or_null(last_where(root_, [s, exclusive](const ZNode* z) {
    const int c = zset_member_cmp(z->name(), s);
    return exclusive ? c < 0 : c <= 0;
  }));
}

bool ZSet::check_invariants() const {
  if (!avl_check(root_)) return false;
  if (avl_count(root_) != size()) return false;
  const ZNode* last = nullptr;
  for (AvlNode* t = avl_first(root_); t; t = avl_next(t)) {
    const ZNode* z = znode(t);
    if (z->score != z->score) return false;  // NaN
    if (last && !sorts_before(last, z->score, z->name())) return false;
    if (z->hnode.hcode != member_hash(z->name()) || find(z->name()) != z) return false;
    last = z;
  }
  return true;
}

namespace {

void zset_destroy(void* object) { delete static_cast<ZSet*>(object); }
void* zset_clone(const void* object) { return static_cast<const ZSet*>(object)->clone(); }
std::size_t zset_memory(const void* object) { return static_cast<const ZSet*>(object)->memory_bytes(); }
std::size_t zset_length(const void* object) { return static_cast<const ZSet*>(object)->size(); }

const ObjectOps kOps = {zset_destroy, zset_clone, zset_memory, zset_length};
[[maybe_unused]] const bool registered = register_object_ops(ValueType::kZSet, &kOps);

}  // namespace

}  // namespace tally
