/*
 * test_cron.c - schedules: cron fields and their errors, next fire times
 * across month and year ends, leap days, the day-of-month/day-of-week rule,
 * macros, @every, and wall-clock schedules through DST changes.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cron.h"
#include "daemon/tz.h"

#define US 1000000LL

static struct dxt_cron *cron(const char *expr, const char *tz)
{
	struct dxt_error err;
	struct dxt_cron *c = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_cron_parse(expr, tz, &c, &err);
	ck_assert_msg(rc == DXT_OK, "%s: %s", expr, err.message);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* "2024-03-31T02:30:00Z" or "...+02:00" as microseconds. */
static int64_t iso(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	int64_t t;

	ck_assert_int_eq(sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h,
				&mi, &sec, &n), 6);
	t = dxt_civil_join(y, mo, d, h, mi, sec);
	if (s[n] == '+' || s[n] == '-') {
		ck_assert_int_eq(sscanf(s + n + 1, "%d:%d", &oh, &om), 2);
		t -= (s[n] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	} else {
		ck_assert_int_eq(s[n], 'Z');
	}
	return t * US;
}

/* A fire time as the schedule's wall clock ("2024-03-31T03:00:00+02:00"). */
static const char *show(const struct dxt_cron *c, int64_t us)
{
	static char buf[8][48];
	static int n;
	char *b = buf[n++ % 8];
	struct dxt_error err;
	struct dxt_tz *tz = NULL;

	if (us == INT64_MAX)
		return "never";
	ck_assert_int_eq(us % US, 0);
	ck_assert_int_eq(dxt_tz_load(dxt_cron_timezone(c), &tz, &err), DXT_OK);
	dxt_tz_format(tz, us / US, b, 48);
	dxt_tz_free(tz);
	return b;
}

/* Checks the fire times that follow `after`, one after the other. */
static void fires(const char *expr, const char *tz, const char *after,
		  const char *const *want)
{
	struct dxt_cron *c = cron(expr, tz);
	int64_t t = iso(after);

	for (size_t i = 0; want[i] != NULL; i++) {
		int64_t next = dxt_cron_next(c, t);

		ck_assert_msg(strcmp(show(c, next), want[i]) == 0,
			      "%s (%s) after %s: fire %zu is %s, expected %s",
			      expr, tz != NULL ? tz : "UTC",
			      show(c, t), i + 1, show(c, next), want[i]);
		ck_assert(next > t);
		t = next;
	}
	dxt_cron_free(c);
}

#define FIRES(expr, tz, after, ...)                                          \
	do {                                                                 \
		static const char *const want_[] = {__VA_ARGS__, NULL};      \
		fires(expr, tz, after, want_);                               \
	} while (0)

static void refused(const char *expr, const char *tz, int code,
		    const char *message)
{
	struct dxt_error err;
	/* A stale pointer that a failed parse must clear. */
	struct dxt_cron *c = (struct dxt_cron *)&err;
	const char *expr_text = expr;

	dxt_error_clear(&err);
	if (expr == NULL)
		expr_text = "(NULL)";
	ck_assert_msg(dxt_cron_parse(expr, tz, &c, &err) == code,
		      "%s: accepted or wrong code: %s", expr_text, err.message);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(err.message, message, strlen(message)) == 0,
		      "%s: got \"%s\", expected \"%s...\"", expr_text,
		      err.message, message);
	ck_assert_int_eq(err.origin, DXT_ORIGIN_CONFIG);
}

static json_t *json(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &je);

	ck_assert_msg(j != NULL, "%s: %s", text, je.text);
	return j;
}

