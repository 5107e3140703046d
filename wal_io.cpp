// File helpers of the write-ahead log (wal_io.h).
#include "wal_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tally {

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool pwrite_all(int fd, const char* data, std::size_t n, uint64_t at) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(at));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    at += static_cast<uint64_t>(w);
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string gen_path(const std::string& dir, uint64_t gen, const char* ext) {
  return dir + "/tally." + std::to_string(gen) + ext;
}

std::vector<GenFile> list_generations(const std::string& dir, const char* ext) {
  std::vector<GenFile> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::size_t ext_len = std::strlen(ext);
  while (dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name.size() <= 6 + ext_len || name.compare(0, 6, "tally.") != 0 ||
        name.compare(name.size() - ext_len, ext_len, ext) != 0)
      continue;
    std::string digits = name.substr(6, name.size() - 6 - ext_len);
    if (digits.empty() || digits.size() > 19 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    out.push_back({std::strtoull(digits.c_str(), nullptr, 10), dir + "/" + name});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const GenFile& a, const GenFile& b) { return a.gen < b.gen; });
  return out;
}

void remove_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> doomed;
  while (dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) doomed.push_back(dir + "/" + name);
  }
  ::closedir(d);
  for (const std::string& p : doomed) ::unlink(p.c_str());
}

void crash_point(const char* point) {
  const char* want = std::getenv("TALLY_CRASH_AT");
  if (want && std::strcmp(want, point) == 0) ::kill(::getpid(), SIGKILL);
}

}  // namespace tally
