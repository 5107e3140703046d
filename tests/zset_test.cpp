// Tests for the sorted set: a randomised differential test against a reference model (member -> score
// map plus a (score, member) ordered set) under 1e5 inserts, score updates and removals with many
// duplicate scores, ±inf, -0.0 and binary members; periodic full checks of order, ranks, score seeks
// (inclusive and exclusive) and invariants; lex seeks on equal-score sets; clone and ObjectOps.
#include "zset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db.h"
#include "slab.h"

namespace tally {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using Pair = std::pair<double, std::string>;  // std::string orders as memcmp, then shorter first

// Members from a small alphabet that includes NUL and 0xff, so unsigned byte order and prefixes matter.
std::string random_member(std::mt19937_64& rng) {
  static const char kAlphabet[] = {'a', 'b', 'c', '\0', '\xff'};
  std::string s(rng() % 7, 'a');
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

// The node's neighbours in the set are the model's neighbours of (score, member).
void check_neighbours(const ZSet& z, const Model& model, const ZNode* n) {
  auto it = model.order.find({n->score, std::string(n->name())});
  ASSERT_NE(it, model.order.end());
  const ZNode* nx = z.next(n);
  auto mx = std::next(it);
  if (mx == model.order.end()) {
    ASSERT_EQ(nx, nullptr);
  } else {
    ASSERT_NE(nx, nullptr);
    ASSERT_EQ(nx->name(), mx->second);
  }
  const ZNode* pv = z.prev(n);
  if (it == model.order.begin()) {
    ASSERT_EQ(pv, nullptr);
  } else {
    ASSERT_NE(pv, nullptr);
    ASSERT_EQ(pv->name(), std::prev(it)->second);
  }
}

// `got` is the node at index i of `want` (i == want.size(): none), and its rank is i.
void expect_at(const ZSet& z, const std::vector<Pair>& want, std::size_t i, const ZNode* got) {
  if (i == want.size()) {
    ASSERT_EQ(got, nullptr);
    return;
  }
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(got->name(), want[i].second);
  ASSERT_EQ(got->score, want[i].first);
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
  for (const ZNode* n = z.min(); n; n = z.next(n), ++i) {
    ASSERT_LT(i, want.size());
    ASSERT_NO_FATAL_FAILURE(expect_at(z, want, i, n));
    ASSERT_EQ(z.at_rank(i), n);
    ASSERT_EQ(z.find(n->name()), n);
  }
  ASSERT_EQ(i, want.size());
  ASSERT_EQ(z.at_rank(want.size()), nullptr);
  for (const ZNode* n = z.max(); n; n = z.prev(n)) ASSERT_EQ(z.rank_of(n), --i);
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

TEST(ZSetTest, Empty) {
  ZSet z;
  EXPECT_EQ(z.size(), 0u);
  EXPECT_EQ(z.min(), nullptr);
  EXPECT_EQ(z.max(), nullptr);
  EXPECT_EQ(z.at_rank(0), nullptr);
  EXPECT_EQ(z.find("a"), nullptr);
  EXPECT_EQ(z.first_in_score(-kInf, false), nullptr);
  EXPECT_EQ(z.last_in_lex("", false), nullptr);
  EXPECT_TRUE(z.check_invariants());
}

TEST(ZSetTest, BasicOrderAndTies) {
  ZSet z;
  z.insert("b", 1);
  z.insert("a", 1);
  z.insert("ab", 1);
  z.insert("", 1);
  z.insert("z", -kInf);
  z.insert(std::string("\xff", 1), 1);
  z.insert("c", 0.5);
  std::vector<std::string> got;
  for (const ZNode* n = z.min(); n; n = z.next(n)) got.emplace_back(n->name());
  EXPECT_EQ(got, (std::vector<std::string>{"z", "c", "", "a", "ab", "b", "\xff"}));
  EXPECT_EQ(z.rank_of(z.find("ab")), 4u);
  EXPECT_EQ(z.first_in_score(1, false)->name(), "");
  EXPECT_EQ(z.last_in_score(1, false)->name(), "\xff");
  EXPECT_EQ(z.first_in_score(1, true), nullptr);
  EXPECT_EQ(z.last_in_score(1, true)->name(), "c");
  EXPECT_EQ(z.last_in_score(-kInf, true), nullptr);
  EXPECT_EQ(z.first_in_score(-kInf, true)->name(), "c");
  EXPECT_TRUE(z.check_invariants());
}

TEST(ZSetTest, NegativeZeroStoredAsGivenAndEqualToZero) {
  ZSet z;
  ZNode* a = z.insert("a", -0.0);
  z.insert("b", 0.0);
  EXPECT_TRUE(std::signbit(a->score));
  EXPECT_EQ(z.min(), a);  // ties broken by member: -0.0 == 0.0
  EXPECT_EQ(z.first_in_score(0.0, false), a);
  EXPECT_EQ(z.first_in_score(-0.0, true), nullptr);
  ZNode* b = z.find("b");
  z.update_score(b, -0.0);
  EXPECT_EQ(z.find("b"), b);
  EXPECT_TRUE(std::signbit(b->score));
  EXPECT_TRUE(z.check_invariants());
}

TEST(ZSetTest, UpdateScoreKeepsNode) {
  ZSet z;
  for (int i = 0; i < 1000; ++i) z.insert("m" + std::to_string(i), i);
  ZNode* n = z.find("m500");
  z.update_score(n, 5000);
  EXPECT_EQ(z.find("m500"), n);
  EXPECT_EQ(z.max(), n);
  EXPECT_EQ(z.rank_of(n), 999u);
  z.update_score(n, -1);
  EXPECT_EQ(z.min(), n);
  z.update_score(n, -0.5);  // stays in place between its neighbours
  EXPECT_EQ(z.min(), n);
  EXPECT_EQ(n->score, -0.5);
  EXPECT_TRUE(z.check_invariants());
}

TEST(ZSetTest, DifferentialAgainstModel) {
  std::mt19937_64 rng(7);
  ZSet z;
  Model model;
  const int kOps = 100000;
  for (int op = 0; op < kOps; ++op) {
    const bool growing = (op / 20000) % 2 == 0;
    const unsigned dice = static_cast<unsigned>(rng() % 100);
    if (dice < (growing ? 60u : 30u)) {  // ZADD: insert or update
      const std::string m = random_member(rng);
      const double s = random_score(rng);
      ZNode* n = z.find(m);
      if (n) {
        z.update_score(n, s);
        ASSERT_EQ(z.find(m), n);
      } else {
        n = z.insert(m, s);
        ASSERT_EQ(z.find(m), n);
      }
      ASSERT_EQ(n->name(), m);
      ASSERT_EQ(n->score, s);
      ASSERT_EQ(std::signbit(n->score), std::signbit(s));
      model.set(m, s);
      ASSERT_NO_FATAL_FAILURE(check_neighbours(z, model, n));
    } else if (dice < 80 && z.size() > 0) {  // ZREM of a present member
      ZNode* n = z.at_rank(rng() % z.size());
      const std::string m(n->name());
      z.remove(n);
      model.erase(m);
      ASSERT_EQ(z.find(m), nullptr);
    } else if (z.size() > 0) {  // ZINCRBY-like small move of a present member
      ZNode* n = z.at_rank(rng() % z.size());
      const double s = n->score + static_cast<double>(static_cast<int>(rng() % 5) - 2);
      z.update_score(n, s);
      model.set(std::string(n->name()), s);
      ASSERT_NO_FATAL_FAILURE(check_neighbours(z, model, n));
    }
    if (op % 2500 == 0 || op == kOps - 1) { ASSERT_NO_FATAL_FAILURE(check_full(z, model, rng)); }
  }
}

// Lex seeks against std::set<std::string>, on sets whose scores are all equal (0 and then 7).
TEST(ZSetTest, LexSeeks) {
  std::mt19937_64 rng(11);
  for (double score : {0.0, 7.0}) {
    ZSet z;
    std::set<std::string> model;
    for (int op = 0; op < 20000; ++op) {
      const std::string m = random_member(rng);
      if (ZNode* n = z.find(m); n && rng() % 3 == 0) {
        z.remove(n);
        model.erase(m);
      } else if (!n) {
        z.insert(m, score);
        model.insert(m);
      }
      if (op % 500 != 0) continue;
      ASSERT_TRUE(z.check_invariants());
      for (int q = 0; q < 50; ++q) {
        const std::string s = q == 0 ? std::string() : random_member(rng);
        const auto check = [&](const ZNode* got, std::set<std::string>::const_iterator want) {
          if (want == model.end()) {
            ASSERT_EQ(got, nullptr) << "probe '" << s << "'";
          } else {
            ASSERT_NE(got, nullptr) << "probe '" << s << "'";
            ASSERT_EQ(got->name(), *want);
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
  for (const ZNode *x = a.min(), *y = b.min(); x; x = a.next(x), y = b.next(y)) {
    if (x->name() != y->name() || x->score != y->score) return false;
    if (std::signbit(x->score) != std::signbit(y->score)) return false;
  }
  return true;
}

TEST(ZSetTest, CloneIsDeepAndBalanced) {
  std::mt19937_64 rng(3);
  for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 1000u, 4097u}) {
    ZSet z;
    while (z.size() < n) {
      const std::string m = random_member(rng) + std::to_string(rng() % 1000);
      if (!z.find(m)) z.insert(m, random_score(rng));
    }
    std::unique_ptr<ZSet> c(z.clone());
    ASSERT_TRUE(c->check_invariants());
    ASSERT_TRUE(same_contents(z, *c));
    EXPECT_EQ(c->memory_bytes() > 0, true);
    if (n == 0) continue;
    // The copy is independent: changing the original leaves it alone, and it stays usable.
    const std::string first(z.min()->name());
    z.update_score(z.min(), 1e9);
    z.remove(z.max());
    EXPECT_FALSE(same_contents(z, *c));
    EXPECT_NE(c->find(first), nullptr);
    c->insert("fresh-member-not-in-z", 0);
    c->remove(c->min());
    EXPECT_TRUE(c->check_invariants());
  }
}

TEST(ZSetTest, MemoryAccounting) {
  ZSet z;
  const std::size_t empty = z.memory_bytes();
  ZNode* n = z.insert(std::string(10, 'x'), 1);
  const std::size_t one = z.memory_bytes();
  EXPECT_GE(one - empty, small_alloc_size(sizeof(ZNode) + 10));
  EXPECT_GE(small_alloc_size(sizeof(ZNode) + 10), sizeof(ZNode) + 10);
  z.remove(n);
  EXPECT_LE(z.memory_bytes(), one - small_alloc_size(sizeof(ZNode) + 10));
  for (int i = 0; i < 10000; ++i) z.insert("member:" + std::to_string(i), i);
  EXPECT_GE(z.memory_bytes(), 10000 * (sizeof(ZNode) + 10));
}

TEST(ZSetTest, ObjectOpsRegistered) {
  const ObjectOps& ops = object_ops(ValueType::kZSet);
  auto* z = new ZSet();
  EXPECT_EQ(ops.length(z), 0u);
  const std::size_t empty = ops.memory(z);
  for (int i = 0; i < 500; ++i) z->insert("k" + std::to_string(i), i % 7);
  EXPECT_EQ(ops.length(z), 500u);
  EXPECT_EQ(ops.memory(z), z->memory_bytes());
  EXPECT_GT(ops.memory(z), empty + 500 * sizeof(ZNode));
  void* copy = ops.clone(z);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(ops.length(copy), 500u);
  EXPECT_TRUE(same_contents(*z, *static_cast<ZSet*>(copy)));
  ops.destroy(z);  // the copy must survive its source
  EXPECT_TRUE(static_cast<ZSet*>(copy)->check_invariants());
  ops.destroy(copy);
}

}  // namespace
}  // namespace tally
