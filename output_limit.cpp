// Output limit decisions for normal clients; see output_limit.h.
#include "output_limit.h"

#include <string>

#include "client.h"
#include "config.h"
#include "log.h"

namespace tally {

namespace {

const OutputBufferLimit& normal_limits(const Config& cfg) {
  return cfg.obuf_limits[static_cast<int>(ClientClass::kNormal)];
}

uint64_t threshold(int64_t limit) {
  return limit > 0 ? static_cast<uint64_t>(limit) + kReplyBufferBytes : UINT64_MAX;
}

}  // namespace

OutputThresholds output_thresholds(const Config& cfg) {
  const OutputBufferLimit& l = normal_limits(cfg);
  return {threshold(l.soft.load(std::memory_order_relaxed)), threshold(l.hard.load(std::memory_order_relaxed))};
}

bool hard_limit_reached(const Config& cfg, Client& c) {
  if (c.out.size() < output_thresholds(cfg).hard) return false;
  c.obuf_bytes.store(c.out.size(), std::memory_order_relaxed);  // the log line's omem
  log_line(LogLevel::kWarning,
           "Client " + client_info_string(c) + " scheduled to be closed ASAP for overcoming of output buffer limits.");
  return true;
}

bool soft_limit_expired(const Config& cfg, Client& c, int64_t now_ms) {
  int64_t seconds = normal_limits(cfg).soft_seconds.load(std::memory_order_relaxed);
  // As Redis: whole seconds elapsed, strictly more than soft-seconds.
  if (seconds <= 0 || !c.soft_since_ms || (now_ms - c.soft_since_ms) / 1000 <= seconds) return false;
  log_line(LogLevel::kWarning, "Client " + client_info_string(c) + " closed for overcoming of output buffer limits.");
  return true;
}

}  // namespace tally
