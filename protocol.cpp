// RESP request parsing and reply writing, mirroring Redis 7.0's networking.c byte for byte.
//
// Parser invariants: all progress is kept as offsets from the command's first byte (pos_, scan_,
// spans_), never as pointers, because the caller's buffer may move between calls. Each call only
// looks at bytes it has not examined before (scan_ for a length line, pos_ for whole arguments), so
// a command fed in tiny fragments costs time linear in its size. argv_ is built once, when the
// command completes. Vectors are cleared, not freed, so a warm parser does not allocate.
//
// Redis quirks kept on purpose (clients and tests depend on Redis's exact behaviour):
//  - a length line ends at the first '\r'; the byte after it must have arrived but is not checked,
//    and the 2 bytes after a bulk are skipped unchecked (`*1\r\n$4\r\nPINGxx` is PING);
//  - Redis finds line ends with strchr() on a NUL-terminated buffer, so a NUL before the terminator
//    hides it: the line never completes, and the request fails only once it outgrows the inline cap.
#include "protocol.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "commands.h"  // parse_int64 / format_int64: the one copy of Redis's string2ll / ll2string
#include "errors.h"

namespace tally {

namespace {

constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);
constexpr int64_t kUnauthMaxArgs = 10;       // networking.c: before AUTH, at most 10 arguments
constexpr int64_t kUnauthMaxBulk = 16384;    // ... and bulks of at most 16 KiB
constexpr std::size_t kArgvPrealloc = 1024;  // like Redis, never trust a huge count up front
constexpr std::size_t kArgvKeep = 65536;     // larger argument vectors are freed once used

// Clears v, and frees it when a huge command left it oversized: an idle connection should not pin
// megabytes, and reallocating costs little next to parsing that many arguments again.
template <typename T>
void clear_and_trim(std::vector<T>& v) {
  if (v.capacity() > kArgvKeep) {
    std::vector<T>().swap(v);
  } else {
    v.clear();
  }
}

// The whitespace of C's isspace() in the "C" locale, which Redis's parsers use.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// sdssplitargs reads a C string; this cursor gives '\0' past the end the same way.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  char at(std::size_t k) const { return i + k < s.size() ? s[i + k] : '\0'; }
};

char unescape(char c) {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
  }
}

// One step inside "double quotes". Returns false on a malformed quote.
bool step_double_quoted(Cursor& p, std::string& cur, bool* done) {
  char c = p.at(0);
  if (c == '\\' && p.at(1) == 'x' && is_hex(p.at(2)) && is_hex(p.at(3))) {
    cur.push_back(static_cast<char>(hex_value(p.at(2)) * 16 + hex_value(p.at(3))));
    p.i += 3;
  } else if (c == '\\' && p.at(1)) {
    ++p.i;
    cur.push_back(unescape(p.at(0)));
  } else if (c == '"') {
    if (p.at(1) && !is_space(p.at(1))) return false;  // the closing quote must end the token
    *done = true;
  } else if (!c) {
    return false;  // unterminated
  } else {
    cur.push_back(c);
  }
  return true;
}

// One step inside 'single quotes', where only \' is an escape.
bool step_single_quoted(Cursor& p, std::string& cur, bool* done) {
  char c = p.at(0);
  if (c == '\\' && p.at(1) == '\'') {
    ++p.i;
    cur.push_back('\'');
  } else if (c == '\'') {
    if (p.at(1) && !is_space(p.at(1))) return false;
    *done = true;
  } else if (!c) {
    return false;
  } else {
    cur.push_back(c);
  }
  return true;
}

// Reads one token starting at a non-space byte into cur, as sdssplitargs's inner loop does.
bool read_token(Cursor& p, std::string& cur) {
  bool in_double = false, in_single = false, done = false;
  while (!done) {
    if (in_double) {
      if (!step_double_quoted(p, cur, &done)) return false;
    } else if (in_single) {
      if (!step_single_quoted(p, cur, &done)) return false;
    } else {
      char c = p.at(0);
      // Unlike the blank skipping between tokens, only these end an unquoted token (not \v, \f).
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
        done = true;
      } else if (c == '"') {
        in_double = true;
      } else if (c == '\'') {
        in_single = true;
      } else {
        cur.push_back(c);
      }
    }
    if (p.at(0)) ++p.i;
  }
  return true;
}

