// Tests for the intrusive hash table and hash_bytes: an invariant checker with access to the table's
// internals, randomised differential tests against std:: containers that run many grow/shrink/rehash
// cycles, scan completeness while the table changes between calls, and hash quality checks.
#include "hashtable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "intrusive.h"

namespace tally {

// Friend of HashTable: checks the invariants stated in hashtable.h against the private state.
struct HashTableTestPeer {
  static ::testing::AssertionResult check(const HashTable& h) {
    if (!h.newer_.buckets) {
      if (h.older_.buckets || h.newer_.size || h.migrate_pos_)
        return ::testing::AssertionFailure() << "state without buckets";
      return ::testing::AssertionSuccess();
    }
    std::unordered_set<const HNode*> seen;
    if (auto r = check_table(h.newer_, 0, seen); !r) return r << " (newer)";
    if (h.older_.buckets) {
      if (h.older_.mask == h.newer_.mask) return ::testing::AssertionFailure() << "same-size rehash";
      if (h.older_.size == 0) return ::testing::AssertionFailure() << "rehash of an empty table";
      if (h.migrate_pos_ > h.older_.mask) return ::testing::AssertionFailure() << "migrate_pos_ past end";
      if (auto r = check_table(h.older_, h.migrate_pos_, seen); !r) return r << " (older)";
    } else if (auto r = check_load(h); !r) {
      return r;
    }
    if (seen.size() != h.size()) return ::testing::AssertionFailure() << "size() mismatch";
    return ::testing::AssertionSuccess();
  }

  static std::size_t migrate_pos(const HashTable& h) { return h.migrate_pos_; }
  static const void* older_array(const HashTable& h) { return h.older_.buckets; }
  static std::size_t older_size(const HashTable& h) { return h.older_.size; }
  static bool shrinking(const HashTable& h) { return h.older_.buckets && h.older_.mask > h.newer_.mask; }

 private:
  // Every node sits in the bucket its hash selects, exactly once; buckets below `drained` are empty.
  static ::testing::AssertionResult check_table(const HashTable::Table& t, std::size_t drained,
                                                std::unordered_set<const HNode*>& seen) {
    const std::size_t count = t.mask + 1;
    if ((count & t.mask) != 0 || count < HashTable::kMinBuckets)
      return ::testing::AssertionFailure() << "bad bucket count " << count;
    std::size_t nodes = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (i < drained && t.buckets[i]) return ::testing::AssertionFailure() << "node below migrate_pos_";
      for (const HNode* n = t.buckets[i]; n; n = n->next) {
        if ((n->hcode & t.mask) != i) return ::testing::AssertionFailure() << "node in wrong bucket";
        if (!seen.insert(n).second) return ::testing::AssertionFailure() << "node linked twice";
        if (++nodes > t.size) return ::testing::AssertionFailure() << "more nodes than size";
      }
    }
    if (nodes != t.size) return ::testing::AssertionFailure() << "size " << t.size << " != " << nodes;
    return ::testing::AssertionSuccess();
  }

  static ::testing::AssertionResult check_load(const HashTable& h) {
    const std::size_t buckets = h.newer_.mask + 1;
    if (h.newer_.size >= buckets) return ::testing::AssertionFailure() << "load >= 1 at rest";
    if (buckets > HashTable::kMinBuckets && h.newer_.size * 8 < buckets)
      return ::testing::AssertionFailure() << "load < 1/8 at rest";
    return ::testing::AssertionSuccess();
  }
};

namespace {

using Peer = HashTableTestPeer;

struct Item {
  HNode node;
  uint64_t key = 0;
};
Item* item_of(HNode* n) { return owner_of<Item>(n, offsetof(Item, node)); }
const Item* item_of(const HNode* n) { return owner_of<Item>(n, offsetof(Item, node)); }

uint32_t hash_key(uint64_t key) { return static_cast<uint32_t>(hash_bytes(&key, sizeof key)); }

std::unique_ptr<Item> make_item(uint64_t key, uint32_t hcode) {
  auto item = std::make_unique<Item>();
  item->key = key;
  item->node.hcode = hcode;
  return item;
}

// random_node takes a plain function pointer, so its randomness lives here.
std::mt19937_64 g_rnd(12345);
uint64_t test_rnd() { return g_rnd(); }
uint64_t zero_rnd() { return 0; }

// A table of Items mirrored by an unordered_map that owns them, plus a vector of the present keys so
// that tests can pick one uniformly.
class Model {
 public:
  explicit Model(uint32_t (*hcode_of)(uint64_t) = hash_key) : hcode_of_(hcode_of) {}

