// Configuration: flags, config files, memory units, CONFIG GET/SET values and Redis 7.0's error texts.
#include "config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "hash.h"

namespace tally {
namespace {

// Runs parse_args on {"tally-server", args...}.
std::string parse(Config* cfg, std::initializer_list<std::string> args) {
  std::vector<std::string> owned = {"tally-server"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : owned) argv.push_back(s.data());
  return parse_args(static_cast<int>(argv.size()), argv.data(), cfg);
}

std::map<std::string, std::string> get(const Config& cfg, std::string_view pattern) {
  std::vector<std::pair<std::string, std::string>> out;
  config_get(cfg, pattern, &out);
  return {out.begin(), out.end()};
}

std::string get_one(const Config& cfg, std::string_view name) {
  auto m = get(cfg, name);
  EXPECT_EQ(m.size(), 1u) << name;
  return m.empty() ? "<missing>" : m.begin()->second;
}

// A config file in the test's temporary directory, removed afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = (std::filesystem::temp_directory_path() / ("tally_cfg_" + std::to_string(getpid()) + ".conf")).string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigTest, Defaults) {
  Config cfg;
  EXPECT_EQ(get_one(cfg, "port"), "6379");
  EXPECT_EQ(get_one(cfg, "save"), "");
  EXPECT_EQ(get_one(cfg, "appendonly"), "yes");  // Tally logs by default (Redis: no)
  EXPECT_EQ(get_one(cfg, "appendfsync"), "everysec");
  EXPECT_EQ(get_one(cfg, "maxmemory"), "0");
  EXPECT_EQ(get_one(cfg, "proto-max-bulk-len"), "536870912");
  EXPECT_EQ(get_one(cfg, "client-query-buffer-limit"), "1073741824");
  EXPECT_EQ(get_one(cfg, "databases"), "16");
  EXPECT_EQ(get_one(cfg, "maxclients"), "10000");
  EXPECT_EQ(get_one(cfg, "tcp-keepalive"), "300");
  EXPECT_EQ(get_one(cfg, "daemonize"), "no");
}

TEST(ConfigTest, FlagsWithValues) {
  Config cfg;
  ASSERT_EQ(parse(&cfg, {"--port", "7000", "--bind", "0.0.0.0", "::1", "--io-threads", "4", "--shards", "16",
                         "--maxmemory", "1gb", "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                         "--loglevel", "warning", "--requirepass", "s3cret", "--daemonize", "yes"}),
            "");
  EXPECT_EQ(cfg.port, 7000);
  EXPECT_EQ(cfg.bind, "0.0.0.0 ::1");  // the whole list, as CONFIG GET bind shows it (net.cpp picks)
  EXPECT_EQ(cfg.workers, 4);
  EXPECT_EQ(cfg.shards, 16);
  EXPECT_EQ(cfg.maxmemory.load(), 1LL << 30);
  EXPECT_TRUE(cfg.appendonly.load());
  EXPECT_EQ(cfg.appendfsync.load(), FsyncPolicy::kAlways);
  EXPECT_EQ(cfg.save, "");
  EXPECT_EQ(cfg.loglevel.load(), 3);
  EXPECT_EQ(cfg.get_requirepass(), "s3cret");
  EXPECT_TRUE(cfg.daemonize);
  EXPECT_EQ(get_one(cfg, "workers"), "4");
  EXPECT_EQ(get_one(cfg, "io-threads"), "4");
}

TEST(ConfigTest, FlagNamesAreCaseInsensitive) {
  Config cfg;
  ASSERT_EQ(parse(&cfg, {"--PORT", "7001", "--Workers", "2"}), "");
  EXPECT_EQ(cfg.port, 7001);
  EXPECT_EQ(cfg.workers, 2);
}

TEST(ConfigTest, BadFlagsAreNamed) {
  Config cfg;
  EXPECT_EQ(parse(&cfg, {"--foo", "bar"}), "Bad directive or wrong number of arguments: 'foo'");
  EXPECT_EQ(parse(&cfg, {"--port", "x"}),
            "Invalid argument 'x' for 'port': argument couldn't be parsed into an integer");
  EXPECT_EQ(parse(&cfg, {"--port", "70000"}),
            "Invalid argument '70000' for 'port': argument must be between 0 and 65535 inclusive");
  EXPECT_EQ(parse(&cfg, {"--port"}), "Wrong number of arguments for 'port'");
  EXPECT_EQ(parse(&cfg, {"--port", "1", "2"}), "Wrong number of arguments for 'port'");
  EXPECT_EQ(parse(&cfg, {"--appendonly", "maybe"}),
            "Invalid argument 'maybe' for 'appendonly': argument must be 'yes' or 'no'");
  EXPECT_EQ(parse(&cfg, {"--maxmemory", "1zz"}),
            "Invalid argument '1zz' for 'maxmemory': argument must be a memory value");
  EXPECT_EQ(parse(&cfg, {"--loglevel", "loud"}),
            "Invalid argument 'loud' for 'loglevel': argument(s) must be one of the following: debug, verbose, "
            "notice, warning");
  EXPECT_EQ(parse(&cfg, {"--shards", "3"}),
            "Invalid argument '3' for 'shards': argument must be a power of two between 1 and 1024");
  EXPECT_EQ(parse(&cfg, {"--shards", "2048"}),
            "Invalid argument '2048' for 'shards': argument must be between 1 and 1024 inclusive");
}

// unixsocketperm is a file mode: read as Redis reads it (strtoll in base 8) and shown in octal.
TEST(ConfigTest, OctalModes) {
  struct Case {
    const char* in;
    int want;
    const char* shown;
  } cases[] = {{"700", 0700, "700"}, {"0755", 0755, "755"}, {"777", 0777, "777"}, {"0", 0, "0"},
               {"+7", 07, "7"},      {" 7", 07, "7"},       {"", 0, "0"}};
  for (const Case& c : cases) {
    Config cfg;
    ASSERT_EQ(parse(&cfg, {"--unixsocketperm", c.in}), "") << c.in;
    EXPECT_EQ(cfg.unixsocketperm, c.want) << c.in;
    EXPECT_EQ(get_one(cfg, "unixsocketperm"), c.shown) << c.in;
  }
  Config cfg;
  for (const char* bad : {"8", "79", "7x", "0x7", "7 "})
    EXPECT_EQ(parse(&cfg, {"--unixsocketperm", bad}), "Invalid argument '" + std::string(bad) +
                                                          "' for 'unixsocketperm': argument couldn't be parsed as an octal number")
        << bad;
  for (const char* out : {"1000", "-1", "7777"})
    EXPECT_EQ(parse(&cfg, {"--unixsocketperm", out}),
              "Invalid argument '" + std::string(out) + "' for 'unixsocketperm': argument must be between 0 and 777 inclusive")
        << out;
  EXPECT_EQ(parse(&cfg, {"--unixsocketperm", "99999999999999999999999"}),
            "Invalid argument '99999999999999999999999' for 'unixsocketperm': argument couldn't be parsed as an octal number");
  EXPECT_EQ(cfg.unixsocketperm, 0);
  EXPECT_EQ(get_one(cfg, "unixsocket"), "");
  EXPECT_EQ(config_set(&cfg, "unixsocket", "/tmp/x.sock"),
            "ERR CONFIG SET failed (possibly related to argument 'unixsocket') - can't set immutable config");
}

// Directives of redis.conf that Tally does not implement are accepted (any value), named once each
// for the start-up log, and are not parameters; one that would need the missing feature is refused.
TEST(ConfigTest, UnimplementedRedisDirectivesAreAcceptedAndNamed) {
  Config cfg;
  ASSERT_EQ(parse(&cfg, {"--rdbcompression", "yes", "--oom-score-adj-values", "0", "200", "800", "--RDBCompression",
                         "no", "--notify-keyspace-events", ""}),
            "");
  EXPECT_EQ(cfg.ignored_directives, (std::vector<std::string>{"rdbcompression", "oom-score-adj-values",
                                                              "notify-keyspace-events"}));
  EXPECT_TRUE(get(cfg, "rdbcompression").empty());
  EXPECT_EQ(config_set(&cfg, "rdbcompression", "no"),
            "ERR Unknown option or number of arguments for CONFIG SET - 'rdbcompression'");
  EXPECT_EQ(parse(&cfg, {"--notify-keyspace-events", "Ex"}),
            "Invalid argument 'Ex' for 'notify-keyspace-events': keyspace notifications are not implemented in Tally");
  EXPECT_EQ(parse(&cfg, {"--rdbcompression"}), "Bad directive or wrong number of arguments: 'rdbcompression'");
  EXPECT_EQ(parse(&cfg, {"--replicaof", "127.0.0.1", "6379"}), "Bad directive or wrong number of arguments: 'replicaof'");
  TempFile file("dbfilename dump.rdb\nrepl-diskless-sync yes\nport 7777\n");
  Config from_file;
  ASSERT_EQ(parse(&from_file, {file.path()}), "");
  EXPECT_EQ(from_file.port, 7777);
  EXPECT_EQ(from_file.ignored_directives, (std::vector<std::string>{"dbfilename", "repl-diskless-sync"}));
}

TEST(ConfigTest, TcpBacklogAndPidfile) {
  Config cfg;
  EXPECT_EQ(get_one(cfg, "tcp-backlog"), "511");
  EXPECT_EQ(get_one(cfg, "pidfile"), "");
  ASSERT_EQ(parse(&cfg, {"--tcp-backlog", "1024", "--pidfile", "/run/tally.pid"}), "");
  EXPECT_EQ(cfg.tcp_backlog, 1024);
  EXPECT_EQ(get_one(cfg, "pidfile"), "/run/tally.pid");
  EXPECT_EQ(parse(&cfg, {"--tcp-backlog", "-1"}),
            "Invalid argument '-1' for 'tcp-backlog': argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(config_set(&cfg, "tcp-backlog", "10"),
            "ERR CONFIG SET failed (possibly related to argument 'tcp-backlog') - can't set immutable config");
  EXPECT_EQ(config_set(&cfg, "pidfile", "/tmp/x"),
            "ERR CONFIG SET failed (possibly related to argument 'pidfile') - can't set immutable config");
}

TEST(ConfigTest, IntegersAreStrict) {
  Config cfg;
  for (const char* bad : {"+5", "05", " 5", "5 ", "1e3", "0x10", "-0", ""})
    EXPECT_NE(parse(&cfg, {"--maxclients", bad}), "") << bad;
  EXPECT_EQ(cfg.maxclients.load(), 10000);
}

TEST(ConfigTest, MemoryUnits) {
  struct Case {
    const char* in;
    int64_t want;
  } cases[] = {{"0", 0},          {"100", 100},         {"1b", 1},
               {"1k", 1000},      {"1kb", 1024},        {"1K", 1000},
               {"2KB", 2048},     {"1m", 1000000},      {"1mb", 1 << 20},
               {"1g", 1000000000}, {"1gb", 1LL << 30},  {"3GB", 3LL << 30},
               {"", 0}};
  for (const Case& c : cases) {
    Config cfg;
    ASSERT_EQ(parse(&cfg, {"--maxmemory", c.in}), "") << c.in;
    EXPECT_EQ(cfg.maxmemory.load(), c.want) << c.in;
    EXPECT_EQ(get_one(cfg, "maxmemory"), std::to_string(c.want));
  }
  for (const char* bad : {"1.5gb", "-1", "1tb", "1gbb", "k1", "99999999999999999999"}) {
    Config cfg;
    EXPECT_NE(parse(&cfg, {"--maxmemory", bad}), "") << bad;
  }
  Config cfg;
  ASSERT_EQ(parse(&cfg, {"--proto-max-bulk-len", "2mb", "--client-query-buffer-limit", "1gb"}), "");
  EXPECT_EQ(cfg.proto_max_bulk_len.load(), 2 << 20);
  EXPECT_EQ(cfg.client_query_buffer_limit.load(), 1LL << 30);
  EXPECT_NE(parse(&cfg, {"--proto-max-bulk-len", "1000"}), "");  // below Redis's 1mb minimum
}

TEST(ConfigTest, SaveLinesAccumulate) {
  Config cfg;
  ASSERT_EQ(parse(&cfg, {"--save", "900", "1", "--save", "300", "10"}), "");
  EXPECT_EQ(cfg.save, "900 1 300 10");
  ASSERT_EQ(parse(&cfg, {"--save", "60", "5", "--save", ""}), "");
  EXPECT_EQ(cfg.save, "");
  EXPECT_EQ(parse(&cfg, {"--save", "900"}), "Invalid argument '900' for 'save': Invalid save parameters");
}

TEST(ConfigTest, ConfigFileWithCommentsAndQuotes) {
  TempFile file(
      "# a comment\n"
      "\n"
      "   port 7100\n"
      "requirepass \"pass word\"   # not a comment: split_args sees a third token\n");
  Config cfg;
  std::string msg = parse(&cfg, {file.path()});
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Wrong number of arguments for 'requirepass'"), std::string::npos) << msg;

  TempFile good(
      "# Tally\n"
      "port 7100\n"
      "  requirepass \"pass word\"\n"
      "logfile ''\n"
      "appendfilename 'my file.aof'\n"
      "save 900 1\n"
      "save 300 10\n"
      "maxmemory 100mb\n");
  Config cfg2;
  ASSERT_EQ(parse(&cfg2, {good.path(), "--port", "7200"}), "");
  EXPECT_EQ(cfg2.port, 7200);  // flags after the file win
  EXPECT_EQ(cfg2.get_requirepass(), "pass word");
  EXPECT_EQ(cfg2.logfile, "");
  EXPECT_EQ(cfg2.appendfilename, "my file.aof");
  EXPECT_EQ(cfg2.save, "900 1 300 10");
  EXPECT_EQ(cfg2.maxmemory.load(), 100LL << 20);
  EXPECT_TRUE(std::filesystem::path(cfg2.config_file).is_absolute());
  EXPECT_EQ(std::filesystem::path(cfg2.config_file), std::filesystem::path(good.path()));
}

TEST(ConfigTest, ConfigFileErrors) {
  TempFile bad("port 7100\nfoo \"bar\"\n");
  Config cfg;
  EXPECT_EQ(parse(&cfg, {bad.path()}),
            "config file '" + bad.path() + "', line 2: Bad directive or wrong number of arguments: 'foo'");
  TempFile quotes("port \"7100\n");
  EXPECT_EQ(parse(&cfg, {quotes.path()}),
            "config file '" + quotes.path() + "', line 1: Unbalanced quotes in configuration line");
  std::string msg = parse(&cfg, {"/nonexistent/tally.conf"});
  EXPECT_EQ(msg.rfind("Fatal error, can't open config file '/nonexistent/tally.conf'", 0), 0u) << msg;
}

TEST(ConfigTest, ApplyDirective) {
  Config cfg;
  EXPECT_EQ(apply_directive(&cfg, "timeout", {"30"}), "");
  EXPECT_EQ(cfg.timeout.load(), 30);
  EXPECT_EQ(apply_directive(&cfg, "nope", {"1"}), "Bad directive or wrong number of arguments: 'nope'");
  EXPECT_EQ(apply_directive(&cfg, "timeout", {}), "Wrong number of arguments for 'timeout'");
  EXPECT_EQ(apply_directive(&cfg, "save", {"100", "2"}), "");
  EXPECT_EQ(cfg.save, "100 2");
}

TEST(ConfigTest, GetGlobs) {
  Config cfg;
  auto all = get(cfg, "*");
  for (const char* name : {"port", "bind", "io-threads", "workers", "dir", "databases", "maxclients", "save",
                           "appendonly", "appendfsync", "maxmemory", "hz", "requirepass", "timeout"})
    EXPECT_TRUE(all.count(name)) << name;
  auto max = get(cfg, "MAX*");
  EXPECT_EQ(max.size(), 5u);
  EXPECT_TRUE(max.count("maxclients") && max.count("maxmemory") && max.count("maxmemory-policy") &&
              max.count("maxmemory-samples") && max.count("maxmemory-eviction-tenacity"));
  EXPECT_TRUE(get(cfg, "nosuch").empty());
  EXPECT_TRUE(get(cfg, "nosuch*").empty());
  // An exact name is echoed as asked, as Redis does.
  auto port = get(cfg, "PORT");
  ASSERT_EQ(port.size(), 1u);
  EXPECT_EQ(port.begin()->first, "PORT");
}

TEST(ConfigTest, GetDirIsAbsolute) {
  Config cfg;
  std::string dir = get_one(cfg, "dir");
  EXPECT_TRUE(std::filesystem::path(dir).is_absolute()) << dir;
  EXPECT_EQ(std::filesystem::path(dir), std::filesystem::current_path() / "data");
  EXPECT_NE(dir.back(), '/');
}

TEST(ConfigTest, SetRoundTrips) {
  Config cfg;
  struct Case {
    const char* name;
    const char* in;
    const char* out;
  } cases[] = {{"maxclients", "100", "100"},  {"timeout", "5", "5"},         {"tcp-keepalive", "0", "0"},
               {"maxmemory", "10K", "10000"}, {"maxmemory", "1GB", "1073741824"},
               {"appendonly", "YES", "yes"},  {"appendfsync", "No", "no"},   {"loglevel", "NOTICE", "notice"},
               {"hz", "1000", "500"},         {"hz", "0", "1"},              {"save", "900 1 300 10", "900 1 300 10"},
               {"save", "", ""},              {"requirepass", "pw", "pw"},   {"proto-max-bulk-len", "2mb", "2097152"}};
  for (const Case& c : cases) {
    EXPECT_EQ(config_set(&cfg, c.name, c.in), "") << c.name << " " << c.in;
    EXPECT_EQ(get_one(cfg, c.name), c.out) << c.name;
  }
  EXPECT_EQ(cfg.appendfsync.load(), FsyncPolicy::kNo);
  EXPECT_EQ(cfg.get_requirepass(), "pw");
}

TEST(ConfigTest, SetErrorsMatchRedis) {
  Config cfg;
  const std::string pre = "ERR CONFIG SET failed (possibly related to argument ";
  EXPECT_EQ(config_set(&cfg, "foo", "bar"), "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_EQ(config_set(&cfg, "port", "1"), pre + "'port') - can't set immutable config");
  EXPECT_EQ(config_set(&cfg, "daemonize", "yes"), pre + "'daemonize') - can't set immutable config");
  EXPECT_EQ(config_set(&cfg, "databases", "3"), pre + "'databases') - can't set immutable config");
  EXPECT_EQ(config_set(&cfg, "IO-THREADS", "2"), pre + "'IO-THREADS') - can't set immutable config");
  EXPECT_EQ(config_set(&cfg, "dir", "/tmp"), pre + "'dir') - can't set protected config");
  EXPECT_EQ(config_set(&cfg, "maxclients", "abc"), pre + "'maxclients') - argument couldn't be parsed into an integer");
  EXPECT_EQ(config_set(&cfg, "maxclients", "0"), pre + "'maxclients') - argument must be between 1 and 4294967295 inclusive");
  EXPECT_EQ(config_set(&cfg, "hz", "-1"), pre + "'hz') - argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(config_set(&cfg, "maxmemory", "1zz"), pre + "'maxmemory') - argument must be a memory value");
  EXPECT_EQ(config_set(&cfg, "appendonly", "maybe"), pre + "'appendonly') - argument must be 'yes' or 'no'");
  EXPECT_EQ(config_set(&cfg, "loglevel", "xx"),
            pre + "'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning");
  EXPECT_EQ(config_set(&cfg, "appendfsync", "xx"),
            pre + "'appendfsync') - argument(s) must be one of the following: everysec, always, no");
  EXPECT_EQ(config_set(&cfg, "proto-max-bulk-len", "10"),
            pre + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive");
  // Sizes overflow as in Redis's memtoull (found by fuzz/redis_diff.py, seed 50): the digits saturate
  // and the range check refuses them; the unit's product wraps; 128 digits are no number at all.
  EXPECT_EQ(config_set(&cfg, "zset-max-ziplist-value", "99999999999999999999"),
            pre + "'zset-max-ziplist-value') - argument must be between 0 and 9223372036854775807 inclusive");
  EXPECT_EQ(config_set(&cfg, "proto-max-bulk-len", "99999999999999999999kb"),
            pre + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive");
  EXPECT_EQ(config_set(&cfg, "hash-max-listpack-value", std::string(128, '1')),
            pre + "'hash-max-listpack-value') - argument must be a memory value");
  EXPECT_EQ(config_set(&cfg, "hash-max-listpack-value", std::string(127, '1')),
            pre + "'hash-max-listpack-value') - argument must be between 0 and 9223372036854775807 inclusive");
  EXPECT_EQ(config_set(&cfg, "save", "abc"), pre + "'save') - Invalid save parameters");
  EXPECT_EQ(config_set(&cfg, "save", "900"), pre + "'save') - Invalid save parameters");
  // Nothing changed.
  EXPECT_EQ(cfg.maxclients.load(), 10000);
  EXPECT_EQ(cfg.maxmemory.load(), 0);
  EXPECT_EQ(cfg.save, "");
  EXPECT_EQ(config_set(&cfg, "maxmemory", "17179869185gb"), "");  // 2^64 + 1 GiB, wrapped
  EXPECT_EQ(cfg.maxmemory.load(), 1073741824);
}

// The tls-* settings: Redis 7.0's names, defaults and value checks; the files are read once at start.
TEST(ConfigTest, TlsSettings) {
  Config defaults;
  EXPECT_EQ(get_one(defaults, "tls-port"), "0");
  EXPECT_EQ(get_one(defaults, "tls-auth-clients"), "yes");
  EXPECT_EQ(get_one(defaults, "tls-cert-file"), "");
  EXPECT_EQ(get_one(defaults, "tls-prefer-server-ciphers"), "no");
  EXPECT_EQ(get_one(defaults, "tls-session-caching"), "yes");
  EXPECT_EQ(get_one(defaults, "tls-session-cache-size"), "20480");
  EXPECT_EQ(get_one(defaults, "tls-session-cache-timeout"), "300");

  TempFile file(
      "tls-port 6380\n"
      "tls-cert-file /etc/tally/server.crt\n"
      "tls-key-file /etc/tally/server.key\n"
      "tls-ca-cert-file /etc/tally/ca.crt\n"
      "tls-auth-clients optional\n"
      "tls-protocols \"TLSv1.2 TLSv1.3\"\n");
  Config cfg;
  ASSERT_EQ(parse(&cfg, {file.path(), "--port", "0", "--tls-key-file-pass", "pw"}), "");
  EXPECT_EQ(cfg.port, 0);
  EXPECT_EQ(cfg.tls_port, 6380);
  EXPECT_EQ(get_one(cfg, "tls-cert-file"), "/etc/tally/server.crt");
  EXPECT_EQ(get_one(cfg, "tls-key-file"), "/etc/tally/server.key");
  EXPECT_EQ(get_one(cfg, "tls-key-file-pass"), "pw");
  EXPECT_EQ(get_one(cfg, "tls-ca-cert-file"), "/etc/tally/ca.crt");
  EXPECT_EQ(get_one(cfg, "tls-auth-clients"), "optional");
  EXPECT_EQ(get_one(cfg, "tls-protocols"), "TLSv1.2 TLSv1.3");
  EXPECT_EQ(get(cfg, "tls-*").size(), 14u);

  EXPECT_EQ(parse(&cfg, {"--tls-auth-clients", "sometimes"}),
            "Invalid argument 'sometimes' for 'tls-auth-clients': argument(s) must be one of the following: no, "
            "yes, optional");
  EXPECT_EQ(parse(&cfg, {"--tls-port", "65536"}),
            "Invalid argument '65536' for 'tls-port': argument must be between 0 and 65535 inclusive");
  const std::string pre = "ERR CONFIG SET failed (possibly related to argument ";
  EXPECT_EQ(config_set(&cfg, "tls-auth-clients", "no"), "");
  EXPECT_EQ(cfg.tls_auth_clients.load(), 0);
  EXPECT_EQ(config_set(&cfg, "tls-cert-file", "/x"), pre + "'tls-cert-file') - can't set immutable config");
  EXPECT_EQ(config_set(&cfg, "tls-port", "1"), pre + "'tls-port') - can't set immutable config");
}

// hash-max-listpack-entries / -value and Redis's old ziplist names for them: flags, config file
// lines and CONFIG SET all publish to the limits every HSET reads (hash.h).
TEST(ConfigTest, HashListpackLimits) {
  struct Restore {
    HashLimits saved = hash_limits();
    ~Restore() { set_hash_limits(saved); }
  } restore;
  Config defaults;
  EXPECT_EQ(get(defaults, "hash-max-*"), (std::map<std::string, std::string>{{"hash-max-listpack-entries", "512"},
                                                                             {"hash-max-listpack-value", "64"},
                                                                             {"hash-max-ziplist-entries", "512"},
                                                                             {"hash-max-ziplist-value", "64"}}));
  // An alias is reported under the name asked for, as Redis does.
  EXPECT_EQ(get(defaults, "HASH-MAX-ZIPLIST-VALUE"), (std::map<std::string, std::string>{{"HASH-MAX-ZIPLIST-VALUE", "64"}}));

  Config flags;
  ASSERT_EQ(parse(&flags, {"--hash-max-ziplist-entries", "7", "--hash-max-listpack-value", "1kb"}), "");
  EXPECT_EQ(get_one(flags, "hash-max-listpack-entries"), "7");
  EXPECT_EQ(get_one(flags, "hash-max-ziplist-value"), "1024");
  EXPECT_EQ(hash_limits().entries, 7u);
  EXPECT_EQ(hash_limits().value, 1024u);

  TempFile file("hash-max-listpack-entries 9\nhash-max-ziplist-value 3\n");
  Config from_file;
  ASSERT_EQ(parse(&from_file, {file.path()}), "");
  EXPECT_EQ(get_one(from_file, "hash-max-ziplist-entries"), "9");
  EXPECT_EQ(get_one(from_file, "hash-max-listpack-value"), "3");
  EXPECT_EQ(hash_limits().entries, 9u);
  EXPECT_EQ(hash_limits().value, 3u);
  Config bad;
  EXPECT_EQ(parse(&bad, {"--hash-max-listpack-entries", "-1"}),
            "Invalid argument '-1' for 'hash-max-listpack-entries': argument must be between 0 and "
            "9223372036854775807 inclusive");

  Config cfg;
  EXPECT_EQ(config_set(&cfg, "hash-max-ziplist-entries", "100"), "");
  EXPECT_EQ(config_set(&cfg, "hash-max-listpack-value", "2k"), "");
  EXPECT_EQ(hash_limits().entries, 100u);
  EXPECT_EQ(hash_limits().value, 2000u);
  EXPECT_EQ(config_set(&cfg, "hash-max-listpack-value", ""), "");  // memtoull reads "" as 0
  EXPECT_EQ(hash_limits().value, 0u);
  const std::string pre = "ERR CONFIG SET failed (possibly related to argument ";
  EXPECT_EQ(config_set(&cfg, "hash-max-listpack-entries", "-1"),
            pre + "'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive");
  EXPECT_EQ(config_set(&cfg, "hash-max-listpack-entries", "1kb"),
            pre + "'hash-max-listpack-entries') - argument couldn't be parsed into an integer");
  EXPECT_EQ(config_set(&cfg, "hash-max-ziplist-value", "-1"),
            pre + "'hash-max-ziplist-value') - argument must be a memory value");
  EXPECT_EQ(hash_limits().entries, 100u);  // failed sets change nothing
  EXPECT_EQ(hash_limits().value, 0u);
}

}  // namespace
}  // namespace tally
