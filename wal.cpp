// The log writer, group commit and compaction (wal.h). Recovery and the checker: wal_recover.cpp.
#include "wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config.h"
#include "log.h"
#include "wal_io.h"

namespace tally {
namespace {

constexpr int64_t kIdleWaitMs = 100;  // the writer looks at its config at least this often
constexpr std::size_t kSnapshotChunk = 1 << 20;

}  // namespace

Wal::Wal(Keyspace& ks, Config& cfg, std::string dir)
    : ks_(ks), cfg_(cfg), dir_(std::move(dir)), carry_(ks.shard_count()) {
  ::mkdir(dir_.c_str(), 0755);
}

Wal::~Wal() { stop(); }

std::string Wal::path(uint64_t gen, const char* ext) const { return gen_path(dir_, gen, ext); }

bool Wal::always() const { return logging_on_ && cfg_.appendfsync.load() == FsyncPolicy::kAlways; }

bool Wal::leader_sync() const { return always() && cfg_.wal_leader_sync.load(std::memory_order_relaxed); }

std::string Wal::write_error() const {
  if (!failing()) return "";
  std::lock_guard lock(mu_);
  return write_error_;
}

bool Wal::start() {
  written_end_ = ks_.next_seq();
  durable_.store(written_end_);
  seen_switches_ = cfg_.appendonly_switches.load();
  if (cfg_.appendonly.load()) {
    if (!open_log(std::max<uint64_t>(gen_.load(), 1))) return false;  // open_log said why
    ks_.set_logging(true);
    logging_on_ = true;
  }
  ks_.set_log_sink(this);
  writer_ = std::make_unique<ThreadPool>(1, [this](std::stop_token st, int) { writer_loop(st); });
  return true;
}

void Wal::stop() {
  {
    std::unique_lock lock(rw_mu_);
    rw_cv_.wait(lock, [this] { return !rewriting_; });
  }
  if (rewrite_thread_.joinable()) rewrite_thread_.join();
  if (writer_) {
    writer_->request_stop();
    {
      std::lock_guard lock(mu_);
      kicked_ = true;
    }
    cv_.notify_all();
    writer_->join();
    writer_.reset();
  }
  ks_.set_log_sink(nullptr);
  close_log();
}

void Wal::appended() {
  // Under leader sync the writer sleeps on purpose: the worker that waits runs the round.
  if (!sleeping_.load(std::memory_order_seq_cst) || leader_sync()) return;
  {
    std::lock_guard lock(mu_);
    kicked_ = true;
  }
  cv_.notify_one();
}

// ---- the writer thread ----

void Wal::writer_loop(std::stop_token st) {
  while (true) {
    wait_for_work(st);
    bool stopping = st.stop_requested();
    uint64_t before = durable_.load();
    writer_pass(stopping);
    notify_durable(before);
    if (logging_on_) maybe_auto_rewrite();
    if (stopping) break;
  }
}

void Wal::writer_pass(bool stopping) {
  std::lock_guard log_lock(log_mu_);
  sync_config();
  if (!logging_on_) {
    std::lock_guard lock(mu_);
    if (rotate_requested_) {  // no log to switch: the snapshot just takes the next generation
      rotate_requested_ = false;
      rotated_gen_ = gen_.fetch_add(1) + 1;
      rot_cv_.notify_all();
    }
    return;
  }
  // Under leader sync the workers run the rounds; the writer takes only records that no round
  // took since its last pass (nobody waits for them), and everything when stopping.
  uint64_t durable = durable_.load();
  if (!leader_sync() || stopping || durable == writer_seen_durable_) round();
  writer_seen_durable_ = durable_.load();
  bool rotate_now;
  {
    std::lock_guard lock(mu_);
    rotate_now = rotate_requested_;
  }
  if (rotate_now) rotate();
  serve_sync_request();
  FsyncPolicy p = cfg_.appendfsync.load();
  if (unsynced_ && (stopping || (p == FsyncPolicy::kEverysec && now_ms() - last_fsync_ms_ >= 1000)))
    sync_file("fsync");
}

bool Wal::lead_sync() {
  uint64_t target;
  int fd;
  {
    std::lock_guard lock(log_mu_);
    // Switched off or away from always meanwhile: the writer thread takes the records (and wakes).
    if (!logging_on_ || !leader_sync()) return false;
    if (!round(true)) return false;  // a failed write: fail() has exited (always) or the writer retries
    target = written_end_;
    if (durable_.load() >= target) return true;  // another leader's fsync already covered it
    fd = fd_;
    syncs_in_flight_.fetch_add(1);
  }
  // Outside the lock, so that another worker can write its batch and fdatasync meanwhile: each
  // fdatasync covers every byte written before it began, so `target` is durable when it returns.
  bool ok = ::fdatasync(fd) == 0;
  int err = errno;
  syncs_in_flight_.fetch_sub(1);
  if (!ok) {
    std::lock_guard lock(log_mu_);
    fail("Can't fdatasync the append only file", err);  // exits under always
    return false;
  }
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  last_fsync_ms_ = now_ms();
  publish_durable(target);
  return true;
}

void Wal::close_log() {
  while (syncs_in_flight_.load() != 0) std::this_thread::yield();  // a leader's fdatasync uses fd_
  if (fd_ < 0) return;
  // The preallocated zeros go: a closed log ends at its last batch. Not fsynced: a crash that
  // brings them back leaves zeros after the last batch, which recovery reads as the log's end.
  if (zeroed_end_ > log_size_.load() && ::ftruncate(fd_, static_cast<off_t>(log_size_.load())) != 0) {}
  ::close(fd_);
  fd_ = -1;
}

// Appending to a file makes every fdatasync write the inode too (the size changed, and on ext4 the
// block allocation): two I/Os where one would do. So the log is written over zeros that were
// written earlier, wal-preallocate bytes at a time: an fdatasync then has only the new data to
// write, except the one after each extension, which also writes the zeros and the new size.
// bench/wal.py and docs/performance.md have the figures. Recovery reads zeros where a batch header
// should be, up to the end of the file, as the log's end (wal_recover.cpp).
void Wal::preallocate(uint64_t end) {
  uint64_t chunk = static_cast<uint64_t>(cfg_.wal_preallocate.load());
  if (end <= zeroed_end_) return;
  zeroed_end_ = end;  // the batch just written extended the file to here
  if (chunk == 0 || end < no_prealloc_until_) return;
  static const char kZeros[64 * 1024] = {};
  const uint64_t to = end + chunk;
  for (uint64_t at = end; at < to; at += sizeof kZeros) {
    std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(sizeof kZeros, to - at));
    if (!pwrite_all(fd_, kZeros, n, at)) {  // disk full, say: plain appends until the log has grown by a chunk
      if (::ftruncate(fd_, static_cast<off_t>(end)) != 0) {}
      no_prealloc_until_ = end + chunk;
      return;
    }
  }
  zeroed_end_ = to;
}

