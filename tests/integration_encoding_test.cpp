// The compact ("listpack") encoding of small hashes, end to end: OBJECT ENCODING at each conversion
// boundary, insertion order of HGETALL/HKEYS/HVALS/HSCAN/HRANDFIELD, HSCAN answering a listpack in
// one call with cursor 0, the hash-max-listpack-* settings (and their ziplist aliases) through
// CONFIG GET/SET, flags, and what a restart with the log on rebuilds. Every test also passes against
// redis-server 7.0.15 (TALLY_SERVER=/usr/bin/redis-server), which is where the expectations come from.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/harness.h"
#include "tests/integration_encoding_support.h"

namespace tally_test {
namespace {

const std::string k64(64, 'x'), k65(65, 'x');

// Shares one server; every test starts from Redis's default limits (tests change them).
class EncodingTest : public SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "512"}));
    ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-value", "64"}));
  }
  void TearDown() override {
    Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "512"});
    Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-value", "64"});
    SharedServerTest::TearDown();
  }
  // HSET key f0 v0 ... f(n-1) v(n-1), one command.
  void Fill(const std::string& key, int n) {
    std::vector<std::string> args = {"HSET", key};
    for (int i = 0; i < n; ++i) {
      args.push_back("f" + std::to_string(i));
      args.push_back("v" + std::to_string(i));
    }
    ExpectInt(Cmd(c(), args), n);
  }
};

TEST_F(EncodingTest, EntryLimitConvertsAt513AndNeverBack) {
  Fill("h", 512);
  EXPECT_EQ(Encoding(c(), "h"), "listpack");
  ExpectInt(Cmd(c(), {"HSET", "h", "f0", "overwritten"}), 0);
  EXPECT_EQ(Encoding(c(), "h"), "listpack");
  ExpectInt(Cmd(c(), {"HSET", "h", "f512", "v"}), 1);  // the 513th field
  EXPECT_EQ(Encoding(c(), "h"), "hashtable");
  ExpectInt(Cmd(c(), {"HLEN", "h"}), 513);
  ExpectBulk(Cmd(c(), {"HGET", "h", "f0"}), "overwritten");
  ExpectBulk(Cmd(c(), {"HGET", "h", "f511"}), "v511");
  std::vector<std::string> del = {"HDEL", "h"};
  for (int i = 1; i <= 512; ++i) del.push_back("f" + std::to_string(i));
  ExpectInt(Cmd(c(), del), 512);
  EXPECT_EQ(Encoding(c(), "h"), "hashtable");  // one field left, still a table
}

TEST_F(EncodingTest, ValueAndFieldLengthConvertAt65Bytes) {
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1", k64, k64}), 2);
  EXPECT_EQ(Encoding(c(), "h"), "listpack");
  ExpectInt(Cmd(c(), {"HSET", "h", "b", k65}), 1);
  EXPECT_EQ(Encoding(c(), "h"), "hashtable");
  ExpectInt(Cmd(c(), {"HDEL", "h", "b"}), 1);
  EXPECT_EQ(Encoding(c(), "h"), "hashtable");

  ExpectInt(Cmd(c(), {"HSET", "name", k65, "v"}), 1);  // a long field name, on creation
  EXPECT_EQ(Encoding(c(), "name"), "hashtable");
  ExpectInt(Cmd(c(), {"HSET", "over", "a", "1"}), 1);
  ExpectInt(Cmd(c(), {"HSET", "over", "a", k65}), 0);  // overwriting with a long value
  EXPECT_EQ(Encoding(c(), "over"), "hashtable");
  ExpectBulk(Cmd(c(), {"HGET", "over", "a"}), k65);
}

// The commands that write one field through a lookup (HSETNX, HINCRBY, HINCRBYFLOAT) convert by
// the same rules: the new value's length.
TEST_F(EncodingTest, SingleFieldWritersConvertByTheSameRules) {
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "1"}), 1);
  ExpectInt(Cmd(c(), {"HSETNX", "h", "a", k65}), 0);  // not written, so no conversion
  EXPECT_EQ(Encoding(c(), "h"), "listpack");
  ExpectInt(Cmd(c(), {"HINCRBY", "h", "a", "41"}), 42);
  ExpectBulk(Cmd(c(), {"HINCRBYFLOAT", "h", "a", "0.5"}), "42.5");
  EXPECT_EQ(Encoding(c(), "h"), "listpack");
  ExpectInt(Cmd(c(), {"HSETNX", "h", "b", k65}), 1);
  EXPECT_EQ(Encoding(c(), "h"), "hashtable");

  ExpectInt(Cmd(c(), {"HSET", "f", "a", "1"}), 1);
  Reply r = Cmd(c(), {"HINCRBYFLOAT", "f", "a", "1e70"});  // a 71-character result
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING) << Describe(r.get());
  EXPECT_GT(r->len, 64u);
  EXPECT_EQ(Encoding(c(), "f"), "hashtable");
}

