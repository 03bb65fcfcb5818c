/* Tests for {{name}}: start the daemon in-process on an ephemeral port and
 * talk HTTP to it over raw sockets. Usage: test_app [PATH-TO-SERVER-BINARY]
 * (the binary, when given, is used for the SIGTERM test). */
#include "app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed, current_failed;
static uint16_t port;
static const char *server_binary;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, \
			        #cond);                                               \
			current_failed = 1;                                           \
		}                                                                     \
	} while (0)

#define RUN(fn)                                                  \
	do {                                                     \
		current_failed = 0;                              \
		fn();                                            \
		if (current_failed) {                            \
			failed++;                                \
			printf("FAIL %s\n", #fn);                \
		} else {                                         \
			passed++;                                \
			printf("ok   %s\n", #fn);                \
		}                                                \
		fflush(stdout);                                  \
	} while (0)

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

/* Returns 0 and fills r on success; r->raw must be freed. */
static int http_request(uint16_t p, const char *method, const char *path, struct response *r)
{
	memset(r, 0, sizeof *r);
	int fd = tcp_connect(p);
	if (fd < 0)
		return -1;
	char req[512];
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	                 method, path);
	if (n < 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, 0) != n) {
		close(fd);
		return -1;
	}
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			break;
		if (cap - len < 1024) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (buf == NULL)
		return -1;
	buf[len] = '\0';
	r->raw = buf;
	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	char *sep = strstr(buf, "\r\n\r\n");
	r->body = sep ? sep + 4 : "";
	return 0;
}

static int get(const char *path, struct response *r)
{
	return http_request(port, "GET", path, r);
}

/* Value of the first sample line that starts with prefix, or -1. */
static long long sample(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, prefix, n) == 0 && line[n] == ' ')
			return strtoll(line + n + 1, NULL, 10);
	return -1;
}

static int has_line_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, prefix, n) == 0)
			return 1;
	return 0;
}

static void clear_db_env(void)
{
	unsetenv("DATABASE_URL");
	unsetenv("REDIS_URL");
}

/* ------------------------------------------------------------------ */
/* Tests. */

static void test_root_returns_hello(void)
{
	struct response r;
	CHECK(get("/", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strstr(r.raw, "Content-Type: application/json") != NULL);
	CHECK(strstr(r.body, "\"service\":\"" SERVICE_NAME "\"") != NULL);
	CHECK(strstr(r.body, "hello") != NULL);
	free(r.raw);
}

static void test_health_without_database_url(void)
{
	struct response r;
	clear_db_env();
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strcmp(r.body, "{\"status\":\"ok\",\"service\":\"" SERVICE_NAME
	                     "\",\"database\":{\"configured\":false}}\n") == 0);
	free(r.raw);
}

#ifdef DB_ENV
static void test_health_unreachable_database(void)
{
	struct response r;
	setenv(DB_ENV, DB_KIND "://u:p@127.0.0.1:1/db", 1);
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 503);
	CHECK(strcmp(r.body, "{\"status\":\"degraded\",\"service\":\"" SERVICE_NAME
	                     "\",\"database\":{\"url_set\":true,\"reachable\":false}}\n") == 0);
	free(r.raw);
	clear_db_env();
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
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strcmp(r.body, "{\"status\":\"ok\",\"service\":\"" SERVICE_NAME
	                     "\",\"database\":{\"url_set\":true,\"reachable\":true}}\n") == 0);
	free(r.raw);
	clear_db_env();
	close(lfd);
}
#else
static void test_health_ignores_urls_without_database(void)
{
	struct response r;
	setenv("DATABASE_URL", "postgres://u:p@127.0.0.1:1/db", 1);
	setenv("REDIS_URL", "redis://127.0.0.1:1/0", 1);
	CHECK(get("/health", &r) == 0);
	CHECK(r.status == 200);
	CHECK(strstr(r.body, "\"database\":{\"configured\":false}") != NULL);
	free(r.raw);
	clear_db_env();
}
#endif

static void test_parse_url(void)
{
	char host[64], p[8];
	CHECK(app_parse_url("postgres://u:p@db.internal:6543/app", "5432", host, sizeof host, p, sizeof p) == 0);
	CHECK(strcmp(host, "db.internal") == 0 && strcmp(p, "6543") == 0);
	CHECK(app_parse_url("postgres://db/app", "5432", host, sizeof host, p, sizeof p) == 0);
	CHECK(strcmp(host, "db") == 0 && strcmp(p, "5432") == 0);
	CHECK(app_parse_url("redis://[::1]/0", "6379", host, sizeof host, p, sizeof p) == 0);
	CHECK(strcmp(host, "::1") == 0 && strcmp(p, "6379") == 0);
	CHECK(app_parse_url("not a url", "5432", host, sizeof host, p, sizeof p) == -1);
	CHECK(app_parse_url("postgres://h:99999/x", "5432", host, sizeof host, p, sizeof p) == -1);
}

