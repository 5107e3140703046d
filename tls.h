// TLS with OpenSSL: the server context built from the tls-* configuration, per-connection state, and
// the connection I/O functions the workers use for every connection, plain or TLS.
//
// Ownership: the context is built once at start (tls_configure) and lives until exit; it is shared by
// all workers (OpenSSL's SSL_CTX is thread-safe for this use). A connection's TlsConn (its SSL object)
// is created when the TLS listener accepts it, owned by its Client (Client::tls), used only by the
// client's worker, and freed when the Client is destroyed.
//
// I/O contract: conn_read / conn_write return like read(2) / write(2): bytes moved, 0 for end of
// stream (read), or -1 with errno set; EAGAIN means "wait for epoll". For TLS the library may need to
// write while reading (and read while writing); tls_read_wants_write / tls_write_wants_read say so, and
// decrypted bytes may wait inside the library where epoll cannot see them (tls_has_pending).
#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>

namespace tally {

struct Client;
struct Config;

// tls-auth-clients: whether a TLS client must present a certificate signed by the configured CA.
enum class TlsAuthClients { kNo = 0, kYes = 1, kOptional = 2 };

// Builds the server context from cfg's tls-* settings (cert, key, CA, protocols, ciphers). On failure
// logs why (Redis's texts) and returns false. Call once, before the workers start.
bool tls_configure(const Config& cfg);

// Starts server-side TLS on an accepted socket: the connection's TlsConn, in accept state. Returns null
// (and logs) if OpenSSL cannot make one. REQUIRES: tls_configure succeeded.
struct TlsConn;
TlsConn* tls_new(int fd, TlsAuthClients auth);

enum class TlsHandshake { kDone, kWantRead, kWantWrite, kFailed };
// Drives the handshake one step (call on every socket event until kDone). kFailed: close the
// connection (a verbose log line says why).
TlsHandshake tls_handshake(Client& c);
bool tls_established(const Client& c);
// Decrypted bytes, or the end of the session, that conn_read has not reported yet: read again
// before waiting for epoll.
bool tls_has_pending(const Client& c);
bool tls_read_wants_write(const Client& c);
bool tls_write_wants_read(const Client& c);
// Sends close_notify if the session is healthy; call before close(fd).
void tls_shutdown(Client& c);

ssize_t conn_read(Client& c, char* buf, std::size_t len);
ssize_t conn_write(Client& c, const char* buf, std::size_t len);

}  // namespace tally
