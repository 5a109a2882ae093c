// Tests of Compaction::Prepare (the guard that validates and widens every
// picker request, compaction/compaction.h) and of the tiered and leveled
// pickers over hand-made trees.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compaction/compaction.h"
#include "compaction/picker.h"
#include "db/dbformat.h"
#include "util/random.h"
#include "version/version.h"
#include "version/version_edit.h"

using namespace firn;

namespace {

// Builds a Version from files given as (level, run, number, user key range).
struct Tree {
  explicit Tree(int num_levels) : base(num_levels) {}
  Version base;
  VersionEdit edit;
  uint64_t seq = 1000000;

  Tree& Add(int level, uint64_t run, uint64_t number, std::string_view smallest,
            std::string_view largest, uint64_t bytes = 100) {
    FileMetaData f;
    f.number = number;
    f.file_size = bytes;
    f.smallest = MakeInternalKey(smallest, seq, kTypeValue);
    f.largest = MakeInternalKey(largest, seq - 1, kTypeValue);
    f.smallest_seq = seq - 1;
    f.largest_seq = seq;
    f.num_entries = 2;
    f.created_micros = 1000;
    seq -= 10;
    edit.AddFile(level, run, f);
    return *this;
  }
  std::shared_ptr<Version> Build() const {
    std::shared_ptr<Version> v;
    Status s = Version::Apply(base, edit, &v);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return v;
  }
};

std::unique_ptr<Compaction> MustPrepare(const Version& v, const CompactionRequest& r) {
  std::unique_ptr<Compaction> c;
  Status s = Compaction::Prepare(v, r, &c);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  REQUIRE(c != nullptr);
  return c;
}

Status TryPrepare(const Version& v, const CompactionRequest& r) {
  std::unique_ptr<Compaction> c;
  return Compaction::Prepare(v, r, &c);
}

CompactionRequest Request(std::vector<CompactionInputRun> inputs, int output_level) {
  CompactionRequest r;
  r.inputs = std::move(inputs);
  r.output_level = output_level;
  r.reason = "test";
  return r;
}

// The inputs as {(level, run) -> file numbers}.
std::map<std::pair<int, uint64_t>, std::vector<uint64_t>> InputsOf(const Compaction& c) {
  std::map<std::pair<int, uint64_t>, std::vector<uint64_t>> m;
  for (const CompactionInput& in : c.inputs()) {
    for (const FileRef& f : in.files) m[{in.level, in.run_id}].push_back(f->number);
  }
  return m;
}

using Inputs = std::map<std::pair<int, uint64_t>, std::vector<uint64_t>>;

bool Overlap(const FileMetaData& f, std::string_view smallest, std::string_view largest) {
  return CompareUserKey(f.largest_user_key(), smallest) >= 0 &&
         CompareUserKey(f.smallest_user_key(), largest) <= 0;
}

}  // namespace

// ---------------------------------------------------------------------------
// Compaction::Prepare

TEST_CASE("UnknownRunOrFileIsInvalidArgument") {
  auto v = Tree(3).Add(0, 5, 10, "a", "c").Add(1, 2, 11, "a", "z").Build();
  CHECK(TryPrepare(*v, Request({{0, 6, {}}}, 1)).IsInvalidArgument());   // no such run
  CHECK(TryPrepare(*v, Request({{1, 5, {}}}, 1)).IsInvalidArgument());   // run at another level
  CHECK(TryPrepare(*v, Request({{0, 5, {11}}}, 1)).IsInvalidArgument()); // file of another run
  CHECK(TryPrepare(*v, Request({{0, 5, {99}}}, 1)).IsInvalidArgument()); // no such file
  CHECK(TryPrepare(*v, Request({{0, 5, {}}, {7, 2, {}}}, 1)).IsInvalidArgument());
  CHECK(TryPrepare(*v, Request({}, 1)).IsInvalidArgument());              // no inputs
  CHECK(TryPrepare(*v, Request({{0, 5, {}}}, 3)).IsInvalidArgument());    // beyond last level
  CHECK(TryPrepare(*v, Request({{0, 5, {}}}, -1)).IsInvalidArgument());
  // The control: the same request, well formed.
  CHECK(TryPrepare(*v, Request({{0, 5, {10}}}, 1)).ok());
}

TEST_CASE("OutputLevelAboveTheOldestInputIsInvalidArgument") {
  auto v = Tree(4).Add(0, 5, 10, "a", "c").Add(2, 2, 11, "a", "z").Build();
  CHECK(TryPrepare(*v, Request({{0, 5, {}}, {2, 2, {}}}, 1)).IsInvalidArgument());
  CHECK(TryPrepare(*v, Request({{2, 2, {}}}, 0)).IsInvalidArgument());
  CHECK(TryPrepare(*v, Request({{0, 5, {}}, {2, 2, {}}}, 2)).ok());
  CHECK(TryPrepare(*v, Request({{0, 5, {}}, {2, 2, {}}}, 3)).ok());
}

