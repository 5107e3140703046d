// In-process command tests: a ServerState with a keyspace and one client, and run({"SET","k","v"})
// returning the exact reply bytes that client would receive.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "state.h"

namespace tally {

class CmdTest : public ::testing::Test {
 protected:
  CmdTest() : client_(1, -1) {
    state_.config.databases = 16;
    state_.config.shards = 8;
    state_.init_keyspace();
    state_.workers.push_back(std::make_unique<WorkerStats>(state_.commands.count_ids()));
    client_.writer.set_resp(2);
  }

  // Runs one command and returns everything it wrote.
  std::string run(std::initializer_list<std::string_view> args) {
    std::vector<std::string> owned(args.begin(), args.end());
    return run_vec(owned);
  }
  std::string run_vec(const std::vector<std::string>& owned) {
    std::vector<std::string_view> argv(owned.begin(), owned.end());
    client_.out.clear();
    dispatch(state_, client_, argv, state_.workers[0]->cmd.data());
    return std::string(client_.out.view());
  }

  // Reply-building helpers for expectations.
  static std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
  static std::string integer(long long v) { return ":" + std::to_string(v) + "\r\n"; }
  static std::string error(std::string_view s) { return "-" + std::string(s) + "\r\n"; }
  static std::string arr(std::initializer_list<std::string> items) {
    std::string out = "*" + std::to_string(items.size()) + "\r\n";
    for (const auto& i : items) out += i;
    return out;
  }
  static constexpr std::string_view kOk = "+OK\r\n";
  static constexpr std::string_view kNil = "$-1\r\n";

  ServerState state_;
  Client client_;
};

}  // namespace tally
