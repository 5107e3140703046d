// Sorted set, in one of two forms, as Redis keeps them:
//
// - compact (OBJECT ENCODING "listpack"): while the set has at most zset-max-listpack-entries members
//   and none longer than zset-max-listpack-value bytes, its members live in one block, in order,
//   each an entry [varint length][member][score][back-length] (zset.cpp describes the bytes: a score
//   that is a small integer takes one byte, "m0" with score 0 takes five in all). Searched linearly,
//   walked both ways (the back-length leads from an entry's end to its start), resized exactly on
//   every change, as Redis's listpack.
// - tree ("skiplist", Redis's name for its own tree form): a hash table (member -> node) for O(1)
//   lookup by member, and an AVL tree with subtree counts ordered by (score, member) for O(log n) rank,
//   offset and range seeks. Each member is one ZNode allocation (header + member bytes, from
//   small_alloc: slab.h), linked into both. The tree's subtree counts are 32 bits (avl.h), so a set
//   holds fewer than 2^32 members (at 56 bytes each, 240 GB of nodes).
//
// A set starts compact and becomes a tree (never back by itself) in insert(), when the member is
// longer than the value limit or the set would pass the entry limit (Redis 7.0's zsetAdd rules); the
// limits are process-wide (set_zset_limits, from CONFIG) and read at each insert, so a change affects
// later writes only. compact_if_fits() turns a tree back into a block: the commands that build a new
// set (ZUNIONSTORE, ZRANGESTORE...) and loading from the log call it, as Redis converts those.
//
// Order (Redis's): ascending score; equal scores by member bytes compared with memcmp over the common
// prefix, the shorter member first when one is a prefix of the other. -0.0 and 0.0 compare equal. A
// tree stores a score exactly as given, -0.0 too (as Redis's skiplist); the compact form stores -0.0
// as 0 (as Redis's listpack, which keeps a score's text). NaN is never stored: callers reject it.
//
// Positions: find(), min(), next() and the seeks return a ZPos, which carries the member and its
// score. A ZPos is valid until the set next changes (update_score() and remove() take one and use it
// up).
//
// Thread-safety: none. The key's shard lock guards every call. The limits are atomics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "avl.h"
#include "db.h"
#include "hashtable.h"
#include "intrusive.h"
#include "slab.h"
#include "varint.h"

namespace tally {

struct Config;

// zset-max-listpack-entries / zset-max-listpack-value (Redis 7.0's defaults).
struct ZSetLimits {
  uint64_t entries = 128;
  uint64_t value = 64;
};
// The process-wide limits every ZSet::insert() checks. Any thread, any time.
ZSetLimits zset_limits();
void set_zset_limits(ZSetLimits limits);
// Publishes cfg's zset-max-listpack-* values as the process-wide limits (config.cpp calls it on every
// change, flags and config file included).
void publish_zset_limits(const Config& cfg);

// A member of the tree form: 40 bytes, then [varint length][the member's bytes] in the same
// allocation (a slab slot, slab.h). `member:123456` takes a 56-byte slot (bench/memory.py's sorted
// set); with a parent pointer in the tree links and a 4-byte length of its own the node was 56 bytes
// and that member a 72-byte slot.
struct ZNode {
  // First, beside the tree links: a descent reads both at every level.
  double score;
  AvlNode tree;  // linked into the tree (no parent link, the height in the child pointers: avl.h)
  // Linked into the table; hnode.hcode = low 32 bits of hash_bytes(member), and hnode.aux (which
  // the table leaves to its owner) the tree's subtree count for this node (avl.h's Count policy).
  HNode hnode;

  std::string_view name() const {
    const char* p = reinterpret_cast<const char*>(this + 1);
    const std::size_t len = get_varint(p);
    return {p, len};
  }
  // Bytes of the allocation for a member of `len` bytes: the node, the length and the member.
  static std::size_t bytes_for(std::size_t len) { return sizeof(ZNode) + varint_size(len) + len; }
  std::size_t alloc_bytes() const { return bytes_for(name().size()); }
};
static_assert(sizeof(ZNode) == 40, "a sorted-set member's length and bytes follow 40 bytes of node");

// One member of a ZSet and its place in the order (see "Positions" above); false when none.
class ZPos {
 public:
  ZPos() = default;
  explicit operator bool() const { return valid_; }
  std::string_view member() const { return member_; }
  double score() const { return score_; }

 private:
  friend class ZSet;
  std::string_view member_;
  double score_ = 0;
  ZNode* node_ = nullptr;  // tree form
  uint32_t at_ = 0;        // compact form: the entry's offset in the block,
  uint32_t end_ = 0;       // the offset just past it,
  uint32_t index_ = 0;     // and its rank
  bool valid_ = false;
};

class ZSet {
 public:
  // A block never grows past this (Redis's listpack safety limit): an insert that would make it
  // longer converts the set to a tree, whatever the limits say.
  static constexpr std::size_t kMaxCompactBytes = 1u << 30;

