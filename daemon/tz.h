/*
 * tz.h - time zones from the system's TZif files, without TZ or localtime.
 *
 * The C library's time zone support goes through the process-global TZ
 * variable and localtime(), which are neither thread-safe nor able to hold
 * two zones at once. A struct dxt_tz is a zone loaded once from
 * /usr/share/zoneinfo/<name> (RFC 8536 TZif, versions 1 to 4; the 64-bit
 * data of version 2 and later; the POSIX TZ rule of the footer, such as
 * "CET-1CEST,M3.5.0,M10.5.0/3", for instants after the last transition of
 * the table). "UTC" and "Etc/UTC" are built in and need no file. The
 * directory may be moved with the TZDIR environment variable (an absolute
 * path), as with the C library.
 *
 * Times are seconds since 1970-01-01 00:00:00 UTC ("UTC seconds"), leap
 * seconds not counted. A "local time" is the wall-clock reading of a zone
 * expressed the same way, as if that reading were UTC: 2024-03-31 03:00
 * in Paris is the local time 1711854000.
 *
 * A loaded zone is immutable: every function below may be called from any
 * thread at once. The package that provides the files is tzdata.
 */
#ifndef DXT_DAEMON_TZ_H
#define DXT_DAEMON_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

struct dxt_tz;

/* Longest accepted zone name ("America/Argentina/ComodRivadavia" is 32). */
#define DXT_TZ_NAME_MAX 255

/*
 * Loads the zone `name` ("Europe/Paris"). Names are relative paths made of
 * letters, digits and "_+-." with "/" between components; "..", ".",
 * empty components and a leading "/" are refused, so a name never leaves
 * the zone directory. On success *out is a new zone the caller frees with
 * dxt_tz_free(). Errors: DXT_EINVAL (a malformed name), DXT_ENOTFOUND (no
 * such zone), DXT_EPARSE (the file is not a valid TZif file, or holds leap
 * seconds, which dxt does not count), DXT_EIO, DXT_ENOMEM; the message
 * quotes the name, e.g. `unknown time zone "Mars/Base"`.
 */
int dxt_tz_load(const char *name, struct dxt_tz **out, struct dxt_error *err);

/*
 * Builds the zone `name` from the TZif bytes `data` (a whole file as read
 * from the zone directory). `name` is only recorded. Same errors as
 * dxt_tz_load() for the content; `data` is not kept.
 */
int dxt_tz_parse(const char *name, const void *data, size_t len,
		 struct dxt_tz **out, struct dxt_error *err);

/* Frees a zone; NULL is a no-op. */
void dxt_tz_free(struct dxt_tz *tz);

/* The name the zone was loaded under ("Europe/Paris"). */
const char *dxt_tz_name(const struct dxt_tz *tz);

/* Whether the zone is UTC (built in; every offset is 0). */
int dxt_tz_is_utc(const struct dxt_tz *tz);

/* The offset in seconds east of UTC in effect at `utc_secs` (7200 for
 * Paris in summer, -18000 for New York in winter). */
int dxt_tz_offset(const struct dxt_tz *tz, int64_t utc_secs);

/*
 * The abbreviation in effect at `utc_secs` ("CEST", "EST", "+0530").
 * Points into the zone; valid until dxt_tz_free(). Never NULL.
 */
const char *dxt_tz_abbrev(const struct dxt_tz *tz, int64_t utc_secs);

/*
 * The first instant after `utc_secs` at which the offset changes, or
 * INT64_MAX when it never changes again. Transitions that only rename the
 * zone (same offset) are skipped.
 */
int64_t dxt_tz_next_transition(const struct dxt_tz *tz, int64_t utc_secs);

/* How a local time maps to UTC. */
enum dxt_tz_kind {
	DXT_TZ_EXACT = 0,  /* it happens exactly once */
	DXT_TZ_GAP = 1,    /* clocks jumped over it (spring forward) */
	DXT_TZ_OVERLAP = 2 /* it happens twice (fall back) */
};

struct dxt_tz_local {
	enum dxt_tz_kind kind;
	/*
	 * EXACT: the instant. OVERLAP: the earlier of the two instants.
	 * GAP: the instant of the transition that skipped it, that is the
	 * first instant after the gap (2024-03-31 01:00:00 UTC, read 03:00
	 * in Paris, for any local time from 02:00 to 02:59:59 that day).
	 */
	int64_t first;
	/* OVERLAP: the later instant. Otherwise equal to `first`. */
	int64_t second;
};

/*
 * Converts the local time `local_secs` of the zone to UTC, saying whether
 * it falls in a gap or an overlap (see struct dxt_tz_local). The answer is
 * EXACT for every local time of UTC.
 */
void dxt_tz_resolve(const struct dxt_tz *tz, int64_t local_secs,
		    struct dxt_tz_local *out);

/*
 * Writes `utc_secs` as the zone's wall clock in ISO 8601 with its offset
 * ("2024-03-31T03:00:00+02:00"; "2024-01-01T00:00:00Z" in UTC) into `buf`
 * (40 bytes are always enough). Returns `buf`.
 */
char *dxt_tz_format(const struct dxt_tz *tz, int64_t utc_secs, char *buf,
		    size_t size);

/* A broken-down calendar time (proleptic Gregorian calendar). */
struct dxt_civil {
	int year;   /* 2024 */
	int month;  /* 1-12 */
	int day;    /* 1-31 */
	int hour;   /* 0-23 */
	int minute; /* 0-59 */
	int second; /* 0-59 */
	int wday;   /* 0-6, Sunday = 0 */
	int yday;   /* 0-365, 1 January = 0 */
};

/* Splits seconds since the epoch (UTC seconds or a local time) into
 * calendar fields. Valid for years -1000000 to 1000000. */
void dxt_civil_split(int64_t secs, struct dxt_civil *out);

/*
 * The seconds since the epoch of a calendar time; `month` is 1-12, the
 * other fields may run past their usual range (day 32 of January is
 * 1 February; second -1 is the last second of the previous minute).
 */
int64_t dxt_civil_join(int year, int month, int day, int hour, int minute,
		       int second);

/* Days since 1970-01-01 of a calendar date (month 1-12, day 1-31). */
int64_t dxt_days_from_civil(int64_t year, int month, int day);

/* Whether `year` is a leap year, and the number of days of a month. */
int dxt_is_leap_year(int64_t year);
int dxt_days_in_month(int64_t year, int month);

#endif /* DXT_DAEMON_TZ_H */
