/* Tests for {{name}}: each test starts the service in-process on an
 * ephemeral port (with its log in a temporary file) and talks HTTP to it
 * over raw sockets. Usage: test_app [PATH-TO-SERVER-BINARY] (the binary,
 * when given, is used for the SIGTERM test). */
#include "app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "trace.h"
#include "util.h"

static int passed, failed, current_failed;
static const char *server_binary;

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			current_failed = 1;                                                 \
		}                                                                           \
	} while (0)

#define RUN(fn)                                           \
	do {                                              \
		current_failed = 0;                       \
		fn();                                     \
		if (current_failed) {                     \
			failed++;                         \
			printf("FAIL %s\n", #fn);         \
		} else {                                  \
			passed++;                         \
			printf("ok   %s\n", #fn);         \
		}                                         \
		fflush(stdout);                           \
	} while (0)

#define H METRICS_NAME
#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PARENT_ID "00f067aa0ba902b7"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* The service under test: one per test, with its log in log_path. */

static char log_path[] = "/tmp/test_app_log.XXXXXX";
static FILE *log_file;
static struct app *app;
static uint16_t port;

static int start_app(void)
{
	log_file = fopen(log_path, "w");
	char *err = NULL;
	app = log_file ? app_start(0, log_file, &err) : NULL;
	if (app == NULL) {
		fprintf(stderr, "  cannot start the app: %s\n", err ? err : "cannot open the log");
		free(err);
		if (log_file)
			fclose(log_file);
		current_failed = 1;
		return -1;
	}
	port = app_port(app);
	return 0;
}

static void stop_app(void)
{
	app_stop(app);
	fclose(log_file);
}

static void clear_env(void)
{
	static const char *const names[] = { "DATABASE_URL", "REDIS_URL", "METRICS", "OTEL_EXPORTER_OTLP_ENDPOINT",
		                             "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SERVICE_NAME",
		                             "OTEL_RESOURCE_ATTRIBUTES", "OTEL_BSP_SCHEDULE_DELAY",
		                             "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_EXPORTER_OTLP_TIMEOUT" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unsetenv(names[i]);
}

/* The whole file at path (malloc()ed, "" when unreadable). */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = { NULL, 0, 0, 0 };
	char chunk[4096];
	size_t n;
	buf_printf(&b, "%s", "");
	while (f != NULL && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_printf(&b, "%.*s", (int)n, chunk);
	if (f != NULL)
		fclose(f);
	return b.data;
}

/* The last log line with "msg":"request" (malloc()ed, "" when none). */
static char *last_request_log(void)
{
	char *all = read_file(log_path), *last = NULL;
	for (char *p = strstr(all, "\"msg\":\"request\""); p != NULL; p = strstr(p + 1, "\"msg\":\"request\""))
		last = p;
	char *line = strdup("");
	if (last != NULL) {
		char *start = last;
		while (start > all && start[-1] != '\n')
			start--;
		free(line);
		line = strndup(start, strcspn(start, "\n"));
	}
	free(all);
	return line;
}

/* The string value of "key":"..." in a JSON line, into out; "" when absent. */
static const char *json_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *p = strstr(line, pat);
	out[0] = '\0';
	if (p != NULL) {
		p += strlen(pat);
		size_t n = strcspn(p, "\"");
		snprintf(out, len, "%.*s", (int)n, p);
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Minimal HTTP client. */

struct response {
	int status;
	char *raw;        /* whole response, NUL-terminated */
	const char *body; /* points into raw */
};

static int tcp_connect(uint16_t p)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(p);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request with extra header lines (each ending in \r\n, or NULL).
 * Returns 0 and fills r on success; r->raw must be freed. */
static int http_request(const char *method, const char *path, const char *headers, struct response *r)
{
	memset(r, 0, sizeof *r);
	int fd = tcp_connect(port);
	if (fd < 0)
		return -1;
	char req[1024];
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
	                 method, path, headers ? headers : "");
	if (n < 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, 0) != n) {
		close(fd);
		return -1;
	}
	struct buf b = { NULL, 0, 0, 0 };
	char chunk[4096];
	for (;;) {
		ssize_t got = recv(fd, chunk, sizeof chunk, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		buf_printf(&b, "%.*s", (int)got, chunk);
	}
	close(fd);
	if (b.oom || b.data == NULL) {
		buf_free(&b);
		return -1;
	}
	r->raw = b.data;
	if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	char *sep = strstr(r->raw, "\r\n\r\n");
	r->body = sep ? sep + 4 : "";
	return 0;
}

static int get(const char *path, struct response *r)
{
	return http_request("GET", path, NULL, r);
}

/* The status of one request; the response is discarded. */
static int status_of(const char *method, const char *path)
{
	struct response r;
	if (http_request(method, path, NULL, &r) != 0)
		return -1;
	free(r.raw);
	return r.status;
}

/* The value of response header name into out ("" when absent). */
static const char *header(const struct response *r, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	out[0] = '\0';
	for (const char *p = strstr(r->raw, "\r\n"); p != NULL && p < r->body; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			v += strspn(v, " ");
			snprintf(out, len, "%.*s", (int)strcspn(v, "\r"), v);
			break;
		}
	return out;
}

/* Value of the sample line that is exactly "prefix value", or -1. */
static long long sample(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, prefix, n) == 0 && line[n] == ' ')
			return strtoll(line + n + 1, NULL, 10);
	return -1;
}

/* ------------------------------------------------------------------ */
/* A small OTLP/HTTP receiver on 127.0.0.1: records every POST. With
 * answer 0 it reads requests and never answers (a slow collector). */

struct receiver {
	int fd, answer, stop;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t lock;
	int posts;
	char *first; /* the first request: head and body */
	int held[64];
	int nheld;
};

static void *receiver_main(void *arg)
{
	struct receiver *rx = arg;
	for (;;) {
		pthread_mutex_lock(&rx->lock);
		int stop = rx->stop;
		pthread_mutex_unlock(&rx->lock);
		if (stop)
			return NULL;
		struct pollfd pfd = { .fd = rx->fd, .events = POLLIN, .revents = 0 };
		if (poll(&pfd, 1, 20) != 1)
			continue;
		int c = accept(rx->fd, NULL, NULL);
		if (c < 0)
			continue;
		struct timeval tv = { 5, 0 };
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		/* read the head, then Content-Length bytes of body */
		struct buf b = { NULL, 0, 0, 0 };
		char chunk[4096];
		size_t want = 0;
		for (;;) {
			ssize_t got = recv(c, chunk, sizeof chunk, 0);
			if (got <= 0)
				break;
			buf_printf(&b, "%.*s", (int)got, chunk);
			char *sep = b.data ? strstr(b.data, "\r\n\r\n") : NULL;
			if (sep != NULL && want == 0) {
				const char *cl = strstr(b.data, "Content-Length: ");
				want = (size_t)(sep + 4 - b.data) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
			}
			if (want > 0 && b.len >= want)
				break;
		}
		pthread_mutex_lock(&rx->lock);
		rx->posts++;
		if (rx->first == NULL)
			rx->first = b.data;
		else
			free(b.data);
		if (!rx->answer && rx->nheld < 64)
			rx->held[rx->nheld++] = c;
		pthread_mutex_unlock(&rx->lock);
		if (rx->answer) {
			static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
			send(c, ok, sizeof ok - 1, MSG_NOSIGNAL);
			close(c);
		}
	}
}

static int receiver_start(struct receiver *rx, int answer)
{
	memset(rx, 0, sizeof *rx);
	rx->answer = answer;
	pthread_mutex_init(&rx->lock, NULL);
	rx->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rx->fd < 0 || bind(rx->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(rx->fd, 16) != 0 ||
	    getsockname(rx->fd, (struct sockaddr *)&sa, &salen) != 0)
		return -1;
	rx->port = ntohs(sa.sin_port);
	return pthread_create(&rx->thread, NULL, receiver_main, rx) == 0 ? 0 : -1;
}

static void receiver_stop(struct receiver *rx)
{
	pthread_mutex_lock(&rx->lock);
	rx->stop = 1;
	pthread_mutex_unlock(&rx->lock);
	pthread_join(rx->thread, NULL);
	for (int i = 0; i < rx->nheld; i++)
		close(rx->held[i]);
	close(rx->fd);
	free(rx->first);
	pthread_mutex_destroy(&rx->lock);
}

static int receiver_posts(struct receiver *rx)
{
	pthread_mutex_lock(&rx->lock);
	int n = rx->posts;
	pthread_mutex_unlock(&rx->lock);
	return n;
}

/* Wait up to 5 s for the first POST. */
static int receiver_wait(struct receiver *rx)
{
	for (int i = 0; i < 250 && receiver_posts(rx) == 0; i++)
		sleep_ms(20);
	return receiver_posts(rx) > 0;
}

/* ------------------------------------------------------------------ */
/* Tests. */

static void test_root_returns_hello(void)
{
	struct response r;
	if (start_app() != 0)
		return;
	CHECK(get("/", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strstr(r.raw, "Content-Type: application/json") != NULL);
	CHECK(strstr(r.body, "\"service\":\"" SERVICE_NAME "\"") != NULL);
	CHECK(strstr(r.body, "hello") != NULL);
	free(r.raw);
	stop_app();
}

static void test_health_without_database_url(void)
{
	struct response r;
	if (start_app() != 0)
		return;
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strcmp(r.body, "{\"status\":\"ok\",\"service\":\"" SERVICE_NAME
	                     "\",\"database\":{\"configured\":false}}\n") == 0);
	free(r.raw);
	stop_app();
}

#ifdef DB_ENV
static void test_health_unreachable_database(void)
{
	struct response r;
	setenv(DB_ENV, DB_KIND "://u:p@127.0.0.1:1/db", 1);
	if (start_app() != 0)
		return;
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 503);
	CHECK(strcmp(r.body, "{\"status\":\"degraded\",\"service\":\"" SERVICE_NAME
	                     "\",\"database\":{\"url_set\":true,\"reachable\":false}}\n") == 0);
	free(r.raw);
	/* a 5xx: its series carries error_type */
	CHECK(get("/metrics", &r) == 0);
	CHECK(sample(r.body, H "_count{http_request_method=\"GET\",http_response_status_code=\"503\","
	                       "http_route=\"/health\",error_type=\"503\"}") == 1);
	free(r.raw);
	stop_app();
	clear_env();
}

