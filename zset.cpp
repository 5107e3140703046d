// Sorted set (see zset.h): a compact block of entries, or every member one ZNode linked into a hash
// table and an AVL tree. The tree holds no keys of its own: descents here compare (score, member)
// through the owning ZNode.
//
// A compact entry, all of it byte-aligned:
//   [length of the member: LEB128 varint (7 bits a byte, low bits first)]
//   [the member's bytes]
//   [the score: one tag byte, then 0 to 8 bytes]
//       0x00-0xEF  the integer 0..239, no more bytes
//       0xF1-0xF8  an integer in the next 1..8 bytes (0xF0 + k), little-endian two's complement
//       0xF9       the double's 8 bytes, as stored in memory
//     (an integer form for a score that is integral and within 2^53 of 0, so the integer is exact;
//      -0.0 too, which so reads back as 0, as Redis's listpack, which keeps a score's text, has it)
//   [back-length: the entry's length before this field, as a varint written backwards: its last
//    byte holds the low 7 bits, and a byte's top bit says another byte precedes it]
// So an entry can be read forwards from its start and found from its end (walking down), as Redis's
// listpack entries can.
#include "zset.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "config.h"
#include "db.h"
#include "intrusive.h"
#include "slab.h"
#include "varint.h"

namespace tally {
namespace {

ZNode* znode(AvlNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, tree)); }
const ZNode* znode(const AvlNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, tree)); }
const ZNode* znode_of_h(const HNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, hnode)); }
ZNode* znode_of_h(HNode* n) { return owner_of<ZNode>(n, offsetof(ZNode, hnode)); }
ZNode* znode_or_null(AvlNode* n) { return n ? znode(n) : nullptr; }
AvlNode* tree_of(const ZNode* n) { return const_cast<AvlNode*>(&n->tree); }

// The tree's subtree counts live in the member's hash link (avl.h's Count policy).
struct ZCount {
  static uint32_t get(const AvlNode* t) { return znode(t)->hnode.aux; }
  static void set(AvlNode* t, uint32_t count) { znode(t)->hnode.aux = count; }
};

uint32_t member_hash(std::string_view member) {
  return static_cast<uint32_t>(hash_bytes(member.data(), member.size()));
}

std::size_t alloc_size(std::size_t len) { return small_alloc_size(ZNode::bytes_for(len)); }  // a node's slot

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

// The `before` of avl.h's descents by key, for node n's key: every such descent compares n with the
// nodes on its way, so the member's length is decoded once, here.
auto before_key_of(const ZNode* n) {
  return [score = n->score, name = n->name()](const AvlNode*, const AvlNode* b) {
    return before(score, name, znode(b));
  };
}

// The leftmost node satisfying `ok`, where `ok` is monotone along the in-order sequence
// (false...false true...true), or nullptr; `path` is left from the root to it (a cursor, avl.h).
template <class Ok>
AvlNode* first_where(AvlNode* n, AvlPath& path, Ok&& ok) {
  AvlNode* best = nullptr;
  int best_depth = 0;
  path.clear();
  while (n) {
    path.push(n);
    if (ok(znode(n))) {
      best = n;
      best_depth = path.depth;
      n = n->left();
    } else {
      n = n->right();
    }
  }
  path.depth = best_depth;  // best is the last node on the way down where the walk turned left
  return best;
}

// The rightmost node satisfying `ok`, where `ok` is monotone (true...true false...false), or nullptr;
// `path` as above.
template <class Ok>
AvlNode* last_where(AvlNode* n, AvlPath& path, Ok&& ok) {
  AvlNode* best = nullptr;
  int best_depth = 0;
  path.clear();
  while (n) {
    path.push(n);
    if (ok(znode(n))) {
      best = n;
      best_depth = path.depth;
      n = n->right();
    } else {
      n = n->left();
    }
  }
  path.depth = best_depth;
  return best;
}

