// ACL rules: categories, the rule parser, the ACL LIST description and the permission check (acl.h).
// These are pure functions of a user and the command table; the user table, the ACL file and the
// connection side live in acl_users.cpp.
#include "acl.h"

#include <cctype>
#include <climits>

#include "commands.h"
#include "sha256.h"

namespace tally {
namespace {

constexpr std::string_view kCategories[] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
    "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting"};

uint32_t bit_of(std::string_view lower) {
  for (std::size_t i = 0; i < std::size(kCategories); ++i)
    if (kCategories[i] == lower) return 1u << i;
  return 0;
}

// The category a command's group implies ("generic" commands are @keyspace, and so on).
uint32_t group_category(std::string_view group) {
  constexpr std::pair<std::string_view, std::string_view> kGroups[] = {
      {"generic", "keyspace"}, {"string", "string"}, {"hash", "hash"}, {"sorted-set", "sortedset"},
      {"list", "list"}, {"set", "set"}, {"connection", "connection"}, {"transactions", "transaction"},
      {"pubsub", "pubsub"}, {"scripting", "scripting"}, {"stream", "stream"}, {"bitmap", "bitmap"},
      {"hyperloglog", "hyperloglog"}, {"geo", "geo"}};
  for (const auto& [g, cat] : kGroups)
    if (g == group) return bit_of(cat);
  return 0;
}

// Categories Redis 7.0's command table states explicitly beyond what flags and group imply
// (checked with COMMAND INFO against redis-server 7.0.15). `subs`: the subcommands get them too.
struct ExtraCategories {
  std::string_view name;
  std::string_view cats[2];
  bool subs;
};
constexpr ExtraCategories kExtra[] = {
    {"command", {"connection", {}}, true},   {"dbsize", {"keyspace", {}}, false},
    {"flushall", {"keyspace", "dangerous"}, false}, {"flushdb", {"keyspace", "dangerous"}, false},
    {"info", {"dangerous", {}}, false},      {"keys", {"dangerous", {}}, false},
    {"lastsave", {"admin", "dangerous"}, false}, {"swapdb", {"keyspace", "dangerous"}, false},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_space(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == 0) return true;
  return false;
}

bool valid_hash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h)
    if ((c < 'a' || c > 'f') && (c < '0' || c > '9')) return false;
  return true;
}

// Redis's ACLSetUserStringError texts.
constexpr std::string_view kErrUnknown = "Unknown command or category name in ACL";
constexpr std::string_view kErrSyntax = "Syntax error";
constexpr std::string_view kErrKeysAfterAll =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try "
    "'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kErrChannelsAfterAll =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. "
    "Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kErrNoSuchPass = "The password you are trying to remove from the user does not exist";
constexpr std::string_view kErrBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
constexpr std::string_view kErrFirstArgOfSub = "Allowing first-arg of a subcommand is not supported";

void set_bit(AclUser* u, int id, bool on) {
  u->allowed.set(static_cast<std::size_t>(id), on);
  if (!on) u->allcommands = false;
}

// ACLChangeSelectorPerm: a command and, for a container, all its subcommands.
void change_perm(AclUser* u, const Command& cmd, bool on) {
  set_bit(u, cmd.id, on);
  u->firstargs.erase(cmd.id);
  for (const Command& sub : cmd.subs) set_bit(u, sub.id, on);
}

void set_category(AclUser* u, const CommandTable& table, uint32_t cat, bool on) {
  for (const Command& cmd : table.all()) {
    if (command_categories(cmd) & cat) change_perm(u, cmd, on);
    for (const Command& sub : cmd.subs)
      if (command_categories(sub) & cat) change_perm(u, sub, on);
  }
}

// Resolves "name" or "name|sub" to a command as ACL rules name them (original names, ignoring
// rename-command).
const Command* lookup(const CommandTable& table, std::string_view name) {
  std::size_t bar = name.find('|');
  const Command* cmd = table.find_original(name.substr(0, bar));
  if (!cmd || bar == std::string_view::npos) return cmd;
  return cmd->subs.empty() ? nullptr : table.find_sub(*cmd, name.substr(bar + 1));
}

