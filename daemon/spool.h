/*
 * spool.h - file-system helpers for the daemon's spool directory.
 *
 * The spool holds every run's buffers under <spool_dir>/runs/<run_id>/
 * <stream_id>/ (engine/buffer.h describes a stream folder). The service
 * (service.c) decides what to keep; these helpers measure, remove and check
 * names, and know nothing of runs. Every function is thread-safe (no shared
 * state) and may block on the file system, so the loop thread calls them
 * only for small folders or at start-up and housekeeping.
 */
#ifndef DXT_DAEMON_SPOOL_H
#define DXT_DAEMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

/* The folder of the spool that holds run folders. */
#define DXT_SPOOL_RUNS "runs"

/*
 * Sums the sizes (st_size) of the regular files under `dir`, recursively,
 * without following symbolic links. A missing `dir` is 0 bytes, not an
 * error; an unreadable sub-folder is skipped (its files are not counted).
 */
uint64_t dxt_spool_du(const char *dir);

/*
 * Removes the tree `dir` (missing is fine). *freed (MAY be NULL) receives
 * the bytes its files held, measured just before the removal. DXT_EIO with
 * `err` naming the path when something could not be removed.
 */
int dxt_spool_remove(const char *dir, uint64_t *freed, struct dxt_error *err);

/* Writes a byte count for people: "512 B", "1.5 KiB", "10.2 GiB". */
void dxt_spool_human(uint64_t n, char *buf, size_t len);

/*
 * Whether `name` is safe to join to a folder: non-empty, shorter than
 * PATH_MAX, not absolute, without a "." or ".." component, empty
 * components or control characters. With `allow_slash` false it must
 * also be a single component (a stream id); with it true it MAY have
 * several ("files/a/b.csv"). The caller has already got a NUL-terminated
 * string, so an embedded NUL shows as a shorter name; callers that receive
 * a length check it against strlen() first.
 */
bool dxt_spool_name_ok(const char *name, bool allow_slash);

/*
 * Checks that `dir` exists and a file can be created in it (creates and
 * removes a small probe file). DXT_EIO naming the folder and the system's
 * reason otherwise.
 */
int dxt_spool_probe(const char *dir, struct dxt_error *err);

#endif /* DXT_DAEMON_SPOOL_H */