  HNode* find(uint64_t key) {
    return table.find(hcode_of_(key), [key](const HNode* n) { return item_of(n)->key == key; });
  }
  void insert(uint64_t key) {
    auto item = make_item(key, hcode_of_(key));
    table.insert(&item->node);
    slots_[key] = keys_.size();
    keys_.push_back(key);
    ref[key] = std::move(item);
  }
  HNode* remove(uint64_t key) {
    return table.remove(hcode_of_(key), [key](const HNode* n) { return item_of(n)->key == key; });
  }
  // Drops a key the table no longer links, freeing its Item.
  void forget(uint64_t key) {
    std::size_t slot = slots_.at(key);
    slots_[keys_.back()] = slot;
    keys_[slot] = keys_.back();
    keys_.pop_back();
    slots_.erase(key);
    ref.erase(key);
  }
  uint64_t random_key(std::mt19937_64& rng) const { return keys_[rng() % keys_.size()]; }

  bool contents_match() const {
    std::size_t count = 0;
    bool ok = true;
    table.for_each([&](HNode* n) {
      ++count;
      auto it = ref.find(item_of(n)->key);
      ok = ok && it != ref.end() && &it->second->node == n;
    });
    return ok && count == ref.size();
  }

  HashTable table;
  std::unordered_map<uint64_t, std::unique_ptr<Item>> ref;

 private:
  uint32_t (*hcode_of_)(uint64_t);
  std::vector<uint64_t> keys_;
  std::unordered_map<uint64_t, std::size_t> slots_;  // key -> index in keys_
};

// Counts completed resizes by watching the bucket count whenever the table is at rest.
struct ResizeCounter {
  void observe(const HashTable& t) {
    if (t.rehashing()) return;
    std::size_t b = t.bucket_count();
    if (last && b > last) ++grows;
    if (last && b < last) ++shrinks;
    last = b;
  }
  std::size_t last = 0;
  int grows = 0, shrinks = 0;
};

// One random operation against the model. With probability `grow_bias`% it inserts a random key of
// [0, key_space) (or looks it up if present); otherwise it works on a present key: removes it by
// node or by key, replaces its node, or looks up a key that is absent.
void random_op(Model& m, std::mt19937_64& rng, int grow_bias, uint64_t key_space) {
  if (m.ref.empty() || static_cast<int>(rng() % 100) < grow_bias) {
    uint64_t key = rng() % key_space;
    auto it = m.ref.find(key);
    if (it == m.ref.end()) {
      m.insert(key);
    } else {
      ASSERT_EQ(m.find(key), &it->second->node);
    }
    return;
  }
  const uint64_t key = m.random_key(rng);
  std::unique_ptr<Item>& item = m.ref.at(key);
  switch (rng() % 4) {
    case 0:
      m.table.remove_node(&item->node);
      m.forget(key);
      break;
    case 1:
      ASSERT_EQ(m.remove(key), &item->node);
      m.forget(key);
      break;
    case 2: {
      auto fresh = make_item(key, item->node.hcode);
      m.table.replace(&item->node, &fresh->node);
      item = std::move(fresh);
      break;
    }
    default: {
      const uint64_t absent = key_space + rng() % key_space;
      ASSERT_EQ(m.find(absent), nullptr);
      ASSERT_EQ(m.remove(absent), nullptr);
    }
  }
}

TEST(HashTable, EmptyTableAnswersEverything) {
  HashTable t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.find(7, [](const HNode*) { return true; }), nullptr);
  EXPECT_EQ(t.remove(7, [](const HNode*) { return true; }), nullptr);
  EXPECT_EQ(t.random_node(test_rnd), nullptr);
  EXPECT_EQ(t.scan(0, [](HNode*) { FAIL(); }), 0u);
  EXPECT_EQ(t.bucket_count(), 1u);  // no array yet; bucket_count() reads it as one bucket
  EXPECT_EQ(t.memory_bytes(), 0u);
  EXPECT_EQ(t.release_all(), nullptr);
  EXPECT_TRUE(Peer::check(t));
  // After release_all the table has buckets, so a scan walks them, still finding nothing.
  int calls = 1;
  for (uint64_t c = t.scan(0, [](HNode*) { FAIL(); }); c != 0 && calls < 100; ++calls)
    c = t.scan(c, [](HNode*) { FAIL(); });
  EXPECT_EQ(calls, static_cast<int>(HashTable::kMinBuckets));
  EXPECT_FALSE(t.rehash_some(100));
}

