// ServerState construction and the client registry.
#include "state.h"

#include <random>

namespace tally {
namespace {

std::string random_hex(std::size_t n) {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (char& c : out) c = kHex[gen() & 15];
  return out;
}

}  // namespace

ServerState::ServerState() : start_ms(now_ms()), run_id(random_hex(40)) {}

void ClientRegistry::add(Client* c) {
  std::lock_guard lock(mu_);
  clients_[c->id] = c;
}

void ClientRegistry::remove(Client* c) {
  std::lock_guard lock(mu_);
  clients_.erase(c->id);
}

std::size_t ClientRegistry::count() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

void ClientRegistry::for_each(const std::function<void(Client&)>& fn) const {
  std::lock_guard lock(mu_);
  for (auto& [id, c] : clients_) fn(*c);
}

}  // namespace tally
