// version/version.cc: see version.h.
#include "version/version.h"

#include <algorithm>
#include <map>
#include <set>

#include "db/run_iterator.h"
#include "db/table_cache.h"
#include "sst/bloom.h"

namespace firn {

int Run::FindFile(std::string_view user_key) const {
  // First file whose largest user key >= user_key.
  size_t lo = 0, hi = files.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (CompareUserKey(files[mid]->largest_user_key(), user_key) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == files.size()) return -1;
  if (CompareUserKey(files[lo]->smallest_user_key(), user_key) > 0) return -1;
  return static_cast<int>(lo);
}

bool Run::Overlaps(std::string_view smallest, std::string_view largest) const {
  size_t lo = 0, hi = files.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (CompareUserKey(files[mid]->largest_user_key(), smallest) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < files.size() && CompareUserKey(files[lo]->smallest_user_key(), largest) <= 0;
}

Version::Version(int num_levels) : levels_(num_levels) {}

// Runs are searched newest first, in batches: the readers of a batch's
// files are found and the filter line each will probe is prefetched before
// any is probed, so that the filters' cache misses overlap instead of
// following one another (a tree of 25 runs probes 25 filters a get).
// Batches grow 2, 4, 8, 16, so a key in a new run costs few lookups. A file
// that cannot be opened ends the search after the runs before it were
// probed, so the answer is the one a search in order would give.
Status Version::Get(const ReadOptions& options, TableCache* cache, std::string_view user_key,
                    uint64_t hash, SequenceNumber seq, std::string* value,
                    ReadStats* stats) const {
  constexpr int kMaxBatch = 16;
  std::shared_ptr<Table> batch[kMaxBatch];
  Status open_error;
  bool found = false;
  ValueType type = kTypeValue;
  size_t level = 0, run = 0;  // the next run to consider
  for (int limit = 2; !found; limit = std::min(2 * limit, kMaxBatch)) {
    int n = 0;
    while (n < limit && level < levels_.size()) {
      if (run == levels_[level].runs.size()) {
        level++;
        run = 0;
        continue;
      }
      const Run& r = levels_[level].runs[run++];
      const int i = r.FindFile(user_key);
      if (i < 0) continue;
      const FileMetaData& f = *r.files[i];
      if (f.smallest_seq > seq) continue;  // every entry is too new
      open_error = cache->FindTable(f, &batch[n]);
      if (!open_error.ok()) {
        level = levels_.size();
        break;
      }
      batch[n++]->PrefetchFilter(hash);
    }
    for (int j = 0; j < n && !found; j++) {
      Status s = batch[j]->Get(options, user_key, hash, seq, &found, &type, value, stats);
      if (!s.ok()) return s;
    }
    if (level == levels_.size()) break;
  }
  if (found) return type == kTypeValue ? Status::OK() : Status::NotFound("deleted");
  if (!open_error.ok()) return open_error;
  return Status::NotFound("absent");
}

void Version::AddIterators(const ReadOptions& options, TableCache* cache,
                           std::vector<Iterator*>* iters, ReadStats* stats) const {
  for (const Level& level : levels_) {
    for (const Run& run : level.runs) {
      std::vector<RunFile> bounds;
      bounds.reserve(run.files.size());
      for (const FileRef& f : run.files) bounds.push_back(RunFile{f->smallest, f->largest});
      std::vector<FileRef> files = run.files;  // keeps metadata alive
      iters->push_back(NewRunIterator(
          std::move(bounds), [cache, options, stats, files = std::move(files)](size_t i) {
            return cache->NewIterator(options, *files[i], stats);
          }));
    }
  }
}

std::vector<RunPosition> Version::RunOrder() const {
  std::vector<RunPosition> order;
  for (int l = 0; l < num_levels(); ++l) {
    for (int i = 0; i < static_cast<int>(levels_[l].runs.size()); ++i) order.push_back({l, i});
  }
  return order;
}

const Run* Version::FindRun(int level, uint64_t run_id) const {
  if (level < 0 || level >= num_levels()) return nullptr;
  for (const Run& r : levels_[level].runs) {
    if (r.id == run_id) return &r;
  }
  return nullptr;
}

uint64_t Version::TotalBytes() const {
  uint64_t t = 0;
  for (const Level& l : levels_) t += l.bytes;
  return t;
}

int Version::TotalRuns() const {
  int t = 0;
  for (const Level& l : levels_) t += static_cast<int>(l.runs.size());
  return t;
}

int Version::TotalFiles() const {
  int t = 0;
  for (const Level& l : levels_) {
    for (const Run& r : l.runs) t += static_cast<int>(r.files.size());
  }
  return t;
}

uint64_t Version::TotalEntries() const {
  uint64_t t = 0;
  for (const Level& l : levels_) {
    for (const Run& r : l.runs) t += r.entries;
  }
  return t;
}

uint64_t Version::TotalDeletions() const {
  uint64_t t = 0;
  for (const Level& l : levels_) {
    for (const Run& r : l.runs) t += r.deletions;
  }
  return t;
}

uint64_t Version::MaxRunId() const {
  uint64_t m = 0;
  for (const Level& l : levels_) {
    for (const Run& r : l.runs) m = std::max(m, r.id);
  }
  return m;
}

std::string Version::DebugString() const {
  std::string r;
  for (int l = 0; l < num_levels(); ++l) {
    for (const Run& run : levels_[l].runs) {
      r += 'L';
      r += std::to_string(l);
      r += " run ";
      r += std::to_string(run.id);
      r += ':';
      for (const FileRef& f : run.files) {
        r += ' ';
        r += std::to_string(f->number);
        r += '[';
        r += f->smallest_user_key();
        r += "..";
        r += f->largest_user_key();
        r += ']';
      }
      r += "\n";
    }
  }
  return r;
}

Status Version::Apply(const Version& base, const VersionEdit& edit,
                      std::shared_ptr<Version>* result) {
  // (level, run id) -> files by number.
  std::map<std::pair<int, uint64_t>, std::map<uint64_t, FileRef>> runs;
  for (int l = 0; l < base.num_levels(); ++l) {
    for (const Run& run : base.levels_[l].runs) {
      auto& files = runs[{l, run.id}];
      for (const FileRef& f : run.files) files[f->number] = f;
    }
  }
  for (const VersionEdit::DeletedFile& d : edit.deleted_files()) {
    auto it = runs.find({d.level, d.run_id});
    if (it == runs.end() || it->second.erase(d.number) == 0) {
      return Status::Corruption("manifest: removes file " + std::to_string(d.number) +
                                " not in level " + std::to_string(d.level) + " run " +
                                std::to_string(d.run_id));
    }
  }
  std::set<uint64_t> numbers;
  for (auto& [key, files] : runs) {
    for (auto& [n, f] : files) numbers.insert(n);
  }
  for (const VersionEdit::NewFile& nf : edit.new_files()) {
    if (nf.level < 0 || nf.level >= base.num_levels()) {
      return Status::Corruption("manifest: file " + std::to_string(nf.meta.number) +
                                " at level " + std::to_string(nf.level) + " beyond num_levels " +
                                std::to_string(base.num_levels()));
    }
    if (!numbers.insert(nf.meta.number).second) {
      return Status::Corruption("manifest: file " + std::to_string(nf.meta.number) +
                                " added twice");
    }
    runs[{nf.level, nf.run_id}][nf.meta.number] = std::make_shared<const FileMetaData>(nf.meta);
  }
  // A run id may appear at one level only.
  std::map<uint64_t, int> run_level;
  auto v = std::make_shared<Version>(base.num_levels());
  for (auto& [key, files] : runs) {
    if (files.empty()) continue;
    auto [it, inserted] = run_level.emplace(key.second, key.first);
    if (!inserted) {
      return Status::Corruption("manifest: run " + std::to_string(key.second) +
                                " at two levels");
    }
    Run run;
    run.id = key.second;
    for (auto& [n, f] : files) run.files.push_back(f);
    std::sort(run.files.begin(), run.files.end(), [](const FileRef& a, const FileRef& b) {
      return CompareUserKey(a->smallest_user_key(), b->smallest_user_key()) < 0;
    });
    for (size_t i = 0; i < run.files.size(); ++i) {
      const FileMetaData& f = *run.files[i];
      if (i > 0 && CompareUserKey(run.files[i - 1]->largest_user_key(),
                                  f.smallest_user_key()) >= 0) {
        return Status::Corruption("manifest: files " + std::to_string(run.files[i - 1]->number) +
                                  " and " + std::to_string(f.number) + " of run " +
                                  std::to_string(run.id) + " overlap");
      }
      run.bytes += f.file_size;
      run.entries += f.num_entries;
      run.deletions += f.num_deletions;
    }
    Level& level = v->levels_[key.first];
    level.bytes += run.bytes;
    level.runs.push_back(std::move(run));
  }
  for (Level& level : v->levels_) {
    std::sort(level.runs.begin(), level.runs.end(),
              [](const Run& a, const Run& b) { return a.id > b.id; });
  }
  *result = std::move(v);
  return Status::OK();
}

}  // namespace firn