TEST_F(EncodingTest, InsertionOrderOfWholeHashReplies) {
  ExpectInt(Cmd(c(), {"HSET", "h", "c", "1", "a", "2", "b", "3"}), 3);
  ExpectBulks(Cmd(c(), {"HKEYS", "h"}), {"c", "a", "b"});
  ExpectInt(Cmd(c(), {"HSET", "h", "a", "a much longer value than before"}), 0);  // keeps its place
  ExpectInt(Cmd(c(), {"HDEL", "h", "c"}), 1);
  ExpectInt(Cmd(c(), {"HSET", "h", "c", "4", "d", "5"}), 2);  // re-added: at the end
  ExpectBulks(Cmd(c(), {"HGETALL", "h"}), {"a", "a much longer value than before", "b", "3", "c", "4", "d", "5"});
  ExpectBulks(Cmd(c(), {"HKEYS", "h"}), {"a", "b", "c", "d"});
  ExpectBulks(Cmd(c(), {"HVALS", "h"}), {"a much longer value than before", "3", "4", "5"});
  // A count covering the whole hash returns every field, in order.
  ExpectBulks(Cmd(c(), {"HRANDFIELD", "h", "4"}), {"a", "b", "c", "d"});
  ExpectBulks(Cmd(c(), {"HRANDFIELD", "h", "10", "WITHVALUES"}),
              {"a", "a much longer value than before", "b", "3", "c", "4", "d", "5"});
  // A COPY is a listpack with the same order; MULTI/EXEC writes the same way.
  ExpectInt(Cmd(c(), {"COPY", "h", "h2"}), 1);
  EXPECT_EQ(Encoding(c(), "h2"), "listpack");
  ExpectBulks(Cmd(c(), {"HKEYS", "h2"}), {"a", "b", "c", "d"});
  ExpectOk(Cmd(c(), {"MULTI"}));
  ExpectStatus(Cmd(c(), {"HSET", "m", "z", "1", "y", "2"}), "QUEUED");
  ExpectStatus(Cmd(c(), {"HSET", "m2", "big", k65}), "QUEUED");
  ExpectArrayLen(Cmd(c(), {"EXEC"}), 2);
  EXPECT_EQ(Encoding(c(), "m"), "listpack");
  EXPECT_EQ(Encoding(c(), "m2"), "hashtable");
  ExpectInt(Cmd(c(), {"COPY", "m2", "m3"}), 1);
  EXPECT_EQ(Encoding(c(), "m3"), "hashtable");
}

TEST_F(EncodingTest, HscanAnswersAListpackInOneCall) {
  Fill("h", 100);
  for (const std::string cursor : {"0", "17", "12345"}) {
    Reply r = Cmd(c(), {"HSCAN", "h", cursor, "COUNT", "1"});
    ASSERT_TRUE(ExpectArrayLen(r, 2));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "0")) << cursor;
    std::vector<std::string> flat = Strings(Elem(r.get(), 1));
    ASSERT_EQ(flat.size(), 200u) << cursor;
    for (int i = 0; i < 100; ++i) {  // in insertion order
      EXPECT_EQ(flat[2 * i], "f" + std::to_string(i));
      EXPECT_EQ(flat[2 * i + 1], "v" + std::to_string(i));
    }
  }
  Reply m = Cmd(c(), {"HSCAN", "h", "0", "MATCH", "f9*", "COUNT", "1"});
  ASSERT_TRUE(ExpectArrayLen(m, 2));
  EXPECT_TRUE(IsBulk(Elem(m.get(), 0), "0"));
  EXPECT_TRUE(IsBulks(Elem(m.get(), 1), {"f9", "v9", "f90", "v90", "f91", "v91", "f92", "v92", "f93", "v93", "f94",
                                         "v94", "f95", "v95", "f96", "v96", "f97", "v97", "f98", "v98", "f99", "v99"}));
  // A table scans a bucket at a time: COUNT 1 leaves a cursor to continue from.
  Fill("big", 600);
  Reply t = Cmd(c(), {"HSCAN", "big", "0", "COUNT", "1"});
  ASSERT_TRUE(ExpectArrayLen(t, 2));
  EXPECT_FALSE(IsBulk(Elem(t.get(), 0), "0"));
  EXPECT_LT(Elem(t.get(), 1)->elements, 20u);
}

