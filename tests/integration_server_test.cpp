// Server commands end to end: COMMAND (COUNT/INFO/DOCS/LIST/GETKEYS), INFO, CONFIG GET/SET/RESETSTAT, TIME,
// DBSIZE, MEMORY USAGE.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

class ServerTest : public SharedServerTest {
 protected:
  std::string Info(const std::vector<std::string>& sections = {}) {
    std::vector<std::string> cmd = {"INFO"};
    cmd.insert(cmd.end(), sections.begin(), sections.end());
    Reply r = Cmd(c(), cmd);
    EXPECT_TRUE(r && r->type == REDIS_REPLY_STRING) << Describe(r.get());
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  }
  // CONFIG GET reply as name -> value (RESP2 flat pairs).
  std::map<std::string, std::string> ConfigGet(const std::vector<std::string>& names) {
    std::vector<std::string> cmd = {"CONFIG", "GET"};
    cmd.insert(cmd.end(), names.begin(), names.end());
    Reply r = Cmd(c(), cmd);
    std::map<std::string, std::string> out;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
      ADD_FAILURE() << "CONFIG GET must return an even-sized array, got " << Describe(r.get());
      return out;
    }
    auto v = Strings(r.get());
    for (size_t i = 0; i + 1 < v.size(); i += 2) out[v[i]] = v[i + 1];
    return out;
  }
};

bool Contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST_F(ServerTest, CommandCountAndList) {
  Reply count = Cmd(c(), {"COMMAND", "COUNT"});
  ASSERT_TRUE(count && count->type == REDIS_REPLY_INTEGER) << Describe(count.get());
  EXPECT_GT(count->integer, 0);
  Reply list = Cmd(c(), {"COMMAND", "LIST"});
  ASSERT_TRUE(list && list->type == REDIS_REPLY_ARRAY) << Describe(list.get());
  // COMMAND LIST also names subcommands ("config|get"); COMMAND COUNT counts top-level commands only.
  EXPECT_GT(static_cast<long long>(list->elements), count->integer);
  auto names = Strings(list.get());
  long long top_level = std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.find('|') == std::string::npos; });
  EXPECT_EQ(top_level, count->integer) << "COMMAND LIST's top-level names and COMMAND COUNT disagree";
  for (const char* name : {"get", "set", "ping", "command", "info", "config", "client", "scan", "incrbyfloat", "lcs", "hello",
                           "config|get", "client|id", "command|count", "object|encoding"})
    EXPECT_TRUE(Contains(names, name)) << name << " missing from COMMAND LIST";
  for (auto& n : names) {
    std::string lower = n;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    EXPECT_EQ(n, lower) << "command names are lowercase";
  }
  ExpectError(Cmd(c(), {"COMMAND", "COUNT", "x"}), "ERR wrong number of arguments for 'command|count' command");
  ExpectError(Cmd(c(), {"COMMAND", "FOO"}), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.");
  Reply help = Cmd(c(), {"COMMAND", "HELP"});
  ASSERT_TRUE(help && help->type == REDIS_REPLY_ARRAY) << Describe(help.get());
  EXPECT_GT(help->elements, 3u);
}

