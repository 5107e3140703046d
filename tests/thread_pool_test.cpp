// ThreadPool and TaskQueue: workers start and stop; background tasks run in order, off the caller.
#include "thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "db.h"

namespace tally {
namespace {

TEST(ThreadPool, RunsEveryWorkerAndStopsOnRequest) {
  std::atomic<int> started{0}, stopped{0};
  {
    ThreadPool pool(3, [&](std::stop_token st, int) {
      ++started;
      while (!st.stop_requested()) std::this_thread::yield();
      ++stopped;
    });
    while (started.load() < 3) std::this_thread::yield();
    EXPECT_EQ(pool.size(), 3);
  }  // the destructor requests stop and joins
  EXPECT_EQ(stopped.load(), 3);
}

TEST(TaskQueue, RunsTasksInOrderOnAnotherThread) {
  TaskQueue q;
  std::vector<int> order;
  std::thread::id ran_on;
  for (int i = 0; i < 100; ++i) q.submit([&order, i] { order.push_back(i); });
  q.submit([&ran_on] { ran_on = std::this_thread::get_id(); });
  q.drain();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(q.pending(), 0u);
}

TEST(TaskQueue, DestructorRunsWhatWasSubmitted) {
  std::atomic<int> ran{0};
  {
    TaskQueue q;
    for (int i = 0; i < 50; ++i) q.submit([&ran] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 50);
}

TEST(Keyspace, FlushAllAsyncEmptiesAtOnceAndFreesInBackground) {
  TaskQueue q;
  Keyspace ks(4, 8);
  ks.set_background(&q);
  for (int i = 0; i < 10000; ++i) {
    std::string k = "key:" + std::to_string(i);
    Txn t(ks, i % 4, k);
    t.set_string(0, std::string(100, 'x'));
  }
  ASSERT_EQ(ks.dbsize(0) + ks.dbsize(1) + ks.dbsize(2) + ks.dbsize(3), 10000u);
  ks.flush_all(/*async=*/true);
  EXPECT_EQ(ks.dbsize(0) + ks.dbsize(1) + ks.dbsize(2) + ks.dbsize(3), 0u);
  q.drain();  // under ASan, a missed free shows up as a leak at exit
  ks.flush_db(1, /*async=*/true);
  q.drain();
}

}  // namespace
}  // namespace tally
