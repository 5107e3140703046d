#include "tests/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace tally_test {

namespace {

// Writing to a socket the server closed must not kill the test binary (hiredis uses write()).
const bool kIgnoreSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

int ConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Whether process `pid` owns a socket listening on 127.0.0.1:port (or 0.0.0.0:port). Guards against taking another
// program's server on a reused port for ours.
bool ListensOn(pid_t pid, int port) {
  std::ifstream tcp("/proc/net/tcp");
  if (!tcp) return true;  // cannot tell: trust the connect
  std::vector<std::string> inodes;
  std::string line;
  std::getline(tcp, line);  // header
  char want[16];
  snprintf(want, sizeof want, ":%04X", port);
  // IPv4 sockets, then IPv6 ones (a dual-stack "::" listener, the default bind "* -::*").
  std::ifstream tcp6("/proc/net/tcp6");
  std::getline(tcp6, line);
  for (std::istream* in : {static_cast<std::istream*>(&tcp), static_cast<std::istream*>(&tcp6)})
  while (std::getline(*in, line)) {
    std::istringstream ls(line);
    std::string sl, local, remote, st, q, tr, retr, uid, timeout, inode;
    ls >> sl >> local >> remote >> st >> q >> tr >> retr >> uid >> timeout >> inode;
    if (st == "0A" && local.size() > 5 && local.substr(local.size() - 5) == want) inodes.push_back("socket:[" + inode + "]");
  }
  if (inodes.empty()) return false;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code ec2;
    auto target = std::filesystem::read_symlink(e.path(), ec2);
    if (!ec2 && std::find(inodes.begin(), inodes.end(), target.string()) != inodes.end()) return true;
  }
  return false;
}

// Inodes of the IPv4 TCP sockets listening on `port`, asked of the kernel through sock_diag, which lists only
// listening sockets: reading /proc/net/tcp costs milliseconds once a test run leaves thousands of TIME_WAIT
// connections behind. False if netlink cannot answer.
bool ListeningInodes(int port, std::vector<unsigned long>* out, int family = AF_INET) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = static_cast<uint8_t>(family);
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = 1u << 10;  // TCP_LISTEN
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  bool ok = sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == static_cast<ssize_t>(sizeof msg);
  alignas(nlmsghdr) char buf[32768];
  for (bool done = !ok; !done;) {
    pollfd p{fd, POLLIN, 0};
    ssize_t n = poll(&p, 1, 1000) == 1 ? recv(fd, buf, sizeof buf, 0) : -1;
    if (n <= 0) {
      ok = false;
      break;
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        ok = h->nlmsg_type == NLMSG_DONE;
        done = true;
        break;
      }
      const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      if (ntohs(d->id.idiag_sport) == port) out->push_back(d->idiag_inode);
    }
  }
  close(fd);
  return ok;
}

// ListensOn through sock_diag when it answers (else through /proc/net/tcp).
bool ListensOnFast(pid_t pid, int port) {
  std::vector<unsigned long> inodes;
  if (!ListeningInodes(port, &inodes) || !ListeningInodes(port, &inodes, AF_INET6)) return ListensOn(pid, port);
  if (inodes.empty()) return false;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code ec2;
    std::string target = std::filesystem::read_symlink(e.path(), ec2).string();
    for (unsigned long ino : inodes)
      if (!ec2 && target == "socket:[" + std::to_string(ino) + "]") return true;
  }
  return false;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

::testing::AssertionResult Fail(const redisReply* r, const std::string& want) {
  return ::testing::AssertionFailure() << "expected " << want << ", got " << Describe(r);
}

bool Report(const ::testing::AssertionResult& res, const Loc& loc) {
  if (!res) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << res.message();
  }
  return static_cast<bool>(res);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

std::string ServerBinary() {
  const char* env = std::getenv("TALLY_SERVER");
  std::string p = (env && *env) ? env : "./tally-server";
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.string();
}

bool ServerIsRealRedis() {
  std::string base = std::filesystem::path(ServerBinary()).filename().string();
  return base.rfind("redis-server", 0) == 0;
}

Server::Server(std::vector<std::string> extra_args) : extra_(std::move(extra_args)) {}

Server::~Server() { Stop(); }

bool Server::Start(std::string* error) {
  std::string err;
  bool retry = true;
  // Only an early exit (typically: the port was taken meanwhile) is worth another port; a hang is not.
  for (int attempt = 0; attempt < 4 && retry; ++attempt) {
    if (StartOnce(&err, &retry)) return true;
  }
  if (error) *error = err;
  return false;
}

