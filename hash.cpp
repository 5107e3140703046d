// HashObject (see hash.h for the field layout and ownership) and the ObjectOps that let the keyspace
// free, copy and measure hash values.
#include "hash.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "db.h"

namespace tally {
namespace {

uint32_t hash_code(std::string_view name) { return static_cast<uint32_t>(hash_bytes(name.data(), name.size())); }

bool name_equals(const HNode* n, std::string_view name) {
  const HashField* f = field_of(n);
  return f->klen == name.size() && std::memcmp(f->bytes(), name.data(), name.size()) == 0;
}

// The value capacity of a block for `name` and `value`: the value's size plus whatever rounding
// the allocation up to kFieldGranule leaves over (capped so it fits node.aux).
uint32_t value_capacity(std::size_t name_len, std::size_t value_len) {
  constexpr std::size_t g = HashObject::kFieldGranule;
  std::size_t total = (sizeof(HashField) + name_len + value_len + g - 1) / g * g;
  return static_cast<uint32_t>(std::min<std::size_t>(total - sizeof(HashField) - name_len, UINT32_MAX));
}

// Whether a value of `len` bytes should be written into a block reserving `cap`: it must fit, and
// not leave most of a large block unused (a big value overwritten by a small one is reallocated).
bool fits_in_place(std::size_t len, std::size_t cap) {
  return len <= cap && cap <= 2 * len + HashObject::kFieldGranule;
}

}  // namespace

HashObject::~HashObject() {
  HNode* n = table_.release_all();
  while (n) {
    HNode* next = n->next;
    std::free(field_of(n));  // not free_field(): the table is already empty
    n = next;
  }
}

HashField* HashObject::alloc_field(uint32_t hcode, std::string_view name, std::string_view value) {
  uint32_t cap = value_capacity(name.size(), value.size());
  void* p = std::malloc(sizeof(HashField) + name.size() + cap);
  if (!p) throw std::bad_alloc();
  auto* f = new (p) HashField{};
  f->node.hcode = hcode;
  f->node.aux = cap;
  f->klen = static_cast<uint32_t>(name.size());
  f->vlen = static_cast<uint32_t>(value.size());
  if (!name.empty()) std::memcpy(f->bytes(), name.data(), name.size());
  if (!value.empty()) std::memcpy(f->bytes() + name.size(), value.data(), value.size());
  field_bytes_ += f->alloc_size();
  return f;
}

void HashObject::free_field(HashField* f) {
  field_bytes_ -= f->alloc_size();
  std::free(f);
}

HashField* HashObject::find(uint32_t hcode, std::string_view name) {
  HNode* n = table_.find(hcode, [name](const HNode* node) { return name_equals(node, name); });
  return n ? field_of(n) : nullptr;
}

HashField* HashObject::find(std::string_view name) { return find(hash_code(name), name); }

bool HashObject::set(std::string_view name, std::string_view value) {
  uint32_t hcode = hash_code(name);
  if (HashField* f = find(hcode, name)) {
    update(f, value);
    return false;
  }
  table_.insert(&alloc_field(hcode, name, value)->node);
  return true;
}

HashField* HashObject::update(HashField* f, std::string_view value) {
  if (fits_in_place(value.size(), f->value_capacity())) {
    // memmove: `value` may be a view of this very field's bytes.
    if (!value.empty()) std::memmove(f->bytes() + f->klen, value.data(), value.size());
    f->vlen = static_cast<uint32_t>(value.size());
    return f;
  }
  HashField* fresh = alloc_field(f->node.hcode, f->key(), value);
  table_.replace(&f->node, &fresh->node);
  free_field(f);
  return fresh;
}

bool HashObject::remove(std::string_view name) {
  HNode* n = table_.remove(hash_code(name), [name](const HNode* node) { return name_equals(node, name); });
  if (n) free_field(field_of(n));
  return n != nullptr;
}

const HashField* HashObject::random_field(uint64_t (*rnd)()) {
  HNode* n = table_.random_node(rnd);
  return n ? field_of(n) : nullptr;
}

std::unique_ptr<HashObject> HashObject::clone() const {
  auto copy = std::make_unique<HashObject>();
  for_each([&copy](const HashField& f) {
    copy->table_.insert(&copy->alloc_field(f.node.hcode, f.key(), f.value())->node);
  });
  return copy;
}

namespace {

void destroy_hash(void* object) { delete static_cast<HashObject*>(object); }
void* clone_hash(const void* object) { return static_cast<const HashObject*>(object)->clone().release(); }
std::size_t hash_memory(const void* object) { return static_cast<const HashObject*>(object)->memory_bytes(); }
std::size_t hash_length(const void* object) { return static_cast<const HashObject*>(object)->size(); }

constexpr ObjectOps kHashOps{destroy_hash, clone_hash, hash_memory, hash_length};
[[maybe_unused]] const bool kHashOpsRegistered = register_object_ops(ValueType::kHash, &kHashOps);

}  // namespace

}  // namespace tally
