// TLS end to end: a throwaway CA with server and client certificates made by the `openssl` command at
// suite start, a server listening on a plain port and a TLS port, and three drivers: redis-cli --tls,
// redis-benchmark --tls, and a small OpenSSL client (TlsClient) for what the tools cannot express (slow
// readers, split records, certificates the CA did not sign). Validated against redis-server 7.0
// (TALLY_SERVER=/usr/bin/redis-server), which is built with TLS on Debian.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

// Runs a shell command; returns its exit status and fills *out with stdout and stderr.
int Shell(const std::string& cmd, std::string* out) {
  out->clear();
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// An OpenSSL client on a blocking socket with timeouts. Verifies the server against `ca`; presents
// cert/key when given.
class TlsClient {
 public:
  struct Options {
    std::string cert, key;
    int max_version = 0;  // e.g. TLS1_2_VERSION; 0: the library's highest
    int timeout_ms = 5000;
  };
  TlsClient(int port, const std::string& ca, const Options& o) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      error_ = "connect failed";
      if (fd >= 0) close(fd);
      return;
    }
    fd_ = fd;
    timeval tv{o.timeout_ms / 1000, (o.timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (o.max_version) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    if (!o.cert.empty() && (SSL_CTX_use_certificate_chain_file(ctx_, o.cert.c_str()) != 1 ||
                            SSL_CTX_use_PrivateKey_file(ctx_, o.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
      error_ = "cannot load the client certificate";
      return;
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    ERR_clear_error();
    if (SSL_connect(ssl_) == 1) {
      connected_ = true;
    } else {
      error_ = LastError();
    }
  }
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }

  bool Send(std::string_view bytes) {
    while (connected_ && !bytes.empty()) {
      int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return Broke();
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return connected_;
  }
  // Send, with the socket corked so that the records reach the server together.
  bool SendBurst(std::string_view bytes) {
    int on = 1, off = 0;
    setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    bool ok = Send(bytes);
    setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    return ok;
  }
  // Reads until n bytes came, the session ends, or a read times out; returns what came.
  std::string Read(std::size_t n) {
    std::string out;
    char buf[16384];
    while (connected_ && out.size() < n) {
      int r = SSL_read(ssl_, buf, static_cast<int>(std::min(sizeof buf, n - out.size())));
      if (r <= 0) {
        Broke();
        break;
      }
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  // Sends a command and returns the reply's first bytes (as many as `expected` has).
  std::string Roundtrip(const std::vector<std::string>& args, std::string_view expected) {
    if (!Send(Resp(args))) return "<send failed: " + error_ + ">";
    return Read(expected.size());
  }

 private:
  static std::string LastError() {
    unsigned long e = ERR_get_error();
    if (!e) return "no TLS error (timeout or EOF)";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }
  bool Broke() {
    error_ = LastError();
    connected_ = false;
    return false;
  }
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  std::string error_;
};

// The suite's certificates: ca (trusted), server (localhost / 127.0.0.1), client (signed by ca), rogue
// (a client certificate from another CA), server-enc.key (server.key under the passphrase "secret").
class Certs {
 public:
  bool Make(std::string* error) {
    char tmpl[] = "/tmp/tally-tls-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    dir_ = tmpl;
    std::ofstream(dir_ + "/san.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::vector<std::string> steps = {
        "openssl req -x509 -new " + key + " -keyout ca.key -out ca.crt -days 2 -subj /CN=TallyTestCA",
        "openssl req -x509 -new " + key + " -keyout rogue-ca.key -out rogue-ca.crt -days 2 -subj /CN=Rogue",
        "openssl req -new " + key + " -keyout server.key -out server.csr -subj /CN=localhost",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
        "-extfile san.ext",
        "openssl req -new " + key + " -keyout client.key -out client.csr -subj /CN=client",
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2",
        "openssl req -new " + key + " -keyout rogue.key -out rogue.csr -subj /CN=rogue",
        "openssl x509 -req -in rogue.csr -CA rogue-ca.crt -CAkey rogue-ca.key -CAcreateserial -out rogue.crt -days 2",
        "openssl pkey -in server.key -aes256 -passout pass:secret -out server-enc.key",
    };
    for (const std::string& s : steps) {
      std::string out;
      if (Shell("cd " + dir_ + " && " + s, &out) != 0) {
        *error = s + ": " + out;
        return false;
      }
    }
    return true;
  }
  void Remove() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string operator()(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

class TlsTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    start_error_.clear();
    if (!certs_.Make(&start_error_)) return;
    server_ = std::make_unique<Server>();
    tls_port_ = StartTls(server_.get(), {}, &start_error_);
  }
  static void TearDownTestSuite() {
    server_.reset();
    certs_.Remove();
  }

 protected:
  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    ASSERT_TRUE(server_->Alive()) << server_->LogTail();
    Client c(server_->port());
    ExpectOk(Cmd(c, {"FLUSHALL"}));
  }
  void TearDown() override { EXPECT_TRUE(server_->Alive()) << server_->LogTail(); }

  // --tls-port and the certificates, then `extra`; replaces s's flags and starts it. Returns the TLS
  // port, or 0 with *error set.
  static int StartTls(Server* s, std::vector<std::string> extra, std::string* error) {
    int port = FreeLocalPort();
    std::vector<std::string> args = {"--tls-port",     std::to_string(port), "--tls-cert-file",    certs_("server.crt"),
                                     "--tls-key-file", certs_("server.key"), "--tls-ca-cert-file", certs_("ca.crt"),
                                     "--loglevel",     "verbose"};
    args.insert(args.end(), extra.begin(), extra.end());
    s->SetExtraArgs(args);
    return s->Start(error) ? port : 0;
  }
  static TlsClient::Options WithCert(const std::string& name = "client") {
    TlsClient::Options o;
    o.cert = certs_(name + ".crt");
    o.key = certs_(name + ".key");
    return o;
  }
  // A redis-cli (or redis-benchmark) command line with TLS and the client certificate.
  static std::string Tool(const std::string& tool, int port = 0) {
    return tool + " --tls --cacert " + certs_("ca.crt") + " --cert " + certs_("client.crt") + " --key " +
           certs_("client.key") + " -h 127.0.0.1 -p " + std::to_string(port ? port : tls_port_);
  }
  // Whether a client (options o) gets PONG on the TLS port.
  static bool Pongs(int port, const TlsClient::Options& o, std::string* why) {
    TlsClient t(port, certs_("ca.crt"), o);
    std::string got = t.Roundtrip({"PING"}, "+PONG\r\n");
    *why = got + " / " + t.error();
    return got == "+PONG\r\n";
  }

  static Certs certs_;
  static std::unique_ptr<Server> server_;
  static int tls_port_;
  static std::string start_error_;
};

Certs TlsTest::certs_;
std::unique_ptr<Server> TlsTest::server_;
int TlsTest::tls_port_ = 0;
std::string TlsTest::start_error_;

TEST_F(TlsTest, RedisCliPingSetGetAndThePlainPortShareTheData) {
  std::string out;
  ASSERT_EQ(Shell(Tool("redis-cli") + " PING", &out), 0) << out;
  EXPECT_EQ(out, "PONG\n");
  ASSERT_EQ(Shell(Tool("redis-cli") + " SET greeting hello", &out), 0) << out;
  EXPECT_EQ(out, "OK\n");
  ASSERT_EQ(Shell(Tool("redis-cli") + " GET greeting", &out), 0) << out;
  EXPECT_EQ(out, "hello\n");
  Client plain(server_->port());
  ExpectBulk(Cmd(plain, {"GET", "greeting"}), "hello");
  ExpectOk(Cmd(plain, {"SET", "from-plain", "1"}));
  ASSERT_EQ(Shell(Tool("redis-cli") + " GET from-plain", &out), 0) << out;
  EXPECT_EQ(out, "1\n");
}

TEST_F(TlsTest, ConfigGetShowsTheTlsSettings) {
  Client plain(server_->port());
  Reply r = Cmd(plain, {"CONFIG", "GET", "tls-port"});
  ExpectBulks(r, {"tls-port", std::to_string(tls_port_)});
  ExpectBulks(Cmd(plain, {"CONFIG", "GET", "tls-cert-file"}), {"tls-cert-file", certs_("server.crt")});
  ExpectBulks(Cmd(plain, {"CONFIG", "GET", "tls-ca-cert-file"}), {"tls-ca-cert-file", certs_("ca.crt")});
  ExpectBulks(Cmd(plain, {"CONFIG", "GET", "tls-auth-clients"}), {"tls-auth-clients", "yes"});
  ExpectBulks(Cmd(plain, {"CONFIG", "GET", "tls-protocols"}), {"tls-protocols", ""});
  ExpectError(Cmd(plain, {"CONFIG", "SET", "tls-auth-clients", "maybe"}),
              "ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - argument(s) must be one "
              "of the following: no, yes, optional");
}

TEST_F(TlsTest, CommandsSplitAcrossRecordsAndPipelinesAreServed) {
  TlsClient t(tls_port_, certs_("ca.crt"), WithCert());
  ASSERT_TRUE(t.connected()) << t.error();
  ASSERT_TRUE(t.Send("*1\r\n$4\r\nPI"));
  SleepMs(50);
  ASSERT_TRUE(t.Send("NG\r\n"));
  EXPECT_EQ(t.Read(7), "+PONG\r\n");
  std::string batch, expected;
  for (int i = 0; i < 2000; ++i) {
    batch += Resp({"SET", "k" + std::to_string(i), std::string(100, 'a' + i % 26)});
    expected += "+OK\r\n";
  }
  ASSERT_TRUE(t.Send(batch));
  EXPECT_EQ(t.Read(expected.size()), expected);
  EXPECT_EQ(t.Roundtrip({"DBSIZE"}, ":2000\r\n"), ":2000\r\n");
  // Bursts one read cannot take whole (the server reads at most 64 KB, four full records, at a time;
  // then a partial command's buffer of 32 KB): what the library already decrypted must be served
  // without waiting for another socket event.
  for (std::size_t total : {65536 + 32768, 65536 + 32768 + 100, 65536 + 5000}) {
    std::string burst, replies;
    for (int i = 0; burst.size() + 2000 < total; ++i) {
      burst += Resp({"SET", "b" + std::to_string(i), std::string(900, 'b')});
      replies += "+OK\r\n";
    }
    std::size_t pad = 0;
    while (burst.size() + Resp({"SET", "pad", std::string(pad, 'p')}).size() != total) ++pad;
    burst += Resp({"SET", "pad", std::string(pad, 'p')});
    replies += "+OK\r\n";
    ASSERT_TRUE(t.SendBurst(burst));
    std::string got = t.Read(replies.size());
    EXPECT_TRUE(got == replies) << "a burst of " << total << " bytes: " << got.size() << " of " << replies.size()
                                << " reply bytes came";
  }
}

TEST_F(TlsTest, RedisCliPipeOf10kCommands) {
  std::string file = certs_("pipe.txt");
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 10000; ++i) out << Resp({"SET", "key:" + std::to_string(i), "v" + std::to_string(i)});
  }
  std::string out;
  ASSERT_EQ(Shell(Tool("redis-cli") + " --pipe < " + file, &out), 0) << out;
  EXPECT_NE(out.find("errors: 0, replies: 10000"), std::string::npos) << out;
  Client plain(server_->port());
  ExpectInt(Cmd(plain, {"DBSIZE"}), 10000);
  ExpectBulk(Cmd(plain, {"GET", "key:9999"}), "v9999");
}

TEST_F(TlsTest, RedisBenchmarkRunsWithoutErrors) {
  for (const char* pipeline : {"1", "16"}) {
    std::string out;
    int rc = Shell(Tool("redis-benchmark") + " -n 20000 -c 20 -P " + pipeline + " -t set,get -q", &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out.find("Error"), std::string::npos) << out;
    EXPECT_NE(out.find("SET: "), std::string::npos) << out;
    EXPECT_NE(out.find("GET: "), std::string::npos) << out;
  }
}

// Megabyte values, and replies that outgrow the socket while the client is not reading: the server's
// writes stop part-way (WANT_WRITE) and resume on EPOLLOUT with the same bytes.
TEST_F(TlsTest, LargeValuesRoundTripThroughPartialWrites) {
  TlsClient t(tls_port_, certs_("ca.crt"), WithCert());
  ASSERT_TRUE(t.connected()) << t.error();
  std::string big;
  for (int i = 0; big.size() < (1 << 20); ++i) big += std::to_string(i * 7919) + ",";
  std::string huge = big + big + big;
  ASSERT_EQ(t.Roundtrip({"SET", "big", big}, "+OK\r\n"), "+OK\r\n");
  ASSERT_EQ(t.Roundtrip({"SET", "huge", huge}, "+OK\r\n"), "+OK\r\n");
  std::string reqs, expected;
  for (int i = 0; i < 8; ++i) {
    reqs += Resp({"GET", i % 2 ? "big" : "huge"});
    const std::string& v = i % 2 ? big : huge;
    expected += "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  ASSERT_TRUE(t.Send(reqs));
  SleepMs(300);  // the replies (~16 MB) fill the socket meanwhile
  std::string got = t.Read(expected.size());
  EXPECT_EQ(got.size(), expected.size()) << t.error();
  EXPECT_TRUE(got == expected) << "the replies differ from the values";
  std::string out;
  ASSERT_EQ(Shell(Tool("redis-cli") + " STRLEN huge", &out), 0) << out;
  EXPECT_EQ(out, std::to_string(huge.size()) + "\n");
}

// A TLS client paused for its output (client-output-buffer-limit's soft limit) with more requests
// already decrypted inside the library: when it reads again, those run without a new socket event,
// and every reply arrives whole and in order.
TEST_F(TlsTest, PausedClientResumesWithInputTheLibraryHolds) {
  Client plain(server_->port());
  ASSERT_TRUE(ExpectStatus(Cmd(plain, {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 256kb 0"}), "OK"));
  std::string value(8192, 'v');
  ExpectStatus(Cmd(plain, {"SET", "v", value}), "OK");
  TlsClient t(tls_port_, certs_("ca.crt"), WithCert());
  ASSERT_TRUE(t.connected()) << t.error();
  std::string reqs, expected;
  for (int i = 0; reqs.size() < 3 * 65536; ++i) {  // more than one read takes: some stays in the library
    reqs += Resp({"GET", "v"});
    expected += "$8192\r\n" + value + "\r\n";
  }
  reqs += Resp({"PING"});
  expected += "+PONG\r\n";
  ASSERT_TRUE(t.SendBurst(reqs));
  SleepMs(300);  // the server pauses this client at 256 KB of pending replies
  std::string got = t.Read(expected.size());
  EXPECT_EQ(got.size(), expected.size()) << t.error();
  EXPECT_TRUE(got == expected) << "the replies differ";
  ExpectStatus(Cmd(plain, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1gb 64mb 0"}), "OK");
}

TEST_F(TlsTest, AuthClientsYesNeedsACertificateFromTheCa) {
  std::string why;
  EXPECT_TRUE(Pongs(tls_port_, WithCert(), &why)) << why;
  EXPECT_FALSE(Pongs(tls_port_, {}, &why)) << "no certificate was accepted: " << why;
  EXPECT_FALSE(Pongs(tls_port_, WithCert("rogue"), &why)) << "a certificate from another CA was accepted: " << why;
  std::string out;
  std::string no_cert = "redis-cli --tls --cacert " + certs_("ca.crt") + " -p " + std::to_string(tls_port_) + " PING";
  Shell(no_cert, &out);
  EXPECT_EQ(out.find("PONG"), std::string::npos) << out;
  EXPECT_NE(server_->LogTail().find("Error accepting a client connection"), std::string::npos) << server_->LogTail();
}

TEST_F(TlsTest, AuthClientsOptionalAndNo) {
  Server s;
  std::string err;
  int port = StartTls(&s, {"--tls-auth-clients", "optional"}, &err);
  ASSERT_NE(port, 0) << err;
  std::string why;
  EXPECT_TRUE(Pongs(port, {}, &why)) << why;
  EXPECT_TRUE(Pongs(port, WithCert(), &why)) << why;
  EXPECT_FALSE(Pongs(port, WithCert("rogue"), &why)) << "optional still verifies a presented certificate: " << why;
  // CONFIG SET applies to the next connection.
  Client plain(s.port());
  ExpectOk(Cmd(plain, {"CONFIG", "SET", "tls-auth-clients", "yes"}));
  EXPECT_FALSE(Pongs(port, {}, &why)) << why;
  ExpectOk(Cmd(plain, {"CONFIG", "SET", "tls-auth-clients", "no"}));
  EXPECT_TRUE(Pongs(port, {}, &why)) << why;
  EXPECT_TRUE(Pongs(port, WithCert("rogue"), &why)) << "no does not ask for (nor check) a certificate: " << why;
  // "no" needs no CA at all.
  int no_ca_port = FreeLocalPort();
  Server no_ca({"--tls-port", std::to_string(no_ca_port), "--tls-cert-file", certs_("server.crt"),
                "--tls-key-file", certs_("server.key"), "--tls-auth-clients", "no"});
  ASSERT_TRUE(no_ca.Start(&err)) << err;
  EXPECT_TRUE(Pongs(no_ca_port, {}, &why)) << why;
}

TEST_F(TlsTest, KeyPassphraseAndProtocols) {
  Server s;
  std::string err;
  int port = StartTls(&s, {"--tls-key-file", certs_("server-enc.key"), "--tls-key-file-pass", "secret",
                           "--tls-protocols", "TLSv1.3"}, &err);
  ASSERT_NE(port, 0) << err;
  std::string why;
  EXPECT_TRUE(Pongs(port, WithCert(), &why)) << why;
  TlsClient::Options old = WithCert();
  old.max_version = TLS1_2_VERSION;
  EXPECT_FALSE(Pongs(port, old, &why)) << "TLSv1.2 was accepted with tls-protocols TLSv1.3: " << why;
}

TEST_F(TlsTest, PlainBytesOnTheTlsPortAreClosed) {
  RawConn raw(tls_port_);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send("PING\r\n"));
  std::string got = raw.ReadUntilClosed(3000);
  EXPECT_TRUE(raw.peer_closed());
  EXPECT_EQ(got.find("PONG"), std::string::npos) << Escape(got);
  std::string why;
  EXPECT_TRUE(Pongs(tls_port_, WithCert(), &why)) << why;
}

// As Redis: a ClientHello holds a NUL byte before any newline, so the plain port waits for the rest of an
// inline command; the TLS client gives up, and nobody else notices.
TEST_F(TlsTest, TlsHelloOnThePlainPortFailsWithoutHarm) {
  Client other(server_->port());
  TlsClient::Options o = WithCert();
  o.timeout_ms = 1000;
  TlsClient t(server_->port(), certs_("ca.crt"), o);
  EXPECT_FALSE(t.connected()) << "a TLS handshake succeeded on the plain port";
  ExpectStatus(Cmd(other, {"PING"}), "PONG");
  std::string why;
  EXPECT_TRUE(Pongs(tls_port_, WithCert(), &why)) << why;
}

TEST_F(TlsTest, MaxClientsClosesTlsConnectionsWithoutPlaintext) {
  Client plain(server_->port());
  ExpectOk(Cmd(plain, {"CONFIG", "SET", "maxclients", "1"}));
  RawConn raw(tls_port_);
  std::string got = raw.ReadUntilClosed(3000);
  EXPECT_TRUE(raw.peer_closed());
  EXPECT_EQ(got, "");
  ExpectOk(Cmd(plain, {"CONFIG", "SET", "maxclients", "10000"}));
}

TEST_F(TlsTest, TlsOnlyWithPortZero) {
  int port = FreeLocalPort();
  Server s({"--port", "0", "--tls-port", std::to_string(port), "--tls-cert-file", certs_("server.crt"),
            "--tls-key-file", certs_("server.key"), "--tls-ca-cert-file", certs_("ca.crt")});
  std::string err, why;
  ASSERT_TRUE(s.Launch(&err)) << err;
  bool up = false;
  for (int i = 0; i < 200 && !up && s.Alive(); ++i) {
    up = Pongs(port, WithCert(), &why);
    if (!up) SleepMs(50);
  }
  ASSERT_TRUE(up) << why << "\n" << s.LogSinceStart();
  RawConn plain(s.port());
  EXPECT_FALSE(plain.connected()) << "--port 0 still listens on TCP";
}

TEST_F(TlsTest, NotListeningAnywhereExits) {
  Server s({"--port", "0"});
  std::string err;
  ASSERT_TRUE(s.Launch(&err)) << err;
  ASSERT_TRUE(s.WaitExit(10000));
  EXPECT_EQ(s.exit_code(), 1);
  std::string log = s.LogSinceStart();
  EXPECT_NE(log.find("Configured to not listen anywhere, exiting."), std::string::npos) << log;
}

// Each broken setting stops the start with Redis's log lines and exit status 1.
TEST_F(TlsTest, BadTlsSettingsStopTheStart) {
  struct Case {
    std::vector<std::string> args;
    std::string log;
  };
  std::string missing = certs_("missing.crt");
  const std::vector<Case> cases = {
      {{"--tls-cert-file", missing}, "Failed to load certificate: " + missing + ": "},
      {{"--tls-cert-file", ""}, "No tls-cert-file configured!"},
      {{"--tls-key-file", ""}, "No tls-key-file configured!"},
      {{"--tls-key-file", certs_("client.key")}, "Failed to load private key: " + certs_("client.key") + ": "},
      {{"--tls-key-file", certs_("server-enc.key"), "--tls-key-file-pass", "wrong"}, "Failed to load private key: "},
      {{"--tls-ca-cert-file", ""},
       "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or "
       "tls-auth-clients are enabled!"},
      {{"--tls-ca-cert-file", missing}, "Failed to configure CA certificate(s) file/directory: "},
      {{"--tls-protocols", "TLSv1.2 SSLv3"},
       "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."},
      {{"--tls-ciphers", "NO-SUCH-CIPHER"}, "Failed to configure ciphers: NO-SUCH-CIPHER"},
      {{"--tls-ciphersuites", "TLS_NO_SUCH"}, "Failed to configure ciphersuites: TLS_NO_SUCH"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.log);
    std::vector<std::string> args = {"--tls-port",       std::to_string(FreeLocalPort()), "--tls-cert-file",
                                     certs_("server.crt"), "--tls-key-file",              certs_("server.key"),
                                     "--tls-ca-cert-file", certs_("ca.crt")};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Server s(args);
    std::string err;
    ASSERT_TRUE(s.Launch(&err)) << err;
    ASSERT_TRUE(s.WaitExit(10000)) << "started anyway";
    EXPECT_EQ(s.exit_code(), 1);
    std::string log = s.LogSinceStart();
    EXPECT_NE(log.find(c.log), std::string::npos) << log;
    EXPECT_NE(log.find("Failed to configure TLS. Check logs for more info."), std::string::npos) << log;
  }
}

}  // namespace
}  // namespace tally_test
