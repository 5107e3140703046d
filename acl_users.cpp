// The ACL user table, the ACL file, the ACL log, and the connection side of access control (acl.h).
//
// Users are published as immutable snapshots (shared_ptr<const AclUser>) under Acl::mu_; every change
// bumps the epoch, which connections compare with the one they saw to pick up the new rules.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "acl.h"
#include "commands.h"
#include "errors.h"
#include "log.h"
#include "state.h"

namespace tally {
namespace {

bool has_space(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == 0) return true;
  return false;
}

// Splits on single spaces, as Redis's sdssplitlen(line, " ") does for ACL file lines.
std::vector<std::string> split_spaces(std::string_view line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t sp = line.find(' ', start);
    out.emplace_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) return out;
    start = sp + 1;
  }
}

std::string_view trim(std::string_view s, std::string_view chars) {
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

}  // namespace

Acl::Acl(const CommandTable& table) : table_(table) {
  users_["default"] = std::make_shared<const AclUser>(acl_default_user());
}

std::shared_ptr<const AclUser> Acl::find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const AclUser>> Acl::users() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const AclUser>> out;
  for (const auto& [name, u] : users_) out.push_back(u);
  return out;
}

void Acl::update_default_flags_locked() {
  const AclUser& d = *users_.at("default");
  default_nopass_.store(d.nopass, std::memory_order_relaxed);
  default_login_.store(d.nopass && d.enabled, std::memory_order_relaxed);
}

void Acl::publish_locked(std::shared_ptr<const AclUser> u) {
  users_[u->name] = std::move(u);
  update_default_flags_locked();
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::string Acl::set_user(std::string_view name, std::span<const std::string_view> rules) {
  if (has_space(name)) return "ERR Usernames can't contain spaces or null characters";
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  AclUser u = it != users_.end() ? *it->second : acl_new_user(name);
  for (std::string_view op : rules) {
    std::string why = acl_apply_rule(&u, op, table_);
    if (!why.empty()) return "ERR Error in ACL SETUSER modifier '" + std::string(op) + "': " + why;
  }
  publish_locked(std::make_shared<const AclUser>(std::move(u)));
  return "";
}

int Acl::del_users(std::span<const std::string_view> names) {
  std::lock_guard lock(mu_);
  int deleted = 0;
  for (std::string_view n : names) {
    auto it = users_.find(n);
    if (it == users_.end() || n == "default") continue;
    users_.erase(it);
    ++deleted;
  }
  if (deleted) epoch_.fetch_add(1, std::memory_order_acq_rel);
  return deleted;
}

std::shared_ptr<const AclUser> Acl::authenticate(std::string_view name, std::string_view pass) const {
  std::shared_ptr<const AclUser> u = find(name);
  if (!u || !u->enabled || !acl_password_ok(*u, pass)) return nullptr;
  return u;
}

void Acl::set_default_password(std::string_view pass) {
  std::lock_guard lock(mu_);
  AclUser u = *users_.at("default");
  (void)acl_apply_rule(&u, "resetpass", table_);
  (void)acl_apply_rule(&u, pass.empty() ? std::string("nopass") : ">" + std::string(pass), table_);
  publish_locked(std::make_shared<const AclUser>(std::move(u)));
}

std::string Acl::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str(), errors;
  std::map<std::string, std::shared_ptr<const AclUser>, std::less<>> fresh;
  std::size_t start = 0;
  for (int linenum = 1; start <= text.size(); ++linenum) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = std::string_view(text).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() + 1 : nl + 1;
    line = trim(line, " \t\r\n");
    if (line.empty()) continue;
    std::vector<std::string> argv = split_spaces(line);
    std::string where = path + ":" + std::to_string(linenum);
    if (argv[0] != "user" || argv.size() < 2) {
      errors += where + " should start with user keyword followed by the username. ";
      continue;
    }
    if (has_space(argv[1])) {
      errors += "'" + where + ": username '" + argv[1] + "' contains invalid characters. ";
      continue;
    }
    if (fresh.count(argv[1])) {
      errors += "WARNING: Duplicate user '" + argv[1] + "' found on line " + std::to_string(linenum) + ". ";
      continue;
    }
    AclUser u = acl_new_user(argv[1]);
    for (std::size_t j = 2; j < argv.size(); ++j) {
      std::string op(trim(argv[j], "\t\r\n"));
      std::string why = acl_apply_rule(&u, op, table_);
      if (!why.empty()) errors += where + ": Error in applying operation '" + op + "': " + why + ". ";
    }
    std::string name = u.name;  // named before the move below
    fresh[name] = std::make_shared<const AclUser>(std::move(u));
  }
  if (!errors.empty())
    return errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
  if (!fresh.count("default")) fresh["default"] = std::make_shared<const AclUser>(acl_default_user());
  std::lock_guard lock(mu_);
  users_ = std::move(fresh);
  update_default_flags_locked();
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  return "";
}

