/*
 * glob.c -- Location targets as Backstage's FileReaderProcessor globs them
 * (the npm glob package): *, ?, [...] within a name, ** for any number of
 * directories, {a,b} alternatives (nested too).  As there, * and ** do not
 * match names starting with '.', and only files are returned (a directory
 * target is read as a directory by the importer).
 *
 * Each directory is listed at most once per pattern position (by device
 * and inode), so a symbolic-link loop (a -> .) ends.  Also the path rules
 * targets follow: normalised as text, and kept inside the import's root.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"

#define MAX_ALTERNATIVES 256

/* Expand the first {a,b,...} of PAT into OUT, recursively; literal braces
 * (no comma inside) stay.  0, or -1 (too many, or out of memory). */
static int expand(const char *pat, struct cat_strv *out)
{
	const char *open = NULL, *close = NULL;
	int depth = 0;
	bool comma = false;
	for (const char *p = pat; *p && !close; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '{') {
			if (depth++ == 0)
				open = p, comma = false;
		} else if (*p == '}' && depth > 0) {
			if (--depth == 0) {
				if (comma)
					close = p;
				else
					open = NULL;
			}
		} else if (*p == ',' && depth == 1) {
			comma = true;
		}
	}
	if (!close)
		return out->len >= MAX_ALTERNATIVES ? -1 : cat_strv_push(out, pat);
	/* each alternative between OPEN and CLOSE at depth 1 */
	const char *start = open + 1;
	depth = 0;
	for (const char *p = open + 1; p <= close; p++) {
		if (*p == '\\' && p[1] && p < close) {
			p++;
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && p < close)
			depth--;
		if (p == close || (*p == ',' && depth == 0)) {
			char *alt = pc_printf("%.*s%.*s%s", (int)(open - pat), pat, (int)(p - start), start,
			                      close + 1);
			int rc = alt ? expand(alt, out) : -1;
			free(alt);
			if (rc)
				return -1;
			start = p + 1;
		}
	}
	return 0;
}

static bool magic(const char *seg)
{
	return strpbrk(seg, "*?[") != NULL;
}

/* A walk over one expanded pattern. */
struct gw {
	char           **segs;
	size_t           nsegs;
	struct cat_strv *out;
	struct cat_set   seen;   /* "dev:ino:segment" listed already */
	bool             oom;
};

static void walk(struct gw *g, const char *dir, size_t i);

/* PATH (a directory or file) reached with segment I next. */
static void step(struct gw *g, const char *path, size_t i)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return;
	if (i == g->nsegs) {
		if (S_ISREG(sb.st_mode) && cat_strv_push(g->out, path))
			g->oom = true;
		return;
	}
	if (S_ISDIR(sb.st_mode))
		walk(g, path, i);
}

