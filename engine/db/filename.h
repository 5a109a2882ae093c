// db/filename.h: names of the files in a database directory.
//
//   CURRENT             name of the live manifest, one line
//   LOCK                held (fcntl) while the database is open
//   OPTIONS             the options of the last open, name=value lines
//   MANIFEST-NNNNNN     version edits (docs/format-manifest.md)
//   NNNNNN.log          write-ahead log (docs/format-wal.md)
//   NNNNNN.sst          sorted table (docs/format-sst.md)
//   NNNNNN.dbtmp        a file being written before a rename
//   TRACE               optional workload trace
// Numbers come from one counter, so no two files share a number.
#ifndef FIRN_DB_FILENAME_H_
#define FIRN_DB_FILENAME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "firn/status.h"

namespace firn {

class Env;

enum class FileType { kLog, kLock, kTable, kManifest, kCurrent, kTemp, kOptions, kTrace };

std::string LogFileName(const std::string& dbname, uint64_t number);
std::string TableFileName(const std::string& dbname, uint64_t number);
std::string ManifestFileName(const std::string& dbname, uint64_t number);
std::string CurrentFileName(const std::string& dbname);
std::string LockFileName(const std::string& dbname);
std::string TempFileName(const std::string& dbname, uint64_t number);
std::string OptionsFileName(const std::string& dbname);
std::string TraceFileName(const std::string& dbname);

// Parses a name (not a path) found in the directory. False for names that
// are not firn's.
bool ParseFileName(std::string_view name, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-<number>: writes a temp file, syncs it, renames
// it over CURRENT and syncs the directory.
Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t manifest_number);

}  // namespace firn

#endif  // FIRN_DB_FILENAME_H_
