// Access control end to end: ACL users and every ACL subcommand, AUTH / HELLO AUTH with users, NOPERM
// for commands, subcommands and keys (also inside MULTI), deleting a user disconnects its clients,
// requirepass as the default user's password, the ACL file, protected mode and rename-command.
// Every text was checked against redis-server 7.0.15 (TALLY_SERVER=/usr/bin/redis-server).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "harness.h"

namespace tally_test {
namespace {

const std::string kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
const std::string kNoAuth = "NOAUTH Authentication required.";
const std::string kNoPermKey = "NOPERM this user has no permissions to access one of the keys used as arguments";

std::string NoPermCmd(const std::string& name) {
  return "NOPERM this user has no permissions to run the '" + name + "' command";
}

// Connects and authenticates as user/pass.
Client Login(int port, const std::string& user, const std::string& pass) {
  Client c(port);
  EXPECT_TRUE(c.ok());
  ExpectOk(Cmd(c, {"AUTH", user, pass}));
  return c;
}

bool Disconnected(Client& c) {
  Reply r = Cmd(c, {"PING"});
  return !r;
}

class AclTest : public SharedServerTest {};

TEST_F(AclTest, SetuserListGetuser) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "alice"}));
  ExpectBulks(Cmd(c(), {"ACL", "LIST"}), {"user alice off resetchannels -@all", "user default on nopass ~* &* +@all"});
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "alice", "on", ">p1", "~k*", "+get", "-@dangerous"}));
  // >p1 is stored as its SHA-256.
  ExpectBulks(Cmd(c(), {"ACL", "LIST"}),
              {"user alice on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~k* resetchannels -@all +get",
               "user default on nopass ~* &* +@all"});
  Reply r = Cmd(c(), {"ACL", "GETUSER", "alice"});
  ASSERT_TRUE(IsArrayLen(r.get(), 12));
  EXPECT_EQ(Strings(r.get())[0], "flags");
  EXPECT_TRUE(IsBulks(Elem(r.get(), 1), {"on"}));
  EXPECT_TRUE(IsBulks(Elem(r.get(), 3), {"f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"}));
  EXPECT_EQ(Strings(r.get())[4], "commands");
  EXPECT_TRUE(IsBulk(Elem(r.get(), 5), "-@all +get"));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 7), "~k*"));
  EXPECT_TRUE(IsBulk(Elem(r.get(), 9), ""));
  EXPECT_EQ(Strings(r.get())[10], "selectors");
  EXPECT_TRUE(IsArrayLen(Elem(r.get(), 11), 0));
  ExpectNil(Cmd(c(), {"ACL", "GETUSER", "nobody"}));
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "carl", "allcommands", "-@admin"}));
  Reply carl = Cmd(c(), {"ACL", "GETUSER", "carl"});
  EXPECT_TRUE(IsBulk(Elem(carl.get(), 5), "+@all -@admin"));
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "x1", "reset"}));
  Reply x1 = Cmd(c(), {"ACL", "GETUSER", "x1"});
  EXPECT_TRUE(IsBulks(Elem(x1.get(), 1), {"off", "sanitize-payload"}));
  ExpectBulks(Cmd(c(), {"ACL", "USERS"}), {"alice", "carl", "default", "x1"});
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "alice", "carl", "x1", "nobody"}), 3);
}

