// The sorted-set family, part 3: set algebra over sorted sets: ZUNION, ZINTER, ZDIFF, their STORE
// forms and ZINTERCARD, following Redis's zunionInterDiffGenericCommand step by step: numkeys, the
// keys and their types, then WEIGHTS / AGGREGATE / WITHSCORES / LIMIT; inputs ordered by size (stably)
// for union and intersection, so sums add up in Redis's order; a weighted score or a SUM that is NaN
// (0 * inf, inf + -inf) counts as 0. Non-sorted-set inputs are WRONGTYPE (Tally has no plain sets).
//
// The result is computed from views into the inputs, all under the one Txn, and only then written:
// a STORE whose destination is also an input reads the old set first.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands.h"
#include "cmd_zset.h"
#include "zset.h"

namespace tally {


namespace {

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct Input {
  const ZSet* z = nullptr;  // null when the key is missing (an empty set)
  double weight = 1;
  std::size_t size() const { return z ? z->size() : 0; }
};

struct SetOpRequest {
  std::string_view name;  // lowercase command name, for the numkeys error
  SetOp op;
  bool store = false;     // argv[1] is the destination
  bool card_only = false; // ZINTERCARD
  std::vector<Input> inputs = {};
  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;      // ZINTERCARD: stop counting there; 0 = no limit
};

void aggregate(double* target, double value, Aggregate how) {
  switch (how) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin: *target = std::min(*target, value); break;
    case Aggregate::kMax: *target = std::max(*target, value); break;
  }
}

double weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

// ---- Argument parsing ----

// numkeys at argv[idx]; replies the error and returns false when it is not usable.
bool parse_numkeys(Ctx& c, const SetOpRequest& r, std::size_t idx, int64_t* n) {
  if (!parse_int64(c.arg(idx), n)) {
    c.out.error(err::kNotInteger);
  } else if (*n < 1) {
    c.out.error(err::need_input_key(r.name));
  } else if (static_cast<uint64_t>(*n) > c.argc() - idx - 1) {
    c.out.error(err::kSyntax);
  } else {
    return true;
  }
  return false;
}

bool parse_aggregate(std::string_view a, Aggregate* out) {
  if (iequals(a, "sum")) *out = Aggregate::kSum;
  else if (iequals(a, "min")) *out = Aggregate::kMin;
  else if (iequals(a, "max")) *out = Aggregate::kMax;
  else return false;
  return true;
}

// The options after the keys, from argv[j]. Replies the error and returns false when malformed.
bool parse_setop_options(Ctx& c, std::size_t j, SetOpRequest* r) {
  const bool algebra = r->op != SetOp::kDiff && !r->card_only;  // WEIGHTS and AGGREGATE allowed
  const std::size_t n = r->inputs.size();
  while (j < c.argc()) {
    const std::size_t left = c.argc() - j;
    std::string_view a = c.arg(j);
    if (algebra && left >= n + 1 && iequals(a, "weights")) {
      for (std::size_t i = 0; i < n; ++i) {
        if (!parse_double(c.arg(j + 1 + i), &r->inputs[i].weight)) {
          c.out.error(err::kWeightNotFloat);
          return false;
        }
      }
      j += n + 1;
    } else if (algebra && left >= 2 && iequals(a, "aggregate")) {
      if (!parse_aggregate(c.arg(j + 1), &r->aggregate)) {
        c.out.error(err::kSyntax);
        return false;
      }
      j += 2;
    } else if (!r->store && !r->card_only && iequals(a, "withscores")) {
      r->withscores = true;
      j += 1;
    } else if (r->card_only && left >= 2 && iequals(a, "limit")) {
      if (!parse_int64(c.arg(j + 1), &r->limit) || r->limit < 0) {
        c.out.error(err::kLimitNegative);
        return false;
      }
      j += 2;
    } else {
      c.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// ---- The operations ----

using Scored = std::pair<std::string_view, double>;  // views into the inputs' members

std::vector<Scored> compute_union(std::vector<Input> in, Aggregate how) {
  std::stable_sort(in.begin(), in.end(), [](const Input& a, const Input& b) { return a.size() < b.size(); });
  std::unordered_map<std::string_view, double> acc;
  acc.reserve(in.back().size());
  for (const Input& src : in) {
    for (ZPos n = src.z ? src.z->min() : ZPos{}; n; n = src.z->next(n)) {
      double score = weighted(n.score(), src.weight);
      auto [it, fresh] = acc.try_emplace(n.member(), score);
      if (!fresh) aggregate(&it->second, score, how);
    }
  }
  return {acc.begin(), acc.end()};
}

// The intersection, and its size in *count. With card_only nothing is collected and counting stops
// at `limit` (0: no limit).
std::vector<Scored> compute_inter(std::vector<Input> in, Aggregate how, bool card_only, int64_t limit,
                                  uint64_t* count) {
  std::stable_sort(in.begin(), in.end(), [](const Input& a, const Input& b) { return a.size() < b.size(); });
  std::vector<Scored> out;
  *count = 0;
  if (in[0].size() == 0) return out;
  for (ZPos n = in[0].z->min(); n; n = in[0].z->next(n)) {
    double score = weighted(n.score(), in[0].weight);
    std::size_t j = 1;
    for (; j < in.size(); ++j) {
      ZPos other = in[j].z == in[0].z ? n : in[j].z->find(n.member());
      if (!other) break;
      aggregate(&score, other.score() * in[j].weight, how);
    }
    if (j < in.size()) continue;
    ++*count;
    if (card_only) {
      if (limit && *count >= static_cast<uint64_t>(limit)) break;
    } else {
      out.emplace_back(n.member(), score);
    }
  }
  return out;
}

// Members of the first input found in none of the others, with their own scores.
std::vector<Scored> compute_diff(const std::vector<Input>& in) {
  std::vector<Scored> out;
  const ZSet* first = in[0].z;
  if (!first) return out;
  for (std::size_t j = 1; j < in.size(); ++j)
    if (in[j].z == first) return out;
  for (ZPos n = first->min(); n; n = first->next(n)) {
    bool elsewhere = std::any_of(in.begin() + 1, in.end(), [&n](const Input& o) { return o.z && o.z->find(n.member()); });
    if (!elsewhere) out.emplace_back(n.member(), n.score());
  }
  return out;
}

// ---- Replies ----

void reply_sorted(ReplyWriter& out, std::vector<Scored> result, bool withscores) {
  std::sort(result.begin(), result.end(), [](const Scored& a, const Scored& b) {
    if (a.second != b.second) return a.second < b.second;
    return zset_member_cmp(a.first, b.first) < 0;
  });
  reply_members_header(out, result.size(), withscores);
  for (const Scored& s : result) reply_member(out, s.first, s.second, withscores);
}

void store_result(Ctx& c, Txn& t, const std::vector<Scored>& result) {
  ZSet dst;
  dst.convert_to_tree();  // Redis builds the result as a skiplist, then converts it if it fits
  for (const Scored& s : result) dst.insert(s.first, s.second);
  c.out.integer(static_cast<int64_t>(dst.size()));
  zset_store(t, 0, std::move(dst));
}

void run_setop(Ctx& c, Txn& t, const SetOpRequest& r) {
  uint64_t count = 0;
  std::vector<Scored> result;
  switch (r.op) {
    case SetOp::kUnion: result = compute_union(r.inputs, r.aggregate); break;
    case SetOp::kInter: result = compute_inter(r.inputs, r.aggregate, r.card_only, r.limit, &count); break;
    case SetOp::kDiff: result = compute_diff(r.inputs); break;
  }
  if (r.card_only) return c.out.integer(static_cast<int64_t>(count));
  if (r.store) return store_result(c, t, result);
  reply_sorted(c.out, std::move(result), r.withscores);
}

// Every command of this file. Keys in the Txn: the destination first when storing, then the inputs.
void setop_generic(Ctx& c, SetOpRequest r) {
  const std::size_t idx = r.store ? 2 : 1;  // numkeys
  int64_t n;
  if (!parse_numkeys(c, r, idx, &n)) return;
  std::vector<std::string_view> keys;
  if (r.store) keys.push_back(c.arg(1));
  for (int64_t i = 0; i < n; ++i) keys.push_back(c.arg(idx + 1 + static_cast<std::size_t>(i)));
  Txn t(c.ks(), c.db(), keys);
  const std::size_t first = r.store ? 1 : 0;
  r.inputs.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < r.inputs.size(); ++i) {
    ZSet* z;
    if (!zset_lookup(c, t, first + i, false, &z)) return;
    r.inputs[i].z = z;
  }
  if (parse_setop_options(c, idx + 1 + r.inputs.size(), &r)) run_setop(c, t, r);
}

void cmd_zunion(Ctx& c) { setop_generic(c, {"zunion", SetOp::kUnion}); }
void cmd_zinter(Ctx& c) { setop_generic(c, {"zinter", SetOp::kInter}); }
void cmd_zdiff(Ctx& c) { setop_generic(c, {"zdiff", SetOp::kDiff}); }
void cmd_zunionstore(Ctx& c) { setop_generic(c, {"zunionstore", SetOp::kUnion, true}); }
void cmd_zinterstore(Ctx& c) { setop_generic(c, {"zinterstore", SetOp::kInter, true}); }
void cmd_zdiffstore(Ctx& c) { setop_generic(c, {"zdiffstore", SetOp::kDiff, true}); }
void cmd_zintercard(Ctx& c) { setop_generic(c, {"zintercard", SetOp::kInter, false, true}); }

// ---- The table ----

constexpr uint32_t kReadMovable = kCmdReadOnly | kCmdMovableKeys;
constexpr uint32_t kStoreMovable = kCmdWrite | kCmdDenyOom | kCmdMovableKeys;

constexpr std::string_view kUnionCost =
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements "
    "in the resulting sorted set.";
constexpr std::string_view kInterCost =
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted "
    "sets and M being the number of elements in the resulting sorted set.";
constexpr std::string_view kDiffCost =
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the "
    "first set, and K is the size of the result set.";

const CommandSpec kAlgebraCommands[] = {
    {"zunion", -3, kReadMovable, 0, 0, 0, cmd_zunion, "sorted-set", "Add multiple sorted sets", "6.2.0", kUnionCost},
    {"zinter", -3, kReadMovable, 0, 0, 0, cmd_zinter, "sorted-set", "Intersect multiple sorted sets", "6.2.0",
     kInterCost},
    {"zdiff", -3, kReadMovable, 0, 0, 0, cmd_zdiff, "sorted-set", "Subtract multiple sorted sets", "6.2.0", kDiffCost},
    {"zunionstore", -4, kStoreMovable, 1, 1, 1, cmd_zunionstore, "sorted-set",
     "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
     "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of "
     "elements in the resulting sorted set."},
    {"zinterstore", -4, kStoreMovable, 1, 1, 1, cmd_zinterstore, "sorted-set",
     "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", kInterCost},
    {"zdiffstore", -4, kStoreMovable, 1, 1, 1, cmd_zdiffstore, "sorted-set",
     "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", kDiffCost},
    {"zintercard", -3, kReadMovable, 0, 0, 0, cmd_zintercard, "sorted-set",
     "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0",
     "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."},
};

}  // namespace

std::span<const CommandSpec> zset_algebra_commands() { return kAlgebraCommands; }

}  // namespace tally
