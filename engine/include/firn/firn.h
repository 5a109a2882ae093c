/* firn/firn.h: the C API of firn, an embedded key-value store.
 *
 * Every call returning firn_status returns FIRN_OK on success; on failure
 * firn_last_error() gives a message naming the cause (for corruption: file
 * and offset), valid until this thread's next firn call.
 *
 * Ownership: objects made by a *_new or firn_open call are freed by the
 * matching *_free / firn_close. Buffers returned through firn_get and
 * firn_property are freed with firn_free. Iterators must be freed before
 * their database is closed.
 * Thread safety: a firn_db may be used from several threads at once; a
 * firn_batch, firn_iter or firn_options by one thread at a time.
 * NULL handles, and NULL pointers with a non-zero length, return
 * FIRN_INVALID_ARGUMENT; they never crash.
 *
 * Durability: a write acknowledged with FIRN_OK survives a kill of the
 * process even with sync=false; with sync=true, or after firn_sync or
 * firn_close returned FIRN_OK, it survives a power cut. Recovery restores a
 * prefix of the acknowledged writes, never a hole. See docs/durability.md.
 */
#ifndef FIRN_FIRN_H_
#define FIRN_FIRN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct firn_db firn_db;
typedef struct firn_options firn_options;
typedef struct firn_batch firn_batch;
typedef struct firn_iter firn_iter;

typedef enum {
  FIRN_OK = 0,
  FIRN_NOT_FOUND = 1,
  FIRN_INVALID_ARGUMENT = -1,
  FIRN_IO_ERROR = -2,
  FIRN_CORRUPTION = -3,
  FIRN_NO_SPACE = -4,
  FIRN_BUSY = -5
} firn_status;

/* Message of this thread's last failed call ("" if none). */
const char *firn_last_error(void);

firn_options *firn_options_new(void);
void firn_options_free(firn_options *);
/* Unknown name or bad value: FIRN_INVALID_ARGUMENT, options unchanged.
 * Names: create_if_missing, error_if_exists, sync, memtable_bytes,
 * compaction (learned|tiered|leveled), compression (lz4|none),
 * wal_compression (true|false),
 * max_key_bytes, max_value_bytes, and the rest listed in firn/options.h. */
firn_status firn_options_set(firn_options *, const char *name, const char *value);

/* opts may be NULL for defaults. A second open of the same directory
 * (this or another process) returns FIRN_BUSY. */
firn_status firn_open(const char *path, const firn_options *opts, firn_db **out);
/* Everything written before it is durable when it returns FIRN_OK. The
 * handle is freed whatever the result. */
firn_status firn_close(firn_db *);

firn_status firn_put(firn_db *, const void *key, size_t klen, const void *val, size_t vlen);
/* FIRN_NOT_FOUND if absent. *val is freed with firn_free. */
firn_status firn_get(firn_db *, const void *key, size_t klen, void **val, size_t *vlen);
firn_status firn_delete(firn_db *, const void *key, size_t klen);
/* All earlier writes survive power loss once it returns FIRN_OK. */
firn_status firn_sync(firn_db *);

firn_batch *firn_batch_new(void);
void firn_batch_free(firn_batch *);
void firn_batch_put(firn_batch *, const void *key, size_t klen, const void *val, size_t vlen);
void firn_batch_delete(firn_batch *, const void *key, size_t klen);
void firn_batch_clear(firn_batch *);
/* Atomic: all or nothing, also across a crash. */
firn_status firn_write(firn_db *, const firn_batch *);

/* A consistent snapshot of the database at the time of the call. */
firn_status firn_iter_new(firn_db *, firn_iter **out);
void firn_iter_seek(firn_iter *, const void *key, size_t klen); /* first key >= key */
void firn_iter_seek_first(firn_iter *);
void firn_iter_seek_last(firn_iter *);
int firn_iter_valid(const firn_iter *);
void firn_iter_next(firn_iter *);
void firn_iter_prev(firn_iter *);
/* Valid until the iterator moves or is freed. NULL if not valid. */
const void *firn_iter_key(const firn_iter *, size_t *len);
const void *firn_iter_value(const firn_iter *, size_t *len);
firn_status firn_iter_status(const firn_iter *);
void firn_iter_free(firn_iter *);

/* Flushes the memtable and compacts everything into one run at the last
 * level. */
firn_status firn_compact(firn_db *);
/* Flushes the memtable to an SST file. */
firn_status firn_flush(firn_db *);
/* Edge devices (docs/edge.md). With the option background=none no thread
 * is started: call firn_maintain from the idle loop. It does pending flush
 * and compaction work in bounded steps for about budget_us microseconds
 * (overrunning by at most one step) and returns; FIRN_OK when there was
 * nothing to do or the steps succeeded. With background=thread it returns
 * FIRN_OK at once. */
firn_status firn_maintain(firn_db *, uint64_t budget_us);
/* NULL if the name is unknown; freed with firn_free. Wear: "firn.wear"
 * (lifetime device bytes written, write amplification, projected life
 * given flash_endurance_bytes). */
char *firn_property(firn_db *, const char *name);
void firn_free(void *);

#ifdef __cplusplus
}
#endif

#endif /* FIRN_FIRN_H_ */