START_TEST(steps_lists_ranges)
{
	FIRES("*/15 * * * *", NULL, "2024-05-10T10:07:00Z",
	      "2024-05-10T10:15:00Z", "2024-05-10T10:30:00Z",
	      "2024-05-10T10:45:00Z", "2024-05-10T11:00:00Z");
	FIRES("10-50/10 9 * * *", NULL, "2024-05-10T09:00:00Z",
	      "2024-05-10T09:10:00Z", "2024-05-10T09:20:00Z",
	      "2024-05-10T09:30:00Z", "2024-05-10T09:40:00Z",
	      "2024-05-10T09:50:00Z", "2024-05-11T09:10:00Z");
	FIRES("5/20 * * * *", NULL, "2024-05-10T09:00:00Z",
	      "2024-05-10T09:05:00Z", "2024-05-10T09:25:00Z",
	      "2024-05-10T09:45:00Z", "2024-05-10T10:05:00Z");
	FIRES("1,2,30 0 * * *", NULL, "2024-05-10T00:01:00Z",
	      "2024-05-10T00:02:00Z", "2024-05-10T00:30:00Z",
	      "2024-05-11T00:01:00Z");
	FIRES("0 9-17/4 * * *", NULL, "2024-05-10T00:00:00Z",
	      "2024-05-10T09:00:00Z", "2024-05-10T13:00:00Z",
	      "2024-05-10T17:00:00Z", "2024-05-11T09:00:00Z");
	FIRES("0 22-23,0-1 * * *", NULL, "2024-05-10T12:00:00Z",
	      "2024-05-10T22:00:00Z", "2024-05-10T23:00:00Z",
	      "2024-05-11T00:00:00Z", "2024-05-11T01:00:00Z",
	      "2024-05-11T22:00:00Z");
	FIRES("\t0  3 *  * *  ", NULL, "2024-05-10T12:00:00Z",
	      "2024-05-11T03:00:00Z");
}
END_TEST

START_TEST(names_and_sunday_seven)
{
	/* Wednesday 31 January: the next weekday of January or July. */
	FIRES("0 0 * JAN,jul mon-Fri", NULL, "2024-01-31T00:00:00Z",
	      "2024-07-01T00:00:00Z", "2024-07-02T00:00:00Z");
	/* Friday 10 May 2024. */
	FIRES("0 0 * * 7", NULL, "2024-05-10T00:00:00Z",
	      "2024-05-12T00:00:00Z", "2024-05-19T00:00:00Z");
	FIRES("0 0 * * sun", NULL, "2024-05-10T00:00:00Z",
	      "2024-05-12T00:00:00Z");
	FIRES("0 0 * * 5-7", NULL, "2024-05-09T00:00:00Z",
	      "2024-05-10T00:00:00Z", "2024-05-11T00:00:00Z",
	      "2024-05-12T00:00:00Z", "2024-05-17T00:00:00Z");
	FIRES("0 0 * * SAT-SUN", NULL, "2024-05-09T00:00:00Z",
	      "2024-05-11T00:00:00Z", "2024-05-12T00:00:00Z",
	      "2024-05-18T00:00:00Z");
	FIRES("0 0 1 dec-DEC *", NULL, "2024-05-09T00:00:00Z",
	      "2024-12-01T00:00:00Z", "2025-12-01T00:00:00Z");
}
END_TEST

START_TEST(strictly_after)
{
	struct dxt_cron *c = cron("*/15 * * * *", NULL);
	int64_t t = iso("2024-05-10T10:15:00Z");

	ck_assert_str_eq(show(c, dxt_cron_next(c, t)), "2024-05-10T10:30:00Z");
	ck_assert_str_eq(show(c, dxt_cron_next(c, t - 1)),
			 "2024-05-10T10:15:00Z");
	ck_assert_str_eq(show(c, dxt_cron_next(c, t + 1)),
			 "2024-05-10T10:30:00Z");
	/* Before the epoch too. */
	ck_assert(dxt_cron_next(c, -1) == 0);
	ck_assert(dxt_cron_next(c, -900 * US) == 0);
	ck_assert(dxt_cron_next(c, -900 * US - 1) == -900 * US);
	dxt_cron_free(c);
}
END_TEST