std::string allow_command(AclUser* u, const CommandTable& table, std::string_view name) {
  std::size_t bar = name.rfind('|');
  if (bar == std::string_view::npos) {
    const Command* cmd = lookup(table, name);
    if (!cmd) return std::string(kErrUnknown);
    change_perm(u, *cmd, true);
    return "";
  }
  const Command* cmd = lookup(table, name.substr(0, bar));
  if (!cmd) return std::string(kErrUnknown);
  if (cmd->parent) return std::string(kErrFirstArgOfSub);
  std::string_view sub = name.substr(bar + 1);
  if (sub.empty()) return std::string(kErrSyntax);
  if (!cmd->subs.empty()) {
    const Command* sc = lookup(table, name);
    if (!sc) return std::string(kErrUnknown);
    change_perm(u, *sc, true);
    return "";
  }
  // "+select|0": a first argument of an otherwise blocked command (Redis deprecates but accepts it).
  std::vector<std::string>& args = u->firstargs[cmd->id];
  for (const std::string& a : args)
    if (lower(a) == lower(sub)) return "";
  args.emplace_back(sub);
  return "";
}

std::string add_key_pattern(AclUser* u, std::string_view op) {
  if (op[0] == '%') return std::string(kErrSyntax);  // %R~ / %W~: not supported (acl.h)
  if (u->allkeys) return std::string(kErrKeysAfterAll);
  std::string_view pat = op.substr(1);
  if (has_space(pat)) return std::string(kErrSyntax);
  if (std::find(u->keys.begin(), u->keys.end(), pat) == u->keys.end()) u->keys.emplace_back(pat);
  return "";
}

std::string add_channel_pattern(AclUser* u, std::string_view op) {
  if (u->allchannels) return std::string(kErrChannelsAfterAll);
  std::string_view pat = op.substr(1);
  if (has_space(pat)) return std::string(kErrSyntax);
  if (std::find(u->channels.begin(), u->channels.end(), pat) == u->channels.end()) u->channels.emplace_back(pat);
  return "";
}

std::string change_password(AclUser* u, std::string_view op) {
  std::string hash = (op[0] == '>' || op[0] == '<') ? sha256_hex(op.substr(1)) : std::string(op.substr(1));
  if ((op[0] == '#' || op[0] == '!') && !valid_hash(hash)) return std::string(kErrBadHash);
  auto it = std::find(u->passwords.begin(), u->passwords.end(), hash);
  if (op[0] == '>' || op[0] == '#') {
    if (it == u->passwords.end()) u->passwords.push_back(hash);
    u->nopass = false;
    return "";
  }
  if (it == u->passwords.end()) return std::string(kErrNoSuchPass);
  u->passwords.erase(it);
  return "";
}

// The selector part of ACLSetSelector: keys, channels and commands.
std::string apply_selector_rule(AclUser* u, std::string_view op, std::string_view lop, const CommandTable& table) {
  if (lop == "allkeys" || lop == "~*") {
    u->allkeys = true;
    u->keys.clear();
  } else if (lop == "resetkeys") {
    u->allkeys = false;
    u->keys.clear();
  } else if (lop == "allchannels" || lop == "&*") {
    u->allchannels = true;
    u->channels.clear();
  } else if (lop == "resetchannels") {
    u->allchannels = false;
    u->channels.clear();
  } else if (lop == "allcommands" || lop == "+@all") {
    u->allowed.set();
    u->allcommands = true;
    u->firstargs.clear();
  } else if (lop == "nocommands" || lop == "-@all") {
    u->allowed.reset();
    u->allcommands = false;
    u->firstargs.clear();
  } else if (op[0] == '~' || op[0] == '%') {
    return add_key_pattern(u, op);
  } else if (op[0] == '&') {
    return add_channel_pattern(u, op);
  } else if ((op[0] == '+' || op[0] == '-') && op.size() > 1 && op[1] == '@') {
    uint32_t cat = acl_category_bit(op.substr(2));
    if (!cat) return std::string(kErrUnknown);
    set_category(u, table, cat, op[0] == '+');
  } else if (op[0] == '+') {
    return allow_command(u, table, op.substr(1));
  } else if (op[0] == '-') {
    const Command* cmd = lookup(table, op.substr(1));
    if (!cmd) return std::string(kErrUnknown);
    change_perm(u, *cmd, false);
  } else {
    return std::string(kErrSyntax);
  }
  return "";
}

