// In-process tests of the string family (cmd_strings.cpp, cmd_strings2.cpp). Expected bytes were
// checked against redis-server 7.0.15 over a raw socket.
#include <string>
#include <vector>

#include "tests/cmd_fixture.h"

namespace tally {
namespace {

const std::string kWrongType = "-" + std::string(err::kWrongType) + "\r\n";
const std::string kSyntax = "-ERR syntax error\r\n";
const std::string kNotInt = "-ERR value is not an integer or out of range\r\n";
const std::string kNotFloat = "-ERR value is not a valid float\r\n";
const std::string kEmpty = "$0\r\n\r\n";

class StringCmdTest : public CmdTest {
 protected:
  ~StringCmdTest() override {
    // Fake non-string entries must be strings again before the keyspace frees them.
    for (const std::string& k : fakes_) with_entry(k, [](Txn&, Entry* e) {
      if (e) e->type = static_cast<uint32_t>(ValueType::kString);
    });
  }

  template <class Fn>
  void with_entry(const std::string& key, Fn&& fn) {
    std::string_view k = key;
    Txn t(*state_.keyspace, client_.db.load(), std::span(&k, 1));
    fn(t, t.peek(0));
  }

  // A stand-in for a hash (until HSET exists): a small string entry relabelled kHash. Only commands
  // that must refuse it may touch it.
  void make_non_string(const std::string& key) {
    fakes_.push_back(key);
    with_entry(key, [](Txn& t, Entry*) { t.set_string(0, "x")->type = static_cast<uint32_t>(ValueType::kHash); });
  }

  // Remaining TTL in ms as PTTL reports it: -2 missing, -1 no TTL.
  int64_t pttl(const std::string& key) {
    int64_t out = -2;
    with_entry(key, [&out](Txn& t, Entry* e) {
      if (e) out = e->has_ttl() ? t.expire_of(e) - t.now() : -1;
    });
    return out;
  }

  bool exists(const std::string& key) {
    bool out = false;
    with_entry(key, [&out](Txn&, Entry* e) { out = e != nullptr; });
    return out;
  }

  Encoding encoding(const std::string& key) {
    Encoding out = Encoding::kRaw;
    with_entry(key, [&out](Txn&, Entry* e) { out = e->encoding(); });
    return out;
  }

