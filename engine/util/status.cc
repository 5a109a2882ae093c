// util/status.cc: see firn/status.h.
#include "firn/status.h"

namespace firn {

Status::Status(Code code, std::string_view msg, std::string_view msg2)
    : rep_(std::make_unique<Rep>()) {
  rep_->code = code;
  rep_->msg.assign(msg.data(), msg.size());
  if (!msg2.empty()) {
    rep_->msg.append(": ");
    rep_->msg.append(msg2.data(), msg2.size());
  }
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

std::string Status::ToString() const {
  if (rep_ == nullptr) return "OK";
  const char* name = "Unknown";
  switch (rep_->code) {
    case Code::kOk: name = "OK"; break;
    case Code::kNotFound: name = "NotFound"; break;
    case Code::kInvalidArgument: name = "Invalid argument"; break;
    case Code::kIOError: name = "IO error"; break;
    case Code::kCorruption: name = "Corruption"; break;
    case Code::kNoSpace: name = "No space"; break;
    case Code::kBusy: name = "Busy"; break;
  }
  std::string r(name);
  r.append(": ");
  r.append(rep_->msg);
  return r;
}

}  // namespace firn
