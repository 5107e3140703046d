// The command name index (CommandIndex) and CommandTable's lookups: case-insensitive on ASCII
// letters only, exact on every other byte and on the length, against a byte-wise reference.
#include "commands.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tally {
namespace {

using std::string_literals::operator""s;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return out;
}

// Bytes that the word-at-a-time lowering must leave alone next to the letters it must change:
// '@' and '[' sit just outside 'A'-'Z', '`' and '{' are their 0x20 partners, 0xc1/0xe1 are a
// high byte pair 0x20 apart, and NUL pads the words.
const std::string kBytes = "abcxyzABCXYZ09|-_@[`{\xc1\xe1\x80\xff"s + '\0';

TEST(CommandIndexTest, AgreesWithAByteWiseReference) {
  std::mt19937 rng(11);
  std::vector<std::unique_ptr<std::string>> names;  // the index keeps views
  std::map<std::string, const Command*> ref;
  CommandIndex index;
  std::vector<Command> cmds(3000);
  auto random_name = [&](std::size_t max_len) {
    std::string s(1 + rng() % max_len, ' ');
    for (char& c : s) c = kBytes[rng() % kBytes.size()];
    return s;
  };
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    std::string lower = ascii_lower(random_name(i % 3 == 0 ? 64 : 20));
    if (ref.count(lower)) {
      EXPECT_FALSE(index.insert(lower, &cmds[i]));
      continue;
    }
    names.push_back(std::make_unique<std::string>(lower));
    ASSERT_TRUE(index.insert(*names.back(), &cmds[i]));
    ref[lower] = &cmds[i];
  }
  auto check = [&](const std::string& query) {
    auto it = ref.find(ascii_lower(query));
    const Command* want = it == ref.end() ? nullptr : it->second;
    EXPECT_EQ(index.find(query), want) << query.size() << " bytes";
  };
  for (const auto& [lower, cmd] : ref) {
    std::string upper = lower;
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 0x20);
    EXPECT_EQ(index.find(upper), cmd);
    // Each byte with its 0x20 bit flipped: the same command for a letter, else another name.
    for (std::size_t i = 0; i < lower.size(); ++i) {
      std::string flipped = lower;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x20);
      check(flipped);
    }
    check(lower + '\0');  // the zero padding must not make these equal
    check(lower.substr(0, lower.size() - 1));
  }
  for (int i = 0; i < 20000; ++i) check(random_name(70));
  EXPECT_EQ(index.find(""), nullptr);

  // Erase every other name; the rest stay findable whatever their probe runs were.
  bool drop = false;
  for (auto it = ref.begin(); it != ref.end();) {
    if ((drop = !drop)) {
      EXPECT_TRUE(index.erase(it->first));
      EXPECT_FALSE(index.erase(it->first));
      it = ref.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [lower, cmd] : ref) EXPECT_EQ(index.find(lower), cmd);
  for (int i = 0; i < 5000; ++i) check(random_name(70));
}

// Names alike in their first 8 bytes and their length (and in their first 16, for the long ones):
// only the second word, or the tail past 16 bytes, tells them apart.
TEST(CommandIndexTest, NamesAlikeButForOneWordAreToldApart) {
  std::mt19937 rng(5);
  for (std::size_t len : {16u, 30u}) {
    std::vector<std::unique_ptr<std::string>> names;
    std::map<std::string, const Command*> ref;
    std::vector<Command> cmds(2000);
    CommandIndex index;
    for (auto& cmd : cmds) {
      std::string s(len, 'k');
      for (std::size_t i = len == 16 ? 8 : 16; i < len; ++i) s[i] = "abcdef0123456789"[rng() % 16];
      if (ref.count(s)) continue;
      names.push_back(std::make_unique<std::string>(s));
      ASSERT_TRUE(index.insert(*names.back(), &cmd));
      ref[s] = &cmd;
    }
    for (int i = 0; i < 20000; ++i) {
      std::string q(len, 'K');
      for (std::size_t j = len == 16 ? 8 : 16; j < len; ++j) q[j] = "abcdefABCDEF0123456789"[rng() % 22];
      auto it = ref.find(ascii_lower(q));
      EXPECT_EQ(index.find(q), it == ref.end() ? nullptr : it->second) << q;
    }
  }
}

TEST(CommandIndexTest, NamesPastTheLimitAreNeverFound) {
  CommandIndex index;
  Command cmd;
  std::string at_limit(CommandIndex::kMaxName, 'a'), past(CommandIndex::kMaxName + 1, 'a');
  EXPECT_TRUE(index.insert(at_limit, &cmd));
  EXPECT_FALSE(index.insert(past, &cmd));
  EXPECT_EQ(index.find(std::string(CommandIndex::kMaxName, 'A')), &cmd);
  EXPECT_EQ(index.find(past), nullptr);
}

TEST(CommandTableTest, FindsEveryCommandAndSubcommandInAnyCase) {
  CommandTable table;
  std::size_t n = 0;
  for (const Command& cmd : table.all()) {
    std::string name(cmd.spec->name), upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(table.find(name), &cmd);
    EXPECT_EQ(table.find(upper), &cmd);
    EXPECT_EQ(table.find_original(upper), &cmd);
    for (const Command& sub : cmd.subs) {
      std::string sub_upper(sub.spec->name);
      for (char& c : sub_upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_EQ(table.find_sub(cmd, sub_upper), &sub);
      EXPECT_EQ(table.find_sub(cmd, name + "x"), nullptr);
    }
    ++n;
  }
  EXPECT_GT(n, 100u);
  EXPECT_EQ(table.find("gett"), nullptr);
  EXPECT_EQ(table.find("ge"), nullptr);
  EXPECT_EQ(table.find("g\xc5t"), nullptr);
}

TEST(CommandTableTest, RenameMovesTheName) {
  CommandTable table;
  const Command* get = table.find("get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(table.rename("GET", "Fetch"), "");
  EXPECT_EQ(table.find("get"), nullptr);
  EXPECT_EQ(table.find("FETCH"), get);
  EXPECT_EQ(table.find_original("get"), get);  // ACL rules keep the original names
  EXPECT_EQ(table.rename("get", "x"), "No such command in rename-command");
  EXPECT_EQ(table.rename("set", "fetch"), "Target command name already exists");  // start-up then fails
  EXPECT_EQ(table.rename("hget", ""), "");
  EXPECT_EQ(table.find("hget"), nullptr);
  EXPECT_TRUE(table.find_original("hget")->hidden);
}

}  // namespace
}  // namespace tally
