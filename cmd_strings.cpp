// The string family: GET/SET and their variants, MGET/MSET, the INCR family, APPEND, STRLEN,
// GETRANGE/SETRANGE, with Redis 7.0's option rules, reply shapes and error order; and the family's
// command table, which also lists LCS (cmd_strings2.cpp).
//
// Every handler reads and writes the keyspace through one Txn and writes its reply while the Txn is
// alive: an Entry's bytes are only valid under its shard's lock. Handlers that reply with the old
// value and then overwrite it (SET ... GET, GETSET) write the reply first. GET, SET and INCR allocate
// nothing on success. Writes that Redis does with lookupKeyWrite() use Txn::peek() (no hit/miss
// statistics); reads use Txn::find().
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "commands.h"
#include "state.h"

namespace tally {


namespace {

// Redis's text for DECRBY of INT64_MIN (not yet in errors.h).

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

bool is_string(const Entry* e) { return e->value_type() == ValueType::kString; }

// The single key of a one-key command, as a span that lives as long as argv (Txn keeps the span).
std::span<const std::string_view> key1(const Ctx& c) { return c.argv.subspan(1, 1); }

// The longest string a command may build: proto-max-bulk-len, and never more than an Entry can hold.
uint64_t max_string_len(const Ctx& c) {
  int64_t limit = c.server.config.proto_max_bulk_len.load(std::memory_order_relaxed);
  return std::min<uint64_t>(static_cast<uint64_t>(std::max<int64_t>(limit, 0)), UINT32_MAX);
}

// Replies e's value, or nil when e is null. Returns false (having replied WRONGTYPE) for a
// non-string entry.
bool reply_value(Ctx& c, const Entry* e) {
  if (!e) {
    c.out.null();
    return true;
  }
  if (!is_string(e)) {
    c.out.error(err::kWrongType);
    return false;
  }
  char buf[24];
  c.out.bulk(string_value(e, buf));
  return true;
}

// Overwrites key 0 (entry e, or null when absent) with a string value. Reusing a string entry in
// place saves the second hash lookup set_string() would make.
Entry* store_string(Txn& t, Entry* e, std::string_view value, bool keep_ttl) {
  if (!e || !is_string(e)) return t.set_string(0, value, keep_ttl);
  if (!keep_ttl) t.clear_expire(e);
  t.update_string(e, value);
  return e;
}

// ---- SET options (SET and GETEX share Redis's parseExtendedStringArgumentsOrReply rules) ----

enum SetFlag : unsigned {
  kNx = 1u << 0,
  kXx = 1u << 1,
  kEx = 1u << 2,
  kPx = 1u << 3,
  kKeepTtl = 1u << 4,
  kGet = 1u << 5,
  kExAt = 1u << 6,
  kPxAt = 1u << 7,
  kPersist = 1u << 8,
};
constexpr unsigned kAnyExpire = kEx | kPx | kExAt | kPxAt;

enum class OptMode { kSet, kGetEx };

struct StringOpts {
  unsigned flags = 0;
  std::string_view expire;  // the argument of the expire option in flags, if any
};

unsigned option_flag(std::string_view a) {
  static constexpr std::pair<std::string_view, unsigned> kNames[] = {
      {"nx", kNx},     {"xx", kXx},   {"ex", kEx},           {"px", kPx},           {"exat", kExAt},
      {"pxat", kPxAt}, {"get", kGet}, {"keepttl", kKeepTtl}, {"persist", kPersist},
  };
  for (const auto& [name, flag] : kNames)
    if (iequals(a, name)) return flag;
  return 0;
}

// Whether `flag` may join `have`. One expire option may repeat (the last wins); the others exclude it.
bool option_allowed(unsigned flag, unsigned have, OptMode mode) {
  bool set = mode == OptMode::kSet;
  switch (flag) {
    case kNx: return set && !(have & kXx);
    case kXx: return set && !(have & kNx);
    case kGet: return set;
    case kKeepTtl: return set && !(have & (kPersist | kAnyExpire));
    case kPersist: return !set && !(have & (kKeepTtl | kAnyExpire));
    default: return !(have & (kKeepTtl | kPersist | (kAnyExpire & ~flag)));
  }
}

// Parses options from argv[first]. Replies "syntax error" and returns false on a bad option.
bool parse_string_opts(Ctx& c, std::size_t first, OptMode mode, StringOpts* o) {
  for (std::size_t j = first; j < c.argc(); ++j) {
    unsigned flag = option_flag(c.arg(j));
    bool needs_arg = (flag & kAnyExpire) != 0;
    if (flag == 0 || !option_allowed(flag, o->flags, mode) || (needs_arg && j + 1 >= c.argc())) {
      c.out.error(err::kSyntax);
      return false;
    }
    o->flags |= flag;
    if (needs_arg) o->expire = c.arg(++j);
  }
  return true;
}

// The absolute expiry (ms) that an EX/PX/EXAT/PXAT argument asks for, checked as Redis's
// getExpireMillisecondsOrReply does: positive, and no overflow when scaling or adding `now`.
// Replies the error and returns false when it is not valid.
bool resolve_expire(Ctx& c, std::string_view cmd, const StringOpts& o, int64_t now, int64_t* when) {
  int64_t v;
  if (!parse_int64(o.expire, &v)) {
    c.out.error(err::kNotInteger);
    return false;
  }
  bool seconds = (o.flags & (kEx | kExAt)) != 0;
  bool relative = (o.flags & (kEx | kPx)) != 0;
  if (v <= 0 || (seconds && v > kInt64Max / 1000) ||
      (relative && (seconds ? v * 1000 : v) > kInt64Max - now)) {
    c.out.error(err::invalid_expire(cmd));
    return false;
  }
  if (seconds) v *= 1000;
  *when = relative ? v + now : v;
  return true;
}

// SET and its fixed-option forms. `int_reply`: SETNX answers 1/0 instead of OK/nil.
void set_generic(Ctx& c, std::string_view cmd, const StringOpts& o, std::string_view value, bool int_reply) {
  Txn t(c.ks(), c.db(), key1(c));
  int64_t when = -1;
  if ((o.flags & kAnyExpire) && !resolve_expire(c, cmd, o, t.now(), &when)) return;
  bool get = (o.flags & kGet) != 0;
  Entry* e = get ? t.find(0) : t.peek(0);
  if (get && !reply_value(c, e)) return;
  if (((o.flags & kNx) && e) || ((o.flags & kXx) && !e)) {
    if (get) return;
    if (int_reply) c.out.integer(0);
    else c.out.null();
    return;
  }
  e = store_string(t, e, value, (o.flags & kKeepTtl) || when >= 0);
  if (when >= 0) t.set_expire(e, when);
  if (get) return;
  if (int_reply) c.out.integer(1);
  else c.out.ok();
}

void cmd_set(Ctx& c) {
  StringOpts o;
  if (parse_string_opts(c, 3, OptMode::kSet, &o)) set_generic(c, "set", o, c.arg(2), false);
}

void cmd_setnx(Ctx& c) { set_generic(c, "setnx", StringOpts{kNx, {}}, c.arg(2), true); }
void cmd_setex(Ctx& c) { set_generic(c, "setex", StringOpts{kEx, c.arg(2)}, c.arg(3), false); }
void cmd_psetex(Ctx& c) { set_generic(c, "psetex", StringOpts{kPx, c.arg(2)}, c.arg(3), false); }

// ---- GET and friends ----

void cmd_get(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  reply_value(c, t.find(0));
}

void cmd_getset(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.find(0);
  if (reply_value(c, e)) store_string(t, e, c.arg(2), false);
}

void cmd_getdel(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.find(0);
  if (reply_value(c, e) && e) t.erase(0);
}

// GETEX: options first (syntax), then the lookup (nil / WRONGTYPE), then the expire value.
void cmd_getex(Ctx& c) {
  StringOpts o;
  if (!parse_string_opts(c, 2, OptMode::kGetEx, &o)) return;
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.find(0);
  if (!e || !is_string(e)) {
    reply_value(c, e);
    return;
  }
  int64_t when = -1;
  if ((o.flags & kAnyExpire) && !resolve_expire(c, "getex", o, t.now(), &when)) return;
  reply_value(c, e);
  if ((o.flags & (kExAt | kPxAt)) && when <= t.now()) {
    t.erase(0);  // an absolute time already past deletes the key, as Redis does
  } else if (when >= 0) {
    t.set_expire(e, when);
  } else if (o.flags & kPersist) {
    t.clear_expire(e);
  }
}

void cmd_mget(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv.subspan(1));
  c.out.array(t.key_count());
  for (std::size_t i = 0; i < t.key_count(); ++i) {
    Entry* e = t.find(i);
    if (e && is_string(e)) reply_value(c, e);
    else c.out.null();
  }
}

// MSET / MSETNX: keys at odd positions. `nx`: set nothing (reply 0) if any key exists.
void mset_generic(Ctx& c, bool nx) {
  if (c.argc() % 2 == 0) {
    c.out.error(err::wrong_args(nx ? "msetnx" : "mset"));
    return;
  }
  std::vector<std::string_view> keys;
  keys.reserve(c.argc() / 2);
  for (std::size_t j = 1; j < c.argc(); j += 2) keys.push_back(c.arg(j));
  Txn t(c.ks(), c.db(), keys);
  if (nx) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (t.peek(i)) {
        c.out.integer(0);
        return;
      }
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) t.set_string(i, c.arg(2 * i + 2));
  if (nx) c.out.integer(1);
  else c.out.ok();
}

