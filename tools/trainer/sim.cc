// tools/trainer/sim.cc: see sim.h. The cost model is documented in
// docs/policy.md ("The simulator and its cost model").
#include "tools/trainer/sim.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <tuple>

#include "compaction/compaction.h"
#include "db/dbformat.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "port/env.h"
#include "sst/table.h"
#include "util/coding.h"
#include "util/hash.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"

namespace firn::trainer {

namespace {

// Same constants as the engine (db/db_compaction.cc, db/db_write.cc).
constexpr double kIdlePollMicros = 1e6;
constexpr size_t kBatchHeaderBytes = 12;  // fixed64 sequence + fixed32 count
constexpr size_t kLogHeaderPayload = 8;   // magic + version
constexpr size_t kCurrentFileBytes = 16;  // "MANIFEST-000001\n"

// A WritableFile that only counts bytes (calibration).
class CountingFile final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    size_ += data.size();
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t size() const { return size_; }

 private:
  uint64_t size_ = 0;
};

// The mean bit width of the differences between neighbouring entries'
// sequence numbers and keys (entries added in key order): how much of
// each entry LZ4 finds nothing to share for (CostModel::seq_extra).
class SpreadBits {
 public:
  void Add(uint64_t key, uint64_t seq) {
    if (n_ > 0) {
      seq_bits_ += std::bit_width(seq > last_seq_ ? seq - last_seq_ : last_seq_ - seq);
      key_bits_ += std::bit_width(key - last_key_);
    }
    n_++;
    last_key_ = key;
    last_seq_ = seq;
  }
  double SeqBits() const { return n_ > 1 ? static_cast<double>(seq_bits_) / (n_ - 1) : 1.0; }
  double KeyBits() const { return n_ > 1 ? static_cast<double>(key_bits_) / (n_ - 1) : 1.0; }

 private:
  uint64_t n_ = 0, seq_bits_ = 0, key_bits_ = 0, last_key_ = 0, last_seq_ = 0;
};

struct TableSample {
  uint64_t bytes = 0;
  uint64_t split_entries = 0;  // entries added when EstimatedFileSize first >= target
  double seq_bits = 0, key_bits = 0;  // SpreadBits of its entries
};

// The calibration's reference spread: sequence numbers drawn from a span
// of 2^20, keys 1 to 4 apart (CostModel::seq_extra, key_extra).
constexpr uint64_t kRefSeqSpan = uint64_t{1} << 20;
constexpr uint64_t kRefKeyStep = 4;

// Builds a table of n entries, keys key_step or less apart, sequence
// numbers drawn from seq_span, and returns its size and spread; see
// in_put_order below.

TableSample BuildTable(const Options& o, uint64_t n, uint32_t value_size, bool tombstones,
                       uint64_t split_target, bool in_put_order, uint64_t seq_span = kRefSeqSpan,
                       uint64_t key_step = kRefKeyStep) {
  TableOptions topts;
  topts.block_bytes = o.block_bytes;
  topts.bloom_bits_per_key = o.bloom_bits_per_key;
  topts.compression = o.compression;
  CountingFile file;
  TableBuilder builder(topts, &file);
  ValueSource values(11);
  Random rnd(5);
  // in_put_order: each value follows the one put just before it, as
  // sequential appends lay them out. Otherwise no two values are put
  // neighbours (every other value of the source, shuffled): the cost of a
  // value with no neighbour in its block, which the simulator lowers by
  // in_order_saving where one is (Simulator::WriteFiles).
  std::vector<std::string> vals(tombstones ? 0 : n);
  for (std::string& v : vals) {
    if (!in_put_order) values.Get(value_size);
    v = std::string(values.Get(value_size));
  }
  if (!in_put_order) {
    for (size_t i = vals.size(); i > 1; --i) std::swap(vals[i - 1], vals[rnd.Uniform(i)]);
  }
  TableSample sample;
  SpreadBits bits;
  uint64_t key = 1000;
  for (uint64_t i = 0; i < n; ++i) {
    key += 1 + rnd.Uniform(key_step);
    if (split_target != 0 && sample.split_entries == 0 &&
        builder.EstimatedFileSize() >= split_target) {
      sample.split_entries = i;
    }
    const uint64_t seq = kRefSeqSpan + rnd.Uniform(seq_span);
    bits.Add(key, seq);
    std::string ikey = MakeInternalKey(EncodeKey(key), seq, tombstones ? kTypeDeletion : kTypeValue);
    builder.Add(ikey, tombstones ? std::string_view() : std::string_view(vals[i]));
  }
  builder.Finish().IgnoreError();
  sample.bytes = builder.FileSize();
  sample.seq_bits = bits.SeqBits();
  sample.key_bits = bits.KeyBits();
  return sample;
}

// Bytes of a log (WAL or manifest) record of `payload` bytes written at
// *offset within its 32 KiB block (docs/format-wal.md); advances *offset.
uint64_t LogRecordBytes(size_t payload, uint64_t* offset) {
  uint64_t bytes = 0;
  size_t left = payload;
  bool first = true;
  while (first || left > 0) {
    first = false;
    uint64_t avail = log::kBlockSize - *offset;
    if (avail < log::kHeaderSize) {
      bytes += avail;  // zero-filled trailer
      *offset = 0;
      avail = log::kBlockSize;
    }
    size_t frag = std::min<size_t>(left, avail - log::kHeaderSize);
    bytes += log::kHeaderSize + frag;
    *offset += log::kHeaderSize + frag;
    left -= frag;
  }
  return bytes;
}

}  // namespace

