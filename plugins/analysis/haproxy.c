/*
 * haproxy.c -- the provider "haproxy", the embedded default: per-server
 * counters from the stats socket of the runtime's HAProxy, so a canary is
 * measured with no Prometheus.
 *
 * The canary's replicas (measure's `replicas`: {id, port}) are the servers
 * of backend be.ENV.SERVICE whose address is 127.0.0.1:PORT.  `begin`
 * notes their counters (the cursor); `measure` takes them again and
 * reports, over the window since the cursor (a reload of HAProxy resets
 * the counters: the new ones are used then):
 *   error_rate    5xx responses / responses (null: no response: no data)
 *   success_rate  1 - error_rate
 *   errors        5xx responses; requests: responses
 *   request_rate  responses per second
 *   latency_avg   HAProxy's mean response time of each server's last 1024
 *                 responses, weighted by the window's responses, seconds
 * Percentiles are not counters: latency_p99 comes from prometheus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"

PAVED_PLUGIN_INIT3;

#define MAX_SERVERS 64

static const char *const queries[] = { "error_rate", "success_rate", "errors", "requests",
                                       "request_rate", "latency_avg", NULL };

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* `show stat` from the socket at PATH (0.5 s to connect and 2 s to
 * answer); *OUT malloc()ed. */
static int show_stat(const char *path, char **out, char **errmsg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	*out = NULL;
	if (strlen(path) >= sizeof a.sun_path)
		return paved->error(errmsg, "the stats socket path %s is too long", path);
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { 2, 0 };
	if (s < 0)
		return paved->error(errmsg, "socket: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(s);
		return paved->error(errmsg, "HAProxy's stats socket %s does not answer (%s): is the "
		                    "service running behind the runtime's HAProxy?", path, strerror(e));
	}
	static const char cmd[] = "show stat\n";
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t r = write(s, cmd, sizeof cmd - 1);
	while (buf && r > 0 && (r = read(s, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 >= cap) {
			char *g = realloc(buf, cap *= 2);
			if (!g)
				free(buf);
			buf = g;
		}
	}
	int e = errno;
	close(s);
	if (!buf)
		return paved->error(errmsg, "out of memory");
	if (r < 0) {
		free(buf);
		return paved->error(errmsg, "HAProxy's stats socket %s: %s", path, strerror(e));
	}
	buf[n] = '\0';
	*out = buf;
	return PAVED_OK;
}

/* The counters of the servers of ARGS.replicas: {at, servers: {NAME:
 * {responses, errors, rtime_ms, addr}}} (new), or NULL with *ERRMSG. */
static json_t *snapshot(paved_ctx *ctx, json_t *args, char **errmsg)
{
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	const char *opt = json_string_value(paved->option(ctx, "haproxy_socket"));
	char *path = opt && *opt ? strdup(opt) : pc_printf("%s/runtime/haproxy/admin.sock",
	                                                   paved->home(ctx));
	char *csv = NULL, be[200];
	json_t *out = NULL, *r;
	struct an_server sv[MAX_SERVERS];
	size_t i;
	snprintf(be, sizeof be, "be.%s.%s", env, svc);
	if (show_stat(path, &csv, errmsg))
		goto done;
	int n = an_parse_stat(csv, be, sv, MAX_SERVERS);
	if (n < 0) {
		paved->error(errmsg, "HAProxy's stats socket %s answered no statistics", path);
		goto done;
	}
	out = json_pack("{sf s{}}", "at", now_s(), "servers");
	json_array_foreach(json_object_get(args, "replicas"), i, r) {
		char addr[64];
		int port = (int)json_integer_value(json_object_get(r, "port"));
		const char *id = json_string_value(json_object_get(r, "id"));
		snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
		int k = 0;
		while (k < n && strcmp(sv[k].addr, addr))
			k++;
		if (k == n) {
			paved->error(errmsg, "replica %s (port %d) is no server of HAProxy's backend %s",
			             id ? id : "?", port, be);
			json_decref(out), out = NULL;
			goto done;
		}
		json_object_set_new(json_object_get(out, "servers"), sv[k].name,
		                    json_pack("{sf sf sf ss}", "responses", sv[k].responses, "errors",
		                              sv[k].errors, "rtime_ms", sv[k].rtime_ms, "addr", addr));
	}
	if (!json_object_size(json_object_get(out, "servers"))) {
		paved->error(errmsg, "no replica to measure (the argument 'replicas' is empty)");
		json_decref(out), out = NULL;
	}
done:
	free(path), free(csv);
	return out;
}

int an_haproxy_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	(void)ctx, (void)result;
	const char *q = json_string_value(json_object_get(json_object_get(args, "metric"), "query"));
	for (size_t i = 0; q && queries[i]; i++)
		if (!strcmp(q, queries[i]))
			return PAVED_OK;
	if (q && !strncmp(q, "latency_p", 9))
		return paved->error(errmsg, "query '%s': HAProxy counts, it keeps no percentiles: "
		                    "measure %s with the provider prometheus", q, q);
	return paved->error(errmsg, "query %s%s%s: the provider haproxy measures error_rate, "
	                    "success_rate, errors, requests, request_rate or latency_avg",
	                    q ? "'" : "", q ? q : "is missing", q ? "' is unknown" : "");
}

