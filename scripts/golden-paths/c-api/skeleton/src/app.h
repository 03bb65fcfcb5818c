/* {{name}}: HTTP routes, health check and the request lifecycle
 * (libmicrohttpd). Each request is measured (metrics.h), traced (trace.h)
 * and logged as one JSON line (log.h). */
#ifndef APP_H
#define APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct app;
struct exporter;

#define SERVICE_NAME "{{name}}"
/* Backing store this service was generated with: "postgres", "redis" or "none". */
#define DB_KIND "{{database}}"
/* DB_ENV names the environment variable holding the backing store's URL;
 * it is left undefined when the service has no database. */
{{#database_postgres}}
#define DB_ENV "DATABASE_URL"
#define DB_DEFAULT_PORT "5432"
{{/database_postgres}}
{{#database_redis}}
#define DB_ENV "REDIS_URL"
#define DB_DEFAULT_PORT "6379"
{{/database_redis}}

/* Timeout for the TCP reachability probe behind /health. */
#define DB_CHECK_TIMEOUT_MS 1000

/* Start serving on port (0 = pick a free port). Reads METRICS and OTEL_*
 * from the environment; request and exporter logs go to log. Returns NULL
 * and a malloc()ed *err when it cannot start. */
struct app *app_start(uint16_t port, FILE *log, char **err);
/* The port the daemon is bound to (useful after app_start(0)). */
uint16_t app_port(const struct app *a);
/* 0 when METRICS=off. */
int app_metrics_enabled(const struct app *a);
/* The span exporter, NULL when no OTLP endpoint is configured. */
struct exporter *app_exporter(const struct app *a);
/* Stop accepting, let the requests being handled finish (at most 10 s),
 * close every connection, send the queued spans and free everything.
 * Returns the number of spans exported. */
unsigned long long app_stop(struct app *a);

/* 1 when a TCP connection to host:port opens within timeout_ms, else 0. */
int app_tcp_reachable(const char *host, const char *port, int timeout_ms);

#endif /* APP_H */
