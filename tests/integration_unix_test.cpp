// The Unix-domain socket (unixsocket, unixsocketperm): hiredis, redis-cli and redis-benchmark over the
// socket, what CLIENT LIST shows of its clients, the socket file's mode, a stale file, removal at
// shutdown, a socket as the only listener, and the settings that stop the start. Validated against
// redis-server 7.0 (TALLY_SERVER=/usr/bin/redis-server).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

// A hiredis connection over a Unix socket.
std::unique_ptr<redisContext, ContextDeleter> ConnectUnix(const std::string& path) {
  timeval tv{5, 0};
  return std::unique_ptr<redisContext, ContextDeleter>(redisConnectUnixWithTimeout(path.c_str(), tv));
}

bool Connected(const std::unique_ptr<redisContext, ContextDeleter>& c) { return c && c->err == 0; }

// Waits up to timeout_ms until a connection to the socket at `path` answers PING.
bool WaitUnix(const std::string& path, int timeout_ms) {
  for (long long end = NowMs() + timeout_ms; NowMs() < end; SleepMs(20)) {
    auto c = ConnectUnix(path);
    if (!Connected(c)) continue;
    Reply r = Cmd(c.get(), {"PING"});
    if (r && r->type == REDIS_REPLY_STATUS) return true;
  }
  return false;
}

