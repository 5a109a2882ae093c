// Tests of the write-ahead log format: wal/log_writer.h, wal/log_reader.h.
#include <doctest/doctest.h>
#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/random.h"
#include "wal/log_format.h"
#include "wal/log_probe.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace firn::log {
namespace {

constexpr uint64_t kLogNumber = 7;
constexpr char kFileName[] = "db/000007.log";

// A WritableFile appending to a std::string; can be told to fail.
class StringSink : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    if (fail_appends_) return Status::IOError("sink", "injected append error");
    contents.append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override {
    flushes++;
    return Status::OK();
  }
  Status Sync() override {
    syncs++;
    return Status::OK();
  }
  Status Close() override { return Status::OK(); }

  std::string contents;
  int flushes = 0;
  int syncs = 0;
  bool fail_appends_ = false;
};

// A SequentialFile reading a std::string; can be told to fail a read.
class StringSource : public SequentialFile {
 public:
  explicit StringSource(std::string contents) : contents_(std::move(contents)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    if (reads_ == fail_read_) return Status::IOError("source", "injected read error");
    reads_++;
    const size_t k = std::min(n, contents_.size() - pos_);
    std::memcpy(scratch, contents_.data() + pos_, k);
    *result = std::string_view(scratch, k);
    pos_ += k;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ = static_cast<size_t>(std::min<uint64_t>(contents_.size(), pos_ + n));
    return Status::OK();
  }

  int fail_read_ = -1;  // index of the Read call that fails, -1 for none

 private:
  std::string contents_;
  size_t pos_ = 0;
  int reads_ = 0;
};

class RecordingReporter : public Reader::Reporter {
 public:
  void Corruption(uint64_t offset, size_t bytes, const Status& reason) override {
    calls++;
    last_offset = offset;
    last_bytes = bytes;
    last_reason = reason;
  }
  int calls = 0;
  uint64_t last_offset = 0;
  size_t last_bytes = 0;
  Status last_reason;
};

// Writes a log of format `version` with a header and `records`; ends[i] is
// the file offset just past records[i] (ends of the header record
// excluded).
std::string WriteLogVersion(const std::vector<std::string>& records,
                            std::vector<uint64_t>* ends, uint32_t version,
                            uint64_t log_number = kLogNumber) {
  StringSink sink;
  Writer writer(&sink, log_number, version);
  REQUIRE(writer.WriteHeader().ok());
  for (const std::string& r : records) {
    REQUIRE(writer.AddRecord(r).ok());
    if (ends != nullptr) ends->push_back(writer.FileSize());
  }
  REQUIRE(writer.FileSize() == sink.contents.size());
  return sink.contents;
}

// As WriteLogVersion; compress: format version 3 with LZ4 (what the DB
// writes by default); else version 1.
std::string WriteLog(const std::vector<std::string>& records,
                     std::vector<uint64_t>* ends = nullptr,
                     uint64_t log_number = kLogNumber, bool compress = false) {
  return WriteLogVersion(records, ends,
                         compress ? kLogFormatVersionWindowed : kLogFormatVersionPlain, log_number);
}

struct ReadResult {
  Status header;
  bool empty = false;
  std::vector<std::string> records;
  bool damaged = false;
  Status status;
  uint64_t last_record_end = 0;
  uint32_t version = 0;
  bool damage_followed_by_valid = false;
  RecordingReporter reporter;
};

void ReadLog(const std::string& contents, ReadResult* out,
             uint64_t log_number = kLogNumber, int fail_read = -1) {
  StringSource source(contents);
  source.fail_read_ = fail_read;
  Reader reader(&source, kFileName, log_number, &out->reporter);
  out->header = reader.ReadHeader(&out->empty);
  if (out->header.ok()) {
    std::string_view record;
    std::string scratch;
    while (reader.ReadRecord(&record, &scratch)) out->records.emplace_back(record);
    // A finished reader stays finished.
    CHECK_FALSE(reader.ReadRecord(&record, &scratch));
  }
  out->damaged = reader.stopped_on_damage();
  out->status = reader.status();
  out->last_record_end = reader.LastRecordEnd();
  out->version = reader.format_version();
  out->damage_followed_by_valid = reader.DamageIsFollowedByValidRecords();
}

std::string RandomString(Random* rnd, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rnd->Uniform(256));
  return s;
}

// A payload whose bytes identify it (index and position), so a record
// returned in the wrong place cannot pass for the right one.
std::string NumberedPayload(int i, size_t n) {
  std::string s = "record-" + std::to_string(i) + "-";
  while (s.size() < n) s.push_back(static_cast<char>('a' + (s.size() * 7 + i) % 26));
  s.resize(n);
  return s;
}

// n bytes that LZ4 compresses to about half: a random string of n/2 bytes
// written twice (like kvbench's compression_ratio=0.5 values).
std::string HalfCompressible(int seed, size_t n) {
  Random rnd(static_cast<uint32_t>(1000 + seed));
  const std::string half = RandomString(&rnd, (n + 1) / 2);
  return (half + half).substr(0, n);
}

// The log f reads back as exactly `records`, undamaged.
void CheckReadsBack(const std::string& f, const std::vector<std::string>& records) {
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == records);
  CHECK_FALSE(r.damaged);
}

// Round trips `records` through a log of each format version.
void CheckRoundTrip(const std::vector<std::string>& records) {
  for (uint32_t version :
       {kLogFormatVersionPlain, kLogFormatVersionEncoded, kLogFormatVersionWindowed}) {
    CAPTURE(version);
    ReadResult r;
    ReadLog(WriteLogVersion(records, nullptr, version), &r);
    REQUIRE(r.header.ok());
    CHECK_FALSE(r.empty);
    CHECK(r.version == version);
    CHECK(r.records == records);
    CHECK_FALSE(r.damaged);
    CHECK(r.status.ok());
    CHECK(r.reporter.calls == 0);
  }
}

// Offset of the header record's end: 11-byte header + 8-byte payload.
constexpr uint64_t kHeaderRecordEnd = kHeaderSize + 8;

TEST_CASE("WAL: header only log reads back no records") {
  CheckRoundTrip({});
}

// A mapped log is a whole reserved chunk long while it is open: its size
// does not say whether it holds a record, its bytes do.
TEST_CASE("WAL: HoldsRecords looks at the bytes after the header, not the size") {
  std::unique_ptr<Env> env = NewMemEnv();
  REQUIRE(env->CreateDir("/db").ok());
  StringSink header_only;
  {
    Writer w(&header_only, kLogNumber, /*compress=*/true);
    REQUIRE(w.WriteHeader().ok());
  }
  REQUIRE(header_only.contents.size() == kHeaderRecordEnd);
  StringSink one_record;
  {
    Writer w(&one_record, kLogNumber, /*compress=*/true);
    REQUIRE(w.WriteHeader().ok());
    REQUIRE(w.AddRecord("payload").ok());
  }
  const std::string zeros(256 * 1024 - kHeaderRecordEnd, '\0');
  auto holds = [&](const std::string& contents) {
    REQUIRE(WriteStringToFile(env.get(), contents, "/db/000007.log", false).ok());
    return HoldsRecords(env.get(), "/db/000007.log");
  };
  CHECK_FALSE(holds(""));
  CHECK_FALSE(holds(header_only.contents));
  CHECK_FALSE(holds(header_only.contents + zeros));  // a mapped log prepared ahead
  CHECK(holds(one_record.contents));
  CHECK(holds(one_record.contents + std::string(zeros.size() - 20, '\0')));
  // Any non-zero byte counts, also far past the header (damage is data to
  // recovery and repair, never an empty log).
  std::string late = header_only.contents + zeros;
  late[200000] = 1;
  CHECK(holds(late));
  // A file that cannot be read is taken to hold data.
  CHECK(HoldsRecords(env.get(), "/db/000099.log"));
}

