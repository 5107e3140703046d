// Persistence commands on top of the write-ahead log (wal.h): SAVE, BGSAVE, BGREWRITEAOF, COMPACT,
// LASTSAVE. Every one of them writes the same thing: a snapshot with a fresh log after it.
#include "commands.h"
#include "errors.h"
#include "state.h"

namespace tally {
namespace {

// Starts (or, with `wait`, runs) a snapshot; replies `started` or the error.
void snapshot(Ctx& c, bool wait, bool is_save, std::string_view started) {
  if (!c.server.wal) return c.out.error("ERR persistence is not available in this process");
  std::string error = c.server.wal->rewrite(wait, is_save);
  if (!error.empty()) return c.out.error(error);
  c.out.simple(started);
}

void save_cmd(Ctx& c) { snapshot(c, true, true, "OK"); }

// BGSAVE [SCHEDULE]: SCHEDULE only matters while another save runs, when Redis queues one; the
// in-progress snapshot already holds everything written before it began, so Tally answers as Redis
// does for a running save.
void bgsave_cmd(Ctx& c) {
  if (c.argc() > 2 || (c.argc() == 2 && !iequals(c.arg(1), "schedule"))) return c.out.error(err::kSyntax);
  snapshot(c, false, true, "Background saving started");
}

void bgrewriteaof_cmd(Ctx& c) { snapshot(c, false, false, "Background append only file rewriting started"); }

// COMPACT: the name the key-value stores Tally grew from used; it waits for the rewrite.
void compact_cmd(Ctx& c) { snapshot(c, true, false, "OK"); }

void lastsave_cmd(Ctx& c) {
  int64_t s = c.server.wal ? c.server.wal->status().last_save_s : 0;
  c.out.integer(s ? s : c.server.start_ms / 1000);
}

constexpr uint32_t kPersist = kCmdAdmin | kCmdNoScript;

constexpr CommandSpec kPersistCommands[] = {
    {"save", 1, kPersist | kCmdNoMulti, 0, 0, 0, save_cmd, "server", "Synchronously save the dataset to disk",
     "1.0.0", "O(N) where N is the total number of keys in all databases"},
    {"bgsave", -1, kPersist, 0, 0, 0, bgsave_cmd, "server", "Asynchronously save the dataset to disk", "1.0.0",
     "O(1)"},
    {"bgrewriteaof", 1, kPersist, 0, 0, 0, bgrewriteaof_cmd, "server", "Asynchronously rewrite the append-only file",
     "1.0.0", "O(1)"},
    {"compact", 1, kPersist | kCmdNoMulti, 0, 0, 0, compact_cmd, "server",
     "Rewrite the write-ahead log from a snapshot and wait for it (Tally)", "0.1.0",
     "O(N) where N is the total number of keys in all databases"},
    {"lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, lastsave_cmd, "server",
     "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)"},
};

}  // namespace

std::span<const CommandSpec> persist_commands() { return kPersistCommands; }

}  // namespace tally
