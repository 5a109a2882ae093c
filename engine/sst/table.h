// sst/table.h: SST files, the immutable sorted files runs are made of.
// Byte layout, versioning and checksums: docs/format-sst.md; constants in
// sst/format.h.
//
// A file holds internal keys (db/dbformat.h) in increasing order with their
// values, in data blocks (optionally LZ4-compressed, each with an XXH3
// checksum), a bloom filter over the user keys, an index block with one
// entry per data block, and a fixed-size footer with magic and format
// version.
//
// Thread safety: TableBuilder is used by one thread. A Table is immutable
// after Open; all its methods may be called concurrently.
#ifndef FIRN_SST_TABLE_H_
#define FIRN_SST_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "firn/iterator.h"
#include "firn/options.h"
#include "firn/status.h"
#include "sst/bloom.h"

namespace firn {

class BlockCache;
class RandomAccessFile;
class WritableFile;

struct TableOptions {
  size_t block_bytes = 4096;
  int bloom_bits_per_key = 10;  // 0: no filter
  CompressionType compression = CompressionType::kLZ4;
  uint64_t bytes_per_sync = 0;  // writing: WritableFile::SetWritebackBytes
};

// Counters a read adds to (not synchronized: one per call).
struct ReadStats {
  uint64_t blocks_read = 0;     // data blocks fetched (cache or file)
  uint64_t block_cache_hits = 0;
  uint64_t bytes_read = 0;      // bytes read from files
  uint64_t files_probed = 0;    // tables whose bloom/index were consulted
  uint64_t bloom_negatives = 0; // probes the bloom filter answered "absent"
};

class TableBuilder {
 public:
  // file must outlive the builder; the caller syncs and closes it after
  // Finish. fname is used in error messages.
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // REQUIRES: internal_key is greater than every key added before; neither
  // Finish nor Abandon called.
  void Add(std::string_view internal_key, std::string_view value);
  // First error seen from the file (IOError/NoSpace), else OK.
  Status status() const;
  // Writes the last data block, filter, index and footer. Does not sync.
  Status Finish();
  // Stops building; the file's contents are unspecified.
  void Abandon();

  uint64_t NumEntries() const;
  // Bytes written so far (the final file size after Finish).
  uint64_t FileSize() const;
  // Estimated size of the file if Finish were called now.
  uint64_t EstimatedFileSize() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

class Table {
 public:
  // Reads the footer, index and filter of a file of `file_size` bytes.
  // Corruption naming fname and the offset if the footer, magic, version,
  // index or filter is damaged; InvalidArgument for an unknown (newer)
  // format version. cache may be nullptr (no block cache).
  static Status Open(const TableOptions& options,
                     std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                     const std::string& fname, uint64_t file_number,
                     BlockCache* cache, std::unique_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // Iterator over internal keys in both directions; caller deletes it
  // before the Table. A damaged block makes it invalid with status()
  // Corruption naming file and offset.
  Iterator* NewIterator(const ReadOptions& options, ReadStats* stats = nullptr) const;
  // As NewIterator, but the iterator shares ownership of *table, which
  // lives until the iterator is deleted (a table cache may drop it
  // meanwhile). One object per iterator, with no forwarding layer on the
  // hot Next/Valid/key calls.
  // REQUIRES: table is not null.
  static Iterator* NewIterator(std::shared_ptr<const Table> table, const ReadOptions& options,
                               ReadStats* stats = nullptr);

  // Point lookup of user_key as of sequence seq: consults the bloom filter,
  // then the index, then reads at most one data block. Sets *found to true
  // if the file holds a version of user_key with sequence <= seq; then
  // *type is its type and, for kTypeValue, *value its value. Corruption
  // (file, offset) if a block read is damaged.
  Status Get(const ReadOptions& options, std::string_view user_key,
             SequenceNumber seq, bool* found, ValueType* type,
             std::string* value, ReadStats* stats) const {
    return Get(options, user_key, BloomHash(user_key), seq, found, type, value, stats);
  }
  // As above, with hash = BloomHash(user_key) computed by the caller (once
  // for every file a lookup probes).
  Status Get(const ReadOptions& options, std::string_view user_key, uint64_t hash,
             SequenceNumber seq, bool* found, ValueType* type, std::string* value,
             ReadStats* stats) const;
  // Hints the CPU to load the part of the filter a Get with this hash reads.
  void PrefetchFilter(uint64_t hash) const;

  // Approximate file offset where internal key ikey would be.
  uint64_t ApproximateOffsetOf(std::string_view ikey) const;
  // Reads every block and checks its checksum; Corruption naming the file
  // and offset of the first bad one.
  Status VerifyChecksums() const;
  // Bytes of memory this reader holds (index + filter).
  size_t MemoryUsage() const;

 private:
  struct Rep;
  class Iter;  // the two-level iterator NewIterator returns
  explicit Table(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace firn

#endif  // FIRN_SST_TABLE_H_
