// Key prefetching for pipelined batches (prefetch.h): finding each request's first argument, and
// prefetching against a live keyspace and a hash table through a resize.
#include "prefetch.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "db.h"
#include "hashtable.h"

namespace tally {
namespace {

std::vector<std::string> args_of(std::string_view buf, std::size_t max = kPrefetchBatch) {
  std::vector<std::string_view> out(max);
  std::size_t n = first_args(buf.data(), buf.size(), out.data(), max);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

TEST(FirstArgsTest, TakesTheFirstArgumentOfEachCompleteRequest) {
  EXPECT_EQ(args_of("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n*3\r\n$3\r\nSET\r\n$4\r\nbar\n\r\n$1\r\nv\r\n"),
            (std::vector<std::string>{"foo", "bar\n"}));
  EXPECT_EQ(args_of("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n"), (std::vector<std::string>{"", ""}))
      << "no argument, then an empty one";
}

TEST(FirstArgsTest, StopsAtAnIncompleteOrNonMultibulkRequest) {
  const std::string one = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
  EXPECT_EQ(args_of(one + "*2\r\n$3\r\nGET\r\n$3\r\nfo"), std::vector<std::string>{"foo"}) << "partial bulk";
  EXPECT_EQ(args_of(one + "*2\r\n$3\r\nGET\r\n$3"), std::vector<std::string>{"foo"}) << "partial length";
  EXPECT_EQ(args_of(one + "GET foo\r\n" + one), std::vector<std::string>{"foo"}) << "inline request";
  EXPECT_TRUE(args_of("*0\r\n" + one).empty()) << "empty multibulk";
  EXPECT_TRUE(args_of("*-1\r\n" + one).empty());
  EXPECT_TRUE(args_of("*2\r\n$-1\r\n").empty());
  EXPECT_TRUE(args_of("*2\r\n$99999999999999\r\n").empty()) << "a length past any limit";
  EXPECT_TRUE(args_of("*2\r\n$3x\r\nGET\r\n").empty());
  EXPECT_TRUE(args_of("*2\r\n$3\r\nGETxx").empty()) << "bulk not followed by CRLF room";
  EXPECT_TRUE(args_of("").empty());
  EXPECT_TRUE(args_of("*999999\r\n$1\r\na\r\n").empty()) << "more arguments announced than sent";
  std::string wide = "*65\r\n";
  for (int i = 0; i < 65; ++i) wide += "$1\r\nx\r\n";
  EXPECT_TRUE(args_of(wide + one).empty()) << "over 64 arguments: not scanned";
  std::string sixty_four = "*64\r\n";
  for (int i = 0; i < 64; ++i) sixty_four += "$1\r\n" + std::string(1, static_cast<char>('a' + i % 26)) + "\r\n";
  EXPECT_EQ(args_of(sixty_four + one), (std::vector<std::string>{"b", "foo"}));
}

TEST(FirstArgsTest, TakesAtMostMaxRequests) {
  std::string buf;
  for (int i = 0; i < 40; ++i) buf += "*2\r\n$3\r\nGET\r\n$2\r\nk" + std::to_string(i % 10) + "\r\n";
  EXPECT_EQ(args_of(buf).size(), kPrefetchBatch);
  EXPECT_EQ(args_of(buf, 3), (std::vector<std::string>{"k0", "k1", "k2"}));
}

// The lengths are read up to 12 digits, and a header needs its digits and CRLF whole.
TEST(FirstArgsTest, LengthsAtTheirLimits) {
  EXPECT_EQ(args_of("*2\r\n$3\r\nGET\r\n$000000000003\r\nfoo\r\n"), std::vector<std::string>{"foo"}) << "12 digits";
  EXPECT_TRUE(args_of("*2\r\n$3\r\nGET\r\n$0000000000003\r\nfoo\r\n").empty()) << "13 digits";
  EXPECT_TRUE(args_of("*2\r").empty());
  EXPECT_TRUE(args_of("*\r\n").empty()) << "no digits";
  EXPECT_TRUE(args_of("*2\r\r$3\r\nGET\r\n$3\r\nfoo\r\n").empty()) << "CR not followed by LF";
}

// prefetch_keys says how many keys it prefetched: none for fewer than two (the worker then leaves the
// connection's next batches unscanned for a while).
TEST(PrefetchKeysTest, CountsTheKeysItPrefetched) {
  Keyspace ks(16, 8);
  const std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", ping = "*1\r\n$4\r\nPING\r\n";
  EXPECT_EQ(prefetch_keys(ks, 0, get.data(), get.size()), 0u) << "one key";
  std::string pings;
  for (int i = 0; i < 16; ++i) pings += ping;
  EXPECT_EQ(prefetch_keys(ks, 0, pings.data(), pings.size()), 0u) << "no keys";
  std::string mixed = ping + get + ping + get + get;
  EXPECT_EQ(prefetch_keys(ks, 0, mixed.data(), mixed.size()), 3u);
  std::string many;
  for (int i = 0; i < 40; ++i) many += get;
  EXPECT_EQ(prefetch_keys(ks, 0, many.data(), many.size()), kPrefetchBatch);
}

// Prefetching reads the keyspace without locks: run it over keys present and absent, in a database
// other than 0, while the tables grow, and check that nothing it touches changes.
TEST(PrefetchKeysTest, LeavesTheKeyspaceAsItWas) {
  Keyspace ks(16, 8);
  std::string batch;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    batch += "*2\r\n$3\r\nGET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
    {
      std::string_view k = key;
      Txn txn(ks, 3, std::span<const std::string_view>(&k, 1));
      txn.set_string(0, "v");
    }
    prefetch_keys(ks, 3, batch.data() + (batch.size() > 600 ? batch.size() - 600 : 0),
                  std::min<std::size_t>(batch.size(), 600));
    prefetch_keys(ks, 0, batch.data(), batch.size());
  }
  EXPECT_EQ(ks.dbsize(3), 2000u);
  EXPECT_EQ(ks.dbsize(0), 0u);
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