TEST_CASE("WAL: empty record round trips") {
  CheckRoundTrip({""});
  CheckRoundTrip({"", "x", ""});
}

TEST_CASE("WAL: small records round trip") {
  CheckRoundTrip({"foo", "bar", "", "xxxx"});
}

TEST_CASE("WAL: records sized around the block boundary round trip") {
  // Sizes that fill the rest of the first block exactly, leave exactly a
  // header's room, leave less than a header (padding), and span blocks.
  const size_t first_block_room = kBlockSize - kHeaderRecordEnd - kHeaderSize;
  for (size_t n : {first_block_room - 1, first_block_room, first_block_room + 1,
                   first_block_room - kHeaderSize, first_block_room - kHeaderSize + 1,
                   size_t{kBlockSize - kHeaderSize}, size_t{kBlockSize}, size_t{kBlockSize + 1}}) {
    CAPTURE(n);
    CheckRoundTrip({NumberedPayload(0, n), "after"});
    CheckRoundTrip({NumberedPayload(0, n), NumberedPayload(1, n), ""});
  }
}

TEST_CASE("WAL: multi-block records round trip") {
  CheckRoundTrip({NumberedPayload(0, 3 * kBlockSize + 17), "small",
                  NumberedPayload(2, 100000), NumberedPayload(3, 2 * kBlockSize)});
}

TEST_CASE("WAL: many records round trip") {
  Random rnd(301);
  std::vector<std::string> records;
  for (int i = 0; i < 5000; i++) {
    const size_t n = rnd.OneIn(50) ? rnd.Uniform(3 * kBlockSize) : rnd.Uniform(200);
    records.push_back(RandomString(&rnd, n));
  }
  CheckRoundTrip(records);
}

TEST_CASE("WAL: physical record layout matches docs/format-wal.md") {
  StringSink sink;
  Writer writer(&sink, 0x1234567890ull);
  REQUIRE(writer.WriteHeader().ok());
  REQUIRE(writer.AddRecord("hello").ok());
  const std::string& f = sink.contents;
  REQUIRE(f.size() == kHeaderRecordEnd + kHeaderSize + 5);

  // Header record: kFull, payload = magic | version. Without compression
  // the writer writes version 1, records as given.
  CHECK(DecodeFixed32(f.data() + 11) == kLogMagic);
  CHECK(DecodeFixed32(f.data() + 15) == kLogFormatVersionPlain);
  CHECK(std::string_view(f.data() + 11, 4) == "FRNL");

  const char* h = f.data() + kHeaderRecordEnd;
  CHECK((static_cast<uint8_t>(h[4]) | (static_cast<uint8_t>(h[5]) << 8)) == 5);
  CHECK(static_cast<uint8_t>(h[6]) == kFullType);
  CHECK(DecodeFixed32(h + 7) == 0x34567890u);  // low 32 bits of the number
  CHECK(std::string_view(h + kHeaderSize, 5) == "hello");
  // Checksum over type byte, log number, payload.
  std::string covered(h + 6, 5);
  covered += "hello";
  CHECK(DecodeFixed32(h) == Checksum32(covered));
}

TEST_CASE("WAL: block tail shorter than a header is zero-filled") {
  // Leave 5 bytes at the end of the first block.
  const size_t n = kBlockSize - kHeaderRecordEnd - kHeaderSize - 5;
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  REQUIRE(writer.WriteHeader().ok());
  REQUIRE(writer.AddRecord(std::string(n, 'x')).ok());
  REQUIRE(sink.contents.size() == kBlockSize - 5);
  REQUIRE(writer.AddRecord("next").ok());
  REQUIRE(sink.contents.size() == kBlockSize + kHeaderSize + 4);
  CHECK(sink.contents.substr(kBlockSize - 5, 5) == std::string(5, '\0'));
  CHECK(static_cast<uint8_t>(sink.contents[kBlockSize + 6]) == kFullType);
  CHECK(writer.FileSize() == sink.contents.size());
}

TEST_CASE("WAL: a record spanning blocks is split into first, middle and last") {
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  REQUIRE(writer.WriteHeader().ok());
  REQUIRE(writer.AddRecord(std::string(2 * kBlockSize, 'y')).ok());
  const std::string& f = sink.contents;
  CHECK(static_cast<uint8_t>(f[kHeaderRecordEnd + 6]) == kFirstType);
  CHECK(static_cast<uint8_t>(f[kBlockSize + 6]) == kMiddleType);
  CHECK(static_cast<uint8_t>(f[2 * kBlockSize + 6]) == kLastType);
}

TEST_CASE("WAL: AddRecord flushes once per record and Sync reaches the file") {
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  REQUIRE(writer.WriteHeader().ok());
  const int after_header = sink.flushes;
  REQUIRE(writer.AddRecord(std::string(3 * kBlockSize, 'z')).ok());
  CHECK(sink.flushes == after_header + 1);
  CHECK(sink.syncs == 0);
  REQUIRE(writer.Sync().ok());
  CHECK(sink.syncs == 1);
}

TEST_CASE("WAL: AddRecord returns the file's error") {
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  REQUIRE(writer.WriteHeader().ok());
  sink.fail_appends_ = true;
  Status s = writer.AddRecord("doomed");
  CHECK(s.IsIOError());
  CHECK(s.message().find("injected append error") != std::string_view::npos);
}

TEST_CASE("WAL: TruncatedTrailingRecordIsIgnored") {
  std::vector<uint64_t> ends;
  std::string f = WriteLog({"one", "two", NumberedPayload(3, 1000)}, &ends);
  f.resize(f.size() - 10);  // cut into the last record's payload
  ReadResult r;
  ReadLog(f, &r);
  REQUIRE(r.header.ok());
  CHECK(r.records == std::vector<std::string>{"one", "two"});
  CHECK(r.damaged);
  CHECK(r.status.ok());
  CHECK(r.last_record_end == ends[1]);
  REQUIRE(r.reporter.calls == 1);
  CHECK(r.reporter.last_offset == ends[1]);
  CHECK(r.reporter.last_reason.message().find("truncated") != std::string_view::npos);

  // Cut inside the last record's header.
  f.resize(ends[1] + 4);
  ReadResult r2;
  ReadLog(f, &r2);
  CHECK(r2.records == std::vector<std::string>{"one", "two"});
  CHECK(r2.damaged);
}

