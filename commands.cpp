// Command table and dispatch: see commands.h.
//
// dispatch() follows Redis 7.0's processCommand order: unknown command (or unknown subcommand of a
// container), then arity, then authentication. Statistics: calls/usec/failed per command id in the
// calling worker's block, rejected_calls for arity/auth rejections, errorstats by error prefix.
#include "commands.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>

#include "acl.h"
#include "evict.h"
#include "state.h"

namespace tally {
namespace {

// The lowercase form of `name` in `buf`, or an empty view if it is too long to be a command name.
std::string_view lowercase(std::string_view name, char* buf, std::size_t cap) {
  if (name.size() > cap) return {};
  for (std::size_t i = 0; i < name.size(); ++i) {  // ASCII only, inline: names are ASCII
    char c = name[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
  }
  return {buf, name.size()};
}

bool arity_ok(int arity, std::size_t argc) {
  return arity > 0 ? argc == static_cast<std::size_t>(arity) : argc >= static_cast<std::size_t>(-arity);
}

// Wakes clients blocked on keys this write command may have filled: its key arguments, or everyone
// for writes without key arguments (SWAPDB, FLUSHALL) and keys in other databases (MOVE, COPY DB).
void signal_written_keys(ServerState& server, const CommandSpec& spec, std::span<const std::string_view> argv) {
  if (spec.first_key <= 0) return server.blocking.signal_all();
  int argc = static_cast<int>(argv.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : std::min(spec.last_key, argc - 1);
  int step = std::max(1, spec.key_step);
  for (int i = spec.first_key; i <= last && i < argc; i += step) server.blocking.signal(argv[i]);
}

[[gnu::noinline]] void count_error_reply(ServerState& server, Client& client, WorkerStats* ws) {
  if (ws) ws->error_replies.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(server.errorstats_mu);
  ++server.errorstats[std::string(client.writer.last_error_prefix())];
}

// The log's write error as MISCONF, if it still has one; false if it has cleared meanwhile.
[[gnu::noinline]] bool refuse_on_log_error(Wal& wal, ReplyWriter& out) {
  std::string disk_error = wal.write_error();
  if (disk_error.empty()) return false;
  out.error(std::string(err::kMisconfAof) + disk_error);
  return true;
}

// Counts the error reply the command wrote, if it wrote one (INFO stats and errorstats).
inline void count_error(ServerState& server, Client& client, uint64_t errors_before, WorkerStats* ws) {
  if (client.writer.errors_written() != errors_before) count_error_reply(server, client, ws);
}

std::size_t acllog_max_len(const ServerState& server) {
  return static_cast<std::size_t>(server.config.acllog_max_len.load(std::memory_order_relaxed));
}

}  // namespace

Keyspace& Ctx::ks() { return *server.keyspace; }

void Ctx::block_on(std::span<const std::string_view> keys, int64_t deadline_ms) {
  Client::Block& b = client.block;
  b.requested = true;
  if (client.blocked) return;  // a re-run: keep the original keys and deadline
  b.deadline_ms = deadline_ms;
  b.keys.assign(keys.begin(), keys.end());
  b.argv.assign(argv.begin(), argv.end());
}

// ---- CommandIndex ----

namespace {

template <typename T>
uint64_t load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof v == 8) v = __builtin_bswap64(v); else v = __builtin_bswap32(v);
  }
  return v;
}

// Bytes [0, n) of p, n <= 8, little-endian in a zero-padded word, without reading past p + n.
uint64_t load_upto8(const char* p, std::size_t n) {
  if (n >= 8) return load_le<uint64_t>(p);
  if (n >= 4) return load_le<uint32_t>(p) | load_le<uint32_t>(p + n - 4) << (8 * (n - 4));  // overlap agrees
  if (n == 0) return 0;
  auto byte = [p](std::size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i); };
  return byte(0) | byte(n / 2) | byte(n - 1);
}

// ASCII 'A'-'Z' to lowercase in every byte at once; other bytes, 0x80-0xff included, unchanged.
uint64_t lower_bytes(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t low7 = w & ~kHigh;
  const uint64_t at_least_a = low7 + (0x80 - 'A') * kOnes;  // high bit: byte >= 'A'
  const uint64_t above_z = low7 + (0x80 - 'Z' - 1) * kOnes;  // high bit: byte > 'Z'
  return w | ((at_least_a & ~above_z & ~w & kHigh) >> 2);    // 0x80 >> 2 = 0x20
}

}  // namespace

CommandIndex::Key CommandIndex::key_of(std::string_view name) {
  const char* p = name.data();
  const std::size_t n = name.size();
  return {lower_bytes(load_upto8(p, n)), n > 8 ? lower_bytes(load_upto8(p + 8, std::min<std::size_t>(n - 8, 8))) : 0};
}