// Splits into out[0..*count), reusing the strings already there so their capacity survives.
bool split_into(std::string_view line, std::vector<std::string>* out, std::size_t* count) {
  *count = 0;
  Cursor p{line.substr(0, line.find('\0'))};  // a C string ends at its first NUL
  for (;;) {
    while (p.i < p.s.size() && is_space(p.s[p.i])) ++p.i;
    if (p.i == p.s.size()) return true;
    if (*count == out->size()) out->emplace_back();
    std::string& cur = (*out)[(*count)++];
    cur.clear();
    if (!read_token(p, cur)) return false;
  }
}

// The common well-formed line, `type` + canonical digits + '\r' + one more byte, read in one pass.
// Anything else (a sign, a leading zero, 19+ digits, a missing byte) returns false and goes the
// general way, which reproduces Redis exactly; on such lines both agree by construction.
[[gnu::always_inline]] inline bool quick_length(const char* data, std::size_t len, std::size_t start, char type,
                                                int64_t* n, std::size_t* cr) {
  std::size_t i = start + 1;
  if (i >= len || data[start] != type) return false;
  uint64_t v = 0;
  if (data[i] == '0') {
    ++i;  // "0" alone; "01" fails the '\r' check below
  } else {
    std::size_t end = std::min(len, i + 18);  // 18 digits cannot overflow
    for (; i < end && data[i] >= '0' && data[i] <= '9'; ++i) v = v * 10 + static_cast<uint64_t>(data[i] - '0');
    if (i == start + 1) return false;
  }
  if (i + 1 >= len || data[i] != '\r') return false;
  *n = static_cast<int64_t>(v);
  *cr = i;
  return true;
}

// 5^k for k <= 32 (5^32 < 2^75): a value m / 2^s times 10^k is m * 5^k / 2^(s-k), exact in 128 bits.
constexpr auto kPow5 = [] {
  std::array<unsigned __int128, 33> t{};
  t[0] = 1;
  for (std::size_t k = 1; k < t.size(); ++k) t[k] = t[k - 1] * 5;
  return t;
}();

// round(m * 10^k / 2^s), ties to even (printf rounds the exact binary value so, in the default
// rounding mode). REQUIRES: 0 <= k <= 32, m < 2^53, the result < 2^64.
uint64_t scaled_round(uint64_t m, int s, int k) {
  const unsigned __int128 n = static_cast<unsigned __int128>(m) * kPow5[static_cast<std::size_t>(k)];
  const int t = s - k;  // n / 2^t
  if (t <= 0) return static_cast<uint64_t>(n << -t);
  const unsigned __int128 q = n >> t;
  const unsigned __int128 rest = n - (q << t);
  const unsigned __int128 half = static_cast<unsigned __int128>(1) << (t - 1);
  return static_cast<uint64_t>(q + (rest > half || (rest == half && (q & 1))));
}

