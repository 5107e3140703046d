// The hash family: HSET/HMSET/HSETNX, HGET/HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS/HVALS/HGETALL,
// HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN, with Redis 7.0's argument checks, error order and reply
// shapes, and the family's command table.
//
// Values live in a HashObject (hash.h) behind the key's Entry. Every handler works through one Txn and
// writes its reply while the Txn is alive: fields are only valid under the shard's lock. Reads use
// Txn::find() (hit/miss statistics, LRU), writes Txn::peek(), as Redis's lookupKeyRead/Write do.
// Invariants: no hash is ever empty: writers create the key only when they add a field, and HDEL
// deletes the key with its last field. The Entry's encoding is the object's form: every write that
// may convert a compact hash to a table ends with note_form().
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commands.h"
#include "hash.h"

namespace tally {
namespace {


constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// The single key of every hash command, as a span that lives as long as argv.
std::span<const std::string_view> key1(const Ctx& c) { return c.argv.subspan(1, 1); }

HashObject* hash_of(Entry* e) { return object_as<HashObject>(e); }

enum class Access { kRead, kWrite };

// Looks key 0 up as a hash: *out is its entry, or nullptr when the key is missing. Replies WRONGTYPE
// and returns false when the key holds another type.
bool lookup_entry(Ctx& c, Txn& t, Access access, Entry** out) {
  Entry* e = access == Access::kRead ? t.find(0) : t.peek(0);
  *out = nullptr;
  if (!e) return true;
  if (e->value_type() != ValueType::kHash) {
    c.out.error(err::kWrongType);
    return false;
  }
  *out = e;
  return true;
}

// The same, for callers that only need the hash.
bool lookup_hash(Ctx& c, Txn& t, Access access, HashObject** out) {
  Entry* e;
  bool ok = lookup_entry(c, t, access, &e);
  *out = e ? hash_of(e) : nullptr;
  return ok;
}

// Creates key 0 as an empty (compact) hash. REQUIRES: key 0 is absent; the caller adds a field at once.
Entry* create_hash(Txn& t) {
  return t.set_object<HashObject>(0, ValueType::kHash);
}

// After a write to e's hash: OBJECT ENCODING reports the form the write may have changed.
void note_form(Entry* e) { e->enc = static_cast<uint32_t>(hash_of(e)->encoding()); }

// Sets `name` to `value` in e's hash, `at` being where find() left it (an empty Slot when e is null:
// key 0 is created first, and its new hash has no such field).
void store_field(Txn& t, Entry* e, const HashObject::Slot& at, std::string_view name, std::string_view value) {
  if (!e) e = create_hash(t);
  hash_of(e)->set(at, name, value);
  note_form(e);
  t.log_hset(0, name, value);
}

// Replies the error; returns false, for parsers that report success.
bool fail(Ctx& c, std::string_view error) {
  c.out.error(error);
  return false;
}


// ---- HSET, HMSET, HSETNX ----

// HSET / HMSET: field-value pairs from argv[2]; `count_reply`: HSET answers how many were created.
void hset_generic(Ctx& c, std::string_view name, bool count_reply) {
  if (c.argc() % 2 == 1) return c.out.error(err::wrong_args(name));
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e;
  if (!lookup_entry(c, t, Access::kWrite, &e)) return;
  if (!e) e = create_hash(t);
  HashObject* h = hash_of(e);
  int64_t created = 0;
  for (std::size_t j = 2; j < c.argc(); j += 2) {
    created += h->set(c.arg(j), c.arg(j + 1));
    t.log_hset(0, c.arg(j), c.arg(j + 1));
  }
  note_form(e);
  if (count_reply) c.out.integer(created);
  else c.out.ok();
}

void cmd_hset(Ctx& c) { hset_generic(c, "hset", true); }
void cmd_hmset(Ctx& c) { hset_generic(c, "hmset", false); }

void cmd_hsetnx(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e;
  if (!lookup_entry(c, t, Access::kWrite, &e)) return;
  HashObject::Slot at = e ? hash_of(e)->find(c.arg(2)) : HashObject::Slot{};
  if (at.found) return c.out.integer(0);
  store_field(t, e, at, c.arg(2), c.arg(3));
  c.out.integer(1);
}

// ---- Reads of single fields ----

// Runs fn(HashObject* or nullptr) on key 0 for reading, after the WRONGTYPE check.
template <class Fn>
void with_hash(Ctx& c, Fn&& fn) {
  Txn t(c.ks(), c.db(), key1(c));
  HashObject* h;
  if (lookup_hash(c, t, Access::kRead, &h)) fn(h);
}

// The value of field argv[j] of h; nullopt when h or the field is missing.
std::optional<std::string_view> field_arg(Ctx& c, HashObject* h, std::size_t j = 2) {
  return h ? h->get(c.arg(j)) : std::nullopt;
}

void cmd_hget(Ctx& c) {
  with_hash(c, [&c](HashObject* h) {
    if (auto v = field_arg(c, h)) c.out.bulk(*v);
    else c.out.null();
  });
}

void cmd_hmget(Ctx& c) {
  with_hash(c, [&c](HashObject* h) {
    c.out.array(c.argc() - 2);
    for (std::size_t j = 2; j < c.argc(); ++j) {
      if (auto v = field_arg(c, h, j)) c.out.bulk(*v);
      else c.out.null();
    }
  });
}

void cmd_hstrlen(Ctx& c) {
  with_hash(c, [&c](HashObject* h) {
    auto v = field_arg(c, h);
    c.out.integer(v ? static_cast<int64_t>(v->size()) : 0);
  });
}

void cmd_hexists(Ctx& c) {
  with_hash(c, [&c](HashObject* h) { c.out.integer(field_arg(c, h) ? 1 : 0); });
}

void cmd_hlen(Ctx& c) {
  with_hash(c, [&c](HashObject* h) { c.out.integer(h ? static_cast<int64_t>(h->size()) : 0); });
}

// ---- HDEL ----

void cmd_hdel(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  HashObject* h;
  if (!lookup_hash(c, t, Access::kWrite, &h)) return;
  int64_t deleted = 0;
  for (std::size_t j = 2; h && j < c.argc() && !h->empty(); ++j) {
    if (!h->remove(c.arg(j))) continue;
    ++deleted;
    t.log_hdel(0, c.arg(j));
  }
  if (h && h->empty()) t.erase(0);
  c.out.integer(deleted);
}

// ---- HKEYS, HVALS, HGETALL ----

enum Part : unsigned { kKeys = 1, kValues = 2 };

void reply_all(Ctx& c, unsigned parts) {
  with_hash(c, [&c, parts](HashObject* h) {
    std::size_t n = h ? h->size() : 0;
    if (parts == (kKeys | kValues)) c.out.map(n);
    else c.out.array(n);
    if (!h) return;
    h->for_each([&c, parts](std::string_view k, std::string_view v) {
      if (parts & kKeys) c.out.bulk(k);
      if (parts & kValues) c.out.bulk(v);
    });
  });
}

void cmd_hkeys(Ctx& c) { reply_all(c, kKeys); }
void cmd_hvals(Ctx& c) { reply_all(c, kValues); }
void cmd_hgetall(Ctx& c) { reply_all(c, kKeys | kValues); }

// ---- HINCRBY, HINCRBYFLOAT ----

// Order of checks as Redis 7.0: the increment, the key's type, the field's value, the result.
void cmd_hincrby(Ctx& c) {
  int64_t by, v = 0;
  if (!parse_int64(c.arg(3), &by)) return c.out.error(err::kNotInteger);
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e;
  if (!lookup_entry(c, t, Access::kWrite, &e)) return;
  HashObject::Slot at = e ? hash_of(e)->find(c.arg(2)) : HashObject::Slot{};
  if (at.found && !parse_int64(at.value, &v)) return c.out.error(err::kHashNotInteger);
  if ((by < 0 && v < 0 && by < kInt64Min - v) || (by > 0 && v > 0 && by > kInt64Max - v))
    return c.out.error(err::kOverflow);
  v += by;
  char buf[24];
  store_field(t, e, at, c.arg(2), std::string_view(buf, format_int64(v, buf)));
  c.out.integer(v);
}

void cmd_hincrbyfloat(Ctx& c) {
  long double by, v = 0;
  if (!parse_long_double(c.arg(3), &by)) return c.out.error(err::kNotFloat);
  if (std::isnan(by) || std::isinf(by)) return c.out.error(err::kIncrNanOrInf);
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e;
  if (!lookup_entry(c, t, Access::kWrite, &e)) return;
  HashObject::Slot at = e ? hash_of(e)->find(c.arg(2)) : HashObject::Slot{};
  if (at.found && !parse_long_double(at.value, &v)) return c.out.error(err::kHashNotFloat);
  v += by;
  if (std::isnan(v) || std::isinf(v)) return c.out.error(err::kNanOrInf);
  std::string s = format_long_double(v);
  store_field(t, e, at, c.arg(2), s);
  c.out.bulk(s);
}

// ---- HRANDFIELD ----

using Pair = std::pair<std::string_view, std::string_view>;  // a field and its value

// One element of an HRANDFIELD reply: the field, or with values a pair (nested in RESP3).
void reply_pick(Ctx& c, const Pair& f, bool withvalues) {
  if (withvalues && c.out.resp() > 2) c.out.array(2);
  c.out.bulk(f.first);
  if (withvalues) c.out.bulk(f.second);
}

// Every field of h. Many picks from a compact hash draw from this (one walk of the block instead of
// one per pick, as Redis's lpRandomPairs).
std::vector<Pair> all_pairs(const HashObject& h) {
  std::vector<Pair> out;
  out.reserve(h.size());
  h.for_each([&out](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

void reply_picks_header(Ctx& c, uint64_t n, bool withvalues) {
  c.out.array(withvalues && c.out.resp() == 2 ? n * 2 : n);
}

// `count` distinct random fields, count < h->size(). Like Redis, a count close to the size samples
// by shuffling all fields, a small one by drawing until enough distinct fields were seen.
void reply_distinct(Ctx& c, HashObject* h, uint64_t count, bool withvalues) {
  std::vector<Pair> picks;
  if (count * 3 > h->size() || h->compact()) {
    picks = all_pairs(*h);
    for (std::size_t i = 0; i < count; ++i) std::swap(picks[i], picks[i + random_bits() % (picks.size() - i)]);
    picks.resize(count);
  } else {
    std::unordered_set<std::string_view> seen;  // field names are unique
    while (picks.size() < count)
      if (Pair f = h->random_field(&random_bits); seen.insert(f.first).second) picks.push_back(f);
  }
  for (const Pair& f : picks) reply_pick(c, f, withvalues);
}

// HRANDFIELD key count [WITHVALUES] (Redis's hrandfieldWithCountCommand).
void hrandfield_count(Ctx& c, int64_t l, bool withvalues) {
  Txn t(c.ks(), c.db(), key1(c));
  HashObject* h;
  if (!lookup_hash(c, t, Access::kRead, &h)) return;
  if (!h || l == 0) return c.out.array(0);
  uint64_t count = l > 0 ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (l < 0 || count == 1) {  // may repeat; also the order of a single pick is random anyway
    reply_picks_header(c, count, withvalues);
    if (h->compact() && count > 1) {
      std::vector<Pair> all = all_pairs(*h);
      while (count--) reply_pick(c, all[random_bits() % all.size()], withvalues);
    } else {
      while (count--) reply_pick(c, h->random_field(&random_bits), withvalues);
    }
  } else if (count >= h->size()) {
    reply_picks_header(c, h->size(), withvalues);
    h->for_each([&c, withvalues](std::string_view k, std::string_view v) { reply_pick(c, {k, v}, withvalues); });
  } else {
    reply_picks_header(c, count, withvalues);
    reply_distinct(c, h, count, withvalues);
  }
}

void cmd_hrandfield(Ctx& c) {
  if (c.argc() == 2) {
    return with_hash(c, [&c](HashObject* h) {
      if (h) c.out.bulk(h->random_field(&random_bits).first);
      else c.out.null();
    });
  }
  int64_t l;
  if (!parse_int64(c.arg(2), &l)) return c.out.error(err::kNotInteger);
  if (l == kInt64Min) return c.out.error(err::kCountRange);
  bool withvalues = c.argc() == 4;
  if (c.argc() > 4 || (withvalues && !iequals(c.arg(3), "withvalues"))) return c.out.error(err::kSyntax);
  // The RESP2 reply holds 2*|count| elements, which must not overflow.
  if (withvalues && (l < -kInt64Max / 2 || l > kInt64Max / 2)) return c.out.error(err::kOutOfRange);
  hrandfield_count(c, l, withvalues);
}

// ---- HSCAN ----


struct ScanOptions {
  uint64_t count = 10;
  std::string_view pattern;  // empty: no MATCH, or MATCH "*" (which Redis does not apply)
  bool match = false;
};

// COUNT n and MATCH p from argv[3]; replies the error and returns false on a bad option.
bool parse_scan_options(Ctx& c, ScanOptions* opt) {
  for (std::size_t i = 3; i < c.argc(); i += 2) {
    const bool has_value = i + 1 < c.argc();
    if (has_value && iequals(c.arg(i), "count")) {
      int64_t n;
      if (!parse_int64(c.arg(i + 1), &n)) return fail(c, err::kNotInteger);
      if (n < 1) return fail(c, err::kSyntax);
      opt->count = static_cast<uint64_t>(n);
    } else if (has_value && iequals(c.arg(i), "match")) {
      opt->pattern = c.arg(i + 1);
      opt->match = opt->pattern != "*";
    } else {
      return fail(c, err::kSyntax);
    }
  }
  return true;
}

// Scans from `cursor` as Redis's scanGenericCommand does for a hash table: until the scan ends,
// count*10 buckets were visited, or `count` fields were seen, matching or not (Redis 7.0 filters
// by MATCH afterwards). A compact hash answers whole, with cursor 0, whatever the cursor and COUNT
// (as Redis's listpack). Returns the next cursor.
uint64_t scan_hash(const HashObject& h, uint64_t cursor, const ScanOptions& opt, std::vector<Pair>* out) {
  uint64_t seen = 0;
  uint64_t steps = opt.count > UINT64_MAX / 10 ? UINT64_MAX : opt.count * 10;
  do {
    cursor = h.scan(cursor, [&](std::string_view k, std::string_view v) {
      ++seen;
      if (!opt.match || glob_match(opt.pattern, k)) out->emplace_back(k, v);
    });
  } while (cursor != 0 && steps-- > 0 && seen < opt.count);
  return cursor;
}

void reply_scan(Ctx& c, uint64_t cursor, const std::vector<Pair>& fields) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, cursor);
  c.out.array(2);
  c.out.bulk(std::string_view(buf, static_cast<std::size_t>(res.ptr - buf)));
  c.out.array(fields.size() * 2);
  for (const Pair& f : fields) {
    c.out.bulk(f.first);
    c.out.bulk(f.second);
  }
}

// Errors in Redis's order: the cursor, then (for an existing key only) the type and the options.
void cmd_hscan(Ctx& c) {
  uint64_t cursor;
  if (!parse_cursor(c.arg(2), &cursor)) return c.out.error(err::kInvalidCursor);
  with_hash(c, [&c, cursor](HashObject* h) {
    std::vector<Pair> fields;
    ScanOptions opt;
    if (!h) return reply_scan(c, 0, fields);
    if (!parse_scan_options(c, &opt)) return;
    reply_scan(c, scan_hash(*h, cursor, opt, &fields), fields);
  });
}

// ---- The table ----

constexpr uint32_t kRead = kCmdReadOnly;
constexpr uint32_t kReadFast = kCmdReadOnly | kCmdFast;
constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
constexpr uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;

constexpr std::string_view kWholeHash = "O(N) where N is the size of the hash.";

const CommandSpec kHashCommands[] = {
    {"hset", -4, kWriteOomFast, 1, 1, 1, cmd_hset, "hash", "Set the string value of a hash field", "2.0.0",
     "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with "
     "multiple field/value pairs."},
    {"hsetnx", 4, kWriteOomFast, 1, 1, 1, cmd_hsetnx, "hash",
     "Set the value of a hash field, only if the field does not exist", "2.0.0", "O(1)"},
    {"hmset", -4, kWriteOomFast, 1, 1, 1, cmd_hmset, "hash", "Set multiple hash fields to multiple values", "2.0.0",
     "O(N) where N is the number of fields being set."},
    {"hget", 3, kReadFast, 1, 1, 1, cmd_hget, "hash", "Get the value of a hash field", "2.0.0", "O(1)"},
    {"hmget", -3, kReadFast, 1, 1, 1, cmd_hmget, "hash", "Get the values of all the given hash fields", "2.0.0",
     "O(N) where N is the number of fields being requested."},
    {"hdel", -3, kWriteFast, 1, 1, 1, cmd_hdel, "hash", "Delete one or more hash fields", "2.0.0",
     "O(N) where N is the number of fields to be removed."},
    {"hlen", 2, kReadFast, 1, 1, 1, cmd_hlen, "hash", "Get the number of fields in a hash", "2.0.0", "O(1)"},
    {"hstrlen", 3, kReadFast, 1, 1, 1, cmd_hstrlen, "hash", "Get the length of the value of a hash field", "3.2.0",
     "O(1)"},
    {"hexists", 3, kReadFast, 1, 1, 1, cmd_hexists, "hash", "Determine if a hash field exists", "2.0.0", "O(1)"},
    {"hkeys", 2, kRead, 1, 1, 1, cmd_hkeys, "hash", "Get all the fields in a hash", "2.0.0", kWholeHash},
    {"hvals", 2, kRead, 1, 1, 1, cmd_hvals, "hash", "Get all the values in a hash", "2.0.0", kWholeHash},
    {"hgetall", 2, kRead, 1, 1, 1, cmd_hgetall, "hash", "Get all the fields and values in a hash", "2.0.0",
     kWholeHash},
    {"hincrby", 4, kWriteOomFast, 1, 1, 1, cmd_hincrby, "hash",
     "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)"},
    {"hincrbyfloat", 4, kWriteOomFast, 1, 1, 1, cmd_hincrbyfloat, "hash",
     "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)"},
    {"hrandfield", -2, kRead, 1, 1, 1, cmd_hrandfield, "hash", "Get one or multiple random fields from a hash",
     "6.2.0", "O(N) where N is the number of fields returned"},
    {"hscan", -3, kRead, 1, 1, 1, cmd_hscan, "hash", "Incrementally iterate hash fields and associated values",
     "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return "
     "back to 0. N is the number of elements inside the collection.."},
};

}  // namespace

std::span<const CommandSpec> hash_commands() { return kHashCommands; }

}  // namespace tally
