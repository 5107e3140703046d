// The sorted-set family, part 2: ZREM, the point reads (ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK),
// the pops (ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP), ZRANDMEMBER and
// ZSCAN. See cmd_zset.cpp for the family's shared rules.
//
// Blocking: try_pop_blocking_keys() serves a blocking pop when one of its keys holds a sorted set and
// reports whether it replied. When it did not, the handler asks the server to park the client
// (Ctx::block_on); the server re-runs the whole command when a write touches one of the keys, so a
// re-run parses the arguments again and either pops or blocks again (the first deadline is kept).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>
#include <vector>

#include "commands.h"
#include "cmd_zset.h"
#include "state.h"
#include "zset.h"

namespace tally {


namespace {

std::span<const std::string_view> key1(const Ctx& c) { return c.argv.subspan(1, 1); }

// ---- Deletes and point reads ----

void cmd_zrem(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (!zset_lookup(c, t, 0, true, &z)) return;
  int64_t deleted = 0;
  for (std::size_t j = 2; z && j < c.argc(); ++j) {
    if (ZPos n = z->find(c.arg(j))) {
      t.log_zrem(0, n.member());
      z->remove(n);
      ++deleted;
    }
    if (z->empty()) {
      t.erase(0);
      break;
    }
  }
  c.out.integer(deleted);
}

void cmd_zscore(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (!zset_lookup(c, t, 0, false, &z)) return;
  ZPos n = z ? z->find(c.arg(2)) : ZPos{};
  if (n) c.out.dbl(n.score());
  else c.out.null();
}

void cmd_zmscore(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (!zset_lookup(c, t, 0, false, &z)) return;
  c.out.array(c.argc() - 2);
  for (std::size_t j = 2; j < c.argc(); ++j) {
    ZPos n = z ? z->find(c.arg(j)) : ZPos{};
    if (n) c.out.dbl(n.score());
    else c.out.null();
  }
}

void cmd_zcard(Ctx& c) {
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (zset_lookup(c, t, 0, false, &z)) c.out.integer(z ? static_cast<int64_t>(z->size()) : 0);
}

void zrank_generic(Ctx& c, bool reverse) {
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (!zset_lookup(c, t, 0, false, &z)) return;
  ZPos n = z ? z->find(c.arg(2)) : ZPos{};
  if (!n) return c.out.null();
  std::size_t rank = z->rank_of(n);
  c.out.integer(static_cast<int64_t>(reverse ? z->size() - 1 - rank : rank));
}

void cmd_zrank(Ctx& c) { zrank_generic(c, false); }
void cmd_zrevrank(Ctx& c) { zrank_generic(c, true); }

// ---- Pops ----

// How a pop reply is laid out (Redis's genericZpopCommand): a flat [member, score, ...] (ZPOPMIN in
// RESP2, or without a count), pairs nested in RESP3 (ZPOPMIN with a count), [key, member, score]
// (BZPOPMIN), or [key, [[member, score], ...]] (ZMPOP, BZMPOP).
enum class PopShape { kFlat, kNested, kKeyFlat, kKeyNested };

// Pops up to `count` members from z (key i of t) at the low end, or the high end when `max`, replies
// them, and deletes the key once it is empty. REQUIRES: z is key i's non-empty set.
void pop_and_reply(Ctx& c, Txn& t, std::size_t i, ZSet* z, bool max, int64_t count, PopShape shape) {
  std::size_t n = std::min<uint64_t>(static_cast<uint64_t>(count), z->size());
  switch (shape) {
    case PopShape::kFlat: c.out.array(2 * n); break;
    case PopShape::kNested: c.out.array(n); break;
    case PopShape::kKeyFlat:
      c.out.array(2 * n + 1);
      c.out.bulk(t.key(i));
      break;
    case PopShape::kKeyNested:
      c.out.array(2);
      c.out.bulk(t.key(i));
      c.out.array(n);
      break;
  }
  bool nested = shape == PopShape::kNested || shape == PopShape::kKeyNested;
  for (std::size_t k = 0; k < n; ++k) {
    ZPos node = max ? z->max() : z->min();
    if (nested) c.out.array(2);
    c.out.bulk(node.member());
    c.out.dbl(node.score());
    t.log_zrem(i, node.member());
    z->remove(node);
  }
  if (z->empty()) t.erase(i);
}

// ZPOPMIN / ZPOPMAX key [count]
void zpop_generic(Ctx& c, bool max) {
  if (c.argc() > 3) return c.out.error(err::kSyntax);
  int64_t count = -1;  // no count: a flat reply of one pair
  if (c.argc() == 3) {
    if (!parse_int64(c.arg(2), &count) || count < 0) return c.out.error(err::kMustBePositive);
  }
  Txn t(c.ks(), c.db(), c.argv.subspan(1, 1));
  ZSet* z;
  if (!zset_lookup(c, t, 0, true, &z)) return;
  if (!z || count == 0) return c.out.array(0);
  PopShape shape = c.out.resp() > 2 && count != -1 ? PopShape::kNested : PopShape::kFlat;
  pop_and_reply(c, t, 0, z, max, count == -1 ? 1 : count, shape);
}

void cmd_zpopmin(Ctx& c) { zpop_generic(c, false); }
void cmd_zpopmax(Ctx& c) { zpop_generic(c, true); }

// Pops from the first of `keys` that holds a sorted set and replies. Returns false, having written
// nothing, when none does; true when it replied (the pop, or WRONGTYPE for the first key of another
// type met before a sorted set). A blocking pop (`fair`) passes over a key that a client blocked
// before it still waits for (BlockRegistry::has_earlier_waiter): that client is served first.
bool try_pop_blocking_keys(Ctx& c, std::span<const std::string_view> keys, bool max, int64_t count, PopShape shape,
                           bool fair) {
  Txn t(c.ks(), c.db(), keys);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ZSet* z;
    if (!zset_lookup(c, t, i, true, &z)) return true;
    if (!z) continue;
    if (fair && c.server.blocking.has_earlier_waiter(keys[i], c.db(), &c.client)) continue;
    pop_and_reply(c, t, i, z, max, count, shape);
    return true;
  }
  return false;
}

// A blocking timeout in seconds, read as Redis 7.0's getTimeoutFromObjectOrReply does: a long double,
// milliseconds rounded up; a value too large for int64 milliseconds counts as negative, as the x86
// conversion makes it in Redis. Sets *deadline to an absolute unix ms, or 0 for "forever".
bool parse_timeout(Ctx& c, std::string_view arg, int64_t* deadline) {
  long double secs;
  if (!parse_long_double(arg, &secs)) {
    c.out.error(err::kTimeoutNotFloat);
    return false;
  }
  long double ms = std::ceil(secs * 1000.0L);
  if (!(ms >= 0 && ms < 9.2e18L)) {
    c.out.error(err::kTimeoutNegative);
    return false;
  }
  int64_t wait = static_cast<int64_t>(ms);
  int64_t now = now_ms();
  *deadline = wait == 0 ? 0 : (wait > INT64_MAX - now ? INT64_MAX : now + wait);
  return true;
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void bzpop_generic(Ctx& c, bool max) {
  int64_t deadline;
  if (!parse_timeout(c, c.arg(c.argc() - 1), &deadline)) return;
  std::span<const std::string_view> keys = c.argv.subspan(1, c.argc() - 2);
  if (!try_pop_blocking_keys(c, keys, max, 1, PopShape::kKeyFlat, true)) c.block_on(keys, deadline);
}

void cmd_bzpopmin(Ctx& c) { bzpop_generic(c, false); }
void cmd_bzpopmax(Ctx& c) { bzpop_generic(c, true); }

struct MpopArgs {
  std::span<const std::string_view> keys;
  bool max = false;
  int64_t count = 1;
};

// numkeys key [key ...] MIN|MAX [COUNT count], from argv[numkeys_idx]; replies the error and returns
// false when malformed.
bool parse_mpop(Ctx& c, std::size_t numkeys_idx, MpopArgs* a) {
  int64_t numkeys;
  if (!parse_int64(c.arg(numkeys_idx), &numkeys) || numkeys < 1) {
    c.out.error(err::kNumkeysPositive);
    return false;
  }
  std::size_t where = numkeys_idx + 1 + static_cast<std::size_t>(std::min<uint64_t>(numkeys, c.argc()));
  if (where >= c.argc() || !(iequals(c.arg(where), "min") || iequals(c.arg(where), "max"))) {
    c.out.error(err::kSyntax);
    return false;
  }
  a->keys = c.argv.subspan(numkeys_idx + 1, static_cast<std::size_t>(numkeys));
  a->max = iequals(c.arg(where), "max");
  bool have_count = false;
  for (std::size_t j = where + 1; j < c.argc(); ++j) {
    if (have_count || !iequals(c.arg(j), "count") || j + 1 == c.argc()) {
      c.out.error(err::kSyntax);
      return false;
    }
    have_count = true;
    if (!parse_int64(c.arg(++j), &a->count) || a->count < 1) {
      c.out.error(err::kCountPositive);
      return false;
    }
  }
  return true;
}

void cmd_zmpop(Ctx& c) {
  MpopArgs a;
  if (!parse_mpop(c, 1, &a)) return;
  if (!try_pop_blocking_keys(c, a.keys, a.max, a.count, PopShape::kKeyNested, false)) c.out.null_array();
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the timeout is checked last, as in Redis.
void cmd_bzmpop(Ctx& c) {
  MpopArgs a;
  int64_t deadline;
  if (!parse_mpop(c, 2, &a) || !parse_timeout(c, c.arg(1), &deadline)) return;
  if (!try_pop_blocking_keys(c, a.keys, a.max, a.count, PopShape::kKeyNested, true)) c.block_on(a.keys, deadline);
}

// ---- ZRANDMEMBER ----

// A uniformly chosen index below n (n > 0).
std::size_t random_below(std::size_t n) { return static_cast<std::size_t>(random_bits() % n); }

// `count` distinct random ranks below `size` (count < size), in random order.
std::vector<std::size_t> distinct_ranks(std::size_t size, std::size_t count) {
  std::vector<std::size_t> out;
  if (count * 3 > size) {  // a large share: shuffle the front of all ranks
    out.resize(size);
    std::iota(out.begin(), out.end(), std::size_t{0});
    for (std::size_t i = 0; i < count; ++i)
      std::swap(out[i], out[i + random_below(size - i)]);
    out.resize(count);
    return out;
  }
  std::unordered_set<std::size_t> seen;
  while (out.size() < count) {
    std::size_t r = random_below(size);
    if (seen.insert(r).second) out.push_back(r);
  }
  return out;
}

// Replies ZRANDMEMBER's members: with repetitions when `count` is negative, else distinct; asking for
// at least the whole set returns it in Redis's order (highest score first).
void reply_random_members(ReplyWriter& out, const ZSet& z, int64_t count, bool withscores) {
  // A compact set finds a rank by walking, so its members are listed once up front instead.
  std::vector<ZPos> listed;
  if (z.compact() && count != 1 && static_cast<uint64_t>(count) < z.size())
    for (ZPos p = z.min(); p; p = z.next(p)) listed.push_back(p);
  auto at = [&](std::size_t rank) { return listed.empty() ? z.at_rank(rank) : listed[rank]; };
  if (count < 0 || count == 1) {
    uint64_t n = count < 0 ? 0 - static_cast<uint64_t>(count) : 1;
    reply_members_header(out, n, withscores);
    for (uint64_t i = 0; i < n; ++i) {
      ZPos p = at(random_below(z.size()));
      reply_member(out, p.member(), p.score(), withscores);
    }
  } else if (static_cast<uint64_t>(count) >= z.size()) {
    reply_members_header(out, z.size(), withscores);
    for (ZPos p = z.max(); p; p = z.prev(p)) reply_member(out, p.member(), p.score(), withscores);
  } else {
    std::vector<std::size_t> ranks = distinct_ranks(z.size(), static_cast<std::size_t>(count));
    reply_members_header(out, ranks.size(), withscores);
    for (std::size_t r : ranks) {
      ZPos p = at(r);
      reply_member(out, p.member(), p.score(), withscores);
    }
  }
}

// ZRANDMEMBER key count [WITHSCORES]: the count's range, the syntax, then the key.
void zrandmember_count(Ctx& c) {
  int64_t count;
  if (!parse_int64(c.arg(2), &count)) return c.out.error(err::kNotInteger);
  if (count == INT64_MIN) return c.out.error(err::kCountRange);
  if (c.argc() > 4 || (c.argc() == 4 && !iequals(c.arg(3), "withscores"))) return c.out.error(err::kSyntax);
  bool withscores = c.argc() == 4;
  if (withscores && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) return c.out.error(err::kOutOfRange);
  Txn t(c.ks(), c.db(), c.argv.subspan(1, 1));
  ZSet* z;
  if (!zset_lookup(c, t, 0, false, &z)) return;
  if (!z || count == 0) return c.out.array(0);
  reply_random_members(c.out, *z, count, withscores);
}

void cmd_zrandmember(Ctx& c) {
  if (c.argc() >= 3) return zrandmember_count(c);
  Txn t(c.ks(), c.db(), c.argv.subspan(1, 1));
  ZSet* z;
  if (!zset_lookup(c, t, 0, false, &z)) return;
  if (z) c.out.bulk(z->at_rank(random_below(z->size())).member());
  else c.out.null();
}

// ---- ZSCAN ----

// COUNT and MATCH, in pairs. Replies the error and returns false when malformed.
bool parse_zscan_options(Ctx& c, std::string_view* pattern, int64_t* count) {
  for (std::size_t i = 3; i < c.argc(); i += 2) {
    bool has_value = i + 1 < c.argc();
    if (has_value && iequals(c.arg(i), "count")) {
      if (!parse_int64(c.arg(i + 1), count)) {
        c.out.error(err::kNotInteger);
        return false;
      }
      if (*count < 1) {
        c.out.error(err::kSyntax);
        return false;
      }
    } else if (has_value && iequals(c.arg(i), "match")) {
      *pattern = c.arg(i + 1);
    } else {
      c.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]. Scores are bulk strings, in RESP3 too.
// A score as ZSCAN shows a compact set's: Redis returns the text its listpack stores, which holds an
// integral score between -2^62 and 2^62 as an integer (1.2345678901234568e+17 reads
// 123456789012345680, -0 reads 0) and any other as %.17g, as ZSCAN shows a tree-form set's.
std::string listpack_score_text(double v) {
  constexpr double kIntegerLimit = 4611686018427387904.0;  // 2^62: LLONG_MAX / 2 as a double
  if (v >= -kIntegerLimit && v <= kIntegerLimit && v == std::trunc(v)) {
    char buf[24];
    return {buf, format_int64(static_cast<int64_t>(v), buf)};
  }
  return format_double(v);
}

void cmd_zscan(Ctx& c) {
  uint64_t cursor;
  if (!parse_cursor(c.arg(2), &cursor)) return c.out.error(err::kInvalidCursor);
  Txn t(c.ks(), c.db(), c.argv.subspan(1, 1));
  ZSet* z;
  if (!zset_lookup(c, t, 0, false, &z)) return;
  std::string_view pattern = "*";
  int64_t count = 10;
  if (z && !parse_zscan_options(c, &pattern, &count)) return;
  std::vector<ZPos> found;
  uint64_t next = 0;
  if (z) {
    // As Redis bounds its own loop: stop after `count` members or count*10 bucket steps. A compact
    // set answers whole in the first step, with cursor 0.
    int64_t visited = 0, steps = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
    next = cursor;
    do {
      next = z->scan(next, [&](const ZPos& p) {
        ++visited;
        if (pattern == "*" || glob_match(pattern, p.member())) found.push_back(p);
      });
    } while (next != 0 && visited < count && --steps > 0);
  }
  char buf[24];
  c.out.array(2);
  c.out.bulk({buf, format_int64(static_cast<int64_t>(next), buf)});
  c.out.array(2 * found.size());
  const bool compact = z && z->encoding() == Encoding::kListpack;
  for (const ZPos& p : found) {
    c.out.bulk(p.member());
    c.out.bulk(compact ? listpack_score_text(p.score()) : format_double(p.score()));
  }
}

// ---- The table ----

constexpr uint32_t kRead = kCmdReadOnly;
constexpr uint32_t kReadFast = kCmdReadOnly | kCmdFast;
constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
constexpr uint32_t kBlockingFast = kCmdWrite | kCmdNoScript | kCmdBlocking | kCmdFast;

constexpr std::string_view kPopCost =
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";
constexpr std::string_view kMpopCost =
    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, "
    "and M being the number of elements popped.";

const CommandSpec kPopCommands[] = {
    {"zrem", -3, kWriteFast, 1, 1, 1, cmd_zrem, "sorted-set", "Remove one or more members from a sorted set", "1.2.0",
     "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed."},
    {"zscore", 3, kReadFast, 1, 1, 1, cmd_zscore, "sorted-set",
     "Get the score associated with the given member in a sorted set", "1.2.0", "O(1)"},
    {"zmscore", -3, kReadFast, 1, 1, 1, cmd_zmscore, "sorted-set",
     "Get the score associated with the given members in a sorted set", "6.2.0",
     "O(N) where N is the number of members being requested."},
    {"zcard", 2, kReadFast, 1, 1, 1, cmd_zcard, "sorted-set", "Get the number of members in a sorted set", "1.2.0",
     "O(1)"},
    {"zrank", 3, kReadFast, 1, 1, 1, cmd_zrank, "sorted-set", "Determine the index of a member in a sorted set",
     "2.0.0", "O(log(N))"},
    {"zrevrank", 3, kReadFast, 1, 1, 1, cmd_zrevrank, "sorted-set",
     "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0", "O(log(N))"},
    {"zpopmin", -2, kWriteFast, 1, 1, 1, cmd_zpopmin, "sorted-set",
     "Remove and return members with the lowest scores in a sorted set", "5.0.0", kPopCost},
    {"zpopmax", -2, kWriteFast, 1, 1, 1, cmd_zpopmax, "sorted-set",
     "Remove and return members with the highest scores in a sorted set", "5.0.0", kPopCost},
    {"zmpop", -4, kCmdWrite | kCmdMovableKeys, 0, 0, 0, cmd_zmpop, "sorted-set",
     "Remove and return members with scores in a sorted set", "7.0.0", kMpopCost},
    {"bzpopmin", -3, kBlockingFast, 1, -2, 1, cmd_bzpopmin, "sorted-set",
     "Remove and return the member with the lowest score from one or more sorted sets, or block until one is "
     "available",
     "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."},
    {"bzpopmax", -3, kBlockingFast, 1, -2, 1, cmd_bzpopmax, "sorted-set",
     "Remove and return the member with the highest score from one or more sorted sets, or block until one is "
     "available",
     "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."},
    {"bzmpop", -5, kCmdWrite | kCmdBlocking | kCmdMovableKeys, 0, 0, 0, cmd_bzmpop, "sorted-set",
     "Remove and return members with scores in a sorted set or block until one is available", "7.0.0", kMpopCost},
    {"zrandmember", -2, kRead, 1, 1, 1, cmd_zrandmember, "sorted-set",
     "Get one or multiple random elements from a sorted set", "6.2.0",
     "O(N) where N is the number of elements returned"},
    {"zscan", -3, kRead, 1, 1, 1, cmd_zscan, "sorted-set",
     "Incrementally iterate sorted sets elements and associated scores", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return "
     "back to 0. N is the number of elements inside the collection.."},
};

}  // namespace

std::span<const CommandSpec> zset_pop_commands() { return kPopCommands; }

}  // namespace tally
