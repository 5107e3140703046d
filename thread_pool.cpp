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

TaskQueue::TaskQueue() : thread_([this](std::stop_token st) { loop(st); }) {}

TaskQueue::~TaskQueue() {
  drain();
  thread_.request_stop();
  cv_.notify_all();
}

void TaskQueue::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void TaskQueue::drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return tasks_.empty() && !running_; });
}

std::size_t TaskQueue::pending() const {
  std::lock_guard lock(mu_);
  return tasks_.size() + (running_ ? 1 : 0);
}

void TaskQueue::loop(std::stop_token st) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, st, [this] { return !tasks_.empty(); });
    if (tasks_.empty()) return;  // stop requested and nothing left
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    running_ = true;
    lock.unlock();
    task();
    lock.lock();
    running_ = false;
    if (tasks_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace tally
