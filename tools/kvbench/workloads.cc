// kvbench/workloads.cc: generators and the histogram (see workloads.h).
#include "workloads.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kvbench {

void FormatKey(uint64_t k, size_t size, char prefix, char* buf) {
  size_t start = 0;
  if (prefix != '\0' && size > 0) {
    buf[0] = prefix;
    start = 1;
  }
  for (size_t i = size; i > start; --i) {
    buf[i - 1] = static_cast<char>('0' + k % 10);
    k /= 10;
  }
}

namespace {
double Zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; ++i) sum += 1.0 / std::pow(static_cast<double>(i), theta);
  return sum;
}
uint64_t Fnv64(uint64_t v) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < 8; ++i) {
    h ^= v & 0xff;
    h *= 0x100000001b3ull;
    v >>= 8;
  }
  return h;
}
}  // namespace

Zipfian::Zipfian(uint64_t n, double theta) : n_(std::max<uint64_t>(n, 1)), theta_(theta) {
  zetan_ = Zeta(n_, theta_);
  double zeta2 = Zeta(2, theta_);
  alpha_ = 1.0 / (1.0 - theta_);
  eta_ = (1 - std::pow(2.0 / static_cast<double>(n_), 1 - theta_)) / (1 - zeta2 / zetan_);
  half_pow_theta_ = 1 + std::pow(0.5, theta_);
}

uint64_t Zipfian::Next(Random* rnd) const {
  double u = rnd->NextDouble();
  double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < half_pow_theta_) return 1 % n_;
  uint64_t v = static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1, alpha_));
  return std::min(v, n_ - 1);
}

uint64_t Zipfian::NextScrambled(Random* rnd) const { return Fnv64(Next(rnd)) % n_; }

ValueSource::ValueSource(double compression_ratio, uint64_t seed) {
  // 256 KiB, built from 100-byte pieces as db_bench does (it uses 1 MiB;
  // smaller keeps the harness out of the engines' peak RSS).
  constexpr size_t kBytes = 256 << 10, kPiece = 100;
  Random rnd(seed);
  data_.reserve(kBytes + kPiece);
  while (data_.size() < kBytes) {
    size_t raw = std::max<size_t>(1, static_cast<size_t>(kPiece * compression_ratio));
    std::string piece;
    for (size_t i = 0; i < raw; ++i) piece.push_back(static_cast<char>(' ' + rnd.Uniform(95)));
    while (piece.size() < kPiece) piece.append(piece, 0, std::min(raw, kPiece - piece.size()));
    data_ += piece;
  }
}

std::string_view ValueSource::Get(size_t len, size_t* pos) const {
  if (len > data_.size()) len = data_.size();
  if (*pos + len > data_.size()) *pos = 0;
  std::string_view v(data_.data() + *pos, len);
  *pos += len;
  return v;
}

Histogram::Histogram() : buckets_(kBuckets, 0) {}

int Histogram::Bucket(uint64_t v) {
  if (v < kLinear) return static_cast<int>(v);
  int e = 63 - std::countl_zero(v);  // >= 6
  int sub = static_cast<int>((v >> (e - kSubBits)) & ((1 << kSubBits) - 1));
  return kLinear + (e - 6) * (1 << kSubBits) + sub;
}

uint64_t Histogram::UpperEdge(int b) {
  if (b < kLinear) return static_cast<uint64_t>(b);
  int e = (b - kLinear) / (1 << kSubBits) + 6;
  uint64_t sub = static_cast<uint64_t>((b - kLinear) % (1 << kSubBits));
  uint64_t lower = ((1ull << kSubBits) + sub) << (e - kSubBits);
  return lower + (1ull << (e - kSubBits)) - 1;
}

void Histogram::Add(uint64_t nanos) {
  ++buckets_[static_cast<size_t>(Bucket(nanos))];
  ++count_;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<size_t>(b)];
    if (seen >= rank) return std::min(UpperEdge(b), max_);
  }
  return max_;
}

std::vector<std::pair<uint64_t, double>> Histogram::Cdf(size_t points) const {
  std::vector<std::pair<uint64_t, double>> all;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    if (buckets_[static_cast<size_t>(b)] == 0) continue;
    seen += buckets_[static_cast<size_t>(b)];
    all.emplace_back(std::min(UpperEdge(b), max_), static_cast<double>(seen) / count_);
  }
  if (all.size() <= points || points < 2) return all;
  // Keep the first and last point and an even spread in between; the tail
  // (last 1%) is kept whole, since that is what a CDF plot is read for.
  std::vector<std::pair<uint64_t, double>> out;
  size_t step = (all.size() + points - 1) / points;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i % step == 0 || i + 1 == all.size() || all[i].second > 0.99) out.push_back(all[i]);
  }
  return out;
}

bool IsKnownWorkload(std::string_view name) {
  static const char* const kNames[] = {
      "fillseq",  "fillrandom", "overwrite", "readrandom", "readseq", "seekrandom",
      "deleterandom", "load", "ycsb-a", "ycsb-b", "ycsb-c", "ycsb-d", "ycsb-e", "ycsb-f",
      "timeseries", "shifting"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

const char* WorkloadHelp() {
  return "  fillseq       put keys 0..ops-1 in order\n"
         "  fillrandom    put ops keys drawn uniformly from [0, num)\n"
         "  overwrite     same as fillrandom, meant for a filled database\n"
         "  readrandom    get ops keys drawn uniformly from [0, num)\n"
         "  readseq       read the database in key order (at most ops entries)\n"
         "  seekrandom    seek to a uniform key and read scan_length entries\n"
         "  deleterandom  delete ops keys drawn uniformly from [0, num)\n"
         "  load          put each key of [0, num) once, in a random order (YCSB load)\n"
         "  ycsb-a        50% read, 50% update; Zipfian keys (theta 0.99)\n"
         "  ycsb-b        95% read, 5% update; Zipfian\n"
         "  ycsb-c        100% read; Zipfian\n"
         "  ycsb-d        95% read of recent keys, 5% insert of new keys\n"
         "  ycsb-e        95% scan (1..100 entries from a Zipfian key), 5% insert\n"
         "  ycsb-f        50% read, 50% read-modify-write; Zipfian\n"
         "  timeseries    append increasing keys; once ts_window keys are live, delete\n"
         "                the oldest ts_delete_batch keys each time the window is full\n"
         "  shifting      four phases of ops/4: 100% put (uniform); 50/50 read/update\n"
         "                (Zipfian); 90% scan + 10% put; 95% read + 5% delete (uniform)\n";
}

}  // namespace kvbench
