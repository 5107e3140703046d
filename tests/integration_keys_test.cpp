// Keyspace commands end to end: DEL/UNLINK/EXISTS/TYPE/RENAME/COPY/MOVE/SWAPDB/TOUCH/KEYS/SCAN/RANDOMKEY/
// DBSIZE/FLUSHDB/FLUSHALL/OBJECT.
#include <set>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

class KeysTest : public SharedServerTest {
 protected:
  long long Ttl(const std::string& key) {
    Reply r = Cmd(c(), {"TTL", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
  // Full SCAN iteration (extra args appended after the cursor); fails the test on a malformed reply.
  std::multiset<std::string> ScanAll(const std::vector<std::string>& extra, int* calls = nullptr) {
    std::multiset<std::string> keys;
    std::string cursor = "0";
    int n = 0;
    do {
      std::vector<std::string> cmd = {"SCAN", cursor};
      cmd.insert(cmd.end(), extra.begin(), extra.end());
      Reply r = Cmd(c(), cmd);
      if (!IsArrayLen(r.get(), 2) || Elem(r.get(), 0)->type != REDIS_REPLY_STRING || Elem(r.get(), 1)->type != REDIS_REPLY_ARRAY) {
        ADD_FAILURE() << "SCAN reply must be [bulk cursor, array], got " << Describe(r.get());
        break;
      }
      cursor.assign(Elem(r.get(), 0)->str, Elem(r.get(), 0)->len);
      for (auto& k : Strings(Elem(r.get(), 1))) keys.insert(k);
      if (++n > 100000) {
        ADD_FAILURE() << "SCAN does not terminate";
        break;
      }
    } while (cursor != "0");
    if (calls) *calls = n;
    return keys;
  }
};

TEST_F(KeysTest, DelUnlinkExists) {
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2", "c", "3"}));
  ExpectInt(Cmd(c(), {"EXISTS", "a"}), 1);
  ExpectInt(Cmd(c(), {"EXISTS", "a", "a", "nokey", "a"}), 3);  // duplicates count each time
  ExpectInt(Cmd(c(), {"EXISTS", "nokey"}), 0);
  ExpectInt(Cmd(c(), {"DEL", "a", "a", "b", "nokey"}), 2);  // but are deleted once
  ExpectInt(Cmd(c(), {"EXISTS", "a", "b"}), 0);
  ExpectInt(Cmd(c(), {"UNLINK", "c", "c"}), 1);
  ExpectInt(Cmd(c(), {"UNLINK", "c"}), 0);
  ExpectInt(Cmd(c(), {"DEL", "nokey"}), 0);
  ExpectError(Cmd(c(), {"DEL"}), "ERR wrong number of arguments for 'del' command");
  ExpectError(Cmd(c(), {"UNLINK"}), "ERR wrong number of arguments for 'unlink' command");
  ExpectError(Cmd(c(), {"EXISTS"}), "ERR wrong number of arguments for 'exists' command");
}

TEST_F(KeysTest, Type) {
  ExpectOk(Cmd(c(), {"SET", "s", "v"}));
  ExpectStatus(Cmd(c(), {"TYPE", "s"}), "string");
  ExpectOk(Cmd(c(), {"SET", "n", "123"}));
  ExpectStatus(Cmd(c(), {"TYPE", "n"}), "string");
  ExpectStatus(Cmd(c(), {"TYPE", "nokey"}), "none");
  ExpectError(Cmd(c(), {"TYPE"}), "ERR wrong number of arguments for 'type' command");
  ExpectError(Cmd(c(), {"TYPE", "a", "b"}), "ERR wrong number of arguments for 'type' command");
}

TEST_F(KeysTest, RenameRenamenx) {
  ExpectError(Cmd(c(), {"RENAME", "nokey", "x"}), "ERR no such key");
  ExpectError(Cmd(c(), {"RENAME", "nokey", "nokey"}), "ERR no such key");
  ExpectError(Cmd(c(), {"RENAMENX", "nokey", "x"}), "ERR no such key");
  ExpectOk(Cmd(c(), {"SET", "a", "1", "EX", "100"}));
  ExpectOk(Cmd(c(), {"RENAME", "a", "a"}));  // same name: OK, nothing changes
  ExpectBulk(Cmd(c(), {"GET", "a"}), "1");
  ExpectOk(Cmd(c(), {"RENAME", "a", "b"}));
  ExpectInt(Cmd(c(), {"EXISTS", "a"}), 0);
  ExpectBulk(Cmd(c(), {"GET", "b"}), "1");
  EXPECT_EQ(Ttl("b"), 100);  // the TTL moves with the key
  // Renaming onto an existing key overwrites it, TTL included.
  ExpectOk(Cmd(c(), {"SET", "c", "3", "EX", "500"}));
  ExpectOk(Cmd(c(), {"SET", "d", "4"}));
  ExpectOk(Cmd(c(), {"RENAME", "d", "c"}));
  ExpectBulk(Cmd(c(), {"GET", "c"}), "4");
  EXPECT_EQ(Ttl("c"), -1);

  ExpectInt(Cmd(c(), {"RENAMENX", "b", "c"}), 0);
  ExpectBulk(Cmd(c(), {"GET", "b"}), "1");
  ExpectInt(Cmd(c(), {"RENAMENX", "b", "b"}), 0);
  ExpectInt(Cmd(c(), {"RENAMENX", "b", "e"}), 1);
  ExpectBulk(Cmd(c(), {"GET", "e"}), "1");
  ExpectInt(Cmd(c(), {"EXISTS", "b"}), 0);
  ExpectError(Cmd(c(), {"RENAME", "e"}), "ERR wrong number of arguments for 'rename' command");
  ExpectError(Cmd(c(), {"RENAMENX", "e"}), "ERR wrong number of arguments for 'renamenx' command");
}

TEST_F(KeysTest, Copy) {
  ExpectInt(Cmd(c(), {"COPY", "nokey", "x"}), 0);
  ExpectOk(Cmd(c(), {"SET", "src", "v", "EX", "100"}));
  ExpectInt(Cmd(c(), {"COPY", "src", "dst"}), 1);
  ExpectBulk(Cmd(c(), {"GET", "dst"}), "v");
  EXPECT_EQ(Ttl("dst"), 100);  // the TTL is copied
  ExpectOk(Cmd(c(), {"SET", "src", "v2"}));
  ExpectInt(Cmd(c(), {"COPY", "src", "dst"}), 0);  // exists: no REPLACE, no copy
  ExpectBulk(Cmd(c(), {"GET", "dst"}), "v");
  ExpectInt(Cmd(c(), {"COPY", "src", "dst", "REPLACE"}), 1);
  ExpectBulk(Cmd(c(), {"GET", "dst"}), "v2");
  EXPECT_EQ(Ttl("dst"), -1);
  // The copy is independent of the source.
  ExpectInt(Cmd(c(), {"APPEND", "dst", "x"}), 3);
  ExpectBulk(Cmd(c(), {"GET", "src"}), "v2");

  ExpectInt(Cmd(c(), {"COPY", "src", "other", "DB", "1"}), 1);
  ExpectInt(Cmd(c(), {"COPY", "src", "other", "DB", "1"}), 0);
  ExpectOk(Cmd(c(), {"SET", "src", "v3"}));
  ExpectInt(Cmd(c(), {"COPY", "src", "other", "DB", "1", "REPLACE"}), 1);
  ExpectInt(Cmd(c(), {"EXISTS", "other"}), 0);
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectBulk(Cmd(c(), {"GET", "other"}), "v3");
  ExpectOk(Cmd(c(), {"SELECT", "0"}));

  ExpectError(Cmd(c(), {"COPY", "src", "src"}), "ERR source and destination objects are the same");
  ExpectError(Cmd(c(), {"COPY", "src", "src", "DB", "0"}), "ERR source and destination objects are the same");
  ExpectInt(Cmd(c(), {"COPY", "src", "src", "DB", "1", "REPLACE"}), 1);  // different db: fine
  ExpectError(Cmd(c(), {"COPY", "src", "x", "DB", "16"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"COPY", "src", "x", "DB", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"COPY", "src", "x", "DB"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"COPY", "src", "x", "FOO"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"COPY", "src"}), "ERR wrong number of arguments for 'copy' command");
}

TEST_F(KeysTest, Move) {
  ExpectOk(Cmd(c(), {"SET", "k", "v", "EX", "100"}));
  ExpectInt(Cmd(c(), {"MOVE", "k", "1"}), 1);
  ExpectInt(Cmd(c(), {"EXISTS", "k"}), 0);
  ExpectInt(Cmd(c(), {"MOVE", "nokey", "1"}), 0);
  ExpectOk(Cmd(c(), {"SET", "k", "again"}));
  ExpectInt(Cmd(c(), {"MOVE", "k", "1"}), 0);  // target exists: nothing moves
  ExpectBulk(Cmd(c(), {"GET", "k"}), "again");
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "v");
  EXPECT_EQ(Ttl("k"), 100);  // the TTL moves too
  ExpectOk(Cmd(c(), {"SELECT", "0"}));
  ExpectError(Cmd(c(), {"MOVE", "k", "0"}), "ERR source and destination objects are the same");
  ExpectError(Cmd(c(), {"MOVE", "nokey", "0"}), "ERR source and destination objects are the same");
  ExpectError(Cmd(c(), {"MOVE", "k", "16"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"MOVE", "k", "-1"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"MOVE", "k", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"MOVE", "k"}), "ERR wrong number of arguments for 'move' command");
}

TEST_F(KeysTest, Swapdb) {
  ExpectOk(Cmd(c(), {"SET", "k", "db0"}));
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectOk(Cmd(c(), {"SET", "k", "db1"}));
  ExpectOk(Cmd(c(), {"SET", "only1", "x"}));
  ExpectOk(Cmd(c(), {"SWAPDB", "0", "1"}));
  // The connection stays on db index 1, which now holds db 0's data.
  ExpectBulk(Cmd(c(), {"GET", "k"}), "db0");
  ExpectInt(Cmd(c(), {"EXISTS", "only1"}), 0);
  Client other = NewClient();  // db 0
  ExpectBulk(Cmd(other, {"GET", "k"}), "db1");
  ExpectInt(Cmd(other, {"EXISTS", "only1"}), 1);
  ExpectOk(Cmd(c(), {"SWAPDB", "0", "0"}));
  ExpectError(Cmd(c(), {"SWAPDB", "0", "16"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"SWAPDB", "-1", "0"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"SWAPDB", "a", "1"}), "ERR invalid first DB index");
  ExpectError(Cmd(c(), {"SWAPDB", "0", "b"}), "ERR invalid second DB index");
  ExpectError(Cmd(c(), {"SWAPDB", "0"}), "ERR wrong number of arguments for 'swapdb' command");
}

TEST_F(KeysTest, Touch) {
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2"}));
  ExpectInt(Cmd(c(), {"TOUCH", "a", "nokey", "b", "a"}), 3);
  ExpectInt(Cmd(c(), {"TOUCH", "nokey"}), 0);
  ExpectError(Cmd(c(), {"TOUCH"}), "ERR wrong number of arguments for 'touch' command");
}

TEST_F(KeysTest, KeysGlob) {
  ExpectOk(Cmd(c(), {"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5", "hbllo", "6", "h*llo", "7",
                     "a[b", "8", "Hello", "9"}));
  ExpectBulkSet(Cmd(c(), {"KEYS", "h?llo"}), {"hello", "hallo", "hxllo", "hbllo", "h*llo"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "h*llo"}), {"hello", "hallo", "hxllo", "hllo", "heeeello", "hbllo", "h*llo"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "h[ae]llo"}), {"hello", "hallo"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "h[^e]llo"}), {"hallo", "hxllo", "hbllo", "h*llo"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "h[a-b]llo"}), {"hallo", "hbllo"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "h\\*llo"}), {"h*llo"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "a\\[b"}), {"a[b"});
  ExpectBulkSet(Cmd(c(), {"KEYS", "hello"}), {"hello"});  // case-sensitive
  ExpectBulkSet(Cmd(c(), {"KEYS", "nomatch*"}), {});
  Reply all = Cmd(c(), {"KEYS", "*"});
  ExpectArrayLen(all, 9);
  ExpectError(Cmd(c(), {"KEYS"}), "ERR wrong number of arguments for 'keys' command");
  // Keys of other dbs are not listed.
  ExpectOk(Cmd(c(), {"SELECT", "3"}));
  ExpectBulkSet(Cmd(c(), {"KEYS", "*"}), {});
}

