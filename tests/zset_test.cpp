// Tests for the sorted set, in both forms (compact and tree, forced by the limits): a randomised
// differential test against a reference model (member -> score map plus a (score, member) ordered
// set) under inserts, score updates and removals with many duplicate scores, ±inf, -0.0 and binary
// members; periodic full checks of order, ranks, score seeks (inclusive and exclusive) and
// invariants; lex seeks on equal-score sets; clone and ObjectOps. Then the compact form's own rules:
// score encodings, when a set converts and back, runs of removals, scans and its memory.
#include "zset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include "db.h"
#include "slab.h"

namespace tally {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using Pair = std::pair<double, std::string>;  // std::string orders as memcmp, then shorter first

// Members from a small alphabet that includes NUL and 0xff, so unsigned byte order and prefixes matter;
// up to max_len bytes (6: about 20,000 distinct members; 3: 156).
std::string random_member(std::mt19937_64& rng, unsigned max_len = 6) {
  static const char kAlphabet[] = {'a', 'b', 'c', '\0', '\xff'};
  std::string s(rng() % (max_len + 1), 'a');
  for (char& c : s) c = kAlphabet[rng() % sizeof(kAlphabet)];
  return s;
}

// Mostly small integers (many ties), some ±inf, -0.0 and arbitrary doubles.
double random_score(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0: return kInf;
    case 1: return -kInf;
    case 2: return -0.0;
    case 3: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    default: return static_cast<double>(static_cast<int>(rng() % 11) - 5);
  }
}

class Model {
 public:
  std::map<std::string, double> scores;
  std::set<Pair> order;

  void set(const std::string& m, double s) {
    auto it = scores.find(m);
    if (it != scores.end()) order.erase({it->second, m});
    scores[m] = s;
    order.insert({s, m});
  }
  void erase(const std::string& m) {
    auto it = scores.find(m);
    order.erase({it->second, m});
    scores.erase(it);
  }
};

// Whether two positions are the same member of one set (its bytes at the same address), or both none.
bool same_pos(const ZPos& a, const ZPos& b) {
  if (!a || !b) return !a && !b;
  return a.member().data() == b.member().data() && a.member().size() == b.member().size();
}

// The member's neighbours in the set are the model's neighbours of (score, member).
void check_neighbours(const ZSet& z, const Model& model, const ZPos& n) {
  auto it = model.order.find({n.score(), std::string(n.member())});
  ASSERT_NE(it, model.order.end());
  const ZPos nx = z.next(n);
  auto mx = std::next(it);
  if (mx == model.order.end()) {
    ASSERT_FALSE(nx);
  } else {
    ASSERT_TRUE(nx);
    ASSERT_EQ(nx.member(), mx->second);
  }
  const ZPos pv = z.prev(n);
  if (it == model.order.begin()) {
    ASSERT_FALSE(pv);
  } else {
    ASSERT_TRUE(pv);
    ASSERT_EQ(pv.member(), std::prev(it)->second);
  }
}

// `got` is the member at index i of `want` (i == want.size(): none), and its rank is i.
void expect_at(const ZSet& z, const std::vector<Pair>& want, std::size_t i, const ZPos& got) {
  if (i == want.size()) {
    ASSERT_FALSE(got);
    return;
  }
  ASSERT_TRUE(got);
  ASSERT_EQ(got.member(), want[i].second);
  ASSERT_EQ(got.score(), want[i].first);
  ASSERT_EQ(z.rank_of(got), i);
}

void check_score_seeks(const ZSet& z, const std::vector<Pair>& want, double bound) {
  for (bool excl : {false, true}) {
    auto lo = std::partition_point(want.begin(), want.end(), [&](const Pair& p) {
      return excl ? p.first <= bound : p.first < bound;
    });
    ASSERT_NO_FATAL_FAILURE(expect_at(z, want, lo - want.begin(), z.first_in_score(bound, excl)));
    auto hi = std::partition_point(want.begin(), want.end(), [&](const Pair& p) {
      return excl ? p.first < bound : p.first <= bound;
    });
    const std::size_t last = hi == want.begin() ? want.size() : hi - want.begin() - 1;
    ASSERT_NO_FATAL_FAILURE(expect_at(z, want, last, z.last_in_score(bound, excl)));
  }
}

