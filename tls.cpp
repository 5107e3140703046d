// TLS with OpenSSL (tls.h). The context follows Redis 7.0's tls.c: same options, same config meaning,
// same log texts when the configuration is wrong, so an operator's redis.conf TLS section behaves alike.
//
// Reading: with read-ahead on, OpenSSL pulls whole socket reads into its own buffer, so bytes can sit
// there decrypted-but-unreturned after epoll has gone quiet. conn_read therefore keeps calling SSL_read
// while the library holds buffered bytes and the caller's buffer has room (it stops once the library's
// buffer is empty: what is left is in the socket, and level-triggered epoll reports it; this saves the
// read() that would only say EAGAIN). When the caller's buffer filled first, tls_has_pending is true
// and the worker must read again before it waits.
//
// Writing: SSL_MODE_ENABLE_PARTIAL_WRITE makes SSL_write return after each record, like write(2);
// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets a retry after WANT_WRITE pass the output buffer at a new
// address (it may have grown). The bytes are the same: the worker consumes exactly what was reported.
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <sstream>

#include "client.h"
#include "config.h"
#include "log.h"

namespace tally {

struct TlsConn {
  SSL* ssl = nullptr;
  bool established = false;
  bool broken = false;            // a fatal TLS error or EOF: no close_notify, no more I/O
  bool read_wants_write = false;  // SSL_read stopped on WANT_WRITE: EPOLLOUT must wake the reader
  bool write_wants_read = false;  // SSL_write stopped on WANT_READ: EPOLLIN must wake the writer
  std::string error;              // why the session broke ("" for a clean end of stream)
};

void TlsFree::operator()(TlsConn* t) const {
  if (t->ssl) SSL_free(t->ssl);
  delete t;
}

namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
std::unique_ptr<SSL_CTX, CtxFree> g_ctx;  // set once by tls_configure, before the workers start
std::string g_key_pass;                   // tls-key-file-pass, for the passphrase callback

// The oldest error in this thread's OpenSSL queue, as Redis prints it (ERR_error_string_n).
std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (e == 0) return errno ? std::strerror(errno) : "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

int passphrase_cb(char* buf, int size, int, void*) {
  if (g_key_pass.empty() || size <= 0) return -1;
  std::size_t n = std::min(g_key_pass.size(), static_cast<std::size_t>(size - 1));
  std::memcpy(buf, g_key_pass.data(), n);
  buf[n] = '\0';
  return static_cast<int>(n);
}

// tls-protocols: a space-separated subset of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 (any case); "" means
// TLSv1.2 and TLSv1.3. Returns the SSL_OP_NO_* options to set, or false for an unknown name.
bool protocol_options(const std::string& spec, uint64_t* no_opts) {
  const struct {
    const char* name;
    uint64_t no_opt;
  } kProtos[] = {{"tlsv1", SSL_OP_NO_TLSv1}, {"tlsv1.1", SSL_OP_NO_TLSv1_1}, {"tlsv1.2", SSL_OP_NO_TLSv1_2},
                 {"tlsv1.3", SSL_OP_NO_TLSv1_3}};
  uint64_t all = 0, enabled = 0;
  for (const auto& p : kProtos) all |= p.no_opt;
  std::istringstream in(spec.empty() ? "TLSv1.2 TLSv1.3" : spec);
  std::string word;
  while (in >> word) {
    bool known = false;
    for (const auto& p : kProtos) {
      if (strcasecmp(word.c_str(), p.name) != 0) continue;
      enabled |= p.no_opt;
      known = true;
    }
    if (!known) return false;
  }
  *no_opts = all & ~enabled;
  return true;
}

struct TlsSettings {
  std::string cert, key, pass, ca_file, ca_dir, protocols, ciphers, ciphersuites;
};

TlsSettings read_settings(const Config& cfg) {
  std::lock_guard lock(cfg.mu);
  return {cfg.tls_cert_file, cfg.tls_key_file,  cfg.tls_key_file_pass, cfg.tls_ca_cert_file,
          cfg.tls_ca_cert_dir, cfg.tls_protocols, cfg.tls_ciphers,      cfg.tls_ciphersuites};
}

// Checks what Redis's tlsConfigure checks before touching OpenSSL.
bool check_settings(const Config& cfg, const TlsSettings& s) {
  const char* why = nullptr;
  if (s.cert.empty()) why = "No tls-cert-file configured!";
  else if (s.key.empty()) why = "No tls-key-file configured!";
  else if (cfg.tls_auth_clients.load() != static_cast<int>(TlsAuthClients::kNo) && s.ca_file.empty() &&
           s.ca_dir.empty())
    why = "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or "
          "tls-auth-clients are enabled!";
  if (why) log_line(LogLevel::kWarning, why);
  return why == nullptr;
}

bool load_files(SSL_CTX* ctx, const TlsSettings& s) {
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert.c_str()) <= 0) {
    log_line(LogLevel::kWarning, "Failed to load certificate: " + s.cert + ": " + ssl_error_text());
    return false;
  }
  // Also checks that the key matches the certificate.
  if (SSL_CTX_use_PrivateKey_file(ctx, s.key.c_str(), SSL_FILETYPE_PEM) <= 0) {
    log_line(LogLevel::kWarning, "Failed to load private key: " + s.key + ": " + ssl_error_text());
    return false;
  }
  if ((!s.ca_file.empty() || !s.ca_dir.empty()) &&
      SSL_CTX_load_verify_locations(ctx, s.ca_file.empty() ? nullptr : s.ca_file.c_str(),
                                    s.ca_dir.empty() ? nullptr : s.ca_dir.c_str()) <= 0) {
    log_line(LogLevel::kWarning, "Failed to configure CA certificate(s) file/directory: " + ssl_error_text());
    return false;
  }
  return true;
}

