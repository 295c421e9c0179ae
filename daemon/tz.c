/*
 * tz.c - TZif zones and POSIX TZ rules, looked up without the C library.
 *
 * A zone is a sorted table of transitions (instant, index of a local time
 * type) plus, for version 2 files and later, a POSIX TZ rule that says what
 * happens after the last transition of the table. Lookups are binary
 * searches over the table, or a computation of the two yearly transitions
 * of the rule; nothing is cached, so a zone never changes once built.
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"

/* Zone files are a few kilobytes; anything far larger is not one. */
#define TZ_FILE_MAX (1u << 20)

/* Offsets beyond 26 hours do not exist on Earth, and RFC 8536 asks
 * readers to expect at most -25:59:59 to +25:59:59. */
#define TZ_OFFSET_LIMIT (26 * 3600)

/* How far from a local time its UTC instants can be. */
#define TZ_WINDOW TZ_OFFSET_LIMIT

#define TZ_ABBR_MAX 32

struct tz_type {
	int32_t off;   /* seconds east of UTC */
	int isdst;
	uint32_t abbr; /* offset in the zone's abbreviation characters */
};

/* One end of daylight saving time in a POSIX TZ rule. */
enum rule_kind {
	RULE_JULIAN1, /* Jn: day 1-365, 29 February never counted */
	RULE_DAY0,    /* n: day 0-365, 29 February counted */
	RULE_MWD      /* Mm.w.d: day d of week w (5 = last) of month m */
};

struct tz_rule {
	enum rule_kind kind;
	int day;      /* Jn / n: the day; Mm.w.d: weekday d, 0 = Sunday */
	int week;     /* Mm.w.d: 1-5 */
	int month;    /* Mm.w.d: 1-12 */
	int32_t time; /* local time of day in seconds, -167h to 167h */
};

struct tz_posix {
	char std[TZ_ABBR_MAX];
	char dst[TZ_ABBR_MAX];
	int32_t std_off; /* seconds east of UTC */
	int32_t dst_off;
	int has_dst;
	struct tz_rule start, end;
};

struct dxt_tz {
	char *name;
	int utc;
	size_t ntrans;
	int64_t *trans;        /* strictly increasing */
	uint8_t *idx;          /* per transition, an index in types */
	size_t ntypes;
	struct tz_type *types; /* types[0] holds before the first transition */
	char *abbrs;           /* NUL-terminated abbreviations */
	size_t nabbrs;
	int has_footer;
	struct tz_posix footer;
};

/* Calendar arithmetic (H. Hinnant's days_from_civil / civil_from_days). */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

