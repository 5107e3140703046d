// The write-ahead log's records and what replaying them does (wal_format.h), and the log as a whole
// (wal.h):
//   - encoding/decoding of records, batch headers and file headers, with truncation and bit flips;
//   - apply_record on empty and populated keyspaces, idempotence, errors;
//   - a differential test: thousands of random commands on an in-process server with logging on,
//     the shards' log buffers replayed into a replica after every command and, at the end, into a
//     fresh keyspace, which must equal the server's (every db, key, type, value, field, member,
//     score bit and expiry; encodings and LRU clocks are not compared). A mismatch is shrunk to a
//     short command sequence and printed. Also with four clients on four threads;
//   - end to end through Wal: recover, start, commands, rewrite, stop, recover again (also with
//     concurrent clients during rewrites); torn tails and damage in the middle of a log.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commands.h"
#include "config.h"
#include "crc32c.h"
#include "db.h"
#include "hash.h"
#include "hashtable.h"
#include "state.h"
#include "wal.h"
#include "wal_format.h"
#include "zset.h"

namespace tally {
namespace {

// ---------------------------------------------------------------------------------------------------
// Helpers: record building, keyspace dumps.
// ---------------------------------------------------------------------------------------------------

std::string u32(uint32_t v) {
  std::string b;
  put_u32(b, v);
  return b;
}
std::string i64(int64_t v) {
  std::string b;
  put_u64(b, static_cast<uint64_t>(v));
  return b;
}
std::string f64(double v) {
  std::string b;
  put_f64(b, v);
  return b;
}
std::string lstr(std::string_view s) {
  std::string b;
  put_str(b, s);
  return b;
}

// Payloads, by op (wal_format.h).
std::string string_payload(int64_t expire, std::string_view value) { return i64(expire) + std::string(value); }
std::string hash_payload(int64_t expire, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string p = i64(expire) + u32(static_cast<uint32_t>(fields.size()));
  for (const auto& [f, v] : fields) p += lstr(f) + lstr(v);
  return p;
}
std::string zset_payload(int64_t expire, const std::vector<std::pair<std::string, double>>& members) {
  std::string p = i64(expire) + u32(static_cast<uint32_t>(members.size()));
  for (const auto& [m, s] : members) p += f64(s) + lstr(m);
  return p;
}
std::string hset_payload(std::string_view field, std::string_view value) { return lstr(field) + std::string(value); }
std::string zadd_payload(double score, std::string_view member) { return f64(score) + std::string(member); }

std::string make_record(uint64_t seq, uint32_t shard, uint32_t db, WalOp op, std::string_view key, std::string_view payload) {
  std::string b;
  std::size_t start = begin_record(b, seq, shard, db, op, key);
  b.append(payload);
  end_record(b, start);
  return b;
}

uint32_t shard_for(Keyspace& ks, std::string_view key) { return ks.shard_of(hash_bytes(key.data(), key.size())); }

// A record for `key` in its own shard.
std::string key_record(Keyspace& ks, uint32_t db, WalOp op, std::string_view key, std::string_view payload, uint64_t seq = 1) {
  return make_record(seq, shard_for(ks, key), db, op, key, payload);
}

// Decodes one whole record and applies it; "" or apply_record's error.
std::string apply_bytes(Keyspace& ks, const std::string& bytes) {
  RecordView r;
  std::size_t used = 0;
  EXPECT_EQ(decode_record(bytes.data(), bytes.size(), &r, &used), Decode::kOk);
  EXPECT_EQ(used, bytes.size());
  return apply_record(ks, r);
}

std::string hex_score(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", d);
  return buf;
}

// Canonical text of a value and its expiry; two keyspaces are equal when their dumps are.
std::string describe_entry(const Entry* e, int64_t expire) {
  std::string out;
  switch (e->value_type()) {
    case ValueType::kString: {
      char buf[24];
      out = "string:\"" + std::string(string_value(e, buf)) + "\"";
      break;
    }
    case ValueType::kHash: {
      // The form counts, and a compact hash's field order (insertion order, which HGETALL shows).
      const auto* h = object_as<HashObject>(e);
      EXPECT_EQ(e->encoding(), h->encoding()) << "entry and object disagree on the form of " << e->key();
      std::vector<std::pair<std::string, std::string>> fields;
      h->for_each([&fields](std::string_view k, std::string_view v) { fields.emplace_back(k, v); });
      if (!h->compact()) std::sort(fields.begin(), fields.end());
      out = std::string(encoding_name(h->encoding())) + " hash{";
      for (const auto& [f, v] : fields) out += f + "=" + v + ",";
      out += "}";
      break;
    }
    case ValueType::kZSet: {
      const auto* z = object_as<ZSet>(e);
      out = "zset[";
      for (ZPos p = z->min(); p; p = z->next(p)) out += std::string(p.member()) + "=" + hex_score(p.score()) + ",";
      out += "]";
      break;
    }
  }
  return out + " ttl=" + std::to_string(expire);
}

using Dump = std::map<std::pair<int, std::string>, std::string>;  // (db, key) -> describe_entry

// Everything in ks, including entries that are expired but not yet deleted (replay never expires).
// Also checks that every key sits in the shard its hash names and that each TTL heap holds exactly
// the entries with a TTL.
Dump dump(Keyspace& ks) {
  Dump out;
  for (uint32_t s = 0; s < ks.shard_count(); ++s) {
    Shard& sh = ks.shard(s);
    std::lock_guard lock(sh.mu);
    for (int db = 0; db < ks.databases(); ++db) {
      DbSlot& slot = sh.dbs[static_cast<std::size_t>(db)];
      std::size_t with_ttl = 0;
      slot.table.for_each([&](const HNode* n) {
        const Entry* e = entry_of(n);
        EXPECT_EQ(ks.shard_of(hash_bytes(e->key().data(), e->key().size())), s) << "key " << e->key() << " in a foreign shard";
        int64_t expire = -1;
        if (e->has_ttl()) {
          ++with_ttl;
          expire = slot.ttl.when(e->node.aux);
        }
        if (e->value_type() != ValueType::kString) {
          EXPECT_GT(object_ops(e->value_type()).length(e->object()), 0u) << "empty object at " << e->key();
        }
        out[{db, std::string(e->key())}] = describe_entry(e, expire);
      });
      EXPECT_EQ(with_ttl, slot.ttl.size()) << "shard " << s << " db " << db << ": TTL heap out of step";
    }
  }
  return out;
}

// The differences between two dumps, readably (at most `limit` lines).
std::string diff(const Dump& want, const Dump& got, std::size_t limit = 20) {
  std::string out;
  std::size_t n = 0;
  auto line = [&](const std::string& s) {
    if (n++ < limit) out += "  " + s + "\n";
  };
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    std::string where = "db " + std::to_string(k.first) + " key '" + k.second + "'";
    if (it == got.end()) line(where + ": original " + v + ", replay has no key");
    else if (it->second != v) line(where + ": original " + v + ", replay " + it->second);
  }
  for (const auto& [k, v] : got)
    if (!want.count(k)) line("db " + std::to_string(k.first) + " key '" + k.second + "': original has no key, replay " + v);
  if (n > limit) out += "  ... " + std::to_string(n - limit) + " more\n";
  return out;
}

// Expected describe_entry texts, for hand-written expectations.
std::string S(std::string_view v, int64_t ttl = -1) { return "string:\"" + std::string(v) + "\" ttl=" + std::to_string(ttl); }
// A compact ("listpack") hash lists its fields in insertion order; a table in sorted order.
std::string H(std::vector<std::pair<std::string, std::string>> fields, int64_t ttl = -1,
              std::string_view enc = "listpack") {
  if (enc != "listpack") std::sort(fields.begin(), fields.end());
  std::string out = std::string(enc) + " hash{";
  for (const auto& [f, v] : fields) out += f + "=" + v + ",";
  return out + "} ttl=" + std::to_string(ttl);
}
std::string Z(std::vector<std::pair<std::string, double>> members, int64_t ttl = -1) {
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : zset_member_cmp(a.first, b.first) < 0;
  });
  std::string out = "zset[";
  for (const auto& [m, s] : members) out += m + "=" + hex_score(s) + ",";
  return out + "] ttl=" + std::to_string(ttl);
}

// ---------------------------------------------------------------------------------------------------
// a. Encoding and decoding.
// ---------------------------------------------------------------------------------------------------

struct SampleRecord {
  std::string name;
  uint64_t seq;
  uint32_t shard, db;
  WalOp op;
  std::string key, payload;
};

std::vector<SampleRecord> sample_records() {
  std::string big(3000, 'z');
  return {
      {"del", 7, 0, 0, WalOp::kDel, "key", ""},
      {"del-empty-key", 1, 3, 2, WalOp::kDel, "", ""},
      {"string", 42, 1, 5, WalOp::kString, "s", string_payload(-1, "hello")},
      {"string-ttl-big", 0xFFFFFFFFFFull + 5, 7, 15, WalOp::kString, "big", string_payload(1700000000123, big)},
      {"string-empty", 3, 2, 0, WalOp::kString, "e", string_payload(-1, "")},
      {"string-binary", 3, 2, 0, WalOp::kString, std::string("b\0k", 3), string_payload(5, std::string("\0\r\n\xff", 4))},
      {"hash", 9, 0, 1, WalOp::kHash, "h", hash_payload(-1, {{"f1", "v1"}, {"f2", ""}, {"", "x"}})},
      {"zset", 10, 0, 1, WalOp::kZSet, "z", zset_payload(99, {{"a", 1.5}, {"b", -INFINITY}, {"c", INFINITY}})},
      {"hset", 11, 1, 0, WalOp::kHSet, "h", hset_payload("field", "value")},
      {"hdel", 12, 1, 0, WalOp::kHDel, "h", "field"},
      {"zadd", 13, 1, 0, WalOp::kZAdd, "z", zadd_payload(-0.25, "member")},
      {"zrem", 14, 1, 0, WalOp::kZRem, "z", "member"},
      {"expireat", 15, 1, 0, WalOp::kExpireAt, "k", i64(1234567890123)},
      {"persist", 16, 1, 0, WalOp::kExpireAt, "k", i64(-1)},
      {"flushdb", 17, 4, 3, WalOp::kFlushDb, "", ""},
      {"flushall", 18, 4, 0, WalOp::kFlushAll, "", ""},
      {"swapdb", 19, 4, 1, WalOp::kSwapDb, "", u32(2)},
      {"snapend", 0, 0, 0, WalOp::kSnapEnd, "", u32(1) + i64(5) + i64(6) + i64(7)},
  };
}

TEST(WalFormatTest, RecordRoundTripForEveryOp) {
  std::set<WalOp> ops;
  std::string all;  // every record back to back: decoding walks them in order
  for (const SampleRecord& s : sample_records()) {
    SCOPED_TRACE(s.name);
    std::string b = make_record(s.seq, s.shard, s.db, s.op, s.key, s.payload);
    EXPECT_EQ(b.size(), kRecordHeaderSize + 8 + 4 + 4 + 1 + 4 + s.key.size() + s.payload.size());
    RecordView r;
    std::size_t used = 0;
    ASSERT_EQ(decode_record(b.data(), b.size(), &r, &used), Decode::kOk);
    EXPECT_EQ(used, b.size());
    EXPECT_EQ(r.seq, s.seq);
    EXPECT_EQ(r.shard, s.shard);
    EXPECT_EQ(r.db, s.db);
    EXPECT_EQ(r.op, s.op);
    EXPECT_EQ(r.key, s.key);
    EXPECT_EQ(r.payload, s.payload);
    EXPECT_EQ(record_seq(b.data()), s.seq);
    EXPECT_EQ(record_size(b.data()), b.size());
    uint32_t len, crc;
    std::memcpy(&len, b.data(), 4);
    std::memcpy(&crc, b.data() + 4, 4);
    EXPECT_EQ(len, b.size() - kRecordHeaderSize);
    EXPECT_EQ(crc, crc32c(b.data() + kRecordHeaderSize, len));
    ops.insert(s.op);
    all += b;
  }
  EXPECT_EQ(ops.size(), 13u) << "a sample for every WalOp";
  // Appending after other bytes (begin_record returns the start) and decoding a stream.
  std::size_t pos = 0;
  for (const SampleRecord& s : sample_records()) {
    RecordView r;
    std::size_t used = 0;
    ASSERT_EQ(decode_record(all.data() + pos, all.size() - pos, &r, &used), Decode::kOk) << s.name;
    EXPECT_EQ(r.key, s.key);
    EXPECT_EQ(r.payload, s.payload);
    pos += used;
  }
  EXPECT_EQ(pos, all.size());
}

