// Server family: COMMAND (introspection of the command table), CONFIG, TIME, SHUTDOWN, MEMORY.
// INFO lives in cmd_info.cpp.
//
// COMMAND INFO and COMMAND DOCS describe the table exactly as dispatch() sees it: Redis 7.0's
// 10-element info entries (flags and ACL categories derived from CmdFlag bits and the command's
// group, key specs derived from first/last/step) and docs maps with summary/since/group/complexity
// and nested subcommands, the shapes redis-cli 7.0 assert()s on. Tips and argument docs are not
// described (empty / omitted).
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "acl.h"
#include "commands.h"
#include "slab.h"
#include "state.h"

namespace tally {


namespace {

// ---- Command introspection -------------------------------------------------------------------

struct FlagName {
  uint32_t bit;
  std::string_view name;
};
// Redis 7.0's reply order (addReplyCommandFlags).
constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},          {kCmdReadOnly, "readonly"},        {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},          {kCmdPubSub, "pubsub"},            {kCmdNoScript, "noscript"},
    {kCmdBlocking, "blocking"},    {kCmdLoading, "loading"},          {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"}, {kCmdSkipSlowlog, "skip_slowlog"}, {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},       {kCmdNoMulti, "no_multi"},         {kCmdMovableKeys, "movablekeys"},
    {kCmdAllowBusy, "allow_busy"},
};

// ACL categories: a command's set is a bitmask over acl_category_names() (acl.h).
uint32_t category_bit(std::string_view name) { return acl_category_bit(name); }
uint32_t categories(const Command& cmd) { return command_categories(cmd); }

void write_flags(ReplyWriter& out, uint32_t flags) {
  std::size_t n = 0;
  for (const FlagName& f : kFlagNames) n += (flags & f.bit) ? 1 : 0;
  out.set(n);
  for (const FlagName& f : kFlagNames)
    if (flags & f.bit) out.simple(f.name);
}

void write_categories(ReplyWriter& out, uint32_t mask) {
  auto names = acl_category_names();
  out.set(static_cast<std::size_t>(__builtin_popcount(mask)));
  for (std::size_t i = 0; i < names.size(); ++i)
    if (mask & (1u << i)) out.simple("@" + std::string(names[i]));
}

// One key spec equivalent to the legacy (first, last, step) triple.
void write_key_specs(ReplyWriter& out, const CommandSpec& s) {
  if (s.first_key <= 0) {
    out.set(0);
    return;
  }
  out.set(1);
  out.map(3);
  out.bulk("flags");
  bool write = s.flags & kCmdWrite;
  out.set(2);
  out.simple(write ? "RW" : "RO");
  out.simple(write ? "update" : "access");
  out.bulk("begin_search");
  out.map(2);
  out.bulk("type");
  out.bulk("index");
  out.bulk("spec");
  out.map(1);
  out.bulk("index");
  out.integer(s.first_key);
  out.bulk("find_keys");
  out.map(2);
  out.bulk("type");
  out.bulk("range");
  out.bulk("spec");
  out.map(3);
  out.bulk("lastkey");
  out.integer(s.last_key < 0 ? s.last_key : s.last_key - s.first_key);
  out.bulk("keystep");
  out.integer(s.key_step);
  out.bulk("limit");
  out.integer(0);
}

void write_info(ReplyWriter& out, const Command& cmd) {
  const CommandSpec& s = *cmd.spec;
  out.array(10);
  out.bulk(cmd.full_name);
  out.integer(s.arity);
  write_flags(out, s.flags);
  out.integer(s.first_key);
  out.integer(s.last_key);
  out.integer(s.key_step);
  write_categories(out, categories(cmd));
  out.set(0);  // tips
  write_key_specs(out, s);
  out.array(cmd.subs.size());
  for (const Command& sub : cmd.subs) write_info(out, sub);
}

void write_docs(ReplyWriter& out, const Command& cmd) {
  const CommandSpec& s = *cmd.spec;
  std::size_t fields = 3 + (s.complexity.empty() ? 0 : 1) + (cmd.subs.empty() ? 0 : 1);
  out.map(fields);
  out.bulk("summary");
  out.bulk(s.summary);
  out.bulk("since");
  out.bulk(s.since);
  out.bulk("group");
  out.bulk(s.group);
  if (!s.complexity.empty()) {
    out.bulk("complexity");
    out.bulk(s.complexity);
  }
  if (cmd.subs.empty()) return;
  out.bulk("subcommands");
  out.map(cmd.subs.size());
  for (const Command& sub : cmd.subs) {
    out.bulk(sub.full_name);
    write_docs(out, sub);
  }
}

// Looks up "get" or "config|get" (case-insensitive).
const Command* find_full(const CommandTable& table, std::string_view name) {
  std::size_t bar = name.find('|');
  const Command* cmd = table.find(name.substr(0, bar));
  if (!cmd || bar == std::string_view::npos) return cmd;
  return cmd->subs.empty() ? nullptr : table.find_sub(*cmd, name.substr(bar + 1));
}

// The commands COMMAND lists: all but those rename-command removed.
std::vector<const Command*> visible_commands(const CommandTable& table) {
  std::vector<const Command*> out;
  for (const Command& cmd : table.all())
    if (!cmd.hidden) out.push_back(&cmd);
  return out;
}

void command_all(Ctx& c) {
  std::vector<const Command*> listed = visible_commands(c.server.commands);
  c.out.array(listed.size());
  for (const Command* cmd : listed) write_info(c.out, *cmd);
}

void command_count(Ctx& c) { c.out.integer(static_cast<int64_t>(visible_commands(c.server.commands).size())); }

void command_info(Ctx& c) {
  if (c.argc() == 2) return command_all(c);
  c.out.array(c.argc() - 2);
  for (std::size_t i = 2; i < c.argc(); ++i) {
    const Command* cmd = find_full(c.server.commands, c.arg(i));
    if (cmd) write_info(c.out, *cmd);
    else c.out.null();
  }
}

void command_docs(Ctx& c) {
  std::vector<const Command*> found;
  if (c.argc() == 2) {
    found = visible_commands(c.server.commands);
  } else {
    for (std::size_t i = 2; i < c.argc(); ++i)
      if (const Command* cmd = find_full(c.server.commands, c.arg(i))) found.push_back(cmd);
  }
  c.out.map(found.size());
  for (const Command* cmd : found) {
    c.out.bulk(cmd->full_name);
    write_docs(c.out, *cmd);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN pattern]
void command_list(Ctx& c) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view arg;
  if (c.argc() != 2) {
    if (c.argc() != 5 || !iequals(c.arg(2), "filterby")) return c.out.error(err::kSyntax);
    arg = c.arg(4);
    if (iequals(c.arg(3), "module")) filter = Filter::kModule;
    else if (iequals(c.arg(3), "aclcat")) filter = Filter::kAclCat;
    else if (iequals(c.arg(3), "pattern")) filter = Filter::kPattern;
    else return c.out.error(err::kSyntax);
  }
  std::string lower_cat(arg);
  for (char& ch : lower_cat) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  uint32_t cat = category_bit(lower_cat);
  auto keep = [&](const Command& cmd) {
    switch (filter) {
      case Filter::kNone: return true;
      case Filter::kModule: return false;  // no modules
      case Filter::kAclCat: return cat != 0 && (categories(cmd) & cat) != 0;
      case Filter::kPattern: return glob_match(arg, cmd.full_name, true);
    }
    return false;
  };
  std::vector<const std::string*> names;
  for (const Command* listed : visible_commands(c.server.commands)) {
    const Command& cmd = *listed;
    if (keep(cmd)) names.push_back(&cmd.full_name);
    for (const Command& sub : cmd.subs)
      if (keep(sub)) names.push_back(&sub.full_name);
  }
  c.out.array(names.size());
  for (const std::string* n : names) c.out.bulk(*n);
}

// Keys of commands whose keys cannot be described by first/last/step: "numkeys" forms and SORT.
struct MovableKeys {
  std::string_view name;
  int dest;     // index of a destination key before numkeys, or 0
  int numkeys;  // index of the numkeys argument
};
constexpr MovableKeys kMovable[] = {
    {"zunionstore", 1, 2}, {"zinterstore", 1, 2}, {"zdiffstore", 1, 2}, {"zunion", 0, 1},  {"zinter", 0, 1},
    {"zdiff", 0, 1},       {"zintercard", 0, 1},  {"eval", 0, 2},       {"evalsha", 0, 2}, {"eval_ro", 0, 2},
    {"evalsha_ro", 0, 2},  {"fcall", 0, 2},       {"fcall_ro", 0, 2},   {"zmpop", 0, 1},   {"bzmpop", 0, 2}};

// Appends the positions of the key arguments of `args`; false if they are malformed.
bool movable_keys(const CommandSpec& s, std::span<const std::string_view> args, std::vector<std::size_t>* keys) {
  if (s.name == "sort" || s.name == "sort_ro") {
    keys->push_back(1);
    for (std::size_t i = 2; i + 1 < args.size(); ++i)
      if (iequals(args[i], "store")) keys->push_back(++i);
    return true;
  }
  for (const MovableKeys& m : kMovable) {
    if (m.name != s.name) continue;
    int64_t n;
    std::size_t first = static_cast<std::size_t>(m.numkeys) + 1;
    if (!parse_int64(args[m.numkeys], &n) || n < 0 || static_cast<uint64_t>(n) > args.size() - first) return false;
    if (n == 0 && !s.name.starts_with("eval") && !s.name.starts_with("fcall")) return false;
    if (m.dest) keys->push_back(static_cast<std::size_t>(m.dest));
    for (int64_t k = 0; k < n; ++k) keys->push_back(first + static_cast<std::size_t>(k));
    return true;
  }
  return false;
}

void range_keys(const CommandSpec& s, std::size_t argc, std::vector<std::size_t>* keys) {
  int64_t last = s.last_key < 0 ? static_cast<int64_t>(argc) + s.last_key : s.last_key;
  int64_t step = std::max(1, s.key_step);
  for (int64_t i = s.first_key; i <= last && i < static_cast<int64_t>(argc); i += step)
    keys->push_back(static_cast<std::size_t>(i));
}

}  // namespace

