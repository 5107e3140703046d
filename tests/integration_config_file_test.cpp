// Config files as users have them: the active lines of the redis.conf that Debian's redis-server 7.0
// installs start Tally (what Tally does not implement is named in the log), pidfile and tcp-backlog do
// what Redis does with them, and settings that would need a missing feature stop the start. Validated
// against redis-server 7.0 (TALLY_SERVER=/usr/bin/redis-server) but for the Tally-only checks.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

// Every line of /etc/redis/redis.conf (Debian, redis-server 5:7.0.15) that is not a comment or blank.
constexpr char kStockRedisConf[] =
    "bind 127.0.0.1 -::1\n"
    "protected-mode yes\n"
    "port 6379\n"
    "tcp-backlog 511\n"
    "timeout 0\n"
    "tcp-keepalive 300\n"
    "daemonize yes\n"
    "pidfile /run/redis/redis-server.pid\n"
    "loglevel notice\n"
    "logfile /var/log/redis/redis-server.log\n"
    "databases 16\n"
    "always-show-logo no\n"
    "set-proc-title yes\n"
    "proc-title-template \"{title} {listen-addr} {server-mode}\"\n"
    "stop-writes-on-bgsave-error yes\n"
    "rdbcompression yes\n"
    "rdbchecksum yes\n"
    "dbfilename dump.rdb\n"
    "rdb-del-sync-files no\n"
    "dir /var/lib/redis\n"
    "replica-serve-stale-data yes\n"
    "replica-read-only yes\n"
    "repl-diskless-sync yes\n"
    "repl-diskless-sync-delay 5\n"
    "repl-diskless-sync-max-replicas 0\n"
    "repl-diskless-load disabled\n"
    "repl-disable-tcp-nodelay no\n"
    "replica-priority 100\n"
    "acllog-max-len 128\n"
    "lazyfree-lazy-eviction no\n"
    "lazyfree-lazy-expire no\n"
    "lazyfree-lazy-server-del no\n"
    "replica-lazy-flush no\n"
    "lazyfree-lazy-user-del no\n"
    "lazyfree-lazy-user-flush no\n"
    "oom-score-adj no\n"
    "oom-score-adj-values 0 200 800\n"
    "disable-thp yes\n"
    "appendonly no\n"
    "appendfilename \"appendonly.aof\"\n"
    "appenddirname \"appendonlydir\"\n"
    "appendfsync everysec\n"
    "no-appendfsync-on-rewrite no\n"
    "auto-aof-rewrite-percentage 100\n"
    "auto-aof-rewrite-min-size 64mb\n"
    "aof-load-truncated yes\n"
    "aof-use-rdb-preamble yes\n"
    "aof-timestamp-enabled no\n"
    " \n"
    "slowlog-log-slower-than 10000\n"
    "slowlog-max-len 128\n"
    "latency-monitor-threshold 0\n"
    "notify-keyspace-events \"\"\n"
    "hash-max-listpack-entries 512\n"
    "hash-max-listpack-value 64\n"
    "list-max-listpack-size -2\n"
    "list-compress-depth 0\n"
    "set-max-intset-entries 512\n"
    "zset-max-listpack-entries 128\n"
    "zset-max-listpack-value 64\n"
    "hll-sparse-max-bytes 3000\n"
    "stream-node-max-bytes 4096\n"
    "stream-node-max-entries 100\n"
    "activerehashing yes\n"
    "client-output-buffer-limit normal 0 0 0\n"
    "client-output-buffer-limit replica 256mb 64mb 60\n"
    "client-output-buffer-limit pubsub 32mb 8mb 60\n"
    "hz 10\n"
    "dynamic-hz yes\n"
    "aof-rewrite-incremental-fsync yes\n"
    "rdb-save-incremental-fsync yes\n"
    "jemalloc-bg-thread yes\n"
    ;