TEST(WalFormatTest, EntryRecordsRoundTripThroughApply) {
  Keyspace src(2, 4), dst(2, 4);
  std::string keys_storage[] = {"int", "emb", "raw", "hash", "zset"};
  std::string_view keys[] = {keys_storage[0], keys_storage[1], keys_storage[2], keys_storage[3], keys_storage[4]};
  {
    Txn t(src, 1, keys);
    t.set_integer(0, -12345);
    t.set_string(1, "short");
    Entry* raw = t.set_string(2, std::string(100, 'r'));
    t.set_expire(raw, 4102444800000);
    HashObject h;
    h.set("a", "1");
    h.set("b", std::string(50, 'b'));
    t.set_object<HashObject>(3, ValueType::kHash, std::move(h));
    ZSet z;
    z.insert("x", 1);
    z.insert("y", -0.0);
    z.insert("w", 1e300);
    Entry* ze = t.set_object<ZSet>(4, ValueType::kZSet, std::move(z));
    t.set_expire(ze, 5);
  }
  Dump want = dump(src);
  ASSERT_EQ(want.size(), 5u);
  for (uint32_t s = 0; s < src.shard_count(); ++s) {
    DbSlot& slot = src.shard(s).dbs[1];
    slot.table.for_each([&](const HNode* n) {
      const Entry* e = entry_of(n);
      std::string b;
      put_entry_record(b, 77, s, 1, e, e->has_ttl() ? slot.ttl.when(e->node.aux) : -1);
      RecordView r;
      std::size_t used;
      ASSERT_EQ(decode_record(b.data(), b.size(), &r, &used), Decode::kOk);
      EXPECT_EQ(r.seq, 77u);
      EXPECT_EQ(r.key, e->key());
      EXPECT_EQ(apply_record(dst, r), "");
    });
  }
  EXPECT_EQ(dump(dst), want) << diff(want, dump(dst));
}

TEST(WalFormatTest, EveryStrictPrefixOfARecordIsShort) {
  for (const SampleRecord& s : sample_records()) {
    std::string b = make_record(s.seq, s.shard, s.db, s.op, s.key, s.payload);
    for (std::size_t n = 0; n < b.size(); ++n) {
      std::string prefix = b.substr(0, n);  // its own allocation: reading past it would be caught by ASan
      RecordView r;
      std::size_t used = 0;
      ASSERT_EQ(decode_record(prefix.data(), prefix.size(), &r, &used), Decode::kShort) << s.name << " prefix " << n;
    }
  }
}

TEST(WalFormatTest, BitFlipInCrcOrBodyIsBad) {
  for (const SampleRecord& s : sample_records()) {
    std::string b = make_record(s.seq, s.shard, s.db, s.op, s.key, s.payload);
    std::size_t limit = std::min<std::size_t>(b.size(), 400);  // the big record: its first 400 bytes
    for (std::size_t bit = 4 * 8; bit < limit * 8; ++bit) {
      std::string c = b;
      c[bit / 8] = static_cast<char>(c[bit / 8] ^ (1 << (bit % 8)));
      RecordView r;
      std::size_t used = 0;
      ASSERT_EQ(decode_record(c.data(), c.size(), &r, &used), Decode::kBad) << s.name << " bit " << bit;
    }
  }
}

// A record's length is outside its checksum, so a flipped length bit is caught by the checksum when
// the claimed length lies within the bytes given, and otherwise reads as a record that runs past
// them (kShort): a reader cannot tell a larger length from a torn write. Either way, never kOk.
TEST(WalFormatTest, BitFlipInLengthIsBadOrShortNeverOk) {
  for (const SampleRecord& s : sample_records()) {
    std::string b = make_record(s.seq, s.shard, s.db, s.op, s.key, s.payload);
    for (std::size_t trailing : {0, 64, 5000}) {
      std::string buf = b + std::string(trailing, '\x5a');
      for (int bit = 0; bit < 32; ++bit) {
        std::string c = buf;
        uint32_t len;
        std::memcpy(&len, c.data(), 4);
        len ^= 1u << bit;
        std::memcpy(c.data(), &len, 4);
        RecordView r;
        std::size_t used = 0;
        Decode want = kRecordHeaderSize + std::size_t{len} <= c.size() ? Decode::kBad : Decode::kShort;
        if (len < 8 + 4 + 4 + 1 + 4) want = Decode::kBad;  // shorter than any body
        ASSERT_EQ(decode_record(c.data(), c.size(), &r, &used), want)
            << s.name << " length bit " << bit << " (length " << len << ", " << c.size() << " bytes)";
      }
    }
  }
}

TEST(WalFormatTest, RecordKeyLengthPastTheBodyIsBad) {
  // A well-checksummed body whose key length runs past it (a writer bug, not a flip) is kBad.
  std::string b = make_record(1, 0, 0, WalOp::kDel, "abc", "");
  uint32_t key_len = 100;
  std::memcpy(b.data() + kRecordHeaderSize + 17, &key_len, 4);
  uint32_t crc = crc32c(b.data() + kRecordHeaderSize, b.size() - kRecordHeaderSize);
  std::memcpy(b.data() + 4, &crc, 4);
  RecordView r;
  std::size_t used;
  EXPECT_EQ(decode_record(b.data(), b.size(), &r, &used), Decode::kBad);
}

TEST(WalFormatTest, BatchHeaderRoundTripPrefixesAndFlips) {
  std::string b;
  b += "junk";  // put_batch_header appends
  put_batch_header(b, 17, 0x100000005ull, 123456, 77);
  ASSERT_EQ(b.size(), 4 + kBatchHeaderSize);
  std::string h = b.substr(4);
  BatchHeader out{};
  ASSERT_EQ(decode_batch_header(h.data(), h.size(), &out), Decode::kOk);
  EXPECT_EQ(out.first_seq, 17u);
  EXPECT_EQ(out.end_seq, 0x100000005ull);
  EXPECT_EQ(out.payload_len, 123456u);
  EXPECT_EQ(out.count, 77u);
  uint32_t magic;
  std::memcpy(&magic, h.data(), 4);
  EXPECT_EQ(magic, kBatchMagic);
  // Followed by more bytes: still only the header is read.
  std::string longer = h + std::string(100, 'x');
  EXPECT_EQ(decode_batch_header(longer.data(), longer.size(), &out), Decode::kOk);

  for (std::size_t n = 0; n < h.size(); ++n) {
    std::string prefix = h.substr(0, n);
    EXPECT_EQ(decode_batch_header(prefix.data(), prefix.size(), &out), Decode::kShort) << "prefix " << n;
  }
  for (std::size_t bit = 0; bit < h.size() * 8; ++bit) {
    std::string c = h;
    c[bit / 8] = static_cast<char>(c[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_EQ(decode_batch_header(c.data(), c.size(), &out), Decode::kBad) << "bit " << bit;
  }
  // An empty or backwards range is malformed even with a good checksum.
  for (auto [first, end] : {std::pair<uint64_t, uint64_t>{5, 5}, {6, 5}}) {
    std::string e;
    put_batch_header(e, first, end, 0, 0);
    EXPECT_EQ(decode_batch_header(e.data(), e.size(), &out), Decode::kBad) << first << ".." << end;
  }
}

TEST(WalFormatTest, FileHeaderRoundTripPrefixesAndFlips) {
  for (const char* magic : {kLogMagic, kSnapMagic}) {
    const char(&m)[8] = *reinterpret_cast<const char(*)[8]>(magic);
    const char(&other)[8] = magic == kLogMagic ? kSnapMagic : kLogMagic;
    FileHeader in{kWalFormatVersion, 64, 0x0123456789abcdefull, 9};
    std::string b = "xy";
    put_file_header(b, m, in);
    ASSERT_EQ(b.size(), 2 + kFileHeaderSize);
    std::string h = b.substr(2);
    EXPECT_EQ(h.substr(0, 8), std::string(magic, 8));
    FileHeader out;
    ASSERT_TRUE(decode_file_header(h.data(), h.size(), m, &out));
    EXPECT_EQ(out.version, kWalFormatVersion);
    EXPECT_EQ(out.shard_count, 64u);
    EXPECT_EQ(out.hash_seed, 0x0123456789abcdefull);
    EXPECT_EQ(out.generation, 9u);
    EXPECT_FALSE(decode_file_header(h.data(), h.size(), other, &out)) << "a log is not a snapshot";
    for (std::size_t n = 0; n < h.size(); ++n) {
      std::string prefix = h.substr(0, n);
      EXPECT_FALSE(decode_file_header(prefix.data(), prefix.size(), m, &out)) << "prefix " << n;
    }
    // Every bit of the checksummed part (magic, version, shards, seed, generation, crc).
    for (std::size_t bit = 0; bit < 36 * 8; ++bit) {
      std::string c = h;
      c[bit / 8] = static_cast<char>(c[bit / 8] ^ (1 << (bit % 8)));
      EXPECT_FALSE(decode_file_header(c.data(), c.size(), m, &out)) << "bit " << bit;
    }
  }
  // Well-checksummed but unusable layouts.
  FileHeader out;
  for (FileHeader bad : {FileHeader{kWalFormatVersion + 1, 8, 1, 1}, FileHeader{kWalFormatVersion, 0, 1, 1},
                         FileHeader{kWalFormatVersion, 6, 1, 1}}) {
    std::string h;
    put_file_header(h, kLogMagic, bad);
    EXPECT_FALSE(decode_file_header(h.data(), h.size(), kLogMagic, &out)) << bad.version << " " << bad.shard_count;
  }
}

// The header's last word is "u32 zero" (wal_format.h): a flipped bit there makes the header
// something the format does not allow, so it must be refused like a flip anywhere else.
TEST(WalFormatTest, FileHeaderReservedWordIsChecked) {
  std::string h;
  put_file_header(h, kLogMagic, {kWalFormatVersion, 8, 42, 1});
  ASSERT_EQ(h.size(), kFileHeaderSize);
  EXPECT_EQ(h.substr(36), std::string(4, '\0'));
  for (std::size_t bit = 36 * 8; bit < kFileHeaderSize * 8; ++bit) {
    std::string c = h;
    c[bit / 8] = static_cast<char>(c[bit / 8] ^ (1 << (bit % 8)));
    FileHeader out;
    EXPECT_FALSE(decode_file_header(c.data(), c.size(), kLogMagic, &out)) << "bit " << bit << " (reserved zero word)";
  }
}

// ---------------------------------------------------------------------------------------------------
// b. apply_record.
// ---------------------------------------------------------------------------------------------------

class WalApplyTest : public ::testing::Test {
 protected:
  static constexpr int kDbs = 4;
  Keyspace ks_{kDbs, 4};

  std::string apply(WalOp op, std::string_view key, std::string_view payload, uint32_t db = 0) {
    return apply_bytes(ks_, key_record(ks_, db, op, key, payload));
  }
  void put_string(std::string_view key, std::string_view v, int64_t ttl = -1, uint32_t db = 0) {
    ASSERT_EQ(apply(WalOp::kString, key, string_payload(ttl, v), db), "");
  }
  void put_hash(std::string_view key, const std::vector<std::pair<std::string, std::string>>& f, int64_t ttl = -1,
                uint32_t db = 0) {
    ASSERT_EQ(apply(WalOp::kHash, key, hash_payload(ttl, f), db), "");
  }
  void put_zset(std::string_view key, const std::vector<std::pair<std::string, double>>& m, int64_t ttl = -1,
                uint32_t db = 0) {
    ASSERT_EQ(apply(WalOp::kZSet, key, zset_payload(ttl, m), db), "");
  }
  // The dump's text for (db, key), or "none".
  std::string at(std::string_view key, int db = 0) {
    Dump d = dump(ks_);
    auto it = d.find({db, std::string(key)});
    return it == d.end() ? "none" : it->second;
  }
  // A key in shard `s` (found by trying names).
  std::string key_in_shard(uint32_t s, int n = 0) {
    for (int i = 0;; ++i) {
      std::string k = "key" + std::to_string(i);
      if (shard_for(ks_, k) == s && n-- == 0) return k;
    }
  }
};

constexpr int64_t kFuture = 4102444800000;  // 2100-01-01
constexpr int64_t kPast = 1000;             // long expired: replay must keep it anyway

TEST_F(WalApplyTest, StringRecords) {
  EXPECT_EQ(apply(WalOp::kString, "k", string_payload(-1, "v")), "");
  EXPECT_EQ(at("k"), S("v"));
  EXPECT_EQ(apply(WalOp::kString, "k", string_payload(kFuture, "12345")), "");
  EXPECT_EQ(at("k"), S("12345", kFuture));
  EXPECT_EQ(apply(WalOp::kString, "k", string_payload(-1, std::string(40, 'x'))), "");
  EXPECT_EQ(at("k"), S(std::string(40, 'x'))) << "a record without expiry clears the old one";
  EXPECT_EQ(apply(WalOp::kString, "k", string_payload(kPast, "")), "");
  EXPECT_EQ(at("k"), S("", kPast)) << "replay does not expire";
  // Over other types.
  put_hash("h", {{"f", "v"}}, kFuture);
  EXPECT_EQ(apply(WalOp::kString, "h", string_payload(-1, "now a string")), "");
  EXPECT_EQ(at("h"), S("now a string"));
  put_zset("z", {{"m", 1}});
  EXPECT_EQ(apply(WalOp::kString, "z", string_payload(7, "s")), "");
  EXPECT_EQ(at("z"), S("s", 7));
  // Other databases are separate.
  EXPECT_EQ(apply(WalOp::kString, "k", string_payload(-1, "db3"), 3), "");
  EXPECT_EQ(at("k", 3), S("db3"));
  EXPECT_EQ(at("k", 0), S("", kPast));
}

TEST_F(WalApplyTest, WholeHashAndZSetRecordsReplaceTheValue) {
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(-1, {{"a", "1"}, {"b", "2"}})), "");
  EXPECT_EQ(at("h"), H({{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(kFuture, {{"c", "3"}})), "");
  EXPECT_EQ(at("h"), H({{"c", "3"}}, kFuture)) << "fields absent from the record are gone";
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(-1, {{"c", "4"}})), "");
  EXPECT_EQ(at("h"), H({{"c", "4"}}));

  EXPECT_EQ(apply(WalOp::kZSet, "z", zset_payload(-1, {{"a", 1}, {"b", 2}})), "");
  EXPECT_EQ(at("z"), Z({{"a", 1}, {"b", 2}}));
  EXPECT_EQ(apply(WalOp::kZSet, "z", zset_payload(kPast, {{"c", -INFINITY}, {"d", -0.0}})), "");
  EXPECT_EQ(at("z"), Z({{"c", -INFINITY}, {"d", 0.0}}, kPast)) << "-0 is 0 in a compact set, as in a listpack";

  put_string("s", "str", kFuture);
  EXPECT_EQ(apply(WalOp::kHash, "s", hash_payload(-1, {{"f", "v"}})), "");
  EXPECT_EQ(at("s"), H({{"f", "v"}}));
  EXPECT_EQ(apply(WalOp::kZSet, "s", zset_payload(-1, {{"m", 5}})), "");
  EXPECT_EQ(at("s"), Z({{"m", 5}}));
  EXPECT_EQ(apply(WalOp::kHash, "s", hash_payload(3, {{"f", "v"}})), "");
  EXPECT_EQ(at("s"), H({{"f", "v"}}, 3));
}

