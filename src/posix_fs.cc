// Copyright (c) the kvstore developers.
//
// The POSIX FileSystem. Every error names the file and the OS error, and the
// process limit behind it where one applies (EMFILE names RLIMIT_NOFILE, ENFILE
// fs.file-max, a failed mmap RLIMIT_AS). Writes retry on EINTR and continue
// after short writes.
//
// The WAL (PosixLogFile) is written through a shared file mapping: a record is
// memcpy'd into space preallocated with posix_fallocate, which puts it in the
// kernel's page cache without a system call. It therefore survives a kill -9
// as soon as the copy ends; Sync() (fdatasync) makes it survive power loss.
// Preallocation also means a full disk is reported by Append (ENOSPC from
// fallocate) rather than by a SIGBUS on a later store to the mapping. Each
// preallocated step is then overwritten with zeros (WriteZeros): the syncs
// of kAlways then write only the records' pages and no file metadata, and
// the pages are in the page cache before the appends reach them.
//
// Only the preallocated part of the file is mapped; when appends reach its end
// the next step is preallocated and the mapping grown with mremap (it may
// move). A store therefore costs address space and disk in proportion to its
// log, so a process under `ulimit -v` (RLIMIT_AS) can open stores, and
// thousands of stores fit in one process. Steps start at 64 KiB and grow
// fourfold while the log fills quickly, up to 16 MiB: an idle store holds
// little unused disk and a busy one calls fallocate and mremap rarely (a grow
// took 0.1-0.8 ms under strace; four of them take a log to 16 MiB steps).
// Measured in one process, 24 MB of 136-byte appends to a fresh file: steps
// of 16 MiB from the start 1167 ns/append, 64 KiB growing fourfold 1168,
// eightfold 1145, but doubling 1349 (the cause was not pinned down; the
// measurement decides); hence fourfold.
//
// A step of 1 MiB or more is prepared (preallocated and zeroed) by a
// helper thread while the step before it fills, so that the appends, which
// hold the WAL's lock, do not wait for it: zeroing a 16 MiB step took 24-33
// ms on vm-2c-xeon, and every writer of the store waited that long once per
// 16 MiB of log (docs/DESIGN.md, "Zeroing a step"). When the appends outrun the
// helper, the append that needs the step waits for it; when the helper fails
// (a full disk), that append prepares the step itself and reports the error.
//
// Why a mapping at all: measured on the development VM (2 vCPU, ext4), a
// 136-byte append costs 0.5-3 us as a copy into the mapping but 12-38 us as
// two pwrite calls (body, then the first 8 bytes, which must land last). Why
// mremap rather than a fixed reserved window: a window either caps the log's
// size or costs every store the address space of the largest log, which is
// what made the 1 TiB reservation fail under RLIMIT_AS.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "error.h"
#include "kvstore/filesystem.h"
#include "unique_fd.h"

namespace kvstore {
namespace {

// "RLIMIT_NOFILE 64"; empty if the limit is unlimited or unknown.
std::string RlimitText(int resource, const char* name) {
  struct rlimit rl;
  if (::getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return {};
  return std::string(name) + " " + std::to_string(rl.rlim_cur);
}

// "fs.file-max 9223372036854775807": the system-wide limit behind ENFILE.
std::string FileMaxText() {
  UniqueFd fd(::open("/proc/sys/fs/file-max", O_RDONLY | O_CLOEXEC));
  char buf[32];
  const ssize_t n = fd.valid() ? ::read(fd.get(), buf, sizeof buf) : -1;
  if (n <= 0) return {};
  std::string_view v(buf, static_cast<std::size_t>(n));
  return "fs.file-max " + std::string(v.substr(0, v.find('\n')));
}

// PosixError plus the limit that was hit, where the OS error is one: a
// process out of descriptors or address space is told which limit to raise.
Error OsError(std::string_view op, const std::string& path, int err) {
  Error e = PosixError(op, path, err);
  std::string limit;
  if (err == EMFILE) {
    limit = RlimitText(RLIMIT_NOFILE, "RLIMIT_NOFILE");
  } else if (err == ENFILE) {
    limit = FileMaxText();
  } else if (err == ENOMEM && (op == "mmap" || op == "mremap")) {
    limit = RlimitText(RLIMIT_AS, "RLIMIT_AS");
  }
  if (limit.empty()) return e;
  return Error(e.code(), e.message() + " (" + limit + ")");
}

Result<void> WriteAll(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return OsError("write", path, errno);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

// Buffered sequential writer for snapshots and other whole files.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {
    buf_.reserve(kBufferSize);
  }
  ~PosixWritableFile() override { (void)Close(); }

  Result<void> Append(std::string_view data) override {
    if (!fd_.valid()) return Error(ErrorCode::kClosed, "append to closed file '" + path_ + "'");
    if (buf_.size() + data.size() <= kBufferSize) {
      buf_.append(data);
      return {};
    }
    KV_RETURN_IF_ERROR(Flush());
    if (data.size() >= kBufferSize) return WriteAll(fd_.get(), data.data(), data.size(), path_);
    buf_.append(data);
    return {};
  }

  Result<void> Sync() override {
    KV_RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_.get()) != 0) return OsError("fdatasync", path_, errno);
    return {};
  }

