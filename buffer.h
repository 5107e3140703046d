// A growable byte buffer with a read cursor, used for connection input and output.
//
// Bytes live in [data()+0, data()+size()); consume(n) advances the start. Growing may move the bytes,
// so callers keep offsets, never pointers, across append/reserve. Not thread-safe: one connection,
// one worker.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace tally {

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { std::free(mem_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  char* data() { return mem_ + start_; }
  const char* data() const { return mem_ + start_; }
  std::size_t size() const { return end_ - start_; }
  bool empty() const { return end_ == start_; }
  std::size_t capacity() const { return cap_; }
  std::string_view view() const { return {data(), size()}; }

  // Writable space after the data; ensure_tail(n) makes at least n bytes of it.
  char* tail() { return mem_ + end_; }
  std::size_t tail_room() const { return cap_ - end_; }
  void ensure_tail(std::size_t n) {
    if (cap_ - end_ >= n) return;
    grow(n);
  }
  void commit(std::size_t n) { end_ += n; }  // n bytes were written at tail()

  void append(const char* p, std::size_t n) {
    if (n == 0) return;  // memcpy's pointers must not be null even for 0 bytes, and an unused buffer has none
    ensure_tail(n);
    std::memcpy(mem_ + end_, p, n);
    end_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push_back(char c) {
    ensure_tail(1);
    mem_[end_++] = c;
  }

  void consume(std::size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }
  void clear() { start_ = end_ = 0; }

  // Frees the memory when the buffer is empty and holds more than `keep` bytes of capacity, so idle
  // connections do not pin large buffers.
  void shrink_if_idle(std::size_t keep) {
    if (start_ == end_ && cap_ > keep) {
      std::free(mem_);
      mem_ = nullptr;
      cap_ = start_ = end_ = 0;
    }
  }

 private:
  void grow(std::size_t n) {
    std::size_t used = end_ - start_;
    if (start_ > 0 && cap_ - used >= n && start_ >= used) {
      // Enough room once the consumed prefix is dropped, and the move is cheap relative to it.
      std::memmove(mem_, mem_ + start_, used);
      start_ = 0;
      end_ = used;
      return;
    }
    std::size_t want = used + n;
    std::size_t cap = cap_ ? cap_ : 512;
    while (cap < want) cap *= 2;
    char* fresh = static_cast<char*>(std::malloc(cap));
    if (!fresh) throw std::bad_alloc();
    if (used) std::memcpy(fresh, mem_ + start_, used);
    std::free(mem_);
    mem_ = fresh;
    cap_ = cap;
    start_ = 0;
    end_ = used;
  }

  char* mem_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
};

}  // namespace tally
