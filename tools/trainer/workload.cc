// tools/trainer/workload.cc: see workload.h.
#include "tools/trainer/workload.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "policy/trace.h"
#include "port/env.h"

namespace firn::trainer {

namespace {

// Time-series keys live far above every key space of the other phases.
constexpr uint64_t kTimeSeriesBase = uint64_t{1} << 40;

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Scrambled Zipfian over [0, n) (the YCSB generator): rank r has
// probability ~ 1/(r+1)^theta, and ranks are spread over the key space by
// a hash so the hot keys are not adjacent.
class Zipf {
 public:
  Zipf(uint64_t n, double theta) : n_(n), theta_(theta) {
    double zetan = 0;
    for (uint64_t i = 1; i <= n; ++i) zetan += 1.0 / std::pow(static_cast<double>(i), theta);
    double zeta2 = 1.0 + 1.0 / std::pow(2.0, theta);
    zetan_ = zetan;
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta2 / zetan);
  }
  uint64_t Next(Random* rnd) const {
    double u = rnd->NextDouble();
    double uz = u * zetan_;
    uint64_t rank;
    if (uz < 1.0) {
      rank = 0;
    } else if (uz < 1.0 + std::pow(0.5, theta_)) {
      rank = 1;
    } else {
      rank = static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
      if (rank >= n_) rank = n_ - 1;
    }
    return Mix64(rank + 0x1234567) % n_;
  }

 private:
  uint64_t n_;
  double theta_, zetan_, alpha_, eta_;
};

struct Mix {
  double put, del, get, scan;
};

Mix DefaultMix(PhaseKind k) {
  switch (k) {
    case PhaseKind::kUniform: return {0.9, 0, 0.1, 0};
    case PhaseKind::kZipf: return {0.9, 0, 0.1, 0};
    case PhaseKind::kLoad: return {1, 0, 0, 0};
    case PhaseKind::kReadHeavy: return {0.1, 0, 0.9, 0};
    case PhaseKind::kScanHeavy: return {0.6, 0, 0.1, 0.3};
    case PhaseKind::kDeleteHeavy: return {0.5, 0.4, 0.1, 0};
    case PhaseKind::kTimeSeries: return {0.9, 0, 0.08, 0.02};
  }
  return {1, 0, 0, 0};
}

class GeneratedWorkload final : public Workload {
 public:
  explicit GeneratedWorkload(const WorkloadSpec& spec) : spec_(spec), rnd_(spec.seed) {
    StartPhase();
  }

  bool Next(Op* op) override {
    while (phase_ < spec_.phases.size()) {
      if (!pending_deletes_.empty()) {
        op->type = OpType::kDelete;
        op->key = pending_deletes_.back();
        pending_deletes_.pop_back();
        ++done_;
        return true;
      }
      if (done_ < phase_ops_) {
        Generate(op);
        ++done_;
        return true;
      }
      ++phase_;
      StartPhase();
    }
    return false;
  }

 private:
  void StartPhase() {
    done_ = 0;
    if (phase_ >= spec_.phases.size()) return;
    const PhaseSpec& p = spec_.phases[phase_];
    mix_ = DefaultMix(p.kind);
    if (p.put >= 0 || p.del >= 0 || p.get >= 0 || p.scan >= 0) {
      mix_ = {std::max(0.0, p.put), std::max(0.0, p.del), std::max(0.0, p.get),
              std::max(0.0, p.scan)};
    }
    double sum = mix_.put + mix_.del + mix_.get + mix_.scan;
    if (sum <= 0) sum = 1, mix_.put = 1;
    mix_ = {mix_.put / sum, mix_.del / sum, mix_.get / sum, mix_.scan / sum};
    phase_ops_ = p.ops;
    if (p.kind == PhaseKind::kLoad) {
      if (phase_ops_ == 0) phase_ops_ = spec_.keyspace;
      load_order_.resize(spec_.keyspace);
      for (uint64_t i = 0; i < spec_.keyspace; ++i) load_order_[i] = i;
      for (uint64_t i = spec_.keyspace; i > 1; --i) {
        std::swap(load_order_[i - 1], load_order_[rnd_.Uniform(i)]);
      }
    }
    if ((p.kind == PhaseKind::kZipf || p.kind == PhaseKind::kReadHeavy) && !zipf_) {
      zipf_ = std::make_unique<Zipf>(spec_.keyspace, 0.99);
    }
  }

  uint64_t Key(PhaseKind k) {
    if ((k == PhaseKind::kZipf || k == PhaseKind::kReadHeavy) && zipf_) return zipf_->Next(&rnd_);
    return rnd_.Uniform(spec_.keyspace);
  }

