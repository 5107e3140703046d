// Recovery (Wal::recover), the layout probe and the checker (check_wal): reading snapshots and logs.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "config.h"
#include "log.h"
#include "wal.h"
#include "wal_io.h"

namespace tally {
namespace {

// A whole file mapped read-only.
class Mapped {
 public:
  explicit Mapped(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error_ = std::strerror(errno);
      return;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      size_ = static_cast<std::size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) error_ = std::strerror(errno), size_ = 0;
      else data_ = static_cast<const char*>(p);
    }
    ::close(fd);
  }
  ~Mapped() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& error() const { return error_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::string error_;
};

struct Damage {
  bool found = false;
  bool torn = false;  // the damage runs to the end of the file: an interrupted last write
  uint64_t offset = 0;
  std::string reason;
  uint64_t zeros_at = 0;  // not damage: the log ends here and the file goes on in zeros (wal-preallocate)
};

bool all_zero(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

// Checks the records of a batch payload: checksums, count, and seqs inside [first, end).
std::string check_payload(const BatchHeader& h, const char* p) {
  std::size_t pos = 0;
  uint32_t count = 0;
  while (pos < h.payload_len) {
    RecordView r;
    std::size_t used;
    if (decode_record(p + pos, h.payload_len - pos, &r, &used) != Decode::kOk) return "bad record checksum or length";
    if (r.seq < h.first_seq || r.seq >= h.end_seq) return "record outside its batch's sequence range";
    pos += used;
    ++count;
  }
  return count == h.count ? "" : "record count does not match the batch header";
}

using BatchFn = std::function<std::string(const BatchHeader&, const char* payload, uint64_t offset)>;

// Walks the batches of a log image after its header, calling fn for each intact one (fn may refuse
// one by returning an error). Stops at the first damage and describes it. Zeros from a batch
// boundary to the end of the file are where the log ends (the writer preallocates them), and a
// batch that fails its checks with only zeros after it is a torn last write.
Damage walk_log(const char* data, std::size_t size, uint64_t expected_first, const BatchFn& fn) {
  Damage d;
  uint64_t off = kFileHeaderSize;
  while (off < size) {
    const char* p = data + off;
    std::size_t left = size - off;
    if (all_zero(p, left)) {  // stops at the first non-zero byte: a batch's magic number
      d.zeros_at = off;
      return d;
    }
    BatchHeader h{};
    Decode st = decode_batch_header(p, left, &h);
    std::string why;
    bool torn = false;
    if (st == Decode::kShort) {
      why = "truncated batch header", torn = true;
    } else if (st == Decode::kBad) {
      why = "bad batch header", torn = all_zero(p, left);
    } else if (h.payload_len > left - kBatchHeaderSize) {
      why = "batch runs past the end of the file", torn = true;
    } else if (std::string e = check_payload(h, p + kBatchHeaderSize); !e.empty()) {
      why = e, torn = all_zero(p + kBatchHeaderSize + h.payload_len, left - kBatchHeaderSize - h.payload_len);
    } else if (expected_first && h.first_seq != expected_first) {
      why = "sequence gap: expected " + std::to_string(expected_first) + ", found " + std::to_string(h.first_seq);
    } else if (std::string e = fn(h, p + kBatchHeaderSize, off); !e.empty()) {
      why = e;
    }
    if (!why.empty()) return {true, torn, off, why};
    expected_first = h.end_seq;
    off += kBatchHeaderSize + h.payload_len;
  }
  return d;
}

struct SnapshotInfo {
  std::vector<uint64_t> shard_seq;
  uint64_t next_seq = 1;
  uint64_t records = 0;
};

// Reads a snapshot image; calls apply(record) for each entry record. "" or what is wrong (with offset).
std::string read_snapshot(const char* data, std::size_t size, SnapshotInfo* info,
                          const std::function<std::string(const RecordView&)>& apply,
                          const std::function<void(uint64_t)>& progress) {
  uint64_t off = kFileHeaderSize;
  uint64_t records = 0;
  while (off < size) {
    RecordView r;
    std::size_t used;
    if (decode_record(data + off, size - off, &r, &used) != Decode::kOk)
      return "bad record at offset " + std::to_string(off);
    if (r.op == WalOp::kSnapEnd) {
      const char* p = r.payload.data();
      uint32_t shards;
      std::memcpy(&shards, p, 4);
      if (r.payload.size() != 4 + 8 * static_cast<std::size_t>(shards) + 16 || off + used != size)
        return "bad trailer at offset " + std::to_string(off);
      info->shard_seq.resize(shards);
      std::memcpy(info->shard_seq.data(), p + 4, 8 * static_cast<std::size_t>(shards));
      std::memcpy(&info->next_seq, p + 4 + 8 * shards, 8);
      std::memcpy(&info->records, p + 12 + 8 * shards, 8);
      if (info->records != records) return "record count does not match the trailer";
      return "";
    }
    if (std::string e = apply(r); !e.empty()) return e + " at offset " + std::to_string(off);
    ++records;
    off += used;
    if ((records & 0xFFFF) == 0) progress(off);
  }
  return "no trailer: the snapshot is incomplete";
}

bool read_header(const char* data, std::size_t size, const char (&magic)[8], FileHeader* h) {
  return data && decode_file_header(data, size, magic, h);
}

// Applies records on several threads: shard s's records all go to thread s % n, in the order they
// were added, and shards are independent, so the result is the one sequential replay would give.
class ParallelApply {
 public:
  explicit ParallelApply(Keyspace& ks)
      : ks_(ks), buckets_(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8)) {}

  // Queues r (its bytes must stay mapped until run()); runs the queue when it is long.
  std::string add(const RecordView& r) {
    buckets_[r.shard % buckets_.size()].push_back(r);
    return ++queued_ >= kChunk ? run() : std::string();
  }

  // Applies everything queued; returns the first error.
  std::string run() {
    std::vector<std::string> errors(buckets_.size());
    {
      std::vector<std::jthread> threads;
      for (std::size_t t = 1; t < buckets_.size(); ++t)
        if (!buckets_[t].empty()) threads.emplace_back([this, t, &errors] { errors[t] = apply(buckets_[t]); });
      errors[0] = apply(buckets_[0]);
    }
    queued_ = 0;
    for (auto& b : buckets_) b.clear();
    for (const std::string& e : errors)
      if (!e.empty()) return e;
    return "";
  }

 private:
  static constexpr std::size_t kChunk = 1 << 18;
  std::string apply(const std::vector<RecordView>& records) {
    for (const RecordView& r : records)
      if (std::string e = apply_record(ks_, r); !e.empty()) return e + " (record seq " + std::to_string(r.seq) + ")";
    return "";
  }
  Keyspace& ks_;
  std::vector<std::vector<RecordView>> buckets_;
  std::size_t queued_ = 0;
};

}  // namespace

