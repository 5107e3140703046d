// libFuzzer target: command execution in-process, through the real table and dispatch().
//
// One ServerState (16 databases, 8 shards, no write-ahead log) and one in-process Client (fd -1, as
// tests/cmd_fixture.h builds them) live for the whole run. An input is a script: commands separated
// by '\n', arguments by ' '; byte 0x01 escapes the next byte (so arguments can hold any byte). The
// first argument picks the command: its own name when it names one (any case), else a hash of it
// picks a row of the real table (or, one time in N+1, stays unknown), so random bytes reach real
// handlers; the same goes for a container's subcommand. Each command's reply is parsed back as RESP2
// or RESP3 and must be exactly one well-formed reply (none after SHUTDOWN, which closes the client).
// After each input: active expiry over every shard, then the client, the keyspace and any CONFIG SET
// are put back, so inputs are independent.
//
// Not run (they cannot run in-process, or their cost has no bound set by the data): see kSkipped
// below and docs/fuzzing.md. proto-max-bulk-len is 64 KiB here, so SETRANGE/APPEND/LCS stay small.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.h"
#include "config.h"
#include "state.h"

namespace {

using tally::Client;
using tally::Command;
using tally::ServerState;

constexpr int64_t kFuzzBulkLimit = 64 * 1024;
constexpr std::size_t kMaxCommands = 64;  // per input
constexpr int64_t kMaxRandomCount = 1000; // |count| of HRANDFIELD / ZRANDMEMBER (negative: repeats)

[[noreturn]] void fail(const char* what, std::string_view reply) {
  std::fprintf(stderr, "commands_fuzz invariant broken: %s\nreply: %.*s\n", what, static_cast<int>(reply.size()),
               reply.data());
  std::abort();
}

// ---- a strict RESP2/RESP3 reply reader ----------------------------------------------------------

class RespReader {
 public:
  explicit RespReader(std::string_view s) : s_(s) {}
  // Reads one complete reply; false if malformed or truncated.
  bool reply(int depth = 0) {
    if (depth > 64 || i_ >= s_.size()) return false;
    char type = s_[i_++];
    std::string_view line;
    if (!read_line(&line)) return false;
    switch (type) {
      case '+': return true;
      case '-': return !line.empty() && line[0] >= 'A' && line[0] <= 'Z';
      case ':': return is_integer(line);
      case '(': return is_integer(line);  // a big number: digits with an optional sign
      case '_': return line.empty();
      case '#': return line == "t" || line == "f";
      case ',': return is_double(line);
      case '$': case '=': case '!': {
        if (line == "-1") return type == '$';
        int64_t n;
        if (!tally::parse_int64(line, &n) || n < 0 || s_.size() - i_ < static_cast<std::size_t>(n) + 2) return false;
        if (type == '=' && (n < 4 || s_[i_ + 3] != ':')) return false;
        i_ += static_cast<std::size_t>(n);
        return s_.compare(i_, 2, "\r\n") == 0 && (i_ += 2, true);
      }
      case '*': case '~': case '>': case '%': {
        if (line == "-1") return type == '*';
        int64_t n;
        if (!tally::parse_int64(line, &n) || n < 0) return false;
        if (type == '%') n *= 2;
        for (int64_t k = 0; k < n; ++k)
          if (!reply(depth + 1)) return false;
        return true;
      }
      default: return false;
    }
  }
  bool at_end() const { return i_ == s_.size(); }