std::string Acl::save_file(const std::string& path) const {
  std::string text;
  for (const auto& u : users()) text += "user " + u->name + " " + acl_describe(*u, table_) + "\n";
  std::string tmp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(now_ms());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return std::string("Opening temp ACL file for ACL SAVE: ") + std::strerror(errno);
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int saved = errno;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return std::string("Writing ACL file for ACL SAVE: ") + std::strerror(saved);
  }
  if (rename(tmp.c_str(), path.c_str()) < 0) {
    saved = errno;
    unlink(tmp.c_str());
    return std::string("Renaming ACL file for ACL SAVE: ") + std::strerror(saved);
  }
  return "";
}

std::string Acl::load_config_users(const std::vector<std::vector<std::string>>& users) {
  for (const std::vector<std::string>& def : users) {
    const std::string& name = def[0];
    if (has_space(name)) return "Spaces not allowed in ACL usernames";
    std::shared_ptr<const AclUser> old = find(name);
    AclUser u = old ? *old : acl_new_user(name);
    if (old) (void)acl_apply_rule(&u, "reset", table_);  // only "default" can already exist
    for (std::size_t j = 1; j < def.size(); ++j) {
      std::string why = acl_apply_rule(&u, def[j], table_);
      if (!why.empty())
        return "Error loading ACL rule '" + def[j] + "' for the user named '" + name + "': " + why;
    }
    if (!u.enabled)
      log_line(LogLevel::kNotice, "The user '" + name +
                                      "' is disabled (there is no 'on' modifier in the user description). Make "
                                      "sure this is not a configuration error.");
    std::lock_guard lock(mu_);
    publish_locked(std::make_shared<const AclUser>(std::move(u)));
  }
  return "";
}

// Redis groups an entry with a recent one (same reason, context, object and user, within 60 s) among
// the last 10, moving it to the front, instead of adding a new one.
void Acl::log(AclLogEntry e, std::size_t max_len) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < log_.size() && i < 10; ++i) {
    AclLogEntry& old = log_[i];
    if (old.reason != e.reason || old.context != e.context || old.object != e.object || old.username != e.username ||
        std::llabs(old.ctime_ms - e.ctime_ms) > 60000)
      continue;
    AclLogEntry merged = std::move(old);
    merged.count++;
    merged.ctime_ms = e.ctime_ms;
    merged.client_info = std::move(e.client_info);
    log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(i));
    log_.push_front(std::move(merged));
    return;
  }
  log_.push_front(std::move(e));
  while (log_.size() > max_len) log_.pop_back();
}

std::vector<AclLogEntry> Acl::log_entries(std::size_t count) const {
  std::lock_guard lock(mu_);
  return {log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(std::min(count, log_.size()))};
}

void Acl::log_reset() {
  std::lock_guard lock(mu_);
  log_.clear();
}

// ---- the connection side ----

