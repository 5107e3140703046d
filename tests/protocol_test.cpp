// RequestParser, split_args and ReplyWriter. Expected bytes and error texts
// were captured from redis-server 7.0.15. The parser is checked by feeding the same stream whole,
// a byte at a time and in random fragments through a real Buffer (so the bytes move between calls)
// and requiring identical results.
#include "protocol.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "buffer.h"
#include "errors.h"

namespace tally {
namespace {

using std::string_literals::operator""s;

// What one parse() call that did not need more input produced.
struct Event {
  ParseStatus status;
  std::vector<std::string> argv;  // kCommand
  std::string error;              // kError
  bool operator==(const Event&) const = default;
};

Event command(std::vector<std::string> argv) { return {ParseStatus::kCommand, std::move(argv), {}}; }
Event empty() { return {ParseStatus::kEmpty, {}, {}}; }
Event error(std::string_view e) { return {ParseStatus::kError, {}, std::string(e)}; }

std::ostream& operator<<(std::ostream& os, const Event& e) {
  os << static_cast<int>(e.status) << "[";
  for (const auto& a : e.argv) os << a.size() << ":" << a << ",";
  return os << "]" << e.error;
}

// A connection's read side: appends each fragment to a Buffer and parses as far as it can, the way
// the worker does. Stops at the first error.
class Conn {
 public:
  explicit Conn(ParserLimits limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes) {
    if (failed_) return;
    in_.append(bytes);
    for (;;) {
      std::size_t consumed = 0;
      ParseStatus st = parser_.parse(in_.data(), in_.size(), limits_, &consumed);
      if (st == ParseStatus::kNeedMore) return;
      if (st == ParseStatus::kError) {
        events_.push_back(error(parser_.error()));
        failed_ = true;
        return;
      }
      Event e{st, {}, {}};
      for (auto a : parser_.argv()) e.argv.emplace_back(a);
      events_.push_back(std::move(e));
      EXPECT_GT(consumed, 0u);
      in_.consume(consumed);
    }
  }

  const std::vector<Event>& events() const { return events_; }
  std::size_t pending() const { return in_.size(); }
  RequestParser& parser() { return parser_; }

 private:
  ParserLimits limits_;
  RequestParser parser_;
  Buffer in_;
  std::vector<Event> events_;
  bool failed_ = false;
};

std::vector<Event> feed_whole(std::string_view s, ParserLimits l = {}) {
  Conn c(l);
  c.feed(s);
  return c.events();
}

std::vector<Event> feed_bytes(std::string_view s, ParserLimits l = {}) {
  Conn c(l);
  for (char ch : s) c.feed({&ch, 1});
  return c.events();
}

std::vector<Event> feed_random(std::string_view s, std::mt19937& rng, ParserLimits l = {}) {
  Conn c(l);
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t n = std::uniform_int_distribution<std::size_t>(1, 64)(rng);
    n = std::min(n, s.size() - i);
    c.feed(s.substr(i, n));
    i += n;
  }
  return c.events();
}

// Checks that all three ways of feeding agree with the expectation.
void expect_events(std::string_view s, const std::vector<Event>& want, ParserLimits l = {}) {
  std::mt19937 rng(42);
  EXPECT_EQ(feed_whole(s, l), want) << "whole: " << s;
  EXPECT_EQ(feed_bytes(s, l), want) << "bytes: " << s;
  EXPECT_EQ(feed_random(s, rng, l), want) << "fragments: " << s;
}

std::string mbulk(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// ------------------------------------------------------------------------------------------------
// Well-formed requests

// An empty append to a buffer that has never held memory is a no-op (the ASan+UBSan build fails this
// if it reaches memcpy with the buffer's null pointer), and an empty append leaves data in place.
TEST(BufferTest, EmptyAppendsAreNoOps) {
  Buffer b;
  b.append(std::string_view{});
  b.append(nullptr, 0);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), 0u);
  b.append("abc");
  b.append(std::string_view{});
  EXPECT_EQ(b.view(), "abc");
  b.consume(3);
  b.append(nullptr, 0);
  EXPECT_TRUE(b.empty());
  b.append("de");
  EXPECT_EQ(b.view(), "de");
}

TEST(ParserTest, MultibulkWhole) {
  RequestParser p;
  std::string s = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nextra";
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse(s.data(), s.size(), {}, &consumed), ParseStatus::kCommand);
  EXPECT_EQ(consumed, s.size() - 5);
  ASSERT_EQ(p.argv().size(), 2u);
  EXPECT_EQ(p.argv()[0], "GET");
  EXPECT_EQ(p.argv()[1], "k");
  // The views point into the input bytes.
  EXPECT_EQ(p.argv()[0].data(), s.data() + 8);
}