/* Match segments I... inside directory DIR. */
static void walk(struct gw *g, const char *dir, size_t i)
{
	const char *seg = g->segs[i], *real = *dir ? dir : "/";   /* "" is the root's prefix */
	char key[96];
	struct stat sb;
	if (g->oom || stat(real, &sb) != 0)
		return;
	if (!magic(seg)) {   /* a plain name: no listing */
		char *p = pc_printf("%s/%s", dir, seg);
		if (!p)
			g->oom = true;
		else
			step(g, p, i + 1);
		free(p);
		return;
	}
	snprintf(key, sizeof key, "%llu:%llu:%zu", (unsigned long long)sb.st_dev,
	         (unsigned long long)sb.st_ino, i);
	if (cat_set_get(&g->seen, key) >= 0)
		return;   /* listed already: a link loop, or two ways here */
	if (cat_set_put(&g->seen, key, 1)) {
		g->oom = true;
		return;
	}
	bool globstar = !strcmp(seg, "**");
	if (globstar)
		step(g, real, i + 1);   /* ** matches no directory at all, too */
	struct dirent **ents = NULL;
	int n = scandir(real, &ents, NULL, alphasort);
	for (int k = 0; k < n; k++) {
		const char *name = ents[k]->d_name;
		bool hidden = name[0] == '.';
		if (!g->oom && !(hidden && (globstar || seg[0] != '.')) && strcmp(name, ".") &&
		    strcmp(name, "..") && (globstar || fnmatch(seg, name, FNM_PERIOD) == 0)) {
			char *p = pc_printf("%s/%s", dir, name);
			if (!p)
				g->oom = true;
			else if (globstar && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
				walk(g, p, i);   /* one directory deeper, still at ** */
			else if (!globstar)
				step(g, p, i + 1);
			free(p);
		}
		free(ents[k]);
	}
	free(ents);
}

/* qsort order of strings. */
static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cat_glob(const char *pattern, struct cat_strv *out, char **errmsg)
{
	struct cat_strv alts = { 0 };
	int rc = 0;
	if (expand(pattern, &alts))
		rc = cat_err(errmsg, "'%s' expands to more than %d patterns", pattern,
		             MAX_ALTERNATIVES);
	for (size_t a = 0; rc == 0 && a < alts.len; a++) {
		char *copy = strdup(alts.v[a]), *save = NULL;
		struct gw g = { .out = out };
		g.segs = calloc(strlen(alts.v[a]) / 2 + 2, sizeof *g.segs);
		if (!copy || !g.segs) {
			free(copy), free(g.segs);
			rc = cat_err(errmsg, "out of memory");
			break;
		}
		for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save))
			if (strcmp(s, "."))
				g.segs[g.nsegs++] = s;
		if (g.nsegs)
			walk(&g, pattern[0] == '/' ? "" : ".", 0);
		if (g.oom)
			rc = cat_err(errmsg, "out of memory");
		cat_set_free(&g.seen);
		free(copy), free(g.segs);
	}
	cat_strv_free(&alts);
	if (rc == 0 && out->len > 1) {   /* sorted, each once */
		qsort(out->v, out->len, sizeof *out->v, by_str);
		size_t m = 1;
		for (size_t i = 1; i < out->len; i++) {
			if (strcmp(out->v[i], out->v[m - 1]))
				out->v[m++] = out->v[i];
			else
				free(out->v[i]);
		}
		out->len = m;
	}
	return rc;
}

/* PATH made absolute and normalised without touching the file system:
 * "//", "." and ".." resolved as text (malloc()ed). */
char *cat_path_lexical(const char *path)
{
	char cwd[PATH_MAX];
	char *full = path[0] == '/' ? strdup(path)
	                            : pc_printf("%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", path);
	if (!full)
		return NULL;
	char *out = malloc(strlen(full) + 2), *o = out, *save = NULL;
	if (!out) {
		free(full);
		return NULL;
	}
	*o = '\0';
	for (char *s = strtok_r(full, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..")) {
			char *slash = strrchr(out, '/');
			o = slash ? slash : out;
			*o = '\0';
			continue;
		}
		o += sprintf(o, "/%s", s);
	}
	if (o == out)
		strcpy(out, "/");
	free(full);
	return out;
}

/* Whether PATH (absolute, normalised by cat_path_lexical(); it may name files that
 * do not exist, or hold glob characters) stays inside ROOT: its longest
 * existing prefix, symbolic links resolved, must be inside (what lies
 * beyond has no ".."; each file found is checked again when read). */
bool cat_path_prefix_inside(const char *path, const char *root)
{
	char real[PATH_MAX], *copy = strdup(path);
	bool inside = false;
	while (copy && *copy) {
		if (realpath(copy, real)) {
			inside = cat_path_inside(real, root);
			break;
		}
		char *slash = strrchr(copy, '/');
		if (!slash)
			break;
		if (slash == copy) {
			inside = cat_path_inside("/", root);
			break;
		}
		*slash = '\0';
	}
	free(copy);
	return inside;
}
