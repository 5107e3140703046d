// Keyspace, shards and Txn: see db.h for the layout and locking rules.
#include "db.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>

#include "alloc_stats.h"
#include "commands.h"
#include "evict.h"
#include "slab.h"
#include "thread_pool.h"

namespace tally {
namespace {

void* xmalloc(std::size_t n) {
  void* p = std::malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}

const ObjectOps* g_object_ops[3] = {};
TaskQueue* g_lazy_free = nullptr;  // the keyspace's background queue, for freeing big objects

// Releases what the value owns (not the entry) and leaves it an empty inline string. Big objects
// are handed to the background queue.
void free_value(Entry* e) {
  if (e->value_type() != ValueType::kString) {
    const ObjectOps& ops = object_ops(e->value_type());
    void* obj = e->object();
    if (g_lazy_free && ops.length(obj) > kLazyFreeThreshold) {
      std::size_t bytes = ops.memory(obj);  // pending until the job runs: eviction discounts it
      alloc_stats::lazyfree_queued(bytes);
      void* detached = ops.detach(obj);  // out of the entry, which is freed now
      g_lazy_free->submit([&ops, detached, bytes] {
        ops.free_detached(detached);
        alloc_stats::lazyfree_done(bytes);
      });
    } else {
      ops.destroy(obj);
    }
  } else if (e->encoding() == Encoding::kRaw) {
    std::free(e->v.raw.data);
  }
  e->type = static_cast<uint32_t>(ValueType::kString);
  e->enc = static_cast<uint32_t>(Encoding::kEmbStr);
  e->v.emb.len = 0;
}

// Stores `value` as e's string, choosing the encoding. `value` may point into e's own bytes.
void assign_string(Entry* e, std::string_view value) {
  e->set_string_shape(StringShape::kByValue);
  int64_t iv;
  if (value.size() <= 20 && parse_int64(value, &iv)) {
    free_value(e);
    e->enc = static_cast<uint32_t>(Encoding::kInt);
    e->v.integer = iv;
    return;
  }
  if (value.size() <= kEmbMax) {
    char tmp[kEmbMax];
    if (!value.empty()) std::memcpy(tmp, value.data(), value.size());  // may alias the buffer freed below
    free_value(e);
    if (!value.empty()) std::memcpy(e->v.emb.bytes, tmp, value.size());
    e->v.emb.len = static_cast<uint8_t>(value.size());
    return;
  }
  bool reuse = e->value_type() == ValueType::kString && e->encoding() == Encoding::kRaw &&
               e->v.raw.cap >= value.size() && e->v.raw.cap / 2 <= value.size();
  if (reuse) {
    std::memmove(e->v.raw.data, value.data(), value.size());
    e->v.raw.len = static_cast<uint32_t>(value.size());
    return;
  }
  char* data = static_cast<char*>(xmalloc(value.size()));
  std::memcpy(data, value.data(), value.size());
  free_value(e);
  e->enc = static_cast<uint32_t>(Encoding::kRaw);
  e->v.raw = {data, static_cast<uint32_t>(value.size()), static_cast<uint32_t>(value.size())};
}

// The TTL bookkeeping of a slot: its heap and the sum INFO's avg_ttl is computed from.
// drop_ttl returns the expiry it removed (-1 if e had none); set_ttl adds or moves e's item.
int64_t drop_ttl(DbSlot& s, Entry* e) {
  if (!e->has_ttl()) return -1;
  int64_t when = s.ttl.when(e->node.aux);
  s.ttl_sum_ms -= when;
  s.ttl.remove(e->node.aux);
  return when;
}

void set_ttl(DbSlot& s, Entry* e, int64_t when) {
  if (e->has_ttl()) {
    s.ttl_sum_ms += static_cast<long double>(when) - s.ttl.when(e->node.aux);
    s.ttl.update(e->node.aux, when);
  } else {
    s.ttl.push(when, &e->node.aux);
    s.ttl_sum_ms += when;
  }
}

// Unlinks e from its slot without freeing it; returns its expiry (-1 if none).
int64_t detach_entry(DbSlot& s, Entry* e) {
  int64_t when = drop_ttl(s, e);
  s.table.remove_node(&e->node);
  return when;
}

// Unlinks e from its slot (table and heap) and frees it.
void delete_entry(DbSlot& s, Entry* e) {
  detach_entry(s, e);
  free_entry(e);
}

void attach_entry(DbSlot& s, Entry* e, int64_t when) {
  s.table.insert(&e->node);
  if (when >= 0) set_ttl(s, e, when);
}

void free_chain(HNode* n) {
  while (n) {
    HNode* next = n->next;
    free_entry(entry_of(n));
    n = next;
  }
}

// Empties a slot under its shard's lock and returns the detached entries for freeing after unlock.
HNode* drain_slot(DbSlot& s) {
  s.ttl.clear();
  s.ttl_sum_ms = 0;
  return s.table.release_all();
}

// Swaps one shard's parts of databases a and b. REQUIRES: the shard's lock is held.
void swap_slots(Shard& s, int a, int b) {
  DbSlot& x = s.dbs[static_cast<std::size_t>(a)];
  DbSlot& y = s.dbs[static_cast<std::size_t>(b)];
  x.table.swap(y.table);
  x.ttl.swap(y.ttl);  // heap refs point into entries, which do not move
  std::swap(x.ttl_sum_ms, y.ttl_sum_ms);
}

// A deep copy of e's value into `to` (a fresh entry).
void copy_value(const Entry* from, Entry* to) {
  to->lru = from->lru;
  if (from->value_type() != ValueType::kString) {
    object_ops(from->value_type()).clone(from->object(), to->object());  // constructs it only on success
    to->type = from->type;
    to->enc = from->enc;
    return;
  }
  char buf[24];
  assign_string(to, string_value(from, buf));
  // Redis's copy keeps the string's encoding, but is never a shared integer.
  const bool int_by_value = from->encoding() == Encoding::kInt && from->string_shape() == StringShape::kByValue;
  to->set_string_shape(int_by_value ? StringShape::kOwnInt : from->string_shape());
}

}  // namespace

bool register_object_ops(ValueType type, const ObjectOps* ops) {
  g_object_ops[static_cast<int>(type)] = ops;
  return true;
}

const ObjectOps& object_ops(ValueType type) { return *g_object_ops[static_cast<int>(type)]; }

const char* encoding_name(Encoding enc) {
  switch (enc) {
    case Encoding::kInt: return "int";
    case Encoding::kEmbStr: return "embstr";
    case Encoding::kRaw: return "raw";
    case Encoding::kHashTable: return "hashtable";
    case Encoding::kSkipList: return "skiplist";
    case Encoding::kListpack: return "listpack";
  }
  return "unknown";
}

const char* string_encoding_name(const Entry* e) {
  constexpr std::size_t kRedisEmbstrMax = 44;  // Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT
  const StringShape shape = e->string_shape();
  if (shape == StringShape::kRaw) return "raw";
  if (e->encoding() == Encoding::kInt && shape != StringShape::kNotInt) return "int";
  char buf[24];
  return string_value(e, buf).size() <= kRedisEmbstrMax ? "embstr" : "raw";
}

std::string_view string_value(const Entry* e, char (&buf)[24]) {
  switch (e->encoding()) {
    case Encoding::kInt:
      return {buf, format_int64(e->v.integer, buf)};
    case Encoding::kEmbStr:
      return {e->v.emb.bytes, e->v.emb.len};
    case Encoding::kRaw:
      return {e->v.raw.data, e->v.raw.len};
    default:
      return {};
  }
}

Entry* alloc_entry(std::string_view key, uint32_t hcode) {
  void* mem = small_alloc(sizeof(Entry) + key.size());
  Entry* e = new (mem) Entry{};
  e->node.hcode = hcode;
  e->node.aux = kNoTtl;
  e->key_len = static_cast<uint32_t>(key.size());
  e->type = static_cast<uint32_t>(ValueType::kString);
  e->enc = static_cast<uint32_t>(Encoding::kEmbStr);
  e->lru = initial_access(command_now_ms());
  std::memcpy(e + 1, key.data(), key.size());
  return e;
}

void free_entry(Entry* e) {
  free_value(e);
  small_free(e, e->alloc_bytes());
}

int64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_ms() { return now_us() / 1000; }

namespace {
thread_local int64_t t_command_ms = 0;  // 0: not inside a command
}  // namespace

int64_t command_now_ms() { return t_command_ms ? t_command_ms : now_ms(); }

CommandTimeScope::CommandTimeScope(int64_t ms) : saved_(t_command_ms) { t_command_ms = ms; }
CommandTimeScope::~CommandTimeScope() { t_command_ms = saved_; }

uint32_t lru_clock() { return static_cast<uint32_t>(time(nullptr)) & 0xFFFFFF; }

// ---- Keyspace ----

Keyspace::Keyspace(int databases, int shard_count) : databases_(databases) {
  int bits = 0;
  while ((1 << bits) < shard_count) ++bits;
  shift_ = 32 - bits;
  shards_.reserve(static_cast<std::size_t>(shard_count));
  for (int i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>(databases));
    all_shards_.push_back(static_cast<uint32_t>(i));
  }
}