TEST_F(KeysTest, ScanIteratesEverything) {
  std::set<std::string> expected;
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 500; ++i) {
    std::string k = "key:" + std::to_string(i);
    expected.insert(k);
    mset.push_back(k);
    mset.push_back(std::to_string(i));
  }
  ExpectOk(Cmd(c(), mset));
  int calls = 0;
  std::multiset<std::string> got = ScanAll({"COUNT", "10"}, &calls);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), expected);
  EXPECT_GT(calls, 1) << "COUNT 10 over 500 keys should take several calls";
  // Default COUNT.
  got = ScanAll({});
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), expected);
  // MATCH filters (the filter is applied after the fetch, so calls still terminate).
  got = ScanAll({"MATCH", "key:1?", "COUNT", "7"});
  std::set<std::string> tens;
  for (int i = 10; i < 20; ++i) tens.insert("key:" + std::to_string(i));
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), tens);
  got = ScanAll({"TYPE", "string", "COUNT", "1000"});
  EXPECT_EQ(got.size(), 500u);
  got = ScanAll({"TYPE", "hash"});
  EXPECT_TRUE(got.empty());
  got = ScanAll({"type", "STRING", "match", "key:42*"});
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), (std::set<std::string>{"key:42", "key:420", "key:421", "key:422",
                                                                                  "key:423", "key:424", "key:425", "key:426",
                                                                                  "key:427", "key:428", "key:429"}));
}

