// The keyspace: databases split into shards, the entries they hold, and the locked view (Txn) through
// which every command reads and changes them.
//
// Layout: the keyspace has a power-of-two number of shards, chosen by the top bits of a key's 64-bit
// hash. Each shard holds, for every database, a hash table of entries and a TTL heap (DbSlot), all
// guarded by the shard's one mutex. A key therefore lives in the same shard in every database, which
// makes MOVE and COPY ... DB single-shard operations, and SWAPDB/FLUSHALL lock every shard.
//
// Locking: a command builds one Txn over the keys it touches; the Txn locks the distinct shards in
// ascending index order (so multi-key commands are atomic and cannot deadlock) and releases them when
// destroyed. Commands that walk a whole database (KEYS, SCAN, DBSIZE, RANDOMKEY) lock one shard at a
// time through for_each_shard(). All keyspace changes go through Txn (and the few whole-keyspace
// functions below): that is where expiry, statistics, the write-ahead log and WATCH see them.
//
// Expiry: an entry with a TTL sits in its DbSlot's heap; the heap position lives in entry->node.aux.
// Lookups delete an expired entry before anyone can see it (lazy expiry); active_expire() deletes
// expired entries in bounded steps so that they do not pile up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <span>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hashtable.h"
#include "heap.h"
#include "intrusive.h"
#include "wal_format.h"

namespace tally {

class TaskQueue;

enum class ValueType : uint8_t { kString = 0, kHash = 1, kZSet = 2 };
// How a value is stored. OBJECT ENCODING names a hash's or sorted set's form by it (encoding_name());
// a string's, as Redis would name it, by this and the entry's StringShape (string_encoding_name()).
enum class Encoding : uint8_t {
  kInt = 0,        // string holding an int64
  kEmbStr = 1,     // string of up to kEmbMax bytes inside the entry
  kRaw = 2,        // string in its own allocation
  kHashTable = 3,  // hash: intrusive hash table of fields (hash.h)
  kSkipList = 4,   // sorted set: hash table + AVL tree (zset.h), under Redis's name for its tree form
  kListpack = 5,   // hash or sorted set: one compact block (hash.h, zset.h; Redis's listpack)
};

// Redis names a string's encoding by how it was written as well as by its bytes, where Tally stores
// by the bytes alone (an integer, up to kEmbMax bytes inside the entry, or a block). An entry keeps
// what its bytes do not say, so that OBJECT ENCODING (string_encoding_name()) answers as Redis does.
enum class StringShape : uint8_t {
  kByValue = 0,  // `int` if the value is an int64, else `embstr` up to 44 bytes, else `raw` (SET, INCR, ...)
  kNotInt = 1,   // INCRBYFLOAT's result: Redis keeps a number's text as a string even when integral
  kRaw = 2,      // changed in place (APPEND, SETRANGE): Redis leaves it `raw` whatever it holds
  kOwnInt = 3,   // an `int` COPY made: Redis's copy of a shared integer (0..9999) is its own object
};

// What the keyspace needs from an object value type (hash, sorted set). The object lives inside its
// entry (Entry::v.object: a 16-byte header that owns the rest), so it must fit there, and it must be
// relocatable by copying its bytes: RENAME moves an entry's value that way. Each type's .cpp
// registers its ops once at static-initialisation time.
struct ObjectOps {
  void (*destroy)(void* object);                  // runs its destructor in place (frees what it owns)
  void (*clone)(const void* object, void* to);    // constructs a deep copy at `to` (COPY)
  void* (*detach)(void* object);                  // moves it into a heap allocation of its own and
                                                  // returns that (the in-place one is left destroyed)
  void (*free_detached)(void* detached);          // destroys and frees what detach returned
  std::size_t (*memory)(const void* object);      // bytes owned outside the header, for MEMORY USAGE
  std::size_t (*length)(const void* object);      // elements (fields / members)
};
inline constexpr std::size_t kObjectHeaderBytes = 16;  // the most an object type's header may take
// Registers the ops of `type`; returns true so it can initialise a static.
bool register_object_ops(ValueType type, const ObjectOps* ops);
// The ops of an object type. REQUIRES: registered (type is kHash or kZSet).
const ObjectOps& object_ops(ValueType type);
// Objects with more elements than this are freed on the background queue when deleted, so DEL,
// UNLINK, FLUSHALL ASYNC and expiry of a huge hash or sorted set do not stall other clients.
inline constexpr std::size_t kLazyFreeThreshold = 64;
const char* encoding_name(Encoding enc);
struct Entry;
const char* string_encoding_name(const Entry* e);  // REQUIRES: e holds a string

inline constexpr uint32_t kNoTtl = TtlHeap::kNoPos;
inline constexpr std::size_t kEmbMax = 15;  // longest string value stored inside the entry

// A keyspace entry: linked into its DbSlot's table and, with a TTL, into the slot's heap.
// The key's bytes follow the struct in the same allocation (small_alloc, slab.h: with a key of up to
// 216 bytes, a slot of the slab heap). String values of up to kEmbMax bytes,
// and integers, live inside the entry; longer strings in one malloc'd block it owns.
// Only free_entry() frees an Entry, and only DbSlot-level code in db.cpp calls it.
struct Entry {
  HNode node;  // node.aux: position in the slot's TTL heap, kNoTtl if the key has no TTL
  uint32_t key_len;
  uint32_t type : 2;   // ValueType
  uint32_t shape : 2;  // StringShape, for a string
  uint32_t enc : 4;    // Encoding
  uint32_t lru : 24;   // last access: LRU clock (seconds, wraps) or, under an LFU policy, LFU data (evict.h)
  union Payload {
    struct {
      char bytes[kEmbMax];
      uint8_t len;
    } emb;
    struct {
      char* data;
      uint32_t len;
      uint32_t cap;
    } raw;
    int64_t integer;
    alignas(8) unsigned char object[kObjectHeaderBytes];  // a hash or sorted set (ObjectOps)
  } v;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }
  ValueType value_type() const { return static_cast<ValueType>(type); }
  Encoding encoding() const { return static_cast<Encoding>(enc); }
  StringShape string_shape() const { return static_cast<StringShape>(shape); }
  void set_string_shape(StringShape s) { shape = static_cast<uint32_t>(s); }
  bool has_ttl() const { return node.aux != kNoTtl; }
  // The hash or sorted set held. REQUIRES: value_type() is kHash or kZSet.
  void* object() { return v.object; }
  const void* object() const { return v.object; }
  // Bytes of the allocation: the header and the key.
  std::size_t alloc_bytes() const { return sizeof(Entry) + key_len; }
};
static_assert(sizeof(Entry) == 40, "Entry header is part of the memory budget");

