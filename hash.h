// Hash values (HSET and friends): an intrusive HashTable of fields, one allocation per field.
//
// Layout: each field is one malloc'd block [HashField][name bytes][value bytes][spare value bytes].
// node.aux records how many bytes the block reserves for the value (the allocation is rounded up to
// kFieldGranule), so a new value that fits is written in place: HSET of a same-sized value and
// HINCRBY on a counter allocate nothing.
//
// Ownership: a HashObject owns every field linked into its table; only HashObject::free_field()
// frees one (on remove, on a value that outgrew its block, and in the destructor).
//
// Thread-safety: none. The shard lock of the key holding the object guards every call; a detached
// object may be destroyed on the background queue, where nothing else can reach it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "hashtable.h"
#include "intrusive.h"

namespace tally {

struct HashField {
  HNode node;  // node.aux: bytes reserved for the value (>= vlen)
  uint32_t klen;
  uint32_t vlen;

  std::string_view key() const { return {bytes(), klen}; }
  std::string_view value() const { return {bytes() + klen, vlen}; }
  uint32_t value_capacity() const { return node.aux; }
  // Bytes of the whole allocation.
  std::size_t alloc_size() const { return sizeof(HashField) + klen + node.aux; }

  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
};
static_assert(sizeof(HashField) == 24, "a field's header is part of the memory budget");

inline HashField* field_of(HNode* n) { return owner_of<HashField>(n, offsetof(HashField, node)); }
inline const HashField* field_of(const HNode* n) { return owner_of<HashField>(n, offsetof(HashField, node)); }

class HashObject {
 public:
  static constexpr std::size_t kFieldGranule = 16;  // allocations are rounded up to this

  HashObject() = default;
  ~HashObject();  // frees every field
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;

  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }

  // The field named `name`, or nullptr. A returned pointer is valid until the next set(), update()
  // or remove() on this object.
  HashField* find(std::string_view name);
  // Sets `name` to `value`. Returns true if the field was created, false if it was overwritten.
  bool set(std::string_view name, std::string_view value);
  // Overwrites the value of f (a field of this object) and returns the field that now holds it: f
  // itself if the value fits its block, else a new block (f is freed).
  HashField* update(HashField* f, std::string_view value);
  // Removes `name`; returns whether it was present.
  bool remove(std::string_view name);

  // Calls fn(const HashField&) for every field. fn must not modify the object.
  template <class Fn>
  void for_each(Fn&& fn) const {
    table_.for_each([&fn](const HNode* n) { fn(*field_of(n)); });
  }
  // One step of a cursor scan (HashTable::scan): fn(const HashField&) for the fields of the next
  // bucket(s). Returns the next cursor, 0 when the scan is complete. Start with cursor 0.
  template <class Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn) const {
    return table_.scan(cursor, [&fn](const HNode* n) { fn(*field_of(n)); });
  }
  // A random field (nullptr if empty); `rnd` supplies random bits.
  const HashField* random_field(uint64_t (*rnd)());

  std::unique_ptr<HashObject> clone() const;
  // Bytes owned: the object, its buckets and every field block.
  std::size_t memory_bytes() const { return sizeof(*this) + table_.memory_bytes() + field_bytes_; }

 private:
  friend struct HashObjectTestPeer;  // tests/hash_test.cpp checks the byte accounting

  HashField* find(uint32_t hcode, std::string_view name);
  // A new unlinked field block holding name and value, with hcode set.
  HashField* alloc_field(uint32_t hcode, std::string_view name, std::string_view value);
  void free_field(HashField* f);

  HashTable table_;
  std::size_t field_bytes_ = 0;  // sum of alloc_size() over the linked fields
};

}  // namespace tally
