/* sensor_logger: firn on a firmware-style main loop (docs/edge.md).
 *
 * A device samples a few sensors once per (simulated) second, stores each
 * reading under a time-series key, reads the last hour of one sensor back,
 * and gives the store its idle time through firn_maintain: the database
 * runs with background=none, so no thread is ever started, and within a
 * fixed memory budget.
 *
 *   sensor_logger DIR [seconds]   (default 7200 simulated seconds)
 *
 * Exits 0 iff the last hour read back holds exactly the readings written.
 * Keys:   "s<sensor>/<unix time, 10 digits>" (sorted by sensor, then time)
 * Values: "<centi-degrees>" as decimal text.
 */
#include <firn/firn.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  kSensors = 4,
  kHour = 3600,
  kMaintainBudgetUs = 2000, /* idle time given to the store per tick */
};
static const uint32_t kStartTime = 1700000000u;

/* A deterministic "sensor": temperature in centi-degrees. */
static int32_t Sample(int sensor, uint32_t t) {
  uint32_t x = t * 2654435761u ^ (uint32_t)sensor * 40503u;
  x ^= x >> 15;
  return 2000 + sensor * 150 + (int32_t)(t % 600) - 300 + (int32_t)(x % 7);
}

static size_t MakeKey(char *buf, size_t cap, int sensor, uint32_t t) {
  int n = snprintf(buf, cap, "s%d/%010u", sensor, (unsigned)t);
  return n < 0 ? 0 : (size_t)n;
}

static int Check(firn_status s, const char *what) {
  if (s == FIRN_OK) return 1;
  fprintf(stderr, "sensor_logger: %s: %s\n", what, firn_last_error());
  return 0;
}

/* Reads sensor `sensor` from `from` (inclusive) to `to` (exclusive) and
 * checks every reading. Returns the number of readings, or -1. */
static long ReadBack(firn_db *db, int sensor, uint32_t from, uint32_t to) {
  firn_iter *it = NULL;
  char key[32], end[32];
  size_t klen = MakeKey(key, sizeof key, sensor, from);
  size_t elen = MakeKey(end, sizeof end, sensor, to);
  long n = 0;
  if (!Check(firn_iter_new(db, &it), "iterator")) return -1;
  for (firn_iter_seek(it, key, klen); firn_iter_valid(it); firn_iter_next(it)) {
    size_t len, vlen;
    const char *k = firn_iter_key(it, &len);
    const char *v = firn_iter_value(it, &vlen);
    char expect[16];
    uint32_t t;
    if (len != elen || memcmp(k, end, elen) >= 0) break;
    t = (uint32_t)strtoul(k + 3, NULL, 10);
    snprintf(expect, sizeof expect, "%d", (int)Sample(sensor, t));
    if (t != from + (uint32_t)n || vlen != strlen(expect) || memcmp(v, expect, vlen) != 0) {
      fprintf(stderr, "sensor_logger: wrong reading at t=%u\n", (unsigned)t);
      n = -1;
      break;
    }
    n++;
  }
  if (n >= 0 && !Check(firn_iter_status(it), "iterator status")) n = -1;
  firn_iter_free(it);
  return n;
}

int main(int argc, char **argv) {
  firn_options *opts;
  firn_db *db = NULL;
  uint32_t seconds = 7200, t;
  long got;
  char *wear, *maint;
  int ok = 1;
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: sensor_logger DIR [seconds]\n");
    return 2;
  }
  if (argc == 3) seconds = (uint32_t)strtoul(argv[2], NULL, 10);
  if (seconds < kHour) seconds = kHour;

  opts = firn_options_new();
  ok = Check(firn_options_set(opts, "background", "none"), "option background") &&
       Check(firn_options_set(opts, "memory_budget_bytes", "1M"), "option budget") &&
       /* e.g. 64 MiB of flash rated for 3000 program/erase cycles */
       Check(firn_options_set(opts, "flash_endurance_bytes", "192G"), "option endurance") &&
       Check(firn_open(argv[1], opts, &db), "open");
  firn_options_free(opts);
  if (!ok) return 1;

  /* The main loop: sample, store, then idle time for the store. */
  for (t = kStartTime; ok && t < kStartTime + seconds; t++) {
    int sensor;
    for (sensor = 0; ok && sensor < kSensors; sensor++) {
      char key[32], val[16];
      size_t klen = MakeKey(key, sizeof key, sensor, t);
      int vlen = snprintf(val, sizeof val, "%d", (int)Sample(sensor, t));
      ok = Check(firn_put(db, key, klen, val, (size_t)vlen), "put");
    }
    if (ok) ok = Check(firn_maintain(db, kMaintainBudgetUs), "maintain");
  }
  if (!ok) {
    firn_close(db);
    return 1;
  }

  /* The last hour of sensor 1. */
  got = ReadBack(db, 1, t - kHour, t);
  printf("sensor_logger: %u s logged from %d sensors; last hour of sensor 1: %ld readings\n",
         (unsigned)seconds, kSensors, got);
  if (got != kHour) ok = 0;

  wear = firn_property(db, "firn.wear");
  maint = firn_property(db, "firn.maintain");
  if (wear != NULL) printf("%s", wear);
  if (maint != NULL) printf("%s", maint);
  firn_free(wear);
  firn_free(maint);
  if (!Check(firn_close(db), "close")) ok = 0;
  printf("sensor_logger: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