// The T (HashObject, ZSet) constructed at `object` (an Entry's v.object), and e's object as a T.
// REQUIRES: a T lives there (e->value_type()).
template <class T>
T* object_at(void* object) { return std::launder(static_cast<T*>(object)); }
template <class T>
const T* object_at(const void* object) { return std::launder(static_cast<const T*>(object)); }
template <class T>
T* object_as(Entry* e) { return object_at<T>(e->object()); }
template <class T>
const T* object_as(const Entry* e) { return object_at<T>(e->object()); }

// The ObjectOps of T (HashObject, ZSet), for its .cpp to register: T must have a noexcept move
// constructor, `T clone() const`, `memory_bytes()` (bytes owned outside the header) and `size()`.
template <class T>
struct InlineObjectOps {
  static void destroy(void* object) { object_at<T>(object)->~T(); }
  static void clone(const void* object, void* to) { ::new (to) T(object_at<T>(object)->clone()); }
  static void* detach(void* object) {
    T* in_place = object_at<T>(object);
    T* detached = new T(std::move(*in_place));
    in_place->~T();
    return detached;
  }
  static void free_detached(void* detached) { delete static_cast<T*>(detached); }
  static std::size_t memory(const void* object) { return object_at<T>(object)->memory_bytes(); }
  static std::size_t length(const void* object) { return object_at<T>(object)->size(); }
  static constexpr ObjectOps kOps{destroy, clone, detach, free_detached, memory, length};
};

inline Entry* entry_of(HNode* n) { return owner_of<Entry>(n, offsetof(Entry, node)); }
inline const Entry* entry_of(const HNode* n) { return owner_of<Entry>(n, offsetof(Entry, node)); }

// The bytes of a string entry. Integers are formatted into `buf`, which must outlive the view.
// REQUIRES: e->value_type() == kString.
std::string_view string_value(const Entry* e, char (&buf)[24]);