TEST_F(AclTest, SetuserErrors) {
  auto err = [&](std::vector<std::string> args, const std::string& text) {
    args.insert(args.begin(), {"ACL", "SETUSER", "z"});
    ExpectError(Cmd(c(), args), text);
  };
  err({"+nosuch"}, "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  err({"+config|get|x"},
      "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported");
  err({"+get|"}, "ERR Error in ACL SETUSER modifier '+get|': Syntax error");
  err({"foo"}, "ERR Error in ACL SETUSER modifier 'foo': Syntax error");
  err({"<nothere"},
      "ERR Error in ACL SETUSER modifier '<nothere': The password you are trying to remove from the user does not exist");
  err({"!abc"},
      "ERR Error in ACL SETUSER modifier '!abc': The password hash must be exactly 64 characters and contain only "
      "lowercase hexadecimal characters");
  err({"~a", "allkeys", "~b"},
      "ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the 'allkeys' flag) is not "
      "valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
  err({"(+get"}, "ERR Unmatched parenthesis in acl selector starting at '(+get'.");
  ExpectError(Cmd(c(), {"ACL", "SETUSER", "a b"}), "ERR Usernames can't contain spaces or null characters");
  // A failed SETUSER changes nothing, not even the rules before the bad one.
  ExpectNil(Cmd(c(), {"ACL", "GETUSER", "z"}));
  ExpectError(Cmd(c(), {"ACL", "SETUSER"}), "ERR wrong number of arguments for 'acl|setuser' command");
  ExpectError(Cmd(c(), {"ACL", "NOSUCH"}), "ERR unknown subcommand 'NOSUCH'. Try ACL HELP.");
}

TEST_F(AclTest, OtherSubcommands) {
  ExpectError(Cmd(c(), {"ACL", "DELUSER", "default"}), "ERR The 'default' user cannot be removed");
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "nobody"}), 0);
  ExpectBulk(Cmd(c(), {"ACL", "WHOAMI"}), "default");
  Reply cats = Cmd(c(), {"ACL", "CAT"});
  ASSERT_TRUE(IsArrayLen(cats.get(), 21));
  EXPECT_EQ(Strings(cats.get())[0], "keyspace");
  EXPECT_EQ(Strings(cats.get())[20], "scripting");
  std::vector<std::string> dangerous = Strings(Cmd(c(), {"ACL", "CAT", "dangerous"}).get());
  for (const char* name : {"flushall", "keys", "config|set", "acl|setuser"})
    EXPECT_NE(std::find(dangerous.begin(), dangerous.end(), name), dangerous.end()) << name;
  EXPECT_EQ(std::find(dangerous.begin(), dangerous.end(), "get"), dangerous.end());
  ExpectError(Cmd(c(), {"ACL", "CAT", "foo"}), "ERR Unknown category 'foo'");
  ExpectError(Cmd(c(), {"ACL", "CAT", "a", "b"}),
              "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.");
  Reply pass = Cmd(c(), {"ACL", "GENPASS"});
  ASSERT_TRUE(pass && pass->type == REDIS_REPLY_STRING);
  EXPECT_EQ(pass->len, 64u);
  Reply p5 = Cmd(c(), {"ACL", "GENPASS", "5"});
  ASSERT_TRUE(p5 && p5->type == REDIS_REPLY_STRING);
  EXPECT_EQ(p5->len, 2u);
  const std::string bits_err =
      "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
  ExpectError(Cmd(c(), {"ACL", "GENPASS", "0"}), bits_err);
  ExpectError(Cmd(c(), {"ACL", "GENPASS", "4097"}), bits_err);
  ExpectError(Cmd(c(), {"ACL", "GENPASS", "x"}), "ERR value is not an integer or out of range");
  const std::string no_file =
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL "
      "SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to "
      "store users in the Redis configuration.";
  ExpectError(Cmd(c(), {"ACL", "LOAD"}), no_file);
  ExpectError(Cmd(c(), {"ACL", "SAVE"}), no_file);
  Reply help = Cmd(c(), {"ACL", "HELP"});
  ASSERT_TRUE(help && help->type == REDIS_REPLY_ARRAY && help->elements > 10);
  EXPECT_TRUE(IsStatus(help->element[0], "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
}

TEST_F(AclTest, Dryrun) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "dry", "on", "nopass", "+get", "~a"}));
  ExpectOk(Cmd(c(), {"ACL", "DRYRUN", "dry", "get", "a"}));
  ExpectBulk(Cmd(c(), {"ACL", "DRYRUN", "dry", "get", "b"}), "This user has no permissions to access the 'b' key");
  ExpectBulk(Cmd(c(), {"ACL", "DRYRUN", "dry", "set", "a", "1"}), "This user has no permissions to run the 'set' command");
  ExpectError(Cmd(c(), {"ACL", "DRYRUN", "dry", "set", "a"}), "ERR wrong number of arguments for 'set' command");
  ExpectError(Cmd(c(), {"ACL", "DRYRUN", "dry", "nosuch"}), "ERR Command 'nosuch' not found");
  ExpectError(Cmd(c(), {"ACL", "DRYRUN", "nobody", "get", "a"}), "ERR User 'nobody' not found");
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "dry"}), 1);
}

