// firn/iterator.h: ordered traversal over keys and values.
//
// An iterator yields entries in ascending bytewise key order (Next) or
// descending (Prev). It sees one consistent point in time: the state of the
// database when it was created, or its ReadOptions snapshot.
//
// Ownership: the caller owns an iterator returned by DB::NewIterator and
// must delete it before the DB is closed.
// Thread safety: one iterator may not be used from several threads at once
// without external synchronization; distinct iterators need none.
// Errors: a failed read makes the iterator invalid and status() non-OK.
#ifndef FIRN_ITERATOR_H_
#define FIRN_ITERATOR_H_

#include <string_view>

#include "firn/status.h"

namespace firn {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  // True while positioned at an entry.
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;
  // REQUIRES: Valid(). The returned bytes stay valid until the iterator
  // moves or is deleted.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // OK unless a read failed (Corruption names file and offset).
  virtual Status status() const = 0;
};

// An iterator over nothing, or one that only reports `s`.
Iterator* NewEmptyIterator();
Iterator* NewErrorIterator(const Status& s);

}  // namespace firn

#endif  // FIRN_ITERATOR_H_