TEST_CASE("WAL: ChecksumMismatchStopsReading and reports the offset") {
  std::vector<uint64_t> ends;
  std::string f = WriteLog({"first", "second", "third"}, &ends);
  f[ends[0] + kHeaderSize + 2] ^= 0x01;  // a payload byte of "second"
  ReadResult r;
  ReadLog(f, &r);
  REQUIRE(r.header.ok());
  CHECK(r.records == std::vector<std::string>{"first"});  // not "third" either
  CHECK(r.damaged);
  CHECK(r.status.ok());
  REQUIRE(r.reporter.calls == 1);
  CHECK(r.reporter.last_offset == ends[0]);
  CHECK(r.reporter.last_bytes >= ends[2] - ends[0]);
  CHECK(r.reporter.last_reason.IsCorruption());
  const std::string expected =
      std::string(kFileName) + " at offset " + std::to_string(ends[0]) + ": checksum mismatch";
  CHECK(std::string(r.reporter.last_reason.message()) == expected);
  // "third" is intact after the damage: corruption in the middle.
  CHECK(r.damage_followed_by_valid);
}

TEST_CASE("WAL: damaged middle fragment ends reading at the record's start") {
  std::vector<uint64_t> ends;
  std::string f = WriteLog({"a", NumberedPayload(1, 3 * kBlockSize), "c"}, &ends);
  f[kBlockSize + kHeaderSize + 100] ^= 0x40;  // inside the middle fragment
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{"a"});
  CHECK(r.damaged);
  REQUIRE(r.reporter.calls == 1);
  // Everything from the big record's first fragment on is dropped; the
  // message names where the damage is.
  CHECK(r.reporter.last_offset == ends[0]);
  CHECK(r.reporter.last_reason.message().find("at offset " + std::to_string(kBlockSize)) !=
        std::string_view::npos);
}

TEST_CASE("WAL: PartialLastFragmentIsIgnored") {
  std::vector<uint64_t> ends;
  std::string f = WriteLog({"a", NumberedPayload(1, 2 * kBlockSize)}, &ends);
  SUBCASE("last fragment cut short") { f.resize(f.size() - 1); }
  SUBCASE("last fragment missing") { f.resize(2 * kBlockSize); }
  SUBCASE("only the first fragment left") { f.resize(kBlockSize); }
  ReadResult r;
  ReadLog(f, &r);
  REQUIRE(r.header.ok());
  CHECK(r.records == std::vector<std::string>{"a"});
  CHECK(r.damaged);
  CHECK(r.last_record_end == ends[0]);
  REQUIRE(r.reporter.calls == 1);
  CHECK(r.reporter.last_offset == ends[0]);
}

TEST_CASE("WAL: GarbageTailAfterValidRecordsKeepsPrefix") {
  std::vector<uint64_t> ends;
  const std::vector<std::string> records = {"x", NumberedPayload(1, 500), "z"};
  std::string f = WriteLog(records, &ends);
  Random rnd(17);
  for (int trial = 0; trial < 50; trial++) {
    std::string g = f + RandomString(&rnd, 1 + rnd.Uniform(2 * kBlockSize));
    if (g.back() == '\0') g.back() = 1;  // not an all-zero tail
    ReadResult r;
    ReadLog(g, &r);
    CHECK(r.records == records);
    CHECK(r.damaged);
    CHECK(r.reporter.calls == 1);
    CHECK(r.reporter.last_offset == ends.back());
  }
}

TEST_CASE("WAL: ZeroFilledTailIsCleanEnd") {
  const std::vector<std::string> records = {"x", NumberedPayload(1, 40000), "z"};
  const std::string f = WriteLog(records);
  for (size_t zeros : {size_t{1}, size_t{kHeaderSize - 1}, size_t{kHeaderSize}, size_t{100},
                       size_t{kBlockSize}, size_t{3 * kBlockSize + 5}}) {
    CAPTURE(zeros);
    ReadResult r;
    ReadLog(f + std::string(zeros, '\0'), &r);
    CHECK(r.records == records);
    CHECK_FALSE(r.damaged);
    CHECK(r.reporter.calls == 0);
  }
}

TEST_CASE("WAL: zeros followed by data are damage, not a clean end") {
  std::vector<uint64_t> ends;
  const std::string f = WriteLog({"x"}, &ends);
  // A zeroed region, then an intact record of this log: the record must not
  // be returned, since reading never skips a hole.
  StringSink later;
  Writer w(&later, kLogNumber);
  REQUIRE(w.AddRecord("after the hole").ok());
  ReadResult r;
  ReadLog(f + std::string(kBlockSize - f.size(), '\0') + later.contents, &r);
  CHECK(r.records == std::vector<std::string>{"x"});
  CHECK(r.damaged);
  CHECK(r.reporter.last_offset == ends[0]);
}

TEST_CASE("WAL: non-zero bytes in a block trailer are damage") {
  // Leave 5 bytes of padding at the end of the first block.
  const size_t n = kBlockSize - kHeaderRecordEnd - kHeaderSize - 5;
  std::string f = WriteLog({std::string(n, 'p'), "next"});
  f[kBlockSize - 3] = 'G';
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{std::string(n, 'p')});
  CHECK(r.damaged);
}

TEST_CASE("WAL: RecordFromOtherLogNumberIsRejected") {
  // A reused file: log 8 wrote 3 records over stale contents of log 7 with
  // the same layout; log 7's intact records follow log 8's.
  std::vector<std::string> records;
  for (int i = 0; i < 10; i++) records.push_back(NumberedPayload(i, 100));
  const std::string old_log = WriteLog(records, nullptr, 7);
  std::vector<uint64_t> ends;
  const std::string new_log =
      WriteLog({records[0], records[1], records[2]}, &ends, 8);
  REQUIRE(new_log.size() < old_log.size());
  const std::string f = new_log + old_log.substr(new_log.size());

  ReadResult r;
  ReadLog(f, &r, 8);
  REQUIRE(r.header.ok());
  CHECK(r.records.size() == 3);
  CHECK(r.damaged);
  REQUIRE(r.reporter.calls == 1);
  CHECK(r.reporter.last_offset == ends[2]);
  CHECK(r.reporter.last_reason.message().find("another log") != std::string_view::npos);

  // The log number is checked on every record, including the header.
  ReadResult r2;
  ReadLog(new_log, &r2, 9);
  CHECK(r2.header.IsCorruption());
}

TEST_CASE("WAL: empty file has no header and reads as empty") {
  ReadResult r;
  ReadLog("", &r);
  CHECK(r.header.ok());
  CHECK(r.empty);
  CHECK_FALSE(r.damaged);
  CHECK(r.reporter.calls == 0);
}

TEST_CASE("WAL: a header torn by a crash reads as empty") {
  const std::string f = WriteLog({});
  for (size_t cut = 1; cut < f.size(); cut++) {
    CAPTURE(cut);
    ReadResult r;
    ReadLog(f.substr(0, cut), &r);
    CHECK(r.header.ok());
    CHECK(r.empty);
  }
  ReadResult zeros;
  ReadLog(std::string(100, '\0'), &zeros);
  CHECK(zeros.header.ok());
  CHECK(zeros.empty);
}