  void Generate(Op* op) {
    const PhaseSpec& p = spec_.phases[phase_];
    *op = Op();
    if (p.kind == PhaseKind::kLoad) {
      op->type = OpType::kPut;
      op->key = load_order_[done_ % load_order_.size()];
      op->value_size = spec_.value_size;
      return;
    }
    double r = rnd_.NextDouble();
    if (p.kind == PhaseKind::kTimeSeries) {
      GenerateTimeSeries(p, r, op);
      return;
    }
    if (r < mix_.put) {
      op->type = OpType::kPut;
      op->key = Key(p.kind);
      op->value_size = spec_.value_size;
    } else if (r < mix_.put + mix_.del) {
      op->type = OpType::kDelete;
      op->key = Key(p.kind);
    } else if (r < mix_.put + mix_.del + mix_.get) {
      op->type = OpType::kGet;
      op->key = Key(p.kind);
    } else {
      op->type = OpType::kScan;
      op->key = rnd_.Uniform(spec_.keyspace);
      op->scan_len = p.scan_len;
    }
  }

  // Appends; once more than `keyspace` keys are live, the oldest eighth of
  // the window is deleted in one burst. Reads go to the newest quarter.
  void GenerateTimeSeries(const PhaseSpec& p, double r, Op* op) {
    const uint64_t window = std::max<uint64_t>(16, spec_.keyspace);
    if (r < mix_.put + mix_.del) {
      op->type = OpType::kPut;
      op->key = kTimeSeriesBase + ts_next_++;
      op->value_size = spec_.value_size;
      if (ts_next_ - ts_oldest_ > window) {
        uint64_t burst = window / 8;
        for (uint64_t i = 0; i < burst; ++i) {
          pending_deletes_.push_back(kTimeSeriesBase + ts_oldest_ + burst - 1 - i);
        }
        ts_oldest_ += burst;
      }
      return;
    }
    uint64_t live = std::max<uint64_t>(1, ts_next_ - ts_oldest_);
    uint64_t recent = std::max<uint64_t>(1, live / 4);
    uint64_t key = kTimeSeriesBase + ts_next_ - 1 - rnd_.Uniform(recent);
    if (ts_next_ == 0) key = kTimeSeriesBase;
    if (r < mix_.put + mix_.del + mix_.get) {
      op->type = OpType::kGet;
      op->key = key;
    } else {
      op->type = OpType::kScan;
      op->key = key;
      op->scan_len = p.scan_len;
    }
  }

  const WorkloadSpec spec_;
  Random rnd_;
  size_t phase_ = 0;
  uint64_t phase_ops_ = 0;
  uint64_t done_ = 0;
  Mix mix_{1, 0, 0, 0};
  std::vector<uint64_t> load_order_;
  std::unique_ptr<Zipf> zipf_;
  std::vector<uint64_t> pending_deletes_;
  uint64_t ts_next_ = 0, ts_oldest_ = 0;
};

PhaseSpec Phase(PhaseKind k, uint64_t ops) {
  PhaseSpec p;
  p.kind = k;
  p.ops = ops;
  return p;
}

uint64_t Ops(double base, double scale) {
  return std::max<uint64_t>(1000, static_cast<uint64_t>(base * scale));
}

}  // namespace

const char* PhaseKindName(PhaseKind k) {
  switch (k) {
    case PhaseKind::kUniform: return "uniform";
    case PhaseKind::kZipf: return "zipf";
    case PhaseKind::kLoad: return "load";
    case PhaseKind::kReadHeavy: return "readheavy";
    case PhaseKind::kScanHeavy: return "scanheavy";
    case PhaseKind::kDeleteHeavy: return "deleteheavy";
    case PhaseKind::kTimeSeries: return "timeseries";
  }
  return "?";
}

bool ParsePhaseKind(std::string_view name, PhaseKind* k) {
  for (PhaseKind c : {PhaseKind::kUniform, PhaseKind::kZipf, PhaseKind::kLoad,
                      PhaseKind::kReadHeavy, PhaseKind::kScanHeavy, PhaseKind::kDeleteHeavy,
                      PhaseKind::kTimeSeries}) {
    if (name == PhaseKindName(c)) {
      *k = c;
      return true;
    }
  }
  return false;
}

uint64_t WorkloadSpec::TotalOps() const {
  uint64_t n = 0;
  for (const PhaseSpec& p : phases) n += p.kind == PhaseKind::kLoad && p.ops == 0 ? keyspace : p.ops;
  return n;
}

std::unique_ptr<Workload> NewWorkload(const WorkloadSpec& spec) {
  return std::make_unique<GeneratedWorkload>(spec);
}

