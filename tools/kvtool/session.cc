// kvtool/session.cc: see session.h.
#include "session.h"

#include <csignal>
#include <filesystem>
#include <system_error>

namespace kvtool {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) { g_interrupted = 1; }
}  // namespace

bool Interrupted() { return g_interrupted != 0; }
void ClearInterrupt() { g_interrupted = 0; }

void InstallInterruptHandler() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGINT, &sa, nullptr);
}

Session::Session(std::string path, const firn::Options& options, std::set<std::string> given,
                 Output* out, bool interactive)
    : path_(std::move(path)),
      options_(options),
      given_(std::move(given)),
      out_(out),
      interactive_(interactive) {}

Session::~Session() { CloseDb().IgnoreError(); }

firn::Status Session::SetOption(std::string_view name, std::string_view value) {
  firn::Options next = options_;
  firn::Status s = next.Set(name, value);
  if (s.ok()) s = next.Validate();
  if (!s.ok()) return s;
  s = CloseDb();
  options_ = next;
  given_.insert(std::string(name));
  return s;
}

firn::Status Session::CheckNotOrphaned() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path(path_) / "CURRENT", ec) || !fs::is_directory(path_, ec)) {
    return firn::Status::OK();
  }
  for (const fs::directory_entry& e : fs::directory_iterator(path_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".sst") || name.starts_with("MANIFEST-")) {
      return firn::Status::Corruption(
          path_ +
          ": CURRENT is missing but database files remain (opening would start an "
          "empty database); run 'kvtool repair'");
    }
  }
  return firn::Status::OK();
}

firn::DB* Session::Db(int* code) {
  if (db_) return db_.get();
  firn::Status s = CheckNotOrphaned();
  if (s.ok()) s = firn::DB::Open(options_, path_, &db_);
  if (!s.ok()) {
    db_.reset();
    *code = out_->Error(kExitDbError, "cannot open " + path_ + ": " + s.ToString());
    return nullptr;
  }
  return db_.get();
}

firn::Status Session::CloseDb() {
  if (!db_) return firn::Status::OK();
  firn::Status s = db_->Close();
  db_.reset();
  return s;
}

int Session::Fail(const firn::Status& s) {
  int code = kExitDbError;
  if (s.IsNotFound()) {
    code = kExitNotFound;
  } else if (s.IsInvalidArgument()) {
    code = kExitUsage;
  }
  return out_->Error(code, s.ToString());
}

}  // namespace kvtool
