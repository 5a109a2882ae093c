// firn/status.h: the result of every fallible call in firn.
//
// A Status is either OK or carries a code and a message naming the cause
// (for corruption: the file and the byte offset). An OK status holds no
// allocation, so success costs nothing. No firn call throws an exception
// across the API; every failure travels as a Status.
//
// Thread safety: a Status is a value; distinct objects may be used from
// distinct threads without synchronization.
#ifndef FIRN_STATUS_H_
#define FIRN_STATUS_H_

#include <memory>
#include <string>
#include <string_view>

namespace firn {

class [[nodiscard]] Status {
 public:
  // Codes mirror the C API's firn_status values one to one.
  enum class Code : int {
    kOk = 0,
    kNotFound = 1,
    kInvalidArgument = 2,
    kIOError = 3,
    kCorruption = 4,
    kNoSpace = 5,
    kBusy = 6,
  };

  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotFound, msg, msg2);
  }
  static Status InvalidArgument(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kInvalidArgument, msg, msg2);
  }
  static Status IOError(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kIOError, msg, msg2);
  }
  static Status Corruption(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kCorruption, msg, msg2);
  }
  static Status NoSpace(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNoSpace, msg, msg2);
  }
  static Status Busy(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kBusy, msg, msg2);
  }

  bool ok() const { return rep_ == nullptr; }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsNoSpace() const { return code() == Code::kNoSpace; }
  bool IsBusy() const { return code() == Code::kBusy; }

  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  // The message alone, without the code's name ("" when OK).
  std::string_view message() const { return rep_ ? std::string_view(rep_->msg) : std::string_view(); }
  // "OK", or "<Code name>: <message>".
  std::string ToString() const;

  // Marks a status as deliberately unused.
  void IgnoreError() const {}

 private:
  Status(Code code, std::string_view msg, std::string_view msg2);
  struct Rep {
    Code code;
    std::string msg;
  };
  std::unique_ptr<Rep> rep_;  // null means OK
};

}  // namespace firn

#endif  // FIRN_STATUS_H_