Options BaseOptions() {
  Options o;
  o.memtable_bytes = 256u << 10;
  o.sst_target_bytes = 256u << 10;
  o.max_pending_flush_bytes = 8u << 20;
  o.leveled_base_bytes = 1u << 20;
  o.block_cache_bytes = 1u << 20;
  return o;
}

namespace {
// y at x over (x, y) points in increasing x: linear in between, clamped.
double Interpolate(const std::vector<std::pair<double, double>>& points, double x) {
  if (points.empty()) return 0;
  if (x <= points.front().first) return points.front().second;
  for (size_t i = 1; i < points.size(); ++i) {
    if (x <= points[i].first) {
      const auto& [x0, y0] = points[i - 1];
      const auto& [x1, y1] = points[i];
      return x1 > x0 ? y0 + (x - x0) / (x1 - x0) * (y1 - y0) : y1;
    }
  }
  return points.back().second;
}
}  // namespace

double CostModel::SpreadExtra(double seq_bits, double key_bits) const {
  return Interpolate(seq_extra, seq_bits) + Interpolate(key_extra, key_bits);
}

CostModel Calibrate(const Options& o, uint32_t value_size) {
  using Key = std::tuple<size_t, size_t, int, int, uint64_t, uint32_t, bool>;
  static std::mutex mu;
  static std::map<Key, CostModel> memo;
  Key key{o.memtable_bytes, o.block_bytes, o.bloom_bits_per_key, static_cast<int>(o.compression),
          o.sst_target_bytes, value_size, o.wal_compression};
  {
    std::lock_guard<std::mutex> l(mu);
    auto it = memo.find(key);
    if (it != memo.end()) return it->second;
  }
  CostModel m;
  // Memtable: entries until the engine would seal it.
  {
    MemTable* mem = new MemTable();
    mem->Ref();
    ValueSource values(3);
    Random rnd(9);
    uint64_t n = 0;
    while (mem->ApproximateMemoryUsage() < o.memtable_bytes) {
      mem->Add(++n, kTypeValue, EncodeKey(rnd.Next64()), values.Get(value_size));
    }
    m.mem_overhead = static_cast<double>(o.memtable_bytes) / static_cast<double>(n) - 8.0 - value_size;
    mem->Unref();
    MemTable* dels = new MemTable();
    dels->Ref();
    n = 0;
    while (dels->ApproximateMemoryUsage() < o.memtable_bytes) {
      dels->Add(++n, kTypeDeletion, EncodeKey(rnd.Next64()), std::string_view());
    }
    m.mem_tombstone = static_cast<double>(o.memtable_bytes) / static_cast<double>(n);
    dels->Unref();
  }
  // SST: two sizes of table for the per-entry and per-file bytes, a second
  // value size for the per-value-byte share, tombstones alone.
  const uint64_t n1 = 400, n2 = 2400;
  const uint32_t v2 = value_size + 64;
  TableSample a1 = BuildTable(o, n1, value_size, false, 0, false);
  TableSample a2 = BuildTable(o, n2, value_size, false, o.sst_target_bytes, false);
  TableSample b2 = BuildTable(o, n2, v2, false, 0, false);
  TableSample t1 = BuildTable(o, n1, 0, true, 0, false);
  TableSample t2 = BuildTable(o, n2, 0, true, 0, false);
  double per_entry_a = static_cast<double>(a2.bytes - a1.bytes) / static_cast<double>(n2 - n1);
  TableSample b1 = BuildTable(o, n1, v2, false, 0, false);
  double per_entry_b = static_cast<double>(b2.bytes - b1.bytes) / static_cast<double>(n2 - n1);
  m.value_byte = (per_entry_b - per_entry_a) / 64.0;
  m.value_entry = per_entry_a - m.value_byte * value_size;
  m.file_base = static_cast<double>(a1.bytes) - per_entry_a * static_cast<double>(n1);
  m.tombstone = static_cast<double>(t2.bytes - t1.bytes) / static_cast<double>(n2 - n1);
  TableSample c1 = BuildTable(o, n1, value_size, false, 0, true);
  TableSample c2 = BuildTable(o, n2, value_size, false, 0, true);
  const double per_entry_c = static_cast<double>(c2.bytes - c1.bytes) / static_cast<double>(n2 - n1);
  m.in_order_saving = std::max(0.0, per_entry_a - per_entry_c);
  uint64_t split_entries = a2.split_entries;
  if (split_entries == 0) {
    // The target lies beyond n2 entries: extrapolate.
    split_entries = static_cast<uint64_t>(static_cast<double>(o.sst_target_bytes) / per_entry_a);
  }
  m.split_bytes = m.file_base + per_entry_a * static_cast<double>(split_entries);
  m.raw_entry = 16.0 + 3.0 + value_size;
  // The spread: tables of random values with sequence numbers drawn from
  // spans of 2^0, 2^2, ..., 2^24, and with keys 1 to 2^(k+1) - 1 apart for
  // k = 0, 2, ..., 24, each against the reference table.
  {
    constexpr uint64_t kSpreadEntries = 1000;
    const TableSample ref = BuildTable(o, kSpreadEntries, value_size, false, 0, false);
    for (int k = 0; k <= 24; k += 2) {
      const TableSample seq =
          BuildTable(o, kSpreadEntries, value_size, false, 0, false, uint64_t{1} << k);
      const TableSample key = BuildTable(o, kSpreadEntries, value_size, false, 0, false,
                                         kRefSeqSpan, (uint64_t{2} << k) - 1);
      m.seq_extra.emplace_back(seq.seq_bits, (static_cast<double>(seq.bytes) -
                                              static_cast<double>(ref.bytes)) / kSpreadEntries);
      m.key_extra.emplace_back(key.key_bits, (static_cast<double>(key.bytes) -
                                              static_cast<double>(ref.bytes)) / kSpreadEntries);
    }
  }
  // WAL records of one-put batches, written in a row by the engine's own
  // log::Writer (docs/format-wal.md, version 3: compressed when that is
  // smaller, against the window of the earlier records of the same block)
  // into a counting file; a record's payload is what the writer added for
  // it, less one fragment header. Records that cross a block boundary are
  // not sampled (their bytes include a second header or padding).
  if (o.wal_compression) {
    ValueSource values(5);
    Random rnd(13);
    CountingFile file;
    log::Writer writer(&file, 1, /*compress=*/true);
    Status s = writer.WriteHeader();
    for (int i = 0; s.ok() && i < 1024; ++i) {
      WriteBatch batch;
      batch.Put(EncodeKey(rnd.Uniform(1u << 20)), values.Get(value_size));
      WriteBatchInternal::SetSequence(&batch, 1000000 + static_cast<uint64_t>(i) * 37);
      const uint64_t before = writer.FileSize();
      s = writer.AddRecord(WriteBatchInternal::Contents(&batch));
      const uint64_t written = writer.FileSize() - before;
      if (s.ok() && written > log::kHeaderSize &&
          before / log::kBlockSize == (writer.FileSize() - 1) / log::kBlockSize) {
        m.wal_put_records.push_back(static_cast<uint32_t>(written - log::kHeaderSize));
      }
    }
    // None sampled (huge values: every record spans blocks): raw framing.
    if (!s.ok() || m.wal_put_records.size() < 64) m.wal_put_records.clear();
  }
  std::lock_guard<std::mutex> l(mu);
  memo[key] = m;
  return m;
}

