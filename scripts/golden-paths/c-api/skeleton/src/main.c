/* {{name}}: entry point. Reads PORT (default 8080), serves until SIGTERM or
 * SIGINT, then stops the daemon and exits 0. */
#include "app.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

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
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"invalid PORT\",\"service\":\"%s\"}\n",
		        SERVICE_NAME);
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

	struct MHD_Daemon *daemon = app_start(port);
	if (daemon == NULL) {
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"cannot start HTTP daemon\",\"service\":\"%s\",\"port\":%u}\n",
		        SERVICE_NAME, (unsigned)port);
		return 1;
	}
	printf("{\"level\":\"info\",\"msg\":\"listening\",\"service\":\"%s\",\"port\":%u}\n",
	       SERVICE_NAME, (unsigned)app_bound_port(daemon));
	fflush(stdout);

	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	printf("{\"level\":\"info\",\"msg\":\"shutting down\",\"service\":\"%s\",\"signal\":\"%s\"}\n",
	       SERVICE_NAME, sig == SIGTERM ? "SIGTERM" : "SIGINT");
	fflush(stdout);
	app_stop(daemon);
	return 0;
}