void command_key_positions(const CommandSpec& s, std::span<const std::string_view> argv, std::vector<std::size_t>* keys) {
  if (!(s.flags & kCmdMovableKeys)) {
    if (s.first_key > 0) range_keys(s, argv.size(), keys);
    return;
  }
  if (!movable_keys(s, argv, keys)) keys->clear();
}

namespace {

void command_getkeys(Ctx& c) {
  std::span<const std::string_view> args = c.argv.subspan(2);
  const Command* cmd = c.server.commands.find(args[0]);
  if (cmd && !cmd->subs.empty() && args.size() >= 2) cmd = c.server.commands.find_sub(*cmd, args[1]);
  if (!cmd) return c.out.error(err::kInvalidCommand);
  const CommandSpec& s = *cmd->spec;
  bool movable = s.flags & kCmdMovableKeys;
  if (s.first_key <= 0 && !movable) return c.out.error(err::kNoKeyArguments);
  bool arity_ok = s.arity > 0 ? args.size() == static_cast<std::size_t>(s.arity)
                              : args.size() >= static_cast<std::size_t>(-s.arity);
  if (!arity_ok) return c.out.error(err::kInvalidArgCount);
  std::vector<std::size_t> keys;
  if (movable) {
    if (!movable_keys(s, args, &keys)) return c.out.error(err::kInvalidArgs);
  } else {
    range_keys(s, args.size(), &keys);
  }
  c.out.array(keys.size());
  for (std::size_t k : keys) c.out.bulk(args[k]);
}

void write_help(ReplyWriter& out, std::span<const std::string_view> lines) {
  out.array(lines.size());
  for (std::string_view l : lines) out.simple(l);
}

void command_help(Ctx& c) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "HELP",
      "    Prints this help.",
  };
  write_help(c.out, kLines);
}

