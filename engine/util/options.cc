// util/options.cc: the string form of Options (Options::Set,
// OptionsToString) and range checks (Options::Validate); see firn/options.h.
#include "firn/options.h"

#include "policy/features.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace firn {

namespace {

constexpr uint64_t kKiB = uint64_t{1} << 10;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool ParseBool(std::string_view v, bool* out) {
  for (std::string_view t : {"true", "1", "on", "yes"}) {
    if (EqualsIgnoreCase(v, t)) {
      *out = true;
      return true;
    }
  }
  for (std::string_view f : {"false", "0", "off", "no"}) {
    if (EqualsIgnoreCase(v, f)) {
      *out = false;
      return true;
    }
  }
  return false;
}

// Decimal digits only, at least one, value <= max.
bool ParseDecimal(std::string_view v, uint64_t max, uint64_t* out) {
  if (v.empty()) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (max - d) / 10) return false;
    n = n * 10 + d;
  }
  *out = n;
  return true;
}

// Digits with an optional K/M/G suffix (binary multiples), value <= max.
bool ParseSize(std::string_view v, uint64_t max, uint64_t* out) {
  uint64_t mult = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'k': case 'K': mult = kKiB; break;
      case 'm': case 'M': mult = kMiB; break;
      case 'g': case 'G': mult = kGiB; break;
      default: break;
    }
    if (mult != 1) v.remove_suffix(1);
  }
  uint64_t n;
  if (!ParseDecimal(v, max / mult, &n)) return false;
  *out = n * mult;
  return true;
}

// Optional '-', then digits; the value must fit an int.
bool ParseInt(std::string_view v, int* out) {
  const bool negative = !v.empty() && v.front() == '-';
  if (negative) v.remove_prefix(1);
  const uint64_t limit = negative ? uint64_t{1} + std::numeric_limits<int>::max()
                                  : uint64_t{std::numeric_limits<int>::max()};
  uint64_t n;
  if (!ParseDecimal(v, limit, &n)) return false;
  *out = negative ? static_cast<int>(-static_cast<int64_t>(n)) : static_cast<int>(n);
  return true;
}

bool ParseCompression(std::string_view v, CompressionType* out) {
  if (EqualsIgnoreCase(v, "lz4")) {
    *out = CompressionType::kLZ4;
  } else if (EqualsIgnoreCase(v, "none")) {
    *out = CompressionType::kNone;
  } else {
    return false;
  }
  return true;
}

bool ParseCompaction(std::string_view v, CompactionStyle* out) {
  if (EqualsIgnoreCase(v, "learned")) {
    *out = CompactionStyle::kLearned;
  } else if (EqualsIgnoreCase(v, "tiered")) {
    *out = CompactionStyle::kTiered;
  } else if (EqualsIgnoreCase(v, "leveled")) {
    *out = CompactionStyle::kLeveled;
  } else {
    return false;
  }
  return true;
}

bool ParseBackground(std::string_view v, BackgroundMode* out) {
  if (EqualsIgnoreCase(v, "thread")) {
    *out = BackgroundMode::kThread;
  } else if (EqualsIgnoreCase(v, "none")) {
    *out = BackgroundMode::kNone;
  } else {
    return false;
  }
  return true;
}

const char* BackgroundName(BackgroundMode b) {
  switch (b) {
    case BackgroundMode::kThread: return "thread";
    case BackgroundMode::kNone: return "none";
  }
  return "invalid";
}

const char* CompressionName(CompressionType c) {
  switch (c) {
    case CompressionType::kNone: return "none";
    case CompressionType::kLZ4: return "lz4";
  }
  return "invalid";
}

const char* CompactionName(CompactionStyle c) {
  switch (c) {
    case CompactionStyle::kLearned: return "learned";
    case CompactionStyle::kTiered: return "tiered";
    case CompactionStyle::kLeveled: return "leveled";
  }
  return "invalid";
}

Status BadValue(std::string_view name, std::string_view value, std::string_view what) {
  std::string msg = "option '";
  msg.append(name).append("': '").append(value).append("' is not ").append(what);
  return Status::InvalidArgument(msg);
}

template <auto Field>
using FieldType = std::remove_cvref_t<decltype(std::declval<Options&>().*Field)>;

