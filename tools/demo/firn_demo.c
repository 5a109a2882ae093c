/* firn-demo: a tour of firn through its C API.
 *
 * Usage: firn-demo [DB_PATH [COMPACTION]]   (defaults: ./firn-data learned)
 *
 * Writes 200,000 keys in random order (with overwrites and deletes), reads
 * some back, scans a range, syncs, and prints the tree's shape and the
 * compaction events, so the compaction policy can be seen at work. Run it
 * twice: the second run reopens the same database. */
#include <firn/firn.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check(firn_status s, const char *what) {
  if (s != FIRN_OK && s != FIRN_NOT_FOUND) {
    fprintf(stderr, "firn-demo: %s: %s\n", what, firn_last_error());
    return 1;
  }
  return 0;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "./firn-data";
  const char *compaction = argc > 2 ? argv[2] : "learned";
  enum { kKeys = 200000 };

  firn_options *opts = firn_options_new();
  if (check(firn_options_set(opts, "compaction", compaction), "option compaction") ||
      check(firn_options_set(opts, "memtable_bytes", "1M"), "option memtable_bytes")) {
    return 2;
  }
  firn_db *db = NULL;
  if (check(firn_open(path, opts, &db), "open")) return 3;
  firn_options_free(opts);
  printf("opened %s (compaction=%s)\n", path, compaction);

  /* Writes: a permutation of the key space, then overwrites and deletes. */
  double t0 = now_seconds();
  uint64_t x = 88172645463325252ull;
  char key[32], value[128];
  for (int i = 0; i < kKeys; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int k = (int)(x % kKeys);
    snprintf(key, sizeof(key), "sensor/%06d", k);
    int vlen = snprintf(value, sizeof(value), "reading=%d;seq=%d;pad=................................", k * 3, i);
    if (check(firn_put(db, key, strlen(key), value, (size_t)vlen), "put")) return 3;
  }
  firn_batch *batch = firn_batch_new();
  for (int k = 0; k < 1000; ++k) {
    snprintf(key, sizeof(key), "sensor/%06d", k * 7);
    firn_batch_delete(batch, key, strlen(key));
  }
  if (check(firn_write(db, batch), "batch")) return 3;
  firn_batch_free(batch);
  if (check(firn_sync(db), "sync")) return 3;
  double t1 = now_seconds();
  printf("wrote %d puts + 1000 deletes in %.2f s (%.0f ops/s)\n", kKeys, t1 - t0,
         (kKeys + 1000) / (t1 - t0));

  /* Reads. */
  int found = 0;
  for (int k = 0; k < 20000; ++k) {
    snprintf(key, sizeof(key), "sensor/%06d", (k * 9973) % kKeys);
    void *val = NULL;
    size_t vlen = 0;
    firn_status s = firn_get(db, key, strlen(key), &val, &vlen);
    if (check(s, "get")) return 3;
    if (s == FIRN_OK) found++;
    firn_free(val);
  }
  printf("20000 gets: %d found, %.2f s\n", found, now_seconds() - t1);

  /* A range scan. */
  firn_iter *it = NULL;
  if (check(firn_iter_new(db, &it), "iterator")) return 3;
  int n = 0;
  for (firn_iter_seek(it, "sensor/100000", 13); firn_iter_valid(it) && n < 5; firn_iter_next(it), ++n) {
    size_t klen, vlen;
    const char *k = firn_iter_key(it, &klen);
    const char *v = firn_iter_value(it, &vlen);
    printf("  %.*s = %.*s\n", (int)klen, k, (int)(vlen > 24 ? 24 : vlen), v);
  }
  if (check(firn_iter_status(it), "scan")) return 3;
  firn_iter_free(it);

  char *stats = firn_property(db, "firn.stats");
  char *events = firn_property(db, "firn.events");
  printf("\n%s\nrecent events:\n%s", stats ? stats : "", events ? events : "");
  firn_free(stats);
  firn_free(events);
  if (check(firn_close(db), "close")) return 3;
  printf("closed; run again to reopen %s\n", path);
  return 0;
}