TEST_CASE("WAL: bad magic is Corruption naming the file") {
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  char payload[8];
  EncodeFixed32(payload, kLogMagic ^ 1);
  EncodeFixed32(payload + 4, kLogFormatVersion);
  REQUIRE(writer.AddRecord(std::string_view(payload, 8)).ok());
  REQUIRE(writer.AddRecord("data").ok());
  ReadResult r;
  ReadLog(sink.contents, &r);
  CHECK(r.header.IsCorruption());
  CHECK(r.header.message().find(kFileName) != std::string_view::npos);
  CHECK(r.header.message().find("offset 0") != std::string_view::npos);
  CHECK(r.records.empty());
}

TEST_CASE("WAL: a log not starting with a header record is Corruption") {
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  REQUIRE(writer.AddRecord("just data").ok());
  ReadResult r;
  ReadLog(sink.contents, &r);
  CHECK(r.header.IsCorruption());
  CHECK(r.header.message().find(kFileName) != std::string_view::npos);

  // A damaged header record is Corruption too, not an empty log.
  std::string f = WriteLog({"a"});
  f[12] ^= 0x10;
  ReadResult r2;
  ReadLog(f, &r2);
  CHECK(r2.header.IsCorruption());
  CHECK_FALSE(r2.empty);
}

TEST_CASE("WAL: newer format version is InvalidArgument") {
  StringSink sink;
  Writer writer(&sink, kLogNumber);
  char payload[8];
  EncodeFixed32(payload, kLogMagic);
  EncodeFixed32(payload + 4, kLogFormatVersion + 1);
  REQUIRE(writer.AddRecord(std::string_view(payload, 8)).ok());
  REQUIRE(writer.AddRecord("from the future").ok());
  ReadResult r;
  ReadLog(sink.contents, &r);
  CHECK(r.header.IsInvalidArgument());
  CHECK(std::string(r.header.message()) ==
        std::string(kFileName) + ": WAL format version " + std::to_string(kLogFormatVersion + 1) +
            " is newer than supported " + std::to_string(kLogFormatVersion));
  CHECK(r.records.empty());
}

TEST_CASE("WAL: read error is returned by status(), not reported as damage") {
  const std::string f = WriteLog({"a", NumberedPayload(1, 2 * kBlockSize)});
  ReadResult r;
  ReadLog(f, &r, kLogNumber, /*fail_read=*/1);  // the second block
  REQUIRE(r.header.ok());
  CHECK(r.records == std::vector<std::string>{"a"});
  CHECK(r.status.IsIOError());
  CHECK_FALSE(r.damaged);
  CHECK(r.reporter.calls == 0);
}

// Property: whatever happens to the file after some point, the reader
// returns exactly the records that end before that point, unchanged.
// compress: a version-2 log (NumberedPayload compresses; the random
// records and the short ones stay raw).
void CheckRandomDamageGivesPrefix(bool compress) {
  Random rnd(2024);
  std::vector<std::string> records;
  for (int i = 0; i < 60; i++) {
    size_t n;
    switch (rnd.Uniform(4)) {
      case 0: n = 0; break;
      case 1: n = rnd.Uniform(30); break;
      case 2: n = rnd.Uniform(2000); break;
      default: n = rnd.Uniform(2 * kBlockSize); break;
    }
    records.push_back(rnd.OneIn(4) ? RandomString(&rnd, n) : NumberedPayload(i, n));
  }
  std::vector<uint64_t> ends;
  const std::string f = WriteLog(records, &ends, kLogNumber, compress);
  auto records_ending_by = [&](uint64_t pos) {
    return static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), pos) - ends.begin());
  };
  auto check_prefix = [&](const ReadResult& r, size_t expected) {
    REQUIRE(r.header.ok());
    REQUIRE(r.records.size() == expected);
    for (size_t i = 0; i < r.records.size(); i++) REQUIRE(r.records[i] == records[i]);
  };

  SUBCASE("truncation") {
    for (int trial = 0; trial < 400; trial++) {
      const uint64_t cut = kHeaderRecordEnd + rnd.Uniform(f.size() - kHeaderRecordEnd + 1);
      CAPTURE(cut);
      ReadResult r;
      ReadLog(f.substr(0, cut), &r);
      const size_t k = records_ending_by(cut);
      check_prefix(r, k);
      // A clean end only if the cut is at a record's end or in the
      // zero padding right after it.
      const uint64_t last_end = k == 0 ? kHeaderRecordEnd : ends[k - 1];
      const std::string gap = f.substr(last_end, cut - last_end);
      CHECK(r.damaged == (gap != std::string(gap.size(), '\0')));
    }
  }
  SUBCASE("bit flip") {
    for (int trial = 0; trial < 400; trial++) {
      const uint64_t pos = kHeaderRecordEnd + rnd.Uniform(f.size() - kHeaderRecordEnd);
      CAPTURE(pos);
      std::string g = f;
      g[pos] = static_cast<char>(g[pos] ^ (1 << rnd.Uniform(8)));
      ReadResult r;
      ReadLog(g, &r);
      check_prefix(r, records_ending_by(pos));
      CHECK(r.damaged);
    }
  }
  SUBCASE("truncation plus garbage") {
    for (int trial = 0; trial < 200; trial++) {
      const uint64_t cut = kHeaderRecordEnd + rnd.Uniform(f.size() - kHeaderRecordEnd);
      CAPTURE(cut);
      std::string g = f.substr(0, cut) + RandomString(&rnd, 1 + rnd.Uniform(kBlockSize));
      ReadResult r;
      ReadLog(g, &r);
      REQUIRE(r.header.ok());
      // Garbage may happen to complete nothing; at most the records that
      // ended before the cut come back.
      check_prefix(r, records_ending_by(cut));
    }
  }
}

TEST_CASE("WAL: random truncation and bit flips always give a prefix") {
  CheckRandomDamageGivesPrefix(false);
}

TEST_CASE("WAL v2: random truncation and bit flips of compressed records give a prefix") {
  CheckRandomDamageGivesPrefix(true);
}


// Appends one physical record as a writer would, without block handling
// (callers keep it within the first block), so tests can build fragment
// sequences no Writer produces.
void AppendFragment(std::string* dst, RecordType type, std::string_view payload,
                    uint64_t log_number = kLogNumber) {
  char header[kHeaderSize];
  header[4] = static_cast<char>(payload.size() & 0xff);
  header[5] = static_cast<char>(payload.size() >> 8);
  header[6] = static_cast<char>(type);
  EncodeFixed32(header + 7, static_cast<uint32_t>(log_number));
  EncodeFixed32(header, Checksum32(std::string_view(header + 6, 5), payload));
  dst->append(header, kHeaderSize);
  dst->append(payload.data(), payload.size());
}