TEST_F(WalApplyTest, FieldRecordsOnHashes) {
  EXPECT_EQ(apply(WalOp::kHSet, "h", hset_payload("f1", "v1")), "");
  EXPECT_EQ(at("h"), H({{"f1", "v1"}})) << "HSET creates the hash";
  EXPECT_EQ(apply(WalOp::kHSet, "h", hset_payload("f2", "")), "");
  EXPECT_EQ(apply(WalOp::kHSet, "h", hset_payload("f1", std::string(100, 'v'))), "");
  EXPECT_EQ(at("h"), H({{"f1", std::string(100, 'v')}, {"f2", ""}}, -1, "hashtable")) << "a long value converts";
  ASSERT_EQ(apply(WalOp::kExpireAt, "h", i64(kFuture)), "");
  EXPECT_EQ(apply(WalOp::kHSet, "h", hset_payload("f3", "x")), "");
  EXPECT_EQ(at("h"), H({{"f1", std::string(100, 'v')}, {"f2", ""}, {"f3", "x"}}, kFuture, "hashtable")) << "keeps the TTL";
  EXPECT_EQ(apply(WalOp::kHDel, "h", "f2"), "");
  EXPECT_EQ(apply(WalOp::kHDel, "h", "nosuch"), "");
  EXPECT_EQ(at("h"), H({{"f1", std::string(100, 'v')}, {"f3", "x"}}, kFuture, "hashtable"));
  EXPECT_EQ(apply(WalOp::kHDel, "h", "f1"), "");
  EXPECT_EQ(apply(WalOp::kHDel, "h", "f3"), "");
  EXPECT_EQ(at("h"), "none") << "HDEL of the last field deletes the key";
  EXPECT_EQ(apply(WalOp::kHDel, "h", "f3"), "") << "HDEL on a missing key changes nothing";
  EXPECT_EQ(at("h"), "none");
  // An empty field name is a field like any other.
  EXPECT_EQ(apply(WalOp::kHSet, "h", hset_payload("", "empty")), "");
  EXPECT_EQ(at("h"), H({{"", "empty"}}));
  EXPECT_EQ(apply(WalOp::kHDel, "h", ""), "");
  EXPECT_EQ(at("h"), "none");
}

// Whole-hash records (snapshots) load by size, as Redis loads an RDB: compact when the record is
// within the limits, whatever form the hash had when written (so a table that shrank back comes
// back compact), with the fields in the record's order. Field records replay the writes as they
// ran, conversions included; nothing converts back.
TEST_F(WalApplyTest, HashRecordsRebuildTheRightForm) {
  struct Restore {
    HashLimits saved = hash_limits();
    ~Restore() { set_hash_limits(saved); }
  } restore;
  set_hash_limits({3, 8});
  using F = std::vector<std::pair<std::string, std::string>>;
  const F three = {{"b", "1"}, {"a", "2"}, {"c", "3"}};
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(-1, three)), "");
  EXPECT_EQ(at("h"), H(three)) << "compact, in the record's order";
  F four = three;
  four.emplace_back("d", "4");
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(-1, four)), "");
  EXPECT_EQ(at("h"), H(four, -1, "hashtable")) << "more fields than hash-max-listpack-entries";
  const F long_value = {{"b", "1"}, {"a", "123456789"}};
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(-1, long_value)), "");
  EXPECT_EQ(at("h"), H(long_value, -1, "hashtable")) << "a value past hash-max-listpack-value";
  EXPECT_EQ(apply(WalOp::kHash, "h", hash_payload(-1, {{"b", "1"}})), "");
  EXPECT_EQ(at("h"), H({{"b", "1"}})) << "the same key, small again: compact";

  for (const char* f : {"z", "y", "x"}) EXPECT_EQ(apply(WalOp::kHSet, "g", hset_payload(f, f)), "");
  EXPECT_EQ(at("g"), H({{"z", "z"}, {"y", "y"}, {"x", "x"}}));
  EXPECT_EQ(apply(WalOp::kHSet, "g", hset_payload("y", "again")), "");
  EXPECT_EQ(at("g"), H({{"z", "z"}, {"y", "again"}, {"x", "x"}})) << "an overwrite keeps its place";
  EXPECT_EQ(apply(WalOp::kHSet, "g", hset_payload("w", "w")), "");
  EXPECT_EQ(at("g"), H({{"z", "z"}, {"y", "again"}, {"x", "x"}, {"w", "w"}}, -1, "hashtable"));
  EXPECT_EQ(apply(WalOp::kHDel, "g", "w"), "");
  EXPECT_EQ(apply(WalOp::kHDel, "g", "x"), "");
  EXPECT_EQ(at("g"), H({{"z", "z"}, {"y", "again"}}, -1, "hashtable")) << "never back";
}

TEST_F(WalApplyTest, FieldRecordsOnSortedSets) {
  EXPECT_EQ(apply(WalOp::kZAdd, "z", zadd_payload(2, "b")), "");
  EXPECT_EQ(at("z"), Z({{"b", 2}})) << "ZADD creates the set";
  EXPECT_EQ(apply(WalOp::kZAdd, "z", zadd_payload(1, "a")), "");
  EXPECT_EQ(apply(WalOp::kZAdd, "z", zadd_payload(3, "a")), "");
  EXPECT_EQ(apply(WalOp::kZAdd, "z", zadd_payload(-INFINITY, "c")), "");
  EXPECT_EQ(at("z"), Z({{"a", 3}, {"b", 2}, {"c", -INFINITY}}));
  ASSERT_EQ(apply(WalOp::kExpireAt, "z", i64(kPast)), "");
  EXPECT_EQ(apply(WalOp::kZAdd, "z", zadd_payload(0.5, "b")), "");
  EXPECT_EQ(at("z"), Z({{"a", 3}, {"b", 0.5}, {"c", -INFINITY}}, kPast)) << "the score's exact bits, the TTL kept";
  EXPECT_EQ(apply(WalOp::kZRem, "z", "nosuch"), "");
  EXPECT_EQ(apply(WalOp::kZRem, "z", "a"), "");
  EXPECT_EQ(apply(WalOp::kZRem, "z", "b"), "");
  EXPECT_EQ(at("z"), Z({{"c", -INFINITY}}, kPast));
  EXPECT_EQ(apply(WalOp::kZRem, "z", "c"), "");
  EXPECT_EQ(at("z"), "none") << "ZREM of the last member deletes the key";
  EXPECT_EQ(apply(WalOp::kZRem, "z", "c"), "");
  EXPECT_EQ(at("z"), "none");
}

TEST_F(WalApplyTest, DelAndExpireAt) {
  EXPECT_EQ(apply(WalOp::kDel, "missing", ""), "");
  EXPECT_EQ(apply(WalOp::kExpireAt, "missing", i64(kFuture)), "");
  EXPECT_EQ(at("missing"), "none") << "EXPIREAT does not create keys";
  put_string("s", "v");
  put_hash("h", {{"f", "v"}});
  put_zset("z", {{"m", 1}});
  for (const char* k : {"s", "h", "z"}) {
    EXPECT_EQ(apply(WalOp::kExpireAt, k, i64(kFuture)), "");
    EXPECT_NE(at(k).find("ttl=" + std::to_string(kFuture)), std::string::npos) << k;
    EXPECT_EQ(apply(WalOp::kExpireAt, k, i64(kPast)), "");
    EXPECT_NE(at(k).find("ttl=" + std::to_string(kPast)), std::string::npos) << k << ": not expired by replay";
    EXPECT_EQ(apply(WalOp::kExpireAt, k, i64(-1)), "");
    EXPECT_NE(at(k).find("ttl=-1"), std::string::npos) << k << ": persisted";
    EXPECT_EQ(apply(WalOp::kExpireAt, k, i64(-1)), "") << "persisting a key without TTL";
    EXPECT_EQ(apply(WalOp::kDel, k, ""), "");
    EXPECT_EQ(at(k), "none");
  }
  // DEL of a key with a TTL leaves the heap consistent (dump() checks it).
  put_string("t", "v", kFuture);
  EXPECT_EQ(apply(WalOp::kDel, "t", ""), "");
  EXPECT_EQ(at("t"), "none");
}

