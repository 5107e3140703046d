// Intrusive chained hash table with progressive (incremental) rehashing.
//
// Nodes are embedded in their owners (keyspace entries, hash fields, sorted-set members). The table
// links and unlinks nodes but never allocates or frees them: each owner's comment names the one place
// that frees it. The table only owns its bucket arrays.
//
// Invariants:
// - Bucket counts are powers of two; a node with hash h lives in bucket (h & mask) of exactly one of
//   the two tables. While rehashing, `older_` holds the buckets not yet migrated: every bucket below
//   `migrate_pos_` of `older_` is empty.
// - Every operation that looks a key up, inserts or removes migrates a bounded number of buckets
//   (kRehashStepBuckets, visiting at most kRehashMaxEmptyVisits empty ones), so no single call pays for
//   more than a constant amount of rehash work: there is no pause proportional to the table size.
// - Growth starts when size reaches the bucket count (load factor 1); shrinking starts when the table
//   is less than 1/8 full (never below kMinBuckets).
// - scan() uses Redis's reverse-binary cursor, so a full scan returns every node that was present for
//   the whole scan at least once even if the table grows, shrinks or rehashes between calls.
//
// Thread-safety: none. The owner's lock (a keyspace shard's mutex) guards every call.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>

namespace tally {

struct HNode {
  HNode* next = nullptr;
  uint32_t hcode = 0;  // low 32 bits of the key's 64-bit hash; set by the owner before insert
  uint32_t aux = 0;    // spare bits the owner may use (the keyspace keeps its TTL-heap position here);
                       // the table never reads or writes them
};

class HashTable {
 public:
  static constexpr std::size_t kMinBuckets = 4;
  static constexpr int kRehashStepBuckets = 1;
  static constexpr int kRehashMaxEmptyVisits = 10;

  HashTable() = default;
  ~HashTable() = default;  // frees bucket arrays only; nodes still linked are the owner's to free
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;
  HashTable(HashTable&& other) noexcept;
  HashTable& operator=(HashTable&& other) noexcept;
  void swap(HashTable& other) noexcept;

  std::size_t size() const { return newer_.size + older_.size; }
  bool empty() const { return size() == 0; }
  bool rehashing() const { return older_.buckets != nullptr; }
  std::size_t bucket_count() const { return newer_.mask + 1 + (older_.buckets ? older_.mask + 1 : 0); }
  // Bytes held by the bucket arrays (not the nodes).
  std::size_t memory_bytes() const;

  // Returns the node with this hash for which eq(node) is true, or nullptr. Does one rehash step.
  // Eq: bool(const HNode*).
  template <class Eq>
  HNode* find(uint32_t hcode, Eq&& eq) {
    rehash_step();
    Slot slot = find_slot(hcode, eq);
    return slot.link ? *slot.link : nullptr;
  }

  // Links `node` (its hcode already set). REQUIRES: no node equal to it is present.
  void insert(HNode* node);

  // Callable without the owner's lock, from any thread: asks the CPU to start loading the bucket a
  // lookup of `hcode` reads first, so that a lookup made soon after (pipelined batches, worker.cpp)
  // does not wait for it. It reads only two hint atomics that every change of the bucket array
  // republishes; a racing resize makes them stale, which costs a useless prefetch and nothing else
  // (a prefetch never faults, whatever the address).
  void prefetch_bucket(uint32_t hcode) const {
    if (const void* p = bucket_hint(hcode)) __builtin_prefetch(p);
  }
  // The address prefetch_bucket() loads: where hcode's bucket was at the last change (nullptr: no
  // buckets). Only an address; it may be stale for another thread.
  const void* bucket_hint(uint32_t hcode) const {
    const auto base = reinterpret_cast<std::uintptr_t>(hint_buckets_.load(std::memory_order_relaxed));
    const std::size_t mask = hint_mask_.load(std::memory_order_relaxed);
    return base ? reinterpret_cast<const void*>(base + (hcode & mask) * sizeof(HNode*)) : nullptr;
  }

  // Unlinks and returns the node matching (hcode, eq), or nullptr if absent.
  template <class Eq>
  HNode* remove(uint32_t hcode, Eq&& eq) {
    rehash_step();
    Slot slot = find_slot(hcode, eq);
    if (!slot.link) return nullptr;
    return unlink(slot);
  }

  // Unlinks this exact node. REQUIRES: node is linked in this table.
  void remove_node(HNode* node);

  // Puts `fresh` where `old` is (same key, e.g. after the owner was reallocated); `old` is unlinked.
  // REQUIRES: old is linked here, fresh->hcode == old->hcode.
  void replace(HNode* old, HNode* fresh);

