// Tests of firn::Status: codes, messages, copies, ToString.
#include "firn/status.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>

namespace firn {

TEST_CASE("DefaultStatusIsOkWithEmptyMessage") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == Status::Code::kOk);
  CHECK(s.message().empty());
  CHECK(s.ToString() == "OK");
  CHECK(Status::OK().ok());
}

TEST_CASE("EachFactoryYieldsItsCodeAndOnlyItsPredicate") {
  struct Case {
    Status s;
    Status::Code code;
    const char* name;
  };
  Case cases[] = {
      {Status::NotFound("m"), Status::Code::kNotFound, "NotFound"},
      {Status::InvalidArgument("m"), Status::Code::kInvalidArgument, "Invalid argument"},
      {Status::IOError("m"), Status::Code::kIOError, "IO error"},
      {Status::Corruption("m"), Status::Code::kCorruption, "Corruption"},
      {Status::NoSpace("m"), Status::Code::kNoSpace, "No space"},
      {Status::Busy("m"), Status::Code::kBusy, "Busy"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK_FALSE(c.s.ok());
    CHECK(c.s.code() == c.code);
    CHECK(c.s.IsNotFound() == (c.code == Status::Code::kNotFound));
    CHECK(c.s.IsInvalidArgument() == (c.code == Status::Code::kInvalidArgument));
    CHECK(c.s.IsIOError() == (c.code == Status::Code::kIOError));
    CHECK(c.s.IsCorruption() == (c.code == Status::Code::kCorruption));
    CHECK(c.s.IsNoSpace() == (c.code == Status::Code::kNoSpace));
    CHECK(c.s.IsBusy() == (c.code == Status::Code::kBusy));
    CHECK(c.s.ToString() == std::string(c.name) + ": m");
  }
}

TEST_CASE("CodesMatchTheCApiNumbering") {
  CHECK(static_cast<int>(Status::Code::kOk) == 0);
  CHECK(static_cast<int>(Status::Code::kNotFound) == 1);
  CHECK(static_cast<int>(Status::Code::kInvalidArgument) == 2);
  CHECK(static_cast<int>(Status::Code::kIOError) == 3);
  CHECK(static_cast<int>(Status::Code::kCorruption) == 4);
  CHECK(static_cast<int>(Status::Code::kNoSpace) == 5);
  CHECK(static_cast<int>(Status::Code::kBusy) == 6);
}

TEST_CASE("SecondMessageIsJoinedWithColon") {
  CHECK(Status::IOError("000012.sst", "read failed").message() == "000012.sst: read failed");
  CHECK(Status::IOError("only").message() == "only");
  CHECK(Status::Corruption("wal", "").message() == "wal");
  CHECK(Status::Corruption("a", "b").ToString() == "Corruption: a: b");
}

TEST_CASE("MessagesMayHoldArbitraryBytes") {
  const std::string raw("x\0y", 3);
  Status s = Status::NotFound(raw);
  CHECK(s.message() == raw);
}

TEST_CASE("CopyIsDeepAndIndependent") {
  Status a = Status::Corruption("first");
  Status b(a);
  CHECK(b.IsCorruption());
  CHECK(b.message() == "first");
  CHECK(b.message().data() != a.message().data());
  a = Status::Busy("second");
  CHECK(b.message() == "first");
  CHECK(a.IsBusy());

  Status c;
  c = b;
  CHECK(c.ToString() == "Corruption: first");
  c = Status::OK();
  CHECK(c.ok());
  CHECK(b.IsCorruption());

  Status& self = c;
  c = Status::NoSpace("x");
  c = self;
  CHECK(c.IsNoSpace());
  CHECK(c.message() == "x");
}

TEST_CASE("MoveTransfersTheError") {
  Status a = Status::IOError("disk");
  Status b(std::move(a));
  CHECK(b.IsIOError());
  CHECK(b.message() == "disk");
  Status c;
  c = std::move(b);
  CHECK(c.IsIOError());
  CHECK(c.ToString() == "IO error: disk");
}

}  // namespace firn