// Full comparison: order both ways, ranks, at_rank, min/max, offsets and score seeks.
void check_full(const ZSet& z, const Model& model, std::mt19937_64& rng) {
  ASSERT_TRUE(z.check_invariants());
  ASSERT_EQ(z.size(), model.scores.size());
  const std::vector<Pair> want(model.order.begin(), model.order.end());
  std::size_t i = 0;
  for (ZPos n = z.min(); n; n = z.next(n), ++i) {
    ASSERT_LT(i, want.size());
    ASSERT_NO_FATAL_FAILURE(expect_at(z, want, i, n));
    ASSERT_TRUE(same_pos(z.at_rank(i), n));
    ASSERT_TRUE(same_pos(z.find(n.member()), n));
  }
  ASSERT_EQ(i, want.size());
  ASSERT_FALSE(z.at_rank(want.size()));
  for (ZPos n = z.max(); n; n = z.prev(n)) ASSERT_EQ(z.rank_of(n), --i);
  ASSERT_EQ(i, 0u);
  for (int q = 0; q < 50 && !want.empty(); ++q) {
    const std::size_t r = rng() % want.size();
    const int64_t k = static_cast<int64_t>(rng() % (want.size() + 4)) - static_cast<int64_t>(r) - 2;
    const int64_t target = static_cast<int64_t>(r) + k;
    const std::size_t idx = target < 0 || target >= static_cast<int64_t>(want.size())
                                ? want.size() : static_cast<std::size_t>(target);
    ASSERT_NO_FATAL_FAILURE(expect_at(z, want, idx, z.offset(z.at_rank(r), k)));
  }
  for (double bound : {-kInf, kInf, -0.0, 0.0, -5.5, 5.5, 3.0, -1e7, 1e7})
    ASSERT_NO_FATAL_FAILURE(check_score_seeks(z, want, bound));
  for (int q = 0; q < 20; ++q) ASSERT_NO_FATAL_FAILURE(check_score_seeks(z, want, random_score(rng)));
}


// Runs a test in each form: limits that keep every set compact, or that make every set a tree.
class ZSetForms : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { set_zset_limits(GetParam() ? ZSetLimits{UINT64_MAX, UINT64_MAX} : ZSetLimits{0, 0}); }
  void TearDown() override { set_zset_limits(ZSetLimits{}); }
  bool compact() const { return GetParam(); }
};
INSTANTIATE_TEST_SUITE_P(Forms, ZSetForms, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Compact" : "Tree"; });

// Restores the default limits when a test that changed them ends.
class ZSetLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override { set_zset_limits(ZSetLimits{}); }
};

TEST_P(ZSetForms, Empty) {
  ZSet z;
  EXPECT_EQ(z.size(), 0u);
  EXPECT_FALSE(z.min());
  EXPECT_FALSE(z.max());
  EXPECT_FALSE(z.at_rank(0));
  EXPECT_FALSE(z.find("a"));
  EXPECT_FALSE(z.first_in_score(-kInf, false));
  EXPECT_FALSE(z.last_in_lex("", false));
  EXPECT_TRUE(z.check_invariants());
}

TEST_P(ZSetForms, BasicOrderAndTies) {
  ZSet z;
  z.insert("b", 1);
  z.insert("a", 1);
  z.insert("ab", 1);
  z.insert("", 1);
  z.insert("z", -kInf);
  z.insert(std::string("\xff", 1), 1);
  z.insert("c", 0.5);
  EXPECT_EQ(z.compact(), compact());
  std::vector<std::string> got;
  for (ZPos n = z.min(); n; n = z.next(n)) got.emplace_back(n.member());
  EXPECT_EQ(got, (std::vector<std::string>{"z", "c", "", "a", "ab", "b", "\xff"}));
  EXPECT_EQ(z.rank_of(z.find("ab")), 4u);
  EXPECT_EQ(z.first_in_score(1, false).member(), "");
  EXPECT_EQ(z.last_in_score(1, false).member(), "\xff");
  EXPECT_FALSE(z.first_in_score(1, true));
  EXPECT_EQ(z.last_in_score(1, true).member(), "c");
  EXPECT_FALSE(z.last_in_score(-kInf, true));
  EXPECT_EQ(z.first_in_score(-kInf, true).member(), "c");
  EXPECT_TRUE(z.check_invariants());
}

