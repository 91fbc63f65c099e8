// Copyright (c) the kvstore developers.
//
// FaultInjectionFs: an in-memory kvstore::FileSystem for crash and I/O-error
// tests, in the spirit of LevelDB's fault_injection_test and RocksDB's
// FaultInjectionTestFS.
//
// Model
//   * A file (an "inode") has its current contents (what the OS holds) and its
//     synced contents (what is on the platter). Sync() of a WritableFile or a
//     LogFile makes the current contents durable.
//   * The namespace (path -> inode) exists twice: the current one and the
//     durable one. Creations, renames and removals change the current one; a
//     SyncDir(dir) copies the current entries of `dir` (the part of a path
//     before its last '/') into the durable one.
//   * SimulateCrash() is a power loss: the namespace reverts to the durable
//     one, every file to its synced contents (kTornTail: plus a random-length
//     prefix of what changed since, from a seeded RNG). Every open handle
//     becomes stale: its calls fail and change nothing.
//   * SimulateProcessCrash() is a kill -9: nothing handed to the "OS" is lost,
//     but open handles become stale (an unclosed LogFile keeps its
//     preallocated zeros, as with the POSIX implementation).
//   * Directories: "." and "/" exist; others are made with CreateDir() and are
//     always durable. Creating a file in a missing directory fails (ENOENT).
//
// Fault injection: InjectFault() makes the nth call (counted from the
// injection) of one kind of operation, or of any kind, fail with an errno,
// reported like the POSIX implementation: "<op> '<path>': <strerror>", code
// kNoSpace for ENOSPC and kIoError otherwise. A failed call changes nothing,
// except an append with `partial_bytes`, which first writes a prefix (for a
// LogFile: the record's bytes 8.. up to the prefix length, its first 8 bytes
// staying zero, as LogFile::Append promises). A persistent fault also fails
// every later matching call (a disk that stays full; FreezeAfter()).
//
// Thread-safe: one mutex guards all state. The optional hook runs before each
// counted operation without the mutex held, so it may call into the store.

#ifndef KVSTORE_TESTS_SUPPORT_FAULT_INJECTION_FS_H_
#define KVSTORE_TESTS_SUPPORT_FAULT_INJECTION_FS_H_

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kvstore/filesystem.h"

namespace kvstore::testing {

// The kinds of operation that are counted and can be made to fail.
enum class OpKind {
  kOpen,        // NewWritableFile, OpenLogFile
  kAppend,      // WritableFile::Append, LogFile::Append
  kSync,        // WritableFile::Sync, LogFile::Sync
  kRead,        // ReadFile, LogFile::ReadAt
  kRename,      // RenameFile
  kRemove,      // RemoveFile
  kSyncDir,     // SyncDir
  kFileExists,  // FileExists
  kClose,       // WritableFile::Close, LogFile::Close
  kAny,         // (for faults and counters only) every kind above
};
const char* OpKindName(OpKind kind);

// One recorded operation (see FaultInjectionFs::Trace()).
struct OpRecord {
  OpKind kind;
  std::string path;
  bool failed;  // an injected fault, or a call on a stale handle
};

class FaultInjectionFs final : public FileSystem {
 public:
  enum class CrashMode {
    kDropUnsynced,  // every file reverts exactly to its synced contents
    kTornTail,      // ...plus a random-length prefix of its unsynced changes
  };

  struct Fault {
    OpKind kind = OpKind::kAny;
    uint64_t nth = 1;     // 1-based: the nth matching call after InjectFault()
    int err = EIO;        // EIO -> kIoError, ENOSPC -> kNoSpace
    bool persistent = false;  // also fail every later matching call
    // For appends only: write this many bytes of the data before failing.
    std::optional<std::size_t> partial_bytes;
    // Only calls on this path match (empty: any path).
    std::string path;

    // Fault::At(OpKind::kSync, 2, ENOSPC).Persistent() etc.
    static Fault At(OpKind kind, uint64_t nth, int err = EIO) {
      Fault f;
      f.kind = kind;
      f.nth = nth;
      f.err = err;
      return f;
    }
    Fault& Persistent() {
      persistent = true;
      return *this;
    }
    Fault& Partial(std::size_t bytes) {
      partial_bytes = bytes;
      return *this;
    }
    Fault& OnPath(std::string p) {
      path = std::move(p);
      return *this;
    }
  };

