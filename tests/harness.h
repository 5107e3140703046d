// End-to-end test harness: starts the server binary named by $TALLY_SERVER (default ./tally-server) on a
// free loopback port in a fresh temp dir, and talks to it through hiredis (Client, Cmd, Expect*) or through a
// raw TCP socket (RawConn) for byte-exact protocol checks. The same tests run against a real redis-server 7.0
// (TALLY_SERVER=/usr/bin/redis-server), which is how they were validated.
//
// Typical use:
//   class StringsTest : public tally_test::SharedServerTest {};   // one server per suite, FLUSHALL per test
//   TEST_F(StringsTest, Set) {
//     ExpectStatus(Cmd(c(), {"SET", "k", "v"}), "OK");
//     ExpectBulk(Cmd(c(), {"GET", "k"}), "v");
//     ExpectError(Cmd(c(), {"SET", "k"}), "ERR wrong number of arguments for 'set' command");
//   }
// Expect* record a non-fatal failure at the caller's line and return whether they passed, so
// `ASSERT_TRUE(ExpectInt(...))` stops the test.
#pragma once

#include <hiredis/hiredis.h>

#include <gtest/gtest.h>

#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace tally_test {

// ---------------------------------------------------------------------------------------------------------
// Server process

// Absolute path of the server under test: $TALLY_SERVER, else ./tally-server.
std::string ServerBinary();
// True when the binary under test is a real redis-server (its file name starts with "redis-server"). Only for
// skipping checks of features the reference Redis 7.0 lacks (e.g. CLIENT SETINFO, added in 7.2).
bool ServerIsRealRedis();

class Server {
 public:
  // Extra flags go after the standard ones: <bin> --port P --bind 127.0.0.1 --dir D --appendonly no --save "" <extra...>
  explicit Server(std::vector<std::string> extra_args = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the process and waits (up to 10 s) until it answers on its port. Retries on another port if the
  // process exits early (e.g. the port was taken). On failure returns false and fills *error.
  bool Start(std::string* error);
  // SIGTERM, then SIGKILL after 5 s; removes the temp dir.
  void Stop();
  // Whether the process is still running (reaps it if it died).
  bool Alive();
  // How the process ended, e.g. "killed by signal 11" (empty while running).
  const std::string& exit_description() const { return exit_desc_; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string LogTail(size_t max_bytes = 4000) const;

  // ---- Restarts on the same data (durability tests) ----
  // The settings below apply from the next start (Start, Launch or Restart) on.
  // Replaces the extra flags.
  void SetExtraArgs(std::vector<std::string> extra_args) { extra_ = std::move(extra_args); }
  // A config file, passed first (before every flag, which override its lines); "" for none.
  void SetConfigFile(std::string path) { config_file_ = std::move(path); }
  const std::vector<std::string>& extra_args() const { return extra_; }
  // "NAME=value" entries added to (or replacing in) the child's environment; {} for none.
  void SetEnv(std::vector<std::string> env) { env_ = std::move(env); }
  // The soft RLIMIT_FSIZE of the child in bytes (like `ulimit -S -f`); 0 leaves the limit as it is.
  void SetFileSizeLimit(unsigned long long bytes) { file_size_limit_ = bytes; }
  // The child's RLIMIT_NOFILE (soft, hard; 0 leaves the limit as it is). The child also loses
  // CAP_SYS_RESOURCE, so that it cannot raise the hard limit even when the tests run as root.
  void SetOpenFilesLimit(unsigned long long soft, unsigned long long hard) { nofile_ = {soft, hard}; }
  // Takes over an existing directory (e.g. a copy of another server's): the next Launch or Restart runs
  // there, and Stop (or the destructor) removes it. REQUIRES: not running.
  void AdoptDir(const std::string& dir);
  // SIGKILL, then reap; keeps the directory for a restart on the same data. False if it was not running.
  bool Kill9();
  // Starts the process again in dir() (a fresh one if there is none) on a fresh port, without waiting
  // for it; its output is appended to server.log. REQUIRES: not running.
  bool Launch(std::string* error);
  // Waits up to timeout_ms until the process accepts connections on its port: true; false (with *error)
  // if it exits first or the time runs out. Never removes the directory.
  bool WaitListening(int timeout_ms, std::string* error);
  // Launch + WaitListening(10 s), launching again on another port if the port was taken meanwhile.
  bool Restart(std::string* error);
  // Waits up to timeout_ms for the process to end on its own (it is reaped); true when it did.
  bool WaitExit(int timeout_ms);
  // The exit code of the process once it exited normally; -1 while running, or if a signal ended it.
  int exit_code() const { return exit_code_; }
  // What the server logged since its latest start (server.log from that start on).
  std::string LogSinceStart() const;

 private:
  bool StartOnce(std::string* error, bool* retry);
  bool Spawn(bool truncate_log, std::string* error);
  std::vector<std::string> extra_;
  std::string config_file_;
  std::vector<std::string> env_;
  unsigned long long file_size_limit_ = 0;
  std::pair<unsigned long long, unsigned long long> nofile_{0, 0};
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::string exit_desc_;
  int exit_code_ = -1;
  std::vector<std::string> last_args_;
  unsigned long long log_offset_ = 0;
};

// ---------------------------------------------------------------------------------------------------------
// hiredis helpers

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c) redisFree(c);
  }
};