// -0.0 equals 0.0 in every comparison. A tree keeps it as given, as Redis's skiplist does; the
// compact form stores it as 0, as Redis's listpack does (it keeps "0", the text Redis writes for -0).
TEST_P(ZSetForms, NegativeZeroEqualToZeroAndKeptByTheTreeOnly) {
  ZSet z;
  z.insert("a", -0.0);
  z.insert("b", 0.0);
  EXPECT_EQ(std::signbit(z.find("a").score()), !compact());
  EXPECT_EQ(z.min().member(), "a");  // ties broken by member: -0.0 == 0.0
  EXPECT_EQ(z.first_in_score(0.0, false).member(), "a");
  EXPECT_FALSE(z.first_in_score(-0.0, true));
  z.update_score(z.find("b"), -0.0);
  EXPECT_EQ(std::signbit(z.find("b").score()), !compact());
  EXPECT_TRUE(z.check_invariants());
  if (compact()) {  // what the tree gets when it takes over the block: the 0 it stored
    z.convert_to_tree();
    EXPECT_FALSE(std::signbit(z.find("a").score()));
  }
}

// The tree moves a node without reallocating it; a compact set moves the entry.
TEST_P(ZSetForms, UpdateScoreMoves) {
  ZSet z;
  for (int i = 0; i < 1000; ++i) z.insert("m" + std::to_string(i), i);
  ZPos n = z.find("m500");
  const char* bytes = n.member().data();
  z.update_score(n, 5000);
  n = z.find("m500");
  EXPECT_EQ(n.member().data() == bytes, !compact());
  EXPECT_TRUE(same_pos(z.max(), n));
  EXPECT_EQ(z.rank_of(n), 999u);
  z.update_score(n, -1);
  n = z.find("m500");
  EXPECT_TRUE(same_pos(z.min(), n));
  z.update_score(n, -0.5);  // stays between its neighbours
  EXPECT_EQ(z.min().member(), "m500");
  EXPECT_EQ(z.min().score(), -0.5);
  EXPECT_TRUE(z.check_invariants());
}

// The compact form is O(n) a step, so it runs fewer operations over a smaller member space (at most
// 156 members, about what the limits allow it in practice).
TEST_P(ZSetForms, DifferentialAgainstModel) {
  std::mt19937_64 rng(7);
  ZSet z;
  Model model;
  const int kOps = compact() ? 30000 : 100000;
  const unsigned max_len = compact() ? 3 : 6;
  for (int op = 0; op < kOps; ++op) {
    const bool growing = (op / (kOps / 5)) % 2 == 0;
    const unsigned dice = static_cast<unsigned>(rng() % 100);
    if (dice < (growing ? 60u : 30u)) {  // ZADD: insert or update
      const std::string m = random_member(rng, max_len);
      const double s = random_score(rng);
      if (ZPos n = z.find(m)) z.update_score(n, s);
      else z.insert(m, s);
      const ZPos n = z.find(m);
      ASSERT_TRUE(n);
      ASSERT_EQ(n.member(), m);
      ASSERT_EQ(n.score(), s);
      ASSERT_EQ(std::signbit(n.score()), std::signbit(s) && (s != 0 || !z.compact())) << "-0.0 is 0 in a compact set";
      model.set(m, s);
      ASSERT_NO_FATAL_FAILURE(check_neighbours(z, model, n));
    } else if (dice >= 97 && z.size() > 0) {  // ZREMRANGEBYRANK: a run of up to 12 from a rank
      const std::size_t rank = rng() % z.size();
      const std::size_t count = 1 + rng() % 12;
      std::vector<std::string> want;
      for (auto it = std::next(model.order.begin(), static_cast<std::ptrdiff_t>(rank));
           it != model.order.end() && want.size() < count; ++it) {
        want.push_back(it->second);
      }
      std::vector<std::string> named;
      z.remove_run(z.at_rank(rank), count, [&](std::string_view m) { named.emplace_back(m); });
      ASSERT_EQ(named, want);
      for (const std::string& m : want) model.erase(m);
    } else if (dice < 80 && z.size() > 0) {  // ZREM of a present member
      const ZPos n = z.at_rank(rng() % z.size());
      const std::string m(n.member());
      z.remove(n);
      model.erase(m);
      ASSERT_FALSE(z.find(m));
    } else if (z.size() > 0) {  // ZINCRBY-like small move of a present member
      const ZPos n = z.at_rank(rng() % z.size());
      const std::string m(n.member());
      const double s = n.score() + static_cast<double>(static_cast<int>(rng() % 5) - 2);
      z.update_score(n, s);
      model.set(m, s);
      ASSERT_NO_FATAL_FAILURE(check_neighbours(z, model, z.find(m)));
    }
    if (op % 2500 == 0 || op == kOps - 1) { ASSERT_NO_FATAL_FAILURE(check_full(z, model, rng)); }
  }
  EXPECT_EQ(z.compact(), compact());
}