std::size_t CommandIndex::home(const Key& k, std::size_t len) const {
  // A multiply-xor mix; the index is its top bits, which every name byte and the length reach.
  const uint64_t h = (k.w0 ^ (k.w1 * 0xc2b2ae3d27d4eb4fULL) ^ len) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>(h >> shift_);
}

std::size_t CommandIndex::slot_of(std::string_view name) const {
  if (slots_.empty() || name.empty() || name.size() > kMaxName) return kNone;
  const Key k = key_of(name);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(k, name.size());; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.cmd) return kNone;
    if (s.w0 != k.w0 || s.w1 != k.w1 || s.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t j = 16; j < name.size() && same; ++j) {
      char c = name[j];
      same = (c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c) == s.name[j];
    }
    if (same) return i;
  }
}

const Command* CommandIndex::find(std::string_view name) const {
  std::size_t i = slot_of(name);
  return i == kNone ? nullptr : slots_[i].cmd;
}

bool CommandIndex::insert(std::string_view lower, const Command* cmd) {
  if (lower.empty() || lower.size() > kMaxName || contains(lower)) return false;
  if ((used_ + 1) * 4 > slots_.size()) grow();
  const Key k = key_of(lower);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(k, lower.size());
  while (slots_[i].cmd) i = (i + 1) & mask;
  slots_[i] = Slot{k.w0, k.w1, lower, cmd};
  ++used_;
  return true;
}

bool CommandIndex::erase(std::string_view name) {
  std::size_t gone = slot_of(name);
  if (gone == kNone) return false;
  // Rare (rename-command, before serving): rebuild without it rather than shift probe runs.
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size(), Slot{});
  used_ = 0;
  for (std::size_t i = 0; i < old.size(); ++i)
    if (old[i].cmd && i != gone) insert(old[i].name, old[i].cmd);
  return true;
}

void CommandIndex::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
  shift_ = 64 - std::countr_zero(slots_.size());
  used_ = 0;
  for (const Slot& s : old)
    if (s.cmd) insert(s.name, s.cmd);
}

CommandTable::CommandTable() {
  for (auto family : {string_commands(), key_commands(), expire_commands(), hash_commands(), zset_commands(),
                      connection_commands(), multi_commands(), server_commands(), persist_commands(), acl_commands()})
    for (const CommandSpec& spec : family) {
      Command cmd;
      cmd.spec = &spec;
      cmd.id = next_id_++;
      cmd.full_name = std::string(spec.name);
      for (const CommandSpec& sub : spec.subcommands) {
        Command sc;
        sc.spec = &sub;
        sc.id = next_id_++;
        sc.full_name = std::string(spec.name) + "|" + std::string(sub.name);
        cmd.subs.push_back(std::move(sc));
      }
      commands_.push_back(std::move(cmd));
    }
  for (Command& cmd : commands_) {
    index_.insert(cmd.spec->name, &cmd);
    for (Command& sub : cmd.subs) {
      sub.parent = &cmd;
      cmd.sub_index.insert(sub.spec->name, &sub);
    }
  }
  original_index_ = index_;
}

const Command* CommandTable::find_original(std::string_view name) const {
  return original_index_.find(name);
}

std::string CommandTable::rename(std::string_view from, std::string_view to) {
  char tbuf[64];
  const Command* cmd = index_.find(from);
  if (!cmd) return "No such command in rename-command";
  index_.erase(from);
  if (to.empty()) {
    const_cast<Command*>(cmd)->hidden = true;  // points into commands_, which this table owns
    return "";
  }
  std::string_view lower_to = lowercase(to, tbuf, sizeof tbuf);
  if (lower_to.empty() || index_.contains(lower_to)) return "Target command name already exists";
  renamed_.push_back(std::make_unique<std::string>(lower_to));
  index_.insert(*renamed_.back(), cmd);
  return "";
}

const Command* CommandTable::find(std::string_view name) const {
  return index_.find(name);
}

const Command* CommandTable::find_sub(const Command& parent, std::string_view sub) const {
  return parent.sub_index.find(sub);
}

namespace {

// Resolves argv to a runnable command, or writes the rejection and returns nullptr.
const Command* resolve(ServerState& server, Client& client, std::span<const std::string_view> argv) {
  ReplyWriter& out = client.writer;
  const Command* cmd = server.commands.find(argv[0]);
  if (!cmd) {
    out.error(err::unknown_command(argv[0], argv.data() + 1, argv.size() - 1));
    return nullptr;
  }
  if (!cmd->subs.empty() && argv.size() >= 2) {
    const Command* sub = server.commands.find_sub(*cmd, argv[1]);
    if (!sub) {
      std::string upper(argv[0]);
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.error(err::unknown_subcommand(argv[1], upper));
      return nullptr;
    }
    cmd = sub;
  }
  return cmd;
}

// ChainedCommandClock: the clock reading the last command on this thread ended on; 0 outside a
// chain, -1 inside one with no usable reading yet.
thread_local int64_t t_chained_us = 0;
}  // namespace