TEST_F(AclTest, AuthAndHelloWithUsers) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "ann", "on", ">pw", "allkeys", "+@all"}));
  Client a(port());
  ExpectOk(Cmd(a, {"AUTH", "ann", "pw"}));
  ExpectBulk(Cmd(a, {"ACL", "WHOAMI"}), "ann");
  Reply info = Cmd(a, {"CLIENT", "INFO"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING);
  EXPECT_NE(std::string(info->str).find(" user=ann "), std::string::npos) << info->str;
  ExpectError(Cmd(a, {"AUTH", "ann", "bad"}), kWrongPass);
  ExpectBulk(Cmd(a, {"ACL", "WHOAMI"}), "ann");  // a failed AUTH keeps the current user
  ExpectError(Cmd(a, {"AUTH", "nobody", "pw"}), kWrongPass);
  // With a password-less default user, one-argument AUTH is still refused as before.
  ExpectError(Cmd(a, {"AUTH", "pw"}),
              "ERR AUTH <password> called without any password configured for the default user. Are you sure your "
              "configuration is correct?");
  // A disabled user cannot log in; its open connections keep working (Redis: "off" kills nobody).
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "ann", "off"}));
  ExpectError(Cmd(c(), {"AUTH", "ann", "pw"}), kWrongPass);
  ExpectStatus(Cmd(a, {"PING"}), "PONG");
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "ann", "on"}));
  RawConn raw(port());
  ExpectRaw(raw, "HELLO 2 AUTH ann bad\r\n", "-" + kWrongPass + "\r\n");
  ASSERT_TRUE(raw.Send("HELLO 2 AUTH ann pw\r\n"));
  EXPECT_EQ(raw.Read(4), "*14\r");
  raw.ReadAvailable(100);
  ExpectRaw(raw, "ACL WHOAMI\r\n", "$3\r\nann\r\n");
  // ACL LOG records the failed logins.
  Reply log = Cmd(c(), {"ACL", "LOG", "1"});
  ASSERT_TRUE(IsArrayLen(log.get(), 1));
  std::vector<std::string> e = Strings(log->element[0]);
  ASSERT_GE(e.size(), 14u);
  EXPECT_EQ(e[0], "count");
  EXPECT_EQ(e[2], "reason");
  EXPECT_EQ(e[3], "auth");
  EXPECT_EQ(e[7], "HELLO");
  EXPECT_EQ(e[9], "ann");
  ExpectOk(Cmd(c(), {"ACL", "LOG", "RESET"}));
  ExpectArrayLen(Cmd(c(), {"ACL", "LOG"}), 0);
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "ann"}), 1);
}

