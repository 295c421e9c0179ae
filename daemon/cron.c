/*
 * cron.c - cron expressions, macros and intervals; next fire times.
 *
 * A cron expression becomes five bit sets (minutes, hours, days of month,
 * months, days of week). The next fire time is found on the wall clock of
 * the schedule's zone, one span of constant UTC offset at a time: inside a
 * span local time is UTC shifted by a constant, so the first matching
 * minute is a plain calendar search; between spans the daylight saving
 * rules of cron.h decide what a skipped or repeated wall-clock time does.
 */
#include "cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/units.h"
#include "tz.h"

/* Intervals and cron times stop before the year 100000, far inside the
 * range of int64_t microseconds. */
#define CRON_LAST_YEAR 99999

/* The Gregorian calendar repeats weekdays every 400 years, so a day that
 * can match at all matches within that span. */
#define CRON_SEARCH_YEARS 401

#define US_PER_SEC 1000000

struct dxt_cron {
	char *text;
	struct dxt_tz *tz;
	int64_t every_us;  /* @every; 0 for cron */
	uint64_t minute;   /* bit n: minute n */
	uint32_t hour;     /* bit n: hour n */
	uint32_t dom;      /* bit n: day n of the month, 1-31 */
	uint32_t month;    /* bit n: month n, 1-12 */
	uint32_t dow;      /* bit n: weekday n, Sunday = 0 */
	int dom_star;      /* day-of-month field starts with '*' */
	int dow_star;      /* day-of-week field starts with '*' */
	int wild;          /* minute or hour field starts with '*' */
};

struct field_def {
	const char *name;
	int min, max;
	const char *const *names; /* three-letter names, or NULL */
	int names_base;           /* value of names[0] */
	const char *names_hint;
};

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL
};

static const char *const dow_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL
};

static const struct field_def fields[5] = {
	{"minute", 0, 59, NULL, 0, NULL},
	{"hour", 0, 23, NULL, 0, NULL},
	{"day-of-month", 1, 31, NULL, 0, NULL},
	{"month", 1, 12, month_names, 1, "JAN-DEC or 1-12"},
	{"day-of-week", 0, 7, dow_names, 0, "SUN-SAT or 0-7"},
};

