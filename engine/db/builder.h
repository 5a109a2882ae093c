// db/builder.h: writes a stream of sorted internal entries into one or more
// SST files, as flushes and compactions produce them.
//
// Invariants: a new file is started only between two different user keys,
// so the files of one output have disjoint user-key ranges (version.h);
// every finished file is synced before Finish returns (the caller syncs the
// directory once, before the manifest names the files).
// Thread safety: one thread.
#ifndef FIRN_DB_BUILDER_H_
#define FIRN_DB_BUILDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sst/table.h"
#include "version/version_edit.h"

namespace firn {

class Env;
class WritableFile;

class OutputBuilder {
 public:
  // new_file_number is called for each file started (it must also protect
  // the number from deletion until the file is installed or abandoned).
  OutputBuilder(Env* env, std::string dbname, const TableOptions& topts,
                uint64_t target_file_bytes, std::function<uint64_t()> new_file_number,
                uint64_t now_micros);
  OutputBuilder(const OutputBuilder&) = delete;
  OutputBuilder& operator=(const OutputBuilder&) = delete;
  ~OutputBuilder();

  // REQUIRES: internal keys in strictly increasing order.
  Status Add(std::string_view internal_key, std::string_view value);
  // Finishes, syncs and closes the open file; *outputs gets every file.
  Status Finish(std::vector<FileMetaData>* outputs);
  // Removes every file written (after an error).
  void Abandon();
  // Bytes written to files so far.
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  Status OpenFile();
  Status CloseFile();

  Env* const env_;
  const std::string dbname_;
  const TableOptions topts_;
  const uint64_t target_;
  std::function<uint64_t()> new_file_number_;
  const uint64_t now_micros_;

  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  FileMetaData current_;
  std::string last_user_key_;
  std::vector<FileMetaData> outputs_;
  std::vector<uint64_t> created_;
  uint64_t bytes_written_ = 0;
};

}  // namespace firn

#endif  // FIRN_DB_BUILDER_H_