// Writes v (< 10^4) as 4 digits, two at a time from a table of the pairs 00..99.
void put4_digits(char* p, uint32_t v) {
  static constexpr auto kPairs = [] {
    std::array<char, 200> t{};
    for (std::size_t i = 0; i < 100; ++i) {
      t[2 * i] = static_cast<char>('0' + i / 10);
      t[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
    return t;
  }();
  std::memcpy(p, &kPairs[2 * (v / 100)], 2);
  std::memcpy(p + 2, &kPairs[2 * (v % 100)], 2);
}

// Writes d (< 10^17) as exactly 17 digits, leading zeros included.
void put17_digits(char* p, uint64_t d) {
  const auto hi = static_cast<uint32_t>(d / 100'000'000);  // < 10^9
  const auto lo = static_cast<uint32_t>(d % 100'000'000);
  p[0] = static_cast<char>('0' + hi / 100'000'000);
  const uint32_t mid = hi % 100'000'000;
  put4_digits(p + 1, mid / 10000);
  put4_digits(p + 5, mid % 10000);
  put4_digits(p + 9, lo / 10000);
  put4_digits(p + 13, lo % 10000);
}

// "%.17g" of a finite v that is not an integer, with 2^-53 (about 1.1e-16) <= |v| < 2^53 (every
// such double is m / 2^s with s >= 1): its 17 significant digits, rounded as printf rounds, come from one 128-bit
// product instead of to_chars's general algorithm (about 800 instructions a score). Returns 0 where
// v is outside that range, for the caller's fallback.
std::size_t format_fraction_g17(double v, char* buf) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  const int e2 = biased - 1023;          // floor(log2 |v|)
  if (biased == 0 || e2 >= 52) return 0;  // subnormal, or no fraction bits
  const uint64_t m = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1} << 52);
  const int s = 1075 - biased;  // |v| = m / 2^s
  // floor(log10 |v|) is x or x + 1 (78913 / 2^18 is log10(2) to 6 digits; exact for |e2| < 1650).
  const int x_est = (e2 * 78913) >> 18;
  int k = 16 - x_est;  // |v| * 10^k in [10^16, 10^18)
  if (k > 32) return 0;  // |v| < 2^-53
  constexpr uint64_t kTen16 = 10'000'000'000'000'000ull;
  constexpr uint64_t kTen17 = 100'000'000'000'000'000ull;
  uint64_t d = scaled_round(m, s, k);
  if (d >= kTen17) d = scaled_round(m, s, --k);
  if (d >= kTen17) {  // rounded up to 10^17: 1 and sixteen zeros, one decade up
    d = kTen16;
    --k;
  }
  const int x = 16 - k;  // the exponent %e would print
  char digits[17];
  put17_digits(digits, d);
  int n = 17;
  while (digits[n - 1] == '0') --n;  // %g drops trailing zeros (d >= 10^16: digits[0] is not 0)
  char* p = buf;
  if (std::signbit(v)) *p++ = '-';
  if (x < -4) {  // %e style; x >= -16 here, so two exponent digits
    *p++ = digits[0];
    if (n > 1) {
      *p++ = '.';
      std::memcpy(p, digits + 1, static_cast<std::size_t>(n - 1));
      p += n - 1;
    }
    *p++ = 'e';
    *p++ = '-';
    *p++ = static_cast<char>('0' + -x / 10);
    *p++ = static_cast<char>('0' + -x % 10);
  } else if (x < 0) {  // 0.000ddd
    *p++ = '0';
    *p++ = '.';
    for (int i = -1; i > x; --i) *p++ = '0';
    std::memcpy(p, digits, static_cast<std::size_t>(n));
    p += n;
  } else {  // x <= 15: x + 1 integer digits, the rest after the point
    std::memcpy(p, digits, static_cast<std::size_t>(x + 1));
    p += x + 1;
    if (n > x + 1) {
      *p++ = '.';
      std::memcpy(p, digits + x + 1, static_cast<std::size_t>(n - x - 1));
      p += n - x - 1;
    }
  }
  return static_cast<std::size_t>(p - buf);
}

