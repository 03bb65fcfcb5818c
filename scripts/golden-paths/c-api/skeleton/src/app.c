/* {{name}}: HTTP routes, health check and the request lifecycle.
 *
 *   GET /         small JSON hello
 *   GET /health   liveness + dependency reachability (503 when degraded)
 *   GET /metrics  Prometheus text exposition format
 */
#include "app.h"

#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "trace.h"
#include "util.h"

#define CT_JSON "application/json"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
/* On stop, requests being handled get this long to finish. */
#define DRAIN_TIMEOUT_MS 10000

/* Route templates this service serves; any other path matches no route (NULL). */
static const char *const routes[] = { "/", "/health", "/metrics" };

struct app {
	struct MHD_Daemon *daemon;
	struct metrics *metrics;
	struct exporter *exporter; /* NULL: no OTLP endpoint */
	FILE *log;
	atomic_int inflight; /* requests between their headers and their completion */
};

/* One request's state, from its headers to its completion. */
struct request {
	struct span span;
};

static const char *route_of(const char *url)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(url, routes[i]) == 0)
			return routes[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Database reachability. */

int app_tcp_reachable(const char *host, const char *port, int timeout_ms)
{
	int fd = tcp_connect_timeout(host, port, timeout_ms);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Writes the /health body into b and returns the HTTP status. */
static unsigned health_report(struct buf *b)
{
#ifdef DB_ENV
	const char *url = getenv(DB_ENV);
	if (url != NULL && *url != '\0') {
		char host[256], port[8];
		int ok = url_split(url, DB_DEFAULT_PORT, host, sizeof host, port, sizeof port) == 0 &&
		         app_tcp_reachable(host, port, DB_CHECK_TIMEOUT_MS);
		buf_printf(b, "{\"status\":\"%s\",\"service\":\"%s\",\"database\":"
		              "{\"url_set\":true,\"reachable\":%s}}\n",
		           ok ? "ok" : "degraded", SERVICE_NAME, ok ? "true" : "false");
		return ok ? 200 : 503;
	}
#endif
	buf_printf(b, "{\"status\":\"ok\",\"service\":\"%s\",\"database\":{\"configured\":false}}\n",
	           SERVICE_NAME);
	return 200;
}

/* ------------------------------------------------------------------ */
/* Telemetry of one request. */

/* One finished request: its histogram sample, its span, its log line.
 * Called just before the response is queued, so a client that got the
 * response always finds it in the next /metrics page. */
static void record(struct app *a, const struct request *rq, const char *method, const char *route,
                   const char *path, unsigned status)
{
	uint64_t ns = mono_elapsed_ns(&rq->span.start_mono);
	metrics_observe(a->metrics, method, status, route, (double)ns / 1e9);

	if (a->exporter != NULL && span_sampled(&rq->span)) {
		struct buf span = { NULL, 0, 0, 0 };
		span_otlp_json(&span, &rq->span, metrics_method_label(method), route, path, status,
		               rq->span.start_unix_ns + ns);
		if (span.oom)
			buf_free(&span); /* exporter_add counts a NULL span as dropped */
		exporter_add(a->exporter, span.data);
	}

	struct buf f = { NULL, 0, 0, 0 };
	buf_printf(&f, ",\"method\":");
	buf_json_string(&f, method);
	if (route != NULL)
		buf_printf(&f, ",\"route\":\"%s\"", route);
	else
		buf_printf(&f, ",\"route\":null");
	buf_printf(&f, ",\"path\":");
	buf_json_string(&f, path);
	buf_printf(&f, ",\"status\":%u,\"duration_ms\":%.3f,\"trace_id\":\"%s\",\"span_id\":\"%s\"", status,
	           (double)ns / 1e6, rq->span.trace_id, rq->span.span_id);
	if (!f.oom)
		log_json(a->log, status >= 500 ? "error" : "info", "request", "%s", f.data);
	buf_free(&f);
}

/* ------------------------------------------------------------------ */
/* HTTP handling. */

static enum MHD_Result respond(struct app *a, struct MHD_Connection *conn, const struct request *rq,
                               const char *method, const char *route, const char *path, unsigned code,
                               const char *content_type, struct buf *body, const char *allow)
{
	static const char oom_body[] = "{\"error\":\"out of memory\"}\n";
	struct MHD_Response *resp;

	if (body->oom) {
		buf_free(body);
		code = 500;
		content_type = CT_JSON;
		resp = MHD_create_response_from_buffer(sizeof oom_body - 1, (void *)oom_body,
		                                       MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			buf_free(body);
	}
	if (resp == NULL)
		return MHD_NO;
	char traceparent[56];
	span_traceparent(&rq->span, traceparent);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, "traceparent", traceparent);
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);

	record(a, rq, method, route, path, code);
	enum MHD_Result ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Counts the traceparent headers: more than one makes the context invalid. */
static enum MHD_Result count_traceparent(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
	(void)kind;
	(void)value;
	if (strcasecmp(key, "traceparent") == 0)
		(*(int *)cls)++;
	return MHD_YES;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
	struct app *a = cls;
	struct request *rq = *req_cls;
	(void)version;
	(void)upload_data;

	if (rq == NULL) { /* first call: headers only; the span starts here */
		rq = calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		atomic_fetch_add(&a->inflight, 1);
		int n = 0;
		MHD_get_connection_values(conn, MHD_HEADER_KIND, count_traceparent, &n);
		span_start(&rq->span, n == 1 ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent")
		                             : NULL);
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size != 0) { /* request bodies are ignored */
		*upload_data_size = 0;
		return MHD_YES;
	}

	const char *route = route_of(url);
	struct buf body = { NULL, 0, 0, 0 };

	if (route != NULL && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buf_printf(&body, "{\"error\":\"method not allowed\"}\n");
		return respond(a, conn, rq, method, route, url, 405, CT_JSON, &body, "GET, HEAD");
	}
	if (route == NULL) {
		buf_printf(&body, "{\"error\":\"not found\",\"path\":");
		buf_json_string(&body, url);
		buf_printf(&body, "}\n");
		return respond(a, conn, rq, method, route, url, 404, CT_JSON, &body, NULL);
	}
	if (strcmp(route, "/health") == 0) {
		unsigned code = health_report(&body);
		return respond(a, conn, rq, method, route, url, code, CT_JSON, &body, NULL);
	}
	if (strcmp(route, "/metrics") == 0) {
		metrics_render(a->metrics, &body);
		if (metrics_enabled(a->metrics) && a->exporter != NULL)
			buf_printf(&body,
			           "# HELP otlp_exporter_spans_dropped_total Spans dropped because the queue was full"
			           " or the export failed.\n"
			           "# TYPE otlp_exporter_spans_dropped_total counter\n"
			           "otlp_exporter_spans_dropped_total %llu\n",
			           exporter_dropped(a->exporter));
		return respond(a, conn, rq, method, route, url, 200, CT_METRICS, &body, NULL);
	}
	buf_printf(&body, "{\"service\":\"%s\",\"message\":\"hello from %s\"}\n", SERVICE_NAME, SERVICE_NAME);
	return respond(a, conn, rq, method, route, url, 200, CT_JSON, &body, NULL);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
	struct app *a = cls;
	(void)conn;
	(void)toe;
	if (*req_cls != NULL)
		atomic_fetch_sub(&a->inflight, 1);
	free(*req_cls);
	*req_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* Life cycle. */

struct app *app_start(uint16_t port, FILE *log, char **err)
{
	*err = NULL;
	struct app *a = calloc(1, sizeof *a);
	if (a == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	a->log = log;
	a->metrics = metrics_new(!env_is_off("METRICS"));
	if (a->metrics == NULL) {
		*err = strdup("out of memory");
		free(a);
		return NULL;
	}
	a->exporter = exporter_start(SERVICE_NAME, log, err);
	if (a->exporter == NULL && *err != NULL) {
		metrics_free(a->metrics);
		free(a);
		return NULL;
	}
	/* One thread per connection: the /health probe may block for up to
	 * DB_CHECK_TIMEOUT_MS without stalling other requests. */
	a->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                                 MHD_USE_ITC | MHD_USE_ERROR_LOG,
	                             port, NULL, NULL, &handle_request, a,
	                             MHD_OPTION_NOTIFY_COMPLETED, &request_completed, a,
	                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	                             MHD_OPTION_END);
	if (a->daemon == NULL) {
		char msg[64];
		snprintf(msg, sizeof msg, "cannot start the HTTP daemon on port %u", (unsigned)port);
		*err = strdup(msg);
		exporter_stop(a->exporter);
		metrics_free(a->metrics);
		free(a);
		return NULL;
	}
	return a;
}

uint16_t app_port(const struct app *a)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? info->port : 0;
}

int app_metrics_enabled(const struct app *a)
{
	return metrics_enabled(a->metrics);
}

struct exporter *app_exporter(const struct app *a)
{
	return a->exporter;
}

unsigned long long app_stop(struct app *a)
{
	if (a == NULL)
		return 0;
	/* stop accepting, give the requests being handled time to finish, then
	 * close every connection (idle keep-alive ones included) */
	MHD_socket listener = MHD_quiesce_daemon(a->daemon);
	struct timespec start;
	mono_now(&start);
	while (atomic_load(&a->inflight) > 0 && mono_elapsed_ns(&start) < DRAIN_TIMEOUT_MS * 1000000ull) {
		struct timespec tick = { 0, 10 * 1000 * 1000 };
		nanosleep(&tick, NULL);
	}
	MHD_stop_daemon(a->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	unsigned long long exported = exporter_stop(a->exporter);
	metrics_free(a->metrics);
	free(a);
	return exported;
}
