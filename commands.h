// The command table and dispatch.
//
// Every command is one CommandSpec row in its family's file (cmd_strings.cpp, cmd_keys.cpp, ...):
// name, arity (Redis convention: +N exactly N arguments counting the name, -N at least N), flags, key
// positions, handler, and the text COMMAND DOCS reports. Container commands (CONFIG, CLIENT, OBJECT,
// COMMAND, MEMORY) list subcommands instead of a handler. dispatch() looks the name up, checks arity,
// authentication and flags, runs the handler and keeps the statistics; handlers only parse their
// options, call the keyspace (db.h) and write the reply. Handlers never touch sockets or files.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <memory>
#include <string_view>
#include <vector>

#include "client.h"
#include "db.h"
#include "hashtable.h"
#include "errors.h"
#include "protocol.h"

namespace tally {

struct ServerState;

enum CmdFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadOnly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubSub = 1u << 4,
  kCmdNoScript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,   // allowed while the dataset loads
  kCmdStale = 1u << 8,
  kCmdFast = 1u << 9,
  kCmdNoAuth = 1u << 10,   // allowed before AUTH
  kCmdNoMulti = 1u << 11,
  kCmdAllowBusy = 1u << 12,
  kCmdSkipMonitor = 1u << 13,
  kCmdSkipSlowlog = 1u << 14,
  kCmdMovableKeys = 1u << 15,
  kCmdTxnControl = 1u << 16,  // MULTI, EXEC, DISCARD, QUIT, RESET: run at once even inside MULTI
};

class Ctx;
using Handler = void (*)(Ctx&);

struct CommandSpec {
  std::string_view name;  // lowercase, e.g. "get"; a subcommand's own name, e.g. "get" under "config"
  int arity;
  uint32_t flags;
  int first_key, last_key, key_step;  // 0,0,0 when the command has no key arguments
  Handler handler;                    // nullptr for containers
  std::string_view group;             // "string", "generic", "connection", "server", "hash", "sorted-set"
  std::string_view summary;
  std::string_view since;
  std::string_view complexity = {};
  std::span<const CommandSpec> subcommands = {};
};

// What a handler sees: its arguments, its client, the server, and where to write the reply.
class Ctx {
 public:
  Ctx(ServerState& server, Client& client, std::span<const std::string_view> argv, ReplyWriter& out)
      : server(server), client(client), argv(argv), out(out) {}

  std::size_t argc() const { return argv.size(); }
  std::string_view arg(std::size_t i) const { return argv[i]; }
  Keyspace& ks();
  int db() const { return client.db.load(std::memory_order_relaxed); }
  // For blocking commands that found nothing to serve: instead of replying, ask to wait for a write
  // to one of `keys` until `deadline_ms` (absolute unix ms, 0 = forever). When the command is re-run
  // after a wake-up, the original keys and deadline are kept. Clients that cannot block (in-process
  // tests) get the timeout reply at once.
  void block_on(std::span<const std::string_view> keys, int64_t deadline_ms);

  ServerState& server;
  Client& client;
  std::span<const std::string_view> argv;
  ReplyWriter& out;
};

// Per-command statistics (INFO commandstats), one block per worker so counters are never shared.
struct CmdStats {
  std::atomic<uint64_t> calls{0}, usec{0}, rejected{0}, failed{0};
};

struct Command;

// Lowercase command name -> command: an open-addressed table, a quarter full at most, whose slots
// hold each name's first 16 bytes as two words. Every command looks its name up once, so this is
// on every request's path: a lookup is one multiply-and-shift hash of those words and the length,
// and the words compared in place, with no pointer chased until the hit (names longer than 16 bytes
// compare their tail too). It replaced a std::unordered_map whose find cost 166 of PING_MBULK's
// 1050 user-space instructions at -P 16 (callgrind, bench/instructions.sh). Insertion and removal
// only happen while the table is built and on rename-command, before serving.
class CommandIndex {
 public:
  static constexpr std::size_t kMaxName = 64;  // longer names are never found

  // `lower`: a lowercase name the caller keeps alive. Returns false if it is already there.
  bool insert(std::string_view lower, const Command* cmd);
  // Lookups and erase take a name in any case (ASCII letters compare case-insensitively).
  bool erase(std::string_view name);
  const Command* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }

 private:
  struct Slot {
    uint64_t w0 = 0, w1 = 0;  // the name's bytes 0-7 and 8-15, zero-padded
    std::string_view name;
    const Command* cmd = nullptr;  // nullptr: empty
  };
  struct Key {
    uint64_t w0, w1;
  };
  static constexpr std::size_t kNone = ~std::size_t{0};
  static Key key_of(std::string_view name);  // bytes 0-15, lowercased
  std::size_t slot_of(std::string_view name) const;  // or kNone
  std::size_t home(const Key& k, std::size_t len) const;
  void grow();
  std::vector<Slot> slots_;  // a power of two in size, or empty
  int shift_ = 64;           // 64 - log2(slots_.size())
  std::size_t used_ = 0;
};

