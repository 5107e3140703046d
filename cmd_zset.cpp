// The sorted-set family, part 1: the helpers the family shares, ZADD/ZINCRBY, the counts (ZCOUNT,
// ZLEXCOUNT), every range read (ZRANGE and its BYSCORE/BYLEX/REV forms, ZRANGESTORE, the deprecated
// Z[REV]RANGEBY* commands), the range deletes (ZREMRANGEBY*) and zset_commands(). Part 2
// (cmd_zset2.cpp) has ZREM, the point reads, the pops, ZRANDMEMBER and ZSCAN; part 3 (cmd_zset3.cpp)
// the set algebra (ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD). Each part keeps its own
// table rows; the helpers they share are declared again at the top of parts 2 and 3.
//
// Every range becomes a Run: a first node, a direction and a length, found with O(log n) seeks and
// rank arithmetic on the tree (zset.h), so LIMIT offsets, ZCOUNT and ZREVRANK never walk the set.
// (The one exception is a lex range over members with different scores, which Redis leaves
// unspecified: it is walked the way Redis walks a small set; see mixed_lex_run.)
// Redis's argument-checking order is kept: options, then ranges and scores, then the key lookup and
// its type check. A sorted set that a command empties is deleted as a key; a command never leaves an
// empty one behind. A score of -0 is kept where Redis keeps it, in a tree-form set, and is 0 in a
// compact one (zset.h); replies of computed scores (ZINCRBY, ZUNION) print them as computed.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "cmd_zset.h"
#include "zset.h"