int an_haproxy_begin(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	json_t *s = snapshot(ctx, args, errmsg);
	if (!s)
		return PAVED_ERR;
	*result = json_pack("{so}", "cursor", s);
	return PAVED_OK;
}

int an_haproxy_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	const char *q = json_string_value(json_object_get(json_object_get(args, "metric"), "query"));
	json_t *now = snapshot(ctx, args, errmsg), *cur = json_object_get(args, "cursor"), *s;
	if (!now)
		return PAVED_ERR;
	double resp = 0, errs = 0, lat = 0;
	double secs = json_number_value(json_object_get(now, "at")) -
	              json_number_value(json_object_get(cur, "at"));
	const char *name;
	json_object_foreach(json_object_get(now, "servers"), name, s) {
		json_t *was = json_object_get(json_object_get(cur, "servers"), name);
		double r = json_number_value(json_object_get(s, "responses"));
		double e = json_number_value(json_object_get(s, "errors"));
		double r0 = json_number_value(json_object_get(was, "responses"));
		double e0 = json_number_value(json_object_get(was, "errors"));
		if (was && r >= r0 && e >= e0)   /* else HAProxy was reloaded: counters anew */
			r -= r0, e -= e0;
		resp += r, errs += e;
		lat += r * json_number_value(json_object_get(s, "rtime_ms")) / 1000;
	}
	json_t *v;
	char detail[160];
	snprintf(detail, sizeof detail, "%.0f responses, %.0f 5xx over %.1f s on %zu server%s", resp,
	         errs, cur ? secs : 0, json_object_size(json_object_get(now, "servers")),
	         json_object_size(json_object_get(now, "servers")) == 1 ? "" : "s");
	if (!q || !strcmp(q, "error_rate"))
		v = resp > 0 ? json_real(errs / resp) : json_null();
	else if (!strcmp(q, "success_rate"))
		v = resp > 0 ? json_real(1 - errs / resp) : json_null();
	else if (!strcmp(q, "errors"))
		v = json_real(errs);
	else if (!strcmp(q, "requests"))
		v = json_real(resp);
	else if (!strcmp(q, "request_rate"))
		v = cur && secs > 0 ? json_real(resp / secs) : json_null();
	else if (!strcmp(q, "latency_avg"))
		v = resp > 0 ? json_real(lat / resp) : json_null();
	else {
		json_decref(now);
		return an_haproxy_check(ctx, args, result, errmsg);
	}
	*result = json_pack("{so so ss}", "value", v, "cursor", now, "detail", detail);
	return PAVED_OK;
}