Simulator::Simulator(const SimConfig& config, CompactionPicker* picker)
    : config_(config),
      cost_(Calibrate(config.options, config.value_size)),
      picker_(picker),
      guard_(NewTieredPicker(config.options)),
      version_(std::make_shared<Version>(config.options.num_levels)) {
  // DB::Open: the OPTIONS file, a manifest with a snapshot, CURRENT, the
  // first log and the prepared next one.
  result_.other_bytes += OptionsToString(config_.options).size();
  VersionEdit snapshot;
  snapshot.SetFormatVersion(kManifestFormatVersion);
  snapshot.SetLogNumber(1);
  snapshot.SetNextFileNumber(next_file_);
  snapshot.SetLastSequence(0);
  snapshot.SetNextRunId(next_run_);
  std::string rec;
  snapshot.EncodeTo(&rec);
  result_.manifest_bytes += LogRecordBytes(kLogHeaderPayload, &manifest_block_offset_) +
                            LogRecordBytes(rec.size(), &manifest_block_offset_) + kCurrentFileBytes;
  NewLogFile();
  uint64_t prepared = 0;
  result_.wal_bytes += LogRecordBytes(kLogHeaderPayload, &prepared);
}

Simulator::~Simulator() = default;

void Simulator::NewLogFile() {
  // The prepared log (header already counted) becomes current; a new one
  // is prepared with its header.
  wal_block_offset_ = 0;
  LogRecordBytes(kLogHeaderPayload, &wal_block_offset_);
  uint64_t prepared = 0;
  result_.wal_bytes += LogRecordBytes(kLogHeaderPayload, &prepared);
}

