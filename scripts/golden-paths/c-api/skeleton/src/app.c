/* {{name}}: HTTP routes, health check and Prometheus metrics.
 *
 *   GET /         small JSON hello
 *   GET /health   liveness + dependency reachability (503 when degraded)
 *   GET /metrics  Prometheus text exposition format
 */
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define CT_JSON "application/json"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* ------------------------------------------------------------------ */
/* Growable string buffer (heap; handed to MHD with MHD_RESPMEM_MUST_FREE). */

struct buf {
	char *data;
	size_t len, cap;
	int oom;
};

static void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	while (!b->oom) {
		size_t avail = b->cap - b->len;
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->data ? b->data + b->len : NULL, avail, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < avail) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		while (ncap - b->len <= (size_t)n)
			ncap *= 2;
		char *p = realloc(b->data, ncap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->data = p;
		b->cap = ncap;
	}
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ------------------------------------------------------------------ */
/* Metrics. Label values come from fixed tables, so series stay bounded. */

enum route { ROUTE_ROOT, ROUTE_HEALTH, ROUTE_METRICS, ROUTE_OTHER, ROUTE_COUNT };

static const char *const route_label[ROUTE_COUNT] = { "/", "/health", "/metrics", "other" };
static const char *const known_methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
static const double bucket_le[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])
#define MAX_SERIES 256

