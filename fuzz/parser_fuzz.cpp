// libFuzzer target: RequestParser (protocol.h) fed the way server.cpp feeds it.
//
// Input: byte 0 picks the limits (authenticated or not, proto-max-bulk-len, a small inline cap),
// byte 1 seeds the chunk sizes, the rest is what a client sends. The stream is parsed twice: once
// whole, and once in random-sized chunks the way Worker::read_and_run does (unconsumed bytes stay
// buffered, each call starts at the same command byte, and the buffer moves to a fresh exact-size
// allocation for every read, so ASan catches a stale pointer or a read past `len`).
//
// Checked on every call: consumed is in 1..len on kCommand/kEmpty; kCommand has at least one
// argument; multibulk arguments point inside the consumed bytes; an error has Redis's "ERR Protocol
// error" text; bytes_hint never asks for more than one bulk past what it has seen. Across the two
// runs: the commands produced before either run's first error are identical (the size caps of a line
// with no terminator yet depend on how the bytes arrive, as in Redis, so errors may differ).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.h"

namespace {

using tally::ParserLimits;
using tally::ParseStatus;
using tally::RequestParser;

// One outcome of a parse() call that consumed something: a command's arguments, an empty request,
// or an error (its text).
struct Event {
  ParseStatus status;
  std::vector<std::string> argv;
  bool operator==(const Event&) const = default;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "parser_fuzz invariant broken: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

ParserLimits limits_from(uint8_t b) {
  ParserLimits l;
  l.authenticated = (b & 1) == 0;
  static constexpr int64_t kBulk[] = {512LL * 1024 * 1024, 16, 1024, 1024 * 1024};
  l.max_bulk_len = kBulk[(b >> 1) & 3];
  if (b & 8) l.max_inline_len = 16 + (b >> 4) * 8;
  return l;
}

// Parses the complete commands at the start of `bytes`, as one read's worth: the bytes sit in a fresh
// exact-size allocation (a connection's buffer moves between reads, never within one). Appends the
// events and returns how many bytes they used, or stops at an error (*errored = true).
std::size_t run_buffer(RequestParser& p, const std::string& bytes, const ParserLimits& limits,
                       std::vector<Event>* events, bool* errored) {
  if (bytes.empty()) return 0;
  std::unique_ptr<char[]> copy(new char[bytes.size()]);
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const char* data = copy.get() + pos;
    std::size_t len = bytes.size() - pos;
    std::size_t consumed = 0;
    ParseStatus st = p.parse(data, len, limits, &consumed);
    if (st == ParseStatus::kNeedMore) {
      // A hint is the current argument's end: at most one capped bulk past the bytes seen.
      check(p.bytes_hint() <= len + static_cast<std::size_t>(limits.max_bulk_len) + 2, "bytes_hint out of range");
      break;
    }
    if (st == ParseStatus::kError) {
      check(p.error().starts_with("ERR Protocol error"), "error text");
      events->push_back({st, {std::string(p.error())}});
      *errored = true;
      return pos;
    }
    check(consumed > 0 && consumed <= len, "consumed out of range");
    Event ev{st, {}};
    if (st == ParseStatus::kCommand) {
      check(!p.argv().empty(), "kCommand without arguments");
      for (std::string_view a : p.argv()) {
        if (data[0] == '*') {
          check(a.data() >= data && a.data() + a.size() <= data + consumed, "argument outside command");
          check(static_cast<int64_t>(a.size()) <= limits.max_bulk_len, "bulk over the cap");
        }
        ev.argv.emplace_back(a);  // reads every byte: ASan checks they are live
      }
      if (data[0] == '*' && !limits.authenticated) check(ev.argv.size() <= 10, "unauthenticated argument count");
    } else {
      check(p.argv().empty(), "kEmpty with arguments");
    }
    events->push_back(std::move(ev));
    pos += consumed;
  }
  return pos;
}

// xorshift: chunk sizes from the seed byte, reproducible per input.
struct Rng {
  uint32_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ParserLimits limits = limits_from(data[0]);
  Rng rng{0x9e3779b9u ^ (static_cast<uint32_t>(data[1]) * 2654435761u)};
  const std::string stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  // Whole: everything arrives in one read.
  std::vector<Event> whole;
  bool whole_error = false;
  {
    RequestParser p;
    run_buffer(p, stream, limits, &whole, &whole_error);
  }

  // Chunked: reads of 1..64 or 1..1024 bytes, the unconsumed tail kept as the server keeps it.
  std::vector<Event> chunked;
  bool chunked_error = false;
  {
    RequestParser p;
    std::string pending;
    std::size_t at = 0;
    while (at < stream.size() && !chunked_error) {
      uint32_t r = rng.next();
      std::size_t n = (r & 1) == 0 ? 1 + (r >> 8) % 1024 : 1 + (r >> 8) % 64;
      n = std::min(n, stream.size() - at);
      pending.append(stream, at, n);
      at += n;
      std::size_t used = run_buffer(p, pending, limits, &chunked, &chunked_error);
      pending.erase(0, used);
    }
  }

  // The commands before the first error agree, and with no error at all, everything agrees.
  std::size_t common = std::min(whole.size(), chunked.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (whole[i].status == ParseStatus::kError || chunked[i].status == ParseStatus::kError) break;
    check(whole[i] == chunked[i], "whole and chunked parses differ");
  }
  if (!whole_error && !chunked_error) check(whole.size() == chunked.size(), "whole and chunked counts differ");
  return 0;
}
