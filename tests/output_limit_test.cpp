// Output limit decisions (output_limit.h): thresholds past Redis's 16 KiB reply buffer, "0 means
// none", the hard limit, and soft-seconds counted in whole seconds as Redis counts them.
#include "output_limit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "client.h"
#include "config.h"

namespace tally {
namespace {

OutputBufferLimit& normal(Config& cfg) { return cfg.obuf_limits[static_cast<int>(ClientClass::kNormal)]; }

void set_normal(Config& cfg, int64_t hard, int64_t soft, int64_t seconds) {
  normal(cfg).hard.store(hard);
  normal(cfg).soft.store(soft);
  normal(cfg).soft_seconds.store(seconds);
}

TEST(OutputLimitDecisionTest, ThresholdsCountPastTheFixedReplyBuffer) {
  Config cfg;
  OutputThresholds t = output_thresholds(cfg);  // defaults: 1gb hard, 64mb soft
  EXPECT_EQ(t.soft, (64ULL << 20) + 16384);
  EXPECT_EQ(t.hard, (1ULL << 30) + 16384);
  set_normal(cfg, 0, 0, 0);
  t = output_thresholds(cfg);
  EXPECT_EQ(t.soft, UINT64_MAX);
  EXPECT_EQ(t.hard, UINT64_MAX);
  EXPECT_EQ(limited_output(100), 0u);
  EXPECT_EQ(limited_output(16384), 0u);
  EXPECT_EQ(limited_output(16385), 1u);
}

TEST(OutputLimitDecisionTest, HardLimit) {
  Config cfg;
  set_normal(cfg, 1000, 0, 0);
  Client c(1, -1);
  c.out.append(std::string(16384 + 999, 'x'));
  EXPECT_FALSE(hard_limit_reached(cfg, c));
  c.out.push_back('x');  // 1000 past the fixed buffer: at the limit
  EXPECT_TRUE(hard_limit_reached(cfg, c));
  EXPECT_EQ(c.obuf_bytes.load(), 16384u + 1000) << "the log line shows what was pending";
  set_normal(cfg, 0, 0, 0);
  EXPECT_FALSE(hard_limit_reached(cfg, c)) << "0 means no limit";
}

TEST(OutputLimitDecisionTest, SoftSecondsInWholeSeconds) {
  Config cfg;
  set_normal(cfg, 0, 1000, 2);
  Client c(1, -1);
  EXPECT_FALSE(soft_limit_expired(cfg, c, 1'000'000)) << "never over the soft limit";
  c.soft_since_ms = 10'000;
  EXPECT_FALSE(soft_limit_expired(cfg, c, 12'999));  // 2 whole seconds: not more than 2
  EXPECT_TRUE(soft_limit_expired(cfg, c, 13'000));
  set_normal(cfg, 0, 1000, 0);
  EXPECT_FALSE(soft_limit_expired(cfg, c, 100'000)) << "soft-seconds 0: only a pause, never a close";
}

}  // namespace
}  // namespace tally