TEST_F(KeysTest, ScanSmallAndErrors) {
  Reply empty = Cmd(c(), {"SCAN", "0"});
  ASSERT_TRUE(ExpectArrayLen(empty, 2));
  EXPECT_TRUE(IsBulk(Elem(empty.get(), 0), "0"));
  EXPECT_TRUE(IsArrayLen(Elem(empty.get(), 1), 0));
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2", "c", "3"}));
  Reply r = Cmd(c(), {"SCAN", "0", "COUNT", "100"});
  ASSERT_TRUE(ExpectArrayLen(r, 2));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "0"));
  EXPECT_TRUE(IsBulkSet(Elem(r.get(), 1), {"a", "b", "c"}));

  ExpectError(Cmd(c(), {"SCAN", "abc"}), "ERR invalid cursor");
  ExpectError(Cmd(c(), {"SCAN", "1.5"}), "ERR invalid cursor");
  ExpectError(Cmd(c(), {"SCAN", "18446744073709551616"}), "ERR invalid cursor");
  ExpectError(Cmd(c(), {"SCAN", "0", "COUNT", "0"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"SCAN", "0", "COUNT", "-1"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"SCAN", "0", "COUNT", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SCAN", "0", "MATCH"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"SCAN", "0", "FOO", "bar"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"SCAN"}), "ERR wrong number of arguments for 'scan' command");
}

TEST_F(KeysTest, RandomkeyDbsize) {
  ExpectNil(Cmd(c(), {"RANDOMKEY"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"SET", "only", "1"}));
  ExpectBulk(Cmd(c(), {"RANDOMKEY"}), "only");
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 3);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    Reply r = Cmd(c(), {"RANDOMKEY"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING) << Describe(r.get());
    seen.insert(std::string(r->str, r->len));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "only"}));
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectNil(Cmd(c(), {"RANDOMKEY"}));
  ExpectError(Cmd(c(), {"DBSIZE", "x"}), "ERR wrong number of arguments for 'dbsize' command");
  ExpectError(Cmd(c(), {"RANDOMKEY", "x"}), "ERR wrong number of arguments for 'randomkey' command");
}