bool set_ciphers(SSL_CTX* ctx, const TlsSettings& s) {
  if (!s.ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str())) {
    log_line(LogLevel::kWarning, "Failed to configure ciphers: " + s.ciphers);
    return false;
  }
  if (!s.ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx, s.ciphersuites.c_str())) {
    log_line(LogLevel::kWarning, "Failed to configure ciphersuites: " + s.ciphersuites);
    return false;
  }
  return true;
}

void set_session_cache(SSL_CTX* ctx, const Config& cfg) {
  if (!cfg.tls_session_caching) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return;
  }
  static const unsigned char kSessionContext[] = "redis";
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, cfg.tls_session_cache_size);
  SSL_CTX_set_timeout(ctx, static_cast<long>(cfg.tls_session_cache_timeout));
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
}

// Records why conn_read / conn_write / the handshake stopped: true when the caller should wait.
bool note_wait(TlsConn& t, int err, bool reading) {
  if (err == SSL_ERROR_WANT_READ) {
    if (!reading) t.write_wants_read = true;
    return true;
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    if (reading) t.read_wants_write = true;
    return true;
  }
  return false;
}

}  // namespace

bool tls_configure(const Config& cfg) {
  TlsSettings s = read_settings(cfg);
  if (!check_settings(cfg, s)) return false;
  uint64_t no_protos = 0;
  if (!protocol_options(s.protocols, &no_protos)) {
    log_line(LogLevel::kWarning,
             "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
    return false;
  }
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    log_line(LogLevel::kWarning, "Failed to create TLS context: " + ssl_error_text());
    return false;
  }
  // Redis's options, plus: a peer that drops the TCP connection without close_notify is a plain EOF.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE |
                                     SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | no_protos);
  if (cfg.tls_prefer_server_ciphers) SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read-ahead with a 64 KB buffer: one read() takes what the socket holds (as a plain connection's
  // does); conn_read drains what the library buffered.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_default_read_buffer_len(ctx.get(), 64 * 1024);
  g_key_pass = s.pass;
  SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_cb);
  if (!load_files(ctx.get(), s) || !set_ciphers(ctx.get(), s)) return false;
  set_session_cache(ctx.get(), cfg);
  g_ctx = std::move(ctx);
  return true;
}

