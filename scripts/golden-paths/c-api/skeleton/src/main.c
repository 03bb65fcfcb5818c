/* {{name}}: entry point. Reads PORT (default 8080), logs JSON lines on
 * stdout, serves until SIGTERM or SIGINT, then stops the daemon (finishing
 * in-flight requests), sends the queued spans and exits 0. */
#include "app.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "trace.h"
#include "util.h"

static int parse_port(const char *s, uint16_t *out)
{
	if (s == NULL || *s == '\0') {
		*out = 8080;
		return 0;
	}
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int main(void)
{
	uint16_t port;
	if (parse_port(getenv("PORT"), &port) != 0) {
		log_json(stdout, "error", "startup failed", ",\"error\":\"invalid PORT\"");
		return 2;
	}

	/* Block the shutdown signals before any thread exists, so every daemon
	 * thread inherits the mask and only sigwait() below receives them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	char *err = NULL;
	struct app *a = app_start(port, stdout, &err);
	struct buf f = { NULL, 0, 0, 0 }; /* the log line's fields */
	if (a == NULL) {
		buf_printf(&f, ",\"error\":");
		buf_json_string(&f, err ? err : "out of memory");
		log_json(stdout, "error", "startup failed", "%s", f.oom ? "" : f.data);
		buf_free(&f);
		free(err);
		return 1;
	}
	struct exporter *e = app_exporter(a);
	buf_printf(&f, ",\"port\":%u,\"metrics\":%s,\"otlp_endpoint\":", (unsigned)app_port(a),
	           app_metrics_enabled(a) ? "true" : "false");
	if (e != NULL)
		buf_json_string(&f, exporter_endpoint(e));
	else
		buf_printf(&f, "null");
	log_json(stdout, "info", "listening", "%s", f.oom ? "" : f.data);
	buf_free(&f);

	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	log_json(stdout, "info", "shutting down", ",\"signal\":\"%s\"", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	unsigned long long exported = app_stop(a);
	log_json(stdout, "info", "stopped", ",\"spans_exported\":%llu", exported);
	return 0;
}
