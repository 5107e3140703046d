// Server family in-process: COMMAND, CONFIG, INFO, TIME, SHUTDOWN, MEMORY. Expected bytes were taken
// from redis-server 7.0.15 where Tally claims to match it exactly.
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "cmd_fixture.h"
#include "slab.h"

namespace tally {
namespace {

// A parsed RESP2/RESP3 reply, for checking shapes rather than bytes.
struct Node {
  char type = 0;  // the type byte: + - : $ * % ~ _ =
  std::string str;
  int64_t num = 0;
  std::vector<Node> elems;  // arrays, sets; maps flattened as key, value, ...
  bool is_string() const { return type == '$' || type == '+'; }
};

bool parse_node(std::string_view& in, Node* out) {
  std::size_t eol = in.find("\r\n");
  if (in.empty() || eol == std::string_view::npos) return false;
  out->type = in[0];
  std::string line(in.substr(1, eol - 1));
  in.remove_prefix(eol + 2);
  switch (out->type) {
    case '+': case '-': out->str = line; return true;
    case '_': return true;
    case ':': out->num = std::stoll(line); return true;
    case '$': case '=': {
      out->num = std::stoll(line);
      if (out->num < 0) return true;
      std::size_t n = static_cast<std::size_t>(out->num);
      if (in.size() < n + 2) return false;
      out->str = std::string(in.substr(0, n));
      in.remove_prefix(n + 2);
      return true;
    }
    case '*': case '~': case '%': {
      int64_t n = std::stoll(line) * (out->type == '%' ? 2 : 1);
      for (int64_t i = 0; i < n; ++i) {
        out->elems.emplace_back();
        if (!parse_node(in, &out->elems.back())) return false;
      }
      return true;
    }
  }
  return false;
}

Node parse(const std::string& reply) {
  std::string_view in = reply;
  Node n;
  EXPECT_TRUE(parse_node(in, &n)) << reply.substr(0, 200);
  EXPECT_TRUE(in.empty()) << "trailing bytes after the reply";
  return n;
}

// What redis-cli 7.0 assert()s about a COMMAND DOCS reply (cliInitCommandHelpEntry): a flat list of
// name, doc-map; keys are strings; summary/since/group strings; subcommands a map of "parent|sub" names.
void check_docs_entry(const Node& doc, bool is_sub, int depth) {
  ASSERT_TRUE(doc.type == '*' || doc.type == '%');
  ASSERT_EQ(doc.elems.size() % 2, 0u);
  bool summary = false, since = false, group = false;
  for (std::size_t j = 0; j < doc.elems.size(); j += 2) {
    const Node& key = doc.elems[j];
    const Node& val = doc.elems[j + 1];
    ASSERT_EQ(key.type, '$');
    if (key.str == "summary" || key.str == "since" || key.str == "group" || key.str == "complexity") {
      EXPECT_EQ(val.type, '$') << key.str;
      summary |= key.str == "summary";
      since |= key.str == "since";
      group |= key.str == "group";
    } else if (key.str == "arguments") {
      EXPECT_EQ(val.type, '*');
    } else if (key.str == "subcommands") {
      ASSERT_LT(depth, 1);
      ASSERT_TRUE(val.type == '*' || val.type == '%');
      ASSERT_EQ(val.elems.size() % 2, 0u);
      for (std::size_t i = 0; i < val.elems.size(); i += 2) {
        ASSERT_EQ(val.elems[i].type, '$');
        EXPECT_NE(val.elems[i].str.find('|'), std::string::npos) << val.elems[i].str;
        check_docs_entry(val.elems[i + 1], true, depth + 1);
      }
    } else {
      ADD_FAILURE() << "unexpected docs key " << key.str;
    }
  }
  EXPECT_TRUE(summary && since && group) << (is_sub ? "subcommand" : "command");
}

void check_docs(const Node& reply) {
  ASSERT_TRUE(reply.type == '*' || reply.type == '%');
  ASSERT_EQ(reply.elems.size() % 2, 0u);
  for (std::size_t i = 0; i < reply.elems.size(); i += 2) {
    ASSERT_EQ(reply.elems[i].type, '$');
    check_docs_entry(reply.elems[i + 1], false, 0);
  }
}

// A Redis 7.0 COMMAND INFO entry: 10 elements with the documented types.
void check_info_entry(const Node& e) {
  ASSERT_EQ(e.type, '*');
  ASSERT_EQ(e.elems.size(), 10u);
  EXPECT_EQ(e.elems[0].type, '$');
  EXPECT_EQ(e.elems[1].type, ':');
  for (const Node& f : e.elems[2].elems) EXPECT_EQ(f.type, '+');
  for (int i = 3; i <= 5; ++i) EXPECT_EQ(e.elems[i].type, ':');
  for (const Node& cat : e.elems[6].elems) EXPECT_EQ(cat.str.substr(0, 1), "@");
  for (const Node& sub : e.elems[9].elems) check_info_entry(sub);
}

std::string info_field(const std::string& info, const std::string& key) {
  std::size_t at = info.find("\r\n" + key + ":");
  if (at == std::string::npos) return "<missing>";
  at += key.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}

class ServerCmdTest : public CmdTest {
 protected:
  std::string info(std::initializer_list<std::string_view> sections = {}) {
    std::vector<std::string> args = {"INFO"};
    args.insert(args.end(), sections.begin(), sections.end());
    Node n = parse(run_vec(args));
    EXPECT_EQ(n.type, '$');
    return n.str;
  }
  std::size_t total_commands() const {
    std::size_t n = 0;
    for (const Command& c : state_.commands.all()) n += 1 + c.subs.size();
    return n;
  }
};

// ---- COMMAND -------------------------------------------------------------------------------------

TEST_F(ServerCmdTest, CommandCountAndAll) {
  EXPECT_EQ(run({"COMMAND", "COUNT"}), integer(static_cast<long long>(state_.commands.all().size())));
  Node all = parse(run({"COMMAND"}));
  ASSERT_EQ(all.elems.size(), state_.commands.all().size());
  for (const Node& e : all.elems) check_info_entry(e);
}

TEST_F(ServerCmdTest, CommandInfoMatchesRedis) {
  EXPECT_EQ(run({"COMMAND", "INFO", "get"}),
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n"
            "+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n"
            "$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
            "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
  const std::string config_get =
      "*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n"
      "+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n";
  EXPECT_EQ(run({"COMMAND", "INFO", "CONFIG|GET"}), "*1\r\n" + config_get);
  EXPECT_EQ(run({"COMMAND", "INFO", "GET", "nosuch", "config|nosuch", "get|x"}).substr(0, 4), "*4\r\n");
  EXPECT_EQ(run({"COMMAND", "INFO", "nosuch", "config|nosuch"}), "*2\r\n$-1\r\n$-1\r\n");
  EXPECT_EQ(run({"COMMAND", "INFO", "time"}),
            "*1\r\n*10\r\n$4\r\ntime\r\n:1\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@fast\r\n"
            "*0\r\n*0\r\n*0\r\n");
}

TEST_F(ServerCmdTest, CommandInfoContainerListsSubcommands) {
  Node n = parse(run({"COMMAND", "INFO", "config"}));
  ASSERT_EQ(n.elems.size(), 1u);
  const Node& e = n.elems[0];
  check_info_entry(e);
  EXPECT_EQ(e.elems[0].str, "config");
  EXPECT_EQ(e.elems[1].num, -2);
  EXPECT_TRUE(e.elems[2].elems.empty());
  ASSERT_EQ(e.elems[6].elems.size(), 1u);
  EXPECT_EQ(e.elems[6].elems[0].str, "@slow");
  std::set<std::string> subs;
  for (const Node& s : e.elems[9].elems) subs.insert(s.elems[0].str);
  EXPECT_EQ(subs, (std::set<std::string>{"config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"}));
}

TEST_F(ServerCmdTest, CommandInfoResp3UsesSetsAndNull) {
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"COMMAND", "INFO", "nosuch"}), "*1\r\n_\r\n");
  std::string r = run({"COMMAND", "INFO", "get"});
  EXPECT_TRUE(r.starts_with("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n")) << r;
  EXPECT_NE(r.find("~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n"), std::string::npos);
}

