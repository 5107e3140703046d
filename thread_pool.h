// The worker threads: started once with the function each runs, stopped and joined together.
//
// Each worker runs its own event loop (server.cpp) and executes its connections' commands inline
// under shard locks, so no request crosses threads. Stopping is cooperative: request_stop() flips
// every worker's std::stop_token, and the owner also wakes the loops (they may be in epoll_wait).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
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

// One background thread that runs submitted tasks in order, off the request path: freeing the entries
// of a flushed database, later fsyncs and compaction steps. Thread-safe.
class TaskQueue {
 public:
  TaskQueue();
  ~TaskQueue();  // runs the tasks already submitted, then joins
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void submit(std::function<void()> task);
  // Blocks until every task submitted so far has run.
  void drain();
  std::size_t pending() const;

 private:
  void loop(std::stop_token st);

  mutable std::mutex mu_;  // guards tasks_ and running_
  std::condition_variable_any cv_;
  std::condition_variable_any idle_cv_;
  std::deque<std::function<void()>> tasks_;
  bool running_ = false;
  std::jthread thread_;  // last: starts after the members it uses exist
};

}  // namespace tally
