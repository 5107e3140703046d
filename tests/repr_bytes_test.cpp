// repr_bytes: log quoting as Redis's sdscatrepr (the query buffer limit's log line uses it).
#include <gtest/gtest.h>

#include <string>

#include "protocol.h"

namespace tally {
namespace {

TEST(ReprBytesTest, EscapesAsSdscatrepr) {
  EXPECT_EQ(repr_bytes(""), "\"\"");
  EXPECT_EQ(repr_bytes("*2\r\n$4\r\nECHO\n"), "\"*2\\r\\n$4\\r\\nECHO\\n\"");
  EXPECT_EQ(repr_bytes("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(repr_bytes("\t\a\b"), "\"\\t\\a\\b\"");
  EXPECT_EQ(repr_bytes(std::string("\0\x01\x7f\xff ~", 6)), "\"\\x00\\x01\\x7f\\xff ~\"");
}

}  // namespace
}  // namespace tally
