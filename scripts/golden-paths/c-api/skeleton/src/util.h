/* {{name}}: small helpers shared by the service's modules: a growable
 * string buffer, JSON string escaping, clocks, environment parsing and a
 * TCP connect with a timeout. */
#ifndef UTIL_H
#define UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A growable string buffer. Zero-initialise it; data is heap memory (NULL
 * until something is written). oom is set when an allocation failed, after
 * which writes are ignored. */
struct buf {
	char *data;
	size_t len, cap;
	int oom;
};

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Append s as a JSON string, quotes included. Control characters, '"', '\'
 * and bytes >= 0x7f are escaped (\u00XX), so the output is valid JSON
 * whatever bytes s holds. */
void buf_json_string(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* The current UTC time as 2026-01-31T12:00:00.123Z (RFC 3339, milliseconds). */
void rfc3339_now(char out[32]);
/* Wall-clock time in nanoseconds since the Unix epoch. */
uint64_t unix_nanos(void);
/* Monotonic clock reading, and the nanoseconds elapsed since one. */
void mono_now(struct timespec *t);
uint64_t mono_elapsed_ns(const struct timespec *since);

/* The environment variable NAME as a positive integer, else fallback. */
long env_positive(const char *name, long fallback);
/* 1 when NAME is "off", "false" or "0" (any case, surrounding blanks ignored). */
int env_is_off(const char *name);

/* Connect to host:port (numeric port string) within timeout_ms, trying
 * every address. Returns a blocking, close-on-exec socket, or -1. */
int tcp_connect_timeout(const char *host, const char *port, int timeout_ms);

/* Split a URL such as postgres://u:p@host:5432/db or redis://[::1]/0 into
 * host and port; default_port is used when the URL has none.
 * Returns 0 on success, -1 when the URL cannot be parsed or does not fit. */
int url_split(const char *url, const char *default_port, char *host, size_t hostlen, char *port,
              size_t portlen);

#endif /* UTIL_H */
