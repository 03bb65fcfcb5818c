/* plugin.c -- runtime_process: a service's replicas as supervised local
 * processes behind HAProxy.  Hooks (all args carry {service, env}):
 *   runtime.ensure  {}                      -> {port, url}   HAProxy frontend
 *   runtime.start   {version, dir, argv, env} -> {id, port, slot}  (not yet in traffic)
 *   runtime.wait    {id, timeout?, path?}   -> {healthy: true} or an error
 *   runtime.enable  {id, weight?}  runtime.disable {id}  runtime.remove {id}
 *   runtime.status  {service?, env?}        -> [{service, env, url, replicas: [...]}]
 *   runtime.stop    {service?, env?}        stop replicas (all, and HAProxy, without service)
 *   runtime.destroy {service, env}          stop and forget the frontend
 *   runtime.switch  {enable: [ids], disable: [ids], keep_seconds?}  one runtime-API line
 *   runtime.prune   {}                      remove out-of-traffic replicas past keep_until */
#include "runtime.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

PAVED_PLUGIN_INIT1;

#define ARGS_SE                                                                          \
	const char *svc = json_string_value(json_object_get(args, "service"));          \
	const char *env = json_string_value(json_object_get(args, "env"));              \
	if (!env)                                                                         \
		env = "dev";                                                              \
	if (!svc || !*svc || strchr(svc, '/') || strchr(env, '/'))                       \
		return paved->error(errmsg, "arguments 'service' and 'env' (strings) are required"); \
	const char *home = paved->home(ctx);                                                 \
	(void)data

static char *sdir_of(const char *home, const char *env, const char *svc)
{
	return pc_printf("%s/runtime/%s/%s", home, env, svc);
}

/* A port for WHAT: any free loopback port, or the first free one of the
 * option ports ("LO-HI") that no replica of SPEC holds.  0 with *ERRMSG. */
static int free_port(paved_ctx *ctx, json_t *spec, const char *what, char **errmsg)
{
	const char *r = json_string_value(paved->option(ctx, "ports"));
	int lo = 0, hi = 0;
	if (!r || !*r) {
		int p = ru_free_port();
		if (!p)
			paved->error(errmsg, "no free port on 127.0.0.1 for %s: %s", what, strerror(errno));
		return p;
	}
	int n = sscanf(r, "%d-%d", &lo, &hi);
	if (n == 1)
		hi = lo;
	if (n < 1 || lo < 1 || hi > 65535 || lo > hi) {
		paved->error(errmsg, "plugins.runtime_process.ports must be LO-HI (e.g. 20000-20999), not '%s'", r);
		return 0;
	}
	for (int p = lo; p <= hi; p++) {
		size_t i;
		json_t *x;
		int held = 0;
		json_array_foreach(json_object_get(spec, "replicas"), i, x)
			held |= json_integer_value(json_object_get(x, "port")) == p;
		if (!held && ru_port_free(p))
			return p;
	}
	paved->error(errmsg, "no free port for %s: every port of plugins.runtime_process.ports (%d-%d) "
	           "on 127.0.0.1 is in use; widen the range or stop what holds them", what, lo, hi);
	return 0;
}

static json_t *load_spec(const char *home, const char *env, const char *svc)
{
	char *p = pc_printf("%s/runtime/%s/%s/spec.json", home, env, svc);
	json_t *s = ru_read_json(p);
	free(p);
	if (!s)
		s = json_pack("{ss ss s[] si}", "service", svc, "env", env, "replicas", "next_id", 1);
	return s;
}

static int save_spec(const char *home, const char *env, const char *svc, json_t *spec)
{
	char *d = sdir_of(home, env, svc);
	pc_mkdir_p(d, 0755);
	char *p = pc_printf("%s/spec.json", d);
	int rc = ru_write_json(p, spec);
	free(p);
	free(d);
	return rc;
}

