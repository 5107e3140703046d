// Connection commands end to end: PING, ECHO, QUIT, SELECT, HELLO (RESP2 and RESP3 bytes), AUTH, RESET, CLIENT *.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

class ConnTest : public SharedServerTest {};

// The map HELLO returns, in RESP3 (%7) or RESP2 (*14) framing.
std::string HelloBytes(int proto, long long id, const std::string& version) {
  std::string s = proto == 3 ? "%7\r\n" : "*14\r\n";
  s += "$6\r\nserver\r\n$5\r\nredis\r\n";
  s += "$7\r\nversion\r\n$" + std::to_string(version.size()) + "\r\n" + version + "\r\n";
  s += "$5\r\nproto\r\n:" + std::to_string(proto) + "\r\n";
  s += "$2\r\nid\r\n:" + std::to_string(id) + "\r\n";
  s += "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";
  return s;
}

// Reads the ":<id>\r\n" reply of CLIENT ID on a raw connection.
long long RawClientId(RawConn& conn) {
  if (!conn.Send("CLIENT ID\r\n")) return -1;
  std::string line = conn.ReadUntil("\r\n");
  if (line.size() < 4 || line[0] != ':') {
    ADD_FAILURE() << "CLIENT ID gave \"" << Escape(line) << "\"";
    return -1;
  }
  return std::stoll(line.substr(1));
}

std::string ServerVersion(redisContext* c) {
  Reply r = Cmd(c, {"INFO", "server"});
  if (!r || r->type != REDIS_REPLY_STRING) return "";
  return InfoField(std::string(r->str, r->len), "redis_version");
}

TEST_F(ConnTest, Ping) {
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
  ExpectStatus(Cmd(c(), {"ping"}), "PONG");
  ExpectStatus(Cmd(c(), {"PiNg"}), "PONG");
  ExpectBulk(Cmd(c(), {"PING", "hello world"}), "hello world");
  ExpectBulk(Cmd(c(), {"PING", std::string("a\0b\r\n", 5)}), std::string("a\0b\r\n", 5));
  ExpectBulk(Cmd(c(), {"PING", ""}), "");
  ExpectError(Cmd(c(), {"PING", "a", "b"}), "ERR wrong number of arguments for 'ping' command");
}

TEST_F(ConnTest, Echo) {
  ExpectBulk(Cmd(c(), {"ECHO", "hi"}), "hi");
  ExpectBulk(Cmd(c(), {"ECHO", ""}), "");
  std::string big(100000, 'x');
  big[5000] = '\0';
  ExpectBulk(Cmd(c(), {"ECHO", big}), big);
  ExpectError(Cmd(c(), {"ECHO"}), "ERR wrong number of arguments for 'echo' command");
  ExpectError(Cmd(c(), {"ECHO", "a", "b"}), "ERR wrong number of arguments for 'echo' command");
}

TEST_F(ConnTest, QuitRepliesOkThenCloses) {
  RawConn conn(port());
  ExpectRawThenClose(conn, Resp({"QUIT"}), "+OK\r\n");

  // Commands pipelined behind QUIT are not executed.
  RawConn conn2(port());
  ExpectRawThenClose(conn2, "QUIT\r\nSET afterquit 1\r\n", "+OK\r\n");
  SleepMs(50);
  ExpectInt(Cmd(c(), {"EXISTS", "afterquit"}), 0);
}