class Client {
 public:
  Client() = default;
  explicit Client(int port, int timeout_ms = 5000) { Connect(port, timeout_ms); }
  bool Connect(int port, int timeout_ms = 5000);
  bool ok() const { return ctx_ && ctx_->err == 0; }
  std::string error() const;
  redisContext* get() const { return ctx_.get(); }
  operator redisContext*() const { return ctx_.get(); }
  void Close() { ctx_.reset(); }

 private:
  std::unique_ptr<redisContext, ContextDeleter> ctx_;
};

// Binary-safe command (redisCommandArgv). Returns null when the connection failed (then c->errstr says why).
Reply Cmd(redisContext* c, const std::vector<std::string>& args);
// Pipelining: queue commands, then read their replies in order.
void Append(redisContext* c, const std::vector<std::string>& args);
Reply GetReply(redisContext* c);

// Human-readable rendering of a reply for failure messages: +OK, -ERR x, (integer) 5, "bulk", (nil), [a, b].
std::string Describe(const redisReply* r);
// Printable form of raw bytes (CR, LF, non-printables escaped).
std::string Escape(std::string_view s);

// Predicates (usable with EXPECT_TRUE to get the message) ...
::testing::AssertionResult IsStatus(const redisReply* r, std::string_view s);
::testing::AssertionResult IsError(const redisReply* r, std::string_view full_text);  // e.g. "ERR syntax error"
::testing::AssertionResult IsErrorPrefix(const redisReply* r, std::string_view prefix);
::testing::AssertionResult IsInt(const redisReply* r, long long v);
::testing::AssertionResult IsBulk(const redisReply* r, std::string_view s);
::testing::AssertionResult IsNil(const redisReply* r);
::testing::AssertionResult IsArrayLen(const redisReply* r, size_t n);
::testing::AssertionResult IsBulks(const redisReply* r, const std::vector<std::string>& v);    // in this order
::testing::AssertionResult IsBulkSet(const redisReply* r, std::vector<std::string> v);         // any order

// ... and the same as assertions that report at the caller's line and return whether they passed.
using Loc = std::source_location;
bool ExpectStatus(const Reply& r, std::string_view s, Loc loc = Loc::current());
bool ExpectOk(const Reply& r, Loc loc = Loc::current());
bool ExpectError(const Reply& r, std::string_view full_text, Loc loc = Loc::current());
bool ExpectErrorPrefix(const Reply& r, std::string_view prefix, Loc loc = Loc::current());
bool ExpectInt(const Reply& r, long long v, Loc loc = Loc::current());
bool ExpectBulk(const Reply& r, std::string_view s, Loc loc = Loc::current());
bool ExpectNil(const Reply& r, Loc loc = Loc::current());
bool ExpectArrayLen(const Reply& r, size_t n, Loc loc = Loc::current());
bool ExpectBulks(const Reply& r, const std::vector<std::string>& v, Loc loc = Loc::current());
bool ExpectBulkSet(const Reply& r, const std::vector<std::string>& v, Loc loc = Loc::current());

