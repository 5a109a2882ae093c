// kvtool/progress.h: a progress bar for long work (load, export, verify,
// repair, compact).
//
// The bar is drawn on standard error, and only when standard error is a
// terminal: in pipes and scripts kvtool stays quiet. It redraws at most
// ten times a second and erases itself when done.
// Thread safety: one thread.
#ifndef FIRN_TOOLS_KVTOOL_PROGRESS_H_
#define FIRN_TOOLS_KVTOOL_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace kvtool {

class ProgressBar {
 public:
  // units: "bytes" shows sizes, anything else plain counts of that unit.
  explicit ProgressBar(std::string label, std::string units = "bytes");
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { Done(); }

  bool enabled() const { return enabled_; }
  // done of total (total 0: unknown, shows only the amount).
  void Update(uint64_t done, uint64_t total);
  // Erases the bar.
  void Done();

 private:
  std::string Amount(uint64_t n) const;

  const std::string label_;
  const std::string units_;
  const bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_PROGRESS_H_