TEST(ParserTest, BinarySafeBulks) {
  std::string bin = "a\r\nb\0c$*\n"s;
  expect_events(mbulk({"SET", bin, ""}), {command({"SET", bin, ""})});
}

TEST(ParserTest, InlineBasics) {
  expect_events("PING\r\n", {command({"PING"})});
  expect_events("PING\n", {command({"PING"})});
  expect_events("  PING  \r\n", {command({"PING"})});
  expect_events("SET k \"a\\x41\\n\"\r\n", {command({"SET", "k", "aA\n"})});
  expect_events("SET k \"\"\r\n", {command({"SET", "k", ""})});  // empty arguments are kept
  expect_events("\rPING\n", {command({"PING"})});
  expect_events("PING\r\r\n", {command({"PING"})});
  expect_events("ECHO a\x0b"
                "b\r\n",
                {command({"ECHO", "a\x0b"
                                  "b"})});
}

TEST(ParserTest, EmptyRequests) {
  expect_events("*0\r\nPING\r\n", {empty(), command({"PING"})});
  expect_events("*-1\r\nPING\r\n", {empty(), command({"PING"})});
  expect_events("*-5\r\n", {empty()});
  expect_events("\r\n\r\nPING\n", {empty(), empty(), command({"PING"})});
  expect_events("   \r\n", {empty()});
  expect_events("\n", {empty()});

  RequestParser p;
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse("*0\r\nX", 5, {}, &consumed), ParseStatus::kEmpty);
  EXPECT_EQ(consumed, 4u);
  ASSERT_EQ(p.parse("  \r\nX", 5, {}, &consumed), ParseStatus::kEmpty);
  EXPECT_EQ(consumed, 4u);
  EXPECT_TRUE(p.argv().empty());
}

TEST(ParserTest, LenientLikeRedis) {
  // The 2 bytes after a bulk and the byte after a length line's '\r' are not checked.
  expect_events("*1\r\n$4\r\nPINGxx", {command({"PING"})});
  expect_events("*1\rX$4\rXPINGxx*1\r\n$1\r\na\r\n", {command({"PING"}), command({"a"})});
}

TEST(ParserTest, NeedsTheByteAfterCr) {
  Conn c;
  c.feed("*1\r");
  EXPECT_TRUE(c.events().empty());
  c.feed("\n$4\r");
  EXPECT_TRUE(c.events().empty());
  c.feed("\nPING\r");
  EXPECT_TRUE(c.events().empty());  // the bulk needs its 2 trailing bytes
  c.feed("\n");
  EXPECT_EQ(c.events(), std::vector<Event>{command({"PING"})});
  EXPECT_EQ(c.pending(), 0u);
}

// A count line that arrived in pieces leaves the line scan's position behind; when the rest of that
// command then comes whole (and takes the one-pass parse), the next request's scan starts afresh.
TEST(ParserTest, SplitCountLineLeavesNoScanBehind) {
  Conn c;
  c.feed("*10");
  std::string rest = "\r\n";
  for (int i = 0; i < 10; ++i) rest += "$1\r\nx\r\n";
  c.feed(rest);
  c.feed("A\n");
  ASSERT_EQ(c.events().size(), 2u);
  EXPECT_EQ(c.events()[0], command(std::vector<std::string>(10, "x")));
  EXPECT_EQ(c.events()[1], command({"A"}));
  EXPECT_EQ(c.pending(), 0u);
}

TEST(ParserTest, NulHidesTheLineEnd) {
  // Redis finds line ends with strchr(), which stops at a NUL: such a line never completes.
  Conn c;
  c.feed("*1\0\r\n$4\r\nPING\r\n"s);
  EXPECT_TRUE(c.events().empty());
  c.feed(std::string(65536, 'x'));
  EXPECT_EQ(c.events(), std::vector<Event>{error(err::kProtoMbulkCountTooBig)});

  Conn inl;
  inl.feed("PING\0\r\nPING\r\n"s);
  EXPECT_TRUE(inl.events().empty());
  inl.feed(std::string(65536, 'x'));
  EXPECT_EQ(inl.events(), std::vector<Event>{error(err::kProtoInlineTooBig)});
}

TEST(ParserTest, PipelineLeavesIncompleteTail) {
  Conn c;
  c.feed(mbulk({"PING"}) + "*1\r\n$4\r\nPI");
  EXPECT_EQ(c.events(), std::vector<Event>{command({"PING"})});
  EXPECT_EQ(c.pending(), 10u);
}

// ------------------------------------------------------------------------------------------------
// Protocol errors: every class, with Redis's exact text.

struct ErrorCase {
  std::string input;
  std::string_view error;
};

