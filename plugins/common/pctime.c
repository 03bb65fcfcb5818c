/*
 * pctime.c -- wall-clock times as paved writes them (ISO 8601 UTC with
 * milliseconds) and ages typed on a command line (see pc.h).  Uses no
 * paved API, so the helper programs and libraries link libpc.la and pull
 * in only this file.
 */
#include <stdio.h>
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