int64_t dxt_days_from_civil(int64_t year, int month, int day)
{
	int64_t y = year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t mp = month > 2 ? month - 3 : month + 9;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

int dxt_is_leap_year(int64_t year)
{
	return floor_mod(year, 4) == 0 &&
	       (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
}

int dxt_days_in_month(int64_t year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	if (month == 2 && dxt_is_leap_year(year))
		return 29;
	return days[month - 1];
}

void dxt_civil_split(int64_t secs, struct dxt_civil *out)
{
	int64_t days = floor_div(secs, 86400);
	int64_t rem = secs - days * 86400;
	int64_t year;

	civil_from_days(days, &year, &out->month, &out->day);
	out->year = (int)year;
	out->hour = (int)(rem / 3600);
	out->minute = (int)(rem / 60 % 60);
	out->second = (int)(rem % 60);
	out->wday = (int)floor_mod(days + 4, 7); /* 1970-01-01: Thursday */
	out->yday = (int)(days - dxt_days_from_civil(year, 1, 1));
}

int64_t dxt_civil_join(int year, int month, int day, int hour, int minute,
		       int second)
{
	int64_t y = (int64_t)year + floor_div((int64_t)month - 1, 12);
	int m = (int)floor_mod((int64_t)month - 1, 12) + 1;
	int64_t days = dxt_days_from_civil(y, m, 1) + (int64_t)day - 1;

	return days * 86400 + (int64_t)hour * 3600 + (int64_t)minute * 60 +
	       second;
}

/* POSIX TZ rules (the footer of TZif version 2 files and later). */

static int64_t rule_local(const struct tz_rule *r, int64_t year)
{
	int64_t jan1 = dxt_days_from_civil(year, 1, 1);
	int64_t d;

	switch (r->kind) {
	case RULE_JULIAN1:
		d = jan1 + r->day - 1 +
		    (dxt_is_leap_year(year) && r->day >= 60 ? 1 : 0);
		break;
	case RULE_DAY0:
		d = jan1 + r->day;
		break;
	default: {
		int64_t first = dxt_days_from_civil(year, r->month, 1);
		int64_t wd = floor_mod(first + 4, 7);
		int dim = dxt_days_in_month(year, r->month);

		d = first + floor_mod(r->day - wd, 7) + (r->week - 1) * 7;
		while (d >= first + dim)
			d -= 7;
		break;
	}
	}
	return d * 86400 + r->time;
}

/* The UTC instants at which daylight saving time starts and ends in
 * `year`. The start is written in standard time, the end in DST. */
static void posix_window(const struct tz_posix *f, int64_t year, int64_t *s,
			 int64_t *e)
{
	*s = rule_local(&f->start, year) - f->std_off;
	*e = rule_local(&f->end, year) - f->dst_off;
}

static int posix_isdst(const struct tz_posix *f, int64_t t)
{
	struct dxt_civil c;
	int64_t s, e;

	if (!f->has_dst)
		return 0;
	dxt_civil_split(t + f->std_off, &c);
	posix_window(f, c.year, &s, &e);
	if (s < e)
		return t >= s && t < e;
	/* Southern hemisphere: DST spans the turn of the year. */
	return !(t >= e && t < s);
}

static int parse_abbr(const char **pp, char *out, size_t size)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '<') {
		p++;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-') {
			if (n + 1 >= size)
				return -1;
			out[n++] = *p++;
		}
		if (*p != '>' || n == 0)
			return -1;
		p++;
	} else {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
			if (n + 1 >= size)
				return -1;
			out[n++] = *p++;
		}
		if (n < 3)
			return -1;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

