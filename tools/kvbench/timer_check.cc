// kvbench/timer_check.cc: the machine timer check (timer_check.h).
#include "timer_check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace kvbench {

using nlohmann::json;

namespace {

// Nearest-rank percentile q (0 < q <= 1) of sorted, non-empty `v`.
int64_t Percentile(const std::vector<int64_t>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

json MeasureTimerCheck(int samples) {
  if (samples <= 0) return nullptr;
  using Clock = std::chrono::steady_clock;
  const std::chrono::microseconds sleep(kTimerCheckSleepMicros);
  std::vector<int64_t> elapsed_us;
  elapsed_us.reserve(static_cast<size_t>(samples));
  for (int i = 0; i < samples; ++i) {
    const Clock::time_point start = Clock::now();
    std::this_thread::sleep_for(sleep);
    const Clock::duration d = Clock::now() - start;
    elapsed_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }
  std::sort(elapsed_us.begin(), elapsed_us.end());
  return {{"sleep_us", kTimerCheckSleepMicros},
          {"samples", samples},
          {"p50_us", Percentile(elapsed_us, 0.50)},
          {"p99_us", Percentile(elapsed_us, 0.99)},
          {"p999_us", Percentile(elapsed_us, 0.999)},
          {"max_us", elapsed_us.back()}};
}

std::string FormatTimerCheck(const json& check) {
  if (!check.is_object()) return "";
  auto us = [&](const char* key) -> long long {
    auto it = check.find(key);
    return it != check.end() && it->is_number() ? std::llround(it->get<double>()) : -1;
  };
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "machine: a %lld us sleep wakes after p50 %lld us, p99 %lld us, p99.9 %lld us, "
                "max %lld us (%lld sleeps, before the engines ran)\n",
                us("sleep_us"), us("p50_us"), us("p99_us"), us("p999_us"), us("max_us"),
                us("samples"));
  return buf;
}

}  // namespace kvbench
