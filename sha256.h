// SHA-256 (FIPS 180-4), used to store ACL passwords as Redis does: a user's passwords are kept only
// as the lowercase hex digest of the cleartext. No external crypto library is needed for this.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tally {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t len);
  // Finishes the digest; the object must not be updated afterwards.
  std::array<uint8_t, 32> final();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes hashed so far
};

// The 64-character lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace tally