TEST_CASE("ExpansionPullsOverlappingFilesOfIntermediateRunsUntilTheRangeStopsGrowing") {
  Tree t(3);
  t.Add(0, 11, 1, "a", "z");                               // newer than the inputs
  t.Add(0, 10, 2, "c", "e").Add(0, 10, 3, "n", "o").Add(0, 10, 4, "x", "y");
  t.Add(0, 9, 5, "d", "h").Add(0, 9, 6, "j", "m").Add(0, 9, 7, "q", "z");
  t.Add(0, 8, 8, "a", "a").Add(0, 8, 9, "g", "k").Add(0, 8, 10, "l", "p");
  t.Add(1, 4, 20, "a", "z");
  auto v = t.Build();
  // Asked: one file [c, e] of run 10 into level 1. The range grows
  // [c,e] -> [c,h] -> [c,k] -> [c,m] -> [c,p] (pulling 3 [n,o] of run 10
  // itself), then stops.
  auto c = MustPrepare(*v, Request({{0, 10, {2}}}, 1));
  Inputs want = {{{0, 10}, {2, 3}}, {{0, 9}, {5, 6}}, {{0, 8}, {9, 10}}};
  CHECK(InputsOf(*c) == want);
  CHECK(c->smallest_user_key() == "c");
  CHECK(c->largest_user_key() == "p");
  // Newest first.
  REQUIRE(c->inputs().size() == 3);
  CHECK(c->inputs()[0].run_id == 10);
  CHECK(c->inputs()[2].run_id == 8);
  CHECK(c->NumInputFiles() == 6);
  CHECK(c->InputBytes() == 600);
  // Level 1's run overlaps [c, p]: the output is a new run.
  CHECK(c->output_run_id() == 0);
  CHECK(!c->IsTrivialMove());
}

TEST_CASE("ExpansionCrossesLevelsWhenTheOutputSkipsALevel") {
  Tree t(4);
  t.Add(0, 10, 1, "c", "d");
  t.Add(1, 5, 2, "a", "b").Add(1, 5, 3, "d", "f").Add(1, 5, 4, "x", "z");
  t.Add(2, 3, 5, "e", "g").Add(2, 3, 6, "h", "k");
  auto v = t.Build();
  // Level 1 lies between the input and level 2: file 3 joins and the range
  // grows to [c, f]. Level 2's run is the output level's newest run and
  // overlaps [c, f]: the output becomes a new, newer run there.
  auto c = MustPrepare(*v, Request({{0, 10, {}}}, 2));
  Inputs want = {{{0, 10}, {1}}, {{1, 5}, {3}}};
  CHECK(InputsOf(*c) == want);
  CHECK(c->smallest_user_key() == "c");
  CHECK(c->largest_user_key() == "f");
  CHECK(c->output_run_id() == 0);
  CHECK(!c->IsBaseForKey("e"));  // level 2 is older than the output
  // Asking for level 2's run as well: the output goes into it, and its
  // file overlapping the range joins.
  auto c2 = MustPrepare(*v, Request({{0, 10, {}}, {2, 3, {6}}}, 2));
  Inputs want2 = {{{0, 10}, {1}}, {{1, 5}, {3}}, {{2, 3}, {5, 6}}};
  CHECK(InputsOf(*c2) == want2);
  CHECK(c2->output_run_id() == 3);
}

TEST_CASE("OutputGoesIntoTheOldestInputRunAtTheOutputLevel") {
  auto v = Tree(3)
               .Add(0, 10, 1, "b", "c")
               .Add(1, 5, 2, "a", "b").Add(1, 5, 3, "c", "d").Add(1, 5, 4, "e", "f")
               .Build();
  auto c = MustPrepare(*v, Request({{0, 10, {}}, {1, 5, {2}}}, 1));
  // File 3 overlaps [a, c] and joins; file 4 does not.
  Inputs want = {{{0, 10}, {1}}, {{1, 5}, {2, 3}}};
  CHECK(InputsOf(*c) == want);
  CHECK(c->output_level() == 1);
  CHECK(c->output_run_id() == 5);
}

TEST_CASE("OutputGoesIntoTheNewestRunOfTheOutputLevelWhenItDoesNotOverlap") {
  auto v = Tree(3)
               .Add(0, 10, 1, "d", "f")
               .Add(1, 6, 2, "a", "c").Add(1, 6, 3, "g", "h")   // newest at level 1
               .Add(1, 5, 4, "a", "z")
               .Build();
  auto c = MustPrepare(*v, Request({{0, 10, {}}}, 1));
  CHECK(c->output_run_id() == 6);
  // Run 5 is older than the output position and holds the range.
  CHECK(!c->IsBaseForKey("e"));
}