TEST(ParserTest, ErrorsHaveRedisTexts) {
  const std::string too_long(65536, '1');
  const std::vector<ErrorCase> cases = {
      {"*abc\r\n", err::kProtoMultibulkLen},
      {"*1 \r\n", err::kProtoMultibulkLen},
      {"*+1\r\n", err::kProtoMultibulkLen},
      {"*01\r\n", err::kProtoMultibulkLen},
      {"*-0\r\n", err::kProtoMultibulkLen},
      {"*\r\n", err::kProtoMultibulkLen},
      {"*2147483648\r\n", err::kProtoMultibulkLen},
      {"*99999999999999999999\r\n", err::kProtoMultibulkLen},
      {"*1\r\n$abc\r\n", err::kProtoBulkLen},
      {"*1\r\n$-1\r\n", err::kProtoBulkLen},
      {"*1\r\n$+4\r\nPING\r\n", err::kProtoBulkLen},
      {"*1\r\n$04\r\nPING\r\n", err::kProtoBulkLen},
      {"*1\r\n$\r\n", err::kProtoBulkLen},
      {"*1\r\n$536870913\r\n", err::kProtoBulkLen},
      {"*1\r\nG\r\n", "ERR Protocol error: expected '$', got 'G'"},
      {"*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"},
      {"*1\r\n\n\r\n", "ERR Protocol error: expected '$', got ' '"},
      {"*2\r\n$4\r\nECHO\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"},
      {"ECHO \"abc\r\n", err::kProtoUnbalanced},
      {"ECHO 'a'b\r\n", err::kProtoUnbalanced},
      {"ECHO \"a\"\"b\"\r\n", err::kProtoUnbalanced},
      {"ECHO a\"b\"c\r\n", err::kProtoUnbalanced},
      {"ECHO \"a\\\r\n", err::kProtoUnbalanced},
      {std::string(65537, 'P'), err::kProtoInlineTooBig},
      {"*" + too_long, err::kProtoMbulkCountTooBig},
      {"*1\r\n$" + too_long, err::kProtoBulkCountTooBig},
      {"*1\r\nX" + too_long, err::kProtoBulkCountTooBig},  // size is checked before the '$'
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input.substr(0, 40));
    expect_events(c.input, {error(c.error)});
  }
}

TEST(ParserTest, ErrorAfterGoodCommands) {
  expect_events(mbulk({"PING"}) + "PING\r\n*1\r\n$x\r\n" + mbulk({"PING"}),
                {command({"PING"}), command({"PING"}), error(err::kProtoBulkLen)});
}

TEST(ParserTest, LimitsAreInclusive) {
  // Redis refuses only more than 64 KiB of pending bytes without a line end.
  const std::string ones(65535, '1');
  for (const std::string& s : {"*" + ones, "*1\r\n$" + ones, std::string(65536, 'P')}) {
    EXPECT_TRUE(feed_whole(s).empty());
  }
  EXPECT_TRUE(feed_whole("*2147483647\r\n").empty());   // INT_MAX arguments: waits for them
  EXPECT_TRUE(feed_whole("*1\r\n$536870912\r\n").empty());  // exactly proto-max-bulk-len
  ParserLimits small;
  small.max_bulk_len = 3;
  EXPECT_EQ(feed_whole(mbulk({"abc"}), small), std::vector<Event>{command({"abc"})});
  EXPECT_EQ(feed_whole(mbulk({"abcd"}), small), std::vector<Event>{error(err::kProtoBulkLen)});
  small.max_inline_len = 10;
  EXPECT_TRUE(feed_whole(std::string(10, 'P'), small).empty());
  EXPECT_EQ(feed_whole(std::string(11, 'P'), small), std::vector<Event>{error(err::kProtoInlineTooBig)});
}

TEST(ParserTest, UnauthenticatedLimits) {
  ParserLimits unauth;
  unauth.authenticated = false;
  std::vector<std::string> ten(10, "a");
  std::vector<std::string> eleven(11, "a");
  expect_events(mbulk(ten), {command(ten)}, unauth);
  expect_events(mbulk(eleven), {error(err::kProtoUnauthMultibulk)}, unauth);
  expect_events(mbulk(eleven), {command(eleven)});
  std::string big(16384, 'v');
  expect_events(mbulk({"SET", "k", big}), {command({"SET", "k", big})}, unauth);
  expect_events("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n", {error(err::kProtoUnauthBulk)}, unauth);
  // The general checks come first.
  expect_events("*1\r\n$-1\r\n", {error(err::kProtoBulkLen)}, unauth);
  expect_events("*2147483648\r\n", {error(err::kProtoMultibulkLen)}, unauth);
  // Inline requests have no unauthenticated limit.
  std::vector<std::string> twelve = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"};
  expect_events("A B C D E F G H I J K L\r\n", {command(twelve)}, unauth);
}

TEST(ParserTest, ErrorResetsForReuse) {
  RequestParser p;
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse("*1\r\n$x\r\n", 8, {}, &consumed), ParseStatus::kError);
  EXPECT_EQ(p.error(), err::kProtoBulkLen);
  std::string ok = mbulk({"PING"});
  ASSERT_EQ(p.parse(ok.data(), ok.size(), {}, &consumed), ParseStatus::kCommand);
  EXPECT_EQ(consumed, ok.size());
}