static int parse_num(const char **pp, int maxdigits, int *out)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (*p >= '0' && *p <= '9' && n < maxdigits) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hours up to `maxh`, in seconds. */
static int parse_hms(const char **pp, int maxh, int32_t *out)
{
	const char *p = *pp;
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (parse_num(&p, 3, &h) != 0 || h > maxh)
		return -1;
	if (*p == ':') {
		p++;
		if (parse_num(&p, 2, &m) != 0 || m > 59)
			return -1;
		if (*p == ':') {
			p++;
			if (parse_num(&p, 2, &s) != 0 || s > 59)
				return -1;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return 0;
}

static int parse_rule(const char **pp, struct tz_rule *r)
{
	const char *p = *pp;

	memset(r, 0, sizeof(*r));
	if (*p == 'J') {
		p++;
		r->kind = RULE_JULIAN1;
		if (parse_num(&p, 3, &r->day) != 0 || r->day < 1 ||
		    r->day > 365)
			return -1;
	} else if (*p == 'M') {
		p++;
		r->kind = RULE_MWD;
		if (parse_num(&p, 2, &r->month) != 0 || r->month < 1 ||
		    r->month > 12 || *p++ != '.' ||
		    parse_num(&p, 1, &r->week) != 0 || r->week < 1 ||
		    r->week > 5 || *p++ != '.' ||
		    parse_num(&p, 1, &r->day) != 0 || r->day > 6)
			return -1;
	} else {
		r->kind = RULE_DAY0;
		if (parse_num(&p, 3, &r->day) != 0 || r->day > 365)
			return -1;
	}
	r->time = 7200;
	if (*p == '/') {
		p++;
		if (parse_hms(&p, 167, &r->time) != 0)
			return -1;
	}
	*pp = p;
	return 0;
}

/*
 * Parses a POSIX TZ string: std offset [dst [offset] [,start[/time],
 * end[/time]]], with the RFC 8536 extensions (hours of a rule time from
 * -167 to 167). POSIX offsets count west of UTC; they are stored east.
 */
static int parse_posix(const char *s, struct tz_posix *f)
{
	const char *p = s;
	int32_t off;

	memset(f, 0, sizeof(*f));
	if (parse_abbr(&p, f->std, sizeof(f->std)) != 0 ||
	    parse_hms(&p, 24, &off) != 0)
		return -1;
	f->std_off = -off;
	if (*p == '\0')
		return 0;
	if (parse_abbr(&p, f->dst, sizeof(f->dst)) != 0)
		return -1;
	f->has_dst = 1;
	f->dst_off = f->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (parse_hms(&p, 24, &off) != 0)
			return -1;
		f->dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule: the C library's default, the US rules. */
		const char *us = ",M3.2.0,M11.1.0";

		p = us;
	}
	if (*p++ != ',' || parse_rule(&p, &f->start) != 0 || *p++ != ',' ||
	    parse_rule(&p, &f->end) != 0 || *p != '\0')
		return -1;
	return 0;
}

/* Lookups. */

static int32_t lookup(const struct dxt_tz *tz, int64_t t, int *isdst,
		      const char **abbr)
{
	const struct tz_type *ty;
	size_t lo, hi;

	if (tz->has_footer &&
	    (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1])) {
		int dst = posix_isdst(&tz->footer, t);

		if (isdst != NULL)
			*isdst = dst;
		if (abbr != NULL)
			*abbr = dst ? tz->footer.dst : tz->footer.std;
		return dst ? tz->footer.dst_off : tz->footer.std_off;
	}
	if (tz->ntrans == 0 || t < tz->trans[0]) {
		ty = &tz->types[0];
	} else {
		/* The last transition at or before t. */
		lo = 0;
		hi = tz->ntrans;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (tz->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &tz->types[tz->idx[lo]];
	}
	if (isdst != NULL)
		*isdst = ty->isdst;
	if (abbr != NULL)
		*abbr = tz->abbrs + ty->abbr;
	return ty->off;
}

int dxt_tz_offset(const struct dxt_tz *tz, int64_t utc_secs)
{
	return lookup(tz, utc_secs, NULL, NULL);
}

const char *dxt_tz_abbrev(const struct dxt_tz *tz, int64_t utc_secs)
{
	const char *abbr = "";

	lookup(tz, utc_secs, NULL, &abbr);
	return abbr;
}

const char *dxt_tz_name(const struct dxt_tz *tz)
{
	return tz->name;
}

int dxt_tz_is_utc(const struct dxt_tz *tz)
{
	return tz->utc;
}

int64_t dxt_tz_next_transition(const struct dxt_tz *tz, int64_t utc_secs)
{
	int32_t cur = dxt_tz_offset(tz, utc_secs);
	int64_t base = utc_secs, cand[8];
	struct dxt_civil c;
	size_t n = 0;

	if (tz->ntrans > 0 && utc_secs < tz->trans[tz->ntrans - 1]) {
		size_t lo = 0, hi = tz->ntrans;

		/* The first transition after utc_secs. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (tz->trans[mid] <= utc_secs)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < tz->ntrans; lo++)
			if (dxt_tz_offset(tz, tz->trans[lo]) != cur)
				return tz->trans[lo];
		base = tz->trans[tz->ntrans - 1];
	}
	if (!tz->has_footer || !tz->footer.has_dst)
		return INT64_MAX;
	/* The rule changes the offset twice a year: look at the years
	 * around `base`, in order. */
	dxt_civil_split(base + tz->footer.std_off, &c);
	for (int64_t y = (int64_t)c.year - 1; y <= (int64_t)c.year + 2; y++) {
		posix_window(&tz->footer, y, &cand[n], &cand[n + 1]);
		n += 2;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cand[j - 1] > cand[j]; j--) {
			int64_t tmp = cand[j];

			cand[j] = cand[j - 1];
			cand[j - 1] = tmp;
		}
	for (size_t i = 0; i < n; i++)
		if (cand[i] > base && dxt_tz_offset(tz, cand[i]) != cur)
			return cand[i];
	return INT64_MAX;
}

void dxt_tz_resolve(const struct dxt_tz *tz, int64_t local_secs,
		    struct dxt_tz_local *out)
{
	int64_t s = local_secs - TZ_WINDOW, hi = local_secs + TZ_WINDOW;
	int64_t gap = INT64_MAX, sol[2];
	int32_t o = dxt_tz_offset(tz, s);
	size_t nsol = 0;

	/*
	 * Walk the spans of constant offset that can hold an instant whose
	 * local time is local_secs; each span holds at most one.
	 */
	for (;;) {
		int64_t e = dxt_tz_next_transition(tz, s);
		int64_t u = local_secs - o;
		int32_t o2;

		if (u >= s && u < e)
			sol[nsol < 2 ? nsol++ : 1] = u;
		if (e > hi)
			break;
		o2 = dxt_tz_offset(tz, e);
		/* Before the transition the local time was still ahead;
		 * after it, already behind: the clocks jumped over it. */
		if (gap == INT64_MAX && u >= e && local_secs - o2 < e)
			gap = e;
		s = e;
		o = o2;
	}
	if (nsol == 0) {
		out->kind = DXT_TZ_GAP;
		out->first = gap != INT64_MAX
				     ? gap
				     : local_secs - dxt_tz_offset(tz, local_secs);
		out->second = out->first;
	} else {
		out->kind = nsol == 2 ? DXT_TZ_OVERLAP : DXT_TZ_EXACT;
		out->first = sol[0];
		out->second = sol[nsol - 1];
	}
}

char *dxt_tz_format(const struct dxt_tz *tz, int64_t utc_secs, char *buf,
		    size_t size)
{
	int32_t off = dxt_tz_offset(tz, utc_secs);
	int32_t a = off < 0 ? -off : off;
	struct dxt_civil c;
	int n;

	dxt_civil_split(utc_secs + off, &c);
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", c.year,
		     c.month, c.day, c.hour, c.minute, c.second);
	if (n < 0 || (size_t)n >= size)
		return buf;
	if (tz->utc)
		snprintf(buf + n, size - (size_t)n, "Z");
	else if (a % 60 != 0)
		snprintf(buf + n, size - (size_t)n, "%c%02d:%02d:%02d",
			 off < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
	else
		snprintf(buf + n, size - (size_t)n, "%c%02d:%02d",
			 off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	return buf;
}

/* Building zones. */

void dxt_tz_free(struct dxt_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->idx);
	free(tz->types);
	free(tz->abbrs);
	free(tz);
}

static struct dxt_tz *tz_new(const char *name)
{
	struct dxt_tz *tz = calloc(1, sizeof(*tz));

	if (tz == NULL)
		return NULL;
	tz->name = strdup(name);
	if (tz->name == NULL) {
		free(tz);
		return NULL;
	}
	return tz;
}

static int tz_utc(const char *name, struct dxt_tz **out, struct dxt_error *err)
{
	struct dxt_tz *tz = tz_new(name);

	if (tz == NULL)
		goto nomem;
	tz->utc = 1;
	tz->ntypes = 1;
	tz->types = calloc(1, sizeof(*tz->types));
	tz->abbrs = strdup("UTC");
	if (tz->types == NULL || tz->abbrs == NULL)
		goto nomem;
	tz->nabbrs = 4;
	*out = tz;
	return DXT_OK;
nomem:
	dxt_tz_free(tz);
	return dxt_error_set(err, DXT_ENOMEM, "time zone \"%s\": out of memory",
			     name);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_header {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define TZIF_HEADER_LEN 44

static int read_header(const uint8_t *p, size_t len, struct tzif_header *h)
{
	if (len < TZIF_HEADER_LEN || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* The size of a data block, or SIZE_MAX when it does not fit in `len`. */
static size_t block_len(const struct tzif_header *h, size_t tsize, size_t len)
{
	uint64_t n;

	if (h->timecnt > len || h->typecnt > len || h->charcnt > len ||
	    h->leapcnt > len || h->isstdcnt > len || h->isutcnt > len)
		return SIZE_MAX;
	n = (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 +
	    h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	    h->isutcnt;
	return n > len ? SIZE_MAX : (size_t)n;
}

/* Decodes one data block (4-byte or 8-byte times) into the zone. */
static int read_block(struct dxt_tz *tz, const struct tzif_header *h,
		      const uint8_t *p, size_t tsize, struct dxt_error *err)
{
	const uint8_t *ip = p + (size_t)h->timecnt * tsize;
	const uint8_t *tp = ip + h->timecnt;
	const uint8_t *cp = tp + (size_t)h->typecnt * 6;

	if (h->typecnt == 0 || h->typecnt > 256)
		return dxt_error_set(err, DXT_EPARSE,
				     "%u local time types (1 to 256 expected)",
				     h->typecnt);
	if (h->leapcnt != 0)
		return dxt_error_set(err, DXT_EPARSE,
				     "the zone counts leap seconds, which dxt "
				     "does not; use the zone of the same name "
				     "outside \"right/\"");
	if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt))
		return dxt_error_set(err, DXT_EPARSE,
				     "standard/UT indicator counts do not "
				     "match the %u local time types",
				     h->typecnt);
	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	tz->nabbrs = (size_t)h->charcnt + 1;
	tz->trans = malloc(sizeof(*tz->trans) * (h->timecnt + 1));
	tz->idx = malloc(h->timecnt + 1);
	tz->types = malloc(sizeof(*tz->types) * h->typecnt);
	tz->abbrs = malloc(tz->nabbrs);
	if (tz->trans == NULL || tz->idx == NULL || tz->types == NULL ||
	    tz->abbrs == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	for (size_t i = 0; i < h->timecnt; i++) {
		const uint8_t *q = p + i * tsize;

		tz->trans[i] = tsize == 8 ? be64(q) : (int32_t)be32(q);
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return dxt_error_set(err, DXT_EPARSE,
					     "transition %zu is not after the "
					     "one before it", i + 1);
		tz->idx[i] = ip[i];
		if (ip[i] >= h->typecnt)
			return dxt_error_set(err, DXT_EPARSE,
					     "transition %zu names local time "
					     "type %u of %u", i + 1,
					     (unsigned)ip[i], h->typecnt);
	}
	for (size_t i = 0; i < h->typecnt; i++) {
		const uint8_t *q = tp + i * 6;
		int32_t off = (int32_t)be32(q);

		if (off <= -TZ_OFFSET_LIMIT || off >= TZ_OFFSET_LIMIT)
			return dxt_error_set(err, DXT_EPARSE,
					     "local time type %zu has offset "
					     "%d s, beyond 26 hours", i, off);
		if (q[4] > 1 || q[5] >= h->charcnt)
			return dxt_error_set(err, DXT_EPARSE,
					     "local time type %zu is malformed",
					     i);
		tz->types[i].off = off;
		tz->types[i].isdst = q[4];
		tz->types[i].abbr = q[5];
	}
	memcpy(tz->abbrs, cp, h->charcnt);
	tz->abbrs[h->charcnt] = '\0';
	return DXT_OK;
}

int dxt_tz_parse(const char *name, const void *data, size_t len,
		 struct dxt_tz **out, struct dxt_error *err)
{
	const uint8_t *p = data;
	struct tzif_header h1, h2;
	struct dxt_tz *tz = NULL;
	size_t b1, b2, at;
	int rc;

	*out = NULL;
	if (read_header(p, len, &h1) != 0)
		return dxt_error_set(err, DXT_EPARSE,
				     "not a TZif file (no \"TZif\" header)");
	b1 = block_len(&h1, 4, len - TZIF_HEADER_LEN);
	if (b1 == SIZE_MAX)
		return dxt_error_set(err, DXT_EPARSE,
				     "TZif file is truncated (%zu bytes)",
				     len);
	tz = tz_new(name);
	if (tz == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	if (h1.version < 2) {
		rc = read_block(tz, &h1, p + TZIF_HEADER_LEN, 4, err);
		if (rc != DXT_OK)
			goto fail;
		*out = tz;
		return DXT_OK;
	}
	/* Version 2 and later: skip the 32-bit data, read the 64-bit data
	 * and the footer that follows it. */
	at = TZIF_HEADER_LEN + b1;
	if (read_header(p + at, len - at, &h2) != 0) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "TZif file has no second header");
		goto fail;
	}
	at += TZIF_HEADER_LEN;
	b2 = block_len(&h2, 8, len - at);
	if (b2 == SIZE_MAX) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "TZif file is truncated (%zu bytes)", len);
		goto fail;
	}
	rc = read_block(tz, &h2, p + at, 8, err);
	if (rc != DXT_OK)
		goto fail;
	at += b2;
	if (at < len) {
		const char *f = (const char *)p + at + 1;
		const char *nl = at + 1 < len ? memchr(f, '\n', len - at - 1)
					      : NULL;
		char rule[256];
		size_t n;

		if (p[at] != '\n' || nl == NULL ||
		    (n = (size_t)(nl - f)) >= sizeof(rule)) {
			rc = dxt_error_set(err, DXT_EPARSE,
					   "TZif footer is malformed");
			goto fail;
		}
		memcpy(rule, f, n);
		rule[n] = '\0';
		if (n > 0) {
			if (parse_posix(rule, &tz->footer) != 0) {
				rc = dxt_error_set(err, DXT_EPARSE,
						   "TZ rule \"%s\" at the end "
						   "of the file is malformed",
						   rule);
				goto fail;
			}
			tz->has_footer = 1;
		}
	}
	*out = tz;
	return DXT_OK;
fail:
	dxt_tz_free(tz);
	return rc;
}

static int valid_name(const char *name)
{
	size_t comp = 0, len = strlen(name);

	if (len == 0 || len > DXT_TZ_NAME_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = name[i];

		if (ch == '/' || ch == '\0') {
			/* Empty, "." and ".." components are refused. */
			if (comp == 0 ||
			    (comp == 1 && name[i - 1] == '.') ||
			    (comp == 2 && name[i - 1] == '.' &&
			     name[i - 2] == '.'))
				return 0;
			comp = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
		      ch == '-' || ch == '.'))
			return 0;
		comp++;
	}
	return 1;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO; /* the file shrank while being read */
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int dxt_tz_load(const char *name, struct dxt_tz **out, struct dxt_error *err)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	uint8_t *buf = NULL;
	struct stat st;
	int fd = -1, rc, n;

	*out = NULL;
	if (name == NULL || !valid_name(name))
		return dxt_error_set(err, DXT_EINVAL,
				     "invalid time zone name \"%s\" (write a "
				     "zone name such as \"Europe/Paris\" or "
				     "\"UTC\")", name == NULL ? "" : name);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return tz_utc(name, out, err);
	if (dir == NULL || dir[0] != '/')
		dir = TZ_DEFAULT_DIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return dxt_error_set(err, DXT_EINVAL,
				     "time zone \"%s\": path too long", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return dxt_error_set(err, DXT_ENOTFOUND,
				     "unknown time zone \"%s\" (there is no "
				     "%s; names look like \"Europe/Paris\", and "
				     "the tzdata package installs them)", name,
				     path);
	if (fd < 0)
		return dxt_error_set(err, DXT_EIO, "time zone \"%s\": %s: %s",
				     name, path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = dxt_error_set(err, DXT_EIO, "time zone \"%s\": %s: %s",
				   name, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = dxt_error_set(err, DXT_ENOTFOUND,
				   "unknown time zone \"%s\" (%s is not a zone "
				   "file; names look like \"Europe/Paris\")",
				   name, path);
		goto out;
	}
	if (st.st_size > (off_t)TZ_FILE_MAX) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "time zone \"%s\": %s is too large to be a "
				   "zone file", name, path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto out;
	}
	if (read_all(fd, buf, (size_t)st.st_size) != 0) {
		rc = dxt_error_set(err, DXT_EIO, "time zone \"%s\": %s: %s",
				   name, path, strerror(errno));
		goto out;
	}
	rc = dxt_tz_parse(name, buf, (size_t)st.st_size, out, err);
	if (rc != DXT_OK)
		dxt_error_prefix(err, "time zone \"%s\": %s: ", name, path);
out:
	free(buf);
	close(fd);
	return rc;
}