TEST_F(EncodingTest, HrandfieldOnAListpack) {
  Fill("h", 10);
  std::set<std::string> fields;
  for (int i = 0; i < 10; ++i) fields.insert("f" + std::to_string(i));
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> picks = Strings(Cmd(c(), {"HRANDFIELD", "h", "5"}).get());
    ASSERT_EQ(picks.size(), 5u);
    EXPECT_EQ(std::set<std::string>(picks.begin(), picks.end()).size(), 5u) << "distinct";
    for (const auto& p : picks) EXPECT_TRUE(fields.count(p)) << p;
  }
  std::vector<std::string> many = Strings(Cmd(c(), {"HRANDFIELD", "h", "-50", "WITHVALUES"}).get());
  ASSERT_EQ(many.size(), 100u);
  std::set<std::string> seen;
  for (size_t i = 0; i < many.size(); i += 2) {
    EXPECT_EQ("v" + many[i].substr(1), many[i + 1]);  // each field with its own value
    seen.insert(many[i]);
  }
  EXPECT_LT(seen.size(), 50u);  // 50 picks from 10 fields: repeats
  Reply one = Cmd(c(), {"HRANDFIELD", "h"});
  ASSERT_TRUE(one && one->type == REDIS_REPLY_STRING);
  EXPECT_TRUE(fields.count(std::string(one->str, one->len)));
}

// A listpack costs far less than the table it becomes (MEMORY USAGE; Tally 868 vs 4888 bytes here,
// Redis 1072 vs 5128).
TEST_F(EncodingTest, MemoryUsageDropsForListpacks) {
  Fill("h", 100);
  Reply small = Cmd(c(), {"MEMORY", "USAGE", "h"});
  ASSERT_TRUE(small && small->type == REDIS_REPLY_INTEGER);
  ExpectInt(Cmd(c(), {"HSET", "h", "x", k65}), 1);
  ExpectInt(Cmd(c(), {"HDEL", "h", "x"}), 1);
  Reply table = Cmd(c(), {"MEMORY", "USAGE", "h"});
  ASSERT_TRUE(table && table->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(Encoding(c(), "h"), "hashtable");
  EXPECT_GT(table->integer, 2 * small->integer) << "listpack " << small->integer << ", table " << table->integer;
  EXPECT_LT(small->integer, 100 * 16) << "the 100 pairs take about 8 bytes each";
}

TEST_F(EncodingTest, ConfigGetAndSetWithAliases) {
  EXPECT_EQ(ConfigGet(c(), "hash-max-*"), (std::map<std::string, std::string>{{"hash-max-listpack-entries", "512"},
                                                                               {"hash-max-listpack-value", "64"},
                                                                               {"hash-max-ziplist-entries", "512"},
                                                                               {"hash-max-ziplist-value", "64"}}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-ziplist-entries", "3"}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-ziplist-value", "1kb"}));
  EXPECT_EQ(ConfigGet(c(), "hash-max-listpack-entries"), (std::map<std::string, std::string>{{"hash-max-listpack-entries", "3"}}));
  EXPECT_EQ(ConfigGet(c(), "HASH-MAX-LISTPACK-VALUE"), (std::map<std::string, std::string>{{"HASH-MAX-LISTPACK-VALUE", "1024"}}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-value", "2k"}));
  EXPECT_EQ(ConfigGet(c(), "hash-max-ziplist-value"), (std::map<std::string, std::string>{{"hash-max-ziplist-value", "2000"}}));

  const std::string pre = "ERR CONFIG SET failed (possibly related to argument ";
  ExpectError(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "-1"}),
              pre + "'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "hash-max-ziplist-entries", "abc"}),
              pre + "'hash-max-ziplist-entries') - argument couldn't be parsed into an integer");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "1kb"}),
              pre + "'hash-max-listpack-entries') - argument couldn't be parsed into an integer");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-value", "-1"}),
              pre + "'hash-max-listpack-value') - argument must be a memory value");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "hash-max-ziplist-value", "abc"}),
              pre + "'hash-max-ziplist-value') - argument must be a memory value");
  ExpectError(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-value"}), "ERR wrong number of arguments for 'config|set' command");
  EXPECT_EQ(ConfigGet(c(), "hash-max-listpack-*"), (std::map<std::string, std::string>{{"hash-max-listpack-entries", "3"},
                                                                                        {"hash-max-listpack-value", "2000"}}));
}