Status TraceWorkload::Open(Env* env, const std::string& path,
                           std::unique_ptr<TraceWorkload>* result) {
  std::unique_ptr<TraceReader> reader;
  Status s = TraceReader::Open(env, path, &reader);
  if (!s.ok()) return s;
  std::vector<TraceRecord> records;
  std::map<std::string, uint64_t> ids;
  TraceRecord r;
  while (reader->Next(&r)) {
    ids.emplace(r.key, 0);
    records.push_back(r);
  }
  if (!reader->status().ok()) return reader->status();
  uint64_t next = 0;
  for (auto& [key, id] : ids) id = next++;
  auto w = std::make_unique<TraceWorkload>();
  uint64_t value_bytes = 0, puts = 0;
  w->ops_.reserve(records.size());
  for (const TraceRecord& rec : records) {
    Op op;
    op.key = ids[rec.key];
    switch (rec.op) {
      case TraceOp::kPut:
        op.type = OpType::kPut;
        op.value_size = rec.value_size;
        value_bytes += rec.value_size;
        puts++;
        break;
      case TraceOp::kDelete: op.type = OpType::kDelete; break;
      case TraceOp::kGet: op.type = OpType::kGet; break;
      case TraceOp::kScan:
        op.type = OpType::kScan;
        op.scan_len = std::max<uint32_t>(1, rec.value_size);
        break;
    }
    w->ops_.push_back(op);
  }
  if (puts > 0) w->mean_value_size_ = static_cast<uint32_t>(value_bytes / puts);
  w->distinct_keys_ = ids.size();
  *result = std::move(w);
  return Status::OK();
}

bool TraceWorkload::Next(Op* op) {
  if (pos_ >= ops_.size()) return false;
  *op = ops_[pos_++];
  return true;
}

std::vector<WorkloadSpec> TrainingSuite(uint64_t seed, double scale, bool varied_mixes) {
  Random rnd(seed * 0x9E3779B97F4A7C15ull + 17);
  std::vector<WorkloadSpec> suite;
  const uint32_t kValueSizes[] = {80, 100, 128};
  auto spec = [&](const std::string& name) {
    WorkloadSpec s;
    s.name = name;
    s.seed = rnd.Next64() & 0xffffffffull;  // evaluation seeds are >= 2^32
    s.keyspace = 15000 + rnd.Uniform(varied_mixes ? 65000 : 25000);
    s.value_size = kValueSizes[rnd.Uniform(3)];
    return s;
  };
  // A phase of kind k with its mix varied (when varied_mixes): each share
  // of the default mix is scaled by a factor in [0.5, 1.5), then the whole
  // renormalized, so a kind keeps its character (a read-heavy phase stays
  // mostly reads) while the overwrite and read shares spread.
  auto phase = [&](PhaseKind k, uint64_t ops) {
    PhaseSpec p = firn::trainer::Phase(k, ops);
    if (!varied_mixes || k == PhaseKind::kLoad) return p;
    const Mix m = DefaultMix(k);
    auto draw = [&](double share) {
      return share * (0.5 + static_cast<double>(rnd.Uniform(1000)) / 1000.0);
    };
    p.put = draw(m.put), p.del = draw(m.del), p.get = draw(m.get), p.scan = draw(m.scan);
    const double sum = p.put + p.del + p.get + p.scan;
    p.put /= sum, p.del /= sum, p.get /= sum, p.scan /= sum;
    return p;
  };
  const double n = 60000 * scale;
  WorkloadSpec s = spec("uniform");
  s.phases = {phase(PhaseKind::kUniform, Ops(n, 1))};
  suite.push_back(s);
  s = spec("zipf");
  s.phases = {phase(PhaseKind::kZipf, Ops(n, 1))};
  suite.push_back(s);
  s = spec("readheavy");
  s.keyspace = std::min<uint64_t>(s.keyspace, static_cast<uint64_t>(n / 3));
  s.phases = {phase(PhaseKind::kLoad, 0), phase(PhaseKind::kReadHeavy, Ops(n, 1))};
  suite.push_back(s);
  s = spec("scanheavy");
  s.phases = {phase(PhaseKind::kScanHeavy, Ops(n, 1))};
  suite.push_back(s);
  s = spec("deleteheavy");
  s.phases = {phase(PhaseKind::kDeleteHeavy, Ops(n, 1))};
  suite.push_back(s);
  s = spec("timeseries");
  s.phases = {phase(PhaseKind::kTimeSeries, Ops(n, 1))};
  suite.push_back(s);
  // Shifting phases: three phases in a random order, never one of the
  // evaluation suite's orders (those all start with zipf or timeseries).
  const PhaseKind kinds[] = {PhaseKind::kUniform, PhaseKind::kReadHeavy, PhaseKind::kScanHeavy,
                             PhaseKind::kDeleteHeavy, PhaseKind::kZipf, PhaseKind::kTimeSeries};
  for (int i = 0; i < 2; ++i) {
    s = spec("shifting" + std::to_string(i));
    s.phases.clear();
    PhaseKind first = kinds[rnd.Uniform(4)];  // uniform, readheavy, scanheavy, deleteheavy
    s.phases.push_back(phase(first, Ops(n / 3, 1)));
    for (int k = 0; k < 2; ++k) s.phases.push_back(phase(kinds[rnd.Uniform(6)], Ops(n / 3, 1)));
    s.name += ":";
    for (const PhaseSpec& p : s.phases) s.name += std::string(PhaseKindName(p.kind)) + "+";
    s.name.pop_back();
    suite.push_back(s);
  }
  return suite;
}

