// LEB128 varints, the length prefixes of the compact hash and sorted-set blocks (hash.h, zset.h):
// 7 bits a byte, low bits first, the top bit set on every byte but the last, so values under 128
// take one byte.
#pragma once

#include <cstddef>

namespace tally {

inline std::size_t varint_size(std::size_t v) {
  std::size_t bytes = 1;
  for (; v >= 0x80; v >>= 7) ++bytes;
  return bytes;
}

// Writes v at p; returns the end.
inline char* put_varint(char* p, std::size_t v) {
  for (; v >= 0x80; v >>= 7) *p++ = static_cast<char>((v & 0x7f) | 0x80);
  *p++ = static_cast<char>(v);
  return p;
}

// Reads a varint at p, advancing p past it.
inline std::size_t get_varint(const char*& p) {
  std::size_t v = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<unsigned char>(*p++);
    v |= static_cast<std::size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

}  // namespace tally