// A changed limit applies to later writes: existing hashes stay as they are until written, and a
// write then converts if the hash (after it) is over the new entry limit, even an overwrite.
TEST_F(EncodingTest, ConfigSetAffectsLaterWritesOnly) {
  Fill("old", 3);
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "2"}));
  EXPECT_EQ(Encoding(c(), "old"), "listpack");
  ExpectBulk(Cmd(c(), {"HGET", "old", "f1"}), "v1");
  ExpectInt(Cmd(c(), {"HSETNX", "old", "f0", "x"}), 0);  // no write
  EXPECT_EQ(Encoding(c(), "old"), "listpack");
  Fill("new", 2);
  EXPECT_EQ(Encoding(c(), "new"), "listpack");
  ExpectInt(Cmd(c(), {"HSET", "new", "f2", "v2"}), 1);
  EXPECT_EQ(Encoding(c(), "new"), "hashtable");
  ExpectInt(Cmd(c(), {"HSET", "old", "f0", "again"}), 0);  // an overwrite, but 3 fields > 2
  EXPECT_EQ(Encoding(c(), "old"), "hashtable");

  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "512"}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-value", "3"}));
  ExpectInt(Cmd(c(), {"HSET", "v", "abc", "xyz"}), 1);
  EXPECT_EQ(Encoding(c(), "v"), "listpack");
  ExpectInt(Cmd(c(), {"HSET", "v", "abcd", "1"}), 1);
  EXPECT_EQ(Encoding(c(), "v"), "hashtable");
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "hash-max-listpack-entries", "0"}));
  ExpectInt(Cmd(c(), {"HSET", "zero", "a", "1"}), 1);
  EXPECT_EQ(Encoding(c(), "zero"), "hashtable");
}

TEST(EncodingFlagsTest, LimitsFromFlagsAndAliases) {
  auto s = StartServer({"--hash-max-ziplist-entries", "2", "--hash-max-listpack-value", "4"});
  ASSERT_TRUE(s);
  Client c(s->port());
  EXPECT_EQ(ConfigGet(c, "hash-max-listpack-entries"), (std::map<std::string, std::string>{{"hash-max-listpack-entries", "2"}}));
  EXPECT_EQ(ConfigGet(c, "hash-max-ziplist-value"), (std::map<std::string, std::string>{{"hash-max-ziplist-value", "4"}}));
  ExpectInt(Cmd(c, {"HSET", "a", "x", "1234", "y", "1"}), 2);
  EXPECT_EQ(Encoding(c, "a"), "listpack");
  ExpectInt(Cmd(c, {"HSET", "b", "x", "12345"}), 1);
  EXPECT_EQ(Encoding(c, "b"), "hashtable");
  ExpectInt(Cmd(c, {"HSET", "a", "z", "1"}), 1);
  EXPECT_EQ(Encoding(c, "a"), "hashtable");
}

// With the log on, a restart replays the writes as they ran: a hash that became a table and shrank
// back is still a table. A rewrite (BGREWRITEAOF) snapshots it, and the next start loads it by its
// size: a listpack again (Redis does both the same way: AOF replay vs. its RDB preamble). Fields keep
// their insertion order throughout.
TEST(EncodingRestartTest, SmallHashesSurviveRestartWithOrderAndEncoding) {
  auto s = StartWal({});
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    ExpectInt(Cmd(c, {"HSET", "small", "c", "1", "a", "2", "b", "3"}), 3);
    ExpectInt(Cmd(c, {"HSET", "small", "a", "20"}), 0);
    ExpectInt(Cmd(c, {"HSET", "shrunk", "x", "1", "long", k65}), 2);
    ExpectInt(Cmd(c, {"HDEL", "shrunk", "long"}), 1);
    ExpectInt(Cmd(c, {"HSET", "big", "y", k65}), 1);
    EXPECT_EQ(Encoding(c, "shrunk"), "hashtable");
  }
  auto check = [&s](const std::string& shrunk_encoding) {
    Client c(s->port());
    EXPECT_EQ(Encoding(c, "small"), "listpack");
    ExpectBulks(Cmd(c, {"HGETALL", "small"}), {"c", "1", "a", "20", "b", "3"});
    EXPECT_EQ(Encoding(c, "shrunk"), shrunk_encoding);
    ExpectBulks(Cmd(c, {"HGETALL", "shrunk"}), {"x", "1"});
    EXPECT_EQ(Encoding(c, "big"), "hashtable");
    ExpectBulk(Cmd(c, {"HGET", "big", "y"}), k65);
  };
  ASSERT_TRUE(Shutdown(*s));
  ASSERT_TRUE(RestartLoaded(*s));
  check("hashtable");
  {
    Client c(s->port());
    ASSERT_TRUE(RewriteLog(c));
  }
  ASSERT_TRUE(Shutdown(*s));
  ASSERT_TRUE(RestartLoaded(*s));
  check("listpack");
}

}  // namespace
}  // namespace tally_test
