// Process-wide server state shared by every worker: configuration, keyspace, clients, statistics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blocking.h"
#include "client.h"
#include "commands.h"
#include "config.h"
#include "db.h"

namespace tally {

// Counters one worker updates; INFO sums them over workers. Written by the owning worker only.
struct WorkerStats {
  explicit WorkerStats(int commands) : cmd(commands) {}
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> error_replies{0};
  std::vector<CmdStats> cmd;  // [Command::id]
};

struct ServerState {
  ServerState();  // builds the command table; keyspace is created by init_keyspace()
  void init_keyspace() { keyspace = std::make_unique<Keyspace>(config.databases, config.shards); }

  Config config;
  CommandTable commands;
  std::unique_ptr<Keyspace> keyspace;
  ClientRegistry clients;
  BlockRegistry blocking;

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

  // Set by the server: asks every worker to stop (SHUTDOWN).
  std::function<void()> request_shutdown;
};

}  // namespace tally