TEST_F(KeysTest, FlushdbFlushall) {
  ExpectOk(Cmd(c(), {"MSET", "a", "1", "b", "2"}));
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectOk(Cmd(c(), {"SET", "c", "3"}));
  ExpectOk(Cmd(c(), {"FLUSHDB"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"SELECT", "0"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 2);  // other dbs untouched
  ExpectOk(Cmd(c(), {"FLUSHDB", "SYNC"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"SET", "a", "1"}));
  ExpectOk(Cmd(c(), {"FLUSHDB", "async"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectNil(Cmd(c(), {"GET", "a"}));

  ExpectOk(Cmd(c(), {"SET", "a", "1"}));
  ExpectOk(Cmd(c(), {"SELECT", "5"}));
  ExpectOk(Cmd(c(), {"SET", "b", "1"}));
  ExpectOk(Cmd(c(), {"FLUSHALL"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"SELECT", "0"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"SET", "a", "1"}));
  ExpectOk(Cmd(c(), {"FLUSHALL", "SYNC"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  ExpectOk(Cmd(c(), {"SET", "a", "1"}));
  ExpectOk(Cmd(c(), {"FLUSHALL", "ASYNC"}));
  ExpectInt(Cmd(c(), {"DBSIZE"}), 0);
  // Keys with TTLs go too (and are not resurrected).
  ExpectOk(Cmd(c(), {"SET", "t", "1", "EX", "100"}));
  ExpectOk(Cmd(c(), {"FLUSHALL"}));
  ExpectInt(Cmd(c(), {"TTL", "t"}), -2);

  ExpectError(Cmd(c(), {"FLUSHDB", "FOO"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"FLUSHALL", "FOO"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"FLUSHDB", "SYNC", "ASYNC"}), "ERR syntax error");
}

TEST_F(KeysTest, Object) {
  ExpectOk(Cmd(c(), {"SET", "i", "12345"}));
  ExpectBulk(Cmd(c(), {"OBJECT", "ENCODING", "i"}), "int");
  ExpectOk(Cmd(c(), {"SET", "big", "123456789012"}));
  ExpectBulk(Cmd(c(), {"OBJECT", "ENCODING", "big"}), "int");
  std::string hundred(100, 'x');
  ExpectOk(Cmd(c(), {"SET", "r", hundred}));
  ExpectBulk(Cmd(c(), {"object", "encoding", "r"}), "raw");
  ExpectInt(Cmd(c(), {"OBJECT", "REFCOUNT", "r"}), 1);
  Reply idle = Cmd(c(), {"OBJECT", "IDLETIME", "r"});
  ASSERT_TRUE(idle && idle->type == REDIS_REPLY_INTEGER) << Describe(idle.get());
  EXPECT_GE(idle->integer, 0);
  EXPECT_LE(idle->integer, 2);
  ExpectNil(Cmd(c(), {"OBJECT", "ENCODING", "nokey"}));
  ExpectNil(Cmd(c(), {"OBJECT", "REFCOUNT", "nokey"}));
  ExpectNil(Cmd(c(), {"OBJECT", "IDLETIME", "nokey"}));
  ExpectNil(Cmd(c(), {"OBJECT", "FREQ", "nokey"}));
  ExpectError(Cmd(c(), {"OBJECT", "FREQ", "r"}),
              "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between "
              "policies at runtime LRU and LFU data will take some time to adjust.");
  Reply help = Cmd(c(), {"OBJECT", "HELP"});
  ASSERT_TRUE(help && help->type == REDIS_REPLY_ARRAY) << Describe(help.get());
  EXPECT_GT(help->elements, 3u);
  for (size_t i = 0; i < help->elements; ++i) EXPECT_EQ(help->element[i]->type, REDIS_REPLY_STATUS) << i;
  ExpectError(Cmd(c(), {"OBJECT", "FOO", "r"}), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
  ExpectError(Cmd(c(), {"OBJECT", "ENCODING"}), "ERR wrong number of arguments for 'object|encoding' command");
  ExpectError(Cmd(c(), {"OBJECT"}), "ERR wrong number of arguments for 'object' command");
}

// A string's encoding as Redis 7.0 names it, which depends on how it was written and not only on its
// bytes (passes against redis-server too). Tally stores strings by their bytes alone.
TEST_F(KeysTest, StringEncodingFollowsHowTheValueWasWritten) {
  auto encoding = [&](const char* key) {
    Reply r = Cmd(c(), {"OBJECT", "ENCODING", key});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : Describe(r.get());
  };
  const std::string b44(44, 'x'), b45(45, 'x');
  ExpectOk(Cmd(c(), {"SET", "s16", "sixteen-bytes-xx"}));
  ExpectOk(Cmd(c(), {"SET", "s44", b44}));
  ExpectOk(Cmd(c(), {"SET", "s45", b45}));
  ExpectOk(Cmd(c(), {"SET", "n20", "12345678901234567890"}));  // over int64: not an int
  EXPECT_EQ(encoding("s16"), "embstr");
  EXPECT_EQ(encoding("s44"), "embstr");
  EXPECT_EQ(encoding("s45"), "raw");
  EXPECT_EQ(encoding("n20"), "embstr");

  // INCRBYFLOAT keeps its result's text, integral or not; INCR makes an int of it again.
  ExpectBulk(Cmd(c(), {"INCRBYFLOAT", "f", "7"}), "7");
  EXPECT_EQ(encoding("f"), "embstr");
  ExpectInt(Cmd(c(), {"OBJECT", "REFCOUNT", "f"}), 1);
  ExpectInt(Cmd(c(), {"INCR", "f"}), 8);
  EXPECT_EQ(encoding("f"), "int");
  Cmd(c(), {"INCRBYFLOAT", "f", "1e200"});
  ExpectInt(Cmd(c(), {"STRLEN", "f"}), 201);  // 201 digits: past 44 bytes
  EXPECT_EQ(encoding("f"), "raw");

  // Changed in place: raw, however short; APPEND on a missing key is written as SET writes.
  ExpectOk(Cmd(c(), {"SET", "a", "12"}));
  ExpectInt(Cmd(c(), {"APPEND", "a", ""}), 2);
  EXPECT_EQ(encoding("a"), "raw");
  ExpectInt(Cmd(c(), {"SETRANGE", "r", "0", "ab"}), 2);
  EXPECT_EQ(encoding("r"), "raw");
  ExpectInt(Cmd(c(), {"APPEND", "new", "42"}), 2);
  EXPECT_EQ(encoding("new"), "int");
  ExpectOk(Cmd(c(), {"SET", "e", "hello"}));
  ExpectInt(Cmd(c(), {"SETRANGE", "e", "0", ""}), 5);  // nothing written: unchanged
  EXPECT_EQ(encoding("e"), "embstr");

  // COPY and RENAME keep it; a SET writes it afresh.
  ExpectInt(Cmd(c(), {"COPY", "a", "a2"}), 1);
  EXPECT_EQ(encoding("a2"), "raw");
  ExpectOk(Cmd(c(), {"RENAME", "a2", "a3"}));
  EXPECT_EQ(encoding("a3"), "raw");
  ExpectOk(Cmd(c(), {"SET", "a3", "12"}));
  EXPECT_EQ(encoding("a3"), "int");
  // A copy of a shared integer (0..9999) is an int of its own.
  ExpectInt(Cmd(c(), {"OBJECT", "REFCOUNT", "a3"}), 2147483647);
  ExpectInt(Cmd(c(), {"COPY", "a3", "a4"}), 1);
  EXPECT_EQ(encoding("a4"), "int");
  ExpectInt(Cmd(c(), {"OBJECT", "REFCOUNT", "a4"}), 1);
  ExpectOk(Cmd(c(), {"RENAME", "a4", "a5"}));
  ExpectInt(Cmd(c(), {"OBJECT", "REFCOUNT", "a5"}), 1);
}

}  // namespace
}  // namespace tally_test