std::vector<WorkloadSpec> EvaluationSuite(double scale) {
  std::vector<WorkloadSpec> suite;
  const double n = 150000 * scale;
  auto spec = [&](const std::string& name, uint64_t i, uint64_t keyspace) {
    WorkloadSpec s;
    s.name = name;
    s.seed = (uint64_t{1} << 33) + i;
    s.keyspace = keyspace;
    s.value_size = 100;
    return s;
  };
  WorkloadSpec s = spec("uniform", 1, 50000);
  s.phases = {Phase(PhaseKind::kUniform, Ops(n, 1))};
  s.phases[0].put = 0.8, s.phases[0].get = 0.2;
  suite.push_back(s);
  s = spec("zipf", 2, 60000);
  s.phases = {Phase(PhaseKind::kZipf, Ops(n, 1))};
  s.phases[0].put = 0.7, s.phases[0].get = 0.3;
  suite.push_back(s);
  s = spec("readheavy", 3, 40000);
  s.phases = {Phase(PhaseKind::kLoad, 0), Phase(PhaseKind::kReadHeavy, Ops(n, 0.8))};
  s.phases[1].put = 0.05, s.phases[1].get = 0.95;
  suite.push_back(s);
  s = spec("scanheavy", 4, 45000);
  s.phases = {Phase(PhaseKind::kScanHeavy, Ops(n, 1))};
  s.phases[0].put = 0.7, s.phases[0].get = 0.1, s.phases[0].scan = 0.2;
  s.phases[0].scan_len = 100;
  suite.push_back(s);
  s = spec("deleteheavy", 5, 50000);
  s.phases = {Phase(PhaseKind::kDeleteHeavy, Ops(n, 1))};
  s.phases[0].put = 0.45, s.phases[0].del = 0.45, s.phases[0].get = 0.1;
  suite.push_back(s);
  s = spec("timeseries", 6, 30000);
  s.phases = {Phase(PhaseKind::kTimeSeries, Ops(n, 1))};
  suite.push_back(s);
  s = spec("shifting:zipf+scanheavy+deleteheavy+readheavy", 7, 40000);
  s.phases = {Phase(PhaseKind::kZipf, Ops(n / 4, 1)), Phase(PhaseKind::kScanHeavy, Ops(n / 4, 1)),
              Phase(PhaseKind::kDeleteHeavy, Ops(n / 4, 1)),
              Phase(PhaseKind::kReadHeavy, Ops(n / 4, 1))};
  suite.push_back(s);
  s = spec("shifting:timeseries+uniform+readheavy", 8, 35000);
  s.phases = {Phase(PhaseKind::kTimeSeries, Ops(n / 3, 1)),
              Phase(PhaseKind::kUniform, Ops(n / 3, 1)),
              Phase(PhaseKind::kReadHeavy, Ops(n / 3, 1))};
  suite.push_back(s);
  return suite;
}

ValueSource::ValueSource(uint64_t seed) {
  Random rnd(seed);
  pool_.resize(1u << 20);
  // Each 64-byte piece: 32 random bytes, then the same 32 again.
  for (size_t i = 0; i < pool_.size(); i += 64) {
    for (size_t j = 0; j < 32; ++j) pool_[i + j] = static_cast<char>(rnd.Next() & 0xff);
    for (size_t j = 32; j < 64; ++j) pool_[i + j] = pool_[i + j - 32];
  }
}

std::string_view ValueSource::Get(uint32_t n) {
  if (n > pool_.size()) n = static_cast<uint32_t>(pool_.size());
  if (pos_ + n > pool_.size()) pos_ = (pos_ * 7 + 13) % 64;
  std::string_view v(pool_.data() + pos_, n);
  pos_ += n + 13;
  return v;
}

std::string EncodeKey(uint64_t id) {
  std::string k(8, '\0');
  EncodeKeyTo(id, k.data());
  return k;
}

void EncodeKeyTo(uint64_t id, char* dst) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((id >> (56 - 8 * i)) & 0xff);
}

}  // namespace firn::trainer
