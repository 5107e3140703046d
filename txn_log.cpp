// Txn's half of the write-ahead log (wal.h): which keys a command changed and how, turned into effect
// records in their shards' log buffers before the Txn releases its locks. The same marks tell
// WATCH's watchers (watch.cpp) which keys changed.
#include "db.h"

namespace tally {

void Txn::mark_logged(std::size_t i, int db, uint8_t how) {
  dirty_ = true;
  if (db == db_) marks_[i] |= how;
  else other_marks_.push_back({i, db, how});
}

uint64_t Txn::seq() {
  if (!seq_) seq_ = ks_.take_seq(std::span<const uint32_t>(locked_, locked_count_));
  return seq_;
}

void Txn::log_changes() {
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (uint8_t how = marks_[i] & (kMarkValue | kMarkTtl)) log_key(i, db_, how);
  for (const OtherDbMark& m : other_marks_) log_key(m.i, m.db, m.how);
}

// The key's whole value (or its deletion) when the value changed, else its new expiry.
void Txn::log_key(std::size_t i, int db, uint8_t how) {
  uint32_t shard = slots_[i].shard;
  Shard& sh = ks_.shard(shard);
  std::string_view key = keys_[i];
  Entry* e = find_raw(i, db);  // no expiry here: the Txn's lookups already applied it
  uint64_t sq = seq();
  int64_t expire = e ? sh.dbs[db].expiry_of(e) : -1;
  if (how & kMarkValue) {
    if (e) put_entry_record(sh.wal_buf, sq, shard, static_cast<uint32_t>(db), e, expire);
    else end_record(sh.wal_buf, begin_record(sh.wal_buf, sq, shard, static_cast<uint32_t>(db), WalOp::kDel, key));
  } else if (e) {
    std::size_t start = begin_record(sh.wal_buf, sq, shard, static_cast<uint32_t>(db), WalOp::kExpireAt, key);
    put_u64(sh.wal_buf, static_cast<uint64_t>(expire));
    end_record(sh.wal_buf, start);
  } else {
    return;  // only the TTL changed, and the key is gone since: its deletion is logged
  }
  sh.note_record(sq);
}

void Txn::touch_marked() {
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (marks_[i]) Keyspace::touch_watched(ks_.shard(slots_[i].shard), db_, keys_[i], find_raw(i, db_) != nullptr);
  for (const OtherDbMark& m : other_marks_)
    Keyspace::touch_watched(ks_.shard(slots_[m.i].shard), m.db, keys_[m.i], find_raw(m.i, m.db) != nullptr);
}

std::string* Txn::begin_field_record(std::size_t i, WalOp op, std::size_t* start) {
  if (watch_) {
    dirty_ = true;
    marks_[i] |= kMarkTouch;
  }
  if (!log_ || (marks_[i] & kMarkValue)) return nullptr;
  Shard& sh = ks_.shard(slots_[i].shard);
  uint64_t sq = seq();
  sh.note_record(sq);
  *start = begin_record(sh.wal_buf, sq, slots_[i].shard, static_cast<uint32_t>(db_), op, keys_[i]);
  return &sh.wal_buf;
}

void Txn::log_hset(std::size_t i, std::string_view field, std::string_view value) {
  std::size_t start;
  std::string* b = begin_field_record(i, WalOp::kHSet, &start);
  if (!b) return;
  put_str(*b, field);
  b->append(value);
  end_record(*b, start);
}

void Txn::log_hdel(std::size_t i, std::string_view field) {
  std::size_t start;
  if (std::string* b = begin_field_record(i, WalOp::kHDel, &start)) end_record(b->append(field), start);
}

void Txn::log_zadd(std::size_t i, std::string_view member, double score) {
  std::size_t start;
  std::string* b = begin_field_record(i, WalOp::kZAdd, &start);
  if (!b) return;
  put_f64(*b, score);
  b->append(member);
  end_record(*b, start);
}

void Txn::log_zrem(std::size_t i, std::string_view member) {
  std::size_t start;
  if (std::string* b = begin_field_record(i, WalOp::kZRem, &start)) end_record(b->append(member), start);
}

}  // namespace tally
