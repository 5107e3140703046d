// Server limits end to end: client-output-buffer-limit (a client that does not read its replies is
// paused at the soft limit, dropped at the hard limit or after soft-seconds over the soft limit),
// and the other limits run at runtime through CONFIG SET: proto-max-bulk-len,
// client-query-buffer-limit, maxclients, timeout, tcp-keepalive. Checks that need Tally's input
// pause (Redis 7.0 has none: its normal clients default to no limit) skip on a real redis-server;
// the rest were run against redis-server 7.0.15 as well.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

constexpr long long kMb = 1024 * 1024;

// Writes on conn's socket and never reads (RawConn::Send drains replies while it waits): what a
// client that does not read its replies does. Returns the bytes the kernel took within timeout_ms.
size_t SendWithoutReading(RawConn& conn, std::string_view bytes, int timeout_ms) {
  size_t sent = 0;
  long long deadline = NowMs() + timeout_ms;
  while (sent < bytes.size() && NowMs() < deadline) {
    ssize_t n = send(conn.fd(), bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
    pollfd p{conn.fd(), POLLOUT, 0};
    poll(&p, 1, 50);
  }
  return sent;
}

// Shrinks the socket's receive buffer, so that the kernel holds little of what the server sends a
// client that does not read (the server's own send buffer still takes up to a few MiB).
void ShrinkReceiveBuffer(RawConn& conn) {
  int size = 16 * 1024;
  setsockopt(conn.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  for (long long end = NowMs() + timeout_ms; NowMs() < end; SleepMs(20))
    if (done()) return true;
  return done();
}

long long ClientIdOf(RawConn& conn) {
  conn.Send("CLIENT ID\r\n");
  std::string line = conn.ReadUntil("\r\n");
  return line.size() > 3 && line[0] == ':' ? std::stoll(line.substr(1)) : -1;
}

// Client `id`'s CLIENT LIST line ("" when it is not connected).
std::string ClientLine(redisContext* c, long long id) {
  Reply r = Cmd(c, {"CLIENT", "LIST", "ID", std::to_string(id)});
  if (!r || r->type != REDIS_REPLY_STRING) return "";
  return std::string(r->str, r->len);
}

// "omem" of "id=3 ... omem=123 ..." -> "123" ("" when absent).
std::string Field(const std::string& line, const std::string& name) {
  size_t at = line.find(" " + name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return line.substr(at, line.find_first_of(" \n", at) - at);
}

long long NumField(const std::string& line, const std::string& name) {
  std::string v = Field(line, name);
  return v.empty() ? -1 : std::stoll(v);
}

long long RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return -1;
}

// `make tsan` sets TALLY_TEST_RSS_SCALE: ThreadSanitizer's shadow memory adds several bytes of resident
// memory per byte the server touches, so a bound on the server's growth scales with it there.
long long RssBound(long long bytes) {
  const char* scale = std::getenv("TALLY_TEST_RSS_SCALE");
  return scale ? static_cast<long long>(bytes * std::atof(scale)) : bytes;
}

std::string BulkOf(const std::string& v) { return "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n"; }

// n bytes that differ along their length, so a reply cut or spliced in the wrong place shows.
std::string Patterned(size_t n, char seed) {
  std::string s(n, seed);
  for (size_t i = 0; i < n; i += 997) s[i] = static_cast<char>('a' + (i / 997) % 26);
  return s;
}

// Waits until client `id` is paused (polled for output only) with at least `soft` bytes of omem;
// returns its CLIENT LIST line then ("" if that did not happen within 5 s). A pause seen with less
// is a moment between a write that drained it and the commands that refill it.
std::string WaitPaused(redisContext* c, long long id, long long soft) {
  std::string line;
  bool paused = WaitFor([&] {
    line = ClientLine(c, id);
    return Field(line, "events") == "w" && NumField(line, "omem") >= soft;
  }, 5000);
  return paused ? line : "";
}

// Runs SET/GET round trips on c and returns the slowest one in ms (-1 on a wrong reply).
long long SlowestRoundTrip(redisContext* c, int rounds) {
  long long slowest = 0;
  for (int i = 0; i < rounds; ++i) {
    long long t0 = NowMs();
    Reply set = Cmd(c, {"SET", "bystander", std::to_string(i)});
    Reply get = Cmd(c, {"GET", "bystander"});
    if (!IsStatus(set.get(), "OK") || !IsBulk(get.get(), std::to_string(i))) return -1;
    slowest = std::max(slowest, NowMs() - t0);
  }
  return slowest;
}

std::string ObufLimitsOf(redisContext* c) {
  Reply r = Cmd(c, {"CONFIG", "GET", "client-output-buffer-limit"});
  return r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1]->str : "";
}

// ---- client-output-buffer-limit ----

TEST(OutputLimitTest, NonReadingClientIsPausedBoundedAndLaterGetsEveryReplyInOrder) {
  if (ServerIsRealRedis()) GTEST_SKIP() << "redis-server has no input pause (its normal limit defaults to 0 0 0)";
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "client-output-buffer-limit"}),
              {"client-output-buffer-limit", "normal 1073741824 67108864 0 slave 268435456 67108864 60 pubsub "
                                             "33554432 8388608 60"});
  const std::string big = Patterned(kMb, 'v');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", big})));
  long long rss_before = RssBytes(server->pid());

  // 200 x (GET big, INCR seq): 200 MiB of replies if the server kept them all.
  constexpr int kRounds = 200;
  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  ASSERT_GT(id, 0);
  std::string req;
  for (int i = 0; i < kRounds; ++i) req += "GET big\r\nINCR seq\r\n";
  ASSERT_EQ(SendWithoutReading(stalled, req, 5000), req.size());

  std::string line = WaitPaused(c, id, 64 * kMb);
  ASSERT_NE(line, "") << "the client was not paused: " << ClientLine(c, id);
  long long omem = NumField(line, "omem");
  EXPECT_LE(omem, 64 * kMb + kMb + 4096) << line;  // at most one reply past the soft limit
  EXPECT_EQ(NumField(line, "obl"), 16384) << line;
  EXPECT_GT(NumField(line, "qbuf"), 0) << "the commands not run yet wait in its query buffer: " << line;
  long long seq = std::stoll(Cmd(c, {"GET", "seq"})->str);
  EXPECT_LT(seq, 80) << "it ran commands past the soft limit";
  SleepMs(300);
  line = ClientLine(c, id);
  EXPECT_LE(NumField(line, "omem"), 64 * kMb + kMb + 4096) << "a paused client's output kept growing: " << line;
  Reply info = Cmd(c, {"INFO", "clients"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING);
  EXPECT_GE(std::stoll(InfoField(info->str, "client_recent_max_output_buffer")), omem);
  long long rss_growth = RssBytes(server->pid()) - rss_before;
  EXPECT_LT(rss_growth, RssBound(120 * kMb)) << "server memory grew by " << rss_growth / kMb << " MiB";

  // Other clients notice nothing.
  Client bystander(server->port());
  long long slowest = SlowestRoundTrip(bystander, 200);
  EXPECT_GE(slowest, 0) << "a bystander got a wrong reply";
  EXPECT_LT(slowest, 1000) << "a bystander waited " << slowest << " ms";
  ExpectBulk(Cmd(bystander, {"GET", "big"}), big);

  // Once it reads, every reply arrives, whole and in order, and the buffers empty.
  const std::string get_reply = BulkOf(big);
  for (int i = 1; i <= kRounds; ++i) {
    std::string got = stalled.Read(get_reply.size(), 10000);
    ASSERT_TRUE(got == get_reply) << "GET reply #" << i << " differs (" << got.size() << " bytes)";
    std::string incr = ":" + std::to_string(i) + "\r\n";
    ASSERT_EQ(Escape(stalled.Read(incr.size(), 10000)), Escape(incr)) << "INCR reply #" << i;
  }
  EXPECT_EQ(stalled.ReadAvailable(100), "") << "more replies than commands";
  ASSERT_TRUE(ExpectRaw(stalled, "PING\r\n", "+PONG\r\n"));
  line = ClientLine(c, id);
  EXPECT_EQ(Field(line, "events"), "r") << line;
  EXPECT_EQ(NumField(line, "omem"), 0) << line;
  EXPECT_EQ(NumField(line, "qbuf"), 0) << line;
}

