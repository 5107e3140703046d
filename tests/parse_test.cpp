// Numbers and texts: the shared argument parsers (commands.h), the double formatters (protocol.h)
// and the error-text builders (errors.h). Expected results were checked against redis-server 7.0.15
// (INCRBY/ZADD/INCRBYFLOAT acceptance and replies, KEYS glob matching on thousands of random
// patterns, unknown command replies).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "commands.h"
#include "errors.h"
#include "protocol.h"

namespace tally {
namespace {

using std::string_literals::operator""s;
using std::string_view_literals::operator""sv;
using Texts = std::initializer_list<std::string_view>;

// ------------------------------------------------------------------------------------------------
// parse_int64 (string2ll)

std::optional<int64_t> int64_of(std::string_view s) {
  int64_t v = 12345;
  if (!parse_int64(s, &v)) return std::nullopt;
  return v;
}

TEST(ParseInt64Test, Accepts) {
  EXPECT_EQ(int64_of("0"), 0);
  EXPECT_EQ(int64_of("1"), 1);
  EXPECT_EQ(int64_of("-1"), -1);
  EXPECT_EQ(int64_of("10"), 10);
  EXPECT_EQ(int64_of("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(int64_of("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(int64_of("-9223372036854775807"), INT64_MIN + 1);
}

TEST(ParseInt64Test, Rejects) {
  for (std::string_view s : Texts{"", "-", "+1", " 1", "1 ", "01", "00", "-0", "-01", "1.0", "1e3", "0x10", "abc",
                                  "9223372036854775808", "-9223372036854775809", "18446744073709551616",
                                  "99999999999999999999", "123456789012345678901", "1\0"sv, "--1", "\t1"}) {
    EXPECT_FALSE(int64_of(s).has_value()) << s;
  }
}

TEST(ParseInt64Test, RoundTripsWithFormat) {
  std::mt19937_64 rng(1);
  char buf[21];
  for (int i = 0; i < 100000; ++i) {
    int64_t v = static_cast<int64_t>(rng()) >> (rng() % 64);
    std::size_t n = format_int64(v, buf);
    ASSERT_EQ(std::string_view(buf, n), std::to_string(v));
    ASSERT_EQ(int64_of({buf, n}), v);
  }
}

TEST(FormatInt64Test, Extremes) {
  char buf[21];
  EXPECT_EQ(std::string_view(buf, format_int64(0, buf)), "0");
  EXPECT_EQ(std::string_view(buf, format_int64(-7, buf)), "-7");
  EXPECT_EQ(std::string_view(buf, format_int64(INT64_MAX, buf)), "9223372036854775807");
  EXPECT_EQ(std::string_view(buf, format_int64(INT64_MIN, buf)), "-9223372036854775808");
}

// ------------------------------------------------------------------------------------------------
// parse_double (string2d) and parse_long_double (string2ld)

std::optional<double> double_of(std::string_view s) {
  double v = 0;
  if (!parse_double(s, &v)) return std::nullopt;
  return v;
}

std::optional<long double> long_double_of(std::string_view s) {
  long double v = 0;
  if (!parse_long_double(s, &v)) return std::nullopt;
  return v;
}

TEST(ParseDoubleTest, Accepts) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(double_of("0.1"), 0.1);
  EXPECT_EQ(double_of("3"), 3.0);
  EXPECT_EQ(double_of("+1.5"), 1.5);
  EXPECT_EQ(double_of(".5"), 0.5);
  EXPECT_EQ(double_of("5."), 5.0);
  EXPECT_EQ(double_of("1e300"), 1e300);
  EXPECT_EQ(double_of("0x10"), 16.0);  // strtod reads hex
  EXPECT_EQ(double_of("inf"), inf);
  EXPECT_EQ(double_of("+inf"), inf);
  EXPECT_EQ(double_of("-INF"), -inf);
  EXPECT_EQ(double_of("Infinity"), inf);
  EXPECT_EQ(double_of("1.7976931348623157e308"), 1.7976931348623157e308);
  EXPECT_TRUE(std::signbit(*double_of("-0")));
  EXPECT_EQ(double_of("4e-320"), 4e-320);  // a denormal result is accepted despite ERANGE
  std::string long_zeros = "0." + std::string(300, '0') + "1e300";
  EXPECT_NEAR(*double_of(long_zeros), 0.1, 1e-15);
}

TEST(ParseDoubleTest, Rejects) {
  for (std::string_view s : Texts{"", " 1", "\t1", "1 ", "1e", "abc", "nan", "NaN", "-nan", "1e400", "-1e400",
                                  "1e-400", "1\0"sv, "1.5x", "--1", "0x", "inf "}) {
    EXPECT_FALSE(double_of(s).has_value()) << s;
  }
}

TEST(ParseLongDoubleTest, AcceptsAndRejects) {
  EXPECT_EQ(long_double_of("10.5"), 10.5L);
  EXPECT_EQ(long_double_of("0.1"), 0.1L);  // read at long double precision, not via double
  EXPECT_EQ(long_double_of("1e4000"), 1e4000L);
  EXPECT_EQ(long_double_of("-inf"), -std::numeric_limits<long double>::infinity());
  for (std::string_view s : Texts{"", " 1", "1 ", "nan", "1e5000", "1e-5000", "x", "1\0"sv}) {
    EXPECT_FALSE(long_double_of(s).has_value()) << s;
  }
  // string2ld copies into a MAX_LONG_DOUBLE_CHARS buffer and refuses anything that does not fit.
  EXPECT_EQ(long_double_of("1." + std::string(5117, '0')), 1.0L);
  EXPECT_FALSE(long_double_of("1." + std::string(5118, '0')).has_value());
}

// ------------------------------------------------------------------------------------------------
// Double formatting

TEST(FormatTest, Double) {
  EXPECT_EQ(format_double(0.1), "0.10000000000000001");
  EXPECT_EQ(format_double(3), "3");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(1e300), "1.0000000000000001e+300");
  EXPECT_EQ(format_double(1e20), "1e+20");
  EXPECT_EQ(format_double(1.5e-7), "1.4999999999999999e-07");
  EXPECT_EQ(format_double(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(format_double(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(format_double(4e-320), "3.999955468730732e-320");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(FormatTest, DoubleMatchesPrintf) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (std::isnan(v) || std::isinf(v)) continue;
    if (i % 2) v = static_cast<double>(static_cast<int64_t>(bits) >> (bits % 60));  // integers too
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    ASSERT_EQ(format_double(v), buf) << bits;
  }
}

TEST(FormatTest, LongDouble) {
  // Values from INCRBYFLOAT on redis-server 7.0.15.
  EXPECT_EQ(format_long_double(10.5L + 0.1L), "10.6");
  EXPECT_EQ(format_long_double(3.0e3L), "3000");
  EXPECT_EQ(format_long_double(10.6L + 3.0e3L), "3010.60000000000000009");
  EXPECT_EQ(format_long_double(-0.0L), "0");
  EXPECT_EQ(format_long_double(-1e-20L), "0");
  EXPECT_EQ(format_long_double(1e-17L), "0.00000000000000001");
  EXPECT_EQ(format_long_double(-1.0L), "-1");
  EXPECT_EQ(format_long_double(0.5L), "0.5");
  EXPECT_EQ(format_long_double(1.0L + 1e300L),
            "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497"
            "1903503725086142748359035925561846729839130962605207486462873271356418436532940842551076060167897266"
            "5293237003055138294762099454029477278188962060617926761162709741065056718738610569008942491510400614"
            "4");
  EXPECT_EQ(format_long_double(std::numeric_limits<long double>::infinity()), "inf");
  EXPECT_EQ(format_long_double(-std::numeric_limits<long double>::infinity()), "-inf");
  EXPECT_EQ(format_long_double(std::numeric_limits<long double>::max()).size(), 4933u);
}

// ------------------------------------------------------------------------------------------------
// iequals

TEST(IequalsTest, AsciiCaseOnly) {
  EXPECT_TRUE(iequals("GET", "get"));
  EXPECT_TRUE(iequals("gEt", "get"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("GETX", "get"));
  EXPECT_FALSE(iequals("GE", "get"));
  EXPECT_FALSE(iequals("G\xc3\x89T", "g\xc3\xa9t"));
  EXPECT_FALSE(iequals("[", "{"));  // '[' is 'Z'+1; only A-Z fold
}

// ------------------------------------------------------------------------------------------------
// glob_match (stringmatchlen)

struct GlobCase {
  std::string_view pattern, str;
  bool match;
};

TEST(GlobMatchTest, Cases) {
  const GlobCase cases[] = {
      {"*", "", false},  // as stringmatchlen; KEYS/SCAN special-case a lone "*" before matching
      {"*", "anything", true},
      {"**", "", false},
      {"a*", "a", true},
      {"a**", "a", true},
      {"a*b", "a", false},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h*llo", "heeeello", true},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[b-a]llo", "hallo", true},  // reversed ranges are swapped
      {"h[a-b]llo", "hcllo", false},
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"[\\]]", "]", true},
      {"[a\\-z]", "-", true},
      {"[a\\-z]", "b", false},
      {"[abc", "c", true},  // an unterminated class ends the pattern
      {"[abc", "ca", false},
      {"[^", "x", true},
      {"[]", "]", false},
      {"a\\", "a\\", true},  // a trailing backslash is literal
      {"\\", "\\", true},
      {"*a*b*c", "xxaxxbxxc", true},
      {"*a*b*c", "xxaxxcxxb", false},
      {"?", "", false},
      {"", "", true},
      {"", "a", false},
      {"a\0b"sv, "a\0b"sv, true},  // lengths, not NULs, bound both strings
      {"a?b", "a\0b"sv, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(glob_match(c.pattern, c.str), c.match) << c.pattern << " ~ " << c.str;
  }
}

TEST(GlobMatchTest, NoCase) {
  EXPECT_TRUE(glob_match("HeLLo", "hello", true));
  EXPECT_FALSE(glob_match("HeLLo", "hello", false));
  EXPECT_TRUE(glob_match("h[A-C]llo", "hbllo", true));
  EXPECT_TRUE(glob_match("h[abc]llo", "hBllo", true));
  EXPECT_TRUE(glob_match("MAX*", "maxmemory", true));
  EXPECT_FALSE(glob_match("h[\\A]llo", "hallo", true));  // escapes inside a class compare exactly
}

TEST(GlobMatchTest, PathologicalPatternsStayFast) {
  // Without Redis's "skip longer matches" rule this backtracks exponentially.
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "a*";
  pattern += "b";
  std::string str(3000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(glob_match(pattern, str));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, 5.0);  // microseconds expected; exponential would take longer than the universe
  // Like 7.0.15, recursion stops past 1000 stars (one level per '*'): such patterns match nothing.
  std::string stars1000, stars1001;
  for (int i = 0; i < 1000; ++i) stars1000 += "*a";
  stars1001 = stars1000 + "*a";
  EXPECT_TRUE(glob_match(stars1000, std::string(3000, 'a')));
  EXPECT_FALSE(glob_match(stars1001, std::string(3000, 'a')));
  // ... so deep patterns cannot exhaust the stack.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*a";
  EXPECT_FALSE(glob_match(deep, std::string(200000, 'a')));
}

// ------------------------------------------------------------------------------------------------
// Error texts (errors.h), as redis-server 7.0.15 sends them

TEST(ErrorTextTest, Fixed) {
  EXPECT_EQ(err::wrong_args("get"), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(err::wrong_args("config|get"), "ERR wrong number of arguments for 'config|get' command");
  EXPECT_EQ(err::invalid_expire("set"), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(err::unknown_subcommand("FOO", "CONFIG"), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
  EXPECT_EQ(err::unknown_subcommand("f\r\no", "CONFIG"), "ERR unknown subcommand 'f  o'. Try CONFIG HELP.");
  EXPECT_EQ(err::unknown_subcommand("f\0oo"s, "CONFIG"), "ERR unknown subcommand 'f'. Try CONFIG HELP.");
  EXPECT_EQ(err::unknown_subcommand(std::string(200, 'q'), "CONFIG"),
            "ERR unknown subcommand '" + std::string(128, 'q') + "'. Try CONFIG HELP.");
  EXPECT_EQ(err::expected_dollar('G'), "ERR Protocol error: expected '$', got 'G'");
  EXPECT_EQ(err::expected_dollar('\r'), "ERR Protocol error: expected '$', got ' '");
  EXPECT_EQ(err::expected_dollar('\n'), "ERR Protocol error: expected '$', got ' '");
}

// A client's argument inside an error is printed as Redis's "%s" prints it: up to a NUL byte, with
// CR and LF turned into spaces (checked against redis-server with fuzz/redis_diff.py).
TEST(ErrorTextTest, ArgumentsPrintedAsRedisPrintsThem) {
  EXPECT_EQ(err::unsupported_option("a\0b"s), "ERR Unsupported option a");
  EXPECT_EQ(err::unsupported_option("a\r\nb"), "ERR Unsupported option a  b");
  EXPECT_EQ(err::hello_option("x\0y"s), "ERR Syntax error in HELLO option 'x'");
  EXPECT_EQ(err::unknown_client_type("x\ny"), "ERR Unknown client type 'x y'");
  EXPECT_EQ(err::no_such_user("a\0b"s), "ERR No such user 'a'");
  EXPECT_EQ(err::unrecognized_option("x\ry"), "ERR Unrecognized option 'x y'");
  EXPECT_EQ(err::config_set_unknown("a\r\nb"), "ERR Unknown option or number of arguments for CONFIG SET - 'a  b'");
}

std::string unknown(std::string_view name, std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  return err::unknown_command(name, views.data(), views.size());
}

TEST(ErrorTextTest, UnknownCommand) {
  EXPECT_EQ(unknown("FOOBAR", {"a", "b", "c"}),
            "ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' 'c' ");
  EXPECT_EQ(unknown("FOOBAR", {}), "ERR unknown command 'FOOBAR', with args beginning with: ");
  EXPECT_EQ(unknown("fOo", {"", "a\nb"}), "ERR unknown command 'fOo', with args beginning with: '' 'a b' ");
  EXPECT_EQ(unknown("\r", {"\n"}), "ERR unknown command ' ', with args beginning with: ' ' ");
  EXPECT_EQ(unknown("FO\0BAR"s, {"a\0bcd"s}), "ERR unknown command 'FO', with args beginning with: 'a' ");
  EXPECT_EQ(unknown(std::string(130, 'N'), {"z"}),
            "ERR unknown command '" + std::string(128, 'N') + "', with args beginning with: 'z' ");
  const std::string head = "ERR unknown command 'FOOBAR', with args beginning with: ";
  // Arguments are listed while the list is under 128 bytes, each cut to what is left.
  EXPECT_EQ(unknown("FOOBAR", {std::string(200, 'x'), "y"}), head + "'" + std::string(128, 'x') + "' ");
  EXPECT_EQ(unknown("FOOBAR", {std::string(100, 'x'), std::string(30, 'y'), "z"}),
            head + "'" + std::string(100, 'x') + "' '" + std::string(25, 'y') + "' ");
  EXPECT_EQ(unknown("FOOBAR", {std::string(100, 'x'), std::string(20, 'y'), "z"}),
            head + "'" + std::string(100, 'x') + "' '" + std::string(20, 'y') + "' 'z' ");
  EXPECT_EQ(unknown("FOOBAR", {std::string(125, 'x'), "abc"}), head + "'" + std::string(125, 'x') + "' ");
}

}  // namespace
}  // namespace tally
