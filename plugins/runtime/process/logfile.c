/*
 * logfile.c -- replica logs as JSON lines: writing with rotation, reading
 * back merged by time (see logfile.h).
 */
#include "logfile.h"
#include "pc.h"

#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX (1024LL * 1024)
#define DEFAULT_KEEP 3

double rl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void rl_time(double t, char buf[32])
{
	pc_format_time_ms((long long)(t * 1000 + 0.5), buf);   /* t > 0: rounded to the ms */
}

double rl_parse_time(const char *s)
{
	long long ms = pc_parse_time_ms(s);
	return ms < 0 ? -1 : ms / 1000.0;
}

/* ---- writing ---------------------------------------------------------- */

/* The seq of the last line of the log file PATH, or 0. */
static unsigned long long last_seq(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned long long seq = 0;
	if (fd < 0)
		return 0;
	struct stat st;
	char buf[RL_LINE_MAX * 2 + 1024];
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		off_t from = st.st_size > (off_t)(sizeof buf - 1) ? st.st_size - (off_t)(sizeof buf - 1) : 0;
		ssize_t n = pread(fd, buf, sizeof buf - 1, from);
		if (n > 0) {
			buf[n] = '\0';
			while (n > 0 && buf[n - 1] == '\n')
				buf[--n] = '\0';
			char *line = strrchr(buf, '\n');
			json_t *j = json_loads(line ? line + 1 : buf, 0, NULL);
			json_int_t v = json_integer_value(json_object_get(j, "seq"));
			seq = v > 0 ? (unsigned long long)v : 0;
			json_decref(j);
		}
	}
	close(fd);
	return seq;
}

int rl_open(struct rl_writer *w, const char *path, long long max, int keep)
{
	struct stat st;
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->max = max > 0 ? max : DEFAULT_MAX;
	w->keep = keep > 0 ? keep : DEFAULT_KEEP;
	if (!(w->path = strdup(path)))
		return -1;
	w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0 || fstat(w->fd, &st) != 0) {
		int e = errno;
		rl_close(w);
		errno = e;
		return -1;
	}
	w->size = st.st_size;
	w->seq = last_seq(path);
	if (!w->seq) {
		char *older = malloc(strlen(path) + 3);
		if (older) {
			sprintf(older, "%s.1", path);
			w->seq = last_seq(older);
			free(older);
		}
	}
	return 0;
}

/* ID.log -> ID.log.1 -> ... -> ID.log.KEEP (dropped), then a fresh ID.log.
 * A file the log shipper (plugins/logs) has not shipped whole is not
 * dropped: when ID.shipped (its checkpoint: the seq of the last line Loki
 * accepted) is older than ID.log.KEEP's last line, that file moves on to
 * ID.log.KEEP+1, and so on, up to RL_UNSHIPPED_MAX files more; files past
 * the last one kept are removed.  Without ID.shipped, KEEP files are kept. */
static int rotate(struct rl_writer *w)
{
	size_t n = strlen(w->path) + 16;
	char *a = malloc(n), *b = malloc(n), *ck = malloc(n);
	int rc = -1, top = w->keep;
	unsigned long long shipped = 0;
	bool shipping = false;
	if (!a || !b || !ck)
		goto out;
	snprintf(ck, n, "%.*s.shipped", (int)(strlen(w->path) - 4), w->path);  /* ID.log -> ID.shipped */
	FILE *f = fopen(ck, "re");
	if (f) {
		shipping = fscanf(f, "%llu", &shipped) == 1;
		fclose(f);
	}
	for (; shipping && top < w->keep + RL_UNSHIPPED_MAX; top++) {
		snprintf(b, n, "%s.%d", w->path, top);
		if (access(b, F_OK) != 0 || last_seq(b) <= shipped)
			break;
	}
	for (int k = top; k >= 1; k--) {
		snprintf(b, n, "%s.%d", w->path, k);
		if (k == 1)
			snprintf(a, n, "%s", w->path);
		else
			snprintf(a, n, "%s.%d", w->path, k - 1);
		if (rename(a, b) != 0 && errno != ENOENT)
			goto out;
	}
	for (int k = top + 1;; k++) {   /* kept earlier while unshipped, shipped now */
		snprintf(b, n, "%s.%d", w->path, k);
		if (unlink(b) != 0)
			break;
	}
	close(w->fd);
	w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	w->size = 0;
	rc = w->fd < 0 ? -1 : 0;
out:
	free(a), free(b), free(ck);
	return rc;
}

