// db/filename.cc: see filename.h.
#include "db/filename.h"

#include <cinttypes>
#include <cstdio>

#include "port/env.h"

namespace firn {

static std::string NumberedName(const std::string& dbname, uint64_t number,
                                const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%06" PRIu64 ".%s", number, suffix);
  return dbname + buf;
}

std::string LogFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "log");
}
std::string TableFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "sst");
}
std::string TempFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "dbtmp");
}
std::string ManifestFileName(const std::string& dbname, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06" PRIu64, number);
  return dbname + buf;
}
std::string CurrentFileName(const std::string& dbname) { return dbname + "/CURRENT"; }
std::string LockFileName(const std::string& dbname) { return dbname + "/LOCK"; }
std::string OptionsFileName(const std::string& dbname) { return dbname + "/OPTIONS"; }
std::string TraceFileName(const std::string& dbname) { return dbname + "/TRACE"; }

static bool ParseNumber(std::string_view* s, uint64_t* number) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s->size() && (*s)[i] >= '0' && (*s)[i] <= '9'; ++i) {
    uint64_t d = static_cast<uint64_t>((*s)[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (i == 0) return false;
  s->remove_prefix(i);
  *number = v;
  return true;
}

bool ParseFileName(std::string_view name, uint64_t* number, FileType* type) {
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrent;
  } else if (name == "LOCK") {
    *number = 0;
    *type = FileType::kLock;
  } else if (name == "OPTIONS") {
    *number = 0;
    *type = FileType::kOptions;
  } else if (name == "TRACE") {
    *number = 0;
    *type = FileType::kTrace;
  } else if (name.starts_with("MANIFEST-")) {
    name.remove_prefix(9);
    if (!ParseNumber(&name, number) || !name.empty()) return false;
    *type = FileType::kManifest;
  } else {
    if (!ParseNumber(&name, number)) return false;
    if (name == ".log") {
      *type = FileType::kLog;
    } else if (name == ".sst") {
      *type = FileType::kTable;
    } else if (name == ".dbtmp") {
      *type = FileType::kTemp;
    } else {
      return false;
    }
  }
  return true;
}

Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t manifest_number) {
  std::string manifest = ManifestFileName(dbname, manifest_number);
  std::string contents = manifest.substr(dbname.size() + 1) + "\n";
  std::string tmp = TempFileName(dbname, manifest_number);
  Status s = WriteStringToFile(env, contents, tmp, /*sync=*/true);
  if (s.ok()) s = env->RenameFile(tmp, CurrentFileName(dbname));
  if (s.ok()) s = env->SyncDir(dbname);
  if (!s.ok()) env->RemoveFile(tmp).IgnoreError();
  return s;
}

}  // namespace firn