void Simulator::AddWalRecord(size_t payload) {
  result_.wal_bytes += LogRecordBytes(payload, &wal_block_offset_);
}

double Simulator::EntryBytes(const Entry& e, bool neighbour) const {
  if (e.tombstone) return cost_.tombstone;
  double bytes = cost_.value_entry + cost_.value_byte * e.value_size;
  if (neighbour) bytes -= cost_.in_order_saving;
  return bytes;
}

void Simulator::Apply(const Op& op) {
  switch (op.type) {
    case OpType::kPut:
      Put(op.key, op.value_size, false);
      now_ += config_.timing.put;
      break;
    case OpType::kDelete:
      Put(op.key, 0, true);
      now_ += config_.timing.put;
      break;
    case OpType::kGet:
      Get(op.key);
      break;
    case OpType::kScan:
      Scan(op.key, op.scan_len);
      break;
  }
  result_.ops++;
  if (busy_ && now_ >= busy_until_) MaybeFinishCompaction(false);
  if (flushing_until_ > 0 && now_ >= flushing_until_) flushing_until_ = 0;
  // Instant compactions: the whole chain now (bounded, against a picker
  // that never stops asking; the rest then waits for the next operation).
  for (int i = 0; i < 1000 && config_.timing.instant_compactions && busy_; ++i) {
    MaybeFinishCompaction(true);
  }
  if (now_ >= next_poll_) {
    next_poll_ = now_ + kIdlePollMicros;
    MaybeCompact();
  }
}

void Simulator::Put(uint64_t key, uint32_t value_size, bool tombstone) {
  // MakeRoomForWrite: seal (here: flush) a full memtable before the write.
  if (mem_bytes_ >= static_cast<double>(config_.options.memtable_bytes)) {
    Flush();
    NewLogFile();
    const double flush_time = config_.timing.instant_compactions ? 0 : config_.timing.flush_micros;
    if (busy_) {
      busy_until_ += flush_time;  // flushed between the compaction's entries
    } else {
      // The engine asks after each flush but dates the decision at the
      // seal (DBImpl::DecisionMicros): asked now, and a compaction chosen
      // starts when the flush has ended.
      if (flush_time > 0) flushing_until_ = std::max(flushing_until_, now_) + flush_time;
      MaybeCompact();
    }
    SampleSpaceAmp();
  }
  const int l0_runs = static_cast<int>(version_->level(0).runs.size());
  if (busy_ && l0_runs >= 3 * MaxRunsPerLevel(config_.options)) {
    now_ = std::max(now_, busy_until_);  // stall until the worker is done
    MaybeFinishCompaction(false);
  } else if (l0_runs >= 2 * MaxRunsPerLevel(config_.options)) {
    now_ += config_.timing.slowdown;
  }
  const size_t klen = 8;
  size_t payload = kBatchHeaderBytes + 1 + VarintLength(klen) + klen;
  if (!tombstone) payload += VarintLength(value_size) + value_size;
  if (config_.options.wal_compression) {
    // Version 3: a put as measured by Calibrate. A deletion is modeled
    // raw after its encoding byte; the engine compresses some against the
    // window, by how many puts and deletes came before it (deletions
    // sampled in a stream of random puts and deletes fitted `deleteheavy`
    // but put time-series appends, which delete ranges, 3% under).
    payload = tombstone || cost_.wal_put_records.empty()
                  ? 1 + payload
                  : cost_.wal_put_records[last_seq_ % cost_.wal_put_records.size()];
  }
  AddWalRecord(payload);
  Entry e{key, ++last_seq_, value_size, tombstone};
  mem_index_[key] = mem_.size();
  mem_.push_back(e);
  mem_bytes_ += tombstone ? cost_.mem_tombstone
                          : static_cast<double>(klen + value_size) + cost_.mem_overhead;
  result_.user_bytes += klen + (tombstone ? 0 : value_size);
  writes_++;
  last_write_ = now_;
  if (tombstone) {
    result_.deletes++;
    auto it = live_.find(key);
    if (it != live_.end()) {
      live_value_bytes_ -= it->second.size;
      live_in_order_ -= it->second.in_order ? 1 : 0;
      live_.erase(it);
      if (ordered_live_) live_order_.erase(key);
    }
  } else {
    result_.puts++;
    min_put_key_ = std::min(min_put_key_, key);
    max_put_key_ = std::max(max_put_key_, key);
    const bool in_order = last_put_key_ + 1 == key && last_put_seq_ + 1 == e.seq;
    last_put_key_ = key;
    last_put_seq_ = e.seq;
    auto [it, inserted] = live_.emplace(key, LiveValue{value_size, in_order});
    if (inserted && ordered_live_) live_order_.insert(key);
    if (!inserted) {
      live_value_bytes_ -= it->second.size;
      live_in_order_ -= it->second.in_order ? 1 : 0;
    }
    it->second = LiveValue{value_size, in_order};
    live_value_bytes_ += value_size;
    live_in_order_ += in_order ? 1 : 0;
  }
}