TEST(OutputLimitTest, HardLimitClosesTheClientWithALogLine) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0"})));
  const std::string big = Patterned(kMb, 'h');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", big})));

  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  ASSERT_GT(id, 0);
  std::string req;
  for (int i = 0; i < 60; ++i) req += "GET big\r\n";
  SendWithoutReading(stalled, req, 2000);
  ASSERT_TRUE(WaitFor([&] { return ClientLine(c, id).empty(); }, 5000)) << "not closed: " << ClientLine(c, id);
  std::string got = stalled.ReadUntilClosed(5000);
  EXPECT_TRUE(stalled.peer_closed());
  EXPECT_LT(got.size(), 30 * static_cast<size_t>(kMb)) << "it got most replies before the close";
  std::string log;
  EXPECT_TRUE(WaitFor([&] {
    log = server->LogTail(20000);
    return log.find("scheduled to be closed ASAP for overcoming of output buffer limits.") != std::string::npos;
  }, 3000)) << log;
  size_t at = log.find("Client id=" + std::to_string(id) + " addr=");
  ASSERT_NE(at, std::string::npos) << log;
  std::string entry = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(entry.find(" cmd=get "), std::string::npos) << entry;
  EXPECT_GE(NumField(entry, "omem"), 4 * kMb) << entry;

  // One reply over the hard limit is enough, even for a client that reads.
  const std::string huge = Patterned(5 * kMb, 'H');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "huge", huge})));
  Client reader(server->port());
  Reply r = Cmd(reader, {"GET", "huge"});
  EXPECT_EQ(r, nullptr) << "got " << Describe(r.get()).substr(0, 60);
  // Others are untouched, and without the limit the value reads back whole.
  ExpectBulk(Cmd(c, {"GET", "big"}), big);
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"})));
  ExpectBulk(Cmd(c, {"GET", "huge"}), huge);
}