TEST_CASE("WAL: broken fragment sequences end reading") {
  const std::string head = WriteLog({"a"});
  struct Case {
    const char* name;
    std::vector<std::pair<RecordType, std::string>> fragments;
  };
  const std::vector<Case> cases = {
      {"middle without first", {{kMiddleType, "m"}, {kFullType, "b"}}},
      {"last without first", {{kLastType, "l"}, {kFullType, "b"}}},
      {"full inside fragmented", {{kFirstType, "f"}, {kFullType, "b"}}},
      {"first inside fragmented", {{kFirstType, "f"}, {kFirstType, "g"}, {kLastType, "h"}}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::string f = head;
    for (const auto& [type, payload] : c.fragments) AppendFragment(&f, type, payload);
    ReadResult r;
    ReadLog(f, &r);
    CHECK(r.records == std::vector<std::string>{"a"});
    CHECK(r.damaged);
    REQUIRE(r.reporter.calls == 1);
    CHECK(r.reporter.last_offset == head.size());
    CHECK(r.reporter.last_reason.message().find("fragment sequence broken") !=
          std::string_view::npos);
    CHECK(r.damage_followed_by_valid);
  }

  // The same fragments in order do form a record: the helper is faithful.
  std::string f = head;
  AppendFragment(&f, kFirstType, "f");
  AppendFragment(&f, kMiddleType, "g");
  AppendFragment(&f, kLastType, "h");
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{"a", "fgh"});
  CHECK_FALSE(r.damaged);
}

TEST_CASE("WAL: unknown record type ends reading") {
  std::string f = WriteLog({"a"});
  AppendFragment(&f, static_cast<RecordType>(kMaxRecordType + 1), "x");
  AppendFragment(&f, kFullType, "b");
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{"a"});
  CHECK(r.damaged);
}

void CheckDamageIsFollowedByValidRecords(bool compress) {
  std::vector<uint64_t> ends;
  std::vector<std::string> records;
  for (int i = 0; i < 20; i++) {
    // Version 2: records that compress 2:1, so the log still spans blocks.
    records.push_back(compress ? HalfCompressible(i, 3000) : NumberedPayload(i, 3000));
  }
  const std::string f = WriteLog(records, &ends, kLogNumber, compress);

  SUBCASE("clean log") {
    ReadResult r;
    ReadLog(f, &r);
    CHECK_FALSE(r.damaged);
    CHECK_FALSE(r.damage_followed_by_valid);
  }
  SUBCASE("torn tail") {
    ReadResult r;
    ReadLog(f.substr(0, f.size() - 100), &r);
    CHECK(r.damaged);
    CHECK_FALSE(r.damage_followed_by_valid);
  }
  SUBCASE("garbage tail") {
    Random rnd(5);
    ReadResult r;
    ReadLog(f + RandomString(&rnd, 3 * kBlockSize), &r);
    CHECK(r.damaged);
    CHECK_FALSE(r.damage_followed_by_valid);
  }
  SUBCASE("bad length field in the middle; later blocks intact") {
    std::string g = f;
    g[ends[2] + 5] = static_cast<char>(0x7f);  // length high byte: past the block
    ReadResult r;
    ReadLog(g, &r);
    CHECK(r.records.size() == 3);
    CHECK(r.damage_followed_by_valid);
  }
  // Regression (corruption sweep): a length field damaged to a smaller,
  // believable value made the check skip into the middle of a record and
  // miss the intact ones after it, in a log smaller than one block (every
  // manifest), so damage in the middle read as a torn tail.
  SUBCASE("believable bad length field in a single-block log") {
    std::vector<uint64_t> small_ends;
    std::vector<std::string> small;
    for (int i = 0; i < 6; i++) small.push_back(NumberedPayload(i, 200));
    std::string g = WriteLog(small, &small_ends, kLogNumber, compress);
    REQUIRE(g.size() < kBlockSize);
    g[small_ends[2] + 4] ^= 0x01;  // low byte of record 3's length
    ReadResult r;
    ReadLog(g, &r);
    CHECK(r.records.size() == 3);
    CHECK(r.damage_followed_by_valid);
  }
  SUBCASE("intact records after a corrupted one in the same block") {
    std::string g = f;
    g[ends[2] + kHeaderSize + 10] ^= 0x08;  // payload of record 3
    ReadResult r;
    ReadLog(g, &r);
    CHECK(r.records.size() == 3);
    CHECK(r.damage_followed_by_valid);
  }
  SUBCASE("stale records of another log after the damage do not count") {
    std::vector<std::string> three(records.begin(), records.begin() + 3);
    const std::string new_log = WriteLog(three, nullptr, kLogNumber + 1, compress);
    ReadResult r;
    ReadLog(new_log + f.substr(new_log.size()), &r, kLogNumber + 1);
    CHECK(r.records == three);
    CHECK(r.damaged);
    CHECK_FALSE(r.damage_followed_by_valid);
  }
}

TEST_CASE("WAL: DamageIsFollowedByValidRecords tells mid-log damage from a torn tail") {
  CheckDamageIsFollowedByValidRecords(false);
}

TEST_CASE("WAL v2: DamageIsFollowedByValidRecords tells mid-log damage from a torn tail") {
  CheckDamageIsFollowedByValidRecords(true);
}

// ---- Format version 2: per-record encoding (docs/format-wal.md) ----

// Version-2 log with a header and then `encoded` records written as given
// (AddEncodedRecord), for records no Writer's AddRecord produces.
std::string WriteEncodedLog(const std::vector<std::string>& good,
                            const std::vector<std::string>& encoded, std::vector<uint64_t>* ends) {
  StringSink sink;
  Writer writer(&sink, kLogNumber, /*compress=*/true);
  REQUIRE(writer.WriteHeader().ok());
  for (const std::string& r : good) {
    REQUIRE(writer.AddRecord(r).ok());
    ends->push_back(writer.FileSize());
  }
  for (const std::string& r : encoded) {
    REQUIRE(writer.AddEncodedRecord(r).ok());
    ends->push_back(writer.FileSize());
  }
  return sink.contents;
}

std::string Lz4(std::string_view in) {
  std::string out(static_cast<size_t>(LZ4_compressBound(static_cast<int>(in.size()))), '\0');
  const int n = LZ4_compress_default(in.data(), out.data(), static_cast<int>(in.size()),
                                     static_cast<int>(out.size()));
  REQUIRE(n > 0);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Varint32(uint32_t v) {
  std::string s;
  PutVarint32(&s, v);
  return s;
}

TEST_CASE("WAL v2: compressible record is stored as encoding byte, length, LZ4 block") {
  const std::string payload = HalfCompressible(1, 131);  // a 16 B key, 100 B value put
  StringSink sink;
  Writer writer(&sink, kLogNumber, kLogFormatVersionEncoded);
  CHECK(writer.format_version() == kLogFormatVersionEncoded);
  REQUIRE(writer.WriteHeader().ok());
  const std::string& f = sink.contents;
  CHECK(DecodeFixed32(f.data() + 15) == kLogFormatVersionEncoded);
  REQUIRE(writer.AddRecord(payload).ok());

  // The exact bytes: 11-byte header, then 0x01, varint32 131 (2 bytes),
  // then the LZ4_compress_default output of the payload.
  const std::string body = std::string(1, '\x01') + Varint32(131) + Lz4(payload);
  REQUIRE(body.size() < 1 + payload.size());
  REQUIRE(f.size() == kHeaderRecordEnd + kHeaderSize + body.size());
  const char* h = f.data() + kHeaderRecordEnd;
  CHECK((static_cast<uint8_t>(h[4]) | (static_cast<uint8_t>(h[5]) << 8)) == body.size());
  CHECK(std::string_view(h + kHeaderSize, body.size()) == body);
  std::string covered(h + 6, 5);
  covered += body;
  CHECK(DecodeFixed32(h) == Checksum32(covered));

  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{payload});
  CHECK_FALSE(r.damaged);
}