TEST_F(ServerTest, CommandInfo) {
  Reply r = Cmd(c(), {"COMMAND", "INFO", "get"});
  ASSERT_TRUE(ExpectArrayLen(r, 1));
  const redisReply* get = Elem(r.get(), 0);
  ASSERT_TRUE(IsArrayLen(get, 10)) << "a 7.0 command entry has 10 fields";
  EXPECT_TRUE(IsBulk(Elem(get, 0), "get"));
  EXPECT_TRUE(IsInt(Elem(get, 1), 2));
  auto flags = Strings(Elem(get, 2));
  EXPECT_TRUE(Contains(flags, "readonly"));
  EXPECT_TRUE(Contains(flags, "fast"));
  for (size_t i = 0; i < Elem(get, 2)->elements; ++i) EXPECT_EQ(Elem(get, 2)->element[i]->type, REDIS_REPLY_STATUS);
  EXPECT_TRUE(IsInt(Elem(get, 3), 1));  // first key
  EXPECT_TRUE(IsInt(Elem(get, 4), 1));  // last key
  EXPECT_TRUE(IsInt(Elem(get, 5), 1));  // step
  auto categories = Strings(Elem(get, 6));
  EXPECT_TRUE(Contains(categories, "@read"));
  EXPECT_TRUE(Contains(categories, "@string"));
  for (size_t i : {7, 8, 9}) EXPECT_EQ(Elem(get, i)->type, REDIS_REPLY_ARRAY) << "field " << i;

  // Case-insensitive lookup, several names, unknown -> nil in place.
  Reply multi = Cmd(c(), {"COMMAND", "INFO", "SET", "nosuchcmd", "mset"});
  ASSERT_TRUE(ExpectArrayLen(multi, 3));
  EXPECT_TRUE(IsBulk(Elem(Elem(multi.get(), 0), 0), "set"));
  EXPECT_TRUE(IsInt(Elem(Elem(multi.get(), 0), 1), -3));
  EXPECT_TRUE(Contains(Strings(Elem(Elem(multi.get(), 0), 2)), "write"));
  EXPECT_TRUE(IsNil(Elem(multi.get(), 1)));
  const redisReply* mset = Elem(multi.get(), 2);
  EXPECT_TRUE(IsBulk(Elem(mset, 0), "mset"));
  EXPECT_TRUE(IsInt(Elem(mset, 1), -3));
  EXPECT_TRUE(IsInt(Elem(mset, 3), 1));
  EXPECT_TRUE(IsInt(Elem(mset, 4), -1));
  EXPECT_TRUE(IsInt(Elem(mset, 5), 2));
  // Keyless command.
  Reply ping = Cmd(c(), {"COMMAND", "INFO", "ping"});
  const redisReply* p = Elem(ping.get(), 0);
  ASSERT_TRUE(IsArrayLen(p, 10));
  EXPECT_TRUE(IsInt(Elem(p, 1), -1));
  EXPECT_TRUE(IsInt(Elem(p, 3), 0));
  EXPECT_TRUE(IsInt(Elem(p, 4), 0));
  EXPECT_TRUE(IsInt(Elem(p, 5), 0));

  // Exact bytes of GET's entry (what redis-py's cluster client parses).
  RawConn raw(port());
  ExpectRaw(raw, "COMMAND INFO get\r\n",
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"
            "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
            "*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n"
            "$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
}

TEST_F(ServerTest, CommandDocs) {
  Reply r = Cmd(c(), {"COMMAND", "DOCS", "get"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));  // RESP2: flat [name, doc-map-as-array]
  EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "get"));
  const redisReply* doc = Elem(r.get(), 1);
  ASSERT_TRUE(doc && doc->type == REDIS_REPLY_ARRAY) << Describe(doc);
  ASSERT_EQ(doc->elements % 2, 0u);
  std::map<std::string, const redisReply*> fields;
  for (size_t i = 0; i + 1 < doc->elements; i += 2) {
    ASSERT_EQ(doc->element[i]->type, REDIS_REPLY_STRING) << "keys are bulk strings";
    fields[std::string(doc->element[i]->str, doc->element[i]->len)] = doc->element[i + 1];
  }
  // redis-cli asserts these types: summary/since/group bulk strings, arguments (when present) an array.
  ASSERT_TRUE(fields.count("summary"));
  ASSERT_EQ(fields["summary"]->type, REDIS_REPLY_STRING);
  EXPECT_GT(fields["summary"]->len, 0u);
  ASSERT_TRUE(fields.count("since"));
  EXPECT_TRUE(IsBulk(fields["since"], "1.0.0"));
  ASSERT_TRUE(fields.count("group"));
  EXPECT_TRUE(IsBulk(fields["group"], "string"));
  for (const char* nested : {"arguments", "subcommands"}) {
    if (fields.count(nested)) {
      EXPECT_EQ(fields[nested]->type, REDIS_REPLY_ARRAY) << nested;
    }
  }
  ExpectArrayLen(Cmd(c(), {"COMMAND", "DOCS", "nosuchcmd"}), 0);
  Reply two = Cmd(c(), {"COMMAND", "DOCS", "get", "nosuchcmd", "set"});
  ASSERT_TRUE(ExpectArrayLen(two, 4));
  EXPECT_TRUE(IsBulk(Elem(two.get(), 0), "get"));
  EXPECT_TRUE(IsBulk(Elem(two.get(), 2), "set"));
  // All commands (what interactive redis-cli sends at startup): one name/doc pair per top-level command. The reply nests
  // deeper than hiredis 0.14 can parse, so only its header is read, raw.
  Reply count = Cmd(c(), {"COMMAND", "COUNT"});
  ASSERT_TRUE(count && count->type == REDIS_REPLY_INTEGER);
  RawConn raw(port());
  ASSERT_TRUE(raw.Send("COMMAND DOCS\r\n"));
  EXPECT_EQ(raw.ReadUntil("\r\n"), "*" + std::to_string(2 * count->integer) + "\r\n");
}

