/*
 * util.c -- small helpers shared by the host: strings, errors, paths, time.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

/* Copy S into a new malloc()ed string; NULL stays NULL (or on OOM). */
char *pv_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Format into a new malloc()ed string; NULL on out-of-memory. */
char *pv_vasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *pv_asprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pv_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* Set *ERRMSG (if ERRMSG is not NULL) to a formatted message, freeing any
 * previous one.  Returns PAVED_ERR so callers can `return pv_seterr(...)`. */
int pv_seterr(char **errmsg, const char *fmt, ...)
{
	if (!errmsg)
		return PAVED_ERR;
	va_list ap;
	va_start(ap, fmt);
	char *s = pv_vasprintf(fmt, ap);
	va_end(ap);
	free(*errmsg);
	*errmsg = s ? s : strdup("out of memory");
	return PAVED_ERR;
}

/* Join two path parts with one '/'.  Caller frees. */
char *pv_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	return pv_asprintf("%.*s/%s", (int)la, a, b);
}

/* mkdir -p PATH with MODE for the directories it creates. */
int pv_mkdir_p(const char *path, mode_t mode, char **errmsg)
{
	char *buf = pv_strdup(path);
	if (!buf)
		return pv_seterr(errmsg, "out of memory");
	int rc = PAVED_OK;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		if (mkdir(buf, mode) != 0 && errno != EEXIST) {
			rc = pv_seterr(errmsg, "cannot create directory %s: %s", buf, strerror(errno));
			break;
		}
		if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = pv_seterr(errmsg, "%s exists and is not a directory", buf);
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(buf);
	return rc;
}

/* The current UTC time as ISO 8601 with milliseconds. */
void pv_now_iso(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* A plugin or resource name: 1..63 of [a-z0-9_-], starting with a letter. */
bool pv_valid_name(const char *s)
{
	size_t n = 0;
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return n <= 63;
}

/* True when this executable lives in paved's build tree: it then uses the
 * build tree's plugins and golden paths instead of the installed ones. */
bool pv_in_build_tree(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	size_t lb = strlen(PV_ABS_BUILDDIR);
	return strncmp(exe, PV_ABS_BUILDDIR, lb) == 0 && exe[lb] == '/';
}

/* Why paved must not trust the file or directory ST (PATH) describes for
 * code or configuration -- another user could change it, as sshd's
 * StrictModes reasons -- or NULL when it is safe: owned by root or by us,
 * not writable by others, and group-writable only for our own group.
 * Caller frees. */
char *pv_unsafe_owner(const struct stat *st, const char *path)
{
	uid_t me = geteuid();
	if (st->st_uid != 0 && st->st_uid != me)
		return pv_asprintf("%s is owned by another user (uid %u); paved runs code and "
		                   "reads configuration only from files owned by root or by you",
		                   path, (unsigned)st->st_uid);
	if (st->st_mode & S_IWOTH)
		return pv_asprintf("%s is writable by other users (mode %04o); fix it with "
		                   "'chmod o-w %s'", path, (unsigned)(st->st_mode & 07777), path);
	if ((st->st_mode & S_IWGRP) && st->st_gid != getegid() && st->st_gid != 0)
		return pv_asprintf("%s is writable by group %u (mode %04o); fix it with 'chmod g-w %s'",
		                   path, (unsigned)st->st_gid, (unsigned)(st->st_mode & 07777), path);
	return NULL;
}

/* S with control characters (but newline and tab) written as \xHH, so a
 * message that quotes user input cannot move the terminal's cursor or
 * change its colours.  Malloc()ed; NULL only when out of memory. */
char *pv_printable(const char *s)
{
	size_t n = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		n += (*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7f ? 4 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7f)
			o += sprintf(o, "\\x%02x", *c);
		else
			*o++ = (char)*c;
	}
	*o = '\0';
	return out;
}
