// Helpers the three sorted-set family files (cmd_zset.cpp, cmd_zset2.cpp, cmd_zset3.cpp) share.
// All of them run under the Txn's shard locks.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "commands.h"
#include "zset.h"

namespace tally {

// The sorted set at key i: read lookups count keyspace hits (find), writes do not (peek). Returns
// false, having replied WRONGTYPE, when the key holds another type; otherwise *out is the set or null.
bool zset_lookup(Ctx& c, Txn& t, std::size_t i, bool write, ZSet** out);
// Replaces key i with `z`, or deletes key i when z is empty (Redis never stores an empty set).
void zset_store(Txn& t, std::size_t i, ZSet&& z);
// Array header for n members, with scores when `withscores`: RESP2 flattens member/score pairs,
// RESP3 nests each pair (reply_member then writes the pair's own header).
void reply_members_header(ReplyWriter& out, std::size_t n, bool withscores);
void reply_member(ReplyWriter& out, std::string_view member, double score, bool withscores);

}  // namespace tally
