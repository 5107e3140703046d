// Tests for HashObject (hash.h) in both forms: an invariant and accounting checker, randomised
// differential tests against std containers (an insertion-ordered model for the compact form, and
// runs long enough to grow and shrink the table), the conversion boundaries (entries, field and
// value length, limits changed between writes), in-place updates through find()/set(slot), scan
// completeness, clone independence, random_field coverage, and the ObjectOps the keyspace uses.
#include "hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "db.h"

namespace tally {

// Friend of HashObject: checks the invariants stated in hash.h against the private state.
struct HashObjectTestPeer {
  static std::size_t field_bytes(const HashObject& h) { return h.table_ptr() ? h.table_ptr()->field_bytes : 0; }
  static const char* block(const HashObject& h) { return h.compact() ? h.block() : nullptr; }

  static ::testing::AssertionResult check(const HashObject& h) {
    return h.compact() ? check_compact(h) : check_table(h);
  }

  // The block holds exactly count_ well-formed pairs with distinct names, and nothing else; the
  // byte accounting is the block.
  static ::testing::AssertionResult check_compact(const HashObject& h) {
    std::unordered_set<std::string> names;
    std::size_t pairs = 0, bytes = 0;
    for (const char* p = h.block(); p < h.block() + h.bytes_; ++pairs) {
      const char* start = p;
      std::string_view k = hash_detail::get_string(p);
      hash_detail::get_string(p);
      if (p > h.block() + h.bytes_) return ::testing::AssertionFailure() << "pair " << pairs << " overruns the block";
      if (!names.insert(std::string(k)).second) return ::testing::AssertionFailure() << "duplicate field " << k;
      bytes += static_cast<std::size_t>(p - start);
    }
    if (pairs != h.count_) return ::testing::AssertionFailure() << "count_ " << h.count_ << " != " << pairs;
    if (bytes != h.bytes_) return ::testing::AssertionFailure() << "bytes_ " << h.bytes_ << " != " << bytes;
    if ((h.bytes_ == 0) != (h.block() == nullptr)) return ::testing::AssertionFailure() << "empty block kept";
    if (h.memory_bytes() != bytes)
      return ::testing::AssertionFailure() << "memory_bytes " << h.memory_bytes() << " for " << bytes << " bytes";
    return ::testing::AssertionSuccess();
  }

  static ::testing::AssertionResult check_table(const HashObject& h) {
    std::size_t fields = 0, bytes = 0;
    std::unordered_set<std::string> names;
    std::string why;  // the first broken invariant
    auto expect = [&why](bool holds, const char* what) {
      if (!holds && why.empty()) why = what;
    };
    const HashObject::Table& t = *h.table_ptr();
    t.table.for_each([&](const HNode* n) {
      const HashField& f = *field_of(n);
      ++fields;
      bytes += f.alloc_size();
      expect(names.insert(std::string(f.key())).second, "duplicate field");
      expect(f.vlen() <= f.value_capacity(), "value longer than its block");
      expect(f.node.hcode == static_cast<uint32_t>(hash_bytes(f.key().data(), f.klen())), "stale hcode");
      expect(f.alloc_size() % HashObject::kFieldGranule == 0, "block not rounded");
    });
    if (!why.empty()) return ::testing::AssertionFailure() << why;
    if (h.bytes_) return ::testing::AssertionFailure() << "a table kept its block's length";
    if (fields != h.size()) return ::testing::AssertionFailure() << "size() " << h.size() << " != " << fields;
    if (bytes != t.field_bytes)
      return ::testing::AssertionFailure() << "field_bytes " << t.field_bytes << " != " << bytes;
    std::size_t want = sizeof(HashObject::Table) + t.table.memory_bytes() + bytes;
    if (h.memory_bytes() != want) return ::testing::AssertionFailure() << "memory_bytes " << h.memory_bytes();
    return ::testing::AssertionSuccess();
  }
};

namespace {

using Model = std::unordered_map<std::string, std::string>;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// Sets the process-wide limits for one test and restores the previous ones.
class LimitsGuard {
 public:
  explicit LimitsGuard(HashLimits l) : saved_(hash_limits()) { set_hash_limits(l); }
  ~LimitsGuard() { set_hash_limits(saved_); }

