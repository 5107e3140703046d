// Encoding, decoding and applying write-ahead-log records (format: wal_format.h, docs/wal-format.md).
#include "wal_format.h"

#include <cstring>
#include <memory>

#include "crc32c.h"
#include "db.h"
#include "hash.h"
#include "zset.h"

namespace tally {
namespace {

// Fixed part of a record body before the key: seq, shard, db, op, key_len.
constexpr std::size_t kBodyFixed = 8 + 4 + 4 + 1 + 4;

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
void store(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// A cursor over a payload that fails (ok = false) instead of reading past its end.
struct Reader {
  std::string_view rest;
  bool ok = true;

  template <class T>
  T get() {
    if (rest.size() < sizeof(T)) {
      ok = false;
      return T{};
    }
    T v = load<T>(rest.data());
    rest.remove_prefix(sizeof(T));
    return v;
  }
  std::string_view str() {
    uint32_t n = get<uint32_t>();
    if (!ok || rest.size() < n) {
      ok = false;
      return {};
    }
    std::string_view s = rest.substr(0, n);
    rest.remove_prefix(n);
    return s;
  }
};

std::string apply_full(Txn& t, WalOp op, std::string_view payload) {
  Reader r{payload};
  int64_t expire = r.get<int64_t>();
  if (op == WalOp::kString) {
    if (!r.ok) return "short string record";
    Entry* e = t.set_string(0, r.rest);
    if (expire >= 0) t.set_expire(e, expire);
    return "";
  }
  uint32_t n = r.get<uint32_t>();
  Entry* e;
  if (op == WalOp::kHash) {
    // As Redis loads an RDB hash: by its size, whatever form it had when written (a hash that
    // shrank back under the limits loads compact), converting on the way if a value is too long.
    HashObject h;
    if (n > hash_limits().entries) h.convert_to_table();
    for (uint32_t i = 0; i < n && r.ok; ++i) {
      std::string_view f = r.str();
      std::string_view v = r.str();
      if (r.ok) h.set(f, v);
    }
    if (!r.ok || h.empty()) return "malformed hash record";
    t.erase(0);
    e = t.set_object<HashObject>(0, ValueType::kHash, std::move(h));
  } else {
    // Likewise by its size (Redis's rdbLoad of a sorted set).
    ZSet z;
    if (n > zset_limits().entries) z.convert_to_tree();
    for (uint32_t i = 0; i < n && r.ok; ++i) {
      double score = r.get<double>();
      std::string_view m = r.str();
      if (!r.ok || score != score || z.find(m)) r.ok = false;
      else z.insert(m, score);
    }
    if (!r.ok || z.empty()) return "malformed sorted set record";
    t.erase(0);
    e = t.set_object<ZSet>(0, ValueType::kZSet, std::move(z));
  }
  if (expire >= 0) t.set_expire(e, expire);
  return "";
}

// The entry of the hash (or sorted set) at key 0 for a field-level record, created when absent.
template <class Obj>
Entry* entry_for(Txn& t, ValueType type, bool create, std::string* error) {
  Entry* e = t.peek(0);
  if (e && e->value_type() != type) {
    *error = "record for a key of another type";
    return nullptr;
  }
  if (e || !create) return e;
  return t.set_object<Obj>(0, type);
}

template <class Obj>
Obj* object_for(Txn& t, ValueType type, bool create, std::string* error) {
  Entry* e = entry_for<Obj>(t, type, create, error);
  return e ? object_as<Obj>(e) : nullptr;
}

std::string apply_field(Txn& t, WalOp op, std::string_view payload) {
  std::string error;
  Reader r{payload};
  switch (op) {
    case WalOp::kHSet: {
      std::string_view f = r.str();
      if (!r.ok) return "short HSET record";
      // Replayed as the HSET ran: the same conversions happen at the same writes.
      if (Entry* e = entry_for<HashObject>(t, ValueType::kHash, true, &error)) {
        auto* h = object_as<HashObject>(e);
        h->set(f, r.rest);
        e->enc = static_cast<uint32_t>(h->encoding());
      }
      return error;
    }
    case WalOp::kHDel: {
      auto* h = object_for<HashObject>(t, ValueType::kHash, false, &error);
      if (h && h->remove(payload) && h->empty()) t.erase(0);
      return error;
    }
    case WalOp::kZAdd: {
      double score = r.get<double>();
      if (!r.ok || score != score) return "malformed ZADD record";
      if (auto* z = object_for<ZSet>(t, ValueType::kZSet, true, &error)) {
        if (ZPos n = z->find(r.rest)) z->update_score(n, score);
        else z->insert(r.rest, score);
      }
      return error;
    }
    case WalOp::kZRem: {
      auto* z = object_for<ZSet>(t, ValueType::kZSet, false, &error);
      if (ZPos n = z ? z->find(payload) : ZPos{}) {
        z->remove(n);
        if (z->empty()) t.erase(0);
      }
      return error;
    }
    default:
      return "unknown record type";
  }
}

}  // namespace

void put_u32(std::string& b, uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
void put_u64(std::string& b, uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
void put_f64(std::string& b, double v) { b.append(reinterpret_cast<const char*>(&v), 8); }
void put_str(std::string& b, std::string_view s) {
  put_u32(b, static_cast<uint32_t>(s.size()));
  b.append(s);
}

std::size_t begin_record(std::string& b, uint64_t seq, uint32_t shard, uint32_t db, WalOp op, std::string_view key) {
  std::size_t start = b.size();
  char head[kRecordHeaderSize + kBodyFixed] = {};  // length and CRC stay 0 until end_record
  store<uint64_t>(head + 8, seq);
  store<uint32_t>(head + 16, shard);
  store<uint32_t>(head + 20, db);
  head[24] = static_cast<char>(op);
  store<uint32_t>(head + 25, static_cast<uint32_t>(key.size()));
  b.append(head, sizeof head);
  b.append(key);
  return start;
}

void end_record(std::string& b, std::size_t start) {
  std::size_t body = start + kRecordHeaderSize;
  store<uint32_t>(b.data() + start, static_cast<uint32_t>(b.size() - body));
  store<uint32_t>(b.data() + start + 4, crc32c(b.data() + body, b.size() - body));
}

void put_entry_record(std::string& b, uint64_t seq, uint32_t shard, uint32_t db, const Entry* e, int64_t expire_ms) {
  ValueType type = e->value_type();
  WalOp op = type == ValueType::kString ? WalOp::kString : type == ValueType::kHash ? WalOp::kHash : WalOp::kZSet;
  std::size_t start = begin_record(b, seq, shard, db, op, e->key());
  put_u64(b, static_cast<uint64_t>(expire_ms));
  if (type == ValueType::kString) {
    char buf[24];
    b.append(string_value(e, buf));
  } else if (type == ValueType::kHash) {
    const auto* h = object_as<HashObject>(e);
    put_u32(b, static_cast<uint32_t>(h->size()));
    h->for_each([&b](std::string_view k, std::string_view v) {
      put_str(b, k);
      put_str(b, v);
    });
  } else {
    const auto* z = object_as<ZSet>(e);
    put_u32(b, static_cast<uint32_t>(z->size()));
    for (ZPos p = z->min(); p; p = z->next(p)) {
      put_f64(b, p.score());
      put_str(b, p.member());
    }
  }
  end_record(b, start);
}

void put_file_header(std::string& b, const char (&magic)[8], const FileHeader& h) {
  std::size_t start = b.size();
  b.append(magic, 8);
  put_u32(b, h.version);
  put_u32(b, h.shard_count);
  put_u64(b, h.hash_seed);
  put_u64(b, h.generation);
  put_u32(b, crc32c(b.data() + start, 32));
  put_u32(b, 0);
}

void put_batch_header(std::string& b, uint64_t first_seq, uint64_t end_seq, uint32_t payload_len, uint32_t count) {
  std::size_t start = b.size();
  put_u32(b, kBatchMagic);
  put_u32(b, 0);
  put_u64(b, first_seq);
  put_u64(b, end_seq);
  put_u32(b, payload_len);
  put_u32(b, count);
  store<uint32_t>(b.data() + start + 4, crc32c(b.data() + start + 8, kBatchHeaderSize - 8));
}

Decode decode_record(const char* p, std::size_t n, RecordView* out, std::size_t* used) {
  if (n < kRecordHeaderSize) return Decode::kShort;
  uint32_t len = load<uint32_t>(p);
  if (len < kBodyFixed) return Decode::kBad;
  if (n - kRecordHeaderSize < len) return Decode::kShort;
  const char* body = p + kRecordHeaderSize;
  if (crc32c(body, len) != load<uint32_t>(p + 4)) return Decode::kBad;
  uint32_t key_len = load<uint32_t>(body + 17);
  if (key_len > len - kBodyFixed) return Decode::kBad;
  out->seq = load<uint64_t>(body);
  out->shard = load<uint32_t>(body + 8);
  out->db = load<uint32_t>(body + 12);
  out->op = static_cast<WalOp>(static_cast<uint8_t>(body[16]));
  out->key = {body + kBodyFixed, key_len};
  out->payload = {body + kBodyFixed + key_len, len - kBodyFixed - key_len};
  *used = kRecordHeaderSize + len;
  return Decode::kOk;
}

uint64_t record_seq(const char* p) { return load<uint64_t>(p + kRecordHeaderSize); }
std::size_t record_size(const char* p) { return kRecordHeaderSize + load<uint32_t>(p); }

Decode decode_batch_header(const char* p, std::size_t n, BatchHeader* out) {
  if (n < kBatchHeaderSize) return Decode::kShort;
  if (load<uint32_t>(p) != kBatchMagic || load<uint32_t>(p + 4) != crc32c(p + 8, kBatchHeaderSize - 8))
    return Decode::kBad;
  out->first_seq = load<uint64_t>(p + 8);
  out->end_seq = load<uint64_t>(p + 16);
  out->payload_len = load<uint32_t>(p + 24);
  out->count = load<uint32_t>(p + 28);
  if (out->end_seq <= out->first_seq) return Decode::kBad;
  return Decode::kOk;
}

bool decode_file_header(const char* p, std::size_t n, const char (&magic)[8], FileHeader* out) {
  if (n < kFileHeaderSize || std::memcmp(p, magic, 8) != 0) return false;
  if (load<uint32_t>(p + 32) != crc32c(p, 32) || load<uint32_t>(p + 36) != 0) return false;
  out->version = load<uint32_t>(p + 8);
  out->shard_count = load<uint32_t>(p + 12);
  out->hash_seed = load<uint64_t>(p + 16);
  out->generation = load<uint64_t>(p + 24);
  return out->version == kWalFormatVersion && out->shard_count > 0 &&
         (out->shard_count & (out->shard_count - 1)) == 0;
}

std::string apply_record(Keyspace& ks, const RecordView& r) {
  if (r.db >= static_cast<uint32_t>(ks.databases())) return "record for database " + std::to_string(r.db) + " beyond 'databases'";
  if (r.shard >= ks.shard_count()) return "record for a shard beyond the layout";
  int db = static_cast<int>(r.db);
  switch (r.op) {
    case WalOp::kFlushDb:
      ks.flush_shard(r.shard, db);
      return "";
    case WalOp::kFlushAll:
      ks.flush_shard(r.shard, -1);
      return "";
    case WalOp::kSwapDb: {
      Reader rd{r.payload};
      uint32_t other = rd.get<uint32_t>();
      if (!rd.ok || other >= static_cast<uint32_t>(ks.databases())) return "malformed SWAPDB record";
      ks.swap_shard_dbs(r.shard, db, static_cast<int>(other));
      return "";
    }
    case WalOp::kSnapEnd:
      return "snapshot trailer inside a log";
    default:
      break;
  }
  Txn t(ks, db, r.key);
  t.disable_expiry();
  if (t.shard_of_key(0) != r.shard) return "record's key does not belong to its shard";
  switch (r.op) {
    case WalOp::kDel:
      t.erase(0);
      return "";
    case WalOp::kString:
    case WalOp::kHash:
    case WalOp::kZSet:
      return apply_full(t, r.op, r.payload);
    case WalOp::kExpireAt: {
      Reader rd{r.payload};
      int64_t when = rd.get<int64_t>();
      if (!rd.ok) return "malformed EXPIREAT record";
      if (Entry* e = t.peek(0)) {
        if (when < 0) t.clear_expire(e);
        else t.set_expire(e, when);
      }
      return "";
    }
    default:
      return apply_field(t, r.op, r.payload);
  }
}

}  // namespace tally
