/*
 * query.c -- logs.query: a service's lines from Loki with LogQL (the
 * shape is in sdk/hooks.json), what `paved logs` reads when Loki runs.
 *
 * The selector is {service="S", env="E"} (the labels paved-logship puts
 * on every line), followed by the caller's pipeline (`query`, e.g.
 * `|= "error"`).  Lines come back merged by time over every stream:
 *   - no tail: forward from `since` seconds ago (else 30 days), in pages
 *     of 5000, up to 100,000 lines;
 *   - tail N: backward from now, the newest N (pages of 5000), returned
 *     oldest first;
 *   - cursor: only lines after it (following by polling).  The cursor is
 *     "T=NS;REPLICA/STREAM=NS;...": the newest entry handed out of every
 *     stream, and a floor T for streams not seen yet.  A stream's entries
 *     reach Loki in order (the shipper ships a replica's lines in order),
 *     so "after its newest" is exact per stream; T trails now by 30 s, so
 *     a new replica's lines that reach Loki up to 30 s late still show.
 * Every request has the timeout plugins.logs.timeout_ms.
 */
#include "logs.h"
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 5000
#define MAX_LINES 100000
#define LAG_NS (30LL * 1000000000LL)
#define DEFAULT_RANGE_NS (720LL * 3600 * 1000000000LL)

/* One entry: its time, its stream's labels (borrowed from a response
 * kept alive in the query) and its text. */
struct entry {
	long long   ns;
	json_t     *labels;
	const char *line;
};

struct found {
	struct entry *e;
	size_t n, cap;
	json_t *pages;     /* every response, kept for the borrowed strings */
};

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	const char *rx = json_string_value(json_object_get(x->labels, "replica")) ?: "";
	const char *ry = json_string_value(json_object_get(y->labels, "replica")) ?: "";
	return strcmp(rx, ry);
}

/* "REPLICA/STREAM" of LABELS, into KEY. */
static void key_of(json_t *labels, char *key, size_t n)
{
	snprintf(key, n, "%s/%s", json_string_value(json_object_get(labels, "replica")) ?: "",
	         json_string_value(json_object_get(labels, "stream")) ?: "");
}

/* GET one page of query_range.  *COUNT entries were added to F (those
 * already in F at the boundary time EDGE are skipped); *LOW, *HIGH the
 * oldest and newest time of the page. */
static int page(paved_ctx *ctx, const char *url, const char *logql, long long start,
                long long end, int limit, bool backward, struct found *f, long long edge,
                size_t *count, long long *low, long long *high, char **errmsg)
{
	char *q = lh_escape("", logql), *u = NULL;
	struct pchttp_answer a;
	int rc = PAVED_OK;
	*count = 0, *low = end, *high = start;
	if (!q || asprintf(&u, "%s/loki/api/v1/query_range?query=%s&start=%lld&end=%lld&limit=%d"
	                   "&direction=%s", url, q, start, end, limit,
	                   backward ? "backward" : "forward") < 0) {
		free(q);
		return paved->error(errmsg, "out of memory");
	}
	free(q);
	const char *tenant = json_string_value(paved->option(ctx, "tenant"));
	char hdr[300];
	if (tenant && *tenant)
		snprintf(hdr, sizeof hdr, "X-Scope-OrgID: %s", tenant);
	if (lh_request("GET", u, NULL, 0, NULL, tenant && *tenant ? hdr : NULL, lb_timeout(ctx),
	               &a) != 0) {
		rc = paved->error(errmsg, "Loki at %s does not answer: %s", url, a.error);
		goto out;
	}
	json_t *j = json_loads(a.body, 0, NULL);
	json_t *result = json_object_get(json_object_get(j, "data"), "result");
	if (a.status != 200 || !json_is_array(result)) {
		char *line = pc_last_line(a.body);
		rc = paved->error(errmsg, "Loki at %s refused the query %s: HTTP %ld %.200s", url, logql,
		                  a.status, line ? line : "");
		free(line);
		json_decref(j);
		goto out;
	}
	json_array_append_new(f->pages, j);
	size_t i, k;
	json_t *s, *v;
	json_array_foreach(result, i, s) {
		json_t *labels = json_object_get(s, "stream");
		json_array_foreach(json_object_get(s, "values"), k, v) {
			const char *ts = json_string_value(json_array_get(v, 0));
			const char *line = json_string_value(json_array_get(v, 1));
			long long ns = ts ? strtoll(ts, NULL, 10) : 0;
			if (!line || ns <= 0)
				continue;
			if (ns < *low)
				*low = ns;
			if (ns > *high)
				*high = ns;
			(*count)++;
			bool dup = false;
			for (size_t m = 0; ns == edge && m < f->n && !dup; m++)
				dup = f->e[m].ns == ns && json_equal(f->e[m].labels, labels) &&
				      !strcmp(f->e[m].line, line);
			if (dup)
				continue;
			if (f->n == f->cap) {
				size_t nc = f->cap ? f->cap * 2 : 1024;
				struct entry *g = realloc(f->e, nc * sizeof *g);
				if (!g) {
					rc = paved->error(errmsg, "out of memory");
					goto out;
				}
				f->e = g, f->cap = nc;
			}
			f->e[f->n++] = (struct entry){ ns, labels, line };
		}
	}
out:
	pchttp_free(&a);
	free(u);
	return rc;
}

