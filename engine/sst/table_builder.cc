// sst/table_builder.cc: TableBuilder (see table.h, docs/format-sst.md).
//
// Invariants: data blocks are written in key order and never empty; the
// index entry of a block is added only when the next key (or Finish) is
// known, so its separator can be shortened; after the first failed write
// status() stays non-OK and Add/Finish write nothing more.
#include <cassert>

#include "port/env.h"
#include "sst/block_builder.h"
#include "sst/bloom.h"
#include "sst/format.h"
#include "sst/table.h"

namespace firn {

namespace {

// A user key s with a < s < b, no longer than a, if one exists that is not
// a itself; otherwise a. REQUIRES: a < b.
std::string ShortUserKeySeparator(std::string_view a, std::string_view b) {
  const size_t limit = std::min(a.size(), b.size());
  size_t diff = 0;
  while (diff < limit && a[diff] == b[diff]) diff++;
  if (diff >= limit) return std::string(a);  // a is a prefix of b
  const uint8_t ad = static_cast<uint8_t>(a[diff]);
  const uint8_t bd = static_cast<uint8_t>(b[diff]);
  assert(ad < bd);
  if (ad + 1 < bd) {
    std::string s(a.substr(0, diff));
    s.push_back(static_cast<char>(ad + 1));
    return s;
  }
  // a[diff] + 1 == b[diff]: keep a[0..diff] (already < b) and bump the first
  // later byte of a that can be incremented, which makes the result > a.
  for (size_t i = diff + 1; i + 1 < a.size(); i++) {
    const uint8_t c = static_cast<uint8_t>(a[i]);
    if (c != 0xff) {
      std::string s(a.substr(0, i));
      s.push_back(static_cast<char>(c + 1));
      return s;
    }
  }
  return std::string(a);
}

// An internal key sep with last <= sep < next, as short as this scheme
// allows. REQUIRES: last < next (CompareInternalKey).
std::string IndexSeparator(std::string_view last, std::string_view next) {
  const std::string_view last_user = ExtractUserKey(last);
  const std::string_view next_user = ExtractUserKey(next);
  if (CompareUserKey(last_user, next_user) < 0) {
    std::string s = ShortUserKeySeparator(last_user, next_user);
    if (s.size() < last_user.size()) {
      AppendInternalKey(&s, {}, kMaxSequenceNumber, kValueTypeForSeek);
      assert(CompareInternalKey(last, s) < 0 && CompareInternalKey(s, next) < 0);
      return s;
    }
  }
  return std::string(last);
}

}  // namespace

struct TableBuilder::Rep {
  Rep(const TableOptions& opt, WritableFile* f)
      : options(opt),
        file(f),
        data_block(kBlockRestartInterval),
        index_block(kBlockRestartInterval) {
    if (options.bloom_bits_per_key > 0) {
      filter = std::make_unique<BloomFilterBuilder>(options.bloom_bits_per_key);
    }
  }

  // Appends `raw` as a block; sets *handle. Records a write error in status.
  void WriteBlock(std::string_view raw, bool try_lz4, BlockHandle* handle) {
    scratch.clear();
    uint64_t stored_size = 0;
    EncodeBlock(raw, try_lz4, &scratch, &stored_size);
    handle->set_offset(offset);
    handle->set_size(stored_size);
    Append(scratch);
  }

  void Append(std::string_view bytes) {
    if (!status.ok()) return;
    status = file->Append(bytes);
    if (status.ok()) offset += bytes.size();
  }

  void FlushDataBlock() {
    if (data_block.empty() || !status.ok()) return;
    assert(!pending_index_entry);
    WriteBlock(data_block.Finish(), options.compression == CompressionType::kLZ4,
               &pending_handle);
    data_block.Reset();
    if (status.ok()) pending_index_entry = true;
  }

  void AddIndexEntry(std::string_view separator) {
    std::string handle;
    pending_handle.EncodeTo(&handle);
    index_block.Add(separator, handle);
    pending_index_entry = false;
  }

  const TableOptions options;
  WritableFile* const file;
  uint64_t offset = 0;
  Status status;
  BlockBuilder data_block;
  BlockBuilder index_block;
  std::unique_ptr<BloomFilterBuilder> filter;  // null: no filter
  std::string last_key;
  uint64_t num_entries = 0;
  bool closed = false;
  // The last data block written still lacks its index entry.
  bool pending_index_entry = false;
  BlockHandle pending_handle;
  std::string scratch;
};

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : rep_(std::make_unique<Rep>(options, file)) {}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(std::string_view internal_key, std::string_view value) {
  Rep* r = rep_.get();
  assert(!r->closed);
  assert(internal_key.size() >= kInternalKeyTagBytes);
  assert(r->num_entries == 0 || CompareInternalKey(r->last_key, internal_key) < 0);
  if (!r->status.ok()) return;
  if (r->pending_index_entry) {
    r->AddIndexEntry(IndexSeparator(r->last_key, internal_key));
  }
  const std::string_view user_key = ExtractUserKey(internal_key);
  if (r->filter != nullptr &&
      (r->num_entries == 0 || ExtractUserKey(r->last_key) != user_key)) {
    r->filter->AddKey(user_key);
  }
  r->last_key.assign(internal_key.data(), internal_key.size());
  r->num_entries++;
  r->data_block.Add(internal_key, value);
  if (r->data_block.CurrentSizeEstimate() >= r->options.block_bytes) r->FlushDataBlock();
}

Status TableBuilder::status() const { return rep_->status; }

Status TableBuilder::Finish() {
  Rep* r = rep_.get();
  assert(!r->closed);
  r->FlushDataBlock();
  r->closed = true;
  Footer footer;
  if (r->filter != nullptr) {
    r->WriteBlock(r->filter->Finish(), false, &footer.filter_handle);
  }
  if (r->pending_index_entry) r->AddIndexEntry(r->last_key);
  r->WriteBlock(r->index_block.Finish(), r->options.compression == CompressionType::kLZ4,
                &footer.index_handle);
  std::string tail;
  footer.EncodeTo(&tail);
  r->Append(tail);
  return r->status;
}

void TableBuilder::Abandon() {
  assert(!rep_->closed);
  rep_->closed = true;
}

uint64_t TableBuilder::NumEntries() const { return rep_->num_entries; }

uint64_t TableBuilder::FileSize() const { return rep_->offset; }

uint64_t TableBuilder::EstimatedFileSize() const {
  const Rep* r = rep_.get();
  uint64_t size = r->offset + r->data_block.CurrentSizeEstimate() +
                  r->index_block.CurrentSizeEstimate() + 2 * kBlockTrailerSize +
                  Footer::kEncodedLength;
  if (r->filter != nullptr) size += r->filter->EstimatedSize() + kBlockTrailerSize;
  return size;
}

}  // namespace firn
