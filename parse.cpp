// Argument parsing shared by the command handlers and the protocol layer, with Redis 7.0's exact
// acceptance rules (util.c string2ll / ll2string / stringmatchlen, object.c string2d / string2ld).
// A client that gets "value is not an integer" from Redis must get it from Tally too, so every
// quirk below is deliberate.
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands.h"

#include <random>

namespace tally {

namespace {

constexpr std::size_t kLongStrSize = 21;            // LONG_STR_SIZE: longer input cannot be an int64
constexpr std::size_t kMaxLongDoubleChars = 5 * 1024;  // MAX_LONG_DOUBLE_CHARS
constexpr int kMaxGlobNesting = 1000;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool c_isspace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// strtod/strtold need a NUL-terminated copy; arguments are views into the query buffer.
template <typename T, T (*Convert)(const char*, char**)>
bool parse_float(std::string_view s, T* out) {
  if (s.empty() || c_isspace(s[0])) return false;
  char small[128];
  std::string big;
  const char* p = small;
  if (s.size() < sizeof(small)) {
    std::memcpy(small, s.data(), s.size());
    small[s.size()] = '\0';
  } else {
    big.assign(s);
    p = big.c_str();
  }
  errno = 0;
  char* end = nullptr;
  T v = Convert(p, &end);
  // The whole argument must be consumed (so an embedded NUL fails); overflow to infinity and
  // underflow to zero are errors, while a denormal result (also ERANGE) is accepted, as in Redis.
  if (static_cast<std::size_t>(end - p) != s.size()) return false;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return false;
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

double call_strtod(const char* p, char** end) { return std::strtod(p, end); }
long double call_strtold(const char* p, char** end) { return std::strtold(p, end); }

// A bounds-safe view of the pattern: Redis's matcher reads pattern[1] and *pattern past the length
// and finds the NUL terminator there, so out-of-range reads yield '\0'.
struct Pat {
  const char* p;
  std::size_t n;
  char at(std::size_t i) const { return i < n ? p[i] : '\0'; }
  void advance(std::size_t k = 1) { p += k, n -= k; }
};

// One [...] class against the byte c. On return pat is on the closing ']' (or the last byte when
// the class is unterminated), as the caller's common advance expects.
bool match_class(Pat& pat, char c, bool nocase) {
  pat.advance();  // the '['
  bool negate = pat.at(0) == '^';
  if (negate) pat.advance();
  bool match = false;
  for (;;) {
    if (pat.at(0) == '\\' && pat.n >= 2) {
      pat.advance();
      if (pat.at(0) == c) match = true;  // escapes compare exactly, even with nocase
    } else if (pat.at(0) == ']') {
      break;
    } else if (pat.n == 0) {
      pat.p--, pat.n++;  // unterminated: step back so the caller's advance ends the pattern
      break;
    } else if (pat.n >= 3 && pat.at(1) == '-') {
      int start = static_cast<signed char>(pat.at(0));  // Redis compares plain (signed) chars
      int end = static_cast<signed char>(pat.at(2));
      int ch = static_cast<signed char>(c);
      if (start > end) std::swap(start, end);
      if (nocase) {
        start = static_cast<signed char>(lower(static_cast<char>(start)));
        end = static_cast<signed char>(lower(static_cast<char>(end)));
        ch = static_cast<signed char>(lower(c));
      }
      pat.advance(2);
      if (ch >= start && ch <= end) match = true;
    } else if (nocase ? lower(pat.at(0)) == lower(c) : pat.at(0) == c) {
      match = true;
    }
    pat.advance();
  }
  return negate ? !match : match;
}

// stringmatchlen_impl. skip_longer is Redis's guard against exponential backtracking: once the rest
// of the pattern after a '*' matched nowhere, no earlier '*' can help. nesting bounds the recursion
// (one level per '*') exactly as 7.0.15 does: a pattern with more than 1000 stars matches nothing.
bool match_impl(Pat pat, std::string_view str, bool nocase, bool* skip_longer, int nesting) {
  if (nesting > kMaxGlobNesting) return false;
  std::size_t si = 0;
  while (pat.n && si < str.size()) {
    switch (pat.at(0)) {
      case '*':
        while (pat.n && pat.at(1) == '*') pat.advance();
        if (pat.n == 1) return true;
        for (; si < str.size(); ++si) {
          Pat rest{pat.p + 1, pat.n - 1};
          if (match_impl(rest, str.substr(si), nocase, skip_longer, nesting + 1)) return true;
          if (*skip_longer) return false;
        }
        *skip_longer = true;
        return false;
      case '?':
        ++si;
        break;
      case '[':
        if (!match_class(pat, str[si], nocase)) return false;
        ++si;
        break;
      case '\\':
        if (pat.n >= 2) pat.advance();
        [[fallthrough]];
      default:
        if (nocase ? lower(pat.at(0)) != lower(str[si]) : pat.at(0) != str[si]) return false;
        ++si;
        break;
    }
    pat.advance();
    if (si == str.size()) {
      while (pat.n && pat.at(0) == '*') pat.advance();
      break;
    }
  }
  return pat.n == 0 && si == str.size();
}

}  // namespace

// string2ll: no sign but '-', no leading zeros, no spaces, no "-0", at most 20 bytes, no overflow.
bool parse_int64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() >= kLongStrSize) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  std::size_t i = 0;
  bool negative = s[0] == '-';
  if (negative && ++i == s.size()) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = static_cast<uint64_t>(s[i++] - '0');
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);  // wraps to INT64_MIN for 2^63, as intended
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// string2d: strtod over the whole argument, no leading space, no NaN, no overflow or underflow to 0.
bool parse_double(std::string_view s, double* out) { return parse_float<double, call_strtod>(s, out); }

// string2ld: the same with strtold, and arguments of MAX_LONG_DOUBLE_CHARS or more are refused.
bool parse_long_double(std::string_view s, long double* out) {
  if (s.size() >= kMaxLongDoubleChars) return false;
  return parse_float<long double, call_strtold>(s, out);
}

std::size_t format_int64(int64_t v, char* buf) {
  // libstdc++'s to_chars writes two digits per step from a table, like Redis's ll2string.
  return static_cast<std::size_t>(std::to_chars(buf, buf + 21, v).ptr - buf);
}

bool iequals(std::string_view a, std::string_view lower_lit) {
  if (a.size() != lower_lit.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower_lit[i]) return false;
  }
  return true;
}

bool glob_match(std::string_view pattern, std::string_view str, bool nocase) {
  bool skip_longer = false;
  return match_impl(Pat{pattern.data(), pattern.size()}, str, nocase, &skip_longer, 0);
}

// Parses a SCAN cursor as Redis does with strtoul: optional sign, digits only, no overflow, no leading
// space; a negative cursor wraps, and "" reads as 0.
bool parse_cursor(std::string_view s, uint64_t* out) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) {
    *out = 0;
    return s.empty();
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = negative ? 0 - v : v;
  return true;
}

uint64_t random_bits() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace tally