START_TEST(month_and_year_ends)
{
	FIRES("0 0 1 * *", NULL, "2024-12-15T00:00:00Z",
	      "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z");
	/* Months without a 31st are skipped. */
	FIRES("0 0 31 * *", NULL, "2024-03-31T00:00:00Z",
	      "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z",
	      "2024-08-31T00:00:00Z", "2024-10-31T00:00:00Z");
	FIRES("0 0 30 * *", NULL, "2024-01-30T00:00:00Z",
	      "2024-03-30T00:00:00Z");
	FIRES("59 23 31 12 *", NULL, "2024-12-31T23:59:00Z",
	      "2025-12-31T23:59:00Z");
	FIRES("* * * * *", NULL, "2024-12-31T23:58:30Z",
	      "2024-12-31T23:59:00Z", "2025-01-01T00:00:00Z",
	      "2025-01-01T00:01:00Z");
}
END_TEST

START_TEST(leap_days)
{
	FIRES("0 12 29 2 *", NULL, "2023-01-01T00:00:00Z",
	      "2024-02-29T12:00:00Z", "2028-02-29T12:00:00Z");
	/* 2100 is not a leap year. */
	FIRES("0 0 29 2 *", NULL, "2096-02-29T00:00:00Z",
	      "2104-02-29T00:00:00Z");
	/* Last day of February, either way. */
	FIRES("0 0 28,29 2 *", NULL, "2023-03-01T00:00:00Z",
	      "2024-02-28T00:00:00Z", "2024-02-29T00:00:00Z",
	      "2025-02-28T00:00:00Z");
	/* 29 February that is a Sunday: 2032, then 2060. */
	FIRES("0 0 29 2 */7", NULL, "2024-01-01T00:00:00Z",
	      "2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z");
}
END_TEST

START_TEST(dom_or_dow)
{
	/* Both restricted: the 13th, and every Friday. */
	FIRES("0 0 13 * 5", NULL, "2024-09-01T00:00:00Z",
	      "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z",
	      "2024-09-20T00:00:00Z", "2024-09-27T00:00:00Z",
	      "2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z",
	      "2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z");
	FIRES("0 0 13 * FRI", NULL, "2024-10-11T00:00:00Z",
	      "2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z");
	/* One side unrestricted: only the other counts. */
	FIRES("0 0 13 * *", NULL, "2024-09-01T00:00:00Z",
	      "2024-09-13T00:00:00Z", "2024-10-13T00:00:00Z");
	FIRES("0 0 * * 5", NULL, "2024-09-01T00:00:00Z",
	      "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z");
	/* A field starting with '*' counts as unrestricted (Vixie cron):
	 * both must match, odd days that are Mondays. */
	FIRES("0 0 */2 * 1", NULL, "2024-09-01T00:00:00Z",
	      "2024-09-09T00:00:00Z", "2024-09-23T00:00:00Z",
	      "2024-10-07T00:00:00Z", "2024-10-21T00:00:00Z");
	/* 30 February never comes, but Mondays of February do. */
	FIRES("0 0 30 2 1", NULL, "2024-01-01T00:00:00Z",
	      "2024-02-05T00:00:00Z");
}
END_TEST

START_TEST(macros)
{
	FIRES("@yearly", NULL, "2024-05-10T10:07:00Z", "2025-01-01T00:00:00Z");
	FIRES("@annually", NULL, "2024-05-10T10:07:00Z",
	      "2025-01-01T00:00:00Z");
	FIRES("@monthly", NULL, "2024-05-10T10:07:00Z",
	      "2024-06-01T00:00:00Z");
	FIRES("@weekly", NULL, "2024-05-10T10:07:00Z", "2024-05-12T00:00:00Z",
	      "2024-05-19T00:00:00Z");
	FIRES("@daily", NULL, "2024-05-10T10:07:00Z", "2024-05-11T00:00:00Z");
	FIRES("@midnight", NULL, "2024-05-10T10:07:00Z",
	      "2024-05-11T00:00:00Z");
	FIRES("@hourly", NULL, "2024-05-10T10:07:00Z", "2024-05-10T11:00:00Z",
	      "2024-05-10T12:00:00Z");
	FIRES("  @DAILY ", NULL, "2024-05-10T10:07:00Z",
	      "2024-05-11T00:00:00Z");
	FIRES("@daily", "Europe/Paris", "2024-05-10T10:07:00Z",
	      "2024-05-11T00:00:00+02:00");
}
END_TEST

