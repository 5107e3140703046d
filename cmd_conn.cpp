// Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET, CLIENT.
//
// These change only the calling client's state, except CLIENT KILL, which marks other clients
// (kill_requested) and wakes their workers; the owning worker does the closing.
#include <algorithm>
#include <string>

#include "commands.h"
#include "state.h"

namespace tally {
namespace {

void cmd_ping(Ctx& c) {
  if (c.argc() > 2) return c.out.error(err::wrong_args("ping"));
  if (c.argc() == 2) return c.out.bulk(c.arg(1));
  c.out.simple("PONG");
}

void cmd_echo(Ctx& c) { c.out.bulk(c.arg(1)); }

void cmd_quit(Ctx& c) {
  c.out.ok();
  c.client.close_after_reply = true;
}

void cmd_select(Ctx& c) {
  int64_t db;
  if (!parse_int64(c.arg(1), &db)) return c.out.error(err::kNotInteger);
  if (db < 0 || db >= c.server.config.databases) return c.out.error(err::kDbIndex);
  c.client.db.store(static_cast<int>(db), std::memory_order_relaxed);
  c.out.ok();
}

// AUTH / HELLO AUTH: on success the client runs as the user; a failure is logged (ACL LOG, reason
// "auth") with the name that was tried.
bool authenticate(Ctx& c, std::string_view user, std::string_view pass) {
  std::shared_ptr<const AclUser> u = c.server.acl.authenticate(user, pass);
  if (u) {
    acl_set_client_user(c.server.acl, c.client, std::move(u));
    c.client.authenticated = true;
    return true;
  }
  AclLogEntry e;
  e.reason = "auth";
  e.context = c.client.multi.active ? "multi" : "toplevel";
  e.object = std::string(c.arg(0));
  e.username = std::string(user);
  e.ctime_ms = now_ms();
  e.client_info = client_info_line(c.client);
  c.server.acl.log(std::move(e), static_cast<std::size_t>(c.server.config.acllog_max_len.load()));
  return false;
}

void cmd_auth(Ctx& c) {
  if (c.argc() > 3) return c.out.error(err::kSyntax);
  std::string_view user = c.argc() == 3 ? c.arg(1) : std::string_view("default");
  std::string_view pass = c.arg(c.argc() - 1);
  if (c.argc() == 2 && c.server.acl.default_nopass()) return c.out.error(err::kAuthNoPassword);
  if (!authenticate(c, user, pass)) return c.out.error(err::kWrongPass);
  c.out.ok();
}

bool valid_client_name(std::string_view name) {
  for (char ch : name)
    if (ch < '!' || ch > '~') return false;
  return true;
}

void set_client_name(Client& client, std::string_view name) {
  std::lock_guard lock(client.meta_mu);
  client.name = name;
}

void hello_reply(Ctx& c) {
  ReplyWriter& out = c.out;
  out.map(7);
  out.bulk("server");
  out.bulk("redis");
  out.bulk("version");
  out.bulk("7.0.15");
  out.bulk("proto");
  out.integer(c.client.resp.load());
  out.bulk("id");
  out.integer(static_cast<int64_t>(c.client.id));
  out.bulk("mode");
  out.bulk("standalone");
  out.bulk("role");
  out.bulk("master");
  out.bulk("modules");
  out.array(0);
}

void cmd_hello(Ctx& c) {
  int64_t ver = 0;
  if (c.argc() >= 2) {
    if (!parse_int64(c.arg(1), &ver)) return c.out.error(err::kProtoVersion);
    if (ver < 2 || ver > 3) return c.out.error(err::kNoProto);
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    bool more = c.argc() - i - 1;
    if (iequals(c.arg(i), "auth") && c.argc() - i - 1 >= 2) {
      user = c.arg(i + 1);
      pass = c.arg(i + 2);
      has_auth = true;
      i += 2;
    } else if (iequals(c.arg(i), "setname") && more) {
      name = c.arg(++i);
      has_name = true;
    } else {
      return c.out.error(err::hello_option(c.arg(i)));
    }
  }
  if (has_auth && !authenticate(c, user, pass)) return c.out.error(err::kWrongPass);
  if (!c.client.authenticated) return c.out.error(err::kHelloNoAuth);
  if (has_name && !valid_client_name(name)) return c.out.error(err::kClientNameSpaces);
  if (has_name) set_client_name(c.client, name);
  if (ver) {
    c.client.resp.store(static_cast<int>(ver));
    c.out.set_resp(static_cast<int>(ver));
  }
  hello_reply(c);
}

void cmd_reset(Ctx& c) {
  c.client.multi = {};
  unwatch_all_keys(c.server, c.client);
  c.client.db.store(0);
  c.client.resp.store(2);
  c.out.set_resp(2);
  set_client_name(c.client, "");
  acl_set_client_user(c.server.acl, c.client, c.server.acl.find("default"));
  c.client.authenticated = c.server.acl.default_login();
  c.out.simple("RESET");
}

// ---- CLIENT ----

std::string client_line(Client& cl) { return client_info_line(cl); }

}  // namespace

std::string client_info_line(Client& cl) {
  int64_t now = now_ms();
  std::string name, lib_name, lib_ver, user;
  {
    std::lock_guard lock(cl.meta_mu);
    name = cl.name;
    lib_name = cl.lib_name;
    lib_ver = cl.lib_ver;
    user = cl.user_name;
  }
  std::string line;
  line.reserve(320);
  line += "id=" + std::to_string(cl.id) + " addr=" + cl.addr + " laddr=" + cl.laddr + " fd=" + std::to_string(cl.fd);
  line += " name=" + name + " age=" + std::to_string((now - cl.created_ms) / 1000);
  line += " idle=" + std::to_string((now - cl.last_interaction_ms.load(std::memory_order_relaxed)) / 1000);
  line += std::string(cl.unix_socket ? " flags=U" : " flags=N") + " db=" + std::to_string(cl.db.load(std::memory_order_relaxed));
  line += " sub=0 psub=0 ssub=0 multi=-1 qbuf=" + std::to_string(cl.qbuf_bytes.load(std::memory_order_relaxed));
  // Pending output as Redis splits it (client.h): obl in the fixed buffer, omem in a list of
  // (here nominal) 16 KiB blocks, oll of them.
  uint64_t pending = cl.obuf_bytes.load(std::memory_order_relaxed);
  uint64_t omem = limited_output(pending);
  uint8_t ev = cl.io_events.load(std::memory_order_relaxed);
  // rbs: the output buffer's allocation, kept while the client is busy (worker.cpp kBusyBufferKeep).
  line += " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=" + std::to_string(cl.obuf_capacity.load(std::memory_order_relaxed));
  line += " rbp=0 obl=" + std::to_string(pending - omem);
  line += " oll=" + std::to_string((omem + kReplyBufferBytes - 1) / kReplyBufferBytes);
  line += " omem=" + std::to_string(omem) + " tot-mem=0 events=";
  line += std::string(ev & Client::kEventRead ? "r" : "") + (ev & Client::kEventWrite ? "w" : "");
  line += " cmd=" + std::string(cl.last_cmd.load(std::memory_order_relaxed));
  line += " user=" + user + " redir=-1 resp=" + std::to_string(cl.resp.load(std::memory_order_relaxed));
  line += " lib-name=" + lib_name + " lib-ver=" + lib_ver + "\n";
  return line;
}

namespace {

void client_id(Ctx& c) { c.out.integer(static_cast<int64_t>(c.client.id)); }

void client_setname(Ctx& c) {
  if (!valid_client_name(c.arg(2))) return c.out.error(err::kClientNameSpaces);
  set_client_name(c.client, c.arg(2));
  c.out.ok();
}

void client_getname(Ctx& c) {
  std::lock_guard lock(c.client.meta_mu);
  if (c.client.name.empty()) return c.out.null();
  c.out.bulk(c.client.name);
}

void client_list(Ctx& c) {
  std::vector<uint64_t> ids;
  std::size_t i = 2;
  if (c.argc() > 2) {
    if (c.argc() >= 4 && iequals(c.arg(2), "type")) {
      std::string_view t = c.arg(3);
      if (!iequals(t, "normal") && !iequals(t, "master") && !iequals(t, "replica") && !iequals(t, "pubsub"))
        return c.out.error(err::unknown_client_type(t));
      if (!iequals(t, "normal")) return c.out.bulk("");
      i = 4;
    } else if (c.argc() >= 4 && iequals(c.arg(2), "id")) {
      for (i = 3; i < c.argc(); ++i) {
        int64_t id;
        if (!parse_int64(c.arg(i), &id) || id <= 0) return c.out.error(err::kInvalidClientId);
        ids.push_back(static_cast<uint64_t>(id));
      }
    }
    if (i != c.argc()) return c.out.error(err::kSyntax);
  }
  std::string text;
  c.server.clients.for_each([&](Client& cl) {
    if (ids.empty() || std::find(ids.begin(), ids.end(), cl.id) != ids.end()) text += client_line(cl);
  });
  c.out.verbatim(text);
}

void client_info(Ctx& c) { c.out.verbatim(client_line(c.client)); }

struct KillFilter {
  int64_t id = -1;
  std::string_view addr, laddr, user;
  bool skipme = true;
  bool old_style = false;
};

bool matches(const KillFilter& f, const Client& cl, const Client& self) {
  if (f.id >= 0 && static_cast<uint64_t>(f.id) != cl.id) return false;
  if (!f.addr.empty() && f.addr != cl.addr) return false;
  if (!f.laddr.empty() && f.laddr != cl.laddr) return false;
  if (f.skipme && &cl == &self) return false;
  if (!f.user.empty()) {
    std::lock_guard lock(cl.meta_mu);
    if (cl.user_name != f.user) return false;
  }
  return true;
}

// Parses CLIENT KILL's arguments into f; returns an error text or "".
std::string parse_kill(Ctx& c, KillFilter* f) {
  if (c.argc() == 3) {
    f->addr = c.arg(2);
    f->old_style = true;
    f->skipme = false;
    return "";
  }
  if (c.argc() % 2 != 0) return std::string(err::kSyntax);
  for (std::size_t i = 2; i < c.argc(); i += 2) {
    std::string_view opt = c.arg(i), val = c.arg(i + 1);
    if (iequals(opt, "id")) {
      if (!parse_int64(val, &f->id) || f->id <= 0) return std::string(err::kClientIdPositive);
    } else if (iequals(opt, "addr")) {
      f->addr = val;
    } else if (iequals(opt, "laddr")) {
      f->laddr = val;
    } else if (iequals(opt, "skipme")) {
      if (iequals(val, "yes")) f->skipme = true;
      else if (iequals(val, "no")) f->skipme = false;
      else return std::string(err::kSyntax);
    } else if (iequals(opt, "type")) {
      if (!iequals(val, "normal")) return err::unknown_client_type(val);
    } else if (iequals(opt, "user")) {
      if (!c.server.acl.find(val)) return err::no_such_user(val);
      f->user = val;
    } else {
      return std::string(err::kSyntax);
    }
  }
  return "";
}

void client_kill(Ctx& c) {
  KillFilter f;
  if (std::string e = parse_kill(c, &f); !e.empty()) return c.out.error(e);
  int64_t killed = 0;
  c.server.clients.for_each([&](Client& cl) {
    if (!matches(f, cl, c.client)) return;
    ++killed;
    if (&cl == &c.client) {
      cl.close_after_reply = true;
      return;
    }
    cl.kill_requested.store(true);
    if (c.server.clients.wake_worker) c.server.clients.wake_worker(cl.worker);
  });
  if (!f.old_style) return c.out.integer(killed);
  if (killed == 0) return c.out.error(err::kNoSuchClient);
  c.out.ok();
}

void client_setinfo(Ctx& c) {
  std::string_view attr = c.arg(2), val = c.arg(3);
  bool is_name = iequals(attr, "lib-name");
  if (!is_name && !iequals(attr, "lib-ver"))
    return c.out.error(err::unrecognized_option(attr));
  for (char ch : val)
    if (ch < '!' || ch > '~')
      return c.out.error(std::string("ERR ") + (is_name ? "lib-name" : "lib-ver") +
                         " cannot contain spaces, newlines or special characters.");
  std::lock_guard lock(c.client.meta_mu);
  (is_name ? c.client.lib_name : c.client.lib_ver) = val;
  c.out.ok();
}

void client_noop_onoff(Ctx& c) {
  if (!iequals(c.arg(2), "on") && !iequals(c.arg(2), "off")) return c.out.error(err::kSyntax);
  c.out.ok();
}

void client_help(Ctx& c) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>, SKIPME (YES|NO).",
      "LIST [options ...]",
      "    Return information about client connections. Options: TYPE NORMAL, ID id [id ...].",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <LIB-NAME|LIB-VER> <value>",
      "    Set client library name or version.",
      "HELP",
      "    Print this help.",
  };
  c.out.array(std::size(kLines));
  for (auto l : kLines) c.out.simple(l);
}