TEST(OutputLimitTest, SoftLimitForLongerThanSoftSecondsClosesTheClient) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 1"})));
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", Patterned(kMb, 's')})));
  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  ASSERT_GT(id, 0);
  std::string req;
  for (int i = 0; i < 20; ++i) req += "GET big\r\n";
  long long t0 = NowMs();
  SendWithoutReading(stalled, req, 2000);
  ASSERT_TRUE(WaitFor([&] { return ClientLine(c, id).empty(); }, 6000)) << "still connected after 6 s";
  long long took = NowMs() - t0;
  EXPECT_GE(took, 1000) << "closed before soft-seconds passed";
  std::string log;
  EXPECT_TRUE(WaitFor([&] {
    log = server->LogTail(20000);
    return log.find("Client id=" + std::to_string(id) + " addr=") != std::string::npos &&
           log.find("for overcoming of output buffer limits.") != std::string::npos;
  }, 3000)) << log;
  // With soft-seconds 0 (Tally's default) a client over the soft limit is only paused, never closed.
  if (ServerIsRealRedis()) return;
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 0"})));
  RawConn paused(server->port());
  ShrinkReceiveBuffer(paused);
  long long id2 = ClientIdOf(paused);
  SendWithoutReading(paused, req, 2000);
  ASSERT_NE(WaitPaused(c, id2, kMb), "") << ClientLine(c, id2);
  SleepMs(2500);
  EXPECT_EQ(Field(ClientLine(c, id2), "events"), "w") << "closed or resumed without reading";
}

