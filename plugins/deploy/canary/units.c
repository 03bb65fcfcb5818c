/*
 * units.c -- durations and percentages as platform.yaml writes them, and
 * field paths as JSON pointers (see spec.h).
 */
#include "spec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cx_duration(json_t *v, double *secs)
{
	if (json_is_number(v)) {
		*secs = json_number_value(v);
		return *secs >= 0 && isfinite(*secs) ? 0 : -1;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return -1;
	double total = 0;
	while (*s) {
		char *end;
		if (!isdigit((unsigned char)*s) && *s != '.')
			return -1;
		double n = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		if (!strncmp(s, "ms", 2))
			n /= 1000, s += 2;
		else if (*s == 's')
			s++;
		else if (*s == 'm')
			n *= 60, s++;
		else if (*s == 'h')
			n *= 3600, s++;
		else if (*s == 'd')
			n *= 86400, s++;
		else
			return -1;   /* a unit is required in text: "10" alone is ambiguous */
		total += n;
	}
	*secs = total;
	return isfinite(total) ? 0 : -1;
}

int cx_percent(json_t *v, double *pct)
{
	if (json_is_number(v)) {
		*pct = json_number_value(v);
		return isfinite(*pct) ? 0 : -1;
	}
	const char *s = json_string_value(v);
	char *end;
	if (!s || !*s)
		return -1;
	double n = strtod(s, &end);
	if (end == s || strcmp(end, "%") != 0 || !isfinite(n))
		return -1;
	*pct = n;
	return 0;
}

void cx_pointer(const char *path, char *buf, size_t len)
{
	size_t o = 0;
	if (len < 2) {
		if (len)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '/';
	for (const char *p = path; *p && o + 1 < len; p++) {
		if (*p == '.' || *p == '[')
			buf[o++] = '/';
		else if (*p != ']')
			buf[o++] = *p;
	}
	buf[o < len ? o : len - 1] = '\0';
}