static json_t *replica(json_t *spec, const char *id, size_t *idx)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r)
		if (id && strcmp(json_string_value(json_object_get(r, "id")) ?: "", id) == 0) {
			if (idx)
				*idx = i;
			return r;
		}
	return NULL;
}

static int hcmd(const char *home, const char *env, const char *svc, json_t *r, const char *fmt)
{
	char *cmd = pc_printf(fmt, env, svc, (int)json_integer_value(json_object_get(r, "slot")),
	                   (int)json_integer_value(json_object_get(r, "port")));
	char *out = NULL;
	int rc = rt_haproxy_cmd(home, cmd, &out);
	if (out && *out && strncmp(out, "IP changed", 10) && strcmp(out, "\n") &&
	    !strstr(out, "no need to change"))
		rc = -1;
	free(cmd);
	free(out);
	return rc;
}

static int h_ensure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	ARGS_SE;
	char *svcp = rt_services_path(home);
	char *dir = pc_printf("%s/runtime/haproxy", home);
	pc_mkdir_p(dir, 0755);
	json_t *svcs = rt_services_load(home);
	char *key = pc_printf("%s/%s", env, svc), *msg = NULL;
	json_t *s = json_object_get(svcs, key);
	int port = (int)json_integer_value(json_object_get(s, "port"));
	int rc = PAVED_OK, changed = 0;
	char *pidf = pc_printf("%s/haproxy.pid", dir);
	if (!port) {
		port = free_port(ctx, NULL, key, errmsg);
		if (!port) {
			rc = PAVED_ERR;
			goto out;
		}
		json_object_set_new(svcs, key, json_pack("{ss ss si}", "service", svc, "env", env,
		                                         "port", port));
		ru_write_json(svcp, svcs);
		changed = 1;
	}
	if (changed || !ru_read_pid(pidf)) {
		if (rt_haproxy_sync(home, &msg)) {
			rc = paved->error(errmsg, "%s", msg);
			goto out;
		}
	}
	*result = json_pack("{si so}", "port", port, "url", json_sprintf("http://127.0.0.1:%d", port));
out:
	free(msg), free(pidf), free(key), free(dir), free(svcp);
	json_decref(svcs);
	return rc;
}

static int h_start(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	ARGS_SE;
	json_t *argv = json_object_get(args, "argv");
	if (!json_array_size(argv))
		return paved->error(errmsg, "argument 'argv' (a non-empty array) is required");
	json_t *spec = load_spec(home, env, svc);
	int used[RT_SLOTS] = { 0 }, slot = -1;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r) {
		int s = (int)json_integer_value(json_object_get(r, "slot"));
		if (s >= 0 && s < RT_SLOTS)
			used[s] = 1;
	}
	for (int s = 0; s < RT_SLOTS && slot < 0; s++)
		if (!used[s])
			slot = s;
	if (slot < 0) {
		json_decref(spec);
		return paved->error(errmsg, "%s/%s already runs %d replicas (the most it can)", env, svc, RT_SLOTS);
	}
	char *what = pc_printf("a replica of %s/%s", env, svc);
	int port = free_port(ctx, spec, what, errmsg);
	free(what);
	if (!port) {
		json_decref(spec);
		return PAVED_ERR;
	}
	int n = (int)json_integer_value(json_object_get(spec, "next_id"));
	char id[32];
	snprintf(id, sizeof id, "r%d", n ? n : 1);
	json_object_set_new(spec, "next_id", json_integer((n ? n : 1) + 1));
	json_t *env_o = json_object_get(args, "env_vars");
	r = json_pack("{ss si si ss sO sO sb si ss}", "id", id, "slot", slot, "port", port,
	              "version", json_string_value(json_object_get(args, "version")) ?: "unknown",
	              "argv", argv, "env", env_o ? env_o : json_object(), "enabled", 0,
	              "weight", 100, "dir", json_string_value(json_object_get(args, "dir")) ?: ".");
	json_array_append_new(json_object_get(spec, "replicas"), r);
	char *sd = sdir_of(home, env, svc), *ld = pc_printf("%s/logs/%s/%s", home, env, svc);
	int rc = save_spec(home, env, svc, spec) || rt_supervise(sd, ld);
	free(sd);
	free(ld);
	json_decref(spec);
	if (rc)
		return paved->error(errmsg, "cannot start the supervisor of %s/%s", env, svc);
	*result = json_pack("{ss si si}", "id", id, "port", port, "slot", slot);
	return PAVED_OK;
}

