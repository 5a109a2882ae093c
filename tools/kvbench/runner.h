// kvbench/runner.h: the child side. Opens one engine, runs the workload
// sequence on it and prints one JSON object per workload, then a "total"
// object, each on its own stdout line after kResultPrefix.
//
// Process-wide figures come from the kernel, so they are the same for every
// engine: device bytes from /proc/self/io (write_bytes: bytes the process
// caused to be sent to the block layer, all threads), peak RSS from
// getrusage(ru_maxrss), CPU seconds from getrusage (user + system).
#ifndef KVBENCH_RUNNER_H_
#define KVBENCH_RUNNER_H_

#include "flags.h"

namespace kvbench {

inline constexpr const char* kResultPrefix = "KVBENCH_RESULT ";

// Returns the process exit code (0 on success).
int RunChild(const Flags& flags);

}  // namespace kvbench

#endif  // KVBENCH_RUNNER_H_