bool Wal::probe_layout(const std::string& dir, FileHeader* out) {
  for (const char* ext : {".wal", ".snap"}) {
    auto files = list_generations(dir, ext);
    for (auto it = files.rbegin(); it != files.rend(); ++it) {
      Mapped m(it->path);
      if (read_header(m.data(), m.size(), ext[1] == 'w' ? kLogMagic : kSnapMagic, out)) return true;
    }
  }
  return false;
}

std::string Wal::recover(LoadProgress* progress) {
  remove_temporaries(dir_);
  auto snaps = list_generations(dir_, ".snap");
  auto logs = list_generations(dir_, ".wal");
  uint64_t base_gen = snaps.empty() ? 0 : snaps.back().gen;
  uint64_t total = 0;
  auto file_size = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  };
  if (!snaps.empty()) total += file_size(snaps.back().path);
  for (const GenFile& f : logs)
    if (f.gen >= base_gen) total += file_size(f.path);
  progress->total_bytes.store(total);
  uint64_t done_bytes = 0;
  int64_t last_report = now_ms();
  auto report = [&](uint64_t file_off) {
    progress->loaded_bytes.store(done_bytes + file_off);
    if (now_ms() - last_report >= 1000) {
      last_report = now_ms();
      log_line(LogLevel::kNotice, "Loading: " + std::to_string((done_bytes + file_off) >> 20) + " MB of " +
                                      std::to_string(total >> 20) + " MB");
    }
  };
  auto layout_ok = [this](const FileHeader& h) {
    return h.shard_count == ks_.shard_count() && h.hash_seed == hash_seed();
  };

  SnapshotInfo snap;
  if (!snaps.empty()) {
    const std::string& p = snaps.back().path;
    Mapped m(p);
    FileHeader h;
    if (!read_header(m.data(), m.size(), kSnapMagic, &h) || !layout_ok(h))
      return "Bad snapshot " + p + ": unreadable header" + (m.error().empty() ? "" : " (" + m.error() + ")");
    ParallelApply applier(ks_);
    std::string e = read_snapshot(m.data(), m.size(), &snap, [&applier](const RecordView& r) { return applier.add(r); }, report);
    if (e.empty()) e = applier.run();
    if (!e.empty()) return "Bad snapshot " + p + ": " + e + ". Check it with: tally-server --check-wal " + dir_;
    done_bytes += m.size();
    snapshot_size_.store(m.size());
    log_line(LogLevel::kNotice, "Snapshot " + p + " loaded: " + std::to_string(snap.records) + " keys");
  }

  uint64_t expected = 0, batches = 0, records = 0, gen = base_gen;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const GenFile& f = logs[i];
    if (f.gen < base_gen) continue;
    bool last = i + 1 == logs.size();
    gen = f.gen;
    Damage d;
    {
      Mapped m(f.path);
      FileHeader h;
      if (!read_header(m.data(), m.size(), kLogMagic, &h) || !layout_ok(h)) {
        if (!last || m.size() >= kFileHeaderSize) return "Bad log " + f.path + ": unreadable header";
        d = {true, true, 0, "truncated file header"};  // crashed while creating it
      } else {
        ParallelApply applier(ks_);
        d = walk_log(m.data(), m.size(), expected, [&](const BatchHeader& bh, const char* p, uint64_t off) {
          for (std::size_t pos = 0; pos < bh.payload_len;) {
            RecordView r;
            std::size_t used;
            decode_record(p + pos, bh.payload_len - pos, &r, &used);
            pos += used;
            ++records;
            if (r.shard < snap.shard_seq.size() && r.seq <= snap.shard_seq[r.shard]) continue;  // in the snapshot
            if (std::string e = applier.add(r); !e.empty()) return e;
          }
          ++batches;
          expected = bh.end_seq;
          report(off);
          return std::string();
        });
        if (std::string e = applier.run(); !e.empty()) return "Bad log " + f.path + ": " + e;
      }
      done_bytes += m.size();
    }
    if (!d.found) {
      // The zeros the writer preallocated go, so that the log is reopened at its end (open_log).
      if (d.zeros_at && last && ::truncate(f.path.c_str(), static_cast<off_t>(d.zeros_at)) != 0)
        return "Can't truncate " + f.path + ": " + std::strerror(errno);
      continue;
    }
    std::string where = f.path + " at offset " + std::to_string(d.offset);
    if (d.torn && last && cfg_.aof_load_truncated.load()) {
      log_line(LogLevel::kWarning, "!!! Warning: the log's last write was interrupted (" + d.reason + "): " +
                                       where + " and after are cut off; the server starts with what is before it.");
    } else if (cfg_.wal_load_corrupt.load()) {
      log_line(LogLevel::kWarning, "!!! Warning: damaged log " + where + " (" + d.reason +
                                       "): loading up to it because wal-load-corrupt is yes; the rest is dropped.");
      for (std::size_t j = i + 1; j < logs.size(); ++j) {
        ::rename(logs[j].path.c_str(), (logs[j].path + ".corrupt").c_str());
        log_line(LogLevel::kWarning, "Set aside " + logs[j].path + " as " + logs[j].path + ".corrupt");
      }
      logs.resize(i + 1);
    } else {
      return "Bad log " + where + ": " + d.reason + (d.torn && last ? " (an interrupted last write; aof-load-truncated is no)" : "") +
             ". Start with --wal-load-corrupt yes to load up to it, or repair it with: tally-server --check-wal " + dir_ + " --fix";
    }
    if (d.offset < kFileHeaderSize) {
      ::unlink(f.path.c_str());
    } else if (::truncate(f.path.c_str(), static_cast<off_t>(d.offset)) != 0) {
      return "Can't truncate " + f.path + ": " + std::strerror(errno);
    }
  }
  for (const GenFile& f : logs)
    if (f.gen < base_gen) ::unlink(f.path.c_str());
  ks_.set_next_seq(std::max<uint64_t>({expected, snap.next_seq, 1}));
  gen_.store(gen);
  {
    // INFO persistence may read these while the load runs (it is allowed during loading).
    std::lock_guard lock(rw_mu_);
    last_save_s_ = now_ms() / 1000;
    seq_at_save_ = ks_.next_seq();
  }
  progress->loaded_bytes.store(total);
  if (batches) log_line(LogLevel::kNotice, "Log replayed: " + std::to_string(batches) + " batches, " + std::to_string(records) + " records");
  return "";
}