// Links nodes[lo, hi) (already in order) as a perfectly balanced subtree; returns its root. Sizes of
// sibling subtrees differ by at most one, so their heights do too (a valid AVL tree).
AvlNode* build_balanced(const std::vector<ZNode*>& nodes, std::size_t lo, std::size_t hi) {
  if (lo >= hi) return nullptr;
  const std::size_t mid = lo + (hi - lo) / 2;
  AvlNode* n = &nodes[mid]->tree;
  *n = AvlNode{};
  n->set_left(build_balanced(nodes, lo, mid));
  n->set_right(build_balanced(nodes, mid + 1, hi));
  n->set_height(1 + std::max(avl_height(n->left()), avl_height(n->right())));
  ZCount::set(n, static_cast<uint32_t>(hi - lo));
  return n;
}

// ---- compact entries ----

constexpr unsigned char kScoreIntMax = 0xEF;  // tags 0..kScoreIntMax are the integer itself
constexpr unsigned char kScoreIntBytes = 0xF0;  // + k: an integer in k bytes
constexpr unsigned char kScoreDouble = 0xF9;
constexpr double kExactIntLimit = 9007199254740992.0;  // 2^53

// Writes v backwards: the byte at p[size-1] holds the low 7 bits.
char* put_back_varint(char* p, std::size_t v) {
  const std::size_t n = varint_size(v);
  for (std::size_t i = 0; i < n; ++i) {
    const bool more = i + 1 < n;
    p[n - 1 - i] = static_cast<char>((v & 0x7f) | (more ? 0x80 : 0));
    v >>= 7;
  }
  return p + n;
}

// Reads a backwards varint that ends just before `end`; *start is where it begins.
std::size_t get_back_varint(const char* end, const char** start) {
  std::size_t v = 0;
  const char* p = end;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<unsigned char>(*--p);
    v |= static_cast<std::size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *start = p;
  return v;
}

// Whether the score is stored as an integer, and which.
bool score_as_int(double score, int64_t* out) {
  if (!(std::fabs(score) <= kExactIntLimit) || score != std::trunc(score)) return false;  // NaN, inf too
  *out = static_cast<int64_t>(score);  // -0.0 becomes 0
  return true;
}

// Bytes of an integer in two's complement, little-endian, just enough to sign-extend back.
std::size_t int_bytes(int64_t v) {
  std::size_t k = 1;
  while (k < 8) {
    const int64_t lo = -(int64_t{1} << (8 * k - 1)), hi = (int64_t{1} << (8 * k - 1)) - 1;
    if (v >= lo && v <= hi) break;
    ++k;
  }
  return k;
}

std::size_t score_size(double score) {
  int64_t v;
  if (!score_as_int(score, &v)) return 1 + sizeof(double);
  if (v >= 0 && v <= kScoreIntMax) return 1;
  return 1 + int_bytes(v);
}

char* put_score(char* p, double score) {
  int64_t v;
  if (!score_as_int(score, &v)) {
    *p++ = static_cast<char>(kScoreDouble);
    std::memcpy(p, &score, sizeof score);
    return p + sizeof score;
  }
  if (v >= 0 && v <= kScoreIntMax) {
    *p++ = static_cast<char>(v);
    return p;
  }
  const std::size_t k = int_bytes(v);
  *p++ = static_cast<char>(kScoreIntBytes + k);
  auto u = static_cast<uint64_t>(v);
  for (std::size_t i = 0; i < k; ++i) *p++ = static_cast<char>(u >> (8 * i));
  return p;
}

double get_score(const char*& p) {
  auto tag = static_cast<unsigned char>(*p++);
  if (tag <= kScoreIntMax) return tag;
  if (tag == kScoreDouble) {
    double d;
    std::memcpy(&d, p, sizeof d);
    p += sizeof d;
    return d;
  }
  const std::size_t k = tag - kScoreIntBytes;
  uint64_t u = 0;
  for (std::size_t i = 0; i < k; ++i) u |= static_cast<uint64_t>(static_cast<unsigned char>(*p++)) << (8 * i);
  if (k < 8 && (u >> (8 * k - 1)) & 1) u |= ~uint64_t{0} << (8 * k);  // sign-extend
  return static_cast<double>(static_cast<int64_t>(u));
}

