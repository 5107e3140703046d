// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// After MULTI, dispatch() queues every command except the transaction-control ones and answers
// +QUEUED; a command rejected while queuing (unknown, wrong arity, NOAUTH) marks the transaction dirty
// and EXEC then answers EXECABORT. EXEC runs the queued commands alone: it closes the exec gate
// (state.h), so no other client's command runs until it is done, and replies with one array of their
// replies. Blocking commands inside EXEC do not wait (they answer as if timed out).
//
// WATCH registers keys in their shards (Keyspace::watch, watch.cpp); any change to one of them, by
// any client, sets the watcher's flag. EXEC checks the flag behind the closed gate, where nothing
// else can change a key, and answers a null array instead of running anything if it is set or a
// watched key has expired since (Redis's CLIENT_DIRTY_CAS and isWatchedKeyExpired).
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.h"
#include "state.h"

namespace tally {
namespace {

void cmd_multi(Ctx& c) {
  if (c.client.multi.active) return c.out.error(err::kMultiNested);
  c.client.multi.active = true;
  c.out.ok();
}

void cmd_discard(Ctx& c) {
  if (!c.client.multi.active) return c.out.error(err::kDiscardWithoutMulti);
  c.client.multi = {};
  unwatch_all_keys(c.server, c.client);
  c.out.ok();
}

void cmd_watch(Ctx& c) {
  Client& client = c.client;
  if (client.multi.active) return c.out.error(err::kWatchInMulti);
  if (!client.watch_dirty.load(std::memory_order_acquire)) {  // else no point: EXEC will fail anyway
    const int db = client.db.load(std::memory_order_relaxed);
    for (std::size_t i = 1; i < c.argv.size(); ++i) {
      std::string_view key = c.argv[i];
      auto same = [&](const std::pair<int, std::string>& w) { return w.first == db && w.second == key; };
      if (std::any_of(client.watched.begin(), client.watched.end(), same)) continue;
      client.watched.emplace_back(db, std::string(key));
      c.ks().watch(db, key, &client.watch_dirty, command_now_ms());
    }
  }
  c.out.ok();
}

void cmd_unwatch(Ctx& c) {
  unwatch_all_keys(c.server, c.client);
  c.out.ok();
}

// Whether EXEC must fail for its watches: a watched key changed, or expired since it was watched.
bool watch_broken(Keyspace& ks, Client& client) {
  if (client.watch_dirty.load(std::memory_order_acquire)) return true;
  for (const auto& [db, key] : client.watched)
    if (ks.watched_key_expired(db, key, &client.watch_dirty, command_now_ms())) return true;
  return false;
}

// Holds the exec gate closed (this client's commands run alone) for its lifetime, even if a command
// throws: a gate left closed would stop every worker. Meanwhile the keyspace's changes share one log
// sequence number (Keyspace::begin_group), so the transaction is all-or-nothing after a crash.
class ExclusiveRun {
 public:
  ExclusiveRun(ExecGate& gate, int slot, Client& client, Keyspace& ks)
      : gate_(gate), slot_(slot), client_(client), ks_(ks) {
    gate_.close(slot_);
    client_.in_exec = true;
    ks_.begin_group();
  }
  ~ExclusiveRun() {
    ks_.end_group();
    client_.in_exec = false;
    gate_.open(slot_);
  }
  ExclusiveRun(const ExclusiveRun&) = delete;
  ExclusiveRun& operator=(const ExclusiveRun&) = delete;

 private:
  ExecGate& gate_;
  int slot_;
  Client& client_;
  Keyspace& ks_;
};

void cmd_exec(Ctx& c) {
  Client& client = c.client;
  if (!client.multi.active) return c.out.error(err::kExecWithoutMulti);
  if (client.multi.dirty) {
    client.multi = {};
    unwatch_all_keys(c.server, client);
    return c.out.error(err::kExecAbort);
  }
  std::vector<std::vector<std::string>> queued = std::move(client.multi.queued);
  client.multi = {};
  ServerState& server = c.server;
  const int slot = server.gate.slot_of(client.worker);
  WorkerStats* ws = server.stats_for(client);
  CmdStats* stats = ws ? ws->cmd.data() : nullptr;
  ExclusiveRun alone(server.gate, slot, client, *server.keyspace);
  // Behind the gate: no key can change between this check and the commands below.
  const bool broken = !client.watched.empty() && watch_broken(*server.keyspace, client);
  unwatch_all_keys(server, client);  // before running: its own commands do not count
  if (broken) return c.out.null_array();
  c.out.array(queued.size());
  std::vector<std::string_view> argv;
  for (const auto& args : queued) {
    argv.assign(args.begin(), args.end());
    dispatch(server, client, argv, stats);
  }
}

constexpr uint32_t kTxnFlags = kCmdTxnControl | kCmdNoScript | kCmdLoading | kCmdStale | kCmdAllowBusy;

constexpr uint32_t kWatchFlags = kCmdNoScript | kCmdLoading | kCmdStale | kCmdAllowBusy | kCmdFast;

constexpr CommandSpec kMultiCommands[] = {
    {"multi", 1, kTxnFlags | kCmdFast, 0, 0, 0, cmd_multi, "transactions", "Starts a transaction.", "1.2.0", "O(1)"},
    {"exec", 1, kTxnFlags | kCmdSkipSlowlog, 0, 0, 0, cmd_exec, "transactions",
     "Executes all commands in a transaction.", "1.2.0", "Depends on commands in the transaction"},
    {"discard", 1, kTxnFlags | kCmdFast, 0, 0, 0, cmd_discard, "transactions", "Discards a transaction.", "2.0.0",
     "O(N), when N is the number of queued commands"},
    // WATCH is not queued (kCmdTxnControl) but refused inside MULTI; UNWATCH is queued like any command.
    {"watch", -2, kWatchFlags | kCmdTxnControl, 1, -1, 1, cmd_watch, "transactions",
     "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", "O(1) for every key."},
    {"unwatch", 1, kWatchFlags, 0, 0, 0, cmd_unwatch, "transactions", "Forget about all watched keys",
     "2.2.0", "O(1)"},
};

}  // namespace

void unwatch_all_keys(ServerState& server, Client& client) {
  for (const auto& [db, key] : client.watched) server.keyspace->unwatch(db, key, &client.watch_dirty);
  client.watched.clear();
  client.watch_dirty.store(false, std::memory_order_relaxed);
}

std::span<const CommandSpec> multi_commands() { return kMultiCommands; }

}  // namespace tally
