// Tests of WriteBatch and WriteBatchInternal: encoding, iteration, malformed
// contents, limits, and insertion into a memtable.
#include "firn/write_batch.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "db/dbformat.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "util/coding.h"

namespace firn {

namespace {

// Records the updates a batch delivers as "Put(k,v)Delete(k)...".
class Recorder : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    out.append("Put(").append(key).append(",").append(value).append(")");
  }
  void Delete(std::string_view key) override { out.append("Delete(").append(key).append(")"); }
  std::string out;
};

std::string Dump(const WriteBatch& b) {
  Recorder r;
  Status s = b.Iterate(&r);
  if (!s.ok()) r.out.append("!" + s.ToString());
  return r.out;
}

// A batch decoded from raw bytes; REQUIRES the bytes to hold a header.
WriteBatch FromContents(const std::string& contents) {
  WriteBatch b;
  Status s = WriteBatchInternal::SetContents(&b, contents);
  REQUIRE(s.ok());
  return b;
}

std::string Header(uint64_t seq, uint32_t count) {
  std::string h;
  PutFixed64(&h, seq);
  PutFixed32(&h, count);
  return h;
}

struct MemTableDeleter {
  void operator()(MemTable* m) const { m->Unref(); }
};
using MemTablePtr = std::unique_ptr<MemTable, MemTableDeleter>;

MemTablePtr NewMemTable() {
  MemTable* m = new MemTable();
  m->Ref();
  return MemTablePtr(m);
}

// The memtable's entries as "user_key@seq:type=value " in internal order.
std::string DumpMemTable(MemTable* m) {
  std::unique_ptr<Iterator> it(m->NewIterator());
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedInternalKey k;
    REQUIRE(ParseInternalKey(it->key(), &k));
    out.append(k.user_key).append("@").append(std::to_string(k.sequence));
    out.append(k.type == kTypeValue ? ":put=" : ":del=").append(it->value()).append(" ");
  }
  return out;
}

}  // namespace

TEST_CASE("EmptyBatchIsHeaderOnly") {
  WriteBatch b;
  CHECK(b.Count() == 0);
  CHECK(b.UserBytes() == 0);
  CHECK(b.ApproximateSize() == WriteBatchInternal::kHeaderBytes);
  CHECK(WriteBatchInternal::Sequence(&b) == 0);
  CHECK(Dump(b).empty());
}

TEST_CASE("UpdatesIterateInInsertionOrder") {
  WriteBatch b;
  b.Put("foo", "bar");
  b.Delete("box");
  b.Put("baz", "boo");
  b.Put("foo", "again");
  CHECK(b.Count() == 4);
  CHECK(WriteBatchInternal::Count(&b) == 4);
  CHECK(Dump(b) == "Put(foo,bar)Delete(box)Put(baz,boo)Put(foo,again)");
  CHECK(b.UserBytes() == 6 + 3 + 6 + 8);
}

TEST_CASE("EncodingMatchesTheDocumentedLayout") {
  WriteBatch b;
  WriteBatchInternal::SetSequence(&b, 0x0102030405060708ull);
  b.Put("k", "vv");
  b.Delete("d");
  std::string expected = Header(0x0102030405060708ull, 2);
  expected.append("\x01\x01k\x02vv", 6);
  expected.append("\x00\x01" "d", 3);
  CHECK(WriteBatchInternal::Contents(&b) == expected);
  CHECK(WriteBatchInternal::ByteSize(&b) == expected.size());
}

TEST_CASE("SequenceAndCountRoundTrip") {
  WriteBatch b;
  b.Put("a", "1");
  WriteBatchInternal::SetSequence(&b, kMaxSequenceNumber);
  CHECK(WriteBatchInternal::Sequence(&b) == kMaxSequenceNumber);
  WriteBatchInternal::SetSequence(&b, 77);
  CHECK(WriteBatchInternal::Sequence(&b) == 77);
  WriteBatchInternal::SetCount(&b, 0xfffffffeu);
  CHECK(WriteBatchInternal::Count(&b) == 0xfffffffeu);
  CHECK(b.Count() == 0xfffffffeu);
}

