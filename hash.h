// Hash values (HSET and friends), in one of two forms, as Redis keeps them:
//
// - compact (OBJECT ENCODING "listpack"): while the hash has at most hash-max-listpack-entries
//   fields and no field or value longer than hash-max-listpack-value bytes, its pairs live in one
//   malloc'd block, in insertion order: [varint klen][key][varint vlen][value]... (varints are
//   LEB128: 7 bits a byte, low bits first, so lengths under 128 take one byte). The block is exactly
//   as long as its pairs (reallocated on every change, as Redis's listpack) and searched linearly.
//   Overwriting a field keeps its place; removing one closes the gap.
// - table ("hashtable"): an intrusive HashTable of HashField blocks, one allocation per field (from
//   small_alloc, slab.h: a slab slot when it is at most 256 bytes):
//   [HashField][name bytes][value bytes][spare value bytes], its lengths packed into the node's
//   spare word while they are small (HashField below). The allocation is rounded up to
//   kFieldGranule and the rounding kept as room for the value, so a new value that fits is written
//   in place: HSET of a same-sized value and most HINCRBYs on a counter allocate nothing.
//
// A hash starts compact and becomes a table (never back) in set(), the moment the name or the value
// written is longer than the value limit, or the set leaves more fields than the entry limit (also
// when it only overwrote: the limits may have been lowered since). These are Redis 7.0's
// hashTypeTryConversion / hashTypeSet rules; the limits are process-wide (set_hash_limits, from
// CONFIG), read at each set(), so a change affects later writes only.
//
// Ownership: a HashObject owns its block or its table and every field linked into it; only
// HashObject::free_field() frees a field (on remove, on a value that outgrew its block, and in the
// destructor).
//
// Thread-safety: none. The shard lock of the key holding the object guards every call; a detached
// object may be destroyed on the background queue, where nothing else can reach it. The limits are
// atomics, read without locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "db.h"
#include "hashtable.h"
#include "intrusive.h"
#include "slab.h"
#include "varint.h"

namespace tally {

struct Config;

// hash-max-listpack-entries / hash-max-listpack-value (Redis 7.0's defaults).
struct HashLimits {
  uint64_t entries = 512;
  uint64_t value = 64;
};
// The process-wide limits every HashObject::set() checks. Any thread, any time.
HashLimits hash_limits();
void set_hash_limits(HashLimits limits);
// Publishes cfg's hash-max-listpack-* values as the process-wide limits (config.cpp calls it on
// every change, flags and config file included).
void publish_hash_limits(const Config& cfg);

// A table-form field: one allocation, [HashField][lengths, long form only][name][value][spare].
// node.aux is the layout word. Short form (bit 31 clear): the name's length in bits 0-7, the
// value's in bits 8-23 and the spare bytes after the value in bits 24-30, so a field of a name
// under 256 bytes and a value under 64 KiB costs its 16-byte node and its bytes, rounded up to
// kFieldGranule. Long form (bit 31 set): three uint32 (name length, value length, value capacity)
// come first.
struct HashField {
  HNode node;

  static constexpr uint32_t kLongForm = 1u << 31;
  static constexpr std::size_t kShortMaxName = 0xFF;
  static constexpr std::size_t kShortMaxValue = 0xFFFF;
  static constexpr std::size_t kShortMaxSpare = 0x7F;
  static constexpr std::size_t kLongPrefix = 3 * sizeof(uint32_t);

  bool long_form() const { return node.aux & kLongForm; }
  uint32_t klen() const { return long_form() ? prefix(0) : node.aux & 0xFF; }
  uint32_t vlen() const { return long_form() ? prefix(1) : (node.aux >> 8) & 0xFFFF; }
  // Bytes reserved for the value (>= vlen()).
  uint32_t value_capacity() const { return long_form() ? prefix(2) : vlen() + ((node.aux >> 24) & 0x7F); }
  std::string_view key() const { return {name(), klen()}; }
  std::string_view value() const { return {name() + klen(), vlen()}; }
  // Bytes of the whole allocation.
  std::size_t alloc_size() const { return header_size(long_form()) + klen() + value_capacity(); }
  // Bytes before the name: the node, and the lengths in the long form.
  static constexpr std::size_t header_size(bool long_form) { return sizeof(HashField) + (long_form ? kLongPrefix : 0); }