TEST_CASE("OutputGoesIntoANewRunWhenTheNewestRunOverlaps") {
  auto v = Tree(3)
               .Add(0, 10, 1, "d", "f")
               .Add(1, 6, 2, "a", "d")    // touches d
               .Build();
  auto c = MustPrepare(*v, Request({{0, 10, {}}}, 1));
  CHECK(c->output_run_id() == 0);
  CHECK(InputsOf(*c) == Inputs{{{0, 10}, {1}}});
  // An empty output level: a new run too.
  auto c2 = MustPrepare(*v, Request({{0, 10, {}}}, 2));
  CHECK(c2->output_run_id() == 0);
  // Level 1 was between: its overlapping run joined.
  CHECK(InputsOf(*c2) == Inputs{{{0, 10}, {1}}, {{1, 6}, {2}}});
}

TEST_CASE("IsTrivialMoveOnlyForOneFileLeavingItsRun") {
  auto v = Tree(3)
               .Add(0, 10, 1, "d", "f")
               .Add(0, 9, 2, "x", "z")
               .Add(1, 5, 3, "a", "b").Add(1, 5, 4, "c", "c")
               .Build();
  // One file, nothing overlapping on the way: moved.
  CHECK(MustPrepare(*v, Request({{0, 10, {}}}, 1))->IsTrivialMove());
  CHECK(MustPrepare(*v, Request({{0, 9, {}}}, 2))->IsTrivialMove());
  // One file in place: rewritten, not moved.
  auto in_place = MustPrepare(*v, Request({{1, 5, {4}}}, 1));
  CHECK(in_place->output_run_id() == 5);
  CHECK(!in_place->IsTrivialMove());
  // Two files.
  CHECK(!MustPrepare(*v, Request({{1, 5, {}}}, 2))->IsTrivialMove());
  CHECK(!MustPrepare(*v, Request({{0, 10, {}}, {0, 9, {}}}, 1))->IsTrivialMove());
}

TEST_CASE("IsBaseForKeyLooksOnlyAtRunsOlderThanTheOutput") {
  auto v = Tree(4)
               .Add(0, 10, 1, "a", "k")
               .Add(1, 5, 2, "x", "z")           // not overlapping: output goes here
               .Add(2, 3, 3, "c", "d").Add(2, 3, 4, "g", "g")
               .Add(3, 1, 7, "e", "e").Add(3, 1, 5, "j", "j")
               .Add(3, 1, 6, "m", "q")  // outside the range
               .Build();
  auto c = MustPrepare(*v, Request({{0, 10, {}}}, 1));
  REQUIRE(c->output_run_id() == 5);
  CHECK(c->IsBaseForKey(""));
  CHECK(c->IsBaseForKey("a"));
  CHECK(c->IsBaseForKey("b"));
  CHECK(!c->IsBaseForKey("c"));
  CHECK(!c->IsBaseForKey("cc"));
  CHECK(!c->IsBaseForKey("d"));
  CHECK(c->IsBaseForKey("d\x01"));
  CHECK(!c->IsBaseForKey("e"));
  CHECK(c->IsBaseForKey("f"));
  CHECK(!c->IsBaseForKey("g"));
  CHECK(c->IsBaseForKey("h"));
  CHECK(!c->IsBaseForKey("j"));
  CHECK(c->IsBaseForKey("k"));

  // Into the last level: level 2 joins the inputs; the output is a new run
  // newer than level 3's, which still counts.
  auto last = MustPrepare(*v, Request({{0, 10, {}}}, 3));
  REQUIRE(last->output_run_id() == 0);
  CHECK(last->IsBaseForKey("a"));
  CHECK(last->IsBaseForKey("c"));
  CHECK(!last->IsBaseForKey("e"));
  CHECK(last->IsBaseForKey("g"));
  CHECK(!last->IsBaseForKey("j"));
  CHECK(last->IsBaseForKey("k"));

  // In place at level 2: level 3 is older.
  auto mid = MustPrepare(*v, Request({{2, 3, {}}}, 2));
  REQUIRE(mid->output_run_id() == 3);
  CHECK(mid->IsBaseForKey("c"));
  CHECK(!mid->IsBaseForKey("e"));
  CHECK(mid->IsBaseForKey("f"));
}