  ZSet() noexcept = default;
  ~ZSet();  // frees the block or every node
  // The 16-byte header lives in the keyspace entry (Txn::set_object); alone (a lazily freed set, a
  // command's scratch set) it comes from the slab (slab.h), where malloc would take a 32-byte chunk.
  static void* operator new(std::size_t n) { return small_alloc(n); }
  static void operator delete(void* p, std::size_t n) { small_free(p, n); }
  ZSet(const ZSet&) = delete;
  ZSet& operator=(const ZSet&) = delete;
  // Takes what `other` owns, leaving it empty. The header holds no pointer to itself, so copying its
  // bytes relocates it too (RENAME moves an entry's value that way).
  ZSet(ZSet&& other) noexcept : mem_(other.mem_), bytes_(other.bytes_), count_(other.count_) {
    other.mem_ = nullptr;
    other.bytes_ = 0;
    other.count_ = 0;
  }
  ZSet& operator=(ZSet&&) = delete;

  // A deep copy in the same form (COPY).
  ZSet clone() const;

  bool compact() const { return count_ != kTreeForm; }
  // kListpack or kSkipList (OBJECT ENCODING).
  Encoding encoding() const { return compact() ? Encoding::kListpack : Encoding::kSkipList; }
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // Bytes owned outside the header: its block's slot, or the tree's header, its table's buckets and
  // every node's slot.
  std::size_t memory_bytes() const;

  // `member`'s position, or none. O(1) for a tree, O(n) compact.
  ZPos find(std::string_view member) const;
  // Adds `member` with `score`; may convert the set to a tree (see the top of this file). member may
  // not view this set's own bytes. REQUIRES: member absent, score not NaN.
  void insert(std::string_view member, double score);
  // Sets p's member's score and moves it to its new place. Never converts. A tree node stays where
  // it is in memory (no allocation). REQUIRES: p from this set, score not NaN.
  void update_score(const ZPos& p, double score);
  // Removes p's member. REQUIRES: p from this set.
  void remove(const ZPos& p);
  // Removes `count` members in ascending order starting at `first`, calling fn(member) for each just
  // before it goes. REQUIRES: first from this set, count <= size() - rank_of(first).
  template <class Fn>
  void remove_run(const ZPos& first, std::size_t count, Fn&& fn);
  // Makes the set a tree now (insert() does this when a limit is crossed). No-op on a tree.
  void convert_to_tree();
  // Makes a tree compact again if it fits the limits now (as Redis's zsetConvertToListpackIfNeeded).
  void compact_if_fits();

  // Lowest / highest member in order, none when empty.
  ZPos min() const;
  ZPos max() const;
  // In-order successor / predecessor, none past the end. Tree: O(1) amortised when p is the member
  // the set's last walk or seek returned (a loop of next() from min(), at_rank() or a seek), else
  // O(log n) for the descent to p; compact: O(1).
  ZPos next(const ZPos& p) const;
  ZPos prev(const ZPos& p) const;
  // The member `k` positions after p (before, when k < 0), none if out of range. O(log n) / O(k).
  ZPos offset(const ZPos& p, int64_t k) const;

  // The member at 0-based ascending rank, none if rank >= size(). O(log n) / O(n).
  ZPos at_rank(std::size_t rank) const;
  // p's 0-based ascending rank (descending rank = size() - 1 - rank_of(p)). O(log n) / O(1).
  std::size_t rank_of(const ZPos& p) const;

  // Score seeks, O(log n) / O(n), none if none:
  // first member with score >= min (score > min when exclusive);
  // last member with score <= max (score < max when exclusive).
  ZPos first_in_score(double min, bool exclusive) const;
  ZPos last_in_score(double max, bool exclusive) const;

  // Lex seeks, meaningful when all scores are equal (as in Redis's ZRANGEBYLEX), since they descend
  // the tree comparing members only. Members compare as in the order above. None if none:
  // first member >= s (> s when exclusive);
  // last member <= s (< s when exclusive).
  ZPos first_in_lex(std::string_view s, bool exclusive) const;
  ZPos last_in_lex(std::string_view s, bool exclusive) const;

  // One step of a Redis-style cursor scan over the members: fn(const ZPos&) for the members of the
  // bucket(s) at `cursor` (HashTable::scan semantics: a full scan returns every member present
  // throughout it at least once), or for every member of a compact set at once, in order (Redis
  // answers a listpack's ZSCAN in one reply, whatever the cursor). Returns the next cursor, 0 when
  // done.
  template <class Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn) const;