static void test_health_reachable_database(void)
{
	/* A listening socket is enough: the kernel completes the handshake. */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
	CHECK(listen(lfd, 8) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&sa, &salen) == 0);

	char url[128];
	snprintf(url, sizeof url, DB_KIND "://u:p@127.0.0.1:%u/db", (unsigned)ntohs(sa.sin_port));
	setenv(DB_ENV, url, 1);
	struct response r;
	if (start_app() == 0) {
		CHECK(get("/health", &r) == 0);
		CHECK(r.status == 200);
		CHECK(strcmp(r.body, "{\"status\":\"ok\",\"service\":\"" SERVICE_NAME
		                     "\",\"database\":{\"url_set\":true,\"reachable\":true}}\n") == 0);
		free(r.raw);
		stop_app();
	}
	clear_env();
	close(lfd);
}
#else
static void test_health_ignores_urls_without_database(void)
{
	struct response r;
	setenv("DATABASE_URL", "postgres://u:p@127.0.0.1:1/db", 1);
	setenv("REDIS_URL", "redis://127.0.0.1:1/0", 1);
	if (start_app() != 0)
		return;
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strstr(r.body, "\"database\":{\"configured\":false}") != NULL);
	free(r.raw);
	stop_app();
	clear_env();
}
#endif

static void test_not_found_method_not_allowed_and_head(void)
{
	struct response r;
	if (start_app() != 0)
		return;
	CHECK(status_of("GET", "/no-such-thing") == 404);
	CHECK(http_request("POST", "/", NULL, &r) == 0);
	CHECK(r.status == 405);
	CHECK(strstr(r.raw, "Allow: GET, HEAD") != NULL);
	free(r.raw);
	CHECK(http_request("HEAD", "/", NULL, &r) == 0);
	CHECK(r.status == 200 && *r.body == '\0');
	free(r.raw);
	stop_app();
}

