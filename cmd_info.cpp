// INFO [section ...]: Redis 7.0's sections, field names and field order (see COMPAT.md section 5).
//
// Sections come out in Redis's fixed order whatever order they were asked in; an unknown section
// adds nothing (INFO foo is an empty bulk). Tools parse this text by first match (redis-cli --stat
// looks for "used_memory" and "loading"), so within a section the order of the fields matters:
// used_memory before used_memory_*, loading before async_loading. Counters are summed over the
// workers' WorkerStats and over the keyspace's shards at the time of the call.
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "alloc_stats.h"
#include "commands.h"
#include "state.h"

namespace tally {
namespace {

constexpr std::string_view kRedisVersion = "7.0.15";
constexpr std::string_view kTallyVersion = "0.1.0";

// Builds the text: "# Section\r\n" + "key:value\r\n" lines, sections separated by an empty line.
class InfoText {
 public:
  void section(std::string_view name) {
    if (!text_.empty()) text_ += "\r\n";
    text_ += "# ";
    text_ += name;
    text_ += "\r\n";
  }
  void field(std::string_view key, std::string_view value) {
    text_ += key;
    text_ += ':';
    text_ += value;
    text_ += "\r\n";
  }
  void field(std::string_view key, int64_t value) { field(key, std::to_string(value)); }
  void field(std::string_view key, uint64_t value) { field(key, std::to_string(value)); }
  void field(std::string_view key, int value) { field(key, static_cast<int64_t>(value)); }
  void field(std::string_view key, const char* value) { field(key, std::string_view(value)); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Redis's bytesToHuman.
std::string human(uint64_t n) {
  double d = static_cast<double>(n);
  if (n < 1024) return std::to_string(n) + "B";
  if (n < (1ULL << 20)) return fmt("%.2fK", d / 1024);
  if (n < (1ULL << 30)) return fmt("%.2fM", d / (1 << 20));
  if (n < (1ULL << 40)) return fmt("%.2fG", d / (1ULL << 30));
  if (n < (1ULL << 50)) return fmt("%.2fT", d / (1ULL << 40));
  return fmt("%.2fP", d / (1ULL << 50));
}

struct Totals {
  uint64_t commands = 0, net_in = 0, net_out = 0, errors = 0;
};

Totals sum_workers(const ServerState& s) {
  Totals t;
  for (const auto& w : s.workers) {
    t.commands += w->commands_processed.load(std::memory_order_relaxed);
    t.net_in += w->net_input_bytes.load(std::memory_order_relaxed);
    t.net_out += w->net_output_bytes.load(std::memory_order_relaxed);
    t.errors += w->error_replies.load(std::memory_order_relaxed);
  }
  return t;
}

uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Bytes allocated by the process, counted as they are allocated (alloc_stats.h): the figure maxmemory
// is compared with, and cheap to read (mallinfo2 would walk every free chunk under the arena locks).
uint64_t used_memory() { return alloc_stats::used_bytes(); }

std::string maxmemory_policy(const Config& cfg) {
  std::vector<std::pair<std::string, std::string>> kv;
  config_get(cfg, "maxmemory-policy", &kv);
  return kv.empty() ? "noeviction" : kv.front().second;
}

// The highest used_memory any INFO call has seen (Redis samples it in its cron).
uint64_t peak_memory(uint64_t now) {
  static std::atomic<uint64_t> peak{0};
  uint64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
  return std::max(seen, now);
}

// Commands per second between this call and the previous one at least 100 ms earlier.
int64_t ops_per_sec(uint64_t commands, int64_t now) {
  static std::mutex mu;
  static int64_t last_ms = 0;
  static uint64_t last_commands = 0;
  static int64_t rate = 0;
  std::lock_guard lock(mu);
  if (last_ms != 0 && now - last_ms >= 100 && commands >= last_commands)
    rate = static_cast<int64_t>((commands - last_commands) * 1000 / static_cast<uint64_t>(now - last_ms));
  if (last_ms == 0 || now - last_ms >= 100) {
    last_ms = now;
    last_commands = commands;
  }
  return rate;
}

std::string rusage_time(const timeval& tv) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%ld.%06ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
  return buf;
}

void server_section(InfoText& t, const ServerState& s) {
  utsname u{};
  uname(&u);
  int64_t now = now_ms();
  int64_t uptime = (now - s.start_ms) / 1000;
  t.section("Server");
  t.field("redis_version", kRedisVersion);
  t.field("redis_git_sha1", "00000000");
  t.field("redis_git_dirty", 0);
  t.field("redis_build_id", "0");
  t.field("redis_mode", "standalone");
  t.field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  t.field("arch_bits", static_cast<int>(sizeof(void*) * 8));
  t.field("monotonic_clock", "POSIX clock_gettime");
  t.field("multiplexing_api", "epoll");
  t.field("atomicvar_api", "c11-builtin");
  t.field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
  t.field("process_id", static_cast<int64_t>(getpid()));
  t.field("process_supervised", "no");
  t.field("run_id", s.run_id);
  t.field("tcp_port", s.tcp_port);
  timeval tv;
  gettimeofday(&tv, nullptr);
  t.field("server_time_usec", static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec);
  t.field("uptime_in_seconds", uptime);
  t.field("uptime_in_days", uptime / 86400);
  t.field("hz", s.config.hz.load());
  t.field("configured_hz", s.config.hz.load());
  t.field("lru_clock", static_cast<int64_t>(lru_clock()));
  t.field("executable", s.executable);
  t.field("config_file", s.config.config_file);
  t.field("io_threads_active", 0);
  t.field("tally_version", kTallyVersion);
}

void clients_section(InfoText& t, const ServerState& s) {
  uint64_t max_in = 0, max_out = 0;
  int64_t blocked = 0, in_timeout_table = 0;
  for (const auto& w : s.workers) {
    blocked += w->blocked_clients.load(std::memory_order_relaxed);
    in_timeout_table += w->blocked_with_timeout.load(std::memory_order_relaxed);
  }
  s.clients.for_each([&](Client& c) {
    max_in = std::max(max_in, c.qbuf_bytes.load(std::memory_order_relaxed));
    max_out = std::max(max_out, limited_output(c.obuf_bytes.load(std::memory_order_relaxed)));
  });
  t.section("Clients");
  t.field("connected_clients", static_cast<uint64_t>(s.clients.count()));
  t.field("cluster_connections", 0);
  t.field("maxclients", s.config.maxclients.load());
  t.field("client_recent_max_input_buffer", max_in);
  t.field("client_recent_max_output_buffer", max_out);
  t.field("blocked_clients", blocked);
  t.field("tracking_clients", 0);
  t.field("clients_in_timeout_table", in_timeout_table);
}

void memory_section(InfoText& t, const ServerState& s) {
  uint64_t used = used_memory();
  uint64_t rss = rss_bytes();
  uint64_t peak = peak_memory(used);
  uint64_t total = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  int64_t maxmemory = s.config.maxmemory.load();
  t.section("Memory");
  t.field("used_memory", used);
  t.field("used_memory_human", human(used));
  t.field("used_memory_rss", rss);
  t.field("used_memory_rss_human", human(rss));
  t.field("used_memory_peak", peak);
  t.field("used_memory_peak_human", human(peak));
  t.field("used_memory_peak_perc", fmt("%.2f%%", peak ? 100.0 * static_cast<double>(used) / static_cast<double>(peak) : 0));
  t.field("total_system_memory", total);
  t.field("total_system_memory_human", human(total));
  t.field("maxmemory", maxmemory);
  t.field("maxmemory_human", human(static_cast<uint64_t>(maxmemory)));
  t.field("maxmemory_policy", maxmemory_policy(s.config));
  t.field("mem_fragmentation_ratio", fmt("%.2f", used ? static_cast<double>(rss) / static_cast<double>(used) : 0));
  t.field("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  t.field("mem_not_counted_for_evict", alloc_stats::lazyfree_pending_bytes());  // values queued for freeing
  t.field("mem_allocator", "libc");
  t.field("lazyfree_pending_objects", alloc_stats::lazyfree_pending_objects());
  t.field("lazyfreed_objects", alloc_stats::lazyfreed_objects());
}

// The loading fields Redis adds while a dataset loads.
void loading_fields(InfoText& t, const LoadProgress& p) {
  int64_t start = p.start_ms.load();
  uint64_t total = p.total_bytes.load(), done = p.loaded_bytes.load();
  double elapsed = static_cast<double>(now_ms() - start) / 1000.0;
  double perc = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
  int64_t eta = done && total > done ? static_cast<int64_t>(elapsed * static_cast<double>(total - done) / static_cast<double>(done)) : 1;
  t.field("loading_start_time", start / 1000);
  t.field("loading_total_bytes", total);
  t.field("loading_rdb_used_mem", 0);
  t.field("loading_loaded_bytes", done);
  t.field("loading_loaded_perc", fmt("%.2f", perc));
  t.field("loading_eta_seconds", eta);
}

// Redis's field set, filled from the write-ahead log: its snapshots play the part of RDB saves,
// its compactions that of AOF rewrites.
void persistence_section(InfoText& t, const ServerState& s) {
  WalStatus w = s.wal ? s.wal->status() : WalStatus{};
  bool loading = s.loading.loading.load();
  int64_t rewrite_now = w.rewrite_in_progress ? (now_ms() - w.rewrite_started_ms) / 1000 : -1;
  const char* rewrite_status = w.last_rewrite_ok ? "ok" : "err";
  t.section("Persistence");
  t.field("loading", loading ? 1 : 0);
  t.field("async_loading", 0);
  if (loading) loading_fields(t, s.loading);
  for (const char* zero : {"current_cow_peak", "current_cow_size", "current_cow_size_age"}) t.field(zero, 0);
  t.field("current_fork_perc", "0.00");
  t.field("current_save_keys_processed", 0);
  t.field("current_save_keys_total", 0);
  t.field("rdb_changes_since_last_save", w.changes_since_save);
  t.field("rdb_bgsave_in_progress", w.rewrite_in_progress ? 1 : 0);
  t.field("rdb_last_save_time", w.last_save_s ? w.last_save_s : s.start_ms / 1000);
  t.field("rdb_last_bgsave_status", rewrite_status);
  t.field("rdb_last_bgsave_time_sec", w.last_rewrite_sec);
  t.field("rdb_current_bgsave_time_sec", rewrite_now);
  t.field("rdb_saves", w.rewrites);
  for (const char* zero : {"rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded"}) t.field(zero, 0);
  t.field("aof_enabled", w.enabled ? 1 : 0);
  t.field("aof_rewrite_in_progress", w.rewrite_in_progress ? 1 : 0);
  t.field("aof_rewrite_scheduled", 0);
  t.field("aof_last_rewrite_time_sec", w.last_rewrite_sec);
  t.field("aof_current_rewrite_time_sec", rewrite_now);
  t.field("aof_last_bgrewrite_status", rewrite_status);
  t.field("aof_rewrites", w.rewrites);
  t.field("aof_rewrites_consecutive_failures", w.rewrite_failures);
  t.field("aof_last_write_status", w.write_error.empty() ? "ok" : "err");
  if (!w.write_error.empty()) t.field("aof_last_write_error", w.write_error);  // Tally: why writes are refused
  for (const char* zero : {"aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size"}) t.field(zero, 0);
  if (!w.enabled) return;
  t.field("aof_current_size", w.log_size + w.snapshot_size);
  t.field("aof_base_size", w.snapshot_size);
  t.field("aof_pending_rewrite", 0);
  t.field("aof_buffer_length", 0);
  t.field("aof_pending_bio_fsync", 0);
  t.field("aof_delayed_fsync", 0);
  t.field("wal_fsyncs", w.fsyncs);    // Tally: group commits under always, one per second under everysec
  t.field("wal_batches", w.batches);  // Tally: batches written
}

// Redis's total_eviction_exceeded_time includes the current stretch over maxmemory.
void eviction_time_fields(InfoText& t, const Keyspace* ks) {
  int64_t since = ks ? ks->over_limit_since_ms.load() : 0;
  int64_t current = since ? std::max<int64_t>(0, now_ms() - since) : 0;
  t.field("total_eviction_exceeded_time", (ks ? ks->over_limit_total_ms.load() : 0) + current);
  t.field("current_eviction_exceeded_time", current);
}

void stats_section(InfoText& t, const ServerState& s, const KeyspaceCounters& ks) {
  Totals w = sum_workers(s);
  t.section("Stats");
  t.field("total_connections_received", s.total_connections.load());
  t.field("total_commands_processed", w.commands);
  t.field("instantaneous_ops_per_sec", ops_per_sec(w.commands, now_ms()));
  t.field("total_net_input_bytes", w.net_in);
  t.field("total_net_output_bytes", w.net_out);
  t.field("rejected_connections", s.rejected_connections.load());
  t.field("expired_keys", ks.expired);
  t.field("evicted_keys", ks.evicted);
  t.field("evicted_clients", 0);
  eviction_time_fields(t, s.keyspace.get());
  t.field("keyspace_hits", ks.hits);
  t.field("keyspace_misses", ks.misses);
  t.field("pubsub_channels", 0);
  t.field("pubsub_patterns", 0);
  t.field("latest_fork_usec", 0);
  t.field("total_forks", 0);
  t.field("unexpected_error_replies", 0);
  t.field("total_error_replies", w.errors);
}

void replication_section(InfoText& t, const ServerState& s) {
  // A stable replication id distinct from run_id, as in Redis (there is no replication yet).
  std::string replid(s.run_id.rbegin(), s.run_id.rend());
  t.section("Replication");
  t.field("role", "master");
  t.field("connected_slaves", 0);
  t.field("master_failover_state", "no-failover");
  t.field("master_replid", replid);
  t.field("master_replid2", std::string(40, '0'));
  t.field("master_repl_offset", 0);
  t.field("second_repl_offset", -1);
  t.field("repl_backlog_active", 0);
  t.field("repl_backlog_size", 1048576);
  t.field("repl_backlog_first_byte_offset", 0);
  t.field("repl_backlog_histlen", 0);
}

void cpu_section(InfoText& t) {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  t.section("CPU");
  t.field("used_cpu_sys", rusage_time(self.ru_stime));
  t.field("used_cpu_user", rusage_time(self.ru_utime));
  t.field("used_cpu_sys_children", rusage_time(children.ru_stime));
  t.field("used_cpu_user_children", rusage_time(children.ru_utime));
}

void commandstats_line(InfoText& t, const ServerState& s, const Command& cmd) {
  uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
  for (const auto& w : s.workers) {
    if (static_cast<std::size_t>(cmd.id) >= w->cmd.size()) continue;
    const CmdStats& cs = w->cmd[cmd.id];
    calls += cs.calls.load(std::memory_order_relaxed);
    usec += cs.usec.load(std::memory_order_relaxed);
    rejected += cs.rejected.load(std::memory_order_relaxed);
    failed += cs.failed.load(std::memory_order_relaxed);
  }
  if (calls == 0 && rejected == 0 && failed == 0) return;
  double per_call = calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0;
  t.field("cmdstat_" + cmd.full_name, "calls=" + std::to_string(calls) + ",usec=" + std::to_string(usec) +
                                          ",usec_per_call=" + fmt("%.2f", per_call) +
                                          ",rejected_calls=" + std::to_string(rejected) +
                                          ",failed_calls=" + std::to_string(failed));
}

void commandstats_section(InfoText& t, const ServerState& s) {
  t.section("Commandstats");
  for (const Command& cmd : s.commands.all()) {
    commandstats_line(t, s, cmd);
    for (const Command& sub : cmd.subs) commandstats_line(t, s, sub);
  }
}

void errorstats_section(InfoText& t, ServerState& s) {
  t.section("Errorstats");
  std::lock_guard lock(s.errorstats_mu);
  for (const auto& [prefix, count] : s.errorstats) t.field("errorstat_" + prefix, "count=" + std::to_string(count));
}

void keyspace_section(InfoText& t, ServerState& s) {
  t.section("Keyspace");
  if (!s.keyspace) return;
  int64_t now = now_ms();
  for (int db = 0; db < s.keyspace->databases(); ++db) {
    KeyspaceCounters k = s.keyspace->counters(db);
    if (k.keys == 0) continue;
    int64_t avg_ttl = 0;
    if (k.expires > 0) avg_ttl = std::max<int64_t>(0, static_cast<int64_t>(k.ttl_sum_ms / k.expires) - now);
    t.field("db" + std::to_string(db), "keys=" + std::to_string(k.keys) + ",expires=" + std::to_string(k.expires) +
                                           ",avg_ttl=" + std::to_string(avg_ttl));
  }
}

// Which sections a request names, in Redis's output order.
enum Section : uint32_t {
  kServer = 1, kClients = 2, kMemory = 4, kPersistence = 8, kStats = 16, kReplication = 32, kCpu = 64,
  kModules = 128, kCommandstats = 256, kErrorstats = 512, kLatencystats = 1024, kCluster = 2048, kKeyspace = 4096,
};
constexpr uint32_t kDefault = kServer | kClients | kMemory | kPersistence | kStats | kReplication | kCpu | kModules |
                              kErrorstats | kCluster | kKeyspace;
constexpr uint32_t kAll = kDefault | kCommandstats | kLatencystats;

uint32_t section_bits(std::string_view name) {
  constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"server", kServer},         {"clients", kClients},       {"memory", kMemory},
      {"persistence", kPersistence}, {"stats", kStats},         {"replication", kReplication},
      {"cpu", kCpu},               {"modules", kModules},       {"commandstats", kCommandstats},
      {"errorstats", kErrorstats}, {"latencystats", kLatencystats}, {"cluster", kCluster},
      {"keyspace", kKeyspace},     {"default", kDefault},       {"all", kAll},
      {"everything", kAll}};
  for (const auto& [n, bits] : kNames)
    if (iequals(name, n)) return bits;
  return 0;
}

std::string build_info(ServerState& s, uint32_t want) {
  InfoText t;
  if (want & kServer) server_section(t, s);
  if (want & kClients) clients_section(t, s);
  if (want & kMemory) memory_section(t, s);
  if (want & kPersistence) persistence_section(t, s);
  if (want & kStats) {
    KeyspaceCounters ks = s.keyspace ? s.keyspace->counters(0) : KeyspaceCounters{};
    stats_section(t, s, ks);
  }
  if (want & kReplication) replication_section(t, s);
  if (want & kCpu) cpu_section(t);
  if (want & kModules) t.section("Modules");
  if (want & kCommandstats) commandstats_section(t, s);
  if (want & kErrorstats) errorstats_section(t, s);
  if (want & kLatencystats) t.section("Latencystats");  // as Redis with latency-tracking off
  if (want & kCluster) {
    t.section("Cluster");
    t.field("cluster_enabled", 0);
  }
  if (want & kKeyspace) keyspace_section(t, s);
  return t.text();
}

}  // namespace

void info_command(Ctx& c) {
  uint32_t want = c.argc() == 1 ? kDefault : 0;
  for (std::size_t i = 1; i < c.argc(); ++i) want |= section_bits(c.arg(i));
  c.out.verbatim(build_info(c.server, want), "txt");
}

}  // namespace tally
