#include "log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace tally {
namespace {

std::mutex g_mu;
FILE* g_out = nullptr;
LogLevel g_min = LogLevel::kNotice;

}  // namespace

void log_open(std::string_view path, LogLevel min_level) {
  std::lock_guard lock(g_mu);
  g_min = min_level;
  if (!path.empty()) g_out = std::fopen(std::string(path).c_str(), "a");
}

void log_line(LogLevel level, std::string_view msg) {
  if (level < g_min) return;
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  char stamp[64];
  std::size_t n = std::strftime(stamp, sizeof stamp, "%d %b %Y %H:%M:%S", &t);
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  std::lock_guard lock(g_mu);
  FILE* out = g_out ? g_out : stdout;
  std::fprintf(out, "%d:M %.*s.%03d %c %.*s\n", static_cast<int>(getpid()), static_cast<int>(n), stamp,
               static_cast<int>(tv.tv_usec / 1000), kMarks[static_cast<int>(level)], static_cast<int>(msg.size()),
               msg.data());
  std::fflush(out);
}

}  // namespace tally
