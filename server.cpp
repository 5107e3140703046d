// tally-server: main, the listener and the workers' epoll event loops.
//
// Threads: `workers` threads (thread_pool.h), each owning an epoll instance, the connections it
// accepted, and an eventfd other threads write to wake it (CLIENT KILL, shutdown). The one listening
// socket sits in every worker's epoll with EPOLLEXCLUSIVE, so the kernel hands each new connection
// to one idle worker. A worker reads a connection, runs every complete command in the bytes it read,
// in order, inline under shard locks (db.h), and writes all the replies with one write(). EPOLLOUT is
// armed only while a socket's send buffer is full. The main thread waits for SIGINT/SIGTERM (SHUTDOWN
// raises SIGTERM), then stops and joins the workers.
//
// Input path: a connection with no partial command reads into its worker's scratch buffer and parses
// there; only a trailing partial command is copied into the connection's own buffer, so idle
// connections hold no input memory.
//
// TLS (tls.h): with tls-port set, a second listening socket sits in every epoll set like the first; its
// connections carry a TlsConn, run the handshake on their first events, and then go through the same
// read/run/flush path, with conn_read/conn_write in place of read/write.
//
// Output back-pressure (client-output-buffer-limit normal <hard> <soft> <soft-seconds>): a client's
// commands run only while its pending output is under the soft limit. Past it the worker stops
// running them and stops reading the socket (the rest of what it read waits in Client::in), and
// resumes once the client has read enough for the output to fall under the limit again. So a
// client that never reads holds at most the soft limit plus one reply. A reply that takes the
// output to the hard limit, or output that stays over the soft limit for more than soft-seconds,
// closes the connection with Redis's log line.
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

namespace tally {
namespace {

constexpr const char* kVersion = "0.1.0";
constexpr std::size_t kScratchSize = 64 * 1024;
constexpr std::size_t kExpireBudget = 200;  // entries per database per shard per active-expiry step
constexpr std::size_t kIdleBufferKeep = 16 * 1024;
constexpr std::size_t kPartialRead = 16 * 1024;  // Redis's PROTO_IOBUF_LEN

std::string errno_text() { return std::strerror(errno); }

class Worker {
 public:
  Worker(ServerState& state, int index, int listen_fd, int tls_listen_fd);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run(std::stop_token st);
  // A client of this worker was marked kill_requested: the next wake-up looks for it.
  void wake_for_kill() {
    kill_check_.store(true, std::memory_order_release);
    wake();
  }
  void wake() {
    uint64_t one = 1;
    ssize_t r = write(wake_fd_, &one, sizeof one);
    (void)r;  // a full eventfd counter already means "wake up"
  }

 private:
  void accept_clients(int listen_fd);
  void handle_event(Client& c, uint32_t events);
  void handle_tls_event(Client& c, uint32_t events);
  bool read_tls_input(Client& c);
  void run_tls_pending();
  // Reads once and runs what arrived; false if the connection must close now.
  bool read_and_run(Client& c);
  // Parses and runs commands from [data, data+len); returns the bytes consumed.
  std::size_t run_commands(Client& c, const char* data, std::size_t len);
  bool flush(Client& c);  // false on a write error
  // After c's commands ran (ran) or its output could move: enforces the output limits, waits for
  // the log, writes, and while the output drains under the soft limit runs the commands that
  // waited in c.in. False if the connection must close now.
  bool finish_batch(Client& c, bool ran);
  void check_soft_limit_time(int64_t now);
  void update_events(Client& c);
  void close_client(Client& c);
  void handle_wake();
  void periodic(int64_t now);
  void set_writable_interest(Client& c, bool on);
  // Blocking commands: park, re-run when woken, time out, release.
  void park(Client& c);
  void retry_blocked(Client& c);
  void unpark(Client& c);
  void after_unpark(Client& c);
  void run_ready();
  void expire_blocked(int64_t now);
  // appendfsync always: holds c's replies until every change they could show is on disk.
  void hold_for_durability(Client& c);
  void release_durable();
 public:
  // Whether clients of this worker wait for the log (the log writer wakes the worker when so).
  bool awaits_durability() const { return has_waiters_.load(std::memory_order_seq_cst); }
  // Queues a blocked client of this worker for a re-run (from any thread) and wakes the loop.
  void enqueue_ready(Client* c, uint64_t id) {
    {
      std::lock_guard lock(ready_mu_);
      ready_.push_back({c, id});
    }
    wake();
  }

