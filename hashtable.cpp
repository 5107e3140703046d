// Intrusive hash table with progressive rehashing (see hashtable.h for the invariants), and the
// process-wide seeded byte hash that keys are hashed with.
//
// Resizing: a resize moves the current table to `older_` and allocates a fresh `newer_`; from then on
// every lookup, insert and remove migrates one bucket of `older_` (skipping at most
// kRehashMaxEmptyVisits empty ones), in index order, so `migrate_pos_` splits `older_` into a drained
// prefix and a live suffix. A second resize never starts while one is running: the table only asks
// for more rehash steps, so no call does work proportional to the table's size (release_all aside).
#include "hashtable.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include "slab.h"

namespace tally {

namespace {

// Random sampling finds a non-empty bucket within a few tries at the load factors the table keeps;
// after this many misses (a tiny table, or a poor `rnd`) random_node walks to the next one instead.
constexpr int kRandomTries = 64;

uint64_t reverse_bits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
  return __builtin_bswap64(v);
}

}  // namespace

HashTable::Table::Table(Table&& other) noexcept
    : buckets(std::exchange(other.buckets, nullptr)),
      mask(std::exchange(other.mask, 0)),
      size(std::exchange(other.size, 0)) {}

HashTable::Table& HashTable::Table::operator=(Table&& other) noexcept {
  if (this != &other) {
    free_buckets();
    buckets = std::exchange(other.buckets, nullptr);
    mask = std::exchange(other.mask, 0);
    size = std::exchange(other.size, 0);
  }
  return *this;
}

void HashTable::Table::alloc_buckets(std::size_t count) {
  buckets = static_cast<HNode**>(zeroed_alloc(count * sizeof(HNode*)));
  mask = count - 1;
}

void HashTable::Table::free_buckets() {
  if (buckets) zeroed_free(buckets, (mask + 1) * sizeof(HNode*));
  buckets = nullptr;
}

HashTable::HashTable(HashTable&& other) noexcept { swap(other); }

HashTable& HashTable::operator=(HashTable&& other) noexcept {
  HashTable tmp(std::move(other));
  swap(tmp);
  return *this;
}

void HashTable::swap(HashTable& other) noexcept {
  std::swap(newer_, other.newer_);
  std::swap(older_, other.older_);
  std::swap(migrate_pos_, other.migrate_pos_);
  publish_hints();
  other.publish_hints();
}

std::size_t HashTable::memory_bytes() const {
  std::size_t bytes = 0;
  for (const Table* t : {&newer_, &older_})
    if (t->buckets) bytes += (t->mask + 1) * sizeof(HNode*);
  return bytes;
}

void HashTable::insert(HNode* node) {
  if (!newer_.buckets) {
    newer_.alloc_buckets(kMinBuckets);
    publish_hints();
  }
  rehash_step();
  HNode*& head = newer_.buckets[node->hcode & newer_.mask];
  node->next = head;
  head = node;
  ++newer_.size;
  maybe_resize();
}

void HashTable::remove_node(HNode* node) {
  rehash_step();
  unlink(find_exact(node));
}

void HashTable::replace(HNode* old, HNode* fresh) {
  Slot slot = find_exact(old);
  fresh->next = old->next;
  *slot.link = fresh;
  old->next = nullptr;
}

HashTable::Slot HashTable::find_exact(HNode* node) {
  for (Table* t : {&newer_, &older_}) {
    if (!t->buckets) continue;
    for (HNode** from = &t->buckets[node->hcode & t->mask]; *from; from = &(*from)->next)
      if (*from == node) return {t, from};
  }
  std::abort();  // REQUIRES violated: the node is not linked here, and the caller's state is corrupt
}

HNode* HashTable::unlink(Slot slot) {
  HNode* node = *slot.link;
  *slot.link = node->next;
  node->next = nullptr;
  --slot.table->size;
  if (older_.buckets && older_.size == 0) finish_rehash();
  maybe_resize();
  return node;
}

HNode* HashTable::release_all() {
  HNode* chain = nullptr;
  for (Table* t : {&newer_, &older_}) {
    if (!t->buckets) continue;
    for (std::size_t i = 0; i <= t->mask; ++i)
      for (HNode* n = t->buckets[i]; n;) {
        HNode* next = n->next;
        n->next = chain;
        chain = n;
        n = next;
      }
  }
  older_ = Table{};
  migrate_pos_ = 0;
  newer_ = Table{};
  newer_.alloc_buckets(kMinBuckets);
  publish_hints();
  return chain;
}

HNode* HashTable::random_node(uint64_t (*rnd)()) {
  if (empty()) return nullptr;
  HNode* head = random_bucket(rnd);
  std::size_t len = 0;
  for (HNode* n = head; n; n = n->next) ++len;
  for (uint64_t skip = rnd() % len; skip > 0; --skip) head = head->next;
  return head;
}

// Returns the head of a non-empty bucket, drawn uniformly from the buckets that can hold nodes: all
// of `newer_` and the undrained part of `older_`. REQUIRES: !empty().
HNode* HashTable::random_bucket(uint64_t (*rnd)()) {
  const std::size_t new_count = newer_.mask + 1;
  const std::size_t old_count = older_.buckets ? older_.mask + 1 - migrate_pos_ : 0;
  const std::size_t total = new_count + old_count;
  auto bucket = [&](std::size_t i) -> HNode* {
    return i < new_count ? newer_.buckets[i] : older_.buckets[migrate_pos_ + (i - new_count)];
  };
  std::size_t i = 0;
  for (int tries = 0; tries < kRandomTries; ++tries) {
    i = rnd() % total;
    if (HNode* head = bucket(i)) return head;
  }
  for (;;) {  // terminates: some bucket is non-empty
    i = (i + 1) % total;
    if (HNode* head = bucket(i)) return head;
  }
}