// Bytes of the score field that starts with `tag`.
std::size_t score_field_size(unsigned char tag) {
  if (tag <= kScoreIntMax) return 1;
  return tag == kScoreDouble ? 1 + sizeof(double) : 1 + (tag - kScoreIntBytes);
}

// Bytes of a whole entry.
std::size_t entry_size(std::string_view member, double score) {
  const std::size_t body = varint_size(member.size()) + member.size() + score_size(score);
  return body + varint_size(body);
}

char* put_entry(char* p, std::string_view member, double score) {
  char* start = p;
  p = put_varint(p, member.size());
  if (!member.empty()) std::memcpy(p, member.data(), member.size());
  p = put_score(p + member.size(), score);
  return put_back_varint(p, static_cast<std::size_t>(p - start));
}

// True when (score, member) sorts strictly before the member at p.
bool before(double score, std::string_view member, const ZPos& p) {
  if (score != p.score()) return score < p.score();
  return zset_member_cmp(member, p.member()) < 0;
}

std::atomic<uint64_t> g_max_entries{ZSetLimits{}.entries};
std::atomic<uint64_t> g_max_value{ZSetLimits{}.value};

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

ZSetLimits zset_limits() {
  return {g_max_entries.load(std::memory_order_relaxed), g_max_value.load(std::memory_order_relaxed)};
}

void set_zset_limits(ZSetLimits limits) {
  g_max_entries.store(limits.entries, std::memory_order_relaxed);
  g_max_value.store(limits.value, std::memory_order_relaxed);
}

void publish_zset_limits(const Config& cfg) {
  set_zset_limits({static_cast<uint64_t>(cfg.zset_max_listpack_entries.load(std::memory_order_relaxed)),
                   static_cast<uint64_t>(cfg.zset_max_listpack_value.load(std::memory_order_relaxed))});
}

// ---- the tree form ----

namespace {

// Shape stamps (ZSet::Tree::shape): each thread takes blocks of 2^40 from one counter, so no two
// trees or shapes share one and taking one costs no atomic; 0 is no tree's.
std::atomic<uint64_t> g_stamp_blocks{0};
thread_local uint64_t tl_next_stamp = 0;

uint64_t new_shape() {
  constexpr uint64_t kBlock = uint64_t{1} << 40;
  if (tl_next_stamp % kBlock == 0) tl_next_stamp = (g_stamp_blocks.fetch_add(1, std::memory_order_relaxed) + 1) * kBlock;
  return tl_next_stamp++;
}

// The calling thread's cursor, and the shape of the tree it belongs to.
struct Cursor {
  uint64_t shape = 0;
  AvlPath path;
};
thread_local Cursor tl_cursor;

}  // namespace

ZSet::Tree::Tree() : shape(new_shape()) {}

ZSet::Tree::~Tree() {
  // The table links every node exactly once, so its chain is the cheapest way to visit them all.
  for (HNode* h = table.release_all(); h;) {
    HNode* next = h->next;
    ZNode* n = znode_of_h(h);
    small_free(n, n->alloc_bytes());
    h = next;
  }
}

ZNode* ZSet::Tree::alloc_node(std::string_view member, double score, uint32_t hcode) {
  void* mem = small_alloc(ZNode::bytes_for(member.size()));
  ZNode* n = new (mem) ZNode{};
  n->hnode.hcode = hcode;
  n->score = score;
  char* name = put_varint(reinterpret_cast<char*>(n + 1), member.size());
  if (!member.empty()) std::memcpy(name, member.data(), member.size());
  node_bytes += alloc_size(member.size());
  return n;
}

void ZSet::Tree::free_node(ZNode* n) {
  const std::size_t bytes = n->alloc_bytes();
  node_bytes -= small_alloc_size(bytes);
  small_free(n, bytes);
}

void ZSet::Tree::link(ZNode* n) {
  shape = new_shape();
  root = avl_insert<ZCount>(root, &n->tree, before_key_of(n));
}