// The value of `field` in a CLIENT LIST / CLIENT INFO line ("" when absent).
std::string ClientField(const std::string& line, const std::string& field) {
  std::size_t at = line.find(" " + field + "=");
  if (at == std::string::npos) at = line.rfind(field + "=", 0) == 0 ? 0 : std::string::npos;
  else ++at;
  if (at == std::string::npos) return "";
  at += field.size() + 1;
  return line.substr(at, line.find_first_of(" \n", at) - at);
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string TempDir() {
  char tmpl[] = "/tmp/tally-unix-XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "";
}

TEST(UnixSocket, ServesClientsBesideTcp) {
  auto server = StartServer({"--unixsocket", "s.sock", "--unixsocketperm", "700"});
  ASSERT_TRUE(server);
  std::string path = server->dir() + "/s.sock";  // relative to dir, as Redis's chdir makes it
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto u = ConnectUnix(path);
  ASSERT_TRUE(Connected(u)) << (u ? u->errstr : "no context");
  Client tcp(server->port());
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  ExpectOk(Cmd(u.get(), {"SET", "k", "over the socket"}));
  ExpectBulk(Cmd(tcp, {"GET", "k"}), "over the socket");
  ExpectOk(Cmd(tcp, {"SET", "k", "over tcp"}));
  ExpectBulk(Cmd(u.get(), {"GET", "k"}), "over tcp");

  // A pipeline of 2000 commands through the socket, in order.
  for (int i = 0; i < 2000; ++i) Append(u.get(), {"INCR", "n"});
  for (int i = 1; i <= 2000; ++i)
    if (!ExpectInt(GetReply(u.get()), i)) break;

  // The socket's clients: both ends are the configured path with port 0, flag U.
  Reply info = Cmd(u.get(), {"CLIENT", "INFO"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING) << Describe(info.get());
  std::string line(info->str, info->len);
  EXPECT_EQ(ClientField(line, "addr"), "s.sock:0") << line;
  EXPECT_EQ(ClientField(line, "laddr"), "s.sock:0") << line;
  EXPECT_EQ(ClientField(line, "flags"), "U") << line;
  info = Cmd(tcp, {"CLIENT", "INFO"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING) << Describe(info.get());
  line.assign(info->str, info->len);
  EXPECT_EQ(ClientField(line, "flags"), "N") << line;
  EXPECT_EQ(ClientField(line, "addr").rfind("127.0.0.1:", 0), 0u) << line;
  // CLIENT KILL finds the socket's client by that address.
  ExpectInt(Cmd(tcp, {"CLIENT", "KILL", "ADDR", "s.sock:0"}), 1);
  EXPECT_FALSE(Cmd(u.get(), {"PING"}) && u->err == 0);

  ExpectBulks(Cmd(tcp, {"CONFIG", "GET", "unixsocket"}), {"unixsocket", "s.sock"});
  ExpectBulks(Cmd(tcp, {"CONFIG", "GET", "unixsocketperm"}), {"unixsocketperm", "700"});
  ExpectError(Cmd(tcp, {"CONFIG", "SET", "unixsocket", "other.sock"}),
              "ERR CONFIG SET failed (possibly related to argument 'unixsocket') - can't set immutable config");
  ExpectError(Cmd(tcp, {"CONFIG", "SET", "unixsocketperm", "777"}),
              "ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable config");

  // The tools users point at a socket: redis-cli -s and redis-benchmark -s.
  EXPECT_EQ(Shell("redis-cli -s " + path + " SET tool ok"), "OK\n");
  EXPECT_EQ(Shell("redis-cli -s " + path + " GET tool"), "ok\n");
  std::string bench = Shell("redis-benchmark -s " + path + " -t incr -n 1000 -q --csv");
  EXPECT_NE(bench.find("\"INCR\""), std::string::npos) << bench;
  ExpectBulk(Cmd(tcp, {"GET", "counter:__rand_int__"}), "1000");
}

TEST(UnixSocket, StaleFileIsReplacedAndTheSocketRemovedAtShutdown) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/stale.sock";
  std::ofstream(path) << "left by an earlier run";
  auto server = StartServer({"--unixsocket", path});
  ASSERT_TRUE(server);
  ASSERT_TRUE(WaitUnix(path, 5000));
  auto u = ConnectUnix(path);
  ASSERT_TRUE(Connected(u));
  ExpectBulks(Cmd(u.get(), {"CONFIG", "GET", "unixsocket"}), {"unixsocket", path});
  ExpectBulks(Cmd(u.get(), {"CONFIG", "GET", "unixsocketperm"}), {"unixsocketperm", "0"});
  u.reset();
  server->Stop();
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "the socket file outlived the server";
  rmdir(dir.c_str());
}

TEST(UnixSocket, ASocketFileAlreadyGoneIsReportedAtShutdown) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/gone.sock";
  auto server = StartServer({"--unixsocket", path});
  ASSERT_TRUE(server);
  ASSERT_TRUE(WaitUnix(path, 5000));
  ASSERT_EQ(unlink(path.c_str()), 0);
  Client tcp(server->port());
  ExpectBulk(Cmd(tcp, {"ECHO", "still serving"}), "still serving");
  tcp.Close();
  ASSERT_EQ(kill(server->pid(), SIGTERM), 0);
  ASSERT_TRUE(server->WaitExit(10000));
  std::string log = server->LogSinceStart();
  EXPECT_NE(log.find("Removing the unix socket file."), std::string::npos) << log;
  EXPECT_NE(log.find("Error removing the unix socket file: No such file or directory"), std::string::npos) << log;
  rmdir(dir.c_str());
}

TEST(UnixSocket, TheSocketAloneWithPortZero) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/only.sock";
  Server server({"--unixsocket", path, "--port", "0"});
  std::string error;
  ASSERT_TRUE(server.Launch(&error)) << error;
  ASSERT_TRUE(WaitUnix(path, 10000)) << server.LogSinceStart();
  auto u = ConnectUnix(path);
  ASSERT_TRUE(Connected(u));
  ExpectOk(Cmd(u.get(), {"SET", "k", "v"}));
  ExpectBulk(Cmd(u.get(), {"GET", "k"}), "v");
  server.Stop();
  rmdir(dir.c_str());
}

TEST(UnixSocket, BadSettingsStopTheStart) {
  std::string long_path = "/tmp/" + std::string(120, 'a') + ".sock";
  ExpectStartRefused({"--unixsocket", long_path}, "Failed opening Unix socket: unix socket path too long (" +
                                                      std::to_string(long_path.size()) + "), must be under 108");
  ExpectStartRefused({"--unixsocket", "/nonexistent-dir/x.sock"},
                     "Failed opening Unix socket: bind: No such file or directory");
  ExpectStartRefused({"--unixsocket", "x.sock", "--unixsocketperm", "999"},
                     "argument couldn't be parsed as an octal number");
  ExpectStartRefused({"--unixsocket", "x.sock", "--unixsocketperm", "1777"},
                     "argument must be between 0 and 777 inclusive");
}

}  // namespace
}  // namespace tally_test
