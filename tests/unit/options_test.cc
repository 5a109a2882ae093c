// Tests of Options::Set, Options::Validate and OptionsToString.
#include "firn/options.h"
#include "policy/features.h"

#include <doctest/doctest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace firn {

namespace {

// Sets name=value on a copy of `base`, requiring success.
Options With(std::string_view name, std::string_view value, Options base = Options()) {
  Status s = base.Set(name, value);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return base;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Settable {
  const char* name;
  const char* value;  // differs from the default
  std::function<bool(const Options&)> applied;
};

// Every option name with a non-default value and a check that it landed in
// its field.
const std::vector<Settable>& AllSettable() {
  static const std::vector<Settable> all = {
      {"create_if_missing", "false", [](const Options& o) { return !o.create_if_missing; }},
      {"error_if_exists", "true", [](const Options& o) { return o.error_if_exists; }},
      {"sync", "on", [](const Options& o) { return o.sync; }},
      {"bytes_per_sync", "0", [](const Options& o) { return o.bytes_per_sync == 0; }},
      {"memtable_bytes", "8M", [](const Options& o) { return o.memtable_bytes == (8u << 20); }},
      {"block_bytes", "16K", [](const Options& o) { return o.block_bytes == (16u << 10); }},
      {"sst_target_bytes", "1G",
       [](const Options& o) { return o.sst_target_bytes == (uint64_t{1} << 30); }},
      {"bloom_bits_per_key", "14", [](const Options& o) { return o.bloom_bits_per_key == 14; }},
      {"compression", "none",
       [](const Options& o) { return o.compression == CompressionType::kNone; }},
      {"wal_compression", "off", [](const Options& o) { return !o.wal_compression; }},
      {"compaction", "tiered",
       [](const Options& o) { return o.compaction == CompactionStyle::kTiered; }},
      {"num_levels", "5", [](const Options& o) { return o.num_levels == 5; }},
      {"max_runs_per_level", "9", [](const Options& o) { return o.max_runs_per_level == 9; }},
      {"tiered_size_ratio_percent", "35",
       [](const Options& o) { return o.tiered_size_ratio_percent == 35; }},
      {"max_space_amplification_percent", "150",
       [](const Options& o) { return o.max_space_amplification_percent == 150; }},
      {"leveled_base_bytes", "1234567",
       [](const Options& o) { return o.leveled_base_bytes == 1234567; }},
      {"leveled_multiplier", "10", [](const Options& o) { return o.leveled_multiplier == 10; }},
      {"policy_model", "/data/model.bin",
       [](const Options& o) { return o.policy_model == "/data/model.bin"; }},
      {"policy_objective", "wear=1,read=3,space=0",
       [](const Options& o) { return o.policy_objective == "wear=1,read=3,space=0"; }},
      {"trace_path", "/tmp/db.trace",
       [](const Options& o) { return o.trace_path == "/tmp/db.trace"; }},
      {"max_pending_flush_bytes", "12M",
       [](const Options& o) { return o.max_pending_flush_bytes == (12u << 20); }},
      {"max_key_bytes", "100", [](const Options& o) { return o.max_key_bytes == 100; }},
      {"max_value_bytes", "2k", [](const Options& o) { return o.max_value_bytes == 2048; }},
      {"max_open_files", "500", [](const Options& o) { return o.max_open_files == 500; }},
      {"block_cache_bytes", "0", [](const Options& o) { return o.block_cache_bytes == 0; }},
      {"verify_checksums", "no", [](const Options& o) { return !o.verify_checksums; }},
      {"memory_budget_bytes", "8M",
       [](const Options& o) { return o.memory_budget_bytes == (8u << 20); }},
      {"background", "none",
       [](const Options& o) { return o.background == BackgroundMode::kNone; }},
      {"background_low_priority", "false",
       [](const Options& o) { return !o.background_low_priority; }},
      {"flash_endurance_bytes", "64G",
       [](const Options& o) { return o.flash_endurance_bytes == (uint64_t{64} << 30); }},
  };
  return all;
}

// REQUIRES the Set to fail: checks the message and that `o` is unchanged.
void ExpectRejected(std::string_view name, std::string_view value, std::string_view message) {
  Options o;
  o.memtable_bytes = 1u << 20;  // a non-default value that must survive
  const std::string before = OptionsToString(o);
  Status s = o.Set(name, value);
  CAPTURE(name);
  CAPTURE(value);
  CHECK(s.IsInvalidArgument());
  if (!message.empty()) CHECK(s.message() == message);
  CHECK(OptionsToString(o) == before);
}

}  // namespace

TEST_CASE("EveryOptionNameSetsItsField") {
  for (const Settable& s : AllSettable()) {
    CAPTURE(s.name);
    Options defaults;
    CHECK_FALSE(s.applied(defaults));
    CHECK(s.applied(With(s.name, s.value)));
  }
}

TEST_CASE("OptionsToStringListsEveryOptionOncePerLine") {
  const std::vector<std::string> lines = Lines(OptionsToString(Options()));
  REQUIRE(lines.size() == AllSettable().size());
  for (size_t i = 0; i < lines.size(); i++) {
    CAPTURE(lines[i]);
    CHECK(lines[i].rfind(std::string(AllSettable()[i].name) + "=", 0) == 0);
  }
  CHECK(OptionsToString(Options()).find("memtable_bytes=4194304\n") != std::string::npos);
  CHECK(OptionsToString(Options()).find("compaction=learned\n") != std::string::npos);
  CHECK(OptionsToString(Options()).find("policy_model=\n") != std::string::npos);
}

TEST_CASE("OptionsToStringRoundTripsThroughSet") {
  Options changed;
  for (const Settable& s : AllSettable()) changed = With(s.name, s.value, changed);
  const std::string text = OptionsToString(changed);

  Options parsed;
  for (const std::string& line : Lines(text)) {
    const size_t eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    REQUIRE(parsed.Set(line.substr(0, eq), line.substr(eq + 1)).ok());
  }
  CHECK(OptionsToString(parsed) == text);
  for (const Settable& s : AllSettable()) {
    CAPTURE(s.name);
    CHECK(s.applied(parsed));
  }
}

TEST_CASE("UnknownNamesAreRejected") {
  ExpectRejected("x", "1", "unknown option 'x'");
  ExpectRejected("env", "0", "unknown option 'env'");
  ExpectRejected("", "1", "unknown option ''");
  ExpectRejected("Memtable_Bytes", "1M", "unknown option 'Memtable_Bytes'");
  ExpectRejected("memtable_bytes ", "1M", "unknown option 'memtable_bytes '");
}

TEST_CASE("BooleansAcceptEveryDocumentedSpelling") {
  for (const char* t : {"true", "1", "on", "yes", "TRUE", "Yes"}) {
    CAPTURE(t);
    CHECK(With("sync", t).sync);
  }
  Options on = With("verify_checksums", "true");
  for (const char* f : {"false", "0", "off", "no", "False", "OFF"}) {
    CAPTURE(f);
    CHECK_FALSE(With("verify_checksums", f, on).verify_checksums);
  }
  ExpectRejected("sync", "2", "option 'sync': '2' is not a boolean");
  ExpectRejected("sync", "", "option 'sync': '' is not a boolean");
  ExpectRejected("sync", "truee", "");
  ExpectRejected("sync", " true", "");
}

TEST_CASE("SizesAcceptBinarySuffixes") {
  CHECK(With("memtable_bytes", "65536").memtable_bytes == 65536);
  CHECK(With("memtable_bytes", "64K").memtable_bytes == 65536);
  CHECK(With("memtable_bytes", "64k").memtable_bytes == 65536);
  CHECK(With("memtable_bytes", "3M").memtable_bytes == 3u * 1048576);
  CHECK(With("memtable_bytes", "3m").memtable_bytes == 3u * 1048576);
  CHECK(With("memtable_bytes", "1G").memtable_bytes == 1073741824u);
  CHECK(With("memtable_bytes", "0").memtable_bytes == 0);
  CHECK(With("memtable_bytes", "007").memtable_bytes == 7);
  CHECK(With("sst_target_bytes", "16G").sst_target_bytes == (uint64_t{16} << 30));
  CHECK(With("leveled_base_bytes", "18446744073709551615").leveled_base_bytes ==
        18446744073709551615ull);
}

TEST_CASE("BadSizesAreRejectedAndLeaveOptionsUnchanged") {
  ExpectRejected("memtable_bytes", "abc", "option 'memtable_bytes': 'abc' is not a size");
  for (const char* bad : {"", "-1", "-0", "+5", "1.5M", "12x", "4KB", "4KiB", "1KK", "K", " 1",
                          "1 ", "0x10", "1T"}) {
    CAPTURE(bad);
    ExpectRejected("memtable_bytes", bad, "");
    ExpectRejected("sst_target_bytes", bad, "");
  }
  ExpectRejected("leveled_base_bytes", "18446744073709551616", "");
  ExpectRejected("leveled_base_bytes", "17179869184G", "");
  ExpectRejected("leveled_base_bytes", "99999999999999999999999", "");
  if constexpr (sizeof(size_t) == 8) {
    CHECK(With("block_cache_bytes", "17179869183G").block_cache_bytes ==
          static_cast<size_t>(uint64_t{17179869183} << 30));
  }
  ExpectRejected("block_cache_bytes", "17179869184G", "");
}

TEST_CASE("BytesPerSyncIsASizeOnByDefaultAndZeroTurnsItOff") {
  CHECK(Options().bytes_per_sync == (1u << 20));
  CHECK(With("bytes_per_sync", "64K").bytes_per_sync == 65536);
  CHECK(With("bytes_per_sync", "0").bytes_per_sync == 0);
  CHECK(With("bytes_per_sync", "0").Validate().ok());
  CHECK(OptionsToString(Options()).find("bytes_per_sync=1048576\n") != std::string::npos);
  ExpectRejected("bytes_per_sync", "1MB", "option 'bytes_per_sync': '1MB' is not a size");
  ExpectRejected("bytes_per_sync", "-1", "option 'bytes_per_sync': '-1' is not a size");
  ExpectRejected("bytes_per_sync", "on", "option 'bytes_per_sync': 'on' is not a size");
  ExpectRejected("bytes_per_sync", "", "option 'bytes_per_sync': '' is not a size");
}

TEST_CASE("IntegersAcceptSignedDecimalsWithinInt") {
  CHECK(With("num_levels", "12").num_levels == 12);
  CHECK(With("bloom_bits_per_key", "-3").bloom_bits_per_key == -3);
  CHECK(With("max_open_files", "2147483647").max_open_files == 2147483647);
  CHECK(With("max_open_files", "-2147483648").max_open_files == -2147483647 - 1);
  ExpectRejected("num_levels", "x", "option 'num_levels': 'x' is not an integer");
  for (const char* bad : {"", "-", "2147483648", "-2147483649", "1K", "3.0", "--1", "+1", "7 "}) {
    CAPTURE(bad);
    ExpectRejected("num_levels", bad, "");
  }
}

TEST_CASE("EnumsAcceptTheirNamesOnly") {
  CHECK(With("compaction", "learned", With("compaction", "leveled")).compaction ==
        CompactionStyle::kLearned);
  CHECK(With("compaction", "leveled").compaction == CompactionStyle::kLeveled);
  CHECK(With("compaction", "Tiered").compaction == CompactionStyle::kTiered);
  CHECK(With("compression", "lz4", With("compression", "none")).compression ==
        CompressionType::kLZ4);
  CHECK(With("compression", "LZ4", With("compression", "none")).compression ==
        CompressionType::kLZ4);
  ExpectRejected("compaction", "universal",
                 "option 'compaction': 'universal' is not one of learned|tiered|leveled");
  ExpectRejected("compaction", "1", "");
  ExpectRejected("compression", "zstd", "option 'compression': 'zstd' is not one of lz4|none");
  ExpectRejected("compression", "", "");
}

TEST_CASE("StringsAcceptAnyLineWithoutBreaks") {
  CHECK(With("policy_model", "", With("policy_model", "m")).policy_model.empty());
  CHECK(With("policy_model", "a b=c,d").policy_model == "a b=c,d");
  ExpectRejected("policy_model", "a\nb", "");
  ExpectRejected("policy_objective", "wear=1\r", "");
}

TEST_CASE("DefaultsAreValid") { CHECK(Options().Validate().ok()); }

TEST_CASE("MaxRunsPerLevelZeroMeansThePickersDefault") {
  Options o;
  CHECK(o.max_runs_per_level == 0);
  o.compaction = CompactionStyle::kLearned;
  CHECK(MaxRunsPerLevel(o) == 24);
  // The learned policy's features keep the scale its model was trained
  // with while the guardrail sits at 24 runs.
  CHECK(PolicyLimitsFor(o).max_runs_per_level == kPolicyModelRuns);
  CHECK(kPolicyModelRuns == 16);
  o.compaction = CompactionStyle::kTiered;
  CHECK(MaxRunsPerLevel(o) == 4);
  o.compaction = CompactionStyle::kLeveled;
  CHECK(MaxRunsPerLevel(o) == 4);
  for (CompactionStyle style :
       {CompactionStyle::kLearned, CompactionStyle::kTiered, CompactionStyle::kLeveled}) {
    o.compaction = style;
    o.max_runs_per_level = 7;
    CHECK(MaxRunsPerLevel(o) == 7);
    CHECK(PolicyLimitsFor(o).max_runs_per_level == 7);  // a set limit is the features' scale
    // A memory budget keeps every picker at 4 unless the field says else.
    o.memory_budget_bytes = 4u << 20;
    CHECK(MaxRunsPerLevel(o) == 7);
    o.max_runs_per_level = 0;
    CHECK(MaxRunsPerLevel(o) == 4);
    CHECK(PolicyLimitsFor(o).max_runs_per_level == 4);
    o.memory_budget_bytes = 0;
  }
}

TEST_CASE("ValidateChecksEachRangeAtItsBounds") {
  struct Range {
    const char* name;
    const char* lowest;      // valid
    const char* below;       // invalid ("" if none)
    const char* highest;     // valid
    const char* above;       // invalid
  };
  const Range ranges[] = {
      {"num_levels", "2", "1", "16", "17"},
      {"max_runs_per_level", "0", "-1", "64", "65"},
      {"memtable_bytes", "64K", "65535", "1G", "1073741825"},
      {"block_bytes", "256", "255", "1M", "1048577"},
      {"sst_target_bytes", "64K", "65535", "4G", "4294967297"},
      {"bloom_bits_per_key", "0", "-1", "30", "31"},
      {"tiered_size_ratio_percent", "0", "-1", "1000", "1001"},
      {"max_space_amplification_percent", "10", "9", "10000", "10001"},
      {"leveled_base_bytes", "64K", "65535", "64G", "68719476737"},
      {"leveled_multiplier", "2", "1", "100", "101"},
      {"max_pending_flush_bytes", "64K", "65535", "1G", "1073741825"},
      {"max_key_bytes", "1", "0", "1M", "1048577"},
      {"max_value_bytes", "1", "0", "256M", "268435457"},
      {"max_open_files", "4", "3", "65536", "65537"},
  };
  for (const Range& r : ranges) {
    CAPTURE(r.name);
    CHECK(With(r.name, r.lowest).Validate().ok());
    CHECK(With(r.name, r.highest).Validate().ok());
    for (const char* bad : {r.below, r.above}) {
      CAPTURE(bad);
      Status s = With(r.name, bad).Validate();
      CHECK(s.IsInvalidArgument());
      CHECK(s.message().find("option '" + std::string(r.name) + "'") == 0);
      CHECK(s.message().find("out of range") != std::string_view::npos);
    }
  }
}

TEST_CASE("ValidateReportsTheExactRange") {
  Status s = With("num_levels", "1").Validate();
  CHECK(s.message() == "option 'num_levels' = 1 is out of range [2, 16]");
}

TEST_CASE("ValidateRejectsBlocksLargerThanFiles") {
  Options o = With("sst_target_bytes", "64K", With("block_bytes", "128K"));
  Status s = o.Validate();
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("block_bytes") != std::string_view::npos);
  CHECK(With("sst_target_bytes", "128K", o).Validate().ok());
}

TEST_CASE("ValidateRejectsInvalidEnumValuesAndLineBreaks") {
  Options o;
  o.compression = static_cast<CompressionType>(7);
  CHECK(o.Validate().message().find("compression") != std::string_view::npos);
  o = Options();
  o.compaction = static_cast<CompactionStyle>(3);
  CHECK(o.Validate().message().find("compaction") != std::string_view::npos);
  o = Options();
  o.policy_objective = "wear=1\nread=2";
  CHECK(o.Validate().message().find("policy_objective") != std::string_view::npos);
  o = Options();
  o.policy_model = "m\r";
  CHECK(o.Validate().IsInvalidArgument());
}

TEST_CASE("BlockCacheMayBeAnySize") {
  CHECK(With("block_cache_bytes", "0").Validate().ok());
  CHECK(With("block_cache_bytes", "3G").Validate().ok());
}

}  // namespace firn