TEST_F(AclTest, NopermCommandsSubcommandsKeys) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "bob", "on", ">pw", "+get", "+set", "+config|get", "~a*", "+select|0"}));
  Client b = Login(port(), "bob", "pw");
  ExpectOk(Cmd(b, {"SET", "a1", "v"}));
  ExpectBulk(Cmd(b, {"GET", "a1"}), "v");
  ExpectError(Cmd(b, {"GET", "b"}), kNoPermKey);
  ExpectError(Cmd(b, {"DEL", "a1"}), NoPermCmd("del"));
  ExpectError(Cmd(b, {"CONFIG", "SET", "hz", "10"}), NoPermCmd("config|set"));
  ExpectArrayLen(Cmd(b, {"CONFIG", "GET", "hz"}), 2);
  ExpectOk(Cmd(b, {"SELECT", "0"}));
  ExpectError(Cmd(b, {"SELECT", "1"}), NoPermCmd("select"));
  ExpectError(Cmd(b, {"ACL", "WHOAMI"}), NoPermCmd("acl|whoami"));
  // Arity comes before the permission check; unknown commands too.
  ExpectError(Cmd(b, {"DEL"}), "ERR wrong number of arguments for 'del' command");
  // Changes apply to the connected client at once.
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "bob", "+del", "~b"}));
  ExpectInt(Cmd(b, {"DEL", "a1", "b"}), 1);
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "bob", "-get"}));
  ExpectError(Cmd(b, {"GET", "a1"}), NoPermCmd("get"));
  // The log says what was refused.
  Reply log = Cmd(c(), {"ACL", "LOG", "1"});
  ASSERT_TRUE(IsArrayLen(log.get(), 1));
  std::vector<std::string> e = Strings(log->element[0]);
  EXPECT_EQ(e[3], "command");
  EXPECT_EQ(e[5], "toplevel");
  EXPECT_EQ(e[7], "get");
  EXPECT_EQ(e[9], "bob");
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "bob"}), 1);
}

TEST_F(AclTest, MultiWithDeniedCommands) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "tx", "on", ">pw", "+@all", "-set", "allkeys"}));
  Client t = Login(port(), "tx", "pw");
  ExpectOk(Cmd(t, {"MULTI"}));
  ExpectError(Cmd(t, {"SET", "k", "v"}), NoPermCmd("set"));  // refused while queuing
  ExpectStatus(Cmd(t, {"INCR", "n"}), "QUEUED");
  ExpectError(Cmd(t, {"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  // Allowed when queued, forbidden by the time of EXEC: that command alone fails.
  ExpectOk(Cmd(t, {"MULTI"}));
  ExpectStatus(Cmd(t, {"INCR", "n"}), "QUEUED");
  ExpectStatus(Cmd(t, {"GET", "n"}), "QUEUED");
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "tx", "-incr"}));
  Reply r = Cmd(t, {"EXEC"});
  ASSERT_TRUE(IsArrayLen(r.get(), 2));
  EXPECT_TRUE(IsError(r->element[0],
                      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
                      "This command is no longer allowed for the following reason: no permission to execute the "
                      "command or subcommand"));
  EXPECT_TRUE(IsNil(r->element[1]));
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "tx"}), 1);
}

TEST_F(AclTest, DeletingAUserDisconnectsItsClients) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "gone", "on", ">pw", "+@all", "allkeys"}));
  Client g1 = Login(port(), "gone", "pw");
  Client g2 = Login(port(), "gone", "pw");
  Client other = NewClient();
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "gone"}), 1);
  EXPECT_TRUE(Disconnected(g1));
  EXPECT_TRUE(Disconnected(g2));
  ExpectStatus(Cmd(other, {"PING"}), "PONG");
  ExpectError(Cmd(c(), {"CLIENT", "KILL", "USER", "gone"}), "ERR No such user 'gone'");
  // A user deleting itself gets its reply, then the connection closes.
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "self", "on", ">pw", "+@all", "allkeys"}));
  Client s = Login(port(), "self", "pw");
  ExpectInt(Cmd(s, {"ACL", "DELUSER", "self"}), 1);
  EXPECT_TRUE(Disconnected(s));
}

TEST_F(AclTest, ClientKillByUser) {
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "kk", "on", ">pw", "+@all", "allkeys"}));
  Client k = Login(port(), "kk", "pw");
  ExpectInt(Cmd(c(), {"CLIENT", "KILL", "USER", "kk"}), 1);
  EXPECT_TRUE(Disconnected(k));
  ExpectInt(Cmd(c(), {"ACL", "DELUSER", "kk"}), 1);
}

