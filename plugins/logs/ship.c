/*
 * ship.c -- replica log files to Loki, each line once and in order (see
 * ship.h for the contract with the runtime's log files).
 *
 * Each source keeps two read positions: the committed one (fd, off, seq:
 * what Loki accepted) and the pending one (pend_*: what the batch in
 * flight holds).  A round reads from the pending positions, POSTs, and
 * then either commits (checkpoint files written, pending becomes
 * committed) or rolls back (pending reset to committed), so a batch Loki
 * did not take is read again, whole, in the next round.
 */
#include "ship.h"
#include "pc.h"
#include "http.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define READ_MAX (1024 * 1024)
#define MAX_FILES 4096

/* ---- checkpoints ------------------------------------------------------ */

unsigned long long ls_checkpoint(const char *dir, const char *id)
{
	char path[4096];
	unsigned long long seq = 0;
	snprintf(path, sizeof path, "%s/%s.shipped", dir, id);
	FILE *f = fopen(path, "re");
	if (f && fscanf(f, "%llu", &seq) != 1)
		seq = 0;
	if (f)
		fclose(f);
	return seq;
}

int ls_checkpoint_write(const char *dir, const char *id, unsigned long long seq)
{
	char path[4096], tmp[4200], text[32];
	snprintf(path, sizeof path, "%s/%s.shipped", dir, id);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	int n = snprintf(text, sizeof text, "%llu\n", seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n || close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* ---- a replica's files -------------------------------------------------- */

/* NAME is ID.log (rank 0) or ID.log.N (rank N) of replica ID: its rank,
 * else -1. */
static long rank_of(const char *name, const char *id)
{
	size_t n = strlen(id);
	if (strncmp(name, id, n) || strncmp(name + n, ".log", 4))
		return -1;
	const char *rest = name + n + 4;
	if (!*rest)
		return 0;
	if (*rest != '.' || !isdigit((unsigned char)rest[1]))
		return -1;
	char *end;
	long r = strtol(rest + 1, &end, 10);
	return *end || r <= 0 ? -1 : r;
}

static int rank_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The seq of the first line of the file at FD; 0 when it has none. */
static unsigned long long first_seq(int fd)
{
	char buf[128 * 1024 + 1];
	ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	char *nl = strchr(buf, '\n');
	if (!nl)
		return 0;
	json_t *j = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
	json_int_t seq = json_integer_value(json_object_get(j, "seq"));
	json_decref(j);
	return seq > 0 ? (unsigned long long)seq : 0;
}

/* Open the file of SRC to read after seq AFTER: of the replica's files,
 * oldest first, the last one whose first line is at most AFTER + 1 (else
 * the oldest one with a line).  *FD and *INO; 0, or -1 when it has none. */
static int open_after(const struct ls_source *src, unsigned long long after, int *fd, ino_t *ino)
{
	long ranks[MAX_FILES];
	size_t n = 0;
	DIR *d = opendir(src->dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && n < MAX_FILES) {
		long r = rank_of(e->d_name, src->id);
		if (r >= 0)
			ranks[n++] = r;
	}
	if (d)
		closedir(d);
	qsort(ranks, n, sizeof *ranks, rank_desc);
	int best = -1, oldest = -1;
	for (size_t i = 0; i < n; i++) {
		char path[4200];
		if (ranks[i])
			snprintf(path, sizeof path, "%s/%s.log.%ld", src->dir, src->id, ranks[i]);
		else
			snprintf(path, sizeof path, "%s/%s.log", src->dir, src->id);
		int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (f < 0)
			continue;
		unsigned long long s = first_seq(f);
		if (!s) {
			close(f);
			continue;
		}
		if (oldest < 0) {
			oldest = f;
			if (s <= after + 1)
				best = f;
			continue;
		}
		if (s <= after + 1) {
			if (best >= 0 && best != oldest)
				close(best);
			best = f;
		} else {
			close(f);
		}
	}
	int pick = best >= 0 ? best : oldest;
	if (oldest >= 0 && oldest != pick)
		close(oldest);
	if (pick < 0)
		return -1;
	struct stat st;
	fstat(pick, &st);
	*fd = pick;
	*ino = st.st_ino;
	return 0;
}

/* Was the file of inode INO rotated away from ID.log? */
static bool rotated(const struct ls_source *src, ino_t ino)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s.log", src->dir, src->id);
	return stat(path, &st) == 0 && st.st_ino != ino;
}

/* ---- the batch ---------------------------------------------------------- */

/* One Loki stream of the batch: its labels and its values so far. */
struct stream {
	char  *key;       /* "env\nservice\nversion\nreplica\nstream": found without JSON */
	char  *labels;    /* JSON object text */
	char  *text;      /* "[ns, line],[ns, line]" */
	size_t len, cap;
};

struct batch {
	struct stream *s;
	size_t n, cap;
	size_t lines, bytes;
};

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->s[i].key), free(b->s[i].labels), free(b->s[i].text);
	free(b->s);
	memset(b, 0, sizeof *b);
}