TEST_F(ServerTest, CommandGetkeys) {
  ExpectBulks(Cmd(c(), {"COMMAND", "GETKEYS", "SET", "a", "b"}), {"a"});
  ExpectBulks(Cmd(c(), {"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}), {"a", "b"});
  ExpectBulks(Cmd(c(), {"COMMAND", "GETKEYS", "get", "k"}), {"k"});
  ExpectBulks(Cmd(c(), {"COMMAND", "GETKEYS", "DEL", "a", "b", "c"}), {"a", "b", "c"});
  ExpectBulks(Cmd(c(), {"COMMAND", "GETKEYS", "RENAME", "a", "b"}), {"a", "b"});
  ExpectError(Cmd(c(), {"COMMAND", "GETKEYS", "NOSUCH", "a"}), "ERR Invalid command specified");
  ExpectError(Cmd(c(), {"COMMAND", "GETKEYS", "PING", "x"}), "ERR The command has no key arguments");
  ExpectError(Cmd(c(), {"COMMAND", "GETKEYS", "GET", "a", "b"}), "ERR Invalid number of arguments specified for command");
  ExpectError(Cmd(c(), {"COMMAND", "GETKEYS", "GETRANGE", "a"}), "ERR Invalid number of arguments specified for command");
  ExpectError(Cmd(c(), {"COMMAND", "GETKEYS", "GET"}), "ERR wrong number of arguments for 'command|getkeys' command");
  ExpectError(Cmd(c(), {"COMMAND", "GETKEYS"}), "ERR wrong number of arguments for 'command|getkeys' command");
}

TEST_F(ServerTest, InfoSections) {
  std::string all = Info();
  for (const char* s : {"# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Persistence\r\n", "# Stats\r\n", "# Replication\r\n",
                        "# CPU\r\n", "# Cluster\r\n", "# Keyspace\r\n"})
    EXPECT_NE(all.find(s), std::string::npos) << "missing section " << Escape(s);
  EXPECT_EQ(all.rfind("# Server\r\n", 0), 0u) << "INFO starts with # Server";
  EXPECT_EQ(all.find("# Sentinel"), std::string::npos);
  EXPECT_EQ(all.find("# Commandstats"), std::string::npos) << "not in the default set";
  for (const char* f : {"redis_version", "redis_mode", "process_id", "tcp_port", "uptime_in_seconds", "connected_clients",
                        "maxclients", "used_memory", "loading", "role", "cluster_enabled", "total_commands_processed",
                        "total_connections_received", "keyspace_hits", "keyspace_misses", "expired_keys", "used_cpu_sys"})
    EXPECT_FALSE(InfoField(all, f).empty()) << "missing field " << f;
  EXPECT_EQ(InfoField(all, "redis_mode"), "standalone");
  EXPECT_EQ(InfoField(all, "role"), "master");
  EXPECT_EQ(InfoField(all, "cluster_enabled"), "0");
  EXPECT_EQ(InfoField(all, "tcp_port"), std::to_string(port()));
  EXPECT_EQ(InfoField(all, "maxclients"), "10000");
  EXPECT_EQ(InfoField(all, "redis_version").substr(0, 2), "7.");
  // redis-cli --stat takes the first match: used_memory: must precede used_memory_*.
  size_t um = all.find("\r\nused_memory:");
  ASSERT_NE(um, std::string::npos);
  EXPECT_EQ(all.find("used_memory_"), all.find("used_memory_", um)) << "used_memory_* before used_memory:";
  // Every line is CRLF-terminated: no bare LF.
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == '\n') {
      ASSERT_TRUE(i > 0 && all[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  EXPECT_GE(std::stoll(InfoField(all, "connected_clients")), 1);

  std::string server = Info({"server"});
  EXPECT_EQ(server.rfind("# Server\r\n", 0), 0u);
  EXPECT_EQ(server.find("# Clients"), std::string::npos);
  EXPECT_EQ(server.substr(server.size() - 2), "\r\n");
  std::string upper = Info({"SERVER"});
  EXPECT_EQ(upper.rfind("# Server\r\n", 0), 0u);

  // Several sections; unknown ones are skipped; alone they give an empty bulk.
  ExpectBulk(Cmd(c(), {"INFO", "cluster"}), "# Cluster\r\ncluster_enabled:0\r\n");
  ExpectBulk(Cmd(c(), {"INFO", "cluster", "keyspace"}), "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n");
  ExpectBulk(Cmd(c(), {"INFO", "nosuchsection", "cluster"}), "# Cluster\r\ncluster_enabled:0\r\n");
  ExpectBulk(Cmd(c(), {"INFO", "nosuchsection"}), "");

  std::string everything = Info({"all"});
  EXPECT_NE(everything.find("# Commandstats\r\n"), std::string::npos);
  EXPECT_NE(everything.find("\r\ncmdstat_info:calls="), std::string::npos);
  std::string def = Info({"default"});
  EXPECT_EQ(def.rfind("# Server\r\n", 0), 0u);
  EXPECT_NE(def.find("# Keyspace\r\n"), std::string::npos);
}

TEST_F(ServerTest, InfoKeyspace) {
  ExpectBulk(Cmd(c(), {"INFO", "keyspace"}), "# Keyspace\r\n");
  ExpectOk(Cmd(c(), {"SET", "a", "1"}));
  ExpectBulk(Cmd(c(), {"INFO", "keyspace"}), "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
  ExpectBulk(Cmd(c(), {"INFO", "KEYSPACE"}), "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
  std::string all = Info();
  EXPECT_NE(all.find("\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"), std::string::npos);
  ExpectOk(Cmd(c(), {"SELECT", "3"}));
  ExpectOk(Cmd(c(), {"SET", "b", "2", "EX", "1000"}));
  ExpectOk(Cmd(c(), {"SET", "c", "2"}));
  Reply ks = Cmd(c(), {"INFO", "keyspace"});
  ASSERT_TRUE(ks && ks->type == REDIS_REPLY_STRING) << Describe(ks.get());
  std::string text(ks->str, ks->len);
  // avg_ttl is an estimate that Redis refreshes lazily; only its presence is checked.
  EXPECT_EQ(text.rfind("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb3:keys=2,expires=1,avg_ttl=", 0), 0u) << Escape(text);
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  ExpectOk(Cmd(c(), {"FLUSHALL"}));
  ExpectBulk(Cmd(c(), {"INFO", "keyspace"}), "# Keyspace\r\n");
}

TEST_F(ServerTest, InfoCountsClientsAndCommands) {
  // Connections from the fixture (FLUSHALL, the previous test's probe) may take a moment to be reaped: wait until
  // only c() is left.
  auto connected = [&] { return std::stoll("0" + InfoField(Info({"clients"}), "connected_clients")); };
  long long before = -1;
  for (int i = 0; i < 100 && before != 1; ++i) {
    before = connected();
    if (before != 1) SleepMs(10);
  }
  ASSERT_EQ(before, 1) << "connected_clients with a single client connected";
  Client a = NewClient();
  Client b = NewClient();
  ExpectStatus(Cmd(a, {"PING"}), "PONG");
  ExpectStatus(Cmd(b, {"PING"}), "PONG");
  EXPECT_EQ(connected(), before + 2);
  a.Close();
  b.Close();
  long long after = -1;
  for (int i = 0; i < 50; ++i) {
    after = connected();
    if (after == before) break;
    SleepMs(10);
  }
  EXPECT_EQ(after, before);

  long long cmds1 = std::stoll("0" + InfoField(Info({"stats"}), "total_commands_processed"));
  for (int i = 0; i < 10; ++i) ExpectStatus(Cmd(c(), {"PING"}), "PONG");
  long long cmds2 = std::stoll("0" + InfoField(Info({"stats"}), "total_commands_processed"));
  EXPECT_GE(cmds2 - cmds1, 11);

  ExpectOk(Cmd(c(), {"CONFIG", "RESETSTAT"}));
  std::string stats = Info({"stats"});
  EXPECT_EQ(InfoField(stats, "keyspace_hits"), "0");
  EXPECT_EQ(InfoField(stats, "keyspace_misses"), "0");
  ExpectNil(Cmd(c(), {"GET", "missing"}));
  ExpectOk(Cmd(c(), {"SET", "hit", "1"}));
  ExpectBulk(Cmd(c(), {"GET", "hit"}), "1");
  stats = Info({"stats"});
  EXPECT_EQ(InfoField(stats, "keyspace_hits"), "1");
  EXPECT_EQ(InfoField(stats, "keyspace_misses"), "1");
  EXPECT_LE(std::stoll("0" + InfoField(stats, "total_commands_processed")), 10);
}

TEST_F(ServerTest, ConfigGet) {
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "maxclients"}), {"maxclients", "10000"});
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "save"}), {"save", ""});
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "appendonly"}), {"appendonly", "no"});
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "port"}), {"port", std::to_string(port())});
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "databases"}), {"databases", "16"});
  ExpectArrayLen(Cmd(c(), {"CONFIG", "GET", "nosuchparam"}), 0);
  ExpectArrayLen(Cmd(c(), {"CONFIG", "GET", "nosuch*"}), 0);
  // A non-glob name is echoed as typed.
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "MAXCLIENTS"}), {"MAXCLIENTS", "10000"});
  // Globs and several names; the order is not specified, so compare as a map.
  auto max = ConfigGet({"max*"});
  EXPECT_EQ(max["maxclients"], "10000");
  EXPECT_EQ(max["maxmemory"], "0");
  for (auto& [k, v] : max) EXPECT_EQ(k.rfind("max", 0), 0u) << k;
  auto several = ConfigGet({"maxclients", "databases", "nosuch"});
  EXPECT_EQ(several.size(), 2u);
  EXPECT_EQ(several["databases"], "16");
  auto star = ConfigGet({"*"});
  EXPECT_EQ(star["maxclients"], "10000");
  EXPECT_EQ(star["databases"], "16");
  EXPECT_EQ(star["save"], "");
  EXPECT_EQ(star["appendonly"], "no");
  EXPECT_GT(star.size(), 10u);
  ExpectError(Cmd(c(), {"CONFIG", "GET"}), "ERR wrong number of arguments for 'config|get' command");
  ExpectError(Cmd(c(), {"CONFIG"}), "ERR wrong number of arguments for 'config' command");
  ExpectError(Cmd(c(), {"CONFIG", "FOO"}), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
}

