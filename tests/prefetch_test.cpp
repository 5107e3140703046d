// Key prefetching for pipelined batches (prefetch.h): hashing and prefetching against a live keyspace
// and a hash table through a resize, and the hash a Txn takes from the prefetch (KeyHashOffer).
#include "prefetch.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "db.h"
#include "hashtable.h"

namespace tally {
namespace {

// prefetch_keys says how many keys it prefetched: none for fewer than two (the worker then leaves the
// connection's next batches alone for a while), and hashes each as the keyspace does.
TEST(PrefetchKeysTest, CountsAndHashesTheKeysItPrefetched) {
  Keyspace ks(16, 8);
  const std::string_view keys[] = {"foo", "", "bar", "a longer key than the others"};
  uint64_t hashes[kPrefetchBatch] = {};
  EXPECT_EQ(prefetch_keys(ks, 0, keys, 0, hashes), 0u);
  EXPECT_EQ(prefetch_keys(ks, 0, keys, 1, hashes), 0u) << "one key";
  EXPECT_EQ(hashes[0], 0u) << "not hashed either";
  EXPECT_EQ(prefetch_keys(ks, 0, keys, 4, hashes), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(hashes[i], hash_bytes(keys[i].data(), keys[i].size()));
}

// Prefetching reads the keyspace without locks: run it over keys present and absent, in a database
// other than 0, while the tables grow, and check that nothing it touches changes.
TEST(PrefetchKeysTest, LeavesTheKeyspaceAsItWas) {
  Keyspace ks(16, 8);
  std::vector<std::string> names;
  uint64_t hashes[kPrefetchBatch];
  for (int i = 0; i < 2000; ++i) {
    names.push_back("key:" + std::to_string(i));
    {
      std::string_view k = names.back();
      Txn txn(ks, 3, std::span<const std::string_view>(&k, 1));
      txn.set_string(0, "v");
    }
    std::string_view batch[kPrefetchBatch];
    const std::size_t n = std::min<std::size_t>(names.size(), kPrefetchBatch);
    for (std::size_t j = 0; j < n; ++j) batch[j] = names[names.size() - 1 - j];  // present keys
    prefetch_keys(ks, 3, batch, n, hashes);
    for (std::size_t j = 0; j < n; ++j) batch[j] = names[j];  // absent from database 0
    prefetch_keys(ks, 0, batch, n, hashes);
  }
  EXPECT_EQ(ks.dbsize(3), 2000u);
  EXPECT_EQ(ks.dbsize(0), 0u);
}

// A hash offered for a key is taken by a Txn over that very view, and only by one: the same bytes
// elsewhere, or a view of other length at the same address, hash for themselves. A (deliberately)
// wrong offer shows which one was taken.
TEST(KeyHashOfferTest, TakenOnlyForTheSameView) {
  Keyspace ks(16, 8);
  const std::string buf = "alphabeta", copy = "alpha";
  const std::string_view alpha(buf.data(), 5);
  {
    std::string_view k = alpha;
    Txn txn(ks, 0, std::span<const std::string_view>(&k, 1));
    txn.set_string(0, "1");
  }
  auto found = [&](std::string_view key) {
    Txn txn(ks, 0, std::span<const std::string_view>(&key, 1));
    return txn.peek(0) != nullptr;
  };
  const uint64_t wrong = hash_bytes("zzz", 3);  // names another shard and bucket
  ASSERT_NE(ks.shard_of(wrong), ks.shard_of(hash_bytes("alpha", 5)));
  {
    KeyHashOffer offer(alpha, hash_bytes(alpha.data(), alpha.size()));
    EXPECT_TRUE(found(alpha));
    EXPECT_TRUE(found(copy));
  }
  {
    KeyHashOffer offer(alpha, wrong);
    EXPECT_FALSE(found(alpha)) << "the offer was taken";
    EXPECT_TRUE(found(copy)) << "other bytes hash for themselves";
    EXPECT_FALSE(found(std::string_view(buf.data(), 9))) << "absent either way";
  }
  EXPECT_TRUE(found(alpha)) << "withdrawn with its scope";
}

// The hints follow the bucket array through growth, release_all and moves: bucket k's hint is k
// pointers past bucket 0's, and the index wraps at the current bucket count.
TEST(HashTablePrefetchTest, HintsFollowTheBucketArray) {
  struct Node {
    HNode h;
  };
  auto check = [](const HashTable& t, const char* when) {
    const std::size_t count = t.bucket_count();
    ASSERT_NE(t.bucket_hint(0), nullptr) << when;
    const auto* b0 = static_cast<const char*>(t.bucket_hint(0));
    EXPECT_EQ(static_cast<const char*>(t.bucket_hint(static_cast<uint32_t>(count - 1))),
              b0 + (count - 1) * sizeof(HNode*)) << when;
    EXPECT_EQ(t.bucket_hint(static_cast<uint32_t>(count)), b0) << when;
  };
  auto settle = [](HashTable& t) {  // finish any rehash, so bucket_count() is the new array's alone
    while (t.rehashing()) t.find(0, [](const HNode*) { return false; });
  };
  HashTable t;
  EXPECT_EQ(t.bucket_hint(7), nullptr);
  t.prefetch_bucket(7);  // no buckets: nothing to load
  std::vector<Node> nodes(1000);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].h.hcode = static_cast<uint32_t>(i * 2654435761u);
    t.insert(&nodes[i].h);
    t.prefetch_bucket(nodes[i].h.hcode);
  }
  settle(t);
  EXPECT_GE(t.bucket_count(), 1024u);
  check(t, "after growth");
  HashTable moved(std::move(t));
  check(moved, "after a move");
  EXPECT_EQ(moved.size(), nodes.size());
  moved.release_all();
  settle(moved);
  check(moved, "after release_all");
  EXPECT_EQ(moved.bucket_count(), HashTable::kMinBuckets);
}

}  // namespace
}  // namespace tally
