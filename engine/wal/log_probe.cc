// wal/log_probe.cc: see log_probe.h.
#include "wal/log_probe.h"

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "port/env.h"
#include "wal/log_format.h"

namespace firn::log {

bool HoldsRecords(Env* env, const std::string& fname) {
  // The header record: a record header and the magic and version.
  constexpr uint64_t kHeaderRecordBytes = kHeaderSize + 8;
  uint64_t size = 0;
  if (!env->GetFileSize(fname, &size).ok()) return true;
  if (size <= kHeaderRecordBytes) return false;
  std::unique_ptr<RandomAccessFile> file;
  if (!env->NewRandomAccessFile(fname, &file).ok()) return true;
  std::vector<char> scratch(kBlockSize);
  for (uint64_t offset = kHeaderRecordBytes; offset < size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kBlockSize, size - offset));
    std::string_view got;
    if (!file->Read(offset, n, &got, scratch.data()).ok()) return true;
    if (got.empty()) return false;  // shorter than its size said: read it all
    if (std::any_of(got.begin(), got.end(), [](char c) { return c != 0; })) return true;
    offset += got.size();
  }
  return false;
}

}  // namespace firn::log