TEST_F(WalApplyTest, FlushAndSwapTouchOnlyTheirShard) {
  // Two keys per shard in dbs 0, 1 and 2.
  std::vector<std::string> keys;
  for (uint32_t s = 0; s < ks_.shard_count(); ++s)
    for (int n = 0; n < 2; ++n) keys.push_back(key_in_shard(s, n));
  for (int db = 0; db < 3; ++db)
    for (const auto& k : keys) put_string(k, k + "@" + std::to_string(db), db == 1 ? kFuture : -1, static_cast<uint32_t>(db));
  Dump before = dump(ks_);
  ASSERT_EQ(before.size(), keys.size() * 3);

  // SWAPDB 0 1 on shard 1 only.
  ASSERT_EQ(apply_bytes(ks_, make_record(5, 1, 0, WalOp::kSwapDb, "", u32(1))), "");
  for (const auto& k : keys) {
    bool moved = shard_for(ks_, k) == 1;
    EXPECT_EQ(at(k, 0), moved ? S(k + "@1", kFuture) : S(k + "@0")) << k;
    EXPECT_EQ(at(k, 1), moved ? S(k + "@0") : S(k + "@1", kFuture)) << k;
  }
  ASSERT_EQ(apply_bytes(ks_, make_record(6, 1, 1, WalOp::kSwapDb, "", u32(0))), "");
  EXPECT_EQ(dump(ks_), before) << "swapping back";
  // SWAPDB of a db with itself changes nothing.
  ASSERT_EQ(apply_bytes(ks_, make_record(6, 2, 2, WalOp::kSwapDb, "", u32(2))), "");
  EXPECT_EQ(dump(ks_), before);

  // FLUSHDB 2 on shard 3.
  ASSERT_EQ(apply_bytes(ks_, make_record(7, 3, 2, WalOp::kFlushDb, "", "")), "");
  for (const auto& k : keys) {
    bool gone = shard_for(ks_, k) == 3;
    EXPECT_EQ(at(k, 2), gone ? "none" : S(k + "@2")) << k;
    EXPECT_EQ(at(k, 0), S(k + "@0")) << k;
  }
  // FLUSHALL on shard 0.
  ASSERT_EQ(apply_bytes(ks_, make_record(8, 0, 0, WalOp::kFlushAll, "", "")), "");
  for (const auto& k : keys) {
    uint32_t s = shard_for(ks_, k);
    EXPECT_EQ(at(k, 0), s == 0 ? "none" : S(k + "@0")) << k;
    EXPECT_EQ(at(k, 1), s == 0 ? "none" : S(k + "@1", kFuture)) << k;
    EXPECT_EQ(at(k, 2), s == 0 || s == 3 ? "none" : S(k + "@2")) << k;
  }
  // On an empty keyspace they are no-ops.
  Keyspace empty(kDbs, 4);
  EXPECT_EQ(apply_bytes(empty, make_record(1, 2, 3, WalOp::kFlushDb, "", "")), "");
  EXPECT_EQ(apply_bytes(empty, make_record(1, 2, 0, WalOp::kFlushAll, "", "")), "");
  EXPECT_EQ(apply_bytes(empty, make_record(1, 2, 0, WalOp::kSwapDb, "", u32(3))), "");
  EXPECT_TRUE(dump(empty).empty());
}

TEST_F(WalApplyTest, WrongTypeRecordsAreErrorsAndChangeNothing) {
  put_string("s", "str", kFuture);
  put_hash("h", {{"f", "v"}});
  put_zset("z", {{"m", 1}});
  Dump before = dump(ks_);
  EXPECT_NE(apply(WalOp::kHSet, "s", hset_payload("f", "v")), "");
  EXPECT_NE(apply(WalOp::kHDel, "s", "f"), "");
  EXPECT_NE(apply(WalOp::kZAdd, "s", zadd_payload(1, "m")), "");
  EXPECT_NE(apply(WalOp::kZRem, "s", "m"), "");
  EXPECT_NE(apply(WalOp::kHSet, "z", hset_payload("f", "v")), "");
  EXPECT_NE(apply(WalOp::kHDel, "z", "m"), "");
  EXPECT_NE(apply(WalOp::kZAdd, "h", zadd_payload(1, "f")), "");
  EXPECT_NE(apply(WalOp::kZRem, "h", "f"), "");
  EXPECT_EQ(dump(ks_), before) << diff(before, dump(ks_));
}

TEST_F(WalApplyTest, OutOfRangeAndMalformedRecordsAreErrors) {
  put_string("s", "v");
  Dump before = dump(ks_);
  // A database at or beyond `databases`, for every op.
  for (const SampleRecord& s : sample_records()) {
    if (s.op == WalOp::kSnapEnd) continue;
    for (uint32_t db : {uint32_t{kDbs}, uint32_t{kDbs + 1}, UINT32_MAX}) {
      std::string b = make_record(1, shard_for(ks_, s.key), db, s.op, s.key, s.payload);
      std::string e = apply_bytes(ks_, b);
      EXPECT_NE(e, "") << s.name << " db " << db;
      EXPECT_NE(e.find("database"), std::string::npos) << e;
    }
  }
  // A shard beyond the layout; a key in another shard than its record says.
  EXPECT_NE(apply_bytes(ks_, make_record(1, 4, 0, WalOp::kFlushAll, "", "")), "");
  EXPECT_NE(apply_bytes(ks_, make_record(1, 99, 0, WalOp::kString, "s", string_payload(-1, "x"))), "");
  EXPECT_NE(apply_bytes(ks_, make_record(1, (shard_for(ks_, "s") + 1) % 4, 0, WalOp::kString, "s", string_payload(-1, "x"))), "");
  EXPECT_NE(apply_bytes(ks_, make_record(1, (shard_for(ks_, "s") + 1) % 4, 0, WalOp::kDel, "s", "")), "");
  // SWAPDB with the other db out of range or missing.
  EXPECT_NE(apply_bytes(ks_, make_record(1, 0, 0, WalOp::kSwapDb, "", u32(kDbs))), "");
  EXPECT_NE(apply_bytes(ks_, make_record(1, 0, 0, WalOp::kSwapDb, "", "")), "");
  // Payloads too short or inconsistent.
  EXPECT_NE(apply(WalOp::kString, "n1", "1234567"), "");
  EXPECT_NE(apply(WalOp::kHash, "n2", i64(-1)), "");
  EXPECT_NE(apply(WalOp::kHash, "n2", hash_payload(-1, {})), "") << "an empty hash cannot exist";
  EXPECT_NE(apply(WalOp::kHash, "n2", i64(-1) + u32(2) + lstr("f") + lstr("v")), "") << "count beyond the data";
  EXPECT_NE(apply(WalOp::kHash, "n2", i64(-1) + u32(1) + lstr("f") + u32(10) + "v"), "") << "value beyond the data";
  EXPECT_NE(apply(WalOp::kZSet, "n3", zset_payload(-1, {})), "");
  EXPECT_NE(apply(WalOp::kZSet, "n3", zset_payload(-1, {{"m", NAN}})), "");
  EXPECT_NE(apply(WalOp::kZSet, "n3", zset_payload(-1, {{"m", 1}, {"m", 2}})), "") << "a member twice";
  EXPECT_NE(apply(WalOp::kZSet, "n3", i64(-1) + u32(1) + f64(1)), "");
  EXPECT_NE(apply(WalOp::kHSet, "n4", u32(5) + "abc"), "");
  EXPECT_NE(apply(WalOp::kZAdd, "n5", "1234"), "");
  EXPECT_NE(apply(WalOp::kZAdd, "n5", zadd_payload(NAN, "m")), "");
  EXPECT_NE(apply(WalOp::kExpireAt, "s", "123"), "");
  EXPECT_NE(apply(WalOp::kSnapEnd, "", u32(1) + i64(1) + i64(1) + i64(0)), "") << "a snapshot trailer in a log";
  EXPECT_NE(apply(static_cast<WalOp>(99), "s", ""), "") << "unknown op";
  EXPECT_NE(apply(static_cast<WalOp>(0), "s", ""), "") << "unknown op";
  EXPECT_EQ(dump(ks_), before) << diff(before, dump(ks_));
}

// Applying any record twice leaves what applying it once does (a snapshot may already hold a record
// the log replays). Every op on every starting state of the key; SWAPDB is the one record that is
// not idempotent but an involution: recovery relies on the per-shard snapshot seq to skip it.
TEST_F(WalApplyTest, ApplyingARecordTwiceEqualsOnce) {
  const std::string key = "k";
  std::vector<std::pair<std::string, std::function<void(Keyspace&)>>> states = {
      {"empty", [](Keyspace&) {}},
      {"string", [&](Keyspace& ks) { apply_bytes(ks, key_record(ks, 0, WalOp::kString, key, string_payload(kFuture, "v"))); }},
      {"hash", [&](Keyspace& ks) { apply_bytes(ks, key_record(ks, 0, WalOp::kHash, key, hash_payload(-1, {{"a", "1"}, {"b", "2"}}))); }},
      {"hash1", [&](Keyspace& ks) { apply_bytes(ks, key_record(ks, 0, WalOp::kHash, key, hash_payload(kPast, {{"a", "1"}}))); }},
      {"zset", [&](Keyspace& ks) { apply_bytes(ks, key_record(ks, 0, WalOp::kZSet, key, zset_payload(-1, {{"a", 1}, {"b", 2}}))); }},
      {"zset1", [&](Keyspace& ks) { apply_bytes(ks, key_record(ks, 0, WalOp::kZSet, key, zset_payload(5, {{"a", 1}}))); }},
      {"others", [&](Keyspace& ks) {
         apply_bytes(ks, key_record(ks, 0, WalOp::kString, "other", string_payload(-1, "o")));
         apply_bytes(ks, key_record(ks, 1, WalOp::kString, key, string_payload(-1, "db1")));
         apply_bytes(ks, key_record(ks, 0, WalOp::kHash, key, hash_payload(-1, {{"a", "1"}})));
       }},
  };
  std::vector<std::pair<std::string, std::string>> records;  // name, bytes
  auto add = [&](const std::string& name, WalOp op, std::string_view payload) {
    records.emplace_back(name, key_record(ks_, 0, op, key, payload));
  };
  add("del", WalOp::kDel, "");
  add("string", WalOp::kString, string_payload(-1, "x"));
  add("string-ttl", WalOp::kString, string_payload(kFuture, "12"));
  add("hash", WalOp::kHash, hash_payload(-1, {{"a", "9"}, {"c", "3"}}));
  add("zset", WalOp::kZSet, zset_payload(kFuture, {{"a", 9}, {"c", 3}}));
  add("hset-new", WalOp::kHSet, hset_payload("c", "3"));
  add("hset-old", WalOp::kHSet, hset_payload("a", "changed"));
  add("hdel", WalOp::kHDel, "a");
  add("hdel-missing", WalOp::kHDel, "zz");
  add("zadd-new", WalOp::kZAdd, zadd_payload(7, "c"));
  add("zadd-old", WalOp::kZAdd, zadd_payload(-3, "a"));
  add("zrem", WalOp::kZRem, "a");
  add("zrem-missing", WalOp::kZRem, "zz");
  add("expireat", WalOp::kExpireAt, i64(kFuture + 1));
  add("persist", WalOp::kExpireAt, i64(-1));
  for (uint32_t s = 0; s < ks_.shard_count(); ++s) {
    records.emplace_back("flushdb0@" + std::to_string(s), make_record(1, s, 0, WalOp::kFlushDb, "", ""));
    records.emplace_back("flushdb1@" + std::to_string(s), make_record(1, s, 1, WalOp::kFlushDb, "", ""));
    records.emplace_back("flushall@" + std::to_string(s), make_record(1, s, 0, WalOp::kFlushAll, "", ""));
  }
  for (const auto& [sname, setup] : states) {
    for (const auto& [rname, bytes] : records) {
      SCOPED_TRACE(sname + " + " + rname);
      Keyspace once(kDbs, 4), twice(kDbs, 4);
      setup(once);
      setup(twice);
      std::string e1 = apply_bytes(once, bytes);
      std::string e2a = apply_bytes(twice, bytes);
      std::string e2b = apply_bytes(twice, bytes);
      EXPECT_EQ(e1, e2a);
      EXPECT_EQ(e2a, e2b) << "the second application answers like the first";
      EXPECT_EQ(dump(once), dump(twice)) << diff(dump(once), dump(twice));
    }
  }
  // SWAPDB twice restores the original.
  Keyspace ks(kDbs, 4);
  states.back().second(ks);
  Dump before = dump(ks);
  std::string swap = make_record(1, shard_for(ks, key), 0, WalOp::kSwapDb, "", u32(1));
  ASSERT_EQ(apply_bytes(ks, swap), "");
  EXPECT_NE(dump(ks), before);
  ASSERT_EQ(apply_bytes(ks, swap), "");
  EXPECT_EQ(dump(ks), before);
}

