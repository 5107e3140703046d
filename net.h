// Sockets: the listening socket and printable endpoints (server.cpp's helpers).
#pragma once

#include <sys/socket.h>

#include <string>

namespace tally {

struct Config;

// "ip:port" of a socket address.
std::string endpoint(const sockaddr_storage& ss);
// Whether a peer address is the loopback interface (127.0.0.0/8, ::1, or v4-mapped 127.x).
bool is_loopback(const sockaddr_storage& ss);
// A non-blocking listening socket on cfg.bind:cfg.port with cfg.tcp_backlog; -1 with errno set, or
// -2 for a bad address.
int open_listener(const Config& cfg);
// The same on cfg.bind:port (tls-port's listener).
int open_listener(const Config& cfg, int port);
// A non-blocking Unix-domain listener at `path`, as Redis's anetUnixServer: a file already there is
// removed first, and the socket's mode is set to `perm` unless it is 0. -1 on failure, with Redis's
// reason in *error ("unix socket path too long (N), must be under 108", "bind: <errno text>", ...).
int open_unix_listener(const std::string& path, int perm, int backlog, std::string* error);

}  // namespace tally