uint64_t Keyspace::take_seq(std::span<const uint32_t> shards) {
  // Dirty first: a writer that sees the new seq counter then also sees these flags (both seq_cst).
  for (uint32_t s : shards) shards_[s]->wal_dirty.store(true, std::memory_order_seq_cst);
  if (grouping_.load(std::memory_order_relaxed)) {
    group_used_ = true;
    return next_seq_.load(std::memory_order_seq_cst);
  }
  return next_seq_.fetch_add(1, std::memory_order_seq_cst);
}

void Keyspace::end_group() {
  if (group_used_) next_seq_.fetch_add(1, std::memory_order_seq_cst);
  group_used_ = false;
  grouping_.store(false, std::memory_order_release);
  if (sink_) sink_->appended();
}

void Keyspace::log_whole(WalOp op, int db, int other) {
  if (!logging()) return;
  uint64_t seq = take_seq(all_shards_);
  for (uint32_t i = 0; i < shards_.size(); ++i) {
    Shard& sh = *shards_[i];
    std::size_t start = begin_record(sh.wal_buf, seq, i, static_cast<uint32_t>(std::max(db, 0)), op, {});
    if (op == WalOp::kSwapDb) put_u32(sh.wal_buf, static_cast<uint32_t>(other));
    end_record(sh.wal_buf, start);
    sh.note_record(seq);
  }
}