static void test_metrics_histogram_and_route_templates(void)
{
	struct response r;
	if (start_app() != 0)
		return;
	CHECK(status_of("GET", "/") == 200);
	CHECK(status_of("GET", "/?page=2") == 200);
	CHECK(status_of("GET", "/health") == 200);
	CHECK(status_of("GET", "/secret-admin-path") == 404);
	CHECK(status_of("PURGE", "/") == 405); /* not a known method: _OTHER */
	CHECK(status_of("DELETE", "/") == 405);
	CHECK(get("/metrics", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strstr(r.raw, "Content-Type: text/plain; version=0.0.4") != NULL);
	const char *m = r.body;

	CHECK(strstr(m, "# HELP " H " ") != NULL);
	CHECK(strstr(m, "# TYPE " H " histogram\n") != NULL);
	CHECK(strstr(m, "http_requests_total") == NULL);
#define ROOT "http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/\""
	CHECK(sample(m, H "_count{" ROOT "}") == 2); /* the query string does not change the route */
	CHECK(sample(m, H "_bucket{" ROOT ",le=\"+Inf\"}") == 2);
	static const char *const le[] = { "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
		                          "0.5",   "0.75", "1",     "2.5",  "5",     "7.5", "10" };
	long long prev = 0;
	for (size_t i = 0; i < sizeof le / sizeof le[0]; i++) {
		char name[256];
		snprintf(name, sizeof name, H "_bucket{" ROOT ",le=\"%s\"}", le[i]);
		long long v = sample(m, name);
		CHECK(v >= prev && v <= 2); /* present, cumulative */
		prev = v;
	}
	CHECK(strstr(m, H "_sum{" ROOT "} ") != NULL);
#undef ROOT
	CHECK(sample(m, H "_count{http_request_method=\"GET\",http_response_status_code=\"200\","
	                "http_route=\"/health\"}") == 1);
	/* an unmatched path has no http_route label, and never appears in the page */
	CHECK(sample(m, H "_count{http_request_method=\"GET\",http_response_status_code=\"404\"}") == 1);
	CHECK(strstr(m, "secret-admin-path") == NULL);
	CHECK(sample(m, H "_count{http_request_method=\"_OTHER\",http_response_status_code=\"405\","
	                "http_route=\"/\"}") == 1);
	CHECK(sample(m, H "_count{http_request_method=\"DELETE\",http_response_status_code=\"405\","
	                "http_route=\"/\"}") == 1);
	CHECK(strstr(m, "error_type") == NULL); /* no 5xx so far */
	free(r.raw);

	/* the scrape itself is counted once it has been served */
	CHECK(get("/metrics", &r) == 0);
	CHECK(sample(r.body, H "_count{http_request_method=\"GET\",http_response_status_code=\"200\","
	                     "http_route=\"/metrics\"}") == 1);
	free(r.raw);
	stop_app();
}

static void test_metrics_off_serves_an_empty_page(void)
{
	struct response r;
	setenv("METRICS", "off", 1);
	if (start_app() != 0)
		return;
	CHECK(status_of("GET", "/") == 200);
	CHECK(get("/metrics", &r) == 0);
	CHECK(r.status == 200 && *r.body == '\0');
	free(r.raw);
	stop_app();
	clear_env();
}

static void test_log_line_per_request(void)
{
	struct response r;
	if (start_app() != 0)
		return;
	CHECK(http_request("GET", "/health?x=1", "traceparent: 00-" TRACE_ID "-" PARENT_ID "-01\r\n", &r) == 0);
	CHECK(r.status == 200);
	char *line = last_request_log(), v[64], tp[64], want[128];
	CHECK(*line == '{');
	CHECK(strlen(json_str(line, "time", v, sizeof v)) == 24 && v[10] == 'T' && v[23] == 'Z');
	CHECK(strcmp(json_str(line, "level", v, sizeof v), "info") == 0);
	CHECK(strcmp(json_str(line, "method", v, sizeof v), "GET") == 0);
	CHECK(strcmp(json_str(line, "route", v, sizeof v), "/health") == 0);
	CHECK(strcmp(json_str(line, "path", v, sizeof v), "/health") == 0);
	CHECK(strstr(line, "\"status\":200,") != NULL);
	CHECK(strstr(line, "\"duration_ms\":") != NULL);
	CHECK(strcmp(json_str(line, "trace_id", v, sizeof v), TRACE_ID) == 0);
	json_str(line, "span_id", v, sizeof v);
	CHECK(strlen(v) == 16 && strspn(v, "0123456789abcdef") == 16);
	snprintf(want, sizeof want, "00-" TRACE_ID "-%s-01", v);
	CHECK(strcmp(header(&r, "traceparent", tp, sizeof tp), want) == 0);
	free(line);
	free(r.raw);

	CHECK(status_of("GET", "/nope") == 404);
	line = last_request_log();
	CHECK(strstr(line, "\"route\":null") != NULL && strstr(line, "\"status\":404") != NULL);
	free(line);
	stop_app();
}

/* The trace id a request with this traceparent header (NULL: none) got,
 * checked against the response header and the log line. */
static void trace_of(const char *traceparent, char trace_id[33], char span_id[17], char flags[3])
{
	struct response r;
	char extra[256] = "", tp[64], v[64];
	if (traceparent != NULL)
		snprintf(extra, sizeof extra, "traceparent: %s\r\n", traceparent);
	trace_id[0] = span_id[0] = flags[0] = '\0';
	CHECK(http_request("GET", "/", extra, &r) == 0);
	CHECK(r.status == 200);
	CHECK(trace_parse(header(&r, "traceparent", tp, sizeof tp), trace_id, span_id, flags) == 0);
	char *line = last_request_log();
	CHECK(strcmp(json_str(line, "trace_id", v, sizeof v), trace_id) == 0); /* the log carries it */
	CHECK(strcmp(json_str(line, "span_id", v, sizeof v), span_id) == 0);
	free(line);
	free(r.raw);
}

static void test_traceparent_continue_or_restart(void)
{
	if (start_app() != 0)
		return;
	char t[33], s[17], f[3];
	trace_of("00-" TRACE_ID "-" PARENT_ID "-01", t, s, f);
	CHECK(strcmp(t, TRACE_ID) == 0 && strcmp(s, PARENT_ID) != 0 && strcmp(f, "01") == 0);
	trace_of("00-" TRACE_ID "-" PARENT_ID "-00", t, s, f);
	CHECK(strcmp(t, TRACE_ID) == 0 && strcmp(f, "00") == 0); /* flags are kept */

	static const char *const invalid[] = {
		NULL,                                                   /* missing */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-" PARENT_ID "-01", /* uppercase */
		"00-00000000000000000000000000000000-" PARENT_ID "-01", /* all-zero trace id */
		"00-" TRACE_ID "-0000000000000000-01",                  /* all-zero parent id */
		"ff-" TRACE_ID "-" PARENT_ID "-01",                     /* version ff */
		"00-" TRACE_ID "-" PARENT_ID "-0",                      /* too short */
		"hello",
	};
	char seen[sizeof invalid / sizeof invalid[0]][33];
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		trace_of(invalid[i], seen[i], s, f);
		CHECK(strlen(seen[i]) == 32 && strcmp(seen[i], TRACE_ID) != 0);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(seen[i], seen[j]) != 0); /* a fresh trace id each time */
	}
	stop_app();
}