  Result<void> Close() override {
    if (!fd_.valid()) return {};
    auto flushed = Flush();
    auto closed = fd_.Close(path_);
    if (!flushed) return flushed;
    return closed;
  }

 private:
  static constexpr std::size_t kBufferSize = 1 << 20;

  Result<void> Flush() {
    if (buf_.empty()) return {};
    auto r = WriteAll(fd_.get(), buf_.data(), buf_.size(), path_);
    buf_.clear();
    return r;
  }

  std::string path_;
  UniqueFd fd_;
  std::string buf_;
};

// The WAL file. Appends copy into a shared mapping of the preallocated part
// of the file; Grow() preallocates the next step and extends the mapping with
// mremap, which may move it. Only the appending thread (the store serialises
// Append) changes base_, and it does so under mu_, which ReadAt holds while it
// copies: a checkpoint thread reading records never sees a stale pointer.
class PosixLogFile final : public LogFile {
 public:
  static Result<std::unique_ptr<LogFile>> Open(const std::string& path, uint64_t valid_size) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return OsError("open", path, errno);
    std::unique_ptr<PosixLogFile> f(new PosixLogFile(path, UniqueFd(fd)));
    // Drop any torn or preallocated bytes past the valid prefix.
    if (::ftruncate(fd, static_cast<off_t>(valid_size)) != 0) {
      return OsError("ftruncate", path, errno);
    }
    f->size_ = valid_size;
    KV_RETURN_IF_ERROR(f->Grow(valid_size + 1));
    return std::unique_ptr<LogFile>(std::move(f));
  }

  ~PosixLogFile() override {
    (void)Close();  // also joins the step helper
    if (base_ != nullptr) ::munmap(base_, mapped_);
  }

  Result<void> Append(std::string_view rec) override {
    if (!fd_.valid()) return Error(ErrorCode::kClosed, "append to closed WAL '" + path_ + "'");
    const uint64_t at = size_.load(std::memory_order_relaxed);
    if (at + rec.size() > mapped_) KV_RETURN_IF_ERROR(Grow(at + rec.size()));
    char* dst = base_ + at;
    std::memcpy(dst + 8, rec.data() + 8, rec.size() - 8);
    uint64_t first;
    std::memcpy(&first, rec.data(), 8);
    // Release: the body is in the page cache before the header that makes the
    // record visible to a reader (dst is 8-byte aligned: records are padded).
    std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(dst))
        .store(first, std::memory_order_release);
    size_.store(size_.load(std::memory_order_relaxed) + rec.size(), std::memory_order_release);
    ReleaseWrittenPages();
    return {};
  }

  Result<void> Sync() override {
    if (!fd_.valid()) return Error(ErrorCode::kClosed, "sync of closed WAL '" + path_ + "'");
    if (::fdatasync(fd_.get()) != 0) return OsError("fdatasync", path_, errno);
    return {};
  }

  uint64_t Size() const override { return size_.load(std::memory_order_acquire); }

  void SetSyncEachAppend(bool on) override {
    sync_each_append_.store(on, std::memory_order_relaxed);
  }

  Result<void> ReadAt(uint64_t offset, std::size_t n, char* out) const override {
    if (offset + n > Size()) {
      return Error(ErrorCode::kInvalidArgument, "read past end of WAL '" + path_ + "'");
    }
    std::lock_guard lock(mu_);  // base_ may move while the appender grows the mapping
    std::memcpy(out, base_ + offset, n);
    return {};
  }

  // The mapping outlives Close(): a checkpoint may still be copying records
  // out of it through a shared reference while the store closes.
  Result<void> Close() override {
    FinishPreparation();  // first: before the truncation, and on a closed file too
    if (!fd_.valid()) return {};
    Result<void> r;
    if (::ftruncate(fd_.get(), static_cast<off_t>(Size())) != 0)
      r = OsError("ftruncate", path_, errno);
    auto closed = fd_.Close(path_);
    if (!r) return r;
    return closed;
  }

 private:
  // Preallocation steps: a new log starts with kMinStep; each step used up
  // within kQuickFill makes the next one kGrowth times larger, up to
  // kMaxStep (see the header comment for why not double), so a busy log
  // still calls fallocate rarely while an idle store holds only kMinStep of
  // unused disk. A step that lasted longer than kSlowFill halves the next.
  // Smaller steps also mean fewer zeros to scan when reopening after a crash.
  static constexpr uint64_t kMinStep = uint64_t{64} << 10;
  static constexpr uint64_t kMaxStep = uint64_t{16} << 20;
  static constexpr uint64_t kGrowth = 4;
  static constexpr auto kQuickFill = std::chrono::seconds(1);
  static constexpr auto kSlowFill = std::chrono::seconds(60);
  static constexpr uint64_t kReleaseStep = uint64_t{1} << 20;
  // Steps this large or larger are prepared by a helper thread (see the file
  // comment); smaller ones, a slow log's, by the append that needs them.
  static constexpr uint64_t kBackgroundStep = uint64_t{1} << 20;

  PosixLogFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  // Preallocates and maps the file so that at least `need` bytes are mapped.
  Result<void> Grow(uint64_t need) {
    const auto now = std::chrono::steady_clock::now();
    if (base_ != nullptr) {
      const auto lasted = now - last_grow_;
      if (lasted < kQuickFill) {
        step_ = std::min(kGrowth * step_, kMaxStep);
      } else if (lasted > kSlowFill) {
        step_ = std::max(step_ / 2, kMinStep);
      }
    }
    FinishPreparation();
    if (prepared_ < need) {
      // Whole steps of kMinStep, a multiple of the page size.
      const uint64_t target =
          (std::max(need, mapped_ + step_) + kMinStep - 1) / kMinStep * kMinStep;
      KV_RETURN_IF_ERROR(Prepare(std::max(mapped_, prepared_), target));
      prepared_ = target;
    }
    const uint64_t target = prepared_;
    if (base_ == nullptr) {
      void* p = ::mmap(nullptr, target, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
      if (p == MAP_FAILED) return OsError("mmap", path_, errno);
      base_ = static_cast<char*>(p);
    } else {
      std::lock_guard lock(mu_);
      void* p = ::mremap(base_, mapped_, target, MREMAP_MAYMOVE);
      if (p == MAP_FAILED) return OsError("mremap", path_, errno);
      base_ = static_cast<char*>(p);
    }
    mapped_ = target;
    last_grow_ = now;
    if (step_ >= kBackgroundStep) StartPreparation(mapped_, mapped_ + step_);
    return {};
  }

  // Preallocates [from, to) and zeroes it (from the log's end on, when that
  // is later: the records before it stay).
  Result<void> Prepare(uint64_t from, uint64_t to) const {
    int err = ::posix_fallocate(fd_.get(), static_cast<off_t>(from), static_cast<off_t>(to - from));
    if (err != 0) return OsError("fallocate", path_, err);
    return WriteZeros(std::max(from, size_.load(std::memory_order_relaxed)), to);
  }

  // Prepares [from, to) on a helper thread; FinishPreparation collects it.
  // Without a thread (the system refuses one) the step is prepared when needed.
  void StartPreparation(uint64_t from, uint64_t to) {
    prep_ok_.store(false, std::memory_order_relaxed);
    prep_end_ = to;
    try {
      prep_ = std::thread([this, from, to] {
        prep_ok_.store(static_cast<bool>(Prepare(from, to)), std::memory_order_relaxed);
      });
    } catch (const std::system_error&) {
    }
  }

  // Waits for the helper, if one runs, and takes what it prepared. A failed
  // preparation is dropped: Grow prepares the step itself and reports why.
  void FinishPreparation() {
    if (!prep_.joinable()) return;
    prep_.join();  // orders the helper's writes before what follows
    if (prep_ok_.load(std::memory_order_relaxed)) prepared_ = std::max(prepared_, prep_end_);
  }

  // Writes zeros over [begin, end), which fallocate reserved as unwritten
  // extents, and starts writing them back. An fdatasync after a record lands
  // in an unwritten extent must also commit the extent's conversion to the
  // journal; measured on vm-2c-xeon (ext4) that made each group-commit sync
  // several times slower than one over written blocks (docs/DESIGN.md, group
  // commit). Written once per step, the zeros make later syncs data-only.
  // The zeros also put the pages in the page cache, so that the appends'
  // first stores into them only map them: two writers filling a store
  // reached 2.05-2.11M sets/s with zeros, 1.79-1.82M without.
  //
  // Under kAlways (SetSyncEachAppend) one page per pwrite: the page cache
  // makes a folio as large as the write (up to 2 MiB), a store through the
  // mapping dirties the whole folio, and the next sync writes all of it back.
  // Zeros written 1 MiB at a time made every group-commit sync write
  // hundreds of KiB for a few records: 6.3 GB for 300,000 SETs from 32
  // clients, against 168 MB with 4 KiB writes (docs/DESIGN.md). A sync a
  // second writes that much anyway, and page-sized writes would cost a fill
  // 4,096 system calls per 16 MiB under the append lock: 1 MiB otherwise.
  Result<void> WriteZeros(uint64_t begin, uint64_t end) const {
    static const std::string kZeros(std::size_t{1} << 20, '\0');
    const std::size_t chunk =
        sync_each_append_.load(std::memory_order_relaxed) ? 4096 : kZeros.size();
    for (uint64_t off = begin; off < end;) {
      const auto n = static_cast<std::size_t>(std::min<uint64_t>(chunk, end - off));
      const ssize_t w = ::pwrite(fd_.get(), kZeros.data(), n, static_cast<off_t>(off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return OsError("write", path_, errno);
      }
      off += static_cast<uint64_t>(w);
    }
    // Start the write-back now, so that the next fdatasync does not carry a
    // whole step of zeros (a hint: its failure changes nothing).
    (void)::sync_file_range(fd_.get(), static_cast<off_t>(begin), static_cast<off_t>(end - begin),
                            SYNC_FILE_RANGE_WRITE);
    return {};
  }

  // Written pages stay in the page cache but need not stay in this process's
  // resident set; dropping them keeps RSS to the live data.
  void ReleaseWrittenPages() {
    uint64_t done = Size() / kReleaseStep * kReleaseStep;
    if (done > released_) {
      ::madvise(base_ + released_, done - released_, MADV_DONTNEED);
      released_ = done;
    }
  }

  std::string path_;
  UniqueFd fd_;
  mutable std::mutex mu_;          // held by ReadAt's copy and by the move of the mapping
  char* base_ = nullptr;           // written under mu_, only by the appending thread
  std::atomic<uint64_t> size_{0};  // read by ReadAt on the checkpoint thread
  std::atomic<bool> sync_each_append_{false};  // see WriteZeros
  // The appending thread's own state.
  uint64_t mapped_ = 0;
  uint64_t released_ = 0;
  uint64_t step_ = kMinStep;
  std::chrono::steady_clock::time_point last_grow_;
  // [0, prepared_) is allocated and zeroed past the records; >= mapped_.
  uint64_t prepared_ = 0;
  // The helper preparing [mapped_, prep_end_) while joinable, and whether it
  // succeeded (read after the join).
  std::thread prep_;
  uint64_t prep_end_ = 0;
  std::atomic<bool> prep_ok_{false};
};

// Large buffers are touched once, page by page; on virtual machines each 4 KiB
// page fault is expensive, so ask for transparent huge pages (a hint only).
void AdviseHugePages(char* p, std::size_t n) {
  constexpr std::size_t kHuge = 2 << 20;
  if (n < 2 * kHuge) return;
  auto begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  auto end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// A file mapped read-only in place, followed by at least one zero page (the
// tail of the reserved range), which serves as the parser padding.
class MappedView final : public FileView {
 public:
  static Result<std::unique_ptr<FileView>> Open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return OsError("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return OsError("stat", path, errno);
    if (S_ISDIR(st.st_mode)) return OsError("read", path, EISDIR);
    const auto len = static_cast<std::size_t>(st.st_size);
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t total = (len + page - 1) / page * page + page;
    void* base = ::mmap(nullptr, total, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return OsError("mmap", path, errno);
    std::unique_ptr<MappedView> v(new MappedView(static_cast<char*>(base), len, total));
    if (len > 0 && ::mmap(base, len, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd.get(),
                          0) == MAP_FAILED) {
      return OsError("mmap", path, errno);
    }
    KV_RETURN_IF_ERROR(fd.Close(path));
    return std::unique_ptr<FileView>(std::move(v));
  }
  ~MappedView() override { ::munmap(base_, total_); }
  std::string_view data() const override { return {base_, len_}; }

 private:
  MappedView(char* base, std::size_t len, std::size_t total)
      : base_(base), len_(len), total_(total) {}
  char* base_;
  std::size_t len_;
  std::size_t total_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return OsError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, UniqueFd(fd)));
  }

  Result<std::unique_ptr<LogFile>> OpenLogFile(const std::string& path,
                                               uint64_t valid_size) override {
    return PosixLogFile::Open(path, valid_size);
  }

  Result<void> ReadFile(const std::string& path, std::string* contents) override {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return OsError("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return OsError("stat", path, errno);
    if (S_ISDIR(st.st_mode)) return OsError("read", path, EISDIR);
    const auto expected = static_cast<std::size_t>(st.st_size);
    contents->clear();
    contents->reserve(expected + kReadPadding);
    AdviseHugePages(contents->data(), contents->capacity());
    contents->resize(expected);
    std::size_t done = 0;
    for (;;) {
      if (done == contents->size()) {
        // The file may have grown since fstat; keep reading until EOF.
        if (contents->capacity() < done + 4096 + kReadPadding) {
          contents->reserve(2 * done + 4096 + kReadPadding);
        }
        contents->resize(contents->capacity() - kReadPadding);
      }
      ssize_t n = ::read(fd.get(), contents->data() + done, contents->size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        contents->resize(done);
        return OsError("read", path, errno);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    contents->resize(done);
    return fd.Close(path);
  }

  Result<std::unique_ptr<FileView>> OpenView(const std::string& path) override {
    return MappedView::Open(path);
  }

  Result<bool> FileExists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return OsError("stat", path, errno);
  }

  Result<void> RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return OsError("rename to '" + to + "' from", from, errno);
    }
    return {};
  }

  Result<void> RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return OsError("unlink", path, errno);
    return {};
  }

  Result<void> SyncDir(const std::string& dir) override {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return OsError("open directory", dir, errno);
    if (::fsync(fd.get()) != 0) return OsError("fsync directory", dir, errno);
    return fd.Close(dir);
  }

  Result<void> MakeDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0) return {};
    const int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return OsError("create directory", dir, err == EEXIST ? ENOTDIR : err);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return OsError("open directory", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
      std::string_view n(e->d_name);
      if (n != "." && n != "..") names.emplace_back(n);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return OsError("read directory", dir, err);
    return names;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.valid()) return OsError("open lock file", path, errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Error(ErrorCode::kBusy, "'" + path +
                                           "' is locked: another process (or another store in "
                                           "this one) has the data directory open");
      }
      return OsError("flock", path, errno);
    }
    // The lock lives as long as the descriptor (closing it releases the lock).
    class PosixLock final : public FileLock {
     public:
      explicit PosixLock(UniqueFd fd) : fd_(std::move(fd)) {}

     private:
      UniqueFd fd_;
    };
    return std::unique_ptr<FileLock>(new PosixLock(std::move(fd)));
  }
};