// Parses `value` into the field's type and stores it; *o is untouched on
// error.
template <auto Field>
Status SetField(Options* o, std::string_view name, std::string_view value) {
  using T = FieldType<Field>;
  T parsed{};
  if constexpr (std::is_same_v<T, bool>) {
    if (!ParseBool(value, &parsed)) return BadValue(name, value, "a boolean");
  } else if constexpr (std::is_same_v<T, int>) {
    if (!ParseInt(value, &parsed)) return BadValue(name, value, "an integer");
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    uint64_t n;
    if (!ParseSize(value, std::numeric_limits<T>::max(), &n)) {
      return BadValue(name, value, "a size");
    }
    parsed = static_cast<T>(n);
  } else if constexpr (std::is_same_v<T, CompressionType>) {
    if (!ParseCompression(value, &parsed)) return BadValue(name, value, "one of lz4|none");
  } else if constexpr (std::is_same_v<T, CompactionStyle>) {
    if (!ParseCompaction(value, &parsed)) {
      return BadValue(name, value, "one of learned|tiered|leveled");
    }
  } else if constexpr (std::is_same_v<T, BackgroundMode>) {
    if (!ParseBackground(value, &parsed)) return BadValue(name, value, "one of thread|none");
  } else {
    static_assert(std::is_same_v<T, std::string>);
    if (value.find_first_of("\r\n") != std::string_view::npos) {
      return BadValue(name, value, "a single line");
    }
    parsed.assign(value);
  }
  o->*Field = std::move(parsed);
  return Status::OK();
}

template <auto Field>
std::string FormatField(const Options& o) {
  using T = FieldType<Field>;
  const T& v = o.*Field;
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_same_v<T, CompressionType>) {
    return CompressionName(v);
  } else if constexpr (std::is_same_v<T, CompactionStyle>) {
    return CompactionName(v);
  } else if constexpr (std::is_same_v<T, BackgroundMode>) {
    return BackgroundName(v);
  } else {
    return v;
  }
}

struct OptionField {
  const char* name;
  Status (*set)(Options*, std::string_view name, std::string_view value);
  std::string (*format)(const Options&);
};

template <auto Field>
constexpr OptionField MakeField(const char* name) {
  return {name, &SetField<Field>, &FormatField<Field>};
}

// Every field of Options but env, in declaration order.
constexpr OptionField kFields[] = {
    MakeField<&Options::create_if_missing>("create_if_missing"),
    MakeField<&Options::error_if_exists>("error_if_exists"),
    MakeField<&Options::sync>("sync"),
    MakeField<&Options::bytes_per_sync>("bytes_per_sync"),
    MakeField<&Options::memtable_bytes>("memtable_bytes"),
    MakeField<&Options::block_bytes>("block_bytes"),
    MakeField<&Options::sst_target_bytes>("sst_target_bytes"),
    MakeField<&Options::bloom_bits_per_key>("bloom_bits_per_key"),
    MakeField<&Options::compression>("compression"),
    MakeField<&Options::wal_compression>("wal_compression"),
    MakeField<&Options::compaction>("compaction"),
    MakeField<&Options::num_levels>("num_levels"),
    MakeField<&Options::max_runs_per_level>("max_runs_per_level"),
    MakeField<&Options::tiered_size_ratio_percent>("tiered_size_ratio_percent"),
    MakeField<&Options::max_space_amplification_percent>("max_space_amplification_percent"),
    MakeField<&Options::leveled_base_bytes>("leveled_base_bytes"),
    MakeField<&Options::leveled_multiplier>("leveled_multiplier"),
    MakeField<&Options::policy_model>("policy_model"),
    MakeField<&Options::policy_objective>("policy_objective"),
    MakeField<&Options::trace_path>("trace_path"),
    MakeField<&Options::max_pending_flush_bytes>("max_pending_flush_bytes"),
    MakeField<&Options::max_key_bytes>("max_key_bytes"),
    MakeField<&Options::max_value_bytes>("max_value_bytes"),
    MakeField<&Options::max_open_files>("max_open_files"),
    MakeField<&Options::block_cache_bytes>("block_cache_bytes"),
    MakeField<&Options::verify_checksums>("verify_checksums"),
    MakeField<&Options::memory_budget_bytes>("memory_budget_bytes"),
    MakeField<&Options::background>("background"),
    MakeField<&Options::background_low_priority>("background_low_priority"),
    MakeField<&Options::flash_endurance_bytes>("flash_endurance_bytes"),
};

// InvalidArgument unless lo <= v <= hi.
template <typename T>
Status CheckRange(const char* name, T v, T lo, T hi) {
  if (v >= lo && v <= hi) return Status::OK();
  return Status::InvalidArgument("option '" + std::string(name) + "' = " + std::to_string(v) +
                                 " is out of range [" + std::to_string(lo) + ", " +
                                 std::to_string(hi) + "]");
}

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

}  // namespace

Status Options::Set(std::string_view name, std::string_view value) {
  for (const OptionField& f : kFields) {
    if (name == f.name) return f.set(this, name, value);
  }
  return Status::InvalidArgument("unknown option '" + std::string(name) + "'");
}

