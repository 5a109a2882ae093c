// port/env_fault.h: FaultInjectionEnv, an Env wrapper for crash tests.
//
// The model of a device and a power cut:
//
//  * File data. Each file written through this Env is an inode with a size
//    and a durable size. Append grows the size; a successful
//    WritableFile::Sync sets the durable size to the size at the call. Only
//    the first durable-size bytes are sure to survive a power cut.
//    NewWritableFile on an existing file truncates it in place, and the old
//    contents count as lost (durable size 0) until the next Sync.
//  * Names. Creating a file, renaming a file into place and removing a
//    file change the directory; the change is durable only after SyncDir of
//    that directory. Until then a power cut undoes it: a new name vanishes,
//    a renamed file gets its old name back and the target its old inode
//    (or vanishes), a removed file reappears. To make that possible the
//    bytes of a removed or replaced file are kept in memory until the
//    SyncDir that makes its removal durable.
//  * Tracking begins lazily: a file already on the base Env when first
//    touched counts as durable, name and data. Files never touched are
//    left alone. Directories are not modeled (CreateDir is durable at once).
//  * A power cut (CutPowerAfter, or simply calling ResetAfterPowerCut)
//    freezes the device: every later mutating operation fails with
//    IOError("simulated power cut: ...") and does nothing; reads still work.
//    ResetAfterPowerCut then rewrites the base Env to what the device would
//    hold after reboot: each tracked name gets its durable inode's durable
//    bytes (optionally a torn random prefix of the unsynced tail, followed
//    by garbage) or vanishes, and tracking restarts from that state.
//
// Mutating operations (counted by mutating_ops, subject to CutPowerAfter and
// kAnyWrite): Append, Flush, Sync (kAppend/kFlush/kSync); NewWritableFile,
// NewAppendableFile, CreateDir (kCreate); RenameFile (kRename); RemoveFile,
// RemoveDir (kRemove); SyncDir (kSyncDir). kRead counts SequentialFile and
// RandomAccessFile Read calls. Close, LockFile and UnlockFile are forwarded
// untouched. An operation refused by an injected error, a power cut or the
// free-space limit is not counted.
//
// Thread safety: every method may be called from any thread; mu_ guards
// all state. Namespace operations run on the base Env with mu_ held, so
// tracking never disagrees with the base; file data operations run
// unlocked.
#ifndef FIRN_PORT_ENV_FAULT_H_
#define FIRN_PORT_ENV_FAULT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "port/env.h"
#include "port/port.h"

namespace firn {

class FaultInjectionEnv : public EnvWrapper {
 public:
  enum class OpKind { kRead, kAppend, kFlush, kSync, kCreate, kRename, kRemove, kSyncDir,
                      kAnyWrite };

  struct PowerCutOptions {
    // Keep a random-length prefix (possibly empty or whole) of each file's
    // unsynced tail instead of dropping it.
    bool tear_last_write = false;
    // Random bytes appended to each file that had unsynced data.
    size_t garbage_bytes = 0;
    // Seeds the random choices; the same seed and history give the same
    // result.
    uint64_t seed = 0;
  };

  // base is not owned and must outlive this Env. Every file opened through
  // this Env must be destroyed before it.
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;

  // The nth operation of kind counted from now (1 = the next one) fails
  // with error and has no effect; if sticky, every later one fails too.
  // Several injections may be active at once.
  // REQUIRES: !error.ok().
  void InjectError(OpKind kind, uint64_t nth, Status error, bool sticky);
  void ClearErrors();

  // After n more mutating operations succeed, the next one and every later
  // one fail (see the model above). n = 0 cuts at the next operation.
  void CutPowerAfter(uint64_t n);
  bool power_is_off() const;

  // Applies a power loss to the base Env (see the model above), then turns
  // power back on, clears injected errors and restarts tracking. The
  // free-space limit stays (the device is still as full).
  // REQUIRES: every file, lock and DB opened through this Env is destroyed.
  // Returns the first base Env error; the state is then undefined.
  Status ResetAfterPowerCut(const PowerCutOptions& options);

  // Mutating operations performed since construction (never reset).
  uint64_t mutating_ops() const;