// A resolved table row: the spec, its position for statistics, its full name ("config|get").
struct Command {
  const CommandSpec* spec = nullptr;
  const Command* parent = nullptr;
  int id = 0;
  std::string full_name;
  std::vector<Command> subs;
  CommandIndex sub_index;  // lowercase name -> subs[i]
  bool hidden = false;  // removed by rename-command ... "": not callable, not listed by COMMAND
};

class CommandTable {
 public:
  CommandTable();  // gathers every family's specs
  CommandTable(const CommandTable&) = delete;  // the indexes point into commands_
  CommandTable& operator=(const CommandTable&) = delete;
  // Looks a top-level command up by name, case-insensitively.
  const Command* find(std::string_view name) const;
  const Command* find_sub(const Command& parent, std::string_view sub) const;
  // Looks a command up by its original name, ignoring rename-command (ACL rules use these names).
  const Command* find_original(std::string_view name) const;
  // rename-command (before serving; not thread-safe): `from` stops resolving; `to` (unless empty)
  // resolves to the same command, which COMMAND still reports under its original name, as Redis
  // does. Returns "" or Redis's reason text.
  std::string rename(std::string_view from, std::string_view to);
  std::span<const Command> all() const { return commands_; }
  int count_ids() const { return next_id_; }  // top-level commands and subcommands together

 private:
  std::vector<Command> commands_;
  CommandIndex index_;           // lowercase name -> commands_[i]
  CommandIndex original_index_;  // index_ before any rename
  std::vector<std::unique_ptr<std::string>> renamed_;  // owns the new names index_ points to
  int next_id_ = 0;
};

// Runs one command for `client`, writing its reply to client.writer. `stats` is the calling worker's
// per-command block (size CommandTable::count_ids()), or nullptr.
void dispatch(ServerState& server, Client& client, std::span<const std::string_view> argv, CmdStats* stats);

// While one lives on this thread, dispatch() starts each command at the clock reading the previous
// command ended on instead of reading the clock again: for requests run back to back from one read
// (worker.cpp), where the two readings would be nanoseconds apart. The first command of the scope
// reads the clock. Does not nest.
class ChainedCommandClock {
 public:
  ChainedCommandClock();
  ~ChainedCommandClock();
  ChainedCommandClock(const ChainedCommandClock&) = delete;
  ChainedCommandClock& operator=(const ChainedCommandClock&) = delete;
};

// Each family's rows.
std::span<const CommandSpec> string_commands();
std::span<const CommandSpec> key_commands();
std::span<const CommandSpec> expire_commands();
std::span<const CommandSpec> connection_commands();
std::span<const CommandSpec> server_commands();
std::span<const CommandSpec> hash_commands();
std::span<const CommandSpec> zset_commands();
std::span<const CommandSpec> multi_commands();
// Forgets every key the client watches and clears its dirty flag (UNWATCH; also EXEC, DISCARD,
// RESET and closing the connection).
void unwatch_all_keys(ServerState& server, Client& client);
std::span<const CommandSpec> persist_commands();
std::span<const CommandSpec> acl_commands();

// Handlers shared across family files (defined in cmd_info.cpp / cmd_strings2.cpp).
void info_command(Ctx& c);
void cmd_lcs(Ctx& c);
// The positions in argv of a command's key arguments (first/last/step, or the command's own rule for
// movable-key commands; none when those are malformed), as COMMAND GETKEYS reports them
// (cmd_server.cpp). argv[0] is the command name.
void command_key_positions(const CommandSpec& s, std::span<const std::string_view> argv, std::vector<std::size_t>* keys);

// Shared argument parsing, exactly as Redis's string2ll / strtold checks behave.
// Parses a whole argument as a signed 64-bit integer (no spaces, no '+', no leading zeros).
bool parse_int64(std::string_view s, int64_t* out);
// Parses a whole argument as a double (accepts "inf", "-inf", "+inf"; rejects NaN and trailing junk).
bool parse_double(std::string_view s, double* out);
bool parse_long_double(std::string_view s, long double* out);
// Parses a SCAN-family cursor as Redis does with strtoul: optional sign (negative wraps), digits only,
// no overflow; "" reads as 0.
bool parse_cursor(std::string_view s, uint64_t* out);
// 64 random bits from a per-thread generator (RANDOMKEY, HRANDFIELD, ZRANDMEMBER).
uint64_t random_bits();
// Formats an int64 into buf (at least 21 bytes); returns the length.
std::size_t format_int64(int64_t v, char* buf);
// Case-insensitive equality of an argument with a lowercase literal.
bool iequals(std::string_view a, std::string_view lower);
// Redis's glob matching (stringmatchlen): * ? [abc] [^a] [a-z] \x, optionally case-insensitive.
bool glob_match(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace tally
