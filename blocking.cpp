#include "blocking.h"

#include <algorithm>

namespace tally {

void BlockRegistry::add(Client* c, uint64_t id, int worker, int db, std::span<const std::string> keys) {
  std::lock_guard lock(mu_);
  for (const std::string& k : keys) {
    auto& list = by_key_[k];
    bool present = std::any_of(list.begin(), list.end(), [c](const Waiter& w) { return w.client == c; });
    if (!present) list.push_back({c, id, worker, db});
  }
  waiting_.fetch_add(1, std::memory_order_relaxed);
}

void BlockRegistry::remove(Client* c, std::span<const std::string> keys) {
  std::lock_guard lock(mu_);
  for (const std::string& k : keys) {
    auto it = by_key_.find(k);
    if (it == by_key_.end()) continue;
    std::vector<Waiter>& list = it->second;
    auto pos = std::find_if(list.begin(), list.end(), [c](const Waiter& w) { return w.client == c; });
    if (pos == list.end()) continue;
    const int db = pos->db;
    pos = list.erase(pos);
    // The next waiter in c's database may have left this key's elements to c: it looks again. (Each
    // removal wakes the next, so a chain of waiters that yielded is woken one by one.)
    auto next = std::find_if(pos, list.end(), [db](const Waiter& w) { return w.db == db; });
    if (next != list.end() && notify) notify(next->worker, next->client, next->id);
    if (list.empty()) by_key_.erase(it);
  }
  waiting_.fetch_sub(1, std::memory_order_relaxed);
}

bool BlockRegistry::has_earlier_waiter(std::string_view key, int db, const Client* c) const {
  if (!any()) return false;
  std::lock_guard lock(mu_);
  auto it = by_key_.find(std::string(key));
  if (it == by_key_.end()) return false;
  for (const Waiter& w : it->second) {
    if (w.client == c) return false;
    if (w.db == db) return true;
  }
  return false;
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
