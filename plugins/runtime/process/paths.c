/*
 * paths.c -- names and places of the process runtime (see paths.h).
 */
#include "paths.h"
#include "procs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* S is 1..63 characters: a lowercase letter, then letters, digits and the
 * characters of EXTRA. */
static bool valid(const char *s, const char *extra)
{
	size_t n = 0;
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c)))
			return false;
	}
	return n <= 63;
}

bool rd_valid_service(const char *s)
{
	return valid(s, "-");
}

bool rd_valid_env(const char *s)
{
	return valid(s, "-_");
}

static char *join(const char *fmt, const char *a, const char *b, const char *c)
{
	char *s = NULL;
	return asprintf(&s, fmt, a, b, c) < 0 ? NULL : s;
}

char *rd_service_dir(const char *home, const char *env, const char *service)
{
	return join("%s/runtime/%s/%s", home, env, service);
}

char *rd_file(const char *sdir, const char *name)
{
	return join("%s/%s%s", sdir, name, "");
}

char *rd_mark(const char *sdir)
{
	return join("%s=%s%s", RP_MARK, sdir, "");
}