// printf "%.17g", which Redis 7.0 writes scores with. buf must hold 32 bytes.
//
// An integral value under 1e17 in magnitude takes a shortcut: "%.17g" prints it as its digits (at
// most 17 of them, so no exponent; the double's value is an integer, so every digit is exact), which
// is what format_int64 writes, at about a tenth of the cost (a leaderboard's scores are integers;
// ZRANGE 0 99 WITHSCORES spent 70% of its instructions here). -0.0 is "-0", as printf writes it.
// Fractions between 2^-53 and 2^53 take format_fraction_g17. The rest (huge, tiny and subnormal
// values) go through std::to_chars with a precision, which is specified to print exactly what printf
// does, without the locale and format-string overhead.
std::size_t format_double_into(double v, char* buf) {
  if (std::isinf(v)) {
    std::memcpy(buf, v > 0 ? "inf" : "-inf", v > 0 ? 3 : 4);
    return v > 0 ? 3 : 4;
  }
  if (std::fabs(v) < 1e17) {  // false for NaN
    const auto i = static_cast<int64_t>(v);
    if (static_cast<double>(i) == v) {
      if (i == 0 && std::signbit(v)) {
        std::memcpy(buf, "-0", 2);
        return 2;
      }
      return format_int64(i, buf);
    }
    if (std::size_t len = format_fraction_g17(v, buf)) return len;
  }
  auto r = std::to_chars(buf, buf + 32, v, std::chars_format::general, 17);
  return static_cast<std::size_t>(r.ptr - buf);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RequestParser

void RequestParser::clear_progress() {
  expected_args_ = -1;
  pos_ = 0;
  bulk_len_ = -1;
  scan_ = 0;
  clear_and_trim(spans_);
}

void RequestParser::reset() {
  clear_progress();
  argv_.clear();
  error_.clear();
  hint_ = 0;
  inline_argc_ = 0;
}

[[gnu::cold, gnu::noinline]] ParseStatus RequestParser::fail(std::string_view msg) {
  error_.assign(msg);
  clear_progress();
  return ParseStatus::kError;
}

[[gnu::cold, gnu::noinline]] RequestParser::Step RequestParser::fail_step(std::string_view msg) {
  fail(msg);
  return Step::kError;
}

[[gnu::cold, gnu::noinline]] RequestParser::Step RequestParser::fail_expected_dollar(char got) {
  fail(err::expected_dollar(got));
  return Step::kError;
}

ParseStatus RequestParser::parse(const char* data, std::size_t len, const ParserLimits& limits,
                                 std::size_t* consumed) {
  clear_and_trim(argv_);
  hint_ = 0;
  if (len == 0) return ParseStatus::kNeedMore;
  // As processInputBuffer: a request is multibulk iff its first byte is '*'.
  if (data[0] == '*') return parse_multibulk(data, len, limits, consumed);
  return parse_inline(data, len, limits, consumed);
}

// Finds `want` at or after `start` as strchr() on Redis's query buffer does: a NUL byte stops the
// search. scan_ remembers where the previous call stopped, so a line arriving a byte at a time is
// scanned once; a NUL keeps scan_ pinned on itself, so the line stays incomplete forever.
inline std::size_t RequestParser::find_terminator(const char* data, std::size_t len, std::size_t start,
                                                  char want) {
  std::size_t from = std::max(scan_, start);
  // Length lines and most inline requests are a few bytes: a plain loop beats two memchr calls.
  for (std::size_t end = std::min(len, from + 16); from < end; ++from) {
    if (data[from] == want || data[from] == '\0') {
      scan_ = from;
      return data[from] == want ? from : kNotFound;
    }
  }
  return find_terminator_long(data, len, from, want);
}

std::size_t RequestParser::find_terminator_long(const char* data, std::size_t len, std::size_t from, char want) {
  if (from >= len) {
    scan_ = len;
    return kNotFound;
  }
  const char* p = data + from;
  const char* hit = static_cast<const char*>(std::memchr(p, want, len - from));
  const char* limit = hit ? hit : data + len;
  const char* nul = static_cast<const char*>(std::memchr(p, '\0', static_cast<std::size_t>(limit - p)));
  if (nul) {
    scan_ = static_cast<std::size_t>(nul - data);
    return kNotFound;
  }
  scan_ = static_cast<std::size_t>(limit - data);
  return hit ? scan_ : kNotFound;
}

ParseStatus RequestParser::parse_inline(const char* data, std::size_t len, const ParserLimits& limits,
                                        std::size_t* consumed) {
  std::size_t nl = find_terminator(data, len, 0, '\n');
  if (nl == kNotFound) {
    if (len > static_cast<std::size_t>(limits.max_inline_len)) return fail(err::kProtoInlineTooBig);
    return ParseStatus::kNeedMore;
  }
  std::size_t line_len = (nl > 0 && data[nl - 1] == '\r') ? nl - 1 : nl;
  if (!split_into({data, line_len}, &inline_args_, &inline_argc_)) return fail(err::kProtoUnbalanced);
  clear_progress();
  *consumed = nl + 1;
  for (std::size_t i = 0; i < inline_argc_; ++i) argv_.emplace_back(inline_args_[i]);
  return inline_argc_ ? ParseStatus::kCommand : ParseStatus::kEmpty;
}

// Reads the `*<n>` or `$<n>` line at pos_ as processMultibulkBuffer does, for lines quick_length()
// declined. On kDone, *n holds the number and *cr the offset of the '\r'; range checks are the caller's.
[[gnu::noinline]] RequestParser::Step RequestParser::read_length_line(const char* data, std::size_t len,
                                                                     const ParserLimits& limits, char type,
                                                                     int64_t* n, std::size_t* cr) {
  bool count = type == '*';
  std::size_t at = find_terminator(data, len, pos_, '\r');
  if (at == kNotFound) {
    // Checked before the type byte: a long line of garbage is "too big", not "expected '$'".
    bool too_big = len - pos_ > static_cast<std::size_t>(limits.max_inline_len);
    if (!too_big) return Step::kNeedMore;
    return fail_step(count ? err::kProtoMbulkCountTooBig : err::kProtoBulkCountTooBig);
  }
  if (at + 1 >= len) return Step::kNeedMore;  // Redis waits for the (unchecked) byte after '\r'
  if (data[pos_] != type) return fail_expected_dollar(data[pos_]);  // only '$' lines can differ
  if (!parse_int64({data + pos_ + 1, at - pos_ - 1}, n)) {
    return fail_step(count ? err::kProtoMultibulkLen : err::kProtoBulkLen);
  }
  *cr = at;
  return Step::kDone;
}

// The `*<n>` line. On kDone, expected_args_ is set (0 for an empty request) and pos_ is past the line.
RequestParser::Step RequestParser::read_count(const char* data, std::size_t len, const ParserLimits& limits) {
  int64_t n = 0;
  std::size_t cr = 0;
  if (!quick_length(data, len, pos_, '*', &n, &cr)) {
    Step s = read_length_line(data, len, limits, '*', &n, &cr);
    if (s != Step::kDone) return s;
  }
  if (n > INT_MAX) return fail_step(err::kProtoMultibulkLen);
  if (n > kUnauthMaxArgs && !limits.authenticated) return fail_step(err::kProtoUnauthMultibulk);
  pos_ = cr + 2;
  expected_args_ = n > 0 ? n : 0;
  spans_.reserve(std::min(static_cast<std::size_t>(expected_args_), kArgvPrealloc));
  return Step::kDone;
}

// A `$<n>` line. On kDone, bulk_len_ is set and pos_ is at the bulk's first byte.
RequestParser::Step RequestParser::read_bulk_len(const char* data, std::size_t len, const ParserLimits& limits) {
  int64_t n = 0;
  std::size_t cr = 0;
  if (!quick_length(data, len, pos_, '$', &n, &cr)) {
    Step s = read_length_line(data, len, limits, '$', &n, &cr);
    if (s != Step::kDone) return s;
  }
  if (n < 0 || n > limits.max_bulk_len) return fail_step(err::kProtoBulkLen);
  if (n > kUnauthMaxBulk && !limits.authenticated) return fail_step(err::kProtoUnauthBulk);
  pos_ = cr + 2;
  bulk_len_ = n;
  return Step::kDone;
}

// The common case in one pass: a whole command at the start of the buffer whose length lines all
// take quick_length()'s form and pass every limit. It produces exactly what the step-by-step parse
// below would for the same bytes, and changes no progress state; anything else (an incomplete
// command, an error to report, an unusual length line) returns false with argv_ empty, and the
// step-by-step parse starts over from the first byte. Worth about a third of the parse's
// instructions on small commands (callgrind, PING_MBULK -P 16).
bool RequestParser::parse_whole(const char* data, std::size_t len, const ParserLimits& limits,
                                std::size_t* consumed, std::vector<std::string_view>* out) {
  int64_t n = 0, b = 0;
  std::size_t cr = 0;
  if (!quick_length(data, len, 0, '*', &n, &cr) || n <= 0 || n > INT_MAX) return false;
  if (n > kUnauthMaxArgs && !limits.authenticated) return false;
  const std::size_t had = out->size();
  std::size_t pos = cr + 2;
  for (int64_t i = 0; i < n; ++i) {
    if (!quick_length(data, len, pos, '$', &b, &cr) || b > limits.max_bulk_len ||
        (b > kUnauthMaxBulk && !limits.authenticated) || len - (cr + 2) < static_cast<std::size_t>(b) + 2) {
      out->resize(had);
      return false;
    }
    out->emplace_back(data + cr + 2, static_cast<std::size_t>(b));
    pos = cr + 2 + static_cast<std::size_t>(b) + 2;
  }
  *consumed = pos;
  return true;
}

std::size_t RequestParser::parse_ahead(const char* data, std::size_t len, const ParserLimits& limits,
                                      std::size_t max, std::vector<std::string_view>* args, std::size_t* arg_ends,
                                      std::size_t* ends) {
  if (expected_args_ >= 0) return 0;  // a command is part read: parse() goes on with it
  std::size_t taken = 0, pos = 0, consumed = 0;
  while (taken < max && pos < len && data[pos] == '*' &&
         parse_whole(data + pos, len - pos, limits, &consumed, args)) {
    pos += consumed;
    arg_ends[taken] = args->size();
    ends[taken++] = pos;
  }
  if (taken) scan_ = 0;  // as in parse_multibulk: the first command may be one whose count line came in pieces
  return taken;
}

ParseStatus RequestParser::parse_multibulk(const char* data, std::size_t len, const ParserLimits& limits,
                                           std::size_t* consumed) {
  if (expected_args_ < 0 && parse_whole(data, len, limits, consumed, &argv_)) {
    scan_ = 0;  // a count line that came in pieces left it inside this command
    return ParseStatus::kCommand;
  }
  if (expected_args_ < 0) {
    Step s = read_count(data, len, limits);
    if (s != Step::kDone) return s == Step::kError ? ParseStatus::kError : ParseStatus::kNeedMore;
    if (expected_args_ == 0) {  // `*0`, `*-1`: Redis skips the line
      *consumed = pos_;
      clear_progress();
      return ParseStatus::kEmpty;
    }
  }
  while (spans_.size() < static_cast<std::size_t>(expected_args_)) {
    if (bulk_len_ < 0) {
      Step s = read_bulk_len(data, len, limits);
      if (s != Step::kDone) return s == Step::kError ? ParseStatus::kError : ParseStatus::kNeedMore;
    }
    // The bulk and the 2 bytes after it must be here; those 2 bytes are skipped unchecked.
    std::size_t end = pos_ + static_cast<std::size_t>(bulk_len_) + 2;
    if (len < end) {
      hint_ = end;
      return ParseStatus::kNeedMore;
    }
    spans_.emplace_back(pos_, static_cast<std::size_t>(bulk_len_));
    pos_ = end;
    bulk_len_ = -1;
  }
  for (const auto& [off, n] : spans_) argv_.emplace_back(data + off, n);
  *consumed = pos_;
  clear_progress();
  return ParseStatus::kCommand;
}

bool split_args(std::string_view line, std::vector<std::string>* out) {
  std::size_t count = 0;
  bool ok = split_into(line, out, &count);
  out->resize(ok ? count : 0);
  return ok;
}

std::string repr_bytes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (c >= ' ' && c <= '~') {
          out += c;
        } else {
          static constexpr char kHex[] = "0123456789abcdef";
          unsigned char u = static_cast<unsigned char>(c);
          out += {'\\', 'x', kHex[u >> 4], kHex[u & 15]};
        }
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// Number formatting

std::string format_double(double v) {
  char buf[32];
  return std::string(buf, format_double_into(v, buf));
}

std::string format_long_double(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // MAX_LONG_DOUBLE_CHARS: "%.17Lf" of the largest long double (4933 digits) fits.
  char buf[5 * 1024];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof(buf)) return "";
  std::size_t l = static_cast<std::size_t>(n);
  if (std::memchr(buf, '.', l)) {
    while (buf[l - 1] == '0') --l;
    if (buf[l - 1] == '.') --l;
  }
  if (l == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, l);
}