void ZSet::Tree::unlink(ZNode* n) {
  // Along the cursor: no descent when the last walk or seek stood at n (a pop, an update_score).
  AvlPath& path = cursor_at(n);
  shape = new_shape();  // the path is used up; the cursor no longer matches
  root = avl_remove_at<ZCount>(root, path);
}

AvlPath& ZSet::Tree::cursor() const {
  if (tl_cursor.shape != shape) {
    tl_cursor.shape = shape;
    tl_cursor.path.clear();
  }
  return tl_cursor.path;
}

AvlPath& ZSet::Tree::cursor_at(const ZNode* n) const {
  AvlPath& c = cursor();
  if (c.top() != &n->tree) avl_find_path(root, tree_of(n), before_key_of(n), c);
  return c;
}

ZNode* ZSet::Tree::insert(std::string_view member, double score) {
  ZNode* n = alloc_node(member, score, member_hash(member));
  table.insert(&n->hnode);
  link(n);
  return n;
}

void ZSet::Tree::remove(ZNode* n) {
  table.remove_node(&n->hnode);
  unlink(n);
  free_node(n);
}

ZNode* ZSet::Tree::remove_and_next(ZNode* n) {
  // The successor is read off the cursor's path before the unlink uses that path up; the next call,
  // for the successor, finds it again by key (the tree's shape changed).
  ZNode* following = znode_or_null(avl_path_peek_next(cursor_at(n)));
  remove(n);
  return following;
}

ZPos ZSet::tree_pos(ZNode* n) const {
  ZPos p;
  if (!n) return p;
  p.node_ = n;
  p.member_ = n->name();
  p.score_ = n->score;
  p.valid_ = true;
  return p;
}

// ---- the compact form ----

ZPos ZSet::entry_at(uint32_t off, uint32_t index) const {
  ZPos p;
  const char* q = block_ptr() + off;
  const std::size_t len = get_varint(q);
  p.member_ = {q, len};
  q += len;
  p.score_ = get_score(q);
  const std::size_t body = static_cast<std::size_t>(q - (block_ptr() + off));
  p.at_ = off;
  p.end_ = static_cast<uint32_t>(off + body + varint_size(body));
  p.index_ = index;
  p.valid_ = true;
  return p;
}

ZPos ZSet::entry_ending_at(uint32_t off, uint32_t index) const {
  const char* back;
  const std::size_t body = get_back_varint(block_ptr() + off, &back);
  return entry_at(static_cast<uint32_t>(back - block_ptr() - body), index);
}

template <class Put>
void ZSet::splice(uint32_t from, uint32_t to, std::size_t add, Put&& put) {
  const std::size_t bytes = bytes_ - (to - from) + add;
  char* block = bytes ? static_cast<char*>(small_alloc(bytes)) : nullptr;
  if (from) std::memcpy(block, block_ptr(), from);
  put(block + from);
  if (bytes_ > to) std::memcpy(block + from + add, block_ptr() + to, bytes_ - to);
  if (block_ptr()) small_free(block_ptr(), bytes_);
  mem_ = block;
  bytes_ = static_cast<uint32_t>(bytes);
}

void ZSet::remove_bytes(uint32_t from, uint32_t to, uint32_t members) {
  splice(from, to, 0, [](char*) {});
  count_ -= members;
}

void ZSet::compact_insert(std::string_view member, double score) {
  uint32_t at = bytes_;
  for (ZPos p = min(); p; p = next(p)) {
    if (before(score, member, p)) {
      at = p.at_;
      break;
    }
  }
  splice(at, at, entry_size(member, score), [&](char* to) { put_entry(to, member, score); });
  ++count_;
}

// ---- both ----


ZSet::~ZSet() {
  if (Tree* t = tree_ptr()) delete t;
  else if (mem_) small_free(mem_, bytes_);
}

std::size_t ZSet::size() const { return tree_ptr() ? tree_ptr()->table.size() : count_; }