  explicit FaultInjectionFs(uint64_t seed = 1);
  ~FaultInjectionFs() override;

  // ---- FileSystem ----
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<LogFile>> OpenLogFile(const std::string& path,
                                               uint64_t valid_size) override;
  Result<void> ReadFile(const std::string& path, std::string* contents) override;
  Result<bool> FileExists(const std::string& path) override;
  Result<void> RenameFile(const std::string& from, const std::string& to) override;
  Result<void> RemoveFile(const std::string& path) override;
  Result<void> SyncDir(const std::string& dir) override;
  Result<void> MakeDir(const std::string& dir) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;

  // ---- crashes ----
  void SimulateCrash(CrashMode mode = CrashMode::kDropUnsynced);
  void SimulateProcessCrash();

  // ---- faults ----
  void InjectFault(const Fault& fault);  // replaces the previous fault
  // Every call after the kth counted call from now fails with EIO and changes
  // nothing: the machine "stops" right after call k (then SimulateCrash()).
  void FreezeAfter(uint64_t k);
  void ClearFaults();
  // Number of calls that failed because of an injected fault.
  uint64_t injected_failures() const;
  // The first call that failed because of an injected fault (if any).
  std::optional<OpRecord> first_injected_failure() const;

  // ---- counters and trace ----
  // Calls of `kind` (kAny: all) since construction or ResetCounters().
  uint64_t count(OpKind kind = OpKind::kAny) const;
  void ResetCounters();  // also clears the trace
  void set_trace(bool on);
  std::vector<OpRecord> Trace() const;

  // ---- inspection and setup ----
  void CreateDir(const std::string& dir);
  // Files in the current namespace (sorted); durable: in the durable namespace.
  std::vector<std::string> ListFiles() const;
  std::vector<std::string> ListDurableFiles() const;
  bool Exists(const std::string& path) const;
  // Current / synced contents of the file at path in the current namespace.
  std::optional<std::string> Contents(const std::string& path) const;
  std::optional<std::string> SyncedContents(const std::string& path) const;
  // Creates or replaces path with data, durably (contents and entry).
  void PutFile(const std::string& path, const std::string& data);
  // Open WritableFile/LogFile handles that are neither closed nor stale.
  int open_handles() const;
  // Zero bytes an unclosed LogFile keeps past its size, as the POSIX
  // preallocation does (rounded up to a multiple of this; 0 disables).
  void set_log_preallocation(std::size_t chunk);
  // Runs before every counted call (outside the mutex). nullptr removes it.
  void set_hook(std::function<void(OpKind, const std::string&)> hook);

 private:
  struct Inode {
    std::string data;
    std::string synced;
  };
  class Writable;
  class Log;
  friend class Writable;
  friend class Log;

  // Counts the call and decides whether it fails. REQUIRES: mu_ held.
  // Returns the errno to fail with, or 0. *partial gets the fault's prefix.
  int Account(OpKind kind, const std::string& path, std::optional<std::size_t>* partial = nullptr);
  void RunHook(OpKind kind, const std::string& path);
  bool ParentExists(const std::string& path) const;  // REQUIRES: mu_ held
  static std::string Parent(const std::string& path);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Inode>> files_;    // current namespace
  std::map<std::string, std::shared_ptr<Inode>> durable_;  // durable namespace
  std::set<std::string> dirs_;
  uint64_t epoch_ = 0;  // bumped by every crash; older handles are stale
  std::mt19937_64 rng_;
  std::size_t prealloc_ = 0;

  std::optional<Fault> fault_;
  uint64_t fault_seen_ = 0;  // matching calls since InjectFault
  uint64_t injected_ = 0;
  std::optional<OpRecord> first_failure_;
  uint64_t counts_[static_cast<int>(OpKind::kAny) + 1] = {};
  bool trace_on_ = false;
  std::vector<OpRecord> trace_;
  int open_handles_ = 0;
  std::shared_ptr<std::function<void(OpKind, const std::string&)>> hook_;
};

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_FAULT_INJECTION_FS_H_