TEST_CASE("WAL v2: incompressible and tiny records are stored raw after a 0 byte") {
  Random rnd(99);
  const std::vector<std::string> records = {RandomString(&rnd, 200), "", "x",
                                            std::string(5, 'a'), RandomString(&rnd, 5000)};
  std::vector<uint64_t> ends;
  const std::string f = WriteLog(records, &ends, kLogNumber, /*compress=*/true);
  uint64_t start = kHeaderRecordEnd;
  for (size_t i = 0; i < records.size(); i++) {
    CAPTURE(i);
    // One byte more than version 1: the encoding byte.
    CHECK(ends[i] - start == kHeaderSize + 1 + records[i].size());
    CHECK(f[start + kHeaderSize] == static_cast<char>(kRawEncoding));
    CHECK(f.substr(start + kHeaderSize + 1, records[i].size()) == records[i]);
    start = ends[i];
  }
  CheckReadsBack(f, records);
}

TEST_CASE("WAL v2: raw and compressed records crossing blocks round trip") {
  Random rnd(7);
  std::vector<std::string> records;
  // Compressed records that still span blocks, raw ones that span blocks,
  // and small ones between them shifting every boundary.
  for (int i = 0; i < 40; i++) {
    switch (i % 4) {
      case 0: records.push_back(HalfCompressible(i, 20000 + rnd.Uniform(90000))); break;
      case 1: records.push_back(RandomString(&rnd, rnd.Uniform(3 * kBlockSize))); break;
      case 2: records.push_back(NumberedPayload(i, rnd.Uniform(300))); break;
      default: records.push_back(RandomString(&rnd, rnd.Uniform(40))); break;
    }
  }
  CheckRoundTrip(records);

  // Raw records whose encoding byte lands in each position around a block
  // boundary: alone in a fragment, in a fragment of only the header, and
  // in the zero-filled tail's next block.
  const size_t first_block_room = kBlockSize - kHeaderRecordEnd - kHeaderSize;
  for (size_t n : {first_block_room - 2, first_block_room - 1, first_block_room,
                   first_block_room - kHeaderSize - 1, first_block_room - kHeaderSize,
                   first_block_room - kHeaderSize + 1}) {
    CAPTURE(n);
    CheckRoundTrip({RandomString(&rnd, n), RandomString(&rnd, 3000), "after"});
  }
}

TEST_CASE("WAL v2: a record that does not compress leaves the next one compressible") {
  // The writer reuses one LZ4 state; a record LZ4 gives up on must not
  // leave it unable to compress (or make it compress against old data).
  Random rnd(5);
  std::vector<std::string> records;
  for (int i = 0; i < 60; i++) {
    records.push_back(i % 3 == 0 ? RandomString(&rnd, 100 + rnd.Uniform(3000))
                                 : HalfCompressible(i, 131 + rnd.Uniform(2000)));
  }
  std::vector<uint64_t> ends;
  const std::string f = WriteLogVersion(records, &ends, kLogFormatVersionEncoded);
  uint64_t start = kHeaderRecordEnd;
  for (size_t i = 0; i < records.size(); i++) {
    CAPTURE(i);
    const char encoding = f[start + kHeaderSize];
    if (i % 3 == 0) {
      CHECK(encoding == static_cast<char>(kRawEncoding));
    } else {
      CHECK(encoding == static_cast<char>(kLZ4Encoding));
      // Compressed as LZ4 compresses the record alone: nothing carried
      // over from the record before (the stored body is no longer).
      CHECK(Lz4(records[i]).size() + 1 + Varint32(static_cast<uint32_t>(records[i].size())).size() <=
            ends[i] - start);
    }
    start = ends[i];
  }
  CheckReadsBack(f, records);
}

TEST_CASE("WAL v2: a version-2 log is smaller than version 1 for compressible records") {
  std::vector<std::string> records;
  for (int i = 0; i < 1000; i++) records.push_back(HalfCompressible(i, 131));
  const std::string v1 = WriteLog(records, nullptr, kLogNumber, false);
  const std::string v2 = WriteLog(records, nullptr, kLogNumber, true);
  CHECK(v2.size() < v1.size() * 85 / 100);
}

TEST_CASE("WAL v2: a flipped byte inside a compressed record is a checksum mismatch") {
  std::vector<std::string> records;
  for (int i = 0; i < 5; i++) records.push_back(HalfCompressible(i, 2000));
  std::vector<uint64_t> ends;
  std::string f = WriteLogVersion(records, &ends, kLogFormatVersionEncoded);
  REQUIRE(f[ends[1] + kHeaderSize] == static_cast<char>(kLZ4Encoding));
  for (size_t at : {size_t{0}, size_t{1}, size_t{3}, size_t{500}}) {  // encoding, length, body
    CAPTURE(at);
    std::string g = f;
    g[ends[1] + kHeaderSize + at] ^= 0x20;
    ReadResult r;
    ReadLog(g, &r);
    CHECK(r.records == std::vector<std::string>{records[0], records[1]});
    CHECK(r.damaged);
    REQUIRE(r.reporter.calls == 1);
    CHECK(r.reporter.last_offset == ends[1]);
    CHECK(std::string(r.reporter.last_reason.message()) ==
          std::string(kFileName) + " at offset " + std::to_string(ends[1]) +
              ": checksum mismatch");
    CHECK(r.damage_followed_by_valid);
  }
}

TEST_CASE("WAL v2: an intact record that does not decode is damage at its offset") {
  const std::string good = HalfCompressible(3, 1000);
  const std::string lz4 = Lz4(good);
  struct Case {
    const char* name;
    std::string encoded;
    const char* reason;
  };
  std::string garbage_body = lz4;
  for (size_t i = 0; i < garbage_body.size(); i += 3) garbage_body[i] = static_cast<char>(0xff);
  const std::vector<Case> cases = {
      {"empty record", "", "record without an encoding byte"},
      {"unknown encoding", std::string(1, '\x03') + good, "unknown record encoding"},
      {"encoding 0xff", std::string(1, '\xff') + good, "unknown record encoding"},
      {"varint cut short", std::string("\x01\x80\x80", 3), "bad uncompressed length in LZ4 record"},
      {"varint too long", std::string("\x01\xff\xff\xff\xff\xff\x01", 7) + lz4,
       "bad uncompressed length in LZ4 record"},
      {"length above 64 MiB", "\x01" + Varint32(kMaxLZ4PayloadBytes + 1) + lz4,
       "uncompressed length of LZ4 record out of bounds"},
      {"length above 255x the block", "\x01" + Varint32(3000) + lz4.substr(0, 10),
       "uncompressed length of LZ4 record out of bounds"},
      {"garbage LZ4 body", "\x01" + Varint32(1000) + garbage_body,
       "LZ4 record does not decode to its stated length"},
      {"LZ4 body cut short", "\x01" + Varint32(1000) + lz4.substr(0, lz4.size() - 4),
       "LZ4 record does not decode to its stated length"},
      {"stated length too long", "\x01" + Varint32(1001) + lz4,
       "LZ4 record does not decode to its stated length"},
      {"stated length too short", "\x01" + Varint32(999) + lz4,
       "LZ4 record does not decode to its stated length"},
      {"LZ4 body of a huge record", "\x01" + Varint32(1000) + std::string(200000, '\0'),
       "uncompressed length of LZ4 record out of bounds"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::vector<uint64_t> ends;
    const std::string after("\x00" "after", 6);  // an intact raw record
    const std::string f = WriteEncodedLog({"before", good}, {c.encoded, after}, &ends);
    ReadResult r;
    ReadLog(f, &r);
    REQUIRE(r.header.ok());
    CHECK(r.records == std::vector<std::string>{"before", good});
    CHECK(r.damaged);
    CHECK(r.status.ok());
    CHECK(r.last_record_end == ends[1]);
    REQUIRE(r.reporter.calls == 1);
    CHECK(r.reporter.last_offset == ends[1]);
    CHECK(r.reporter.last_reason.IsCorruption());
    CHECK(std::string(r.reporter.last_reason.message()) ==
          std::string(kFileName) + " at offset " + std::to_string(ends[1]) + ": " + c.reason);
    // Its fragments are intact: not a torn write.
    CHECK(r.damage_followed_by_valid);
  }

  // The same helper with a valid encoding reads back: the cases above fail
  // for their encoding alone.
  std::vector<uint64_t> ends;
  const std::string f = WriteEncodedLog(
      {}, {"\x01" + Varint32(1000) + lz4, std::string("\x00raw", 4), std::string(1, '\0')}, &ends);
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{good, "raw", ""});
  CHECK_FALSE(r.damaged);
}