  // Appends that would take the bytes appended since this call beyond
  // bytes fail with NoSpace; GetFreeSpace reports what is left.
  void SetFreeSpace(uint64_t bytes);
  void ClearFreeSpaceLimit();

  // Direct damage to the bytes of fname on the base Env (read, modify,
  // rewrite), outside the fault model: no operation is counted and no
  // injected error applies. InvalidArgument if offset/size is beyond the
  // file or bit is not in [0, 7].
  Status FlipBit(const std::string& fname, uint64_t offset, int bit);
  Status TruncateFile(const std::string& fname, uint64_t size);

  // Env overrides.
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& fname,
                         std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& fname,
                           std::unique_ptr<WritableFile>* result) override;
  Status RemoveFile(const std::string& fname) override;
  Status RenameFile(const std::string& src, const std::string& target_name) override;
  Status CreateDir(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status GetFreeSpace(const std::string& path, uint64_t* bytes) override;

 private:
  class SequentialReader;
  class RandomReader;
  class Writer;

  // One file's data. size and durable_size are guarded by the Env's mu_.
  struct Inode {
    uint64_t size = 0;
    uint64_t durable_size = 0;
    // The bytes, kept once no current name holds the inode but a durable
    // one still does.
    bool stashed = false;
    std::string stash;
  };
  using InodeRef = std::shared_ptr<Inode>;

  struct ErrorRule {
    OpKind kind;
    uint64_t nth;
    uint64_t seen = 0;
    Status error;
    bool sticky;
  };

  // Decides whether a mutating operation of kind on fname may proceed:
  // power, injected errors, the free-space limit (append_bytes > 0), then
  // the power-cut countdown. On OK the operation is counted.
  Status BeginWrite(OpKind kind, const char* op, const std::string& fname,
                    uint64_t append_bytes) REQUIRES(mu_);
  // Injected errors for one read.
  Status BeginRead() EXCLUDES(mu_);
  // Begins tracking fname if it is not yet tracked.
  void Track(const std::string& fname) REQUIRES(mu_);
  // Called before inode, now named fname, leaves the current namespace
  // (removed, replaced). Keeps its bytes if a durable name still refers to
  // it; *stashed says whether this call kept them.
  Status Detach(const InodeRef& inode, const std::string& fname, bool* stashed)
      REQUIRES(mu_);
  bool DurablyReferenced(const InodeRef& inode) const REQUIRES(mu_);
  Status OpenWritable(const std::string& fname, bool truncate,
                      std::unique_ptr<WritableFile>* result) EXCLUDES(mu_);

  // Called by Writer around the base file's calls.
  Status BeginFileWrite(OpKind kind, const char* op, const std::string& fname,
                        uint64_t append_bytes) EXCLUDES(mu_);
  void EndAppend(const InodeRef& inode, uint64_t n) EXCLUDES(mu_);
  Status BeginSync(const std::string& fname, const InodeRef& inode,
                   uint64_t* size) EXCLUDES(mu_);
  void EndSync(const InodeRef& inode, uint64_t size) EXCLUDES(mu_);

  mutable port::Mutex mu_;
  // Every tracked name maps to its inode now (current_) and after a power
  // cut (durable_); nullptr means no such file. Both maps have the same
  // keys.
  std::map<std::string, InodeRef> current_ GUARDED_BY(mu_);
  std::map<std::string, InodeRef> durable_ GUARDED_BY(mu_);
  std::vector<ErrorRule> rules_ GUARDED_BY(mu_);
  bool power_off_ GUARDED_BY(mu_) = false;
  bool cut_armed_ GUARDED_BY(mu_) = false;
  uint64_t ops_until_cut_ GUARDED_BY(mu_) = 0;
  uint64_t mutating_ops_ GUARDED_BY(mu_) = 0;
  bool space_limited_ GUARDED_BY(mu_) = false;
  uint64_t space_limit_ GUARDED_BY(mu_) = 0;
  uint64_t space_used_ GUARDED_BY(mu_) = 0;
};

}  // namespace firn

#endif  // FIRN_PORT_ENV_FAULT_H_