// Lex seeks against std::set<std::string>, on sets whose scores are all equal (0 and then 7).
TEST_P(ZSetForms, LexSeeks) {
  std::mt19937_64 rng(11);
  const unsigned max_len = compact() ? 3 : 6;
  for (double score : {0.0, 7.0}) {
    ZSet z;
    std::set<std::string> model;
    for (int op = 0; op < 20000; ++op) {
      const std::string m = random_member(rng, max_len);
      if (ZPos n = z.find(m); n && rng() % 3 == 0) {
        z.remove(n);
        model.erase(m);
      } else if (!n) {
        z.insert(m, score);
        model.insert(m);
      }
      if (op % 500 != 0) continue;
      ASSERT_TRUE(z.check_invariants());
      for (int q = 0; q < 50; ++q) {
        const std::string s = q == 0 ? std::string() : random_member(rng, max_len);
        const auto check = [&](const ZPos& got, std::set<std::string>::const_iterator want) {
          if (want == model.end()) {
            ASSERT_FALSE(got) << "probe '" << s << "'";
          } else {
            ASSERT_TRUE(got) << "probe '" << s << "'";
            ASSERT_EQ(got.member(), *want);
          }
        };
        const auto before_or_end = [&](std::set<std::string>::const_iterator it) {
          return it == model.begin() ? model.cend() : std::prev(it);
        };
        ASSERT_NO_FATAL_FAILURE(check(z.first_in_lex(s, false), model.lower_bound(s)));
        ASSERT_NO_FATAL_FAILURE(check(z.first_in_lex(s, true), model.upper_bound(s)));
        ASSERT_NO_FATAL_FAILURE(check(z.last_in_lex(s, false), before_or_end(model.upper_bound(s))));
        ASSERT_NO_FATAL_FAILURE(check(z.last_in_lex(s, true), before_or_end(model.lower_bound(s))));
      }
    }
  }
}

TEST(ZSetTest, MemberCompareIsRedisOrder) {
  EXPECT_LT(zset_member_cmp("a", "b"), 0);
  EXPECT_LT(zset_member_cmp("a", "ab"), 0);
  EXPECT_GT(zset_member_cmp("ab", "a"), 0);
  EXPECT_EQ(zset_member_cmp("", ""), 0);
  EXPECT_LT(zset_member_cmp("", std::string(1, '\0')), 0);
  EXPECT_LT(zset_member_cmp("z", "\x80"), 0);  // bytes compare unsigned
}

bool same_contents(const ZSet& a, const ZSet& b) {
  if (a.size() != b.size()) return false;
  for (ZPos x = a.min(), y = b.min(); x; x = a.next(x), y = b.next(y)) {
    if (x.member() != y.member() || x.score() != y.score()) return false;
    if (std::signbit(x.score()) != std::signbit(y.score())) return false;
  }
  return true;
}

TEST_P(ZSetForms, CloneIsDeepAndSameForm) {
  std::mt19937_64 rng(3);
  for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 1000u, 4097u}) {
    ZSet z;
    while (z.size() < n) {
      const std::string m = random_member(rng) + std::to_string(rng() % 1000);
      if (!z.find(m)) z.insert(m, random_score(rng));
    }
    auto c = std::make_unique<ZSet>(z.clone());
    ASSERT_TRUE(c->check_invariants());
    ASSERT_TRUE(same_contents(z, *c));
    EXPECT_EQ(c->compact(), z.compact());
    if (compact()) {  // a tree's table may be mid-rehash
      EXPECT_EQ(c->memory_bytes(), z.memory_bytes());
    }
    if (n == 0) continue;
    // The copy is independent: changing the original leaves it alone, and it stays usable.
    const std::string first(z.min().member());
    z.update_score(z.min(), 1e9);
    z.remove(z.max());
    EXPECT_FALSE(same_contents(z, *c));
    EXPECT_TRUE(c->find(first));
    c->insert("fresh-member-not-in-z", 0);
    c->remove(c->min());
    EXPECT_TRUE(c->check_invariants());
  }
}