TEST_CASE("PrepareNeverBreaksRecencyForRandomTreesAndRequests") {
  Random rnd(20240601);
  int prepared = 0, rejected = 0, expanded = 0;
  for (int iter = 0; iter < 6000; ++iter) {
    CAPTURE(iter);
    const int num_levels = 2 + static_cast<int>(rnd.Uniform(3));
    Tree tree(num_levels);
    uint64_t number = 1;
    std::vector<uint64_t> ids;
    for (uint64_t id = 1; id <= 40; ++id) ids.push_back(id);
    for (size_t i = ids.size() - 1; i > 0; --i) std::swap(ids[i], ids[rnd.Uniform(i + 1)]);
    size_t next_id = 0;
    for (int l = 0; l < num_levels; ++l) {
      int runs = static_cast<int>(rnd.Uniform(l == 0 ? 5 : 3));
      for (int r = 0; r < runs; ++r) {
        uint64_t id = ids[next_id++];
        int pos = static_cast<int>(rnd.Uniform(4));
        bool any = false;
        while (pos < 30) {
          if (rnd.OneIn(2) || !any) {
            int len = static_cast<int>(rnd.Uniform(5));
            char s[8], e[8];
            std::snprintf(s, sizeof(s), "k%02d", pos);
            std::snprintf(e, sizeof(e), "k%02d", std::min(pos + len, 29));
            tree.Add(l, id, number++, s, e, 10 + rnd.Uniform(100));
            any = true;
            pos += len;
          }
          pos += 1 + static_cast<int>(rnd.Uniform(4));
        }
      }
    }
    auto v = tree.Build();
    std::vector<RunPosition> order = v->RunOrder();
    auto run_at = [&](size_t i) -> const Run& {
      return v->level(order[i].level).runs[order[i].index];
    };
    auto index_of = [&](int level, uint64_t id) -> size_t {
      for (size_t i = 0; i < order.size(); ++i) {
        if (order[i].level == level && run_at(i).id == id) return i;
      }
      return order.size();
    };

    // A random, possibly nonsensical request.
    CompactionRequest req;
    bool valid = true;
    int n_inputs = 1 + static_cast<int>(rnd.Uniform(3));
    int deepest_input = -1;
    for (int i = 0; i < n_inputs; ++i) {
      CompactionInputRun in;
      if (!order.empty() && !rnd.OneIn(10)) {
        const RunPosition& p = order[rnd.Uniform(order.size())];
        in.level = p.level;
        in.run_id = v->level(p.level).runs[p.index].id;
        if (rnd.OneIn(2)) {
          for (const FileRef& f : v->level(p.level).runs[p.index].files) {
            if (rnd.OneIn(2)) in.file_numbers.push_back(f->number);
          }
          if (in.file_numbers.empty()) {
            in.file_numbers.push_back(v->level(p.level).runs[p.index].files[0]->number);
          }
        }
        if (rnd.OneIn(20)) {
          in.file_numbers.push_back(1000 + rnd.Uniform(10));
          valid = false;
        }
      } else {
        in.level = static_cast<int>(rnd.Uniform(num_levels + 1));
        in.run_id = rnd.Uniform(50);
        if (index_of(in.level, in.run_id) == order.size()) valid = false;
      }
      deepest_input = std::max(deepest_input, in.level);
      req.inputs.push_back(in);
    }
    if (rnd.OneIn(4) || deepest_input >= num_levels) {
      req.output_level = static_cast<int>(rnd.Uniform(num_levels + 2)) - 1;
    } else {
      req.output_level = deepest_input + static_cast<int>(rnd.Uniform(num_levels - deepest_input));
    }
    if (req.output_level < 0 || req.output_level >= num_levels) valid = false;
    if (req.output_level < deepest_input) valid = false;

    std::unique_ptr<Compaction> c;
    Status s = Compaction::Prepare(*v, req, &c);
    if (!s.ok()) {
      CHECK_MESSAGE(s.IsInvalidArgument(), s.ToString());
      CHECK_MESSAGE(!valid, v->DebugString());
      ++rejected;
      continue;
    }
    ++prepared;
    REQUIRE_MESSAGE(valid, v->DebugString());
    INFO(v->DebugString());
    INFO(c->DebugString());

    // Inputs: existing runs, newest first, each file of its run, every
    // requested file included.
    std::map<size_t, std::set<uint64_t>> in_files;  // order index -> numbers
    size_t prev = 0;
    bool first = true;
    std::string smallest, largest;
    for (const CompactionInput& in : c->inputs()) {
      size_t idx = index_of(in.level, in.run_id);
      REQUIRE(idx < order.size());
      if (!first) CHECK(idx > prev);
      REQUIRE(!in.files.empty());
      for (size_t f = 0; f < in.files.size(); ++f) {
        const Run& run = run_at(idx);
        CHECK(std::any_of(run.files.begin(), run.files.end(),
                          [&](const FileRef& r) { return r == in.files[f]; }));
        if (f > 0) {
          CHECK(CompareUserKey(in.files[f - 1]->largest_user_key(),
                               in.files[f]->smallest_user_key()) < 0);
        }
        if ((first && f == 0) || CompareUserKey(in.files[f]->smallest_user_key(), smallest) < 0) {
          smallest.assign(in.files[f]->smallest_user_key());
        }
        if ((first && f == 0) || CompareUserKey(in.files[f]->largest_user_key(), largest) > 0) {
          largest.assign(in.files[f]->largest_user_key());
        }
        in_files[idx].insert(in.files[f]->number);
      }
      first = false;
      prev = idx;
    }
    for (const CompactionInputRun& in : req.inputs) {
      size_t idx = index_of(in.level, in.run_id);
      if (in.file_numbers.empty()) {
        for (const FileRef& f : run_at(idx).files) CHECK(in_files[idx].count(f->number) == 1);
      }
      for (uint64_t n : in.file_numbers) CHECK(in_files[idx].count(n) == 1);
    }
    CHECK(c->smallest_user_key() == smallest);
    CHECK(c->largest_user_key() == largest);
    CHECK(c->output_level() == req.output_level);
    const size_t newest = in_files.begin()->first;
    const size_t oldest = in_files.rbegin()->first;
    CHECK(order[oldest].level <= c->output_level());
    std::set<uint64_t> asked;
    for (const CompactionInputRun& in : req.inputs) {
      size_t idx = index_of(in.level, in.run_id);
      if (in.file_numbers.empty()) {
        for (const FileRef& f : run_at(idx).files) asked.insert(f->number);
      }
      for (uint64_t x : in.file_numbers) asked.insert(x);
    }
    if (c->NumInputFiles() > static_cast<int>(asked.size())) ++expanded;

    // The output position: [newest, end) are the runs the output jumps
    // over or replaces; runs from `older` on are older than the output.
    size_t end, older;
    if (c->output_run_id() != 0) {
      size_t o = index_of(c->output_level(), c->output_run_id());
      REQUIRE(o < order.size());
      if (in_files.count(o)) {
        CHECK(o == oldest);          // in place: the oldest input's run
        end = o + 1;
      } else {
        // The newest run of the output level, clear of the range.
        CHECK(o > oldest);
        CHECK((o == 0 || order[o - 1].level < c->output_level()));
        CHECK(!run_at(o).Overlaps(smallest, largest));
        end = o;
      }
      older = o + 1;
    } else {
      size_t p = 0;
      while (p < order.size() && order[p].level < c->output_level()) ++p;
      CHECK(oldest < p);
      if (p < order.size() && order[p].level == c->output_level()) {
        // Rule 3 would have used a non-overlapping newest run.
        CHECK(run_at(p).Overlaps(smallest, largest));
      }
      end = p;
      older = p;
    }
    // The recency property: between the newest input and the output
    // position, every file holding a key of the range is an input.
    for (size_t idx = newest; idx < end; ++idx) {
      for (const FileRef& f : run_at(idx).files) {
        if (Overlap(*f, smallest, largest)) {
          CHECK_MESSAGE(in_files[idx].count(f->number) == 1,
                        "file " << f->number << " of run " << run_at(idx).id
                                << " holds keys of the range but is not an input");
        }
      }
    }
    // The same, key by key, and IsBaseForKey against the runs older than
    // the output (keys in increasing order).
    for (int k = 0; k < 30; ++k) {
      char key[8];
      std::snprintf(key, sizeof(key), "k%02d", k);
      if (CompareUserKey(key, smallest) < 0 || CompareUserKey(key, largest) > 0) continue;
      for (size_t idx = newest; idx < end; ++idx) {
        int f = run_at(idx).FindFile(key);
        if (f >= 0) CHECK(in_files[idx].count(run_at(idx).files[f]->number) == 1);
      }
      bool held_below = false;
      for (size_t idx = older; idx < order.size(); ++idx) {
        if (run_at(idx).FindFile(key) >= 0) held_below = true;
      }
      CHECK_MESSAGE(c->IsBaseForKey(key) == !held_below, key);
    }
  }
  // The generator exercises both outcomes and real widening.
  CHECK(prepared > 2500);
  CHECK(rejected > 1000);
  CHECK(expanded > 1000);
}

