// The shard-aware asynchronous write-ahead log: group commit, durability for `appendfsync always`,
// recovery, and fork-less compaction (docs/wal-format.md has the byte format, docs/durability.md the
// guarantees).
//
// Request path: a command's Txn appends effect records to its shards' buffers (Shard::wal_buf) under
// the shard locks it already holds, with one sequence number per command (db.cpp). No global lock.
//
// Writer thread: each round takes E = the next sequence number, then every dirty shard's buffer,
// and writes the records with seq < E (keeping later ones for the next round) as one checksummed
// batch covering exactly [previous E, E). Every seq below E is in the batch or an earlier one,
// because a seq is taken under its shards' locks and the writer takes each lock after reading E.
// Under `always` it then fdatasyncs and publishes E as durable: one fsync covers every write that
// arrived meanwhile, from all shards. Workers hold a client's replies until durable >= the sequence
// counter read after running its commands, so a reply never shows a write that is not on disk.
//
// Leader sync (`always` with wal-leader-sync yes, the default): the rounds run on the workers
// instead, with no hand-off to the writer thread and back (two wake-ups per fsync). A worker that
// holds replies at the end of its event-loop pass calls lead_sync(): under log_mu_ it gathers and
// writes a batch as the writer would, then it fdatasyncs outside the lock and publishes the
// batch's end as durable. One fsync thus covers every reply of the pass. Another worker may write
// its own batch meanwhile and fsync concurrently: an fdatasync covers every byte written before
// it began, and batches are written in sequence order under the lock, so each leader's batch end
// is durable when its own fdatasync returns (durable_ only grows: a max). A worker whose records
// another leader already wrote waits for them in its own fdatasync (no new data: no new I/O).
// The writer thread keeps rotation, sync requests, config switches and, under leader sync, the
// records that no round took since its last pass (nobody waits for them: active expiry's deletions,
// a client gone before its reply).
//
// Files, in <dir>/<appenddirname>/: tally.<gen>.snap (a full snapshot) and tally.<gen>.wal (the log
// after it). Compaction: the writer switches to log gen+1; a rewrite thread copies each shard, one
// at a time under its lock, noting the shard's last seq; recovery skips log records a shard's copy
// already holds. The snapshot is written as .tmp, fsynced, renamed and the directory fsynced before
// older files are removed, so a crash at any point leaves a loadable set.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db.h"
#include "thread_pool.h"
#include "wal_format.h"

namespace tally {

struct Config;

// What INFO's loading fields show while recover() runs.
struct LoadProgress {
  std::atomic<bool> loading{false};
  std::atomic<int64_t> start_ms{0};
  std::atomic<uint64_t> total_bytes{0};
  std::atomic<uint64_t> loaded_bytes{0};
};

// For INFO persistence.
struct WalStatus {
  bool enabled = false;
  bool rewrite_in_progress = false;
  int64_t rewrite_started_ms = 0;
  int64_t last_rewrite_sec = -1;
  bool last_rewrite_ok = true;
  std::string write_error;  // "" when the last write/fsync succeeded
  uint64_t log_size = 0, snapshot_size = 0;
  int64_t last_save_s = 0;
  uint64_t changes_since_save = 0;
  uint64_t fsyncs = 0, batches = 0;
  uint64_t rewrites = 0, rewrite_failures = 0;  // failures: consecutive
};

class Wal final : public LogSink {
 public:
  // `dir` is <dir>/<appenddirname>; it is created when missing.
  Wal(Keyspace& ks, Config& cfg, std::string dir);
  ~Wal() override;  // stop()
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // The shard count and hash seed of the data in `dir` (its newest file), if it holds any.
  static bool probe_layout(const std::string& dir, FileHeader* out);
  // Loads the newest snapshot and replays the logs after it. Returns "" or why the start must stop.
  std::string recover(LoadProgress* progress);
  // Starts the writer; logging begins when appendonly is yes. False (and logged) when the log
  // cannot be opened. REQUIRES: recover() succeeded.
  bool start();
  // Writes and fsyncs what is buffered, then stops the writer and any rewrite.
  void stop();

  void appended() override;  // the request path's doorbell: cheap unless the writer sleeps
  // Every change with a lower sequence number is on disk (always) or written to the file (others).
  uint64_t durable_seq() const { return durable_.load(std::memory_order_seq_cst); }
  bool always() const;
  // `always` with wal-leader-sync yes: the threads that wait for durability run the rounds (lead_sync).
  bool leader_sync() const;
  // Leader sync: writes every change below the sequence counter and fdatasyncs on the calling
  // thread (the fdatasync outside log_mu_, so several callers' fsyncs overlap); durable_seq()
  // covers them when it returns true. False: not done, because the log was switched off or away
  // from always (the writer thread takes over and wakes the waiting workers), or a write failed.
  // REQUIRES: the caller holds no shard lock.
  bool lead_sync();
  // Called on the writer thread whenever it advances durable_seq() (a leader needs no wake-up: the
  // worker that waits runs lead_sync itself).
  void set_on_durable(std::function<void()> fn) { on_durable_ = std::move(fn); }
  // Why writes are refused ("" when they are not): the last write or fsync failed. failing() is the
  // cheap test for the request path.
  std::string write_error() const;
  bool failing() const { return failed_.load(std::memory_order_relaxed); }