// remove_run: the members go in ascending order, each named to the callback first.
TEST_P(ZSetForms, RemoveRun) {
  ZSet z;
  for (int i = 0; i < 20; ++i) z.insert("m" + std::to_string(i), i);
  std::vector<std::string> named;
  z.remove_run(z.at_rank(5), 4, [&](std::string_view m) { named.emplace_back(m); });
  EXPECT_EQ(named, (std::vector<std::string>{"m5", "m6", "m7", "m8"}));
  EXPECT_EQ(z.size(), 16u);
  EXPECT_FALSE(z.find("m5"));
  EXPECT_EQ(z.at_rank(5).member(), "m9");
  z.remove_run(z.at_rank(10), 6, [&](std::string_view) {});  // to the end
  EXPECT_EQ(z.max().member(), "m13");
  z.remove_run(ZPos{}, 3, [&](std::string_view) { ADD_FAILURE(); });  // nothing
  z.remove_run(z.min(), 10, [&](std::string_view) {});
  EXPECT_TRUE(z.empty());
  EXPECT_TRUE(z.check_invariants());
}

// A compact set's scan is one step, in order; a tree's visits every member by cursor.
TEST_P(ZSetForms, Scan) {
  ZSet z;
  for (int i = 0; i < 300; ++i) z.insert("m" + std::to_string(i), 300 - i);
  std::vector<std::string> got;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = z.scan(cursor, [&](const ZPos& p) { got.emplace_back(p.member()); });
    ++steps;
  } while (cursor != 0);
  EXPECT_EQ(steps == 1, compact());
  if (compact()) {
    EXPECT_EQ(got.front(), "m299");
    EXPECT_EQ(got.back(), "m0");
  }
  std::sort(got.begin(), got.end());
  got.erase(std::unique(got.begin(), got.end()), got.end());
  EXPECT_EQ(got.size(), 300u);
}

TEST_P(ZSetForms, ObjectOpsRegistered) {
  const ObjectOps& ops = object_ops(ValueType::kZSet);
  // In place, as the keyspace keeps them: an entry's 16 bytes.
  alignas(8) unsigned char at[kObjectHeaderBytes], copy_at[kObjectHeaderBytes];
  auto* z = ::new (at) ZSet();
  EXPECT_EQ(ops.length(z), 0u);
  const std::size_t empty = ops.memory(z);
  EXPECT_EQ(empty, 0u);  // an empty set owns nothing: its header is the entry's
  for (int i = 0; i < 500; ++i) z->insert("k" + std::to_string(i), i % 7);
  EXPECT_EQ(ops.length(z), 500u);
  EXPECT_EQ(ops.memory(z), z->memory_bytes());
  EXPECT_GT(ops.memory(z), empty + 500 * (compact() ? 4 : sizeof(ZNode)));
  ops.clone(z, copy_at);
  auto* copy = object_at<ZSet>(copy_at);
  EXPECT_EQ(ops.length(copy), 500u);
  EXPECT_TRUE(same_contents(*z, *copy));
  ops.destroy(z);  // the copy must survive its source
  EXPECT_TRUE(copy->check_invariants());
  // Detached (the lazy free): the set moves out whole, its bytes in place are done with.
  void* detached = ops.detach(copy);
  EXPECT_EQ(ops.length(detached), 500u);
  EXPECT_TRUE(static_cast<ZSet*>(detached)->check_invariants());
  ops.free_detached(detached);
}

TEST_F(ZSetLimitsTest, TreeMemoryAccounting) {
  set_zset_limits({0, 0});
  ZSet z;
  const std::size_t empty = z.memory_bytes();
  z.insert(std::string(10, 'x'), 1);
  const std::size_t one = z.memory_bytes();
  EXPECT_GE(one - empty, small_alloc_size(ZNode::bytes_for(10)));
  EXPECT_GE(small_alloc_size(ZNode::bytes_for(10)), sizeof(ZNode) + 1 + 10);
  z.remove(z.min());
  EXPECT_LE(z.memory_bytes(), one - small_alloc_size(ZNode::bytes_for(10)));
  for (int i = 0; i < 10000; ++i) z.insert("member:" + std::to_string(i), i);
  EXPECT_GE(z.memory_bytes(), 10000 * (sizeof(ZNode) + 1 + 10));
}

