/*
 * report.c -- the hooks that look at or end services (see runtime.h):
 * status, stop, destroy and logs.
 *
 * status reports what really runs: a replica is "running" only when its
 * recorded pid is alive and started when the supervisor recorded it; a
 * service with no such replica has running: false, and url is null
 * unless a running replica is in traffic behind a running HAProxy.  stop
 * empties the spec first (nothing restarts), takes the replicas out of
 * traffic, then stops and checks every process of the service (control.h).
 */
#include "runtime.h"
#include "control.h"
#include "haproxy.h"
#include "logfile.h"
#include "net.h"
#include "paths.h"
#include "pc.h"
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

PAVED_PLUGIN_INIT3;

/* One replica R of the spec as status reports it, from STATE and the
 * process table; SUP tells whether a supervisor runs.  Sets *RUNNING when
 * it runs and *SERVING when it runs in traffic. */
static json_t *replica_status(json_t *r, json_t *state, bool sup, bool *running, bool *serving)
{
	const char *id = json_string_value(json_object_get(r, "id")) ?: "";
	json_t *rs = json_object_get(json_object_get(state, "replicas"), id);
	int port = (int)json_integer_value(json_object_get(r, "port"));
	pid_t pid = rc_replica_pid(state, id);
	const char *st = pid ? "running" : !sup ? "stopped" :
	                 json_string_value(json_object_get(rs, "state")) ?: "starting";
	if (!pid && sup && !strcmp(st, "running"))
		st = "starting";   /* state.json lags behind a restart */
	json_t *o = json_pack("{ss sO si so sb si ss si}", "id", id,
	                      "version", json_object_get(r, "version") ?: json_string(""),
	                      "port", port, "address", json_sprintf("127.0.0.1:%d", port),
	                      "enabled", json_is_true(json_object_get(r, "enabled")),
	                      "weight", (int)json_integer_value(json_object_get(r, "weight")),
	                      "state", st,
	                      "restarts", (int)json_integer_value(json_object_get(rs, "restarts")));
	if (pid) {
		const char *path = json_string_value(json_object_get(r, "health")) ?: "/health";
		int code = rn_http_get(port, path, 1000);
		json_object_set_new(o, "pid", json_integer(pid));
		json_object_set_new(o, "healthy", json_boolean(code >= 200 && code < 300));
		if (json_is_string(json_object_get(rs, "started_at")))
			json_object_set(o, "started_at", json_object_get(rs, "started_at"));
		*running = true;
		*serving = *serving || json_is_true(json_object_get(r, "enabled"));
	} else {
		json_object_set_new(o, "healthy", json_null());
	}
	return o;
}

/* The status of ENV/SERVICE. */
static json_t *status_one(const char *home, const char *env, const char *svc)
{
	char *sdir = rd_service_dir(home, env, svc);
	json_t *spec = rs_peek(home, env, svc), *state = sdir ? rs_state(sdir) : json_object(), *r;
	bool sup = sdir && rc_supervisor(sdir), running = false, serving = false;
	int port = rh_port(home, env, svc);
	json_t *o = json_pack("{ss ss s[]}", "service", svc, "env", env, "replicas");
	size_t i;
	json_array_foreach(json_object_get(spec, "replicas"), i, r)
		json_array_append_new(json_object_get(o, "replicas"),
		                      replica_status(r, state, sup, &running, &serving));
	if (port)
		json_object_set_new(o, "port", json_integer(port));
	json_object_set_new(o, "running", json_boolean(running));
	/* a URL only where something answers: a replica in traffic, HAProxy up */
	json_object_set_new(o, "url", serving && port && rh_live(home) ?
	                    json_sprintf("http://127.0.0.1:%d", port) : json_null());
	json_decref(spec), json_decref(state);
	free(sdir);
	return o;
}

/* runtime.status {service?, env?} -> [{service, env, url, port, running,
 * replicas}]. */
int rq_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env, *home = paved->home(ctx);
	(void)data;
	if (rs_args(args, &svc, &env, true, errmsg))
		return PAVED_ERR;
	json_t *list = rs_list(home, svc, env), *pair;
	size_t i;
	*result = json_array();
	json_array_foreach(list, i, pair)
		json_array_append_new(*result, status_one(home, json_string_value(json_array_get(pair, 0)),
		                                          json_string_value(json_array_get(pair, 1))));
	json_decref(list);
	return PAVED_OK;
}

/* Stop ENV/SERVICE: empty its spec, take its slots out of traffic, stop
 * and check its processes.  *COUNT: how many processes there were. */
