// Access control: ACL users, their rules, and the permission check dispatch() runs before a command.
//
// A user (AclUser) is an immutable snapshot once published: ACL SETUSER builds a modified copy and
// swaps it into Acl's table under Acl::mu_, then bumps Acl::epoch(). A connection keeps a shared_ptr
// to the snapshot it authenticated as and re-reads it (by name) when the epoch has moved, so rule
// changes reach connected clients at their next command, as in Redis, while the common path costs one
// relaxed atomic load and one flag test (Client::acl_unrestricted: "+@all ~*").
//
// Rules follow Redis 7.0's ACLSetUser/ACLSetSelector: on/off, >pass <pass #hash !hash, nopass,
// resetpass, +cmd -cmd +cmd|sub +cmd|firstarg, +@cat -@cat, allcommands/nocommands, ~pattern, allkeys,
// resetkeys, &channel, allchannels, resetchannels, reset, clearselectors. Not supported (rejected with
// Redis's "Syntax error" reason, never silently accepted): %R~/%W~ read/write key patterns and
// "(...)" selectors. Command permissions are a bitmap over Command::id (top-level commands and
// subcommands share one id space); the last bit marks "+@all was used" (future commands), which is how
// ACL LIST decides between "+@all ..." and "-@all ...", as Redis does.
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client.h"

namespace tally {

class CommandTable;
struct Command;
struct Config;
class ClientRegistry;
struct ServerState;

inline constexpr std::size_t kAclCommandBits = 1024;
inline constexpr std::size_t kAclFutureBit = kAclCommandBits - 1;

// Redis's ACL categories, in its order (ACLCommandCategories).
std::span<const std::string_view> acl_category_names();
// The bit of a category (case-insensitive), or 0 when there is no such category.
uint32_t acl_category_bit(std::string_view name);
// A command's categories: derived from its flags and group as Redis's setImplicitACLCategories does,
// plus the explicit ones Redis's command table gives a few commands (@dangerous on KEYS, ...).
uint32_t command_categories(const Command& cmd);

struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  bool sanitize_payload = false, skip_sanitize_payload = false;  // accepted and shown; no effect here
  bool allkeys = false;
  bool allchannels = false;
  bool allcommands = false;  // every bit set and no -cmd since: the bit test can be skipped
  std::bitset<kAclCommandBits> allowed;
  std::vector<std::string> passwords;  // SHA-256 hex digests, in the order added
  std::vector<std::string> keys;       // glob patterns (when !allkeys)
  std::vector<std::string> channels;   // glob patterns (when !allchannels); no Pub/Sub here, kept for display
  std::map<int, std::vector<std::string>> firstargs;  // command id -> allowed argv[1] (+select|0)

  bool unrestricted() const { return allcommands && allkeys; }
};

enum class AclResult { kOk, kDeniedCmd, kDeniedKey };

// Applies one rule to `u`; returns "" or Redis's reason text (ACLSetUserStringError).
std::string acl_apply_rule(AclUser* u, std::string_view op, const CommandTable& table);
// A new user as Redis creates one: off, no passwords, no keys, resetchannels, -@all.
AclUser acl_new_user(std::string_view name);
// The default user: on nopass ~* &* +@all.
AclUser acl_default_user();
// The rules after "user <name> " in ACL LIST / the ACL file ("on nopass ~* &* +@all").
std::string acl_describe(const AclUser& u, const CommandTable& table);
// Only the command part ("+@all -@admin", "-@all +get"), as ACL GETUSER's "commands" field.
std::string acl_describe_commands(const AclUser& u, const CommandTable& table);
// Whether `u` may run `cmd` with `argv`; on kDeniedKey, *key_pos is the index of the refused key.
AclResult acl_check(const AclUser& u, const Command& cmd, std::span<const std::string_view> argv,
                    std::size_t* key_pos);
// Whether `pass` is one of u's passwords (or u is nopass). Compares digests in constant time.
bool acl_password_ok(const AclUser& u, std::string_view pass);

// One ACL LOG entry (Redis 7.0's fields).
struct AclLogEntry {
  uint64_t count = 1;
  std::string reason;   // "command", "key", "auth"
  std::string context;  // "toplevel", "multi"
  std::string object;   // command full name, key, or AUTH's argv[0]
  std::string username;
  int64_t ctime_ms = 0;
  std::string client_info;
};

