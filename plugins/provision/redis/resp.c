/*
 * resp.c -- just enough of a Redis client for the driver: connect to
 * 127.0.0.1:PORT, AUTH with the password, send one command as a RESP
 * array (so no value needs quoting), read its reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "rdriver.h"

/* Append ARGV as a RESP array to the buffer *B (length *N). */
static bool encode(char **b, size_t *n, const char *const argv[])
{
	size_t c = 0;
	while (argv[c])
		c++;
	char *s = pc_printf("%s*%zu\r\n", *b ? *b : "", c);
	for (size_t i = 0; s && i < c; i++) {
		char *t = pc_printf("%s$%zu\r\n%s\r\n", s, strlen(argv[i]), argv[i]);
		explicit_bzero(s, strlen(s));
		free(s);
		s = t;
	}
	if (*b)
		explicit_bzero(*b, *n);
	free(*b);
	*b = s;
	*n = s ? strlen(s) : 0;
	return s != NULL;
}

/* Parse one reply at B[*P..N): its text (arrays: elements joined by
 * spaces), or NULL when incomplete.  *ERR true for an error reply. */
static char *parse(const char *b, size_t n, size_t *p, bool *err)
{
	const char *crlf = *p < n ? memmem(b + *p, n - *p, "\r\n", 2) : NULL;
	if (!crlf)
		return NULL;
	char type = b[*p];
	size_t start = *p + 1, len = (size_t)(crlf - b) - start;
	long long v = atoll(b + start);
	if (type == '+' || type == '-' || type == ':') {
		*err = type == '-';
		*p = (size_t)(crlf - b) + 2;
		return strndup(b + start, len);
	}
	if (type == '$') {
		size_t body = (size_t)(crlf - b) + 2;
		if (v < 0) {
			*p = body;
			return strdup("");
		}
		if (body + (size_t)v + 2 > n)
			return NULL;
		*p = body + (size_t)v + 2;
		return strndup(b + body, (size_t)v);
	}
	if (type == '*') {
		size_t q = (size_t)(crlf - b) + 2;
		char *all = strdup("");
		for (long long i = 0; all && i < v; i++) {
			bool e2 = false;
			char *x = parse(b, n, &q, &e2);
			if (!x) {
				free(all);
				return NULL;
			}
			char *t = pc_printf("%s%s%s", all, i ? " " : "", x);
			free(all), free(x);
			all = t;
		}
		*p = q;
		return all;
	}
	*err = true;
	*p = n;
	return strdup("unexpected reply");
}

char *prd_command(int port, const char *pw, const char *const argv[], bool *is_error)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 2, 0 };
	const char *auth[] = { "AUTH", "default", pw, NULL };
	char *out = NULL, *req = NULL, buf[16384];
	size_t rn = 0, len = 0, pos = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*is_error = false;
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || !encode(&req, &rn, auth) ||
	    !encode(&req, &rn, argv) || write(fd, req, rn) != (ssize_t)rn)
		goto out;
	char *first = NULL;
	while (!out && len < sizeof buf - 1) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (!first && !(first = parse(buf, len, &pos, is_error)))
			continue;
		if (*is_error) {          /* AUTH refused: that is the answer */
			out = first;
			first = NULL;
			break;
		}
		out = parse(buf, len, &pos, is_error);
	}
	free(first);
out:
	if (req)
		explicit_bzero(req, rn);
	explicit_bzero(buf, sizeof buf);
	free(req);
	close(fd);
	return out;
}
