// memtable/memtable.cc: see memtable.h.
//
// Each entry is one Arena allocation:
//   varint32 internal-key length | internal key | varint32 value length | value
// and the skiplist orders pointers to entries by internal key
// (dbformat.h). Searches use the same encoding for their target, built on
// the stack for ordinary key sizes.
//
// Hot paths: Add, Get and iterator movement allocate nothing beyond the
// Arena (Get reports a deletion through a NotFound Status, which does).
#include "memtable/memtable.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>
#include <memory>

#include "memtable/skiplist.h"
#include "sst/bloom.h"
#include "util/arena.h"
#include "util/coding.h"

namespace firn {

namespace {

// The internal key of an encoded entry (or search target).
std::string_view EntryKey(const char* entry) {
  uint32_t len = 0;
  const char* p = GetVarint32Ptr(entry, entry + 5, &len);
  assert(p != nullptr);
  return std::string_view(p, len);
}

// The value of an encoded entry.
std::string_view EntryValue(std::string_view internal_key) {
  const char* p = internal_key.data() + internal_key.size();
  uint32_t len = 0;
  p = GetVarint32Ptr(p, p + 5, &len);
  assert(p != nullptr);
  return std::string_view(p, len);
}

struct EntryComparator {
  int operator()(const char* a, const char* b) const {
    return CompareInternalKey(EntryKey(a), EntryKey(b));
  }
};

using Table = SkipList<const char*, EntryComparator>;

// A search target in entry encoding (varint32 length | internal key).
// Keys up to kInline bytes stay on the stack; longer ones use the heap.
class SearchKey {
 public:
  SearchKey(std::string_view user_key, uint64_t tag) {
    const size_t ikey_len = user_key.size() + kInternalKeyTagBytes;
    const size_t needed = ikey_len + 5;
    char* dst = inline_;
    if (needed > sizeof(inline_)) {
      heap_ = std::make_unique<char[]>(needed);
      dst = heap_.get();
    }
    start_ = dst;
    dst = EncodeVarint32(dst, static_cast<uint32_t>(ikey_len));
    if (!user_key.empty()) std::memcpy(dst, user_key.data(), user_key.size());
    EncodeFixed64(dst + user_key.size(), tag);
  }
  SearchKey(const SearchKey&) = delete;
  SearchKey& operator=(const SearchKey&) = delete;

  const char* encoded() const { return start_; }

 private:
  static constexpr size_t kInline = 200;
  char inline_[kInline];
  std::unique_ptr<char[]> heap_;
  const char* start_;
};

// Iterates over internal keys; key() is the internal key of an entry.
class MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  // target is an internal key.
  void Seek(std::string_view target) override {
    assert(target.size() >= kInternalKeyTagBytes);
    SearchKey search(ExtractUserKey(target), ExtractTag(target));
    iter_.Seek(search.encoded());
  }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  std::string_view key() const override { return EntryKey(iter_.key()); }
  std::string_view value() const override { return EntryValue(EntryKey(iter_.key())); }
  Status status() const override { return Status::OK(); }

 private:
  Table::Iterator iter_;
};

// The memtable's filter: the SST filters' cache-local geometry
// (sst/bloom.h) over 64-bit words, kProbes bits a key in one 64-byte line.
// One writer at a time sets bits (relaxed load and store: writers are
// serialized by the DB); readers load them relaxed (memtable.h says why
// they see every bit they need).
class MemFilter {
 public:
  static constexpr int kProbes = 6;
  static constexpr size_t kWordsPerLine = kBloomLineBytes / 8;

  explicit MemFilter(size_t bytes)
      : lines_(std::max<size_t>(1, bytes / kBloomLineBytes)),
        storage_(new std::atomic<uint64_t>[lines_ * kWordsPerLine + kWordsPerLine - 1]()) {
    const auto addr = reinterpret_cast<uintptr_t>(storage_.get());
    const size_t skip = (kBloomLineBytes - addr % kBloomLineBytes) % kBloomLineBytes / 8;
    words_ = storage_.get() + skip;  // line-aligned (atomics are 8-byte aligned)
  }
  size_t Bytes() const { return lines_ * kBloomLineBytes; }