ZSet ZSet::clone() const {
  ZSet copy;  // frees what was copied so far if an allocation throws
  if (!tree_ptr()) {
    if (bytes_) {
      copy.mem_ = small_alloc(bytes_);
      std::memcpy(copy.mem_, block_ptr(), bytes_);
      copy.bytes_ = bytes_;
      copy.count_ = count_;
    }
    return copy;
  }
  copy.mem_ = new Tree();
  copy.count_ = kTreeForm;
  Tree& to = *copy.tree_ptr();
  std::vector<ZNode*> nodes;
  nodes.reserve(size());
  AvlPath walk;
  for (AvlNode* t = avl_path_first(tree_ptr()->root, walk); t; t = avl_path_next(walk)) {
    const ZNode* src = znode(t);
    ZNode* n = to.alloc_node(src->name(), src->score, src->hnode.hcode);
    to.table.insert(&n->hnode);
    nodes.push_back(n);
  }
  // The source is already sorted, so the copy's tree is built directly in O(n) instead of n inserts.
  to.root = build_balanced(nodes, 0, nodes.size());
  return copy;
}

std::size_t ZSet::memory_bytes() const {
  if (!tree_ptr()) return bytes_ ? small_alloc_size(bytes_) : 0;
  return sizeof(Tree) + tree_ptr()->node_bytes + tree_ptr()->table.memory_bytes();
}

ZPos ZSet::find(std::string_view member) const {
  if (!tree_ptr()) {
    // Compares members only, skipping each score unread; decodes just the entry found.
    const char* p = block_ptr();
    const char* const end = block_ptr() + bytes_;
    for (uint32_t index = 0; p < end; ++index) {
      const char* start = p;
      const std::size_t len = get_varint(p);
      const bool hit = len == member.size() && (len == 0 || std::memcmp(p, member.data(), len) == 0);
      if (hit) return entry_at(static_cast<uint32_t>(start - block_ptr()), index);
      p += len;
      p += score_field_size(static_cast<unsigned char>(*p));
      p += varint_size(static_cast<std::size_t>(p - start));
    }
    return {};
  }
  HNode* h = tree_ptr()->table.find(member_hash(member),
                               [member](const HNode* n) { return znode_of_h(n)->name() == member; });
  return tree_pos(h ? znode_of_h(h) : nullptr);
}

void ZSet::insert(std::string_view member, double score) {
  if (!tree_ptr()) {
    const ZSetLimits limits = zset_limits();
    if (member.size() <= limits.value && count_ + uint64_t{1} <= limits.entries &&
        bytes_ + entry_size(member, score) <= kMaxCompactBytes) {
      return compact_insert(member, score);
    }
    convert_to_tree();
  }
  tree_ptr()->insert(member, score);
}

void ZSet::update_score(const ZPos& p, double score) {
  if (!tree_ptr()) {
    // The member's bytes are in the entry about to go: it moves through a copy.
    std::string member(p.member());
    remove(p);
    return compact_insert(member, score);
  }
  // An update that leaves the node between its neighbours (equal scores, -0.0/0.0, small moves)
  // needs no tree change at all. Only the neighbour on the side it moves towards can be passed: a
  // walk to the other one (often a cache miss or two) is skipped.
  ZNode* n = p.node_;
  bool in_place;
  if (score == n->score) {
    in_place = true;  // -0.0 and 0.0 compare equal; the score is still stored as given
  } else if (score > n->score) {  // the cursor stays at n, for unlink below
    const AvlNode* q = avl_path_peek_next(tree_ptr()->cursor_at(n));
    in_place = !q || before(score, n->name(), znode(q));
  } else {
    const AvlNode* q = avl_path_peek_prev(tree_ptr()->cursor_at(n));
    in_place = !q || sorts_before(znode(q), score, n->name());
  }
  if (in_place) {
    n->score = score;  // the shape is unchanged: the cursor's path stays valid
    return;
  }
  tree_ptr()->unlink(n);
  n->score = score;
  tree_ptr()->link(n);
}

void ZSet::remove(const ZPos& p) {
  if (tree_ptr()) return tree_ptr()->remove(p.node_);
  remove_bytes(p.at_, p.end_, 1);
}

