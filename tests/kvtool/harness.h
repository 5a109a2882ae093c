// tests/kvtool/harness.h: running the kvtool binary from tests.
//
// The binary's path comes from the environment variable KVTOOL (set by
// tests/kvtool/meson.build). Every test works in a fresh temporary
// directory that is removed afterwards.
#ifndef FIRN_TESTS_KVTOOL_HARNESS_H_
#define FIRN_TESTS_KVTOOL_HARNESS_H_

#include <string>
#include <vector>

namespace kvtest {

// The kvtool binary (fails the test if KVTOOL is not set).
std::string KvtoolPath();

struct Run {
  int exit_code = -1;  // -1: killed by a signal
  std::string out, err;
};

// Runs kvtool with `args`, writing `input` to its standard input and then
// closing it; collects standard output and error. Gives up (and fails the
// test) after a generous timeout.
Run Kvtool(const std::vector<std::string>& args, const std::string& input = "");

// A temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);
// The lines of `text`, without their newlines.
std::vector<std::string> Lines(const std::string& text);

}  // namespace kvtest

#endif  // FIRN_TESTS_KVTOOL_HARNESS_H_
