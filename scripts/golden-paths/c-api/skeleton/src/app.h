/* {{name}}: HTTP routes, health check and metrics (libmicrohttpd). */
#ifndef APP_H
#define APP_H

#include <stddef.h>
#include <stdint.h>

struct MHD_Daemon;

#define SERVICE_NAME "{{name}}"
/* Backing store this service was generated with: "postgres", "redis" or "none". */
#define DB_KIND "{{database}}"
/* DB_ENV names the environment variable holding the backing store's URL;
 * it is left undefined when the service has no database. */
{{#db_postgres}}
#define DB_ENV "DATABASE_URL"
#define DB_DEFAULT_PORT "5432"
{{/db_postgres}}
{{#db_redis}}
#define DB_ENV "REDIS_URL"
#define DB_DEFAULT_PORT "6379"
{{/db_redis}}

/* Timeout for the TCP reachability probe behind /health. */
#define DB_CHECK_TIMEOUT_MS 1000

/* Start the HTTP daemon on port (0 = pick a free port). NULL on failure. */
struct MHD_Daemon *app_start(uint16_t port);
/* The port the daemon is bound to (useful after app_start(0)). */
uint16_t app_bound_port(struct MHD_Daemon *daemon);
/* Stop the daemon, closing all connections. */
void app_stop(struct MHD_Daemon *daemon);

/* Split a URL such as postgres://u:p@host:5432/db or redis://[::1]/0 into
 * host and port; default_port is used when the URL has none.
 * Returns 0 on success, -1 when the URL cannot be parsed or does not fit. */
int app_parse_url(const char *url, const char *default_port,
                  char *host, size_t hostlen, char *port, size_t portlen);
/* 1 when a TCP connection to host:port opens within timeout_ms, else 0. */
int app_tcp_reachable(const char *host, const char *port, int timeout_ms);

#endif /* APP_H */