// Counts, over every command and subcommand in `cat`, those allowed (on) and not (off) in `bits`.
void count_category(const CommandTable& table, const std::bitset<kAclCommandBits>& bits, uint32_t cat,
                    unsigned long* on, unsigned long* off) {
  *on = *off = 0;
  auto count = [&](const Command& c) {
    if (!(command_categories(c) & cat)) return;
    ++*(bits.test(static_cast<std::size_t>(c.id)) ? on : off);
  };
  for (const Command& cmd : table.all()) {
    count(cmd);
    for (const Command& sub : cmd.subs) count(sub);
  }
}

// ACLDescribeSelectorCommandRulesSingleCommands: the per-command differences left after the
// categories, then the allowed first-args.
void describe_single(const AclUser& u, AclUser* fake, const Command& cmd, std::string* rules) {
  bool userbit = u.allowed.test(static_cast<std::size_t>(cmd.id));
  bool fakebit = fake->allowed.test(static_cast<std::size_t>(cmd.id));
  if (userbit != fakebit) {
    *rules += userbit ? "+" : "-";
    *rules += cmd.full_name + " ";
    change_perm(fake, cmd, userbit);
  }
  for (const Command& sub : cmd.subs) describe_single(u, fake, sub, rules);
  auto it = u.firstargs.find(cmd.id);
  if (!userbit && it != u.firstargs.end())
    for (const std::string& a : it->second) *rules += "+" + cmd.full_name + "|" + a + " ";
}

}  // namespace

std::span<const std::string_view> acl_category_names() { return kCategories; }

uint32_t acl_category_bit(std::string_view name) { return bit_of(lower(name)); }

uint32_t command_categories(const Command& cmd) {
  const CommandSpec& s = *cmd.spec;
  uint32_t m = cmd.subs.empty() ? group_category(s.group) : 0;
  if (s.flags & kCmdWrite) m |= bit_of("write");
  if (s.flags & kCmdReadOnly) m |= bit_of("read");
  if (s.flags & kCmdAdmin) m |= bit_of("admin") | bit_of("dangerous");
  if (s.flags & kCmdPubSub) m |= bit_of("pubsub");
  if (s.flags & kCmdBlocking) m |= bit_of("blocking");
  m |= bit_of((s.flags & kCmdFast) ? "fast" : "slow");
  const Command& top = cmd.parent ? *cmd.parent : cmd;
  for (const ExtraCategories& e : kExtra)
    if (e.name == top.spec->name && (!cmd.parent || e.subs))
      for (std::string_view c : e.cats)
        if (!c.empty()) m |= bit_of(c);
  return m;
}

AclUser acl_new_user(std::string_view name) {
  AclUser u;
  u.name = name;
  return u;
}

AclUser acl_default_user() {
  AclUser u = acl_new_user("default");
  u.allowed.set();
  u.allcommands = true;
  u.allkeys = true;
  u.allchannels = true;
  u.enabled = true;
  u.nopass = true;
  return u;
}

std::string acl_apply_rule(AclUser* u, std::string_view op, const CommandTable& table) {
  if (op.empty()) return "";  // a no-op, as in Redis
  std::string lop = lower(op);
  if (lop == "on" || lop == "off") {
    u->enabled = lop == "on";
  } else if (lop == "skip-sanitize-payload" || lop == "sanitize-payload") {
    u->skip_sanitize_payload = lop == "skip-sanitize-payload";
    u->sanitize_payload = !u->skip_sanitize_payload;
  } else if (lop == "nopass") {
    u->nopass = true;
    u->passwords.clear();
  } else if (lop == "resetpass") {
    u->nopass = false;
    u->passwords.clear();
  } else if (op[0] == '>' || op[0] == '#' || op[0] == '<' || op[0] == '!') {
    return change_password(u, op);
  } else if (op[0] == '(') {
    return std::string(kErrSyntax);  // selectors: not supported (acl.h)
  } else if (lop == "clearselectors") {
    // No selectors can exist, so there is nothing to clear.
  } else if (lop == "reset") {
    AclUser fresh = acl_new_user(u->name);
    fresh.sanitize_payload = true;
    *u = std::move(fresh);
  } else {
    return apply_selector_rule(u, op, lop, table);
  }
  return "";
}

