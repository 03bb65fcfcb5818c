/*
 * fuzz_util.c -- the helpers of fuzz_util.h.
 */
#include "fuzz_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

static char *g_tmp;

void fz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz oracle: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

bool fz_known(const char *name)
{
	const char *k = getenv("FUZZ_KNOWN");
	size_t n = strlen(name);
	for (const char *p = k ? strstr(k, name) : NULL; p; p = strstr(p + 1, name))
		if ((p == k || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

bool fz_nul_escape(const uint8_t *data, size_t size)
{
	static const char *const esc[] = { "\\0", "\\x00", "\\u0000", "\\U00000000" };
	for (size_t i = 0; i < sizeof esc / sizeof *esc; i++)
		if (memmem(data, size, esc[i], strlen(esc[i])))
			return true;
	return false;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) != 0 && errno != ENOENT)
		fprintf(stderr, "fuzz: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

void fz_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* atexit: remove the directory, if this is the process that made it (a
 * forked child of the code under test exits through here too). */
static pid_t g_owner;
static void cleanup(void)
{
	if (g_tmp && getpid() == g_owner)
		fz_rmtree(g_tmp);
	free(g_tmp);
	g_tmp = NULL;
}

const char *fz_tmpdir(void)
{
	if (g_tmp)
		return g_tmp;
	const char *t = getenv("TMPDIR");
	if (asprintf(&g_tmp, "%s/paved-fuzz.XXXXXX", t && *t ? t : "/tmp") < 0)
		fz_fail("out of memory");
	if (!mkdtemp(g_tmp))
		fz_fail("mkdtemp %s: %s", g_tmp, strerror(errno));
	g_owner = getpid();
	atexit(cleanup);
	return g_tmp;
}

char *fz_path(const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", fz_tmpdir(), name) < 0)
		fz_fail("out of memory");
	return p;
}

char *fz_mkdir(const char *name)
{
	char *p = fz_path(name);
	if (mkdir(p, 0700) != 0)
		fz_fail("mkdir %s: %s", p, strerror(errno));
	return p;
}

/* Written in place and cut to length, not truncated first: ext4 flushes a
 * file truncated to nothing and written again when it is closed, which
 * made this the slowest part of a run. */
void fz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	const char *p = data;
	size_t total = len;
	if (fd < 0)
		fz_fail("cannot write %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fz_fail("cannot write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (ftruncate(fd, (off_t)total) != 0)
		fz_fail("cannot write %s: %s", path, strerror(errno));
	close(fd);
}

size_t fz_split(const uint8_t *data, size_t size, uint8_t sep, struct fz_part *parts,
                size_t max)
{
	size_t n = 0, from = 0;
	while (n < max) {
		size_t end = size;
		const uint8_t *s = n + 1 < max && from < size ? memchr(data + from, sep, size - from)
		                                              : NULL;
		if (s)
			end = (size_t)(s - data);
		struct fz_part *p = &parts[n++];
		p->data = data + from;
		p->len = end - from;
		if (!(p->str = malloc(p->len + 1)))
			fz_fail("out of memory");
		if (p->len)
			memcpy(p->str, p->data, p->len);
		p->str[p->len] = '\0';
		if (!s)
			break;
		from = end + 1;
	}
	return n;
}

void fz_parts_free(struct fz_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i].str);
}

/* A set of containers and where the walk is with each: open (on the path
 * from the root) or done. */
struct walk {
	json_t **keys;
	char    *state;   /* 1 open, 2 done */
	size_t   cap, len;
};

static size_t slot(const struct walk *w, json_t *v)
{
	size_t i = ((uintptr_t)v >> 4) * 0x9E3779B97F4A7C15u & (w->cap - 1);
	while (w->keys[i] && w->keys[i] != v)
		i = (i + 1) & (w->cap - 1);
	return i;
}

static char *state_of(struct walk *w, json_t *v)
{
	if (2 * (w->len + 1) > w->cap) {
		struct walk n = { calloc(w->cap * 2, sizeof *n.keys), calloc(w->cap * 2, 1),
		                  w->cap * 2, w->len };
		if (!n.keys || !n.state)
			fz_fail("out of memory");
		for (size_t i = 0; i < w->cap; i++)
			if (w->keys[i]) {
				size_t j = slot(&n, w->keys[i]);
				n.keys[j] = w->keys[i];
				n.state[j] = w->state[i];
			}
		free(w->keys), free(w->state);
		*w = n;
	}
	size_t i = slot(w, v);
	if (!w->keys[i]) {
		w->keys[i] = v;
		w->len++;
	}
	return &w->state[i];
}

static bool walk(struct walk *w, json_t *v)
{
	if (!json_is_object(v) && !json_is_array(v))
		return true;
	char *st = state_of(w, v);
	if (*st)
		return *st == 2;   /* open: V is inside itself */
	*st = 1;
	bool ok = true;
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			if (!(ok = walk(w, x)))
				break;
	} else {
		json_array_foreach(v, i, x)
			if (!(ok = walk(w, x)))
				break;
	}
	*state_of(w, v) = ok ? 2 : 1;   /* the table may have moved */
	return ok;
}

bool fz_acyclic(json_t *v)
{
	struct walk w = { calloc(64, sizeof *w.keys), calloc(64, 1), 64, 0 };
	if (!w.keys || !w.state)
		fz_fail("out of memory");
	bool ok = walk(&w, v);
	free(w.keys), free(w.state);
	return ok;
}
