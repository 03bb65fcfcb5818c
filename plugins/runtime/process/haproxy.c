/* haproxy.c -- HAProxy (Debian's haproxy) in front of every service.
 *
 * $PAVED_HOME/runtime/haproxy/ holds haproxy.cfg, admin.sock (the runtime
 * API, level admin), haproxy.pid, haproxy.log and services.json (the
 * stable port of each ENV/SERVICE).  Each service gets a frontend on its
 * port and a backend of RT_SLOTS server slots; a slot is a replica
 * (address, weight, ready or maint).  Replica changes go through the
 * runtime API without a reload; the config is rewritten from the specs so
 * a (re)start finds the same state.  Only adding or removing a service
 * reloads (haproxy -sf). */
#include "runtime.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

char *rt_services_path(const char *home)
{
	return pc_printf("%s/runtime/haproxy/services.json", home);
}

json_t *rt_services_load(const char *home)
{
	char *path = rt_services_path(home);
	json_t *svcs = path ? ru_read_json(path) : NULL;
	free(path);
	return svcs ? svcs : json_object();
}

static int write_cfg(const char *home, const char *cfg)
{
	json_t *svcs = rt_services_load(home);
	FILE *f = fopen(cfg, "w");
	if (!f) {
		json_decref(svcs);
		return -1;
	}
	fprintf(f, "# written by paved (runtime_process): do not edit\n"
	        "global\n  daemon\n  maxconn 4096\n"
	        "  pidfile %s/runtime/haproxy/haproxy.pid\n"
	        "  stats socket %s/runtime/haproxy/admin.sock mode 600 level admin\n"
	        "defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n"
	        "  timeout server 30s\n  retries 3\n  option redispatch\n"
	        "  option http-server-close\n\n", home, home);
	const char *key;
	json_t *s;
	json_object_foreach(svcs, key, s) {
		const char *svc = json_string_value(json_object_get(s, "service"));
		const char *env = json_string_value(json_object_get(s, "env"));
		char *specp = pc_printf("%s/runtime/%s/%s/spec.json", home, env, svc);
		json_t *spec = ru_read_json(specp);
		free(specp);
		fprintf(f, "frontend fe.%s.%s\n  bind 127.0.0.1:%d\n  default_backend be.%s.%s\n"
		        "backend be.%s.%s\n  balance roundrobin\n", env, svc,
		        (int)json_integer_value(json_object_get(s, "port")), env, svc, env, svc);
		for (int slot = 0; slot < RT_SLOTS; slot++) {
			json_t *r = NULL, *x;
			size_t i;
			json_array_foreach(json_object_get(spec, "replicas"), i, x)
				if (json_integer_value(json_object_get(x, "slot")) == slot)
					r = x;
			if (r)
				fprintf(f, "  server s%d 127.0.0.1:%d weight %d%s\n", slot,
				        (int)json_integer_value(json_object_get(r, "port")),
				        (int)json_integer_value(json_object_get(r, "weight")),
				        json_is_true(json_object_get(r, "enabled")) ? "" : " disabled");
			else
				fprintf(f, "  server s%d 127.0.0.1:9 disabled\n", slot);
		}
		fputc('\n', f);
		json_decref(spec);
	}
	json_decref(svcs);
	return fclose(f);
}

int rt_haproxy_sync(const char *home, char **msg)
{
	if (!ru_in_path("haproxy")) {
		*msg = strdup("HAProxy is missing: 'haproxy' is not in PATH; install the Debian "
		              "package 'haproxy' (apt-get install haproxy, or scripts/bootstrap)");
		return -1;
	}
	char *dir = pc_printf("%s/runtime/haproxy", home);
	char *cfg = pc_printf("%s/haproxy.cfg", dir), *pidf = pc_printf("%s/haproxy.pid", dir);
	char *log = pc_printf("%s/haproxy.log", dir);
	int rc = -1;
	pc_mkdir_p(dir, 0755);
	if (write_cfg(home, cfg)) {
		*msg = pc_printf("cannot write %s: %s", cfg, strerror(errno));
		goto out;
	}
	char *check[] = { "haproxy", "-c", "-q", "-f", cfg, NULL };
	if (ru_run(check, dir, log, NULL, 30)) {
		*msg = pc_printf("HAProxy refused its configuration %s (see %s)", cfg, log);
		goto out;
	}
	pid_t old = ru_read_pid(pidf);
	char oldpid[16];
	snprintf(oldpid, sizeof oldpid, "%d", (int)old);
	char *start[] = { "haproxy", "-f", cfg, "-p", pidf, old ? "-sf" : NULL, oldpid, NULL };
	int st = ru_run(start, dir, log, NULL, 30);
	if (st) {
		*msg = pc_printf("HAProxy did not start (exit %d; see %s)", st, log);
		goto out;
	}
	for (int i = 0; i < 100; i++) {
		pid_t p = ru_read_pid(pidf);
		if (p && p != old)
			break;
		usleep(20000);
	}
	rc = 0;
out:
	free(dir), free(cfg), free(pidf), free(log);
	return rc;
}

int rt_haproxy_cmd(const char *home, const char *cmd, char **out)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char *path = pc_printf("%s/runtime/haproxy/admin.sock", home);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	free(path);
	if (out)
		*out = NULL;
	for (int attempt = 0; attempt < 50; attempt++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0)
			return -1;
		if (connect(s, (struct sockaddr *)&a, sizeof a)) {
			close(s);
			usleep(50000);
			continue;
		}
		char *line = pc_printf("%s\n", cmd);
		ssize_t n = write(s, line, strlen(line));
		free(line);
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);
		ssize_t r;
		while (buf && (r = read(s, buf + len, cap - len - 1)) > 0) {
			len += r;
			if (len + 1 >= cap) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
		}
		close(s);
		if (buf)
			buf[len] = 0;
		if (out)
			*out = buf;
		else
			free(buf);
		return n > 0 ? 0 : -1;
	}
	return -1;
}

int rt_haproxy_stop(const char *home)
{
	char *pidf = pc_printf("%s/runtime/haproxy/haproxy.pid", home);
	pid_t p = ru_read_pid(pidf);
	if (p) {
		kill(p, SIGTERM);
		for (int i = 0; i < 100 && ru_pid_alive(p); i++)
			usleep(20000);
	}
	unlink(pidf);
	free(pidf);
	return 0;
}