// ---- CONFIG ------------------------------------------------------------------------------------

void config_get_cmd(Ctx& c) {
  std::vector<std::pair<std::string, std::string>> found, all;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    found.clear();
    config_get(c.server.config, c.arg(i), &found);
    for (auto& kv : found) {
      bool dup = std::any_of(all.begin(), all.end(), [&](const auto& e) { return e.first == kv.first; });
      if (!dup) all.push_back(std::move(kv));
    }
  }
  c.out.map(all.size());
  for (const auto& [name, value] : all) {
    c.out.bulk(name);
    c.out.bulk(value);
  }
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_name_error(const std::string& e) {
  return e.starts_with("ERR Unknown option") || e.find(" - can't set ") != std::string::npos;
}

// CONFIG SET name value [name value ...]: all or nothing. Like Redis, names are checked first
// (unknown, immutable, duplicate), then values; every pair is validated against a scratch Config
// before the live one is touched, so a bad value leaves nothing half-applied.
void config_set_cmd(Ctx& c) {
  if ((c.argc() - 2) % 2 != 0) return c.out.error(err::kSyntax);
  Config scratch;
  std::string value_error;
  for (std::size_t i = 2; i < c.argc(); i += 2) {
    std::string e = config_set(&scratch, c.arg(i), c.arg(i + 1));
    if (!e.empty() && is_name_error(e)) return c.out.error(e);
    for (std::size_t j = 2; j < i; j += 2)
      if (same_name(c.arg(j), c.arg(i)))
        return c.out.error(err::config_set_failed(c.arg(i)) + "duplicate parameter");
    if (value_error.empty()) value_error = e;
  }
  if (!value_error.empty()) return c.out.error(value_error);
  for (std::size_t i = 2; i < c.argc(); i += 2) {
    std::string e = config_set(&c.server.config, c.arg(i), c.arg(i + 1));
    if (!e.empty()) return c.out.error(e);  // unreachable: validated above
  }
  c.out.ok();
}