// ---------------------------------------------------------------------------------------------------
// c. Differential replay: commands with logging on vs. their log replayed into a fresh keyspace.
// ---------------------------------------------------------------------------------------------------

constexpr int kDatabases = 16;
constexpr int kShards = 8;
constexpr int kUsedDbs = 4;  // commands use databases 0..3 so that SELECT/MOVE/COPY/SWAPDB collide

// A CmdTest-style in-process server (cmd_fixture.h), constructible many times in one test.
struct InProcess {
  ServerState state;
  Client client{1, -1};
  // `workers`: exec-gate slots and statistics blocks, one per concurrently running client.
  explicit InProcess(int workers = 1) {
    state.config.databases = kDatabases;
    state.config.shards = kShards;
    state.config.workers = workers;
    state.init_keyspace();
    for (int i = 0; i < workers; ++i) state.workers.push_back(std::make_unique<WorkerStats>(state.commands.count_ids()));
    client.writer.set_resp(2);
  }
  Keyspace& ks() { return *state.keyspace; }
  std::string run(const std::vector<std::string>& owned) { return run_as(client, owned); }
  std::string run_as(Client& c, const std::vector<std::string>& owned) {
    std::vector<std::string_view> argv(owned.begin(), owned.end());
    c.out.clear();
    dispatch(state, c, argv, state.stats_for(c)->cmd.data());
    return std::string(c.out.view());
  }
};

// One step: a command, or a pseudo-command: {"#sleep", ms} or {"#active-expire", shard}.
using Step = std::vector<std::string>;

std::string step_text(const Step& s) {
  std::string out;
  for (const auto& a : s) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \"\r\n") == std::string::npos;
    out += plain ? a : "\"" + a + "\"";
  }
  return out;
}

void run_step(InProcess& srv, Client& c, const Step& s) {
  if (s[0] == "#sleep") {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(s[1])));
  } else if (s[0] == "#active-expire") {
    // Inside the exec gate, as the server's periodic() runs it: never in the middle of another
    // client's EXEC (whose records share one sequence number).
    const int slot = srv.state.gate.slot_of(c.worker);
    srv.state.gate.enter(slot);
    srv.ks().active_expire(static_cast<uint32_t>(std::stoi(s[1])), now_ms(), 1000);
    srv.state.gate.leave(slot);
  } else {
    srv.run_as(c, s);
  }
}
void run_step(InProcess& srv, const Step& s) { run_step(srv, srv.client, s); }



// Random commands on a handful of keys, fields, members and databases.
class CommandGen {
 public:
  explicit CommandGen(uint64_t seed) : rng_(seed) {}

  std::vector<Step> sequence(std::size_t n) {
    std::vector<Step> out;
    while (out.size() < n) {
      int r = pick(1000);
      if (r < 25) {  // a transaction
        out.push_back({"MULTI"});
        int k = 1 + pick(5);
        for (int i = 0; i < k; ++i) out.push_back(command());
        out.push_back({pick(5) == 0 ? "DISCARD" : "EXEC"});
      } else if (r < 50) {
        out.push_back({"SELECT", db()});
      } else if (r < 58) {
        out.push_back({"#sleep", std::to_string(1 + pick(3))});
      } else if (r < 68) {
        out.push_back({"#active-expire", std::to_string(pick(kShards))});
      } else {
        out.push_back(command());
      }
    }
    return out;
  }

  // The commands sequence() can produce (lowercase), for the coverage check.
  static std::set<std::string> covered(uint64_t seed, std::size_t n) {
    CommandGen g(seed);
    std::set<std::string> names;
    for (const Step& s : g.sequence(n)) {
      std::string name = s[0];
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      names.insert(name);
    }
    return names;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool chance(int pct) { return pick(100) < pct; }
  template <class T>
  const T& one(std::initializer_list<T> items) {
    return items.begin()[pick(static_cast<int>(items.size()))];
  }
  std::string s(const char* v) { return v; }

  // Keys: a few of each type's pool, and now and then any key (so types collide too).
  std::string key() {
    if (pick(50) == 0) return one({s(""), s("key with spaces\r\n"), std::string("bin\0key", 7)});
    const char* pools[] = {"s", "h", "z"};
    return pools[pick(3)] + std::to_string(pick(4));
  }
  std::string skey() { return chance(85) ? "s" + std::to_string(pick(4)) : key(); }
  std::string hkey() { return chance(85) ? "h" + std::to_string(pick(4)) : key(); }
  std::string zkey() { return chance(85) ? "z" + std::to_string(pick(4)) : key(); }
  std::vector<std::string> zkeys(int min, int max) {
    std::vector<std::string> out;
    int n = min + pick(max - min + 1);
    for (int i = 0; i < n; ++i) out.push_back(zkey());
    return out;
  }
  std::string db() { return std::to_string(pick(kUsedDbs)); }
  std::string field() { return "f" + std::to_string(pick(5)); }
  std::string member() { return "m" + std::to_string(pick(6)); }
  std::string value() {
    return s(one({"x", "hello", "12", "-7", "0", "3.5", "1e3", "", "a value longer than fifteen bytes",
                  "99999999999999999999", "9223372036854775807", "007", " 5"}));
  }
  std::string integer() { return s(one({"1", "2", "-3", "10", "0", "100", "-100", "9223372036854775807", "x"})); }
  std::string increment_float() { return s(one({"1.5", "-0.25", "3", "1e2", "0", "-1", "abc"})); }
  std::string score() { return s(one({"0", "1", "-1", "2.5", "-0", "inf", "-inf", "3", "1e-3", "5", "+inf", "0.1"})); }
  std::string range_score() { return s(one({"-inf", "+inf", "0", "(1", "2", "(2.5", "-1", "3"})); }
  std::string lex() { return s(one({"-", "+", "[m1", "(m2", "[m4", "(m0", "[m5"})); }
  std::string index() { return std::to_string(pick(9) - 4); }
  int64_t now_s() { return now_ms() / 1000; }

  // Seconds or milliseconds for an expiry option: mostly far, sometimes a few ms, sometimes past.
  void add_ttl_option(Step& c, bool allow_keepttl) {
    switch (pick(allow_keepttl ? 8 : 7)) {
      case 0: c.insert(c.end(), {"EX", std::to_string(50 + pick(100))}); break;
      case 1: c.insert(c.end(), {"PX", std::to_string(1 + pick(4))}); break;  // expires during the run
      case 2: c.insert(c.end(), {"PX", std::to_string(100000 + pick(1000))}); break;
      case 3: c.insert(c.end(), {"EXAT", std::to_string(now_s() + 100 + pick(100))}); break;
      case 4: c.insert(c.end(), {"PXAT", std::to_string(now_ms() + 1 + pick(3))}); break;
      case 5: c.insert(c.end(), {"PXAT", std::to_string(now_ms() + 500000)}); break;
      case 6: c.insert(c.end(), {"EX", one({s("0"), s("-1"), s("abc")})}); break;  // errors
      default: c.push_back("KEEPTTL"); break;
    }
  }
  std::vector<std::string> keys(int min, int max) {
    std::vector<std::string> out;
    int n = min + pick(max - min + 1);
    for (int i = 0; i < n; ++i) out.push_back(key());
    return out;
  }

  Step command() {
    Step c;
    switch (pick(78)) {
      // ---- strings ----
      case 0: case 1: case 2: {
        c = {"SET", skey(), value()};
        if (chance(60)) add_ttl_option(c, true);
        if (chance(25)) c.push_back(one({s("NX"), s("XX")}));
        if (chance(20)) c.push_back("GET");
        break;
      }
      case 3: c = {"SETEX", skey(), one({s("100"), s("1"), s("0"), s("-5")}), value()}; break;
      case 4: c = {"PSETEX", skey(), one({s("2"), s("100000"), s("3"), s("0")}), value()}; break;
      case 5: c = {"SETNX", skey(), value()}; break;
      case 6: c = {"GETSET", skey(), value()}; break;
      case 7: c = {"GETDEL", skey()}; break;
      case 8: {
        c = {"GETEX", skey()};
        switch (pick(6)) {
          case 0: c.insert(c.end(), {"EX", "100"}); break;
          case 1: c.insert(c.end(), {"PX", std::to_string(1 + pick(3))}); break;
          case 2: c.insert(c.end(), {"EXAT", std::to_string(now_s() - 10)}); break;  // in the past: deletes
          case 3: c.insert(c.end(), {"PXAT", std::to_string(now_ms() + 300000)}); break;
          case 4: c.push_back("PERSIST"); break;
          default: break;
        }
        break;
      }
      case 9: c = {"APPEND", skey(), value()}; break;
      case 10: c = {"SETRANGE", skey(), std::to_string(pick(3) == 0 ? 20 + pick(20) : pick(6)), value()}; break;
      case 11: c = {"INCR", skey()}; break;
      case 12: c = {"INCRBY", skey(), integer()}; break;
      case 13: c = {"DECR", skey()}; break;
      case 14: c = {"DECRBY", skey(), integer()}; break;
      case 15: c = {"INCRBYFLOAT", skey(), increment_float()}; break;
      case 16: {
        c = {"MSET"};
        for (int i = 0, n = 1 + pick(3); i < n; ++i) c.insert(c.end(), {skey(), value()});
        break;
      }
      case 17: {
        c = {"MSETNX"};
        for (int i = 0, n = 1 + pick(3); i < n; ++i) c.insert(c.end(), {skey(), value()});
        break;
      }
      // ---- keys ----
      case 18: c = {"DEL"}; for (auto& k : keys(1, 3)) c.push_back(k); break;
      case 19: c = {"UNLINK"}; for (auto& k : keys(1, 3)) c.push_back(k); break;
      case 20: case 21: {
        const char* cmd = one({"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"});
        std::string when;
        std::string name = cmd;
        if (name == "EXPIRE") when = one({s("100"), s("200"), s("0"), s("-1"), s("50")});
        else if (name == "PEXPIRE") when = std::to_string(one({1, 2, 3, 100000, 200000, -5}));
        else if (name == "EXPIREAT") when = std::to_string(now_s() + one({100, 200, -100, 0}));
        else when = std::to_string(now_ms() + one({2, 3, 100000, 200000, -100}));
        c = {cmd, key(), when};
        if (chance(40)) c.push_back(one({s("NX"), s("XX"), s("GT"), s("LT")}));
        break;
      }
      case 22: c = {"PERSIST", key()}; break;
      case 23: c = {"RENAME", key(), key()}; break;
      case 24: c = {"RENAMENX", key(), key()}; break;
      case 25: c = {"MOVE", key(), db()}; break;
      case 26: case 27: {
        c = {"COPY", key(), key()};
        if (chance(50)) c.insert(c.end(), {"DB", db()});
        if (chance(50)) c.push_back("REPLACE");
        break;
      }
      case 28: c = {"SWAPDB", db(), db()}; break;
      case 29: c = chance(15) ? Step{"FLUSHDB"} : Step{"TOUCH", key()}; break;
      case 30: c = chance(8) ? Step{"FLUSHALL"} : Step{"EXISTS", key(), key()}; break;
      // ---- hashes ----
      case 31: case 32: case 33: {
        c = {one({s("HSET"), s("HMSET")}), hkey()};
        for (int i = 0, n = 1 + pick(3); i < n; ++i) c.insert(c.end(), {field(), value()});
        break;
      }
      case 34: c = {"HSETNX", hkey(), field(), value()}; break;
      case 35: c = {"HINCRBY", hkey(), field(), integer()}; break;
      case 36: c = {"HINCRBYFLOAT", hkey(), field(), increment_float()}; break;
      case 37: case 38: {
        c = {"HDEL", hkey()};
        for (int i = 0, n = 1 + pick(3); i < n; ++i) c.push_back(field());
        break;
      }
      // ---- sorted sets ----
      case 39: case 40: case 41: case 42: {
        c = {"ZADD", zkey()};
        if (chance(25)) c.push_back(one({s("NX"), s("XX")}));
        if (chance(25)) c.push_back(one({s("GT"), s("LT")}));
        if (chance(25)) c.push_back("CH");
        bool incr = chance(15);
        if (incr) c.push_back("INCR");
        for (int i = 0, n = incr ? 1 : 1 + pick(3); i < n; ++i) c.insert(c.end(), {score(), member()});
        break;
      }
      case 43: c = {"ZINCRBY", zkey(), score(), member()}; break;
      case 44: case 45: {
        c = {"ZREM", zkey()};
        for (int i = 0, n = 1 + pick(3); i < n; ++i) c.push_back(member());
        break;
      }
      case 46: c = {one({s("ZPOPMIN"), s("ZPOPMAX")}), zkey()}; if (chance(60)) c.push_back(std::to_string(pick(4))); break;
      case 47: {
        auto ks = zkeys(1, 3);
        c = {"ZMPOP", std::to_string(ks.size())};
        c.insert(c.end(), ks.begin(), ks.end());
        c.push_back(one({s("MIN"), s("MAX")}));
        if (chance(50)) c.insert(c.end(), {"COUNT", std::to_string(1 + pick(3))});
        break;
      }
      case 48: {
        c = {one({s("BZPOPMIN"), s("BZPOPMAX")})};
        for (auto& k : zkeys(1, 2)) c.push_back(k);
        c.push_back("0.01");
        break;
      }
      case 49: {
        auto ks = zkeys(1, 2);
        c = {"BZMPOP", "0.01", std::to_string(ks.size())};
        c.insert(c.end(), ks.begin(), ks.end());
        c.push_back(one({s("MIN"), s("MAX")}));
        if (chance(50)) c.insert(c.end(), {"COUNT", std::to_string(1 + pick(3))});
        break;
      }
      case 50: c = {"ZREMRANGEBYRANK", zkey(), index(), index()}; break;
      case 51: c = {"ZREMRANGEBYSCORE", zkey(), range_score(), range_score()}; break;
      case 52: c = {"ZREMRANGEBYLEX", zkey(), lex(), lex()}; break;
      case 53: case 54: {
        auto ks = zkeys(1, 3);
        c = {one({s("ZUNIONSTORE"), s("ZINTERSTORE")}), zkey(), std::to_string(ks.size())};
        c.insert(c.end(), ks.begin(), ks.end());
        if (chance(30)) {
          c.push_back("WEIGHTS");
          for (std::size_t i = 0; i < ks.size(); ++i) c.push_back(one({s("1"), s("2"), s("-1"), s("0.5"), s("0"), s("inf"), s("-inf")}));
        }
        if (chance(30)) c.insert(c.end(), {"AGGREGATE", one({s("SUM"), s("MIN"), s("MAX")})});
        break;
      }
      case 55: {
        auto ks = zkeys(1, 3);
        c = {"ZDIFFSTORE", zkey(), std::to_string(ks.size())};
        c.insert(c.end(), ks.begin(), ks.end());
        break;
      }
      case 56: case 57: {
        c = {"ZRANGESTORE", zkey(), zkey()};
        int mode = pick(3);
        bool rev = chance(30);
        switch (mode) {
          case 0: c.insert(c.end(), {index(), index()}); break;
          case 1: c.insert(c.end(), {range_score(), range_score(), "BYSCORE"}); break;
          default: c.insert(c.end(), {lex(), lex(), "BYLEX"}); break;
        }
        if (rev) {
          if (mode != 0) std::swap(c[3], c[4]);  // REV takes max first
          c.push_back("REV");
        }
        if (mode != 0 && chance(25)) c.insert(c.end(), {"LIMIT", std::to_string(pick(2)), std::to_string(pick(3) - 1)});
        break;
      }
      // ---- reads: lazy expiry on every kind of lookup ----
      case 58: c = {"GET", skey()}; break;
      case 59: c = {"MGET", key(), key()}; break;
      case 60: c = {one({s("TTL"), s("PTTL"), s("EXPIRETIME"), s("TYPE")}), key()}; break;
      case 61: c = {one({s("STRLEN"), s("HLEN"), s("ZCARD")}), key()}; break;
      case 62: c = {"GETRANGE", skey(), "0", "-1"}; break;
      case 63: c = {"HGET", hkey(), field()}; break;
      case 64: c = {"HGETALL", hkey()}; break;
      case 65: c = {"ZSCORE", zkey(), member()}; break;
      case 66: c = {"ZRANGE", zkey(), "0", "-1", "WITHSCORES"}; break;
      case 67: c = {"OBJECT", "ENCODING", key()}; break;
      case 68: c = {one({s("KEYS"), s("DBSIZE"), s("RANDOMKEY")})}; if (c[0] == "KEYS") c.push_back("*"); break;
      case 69: c = {"SCAN", "0", "COUNT", "100"}; break;
      case 70: c = {"LCS", key(), key()}; break;
      case 71: c = {"ZUNION", "2", zkey(), zkey(), "WITHSCORES"}; break;
      case 72: c = {"HINCRBY", hkey(), field(), one({s("1"), s("-2")})}; break;
      case 73: c = {"ZADD", zkey(), score(), member()}; break;
      case 74: c = {"SET", skey(), value(), "PX", std::to_string(1 + pick(3))}; break;
      case 75: c = {"HSET", hkey(), field(), value()}; break;
      case 76: c = {"INCRBYFLOAT", skey(), one({s("1e308"), s("-1e308"), s("1.5")})}; break;
      default: c = {"ZINTERCARD", "2", zkey(), zkey()}; break;
    }
    if ((c[0] == "FLUSHDB" || c[0] == "FLUSHALL") && chance(50)) c.push_back(one({s("ASYNC"), s("SYNC")}));
    return c;
  }

  std::mt19937_64 rng_;
};

// Runs one random sequence per client, each client on its own thread, all at once.
void run_concurrently(InProcess& srv, uint64_t seed, int clients, std::size_t steps) {
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&srv, seed, i, steps] {
      Client c(100 + static_cast<uint64_t>(i), -1);
      c.worker = i;
      c.writer.set_resp(2);
      CommandGen gen(seed * 1000 + static_cast<uint64_t>(i));
      for (const Step& s : gen.sequence(steps)) run_step(srv, c, s);
    });
  }
  for (auto& t : threads) t.join();
}