TEST(OutputLimitTest, PausedClientUnderAppendfsyncAlwaysGetsEveryReply) {
  if (ServerIsRealRedis()) GTEST_SKIP() << "redis-server has no input pause";
  auto server = StartServer({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 0"})));
  const std::string big = Patterned(256 * 1024, 'a');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", big})));
  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  // Each SET's +OK waits for the log; the GETs fill the output past the soft limit.
  constexpr int kKeys = 100;
  std::string req, expected;
  for (int i = 0; i < kKeys; ++i) {
    req += Resp({"SET", "k" + std::to_string(i), "v" + std::to_string(i)}) + "GET big\r\n";
    expected += "+OK\r\n" + BulkOf(big);
  }
  ASSERT_EQ(SendWithoutReading(stalled, req, 5000), req.size());
  ASSERT_NE(WaitPaused(c, id, kMb), "") << ClientLine(c, id);
  EXPECT_LT(Cmd(c, {"DBSIZE"})->integer, kKeys) << "commands past the soft limit ran";
  std::string got = stalled.Read(expected.size(), 15000);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "replies differ or are out of order";
  ExpectInt(Cmd(c, {"DBSIZE"}), kKeys + 1);
  ExpectBulk(Cmd(c, {"GET", "k99"}), "v99");
}

// A paused client's waiting input may block (BZPOPMIN): it runs in order after the pause, blocks,
// and what follows it runs once it is served.
TEST(OutputLimitTest, BlockingCommandQueuedBehindAPause) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  if (!ServerIsRealRedis()) {
    ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 0"})));
  }
  const std::string big = Patterned(kMb, 'b');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", big})));
  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  constexpr int kGets = 16;
  std::string req;
  for (int i = 0; i < kGets; ++i) req += "GET big\r\n";
  req += "BZPOPMIN z 0\r\nINCR after\r\n";
  SendWithoutReading(stalled, req, 2000);
  if (!ServerIsRealRedis()) {
    std::string line = WaitPaused(c, id, kMb);
    ASSERT_NE(line, "") << ClientLine(c, id);
    EXPECT_EQ(Field(line, "cmd"), "get") << "the BZPOPMIN ran during the pause";
    ExpectNil(Cmd(c, {"GET", "after"}));
  }
  for (int i = 0; i < kGets; ++i) ASSERT_TRUE(stalled.Read(BulkOf(big).size(), 5000) == BulkOf(big)) << i;
  EXPECT_EQ(stalled.ReadAvailable(200), "") << "BZPOPMIN did not block";
  ExpectNil(Cmd(c, {"GET", "after"}));
  ExpectInt(Cmd(c, {"ZADD", "z", "1", "m"}), 1);
  std::string want = "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n:1\r\n";
  EXPECT_EQ(Escape(stalled.Read(want.size(), 5000)), Escape(want));
  ExpectBulk(Cmd(c, {"GET", "after"}), "1");
}

TEST(OutputLimitTest, ConfigSetGetAndErrors) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  const std::string slave_pubsub = " slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  EXPECT_EQ(ObufLimitsOf(c), (ServerIsRealRedis() ? "normal 0 0 0" : "normal 1073741824 67108864 0") + slave_pubsub);
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1gb 64mb 10"})));
  EXPECT_EQ(ObufLimitsOf(c), "normal 1073741824 67108864 10" + slave_pubsub);
  // Units, case, the replica alias, several classes at once; classes not named keep their values.
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "REPLICA 1k 2KB 3 pubsub 1m 2Mb 4"})));
  EXPECT_EQ(ObufLimitsOf(c), "normal 1073741824 67108864 10 slave 1000 2048 3 pubsub 1000000 2097152 4");
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", ""})));  // nothing named
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 5 6 "})));  // "" seconds: 0
  EXPECT_EQ(ObufLimitsOf(c), "normal 5 6 0 slave 1000 2048 3 pubsub 1000000 2097152 4");
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "slave 1 2 99999999999"})));
  EXPECT_EQ(ObufLimitsOf(c), "normal 5 6 0 slave 1 2 1215752191 pubsub 1000000 2097152 4");  // an int, as Redis

  const std::string pre = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
  const std::string args = pre + "Wrong number of arguments in buffer limit configuration.";
  const std::string cls = pre + "Invalid client class specified in buffer limit configuration.";
  const std::string num = pre + "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"wrong number", args},         {"normal 1 2 3 slave", args},   {"normal  1 2 3", args},
      {"master 1 2 3", cls},          {"nosuch 1 2 3", cls},          {"normal 10mbs 1 1", num},
      {"normal 1 2 -1", num},         {"normal 1 2 3x", num},         {"normal -1 2 3", num},
      {"normal 1 1.5mb 3", num},      {"normal 1 2 3 nosuch 1 2 3", cls},  // all or nothing
      {"normal 1 2 3 pubsub x 2 3", num},
  };
  for (const auto& [value, error] : bad) {
    SCOPED_TRACE("value: '" + value + "'");
    ExpectError(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", value}), error);
  }
  EXPECT_EQ(ObufLimitsOf(c), "normal 5 6 0 slave 1 2 1215752191 pubsub 1000000 2097152 4") << "a failed SET changed it";
  auto globbed = Cmd(c, {"CONFIG", "GET", "client-output-*"});
  ExpectBulks(globbed, {"client-output-buffer-limit", "normal 5 6 0 slave 1 2 1215752191 pubsub 1000000 2097152 4"});
}

