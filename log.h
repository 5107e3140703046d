// Server log in Redis's format: "pid:M 21 Nov 2026 05:44:51.123 * message". Thread-safe.
#pragma once

#include <string_view>

namespace tally {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Where and what to log: path "" means stdout. Call before starting threads.
void log_open(std::string_view path, LogLevel min_level);
void log_line(LogLevel level, std::string_view msg);

}  // namespace tally