std::string TempDir() {
  char tmpl[] = "/tmp/tally-conf-XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The flags that make the stock file runnable here: its logfile, pidfile and daemonize are the
// system service's.
std::vector<std::string> Runnable(const std::string& pidfile) {
  return {"--logfile", "", "--daemonize", "no", "--pidfile", pidfile};
}

TEST(ConfigFile, DebiansRedisConfStartsTheServer) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  std::string conf = dir + "/redis.conf", pidfile = dir + "/server.pid";
  std::ofstream(conf) << kStockRedisConf;
  Server server(Runnable(pidfile));
  server.SetConfigFile(conf);
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  Client c(server.port());
  ASSERT_TRUE(c.ok()) << c.error();
  ExpectOk(Cmd(c, {"SET", "k", "v"}));
  ExpectBulk(Cmd(c, {"GET", "k"}), "v");
  // The file's values, where Tally has the setting.
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "zset-max-listpack-entries"}), {"zset-max-listpack-entries", "128"});
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "tcp-backlog"}), {"tcp-backlog", "511"});
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "pidfile"}), {"pidfile", pidfile});
  EXPECT_EQ(ReadFile(pidfile), std::to_string(server.pid()) + "\n");
  if (!ServerIsRealRedis()) {
    std::string log = server.LogSinceStart();
    EXPECT_NE(log.find("Accepted but not implemented in Tally, so without effect: always-show-logo, set-proc-title"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("rdbcompression"), std::string::npos) << log;
    // They are not parameters: CONFIG SET calls them unknown rather than pretend to set them.
    ExpectError(Cmd(c, {"CONFIG", "SET", "rdbcompression", "no"}),
                "ERR Unknown option or number of arguments for CONFIG SET - 'rdbcompression'");
  }
  c.Close();
  server.Stop();
  EXPECT_NE(access(pidfile.c_str(), F_OK), 0) << "the pid file outlived the server";
  std::remove(conf.c_str());
  rmdir(dir.c_str());
}

TEST(ConfigFile, PidFileThatCannotBeWrittenDoesNotStopTheStart) {
  Server server({"--pidfile", "/nonexistent-dir/server.pid"});
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  Client c(server.port());
  ExpectStatus(Cmd(c, {"PING"}), "PONG");
  if (!ServerIsRealRedis()) {
    EXPECT_NE(server.LogSinceStart().find("Failed to write PID file: No such file or directory"), std::string::npos)
        << server.LogSinceStart();
  }
}

TEST(ConfigFile, BacklogOverSomaxconnIsWarned) {
  int somaxconn = 0;
  std::ifstream("/proc/sys/net/core/somaxconn") >> somaxconn;
  ASSERT_GT(somaxconn, 0);
  const int backlog = somaxconn + 1;
  Server server({"--tcp-backlog", std::to_string(backlog)});
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  Client c(server.port());
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "tcp-backlog"}), {"tcp-backlog", std::to_string(backlog)});
  EXPECT_NE(server.LogSinceStart().find("WARNING: The TCP backlog setting of " + std::to_string(backlog) +
                                        " cannot be enforced because /proc/sys/net/core/somaxconn is set to the "
                                        "lower value of " + std::to_string(somaxconn) + "."),
            std::string::npos)
      << server.LogSinceStart();
  ExpectError(Cmd(c, {"CONFIG", "SET", "tcp-backlog", "100"}),
              "ERR CONFIG SET failed (possibly related to argument 'tcp-backlog') - can't set immutable config");
}

// Redis accepts these; Tally cannot do what they ask, so it says so instead of starting without it.
TEST(ConfigFile, SettingsThatNeedAMissingFeatureStopTheStart) {
  if (ServerIsRealRedis()) GTEST_SKIP() << "Redis has keyspace notifications and replication";
  ExpectStartRefused({"--notify-keyspace-events", "KEA"},
                     "Invalid argument 'KEA' for 'notify-keyspace-events': keyspace notifications are not "
                     "implemented in Tally");
  ExpectStartRefused({"--replicaof", "127.0.0.1", "6379"}, "Bad directive or wrong number of arguments: 'replicaof'");
}

}  // namespace
}  // namespace tally_test