  std::vector<std::string> fakes_;
};

// ---- GET / SET ----

TEST_F(StringCmdTest, GetSetBasics) {
  EXPECT_EQ(run({"GET", "k"}), kNil);
  EXPECT_EQ(run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(run({"GET", "k"}), bulk("v"));
  EXPECT_EQ(run({"set", "k", ""}), kOk);
  EXPECT_EQ(run({"GET", "k"}), kEmpty);
  std::string big(1000, 'x');
  EXPECT_EQ(run({"SET", "k", big}), kOk);
  EXPECT_EQ(run({"GET", "k"}), bulk(big));
  EXPECT_EQ(run({"SET", "n", "12345"}), kOk);
  EXPECT_EQ(encoding("n"), Encoding::kInt);
  EXPECT_EQ(run({"GET", "n"}), bulk("12345"));
  EXPECT_EQ(run({"GET"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(run({"SET", "k"}), error("ERR wrong number of arguments for 'set' command"));
}

TEST_F(StringCmdTest, GetResp3NullAndWrongType) {
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"GET", "missing"}), "_\r\n");
  make_non_string("h");
  EXPECT_EQ(run({"GET", "h"}), kWrongType);
}

TEST_F(StringCmdTest, SetNxXx) {
  EXPECT_EQ(run({"SET", "k", "v", "XX"}), kNil);
  EXPECT_FALSE(exists("k"));
  EXPECT_EQ(run({"SET", "k", "v", "nx"}), kOk);
  EXPECT_EQ(run({"SET", "k", "w", "NX"}), kNil);
  EXPECT_EQ(run({"GET", "k"}), bulk("v"));
  EXPECT_EQ(run({"SET", "k", "w", "xx"}), kOk);
  EXPECT_EQ(run({"GET", "k"}), bulk("w"));
  EXPECT_EQ(run({"SET", "k", "v", "NX", "XX"}), kSyntax);
  EXPECT_EQ(run({"SET", "k", "v", "XX", "NX"}), kSyntax);
  EXPECT_EQ(run({"SET", "k", "v", "NX", "NX"}), kNil);  // repeating an option is allowed
}

TEST_F(StringCmdTest, SetGetOption) {
  EXPECT_EQ(run({"SET", "k", "v", "GET"}), kNil);
  EXPECT_EQ(run({"GET", "k"}), bulk("v"));
  EXPECT_EQ(run({"SET", "k", "v2", "get", "GET"}), bulk("v"));
  EXPECT_EQ(run({"SET", "k", "v3", "NX", "GET"}), bulk("v2"));  // not set: NX and the key exists
  EXPECT_EQ(run({"GET", "k"}), bulk("v2"));
  EXPECT_EQ(run({"SET", "m", "v", "XX", "GET"}), kNil);  // not set: XX and no key
  EXPECT_FALSE(exists("m"));
  EXPECT_EQ(run({"SET", "m", "v", "NX", "GET"}), kNil);  // set
  EXPECT_EQ(run({"GET", "m"}), bulk("v"));
  EXPECT_EQ(run({"SET", "n", "42"}), kOk);
  EXPECT_EQ(run({"SET", "n", "43", "GET"}), bulk("42"));
  make_non_string("h");
  EXPECT_EQ(run({"SET", "h", "v", "GET"}), kWrongType);
  EXPECT_EQ(run({"SET", "h", "v", "NX", "GET"}), kWrongType);
  EXPECT_EQ(run({"SET", "h", "v", "EX", "0", "GET"}), error("ERR invalid expire time in 'set' command"));
}

TEST_F(StringCmdTest, SetExpireOptions) {
  EXPECT_EQ(run({"SET", "k", "v", "EX", "100"}), kOk);
  EXPECT_GT(pttl("k"), 99000);
  EXPECT_LE(pttl("k"), 100000);
  EXPECT_EQ(run({"SET", "k", "v", "PX", "5000"}), kOk);
  EXPECT_GT(pttl("k"), 4000);
  EXPECT_LE(pttl("k"), 5000);
  EXPECT_EQ(run({"SET", "k", "v", "ex", "10", "EX", "20"}), kOk);  // the same option again: last wins
  EXPECT_GT(pttl("k"), 19000);
  EXPECT_EQ(run({"SET", "k", "v", "EXAT", "99999999999"}), kOk);
  EXPECT_GT(pttl("k"), 90000000000000);
  EXPECT_EQ(run({"SET", "k", "v", "PXAT", "9223372036854775807"}), kOk);
  EXPECT_GT(pttl("k"), 9000000000000000000);
  EXPECT_EQ(run({"SET", "k", "v", "EXAT", "9223372036854775"}), kOk);
  EXPECT_EQ(run({"SET", "k", "w"}), kOk);  // a plain SET drops the TTL
  EXPECT_EQ(pttl("k"), -1);
  EXPECT_EQ(run({"SET", "k", "v", "PXAT", "1"}), kOk);  // already past: the key is gone
  EXPECT_FALSE(exists("k"));
  EXPECT_EQ(run({"SET", "k", "v", "EXAT", "1", "GET"}), kNil);
  EXPECT_EQ(run({"GET", "k"}), kNil);
}

TEST_F(StringCmdTest, SetKeepTtl) {
  EXPECT_EQ(run({"SET", "k", "v", "EX", "100"}), kOk);
  EXPECT_EQ(run({"SET", "k", "w", "KEEPTTL"}), kOk);
  EXPECT_GT(pttl("k"), 99000);
  EXPECT_EQ(run({"SET", "k", "w", "keepttl", "KEEPTTL"}), kOk);
  EXPECT_GT(pttl("k"), 99000);
  EXPECT_EQ(run({"SET", "k", "x", "PX", "100000", "GET"}), bulk("w"));
  EXPECT_EQ(run({"SET", "new", "x", "KEEPTTL"}), kOk);
  EXPECT_EQ(pttl("new"), -1);
}

TEST_F(StringCmdTest, SetSyntaxErrors) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"SET", "k", "v", "EX", "10", "PX", "10"},
           {"SET", "k", "v", "PX", "10", "EX", "10"},
           {"SET", "k", "v", "EX", "10", "EXAT", "10"},
           {"SET", "k", "v", "PXAT", "10", "PX", "10"},
           {"SET", "k", "v", "EXAT", "10", "PXAT", "10"},
           {"SET", "k", "v", "KEEPTTL", "EX", "10"},
           {"SET", "k", "v", "EX", "10", "KEEPTTL"},
           {"SET", "k", "v", "PXAT", "10", "KEEPTTL"},
           {"SET", "k", "v", "EX"},
           {"SET", "k", "v", "PXAT"},
           {"SET", "k", "v", "foo"},
           {"SET", "k", "v", "PERSIST"},
           {"SET", "k", "v", "NX", "EX", "10", "bar"},
           {"SET", "k", "v", "EXX", "10"},
       })
    EXPECT_EQ(run_vec(args), kSyntax) << args[3];
  EXPECT_FALSE(exists("k"));
}

TEST_F(StringCmdTest, SetExpireErrors) {
  const std::string invalid = error("ERR invalid expire time in 'set' command");
  EXPECT_EQ(run({"SET", "k", "v", "EX", "0"}), invalid);
  EXPECT_EQ(run({"SET", "k", "v", "EX", "-1"}), invalid);
  EXPECT_EQ(run({"SET", "k", "v", "PX", "0"}), invalid);
  EXPECT_EQ(run({"SET", "k", "v", "EXAT", "0"}), invalid);
  EXPECT_EQ(run({"SET", "k", "v", "PXAT", "-5"}), invalid);
  EXPECT_EQ(run({"SET", "k", "v", "EX", "9223372036854776"}), invalid);    // seconds * 1000 overflows
  EXPECT_EQ(run({"SET", "k", "v", "EX", "9223372036854775"}), invalid);    // + now overflows
  EXPECT_EQ(run({"SET", "k", "v", "PX", "9223372036854775807"}), invalid);  // + now overflows
  EXPECT_EQ(run({"SET", "k", "v", "EXAT", "9223372036854776"}), invalid);
  EXPECT_EQ(run({"SET", "k", "v", "EX", "abc"}), kNotInt);
  EXPECT_EQ(run({"SET", "k", "v", "EX", "1.5"}), kNotInt);
  EXPECT_EQ(run({"SET", "k", "v", "EX", "9223372036854775808"}), kNotInt);
  EXPECT_FALSE(exists("k"));
}

