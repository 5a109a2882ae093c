// kvtool/stats_view.h: the `stats` display: the tree's shape as bars, then
// the counters, from the engine's firn.stats.json property.
#ifndef FIRN_TOOLS_KVTOOL_STATS_VIEW_H_
#define FIRN_TOOLS_KVTOOL_STATS_VIEW_H_

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace kvtool {

// One line per level (runs, files, bytes and a bar as long as the level's
// share of the largest level), a total, then bytes written and write
// amplification, flushes and compactions. utf8: draw the bars with block
// characters (eighths), else with '#'. Missing fields count as 0.
std::string RenderStats(const nlohmann::json& stats, const std::string& picker, bool utf8);

// True if the terminal's character set is UTF-8 (from the locale).
bool TerminalIsUtf8();

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_STATS_VIEW_H_
