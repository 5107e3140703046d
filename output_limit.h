// Output limits of normal clients (client-output-buffer-limit normal <hard> <soft> <soft-seconds>):
// the decisions, with Redis's log lines. server.cpp's workers act on them: they pause a client's
// input while it is over the soft limit and close it when one of the checks below says so.
//
// All sizes here are of a client's whole pending output (Client::out); the limits apply to the part
// past Redis's 16 KiB fixed reply buffer (limited_output in client.h). A limit of 0 means none.
// Thread-safety: call from the client's worker; the limits are atomics that CONFIG SET may change.
#pragma once

#include <cstdint>

namespace tally {

struct Client;
struct Config;

struct OutputThresholds {
  uint64_t soft;  // pending output at which the client's input pauses (UINT64_MAX: never)
  uint64_t hard;  // pending output at which it is closed (UINT64_MAX: never)
};
OutputThresholds output_thresholds(const Config& cfg);

// True when c's pending output reached the hard limit; then logs Redis's line for a client it
// closes at once ("... scheduled to be closed ASAP for overcoming of output buffer limits.").
bool hard_limit_reached(const Config& cfg, Client& c);

// True when c has been over the soft limit since soft_since_ms for longer than soft-seconds (when
// that is set); then logs Redis's line for a client closed by its cron ("... closed for overcoming
// of output buffer limits.").
bool soft_limit_expired(const Config& cfg, Client& c, int64_t now_ms);

}  // namespace tally