static int grow(struct stream *s, size_t more)
{
	if (s->len + more + 1 <= s->cap)
		return 0;
	size_t nc = s->cap ? s->cap * 2 : 4096;
	while (nc < s->len + more + 1)
		nc *= 2;
	char *g = realloc(s->text, nc);
	if (!g)
		return -1;
	s->text = g, s->cap = nc;
	return 0;
}

/* The stream of BATCH for these labels, added when new. */
static struct stream *stream_of(struct batch *b, const char *env, const char *service,
                                const char *version, const char *replica, const char *stream)
{
	char *key = NULL;
	if (asprintf(&key, "%s\n%s\n%s\n%s\n%s", env, service, version, replica, stream) < 0)
		return NULL;
	for (size_t i = b->n; i-- > 0;)
		if (!strcmp(b->s[i].key, key)) {
			free(key);
			return &b->s[i];
		}
	json_t *l = json_pack("{ss ss ss ss ss}", "service", service, "env", env, "version",
	                      version, "replica", replica, "stream", stream);
	char *labels = l ? json_dumps(l, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(l);
	if (!labels || b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 8;
		struct stream *g = labels ? realloc(b->s, nc * sizeof *g) : NULL;
		if (!g) {
			free(key), free(labels);
			return NULL;
		}
		b->s = g, b->cap = nc;
	}
	b->s[b->n] = (struct stream){ .key = key, .labels = labels };
	return &b->s[b->n++];
}

/* Add the log-file line J (parsed) of replica ID to BATCH.  0, or -1. */
static int add_line(struct batch *b, const char *env, const char *service, const char *id,
                    json_t *j)
{
	const char *version = json_string_value(json_object_get(j, "version"));
	const char *stream = json_string_value(json_object_get(j, "stream"));
	json_t *line = json_object_get(j, "line");
	long long ms = pc_parse_time_ms(json_string_value(json_object_get(j, "time")));
	json_int_t seq = json_integer_value(json_object_get(j, "seq"));
	if (ms < 0 || !json_is_string(line))
		return -1;
	struct stream *s = stream_of(b, env, service, version ? version : "", id,
	                             stream ? stream : "stdout");
	size_t need = json_dumpb(line, NULL, 0, JSON_ENCODE_ANY);
	if (!s || !need || grow(s, need + 48))
		return -1;
	s->len += (size_t)sprintf(s->text + s->len, "%s[\"%lld%06lld\",", s->len ? "," : "",
	                          ms, (long long)(seq % 1000000));
	s->len += json_dumpb(line, s->text + s->len, need, JSON_ENCODE_ANY);
	s->text[s->len++] = ']';
	s->text[s->len] = '\0';
	b->lines++;
	b->bytes += need + 24;
	return 0;
}

/* The push request's JSON text for BATCH, malloc()ed. */
static char *batch_body(const struct batch *b)
{
	size_t len = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fputs("{\"streams\":[", f);
	for (size_t i = 0; i < b->n; i++)
		fprintf(f, "%s{\"stream\":%s,\"values\":[%s]}", i ? "," : "", b->s[i].labels,
		        b->s[i].text ? b->s[i].text : "");
	fputs("]}", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Walk the complete lines of BUF (LEN bytes): add those after *SEQ to B
 * until it is full; *USED is how many bytes were consumed, *SEQ the last
 * seq taken.  GAPS counts seqs skipped (lines lost before shipping). */
static void take_lines(struct ls_shipper *sh, struct batch *b, const struct ls_source *src,
                       const char *buf, size_t len, size_t *used, unsigned long long *seq)
{
	size_t at = 0;
	while (at < len && b->lines < sh->max_lines && b->bytes < sh->max_bytes) {
		const char *nl = memchr(buf + at, '\n', len - at);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (buf + at));
		json_t *j = json_loadb(buf + at, n, 0, NULL);
		json_int_t s = json_integer_value(json_object_get(j, "seq"));
		if (j && s > 0 && (unsigned long long)s > *seq) {
			if (*seq && (unsigned long long)s > *seq + 1)
				sh->stats.gaps += (unsigned long long)s - *seq - 1;
			if (add_line(b, src->env, src->service, src->id, j) != 0)
				sh->stats.rejected++;   /* no time or no text: not a log line */
			*seq = (unsigned long long)s;
		}
		json_decref(j);
		at += n + 1;
	}
	*used = at;
}

/* Read SRC's lines after its pending position into B. */
static void fill(struct ls_shipper *sh, struct ls_source *src, struct batch *b, char *buf)
{
	int eofs = 0;
	if (src->pend_fd < 0) {
		if (open_after(src, src->pend_seq, &src->pend_fd, &src->pend_ino) != 0)
			return;
		src->pend_off = 0;
		if (src->fd < 0)
			src->fd = src->pend_fd, src->ino = src->pend_ino, src->off = 0;
	}
	while (b->lines < sh->max_lines && b->bytes < sh->max_bytes) {
		ssize_t r = pread(src->pend_fd, buf, READ_MAX, src->pend_off);
		size_t used = 0;
		if (r > 0)
			take_lines(sh, b, src, buf, (size_t)r, &used, &src->pend_seq);
		if (r == READ_MAX && used == 0) {
			used = (size_t)r;   /* no newline in a whole buffer: not a log line */
			sh->stats.gaps++;
		}
		src->pend_off += (off_t)used;
		if (used)
			continue;
		/* at the end of the file: was it rotated?  Read it once more (the
		 * writer may have added a line before renaming it), then go on
		 * with the next file */
		if (!rotated(src, src->pend_ino))
			return;
		if (eofs++ == 0)
			continue;
		int nfd;
		ino_t nino;
		if (open_after(src, src->pend_seq, &nfd, &nino) != 0)
			return;
		if (nino == src->pend_ino) {
			close(nfd);
			return;     /* the next file has no line yet */
		}
		if (src->pend_fd != src->fd)
			close(src->pend_fd);
		src->pend_fd = nfd, src->pend_ino = nino, src->pend_off = 0;
		eofs = 0;
	}
}

static void commit(struct ls_source *src)
{
	if (src->pend_seq != src->seq && ls_checkpoint_write(src->dir, src->id, src->pend_seq) != 0)
		fprintf(stderr, "paved-logship: cannot write the checkpoint of %s/%s: %s\n", src->dir,
		        src->id, strerror(errno));
	if (src->pend_fd != src->fd && src->fd >= 0)
		close(src->fd);
	src->fd = src->pend_fd, src->ino = src->pend_ino;
	src->off = src->pend_off, src->seq = src->pend_seq;
}

static void rollback(struct ls_source *src)
{
	if (src->pend_fd != src->fd && src->pend_fd >= 0)
		close(src->pend_fd);
	src->pend_fd = src->fd, src->pend_ino = src->ino;
	src->pend_off = src->off, src->pend_seq = src->seq;
}

/* ---- scanning and rounds ----------------------------------------------- */

static void source_free(struct ls_source *s)
{
	rollback(s);
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir), free(s->env), free(s->service), free(s->id);
}

int ls_init(struct ls_shipper *sh, const char *home)
{
	memset(sh, 0, sizeof *sh);
	sh->max_lines = 10000;
	sh->max_bytes = 3 * 1024 * 1024;
	if (asprintf(&sh->runtime, "%s/runtime", home) < 0) {
		sh->runtime = NULL;
		return -1;
	}
	return 0;
}

void ls_free(struct ls_shipper *sh)
{
	for (size_t i = 0; i < sh->n; i++)
		source_free(&sh->src[i]);
	free(sh->src), free(sh->runtime);
	memset(sh, 0, sizeof *sh);
}

/* Add replica ID of ENV/SERVICE (logs in DIR) unless it is known. */
static void add_source(struct ls_shipper *sh, const char *dir, const char *env,
                       const char *service, const char *id)
{
	for (size_t i = 0; i < sh->n; i++)
		if (!strcmp(sh->src[i].dir, dir) && !strcmp(sh->src[i].id, id)) {
			sh->src[i].present = true;
			return;
		}
	if (sh->n == sh->cap) {
		size_t nc = sh->cap ? sh->cap * 2 : 16;
		struct ls_source *g = realloc(sh->src, nc * sizeof *g);
		if (!g)
			return;
		sh->src = g, sh->cap = nc;
	}
	struct ls_source *s = &sh->src[sh->n];
	*s = (struct ls_source){ .dir = strdup(dir), .env = strdup(env), .service = strdup(service),
	                         .id = strdup(id), .fd = -1, .pend_fd = -1, .present = true };
	if (!s->dir || !s->env || !s->service || !s->id) {
		free(s->dir), free(s->env), free(s->service), free(s->id);
		return;
	}
	s->seq = s->pend_seq = ls_checkpoint(dir, id);
	sh->n++;
}

/* Is NAME a directory name the runtime would make (no dot files)? */
static bool plain(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/');
}

void ls_scan(struct ls_shipper *sh)
{
	for (size_t i = 0; i < sh->n; i++)
		sh->src[i].present = false;
	DIR *envs = opendir(sh->runtime);
	struct dirent *e, *s, *f;
	while (envs && (e = readdir(envs))) {
		if (!plain(e->d_name) || !strcmp(e->d_name, "haproxy"))
			continue;
		char edir[4096];
		snprintf(edir, sizeof edir, "%s/%s", sh->runtime, e->d_name);
		DIR *svcs = opendir(edir);
		while (svcs && (s = readdir(svcs))) {
			if (!plain(s->d_name))
				continue;
			char ldir[4400];
			snprintf(ldir, sizeof ldir, "%s/%s/logs", edir, s->d_name);
			DIR *logs = opendir(ldir);
			while (logs && (f = readdir(logs))) {
				size_t n = strlen(f->d_name);
				if (n > 4 && n < 68 && !strcmp(f->d_name + n - 4, ".log")) {
					char id[64];
					memcpy(id, f->d_name, n - 4);
					id[n - 4] = '\0';
					add_source(sh, ldir, e->d_name, s->d_name, id);
				}
			}
			if (logs)
				closedir(logs);
		}
		if (svcs)
			closedir(svcs);
	}
	if (envs)
		closedir(envs);
	size_t w = 0;
	for (size_t i = 0; i < sh->n; i++) {
		struct stat st;
		if (sh->src[i].present || stat(sh->src[i].dir, &st) == 0)
			sh->src[w++] = sh->src[i];
		else
			source_free(&sh->src[i]);
	}
	sh->n = w;
}

char *ls_push_body(const char *env, const char *service, const char *buf, size_t len,
                   size_t *count)
{
	struct ls_shipper sh = { .max_lines = (size_t)-1, .max_bytes = (size_t)-1 };
	struct ls_source src = { .env = (char *)env, .service = (char *)service, .id = "r" };
	struct batch b = { 0 };
	unsigned long long seq = 0;
	size_t used;
	take_lines(&sh, &b, &src, buf, len, &used, &seq);
	char *body = batch_body(&b);
	*count = b.lines;
	batch_free(&b);
	return body;
}

long ls_round(struct ls_shipper *sh, const char *url, const char *tenant, long timeout_ms)
{
	struct batch b = { 0 };
	char *buf = malloc(READ_MAX), *body = NULL, *push = NULL, header[300];
	long rc = -1;
	if (!buf) {
		snprintf(sh->stats.last_error, sizeof sh->stats.last_error, "out of memory");
		return -1;
	}
	ls_scan(sh);
	for (size_t i = 0; i < sh->n && b.lines < sh->max_lines && b.bytes < sh->max_bytes; i++)
		fill(sh, &sh->src[i], &b, buf);
	if (!b.lines) {
		rc = 0;
		goto out;
	}
	struct pchttp_answer a;
	if (tenant && *tenant)
		snprintf(header, sizeof header, "X-Scope-OrgID: %s", tenant);
	if (!(body = batch_body(&b)) || asprintf(&push, "%s/loki/api/v1/push", url) < 0) {
		push = NULL;
		snprintf(sh->stats.last_error, sizeof sh->stats.last_error, "out of memory");
		goto fail;
	}
	if (lh_request("POST", push, body, strlen(body), "application/json",
	               tenant && *tenant ? header : NULL, timeout_ms, &a) != 0) {
		snprintf(sh->stats.last_error, sizeof sh->stats.last_error, "POST %s failed: %s",
		         push, a.error);
		pchttp_free(&a);
		goto fail;
	}
	if (a.status >= 200 && a.status < 300) {
		rc = (long)b.lines;
	} else if (a.status >= 400 && a.status < 500 && a.status != 429) {
		/* refused for good (too old, too long, ...): skipped, not retried */
		fprintf(stderr, "paved-logship: Loki refused %zu lines (HTTP %ld): %.200s\n", b.lines,
		        a.status, a.body ? a.body : "");
		sh->stats.rejected += b.lines;
		rc = 0;
	} else {
		snprintf(sh->stats.last_error, sizeof sh->stats.last_error,
		         "POST %s answered HTTP %ld: %.150s", push, a.status, a.body ? a.body : "");
		pchttp_free(&a);
		goto fail;
	}
	pchttp_free(&a);
	for (size_t i = 0; i < sh->n; i++)
		commit(&sh->src[i]);
	sh->stats.batches++;
	sh->stats.shipped += (unsigned long long)rc;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sh->stats.last_ok = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	sh->stats.last_error[0] = '\0';
	goto out;
fail:
	for (size_t i = 0; i < sh->n; i++)
		rollback(&sh->src[i]);
	sh->stats.failures++;
	rc = -1;
out:
	batch_free(&b);
	free(buf), free(body), free(push);
	return rc;
}
