/*
 * cron.h - a pipeline's `schedule:` and the instants it fires at.
 *
 * Forms of `schedule:` (in this comment `*\/` stands for a star followed by
 * a slash, which would end a C comment)
 *
 *   schedule: "*\/15 * * * *"                 # cron, in UTC
 *   schedule: "@daily"                        # a macro
 *   schedule: "@every 15m"                    # a fixed interval
 *   schedule: {cron: "0 3 * * 1-5", timezone: Europe/Paris}
 *   schedule: {every: 15m}                    # same as "@every 15m"
 *
 * Cron expressions have five fields separated by spaces or tabs:
 *
 *   minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
 *   day-of-week 0-7 or SUN-SAT (0 and 7 are Sunday)
 *
 * A field is a comma-separated list of items; an item is `*`, a value
 * `5`, a range `1-5`, each optionally followed by a step: `*\/15`
 * (every 15th value of the field), `10-50/10` (10, 20, ..., 50), `5/20`
 * (from 5 to the end of the field: 5, 25, 45). Names are three letters,
 * in any case (`jan`, `Mon`), and may end ranges (`MON-FRI`; `SAT-SUN` ends
 * on Sunday as 7). Ranges do not wrap around (`FRI-MON` is refused).
 *
 * Days: when both day-of-month and day-of-week are restricted, a day
 * matches when EITHER matches (`0 0 13 * FRI` fires on every 13th and on
 * every Friday). As in Vixie cron and cronie, a field that starts with `*`
 * (`*`, `*\/2`) counts as unrestricted for this rule, and then both fields
 * must match. An expression no day can ever match (`0 0 30 2 *`) is refused.
 *
 * Macros (any case): @yearly and @annually (0 0 1 1 *), @monthly
 * (0 0 1 * *), @weekly (0 0 * * 0), @daily and @midnight (0 0 * * *),
 * @hourly (0 * * * *).
 *
 * Intervals: `@every <duration>` with the units of dxt_parse_duration()
 * (s, m, h, d, ms; "90s", "1h30m", "2h", "1d"), at least 1s. An interval
 * fires at the multiples of itself counted from 1970-01-01 00:00:00 UTC
 * (every 15m fires at :00, :15, :30, :45 of each hour; every 1d at 00:00
 * UTC), so a restarted daemon keeps the cadence. The time zone does not
 * apply to intervals: use a cron expression for local wall-clock times.
 *
 * Time zones: cron fields are read as the wall clock of the schedule's
 * zone (default UTC), and daylight saving time changes are handled as
 * cronie does:
 *   - A schedule whose minute or hour field starts with `*` (`*\/15 * * * *`,
 *     `0 * * * *`, @hourly) follows the clock as it is: a wall-clock time
 *     that does not exist (spring forward) is skipped, and one that happens
 *     twice (fall back) fires twice, so the job keeps its real-time pace.
 *   - Any other schedule (fixed times: `30 2 * * *`, @daily) fires once
 *     for each matching wall-clock time: a time in a spring-forward gap
 *     fires at the first instant after the gap (02:30 in Paris on
 *     2024-03-31 fires at 03:00 CEST, 01:00 UTC), once however many
 *     matching times the gap swallowed; a time that happens twice fires at
 *     its first occurrence only (02:30 on 2024-10-27 fires at 02:30 CEST,
 *     00:30 UTC).
 *
 * Errors name the schedule and, for cron, the field:
 * `schedule: field 2 (hour): 25 is out of range 0-23`,
 * `schedule: unknown time zone "Mars/Base" (...)`.
 *
 * A parsed schedule is immutable: any thread may use it at once.
 */
#ifndef DXT_DAEMON_CRON_H
#define DXT_DAEMON_CRON_H

#include <jansson.h>
#include <stdint.h>

#include "engine/error.h"

struct dxt_cron;

/*
 * Parses `expr` (a cron expression, a macro or "@every <duration>") read
 * in the zone `tz_name` (NULL for UTC; ignored by @every, though it must
 * still name a zone). A NULL `expr` is refused like an empty one. On success *out is a new schedule the caller frees
 * with dxt_cron_free(). Returns DXT_ECONFIG for a malformed expression or
 * a zone that does not exist, DXT_EPARSE or DXT_EIO when the zone file
 * cannot be read, DXT_ENOMEM; err's message starts with "schedule: ".
 */
int dxt_cron_parse(const char *expr, const char *tz_name,
		   struct dxt_cron **out, struct dxt_error *err);

/*
 * Parses a pipeline's `schedule:` value: a string (as dxt_cron_parse() in
 * UTC) or an object with exactly one of `cron` (a string as above) and
 * `every` (a duration string, or an integer number of seconds), plus an
 * optional `timezone` (a zone name, default "UTC"). Other keys are
 * refused. Errors as for dxt_cron_parse(); a misplaced key is named in the
 * message ("schedule.every: ...").
 */
int dxt_cron_from_json(const json_t *schedule, struct dxt_cron **out,
		       struct dxt_error *err);

/*
 * The first instant the schedule fires at strictly after `after_us`, in
 * microseconds since the epoch (UTC). Cron schedules fire on whole
 * minutes, intervals on multiples of the interval. Returns INT64_MAX when
 * there is no such instant before the year 100000.
 */
int64_t dxt_cron_next(const struct dxt_cron *c, int64_t after_us);

/*
 * The schedule for display: the expression with its spaces normalised,
 * followed by " (<zone>)" when the zone is not UTC: "0 3 * * 1-5
 * (Europe/Paris)", "@daily", "@every 15m". Valid until dxt_cron_free().
 */
const char *dxt_cron_text(const struct dxt_cron *c);

/* The schedule's zone name ("UTC" unless one was given). */
const char *dxt_cron_timezone(const struct dxt_cron *c);

/* The interval in microseconds of an @every schedule; 0 for cron. */
int64_t dxt_cron_interval(const struct dxt_cron *c);

/* Frees a schedule; NULL is a no-op. */
void dxt_cron_free(struct dxt_cron *c);

#endif /* DXT_DAEMON_CRON_H */
