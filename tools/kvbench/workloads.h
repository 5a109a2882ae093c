// kvbench/workloads.h: key, value and operation generators, and the
// latency histogram.
//
// Keys are zero-padded decimal numbers `key_size` bytes wide, so key order
// is numeric order (as in db_bench). Time-series keys start with 't' and
// sort after all numeric keys. Values are db_bench-style: random printable
// bytes, each value made of a random piece repeated so that it compresses
// to about `compression_ratio` of its size.
//
// Hot path: every generator here is called once per operation and never
// allocates.
#ifndef KVBENCH_WORKLOADS_H_
#define KVBENCH_WORKLOADS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvbench {

// splitmix64: small, fast, good enough for benchmark key choice.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Uniform(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  double NextDouble() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

// Writes key number `k` into buf[0, size): zero-padded decimal (the low
// digits if it does not fit), after `prefix` if that is not '\0'.
void FormatKey(uint64_t k, size_t size, char prefix, char* buf);

// YCSB's Zipfian generator over [0, n) with constant theta (0.99), and the
// scrambled variant (FNV hash of the item) so hot keys are spread over the
// key space instead of clustered at 0.
class Zipfian {
 public:
  Zipfian(uint64_t n, double theta);
  uint64_t Next(Random* rnd) const;
  uint64_t NextScrambled(Random* rnd) const;
  uint64_t n() const { return n_; }

 private:
  uint64_t n_;
  double theta_, alpha_, zetan_, eta_, half_pow_theta_;
};

// db_bench's RandomGenerator: a buffer of compressible data handed out in
// slices. One shared buffer; each thread keeps its own position.
class ValueSource {
 public:
  ValueSource(double compression_ratio, uint64_t seed);
  // A value of `len` bytes starting at *pos, advancing *pos.
  std::string_view Get(size_t len, size_t* pos) const;

 private:
  std::string data_;
};

// Log-linear latency histogram in nanoseconds: exact below 64 ns, else 32
// buckets per power of two (relative error under 3.2%). About 10 KB.
class Histogram {
 public:
  Histogram();
  void Add(uint64_t nanos);
  void Merge(const Histogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The latency below which a fraction p of the samples fall (upper edge of
  // the bucket holding rank ceil(p * count), at most max()).
  uint64_t Percentile(double p) const;
  // (latency in ns, cumulative fraction) at each non-empty bucket's upper
  // edge, thinned to at most `points` points.
  std::vector<std::pair<uint64_t, double>> Cdf(size_t points) const;

 private:
  static constexpr int kSubBits = 5;
  static constexpr int kLinear = 64;
  static constexpr int kBuckets = kLinear + (64 - 6) * (1 << kSubBits);
  static int Bucket(uint64_t v);
  static uint64_t UpperEdge(int b);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

// The workloads kvbench knows (kvbench --help lists them with their mixes).
bool IsKnownWorkload(std::string_view name);
const char* WorkloadHelp();

}  // namespace kvbench

#endif  // KVBENCH_WORKLOADS_H_