  // Snapshot + new log: BGREWRITEAOF / BGSAVE (wait = false) or SAVE (wait = true). Returns "" when
  // started (or, waiting, done), else the error reply text.
  std::string rewrite(bool wait, bool is_save);
  WalStatus status() const;

 private:
  void writer_loop(std::stop_token st);
  void wait_for_work(std::stop_token& st);
  // Gathers and writes one batch (and fsyncs it under always unless defer_sync); false on a write error.
  bool round(bool defer_sync = false);
  bool gather();                // fills pending_ with the records below the current seq counter
  bool write_pending(bool defer_sync);
  void close_log();  // cuts fd_'s zeros off and closes it once no leader's fdatasync uses it
  void preallocate(uint64_t end);  // zeros after `end`, the log's new end (wal-preallocate)
  bool sync_file(const char* why);  // fdatasync; exits under always on failure
  void sync_config();           // appendonly switched by CONFIG SET
  void rotate();                // closes this generation's log and starts the next
  bool open_log(uint64_t gen);
  void maybe_auto_rewrite();
  void fail(const std::string& what, int err);
  void do_rewrite(bool is_save);
  std::string write_snapshot(uint64_t gen, uint64_t* bytes);
  void remove_older_than(uint64_t gen);
  std::string path(uint64_t gen, const char* ext) const;
  void publish_durable(uint64_t seq);
  void notify_durable(uint64_t before);  // on_durable_ if durable_ moved past `before`
  void writer_pass(bool stopping);  // one pass of the writer loop's log work, under log_mu_
  void serve_sync_request();
  // Waits until every change below the sequence counter is fsynced in the log; false if it failed.
  bool wait_log_synced();

  Keyspace& ks_;
  Config& cfg_;
  const std::string dir_;
  std::function<void()> on_durable_;

  // The log file's state: the writer thread and, under leader sync, the leading workers use it, one
  // at a time under log_mu_. The atomics among them are also read without the lock (wait_for_work).
  std::mutex log_mu_;
  std::atomic<int> syncs_in_flight_{0};  // lead_sync's fdatasyncs outside the lock
  int fd_ = -1;
  std::atomic<uint64_t> gen_{0};       // generation of the log being written (or last snapshot)
  std::atomic<uint64_t> written_end_{1};  // next seq the log expects
  std::vector<std::string> carry_;     // per shard: records taken but not yet below a round's end
  std::string taken_;                  // a shard's buffer, swapped out under its lock (gather)
  std::string pending_;                // a gathered batch not yet written
  std::atomic<bool> has_pending_{false};  // !pending_.empty()
  uint64_t pending_end_ = 0;
  std::atomic<uint32_t> last_batch_records_{0};
  std::atomic<bool> unsynced_{false};
  int64_t last_fail_log_ms_ = 0;
  std::atomic<std::chrono::steady_clock::time_point> last_write_{};
  std::atomic<std::chrono::steady_clock::time_point> last_sync_end_{};
  std::atomic<int64_t> last_fsync_ms_{0};
  std::atomic<bool> logging_on_{false};  // written under log_mu_ (and by start())
  uint64_t writer_seen_durable_ = 0;     // the writer thread's: durable_ after its last pass
  uint64_t seen_switches_ = 0;           // Config::appendonly_switches at the last sync_config()

  std::atomic<uint64_t> durable_{1};
  std::atomic<uint64_t> log_size_{0};  // where the log's last batch ends (the file may go on in zeros)
  uint64_t zeroed_end_ = 0;  // the file's length: zeros from log_size_ up to here (under log_mu_)
  uint64_t no_prealloc_until_ = 0;  // after a failed preallocation: none before the log reaches this
  std::atomic<uint64_t> snapshot_size_{0};
  std::atomic<uint64_t> fsyncs_{0}, batches_{0};

  mutable std::mutex mu_;  // guards the fields below and the writer's sleep
  std::condition_variable cv_;      // wakes the writer
  std::condition_variable rot_cv_;  // tells a rewrite that the log switched (rotated_gen_)
  std::atomic<bool> sleeping_{false};
  bool kicked_ = false;
  bool rotate_requested_ = false;
  uint64_t rotated_gen_ = 0;
  uint64_t sync_target_ = 0;  // a rewrite waits until the log is fsynced up to here
  uint64_t synced_end_ = 0;
  std::string write_error_;
  std::atomic<bool> failed_{false};

  mutable std::mutex rw_mu_;  // guards the rewrite fields below
  std::condition_variable rw_cv_;
  bool rewriting_ = false;
  int64_t rewrite_started_ms_ = 0;
  int64_t last_rewrite_sec_ = -1;
  bool last_rewrite_ok_ = true;
  std::string last_rewrite_error_;
  uint64_t rewrites_ = 0, rewrite_failures_ = 0;
  int64_t last_save_s_ = 0;
  uint64_t seq_at_save_ = 1;
  std::jthread rewrite_thread_;

  std::unique_ptr<ThreadPool> writer_;  // last: one thread, started by start(), joined by stop()
};

// `tally-server --check-wal DIR [--fix]`: reports every file's state, truncates a damaged log at
// the damage with --fix. Returns the process exit code (0: clean or fixed).
int check_wal(const std::string& dir, bool fix);

}  // namespace tally
