// port/env.cc: helpers over any Env (see port/env.h).
#include "port/env.h"

#include <memory>
#include <string>

namespace firn {

namespace {

// Read size for ReadFileToString; a multiple of common page sizes.
constexpr size_t kReadChunkSize = 8192;

}  // namespace

// On failure the partially written file is removed, so a caller never
// mistakes a prefix for the whole.
Status WriteStringToFile(Env* env, std::string_view data,
                         const std::string& fname, bool sync) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  if (!s.ok()) env->RemoveFile(fname).IgnoreError();
  return s;
}

Status ReadFileToString(Env* env, const std::string& fname, std::string* data) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  auto scratch = std::make_unique<char[]>(kReadChunkSize);
  while (true) {
    std::string_view fragment;
    s = file->Read(kReadChunkSize, &fragment, scratch.get());
    if (!s.ok() || fragment.empty()) break;
    data->append(fragment.data(), fragment.size());
  }
  return s;
}

}  // namespace firn