void Wal::wait_for_work(std::stop_token& st) {
  std::unique_lock lock(mu_);
  // everysec / no: batch for wal-write-interval-ms after a write, so the writer does not compete
  // with the workers for CPU one tiny write() at a time. always: the fsync itself is the batching.
  if (cfg_.appendfsync.load() != FsyncPolicy::kAlways) {
    auto until = last_write_.load() + std::chrono::milliseconds(cfg_.wal_write_interval_ms.load());
    cv_.wait_until(lock, until, [&] { return rotate_requested_ || st.stop_requested(); });
  } else if (int64_t us = cfg_.wal_group_commit_us.load(); us > 0 && last_batch_records_ >= 16 && !leader_sync()) {
    // always, with several writers: the clients the last fsync released answer within a round trip;
    // waiting for them lets their next writes share the next fsync instead of trickling into many
    // small ones (each fsync also costs wake-ups on every worker). The wait grows with the last
    // batch (5 us per record: about one per writing client) up to wal-group-commit-us; below 16
    // records (a sleep that short mostly costs scheduler latency) there is no wait at all.
    us = std::min<int64_t>(us, 5 * static_cast<int64_t>(last_batch_records_.load()));
    auto until = last_sync_end_.load() + std::chrono::microseconds(us);
    cv_.wait_until(lock, until, [&] { return rotate_requested_ || st.stop_requested(); });
  }
  sleeping_.store(true, std::memory_order_seq_cst);
  if (failed_.load()) {  // a failed write is retried once a second, not in a tight loop
    cv_.wait_for(lock, std::chrono::seconds(1), [&] { return rotate_requested_ || st.stop_requested(); });
  }
  // Under leader sync new records are the workers' to write (the idle wait below catches strays).
  bool records = logging_on_ && (ks_.next_seq() != written_end_.load() || has_pending_.load());
  bool work = kicked_ || rotate_requested_ || sync_target_ || st.stop_requested() || (records && !leader_sync());
  if (!work) {
    int64_t wait = kIdleWaitMs;
    if (unsynced_ && cfg_.appendfsync.load() == FsyncPolicy::kEverysec)  // (no: never; always: the leaders)
      wait = std::clamp<int64_t>(last_fsync_ms_ + 1000 - now_ms(), 0, kIdleWaitMs);
    cv_.wait_for(lock, std::chrono::milliseconds(wait),
                 [&] { return kicked_ || rotate_requested_ || st.stop_requested(); });
  }
  kicked_ = false;
  sleeping_.store(false, std::memory_order_seq_cst);
}

