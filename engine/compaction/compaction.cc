// compaction/compaction.cc: see compaction.h.
#include "compaction/compaction.h"

#include <algorithm>
#include <map>
#include <set>

namespace firn {

namespace {
std::string RunName(int level, uint64_t run_id) {
  return "level " + std::to_string(level) + " run " + std::to_string(run_id);
}
}  // namespace

Status Compaction::Prepare(const Version& v, const CompactionRequest& request,
                           std::unique_ptr<Compaction>* result) {
  const std::vector<RunPosition> order = v.RunOrder();
  auto run_at = [&](size_t idx) -> const Run& {
    return v.level(order[idx].level).runs[order[idx].index];
  };
  if (request.output_level < 0 || request.output_level >= v.num_levels()) {
    return Status::InvalidArgument("compaction: output level " +
                                   std::to_string(request.output_level) + " out of range");
  }
  if (request.inputs.empty()) return Status::InvalidArgument("compaction: no inputs");

  // order index -> chosen file indexes within that run.
  std::map<size_t, std::set<size_t>> chosen;
  for (const CompactionInputRun& in : request.inputs) {
    size_t idx = order.size();
    for (size_t i = 0; i < order.size(); ++i) {
      if (order[i].level == in.level && run_at(i).id == in.run_id) idx = i;
    }
    if (idx == order.size()) {
      return Status::InvalidArgument("compaction: no " + RunName(in.level, in.run_id));
    }
    const Run& run = run_at(idx);
    std::set<size_t>& files = chosen[idx];
    if (in.file_numbers.empty()) {
      for (size_t f = 0; f < run.files.size(); ++f) files.insert(f);
    }
    for (uint64_t number : in.file_numbers) {
      size_t f = 0;
      while (f < run.files.size() && run.files[f]->number != number) ++f;
      if (f == run.files.size()) {
        return Status::InvalidArgument("compaction: file " + std::to_string(number) +
                                       " not in " + RunName(in.level, in.run_id));
      }
      files.insert(f);
    }
  }

  std::string smallest, largest;
  auto compute_range = [&]() {
    bool first = true;
    for (auto& [idx, files] : chosen) {
      const Run& run = run_at(idx);
      for (size_t f : files) {
        std::string_view s = run.files[f]->smallest_user_key();
        std::string_view l = run.files[f]->largest_user_key();
        if (first || CompareUserKey(s, smallest) < 0) smallest.assign(s);
        if (first || CompareUserKey(l, largest) > 0) largest.assign(l);
        first = false;
      }
    }
  };

  // Expand to a fixpoint (rule 2).
  size_t end_idx = 0;
  for (;;) {
    compute_range();
    size_t newest = chosen.begin()->first;
    size_t oldest = chosen.rbegin()->first;
    if (request.output_level < order[oldest].level) {
      return Status::InvalidArgument(
          "compaction: output level " + std::to_string(request.output_level) +
          " is above input " + RunName(order[oldest].level, run_at(oldest).id));
    }
    end_idx = oldest;
    if (request.output_level > order[oldest].level) {
      while (end_idx + 1 < order.size() && order[end_idx + 1].level < request.output_level) {
        ++end_idx;
      }
    }
    bool changed = false;
    for (size_t idx = newest; idx <= end_idx; ++idx) {
      const Run& run = run_at(idx);
      for (size_t f = 0; f < run.files.size(); ++f) {
        const FileMetaData& meta = *run.files[f];
        if (CompareUserKey(meta.largest_user_key(), smallest) < 0 ||
            CompareUserKey(meta.smallest_user_key(), largest) > 0) {
          continue;
        }
        if (chosen[idx].insert(f).second) changed = true;
      }
      if (chosen[idx].empty()) chosen.erase(idx);
    }
    if (!changed) break;
  }

  std::unique_ptr<Compaction> c(new Compaction());
  c->output_level_ = request.output_level;
  c->reason_ = request.reason;
  c->smallest_ = smallest;
  c->largest_ = largest;
  for (auto& [idx, files] : chosen) {
    CompactionInput in;
    in.level = order[idx].level;
    in.run_id = run_at(idx).id;
    for (size_t f : files) in.files.push_back(run_at(idx).files[f]);
    c->inputs_.push_back(std::move(in));
  }

  // Output placement (rule 3) and the runs older than it.
  size_t oldest = chosen.rbegin()->first;
  size_t older_from;
  if (order[oldest].level == request.output_level) {
    c->output_run_id_ = run_at(oldest).id;
    older_from = oldest + 1;
  } else {
    size_t first_out = end_idx + 1;  // first run at the output level, if any
    if (first_out < order.size() && order[first_out].level == request.output_level &&
        !run_at(first_out).Overlaps(smallest, largest)) {
      c->output_run_id_ = run_at(first_out).id;
      older_from = first_out + 1;
    } else {
      c->output_run_id_ = 0;
      older_from = first_out;
    }
  }
  for (size_t idx = older_from; idx < order.size(); ++idx) {
    const Run& run = run_at(idx);
    if (!run.Overlaps(smallest, largest)) continue;
    c->older_.push_back(run.files);
    c->older_pos_.push_back(0);
  }
  *result = std::move(c);
  return Status::OK();
}

int Compaction::NumInputFiles() const {
  int n = 0;
  for (const CompactionInput& in : inputs_) n += static_cast<int>(in.files.size());
  return n;
}

uint64_t Compaction::InputBytes() const {
  uint64_t n = 0;
  for (const CompactionInput& in : inputs_) {
    for (const FileRef& f : in.files) n += f->file_size;
  }
  return n;
}

bool Compaction::IsTrivialMove() const {
  return inputs_.size() == 1 && inputs_[0].files.size() == 1 &&
         !(inputs_[0].level == output_level_ && inputs_[0].run_id == output_run_id_);
}

bool Compaction::IsBaseForKey(std::string_view user_key) {
  for (size_t r = 0; r < older_.size(); ++r) {
    const std::vector<FileRef>& files = older_[r];
    size_t& pos = older_pos_[r];
    while (pos < files.size() && CompareUserKey(files[pos]->largest_user_key(), user_key) < 0) {
      ++pos;
    }
    if (pos < files.size() && CompareUserKey(files[pos]->smallest_user_key(), user_key) <= 0) {
      return false;
    }
  }
  return true;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (const CompactionInput& in : inputs_) {
    for (const FileRef& f : in.files) edit->RemoveFile(in.level, in.run_id, f->number);
  }
}

std::string Compaction::DebugString() const {
  std::string r = "compaction [" + reason_ + "]";
  for (const CompactionInput& in : inputs_) {
    r += " L" + std::to_string(in.level) + "/r" + std::to_string(in.run_id) + ":";
    for (const FileRef& f : in.files) r += " " + std::to_string(f->number);
  }
  r += " -> L" + std::to_string(output_level_) +
       (output_run_id_ ? "/r" + std::to_string(output_run_id_) : std::string("/new"));
  return r;
}

}  // namespace firn