// A member of the tree form is its 40-byte node, its length's varint and its bytes, in one slab
// slot: `member:123456` (bench/memory.py's sorted set) takes 56 bytes.
TEST_F(ZSetLimitsTest, TreeMemberCostsItsNodeAndBytesOnly) {
  EXPECT_EQ(sizeof(ZNode), 40u);
  EXPECT_EQ(ZNode::bytes_for(13), 54u);
  EXPECT_EQ(small_alloc_size(ZNode::bytes_for(13)), 56u);
  EXPECT_EQ(ZNode::bytes_for(127), 40u + 1 + 127);
  EXPECT_EQ(ZNode::bytes_for(128), 40u + 2 + 128);
  set_zset_limits({0, 0});
  ZSet z;
  for (int i = 0; i < 1000; ++i) z.insert("member:" + std::to_string(100000 + i), i);
  // Between two resizes of the member table, one more member costs its slot only.
  const std::size_t before = z.memory_bytes();
  z.insert("member:123456", 5);
  EXPECT_EQ(z.memory_bytes() - before, 56u);
  EXPECT_TRUE(z.check_invariants());
}

// The tree's nodes keep no parent link: next() and prev() step a cursor, one per thread. Walks of
// two sets taken in turns, walks across an in-place score update and across an insert, and a walk
// another thread interrupts, all list every member in order.
TEST_F(ZSetLimitsTest, TreeWalksSurviveInterleaving) {
  set_zset_limits({0, 0});
  ZSet a, b;
  for (int i = 0; i < 500; ++i) {
    a.insert("a" + std::to_string(i), i);
    b.insert("b" + std::to_string(i), -i);
  }
  std::vector<std::string> got_a, got_b;
  ZPos pa = a.min(), pb = b.min();
  while (pa || pb) {
    if (pa) {
      got_a.emplace_back(pa.member());
      pa = a.next(pa);
    }
    if (pb) {
      got_b.emplace_back(pb.member());
      pb = b.next(pb);
    }
  }
  ASSERT_EQ(got_a.size(), 500u);
  ASSERT_EQ(got_b.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(got_a[i], "a" + std::to_string(i));
    EXPECT_EQ(got_b[i], "b" + std::to_string(499 - i));
  }
  // An update that keeps the member between its neighbours changes no shape: the walk goes on.
  ZPos p = a.at_rank(100);
  a.update_score(a.find("a300"), 300.5);
  p = a.next(p);
  EXPECT_EQ(p.member(), "a101");
  // A ZPos is invalid after an insert, but the same member found again walks on from the new shape.
  a.insert("a100x", 100.5);
  p = a.find("a100");
  EXPECT_EQ(a.next(p).member(), "a100x");
  EXPECT_EQ(a.next(a.next(p)).member(), "a101");
  EXPECT_TRUE(a.check_invariants());
  // Another thread's walk of the same set, between two steps of this one, leaves this one intact.
  p = a.at_rank(250);
  std::size_t other = 0;
  std::thread([&] {
    for (ZPos q = a.max(); q; q = a.prev(q)) ++other;
  }).join();
  EXPECT_EQ(other, 501u);
  for (std::size_t r = 251; r < 260; ++r) {
    p = a.next(p);
    ASSERT_TRUE(p);
    EXPECT_EQ(a.rank_of(p), r);
  }
}

// A compact set owns its 16-byte header and one block of its entries: "m0" with score 0 is five
// bytes (length, two bytes, the score's tag, the back-length).
// The header is the keyspace entry's (Txn::set_object), so a compact set owns its one block only.
TEST(ZSetCompactTest, MemoryIsOneBlock) {
  ZSet z;
  EXPECT_EQ(z.memory_bytes(), 0u);
  z.insert("m0", 0);
  EXPECT_EQ(z.memory_bytes(), small_alloc_size(5));
  for (int i = 1; i < 10; ++i) z.insert("m" + std::to_string(i), i);
  EXPECT_TRUE(z.compact());
  EXPECT_EQ(z.memory_bytes(), small_alloc_size(50));
  z.remove(z.find("m3"));
  EXPECT_EQ(z.memory_bytes(), small_alloc_size(45));
}