void cmd_mset(Ctx& c) { mset_generic(c, false); }
void cmd_msetnx(Ctx& c) { mset_generic(c, true); }

// ---- INCR family ----

// The integer a string entry holds, if it holds one (Redis's string2ll rules).
bool entry_int(const Entry* e, int64_t* out) {
  if (e->encoding() == Encoding::kInt) {
    *out = e->v.integer;
    return true;
  }
  char buf[24];
  return parse_int64(string_value(e, buf), out);
}

void incr_by(Ctx& c, int64_t by) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.peek(0);
  int64_t v = 0;
  if (e && !is_string(e)) {
    c.out.error(err::kWrongType);
    return;
  }
  if (e && !entry_int(e, &v)) {
    c.out.error(err::kNotInteger);
    return;
  }
  if ((by < 0 && v < 0 && by < kInt64Min - v) || (by > 0 && v > 0 && by > kInt64Max - v)) {
    c.out.error(err::kOverflow);
    return;
  }
  v += by;
  if (e) t.update_integer(e, v);  // keeps the TTL, as Redis's in-place increment does
  else t.set_integer(0, v);
  c.out.integer(v);
}

// Parses argv[2] as an increment, replying the error when it is not an integer.
bool parse_increment(Ctx& c, int64_t* by) {
  if (parse_int64(c.arg(2), by)) return true;
  c.out.error(err::kNotInteger);
  return false;
}