void Simulator::Get(uint64_t key) {
  result_.gets++;
  now_ += config_.timing.get;
  if (mem_index_.count(key) != 0) return;  // answered by the memtable
  char kbuf[8];
  EncodeKeyTo(key, kbuf);
  std::string_view ukey(kbuf, 8);
  uint64_t blocks = 0;
  bool found = false;
  for (const Level& level : version_->levels()) {
    for (const Run& run : level.runs) {
      int i = run.FindFile(ukey);
      if (i < 0) continue;
      const Entries& entries = *files_.at(run.files[i]->number);
      auto it = std::lower_bound(entries.begin(), entries.end(), key,
                                 [](const Entry& e, uint64_t k) { return e.key < k; });
      if (it != entries.end() && it->key == key) {
        blocks++;
        found = true;
        break;
      }
      // A bloom false positive reads the block that would hold the key.
      uint64_t h = Hash64(kbuf, 8, run.files[i]->number);
      if (static_cast<double>(h % 1000000) < config_.bloom_fp * 1e6) blocks++;
    }
    if (found) break;
  }
  result_.get_blocks += blocks;
  now_ += config_.timing.get_block * static_cast<double>(blocks);
}

void Simulator::Scan(uint64_t key, uint32_t len) {
  result_.scans++;
  now_ += config_.timing.scan;
  if (!ordered_live_) {
    live_order_.clear();
    for (const auto& kv : live_) live_order_.insert(kv.first);
    ordered_live_ = true;
  }
  // The engine's scan visits `len` live keys from `key` (and every older
  // version and tombstone between them): the range ends at the len-th
  // live key at or after `key`, or at the last one.
  uint64_t hi = key;
  auto pos = live_order_.lower_bound(key);
  for (uint32_t i = 0; pos != live_order_.end() && i < std::max<uint32_t>(1, len); ++i, ++pos) {
    hi = *pos;
  }
  std::string lo_key = EncodeKey(key), hi_key = EncodeKey(hi);
  double blocks = 0;
  for (const Level& level : version_->levels()) {
    for (const Run& run : level.runs) {
      // The engine's seek reads a block in every run that holds a key at
      // or after `key`, whether or not that key is in the range.
      if (run.files.empty() || run.files.back()->largest_user_key() < std::string_view(lo_key)) {
        continue;
      }
      uint64_t in_range = 0;
      for (const FileRef& f : run.files) {
        if (f->largest_user_key() < std::string_view(lo_key) ||
            f->smallest_user_key() > std::string_view(hi_key)) {
          continue;
        }
        const Entries& entries = *files_.at(f->number);
        auto b = std::lower_bound(entries.begin(), entries.end(), key,
                                  [](const Entry& e, uint64_t k) { return e.key < k; });
        auto e = std::upper_bound(entries.begin(), entries.end(), hi,
                                  [](uint64_t k, const Entry& x) { return k < x.key; });
        in_range += static_cast<uint64_t>(e - b);
      }
      // The range starts anywhere in its first block, and the run's
      // iterator steps one entry past it: in_range + 1 entries from a
      // random offset span 1 + in_range / (entries per block) blocks on
      // average. (Until 2026-11-28 this was rounded down, a block short
      // in most runs of a short scan.)
      blocks += 1 + static_cast<double>(in_range) * cost_.raw_entry /
                        static_cast<double>(config_.options.block_bytes);
    }
  }
  scan_blocks_ += blocks;
  result_.scan_blocks = static_cast<uint64_t>(std::llround(scan_blocks_));
  now_ += config_.timing.scan_block * blocks;
}