TEST_CASE("WAL v2: a damaged record spanning blocks is reported at its first fragment") {
  std::vector<std::string> records = {"a", HalfCompressible(5, 5 * kBlockSize), "c"};
  std::vector<uint64_t> ends;
  std::string f = WriteLog(records, &ends, kLogNumber, /*compress=*/true);
  REQUIRE(ends[1] > 2 * kBlockSize);  // the compressed record still spans blocks
  f[kBlockSize + kHeaderSize + 100] ^= 0x01;
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{"a"});
  REQUIRE(r.reporter.calls == 1);
  CHECK(r.reporter.last_offset == ends[0]);
  CHECK(r.reporter.last_reason.message().find(std::string(kFileName) + " at offset " +
                                              std::to_string(kBlockSize)) !=
        std::string_view::npos);

  // A fragmented record with intact fragments but a bad LZ4 body is damage
  // at the offset of its first fragment.
  std::string body = "\x01" + Varint32(kBlockSize * 3) + std::string(kBlockSize + 500, '\x07');
  std::vector<uint64_t> ends2;
  const std::string g = WriteEncodedLog({"a"}, {body, std::string(1, '\0')}, &ends2);
  ReadResult r2;
  ReadLog(g, &r2);
  CHECK(r2.records == std::vector<std::string>{"a"});
  REQUIRE(r2.reporter.calls == 1);
  CHECK(r2.reporter.last_offset == ends2[0]);
  CHECK(std::string(r2.reporter.last_reason.message()) ==
        std::string(kFileName) + " at offset " + std::to_string(ends2[0]) +
            ": LZ4 record does not decode to its stated length");
}

// The encoding byte of every record of a version-2/3 log f, with the block
// its first fragment is in. Walks the fragments (all intact).
struct RecordStart {
  uint64_t block;
  char encoding;
};
std::vector<RecordStart> RecordStarts(const std::string& f) {
  std::vector<RecordStart> out;
  uint64_t pos = kHeaderRecordEnd;
  while (pos < f.size()) {
    if (kBlockSize - pos % kBlockSize < kHeaderSize) {
      pos += kBlockSize - pos % kBlockSize;
      continue;
    }
    const size_t length = static_cast<uint8_t>(f[pos + 4]) |
                          (static_cast<size_t>(static_cast<uint8_t>(f[pos + 5])) << 8);
    const uint8_t type = static_cast<uint8_t>(f[pos + 6]);
    if (type == kFullType || type == kFirstType) {
      out.push_back({pos / kBlockSize, f[pos + kHeaderSize]});
    }
    pos += kHeaderSize + length;
  }
  return out;
}

// Puts as the DB logs them: a write batch's 12-byte header, a tag, a
// 16-byte decimal key and a 100-byte value that compresses 2:1.
std::string PutLikePayload(int i) {
  std::string p(8, '\0');
  EncodeFixed64(p.data(), 1000000 + static_cast<uint64_t>(i));
  PutFixed32(&p, 1);
  p.push_back('\x01');
  char key[17];
  std::snprintf(key, sizeof(key), "%016d", (i * 7919) % 1000003);
  p.push_back(16);
  p.append(key, 16);
  p.push_back(100);
  p += HalfCompressible(i, 100);
  return p;
}

TEST_CASE("WAL v3: records of one block share a window that starts anew in each block") {
  std::vector<std::string> records;
  for (int i = 0; i < 3000; i++) records.push_back(PutLikePayload(i));
  std::vector<uint64_t> ends;
  const std::string v3 = WriteLogVersion(records, &ends, kLogFormatVersionWindowed);
  CheckReadsBack(v3, records);
  const std::vector<RecordStart> starts = RecordStarts(v3);
  REQUIRE(starts.size() == records.size());
  size_t windowed = 0;
  for (size_t i = 0; i < starts.size(); i++) {
    CAPTURE(i);
    const bool first_in_block = i == 0 || starts[i].block != starts[i - 1].block;
    if (first_in_block) {
      // Readable without any record before it (RepairDB resumes at blocks).
      CHECK(starts[i].encoding == static_cast<char>(kLZ4Encoding));
    } else {
      CHECK(starts[i].encoding == static_cast<char>(kLZ4WindowedEncoding));
      windowed++;
    }
  }
  CHECK(starts.back().block >= 5);  // several blocks, so several windows
  CHECK(windowed > records.size() * 9 / 10);
  // The window pays: the same puts take at least 10% fewer bytes than in
  // version 2, where each record is compressed alone.
  const std::string v2 = WriteLogVersion(records, nullptr, kLogFormatVersionEncoded);
  CHECK(v3.size() < v2.size() * 90 / 100);
}

TEST_CASE("WAL v3: a window holds at most 64 KiB of payload, then a new one starts") {
  // 500-byte records that compress 20:1: a block holds about 10 times more
  // payload than a window may.
  std::vector<std::string> records;
  for (int i = 0; i < 600; i++) {
    records.push_back(std::string(Writer::kMaxWindowedRecordBytes - 12, static_cast<char>('a' + i % 3)));
  }
  const std::string f = WriteLogVersion(records, nullptr, kLogFormatVersionWindowed);
  CheckReadsBack(f, records);
  const std::vector<RecordStart> starts = RecordStarts(f);
  REQUIRE(starts.size() == records.size());
  size_t window = 0;
  for (size_t i = 0; i < starts.size(); i++) {
    CAPTURE(i);
    if (starts[i].encoding == static_cast<char>(kLZ4Encoding)) {
      window = records[i].size();
    } else {
      REQUIRE(starts[i].encoding == static_cast<char>(kLZ4WindowedEncoding));
      window += records[i].size();
    }
    CHECK(window <= kWindowBytes);
  }
  CHECK(starts.back().block == 0);  // all in one block: the size started them
}