/* The cursor "T=NS;KEY=NS;..." as {KEY: NS} and *FLOOR; NULL if bad. */
static json_t *cursor_parse(const char *c, long long *floor)
{
	json_t *m = json_object();
	char *copy = strdup(c), *save = NULL;
	*floor = -1;
	for (char *part = copy ? strtok_r(copy, ";", &save) : NULL; part;
	     part = strtok_r(NULL, ";", &save)) {
		char *eq = strrchr(part, '='), *end;
		if (!eq)
			goto bad;
		*eq = '\0';
		errno = 0;
		long long ns = strtoll(eq + 1, &end, 10);
		if (errno || *end || ns < 0 || !*part)
			goto bad;
		if (!strcmp(part, "T"))
			*floor = ns;
		else
			json_object_set_new(m, part, json_integer(ns));
	}
	if (!copy || *floor < 0)
		goto bad;
	free(copy);
	return m;
bad:
	free(copy);
	json_decref(m);
	return NULL;
}

static char *cursor_format(json_t *m, long long floor)
{
	size_t len = 0;
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);
	const char *k;
	json_t *v;
	if (!f)
		return NULL;
	fprintf(f, "T=%lld", floor);
	json_object_foreach(m, k, v)
		if (json_integer_value(v) >= floor)
			fprintf(f, ";%s=%lld", k, (long long)json_integer_value(v));
	fclose(f);
	return s;
}

/* The line of entry E as logs.query hands it out. */
static json_t *line_of(const struct entry *e)
{
	char ts[32];
	pc_format_time_ms(e->ns / 1000000, ts);
	json_t *l = json_pack("{ss ss ss ss ss}", "time", ts,
	                      "replica", json_string_value(json_object_get(e->labels, "replica")) ?: "",
	                      "version", json_string_value(json_object_get(e->labels, "version")) ?: "",
	                      "stream", json_string_value(json_object_get(e->labels, "stream")) ?: "",
	                      "line", e->line);
	if (l && strstr(e->line, "\"trace_id\"")) {
		json_t *j = json_loads(e->line, 0, NULL);
		const char *t = json_string_value(json_object_get(j, "trace_id"));
		if (t)
			json_object_set_new(l, "trace_id", json_string(t));
		json_decref(j);
	}
	return l;
}

int lq_query(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	const char *pipe = json_string_value(json_object_get(args, "query"));
	const char *cursor = json_string_value(json_object_get(args, "cursor"));
	json_t *jtail = json_object_get(args, "tail"), *seen = NULL;
	double since = json_number_value(json_object_get(args, "since"));
	long long tail = json_is_integer(jtail) ? json_integer_value(jtail) : -1, floor = 0;
	struct found f = { 0 };
	char *url = NULL, *logql = NULL;
	bool managed;
	int rc;
	if (!svc || !env)
		return paved->error(errmsg, "service and env are required");
	if (pipe && *pipe && pipe[0] != '|' && pipe[0] != '!')
		return paved->error(errmsg, "query must be a LogQL pipeline that follows the selector, "
		                    "such as '|= \"error\"', not '%.80s'", pipe);
	if (cursor && !(seen = cursor_parse(cursor, &floor)))
		return paved->error(errmsg, "invalid cursor '%.80s': pass back the cursor a previous "
		                    "call returned", cursor);
	f.pages = json_array();   /* after the checks above, which return without freeing */
	if ((rc = lb_url(ctx, &url, &managed, errmsg)))
		goto out;
	if (!(logql = pc_printf("{service=\"%s\", env=\"%s\"}%s%s", svc, env, pipe ? " " : "",
	                        pipe ? pipe : ""))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	long long end = now_ns() + 1000000000LL, start = end - DEFAULT_RANGE_NS;
	if (since > 0)
		start = end - 1000000000LL - (long long)(since * 1e9);
	if (seen) {
		/* after every stream's newest, and the floor for new streams */
		start = floor;
		const char *k;
		json_t *v;
		json_object_foreach(seen, k, v)
			if (json_integer_value(v) < start)
				start = json_integer_value(v);
		start++;
	}
	size_t count;
	long long low, high, edge = -1;
	if (tail >= 0 && !seen) {
		long long upto = end;
		while ((long long)f.n < tail) {
			long long want = tail - (long long)f.n + (edge >= 0);
			int lim = want < PAGE ? (int)want : PAGE;
			if ((rc = page(ctx, url, logql, start, upto, lim, true, &f, edge, &count, &low,
			               &high, errmsg)))
				goto out;
			if (count < (size_t)lim)
				break;
			edge = low, upto = low + 1;
		}
	} else {
		for (long long from = start; f.n < MAX_LINES;) {
			if ((rc = page(ctx, url, logql, from, end, PAGE, false, &f, edge, &count, &low,
			               &high, errmsg)))
				goto out;
			if (count < PAGE)
				break;
			edge = high, from = high;
		}
	}
	if (f.n)
		qsort(f.e, f.n, sizeof *f.e, by_time);
	size_t first = tail >= 0 && !seen && (size_t)tail < f.n ? f.n - (size_t)tail : 0;
	json_t *lines = json_array(), *newest = seen ? json_incref(seen) : json_object();
	for (size_t i = 0; i < f.n; i++) {
		char key[200];
		key_of(f.e[i].labels, key, sizeof key);
		json_int_t had = json_integer_value(json_object_get(newest, key));
		if (seen && (json_object_get(seen, key) ? f.e[i].ns <= had : f.e[i].ns <= floor))
			continue;
		if (f.e[i].ns > had)
			json_object_set_new(newest, key, json_integer(f.e[i].ns));
		if (i >= first)
			json_array_append_new(lines, line_of(&f.e[i]));
	}
	long long nf = now_ns() - LAG_NS;
	char *c = cursor_format(newest, nf > floor ? nf : floor);
	*result = json_pack("{so ss}", "lines", lines, "cursor", c ? c : "T=0");
	free(c);
	json_decref(newest);
out:
	json_decref(seen);
	json_decref(f.pages);
	free(f.e), free(url), free(logql);
	return rc;
}