void Simulator::WriteFiles(const Entries& entries, std::vector<FileMetaData>* out) {
  size_t begin = 0;
  while (begin < entries.size()) {
    double bytes = cost_.file_base;
    size_t end = begin;
    uint64_t deletions = 0;
    // The data block being filled: its first entry and raw bytes so far
    // (a block is cut once its raw bytes reach block_bytes).
    size_t block_begin = begin;
    double block_raw = 0;
    const double block_bytes = static_cast<double>(config_.options.block_bytes);
    while (end < entries.size()) {
      // OutputBuilder cuts only between different user keys.
      if (bytes >= cost_.split_bytes && end > begin && entries[end].key != entries[end - 1].key) {
        break;
      }
      const Entry& e = entries[end];
      bool neighbour = false;
      if (!e.tombstone) {
        for (size_t j = block_begin; j < end && !neighbour; ++j) {
          const Entry& o = entries[j];
          neighbour = !o.tombstone && (o.seq + 1 == e.seq || e.seq + 1 == o.seq);
        }
      }
      bytes += EntryBytes(e, neighbour);
      if (e.tombstone) deletions++;
      ++end;
      block_raw += e.tombstone ? cost_.raw_entry - e.value_size : cost_.raw_entry;
      if (block_raw >= block_bytes) {
        block_begin = end;
        block_raw = 0;
      }
    }
    FileMetaData f;
    f.number = next_file_++;
    const Entry& first = entries[begin];
    const Entry& last = entries[end - 1];
    f.smallest = MakeInternalKey(EncodeKey(first.key), first.seq,
                                 first.tombstone ? kTypeDeletion : kTypeValue);
    f.largest = MakeInternalKey(EncodeKey(last.key), last.seq,
                                last.tombstone ? kTypeDeletion : kTypeValue);
    f.num_entries = end - begin;
    f.num_deletions = deletions;
    f.smallest_seq = kMaxSequenceNumber;
    f.largest_seq = 0;
    SpreadBits bits;  // how the entries spread (CostModel::seq_extra, key_extra)
    for (size_t i = begin; i < end; ++i) {
      f.smallest_seq = std::min(f.smallest_seq, entries[i].seq);
      f.largest_seq = std::max(f.largest_seq, entries[i].seq);
      bits.Add(entries[i].key, entries[i].seq);
    }
    bytes += static_cast<double>(end - begin - deletions) *
             cost_.SpreadExtra(bits.SeqBits(), bits.KeyBits());
    f.file_size = static_cast<uint64_t>(std::llround(std::max(bytes, cost_.file_base)));
    f.created_micros = static_cast<uint64_t>(now_);
    files_[f.number] =
        std::make_shared<const Entries>(entries.begin() + static_cast<std::ptrdiff_t>(begin),
                                        entries.begin() + static_cast<std::ptrdiff_t>(end));
    result_.sst_bytes += f.file_size;
    out->push_back(std::move(f));
    begin = end;
  }
}

void Simulator::ApplyEdit(VersionEdit* edit) {
  // VersionSet::LogAndApply sets the counters, then logs the edit.
  edit->SetLogNumber(1);
  edit->SetNextFileNumber(next_file_);
  edit->SetLastSequence(last_seq_);
  edit->SetNextRunId(next_run_);
  std::shared_ptr<Version> v;
  Status s = Version::Apply(*version_, *edit, &v);
  if (!s.ok()) {
    std::fprintf(stderr, "simulator: %s\n", s.ToString().c_str());
    std::abort();
  }
  std::string rec;
  edit->EncodeTo(&rec);
  result_.manifest_bytes += LogRecordBytes(rec.size(), &manifest_block_offset_);
  for (const VersionEdit::DeletedFile& d : edit->deleted_files()) {
    bool moved = false;
    for (const VersionEdit::NewFile& nf : edit->new_files()) moved |= nf.meta.number == d.number;
    if (!moved) files_.erase(d.number);
  }
  version_ = std::move(v);
  uint64_t runs = static_cast<uint64_t>(version_->TotalRuns());
  result_.max_runs = std::max(result_.max_runs, runs);
}

void Simulator::Flush() {
  if (mem_.empty()) return;
  Entries sorted = mem_;
  std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.seq > b.seq;
  });
  // No snapshots: a version shadowed by a newer one is dropped; tombstones
  // stay (the flush never knows what older runs hold).
  Entries kept;
  kept.reserve(sorted.size());
  for (const Entry& e : sorted) {
    if (!kept.empty() && kept.back().key == e.key) continue;
    kept.push_back(e);
  }
  std::vector<FileMetaData> outputs;
  const uint64_t sst_before = result_.sst_bytes;
  WriteFiles(kept, &outputs);
  result_.flush_bytes += result_.sst_bytes - sst_before;
  VersionEdit edit;
  uint64_t run_id = next_run_++;
  for (const FileMetaData& f : outputs) edit.AddFile(0, run_id, f);
  ApplyEdit(&edit);
  mem_.clear();
  mem_index_.clear();
  mem_bytes_ = 0;
  result_.flushes++;
}