void cmd_incr(Ctx& c) { incr_by(c, 1); }
void cmd_decr(Ctx& c) { incr_by(c, -1); }

void cmd_incrby(Ctx& c) {
  int64_t by;
  if (parse_increment(c, &by)) incr_by(c, by);
}

void cmd_decrby(Ctx& c) {
  int64_t by;
  if (!parse_increment(c, &by)) return;
  if (by == kInt64Min) {
    c.out.error(err::kDecrOverflow);  // -by would overflow
    return;
  }
  incr_by(c, -by);
}

void cmd_incrbyfloat(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.peek(0);
  if (e && !is_string(e)) {
    c.out.error(err::kWrongType);
    return;
  }
  long double v = 0, by;
  char buf[24];
  if ((e && !parse_long_double(string_value(e, buf), &v)) || !parse_long_double(c.arg(2), &by)) {
    c.out.error(err::kNotFloat);
    return;
  }
  v += by;
  if (std::isnan(v) || std::isinf(v)) {
    c.out.error(err::kNanOrInf);
    return;
  }
  std::string s = format_long_double(v);
  if (e) t.update_string(e, s);  // keeps the TTL
  else e = t.set_string(0, s);
  e->set_string_shape(StringShape::kNotInt);
  c.out.bulk(s);
}

