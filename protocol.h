// RESP request parser and reply writer.
//
// RequestParser decodes one command at a time from a connection's input bytes: RESP multibulk
// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or an inline line (`GET k\r\n`, with quoted arguments and escapes
// as redis-cli and Redis's sdssplitargs accept them). It is incremental: when a command is incomplete
// it remembers how far it got (as offsets from the command's first byte), so feeding a huge command in
// many fragments costs linear time. Every length is checked against its limit before anything is
// allocated or awaited. Errors carry Redis's exact reply text; after one the connection must be closed.
//
// ReplyWriter appends RESP2 or RESP3 (after HELLO 3) replies to an output Buffer.
//
// Thread-safety: none; each connection owns its parser and writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "buffer.h"

namespace tally {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_inline_len = 64 * 1024;          // PROTO_INLINE_MAX_SIZE: also caps a length line
  bool authenticated = true;  // false: Redis's tighter unauthenticated limits apply (10 args, 16 KiB bulk)
};

enum class ParseStatus {
  kCommand,   // argv() holds a complete command; `consumed` bytes belong to it
  kEmpty,     // a request with no arguments (blank inline line, `*0`, `*-1`): skip `consumed` bytes
  kNeedMore,  // incomplete; call again with the same bytes plus more (nothing is consumed)
  kError,     // protocol error: reply error() and close the connection after flushing
};

class RequestParser {
 public:
  // Parses the command at the start of [data, data+len). `data` must begin at the same command byte
  // as on the previous call that returned kNeedMore (the bytes may have moved in memory).
  // On kCommand/kEmpty sets *consumed and resets for the next command.
  ParseStatus parse(const char* data, std::size_t len, const ParserLimits& limits, std::size_t* consumed);

  // Valid after kCommand until the next parse() call or until the input bytes change. The views point
  // into the input bytes, or into the parser's own storage for unescaped inline arguments.
  std::span<const std::string_view> argv() const { return argv_; }

  // After kError: the error reply text without the leading '-' and trailing CRLF,
  // e.g. "ERR Protocol error: invalid bulk length".
  std::string_view error() const { return error_; }

  // After kNeedMore: how many bytes in total (from the command start) the parser knows it needs; lets
  // the caller reserve room for a large bulk argument in one step. 0 if unknown.
  std::size_t bytes_hint() const { return hint_; }

  void reset();

  // For a worker running a pipelined batch: whole multibulk commands at the start of [data, data+len),
  // each exactly as parse() would return it, taken while this parser holds no partial command.
  // Appends each command's arguments to *args, and stores where its arguments end in *args and where
  // its bytes end in `ends` (offsets from data); stops after `max` commands or at the first one the
  // one-pass parse declines (incomplete, malformed, past a limit, inline), which parse() then takes.
  // Returns how many it took. The views stay valid while the bytes do.
  std::size_t parse_ahead(const char* data, std::size_t len, const ParserLimits& limits, std::size_t max,
                          std::vector<std::string_view>* args, std::size_t* arg_ends, std::size_t* ends);

 private:
  // Outcome of one step of a multibulk parse (a length line).
  enum class Step { kDone, kNeedMore, kError };

  ParseStatus parse_inline(const char* data, std::size_t len, const ParserLimits& limits, std::size_t* consumed);
  bool parse_whole(const char* data, std::size_t len, const ParserLimits& limits, std::size_t* consumed,
                   std::vector<std::string_view>* out);
  ParseStatus parse_multibulk(const char* data, std::size_t len, const ParserLimits& limits, std::size_t* consumed);
  Step read_count(const char* data, std::size_t len, const ParserLimits& limits);
  Step read_bulk_len(const char* data, std::size_t len, const ParserLimits& limits);
  Step read_length_line(const char* data, std::size_t len, const ParserLimits& limits, char type, int64_t* n,
                        std::size_t* cr);
  std::size_t find_terminator(const char* data, std::size_t len, std::size_t start, char want);
  std::size_t find_terminator_long(const char* data, std::size_t len, std::size_t from, char want);
  // Error paths, kept out of line so the hot path stays small.
  ParseStatus fail(std::string_view msg);
  Step fail_step(std::string_view msg);
  Step fail_expected_dollar(char got);
  void clear_progress();