static void test_span_reaches_an_otlp_receiver(void)
{
	struct receiver rx;
	CHECK(receiver_start(&rx, 1) == 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)rx.port);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url, 1);
	setenv("OTEL_BSP_SCHEDULE_DELAY", "50", 1);
	setenv("OTEL_RESOURCE_ATTRIBUTES", "service.version=abc123,deployment.environment=dev", 1);
	if (start_app() == 0) {
		struct response r;
		CHECK(http_request("GET", "/health", "traceparent: 00-" TRACE_ID "-" PARENT_ID "-01\r\n", &r) == 0);
		CHECK(r.status == 200);
		free(r.raw);
		char *line = last_request_log(), span_id[32], want[64];
		json_str(line, "span_id", span_id, sizeof span_id);
		free(line);

		CHECK(receiver_wait(&rx));
		pthread_mutex_lock(&rx.lock);
		const char *p = rx.first ? rx.first : "";
		static const char post[] = "POST /v1/traces HTTP/1.1\r\n";
		CHECK(strncmp(p, post, sizeof post - 1) == 0);
		CHECK(strstr(p, "\r\nContent-Type: application/json\r\n") != NULL);
		const char *body = strstr(p, "\r\n\r\n");
		body = body ? body + 4 : "";
		static const char head[] = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
		CHECK(strncmp(body, head, sizeof head - 1) == 0);
		CHECK(strstr(body, "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"" SERVICE_NAME "\"}}") != NULL);
		CHECK(strstr(body, "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"abc123\"}}") != NULL);
		CHECK(strstr(body, "{\"key\":\"deployment.environment\",\"value\":{\"stringValue\":\"dev\"}}") != NULL);
		CHECK(strstr(body, "\"traceId\":\"" TRACE_ID "\"") != NULL);
		CHECK(strstr(body, "\"parentSpanId\":\"" PARENT_ID "\"") != NULL);
		snprintf(want, sizeof want, "\"spanId\":\"%s\"", span_id);
		CHECK(strstr(body, want) != NULL);
		CHECK(strstr(body, "\"name\":\"GET /health\",\"kind\":2,") != NULL);
		CHECK(strstr(body, "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/health\"}}") != NULL);
		CHECK(strstr(body, "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}") != NULL);
		CHECK(strstr(body, "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/health\"}}") != NULL);
		CHECK(strstr(body, "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}}") != NULL);
		pthread_mutex_unlock(&rx.lock);
		CHECK(app_stop(app) == 1);
		fclose(log_file);
	}
	receiver_stop(&rx);
	clear_env();
}