 private:
  // A line ends at the first CRLF and holds no bare CR or LF.
  bool read_line(std::string_view* line) {
    std::size_t end = s_.find("\r\n", i_);
    if (end == std::string_view::npos) return false;
    *line = s_.substr(i_, end - i_);
    i_ = end + 2;
    return line->find_first_of("\r\n") == std::string_view::npos;
  }
  static bool is_integer(std::string_view l) {
    if (!l.empty() && l[0] == '-') l.remove_prefix(1);
    if (l.empty()) return false;
    for (char c : l)
      if (c < '0' || c > '9') return false;
    return true;
  }
  static bool is_double(std::string_view l) {
    if (l == "inf" || l == "-inf" || l == "nan") return true;
    double d;
    return tally::parse_double(l, &d);
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

// ---- the process-wide server and client -----------------------------------------------------------

struct World {
  World() : client(1, -1) {
    state.config.databases = 16;
    state.config.shards = 8;
    state.config.proto_max_bulk_len = kFuzzBulkLimit;
    state.init_keyspace();
    state.workers.push_back(std::make_unique<tally::WorkerStats>(state.commands.count_ids()));
    tally::config_get(state.config, "*", &initial_config);
    for (const Command& c : state.commands.all()) names.push_back(&c);
  }
  ServerState state;
  Client client;
  std::vector<const Command*> names;
  std::vector<std::pair<std::string, std::string>> initial_config;
  bool config_touched = false;
  bool trace = std::getenv("TALLY_FUZZ_TRACE") != nullptr;
};

World& world() {
  static World* w = new World();  // never destroyed: libFuzzer may exit from any thread
  return *w;
}

bool iequal(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  return true;
}

uint32_t hash_of(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

// Maps argv[0] (and a container's argv[1]) onto real command names, as described at the top.
void resolve_names(World& w, std::vector<std::string>& argv) {
  const Command* cmd = w.state.commands.find(argv[0]);
  if (!cmd) {
    uint32_t pick = hash_of(argv[0]) % (w.names.size() + 1);
    if (pick == w.names.size()) return;  // stays unknown: the unknown-command path
    cmd = w.names[pick];
    argv[0] = std::string(cmd->spec->name);
  }
  if (cmd->subs.empty() || argv.size() < 2 || w.state.commands.find_sub(*cmd, argv[1])) return;
  uint32_t pick = hash_of(argv[1]) % (cmd->subs.size() + 1);
  if (pick < cmd->subs.size()) argv[1] = std::string(cmd->subs[pick].spec->name);
}

// Commands the fuzzer leaves out (see the file comment): true to skip this one.
bool skipped(const std::vector<std::string>& argv) {
  const std::string_view name = argv[0];
  if (iequal(name, "config") && argv.size() > 1 && iequal(argv[1], "set")) {
    for (std::size_t i = 2; i < argv.size(); i += 2)
      if (iequal(argv[i], "proto-max-bulk-len")) return true;  // keeps every value small
  }
  // A negative count repeats members: the reply's size is the count, not the data.
  if ((iequal(name, "hrandfield") || iequal(name, "zrandmember")) && argv.size() > 2) {
    int64_t n;
    if (tally::parse_int64(argv[2], &n) && (n > kMaxRandomCount || n < -kMaxRandomCount)) return true;
  }
  return false;
}

// Splits the input into commands of arguments (see the file comment).
std::vector<std::vector<std::string>> decode(const uint8_t* data, std::size_t size) {
  std::vector<std::vector<std::string>> out(1);
  std::string cur;
  bool have = false;
  auto end_arg = [&] {
    if (have) out.back().push_back(std::move(cur));
    cur.clear();
    have = false;
  };
  for (std::size_t i = 0; i < size; ++i) {
    char c = static_cast<char>(data[i]);
    if (c == '\x01' && i + 1 < size) {
      cur.push_back(static_cast<char>(data[++i]));
      have = true;
    } else if (c == ' ') {
      end_arg();
    } else if (c == '\n') {
      end_arg();
      if (out.size() >= kMaxCommands) break;
      if (!out.back().empty()) out.emplace_back();
    } else {
      cur.push_back(c);
      have = true;
    }
  }
  end_arg();
  if (out.back().empty()) out.pop_back();
  return out;
}

void run_one(World& w, const std::vector<std::string>& owned) {
  std::vector<std::string_view> argv(owned.begin(), owned.end());
  Client& c = w.client;
  c.out.clear();
  tally::dispatch(w.state, c, argv, w.state.workers[0]->cmd.data());
  std::string_view reply = c.out.view();
  if (w.trace) {  // TALLY_FUZZ_TRACE=1: what ran and what it answered, for reading a finding
    for (const auto& a : owned) std::fprintf(stderr, "%s ", a.c_str());
    std::fprintf(stderr, "\n  -> %.*s\n", static_cast<int>(reply.size()), reply.data());
  }
  if (c.close_after_reply && reply.empty()) return;  // SHUTDOWN: no reply, as in Redis
  RespReader r(reply);
  if (!r.reply()) fail("malformed reply", reply);
  if (!r.at_end()) fail("more than one reply", reply);
}

// Puts the client, the keyspace and the configuration back as they were before the input.
void restore(World& w) {
  Client& c = w.client;
  c.multi = {};
  tally::unwatch_all_keys(w.state, c);
  c.in_exec = false;
  c.block = {};
  c.blocked = false;
  c.close_after_reply = false;
  c.authenticated = true;
  c.db = 0;
  c.resp = 2;
  c.writer.set_resp(2);
  w.state.shutdown_requested = false;
  auto& ks = *w.state.keyspace;
  for (uint32_t s = 0; s < static_cast<uint32_t>(w.state.config.shards); ++s)
    ks.active_expire(s, tally::now_ms(), 1000);
  for (int db = 0; db < w.state.config.databases; ++db)  // flushing an empty database costs as much
    if (ks.dbsize(db)) ks.flush_db(db);
  if (w.config_touched) {
    for (const auto& [name, value] : w.initial_config) (void)tally::config_set(&w.state.config, name, value);
    w.config_touched = false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  World& w = world();
  for (auto& argv : decode(data, size)) {
    resolve_names(w, argv);
    if (skipped(argv)) continue;
    if (iequal(argv[0], "config")) w.config_touched = true;
    run_one(w, argv);
    if (w.client.close_after_reply) break;  // QUIT, SHUTDOWN: the server reads no further
  }
  restore(w);
  return 0;
}
