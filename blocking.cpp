#include "blocking.h"

#include <algorithm>

namespace tally {

void BlockRegistry::add(Client* c, uint64_t id, int worker, std::span<const std::string> keys) {
  std::lock_guard lock(mu_);
  for (const std::string& k : keys) {
    auto& list = by_key_[k];
    bool present = std::any_of(list.begin(), list.end(), [c](const Waiter& w) { return w.client == c; });
    if (!present) list.push_back({c, id, worker});
  }
  waiting_.fetch_add(1, std::memory_order_relaxed);
}

void BlockRegistry::remove(Client* c, std::span<const std::string> keys) {
  std::lock_guard lock(mu_);
  for (const std::string& k : keys) {
    auto it = by_key_.find(k);
    if (it == by_key_.end()) continue;
    std::erase_if(it->second, [c](const Waiter& w) { return w.client == c; });
    if (it->second.empty()) by_key_.erase(it);
  }
  waiting_.fetch_sub(1, std::memory_order_relaxed);
}

void BlockRegistry::signal(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(std::string(key));
  if (it == by_key_.end() || !notify) return;
  for (const Waiter& w : it->second) notify(w.worker, w.client, w.id);
}

void BlockRegistry::signal_all() {
  std::lock_guard lock(mu_);
  if (!notify) return;
  for (auto& [key, list] : by_key_)
    for (const Waiter& w : list) notify(w.worker, w.client, w.id);
}

}  // namespace tally