TEST(HashTable, DifferentialAgainstUnorderedMap) {
  Model m;
  std::mt19937_64 rng(1);
  ResizeCounter resizes;
  const uint64_t kKeys = 40000;
  int op = 0;
  for (int phase = 0; phase < 24; ++phase) {  // fill to a random peak, then drain almost empty
    const bool fill = phase % 2 == 0;
    const std::size_t target = fill ? 1000 + rng() % 20000 : rng() % 50;
    while (fill ? m.ref.size() < target : m.ref.size() > target) {
      ASSERT_NO_FATAL_FAILURE(random_op(m, rng, fill ? 80 : 15, kKeys));
      resizes.observe(m.table);
      if (++op % 1009 == 0 || m.ref.size() < 64) {
        ASSERT_TRUE(Peer::check(m.table)) << "op " << op;
      }
    }
    ASSERT_TRUE(m.contents_match());
    ASSERT_EQ(m.table.size(), m.ref.size());
  }
  EXPECT_GE(op, 200000);
  EXPECT_GE(resizes.grows, 50);
  EXPECT_GE(resizes.shrinks, 20);
}

// Few distinct hash codes: long chains of unequal keys, so lookups must rely on eq, not the hash.
uint32_t colliding_hash(uint64_t key) { return static_cast<uint32_t>(key % 37) * 0x9e3779b1u; }

TEST(HashTable, DifferentialWithHashCollisions) {
  Model m(colliding_hash);
  std::multimap<uint32_t, uint64_t> by_hash;  // what each hash code should hold
  std::mt19937_64 rng(2);
  for (int op = 0; op < 200000; ++op) {
    const int bias = (op / 5000) % 2 ? 30 : 70;
    ASSERT_NO_FATAL_FAILURE(random_op(m, rng, bias, 3000));
    if (op % 4999 == 0) {
      ASSERT_TRUE(Peer::check(m.table));
      ASSERT_TRUE(m.contents_match());
      by_hash.clear();
      for (const auto& [k, item] : m.ref) by_hash.emplace(colliding_hash(k), k);
      std::map<uint32_t, std::size_t> counted;
      m.table.for_each([&](HNode* n) { ++counted[n->hcode]; });
      for (const auto& [h, c] : counted) ASSERT_EQ(c, by_hash.count(h));
    }
  }
}

// No operation may do more than a bounded amount of migration work.
TEST(HashTable, RehashWorkPerOperationIsBounded) {
  Model m;
  std::mt19937_64 rng(3);
  // An insert may take one extra step while newer_ is overloaded.
  const std::size_t kMaxAdvance = 2 * HashTable::kRehashStepBuckets * HashTable::kRehashMaxEmptyVisits;
  int grow_ops = 0, shrink_ops = 0;
  for (int op = 0; op < 300000; ++op) {
    const void* before_array = Peer::older_array(m.table);
    const std::size_t before_pos = Peer::migrate_pos(m.table);
    // Fill to ~35k keys, then drain almost to empty: the drain's shrinks leave a sparse older_
    // whose long runs of empty buckets the empty-visit cap must cut short.
    const int bias = op % 120000 < 40000 ? 90 : 5;
    ASSERT_NO_FATAL_FAILURE(random_op(m, rng, bias, 200000));
    if (before_array && Peer::older_array(m.table) == before_array) {
      ++(Peer::shrinking(m.table) ? shrink_ops : grow_ops);
      ASSERT_LE(Peer::migrate_pos(m.table) - before_pos, kMaxAdvance) << "op " << op;
    }
  }
  // The bound was exercised in both directions.
  EXPECT_GT(grow_ops, 10000);
  EXPECT_GT(shrink_ops, 1000);
}

TEST(HashTable, RehashSomeFinishesAndReportsProgress) {
  Model m;
  for (uint64_t k = 0; !m.table.rehashing() || m.ref.size() < 1000; ++k) m.insert(k);
  EXPECT_TRUE(m.table.rehash_some(1));
  while (m.table.rehash_some(7)) ASSERT_TRUE(Peer::check(m.table));
  EXPECT_FALSE(m.table.rehashing());
  EXPECT_EQ(m.table.bucket_count(), 2048u);
  EXPECT_TRUE(m.contents_match());
  EXPECT_FALSE(m.table.rehash_some(1));
}

