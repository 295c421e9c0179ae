/*
 * units.h - byte sizes and durations as people write them in YAML.
 *
 * Pure functions, any thread.
 */
#ifndef DXT_UNITS_H
#define DXT_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A byte size: digits and an optional unit (B; KB, MB, GB, TB in powers of
 * 1000; K, M, G, T, KiB, MiB, GiB, TiB in powers of 1024; case-insensitive;
 * spaces allowed before the unit). False when the text is not one or
 * overflows.
 */
bool dxt_parse_size(const char *s, uint64_t *out);

/*
 * A duration: one or more <digits><unit> groups with units ms, s, m, h, d
 * ("90s", "1h30m", "7d", "250ms"), or bare digits meaning seconds. Stores
 * microseconds. False when the text is not one or overflows.
 */
bool dxt_parse_duration(const char *s, int64_t *out_us);

#endif /* DXT_UNITS_H */
