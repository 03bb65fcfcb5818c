/*
 * pctime.c -- wall-clock times as paved writes them (ISO 8601 UTC with
 * milliseconds) and ages typed on a command line (see pc.h).  Uses no
 * paved API, so the helper programs and libraries link libpc.la and pull
 * in only this file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc.h"

/* Exactly "YYYY-MM-DDTHH:MM:SS.mmmZ": sscanf's %n makes sure nothing
 * follows, timegm reads the fields as UTC. */
long long pc_parse_time_ms(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0, used = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 || s[used])
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* gmtime_r cannot fail for the times paved writes (years 0..9999); the
 * buffer holds the 24 characters and the NUL with room to spare. */
void pc_format_time_ms(long long ms, char buf[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

void pc_now_iso(char buf[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pc_format_time_ms((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, buf);
}

/* strtod, then the unit; isfinite keeps "inf" and "nan" out. */
double pc_parse_age(const char *s)
{
	static const struct { const char *unit; double seconds; } units[] = {
		{ "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
	};
	char *end;
	if (!s)
		return -1;
	double v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(end, units[i].unit))
			return v * units[i].seconds;
	return -1;
}
