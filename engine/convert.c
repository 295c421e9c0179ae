/*
 * convert.c - text <-> typed value conversion for every DXT type.
 *
 * These parsers and formatters sit on the hot path of every text format: a
 * CSV buffer converts each value once on the way in and once on the way out.
 * They are therefore hand-rolled over (pointer, length) input: no strtoll for
 * plain digits, no locale-dependent calls, no allocation. Only doubles that
 * the exact fast path cannot handle go through strtod, on a stack copy.
 *
 * Calendar arithmetic uses the proleptic Gregorian calendar with the
 * days-from-civil algorithms of Howard Hinnant, which are exact for negative
 * epochs as well.
 */
#include "convert.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL
#define TWO_POW_53 9007199254740992.0

/* Powers of ten that a double holds exactly. */
static const double pow10_dbl[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

static const char hex_lower[] = "0123456789abcdef";

/* --- small helpers -------------------------------------------------------- */

static inline bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool is_digit(unsigned char c)
{
	return (unsigned)(c - '0') <= 9;
}

/* Drops surrounding ASCII white space. */
static inline void trim(const char **s, size_t *n)
{
	const char *p = *s, *e = p + *n;

	while (p < e && is_space((unsigned char)*p))
		p++;
	while (e > p && is_space((unsigned char)e[-1]))
		e--;
	*s = p;
	*n = (size_t)(e - p);
}

/* Value of a hex digit, or -1. A table: the branchy form mispredicts on
 * random hex such as uuids. */
static const int8_t hex_table[256] = {
#define H16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
	H16(-1), H16(-1), H16(-1),
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	H16(-1),
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	H16(-1), H16(-1), H16(-1), H16(-1), H16(-1), H16(-1), H16(-1),
	H16(-1), H16(-1),
#undef H16
};

static inline int hex_value(unsigned char c)
{
	return hex_table[c];
}

/* Reads exactly k decimal digits; false when one of them is not a digit. */
static inline bool get_digits(const char *p, int k, int *out)
{
	int v = 0;

	for (int i = 0; i < k; i++) {
		unsigned d = (unsigned)((unsigned char)p[i] - '0');
		if (d > 9)
			return false;
		v = v * 10 + (int)d;
	}
	*out = v;
	return true;
}

/* Case-insensitive comparison of (s, n) with a lowercase literal. */
static bool ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lit[i] == '\0' || (s[i] | 0x20) != lit[i])
			return false;
	}
	return lit[i] == '\0';
}

/*
 * Writes the decimal digits of v so that they end just before `end`;
 * returns where they start. Two digits per division.
 */
