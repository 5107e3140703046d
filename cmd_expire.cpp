// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX|XX|GT|LT), TTL, PTTL, PERSIST,
// EXPIRETIME, PEXPIRETIME.
//
// Times are absolute milliseconds since the epoch once parsed; relative forms add the Txn's clock, so
// one command makes every expiry decision against one "now". Following Redis 7.0, a time at or before
// now deletes the key (and still answers 1), and arithmetic that would overflow int64 is refused with
// "invalid expire time" before the key is looked at. None of these handlers allocates on success.
#include <cstdint>
#include <string>
#include <string_view>

#include "commands.h"
#include "db.h"
#include "errors.h"

namespace tally {
namespace {


enum ExpireFlag : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// Parses the optional NX|XX|GT|LT arguments (from index 3) into a mask of ExpireFlag.
bool parse_expire_flags(Ctx& c, unsigned* flags) {
  for (std::size_t j = 3; j < c.argc(); ++j) {
    const std::string_view opt = c.arg(j);
    if (iequals(opt, "nx")) *flags |= kNx;
    else if (iequals(opt, "xx")) *flags |= kXx;
    else if (iequals(opt, "gt")) *flags |= kGt;
    else if (iequals(opt, "lt")) *flags |= kLt;
    else {
      c.out.error(err::unsupported_option(opt));
      return false;
    }
  }
  if ((*flags & kNx) && (*flags & (kXx | kGt | kLt))) {
    c.out.error(err::kExpireFlags);
    return false;
  }
  if ((*flags & kGt) && (*flags & kLt)) {
    c.out.error(err::kGtLt);
    return false;
  }
  return true;
}

// Whether the flags let a key whose expiry is `current` (-1: none) take the new time `when`.
// GT/LT treat "no expiry" as infinite: GT never wins against it, LT always does.
bool flags_allow(unsigned flags, int64_t current, int64_t when) {
  if ((flags & kNx) && current != -1) return false;
  if ((flags & kXx) && current == -1) return false;
  if ((flags & kGt) && (current == -1 || when <= current)) return false;
  if ((flags & kLt) && current != -1 && when >= current) return false;
  return true;
}

// EXPIRE family: `name` for error texts, `base_is_now` for the relative forms, `seconds` for the forms
// counted in seconds.
void expire_generic(Ctx& c, std::string_view name, bool base_is_now, bool seconds) {
  unsigned flags = 0;
  if (!parse_expire_flags(c, &flags)) return;
  int64_t when;
  if (!parse_int64(c.arg(2), &when)) return c.out.error(err::kNotInteger);
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return c.out.error(err::invalid_expire(name));
    when *= 1000;
  }
  Txn t(c.ks(), c.db(), c.argv[1]);
  const int64_t base = base_is_now ? t.now() : 0;
  if (when > INT64_MAX - base) return c.out.error(err::invalid_expire(name));
  when += base;
  Entry* e = t.peek(0);
  if (!e) return c.out.integer(0);
  if (flags && !flags_allow(flags, t.expire_of(e), when)) return c.out.integer(0);
  if (when <= t.now()) {
    (void)t.erase(0);
  } else {
    t.set_expire(e, when);
  }
  c.out.integer(1);
}

void cmd_expire(Ctx& c) { expire_generic(c, "expire", true, true); }
void cmd_pexpire(Ctx& c) { expire_generic(c, "pexpire", true, false); }
void cmd_expireat(Ctx& c) { expire_generic(c, "expireat", false, true); }
void cmd_pexpireat(Ctx& c) { expire_generic(c, "pexpireat", false, false); }

// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 missing, -1 no expiry, else the time left (or, when
// `absolute`, the expiry time itself); seconds are rounded to the nearest, as Redis does.
void ttl_generic(Ctx& c, bool ms, bool absolute) {
  Txn t(c.ks(), c.db(), c.argv[1]);
  const Entry* e = t.probe(0);
  if (!e) return c.out.integer(-2);
  const int64_t when = t.expire_of(e);
  if (when == -1) return c.out.integer(-1);
  const int64_t v = absolute ? when : (when > t.now() ? when - t.now() : 0);
  c.out.integer(ms ? v : (v + 500) / 1000);
}

void cmd_ttl(Ctx& c) { ttl_generic(c, false, false); }
void cmd_pttl(Ctx& c) { ttl_generic(c, true, false); }
void cmd_expiretime(Ctx& c) { ttl_generic(c, false, true); }
void cmd_pexpiretime(Ctx& c) { ttl_generic(c, true, true); }

void cmd_persist(Ctx& c) {
  Txn t(c.ks(), c.db(), c.argv[1]);
  Entry* e = t.peek(0);
  if (!e || !e->has_ttl()) return c.out.integer(0);
  t.clear_expire(e);
  c.out.integer(1);
}

constexpr uint32_t kWF = kCmdWrite | kCmdFast;
constexpr uint32_t kRF = kCmdReadOnly | kCmdFast;

constexpr CommandSpec kExpireCommands[] = {
    {"expire", -3, kWF, 1, 1, 1, cmd_expire, "generic", "Set a key's time to live in seconds", "1.0.0", "O(1)", {}},
    {"pexpire", -3, kWF, 1, 1, 1, cmd_pexpire, "generic", "Set a key's time to live in milliseconds", "2.6.0", "O(1)",
     {}},
    {"expireat", -3, kWF, 1, 1, 1, cmd_expireat, "generic", "Set the expiration for a key as a UNIX timestamp",
     "1.2.0", "O(1)", {}},
    {"pexpireat", -3, kWF, 1, 1, 1, cmd_pexpireat, "generic",
     "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "O(1)", {}},
    {"ttl", 2, kRF, 1, 1, 1, cmd_ttl, "generic", "Get the time to live for a key in seconds", "1.0.0", "O(1)", {}},
    {"pttl", 2, kRF, 1, 1, 1, cmd_pttl, "generic", "Get the time to live for a key in milliseconds", "2.6.0", "O(1)",
     {}},
    {"persist", 2, kWF, 1, 1, 1, cmd_persist, "generic", "Remove the expiration from a key", "2.2.0", "O(1)", {}},
    {"expiretime", 2, kRF, 1, 1, 1, cmd_expiretime, "generic", "Get the expiration Unix timestamp for a key", "7.0.0",
     "O(1)", {}},
    {"pexpiretime", 2, kRF, 1, 1, 1, cmd_pexpiretime, "generic",
     "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "O(1)", {}},
};

}  // namespace

std::span<const CommandSpec> expire_commands() { return kExpireCommands; }

}  // namespace tally