 private:

  ServerState& state_;
  const int index_;
  const int listen_fd_;      // -1 with port 0
  const int tls_listen_fd_;  // -1 with tls-port 0
  int epoll_fd_ = -1;
  char listen_tag_ = 0, tls_listen_tag_ = 0, wake_tag_ = 0;  // epoll data.ptr values that are not clients
  int wake_fd_ = -1;
  std::unordered_map<Client*, std::unique_ptr<Client>> clients_;  // the connections this worker owns
  std::vector<std::unique_ptr<Client>> graveyard_;  // closed during the current event batch
  std::vector<Client*> tls_pending_;  // see run_tls_pending(); drained before graveyard_ is cleared
  std::unique_ptr<char[]> scratch_;
  WorkerStats& stats_;
  std::mutex ready_mu_;  // guards ready_
  std::vector<std::pair<Client*, uint64_t>> ready_;  // blocked clients whose keys were written
  std::vector<Client*> blocked_;  // this worker's parked clients
  std::vector<Client*> durable_waiters_;  // clients whose replies wait for the log (durable_wait)
  std::atomic<bool> has_waiters_{false};
  std::atomic<bool> kill_check_{false};
  int64_t loop_now_ms_ = 0;  // the time after the last epoll_wait
  int64_t next_expire_ms_ = 0;
  int64_t next_timeout_check_ms_ = 0;
  int64_t next_obuf_check_ms_ = 0;
};

Worker::Worker(ServerState& state, int index, int listen_fd, int tls_listen_fd)
    : state_(state), index_(index), listen_fd_(listen_fd), tls_listen_fd_(tls_listen_fd),
      scratch_(new char[kScratchSize]),
      stats_(*state.workers[static_cast<std::size_t>(index)]) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    log_line(LogLevel::kWarning, "epoll/eventfd: " + errno_text());
    std::exit(1);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.ptr = &listen_tag_;
  if (listen_fd_ >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = &tls_listen_tag_;
  if (tls_listen_fd_ >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, tls_listen_fd_, &ev);
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

Worker::~Worker() {
  while (!clients_.empty()) close_client(*clients_.begin()->second);
  graveyard_.clear();
  close(wake_fd_);
  close(epoll_fd_);
}

void Worker::run(std::stop_token st) {
  epoll_event events[256];
  // Connections queued before the listener joined this epoll set are not reported by an
  // EPOLLEXCLUSIVE registration; take them now.
  if (listen_fd_ >= 0) accept_clients(listen_fd_);
  if (tls_listen_fd_ >= 0) accept_clients(tls_listen_fd_);
  while (!st.stop_requested()) {
    int64_t now = now_ms();
    int64_t hz = std::max<int64_t>(1, std::min<int64_t>(500, state_.config.hz.load()));
    if (now >= next_expire_ms_) periodic(now);
    int64_t max_wait = blocked_.empty() ? 1000 / hz : 10;  // blocked clients' deadlines: 10 ms resolution
    int wait_ms = static_cast<int>(std::clamp<int64_t>(next_expire_ms_ - now, 0, max_wait));
    int n = epoll_wait(epoll_fd_, events, 256, wait_ms);
    if (n < 0 && errno != EINTR) {
      log_line(LogLevel::kWarning, "epoll_wait: " + errno_text());
      return;
    }
    loop_now_ms_ = now_ms();
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_tag_) {
        accept_clients(listen_fd_);
      } else if (tag == &tls_listen_tag_) {
        accept_clients(tls_listen_fd_);
      } else if (tag == &wake_tag_) {
        handle_wake();
      } else if (Client* c = static_cast<Client*>(tag); !c->closed) {
        handle_event(*c, events[i].events);
      }
    }
    run_ready();
    if (!blocked_.empty()) expire_blocked(loop_now_ms_);
    if (!tls_pending_.empty()) run_tls_pending();
    graveyard_.clear();
  }
}

void Worker::accept_clients(int listen_fd) {
  bool tls = listen_fd == tls_listen_fd_;
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: another worker took it, or none left
    state_.total_connections.fetch_add(1, std::memory_order_relaxed);
    if (static_cast<int64_t>(state_.clients.count()) >= state_.config.maxclients.load()) {
      static constexpr char kMsg[] = "-ERR max number of clients reached\r\n";
      ssize_t r = tls ? 0 : write(fd, kMsg, sizeof kMsg - 1);  // TLS: no session to say it in
      (void)r;
      close(fd);
      state_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (state_.config.protected_mode.load(std::memory_order_relaxed) && state_.acl.default_nopass() &&
        !is_loopback(peer)) {  // Redis's protected mode: explain, then close
      std::string msg = "-" + std::string(err::kProtectedMode) + "\r\n";
      ssize_t r = tls ? 0 : write(fd, msg.data(), msg.size());  // TLS: no session to say it in
      (void)r;
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (int64_t ka = state_.config.tcp_keepalive.load(); ka > 0) {
      int idle = static_cast<int>(std::min<int64_t>(ka, INT_MAX));
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
      int interval = std::max(1, idle / 3), probes = 3;  // as Redis's anetKeepAlive
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    }
    auto c = std::make_unique<Client>(state_.next_client_id.fetch_add(1), fd);
    if (tls) {
      c->tls.reset(tls_new(fd, static_cast<TlsAuthClients>(state_.config.tls_auth_clients.load())));
      if (!c->tls) {
        close(fd);
        continue;
      }
    }
    c->worker = index_;
    c->addr = endpoint(peer);
    sockaddr_storage local{};
    len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    c->laddr = endpoint(local);
    c->created_ms = now_ms();
    c->last_interaction_ms = c->created_ms;
    c->authenticated = state_.acl.default_login();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    state_.clients.add(c.get());
    Client* key = c.get();
    clients_[key] = std::move(c);
  }
}

void Worker::handle_event(Client& c, uint32_t events) {
  if (c.tls) return handle_tls_event(c, events);
  // A paused client is not read, so a hang-up would be reported again and again; nothing more can
  // reach a peer that hung up or failed.
  if (c.read_paused && (events & (EPOLLERR | EPOLLHUP))) return close_client(c);
  if (events & EPOLLOUT) {
    if (!finish_batch(c, false)) return close_client(c);
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !c.read_paused) {
    if (!read_and_run(c)) return close_client(c);
  }
  if (c.close_after_reply && c.out.empty()) return close_client(c);
}

// TLS may read to write and write to read, so any readiness tries both; bytes the library decrypted
// beyond what one read took are invisible to epoll, so they are read before waiting again.
void Worker::handle_tls_event(Client& c, uint32_t events) {
  if (!tls_established(c)) {
    TlsHandshake h = tls_handshake(c);
    if (h == TlsHandshake::kFailed) return close_client(c);
    if (h != TlsHandshake::kDone) return set_writable_interest(c, h == TlsHandshake::kWantWrite);
  }
  if (c.read_paused && (events & (EPOLLERR | EPOLLHUP))) return close_client(c);
  if (!finish_batch(c, false) || !read_tls_input(c)) return close_client(c);
  if (c.close_after_reply && c.out.empty()) return close_client(c);
  if (tls_read_wants_write(c)) set_writable_interest(c, true);
  else if (tls_write_wants_read(c)) set_writable_interest(c, false);  // EPOLLIN resumes the write
}

// Reads and runs while the library holds decrypted bytes that epoll cannot report, unless the client
// is paused for its output; false if the connection must close.
bool Worker::read_tls_input(Client& c) {
  while (!c.closed && !c.read_paused) {
    if (!read_and_run(c)) return false;
    if (!tls_has_pending(c)) break;
  }
  return true;
}

// TLS clients that left a pause with decrypted input still inside the library: no epoll event will
// come for it, so the loop reads it before the batch ends.
void Worker::run_tls_pending() {
  std::vector<Client*> pending;
  pending.swap(tls_pending_);
  for (Client* c : pending)
    if (!c->closed && !read_tls_input(*c)) close_client(*c);
}

bool Worker::read_and_run(Client& c) {
  bool partial = !c.in.empty();
  char* dst;
  std::size_t room;
  if (partial) {
    std::size_t hint = c.parser.bytes_hint();
    std::size_t want = hint > c.in.size() ? hint - c.in.size() : 0;
    c.in.ensure_tail(std::max<std::size_t>(want, kPartialRead));
    dst = c.in.tail();
    // As Redis, 16 KiB at a time unless a known bulk is due: where an over-long inline line or
    // length line is caught (and so which error it gets) then matches Redis's.
    room = hint ? c.in.tail_room() : std::min(c.in.tail_room(), kPartialRead);
  } else {
    dst = scratch_.get();
    room = kScratchSize;
  }
  ssize_t n = conn_read(c, dst, room);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  stats_.net_input_bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  c.last_interaction_ms.store(loop_now_ms_, std::memory_order_relaxed);
  if (partial) {
    c.in.commit(static_cast<std::size_t>(n));
    c.in.consume(run_commands(c, c.in.data(), c.in.size()));
  } else {
    std::size_t used = run_commands(c, dst, static_cast<std::size_t>(n));
    if (used < static_cast<std::size_t>(n) && !c.close_after_reply) c.in.append(dst + used, n - used);
  }
  if (c.close_after_reply) c.in.clear();
  c.in.shrink_if_idle(kIdleBufferKeep);
  c.qbuf_bytes.store(c.in.size(), std::memory_order_relaxed);
  if (int64_t limit = state_.config.client_query_buffer_limit.load(); static_cast<int64_t>(c.in.size()) > limit) {
    log_line(LogLevel::kWarning, "Closing client that reached max query buffer length: " + client_info_string(c) +
                                     " (qbuf initial bytes: " + repr_bytes(c.in.view().substr(0, 64)) + ")");
    return false;
  }
  return finish_batch(c, true);
}

bool Worker::finish_batch(Client& c, bool ran) {
  for (;;) {
    if (ran) {
      if (hard_limit_reached(state_.config, c)) return false;  // Redis drops what is pending
      hold_for_durability(c);
    }
    if (!flush(c)) return false;
    bool over = c.out.size() >= output_thresholds(state_.config).soft;
    bool runnable = !c.in.empty() && !c.blocked && !c.close_after_reply && !c.kill_requested.load();
    // Loops only when run_commands stopped for the output and the write has since drained it:
    // each round runs at least one command.
    if (over || !c.read_paused || !runnable) {
      c.read_paused = over;
      break;
    }
    c.read_paused = false;
    c.in.consume(run_commands(c, c.in.data(), c.in.size()));
    c.qbuf_bytes.store(c.in.size(), std::memory_order_relaxed);
    ran = true;
  }
  if (!c.read_paused) c.soft_since_ms = 0;
  else if (!c.soft_since_ms) c.soft_since_ms = loop_now_ms_;
  if (c.tls && !c.read_paused && tls_has_pending(c)) tls_pending_.push_back(&c);
  update_events(c);
  return true;
}

void Worker::hold_for_durability(Client& c) {
  Wal* wal = state_.wal;
  if (!wal || c.out.empty() || !wal->always()) return;
  uint64_t need = state_.keyspace->next_seq();  // read after the commands ran: covers all they saw
  if (wal->durable_seq() >= need) return;
  if (!c.durable_wait) durable_waiters_.push_back(&c);
  c.durable_wait = std::max(c.durable_wait, need);
  has_waiters_.store(true, std::memory_order_seq_cst);
  wal->appended();
  // The writer publishes durable_seq, then looks at has_waiters_ (both seq_cst); we set has_waiters_,
  // then look at durable_seq: one of us sees the other, so a release is never missed.
  if (wal->durable_seq() >= c.durable_wait) release_durable();
}

void Worker::release_durable() {
  if (durable_waiters_.empty()) return;
  uint64_t durable = state_.wal->durable_seq();
  std::vector<Client*> ready;
  std::erase_if(durable_waiters_, [&](Client* c) {
    if (c->durable_wait > durable) return false;
    ready.push_back(c);
    return true;
  });
  has_waiters_.store(!durable_waiters_.empty(), std::memory_order_seq_cst);
  for (Client* c : ready) {
    c->durable_wait = 0;
    if (!finish_batch(*c, false) || (c->close_after_reply && c->out.empty())) close_client(*c);
  }
}

std::size_t Worker::run_commands(Client& c, const char* data, std::size_t len) {
  std::size_t pos = 0;
  CmdStats* cmd_stats = stats_.cmd.data();
  const auto [soft, hard] = output_thresholds(state_.config);
  while (pos < len && !c.blocked && !c.close_after_reply && !c.kill_requested.load(std::memory_order_relaxed)) {
    if (c.out.size() >= soft) {  // the rest waits until the client has read its replies
      c.read_paused = true;
      break;
    }
    ParserLimits limits;
    limits.max_bulk_len = state_.config.proto_max_bulk_len.load(std::memory_order_relaxed);
    limits.authenticated = c.authenticated;
    std::size_t consumed = 0;
    ParseStatus st = c.parser.parse(data + pos, len - pos, limits, &consumed);
    if (st == ParseStatus::kNeedMore) break;
    if (st == ParseStatus::kError) {
      c.writer.error(c.parser.error());
      c.close_after_reply = true;
      log_line(LogLevel::kVerbose, "Protocol error from client " + c.addr + ": " + std::string(c.parser.error()));
      return len;
    }
    if (st == ParseStatus::kCommand) dispatch(state_, c, c.parser.argv(), cmd_stats);
    pos += consumed;
    if (c.block.requested) park(c);
    if (c.out.size() >= hard) break;  // finish_batch closes it
  }
  return pos;
}

bool Worker::flush(Client& c) {
  if (c.closed) return false;       // its fd number may already belong to someone else
  if (c.durable_wait) return true;  // release_durable() sends it
  while (!c.out.empty()) {
    ssize_t n = conn_write(c, c.out.data(), c.out.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return false;
      break;
    }
    stats_.net_output_bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    c.out.consume(static_cast<std::size_t>(n));
    c.last_interaction_ms.store(loop_now_ms_, std::memory_order_relaxed);  // as Redis: a read reply is activity
  }
  c.obuf_bytes.store(c.out.size(), std::memory_order_relaxed);
  set_writable_interest(c, !c.out.empty());
  c.out.shrink_if_idle(kIdleBufferKeep);
  return true;
}

void Worker::set_writable_interest(Client& c, bool on) {
  if (c.want_write == on) return;
  c.want_write = on;
  update_events(c);
}

// Polls for what the client's state asks: input unless paused, output while the socket was full.
void Worker::update_events(Client& c) {
  // A paused TLS client is still polled for input while a write of its waits for the peer's record.
  bool read = !c.read_paused || (c.tls && tls_write_wants_read(c));
  uint8_t want = static_cast<uint8_t>((read ? Client::kEventRead : 0) | (c.want_write ? Client::kEventWrite : 0));
  if (c.io_events.load(std::memory_order_relaxed) == want) return;
  c.io_events.store(want, std::memory_order_relaxed);
  epoll_event ev{};
  ev.events = (want & Client::kEventRead ? uint32_t{EPOLLIN} : 0u) | (want & Client::kEventWrite ? uint32_t{EPOLLOUT} : 0u);
  ev.data.ptr = &c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

// Closes now; the Client object lives until the current event batch ends, because later events of
// the same batch may still point to it.
void Worker::close_client(Client& c) {
  if (c.closed) return;
  if (c.blocked) unpark(c);
  if (c.durable_wait) std::erase(durable_waiters_, &c);
  c.closed = true;
  state_.clients.remove(&c);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  tls_shutdown(c);
  close(c.fd);
  auto it = clients_.find(&c);
  graveyard_.push_back(std::move(it->second));
  clients_.erase(it);
}

void Worker::handle_wake() {
  uint64_t v;
  ssize_t r = read(wake_fd_, &v, sizeof v);
  (void)r;
  if (kill_check_.exchange(false, std::memory_order_acq_rel)) {  // not on every wake: O(clients)
    std::vector<Client*> doomed;
    for (auto& [ptr, c] : clients_)
      if (c->kill_requested.load()) doomed.push_back(ptr);
    for (Client* c : doomed) close_client(*c);
  }
  run_ready();
  release_durable();
}

// Active expiry for this worker's share of the shards, and idle-client timeouts.
void Worker::periodic(int64_t now) {
  Keyspace& ks = *state_.keyspace;
  int workers = static_cast<int>(state_.workers.size());
  bool more = false;
  if (!state_.loading.loading.load()) {  // expiring while the log replays would race it
    state_.gate.enter(index_);  // expiry is a keyspace change too: not while an EXEC runs
    for (uint32_t s = static_cast<uint32_t>(index_); s < ks.shard_count(); s += static_cast<uint32_t>(workers))
      more |= ks.active_expire(s, now, kExpireBudget) >= kExpireBudget;
    state_.gate.leave(index_);
  }
  int64_t hz = std::max<int64_t>(1, std::min<int64_t>(500, state_.config.hz.load()));
  next_expire_ms_ = now + (more ? 1 : 1000 / hz);
  check_soft_limit_time(now);
  int64_t timeout_s = state_.config.timeout.load();
  if (timeout_s <= 0 || now < next_timeout_check_ms_) return;
  next_timeout_check_ms_ = now + 1000;
  std::vector<Client*> idle;
  for (auto& [ptr, c] : clients_)
    if (!c->blocked && now - c->last_interaction_ms.load() > timeout_s * 1000) idle.push_back(ptr);
  for (Client* c : idle) close_client(*c);
}

// Closes the clients that stayed over the soft limit for more than soft-seconds, once a second, as
// Redis's clientsCron does.
void Worker::check_soft_limit_time(int64_t now) {
  if (now < next_obuf_check_ms_) return;
  next_obuf_check_ms_ = now + 1000;
  std::vector<Client*> doomed;
  for (auto& [ptr, c] : clients_)
    if (soft_limit_expired(state_.config, *c, now)) doomed.push_back(ptr);
  for (Client* c : doomed) close_client(*c);
}

// ---- blocking commands ----

// The handler found nothing and asked to wait: register the waiter, then re-run once (from the ready
// queue, outside run_commands) in case a write landed before the registration.
void Worker::park(Client& c) {
  c.block.requested = false;
  c.blocked = true;
  blocked_.push_back(&c);
  state_.blocking.add(&c, c.id, index_, c.block.keys);
  enqueue_ready(&c, c.id);
}

void Worker::retry_blocked(Client& c) {
  std::vector<std::string_view> argv(c.block.argv.begin(), c.block.argv.end());
  c.block.requested = false;
  dispatch(state_, c, argv, stats_.cmd.data());
  if (c.block.requested) {  // still nothing: keep waiting
    c.block.requested = false;
    return;
  }
  unpark(c);
  after_unpark(c);
}

void Worker::unpark(Client& c) {
  state_.blocking.remove(&c, c.block.keys);
  std::erase(blocked_, &c);
  c.blocked = false;
  c.block = {};
}

// Sends what the unblocked client got and runs the requests that queued up behind it.
void Worker::after_unpark(Client& c) {
  if (!c.in.empty()) c.in.consume(run_commands(c, c.in.data(), c.in.size()));
  if (!finish_batch(c, true) || (c.close_after_reply && c.out.empty())) close_client(c);
}

void Worker::run_ready() {
  std::vector<std::pair<Client*, uint64_t>> ready;
  {
    std::lock_guard lock(ready_mu_);
    ready.swap(ready_);
  }
  for (auto [c, id] : ready) {
    auto it = clients_.find(c);  // the client may have gone, and its address been reused
    if (it == clients_.end() || c->id != id || !c->blocked || c->closed) continue;
    retry_blocked(*c);
  }
}

void Worker::expire_blocked(int64_t now) {
  std::vector<Client*> due;
  for (Client* c : blocked_)
    if (c->block.deadline_ms > 0 && c->block.deadline_ms <= now) due.push_back(c);
  for (Client* c : due) {
    unpark(*c);
    c->writer.null_array();
    after_unpark(*c);
  }
}


int default_workers() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
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
  if (cfg.port == 0 && cfg.tls_port == 0) {
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
  for (int i = 0; i < cfg.workers; ++i) workers.push_back(std::make_unique<Worker>(state, i, listen_fd, tls_listen_fd));
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
    std::jthread loader([&state, &wal] {
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