TEST_CASE("ContentsRoundTripThroughSetContents") {
  WriteBatch b;
  WriteBatchInternal::SetSequence(&b, 42);
  const std::string big_key(300, 'k');  // multi-byte varint length
  const std::string binary("a\0b", 3);
  b.Put(big_key, "v");
  b.Put("", "");
  b.Delete(binary);
  b.Put(binary, std::string(70000, 'x'));

  WriteBatch copy = FromContents(std::string(WriteBatchInternal::Contents(&b)));
  CHECK(WriteBatchInternal::Contents(&copy) == WriteBatchInternal::Contents(&b));
  CHECK(WriteBatchInternal::Sequence(&copy) == 42);
  CHECK(copy.Count() == 4);
  CHECK(copy.UserBytes() == b.UserBytes());
  CHECK(Dump(copy) == Dump(b));
  CHECK(Dump(copy).find("!") == std::string::npos);
}

TEST_CASE("SetContentsRejectsInputShorterThanHeaderAndKeepsTheBatch") {
  WriteBatch b;
  b.Put("keep", "me");
  const std::string before(WriteBatchInternal::Contents(&b));
  Status s = WriteBatchInternal::SetContents(&b, std::string(11, '\0'));
  CHECK(s.IsCorruption());
  CHECK(s.message().find("write batch") != std::string_view::npos);
  CHECK(WriteBatchInternal::Contents(&b) == before);
  CHECK(b.UserBytes() == 6);
  CHECK(WriteBatchInternal::SetContents(&b, std::string(12, '\0')).ok());
  CHECK(b.Count() == 0);
}

TEST_CASE("ClearEmptiesTheBatchAndResetsSequence") {
  WriteBatch b;
  WriteBatchInternal::SetSequence(&b, 9);
  b.Put("a", "b");
  b.Clear();
  CHECK(b.Count() == 0);
  CHECK(b.UserBytes() == 0);
  CHECK(WriteBatchInternal::Sequence(&b) == 0);
  CHECK(b.ApproximateSize() == WriteBatchInternal::kHeaderBytes);
  b.Delete("x");
  CHECK(Dump(b) == "Delete(x)");
}

TEST_CASE("AppendConcatenatesUpdatesAndKeepsDestinationSequence") {
  WriteBatch a, b;
  WriteBatchInternal::SetSequence(&a, 200);
  WriteBatchInternal::SetSequence(&b, 300);
  a.Put("a", "1");
  b.Delete("b");
  b.Put("c", "3");
  a.Append(b);
  CHECK(a.Count() == 3);
  CHECK(WriteBatchInternal::Sequence(&a) == 200);
  CHECK(a.UserBytes() == 2 + 1 + 2);
  CHECK(Dump(a) == "Put(a,1)Delete(b)Put(c,3)");
  CHECK(Dump(b) == "Delete(b)Put(c,3)");

  WriteBatch empty;
  a.Append(empty);
  CHECK(a.Count() == 3);
  WriteBatchInternal::Append(&empty, &a);
  CHECK(Dump(empty) == Dump(a));
}

TEST_CASE("MalformedContentsAreCorruption") {
  struct Case {
    const char* what;
    std::string contents;
  };
  Case cases[] = {
      {"unknown type", Header(1, 1) + std::string("\x02\x01k", 3)},
      {"truncated key length", Header(1, 1) + std::string("\x01", 1)},
      {"truncated key", Header(1, 1) + std::string("\x01\x05" "ab", 4)},
      {"truncated value", Header(1, 1) + std::string("\x01\x01k\x05v", 5)},
      {"missing value length", Header(1, 1) + std::string("\x01\x01k", 3)},
      {"truncated delete", Header(1, 1) + std::string("\x00\x02k", 3)},
      {"count larger than records", Header(1, 2) + std::string("\x00\x01k", 3)},
      {"count smaller than records", Header(1, 1) + std::string("\x00\x01k\x00\x01j", 6)},
      {"records with zero count", Header(1, 0) + std::string("\x00\x01k", 3)},
      {"count without records", Header(1, 1)},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    WriteBatch b = FromContents(c.contents);
    Recorder r;
    Status s = b.Iterate(&r);
    CHECK(s.IsCorruption());
    CHECK(s.message().substr(0, 13) == "write batch: ");
    CHECK(WriteBatchInternal::CheckLimits(b, 100, 100).IsCorruption());
  }
}