static void test_traces_endpoint_wins_and_service_name(void)
{
	struct receiver rx;
	CHECK(receiver_start(&rx, 1) == 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/custom/traces", (unsigned)rx.port);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url, 1);
	setenv("OTEL_SERVICE_NAME", "renamed", 1);
	setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored", 1);
	setenv("OTEL_BSP_SCHEDULE_DELAY", "50", 1);
	if (start_app() == 0) {
		CHECK(status_of("GET", "/") == 200);
		CHECK(receiver_wait(&rx));
		pthread_mutex_lock(&rx.lock);
		const char *p = rx.first ? rx.first : "";
		static const char post[] = "POST /custom/traces HTTP/1.1\r\n";
		CHECK(strncmp(p, post, sizeof post - 1) == 0);
		CHECK(strstr(p, "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"renamed\"}}") != NULL);
		CHECK(strstr(p, "ignored") == NULL);
		pthread_mutex_unlock(&rx.lock);
		stop_app();
	}
	receiver_stop(&rx);
	clear_env();
}

static void test_unusable_endpoint_stops_start_up(void)
{
	static const char *const endpoints[] = { "https://127.0.0.1:4318", "not a url", "http://" };
	for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
		char *err = NULL;
		setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoints[i], 1);
		struct app *a = app_start(0, stdout, &err);
		CHECK(a == NULL && err != NULL && strstr(err, "http://") != NULL);
		if (a != NULL)
			app_stop(a);
		free(err);
	}
	clear_env();
}

