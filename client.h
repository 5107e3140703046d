// A client connection's state: what commands read and change (db, protocol, auth, name) and the
// buffers its worker uses. A Client is created by the worker that accepted it and destroyed by the
// same worker; other threads reach it only through ClientRegistry, under the registry lock, and then
// read only the atomics and the fields guarded by meta_mu.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <map>
#include <memory>

#include "buffer.h"
#include "protocol.h"

namespace tally {

struct AclUser;
struct TlsConn;  // tls.h
struct TlsFree {
  void operator()(TlsConn* t) const;  // tls.cpp: frees the SSL object
};

struct Client {
  Client(uint64_t id_, int fd_) : id(id_), fd(fd_), writer(&out) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const uint64_t id;
  const int fd;  // -1 for in-process clients (tests)
  int worker = -1;
  std::string addr = "127.0.0.1:0";   // peer ip:port
  std::string laddr = "127.0.0.1:0";  // local ip:port
  bool unix_socket = false;           // accepted on the unixsocket listener (CLIENT LIST flags=U)
  std::unique_ptr<TlsConn, TlsFree> tls;  // accepted on the TLS port; used only by the client's worker
  int64_t created_ms = 0;

  // Owned by the client's worker thread; atomics where CLIENT LIST from another thread reads them.
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<uint64_t> qbuf_bytes{0}, obuf_bytes{0};
  std::atomic<uint64_t> obuf_capacity{0};  // the output buffer's allocation (CLIENT LIST rbs)
  std::atomic<const char*> last_cmd{"NULL"};  // a Command::full_name: lives as long as the table
  bool authenticated = true;
  // ACL (acl.h): the user this connection runs as, the Acl::epoch() it was read at, and whether it
  // may run anything on any key (the one flag dispatch tests in the common case).
  std::shared_ptr<const AclUser> user;
  uint64_t acl_epoch = 0;
  bool acl_unrestricted = true;
  bool close_after_reply = false;   // QUIT, protocol error
  bool want_write = false;          // EPOLLOUT armed: the socket's send buffer was full
  bool closed = false;              // closed by its worker; freed when the current event batch ends
  int prefetch_idle = 0;            // batches before the worker scans this input for keys again (prefetch.h)
  bool reply_pending = false;       // ran commands this pass: the worker sends its replies before waiting
  uint64_t durable_wait = 0;        // appendfsync always: `out` leaves once the log is durable up to here
  // Output back-pressure (client-output-buffer-limit normal): while the output counted against the
  // limits (limited_output(out.size()), below) is at least the soft limit, the worker runs none of
  // this client's commands and stops reading its socket; what it already read waits in `in`.
  // soft_since_ms: when it last went over the soft limit (0: under).
  bool read_paused = false;
  int64_t soft_since_ms = 0;
  std::atomic<uint8_t> io_events{kEventRead};  // what the worker polls for, for CLIENT LIST events=
  static constexpr uint8_t kEventRead = 1, kEventWrite = 2;
  std::atomic<bool> kill_requested{false};  // CLIENT KILL from any thread

  // Blocking commands (BZPOPMIN...): a handler that finds nothing calls Ctx::block_on, which fills
  // `block`; the worker then parks the client (blocked) until a write signals one of its keys or the
  // deadline passes, and re-runs block.argv each time it is woken.
  struct Block {
    bool requested = false;          // set by the handler during this dispatch
    int64_t deadline_ms = 0;         // absolute unix ms; 0: wait forever
    std::vector<std::string> keys;   // what it waits for
    std::vector<std::string> argv;   // the command to re-run
  } block;
  bool blocked = false;

  // MULTI ... EXEC: commands queued after MULTI (argv copies), and whether one was rejected while
  // queuing (EXEC then aborts). in_exec: the queued commands are running now.
  struct Multi {
    bool active = false;
    bool dirty = false;
    std::vector<std::vector<std::string>> queued;
  } multi;
  bool in_exec = false;
  // WATCH: the keys this client watches (database, key), each also registered in its shard
  // (Keyspace::watch), and the flag a change to any of them sets from any thread.
  std::vector<std::pair<int, std::string>> watched;
  std::atomic<bool> watch_dirty{false};

  mutable std::mutex meta_mu;  // guards the strings below
  std::string name, lib_name, lib_ver;
  std::string user_name = "default";  // the ACL user's name, for CLIENT LIST and ACL LOG

  Buffer in;
  Buffer out;
  RequestParser parser;
  ReplyWriter writer;
};

// Redis keeps the first 16 KiB of a client's pending output in its fixed reply buffer (CLIENT LIST
// obl) and counts only the rest (omem) against client-output-buffer-limit; Tally splits its one
// output buffer the same way, so small limits act as in Redis (a short reply never trips them).
inline constexpr uint64_t kReplyBufferBytes = 16 * 1024;
inline uint64_t limited_output(uint64_t pending) { return pending > kReplyBufferBytes ? pending - kReplyBufferBytes : 0; }

// The client's CLIENT LIST line without its newline, as Redis's catClientInfoString (log lines).
std::string client_info_string(Client& c);

// All connected clients, for CLIENT LIST / KILL and INFO clients. Thread-safe.
class ClientRegistry {
 public:
  void add(Client* c);
  void remove(Client* c);
  std::size_t count() const;
  // Calls fn(Client&) for every client under the registry lock.
  void for_each(const std::function<void(Client&)>& fn) const;
  // Wakes the worker that owns a client (set by the server; used after kill_requested is set).
  std::function<void(int worker)> wake_worker;

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, Client*> clients_;  // by id: connection order, as CLIENT LIST shows it
};

}  // namespace tally