TEST(OutputLimitTest, StartupFlags) {
  auto server = StartServer({"--client-output-buffer-limit", "normal", "10mb", "5mb", "0", "pubsub", "1mb", "1mb", "1"});
  ASSERT_TRUE(server);
  Client c(server->port());
  EXPECT_EQ(ObufLimitsOf(c), "normal 10485760 5242880 0 slave 268435456 67108864 60 pubsub 1048576 1048576 1");

  // Each flag (as each config file line) sets only the classes it names.
  auto two = StartServer({"--client-output-buffer-limit", "normal", "2mb", "1mb", "5", "--client-output-buffer-limit",
                          "replica", "3mb", "2mb", "1"});
  ASSERT_TRUE(two);
  Client c2(two->port());
  EXPECT_EQ(ObufLimitsOf(c2), "normal 2097152 1048576 5 slave 3145728 2097152 1 pubsub 33554432 8388608 60");
}

// QUIT waiting behind a pause runs in its turn: its +OK comes after every earlier reply, then the close.
TEST(OutputLimitTest, QuitQueuedBehindAPause) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  if (!ServerIsRealRedis()) {
    ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 0"})));
  }
  const std::string big = Patterned(kMb, 'q');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", big})));
  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  std::string req;
  for (int i = 0; i < 16; ++i) req += "GET big\r\n";
  req += "QUIT\r\nSET after-quit 1\r\n";
  SendWithoutReading(stalled, req, 2000);
  if (!ServerIsRealRedis()) {
    ASSERT_NE(WaitPaused(c, id, kMb), "") << ClientLine(c, id);
  }
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(stalled.Read(BulkOf(big).size(), 5000) == BulkOf(big)) << i;
  EXPECT_EQ(Escape(stalled.ReadUntilClosed(5000)), Escape("+OK\r\n"));
  EXPECT_TRUE(stalled.peer_closed());
  ExpectInt(Cmd(c, {"EXISTS", "after-quit"}), 0);
}

TEST(OutputLimitTest, ClientKillClosesAPausedClient) {
  if (ServerIsRealRedis()) GTEST_SKIP() << "redis-server has no input pause";
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 0"})));
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "big", Patterned(kMb, 'k')})));
  RawConn stalled(server->port());
  ShrinkReceiveBuffer(stalled);
  long long id = ClientIdOf(stalled);
  std::string req;
  for (int i = 0; i < 16; ++i) req += "GET big\r\n";
  SendWithoutReading(stalled, req, 2000);
  ASSERT_NE(WaitPaused(c, id, kMb), "") << ClientLine(c, id);
  ExpectInt(Cmd(c, {"CLIENT", "KILL", "ID", std::to_string(id)}), 1);
  EXPECT_TRUE(WaitFor([&] { return ClientLine(c, id).empty(); }, 3000));
  stalled.ReadUntilClosed(5000);
  EXPECT_TRUE(stalled.peer_closed());
  ExpectStatus(Cmd(c, {"PING"}), "PONG");
}

// ---- the other limits, changed at runtime ----

TEST(LimitsTest, ProtoMaxBulkLen) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "proto-max-bulk-len", "1mb"})));
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "proto-max-bulk-len"}), {"proto-max-bulk-len", "1048576"});
  RawConn over(server->port());
  ExpectRawThenClose(over, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n", "-ERR Protocol error: invalid bulk length\r\n");
  // At the limit it is fine; growing past it is refused.
  const std::string value(kMb, 'p');
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "k", value})));
  const std::string too_big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  ExpectError(Cmd(c, {"APPEND", "k", "x"}), too_big);
  ExpectError(Cmd(c, {"SETRANGE", "k", "1048576", "x"}), too_big);
  ExpectInt(Cmd(c, {"SETRANGE", "k", "1048575", "x"}), kMb);
  ExpectError(Cmd(c, {"CONFIG", "SET", "proto-max-bulk-len", "1000"}),
              "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between "
              "1048576 and 9223372036854775807 inclusive");
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "proto-max-bulk-len", "2mb"})));
  ExpectInt(Cmd(c, {"APPEND", "k", "x"}), kMb + 1);
}