  const char* name() const { return bytes() + (long_form() ? kLongPrefix : 0); }
  char* name() { return bytes() + (long_form() ? kLongPrefix : 0); }

  // Whether a field of these lengths and spare bytes can be laid out in the short form.
  static bool short_fits(std::size_t klen, std::size_t vlen, std::size_t spare) {
    return klen <= kShortMaxName && vlen <= kShortMaxValue && spare <= kShortMaxSpare;
  }
  // Sets the three lengths (the form is fixed when the field is allocated: long_form must be
  // already set, or short_fits(klen, vlen, cap - vlen) hold).
  void set_lengths(uint32_t klen, uint32_t vlen, uint32_t cap) {
    if (long_form()) {
      set_prefix(0, klen);
      set_prefix(1, vlen);
      set_prefix(2, cap);
    } else {
      node.aux = klen | (vlen << 8) | ((cap - vlen) << 24);
    }
  }

 private:
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  uint32_t prefix(int i) const {
    uint32_t v;
    std::memcpy(&v, bytes() + i * sizeof v, sizeof v);
    return v;
  }
  void set_prefix(int i, uint32_t v) { std::memcpy(bytes() + i * sizeof v, &v, sizeof v); }
};
static_assert(sizeof(HashField) == 16, "a field's header is part of the memory budget");

inline HashField* field_of(HNode* n) { return owner_of<HashField>(n, offsetof(HashField, node)); }
inline const HashField* field_of(const HNode* n) { return owner_of<HashField>(n, offsetof(HashField, node)); }

class HashObject {
 public:
  static constexpr std::size_t kFieldGranule = 8;  // table form: allocations are rounded up to this
  // A compact block never grows past this (Redis's listpack safety limit): a write that would make
  // it longer converts the hash to a table, whatever the limits say.
  static constexpr std::size_t kMaxCompactBytes = 1u << 30;

  // Where find() found a field (or found none). Valid until the next change to the object; pass it
  // back to set() to overwrite or add without searching again.
  struct Slot {
    std::string_view value;  // the field's value when found
    bool found = false;
    // Private to HashObject: the field (table form), the offset of the value's length prefix
    // (compact form), and the name's hash code (table form, for an insert).
    HashField* field = nullptr;
    uint32_t pos = 0;
    uint32_t hcode = 0;
  };

  HashObject() = default;
  ~HashObject();  // frees the block or every field
  // The 16-byte header lives in the keyspace entry (Txn::set_object); alone (a lazily freed hash, a
  // copy being built) it comes from the slab (slab.h), where malloc would take a 32-byte chunk.
  static void* operator new(std::size_t n) { return small_alloc(n); }
  static void operator delete(void* p, std::size_t n) { small_free(p, n); }
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;
  // Takes what `other` owns, leaving it empty. The header holds no pointer to itself, so copying its
  // bytes relocates it too (RENAME moves an entry's value that way).
  HashObject(HashObject&& other) noexcept : mem_(other.mem_), bytes_(other.bytes_), count_(other.count_) {
    other.mem_ = nullptr;
    other.bytes_ = 0;
    other.count_ = 0;
  }
  HashObject& operator=(HashObject&&) = delete;

  bool compact() const { return count_ != kTableForm; }
  // kListpack or kHashTable, for the Entry that holds this hash (OBJECT ENCODING).
  Encoding encoding() const { return compact() ? Encoding::kListpack : Encoding::kHashTable; }
  std::size_t size() const { return compact() ? count_ : table_ptr()->table.size(); }
  bool empty() const { return size() == 0; }

  // Looks `name` up. Non-const: a table lookup does a step of incremental rehashing.
  Slot find(std::string_view name);
  // The value of `name`, valid until the next change to the object.
  std::optional<std::string_view> get(std::string_view name) {
    Slot s = find(name);
    return s.found ? std::optional<std::string_view>(s.value) : std::nullopt;
  }
  // Sets `name` to `value`. Returns true if the field was created, false if it was overwritten.
  // May convert the hash to a table (see the top of this file). name and value may view this
  // object's own bytes.
  bool set(std::string_view name, std::string_view value) { return set(find(name), name, value); }
  // The same for a field already looked up: `at` must come from find(name) on this object with no
  // change since (HINCRBY and HSETNX read the field, then write it without a second search).
  bool set(const Slot& at, std::string_view name, std::string_view value);
  // Removes `name`; returns whether it was present. Never converts.
  bool remove(std::string_view name);
  // Makes the hash a table now (set() does this when a limit is crossed). No-op on a table.
  void convert_to_table();