Status Options::Validate() const {
  // Each check names the first field out of range, in declaration order.
  const Status checks[] = {
      CheckRange<uint64_t>("memtable_bytes", memtable_bytes, 64 * kKiB, kGiB),
      CheckRange<uint64_t>("block_bytes", block_bytes, 256, kMiB),
      CheckRange<uint64_t>("sst_target_bytes", sst_target_bytes, 64 * kKiB, 4 * kGiB),
      CheckRange("bloom_bits_per_key", bloom_bits_per_key, 0, 30),
      CheckRange("compression", static_cast<int>(compression),
                 static_cast<int>(CompressionType::kNone), static_cast<int>(CompressionType::kLZ4)),
      CheckRange("compaction", static_cast<int>(compaction),
                 static_cast<int>(CompactionStyle::kLearned),
                 static_cast<int>(CompactionStyle::kLeveled)),
      CheckRange("num_levels", num_levels, 2, 16),
      CheckRange("max_runs_per_level", max_runs_per_level, 0, 64),
      CheckRange("tiered_size_ratio_percent", tiered_size_ratio_percent, 0, 1000),
      CheckRange("max_space_amplification_percent", max_space_amplification_percent, 10, 10000),
      CheckRange<uint64_t>("leveled_base_bytes", leveled_base_bytes, 64 * kKiB, 64 * kGiB),
      CheckRange("leveled_multiplier", leveled_multiplier, 2, 100),
      CheckRange<uint64_t>("max_pending_flush_bytes", max_pending_flush_bytes, 64 * kKiB, kGiB),
      CheckRange<uint64_t>("max_key_bytes", max_key_bytes, 1, kMiB),
      CheckRange<uint64_t>("max_value_bytes", max_value_bytes, 1, 256 * kMiB),
      CheckRange("max_open_files", max_open_files, 4, 65536),
      memory_budget_bytes == 0
          ? Status::OK()
          : CheckRange<uint64_t>("memory_budget_bytes", memory_budget_bytes, kMiB, 1024 * kGiB),
      CheckRange("background", static_cast<int>(background),
                 static_cast<int>(BackgroundMode::kThread), static_cast<int>(BackgroundMode::kNone)),
  };
  for (const Status& s : checks) {
    if (!s.ok()) return s;
  }
  if (block_bytes > sst_target_bytes) {
    return Status::InvalidArgument("option 'block_bytes' = " + std::to_string(block_bytes) +
                                   " exceeds sst_target_bytes = " +
                                   std::to_string(sst_target_bytes));
  }
  if (HasLineBreak(policy_model)) {
    return Status::InvalidArgument("option 'policy_model' contains a line break");
  }
  if (HasLineBreak(trace_path)) {
    return Status::InvalidArgument("option 'trace_path' contains a line break");
  }
  if (HasLineBreak(policy_objective)) {
    return Status::InvalidArgument("option 'policy_objective' contains a line break");
  }
  ObjectiveDial dial;
  Status dial_status = ParseObjectiveDial(policy_objective, &dial);
  if (!dial_status.ok()) return dial_status;
  return Status::OK();
}

int MaxRunsPerLevel(const Options& options) {
  if (options.max_runs_per_level > 0) return options.max_runs_per_level;
  // The memory budget's shares (EffectiveOptions) were measured with 4
  // runs per level; at 16, a 4 MiB budget's peak grew by 1-1.5 MiB
  // (tests/edge/memory_budget_test.cc, docs/edge.md).
  if (options.memory_budget_bytes > 0) return 4;
  return options.compaction == CompactionStyle::kLearned ? 24 : 4;
}

Options EffectiveOptions(const Options& options) {
  Options o = options;
  const uint64_t b = o.memory_budget_bytes;
  if (b == 0) return o;
  // Each share is clamped to the field's valid range; a budget of 1 MiB
  // gives the minimum memtable (128 KiB) and pending bytes (64 KiB).
  auto lower = [](auto* field, uint64_t share, uint64_t floor) {
    using T = std::remove_reference_t<decltype(*field)>;
    const uint64_t v = std::max(share, floor);
    if (static_cast<uint64_t>(*field) > v) *field = static_cast<T>(v);
  };
  // Memtables: the active one plus up to 2 x max_pending_flush_bytes
  // sealed ones (writes stop there) plus the one sealed as that limit is
  // reached: 1/8 + 2/16 + 1/8 = 3/8 of the budget.
  lower(&o.memtable_bytes, b / 8, 64 * kKiB);
  lower(&o.max_pending_flush_bytes, b / 16, 64 * kKiB);
  lower(&o.block_cache_bytes, b / 4, 0);
  // Table readers hold each file's index and filter (about 1/32 of the
  // file for small entries): max_open_files x sst_target_bytes / 32 <= b/8.
  lower(&o.sst_target_bytes, b / 16, 64 * kKiB);
  if (o.block_bytes > o.sst_target_bytes) o.block_bytes = static_cast<size_t>(o.sst_target_bytes);
  const uint64_t readers = std::max<uint64_t>(4, (b / 8) / std::max<uint64_t>(1, o.sst_target_bytes / 32));
  if (static_cast<uint64_t>(o.max_open_files) > readers) o.max_open_files = static_cast<int>(readers);
  return o;
}

std::string OptionsToString(const Options& options) {
  std::string out;
  for (const OptionField& f : kFields) {
    out.append(f.name).append("=").append(f.format(options)).append("\n");
  }
  return out;
}

}  // namespace firn
