// kvbench/timer_check.h: the machine timer check, i.e. how late this
// machine wakes a thread that sleeps 250 us.
//
// Why it exists: an engine's max put latency includes every time the
// writer thread sleeps or blocks (firn's write slowdown sleeps 250 us per
// delayed write; a futex wait or an fsync also ends in a wakeup). On a
// small VM the scheduler wakes such a thread hundreds of microseconds, and
// now and then milliseconds, after it asked, so a target such as "max put
// latency <= 1 ms" has a floor set by the machine, not by the engine. The
// driver measures that floor before any engine runs (never while a child
// runs) and prints it above the table, so readers see it next to the
// figures it bounds.
#ifndef KVBENCH_TIMER_CHECK_H_
#define KVBENCH_TIMER_CHECK_H_

#include <nlohmann/json.hpp>
#include <string>

namespace kvbench {

inline constexpr int kTimerCheckSleepMicros = 250;  // firn's kSlowdownMicros

// Sleeps `samples` times for kTimerCheckSleepMicros
// (std::this_thread::sleep_for), timing each sleep with steady_clock.
// Returns {"sleep_us", "samples", "p50_us", "p99_us", "p999_us", "max_us"}
// (the time each sleep took, in whole microseconds, from the workloads'
// latency Histogram: within 3.2% of the exact rank), or null if
// samples <= 0.
nlohmann::json MeasureTimerCheck(int samples);

// The one-line summary of a MeasureTimerCheck() object, ending in '\n';
// "" if `check` is not such an object (e.g. a results.json from before the
// check existed).
std::string FormatTimerCheck(const nlohmann::json& check);

}  // namespace kvbench

#endif  // KVBENCH_TIMER_CHECK_H_