// A keyspace kept in step with another one by applying the records its shards' log buffers gain.
// catch_up() checks each buffer's shape as it goes: records decode, name their own shard, carry
// non-decreasing seqs below the keyspace's counter, and end at the shard's wal_last_seq.
class Replica {
 public:
  explicit Replica(Keyspace& source)
      : src_(source), ks_(source.databases(), static_cast<int>(source.shard_count())), pos_(source.shard_count()),
        prev_(source.shard_count()) {}
  Keyspace& ks() { return ks_; }
  std::size_t records() const { return records_; }

  std::string catch_up() {
    std::string problems;
    for (uint32_t s = 0; s < src_.shard_count(); ++s) {
      Shard& sh = src_.shard(s);
      std::lock_guard lock(sh.mu);
      const std::string& buf = sh.wal_buf;
      std::string where = "shard " + std::to_string(s);
      while (pos_[s] < buf.size()) {
        RecordView r;
        std::size_t used = 0;
        if (decode_record(buf.data() + pos_[s], buf.size() - pos_[s], &r, &used) != Decode::kOk) {
          problems += where + ": undecodable record at " + std::to_string(pos_[s]) + "\n";
          pos_[s] = buf.size();
          break;
        }
        if (r.shard != s) problems += where + ": record names shard " + std::to_string(r.shard) + "\n";
        if (r.seq < prev_[s]) problems += where + ": seq " + std::to_string(r.seq) + " after " + std::to_string(prev_[s]) + "\n";
        if (r.seq >= src_.next_seq()) problems += where + ": seq " + std::to_string(r.seq) + " not below next_seq\n";
        prev_[s] = r.seq;
        if (std::string e = apply_record(ks_, r); !e.empty())
          problems += where + " seq " + std::to_string(r.seq) + ": apply_record: " + e + "\n";
        pos_[s] += used;
        ++records_;
      }
      if (!buf.empty() && prev_[s] != sh.wal_last_seq)
        problems += where + ": wal_last_seq " + std::to_string(sh.wal_last_seq) + " but last record " + std::to_string(prev_[s]) + "\n";
    }
    return problems;
  }

 private:
  Keyspace& src_;
  Keyspace ks_;
  std::vector<std::size_t> pos_;
  std::vector<uint64_t> prev_;
  std::size_t records_ = 0;
};

// Applies every record of every shard's buffer, in shard order, to a fresh keyspace and returns the
// differences from `ks` (or "" when equal).
std::string replay_and_compare(Keyspace& ks, std::size_t* records = nullptr) {
  Replica fresh(ks);
  std::string problems = fresh.catch_up();
  if (records) *records = fresh.records();
  Dump want = dump(ks), got = dump(fresh.ks());
  if (want != got) problems += diff(want, got);
  return problems;
}

// Runs `steps` on a fresh server with logging on, replaying its log into a replica after every
// step; "" or the first step after which the replica differs (and how). At the end, the whole log
// is also replayed into a fresh keyspace.
std::string run_and_compare(const std::vector<Step>& steps, std::size_t* records = nullptr) {
  InProcess srv;
  srv.ks().set_logging(true);
  Replica replica(srv.ks());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    run_step(srv, steps[i]);
    std::string problems = replica.catch_up();
    Dump want = dump(srv.ks()), got = dump(replica.ks());
    if (want != got) problems += diff(want, got);
    if (!problems.empty())
      return "after step " + std::to_string(i) + " (" + step_text(steps[i]) + "), db " + std::to_string(srv.client.db.load()) + ":\n" + problems;
  }
  std::string problems = replay_and_compare(srv.ks(), records);
  return problems.empty() ? "" : "replaying the whole log into a fresh keyspace:\n" + problems;
}

// Removes chunks of a failing sequence while it still fails (ddmin-like, bounded).
std::vector<Step> shrink(std::vector<Step> steps) {
  auto start = std::chrono::steady_clock::now();
  for (std::size_t chunk = steps.size() / 2; chunk >= 1; chunk /= 2) {
    for (std::size_t i = 0; i + chunk <= steps.size();) {
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) return steps;
      std::vector<Step> candidate(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(i));
      candidate.insert(candidate.end(), steps.begin() + static_cast<std::ptrdiff_t>(i + chunk), steps.end());
      if (!run_and_compare(candidate).empty()) steps = std::move(candidate);
      else i += chunk;
    }
    if (chunk == 1) break;
  }
  return steps;
}

std::string replay_sequence_text(const std::vector<Step>& steps) {
  std::string out;
  for (const Step& s : steps) out += "    " + step_text(s) + "\n";
  return out;
}

// Every write command in the table appears in the generated sequences (a new write command must be
// added to the generator, or this test says so).
TEST(WalReplayTest, GeneratorCoversEveryWriteCommand) {
  ServerState state;
  std::set<std::string> covered = CommandGen::covered(1, 20000);
  std::set<std::string> exempt = {"save", "bgsave", "bgrewriteaof", "compact"};  // persistence admin, not keyspace writes
  for (const Command& cmd : state.commands.all()) {
    if (!(cmd.spec->flags & kCmdWrite)) continue;
    std::string name(cmd.spec->name);
    if (exempt.count(name)) continue;
    EXPECT_TRUE(covered.count(name)) << "write command '" << name << "' is not generated";
  }
  for (const char* extra : {"multi", "exec", "discard", "select", "#sleep", "#active-expire"})
    EXPECT_TRUE(covered.count(extra)) << extra;
}

class WalReplaySeedTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(WalReplaySeedTest, LogReplaysToTheSameKeyspace) {
  CommandGen gen(GetParam());
  std::vector<Step> steps = gen.sequence(3000);
  std::size_t records = 0;
  std::string problems = run_and_compare(steps, &records);
  if (!problems.empty()) {
    std::vector<Step> small = shrink(steps);
    std::string small_problems = run_and_compare(small);
    ADD_FAILURE() << "replaying the log of seed " << GetParam() << " differs from the server:\n"
                  << problems << "shrunk to " << small.size() << " steps:\n"
                  << replay_sequence_text(small) << "which gives:\n"
                  << small_problems;
  }
  EXPECT_GT(records, 1000u) << "the sequence should log plenty";
}