TEST_CASE("RecordsBeyondTheHeaderCountAreNotDelivered") {
  WriteBatch b = FromContents(Header(1, 1) + std::string("\x00\x01k\x00\x01j", 6));
  Recorder r;
  CHECK(b.Iterate(&r).IsCorruption());
  CHECK(r.out == "Delete(k)");
}

TEST_CASE("CheckLimitsNamesTheOversizedKeyOrValue") {
  WriteBatch b;
  b.Put("12345", "abc");
  CHECK(WriteBatchInternal::CheckLimits(b, 5, 3).ok());

  Status s = WriteBatchInternal::CheckLimits(b, 4, 3);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "key of 5 bytes exceeds max_key_bytes 4");

  s = WriteBatchInternal::CheckLimits(b, 5, 2);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "value of 3 bytes exceeds max_value_bytes 2");

  WriteBatch d;
  d.Put("k", "");
  d.Delete("123456");
  s = WriteBatchInternal::CheckLimits(d, 5, 0);
  CHECK(s.message() == "key of 6 bytes exceeds max_key_bytes 5");
  CHECK(WriteBatchInternal::CheckLimits(d, 6, 0).ok());
}

TEST_CASE("InsertIntoAssignsConsecutiveSequencesInOrder") {
  MemTablePtr mem = NewMemTable();
  WriteBatch b;
  WriteBatchInternal::SetSequence(&b, 100);
  b.Put("k", "v1");
  b.Delete("k");
  b.Put("a", "x");
  b.Put("k", "v2");
  REQUIRE(WriteBatchInternal::InsertInto(&b, mem.get()).ok());
  CHECK(DumpMemTable(mem.get()) == "a@102:put=x k@103:put=v2 k@101:del= k@100:put=v1 ");
  CHECK(mem->NumEntries() == 4);
  CHECK(mem->NumDeletions() == 1);

  std::string value;
  Status s;
  CHECK(mem->Get("k", 100, &value, &s));
  CHECK(s.ok());
  CHECK(value == "v1");
  CHECK(mem->Get("k", 102, &value, &s));
  CHECK(s.IsNotFound());
}

TEST_CASE("InsertIntoAddsNothingFromAMalformedBatch") {
  MemTablePtr mem = NewMemTable();
  WriteBatch b = FromContents(Header(5, 3) + std::string("\x01\x01k\x01v\x01\x01j\x01w\x07", 11));
  Status s = WriteBatchInternal::InsertInto(&b, mem.get());
  CHECK(s.IsCorruption());
  CHECK(mem->NumEntries() == 0);
}

TEST_CASE("InsertIntoRejectsSequenceOverflow") {
  MemTablePtr mem = NewMemTable();
  WriteBatch b;
  b.Put("a", "1");
  b.Put("b", "2");
  WriteBatchInternal::SetSequence(&b, kMaxSequenceNumber);
  CHECK(WriteBatchInternal::InsertInto(&b, mem.get()).IsCorruption());
  CHECK(mem->NumEntries() == 0);
  WriteBatchInternal::SetSequence(&b, kMaxSequenceNumber - 1);
  CHECK(WriteBatchInternal::InsertInto(&b, mem.get()).ok());
  CHECK(mem->NumEntries() == 2);
}

}  // namespace firn