TEST_F(ServerTest, ConfigSetAndResetstat) {
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "timeout", "30"}));
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "timeout"}), {"timeout", "30"});
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "TIMEOUT", "0"}));
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "timeout"}), {"timeout", "0"});
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "maxclients", "500", "timeout", "7"}));  // several at once
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "maxclients"}), {"maxclients", "500"});
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "timeout"}), {"timeout", "7"});
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "maxclients", "10000", "timeout", "0"}));
  ExpectError(Cmd(c(), {"CONFIG", "SET", "nosuch", "1"}), "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "timeout", "abc"}),
              "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer");
  ExpectBulks(Cmd(c(), {"CONFIG", "GET", "timeout"}), {"timeout", "0"});
  ExpectError(Cmd(c(), {"CONFIG", "SET", "timeout"}), "ERR wrong number of arguments for 'config|set' command");
  ExpectOk(Cmd(c(), {"CONFIG", "RESETSTAT"}));
  ExpectError(Cmd(c(), {"CONFIG", "RESETSTAT", "x"}), "ERR wrong number of arguments for 'config|resetstat' command");
}

TEST(ServerTimeoutTest, IdleClientsAreClosed) {
  auto server = StartServer({"--timeout", "1"});
  ASSERT_TRUE(server);
  RawConn idle(server->port());
  ASSERT_TRUE(ExpectRaw(idle, "PING\r\n", "+PONG\r\n"));
  // Redis checks idle clients from its cron, so allow some slack over the 1 s.
  std::string got = idle.ReadUntilClosed(4000);
  EXPECT_TRUE(idle.peer_closed()) << "an idle client was not closed with timeout 1";
  EXPECT_EQ(Escape(got), "") << "nothing is sent before the close";
  Client c(server->port());
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "timeout"}), {"timeout", "1"});
}