bool Server::StartOnce(std::string* error, bool* retry) {
  *retry = false;
  Stop();
  std::string bin = ServerBinary();
  if (access(bin.c_str(), X_OK) != 0) {
    *error = "server binary '" + bin + "' is not executable (set TALLY_SERVER)";
    return false;
  }
  char tmpl[] = "/tmp/tally-integ-XXXXXX";
  if (!mkdtemp(tmpl)) {
    *error = std::string("mkdtemp: ") + strerror(errno);
    return false;
  }
  dir_ = tmpl;
  if (!Spawn(/*truncate_log=*/true, error)) return false;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Alive()) {
      *retry = true;
      *error = "server " + exit_desc_ + " before accepting connections; command: ";
      for (auto& a : last_args_) *error += (a.empty() ? "\"\"" : a) + " ";
      *error += "\nlog tail:\n" + LogTail();
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
      return false;
    }
    if (ListensOn(pid_, port_)) {
      int fd = ConnectTcp(port_);
      if (fd >= 0) {
        // A server that listens may still be loading its data (-LOADING): the tests want it loaded.
        // With a password, NOAUTH comes before LOADING, so the probe authenticates first. QUIT makes the
        // server close the probe itself, and a server drops a client from its count (INFO
        // connected_clients, maxclients) before closing the socket: once the close is seen here, the
        // probe no longer holds a slot, which a test that counts clients or lowers maxclients relies on.
        bool loading = false;
        std::string probe = "PING\r\nQUIT\r\n";
        for (size_t i = 0; i + 1 < extra_.size(); ++i)
          if (extra_[i] == "--requirepass") probe = "AUTH " + extra_[i + 1] + "\r\n" + probe;
        if (write(fd, probe.data(), probe.size()) == static_cast<ssize_t>(probe.size())) {
          char buf[256] = {};
          timeval tv{2, 0};
          setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
          std::string got;
          for (;;) {  // until the server's close (or the 2 s timeout)
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n <= 0) break;
            got.append(buf, static_cast<size_t>(n));
          }
          loading = got.find("-LOADING") != std::string::npos;
        }
        close(fd);
        if (!loading) return true;
      }
    }
    SleepMs(10);
  }
  *error = "server did not accept connections on port " + std::to_string(port_) + " within 10 s\nlog tail:\n" + LogTail();
  Stop();
  return false;
}

// Forks and execs the server in dir_ on a fresh port. Everything the child needs is prepared before the fork
// (tests may fork from several threads at once).
bool Server::Spawn(bool truncate_log, std::string* error) {
  std::string bin = ServerBinary();
  port_ = FreePort();
  exit_desc_.clear();
  exit_code_ = -1;
  std::vector<std::string> args = {bin,          "--port",       std::to_string(port_), "--bind", "127.0.0.1", "--dir",
                                   dir_,         "--appendonly", "no",                  "--save", ""};
  // Two workers whatever the machine: the default (one fewer than the cores) is one on a 2-core box,
  // and the paths between workers (a write waking a client blocked on another worker, CLIENT KILL,
  // EXEC's gate) must be exercised there too.
  if (!ServerIsRealRedis() && std::find(extra_.begin(), extra_.end(), "--workers") == extra_.end())
    args.insert(args.end(), {"--workers", "2"});
  args.insert(args.end(), extra_.begin(), extra_.end());
  if (!config_file_.empty()) args.insert(args.begin() + 1, config_file_);
  last_args_ = args;
  std::string log = dir_ + "/server.log";
  {
    struct stat st {};
    log_offset_ = (!truncate_log && stat(log.c_str(), &st) == 0) ? static_cast<unsigned long long>(st.st_size) : 0;
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment: ours, with env_'s entries added or replacing ours.
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = std::any_of(env_.begin(), env_.end(), [&](const std::string& x) { return x.substr(0, x.find('=')) == name; });
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), env_.begin(), env_.end());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int log_flags = O_WRONLY | O_CREAT | (truncate_log ? O_TRUNC : O_APPEND);
  const unsigned long long fsize = file_size_limit_;
  const auto nofile = nofile_;

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test binary
    if (getppid() != parent) _exit(127);
    int fd = open(log.c_str(), log_flags, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) {
      dup2(nul, 0);
      close(nul);
    }
    // Other servers' and clients' descriptors of the test process (other threads may be starting servers
    // too) must not live on in this one.
    for (int i = 3; i < 1024; ++i) close(i);
    if (fsize) {  // the soft limit, as `ulimit -S -f`: a test may lift it again (prlimit) up to the hard one
      rlimit rl{};
      getrlimit(RLIMIT_FSIZE, &rl);
      rl.rlim_cur = static_cast<rlim_t>(fsize);
      if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur) rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_FSIZE, &rl);
    }
    if (nofile.first) {  // as `ulimit -n`, for an unprivileged server even under root
      prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0);
      rlimit rl{};
      getrlimit(RLIMIT_NOFILE, &rl);
      rl.rlim_cur = static_cast<rlim_t>(nofile.first);
      if (nofile.second) rl.rlim_max = static_cast<rlim_t>(nofile.second);
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (chdir(dir_.c_str()) != 0) _exit(126);
    execve(bin.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  return true;
}