TEST_CASE("WAL v3: raw and incompressible records end the window; reading stays exact") {
  Random rnd(23);
  std::vector<std::string> records;
  for (int i = 0; i < 300; i++) {
    switch (rnd.Uniform(6)) {
      case 0: records.push_back(RandomString(&rnd, rnd.Uniform(400))); break;  // raw
      case 1: records.push_back(""); break;
      case 2:  // longer than a windowed record may be, or than a window
        records.push_back(HalfCompressible(i, rnd.OneIn(2) ? 70000 + rnd.Uniform(3000)
                                                           : 513 + rnd.Uniform(1000)));
        break;
      default: records.push_back(PutLikePayload(i)); break;
    }
  }
  const std::string f = WriteLogVersion(records, nullptr, kLogFormatVersionWindowed);
  CheckReadsBack(f, records);
  const std::vector<RecordStart> starts = RecordStarts(f);
  REQUIRE(starts.size() == records.size());
  for (size_t i = 1; i < starts.size(); i++) {
    CAPTURE(i);
    // After a raw record, or one too long for a window, a new window starts;
    // long records are compressed alone.
    if (starts[i - 1].encoding == static_cast<char>(kRawEncoding) ||
        records[i - 1].size() > Writer::kMaxWindowedRecordBytes) {
      CHECK(starts[i].encoding != static_cast<char>(kLZ4WindowedEncoding));
    }
    if (records[i].size() > Writer::kMaxWindowedRecordBytes) {
      CHECK(starts[i].encoding == static_cast<char>(kLZ4Encoding));
    }
  }
}

TEST_CASE("WAL v3: a windowed record without its window is damage, never a guess") {
  const std::string a = PutLikePayload(1);
  const std::string b = PutLikePayload(2);
  // b compressed against a window holding a.
  std::string windowed_b;
  {
    LZ4_stream_t* stream = LZ4_createStream();
    std::string buf = a + b;
    std::string out(static_cast<size_t>(LZ4_compressBound(static_cast<int>(b.size()))), '\0');
    REQUIRE(LZ4_compress_fast_continue(stream, buf.data(), out.data(), static_cast<int>(a.size()),
                                       static_cast<int>(out.size()), 1) > 0);
    const int n = LZ4_compress_fast_continue(stream, buf.data() + a.size(), out.data(),
                                             static_cast<int>(b.size()),
                                             static_cast<int>(out.size()), 1);
    LZ4_freeStream(stream);
    REQUIRE(n > 0);
    windowed_b = "\x02" + Varint32(static_cast<uint32_t>(b.size())) + out.substr(0, n);
  }
  const std::string a_alone = "\x01" + Varint32(static_cast<uint32_t>(a.size())) + Lz4(a);
  {
    // With a's record before it, b decodes.
    std::vector<uint64_t> ends;
    const std::string f = WriteEncodedLog({}, {a_alone, windowed_b}, &ends);
    ReadResult r;
    ReadLog(f, &r);
    CHECK(r.records == std::vector<std::string>{a, b});
    CHECK_FALSE(r.damaged);
  }
  // Without it (as the first record, or after a raw record ended the
  // window), b is damage at its own offset, not decoded against other
  // bytes. (The reader cannot tell a window of other records from the
  // right one; it never needs to, since it decodes only records read in
  // order with every fragment's checksum checked, as the writer wrote them.)
  for (const std::vector<std::string>& before :
       {std::vector<std::string>{}, std::vector<std::string>{a_alone, std::string("\0raw", 4)}}) {
    CAPTURE(before.size());
    std::vector<std::string> encoded = before;
    encoded.push_back(windowed_b);
    std::vector<uint64_t> ends;
    const std::string f = WriteEncodedLog({}, encoded, &ends);
    ReadResult r;
    ReadLog(f, &r);
    CHECK(r.records.size() == before.size());
    CHECK(r.damaged);
    REQUIRE(r.reporter.calls == 1);
    const uint64_t at = before.empty() ? kHeaderRecordEnd : ends[before.size() - 1];
    CHECK(std::string(r.reporter.last_reason.message()) ==
          std::string(kFileName) + " at offset " + std::to_string(at) +
              ": LZ4 record refers to earlier records that were not read");
  }
  // A window may not grow past 64 KiB.
  const std::string big(40000, 'q');
  std::vector<uint64_t> ends;
  const std::string f = WriteEncodedLog(
      {}, {"\x01" + Varint32(40000) + Lz4(big), "\x02" + Varint32(40000) + Lz4(big)}, &ends);
  ReadResult r;
  ReadLog(f, &r);
  CHECK(r.records == std::vector<std::string>{big});
  CHECK(std::string(r.reporter.last_reason.message()) ==
        std::string(kFileName) + " at offset " + std::to_string(ends[0]) +
            ": LZ4 record overflows its window");
}

TEST_CASE("WAL: a version-1 log is read as written, without encoding bytes") {
  // What firn wrote before version 2, built byte by byte: header record
  // with version 1, then records stored as given, including ones that
  // begin with 0x00 or 0x01 (a version-2 reader must not decode them).
  std::string f;
  char header[8];
  EncodeFixed32(header, kLogMagic);
  EncodeFixed32(header + 4, 1);
  AppendFragment(&f, kFullType, std::string_view(header, 8));
  const std::vector<std::string> records = {std::string("\x01\x05" "hello", 7),
                                            std::string("\x00raw", 4), "", "plain"};
  for (const std::string& r : records) AppendFragment(&f, kFullType, r);
  ReadResult r;
  ReadLog(f, &r);
  REQUIRE(r.header.ok());
  CHECK(r.version == kLogFormatVersionPlain);
  CHECK(r.records == records);
  CHECK_FALSE(r.damaged);

  // And the Writer without compression writes exactly these bytes.
  CHECK(WriteLog(records) == f);
}

TEST_CASE("WAL: LastRecordOffset is the start of the record, also when compressed") {
  std::vector<std::string> records = {"a", HalfCompressible(1, 3000), "",
                                      HalfCompressible(2, 40000)};
  for (bool compress : {false, true}) {
    CAPTURE(compress);
    std::vector<uint64_t> ends;
    const std::string f = WriteLog(records, &ends, kLogNumber, compress);
    StringSource source(f);
    Reader reader(&source, kFileName, kLogNumber, nullptr);
    bool empty = false;
    REQUIRE(reader.ReadHeader(&empty).ok());
    std::string_view record;
    std::string scratch;
    for (size_t i = 0; i < records.size(); i++) {
      REQUIRE(reader.ReadRecord(&record, &scratch));
      CHECK(record == records[i]);
      // Record i starts where i-1 ended, or in the next block if too
      // little room for a header was left.
      uint64_t start = i == 0 ? kHeaderRecordEnd : ends[i - 1];
      if (kBlockSize - start % kBlockSize < kHeaderSize) start += kBlockSize - start % kBlockSize;
      CHECK(reader.LastRecordOffset() == start);
      CHECK(reader.LastRecordEnd() == ends[i]);
    }
  }
}

}  // namespace
}  // namespace firn::log
