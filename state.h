// Process-wide server state shared by every worker: configuration, keyspace, clients, statistics.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "acl.h"
#include "blocking.h"
#include "client.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "wal.h"

namespace tally {

// Lets a transaction (EXEC) run alone. Every command passes the gate as a reader in its worker's own
// slot (one cache line each, so readers never share a line); EXEC closes the gate and waits until
// every other slot is empty, runs its commands, and opens it again. Readers that find it closed wait.
class ExecGate {
 public:
  void resize(int slots);  // before serving; at least one slot
  bool enter(int slot);  // true when it had to wait for an EXEC
  void leave(int slot) { slots_[static_cast<std::size_t>(slot)].busy.store(0, std::memory_order_release); }
  // For EXEC, called from inside slot `own`'s reader section: becomes the only runner, then back.
  void close(int own);
  void open(int own);
  int slot_of(int worker) const {
    return worker >= 0 && static_cast<std::size_t>(worker) < slots_.size() ? worker : 0;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<int> busy{0};
  };
  std::vector<Slot> slots_{1};
  std::atomic<bool> closed_{false};
  std::mutex exclusive_mu_;  // one EXEC at a time
};

// Counters one worker updates; INFO sums them over workers. Written by the owning worker only.
struct WorkerStats {
  explicit WorkerStats(int commands) : cmd(commands) {}
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> error_replies{0};
  std::atomic<int64_t> blocked_clients{0};       // parked in a blocking command
  std::atomic<int64_t> blocked_with_timeout{0};  // of those, the ones with a timeout
  std::vector<CmdStats> cmd;  // [Command::id]
};

struct ServerState {
  ServerState();  // builds the command table; keyspace is created by init_keyspace()
  void init_keyspace() {
    keyspace = std::make_unique<Keyspace>(config.databases, config.shards);
    gate.resize(std::max(1, config.workers));
  }

  Config config;
  CommandTable commands;
  Acl acl{commands};  // users and their rules (acl.h)
  std::unique_ptr<Keyspace> keyspace;
  Wal* wal = nullptr;    // the write-ahead log (server.cpp owns it); nullptr in in-process tests
  LoadProgress loading;  // loading.loading: commands without the "loading" flag get -LOADING
  ClientRegistry clients;
  BlockRegistry blocking;
  ExecGate gate;

  std::vector<std::unique_ptr<WorkerStats>> workers;  // one per worker, fixed after start
  std::atomic<uint64_t> next_client_id{1};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<bool> shutdown_requested{false};

  std::mutex errorstats_mu;
  std::map<std::string, uint64_t> errorstats;  // "ERR" -> count, guarded by errorstats_mu

  int64_t start_ms = 0;
  std::string run_id;      // 40 hex chars
  std::string executable;  // absolute path of the binary
  int tcp_port = 0;        // the port actually bound

  // The statistics block of the worker serving `client` (in-process clients, worker -1, use the
  // first); nullptr before any worker exists.
  WorkerStats* stats_for(const Client& client) const {
    if (workers.empty()) return nullptr;
    std::size_t w = client.worker >= 0 ? static_cast<std::size_t>(client.worker) : 0;
    return workers[w < workers.size() ? w : 0].get();
  }

  // Set by the server: asks every worker to stop (SHUTDOWN).
  std::function<void()> request_shutdown;
};

}  // namespace tally