bool Wal::round(bool defer_sync) {
  if (!pending_.empty() && !write_pending(defer_sync)) return false;
  if (!gather()) return true;
  return write_pending(defer_sync);
}

bool Wal::gather() {
  uint64_t end = ks_.next_seq();
  if (end == written_end_) return false;
  pending_.assign(kBatchHeaderSize, '\0');
  uint32_t count = 0;
  for (uint32_t s = 0; s < ks_.shard_count(); ++s) {
    Shard& sh = ks_.shard(s);
    std::string& carry = carry_[s];
    bool all_below_end = false;  // the common case: nothing newer than `end` in the shard
    if (sh.wal_dirty.load(std::memory_order_seq_cst)) {
      uint32_t records;
      {  // a swap, not a copy: the workers that write this shard wait for its lock meanwhile
        std::lock_guard lock(sh.mu);
        all_below_end = carry.empty() && sh.wal_last_seq < end;
        taken_.swap(sh.wal_buf);
        records = sh.wal_records;
        sh.wal_records = 0;
        sh.wal_dirty.store(false, std::memory_order_relaxed);
      }
      if (all_below_end) {
        pending_.append(taken_);
        count += records;
      } else {
        carry.append(taken_);
      }
      taken_.clear();
    }
    if (all_below_end || carry.empty()) continue;
    std::size_t pos = 0;  // records are in seq order: take those below `end`
    while (pos < carry.size() && record_seq(carry.data() + pos) < end) {
      pos += record_size(carry.data() + pos);
      ++count;
    }
    pending_.append(carry, 0, pos);
    carry.erase(0, pos);
  }
  std::string header;
  put_batch_header(header, written_end_, end, static_cast<uint32_t>(pending_.size() - kBatchHeaderSize), count);
  std::memcpy(pending_.data(), header.data(), kBatchHeaderSize);
  pending_end_ = end;
  has_pending_ = true;
  last_batch_records_ = count;
  return true;
}

bool Wal::write_pending(bool defer_sync) {
  uint64_t at = log_size_.load();
  if (!pwrite_all(fd_, pending_.data(), pending_.size(), at)) {
    int err = errno;
    // Drop a partial batch and the zeros after it (the next round writes zeros again); retried next round.
    if (::ftruncate(fd_, static_cast<off_t>(at)) != 0) {}
    zeroed_end_ = at;
    fail("Error writing to the append only file", err);
    return false;
  }
  last_write_ = std::chrono::steady_clock::now();
  log_size_.store(at + pending_.size());
  preallocate(at + pending_.size());
  batches_.fetch_add(1, std::memory_order_relaxed);
  written_end_ = pending_end_;
  pending_.clear();
  has_pending_ = false;
  if (pending_.capacity() > (64u << 20)) pending_.shrink_to_fit();
  unsynced_ = true;
  if (failed_.load()) {
    std::lock_guard lock(mu_);
    failed_.store(false);
    write_error_.clear();
    log_line(LogLevel::kWarning, "Append only file write error resolved: writes are accepted again.");
  }
  if (defer_sync) return true;  // lead_sync fsyncs outside the lock, then publishes
  if (cfg_.appendfsync.load() == FsyncPolicy::kAlways) {
    if (!sync_file("fdatasync")) return false;
    last_sync_end_ = std::chrono::steady_clock::now();
  }
  publish_durable(written_end_);
  return true;
}

