/* {{name}}: trace context, OTLP span JSON and the batching exporter (see trace.h). */
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

#define MAX_BATCH 512

/* ------------------------------------------------------------------ */
/* Trace context. */

static int lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int all_zero(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

int trace_parse(const char *h, char trace_id[33], char parent_id[17], char flags[3])
{
	/* 00-<32 hex>-<16 hex>-<2 hex>: 55 characters */
	if (h == NULL || strlen(h) != 55 || h[0] != '0' || h[1] != '0' || h[2] != '-' || h[35] != '-' ||
	    h[52] != '-')
		return -1;
	if (!lower_hex(h + 3, 32) || !lower_hex(h + 36, 16) || !lower_hex(h + 53, 2) ||
	    all_zero(h + 3, 32) || all_zero(h + 36, 16))
		return -1;
	memcpy(trace_id, h + 3, 32);
	trace_id[32] = '\0';
	memcpy(parent_id, h + 36, 16);
	parent_id[16] = '\0';
	memcpy(flags, h + 53, 2);
	flags[2] = '\0';
	return 0;
}

/* nbytes random bytes as lowercase hex into out (2 * nbytes + 1), never all zero. */
static void random_id(char *out, size_t nbytes)
{
	unsigned char raw[16];
	do {
		size_t got = 0;
		while (got < nbytes) {
			ssize_t n = getrandom(raw + got, nbytes - got, 0);
			if (n > 0)
				got += (size_t)n;
			else if (errno != EINTR)
				abort(); /* the kernel's random source failed: nothing sane to do */
		}
		for (size_t i = 0; i < nbytes; i++)
			snprintf(out + 2 * i, 3, "%02x", raw[i]);
	} while (all_zero(out, 2 * nbytes));
}

void span_start(struct span *s, const char *header)
{
	memset(s, 0, sizeof *s);
	s->has_parent = trace_parse(header, s->trace_id, s->parent_id, s->flags) == 0;
	if (!s->has_parent) {
		random_id(s->trace_id, 16);
		strcpy(s->flags, "01"); /* a new trace is sampled */
	}
	random_id(s->span_id, 8);
	s->start_unix_ns = unix_nanos();
	mono_now(&s->start_mono);
}

int span_sampled(const struct span *s)
{
	return (strtol(s->flags, NULL, 16) & 1) == 1;
}

void span_traceparent(const struct span *s, char out[56])
{
	snprintf(out, 56, "00-%s-%s-%s", s->trace_id, s->span_id, s->flags);
}

/* One OTLP string attribute: {"key":KEY,"value":{"stringValue":VALUE}}. */
static void attr_string(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, "{\"key\":");
	buf_json_string(b, key);
	buf_printf(b, ",\"value\":{\"stringValue\":");
	buf_json_string(b, value);
	buf_printf(b, "}}");
}

void span_otlp_json(struct buf *b, const struct span *s, const char *method, const char *route,
                    const char *path, unsigned status, uint64_t end_unix_ns)
{
	buf_printf(b, "{\"traceId\":\"%s\",\"spanId\":\"%s\",", s->trace_id, s->span_id);
	if (s->has_parent)
		buf_printf(b, "\"parentSpanId\":\"%s\",", s->parent_id);
	if (strcmp(method, "_OTHER") == 0)
		buf_printf(b, "\"name\":\"HTTP\",");
	else if (route == NULL)
		buf_printf(b, "\"name\":\"%s\",", method);
	else
		buf_printf(b, "\"name\":\"%s %s\",", method, route);
	buf_printf(b, "\"kind\":2,\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\",",
	           (unsigned long long)s->start_unix_ns, (unsigned long long)end_unix_ns);
	buf_printf(b, "\"attributes\":[");
	attr_string(b, "http.request.method", method);
	buf_printf(b, ",");
	attr_string(b, "url.path", path);
	buf_printf(b, ",{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"%u\"}}", status);
	if (route != NULL) {
		buf_printf(b, ",");
		attr_string(b, "http.route", route);
	}
	if (status >= 500) {
		char code[16];
		snprintf(code, sizeof code, "%u", status);
		buf_printf(b, ",");
		attr_string(b, "error.type", code);
	}
	buf_printf(b, "]");
	if (status >= 500)
		buf_printf(b, ",\"status\":{\"code\":2}"); /* STATUS_CODE_ERROR; unset otherwise */
	buf_printf(b, "}");
}

