// Sockets: the listening socket and printable endpoints (net.h).
#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "config.h"

namespace tally {

std::string endpoint(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  auto* a6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
    // An IPv4 peer of the dual-stack listener: shown as IPv4, as Redis's own IPv4 socket shows it.
    inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], ip, sizeof ip);
    port = ntohs(a6->sin6_port);
  } else if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

bool is_loopback(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr) >> 24) == 127;
  if (ss.ss_family != AF_INET6) return true;  // not an IP socket: local by nature
  const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
}

namespace {

// Redis's bind syntax: space-separated addresses, "*" = every IPv4 address, "::*" = every IPv6
// address, a leading "-" = optional. Tally listens on one socket, so it picks: both wildcards -> one
// dual-stack "::" socket (IPv4 peers arrive v4-mapped; endpoint() shows them as IPv4); otherwise the
// first address.
struct BindChoice {
  std::string addr;
  bool dual_stack = false;
};

BindChoice choose_bind(const std::string& bind) {
  std::vector<std::string> addrs;
  std::size_t start = 0;
  while (start < bind.size()) {
    std::size_t sp = bind.find(' ', start);
    std::string a = bind.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
    start = sp == std::string::npos ? bind.size() : sp + 1;
    if (!a.empty() && a[0] == '-') a.erase(0, 1);
    if (a == "*") a = "0.0.0.0";
    if (a == "::*") a = "::";
    if (!a.empty()) addrs.push_back(a);
  }
  if (addrs.empty()) return {"0.0.0.0", false};
  bool any4 = std::find(addrs.begin(), addrs.end(), "0.0.0.0") != addrs.end();
  bool any6 = std::find(addrs.begin(), addrs.end(), "::") != addrs.end();
  if (any4 && any6) return {"::", true};
  return {addrs.front(), false};
}

int listen_on(const std::string& addr, int port, bool dual_stack, int backlog) {
  sockaddr_storage ss{};
  socklen_t len;
  int family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, addr.c_str(), &a->sin_addr) != 1) return -2;
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, addr.c_str(), &a->sin6_addr) != 1) return -2;
    len = sizeof(sockaddr_in6);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? &zero : &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, backlog) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

int open_listener(const Config& cfg) { return open_listener(cfg, cfg.port); }

int open_listener(const Config& cfg, int port) {
  BindChoice choice = choose_bind(cfg.bind);
  int fd = listen_on(choice.addr, port, choice.dual_stack, cfg.tcp_backlog);
  // No IPv6 on this machine: the IPv4 wildcard alone, as Redis skips the optional "-::*".
  if (fd == -1 && choice.dual_stack && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
    fd = listen_on("0.0.0.0", port, false, cfg.tcp_backlog);
  return fd;
}

int open_unix_listener(const std::string& path, int perm, int backlog, std::string* error) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() > sizeof sa.sun_path - 1) {
    *error = "unix socket path too long (" + std::to_string(path.size()) + "), must be under " +
             std::to_string(sizeof sa.sun_path);
    return -1;
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  unlink(path.c_str());  // a socket file left by an earlier run; whether it fails does not matter
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("creating socket: ") + std::strerror(errno);
    return -1;
  }
  const char* step = nullptr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) step = "bind: ";
  else if (listen(fd, backlog) < 0) step = "listen: ";
  if (step) {
    *error = step + std::string(std::strerror(errno));
    close(fd);
    return -1;
  }
  if (perm != 0) chmod(path.c_str(), static_cast<mode_t>(perm));
  return fd;
}

}  // namespace tally