void Keyspace::flush_shard(uint32_t index, int db) {
  std::vector<HNode*> chains;
  {
    std::lock_guard lock(shards_[index]->mu);
    for (int d = 0; d < databases_; ++d)
      if (db < 0 || d == db) chains.push_back(drain_slot(shards_[index]->dbs[static_cast<std::size_t>(d)]));
  }
  free_detached(std::move(chains), false);
}

void Keyspace::swap_shard_dbs(uint32_t index, int a, int b) {
  std::lock_guard lock(shards_[index]->mu);
  swap_slots(*shards_[index], a, b);
}

Keyspace::~Keyspace() {
  if (g_lazy_free == background_) g_lazy_free = nullptr;  // free everything here, now
  for (auto& s : shards_)
    for (DbSlot& slot : s->dbs) free_chain(drain_slot(slot));
}

std::size_t Keyspace::dbsize(int db) {
  std::size_t n = 0;
  for_each_shard(db, [&n](DbSlot& s, Shard&) { n += s.table.size(); });
  return n;
}

KeyspaceCounters Keyspace::counters(int db) {
  KeyspaceCounters c;
  for_each_shard(db, [&c](DbSlot& s, Shard& sh) {
    c.keys += s.table.size();
    c.expires += s.ttl.size();
    c.ttl_sum_ms += s.ttl_sum_ms;
    c.hits += sh.keyspace_hits;
    c.misses += sh.keyspace_misses;
    c.expired += sh.expired_keys;
    c.evicted += sh.evicted_keys;
  });
  return c;
}

void Keyspace::set_background(TaskQueue* background) {
  background_ = background;
  g_lazy_free = background;
}

void Keyspace::reset_stats() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    s->keyspace_hits = s->keyspace_misses = s->expired_keys = s->evicted_keys = 0;
  }
  over_limit_total_ms = 0;
  over_limit_since_ms = 0;
}

void Keyspace::flush_db(int db, bool async) {
  std::vector<HNode*> chains;
  for (auto& s : shards_) s->mu.lock();
  if (watching())
    for (auto& s : shards_) touch_emptied(*s, db, -1, command_now_ms());
  for (auto& s : shards_) chains.push_back(drain_slot(s->dbs[db]));
  log_whole(WalOp::kFlushDb, db, 0);
  for (auto& s : shards_) s->mu.unlock();
  ring();
  free_detached(std::move(chains), async);
}

