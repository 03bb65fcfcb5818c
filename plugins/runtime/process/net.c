/*
 * net.c -- loopback ports and a health probe (see net.h).
 */
#include "net.h"
#include "files.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

PAVED_PLUGIN_INIT3;

/* Bind 127.0.0.1:PORT (0: any); the port bound, or 0. */
static int try_bind(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, got = 0;
	if (s < 0)
		return 0;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof a;
	if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &l) == 0)
		got = ntohs(a.sin_port);
	close(s);
	return got;
}

/* Every port HOME's front doors and replicas hold, as {"PORT": true}. */
static json_t *held_ports(const char *home)
{
	json_t *held = json_object();
	char *pat = NULL, *svcs = NULL;
	glob_t g = { 0 };
	if (asprintf(&pat, "%s/runtime/*/*/spec.json", home) < 0)
		pat = NULL;
	if (asprintf(&svcs, "%s/runtime/haproxy/services.json", home) < 0)
		svcs = NULL;
	if (pat && glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			json_t *spec = rf_read_json(g.gl_pathv[i]), *r;
			size_t k;
			json_array_foreach(json_object_get(spec, "replicas"), k, r) {
				char key[16];
				snprintf(key, sizeof key, "%lld", json_integer_value(json_object_get(r, "port")));
				json_object_set_new(held, key, json_true());
			}
			json_decref(spec);
		}
	}
	json_t *front = svcs ? rf_read_json(svcs) : NULL, *s;
	const char *k;
	json_object_foreach(front, k, s) {
		char key[16];
		snprintf(key, sizeof key, "%lld", json_integer_value(json_object_get(s, "port")));
		json_object_set_new(held, key, json_true());
	}
	json_decref(front);
	globfree(&g);
	free(pat), free(svcs);
	return held;
}

static bool is_held(json_t *held, int port)
{
	char key[16];
	snprintf(key, sizeof key, "%d", port);
	return json_object_get(held, key) != NULL;
}

int rn_port(const char *home, const char *range, const char *what, int *lock, char **errmsg)
{
	int lo = 0, hi = 0, port = 0;
	char *lockpath = NULL;
	*lock = -1;
	if (range && *range) {
		int n = sscanf(range, "%d-%d", &lo, &hi);
		if (n == 1)
			hi = lo;
		if (n < 1 || lo < 1 || hi > 65535 || lo > hi) {
			paved->error(errmsg, "plugins.runtime_process.ports must be LO-HI (e.g. "
			             "20000-20999), not '%s'", range);
			return 0;
		}
	}
	if (rf_private_dir(home, "runtime") != 0 ||
	    asprintf(&lockpath, "%s/runtime/ports.lock", home) < 0 ||
	    (*lock = rf_lock(lockpath, 0, 0)) < 0) {
		paved->error(errmsg, "cannot lock %s/runtime/ports.lock: %s", home, strerror(errno));
		free(lockpath);
		return 0;
	}
	free(lockpath);
	json_t *held = held_ports(home);
	if (lo) {
		for (int p = lo; p <= hi && !port; p++)
			if (!is_held(held, p) && try_bind(p) == p)
				port = p;
		if (!port)
			paved->error(errmsg, "no free port for %s: every port of plugins.runtime_process."
			             "ports (%d-%d) on 127.0.0.1 is in use; widen the range or stop what "
			             "holds them", what, lo, hi);
	} else {
		for (int tries = 0; tries < 100 && !port; tries++) {
			int p = try_bind(0);
			if (p && !is_held(held, p))
				port = p;
		}
		if (!port)
			paved->error(errmsg, "no free port on 127.0.0.1 for %s: %s", what,
			             errno ? strerror(errno) : "every port tried is held");
	}
	json_decref(held);
	if (!port) {
		rf_unlock(*lock);
		*lock = -1;
	}
	return port;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int rn_http_get(int port, const char *path, int timeout_ms)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), code = -1;
	if (s < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long long end = mono_ms() + timeout_ms;
	struct pollfd p = { .fd = s, .events = POLLOUT };
	int err = 0;
	socklen_t el = sizeof err;
	char buf[1024];
	size_t len = 0;
	if ((connect(s, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) ||
	    poll(&p, 1, timeout_ms) != 1 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto out;
	int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n"
	                 "Connection: close\r\n\r\n", path, port);
	if (n <= 0 || (size_t)n >= sizeof buf || write(s, buf, (size_t)n) != n)
		goto out;
	/* the status line is all we need */
	while (len < sizeof buf - 1 && !memchr(buf, '\n', len)) {
		long long left = end - mono_ms();
		p.events = POLLIN;
		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			goto out;
		ssize_t r = read(s, buf + len, sizeof buf - 1 - len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
		code = -1;
out:
	close(s);
	return code;
}
