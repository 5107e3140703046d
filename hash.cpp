// HashObject (see hash.h for the two forms, when one becomes the other, and ownership) and the
// ObjectOps that let the keyspace free, copy and measure hash values.
#include "hash.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>

#include "config.h"
#include "slab.h"

namespace tally {
namespace {

using hash_detail::get_string;

std::atomic<uint64_t> g_max_entries{HashLimits{}.entries};
std::atomic<uint64_t> g_max_value{HashLimits{}.value};

uint32_t hash_code(std::string_view name) { return static_cast<uint32_t>(hash_bytes(name.data(), name.size())); }

bool name_equals(const HNode* n, std::string_view name) {
  const HashField* f = field_of(n);
  return f->klen() == name.size() && std::memcmp(f->name(), name.data(), name.size()) == 0;
}

// Whether a value of `len` bytes should be written into f's block: it must fit, not leave most of a
// large block unused (a big value overwritten by a small one is reallocated), and leave the field's
// lengths expressible in its form.
bool fits_in_place(const HashField& f, std::size_t len) {
  std::size_t cap = f.value_capacity();
  if (len > cap || cap > 2 * len + HashObject::kFieldGranule) return false;
  return f.long_form() || HashField::short_fits(f.klen(), len, cap - len);
}

// ---- compact-form encoding: LEB128 lengths (varint.h) ----

// Writes [varint len][bytes] at p; returns the end.
char* put_string(char* p, std::string_view s) {
  p = put_varint(p, s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

std::size_t string_size(std::size_t len) { return varint_size(len) + len; }

}  // namespace

HashLimits hash_limits() {
  return {g_max_entries.load(std::memory_order_relaxed), g_max_value.load(std::memory_order_relaxed)};
}

void set_hash_limits(HashLimits limits) {
  g_max_entries.store(limits.entries, std::memory_order_relaxed);
  g_max_value.store(limits.value, std::memory_order_relaxed);
}

void publish_hash_limits(const Config& cfg) {
  set_hash_limits({static_cast<uint64_t>(cfg.hash_max_listpack_entries.load(std::memory_order_relaxed)),
                   static_cast<uint64_t>(cfg.hash_max_listpack_value.load(std::memory_order_relaxed))});
}

HashObject::~HashObject() {
  Table* t = table_ptr();
  if (!t) {
    std::free(mem_);
    return;
  }
  HNode* n = t->table.release_all();
  while (n) {
    HNode* next = n->next;
    HashField* f = field_of(n);
    small_free(f, f->alloc_size());  // not free_field(): the table is already empty
    n = next;
  }
  delete t;
}

HashObject::Slot HashObject::find(std::string_view name) { return compact() ? find_compact(name) : find_table(name); }

bool HashObject::set(const Slot& at, std::string_view name, std::string_view value) {
  if (!compact()) return set_table(at, name, value);
  // Views into the block would not survive its realloc or a conversion: write from copies.
  auto in_block = [this](std::string_view s) {
    std::less<const char*> lt;
    return !s.empty() && !lt(s.data(), block()) && lt(s.data(), block() + bytes_);
  };
  if (in_block(name) || in_block(value)) return set(at, std::string(name), std::string(value));
  if (!must_convert(name.size(), value.size(), !at.found, hash_limits())) {
    set_compact(at, name, value);
    return !at.found;
  }
  convert_to_table();
  return set_table(find_table(name), name, value);
}

bool HashObject::remove(std::string_view name) {
  if (compact()) return remove_compact(name);
  HNode* n = table_ptr()->table.remove(hash_code(name), [name](const HNode* node) { return name_equals(node, name); });
  if (n) free_field(field_of(n));
  return n != nullptr;
}

void HashObject::convert_to_table() {
  if (!compact()) return;
  // The fields go into a table of their own first: if an allocation throws, this hash keeps its block
  // and the partial copy is freed as a whole.
  HashObject built;
  built.mem_ = new Table();
  built.count_ = kTableForm;
  const char* p = block();
  const char* end = p + bytes_;
  while (p < end) {
    std::string_view k = get_string(p);
    std::string_view v = get_string(p);
    built.table_ptr()->table.insert(&built.alloc_field(hash_code(k), k, v)->node);
  }
  std::swap(mem_, built.mem_);
  std::swap(bytes_, built.bytes_);
  std::swap(count_, built.count_);  // `built` now holds the block, and frees it
}

std::pair<std::string_view, std::string_view> HashObject::random_field(uint64_t (*rnd)()) {
  if (Table* t = table_ptr()) {
    const HashField* f = field_of(t->table.random_node(rnd));
    return {f->key(), f->value()};
  }
  uint64_t skip = rnd() % count_;
  const char* p = block();
  for (;;) {
    std::string_view k = get_string(p);
    std::string_view v = get_string(p);
    if (skip-- == 0) return {k, v};
  }
}

HashObject HashObject::clone() const {
  HashObject copy;  // frees what was copied so far if an allocation throws
  if (compact()) {
    copy.resize_block(bytes_);
    if (bytes_) std::memcpy(copy.block(), block(), bytes_);
    copy.count_ = count_;
    return copy;
  }
  copy.mem_ = new Table();
  copy.count_ = kTableForm;
  table_ptr()->table.for_each([&copy](const HNode* n) {
    const HashField* f = field_of(n);
    copy.table_ptr()->table.insert(&copy.alloc_field(f->node.hcode, f->key(), f->value())->node);
  });
  return copy;
}

// ---- compact form ----

HashObject::Slot HashObject::find_compact(std::string_view name) const {
  const char* p = block();
  const char* end = block() + bytes_;
  while (p < end) {
    std::string_view k = get_string(p);
    const char* value_at = p;
    std::string_view v = get_string(p);
    if (k == name) {
      Slot s;
      s.value = v;
      s.found = true;
      s.pos = static_cast<uint32_t>(value_at - block());
      return s;
    }
  }
  return {};
}

bool HashObject::must_convert(std::size_t name_len, std::size_t value_len, bool adding,
                              const HashLimits& limits) const {
  if (name_len > limits.value || value_len > limits.value) return true;
  if (count_ + (adding ? 1u : 0u) > limits.entries) return true;
  return bytes_ + string_size(name_len) + string_size(value_len) > kMaxCompactBytes;
}

void HashObject::set_compact(const Slot& at, std::string_view name, std::string_view value) {
  if (!at.found) {  // appended: insertion order
    std::size_t end = bytes_;
    resize_block(end + string_size(name.size()) + string_size(value.size()));
    put_string(put_string(block() + end, name), value);
    ++count_;
    return;
  }
  // The old value [pos, tail) becomes the new one [pos, pos + new_len); the pairs after it move.
  const std::size_t old_len = string_size(at.value.size());
  const std::size_t new_len = string_size(value.size());
  const std::size_t tail = at.pos + old_len;
  const std::size_t tail_len = bytes_ - tail;
  if (new_len > old_len) resize_block(bytes_ + (new_len - old_len));
  if (new_len != old_len) std::memmove(block() + at.pos + new_len, block() + tail, tail_len);
  put_string(block() + at.pos, value);
  if (new_len < old_len) resize_block(bytes_ - (old_len - new_len));
}

bool HashObject::remove_compact(std::string_view name) {
  const char* p = block();
  const char* end = block() + bytes_;
  while (p < end) {
    const char* pair = p;
    std::string_view k = get_string(p);
    get_string(p);
    if (k != name) continue;
    const std::size_t from = static_cast<std::size_t>(pair - block());
    const std::size_t to = static_cast<std::size_t>(p - block());
    std::memmove(block() + from, block() + to, bytes_ - to);
    resize_block(bytes_ - (to - from));
    --count_;
    return true;
  }
  return false;
}

void HashObject::resize_block(std::size_t bytes) {
  if (bytes == 0) {
    std::free(mem_);
    mem_ = nullptr;
  } else {
    void* p = std::realloc(mem_, bytes);
    if (!p) throw std::bad_alloc();
    mem_ = p;
  }
  bytes_ = static_cast<uint32_t>(bytes);
}

// ---- table form ----

HashObject::Slot HashObject::find_table(std::string_view name) {
  Slot s;
  s.hcode = hash_code(name);
  HNode* n = table_ptr()->table.find(s.hcode, [name](const HNode* node) { return name_equals(node, name); });
  if (n) {
    s.field = field_of(n);
    s.found = true;
    s.value = s.field->value();
  }
  return s;
}

bool HashObject::set_table(const Slot& at, std::string_view name, std::string_view value) {
  if (at.found) {
    update_field(at.field, value);
    return false;
  }
  table_ptr()->table.insert(&alloc_field(at.hcode, name, value)->node);
  return true;
}

void HashObject::update_field(HashField* f, std::string_view value) {
  if (fits_in_place(*f, value.size())) {
    // memmove: `value` may be a view of this very field's bytes.
    if (!value.empty()) std::memmove(f->name() + f->klen(), value.data(), value.size());
    f->set_lengths(f->klen(), static_cast<uint32_t>(value.size()), f->value_capacity());
    return;
  }
  HashField* fresh = alloc_field(f->node.hcode, f->key(), value);
  table_ptr()->table.replace(&f->node, &fresh->node);
  free_field(f);
}

HashField* HashObject::alloc_field(uint32_t hcode, std::string_view name, std::string_view value) {
  // The block is rounded up to kFieldGranule; what that leaves over is room for a longer value.
  constexpr std::size_t g = kFieldGranule;
  bool short_form = HashField::short_fits(name.size(), value.size(), g - 1);
  std::size_t header = HashField::header_size(!short_form);
  std::size_t total = (header + name.size() + value.size() + g - 1) / g * g;
  auto cap = static_cast<uint32_t>(std::min<std::size_t>(total - header - name.size(), UINT32_MAX));
  void* p = small_alloc(header + name.size() + cap);
  auto* f = new (p) HashField{};
  f->node.hcode = hcode;
  if (!short_form) f->node.aux = HashField::kLongForm;
  f->set_lengths(static_cast<uint32_t>(name.size()), static_cast<uint32_t>(value.size()), cap);
  if (!name.empty()) std::memcpy(f->name(), name.data(), name.size());
  if (!value.empty()) std::memcpy(f->name() + name.size(), value.data(), value.size());
  table_ptr()->field_bytes += f->alloc_size();
  return f;
}

void HashObject::free_field(HashField* f) {
  table_ptr()->field_bytes -= f->alloc_size();
  small_free(f, f->alloc_size());
}

namespace {

[[maybe_unused]] const bool kHashOpsRegistered =
    register_object_ops(ValueType::kHash, &InlineObjectOps<HashObject>::kOps);

}  // namespace

}  // namespace tally
