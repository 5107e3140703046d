// ACL rules in-process: the parser, the ACL LIST description (Redis 7.0's texts for the same rules),
// the permission check, and NOPERM through dispatch().
#include "acl.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cmd_fixture.h"
#include "commands.h"
#include "sha256.h"

namespace tally {
namespace {

class AclRules : public ::testing::Test {
 protected:
  // Applies rules to a fresh user; returns the first error ("" when all applied).
  std::string apply(AclUser* u, std::vector<std::string_view> rules) {
    for (std::string_view r : rules)
      if (std::string e = acl_apply_rule(u, r, table_); !e.empty()) return e;
    return "";
  }
  std::string describe(std::vector<std::string_view> rules) {
    AclUser u = acl_new_user("u");
    EXPECT_EQ(apply(&u, rules), "");
    return acl_describe(u, table_);
  }
  AclResult check(const AclUser& u, std::vector<std::string_view> argv) {
    const Command* cmd = table_.find(argv[0]);
    if (!cmd->subs.empty()) cmd = table_.find_sub(*cmd, argv[1]);
    std::size_t pos = 0;
    return acl_check(u, *cmd, argv, &pos);
  }
  CommandTable table_;
};

TEST_F(AclRules, DescribeMatchesRedis) {
  // Each expectation is redis-server 7.0.15's ACL LIST text for the same rules.
  EXPECT_EQ(acl_describe(acl_default_user(), table_), "on nopass ~* &* +@all");
  EXPECT_EQ(describe({}), "off resetchannels -@all");
  EXPECT_EQ(describe({"reset"}), "off sanitize-payload resetchannels -@all");
  EXPECT_EQ(describe({"on", ">p1", "~k*", "+get"}),
            "on #" + sha256_hex("p1") + " ~k* resetchannels -@all +get");
  EXPECT_EQ(describe({"allcommands", "-@admin"}), "off resetchannels +@all -@admin");
  // Redis answers "+@all -@write +set"; Tally's smaller table (every blocking command is a write)
  // makes the best-fit pass pick -@blocking first. What matters is that the text rebuilds the user.
  EXPECT_EQ(describe({"+@all", "-@write", "+set"}).substr(0, 26), "off resetchannels +@all -@");
  EXPECT_EQ(describe({"on", "nopass", "+select|0", "-@all", "+get|x"}), "on nopass resetchannels -@all +get|x");
  EXPECT_EQ(describe({"allchannels", "resetchannels", "&ch*"}), "off resetchannels &ch* -@all");
  EXPECT_EQ(describe({"+config|get"}), "off resetchannels -@all +config|get");
  EXPECT_EQ(describe({"+@all", "-config|set"}), "off resetchannels +@all -config|set");
}

// The ACL LIST text of any user, applied to a new user, gives back the same permissions.
TEST_F(AclRules, DescriptionRoundTrips) {
  std::vector<std::vector<std::string_view>> cases = {
      {"+@all", "-@write", "+set"}, {"+@read", "-get", "+@hash"}, {"+@all", "-@dangerous", "+client|kill"},
      {"-@all", "+config|get", "+select|0", "+@sortedset", "-zadd"}, {"+@slow", "-config|set"}};
  for (const auto& rules : cases) {
    AclUser u = acl_new_user("u");
    ASSERT_EQ(apply(&u, rules), "");
    std::string text = acl_describe_commands(u, table_);
    AclUser back = acl_new_user("u");
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t sp = text.find(' ', start);
      std::string op = text.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
      ASSERT_EQ(acl_apply_rule(&back, op, table_), "") << op;
      start = sp == std::string::npos ? text.size() + 1 : sp + 1;
    }
    EXPECT_EQ(back.allowed, u.allowed) << text;
    EXPECT_EQ(back.firstargs, u.firstargs) << text;
  }
}

TEST_F(AclRules, Errors) {
  AclUser u = acl_new_user("u");
  EXPECT_EQ(apply(&u, {"+nosuch"}), "Unknown command or category name in ACL");
  EXPECT_EQ(apply(&u, {"+@nosuch"}), "Unknown command or category name in ACL");
  EXPECT_EQ(apply(&u, {"-get|x"}), "Unknown command or category name in ACL");
  EXPECT_EQ(apply(&u, {"+config|get|x"}), "Allowing first-arg of a subcommand is not supported");
  EXPECT_EQ(apply(&u, {"+get|"}), "Syntax error");
  EXPECT_EQ(apply(&u, {"foo"}), "Syntax error");
  EXPECT_EQ(apply(&u, {"%R~x"}), "Syntax error");  // not supported: refused, never half-applied
  EXPECT_EQ(apply(&u, {"(+get)"}), "Syntax error");
  EXPECT_EQ(apply(&u, {"<nothere"}), "The password you are trying to remove from the user does not exist");
  EXPECT_EQ(apply(&u, {"!abc"}),
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters");
  EXPECT_EQ(apply(&u, {"#" + std::string(64, 'A')}),
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters");
  EXPECT_EQ(apply(&u, {"allkeys", "~b"}).substr(0, 40), "Adding a pattern after the * pattern (or");
  EXPECT_EQ(apply(&u, {"allchannels", "&b"}).find("'allchannels' flag"), 45u);
}

TEST_F(AclRules, Passwords) {
  AclUser u = acl_new_user("u");
  ASSERT_EQ(apply(&u, {">a", ">b", ">a", "#" + sha256_hex("c")}), "");
  EXPECT_EQ(u.passwords.size(), 3u);
  EXPECT_TRUE(acl_password_ok(u, "a"));
  EXPECT_TRUE(acl_password_ok(u, "c"));
  EXPECT_FALSE(acl_password_ok(u, "d"));
  ASSERT_EQ(apply(&u, {"<a", "!" + sha256_hex("c")}), "");
  EXPECT_FALSE(acl_password_ok(u, "a"));
  EXPECT_TRUE(acl_password_ok(u, "b"));
  ASSERT_EQ(apply(&u, {"nopass"}), "");
  EXPECT_TRUE(u.passwords.empty());
  EXPECT_TRUE(acl_password_ok(u, "anything"));
  ASSERT_EQ(apply(&u, {"resetpass"}), "");
  EXPECT_FALSE(acl_password_ok(u, "anything"));
}

TEST_F(AclRules, CheckCommandsSubcommandsKeys) {
  AclUser u = acl_new_user("u");
  ASSERT_EQ(apply(&u, {"on", "+get", "+config|get", "+select|0", "~k*", "~x"}), "");
  EXPECT_EQ(check(u, {"get", "k1"}), AclResult::kOk);
  EXPECT_EQ(check(u, {"get", "x"}), AclResult::kOk);
  EXPECT_EQ(check(u, {"get", "y"}), AclResult::kDeniedKey);
  EXPECT_EQ(check(u, {"set", "k1", "v"}), AclResult::kDeniedCmd);
  EXPECT_EQ(check(u, {"config", "get", "x"}), AclResult::kOk);
  EXPECT_EQ(check(u, {"config", "set", "x", "y"}), AclResult::kDeniedCmd);
  EXPECT_EQ(check(u, {"select", "0"}), AclResult::kOk);
  EXPECT_EQ(check(u, {"select", "1"}), AclResult::kDeniedCmd);
  EXPECT_EQ(check(u, {"auth", "a"}), AclResult::kOk);  // no-auth commands need no permission
  // Movable keys: ZUNIONSTORE's destination and sources all count.
  ASSERT_EQ(apply(&u, {"+@sortedset"}), "");
  EXPECT_EQ(check(u, {"zunionstore", "k1", "2", "k2", "x"}), AclResult::kOk);
  EXPECT_EQ(check(u, {"zunionstore", "k1", "2", "k2", "z"}), AclResult::kDeniedKey);
  EXPECT_EQ(check(u, {"zunionstore", "q", "1", "k2"}), AclResult::kDeniedKey);
  // Categories reach subcommands: -@dangerous takes CLIENT KILL but not CLIENT ID.
  AclUser a = acl_new_user("a");
  ASSERT_EQ(apply(&a, {"+@all", "-@dangerous", "allkeys"}), "");
  EXPECT_EQ(check(a, {"client", "id"}), AclResult::kOk);
  EXPECT_EQ(check(a, {"client", "kill", "x"}), AclResult::kDeniedCmd);
  EXPECT_EQ(check(a, {"config", "get", "x"}), AclResult::kDeniedCmd);  // @admin @dangerous in Redis 7.0
  EXPECT_EQ(check(a, {"keys", "*"}), AclResult::kDeniedCmd);
  EXPECT_EQ(check(a, {"flushall"}), AclResult::kDeniedCmd);
  EXPECT_FALSE(a.unrestricted());
  EXPECT_TRUE(acl_default_user().unrestricted());
}

class AclDispatch : public CmdTest {};

TEST_F(AclDispatch, NopermTextsAndLog) {
  ASSERT_EQ(run({"ACL", "SETUSER", "bob", "on", "nopass", "+get", "~a*"}), kOk);
  ASSERT_EQ(run({"AUTH", "bob", "x"}), kOk);
  EXPECT_EQ(run({"GET", "a1"}), kNil);
  EXPECT_EQ(run({"GET", "b"}), error("NOPERM this user has no permissions to access one of the keys used as arguments"));
  EXPECT_EQ(run({"SET", "a", "1"}), error("NOPERM this user has no permissions to run the 'set' command"));
  EXPECT_EQ(run({"ACL", "WHOAMI"}), error("NOPERM this user has no permissions to run the 'acl|whoami' command"));
  // A change applies at the next command of an already authenticated client.
  ASSERT_EQ(state_.acl.set_user("bob", std::vector<std::string_view>{"+acl|whoami", "+acl|log"}), "");
  EXPECT_EQ(run({"ACL", "WHOAMI"}), bulk("bob"));
  std::string log = run({"ACL", "LOG", "1"});
  EXPECT_NE(log.find("acl|whoami"), std::string::npos) << log;
  EXPECT_NE(log.find("user=bob"), std::string::npos) << log;
}

}  // namespace
}  // namespace tally