void Keyspace::flush_all(bool async) {
  std::vector<HNode*> chains;
  for (auto& s : shards_) s->mu.lock();
  if (watching())
    for (auto& s : shards_)
      for (int db = 0; db < databases_; ++db) touch_emptied(*s, db, -1, command_now_ms());
  for (auto& s : shards_)
    for (DbSlot& slot : s->dbs) chains.push_back(drain_slot(slot));
  log_whole(WalOp::kFlushAll, 0, 0);
  for (auto& s : shards_) s->mu.unlock();
  ring();
  free_detached(std::move(chains), async);
}

void Keyspace::free_detached(std::vector<HNode*> chains, bool async) {
  if (async && background_) {
    background_->submit([chains = std::move(chains)] {
      for (HNode* c : chains) free_chain(c);
    });
    return;
  }
  for (HNode* c : chains) free_chain(c);
}

void Keyspace::swap_db(int a, int b) {
  for (auto& s : shards_) s->mu.lock();
  if (watching() && a != b) {
    for (auto& s : shards_) {
      touch_emptied(*s, a, b, command_now_ms());
      touch_emptied(*s, b, a, command_now_ms());
    }
  }
  for (auto& s : shards_) swap_slots(*s, a, b);
  log_whole(WalOp::kSwapDb, a, b);
  for (auto& s : shards_) s->mu.unlock();
  ring();
}

std::size_t Keyspace::active_expire(uint32_t index, int64_t now, std::size_t budget) {
  Shard& sh = *shards_[index];
  std::size_t done = 0;
  uint64_t seq = 0;
  {
    std::lock_guard lock(sh.mu);
    bool log = logging();
    bool watched = watching() && !sh.watched.empty();
    for (std::size_t db = 0; db < sh.dbs.size(); ++db) {
      DbSlot& s = sh.dbs[db];
      std::size_t n = 0;
      while (n < budget && !s.ttl.empty() && past_expiry(s.ttl.top().when_ms, now)) {
        Entry* e = owner_of<Entry>(s.ttl.top().ref, offsetof(Entry, node) + offsetof(HNode, aux));
        if (log) {  // expiry is a change like any other: logged as a deletion
          if (!seq) seq = take_seq(std::span<const uint32_t>(&index, 1));
          end_record(sh.wal_buf, begin_record(sh.wal_buf, seq, index, static_cast<uint32_t>(db), WalOp::kDel, e->key()));
          sh.note_record(seq);
        }
        if (watched) touch_watched(sh, static_cast<int>(db), e->key(), false);
        delete_entry(s, e);
        ++n;
      }
      sh.expired_keys += n;
      done = std::max(done, n);
    }
  }
  if (seq) ring();
  return done;
}

// ---- Txn ----

namespace {
struct OfferedHash {
  const char* data = nullptr;  // nullptr: no offer
  std::size_t size = 0;
  uint64_t hash = 0;
};
thread_local OfferedHash t_offered;

uint64_t key_hash(std::string_view key) {
  if (key.data() == t_offered.data && key.size() == t_offered.size && t_offered.data) return t_offered.hash;
  return hash_bytes(key.data(), key.size());
}
}  // namespace

KeyHashOffer::KeyHashOffer(std::string_view key, uint64_t hash) { t_offered = {key.data(), key.size(), hash}; }
KeyHashOffer::~KeyHashOffer() { t_offered = {}; }

Txn::Txn(Keyspace& ks, int db, std::span<const std::string_view> keys) : Txn(ks, db, keys, {}) {}

Txn::Txn(Keyspace& ks, int db, std::span<const std::string_view> keys, std::string_view single)
    : ks_(ks), db_(db), single_key_(single), now_(command_now_ms()), keys_(keys), log_(ks.logging()) {
  if (keys.empty()) {
    keys_ = std::span<const std::string_view>(&single_key_, 1);
    keys = keys_;
  }
  slots_ = inline_slots_;
  locked_ = inline_locked_;
  marks_ = inline_marks_;
  if (keys.size() > 4) {
    heap_slots_.resize(keys.size());
    heap_locked_.resize(keys.size());
    slots_ = heap_slots_.data();
    locked_ = heap_locked_.data();
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    uint64_t h = key_hash(keys[i]);
    slots_[i] = {h, ks.shard_of(h)};
    locked_[i] = slots_[i].shard;
  }
  if (keys.size() > 1) {
    std::sort(locked_, locked_ + keys.size());
    locked_count_ = static_cast<std::size_t>(std::unique(locked_, locked_ + keys.size()) - locked_);
  } else {
    locked_count_ = 1;
  }
  for (std::size_t i = 0; i < locked_count_; ++i) ks.shard(locked_[i]).mu.lock();
  if (ks.watching()) {  // read under the locks: a watch of one of these shards that came first shows
    for (std::size_t i = 0; i < locked_count_ && !watch_; ++i) watch_ = !ks.shard(locked_[i]).watched.empty();
  }
  if (keys.size() > 4 && (log_ || watch_)) {
    heap_marks_.resize(keys.size());
    marks_ = heap_marks_.data();
  }
}