/* Length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		len = 2, min = 0x80, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		len = 3, min = 0x800, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

/* TEXT as valid UTF-8 without NUL bytes (each bad byte becomes U+FFFD and
 * a trailing CR is dropped), malloc()ed. */
static char *clean_utf8(const char *text, size_t len)
{
	if (len && text[len - 1] == '\r')
		len--;
	char *out = malloc(len * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k = text[i] ? utf8_len((const unsigned char *)text + i, len - i) : 0;
		if (k) {
			memcpy(o, text + i, k);
			o += k, i += k;
		} else {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3, i++;
		}
	}
	*o = '\0';
	return out;
}

int rl_write(struct rl_writer *w, const char *id, const char *version, const char *stream,
             const char *text, size_t len)
{
	char ts[32];
	if (w->fd < 0)
		return -1;
	char *clean = clean_utf8(text, len);
	if (!clean)
		return -1;
	rl_time(rl_now(), ts);
	json_t *j = json_pack("{ss sI ss ss ss ss}", "time", ts, "seq", (json_int_t)(w->seq + 1),
	                      "replica", id, "version", version ? version : "", "stream", stream,
	                      "line", clean);
	free(clean);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!s)
		return -1;
	size_t n = strlen(s);
	s[n] = '\n';   /* over the NUL: the line goes out with its newline */
	int rc = -1;
	if (w->size > 0 && w->size + (long long)n + 1 > w->max && rotate(w) != 0)
		goto out;
	/* one write() per line: O_APPEND keeps lines whole for readers */
	if (write(w->fd, s, n + 1) == (ssize_t)(n + 1)) {
		w->size += (long long)n + 1;
		w->seq++;
		rc = 0;
	}
out:
	free(s);
	return rc;
}

void rl_close(struct rl_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->path);
	w->path = NULL;
}

/* ---- reading ---------------------------------------------------------- */

