// Sorted set: a hash table (member -> node) for O(1) lookup by member, and an AVL tree with subtree
// counts ordered by (score, member) for O(log n) rank, offset and range seeks.
//
// Order (Redis's): ascending score; equal scores by member bytes compared with memcmp over the common
// prefix, the shorter member first when one is a prefix of the other. -0.0 and 0.0 compare equal (the
// score is stored exactly as given). NaN is never stored: callers reject it before calling.
//
// Ownership: each member is one ZNode allocation (header + member bytes, from small_alloc: slab.h),
// linked into both the table and the tree. Only ZSet::remove() and ~ZSet() free a ZNode. A ZNode* stays valid until that node is
// removed or the set destroyed; update_score() keeps the node (no allocation, pointer stays valid).
//
// Thread-safety: none. The key's shard lock guards every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "avl.h"
#include "hashtable.h"
#include "intrusive.h"

namespace tally {

struct ZNode {
  // First, beside the tree links: a descent reads both at every level, and wherever the node starts
  // in a cache line (at a multiple of 8, in its slab slot) they then share the line three times in
  // four (the score after the hash links did once in four).
  double score;
  AvlNode tree;   // linked into ZSet's tree
  // Linked into ZSet's table; hnode.hcode = low 32 bits of hash_bytes(member), and hnode.aux (which
  // the table leaves to its owner) the member's length. The member's bytes follow the struct in the
  // same allocation. A length field of its own made the node 64 bytes, and a 13-byte member then
  // took an 80-byte slab slot (a 96-byte malloc chunk before the slab) instead of a 72-byte one
  // (bench/memory.py's sorted set).
  HNode hnode;

  uint32_t len() const { return hnode.aux; }
  // Bytes of the allocation: the node and the member.
  std::size_t alloc_bytes() const { return sizeof(ZNode) + len(); }
  std::string_view name() const { return {reinterpret_cast<const char*>(this + 1), len()}; }
};
static_assert(sizeof(ZNode) == 56, "a sorted-set member's bytes follow 56 bytes of node");

class ZSet {
 public:
  ZSet();
  ~ZSet();  // frees every node
  ZSet(const ZSet&) = delete;
  ZSet& operator=(const ZSet&) = delete;

  // A deep copy (COPY). The caller owns the result (delete it, or hand it to the keyspace).
  ZSet* clone() const;

  std::size_t size() const { return table_.size(); }
  bool empty() const { return size() == 0; }
  // Bytes owned: every node's slot (small_alloc_size), the table's buckets and the ZSet itself.
  std::size_t memory_bytes() const;

  // The node of `member`, or nullptr if absent. O(1).
  ZNode* find(std::string_view member) const;
  // Adds `member` with `score` and returns its node. REQUIRES: member absent, score not NaN.
  ZNode* insert(std::string_view member, double score);
  // Sets n's score and moves it to its new position. No allocation; n stays valid.
  // REQUIRES: n belongs to this set, score not NaN.
  void update_score(ZNode* n, double score);
  // Unlinks n from the table and the tree and frees it. REQUIRES: n belongs to this set.
  void remove(ZNode* n);

  // Lowest / highest node in order, nullptr when empty.
  ZNode* min() const;
  ZNode* max() const;
  // In-order successor / predecessor, nullptr past the end. O(1) amortised, O(log n) worst case.
  ZNode* next(const ZNode* n) const;
  ZNode* prev(const ZNode* n) const;
  // The node `k` positions after n (before, when k < 0), nullptr if out of range. O(log n).
  ZNode* offset(const ZNode* n, int64_t k) const;

  // The node at 0-based ascending rank, nullptr if rank >= size(). O(log n).
  ZNode* at_rank(std::size_t rank) const;
  // n's 0-based ascending rank (descending rank = size() - 1 - rank_of(n)). O(log n).
  std::size_t rank_of(const ZNode* n) const;

  // Score seeks, O(log n), nullptr if none:
  // first node with score >= min (score > min when exclusive);
  // last node with score <= max (score < max when exclusive).
  ZNode* first_in_score(double min, bool exclusive) const;
  ZNode* last_in_score(double max, bool exclusive) const;

  // Lex seeks, O(log n), meaningful when all scores are equal (as in Redis's ZRANGEBYLEX), since they
  // descend the tree comparing members only. Members compare as in the order above. nullptr if none:
  // first node whose member >= s (> s when exclusive);
  // last node whose member <= s (< s when exclusive).
  ZNode* first_in_lex(std::string_view s, bool exclusive) const;
  ZNode* last_in_lex(std::string_view s, bool exclusive) const;

  // One step of a Redis-style cursor scan over the members (HashTable::scan semantics: a full scan
  // returns every member present throughout it at least once): calls fn(const ZNode*) for the
  // members of the bucket(s) at `cursor` and returns the next cursor, 0 when done.
  template <class Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn) const {
    return table_.scan(cursor, [&fn](HNode* h) { fn(owner_of<ZNode>(h, offsetof(ZNode, hnode))); });
  }

  // Checks the tree (AVL invariants, counts, parents, order) and that table and tree hold the same
  // nodes. For tests: O(n).
  bool check_invariants() const;

 private:
  ZNode* alloc_node(std::string_view member, double score, uint32_t hcode);
  void free_node(ZNode* n);
  void tree_insert(ZNode* n);

  mutable HashTable table_;  // lookups do rehash steps, so const finds still touch it
  AvlNode* root_ = nullptr;
  std::size_t node_bytes_ = 0;  // sum of the nodes' small_alloc_size
};

// Three-way comparison of members in Redis order (memcmp, then shorter first): <0, 0, >0.
int zset_member_cmp(std::string_view a, std::string_view b);

}  // namespace tally
// API-READY
