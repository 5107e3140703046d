// TTL min-heap: items ordered by expiry time, each item telling its owner where it sits.
//
// Every item carries `ref`, a pointer to a uint32_t inside its owner (a keyspace entry keeps it in its
// hash node's spare bits). The heap keeps *ref equal to the item's current index at all times, so the
// owner can update or remove its item in O(log n) without searching. An owner not in the heap holds
// kNoPos.
//
// The heap never allocates or frees owners. Thread-safety: none; the owning shard's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "slab.h"

namespace tally {

class TtlHeap {
 public:
  static constexpr uint32_t kNoPos = UINT32_MAX;

  struct Item {
    int64_t when_ms;  // absolute unix time in milliseconds
    uint32_t* ref;    // the owner's position field
  };

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const Item& top() const { return items_.front(); }  // REQUIRES: !empty()
  int64_t when(uint32_t pos) const { return items_[pos].when_ms; }
  uint32_t* ref(uint32_t pos) const { return items_[pos].ref; }

  // Adds an item; sets *ref. REQUIRES: *ref == kNoPos.
  void push(int64_t when_ms, uint32_t* ref);
  // Changes the time of the item at pos (moving it up or down).
  void update(uint32_t pos, int64_t when_ms);
  // Removes the item at pos; sets its *ref to kNoPos.
  void remove(uint32_t pos);
  // The owner moved: the item at pos now reports to `ref` (sets *ref = pos).
  void rebind(uint32_t pos, uint32_t* ref);
  // Removes every item (setting each *ref to kNoPos) and releases memory.
  void clear();
  void swap(TtlHeap& other) noexcept { items_.swap(other.items_); }
  std::size_t memory_bytes() const { return items_.capacity() * sizeof(Item); }

  // For tests: checks the heap order and that every *ref matches its index.
  bool check_invariants() const;

 private:
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);
  void place(std::size_t pos, const Item& item) {
    items_[pos] = item;
    *item.ref = static_cast<uint32_t>(pos);
  }

  std::vector<Item, PageBlockAllocator<Item>> items_;  // its outgrown arrays go back to the kernel
};

}  // namespace tally
