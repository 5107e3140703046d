// client-output-buffer-limit parsing: config file lines, flags and CONFIG SET, each class kept, and
// Redis 7.0's error texts (checked against redis-server 7.0.15).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "config.h"

namespace tally {
namespace {

std::string get_obuf(const Config& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  config_get(cfg, "client-output-buffer-limit", &out);
  return out.size() == 1 ? out[0].second : "<missing>";
}

std::string parse(Config* cfg, std::vector<std::string> args) {
  args.insert(args.begin(), "tally-server");
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  return parse_args(static_cast<int>(argv.size()), argv.data(), cfg);
}

const OutputBufferLimit& normal(const Config& cfg) { return cfg.obuf_limits[static_cast<int>(ClientClass::kNormal)]; }

TEST(ObufConfigTest, Defaults) {
  Config cfg;
  EXPECT_EQ(get_obuf(cfg), "normal 1073741824 67108864 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  EXPECT_EQ(normal(cfg).hard.load(), 1LL << 30);
  EXPECT_EQ(normal(cfg).soft.load(), 64LL << 20);
  EXPECT_EQ(normal(cfg).soft_seconds.load(), 0);
}

TEST(ObufConfigTest, ConfigFileLinesSetOnlyTheClassesTheyName) {
  char path[] = "/tmp/tally-obuf-conf-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "client-output-buffer-limit normal 2mb 1mb 5\n"
                         "client-output-buffer-limit replica 3mb 2mb 1 pubsub 0 0 0\n";
  Config cfg;
  std::string error = parse(&cfg, {path});
  std::remove(path);
  ASSERT_EQ(error, "");
  EXPECT_EQ(get_obuf(cfg), "normal 2097152 1048576 5 slave 3145728 2097152 1 pubsub 0 0 0");
  EXPECT_EQ(normal(cfg).soft_seconds.load(), 5);
}

TEST(ObufConfigTest, FlagsAndTheirErrors) {
  Config cfg;
  ASSERT_EQ(parse(&cfg, {"--client-output-buffer-limit", "normal", "0", "0", "0"}), "");
  EXPECT_EQ(normal(cfg).hard.load(), 0);
  EXPECT_EQ(normal(cfg).soft.load(), 0);
  EXPECT_EQ(parse(&cfg, {"--client-output-buffer-limit", "normal", "1", "2"}),
            "Invalid argument 'normal 1 2' for 'client-output-buffer-limit': Wrong number of arguments in buffer "
            "limit configuration.");
  EXPECT_EQ(parse(&cfg, {"--client-output-buffer-limit", "master", "1", "2", "3"}),
            "Invalid argument 'master 1 2 3' for 'client-output-buffer-limit': Invalid client class specified in "
            "buffer limit configuration.");
}

TEST(ObufConfigTest, SetIsAllOrNothing) {
  Config cfg;
  const std::string pre = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
  EXPECT_EQ(config_set(&cfg, "client-output-buffer-limit", "normal 1 2 3 pubsub 1x 2 3"),
            pre + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  EXPECT_EQ(normal(cfg).hard.load(), 1LL << 30) << "the valid first group was applied";
  EXPECT_EQ(config_set(&cfg, "client-output-buffer-limit", "normal 1 2 3 pubsub 4 5 6"), "");
  EXPECT_EQ(get_obuf(cfg), "normal 1 2 3 slave 268435456 67108864 60 pubsub 4 5 6");
  // Seconds are read as Redis reads them: strtoll (sign, no trailing junk) into an int.
  EXPECT_EQ(config_set(&cfg, "client-output-buffer-limit", "normal 1 2 +7"), "");
  EXPECT_EQ(normal(cfg).soft_seconds.load(), 7);
  EXPECT_EQ(config_set(&cfg, "client-output-buffer-limit", "normal 1 2 4294967303"), "");  // 2^32 + 7
  EXPECT_EQ(normal(cfg).soft_seconds.load(), 7);
  EXPECT_EQ(config_set(&cfg, "client-output-buffer-limit", "normal 1 2 2147483648"),
            pre + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");  // a negative int
}

}  // namespace
}  // namespace tally