START_TEST(every_aligned_to_epoch)
{
	struct dxt_cron *c = cron("@every 15m", NULL);

	ck_assert(dxt_cron_interval(c) == 900 * US);
	ck_assert_str_eq(show(c, dxt_cron_next(c, iso("2024-05-10T10:07:30Z"))),
			 "2024-05-10T10:15:00Z");
	ck_assert_str_eq(show(c, dxt_cron_next(c, iso("2024-05-10T10:15:00Z"))),
			 "2024-05-10T10:30:00Z");
	ck_assert(dxt_cron_next(c, -1) == 0);
	ck_assert(dxt_cron_next(c, -900 * US) == 0);
	dxt_cron_free(c);
	/* 1704067200 (2024-01-01) is a multiple of 90 and 5400, not of 7. */
	FIRES("@every 90s", NULL, "2024-01-01T00:00:00Z",
	      "2024-01-01T00:01:30Z", "2024-01-01T00:03:00Z");
	FIRES("@every 1h30m", NULL, "2024-01-01T00:00:00Z",
	      "2024-01-01T01:30:00Z", "2024-01-01T03:00:00Z");
	FIRES("@every 7s", NULL, "2024-01-01T00:00:00Z",
	      "2024-01-01T00:00:04Z", "2024-01-01T00:00:11Z");
	FIRES("@every 2h", NULL, "2024-05-10T10:07:00Z",
	      "2024-05-10T12:00:00Z");
	FIRES("@every 1d", NULL, "2024-05-10T10:07:00Z",
	      "2024-05-11T00:00:00Z", "2024-05-12T00:00:00Z");
	FIRES("@every 1s", NULL, "2024-05-10T10:07:00Z",
	      "2024-05-10T10:07:01Z");
	/* The zone does not move an interval: a day is UTC midnight. */
	FIRES("@every 1d", "Europe/Paris", "2024-05-10T10:07:00Z",
	      "2024-05-11T02:00:00+02:00");
}
END_TEST

START_TEST(paris_fixed_times)
{
	/* 02:30 does not exist on 31 March: it fires when the gap ends. */
	FIRES("30 2 * * *", "Europe/Paris", "2024-03-30T00:00:00Z",
	      "2024-03-30T02:30:00+01:00", "2024-03-31T03:00:00+02:00",
	      "2024-04-01T02:30:00+02:00");
	/* Two times in the gap fire once. */
	FIRES("0 2,3 * * *", "Europe/Paris", "2024-03-30T12:00:00Z",
	      "2024-03-31T03:00:00+02:00", "2024-04-01T02:00:00+02:00");
	FIRES("0,30 2 * * *", "Europe/Paris", "2024-03-30T12:00:00Z",
	      "2024-03-31T03:00:00+02:00", "2024-04-01T02:00:00+02:00");
	/* 02:30 happens twice on 27 October: only the first counts. */
	FIRES("30 2 * * *", "Europe/Paris", "2024-10-26T00:00:00Z",
	      "2024-10-26T02:30:00+02:00", "2024-10-27T02:30:00+02:00",
	      "2024-10-28T02:30:00+01:00");
	FIRES("0 2,3 * * *", "Europe/Paris", "2024-10-26T12:00:00Z",
	      "2024-10-27T02:00:00+02:00", "2024-10-27T03:00:00+01:00",
	      "2024-10-28T02:00:00+01:00");
	/* Started during the second 02:xx: 02:15 already happened. */
	FIRES("15 2 * * *", "Europe/Paris", "2024-10-27T02:20:00+01:00",
	      "2024-10-28T02:15:00+01:00");
	FIRES("0 9 * * 1-5", "Europe/Paris", "2024-03-29T12:00:00Z",
	      "2024-04-01T09:00:00+02:00");
}
END_TEST

