// sst/table.cc: Table, the reader of SST files (see table.h and
// docs/format-sst.md).
//
// Invariants: after Open, the footer has been decoded, the index and filter
// blocks have been read with their checksums verified, and the index's
// restart array is well formed; data block handles taken from the index are
// checked to lie in [0, data_end) before any read. Rep is never modified
// after Open, so every Table method may run concurrently.
// Hot path: Get (one bloom probe, one index seek, at most one data block).
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <optional>

#include "port/env.h"
#include "sst/block.h"
#include "sst/block_cache.h"
#include "sst/bloom.h"
#include "sst/format.h"
#include "sst/table.h"

namespace firn {

struct Table::Rep {
  // Decodes a data block handle from an index entry's value.
  Status DecodeDataHandle(std::string_view index_value, BlockHandle* handle) const {
    if (!handle->DecodeFrom(&index_value) || !handle->FitsBelow(data_end)) {
      return CorruptionAt(fname, "bad data block handle in index block",
                          footer.index_handle.offset());
    }
    return Status::OK();
  }

  // Fetches a data block from the cache or the file.
  Status ReadDataBlock(const ReadOptions& options, const BlockHandle& handle,
                       ReadStats* stats, BlockCache::Block* block) const {
    if (cache != nullptr) {
      *block = cache->Lookup(file_number, handle.offset());
      if (*block != nullptr) {
        if (stats != nullptr) {
          stats->blocks_read++;
          stats->block_cache_hits++;
        }
        return Status::OK();
      }
    }
    Status s = ReadBlock(file.get(), file_size, fname, handle, options.verify_checksums,
                         block, stats);
    if (!s.ok()) return s;
    if (stats != nullptr) stats->blocks_read++;
    if (cache != nullptr && options.fill_cache) cache->Insert(file_number, handle.offset(), *block);
    return Status::OK();
  }

  std::unique_ptr<RandomAccessFile> file;
  uint64_t file_size = 0;
  std::string fname;
  uint64_t file_number = 0;
  BlockCache* cache = nullptr;
  Footer footer;
  uint64_t data_end = 0;  // data blocks (with trailers) lie in [0, data_end)
  std::unique_ptr<Block> index_block;
  // The filter block, its first byte 64-byte aligned inside filter_storage
  // so that each 64-byte line of a cache-local filter is one cache line.
  std::string filter_storage;
  std::string_view filter;  // empty: the file has no filter
};

// Two-level iteration: an iterator over the index block picks the data
// block; a BlockIter walks it. Invariant: once status_ is not OK it stays
// so and the iterator is not Valid.
class Table::Iter final : public Iterator {
 public:
  // owner, if not null, is the table of rep, kept alive by the iterator.
  Iter(const Table::Rep* rep, const ReadOptions& options, ReadStats* stats,
       std::shared_ptr<const Table> owner = nullptr)
      : owner_(std::move(owner)),
        rep_(rep),
        options_(options),
        stats_(stats),
        index_iter_(*rep->index_block, rep->fname, rep->footer.index_handle.offset()) {}

  bool Valid() const override {
    return status_.ok() && has_data_ && data_iter_->Valid();
  }
  void SeekToFirst() override {
    if (!status_.ok()) return;
    index_iter_.SeekToFirst();
    InitDataBlock();
    if (has_data_) data_iter_->SeekToFirst();
    SkipEmptyBlocksForward();
  }
  void SeekToLast() override {
    if (!status_.ok()) return;
    index_iter_.SeekToLast();
    InitDataBlock();
    if (has_data_) data_iter_->SeekToLast();
    SkipEmptyBlocksBackward();
  }
  void Seek(std::string_view target) override {
    if (!status_.ok()) return;
    index_iter_.Seek(target);
    InitDataBlock();
    if (has_data_) data_iter_->Seek(target);
    SkipEmptyBlocksForward();
  }
  void Next() override {
    assert(Valid());
    data_iter_->Next();
    SkipEmptyBlocksForward();
  }
  void Prev() override {
    assert(Valid());
    data_iter_->Prev();
    SkipEmptyBlocksBackward();
  }
  std::string_view key() const override { return data_iter_->key(); }
  std::string_view value() const override { return data_iter_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    if (!index_iter_.status().ok()) return index_iter_.status();
    if (has_data_) return data_iter_->status();
    return Status::OK();
  }

 private:
  void SetError(Status s) {
    status_ = std::move(s);
    has_data_ = false;
  }