  void Add(uint64_t h) {
    std::atomic<uint64_t>* line = Line(h);
    BloomProbes(h, kProbes, [line](uint32_t bit) {
      std::atomic<uint64_t>& w = line[bit / 64];
      w.store(w.load(std::memory_order_relaxed) | (uint64_t{1} << (bit % 64)),
              std::memory_order_relaxed);
      return true;
    });
  }
  bool MayContain(uint64_t h) const {
    const std::atomic<uint64_t>* line = Line(h);
    return BloomProbes(h, kProbes, [line](uint32_t bit) {
      return (line[bit / 64].load(std::memory_order_relaxed) & (uint64_t{1} << (bit % 64))) != 0;
    });
  }

 private:
  std::atomic<uint64_t>* Line(uint64_t h) const {
    return words_ + BloomLineOf(h, lines_) * kWordsPerLine;
  }

  const size_t lines_;
  std::unique_ptr<std::atomic<uint64_t>[]> storage_;
  std::atomic<uint64_t>* words_;
};

}  // namespace

struct MemTable::Rep {
  explicit Rep(size_t filter_bytes) : table(EntryComparator(), &arena) {
    if (filter_bytes > 0) filter = std::make_unique<MemFilter>(filter_bytes);
  }
  Arena arena;  // declared first: the table allocates from it
  Table table;
  std::unique_ptr<MemFilter> filter;  // null: no filter
};

MemTable::MemTable(size_t filter_bytes) : rep_(new Rep(filter_bytes)) {}

size_t MemTable::FilterBytes() const {
  return rep_->filter != nullptr ? rep_->filter->Bytes() : 0;
}

bool MemTable::FilterMayContain(std::string_view user_key) const {
  return rep_->filter == nullptr || rep_->filter->MayContain(BloomHash(user_key));
}

MemTable::~MemTable() {
  assert(refs_.load(std::memory_order_relaxed) == 0);
  delete rep_;
}

size_t MemTable::ApproximateMemoryUsage() const { return rep_->arena.MemoryUsage(); }

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view user_key,
                   std::string_view value) {
  const size_t ikey_len = user_key.size() + kInternalKeyTagBytes;
  const size_t encoded_len = static_cast<size_t>(VarintLength(ikey_len)) + ikey_len +
                             static_cast<size_t>(VarintLength(value.size())) + value.size();
  char* buf = rep_->arena.Allocate(encoded_len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(ikey_len));
  std::memcpy(p, user_key.data(), user_key.size());
  p += user_key.size();
  EncodeFixed64(p, PackSequenceAndType(seq, type));
  p += kInternalKeyTagBytes;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  assert(p + value.size() == buf + encoded_len);
  if (rep_->filter != nullptr) rep_->filter->Add(BloomHash(user_key));  // before the link
  rep_->table.Insert(buf);
  num_entries_.fetch_add(1, std::memory_order_relaxed);
  if (type == kTypeDeletion) num_deletions_.fetch_add(1, std::memory_order_relaxed);
}

bool MemTable::Get(std::string_view user_key, uint64_t hash, SequenceNumber seq,
                   std::string* value, Status* s) {
  if (rep_->filter != nullptr && !rep_->filter->MayContain(hash)) return false;
  // The lookup key (MakeLookupKey) sorts before every version of user_key
  // with sequence <= seq, so the first entry at or after it is the newest
  // visible version, if it belongs to user_key at all.
  SearchKey search(user_key, PackSequenceAndType(seq, kValueTypeForSeek));
  Table::Iterator iter(&rep_->table);
  iter.Seek(search.encoded());
  if (!iter.Valid()) return false;

  const std::string_view ikey = EntryKey(iter.key());
  if (CompareUserKey(ExtractUserKey(ikey), user_key) != 0) return false;
  switch (ExtractValueType(ikey)) {
    case kTypeValue: {
      const std::string_view v = EntryValue(ikey);
      value->assign(v.data(), v.size());
      *s = Status::OK();
      return true;
    }
    case kTypeDeletion:
      *s = Status::NotFound(std::string_view());
      return true;
  }
  // Entries are only written by Add, which takes a ValueType.
  assert(false);
  return false;
}

Iterator* MemTable::NewIterator() { return new MemTableIterator(&rep_->table); }

}  // namespace firn