static const struct {
	const char *name;
	const char *expr;
} macros[] = {
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* Where a schedule came from, for messages: "schedule", "schedule.cron". */
struct ctx {
	const char *what;
	struct dxt_error *err;
};

static int cron_fail(const struct ctx *cx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cron_fail(const struct ctx *cx, const char *fmt, ...)
{
	char msg[DXT_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dxt_error_setc(cx->err, DXT_ECONFIG, DXT_TERMINAL,
			      DXT_ORIGIN_CONFIG, "%s: %s", cx->what, msg);
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

/* Reads a number or a name of field `fd` at *pp, up to `end`. */
static int field_value(const struct ctx *cx, int fi, const char **pp,
		       const char *end, int *out)
{
	const struct field_def *fd = &fields[fi];
	const char *p = *pp;

	if (p < end && *p >= '0' && *p <= '9') {
		long v = 0;
		const char *start = p;

		while (p < end && *p >= '0' && *p <= '9') {
			if (v < 100000000)
				v = v * 10 + (*p - '0');
			p++;
		}
		if (v < fd->min || v > fd->max)
			return cron_fail(cx, "field %d (%s): %.*s is out of "
					 "range %d-%d", fi + 1, fd->name,
					 (int)(p - start), start, fd->min,
					 fd->max);
		*out = (int)v;
		*pp = p;
		return DXT_OK;
	}
	if (p < end && upper(*p) >= 'A' && upper(*p) <= 'Z') {
		const char *start = p;
		size_t n;

		while (p < end && upper(*p) >= 'A' && upper(*p) <= 'Z')
			p++;
		n = (size_t)(p - start);
		if (fd->names == NULL)
			return cron_fail(cx, "field %d (%s): \"%.*s\" is not a "
					 "number (%d-%d)", fi + 1, fd->name,
					 (int)n, start, fd->min, fd->max);
		for (int i = 0; n == 3 && fd->names[i] != NULL; i++) {
			if (upper(start[0]) == fd->names[i][0] &&
			    upper(start[1]) == fd->names[i][1] &&
			    upper(start[2]) == fd->names[i][2]) {
				*out = fd->names_base + i;
				*pp = p;
				return DXT_OK;
			}
		}
		return cron_fail(cx, "field %d (%s): unknown name \"%.*s\" "
				 "(use %s)", fi + 1, fd->name, (int)n, start,
				 fd->names_hint);
	}
	if (p == end)
		return cron_fail(cx, "field %d (%s): a value is missing after "
				 "\"%c\"", fi + 1, fd->name, p[-1]);
	return cron_fail(cx, "field %d (%s): unexpected \"%c\" (write numbers "
			 "%d-%d, *, lists 1,2, ranges 1-5 and steps */15)",
			 fi + 1, fd->name, *p, fd->min, fd->max);
}

/* A range such as 23-1, with the two ranges that say what it meant. */
static int backwards(const struct ctx *cx, int fi, const char *item,
		     const char *end, int lo, int hi)
{
	const struct field_def *fd = &fields[fi];
	int max = fi == 4 ? 6 : fd->max; /* 7 is Sunday again */
	char a[16], b[16];

	if (lo == max)
		snprintf(a, sizeof(a), "%d", lo);
	else
		snprintf(a, sizeof(a), "%d-%d", lo, max);
	if (hi == fd->min)
		snprintf(b, sizeof(b), "%d", hi);
	else
		snprintf(b, sizeof(b), "%d-%d", fd->min, hi);
	return cron_fail(cx, "field %d (%s): range \"%.*s\" goes backwards "
			 "(ranges do not wrap around: write %s,%s)", fi + 1,
			 fd->name, (int)(end - item), item, a, b);
}

/* Parses one field ([start, end), no spaces) into a bit set. */
static int parse_field(const struct ctx *cx, int fi, const char *start,
		       const char *end, uint64_t *bits)
{
	const struct field_def *fd = &fields[fi];
	const char *p = start;
	int rc;

	*bits = 0;
	for (;;) {
		const char *item = p;
		int lo, hi, step = 1;

		if (p == end || *p == ',')
			return cron_fail(cx, "field %d (%s): empty item in "
					 "\"%.*s\"", fi + 1, fd->name,
					 (int)(end - start), start);
		if (*p == '*') {
			p++;
			lo = fd->min;
			hi = fd->max;
		} else {
			rc = field_value(cx, fi, &p, end, &lo);
			if (rc != DXT_OK)
				return rc;
			hi = lo;
			if (p < end && *p == '-') {
				p++;
				rc = field_value(cx, fi, &p, end, &hi);
				if (rc != DXT_OK)
					return rc;
				/* SAT-SUN: Sunday as the end of a range is 7. */
				if (fi == 4 && hi == 0 && p[-1] > '9')
					hi = 7;
				if (hi < lo)
					return backwards(cx, fi, item, p, lo,
							 hi);
			} else if (p < end && *p == '/') {
				hi = fd->max; /* "5/20": from 5 to the end */
			}
		}
		if (p < end && *p == '/') {
			const char *s = ++p;
			long v = 0;

			while (p < end && *p >= '0' && *p <= '9') {
				if (v < 100000000)
					v = v * 10 + (*p - '0');
				p++;
			}
			if (p == s)
				return cron_fail(cx, "field %d (%s): \"%.*s\" "
						 "needs a step number after "
						 "\"/\"", fi + 1, fd->name,
						 (int)(p - item), item);
			if (v < 1 || v > fd->max)
				return cron_fail(cx, "field %d (%s): step "
						 "%.*s is out of range 1-%d",
						 fi + 1, fd->name,
						 (int)(p - s), s, fd->max);
			step = (int)v;
		}
		if (p < end && *p != ',')
			return cron_fail(cx, "field %d (%s): unexpected \"%c\" "
					 "in \"%.*s\" (write numbers %d-%d, "
					 "*, lists 1,2, ranges 1-5 and steps "
					 "*/15)", fi + 1, fd->name, *p,
					 (int)(end - start), start, fd->min,
					 fd->max);
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ull << v;
		if (p == end)
			break;
		p++; /* the comma */
	}
	return DXT_OK;
}

/* Whether some month of the schedule has a day of its day-of-month set
 * (29 February counts: it comes every four years or so). */
static int some_day_exists(const struct dxt_cron *c)
{
	for (int m = 1; m <= 12; m++) {
		int dim = m == 2 ? 29 : dxt_days_in_month(2001, m);

		if ((c->month >> m & 1) &&
		    (c->dom & ((2ull << dim) - 2)) != 0)
			return 1;
	}
	return 0;
}

static int parse_cron(const struct ctx *cx, const char *expr,
		      struct dxt_cron *c)
{
	const char *start[6], *end[6];
	const char *p = expr;
	uint64_t bits[5];
	int n = 0, rc;

	while (*p != '\0') {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (n < 6)
			start[n] = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		if (n < 6)
			end[n] = p;
		n++;
	}
	if (n != 5)
		return cron_fail(cx, "expected 5 fields (minute hour "
				 "day-of-month month day-of-week), found %d in "
				 "\"%s\"%s", n, expr,
				 n > 5 ? " (seconds and years are not "
					 "supported)" : "");
	for (int i = 0; i < 5; i++) {
		rc = parse_field(cx, i, start[i], end[i], &bits[i]);
		if (rc != DXT_OK)
			return rc;
	}
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint32_t)bits[3];
	c->dow = (uint32_t)(bits[4] & 0x7f);
	if (bits[4] >> 7 & 1)
		c->dow |= 1; /* 7 is Sunday too */
	c->wild = *start[0] == '*' || *start[1] == '*';
	c->dom_star = *start[2] == '*';
	c->dow_star = *start[4] == '*';
	if ((c->dom_star || c->dow_star) && !some_day_exists(c))
		return cron_fail(cx, "\"%s\" never fires: no month it names "
				 "has the days it names", expr);
	return DXT_OK;
}

static int parse_every(const struct ctx *cx, const char *dur,
		       struct dxt_cron *c)
{
	int64_t us;

	if (*dur == '\0')
		return cron_fail(cx, "@every needs a duration, e.g. "
				 "\"@every 15m\"");
	if (!dxt_parse_duration(dur, &us))
		return cron_fail(cx, "\"%s\" is not a duration (write e.g. "
				 "90s, 15m, 1h30m, 2h or 1d)", dur);
	if (us < US_PER_SEC)
		return cron_fail(cx, "an interval of %s is too short (at "
				 "least 1s)", dur);
	c->every_us = us;
	return DXT_OK;
}

/* Copies `expr` with runs of spaces made one space and ends trimmed. */
static char *normalise(const char *expr, const char *zone)
{
	size_t len = strlen(expr), zlen = zone != NULL ? strlen(zone) : 0;
	char *out = malloc(len + zlen + 4);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = expr; *p != '\0'; p++) {
		if (is_space(*p)) {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
		} else {
			out[n++] = *p;
		}
	}
	if (n > 0 && out[n - 1] == ' ')
		n--;
	if (zone != NULL)
		n += (size_t)snprintf(out + n, zlen + 4, " (%s)", zone);
	out[n] = '\0';
	return out;
}

/*
 * Builds a schedule from an expression; `cx` names the expression in
 * messages, `tzx` the zone.
 */
static int cron_build(const struct ctx *cx, const char *expr,
		      const struct ctx *tzx, const char *tz_name,
		      struct dxt_cron **out)
{
	struct dxt_cron *c;
	const char *p, *body = NULL;
	char word[16];
	size_t n = 0;
	int rc;

	*out = NULL;
	if (expr == NULL)
		expr = "";
	p = expr;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return dxt_error_set(cx->err, DXT_ENOMEM, "out of memory");
	rc = dxt_tz_load(tz_name != NULL ? tz_name : "UTC", &c->tz, cx->err);
	if (rc != DXT_OK) {
		if (rc == DXT_EINVAL || rc == DXT_ENOTFOUND)
			rc = DXT_ECONFIG;
		cx->err->code = rc;
		dxt_error_prefix(cx->err, "%s: ", tzx->what);
		dxt_error_origin(cx->err, DXT_ORIGIN_CONFIG);
		goto fail;
	}
	while (is_space(*p))
		p++;
	if (*p == '\0') {
		rc = cron_fail(cx, "the expression is empty (write e.g. "
			       "\"0 3 * * *\", \"@daily\" or \"@every "
			       "15m\")");
		goto fail;
	}
	if (*p == '@') {
		while (p[n] != '\0' && !is_space(p[n]) && n + 1 < sizeof(word)) {
			word[n] = (char)(p[n] >= 'A' && p[n] <= 'Z'
						 ? p[n] - 'A' + 'a'
						 : p[n]);
			n++;
		}
		word[n] = '\0';
		body = p + n;
		while (is_space(*body))
			body++;
		if (p[n] != '\0' && !is_space(p[n]))
			word[0] = '\0'; /* too long to be a macro */
	}
	if (body != NULL && strcmp(word, "@every") == 0) {
		char dur[64];
		size_t len = strlen(body);

		while (len > 0 && is_space(body[len - 1]))
			len--;
		if (len >= sizeof(dur)) {
			rc = cron_fail(cx, "\"%s\" is not a duration (write "
				       "e.g. 90s, 15m, 1h30m, 2h or 1d)",
				       body);
			goto fail;
		}
		memcpy(dur, body, len);
		dur[len] = '\0';
		rc = parse_every(cx, dur, c);
		if (rc != DXT_OK)
			goto fail;
		c->text = normalise(expr, NULL);
	} else if (body != NULL) {
		size_t i;

		for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
			if (strcmp(word, macros[i].name) == 0)
				break;
		if (i == sizeof(macros) / sizeof(macros[0])) {
			rc = cron_fail(cx, "unknown macro \"%.*s\" (use "
				       "@yearly, @annually, @monthly, @weekly, "
				       "@daily, @midnight, @hourly or @every "
				       "<duration>)", (int)strcspn(p, " \t\r\n"),
				       p);
			goto fail;
		}
		if (*body != '\0') {
			rc = cron_fail(cx, "%s takes nothing after it, found "
				       "\"%s\"", macros[i].name, body);
			goto fail;
		}
		rc = parse_cron(cx, macros[i].expr, c);
		if (rc != DXT_OK)
			goto fail;
		c->text = normalise(macros[i].name,
				    dxt_tz_is_utc(c->tz) ? NULL
							 : dxt_tz_name(c->tz));
	} else {
		rc = parse_cron(cx, expr, c);
		if (rc != DXT_OK)
			goto fail;
		c->text = normalise(expr, dxt_tz_is_utc(c->tz)
						  ? NULL
						  : dxt_tz_name(c->tz));
	}
	if (c->text == NULL) {
		rc = dxt_error_set(cx->err, DXT_ENOMEM, "out of memory");
		goto fail;
	}
	*out = c;
	return DXT_OK;
fail:
	dxt_cron_free(c);
	return rc;
}

int dxt_cron_parse(const char *expr, const char *tz_name,
		   struct dxt_cron **out, struct dxt_error *err)
{
	struct dxt_error local;
	struct ctx cx = {"schedule", err != NULL ? err : &local};

	return cron_build(&cx, expr, &cx, tz_name, out);
}

int dxt_cron_from_json(const json_t *schedule, struct dxt_cron **out,
		       struct dxt_error *err)
{
	struct dxt_error local;
	struct ctx top = {"schedule", err != NULL ? err : &local};
	struct ctx cronx = {"schedule.cron", top.err};
	struct ctx everyx = {"schedule.every", top.err};
	struct ctx tzx = {"schedule.timezone", top.err};
	const json_t *cron = NULL, *every = NULL, *zone = NULL;
	const char *key, *tz_name = NULL;
	json_t *val;

	*out = NULL;
	if (json_is_string(schedule))
		return cron_build(&top, json_string_value(schedule), &top, NULL,
				  out);
	if (!json_is_object(schedule))
		return cron_fail(&top, "expected a cron expression such as "
				 "\"0 3 * * *\", \"@every 15m\", or "
				 "{cron: \"0 3 * * *\", timezone: "
				 "\"Europe/Paris\"}");
	json_object_foreach((json_t *)schedule, key, val) {
		if (strcmp(key, "cron") == 0)
			cron = val;
		else if (strcmp(key, "every") == 0)
			every = val;
		else if (strcmp(key, "timezone") == 0)
			zone = val;
		else
			return cron_fail(&top, "unknown key \"%s\" (the keys "
					 "are cron, every and timezone)", key);
	}
	if (zone != NULL) {
		if (!json_is_string(zone))
			return cron_fail(&tzx, "expected a zone name such as "
					 "\"Europe/Paris\" or \"UTC\"");
		tz_name = json_string_value(zone);
	}
	if (cron != NULL && every != NULL)
		return cron_fail(&top, "give either cron or every, not both");
	if (cron != NULL) {
		if (!json_is_string(cron))
			return cron_fail(&cronx, "expected a cron expression "
					 "such as \"0 3 * * *\"");
		return cron_build(&cronx, json_string_value(cron), &tzx,
				  tz_name, out);
	}
	if (every != NULL) {
		char expr[96];

		if (json_is_integer(every))
			snprintf(expr, sizeof(expr), "@every %llds",
				 (long long)json_integer_value(every));
		else if (json_is_string(every) &&
			 strlen(json_string_value(every)) < 64)
			snprintf(expr, sizeof(expr), "@every %s",
				 json_string_value(every));
		else
			return cron_fail(&everyx, "expected a duration such as "
					 "15m, 1h30m or 1d");
		return cron_build(&everyx, expr, &tzx, tz_name, out);
	}
	return cron_fail(&top, "write cron: \"<expression>\" or every: "
			 "<duration>");
}

void dxt_cron_free(struct dxt_cron *c)
{
	if (c == NULL)
		return;
	dxt_tz_free(c->tz);
	free(c->text);
	free(c);
}

const char *dxt_cron_text(const struct dxt_cron *c)
{
	return c->text;
}

const char *dxt_cron_timezone(const struct dxt_cron *c)
{
	return dxt_tz_name(c->tz);
}

int64_t dxt_cron_interval(const struct dxt_cron *c)
{
	return c->every_us;
}

/* Next fire times. */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int day_matches(const struct dxt_cron *c, int64_t year, int month,
		       int day)
{
	int64_t days = dxt_days_from_civil(year, month, day) + 4;
	int wday = (int)(days - floor_div(days, 7) * 7); /* 1970-01-01: Thu */
	int dm = c->dom >> day & 1;
	int wm = c->dow >> wday & 1;

	if (c->dom_star || c->dow_star)
		return dm && wm;
	return dm || wm;
}

/*
 * The first minute at or after the local time `from` (a multiple of 60)
 * that the fields match, or INT64_MAX when none comes before the end of
 * `last_year`.
 */
static int64_t match_from(const struct dxt_cron *c, int64_t from,
			  int64_t last_year)
{
	struct dxt_civil t;
	int64_t year;
	int month, day, hour, minute;

	dxt_civil_split(from, &t);
	year = t.year;
	month = t.month;
	day = t.day;
	hour = t.hour;
	minute = t.minute;
	while (year <= last_year) {
		uint64_t mins;
		uint32_t hours;

		if (!(c->month >> month & 1) ||
		    day > dxt_days_in_month(year, month)) {
			if (++month > 12) {
				month = 1;
				year++;
			}
			day = 1;
			hour = 0;
			minute = 0;
			continue;
		}
		if (!day_matches(c, year, month, day)) {
			day++;
			hour = 0;
			minute = 0;
			continue;
		}
		hours = c->hour >> hour << hour;
		if (hours == 0) {
			day++;
			hour = 0;
			minute = 0;
			continue;
		}
		if (!(hours & 1u << hour)) {
			hour = __builtin_ctz(hours);
			minute = 0;
		}
		mins = c->minute >> minute << minute;
		if (mins == 0) {
			if (++hour == 24) {
				hour = 0;
				day++;
			}
			minute = 0;
			continue;
		}
		minute = __builtin_ctzll(mins);
		return dxt_civil_join((int)year, month, day, hour, minute, 0);
	}
	return INT64_MAX;
}

static int64_t ceil_minute(int64_t secs)
{
	return -floor_div(-secs, 60) * 60;
}

/* The first instant, in UTC seconds, after `after` that `c` fires at. */
static int64_t next_secs(const struct dxt_cron *c, int64_t after)
{
	struct dxt_civil t;
	int64_t s = after + 1, last_year;

	dxt_civil_split(after, &t);
	last_year = (int64_t)t.year + CRON_SEARCH_YEARS;
	for (;;) {
		int32_t o = dxt_tz_offset(c->tz, s), o2;
		int64_t e = dxt_tz_next_transition(c->tz, s);
		int64_t lend = e == INT64_MAX ? INT64_MAX : e + o;
		int64_t local = ceil_minute(s + o);

		/* [s, e) has the constant offset o: local = UTC + o. */
		for (;;) {
			struct dxt_tz_local r;

			local = match_from(c, local, last_year);
			if (local == INT64_MAX)
				return INT64_MAX;
			if (local >= lend)
				break;
			if (!c->wild) {
				/* A fixed time fires at its first occurrence
				 * only. */
				dxt_tz_resolve(c->tz, local, &r);
				if (r.kind == DXT_TZ_OVERLAP &&
				    r.first != local - o) {
					local += 60;
					continue;
				}
			}
			return local - o;
		}
		/* The offset changes at e. When the clocks jump forward, a
		 * fixed time inside the jump fires once, at e. */
		o2 = dxt_tz_offset(c->tz, e);
		if (!c->wild && o2 > o &&
		    match_from(c, ceil_minute(e + o), last_year) < e + o2)
			return e;
		s = e;
	}
}

int64_t dxt_cron_next(const struct dxt_cron *c, int64_t after_us)
{
	int64_t limit_secs = dxt_civil_join(CRON_LAST_YEAR + 1, 1, 1, 0, 0, 0);
	int64_t after, t;

	if (c->every_us > 0) {
		int64_t q = floor_div(after_us, c->every_us);

		if (q + 1 > limit_secs * US_PER_SEC / c->every_us)
			return INT64_MAX;
		return (q + 1) * c->every_us;
	}
	after = floor_div(after_us, US_PER_SEC);
	if (after >= limit_secs)
		return INT64_MAX;
	t = next_secs(c, after);
	if (t == INT64_MAX || t >= limit_secs)
		return INT64_MAX;
	return t * US_PER_SEC;
}