TEST(LimitsTest, ClientQueryBufferLimit) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "client-query-buffer-limit", "1mb"})));
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "client-query-buffer-limit"}), {"client-query-buffer-limit", "1048576"});
  RawConn bystander(server->port());
  ASSERT_TRUE(bystander.Send("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$3\r\nab"));  // mid-command meanwhile
  RawConn greedy(server->port());
  long long id = ClientIdOf(greedy);
  std::string req = "*2\r\n$4\r\nECHO\r\n$2000000\r\n" + std::string(2000000, 'g');
  SendWithoutReading(greedy, req, 3000);
  EXPECT_EQ(greedy.ReadUntilClosed(5000), "") << "no reply, just the close";
  EXPECT_TRUE(greedy.peer_closed());
  std::string log;
  EXPECT_TRUE(WaitFor([&] {
    log = server->LogTail(20000);
    return log.find("Closing client that reached max query buffer length: id=" + std::to_string(id) + " ") !=
           std::string::npos;
  }, 3000)) << log;
  EXPECT_NE(log.find(" (qbuf initial bytes: \""), std::string::npos) << log;
  // A request under the limit is fine, and so is the bystander.
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "k", std::string(900000, 'v')})));
  ExpectRaw(bystander, "c\r\n", "+OK\r\n");
  ExpectBulk(Cmd(c, {"GET", "half"}), "abc");
  ExpectError(Cmd(c, {"CONFIG", "SET", "client-query-buffer-limit", "1000"}),
              "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be "
              "between 1048576 and 9223372036854775807 inclusive");
}

// A busy connection keeps its output buffer (CLIENT LIST rbs) between replies up to 1 MiB, so the next
// big reply does not take fresh memory; a bigger one is freed as soon as it is written, and any over
// 16 KiB once the connection has been idle for 2 s (worker.cpp kBusyBufferKeep, kIdleBufferMs).
TEST(LimitsTest, ReplyBufferKeptWhileBusyFreedWhenIdle) {
  if (ServerIsRealRedis()) GTEST_SKIP() << "rbs is Redis's fixed reply buffer there, resized on other rules";
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "mid", Patterned(300000, 'm')})));
  ASSERT_TRUE(ExpectOk(Cmd(c, {"SET", "huge", Patterned(2 * kMb, 'h')})));
  RawConn reader(server->port());
  long long id = ClientIdOf(reader);
  const std::string mid = BulkOf(Patterned(300000, 'm'));
  ASSERT_TRUE(ExpectRaw(reader, "GET mid\r\n", mid));
  std::string line = ClientLine(c, id);
  EXPECT_GE(NumField(line, "rbs"), 300000) << "kept after the reply went out: " << line;
  EXPECT_LE(NumField(line, "rbs"), kMb) << line;
  EXPECT_EQ(NumField(line, "omem"), 0) << line;
  ASSERT_TRUE(ExpectRaw(reader, "GET huge\r\n", BulkOf(Patterned(2 * kMb, 'h'))));
  line = ClientLine(c, id);
  EXPECT_EQ(NumField(line, "rbs"), 0) << "a buffer over 1 MiB is freed once written: " << line;
  ASSERT_TRUE(ExpectRaw(reader, "GET mid\r\n", mid));
  EXPECT_GE(NumField(ClientLine(c, id), "rbs"), 300000);
  // Idle (the other connection's CLIENT LIST does not count as its activity): freed within 2 s + 1 s.
  EXPECT_TRUE(WaitFor([&] { return NumField(ClientLine(c, id), "rbs") == 0; }, 6000)) << ClientLine(c, id);
  ASSERT_TRUE(ExpectRaw(reader, "PING\r\n", "+PONG\r\n"));  // and the connection works on
}