// ---- APPEND, STRLEN, ranges ----

void cmd_append(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.peek(0);
  std::string_view add = c.arg(2);
  if (!e) {
    t.set_string(0, add);  // even an empty value creates the key
    c.out.integer(static_cast<int64_t>(add.size()));
    return;
  }
  if (!is_string(e)) {
    c.out.error(err::kWrongType);
    return;
  }
  char buf[24];
  std::size_t old = string_value(e, buf).size();
  if (old + add.size() > max_string_len(c)) {
    c.out.error(err::kStringTooBig);
    return;
  }
  char* p = t.resize_string(e, old + add.size());
  std::memcpy(p + old, add.data(), add.size());
  c.out.integer(static_cast<int64_t>(old + add.size()));
}

void cmd_strlen(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.find(0);
  if (e && !is_string(e)) {
    c.out.error(err::kWrongType);
    return;
  }
  char buf[24];
  c.out.integer(e ? static_cast<int64_t>(string_value(e, buf).size()) : 0);
}

// GETRANGE / SUBSTR: inclusive [start, end], negative indexes from the end, clamped as Redis 7.0 does.
void cmd_getrange(Ctx& c) {
  int64_t start, end;
  if (!parse_int64(c.arg(2), &start) || !parse_int64(c.arg(3), &end)) {
    c.out.error(err::kNotInteger);
    return;
  }
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.find(0);
  if (e && !is_string(e)) {
    c.out.error(err::kWrongType);
    return;
  }
  char buf[24];
  std::string_view s = e ? string_value(e, buf) : std::string_view("");
  auto len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) start = len;  // an inverted range from the end is empty
  if (start < 0) start = std::max<int64_t>(len + start, 0);
  if (end < 0) end = std::max<int64_t>(len + end, 0);
  end = std::min(end, len - 1);
  if (start > end) c.out.bulk("");
  else c.out.bulk(s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1)));
}

// SETRANGE: errors in Redis's order: offset, type, then size (only when something is written).
void cmd_setrange(Ctx& c) {
  int64_t offset;
  if (!parse_int64(c.arg(2), &offset)) {
    c.out.error(err::kNotInteger);
    return;
  }
  if (offset < 0) {
    c.out.error(err::kOffsetRange);
    return;
  }
  std::string_view value = c.arg(3);
  Txn t(c.ks(), c.db(), key1(c));
  Entry* e = t.peek(0);
  if (e && !is_string(e)) {
    c.out.error(err::kWrongType);
    return;
  }
  char buf[24];
  std::size_t old = e ? string_value(e, buf).size() : 0;
  if (value.empty()) {
    c.out.integer(static_cast<int64_t>(old));  // nothing to write; a missing key stays missing
    return;
  }
  uint64_t need = static_cast<uint64_t>(offset) + value.size();
  if (need > max_string_len(c)) {
    c.out.error(err::kStringTooBig);
    return;
  }
  if (!e) e = t.set_string(0, "");
  std::size_t len = std::max<std::size_t>(old, need);
  char* p = t.resize_string(e, len);
  std::memcpy(p + offset, value.data(), value.size());
  c.out.integer(static_cast<int64_t>(len));
}

// ---- The table ----

constexpr uint32_t kRead = kCmdReadOnly;
constexpr uint32_t kReadFast = kCmdReadOnly | kCmdFast;
constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;
constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;

constexpr std::string_view kRangeCost =
    "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned "
    "length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for "
    "small strings.";

