// The workers' epoll event loops (worker.h).
//
// Threads (server.cpp starts them): `workers` threads (thread_pool.h), each owning an epoll instance, the connections it
// accepted, and an eventfd other threads write to wake it (CLIENT KILL, shutdown). The one listening
// socket sits in every worker's epoll with EPOLLEXCLUSIVE, so the kernel hands each new connection
// to one idle worker. A worker reads a connection, runs every complete command in the bytes it read,
// in order, inline under shard locks (db.h), and, once every ready connection of the pass has run,
// writes each one's replies with one write() (send_pending_replies). EPOLLOUT is
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
// Unix socket: with unixsocket set, a third listening socket, the same way; its clients are plain
// connections without the TCP options, named by the socket's path (CLIENT LIST addr=<path>:0, flags=U).
//
// Output back-pressure (client-output-buffer-limit normal <hard> <soft> <soft-seconds>): a client's
// commands run only while its pending output is under the soft limit. Past it the worker stops
// running them and stops reading the socket (the rest of what it read waits in Client::in), and
// resumes once the client has read enough for the output to fall under the limit again. So a
// client that never reads holds at most the soft limit plus one reply. A reply that takes the
// output to the hard limit, or output that stays over the soft limit for more than soft-seconds,
// closes the connection with Redis's log line.
#include "worker.h"

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
#include "prefetch.h"
#include "thread_pool.h"
#include "tls.h"


namespace tally {
namespace {

constexpr std::size_t kScratchSize = 64 * 1024;
constexpr std::size_t kExpireBudget = 200;  // entries per database per shard per active-expiry step
// A connection's input and output buffers: one over kBusyBufferKeep is freed as soon as it empties (a
// one-off big request or reply); one over kIdleBufferKeep once the connection has been idle for
// kIdleBufferMs (clients_cron). Freeing them after every write instead had glibc hand the
// memory back to the kernel and fault it in again on the next batch: ZRANGE 0 99 WITHSCORES at -P 16
// took 0.84 page faults and 17.3 us of CPU a request, against 0.008 and 5.7 us when kept
// (docs/performance.md, "Reply buffers kept while busy").
constexpr std::size_t kIdleBufferKeep = 16 * 1024;
constexpr std::size_t kBusyBufferKeep = 1024 * 1024;
constexpr int64_t kIdleBufferMs = 2000;
constexpr std::size_t kPartialRead = 16 * 1024;  // Redis's PROTO_IOBUF_LEN

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Worker::Worker(ServerState& state, int index, Listeners listeners)
    : state_(state), index_(index), listen_(listeners),
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
  const auto fds = listen_.fds();
  for (std::size_t i = 0; i < fds.size(); ++i) {
    ev.data.ptr = &listen_tags_[i];
    if (fds[i] >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fds[i], &ev);
  }
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
  for (int fd : listen_.fds())
    if (fd >= 0) accept_clients(fd);
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
      const std::size_t listener = listener_of(tag);
      if (listener < std::size(listen_tags_)) {
        accept_clients(listen_.fds()[listener]);
      } else if (tag == &wake_tag_) {
        handle_wake();
      } else if (Client* c = static_cast<Client*>(tag); !c->closed) {
        handle_event(*c, events[i].events);
      }
    }
    send_pending_replies();
    run_ready();
    if (!blocked_.empty()) expire_blocked(loop_now_ms_);
    if (!tls_pending_.empty()) run_tls_pending();
    if (!durable_waiters_.empty()) lead_log_sync();
    graveyard_.clear();
  }
}