TEST(ParserTest, ResetDropsProgress) {
  RequestParser p;
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse("*2\r\n$3\r\nGET\r\n", 13, {}, &consumed), ParseStatus::kNeedMore);
  p.reset();
  std::string fresh = mbulk({"PING"});
  ASSERT_EQ(p.parse(fresh.data(), fresh.size(), {}, &consumed), ParseStatus::kCommand);
  ASSERT_EQ(p.argv().size(), 1u);
  EXPECT_EQ(p.argv()[0], "PING");
}

TEST(ParserTest, BytesHintForLargeBulk) {
  RequestParser p;
  std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n";
  std::string s = head + std::string(500, 'v');
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse(s.data(), s.size(), {}, &consumed), ParseStatus::kNeedMore);
  EXPECT_EQ(p.bytes_hint(), head.size() + 100000 + 2);
  s += std::string(100000 - 500, 'v') + "\r";
  ASSERT_EQ(p.parse(s.data(), s.size(), {}, &consumed), ParseStatus::kNeedMore);
  EXPECT_EQ(p.bytes_hint(), head.size() + 100002);
  s += "\n";
  ASSERT_EQ(p.parse(s.data(), s.size(), {}, &consumed), ParseStatus::kCommand);
  EXPECT_EQ(consumed, s.size());
  EXPECT_EQ(p.argv()[2].size(), 100000u);
  EXPECT_EQ(p.bytes_hint(), 0u);
  // Unknown while a length line is incomplete.
  ASSERT_EQ(p.parse("*1\r\n$10", 7, {}, &consumed), ParseStatus::kNeedMore);
  EXPECT_EQ(p.bytes_hint(), 0u);
}

// ------------------------------------------------------------------------------------------------
// Fragmented and randomised input

// Encodes an argument for an inline request so that split_args gives it back.
std::string inline_quote(const std::string& a, std::mt19937& rng) {
  bool plain = !a.empty();
  for (char c : a) plain = plain && std::isalnum(static_cast<unsigned char>(c));
  if (plain && rng() % 2) return a;
  if (rng() % 4 == 0 && a.find_first_of("'\\\n"s + '\0') == std::string::npos) {
    return "'" + a + "'";
  }
  std::string q = "\"";
  for (char c : a) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += c;
    } else if (c == '\n') {
      q += "\\n";
    } else if (std::isprint(static_cast<unsigned char>(c)) && c != '\r') {
      q += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
      q += buf;
    }
  }
  return q + "\"";
}

std::string random_arg(std::mt19937& rng) {
  static const std::string kAlphabet = "abcXYZ019 \"'\\\r\n\t\0*$"s;
  std::size_t n = rng() % 4 == 0 ? rng() % 200 : rng() % 8;
  std::string a;
  for (std::size_t i = 0; i < n; ++i) {
    a += rng() % 8 == 0 ? static_cast<char>(rng()) : kAlphabet[rng() % kAlphabet.size()];
  }
  return a;
}

TEST(ParserTest, RandomPipelinesAgreeHoweverFed) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string stream;
    std::vector<Event> want;
    int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      int kind = static_cast<int>(rng() % 10);
      if (kind == 0) {
        stream += rng() % 2 ? "*0\r\n" : (rng() % 2 ? "\r\n" : "  \t\n");
        want.push_back(empty());
        continue;
      }
      std::vector<std::string> args(1 + rng() % 6);
      for (auto& a : args) a = random_arg(rng);
      if (kind < 4) {
        args[0] = "CMD" + std::to_string(i);  // an inline request cannot start with '*'
        std::string line;
        for (const auto& a : args) line += inline_quote(a, rng) + (rng() % 3 ? " " : "\t ");
        stream += line + (rng() % 2 ? "\r\n" : "\n");
      } else {
        stream += mbulk(args);
      }
      want.push_back(command(args));
    }
    SCOPED_TRACE(round);
    expect_events(stream, want);
  }
}