bool Server::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_desc_ = r == pid_ ? DescribeStatus(status) : "vanished";
  exit_code_ = r == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return false;
}

void Server::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    bool reaped = false;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        reaped = true;
        break;
      }
      SleepMs(5);
    }
    if (!reaped) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

void Server::AdoptDir(const std::string& dir) {
  Stop();
  dir_ = dir;
}

bool Server::Kill9() {
  if (pid_ <= 0 || !Alive()) return false;
  kill(pid_, SIGKILL);
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) {
    exit_desc_ = DescribeStatus(status);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_ = -1;
  return true;
}

bool Server::Launch(std::string* error) {
  if (Alive()) {
    *error = "the server is still running";
    return false;
  }
  std::string bin = ServerBinary();
  if (access(bin.c_str(), X_OK) != 0) {
    *error = "server binary '" + bin + "' is not executable (set TALLY_SERVER)";
    return false;
  }
  if (dir_.empty()) {
    char tmpl[] = "/tmp/tally-integ-XXXXXX";
    if (!mkdtemp(tmpl)) {
      *error = std::string("mkdtemp: ") + strerror(errno);
      return false;
    }
    dir_ = tmpl;
  }
  return Spawn(/*truncate_log=*/false, error);
}

bool Server::WaitListening(int timeout_ms, std::string* error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Alive()) {
      *error = "server " + exit_desc_ + " before accepting connections; command: ";
      for (auto& a : last_args_) *error += (a.empty() ? "\"\"" : a) + " ";
      *error += "\nlog since the start:\n" + LogSinceStart();
      return false;
    }
    if (ListensOnFast(pid_, port_)) {
      int fd = ConnectTcp(port_);
      if (fd >= 0) {
        close(fd);
        return true;
      }
    }
    SleepMs(2);
  }
  *error = "server did not accept connections on port " + std::to_string(port_) + " within " +
           std::to_string(timeout_ms) + " ms\nlog since the start:\n" + LogSinceStart();
  return false;
}

bool Server::Restart(std::string* error) {
  for (int attempt = 0;; ++attempt) {
    if (!Launch(error)) return false;
    if (WaitListening(10000, error)) return true;
    // A port taken meanwhile is worth another one; anything else is the server's answer.
    bool port_taken = !Alive() && LogSinceStart().find("Address already in use") != std::string::npos;
    if (!port_taken || attempt >= 3) return false;
  }
}

bool Server::WaitExit(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Alive()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    SleepMs(5);
  }
  return true;
}