TEST(HashTable, ReleaseAllReturnsEveryNodeOnce) {
  for (bool mid_rehash : {false, true}) {
    Model m;
    uint64_t k = 0;
    while (m.ref.size() < 5000 || m.table.rehashing() != mid_rehash) m.insert(k++);
    ASSERT_EQ(m.table.rehashing(), mid_rehash);
    const std::size_t n = m.ref.size();
    std::unordered_set<HNode*> chain;
    for (HNode* node = m.table.release_all(); node; node = node->next) {
      ASSERT_TRUE(chain.insert(node).second);
      ASSERT_EQ(m.ref.at(item_of(node)->key).get(), item_of(node));
    }
    EXPECT_EQ(chain.size(), n);
    EXPECT_TRUE(m.table.empty());
    EXPECT_FALSE(m.table.rehashing());
    EXPECT_EQ(m.table.bucket_count(), HashTable::kMinBuckets);
    EXPECT_TRUE(Peer::check(m.table));
    m = Model();
    m.insert(1);  // still usable
    EXPECT_NE(m.find(1), nullptr);
  }
}

TEST(HashTable, ReplaceAndRemoveNodeWorkInEitherTable) {
  Model m;
  uint64_t k = 0;
  while (m.ref.size() < 2000 || !m.table.rehashing()) m.insert(k++);
  ASSERT_GT(Peer::older_size(m.table), 0u);  // some nodes still wait in older_
  std::vector<uint64_t> keys;
  for (const auto& [key, item] : m.ref) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto& slot = m.ref.at(keys[i]);
    if (i % 2) {
      auto fresh = make_item(keys[i], slot->node.hcode);
      m.table.replace(&slot->node, &fresh->node);
      EXPECT_EQ(slot->node.next, nullptr);
      slot = std::move(fresh);
      ASSERT_EQ(m.find(keys[i]), &slot->node);
    } else {
      m.table.remove_node(&slot->node);
      m.forget(keys[i]);
      ASSERT_EQ(m.find(keys[i]), nullptr);
    }
    if (i % 97 == 0) {
      ASSERT_TRUE(Peer::check(m.table));
    }
  }
  EXPECT_TRUE(m.contents_match());
  EXPECT_TRUE(Peer::check(m.table));
}

TEST(HashTable, MoveAndSwapTransferNodes) {
  Model m;
  for (uint64_t k = 0; k < 300; ++k) m.insert(k);
  HashTable moved(std::move(m.table));
  EXPECT_TRUE(m.table.empty());
  EXPECT_EQ(moved.size(), 300u);
  EXPECT_EQ(m.table.memory_bytes(), 0u);
  EXPECT_GT(moved.memory_bytes(), 0u);
  m.table = std::move(moved);
  EXPECT_EQ(m.table.size(), 300u);
  EXPECT_TRUE(m.contents_match());
  HashTable other;
  other.swap(m.table);
  EXPECT_TRUE(m.table.empty());
  other.swap(m.table);
  EXPECT_TRUE(m.contents_match());
  EXPECT_TRUE(Peer::check(m.table));
}

// ---- scan ----

TEST(HashTableScan, StaticTableReturnsEachKeyExactlyOnce) {
  Model m;
  for (uint64_t k = 0; k < 10000; ++k) m.insert(k);
  while (m.table.rehash_some(100)) continue;
  std::unordered_set<uint64_t> seen;
  uint64_t cursor = 0;
  do {
    cursor = m.table.scan(cursor, [&](HNode* n) { EXPECT_TRUE(seen.insert(item_of(n)->key).second); });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 10000u);
}

struct ScanPlan {
  std::size_t stable;  // keys present for the whole scan
  std::size_t peak;    // volatile keys are added up to this many, then removed, over and over
  int ops_per_call;    // table changes between two scan calls
  uint64_t seed;
};

