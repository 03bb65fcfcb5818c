/*
 * files.c -- the monitoring directory (see pm.h): where it is, writing a
 * file only when its text changes (so Prometheus and the tests that digest
 * the directory see no churn), listing, names.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm.h"

char *pmf_dir(paved_ctx *ctx)
{
	const char *d = json_string_value(paved->option(ctx, "dir"));
	return d && *d ? strdup(d) : pc_printf("%s/monitoring", paved->home(ctx));
}

int pmf_put(const char *path, const char *text, mode_t mode, bool *changed)
{
	char *old = pc_read_file(path);
	bool same = old && !strcmp(old, text);
	free(old);
	if (changed)
		*changed = !same;
	return same ? 0 : pc_write_file(path, text, strlen(text), mode);
}

bool pmf_remove(const char *path)
{
	return unlink(path) == 0;
}

/* qsort comparator for json string array elements. */
static int by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

json_t *pmf_list(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0, cap = 0, sl = strlen(suffix);
	json_t **v = NULL, *out = json_array();
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= sl || strcmp(e->d_name + l - sl, suffix))
			continue;
		if (n == cap) {
			json_t **g = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
			if (!g)
				break;
			v = g;
		}
		v[n++] = json_string(e->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof *v, by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	return out;
}

bool pmf_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

bool pmf_env_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}