std::string acl_describe_commands(const AclUser& u, const CommandTable& table) {
  // Redis's ACLDescribeSelectorCommandRules: start from +@all (if "future commands" are allowed) or
  // -@all, greedily apply the category that best fits what is left, then fix single commands.
  bool additive = !u.allowed.test(kAclFutureBit);
  std::string rules = additive ? "-@all " : "+@all ";
  AclUser fake;
  if (!additive) fake.allowed.set();
  std::bitset<kAclCommandBits> temp = u.allowed;
  std::vector<bool> applied(std::size(kCategories), false);
  for (;;) {
    int best = -1;
    unsigned long mindiff = INT_MAX, maxsame = 0;
    for (std::size_t j = 0; j < std::size(kCategories); ++j) {
      if (applied[j]) continue;
      unsigned long on, off;
      count_category(table, temp, 1u << j, &on, &off);
      unsigned long diff = additive ? off : on, same = additive ? on : off;
      if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
        best = static_cast<int>(j);
        mindiff = diff;
        maxsame = same;
      }
    }
    if (best < 0) break;
    uint32_t cat = 1u << best;
    set_category(&fake, table, cat, additive);
    AclUser tmp;
    tmp.allowed = temp;
    set_category(&tmp, table, cat, !additive);
    temp = tmp.allowed;
    rules += (additive ? "+@" : "-@") + std::string(kCategories[best]) + " ";
    applied[static_cast<std::size_t>(best)] = true;
  }
  for (const Command& cmd : table.all()) describe_single(u, &fake, cmd, &rules);
  rules.pop_back();
  return rules;
}

std::string acl_describe(const AclUser& u, const CommandTable& table) {
  std::string out = u.enabled ? "on " : "off ";
  if (u.nopass) out += "nopass ";
  if (u.skip_sanitize_payload) out += "skip-sanitize-payload ";
  if (u.sanitize_payload) out += "sanitize-payload ";
  for (const std::string& p : u.passwords) out += "#" + p + " ";
  if (u.allkeys) {
    out += "~* ";
  } else {
    for (const std::string& k : u.keys) out += "~" + k + " ";
  }
  if (u.allchannels) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    for (const std::string& c : u.channels) out += "&" + c + " ";
  }
  return out + acl_describe_commands(u, table);
}

AclResult acl_check(const AclUser& u, const Command& cmd, std::span<const std::string_view> argv,
                    std::size_t* key_pos) {
  if (!u.allcommands && !(cmd.spec->flags & kCmdNoAuth) && !u.allowed.test(static_cast<std::size_t>(cmd.id))) {
    std::size_t idx = cmd.parent ? 2 : 1;
    auto it = u.firstargs.find(cmd.id);
    if (it == u.firstargs.end() || argv.size() <= idx) return AclResult::kDeniedCmd;
    bool found = false;
    for (const std::string& a : it->second) found = found || iequals(argv[idx], lower(a));
    if (!found) return AclResult::kDeniedCmd;
  }
  if (u.allkeys) return AclResult::kOk;
  std::vector<std::size_t> keys;
  command_key_positions(*cmd.spec, argv, &keys);
  for (std::size_t k : keys) {
    bool ok = false;
    for (const std::string& p : u.keys) ok = ok || glob_match(p, argv[k]);
    if (!ok) {
      *key_pos = k;
      return AclResult::kDeniedKey;
    }
  }
  return AclResult::kOk;
}

bool acl_password_ok(const AclUser& u, std::string_view pass) {
  if (u.nopass) return true;
  std::string hash = sha256_hex(pass);
  bool ok = false;
  for (const std::string& p : u.passwords) {
    unsigned diff = 0;  // every byte compared: the time does not depend on where they differ
    for (std::size_t i = 0; i < 64; ++i) diff |= static_cast<unsigned>(p[i] ^ hash[i]);
    ok |= diff == 0;
  }
  return ok;
}

}  // namespace tally