WorkloadStats Simulator::Stats() {
  double elapsed = now_ - window_start_;
  if (elapsed >= static_cast<double>(RateWindowMicros(config_.options.memtable_bytes))) {
    double secs = elapsed / 1e6;
    write_rate_ = static_cast<double>(writes_ - window_writes_) / secs;
    read_rate_ = static_cast<double>(result_.gets - window_gets_) / secs;
    scan_rate_ = static_cast<double>(result_.scans - window_scans_) / secs;
    delete_rate_ = static_cast<double>(result_.deletes - window_deletes_) / secs;
    window_writes_ = writes_;
    window_gets_ = result_.gets;
    window_scans_ = result_.scans;
    window_deletes_ = result_.deletes;
    window_start_ = now_;
  }
  WorkloadStats w;
  w.now_micros = static_cast<uint64_t>(now_);
  w.write_rate = write_rate_;
  w.read_rate = read_rate_;
  w.scan_rate = scan_rate_;
  w.delete_rate = delete_rate_;
  w.micros_since_last_compaction = static_cast<uint64_t>(now_ - last_compaction_);
  w.micros_since_last_write = static_cast<uint64_t>(now_ - last_write_);
  w.pending_flush_bytes = 0;
  uint64_t total = version_->TotalBytes();
  w.free_space_bytes = config_.free_space_bytes > total ? config_.free_space_bytes - total : 0;
  w.user_bytes_written = result_.user_bytes;
  w.device_bytes_written = result_.DeviceBytes();
  w.wear_weight = config_.wear;
  w.read_weight = config_.read;
  w.space_weight = config_.space;
  return w;
}

std::string RunsPerLevel(const TreeShape& tree) {
  std::string runs;
  for (const LevelShape& l : tree.levels) runs += " " + std::to_string(l.runs.size());
  return runs;
}

void Simulator::MaybeCompact() {
  // The background worker: ask the picker until it waits (bounded, as a
  // safety net against a policy that never waits on an unchanging tree).
  for (int i = 0; i < 256; ++i) {
    if (busy_ || version_->TotalRuns() == 0) return;
    TreeShape shape = ShapeOf(*version_, static_cast<uint64_t>(now_));
    WorkloadStats stats = Stats();
    CompactionRequest request;
    bool pick = picker_->Pick(shape, stats, &request);
    if (GuardrailTripped(shape, config_.options)) {
      // The engine's guardrail, exactly: the tiered rule overrides.
      CompactionRequest guard;
      if (guard_->Pick(shape, stats, &guard)) {
        result_.guardrail_overrides++;
        if (config_.trace_guardrail) {
          std::printf("guardrail t=%.1fms user=%.2fMB runs%s total %.2fMB -> %s (picker: %s)\n",
                      now_ / 1000.0, result_.user_bytes / 1048576.0, RunsPerLevel(shape).c_str(),
                      shape.total_bytes / 1048576.0, guard.reason.c_str(),
                      pick ? request.reason.c_str() : "wait");
        }
        request = std::move(guard);
        pick = true;
      }
    }
    if (!pick) return;
    if (!RunCompaction(request)) return;
  }
}

bool Simulator::RunCompaction(const CompactionRequest& request) {
  std::unique_ptr<Compaction> c;
  Status s = Compaction::Prepare(*version_, request, &c);
  if (!s.ok()) {
    result_.picker_rejections++;
    return false;
  }
  VersionEdit edit;
  result_.compactions++;
  if (c->IsTrivialMove()) {
    last_compaction_ = now_;
    const CompactionInput& in = c->inputs()[0];
    uint64_t run_id = c->output_run_id() != 0 ? c->output_run_id() : next_run_++;
    edit.RemoveFile(in.level, in.run_id, in.files[0]->number);
    edit.AddFile(c->output_level(), run_id, *in.files[0]);
    ApplyEdit(&edit);
    result_.trivial_moves++;
    return true;
  }
  // One sorted sequence per input run (its files are disjoint, in key
  // order), newest run first; k-way merge by (key asc, sequence desc).
  std::vector<std::pair<const Entry*, const Entry*>> seqs;
  std::vector<Entries> runs(c->inputs().size());
  size_t total = 0;
  for (size_t r = 0; r < c->inputs().size(); ++r) {
    for (const FileRef& f : c->inputs()[r].files) {
      const Entries& e = *files_.at(f->number);
      runs[r].insert(runs[r].end(), e.begin(), e.end());
    }
    total += runs[r].size();
    seqs.emplace_back(runs[r].data(), runs[r].data() + runs[r].size());
  }
  Entries out;
  out.reserve(total);
  uint64_t current_key = 0;
  bool has_key = false;
  char kbuf[8];
  for (;;) {
    int best = -1;
    for (int r = 0; r < static_cast<int>(seqs.size()); ++r) {
      if (seqs[r].first == seqs[r].second) continue;
      if (best < 0) {
        best = r;
        continue;
      }
      const Entry& a = *seqs[r].first;
      const Entry& b = *seqs[best].first;
      if (a.key < b.key || (a.key == b.key && a.seq > b.seq)) best = r;
    }
    if (best < 0) break;
    const Entry& e = *seqs[best].first++;
    if (has_key && e.key == current_key) continue;  // shadowed by a newer version
    has_key = true;
    current_key = e.key;
    if (e.tombstone) {
      EncodeKeyTo(e.key, kbuf);
      if (c->IsBaseForKey(std::string_view(kbuf, 8))) continue;  // nothing older to hide
    }
    out.push_back(e);
  }
  std::vector<FileMetaData> outputs;
  uint64_t written_before = result_.sst_bytes;
  WriteFiles(out, &outputs);
  double io = static_cast<double>(c->InputBytes() + (result_.sst_bytes - written_before));
  c->AddInputDeletions(&pending_edit_);
  for (const FileMetaData& f : outputs) pending_edit_.AddFile(c->output_level(), 0, f);
  pending_output_run_ = c->output_run_id();
  pending_output_level_ = c->output_level();
  busy_ = true;
  busy_until_ = config_.timing.instant_compactions
                    ? now_
                    : std::max(now_, flushing_until_) + io / config_.timing.compaction_bytes_per_micro;
  return true;
}