bool HashTable::rehash_some(int buckets) {
  if (!older_.buckets) return false;
  long empty_left = static_cast<long>(buckets) * kRehashMaxEmptyVisits;
  for (int n = 0; n < buckets && older_.size > 0; ++n) {
    // A non-empty bucket lies at or after migrate_pos_ because older_.size > 0.
    while (!older_.buckets[migrate_pos_]) {
      ++migrate_pos_;
      if (--empty_left == 0) return true;
    }
    migrate_bucket(migrate_pos_);
    ++migrate_pos_;
  }
  if (older_.size > 0) return true;
  finish_rehash();
  // A load change during the rehash may already call for the next resize; starting it now keeps
  // a table that is not rehashing within its load bounds.
  maybe_resize();
  return rehashing();
}

void HashTable::migrate_bucket(std::size_t index) {
  HNode* n = older_.buckets[index];
  older_.buckets[index] = nullptr;
  while (n) {
    HNode* next = n->next;
    HNode*& head = newer_.buckets[n->hcode & newer_.mask];
    n->next = head;
    head = n;
    --older_.size;
    ++newer_.size;
    n = next;
  }
}

void HashTable::finish_rehash() {
  older_ = Table{};
  migrate_pos_ = 0;
}

void HashTable::maybe_resize() {
  if (!newer_.buckets) return;
  const std::size_t buckets = newer_.mask + 1;
  if (older_.buckets) {
    // Only inserts during a shrink can overload newer_; migrating faster ends the shrink sooner, and
    // the growth this load calls for starts with the first insert after it.
    if (newer_.size >= buckets) rehash_some(kRehashStepBuckets);
    return;
  }
  if (newer_.size >= buckets) {
    start_resize(buckets * 2);
  } else if (buckets > kMinBuckets && newer_.size * 8 < buckets) {
    // Land at a load of 1/4..1/2: far from both thresholds, so a few inserts or removes right after a
    // shrink do not start another resize.
    start_resize(std::max(kMinBuckets, std::bit_ceil(newer_.size * 2)));
  }
}

void HashTable::start_resize(std::size_t new_buckets) {
  Table fresh;
  fresh.alloc_buckets(new_buckets);
  older_ = std::move(newer_);
  newer_ = std::move(fresh);
  publish_hints();
  migrate_pos_ = 0;
  if (older_.size == 0) finish_rehash();
}

uint64_t HashTable::next_cursor(uint64_t cursor, std::size_t mask) {
  // Setting the bits above the mask makes the increment carry straight out of the masked bits.
  cursor |= ~static_cast<uint64_t>(mask);
  cursor = reverse_bits(cursor);
  ++cursor;
  return reverse_bits(cursor);
}

// ---- hash_bytes ----
//
// Design: a 64-bit state absorbs the input one little-endian word at a time. Each word is first
// scrambled on its own (odd multiply, xor-shift: a bijection, so distinct words never cancel) and
// then folded into the state with an xor, a rotate and a second odd multiply, which spreads every
// input bit over the state's upper bits; the rotate brings those back down for the next word. The
// length enters the initial state, so inputs that differ only by trailing zero bytes differ. A final
// xor-shift/multiply cascade gives every output bit a dependence on every state bit.

namespace {

std::atomic<uint64_t> g_hash_seed{0x6a3f1c29e4d58b17ULL};

constexpr uint64_t kLenMul = 0xb7c4f0ad2e9613c5ULL;
constexpr uint64_t kWordMul = 0xc2d5a7e3f1964b2dULL;
constexpr uint64_t kStateMul = 0x9f4e2b7c5ad1e86bULL;
constexpr uint64_t kFinalMul1 = 0xe8b1c46d3a95f727ULL;
constexpr uint64_t kFinalMul2 = 0xa56c3e9d71f28b4bULL;

uint64_t load_word(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// The last len % 8 bytes, zero-padded; reads none past the end.
uint64_t load_tail(const unsigned char* p, std::size_t n) {
  uint64_t w = 0;
  for (std::size_t i = 0; i < n; ++i) w |= static_cast<uint64_t>(p[i]) << (8 * i);
  return w;
}

uint64_t absorb(uint64_t state, uint64_t word) {
  word *= kWordMul;
  word ^= word >> 31;
  return std::rotl(state ^ word, 23) * kStateMul;
}

uint64_t finalize(uint64_t h) {
  h ^= h >> 33;
  h *= kFinalMul1;
  h ^= h >> 29;
  h *= kFinalMul2;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t hash_bytes(const void* data, std::size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = g_hash_seed.load(std::memory_order_relaxed) ^ ((len + 1) * kLenMul);
  std::size_t words = len / 8;
  for (std::size_t i = 0; i < words; ++i) h = absorb(h, load_word(p + 8 * i));
  if (std::size_t rest = len % 8) h = absorb(h, load_tail(p + 8 * words, rest));
  return finalize(h);
}

void set_hash_seed(uint64_t seed) { g_hash_seed.store(seed, std::memory_order_relaxed); }
uint64_t hash_seed() { return g_hash_seed.load(std::memory_order_relaxed); }

}  // namespace tally
