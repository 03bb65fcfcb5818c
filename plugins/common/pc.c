/*
 * pc.c -- helpers shared by the bundled plugins (see pc.h).
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pc.h"

char *pc_vprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *pc_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

PAVED_PLUGIN_INIT3;

int pc_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result, char **errmsg)
{
	json_t *r = NULL;
	int rc = paved->call(ctx, hook, args, &r, errmsg);
	if (result)
		*result = r;
	else
		json_decref(r);
	return rc;
}

int pc_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		if (!(*s = c))
			break;
	}
	free(p);
	return 0;
}

/* nftw callback: remove one entry (children come first, FTW_DEPTH). */
static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int pc_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