// A whole command in the buffer takes the one-pass parse (parse_whole); fed a byte at a time, the
// same bytes take the step-by-step one. Frames with odd length lines, short or long bulks and
// limits hit on either side must come out identical: commands, errors and all.
TEST(ParserTest, OnePassAndStepwiseAgreeOnMalformedFrames) {
  std::mt19937 rng(3);
  const std::vector<std::string> kOddNumbers = {"0", "00", "01", "-1", "+3", " 3", "3 ", "", "x", "1x",
                                                "99999999999999999", "999999999999999999", "9999999999999999999",
                                                "2147483648", "11", "10", "16384", "16385"};
  bool odd = false;  // this frame gets odd bytes: a few of its lines, at random
  auto oops = [&](unsigned one_in) { return odd && rng() % one_in == 0; };
  auto number = [&](std::size_t real) {
    return oops(8) ? kOddNumbers[rng() % kOddNumbers.size()] : std::to_string(real);
  };
  auto line_end = [&] { return oops(20) ? (rng() % 2 ? "\rX"s : "\n"s) : "\r\n"s; };
  std::size_t commands = 0, errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string stream;
    int frames = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < frames; ++f) {
      odd = rng() % 3 == 0;
      std::vector<std::string> args(1 + rng() % 12);
      for (auto& a : args) a = std::string(rng() % 4 == 0 ? rng() % 40 : rng() % 6, 'v');
      if (rng() % 40 == 0) args.back().assign(16384 + rng() % 2, 'b');  // at and past the unauthenticated limit
      stream += "*" + number(args.size()) + line_end();
      for (const auto& a : args) {
        std::string body = a;
        if (oops(25)) body += "w";                         // longer than declared
        if (oops(25) && !body.empty()) body.pop_back();    // shorter
        stream += (oops(50) ? "%" : "$") + number(a.size()) + line_end() + body + line_end();
      }
    }
    ParserLimits limits;
    limits.authenticated = rng() % 3 != 0;
    if (rng() % 3 == 0) limits.max_bulk_len = static_cast<int64_t>(rng() % 20);
    SCOPED_TRACE(round);
    std::vector<Event> whole = feed_whole(stream, limits);
    EXPECT_EQ(whole, feed_bytes(stream, limits)) << stream;
    for (const Event& e : whole) (e.status == ParseStatus::kError ? errors : commands) += 1;
  }
  EXPECT_GT(commands, 2500u);  // the mix holds plenty of both (3397 and 1962 with this seed)
  EXPECT_GT(errors, 1000u);
}

// What parse_ahead took, as parse() events, with the byte offsets where each command ended.
std::vector<Event> ahead(RequestParser& p, std::string_view s, std::size_t max, std::vector<std::size_t>* ends_out,
                         ParserLimits limits = {}) {
  std::vector<std::string_view> args = {"left", "alone"};  // appended to, never replaced
  std::size_t arg_ends[64], ends[64];
  std::size_t n = p.parse_ahead(s.data(), s.size(), limits, max, &args, arg_ends, ends);
  EXPECT_EQ(args[0], "left");
  std::vector<Event> out;
  std::size_t from = 2;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> argv;
    for (std::size_t a = from; a < arg_ends[i] + 0; ++a) argv.emplace_back(args[a]);
    from = arg_ends[i];
    out.push_back(command(argv));
    if (ends_out) ends_out->push_back(ends[i]);
  }
  EXPECT_EQ(from, args.size());
  return out;
}

TEST(ParserTest, ParseAheadTakesWholeCommandsUpToTheFirstItDeclines) {
  RequestParser p;
  const std::string get = mbulk({"GET", "foo"}), set = mbulk({"SET", "k", ""});
  std::vector<std::size_t> ends;
  EXPECT_EQ(ahead(p, get + set + get + "*2\r\n$3\r\nGET\r\n$3\r\nfo", 16, &ends),
            (std::vector<Event>{command({"GET", "foo"}), command({"SET", "k", ""}), command({"GET", "foo"})}));
  EXPECT_EQ(ends, (std::vector<std::size_t>{get.size(), get.size() + set.size(), 2 * get.size() + set.size()}));
  EXPECT_EQ(ahead(p, get + "GET foo\r\n" + get, 16, nullptr).size(), 1u) << "stops at an inline request";
  EXPECT_EQ(ahead(p, get + "*0\r\n" + get, 16, nullptr).size(), 1u) << "and at an empty one";
  EXPECT_EQ(ahead(p, get + "*1\r\n$04\r\nPING\r\n", 16, nullptr).size(), 1u) << "and at an odd length line";
  EXPECT_EQ(ahead(p, get + get + get, 2, nullptr).size(), 2u) << "at most max";
  EXPECT_TRUE(ahead(p, "", 16, nullptr).empty());
  ParserLimits unauth;
  unauth.authenticated = false;
  std::string eleven = mbulk(std::vector<std::string>(11, "x"));
  EXPECT_EQ(ahead(p, get + eleven, 16, nullptr, unauth).size(), 1u) << "and at a limit";
  EXPECT_EQ(ahead(p, get + eleven, 16, nullptr).size(), 2u);
  // Holding part of a command, the parser takes nothing ahead: parse() must finish that one first.
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse("*2\r\n$3\r\nGET\r\n", 13, {}, &consumed), ParseStatus::kNeedMore);
  EXPECT_TRUE(ahead(p, get + get, 16, nullptr).empty());
}