START_TEST(paris_wildcards_follow_the_clock)
{
	FIRES("*/30 * * * *", "Europe/Paris", "2024-03-31T01:15:00+01:00",
	      "2024-03-31T01:30:00+01:00", "2024-03-31T03:00:00+02:00",
	      "2024-03-31T03:30:00+02:00");
	/* 02:15 is skipped, not moved to 03:00. */
	FIRES("15 * * * *", "Europe/Paris", "2024-03-31T01:00:00+01:00",
	      "2024-03-31T01:15:00+01:00", "2024-03-31T03:15:00+02:00");
	/* The repeated hour runs twice. */
	FIRES("*/30 * * * *", "Europe/Paris", "2024-10-27T02:15:00+02:00",
	      "2024-10-27T02:30:00+02:00", "2024-10-27T02:00:00+01:00",
	      "2024-10-27T02:30:00+01:00", "2024-10-27T03:00:00+01:00");
	FIRES("@hourly", "Europe/Paris", "2024-10-27T01:30:00+02:00",
	      "2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00",
	      "2024-10-27T03:00:00+01:00");
	/* A star in the minute field makes a schedule follow the clock too:
	 * no 02:xx on 31 March. */
	FIRES("*/15 2 * * *", "Europe/Paris", "2024-03-30T02:50:00+01:00",
	      "2024-04-01T02:00:00+02:00");
}
END_TEST

START_TEST(new_york)
{
	FIRES("0 2 * * *", "America/New_York", "2024-03-09T12:00:00Z",
	      "2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00");
	FIRES("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z",
	      "2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00");
	FIRES("0 * * * *", "America/New_York", "2024-11-03T00:30:00-04:00",
	      "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00",
	      "2024-11-03T02:00:00-05:00");
	FIRES("0 0 * * *", "America/New_York", "2024-05-10T12:00:00Z",
	      "2024-05-11T00:00:00-04:00");
}
END_TEST

START_TEST(far_future_rules)
{
	/* Beyond the zone file's table, the POSIX rule of its footer. */
	FIRES("0 12 1 7 *", "Europe/Paris", "2200-01-01T00:00:00Z",
	      "2200-07-01T12:00:00+02:00", "2201-07-01T12:00:00+02:00");
	FIRES("30 2 * * *", "Europe/Paris", "2200-03-29T12:00:00Z",
	      "2200-03-30T03:00:00+02:00", "2200-03-31T02:30:00+02:00");
	FIRES("0 0 1 1 *", "Australia/Sydney", "2300-06-01T00:00:00Z",
	      "2301-01-01T00:00:00+11:00");
}
END_TEST

START_TEST(no_fire_past_the_limit)
{
	struct dxt_cron *c = cron("0 0 1 1 *", NULL);
	struct dxt_cron *e = cron("@every 1s", NULL);

	ck_assert(dxt_cron_next(c, iso("99999-06-01T00:00:00Z")) == INT64_MAX);
	ck_assert(dxt_cron_next(c, INT64_MAX - 1) == INT64_MAX);
	ck_assert(dxt_cron_next(e, INT64_MAX - 1) == INT64_MAX);
	ck_assert_str_eq(show(c, dxt_cron_next(c, iso("99998-06-01T00:00:00Z"))),
			 "99999-01-01T00:00:00Z");
	dxt_cron_free(c);
	dxt_cron_free(e);
}
END_TEST

