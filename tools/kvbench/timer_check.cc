// kvbench/timer_check.cc: the machine timer check (timer_check.h).
#include "timer_check.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "workloads.h"

namespace kvbench {

using nlohmann::json;

json MeasureTimerCheck(int samples) {
  if (samples <= 0) return nullptr;
  using Clock = std::chrono::steady_clock;
  const std::chrono::microseconds sleep(kTimerCheckSleepMicros);
  Histogram h;  // the one the workloads' latencies use
  for (int i = 0; i < samples; ++i) {
    const Clock::time_point start = Clock::now();
    std::this_thread::sleep_for(sleep);
    h.Add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
  }
  auto us = [](uint64_t ns) { return static_cast<int64_t>(ns / 1000); };
  return {{"sleep_us", kTimerCheckSleepMicros},
          {"samples", samples},
          {"p50_us", us(h.Percentile(0.50))},
          {"p99_us", us(h.Percentile(0.99))},
          {"p999_us", us(h.Percentile(0.999))},
          {"max_us", us(h.max())}};
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