// WATCH (watch.cpp): one client's watch of one key, kept in the key's shard. `dirty` is the
// client's flag (Client::watch_dirty), set by whichever thread changes the key; `expired`: the key
// was there but expired when it was watched (Redis's watchedKey.expired), so its deletion alone is
// no change.
struct WatchRef {
  std::atomic<bool>* dirty;
  int db;
  bool expired;
};
struct WatchKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};
using WatchMap = std::unordered_map<std::string, std::vector<WatchRef>, WatchKeyHash, std::equal_to<>>;

// One database's share of one shard.
struct DbSlot {
  HashTable table;
  TtlHeap ttl;
  long double ttl_sum_ms = 0;  // sum of the heap's expiry times, for INFO keyspace avg_ttl

  // Expiry of e (an entry of this slot): absolute ms, or -1 if none.
  int64_t expiry_of(const Entry* e) const { return e->has_ttl() ? ttl.when(e->node.aux) : -1; }
  // The entry stored for `key`, whose hash_bytes() hash is `hash`, expired or not.
  Entry* find(std::string_view key, uint64_t hash) {
    HNode* n = table.find(static_cast<uint32_t>(hash), [key](const HNode* node) {
      const Entry* e = entry_of(node);
      return e->key_len == key.size() && std::memcmp(e->key().data(), key.data(), key.size()) == 0;
    });
    return n ? entry_of(n) : nullptr;
  }
};

class Shard {
 public:
  explicit Shard(int databases) : dbs(databases) {}
  // [database index]; never resized, so Keyspace::prefetch_slot may read it unlocked. Before mu: one
  // prefetch of the Shard brings both (Keyspace::prefetch_shard).
  std::vector<DbSlot> dbs;   // the DbSlots themselves: guarded by mu
  std::mutex mu;             // guards everything below, and the DbSlots
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;  // deleted by maxmemory eviction (evict.cpp)
  // The write-ahead log's share (wal.h): effect records of this shard's changes not yet taken by
  // the log writer, and the sequence number of the last one ever appended (snapshots record it).
  std::string wal_buf;
  uint64_t wal_last_seq = 0;
  uint32_t wal_records = 0;  // records in wal_buf
  void note_record(uint64_t seq) {
    wal_last_seq = seq;
    ++wal_records;
  }
  std::atomic<bool> wal_dirty{false};  // set before a seq is taken for this shard; the writer clears it
  WatchMap watched;  // WATCHed keys of this shard, every database: key -> its watchers
};

// Told when shards' log buffers gain records (the log writer, wal.h). Called without shard locks.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void appended() = 0;
};

struct KeyspaceCounters {
  uint64_t keys = 0, expires = 0, hits = 0, misses = 0, expired = 0, evicted = 0;
  long double ttl_sum_ms = 0;
};

class Keyspace {
 public:
  // REQUIRES: shard_count is a power of two, databases >= 1.
  Keyspace(int databases, int shard_count);
  ~Keyspace();  // frees every entry
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  int databases() const { return databases_; }
  uint32_t shard_count() const { return static_cast<uint32_t>(shards_.size()); }
  uint32_t shard_of(uint64_t hash) const { return static_cast<uint32_t>((hash >> 32) >> shift_); }
  Shard& shard(uint32_t i) { return *shards_[i]; }

  // Prefetch stages for the key with this hash_bytes() hash in `db`, for a pipelined batch
  // (worker.cpp), callable from any thread without a lock: the shard (its mutex), its slot of the
  // database (the table's header), the table's bucket. A stage only reads what an earlier one asked
  // the CPU to load, and only fields that never change (shards_, Shard::dbs) or are meant to be read
  // racily (HashTable::prefetch_bucket).
  void prefetch_shard(uint64_t hash) const { __builtin_prefetch(shards_[shard_of(hash)].get(), 1); }
  void prefetch_slot(uint64_t hash, int db) const { __builtin_prefetch(&shards_[shard_of(hash)]->dbs[db]); }
  void prefetch_bucket(uint64_t hash, int db) const {
    shards_[shard_of(hash)]->dbs[db].table.prefetch_bucket(static_cast<uint32_t>(hash));
  }