TEST_F(ConnTest, Select) {
  ExpectOk(Cmd(c(), {"SET", "k", "db0"}));
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  ExpectNil(Cmd(c(), {"GET", "k"}));
  ExpectOk(Cmd(c(), {"SET", "k", "db1"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "db1");
  ExpectOk(Cmd(c(), {"SELECT", "15"}));
  ExpectNil(Cmd(c(), {"GET", "k"}));
  ExpectOk(Cmd(c(), {"SELECT", "0"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "db0");

  // The selected db belongs to the connection.
  ExpectOk(Cmd(c(), {"SELECT", "1"}));
  Client other = NewClient();
  ExpectBulk(Cmd(other, {"GET", "k"}), "db0");
  ExpectBulk(Cmd(c(), {"GET", "k"}), "db1");

  ExpectError(Cmd(c(), {"SELECT", "16"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"SELECT", "-1"}), "ERR DB index is out of range");
  ExpectError(Cmd(c(), {"SELECT", "abc"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SELECT", "1.5"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SELECT", "99999999999999999999"}), "ERR value is not an integer or out of range");
  ExpectError(Cmd(c(), {"SELECT"}), "ERR wrong number of arguments for 'select' command");
  // A failed SELECT leaves the db unchanged.
  ExpectBulk(Cmd(c(), {"GET", "k"}), "db1");
}

TEST_F(ConnTest, HelloResp2) {
  Reply id = Cmd(c(), {"CLIENT", "ID"});
  ASSERT_TRUE(id && id->type == REDIS_REPLY_INTEGER) << Describe(id.get());
  std::string version = ServerVersion(c());
  ASSERT_FALSE(version.empty());

  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"HELLO"}, {"HELLO", "2"}, {"hello", "2"}}) {
    Reply r = Cmd(c(), cmd);
    ASSERT_TRUE(ExpectArrayLen(r, 14));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 0), "server"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 1), "redis"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 2), "version"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 3), version));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 4), "proto"));
    EXPECT_TRUE(IsInt(Elem(r.get(), 5), 2));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 6), "id"));
    EXPECT_TRUE(IsInt(Elem(r.get(), 7), id->integer));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 8), "mode"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 9), "standalone"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 10), "role"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 11), "master"));
    EXPECT_TRUE(IsBulk(Elem(r.get(), 12), "modules"));
    EXPECT_TRUE(IsArrayLen(Elem(r.get(), 13), 0));
  }
  // Still RESP2 afterwards (hiredis 0.14 would fail on RESP3).
  ExpectNil(Cmd(c(), {"GET", "nokey"}));
}

TEST_F(ConnTest, HelloErrors) {
  ExpectError(Cmd(c(), {"HELLO", "4"}), "NOPROTO unsupported protocol version");
  ExpectError(Cmd(c(), {"HELLO", "1"}), "NOPROTO unsupported protocol version");
  ExpectError(Cmd(c(), {"HELLO", "0"}), "NOPROTO unsupported protocol version");
  ExpectError(Cmd(c(), {"HELLO", "-1"}), "NOPROTO unsupported protocol version");
  ExpectError(Cmd(c(), {"HELLO", "abc"}), "ERR Protocol version is not an integer or out of range");
  ExpectError(Cmd(c(), {"HELLO", "2.5"}), "ERR Protocol version is not an integer or out of range");
  ExpectError(Cmd(c(), {"HELLO", "3", "FOO"}), "ERR Syntax error in HELLO option 'FOO'");
  ExpectError(Cmd(c(), {"HELLO", "2", "SETNAME"}), "ERR Syntax error in HELLO option 'SETNAME'");
  ExpectError(Cmd(c(), {"HELLO", "3", "AUTH", "default"}), "ERR Syntax error in HELLO option 'AUTH'");
  ExpectError(Cmd(c(), {"HELLO", "2", "SETNAME", "a b"}), "ERR Client names cannot contain spaces, newlines or special characters.");
  // None of the failures switched the protocol.
  ExpectNil(Cmd(c(), {"GET", "nokey"}));
}

TEST_F(ConnTest, HelloSetname) {
  ExpectArrayLen(Cmd(c(), {"HELLO", "2", "SETNAME", "myname"}), 14);
  ExpectBulk(Cmd(c(), {"CLIENT", "GETNAME"}), "myname");
  // The last SETNAME wins.
  ExpectArrayLen(Cmd(c(), {"HELLO", "2", "setname", "x", "setname", "y"}), 14);
  ExpectBulk(Cmd(c(), {"CLIENT", "GETNAME"}), "y");
  // Without a configured password, the default user accepts any password.
  ExpectArrayLen(Cmd(c(), {"HELLO", "2", "AUTH", "default", "whatever"}), 14);
  ExpectError(Cmd(c(), {"HELLO", "2", "AUTH", "nosuchuser", "pw"}), "WRONGPASS invalid username-password pair or user is disabled.");
}

