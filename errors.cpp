// The error texts that embed a value, built exactly as Redis 7.0 builds them (server.c
// commandCheckExistence, networking.c). Redis formats user-supplied names with printf "%s", which
// stops at a NUL byte, and then turns CR/LF into spaces so the reply stays one line; both are kept.
#include "errors.h"

#include <algorithm>

namespace tally::err {

namespace {

// What printf "%.<max>s" prints of a possibly NUL-containing argument.
std::string_view c_str_prefix(std::string_view s, std::size_t max) {
  s = s.substr(0, s.find('\0'));
  return s.substr(0, max);
}

std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return s;
}

// A client's argument as an addReplyErrorFormat("...%s...") reply shows it.
std::string printed(std::string_view arg) { return one_line(std::string(c_str_prefix(arg, std::string_view::npos))); }

}  // namespace

std::string wrong_args(std::string_view lowercase_name) {
  std::string s = "ERR wrong number of arguments for '";
  s.append(lowercase_name);
  s.append("' command");
  return s;
}

// Redis lists arguments while the list is shorter than 128 bytes, each cut to the bytes left of
// that budget: "'%.*s' " with precision 128 - sdslen(args).
std::string unknown_command(std::string_view name, const std::string_view* args, std::size_t nargs) {
  constexpr std::size_t kBudget = 128;
  std::string list;
  for (std::size_t i = 0; i < nargs && list.size() < kBudget; ++i) {
    std::size_t room = kBudget - list.size();
    list.push_back('\'');
    list.append(c_str_prefix(args[i], room));
    list.append("' ");
  }
  std::string s = "ERR unknown command '";
  s.append(c_str_prefix(name, kBudget));
  s.append("', with args beginning with: ");
  s.append(list);
  return one_line(std::move(s));
}

std::string unknown_subcommand(std::string_view sub, std::string_view parent_upper) {
  std::string s = "ERR unknown subcommand '";
  s.append(c_str_prefix(sub, 128));
  s.append("'. Try ");
  s.append(c_str_prefix(parent_upper, std::string_view::npos));
  s.append(" HELP.");
  return one_line(std::move(s));
}

std::string invalid_expire(std::string_view lowercase_name) {
  std::string s = "ERR invalid expire time in '";
  s.append(lowercase_name);
  s.append("' command");
  return s;
}

std::string expected_dollar(char got) {
  std::string s = "ERR Protocol error: expected '$', got ' '";
  // addReplyErrorFormat turns CR/LF into spaces; the slot already holds one.
  if (got != '\r' && got != '\n') s[s.size() - 2] = got;
  return s;
}

std::string unsupported_option(std::string_view opt) { return "ERR Unsupported option " + printed(opt); }

std::string hello_option(std::string_view opt) { return "ERR Syntax error in HELLO option '" + printed(opt) + "'"; }

std::string unknown_client_type(std::string_view type) { return "ERR Unknown client type '" + printed(type) + "'"; }

std::string no_such_user(std::string_view user) { return "ERR No such user '" + printed(user) + "'"; }

std::string no_perm_command(std::string_view full_name) {
  return "NOPERM this user has no permissions to run the '" + std::string(full_name) + "' command";
}

std::string unrecognized_option(std::string_view opt) { return "ERR Unrecognized option '" + printed(opt) + "'"; }

std::string config_set_unknown(std::string_view name) {
  return "ERR Unknown option or number of arguments for CONFIG SET - '" + printed(name) + "'";
}

std::string config_set_failed(std::string_view name) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - ";
}

std::string need_input_key(std::string_view name) {
  return "ERR at least 1 input key is needed for '" + std::string(name) + "' command";
}

}  // namespace tally::err