TlsConn* tls_new(int fd, TlsAuthClients auth) {
  SSL* ssl = SSL_new(g_ctx.get());
  if (!ssl || SSL_set_fd(ssl, fd) != 1) {
    log_line(LogLevel::kWarning, "Error creating a TLS connection: " + ssl_error_text());
    if (ssl) SSL_free(ssl);
    return nullptr;
  }
  // Per connection, so CONFIG SET tls-auth-clients applies to the next client.
  int mode = auth == TlsAuthClients::kNo         ? SSL_VERIFY_NONE
             : auth == TlsAuthClients::kOptional ? SSL_VERIFY_PEER
                                                 : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_set_verify(ssl, mode, nullptr);
  SSL_set_accept_state(ssl);
  auto* t = new TlsConn;
  t->ssl = ssl;
  return t;
}

TlsHandshake tls_handshake(Client& c) {
  TlsConn& t = *c.tls;
  t.read_wants_write = t.write_wants_read = false;
  ERR_clear_error();
  int r = SSL_accept(t.ssl);
  if (r == 1) {
    t.established = true;
    return TlsHandshake::kDone;
  }
  int err = SSL_get_error(t.ssl, r);
  if (err == SSL_ERROR_WANT_READ) return TlsHandshake::kWantRead;
  if (err == SSL_ERROR_WANT_WRITE) return TlsHandshake::kWantWrite;
  t.broken = true;
  t.error = ssl_error_text();
  log_line(LogLevel::kVerbose, "Error accepting a client connection: " + t.error + " (addr=" + c.addr + ")");
  return TlsHandshake::kFailed;
}

bool tls_established(const Client& c) { return c.tls && c.tls->established; }
bool tls_has_pending(const Client& c) { return c.tls && (c.tls->broken || SSL_has_pending(c.tls->ssl)); }
bool tls_read_wants_write(const Client& c) { return c.tls && c.tls->read_wants_write; }
bool tls_write_wants_read(const Client& c) { return c.tls && c.tls->write_wants_read; }

void tls_shutdown(Client& c) {
  if (!c.tls || !c.tls->established || c.tls->broken) return;
  ERR_clear_error();
  SSL_shutdown(c.tls->ssl);  // one non-blocking try: the socket closes right after either way
  ERR_clear_error();
}

ssize_t conn_read(Client& c, char* buf, std::size_t len) {
  if (!c.tls) return read(c.fd, buf, len);
  TlsConn& t = *c.tls;
  t.read_wants_write = false;
  std::size_t got = 0;
  while (got < len && !t.broken) {
    ERR_clear_error();
    int n = SSL_read(t.ssl, buf + got, static_cast<int>(std::min<std::size_t>(len - got, INT_MAX)));
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      if (!SSL_has_pending(t.ssl)) break;  // the rest, if any, is in the socket: epoll reports it
      continue;
    }
    int err = SSL_get_error(t.ssl, n);
    if (note_wait(t, err, true)) break;
    t.broken = true;  // reported on the next call, after the bytes read before it
    if (err != SSL_ERROR_ZERO_RETURN) t.error = ssl_error_text();  // else close_notify or EOF
  }
  if (got > 0) return static_cast<ssize_t>(got);
  if (!t.broken) {
    errno = EAGAIN;
    return -1;
  }
  if (t.error.empty()) return 0;
  log_line(LogLevel::kVerbose, "TLS read error from client " + c.addr + ": " + t.error);
  errno = ECONNRESET;
  return -1;
}

ssize_t conn_write(Client& c, const char* buf, std::size_t len) {
  if (!c.tls) return write(c.fd, buf, len);
  TlsConn& t = *c.tls;
  t.write_wants_read = false;
  if (t.broken) {
    errno = EPIPE;
    return -1;
  }
  ERR_clear_error();
  int n = SSL_write(t.ssl, buf, static_cast<int>(std::min<std::size_t>(len, INT_MAX)));
  if (n > 0) return n;
  if (note_wait(t, SSL_get_error(t.ssl, n), false)) {
    errno = EAGAIN;
    return -1;
  }
  t.broken = true;
  errno = EPIPE;
  return -1;
}

}  // namespace tally
