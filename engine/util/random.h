// util/random.h: a small deterministic pseudo-random generator
// (splitmix64 seeding + xorshift64*) for skiplist heights, tests, workload
// generators and the trainer. Same sequence for the same seed on every
// platform.
#ifndef FIRN_UTIL_RANDOM_H_
#define FIRN_UTIL_RANDOM_H_

#include <cstdint>

namespace firn {

class Random {
 public:
  explicit Random(uint64_t seed) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    state_ = (z ^ (z >> 31)) | 1;
  }
  uint64_t Next64() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  uint32_t Next() { return static_cast<uint32_t>(Next64() >> 32); }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) { return Next64() % n; }
  // True with probability 1/n.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }
  // Uniform double in [0, 1).
  double NextDouble() { return static_cast<double>(Next64() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

}  // namespace firn

#endif  // FIRN_UTIL_RANDOM_H_
