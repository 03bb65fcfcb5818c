/*
 * canary-app.c -- the service the canary tests deploy: a tiny HTTP server
 * (a thread per connection, one request each, as HAProxy's
 * http-server-close asks) whose error rate and latency its environment
 * sets, so each version of a test service behaves as its platform.yaml
 * says:
 *
 *   PORT, HOST      where to listen (the runtime sets them)
 *   ERROR_RATE      the share of GET / answered 500, exactly: request n
 *                   fails when floor(n * rate) moves (0.05: every 20th)
 *   LATENCY_MS      each GET / takes LATENCY_MS * (0.8 .. 1.2) (a fixed
 *                   pseudo-random sequence), so p99 is about 1.2x that
 *   PAVED_VERSION   printed in the answer ("v=VERSION")
 *
 * GET /health answers 200 at once; GET /metrics gives the OTel histogram
 * http_server_request_duration_seconds of GET / (the buckets of the
 * node-api golden path), which the prometheus provider's latency queries
 * read.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1,
                                  2.5, 5, 7.5, 10 };
#define NB (sizeof buckets / sizeof *buckets)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double error_rate, latency_ms;
static unsigned long served;
static double sum[2], counts[2][NB + 1];   /* [ok, error] */
static const char *version = "?";

/* The n-th latency factor in 0.8 .. 1.2 (a fixed LCG, the same each run). */
static double factor(unsigned long n)
{
	unsigned long x = n * 6364136223846793005UL + 1442695040888963407UL;
	return 0.8 + 0.4 * (double)((x >> 33) % 10000) / 10000.0;
}

static void reply(int fd, int code, const char *type, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
	                 "%zu\r\nConnection: close\r\n\r\n", code, code == 200 ? "OK" :
	                 code == 404 ? "Not Found" : "Internal Server Error", type, strlen(body));
	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

static void metrics(int fd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
	        "# TYPE http_server_request_duration_seconds histogram\n");
	pthread_mutex_lock(&mu);
	for (int e = 0; e < 2; e++) {
		double cum = 0, total = 0;
		for (size_t i = 0; i <= NB; i++)
			total += counts[e][i];
		if (!total)
			continue;
		const char *lab = e ? "http_request_method=\"GET\",http_response_status_code=\"500\","
		                      "http_route=\"/\",error_type=\"500\"" :
		                      "http_request_method=\"GET\",http_response_status_code=\"200\","
		                      "http_route=\"/\"";
		for (size_t i = 0; i < NB; i++) {
			cum += counts[e][i];
			fprintf(f, "http_server_request_duration_seconds_bucket{%s,le=\"%g\"} %.0f\n", lab,
			        buckets[i], cum);
		}
		fprintf(f, "http_server_request_duration_seconds_bucket{%s,le=\"+Inf\"} %.0f\n"
		        "http_server_request_duration_seconds_sum{%s} %.6f\n"
		        "http_server_request_duration_seconds_count{%s} %.0f\n", lab, total, lab, sum[e],
		        lab, total);
	}
	pthread_mutex_unlock(&mu);
	fclose(f);
	reply(fd, 200, "text/plain; version=0.0.4", text ? text : "");
	free(text);
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char req[2048];
	ssize_t n = read(fd, req, sizeof req - 1);
	if (n <= 0) {
		close(fd);
		return NULL;
	}
	req[n] = '\0';
	if (!strncmp(req, "GET /health", 11)) {
		reply(fd, 200, "text/plain", "ok\n");
	} else if (!strncmp(req, "GET /metrics", 12)) {
		metrics(fd);
	} else if (!strncmp(req, "GET / ", 6) || !strncmp(req, "GET /?", 6)) {
		pthread_mutex_lock(&mu);
		unsigned long k = served++;
		pthread_mutex_unlock(&mu);
		bool fail = floor((double)(k + 1) * error_rate) > floor((double)k * error_rate);
		double secs = latency_ms * factor(k) / 1000;
		if (secs > 0) {
			struct timespec ts = { (time_t)secs, (long)((secs - floor(secs)) * 1e9) };
			nanosleep(&ts, NULL);
		}
		char body[128];
		snprintf(body, sizeof body, "%s v=%s\n", fail ? "error" : "hello", version);
		reply(fd, fail ? 500 : 200, "text/plain", body);
		pthread_mutex_lock(&mu);
		size_t b = 0;
		while (b < NB && secs > buckets[b])
			b++;
		counts[fail][b]++;
		sum[fail] += secs;
		pthread_mutex_unlock(&mu);
	} else {
		reply(fd, 404, "text/plain", "not found\n");
	}
	close(fd);
	return NULL;
}

int main(void)
{
	const char *port = getenv("PORT"), *host = getenv("HOST");
	error_rate = getenv("ERROR_RATE") ? atof(getenv("ERROR_RATE")) : 0;
	latency_ms = getenv("LATENCY_MS") ? atof(getenv("LATENCY_MS")) : 0;
	if (getenv("PAVED_VERSION"))
		version = getenv("PAVED_VERSION");
	signal(SIGPIPE, SIG_IGN);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port ? atoi(port) : 8080) };
	inet_pton(AF_INET, host ? host : "127.0.0.1", &a.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 128) != 0) {
		perror("canary-app: bind");
		return 1;
	}
	printf("canary-app %s on %s:%s (error rate %g, latency %g ms)\n", version, host ? host : "127.0.0.1",
	       port ? port : "8080", error_rate, latency_ms);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, serve, (void *)(long)c) != 0) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
}