  // Calls fn(std::string_view key, std::string_view value) for every field: in insertion order for
  // a compact hash, in table order for a table. fn must not modify the object.
  template <class Fn>
  void for_each(Fn&& fn) const;
  // One step of a cursor scan: fn(key, value) for the fields of the next table bucket(s), or for
  // every field of a compact hash at once (Redis answers a listpack's HSCAN in one reply, whatever
  // the cursor). Returns the next cursor, 0 when the scan is complete. Start with cursor 0.
  template <class Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn) const;
  // A random field, {key, value}. REQUIRES: !empty(). `rnd` supplies random bits. O(size()) for a
  // compact hash: callers wanting many picks from one should collect for_each() once instead.
  std::pair<std::string_view, std::string_view> random_field(uint64_t (*rnd)());

  // A deep copy in the same form.
  HashObject clone() const;
  // Bytes owned outside the header: its block, or its table, the table's buckets and every field block.
  std::size_t memory_bytes() const {
    const Table* t = table_ptr();
    return t ? sizeof(Table) + t->table.memory_bytes() + t->field_bytes : bytes_;
  }

 private:
  friend struct HashObjectTestPeer;  // tests/hash_test.cpp checks the invariants and the accounting

  // The table form, out of line so that a compact hash's header stays 16 bytes.
  struct Table {
    HashTable table;
    std::size_t field_bytes = 0;  // sum of alloc_size() over the linked fields
  };

  // Compact form.
  Slot find_compact(std::string_view name) const;
  void set_compact(const Slot& at, std::string_view name, std::string_view value);
  bool remove_compact(std::string_view name);
  // Whether writing name/value under `limits` (with `adding` a field) must convert first.
  bool must_convert(std::size_t name_len, std::size_t value_len, bool adding, const HashLimits& limits) const;
  void resize_block(std::size_t bytes);  // reallocs the block to exactly `bytes` (freeing it at 0)

  // Table form.
  Slot find_table(std::string_view name);
  bool set_table(const Slot& at, std::string_view name, std::string_view value);
  // Overwrites f's value: in place if it fits its block, else in a new block (f is freed).
  void update_field(HashField* f, std::string_view value);
  // A new unlinked field block holding name and value, with hcode set.
  HashField* alloc_field(uint32_t hcode, std::string_view name, std::string_view value);
  void free_field(HashField* f);

  static constexpr uint32_t kTableForm = UINT32_MAX;  // count_ in the table form (a block holds far fewer)
  // The table, or nullptr in the compact form.
  Table* table_ptr() const { return count_ == kTableForm ? static_cast<Table*>(mem_) : nullptr; }
  // The block of pairs (nullptr while empty). REQUIRES: the compact form.
  char* block() const { return static_cast<char*>(mem_); }

  void* mem_ = nullptr;  // compact form: the block of pairs (malloc'd; nullptr while empty); table form: the Table, owned
  uint32_t bytes_ = 0;   // compact form: the block's length; 0 in the table form
  uint32_t count_ = 0;   // compact form: its pairs; kTableForm in the table form
};
static_assert(sizeof(HashObject) == 16, "a small hash's header is part of the memory budget");

// ---- compact-form decoding, for the templates above ----

namespace hash_detail {
// Reads one length-prefixed string at p, advancing p past it.
inline std::string_view get_string(const char*& p) {
  const std::size_t n = get_varint(p);
  std::string_view s(p, n);
  p += n;
  return s;
}
}  // namespace hash_detail

template <class Fn>
void HashObject::for_each(Fn&& fn) const {
  if (const Table* t = table_ptr()) {
    t->table.for_each([&fn](const HNode* n) {
      const HashField* f = field_of(n);
      fn(f->key(), f->value());
    });
    return;
  }
  const char* p = block();
  const char* end = p + bytes_;
  while (p < end) {
    std::string_view k = hash_detail::get_string(p);
    std::string_view v = hash_detail::get_string(p);
    fn(k, v);
  }
}

template <class Fn>
uint64_t HashObject::scan(uint64_t cursor, Fn&& fn) const {
  if (compact()) {
    for_each(fn);
    return 0;
  }
  return table_ptr()->table.scan(cursor, [&fn](const HNode* n) {
    const HashField* f = field_of(n);
    fn(f->key(), f->value());
  });
}

}  // namespace tally
