/*
 * bench_http.c -- HTTP/1.1 latency over keep-alive connections, for the
 * portal benchmark (tests/bench/bench_portal.sh): the same client measures
 * paved serve and Backstage's catalog backend.
 *
 *   bench_http seq  PORT PATH N [HEADER]        N requests one after another
 *                                               on one warm connection
 *   bench_http rate PORT PATH RATE SECONDS CONNS [HEADER]
 *                                               open loop: a request every
 *                                               1/RATE s over CONNS connections;
 *                                               latency counts from when a
 *                                               request was due (no
 *                                               coordinated omission)
 *
 * Prints one line: "n=N ok=N failed=N rate=R p50=MS p90=MS p99=MS max=MS".
 * Responses are read by Content-Length or chunked encoding; only 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct conn {
	int    fd;
	bool   busy;
	double due;          /* when the request in flight was due */
	char  *buf;
	size_t len, cap;
};

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Is a whole response in C's buffer?  Returns its status (>0), 0 if not yet,
 * and consumes it. */
static int response_done(struct conn *c)
{
	if (c->len == 0)
		return 0;
	c->buf[c->len] = '\0';
	char *end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->buf) + 4;
	int status = atoi(c->buf + 9);
	char *cl = strcasestr(c->buf, "\r\ncontent-length:");
	size_t total;
	if (cl && cl < end) {
		total = head + strtoul(cl + 17, NULL, 10);
		if (c->len < total)
			return 0;
	} else if (strcasestr(c->buf, "\r\ntransfer-encoding: chunked") &&
	           strcasestr(c->buf, "\r\ntransfer-encoding: chunked") < end) {
		size_t p = head;
		for (;;) {
			char *nl = strstr(c->buf + p, "\r\n");
			if (!nl)
				return 0;
			size_t n = strtoul(c->buf + p, NULL, 16);
			p = (size_t)(nl - c->buf) + 2;
			if (n == 0) {
				if (c->len < p + 2)
					return 0;
				total = p + 2;
				break;
			}
			if (c->len < p + n + 2)
				return 0;
			p += n + 2;
		}
	} else {
		total = head;
	}
	memmove(c->buf, c->buf + total, c->len - total);
	c->len -= total;
	return status;
}

/* Read what is there; -1 when the connection closed. */
static int fill(struct conn *c)
{
	if (c->cap - c->len < 65536) {
		c->cap = c->cap * 2 + 131072;
		c->buf = realloc(c->buf, c->cap + 1);
	}
	ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(double *lat, int n, int ok, int failed, double seconds)
{
	qsort(lat, (size_t)n, sizeof *lat, cmp);
#define PCT(p) (n ? lat[(int)((n - 1) * (p))] : 0)
	printf("n=%d ok=%d failed=%d rate=%.1f p50=%.3f p90=%.3f p99=%.3f max=%.3f\n", n, ok, failed,
	       n / seconds, PCT(0.5), PCT(0.9), PCT(0.99), n ? lat[n - 1] : 0);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: bench_http seq PORT PATH N [HEADER] | rate PORT PATH RATE "
		        "SECONDS CONNS [HEADER]\n");
		return 2;
	}
	bool seq = strcmp(argv[1], "seq") == 0;
	int port = atoi(argv[2]);
	const char *path = argv[3];
	const char *header = argc > (seq ? 5 : 7) ? argv[seq ? 5 : 7] : NULL;
	char req[4096];
	int rl = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s"
	                  "Connection: keep-alive\r\n\r\n", path, port, header ? header : "",
	                  header ? "\r\n" : "");
	if (seq) {
		int n = atoi(argv[4]), ok = 0, failed = 0, warm = n / 10 + 1;
		double *lat = calloc((size_t)n, sizeof *lat), t0 = now_ms();
		struct conn c = { dial(port), false, 0, NULL, 0, 0 };
		for (int i = 0; i < n + warm; i++) {
			double t = now_ms();
			if (write(c.fd, req, (size_t)rl) != rl) {
				perror("write");
				return 1;
			}
			int st;
			while (!(st = response_done(&c)))
				if (fill(&c) < 0) {
					fprintf(stderr, "connection closed\n");
					return 1;
				}
			if (i < warm) {
				t0 = now_ms();
				continue;
			}
			lat[i - warm] = now_ms() - t;
			st == 200 ? ok++ : failed++;
		}
		report(lat, n, ok, failed, (now_ms() - t0) / 1e3);
		return failed ? 1 : 0;
	}
	double rate = atof(argv[4]), seconds = atof(argv[5]);
	int nconn = atoi(argv[6]), total = (int)(rate * seconds), sent = 0, done = 0, ok = 0, failed = 0;
	struct conn *cs = calloc((size_t)nconn, sizeof *cs);
	double *lat = calloc((size_t)total + 1, sizeof *lat);
	for (int i = 0; i < nconn; i++)
		cs[i].fd = dial(port);
	double t0 = now_ms() + 50;
	while (done < total) {
		double t = now_ms();
		/* send every request that is due on a free connection */
		while (sent < total && t0 + sent * 1e3 / rate <= t) {
			int k = -1;
			for (int i = 0; i < nconn && k < 0; i++)
				if (!cs[i].busy)
					k = i;
			if (k < 0)
				break;
			cs[k].busy = true;
			cs[k].due = t0 + sent * 1e3 / rate;
			if (write(cs[k].fd, req, (size_t)rl) != rl) {
				perror("write");
				return 1;
			}
			sent++;
		}
		struct pollfd *p = calloc((size_t)nconn, sizeof *p);
		for (int i = 0; i < nconn; i++)
			p[i] = (struct pollfd){ cs[i].fd, cs[i].busy ? POLLIN : 0, 0 };
		double next = sent < total ? t0 + sent * 1e3 / rate - now_ms() : 50;
		poll(p, (nfds_t)nconn, next < 0 ? 0 : (int)next + 1);
		for (int i = 0; i < nconn; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (fill(&cs[i]) < 0) {
				fprintf(stderr, "connection closed\n");
				return 1;
			}
			int st = response_done(&cs[i]);
			if (st) {
				lat[done++] = now_ms() - cs[i].due;
				st == 200 ? ok++ : failed++;
				cs[i].busy = false;
			}
		}
		free(p);
	}
	report(lat, done, ok, failed, (now_ms() - t0) / 1e3);
	return failed ? 1 : 0;
}