// ---------------------------------------------------------------------------
// Tiered picker

namespace {

Options TieredOptions() {
  Options o;
  o.compaction = CompactionStyle::kTiered;
  o.num_levels = 4;
  o.max_runs_per_level = 4;
  o.tiered_size_ratio_percent = 20;
  o.max_space_amplification_percent = 200;
  o.memtable_bytes = 64 << 10;  // space rule from 256 KiB of data
  return o;
}

bool Pick(CompactionPicker* p, const Version& v, CompactionRequest* r) {
  return p->Pick(ShapeOf(v, 5000), WorkloadStats(), r);
}

std::vector<std::pair<int, uint64_t>> RunsOf(const CompactionRequest& r) {
  std::vector<std::pair<int, uint64_t>> out;
  for (const CompactionInputRun& in : r.inputs) out.push_back({in.level, in.run_id});
  return out;
}

using RunList = std::vector<std::pair<int, uint64_t>>;

}  // namespace

TEST_CASE("PickerFactoryFollowsTheCompactionOption") {
  Options o;
  o.compaction = CompactionStyle::kTiered;
  CHECK(std::string(NewCompactionPicker(o)->Name()) == "tiered");
  o.compaction = CompactionStyle::kLeveled;
  CHECK(std::string(NewCompactionPicker(o)->Name()) == "leveled");
  o.compaction = CompactionStyle::kLearned;
  CHECK(std::string(NewCompactionPicker(o)->Name()) == "tiered");
}

