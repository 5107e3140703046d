// tally-server: main, the listeners, and starting and stopping the workers.
//
// Threads: `workers` threads (thread_pool.h), each owning an epoll instance, the connections it
// accepted, and an eventfd other threads write to wake it (CLIENT KILL, shutdown). The one listening
// socket sits in every worker's epoll with EPOLLEXCLUSIVE, so the kernel hands each new connection
// to one idle worker. A worker reads a connection, runs every complete command in the bytes it read,
// in order, inline under shard locks (db.h), and writes all the replies with one write(). EPOLLOUT is
// armed only while a socket's send buffer is full. The main thread waits for SIGINT/SIGTERM (SHUTDOWN
// raises SIGTERM), then stops and joins the workers.
//
// The event loop itself (input path, TLS, output back-pressure) is worker.{h,cpp}.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>
#include <algorithm>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "state.h"
#include "net.h"
#include "output_limit.h"
#include "thread_pool.h"
#include "tls.h"
#include "worker.h"

namespace tally {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string errno_text() { return std::strerror(errno); }

// One worker per core but one, and at least one: the clients, the kernel's network work and the log
// writer need a core too. On a 2-core machine that runs its own clients (redis-benchmark beside the
// server), two workers took CPU from the client and from each other: more context switches and
// more CPU per request than one (docs/performance.md).
int default_workers() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 1 ? static_cast<int>(n - 1) : 1;
}

std::string executable_path() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// As Redis's adjustOpenFilesLimit: maxclients connections need maxclients + 32 descriptors (the
// listener, the log, the workers' epoll and eventfds). Raises the soft and hard limit to that, or
// to the highest value the OS allows, and lowers maxclients to fit when it must. False: too few
// descriptors to start at all.
constexpr rlim_t kReservedFds = 32;  // CONFIG_MIN_RESERVED_FDS

bool adjust_open_files_limit(Config& cfg) {
  const rlim_t want = static_cast<rlim_t>(cfg.maxclients.load()) + kReservedFds;
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
    log_line(LogLevel::kWarning, "Unable to obtain the current NOFILE limit (" + errno_text() +
                                     "), assuming 1024 and setting the max clients configuration accordingly.");
    cfg.maxclients = 1024 - static_cast<int64_t>(kReservedFds);
    return true;
  }
  const rlim_t old = limit.rlim_cur;
  if (old >= want) return true;
  // Up to the hard limit needs no privilege; past it (CAP_SYS_RESOURCE) the kernel caps it at
  // fs.nr_open, so find the highest value it accepts by bisection (Redis steps down by 16 from
  // `want`, millions of calls when maxclients is huge). `best` is always settable.
  const rlim_t hard = limit.rlim_max;
  rlim_t best = std::min(want, std::max(old, hard)), hi = want;
  int error = EPERM;
  while (best < hi) {
    rlim_t mid = best + (hi - best + 1) / 2;
    limit.rlim_cur = limit.rlim_max = mid;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      best = mid;
    } else {
      error = errno;
      hi = mid - 1;
    }
  }
  limit.rlim_cur = best;
  limit.rlim_max = std::max(best, hard);
  if (setrlimit(RLIMIT_NOFILE, &limit) == -1) {  // the last try may have been a failed higher one
    error = errno;
    best = old;
  }
  if (best == want) {
    log_line(LogLevel::kNotice, "Increased maximum number of open files to " + std::to_string(want) +
                                    " (it was originally set to " + std::to_string(old) + ").");
    return true;
  }
  if (best <= kReservedFds) {
    log_line(LogLevel::kWarning, "Your current 'ulimit -n' of " + std::to_string(old) +
                                     " is not enough for the server to start. Please increase your open file "
                                     "limit to at least " + std::to_string(want) + ". Exiting.");
    return false;
  }
  log_line(LogLevel::kWarning, "You requested maxclients of " + std::to_string(cfg.maxclients.load()) +
                                   " requiring at least " + std::to_string(want) + " max file descriptors.");
  log_line(LogLevel::kWarning, "Server can't set maximum open files to " + std::to_string(want) +
                                   " because of OS error: " + std::strerror(error) + ".");
  cfg.maxclients = static_cast<int64_t>(best - kReservedFds);
  log_line(LogLevel::kWarning, "Current maximum open files is " + std::to_string(best) +
                                   ". maxclients has been reduced to " + std::to_string(cfg.maxclients.load()) +
                                   " to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
  return true;
}

// Where the Unix socket goes ("" for none): unixsocket, relative to dir as Redis's chdir to dir makes
// it. CLIENT LIST shows unixsocket as it was given, as Redis does.
std::string unix_socket_path(Config& cfg) {
  std::lock_guard lock(cfg.mu);
  if (cfg.unixsocket.empty() || cfg.unixsocket.front() == '/' || cfg.dir.empty()) return cfg.unixsocket;
  return cfg.dir + "/" + cfg.unixsocket;
}