static json_t *load_state(const char *home, const char *env, const char *svc)
{
	char *p = pc_printf("%s/runtime/%s/%s/state.json", home, env, svc);
	json_t *s = ru_read_json(p);
	free(p);
	return s;
}

static int h_wait(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	ARGS_SE;
	const char *id = json_string_value(json_object_get(args, "id"));
	const char *path = json_string_value(json_object_get(args, "path")) ?: "/health";
	double timeout = json_number_value(json_object_get(args, "timeout"));
	if (timeout <= 0)
		timeout = 30;
	json_t *spec = load_spec(home, env, svc);
	json_t *r = replica(spec, id, NULL);
	int port = (int)json_integer_value(json_object_get(r, "port"));
	json_decref(spec);
	if (!r)
		return paved->error(errmsg, "no replica '%s' of %s/%s", id ? id : "", env, svc);
	double deadline = ru_now() + timeout;
	int code = -1, restarts = 0;
	while (ru_now() < deadline) {
		code = ru_http_get(port, path, 1000, NULL, 0);
		if (code >= 200 && code < 300) {
			*result = json_pack("{sb si}", "healthy", 1, "status", code);
			return PAVED_OK;
		}
		json_t *st = load_state(home, env, svc);
		restarts = (int)json_integer_value(json_object_get(
			json_object_get(json_object_get(st, "replicas"), id), "restarts"));
		json_decref(st);
		if (restarts >= 2)
			break;
		usleep(200000);
	}
	return paved->error(errmsg, "replica %s of %s/%s never became healthy (%s%s; last GET %s: %d; "
	                  "see %s/logs/%s/%s/%s.log)", id, env, svc,
	                  restarts ? "crashed, " : "", restarts >= 2 ? "restarted twice" : "timed out",
	                  path, code, home, env, svc, id);
}

static int set_enabled(paved_ctx *ctx, json_t *args, char **errmsg, int on, int remove)
{
	void *data = NULL;
	ARGS_SE;
	const char *id = json_string_value(json_object_get(args, "id"));
	json_t *spec = load_spec(home, env, svc);
	size_t idx;
	json_t *r = replica(spec, id, &idx);
	if (!r) {
		json_decref(spec);
		return paved->error(errmsg, "no replica '%s' of %s/%s", id ? id : "", env, svc);
	}
	int rc = 0;
	if (on) {
		json_t *w = json_object_get(args, "weight");
		if (json_is_integer(w))
			json_object_set(r, "weight", w);
		char *wcmd = pc_printf("set server be.%%s.%%s/s%%d weight %d",
		                    (int)json_integer_value(json_object_get(r, "weight")));
		rc = hcmd(home, env, svc, r, "set server be.%s.%s/s%d addr 127.0.0.1 port %d") ||
		     hcmd(home, env, svc, r, wcmd) ||
		     hcmd(home, env, svc, r, "set server be.%s.%s/s%d state ready");
		free(wcmd);
	} else {
		rc = hcmd(home, env, svc, r, "set server be.%s.%s/s%d state maint");
	}
	json_object_set_new(r, "enabled", json_boolean(on));
	if (remove)
		json_array_remove(json_object_get(spec, "replicas"), idx);
	save_spec(home, env, svc, spec);
	if (remove) {
		char *sd = sdir_of(home, env, svc), *ld = pc_printf("%s/logs/%s/%s", home, env, svc);
		rt_supervise(sd, ld);   /* signals it, or starts one that exits at once */
		free(sd), free(ld);
	}
	json_decref(spec);
	if (rc && on)
		return paved->error(errmsg, "HAProxy's runtime API refused to enable replica %s of %s/%s", id, env, svc);
	return PAVED_OK;
}