struct series {
	const char *method; /* points into known_methods or "OTHER" */
	enum route route;
	unsigned code;
	unsigned long long value;
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct series counters[MAX_SERIES];
static size_t ncounters;
static unsigned long long hist_bucket[ROUTE_COUNT][NBUCKETS]; /* cumulative */
static double hist_sum[ROUTE_COUNT];
static unsigned long long hist_count[ROUTE_COUNT];

static const char *method_label(const char *method)
{
	for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
		if (strcmp(method, known_methods[i]) == 0)
			return known_methods[i];
	return "OTHER";
}

static enum route route_of(const char *url)
{
	for (int r = 0; r < ROUTE_OTHER; r++)
		if (strcmp(url, route_label[r]) == 0)
			return (enum route)r;
	return ROUTE_OTHER;
}

static void metrics_observe(const char *method, enum route route, unsigned code, double seconds)
{
	pthread_mutex_lock(&metrics_lock);
	size_t i;
	for (i = 0; i < ncounters; i++)
		if (counters[i].method == method && counters[i].route == route && counters[i].code == code)
			break;
	if (i == ncounters && ncounters < MAX_SERIES) {
		counters[i].method = method;
		counters[i].route = route;
		counters[i].code = code;
		counters[i].value = 0;
		ncounters++;
	}
	if (i < ncounters)
		counters[i].value++;
	for (size_t b = 0; b < NBUCKETS; b++)
		if (seconds <= bucket_le[b])
			hist_bucket[route][b]++;
	hist_sum[route] += seconds;
	hist_count[route]++;
	pthread_mutex_unlock(&metrics_lock);
}

static void metrics_render(struct buf *b)
{
	pthread_mutex_lock(&metrics_lock);
	buf_printf(b, "# HELP http_requests_total Total number of HTTP requests handled.\n"
	              "# TYPE http_requests_total counter\n");
	for (size_t i = 0; i < ncounters; i++)
		buf_printf(b, "http_requests_total{method=\"%s\",path=\"%s\",code=\"%u\"} %llu\n",
		           counters[i].method, route_label[counters[i].route], counters[i].code,
		           counters[i].value);
	buf_printf(b, "# HELP http_request_duration_seconds HTTP request duration in seconds.\n"
	              "# TYPE http_request_duration_seconds histogram\n");
	for (int r = 0; r < ROUTE_COUNT; r++) {
		for (size_t k = 0; k < NBUCKETS; k++)
			buf_printf(b, "http_request_duration_seconds_bucket{path=\"%s\",le=\"%g\"} %llu\n",
			           route_label[r], bucket_le[k], hist_bucket[r][k]);
		buf_printf(b, "http_request_duration_seconds_bucket{path=\"%s\",le=\"+Inf\"} %llu\n",
		           route_label[r], hist_count[r]);
		buf_printf(b, "http_request_duration_seconds_sum{path=\"%s\"} %.9f\n", route_label[r], hist_sum[r]);
		buf_printf(b, "http_request_duration_seconds_count{path=\"%s\"} %llu\n", route_label[r], hist_count[r]);
	}
	pthread_mutex_unlock(&metrics_lock);
}

/* ------------------------------------------------------------------ */
/* Database reachability. */

static int copy_span(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n + 1 > dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int app_parse_url(const char *url, const char *default_port,
                  char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return -1;
	p += 3;
	size_t alen = strcspn(p, "/?#"); /* authority: [userinfo@]host[:port] */

	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (p[i] == '@')
			at = p + i;
	if (at != NULL) {
		alen -= (size_t)(at + 1 - p);
		p = at + 1;
	}

	const char *h = p, *ps = NULL;
	size_t hlen, plen = 0;
	if (alen > 0 && *p == '[') { /* [IPv6]:port */
		const char *close = memchr(p, ']', alen);
		if (close == NULL)
			return -1;
		h = p + 1;
		hlen = (size_t)(close - h);
		size_t rest = alen - (size_t)(close + 1 - p);
		if (rest > 0) {
			if (close[1] != ':')
				return -1;
			ps = close + 2;
			plen = rest - 1;
		}
	} else {
		const char *colon = memchr(p, ':', alen);
		if (colon != NULL) {
			hlen = (size_t)(colon - p);
			ps = colon + 1;
			plen = alen - hlen - 1;
		} else {
			hlen = alen;
		}
	}
	if (hlen == 0) {
		h = "localhost";
		hlen = strlen(h);
	}
	if (plen == 0) {
		if (default_port == NULL)
			return -1;
		ps = default_port;
		plen = strlen(default_port);
	}
	unsigned long num = 0;
	for (size_t i = 0; i < plen; i++) {
		if (ps[i] < '0' || ps[i] > '9')
			return -1;
		num = num * 10 + (unsigned long)(ps[i] - '0');
		if (num > 65535)
			return -1;
	}
	if (num == 0)
		return -1;
	if (copy_span(host, hostlen, h, hlen) != 0 || copy_span(port, portlen, ps, plen) != 0)
		return -1;
	return 0;
}

int app_tcp_reachable(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return 0;

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int ok = 0;
	for (struct addrinfo *ai = res; ai != NULL && !ok; ai = ai->ai_next) {
		int remaining = timeout_ms - (int)(seconds_since(&start) * 1000.0);
		if (remaining <= 0)
			break;
		int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		int flags = fcntl(fd, F_GETFL);
		if (flags >= 0)
			(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = 1;
		} else if (errno == EINPROGRESS) {
			struct pollfd pfd;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			int n;
			do
				n = poll(&pfd, 1, remaining);
			while (n < 0 && errno == EINTR);
			if (n == 1) {
				int err = 0;
				socklen_t len = sizeof err;
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
					ok = 1;
			}
		}
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

/* Writes the /health body into b and returns the HTTP status. */
static unsigned health_report(struct buf *b)
{
#ifdef DB_ENV
	const char *url = getenv(DB_ENV);
	if (url != NULL && *url != '\0') {
		char host[256], port[8];
		int ok = app_parse_url(url, DB_DEFAULT_PORT, host, sizeof host, port, sizeof port) == 0 &&
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
/* HTTP handling. */

struct request {
	struct timespec start;
};

static enum MHD_Result respond(struct MHD_Connection *conn, const struct request *rq,
                               const char *method, enum route route, unsigned code,
                               const char *content_type, struct buf *body, const char *allow)
{
	static const char oom_body[] = "{\"error\":\"out of memory\"}\n";
	struct MHD_Response *resp;

	if (body->oom) {
		free(body->data);
		code = 500;
		content_type = CT_JSON;
		resp = MHD_create_response_from_buffer(sizeof oom_body - 1, (void *)oom_body,
		                                       MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(body->data);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);

	metrics_observe(method_label(method), route, code, seconds_since(&rq->start));
	enum MHD_Result ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
	struct request *rq = *req_cls;
	(void)cls;
	(void)version;
	(void)upload_data;

	if (rq == NULL) { /* first call: headers only */
		rq = calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rq->start);
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size != 0) { /* request bodies are ignored */
		*upload_data_size = 0;
		return MHD_YES;
	}

	enum route route = route_of(url);
	struct buf body = { NULL, 0, 0, 0 };

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buf_printf(&body, "{\"error\":\"method not allowed\"}\n");
		return respond(conn, rq, method, route, 405, CT_JSON, &body, "GET, HEAD");
	}
	switch (route) {
	case ROUTE_ROOT:
		buf_printf(&body, "{\"service\":\"%s\",\"message\":\"hello from %s\"}\n",
		           SERVICE_NAME, SERVICE_NAME);
		return respond(conn, rq, method, route, 200, CT_JSON, &body, NULL);
	case ROUTE_HEALTH: {
		unsigned code = health_report(&body);
		return respond(conn, rq, method, route, code, CT_JSON, &body, NULL);
	}
	case ROUTE_METRICS:
		metrics_render(&body);
		return respond(conn, rq, method, route, 200, CT_METRICS, &body, NULL);
	default:
		buf_printf(&body, "{\"error\":\"not found\"}\n");
		return respond(conn, rq, method, route, 404, CT_JSON, &body, NULL);
	}
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*req_cls);
	*req_cls = NULL;
}

struct MHD_Daemon *app_start(uint16_t port)
{
	/* One thread per connection: the /health probe may block for up to
	 * DB_CHECK_TIMEOUT_MS without stalling other requests. */
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                            MHD_USE_ERROR_LOG,
	                        port, NULL, NULL, &handle_request, NULL,
	                        MHD_OPTION_NOTIFY_COMPLETED, &request_completed, NULL,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	                        MHD_OPTION_END);
}

uint16_t app_bound_port(struct MHD_Daemon *daemon)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? info->port : 0;
}

void app_stop(struct MHD_Daemon *daemon)
{
	if (daemon != NULL)
		MHD_stop_daemon(daemon);
}