// The fallback view: the file read into a string.
class StringView final : public FileView {
 public:
  std::string contents;
  std::string_view data() const override { return contents; }
};

}  // namespace

Result<std::unique_ptr<FileView>> FileSystem::OpenView(const std::string& path) {
  auto v = std::make_unique<StringView>();
  KV_RETURN_IF_ERROR(ReadFile(path, &v->contents));
  return std::unique_ptr<FileView>(std::move(v));
}

// The default lock: a registry of held paths in this process.
Result<std::unique_ptr<FileLock>> FileSystem::LockFile(const std::string& path) {
  static std::mutex mu;
  static std::set<std::string> held;
  std::lock_guard lock(mu);
  if (!held.insert(path).second) {
    return Error(ErrorCode::kBusy, "'" + path + "' is locked: the data directory is open");
  }
  class RegistryLock final : public FileLock {
   public:
    explicit RegistryLock(std::string path) : path_(std::move(path)) {}
    ~RegistryLock() override {
      std::lock_guard lock(mu);
      held.erase(path_);
    }

   private:
    std::string path_;
  };
  return std::unique_ptr<FileLock>(new RegistryLock(path));
}

std::shared_ptr<FileSystem> FileSystem::Default() {
  static const std::shared_ptr<FileSystem> fs = std::make_shared<PosixFileSystem>();
  return fs;
}

}  // namespace kvstore