// ---------------------------------------------------------------------------------------------
// ReplyWriter

void ReplyWriter::header(char type, int64_t n) {
  char buf[32];
  buf[0] = type;
  std::size_t l = 1 + format_int64(n, buf + 1);
  buf[l++] = '\r';
  buf[l++] = '\n';
  out_->append(buf, l);
}

void ReplyWriter::error(std::string_view s) {
  // As addReplyErrorFormat: CR/LF at the ends are trimmed and the others become spaces, so a
  // user-supplied text can never break the protocol.
  while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  out_->ensure_tail(s.size() + 3);
  out_->push_back('-');
  char* text = out_->tail();
  out_->append(s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') text[i] = ' ';
  }
  out_->append("\r\n", 2);
  ++errors_;
  // As afterErrorReply: the code is the first word if a space comes within Redis's 32-byte window
  // (which counts the '-'), else "ERR".
  std::size_t space = s.substr(0, 31).find(' ');
  last_error_prefix_.assign(space == std::string_view::npos ? std::string_view("ERR") : s.substr(0, space));
}

void ReplyWriter::integer(int64_t v) { header(':', v); }

void ReplyWriter::bulk(std::string_view s) {
  // Written straight into the buffer's tail: one growth check and no staging copy.
  out_->ensure_tail(s.size() + 32);
  char* t = out_->tail();
  t[0] = '$';
  std::size_t l = 1 + format_int64(static_cast<int64_t>(s.size()), t + 1);
  t[l++] = '\r';
  t[l++] = '\n';
  std::memcpy(t + l, s.data(), s.size());
  l += s.size();
  t[l++] = '\r';
  t[l++] = '\n';
  out_->commit(l);
}