// What Redis says at start about settings it cannot honour as given, and what Tally accepts without
// implementing (config.cpp kIgnoredDirectives).
void warn_about_start_settings(const Config& cfg) {
  if (std::FILE* f = std::fopen("/proc/sys/net/core/somaxconn", "r")) {
    int somaxconn = 0;
    if (std::fscanf(f, "%d", &somaxconn) == 1 && somaxconn < cfg.tcp_backlog)
      log_line(LogLevel::kWarning, "WARNING: The TCP backlog setting of " + std::to_string(cfg.tcp_backlog) +
                                       " cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of " +
                                       std::to_string(somaxconn) + ".");
    std::fclose(f);
  }
  std::string names;
  for (const std::string& d : cfg.ignored_directives) names += (names.empty() ? "" : ", ") + d;
  if (cfg.daemonize) names += std::string(names.empty() ? "" : ", ") + "daemonize (Tally stays in the foreground)";
  if (names.empty()) return;
  log_line(LogLevel::kWarning, "Accepted but not implemented in Tally, so without effect: " + names);
}

// pidfile: "<pid>\n", written once at start, best effort as in Redis.
void write_pid_file(const std::string& path) {
  if (path.empty()) return;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    log_line(LogLevel::kWarning, "Failed to write PID file: " + errno_text());
    return;
  }
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  std::fclose(f);
}

int run_server(ServerState& state) {
  Config& cfg = state.config;
  if (cfg.workers <= 0) cfg.workers = default_workers();
  {
    std::lock_guard lock(cfg.mu);
    if (!cfg.dir.empty() && mkdir(cfg.dir.c_str(), 0755) < 0 && errno != EEXIST) {
      log_line(LogLevel::kWarning, "Can't create directory '" + cfg.dir + "': " + errno_text());
      return 1;
    }
  }
  std::string unix_path = unix_socket_path(cfg);
  if (cfg.port == 0 && cfg.tls_port == 0 && unix_path.empty()) {
    log_line(LogLevel::kWarning, "Configured to not listen anywhere, exiting.");
    return 1;
  }
  if (cfg.tls_port != 0 && !tls_configure(cfg)) {
    log_line(LogLevel::kWarning, "Failed to configure TLS. Check logs for more info.");
    return 1;
  }
  auto listen_on = [&cfg](int port) {
    int fd = open_listener(cfg, port);
    if (fd < 0)
      log_line(LogLevel::kWarning, "Failed listening on " + cfg.bind + ":" + std::to_string(port) + ": " +
                                       (fd == -2 ? std::string("bad bind address") : errno_text()));
    return fd;
  };
  int listen_fd = cfg.port != 0 ? listen_on(cfg.port) : -1;
  if (cfg.port != 0 && listen_fd < 0) return 1;
  int tls_listen_fd = cfg.tls_port != 0 ? listen_on(cfg.tls_port) : -1;
  if (cfg.tls_port != 0 && tls_listen_fd < 0) return 1;
  int unix_listen_fd = -1;
  if (!unix_path.empty()) {
    std::string why;
    unix_listen_fd = open_unix_listener(unix_path, cfg.unixsocketperm, cfg.tcp_backlog, &why);
    if (unix_listen_fd < 0) {
      log_line(LogLevel::kWarning, "Failed opening Unix socket: " + why);
      return 1;
    }
  }
  warn_about_start_settings(cfg);
  std::string pidfile;
  {
    std::lock_guard lock(cfg.mu);
    pidfile = cfg.pidfile;
  }
  write_pid_file(pidfile);
  state.tcp_port = cfg.port;
  state.executable = executable_path();
  std::string wal_dir;
  {
    std::lock_guard lock(cfg.mu);
    wal_dir = cfg.dir + "/" + cfg.appenddirname;
  }
  if (FileHeader layout; Wal::probe_layout(wal_dir, &layout)) {  // the data decides the layout
    if (static_cast<uint32_t>(cfg.shards) != layout.shard_count)
      log_line(LogLevel::kNotice, "Using " + std::to_string(layout.shard_count) + " shards, as the data in " +
                                      wal_dir + " was written with (--shards applies to an empty directory)");
    cfg.shards = static_cast<int>(layout.shard_count);
    set_hash_seed(layout.hash_seed);
  }
  state.init_keyspace();
  TaskQueue background;  // declared before the workers: outlives every use of it
  state.keyspace->set_background(&background);
  Wal wal(*state.keyspace, cfg, wal_dir);
  state.wal = &wal;
  state.loading.start_ms.store(now_ms());
  state.loading.loading.store(true);
  for (int i = 0; i < cfg.workers; ++i)
    state.workers.push_back(std::make_unique<WorkerStats>(state.commands.count_ids()));

  // Signals: the main thread waits for them; workers never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);  // a file size limit makes the log's write fail (and say so) instead

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < cfg.workers; ++i) workers.push_back(std::make_unique<Worker>(state, i, Listeners{listen_fd, tls_listen_fd, unix_listen_fd}));
  state.clients.wake_worker = [&workers](int w) {  // CLIENT KILL
    if (w >= 0 && static_cast<std::size_t>(w) < workers.size()) workers[static_cast<std::size_t>(w)]->wake_for_kill();
  };
  state.request_shutdown = [] { kill(getpid(), SIGTERM); };
  state.blocking.notify = [&workers](int w, Client* c, uint64_t id) {
    workers[static_cast<std::size_t>(w)]->enqueue_ready(c, id);
  };
  wal.set_on_durable([&workers] {
    for (auto& w : workers)
      if (w->awaits_durability()) w->wake();
  });

  log_line(LogLevel::kNotice, std::string("Tally ") + kVersion + " (Redis 7.0.15 compatible) pid=" +
                                  std::to_string(getpid()) + " port=" + std::to_string(cfg.port) +
                                  (cfg.tls_port ? " tls-port=" + std::to_string(cfg.tls_port) : std::string()) +
                                  " workers=" + std::to_string(cfg.workers) + " shards=" + std::to_string(cfg.shards) +
                                  " databases=" + std::to_string(cfg.databases));
  {
    ThreadPool pool(cfg.workers, [&workers](std::stop_token st, int i) { workers[static_cast<std::size_t>(i)]->run(st); });
    // Clients connect while the data loads and get -LOADING until it is in.
    std::jthread loader([&state, &wal, unix_listen_fd] {
      int64_t started = now_ms();
      std::string error = wal.recover(&state.loading);
      if (!error.empty()) {
        log_line(LogLevel::kWarning, error);
        std::_Exit(1);
      }
      if (!wal.start()) std::_Exit(1);  // as Redis: no start without the log it was asked to keep
      state.loading.loading.store(false);
      log_line(LogLevel::kNotice, "DB loaded from disk: " + std::to_string((now_ms() - started) / 1000.0).substr(0, 5) +
                                      " seconds (" + std::to_string(state.keyspace->dbsize(0)) + " keys in db 0)");
      if (state.config.port) log_line(LogLevel::kNotice, "Ready to accept connections tcp");
      if (state.config.tls_port) log_line(LogLevel::kNotice, "Ready to accept connections tls");
      if (unix_listen_fd >= 0) log_line(LogLevel::kNotice, "Ready to accept connections unix");
    });
    int sig = 0;
    sigwait(&set, &sig);
    log_line(LogLevel::kNotice, std::string("Received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                    " scheduling shutdown...");
    pool.request_stop();
    for (auto& w : workers) w->wake();
  }  // joins the workers
  state.clients.wake_worker = nullptr;
  state.blocking.notify = nullptr;
  wal.stop();  // what the workers wrote reaches the file; the writer may still wake the (joined) workers
  wal.set_on_durable(nullptr);
  state.wal = nullptr;
  workers.clear();
  if (listen_fd >= 0) close(listen_fd);
  if (tls_listen_fd >= 0) close(tls_listen_fd);
  if (unix_listen_fd >= 0) {  // as Redis at shutdown
    close(unix_listen_fd);
    log_line(LogLevel::kNotice, "Removing the unix socket file.");
    if (unlink(unix_path.c_str()) != 0)
      log_line(LogLevel::kWarning, "Error removing the unix socket file: " + errno_text());
  }
  if (!pidfile.empty()) {  // as Redis at shutdown
    log_line(LogLevel::kNotice, "Removing the pid file.");
    unlink(pidfile.c_str());
  }
  log_line(LogLevel::kNotice, "Tally is now ready to exit, bye bye...");
  return 0;
}

}  // namespace
}  // namespace tally

