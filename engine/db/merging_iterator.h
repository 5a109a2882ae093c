// db/merging_iterator.h: one ordered view over several internal-key
// iterators (the memtables and the sorted runs of a read).
#ifndef FIRN_DB_MERGING_ITERATOR_H_
#define FIRN_DB_MERGING_ITERATOR_H_

#include <vector>

#include "firn/iterator.h"

namespace firn {

// Returns an iterator yielding the union of the children's entries in
// internal-key order (db/dbformat.h, CompareInternalKey), both directions.
// Takes ownership of the children (deleted with the result).
//
// Equal keys in several children are all yielded, ordered by child index
// (highest index first when moving backwards). Keys shorter than an
// internal-key tag are ordered bytewise rather than decoded.
// Errors: when a child stops with a non-OK status the merged iterator
// becomes invalid too (yielding the others' entries would skip versions
// and could show a stale value); status() is the first non-OK child status
// in child order.
// Thread safety: as any Iterator; the children must not be used elsewhere.
Iterator* NewMergingIterator(std::vector<Iterator*> children);

}  // namespace firn

#endif  // FIRN_DB_MERGING_ITERATOR_H_