TEST_F(AclTest, RequirepassIsTheDefaultUsersPassword) {
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "requirepass", "s3cret"}));
  Reply list = Cmd(c(), {"ACL", "LIST"});
  EXPECT_TRUE(IsBulks(list.get(), {"user default on #1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0 ~* &* +@all"}));
  Client n(port());
  ExpectError(Cmd(n, {"PING"}), kNoAuth);
  ExpectError(Cmd(n, {"AUTH", "wrong"}), kWrongPass);
  ExpectOk(Cmd(n, {"AUTH", "s3cret"}));
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "default", ">other"}));
  Client m(port());
  ExpectOk(Cmd(m, {"AUTH", "default", "other"}));
  ExpectOk(Cmd(c(), {"CONFIG", "SET", "requirepass", ""}));  // back to nopass
  Client open(port());
  ExpectStatus(Cmd(open, {"PING"}), "PONG");
  ExpectBulks(Cmd(c(), {"ACL", "LIST"}), {"user default on nopass ~* &* +@all"});
  // A disabled default user: new connections must AUTH as someone else.
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "admin2", "on", ">pw", "+@all", "allkeys"}));
  ExpectOk(Cmd(c(), {"ACL", "SETUSER", "default", "off"}));
  Client d(port());
  ExpectError(Cmd(d, {"PING"}), kNoAuth);
  ExpectOk(Cmd(d, {"AUTH", "admin2", "pw"}));
  ExpectOk(Cmd(d, {"ACL", "SETUSER", "default", "on"}));
  ExpectInt(Cmd(d, {"ACL", "DELUSER", "admin2"}), 1);
}

// ---- the ACL file ----

std::string TempPath(const std::string& tag) {
  char buf[] = "/tmp/tally-acl-XXXXXX";
  int fd = mkstemp(buf);
  if (fd >= 0) close(fd);
  return std::string(buf) + tag;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string ReadFile(const std::string& path) {
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  return ss.str();
}

TEST(AclFile, LoadSaveReload) {
  std::string path = TempPath(".acl");
  WriteFile(path, "user alice on >a ~* +@all\n\nuser default on nopass ~* &* +@all\n");
  auto server = StartServer({"--aclfile", path});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectBulks(Cmd(c, {"ACL", "USERS"}), {"alice", "default"});
  ExpectOk(Cmd(c, {"ACL", "SETUSER", "bob", "on", "nopass", "+get", "~b*"}));
  ExpectOk(Cmd(c, {"ACL", "SAVE"}));
  EXPECT_EQ(ReadFile(path),
            "user alice on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~* resetchannels +@all\n"
            "user bob on nopass ~b* resetchannels -@all +get\n"
            "user default on nopass ~* &* +@all\n");
  // LOAD replaces everything and disconnects the clients of the old users (all but default).
  Client a = Login(server->port(), "alice", "a");
  WriteFile(path, "user carol on >c +@all ~*\n");
  ExpectOk(Cmd(c, {"ACL", "LOAD"}));
  ExpectBulks(Cmd(c, {"ACL", "USERS"}), {"carol", "default"});
  EXPECT_TRUE(Disconnected(a));
  ExpectStatus(Cmd(c, {"PING"}), "PONG");
  // A bad file changes nothing and says every problem.
  WriteFile(path, "user dave on\nfoo\nuser erin +nosuch\nuser dave\n");
  ExpectError(Cmd(c, {"ACL", "LOAD"}),
              "ERR " + path + ":2 should start with user keyword followed by the username. " + path +
                  ":3: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: "
                  "Duplicate user 'dave' found on line 4. WARNING: ACL errors detected, no change to the previously "
                  "active ACL rules was performed");
  ExpectBulks(Cmd(c, {"ACL", "USERS"}), {"carol", "default"});
  std::remove(path.c_str());
  ExpectErrorPrefix(Cmd(c, {"ACL", "LOAD"}), "ERR Error loading ACLs, opening file '" + path + "': No such file");
}

TEST(AclFile, BadFileStopsTheStart) {
  std::string path = TempPath(".acl");
  WriteFile(path, "user bob +nosuch\n");
  Server server({"--aclfile", path});
  std::string error;
  ASSERT_TRUE(server.Launch(&error)) << error;
  ASSERT_TRUE(server.WaitExit(10000));
  EXPECT_EQ(server.exit_code(), 1);
  EXPECT_NE(server.LogSinceStart().find("Aborting Redis startup because of ACL errors: " + path +
                                        ":1: Error in applying operation '+nosuch'"),
            std::string::npos)
      << server.LogSinceStart();
  std::remove(path.c_str());
}

TEST(AclFile, RequirepassIsOverriddenByTheFile) {
  // As Redis 7.0: the file's users replace the default user set by requirepass (a fresh, password-less
  // default when the file has none).
  std::string path = TempPath(".acl");
  WriteFile(path, "user alice on >a ~* +@all\n");
  auto server = StartServer({"--aclfile", path, "--requirepass", "xx"});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectStatus(Cmd(c, {"PING"}), "PONG");
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "requirepass"}), {"requirepass", "xx"});
  ExpectBulks(Cmd(c, {"ACL", "LIST"}), {"user alice on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb "
                                        "~* resetchannels +@all",
                                        "user default on nopass ~* &* +@all"});
  std::remove(path.c_str());
}