void ZSet::convert_to_tree() {
  if (tree_ptr()) return;
  auto tree = std::make_unique<Tree>();
  std::vector<ZNode*> nodes;
  nodes.reserve(count_);
  for (ZPos p = min(); p; p = next(p)) {
    ZNode* n = tree->alloc_node(p.member(), p.score(), member_hash(p.member()));
    tree->table.insert(&n->hnode);
    nodes.push_back(n);
  }
  tree->root = build_balanced(nodes, 0, nodes.size());
  if (block_ptr()) small_free(block_ptr(), bytes_);
  mem_ = tree.release();
  bytes_ = 0;
  count_ = kTreeForm;
}

void ZSet::compact_if_fits() {
  if (!tree_ptr()) return;
  const ZSetLimits limits = zset_limits();
  if (size() > limits.entries) return;
  std::size_t bytes = 0;
  AvlPath walk;
  for (AvlNode* t = avl_path_first(tree_ptr()->root, walk); t; t = avl_path_next(walk)) {
    const ZNode* n = znode(t);
    if (n->name().size() > limits.value) return;
    bytes += entry_size(n->name(), n->score);
  }
  if (bytes > kMaxCompactBytes) return;
  char* block = bytes ? static_cast<char*>(small_alloc(bytes)) : nullptr;
  char* p = block;
  for (AvlNode* t = avl_path_first(tree_ptr()->root, walk); t; t = avl_path_next(walk)) p = put_entry(p, znode(t)->name(), znode(t)->score);
  const std::size_t members = size();
  delete tree_ptr();
  mem_ = block;
  bytes_ = static_cast<uint32_t>(bytes);
  count_ = static_cast<uint32_t>(members);
}

ZPos ZSet::min() const {
  if (const Tree* t = tree_ptr()) return tree_pos(znode_or_null(avl_path_first(t->root, t->cursor())));
  return count_ ? entry_at(0, 0) : ZPos{};
}

ZPos ZSet::max() const {
  if (const Tree* t = tree_ptr()) return tree_pos(znode_or_null(avl_path_last(t->root, t->cursor())));
  return count_ ? entry_ending_at(bytes_, count_ - 1) : ZPos{};
}

ZPos ZSet::next(const ZPos& p) const {
  if (const Tree* t = tree_ptr()) return tree_pos(znode_or_null(avl_path_next(t->cursor_at(p.node_))));
  return p.end_ < bytes_ ? entry_at(p.end_, p.index_ + 1) : ZPos{};
}

ZPos ZSet::prev(const ZPos& p) const {
  if (const Tree* t = tree_ptr()) return tree_pos(znode_or_null(avl_path_prev(t->cursor_at(p.node_))));
  return p.at_ > 0 ? entry_ending_at(p.at_, p.index_ - 1) : ZPos{};
}

ZPos ZSet::offset(const ZPos& p, int64_t k) const {
  if (tree_ptr()) {
    const int64_t rank = static_cast<int64_t>(rank_of(p)) + k;
    return rank < 0 ? ZPos{} : at_rank(static_cast<std::size_t>(rank));
  }
  if (k >= 0 ? static_cast<uint64_t>(k) >= count_ - p.index_ : static_cast<uint64_t>(-(k + 1)) >= p.index_) return {};
  ZPos q = p;
  for (; k > 0; --k) q = next(q);
  for (; k < 0; ++k) q = prev(q);
  return q;
}

ZPos ZSet::at_rank(std::size_t rank) const {
  if (const Tree* t = tree_ptr()) return tree_pos(znode_or_null(avl_at<ZCount>(t->root, rank, &t->cursor())));
  if (rank >= count_) return {};
  // From whichever end is nearer.
  return rank < count_ / 2 ? offset(min(), static_cast<int64_t>(rank))
                           : offset(max(), -static_cast<int64_t>(count_ - 1 - rank));
}

std::size_t ZSet::rank_of(const ZPos& p) const {
  return tree_ptr() ? avl_rank<ZCount>(tree_ptr()->root, &p.node_->tree, before_key_of(p.node_)) : p.index_;
}