  // Points data_iter_ at the block of the current index entry (unpositioned),
  // or clears it when the index iterator is exhausted.
  void InitDataBlock() {
    if (!index_iter_.Valid()) {
      if (!index_iter_.status().ok()) SetError(index_iter_.status());
      has_data_ = false;
      return;
    }
    BlockHandle handle;
    Status s = rep_->DecodeDataHandle(index_iter_.value(), &handle);
    if (!s.ok()) return SetError(std::move(s));
    if (has_data_ && data_block_offset_ == handle.offset()) return;
    BlockCache::Block contents;
    s = rep_->ReadDataBlock(options_, handle, stats_, &contents);
    if (!s.ok()) return SetError(std::move(s));
    const Block block(std::move(contents));
    if (data_iter_.has_value()) {
      data_iter_->Reset(block, rep_->fname, handle.offset());  // keeps its key buffer
    } else {
      data_iter_.emplace(block, rep_->fname, handle.offset());
    }
    has_data_ = true;
    data_block_offset_ = handle.offset();
  }

  // Moves past exhausted data blocks; stops at an error.
  void SkipEmptyBlocksForward() {
    while (status_.ok() && (!has_data_ || !data_iter_->Valid())) {
      if (has_data_ && !data_iter_->status().ok()) {
        return SetError(data_iter_->status());
      }
      if (!index_iter_.Valid()) {
        has_data_ = false;
        return;
      }
      index_iter_.Next();
      InitDataBlock();
      if (has_data_) data_iter_->SeekToFirst();
    }
  }

  void SkipEmptyBlocksBackward() {
    while (status_.ok() && (!has_data_ || !data_iter_->Valid())) {
      if (has_data_ && !data_iter_->status().ok()) {
        return SetError(data_iter_->status());
      }
      if (!index_iter_.Valid()) {
        has_data_ = false;
        return;
      }
      index_iter_.Prev();
      InitDataBlock();
      if (has_data_) data_iter_->SeekToLast();
    }
  }

