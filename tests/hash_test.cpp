// Tests for HashObject (hash.h): an invariant checker, a randomised differential test against
// std::unordered_map long enough to run many grow/shrink cycles, in-place and reallocating updates,
// scan completeness while the hash changes between calls, clone independence, random_field coverage,
// and the ObjectOps the keyspace uses.
#include "hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "db.h"

namespace tally {

// Friend of HashObject: checks the invariants stated in hash.h against the private state.
struct HashObjectTestPeer {
  static std::size_t field_bytes(const HashObject& h) { return h.field_bytes_; }

  static ::testing::AssertionResult check(const HashObject& h) {
    std::size_t fields = 0, bytes = 0;
    std::unordered_set<std::string> names;
    std::string why;  // the first broken invariant
    auto expect = [&why](bool holds, const char* what) {
      if (!holds && why.empty()) why = what;
    };
    h.for_each([&](const HashField& f) {
      ++fields;
      bytes += f.alloc_size();
      expect(names.insert(std::string(f.key())).second, "duplicate field");
      expect(f.vlen <= f.value_capacity(), "value longer than its block");
      expect(f.node.hcode == static_cast<uint32_t>(hash_bytes(f.key().data(), f.klen)), "stale hcode");
      expect(f.alloc_size() % HashObject::kFieldGranule == 0, "block not rounded");
    });
    if (!why.empty()) return ::testing::AssertionFailure() << why;
    if (fields != h.size()) return ::testing::AssertionFailure() << "size() " << h.size() << " != " << fields;
    if (bytes != h.field_bytes_)
      return ::testing::AssertionFailure() << "field_bytes_ " << h.field_bytes_ << " != " << bytes;
    return ::testing::AssertionSuccess();
  }
};

namespace {

using Model = std::unordered_map<std::string, std::string>;

std::string get(HashObject& h, std::string_view name) {
  const HashField* f = h.find(name);
  return f ? std::string(f->value()) : std::string("<none>");
}

::testing::AssertionResult same(HashObject& h, const Model& m) {
  if (h.size() != m.size()) return ::testing::AssertionFailure() << "size " << h.size() << " vs " << m.size();
  for (const auto& [k, v] : m) {
    const HashField* f = h.find(k);
    if (!f) return ::testing::AssertionFailure() << "missing " << k;
    if (f->value() != v) return ::testing::AssertionFailure() << "value of " << k;
  }
  return HashObjectTestPeer::check(h);
}

TEST(HashObjectTest, SetFindRemove) {
  HashObject h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.find("a"), nullptr);
  EXPECT_TRUE(h.set("a", "1"));
  EXPECT_FALSE(h.set("a", "2"));
  EXPECT_TRUE(h.set("", ""));
  std::string bin("\0\r\n\xff", 4);
  EXPECT_TRUE(h.set(bin, bin));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(get(h, "a"), "2");
  EXPECT_EQ(get(h, ""), "");
  EXPECT_EQ(get(h, bin), bin);
  EXPECT_EQ(h.find("a")->key(), "a");
  EXPECT_TRUE(h.remove("a"));
  EXPECT_FALSE(h.remove("a"));
  EXPECT_EQ(h.find("a"), nullptr);
  EXPECT_TRUE(h.remove(""));
  EXPECT_TRUE(h.remove(bin));
  EXPECT_TRUE(h.empty());
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST(HashObjectTest, UpdateInPlaceWhenItFits) {
  HashObject h;
  h.set("counter", "1");
  HashField* f = h.find("counter");
  EXPECT_GE(f->value_capacity(), 1u);
  for (int i = 2; i < 1000; ++i) {
    std::string v = std::to_string(i);
    f = h.update(f, v);
    EXPECT_EQ(f->value(), v);
  }
  HashField* before = h.find("counter");
  EXPECT_EQ(h.update(before, "5"), before);  // short values always fit a counter's block
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST(HashObjectTest, UpdateReallocatesWhenTooBigOrTooSmall) {
  HashObject h;
  h.set("f", "x");
  std::string big(10000, 'b');
  HashField* f = h.update(h.find("f"), big);
  EXPECT_EQ(h.find("f"), f);
  EXPECT_EQ(f->value(), big);
  std::size_t big_bytes = h.memory_bytes();
  f = h.update(f, "tiny");  // a 10 KB block is not kept for 4 bytes
  EXPECT_EQ(f->value(), "tiny");
  EXPECT_LT(f->value_capacity(), 64u);
  EXPECT_LT(h.memory_bytes() + 9000, big_bytes);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST(HashObjectTest, UpdateFromOwnBytes) {
  HashObject h;
  h.set("name", "value-value-value");
  HashField* f = h.find("name");
  f = h.update(f, f->value().substr(6));  // overlapping, in place
  EXPECT_EQ(f->value(), "value-value");
  f = h.update(f, f->key());  // the field's own name as its value
  EXPECT_EQ(f->value(), "name");
  std::string big(500, 'z');
  h.set("other", big);
  HashField* o = h.find("other");
  f = h.update(f, std::string_view(o->value()));
  EXPECT_EQ(get(h, "name"), big);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST(HashObjectTest, DifferentialAgainstUnorderedMap) {
  std::mt19937_64 rng(12345);
  HashObject h;
  Model m;
  auto name = [&] { return "f" + std::to_string(rng() % 3000); };
  auto value = [&] {
    std::size_t len = rng() % 8 == 0 ? rng() % 300 : rng() % 12;
    return std::string(len, static_cast<char>('a' + rng() % 26));
  };
  for (int op = 0; op < 100000; ++op) {
    // Phases bias towards inserts or removes so the table grows and shrinks repeatedly.
    bool growing = (op / 10000) % 2 == 0;
    unsigned r = rng() % 10;
    std::string k = name();
    if (r < (growing ? 6u : 3u)) {
      std::string v = value();
      ASSERT_EQ(h.set(k, v), m.count(k) == 0);
      m[k] = v;
    } else if (r < 9) {
      ASSERT_EQ(h.remove(k), m.erase(k) == 1);
    } else if (HashField* f = h.find(k)) {
      std::string v = value();
      h.update(f, v);
      m[k] = v;
    } else {
      ASSERT_EQ(m.count(k), 0u);
    }
    if (op % 5000 == 0) {
      ASSERT_TRUE(same(h, m)) << "op " << op;
    }
  }
  ASSERT_TRUE(same(h, m));
}

TEST(HashObjectTest, ScanReturnsEveryStableFieldWhileChanging) {
  HashObject h;
  std::unordered_set<std::string> stable;
  for (int i = 0; i < 2000; ++i) {
    std::string k = "s" + std::to_string(i);
    h.set(k, "v");
    stable.insert(k);
  }
  std::unordered_set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, extra = 0;
  bool growing = true;
  do {
    cursor = h.scan(cursor, [&](const HashField& f) { seen.insert(std::string(f.key())); });
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

TEST(HashObjectTest, ScanOfSmallHashAndEmptyHash) {
  HashObject empty;
  EXPECT_EQ(empty.scan(0, [](const HashField&) { FAIL(); }), 0u);
  HashObject h;
  h.set("a", "1");
  h.set("b", "2");
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  do cursor = h.scan(cursor, [&](const HashField& f) { seen.emplace_back(f.key()); });
  while (cursor != 0);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(HashObjectTest, CloneIsDeepAndIndependent) {
  HashObject h;
  Model m;
  for (int i = 0; i < 500; ++i) {
    std::string k = "k" + std::to_string(i);
    h.set(k, std::string(i % 40, 'v'));
    m[k] = std::string(i % 40, 'v');
  }
  std::unique_ptr<HashObject> copy = h.clone();
  ASSERT_TRUE(same(*copy, m));
  EXPECT_EQ(HashObjectTestPeer::field_bytes(*copy), HashObjectTestPeer::field_bytes(h));
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

TEST(HashObjectTest, RandomFieldReachesEveryField) {
  HashObject h;
  EXPECT_EQ(h.random_field(&test_rnd), nullptr);
  for (int i = 0; i < 50; ++i) h.set("r" + std::to_string(i), "v");
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 5000 && seen.size() < 50; ++i) seen.insert(std::string(h.random_field(&test_rnd)->key()));
  EXPECT_EQ(seen.size(), 50u);
}

TEST(HashObjectTest, MemoryTracksFields) {
  HashObject h;
  std::size_t empty = h.memory_bytes();
  EXPECT_GE(empty, sizeof(HashObject));
  h.set("a", std::string(1000, 'x'));
  EXPECT_GE(h.memory_bytes(), empty + 1000 + sizeof(HashField));
  h.remove("a");
  EXPECT_LT(h.memory_bytes(), empty + 1000);
  EXPECT_TRUE(HashObjectTestPeer::check(h));
}

TEST(HashObjectTest, ObjectOpsAreRegistered) {
  const ObjectOps& ops = object_ops(ValueType::kHash);
  auto* h = new HashObject;
  h->set("a", "1");
  h->set("b", "2");
  EXPECT_EQ(ops.length(h), 2u);
  EXPECT_EQ(ops.memory(h), h->memory_bytes());
  void* copy = ops.clone(h);
  EXPECT_EQ(ops.length(copy), 2u);
  EXPECT_EQ(get(*static_cast<HashObject*>(copy), "b"), "2");
  ops.destroy(h);
  ops.destroy(copy);
}

}  // namespace
}  // namespace tally