static void test_not_found_and_method_not_allowed(void)
{
	struct response r;
	CHECK(get("/no-such-thing", &r) == 0);
	CHECK(r.status == 404);
	free(r.raw);
	CHECK(http_request(port, "POST", "/", &r) == 0);
	CHECK(r.status == 405);
	CHECK(strstr(r.raw, "Allow: GET, HEAD") != NULL);
	free(r.raw);
}

static void test_metrics(void)
{
	static const char counter[] = "http_requests_total{method=\"GET\",path=\"/\",code=\"200\"}";
	struct response first, second, tmp;

	CHECK(get("/metrics", &first) == 0);
	CHECK(first.status == 200);
	CHECK(strstr(first.raw, "Content-Type: text/plain; version=0.0.4") != NULL);
	long long before = sample(first.body, counter);
	CHECK(get("/", &tmp) == 0);
	free(tmp.raw);
	CHECK(get("/", &tmp) == 0);
	free(tmp.raw);
	CHECK(get("/metrics", &second) == 0);
	const char *m = second.body;
	long long after = sample(m, counter);

	CHECK(before >= 1); /* test_root_returns_hello ran first */
	CHECK(after == before + 2);
	CHECK(has_line_prefix(m, "# HELP http_requests_total "));
	CHECK(has_line_prefix(m, "# TYPE http_requests_total counter\n"));
	CHECK(has_line_prefix(m, "# HELP http_request_duration_seconds "));
	CHECK(has_line_prefix(m, "# TYPE http_request_duration_seconds histogram\n"));
	CHECK(sample(m, "http_requests_total{method=\"GET\",path=\"/metrics\",code=\"200\"}") >= 1);

	long long inf = sample(m, "http_request_duration_seconds_bucket{path=\"/\",le=\"+Inf\"}");
	long long count = sample(m, "http_request_duration_seconds_count{path=\"/\"}");
	long long b005 = sample(m, "http_request_duration_seconds_bucket{path=\"/\",le=\"0.005\"}");
	long long b10 = sample(m, "http_request_duration_seconds_bucket{path=\"/\",le=\"10\"}");
	CHECK(count >= after);
	CHECK(inf == count);
	CHECK(b005 >= 0 && b005 <= b10 && b10 <= inf);
	CHECK(has_line_prefix(m, "http_request_duration_seconds_sum{path=\"/\"} "));
	free(first.raw);
	free(second.raw);
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
	char line[512];
	size_t len = 0;
	unsigned child_port = 0;
	struct pollfd pfd = { pipefd[0], POLLIN, 0 };
	while (child_port == 0 && len < sizeof line - 1 && poll(&pfd, 1, 5000) == 1) {
		ssize_t n = read(pipefd[0], line + len, sizeof line - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		line[len] = '\0';
		const char *pp = strstr(line, "\"port\":");
		if (pp != NULL && strchr(pp, '\n') != NULL)
			child_port = (unsigned)strtoul(pp + 7, NULL, 10);
	}
	CHECK(child_port > 0);

	if (child_port > 0) {
		struct response r;
		CHECK(http_request((uint16_t)child_port, "GET", "/health", &r) == 0);
		CHECK(r.status == 200);
		free(r.raw);
	}

	kill(pid, SIGTERM);
	int status = 0;
	pid_t w = 0;
	for (int i = 0; i < 500 && w == 0; i++) { /* up to 5 s */
		w = waitpid(pid, &status, WNOHANG);
		if (w == 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECK(w == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pipefd[0]);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60); /* watchdog: never hang CI */
	server_binary = argc > 1 ? argv[1] : NULL;
	clear_db_env();

	struct MHD_Daemon *d = app_start(0);
	if (d == NULL) {
		fprintf(stderr, "cannot start daemon\n");
		return 1;
	}
	port = app_bound_port(d);
	if (port == 0) {
		fprintf(stderr, "cannot read bound port\n");
		app_stop(d);
		return 1;
	}

	RUN(test_root_returns_hello);
	RUN(test_health_without_database_url);
#ifdef DB_ENV
	RUN(test_health_unreachable_database);
	RUN(test_health_reachable_database);
#else
	RUN(test_health_ignores_urls_without_database);
#endif
	RUN(test_parse_url);
	RUN(test_not_found_and_method_not_allowed);
	RUN(test_metrics);
	if (server_binary != NULL)
		RUN(test_server_exits_cleanly_on_sigterm);
	else
		printf("skip test_server_exits_cleanly_on_sigterm (no server binary given)\n");

	app_stop(d);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