  // Number of keys in `db` (locks each shard briefly).
  std::size_t dbsize(int db);
  // Sums over all shards for database `db` (keys, expires, ttl sum) and keyspace-wide counters.
  KeyspaceCounters counters(int db);

  // Calls fn(DbSlot&, Shard&) for each shard of database `db`, holding that shard's lock.
  template <class Fn>
  void for_each_shard(int db, Fn&& fn) {
    for (auto& s : shards_) {
      std::lock_guard lock(s->mu);
      fn(s->dbs[db], *s);
    }
  }

  // Zeroes the hit/miss/expired/evicted counters of every shard and the eviction clock (CONFIG RESETSTAT).
  void reset_stats();
  // How long used memory has been over maxmemory (INFO total/current_eviction_exceeded_time), kept
  // by evict.cpp: the start of the current stretch (0 when under) and the sum of finished ones, in ms.
  std::atomic<int64_t> over_limit_since_ms{0};
  std::atomic<int64_t> over_limit_total_ms{0};
  // Eviction's memo (evict.cpp): set when a sweep of every shard found no key at all / no key with a
  // TTL, so that eviction does not sweep in vain before every command. Creating a key, or giving one
  // a TTL, clears them (Txn does, under the shard lock, after the change; see evict.cpp for why that
  // order cannot leave a memo set wrongly).
  std::atomic<bool> swept_no_keys{false};
  std::atomic<bool> swept_no_ttls{false};
  void note_new_key() {
    if (swept_no_keys.load()) swept_no_keys.store(false);
  }
  void note_new_ttl() {
    if (swept_no_ttls.load()) swept_no_ttls.store(false);
  }

  // Whole-keyspace operations; each locks every shard (ascending) for its duration. Flushing only
  // detaches the entries under the locks; they are freed afterwards, on `background` when `async`
  // and a background queue was set, else by the caller.
  void flush_db(int db, bool async = false);   // FLUSHDB [ASYNC]
  void flush_all(bool async = false);          // FLUSHALL [ASYNC]
  // Sets the queue that frees flushed entries and big objects (see kLazyFreeThreshold).
  void set_background(TaskQueue* background);
  void swap_db(int a, int b);  // SWAPDB

  // Active expiry: deletes up to `budget` expired entries from each database of shard `s`.
  // Returns how many were deleted; a result >= budget means more may be waiting.
  std::size_t active_expire(uint32_t s, int64_t now_ms, std::size_t budget);

  // Recovery (wal_format.cpp): one shard's part of FLUSHDB (db >= 0) or FLUSHALL (db < 0), and of
  // SWAPDB. Each locks only that shard.
  void flush_shard(uint32_t s, int db);
  void swap_shard_dbs(uint32_t s, int a, int b);

  // ---- the change log (wal.h) ----
  // While logging, every change is appended to its shard's wal_buf as an effect record carrying a
  // sequence number; changes of one command share one number. Off until the log is loaded.
  void set_log_sink(LogSink* sink) { sink_ = sink; }
  void set_logging(bool on) { logging_.store(on, std::memory_order_seq_cst); }
  bool logging() const { return logging_.load(std::memory_order_relaxed); }
  // The next sequence number to hand out: every change with a lower number is already in its
  // shard's buffer, or will be by the time its shard's lock is next free.
  uint64_t next_seq() const { return next_seq_.load(std::memory_order_seq_cst); }
  void set_next_seq(uint64_t seq) { next_seq_.store(seq, std::memory_order_seq_cst); }
  // Marks `shards` dirty, then takes a sequence number. REQUIRES: their locks are held.
  uint64_t take_seq(std::span<const uint32_t> shards);
  // EXEC: every change until end_group() shares one sequence number, so the transaction is one
  // all-or-nothing unit in the log. The number is only handed out (the counter moves) at the end, so
  // the log writer holds the group's records back until it is complete. REQUIRES: nothing else
  // changes the keyspace meanwhile (EXEC runs behind the exec gate).
  void begin_group() { grouping_.store(true, std::memory_order_relaxed); }
  void end_group();
  bool grouping() const { return grouping_.load(std::memory_order_acquire); }
  void ring() {
    if (sink_) sink_->appended();
  }