// On any stream, what parse_ahead takes is what parse() returns first, command for command and byte
// for byte.
TEST(ParserTest, ParseAheadAgreesWithParse) {
  std::mt19937 rng(9);
  int long_batches = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string stream;
    int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> args(1 + rng() % 4);
      for (auto& a : args) a = random_arg(rng);
      // Now and then a length line that parse_ahead declines ("$00", "$01", "$02": parse() takes them).
      std::string frame = rng() % 10 ? mbulk(args) : "*1\r\n$0" + std::to_string(rng() % 3) + "\r\nab\r\n";
      if (rng() % 15 == 0) {  // cut short, and the stream ends there
        stream += frame.substr(0, rng() % frame.size());
        break;
      }
      stream += frame;
    }
    SCOPED_TRACE(round);
    RequestParser p;
    std::vector<std::size_t> ends;
    std::vector<Event> took = ahead(p, stream, 16, &ends);
    long_batches += took.size() >= 8;
    std::vector<Event> parsed = feed_whole(stream);
    ASSERT_LE(took.size(), parsed.size());
    EXPECT_EQ(took, std::vector<Event>(parsed.begin(), parsed.begin() + static_cast<std::ptrdiff_t>(took.size())));
    // And the same bytes: a parser stepping through the stream ends each command where parse_ahead did.
    RequestParser q;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < took.size(); ++i) {
      std::size_t consumed = 0;
      ASSERT_EQ(q.parse(stream.data() + pos, stream.size() - pos, {}, &consumed), ParseStatus::kCommand);
      pos += consumed;
      EXPECT_EQ(pos, ends[i]);
    }
  }
  EXPECT_GT(long_batches, 200);  // the streams are not all cut or declined early
}

TEST(ParserTest, HugeCommandInTinyFragmentsIsLinear) {
  // 100k arguments (~700 KB) fed one byte per call. A parser that rescans from the command start
  // would need ~10^11 steps; a linear one takes milliseconds. The bound is ~100x the expected
  // time, so only a quadratic parser can fail it.
  constexpr int kArgs = 100000;
  std::string s = "*" + std::to_string(kArgs) + "\r\n";
  for (int i = 0; i < kArgs; ++i) s += "$1\r\n" + std::string(1, static_cast<char>('a' + i % 26)) + "\r\n";
  auto start = std::chrono::steady_clock::now();
  Conn c;
  for (char ch : s) c.feed({&ch, 1});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(c.events().size(), 1u);
  ASSERT_EQ(c.events()[0].argv.size(), static_cast<std::size_t>(kArgs));
  EXPECT_EQ(c.events()[0].argv[kArgs - 1], std::string(1, static_cast<char>('a' + (kArgs - 1) % 26)));
  EXPECT_LT(secs, 10.0);
  c.feed(mbulk({"PING"}));  // the oversized vectors were released; the parser still works
  ASSERT_EQ(c.events().size(), 2u);
  EXPECT_EQ(c.events()[1], command({"PING"}));
}

TEST(ParserTest, LongLinesInTinyFragmentsAreLinear) {
  // A 60 KB inline line and a 60 KB length line, a byte per call: each is scanned once.
  std::string line = "ECHO " + std::string(60000, 'x') + "\r\n";
  std::string count = "*" + std::string(59999, '1') + "\r\n";
  auto start = std::chrono::steady_clock::now();
  auto a = feed_bytes(line);
  auto b = feed_bytes(count);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].argv[1].size(), 60000u);
  EXPECT_EQ(b, std::vector<Event>{error(err::kProtoMultibulkLen)});
  EXPECT_LT(secs, 10.0);
}

// ------------------------------------------------------------------------------------------------
// split_args (sdssplitargs)

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out{"stale"};
  EXPECT_TRUE(split_args(s, &out)) << s;
  return out;
}

bool splits(std::string_view s) {
  std::vector<std::string> out;
  return split_args(s, &out);
}

TEST(SplitArgsTest, Tokens) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split(" \t\r\n\v\f"), V{});
  EXPECT_EQ(split("a b\tc\nd\re"), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(split("a\vb"), V{"a\vb"});  // \v and \f do not end an unquoted token
  EXPECT_EQ(split("\va"), V{"a"});      // ... but are skipped between tokens
  EXPECT_EQ(split("x\"a b\""), V{"xa b"});  // a quote may open mid-token
  EXPECT_EQ(split("\"\" ''"), (V{"", ""}));
  EXPECT_EQ(split("\"a\"\vb"), (V{"a", "b"}));  // any isspace() may follow a closing quote
  EXPECT_EQ(split("a\0b c"s), V{"a"});           // a C string ends at NUL
}