TEST_F(ConnTest, Hello3RawBytes) {
  RawConn conn(port());
  long long id = RawClientId(conn);
  ASSERT_GT(id, 0);
  std::string version = ServerVersion(c());
  ExpectRaw(conn, "HELLO 3\r\n", HelloBytes(3, id, version));
  // RESP3 replies: null, map, and the unchanged simple types.
  ExpectRaw(conn, "GET nokey\r\n", "_\r\n");
  ExpectRaw(conn, "SET k v\r\n", "+OK\r\n");
  ExpectRaw(conn, "GET k\r\n", "$1\r\nv\r\n");
  ExpectRaw(conn, "PING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "INCR n\r\n", ":1\r\n");
  ExpectRaw(conn, "CONFIG GET maxclients\r\n", "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  ExpectRaw(conn, "MGET k nokey\r\n", "*2\r\n$1\r\nv\r\n_\r\n");
  ExpectRaw(conn, "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n");
  // HELLO 3 again, then back to RESP2.
  ExpectRaw(conn, "HELLO 3 SETNAME raw3\r\n", HelloBytes(3, id, version));
  ExpectRaw(conn, "CLIENT GETNAME\r\n", "$4\r\nraw3\r\n");
  ExpectRaw(conn, "HELLO 2\r\n", HelloBytes(2, id, version));
  ExpectRaw(conn, "GET nokey\r\n", "$-1\r\n");
  ExpectRaw(conn, "CONFIG GET maxclients\r\n", "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  // A rejected HELLO keeps RESP2.
  ExpectRaw(conn, "HELLO 4\r\n", "-NOPROTO unsupported protocol version\r\n");
  ExpectRaw(conn, "GET nokey\r\n", "$-1\r\n");
}

TEST_F(ConnTest, Resp3ReplyTypes) {
  RawConn conn(port());
  long long id = RawClientId(conn);
  ASSERT_GT(id, 0);
  ExpectRaw(conn, "HELLO 3\r\n", HelloBytes(3, id, ServerVersion(c())));
  ExpectRaw(conn, "SET k v\r\n", "+OK\r\n");
  ExpectRaw(conn, "SET k v NX\r\n", "_\r\n");
  ExpectRaw(conn, "OBJECT ENCODING nokey\r\n", "_\r\n");
  ExpectRaw(conn, "CONFIG GET nosuch\r\n", "%0\r\n");
  ExpectRaw(conn, "SCAN 0 MATCH k\r\n", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");  // SCAN stays an array
  ExpectRaw(conn, "INCRBYFLOAT f 1.5\r\n", "$3\r\n1.5\r\n");             // a bulk, not a RESP3 double
  // INFO and CLIENT INFO/LIST are verbatim strings ("txt:" prefix) in RESP3.
  ExpectRaw(conn, "INFO nosuch\r\n", "=4\r\ntxt:\r\n");
  ExpectRaw(conn, "INFO keyspace\r\n", "=48\r\ntxt:# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n\r\n");
  ASSERT_TRUE(conn.Send("CLIENT INFO\r\n"));
  std::string head = conn.ReadUntil("\r\n");
  EXPECT_EQ(head.substr(0, 1), "=") << Escape(head);
  std::string body = conn.ReadUntil("\n\r\n");
  EXPECT_EQ(body.rfind("txt:id=" + std::to_string(id) + " ", 0), 0u) << Escape(body);
  // LCS IDX is a map.
  ExpectRaw(conn, "MSET key1 ohmytext key2 mynewtext\r\n", "+OK\r\n");
  ExpectRaw(conn, "LCS key1 key2 IDX MINMATCHLEN 4\r\n",
            "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n");
  // COMMAND INFO flags and categories are sets; COMMAND DOCS is a map of maps.
  ExpectRaw(conn, "COMMAND INFO get\r\n",
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n");
  conn.ReadAvailable(100);  // the rest of the entry
  ExpectRaw(conn, "COMMAND DOCS nosuch\r\n", "%0\r\n");
  ASSERT_TRUE(conn.Send("COMMAND DOCS get\r\n"));
  EXPECT_EQ(conn.Read(14), "%1\r\n$3\r\nget\r\n%");
}

TEST_F(ConnTest, Hello3AuthWithoutPasswordConfigured) {
  RawConn conn(port());
  long long id = RawClientId(conn);
  ASSERT_GT(id, 0);
  ExpectRaw(conn, "HELLO 3 AUTH default anything\r\n", HelloBytes(3, id, ServerVersion(c())));
}

TEST_F(ConnTest, AuthWithoutPasswordConfigured) {
  ExpectError(Cmd(c(), {"AUTH", "foo"}),
              "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
  // Two-argument form goes through the user check: default (nopass) accepts anything, unknown users do not.
  ExpectOk(Cmd(c(), {"AUTH", "default", "anything"}));
  ExpectError(Cmd(c(), {"AUTH", "nosuchuser", "pw"}), "WRONGPASS invalid username-password pair or user is disabled.");
  ExpectError(Cmd(c(), {"AUTH"}), "ERR wrong number of arguments for 'auth' command");
  ExpectError(Cmd(c(), {"AUTH", "a", "b", "c"}), "ERR syntax error");
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
}

TEST_F(ConnTest, Reset) {
  ExpectOk(Cmd(c(), {"SELECT", "2"}));
  ExpectOk(Cmd(c(), {"CLIENT", "SETNAME", "before"}));
  ExpectOk(Cmd(c(), {"SET", "k", "in-db2"}));
  ExpectStatus(Cmd(c(), {"RESET"}), "RESET");
  ExpectNil(Cmd(c(), {"CLIENT", "GETNAME"}));
  ExpectNil(Cmd(c(), {"GET", "k"}));  // back in db 0
  ExpectOk(Cmd(c(), {"SELECT", "2"}));
  ExpectBulk(Cmd(c(), {"GET", "k"}), "in-db2");  // data is untouched
  ExpectError(Cmd(c(), {"RESET", "x"}), "ERR wrong number of arguments for 'reset' command");

  // RESET also goes back to RESP2.
  RawConn conn(port());
  long long id = RawClientId(conn);
  ExpectRaw(conn, "HELLO 3\r\n", HelloBytes(3, id, ServerVersion(c())));
  ExpectRaw(conn, "GET nokey\r\n", "_\r\n");
  ExpectRaw(conn, "RESET\r\n", "+RESET\r\n");
  ExpectRaw(conn, "GET nokey\r\n", "$-1\r\n");
}

TEST_F(ConnTest, ClientIdAndNames) {
  Reply id1 = Cmd(c(), {"CLIENT", "ID"});
  ASSERT_TRUE(id1 && id1->type == REDIS_REPLY_INTEGER) << Describe(id1.get());
  EXPECT_GT(id1->integer, 0);
  ExpectInt(Cmd(c(), {"CLIENT", "ID"}), id1->integer);  // stable
  Client other = NewClient();
  Reply id2 = Cmd(other, {"CLIENT", "ID"});
  ASSERT_TRUE(id2 && id2->type == REDIS_REPLY_INTEGER) << Describe(id2.get());
  EXPECT_GT(id2->integer, id1->integer);  // ids only grow

  ExpectNil(Cmd(c(), {"CLIENT", "GETNAME"}));
  ExpectOk(Cmd(c(), {"CLIENT", "SETNAME", "conn-1"}));
  ExpectBulk(Cmd(c(), {"CLIENT", "GETNAME"}), "conn-1");
  ExpectNil(Cmd(other, {"CLIENT", "GETNAME"}));
  ExpectOk(Cmd(c(), {"client", "setname", ""}));  // an empty name clears it
  ExpectNil(Cmd(c(), {"CLIENT", "GETNAME"}));
  ExpectError(Cmd(c(), {"CLIENT", "SETNAME", "a b"}), "ERR Client names cannot contain spaces, newlines or special characters.");
  ExpectError(Cmd(c(), {"CLIENT", "SETNAME", "a\nb"}), "ERR Client names cannot contain spaces, newlines or special characters.");
  ExpectError(Cmd(c(), {"CLIENT", "SETNAME", std::string("a\x01" "b")}),
              "ERR Client names cannot contain spaces, newlines or special characters.");
  ExpectError(Cmd(c(), {"CLIENT", "SETNAME"}), "ERR wrong number of arguments for 'client|setname' command");
  ExpectError(Cmd(c(), {"CLIENT", "GETNAME", "x"}), "ERR wrong number of arguments for 'client|getname' command");
  ExpectError(Cmd(c(), {"CLIENT", "ID", "x"}), "ERR wrong number of arguments for 'client|id' command");
  ExpectError(Cmd(c(), {"CLIENT", "FOO"}), "ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
  ExpectError(Cmd(c(), {"CLIENT", "foo"}), "ERR unknown subcommand 'foo'. Try CLIENT HELP.");
  ExpectError(Cmd(c(), {"CLIENT"}), "ERR wrong number of arguments for 'client' command");
  Reply help = Cmd(c(), {"CLIENT", "HELP"});
  ASSERT_TRUE(help && help->type == REDIS_REPLY_ARRAY) << Describe(help.get());
  EXPECT_GT(help->elements, 5u);
}

TEST_F(ConnTest, ClientListAndInfo) {
  Reply id = Cmd(c(), {"CLIENT", "ID"});
  ASSERT_TRUE(id && id->type == REDIS_REPLY_INTEGER);
  ExpectOk(Cmd(c(), {"CLIENT", "SETNAME", "lister"}));
  Client other = NewClient();
  ASSERT_TRUE(other.ok());
  ExpectStatus(Cmd(other, {"PING"}), "PONG");

  // Exactly our two connections (the fixture's earlier ones may take a moment to be reaped).
  std::string text;
  size_t lines = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    Reply list = Cmd(c(), {"CLIENT", "LIST"});
    ASSERT_TRUE(list && list->type == REDIS_REPLY_STRING) << Describe(list.get());
    text.assign(list->str, list->len);
    lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (lines == 2) break;
    SleepMs(10);
  }
  EXPECT_EQ(lines, 2u) << text;
  std::string mine = "id=" + std::to_string(id->integer) + " ";
  EXPECT_EQ(text.rfind("id=", 0), 0u) << text;
  EXPECT_NE(text.find(mine), std::string::npos) << text;
  EXPECT_NE(text.find(" name=lister "), std::string::npos) << text;
  EXPECT_NE(text.find(" name= "), std::string::npos) << text;  // the unnamed one
  EXPECT_NE(text.find(" addr=127.0.0.1:"), std::string::npos) << text;
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');

  Reply info = Cmd(c(), {"CLIENT", "INFO"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING) << Describe(info.get());
  std::string line(info->str, info->len);
  EXPECT_EQ(line.rfind(mine, 0), 0u) << line;
  EXPECT_NE(line.find(" name=lister "), std::string::npos) << line;
  EXPECT_NE(line.find(" db=0 "), std::string::npos) << line;
  EXPECT_NE(line.find(" cmd=client|info "), std::string::npos) << line;
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);

  Reply byid = Cmd(c(), {"CLIENT", "LIST", "ID", std::to_string(id->integer)});
  ASSERT_TRUE(byid && byid->type == REDIS_REPLY_STRING) << Describe(byid.get());
  EXPECT_EQ(std::string(byid->str, byid->len).rfind(mine, 0), 0u);
}

// "addr=" value of the connection's CLIENT INFO.
std::string AddrOf(redisContext* ctx) {
  Reply info = Cmd(ctx, {"CLIENT", "INFO"});
  if (!info || info->type != REDIS_REPLY_STRING) return "";
  std::string line(info->str, info->len);
  size_t p = line.find(" addr=");
  if (p == std::string::npos) return "";
  p += 6;
  return line.substr(p, line.find(' ', p) - p);
}

TEST_F(ConnTest, ClientKill) {
  Client victim = NewClient();
  Reply vid = Cmd(victim, {"CLIENT", "ID"});
  ASSERT_TRUE(vid && vid->type == REDIS_REPLY_INTEGER);
  std::string id = std::to_string(vid->integer);
  ExpectInt(Cmd(c(), {"CLIENT", "KILL", "ID", id}), 1);
  EXPECT_EQ(Cmd(victim, {"PING"}), nullptr) << "the killed connection still answers";
  ExpectInt(Cmd(c(), {"CLIENT", "KILL", "ID", id}), 0);
  ExpectError(Cmd(c(), {"CLIENT", "KILL", "ID", "abc"}), "ERR client-id should be greater than 0");
  ExpectError(Cmd(c(), {"CLIENT", "KILL", "ID", "0"}), "ERR client-id should be greater than 0");

  // By address, new style (count) and old style (OK / error).
  Client v2 = NewClient();
  std::string addr2 = AddrOf(v2);
  ASSERT_FALSE(addr2.empty());
  ExpectInt(Cmd(c(), {"CLIENT", "KILL", "ADDR", addr2}), 1);
  EXPECT_EQ(Cmd(v2, {"PING"}), nullptr);
  ExpectInt(Cmd(c(), {"CLIENT", "KILL", "ADDR", "1.2.3.4:5"}), 0);

  Client v3 = NewClient();
  std::string addr3 = AddrOf(v3);
  ASSERT_FALSE(addr3.empty());
  ExpectOk(Cmd(c(), {"CLIENT", "KILL", addr3}));
  EXPECT_EQ(Cmd(v3, {"PING"}), nullptr);
  ExpectError(Cmd(c(), {"CLIENT", "KILL", addr3}), "ERR No such client");

  ExpectError(Cmd(c(), {"CLIENT", "KILL", "FOO", "bar"}), "ERR syntax error");
  ExpectError(Cmd(c(), {"CLIENT", "KILL"}), "ERR wrong number of arguments for 'client|kill' command");
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");  // the killer is fine
}

TEST_F(ConnTest, ClientKillSkipsSelfByDefault) {
  // New-style CLIENT KILL has SKIPME yes by default: killing your own id counts 0 and keeps the connection.
  Reply id = Cmd(c(), {"CLIENT", "ID"});
  ASSERT_TRUE(id && id->type == REDIS_REPLY_INTEGER);
  ExpectInt(Cmd(c(), {"CLIENT", "KILL", "ID", std::to_string(id->integer)}), 0);
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
  // SKIPME no kills yourself: the reply still arrives, then the connection closes.
  RawConn conn(port());
  long long rid = RawClientId(conn);
  ASSERT_GT(rid, 0);
  ExpectRawThenClose(conn, "CLIENT KILL ID " + std::to_string(rid) + " SKIPME no\r\n", ":1\r\n");
}

TEST_F(ConnTest, ClientSetinfo) {
  // CLIENT SETINFO arrived in Redis 7.2 (redis-py 5 / go-redis send it at connect). Tally must answer +OK.
  // The reference redis-server 7.0.15 lacks it, so only there the unknown-subcommand error is tolerated.
  Reply r = Cmd(c(), {"CLIENT", "SETINFO", "lib-name", "redis-py"});
  if (ServerIsRealRedis() && IsError(r.get(), "ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.")) {
    GTEST_SKIP() << "redis-server 7.0 has no CLIENT SETINFO";
  }
  ExpectOk(r);
  ExpectOk(Cmd(c(), {"CLIENT", "SETINFO", "lib-ver", "5.0.1"}));
}

class AuthTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() { server_ = StartServer({"--requirepass", "secret"}); }
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  void SetUp() override { ASSERT_TRUE(server_ && server_->Alive()) << "no server"; }
  static int port() { return server_->port(); }
  static std::unique_ptr<Server> server_;
};
std::unique_ptr<Server> AuthTest::server_;

TEST_F(AuthTest, NoauthBeforeAuth) {
  Client c(port());
  ASSERT_TRUE(c.ok());
  const std::string noauth = "NOAUTH Authentication required.";
  ExpectError(Cmd(c, {"PING"}), noauth);
  ExpectError(Cmd(c, {"GET", "k"}), noauth);
  ExpectError(Cmd(c, {"SET", "k", "v"}), noauth);
  ExpectError(Cmd(c, {"SELECT", "1"}), noauth);
  ExpectError(Cmd(c, {"INFO"}), noauth);
  ExpectError(Cmd(c, {"CLIENT", "ID"}), noauth);
  ExpectError(Cmd(c, {"CLIENT", "SETNAME", "x"}), noauth);
  ExpectError(Cmd(c, {"ECHO", "x"}), noauth);
  ExpectError(Cmd(c, {"HELLO", "2"}), "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
  // Command lookup and arity are checked before authentication.
  ExpectError(Cmd(c, {"NOSUCHCMD", "a"}), "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ");
  ExpectError(Cmd(c, {"GET"}), "ERR wrong number of arguments for 'get' command");

  ExpectError(Cmd(c, {"AUTH", "wrong"}), "WRONGPASS invalid username-password pair or user is disabled.");
  ExpectError(Cmd(c, {"AUTH", "default", "wrong"}), "WRONGPASS invalid username-password pair or user is disabled.");
  ExpectError(Cmd(c, {"AUTH", "other", "secret"}), "WRONGPASS invalid username-password pair or user is disabled.");
  ExpectError(Cmd(c, {"PING"}), noauth);
  ExpectOk(Cmd(c, {"AUTH", "secret"}));
  ExpectStatus(Cmd(c, {"PING"}), "PONG");
  ExpectOk(Cmd(c, {"SET", "k", "v"}));
  ExpectBulk(Cmd(c, {"GET", "k"}), "v");
  // A later wrong AUTH fails but keeps the connection authenticated.
  ExpectError(Cmd(c, {"AUTH", "wrong"}), "WRONGPASS invalid username-password pair or user is disabled.");
  ExpectStatus(Cmd(c, {"PING"}), "PONG");

  Client c2(port());
  ExpectOk(Cmd(c2, {"AUTH", "default", "secret"}));
  ExpectBulk(Cmd(c2, {"GET", "k"}), "v");
  ExpectInt(Cmd(c2, {"DEL", "k"}), 1);
}

TEST_F(AuthTest, QuitAndResetWithoutAuth) {
  RawConn conn(port());
  ExpectRaw(conn, "PING\r\n", "-NOAUTH Authentication required.\r\n");
  ExpectRaw(conn, "AUTH secret\r\n", "+OK\r\n");
  ExpectRaw(conn, "PING\r\n", "+PONG\r\n");
  // RESET drops the authentication again.
  ExpectRaw(conn, "RESET\r\n", "+RESET\r\n");
  ExpectRaw(conn, "PING\r\n", "-NOAUTH Authentication required.\r\n");
  ExpectRawThenClose(conn, "QUIT\r\n", "+OK\r\n");
}

TEST_F(AuthTest, HelloAuth) {
  RawConn conn(port());
  ExpectRaw(conn, "HELLO 3 AUTH default wrong\r\n", "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  ExpectRaw(conn, "PING\r\n", "-NOAUTH Authentication required.\r\n");
  ASSERT_TRUE(conn.Send("HELLO 3 AUTH default secret SETNAME h3\r\n"));
  std::string head = conn.Read(4);
  EXPECT_EQ(head, "%7\r\n");
  std::string rest = conn.ReadUntil("$7\r\nmodules\r\n*0\r\n");
  EXPECT_NE(rest.find("$5\r\nproto\r\n:3\r\n"), std::string::npos) << Escape(rest);
  ExpectRaw(conn, "CLIENT GETNAME\r\n", "$2\r\nh3\r\n");
  ExpectRaw(conn, "GET nokey\r\n", "_\r\n");
  ExpectRaw(conn, "HELLO 2\r\n", "*14\r\n");  // now allowed without AUTH option
  conn.ReadUntil("$7\r\nmodules\r\n*0\r\n");
  ExpectRaw(conn, "GET nokey\r\n", "$-1\r\n");
}

TEST_F(AuthTest, UnauthenticatedProtocolLimits) {
  RawConn a(port());
  ExpectRawThenClose(a, "*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n");
  RawConn b(port());
  ExpectRawThenClose(b, "*1\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n");
  // At the limits it is fine (10 args, 16384-byte bulk) and gets the ordinary NOAUTH.
  RawConn d(port());
  ExpectRaw(d, Resp({"MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e"}), "-NOAUTH Authentication required.\r\n");
  ExpectRaw(d, Resp({"ECHO", std::string(16384, 'x')}), "-NOAUTH Authentication required.\r\n");
  // After AUTH the limits are gone.
  ExpectRaw(d, "AUTH secret\r\n", "+OK\r\n");
  ExpectRaw(d, Resp({"ECHO", std::string(20000, 'y')}), "$20000\r\n" + std::string(20000, 'y') + "\r\n");
  ExpectRaw(d, Resp({"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}), ":0\r\n");
}

// The same limits when AUTH and RESET come in one write with the commands after them: the worker
// parses a pipelined batch ahead, so a command that changes the client's authentication must change
// the limits the rest of the batch is parsed under.
TEST_F(AuthTest, UnauthenticatedLimitsFollowAuthWithinAPipeline) {
  RawConn conn(port());
  const std::string del12 = Resp({"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"});
  ExpectRaw(conn, Resp({"AUTH", "secret"}) + del12 + Resp({"PING"}), "+OK\r\n:0\r\n+PONG\r\n");
  ExpectRawThenClose(conn, Resp({"PING"}) + Resp({"RESET"}) + del12,
                     "+PONG\r\n+RESET\r\n-ERR Protocol error: unauthenticated multibulk length\r\n");
}

TEST(MaxClientsTest, ExtraConnectionGetsErrorAndClose) {
  auto server = StartServer({"--maxclients", "5"});
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawConn>> conns;
  for (int i = 0; i < 5; ++i) {
    conns.push_back(std::make_unique<RawConn>(server->port()));
    ASSERT_TRUE(ExpectRaw(*conns.back(), "PING\r\n", "+PONG\r\n")) << "connection " << i + 1 << " of 5 was refused";
  }
  RawConn extra(server->port());
  ASSERT_TRUE(extra.connected());
  // Sent right after accept, before any command.
  std::string got = extra.ReadUntilClosed(3000);
  EXPECT_EQ(Escape(got), Escape("-ERR max number of clients reached\r\n"));
  EXPECT_TRUE(extra.peer_closed());
  // The others are unaffected, and once one leaves a new connection gets in.
  ExpectRaw(*conns[0], "CONFIG GET maxclients\r\n", "*2\r\n$10\r\nmaxclients\r\n$1\r\n5\r\n");
  conns[4]->Close();
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    SleepMs(20);
    RawConn again(server->port());
    again.Send("PING\r\n");
    admitted = again.Read(7, 1000) == "+PONG\r\n";
  }
  EXPECT_TRUE(admitted) << "a slot freed by a closed connection was not reused";
}

TEST(DatabasesTest, DatabasesFlagLimitsSelect) {
  auto server = StartServer({"--databases", "4"});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "databases"}), {"databases", "4"});
  ExpectOk(Cmd(c, {"SELECT", "3"}));
  ExpectError(Cmd(c, {"SELECT", "4"}), "ERR DB index is out of range");
  ExpectOk(Cmd(c, {"SET", "k", "v"}));
  ExpectError(Cmd(c, {"MOVE", "k", "4"}), "ERR DB index is out of range");
  ExpectError(Cmd(c, {"COPY", "k", "k2", "DB", "4"}), "ERR DB index is out of range");
  ExpectError(Cmd(c, {"SWAPDB", "0", "4"}), "ERR DB index is out of range");
  ExpectOk(Cmd(c, {"SWAPDB", "0", "3"}));
  ExpectNil(Cmd(c, {"GET", "k"}));  // db 3 now holds db 0's (empty) data
  ExpectOk(Cmd(c, {"SELECT", "0"}));
  ExpectBulk(Cmd(c, {"GET", "k"}), "v");
  Reply info = Cmd(c, {"INFO", "keyspace"});
  ExpectBulk(info, "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
}

}  // namespace
}  // namespace tally_test
