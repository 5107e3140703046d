// Server configuration: command-line flags and redis.conf-style files, and CONFIG GET/SET.
//
// Every parameter is described once in config.cpp's table (name, kind, default, mutable at runtime,
// bounds). Values that request-handling threads read while CONFIG SET may change them are atomics;
// string values are guarded by `mu`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally {

enum class FsyncPolicy { kAlways, kEverysec, kNo };
// Redis's maxmemory-policy values (evict.h says what each does).
enum class MaxmemoryPolicy {
  kVolatileLru, kVolatileLfu, kVolatileRandom, kVolatileTtl, kAllkeysLru, kAllkeysLfu, kAllkeysRandom, kNoEviction
};

// client-output-buffer-limit, per client class, as Redis keeps it: bytes (0 = no limit) and seconds.
// Tally serves only normal clients; the replica and pubsub classes are parsed and reported for
// compatibility. What the normal limits do is server.cpp's (docs/limits.md).
enum class ClientClass { kNormal, kReplica, kPubsub };
inline constexpr int kClientClasses = 3;
struct OutputBufferLimit {
  OutputBufferLimit(int64_t h, int64_t s, int64_t secs) : hard(h), soft(s), soft_seconds(secs) {}
  std::atomic<int64_t> hard, soft, soft_seconds;
};

struct Config {
  // Fixed at start.
  int port = 6379;
  std::string bind = "* -::*";  // Redis 7.0's default; protected mode guards it (docs/security.md)
  int workers = 0;  // 0: one per core
  int shards = 1024;  // many shards keep multi-key commands (MSET) from colliding across workers
  int databases = 16;
  std::string config_file;  // absolute path, "" if none
  bool daemonize = false;
  // TLS (tls.h): a second listener on tls_port when it is not 0; the files are read once at start.
  int tls_port = 0;
  // A Unix-domain listener at this path when it is not "" (relative to `dir`, as Redis's chdir makes
  // it), its mode set to unixsocketperm when that is not 0 (net.h open_unix_listener).
  std::string unixsocket;
  int unixsocketperm = 0;
  int tcp_backlog = 511;  // listen(2)'s backlog for every listener
  std::string pidfile;    // "" = none; written at start, removed at shutdown
  bool tls_prefer_server_ciphers = false;
  bool tls_session_caching = true;
  int64_t tls_session_cache_size = 20480;
  int64_t tls_session_cache_timeout = 300;  // seconds

