// wal/log_probe.h: tells a log that holds records from one that holds only
// its header, without replaying it.
//
// A log's size does not tell: a log written through a memory mapping
// (Env::NewLogFile on Linux) is as long as the chunk reserved ahead of its
// records, the rest zeros, until it is closed, so a log prepared ahead or
// a new database's first log killed before its first write is 256 KiB
// long and holds nothing.
// Thread safety: none needed (reads the file through its own handle).
#ifndef FIRN_WAL_LOG_PROBE_H_
#define FIRN_WAL_LOG_PROBE_H_

#include <string>

namespace firn {
class Env;
namespace log {

// True if any byte after the header record (docs/format-wal.md) is not
// zero: a record, or the damaged remains of one. Also true if the file
// cannot be read (the caller then treats it as holding data, the safe
// side: it is replayed or reported, never taken for an empty log). Reads
// at most up to the first non-zero byte.
bool HoldsRecords(Env* env, const std::string& fname);

}  // namespace log
}  // namespace firn

#endif  // FIRN_WAL_LOG_PROBE_H_