TEST_CASE("ShapeOfCopiesRunsFilesAndAges") {
  auto v = Tree(3).Add(0, 7, 1, "a", "c", 40).Add(0, 7, 2, "d", "e", 60).Add(2, 3, 3, "b", "z", 5)
               .Build();
  TreeShape s = ShapeOf(*v, 4000);
  REQUIRE(s.levels.size() == 3);
  CHECK(s.total_bytes == 105);
  CHECK(s.total_runs == 2);
  CHECK(s.DeepestLevel() == 2);
  CHECK(s.LastRunBytes() == 5);
  REQUIRE(s.levels[0].runs.size() == 1);
  CHECK(s.levels[0].runs[0].id == 7);
  CHECK(s.levels[0].runs[0].bytes == 100);
  REQUIRE(s.levels[0].runs[0].files.size() == 2);
  CHECK(s.levels[0].runs[0].files[1].smallest == "d");
  CHECK(s.levels[0].runs[0].files[1].largest == "e");
  CHECK(s.levels[0].runs[0].files[1].age_micros == 3000);
  CHECK(ShapeOf(*v, 10).levels[0].runs[0].files[0].age_micros == 0);  // clock behind
  CHECK(ShapeOf(Version(3), 0).DeepestLevel() == -1);
  CHECK(ShapeOf(Version(3), 0).LastRunBytes() == 0);
}

TEST_CASE("GuardrailTripsAboveTheRunCapOrTwiceTheSpaceAmplificationLimit") {
  const Options o = TieredOptions();  // 4 runs per level: the cap is 6
  Tree six(4);
  for (uint64_t r = 1; r <= 6; ++r) six.Add(0, 20 - r, r, "a", "z", 100 << 10);
  six.Add(3, 5, 9, "a", "z", 100 << 20);
  CHECK(!GuardrailTripped(ShapeOf(*six.Build(), 0), o));
  Tree seven(4);
  for (uint64_t r = 1; r <= 7; ++r) seven.Add(0, 20 - r, r, "a", "z", 100 << 10);
  seven.Add(3, 5, 9, "a", "z", 100 << 20);
  CHECK(GuardrailTripped(ShapeOf(*seven.Build(), 0), o));
  // 1 MiB above a 200 KiB oldest run: 500% > 2 x 200%, and the tree holds
  // more than 4 memtables.
  auto amp = Tree(4).Add(0, 13, 1, "a", "z", 1 << 20).Add(3, 5, 2, "a", "z", 200 << 10).Build();
  CHECK(GuardrailTripped(ShapeOf(*amp, 0), o));
  // 300%: under twice the limit.
  auto under = Tree(4).Add(0, 13, 1, "a", "z", 600 << 10).Add(3, 5, 2, "a", "z", 200 << 10).Build();
  CHECK(!GuardrailTripped(ShapeOf(*under, 0), o));
  // Too small a tree for the space rule.
  auto small = Tree(4).Add(0, 13, 1, "a", "z", 50 << 10).Add(3, 5, 2, "a", "z", 5 << 10).Build();
  CHECK(!GuardrailTripped(ShapeOf(*small, 0), o));
}

TEST_CASE("TieredWaitsBelowMaxRunsPerLevel") {
  auto picker = NewTieredPicker(TieredOptions());
  CompactionRequest r;
  CHECK(!Pick(picker.get(), Version(4), &r));
  auto v = Tree(4)
               .Add(0, 13, 1, "a", "z").Add(0, 12, 2, "a", "z").Add(0, 11, 3, "a", "z")
               .Add(1, 5, 4, "a", "z")
               .Build();
  CHECK(!Pick(picker.get(), *v, &r));
  // Large but with no space amplification to speak of: still waits.
  auto big = Tree(4)
                 .Add(0, 13, 1, "a", "z", 100 << 10).Add(0, 12, 2, "a", "z", 100 << 10)
                 .Add(3, 5, 4, "a", "z", 10 << 20)
                 .Build();
  CHECK(!Pick(picker.get(), *big, &r));
}