START_TEST(field_errors)
{
	refused("0 25 * * *", NULL, DXT_ECONFIG,
		"schedule: field 2 (hour): 25 is out of range 0-23");
	refused("60 * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): 60 is out of range 0-59");
	refused("0 0 0 * *", NULL, DXT_ECONFIG,
		"schedule: field 3 (day-of-month): 0 is out of range 1-31");
	refused("0 0 * 13 *", NULL, DXT_ECONFIG,
		"schedule: field 4 (month): 13 is out of range 1-12");
	refused("0 0 * * 8", NULL, DXT_ECONFIG,
		"schedule: field 5 (day-of-week): 8 is out of range 0-7");
	refused("0 0 * * 1-99999999999", NULL, DXT_ECONFIG,
		"schedule: field 5 (day-of-week): 99999999999 is out of range "
		"0-7");
	refused("0 0 * FOO *", NULL, DXT_ECONFIG,
		"schedule: field 4 (month): unknown name \"FOO\" (use JAN-DEC "
		"or 1-12)");
	refused("0 0 * * FUNDAY", NULL, DXT_ECONFIG,
		"schedule: field 5 (day-of-week): unknown name \"FUNDAY\" (use "
		"SUN-SAT or 0-7)");
	refused("0 0 * JAN SEP-", NULL, DXT_ECONFIG,
		"schedule: field 5 (day-of-week): unknown name \"SEP\"");
	refused("0 MON * * *", NULL, DXT_ECONFIG,
		"schedule: field 2 (hour): \"MON\" is not a number (0-23)");
	refused("*/0 * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): step 0 is out of range 1-59");
	refused("0 */24 * * *", NULL, DXT_ECONFIG,
		"schedule: field 2 (hour): step 24 is out of range 1-23");
	refused("0 0 * * FRI-MON", NULL, DXT_ECONFIG,
		"schedule: field 5 (day-of-week): range \"FRI-MON\" goes "
		"backwards (ranges do not wrap around: write 5-6,0-1)");
	refused("0 23-1 * * *", NULL, DXT_ECONFIG,
		"schedule: field 2 (hour): range \"23-1\" goes backwards "
		"(ranges do not wrap around: write 23,0-1)");
	refused("0 0 * 12-1 *", NULL, DXT_ECONFIG,
		"schedule: field 4 (month): range \"12-1\" goes backwards "
		"(ranges do not wrap around: write 12,1)");
	refused("1,,2 * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): empty item in \"1,,2\"");
	refused("1, * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): empty item in \"1,\"");
	refused("1- * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): a value is missing after \"-\"");
	refused("*/ * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): \"*/\" needs a step number after "
		"\"/\"");
	refused("0 0 * * MON#2", NULL, DXT_ECONFIG,
		"schedule: field 5 (day-of-week): unexpected \"#\" in "
		"\"MON#2\"");
	refused("0 0 L * *", NULL, DXT_ECONFIG,
		"schedule: field 3 (day-of-month): \"L\" is not a number");
	refused("0 0 ? * *", NULL, DXT_ECONFIG,
		"schedule: field 3 (day-of-month): unexpected \"?\"");
	refused("*5 * * * *", NULL, DXT_ECONFIG,
		"schedule: field 1 (minute): unexpected \"5\" in \"*5\"");
}
END_TEST

START_TEST(expression_errors)
{
	refused("0 3 * *", NULL, DXT_ECONFIG,
		"schedule: expected 5 fields (minute hour day-of-month month "
		"day-of-week), found 4 in \"0 3 * *\"");
	refused("0 0 3 * * * 2024", NULL, DXT_ECONFIG,
		"schedule: expected 5 fields (minute hour day-of-month month "
		"day-of-week), found 7 in \"0 0 3 * * * 2024\" (seconds and "
		"years are not supported)");
	refused("", NULL, DXT_ECONFIG, "schedule: the expression is empty");
	refused(" \t ", NULL, DXT_ECONFIG,
		"schedule: the expression is empty");
	refused(NULL, NULL, DXT_ECONFIG, "schedule: the expression is empty");
	refused("0 0 30 2 *", NULL, DXT_ECONFIG,
		"schedule: \"0 0 30 2 *\" never fires: no month it names has "
		"the days it names");
	refused("0 0 31 4,6,9,11 *", NULL, DXT_ECONFIG,
		"schedule: \"0 0 31 4,6,9,11 *\" never fires");
	refused("@weekely", NULL, DXT_ECONFIG,
		"schedule: unknown macro \"@weekely\" (use @yearly, @annually, "
		"@monthly, @weekly, @daily, @midnight, @hourly or @every "
		"<duration>)");
	refused("@reboot", NULL, DXT_ECONFIG,
		"schedule: unknown macro \"@reboot\"");
	refused("@daily 3", NULL, DXT_ECONFIG,
		"schedule: @daily takes nothing after it, found \"3\"");
	refused("@every", NULL, DXT_ECONFIG,
		"schedule: @every needs a duration, e.g. \"@every 15m\"");
	refused("@every 15 minutes", NULL, DXT_ECONFIG,
		"schedule: \"15 minutes\" is not a duration (write e.g. 90s, "
		"15m, 1h30m, 2h or 1d)");
	refused("@every 500ms", NULL, DXT_ECONFIG,
		"schedule: an interval of 500ms is too short (at least 1s)");
	refused("@every 0s", NULL, DXT_ECONFIG,
		"schedule: an interval of 0s is too short");
	refused("0 3 * * *", "Mars/Base", DXT_ECONFIG,
		"schedule: unknown time zone \"Mars/Base\"");
	refused("0 3 * * *", "../../etc/passwd", DXT_ECONFIG,
		"schedule: invalid time zone name \"../../etc/passwd\"");
	refused("@every 1h", "Mars/Base", DXT_ECONFIG,
		"schedule: unknown time zone \"Mars/Base\"");
}
END_TEST