// The user table. Thread-safe: every member takes mu_.
class Acl {
 public:
  explicit Acl(const CommandTable& table);
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  const CommandTable& table() const { return table_; }
  std::shared_ptr<const AclUser> find(std::string_view name) const;
  std::vector<std::shared_ptr<const AclUser>> users() const;  // sorted by name, as Redis's rax
  // ACL SETUSER: all rules or none. Returns "" or the full error reply text.
  std::string set_user(std::string_view name, std::span<const std::string_view> rules);
  // Removes users (never "default"); returns how many existed.
  int del_users(std::span<const std::string_view> names);
  // The user `name` if `pass` opens it and it is enabled, else nullptr.
  std::shared_ptr<const AclUser> authenticate(std::string_view name, std::string_view pass) const;
  // requirepass: resetpass, then >pass (or nopass when empty), on the default user.
  void set_default_password(std::string_view pass);
  // Whether a new connection starts authenticated (default user nopass and on).
  bool default_login() const { return default_login_.load(std::memory_order_relaxed); }
  // Whether the default user has no password (protected mode applies).
  bool default_nopass() const { return default_nopass_.load(std::memory_order_relaxed); }
  // Changes on every change to the table; clients compare it with the one they last saw.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  // The ACL file: replaces every user (all or nothing). Returns "" or Redis's error text.
  std::string load_file(const std::string& path);
  // Writes every user to `path` (temp file + rename). Returns "" or a reason for the log.
  std::string save_file(const std::string& path) const;
  // Users from config-file "user" lines, applied at start (errors as Redis logs them).
  std::string load_config_users(const std::vector<std::vector<std::string>>& users);

  void log(AclLogEntry e, std::size_t max_len);
  std::vector<AclLogEntry> log_entries(std::size_t count) const;
  void log_reset();

 private:
  void publish_locked(std::shared_ptr<const AclUser> u);
  void update_default_flags_locked();

  const CommandTable& table_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const AclUser>, std::less<>> users_;  // guarded by mu_
  std::deque<AclLogEntry> log_;                                               // newest first; mu_
  std::atomic<uint64_t> epoch_{1};
  std::atomic<bool> default_login_{true}, default_nopass_{true};
};

// ---- connection side (acl_conn in acl.cpp) ----

// Re-reads the client's user after an ACL change; a deleted user leaves the client as an
// unauthenticated default user (it is being disconnected anyway).
void acl_refresh(Acl& acl, Client& client);
// Makes `user` the client's user (AUTH, HELLO AUTH, RESET, new connections).
void acl_set_client_user(Acl& acl, Client& client, std::shared_ptr<const AclUser> user);
// The slow path of acl_permits: checks the rules, writes the NOPERM reply and logs the denial.
bool acl_check_client(Acl& acl, Client& client, const Command& cmd, std::span<const std::string_view> argv,
                      std::size_t log_max);

// dispatch()'s permission check. The common case (an unrestricted user) is one flag test.
inline bool acl_permits(Acl& acl, Client& client, const Command& cmd, std::span<const std::string_view> argv,
                        std::size_t log_max) {
  if (client.acl_epoch != acl.epoch()) acl_refresh(acl, client);
  if (client.acl_unrestricted) return true;
  return acl_check_client(acl, client, cmd, argv, log_max);
}

// Disconnects every client authenticated as one of `names` (for ACL DELUSER / ACL LOAD); `self`
// is closed after its reply instead.
void acl_kill_clients(ClientRegistry& clients, Client& self, std::span<const std::string> names, bool all_but_default);

// Start-up, in Redis's order: rename-command, requirepass as the default user's password, "user"
// lines from the config, then the ACL file (both at once is refused, as Redis refuses it). Installs
// the CONFIG SET requirepass hook. Returns "" or the message to print before exiting; *config_error
// is set when it is a config-file error (rename-command) rather than an ACL one.
std::string acl_startup(ServerState& state, bool* config_error);

// CLIENT LIST's line for a client (cmd_conn.cpp); also ACL LOG's client-info.
std::string client_info_line(Client& cl);

}  // namespace tally