ZPos ZSet::first_in_score(double min, bool exclusive) const {
  auto ok = [min, exclusive](double s) { return exclusive ? s > min : s >= min; };
  if (!tree_ptr()) {
    for (ZPos p = this->min(); p; p = next(p))
      if (ok(p.score())) return p;
    return {};
  }
  return tree_pos(znode_or_null(first_where(tree_ptr()->root, tree_ptr()->cursor(), [&ok](const ZNode* z) { return ok(z->score); })));
}

ZPos ZSet::last_in_score(double max, bool exclusive) const {
  auto ok = [max, exclusive](double s) { return exclusive ? s < max : s <= max; };
  if (!tree_ptr()) {
    for (ZPos p = this->max(); p; p = prev(p))
      if (ok(p.score())) return p;
    return {};
  }
  return tree_pos(znode_or_null(last_where(tree_ptr()->root, tree_ptr()->cursor(), [&ok](const ZNode* z) { return ok(z->score); })));
}

ZPos ZSet::first_in_lex(std::string_view s, bool exclusive) const {
  auto ok = [s, exclusive](std::string_view m) {
    const int c = zset_member_cmp(m, s);
    return exclusive ? c > 0 : c >= 0;
  };
  if (!tree_ptr()) {
    for (ZPos p = min(); p; p = next(p))
      if (ok(p.member())) return p;
    return {};
  }
  return tree_pos(znode_or_null(first_where(tree_ptr()->root, tree_ptr()->cursor(), [&ok](const ZNode* z) { return ok(z->name()); })));
}

ZPos ZSet::last_in_lex(std::string_view s, bool exclusive) const {
  auto ok = [s, exclusive](std::string_view m) {
    const int c = zset_member_cmp(m, s);
    return exclusive ? c < 0 : c <= 0;
  };
  if (!tree_ptr()) {
    for (ZPos p = max(); p; p = prev(p))
      if (ok(p.member())) return p;
    return {};
  }
  return tree_pos(znode_or_null(last_where(tree_ptr()->root, tree_ptr()->cursor(), [&ok](const ZNode* z) { return ok(z->name()); })));
}

bool ZSet::check_invariants() const {
  if (!tree_ptr()) {
    if ((block_ptr() == nullptr) != (bytes_ == 0) || (bytes_ == 0) != (count_ == 0)) return false;
    ZPos last;
    uint32_t n = 0;
    for (ZPos p = min(); p; p = next(p), ++n) {
      if (p.score() != p.score() || p.index_ != n || p.end_ > bytes_) return false;
      if (last && !before(last.score(), last.member(), p)) return false;
      if (prev(p) ? prev(p).at_ != last.at_ : p.at_ != 0) return false;  // the back-length leads back
      // No duplicate member: find() stops at the first equal member.
      if (find(p.member()).at_ != p.at_) return false;
      last = p;
    }
    return n == count_ && (!last || last.end_ == bytes_);
  }
  if (!avl_check<ZCount>(tree_ptr()->root)) return false;
  if (avl_count<ZCount>(tree_ptr()->root) != size()) return false;
  // The cursor, when it holds a path, is one of the tree as it is: from the root, parent to child.
  if (const AvlPath* c = &tl_cursor.path; tl_cursor.shape == tree_ptr()->shape && c->depth) {
    if (c->node[0] != tree_ptr()->root) return false;
    for (int i = 1; i < c->depth; ++i)
      if (c->node[i] != c->node[i - 1]->left() && c->node[i] != c->node[i - 1]->right()) return false;
  }
  const ZNode* last = nullptr;
  AvlPath walk;
  for (AvlNode* t = avl_path_first(tree_ptr()->root, walk); t; t = avl_path_next(walk)) {
    const ZNode* z = znode(t);
    if (z->score != z->score) return false;  // NaN
    if (last && !sorts_before(last, z->score, z->name())) return false;
    if (z->hnode.hcode != member_hash(z->name()) || find(z->name()).node_ != z) return false;
    last = z;
  }
  return true;
}

namespace {

[[maybe_unused]] const bool registered = register_object_ops(ValueType::kZSet, &InlineObjectOps<ZSet>::kOps);

}  // namespace

}  // namespace tally