  std::vector<std::string_view> argv_;
  std::string error_;
  std::size_t hint_ = 0;

  // Progress through the current command, as offsets from its first byte (the bytes may move
  // between calls). Cleared when a command completes or fails.
  int64_t expected_args_ = -1;  // multibulk argument count; -1: the `*<n>` line is not parsed yet
  std::size_t pos_ = 0;         // offset of the next unparsed byte
  int64_t bulk_len_ = -1;       // length of the bulk being read; -1: its `$<n>` line is not parsed yet
  std::size_t scan_ = 0;        // the current line holds no terminator before this offset
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset, length) of each parsed arg

  // Inline arguments after unescaping. Only the first inline_argc_ are live; the rest keep their
  // capacity so inline commands stop allocating once warm.
  std::vector<std::string> inline_args_;
  std::size_t inline_argc_ = 0;
};

// Splits an inline line into arguments as Redis's sdssplitargs does. Returns false on unbalanced
// quotes (including a closing quote not followed by a space). Exposed for tests and redis.conf parsing.
bool split_args(std::string_view line, std::vector<std::string>* out);

// Quotes bytes for a log line as Redis's sdscatrepr does: "a\r\n\x00" (backslash escapes for \\ \" \n
// \r \t \a \b, \xHH for other non-printable bytes).
std::string repr_bytes(std::string_view s);

// Formats a double as Redis 7.0's addReplyDouble does: "inf" / "-inf" for infinities, otherwise
// printf "%.17g" (0.1 -> "0.10000000000000001", 3 -> "3", -0.0 -> "-0", 1e300 ->
// "1.0000000000000001e+300"). A RESP3 double (`,`) carries the same text.
std::string format_double(double v);
// Formats as Redis's ld2string in LD_STR_HUMAN mode (INCRBYFLOAT, HINCRBYFLOAT): "inf" / "-inf" for
// infinities, otherwise printf "%.17Lf", then the trailing zeros after the '.' are dropped, then a
// trailing '.', and "-0" becomes "0" (10.5 + 0.1 -> "10.6", 3.0e3 -> "3000", 1e-20 -> "0").
std::string format_long_double(long double v);

class ReplyWriter {
 public:
  explicit ReplyWriter(Buffer* out, int resp = 2) : out_(out), resp_(resp) {}
  void set_resp(int resp) { resp_ = resp; }
  int resp() const { return resp_; }
  Buffer* buffer() { return out_; }

  void simple(std::string_view s) {  // +s; inline, so a literal's copy is a fixed-size store
    out_->ensure_tail(s.size() + 3);
    char* t = out_->tail();
    t[0] = '+';
    std::memcpy(t + 1, s.data(), s.size());
    t[s.size() + 1] = '\r';
    t[s.size() + 2] = '\n';
    out_->commit(s.size() + 3);
  }
  void ok() { raw("+OK\r\n"); }
  void error(std::string_view s);          // -s   (s holds the prefix: "ERR ...", "WRONGTYPE ...")
  void integer(int64_t v);                 // :v
  void bulk(std::string_view s);           // $n s
  void null();                             // RESP2 $-1, RESP3 _
  void null_array();                       // RESP2 *-1, RESP3 _
  void array(std::size_t n);               // *n
  void map(std::size_t pairs);             // RESP2 *2n, RESP3 %n
  void set(std::size_t n);                 // RESP2 *n, RESP3 ~n
  void push(std::size_t n);                // RESP3 >n (RESP2 *n)
  void boolean(bool b);                    // RESP2 :1/:0, RESP3 #t/#f
  void dbl(double v);                      // RESP2 bulk of format_double, RESP3 ,v
  void verbatim(std::string_view s, std::string_view format = "txt");  // RESP3 =, RESP2 bulk
  void bignum(std::string_view digits);    // RESP3 (, RESP2 bulk
  void raw(std::string_view bytes) { out_->append(bytes); }

  // Error bookkeeping for INFO errorstats / commandstats failed_calls.
  uint64_t errors_written() const { return errors_; }
  std::string_view last_error_prefix() const { return last_error_prefix_; }

 private:
  void header(char type, int64_t n);

  Buffer* out_;
  int resp_;
  uint64_t errors_ = 0;
  std::string last_error_prefix_;
};

}  // namespace tally