TEST(AclConfigUsers, UserLinesAndBothSourcesRefused) {
  auto server = StartServer({"--user", "zed", "on", ">z", "+@all", "~*"});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectBulks(Cmd(c, {"ACL", "USERS"}), {"default", "zed"});
  Login(server->port(), "zed", "z");
  std::string path = TempPath(".acl");
  WriteFile(path, "user alice on >a ~* +@all\n");
  Server both({"--aclfile", path, "--user", "zed", "on"});
  std::string error;
  ASSERT_TRUE(both.Launch(&error)) << error;
  ASSERT_TRUE(both.WaitExit(10000));
  EXPECT_EQ(both.exit_code(), 1);
  EXPECT_NE(both.LogSinceStart().find("Configuring Redis with users defined in redis.conf and at the same setting an "
                                      "ACL file path is invalid."),
            std::string::npos)
      << both.LogSinceStart();
  std::remove(path.c_str());
}

// ---- protected mode ----

// This machine's first non-loopback IPv4 address, or "" if it has none.
std::string NonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    auto* a = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if ((ntohl(a->sin_addr.s_addr) >> 24) == 127) continue;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    found = ip;
  }
  freeifaddrs(list);
  return found;
}

// The reply a connection to ip:port gets to PING (or "" if it could not connect).
std::string PingFrom(const std::string& ip, int port) {
  redisContext* ctx = redisConnect(ip.c_str(), port);
  if (!ctx || ctx->err) {
    if (ctx) redisFree(ctx);
    return "";
  }
  Reply r(static_cast<redisReply*>(redisCommand(ctx, "PING")));
  std::string out = r ? Describe(r.get()) : "(closed)";
  redisFree(ctx);
  return out;
}

const std::string kDenied =
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    "default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    "from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    "sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the "
    "same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. "
    "Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by "
    "editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the "
    "server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.";