// Tally only (Redis has no workers): with --workers 0 the server picks one worker per core but one.
TEST(ServerWorkersTest, DefaultLeavesOneCoreToTheClients) {
  if (ServerIsRealRedis()) GTEST_SKIP() << "Tally's own setting";
  auto server = StartServer({"--workers", "0"});
  ASSERT_TRUE(server);
  Client c(server->port());
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::string want = std::to_string(cores > 1 ? cores - 1 : 1);
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "workers"}), {"workers", want});
  ExpectStatus(Cmd(c, {"PING"}), "PONG");
}

TEST_F(ServerTest, Time) {
  Reply r = Cmd(c(), {"TIME"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  ASSERT_EQ(Elem(r.get(), 0)->type, REDIS_REPLY_STRING);
  ASSERT_EQ(Elem(r.get(), 1)->type, REDIS_REPLY_STRING);
  std::string secs(Elem(r.get(), 0)->str, Elem(r.get(), 0)->len);
  std::string usecs(Elem(r.get(), 1)->str, Elem(r.get(), 1)->len);
  ASSERT_TRUE(!secs.empty() && std::all_of(secs.begin(), secs.end(), ::isdigit)) << secs;
  ASSERT_TRUE(!usecs.empty() && std::all_of(usecs.begin(), usecs.end(), ::isdigit)) << usecs;
  EXPECT_LE(std::llabs(std::stoll(secs) - NowMs() / 1000), 2);
  EXPECT_LT(std::stoll(usecs), 1000000);
  ExpectError(Cmd(c(), {"TIME", "x"}), "ERR wrong number of arguments for 'time' command");
}

TEST_F(ServerTest, DbsizeAndMemoryUsage) {
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 2);
  ExpectNil(Cmd(c(), {"MEMORY", "USAGE", "nokey"}));
  Reply small = Cmd(c(), {"MEMORY", "USAGE", "a"});
  ASSERT_TRUE(small && small->type == REDIS_REPLY_INTEGER) << Describe(small.get());
  EXPECT_GT(small->integer, 0);
  ExpectOk(Cmd(c(), {"SET", "big", std::string(10000, 'x')}));
  Reply big = Cmd(c(), {"MEMORY", "USAGE", "big", "SAMPLES", "5"});
  ASSERT_TRUE(big && big->type == REDIS_REPLY_INTEGER) << Describe(big.get());
  EXPECT_GE(big->integer, 10000);
  EXPECT_GT(big->integer, small->integer);
  ExpectError(Cmd(c(), {"MEMORY", "USAGE"}), "ERR wrong number of arguments for 'memory|usage' command");
  ExpectError(Cmd(c(), {"MEMORY", "FOO"}), "ERR unknown subcommand 'FOO'. Try MEMORY HELP.");
}

}  // namespace
}  // namespace tally_test
