// File helpers shared by the log writer (wal.cpp) and recovery (wal_recover.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tally {

// Writes all of [data, data+n); false with errno set on failure.
bool write_all(int fd, const char* data, std::size_t n);
// The same at file offset `at` (pwrite).
bool pwrite_all(int fd, const char* data, std::size_t n, uint64_t at);
// fsyncs the directory, making renames and new files in it durable.
bool fsync_dir(const std::string& dir);

struct GenFile {
  uint64_t gen;
  std::string path;
};
// The snapshot (".snap") or log (".wal") files of `dir`, oldest generation first.
std::vector<GenFile> list_generations(const std::string& dir, const char* ext);
// Removes leftover "*.tmp" files of an interrupted compaction.
void remove_temporaries(const std::string& dir);
std::string gen_path(const std::string& dir, uint64_t gen, const char* ext);

// Test hook: when the environment variable TALLY_CRASH_AT names `point`, the process kills itself
// with SIGKILL there (the crash-during-compaction tests use it).
void crash_point(const char* point);

}  // namespace tally