/* CURSOR ("ID:SEQ,ID:SEQ") as {ID: SEQ}; NULL when malformed. */
static json_t *cursor_parse(const char *cursor)
{
	json_t *c = json_object();
	const char *p = cursor;
	while (c && p && *p) {
		const char *colon = strchr(p, ':');
		size_t idlen = colon ? (size_t)(colon - p) : 0;
		char id[64];
		if (!colon || idlen == 0 || idlen >= sizeof id)
			goto bad;
		memcpy(id, p, idlen);
		id[idlen] = '\0';
		for (size_t i = 0; i < idlen; i++)
			if (!islower((unsigned char)id[i]) && !isdigit((unsigned char)id[i]) && id[i] != '-')
				goto bad;
		char *end;
		errno = 0;
		if (!isdigit((unsigned char)colon[1]))
			goto bad;
		unsigned long long seq = strtoull(colon + 1, &end, 10);
		if (errno || (*end && *end != ','))
			goto bad;
		json_object_set_new(c, id, json_integer((json_int_t)seq));
		p = *end ? end + 1 : end;
		if (*end && !*p)
			goto bad;
	}
	return c;
bad:
	json_decref(c);
	return NULL;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {ID: SEQ} as "ID:SEQ,ID:SEQ", ids sorted. */
static char *cursor_format(json_t *c)
{
	size_t len = 0, n = 0;
	char *s = NULL;
	const char **keys = calloc(json_object_size(c) + 1, sizeof *keys), *k;
	json_t *v;
	FILE *f = keys ? open_memstream(&s, &len) : NULL;
	if (!f) {
		free(keys);
		return NULL;
	}
	json_object_foreach(c, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s:%lld", i ? "," : "", keys[i],
		        (long long)json_integer_value(json_object_get(c, keys[i])));
	fclose(f);
	free(keys);
	return s;
}

/* NAME is ID.log or ID.log.N; the ID (up to 63 bytes) into ID. */
static int log_name(const char *name, char id[64])
{
	const char *dot = strstr(name, ".log");
	size_t n = dot ? (size_t)(dot - name) : 0;
	if (!dot || n == 0 || n >= 64)
		return 0;
	const char *rest = dot + 4;
	if (*rest == '.') {
		rest++;
		if (!*rest)
			return 0;
		while (isdigit((unsigned char)*rest))
			rest++;
	}
	if (*rest)
		return 0;
	memcpy(id, name, n);
	id[n] = '\0';
	return 1;
}

/* A line with its sort key. */
struct entry {
	double   t;
	char    *replica;   /* borrowed from line */
	json_int_t seq;
	json_t  *line;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	int c = strcmp(x->replica, y->replica);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Read every line of log file PATH of replica ID into ENTRIES (those that
 * pass SINCE and FROM), and the newest seq into NEWEST[ID]. */
static void read_log(const char *path, const char *id, double since, json_t *from,
                     json_t *newest, struct entry **entries, size_t *n, size_t *cap)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t bcap = 0;
	ssize_t len;
	json_int_t after = json_integer_value(json_object_get(from, id));
	if (!f)
		return;
	while ((len = getline(&buf, &bcap, f)) > 0) {
		json_t *j = json_loadb(buf, (size_t)len, 0, NULL);
		const char *ts = json_string_value(json_object_get(j, "time"));
		json_int_t seq = json_integer_value(json_object_get(j, "seq"));
		double t = rl_parse_time(ts);
		if (!j || t < 0 || seq <= 0) {
			json_decref(j);
			continue;
		}
		if (seq > json_integer_value(json_object_get(newest, id)))
			json_object_set_new(newest, id, json_integer(seq));
		if (seq <= after || t < since) {
			json_decref(j);
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct entry *g = realloc(*entries, nc * sizeof *g);
			if (!g) {
				json_decref(j);
				continue;
			}
			*entries = g, *cap = nc;
		}
		json_object_set_new(j, "replica", json_string(id));
		json_object_del(j, "seq");
		(*entries)[*n] = (struct entry){ t, (char *)json_string_value(json_object_get(j, "replica")),
		                                 seq, j };
		(*n)++;
	}
	free(buf);
	fclose(f);
}

int rl_collect(const char *dir, double since, const char *cursor, long tail,
               json_t **out, char **errmsg)
{
	json_t *from = cursor_parse(cursor ? cursor : "");
	*out = NULL;
	if (!from) {
		if (errmsg && asprintf(errmsg, "invalid cursor '%.80s': pass back the cursor a "
		                       "previous call returned", cursor) < 0)
			*errmsg = NULL;
		return -1;
	}
	json_t *newest = json_deep_copy(from);
	struct entry *entries = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char id[64];
		if (!log_name(e->d_name, id))
			continue;
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			continue;
		read_log(path, id, since, from, newest, &entries, &n, &cap);
		free(path);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(entries, n, sizeof *entries, entry_cmp);
	size_t first = tail >= 0 && (size_t)tail < n ? n - (size_t)tail : 0;
	json_t *lines = json_array();
	for (size_t i = 0; i < n; i++) {
		if (i >= first)
			json_array_append(lines, entries[i].line);
		json_decref(entries[i].line);
	}
	free(entries);
	char *c = cursor_format(newest);
	*out = json_pack("{so ss}", "lines", lines, "cursor", c ? c : "");
	free(c);
	json_decref(newest);
	json_decref(from);
	return 0;
}
