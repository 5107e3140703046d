#include "thread_pool.h"

#include <utility>

namespace tally {

ThreadPool::ThreadPool(int n, WorkerFn fn) {
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    threads_.emplace_back([fn, i](std::stop_token st) { fn(std::move(st), i); });
}

ThreadPool::~ThreadPool() {
  request_stop();
  join();
}

void ThreadPool::request_stop() {
  for (auto& t : threads_) t.request_stop();
}

void ThreadPool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace tally