  // ---- WATCH (watch.cpp) ----
  // A watch is a registration in the key's shard (Shard::watched); every change to the key, made
  // under the shard's lock, sets the watchers' dirty flags (touch_watched), as Redis's
  // signalModifiedKey does. FLUSHDB, FLUSHALL and SWAPDB touch every watched key they change.
  // Registers `dirty`'s watch of `key` in `db`, noting whether the key is there but expired now.
  void watch(int db, std::string_view key, std::atomic<bool>* dirty, int64_t now);
  void unwatch(int db, std::string_view key, const std::atomic<bool>* dirty);
  // Whether a key watched while it was live has expired since, though not yet been deleted
  // (Redis's isWatchedKeyExpired, which EXEC checks).
  bool watched_key_expired(int db, std::string_view key, const std::atomic<bool>* dirty, int64_t now);
  // Whether any key is watched at all: a relaxed read, safe for a caller that holds the lock of the
  // shard it will change (watch() counts before it takes that lock).
  bool watching() const { return watches_.load(std::memory_order_relaxed) > 0; }
  // Marks the watchers of `key` in `db` dirty after a change; `exists` says whether the key is
  // there now. REQUIRES: sh.mu held.
  static void touch_watched(Shard& sh, int db, std::string_view key, bool exists);

 private:
  // FLUSHDB/FLUSHALL (replaced_with < 0) and SWAPDB on one shard: touches the keys watched in
  // `emptied` that the change affects, as Redis's touchAllWatchedKeysInDb. REQUIRES: sh.mu held,
  // before the change.
  void touch_emptied(Shard& sh, int emptied, int replaced_with, int64_t now);
  void free_detached(std::vector<HNode*> chains, bool async);
  // Appends a kFlushDb / kFlushAll / kSwapDb record for every shard. REQUIRES: all locks held.
  void log_whole(WalOp op, int db, int other);

  int databases_;
  TaskQueue* background_ = nullptr;  // not owned; set once before serving
  int shift_;  // 32 - log2(shard_count): shard_of() takes the top bits of the hash
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<uint32_t> all_shards_;  // 0..n-1, for take_seq over every shard
  LogSink* sink_ = nullptr;
  std::atomic<bool> logging_{false};
  std::atomic<uint64_t> next_seq_{1};
  std::atomic<bool> grouping_{false};
  bool group_used_ = false;  // a change took the group's number
  std::atomic<int64_t> watches_{0};  // registrations in every shard's `watched`
};

// Microseconds and milliseconds since the epoch (CLOCK_REALTIME).
int64_t now_us();
int64_t now_ms();
// Whether a key whose expiry is `when_ms` has expired at `now`. As in Redis (keyIsExpired: now >
// when), a key lives through the millisecond it expires in, so `PX 1` keeps it for at least 1 ms.
inline bool past_expiry(int64_t when_ms, int64_t now) { return when_ms < now; }
// The time a command runs at: dispatch() reads the clock once per command and every key lookup of
// the command judges expiry by that reading (as Redis 7.2's command time snapshot), which also
// saves a clock read per lookup. Outside a command (active expiry, tests, loading): now_ms().
int64_t command_now_ms();
// Sets command_now_ms() for this thread while it lives; nests (EXEC runs its commands inside).
class CommandTimeScope {
 public:
  explicit CommandTimeScope(int64_t ms);
  ~CommandTimeScope();
  CommandTimeScope(const CommandTimeScope&) = delete;
  CommandTimeScope& operator=(const CommandTimeScope&) = delete;

 private:
  int64_t saved_;
};
// The 24-bit LRU clock: seconds since the epoch, wrapped.
uint32_t lru_clock();

// A key's hash computed ahead of its command (the worker hashes a pipelined batch's keys to prefetch
// them), offered to the Txns of that command: one whose key is this very view (the same bytes at the
// same address) takes the hash instead of hashing the key again. Per thread; the offer holds until
// withdrawn, which its maker does as soon as the command has run, while the bytes are unchanged.
class KeyHashOffer {
 public:
  KeyHashOffer(std::string_view key, uint64_t hash);
  ~KeyHashOffer();
  KeyHashOffer(const KeyHashOffer&) = delete;
  KeyHashOffer& operator=(const KeyHashOffer&) = delete;
};

