// db/run_iterator.h: an iterator over one sorted run, the files of which
// are opened lazily, one at a time.
#ifndef FIRN_DB_RUN_ITERATOR_H_
#define FIRN_DB_RUN_ITERATOR_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "firn/iterator.h"

namespace firn {

// One file of a run, described by its smallest and largest internal keys.
struct RunFile {
  std::string smallest;
  std::string largest;
};

// Returns an iterator over the internal keys of a sorted run.
// REQUIRES: `files` are in key order and do not overlap (files[i].largest <
// files[i + 1].smallest in CompareInternalKey order); each file's entries
// lie within [smallest, largest].
//
// open_file(i) returns a new iterator over file i (the run iterator deletes
// it), possibly an error iterator (NewErrorIterator). At most one file is
// open at a time; a file is opened only when the iterator is positioned in
// it, and stays open while the position stays in it. Seek finds its file by
// binary search on the largest keys; moving past a file's end (or start)
// continues in the neighbour file.
// Errors: when a file's iterator stops with a non-OK status the run
// iterator becomes invalid rather than skip to the neighbour; status()
// reports the first error seen, also after later repositioning.
// Thread safety: as any Iterator; open_file is called from the thread that
// moves the iterator.
Iterator* NewRunIterator(std::vector<RunFile> files,
                         std::function<Iterator*(size_t file_index)> open_file);

}  // namespace firn

#endif  // FIRN_DB_RUN_ITERATOR_H_