static void test_down_or_slow_collector_never_slows_requests(void)
{
	struct receiver slow;
	CHECK(receiver_start(&slow, 0) == 0);
	char slow_url[64];
	snprintf(slow_url, sizeof slow_url, "http://127.0.0.1:%u", (unsigned)slow.port);
	const char *endpoints[] = { "http://127.0.0.1:1", slow_url };
	int slow_running = 1;
	for (int e = 0; e < 2; e++) {
		setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoints[e], 1);
		setenv("OTEL_BSP_SCHEDULE_DELAY", "10", 1);
		setenv("OTEL_BSP_MAX_QUEUE_SIZE", "5", 1);
		setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2000", 1);
		if (start_app() != 0)
			break;
		struct timespec t0;
		mono_now(&t0);
		int ok = 1;
		for (int i = 0; i < 40; i++)
			ok &= status_of("GET", "/") == 200;
		CHECK(ok);
		CHECK(mono_elapsed_ns(&t0) < 3000000000ull); /* 40 requests in < 3 s */
		for (int i = 0; i < 250 && exporter_dropped(app_exporter(app)) == 0; i++)
			sleep_ms(20);
		CHECK(exporter_dropped(app_exporter(app)) > 0);
		CHECK(exporter_exported(app_exporter(app)) == 0);
		struct response r;
		CHECK(get("/metrics", &r) == 0);
		CHECK(sample(r.body, "otlp_exporter_spans_dropped_total") > 0);
		free(r.raw);
		if (e == 1) {
			receiver_stop(&slow); /* the held connections close: the exporter stops waiting */
			slow_running = 0;
		}
		stop_app();
	}
	if (slow_running)
		receiver_stop(&slow);
	clear_env();
}