void Wal::serve_sync_request() {
  uint64_t target;
  {
    std::lock_guard lock(mu_);
    target = sync_target_;
  }
  if (!target || written_end_ < target || (unsynced_ && !sync_file("fsync"))) return;
  std::lock_guard lock(mu_);
  synced_end_ = written_end_;
  sync_target_ = 0;
  rot_cv_.notify_all();
}

bool Wal::wait_log_synced() {
  while (ks_.grouping()) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // an EXEC is one unit
  uint64_t target = ks_.next_seq();
  std::unique_lock lock(mu_);
  sync_target_ = target;
  kicked_ = true;
  cv_.notify_one();
  rot_cv_.wait(lock, [&] { return synced_end_ >= target || failed_.load() || !logging_on_; });
  return synced_end_ >= target;
}

void Wal::publish_durable(uint64_t seq) {  // before on_durable_ reads the workers' flags (seq_cst)
  uint64_t cur = durable_.load(std::memory_order_seq_cst);
  while (cur < seq && !durable_.compare_exchange_weak(cur, seq, std::memory_order_seq_cst)) {}
}

void Wal::notify_durable(uint64_t before) {
  if (on_durable_ && durable_.load(std::memory_order_seq_cst) != before) on_durable_();
}

bool Wal::sync_file(const char* why) {
  if (::fdatasync(fd_) != 0) {
    fail(std::string("Can't ") + why + " the append only file", errno);
    return false;
  }
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  unsynced_ = false;
  last_fsync_ms_ = now_ms();
  return true;
}

void Wal::fail(const std::string& what, int err) {
  std::string reason = std::strerror(err);
  int64_t now = now_ms();
  if (!failed_.load() || now - last_fail_log_ms_ >= 30000) {  // the retries say it again every 30 s
    last_fail_log_ms_ = now;
    log_line(LogLevel::kWarning, what + " (" + dir_ + "): " + reason);
  }
  if (cfg_.appendfsync.load() == FsyncPolicy::kAlways) {
    log_line(LogLevel::kWarning, "Exiting: with appendfsync always an acknowledged write must be on disk.");
    std::_Exit(1);
  }
  std::lock_guard lock(mu_);
  write_error_ = reason;
  failed_.store(true);
  rot_cv_.notify_all();
}

void Wal::sync_config() {
  const uint64_t switches = cfg_.appendonly_switches.load();
  bool want = cfg_.appendonly.load();
  // Switched off and on again since the last look (CONFIG SET twice within one writer pass): the
  // writer never saw it off, but the client was told the log restarted with a snapshot, as Redis does.
  const bool missed_off = want && logging_on_ && switches != seen_switches_;
  seen_switches_ = switches;
  if (want == logging_on_ && !missed_off) return;
  if (!want || missed_off) {  // appendonly no: write out what is buffered, then stop logging
    ks_.set_logging(false);
    round();
    if (unsynced_) sync_file("fsync");
    close_log();
    logging_on_ = false;
    log_line(LogLevel::kNotice, "Append only file turned off");
    if (!want) return;
  }
  uint64_t gen = gen_.load() + 1;
  if (!open_log(gen)) {
    cfg_.appendonly.store(false);
    return;
  }
  // Records left from before logging was switched off belong to no log: the snapshot below covers them.
  for (uint32_t s = 0; s < ks_.shard_count(); ++s) {
    Shard& sh = ks_.shard(s);
    std::lock_guard lock(sh.mu);
    sh.wal_buf.clear();
    sh.wal_records = 0;
    carry_[s].clear();
  }
  pending_.clear();
  has_pending_ = false;
  written_end_ = ks_.next_seq();
  ks_.set_logging(true);
  logging_on_ = true;
  log_line(LogLevel::kNotice, "Append only file turned on: writing a snapshot under it");
  rewrite(false, false);  // the log only makes sense on top of a snapshot of what is there
}

