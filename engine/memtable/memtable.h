// memtable/memtable.h: the in-memory write buffer, an ordered skiplist of
// internal keys stored in an Arena.
//
// Invariants: entries are never modified or removed once added; each
// (user key, sequence) pair is added at most once. Entry encoding in the
// arena: varint32 internal-key length | internal key | varint32 value length
// | value. With a filter, every added user key's bits are set (before its
// entry is linked into the skiplist); a Get at sequence S needs only the
// entries whose Add returned before S was published, so it sees their
// bits.
// Thread safety: one writer at a time (Add is externally synchronized by the
// DB); any number of concurrent readers (Get, iterators) need no lock, also
// while a writer adds. A MemTable is reference counted: the DB, readers and
// the flush each hold a reference; the last Unref deletes it.
#ifndef FIRN_MEMTABLE_MEMTABLE_H_
#define FIRN_MEMTABLE_MEMTABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "firn/iterator.h"
#include "firn/status.h"
#include "sst/bloom.h"

namespace firn {

class MemTable {
 public:
  // filter_bytes > 0 gives the memtable a bloom filter of that many bytes
  // (rounded down to whole 64-byte lines, at least one), held outside the
  // arena and not counted by ApproximateMemoryUsage, so that the memtable
  // holds as many entries as without it; FilterBytes says what it holds.
  // A Get of a key never added then usually skips the skiplist.
  explicit MemTable(size_t filter_bytes = 0);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Bytes of memory held (arena blocks + skiplist nodes). Safe to call
  // while a writer adds.
  size_t ApproximateMemoryUsage() const;
  // Number of entries and of deletion entries added.
  uint64_t NumEntries() const { return num_entries_.load(std::memory_order_relaxed); }
  uint64_t NumDeletions() const { return num_deletions_.load(std::memory_order_relaxed); }

  // Adds an entry. REQUIRES: external synchronization among writers.
  void Add(SequenceNumber seq, ValueType type, std::string_view user_key,
           std::string_view value);

  // Looks up user_key as of `seq` (the newest entry with sequence <= seq).
  // Returns true if an entry was found: then *s is OK and *value holds the
  // value, or *s is NotFound for a deletion. Returns false if the memtable
  // holds no version of the key visible at seq.
  // hash is BloomHash(user_key) (sst/bloom.h): one hash serves the
  // memtables' filters and the tables' of one lookup.
  bool Get(std::string_view user_key, uint64_t hash, SequenceNumber seq, std::string* value,
           Status* s);
  bool Get(std::string_view user_key, SequenceNumber seq, std::string* value, Status* s) {
    return Get(user_key, BloomHash(user_key), seq, value, s);
  }
  // Bytes of the filter (0: none).
  size_t FilterBytes() const;
  // False only if user_key was certainly never added (always true without
  // a filter). Get consults it; exposed for tests.
  bool FilterMayContain(std::string_view user_key) const;

  // An iterator over internal keys (key() is an internal key, value() the
  // value) in internal-key order, both directions. Caller deletes it; it
  // holds no reference, so the caller must keep the MemTable alive.
  Iterator* NewIterator();

 private:
  ~MemTable();
  struct Rep;
  Rep* rep_;
  std::atomic<int> refs_{0};
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletions_{0};
};

}  // namespace firn

#endif  // FIRN_MEMTABLE_MEMTABLE_H_
