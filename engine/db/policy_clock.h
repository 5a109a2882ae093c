// db/policy_clock.h: the clock the compaction policy's time features read.
//
// The policy's rates (operations per second) and durations (time since the
// last compaction, file ages) are measured in modeled microseconds of
// foreground work, not wall time: every operation advances the clock by
// its cost in the trainer's simulator (PolicyClockCosts, compaction/
// picker.h). A decision therefore does not depend on how fast the device
// runs, and the engine shows the policy the features the simulator showed
// it in training. Wall time counts only while the database is idle: a gap
// of more than PolicyClockCosts::kIdleMicros between two operations is
// added whole, so a lull still reads as time passing (docs/policy.md, "The
// policy clock").
//
// Invariants: Now() never decreases; it starts at the value given to
// Start (the newest file's creation time on the clock, so file ages stay
// non-negative across reopens).
// Thread safety: all methods may be called concurrently.
#ifndef FIRN_DB_POLICY_CLOCK_H_
#define FIRN_DB_POLICY_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "compaction/picker.h"

namespace firn {

class PolicyClock {
 public:
  // Sets the clock to `at`; `wall_micros` is the wall time now.
  void Start(uint64_t at, uint64_t wall_micros) {
    work_.store(at, std::memory_order_relaxed);
    last_op_wall_.store(wall_micros, std::memory_order_relaxed);
  }
  // An operation that cost `modeled` microseconds, at wall time
  // `wall_micros`; an idle gap before it is counted too.
  void Operation(uint64_t modeled, uint64_t wall_micros) {
    const uint64_t prev = last_op_wall_.exchange(wall_micros, std::memory_order_relaxed);
    work_.fetch_add(modeled + IdleGap(prev, wall_micros), std::memory_order_relaxed);
  }
  // Modeled work with no wall time of its own (blocks an iterator read).
  void Add(uint64_t modeled) { work_.fetch_add(modeled, std::memory_order_relaxed); }
  // The clock at wall time `wall_micros`: the work so far, plus the idle
  // gap since the last operation if it is already long enough.
  uint64_t Now(uint64_t wall_micros) const {
    return work_.load(std::memory_order_relaxed) +
           IdleGap(last_op_wall_.load(std::memory_order_relaxed), wall_micros);
  }

 private:
  static uint64_t IdleGap(uint64_t prev, uint64_t wall) {
    return wall > prev + PolicyClockCosts::kIdleMicros ? wall - prev : 0;
  }

  std::atomic<uint64_t> work_{0};
  std::atomic<uint64_t> last_op_wall_{0};
};

}  // namespace firn

#endif  // FIRN_DB_POLICY_CLOCK_H_