std::string Server::LogSinceStart() const {
  if (dir_.empty()) return "(no log)";
  std::ifstream in(dir_ + "/server.log", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return log_offset_ < s.size() ? s.substr(log_offset_) : std::string();
}

std::string Server::LogTail(size_t max_bytes) const {
  if (dir_.empty()) return "(no log)";
  std::ifstream in(dir_ + "/server.log", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

// ---------------------------------------------------------------------------------------------------------

bool Client::Connect(int port, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ctx_.reset(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (!ctx_ || ctx_->err) return false;
  redisSetTimeout(ctx_.get(), tv);
  return true;
}

std::string Client::error() const {
  if (!ctx_) return "no context";
  return ctx_->err ? std::string(ctx_->errstr) : std::string();
}

Reply Cmd(redisContext* c, const std::vector<std::string>& args) {
  if (!c || c->err) return nullptr;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

void Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
}

Reply GetReply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) return nullptr;
  return Reply(static_cast<redisReply*>(r));
}

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char ch : s) {
    switch (ch) {
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (ch < 32 || ch >= 127) {
          char b[8];
          snprintf(b, sizeof b, "\\x%02x", ch);
          out += b;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out;
}

std::string Describe(const redisReply* r) {
  if (!r) return "(no reply: connection error or timeout)";
  switch (r->type) {
    case REDIS_REPLY_STATUS: return "+" + Escape(std::string_view(r->str, r->len));
    case REDIS_REPLY_ERROR: return "-" + Escape(std::string_view(r->str, r->len));
    case REDIS_REPLY_INTEGER: return "(integer) " + std::to_string(r->integer);
    case REDIS_REPLY_NIL: return "(nil)";
    case REDIS_REPLY_STRING: return "\"" + Escape(std::string_view(r->str, r->len)) + "\"";
    case REDIS_REPLY_ARRAY: {
      std::string s = "[";
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) s += ", ";
        if (s.size() > 2000) {
          s += "... (" + std::to_string(r->elements) + " elements)";
          break;
        }
        s += Describe(r->element[i]);
      }
      return s + "]";
    }
  }
  return "(reply type " + std::to_string(r->type) + ")";
}

::testing::AssertionResult IsStatus(const redisReply* r, std::string_view s) {
  if (r && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == s) return ::testing::AssertionSuccess();
  return Fail(r, "+" + Escape(s));
}

::testing::AssertionResult IsError(const redisReply* r, std::string_view s) {
  if (r && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len) == s) return ::testing::AssertionSuccess();
  return Fail(r, "-" + Escape(s));
}

::testing::AssertionResult IsErrorPrefix(const redisReply* r, std::string_view s) {
  if (r && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).substr(0, s.size()) == s) return ::testing::AssertionSuccess();
  return Fail(r, "an error starting with -" + Escape(s));
}

::testing::AssertionResult IsInt(const redisReply* r, long long v) {
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer == v) return ::testing::AssertionSuccess();
  return Fail(r, "(integer) " + std::to_string(v));
}

::testing::AssertionResult IsBulk(const redisReply* r, std::string_view s) {
  if (r && r->type == REDIS_REPLY_STRING && std::string_view(r->str, r->len) == s) return ::testing::AssertionSuccess();
  return Fail(r, "\"" + Escape(s) + "\"");
}

::testing::AssertionResult IsNil(const redisReply* r) {
  if (r && r->type == REDIS_REPLY_NIL) return ::testing::AssertionSuccess();
  return Fail(r, "(nil)");
}

::testing::AssertionResult IsArrayLen(const redisReply* r, size_t n) {
  if (r && r->type == REDIS_REPLY_ARRAY && r->elements == n) return ::testing::AssertionSuccess();
  return Fail(r, "an array of " + std::to_string(n) + " elements");
}

static std::string DescribeBulks(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + Escape(v[i]) + "\"";
  return s + "]";
}

::testing::AssertionResult IsBulks(const redisReply* r, const std::vector<std::string>& v) {
  bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == v.size();
  for (size_t i = 0; ok && i < v.size(); ++i) {
    const redisReply* e = r->element[i];
    ok = e->type == REDIS_REPLY_STRING && std::string_view(e->str, e->len) == v[i];
  }
  if (ok) return ::testing::AssertionSuccess();
  return Fail(r, DescribeBulks(v));
}

::testing::AssertionResult IsBulkSet(const redisReply* r, std::vector<std::string> v) {
  bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == v.size();
  std::vector<std::string> got;
  for (size_t i = 0; ok && i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    ok = e->type == REDIS_REPLY_STRING;
    if (ok) got.emplace_back(e->str, e->len);
  }
  std::sort(v.begin(), v.end());
  std::sort(got.begin(), got.end());
  if (ok && got == v) return ::testing::AssertionSuccess();
  return Fail(r, "in any order " + DescribeBulks(v));
}

