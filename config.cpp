// Configuration parameters: one table describes every parameter once (name, alias, kind, bounds,
// whether CONFIG SET may change it, and how to read and write it in Config). Start-up flags, config
// file lines and CONFIG GET/SET all go through that table, so a parameter added here is at once
// settable from the command line, the config file and (if mutable) CONFIG SET, and visible to
// CONFIG GET. Value syntax and error texts follow Redis 7.0's config.c: strict integers (string2ll),
// memory values as memtoull (1k = 1000, 1kb = 1024, ... 1gb), yes/no booleans, case-insensitive enums.
//
// Thread-safety: numeric values are atomics in Config and are read and written without locks; string
// values are read and written under Config::mu (the accessors below take it).
#include "config.h"

#include "errors.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>

#include "commands.h"
#include "evict.h"
#include "hash.h"
#include "protocol.h"
#include "zset.h"

namespace tally {
namespace {

enum class Kind : uint8_t { kInt, kBool, kEnum, kString, kMemory, kOctal };  // kOctal: a file mode, read and shown in octal

enum ParamFlag : uint8_t {
  kMutable = 1,    // CONFIG SET may change it
  kProtected = 2,  // immutable, reported as Redis reports its protected configs ("dir")
  kMulti = 4,      // takes several arguments in a config file / flag (joined with spaces)
};

struct EnumName {
  std::string_view name;
  int64_t value;
};

// Parameter accessors. Numeric kinds (int, bool, enum, memory) go through get_num/set_num;
// strings through get_str/set_str. `check` (optional) validates a value, may adjust it, and returns
// Redis's reason text on failure ("" when fine).
using GetNum = int64_t (*)(const Config&);
using SetNum = void (*)(Config&, int64_t);
using GetStr = std::string (*)(const Config&);
using SetStr = void (*)(Config&, std::string);
using CheckNum = std::string (*)(int64_t*);
using CheckStr = std::string (*)(std::string*);

struct Param {
  std::string_view name;
  std::string_view alias;
  Kind kind;
  uint8_t flags;
  int64_t min = 0, max = 0;
  std::span<const EnumName> names = {};
  GetNum get_num = nullptr;
  SetNum set_num = nullptr;
  GetStr get_str = nullptr;
  SetStr set_str = nullptr;
  CheckNum check_num = nullptr;
  CheckStr check_str = nullptr;
};

template <class T>
int64_t load(const T& v) {
  return static_cast<int64_t>(v);
}
template <class T>
int64_t load(const std::atomic<T>& v) {
  return static_cast<int64_t>(v.load(std::memory_order_relaxed));
}
template <class T>
void store(T& v, int64_t x) {
  v = static_cast<T>(x);
}
template <class T>
void store(std::atomic<T>& v, int64_t x) {
  v.store(static_cast<T>(x), std::memory_order_relaxed);
}

template <auto M>
int64_t get_num(const Config& c) {
  return load(c.*M);
}
template <auto M>
void set_num(Config& c, int64_t v) {
  store(c.*M, v);
}
template <auto M>
std::string get_str(const Config& c) {
  std::lock_guard lock(c.mu);
  return c.*M;
}
template <auto M>
void set_str(Config& c, std::string v) {
  std::lock_guard lock(c.mu);
  c.*M = std::move(v);
}

void set_appendonly(Config& c, int64_t v) {
  if (c.appendonly.exchange(v != 0) != (v != 0)) c.appendonly_switches.fetch_add(1);
}

// Redis reports `dir` as the absolute working directory.
std::string get_dir(const Config& c) {
  std::string dir = get_str<&Config::dir>(c);
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(dir, ec);
  if (ec) return dir;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// requirepass is the default user's password (Redis 7.0): the ACL side hears of every runtime change.
void set_requirepass(Config& c, std::string v) {
  set_str<&Config::requirepass>(c, v);
  if (c.on_requirepass) c.on_requirepass(v);
}

std::string check_shards(int64_t* v) {
  if (*v < 1 || *v > 1024 || (*v & (*v - 1)) != 0) return "argument must be a power of two between 1 and 1024";
  return "";
}

// Redis clamps hz to [1, 500] rather than rejecting it.
std::string clamp_hz(int64_t* v) {
  if (*v < 1) *v = 1;
  if (*v > 500) *v = 500;
  return "";
}

// "save" holds pairs of "<seconds> <changes>" (or "" for none), as Redis validates them.
std::string check_save(std::string* v) {
  std::vector<std::string> parts;
  if (!split_args(*v, &parts) || parts.size() % 2 != 0) return "Invalid save parameters";
  for (const std::string& p : parts) {
    int64_t n;
    if (!parse_int64(p, &n) || n < 0) return "Invalid save parameters";
  }
  std::string joined;
  for (const std::string& p : parts) joined += (joined.empty() ? "" : " ") + p;
  *v = joined;
  return "";
}

// client-output-buffer-limit: groups of "<class> <hard> <soft> <soft-seconds>", checked as Redis
// 7.0's config.c does (memtoull sizes; seconds read by strtoll into an int) and applied all or
// nothing. CONFIG SET splits its value on every single space, so "a  b" holds an empty part.
struct ObufSetting {
  int cls;
  int64_t hard, soft, seconds;
};

int client_class(std::string_view name);
bool parse_memory(std::string_view s, uint64_t* out);

std::string parse_obuf(std::string_view value, std::vector<ObufSetting>* out) {
  std::vector<std::string> parts;
  for (std::size_t at = 0; !value.empty();) {
    std::size_t sp = value.find(' ', at);
    parts.emplace_back(value.substr(at, sp == std::string_view::npos ? sp : sp - at));
    if (sp == std::string_view::npos) break;
    at = sp + 1;
  }
  if (parts.size() % 4) return "Wrong number of arguments in buffer limit configuration.";
  for (std::size_t i = 0; i < parts.size(); i += 4) {
    ObufSetting set{client_class(parts[i]), 0, 0, 0};
    if (set.cls < 0) return "Invalid client class specified in buffer limit configuration.";
    uint64_t hard = 0, soft = 0;
    bool sizes_ok = parse_memory(parts[i + 1], &hard);
    sizes_ok = parse_memory(parts[i + 2], &soft) && sizes_ok;
    // Redis keeps the unsigned values; past INT64_MAX (no limit either way) Tally keeps INT64_MAX.
    set.hard = static_cast<int64_t>(std::min<uint64_t>(hard, INT64_MAX));
    set.soft = static_cast<int64_t>(std::min<uint64_t>(soft, INT64_MAX));
    char* end = nullptr;
    int seconds = static_cast<int>(std::strtoll(parts[i + 3].c_str(), &end, 10));  // Redis keeps an int
    if (!sizes_ok || seconds < 0 || *end != '\0')
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    set.seconds = seconds;
    out->push_back(set);
  }
  return "";
}

std::string check_obuf(std::string* v) {
  std::vector<ObufSetting> settings;
  return parse_obuf(*v, &settings);
}

void set_obuf(Config& c, std::string v) {
  std::vector<ObufSetting> settings;
  if (!parse_obuf(v, &settings).empty()) return;  // check_obuf accepted it already
  for (const ObufSetting& s : settings) {
    OutputBufferLimit& l = c.obuf_limits[s.cls];
    l.hard.store(s.hard);
    l.soft.store(s.soft);
    l.soft_seconds.store(s.seconds);
  }
}

// Redis's format, every class in order: "normal 0 0 0 slave 268435456 67108864 60 pubsub ...".
std::string get_obuf(const Config& c) {
  static constexpr const char* kNames[kClientClasses] = {"normal", "slave", "pubsub"};
  std::string out;
  for (int i = 0; i < kClientClasses; ++i) {
    const OutputBufferLimit& l = c.obuf_limits[i];
    out += std::string(i ? " " : "") + kNames[i] + " " + std::to_string(l.hard.load()) + " " +
           std::to_string(l.soft.load()) + " " + std::to_string(l.soft_seconds.load());
  }
  return out;
}

constexpr EnumName kLogLevels[] = {{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}};
constexpr EnumName kFsync[] = {{"everysec", static_cast<int64_t>(FsyncPolicy::kEverysec)},
                               {"always", static_cast<int64_t>(FsyncPolicy::kAlways)},
                               {"no", static_cast<int64_t>(FsyncPolicy::kNo)}};

constexpr EnumName kTlsAuthClients[] = {{"no", 0}, {"yes", 1}, {"optional", 2}};
// In Redis's order, which its "must be one of the following" error lists.
constexpr EnumName kPolicies[] = {{"volatile-lru", static_cast<int64_t>(MaxmemoryPolicy::kVolatileLru)},
                                  {"volatile-lfu", static_cast<int64_t>(MaxmemoryPolicy::kVolatileLfu)},
                                  {"volatile-random", static_cast<int64_t>(MaxmemoryPolicy::kVolatileRandom)},
                                  {"volatile-ttl", static_cast<int64_t>(MaxmemoryPolicy::kVolatileTtl)},
                                  {"allkeys-lru", static_cast<int64_t>(MaxmemoryPolicy::kAllkeysLru)},
                                  {"allkeys-lfu", static_cast<int64_t>(MaxmemoryPolicy::kAllkeysLfu)},
                                  {"allkeys-random", static_cast<int64_t>(MaxmemoryPolicy::kAllkeysRandom)},
                                  {"noeviction", static_cast<int64_t>(MaxmemoryPolicy::kNoEviction)}};

// The policy and the LFU knobs also decide what an entry's access field means (evict.h), which the
// keyspace reads on every lookup: setting them publishes the new meaning.
template <auto M>
void set_access_num(Config& c, int64_t v) {
  store(c.*M, v);
  publish_access_mode(c);
}

// The hash encoding limits are read by hash.cpp on every HSET: setting one publishes both.
template <auto M>
void set_hash_num(Config& c, int64_t v) {
  store(c.*M, v);
  publish_hash_limits(c);
}

// The same for the sorted-set limits, read by zset.cpp on every insert.
template <auto M>
void set_zset_num(Config& c, int64_t v) {
  store(c.*M, v);
  publish_zset_limits(c);
}

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kInt64Max = INT64_MAX;
constexpr int64_t kMb = 1024 * 1024;

Param num(std::string_view name, Kind kind, uint8_t flags, int64_t min, int64_t max, GetNum get, SetNum set,
          CheckNum check = nullptr) {
  Param p{name, {}, kind, flags, min, max};
  p.get_num = get;
  p.set_num = set;
  p.check_num = check;
  return p;
}
Param flag(std::string_view name, uint8_t flags, GetNum get, SetNum set) {
  return num(name, Kind::kBool, flags, 0, 1, get, set);
}
Param enumeration(std::string_view name, uint8_t flags, std::span<const EnumName> names, GetNum get, SetNum set) {
  Param p = num(name, Kind::kEnum, flags, 0, 0, get, set);
  p.names = names;
  return p;
}
Param str(std::string_view name, uint8_t flags, GetStr get, SetStr set, CheckStr check = nullptr) {
  Param p{name, {}, Kind::kString, flags};
  p.get_str = get;
  p.set_str = set;
  p.check_str = check;
  return p;
}
Param aliased(Param p, std::string_view alias) {
  p.alias = alias;
  return p;
}

const std::vector<Param>& params() {
  using C = Config;
  static const std::vector<Param> kParams = {
      num("port", Kind::kInt, 0, 0, 65535, get_num<&C::port>, set_num<&C::port>),
      str("bind", kMulti, get_str<&C::bind>, set_str<&C::bind>),
      aliased(num("workers", Kind::kInt, 0, 0, 1024, get_num<&C::workers>, set_num<&C::workers>), "io-threads"),
      num("shards", Kind::kInt, 0, 1, 1024, get_num<&C::shards>, set_num<&C::shards>, check_shards),
      str("dir", kProtected, get_dir, set_str<&C::dir>),
      num("databases", Kind::kInt, 0, 1, 4096, get_num<&C::databases>, set_num<&C::databases>),
      flag("daemonize", 0, get_num<&C::daemonize>, set_num<&C::daemonize>),
      num("maxclients", Kind::kInt, kMutable, 1, 4294967295LL, get_num<&C::maxclients>, set_num<&C::maxclients>),
      str("requirepass", kMutable, get_str<&C::requirepass>, set_requirepass),
      str("aclfile", 0, get_str<&C::aclfile>, set_str<&C::aclfile>),
      flag("protected-mode", kMutable, get_num<&C::protected_mode>, set_num<&C::protected_mode>),
      num("acllog-max-len", Kind::kInt, kMutable, 0, kInt64Max, get_num<&C::acllog_max_len>,
          set_num<&C::acllog_max_len>),
      num("timeout", Kind::kInt, kMutable, 0, kIntMax, get_num<&C::timeout>, set_num<&C::timeout>),
      num("tcp-keepalive", Kind::kInt, kMutable, 0, kIntMax, get_num<&C::tcp_keepalive>, set_num<&C::tcp_keepalive>),
      enumeration("loglevel", kMutable, kLogLevels, get_num<&C::loglevel>, set_num<&C::loglevel>),
      str("logfile", 0, get_str<&C::logfile>, set_str<&C::logfile>),
      flag("appendonly", kMutable, get_num<&C::appendonly>, set_appendonly),
      enumeration("appendfsync", kMutable, kFsync, get_num<&C::appendfsync>, set_num<&C::appendfsync>),
      str("appendfilename", 0, get_str<&C::appendfilename>, set_str<&C::appendfilename>),
      str("appenddirname", 0, get_str<&C::appenddirname>, set_str<&C::appenddirname>),
      num("auto-aof-rewrite-percentage", Kind::kInt, kMutable, 0, kIntMax, get_num<&C::auto_aof_rewrite_percentage>,
          set_num<&C::auto_aof_rewrite_percentage>),
      num("auto-aof-rewrite-min-size", Kind::kMemory, kMutable, 0, kInt64Max, get_num<&C::auto_aof_rewrite_min_size>,
          set_num<&C::auto_aof_rewrite_min_size>),
      num("wal-write-interval-ms", Kind::kInt, kMutable, 0, 1000, get_num<&C::wal_write_interval_ms>,
          set_num<&C::wal_write_interval_ms>),
      num("wal-group-commit-us", Kind::kInt, kMutable, 0, 100000, get_num<&C::wal_group_commit_us>,
          set_num<&C::wal_group_commit_us>),
      flag("wal-leader-sync", kMutable, get_num<&C::wal_leader_sync>, set_num<&C::wal_leader_sync>),
      num("wal-preallocate", Kind::kMemory, kMutable, 0, 1LL << 30, get_num<&C::wal_preallocate>,
          set_num<&C::wal_preallocate>),
      flag("aof-load-truncated", kMutable, get_num<&C::aof_load_truncated>, set_num<&C::aof_load_truncated>),
      flag("wal-load-corrupt", kMutable, get_num<&C::wal_load_corrupt>, set_num<&C::wal_load_corrupt>),
      str("save", kMutable | kMulti, get_str<&C::save>, set_str<&C::save>, check_save),
      num("proto-max-bulk-len", Kind::kMemory, kMutable, kMb, kInt64Max, get_num<&C::proto_max_bulk_len>,
          set_num<&C::proto_max_bulk_len>),
      num("client-query-buffer-limit", Kind::kMemory, kMutable, kMb, kInt64Max,
          get_num<&C::client_query_buffer_limit>, set_num<&C::client_query_buffer_limit>),
      str("client-output-buffer-limit", kMutable | kMulti, get_obuf, set_obuf, check_obuf),
      num("hz", Kind::kInt, kMutable, 0, kIntMax, get_num<&C::hz>, set_num<&C::hz>, clamp_hz),
      num("maxmemory", Kind::kMemory, kMutable, 0, kInt64Max, get_num<&C::maxmemory>, set_num<&C::maxmemory>),
      // TLS: fixed at start (no context reload on CONFIG SET), except the per-connection client-cert mode.
      num("tls-port", Kind::kInt, 0, 0, 65535, get_num<&C::tls_port>, set_num<&C::tls_port>),
      num("tcp-backlog", Kind::kInt, 0, 0, kIntMax, get_num<&C::tcp_backlog>, set_num<&C::tcp_backlog>),
      str("pidfile", 0, get_str<&C::pidfile>, set_str<&C::pidfile>),
      str("unixsocket", 0, get_str<&C::unixsocket>, set_str<&C::unixsocket>),
      num("unixsocketperm", Kind::kOctal, 0, 0, 0777, get_num<&C::unixsocketperm>, set_num<&C::unixsocketperm>),
      str("tls-cert-file", 0, get_str<&C::tls_cert_file>, set_str<&C::tls_cert_file>),
      str("tls-key-file", 0, get_str<&C::tls_key_file>, set_str<&C::tls_key_file>),
      str("tls-key-file-pass", 0, get_str<&C::tls_key_file_pass>, set_str<&C::tls_key_file_pass>),
      str("tls-ca-cert-file", 0, get_str<&C::tls_ca_cert_file>, set_str<&C::tls_ca_cert_file>),
      str("tls-ca-cert-dir", 0, get_str<&C::tls_ca_cert_dir>, set_str<&C::tls_ca_cert_dir>),
      enumeration("tls-auth-clients", kMutable, kTlsAuthClients, get_num<&C::tls_auth_clients>,
                  set_num<&C::tls_auth_clients>),
      str("tls-protocols", 0, get_str<&C::tls_protocols>, set_str<&C::tls_protocols>),
      str("tls-ciphers", 0, get_str<&C::tls_ciphers>, set_str<&C::tls_ciphers>),
      str("tls-ciphersuites", 0, get_str<&C::tls_ciphersuites>, set_str<&C::tls_ciphersuites>),
      flag("tls-prefer-server-ciphers", 0, get_num<&C::tls_prefer_server_ciphers>,
           set_num<&C::tls_prefer_server_ciphers>),
      flag("tls-session-caching", 0, get_num<&C::tls_session_caching>, set_num<&C::tls_session_caching>),
      num("tls-session-cache-size", Kind::kInt, 0, 0, kIntMax, get_num<&C::tls_session_cache_size>,
          set_num<&C::tls_session_cache_size>),
      num("tls-session-cache-timeout", Kind::kInt, 0, 0, kIntMax, get_num<&C::tls_session_cache_timeout>,
          set_num<&C::tls_session_cache_timeout>),
      enumeration("maxmemory-policy", kMutable, kPolicies, get_num<&C::maxmemory_policy>,
                  set_access_num<&C::maxmemory_policy>),
      num("maxmemory-samples", Kind::kInt, kMutable, 1, kIntMax, get_num<&C::maxmemory_samples>,
          set_num<&C::maxmemory_samples>),
      num("maxmemory-eviction-tenacity", Kind::kInt, kMutable, 0, 100, get_num<&C::maxmemory_eviction_tenacity>,
          set_num<&C::maxmemory_eviction_tenacity>),
      num("lfu-log-factor", Kind::kInt, kMutable, 0, kIntMax, get_num<&C::lfu_log_factor>,
          set_access_num<&C::lfu_log_factor>),
      num("lfu-decay-time", Kind::kInt, kMutable, 0, kIntMax, get_num<&C::lfu_decay_time>,
          set_access_num<&C::lfu_decay_time>),
      aliased(num("hash-max-listpack-entries", Kind::kInt, kMutable, 0, kInt64Max,
                  get_num<&C::hash_max_listpack_entries>, set_hash_num<&C::hash_max_listpack_entries>),
              "hash-max-ziplist-entries"),
      aliased(num("hash-max-listpack-value", Kind::kMemory, kMutable, 0, kInt64Max,
                  get_num<&C::hash_max_listpack_value>, set_hash_num<&C::hash_max_listpack_value>),
              "hash-max-ziplist-value"),
      aliased(num("zset-max-listpack-entries", Kind::kInt, kMutable, 0, kInt64Max,
                  get_num<&C::zset_max_listpack_entries>, set_zset_num<&C::zset_max_listpack_entries>),
              "zset-max-ziplist-entries"),
      aliased(num("zset-max-listpack-value", Kind::kMemory, kMutable, 0, kInt64Max,
                  get_num<&C::zset_max_listpack_value>, set_zset_num<&C::zset_max_listpack_value>),
              "zset-max-ziplist-value"),
  };
  return kParams;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// getClientTypeByName, less "master", which has no output limits.
int client_class(std::string_view name) {
  if (iequal(name, "normal")) return static_cast<int>(ClientClass::kNormal);
  if (iequal(name, "slave") || iequal(name, "replica")) return static_cast<int>(ClientClass::kReplica);
  if (iequal(name, "pubsub")) return static_cast<int>(ClientClass::kPubsub);
  return -1;
}

const Param* find_param(std::string_view name) {
  for (const Param& p : params())
    if (iequal(p.name, name) || (!p.alias.empty() && iequal(p.alias, name))) return &p;
  return nullptr;
}

// Redis's memtoull: digits followed by an optional unit (b, k, kb, m, mb, g, gb; any case).
// An empty number reads as 0, as in Redis. Nor does it check for overflow, as Redis does not: the
// digits saturate at 2^64 - 1 (its strtoull) and the unit's product wraps, so a value too big reads
// as some number that the caller's range check refuses (or, wrapped, accepts, as Redis would).
// More than 127 digits do not fit Redis's buffer and are no memory value.
bool parse_memory(std::string_view s, uint64_t* out) {
  std::size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits >= 128) return false;
  std::string_view unit = s.substr(digits);
  uint64_t mul;
  if (unit.empty() || iequal(unit, "b")) mul = 1;
  else if (iequal(unit, "k")) mul = 1000;
  else if (iequal(unit, "kb")) mul = 1024;
  else if (iequal(unit, "m")) mul = 1000 * 1000;
  else if (iequal(unit, "mb")) mul = 1024 * 1024;
  else if (iequal(unit, "g")) mul = 1000ULL * 1000 * 1000;
  else if (iequal(unit, "gb")) mul = 1024ULL * 1024 * 1024;
  else return false;
  uint64_t v = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  *out = v * mul;
  return true;
}

std::string octal(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llo", static_cast<unsigned long long>(v));
  return buf;
}

std::string parse_number(const Param& p, std::string_view value, int64_t* v) {
  switch (p.kind) {
    case Kind::kBool:
      if (iequal(value, "yes")) *v = 1;
      else if (iequal(value, "no")) *v = 0;
      else return "argument must be 'yes' or 'no'";
      return "";
    case Kind::kEnum: {
      for (const EnumName& e : p.names) {
        if (!iequal(value, e.name)) continue;
        *v = e.value;
        return "";
      }
      std::string msg = "argument(s) must be one of the following: ";
      for (std::size_t i = 0; i < p.names.size(); ++i) msg += (i ? ", " : "") + std::string(p.names[i].name);
      return msg;
    }
    case Kind::kMemory: {
      uint64_t bytes;
      if (!parse_memory(value, &bytes)) return "argument must be a memory value";
      // Redis range-checks the unsigned value: past INT64_MAX it is beyond every memory setting's
      // bounds (all of them start at 0 or more), which -1 is too.
      *v = bytes > static_cast<uint64_t>(INT64_MAX) ? -1 : static_cast<int64_t>(bytes);
      break;
    }
    case Kind::kOctal: {  // as Redis: strtoll in base 8, which takes a sign and leading blanks
      std::string s(value);
      char* end = nullptr;
      errno = 0;
      long long n = std::strtoll(s.c_str(), &end, 8);
      if (*end != '\0' || errno == ERANGE) return "argument couldn't be parsed as an octal number";
      *v = n;
      break;
    }
    default:
      if (!parse_int64(value, v)) return "argument couldn't be parsed into an integer";
      break;
  }
  if (*v < p.min || *v > p.max) {
    if (p.kind == Kind::kOctal) return "argument must be between " + octal(p.min) + " and " + octal(p.max) + " inclusive";
    return "argument must be between " + std::to_string(p.min) + " and " + std::to_string(p.max) + " inclusive";
  }
  return p.check_num ? p.check_num(v) : "";
}

// Parses and stores `value`; returns Redis's reason text on failure (nothing is changed then).
std::string set_value(Config* cfg, const Param& p, std::string_view value) {
  if (p.kind == Kind::kString) {
    std::string s(value);
    if (p.check_str) {
      std::string why = p.check_str(&s);
      if (!why.empty()) return why;
    }
    p.set_str(*cfg, std::move(s));
    return "";
  }
  int64_t v = 0;
  std::string why = parse_number(p, value, &v);
  if (!why.empty()) return why;
  p.set_num(*cfg, v);
  return "";
}

std::string get_value(const Config& cfg, const Param& p) {
  if (p.kind == Kind::kString) return p.get_str(cfg);
  int64_t v = p.get_num(cfg);
  if (p.kind == Kind::kBool) return v ? "yes" : "no";
  if (p.kind == Kind::kEnum) {
    for (const EnumName& e : p.names)
      if (e.value == v) return std::string(e.name);
    return "";
  }
  if (p.kind == Kind::kOctal) return octal(v);
  return std::to_string(v);
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Collects the directives of one parse_args run. Repeated "save" lines accumulate as in Redis
// (`save ""` clears); everything else is applied at once.
struct ArgsParser {
  Config* cfg = nullptr;
  std::string saves;

  std::string apply(std::string_view name, const std::vector<std::string>& args) {
    std::string lname = lowercase(name);
    if (lname != "save" || args.empty()) return apply_directive(cfg, lname, args);
    std::string joined;
    for (const std::string& a : args) joined += (joined.empty() ? "" : " ") + a;
    if (joined.empty()) saves.clear();
    else saves += (saves.empty() ? "" : " ") + joined;
    return apply_directive(cfg, lname, {saves});
  }

  std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return "Fatal error, can't open config file '" + path + "': " + std::strerror(errno);
    std::string line;
    for (int lineno = 1; std::getline(in, line); ++lineno) {
      std::string why = apply_line(line);
      if (!why.empty()) return "config file '" + path + "', line " + std::to_string(lineno) + ": " + why;
    }
    return "";
  }

  std::string apply_line(std::string_view line) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') return "";
    std::vector<std::string> parts;
    if (!split_args(line, &parts)) return "Unbalanced quotes in configuration line";
    if (parts.empty()) return "";
    std::string name = parts.front();
    parts.erase(parts.begin());
    return apply(name, parts);
  }
};

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

bool has_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// Directives of Redis 7.0's redis.conf that Tally does not implement, accepted at start (any value) so
// that a stock config file starts it; the server logs their names. They are not parameters: CONFIG
// GET does not list them and CONFIG SET refuses them as unknown. Settings that would ask for a missing
// feature to be used are not here (replicaof) or are accepted only when off (notify-keyspace-events).
constexpr std::string_view kIgnoredDirectives[] = {
    // The RDB snapshot and the AOF's RDB preamble: Tally's log and its snapshots are its own (wal.h).
    "dbfilename", "rdbcompression", "rdbchecksum", "rdb-del-sync-files", "rdb-save-incremental-fsync",
    "stop-writes-on-bgsave-error", "aof-use-rdb-preamble", "aof-timestamp-enabled",
    "aof-rewrite-incremental-fsync", "no-appendfsync-on-rewrite",
    // Replication, not implemented.
    "repl-diskless-sync", "repl-diskless-sync-delay", "repl-diskless-sync-max-replicas", "repl-diskless-load",
    "repl-disable-tcp-nodelay", "replica-serve-stale-data", "replica-read-only", "replica-priority",
    "replica-lazy-flush",
    // Types Tally does not have.
    "list-max-listpack-size", "list-compress-depth", "set-max-intset-entries", "stream-node-max-bytes",
    "stream-node-max-entries", "hll-sparse-max-bytes",
    // Behaviour Tally has its own way (big values are always freed off the request path, tables always
    // rehash in the background, hz does not adapt) or not at all (SLOWLOG, LATENCY, process titles).
    "lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush", "activerehashing", "dynamic-hz", "slowlog-log-slower-than", "slowlog-max-len",
    "latency-monitor-threshold", "always-show-logo", "set-proc-title", "proc-title-template", "oom-score-adj",
    "oom-score-adj-values", "disable-thp", "jemalloc-bg-thread", "notify-keyspace-events",
};

// A value of an ignored directive that would need the missing feature: its reason, or "".
std::string ignored_value_refused(std::string_view name, const std::vector<std::string>& args) {
  if (name == "notify-keyspace-events" && !(args.size() == 1 && args[0].empty()))
    return "keyspace notifications are not implemented in Tally";
  return "";
}

}  // namespace

std::string apply_directive(Config* cfg, std::string_view name, const std::vector<std::string>& args) {
  // Directives that are not parameters (no CONFIG GET/SET), kept for acl_startup().
  if (name == "rename-command" && args.size() == 2) {
    cfg->renames.emplace_back(args[0], args[1]);
    return "";
  }
  if (name == "user" && !args.empty()) {
    cfg->users.push_back(args);
    return "";
  }
  const Param* p = find_param(name);
  if (!p && !args.empty() &&
      std::find(std::begin(kIgnoredDirectives), std::end(kIgnoredDirectives), name) != std::end(kIgnoredDirectives)) {
    std::string refused = ignored_value_refused(name, args);
    if (!refused.empty()) return "Invalid argument '" + args[0] + "' for '" + std::string(name) + "': " + refused;
    if (std::find(cfg->ignored_directives.begin(), cfg->ignored_directives.end(), name) == cfg->ignored_directives.end())
      cfg->ignored_directives.emplace_back(name);
    return "";
  }
  if (!p) return "Bad directive or wrong number of arguments: '" + std::string(name) + "'";
  if (args.empty() || (args.size() > 1 && !(p->flags & kMulti)))
    return "Wrong number of arguments for '" + std::string(name) + "'";
  // Several arguments: save's pairs, bind's addresses (net.cpp picks what to listen on) and the
  // output buffer limit groups are joined.
  std::string value = args.front();
  if (p->name == "save" || p->name == "bind" || p->name == "client-output-buffer-limit")
    for (std::size_t i = 1; i < args.size(); ++i) value += " " + args[i];
  std::string why = set_value(cfg, *p, value);
  if (!why.empty()) return "Invalid argument '" + value + "' for '" + std::string(name) + "': " + why;
  return "";
}

std::string parse_args(int argc, char** argv, Config* cfg) {
  ArgsParser parser;
  parser.cfg = cfg;
  int i = 1;
  if (argc > 1 && std::string_view(argv[1]).substr(0, 2) != "--") {
    std::string path = argv[1];
    std::string why = parser.read_file(path);
    if (!why.empty()) return why;
    cfg->config_file = absolute_path(path);
    i = 2;
  }
  while (i < argc) {
    std::string_view opt = argv[i++];
    if (opt.substr(0, 2) != "--" || opt.size() == 2) return "Bad directive or wrong number of arguments: '" + std::string(opt) + "'";
    std::vector<std::string> values;
    while (i < argc && std::string_view(argv[i]).substr(0, 2) != "--") values.emplace_back(argv[i++]);
    std::string why = parser.apply(opt.substr(2), values);
    if (!why.empty()) return why;
  }
  return "";
}

void config_get(const Config& cfg, std::string_view pattern, std::vector<std::pair<std::string, std::string>>* out) {
  if (!has_glob(pattern)) {
    // An exact name (or alias) is reported as it was asked for, as Redis does.
    if (const Param* p = find_param(pattern)) out->emplace_back(std::string(pattern), get_value(cfg, *p));
    return;
  }
  for (const Param& p : params()) {
    if (glob_match(pattern, p.name, true)) out->emplace_back(std::string(p.name), get_value(cfg, p));
    if (!p.alias.empty() && glob_match(pattern, p.alias, true)) out->emplace_back(std::string(p.alias), get_value(cfg, p));
  }
}

std::string config_set(Config* cfg, std::string_view name, std::string_view value) {
  const Param* p = find_param(name);
  if (!p) return err::config_set_unknown(name);
  std::string prefix = err::config_set_failed(name);
  if (p->flags & kProtected) return prefix + "can't set protected config";
  if (!(p->flags & kMutable)) return prefix + "can't set immutable config";
  std::string why = set_value(cfg, *p, value);
  return why.empty() ? why : prefix + why;
}

}  // namespace tally