// A command's locked view of the keyspace: the shards of its keys, locked in ascending order for
// the Txn's lifetime, and a single "now" for every expiry decision it makes.
//
// Keys are addressed by their index in the span given at construction. Every Entry* returned is valid
// only until the next call that may delete or create an entry in the same DbSlot, and never after
// the Txn ends.
class Txn {
 public:
  // Locks the shards of `keys` in database `db`. `keys` must outlive the Txn.
  Txn(Keyspace& ks, int db, std::span<const std::string_view> keys);
  // Single-key convenience; the key's view is copied, so `Txn t(ks, db, c.arg(1))` is safe (the bytes
  // it points to must still outlive the Txn).
  Txn(Keyspace& ks, int db, std::string_view key) : Txn(ks, db, std::span<const std::string_view>(), key) {}
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // Recovery: lookups never expire entries (the log says when a key was deleted).
  void disable_expiry() { now_ = INT64_MIN; }
  uint32_t shard_of_key(std::size_t i) const { return slots_[i].shard; }

  // Field-level effects of in-place changes to a hash or sorted set at key i (HSET, ZADD, ZREM...),
  // for the log. Changes through the Txn's own methods are logged without being told.
  void log_hset(std::size_t i, std::string_view field, std::string_view value);
  void log_hdel(std::size_t i, std::string_view field);
  void log_zadd(std::size_t i, std::string_view member, double score);
  void log_zrem(std::size_t i, std::string_view member);

  int64_t now() const { return now_; }
  int db() const { return db_; }
  std::size_t key_count() const { return keys_.size(); }
  std::string_view key(std::size_t i) const { return keys_[i]; }

  // The live entry for key i in `db` (default: the Txn's db), or nullptr. An expired entry is
  // deleted first. find() counts a keyspace hit/miss and records the access in Entry::lru (reads);
  // probe() counts but does not touch (TYPE, EXISTS, TTL, OBJECT: Redis's NOTOUCH lookups); peek()
  // touches but does not count (writes, which Redis's lookupKeyWrite also records as an access).
  Entry* find(std::size_t i);
  Entry* find_in(std::size_t i, int db);
  Entry* probe(std::size_t i);
  Entry* peek(std::size_t i);

  // Creates or overwrites key i as a string. Overwriting keeps the entry (no allocation for values
  // that fit inline) and drops its TTL unless keep_ttl. Returns the entry.
  Entry* set_string(std::size_t i, std::string_view value, bool keep_ttl = false);
  // Creates key i holding a T (HashObject, ZSet) constructed in the entry from `args` (nothing, or a
  // T to move from), with T's encoding. REQUIRES: key i is absent (peek(i) == nullptr).
  template <class T, class... Args>
  Entry* set_object(std::size_t i, ValueType type, Args&&... args) {
    static_assert(sizeof(T) <= kObjectHeaderBytes && alignof(T) <= 8, "an object lives inside its entry");
    static_assert(std::is_nothrow_constructible_v<T, Args...>, "no entry is left holding no object");
    Entry* e = add_object_entry(i, type);
    T* object = ::new (e->object()) T(std::forward<Args>(args)...);
    e->enc = static_cast<uint32_t>(object->encoding());
    return e;
  }
  // Creates or overwrites key i as an integer-encoded string.
  Entry* set_integer(std::size_t i, int64_t value, bool keep_ttl = false);
  // Replaces the string value of an existing string entry in place (APPEND, SETRANGE, INCR...),
  // keeping its TTL. REQUIRES: e belongs to this Txn and holds a string.
  void update_string(Entry* e, std::string_view value);
  void update_integer(Entry* e, int64_t value);
  // Makes e's string exactly `len` bytes long, keeping the old bytes that fit and zero-filling the
  // rest, and returns its writable bytes (valid until the entry next changes). Growth is geometric,
  // so repeated APPENDs cost amortised O(1) per byte. REQUIRES: e holds a string.
  char* resize_string(Entry* e, std::size_t len);
  // Deletes key i if present (expired counts as absent). Returns whether a live key was deleted.
  bool erase(std::size_t i);
  bool erase_in(std::size_t i, int db);
  // maxmemory eviction of key i (defined in evict.cpp): deletes it, logged as a DEL and counted in
  // its shard's evicted_keys, unless it is absent or (volatile_only) has no TTL. Returns whether it
  // was there to delete (an expired entry is deleted as expired and counts as freed).
  bool evict(std::size_t i, bool volatile_only);