static inline char *u64_digits(uint64_t v, char *end)
{
	char *p = end;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

static inline size_t format_i64(int64_t v, char *buf)
{
	char tmp[24];
	char *p;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0;

	p = u64_digits(u, tmp + sizeof(tmp));
	if (v < 0)
		buf[n++] = '-';
	memcpy(buf + n, p, (size_t)(tmp + sizeof(tmp) - p));
	return n + (size_t)(tmp + sizeof(tmp) - p);
}

/* Writes v as exactly two digits. */
static inline char *put2(char *o, unsigned v)
{
	memcpy(o, digit_pairs + 2 * v, 2);
	return o + 2;
}

/* --- UTF-8 and JSON validation -------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence that starts with the non-ASCII byte at
 * p, or 0 when it is malformed (overlong, surrogate, beyond U+10FFFF, cut).
 */
static size_t utf8_seq(const unsigned char *p, const unsigned char *e)
{
	unsigned c = p[0];

	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		if (e - p < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xF0) {
		if (e - p < 3 || (p[1] & 0xC0) != 0x80 ||
		    (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;
		if (c == 0xED && p[1] >= 0xA0)
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (e - p < 4 || (p[1] & 0xC0) != 0x80 ||
		    (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* Returns the first byte that is not valid UTF-8, or NULL. ASCII runs are
 * checked eight bytes at a time. */
static const unsigned char *utf8_invalid(const unsigned char *p,
					 const unsigned char *e)
{
	while (p < e) {
		while (e - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ull)
				break;
			p += 8;
		}
		while (p < e && *p < 0x80)
			p++;
		if (p == e)
			break;
		size_t k = utf8_seq(p, e);
		if (k == 0)
			return p;
		p += k;
	}
	return NULL;
}

#define JSON_MAX_DEPTH 256

typedef const unsigned char *jptr;

static jptr jv_ws(jptr p, jptr e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static jptr jv_string(jptr p, jptr e)
{
	p++;
	for (;;) {
		if (p >= e)
			return NULL;
		unsigned c = *p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= e)
				return NULL;
			switch (*p) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p++;
				break;
			case 'u':
				if (e - p < 5)
					return NULL;
				for (int i = 1; i <= 4; i++)
					if (hex_value(p[i]) < 0)
						return NULL;
				p += 5;
				break;
			default:
				return NULL;
			}
			continue;
		}
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t k = utf8_seq(p, e);
		if (k == 0)
			return NULL;
		p += k;
	}
}

static jptr jv_digits(jptr p, jptr e)
{
	if (p >= e || !is_digit(*p))
		return NULL;
	while (p < e && is_digit(*p))
		p++;
	return p;
}

static jptr jv_number(jptr p, jptr e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e)
		return NULL;
	if (*p == '0')
		p++;
	else if ((p = jv_digits(p, e)) == NULL)
		return NULL;
	if (p < e && *p == '.' && (p = jv_digits(p + 1, e)) == NULL)
		return NULL;
	if (p < e && (*p | 0x20) == 'e') {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if ((p = jv_digits(p, e)) == NULL)
			return NULL;
	}
	return p;
}

static jptr jv_literal(jptr p, jptr e, const char *lit, size_t n)
{
	if ((size_t)(e - p) < n || memcmp(p, lit, n) != 0)
		return NULL;
	return p + n;
}

/* Validates one JSON value (with surrounding white space); returns the end
 * or NULL. Recursion is bounded by JSON_MAX_DEPTH. */
static jptr jv_value(jptr p, jptr e, int depth)
{
	p = jv_ws(p, e);
	if (p >= e)
		return NULL;
	switch (*p) {
	case '{':
	case '[': {
		unsigned char close = *p == '{' ? '}' : ']';
		bool object = *p == '{';
		if (depth >= JSON_MAX_DEPTH)
			return NULL;
		p = jv_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (object) {
				if (p >= e || *p != '"')
					return NULL;
				if ((p = jv_string(p, e)) == NULL)
					return NULL;
				p = jv_ws(p, e);
				if (p >= e || *p != ':')
					return NULL;
				p++;
			}
			if ((p = jv_value(p, e, depth + 1)) == NULL)
				return NULL;
			if (p >= e)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p = jv_ws(p + 1, e);
		}
	}
	case '"':
		p = jv_string(p, e);
		break;
	case 't':
		p = jv_literal(p, e, "true", 4);
		break;
	case 'f':
		p = jv_literal(p, e, "false", 5);
		break;
	case 'n':
		p = jv_literal(p, e, "null", 4);
		break;
	default:
		p = jv_number(p, e);
		break;
	}
	return p == NULL ? NULL : jv_ws(p, e);
}

bool dxt_json_valid(const char *s, size_t n)
{
	jptr e = (jptr)s + n;
	jptr p = jv_value((jptr)s, e, 0);

	return p != NULL && jv_ws(p, e) == e;
}

/* --- integers ------------------------------------------------------------- */

enum parse_rc { PARSE_OK = 0, PARSE_SYNTAX, PARSE_RANGE, PARSE_SCALE };

/* Parses an already trimmed integer literal. */
static inline enum parse_rc parse_i64_core(const char *s, size_t n,
					   int64_t *out)
{
	const char *p = s, *e = s + n;
	bool neg = false;
	uint64_t v = 0;

	if (p == e)
		return PARSE_SYNTAX;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		if (++p == e)
			return PARSE_SYNTAX;
	}
	while (e - p > 1 && *p == '0')
		p++;
	if (e - p > 19) {
		/* Too long for any int64: tell a syntax error from overflow. */
		for (const char *q = p; q < e; q++)
			if (!is_digit((unsigned char)*q))
				return PARSE_SYNTAX;
		return PARSE_RANGE;
	}
	for (; p < e; p++) {
		unsigned d = (unsigned)((unsigned char)*p - '0');
		if (d > 9)
			return PARSE_SYNTAX;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return PARSE_RANGE;
		*out = v == 0 ? 0 : -(int64_t)(v - 1) - 1;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return PARSE_RANGE;
		*out = (int64_t)v;
	}
	return PARSE_OK;
}

bool dxt_parse_int64(const char *s, size_t n, int64_t *out)
{
	trim(&s, &n);
	return parse_i64_core(s, n, out) == PARSE_OK;
}

/* --- doubles -------------------------------------------------------------- */

/*
 * Parses the optional exponent part of a number ("e" or "E", an optional
 * sign, digits) at p and adds its value to *exp10. The magnitude stops
 * growing at 10^8, far past every range that matters, so it cannot
 * overflow. Returns the end of the exponent (p itself when there is none),
 * or NULL when the "e" is not followed by digits.
 */
static inline const char *parse_exponent(const char *p, const char *e,
					 int64_t *exp10)
{
	bool neg = false;
	int64_t v = 0;

	if (p == e || (*p | 0x20) != 'e')
		return p;
	p++;
	if (p < e && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	if (p == e || !is_digit((unsigned char)*p))
		return NULL;
	for (; p < e && is_digit((unsigned char)*p); p++)
		if (v < 100000000)
			v = v * 10 + (*p - '0');
	*exp10 += neg ? -v : v;
	return p;
}

/*
 * Parses a trimmed float literal. Values whose digits fit 2^53 with a power
 * of ten up to 22 are computed exactly (one correctly rounded multiply or
 * divide); anything else goes to strtod on a NUL-terminated stack copy.
 * Overflow to infinity is an error; underflow rounds as IEEE 754 does.
 */
static enum parse_rc parse_double_core(const char *s, size_t n, double *out)
{
	const char *p = s, *e = s + n;
	bool neg = false, any = false, inexact = false;
	uint64_t mant = 0;
	int nd = 0;
	int64_t exp10 = 0;
	char tmp[512];
	char *end;
	double d;

	if (p == e)
		return PARSE_SYNTAX;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (p < e && !is_digit((unsigned char)*p) && *p != '.') {
		size_t rest = (size_t)(e - p);
		if (ieq(p, rest, "nan")) {
			*out = NAN;
			return PARSE_OK;
		}
		if (ieq(p, rest, "inf") || ieq(p, rest, "infinity")) {
			*out = neg ? -INFINITY : INFINITY;
			return PARSE_OK;
		}
		return PARSE_SYNTAX;
	}
	for (; p < e && is_digit((unsigned char)*p); p++) {
		unsigned dg = (unsigned)(*p - '0');
		any = true;
		if (nd < 19) {
			mant = mant * 10 + dg;
			if (mant != 0)
				nd++;
		} else {
			exp10++;
			if (dg != 0)
				inexact = true;
		}
	}
	if (p < e && *p == '.') {
		for (p++; p < e && is_digit((unsigned char)*p); p++) {
			unsigned dg = (unsigned)(*p - '0');
			any = true;
			if (nd < 19) {
				mant = mant * 10 + dg;
				if (mant != 0)
					nd++;
				exp10--;
			} else if (dg != 0) {
				inexact = true;
			}
		}
	}
	if (!any)
		return PARSE_SYNTAX;
	p = parse_exponent(p, e, &exp10);
	if (p != e) /* also when an exponent has no digits (NULL) */
		return PARSE_SYNTAX;
	if (mant == 0 && !inexact) {
		*out = neg ? -0.0 : 0.0;
		return PARSE_OK;
	}
	if (!inexact && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
		d = (double)mant;
		d = exp10 < 0 ? d / pow10_dbl[-exp10] : d * pow10_dbl[exp10];
		*out = neg ? -d : d;
		return PARSE_OK;
	}
	if (n >= sizeof(tmp))
		return PARSE_SYNTAX;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	d = strtod(tmp, &end);
	if (end != tmp + n)
		return PARSE_SYNTAX;
	if (isinf(d))
		return PARSE_RANGE;
	*out = d;
	return PARSE_OK;
}

bool dxt_parse_double(const char *s, size_t n, double *out)
{
	trim(&s, &n);
	return parse_double_core(s, n, out) == PARSE_OK;
}

/* Smallest magnitude that rounds to infinity as a float. */
#define FLOAT32_OVERFLOW 0x1.ffffffp127

static enum parse_rc parse_float_core(const char *s, size_t n, float *out)
{
	double d;
	enum parse_rc rc = parse_double_core(s, n, &d);

	if (rc != PARSE_OK)
		return rc;
	if (isfinite(d) && fabs(d) >= FLOAT32_OVERFLOW)
		return PARSE_RANGE;
	*out = (float)d;
	return PARSE_OK;
}

/* Fixed notation of m / 10^k with the sign. */
static size_t format_fixed(uint64_t m, int k, bool neg, char *buf)
{
	char tmp[24];
	char *d = u64_digits(m, tmp + sizeof(tmp));
	size_t nd = (size_t)(tmp + sizeof(tmp) - d), uk = (size_t)k;
	char *o = buf;

	if (neg)
		*o++ = '-';
	if (uk == 0) {
		memcpy(o, d, nd);
		o += nd;
	} else if (nd > uk) {
		memcpy(o, d, nd - uk);
		o += nd - uk;
		*o++ = '.';
		memcpy(o, d + nd - uk, uk);
		o += uk;
	} else {
		*o++ = '0';
		*o++ = '.';
		memset(o, '0', uk - nd);
		o += uk - nd;
		memcpy(o, d, nd);
		o += nd;
	}
	return (size_t)(o - buf);
}

static size_t format_special(double v, char *buf)
{
	if (isnan(v)) {
		memcpy(buf, "nan", 3);
		return 3;
	}
	if (isinf(v)) {
		if (v < 0) {
			memcpy(buf, "-inf", 4);
			return 4;
		}
		memcpy(buf, "inf", 3);
		return 3;
	}
	if (signbit(v)) {
		memcpy(buf, "-0", 2);
		return 2;
	}
	buf[0] = '0';
	return 1;
}

/*
 * The shortest fixed-notation text with at most 17 fraction digits that the
 * parser above turns back into exactly v, or 0 when there is none in the
 * exact range. The check mirrors the parser's fast path, so whatever passes
 * it round-trips by construction.
 */
static size_t format_double_fixed(double v, bool single, char *buf)
{
	double a = fabs(v);

	if (a >= TWO_POW_53 || a < 1e-4)
		return 0;
	for (int k = 0; k <= 17; k++) {
		double x = a * pow10_dbl[k];
		double m;
		if (x >= TWO_POW_53)
			break;
		m = floor(x + 0.5);
		if (m == 0)
			continue;
		if (single ? (float)(m / pow10_dbl[k]) == (float)a
			   : m / pow10_dbl[k] == a)
			return format_fixed((uint64_t)m, k, v < 0, buf);
	}
	return 0;
}

/* Whether the text reads back as exactly v (as a float when `single`). */
static bool round_trips(const char *buf, int len, double v, bool single)
{
	double d;
	float f;

	if (single)
		return parse_float_core(buf, (size_t)len, &f) == PARSE_OK &&
		       f == (float)v;
	return parse_double_core(buf, (size_t)len, &d) == PARSE_OK && d == v;
}

/*
 * The shortest text that reads back as exactly v: fixed notation when one
 * does, else the fewest significant digits that do (a double needs 15 to
 * 17, a float, `single`, 6 to 9).
 */
static size_t format_shortest(double v, bool single, char *buf)
{
	int least = single ? 6 : 15, most = single ? 9 : 17;
	size_t n;

	if (!isfinite(v) || v == 0)
		return format_special(v, buf);
	if ((n = format_double_fixed(v, single, buf)) != 0)
		return n;
	for (int prec = least; prec <= most; prec++) {
		int len = snprintf(buf, 48, "%.*g", prec, v);

		if (round_trips(buf, len, v, single))
			return (size_t)len;
	}
	return (size_t)snprintf(buf, 48, "%.17g", v);
}

size_t dxt_format_double(double v, char *buf)
{
	return format_shortest(v, false, buf);
}

/* --- bool ----------------------------------------------------------------- */

/* Whether s (n bytes) is the word `yes` or the word `no`, ignoring case;
 * stores which. */
static inline bool bool_word(const char *s, size_t n, const char *yes,
			     const char *no, bool *out)
{
	if (ieq(s, n, yes)) {
		*out = true;
		return true;
	}
	if (ieq(s, n, no)) {
		*out = false;
		return true;
	}
	return false;
}

bool dxt_parse_bool(const char *s, size_t n, bool *out)
{
	trim(&s, &n);
	switch (n) {
	case 1:
		if (s[0] == '1' || s[0] == '0') {
			*out = s[0] == '1';
			return true;
		}
		switch (s[0] | 0x20) {
		case 't':
		case 'y':
			*out = true;
			return true;
		case 'f':
		case 'n':
			*out = false;
			return true;
		}
		return false;
	case 2:
		return bool_word(s, n, "on", "no", out);
	case 3:
		return bool_word(s, n, "yes", "off", out);
	case 4:
		*out = true;
		return ieq(s, n, "true");
	case 5:
		*out = false;
		return ieq(s, n, "false");
	}
	return false;
}

/* --- dates and times ------------------------------------------------------ */

static inline bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static inline void civil_from_days(int64_t z, int64_t *y, unsigned *m,
				   unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Parses exactly "YYYY-MM-DD" (10 bytes at p), years 0001-9999. */
static inline bool parse_date10(const char *p, int32_t *out)
{
	static const uint8_t mdays[13] = {0,  31, 28, 31, 30, 31, 30,
					  31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (p[4] != '-' || p[7] != '-' || !get_digits(p, 4, &y) ||
	    !get_digits(p + 5, 2, &m) || !get_digits(p + 8, 2, &d))
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m] && !(m == 2 && d == 29 && is_leap(y)))
		return false;
	*out = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}

bool dxt_parse_date(const char *s, size_t n, int32_t *out)
{
	trim(&s, &n);
	return n == 10 && parse_date10(s, out);
}

/*
 * Parses HH:MM[:SS[.f...]] at p; returns the end or NULL. More than six
 * fraction digits are accepted only when the extra ones are zeros, so that
 * nothing is silently cut.
 */
static const char *parse_time_core(const char *p, const char *e, int64_t *us)
{
	static const int64_t scale[7] = {1000000, 100000, 10000, 1000,
					 100,     10,     1};
	int h, mi, sec = 0, k = 0;
	int64_t frac = 0;

	if (e - p < 5 || p[2] != ':' || !get_digits(p, 2, &h) ||
	    !get_digits(p + 3, 2, &mi) || h > 23 || mi > 59)
		return NULL;
	p += 5;
	if (e - p >= 3 && p[0] == ':') {
		if (!get_digits(p + 1, 2, &sec) || sec > 59)
			return NULL;
		p += 3;
		if (p < e && *p == '.') {
			for (p++; p < e && is_digit((unsigned char)*p);
			     p++, k++) {
				if (k < 6)
					frac = frac * 10 + (*p - '0');
				else if (*p != '0')
					return NULL;
			}
			if (k == 0)
				return NULL;
			frac *= scale[k < 6 ? k : 6];
		}
	}
	*us = ((int64_t)h * 3600 + mi * 60 + sec) * US_PER_SEC + frac;
	return p;
}

bool dxt_parse_time(const char *s, size_t n, int64_t *out)
{
	const char *e;

	trim(&s, &n);
	e = s + n;
	return parse_time_core(s, e, out) == e;
}

/* Zone suffix: Z, +HH, +HH:MM or +HHMM (offsets up to 18 hours). */
static const char *parse_zone(const char *p, const char *e, int64_t *off)
{
	int hh, mm = 0;
	bool neg;

	if (p < e && (*p == 'Z' || *p == 'z')) {
		*off = 0;
		return p + 1;
	}
	if (p >= e || (*p != '+' && *p != '-'))
		return NULL;
	neg = *p == '-';
	if (e - p < 3 || !get_digits(p + 1, 2, &hh))
		return NULL;
	p += 3;
	if (p < e && *p == ':') {
		if (e - p < 3 || !get_digits(p + 1, 2, &mm))
			return NULL;
		p += 3;
	} else if (e - p >= 2 && get_digits(p, 2, &mm)) {
		p += 2;
	}
	if (hh > 18 || mm > 59)
		return NULL;
	*off = ((int64_t)hh * 3600 + mm * 60) * US_PER_SEC;
	if (neg)
		*off = -*off;
	return p;
}

/* Parses a trimmed timestamp. With `allow_date`, a plain date is accepted
 * as its midnight. */
static bool parse_ts_core(const char *s, size_t n, int64_t *out,
			  bool *has_zone, bool allow_date)
{
	const char *p, *e = s + n;
	int32_t days;
	int64_t tod = 0, off = 0;

	if (n < 10 || !parse_date10(s, &days))
		return false;
	p = s + 10;
	*has_zone = false;
	if (p == e && allow_date) {
		*out = (int64_t)days * US_PER_DAY;
		return true;
	}
	if (p == e || (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p = parse_time_core(p + 1, e, &tod);
	if (p == NULL)
		return false;
	if (p != e) {
		p = parse_zone(p, e, &off);
		if (p != e)
			return false;
		*has_zone = true;
	}
	*out = (int64_t)days * US_PER_DAY + tod - off;
	return true;
}

bool dxt_parse_timestamp(const char *s, size_t n, int64_t *out, bool *has_zone)
{
	trim(&s, &n);
	return parse_ts_core(s, n, out, has_zone, false);
}

/* Writes the year as four digits, or with its sign and more digits when it
 * is outside 0000-9999 (such values come only from other sources). */
static char *put_year(char *o, int64_t y)
{
	if (y >= 0 && y <= 9999) {
		o = put2(o, (unsigned)(y / 100));
		return put2(o, (unsigned)(y % 100));
	}
	if (y < 0) {
		*o++ = '-';
		y = -y;
	}
	if (y <= 9999) {
		o = put2(o, (unsigned)(y / 100));
		return put2(o, (unsigned)(y % 100));
	}
	return o + format_i64(y, o);
}

static char *put_date(char *o, int64_t days)
{
	int64_t y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	o = put_year(o, y);
	*o++ = '-';
	o = put2(o, m);
	*o++ = '-';
	return put2(o, d);
}

/* HH:MM:SS plus the fraction without trailing zeros; us within a day. */
static char *put_tod(char *o, int64_t us)
{
	int64_t secs = us / US_PER_SEC;
	unsigned frac = (unsigned)(us % US_PER_SEC);

	o = put2(o, (unsigned)(secs / 3600));
	*o++ = ':';
	o = put2(o, (unsigned)(secs / 60 % 60));
	*o++ = ':';
	o = put2(o, (unsigned)(secs % 60));
	if (frac != 0) {
		int k = 6;
		*o++ = '.';
		while (frac % 10 == 0) {
			frac /= 10;
			k--;
		}
		for (int i = k - 1; i >= 0; i--) {
			o[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		o += k;
	}
	return o;
}

size_t dxt_format_date(int32_t days, char *buf)
{
	return (size_t)(put_date(buf, days) - buf);
}

size_t dxt_format_time(int64_t us, char *buf)
{
	char *o = buf;

	/* A time column holds microseconds of one day; anything else came
	 * from a source that does not follow that, and is shown as is. */
	if (us < 0 || us >= US_PER_DAY)
		return format_i64(us, buf);
	o = put_tod(o, us);
	return (size_t)(o - buf);
}

size_t dxt_format_timestamp(int64_t us, bool zone, char *buf)
{
	/* Floor division written so that it cannot overflow near
	 * INT64_MIN. */
	int64_t tod = us % US_PER_DAY;
	int64_t days = us / US_PER_DAY - (tod < 0);
	char *o;

	if (tod < 0)
		tod += US_PER_DAY;
	o = put_date(buf, days);
	*o++ = ' ';
	o = put_tod(o, tod);
	if (zone) {
		memcpy(o, "+00:00", 6);
		o += 6;
	}
	return (size_t)(o - buf);
}

/* --- decimals ------------------------------------------------------------- */

/*
 * Parses a trimmed decimal literal into the unscaled integer for `scale`.
 * The digit string S (integer then fraction digits) has its point after
 * `ni` digits, moved by the exponent; the scaled integer is made of the first
 * `cut` digits of S (padded with zeros when cut is past its end) and every
 * digit after the cut must be zero.
 */
static enum parse_rc parse_decimal_core(const char *s, size_t n,
					int precision, int scale,
					__int128 *out)
{
	const char *p = s, *e = s + n, *ip, *fp;
	bool neg = false;
	int64_t ni, nf, ex = 0, cut;
	unsigned __int128 v = 0;
	int sig = 0;

	if (precision <= 0 || precision > DXT_DECIMAL_MAX_PRECISION)
		precision = DXT_DECIMAL_MAX_PRECISION;
	if (scale < 0)
		scale = 0;
	if (p < e && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	ip = p;
	while (p < e && is_digit((unsigned char)*p))
		p++;
	ni = p - ip;
	fp = p;
	nf = 0;
	if (p < e && *p == '.') {
		fp = ++p;
		while (p < e && is_digit((unsigned char)*p))
			p++;
		nf = p - fp;
	}
	if (ni + nf == 0)
		return PARSE_SYNTAX;
	p = parse_exponent(p, e, &ex);
	if (p != e) /* also when an exponent has no digits (NULL) */
		return PARSE_SYNTAX;
	cut = ni + ex + scale;
	for (int64_t i = 0; i < ni + nf; i++) {
		unsigned d = (unsigned)((i < ni ? ip[i] : fp[i - ni]) - '0');
		if (i < cut) {
			if (sig == 0 && d == 0)
				continue;
			if (++sig > precision)
				return PARSE_RANGE;
			v = v * 10 + d;
		} else if (d != 0) {
			return PARSE_SCALE;
		}
	}
	if (v != 0 && cut > ni + nf) {
		int64_t pad = cut - (ni + nf);
		if (sig + pad > precision)
			return PARSE_RANGE;
		while (pad-- > 0)
			v *= 10;
	}
	*out = neg ? -(__int128)v : (__int128)v;
	return PARSE_OK;
}

bool dxt_parse_decimal(const char *s, size_t n, int precision, int scale,
		       __int128 *out)
{
	trim(&s, &n);
	if (scale > precision && precision > 0)
		return false;
	return parse_decimal_core(s, n, precision, scale, out) == PARSE_OK;
}

size_t dxt_format_decimal(__int128 v, int scale, char *buf)
{
	char tmp[48];
	char *end = tmp + sizeof(tmp), *d;
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	size_t nd, us;
	char *o = buf;

	if (scale < 0)
		scale = 0;
	if (scale > DXT_DECIMAL_MAX_PRECISION)
		scale = DXT_DECIMAL_MAX_PRECISION;
	us = (size_t)scale;
	/* 128-bit division is slow: peel 19 digits at a time until the rest
	 * fits 64 bits. */
	d = end;
	while (u > UINT64_MAX) {
		uint64_t r = (uint64_t)(u % 10000000000000000000ull);
		char *q;
		u /= 10000000000000000000ull;
		q = u64_digits(r, d);
		while (q > d - 19)
			*--q = '0';
		d = q;
	}
	d = u64_digits((uint64_t)u, d);
	nd = (size_t)(end - d);
	if (v < 0)
		*o++ = '-';
	if (us == 0) {
		memcpy(o, d, nd);
		return (size_t)(o + nd - buf);
	}
	if (nd > us) {
		memcpy(o, d, nd - us);
		o += nd - us;
	} else {
		*o++ = '0';
	}
	*o++ = '.';
	if (nd < us) {
		memset(o, '0', us - nd);
		o += us - nd;
		memcpy(o, d, nd);
		o += nd;
	} else {
		memcpy(o, d + nd - us, us);
		o += us;
	}
	return (size_t)(o - buf);
}

/* --- uuid ----------------------------------------------------------------- */

bool dxt_parse_uuid(const char *s, size_t n, uint8_t out[16])
{
	/* Offsets of the 16 hex pairs in the 36-character form. */
	static const uint8_t dashed[16] = {0,  2,  4,  6,  9,  11, 14, 16,
					   19, 21, 24, 26, 28, 30, 32, 34};
	const unsigned char *p;
	int bad = 0;

	trim(&s, &n);
	if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n -= 2;
	}
	if (n == 36) {
		if (s[8] != '-' || s[13] != '-' || s[18] != '-' ||
		    s[23] != '-')
			return false;
	} else if (n != 32) {
		return false;
	}
	p = (const unsigned char *)s;
	for (int i = 0; i < 16; i++) {
		const unsigned char *q = p + (n == 36 ? dashed[i] : 2 * i);
		int hi = hex_table[q[0]], lo = hex_table[q[1]];
		bad |= hi | lo;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return bad >= 0;
}

size_t dxt_format_uuid(const uint8_t v[16], char *buf)
{
	char *o = buf;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex_lower[v[i] >> 4];
		*o++ = hex_lower[v[i] & 15];
	}
	return 36;
}

/* --- parse and append ----------------------------------------------------- */

/*
 * Copies up to 40 bytes of the value into dst as message text: control
 * characters and bytes that are not valid UTF-8 become '?', so the message
 * is always printable UTF-8.
 */
static void snippet(char *dst, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t o = 0, limit = cap > 4 ? cap - 4 : 0;

	if (limit > 40)
		limit = 40;
	while (p < e && o < limit) {
		size_t k = 1;
		if (*p >= 0x80) {
			k = utf8_seq(p, e);
			if (k == 0 || o + k > limit) {
				if (k != 0)
					break;
				dst[o++] = '?';
				p++;
				continue;
			}
			memcpy(dst + o, p, k);
		} else {
			dst[o] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
		}
		o += k;
		p += k;
	}
	if (p < e && cap >= 4) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	if (cap > 0)
		dst[o < cap ? o : cap - 1] = '\0';
}

static int type_error(char *why, size_t whylen, const struct dxt_field *f,
		      const char *s, size_t n, enum parse_rc rc)
{
	char text[64], type[48];
	const char *art;

	if (why == NULL || whylen == 0)
		return DXT_ETYPE;
	snippet(text, sizeof(text), s, n);
	dxt_field_type_string(f, type, sizeof(type));
	switch (f->type) {
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16:
	case DXT_TYPE_INT32:
	case DXT_TYPE_INT64:
		art = "an";
		break;
	default:
		art = "a";
		break;
	}
	if (rc == PARSE_RANGE && f->type == DXT_TYPE_DECIMAL) {
		snprintf(why, whylen,
			 "\"%s\" does not fit %s: at most %d digits before "
			 "the point",
			 text, type, f->precision - f->scale);
	} else if (rc == PARSE_SCALE) {
		snprintf(why, whylen,
			 "\"%s\" does not fit %s: more than %d digits after "
			 "the point",
			 text, type, f->scale);
	} else if (rc == PARSE_RANGE) {
		snprintf(why, whylen, "\"%s\" is out of range for %s", text,
			 type);
	} else if (f->type == DXT_TYPE_JSON) {
		snprintf(why, whylen, "\"%s\" is not valid JSON", text);
	} else if (f->type == DXT_TYPE_BINARY) {
		snprintf(why, whylen,
			 "\"%s\" is not valid binary (\\x followed by an even "
			 "number of hex digits)",
			 text);
	} else if (f->type == DXT_TYPE_NULL) {
		snprintf(why, whylen,
			 "\"%s\" is not null (a null column holds only nulls)",
			 text);
	} else {
		snprintf(why, whylen, "\"%s\" is not %s %s", text, art, type);
	}
	return DXT_ETYPE;
}

/* Decodes n hex digits straight into the column's data buffer; nothing is
 * appended when a digit is bad. */
static int append_hex(struct dxt_column *c, const char *s, size_t n)
{
	size_t m = n / 2;
	uint8_t *d;
	int32_t end;

	if (n % 2 != 0)
		return DXT_ETYPE;
	if (c->data.len + m > INT32_MAX)
		return DXT_ELIMIT;
	if (dxt_buf_reserve(&c->data, m) != DXT_OK)
		return DXT_ENOMEM;
	d = c->data.data + c->data.len;
	for (size_t i = 0; i < m; i++) {
		int hi = hex_value((unsigned char)s[2 * i]);
		int lo = hex_value((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return DXT_ETYPE;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	end = (int32_t)(c->data.len + m);
	if (dxt_buf_append(&c->offsets, &end, 4) != DXT_OK)
		return DXT_ENOMEM;
	if (dxt__col_valid_bit(c, true) != DXT_OK) {
		c->offsets.len -= 4;
		return DXT_ENOMEM;
	}
	c->data.len += m;
	c->length++;
	return DXT_OK;
}

static int limit_error(int rc, char *why, size_t whylen)
{
	if (rc == DXT_ELIMIT && why != NULL && whylen > 0)
		snprintf(why, whylen,
			 "column data of one batch would exceed 2 GiB; lower "
			 "the batch byte limit");
	return rc;
}

static int append_text(struct dxt_column *c, const struct dxt_field *f,
		       const char *s, size_t n, char *why, size_t whylen)
{
	const unsigned char *bad;
	int rc;

	if (f->type == DXT_TYPE_JSON) {
		if (!dxt_json_valid(s, n))
			return type_error(why, whylen, f, s, n, PARSE_SYNTAX);
	} else if (f->type == DXT_TYPE_STRING) {
		bad = utf8_invalid((const unsigned char *)s,
				   (const unsigned char *)s + n);
		if (bad != NULL) {
			if (why != NULL && whylen > 0)
				snprintf(why, whylen,
					 "value is not valid UTF-8 (byte %zu "
					 "is 0x%02x); convert the input to "
					 "UTF-8 or set its encoding",
					 (size_t)(bad - (const unsigned char *)s) + 1,
					 *bad);
			return DXT_ETYPE;
		}
	} else if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
		rc = append_hex(c, s + 2, n - 2);
		if (rc == DXT_ETYPE)
			return type_error(why, whylen, f, s, n, PARSE_SYNTAX);
		return limit_error(rc, why, whylen);
	}
	return limit_error(dxt_col_append_bytes(c, s, n), why, whylen);
}

int dxt_value_parse_append(struct dxt_column *c, const struct dxt_field *f,
			   const char *s, size_t n, char *why, size_t whylen)
{
	enum parse_rc rc = PARSE_SYNTAX;
	const char *t = s;
	size_t tn = n;
	int64_t v;
	bool zone;

	if (dxt_type_is_varlen(f->type))
		return append_text(c, f, s, n, why, whylen);
	trim(&t, &tn);
	switch (f->type) {
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16:
	case DXT_TYPE_INT32:
	case DXT_TYPE_INT64:
		rc = parse_i64_core(t, tn, &v);
		if (rc != PARSE_OK)
			break;
		switch (f->type) {
		case DXT_TYPE_INT8:
			if (v < INT8_MIN || v > INT8_MAX)
				return type_error(why, whylen, f, s, n,
						  PARSE_RANGE);
			return dxt_col_append_i8(c, (int8_t)v);
		case DXT_TYPE_INT16:
			if (v < INT16_MIN || v > INT16_MAX)
				return type_error(why, whylen, f, s, n,
						  PARSE_RANGE);
			return dxt_col_append_i16(c, (int16_t)v);
		case DXT_TYPE_INT32:
			if (v < INT32_MIN || v > INT32_MAX)
				return type_error(why, whylen, f, s, n,
						  PARSE_RANGE);
			return dxt_col_append_i32(c, (int32_t)v);
		default:
			return dxt_col_append_i64(c, v);
		}
	case DXT_TYPE_FLOAT64: {
		double d;
		rc = parse_double_core(t, tn, &d);
		if (rc == PARSE_OK)
			return dxt_col_append_f64(c, d);
		break;
	}
	case DXT_TYPE_FLOAT32: {
		float fl;
		rc = parse_float_core(t, tn, &fl);
		if (rc == PARSE_OK)
			return dxt_col_append_f32(c, fl);
		break;
	}
	case DXT_TYPE_DECIMAL: {
		__int128 d;
		if (f->scale > f->precision && f->precision > 0)
			break;
		rc = parse_decimal_core(t, tn, f->precision, f->scale, &d);
		if (rc == PARSE_OK)
			return dxt_col_append_dec(c, d);
		break;
	}
	case DXT_TYPE_BOOL: {
		bool b;
		if (dxt_parse_bool(t, tn, &b))
			return dxt_col_append_bool(c, b);
		break;
	}
	case DXT_TYPE_DATE: {
		int32_t days;
		if (tn == 10 && parse_date10(t, &days))
			return dxt_col_append_i32(c, days);
		/* A timestamp at midnight is a date without loss. */
		if (parse_ts_core(t, tn, &v, &zone, false) && !zone &&
		    v % US_PER_DAY == 0)
			return dxt_col_append_i32(c, (int32_t)(v / US_PER_DAY));
		break;
	}
	case DXT_TYPE_TIME:
		if (parse_time_core(t, t + tn, &v) == t + tn)
			return dxt_col_append_i64(c, v);
		break;
	case DXT_TYPE_TIMESTAMP:
	case DXT_TYPE_TIMESTAMPTZ:
		/* A zone is converted to UTC; a value without one is taken
		 * as UTC for timestamptz and as wall-clock time otherwise. */
		if (parse_ts_core(t, tn, &v, &zone, true))
			return dxt_col_append_i64(c, v);
		break;
	case DXT_TYPE_UUID: {
		uint8_t u[16];
		if (dxt_parse_uuid(t, tn, u))
			return dxt_col_append_uuid(c, u);
		break;
	}
	default:
		break;
	}
	return type_error(why, whylen, f, s, n, rc);
}

/* --- formatting ----------------------------------------------------------- */

static int format_binary(const uint8_t *p, size_t n, struct dxt_buf *out)
{
	char *o;

	if (dxt_buf_reserve(out, 2 + 2 * n) != DXT_OK)
		return DXT_ENOMEM;
	o = (char *)out->data + out->len;
	*o++ = '\\';
	*o++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*o++ = hex_lower[p[i] >> 4];
		*o++ = hex_lower[p[i] & 15];
	}
	out->len += 2 + 2 * n;
	return DXT_OK;
}

/* Formats a fixed-width value straight into out's spare room. */
static size_t format_fixed_value(const struct dxt_column *c,
				 const struct dxt_field *f, size_t i, char *o)
{
	switch (c->type) {
	case DXT_TYPE_BOOL:
		if (dxt_col_bool(c, i)) {
			memcpy(o, "true", 4);
			return 4;
		}
		memcpy(o, "false", 5);
		return 5;
	case DXT_TYPE_INT8:
		return format_i64(dxt_col_i8(c, i), o);
	case DXT_TYPE_INT16:
		return format_i64(dxt_col_i16(c, i), o);
	case DXT_TYPE_INT32:
		return format_i64(dxt_col_i32(c, i), o);
	case DXT_TYPE_INT64:
		return format_i64(dxt_col_i64(c, i), o);
	case DXT_TYPE_FLOAT32:
		return format_shortest(dxt_col_f32(c, i), true, o);
	case DXT_TYPE_FLOAT64:
		return dxt_format_double(dxt_col_f64(c, i), o);
	case DXT_TYPE_DECIMAL:
		return dxt_format_decimal(dxt_col_dec(c, i), f->scale, o);
	case DXT_TYPE_DATE:
		return dxt_format_date(dxt_col_i32(c, i), o);
	case DXT_TYPE_TIME:
		return dxt_format_time(dxt_col_i64(c, i), o);
	case DXT_TYPE_TIMESTAMP:
		return dxt_format_timestamp(dxt_col_i64(c, i), false, o);
	case DXT_TYPE_TIMESTAMPTZ:
		return dxt_format_timestamp(dxt_col_i64(c, i), true, o);
	case DXT_TYPE_UUID:
		return dxt_format_uuid(dxt_col_uuid(c, i), o);
	default:
		return 0;
	}
}

int dxt_value_format(const struct dxt_column *c, const struct dxt_field *f,
		     size_t i, struct dxt_buf *out)
{
	const uint8_t *p;
	size_t n;

	if (dxt_type_is_varlen(c->type)) {
		p = dxt_col_bytes(c, i, &n);
		if (c->type == DXT_TYPE_BINARY)
			return format_binary(p, n, out);
		return dxt_buf_append(out, p, n);
	}
	if (dxt_buf_reserve(out, 48) != DXT_OK)
		return DXT_ENOMEM;
	out->len += format_fixed_value(c, f, i, (char *)out->data + out->len);
	return DXT_OK;
}

/* Bytes that JSON strings must escape: 0 = copy, else the short escape
 * letter, or 'u' for \u00XX. */
static const char json_escape[256] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
	[0x05] = 'u', [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u',
	[0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
	[0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
	[0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
	[0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

int dxt_json_quote(struct dxt_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n, *run;

	/* Most strings need no escape: reserve for that case up front. */
	if (dxt_buf_reserve(out, n + 2) != DXT_OK)
		return DXT_ENOMEM;
	out->data[out->len++] = '"';
	while (p < e) {
		run = p;
		while (p < e && json_escape[*p] == 0)
			p++;
		if (dxt_buf_append(out, run, (size_t)(p - run)) != DXT_OK)
			return DXT_ENOMEM;
		if (p == e)
			break;
		if (json_escape[*p] == 'u') {
			char u[6] = {'\\', 'u', '0', '0', hex_lower[*p >> 4],
				     hex_lower[*p & 15]};
			if (dxt_buf_append(out, u, 6) != DXT_OK)
				return DXT_ENOMEM;
		} else {
			char esc[2] = {'\\', json_escape[*p]};
			if (dxt_buf_append(out, esc, 2) != DXT_OK)
				return DXT_ENOMEM;
		}
		p++;
	}
	return dxt_buf_putc(out, '"');
}

int dxt_value_format_json(const struct dxt_column *c,
			  const struct dxt_field *f, size_t i,
			  struct dxt_buf *out)
{
	char tmp[64];
	const uint8_t *p;
	size_t n;

	if (c->type == DXT_TYPE_NULL || !dxt_col_is_valid(c, i))
		return dxt_buf_append(out, "null", 4);
	switch (c->type) {
	case DXT_TYPE_STRING:
		p = dxt_col_bytes(c, i, &n);
		return dxt_json_quote(out, (const char *)p, n);
	case DXT_TYPE_JSON:
		p = dxt_col_bytes(c, i, &n);
		if (n == 0)
			return dxt_buf_append(out, "null", 4);
		return dxt_buf_append(out, p, n);
	case DXT_TYPE_BINARY:
		/* The hex text needs no escape but its leading backslash. */
		p = dxt_col_bytes(c, i, &n);
		if (dxt_buf_append(out, "\"\\", 2) != DXT_OK ||
		    format_binary(p, n, out) != DXT_OK)
			return DXT_ENOMEM;
		return dxt_buf_putc(out, '"');
	case DXT_TYPE_BOOL:
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16:
	case DXT_TYPE_INT32:
	case DXT_TYPE_INT64:
	case DXT_TYPE_DECIMAL:
		return dxt_value_format(c, f, i, out);
	case DXT_TYPE_FLOAT32:
	case DXT_TYPE_FLOAT64: {
		double d = c->type == DXT_TYPE_FLOAT32 ? dxt_col_f32(c, i)
						       : dxt_col_f64(c, i);
		n = format_fixed_value(c, f, i, tmp);
		/* JSON has no NaN or infinity: they travel as strings that
		 * the float parser reads back. */
		if (!isfinite(d))
			return dxt_json_quote(out, tmp, n);
		return dxt_buf_append(out, tmp, n);
	}
	default:
		n = format_fixed_value(c, f, i, tmp);
		return dxt_json_quote(out, tmp, n);
	}
}