static int stop_one(paved_ctx *ctx, const char *env, const char *svc, int *count, char **errmsg)
{
	struct rs_svc s;
	*count = 0;
	if (rs_open_named(ctx, svc, env, false, &s, errmsg)) {
		/* a front door with no runtime dir: nothing runs */
		free(*errmsg);
		*errmsg = NULL;
		return PAVED_OK;
	}
	json_t *spec = rs_load(&s);
	json_array_clear(json_object_get(spec, "replicas"));
	int rc = rs_save(&s, spec, errmsg);
	if (rc == PAVED_OK) {
		char *e2 = NULL;
		/* out of traffic first; a failure here must not keep them running */
		if (rh_apply(ctx, spec, NULL, false, &e2) != PAVED_OK)
			paved->log(ctx, PAVED_LOG_WARN, "%s/%s: %s", env, svc, e2);
		free(e2);
		rc = rc_stop(ctx, &s, rv_option(ctx, "stop_grace", 1) * 1000, count, errmsg);
	}
	json_decref(spec);
	rs_close(&s);
	return rc;
}

/* runtime.stop {service?, env?, all?} -> {stopped, processes, services}:
 * the services stopped (each now runs nothing), how many processes were
 * stopped, and which services.  Without a service it stops nothing
 * unless all is true; all with no env also stops HAProxy. */
int rq_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	json_t *all = json_object_get(args, "all");
	(void)data;
	if (rs_args(args, &svc, &env, true, errmsg))
		return PAVED_ERR;
	if (all && !json_is_boolean(all))
		return paved->error(errmsg, "argument 'all' must be true or false");
	if (!svc && !json_is_true(all))
		return paved->error(errmsg, "name a 'service' to stop, or pass \"all\": true to stop "
		                    "every service%s; nothing was stopped", env ? " of the env" : "");
	json_t *list = rs_list(paved->home(ctx), svc, env), *pair, *names = json_array();
	if (svc && !json_array_size(list)) {
		json_decref(list), json_decref(names);
		return paved->error(errmsg, "no service %s%s%s in the process runtime; nothing was "
		                    "stopped", env ? env : "", env ? "/" : "", svc);
	}
	size_t i;
	int rc = PAVED_OK, total = 0;
	json_array_foreach(list, i, pair) {
		const char *e = json_string_value(json_array_get(pair, 0));
		const char *s = json_string_value(json_array_get(pair, 1));
		int n = 0;
		char *err = NULL;
		if (stop_one(ctx, e, s, &n, &err) != PAVED_OK) {
			if (rc == PAVED_OK)
				rc = paved->error(errmsg, "%s/%s: %s", e, s, err);
			free(err);
			continue;
		}
		total += n;
		json_array_append_new(names, json_sprintf("%s/%s", e, s));
	}
	if (rc == PAVED_OK && !svc && !env)
		rc = rh_stop(ctx, errmsg);
	*result = json_pack("{si si so}", "stopped", (int)json_array_size(names),
	                    "processes", total, "services", names);
	json_decref(list);
	return rc;
}

/* runtime.destroy {service, env}: stop it, remove its front door and its
 * runtime dir (spec, state, logs).  A service that is already gone is
 * fine. */
int rq_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	int n = 0;
	(void)data;
	if (rs_args(args, &svc, &env, false, errmsg) || stop_one(ctx, env, svc, &n, errmsg) ||
	    rh_forget(ctx, env, svc, errmsg))
		return PAVED_ERR;
	char *sdir = rd_service_dir(paved->home(ctx), env, svc);
	if (!sdir || pc_rmtree(sdir) != 0) {
		int rc = paved->error(errmsg, "cannot remove %s: %s", sdir ? sdir : "?", strerror(errno));
		free(sdir);
		return rc;
	}
	free(sdir);
	*result = json_pack("{si}", "processes", n);
	return PAVED_OK;
}

/* runtime.logs {service, env, since?, tail?, cursor?} -> {lines, cursor}:
 * the replicas' lines merged by time (logfile.h). */
int rq_logs(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	json_t *since = json_object_get(args, "since"), *tail = json_object_get(args, "tail");
	json_t *cursor = json_object_get(args, "cursor");
	(void)data;
	if (rs_args(args, &svc, &env, false, errmsg))
		return PAVED_ERR;
	if (since && (!json_is_number(since) || json_number_value(since) < 0))
		return paved->error(errmsg, "argument 'since' must be a number of seconds (>= 0)");
	if (tail && (!json_is_integer(tail) || json_integer_value(tail) < 0))
		return paved->error(errmsg, "argument 'tail' must be a whole number of lines (>= 0)");
	if (cursor && !json_is_string(cursor))
		return paved->error(errmsg, "argument 'cursor' must be the string a previous call "
		                    "returned");
	char *sdir = rd_service_dir(paved->home(ctx), env, svc), *logs = NULL;
	if (!sdir || !(logs = rd_file(sdir, "logs")) || access(sdir, F_OK) != 0) {
		free(sdir), free(logs);
		return paved->error(errmsg, "no service %s/%s in the process runtime", env, svc);
	}
	char *err = NULL;
	int rc = rl_collect(logs, since ? rl_now() - json_number_value(since) : 0,
	                    json_string_value(cursor), tail ? (long)json_integer_value(tail) : -1,
	                    result, &err);
	if (rc)
		rc = paved->error(errmsg, "%s", err ? err : "cannot read the logs");
	free(err), free(sdir), free(logs);
	return rc;
}