TEST(LimitsTest, MaxclientsAtRuntime) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "maxclients", "2"})));
  RawConn second(server->port());
  ASSERT_TRUE(ExpectRaw(second, "PING\r\n", "+PONG\r\n"));
  RawConn third(server->port());
  EXPECT_EQ(Escape(third.ReadUntilClosed(3000)), Escape("-ERR max number of clients reached\r\n"));
  EXPECT_TRUE(third.peer_closed());
  Reply info = Cmd(c, {"INFO", "stats"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING);
  EXPECT_EQ(InfoField(info->str, "rejected_connections"), "1");
  ExpectError(Cmd(c, {"CONFIG", "SET", "maxclients", "0"}),
              "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and "
              "4294967295 inclusive");
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "maxclients", "3"})));
  RawConn now_fits(server->port());
  ExpectRaw(now_fits, "PING\r\n", "+PONG\r\n");
}

TEST(LimitsTest, TimeoutClosesIdleClientsButNotBlockedOnes) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Client c(server->port());
  RawConn blocked(server->port());
  ASSERT_TRUE(blocked.Send("BZPOPMIN z 0\r\n"));
  RawConn idle(server->port());
  ASSERT_TRUE(ExpectRaw(idle, "PING\r\n", "+PONG\r\n"));
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "timeout", "1"})));  // applies to clients already connected
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "timeout"}), {"timeout", "1"});
  long long t0 = NowMs();
  EXPECT_EQ(idle.ReadUntilClosed(5000), "");
  EXPECT_TRUE(idle.peer_closed()) << "an idle client outlived timeout 1";
  EXPECT_GE(NowMs() - t0, 900);
  SleepMs(1500);  // the blocked client is idle too, longer than the timeout
  Client fresh(server->port());
  ExpectInt(Cmd(fresh, {"ZADD", "z", "1", "m"}), 1);
  const std::string popped = "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n";
  EXPECT_EQ(Escape(blocked.Read(popped.size(), 3000)), Escape(popped));
  ExpectError(Cmd(fresh, {"CONFIG", "SET", "timeout", "-1"}),
              "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and "
              "2147483647 inclusive");
}

// Whether the server side of the connection from local port `peer` runs a keepalive timer (ss -o).
int KeepaliveTimer(int server_port, int peer) {
  std::string cmd = "ss -tnoH state established '( sport = :" + std::to_string(server_port) + " )' 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  pclose(f);
  std::string me = "127.0.0.1:" + std::to_string(peer) + " ";
  size_t at = out.find(me);
  if (at == std::string::npos) return -1;
  std::string line = out.substr(at, out.find('\n', at) - at);
  return line.find("timer:(keepalive,") != std::string::npos ? 1 : 0;
}

int LocalPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST(LimitsTest, TcpKeepalive) {
  auto server = StartServer({"--tcp-keepalive", "77"});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "tcp-keepalive"}), {"tcp-keepalive", "77"});
  RawConn with(server->port());
  ASSERT_TRUE(ExpectRaw(with, "PING\r\n", "+PONG\r\n"));
  EXPECT_EQ(KeepaliveTimer(server->port(), LocalPort(with.fd())), 1) << "SO_KEEPALIVE is not set";
  // A new value applies to connections accepted from then on.
  ASSERT_TRUE(ExpectOk(Cmd(c, {"CONFIG", "SET", "tcp-keepalive", "0"})));
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "tcp-keepalive"}), {"tcp-keepalive", "0"});
  RawConn without(server->port());
  ASSERT_TRUE(ExpectRaw(without, "PING\r\n", "+PONG\r\n"));
  EXPECT_EQ(KeepaliveTimer(server->port(), LocalPort(without.fd())), 0) << "keepalive on with tcp-keepalive 0";
  EXPECT_EQ(KeepaliveTimer(server->port(), LocalPort(with.fd())), 1);
  ExpectError(Cmd(c, {"CONFIG", "SET", "tcp-keepalive", "-1"}),
              "ERR CONFIG SET failed (possibly related to argument 'tcp-keepalive') - argument must be between 0 and "
              "2147483647 inclusive");
}

}  // namespace
}  // namespace tally_test