// Every score comes back bit for bit, whichever of its encodings it took (one byte for 0..239,
// 1 to 8 bytes for other exact integers, the raw double otherwise), walking both ways; but -0.0,
// which comes back as 0 (Redis's listpack keeps "0" for it).
TEST(ZSetCompactTest, ScoresRoundTrip) {
  const double scores[] = {0, 1, 239, 240, 255, 256, -1, -128, -129, 127, 128, 32767, 32768, -32768, -32769,
                           2147483647.0, 2147483648.0, -2147483649.0, 1099511627776.0, -1099511627777.0,
                           9007199254740992.0, -9007199254740992.0, 9007199254740994.0, -9007199254740994.0,
                           -0.0, 0.5, -0.5, 1e300, -1e300, DBL_MIN, DBL_MAX, -DBL_MAX, 4.9e-324, kInf, -kInf,
                           1.0 / 3};
  ZSet z;
  int i = 0;
  for (double s : scores) z.insert("s" + std::to_string(i++), s);
  ASSERT_TRUE(z.compact());
  ASSERT_TRUE(z.check_invariants());
  i = 0;
  for (double s : scores) {
    const ZPos p = z.find("s" + std::to_string(i++));
    ASSERT_TRUE(p);
    const double got = p.score(), want = s == 0 ? 0.0 : s;
    EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0) << "score " << s;
  }
  std::vector<double> down;
  for (ZPos p = z.max(); p; p = z.prev(p)) down.push_back(p.score());
  EXPECT_TRUE(std::is_sorted(down.rbegin(), down.rend()));
  EXPECT_EQ(down.size(), std::size(scores));
}

// Members of 127, 128, 16383 and 16384 bytes need 1, 2 and 3-byte lengths: and back-lengths in a
// block, where walking down must still find each entry's start; before the member's bytes in a tree
// node. Each reads back whole, both ways, by rank and by find.
TEST_P(ZSetForms, LongMembersWalkBothWays) {
  ZSet z;
  const std::size_t lens[] = {0, 1, 120, 127, 128, 300, 16370, 16383, 16384, 70000};
  for (std::size_t i = 0; i < std::size(lens); ++i) z.insert(std::string(lens[i], static_cast<char>('a' + i)), 7.25);
  ASSERT_EQ(z.compact(), compact());
  ASSERT_TRUE(z.check_invariants());
  std::size_t i = std::size(lens);
  for (ZPos p = z.max(); p; p = z.prev(p)) {
    --i;
    EXPECT_EQ(p.member(), std::string(lens[i], static_cast<char>('a' + i)));
    EXPECT_EQ(z.rank_of(p), i);
    EXPECT_EQ(z.find(p.member()).member().data(), p.member().data());
  }
  EXPECT_EQ(i, 0u);
  EXPECT_EQ(z.at_rank(7).member().size(), 16383u);
  EXPECT_EQ(z.offset(z.max(), -9).member(), "");
}

// Redis 7.0's rules: the 129th member or a 65-byte one converts; an update never does, even when
// the limits have been lowered since; compact_if_fits() converts back only when the set fits.
TEST_F(ZSetLimitsTest, WhenASetConverts) {
  ZSet z;
  for (int i = 0; i < 128; ++i) z.insert("m" + std::to_string(i), i);
  EXPECT_TRUE(z.compact());
  z.insert("m128", 128);
  EXPECT_FALSE(z.compact());
  EXPECT_EQ(z.size(), 129u);
  EXPECT_TRUE(z.check_invariants());
  z.remove(z.find("m128"));
  EXPECT_FALSE(z.compact());  // removals never convert back
  z.compact_if_fits();
  EXPECT_TRUE(z.compact());
  EXPECT_EQ(z.size(), 128u);
  EXPECT_TRUE(z.check_invariants());

  ZSet lng;
  lng.insert(std::string(64, 'x'), 1);
  EXPECT_TRUE(lng.compact());
  lng.insert(std::string(65, 'y'), 1);
  EXPECT_FALSE(lng.compact());
  lng.compact_if_fits();  // a member too long: stays a tree
  EXPECT_FALSE(lng.compact());

  set_zset_limits({2, 64});
  ZSet small;
  small.insert("a", 1);
  small.insert("b", 2);
  set_zset_limits({1, 64});
  small.update_score(small.find("a"), 5);
  EXPECT_TRUE(small.compact());
  EXPECT_EQ(small.max().member(), "a");
  small.insert("c", 3);
  EXPECT_FALSE(small.compact());
  small.compact_if_fits();  // three members, limit one: stays a tree
  EXPECT_FALSE(small.compact());
  EXPECT_TRUE(small.check_invariants());

  set_zset_limits({0, 64});
  ZSet none;
  none.insert("a", 1);
  EXPECT_FALSE(none.compact());
}

}  // namespace
}  // namespace tally
