// Transactions: MULTI, EXEC, DISCARD.
//
// After MULTI, dispatch() queues every command except the transaction-control ones and answers
// +QUEUED; a command rejected while queuing (unknown, wrong arity, NOAUTH) marks the transaction dirty
// and EXEC then answers EXECABORT. EXEC runs the queued commands alone: it closes the exec gate
// (state.h), so no other client's command runs until it is done, and replies with one array of their
// replies. Blocking commands inside EXEC do not wait (they answer as if timed out). WATCH is not
// supported yet.
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
  c.out.ok();
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
    return c.out.error(err::kExecAbort);
  }
  std::vector<std::vector<std::string>> queued = std::move(client.multi.queued);
  client.multi = {};
  ServerState& server = c.server;
  const int slot = server.gate.slot_of(client.worker);
  WorkerStats* ws = server.stats_for(client);
  CmdStats* stats = ws ? ws->cmd.data() : nullptr;
  c.out.array(queued.size());
  ExclusiveRun alone(server.gate, slot, client, *server.keyspace);
  std::vector<std::string_view> argv;
  for (const auto& args : queued) {
    argv.assign(args.begin(), args.end());
    dispatch(server, client, argv, stats);
  }
}

constexpr uint32_t kTxnFlags = kCmdTxnControl | kCmdNoScript | kCmdLoading | kCmdStale | kCmdAllowBusy;

constexpr CommandSpec kMultiCommands[] = {
    {"multi", 1, kTxnFlags | kCmdFast, 0, 0, 0, cmd_multi, "transactions", "Starts a transaction.", "1.2.0", "O(1)"},
    {"exec", 1, kTxnFlags | kCmdSkipSlowlog, 0, 0, 0, cmd_exec, "transactions",
     "Executes all commands in a transaction.", "1.2.0", "Depends on commands in the transaction"},
    {"discard", 1, kTxnFlags | kCmdFast, 0, 0, 0, cmd_discard, "transactions", "Discards a transaction.", "2.0.0",
     "O(N), when N is the number of queued commands"},
};

}  // namespace

std::span<const CommandSpec> multi_commands() { return kMultiCommands; }

}  // namespace tally