// Runs one scan while volatile keys come and go between calls; returns the resizes seen.
ResizeCounter scan_under_churn(const ScanPlan& plan) {
  Model m;
  std::mt19937_64 rng(plan.seed);
  for (uint64_t k = 0; k < plan.stable; ++k) m.insert(k);  // stable keys: [0, plan.stable)
  const uint64_t kFirstVolatile = 1u << 30;
  uint64_t next_key = kFirstVolatile;
  std::vector<uint64_t> volatile_keys;
  bool growing = true;
  std::unordered_set<uint64_t> seen;
  ResizeCounter resizes;
  uint64_t cursor = 0;
  std::size_t calls = 0;
  do {
    cursor = m.table.scan(cursor, [&](HNode* n) { seen.insert(item_of(n)->key); });
    for (int i = 0; i < plan.ops_per_call; ++i) {
      if (growing && volatile_keys.size() >= plan.peak) growing = false;
      if (!growing && volatile_keys.empty()) growing = true;
      if (growing) {
        m.insert(next_key);
        volatile_keys.push_back(next_key++);
      } else {
        std::size_t pick = rng() % volatile_keys.size();
        std::swap(volatile_keys[pick], volatile_keys.back());
        EXPECT_NE(m.remove(volatile_keys.back()), nullptr);
        m.forget(volatile_keys.back());
        volatile_keys.pop_back();
      }
      resizes.observe(m.table);
    }
  } while (cursor != 0 && ++calls < 50000000u);
  EXPECT_EQ(cursor, 0u) << "scan did not finish";
  for (uint64_t k = 0; k < plan.stable; ++k) EXPECT_TRUE(seen.count(k)) << "stable key " << k << " missed";
  for (uint64_t k : seen) {
    EXPECT_TRUE(k < plan.stable || (k >= kFirstVolatile && k < next_key)) << "unknown key " << k;
  }
  EXPECT_TRUE(Peer::check(m.table));
  return resizes;
}

TEST(HashTableScan, ReturnsEveryStableKeyWhileTableGrowsAndShrinks) {
  const ScanPlan plans[] = {
      {300, 20000, 3, 11},   // grows by 64x and shrinks back, several times, during one scan
      {2000, 8000, 1, 12},   // changes after every bucket
      {50, 30000, 20, 13},   // tiny stable set in a table that swings widely
      {5000, 100, 2, 14},    // mostly static, small churn
      {1000, 50000, 40, 15}, // many resizes per scan
  };
  int grows = 0, shrinks = 0;
  for (const ScanPlan& plan : plans) {
    ResizeCounter r = scan_under_churn(plan);
    grows += r.grows;
    shrinks += r.shrinks;
  }
  EXPECT_GE(grows, 20);
  EXPECT_GE(shrinks, 10);
}

TEST(HashTableScan, ReturnsEveryKeyWhenScanStartsMidRehash) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Model m;
    std::mt19937_64 rng(seed);
    std::size_t target = 100 + rng() % 5000;
    uint64_t k = 0;
    while (m.ref.size() < target || !m.table.rehashing()) m.insert(k++);
    // Scan with rehash steps (finds of absent keys) between calls.
    std::unordered_set<uint64_t> seen;
    uint64_t cursor = 0;
    do {
      cursor = m.table.scan(cursor, [&](HNode* n) { seen.insert(item_of(n)->key); });
      m.find(1ull << 40);
    } while (cursor != 0);
    EXPECT_EQ(seen.size(), m.ref.size()) << "seed " << seed;
  }
}

// ---- random_node ----

TEST(HashTableRandom, EveryNodeIsReachable) {
  for (bool mid_rehash : {false, true}) {
    Model m;
    uint64_t k = 0;
    while (m.ref.size() < 200 || m.table.rehashing() != mid_rehash) m.insert(k++);
    ASSERT_EQ(m.table.rehashing(), mid_rehash);
    std::unordered_map<HNode*, int> hits;
    const int kSamples = 400 * static_cast<int>(m.ref.size());
    for (int i = 0; i < kSamples; ++i) {
      HNode* n = m.table.random_node(test_rnd);
      ASSERT_NE(n, nullptr);
      ++hits[n];
    }
    ASSERT_EQ(hits.size(), m.ref.size());
    // Uniform over buckets then over the chain: a node in a chain of L of B non-empty buckets gets
    // 1/(B*L); chains stay short, so nobody should be starved far below the 1/n average.
    for (const auto& [node, count] : hits) {
      EXPECT_TRUE(m.ref.count(item_of(node)->key));
      EXPECT_GT(count, 400 / 20);
    }
  }
}

TEST(HashTableRandom, TerminatesEvenWithDegenerateRandomness) {
  // A key that is never in bucket 0, whatever the table size; zero_rnd only ever asks for bucket 0.
  uint64_t lone = 0;
  while ((hash_key(lone) & (HashTable::kMinBuckets - 1)) == 0) ++lone;
  Model m;
  m.insert(lone);
  for (uint64_t k = 1000; k < 1100; ++k) m.insert(k);
  for (uint64_t k = 1000; k < 1100; ++k) {
    ASSERT_NE(m.remove(k), nullptr);
    m.forget(k);
  }
  HNode* n = m.table.random_node(zero_rnd);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(item_of(n)->key, lone);
}