  // Calls fn(HNode*) for every node. fn must not insert or remove (it may read the node).
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Table* t : {&newer_, &older_}) {
      if (!t->buckets) continue;
      for (std::size_t i = 0; i <= t->mask; ++i)
        for (HNode* n = t->buckets[i]; n;) {
          HNode* next = n->next;
          fn(n);
          n = next;
        }
    }
  }

  // One step of a Redis-style scan: calls fn(HNode*) for the nodes of the bucket(s) at `cursor` and
  // returns the next cursor (0 when the scan is complete). Start with cursor 0. fn must not modify.
  template <class Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn) const;

  // Detaches every node and returns them as a chain linked through `next` (nullptr if empty); the
  // table is left empty with minimal buckets. Used to free a whole table off the request path.
  HNode* release_all();

  // A node chosen at random (uniform over buckets, then over the chain), or nullptr if empty.
  // `rnd` supplies random bits.
  HNode* random_node(uint64_t (*rnd)());

  // Migrates up to `buckets` buckets if a rehash is in progress (used by background maintenance).
  // Returns true while rehashing remains to be done.
  bool rehash_some(int buckets);

 private:
  friend struct HashTableTestPeer;  // tests/hashtable_test.cpp checks the invariants above

  // Bucket arrays come zeroed from zeroed_alloc (slab.h): arrays of a page or more are whole pages
  // that arrive as fresh zero pages, so starting a resize does not pay for clearing the new array, and
  // that go back to the kernel when the table has moved on, instead of staying resident as a free
  // chunk of glibc's heap that the next, twice as large, array does not fit in.
  struct Table {
    HNode** buckets = nullptr;  // owned; nullptr: no buckets allocated
    std::size_t mask = 0;       // bucket count - 1
    std::size_t size = 0;       // nodes linked in this table

    Table() = default;
    Table(Table&& other) noexcept;
    Table& operator=(Table&& other) noexcept;
    ~Table() { free_buckets(); }
    // Allocates `count` zeroed buckets. REQUIRES: no buckets allocated.
    void alloc_buckets(std::size_t count);
    void free_buckets();
  };
  // Where a node is linked: the pointer that points at it, and the table that counts it.
  struct Slot {
    Table* table = nullptr;
    HNode** link = nullptr;  // nullptr: not found
  };

  template <class Eq>
  Slot find_slot(uint32_t hcode, Eq& eq) {
    for (Table* t : {&newer_, &older_}) {
      if (!t->buckets) continue;
      for (HNode** from = &t->buckets[hcode & t->mask]; *from; from = &(*from)->next)
        if ((*from)->hcode == hcode && eq(static_cast<const HNode*>(*from))) return {t, from};
    }
    return {};
  }
  Slot find_exact(HNode* node);
  HNode* unlink(Slot slot);  // also fixes size counts and may start a shrink
  void rehash_step() { if (older_.buckets) rehash_some(kRehashStepBuckets); }
  void migrate_bucket(std::size_t index);
  void finish_rehash();
  void maybe_resize();
  void start_resize(std::size_t new_buckets);
  HNode* random_bucket(uint64_t (*rnd)());

  // The scan cursor's successor: increments the bits under `mask` in reversed order, so buckets that
  // split from (or merge into) one bucket of another size are visited together.
  static uint64_t next_cursor(uint64_t cursor, std::size_t mask);
  template <class Fn>
  static void visit_chain(HNode* n, Fn& fn) {
    while (n) {
      HNode* next = n->next;
      fn(n);
      n = next;
    }
  }

  void publish_hints() {  // after every change of newer_'s bucket array: see prefetch_bucket()
    hint_buckets_.store(newer_.buckets, std::memory_order_relaxed);
    hint_mask_.store(newer_.mask, std::memory_order_relaxed);
  }

  // newer_'s buckets and mask, for prefetch_bucket(); first, so they share a cache line with newer_.
  std::atomic<HNode**> hint_buckets_{nullptr};
  std::atomic<std::size_t> hint_mask_{0};
  Table newer_;        // receives inserts
  Table older_;        // being drained into newer_ (buckets == nullptr when not rehashing)
  std::size_t migrate_pos_ = 0;
};

// 64-bit hash of a byte string, seeded per process (set_hash_seed) against hash flooding.
uint64_t hash_bytes(const void* data, std::size_t len);
void set_hash_seed(uint64_t seed);
uint64_t hash_seed();

template <class Fn>
uint64_t HashTable::scan(uint64_t cursor, Fn&& fn) const {
  if (!newer_.buckets) return 0;
  if (!older_.buckets) {
    visit_chain(newer_.buckets[cursor & newer_.mask], fn);
    return next_cursor(cursor, newer_.mask);
  }
  // Every node of small bucket (cursor & small.mask) belongs, by its hash, to one of the large buckets
  // whose low bits equal the cursor's; visiting them all in one call means a node moved between the
  // tables between two calls is still seen in whichever table it sits.
  const Table* small = &newer_;
  const Table* large = &older_;
  if (small->mask > large->mask) std::swap(small, large);
  visit_chain(small->buckets[cursor & small->mask], fn);
  do {
    visit_chain(large->buckets[cursor & large->mask], fn);
    cursor = next_cursor(cursor, large->mask);
  } while (cursor & (small->mask ^ large->mask));
  return cursor;
}

}  // namespace tally