TEST(SplitArgsTest, DoubleQuoteEscapes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split(R"("\n\r\t\b\a\\\"")"), V{"\n\r\t\b\a\\\""});
  EXPECT_EQ(split(R"("\x41\x4a\x4A\xff")"), V{"AJJ\xff"});
  EXPECT_EQ(split(R"("\x00")"), V{"\0"s});
  EXPECT_EQ(split(R"("\q\xzz\x4")"), V{"qxzzx4"});  // unknown escapes keep the byte
  EXPECT_EQ(split(R"("\xAg")"), V{"xAg"});
  EXPECT_EQ(split(R"("it's")"), V{"it's"});
}

TEST(SplitArgsTest, SingleQuotes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split(R"('a\'b')"), V{"a'b"});
  EXPECT_EQ(split(R"('\x41\n')"), V{"\\x41\\n"});
  EXPECT_EQ(split(R"('say "hi"')"), V{"say \"hi\""});
}

TEST(SplitArgsTest, Unbalanced) {
  EXPECT_FALSE(splits("\"abc"));
  EXPECT_FALSE(splits("'abc"));
  EXPECT_FALSE(splits("'a'b"));
  EXPECT_FALSE(splits("\"a\"b"));
  EXPECT_FALSE(splits("\"a\"\"b\""));
  EXPECT_FALSE(splits("\"abc\\"));
  EXPECT_FALSE(splits(R"('\\')"));  // only \' escapes, so the second backslash escapes the quote
  EXPECT_FALSE(splits("\"a\0\""s));
  std::vector<std::string> out{"x"};
  EXPECT_FALSE(split_args("ok \"bad", &out));
  EXPECT_TRUE(out.empty());
}

// ------------------------------------------------------------------------------------------------
// ReplyWriter

class WriterTest : public ::testing::Test {
 protected:
  std::string take() {
    std::string s(out_.view());
    out_.clear();
    return s;
  }
  Buffer out_;
  ReplyWriter w_{&out_};
};

