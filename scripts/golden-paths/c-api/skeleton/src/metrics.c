/* {{name}}: the request-duration histogram (see metrics.h). */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OTel semantic-conventions buckets for http.server.request.duration, in seconds. */
static const double bucket_le[] = { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
	                             0.5,   0.75, 1,     2.5,  5,     7.5,  10 };
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])

static const char *const known_methods[] = { "GET",    "HEAD",    "POST",    "PUT",  "PATCH",
	                                     "DELETE", "OPTIONS", "CONNECT", "TRACE" };

struct series {
	char labels[192];                   /* the label set, rendered once */
	unsigned long long count[NBUCKETS]; /* per bucket, not cumulative */
	unsigned long long total;
	double sum;
};

struct metrics {
	int enabled;
	pthread_mutex_t lock;
	size_t nseries;
	struct series series[METRICS_MAX_SERIES];
};

const char *metrics_method_label(const char *method)
{
	for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
		if (strcmp(method, known_methods[i]) == 0)
			return known_methods[i];
	return "_OTHER";
}

struct metrics *metrics_new(int enabled)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->enabled = enabled;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int metrics_enabled(const struct metrics *m)
{
	return m->enabled;
}

void metrics_observe(struct metrics *m, const char *method, unsigned status, const char *route,
                     double seconds)
{
	if (!m->enabled)
		return;
	/* the label set, in a fixed order: error_type only on 5xx */
	char labels[192];
	int n = snprintf(labels, sizeof labels, "http_request_method=\"%s\",http_response_status_code=\"%u\"",
	                 metrics_method_label(method), status);
	if (route != NULL)
		n += snprintf(labels + n, sizeof labels - (size_t)n, ",http_route=\"%s\"", route);
	if (status >= 500)
		snprintf(labels + n, sizeof labels - (size_t)n, ",error_type=\"%u\"", status);

	size_t b = 0;
	while (b < NBUCKETS && seconds > bucket_le[b])
		b++; /* b == NBUCKETS: slower than the last bucket, only +Inf */

	pthread_mutex_lock(&m->lock);
	size_t i = 0;
	while (i < m->nseries && strcmp(m->series[i].labels, labels) != 0)
		i++;
	if (i == m->nseries && i < METRICS_MAX_SERIES) {
		memcpy(m->series[i].labels, labels, sizeof labels);
		m->nseries++;
	}
	if (i < m->nseries) {
		struct series *s = &m->series[i];
		if (b < NBUCKETS)
			s->count[b]++;
		s->total++;
		s->sum += seconds;
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics_render(struct metrics *m, struct buf *out)
{
	if (!m->enabled)
		return;
	buf_printf(out, "# HELP " METRICS_NAME " Duration of HTTP server requests.\n"
	                "# TYPE " METRICS_NAME " histogram\n");
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nseries; i++) {
		const struct series *s = &m->series[i];
		unsigned long long cumulative = 0;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cumulative += s->count[b];
			buf_printf(out, METRICS_NAME "_bucket{%s,le=\"%g\"} %llu\n", s->labels, bucket_le[b],
			           cumulative);
		}
		buf_printf(out, METRICS_NAME "_bucket{%s,le=\"+Inf\"} %llu\n", s->labels, s->total);
		buf_printf(out, METRICS_NAME "_sum{%s} %.9g\n", s->labels, s->sum);
		buf_printf(out, METRICS_NAME "_count{%s} %llu\n", s->labels, s->total);
	}
	pthread_mutex_unlock(&m->lock);
}