TEST_F(ServerCmdTest, CommandDocsMatchesRedis) {
  EXPECT_EQ(run({"COMMAND", "DOCS", "config|get"}),
            "*2\r\n$10\r\nconfig|get\r\n*8\r\n$7\r\nsummary\r\n$42\r\nGet the values of configuration parameters\r\n"
            "$5\r\nsince\r\n$5\r\n2.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$62\r\nO(N) when N is the "
            "number of configuration parameters provided\r\n");
  EXPECT_EQ(run({"COMMAND", "DOCS", "nosuch", "config|nosuch"}), "*0\r\n");
  Node get = parse(run({"COMMAND", "DOCS", "GET"}));
  ASSERT_EQ(get.elems.size(), 2u);
  EXPECT_EQ(get.elems[0].str, "get");  // the table's name, not the one asked for
  check_docs(get);
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"COMMAND", "DOCS", "nosuch"}), "%0\r\n");
  EXPECT_TRUE(run({"COMMAND", "DOCS", "time"}).starts_with("%1\r\n$4\r\ntime\r\n%4\r\n$7\r\nsummary\r\n"));
}

TEST_F(ServerCmdTest, CommandDocsAllSatisfiesRedisCli) {
  Node all = parse(run({"COMMAND", "DOCS"}));
  EXPECT_EQ(all.elems.size(), 2 * state_.commands.all().size());
  check_docs(all);
  Node config = parse(run({"COMMAND", "DOCS", "config"}));
  ASSERT_EQ(config.elems.size(), 2u);
  const Node& doc = config.elems[1];
  auto it = std::find_if(doc.elems.begin(), doc.elems.end(), [](const Node& n) { return n.str == "subcommands"; });
  ASSERT_NE(it, doc.elems.end());
  EXPECT_EQ((it + 1)->elems.size(), 2 * 5u);
  client_.writer.set_resp(3);
  check_docs(parse(run({"COMMAND", "DOCS"})));
}