static int h_enable(paved_ctx *ctx, json_t *a, json_t **res, char **e, void *d)
{ (void)res, (void)d; return set_enabled(ctx, a, e, 1, 0); }
static int h_disable(paved_ctx *ctx, json_t *a, json_t **res, char **e, void *d)
{ (void)res, (void)d; return set_enabled(ctx, a, e, 0, 0); }
static int h_remove(paved_ctx *ctx, json_t *a, json_t **res, char **e, void *d)
{ (void)res, (void)d; return set_enabled(ctx, a, e, 0, 1); }

/* runtime.switch {enable: [ids], disable: [ids], keep_seconds?}: one line of
 * runtime-API commands (';'-separated, run back to back by HAProxy): the
 * enabled replicas enter traffic and the disabled ones leave it in the same
 * exchange.  Disabled replicas keep running, marked keep_until now+keep_seconds
 * (0: until removed), when runtime.prune removes them. */
static int h_switch(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	ARGS_SE;
	json_t *spec = load_spec(home, env, svc);
	double keep = json_number_value(json_object_get(args, "keep_seconds"));
	size_t len = 0, i;
	char *line = NULL;
	FILE *f = open_memstream(&line, &len);
	json_t *id = NULL;
	int bad = 0;
	const char *sep = "";
	json_array_foreach(json_object_get(args, "enable"), i, id) {
		json_t *r = replica(spec, json_string_value(id), NULL);
		if (!r) { bad = 1; break; }
		int slot = (int)json_integer_value(json_object_get(r, "slot"));
		fprintf(f, "%sset server be.%s.%s/s%d addr 127.0.0.1 port %d; "
		        "set server be.%s.%s/s%d weight %d; set server be.%s.%s/s%d state ready",
		        sep, env, svc, slot, (int)json_integer_value(json_object_get(r, "port")),
		        env, svc, slot, (int)json_integer_value(json_object_get(r, "weight")),
		        env, svc, slot);
		sep = "; ";
		json_object_set_new(r, "enabled", json_true());
		json_object_del(r, "keep_until");
	}
	json_array_foreach(json_object_get(args, "disable"), i, id) {
		json_t *r = replica(spec, json_string_value(id), NULL);
		if (!r || bad) { bad = 1; break; }
		fprintf(f, "%sset server be.%s.%s/s%d state maint", sep, env, svc,
		        (int)json_integer_value(json_object_get(r, "slot")));
		sep = "; ";
		json_object_set_new(r, "enabled", json_false());
		if (keep > 0)
			json_object_set_new(r, "keep_until", json_real(ru_now() + keep));
	}
	fclose(f);
	if (bad) {
		free(line);
		json_decref(spec);
		return paved->error(errmsg, "runtime.switch: no such replica '%s' of %s/%s",
		                  json_string_value(id) ?: "?", env, svc);
	}
	char *out = NULL;
	int rc = *line ? rt_haproxy_cmd(home, line, &out) : 0;
	if (out && (strstr(out, "No such") || strstr(out, "Unknown") || strstr(out, "denied") ||
	            strstr(out, "Require")))
		rc = -1;
	if (!rc)
		save_spec(home, env, svc, spec);
	json_decref(spec);
	if (rc) {
		int e = paved->error(errmsg, "HAProxy's runtime API refused the switch of %s/%s: %s",
		                   env, svc, out ? out : "no answer");
		free(out), free(line);
		return e;
	}
	free(out), free(line);
	*result = json_pack("{sb}", "switched", 1);
	return PAVED_OK;
}

