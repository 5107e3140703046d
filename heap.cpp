// Binary min-heap of expiry times (see heap.h). Invariant: items_[i].when_ms >= items_[(i-1)/2].when_ms,
// and *items_[i].ref == i for every i. Every store into items_ goes through place(), which keeps the
// second half of that invariant, so sift_up/sift_down move a "hole" rather than swapping pairs.
#include "heap.h"

namespace tally {

void TtlHeap::push(int64_t when_ms, uint32_t* ref) {
  items_.push_back({when_ms, ref});
  *ref = static_cast<uint32_t>(items_.size() - 1);
  sift_up(items_.size() - 1);
}

void TtlHeap::update(uint32_t pos, int64_t when_ms) {
  const int64_t before = items_[pos].when_ms;
  items_[pos].when_ms = when_ms;
  if (when_ms < before) {
    sift_up(pos);
  } else {
    sift_down(pos);
  }
}

void TtlHeap::remove(uint32_t pos) {
  *items_[pos].ref = kNoPos;
  const Item last = items_.back();
  items_.pop_back();
  if (pos == items_.size()) return;  // removed the last slot: nothing to fill
  // The last item may belong above or below the hole, depending on which subtree it came from.
  const int64_t removed_when = items_[pos].when_ms;
  place(pos, last);
  if (last.when_ms < removed_when) {
    sift_up(pos);
  } else {
    sift_down(pos);
  }
}

void TtlHeap::rebind(uint32_t pos, uint32_t* ref) {
  items_[pos].ref = ref;
  *ref = pos;
}

void TtlHeap::clear() {
  for (const Item& item : items_) *item.ref = kNoPos;
  decltype(items_)().swap(items_);
}

bool TtlHeap::check_invariants() const {
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (*items_[i].ref != i) return false;
    if (i > 0 && items_[(i - 1) / 2].when_ms > items_[i].when_ms) return false;
  }
  return true;
}

void TtlHeap::sift_up(std::size_t pos) {
  const Item item = items_[pos];
  while (pos > 0) {
    std::size_t parent = (pos - 1) / 2;
    if (items_[parent].when_ms <= item.when_ms) break;
    place(pos, items_[parent]);
    pos = parent;
  }
  place(pos, item);
}

void TtlHeap::sift_down(std::size_t pos) {
  const Item item = items_[pos];
  const std::size_t n = items_.size();
  for (;;) {
    std::size_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && items_[child + 1].when_ms < items_[child].when_ms) ++child;
    if (item.when_ms <= items_[child].when_ms) break;
    place(pos, items_[child]);
    pos = child;
  }
  place(pos, item);
}

}  // namespace tally
