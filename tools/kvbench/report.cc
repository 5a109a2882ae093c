// kvbench/report.cc: table, CSV, JSON and plots (report.h).
#include "report.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "timer_check.h"

namespace kvbench {

using nlohmann::json;

namespace {

double Num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : -1;
}

double Lat(const json& w, const char* op, const char* key) {
  if (op == nullptr) return Num(w.value("latency", json::object()), key);
  json per = w.value("per_op", json::object());
  return per.contains(op) ? Num(per[op], key) : -1;
}

std::string Fmt(double v, const char* fmt) {
  if (v < 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// Renders rows as a left-aligned first two columns, right-aligned rest.
std::string Render(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (size_t n = 0; n < rows.size(); ++n) {
    const auto& r = rows[n];
    for (size_t i = 0; i < r.size(); ++i) {
      std::string cell = r[i];
      std::string pad(width[i] - cell.size(), ' ');
      out += i < 2 ? cell + pad : pad + cell;
      out += i + 1 < r.size() ? "  " : "";
    }
    out += "\n";
    if (n == 0) {
      for (size_t i = 0; i < r.size(); ++i) out += std::string(width[i], '-') + (i + 1 < r.size() ? "  " : "");
      out += "\n";
    }
  }
  return out;
}

std::string Mb(double bytes) { return Fmt(bytes < 0 ? -1 : bytes / (1 << 20), "%.1f"); }

}  // namespace

std::string FormatTable(const json& results) {
  std::vector<std::vector<std::string>> rows = {
      {"engine", "workload", "ops", "ops/s", "p50 us", "p99 us", "p99.9 us", "max us",
       "put max us", "dev WA", "firn WA", "CPU s", "RSS MB"}};
  for (const json& e : results) {
    for (const json& w : e["workloads"]) {
      rows.push_back({e["engine"].get<std::string>(), w["workload"].get<std::string>(),
                      Fmt(Num(w, "ops"), "%.0f"), Fmt(Num(w, "ops_per_sec"), "%.0f"),
                      Fmt(Lat(w, nullptr, "p50_us"), "%.1f"), Fmt(Lat(w, nullptr, "p99_us"), "%.1f"),
                      Fmt(Lat(w, nullptr, "p999_us"), "%.1f"), Fmt(Lat(w, nullptr, "max_us"), "%.0f"),
                      Fmt(Lat(w, "put", "max_us"), "%.0f"),
                      Num(w, "user_bytes") > 0 ? Fmt(Num(w, "wa_device"), "%.2f") : "-",
                      Num(w, "engine_user_bytes") > 0 ? Fmt(Num(w, "wa_engine"), "%.2f") : "-",
                      Fmt(Num(w, "cpu_seconds"), "%.1f"), Fmt(Num(w, "peak_rss_kb") / 1024, "%.1f")});
    }
  }
  std::string out = Render(rows);
  std::vector<std::vector<std::string>> totals = {
      {"engine", "run", "user MB", "device MB", "dev WA", "firn WA", "disk MB", "live MB",
       "space amp", "peak RSS MB", "harness RSS MB", "CPU s", "wall s"}};
  for (const json& e : results) {
    if (!e.contains("total")) continue;
    const json& t = e["total"];
    totals.push_back({e["engine"].get<std::string>(), "total", Mb(Num(t, "user_bytes")),
                      Mb(Num(t, "device_bytes")), Fmt(Num(t, "wa_device"), "%.2f"),
                      Fmt(Num(t, "wa_engine"), "%.2f"), Mb(Num(t, "disk_bytes")),
                      Mb(Num(t, "live_bytes")), Fmt(Num(t, "space_amp"), "%.2f"),
                      Fmt(Num(t, "peak_rss_kb") / 1024, "%.1f"),
                      Fmt(Num(t, "harness_rss_kb") / 1024, "%.1f"), Fmt(Num(t, "cpu_seconds"), "%.1f"),
                      Fmt(Num(t, "seconds"), "%.1f")});
  }
  out += "\n" + Render(totals);
  return out;
}

std::string FormatCsv(const json& results) {
  static const char* const kCols[] = {
      "ops", "seconds", "ops_per_sec", "user_bytes", "device_bytes", "syscall_bytes",
      "wa_device", "engine_user_bytes", "engine_device_bytes", "wa_engine", "cpu_seconds",
      "peak_rss_kb", "harness_rss_kb", "disk_bytes", "disk_apparent_bytes", "live_bytes",
      "live_entries", "space_amp", "found", "reads", "scanned"};
  std::string out = "engine,workload,p50_us,p99_us,p999_us,max_us,put_p99_us,put_max_us";
  for (const char* c : kCols) out += std::string(",") + c;
  out += "\n";
  auto row = [&](const std::string& engine, const json& w) {
    out += "\"" + engine + "\"," + w.value("workload", std::string());
    for (const char* k : {"p50_us", "p99_us", "p999_us", "max_us"}) {
      double v = Lat(w, nullptr, k);
      out += "," + (v < 0 ? std::string() : Fmt(v, "%.3f"));
    }
    for (const char* k : {"p99_us", "max_us"}) {
      double v = Lat(w, "put", k);
      out += "," + (v < 0 ? std::string() : Fmt(v, "%.3f"));
    }
    for (const char* c : kCols) {
      double v = Num(w, c);
      out += "," + (v < 0 ? std::string() : Fmt(v, "%.6g"));
    }
    out += "\n";
  };
  for (const json& e : results) {
    std::string engine = e["engine"].get<std::string>();
    for (const json& w : e["workloads"]) row(engine, w);
    if (e.contains("total")) row(engine, e["total"]);
  }
  return out;
}

namespace {

bool WriteFile(const std::string& path, const std::string& text, std::string* error) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) *error = "cannot write " + path;
  return static_cast<bool>(f);
}

// gnuplot string literal (single quotes double themselves).
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

const char* kTerminal =
    "set terminal svg size 960,420 dynamic font 'sans,10' noenhanced\n"
    "set key outside right top\n"
    "set grid ytics lc rgb '#dddddd'\n";

bool WritePlots(const json& results, const std::string& dir, std::string* error) {
  std::vector<std::string> engines, workloads;
  for (const json& e : results) engines.push_back(e["engine"].get<std::string>());
  std::set<std::string> seen;
  for (const json& e : results) {
    for (const json& w : e["workloads"]) {
      std::string name = w["workload"].get<std::string>();
      if (seen.insert(name).second) workloads.push_back(name);
    }
  }
  auto find = [&](size_t ei, const std::string& name) -> const json* {
    for (const json& w : results[ei]["workloads"]) {
      if (w["workload"] == name) return &w;
    }
    return nullptr;
  };
  std::string gp = kTerminal;

  // Throughput per workload and engine (clustered bars, kops/s).
  std::string dat = "# workload";
  for (size_t i = 0; i < engines.size(); ++i) dat += " e" + std::to_string(i);
  dat += "\n";
  for (const std::string& w : workloads) {
    dat += w;
    for (size_t i = 0; i < engines.size(); ++i) {
      const json* r = find(i, w);
      dat += " " + (r != nullptr ? Fmt(Num(*r, "ops_per_sec") / 1000, "%.3f") : std::string("0"));
    }
    dat += "\n";
  }
  if (!WriteFile(dir + "/throughput.dat", dat, error)) return false;
  gp += "set output 'throughput.svg'\nset title 'Throughput (kops/s, log scale, higher is better)'\n"
        "set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.8 border -1\nset logscale y\nset yrange [1:*]\nset xtics nomirror\n"
        "plot ";
  for (size_t i = 0; i < engines.size(); ++i) {
    gp += std::string(i ? ", " : "") + "'throughput.dat' using " + std::to_string(i + 2) +
          (i == 0 ? ":xtic(1)" : "") + " title " + Quote(engines[i]);
  }
  gp += "\nunset logscale y\nunset style\n\n";

  // Whole-run write amplification and space amplification per engine.
  dat = "# engine wa_device wa_engine space_amp\n";
  for (size_t i = 0; i < engines.size(); ++i) {
    json t = results[i].value("total", json::object());
    double we = Num(t, "wa_engine");
    dat += "\"" + engines[i] + "\" " + Fmt(Num(t, "wa_device"), "%.3f") + " " +
           (we < 0 ? std::string("0") : Fmt(we, "%.3f")) + " " + Fmt(Num(t, "space_amp"), "%.3f") + "\n";
  }
  if (!WriteFile(dir + "/wa.dat", dat, error)) return false;
  gp += "set output 'wa.svg'\nset title 'Write amplification (device bytes / user bytes, whole run) and space amplification'\n"
        "set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.8 border -1\nset yrange [0:*]\nset xtics nomirror\n"
        "plot 'wa.dat' using 2:xtic(1) title 'WA (/proc/self/io)', '' using 3 title 'WA (firn counters)',"
        " '' using 4 title 'disk / live data'\n"
        "unset style\n\n";

  // Cumulative write amplification over time.
  dat.clear();
  for (size_t i = 0; i < engines.size(); ++i) {
    dat += "# " + engines[i] + "\n";
    for (const json& w : results[i]["workloads"]) {
      for (const json& p : w.value("series", json::array())) {
        double user = Num(p, "user_bytes");
        if (user <= 0) continue;
        dat += Fmt(Num(p, "t"), "%.3f") + " " + Fmt(Num(p, "device_bytes") / user, "%.4f") + "\n";
      }
    }
    dat += "\n\n";
  }
  if (!WriteFile(dir + "/wa_time.dat", dat, error)) return false;
  gp += "set output 'wa_time.svg'\nset title 'Cumulative write amplification over the run'\n"
        "set xlabel 'seconds since start'\nset ylabel 'device bytes / user bytes'\nset yrange [0:*]\n"
        "plot ";
  for (size_t i = 0; i < engines.size(); ++i) {
    gp += std::string(i ? ", " : "") + "'wa_time.dat' index " + std::to_string(i) +
          " using 1:2 with lines lw 2 title " + Quote(engines[i]);
  }
  gp += "\nunset xlabel\nunset ylabel\n\n";

  // Latency CDF per workload.
  for (const std::string& w : workloads) {
    dat.clear();
    for (size_t i = 0; i < engines.size(); ++i) {
      dat += "# " + engines[i] + "\n";
      const json* r = find(i, w);
      if (r != nullptr) {
        // Thin for a small SVG: keep a point once latency has grown 15 % or
        // the tail fraction (1 - CDF) has shrunk 1.5x since the last kept one.
        const json cdf = r->value("cdf", json::array());
        double last_us = -1, last_tail = 2;
        for (size_t k = 0; k < cdf.size(); ++k) {
          const double us = cdf[k][0].get<double>(), frac = cdf[k][1].get<double>();
          const bool edge = k == 0 || k + 1 == cdf.size();
          if (!edge && us < last_us * 1.15 && 1 - frac > last_tail / 1.5) continue;
          dat += Fmt(us, "%.3f") + " " + Fmt(frac, "%.6f") + "\n";
          last_us = us;
          last_tail = 1 - frac;
        }
      }
      dat += "\n\n";
    }
    if (!WriteFile(dir + "/latency_" + w + ".dat", dat, error)) return false;
    // Drawn as 1 - CDF on a log scale, so the tail (p99 .. max) is visible.
    gp += "set output 'latency_cdf_" + w + ".svg'\nset title " +
          Quote("Latency CDF: " + w + " (fraction of operations slower than x)") +
          "\nset logscale xy\nset xlabel 'latency (us)'\nset ylabel '1 - CDF'\n"
          "set format y '%g'\nset yrange [1e-6:1.5]\nplot ";
    for (size_t i = 0; i < engines.size(); ++i) {
      gp += std::string(i ? ", " : "") + Quote("latency_" + w + ".dat") + " index " +
            std::to_string(i) + " using 1:(1 - $2) with steps lw 2 title " + Quote(engines[i]);
    }
    gp += "\nunset logscale xy\nset format y '% h'\nunset xlabel\nunset ylabel\n\n";
  }
  return WriteFile(dir + "/plots.gp", gp, error);
}

}  // namespace

bool WriteReport(const json& results, const std::string& command, const json& timer_check,
                 const std::string& dir, bool plots, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/plots", ec);
  json doc = {{"command", command}, {"engines", results}};
  if (timer_check.is_object()) doc["timer_check"] = timer_check;
  if (!WriteFile(dir + "/results.json", doc.dump(1) + "\n", error)) return false;
  if (!WriteFile(dir + "/results.csv", FormatCsv(results), error)) return false;
  const std::string table = command + "\n\n" + FormatTimerCheck(timer_check) + FormatTable(results);
  if (!WriteFile(dir + "/table.txt", table, error)) return false;
  if (!plots) return true;
  if (!WritePlots(results, dir + "/plots", error)) return false;
  std::string cmd = "cd '" + dir + "/plots' && gnuplot plots.gp";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "kvbench: warning: '%s' failed; the .gp and .dat files are in %s/plots\n",
                 cmd.c_str(), dir.c_str());
  }
  return true;
}

}  // namespace kvbench