TEST_F(ServerCmdTest, CommandList) {
  Node all = parse(run({"COMMAND", "LIST"}));
  EXPECT_EQ(all.elems.size(), total_commands());
  Node conf = parse(run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"}));
  std::set<std::string> names;
  for (const Node& n : conf.elems) names.insert(n.str);
  EXPECT_EQ(names, (std::set<std::string>{"config", "config|get", "config|set", "config|resetstat", "config|rewrite",
                                          "config|help"}));
  Node fast = parse(run({"COMMAND", "LIST", "filterby", "aclcat", "FAST"}));
  names.clear();
  for (const Node& n : fast.elems) names.insert(n.str);
  EXPECT_TRUE(names.count("get") && names.count("time"));
  EXPECT_FALSE(names.count("set"));
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}), "*0\r\n");
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "@fast"}), "*0\r\n");
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), "*0\r\n");
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY"}), error("ERR syntax error"));
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY", "PATTERN"}), error("ERR syntax error"));
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"}), error("ERR syntax error"));
  EXPECT_EQ(run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}), error("ERR syntax error"));
  EXPECT_EQ(run({"COMMAND", "LIST", "extra"}), error("ERR syntax error"));
}

TEST_F(ServerCmdTest, CommandGetKeys) {
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "set", "a", "b"}), arr({bulk("a")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "GET", "a"}), arr({bulk("a")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "mset", "a", "b", "c"}), arr({bulk("a"), bulk("c")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "mset", "a", "b", "c", "d"}), arr({bulk("a"), bulk("c")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "foo", "a"}), error("ERR Invalid command specified"));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "config", "foo", "x"}), error("ERR Invalid command specified"));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "ping", "x"}), error("ERR The command has no key arguments"));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "config", "get", "x"}), error("ERR The command has no key arguments"));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "get", "a", "b"}), error("ERR Invalid number of arguments specified for command"));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "memory", "usage", "k"}), arr({bulk("k")}));
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "get"}), error("ERR wrong number of arguments for 'command|getkeys' command"));
  EXPECT_EQ(run({"COMMAND", "GETKEYS"}), error("ERR wrong number of arguments for 'command|getkeys' command"));
}