  // Changeable at runtime (CONFIG SET).
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> timeout{0};  // seconds; 0 = never close idle clients
  std::atomic<int64_t> tcp_keepalive{300};
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1LL << 30};
  // [ClientClass]. Redis's normal default is 0 0 0 (unbounded); Tally pauses a normal client's input
  // past 64mb of pending output and drops it at 1gb (above proto-max-bulk-len, so any one value can
  // still be read back).
  OutputBufferLimit obuf_limits[kClientClasses]{{1LL << 30, 64LL << 20, 0}, {256LL << 20, 64LL << 20, 60},
                                                {32LL << 20, 8LL << 20, 60}};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> maxmemory{0};
  std::atomic<MaxmemoryPolicy> maxmemory_policy{MaxmemoryPolicy::kNoEviction};
  std::atomic<int64_t> maxmemory_samples{5};            // keys sampled per eviction round
  std::atomic<int64_t> maxmemory_eviction_tenacity{10};  // 0..100: how long one command may evict
  std::atomic<int64_t> lfu_log_factor{10};               // LFU counter growth (higher: slower)
  std::atomic<int64_t> lfu_decay_time{1};                // minutes per LFU counter decrement; 0: never
  std::atomic<bool> appendonly{true};
  // Changes of appendonly so far (set_appendonly): the log writer applies the setting on its next pass,
  // and a switch off and back on between two passes must still end the old log and start a snapshot.
  std::atomic<uint64_t> appendonly_switches{0};
  std::atomic<FsyncPolicy> appendfsync{FsyncPolicy::kEverysec};
  std::atomic<int64_t> auto_aof_rewrite_percentage{100};  // log growth over the snapshot that triggers compaction
  std::atomic<int64_t> auto_aof_rewrite_min_size{64LL << 20};
  std::atomic<int64_t> wal_write_interval_ms{1};  // everysec/no: at most one log write() per interval
  std::atomic<int64_t> wal_group_commit_us{1000};  // always: longest wait after an fsync for more writes
  std::atomic<bool> wal_leader_sync{true};  // always: the waiting workers fsync themselves (wal.h)
  std::atomic<int64_t> wal_preallocate{1 << 20};  // zeros kept ahead of the log's end (0: plain appends)
  std::atomic<bool> aof_load_truncated{true};   // a torn last batch is cut off (else the start stops)
  std::atomic<bool> wal_load_corrupt{false};    // load up to damage in the middle of a log (else stop)
  std::atomic<bool> protected_mode{true};  // refuse non-loopback clients while "default" has no password
  std::atomic<int64_t> acllog_max_len{128};
  std::atomic<int> loglevel{2};  // 0 debug, 1 verbose, 2 notice (default), 3 warning (Redis order)
  std::atomic<int> tls_auth_clients{1};  // TlsAuthClients (tls.h): read at each TLS accept
  // Small hashes stay compact ("listpack", hash.h) up to these; published to hash.cpp on every change.
  std::atomic<int64_t> hash_max_listpack_entries{512};
  std::atomic<int64_t> hash_max_listpack_value{64};
  // Small sorted sets stay compact ("listpack", zset.h) up to these; published to zset.cpp likewise.
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};

  mutable std::mutex mu;  // guards the strings below
  std::string dir = "./data";
  std::string logfile;  // "" = stdout
  std::string requirepass;
  std::string appendfilename = "appendonly.aof";
  std::string appenddirname = "appendonlydir";
  std::string save;  // Redis's snapshot schedule: accepted, reported, and "" by default
  std::string aclfile;  // "" = none; fixed at start

  // Start-up only, read once before serving: "rename-command NAME NEWNAME" pairs and "user NAME
  // rules..." lines, in the order given (applied by acl_startup, acl.h).
  std::vector<std::pair<std::string, std::string>> renames;
  std::vector<std::vector<std::string>> users;
  // Redis directives Tally accepts in a config file or flag but does not implement (RDB, replication,
  // the types it lacks, ...), by name, once each, for the start-up log (config.cpp kIgnoredDirectives).
  std::vector<std::string> ignored_directives;
  // Called after CONFIG SET requirepass (not during parsing): the default user's password follows it.
  std::function<void(const std::string&)> on_requirepass;
  std::string tls_cert_file, tls_key_file, tls_key_file_pass, tls_ca_cert_file, tls_ca_cert_dir;
  std::string tls_protocols, tls_ciphers, tls_ciphersuites;  // "": OpenSSL's defaults (TLSv1.2 and 1.3)

  std::string get_requirepass() const {
    std::lock_guard lock(mu);
    return requirepass;
  }
};

// Parses argv (redis-server style: optional config file first, then `--name value...` pairs) into
// `cfg`. Returns "" on success, else the message to print before exiting (naming the bad flag/value).
std::string parse_args(int argc, char** argv, Config* cfg);
// Applies one directive from a config file or flag: name (lowercase) and its arguments.
std::string apply_directive(Config* cfg, std::string_view name, const std::vector<std::string>& args);

// CONFIG GET: appends (name, value) pairs of parameters matching the glob `pattern` (case-insensitive).
void config_get(const Config& cfg, std::string_view pattern, std::vector<std::pair<std::string, std::string>>* out);
// CONFIG SET of one parameter. Returns "" or the error reply text (e.g. "ERR Unknown option or number of
// arguments for CONFIG SET - 'foo'").
std::string config_set(Config* cfg, std::string_view name, std::string_view value);

}  // namespace tally