Txn::~Txn() {
  if (dirty_) {
    if (watch_) touch_marked();
    if (log_) log_changes();
  }
  for (std::size_t i = locked_count_; i > 0; --i) ks_.shard(locked_[i - 1]).mu.unlock();
  if (seq_) ks_.ring();
}

DbSlot& Txn::slot(std::size_t i, int db) { return ks_.shard(slots_[i].shard).dbs[db]; }

Entry* Txn::find_raw(std::size_t i, int db) { return slot(i, db).find(keys_[i], slots_[i].hash); }

Entry* Txn::lookup(std::size_t i, int db, Access access) {
  Shard& sh = ks_.shard(slots_[i].shard);
  DbSlot& s = sh.dbs[db];
  Entry* e = find_raw(i, db);
  if (e && e->has_ttl() && past_expiry(s.ttl.when(e->node.aux), now_)) {
    delete_entry(s, e);
    ++sh.expired_keys;
    mark(i, db, kMarkValue);
    e = nullptr;
  }
  if (access == Access::kPeek) {
    if (e) e->lru = after_access(e->lru, now_);
    return e;
  }
  if (!e) {
    ++sh.keyspace_misses;
    return nullptr;
  }
  ++sh.keyspace_hits;
  if (access == Access::kFind) e->lru = after_access(e->lru, now_);
  return e;
}

Entry* Txn::find(std::size_t i) { return lookup(i, db_, Access::kFind); }
Entry* Txn::find_in(std::size_t i, int db) { return lookup(i, db, Access::kFind); }
Entry* Txn::probe(std::size_t i) { return lookup(i, db_, Access::kProbe); }
Entry* Txn::peek(std::size_t i) { return lookup(i, db_, Access::kPeek); }

Entry* Txn::set_string(std::size_t i, std::string_view value, bool keep_ttl) {
  Entry* e = lookup(i, db_, Access::kPeek);
  mark(i, db_, kMarkValue);
  if (e) {
    if (!keep_ttl) clear_expire_in(e, db_);
    if (e->value_type() != ValueType::kString) free_value(e);
    assign_string(e, value);
    return e;
  }
  e = alloc_entry(keys_[i], static_cast<uint32_t>(slots_[i].hash));
  assign_string(e, value);
  slot(i, db_).table.insert(&e->node);
  ks_.note_new_key();
  return e;
}

Entry* Txn::add_object_entry(std::size_t i, ValueType type) {
  Entry* e = alloc_entry(keys_[i], static_cast<uint32_t>(slots_[i].hash));
  e->type = static_cast<uint32_t>(type);
  slot(i, db_).table.insert(&e->node);
  ks_.note_new_key();
  mark(i, db_, kMarkValue);
  return e;
}

Entry* Txn::set_integer(std::size_t i, int64_t value, bool keep_ttl) {
  char buf[24];
  return set_string(i, {buf, format_int64(value, buf)}, keep_ttl);
}

void Txn::update_string(Entry* e, std::string_view value) {
  mark(e, db_, kMarkValue);
  assign_string(e, value);
}

void Txn::update_integer(Entry* e, int64_t value) {
  mark(e, db_, kMarkValue);
  free_value(e);
  e->set_string_shape(StringShape::kByValue);
  e->enc = static_cast<uint32_t>(Encoding::kInt);
  e->v.integer = value;
}

