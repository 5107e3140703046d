// Generic key commands: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY, MOVE, SWAPDB, TOUCH, KEYS,
// SCAN, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL and the OBJECT container.
//
// Commands on named keys go through one Txn over all their keys, so a multi-key DEL or a RENAME is
// atomic. Commands that walk a whole database (KEYS, SCAN, RANDOMKEY) hold one shard's lock at a time
// and never see an expired entry: they compare the entry's heap time with the clock instead of
// deleting it, because only a Txn may change the keyspace.
//
// SCAN cursors: the low log2(shard_count) bits name the shard being scanned, the rest is that shard's
// HashTable::scan cursor. A shard's scan finishes when its table cursor returns to 0; the scan then moves
// to the next shard with table cursor 0, and the whole scan ends (cursor 0) after the last shard. Every
// key present for the whole scan is returned at least once, as HashTable::scan guarantees per shard.
#include <bit>
#include <charconv>
#include <climits>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "db.h"
#include "errors.h"
#include "evict.h"
#include "state.h"
#include "zset.h"

namespace tally {
namespace {


constexpr int64_t kSharedIntegers = 10000;     // Redis OBJ_SHARED_INTEGERS
constexpr int64_t kSharedRefcount = INT_MAX;   // Redis OBJ_SHARED_REFCOUNT
constexpr int kRandomKeyTries = 100;

std::span<const std::string_view> keys_from(Ctx& c, std::size_t first) { return c.argv.subspan(first); }

std::string_view type_name(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kHash: return "hash";
    case ValueType::kZSet: return "zset";
  }
  return "none";
}

// Whether `e` (linked in `slot`) has expired at `now`; for walkers that may not delete it.
bool is_expired(const DbSlot& slot, const Entry* e, int64_t now) {
  return e->has_ttl() && past_expiry(slot.ttl.when(e->node.aux), now);
}

// Runs fn(DbSlot&) for one shard's share of `db` under that shard's lock.
template <class Fn>
void with_shard(Keyspace& ks, uint32_t shard, int db, Fn&& fn) {
  Shard& s = ks.shard(shard);
  std::lock_guard lock(s.mu);
  fn(s.dbs[db]);
}


// Redis's getIntFromObjectOrReply without a custom message.
bool parse_int_arg(Ctx& c, std::string_view s, int* out) {
  int64_t v;
  if (!parse_int64(s, &v)) {
    c.out.error(err::kNotInteger);
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    c.out.error(err::kIntRange);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

// Redis's SWAPDB argument check: one message for both a non-integer and an out-of-int value.
bool parse_swap_index(Ctx& c, std::string_view s, std::string_view msg, int* out) {
  int64_t v;
  if (!parse_int64(s, &v) || v < INT_MIN || v > INT_MAX) {
    c.out.error(msg);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

bool valid_db(Ctx& c, int db) { return db >= 0 && db < c.ks().databases(); }

// ---- DEL, UNLINK, EXISTS, TOUCH, TYPE ----

void cmd_del(Ctx& c) {
  Txn t(c.ks(), c.db(), keys_from(c, 1));
  int64_t deleted = 0;
  for (std::size_t i = 0; i < t.key_count(); ++i) deleted += t.erase(i) ? 1 : 0;
  c.out.integer(deleted);
}

void cmd_exists(Ctx& c) {
  Txn t(c.ks(), c.db(), keys_from(c, 1));
  int64_t found = 0;
  for (std::size_t i = 0; i < t.key_count(); ++i) found += t.probe(i) ? 1 : 0;
  c.out.integer(found);
}

void cmd_touch(Ctx& c) {
  Txn t(c.ks(), c.db(), keys_from(c, 1));
  int64_t found = 0;
  for (std::size_t i = 0; i < t.key_count(); ++i) found += t.find(i) ? 1 : 0;
  c.out.integer(found);
}

void cmd_type(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv[1]);
  const Entry* e = t.probe(0);
  c.out.simple(e ? type_name(e->value_type()) : "none");
}

// ---- RENAME, RENAMENX, COPY, MOVE, SWAPDB ----

void rename_generic(Ctx& c, bool nx) {
  Txn t(c.ks(), c.db(), keys_from(c, 1));
  if (!t.peek(0)) return c.out.error(err::kNoSuchKey);
  if (t.key(0) == t.key(1)) {  // renaming a key to itself changes nothing
    if (nx) return c.out.integer(0);
    return c.out.ok();
  }
  if (nx && t.peek(1)) return c.out.integer(0);
  (void)t.rename(0, 1);
  if (nx) return c.out.integer(1);
  c.out.ok();
}

void cmd_rename(Ctx& c) { rename_generic(c, false); }
void cmd_renamenx(Ctx& c) { rename_generic(c, true); }

// COPY source destination [DB destination-db] [REPLACE]
void cmd_copy(Ctx& c) {
  int dst_db = c.db();
  bool replace = false;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    if (iequals(c.arg(j), "replace")) {
      replace = true;
    } else if (iequals(c.arg(j), "db") && j + 1 < c.argc()) {
      if (!parse_int_arg(c, c.arg(++j), &dst_db)) return;
    } else {
      return c.out.error(err::kSyntax);
    }
  }
  if (!valid_db(c, dst_db)) return c.out.error(err::kDbIndex);
  if (dst_db == c.db() && c.arg(1) == c.arg(2)) return c.out.error(err::kSameObject);
  Txn t(c.ks(), c.db(), keys_from(c, 1).first(2));
  c.out.integer(t.copy(0, 1, dst_db, replace) ? 1 : 0);
}

void cmd_move(Ctx& c) {
  int dst_db;
  if (!parse_int_arg(c, c.arg(2), &dst_db)) return;
  if (!valid_db(c, dst_db)) return c.out.error(err::kDbIndex);
  if (dst_db == c.db()) return c.out.error(err::kSameObject);
  Txn t(c.ks(), c.db(), c.argv[1]);
  c.out.integer(t.move(0, dst_db) ? 1 : 0);
}

void cmd_swapdb(Ctx& c) {
  int a, b;
  if (!parse_swap_index(c, c.arg(1), err::kFirstDbIndex, &a)) return;
  if (!parse_swap_index(c, c.arg(2), err::kSecondDbIndex, &b)) return;
  if (!valid_db(c, a) || !valid_db(c, b)) return c.out.error(err::kDbIndex);
  if (a != b) c.ks().swap_db(a, b);
  c.out.ok();
}

// ---- KEYS, SCAN, RANDOMKEY, DBSIZE ----

bool all_keys_pattern(std::string_view pattern) { return pattern == "*"; }

void cmd_keys(Ctx& c) {
  const std::string_view pattern = c.arg(1);
  const bool all = all_keys_pattern(pattern);
  const int64_t now = command_now_ms();
  std::vector<std::string> found;
  c.ks().for_each_shard(c.db(), [&](DbSlot& slot, Shard&) {
    slot.table.for_each([&](HNode* n) {
      const Entry* e = entry_of(n);
      if (is_expired(slot, e, now)) return;
      if (all || glob_match(pattern, e->key())) found.emplace_back(e->key());
    });
  });
  c.out.array(found.size());
  for (const auto& k : found) c.out.bulk(k);
}


struct ScanOptions {
  int64_t count = 10;
  std::optional<std::string_view> pattern;
  std::optional<std::string_view> type;
};

bool parse_scan_options(Ctx& c, ScanOptions* opt) {
  for (std::size_t i = 2; i < c.argc(); i += 2) {
    const bool has_value = i + 1 < c.argc();
    if (has_value && iequals(c.arg(i), "count")) {
      if (!parse_int64(c.arg(i + 1), &opt->count)) {
        c.out.error(err::kNotInteger);
        return false;
      }
      if (opt->count < 1) {
        c.out.error(err::kSyntax);
        return false;
      }
    } else if (has_value && iequals(c.arg(i), "match")) {
      opt->pattern = c.arg(i + 1);
      if (all_keys_pattern(*opt->pattern)) opt->pattern.reset();
    } else if (has_value && iequals(c.arg(i), "type")) {
      opt->type = c.arg(i + 1);
    } else {
      c.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

bool scan_wants(const ScanOptions& opt, const Entry* e) {
  if (opt.type && !iequals(*opt.type, type_name(e->value_type()))) return false;
  // A lone "*" matches everything, the empty key included (glob_match("*", "") is false, as in Redis,
  // whose SCAN skips matching for that pattern).
  return !opt.pattern || *opt.pattern == "*" || glob_match(*opt.pattern, e->key());
}

// One SCAN call: advances the (shard, table cursor) pair until `count` keys were visited or
// count*10 table steps were taken, as Redis bounds its own loop. Returns the next cursor.
uint64_t scan_step(Ctx& c, uint64_t cursor, const ScanOptions& opt, std::vector<std::string>* out) {
  Keyspace& ks = c.ks();
  const int bits = std::countr_zero(ks.shard_count());
  uint32_t shard = static_cast<uint32_t>(cursor & (ks.shard_count() - 1));
  uint64_t table_cursor = cursor >> bits;
  const uint64_t wanted = static_cast<uint64_t>(opt.count);
  uint64_t visited = 0, steps = wanted > UINT64_MAX / 10 ? UINT64_MAX : wanted * 10;
  const int64_t now = command_now_ms();
  for (;;) {
    with_shard(ks, shard, c.db(), [&](DbSlot& slot) {
      if (slot.table.empty()) {  // an empty shard costs no step, so an empty db ends in one call
        table_cursor = 0;
        return;
      }
      do {
        table_cursor = slot.table.scan(table_cursor, [&](const HNode* n) {
          const Entry* e = entry_of(n);
          ++visited;
          if (!is_expired(slot, e, now) && scan_wants(opt, e)) out->emplace_back(e->key());
        });
      } while (--steps > 0 && table_cursor != 0 && visited < wanted);
    });
    if (table_cursor == 0 && ++shard == ks.shard_count()) return 0;
    if (visited >= wanted || steps == 0) break;
  }
  return (table_cursor << bits) | shard;
}

void cmd_scan(Ctx& c) {
  uint64_t cursor;
  if (!parse_cursor(c.arg(1), &cursor)) return c.out.error(err::kInvalidCursor);
  ScanOptions opt;
  if (!parse_scan_options(c, &opt)) return;
  std::vector<std::string> keys;
  const uint64_t next = scan_step(c, cursor, opt, &keys);
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, next);
  c.out.array(2);
  c.out.bulk(std::string_view(buf, static_cast<std::size_t>(res.ptr - buf)));
  c.out.array(keys.size());
  for (const auto& k : keys) c.out.bulk(k);
}

// Picks a shard with probability proportional to its size in `sizes` (which sum to `total` > 0).
uint32_t pick_shard(const std::vector<std::size_t>& sizes, std::size_t total) {
  std::size_t r = static_cast<std::size_t>(random_bits() % total);
  uint32_t s = 0;
  while (r >= sizes[s]) r -= sizes[s++];
  return s;
}

// Tries one random entry of shard `s`. Writes the reply and returns true if it is live; otherwise
// saves an expired key's name so that the caller can delete it, as Redis's dbRandomKey does.
bool random_from_shard(Ctx& c, uint32_t s, std::optional<std::string>* expired) {
  bool replied = false;
  with_shard(c.ks(), s, c.db(), [&](DbSlot& slot) {
    HNode* n = slot.table.random_node(&random_bits);
    if (!n) return;
    const Entry* e = entry_of(n);
    if (is_expired(slot, e, command_now_ms())) {
      expired->emplace(e->key());
    } else {
      c.out.bulk(e->key());
      replied = true;
    }
  });
  return replied;
}

// The slow path when random picks keep landing on expired keys: any live key, or nil.
void any_live_key(Ctx& c) {
  bool replied = false;
  const int64_t now = command_now_ms();
  c.ks().for_each_shard(c.db(), [&](DbSlot& slot, Shard&) {
    if (replied) return;
    slot.table.for_each([&](HNode* n) {
      const Entry* e = entry_of(n);
      if (replied || is_expired(slot, e, now)) return;
      c.out.bulk(e->key());
      replied = true;
    });
  });
  if (!replied) c.out.null();
}

void cmd_randomkey(Ctx& c) {
  std::vector<std::size_t> sizes;
  sizes.reserve(c.ks().shard_count());
  std::size_t total = 0;
  c.ks().for_each_shard(c.db(), [&](DbSlot& slot, Shard&) {
    sizes.push_back(slot.table.size());
    total += slot.table.size();
  });
  if (total == 0) return c.out.null();
  for (int i = 0; i < kRandomKeyTries; ++i) {
    std::optional<std::string> expired;
    if (random_from_shard(c, pick_shard(sizes, total), &expired)) return;
    if (expired) {
      const std::string_view key = *expired;
      Txn t(c.ks(), c.db(), key);
      (void)t.peek(0);  // deletes the expired entry
    }
  }
  any_live_key(c);
}

void cmd_dbsize(Ctx& c) { c.out.integer(static_cast<int64_t>(c.ks().dbsize(c.db()))); }

// ---- FLUSHDB, FLUSHALL ----

// [ASYNC|SYNC]: ASYNC frees the flushed entries on the background thread; anything else is a
// syntax error.
bool flush_args_ok(Ctx& c) {
  if (c.argc() > 2 || (c.argc() == 2 && !iequals(c.arg(1), "sync") && !iequals(c.arg(1), "async"))) {
    c.out.error(err::kSyntax);
    return false;
  }
  return true;
}

void cmd_flushdb(Ctx& c) {
  if (!flush_args_ok(c)) return;
  c.ks().flush_db(c.db(), c.argc() == 2 && iequals(c.arg(1), "async"));
  c.out.ok();
}

void cmd_flushall(Ctx& c) {
  if (!flush_args_ok(c)) return;
  c.ks().flush_all(c.argc() == 2 && iequals(c.arg(1), "async"));
  c.out.ok();
}

// ---- OBJECT ----


// Integers 0..9999 are shared objects in Redis, which reports them with a fixed huge refcount; it
// stops sharing them when maxmemory is set with an LRU or LFU policy (each key then needs its own
// access field), and so does this report.
int64_t refcount_of(const Config& cfg, const Entry* e) {
  const MaxmemoryPolicy p = cfg.maxmemory_policy.load(std::memory_order_relaxed);
  const bool per_key_access = p == MaxmemoryPolicy::kVolatileLru || p == MaxmemoryPolicy::kAllkeysLru ||
                              p == MaxmemoryPolicy::kVolatileLfu || p == MaxmemoryPolicy::kAllkeysLfu;
  if (cfg.maxmemory.load(std::memory_order_relaxed) != 0 && per_key_access) return 1;
  const bool shared = e->value_type() == ValueType::kString && e->encoding() == Encoding::kInt &&
                      e->string_shape() == StringShape::kByValue &&
                      e->v.integer >= 0 && e->v.integer < kSharedIntegers;
  return shared ? kSharedRefcount : 1;
}

void cmd_object_encoding(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv[2]);
  const Entry* e = t.probe(0);
  if (!e) return c.out.null();
  // A sorted set's form can change under its entry (ZADD converts it), so the set itself says.
  if (e->value_type() == ValueType::kZSet) return c.out.bulk(encoding_name(object_as<ZSet>(e)->encoding()));
  c.out.bulk(e->value_type() == ValueType::kString ? string_encoding_name(e) : encoding_name(e->encoding()));
}

void cmd_object_refcount(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv[2]);
  const Entry* e = t.probe(0);
  if (!e) return c.out.null();
  c.out.integer(refcount_of(c.server.config, e));
}

void cmd_object_idletime(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv[2]);
  const Entry* e = t.probe(0);
  if (!e) return c.out.null();
  if (lfu_mode()) return c.out.error(err::kLfuNoIdletime);  // the field holds LFU data (evict.h)
  c.out.integer(lru_idle_seconds(e->lru, t.now()));
}

// The decayed LFU counter; without an LFU policy there is none (Redis's error, for live keys only).
void cmd_object_freq(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv[2]);
  const Entry* e = t.probe(0);
  if (!e) return c.out.null();
  if (!lfu_mode()) return c.out.error(err::kNoLfu);
  c.out.integer(lfu_counter(e->lru, t.now()));
}

constexpr std::string_view kObjectHelp[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

void cmd_object_help(Ctx& c) {
  c.out.array(std::size(kObjectHelp));
  for (std::string_view line : kObjectHelp) c.out.simple(line);
}

// ---- The table ----

constexpr uint32_t kW = kCmdWrite;
constexpr uint32_t kR = kCmdReadOnly;
constexpr uint32_t kF = kCmdFast;

constexpr CommandSpec kObjectSubcommands[] = {
    {"encoding", 3, kR, 2, 2, 1, cmd_object_encoding, "generic",
     "Inspect the internal encoding of a Redis object", "2.2.3", "O(1)", {}},
    {"freq", 3, kR, 2, 2, 1, cmd_object_freq, "generic",
     "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)", {}},
    {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, cmd_object_help, "generic",
     "Show helpful text about the different subcommands", "6.2.0", "O(1)", {}},
    {"idletime", 3, kR, 2, 2, 1, cmd_object_idletime, "generic",
     "Get the time since a Redis object was last accessed", "2.2.3", "O(1)", {}},
    {"refcount", 3, kR, 2, 2, 1, cmd_object_refcount, "generic",
     "Get the number of references to the value of the key", "2.2.3", "O(1)", {}},
};

constexpr CommandSpec kKeyCommands[] = {
    {"del", -2, kW, 1, -1, 1, cmd_del, "generic", "Delete a key", "1.0.0",
     "O(N) where N is the number of keys that will be removed.", {}},
    {"unlink", -2, kW | kF, 1, -1, 1, cmd_del, "generic",
     "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0",
     "O(1) for each key removed regardless of its size.", {}},
    {"exists", -2, kR | kF, 1, -1, 1, cmd_exists, "generic", "Determine if a key exists", "1.0.0",
     "O(N) where N is the number of keys to check.", {}},
    {"type", 2, kR | kF, 1, 1, 1, cmd_type, "generic", "Determine the type stored at key", "1.0.0", "O(1)", {}},
    {"rename", 3, kW, 1, 2, 1, cmd_rename, "generic", "Rename a key", "1.0.0", "O(1)", {}},
    {"renamenx", 3, kW | kF, 1, 2, 1, cmd_renamenx, "generic", "Rename a key, only if the new key does not exist",
     "1.0.0", "O(1)", {}},
    {"copy", -3, kW | kCmdDenyOom, 1, 2, 1, cmd_copy, "generic", "Copy a key", "6.2.0",
     "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", {}},
    {"move", 3, kW | kF, 1, 1, 1, cmd_move, "generic", "Move a key to another database", "1.0.0", "O(1)", {}},
    {"swapdb", 3, kW | kF, 0, 0, 0, cmd_swapdb, "server", "Swaps two Redis databases", "4.0.0",
     "O(N) where N is the count of clients watching or blocking on keys from both databases.", {}},
    {"touch", -2, kR | kF, 1, -1, 1, cmd_touch, "generic",
     "Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1",
     "O(N) where N is the number of keys that will be touched.", {}},
    {"keys", 2, kR, 0, 0, 0, cmd_keys, "generic", "Find all keys matching the given pattern", "1.0.0",
     "O(N) with N being the number of keys in the database.", {}},
    {"scan", -2, kR, 0, 0, 0, cmd_scan, "generic", "Incrementally iterate the keys space", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration.", {}},
    {"randomkey", 1, kR, 0, 0, 0, cmd_randomkey, "generic", "Return a random key from the keyspace", "1.0.0",
     "O(1)", {}},
    {"dbsize", 1, kR | kF, 0, 0, 0, cmd_dbsize, "server", "Return the number of keys in the selected database",
     "1.0.0", "O(1)", {}},
    {"flushdb", -1, kW, 0, 0, 0, cmd_flushdb, "server", "Remove all keys from the current database", "1.0.0",
     "O(N) where N is the number of keys in the selected database", {}},
    {"flushall", -1, kW, 0, 0, 0, cmd_flushall, "server", "Remove all keys from all databases", "1.0.0",
     "O(N) where N is the total number of keys in all databases", {}},
    {"object", -2, 0, 0, 0, 0, nullptr, "generic", "A container for object introspection commands", "2.2.3",
     "Depends on subcommand.", kObjectSubcommands},
};

}  // namespace

std::span<const CommandSpec> key_commands() { return kKeyCommands; }

}  // namespace tally