void config_resetstat(Ctx& c) {
  ServerState& s = c.server;
  for (auto& w : s.workers) {
    w->commands_processed = 0;
    w->net_input_bytes = 0;
    w->net_output_bytes = 0;
    w->error_replies = 0;
    for (CmdStats& cs : w->cmd) cs.calls = cs.usec = cs.rejected = cs.failed = 0;
  }
  {
    std::lock_guard lock(s.errorstats_mu);
    s.errorstats.clear();
  }
  s.total_connections = 0;
  s.rejected_connections = 0;
  c.ks().reset_stats();
  if (s.keyspace) s.keyspace->for_each_shard(0, [](DbSlot&, Shard& sh) {
      sh.keyspace_hits = sh.keyspace_misses = sh.expired_keys = 0;
    });
  c.out.ok();
}

void config_rewrite(Ctx& c) {
  if (c.server.config.config_file.empty()) return c.out.error(err::kNoConfigFile);
  c.out.error(err::kRewriteUnsupported);
}

void config_help(Ctx& c) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Prints this help.",
  };
  write_help(c.out, kLines);
}

// ---- TIME, SHUTDOWN, MEMORY --------------------------------------------------------------------

void time_cmd(Ctx& c) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  c.out.array(2);
  c.out.bulk(std::to_string(tv.tv_sec));
  c.out.bulk(std::to_string(tv.tv_usec));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The write-ahead log is flushed (and fsynced) on every
// shutdown; SAVE also compacts it into a snapshot first. The connection closes without a reply, as
// in Redis; a failed SAVE is reported unless FORCE.
void shutdown_cmd(Ctx& c) {
  bool nosave = false, save = false, abort = false, other = false, force = false;
  for (std::size_t i = 1; i < c.argc(); ++i) {
    if (iequals(c.arg(i), "nosave")) nosave = true;
    else if (iequals(c.arg(i), "save")) save = true;
    else if (iequals(c.arg(i), "now") || iequals(c.arg(i), "force")) other = true, force |= iequals(c.arg(i), "force");
    else if (iequals(c.arg(i), "abort")) abort = true;
    else return c.out.error(err::kSyntax);
  }
  if ((nosave && save) || (abort && (nosave || save || other))) return c.out.error(err::kSyntax);
  if (abort) return c.out.error(err::kNoShutdown);
  if (save && c.server.wal) {
    std::string error = c.server.wal->rewrite(true, true);
    if (!error.empty() && !force) return c.out.error(err::kShutdownFailed);
  }
  c.server.shutdown_requested = true;
  c.client.close_after_reply = true;
  if (c.server.request_shutdown) c.server.request_shutdown();
}

// MEMORY USAGE key [SAMPLES count]: the entry's allocation (header + key), its out-of-line value (or
// everything a hash/sorted-set object owns) and the bucket pointer that links it.
void memory_usage(Ctx& c) {
  for (std::size_t i = 3; i < c.argc(); i += 2) {
    if (!iequals(c.arg(i), "samples") || i + 1 >= c.argc()) return c.out.error(err::kSyntax);
    int64_t n;
    if (!parse_int64(c.arg(i + 1), &n)) return c.out.error(err::kNotInteger);
    if (n < 0) return c.out.error(err::kSyntax);
  }
  std::string_view key = c.arg(2);
  Txn txn(c.ks(), c.db(), key);
  const Entry* e = txn.peek(0);
  if (!e) return c.out.null();
  std::size_t bytes = small_alloc_size(e->alloc_bytes()) + sizeof(void*);
  if (e->value_type() != ValueType::kString) bytes += object_ops(e->value_type()).memory(e->object());
  else if (e->encoding() == Encoding::kRaw) bytes += malloc_usable_bytes(e->v.raw.cap);
  c.out.integer(static_cast<int64_t>(bytes));
}

