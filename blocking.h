// Clients blocked on keys (BZPOPMIN, BZPOPMAX, BZMPOP) and the writes that wake them.
//
// A blocked client stays owned by its worker; the registry only remembers which keys it waits for.
// After any write command, dispatch() signals the keys the command may have filled; each waiter of
// such a key is handed to its worker (notify), which re-runs the blocked command: it either replies
// (the client is unblocked) or asks to block again. Wake-ups may be spurious but are never lost: the
// worker re-runs a command once right after registering its waiter, which covers a write that landed
// between "found nothing" and "registered".
//
// Thread-safety: every method is thread-safe; the registry's mutex is never held while calling
// into a worker other than through `notify`, which must only queue and wake.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tally {

struct Client;

class BlockRegistry {
 public:
  // Called with (worker, client, client id) for each waiter of a signalled key; set by the server.
  std::function<void(int, Client*, uint64_t)> notify;

  void add(Client* c, uint64_t id, int worker, int db, std::span<const std::string> keys);
  // Forgets c's registrations; for each key, wakes the next waiter in c's database, which may have
  // left the key's elements to c (has_earlier_waiter).
  void remove(Client* c, std::span<const std::string> keys);
  // Whether `key` has a waiter in database `db` that blocked before c (any such waiter when c does
  // not wait for `key`): a blocking pop that finds the key filled leaves it to that waiter, so that
  // the clients blocked on a key are served in the order they blocked, as Redis serves them, also
  // when they belong to different workers (each re-runs its own clients, in any order).
  bool has_earlier_waiter(std::string_view key, int db, const Client* c) const;
  // Wakes the waiters of `key` (any database: they re-check their own).
  void signal(std::string_view key);
  // Wakes every waiter (SWAPDB, FLUSHALL, ...).
  void signal_all();
  bool any() const { return waiting_.load(std::memory_order_relaxed) > 0; }
  int64_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    Client* client;
    uint64_t id;
    int worker;
    int db;  // the client's database when it blocked (a blocked client cannot SELECT)
  };
  mutable std::mutex mu_;  // guards by_key_
  std::unordered_map<std::string, std::vector<Waiter>> by_key_;
  std::atomic<int64_t> waiting_{0};  // blocked clients (not keys)
};

}  // namespace tally