/* ------------------------------------------------------------------ */
/* Configuration from the environment. */

char *trace_endpoint_from_env(void)
{
	const char *traces = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	if (traces != NULL && *traces != '\0')
		return strdup(traces);
	const char *base = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	if (base == NULL || *base == '\0')
		return NULL;
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	char *url = malloc(n + sizeof "/v1/traces");
	if (url != NULL) {
		memcpy(url, base, n);
		strcpy(url + n, "/v1/traces");
	}
	return url;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Copy s[0..n) into out (size cap) without surrounding blanks, decoding %XX. */
static void trimmed_decoded(char *out, size_t cap, const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
			out[o++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

#define MAX_ATTRS 32

struct attr {
	char key[128], value[256];
};

void trace_resource_attributes(struct buf *b, const char *service_name)
{
	struct attr attrs[MAX_ATTRS];
	size_t n = 0;
	const char *list = getenv("OTEL_RESOURCE_ATTRIBUTES");
	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		if (eq != NULL && n < MAX_ATTRS) {
			struct attr *a = &attrs[n];
			trimmed_decoded(a->key, sizeof a->key, p, (size_t)(eq - p));
			trimmed_decoded(a->value, sizeof a->value, eq + 1, len - (size_t)(eq - p) - 1);
			size_t i = 0;
			while (i < n && strcmp(attrs[i].key, a->key) != 0)
				i++;
			if (i < n) /* a repeated key: the last value wins */
				memcpy(attrs[i].value, a->value, sizeof a->value);
			else if (a->key[0] != '\0')
				n++;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	/* service.name: OTEL_SERVICE_NAME, else the list's, else service_name */
	const char *name = getenv("OTEL_SERVICE_NAME");
	buf_printf(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(attrs[i].key, "service.name") == 0) {
			if (name == NULL || *name == '\0')
				name = attrs[i].value;
			continue; /* written last */
		}
		attr_string(b, attrs[i].key, attrs[i].value);
		buf_printf(b, ",");
	}
	attr_string(b, "service.name", name != NULL && *name != '\0' ? name : service_name);
	buf_printf(b, "]");
}

/* ------------------------------------------------------------------ */
/* The exporter. */

struct exporter {
	char host[256], port[8], shown[512];
	char *path;          /* path and query of the endpoint, malloc()ed */
	char *host_header;   /* host[:port] as written in the URL */
	char *body_head;     /* {"resourceSpans":[{"resource":..., up to "spans":[ */
	FILE *log;
	long delay_ms, max_queue, timeout_ms;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	char **queue; /* ring of max_queue span JSON strings */
	size_t head, count;
	int stopping;
	struct timespec stop_deadline; /* CLOCK_MONOTONIC */
	unsigned long long exported, dropped;
};

/* Send all of data; 0 on success. */
static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* POST body to the collector within timeout_ms; the HTTP status, or 0. */
static int post(const struct exporter *e, const char *body, size_t len, int timeout_ms)
{
	struct timespec start;
	mono_now(&start);
	int fd = tcp_connect_timeout(e->host, e->port, timeout_ms);
	if (fd < 0)
		return 0;
	long left = timeout_ms - (long)(mono_elapsed_ns(&start) / 1000000u);
	if (left < 1)
		left = 1;
	struct timeval tv = { left / 1000, (left % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

	char head[1024];
	int n = snprintf(head, sizeof head,
	                 "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 e->path, e->host_header, len);
	int status = 0;
	if (n > 0 && (size_t)n < sizeof head && send_all(fd, head, (size_t)n) == 0 &&
	    send_all(fd, body, len) == 0) {
		/* the status line from the first bytes; the rest is read and
		 * dropped until the collector closes (Connection: close) */
		char answer[64], rest[4096];
		size_t got = 0, total = 0;
		for (;;) {
			int in_status = got < sizeof answer - 1;
			ssize_t r = in_status ? recv(fd, answer + got, sizeof answer - 1 - got, 0)
			                      : recv(fd, rest, sizeof rest, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || (total += (size_t)r) > (1u << 20))
				break;
			if (in_status)
				got += (size_t)r;
		}
		answer[got] = '\0';
		if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1)
			status = 0;
	}
	close(fd);
	return status;
}

/* ms left until the stop deadline (only meaningful while stopping). */
static long ms_until(const struct timespec *deadline)
{
	struct timespec now;
	mono_now(&now);
	return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

static void *exporter_main(void *arg)
{
	struct exporter *e = arg;
	char *batch[MAX_BATCH];
	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (!e->stopping && e->count < MAX_BATCH) {
			struct timespec until;
			mono_now(&until);
			until.tv_sec += e->delay_ms / 1000;
			until.tv_nsec += (e->delay_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L)
				until.tv_sec++, until.tv_nsec -= 1000000000L;
			pthread_cond_timedwait(&e->wake, &e->lock, &until);
		}
		size_t n = 0;
		while (n < MAX_BATCH && e->count > 0) {
			batch[n++] = e->queue[e->head];
			e->head = (e->head + 1) % (size_t)e->max_queue;
			e->count--;
		}
		int stopping = e->stopping, done = e->stopping && e->count == 0;
		long timeout = stopping ? ms_until(&e->stop_deadline) : e->timeout_ms;
		pthread_mutex_unlock(&e->lock);

		int status = 0;
		if (n > 0 && timeout > 0) {
			struct buf body = { NULL, 0, 0, 0 };
			buf_printf(&body, "%s", e->body_head);
			for (size_t i = 0; i < n; i++)
				buf_printf(&body, "%s%s", i ? "," : "", batch[i]);
			buf_printf(&body, "]}]}]}");
			if (!body.oom)
				status = post(e, body.data, body.len, (int)(timeout < e->timeout_ms ? timeout : e->timeout_ms));
			buf_free(&body);
		}
		for (size_t i = 0; i < n; i++)
			free(batch[i]);

		pthread_mutex_lock(&e->lock);
		if (n > 0 && status >= 200 && status < 300) {
			e->exported += n;
		} else if (n > 0) {
			e->dropped += n;
			unsigned long long dropped = e->dropped;
			pthread_mutex_unlock(&e->lock);
			log_json(e->log, "warn", "span export failed",
			         ",\"endpoint\":\"%s\",\"http_status\":%d,\"spans\":%zu,\"dropped_total\":%llu",
			         e->shown, status, n, dropped);
			pthread_mutex_lock(&e->lock);
		}
		if (done || (stopping && timeout <= 0)) {
			/* out of time: what is still queued is dropped */
			while (e->count > 0) {
				free(e->queue[e->head]);
				e->head = (e->head + 1) % (size_t)e->max_queue;
				e->count--;
				e->dropped++;
			}
			pthread_mutex_unlock(&e->lock);
			return NULL;
		}
	}
}

/* Fill e->host, port, path, host_header, shown from an http:// URL. */
static int parse_endpoint(struct exporter *e, const char *url, char **err)
{
	if (strncasecmp(url, "http://", 7) != 0) {
		*err = strdup("the OTLP endpoint must be an http:// URL (this service speaks no TLS; "
		              "send spans to a local OpenTelemetry Collector)");
		return -1;
	}
	const char *authority = url + 7;
	size_t alen = strcspn(authority, "/?#");
	const char *at = memchr(authority, '@', alen);
	if (at != NULL) { /* credentials are not supported: skip them */
		alen -= (size_t)(at + 1 - authority);
		authority = at + 1;
	}
	const char *rest = authority + alen;
	e->host_header = strndup(authority, alen);
	e->path = strdup(*rest == '/' ? rest : "/");
	if (e->host_header == NULL || e->path == NULL ||
	    url_split(url, "80", e->host, sizeof e->host, e->port, sizeof e->port) != 0 || alen == 0) {
		*err = strdup("the OTLP endpoint is not a valid http://host:port/path URL");
		return -1;
	}
	snprintf(e->shown, sizeof e->shown, "http://%s%.*s", e->host_header, (int)strcspn(e->path, "?#"), e->path);
	return 0;
}

struct exporter *exporter_start(const char *service_name, FILE *log, char **err)
{
	*err = NULL;
	char *url = trace_endpoint_from_env();
	if (url == NULL)
		return NULL;
	struct exporter *e = calloc(1, sizeof *e);
	if (e == NULL) {
		free(url);
		*err = strdup("out of memory");
		return NULL;
	}
	e->log = log;
	e->delay_ms = env_positive("OTEL_BSP_SCHEDULE_DELAY", 5000);
	e->max_queue = env_positive("OTEL_BSP_MAX_QUEUE_SIZE", 2048);
	e->timeout_ms = env_positive("OTEL_EXPORTER_OTLP_TIMEOUT", 10000);
	int ok = parse_endpoint(e, url, err) == 0;
	free(url);

	struct buf head = { NULL, 0, 0, 0 };
	buf_printf(&head, "{\"resourceSpans\":[{\"resource\":{\"attributes\":");
	trace_resource_attributes(&head, service_name);
	buf_printf(&head, "},\"scopeSpans\":[{\"scope\":{\"name\":");
	buf_json_string(&head, service_name);
	buf_printf(&head, "},\"spans\":[");
	e->body_head = head.data;
	e->queue = calloc((size_t)e->max_queue, sizeof *e->queue);
	if (ok && (head.oom || e->queue == NULL)) {
		*err = strdup("out of memory");
		ok = 0;
	}

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&e->lock, NULL);
	if (ok && pthread_create(&e->thread, NULL, exporter_main, e) != 0) {
		*err = strdup("cannot start the exporter thread");
		ok = 0;
	}
	if (!ok) {
		pthread_cond_destroy(&e->wake);
		pthread_mutex_destroy(&e->lock);
		free(e->queue), free(e->body_head), free(e->path), free(e->host_header), free(e);
		if (*err == NULL)
			*err = strdup("out of memory");
		return NULL;
	}
	return e;
}

void exporter_add(struct exporter *e, char *span_json)
{
	pthread_mutex_lock(&e->lock);
	if (span_json == NULL || e->stopping || e->count >= (size_t)e->max_queue) {
		e->dropped++;
		free(span_json);
	} else {
		e->queue[(e->head + e->count) % (size_t)e->max_queue] = span_json;
		if (++e->count >= MAX_BATCH)
			pthread_cond_signal(&e->wake);
	}
	pthread_mutex_unlock(&e->lock);
}

unsigned long long exporter_stop(struct exporter *e)
{
	if (e == NULL)
		return 0;
	pthread_mutex_lock(&e->lock);
	e->stopping = 1;
	mono_now(&e->stop_deadline);
	e->stop_deadline.tv_sec += e->timeout_ms / 1000;
	e->stop_deadline.tv_nsec += (e->timeout_ms % 1000) * 1000000L;
	if (e->stop_deadline.tv_nsec >= 1000000000L)
		e->stop_deadline.tv_sec++, e->stop_deadline.tv_nsec -= 1000000000L;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	unsigned long long exported = e->exported;
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	free(e->queue), free(e->body_head), free(e->path), free(e->host_header), free(e);
	return exported;
}

unsigned long long exporter_exported(struct exporter *e)
{
	pthread_mutex_lock(&e->lock);
	unsigned long long n = e->exported;
	pthread_mutex_unlock(&e->lock);
	return n;
}

unsigned long long exporter_dropped(struct exporter *e)
{
	pthread_mutex_lock(&e->lock);
	unsigned long long n = e->dropped;
	pthread_mutex_unlock(&e->lock);
	return n;
}

const char *exporter_endpoint(const struct exporter *e)
{
	return e->shown;
}