ChainedCommandClock::ChainedCommandClock() { t_chained_us = -1; }
ChainedCommandClock::~ChainedCommandClock() { t_chained_us = 0; }

void dispatch(ServerState& server, Client& client, std::span<const std::string_view> argv, CmdStats* stats) {
  if (argv.empty()) return;
  ReplyWriter& out = client.writer;
  WorkerStats* ws = server.stats_for(client);
  uint64_t errors_before = out.errors_written();
  const Command* cmd = resolve(server, client, argv);
  if (!cmd) {
    count_error(server, client, errors_before, ws);
    if (client.multi.active) client.multi.dirty = true;  // EXEC will abort, as in Redis
    return;
  }
  const CommandSpec& spec = *cmd->spec;
  const char* reject = nullptr;
  std::string_view oom_error;
  if (!arity_ok(spec.arity, argv.size()) || !spec.handler) {
    out.error(err::wrong_args(cmd->full_name));
    reject = "arity";
  } else if (!client.authenticated && !(spec.flags & kCmdNoAuth)) {
    out.error(err::kNoAuth);
    reject = "auth";
  } else if (client.multi.active && (spec.flags & kCmdNoMulti)) {  // SAVE, SHUTDOWN: EXEC cannot run them
    out.error(err::kNoMulti);
    reject = "multi";
  } else if (!acl_permits(server.acl, client, *cmd, argv, acllog_max_len(server))) {
    reject = "acl";  // NOPERM written and logged by the check
  } else if (server.config.maxmemory.load(std::memory_order_relaxed) != 0 && !client.in_exec &&
             !(oom_error = oom_check(server, client, *cmd)).empty()) {
    out.error(oom_error);  // maxmemory (evict.h): evicts first, refuses only if that cannot help
    reject = "oom";
  } else if (server.wal && server.wal->failing() && ((spec.flags & kCmdWrite) || cmd->full_name == "ping") &&
             refuse_on_log_error(*server.wal, out)) {  // as Redis, PING too is refused
    reject = "misconf";
  } else if (server.loading.loading.load(std::memory_order_acquire) && !(spec.flags & kCmdLoading)) {
    // acquire: seeing the load finished must also show what the loader set up after it (the log
    // sink that Txn rings, the logging flag); TSan caught a write command reading the sink racily.
    out.error(err::kLoading);
    reject = "loading";
  }
  if (reject) {
    if (stats) stats[cmd->id].rejected.fetch_add(1, std::memory_order_relaxed);
    count_error(server, client, errors_before, ws);
    if (client.multi.active) client.multi.dirty = true;
    return;
  }
  if (client.multi.active && !(spec.flags & kCmdTxnControl)) {
    client.multi.queued.emplace_back(argv.begin(), argv.end());
    out.simple("QUEUED");
    return;
  }
  client.last_cmd.store(cmd->full_name.c_str(), std::memory_order_relaxed);
  Ctx ctx(server, client, argv, out);
  // Commands run inside the exec gate, so that an EXEC elsewhere runs alone; EXEC's own commands are
  // already inside it.
  const int slot = server.gate.slot_of(client.worker);
  const bool gated = !client.in_exec;
  if (gated && server.gate.enter(slot) && t_chained_us) t_chained_us = -1;  // waited: the last reading is old
  // The wall clock, read once at the start (the command's time, command_now_ms()) and once at the
  // end (its duration for commandstats, not below zero should the clock be stepped back meanwhile).
  const int64_t start = t_chained_us > 0 ? t_chained_us : now_us();
  int64_t spent;
  {
    CommandTimeScope at(start / 1000);
    spec.handler(ctx);
    const int64_t end = now_us();
    spent = std::max<int64_t>(0, end - start);
    if (t_chained_us) t_chained_us = end;
  }
  if (gated) server.gate.leave(slot);
  if (stats) {
    stats[cmd->id].calls.fetch_add(1, std::memory_order_relaxed);
    stats[cmd->id].usec.fetch_add(static_cast<uint64_t>(spent), std::memory_order_relaxed);
    if (out.errors_written() != errors_before) stats[cmd->id].failed.fetch_add(1, std::memory_order_relaxed);
  }
  if (ws) ws->commands_processed.fetch_add(1, std::memory_order_relaxed);
  count_error(server, client, errors_before, ws);
  if (client.block.requested && (client.fd < 0 || client.in_exec)) {  // cannot wait: time out at once
    client.block = {};
    out.null_array();
  }
  // A blocking command that blocks wrote nothing. Signalling its keys anyway would wake the client
  // itself when it is a retry (it is still registered as their waiter): it would retry and block
  // again, and so on, spinning its worker for as long as it waits.
  if ((spec.flags & kCmdWrite) && !client.block.requested && server.blocking.any())
    signal_written_keys(server, spec, argv);
}

}  // namespace tally
