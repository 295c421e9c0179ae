/*
 * units.c - byte sizes and durations.
 */
#include "units.h"

#include <string.h>
#include <strings.h>

bool dxt_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{"", 1}, {"b", 1},
		{"k", 1ull << 10}, {"kib", 1ull << 10}, {"kb", 1000ull},
		{"m", 1ull << 20}, {"mib", 1ull << 20}, {"mb", 1000000ull},
		{"g", 1ull << 30}, {"gib", 1ull << 30}, {"gb", 1000000000ull},
		{"t", 1ull << 40}, {"tib", 1ull << 40},
		{"tb", 1000000000000ull},
	};
	uint64_t n = 0;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9') {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*p++ - '0');
	}
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].unit) == 0) {
			if (n > UINT64_MAX / units[i].mult)
				return false;
			*out = n * units[i].mult;
			return true;
		}
	}
	return false;
}

bool dxt_parse_duration(const char *s, int64_t *out_us)
{
	static const struct {
		const char *unit;
		int64_t us;
	} units[] = {
		{"ms", 1000}, {"s", 1000000}, {"m", 60000000},
		{"h", 3600000000LL}, {"d", 86400000000LL},
	};
	const char *p = s;
	int64_t total = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p != '\0') {
		int64_t n = 0, mult = 0;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9') {
			if (n > (INT64_MAX - 9) / 10)
				return false;
			n = n * 10 + (*p++ - '0');
		}
		if (*p == '\0' && p == s + strspn(s, "0123456789")) {
			mult = 1000000; /* bare digits are seconds */
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]);
			     i++) {
				size_t len = strlen(units[i].unit);
				/* "m" must not swallow the "m" of "ms". */
				if (strncmp(p, units[i].unit, len) == 0 &&
				    !(len == 1 && p[0] == 'm' && p[1] == 's')) {
					mult = units[i].us;
					p += len;
					break;
				}
			}
			if (mult == 0)
				return false;
		}
		if (n > (INT64_MAX - total) / mult)
			return false;
		total += n * mult;
	}
	*out_us = total;
	return true;
}