/* runtime.prune {}: remove the replicas out of traffic whose keep_until passed. */
static int h_prune(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	ARGS_SE;
	json_t *spec = load_spec(home, env, svc), *gone = json_array();
	size_t i;
	json_t *r;
	double now = ru_now();
	json_array_foreach(json_object_get(spec, "replicas"), i, r) {
		double ku = json_number_value(json_object_get(r, "keep_until"));
		if (!json_is_true(json_object_get(r, "enabled")) && ku > 0 && ku < now)
			json_array_append(gone, json_object_get(r, "id"));
	}
	json_decref(spec);
	json_array_foreach(gone, i, r) {
		json_t *a = json_pack("{ss ss sO}", "service", svc, "env", env, "id", r);
		char *e = NULL;
		set_enabled(ctx, a, &e, 0, 1);
		free(e);
		json_decref(a);
	}
	*result = json_pack("{so}", "removed", gone);
	return PAVED_OK;
}

static json_t *status_one(const char *home, const char *env, const char *svc, json_t *svcs)
{
	json_t *spec = load_spec(home, env, svc), *st = load_state(home, env, svc);
	char *key = pc_printf("%s/%s", env, svc);
	int port = (int)json_integer_value(json_object_get(json_object_get(svcs, key), "port"));
	free(key);
	json_t *o = json_pack("{ss ss s[]}", "service", svc, "env", env, "replicas");
	if (port) {
		json_object_set_new(o, "port", json_integer(port));
		json_object_set_new(o, "url", json_sprintf("http://127.0.0.1:%d", port));
	}
	char *stats = NULL;
	if (port)
		rt_haproxy_cmd(home, "show stat", &stats);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		json_t *rs = json_object_get(json_object_get(st, "replicas"), id);
		int rport = (int)json_integer_value(json_object_get(r, "port"));
		int code = ru_http_get(rport, "/health", 1000, NULL, 0);
		json_t *x = json_pack("{ss ss si si sb si si ss sb}", "id", id,
			"version", json_string_value(json_object_get(r, "version")) ?: "",
			"port", rport, "pid", (int)json_integer_value(json_object_get(rs, "pid")),
			"enabled", json_is_true(json_object_get(r, "enabled")),
			"restarts", (int)json_integer_value(json_object_get(rs, "restarts")),
			"health_status", code, "status",
			json_string_value(json_object_get(rs, "status")) ?: "starting",
			"healthy", code >= 200 && code < 300);
		if (json_object_get(r, "keep_until"))
			json_object_set(x, "keep_until", json_object_get(r, "keep_until"));
		/* RED from HAProxy's stats: requests, 5xx, average response time */
		char name[160];
		snprintf(name, sizeof name, "be.%s.%s,s%d,", env, svc,
		         (int)json_integer_value(json_object_get(r, "slot")));
		char *line = stats ? strstr(stats, name) : NULL;
		if (line) {
			char *end = strchr(line, '\n'), *save = NULL;
			char *l = strndup(line, end ? (size_t)(end - line) : strlen(line));
			int col = 0;
			long req = 0, e5 = 0, rt = 0;
			for (char *f = l, *c; f; f = c, col++) {
				c = strchr(f, ',');
				if (c)
					*c++ = 0;
				if (col == 7) req = atol(f);          /* stot */
				if (col == 43) e5 = atol(f);          /* hrsp_5xx */
				if (col == 60) rt = atol(f);          /* rtime */
			}
			(void)save;
			free(l);
			json_object_set_new(x, "red", json_pack("{si si si}", "requests", (int)req,
			                    "errors_5xx", (int)e5, "avg_response_ms", (int)rt));
		}
		json_array_append_new(json_object_get(o, "replicas"), x);
	}
	free(stats);
	json_decref(spec);
	json_decref(st);
	return o;
}

