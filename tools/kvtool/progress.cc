// kvtool/progress.cc: see progress.h.
#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "output.h"

namespace kvtool {

namespace {
int TerminalWidth() {
  struct winsize ws = {};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}
}  // namespace

ProgressBar::ProgressBar(std::string label, std::string units)
    : label_(std::move(label)), units_(std::move(units)), enabled_(isatty(STDERR_FILENO) == 1) {}

std::string ProgressBar::Amount(uint64_t n) const {
  return units_ == "bytes" ? HumanBytes(n) : std::to_string(n) + " " + units_;
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  std::string tail;
  std::string line = label_ + " ";
  if (total > 0) {
    done = std::min(done, total);
    const int percent = static_cast<int>(done * 100 / total);
    tail = " " + std::to_string(percent) + "% " + Amount(done) + " / " + Amount(total);
    const int width =
        std::max(10, TerminalWidth() - static_cast<int>(line.size() + tail.size()) - 3);
    const int filled =
        static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
    line += "[" + std::string(filled, '#') + std::string(width - filled, ' ') + "]" + tail;
  } else {
    line += Amount(done);
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void ProgressBar::Done() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace kvtool