TEST_F(ServerCmdTest, CommandHelpAndErrors) {
  Node help = parse(run({"COMMAND", "HELP"}));
  ASSERT_FALSE(help.elems.empty());
  EXPECT_EQ(help.elems[0].str, "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  EXPECT_EQ(help.elems.back().str, "    Prints this help.");
  for (const Node& l : help.elems) EXPECT_EQ(l.type, '+');
  EXPECT_EQ(run({"COMMAND", "foo"}), error("ERR unknown subcommand 'foo'. Try COMMAND HELP."));
  EXPECT_EQ(run({"COMMAND", "COUNT", "x"}), error("ERR wrong number of arguments for 'command|count' command"));
}

// ---- CONFIG --------------------------------------------------------------------------------------

TEST_F(ServerCmdTest, ConfigGet) {
  EXPECT_EQ(run({"CONFIG", "GET", "maxclients"}), arr({bulk("maxclients"), bulk("10000")}));
  EXPECT_EQ(run({"CONFIG", "GET", "save"}), arr({bulk("save"), bulk("")}));
  EXPECT_EQ(run({"CONFIG", "GET", "appendonly"}), arr({bulk("appendonly"), bulk("yes")}));
  EXPECT_EQ(run({"CONFIG", "GET", "Port"}), arr({bulk("Port"), bulk("6379")}));
  EXPECT_EQ(run({"CONFIG", "GET", "nosuch"}), "*0\r\n");
  EXPECT_EQ(run({"CONFIG", "GET", "a", "b"}), "*0\r\n");
  EXPECT_EQ(run({"CONFIG", "GET", "maxclients", "maxcl*"}), arr({bulk("maxclients"), bulk("10000")}));
  EXPECT_EQ(run({"CONFIG", "GET", "maxclients", "io-threads"}),
            arr({bulk("maxclients"), bulk("10000"), bulk("io-threads"), bulk("0")}));
  Node star = parse(run({"CONFIG", "GET", "*"}));
  EXPECT_GE(star.elems.size(), 2 * 20u);
  EXPECT_EQ(run({"CONFIG", "GET"}), error("ERR wrong number of arguments for 'config|get' command"));
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"CONFIG", "GET", "maxmemory"}), "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
}