bool Wal::open_log(uint64_t gen) {
  std::string p = path(gen, ".wal");
  // Not O_APPEND: batches are written at log_size_, over preallocated zeros. An existing file (the
  // last log, reopened after recovery) ends at its last batch: recovery cut off any zeros.
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    log_line(LogLevel::kWarning, "Can't open the append only file " + p + ": " + std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return false;
  }
  if (st.st_size == 0) {
    std::string h;
    put_file_header(h, kLogMagic, {kWalFormatVersion, ks_.shard_count(), hash_seed(), gen});
    if (!write_all(fd, h.data(), h.size()) || ::fdatasync(fd) != 0 || !fsync_dir(dir_)) {
      log_line(LogLevel::kWarning, "Can't write the append only file " + p + ": " + std::strerror(errno));
      ::close(fd);
      return false;
    }
    st.st_size = static_cast<off_t>(h.size());
  }
  close_log();
  fd_ = fd;
  gen_.store(gen);
  log_size_.store(static_cast<uint64_t>(st.st_size));
  zeroed_end_ = static_cast<uint64_t>(st.st_size);  // zeros come with the first batch (preallocate)
  no_prealloc_until_ = 0;
  return true;
}

void Wal::rotate() {
  if (unsynced_ && !sync_file("fsync")) return;
  uint64_t gen = gen_.load() + 1;
  bool ok = open_log(gen);
  std::lock_guard lock(mu_);
  rotate_requested_ = false;
  rotated_gen_ = ok ? gen : UINT64_MAX;  // UINT64_MAX: failed
  rot_cv_.notify_all();
}

void Wal::maybe_auto_rewrite() {
  int64_t pct = cfg_.auto_aof_rewrite_percentage.load();
  uint64_t size = log_size_.load();
  if (pct <= 0 || size < static_cast<uint64_t>(cfg_.auto_aof_rewrite_min_size.load())) return;
  uint64_t base = snapshot_size_.load();
  if (base > 0 && size * 100 < base * static_cast<uint64_t>(pct)) return;
  {
    std::lock_guard lock(rw_mu_);
    if (rewriting_) return;
  }
  log_line(LogLevel::kNotice, "Starting automatic rewriting of AOF on " + std::to_string(size) + " bytes of log");
  rewrite(false, false);
}

// ---- compaction ----

std::string Wal::rewrite(bool wait, bool is_save) {
  std::unique_lock lock(rw_mu_);
  if (rewriting_)
    return is_save ? "ERR Background save already in progress"
                   : "ERR Background append only file rewriting already in progress";
  rewriting_ = true;
  rewrite_started_ms_ = now_ms();
  if (rewrite_thread_.joinable()) {
    lock.unlock();
    rewrite_thread_.join();
    lock.lock();
  }
  rewrite_thread_ = std::jthread([this, is_save] { do_rewrite(is_save); });
  if (!wait) return "";
  rw_cv_.wait(lock, [this] { return !rewriting_; });
  if (last_rewrite_ok_) return "";
  return is_save ? "ERR" : "ERR " + last_rewrite_error_;  // SAVE answers a bare -ERR, as Redis; the log says why
}

void Wal::do_rewrite(bool is_save) {
  int64_t started = now_ms();
  uint64_t gen;
  {
    std::unique_lock lock(mu_);
    rotated_gen_ = 0;
    rotate_requested_ = true;
    kicked_ = true;
    cv_.notify_one();
    rot_cv_.wait(lock, [this] { return rotated_gen_ != 0; });
    gen = rotated_gen_;
  }
  crash_point("rewrite-after-rotate");
  uint64_t bytes = 0;
  uint64_t seq_before = ks_.next_seq();
  std::string error = gen == UINT64_MAX ? "can't start a new log file" : write_snapshot(gen, &bytes);
  if (error.empty()) {
    snapshot_size_.store(bytes);
    remove_older_than(gen);
    log_line(LogLevel::kNotice, std::string(is_save ? "DB saved on disk" : "Background AOF rewrite finished successfully") +
                                    " (" + std::to_string(bytes) + " bytes, " + std::to_string(now_ms() - started) + " ms)");
  } else {
    log_line(LogLevel::kWarning, "Snapshot failed: " + error);
  }
  std::lock_guard lock(rw_mu_);
  rewriting_ = false;
  last_rewrite_ok_ = error.empty();
  last_rewrite_error_ = error;
  last_rewrite_sec_ = (now_ms() - started) / 1000;
  ++rewrites_;
  rewrite_failures_ = error.empty() ? 0 : rewrite_failures_ + 1;
  if (error.empty()) {
    last_save_s_ = now_ms() / 1000;
    seq_at_save_ = seq_before;
  }
  rw_cv_.notify_all();
}