  // Expiry of e (an entry of the Txn's db): absolute ms, or -1 if none.
  int64_t expire_of(const Entry* e) const;
  // Sets or clears the TTL of an entry found through this Txn (in the db it was found in).
  void set_expire(Entry* e, int64_t when_ms);
  void set_expire_in(Entry* e, int db, int64_t when_ms);
  void clear_expire(Entry* e);
  void clear_expire_in(Entry* e, int db);

  // Moves key `from` to key `to` within the Txn's db (RENAME): `to` is overwritten, the TTL moves
  // with the value. Returns false if `from` is absent.
  bool rename(std::size_t from, std::size_t to);
  // Moves key i from the Txn's db to `dst_db` (MOVE). Returns false if absent or present in dst_db.
  bool move(std::size_t i, int dst_db);
  // Copies key `from` (Txn's db) to key `to` in `dst_db` with its TTL (COPY). Overwrites only if
  // `replace`. Returns false if `from` is absent or `to` exists and !replace.
  bool copy(std::size_t from, std::size_t to, int dst_db, bool replace);

 private:
  struct KeySlot {
    uint64_t hash;
    uint32_t shard;
  };
  DbSlot& slot(std::size_t i, int db);
  // Creates key i as an entry of `type` whose object set_object() constructs next.
  Entry* add_object_entry(std::size_t i, ValueType type);
  std::size_t index_of(const Entry* e) const;  // e must be one of this Txn's keys
  DbSlot& slot_of(const Entry* e, int db) const { return ks_.shard(slots_[index_of(e)].shard).dbs[db]; }

  // Which keys changed how, turned into log records (log_changes) and touches of their watchers
  // (touch_marked) when the Txn ends; marked only while logging or watched.
  // kMarkTouch: changed in place (a field record's change), for WATCH only.
  enum Mark : uint8_t { kMarkValue = 1, kMarkTtl = 2, kMarkTouch = 4 };
  void mark(std::size_t i, int db, uint8_t how) {
    if (log_ || watch_) mark_logged(i, db, how);
  }
  void mark(const Entry* e, int db, uint8_t how) {
    if (log_ || watch_) mark_logged(index_of(e), db, how);
  }
  void touch_marked();  // the watchers of every marked key (WATCH)
  void mark_logged(std::size_t i, int db, uint8_t how);
  uint64_t seq();  // this Txn's sequence number, taken on first use
  // Starts a field-level record for key i and returns the buffer to finish it in, or nullptr when
  // the key's whole value is logged anyway.
  std::string* begin_field_record(std::size_t i, WalOp op, std::size_t* start);
  void log_changes();
  void log_key(std::size_t i, int db, uint8_t how);
  enum class Access { kPeek, kProbe, kFind };
  Entry* lookup(std::size_t i, int db, Access access);
  Entry* find_raw(std::size_t i, int db);  // the entry as stored, expired or not

  Txn(Keyspace& ks, int db, std::span<const std::string_view> keys, std::string_view single);

  Keyspace& ks_;
  int db_;
  std::string_view single_key_;  // the one key of a single-key Txn; keys_ then views it
  int64_t now_;
  std::span<const std::string_view> keys_;
  // Small-buffer storage so single-key commands allocate nothing.
  KeySlot inline_slots_[4];
  std::vector<KeySlot> heap_slots_;
  KeySlot* slots_;
  uint32_t inline_locked_[4];
  std::vector<uint32_t> heap_locked_;
  uint32_t* locked_;
  std::size_t locked_count_ = 0;
  bool log_ = false;    // the keyspace was logging when the Txn began
  bool watch_ = false;  // a shard of the Txn had watched keys when it was locked
  bool dirty_ = false;  // something was marked
  uint64_t seq_ = 0;
  uint8_t inline_marks_[4] = {};
  std::vector<uint8_t> heap_marks_;
  uint8_t* marks_;  // [key index] for the Txn's db
  struct OtherDbMark {
    std::size_t i;
    int db;
    uint8_t how;
  };
  std::vector<OtherDbMark> other_marks_;  // MOVE and COPY touch keys of another db
};

// Allocation helpers for entries (db.cpp). free_entry releases the value and the entry.
Entry* alloc_entry(std::string_view key, uint32_t hcode);
void free_entry(Entry* e);

}  // namespace tally
