// A worker: one thread's epoll event loop over the connections it accepted (server.cpp starts
// `workers` of them). See worker.cpp for the input path, TLS and output back-pressure.
//
// Thread-safety: everything but wake(), wake_for_kill(), enqueue_ready() and awaits_durability()
// runs on the worker's own thread; those four may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <unistd.h>

#include "client.h"
#include "state.h"

namespace tally {

// The listening sockets every worker accepts from (-1: that one is not configured).
struct Listeners {
  int tcp = -1;          // port
  int tls = -1;          // tls-port
  int unix_socket = -1;  // unixsocket
  static constexpr std::size_t kCount = 3;
  std::array<int, kCount> fds() const { return {tcp, tls, unix_socket}; }
};

class Worker {
 public:
  Worker(ServerState& state, int index, Listeners listeners);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run(std::stop_token st);
  // A client of this worker was marked kill_requested: the next wake-up looks for it.
  void wake_for_kill() {
    kill_check_.store(true, std::memory_order_release);
    wake();
  }
  void wake() {
    uint64_t one = 1;
    ssize_t r = write(wake_fd_, &one, sizeof one);
    (void)r;  // a full eventfd counter already means "wake up"
  }

 private:
  void accept_clients(int listen_fd);
  // Which listener an epoll tag stands for: i for &listen_tags_[i], past the array for anything else.
  std::size_t listener_of(const void* tag) const {
    std::size_t i = 0;
    while (i < std::size(listen_tags_) && tag != &listen_tags_[i]) ++i;
    return i;
  }
  void handle_event(Client& c, uint32_t events);
  void handle_tls_event(Client& c, uint32_t events);
  bool read_tls_input(Client& c);
  void run_tls_pending();
  // Reads once and runs what arrived; false if the connection must close now.
  bool read_and_run(Client& c);
  // Parses and runs commands from [data, data+len); returns the bytes consumed.
  std::size_t run_commands(Client& c, const char* data, std::size_t len);
  bool flush(Client& c);  // false on a write error
  // After c's commands ran (ran) or its output could move: enforces the output limits, waits for
  // the log, writes, and while the output drains under the soft limit runs the commands that
  // waited in c.in. False if the connection must close now.
  bool finish_batch(Client& c, bool ran);
  void clients_cron(int64_t now);  // once a second: soft-limit and idle timeouts, idle buffers
  void update_events(Client& c);
  void close_client(Client& c);
  void handle_wake();
  void periodic(int64_t now);
  void set_writable_interest(Client& c, bool on);
  // Blocking commands: park, re-run when woken, time out, release.
  void park(Client& c);
  void retry_blocked(Client& c);
  void unpark(Client& c);
  void after_unpark(Client& c);
  void run_ready();
  void send_pending_replies();
  void expire_blocked(int64_t now);
  // appendfsync always: holds c's replies until every change they could show is on disk.
  void hold_for_durability(Client& c);
  void release_durable();
  void lead_log_sync();  // appendfsync always, wal-leader-sync yes: fsyncs for this pass's replies
 public:
  // Whether clients of this worker wait for the log (the log writer wakes the worker when so).
  bool awaits_durability() const { return has_waiters_.load(std::memory_order_seq_cst); }
  // Queues a blocked client of this worker for a re-run (from any thread) and wakes the loop.
  void enqueue_ready(Client* c, uint64_t id) {
    {
      std::lock_guard lock(ready_mu_);
      ready_.push_back({c, id});
    }
    wake();
  }

 private:

  ServerState& state_;
  const int index_;
  const Listeners listen_;
  int epoll_fd_ = -1;
  // epoll data.ptr values that are not clients: &listen_tags_[i] for listen_.fds()[i], the eventfd's
  char listen_tags_[Listeners::kCount] = {}, wake_tag_ = 0;
  int wake_fd_ = -1;
  std::unordered_map<Client*, std::unique_ptr<Client>> clients_;  // the connections this worker owns
  std::vector<std::unique_ptr<Client>> graveyard_;  // closed during the current event batch
  std::vector<Client*> reply_pending_;  // see send_pending_replies(); drained before graveyard_ is cleared
  std::vector<Client*> tls_pending_;  // see run_tls_pending(); drained before graveyard_ is cleared
  std::unique_ptr<char[]> scratch_;
  std::vector<std::string_view> batch_args_;  // run_commands' batch parsed ahead; its capacity, kept
  WorkerStats& stats_;
  std::mutex ready_mu_;  // guards ready_
  std::vector<std::pair<Client*, uint64_t>> ready_;  // blocked clients whose keys were written
  std::vector<Client*> blocked_;  // this worker's parked clients
  std::vector<Client*> durable_waiters_;  // clients whose replies wait for the log (durable_wait)
  std::atomic<bool> has_waiters_{false};
  std::atomic<bool> kill_check_{false};
  int64_t loop_now_ms_ = 0;  // the time after the last epoll_wait
  int64_t next_expire_ms_ = 0;
  int64_t next_clients_cron_ms_ = 0;
};

}  // namespace tally
