// ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOAD, SAVE, LOG, DRYRUN, HELP.
//
// The handlers parse and reply; the user table, rules and file handling are acl.h's. Replies, error
// texts, arities and flags are Redis 7.0.15's (aclCommand in acl.c), checked against redis-server.
#include <random>
#include <string>

#include "acl.h"
#include "commands.h"
#include "log.h"
#include "state.h"

namespace tally {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Redis's addReplySubcommandSyntaxError, for arities its per-subcommand table allows but ACL refuses.
void syntax_error(Ctx& c) {
  c.out.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.arg(1)) + "'. Try " +
              upper(c.arg(0)) + " HELP.");
}

std::string aclfile(Ctx& c) {
  std::lock_guard lock(c.server.config.mu);
  return c.server.config.aclfile;
}

void acl_setuser(Ctx& c) {
  std::vector<std::string_view> rules(c.argv.begin() + 3, c.argv.end());
  // Redis merges "(a b)" selectors spread over several arguments first; an opening one that is never
  // closed is its own error. Selectors themselves are not supported (acl.h).
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].empty() || rules[i].front() != '(' || rules[i].back() == ')') continue;
    bool closed = false;
    for (std::size_t j = i + 1; j < rules.size() && !closed; ++j) closed = !rules[j].empty() && rules[j].back() == ')';
    if (!closed) return c.out.error("ERR Unmatched parenthesis in acl selector starting at '" + std::string(rules[i]) + "'.");
  }
  std::string e = c.server.acl.set_user(c.arg(2), rules);
  if (!e.empty()) return c.out.error(e);
  c.out.ok();
}

void acl_getuser(Ctx& c) {
  std::shared_ptr<const AclUser> u = c.server.acl.find(c.arg(2));
  if (!u) return c.out.null();
  const CommandTable& table = c.server.commands;
  c.out.map(6);
  c.out.bulk("flags");
  std::vector<std::string_view> flags = {u->enabled ? "on" : "off"};
  if (u->nopass) flags.push_back("nopass");
  if (u->skip_sanitize_payload) flags.push_back("skip-sanitize-payload");
  if (u->sanitize_payload) flags.push_back("sanitize-payload");
  c.out.set(flags.size());
  for (std::string_view f : flags) c.out.bulk(f);
  c.out.bulk("passwords");
  c.out.array(u->passwords.size());
  for (const std::string& p : u->passwords) c.out.bulk(p);
  c.out.bulk("commands");
  c.out.bulk(acl_describe_commands(*u, table));
  c.out.bulk("keys");
  std::string keys = u->allkeys ? "~*" : "";
  for (const std::string& k : u->keys) keys += (keys.empty() ? "~" : " ~") + k;
  c.out.bulk(keys);
  c.out.bulk("channels");
  std::string channels = u->allchannels ? "&*" : "";
  for (const std::string& ch : u->channels) channels += (channels.empty() ? "&" : " &") + ch;
  c.out.bulk(channels);
  c.out.bulk("selectors");
  c.out.array(0);
}

void acl_deluser(Ctx& c) {
  std::vector<std::string_view> names(c.argv.begin() + 2, c.argv.end());
  for (std::string_view n : names)
    if (n == "default") return c.out.error(err::kDefaultUserUndeletable);
  std::vector<std::string> existing;
  for (std::string_view n : names)
    if (c.server.acl.find(n)) existing.emplace_back(n);
  int deleted = c.server.acl.del_users(names);
  acl_kill_clients(c.server.clients, c.client, existing, false);
  c.out.integer(deleted);
}

void acl_list_users(Ctx& c, bool names_only) {
  auto users = c.server.acl.users();
  c.out.array(users.size());
  for (const auto& u : users) {
    if (names_only) c.out.bulk(u->name);
    else c.out.bulk("user " + u->name + " " + acl_describe(*u, c.server.commands));
  }
}

void acl_list(Ctx& c) { acl_list_users(c, false); }
void acl_users(Ctx& c) { acl_list_users(c, true); }

void acl_whoami(Ctx& c) {
  std::lock_guard lock(c.client.meta_mu);
  c.out.bulk(c.client.user_name);
}

void acl_cat(Ctx& c) {
  if (c.argc() > 3) return syntax_error(c);
  if (c.argc() == 2) {
    auto names = acl_category_names();
    c.out.array(names.size());
    for (std::string_view n : names) c.out.bulk(n);
    return;
  }
  uint32_t cat = acl_category_bit(c.arg(2));
  if (!cat) return c.out.error("ERR Unknown category '" + std::string(c.arg(2).substr(0, 128)) + "'");
  std::vector<const std::string*> names;
  for (const Command& cmd : c.server.commands.all()) {
    if (command_categories(cmd) & cat) names.push_back(&cmd.full_name);
    for (const Command& sub : cmd.subs)
      if (command_categories(sub) & cat) names.push_back(&sub.full_name);
  }
  c.out.array(names.size());
  for (const std::string* n : names) c.out.bulk(*n);
}

void acl_genpass(Ctx& c) {
  if (c.argc() > 3) return syntax_error(c);
  int64_t bits = 256;
  if (c.argc() == 3 && !parse_int64(c.arg(2), &bits)) return c.out.error(err::kNotInteger);
  if (bits <= 0 || bits > 4096) return c.out.error(err::kGenpassBits);
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;  // the kernel's CSPRNG, as Redis's getRandomHexChars uses /dev/urandom
  std::string pass(static_cast<std::size_t>((bits + 3) / 4), '0');
  for (char& ch : pass) ch = kHex[rd() & 15];
  c.out.bulk(pass);
}

