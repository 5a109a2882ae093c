// db/db_iter.h: the user-facing iterator, which turns a stream of internal
// keys into the user keys and values visible at one sequence number.
#ifndef FIRN_DB_DB_ITER_H_
#define FIRN_DB_DB_ITER_H_

#include <functional>

#include "db/dbformat.h"
#include "firn/iterator.h"

namespace firn {

// Returns an iterator over `internal` (owned; usually a merging iterator
// over memtables and runs) that yields, for each user key, the newest entry
// with sequence <= `sequence`, and skips the key when that entry is a
// deletion. key() is the user key. Both directions.
//
// The result is invalid until a Seek* call. Seek(target) takes a user key.
// on_destroy, if non-empty, runs in the destructor after `internal` is
// deleted (the DB releases the memtables and version the internal iterator
// read from).
// Errors: a malformed internal key makes the iterator invalid with status
// Corruption("db iterator: bad internal key"); an error of `internal` makes
// it invalid with that status.
// Thread safety: as any Iterator.
Iterator* NewDBIterator(Iterator* internal, SequenceNumber sequence,
                        std::function<void()> on_destroy);

}  // namespace firn

#endif  // FIRN_DB_DB_ITER_H_