// ---- hash_bytes ----

constexpr uint64_t kTestSeed = 0x1234567;

TEST(HashBytes, SeedsChangeTheHash) {
  const std::string inputs[] = {"", "a", "key:1", std::string(64, 'x'), "0123456789abcdef!"};
  for (const std::string& s : inputs) {
    set_hash_seed(1);
    uint64_t a = hash_bytes(s.data(), s.size());
    EXPECT_EQ(a, hash_bytes(s.data(), s.size()));
    set_hash_seed(2);
    EXPECT_NE(a, hash_bytes(s.data(), s.size())) << s;
  }
  set_hash_seed(kTestSeed);
}

// Each length is hashed from a heap block of exactly that size (ASan flags any over-read) and from
// every alignment; the result must not depend on where the bytes sit.
TEST(HashBytes, AllLengthsAndAlignments) {
  std::mt19937_64 rng(5);
  std::unordered_set<uint64_t> zero_hashes;
  for (std::size_t len = 0; len <= 64; ++len) {
    std::vector<unsigned char> bytes(len);
    for (auto& b : bytes) b = static_cast<unsigned char>(rng());
    std::unique_ptr<unsigned char[]> exact(new unsigned char[len]);
    if (len) std::memcpy(exact.get(), bytes.data(), len);
    const uint64_t h = hash_bytes(exact.get(), len);
    for (std::size_t offset = 1; offset < 8; ++offset) {
      std::unique_ptr<unsigned char[]> shifted(new unsigned char[len + offset]);
      if (len) std::memcpy(shifted.get() + offset, bytes.data(), len);
      EXPECT_EQ(hash_bytes(shifted.get() + offset, len), h) << "len " << len;
    }
    for (std::size_t i = 0; i < len; ++i) {  // every byte matters
      exact[i] ^= 1;
      EXPECT_NE(hash_bytes(exact.get(), len), h) << "len " << len << " byte " << i;
      exact[i] ^= 1;
    }
    std::vector<unsigned char> zeros(len + 1, 0);
    EXPECT_TRUE(zero_hashes.insert(hash_bytes(zeros.data(), len)).second) << "len " << len;
  }
}

// Flipping any input bit flips each output bit about half the time.
TEST(HashBytes, Avalanche) {
  std::mt19937_64 rng(6);
  const int kSamples = 2000;
  for (std::size_t len : {1u, 3u, 8u, 13u, 24u}) {
    std::vector<int> flips(len * 8 * 64, 0);
    std::vector<unsigned char> buf(len);
    for (int s = 0; s < kSamples; ++s) {
      // A fresh seed per sample: one-byte inputs alone offer only 256 samples.
      set_hash_seed(rng());
      for (auto& b : buf) b = static_cast<unsigned char>(rng());
      const uint64_t base = hash_bytes(buf.data(), len);
      for (std::size_t bit = 0; bit < len * 8; ++bit) {
        buf[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
        uint64_t diff = base ^ hash_bytes(buf.data(), len);
        buf[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
        for (int out = 0; out < 64; ++out) flips[bit * 64 + out] += (diff >> out) & 1;
      }
    }
    for (std::size_t i = 0; i < flips.size(); ++i) {
      double p = static_cast<double>(flips[i]) / kSamples;
      ASSERT_TRUE(p > 0.42 && p < 0.58)
          << "len " << len << " in bit " << i / 64 << " out bit " << i % 64 << " p " << p;
    }
  }
  set_hash_seed(kTestSeed);
}

// Similar keys spread evenly over both the low bits (bucket index) and the high bits (shard index).
TEST(HashBytes, SequentialKeysSpreadAndDoNotCollide) {
  const int kKeys = 1 << 20;
  std::vector<uint64_t> hashes;
  hashes.reserve(kKeys);
  std::vector<int> low(1024, 0), high(1024, 0);
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "key:" + std::to_string(i);
    uint64_t h = hash_bytes(key.data(), key.size());
    hashes.push_back(h);
    ++low[h & 1023];
    ++high[h >> 54];
  }
  for (const auto* counts : {&low, &high}) {
    auto [lo, hi] = std::minmax_element(counts->begin(), counts->end());
    EXPECT_GT(*lo, 850);  // expected 1024 per cell, standard deviation 32
    EXPECT_LT(*hi, 1200);
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::adjacent_find(hashes.begin(), hashes.end()), hashes.end());
}

}  // namespace
}  // namespace tally
