// Intrusive-container helpers: turn an embedded link back into the struct that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tally {

// Returns the owner of `member`, which lives `offset` bytes into an Owner (use offsetof).
// REQUIRES: Owner is standard-layout, so offsetof is defined for it.
template <class Owner, class Member>
Owner* owner_of(Member* member, std::size_t offset) {
  static_assert(std::is_standard_layout_v<Owner>, "owner_of needs a standard-layout owner");
  return reinterpret_cast<Owner*>(reinterpret_cast<char*>(member) - offset);
}

template <class Owner, class Member>
const Owner* owner_of(const Member* member, std::size_t offset) {
  static_assert(std::is_standard_layout_v<Owner>, "owner_of needs a standard-layout owner");
  return reinterpret_cast<const Owner*>(reinterpret_cast<const char*>(member) - offset);
}

}  // namespace tally