INSTANTIATE_TEST_SUITE_P(Wal, WalReplaySeedTest, ::testing::Values(1, 2, 3, 4, 5, 6));

// Four clients on four threads at once: each shard's buffer must still replay to the final state.
TEST(WalReplayTest, ConcurrentClientsLogReplaysToTheSameKeyspace) {
  for (uint64_t seed : {21, 22}) {
    InProcess srv(4);
    srv.ks().set_logging(true);
    run_concurrently(srv, seed, 4, 1500);
    std::size_t records = 0;
    EXPECT_EQ(replay_and_compare(srv.ks(), &records), "") << "seed " << seed;
    EXPECT_GT(records, 1000u);
  }
}

// Hand-picked sequences for the paths random ones reach rarely.
TEST(WalReplayTest, DirectedSequences) {
  std::vector<std::vector<Step>> cases = {
      // Lazy expiry by a read, and by a write that recreates the key with another type.
      {{"SET", "a", "1", "PX", "1"}, {"SET", "b", "1", "PX", "1"}, {"#sleep", "3"}, {"GET", "a"}, {"HSET", "b", "f", "v"}},
      // Active expiry in every shard and db.
      {{"SET", "a", "1", "PX", "1"}, {"SELECT", "2"}, {"SET", "a", "2", "PX", "1"}, {"HSET", "h", "f", "v"},
       {"PEXPIRE", "h", "1"}, {"#sleep", "3"}, {"#active-expire", "0"}, {"#active-expire", "1"}, {"#active-expire", "2"},
       {"#active-expire", "3"}, {"#active-expire", "4"}, {"#active-expire", "5"}, {"#active-expire", "6"}, {"#active-expire", "7"}},
      // TTL-only changes on hashes and sorted sets, then field changes that keep the TTL.
      {{"HSET", "h", "a", "1", "b", "2"}, {"EXPIRE", "h", "100"}, {"HSET", "h", "c", "3"}, {"HDEL", "h", "a"},
       {"ZADD", "z", "1", "a", "2", "b"}, {"PEXPIRE", "z", "100000"}, {"ZINCRBY", "z", "5", "a"}, {"ZREM", "z", "b"},
       {"PERSIST", "h"}, {"EXPIRE", "z", "50", "LT"}},
      // Deleting the last field / member, popping everything.
      {{"HSET", "h", "a", "1"}, {"HDEL", "h", "a"}, {"ZADD", "z", "1", "a", "2", "b"}, {"ZPOPMIN", "z", "5"},
       {"ZADD", "z", "1", "a"}, {"ZREMRANGEBYSCORE", "z", "-inf", "+inf"}},
      // RENAME / MOVE / COPY / SWAPDB with TTLs across databases.
      {{"SET", "a", "v", "EX", "100"}, {"RENAME", "a", "b"}, {"MOVE", "b", "1"}, {"SELECT", "1"}, {"COPY", "b", "c", "DB", "0"},
       {"SWAPDB", "0", "1"}, {"SELECT", "0"}, {"COPY", "b", "c", "REPLACE"}, {"RENAMENX", "c", "d"}},
      // MULTI/EXEC with a SWAPDB and a FLUSHDB in the middle.
      {{"SET", "a", "1"}, {"MULTI"}, {"SET", "b", "2"}, {"SWAPDB", "0", "3"}, {"SET", "c", "3"}, {"SELECT", "3"},
       {"FLUSHDB"}, {"SET", "d", "4"}, {"EXEC"}},
      // Store commands onto existing keys of other types, and empty results that delete the destination.
      {{"SET", "d", "x", "EX", "100"}, {"ZADD", "s", "1", "a"}, {"ZUNIONSTORE", "d", "1", "s"}, {"ZINTERSTORE", "d", "2", "s", "nosuch"},
       {"HSET", "d", "f", "v"}, {"ZRANGESTORE", "d", "s", "0", "-1"}, {"ZDIFFSTORE", "s", "2", "s", "d"}},
      // Scores that come out NaN (inf * 0, inf + -inf) are stored as something replayable.
      {{"ZADD", "z", "inf", "a", "-inf", "b", "1", "c"}, {"ZUNIONSTORE", "d", "2", "z", "z", "WEIGHTS", "0", "1"},
       {"ZINTERSTORE", "e", "2", "z", "z", "WEIGHTS", "1", "-1"}, {"ZUNIONSTORE", "f", "2", "z", "z", "WEIGHTS", "inf", "-inf"},
       {"ZINCRBY", "z", "-inf", "a"}, {"ZADD", "z", "INCR", "inf", "b"}, {"ZRANGESTORE", "g", "z", "-inf", "+inf", "BYSCORE"}},
      // Strings changed in place: APPEND, SETRANGE, INCR* keeping the TTL; GETEX; SET KEEPTTL.
      {{"SET", "s", "10", "EX", "100"}, {"INCR", "s"}, {"APPEND", "s", "x"}, {"SETRANGE", "s", "30", "y"},
       {"SET", "n", "1.5"}, {"INCRBYFLOAT", "n", "1e2"}, {"GETEX", "n", "PX", "100000"}, {"SET", "n", "v", "KEEPTTL"},
       {"GETEX", "n", "PERSIST"}, {"SET", "s", "q", "GET"}, {"GETDEL", "n"}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::string problems = run_and_compare(cases[i]);
    EXPECT_EQ(problems, "") << "case " << i << ":\n" << replay_sequence_text(cases[i]);
  }
}

// ---------------------------------------------------------------------------------------------------
// d. End to end through Wal: files on disk, rewrite, recovery, damage.
// ---------------------------------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tally-wal-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> files_with(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const std::string& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A server whose keyspace is logged by a Wal in `dir` (appendonly yes, appendfsync always).
struct LoggedServer {
  InProcess srv;
  LoadProgress progress;
  Wal wal;
  explicit LoggedServer(const std::string& dir, int workers = 1) : srv(workers), wal(configure(srv), srv.state.config, dir) {}
  static Keyspace& configure(InProcess& s) {
    s.state.config.appendonly.store(true);
    s.state.config.appendfsync.store(FsyncPolicy::kAlways);
    return s.ks();
  }
  // Waits until everything logged so far is on disk; under leader sync (the default) it leads, as
  // a worker whose replies wait would.
  bool wait_durable() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (wal.durable_seq() < srv.ks().next_seq()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (!wal.leader_sync() || !wal.lead_sync()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
};

// Recovers `dir` into a fresh keyspace; returns recover()'s answer and the keyspace's dump.
std::pair<std::string, Dump> recover_dir(const std::string& dir, const std::function<void(Config&)>& configure = {}) {
  Config cfg;
  if (configure) configure(cfg);
  Keyspace ks(kDatabases, kShards);
  Wal wal(ks, cfg, dir);
  LoadProgress progress;
  std::string e = wal.recover(&progress);
  if (e.empty()) {
    EXPECT_EQ(progress.loaded_bytes.load(), progress.total_bytes.load());
  }
  return {e, dump(ks)};
}

// Recovers `dir` (recover_dir) and checks that it succeeds with exactly `want`.
::testing::AssertionResult recovers_to(const std::string& dir, const Dump& want,
                                       const std::function<void(Config&)>& configure = {}) {
  auto [error, got] = recover_dir(dir, configure);
  if (!error.empty()) return ::testing::AssertionFailure() << "recovery failed: " << error;
  if (got != want) return ::testing::AssertionFailure() << diff(want, got);
  return ::testing::AssertionSuccess();
}

TEST(WalEndToEndTest, RecoverAfterCommandsAndRewriteEqualsTheServer) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Dump want;
  {
    LoggedServer s(dir.path());
    ASSERT_EQ(s.wal.recover(&s.progress), "") << "an empty directory";
    EXPECT_TRUE(dump(s.srv.ks()).empty());
    s.wal.start();
    ASSERT_TRUE(s.srv.ks().logging());
    CommandGen gen(11);
    std::vector<Step> steps = gen.sequence(1500);
    for (std::size_t i = 0; i < 700; ++i) run_step(s.srv, steps[i]);
    // Changes through a Txn directly, too.
    {
      std::string_view keys[] = {"direct1", "direct2"};
      Txn t(s.srv.ks(), 5, keys);
      t.set_string(0, "through a txn");
      Entry* e = t.set_integer(1, 42);
      t.set_expire(e, kFuture);
    }
    ASSERT_EQ(s.wal.rewrite(true, false), "");
    EXPECT_EQ(s.wal.status().rewrites, 1u);
    for (std::size_t i = 700; i < steps.size(); ++i) run_step(s.srv, steps[i]);
    s.srv.run({"SELECT", "0"});
    s.srv.run({"SET", "last", "write"});
    s.wal.stop();
    EXPECT_EQ(s.wal.write_error(), "");
    want = dump(s.srv.ks());
    // The log replays to the same keyspace as its own buffers would (sanity of the sequence).
  }
  ASSERT_GT(want.size(), 5u);
  EXPECT_EQ(files_with(dir.path(), ".snap").size(), 1u);
  EXPECT_EQ(files_with(dir.path(), ".wal").size(), 1u) << "the log before the rewrite is removed";
  EXPECT_TRUE(recovers_to(dir.path(), want));
  // Recovering twice (nothing was cut off) gives the same again.
  EXPECT_TRUE(recovers_to(dir.path(), want));
}

// Clients writing on four threads while the log is compacted three times: recovery (the newest
// snapshot, then the log records each shard's copy does not hold) must give the final keyspace.
TEST(WalEndToEndTest, ConcurrentClientsDuringRewritesRecoverExactly) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Dump want;
  {
    LoggedServer s(dir.path(), 4);
    ASSERT_EQ(s.wal.recover(&s.progress), "");
    s.wal.start();
    std::thread clients([&s] { run_concurrently(s.srv, 31, 4, 1500); });
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      EXPECT_EQ(s.wal.rewrite(true, false), "") << "rewrite " << i;
    }
    clients.join();
    s.wal.stop();
    EXPECT_EQ(s.wal.write_error(), "");
    want = dump(s.srv.ks());
  }
  ASSERT_GT(want.size(), 5u);
  EXPECT_TRUE(recovers_to(dir.path(), want));
}

// Leader sync: threads standing in for workers write and fdatasync the log themselves, concurrently
// with each other, with the clients, with the writer thread's rounds (wal-leader-sync switched off
// and on) and with rewrites (which switch the file under them). Each lead_sync must leave durable
// past every change made before it began, and the log must recover to the final keyspace.
TEST(WalEndToEndTest, ConcurrentLeadersDuringRewritesRecoverExactly) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Dump want;
  uint64_t leads = 0;
  {
    LoggedServer s(dir.path(), 4);
    ASSERT_EQ(s.wal.recover(&s.progress), "");
    s.wal.start();
    std::atomic<bool> done{false};
    std::atomic<uint64_t> led{0};
    std::vector<std::string> problems(3);
    std::vector<std::thread> leaders;
    for (int i = 0; i < 3; ++i) {
      leaders.emplace_back([&, i] {
        while (!done) {
          uint64_t need = s.srv.ks().next_seq();
          if (!s.wal.leader_sync() || !s.wal.lead_sync()) {
            std::this_thread::yield();
            continue;
          }
          led.fetch_add(1);
          if (s.wal.durable_seq() < need)
            problems[i] = "durable " + std::to_string(s.wal.durable_seq()) + " < " + std::to_string(need);
        }
      });
    }
    std::thread clients([&s] { run_concurrently(s.srv, 37, 4, 1500); });
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      s.srv.state.config.wal_leader_sync.store(i != 1);  // one rewrite under the writer thread's rounds
      EXPECT_EQ(s.wal.rewrite(true, false), "") << "rewrite " << i;
    }
    s.srv.state.config.wal_leader_sync.store(true);
    clients.join();
    EXPECT_TRUE(s.wait_durable());
    done = true;
    for (auto& t : leaders) t.join();
    for (auto& p : problems) EXPECT_EQ(p, "");
    leads = led.load();
    s.wal.stop();
    EXPECT_EQ(s.wal.write_error(), "");
    want = dump(s.srv.ks());
  }
  EXPECT_GT(leads, 10u);
  ASSERT_GT(want.size(), 5u);
  EXPECT_TRUE(recovers_to(dir.path(), want));
}

