// ServerState construction and the client registry.
#include "state.h"

#include <random>
#include <thread>

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

void ExecGate::resize(int slots) { slots_ = std::vector<Slot>(static_cast<std::size_t>(std::max(1, slots))); }

bool ExecGate::enter(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  for (bool waited = false;; waited = true) {
    // Announce first, then look: close() sets `closed_` first, then looks at the slots, so one of
    // the two always sees the other (both sides are sequentially consistent).
    s.busy.store(1, std::memory_order_seq_cst);
    if (!closed_.load(std::memory_order_seq_cst)) return waited;
    s.busy.store(0, std::memory_order_seq_cst);
    while (closed_.load(std::memory_order_acquire)) std::this_thread::yield();
  }
}

void ExecGate::close(int own) {
  leave(own);
  exclusive_mu_.lock();
  closed_.store(true, std::memory_order_seq_cst);
  for (Slot& s : slots_)
    while (s.busy.load(std::memory_order_seq_cst)) std::this_thread::yield();
}

void ExecGate::open(int own) {
  closed_.store(false, std::memory_order_release);
  exclusive_mu_.unlock();
  enter(own);
}

}  // namespace tally