TEST_CASE("TieredMergesAllRunsOfAFullLevelIntoTheNextLevel") {
  auto picker = NewTieredPicker(TieredOptions());
  auto v = Tree(4)
               .Add(0, 14, 1, "a", "c").Add(0, 13, 2, "b", "d").Add(0, 12, 3, "c", "e")
               .Add(0, 11, 4, "d", "f")
               .Add(1, 5, 5, "a", "z")
               .Build();
  CompactionRequest r;
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(RunsOf(r) == RunList{{0, 14}, {0, 13}, {0, 12}, {0, 11}});
  for (const CompactionInputRun& in : r.inputs) CHECK(in.file_numbers.empty());
  CHECK(r.output_level == 1);
  CHECK(r.reason.find("run count") != std::string::npos);
  auto c = MustPrepare(*v, r);
  CHECK(c->output_run_id() == 0);  // level 1's run overlaps

  // At the last level the runs merge in place.
  auto last = Tree(2)
                  .Add(1, 4, 1, "a", "b").Add(1, 3, 2, "a", "b").Add(1, 2, 3, "a", "b")
                  .Add(1, 1, 4, "a", "b")
                  .Build();
  Options o = TieredOptions();
  o.num_levels = 2;
  auto p2 = NewTieredPicker(o);
  REQUIRE(Pick(p2.get(), *last, &r));
  CHECK(r.output_level == 1);
  CHECK(r.inputs.size() == 4);
  CHECK(MustPrepare(*last, r)->output_run_id() == 1);
}

TEST_CASE("TieredSizeRatioMergesAPrefixInPlace") {
  auto picker = NewTieredPicker(TieredOptions());
  // Newest first: 100, 110 (<= 120), 150 (<= 252), then 10000 (> 432).
  auto v = Tree(4)
               .Add(0, 14, 1, "a", "z", 100).Add(0, 13, 2, "a", "z", 110)
               .Add(0, 12, 3, "a", "z", 150).Add(0, 11, 4, "a", "z", 10000)
               .Build();
  CompactionRequest r;
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(RunsOf(r) == RunList{{0, 14}, {0, 13}, {0, 12}});
  CHECK(r.output_level == 0);
  CHECK(r.reason.find("size ratio") != std::string::npos);
  auto c = MustPrepare(*v, r);
  CHECK(c->output_run_id() == 12);
  CHECK(c->NumInputFiles() == 3);

  // The second run far larger than the first: no prefix of two, so the
  // whole level goes down.
  auto v2 = Tree(4)
                .Add(0, 14, 1, "a", "z", 100).Add(0, 13, 2, "a", "z", 1000)
                .Add(0, 12, 3, "a", "z", 1000).Add(0, 11, 4, "a", "z", 1000)
                .Build();
  REQUIRE(Pick(picker.get(), *v2, &r));
  CHECK(r.inputs.size() == 4);
  CHECK(r.output_level == 1);
}

TEST_CASE("TieredSpaceAmplificationMergesEverythingIntoTheDeepestLevel") {
  auto picker = NewTieredPicker(TieredOptions());
  // 5 runs > 4, 600 KiB >= 256 KiB, and 500 KiB above the last run's
  // 100 KiB is more than 200%.
  auto v = Tree(4)
               .Add(0, 14, 1, "a", "m", 200 << 10).Add(0, 13, 2, "b", "n", 200 << 10)
               .Add(1, 9, 3, "c", "d", 50 << 10).Add(1, 8, 4, "a", "z", 50 << 10)
               .Add(3, 2, 5, "a", "z", 100 << 10)
               .Build();
  CompactionRequest r;
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(RunsOf(r) == RunList{{0, 14}, {0, 13}, {1, 9}, {1, 8}, {3, 2}});
  CHECK(r.output_level == 3);
  CHECK(r.reason.find("space") != std::string::npos);
  auto c = MustPrepare(*v, r);
  CHECK(c->output_run_id() == 2);
  CHECK(c->NumInputFiles() == 5);

  // The same shape with a large last run: no space problem, and no level
  // is full, so it waits.
  auto ok = Tree(4)
                .Add(0, 14, 1, "a", "m", 200 << 10).Add(0, 13, 2, "b", "n", 200 << 10)
                .Add(1, 9, 3, "c", "d", 50 << 10).Add(1, 8, 4, "a", "z", 50 << 10)
                .Add(3, 2, 5, "a", "z", 10 << 20)
                .Build();
  CHECK(!Pick(picker.get(), *ok, &r));
  // Below 4 * memtable_bytes the space rule is off.
  auto small = Tree(4)
                   .Add(0, 14, 1, "a", "m", 20 << 10).Add(0, 13, 2, "b", "n", 20 << 10)
                   .Add(1, 9, 3, "c", "d", 5 << 10).Add(1, 8, 4, "a", "z", 5 << 10)
                   .Add(3, 2, 5, "a", "z", 1 << 10)
                   .Build();
  CHECK(!Pick(picker.get(), *small, &r));
}

// ---------------------------------------------------------------------------
// Leveled picker

namespace {

Options LeveledOptions() {
  Options o;
  o.compaction = CompactionStyle::kLeveled;
  o.num_levels = 4;
  o.max_runs_per_level = 4;
  o.leveled_base_bytes = 1000;  // level 1: 1000, level 2: 10000
  o.leveled_multiplier = 10;
  return o;
}

std::vector<uint64_t> FilesOf(const CompactionRequest& r, int level) {
  for (const CompactionInputRun& in : r.inputs) {
    if (in.level == level) return in.file_numbers;
  }
  return {};
}

}  // namespace