static void test_server_exits_cleanly_on_sigterm(void)
{
	int pipefd[2];
	CHECK(pipe(pipefd) == 0);
	setenv("PORT", "0", 1);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execl(server_binary, server_binary, (char *)NULL);
		_exit(127);
	}
	unsetenv("PORT");
	close(pipefd[1]);
	CHECK(pid > 0);
	if (pid <= 0)
		return;

	/* Wait up to 5 s for the "listening" log line carrying the port. */
	char out[4096];
	size_t len = 0;
	unsigned child_port = 0;
	struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN, .revents = 0 };
	while (child_port == 0 && len < sizeof out - 1 && poll(&pfd, 1, 5000) == 1) {
		ssize_t n = read(pipefd[0], out + len, sizeof out - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
		const char *pp = strstr(out, "\"port\":");
		if (pp != NULL && strchr(pp, '\n') != NULL)
			child_port = (unsigned)strtoul(pp + 7, NULL, 10);
	}
	CHECK(child_port > 0);

	if (child_port > 0) {
		uint16_t saved = port;
		port = (uint16_t)child_port;
		CHECK(status_of("GET", "/health") == 200);
		port = saved;
	}

	kill(pid, SIGTERM);
	int status = 0;
	pid_t w = 0;
	for (int i = 0; i < 500 && w == 0; i++) { /* up to 5 s */
		w = waitpid(pid, &status, WNOHANG);
		if (w == 0)
			sleep_ms(10);
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECK(w == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* every line is a JSON object: listening, request, shutting down, stopped */
	ssize_t n;
	while (len < sizeof out - 1 && (n = read(pipefd[0], out + len, sizeof out - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	static const char *const msgs[] = { "listening", "request", "shutting down", "stopped" };
	const char *line = out;
	for (size_t i = 0; i < 4; i++) {
		char want[64];
		snprintf(want, sizeof want, "\"msg\":\"%s\"", msgs[i]);
		CHECK(strncmp(line, "{\"time\":\"", 9) == 0);
		CHECK(strstr(line, want) != NULL && strstr(line, want) < strchr(line, '\n'));
		line = strchr(line, '\n');
		line = line ? line + 1 : "";
	}
	CHECK(*line == '\0');
	close(pipefd[0]);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60); /* watchdog: never hang CI */
	server_binary = argc > 1 ? argv[1] : NULL;
	clear_env();
	int fd = mkstemp(log_path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);

	RUN(test_root_returns_hello);
	RUN(test_health_without_database_url);
#ifdef DB_ENV
	RUN(test_health_unreachable_database);
	RUN(test_health_reachable_database);
#else
	RUN(test_health_ignores_urls_without_database);
#endif
	RUN(test_not_found_method_not_allowed_and_head);
	RUN(test_metrics_histogram_and_route_templates);
	RUN(test_metrics_off_serves_an_empty_page);
	RUN(test_log_line_per_request);
	RUN(test_traceparent_continue_or_restart);
	RUN(test_span_reaches_an_otlp_receiver);
	RUN(test_traces_endpoint_wins_and_service_name);
	RUN(test_unusable_endpoint_stops_start_up);
	RUN(test_down_or_slow_collector_never_slows_requests);
	if (server_binary != NULL)
		RUN(test_server_exits_cleanly_on_sigterm);
	else
		printf("skip test_server_exits_cleanly_on_sigterm (no server binary given)\n");

	unlink(log_path);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