TEST_F(ServerCmdTest, ConfigSet) {
  EXPECT_EQ(run({"CONFIG", "SET", "maxclients", "100"}), kOk);
  EXPECT_EQ(state_.config.maxclients.load(), 100);
  EXPECT_EQ(run({"CONFIG", "SET", "timeout", "7", "maxmemory", "1mb"}), kOk);
  EXPECT_EQ(state_.config.timeout.load(), 7);
  EXPECT_EQ(state_.config.maxmemory.load(), 1 << 20);
  EXPECT_EQ(run({"CONFIG", "SET", "foo", "bar"}), error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"));
  EXPECT_EQ(run({"CONFIG", "SET", "port", "1"}),
            error("ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"));
  EXPECT_EQ(run({"CONFIG", "SET", "maxclients", "abc"}),
            error("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an "
                  "integer"));
  EXPECT_EQ(run({"CONFIG", "SET", "maxclients", "10", "timeout"}), error("ERR syntax error"));
  EXPECT_EQ(run({"CONFIG", "SET", "maxclients"}), error("ERR wrong number of arguments for 'config|set' command"));
}

TEST_F(ServerCmdTest, ConfigSetIsAllOrNothing) {
  EXPECT_EQ(run({"CONFIG", "SET", "timeout", "5", "maxclients", "abc"}),
            error("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an "
                  "integer"));
  EXPECT_EQ(state_.config.timeout.load(), 0);
  // Names are checked before values, as in Redis.
  EXPECT_EQ(run({"CONFIG", "SET", "maxclients", "abc", "daemonize", "yes"}),
            error("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"));
  EXPECT_EQ(run({"CONFIG", "SET", "timeout", "1", "TIMEOUT", "2"}),
            error("ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter"));
  EXPECT_EQ(state_.config.timeout.load(), 0);
  EXPECT_EQ(run({"CONFIG", "SET", "timeout", "5", "nosuch", "1"}),
            error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"));
  EXPECT_EQ(state_.config.timeout.load(), 0);
}

TEST_F(ServerCmdTest, ConfigResetStat) {
  run({"SET", "k", "v"});
  run({"GET", "k"});
  run({"GET", "missing"});
  run({"NOSUCHCMD"});
  std::string before = info({"stats"});
  EXPECT_EQ(info_field(before, "keyspace_hits"), "1");
  EXPECT_EQ(info_field(before, "total_error_replies"), "1");
  EXPECT_EQ(run({"CONFIG", "RESETSTAT"}), kOk);
  std::string after = info({"stats", "errorstats", "commandstats"});
  EXPECT_EQ(info_field(after, "keyspace_hits"), "0");
  EXPECT_EQ(info_field(after, "keyspace_misses"), "0");
  EXPECT_EQ(info_field(after, "total_error_replies"), "0");
  EXPECT_EQ(info_field(after, "total_commands_processed"), "1");  // CONFIG RESETSTAT itself
  EXPECT_EQ(after.find("errorstat_ERR"), std::string::npos);
  EXPECT_EQ(after.find("cmdstat_get:"), std::string::npos);
  EXPECT_NE(after.find("cmdstat_config|resetstat:calls=1,"), std::string::npos) << after;
}

TEST_F(ServerCmdTest, ConfigRewriteHelpAndErrors) {
  EXPECT_EQ(run({"CONFIG", "REWRITE"}), error("ERR The server is running without a config file"));
  Node help = parse(run({"CONFIG", "HELP"}));
  ASSERT_EQ(help.elems.size(), 11u);
  EXPECT_EQ(help.elems[1].str, "GET <pattern>");
  EXPECT_EQ(run({"CONFIG"}), error("ERR wrong number of arguments for 'config' command"));
  EXPECT_EQ(run({"CONFIG", "nope"}), error("ERR unknown subcommand 'nope'. Try CONFIG HELP."));
}

// ---- TIME, SHUTDOWN, MEMORY ----------------------------------------------------------------------

TEST_F(ServerCmdTest, Time) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  Node t = parse(run({"TIME"}));
  ASSERT_EQ(t.elems.size(), 2u);
  ASSERT_EQ(t.elems[0].type, '$');
  EXPECT_LE(std::abs(std::stoll(t.elems[0].str) - static_cast<long long>(tv.tv_sec)), 2);
  long long usec = std::stoll(t.elems[1].str);
  EXPECT_TRUE(usec >= 0 && usec < 1000000);
  EXPECT_EQ(run({"TIME", "x"}), error("ERR wrong number of arguments for 'time' command"));
}

TEST_F(ServerCmdTest, Shutdown) {
  int calls = 0;
  state_.request_shutdown = [&] { ++calls; };
  EXPECT_EQ(run({"SHUTDOWN", "foo"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SHUTDOWN", "NOSAVE", "SAVE"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SHUTDOWN", "NOSAVE", "ABORT"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SHUTDOWN", "ABORT"}), error("ERR No shutdown in progress."));
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(state_.shutdown_requested.load());
  EXPECT_EQ(run({"SHUTDOWN", "NOSAVE", "NOW", "FORCE"}), "");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(state_.shutdown_requested.load());
  EXPECT_EQ(run({"shutdown"}), "");
  EXPECT_EQ(calls, 2);
}

TEST_F(ServerCmdTest, MemoryUsage) {
  EXPECT_EQ(run({"MEMORY", "USAGE", "nokey"}), kNil);
  ASSERT_EQ(run({"SET", "foo", "bar"}), kOk);
  // The entry (40-byte header and the key, value inline: a 48-byte slab slot, or 56 usable bytes of
  // malloc in sanitizer builds) and its bucket pointer. Redis 7.0.15 reports 64.
  EXPECT_EQ(run({"MEMORY", "USAGE", "foo"}), integer(small_alloc_size(40 + 3) + 8));
  EXPECT_LE(small_alloc_size(40 + 3) + 8, 64u);
  std::string big(100, 'a');
  ASSERT_EQ(run({"SET", "big", big}), kOk);
  Node n = parse(run({"MEMORY", "USAGE", "big", "SAMPLES", "0"}));
  ASSERT_EQ(n.type, ':');
  EXPECT_GE(n.num, 40 + 3 + 100);
  EXPECT_LE(n.num, 40 + 3 + 100 + 64);
  EXPECT_EQ(run({"MEMORY", "USAGE", "foo", "SAMPLES"}), error("ERR syntax error"));
  EXPECT_EQ(run({"MEMORY", "USAGE", "foo", "SAMPLES", "-1"}), error("ERR syntax error"));
  EXPECT_EQ(run({"MEMORY", "USAGE", "foo", "SAMPLES", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(run({"MEMORY", "USAGE", "foo", "bar"}), error("ERR syntax error"));
  EXPECT_EQ(run({"MEMORY", "USAGE"}), error("ERR wrong number of arguments for 'memory|usage' command"));
  EXPECT_EQ(run({"MEMORY", "doctor"}), error("ERR unknown subcommand 'doctor'. Try MEMORY HELP."));
  Node help = parse(run({"MEMORY", "HELP"}));
  ASSERT_EQ(help.elems.size(), 14u);
  EXPECT_EQ(help.elems[9].str, "USAGE <key> [SAMPLES <count>]");
}

// ---- INFO ----------------------------------------------------------------------------------------

TEST_F(ServerCmdTest, InfoDefaultSectionsInOrder) {
  std::string text = info();
  std::vector<std::string> headers;
  for (std::size_t at = text.find("# "); at != std::string::npos; at = text.find("\r\n# ", at + 1)) {
    std::size_t start = text[at] == '#' ? at : at + 2;
    headers.push_back(text.substr(start + 2, text.find("\r\n", start) - start - 2));
    at = start;
  }
  EXPECT_EQ(headers, (std::vector<std::string>{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication",
                                               "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}));
  EXPECT_EQ(text.substr(0, 10), "# Server\r\n");
  EXPECT_NE(text.find("\r\n\r\n# Clients\r\n"), std::string::npos);
  EXPECT_EQ(info_field(text, "redis_version"), "7.0.15");
  EXPECT_EQ(info_field(text, "tally_version"), "0.1.0");
  EXPECT_EQ(info_field(text, "redis_mode"), "standalone");
  EXPECT_EQ(info_field(text, "run_id"), state_.run_id);
  EXPECT_EQ(info_field(text, "role"), "master");
  EXPECT_EQ(info_field(text, "cluster_enabled"), "0");
  EXPECT_EQ(info_field(text, "maxclients"), "10000");
  EXPECT_EQ(info_field(text, "aof_enabled"), "0");
  EXPECT_EQ(info_field(text, "rdb_last_bgsave_status"), "ok");
  EXPECT_EQ(info_field(text, "maxmemory_policy"), "noeviction");
  EXPECT_GT(std::stoll(info_field(text, "used_memory")), 0);
  EXPECT_GT(std::stoll(info_field(text, "used_memory_rss")), 0);
  // First-match parsers (redis-cli --stat) need these before their longer relatives.
  EXPECT_LT(text.find("used_memory:"), text.find("used_memory_"));
  EXPECT_LT(text.find("loading:"), text.find("async_loading:"));
  EXPECT_EQ(text.find("# Commandstats"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  EXPECT_EQ(text.find("\n\n"), std::string::npos);
}

TEST_F(ServerCmdTest, InfoSelectsSections) {
  EXPECT_EQ(run({"INFO", "foo"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"INFO", "modules"}), bulk("# Modules\r\n"));
  std::string two = info({"CLIENTS", "server", "nosuch"});
  EXPECT_EQ(two.substr(0, 10), "# Server\r\n");  // Redis's order, not the request's
  EXPECT_NE(two.find("\r\n\r\n# Clients\r\n"), std::string::npos);
  EXPECT_EQ(two.find("# Memory"), std::string::npos);
  std::string all = info({"all"});
  EXPECT_NE(all.find("# Commandstats\r\n"), std::string::npos);
  EXPECT_NE(all.find("# Latencystats\r\n"), std::string::npos);
  EXPECT_LT(all.find("# Commandstats"), all.find("# Errorstats"));
  std::string everything = info({"EVERYTHING"});
  for (const char* h : {"# Server\r\n", "# Commandstats\r\n", "# Latencystats\r\n", "# Keyspace\r\n"})
    EXPECT_NE(everything.find(h), std::string::npos) << h;
  EXPECT_EQ(info({"default"}).find("# Commandstats"), std::string::npos);
}

TEST_F(ServerCmdTest, InfoKeyspace) {
  EXPECT_EQ(run({"INFO", "keyspace"}), bulk("# Keyspace\r\n"));
  run({"SET", "a", "1"});
  run({"SET", "b", "2", "EX", "100"});
  run({"SELECT", "3"});
  run({"SET", "c", "3"});
  std::string text = info({"keyspace"});
  std::size_t at = text.find("db0:keys=2,expires=1,avg_ttl=");
  ASSERT_NE(at, std::string::npos) << text;
  long long avg = std::stoll(text.substr(at + 29));
  EXPECT_GT(avg, 95000);
  EXPECT_LE(avg, 100000);
  EXPECT_NE(text.find("\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("db1:"), std::string::npos);
}

TEST_F(ServerCmdTest, InfoCommandAndErrorStats) {
  run({"SET", "k", "v"});
  run({"SET", "k"});
  run({"CONFIG", "GET", "port"});
  run({"GET", "k", "extra"});
  run({"INCR", "k"});
  std::string text = info({"commandstats", "errorstats"});
  EXPECT_NE(text.find("\r\ncmdstat_set:calls=1,usec="), std::string::npos) << text;
  EXPECT_NE(text.find(",rejected_calls=1,failed_calls=0\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cmdstat_config|get:calls=1,"), std::string::npos) << text;
  EXPECT_NE(text.find("cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cmdstat_incr:calls=1,"), std::string::npos);
  EXPECT_NE(text.find("failed_calls=1\r\n"), std::string::npos);
  EXPECT_NE(text.find("# Errorstats\r\nerrorstat_ERR:count=3\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("cmdstat_time"), std::string::npos);
}

TEST_F(ServerCmdTest, InfoStats) {
  state_.total_connections = 5;
  state_.rejected_connections = 2;
  run({"GET", "nokey"});
  std::string text = info({"stats"});
  EXPECT_EQ(info_field(text, "total_connections_received"), "5");
  EXPECT_EQ(info_field(text, "rejected_connections"), "2");
  EXPECT_EQ(info_field(text, "total_commands_processed"), "1");
  EXPECT_EQ(info_field(text, "keyspace_misses"), "1");
  EXPECT_EQ(info_field(text, "expired_keys"), "0");
}

TEST_F(ServerCmdTest, InfoResp3IsVerbatim) {
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"INFO", "modules"}), "=15\r\ntxt:# Modules\r\n\r\n");
  EXPECT_EQ(run({"INFO", "keyspace"}), "=16\r\ntxt:# Keyspace\r\n\r\n");  // as Redis 7.0.15
}

// The persistence commands' own checks; what they write is tested against the real binary
// (tests/integration_wal_test.cpp). In-process there is no log at all.
TEST_F(ServerCmdTest, PersistenceCommandsWithoutALog) {
  EXPECT_EQ(run({"BGSAVE", "nonsense"}), error("ERR syntax error"));
  EXPECT_EQ(run({"BGSAVE", "a", "b"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SAVE", "x"}), error("ERR wrong number of arguments for 'save' command"));
  EXPECT_EQ(run({"BGREWRITEAOF"}), error("ERR persistence is not available in this process"));
  EXPECT_EQ(run({"COMPACT"}), error("ERR persistence is not available in this process"));
  EXPECT_EQ(run({"LASTSAVE"}).substr(0, 1), ":");
}

}  // namespace
}  // namespace tally