  // Checks the form's invariants (tree: AVL invariants, counts, parents, order, and that table and
  // tree hold the same nodes; compact: entries decode, in order, no duplicates, counts). For tests: O(n).
  bool check_invariants() const;

 private:
  struct Tree;

  // Tree form.
  ZPos tree_pos(ZNode* n) const;
  // Compact form: the entry at / ending at offset `off`, which has rank `index`.
  ZPos entry_at(uint32_t off, uint32_t index) const;
  ZPos entry_ending_at(uint32_t off, uint32_t index) const;
  // Inserts into the block without checking the limits.
  void compact_insert(std::string_view member, double score);
  // Replaces the block's bytes [from, to) with `add` new bytes written by put(char*), in a block
  // of exactly the new size.
  template <class Put>
  void splice(uint32_t from, uint32_t to, std::size_t add, Put&& put);
  void remove_bytes(uint32_t from, uint32_t to, uint32_t members);

  static constexpr uint32_t kTreeForm = UINT32_MAX;  // count_ in the tree form (a block holds far fewer)
  // The tree, or nullptr in the compact form.
  Tree* tree_ptr() const { return count_ == kTreeForm ? static_cast<Tree*>(mem_) : nullptr; }
  // The block of entries. REQUIRES: the compact form.
  char* block_ptr() const { return static_cast<char*>(mem_); }

  void* mem_ = nullptr;  // compact form: the block (nullptr while empty); tree form: the Tree, owned
  uint32_t bytes_ = 0;   // compact form: the block's length
  uint32_t count_ = 0;   // compact form: its entries; kTreeForm in the tree form
};
static_assert(sizeof(ZSet) == 16, "a small sorted set's header is part of the memory budget");

// The tree form, out of line so that a compact set's header stays 16 bytes.
struct ZSet::Tree {
  Tree();
  ~Tree();  // frees every node
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  ZNode* alloc_node(std::string_view member, double score, uint32_t hcode);
  void free_node(ZNode* n);
  void link(ZNode* n);    // into the tree, by (score, member)
  void unlink(ZNode* n);  // from the tree only
  ZNode* insert(std::string_view member, double score);  // into both
  void remove(ZNode* n);  // from both, and frees it
  ZNode* remove_and_next(ZNode* n);  // remove(n), returning n's successor (nullptr if n was the last)

  // The walk's cursor for this tree: the calling thread's one AvlPath, emptied first unless the last
  // walk on this thread was of this tree in its present shape. cursor_at(n): the cursor standing at
  // n, kept when it is there already (the last walk or seek returned n), else refilled by a descent
  // by n's key.
  AvlPath& cursor() const;
  AvlPath& cursor_at(const ZNode* n) const;

  mutable HashTable table;  // lookups do rehash steps, so const finds still touch it
  AvlNode* root = nullptr;
  std::size_t node_bytes = 0;  // sum of the nodes' small_alloc_size
  // Names this tree in this shape, never reused by another tree or shape (zset.cpp: new_shape()):
  // every link and unlink takes a new one, so a thread's cursor from before no longer matches. The
  // cursor (the path from the root to the node the last walk or seek returned, which next() steps
  // in O(1) amortised, the nodes keeping no parent link) is one per thread, not one per tree: a
  // walk does not cost a set 392 bytes.
  uint64_t shape;
};

template <class Fn>
void ZSet::remove_run(const ZPos& first, std::size_t count, Fn&& fn) {
  if (!first || count == 0) return;
  if (tree_ptr()) {
    ZPos p = first;
    for (std::size_t i = 0; i < count && p; ++i) {
      fn(p.member());
      p = tree_pos(tree_ptr()->remove_and_next(p.node_));  // one descent a member: to the next one
    }
    return;
  }
  uint32_t end = first.at_;
  std::size_t removed = 0;
  for (ZPos p = first; p && removed < count; p = next(p), ++removed) {
    fn(p.member());
    end = p.end_;
  }
  remove_bytes(first.at_, end, static_cast<uint32_t>(removed));
}

template <class Fn>
uint64_t ZSet::scan(uint64_t cursor, Fn&& fn) const {
  if (!tree_ptr()) {
    for (ZPos p = min(); p; p = next(p)) fn(p);
    return 0;
  }
  return tree_ptr()->table.scan(cursor, [this, &fn](HNode* h) { fn(tree_pos(owner_of<ZNode>(h, offsetof(ZNode, hnode)))); });
}

// Three-way comparison of members in Redis order (memcmp, then shorter first): <0, 0, >0.
int zset_member_cmp(std::string_view a, std::string_view b);

}  // namespace tally
// API-READY