START_TEST(from_json)
{
	static const struct {
		const char *json;
		const char *text;
		const char *zone;
		const char *after;
		const char *next;
	} ok[] = {
		{"\"0 3 * * *\"", "0 3 * * *", "UTC", "2024-05-10T12:00:00Z",
		 "2024-05-11T03:00:00Z"},
		{"{\"cron\": \"0 3 * * 1-5\", \"timezone\": \"Europe/Paris\"}",
		 "0 3 * * 1-5 (Europe/Paris)", "Europe/Paris",
		 "2024-05-10T12:00:00Z", "2024-05-13T03:00:00+02:00"},
		{"{\"cron\": \"@daily\"}", "@daily", "UTC",
		 "2024-05-10T12:00:00Z", "2024-05-11T00:00:00Z"},
		{"{\"every\": \"15m\"}", "@every 15m", "UTC",
		 "2024-05-10T12:07:00Z", "2024-05-10T12:15:00Z"},
		{"{\"every\": 90}", "@every 90s", "UTC",
		 "2024-01-01T00:00:00Z", "2024-01-01T00:01:30Z"},
		{"{\"every\": \"1h\", \"timezone\": \"America/New_York\"}",
		 "@every 1h", "America/New_York", "2024-05-10T12:07:00Z",
		 "2024-05-10T09:00:00-04:00"},
		{"{\"cron\": \"0 3 * * *\", \"timezone\": \"Etc/UTC\"}",
		 "0 3 * * *", "Etc/UTC", "2024-05-10T12:00:00Z",
		 "2024-05-11T03:00:00Z"},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *j = json(ok[i].json);
		struct dxt_cron *c = NULL;
		struct dxt_error err;

		dxt_error_clear(&err);
		ck_assert_msg(dxt_cron_from_json(j, &c, &err) == DXT_OK,
			      "%s: %s", ok[i].json, err.message);
		ck_assert_str_eq(dxt_cron_text(c), ok[i].text);
		ck_assert_str_eq(dxt_cron_timezone(c), ok[i].zone);
		ck_assert_str_eq(show(c, dxt_cron_next(c, iso(ok[i].after))),
				 ok[i].next);
		dxt_cron_free(c);
		json_decref(j);
	}
}
END_TEST