bool ExpectStatus(const Reply& r, std::string_view s, Loc loc) { return Report(IsStatus(r.get(), s), loc); }
bool ExpectOk(const Reply& r, Loc loc) { return Report(IsStatus(r.get(), "OK"), loc); }
bool ExpectError(const Reply& r, std::string_view s, Loc loc) { return Report(IsError(r.get(), s), loc); }
bool ExpectErrorPrefix(const Reply& r, std::string_view s, Loc loc) { return Report(IsErrorPrefix(r.get(), s), loc); }
bool ExpectInt(const Reply& r, long long v, Loc loc) { return Report(IsInt(r.get(), v), loc); }
bool ExpectBulk(const Reply& r, std::string_view s, Loc loc) { return Report(IsBulk(r.get(), s), loc); }
bool ExpectNil(const Reply& r, Loc loc) { return Report(IsNil(r.get()), loc); }
bool ExpectArrayLen(const Reply& r, size_t n, Loc loc) { return Report(IsArrayLen(r.get(), n), loc); }
bool ExpectBulks(const Reply& r, const std::vector<std::string>& v, Loc loc) { return Report(IsBulks(r.get(), v), loc); }
bool ExpectBulkSet(const Reply& r, const std::vector<std::string>& v, Loc loc) { return Report(IsBulkSet(r.get(), v), loc); }

const redisReply* Elem(const redisReply* r, size_t i) {
  if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements) return nullptr;
  return r->element[i];
}

std::vector<std::string> Strings(const redisReply* r) {
  std::vector<std::string> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)
      out.emplace_back(e->str, e->len);
    else
      out.push_back("<type " + std::to_string(e->type) + ">");
  }
  return out;
}

