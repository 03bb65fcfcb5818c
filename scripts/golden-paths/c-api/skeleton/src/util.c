/* {{name}}: buffer, JSON escaping, clocks, environment, TCP connect. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	while (!b->oom) {
		size_t avail = b->cap - b->len;
		va_list aq;
		va_copy(aq, ap);
		int n = vsnprintf(b->data ? b->data + b->len : NULL, avail, fmt, aq);
		va_end(aq);
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

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_json_string(struct buf *b, const char *s)
{
	buf_printf(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_printf(b, "%c", *p);
	}
	buf_printf(b, "\"");
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

void rfc3339_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

uint64_t unix_nanos(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mono_now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

uint64_t mono_elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((now.tv_sec - since->tv_sec) * 1000000000LL + (now.tv_nsec - since->tv_nsec));
}

long env_positive(const char *name, long fallback)
{
	const char *s = getenv(name);
	if (s == NULL || *s == '\0')
		return fallback;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? v : fallback;
}

int env_is_off(const char *name)
{
	const char *s = getenv(name);
	if (s == NULL)
		return 0;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return (n == 3 && strncasecmp(s, "off", 3) == 0) || (n == 5 && strncasecmp(s, "false", 5) == 0) ||
	       (n == 1 && s[0] == '0');
}

int tcp_connect_timeout(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;

	struct timespec start;
	mono_now(&start);
	int fd = -1;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		int remaining = timeout_ms - (int)(mono_elapsed_ns(&start) / 1000000u);
		if (remaining <= 0)
			break;
		int s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (s < 0)
			continue;
		(void)fcntl(s, F_SETFD, FD_CLOEXEC);
		int flags = fcntl(s, F_GETFL);
		(void)fcntl(s, F_SETFL, flags | O_NONBLOCK);
		int ok = 0;
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = 1;
		} else if (errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = s, .events = POLLOUT, .revents = 0 };
			int n;
			do
				n = poll(&pfd, 1, remaining);
			while (n < 0 && errno == EINTR);
			int err = 0;
			socklen_t len = sizeof err;
			ok = n == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
		}
		if (ok) {
			(void)fcntl(s, F_SETFL, flags); /* back to blocking */
			fd = s;
		} else {
			close(s);
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* Copy src[0..n) into dst (size dstlen) as a string; -1 when it does not fit. */
static int copy_span(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n + 1 > dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int url_split(const char *url, const char *default_port, char *host, size_t hostlen, char *port,
              size_t portlen)
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
