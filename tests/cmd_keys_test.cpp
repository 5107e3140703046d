// Generic key commands, in process: every option and error path with the exact bytes Redis 7.0.15
// sends (checked against redis-server for the tricky cases), SCAN completeness across shards while
// keys are added, and that walkers never report expired keys.
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/cmd_fixture.h"

namespace tally {
namespace {

class KeysTest : public CmdTest {
 protected:
  void set(std::string_view k, std::string_view v) { ASSERT_EQ(run({"SET", k, v}), kOk); }
  void use_db(int db) { client_.db.store(db); }
  static void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  // Reads one RESP2 bulk string at `pos` of `reply`, advancing pos.
  static std::string read_bulk(const std::string& reply, std::size_t* pos) {
    EXPECT_EQ(reply[*pos], '$');
    std::size_t crlf = reply.find("\r\n", *pos);
    std::size_t len = std::stoul(reply.substr(*pos + 1, crlf - *pos - 1));
    std::string s = reply.substr(crlf + 2, len);
    *pos = crlf + 2 + len + 2;
    return s;
  }
  // Reads a RESP2 array of bulk strings at `pos`.
  static std::vector<std::string> read_bulks(const std::string& reply, std::size_t* pos) {
    EXPECT_EQ(reply[*pos], '*');
    std::size_t crlf = reply.find("\r\n", *pos);
    std::size_t n = std::stoul(reply.substr(*pos + 1, crlf - *pos - 1));
    *pos = crlf + 2;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(read_bulk(reply, pos));
    return out;
  }
  // Runs one SCAN call; returns the next cursor and appends the keys.
  std::string scan(const std::vector<std::string>& args, std::vector<std::string>* keys) {
    std::string reply = run_vec(args);
    EXPECT_EQ(reply.substr(0, 4), "*2\r\n") << reply;
    if (reply.substr(0, 4) != "*2\r\n") return "0";
    std::size_t pos = 4;
    std::string cursor = read_bulk(reply, &pos);
    for (auto& k : read_bulks(reply, &pos)) keys->push_back(k);
    EXPECT_EQ(pos, reply.size());
    return cursor;
  }
  // A full scan from cursor 0 with extra options; returns the keys in order of arrival.
  std::vector<std::string> scan_all(std::vector<std::string> opts = {}) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    int calls = 0;
    do {
      std::vector<std::string> args = {"SCAN", cursor};
      args.insert(args.end(), opts.begin(), opts.end());
      cursor = scan(args, &keys);
    } while (cursor != "0" && ++calls < 1000000);
    return keys;
  }
  std::set<std::string> sorted_keys(const std::string& pattern) {
    std::string reply = run({"KEYS", pattern});
    std::size_t pos = 0;
    auto v = read_bulks(reply, &pos);
    EXPECT_EQ(pos, reply.size());
    return {v.begin(), v.end()};
  }
};

// ---- DEL, UNLINK, EXISTS, TOUCH, TYPE ----

TEST_F(KeysTest, DelCountsEachDeletedKeyOnce) {
  set("a", "1");
  set("b", "2");
  EXPECT_EQ(run({"DEL", "a", "a", "b", "missing"}), integer(2));
  EXPECT_EQ(run({"EXISTS", "a", "b"}), integer(0));
  EXPECT_EQ(run({"DEL", "a"}), integer(0));
  EXPECT_EQ(run({"DEL"}), error("ERR wrong number of arguments for 'del' command"));
}

TEST_F(KeysTest, DelManyKeysAcrossShards) {
  std::vector<std::string> args = {"DEL"};
  for (int i = 0; i < 100; ++i) {
    set("k" + std::to_string(i), "v");
    args.push_back("k" + std::to_string(i));
  }
  args.push_back("k0");
  EXPECT_EQ(run_vec(args), integer(100));
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
}

TEST_F(KeysTest, UnlinkIsDel) {
  set("a", "1");
  EXPECT_EQ(run({"UNLINK", "a", "b"}), integer(1));
  EXPECT_EQ(run({"GET", "a"}), kNil);
  EXPECT_EQ(run({"unlink"}), error("ERR wrong number of arguments for 'unlink' command"));
}

TEST_F(KeysTest, ExistsCountsRepeats) {
  EXPECT_EQ(run({"EXISTS", "a", "a", "a", "b"}), integer(0));
  set("a", "1");
  EXPECT_EQ(run({"EXISTS", "a", "a", "a", "b"}), integer(3));
  EXPECT_EQ(run({"EXISTS"}), error("ERR wrong number of arguments for 'exists' command"));
}

TEST_F(KeysTest, TouchCountsExistingKeys) {
  set("a", "1");
  EXPECT_EQ(run({"TOUCH", "a", "b", "a"}), integer(2));
  EXPECT_EQ(run({"TOUCH", "b"}), integer(0));
}

TEST_F(KeysTest, TypeIsAStatusReply) {
  set("s", "v");
  EXPECT_EQ(run({"TYPE", "s"}), "+string\r\n");
  EXPECT_EQ(run({"TYPE", "nokey"}), "+none\r\n");
  EXPECT_EQ(run({"TYPE"}), error("ERR wrong number of arguments for 'type' command"));
  EXPECT_EQ(run({"TYPE", "a", "b"}), error("ERR wrong number of arguments for 'type' command"));
}

// ---- RENAME, RENAMENX ----

TEST_F(KeysTest, RenameMovesValueAndTtl) {
  set("a", "1");
  set("b", "old");
  ASSERT_EQ(run({"PEXPIRE", "a", "100000"}), integer(1));
  EXPECT_EQ(run({"RENAME", "a", "b"}), kOk);
  EXPECT_EQ(run({"GET", "b"}), bulk("1"));
  EXPECT_EQ(run({"EXISTS", "a"}), integer(0));
  EXPECT_EQ(run({"TTL", "b"}), integer(100));
}

TEST_F(KeysTest, RenameErrors) {
  EXPECT_EQ(run({"RENAME", "nokey", "x"}), error("ERR no such key"));
  EXPECT_EQ(run({"RENAME", "nokey", "nokey"}), error("ERR no such key"));
  EXPECT_EQ(run({"RENAMENX", "nokey", "nokey"}), error("ERR no such key"));
  EXPECT_EQ(run({"RENAME", "a"}), error("ERR wrong number of arguments for 'rename' command"));
}

TEST_F(KeysTest, RenameToItself) {
  set("k", "v");
  EXPECT_EQ(run({"RENAME", "k", "k"}), kOk);
  EXPECT_EQ(run({"RENAMENX", "k", "k"}), integer(0));
  EXPECT_EQ(run({"GET", "k"}), bulk("v"));
}

TEST_F(KeysTest, RenameNxOnlyWhenDestinationIsFree) {
  set("a", "1");
  set("b", "2");
  EXPECT_EQ(run({"RENAMENX", "a", "b"}), integer(0));
  EXPECT_EQ(run({"GET", "b"}), bulk("2"));
  EXPECT_EQ(run({"RENAMENX", "a", "c"}), integer(1));
  EXPECT_EQ(run({"GET", "c"}), bulk("1"));
  EXPECT_EQ(run({"EXISTS", "a"}), integer(0));
}

// ---- COPY ----

TEST_F(KeysTest, CopyWithinDb) {
  set("a", "hello");
  set("b", "x");
  EXPECT_EQ(run({"COPY", "a", "b"}), integer(0));
  EXPECT_EQ(run({"COPY", "a", "b", "REPLACE"}), integer(1));
  EXPECT_EQ(run({"GET", "b"}), bulk("hello"));
  EXPECT_EQ(run({"COPY", "a", "c"}), integer(1));
  EXPECT_EQ(run({"GET", "c"}), bulk("hello"));
  EXPECT_EQ(run({"GET", "a"}), bulk("hello"));
  EXPECT_EQ(run({"COPY", "nokey", "d"}), integer(0));
  EXPECT_EQ(run({"COPY", "a", "b", "replace", "REPLACE"}), integer(1));
}

TEST_F(KeysTest, CopyToOtherDbKeepsTtl) {
  set("a", "v");
  ASSERT_EQ(run({"EXPIRE", "a", "100"}), integer(1));
  EXPECT_EQ(run({"COPY", "a", "a", "DB", "3"}), integer(1));
  EXPECT_EQ(run({"COPY", "a", "a", "db", "1", "db", "3"}), integer(0));  // the last DB wins
  use_db(3);
  EXPECT_EQ(run({"GET", "a"}), bulk("v"));
  EXPECT_EQ(run({"TTL", "a"}), integer(100));
}

TEST_F(KeysTest, CopyErrors) {
  set("k", "v");
  const std::string same = error("ERR source and destination objects are the same");
  EXPECT_EQ(run({"COPY", "k", "k"}), same);
  EXPECT_EQ(run({"COPY", "k", "k", "db", "0"}), same);
  EXPECT_EQ(run({"COPY", "nokey", "nokey"}), same);
  EXPECT_EQ(run({"COPY", "k", "k", "db", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"COPY", "k", "k", "db", "-1"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"COPY", "nokey", "x", "db", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"COPY", "k", "k", "db", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(run({"COPY", "k", "x", "db", "99999999999"}),
            error("ERR value is out of range, value must between -2147483648 and 2147483647"));
  EXPECT_EQ(run({"COPY", "k", "x", "db"}), error("ERR syntax error"));
  EXPECT_EQ(run({"COPY", "k", "x", "replace", "foo"}), error("ERR syntax error"));
  EXPECT_EQ(run({"COPY", "k"}), error("ERR wrong number of arguments for 'copy' command"));
}

// ---- MOVE ----

TEST_F(KeysTest, MoveToOtherDb) {
  set("k", "v");
  EXPECT_EQ(run({"MOVE", "k", "2"}), integer(1));
  EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(run({"MOVE", "k", "2"}), integer(0));
  set("k", "here");
  EXPECT_EQ(run({"MOVE", "k", "2"}), integer(0));  // the destination already has it
  use_db(2);
  EXPECT_EQ(run({"GET", "k"}), bulk("v"));
}

TEST_F(KeysTest, MoveErrors) {
  set("k", "v");
  EXPECT_EQ(run({"MOVE", "k", "0"}), error("ERR source and destination objects are the same"));
  EXPECT_EQ(run({"MOVE", "nokey", "0"}), error("ERR source and destination objects are the same"));
  EXPECT_EQ(run({"MOVE", "k", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"MOVE", "nokey", "-1"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"MOVE", "k", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(run({"MOVE", "k", "99999999999"}),
            error("ERR value is out of range, value must between -2147483648 and 2147483647"));
  EXPECT_EQ(run({"MOVE", "k"}), error("ERR wrong number of arguments for 'move' command"));
}

// ---- SWAPDB ----

TEST_F(KeysTest, SwapDbSwapsContents) {
  set("a", "db0");
  use_db(1);
  set("b", "db1");
  EXPECT_EQ(run({"SWAPDB", "0", "1"}), kOk);
  EXPECT_EQ(run({"GET", "a"}), bulk("db0"));
  EXPECT_EQ(run({"EXISTS", "b"}), integer(0));
  use_db(0);
  EXPECT_EQ(run({"GET", "b"}), bulk("db1"));
  EXPECT_EQ(run({"SWAPDB", "0", "0"}), kOk);
  EXPECT_EQ(run({"GET", "b"}), bulk("db1"));
}

TEST_F(KeysTest, SwapDbErrors) {
  EXPECT_EQ(run({"SWAPDB", "0", "x"}), error("ERR invalid second DB index"));
  EXPECT_EQ(run({"SWAPDB", "x", "0"}), error("ERR invalid first DB index"));
  EXPECT_EQ(run({"SWAPDB", "x", "y"}), error("ERR invalid first DB index"));
  EXPECT_EQ(run({"SWAPDB", "16", "x"}), error("ERR invalid second DB index"));
  EXPECT_EQ(run({"SWAPDB", "0", "99999999999"}), error("ERR invalid second DB index"));
  EXPECT_EQ(run({"SWAPDB", "0", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"SWAPDB", "-1", "0"}), error("ERR DB index is out of range"));
  EXPECT_EQ(run({"SWAPDB", "0"}), error("ERR wrong number of arguments for 'swapdb' command"));
}

// ---- KEYS ----

TEST_F(KeysTest, KeysPatterns) {
  for (auto k : {"a1", "b1", "ab", "a*", "hello", "hallo", "hxllo"}) set(k, "v");
  EXPECT_EQ(sorted_keys("*1"), (std::set<std::string>{"a1", "b1"}));
  EXPECT_EQ(sorted_keys("a?"), (std::set<std::string>{"a1", "ab", "a*"}));
  EXPECT_EQ(sorted_keys("\\a1"), (std::set<std::string>{"a1"}));
  EXPECT_EQ(sorted_keys("a\\*"), (std::set<std::string>{"a*"}));
  EXPECT_EQ(sorted_keys("[ab]1"), (std::set<std::string>{"a1", "b1"}));
  EXPECT_EQ(sorted_keys("h[^e]llo"), (std::set<std::string>{"hallo", "hxllo"}));
  EXPECT_EQ(sorted_keys("h[a-e]llo"), (std::set<std::string>{"hallo", "hello"}));
  EXPECT_EQ(sorted_keys("*").size(), 7u);
  EXPECT_EQ(run({"KEYS", "nomatch*"}), "*0\r\n");
  EXPECT_EQ(run({"KEYS", "["}), "*0\r\n");
  EXPECT_EQ(run({"KEYS"}), error("ERR wrong number of arguments for 'keys' command"));
}

TEST_F(KeysTest, KeysOnlySeesItsDb) {
  set("a", "v");
  use_db(5);
  EXPECT_EQ(run({"KEYS", "*"}), "*0\r\n");
}

TEST_F(KeysTest, KeysManyAcrossShards) {
  for (int i = 0; i < 2000; ++i) set("key:" + std::to_string(i), "v");
  EXPECT_EQ(sorted_keys("key:*").size(), 2000u);
  EXPECT_EQ(sorted_keys("key:1??").size(), 100u);
}

// ---- SCAN ----

TEST_F(KeysTest, ScanEmptyDb) {
  EXPECT_EQ(run({"SCAN", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_F(KeysTest, ScanMatchStarIncludesTheEmptyKey) {
  set("", "v");
  EXPECT_EQ(run({"SCAN", "0", "MATCH", "*", "COUNT", "100"}), "*2\r\n$1\r\n0\r\n*1\r\n$0\r\n\r\n");
  EXPECT_EQ(run({"SCAN", "0", "MATCH", "?*", "COUNT", "100"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_F(KeysTest, ScanOfEmptiedDbEndsInOneCall) {
  for (int i = 0; i < 100; ++i) set("k" + std::to_string(i), "v");
  ASSERT_EQ(run({"FLUSHALL"}), kOk);  // every shard keeps empty buckets
  EXPECT_EQ(run({"SCAN", "0", "COUNT", "1"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_F(KeysTest, ScanCursorParsing) {
  EXPECT_EQ(run({"SCAN", "x"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"SCAN", "1.5"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"SCAN", " 1"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"SCAN", "18446744073709551616"}), error("ERR invalid cursor"));
  EXPECT_EQ(run({"SCAN", "x", "COUNT", "0"}), error("ERR invalid cursor"));  // the cursor is checked first
  // strtoul semantics, as Redis: a sign is allowed (negative wraps) and "" reads as 0.
  EXPECT_EQ(run({"SCAN", ""}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(run({"SCAN", "+0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(run({"SCAN", "-1"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(run({"SCAN", "18446744073709551615"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(run({"SCAN"}), error("ERR wrong number of arguments for 'scan' command"));
}

TEST_F(KeysTest, ScanOptionErrors) {
  EXPECT_EQ(run({"SCAN", "0", "COUNT", "0"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SCAN", "0", "COUNT", "-1"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SCAN", "0", "COUNT", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(run({"SCAN", "0", "MATCH"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SCAN", "0", "TYPE"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SCAN", "0", "foo", "bar"}), error("ERR syntax error"));
  EXPECT_EQ(run({"SCAN", "0", "count", "10", "COUNT", "20"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_F(KeysTest, ScanReturnsEveryKeyOfEveryShard) {
  std::set<std::string> want;
  for (int i = 0; i < 3000; ++i) {
    set("k" + std::to_string(i), "v");
    want.insert("k" + std::to_string(i));
  }
  auto got = scan_all();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
  EXPECT_LE(got.size(), want.size() + want.size() / 10);  // duplicates are allowed but rare
  auto counted = scan_all({"COUNT", "1000"});
  EXPECT_EQ(std::set<std::string>(counted.begin(), counted.end()), want);
}

TEST_F(KeysTest, ScanSurvivesInsertsAndGrowth) {
  std::set<std::string> original;
  for (int i = 0; i < 2000; ++i) {
    set("orig" + std::to_string(i), "v");
    original.insert("orig" + std::to_string(i));
  }
  std::vector<std::string> keys;
  std::string cursor = "0";
  int added = 0;
  do {
    cursor = scan({"SCAN", cursor, "COUNT", "20"}, &keys);
    for (int j = 0; j < 50; ++j) set("new" + std::to_string(added++), "v");  // forces table growth
  } while (cursor != "0");
  std::set<std::string> got(keys.begin(), keys.end());
  for (const auto& k : original) EXPECT_TRUE(got.count(k)) << k;
  EXPECT_GT(added, 1000);
}

TEST_F(KeysTest, ScanSurvivesDeletesOfOtherKeys) {
  std::set<std::string> kept;
  for (int i = 0; i < 3000; ++i) {
    set("k" + std::to_string(i), "v");
    if (i % 3 == 0) kept.insert("k" + std::to_string(i));
  }
  std::vector<std::string> keys;
  std::string cursor = "0";
  int next_delete = 1;
  do {
    cursor = scan({"SCAN", cursor, "COUNT", "30"}, &keys);
    for (int j = 0; j < 40 && next_delete < 3000; ++j, ++next_delete)  // shrinks the tables
      if (next_delete % 3 != 0) run({"DEL", "k" + std::to_string(next_delete)});
  } while (cursor != "0");
  std::set<std::string> got(keys.begin(), keys.end());
  for (const auto& k : kept) EXPECT_TRUE(got.count(k)) << k;
}

TEST_F(KeysTest, ScanMatchAndType) {
  for (int i = 0; i < 500; ++i) set("user:" + std::to_string(i), "v");
  for (int i = 0; i < 500; ++i) set("item:" + std::to_string(i), "v");
  auto users = scan_all({"MATCH", "user:*"});
  EXPECT_EQ(std::set<std::string>(users.begin(), users.end()).size(), 500u);
  for (const auto& k : users) EXPECT_EQ(k.rfind("user:", 0), 0u) << k;
  EXPECT_EQ(scan_all({"MATCH", "*"}).size() >= 1000u, true);
  EXPECT_EQ(scan_all({"TYPE", "STRING"}).size() >= 1000u, true);
  EXPECT_TRUE(scan_all({"TYPE", "hash"}).empty());
  EXPECT_TRUE(scan_all({"TYPE", "foo"}).empty());
  auto both = scan_all({"MATCH", "item:1*", "TYPE", "string", "COUNT", "7"});
  EXPECT_EQ(std::set<std::string>(both.begin(), both.end()).size(), 111u);  // 1, 10-19, 100-199
}

TEST_F(KeysTest, ScanCountBoundsTheBatch) {
  for (int i = 0; i < 1000; ++i) set("k" + std::to_string(i), "v");
  std::vector<std::string> keys;
  std::string cursor = scan({"SCAN", "0", "COUNT", "5"}, &keys);
  EXPECT_NE(cursor, "0");
  EXPECT_GE(keys.size(), 1u);
  EXPECT_LE(keys.size(), 40u);  // a bucket or two beyond COUNT at most
  keys.clear();
  EXPECT_EQ(scan({"SCAN", "0", "COUNT", "100000"}, &keys), "0");
  EXPECT_EQ(keys.size(), 1000u);
}

TEST_F(KeysTest, ScanSkipsOtherDbs) {
  set("a", "v");
  use_db(1);
  EXPECT_EQ(run({"SCAN", "0", "COUNT", "1000"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

// ---- Expired keys are invisible to walkers ----

TEST_F(KeysTest, WalkersNeverReturnExpiredKeys) {
  set("live", "v");
  for (int i = 0; i < 50; ++i) {
    set("dead" + std::to_string(i), "v");
    ASSERT_EQ(run({"PEXPIRE", "dead" + std::to_string(i), "1"}), integer(1));
  }
  pause_ms(5);
  EXPECT_EQ(run({"KEYS", "*"}), arr({bulk("live")}));
  EXPECT_EQ(run({"SCAN", "0", "COUNT", "1000"}), arr({bulk("0"), arr({bulk("live")})}));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(run({"RANDOMKEY"}), bulk("live"));
  EXPECT_EQ(run({"EXISTS", "dead0", "live"}), integer(1));
  EXPECT_EQ(run({"TYPE", "dead1"}), "+none\r\n");
}

TEST_F(KeysTest, RandomKeyAllExpiredIsNil) {
  for (int i = 0; i < 10; ++i) {
    set("dead" + std::to_string(i), "v");
    ASSERT_EQ(run({"PEXPIRE", "dead" + std::to_string(i), "1"}), integer(1));
  }
  pause_ms(5);
  EXPECT_EQ(run({"RANDOMKEY"}), kNil);
}

// ---- RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL ----

TEST_F(KeysTest, RandomKey) {
  EXPECT_EQ(run({"RANDOMKEY"}), kNil);
  set("only", "v");
  EXPECT_EQ(run({"RANDOMKEY"}), bulk("only"));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) set("k" + std::to_string(i), "v");
  for (int i = 0; i < 500; ++i) seen.insert(run({"RANDOMKEY"}));
  EXPECT_GT(seen.size(), 20u);  // it is random, and reaches several shards
  EXPECT_EQ(run({"RANDOMKEY", "x"}), error("ERR wrong number of arguments for 'randomkey' command"));
}

TEST_F(KeysTest, DbSize) {
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  for (int i = 0; i < 300; ++i) set("k" + std::to_string(i), "v");
  EXPECT_EQ(run({"DBSIZE"}), integer(300));
  use_db(1);
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  EXPECT_EQ(run({"DBSIZE", "x"}), error("ERR wrong number of arguments for 'dbsize' command"));
}

TEST_F(KeysTest, FlushDbOnlyTheSelectedDb) {
  set("a", "v");
  use_db(1);
  set("b", "v");
  EXPECT_EQ(run({"FLUSHDB"}), kOk);
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  use_db(0);
  EXPECT_EQ(run({"DBSIZE"}), integer(1));
  EXPECT_EQ(run({"FLUSHDB", "sync"}), kOk);
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  EXPECT_EQ(run({"FLUSHDB", "ASYNC"}), kOk);
}

TEST_F(KeysTest, FlushAllEveryDb) {
  set("a", "v");
  use_db(1);
  set("b", "v");
  EXPECT_EQ(run({"FLUSHALL", "SYNC"}), kOk);
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  use_db(0);
  EXPECT_EQ(run({"DBSIZE"}), integer(0));
  EXPECT_EQ(run({"FLUSHALL"}), kOk);
  EXPECT_EQ(run({"flushall", "async"}), kOk);
}

TEST_F(KeysTest, FlushErrors) {
  EXPECT_EQ(run({"FLUSHDB", "foo"}), error("ERR syntax error"));
  EXPECT_EQ(run({"FLUSHDB", "sync", "async"}), error("ERR syntax error"));
  EXPECT_EQ(run({"FLUSHALL", "foo"}), error("ERR syntax error"));
  EXPECT_EQ(run({"FLUSHALL", "async", "x"}), error("ERR syntax error"));
}

// ---- OBJECT ----

TEST_F(KeysTest, ObjectEncoding) {
  set("n", "100");
  set("s", "hello");
  set("long", std::string(200, 'x'));
  EXPECT_EQ(run({"OBJECT", "ENCODING", "n"}), bulk("int"));
  EXPECT_EQ(run({"OBJECT", "ENCODING", "s"}), bulk("embstr"));
  EXPECT_EQ(run({"object", "encoding", "long"}), bulk("raw"));
  EXPECT_EQ(run({"OBJECT", "ENCODING", "nokey"}), kNil);
}

TEST_F(KeysTest, ObjectRefcount) {
  set("n", "100");
  set("big", "10000");
  set("neg", "-1");
  set("s", "v");
  EXPECT_EQ(run({"OBJECT", "REFCOUNT", "n"}), integer(2147483647));  // a shared integer in Redis
  EXPECT_EQ(run({"OBJECT", "REFCOUNT", "big"}), integer(1));
  EXPECT_EQ(run({"OBJECT", "REFCOUNT", "neg"}), integer(1));
  EXPECT_EQ(run({"OBJECT", "REFCOUNT", "s"}), integer(1));
  EXPECT_EQ(run({"OBJECT", "REFCOUNT", "nokey"}), kNil);
}

TEST_F(KeysTest, ObjectIdletimeAndFreq) {
  set("k", "v");
  EXPECT_EQ(run({"OBJECT", "IDLETIME", "k"}), integer(0));
  EXPECT_EQ(run({"OBJECT", "IDLETIME", "nokey"}), kNil);
  EXPECT_EQ(run({"OBJECT", "FREQ", "nokey"}), kNil);
  EXPECT_EQ(run({"OBJECT", "FREQ", "k"}),
            error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
                  "when switching between policies at runtime LRU and LFU data will take some time to adjust."));
}

TEST_F(KeysTest, ObjectHelp) {
  EXPECT_EQ(run({"OBJECT", "HELP"}),
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
            "+    Return the kind of internal representation used in order to store the value\r\n"
            "+    associated with a <key>.\r\n+FREQ <key>\r\n"
            "+    Return the access frequency index of the <key>. The returned integer is\r\n"
            "+    proportional to the logarithm of the recent access frequency of the key.\r\n+IDLETIME <key>\r\n"
            "+    Return the idle time of the <key>, that is the approximated number of\r\n"
            "+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n"
            "+    Return the number of references of the value associated with the specified\r\n"
            "+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n");
}

TEST_F(KeysTest, ObjectErrors) {
  set("k", "v");
  EXPECT_EQ(run({"OBJECT", "foo", "k"}), error("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
  EXPECT_EQ(run({"OBJECT"}), error("ERR wrong number of arguments for 'object' command"));
  EXPECT_EQ(run({"OBJECT", "ENCODING"}), error("ERR wrong number of arguments for 'object|encoding' command"));
  EXPECT_EQ(run({"OBJECT", "encoding", "k", "x"}),
            error("ERR wrong number of arguments for 'object|encoding' command"));
  EXPECT_EQ(run({"OBJECT", "HELP", "x"}), error("ERR wrong number of arguments for 'object|help' command"));
}

// ---- The table ----

TEST_F(KeysTest, TableRowsMatchRedis) {
  const Command* del = state_.commands.find("del");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->spec->arity, -2);
  EXPECT_EQ(del->spec->first_key, 1);
  EXPECT_EQ(del->spec->last_key, -1);
  EXPECT_TRUE(del->spec->flags & kCmdWrite);
  const Command* object = state_.commands.find("OBJECT");
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->spec->handler, nullptr);
  EXPECT_EQ(object->subs.size(), 5u);
  const Command* enc = state_.commands.find_sub(*object, "ENCODING");
  ASSERT_NE(enc, nullptr);
  EXPECT_EQ(enc->full_name, "object|encoding");
  EXPECT_EQ(enc->spec->first_key, 2);
  for (auto name : {"unlink", "exists", "type", "rename", "renamenx", "copy", "move", "swapdb", "touch", "keys",
                    "scan", "randomkey", "dbsize", "flushdb", "flushall"})
    EXPECT_NE(state_.commands.find(name), nullptr) << name;
}

}  // namespace
}  // namespace tally

namespace tally {

// TYPE/EXISTS/TTL count keyspace hits and misses (Redis's NOTOUCH lookups) but leave the LRU clock;
// writes such as DEL count neither.
TEST_F(CmdTest, NoTouchLookupsCountHitsAndMisses) {
  ASSERT_EQ(run({"SET", "k", "v"}), kOk);
  KeyspaceCounters before = state_.keyspace->counters(0);
  run({"EXISTS", "k", "nokey"});
  run({"TYPE", "k"});
  run({"TTL", "nokey"});
  KeyspaceCounters after = state_.keyspace->counters(0);
  EXPECT_EQ(after.hits - before.hits, 2u);
  EXPECT_EQ(after.misses - before.misses, 2u);
  run({"DEL", "k", "nokey"});
  KeyspaceCounters last = state_.keyspace->counters(0);
  EXPECT_EQ(last.hits, after.hits);
  EXPECT_EQ(last.misses, after.misses);
}

}  // namespace tally
