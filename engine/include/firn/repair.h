// firn/repair.h: checking and salvaging a database directory offline.
//
// VerifyDB reads every file the database needs and checks every checksum
// and structure without changing anything. RepairDB rebuilds a consistent
// database from whatever the checksums still vouch for, after damage that
// makes DB::Open fail or return errors (docs/durability.md, "What open
// does with damage").
//
// Both take the directory's LOCK: they return Busy while a DB has the
// directory open (in this or another process), and a DB cannot be opened
// on it while they run. Both are synchronous; progress, when given, is
// called on the calling thread.
// Errors: every call returns a Status; none throws.
#ifndef FIRN_REPAIR_H_
#define FIRN_REPAIR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "firn/options.h"
#include "firn/status.h"

namespace firn {

// Told how far a long check or salvage has come: bytes_done of about
// bytes_total bytes of input read. bytes_done never decreases.
using ProgressFunction = std::function<void(uint64_t bytes_done, uint64_t bytes_total)>;

struct VerifyReport {
  uint64_t files_checked = 0;    // SST, WAL and manifest files read
  uint64_t blocks_checked = 0;   // SST blocks (data, filter, index) read
  uint64_t records_checked = 0;  // WAL and manifest records read
  uint64_t bytes_checked = 0;    // bytes of all files read
  // Damage, one line each: "<file> at offset N: <what>" (or "<file>: <what>"
  // for a damage that has no offset, such as a missing file).
  std::vector<std::string> problems;
  // Findings that are not damage: a WAL ending in a torn record (a crash
  // while writing; open recovers everything before it), files no version
  // refers to (left by an interrupted flush or compaction).
  std::vector<std::string> notes;
};

// Checks the database in `path`: CURRENT and the manifest (through the
// same recovery DB::Open does), every live SST file (footer, index,
// filter and every data block: checksum, decompression, entry structure,
// key order, and the keys, entry count and size the manifest records),
// and every WAL file still needed, record by record (checksums and batch
// structure). Changes nothing (it creates LOCK if absent).
// Fills *report (which must not be null) and returns OK if nothing is
// damaged, Corruption carrying the first problem otherwise. Busy if the
// database is open; InvalidArgument if `path` holds no firn database;
// IOError from the device. options.env selects the Env (nullptr: POSIX).
Status VerifyDB(const std::string& path, const Options& options, VerifyReport* report,
                const ProgressFunction& progress = {});

struct RepairReport {
  uint64_t tables_kept = 0;            // SST files read completely
  uint64_t tables_salvaged = 0;        // damaged SST files some entries were read from
  uint64_t tables_dropped = 0;         // SST files nothing could be read from
  uint64_t entries_recovered = 0;      // live entries in the repaired database
  uint64_t entries_lost_estimate = 0;  // entries in damaged blocks and files (estimated)
  uint64_t logs_replayed = 0;          // WAL files read
  uint64_t log_bytes_dropped = 0;      // WAL bytes skipped as damaged
  uint64_t tables_written = 0;         // new SST files
  // What was found and done, one line each: damaged blocks with their file,
  // offset and the key range they held, damaged log regions, files moved
  // to lost/, a manifest that could not be read.
  std::vector<std::string> notes;
};

// Rebuilds the database in `path` from the entries the checksums vouch
// for, so that DB::Open succeeds afterwards:
//  - the inputs are the live SST files and WAL files the manifest names,
//    or, if CURRENT or the manifest cannot be read, every SST and WAL file
//    in the directory;
//  - every SST file is read block by block: a damaged block is skipped
//    and the blocks after it are still read; when the footer or index is
//    damaged (for example a truncated file) the data blocks are found by
//    their checksummed trailers from the start of the file;
//  - every WAL file is replayed with the checksums of its records; unlike
//    DB::Open, reading continues after a damaged region with the next
//    intact record, so the result may include writes made after ones that
//    were lost;
//  - for each key the entry with the highest sequence number wins;
//    deleted keys are dropped. The result is written as one sorted run at
//    level options.num_levels - 1, with a new manifest and CURRENT.
// Only then are the old files removed; damaged ones are moved to the
// subdirectory `lost/` (never deleted). If a newer version of a key was in
// a damaged block, an older surviving version of it becomes visible: the
// notes name the key range of every damaged block.
// Fills *report (which must not be null). Returns OK when a consistent
// database was written, whatever was lost; Busy if the database is open;
// InvalidArgument if `path` holds no firn files or a file has a newer
// format version; IOError / NoSpace from the device (then the old files
// are left in place and the database is as before, plus perhaps stray new
// SST files the next open or repair removes).
Status RepairDB(const std::string& path, const Options& options, RepairReport* report,
                const ProgressFunction& progress = {});

}  // namespace firn

#endif  // FIRN_REPAIR_H_