void Simulator::MaybeFinishCompaction(bool force) {
  if (!busy_ || (!force && now_ < busy_until_)) return;
  if (force) now_ = std::max(now_, busy_until_);
  // The output run id is assigned when the compaction ends (as the engine
  // does), after any run flushed meanwhile.
  uint64_t run_id = pending_output_run_ != 0 ? pending_output_run_ : next_run_++;
  VersionEdit edit;
  for (const VersionEdit::DeletedFile& d : pending_edit_.deleted_files()) {
    edit.RemoveFile(d.level, d.run_id, d.number);
  }
  for (const VersionEdit::NewFile& nf : pending_edit_.new_files()) {
    edit.AddFile(pending_output_level_, run_id, nf.meta);
  }
  pending_edit_ = VersionEdit();
  busy_ = false;
  ApplyEdit(&edit);
  last_compaction_ = now_;
  MaybeCompact();
}

double Simulator::LiveBytesEstimate() const {
  const double n = static_cast<double>(live_.size());
  // Compacted into one run: values put in order differ from their
  // neighbours by 1, the others by about a third of every write so far;
  // keys by their range over their number.
  const double in_order = n > 0 ? static_cast<double>(live_in_order_) / n : 0;
  const double seq_bits = in_order + (1 - in_order) * std::bit_width(last_seq_ / 3 + 1);
  const double key_bits =
      n > 1 && max_put_key_ > min_put_key_
          ? std::bit_width(static_cast<uint64_t>(static_cast<double>(max_put_key_ - min_put_key_) / (n - 1)))
          : 1.0;
  double bytes = n * (cost_.value_entry + cost_.SpreadExtra(seq_bits, key_bits)) +
                 live_value_bytes_ * cost_.value_byte -
                 static_cast<double>(live_in_order_) * cost_.in_order_saving;
  double files = std::ceil(bytes / cost_.split_bytes);
  return bytes + files * cost_.file_base;
}

void Simulator::SampleSpaceAmp() {
  double live = LiveBytesEstimate();
  if (live <= 0) return;
  // Keys only in the memtable are not in files yet; sampled right after a
  // flush, the memtable is empty.
  result_.space_amp_sum += static_cast<double>(version_->TotalBytes()) / live;
  result_.space_amp_samples++;
}

void Simulator::Finish() {
  now_ = std::max(now_, flushing_until_);
  flushing_until_ = 0;
  Flush();
  NewLogFile();
  MaybeCompact();
  while (busy_) MaybeFinishCompaction(true);
  double live = LiveBytesEstimate();
  result_.live_file_bytes = version_->TotalBytes();
  result_.space_amp_end = live <= 0 ? 1.0 : static_cast<double>(version_->TotalBytes()) / live;
  result_.micros = now_;
}

std::vector<std::pair<uint64_t, uint32_t>> Simulator::LiveKeys() const {
  std::map<uint64_t, std::pair<uint64_t, const Entry*>> newest;  // key -> (seq, entry)
  auto consider = [&](const Entry& e) {
    auto it = newest.find(e.key);
    if (it == newest.end() || it->second.first < e.seq) newest[e.key] = {e.seq, &e};
  };
  for (const Entry& e : mem_) consider(e);
  for (const auto& [number, entries] : files_) {
    for (const Entry& e : *entries) consider(e);
  }
  std::vector<std::pair<uint64_t, uint32_t>> live;
  for (const auto& [key, v] : newest) {
    if (!v.second->tombstone) live.emplace_back(key, v.second->value_size);
  }
  return live;
}

uint64_t Simulator::StoredEntries() const {
  uint64_t n = 0;
  for (const auto& [number, entries] : files_) n += entries->size();
  return n;
}

SimResult Simulate(const SimConfig& config, CompactionPicker* picker, Workload* workload) {
  Simulator sim(config, picker);
  Op op;
  while (workload->Next(&op)) sim.Apply(op);
  sim.Finish();
  return sim.result();
}

SimResult Simulate(const SimConfig& config, CompactionPicker* picker, const std::vector<Op>& ops) {
  Simulator sim(config, picker);
  for (const Op& op : ops) sim.Apply(op);
  sim.Finish();
  return sim.result();
}

}  // namespace firn::trainer