START_TEST(from_json_errors)
{
	static const struct {
		const char *json;
		const char *message;
	} bad[] = {
		{"{\"cron\": \"0 3 * * *\", \"tz\": \"Europe/Paris\"}",
		 "schedule: unknown key \"tz\" (the keys are cron, every and "
		 "timezone)"},
		{"{\"cron\": \"0 3 * * *\", \"every\": \"1h\"}",
		 "schedule: give either cron or every, not both"},
		{"{}", "schedule: write cron: \"<expression>\" or every: "
		       "<duration>"},
		{"{\"timezone\": \"UTC\"}", "schedule: write cron:"},
		{"{\"cron\": 5}", "schedule.cron: expected a cron expression "
				  "such as \"0 3 * * *\""},
		{"{\"cron\": \"0 3 * * *\", \"timezone\": 1}",
		 "schedule.timezone: expected a zone name such as "
		 "\"Europe/Paris\" or \"UTC\""},
		{"{\"cron\": \"0 25 * * *\"}",
		 "schedule.cron: field 2 (hour): 25 is out of range 0-23"},
		{"{\"cron\": \"0 3 * * *\", \"timezone\": \"Mars/Base\"}",
		 "schedule.timezone: unknown time zone \"Mars/Base\""},
		{"{\"every\": \"5x\"}", "schedule.every: \"5x\" is not a "
					"duration"},
		{"{\"every\": 0}", "schedule.every: an interval of 0s is too "
				   "short"},
		{"{\"every\": [1]}", "schedule.every: expected a duration such "
				     "as 15m, 1h30m or 1d"},
		{"5", "schedule: expected a cron expression such as "
		      "\"0 3 * * *\", \"@every 15m\", or {cron: \"0 3 * * *\", "
		      "timezone: \"Europe/Paris\"}"},
		{"null", "schedule: expected a cron expression"},
		{"\"0 25 * * *\"",
		 "schedule: field 2 (hour): 25 is out of range 0-23"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json(bad[i].json);
		struct dxt_cron *c = NULL;
		struct dxt_error err;

		dxt_error_clear(&err);
		ck_assert_msg(dxt_cron_from_json(j, &c, &err) == DXT_ECONFIG,
			      "%s: accepted or wrong code: %s", bad[i].json,
			      err.message);
		ck_assert_ptr_null(c);
		ck_assert_msg(strncmp(err.message, bad[i].message,
				      strlen(bad[i].message)) == 0,
			      "%s: got \"%s\"", bad[i].json, err.message);
		json_decref(j);
	}
}
END_TEST

START_TEST(display_text)
{
	static const struct {
		const char *expr;
		const char *tz;
		const char *text;
	} cases[] = {
		{"  0   3 *  *\t* ", NULL, "0 3 * * *"},
		{"0 3 * * *", "Europe/Paris", "0 3 * * * (Europe/Paris)"},
		{"0 3 * * *", "UTC", "0 3 * * *"},
		{"@Daily", "Europe/Paris", "@daily (Europe/Paris)"},
		{"@every   15m ", "Europe/Paris", "@every 15m"},
		{"*/15 9-17 * * MON-FRI", NULL, "*/15 9-17 * * MON-FRI"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dxt_cron *c = cron(cases[i].expr, cases[i].tz);

		ck_assert_str_eq(dxt_cron_text(c), cases[i].text);
		ck_assert_str_eq(dxt_cron_timezone(c),
				 cases[i].tz != NULL ? cases[i].tz : "UTC");
		dxt_cron_free(c);
	}
	dxt_cron_free(NULL);
}
END_TEST

Suite *dxt_test_cron(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("cron");

	tcase_add_test(tc, steps_lists_ranges);
	tcase_add_test(tc, names_and_sunday_seven);
	tcase_add_test(tc, strictly_after);
	tcase_add_test(tc, month_and_year_ends);
	tcase_add_test(tc, leap_days);
	tcase_add_test(tc, dom_or_dow);
	tcase_add_test(tc, macros);
	tcase_add_test(tc, every_aligned_to_epoch);
	tcase_add_test(tc, paris_fixed_times);
	tcase_add_test(tc, paris_wildcards_follow_the_clock);
	tcase_add_test(tc, new_york);
	tcase_add_test(tc, far_future_rules);
	tcase_add_test(tc, no_fire_past_the_limit);
	tcase_add_test(tc, field_errors);
	tcase_add_test(tc, expression_errors);
	tcase_add_test(tc, from_json);
	tcase_add_test(tc, from_json_errors);
	tcase_add_test(tc, display_text);
	suite_add_tcase(s, tc);
	return s;
}
