// WATCH's half of the keyspace (db.h): the watches kept in each shard, and the touches that mark
// their clients dirty. Redis 7.0's rules (multi.c): a change to a watched key makes its watchers'
// EXEC fail, except the deletion of a key that had already expired when it was watched; FLUSHDB,
// FLUSHALL and SWAPDB count as changes to the watched keys they empty or replace.
#include <algorithm>

#include "db.h"
#include "hashtable.h"

namespace tally {
namespace {

// Redis's keyIsExpired: the key is stored and its time has passed.
bool stored_but_expired(DbSlot& slot, std::string_view key, uint64_t hash, int64_t now) {
  const Entry* e = slot.find(key, hash);
  return e && e->has_ttl() && past_expiry(slot.ttl.when(e->node.aux), now);
}

uint64_t hash_of(std::string_view key) { return hash_bytes(key.data(), key.size()); }

}  // namespace

void Keyspace::watch(int db, std::string_view key, std::atomic<bool>* dirty, int64_t now) {
  const uint64_t hash = hash_of(key);
  Shard& sh = shard(shard_of(hash));
  watches_.fetch_add(1);  // before the lock: a Txn that locks the shard after us sees it (watching())
  std::lock_guard lock(sh.mu);
  auto it = sh.watched.find(key);
  if (it == sh.watched.end()) it = sh.watched.emplace(std::string(key), std::vector<WatchRef>{}).first;
  it->second.push_back({dirty, db, stored_but_expired(sh.dbs[static_cast<std::size_t>(db)], key, hash, now)});
}

void Keyspace::unwatch(int db, std::string_view key, const std::atomic<bool>* dirty) {
  Shard& sh = shard(shard_of(hash_of(key)));
  std::lock_guard lock(sh.mu);
  auto it = sh.watched.find(key);
  if (it == sh.watched.end()) return;
  std::vector<WatchRef>& refs = it->second;
  auto ref = std::find_if(refs.begin(), refs.end(), [&](const WatchRef& r) { return r.dirty == dirty && r.db == db; });
  if (ref == refs.end()) return;
  refs.erase(ref);
  if (refs.empty()) sh.watched.erase(it);
  watches_.fetch_sub(1);
}

bool Keyspace::watched_key_expired(int db, std::string_view key, const std::atomic<bool>* dirty, int64_t now) {
  const uint64_t hash = hash_of(key);
  Shard& sh = shard(shard_of(hash));
  std::lock_guard lock(sh.mu);
  auto it = sh.watched.find(key);
  if (it == sh.watched.end()) return false;
  for (const WatchRef& r : it->second)
    if (r.dirty == dirty && r.db == db)
      return !r.expired && stored_but_expired(sh.dbs[static_cast<std::size_t>(db)], key, hash, now);
  return false;
}

void Keyspace::touch_watched(Shard& sh, int db, std::string_view key, bool exists) {
  if (sh.watched.empty()) return;
  auto it = sh.watched.find(key);
  if (it == sh.watched.end()) return;
  for (WatchRef& r : it->second) {
    if (r.db != db) continue;
    if (r.expired && !exists) {  // an expired key deleted: no change to what the watcher saw
      r.expired = false;
      continue;
    }
    r.dirty->store(true, std::memory_order_release);
  }
}

void Keyspace::touch_emptied(Shard& sh, int emptied, int replaced_with, int64_t now) {
  DbSlot& from = sh.dbs[static_cast<std::size_t>(emptied)];
  DbSlot* other = replaced_with >= 0 ? &sh.dbs[static_cast<std::size_t>(replaced_with)] : nullptr;
  for (auto& [key, refs] : sh.watched) {
    const uint64_t hash = hash_of(key);
    bool in_emptied = from.find(key, hash) != nullptr;
    bool in_other = other && other->find(key, hash) != nullptr;
    if (!in_emptied && !in_other) continue;
    for (WatchRef& r : refs) {
      if (r.db != emptied) continue;
      if (r.expired) {
        if (!in_other) {  // an expired key deleted
          r.expired = false;
          continue;
        }
        if (stored_but_expired(*other, key, hash, now)) continue;  // expired before and after
      } else if (!in_emptied && stored_but_expired(*other, key, hash, now)) {
        r.expired = true;  // nothing replaced by an expired key
        continue;
      }
      r.dirty->store(true, std::memory_order_release);
    }
  }
}

}  // namespace tally