void memory_help(Ctx& c) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help.",
  };
  write_help(c.out, kLines);
}

// ---- Table -------------------------------------------------------------------------------------

constexpr uint32_t kLS = kCmdLoading | kCmdStale;
constexpr uint32_t kAdminCfg = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;

constexpr CommandSpec kCommandSubs[] = {
    {"count", 2, kLS, 0, 0, 0, command_count, "server", "Get total number of Redis commands", "2.8.13", "O(1)"},
    {"docs", -2, kLS, 0, 0, 0, command_docs, "server", "Get array of specific Redis command documentation", "7.0.0",
     "O(N) where N is the number of commands to look up"},
    {"getkeys", -4, kLS, 0, 0, 0, command_getkeys, "server", "Extract keys given a full Redis command", "2.8.13",
     "O(N) where N is the number of arguments to the command"},
    {"help", 2, kLS, 0, 0, 0, command_help, "server", "Show helpful text about the different subcommands", "5.0.0",
     "O(1)"},
    {"info", -2, kLS, 0, 0, 0, command_info, "server",
     "Get array of specific Redis command details, or all when no argument is given.", "2.8.13",
     "O(N) where N is the number of commands to look up"},
    {"list", -2, kLS, 0, 0, 0, command_list, "server", "Get an array of Redis command names", "7.0.0",
     "O(N) where N is the total number of Redis commands"},
};

constexpr CommandSpec kConfigSubs[] = {
    {"get", -3, kAdminCfg, 0, 0, 0, config_get_cmd, "server", "Get the values of configuration parameters", "2.0.0",
     "O(N) when N is the number of configuration parameters provided"},
    {"set", -4, kAdminCfg, 0, 0, 0, config_set_cmd, "server", "Set configuration parameters to the given values",
     "2.0.0", "O(N) when N is the number of configuration parameters provided"},
    {"resetstat", 2, kAdminCfg, 0, 0, 0, config_resetstat, "server", "Reset the stats returned by INFO", "2.0.0",
     "O(1)"},
    {"rewrite", 2, kAdminCfg, 0, 0, 0, config_rewrite, "server",
     "Rewrite the configuration file with the in memory configuration", "2.8.0", "O(1)"},
    {"help", 2, kLS, 0, 0, 0, config_help, "server", "Show helpful text about the different subcommands", "5.0.0",
     "O(1)"},
};

constexpr CommandSpec kMemorySubs[] = {
    {"usage", -3, kCmdReadOnly, 2, 2, 1, memory_usage, "server", "Estimate the memory usage of a key", "4.0.0",
     "O(N) where N is the number of samples."},
    {"help", 2, kLS, 0, 0, 0, memory_help, "server", "Show helpful text about the different subcommands", "4.0.0",
     "O(1)"},
};

constexpr CommandSpec kServerCommands[] = {
    {"command", -1, kLS, 0, 0, 0, command_all, "server", "Get array of Redis command details", "2.8.13",
     "O(N) where N is the total number of Redis commands", kCommandSubs},
    {"config", -2, 0, 0, 0, 0, nullptr, "server", "A container for server configuration commands", "2.0.0",
     "Depends on subcommand.", kConfigSubs},
    {"info", -1, kLS, 0, 0, 0, info_command, "server", "Get information and statistics about the server", "1.0.0",
     "O(1)"},
    {"time", 1, kLS | kCmdFast, 0, 0, 0, time_cmd, "server", "Return the current server time", "2.6.0", "O(1)"},
    {"shutdown", -1, kAdminCfg | kCmdNoMulti | kCmdAllowBusy, 0, 0, 0, shutdown_cmd, "server",
     "Synchronously save the dataset to disk and then shut down the server", "1.0.0",
     "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"},
    {"memory", -2, 0, 0, 0, 0, nullptr, "server", "A container for memory diagnostics commands", "4.0.0",
     "Depends on subcommand.", kMemorySubs},
};

}  // namespace

std::span<const CommandSpec> server_commands() { return kServerCommands; }

}  // namespace tally