const CommandSpec kStringCommands[] = {
    {"get", 2, kReadFast, 1, 1, 1, cmd_get, "string", "Get the value of a key", "1.0.0", "O(1)"},
    {"set", -3, kWriteOom, 1, 1, 1, cmd_set, "string", "Set the string value of a key", "1.0.0", "O(1)"},
    {"setnx", 3, kWriteOomFast, 1, 1, 1, cmd_setnx, "string", "Set the value of a key, only if the key does not exist",
     "1.0.0", "O(1)"},
    {"setex", 4, kWriteOom, 1, 1, 1, cmd_setex, "string", "Set the value and expiration of a key", "2.0.0", "O(1)"},
    {"psetex", 4, kWriteOom, 1, 1, 1, cmd_psetex, "string", "Set the value and expiration in milliseconds of a key",
     "2.6.0", "O(1)"},
    {"getset", 3, kWriteOomFast, 1, 1, 1, cmd_getset, "string", "Set the string value of a key and return its old value",
     "1.0.0", "O(1)"},
    {"getdel", 2, kWriteFast, 1, 1, 1, cmd_getdel, "string", "Get the value of a key and delete the key", "6.2.0",
     "O(1)"},
    {"getex", -2, kWriteFast, 1, 1, 1, cmd_getex, "string", "Get the value of a key and optionally set its expiration",
     "6.2.0", "O(1)"},
    {"mget", -2, kReadFast, 1, -1, 1, cmd_mget, "string", "Get the values of all the given keys", "1.0.0",
     "O(N) where N is the number of keys to retrieve."},
    {"mset", -3, kWriteOom, 1, -1, 2, cmd_mset, "string", "Set multiple keys to multiple values", "1.0.1",
     "O(N) where N is the number of keys to set."},
    {"msetnx", -3, kWriteOom, 1, -1, 2, cmd_msetnx, "string",
     "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1",
     "O(N) where N is the number of keys to set."},
    {"incr", 2, kWriteOomFast, 1, 1, 1, cmd_incr, "string", "Increment the integer value of a key by one", "1.0.0",
     "O(1)"},
    {"decr", 2, kWriteOomFast, 1, 1, 1, cmd_decr, "string", "Decrement the integer value of a key by one", "1.0.0",
     "O(1)"},
    {"incrby", 3, kWriteOomFast, 1, 1, 1, cmd_incrby, "string",
     "Increment the integer value of a key by the given amount", "1.0.0", "O(1)"},
    {"decrby", 3, kWriteOomFast, 1, 1, 1, cmd_decrby, "string",
     "Decrement the integer value of a key by the given number", "1.0.0", "O(1)"},
    {"incrbyfloat", 3, kWriteOomFast, 1, 1, 1, cmd_incrbyfloat, "string",
     "Increment the float value of a key by the given amount", "2.6.0", "O(1)"},
    {"append", 3, kWriteOomFast, 1, 1, 1, cmd_append, "string", "Append a value to a key", "2.0.0",
     "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value "
     "is of any size, since the dynamic string library used by Redis will double the free space available on every "
     "reallocation."},
    {"strlen", 2, kReadFast, 1, 1, 1, cmd_strlen, "string", "Get the length of the value stored in a key", "2.2.0",
     "O(1)"},
    {"getrange", 4, kRead, 1, 1, 1, cmd_getrange, "string", "Get a substring of the string stored at a key", "2.4.0",
     kRangeCost},
    {"substr", 4, kRead, 1, 1, 1, cmd_getrange, "string", "Get a substring of the string stored at a key", "1.0.0",
     kRangeCost},
    {"setrange", 4, kWriteOom, 1, 1, 1, cmd_setrange, "string",
     "Overwrite part of a string at key starting at the specified offset", "2.2.0",
     "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the "
     "amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument."},
    {"lcs", -3, kRead, 1, 2, 1, cmd_lcs, "string", "Find longest common substring", "7.0.0",
     "O(N*M) where N and M are the lengths of s1 and s2, respectively"},
};

}  // namespace

std::span<const CommandSpec> string_commands() { return kStringCommands; }

}  // namespace tally
