// kvtool/stats_view.cc: see stats_view.h.
#include "stats_view.h"

#include <langinfo.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "output.h"

namespace kvtool {

using nlohmann::json;

namespace {

constexpr int kBarWidth = 32;

uint64_t Field(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// A bar of `fraction` (0..1) of kBarWidth cells.
std::string Bar(double fraction, bool utf8) {
  if (fraction <= 0) return "";
  const int eighths = std::max(1, static_cast<int>(fraction * kBarWidth * 8 + 0.5));
  if (!utf8) return std::string(std::max(1, (eighths + 4) / 8), '#');
  // U+2588 full block, then U+2589..U+258F for 7/8 down to 1/8.
  static const char* const kPartial[] = {"",       "\u258f", "\u258e", "\u258d",
                                         "\u258c", "\u258b", "\u258a", "\u2589"};
  std::string r;
  for (int i = 0; i < eighths / 8; ++i) r += "\u2588";
  r += kPartial[eighths % 8];
  return r;
}

}  // namespace

bool TerminalIsUtf8() {
  const char* codeset = nl_langinfo(CODESET);
  if (codeset == nullptr) return false;
  const std::string_view c(codeset);
  return c == "UTF-8" || c == "utf8" || c == "UTF8";
}

std::string RenderStats(const json& stats, const std::string& picker, bool utf8) {
  std::string r;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-6s %5s %6s %11s  %s\n", "level", "runs", "files", "bytes",
                "shape (bar: share of the largest level)");
  r += buf;
  uint64_t max_bytes = 0, runs = 0, files = 0, bytes = 0;
  const json empty = json::array();
  const json& levels = stats.contains("levels") ? stats["levels"] : empty;
  for (const json& l : levels) max_bytes = std::max(max_bytes, Field(l, "bytes"));
  int number = 0;
  for (const json& l : levels) {
    const uint64_t b = Field(l, "bytes");
    runs += Field(l, "runs");
    files += Field(l, "files");
    bytes += b;
    const std::string bar = max_bytes == 0 ? "" : Bar(static_cast<double>(b) / max_bytes, utf8);
    std::snprintf(buf, sizeof(buf), "L%-5d %5llu %6llu %11s  %s\n", number++,
                  static_cast<unsigned long long>(Field(l, "runs")),
                  static_cast<unsigned long long>(Field(l, "files")), HumanBytes(b).c_str(),
                  bar.c_str());
    r += buf;
  }
  std::snprintf(buf, sizeof(buf), "%-6s %5llu %6llu %11s\n", "total",
                static_cast<unsigned long long>(runs), static_cast<unsigned long long>(files),
                HumanBytes(bytes).c_str());
  r += buf;

  const uint64_t user = Field(stats, "user_bytes_written");
  const uint64_t device = Field(stats, "device_bytes_written");
  std::string amp = "n/a (nothing written since open)";
  if (user > 0) {
    std::snprintf(buf, sizeof(buf), "%.2f",
                  static_cast<double>(device) / static_cast<double>(user));
    amp = buf;
  }
  r += "written since open: " + HumanBytes(user) + " by users, " + HumanBytes(device) +
       " to the device; write amplification " + amp + "\n";
  std::snprintf(buf, sizeof(buf),
                "flushes %llu, compactions %llu (%llu trivial moves), picker %s\n",
                static_cast<unsigned long long>(Field(stats, "flushes")),
                static_cast<unsigned long long>(Field(stats, "compactions")),
                static_cast<unsigned long long>(Field(stats, "trivial_moves")), picker.c_str());
  r += buf;
  r += "entries " + std::to_string(Field(stats, "live_entries")) + " (" +
       std::to_string(Field(stats, "live_deletions")) + " deletions) in files; memtable " +
       HumanBytes(Field(stats, "memtable_bytes")) + ", waiting to flush " +
       HumanBytes(Field(stats, "pending_flush_bytes"));
  return r;
}

}  // namespace kvtool
