// Blocking pops end to end: BZPOPMIN/BZPOPMAX/BZMPOP woken by writes from other connections (which
// Tally may serve on other worker threads), timing out, keeping the blocked client's pipelined
// requests in order, and surviving a blocked client that disconnects.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace tally_test {
namespace {

class BlockingTest : public SharedServerTest {};

long long InfoClients(redisContext* c, const char* field) {
  Reply info = Cmd(c, {"INFO", "clients"});
  return info && info->type == REDIS_REPLY_STRING ? std::stoll(InfoField(info->str, field)) : -1;
}

// Waits until the server reports at least n blocked clients (a slow or loaded machine, or a
// sanitizer build, can take longer than any fixed sleep to get a command to the server).
bool WaitBlocked(redisContext* probe, long long n) {
  for (long long end = NowMs() + 5000; NowMs() < end; SleepMs(5))
    if (InfoClients(probe, "blocked_clients") >= n) return true;
  return false;
}

TEST_F(BlockingTest, TimesOutWithNullArray) {
  long long start = NowMs();
  Reply r = Cmd(c(), {"BZPOPMIN", "nokey", "0.2"});
  long long took = NowMs() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_NIL) << Describe(r.get());
  EXPECT_GE(took, 180);
  EXPECT_LT(took, 2000);
  Reply m = Cmd(c(), {"BZMPOP", "0.1", "1", "nokey", "MIN"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, REDIS_REPLY_NIL) << Describe(m.get());
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");  // the connection is usable afterwards
}

TEST_F(BlockingTest, ServesAtOnceWhenDataIsThere) {
  ExpectInt(Cmd(c(), {"ZADD", "z", "1", "a", "2", "b"}), 2);
  ExpectBulks(Cmd(c(), {"BZPOPMIN", "empty", "z", "1"}), {"z", "a", "1"});
  ExpectBulks(Cmd(c(), {"BZPOPMAX", "z", "1"}), {"z", "b", "2"});
  ExpectInt(Cmd(c(), {"EXISTS", "z"}), 0);
}

TEST_F(BlockingTest, TimeoutErrors) {
  ExpectError(Cmd(c(), {"BZPOPMIN", "z", "-1"}), "ERR timeout is negative");
  ExpectError(Cmd(c(), {"BZPOPMIN", "z", "abc"}), "ERR timeout is not a float or out of range");
  ExpectError(Cmd(c(), {"BZMPOP", "-1", "1", "z", "MIN"}), "ERR timeout is negative");
}

TEST_F(BlockingTest, WokenByAnotherClient) {
  for (int round = 0; round < 5; ++round) {  // several connections: the writer may be on another worker
    Client waiter = NewClient();
    Client writer = NewClient();
    std::string key = "board" + std::to_string(round);
    Reply got;
    std::thread t([&] { got = Cmd(waiter, {"BZPOPMAX", key, "5"}); });
    SleepMs(100);
    long long start = NowMs();
    ExpectInt(Cmd(writer, {"ZADD", key, "10", "alice", "20", "bob"}), 2);
    t.join();
    EXPECT_LT(NowMs() - start, 1000);
    ExpectBulks(got, {key, "bob", "20"});
    ExpectBulks(Cmd(writer, {"ZRANGE", key, "0", "-1", "WITHSCORES"}), {"alice", "10"});
  }
}

TEST_F(BlockingTest, BzmpopWokenWithCount) {
  Client writer = NewClient();
  Reply got;
  std::thread t([&] { got = Cmd(c(), {"BZMPOP", "5", "2", "k1", "k2", "MIN", "COUNT", "2"}); });
  SleepMs(100);
  ExpectInt(Cmd(writer, {"ZADD", "k2", "3", "c", "1", "a", "2", "b"}), 3);
  t.join();
  ASSERT_TRUE(got && got->type == REDIS_REPLY_ARRAY && got->elements == 2) << Describe(got.get());
  EXPECT_EQ(std::string(got->element[0]->str, got->element[0]->len), "k2");
  const redisReply* pairs = got->element[1];
  ASSERT_EQ(pairs->elements, 2u);
  EXPECT_EQ(Strings(pairs->element[0]), (std::vector<std::string>{"a", "1"}));
  EXPECT_EQ(Strings(pairs->element[1]), (std::vector<std::string>{"b", "2"}));
}

TEST_F(BlockingTest, PipelinedRequestsRunAfterTheWakeUp) {
  Client writer = NewClient();
  Append(c(), {"BZPOPMIN", "q", "5"});
  Append(c(), {"PING"});
  Append(c(), {"ZCARD", "q"});
  Reply first, second, third;
  std::thread t([&] {
    first = GetReply(c());
    second = GetReply(c());
    third = GetReply(c());
  });
  SleepMs(100);
  ExpectInt(Cmd(writer, {"ZADD", "q", "1", "x", "2", "y"}), 2);
  t.join();
  ExpectBulks(first, {"q", "x", "1"});
  ExpectStatus(second, "PONG");
  ExpectInt(third, 1);
}

TEST_F(BlockingTest, FirstWaiterServedSecondKeepsWaiting) {
  Client a = NewClient(), b = NewClient(), writer = NewClient();
  Reply ra, rb;
  std::thread ta([&] { ra = Cmd(a, {"BZPOPMIN", "one", "5"}); });
  EXPECT_TRUE(WaitBlocked(writer, 1)) << "the first waiter never blocked";
  std::thread tb([&] { rb = Cmd(b, {"BZPOPMIN", "one", "0.5"}); });
  EXPECT_TRUE(WaitBlocked(writer, 2)) << "the second waiter never blocked";
  ExpectInt(Cmd(writer, {"ZADD", "one", "1", "m"}), 1);
  ta.join();
  tb.join();
  ExpectBulks(ra, {"one", "m", "1"});
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->type, REDIS_REPLY_NIL) << Describe(rb.get());  // nothing left for b: it timed out
}

