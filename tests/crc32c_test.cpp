// CRC-32C (crc32c.h): published check values, incremental use, and agreement with a bitwise
// reference for every length and alignment (the hardware path handles 8-byte words and a tail, so
// lengths 0..64 at every offset cover each split).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "crc32c.h"

namespace tally {
namespace {

// The definition, one bit at a time (reflected Castagnoli polynomial 0x82F63B78).
uint32_t reference_crc(const void* data, std::size_t n, uint32_t crc = 0) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

std::vector<unsigned char> random_bytes(std::size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(rng());
  return v;
}

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
  EXPECT_EQ(crc32c("a", 1), 0xC1D04330u);

  // RFC 3720 (iSCSI) appendix B.4 test vectors.
  unsigned char buf[32];
  std::memset(buf, 0, sizeof buf);
  EXPECT_EQ(crc32c(buf, 32), 0x8A9136AAu);
  std::memset(buf, 0xFF, sizeof buf);
  EXPECT_EQ(crc32c(buf, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(crc32c(buf, 32), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<unsigned char>(31 - i);
  EXPECT_EQ(crc32c(buf, 32), 0x113FDB5Cu);

  // The reference agrees with the published values (so the comparisons below mean something).
  EXPECT_EQ(reference_crc("123456789", 9), 0xE3069283u);
  std::memset(buf, 0, sizeof buf);
  EXPECT_EQ(reference_crc(buf, 32), 0x8A9136AAu);
}

TEST(Crc32cTest, IncrementalEqualsOneShot) {
  auto data = random_bytes(1000, 1);
  uint32_t whole = crc32c(data.data(), data.size());
  EXPECT_EQ(whole, reference_crc(data.data(), data.size()));
  // Every split point, in two pieces.
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    uint32_t c = crc32c(data.data(), cut);
    c = crc32c(data.data() + cut, data.size() - cut, c);
    ASSERT_EQ(c, whole) << "cut at " << cut;
  }
  // Many small irregular pieces.
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    uint32_t c = 0;
    std::size_t pos = 0;
    while (pos < data.size()) {
      std::size_t n = std::min<std::size_t>(rng() % 20, data.size() - pos);
      c = crc32c(data.data() + pos, n, c);
      pos += n;
    }
    ASSERT_EQ(c, whole);
  }
  // "123456789" byte by byte.
  uint32_t c = 0;
  for (char ch : std::string("123456789")) c = crc32c(&ch, 1, c);
  EXPECT_EQ(c, 0xE3069283u);
}

TEST(Crc32cTest, AllLengthsAndAlignmentsMatchReference) {
  auto data = random_bytes(64 + 16, 2);
  for (std::size_t offset = 0; offset < 16; ++offset) {
    for (std::size_t len = 0; len <= 64; ++len) {
      const unsigned char* p = data.data() + offset;
      ASSERT_EQ(crc32c(p, len), reference_crc(p, len)) << "offset " << offset << " len " << len;
      ASSERT_EQ(crc32c(p, len, 0x12345678u), reference_crc(p, len, 0x12345678u))
          << "offset " << offset << " len " << len << " (continued)";
    }
  }
  // Longer inputs, unaligned.
  auto big = random_bytes(5000, 3);
  for (std::size_t offset : {0, 1, 3, 7}) {
    for (std::size_t len : {100, 1023, 4096, 4993}) {
      ASSERT_EQ(crc32c(big.data() + offset, len), reference_crc(big.data() + offset, len));
    }
  }
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  auto data = random_bytes(64, 4);
  uint32_t good = crc32c(data.data(), data.size());
  for (std::size_t bit = 0; bit < data.size() * 8; ++bit) {
    data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    ASSERT_NE(crc32c(data.data(), data.size()), good) << "bit " << bit;
    data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
  }
}

TEST(Crc32cTest, HardwareFlagIsStable) {
  bool hw = crc32c_hardware();
  EXPECT_EQ(crc32c_hardware(), hw);
}

}  // namespace
}  // namespace tally