  const std::shared_ptr<const Table> owner_;  // declared first: destroyed last
  const Table::Rep* const rep_;
  const ReadOptions options_;
  ReadStats* const stats_;
  BlockIter index_iter_;
  // The current data block's iterator, meaningful only when has_data_;
  // kept (with its key buffer) when cleared, for reuse by the next block.
  std::optional<BlockIter> data_iter_;
  bool has_data_ = false;
  uint64_t data_block_offset_ = 0;  // offset of data_iter_'s block
  Status status_;
};

Table::Table(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Table::~Table() = default;

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, const std::string& fname, uint64_t file_number,
                   BlockCache* cache, std::unique_ptr<Table>* table) {
  (void)options;  // the format is self-describing; nothing to configure yet
  table->reset();
  if (file_size < Footer::kEncodedLength) {
    return CorruptionAt(fname, "file too short (" + std::to_string(file_size) +
                                   " bytes) for an SST footer", 0);
  }
  const uint64_t footer_offset = file_size - Footer::kEncodedLength;
  char footer_buf[Footer::kEncodedLength];
  std::string_view footer_bytes;
  Status s = file->Read(footer_offset, sizeof(footer_buf), &footer_bytes, footer_buf);
  if (!s.ok()) return s;
  if (footer_bytes.size() != sizeof(footer_buf)) {
    return CorruptionAt(fname, "truncated footer", footer_offset);
  }

  auto rep = std::make_unique<Rep>();
  s = rep->footer.DecodeFrom(footer_bytes, fname, footer_offset);
  if (!s.ok()) return s;
  const BlockHandle& index_handle = rep->footer.index_handle;
  const BlockHandle& filter_handle = rep->footer.filter_handle;
  const bool has_filter = filter_handle.size() != 0;
  if (!index_handle.FitsBelow(footer_offset)) {
    return CorruptionAt(fname, "index block handle outside the file", footer_offset);
  }
  if (has_filter && !filter_handle.FitsBelow(footer_offset)) {
    return CorruptionAt(fname, "filter block handle outside the file", footer_offset);
  }

  BlockContents index_contents;
  s = ReadBlock(file.get(), file_size, fname, index_handle, true, &index_contents, nullptr);
  if (!s.ok()) return s;
  rep->index_block = std::make_unique<Block>(std::move(index_contents));
  if (!rep->index_block->well_formed()) {
    return CorruptionAt(fname, "bad restart array in index block", index_handle.offset());
  }
  if (has_filter) {
    std::string filter;
    s = ReadBlock(file.get(), file_size, fname, filter_handle, true, &filter, nullptr);
    if (!s.ok()) return s;
    if (filter.empty()) {
      return CorruptionAt(fname, "empty filter block", filter_handle.offset());
    }
    constexpr size_t kAlign = 64;
    rep->filter_storage.resize(filter.size() + kAlign - 1);
    char* base = rep->filter_storage.data();
    char* start = base + (kAlign - reinterpret_cast<uintptr_t>(base) % kAlign) % kAlign;
    std::memcpy(start, filter.data(), filter.size());
    rep->filter = std::string_view(start, filter.size());
  }

  rep->data_end = index_handle.offset();
  if (has_filter) rep->data_end = std::min(rep->data_end, filter_handle.offset());
  rep->file = std::move(file);
  rep->file_size = file_size;
  rep->fname = fname;
  rep->file_number = file_number;
  rep->cache = cache;
  table->reset(new Table(std::move(rep)));
  return Status::OK();
}

Iterator* Table::NewIterator(const ReadOptions& options, ReadStats* stats) const {
  return new Iter(rep_.get(), options, stats);
}

Iterator* Table::NewIterator(std::shared_ptr<const Table> table, const ReadOptions& options,
                             ReadStats* stats) {
  assert(table != nullptr);
  const Rep* rep = table->rep_.get();
  return new Iter(rep, options, stats, std::move(table));
}

void Table::PrefetchFilter(uint64_t hash) const {
  if (!rep_->filter.empty()) BloomFilterPrefetch(rep_->filter, hash);
}

Status Table::Get(const ReadOptions& options, std::string_view user_key, uint64_t hash,
                  SequenceNumber seq, bool* found, ValueType* type, std::string* value,
                  ReadStats* stats) const {
  const Rep* r = rep_.get();
  *found = false;
  if (stats != nullptr) stats->files_probed++;
  if (!r->filter.empty() && !BloomFilterMayMatch(r->filter, hash)) {
    if (stats != nullptr) stats->bloom_negatives++;
    return Status::OK();
  }
  // Every index separator is >= the last key of its block and < the first
  // key of the next, so the first entry >= lookup (if any) is in the block
  // the index seek lands on: one data block at most.
  const std::string lookup = MakeLookupKey(user_key, seq);
  BlockIter index_iter(*r->index_block, r->fname, r->footer.index_handle.offset());
  index_iter.Seek(lookup);
  if (!index_iter.Valid()) return index_iter.status();
  BlockHandle handle;
  Status s = r->DecodeDataHandle(index_iter.value(), &handle);
  if (!s.ok()) return s;
  BlockCache::Block contents;
  s = r->ReadDataBlock(options, handle, stats, &contents);
  if (!s.ok()) return s;
  BlockIter iter(Block(std::move(contents)), r->fname, handle.offset());
  iter.Seek(lookup);
  if (!iter.Valid()) return iter.status();
  ParsedInternalKey parsed;
  if (!ParseInternalKey(iter.key(), &parsed)) {
    return CorruptionAt(r->fname, "bad internal key type in data block", handle.offset());
  }
  if (parsed.user_key != user_key) return Status::OK();
  *found = true;
  *type = parsed.type;
  if (parsed.type == kTypeValue) value->assign(iter.value().data(), iter.value().size());
  return Status::OK();
}

uint64_t Table::ApproximateOffsetOf(std::string_view ikey) const {
  const Rep* r = rep_.get();
  BlockIter index_iter(*r->index_block, r->fname, r->footer.index_handle.offset());
  index_iter.Seek(ikey);
  BlockHandle handle;
  if (index_iter.Valid() && r->DecodeDataHandle(index_iter.value(), &handle).ok()) {
    return handle.offset();
  }
  return r->data_end;
}

Status Table::VerifyChecksums() const {
  const Rep* r = rep_.get();
  BlockIter index_iter(*r->index_block, r->fname, r->footer.index_handle.offset());
  for (index_iter.SeekToFirst(); index_iter.Valid(); index_iter.Next()) {
    BlockHandle handle;
    Status s = r->DecodeDataHandle(index_iter.value(), &handle);
    if (!s.ok()) return s;
    BlockContents contents;
    s = ReadBlock(r->file.get(), r->file_size, r->fname, handle, true, &contents, nullptr);
    if (!s.ok()) return s;
    const Block block(std::move(contents));
    BlockIter iter(block, r->fname, handle.offset());
    for (iter.SeekToFirst(); iter.Valid(); iter.Next()) {
    }
    if (!iter.status().ok()) return iter.status();
  }
  return index_iter.status();
}

size_t Table::MemoryUsage() const {
  return sizeof(Rep) + rep_->index_block->size() + rep_->filter_storage.capacity() +
         rep_->fname.capacity();
}

}  // namespace firn
