// The open-files limit at start (server.cpp, adjust_open_files_limit): as Redis, the server raises
// its own RLIMIT_NOFILE to maxclients + 32, or lowers maxclients to what the OS allows, or refuses to
// start with too few descriptors. The log lines are Redis 7.0's, byte for byte.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "tests/harness.h"

namespace tally_test {
namespace {

// The "Max open files" soft and hard limits of a running process, from /proc/<pid>/limits.
std::pair<std::string, std::string> OpenFilesLimit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {"?", "?"};
}

std::string MaxClients(int port) {
  Client c(port);
  Reply r = Cmd(c, {"CONFIG", "GET", "maxclients"});
  std::vector<std::string> v = Strings(r.get());
  return v.size() == 2 ? v[1] : Describe(r.get());
}

TEST(FdLimitTest, RaisesItsSoftLimitForMaxclients) {
  Server s({"--maxclients", "200"});
  s.SetOpenFilesLimit(100, 1000);
  std::string err;
  ASSERT_TRUE(s.Start(&err)) << err;
  EXPECT_EQ(OpenFilesLimit(s.pid()).first, "232");
  EXPECT_EQ(MaxClients(s.port()), "200");
  EXPECT_NE(s.LogSinceStart().find("Increased maximum number of open files to 232 (it was originally set to 100)."),
            std::string::npos)
      << s.LogSinceStart();
}

TEST(FdLimitTest, LowersMaxclientsToTheHardLimit) {
  Server s;  // maxclients 10000 by default
  s.SetOpenFilesLimit(300, 300);
  std::string err;
  ASSERT_TRUE(s.Start(&err)) << err;
  EXPECT_EQ(OpenFilesLimit(s.pid()), std::make_pair(std::string("300"), std::string("300")));
  EXPECT_EQ(MaxClients(s.port()), "268");
  std::string log = s.LogSinceStart();
  for (const char* line :
       {"You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
        "Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
        "Current maximum open files is 300. maxclients has been reduced to 268 to compensate for low ulimit. "
        "If you need higher maxclients increase 'ulimit -n'."})
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
}

TEST(FdLimitTest, RefusesToStartWithTooFewDescriptors) {
  Server s;
  s.SetOpenFilesLimit(20, 20);
  std::string err;
  ASSERT_TRUE(s.Launch(&err)) << err;
  ASSERT_TRUE(s.WaitExit(10000)) << "the server runs with 20 descriptors";
  EXPECT_EQ(s.exit_code(), 1) << s.exit_description();
  EXPECT_NE(s.LogSinceStart().find("Your current 'ulimit -n' of 20 is not enough for the server to start. "
                                   "Please increase your open file limit to at least 10032. Exiting."),
            std::string::npos)
      << s.LogSinceStart();
}

}  // namespace
}  // namespace tally_test