int main(int argc, char** argv) {
  if (argc == 2) {
    std::string_view a = argv[1];
    if (a == "-v" || a == "--version") {
      std::printf("Tally server v=%s (Redis 7.0.15 compatible)\n", tally::kVersion);
      return 0;
    }
    if (a == "-h" || a == "--help") {
      std::printf("Usage: ./tally-server [/path/to/tally.conf] [--directive value ...]\n"
                  "Directives are redis.conf's: --port 6379 --bind 127.0.0.1 --workers N --dir ./data ...\n");
      return 0;
    }
  }
  if (argc >= 3 && std::string_view(argv[1]) == "--check-wal") {
    bool fix = argc >= 4 && std::string_view(argv[3]) == "--fix";
    return tally::check_wal(argv[2], fix);
  }
  tally::ServerState state;
  std::string error = tally::parse_args(argc, argv, &state.config);
  if (!error.empty()) {
    std::fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Tally %s) ***\n%s\n", tally::kVersion, error.c_str());
    return 1;
  }
  {
    std::lock_guard lock(state.config.mu);
    tally::log_open(state.config.logfile, static_cast<tally::LogLevel>(state.config.loglevel.load()));
  }
  bool config_error = false;
  error = tally::acl_startup(state, &config_error);  // rename-command, users, the ACL file
  if (!error.empty()) {
    if (config_error) std::fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Tally %s) ***\n%s\n", tally::kVersion, error.c_str());
    else tally::log_line(tally::LogLevel::kWarning, error);
    return 1;
  }
  if (!tally::adjust_open_files_limit(state.config)) return 1;
  return tally::run_server(state);
}