// Copies the keyspace one shard at a time into tally.<gen>.snap (via .tmp, fsync, rename, dir fsync).
std::string Wal::write_snapshot(uint64_t gen, uint64_t* bytes) {
  std::string final_path = path(gen, ".snap");
  std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "can't create " + tmp + ": " + std::strerror(errno);
  std::string buf;
  put_file_header(buf, kSnapMagic, {kWalFormatVersion, ks_.shard_count(), hash_seed(), gen});
  std::vector<uint64_t> shard_seq(ks_.shard_count());
  uint64_t records = 0, written = 0;
  bool ok = true;
  for (uint32_t s = 0; s < ks_.shard_count() && ok; ++s) {
    Shard& sh = ks_.shard(s);
    {
      std::lock_guard lock(sh.mu);
      shard_seq[s] = sh.wal_last_seq;
      for (std::size_t db = 0; db < sh.dbs.size(); ++db) {
        DbSlot& slot = sh.dbs[db];
        slot.table.for_each([&](const HNode* n) {
          const Entry* e = entry_of(n);
          put_entry_record(buf, shard_seq[s], s, static_cast<uint32_t>(db), e, slot.expiry_of(e));
          ++records;
        });
      }
    }
    if (s == ks_.shard_count() / 2) crash_point("rewrite-mid-snapshot");
    if (buf.size() >= kSnapshotChunk || s + 1 == ks_.shard_count()) {
      ok = write_all(fd, buf.data(), buf.size());
      written += buf.size();
      buf.clear();
    }
  }
  if (ok) {
    std::size_t start = begin_record(buf, 0, 0, 0, WalOp::kSnapEnd, {});
    put_u32(buf, ks_.shard_count());
    for (uint64_t q : shard_seq) put_u64(buf, q);
    put_u64(buf, ks_.next_seq());
    put_u64(buf, records);
    end_record(buf, start);
    ok = write_all(fd, buf.data(), buf.size()) && ::fsync(fd) == 0;
    written += buf.size();
  }
  std::string error = ok ? "" : "can't write " + tmp + ": " + std::strerror(errno);
  ::close(fd);
  // The copy may show changes whose log records are not on disk yet; if the old files went and the
  // machine crashed before they were, the recovered state would have holes. Sync the log first.
  if (error.empty() && logging_on_ && !wait_log_synced()) error = "the log could not be synced";
  crash_point("rewrite-before-rename");
  if (ok && (::rename(tmp.c_str(), final_path.c_str()) != 0 || !fsync_dir(dir_)))
    error = "can't rename " + tmp + ": " + std::strerror(errno);
  if (!error.empty()) ::unlink(tmp.c_str());
  crash_point("rewrite-after-rename");
  *bytes = written;
  return error;
}

void Wal::remove_older_than(uint64_t gen) {
  for (const char* ext : {".snap", ".wal"})
    for (const GenFile& f : list_generations(dir_, ext))
      if (f.gen < gen) ::unlink(f.path.c_str());
  fsync_dir(dir_);
}

WalStatus Wal::status() const {
  WalStatus st;
  st.enabled = cfg_.appendonly.load();
  st.write_error = write_error();
  st.log_size = log_size_.load();
  st.snapshot_size = snapshot_size_.load();
  st.fsyncs = fsyncs_.load();
  st.batches = batches_.load();
  std::lock_guard lock(rw_mu_);
  st.rewrite_in_progress = rewriting_;
  st.rewrite_started_ms = rewrite_started_ms_;
  st.last_rewrite_sec = last_rewrite_sec_;
  st.last_rewrite_ok = last_rewrite_ok_;
  st.last_save_s = last_save_s_;
  st.rewrites = rewrites_;
  st.rewrite_failures = rewrite_failures_;
  uint64_t next = ks_.next_seq();
  st.changes_since_save = next > seq_at_save_ ? next - seq_at_save_ : 0;
  return st;
}

}  // namespace tally
