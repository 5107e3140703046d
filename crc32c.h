// CRC-32C (Castagnoli), the checksum of every write-ahead-log record and snapshot record.
// Uses the CPU's crc32 instruction (SSE 4.2) when it has one, else a table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally {

// The CRC-32C of [data, data+n), continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, std::size_t n, uint32_t crc = 0);
// Whether crc32c() runs on the hardware instruction (reported in the start-up log).
bool crc32c_hardware();

}  // namespace tally