int check_wal(const std::string& given, bool fix) {
  std::string dir = given;
  if (list_generations(dir, ".snap").empty() && list_generations(dir, ".wal").empty() &&
      !list_generations(dir + "/appendonlydir", ".wal").empty())
    dir += "/appendonlydir";  // given the data directory
  auto snaps = list_generations(dir, ".snap");
  auto logs = list_generations(dir, ".wal");
  if (snaps.empty() && logs.empty()) {
    std::printf("No snapshot or log files (tally.<gen>.snap / tally.<gen>.wal) in %s\n", dir.c_str());
    return 1;
  }
  int rc = 0;
  for (const GenFile& f : snaps) {
    Mapped m(f.path);
    FileHeader h;
    SnapshotInfo info;
    std::string e = !read_header(m.data(), m.size(), kSnapMagic, &h)
                        ? "unreadable header"
                        : read_snapshot(m.data(), m.size(), &info, [](const RecordView&) { return std::string(); }, [](uint64_t) {});
    if (e.empty()) {
      std::printf("%s: OK, %llu keys, next seq %llu\n", f.path.c_str(), static_cast<unsigned long long>(info.records),
                  static_cast<unsigned long long>(info.next_seq));
    } else {
      std::printf("%s: BAD: %s\n", f.path.c_str(), e.c_str());
      rc = 1;  // a snapshot is written whole and renamed: damage there is not a torn write, --fix cannot help
    }
  }
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const GenFile& f = logs[i];
    Damage d;
    uint64_t batches = 0, records = 0, first = 0, end = 0;
    {
      Mapped m(f.path);
      FileHeader h;
      if (!read_header(m.data(), m.size(), kLogMagic, &h)) {
        d = {true, m.size() < kFileHeaderSize, 0, "unreadable header"};
      } else {
        d = walk_log(m.data(), m.size(), 0, [&](const BatchHeader& bh, const char*, uint64_t) {
          if (!first) first = bh.first_seq;
          end = bh.end_seq;
          ++batches;
          records += bh.count;
          return std::string();
        });
      }
    }
    std::printf("%s: %llu batches, %llu records, seq %llu..%llu", f.path.c_str(), static_cast<unsigned long long>(batches),
                static_cast<unsigned long long>(records), static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(end ? end - 1 : 0));
    if (!d.found) {
      if (d.zeros_at) std::printf(": OK, ends at offset %llu (zeros after it)\n", static_cast<unsigned long long>(d.zeros_at));
      else std::printf(": OK\n");
      continue;
    }
    std::printf(": %s at offset %llu: %s\n", d.torn ? "TORN TAIL" : "DAMAGED", static_cast<unsigned long long>(d.offset),
                d.reason.c_str());
    if (!fix) {
      rc = 1;
      continue;
    }
    bool ok = d.offset < kFileHeaderSize ? ::unlink(f.path.c_str()) == 0 : ::truncate(f.path.c_str(), static_cast<off_t>(d.offset)) == 0;
    std::printf("  %s %s at offset %llu\n", ok ? "fixed: truncated" : "could not truncate", f.path.c_str(),
                static_cast<unsigned long long>(d.offset));
    for (std::size_t j = i + 1; ok && j < logs.size(); ++j) {
      ::rename(logs[j].path.c_str(), (logs[j].path + ".corrupt").c_str());
      std::printf("  set aside %s as %s.corrupt (it follows the damage)\n", logs[j].path.c_str(), logs[j].path.c_str());
    }
    if (!ok) rc = 1;
    break;
  }
  return rc;
}

}  // namespace tally