TEST_F(StringCmdTest, SetNxExPsetex) {
  EXPECT_EQ(run({"SETNX", "k", "v"}), integer(1));
  EXPECT_EQ(run({"SETNX", "k", "w"}), integer(0));
  EXPECT_EQ(run({"GET", "k"}), bulk("v"));
  EXPECT_EQ(run({"SETEX", "k", "100", "x"}), kOk);
  EXPECT_EQ(run({"GET", "k"}), bulk("x"));
  EXPECT_GT(pttl("k"), 99000);
  EXPECT_EQ(run({"PSETEX", "k", "5000", "y"}), kOk);
  EXPECT_GT(pttl("k"), 4000);
  EXPECT_LE(pttl("k"), 5000);
  EXPECT_EQ(run({"SETEX", "k", "0", "v"}), error("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(run({"SETEX", "k", "9223372036854776", "v"}), error("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(run({"PSETEX", "k", "-1", "v"}), error("ERR invalid expire time in 'psetex' command"));
  EXPECT_EQ(run({"PSETEX", "k", "9223372036854775807", "v"}), error("ERR invalid expire time in 'psetex' command"));
  EXPECT_EQ(run({"SETEX", "k", "abc", "v"}), kNotInt);
  EXPECT_EQ(run({"GET", "k"}), bulk("y"));
  EXPECT_EQ(run({"SETEX", "k", "10"}), error("ERR wrong number of arguments for 'setex' command"));
  make_non_string("h");
  EXPECT_EQ(run({"SETNX", "h", "v"}), integer(0));
}

// ---- GETSET, GETDEL, GETEX ----

TEST_F(StringCmdTest, GetSetCommand) {
  EXPECT_EQ(run({"GETSET", "k", "a"}), kNil);
  EXPECT_EQ(run({"GETSET", "k", "b"}), bulk("a"));
  EXPECT_EQ(run({"SET", "k", "1", "EX", "100"}), kOk);
  EXPECT_EQ(run({"GETSET", "k", "2"}), bulk("1"));
  EXPECT_EQ(pttl("k"), -1);  // GETSET drops the TTL
  EXPECT_EQ(run({"GET", "k"}), bulk("2"));
  make_non_string("h");
  EXPECT_EQ(run({"GETSET", "h", "x"}), kWrongType);
}

TEST_F(StringCmdTest, GetDel) {
  EXPECT_EQ(run({"GETDEL", "k"}), kNil);
  EXPECT_EQ(run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(run({"GETDEL", "k"}), bulk("v"));
  EXPECT_FALSE(exists("k"));
  EXPECT_EQ(run({"GETDEL", "k"}), kNil);
  make_non_string("h");
  EXPECT_EQ(run({"GETDEL", "h"}), kWrongType);
  EXPECT_TRUE(exists("h"));
}

TEST_F(StringCmdTest, GetExOptions) {
  EXPECT_EQ(run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(run({"GETEX", "k"}), bulk("v"));
  EXPECT_EQ(pttl("k"), -1);
  EXPECT_EQ(run({"GETEX", "k", "EX", "100"}), bulk("v"));
  EXPECT_GT(pttl("k"), 99000);
  EXPECT_EQ(run({"GETEX", "k"}), bulk("v"));  // no option: TTL untouched
  EXPECT_GT(pttl("k"), 99000);
  EXPECT_EQ(run({"GETEX", "k", "persist"}), bulk("v"));
  EXPECT_EQ(pttl("k"), -1);
  EXPECT_EQ(run({"GETEX", "k", "PERSIST", "PERSIST"}), bulk("v"));
  EXPECT_EQ(run({"GETEX", "k", "PX", "5000"}), bulk("v"));
  EXPECT_LE(pttl("k"), 5000);
  EXPECT_EQ(run({"GETEX", "k", "PXAT", "99999999999999"}), bulk("v"));
  EXPECT_GT(pttl("k"), 90000000000000);
  EXPECT_EQ(run({"GETEX", "k", "EXAT", "99999999999"}), bulk("v"));
  EXPECT_GT(pttl("k"), 90000000000000);
  EXPECT_EQ(run({"GETEX", "k", "EXAT", "1"}), bulk("v"));  // a past time deletes the key
  EXPECT_FALSE(exists("k"));
  EXPECT_EQ(run({"SET", "n", "123"}), kOk);
  EXPECT_EQ(run({"GETEX", "n", "PXAT", "1"}), bulk("123"));
  EXPECT_FALSE(exists("n"));
}

TEST_F(StringCmdTest, GetExErrors) {
  const std::string invalid = error("ERR invalid expire time in 'getex' command");
  EXPECT_EQ(run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(run({"GETEX", "k", "EX", "0"}), invalid);
  EXPECT_EQ(run({"GETEX", "k", "PX", "-1"}), invalid);
  EXPECT_EQ(run({"GETEX", "k", "EX", "9223372036854776"}), invalid);
  EXPECT_EQ(run({"GETEX", "k", "EX", "x"}), kNotInt);
  for (auto args : std::vector<std::vector<std::string>>{
           {"GETEX", "k", "EX", "10", "PX", "10"},
           {"GETEX", "k", "PERSIST", "EX", "10"},
           {"GETEX", "k", "EX", "10", "PERSIST"},
           {"GETEX", "k", "KEEPTTL"},
           {"GETEX", "k", "NX"},
           {"GETEX", "k", "XX"},
           {"GETEX", "k", "GET"},
           {"GETEX", "k", "EX"},
           {"GETEX", "k", "foo"},
       })
    EXPECT_EQ(run_vec(args), kSyntax) << args[2];
  EXPECT_EQ(pttl("k"), -1);
  // Missing key: nil before the expire value is checked, but after the syntax.
  EXPECT_EQ(run({"GETEX", "missing", "EX", "0"}), kNil);
  EXPECT_EQ(run({"GETEX", "missing", "EX", "abc"}), kNil);
  EXPECT_EQ(run({"GETEX", "missing", "foo"}), kSyntax);
  make_non_string("h");
  EXPECT_EQ(run({"GETEX", "h"}), kWrongType);
  EXPECT_EQ(run({"GETEX", "h", "EX", "0"}), kWrongType);
  EXPECT_EQ(run({"GETEX", "h", "foo"}), kSyntax);
}

// ---- MGET / MSET / MSETNX ----

TEST_F(StringCmdTest, MgetMset) {
  EXPECT_EQ(run({"MSET", "a", "1", "b", "two", "c", ""}), kOk);
  EXPECT_EQ(run({"MGET", "a", "b", "c", "missing"}), arr({bulk("1"), bulk("two"), kEmpty, std::string(kNil)}));
  make_non_string("h");
  EXPECT_EQ(run({"MGET", "h", "a", "a"}), arr({std::string(kNil), bulk("1"), bulk("1")}));
  EXPECT_EQ(run({"MSET", "a", "1", "b"}), error("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(run({"MSET", "a"}), error("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(run({"MGET"}), error("ERR wrong number of arguments for 'mget' command"));
  EXPECT_EQ(run({"MSET", "d", "1", "d", "2"}), kOk);  // the last value of a repeated key wins
  EXPECT_EQ(run({"GET", "d"}), bulk("2"));
  EXPECT_EQ(run({"SET", "t", "v", "EX", "100"}), kOk);
  EXPECT_EQ(run({"MSET", "t", "w"}), kOk);
  EXPECT_EQ(pttl("t"), -1);  // MSET drops the TTL
}

TEST_F(StringCmdTest, MgetMsetManyKeys) {
  std::vector<std::string> mset{"MSET"}, mget{"MGET"};
  std::string expected = "*40\r\n";
  for (int i = 0; i < 40; ++i) {
    mset.push_back("key:" + std::to_string(i));
    mset.push_back("val:" + std::to_string(i));
    mget.push_back("key:" + std::to_string(i));
    expected += bulk("val:" + std::to_string(i));
  }
  EXPECT_EQ(run_vec(mset), kOk);
  EXPECT_EQ(run_vec(mget), expected);
}

TEST_F(StringCmdTest, Msetnx) {
  EXPECT_EQ(run({"MSETNX", "a", "1", "b", "2"}), integer(1));
  EXPECT_EQ(run({"MSETNX", "c", "3", "a", "9"}), integer(0));
  EXPECT_FALSE(exists("c"));
  EXPECT_EQ(run({"GET", "a"}), bulk("1"));
  EXPECT_EQ(run({"MSETNX", "e", "1", "e", "2"}), integer(1));
  EXPECT_EQ(run({"GET", "e"}), bulk("2"));
  EXPECT_EQ(run({"MSETNX", "a", "1", "b"}), error("ERR wrong number of arguments for 'msetnx' command"));
  make_non_string("h");
  EXPECT_EQ(run({"MSETNX", "h", "1"}), integer(0));
}

// ---- INCR family ----

TEST_F(StringCmdTest, IncrDecr) {
  EXPECT_EQ(run({"INCR", "n"}), integer(1));
  EXPECT_EQ(run({"INCR", "n"}), integer(2));
  EXPECT_EQ(run({"DECR", "n"}), integer(1));
  EXPECT_EQ(run({"DECR", "m"}), integer(-1));
  EXPECT_EQ(run({"INCRBY", "n", "100"}), integer(101));
  EXPECT_EQ(run({"INCRBY", "n", "-200"}), integer(-99));
  EXPECT_EQ(run({"DECRBY", "n", "-99"}), integer(0));
  EXPECT_EQ(run({"DECRBY", "n", "9223372036854775807"}), integer(-9223372036854775807LL));
  EXPECT_EQ(encoding("n"), Encoding::kInt);
  EXPECT_EQ(run({"GET", "n"}), bulk("-9223372036854775807"));
  EXPECT_EQ(run({"SET", "s", "41"}), kOk);
  EXPECT_EQ(run({"INCR", "s"}), integer(42));
  EXPECT_EQ(run({"SETRANGE", "e", "0", "42"}), integer(2));  // an embedded string holding an integer
  EXPECT_EQ(run({"INCR", "e"}), integer(43));
}

TEST_F(StringCmdTest, IncrKeepsTtl) {
  EXPECT_EQ(run({"SET", "n", "1", "EX", "100"}), kOk);
  EXPECT_EQ(run({"INCR", "n"}), integer(2));
  EXPECT_GT(pttl("n"), 99000);
  EXPECT_EQ(run({"INCRBYFLOAT", "n", "1.5"}), bulk("3.5"));
  EXPECT_GT(pttl("n"), 99000);
}

TEST_F(StringCmdTest, IncrErrors) {
  const std::string overflow = error("ERR increment or decrement would overflow");
  for (const char* bad : {"abc", " 1", "1 ", "007", "+1", "-0", "1.5", "", "99999999999999999999"}) {
    EXPECT_EQ(run({"SET", "s", bad}), kOk);
    EXPECT_EQ(run({"INCR", "s"}), kNotInt) << bad;
  }
  EXPECT_EQ(run({"SET", "n", "9223372036854775807"}), kOk);
  EXPECT_EQ(run({"INCR", "n"}), overflow);
  EXPECT_EQ(run({"INCRBY", "n", "-1"}), integer(9223372036854775806LL));
  EXPECT_EQ(run({"SET", "n", "-9223372036854775808"}), kOk);
  EXPECT_EQ(run({"DECR", "n"}), overflow);
  EXPECT_EQ(run({"INCRBY", "n", "-1"}), overflow);
  EXPECT_EQ(run({"DECRBY", "n", "1"}), overflow);
  EXPECT_EQ(run({"GET", "n"}), bulk("-9223372036854775808"));
  EXPECT_EQ(run({"DECRBY", "n", "-9223372036854775808"}), error("ERR decrement would overflow"));
  EXPECT_EQ(run({"DECRBY", "x", "-9223372036854775808"}), error("ERR decrement would overflow"));
  EXPECT_EQ(run({"INCRBY", "x", "-9223372036854775808"}), integer(INT64_MIN));
  EXPECT_EQ(run({"INCRBY", "n", "abc"}), kNotInt);
  EXPECT_EQ(run({"INCRBY", "n", "+1"}), kNotInt);
  EXPECT_EQ(run({"DECRBY", "n", "1.0"}), kNotInt);
  EXPECT_EQ(run({"INCRBY", "n", "9223372036854775808"}), kNotInt);
  make_non_string("h");
  EXPECT_EQ(run({"INCR", "h"}), kWrongType);
  EXPECT_EQ(run({"DECRBY", "h", "1"}), kWrongType);
  EXPECT_EQ(run({"INCRBY", "h", "x"}), kNotInt);  // the increment is checked first
}

TEST_F(StringCmdTest, IncrByFloat) {
  EXPECT_EQ(run({"INCRBYFLOAT", "f", "3"}), bulk("3"));
  EXPECT_EQ(run({"SET", "f", "10.50"}), kOk);
  EXPECT_EQ(run({"INCRBYFLOAT", "f", "0.1"}), bulk("10.6"));
  EXPECT_EQ(run({"GET", "f"}), bulk("10.6"));
  EXPECT_EQ(run({"INCRBYFLOAT", "f", "-5e3"}), bulk("-4989.39999999999999991"));
  EXPECT_EQ(run({"SET", "f", "1.5"}), kOk);
  EXPECT_EQ(run({"INCRBYFLOAT", "f", "1.5"}), bulk("3"));
  EXPECT_EQ(run({"INCR", "f"}), integer(4));  // the stored "3" is an integer again
  EXPECT_EQ(run({"SET", "z", "0.1"}), kOk);
  EXPECT_EQ(run({"INCRBYFLOAT", "z", "0.2"}), bulk("0.3"));
  EXPECT_EQ(run({"INCRBYFLOAT", "z", "1e-20"}), bulk("0.3"));
  EXPECT_EQ(run({"SET", "y", "5"}), kOk);
  EXPECT_EQ(run({"INCRBYFLOAT", "y", "0"}), bulk("5"));
  EXPECT_EQ(run({"INCRBYFLOAT", "y", "5.0e3"}), bulk("5005"));
  EXPECT_EQ(run({"SET", "i", "10"}), kOk);
  EXPECT_EQ(run({"INCRBYFLOAT", "i", "-9223372036854775807"}), bulk("-9223372036854775797"));
}

TEST_F(StringCmdTest, IncrByFloatErrors) {
  EXPECT_EQ(run({"SET", "f", "1"}), kOk);
  for (const char* bad : {"abc", "nan", " 1", "1 ", "1e", ""})
    EXPECT_EQ(run({"INCRBYFLOAT", "f", bad}), kNotFloat) << bad;
  EXPECT_EQ(run({"INCRBYFLOAT", "f", "inf"}), error("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(run({"INCRBYFLOAT", "f", "-inf"}), error("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(run({"GET", "f"}), bulk("1"));
  for (const char* bad : {"abc", "", "1.5x"}) {
    EXPECT_EQ(run({"SET", "s", bad}), kOk);
    EXPECT_EQ(run({"INCRBYFLOAT", "s", "1"}), kNotFloat) << bad;
  }
  make_non_string("h");
  EXPECT_EQ(run({"INCRBYFLOAT", "h", "1"}), kWrongType);
  EXPECT_EQ(run({"INCRBYFLOAT", "h", "x"}), kWrongType);  // the type is checked first
}

// ---- APPEND, STRLEN ----

TEST_F(StringCmdTest, Append) {
  EXPECT_EQ(run({"APPEND", "k", "hi"}), integer(2));
  EXPECT_EQ(run({"APPEND", "k", " there"}), integer(8));
  EXPECT_EQ(run({"GET", "k"}), bulk("hi there"));
  EXPECT_EQ(run({"APPEND", "k", ""}), integer(8));
  EXPECT_EQ(run({"APPEND", "empty", ""}), integer(0));
  EXPECT_TRUE(exists("empty"));  // APPEND creates the key even with nothing to add
  EXPECT_EQ(run({"SET", "n", "12"}), kOk);
  EXPECT_EQ(run({"APPEND", "n", "3"}), integer(3));
  EXPECT_EQ(run({"GET", "n"}), bulk("123"));
  std::string expect;
  for (int i = 0; i < 200; ++i) {  // grows across the inline and heap representations
    expect += "abcdefg";
    ASSERT_EQ(run({"APPEND", "g", "abcdefg"}), integer(static_cast<long long>(expect.size())));
  }
  EXPECT_EQ(run({"GET", "g"}), bulk(expect));
  EXPECT_EQ(run({"SET", "t", "v", "EX", "100"}), kOk);
  EXPECT_EQ(run({"APPEND", "t", "w"}), integer(2));
  EXPECT_GT(pttl("t"), 99000);
  make_non_string("h");
  EXPECT_EQ(run({"APPEND", "h", "x"}), kWrongType);
}

TEST_F(StringCmdTest, AppendSizeLimit) {
  state_.config.proto_max_bulk_len = 10;
  EXPECT_EQ(run({"APPEND", "k", "12345"}), integer(5));
  EXPECT_EQ(run({"APPEND", "k", "67890"}), integer(10));
  EXPECT_EQ(run({"APPEND", "k", "x"}), error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  EXPECT_EQ(run({"GET", "k"}), bulk("1234567890"));
}

TEST_F(StringCmdTest, Strlen) {
  EXPECT_EQ(run({"STRLEN", "k"}), integer(0));
  EXPECT_EQ(run({"SET", "k", "hello"}), kOk);
  EXPECT_EQ(run({"STRLEN", "k"}), integer(5));
  EXPECT_EQ(run({"SET", "n", "-12345"}), kOk);
  EXPECT_EQ(run({"STRLEN", "n"}), integer(6));
  EXPECT_EQ(run({"SET", "e", ""}), kOk);
  EXPECT_EQ(run({"STRLEN", "e"}), integer(0));
  make_non_string("h");
  EXPECT_EQ(run({"STRLEN", "h"}), kWrongType);
}

// ---- GETRANGE / SUBSTR / SETRANGE ----

TEST_F(StringCmdTest, GetRange) {
  EXPECT_EQ(run({"SET", "s", "hello"}), kOk);
  struct Case {
    const char *start, *end, *want;
  };
  for (const Case& c : {Case{"0", "-1", "hello"}, Case{"1", "3", "ell"}, Case{"-3", "-1", "llo"},
                        Case{"0", "-100", "h"}, Case{"-100", "100", "hello"}, Case{"3", "-10", ""},
                        Case{"-1", "-5", ""}, Case{"-10", "-20", ""}, Case{"10", "20", ""},
                        Case{"4", "4", "o"}, Case{"9223372036854775807", "-1", ""},
                        Case{"-9223372036854775808", "-9223372036854775808", "h"},
                        Case{"0", "9223372036854775807", "hello"}})
    EXPECT_EQ(run({"GETRANGE", "s", c.start, c.end}), bulk(c.want)) << c.start << " " << c.end;
  EXPECT_EQ(run({"SUBSTR", "s", "1", "2"}), bulk("el"));
  EXPECT_EQ(run({"SET", "n", "12345"}), kOk);
  EXPECT_EQ(run({"GETRANGE", "n", "1", "-2"}), bulk("234"));
  EXPECT_EQ(run({"SET", "e", ""}), kOk);
  EXPECT_EQ(run({"GETRANGE", "e", "0", "-1"}), kEmpty);
  EXPECT_EQ(run({"GETRANGE", "e", "-1", "0"}), kEmpty);
  EXPECT_EQ(run({"GETRANGE", "missing", "0", "-1"}), kEmpty);
  EXPECT_EQ(run({"GETRANGE", "s", "a", "1"}), kNotInt);
  EXPECT_EQ(run({"GETRANGE", "s", "0", "1.0"}), kNotInt);
  EXPECT_EQ(run({"SUBSTR", "s", "a", "1"}), kNotInt);
  make_non_string("h");
  EXPECT_EQ(run({"GETRANGE", "h", "0", "1"}), kWrongType);
  EXPECT_EQ(run({"GETRANGE", "h", "a", "1"}), kNotInt);  // the range is parsed first
  EXPECT_EQ(run({"GETRANGE", "s", "0"}), error("ERR wrong number of arguments for 'getrange' command"));
}

TEST_F(StringCmdTest, SetRange) {
  EXPECT_EQ(run({"SETRANGE", "k", "5", "ab"}), integer(7));
  EXPECT_EQ(run({"GET", "k"}), bulk(std::string("\0\0\0\0\0ab", 7)));
  EXPECT_EQ(run({"SETRANGE", "k", "0", "xy"}), integer(7));
  EXPECT_EQ(run({"GET", "k"}), bulk(std::string("xy\0\0\0ab", 7)));
  EXPECT_EQ(run({"SETRANGE", "k", "6", "CDEFGHIJKLMNOPQRSTUVWXYZ"}), integer(30));
  EXPECT_EQ(run({"GET", "k"}), bulk(std::string("xy\0\0\0aCDEFGHIJKLMNOPQRSTUVWXYZ", 30)));
  EXPECT_EQ(run({"SETRANGE", "k", "100", ""}), integer(30));
  EXPECT_EQ(run({"SETRANGE", "none", "0", ""}), integer(0));
  EXPECT_FALSE(exists("none"));  // nothing written on a missing key creates nothing
  EXPECT_EQ(run({"SET", "n", "12345"}), kOk);
  EXPECT_EQ(run({"SETRANGE", "n", "1", "X"}), integer(5));
  EXPECT_EQ(run({"GET", "n"}), bulk("1X345"));
  EXPECT_EQ(run({"SET", "t", "hello", "EX", "100"}), kOk);
  EXPECT_EQ(run({"SETRANGE", "t", "0", "J"}), integer(5));
  EXPECT_EQ(run({"GET", "t"}), bulk("Jello"));
  EXPECT_GT(pttl("t"), 99000);
}

TEST_F(StringCmdTest, SetRangeErrors) {
  const std::string too_big = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  const std::string range = error("ERR offset is out of range");
  EXPECT_EQ(run({"SETRANGE", "k", "-1", "x"}), range);
  EXPECT_EQ(run({"SETRANGE", "k", "-1", ""}), range);
  EXPECT_EQ(run({"SETRANGE", "k", "abc", "x"}), kNotInt);
  EXPECT_EQ(run({"SETRANGE", "k", "9223372036854775807", "x"}), too_big);
  state_.config.proto_max_bulk_len = 10;
  EXPECT_EQ(run({"SETRANGE", "k", "9", "x"}), integer(10));
  EXPECT_EQ(run({"SETRANGE", "k", "9", "xy"}), too_big);
  EXPECT_EQ(run({"SETRANGE", "new", "10", "x"}), too_big);
  EXPECT_FALSE(exists("new"));
  EXPECT_EQ(run({"SETRANGE", "new", "1000", ""}), integer(0));
  make_non_string("h");
  EXPECT_EQ(run({"SETRANGE", "h", "0", "x"}), kWrongType);
  EXPECT_EQ(run({"SETRANGE", "h", "0", ""}), kWrongType);
  EXPECT_EQ(run({"SETRANGE", "h", "-1", "x"}), range);  // the offset is checked first
}

// ---- LCS ----

TEST_F(StringCmdTest, LcsStringAndLen) {
  EXPECT_EQ(run({"MSET", "k1", "ohmytext", "k2", "mynewtext"}), kOk);
  EXPECT_EQ(run({"LCS", "k1", "k2"}), bulk("mytext"));
  EXPECT_EQ(run({"LCS", "k1", "k2", "LEN"}), integer(6));
  EXPECT_EQ(run({"LCS", "k1", "k2", "len", "LEN"}), integer(6));
  EXPECT_EQ(run({"LCS", "k1", "k2", "LEN", "WITHMATCHLEN"}), integer(6));
  EXPECT_EQ(run({"LCS", "k1", "k2", "WITHMATCHLEN"}), bulk("mytext"));
  EXPECT_EQ(run({"LCS", "k1", "k2", "MINMATCHLEN", "2"}), bulk("mytext"));
  EXPECT_EQ(run({"LCS", "k1", "missing"}), kEmpty);
  EXPECT_EQ(run({"LCS", "m1", "m2", "LEN"}), integer(0));
  EXPECT_EQ(run({"LCS", "k1", "k1"}), bulk("ohmytext"));
  EXPECT_EQ(run({"MSET", "n1", "12345", "n2", "2345"}), kOk);
  EXPECT_EQ(run({"LCS", "n1", "n2"}), bulk("2345"));
}

TEST_F(StringCmdTest, LcsIdx) {
  EXPECT_EQ(run({"MSET", "k1", "ohmytext", "k2", "mynewtext"}), kOk);
  const std::string m1 = arr({arr({integer(4), integer(7)}), arr({integer(5), integer(8)})});
  const std::string m2 = arr({arr({integer(2), integer(3)}), arr({integer(0), integer(1)})});
  const std::string m1_len = arr({arr({integer(4), integer(7)}), arr({integer(5), integer(8)}), integer(4)});
  const std::string m2_len = arr({arr({integer(2), integer(3)}), arr({integer(0), integer(1)}), integer(2)});
  auto reply = [](std::string matches) { return arr({bulk("matches"), matches, bulk("len"), integer(6)}); };
  EXPECT_EQ(run({"LCS", "k1", "k2", "IDX"}), reply(arr({m1, m2})));
  EXPECT_EQ(run({"LCS", "k1", "k2", "idx", "MINMATCHLEN", "4"}), reply(arr({m1})));
  EXPECT_EQ(run({"LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}), reply(arr({m1_len})));
  EXPECT_EQ(run({"LCS", "k1", "k2", "IDX", "WITHMATCHLEN"}), reply(arr({m1_len, m2_len})));
  EXPECT_EQ(run({"LCS", "k1", "k2", "MINMATCHLEN", "-5", "IDX"}), reply(arr({m1, m2})));
  EXPECT_EQ(run({"LCS", "k1", "missing", "IDX"}), arr({bulk("matches"), "*0\r\n", bulk("len"), integer(0)}));
  EXPECT_EQ(run({"MSET", "n1", "12345", "n2", "2345"}), kOk);
  EXPECT_EQ(run({"LCS", "n1", "n2", "IDX", "WITHMATCHLEN"}),
            arr({bulk("matches"), arr({arr({arr({integer(1), integer(4)}), arr({integer(0), integer(3)}), integer(4)})}),
                 bulk("len"), integer(4)}));
  client_.writer.set_resp(3);
  EXPECT_EQ(run({"LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4"}),
            "%2\r\n" + bulk("matches") + arr({m1}) + bulk("len") + integer(6));
}

TEST_F(StringCmdTest, LcsErrors) {
  EXPECT_EQ(run({"MSET", "k1", "ohmytext", "k2", "mynewtext"}), kOk);
  const std::string both = error("ERR If you want both the length and indexes, please just use IDX.");
  EXPECT_EQ(run({"LCS", "k1", "k2", "LEN", "IDX"}), both);
  EXPECT_EQ(run({"LCS", "k1", "k2", "IDX", "LEN"}), both);
  EXPECT_EQ(run({"LCS", "k1", "k2", "MINMATCHLEN"}), kSyntax);
  EXPECT_EQ(run({"LCS", "k1", "k2", "MINMATCHLEN", "abc"}), kNotInt);
  EXPECT_EQ(run({"LCS", "k1", "k2", "foo"}), kSyntax);
  EXPECT_EQ(run({"LCS", "k1"}), error("ERR wrong number of arguments for 'lcs' command"));
  make_non_string("h");
  const std::string not_strings = error("ERR The specified keys must contain string values");
  EXPECT_EQ(run({"LCS", "k1", "h"}), not_strings);
  EXPECT_EQ(run({"LCS", "h", "k1", "foo"}), not_strings);  // the type is checked before options
}

TEST_F(StringCmdTest, LcsTableLimit) {
  std::string a(600, 'a');
  EXPECT_EQ(run({"MSET", "a", a, "b", a}), kOk);
  EXPECT_EQ(run({"LCS", "a", "b", "LEN"}), integer(600));
  state_.config.proto_max_bulk_len = 1024 * 1024;
  EXPECT_EQ(run({"LCS", "a", "b", "LEN"}),
            error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
  EXPECT_EQ(run({"LCS", "a", "missing", "LEN"}), integer(0));
}

// LCS agrees with a straightforward reference on random inputs (length, and the string is a common
// subsequence of that length).
TEST_F(StringCmdTest, LcsRandomised) {
  uint64_t seed = 12345;
  auto rnd = [&seed] { return (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  auto is_subseq = [](const std::string& s, const std::string& of) {
    std::size_t j = 0;
    for (char ch : of)
      if (j < s.size() && s[j] == ch) ++j;
    return j == s.size();
  };
  for (int round = 0; round < 50; ++round) {
    std::string a, b;
    for (uint64_t n = rnd() % 30; n > 0; --n) a.push_back(static_cast<char>('a' + rnd() % 3));
    for (uint64_t n = rnd() % 30; n > 0; --n) b.push_back(static_cast<char>('a' + rnd() % 3));
    std::vector<std::vector<int>> t(a.size() + 1, std::vector<int>(b.size() + 1, 0));
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j)
        t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
    ASSERT_EQ(run({"MSET", "a", a, "b", b}), kOk);
    ASSERT_EQ(run({"LCS", "a", "b", "LEN"}), integer(t[a.size()][b.size()])) << a << " " << b;
    std::string reply = run({"LCS", "a", "b"});
    std::string lcs = reply.substr(reply.find("\r\n") + 2);
    lcs.resize(lcs.size() - 2);
    EXPECT_EQ(static_cast<int>(lcs.size()), t[a.size()][b.size()]);
    EXPECT_TRUE(is_subseq(lcs, a) && is_subseq(lcs, b)) << a << " " << b << " " << lcs;
  }
}

// ---- The table ----

TEST_F(StringCmdTest, TableRows) {
  const Command* get = state_.commands.find("GET");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->spec->arity, 2);
  EXPECT_EQ(get->spec->flags, kCmdReadOnly | kCmdFast);
  const Command* mset = state_.commands.find("mset");
  ASSERT_NE(mset, nullptr);
  EXPECT_EQ(mset->spec->key_step, 2);
  EXPECT_EQ(mset->spec->last_key, -1);
  for (const char* name : {"set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "msetnx", "incr",
                           "decr", "incrby", "decrby", "incrbyfloat", "append", "strlen", "getrange", "substr",
                           "setrange", "lcs"}) {
    const Command* c = state_.commands.find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->spec->group, "string");
    EXPECT_NE(c->spec->handler, nullptr);
  }
}

}  // namespace
}  // namespace tally
