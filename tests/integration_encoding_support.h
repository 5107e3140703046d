// Helpers shared by the encoding tests (integration_encoding_test.cpp for hashes,
// integration_zset_encoding_test.cpp for sorted sets).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/harness.h"
#include "tests/integration_wal_support.h"

namespace tally_test {

// OBJECT ENCODING's answer, or a description of whatever else came back.
inline std::string Encoding(redisContext* c, const std::string& key) {
  Reply r = Cmd(c, {"OBJECT", "ENCODING", key});
  return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : Describe(r.get());
}

// CONFIG GET as a map (Redis lists glob matches in its dict's order, so order is not compared).
inline std::map<std::string, std::string> ConfigGet(redisContext* c, const std::string& pattern) {
  std::vector<std::string> flat = Strings(Cmd(c, {"CONFIG", "GET", pattern}).get());
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

// BGREWRITEAOF, then waits until INFO counts the rewrite done.
inline ::testing::AssertionResult RewriteLog(redisContext* c) {
  long long before = std::stoll("0" + InfoField(Info(c, "persistence"), "aof_rewrites"));
  Reply r = Cmd(c, {"BGREWRITEAOF"});
  if (!r || r->type != REDIS_REPLY_STATUS) return ::testing::AssertionFailure() << Describe(r.get());
  if (!WaitRewriteDone(c, before + 1)) return ::testing::AssertionFailure() << Info(c, "persistence");
  return ::testing::AssertionSuccess();
}

}  // namespace tally_test
