// kvtool/session.h: the state one kvtool run works on: the database (opened
// on first use), the options it is opened with, where output goes, and a
// multi-line batch being collected.
//
// The database stays open for the whole session (a shell holds its LOCK)
// until a command needs it closed (verify, repair, set).
// Thread safety: one thread.
#ifndef FIRN_TOOLS_KVTOOL_SESSION_H_
#define FIRN_TOOLS_KVTOOL_SESSION_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "firn/db.h"
#include "firn/options.h"
#include "firn/write_batch.h"
#include "output.h"

namespace kvtool {

class Session {
 public:
  // `given` names the options set on the command line (bench keeps them).
  Session(std::string path, const firn::Options& options, std::set<std::string> given, Output* out,
          bool interactive);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  Output& out() { return *out_; }
  const std::string& path() const { return path_; }
  const firn::Options& options() const { return options_; }
  bool OptionGiven(std::string_view name) const { return given_.count(std::string(name)) > 0; }
  // True when a person types the commands (the libedit shell).
  bool interactive() const { return interactive_; }
  // True when standard input carries the commands (shell or script), so a
  // command may not read data from it.
  bool stdin_is_commands() const { return stdin_is_commands_; }
  void set_stdin_is_commands(bool v) { stdin_is_commands_ = v; }

  // Changes an option for the next open; an open database is closed first
  // so the change takes effect. InvalidArgument for an unknown name or a
  // bad or out-of-range value (nothing changes then).
  firn::Status SetOption(std::string_view name, std::string_view value);

  // The database, opened on first use. On failure reports the error and
  // stores the exit code in *code, and returns nullptr.
  firn::DB* Db(int* code);
  // Closes the database if it is open.
  firn::Status CloseDb();

  // Reports a failed engine call and returns its exit code: NotFound 1,
  // InvalidArgument 2, anything else 3.
  int Fail(const firn::Status& s);
  int Usage(std::string_view message) { return out_->Error(kExitUsage, message); }

  // A batch collected line by line (the multi-line form of `batch`).
  struct PendingBatch {
    firn::WriteBatch batch;
    uint64_t puts = 0;
    uint64_t deletes = 0;
    uint64_t bad_lines = 0;  // lines that were rejected while collecting
  };
  bool InBatch() const { return batch_ != nullptr; }
  PendingBatch* batch() { return batch_.get(); }
  void BeginBatch() { batch_ = std::make_unique<PendingBatch>(); }
  // Ends the batch and hands it over.
  std::unique_ptr<PendingBatch> TakeBatch() { return std::move(batch_); }
  void EndBatch() { batch_.reset(); }

 private:
  // Refuses to open a directory whose CURRENT is gone while database
  // files remain: DB::Open would start an empty database there.
  firn::Status CheckNotOrphaned() const;

  const std::string path_;
  firn::Options options_;
  std::set<std::string> given_;
  Output* const out_;
  const bool interactive_;
  bool stdin_is_commands_ = false;
  std::unique_ptr<firn::DB> db_;
  std::unique_ptr<PendingBatch> batch_;
};

// Set by SIGINT in the interactive shell; long commands check it and stop.
bool Interrupted();
void ClearInterrupt();
void InstallInterruptHandler();

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_SESSION_H_