 private:
  HashLimits saved_;
};

std::string get(HashObject& h, std::string_view name) {
  auto v = h.get(name);
  return v ? std::string(*v) : std::string("<none>");
}

Pairs pairs_of(const HashObject& h) {
  Pairs out;
  h.for_each([&out](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

::testing::AssertionResult same(HashObject& h, const Model& m) {
  if (h.size() != m.size()) return ::testing::AssertionFailure() << "size " << h.size() << " vs " << m.size();
  for (const auto& [k, v] : m) {
    auto got = h.get(k);
    if (!got) return ::testing::AssertionFailure() << "missing " << k;
    if (*got != v) return ::testing::AssertionFailure() << "value of " << k;
  }
  return HashObjectTestPeer::check(h);
}

// Both forms run the same behavioural tests: kTable converts the hash before its first write.
enum class Form { kCompact, kTable };
std::unique_ptr<HashObject> make_hash(Form form) {
  auto h = std::make_unique<HashObject>();
  if (form == Form::kTable) h->convert_to_table();
  return h;
}

// Fixtures start from Redis's default limits, whatever other tests (CONFIG SET) left behind.
class HashFormTest : public ::testing::TestWithParam<Form> {
  LimitsGuard defaults_{HashLimits{}};
};
class HashLimitsTest : public ::testing::Test {
  LimitsGuard defaults_{HashLimits{}};
};
using HashCompactTest = HashLimitsTest;
using HashConversionTest = HashLimitsTest;
using HashTableFormTest = HashLimitsTest;
INSTANTIATE_TEST_SUITE_P(BothForms, HashFormTest, ::testing::Values(Form::kCompact, Form::kTable),
                         [](const auto& info) { return info.param == Form::kCompact ? "Compact" : "Table"; });

TEST_P(HashFormTest, SetFindRemove) {
  auto hp = make_hash(GetParam());
  HashObject& h = *hp;
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.get("a"));
  EXPECT_TRUE(h.set("a", "1"));
  EXPECT_FALSE(h.set("a", "2"));
  EXPECT_TRUE(h.set("", ""));
  std::string bin("\0\r\n\xff", 4);
  EXPECT_TRUE(h.set(bin, bin));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(get(h, "a"), "2");
  EXPECT_EQ(get(h, ""), "");
  EXPECT_EQ(get(h, bin), bin);
  EXPECT_FALSE(h.get("A"));
  EXPECT_EQ(h.compact(), GetParam() == Form::kCompact);  // no limit was crossed
  EXPECT_TRUE(HashObjectTestPeer::check(h));
  EXPECT_TRUE(h.remove("a"));
  EXPECT_FALSE(h.remove("a"));
  EXPECT_FALSE(h.get("a"));
  EXPECT_TRUE(h.remove(""));
  EXPECT_TRUE(h.remove(bin));
  EXPECT_TRUE(h.empty());
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

// HINCRBY / HSETNX: find() once, then set() at the slot: overwrites found fields, adds missing ones.
TEST_P(HashFormTest, SetAtSlotUpdatesWithoutSecondSearch) {
  auto hp = make_hash(GetParam());
  HashObject& h = *hp;
  h.set("x", "0");
  HashObject::Slot miss = h.find("counter");
  EXPECT_FALSE(miss.found);
  EXPECT_TRUE(h.set(miss, "counter", "1"));
  for (int i = 2; i <= 1000; ++i) {
    HashObject::Slot at = h.find("counter");
    ASSERT_TRUE(at.found);
    ASSERT_EQ(at.value, std::to_string(i - 1));
    EXPECT_FALSE(h.set(at, "counter", std::to_string(i)));
  }
  EXPECT_EQ(get(h, "counter"), "1000");
  EXPECT_EQ(pairs_of(h).size(), 2u);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_P(HashFormTest, WritesFromOwnBytes) {
  auto hp = make_hash(GetParam());
  HashObject& h = *hp;
  h.set("name", "value-value-value");
  h.set("name", h.get("name")->substr(6));  // overlapping
  EXPECT_EQ(get(h, "name"), "value-value");
  h.set("name", h.find("name").value.substr(0, 5));
  EXPECT_EQ(get(h, "name"), "value");
  std::string long_value(60, 'z');
  h.set("other", long_value);
  h.set("name", *h.get("other"));  // another field's bytes, growing this one
  EXPECT_EQ(get(h, "name"), long_value);
  h.set(*h.get("name"), *h.get("other"));  // a new field named by an existing value
  EXPECT_EQ(get(h, long_value), long_value);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_P(HashFormTest, ScanVisitsEveryField) {
  auto empty = make_hash(GetParam());
  EXPECT_EQ(empty->scan(0, [](std::string_view, std::string_view) { FAIL(); }), 0u);
  auto hp = make_hash(GetParam());
  for (int i = 0; i < 100; ++i) hp->set("f" + std::to_string(i), "v");
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = hp->scan(cursor, [&](std::string_view k, std::string_view) { seen.emplace_back(k); });
    ++calls;
  } while (cursor != 0);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen.size(), 100u);
  // A compact hash answers in one call (Redis's listpack HSCAN); a table one bucket at a time.
  if (GetParam() == Form::kCompact) {
    EXPECT_EQ(calls, 1);
  } else {
    EXPECT_GT(calls, 1);
  }
}

TEST_P(HashFormTest, CloneIsDeepIndependentAndSameForm) {
  auto hp = make_hash(GetParam());
  HashObject& h = *hp;
  Model m;
  for (int i = 0; i < 300; ++i) {
    std::string k = "k" + std::to_string(i);
    h.set(k, std::string(i % 40, 'v'));
    m[k] = std::string(i % 40, 'v');
  }
  auto copy = std::make_unique<HashObject>(h.clone());
  ASSERT_TRUE(same(*copy, m));
  EXPECT_EQ(copy->compact(), h.compact());
  if (h.compact()) {
    EXPECT_EQ(copy->memory_bytes(), h.memory_bytes());
  } else {
    EXPECT_EQ(HashObjectTestPeer::field_bytes(*copy), HashObjectTestPeer::field_bytes(h));
  }
  if (h.compact()) {
    EXPECT_EQ(pairs_of(*copy), pairs_of(h));  // a compact copy keeps the order
  }
  copy->set("k1", "changed");
  copy->remove("k2");
  copy->set("new", "x");
  EXPECT_TRUE(same(h, m));  // the original is untouched
  h.remove("k3");
  EXPECT_EQ(get(*copy, "k3"), m["k3"]);
  EXPECT_TRUE(HashObjectTestPeer::check(*copy));
}

uint64_t test_rnd() {
  static std::mt19937_64 rng(99);
  return rng();
}

TEST_P(HashFormTest, RandomFieldReachesEveryField) {
  auto hp = make_hash(GetParam());
  for (int i = 0; i < 50; ++i) hp->set("r" + std::to_string(i), "v" + std::to_string(i));
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 5000 && seen.size() < 50; ++i) {
    auto [k, v] = hp->random_field(&test_rnd);
    EXPECT_EQ("v" + std::string(k.substr(1)), v);
    seen.insert(std::string(k));
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST_P(HashFormTest, MemoryTracksFields) {
  auto hp = make_hash(GetParam());
  HashObject& h = *hp;
  std::size_t empty = h.memory_bytes();
  if (GetParam() == Form::kCompact) {
    EXPECT_EQ(empty, 0u);  // the header is the entry's, not counted here
  }
  h.set("a", std::string(60, 'x'));
  std::size_t with_long = h.memory_bytes();
  EXPECT_GE(with_long, empty + 60 + 1);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
  h.set("a", "short");
  EXPECT_LE(h.memory_bytes() + 40, with_long);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
  h.remove("a");
  EXPECT_LT(h.memory_bytes(), with_long - 60);
  if (GetParam() == Form::kCompact) {
    EXPECT_EQ(h.memory_bytes(), empty);  // nothing again: the empty block is freed
  }
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_P(HashFormTest, DifferentialAgainstUnorderedMap) {
  LimitsGuard limits({1u << 20, 1000});  // the compact run stays compact throughout
  std::mt19937_64 rng(12345);
  auto hp = make_hash(GetParam());
  HashObject& h = *hp;
  Model m;
  const int names = GetParam() == Form::kCompact ? 300 : 3000;
  auto name = [&] { return "f" + std::to_string(rng() % names); };
  auto value = [&] {
    std::size_t len = rng() % 8 == 0 ? rng() % 300 : rng() % 12;  // past 127: two-byte lengths
    return std::string(len, static_cast<char>('a' + rng() % 26));
  };
  for (int op = 0; op < 60000; ++op) {
    // Phases bias towards inserts or removes so the table grows and shrinks repeatedly.
    bool growing = (op / 6000) % 2 == 0;
    unsigned r = rng() % 10;
    std::string k = name();
    if (r < (growing ? 6u : 3u)) {
      std::string v = value();
      ASSERT_EQ(h.set(k, v), m.count(k) == 0);
      m[k] = v;
    } else if (r < 9) {
      ASSERT_EQ(h.remove(k), m.erase(k) == 1);
    } else if (HashObject::Slot at = h.find(k); at.found) {
      std::string v = value();
      h.set(at, k, v);
      m[k] = v;
    } else {
      ASSERT_EQ(m.count(k), 0u);
    }
    if (op % 3000 == 0) {
      ASSERT_TRUE(same(h, m)) << "op " << op;
    }
  }
  ASSERT_TRUE(same(h, m));
  EXPECT_EQ(h.compact(), GetParam() == Form::kCompact);
}

// ---- the compact form only ----

// Insertion order, as Redis's listpack: an overwrite keeps the field's place whatever the new
// value's length; a removal closes the gap; a re-added field goes to the end.
TEST_F(HashCompactTest, KeepsInsertionOrder) {
  HashObject h;
  for (const char* k : {"c", "a", "b", "d"}) h.set(k, std::string("v") + k);
  EXPECT_EQ(pairs_of(h), (Pairs{{"c", "vc"}, {"a", "va"}, {"b", "vb"}, {"d", "vd"}}));
  h.set("a", "xy");                // same length
  h.set("b", std::string(50, 'B'));  // longer
  h.set("c", "");                  // shorter
  EXPECT_EQ(pairs_of(h), (Pairs{{"c", ""}, {"a", "xy"}, {"b", std::string(50, 'B')}, {"d", "vd"}}));
  EXPECT_TRUE(h.remove("a"));
  EXPECT_EQ(pairs_of(h), (Pairs{{"c", ""}, {"b", std::string(50, 'B')}, {"d", "vd"}}));
  h.set("a", "again");
  EXPECT_EQ(pairs_of(h), (Pairs{{"c", ""}, {"b", std::string(50, 'B')}, {"d", "vd"}, {"a", "again"}}));
  EXPECT_TRUE(h.compact());
  EXPECT_EQ(h.encoding(), Encoding::kListpack);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_F(HashCompactTest, SameLengthOverwriteStaysInPlace) {
  HashObject h;
  h.set("counter", "10");
  h.set("other", "x");
  const char* block = HashObjectTestPeer::block(h);
  for (int i = 11; i < 100; ++i) h.set(h.find("counter"), "counter", std::to_string(i));
  EXPECT_EQ(HashObjectTestPeer::block(h), block);  // no reallocation for same-sized values
  EXPECT_EQ(get(h, "counter"), "99");
}

// Lengths of 127 and 128 bytes straddle the one/two-byte varint boundary; growing and shrinking a
// value across it moves the pairs after it.
TEST_F(HashCompactTest, LengthsAcrossVarintBoundaries) {
  LimitsGuard limits({512, 100000});
  HashObject h;
  Model m;
  for (std::size_t len : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 70000u}) {
    std::string k(len, 'k'), v(len, 'v');
    k += "#";  // distinct names, the same length class
    h.set(k, v);
    m[k] = v;
  }
  h.set("tail", "t");
  m["tail"] = "t";
  ASSERT_TRUE(h.compact());
  ASSERT_TRUE(same(h, m));
  std::string k127 = std::string(127, 'k') + "#";
  for (std::size_t len : {128u, 127u, 20000u, 0u, 128u}) {
    h.set(k127, std::string(len, 'w'));
    m[k127] = std::string(len, 'w');
    ASSERT_TRUE(same(h, m)) << len;
    EXPECT_EQ(pairs_of(h).back(), (std::pair<std::string, std::string>{"tail", "t"}));
  }
}

// ---- conversion: Redis's hashTypeTryConversion / hashTypeSet rules ----

TEST_F(HashConversionTest, DefaultLimitsAreRedis70s) {
  HashLimits d;
  EXPECT_EQ(d.entries, 512u);
  EXPECT_EQ(d.value, 64u);
}

TEST_F(HashConversionTest, EntryLimit) {
  for (uint64_t limit : {128u, 512u, 1u}) {
    LimitsGuard limits({limit, 64});
    HashObject h;
    for (uint64_t i = 0; i < limit; ++i) h.set("f" + std::to_string(i), "v");
    EXPECT_TRUE(h.compact()) << limit;
    h.set("f0", "overwrite");  // an overwrite at the limit does not convert
    EXPECT_TRUE(h.compact()) << limit;
    EXPECT_TRUE(HashObjectTestPeer::check(h));
    h.set("one-more", "v");  // limit + 1 fields
    EXPECT_FALSE(h.compact()) << limit;
    EXPECT_EQ(h.encoding(), Encoding::kHashTable);
    EXPECT_EQ(h.size(), limit + 1);
    EXPECT_EQ(get(h, "f0"), "overwrite");
    EXPECT_EQ(get(h, "one-more"), "v");
    EXPECT_TRUE(HashObjectTestPeer::check(h));
    while (h.size() > 1) h.remove(pairs_of(h).front().first);
    EXPECT_FALSE(h.compact());  // never back
  }
}

TEST_F(HashConversionTest, ZeroEntriesMeansAlwaysATable) {
  LimitsGuard limits({0, 64});
  HashObject h;
  h.set("", "");
  EXPECT_FALSE(h.compact());
}

TEST_F(HashConversionTest, ValueAndFieldLengthLimit) {
  const std::string v64(64, 'v'), v65(65, 'v');
  {  // a 64-byte value and name fit, a 65-byte value converts
    HashObject h;
    h.set("a", "1");
    h.set(v64, v64);
    EXPECT_TRUE(h.compact());
    h.set("b", v65);
    EXPECT_FALSE(h.compact());
    EXPECT_EQ(get(h, "b"), v65);
    EXPECT_EQ(get(h, v64), v64);
    EXPECT_EQ(get(h, "a"), "1");
    EXPECT_TRUE(HashObjectTestPeer::check(h));
  }
  {  // a 65-byte name converts
    HashObject h;
    h.set("a", "1");
    h.set(v65, "x");
    EXPECT_FALSE(h.compact());
    EXPECT_EQ(get(h, v65), "x");
  }
  {  // overwriting an existing field with a long value converts
    HashObject h;
    h.set("a", "1");
    HashObject::Slot at = h.find("a");
    EXPECT_FALSE(h.set(at, "a", v65));
    EXPECT_FALSE(h.compact());
    EXPECT_EQ(get(h, "a"), v65);
    EXPECT_EQ(h.size(), 1u);
    EXPECT_TRUE(HashObjectTestPeer::check(h));
  }
  {  // a missing field added through its slot
    HashObject h;
    h.set("a", "1");
    HashObject::Slot at = h.find("b");
    EXPECT_TRUE(h.set(at, "b", v65));
    EXPECT_EQ(get(h, "b"), v65);
    EXPECT_EQ(h.size(), 2u);
  }
  {  // a value viewing the block survives the conversion it causes
    LimitsGuard limits({512, 10});
    HashObject h;
    h.set("a", "0123456789");
    h.set(*h.get("a"), *h.get("a"));
    EXPECT_TRUE(h.compact());
    h.set("abcdefghijk", *h.get("a"));  // 11-byte name: converts, value read from the old block
    EXPECT_FALSE(h.compact());
    EXPECT_EQ(get(h, "abcdefghijk"), "0123456789");
    EXPECT_EQ(get(h, "0123456789"), "0123456789");
  }
}

// A limit changed at run time applies to later writes: reads and removes never convert, a write
// converts when its own name/value is too long for the new value limit, or when the hash (after it)
// has more fields than the new entry limit, overwrite or not (as Redis 7.0).
TEST_F(HashConversionTest, RuntimeLimitChangesAffectLaterWritesOnly) {
  LimitsGuard limits({4, 64});
  HashObject h;
  for (const char* k : {"a", "b", "c", "d"}) h.set(k, std::string(20, *k));
  set_hash_limits({2, 10});
  EXPECT_TRUE(h.compact());  // nothing happens to existing hashes
  EXPECT_EQ(get(h, "a"), std::string(20, 'a'));
  EXPECT_TRUE(h.remove("d"));
  EXPECT_TRUE(h.compact());
  set_hash_limits({3, 10});
  h.set("a", "short");  // 3 fields, limit 3; short name and value: stays, other long values or not
  EXPECT_TRUE(h.compact());
  set_hash_limits({2, 10});
  h.set("a", "short");  // an overwrite, but 3 > 2 fields now
  EXPECT_FALSE(h.compact());
  EXPECT_EQ(pairs_of(h).size(), 3u);

  set_hash_limits({512, 64});
  HashObject g;
  g.set("x", std::string(50, 'x'));
  set_hash_limits({512, 10});
  g.set("y", "1");  // fine: only this write's lengths count
  EXPECT_TRUE(g.compact());
  g.set("y", std::string(11, 'y'));
  EXPECT_FALSE(g.compact());
}

TEST_F(HashConversionTest, ConvertedHashHasEveryField) {
  HashObject h;
  Model m;
  for (int i = 0; i < 512; ++i) {
    std::string k = "field:" + std::to_string(i);
    h.set(k, std::to_string(i * 7));
    m[k] = std::to_string(i * 7);
  }
  ASSERT_TRUE(h.compact());
  ASSERT_TRUE(same(h, m));
  std::size_t compact_bytes = h.memory_bytes();
  h.set("field:512", "x");
  m["field:512"] = "x";
  ASSERT_FALSE(h.compact());
  ASSERT_TRUE(same(h, m));
  // The point of the compact form: the same fields cost several times more as a table.
  EXPECT_GT(h.memory_bytes(), 3 * compact_bytes);
  EXPECT_LT(compact_bytes, sizeof(HashObject) + 513 * 16);  // ~12 bytes a pair here
}

// Random limits and writes: conversions happen at arbitrary points mid-run and nothing is lost.
TEST_F(HashConversionTest, DifferentialAcrossConversions) {
  std::mt19937_64 rng(777);
  for (int run = 0; run < 200; ++run) {
    LimitsGuard limits({rng() % 40, rng() % 20});
    HashObject h;
    Model m;
    for (int op = 0; op < 100; ++op) {
      std::string k = "k" + std::to_string(rng() % 50);
      if (rng() % 4 == 0) {
        ASSERT_EQ(h.remove(k), m.erase(k) == 1);
      } else {
        std::string v(rng() % 24, 'v');
        ASSERT_EQ(h.set(k, v), m.count(k) == 0);
        m[k] = v;
      }
    }
    ASSERT_TRUE(same(h, m)) << "run " << run;
  }
}

TEST_F(HashLimitsTest, ObjectOpsAreRegistered) {
  const ObjectOps& ops = object_ops(ValueType::kHash);
  for (Form form : {Form::kCompact, Form::kTable}) {
    // In place, as the keyspace keeps them: an entry's 16 bytes.
    alignas(8) unsigned char at[kObjectHeaderBytes], copy_at[kObjectHeaderBytes];
    auto* h = ::new (at) HashObject(std::move(*make_hash(form)));
    h->set("a", "1");
    h->set("b", "2");
    EXPECT_EQ(ops.length(h), 2u);
    EXPECT_EQ(ops.memory(h), h->memory_bytes());
    ops.clone(h, copy_at);
    auto* copy = object_at<HashObject>(copy_at);
    EXPECT_EQ(ops.length(copy), 2u);
    EXPECT_EQ(copy->compact(), form == Form::kCompact);
    EXPECT_EQ(get(*copy, "b"), "2");
    ops.destroy(h);
    EXPECT_EQ(get(*copy, "a"), "1");  // the copy survives its source
    // Detached (the lazy free): the object moves out whole, its bytes in place are done with.
    void* detached = ops.detach(copy);
    EXPECT_EQ(ops.length(detached), 2u);
    EXPECT_EQ(get(*static_cast<HashObject*>(detached), "b"), "2");
    ops.free_detached(detached);
  }
}

// ---- the table form only ----

TEST_F(HashTableFormTest, UpdateInPlaceWhenItFits) {
  HashObject h;
  h.convert_to_table();
  h.set("counter", "1");
  EXPECT_GE(h.find("counter").field->value_capacity(), 1u);
  for (int i = 2; i < 1000; ++i) h.set(h.find("counter"), "counter", std::to_string(i));
  EXPECT_EQ(get(h, "counter"), "999");
  HashField* f = h.find("counter").field;
  for (int i = 0; i < 1000; ++i) h.set(h.find("counter"), "counter", std::to_string(i));
  EXPECT_EQ(h.find("counter").field, f);  // short values always fit a counter's block
  EXPECT_EQ(get(h, "counter"), "999");
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_F(HashTableFormTest, UpdateReallocatesWhenTooBigOrTooSmall) {
  HashObject h;
  h.set("f", "x");
  std::string big(10000, 'b');
  h.set("f", big);  // converts (value limit)
  ASSERT_FALSE(h.compact());
  EXPECT_EQ(get(h, "f"), big);
  std::size_t big_bytes = h.memory_bytes();
  h.set("f", "tiny");  // a 10 KB block is not kept for 4 bytes
  EXPECT_EQ(get(h, "f"), "tiny");
  EXPECT_LT(h.find("f").field->value_capacity(), 64u);
  EXPECT_LT(h.memory_bytes() + 9000, big_bytes);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_F(HashTableFormTest, ShortFieldsCostTheirNodeAndBytesOnly) {
  HashObject h;
  h.convert_to_table();
  h.set("field:123456", "value:123456");  // 16 + 24 bytes: no rounding, no length words
  HashField* f = h.find("field:123456").field;
  EXPECT_FALSE(f->long_form());
  EXPECT_EQ(f->alloc_size(), 40u);
  EXPECT_EQ(f->value_capacity(), 12u);
  h.set("f", "v");  // 16 + 2 rounds to 24: 6 spare bytes for the value
  EXPECT_EQ(h.find("f").field->alloc_size(), 24u);
  EXPECT_EQ(h.find("f").field->value_capacity(), 7u);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_F(HashTableFormTest, LongNamesAndValuesTakeTheLongForm) {
  HashObject h;
  h.convert_to_table();
  std::string long_name(300, 'n'), long_value(70000, 'v'), edge_name(255, 'e'), edge_value(65535, 'w');
  h.set(long_name, "x");
  h.set("k", long_value);
  h.set(edge_name, edge_value);  // the largest short-form lengths
  EXPECT_TRUE(h.find(long_name).field->long_form());
  EXPECT_TRUE(h.find("k").field->long_form());
  EXPECT_FALSE(h.find(edge_name).field->long_form());
  EXPECT_EQ(get(h, long_name), "x");
  EXPECT_EQ(get(h, "k"), long_value);
  EXPECT_EQ(get(h, edge_name), edge_value);
  EXPECT_EQ(h.find(long_name).field->alloc_size(), 336u);  // 16 + 12 + 300 + 1, rounded up to 8
  // A long-form value written in place, then one growing past the short form's value length.
  HashField* f = h.find("k").field;
  h.set("k", std::string(69999, 'u'));
  EXPECT_EQ(h.find("k").field, f);
  EXPECT_EQ(get(h, "k"), std::string(69999, 'u'));
  h.set(edge_name, edge_value + "!");
  EXPECT_TRUE(h.find(edge_name).field->long_form());
  EXPECT_EQ(get(h, edge_name), edge_value + "!");
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_F(HashTableFormTest, ShortFormShrinksInPlaceOnlyWhileItsSpareFits) {
  HashObject h;
  h.convert_to_table();
  h.set("f", std::string(1000, 'a'));
  HashField* f = h.find("f").field;
  ASSERT_FALSE(f->long_form());
  h.set("f", std::string(900, 'b'));  // 100 spare bytes: still expressible, kept in place
  EXPECT_EQ(h.find("f").field, f);
  EXPECT_EQ(get(h, "f"), std::string(900, 'b'));
  h.set("f", std::string(700, 'c'));  // 300 spare bytes would not fit the short form's 7 bits
  EXPECT_NE(h.find("f").field, f);
  EXPECT_EQ(get(h, "f"), std::string(700, 'c'));
  EXPECT_LT(h.find("f").field->value_capacity(), 708u);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST_F(HashTableFormTest, ScanReturnsEveryStableFieldWhileChanging) {
  HashObject h;
  std::unordered_set<std::string> stable;
  for (int i = 0; i < 2000; ++i) {
    std::string k = "s" + std::to_string(i);
    h.set(k, "v");
    stable.insert(k);
  }
  ASSERT_FALSE(h.compact());
  std::unordered_set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, extra = 0;
  bool growing = true;
  do {
    cursor = h.scan(cursor, [&](std::string_view k, std::string_view) { seen.insert(std::string(k)); });
    // Between calls, other fields come and go in waves, so the table grows, shrinks and rehashes.
    for (int j = 0; j < 25; ++j) {
      if (growing) h.set("t" + std::to_string(extra++), "x");
      else h.remove("t" + std::to_string(--extra));
    }
    if (extra >= 6000 || extra == 0) growing = !growing;
    ++calls;
  } while (cursor != 0 && calls < 100000);
  EXPECT_EQ(cursor, 0u);
  EXPECT_GT(calls, 100);  // the waves really happened during the scan
  for (const auto& k : stable) EXPECT_TRUE(seen.count(k)) << k;
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

}  // namespace
}  // namespace tally