constexpr uint32_t kConnFlags = kCmdNoScript | kCmdLoading | kCmdStale;

constexpr CommandSpec kClientSubs[] = {
    {"id", 2, kConnFlags, 0, 0, 0, client_id, "connection", "Returns the unique client ID of the connection.", "5.0.0"},
    {"setname", 3, kConnFlags, 0, 0, 0, client_setname, "connection", "Sets the connection name.", "2.6.9"},
    {"getname", 2, kConnFlags, 0, 0, 0, client_getname, "connection", "Returns the name of the connection.", "2.6.9"},
    {"list", -2, kCmdAdmin | kConnFlags, 0, 0, 0, client_list, "connection", "Lists open connections.", "2.4.0"},
    {"info", 2, kConnFlags, 0, 0, 0, client_info, "connection", "Returns information about the connection.", "6.2.0"},
    {"kill", -3, kCmdAdmin | kConnFlags, 0, 0, 0, client_kill, "connection", "Terminates open connections.", "2.4.0"},
    {"setinfo", 4, kConnFlags, 0, 0, 0, client_setinfo, "connection", "Sets information specific to the client or connection.", "7.2.0"},
    {"no-evict", 3, kCmdAdmin | kConnFlags, 0, 0, 0, client_noop_onoff, "connection", "Sets the client eviction mode of the connection.", "7.0.0"},
    {"no-touch", 3, kConnFlags, 0, 0, 0, client_noop_onoff, "connection", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0"},
    {"help", 2, kConnFlags, 0, 0, 0, client_help, "connection", "Returns helpful text about the different subcommands.", "5.0.0"},
};

constexpr CommandSpec kConnectionCommands[] = {
    {"ping", -1, kCmdFast, 0, 0, 0, cmd_ping, "connection", "Returns the server's liveliness response.", "1.0.0"},
    {"echo", 2, kCmdFast, 0, 0, 0, cmd_echo, "connection", "Returns the given string.", "1.0.0"},
    {"quit", -1, kConnFlags | kCmdFast | kCmdNoAuth | kCmdAllowBusy | kCmdTxnControl, 0, 0, 0, cmd_quit, "connection",
     "Closes the connection.", "1.0.0"},
    {"select", 2, kConnFlags | kCmdFast, 0, 0, 0, cmd_select, "connection", "Changes the selected database.", "1.0.0"},
    {"auth", -2, kConnFlags | kCmdFast | kCmdNoAuth | kCmdAllowBusy, 0, 0, 0, cmd_auth, "connection",
     "Authenticates the connection.", "1.0.0"},
    {"hello", -1, kConnFlags | kCmdFast | kCmdNoAuth | kCmdAllowBusy, 0, 0, 0, cmd_hello, "connection",
     "Handshakes with the Redis server.", "6.0.0"},
    {"reset", 1, kConnFlags | kCmdFast | kCmdNoAuth | kCmdAllowBusy | kCmdTxnControl, 0, 0, 0, cmd_reset,
     "connection",
     "Resets the connection.", "6.2.0"},
    {"client", -2, 0, 0, 0, 0, nullptr, "connection", "A container for client connection commands.", "2.4.0", {},
     kClientSubs},
};

}  // namespace

std::span<const CommandSpec> connection_commands() { return kConnectionCommands; }

std::string client_info_string(Client& c) {
  std::string line = client_line(c);
  line.pop_back();  // the newline
  return line;
}

}  // namespace tally