void acl_load(Ctx& c) {
  std::string path = aclfile(c);
  if (path.empty()) return c.out.error(err::kNoAclFile);
  std::string e = c.server.acl.load_file(path);
  if (!e.empty()) return c.out.error("ERR " + e);
  acl_kill_clients(c.server.clients, c.client, {}, true);  // as Redis: every old non-default user goes
  c.out.ok();
}

void acl_save(Ctx& c) {
  std::string path = aclfile(c);
  if (path.empty()) return c.out.error(err::kNoAclFile);
  std::string e = c.server.acl.save_file(path);
  if (!e.empty()) {
    log_line(LogLevel::kWarning, e);
    return c.out.error(err::kAclSaveFailed);
  }
  c.out.ok();
}

void acl_log(Ctx& c) {
  if (c.argc() > 3) return syntax_error(c);
  int64_t count = 10;
  if (c.argc() == 3) {
    if (iequals(c.arg(2), "reset")) {
      c.server.acl.log_reset();
      return c.out.ok();
    }
    if (!parse_int64(c.arg(2), &count)) return c.out.error(err::kNotInteger);
    if (count < 0) count = 0;
  }
  int64_t now = now_ms();
  auto entries = c.server.acl.log_entries(static_cast<std::size_t>(count));
  c.out.array(entries.size());
  for (const AclLogEntry& e : entries) {
    c.out.map(7);
    c.out.bulk("count");
    c.out.integer(static_cast<int64_t>(e.count));
    c.out.bulk("reason");
    c.out.bulk(e.reason);
    c.out.bulk("context");
    c.out.bulk(e.context);
    c.out.bulk("object");
    c.out.bulk(e.object);
    c.out.bulk("username");
    c.out.bulk(e.username);
    c.out.bulk("age-seconds");
    c.out.dbl(static_cast<double>(now - e.ctime_ms) / 1000);
    c.out.bulk("client-info");
    c.out.bulk(e.client_info);
  }
}

void acl_dryrun(Ctx& c) {
  std::shared_ptr<const AclUser> u = c.server.acl.find(c.arg(2));
  if (!u) return c.out.error("ERR User '" + std::string(c.arg(2)) + "' not found");
  std::span<const std::string_view> args = c.argv.subspan(3);
  const Command* cmd = c.server.commands.find(args[0]);
  if (cmd && !cmd->subs.empty() && args.size() >= 2) cmd = c.server.commands.find_sub(*cmd, args[1]);
  if (!cmd) return c.out.error("ERR Command '" + std::string(args[0]) + "' not found");
  int64_t arity = cmd->spec->arity, argc = static_cast<int64_t>(args.size());
  if ((arity > 0 && arity != argc) || argc < -arity) return c.out.error(err::wrong_args(cmd->full_name));
  std::size_t key = 0;
  switch (acl_check(*u, *cmd, args, &key)) {
    case AclResult::kOk: return c.out.ok();
    case AclResult::kDeniedCmd:
      return c.out.bulk("This user has no permissions to run the '" + cmd->full_name + "' command");
    case AclResult::kDeniedKey:
      return c.out.bulk("This user has no permissions to access the '" + std::string(args[key]) + "' key");
  }
}

void acl_help(Ctx& c) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Print this help.",
  };
  c.out.array(std::size(kLines));
  for (auto l : kLines) c.out.simple(l);
}

constexpr uint32_t kAclFlags = kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kAclAdmin = kCmdAdmin | kAclFlags;

constexpr CommandSpec kAclSubs[] = {
    {"cat", -2, kAclFlags, 0, 0, 0, acl_cat, "server", "Lists the ACL categories, or the commands inside a category.", "6.0.0"},
    {"deluser", -3, kAclAdmin, 0, 0, 0, acl_deluser, "server", "Deletes ACL users, and terminates their connections.", "6.0.0"},
    {"dryrun", -4, kAclAdmin, 0, 0, 0, acl_dryrun, "server", "Simulates the execution of a command by a user, without executing the command.", "7.0.0"},
    {"genpass", -2, kAclFlags, 0, 0, 0, acl_genpass, "server", "Generates a pseudorandom, secure password that can be used to identify ACL users.", "6.0.0"},
    {"getuser", 3, kAclAdmin, 0, 0, 0, acl_getuser, "server", "Lists the ACL rules of a user.", "6.0.0"},
    {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, acl_help, "server", "Returns helpful text about the different subcommands.", "6.0.0"},
    {"list", 2, kAclAdmin, 0, 0, 0, acl_list, "server", "Dumps the effective rules in ACL file format.", "6.0.0"},
    {"load", 2, kAclAdmin, 0, 0, 0, acl_load, "server", "Reloads the rules from the configured ACL file.", "6.0.0"},
    {"log", -2, kAclAdmin, 0, 0, 0, acl_log, "server", "Lists recent security events generated due to ACL rules.", "6.0.0"},
    {"save", 2, kAclAdmin, 0, 0, 0, acl_save, "server", "Saves the effective ACL rules in the configured ACL file.", "6.0.0"},
    {"setuser", -3, kAclAdmin, 0, 0, 0, acl_setuser, "server", "Creates and modifies an ACL user and its rules.", "6.0.0"},
    {"users", 2, kAclAdmin, 0, 0, 0, acl_users, "server", "Lists all ACL users.", "6.0.0"},
    {"whoami", 2, kAclFlags, 0, 0, 0, acl_whoami, "server", "Returns the authenticated username of the current connection.", "6.0.0"},
};

constexpr CommandSpec kAclCommands[] = {
    {"acl", -2, 0, 0, 0, 0, nullptr, "server", "A container for Access List Control commands.", "6.0.0", {}, kAclSubs},
};

}  // namespace

std::span<const CommandSpec> acl_commands() { return kAclCommands; }

}  // namespace tally