char* Txn::resize_string(Entry* e, std::size_t len) {
  mark(e, db_, kMarkValue);
  e->set_string_shape(StringShape::kRaw);
  char buf[24];
  std::string_view old = string_value(e, buf);
  std::size_t keep = std::min(old.size(), len);
  if (len <= kEmbMax && e->encoding() != Encoding::kRaw) {
    char tmp[kEmbMax] = {};
    if (keep) std::memcpy(tmp, old.data(), keep);
    e->enc = static_cast<uint32_t>(Encoding::kEmbStr);
    std::memcpy(e->v.emb.bytes, tmp, kEmbMax);
    e->v.emb.len = static_cast<uint8_t>(len);
    return e->v.emb.bytes;
  }
  if (e->encoding() == Encoding::kRaw && e->v.raw.cap >= len) {
    if (len > old.size()) std::memset(e->v.raw.data + old.size(), 0, len - old.size());
    e->v.raw.len = static_cast<uint32_t>(len);
    return e->v.raw.data;
  }
  std::size_t cap = std::max<std::size_t>(len, 2 * static_cast<std::size_t>(old.size()));
  cap = std::min<std::size_t>(std::max(cap, len), UINT32_MAX);
  char* data = static_cast<char*>(xmalloc(cap));
  if (keep) std::memcpy(data, old.data(), keep);
  std::memset(data + keep, 0, len - keep);
  free_value(e);
  e->enc = static_cast<uint32_t>(Encoding::kRaw);
  e->v.raw = {data, static_cast<uint32_t>(len), static_cast<uint32_t>(cap)};
  return data;
}

bool Txn::erase(std::size_t i) { return erase_in(i, db_); }

bool Txn::erase_in(std::size_t i, int db) {
  Entry* e = lookup(i, db, Access::kPeek);
  if (!e) return false;
  delete_entry(slot(i, db), e);
  mark(i, db, kMarkValue);
  return true;
}

std::size_t Txn::index_of(const Entry* e) const {
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == e->key()) return i;
  std::abort();  // an entry not reached through this Txn: its shard is not even locked
}

int64_t Txn::expire_of(const Entry* e) const {
  return slot_of(e, db_).expiry_of(e);
}

void Txn::set_expire(Entry* e, int64_t when_ms) { set_expire_in(e, db_, when_ms); }
void Txn::set_expire_in(Entry* e, int db, int64_t when_ms) {
  set_ttl(slot_of(e, db), e, when_ms);
  ks_.note_new_ttl();
  mark(e, db, kMarkTtl);
}

void Txn::clear_expire(Entry* e) { clear_expire_in(e, db_); }

void Txn::clear_expire_in(Entry* e, int db) {
  if (!e->has_ttl()) return;
  drop_ttl(slot_of(e, db), e);
  mark(e, db, kMarkTtl);
}

bool Txn::rename(std::size_t from, std::size_t to) {
  Entry* e = lookup(from, db_, Access::kPeek);
  if (!e) return false;
  if (keys_[from] == keys_[to]) return true;
  erase_in(to, db_);
  DbSlot& src = slot(from, db_);
  int64_t when = detach_entry(src, e);
  Entry* moved = alloc_entry(keys_[to], static_cast<uint32_t>(slots_[to].hash));
  moved->type = e->type;
  moved->shape = e->shape;
  moved->enc = e->enc;
  moved->lru = e->lru;
  moved->v = e->v;  // the value's ownership moves with the bytes
  small_free(e, e->alloc_bytes());  // only the old header: its value now belongs to `moved`
  attach_entry(slot(to, db_), moved, when);
  mark(from, db_, kMarkValue);
  mark(to, db_, kMarkValue);
  return true;
}

bool Txn::move(std::size_t i, int dst_db) {
  Entry* e = lookup(i, db_, Access::kPeek);
  if (!e || lookup(i, dst_db, Access::kPeek)) return false;
  int64_t when = detach_entry(slot(i, db_), e);
  attach_entry(slot(i, dst_db), e, when);
  mark(i, db_, kMarkValue);
  mark(i, dst_db, kMarkValue);
  return true;
}

bool Txn::copy(std::size_t from, std::size_t to, int dst_db, bool replace) {
  Entry* e = lookup(from, db_, Access::kPeek);
  if (!e) return false;
  if (lookup(to, dst_db, Access::kPeek)) {
    if (!replace) return false;
    erase_in(to, dst_db);
    e = lookup(from, db_, Access::kPeek);  // still there: erasing `to` cannot delete `from` (different key or db)
  }
  int64_t when = slot(from, db_).expiry_of(e);
  Entry* dup = alloc_entry(keys_[to], static_cast<uint32_t>(slots_[to].hash));
  copy_value(e, dup);
  attach_entry(slot(to, dst_db), dup, when);
  ks_.note_new_key();
  if (when >= 0) ks_.note_new_ttl();
  mark(to, dst_db, kMarkValue);
  return true;
}

}  // namespace tally