void Worker::accept_clients(int listen_fd) {
  bool tls = listen_fd == listen_.tls;
  bool local = listen_fd == listen_.unix_socket;
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
    if (!local) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (int64_t ka = state_.config.tcp_keepalive.load(); ka > 0 && !local) {
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
    if (local) {  // as Redis: both ends are the socket's configured path, port 0
      std::lock_guard lock(state_.config.mu);
      c->addr = c->laddr = state_.config.unixsocket + ":0";
      c->unix_socket = true;
    } else {
      c->addr = endpoint(peer);
      sockaddr_storage here{};
      len = sizeof here;
      getsockname(fd, reinterpret_cast<sockaddr*>(&here), &len);
      c->laddr = endpoint(here);
    }
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
  c.in.shrink_if_idle(kBusyBufferKeep);
  c.qbuf_bytes.store(c.in.size(), std::memory_order_relaxed);
  if (int64_t limit = state_.config.client_query_buffer_limit.load(); static_cast<int64_t>(c.in.size()) > limit) {
    log_line(LogLevel::kWarning, "Closing client that reached max query buffer length: " + client_info_string(c) +
                                     " (qbuf initial bytes: " + repr_bytes(c.in.view().substr(0, 64)) + ")");
    return false;
  }
  if (c.tls) return finish_batch(c, true);  // TLS reads again before the pass ends: read_tls_input()
  if (!c.reply_pending) {
    c.reply_pending = true;
    reply_pending_.push_back(&c);
  }
  return true;
}

// Replies go out once every ready connection of the pass has been read and run, one write() each,
// as Redis sends them before it sleeps. Writing each reply as soon as its commands had run woke the
// client once per write: loopback delivery wakes the reader, and a reader that had gone back to
// sleep between two of our writes cost a cross-CPU wake-up each time (perf: sock_def_readable's
// wake-up was 13% of the server's CPU under ZADD -P 16, against Redis's 3%).
void Worker::send_pending_replies() {
  for (std::size_t i = 0; i < reply_pending_.size(); ++i) {
    Client& c = *reply_pending_[i];
    c.reply_pending = false;
    if (c.closed) continue;
    if (!finish_batch(c, true) || (c.close_after_reply && c.out.empty())) close_client(c);
  }
  reply_pending_.clear();
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
  if (!wal->leader_sync()) wal->appended();  // leader sync: lead_log_sync() at the end of the pass
  // The writer publishes durable_seq, then looks at has_waiters_ (both seq_cst); we set has_waiters_,
  // then look at durable_seq: one of us sees the other, so a release is never missed.
  if (wal->durable_seq() >= c.durable_wait) release_durable();
}

// Leader sync (wal.h): at the end of a pass, once every reply of the pass has queued up, this
// worker writes the log and fdatasyncs it itself, so that one fsync covers the whole pass with no
// hand-off to the writer thread and back. Another worker may be doing the same meanwhile: the two
// fsyncs overlap, and a batch the other one wrote counts once an fsync begun after it returns.
void Worker::lead_log_sync() {
  Wal* wal = state_.wal;
  // A few rounds at most: releasing may run more commands (clients paused for their output).
  for (int round = 0; round < 3; ++round) {
    if (durable_waiters_.empty() || !wal || !wal->leader_sync() || !wal->lead_sync()) return;
    release_durable();
  }
  if (!durable_waiters_.empty()) wake();  // the next pass leads again
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

// Runs the commands at the start of [data, data + len) for `c`; returns how many bytes they took.
// Up to kPrefetchBatch whole multibulk commands are parsed ahead at a time (RequestParser::
// parse_ahead), their keys prefetched together, and then run one by one exactly as if each had just
// been parsed: the checks between commands are the same, and a command that changes what the parse
// depends on (AUTH, RESET, CONFIG SET proto-max-bulk-len) ends the batch, the rest being parsed again.
// Anything parse_ahead declines (a partial command, inline requests, odd length lines) goes through
// parse() one command at a time.
std::size_t Worker::run_commands(Client& c, const char* data, std::size_t len) {
  std::size_t pos = 0;
  CmdStats* cmd_stats = stats_.cmd.data();
  const auto [soft, hard] = output_thresholds(state_.config);
  ChainedCommandClock clock;  // back to back: each command starts when the one before it ended
  // The batch: commands [next, count) not yet run; command i's arguments are args[arg_ends[i-1],
  // arg_ends[i]) and its bytes end at ends[i] (from data). Taken from the member so that its capacity
  // is kept, and so that a nested call (none today) could not clobber it.
  std::vector<std::string_view> args;
  args.swap(batch_args_);
  std::size_t arg_ends[kPrefetchBatch], ends[kPrefetchBatch], key_of[kPrefetchBatch];
  std::string_view keys[kPrefetchBatch];
  uint64_t hashes[kPrefetchBatch];
  std::size_t next = 0, count = 0, prefetched = 0;
  ParserLimits batch_limits;
  while (pos < len && !c.blocked && !c.close_after_reply && !c.kill_requested.load(std::memory_order_relaxed)) {
    if (c.out.size() >= soft) {  // the rest waits until the client has read its replies
      c.read_paused = true;
      break;
    }
    ParserLimits limits;
    limits.max_bulk_len = state_.config.proto_max_bulk_len.load(std::memory_order_relaxed);
    limits.authenticated = c.authenticated;
    if (next < count &&
        (limits.authenticated != batch_limits.authenticated || limits.max_bulk_len != batch_limits.max_bulk_len))
      next = count = 0;  // parsed under other limits: parse the rest again
    if (next == count) {
      args.clear();
      next = count = prefetched = 0;
      count = c.parser.parse_ahead(data + pos, len - pos, limits, kPrefetchBatch, &args, arg_ends, ends);
      batch_limits = limits;
      for (std::size_t i = 0; i < count; ++i) ends[i] += pos;
      if (count > 0) {
        if (c.prefetch_idle > 0) {
          --c.prefetch_idle;
        } else {
          std::size_t n = 0;
          for (std::size_t i = 0; i < count; ++i) {  // requests with no argument (PING, EXEC...) have no key
            const std::size_t first = i ? arg_ends[i - 1] : 0;
            key_of[i] = arg_ends[i] - first >= 2 ? n : kPrefetchBatch;
            if (key_of[i] != kPrefetchBatch) keys[n++] = args[first + 1];
          }
          prefetched = prefetch_keys(*state_.keyspace, c.db.load(std::memory_order_relaxed), keys, n, hashes);
          if (prefetched == 0) c.prefetch_idle = kPrefetchIdleBatches;
        }
      }
    }
    std::size_t consumed = 0;
    if (next < count) {
      const std::size_t first = next ? arg_ends[next - 1] : 0;
      std::span<const std::string_view> argv(args.data() + first, arg_ends[next] - first);
      consumed = ends[next] - pos;
      if (prefetched && key_of[next] != kPrefetchBatch) {
        KeyHashOffer offer(keys[key_of[next]], hashes[key_of[next]]);
        dispatch(state_, c, argv, cmd_stats);
      } else {
        dispatch(state_, c, argv, cmd_stats);
      }
      ++next;
    } else {
      std::size_t consumed_here = 0;
      ParseStatus st = c.parser.parse(data + pos, len - pos, limits, &consumed_here);
      if (st == ParseStatus::kNeedMore) break;
      if (st == ParseStatus::kError) {
        c.writer.error(c.parser.error());
        c.close_after_reply = true;
        log_line(LogLevel::kVerbose, "Protocol error from client " + c.addr + ": " + std::string(c.parser.error()));
        pos = len;
        break;
      }
      if (st == ParseStatus::kCommand) dispatch(state_, c, c.parser.argv(), cmd_stats);
      consumed = consumed_here;
    }
    pos += consumed;
    if (c.block.requested) park(c);
    if (c.out.size() >= hard) break;  // finish_batch closes it
  }
  args.clear();
  args.swap(batch_args_);
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
  c.out.shrink_if_idle(kBusyBufferKeep);
  c.obuf_capacity.store(c.out.capacity(), std::memory_order_relaxed);
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
  if (!c.watched.empty()) unwatch_all_keys(state_, c);  // the shards must not keep pointing at it
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
  clients_cron(now);
}

// Once a second, one pass over this worker's connections, as Redis's clientsCron: closes those that
// stayed over the soft output limit for more than soft-seconds, and those idle past `timeout` (not
// while blocked), and frees the buffers over kIdleBufferKeep of those idle for kIdleBufferMs, so idle
// connections do not pin big buffers.
void Worker::clients_cron(int64_t now) {
  if (now < next_clients_cron_ms_) return;
  next_clients_cron_ms_ = now + 1000;
  const int64_t timeout_ms = state_.config.timeout.load() * 1000;
  std::vector<Client*> doomed;
  for (auto& [ptr, c] : clients_) {
    const int64_t idle_ms = now - c->last_interaction_ms.load(std::memory_order_relaxed);
    if (soft_limit_expired(state_.config, *c, now) || (timeout_ms > 0 && !c->blocked && idle_ms > timeout_ms)) {
      doomed.push_back(ptr);
    } else if (idle_ms >= kIdleBufferMs) {
      c->in.shrink_if_idle(kIdleBufferKeep);
      c->out.shrink_if_idle(kIdleBufferKeep);
      c->obuf_capacity.store(c->out.capacity(), std::memory_order_relaxed);
    }
  }
  for (Client* c : doomed) close_client(*c);
}

// ---- blocking commands ----

// The handler found nothing and asked to wait: register the waiter, then re-run once (from the ready
// queue, outside run_commands) in case a write landed before the registration.
void Worker::park(Client& c) {
  c.block.requested = false;
  c.blocked = true;
  blocked_.push_back(&c);
  stats_.blocked_clients.fetch_add(1, std::memory_order_relaxed);
  if (c.block.deadline_ms > 0) stats_.blocked_with_timeout.fetch_add(1, std::memory_order_relaxed);
  state_.blocking.add(&c, c.id, index_, c.db.load(std::memory_order_relaxed), c.block.keys);
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
  stats_.blocked_clients.fetch_sub(1, std::memory_order_relaxed);
  if (c.block.deadline_ms > 0) stats_.blocked_with_timeout.fetch_sub(1, std::memory_order_relaxed);
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

}  // namespace tally
