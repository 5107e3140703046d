// The write-ahead log's on-disk format: records, batches, file headers (docs/wal-format.md), and
// applying a record to the keyspace during recovery.
//
// A record is one effect on one shard:  u32 body_len | u32 crc32c(body) | body, where
//   body = u64 seq | u32 shard | u32 db | u8 op | u32 key_len | key | payload (the rest, by op).
// Records are effects, not requests: a string is logged as its whole new value with its absolute
// expiry, hash and sorted-set changes as the fields/members they leave behind, so applying a record
// twice, or one that a snapshot already holds, changes nothing (SWAPDB, which swaps back, is the one
// exception: recovery never applies a record a shard's snapshot holds, see wal.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tally {

struct Entry;
class Keyspace;

inline constexpr uint32_t kWalFormatVersion = 1;
inline constexpr char kLogMagic[8] = {'T', 'A', 'L', 'L', 'Y', 'W', 'A', 'L'};
inline constexpr char kSnapMagic[8] = {'T', 'A', 'L', 'L', 'Y', 'S', 'N', 'P'};
// File header: magic[8] | u32 version | u32 shard_count | u64 hash_seed | u64 generation |
// u32 crc32c(the 32 bytes before it) | u32 zero. Records name shards of this layout, so a data
// directory is always loaded with the shard count and hash seed it was written with.
inline constexpr std::size_t kFileHeaderSize = 40;
struct FileHeader {
  uint32_t version = kWalFormatVersion;
  uint32_t shard_count = 0;
  uint64_t hash_seed = 0;
  uint64_t generation = 0;
};
// Batch header in a log file: u32 kBatchMagic | u32 crc32c(the next 24 bytes) | u64 first_seq |
// u64 end_seq | u32 payload_len | u32 record_count; then payload_len bytes of records. A batch holds
// exactly the records with first_seq <= seq < end_seq.
inline constexpr uint32_t kBatchMagic = 0x48435442;  // "BTCH"
inline constexpr std::size_t kBatchHeaderSize = 32;
inline constexpr std::size_t kRecordHeaderSize = 8;

enum class WalOp : uint8_t {
  kDel = 1,        // the key is gone
  kString = 2,     // payload: i64 expire_ms (-1: none) | value
  kHash = 3,       // payload: i64 expire_ms | u32 n | n x (u32 len, field, u32 len, value)
  kZSet = 4,       // payload: i64 expire_ms | u32 n | n x (f64 score, u32 len, member)
  kHSet = 5,       // payload: u32 len, field | value          (creates the hash if absent)
  kHDel = 6,       // payload: field                           (deletes the key when empty)
  kZAdd = 7,       // payload: f64 score | member              (creates the set if absent)
  kZRem = 8,       // payload: member                          (deletes the key when empty)
  kExpireAt = 9,   // payload: i64 expire_ms (-1: persist)
  kFlushDb = 10,   // this shard's part of database `db` is emptied (key empty)
  kFlushAll = 11,  // this shard's part of every database is emptied
  kSwapDb = 12,    // payload: u32 other db; this shard's parts of `db` and `other` swap
  kSnapEnd = 13,   // last record of a snapshot: u32 shards | shards x u64 seq | u64 next_seq | u64 records
};

struct RecordView {
  uint64_t seq = 0;
  uint32_t shard = 0;
  uint32_t db = 0;
  WalOp op = WalOp::kDel;
  std::string_view key;
  std::string_view payload;
};

// ---- writing ----
void put_u32(std::string& b, uint32_t v);
void put_u64(std::string& b, uint64_t v);
void put_f64(std::string& b, double v);
void put_str(std::string& b, std::string_view s);  // u32 length, bytes
// Starts a record at the end of b; returns its start for end_record, which fills length and CRC.
std::size_t begin_record(std::string& b, uint64_t seq, uint32_t shard, uint32_t db, WalOp op, std::string_view key);
void end_record(std::string& b, std::size_t start);
// A whole record for e's full state (kString, kHash or kZSet) with expiry `expire_ms` (-1: none).
void put_entry_record(std::string& b, uint64_t seq, uint32_t shard, uint32_t db, const Entry* e, int64_t expire_ms);
void put_file_header(std::string& b, const char (&magic)[8], const FileHeader& h);
void put_batch_header(std::string& b, uint64_t first_seq, uint64_t end_seq, uint32_t payload_len, uint32_t count);

// ---- reading ----
enum class Decode { kOk, kShort, kBad };  // kShort: the bytes end inside it; kBad: checksum or shape
Decode decode_record(const char* p, std::size_t n, RecordView* out, std::size_t* used);
// The seq of a well-formed record at p (used to split shard buffers at a batch boundary).
uint64_t record_seq(const char* p);
std::size_t record_size(const char* p);

struct BatchHeader {
  uint64_t first_seq, end_seq;
  uint32_t payload_len, count;
};
Decode decode_batch_header(const char* p, std::size_t n, BatchHeader* out);
// Checks a file header (magic, checksum, version) and decodes it.
bool decode_file_header(const char* p, std::size_t n, const char (&magic)[8], FileHeader* out);

// Applies r to ks (no expiry, no logging: recovery). Returns "" or what is wrong with the record.
std::string apply_record(Keyspace& ks, const RecordView& r);

}  // namespace tally