double CpuSeconds(redisContext* c) {
  Reply info = Cmd(c, {"INFO", "cpu"});
  if (!info || info->type != REDIS_REPLY_STRING) return -1;
  return std::stod(InfoField(info->str, "used_cpu_user")) + std::stod(InfoField(info->str, "used_cpu_sys"));
}

// Waiting costs the server nothing: clients blocked on a key, the first served by a write and the
// second left waiting, must not keep a worker busy (each used to wake itself again on every retry,
// spinning its worker at 100% for as long as it waited), and other clients are answered meanwhile.
TEST_F(BlockingTest, WaitingClientsLeaveTheServerIdle) {
  Client a = NewClient(), b = NewClient(), other = NewClient();
  const double before = CpuSeconds(other);
  ASSERT_GE(before, 0);
  Reply ra, rb;
  std::thread ta([&] { ra = Cmd(a, {"BZPOPMIN", "idle", "1.5"}); });
  ASSERT_TRUE(WaitBlocked(other, 1)) << "the first waiter never blocked";
  std::thread tb([&] { rb = Cmd(b, {"BZPOPMAX", "idle", "1.5"}); });
  ASSERT_TRUE(WaitBlocked(other, 2)) << "the second waiter never blocked";
  ExpectInt(Cmd(other, {"ZADD", "idle", "1", "m"}), 1);
  ta.join();
  ExpectBulks(ra, {"idle", "m", "1"});
  const long long start = NowMs();
  ExpectStatus(Cmd(other, {"PING"}), "PONG");
  EXPECT_LT(NowMs() - start, 500) << "a client waited on a busy server";
  tb.join();
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->type, REDIS_REPLY_NIL) << Describe(rb.get());
  const double spent = CpuSeconds(other) - before;
  EXPECT_LT(spent, 0.5) << "the server was busy for " << spent << " s of 1.5 s spent waiting";
}

TEST_F(BlockingTest, InfoCountsBlockedClientsAndThoseWithATimeout) {
  Client a = NewClient(), b = NewClient(), writer = NewClient();
  EXPECT_EQ(InfoClients(writer, "blocked_clients"), 0);
  Reply ra, rb;
  std::thread ta([&] { ra = Cmd(a, {"BZPOPMIN", "forever", "0"}); });
  EXPECT_TRUE(WaitBlocked(writer, 1));
  EXPECT_EQ(InfoClients(writer, "clients_in_timeout_table"), 0) << "no timeout, no entry";
  std::thread tb([&] { rb = Cmd(b, {"BZPOPMAX", "later", "30"}); });
  EXPECT_TRUE(WaitBlocked(writer, 2));
  EXPECT_EQ(InfoClients(writer, "blocked_clients"), 2);
  EXPECT_EQ(InfoClients(writer, "clients_in_timeout_table"), 1);
  ExpectInt(Cmd(writer, {"ZADD", "forever", "1", "m"}), 1);
  ta.join();
  ExpectBulks(ra, {"forever", "m", "1"});
  EXPECT_EQ(InfoClients(writer, "blocked_clients"), 1);
  ExpectInt(Cmd(writer, {"ZADD", "later", "2", "n"}), 1);
  tb.join();
  ExpectBulks(rb, {"later", "n", "2"});
  EXPECT_EQ(InfoClients(writer, "blocked_clients"), 0);
  EXPECT_EQ(InfoClients(writer, "clients_in_timeout_table"), 0);
}

TEST_F(BlockingTest, DisconnectedWaiterIsForgotten) {
  {
    Client gone = NewClient();
    redisAppendCommand(gone, "BZPOPMIN vanish 10");
    int done = 0;
    redisBufferWrite(gone, &done);
    SleepMs(50);
  }  // closes while blocked
  SleepMs(50);
  ExpectInt(Cmd(c(), {"ZADD", "vanish", "1", "a"}), 1);
  ExpectInt(Cmd(c(), {"ZCARD", "vanish"}), 1);  // nobody popped it
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
}

}  // namespace
}  // namespace tally_test