// Element accessors that never crash: null when r is not an array or i is out of range.
const redisReply* Elem(const redisReply* r, size_t i);
// Collects the bulk/status strings of an array reply (other element types become "<type N>").
std::vector<std::string> Strings(const redisReply* r);
// Value of field `name` ("name:value" lines) in an INFO text; empty when absent.
std::string InfoField(const std::string& info, std::string_view name);

// ---------------------------------------------------------------------------------------------------------
// Raw socket: exact bytes in, exact bytes out.

class RawConn {
 public:
  explicit RawConn(int port);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes all bytes; while the socket is not writable it drains incoming bytes into the read buffer, so a huge
  // pipeline cannot deadlock. False if the peer is gone.
  bool Send(std::string_view bytes);
  // Reads until n bytes are buffered, the peer closes, or timeout; returns (and consumes) up to n bytes.
  std::string Read(size_t n, int timeout_ms = 5000);
  // Reads until `delim` is seen (returns through the delimiter), the peer closes, or timeout (returns what came).
  std::string ReadUntil(std::string_view delim, int timeout_ms = 5000);
  // Reads everything until the peer closes (or timeout); returns all unconsumed bytes.
  std::string ReadUntilClosed(int timeout_ms = 5000);
  // Waits up to timeout_ms for more bytes (the whole timeout unless the peer closes, like
  // ReadUntilClosed); returns whatever was buffered (consumed).
  std::string ReadAvailable(int timeout_ms = 200);
  // True once EOF / reset was observed.
  bool peer_closed() const { return eof_; }
  // Half-closes nothing: just closes our end.
  void Close();
  int fd() const { return fd_; }

 private:
  bool Fill(int timeout_ms);  // one poll+recv; false on timeout or EOF
  int fd_ = -1;
  bool eof_ = false;
  std::string buf_;
};

// Sends `req` and checks that exactly `expected` comes back (reads expected.size() bytes).
bool ExpectRaw(RawConn& conn, std::string_view req, std::string_view expected, Loc loc = Loc::current());
// Sends `req`, then checks that the server replies exactly `expected` and then closes the connection.
bool ExpectRawThenClose(RawConn& conn, std::string_view req, std::string_view expected, Loc loc = Loc::current());
// RESP encoding of a command as a multibulk.
std::string Resp(const std::vector<std::string>& args);

// ---------------------------------------------------------------------------------------------------------
// Fixtures

// Starts a server (extra flags optional), failing the current test/suite with the log tail if it cannot.
std::unique_ptr<Server> StartServer(std::vector<std::string> extra_args = {});
// Starts a server with these extra flags and checks that it refuses to run: it exits with status 1 within
// 10 s, having logged `logged`. Reports at the caller's line; returns whether it passed.
bool ExpectStartRefused(std::vector<std::string> extra_args, std::string_view logged, Loc loc = Loc::current());

// One server for the whole suite (started in SetUpTestSuite with the default flags); each test gets a fresh
// connection c() after FLUSHALL. If the server dies during a test, that test fails (with the log tail) and a new
// server is started for the next one.
class SharedServerTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;
  void TearDown() override;
  static int port() { return server_ ? server_->port() : 0; }
  static Server* server() { return server_.get(); }
  redisContext* c() { return client_.get(); }
  // A second, independent connection.
  Client NewClient() { return Client(port()); }

  static std::unique_ptr<Server> server_;
  static std::string start_error_;
  Client client_;
};

// A loopback TCP port that was free a moment ago (for a server's second listener, e.g. --tls-port).
int FreeLocalPort();

// Milliseconds since the Unix epoch (wall clock) / sleep helper.
long long NowMs();
void SleepMs(int ms);

}  // namespace tally_test