std::string InfoField(const std::string& info, std::string_view name) {
  std::string key = std::string(name) + ":";
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find("\r\n", pos);
    if (end == std::string::npos) end = info.size();
    std::string_view line(info.data() + pos, end - pos);
    if (line.substr(0, key.size()) == key) return std::string(line.substr(key.size()));
    pos = end + 2;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------------

RawConn::RawConn(int port) { fd_ = ConnectTcp(port); }

RawConn::~RawConn() { Close(); }

void RawConn::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RawConn::Fill(int timeout_ms) {
  if (fd_ < 0 || eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int pr = poll(&p, 1, timeout_ms);
  if (pr <= 0) return false;
  char tmp[65536];
  ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
  if (n > 0) {
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  if (n == 0 || (errno != EINTR && errno != EAGAIN)) eof_ = true;
  return false;
}

bool RawConn::Send(std::string_view bytes) {
  if (fd_ < 0) return false;
  size_t off = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (off < bytes.size()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{fd_, static_cast<short>(POLLOUT | (eof_ ? 0 : POLLIN)), 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    if ((p.revents & POLLIN) && !eof_) Fill(0);
    if (p.revents & (POLLERR | POLLHUP)) return false;
    if (p.revents & POLLOUT) {
      ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        off += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
  }
  return true;
}

std::string RawConn::Read(size_t n, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (buf_.size() < n && !eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    Fill(static_cast<int>(left));
  }
  size_t take = std::min(n, buf_.size());
  std::string out = buf_.substr(0, take);
  buf_.erase(0, take);
  return out;
}

std::string RawConn::ReadUntil(std::string_view delim, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (buf_.find(delim) == std::string::npos && !eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    Fill(static_cast<int>(left));
  }
  size_t pos = buf_.find(delim);
  size_t take = pos == std::string::npos ? buf_.size() : pos + delim.size();
  std::string out = buf_.substr(0, take);
  buf_.erase(0, take);
  return out;
}

std::string RawConn::ReadUntilClosed(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    Fill(static_cast<int>(left));
  }
  std::string out;
  out.swap(buf_);
  return out;
}

// The same wait as ReadUntilClosed: a test that expects nothing must give late bytes the whole
// timeout to show up.
std::string RawConn::ReadAvailable(int timeout_ms) { return ReadUntilClosed(timeout_ms); }

bool ExpectRaw(RawConn& conn, std::string_view req, std::string_view expected, Loc loc) {
  ::testing::AssertionResult res = ::testing::AssertionSuccess();
  if (!conn.connected()) {
    res = ::testing::AssertionFailure() << "raw connection is not connected";
  } else if (!conn.Send(req)) {
    res = ::testing::AssertionFailure() << "could not send \"" << Escape(req.substr(0, 200)) << "\"";
  } else {
    std::string got = conn.Read(expected.size());
    if (got != expected) {
      // Pick up a little more for the message (e.g. an unexpected longer error).
      got += conn.ReadAvailable(100);
      res = ::testing::AssertionFailure() << "sent \"" << Escape(req.substr(0, 200)) << "\"\n  expected \"" << Escape(expected)
                                          << "\"\n       got \"" << Escape(got.substr(0, 2000)) << "\""
                                          << (conn.peer_closed() ? " (then the server closed the connection)" : "");
    }
  }
  return Report(res, loc);
}

bool ExpectRawThenClose(RawConn& conn, std::string_view req, std::string_view expected, Loc loc) {
  ::testing::AssertionResult res = ::testing::AssertionSuccess();
  if (!conn.connected()) {
    res = ::testing::AssertionFailure() << "raw connection is not connected";
  } else if (!conn.Send(req)) {
    res = ::testing::AssertionFailure() << "could not send \"" << Escape(req.substr(0, 200)) << "\"";
  } else {
    std::string got = conn.ReadUntilClosed(3000);
    if (got != expected || !conn.peer_closed()) {
      res = ::testing::AssertionFailure() << "sent \"" << Escape(req.substr(0, 200)) << "\"\n  expected \"" << Escape(expected)
                                          << "\" and then a close\n       got \"" << Escape(got.substr(0, 2000)) << "\""
                                          << (conn.peer_closed() ? " and a close" : " and the connection stayed open");
    }
  }
  return Report(res, loc);
}

std::string Resp(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// ---------------------------------------------------------------------------------------------------------

int FreeLocalPort() { return FreePort(); }

std::unique_ptr<Server> StartServer(std::vector<std::string> extra_args) {
  auto s = std::make_unique<Server>(std::move(extra_args));
  std::string err;
  if (!s->Start(&err)) {
    ADD_FAILURE() << "could not start the server: " << err;
    return nullptr;
  }
  return s;
}

bool ExpectStartRefused(std::vector<std::string> extra_args, std::string_view logged, Loc loc) {
  Server server(std::move(extra_args));
  std::string error;
  ::testing::AssertionResult res = ::testing::AssertionSuccess();
  if (!server.Launch(&error)) {
    res = ::testing::AssertionFailure() << "could not launch the server: " << error;
  } else if (!server.WaitExit(10000)) {
    res = ::testing::AssertionFailure() << "the server kept running; expected it to log: " << logged;
  } else if (server.exit_code() != 1 || server.LogSinceStart().find(logged) == std::string::npos) {
    res = ::testing::AssertionFailure() << "exit code " << server.exit_code() << " (want 1), expected in the log: "
                                        << logged << "\nlog:\n" << server.LogSinceStart();
  }
  return Report(res, loc);
}

std::unique_ptr<Server> SharedServerTest::server_;
std::string SharedServerTest::start_error_;

void SharedServerTest::SetUpTestSuite() {
  start_error_.clear();
  server_ = std::make_unique<Server>();
  if (!server_->Start(&start_error_)) {
    server_.reset();
    if (start_error_.empty()) start_error_ = "unknown error";
  }
}

void SharedServerTest::TearDownTestSuite() { server_.reset(); }

void SharedServerTest::SetUp() {
  // A failed start is reported by every test of the suite without trying again.
  ASSERT_TRUE(start_error_.empty()) << "could not start the server: " << start_error_;
  if (!server_ || !server_->Alive()) {
    server_ = std::make_unique<Server>();
    if (!server_->Start(&start_error_)) {
      server_.reset();
      FAIL() << "could not restart the server: " << start_error_;
    }
  }
  ASSERT_TRUE(client_.Connect(server_->port())) << "cannot connect: " << client_.error();
  Reply r = Cmd(client_, {"FLUSHALL"});
  ASSERT_TRUE(IsStatus(r.get(), "OK")) << "FLUSHALL before the test";
}

void SharedServerTest::TearDown() {
  client_.Close();
  if (!server_) return;
  // The server must still be running and answering; otherwise this test broke it: report, and start afresh next time.
  std::string problem;
  if (!server_->Alive()) {
    problem = "the server " + server_->exit_description() + " during this test";
  } else {
    Client probe(server_->port(), 3000);
    Reply pong = probe.ok() ? Cmd(probe, {"PING"}) : nullptr;
    if (!IsStatus(pong.get(), "PONG")) {
      SleepMs(200);  // a crashing process may still be writing its report
      problem = server_->Alive() ? "the server stopped answering PING after this test (" + Describe(pong.get()) + ")"
                                 : "the server " + server_->exit_description() + " during this test";
    }
  }
  if (!problem.empty()) {
    ADD_FAILURE() << problem << "; log tail:\n" << server_->LogTail();
    server_.reset();  // kills it if needed; the next test starts a fresh one
  }
}

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace tally_test