TEST(ProtectedMode, RefusesRemoteClientsWithoutPassword) {
  std::string ip = NonLoopbackIpv4();
  if (ip.empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address to connect from";
  auto server = StartServer({"--bind", "*", "-::*"});  // Redis's default bind
  ASSERT_TRUE(server);
  Client local(server->port());
  ExpectBulks(Cmd(local, {"CONFIG", "GET", "protected-mode"}), {"protected-mode", "yes"});
  // The raw bytes: the explanation, then the server closes the connection.
  RawConn raw(server->port());  // loopback: served
  ExpectRaw(raw, "PING\r\n", "+PONG\r\n");
  EXPECT_EQ(PingFrom(ip, server->port()), "-" + kDenied);
  ExpectOk(Cmd(local, {"CONFIG", "SET", "protected-mode", "no"}));
  EXPECT_EQ(PingFrom(ip, server->port()), "+PONG");
  ExpectOk(Cmd(local, {"CONFIG", "SET", "protected-mode", "yes"}));
  // A password for the default user lifts it (the client must then AUTH).
  ExpectOk(Cmd(local, {"CONFIG", "SET", "requirepass", "pw"}));
  EXPECT_EQ(PingFrom(ip, server->port()), "-" + kNoAuth);
}

TEST(ProtectedMode, DefaultBindIsRedisDefault) {
  auto server = StartServer({"--bind", "*", "-::*"});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectBulks(Cmd(c, {"CONFIG", "GET", "bind"}), {"bind", "* -::*"});
  Reply info = Cmd(c, {"CLIENT", "INFO"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING);
  EXPECT_NE(std::string(info->str).find("addr=127.0.0.1:"), std::string::npos) << info->str;  // not ::ffff:
}

// ---- rename-command ----

TEST(RenameCommand, HidesAndRenames) {
  auto server = StartServer({"--rename-command", "flushall", "myflush", "--rename-command", "keys", ""});
  ASSERT_TRUE(server);
  Client c(server->port());
  ExpectError(Cmd(c, {"FLUSHALL"}), "ERR unknown command 'FLUSHALL', with args beginning with: ");
  ExpectError(Cmd(c, {"KEYS", "*"}), "ERR unknown command 'KEYS', with args beginning with: '*' ");
  ExpectOk(Cmd(c, {"MYFLUSH"}));
  // COMMAND still names the command by its original name, and forgets the removed one.
  Reply info = Cmd(c, {"COMMAND", "INFO", "myflush", "flushall", "keys"});
  ASSERT_TRUE(IsArrayLen(info.get(), 3));
  EXPECT_TRUE(IsBulk(Elem(info->element[0], 0), "flushall"));
  EXPECT_TRUE(IsNil(info->element[1]));
  EXPECT_TRUE(IsNil(info->element[2]));
  std::vector<std::string> names = Strings(Cmd(c, {"COMMAND", "LIST"}).get());
  EXPECT_NE(std::find(names.begin(), names.end(), "flushall"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "keys"), names.end());
  ExpectInt(Cmd(c, {"COMMAND", "COUNT"}), static_cast<long long>(names.size() - [&] {
              long long subs = 0;
              for (const std::string& n : names) subs += n.find('|') != std::string::npos;
              return subs;
            }()));
  // ACL rules use the original names.
  ExpectError(Cmd(c, {"ACL", "SETUSER", "u", "+myflush"}),
              "ERR Error in ACL SETUSER modifier '+myflush': Unknown command or category name in ACL");
  ExpectOk(Cmd(c, {"ACL", "SETUSER", "u", "on", "nopass", "+@all", "-flushall"}));
  Client u = Login(server->port(), "u", "x");
  ExpectError(Cmd(u, {"MYFLUSH"}), NoPermCmd("flushall"));
}

TEST(RenameCommand, BadRenameStopsTheStart) {
  for (auto args : std::vector<std::vector<std::string>>{{"--rename-command", "nosuch", "x"},
                                                         {"--rename-command", "get", "set"}}) {
    Server server(args);
    std::string error;
    ASSERT_TRUE(server.Launch(&error)) << error;
    ASSERT_TRUE(server.WaitExit(10000));
    EXPECT_EQ(server.exit_code(), 1) << args[1];
  }
}

}  // namespace
}  // namespace tally_test
