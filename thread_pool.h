// The worker threads: started once with the function each runs, stopped and joined together.
//
// Each worker runs its own event loop (server.cpp) and executes its connections' commands inline
// under shard locks, so no request crosses threads. Stopping is cooperative: request_stop() flips
// every worker's std::stop_token, and the owner also wakes the loops (they may be in epoll_wait).
#pragma once

#include <functional>
#include <stop_token>
#include <thread>
#include <vector>

namespace tally {

class ThreadPool {
 public:
  using WorkerFn = std::function<void(std::stop_token, int index)>;

  // Starts `n` threads, thread i running fn(stop_token, i).
  ThreadPool(int n, WorkerFn fn);
  ~ThreadPool();  // requests stop and joins every thread
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void request_stop();
  void join();
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  std::vector<std::jthread> threads_;
};

}  // namespace tally