namespace tally {

// ---- Shared with cmd_zset2.cpp and cmd_zset3.cpp (declared in cmd_zset.h) ----

// The sorted set at key i: read lookups count keyspace hits (find), writes do not (peek). Returns false,
// having replied WRONGTYPE, when the key holds another type; otherwise *out is the set or null.
bool zset_lookup(Ctx& c, Txn& t, std::size_t i, bool write, ZSet** out) {
  Entry* e = write ? t.peek(i) : t.find(i);
  *out = nullptr;
  if (!e) return true;
  if (e->value_type() != ValueType::kZSet) {
    c.out.error(err::kWrongType);
    return false;
  }
  *out = object_as<ZSet>(e);
  return true;
}

// Replaces key i with `z`, or deletes key i when z is empty (Redis never stores an empty set). A
// tree that fits the limits is stored compact, as Redis converts the sets its store commands build.
void zset_store(Txn& t, std::size_t i, ZSet&& z) {
  t.erase(i);
  if (z.empty()) return;
  z.compact_if_fits();
  t.set_object<ZSet>(i, ValueType::kZSet, std::move(z));
}


// Array header for n members, with scores when `withscores`: RESP2 flattens member/score pairs,
// RESP3 nests each pair (reply_member then writes the pair's own header).
void reply_members_header(ReplyWriter& out, std::size_t n, bool withscores) {
  out.array(withscores && out.resp() == 2 ? 2 * n : n);
}

void reply_member(ReplyWriter& out, std::string_view member, double score, bool withscores) {
  if (withscores && out.resp() > 2) out.array(2);
  out.bulk(member);
  if (withscores) out.dbl(score);
}

namespace {

std::span<const std::string_view> key1(const Ctx& c) { return c.argv.subspan(1, 1); }

// ---- Score and lex ranges ----

struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
};

// One end of a score range as Redis's zslParseRange reads it: an optional '(' (exclusive), then strtod
// over the rest, which must be consumed (leading spaces, hex, "" and overflow to +-inf are accepted);
// NaN is refused.
bool parse_score_bound(std::string_view arg, double* v, bool* exclusive) {
  *exclusive = !arg.empty() && arg[0] == '(';
  std::string s(arg.substr(*exclusive ? 1 : 0));
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

bool parse_score_range(Ctx& c, std::string_view min, std::string_view max, ScoreRange* r) {
  if (parse_score_bound(min, &r->min, &r->minex) && parse_score_bound(max, &r->max, &r->maxex)) return true;
  c.out.error(err::kMinMaxNotFloat);
  return false;
}

// One end of a lex range: "-" and "+" are the infinities, "[x" inclusive, "(x" exclusive.
struct LexBound {
  std::string_view value;
  bool exclusive = false;
  int inf = 0;  // -1 for "-", +1 for "+", 0 for a value
};

bool parse_lex_bound(std::string_view arg, LexBound* b) {
  if (arg == "-" || arg == "+") {
    b->inf = arg == "-" ? -1 : 1;
    return true;
  }
  if (arg.empty() || (arg[0] != '[' && arg[0] != '(')) return false;
  b->exclusive = arg[0] == '(';
  b->value = arg.substr(1);
  return true;
}

struct LexRange {
  LexBound min, max;
};

bool parse_lex_range(Ctx& c, std::string_view min, std::string_view max, LexRange* r) {
  if (parse_lex_bound(min, &r->min) && parse_lex_bound(max, &r->max)) return true;
  c.out.error(err::kLexRange);
  return false;
}

// ---- Runs: a stretch of consecutive members ----

// `count` members in order starting at `first`, walking down (towards lower scores) when `reverse`.
struct Run {
  ZPos first;
  std::size_t count = 0;
  bool reverse = false;
};

// Calls fn(const ZPos&) for each member of the run. fn must not change the set.
template <class Fn>
void for_each_in_run(const ZSet& z, const Run& run, Fn&& fn) {
  ZPos p = run.first;
  for (std::size_t i = 0; i < run.count && p; ++i) {
    fn(p);
    p = run.reverse ? z.prev(p) : z.next(p);
  }
}

// The run of ranks [start, end] (Redis indexes: negative counts from the end), ascending or, when
// `reverse`, ranks counted from the highest score.
Run rank_run(const ZSet& z, int64_t start, int64_t end, bool reverse) {
  const int64_t len = static_cast<int64_t>(z.size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return {};
  if (end >= len) end = len - 1;
  std::size_t first = static_cast<std::size_t>(reverse ? len - 1 - start : start);
  return {z.at_rank(first), static_cast<std::size_t>(end - start + 1), reverse};
}

// The run between two inclusive ends (lo <= hi in order; either none means empty), narrowed by a
// LIMIT: a negative offset selects nothing and a negative count means "all the rest", as in Redis.
Run bounded_run(const ZSet& z, const ZPos& lo, const ZPos& hi, bool reverse, int64_t offset, int64_t limit) {
  if (!lo || !hi || offset < 0) return {};
  std::size_t lo_rank = z.rank_of(lo), hi_rank = z.rank_of(hi);
  if (lo_rank > hi_rank) return {};
  std::size_t total = hi_rank - lo_rank + 1;
  if (static_cast<uint64_t>(offset) >= total) return {};
  std::size_t n = total - static_cast<std::size_t>(offset);
  if (limit >= 0) n = std::min<std::size_t>(n, static_cast<uint64_t>(limit));
  if (n == 0) return {};
  ZPos first = reverse ? z.offset(hi, -offset) : z.offset(lo, offset);
  return {first, n, reverse};
}

Run score_run(const ZSet& z, const ScoreRange& r, bool reverse, int64_t offset = 0, int64_t limit = -1) {
  return bounded_run(z, z.first_in_score(r.min, r.minex), z.last_in_score(r.max, r.maxex), reverse, offset, limit);
}

ZPos lex_first(const ZSet& z, const LexBound& b) {
  if (b.inf) return b.inf < 0 ? z.min() : ZPos{};
  return z.first_in_lex(b.value, b.exclusive);
}

ZPos lex_last(const ZSet& z, const LexBound& b) {
  if (b.inf) return b.inf > 0 ? z.max() : ZPos{};
  return z.last_in_lex(b.value, b.exclusive);
}

bool lex_above_min(std::string_view m, const LexBound& b) {
  if (b.inf) return b.inf < 0;
  int cmp = zset_member_cmp(m, b.value);
  return b.exclusive ? cmp > 0 : cmp >= 0;
}

bool lex_below_max(std::string_view m, const LexBound& b) {
  if (b.inf) return b.inf > 0;
  int cmp = zset_member_cmp(m, b.value);
  return b.exclusive ? cmp < 0 : cmp <= 0;
}

// Whether min <= max as Redis's sdscmplex orders bounds ("-" and "+" count as exclusive).
bool lex_range_nonempty(const LexRange& r) {
  int cmp;
  if (r.min.inf && r.min.inf == r.max.inf) cmp = 0;
  else if (r.min.inf < 0 || r.max.inf > 0) cmp = -1;
  else if (r.min.inf > 0 || r.max.inf < 0) cmp = 1;
  else cmp = zset_member_cmp(r.min.value, r.max.value);
  bool exclusive = r.min.inf || r.max.inf || r.min.exclusive || r.max.exclusive;
  return cmp < 0 || (cmp == 0 && !exclusive);
}

// A lex range over members whose scores differ, which Redis leaves unspecified. This is what Redis's
// listpack encoding (every small sorted set) does: walk from the low end (the high end when `reverse`)
// to the first member past the near bound, skip `offset` members unchecked, then take members while
// they are within the far bound. O(n), but only for this misuse.
Run mixed_lex_run(const ZSet& z, const LexRange& r, bool reverse, int64_t offset, int64_t limit) {
  if (offset < 0 || !lex_range_nonempty(r) || !lex_above_min(z.max().member(), r.min) ||
      !lex_below_max(z.min().member(), r.max)) {
    return {};
  }
  auto near_ok = [&](const ZPos& p) { return reverse ? lex_below_max(p.member(), r.max) : lex_above_min(p.member(), r.min); };
  auto far_ok = [&](const ZPos& p) { return reverse ? lex_above_min(p.member(), r.min) : lex_below_max(p.member(), r.max); };
  auto step = [&](const ZPos& p) { return reverse ? z.prev(p) : z.next(p); };
  ZPos n = reverse ? z.max() : z.min();
  while (n && !near_ok(n)) n = step(n);
  if (!n || !far_ok(n)) return {};
  n = z.offset(n, reverse ? -offset : offset);
  std::size_t count = 0;
  for (ZPos m = n; m && far_ok(m) && (limit < 0 || count < static_cast<uint64_t>(limit)); m = step(m)) ++count;
  return {n, count, reverse};
}

// Lex ranges are O(log n) seeks when all scores are equal (the intended use), else mixed_lex_run.
Run lex_run(const ZSet& z, const LexRange& r, bool reverse, int64_t offset = 0, int64_t limit = -1) {
  if (z.min().score() != z.max().score()) return mixed_lex_run(z, r, reverse, offset, limit);
  return bounded_run(z, lex_first(z, r.min), lex_last(z, r.max), reverse, offset, limit);
}

void reply_run(ReplyWriter& out, const ZSet* z, const Run& run, bool withscores) {
  reply_members_header(out, run.count, withscores);
  if (z) for_each_in_run(*z, run, [&](const ZPos& p) { reply_member(out, p.member(), p.score(), withscores); });
}

// ---- ZADD / ZINCRBY ----

enum ZaddFlag : unsigned { kZNx = 1, kZXx = 2, kZGt = 4, kZLt = 8, kZIncr = 16, kZCh = 32 };

struct AddOutcome {
  bool added = false, updated = false, nop = false;
  double score = 0;  // the member's score afterwards (when not nop)
};

// Redis's zsetAdd: adds or updates one member under the NX/XX/GT/LT/INCR rules. Returns false when
// INCR would make the score NaN (nothing changes then).
bool zset_add(ZSet& z, std::string_view member, double score, unsigned flags, AddOutcome* out) {
  ZPos n = z.find(member);
  if (!n) {
    if (flags & kZXx) {
      out->nop = true;
      return true;
    }
    z.insert(member, score);
    out->added = true;
    out->score = score;
    return true;
  }
  if (flags & kZNx) {
    out->nop = true;
    return true;
  }
  if (flags & kZIncr) {
    score += n.score();
    if (std::isnan(score)) return false;
  }
  if (((flags & kZLt) && score >= n.score()) || ((flags & kZGt) && score <= n.score())) {
    out->nop = true;
    return true;
  }
  out->score = score;
  if (score != n.score()) {
    z.update_score(n, score);
    out->updated = true;
  }
  return true;
}

unsigned zadd_option(std::string_view a) {
  static constexpr std::pair<std::string_view, unsigned> kNames[] = {
      {"nx", kZNx}, {"xx", kZXx}, {"gt", kZGt}, {"lt", kZLt}, {"incr", kZIncr}, {"ch", kZCh}};
  for (const auto& [name, flag] : kNames)
    if (iequals(a, name)) return flag;
  return 0;
}

// Checks the options and the pair count; replies the error and returns false when they are invalid.
bool check_zadd_flags(Ctx& c, unsigned flags, std::size_t pair_args) {
  if (pair_args == 0 || pair_args % 2) {
    c.out.error(err::kSyntax);
  } else if ((flags & kZNx) && (flags & kZXx)) {
    c.out.error(err::kXxNx);
  } else if ((flags & kZNx && flags & (kZGt | kZLt)) || ((flags & kZGt) && (flags & kZLt))) {
    c.out.error(err::kZaddFlags);
  } else if ((flags & kZIncr) && pair_args > 2) {
    c.out.error(err::kZaddIncrPair);
  } else {
    return true;
  }
  return false;
}

// ZADD and ZINCRBY (which is ZADD INCR; its increment is read through the same option loop, as in Redis).
void zadd_generic(Ctx& c, unsigned flags) {
  std::size_t idx = 2;
  for (unsigned f; idx < c.argc() && (f = zadd_option(c.arg(idx))) != 0; ++idx) flags |= f;
  if (!check_zadd_flags(c, flags, c.argc() - idx)) return;
  // Every score is parsed before anything changes, as Redis does; a few pairs need no allocation.
  const std::size_t pairs = (c.argc() - idx) / 2;
  double inline_scores[8];
  std::vector<double> heap_scores(pairs > 8 ? pairs : 0);
  std::span<double> scores(pairs > 8 ? heap_scores.data() : inline_scores, pairs);
  for (std::size_t j = 0; j < pairs; ++j) {
    if (!parse_double(c.arg(idx + 2 * j), &scores[j])) return c.out.error(err::kNotFloat);
  }
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (!zset_lookup(c, t, 0, true, &z)) return;
  if (!z && !(flags & kZXx)) {
    z = object_as<ZSet>(t.set_object<ZSet>(0, ValueType::kZSet));
  }
  int64_t added = 0, updated = 0, processed = 0;
  AddOutcome last;
  for (std::size_t j = 0; z && j < scores.size(); ++j) {
    last = AddOutcome{};
    if (!zset_add(*z, c.arg(idx + 2 * j + 1), scores[j], flags, &last)) {
      return c.out.error(err::kScoreNan);
    }
    if (last.added || last.updated) t.log_zadd(0, c.arg(idx + 2 * j + 1), last.score);
    added += last.added;
    updated += last.updated;
    processed += !last.nop;
  }
  if (!(flags & kZIncr)) return c.out.integer((flags & kZCh) ? added + updated : added);
  if (processed) c.out.dbl(last.score);
  else c.out.null();
}

void cmd_zadd(Ctx& c) { zadd_generic(c, 0); }
void cmd_zincrby(Ctx& c) { zadd_generic(c, kZIncr); }

void cmd_zcount(Ctx& c) {
  ScoreRange r;
  if (!parse_score_range(c, c.arg(2), c.arg(3), &r)) return;
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (zset_lookup(c, t, 0, false, &z)) c.out.integer(z ? static_cast<int64_t>(score_run(*z, r, false).count) : 0);
}

void cmd_zlexcount(Ctx& c) {
  LexRange r;
  if (!parse_lex_range(c, c.arg(2), c.arg(3), &r)) return;
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (zset_lookup(c, t, 0, false, &z)) c.out.integer(z ? static_cast<int64_t>(lex_run(*z, r, false).count) : 0);
}

// ---- ZRANGE and friends ----

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

struct RangeRequest {
  RangeType type;
  Direction dir;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  int64_t start = 0, end = 0;  // kRank
  ScoreRange score = {};       // kScore
  LexRange lex = {};           // kLex
};

// Options after <src> <min> <max>, as Redis's zrangeGenericCommand reads them: BYSCORE/BYLEX/REV only
// where the command leaves them open, WITHSCORES only when not storing, LIMIT with two integers.
bool parse_range_options(Ctx& c, std::size_t src, bool store, RangeRequest* r) {
  for (std::size_t j = src + 3; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    if (!store && iequals(a, "withscores")) {
      r->withscores = true;
    } else if (iequals(a, "limit") && c.argc() - j - 1 >= 2) {
      if (!parse_int64(c.arg(j + 1), &r->offset) || !parse_int64(c.arg(j + 2), &r->limit)) {
        c.out.error(err::kNotInteger);
        return false;
      }
      j += 2;
    } else if (r->dir == Direction::kAuto && iequals(a, "rev")) {
      r->dir = Direction::kReverse;
    } else if (r->type == RangeType::kAuto && (iequals(a, "bylex") || iequals(a, "byscore"))) {
      r->type = iequals(a, "bylex") ? RangeType::kLex : RangeType::kScore;
    } else {
      c.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// Parses everything ZRANGE-like commands take; replies the error and returns false on a bad argument.
bool parse_range_request(Ctx& c, std::size_t src, bool store, RangeRequest* r) {
  if (!parse_range_options(c, src, store, r)) return false;
  if (r->dir == Direction::kAuto) r->dir = Direction::kForward;
  if (r->type == RangeType::kAuto) r->type = RangeType::kRank;
  if (r->limit != -1 && r->type == RangeType::kRank) {
    c.out.error(err::kLimitNeedsBy);
    return false;
  }
  if (r->withscores && r->type == RangeType::kLex) {
    c.out.error(err::kWithscoresBylex);
    return false;
  }
  bool swap = r->dir == Direction::kReverse && r->type != RangeType::kRank;  // given as <max> <min>
  std::string_view lo = c.arg(src + (swap ? 2 : 1)), hi = c.arg(src + (swap ? 1 : 2));
  switch (r->type) {
    case RangeType::kScore: return parse_score_range(c, lo, hi, &r->score);
    case RangeType::kLex: return parse_lex_range(c, lo, hi, &r->lex);
    default:
      if (parse_int64(lo, &r->start) && parse_int64(hi, &r->end)) return true;
      c.out.error(err::kNotInteger);
      return false;
  }
}

Run resolve_range(const ZSet& z, const RangeRequest& r) {
  bool reverse = r.dir == Direction::kReverse;
  switch (r.type) {
    case RangeType::kScore: return score_run(z, r.score, reverse, r.offset, r.limit);
    case RangeType::kLex: return lex_run(z, r.lex, reverse, r.offset, r.limit);
    default: return rank_run(z, r.start, r.end, reverse);
  }
}

// ZRANGESTORE's write: the run copied into a fresh set at key 0 (the source may be the same key).
void store_run(Ctx& c, Txn& t, const ZSet* z, const Run& run) {
  ZSet dst;
  // As Redis, a run too long for the compact form is a tree from its first member (so a -0 score
  // stays -0); a shorter one starts compact and converts only if a member is too long for it.
  if (run.count > zset_limits().entries) dst.convert_to_tree();
  if (z) for_each_in_run(*z, run, [&](const ZPos& p) { dst.insert(p.member(), p.score()); });
  c.out.integer(static_cast<int64_t>(dst.size()));
  zset_store(t, 0, std::move(dst));
}

// Every ZRANGE-like command. `src` is the argv index of the source key; with `store`, argv[1] is the
// destination. A fixed type or direction (ZREVRANGE, ZRANGEBYSCORE...) makes that option a syntax error.
void zrange_generic(Ctx& c, std::size_t src, bool store, RangeType type, Direction dir) {
  RangeRequest r{type, dir};
  if (!parse_range_request(c, src, store, &r)) return;
  Txn t(c.ks(), c.db(), c.argv.subspan(1, src));
  ZSet* z;
  if (!zset_lookup(c, t, src - 1, false, &z)) return;
  Run run = z ? resolve_range(*z, r) : Run{};
  if (store) return store_run(c, t, z, run);
  reply_run(c.out, z, run, r.withscores);
}

void cmd_zrange(Ctx& c) { zrange_generic(c, 1, false, RangeType::kAuto, Direction::kAuto); }
void cmd_zrangestore(Ctx& c) { zrange_generic(c, 2, true, RangeType::kAuto, Direction::kAuto); }
void cmd_zrevrange(Ctx& c) { zrange_generic(c, 1, false, RangeType::kRank, Direction::kReverse); }
void cmd_zrangebyscore(Ctx& c) { zrange_generic(c, 1, false, RangeType::kScore, Direction::kForward); }
void cmd_zrevrangebyscore(Ctx& c) { zrange_generic(c, 1, false, RangeType::kScore, Direction::kReverse); }
void cmd_zrangebylex(Ctx& c) { zrange_generic(c, 1, false, RangeType::kLex, Direction::kForward); }
void cmd_zrevrangebylex(Ctx& c) { zrange_generic(c, 1, false, RangeType::kLex, Direction::kReverse); }

// ---- ZREMRANGEBY* ----

// Deletes the run (and the key once empty); replies how many members went.
void remove_run(Ctx& c, Txn& t, ZSet* z, const Run& run) {
  // Every ZREMRANGE run walks up (reverse is never set here), as remove_run() wants.
  z->remove_run(run.first, run.count, [&t](std::string_view member) { t.log_zrem(0, member); });
  if (z->empty()) t.erase(0);
  c.out.integer(static_cast<int64_t>(run.count));
}

// Looks the key up for a ZREMRANGE command; false when the reply is already written (0 or WRONGTYPE).
bool zremrange_target(Ctx& c, Txn& t, ZSet** z) {
  if (!zset_lookup(c, t, 0, true, z)) return false;
  if (*z) return true;
  c.out.integer(0);
  return false;
}

void cmd_zremrangebyrank(Ctx& c) {
  int64_t start, end;
  if (!parse_int64(c.arg(2), &start) || !parse_int64(c.arg(3), &end)) return c.out.error(err::kNotInteger);
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (zremrange_target(c, t, &z)) remove_run(c, t, z, rank_run(*z, start, end, false));
}

void cmd_zremrangebyscore(Ctx& c) {
  ScoreRange r;
  if (!parse_score_range(c, c.arg(2), c.arg(3), &r)) return;
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (zremrange_target(c, t, &z)) remove_run(c, t, z, score_run(*z, r, false));
}

void cmd_zremrangebylex(Ctx& c) {
  LexRange r;
  if (!parse_lex_range(c, c.arg(2), c.arg(3), &r)) return;
  Txn t(c.ks(), c.db(), key1(c));
  ZSet* z;
  if (zremrange_target(c, t, &z)) remove_run(c, t, z, lex_run(*z, r, false));
}

// ---- The table ----

constexpr uint32_t kRead = kCmdReadOnly;
constexpr uint32_t kReadFast = kCmdReadOnly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite;
constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;

constexpr std::string_view kLogNM = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
constexpr std::string_view kLogNMLimit =
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. "
    "If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
constexpr std::string_view kLogNRemoved =
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the "
    "operation.";
constexpr std::string_view kLogN = "O(log(N)) with N being the number of elements in the sorted set.";

const CommandSpec kZsetCommands[] = {
    {"zadd", -4, kWriteOomFast, 1, 1, 1, cmd_zadd, "sorted-set",
     "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0",
     "O(log(N)) for each item added, where N is the number of elements in the sorted set."},
    {"zincrby", 4, kWriteOomFast, 1, 1, 1, cmd_zincrby, "sorted-set", "Increment the score of a member in a sorted set",
     "1.2.0", "O(log(N)) where N is the number of elements in the sorted set."},
    {"zcount", 4, kReadFast, 1, 1, 1, cmd_zcount, "sorted-set",
     "Count the members in a sorted set with scores within the given values", "2.0.0", kLogN},
    {"zlexcount", 4, kReadFast, 1, 1, 1, cmd_zlexcount, "sorted-set",
     "Count the number of members in a sorted set between a given lexicographical range", "2.8.9", kLogN},
    {"zrange", -4, kRead, 1, 1, 1, cmd_zrange, "sorted-set", "Return a range of members in a sorted set", "1.2.0",
     kLogNM},
    {"zrangestore", -5, kWriteOom, 1, 2, 1, cmd_zrangestore, "sorted-set",
     "Store a range of members from sorted set into another key", "6.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the "
     "destination key."},
    {"zrevrange", -4, kRead, 1, 1, 1, cmd_zrevrange, "sorted-set",
     "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0", kLogNM},
    {"zrangebyscore", -4, kRead, 1, 1, 1, cmd_zrangebyscore, "sorted-set",
     "Return a range of members in a sorted set, by score", "1.0.5", kLogNMLimit},
    {"zrevrangebyscore", -4, kRead, 1, 1, 1, cmd_zrevrangebyscore, "sorted-set",
     "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0",
     kLogNMLimit},
    {"zrangebylex", -4, kRead, 1, 1, 1, cmd_zrangebylex, "sorted-set",
     "Return a range of members in a sorted set, by lexicographical range", "2.8.9", kLogNMLimit},
    {"zrevrangebylex", -4, kRead, 1, 1, 1, cmd_zrevrangebylex, "sorted-set",
     "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
     "2.8.9", kLogNMLimit},
    {"zremrangebyrank", 4, kWrite, 1, 1, 1, cmd_zremrangebyrank, "sorted-set",
     "Remove all members in a sorted set within the given indexes", "2.0.0", kLogNRemoved},
    {"zremrangebyscore", 4, kWrite, 1, 1, 1, cmd_zremrangebyscore, "sorted-set",
     "Remove all members in a sorted set within the given scores", "1.2.0", kLogNRemoved},
    {"zremrangebylex", 4, kWrite, 1, 1, 1, cmd_zremrangebylex, "sorted-set",
     "Remove all members in a sorted set between the given lexicographical range", "2.8.9", kLogNRemoved},
};

}  // namespace

// The rows of parts 2 and 3 (cmd_zset2.cpp, cmd_zset3.cpp).
std::span<const CommandSpec> zset_pop_commands();
std::span<const CommandSpec> zset_algebra_commands();

std::span<const CommandSpec> zset_commands() {
  // Each part keeps its rows beside its handlers; the table wants one span.
  static const std::vector<CommandSpec> all = [] {
    std::vector<CommandSpec> v(std::begin(kZsetCommands), std::end(kZsetCommands));
    for (auto part : {zset_pop_commands(), zset_algebra_commands()}) v.insert(v.end(), part.begin(), part.end());
    return v;
  }();
  return all;
}

}  // namespace tally