TEST(WalEndToEndTest, RecoverWithoutRewriteAndAfterRestartedLogging) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Dump want;
  {
    LoggedServer s(dir.path());
    ASSERT_EQ(s.wal.recover(&s.progress), "");
    s.wal.start();
    CommandGen gen(12);
    for (const Step& st : gen.sequence(800)) run_step(s.srv, st);
    s.wal.stop();
    want = dump(s.srv.ks());
  }
  // A second life on top of the first: recover, start, more changes, stop.
  {
    LoggedServer s(dir.path());
    ASSERT_EQ(s.wal.recover(&s.progress), "");
    ASSERT_EQ(dump(s.srv.ks()), want) << diff(want, dump(s.srv.ks()));
    s.wal.start();
    CommandGen gen(13);
    for (const Step& st : gen.sequence(800)) run_step(s.srv, st);
    ASSERT_EQ(s.wal.rewrite(true, false), "");
    s.srv.run({"HSET", "after", "rewrite", "1"});
    s.wal.stop();
    want = dump(s.srv.ks());
  }
  EXPECT_TRUE(recovers_to(dir.path(), want));
}

// Builds a log of two parts on disk: batches for `first`, then (after they are durable) one batch for
// `second`. Returns the log's path and the file size between the two; *after_first is the
// keyspace at that point and *after_all at the end.
std::string two_part_log(const std::string& dir, uint64_t* split, Dump* after_first, Dump* after_all) {
  LoggedServer s(dir);
  EXPECT_EQ(s.wal.recover(&s.progress), "");
  s.wal.start();
  for (int i = 0; i < 20; ++i) {
    s.srv.run({"SET", "key" + std::to_string(i), "value" + std::to_string(i)});
    s.srv.run({"HSET", "hash", "f" + std::to_string(i), std::to_string(i)});
    s.srv.run({"ZADD", "zset", std::to_string(i), "m" + std::to_string(i)});
    if (i % 5 == 0) {
      EXPECT_TRUE(s.wait_durable());  // several batches
    }
  }
  EXPECT_TRUE(s.wait_durable());
  *after_first = dump(s.srv.ks());
  auto logs = files_with(dir, ".wal");
  EXPECT_EQ(logs.size(), 1u);
  // The log's end, not the file's: the file runs on in preallocated zeros while the log is open.
  *split = s.wal.status().log_size;
  struct stat st {};
  ::stat(logs.back().c_str(), &st);
  EXPECT_GT(static_cast<uint64_t>(st.st_size), *split) << "no zeros preallocated after the log's end";
  s.srv.run({"MSET", "torn1", "a", "torn2", "b", "key0", "changed"});  // one command: one batch
  s.wal.stop();
  ::stat(logs.back().c_str(), &st);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), s.wal.status().log_size) << "a stopped log kept its preallocated zeros";
  *after_all = dump(s.srv.ks());
  return logs.back();
}

// two_part_log() in a fresh directory, with the log's bytes and file name: the end-to-end tests'
// common start. log is empty when the directory could not be made.
struct TwoPartLog {
  TempDir base;
  uint64_t split = 0;
  Dump first, all;
  std::string log, image, name;

  TwoPartLog() {
    if (base.path().empty()) return;
    log = two_part_log(base.path(), &split, &first, &all);
    image = read_file(log);
    name = std::filesystem::path(log).filename().string();
  }
};

TEST(WalEndToEndTest, TornLastBatchRecoversThePrefix) {
  TwoPartLog t;
  ASSERT_FALSE(t.log.empty());
  auto& [base, split, first, all, log, image, name] = t;
  ASSERT_GT(image.size(), split + kBatchHeaderSize);
  {
    ASSERT_TRUE(recovers_to(base.path(), all));
  }
  // Cut inside the last batch's header, at its payload's start, and just before its end.
  for (uint64_t cut : {split + 1, split + kBatchHeaderSize - 1, split + kBatchHeaderSize, split + kBatchHeaderSize + 9,
                       uint64_t{image.size()} - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(image.size()));
    TempDir d;
    write_file(d.path() + "/" + name, image.substr(0, cut));
    EXPECT_TRUE(recovers_to(d.path(), first));
    struct stat st {};
    ::stat((d.path() + "/" + name).c_str(), &st);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), split) << "the torn tail is cut off";
  }
  // Zeros where the last batch should be (space allocated, data never written) read as torn too.
  {
    TempDir d;
    write_file(d.path() + "/" + name, image.substr(0, split) + std::string(image.size() - split, '\0'));
    EXPECT_TRUE(recovers_to(d.path(), first));
  }
}

TEST(WalEndToEndTest, DamageBeforeTheLastBatchStopsRecoveryWithPathAndOffset) {
  TwoPartLog t;
  ASSERT_FALSE(t.log.empty());
  auto& [base, split, first, all, log, image, name] = t;
  // A byte inside the first batch's first record, inside the first batch's header, and inside a
  // record of a batch in the middle.
  for (uint64_t at : {uint64_t{kFileHeaderSize + kBatchHeaderSize + 12}, uint64_t{kFileHeaderSize + 20}, split - 3}) {
    SCOPED_TRACE("byte " + std::to_string(at));
    TempDir d;
    std::string damaged = image;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    std::string p = d.path() + "/" + name;
    write_file(p, damaged);
    auto [error, got] = recover_dir(d.path());
    EXPECT_NE(error.find(p), std::string::npos) << error;
    EXPECT_NE(error.find("offset"), std::string::npos) << error;
    EXPECT_EQ(read_file(p), damaged) << "a refused log is left as it was";
  }
  // The same damage with aof-load-truncated no: still refused (it is not at the end).
  {
    TempDir d;
    std::string damaged = image;
    damaged[kFileHeaderSize + kBatchHeaderSize + 12] ^= 0x10;
    write_file(d.path() + "/" + name, damaged);
    auto [error, got] = recover_dir(d.path(), [](Config& c) { c.aof_load_truncated.store(false); });
    EXPECT_NE(error.find("offset"), std::string::npos) << error;
  }
  // wal-load-corrupt yes: loads what is before the damage and cuts the log there.
  {
    TempDir d;
    std::string damaged = image;
    damaged[kFileHeaderSize + kBatchHeaderSize + 12] ^= 0x10;
    std::string p = d.path() + "/" + name;
    write_file(p, damaged);
    auto [error, got] = recover_dir(d.path(), [](Config& c) { c.wal_load_corrupt.store(true); });
    EXPECT_EQ(error, "");
    EXPECT_TRUE(got.empty()) << "the damage is in the first batch";
    EXPECT_EQ(read_file(p).size(), kFileHeaderSize);
  }
}

TEST(WalEndToEndTest, TornTailWithTruncationOffIsRefused) {
  TwoPartLog t;
  ASSERT_FALSE(t.log.empty());
  auto& [base, split, first, all, log, image, name] = t;
  TempDir d;
  std::string p = d.path() + "/" + name;
  write_file(p, image.substr(0, image.size() - 2));
  auto [error, got] = recover_dir(d.path(), [](Config& c) { c.aof_load_truncated.store(false); });
  EXPECT_NE(error.find(p), std::string::npos) << error;
  EXPECT_NE(error.find("offset " + std::to_string(split)), std::string::npos) << error;
  EXPECT_EQ(read_file(p).size(), image.size() - 2) << "left as it was";
}

// After a torn tail is cut off, the log goes on from there: a second life's writes follow the
// prefix and recovery sees both.
TEST(WalEndToEndTest, WritesAfterATornTailRecovery) {
  TwoPartLog t;
  ASSERT_FALSE(t.log.empty());
  auto& [base, split, first, all, log, image, name] = t;
  write_file(log, image.substr(0, image.size() - 5));
  Dump want;
  {
    LoggedServer s(base.path());
    ASSERT_EQ(s.wal.recover(&s.progress), "");
    ASSERT_EQ(dump(s.srv.ks()), first) << diff(first, dump(s.srv.ks()));
    s.wal.start();
    s.srv.run({"SET", "second", "life"});
    s.srv.run({"HSET", "hash", "f0", "rewritten"});
    s.srv.run({"DEL", "key1"});
    s.wal.stop();
    want = dump(s.srv.ks());
  }
  EXPECT_TRUE(recovers_to(base.path(), want));
}

// The writer keeps wal-preallocate bytes of zeros after the log's end (so that an fdatasync does not
// also write the file's new size). A crash leaves them there: zeros from a batch boundary to the end
// of the file are the log's end, not damage, and recovery cuts them off so that the next life
// writes from the log's end; a batch that fails its checks with only zeros after it is a torn write.
TEST(WalEndToEndTest, PreallocatedZerosAfterTheLastBatchAreTheLogsEnd) {
  TwoPartLog t;
  ASSERT_FALSE(t.log.empty());
  auto& [base, split, first, all, log, image, name] = t;
  const std::string zeros(256 * 1024, '\0');
  {  // whole batches, then zeros: everything, and the file cut to the log's end
    TempDir d;
    write_file(d.path() + "/" + name, image + zeros);
    EXPECT_TRUE(recovers_to(d.path(), all, [](Config& c) { c.aof_load_truncated.store(false); }));  // not torn
    EXPECT_EQ(read_file(d.path() + "/" + name), image) << "the zeros after the log's end are cut off";
  }
  {  // the last batch half written over the zeros: torn, the prefix loads
    TempDir d;
    std::string torn = image.substr(0, split + kBatchHeaderSize + 9);
    write_file(d.path() + "/" + name, torn + std::string(image.size() - torn.size(), '\0') + zeros);
    EXPECT_TRUE(recovers_to(d.path(), first));
    EXPECT_EQ(read_file(d.path() + "/" + name).size(), split) << "the torn batch and the zeros are cut off";
    auto [strict_error, strict_got] = recover_dir(d.path(), [](Config& c) { c.aof_load_truncated.store(false); });
    EXPECT_EQ(strict_error, "") << "after the cut the log is whole";
  }
  {  // damage in a batch that has another batch after it stays damage, zeros at the end or not
    TempDir d;
    std::string damaged = image + zeros;
    damaged[split - 3] = static_cast<char>(damaged[split - 3] ^ 0x10);
    std::string p = d.path() + "/" + name;
    write_file(p, damaged);
    auto [error, got] = recover_dir(d.path());
    EXPECT_NE(error.find(p), std::string::npos) << error;
    EXPECT_EQ(read_file(p), damaged) << "a refused log is left as it was";
  }
  {  // a second life after the zeros were cut writes from the log's end, and recovery reads both
    TempDir d;
    write_file(d.path() + "/" + name, image + zeros);
    Dump want;
    {
      LoggedServer s(d.path());
      ASSERT_EQ(s.wal.recover(&s.progress), "");
      s.wal.start();
      s.srv.run({"SET", "second", "life"});
      EXPECT_TRUE(s.wait_durable());
      std::string now = read_file(d.path() + "/" + name);
      ASSERT_GT(s.wal.status().log_size, image.size());
      EXPECT_EQ(now.substr(0, image.size()), image);
      EXPECT_NE(now[image.size()], '\0') << "the new batch does not start at the old log's end";
      EXPECT_GT(now.size(), s.wal.status().log_size) << "no zeros preallocated again";
      want = dump(s.srv.ks());
      s.wal.stop();
    }
    EXPECT_TRUE(recovers_to(d.path(), want));
  }
}

// wal-preallocate 0: plain appends, the file always ends at the log's end.
TEST(WalEndToEndTest, PreallocateZeroAppendsOnly) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  LoggedServer s(dir.path());
  s.srv.state.config.wal_preallocate.store(0);
  ASSERT_EQ(s.wal.recover(&s.progress), "");
  s.wal.start();
  for (int i = 0; i < 10; ++i) {
    s.srv.run({"SET", "k" + std::to_string(i), "v"});
    EXPECT_TRUE(s.wait_durable());
    auto logs = files_with(dir.path(), ".wal");
    ASSERT_EQ(logs.size(), 1u);
    EXPECT_EQ(read_file(logs[0]).size(), s.wal.status().log_size);
  }
  s.wal.stop();
}

}  // namespace
}  // namespace tally