void acl_set_client_user(Acl& acl, Client& client, std::shared_ptr<const AclUser> user) {
  client.acl_epoch = acl.epoch();
  client.acl_unrestricted = user->unrestricted();
  {
    std::lock_guard lock(client.meta_mu);
    client.user_name = user->name;
  }
  client.user = std::move(user);
}

void acl_refresh(Acl& acl, Client& client) {
  std::string name;
  {
    std::lock_guard lock(client.meta_mu);
    name = client.user_name;
  }
  std::shared_ptr<const AclUser> u = acl.find(name);
  if (!u) {  // deleted: Redis falls back to the default user, unauthenticated
    u = acl.find("default");
    client.authenticated = false;
  }
  acl_set_client_user(acl, client, std::move(u));
}

bool acl_check_client(Acl& acl, Client& client, const Command& cmd, std::span<const std::string_view> argv,
                      std::size_t log_max) {
  std::size_t key_pos = 0;
  AclResult r = acl_check(*client.user, cmd, argv, &key_pos);
  if (r == AclResult::kOk) return true;
  bool denied_cmd = r == AclResult::kDeniedCmd;
  if (client.in_exec) {  // the rules changed after the command was queued
    client.writer.error(std::string(err::kNoPermExecPrefix) +
                        (denied_cmd ? "no permission to execute the command or subcommand"
                                    : "no permission to touch the specified keys"));
  } else {
    client.writer.error(denied_cmd ? err::no_perm_command(cmd.full_name) : std::string(err::kNoPermKey));
  }
  AclLogEntry e;
  e.reason = denied_cmd ? "command" : "key";
  e.context = client.multi.active || client.in_exec ? "multi" : "toplevel";
  e.object = denied_cmd ? cmd.full_name : std::string(argv[key_pos]);
  e.username = client.user->name;
  e.ctime_ms = now_ms();
  e.client_info = client_info_line(client);
  acl.log(std::move(e), log_max);
  return false;
}

void acl_kill_clients(ClientRegistry& clients, Client& self, std::span<const std::string> names, bool all_but_default) {
  clients.for_each([&](Client& cl) {
    std::string user;
    {
      std::lock_guard lock(cl.meta_mu);
      user = cl.user_name;
    }
    bool doomed = all_but_default ? user != "default" : std::find(names.begin(), names.end(), user) != names.end();
    if (!doomed) return;
    if (&cl == &self) {
      cl.close_after_reply = true;
      return;
    }
    cl.kill_requested.store(true);
    if (clients.wake_worker) clients.wake_worker(cl.worker);
  });
}

std::string acl_startup(ServerState& state, bool* config_error) {
  Config& cfg = state.config;
  *config_error = true;
  for (const auto& [from, to] : cfg.renames) {
    std::string why = state.commands.rename(from, to);
    if (!why.empty()) return ">>> 'rename-command \"" + from + "\" \"" + to + "\"'\n" + why;
  }
  *config_error = false;
  std::string pass = cfg.get_requirepass(), aclfile;
  {
    std::lock_guard lock(cfg.mu);
    aclfile = cfg.aclfile;
  }
  if (!pass.empty()) state.acl.set_default_password(pass);
  cfg.on_requirepass = [&acl = state.acl](const std::string& p) { acl.set_default_password(p); };
  if (!aclfile.empty() && !cfg.users.empty())
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is "
           "invalid. This setup is very likely to lead to configuration errors and security holes, please "
           "define either an ACL file or declare users directly in your redis.conf, but not both.";
  if (std::string why = state.acl.load_config_users(cfg.users); !why.empty())
    return why + "\nCritical error while loading ACLs. Exiting.";
  if (!aclfile.empty()) {
    if (std::string why = state.acl.load_file(aclfile); !why.empty())
      return "Aborting Redis startup because of ACL errors: " + why;
  }
  return "";
}

}  // namespace tally