/* Does registered service S match the optional "service" and "env" of
 * ARGS?  Sets *SV and *EN to its name and env. */
static bool wanted(json_t *s, json_t *args, const char **sv, const char **en)
{
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	*sv = json_string_value(json_object_get(s, "service"));
	*en = json_string_value(json_object_get(s, "env"));
	return !(svc && strcmp(svc, *sv)) && !(env && strcmp(env, *en));
}

static int h_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data, (void)errmsg;
	const char *home = paved->home(ctx), *sv, *en, *key;
	json_t *svcs = rt_services_load(home), *s;
	*result = json_array();
	json_object_foreach(svcs, key, s) {
		if (wanted(s, args, &sv, &en))
			json_array_append_new(*result, status_one(home, en, sv, svcs));
	}
	json_decref(svcs);
	return PAVED_OK;
}

static void stop_one(const char *home, const char *env, const char *svc)
{
	json_t *spec = load_spec(home, env, svc);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r)
		hcmd(home, env, svc, r, "set server be.%s.%s/s%d state maint");
	json_array_clear(json_object_get(spec, "replicas"));
	save_spec(home, env, svc, spec);
	json_decref(spec);
	char *pidf = pc_printf("%s/runtime/%s/%s/supervisor.pid", home, env, svc);
	pid_t p = ru_read_pid(pidf);
	if (p) {
		kill(p, SIGHUP);
		for (int k = 0; k < 150 && ru_pid_alive(p); k++)
			usleep(100000);
		if (ru_pid_alive(p))
			kill(p, SIGKILL);
	}
	free(pidf);
}

static int h_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data, (void)errmsg;
	const char *home = paved->home(ctx), *sv, *en, *key;
	json_t *svcs = rt_services_load(home), *s;
	*result = json_pack("{s[]}", "stopped");
	json_object_foreach(svcs, key, s) {
		if (!wanted(s, args, &sv, &en))
			continue;
		stop_one(home, en, sv);
		json_array_append_new(json_object_get(*result, "stopped"), json_string(key));
	}
	json_decref(svcs);
	if (!json_string_value(json_object_get(args, "service")))
		rt_haproxy_stop(home);
	return PAVED_OK;
}

static int h_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	ARGS_SE;
	(void)result;
	stop_one(home, env, svc);
	char *svcp = rt_services_path(home);
	json_t *svcs = rt_services_load(home);
	char *key = pc_printf("%s/%s", env, svc), *msg = NULL;
	int rc = PAVED_OK;
	if (json_object_get(svcs, key)) {
		json_object_del(svcs, key);
		ru_write_json(svcp, svcs);
		char *pidf = pc_printf("%s/runtime/haproxy/haproxy.pid", home);
		if (ru_read_pid(pidf) && rt_haproxy_sync(home, &msg))
			rc = paved->error(errmsg, "%s", msg);
		free(pidf);
	}
	free(msg), free(key), free(svcp);
	json_decref(svcs);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct { const char *hook; paved_fn fn; } hooks[] = {
		{ "runtime.ensure", h_ensure }, { "runtime.start", h_start },
		{ "runtime.wait", h_wait }, { "runtime.enable", h_enable },
		{ "runtime.disable", h_disable }, { "runtime.remove", h_remove },
		{ "runtime.status", h_status }, { "runtime.stop", h_stop },
		{ "runtime.destroy", h_destroy }, { "runtime.switch", h_switch },
		{ "runtime.prune", h_prune },
	};
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++)
		if (paved->provide(ctx, hooks[i].hook, hooks[i].fn, NULL, NULL, errmsg))
			return PAVED_ERR;
	return PAVED_OK;
}

static const struct paved_option options[] = {
	{ "ports", PAVED_OPT_STRING, "", "loopback ports to use, LO-HI (empty: any free port)" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(runtime_process, "0.1.0",
                     "service replicas as supervised local processes behind HAProxy",
                     init, NULL, options);