void ReplyWriter::null() { raw(resp_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::null_array() { raw(resp_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::array(std::size_t n) { header('*', static_cast<int64_t>(n)); }

void ReplyWriter::map(std::size_t pairs) {
  if (resp_ >= 3) {
    header('%', static_cast<int64_t>(pairs));
  } else {
    header('*', static_cast<int64_t>(pairs * 2));
  }
}

void ReplyWriter::set(std::size_t n) { header(resp_ >= 3 ? '~' : '*', static_cast<int64_t>(n)); }

void ReplyWriter::push(std::size_t n) { header(resp_ >= 3 ? '>' : '*', static_cast<int64_t>(n)); }

void ReplyWriter::boolean(bool b) {
  if (resp_ >= 3) {
    raw(b ? "#t\r\n" : "#f\r\n");
  } else {
    raw(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::dbl(double v) {
  char buf[32];
  std::size_t l = format_double_into(v, buf);
  if (resp_ < 3) return bulk({buf, l});
  out_->ensure_tail(l + 3);
  out_->push_back(',');
  out_->append(buf, l);
  out_->append("\r\n", 2);
}

void ReplyWriter::verbatim(std::string_view s, std::string_view format) {
  if (resp_ < 3) return bulk(s);
  // As addReplyVerbatim: the format is exactly 3 bytes, cut, or padded with spaces from its end
  // (a C string, so from a NUL on).
  char fmt[4] = {' ', ' ', ' ', ':'};
  format = format.substr(0, std::min(format.find('\0'), std::size_t{3}));
  std::memcpy(fmt, format.data(), format.size());
  header('=', static_cast<int64_t>(s.size() + 4));
  out_->ensure_tail(s.size() + 6);
  out_->append(fmt, 4);
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::bignum(std::string_view digits) {
  if (resp_ < 3) return bulk(digits);
  out_->ensure_tail(digits.size() + 3);
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n", 2);
}

}  // namespace tally
