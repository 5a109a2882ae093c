// kvbench/report.h: turns the children's results into a readable table,
// CSV and JSON, and gnuplot plots.
//
// `results` is a JSON array with one object per engine:
//   {"engine": spec, "workloads": [per-workload objects], "total": {...}}
// (the objects runner.cc prints).
#ifndef KVBENCH_REPORT_H_
#define KVBENCH_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>

namespace kvbench {

std::string FormatTable(const nlohmann::json& results);
std::string FormatCsv(const nlohmann::json& results);
// Writes results.json, results.csv, table.txt and, if `plots`, the gnuplot
// data, scripts and SVGs under dir/plots. `timer_check` is the driver's
// MeasureTimerCheck() object (timer_check.h), or null: it goes into
// results.json as "timer_check" and as its line above table.txt's table.
// Returns false with *error if a file cannot be written; a missing or
// failing gnuplot is only a warning.
bool WriteReport(const nlohmann::json& results, const std::string& meta_command,
                 const nlohmann::json& timer_check, const std::string& dir, bool plots,
                 std::string* error);

}  // namespace kvbench

#endif  // KVBENCH_REPORT_H_