TEST_F(WriterTest, Resp2) {
  w_.simple("OK");
  w_.ok();
  w_.integer(0);
  w_.integer(-42);
  w_.integer(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(take(), "+OK\r\n+OK\r\n:0\r\n:-42\r\n:-9223372036854775808\r\n");
  w_.bulk("foo");
  w_.bulk("");
  w_.bulk("a\r\nb"s);
  EXPECT_EQ(take(), "$3\r\nfoo\r\n$0\r\n\r\n$4\r\na\r\nb\r\n");
  w_.null();
  w_.null_array();
  w_.array(3);
  w_.array(0);
  w_.map(2);
  w_.set(5);
  w_.push(3);
  EXPECT_EQ(take(), "$-1\r\n*-1\r\n*3\r\n*0\r\n*4\r\n*5\r\n*3\r\n");
  w_.boolean(true);
  w_.boolean(false);
  w_.dbl(0.1);
  w_.dbl(3);
  w_.dbl(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(take(), ":1\r\n:0\r\n$19\r\n0.10000000000000001\r\n$1\r\n3\r\n$4\r\n-inf\r\n");
  w_.verbatim("hello");
  w_.bignum("12345678901234567890");
  w_.raw("RAW");
  EXPECT_EQ(take(), "$5\r\nhello\r\n$20\r\n12345678901234567890\r\nRAW");
  EXPECT_EQ(w_.errors_written(), 0u);
}

// format_double is printf "%.17g" (Redis 7.0's addReplyDouble), whichever path it takes: the
// integer shortcut (integral values under 1e17), or to_chars. Compared with snprintf itself around
// every edge of the shortcut and over random values.
TEST(FormatDoubleTest, MatchesPrintfG17) {
  auto printf_g17 = [](double v) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
    return std::string(buf, static_cast<std::size_t>(n));
  };
  std::vector<double> values = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.1, 1e-300, 3.0, 100.0, 1e15, 1e16,
                                9007199254740992.0, 9007199254740993.0, -9007199254740992.0,
                                99999999999999984.0, 1e17, -1e17, 100000000000000016.0, 1e18,
                                9.2233720368547758e18, -9.2233720368547758e18, 1e19, 1e300,
                                std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max()};
  for (int e = 0; e < 70; ++e) {
    const double p = std::ldexp(1.0, e);
    for (double v : {p, p - 1, p + 1, -p, -(p - 1), -(p + 1), p + 0.5, std::nextafter(p, 0.0), std::nextafter(p, 1e300)})
      values.push_back(v);
  }
  for (double v = 1e16; v < 1e18; v *= 1.0000001) {
    values.push_back(v);
    values.push_back(std::nearbyint(v));
    if (values.size() > 40000) break;
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
    values.push_back(static_cast<double>(static_cast<int64_t>(rng()) >> (rng() % 64)));
    values.push_back(static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) / 4);
  }
  // Fractions, which take the 128-bit path between 2^-53 and 2^53: decimal-looking values (n / 10^j),
  // the doubles either side of every power of ten (where the exponent estimate is off by one and
  // where rounding carries into the next decade: 9.99...9 -> 10), and exact ties at the 18th digit
  // (m / 2^s with s fraction bits: printf rounds them half to even).
  for (int j = -20; j <= 20; ++j) {
    const double p = std::pow(10.0, j);
    double lo = p, hi = p;
    for (int step = 0; step < 40; ++step) {
      lo = std::nextafter(lo, 0.0);
      hi = std::nextafter(hi, 1e300);
      for (double v : {lo, hi, -lo, -hi}) values.push_back(v);
    }
  }
  for (int i = 0; i < 60000; ++i) {
    const double n = static_cast<double>(static_cast<int64_t>(rng() % 20000000001) - 10000000000);
    values.push_back(n / std::pow(10.0, static_cast<int>(rng() % 18)));
    values.push_back(static_cast<double>(static_cast<int64_t>(rng() >> (11 + rng() % 53))) /
                     std::ldexp(1.0, static_cast<int>(rng() % 110)));
    values.push_back(std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 120)));
  }
  for (int s = 1; s <= 52; ++s) {
    for (int i = 0; i < 200; ++i) values.push_back(std::ldexp(static_cast<double>((rng() >> 11) | 1), -s));
  }
  values.push_back(100000000000000.125);  // a tie at the 18th digit: ...0.12, the even neighbour
  values.push_back(100000000000000.375);  // ...0.38
  for (double v : values) ASSERT_EQ(format_double(v), printf_g17(v)) << "bits of a double, as %a: " << std::hexfloat << v;
  EXPECT_EQ(format_double(100000000000000.125), "100000000000000.12");
  EXPECT_EQ(format_double(100000000000000.375), "100000000000000.38");
  EXPECT_EQ(format_double(0.1), "0.10000000000000001");
  EXPECT_EQ(format_double(-1.5), "-1.5");
  EXPECT_EQ(format_double(0.0001), "0.0001");
  EXPECT_EQ(format_double(0.00001), "1.0000000000000001e-05");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(format_double(12345678901234567.0), "12345678901234568");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST_F(WriterTest, Resp3) {
  w_.set_resp(3);
  EXPECT_EQ(w_.resp(), 3);
  w_.null();
  w_.null_array();
  w_.map(2);
  w_.set(5);
  w_.push(3);
  w_.array(1);
  EXPECT_EQ(take(), "_\r\n_\r\n%2\r\n~5\r\n>3\r\n*1\r\n");
  w_.boolean(true);
  w_.boolean(false);
  w_.dbl(0.1);
  w_.dbl(std::numeric_limits<double>::infinity());
  w_.dbl(-0.0);
  w_.dbl(1e300);
  EXPECT_EQ(take(), "#t\r\n#f\r\n,0.10000000000000001\r\n,inf\r\n,-0\r\n,1.0000000000000001e+300\r\n");
  w_.verbatim("hello");
  w_.verbatim("x", "markdown");
  w_.verbatim("y", "md");
  w_.bignum("-123");
  EXPECT_EQ(take(), "=9\r\ntxt:hello\r\n=5\r\nmar:x\r\n=5\r\nmd :y\r\n(-123\r\n");
  w_.simple("PONG");
  w_.integer(7);
  w_.bulk("b");
  EXPECT_EQ(take(), "+PONG\r\n:7\r\n$1\r\nb\r\n");
}

TEST_F(WriterTest, ErrorsAreOneLineAndCounted) {
  w_.error(err::kWrongType);
  EXPECT_EQ(take(), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(w_.errors_written(), 1u);
  EXPECT_EQ(w_.last_error_prefix(), "WRONGTYPE");
  w_.error("ERR bad\r\nthing\rhere\n");
  EXPECT_EQ(take(), "-ERR bad  thing here\r\n");
  EXPECT_EQ(w_.last_error_prefix(), "ERR");
  w_.error("NOPROTO unsupported protocol version");
  EXPECT_EQ(w_.last_error_prefix(), "NOPROTO");
  // Redis takes the code only from a space within its first 32 bytes (counting the '-').
  w_.error(std::string(30, 'X') + " rest");
  EXPECT_EQ(w_.last_error_prefix(), std::string(30, 'X'));
  w_.error(std::string(31, 'X') + " rest");
  EXPECT_EQ(w_.last_error_prefix(), "ERR");
  EXPECT_EQ(w_.errors_written(), 5u);
  take();
  w_.set_resp(3);
  w_.error("ERR x");  // errors look the same in RESP3
  EXPECT_EQ(take(), "-ERR x\r\n");
}

TEST_F(WriterTest, LargeBulkGrowsOnce) {
  std::string big(1 << 20, 'z');
  w_.bulk(big);
  EXPECT_EQ(out_.size(), big.size() + 12);
  EXPECT_EQ(out_.view().substr(0, 11), "$1048576\r\nz");
}

}  // namespace
}  // namespace tally