TEST_CASE("LeveledLevel0RunCountTriggerIncludesOverlappingLevel1Files") {
  auto picker = NewLeveledPicker(LeveledOptions());
  Tree base(4);
  base.Add(0, 13, 1, "c", "d").Add(0, 12, 2, "e", "f").Add(0, 11, 3, "b", "c");
  base.Add(1, 5, 20, "a", "b").Add(1, 5, 21, "bb", "d").Add(1, 5, 22, "e", "g");
  base.Add(1, 5, 23, "h", "z");
  CompactionRequest r;
  // Three level-0 runs: under the trigger.
  CHECK(!Pick(picker.get(), *base.Build(), &r));
  base.Add(0, 14, 4, "d", "e");
  auto v = base.Build();
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(RunsOf(r) == RunList{{0, 14}, {0, 13}, {0, 12}, {0, 11}, {1, 5}});
  // [b, f]: 20 touches b, 21 and 22 overlap, 23 does not.
  CHECK(FilesOf(r, 1) == std::vector<uint64_t>{20, 21, 22});
  CHECK(r.output_level == 1);
  CHECK(r.reason.find("level 0") != std::string::npos);
  auto c = MustPrepare(*v, r);
  CHECK(c->output_run_id() == 5);
  CHECK(c->NumInputFiles() == 7);
}

TEST_CASE("LeveledLevelOverTargetPicksOneFilePlusOverlappingNextLevelFiles") {
  auto picker = NewLeveledPicker(LeveledOptions());
  auto v = Tree(4)
               .Add(1, 5, 30, "a", "c", 600).Add(1, 5, 31, "d", "f", 600)
               .Add(1, 5, 32, "g", "i", 600)
               .Add(2, 3, 40, "a", "b").Add(2, 3, 41, "c", "d").Add(2, 3, 42, "f", "g")
               .Add(2, 3, 43, "x", "z")
               .Build();
  CompactionRequest r;
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(FilesOf(r, 1) == std::vector<uint64_t>{30});
  CHECK(FilesOf(r, 2) == std::vector<uint64_t>{40, 41});
  CHECK(r.output_level == 2);
  CHECK(r.reason.find("level 1") != std::string::npos);
  CHECK(TryPrepare(*v, r).ok());

  // Round robin: the next picks continue past the last file's key, then
  // wrap around.
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(FilesOf(r, 1) == std::vector<uint64_t>{31});
  CHECK(FilesOf(r, 2) == std::vector<uint64_t>{41, 42});
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(FilesOf(r, 1) == std::vector<uint64_t>{32});
  CHECK(FilesOf(r, 2) == std::vector<uint64_t>{42});
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(FilesOf(r, 1) == std::vector<uint64_t>{30});
  // A file with nothing below: the request has one input, a trivial move.
  auto lone = Tree(4).Add(1, 5, 30, "a", "c", 2000).Add(2, 3, 40, "x", "z").Build();
  auto p2 = NewLeveledPicker(LeveledOptions());
  REQUIRE(Pick(p2.get(), *lone, &r));
  CHECK(r.inputs.size() == 1);
  CHECK(MustPrepare(*lone, r)->IsTrivialMove());
}

TEST_CASE("LeveledMergesADeeperLevelWithTwoRunsFirst") {
  auto picker = NewLeveledPicker(LeveledOptions());
  auto v = Tree(4)
               .Add(0, 20, 1, "a", "b").Add(0, 19, 2, "a", "b").Add(0, 18, 3, "a", "b")
               .Add(0, 17, 4, "a", "b")                       // level 0 score 1
               .Add(1, 10, 5, "a", "z", 5000)                 // level 1 score 5
               .Add(2, 7, 6, "a", "m").Add(2, 6, 7, "c", "z")  // two runs
               .Build();
  CompactionRequest r;
  REQUIRE(Pick(picker.get(), *v, &r));
  CHECK(RunsOf(r) == RunList{{2, 7}, {2, 6}});
  CHECK(r.output_level == 2);
  CHECK(r.reason.find("merge runs") != std::string::npos);
  CHECK(MustPrepare(*v, r)->output_run_id() == 6);
}

TEST_CASE("LeveledWaitsWhenEveryLevelIsUnderTarget") {
  auto picker = NewLeveledPicker(LeveledOptions());
  CompactionRequest r;
  CHECK(!Pick(picker.get(), Version(4), &r));
  auto v = Tree(4)
               .Add(0, 20, 1, "a", "b")
               .Add(1, 10, 5, "a", "z", 900)
               .Add(2, 7, 6, "a", "m", 9000)
               .Add(3, 2, 8, "a", "z", 1ull << 40)  // the last level has no target
               .Build();
  CHECK(!Pick(picker.get(), *v, &r));
}
