/*
 * verbs.c -- the hooks that change a service's replicas (see runtime.h):
 * ensure, start, wait, enable, disable, weights, remove and prune.
 *
 * Each takes the service's lock for its read-modify-write of spec.json,
 * then tells the supervisor (SIGHUP) or HAProxy (one runtime-API batch)
 * while still holding it, so two paved commands on one service never
 * interleave.  wait reads the spec under the lock and probes without it.
 */
#include "runtime.h"
#include "control.h"
#include "files.h"
#include "haproxy.h"
#include "logfile.h"
#include "net.h"
#include "paths.h"
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

PAVED_PLUGIN_INIT3;

long rv_option(paved_ctx *ctx, const char *name, long min)
{
	long v = (long)json_integer_value(paved->option(ctx, name));
	return v < min ? min : v;
}

/* runtime.ensure {service, env} -> {url, port}: the stable front door. */
int rv_ensure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	int port;
	(void)data;
	if (rs_args(args, &svc, &env, false, errmsg) || rh_ensure(ctx, env, svc, &port, errmsg))
		return PAVED_ERR;
	*result = json_pack("{so si}", "url", json_sprintf("http://127.0.0.1:%d", port),
	                    "port", port);
	return PAVED_OK;
}

/* A variable name: [A-Za-z_][A-Za-z0-9_]*. */
static bool var_name(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

/* Check start's version, argv, variables and health; *DIR is the real
 * path of its dir (malloc()ed). */
static int start_args(json_t *args, char **dir, char **errmsg)
{
	json_t *version = json_object_get(args, "version"), *argv = json_object_get(args, "argv");
	json_t *vars = json_object_get(args, "variables"), *health = json_object_get(args, "health");
	const char *d = json_string_value(json_object_get(args, "dir")), *k;
	json_t *v;
	size_t i;
	struct stat st;
	*dir = NULL;
	if (!json_is_string(version) || !json_string_length(version) ||
	    json_string_length(version) > 120)
		return paved->error(errmsg, "argument 'version' (a string of 1 to 120 characters) "
		                    "is required");
	if (!json_is_array(argv) || !json_array_size(argv))
		return paved->error(errmsg, "argument 'argv' (a non-empty array of strings) is required");
	json_array_foreach(argv, i, v)
		if (!json_is_string(v) || !json_string_length(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return paved->error(errmsg, "argv[%zu] must be a non-empty string without NUL", i);
	if (vars && !json_is_object(vars))
		return paved->error(errmsg, "argument 'variables' must be an object of strings");
	json_object_foreach(vars, k, v) {
		if (!var_name(k) || !strncmp(k, "PAVED_", 6))
			return paved->error(errmsg, "invalid variable name '%.60s': letters, digits and "
			                    "'_', not starting with a digit, and not PAVED_*", k);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return paved->error(errmsg, "variable %s must be a string without NUL", k);
	}
	if (health) {
		const char *h = json_string_value(health);
		if (!h || h[0] != '/' || strpbrk(h, " \t\r\n") || strlen(h) > 200)
			return paved->error(errmsg, "argument 'health' must be a path starting with '/' "
			                    "(no spaces), e.g. /health");
	}
	if (!d || !*d)
		return paved->error(errmsg, "argument 'dir' (the directory the replica runs in) "
		                    "is required");
	if (!(*dir = realpath(d, NULL)) || stat(*dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int rc = paved->error(errmsg, "argument 'dir': %s is not a directory%s%s", d,
		                      errno ? ": " : "", errno ? strerror(errno) : "");
		free(*dir);
		*dir = NULL;
		return rc;
	}
	return PAVED_OK;
}

/* runtime.start {service, env, version, dir, argv, variables?, health?}
 * -> {id, port, address}: a new replica, running, not in traffic. */
int rv_start(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	struct rs_svc s;
	char *dir = NULL, what[200];
	int plock = -1, rc;
	(void)data;
	if (start_args(args, &dir, errmsg) || rs_open(ctx, args, true, &s, errmsg)) {
		free(dir);
		return PAVED_ERR;
	}
	json_t *spec = rs_load(&s), *reps = json_object_get(spec, "replicas"), *r;
	bool used[RH_SLOTS] = { false };
	int slot = -1;
	size_t i;
	json_array_foreach(reps, i, r) {
		json_int_t k = json_integer_value(json_object_get(r, "slot"));
		if (k >= 0 && k < RH_SLOTS)
			used[k] = true;
	}
	for (int k = 0; k < RH_SLOTS && slot < 0; k++)
		if (!used[k])
			slot = k;
	if (slot < 0) {
		rc = paved->error(errmsg, "%s/%s already runs %d replicas, the most it can: remove "
		                  "one first", s.env, s.service, RH_SLOTS);
		goto out;
	}
	snprintf(what, sizeof what, "a replica of %s/%s", s.env, s.service);
	int port = rn_port(s.home, json_string_value(paved->option(ctx, "ports")), what, &plock,
	                   errmsg);
	if (!port) {
		rc = PAVED_ERR;
		goto out;
	}
	json_int_t n = json_integer_value(json_object_get(spec, "next_id"));
	char id[32], ts[32];
	snprintf(id, sizeof id, "r%lld", (long long)(n > 0 ? n : 1));
	rl_time(rl_now(), ts);
	json_object_set_new(spec, "next_id", json_integer((n > 0 ? n : 1) + 1));
	json_object_set_new(spec, "stop_grace", json_integer(rv_option(ctx, "stop_grace", 1)));
	json_object_set_new(spec, "logs", json_pack("{sI sI}",
	                    "max_bytes", (json_int_t)rv_option(ctx, "log_max_bytes", 4096),
	                    "keep", (json_int_t)rv_option(ctx, "log_keep", 1)));
	json_t *vars = json_object_get(args, "variables");
	r = json_pack("{ss si si sO ss sO so ss sb si ss}", "id", id, "slot", slot, "port", port,
	              "version", json_object_get(args, "version"), "dir", dir,
	              "argv", json_object_get(args, "argv"),
	              "variables", vars ? json_deep_copy(vars) : json_object(),
	              "health", json_string_value(json_object_get(args, "health")) ?: "/health",
	              "enabled", 0, "weight", 100, "created_at", ts);
	json_array_append_new(reps, r);
	rc = rs_save(&s, spec, errmsg);
	rf_unlock(plock);
	if (rc == PAVED_OK && (rc = rc_supervise(ctx, &s, errmsg)) != PAVED_OK) {
		/* nothing half-made: the replica leaves the spec again */
		char *e2 = NULL;
		json_array_remove(reps, json_array_size(reps) - 1);
		if (rs_save(&s, spec, &e2) == PAVED_OK && rc_supervisor(s.sdir))
			rc_supervise(ctx, &s, &e2);
		free(e2);
	}
	if (rc == PAVED_OK)
		*result = json_pack("{ss si so}", "id", id, "port", port,
		                    "address", json_sprintf("127.0.0.1:%d", port));
out:
	json_decref(spec);
	rs_close(&s);
	free(dir);
	return rc;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* runtime.wait {service, env, id, timeout?, path?} -> {healthy}: GET the
 * replica's health path until it answers 2xx; an error (with {healthy:
 * false}) at the timeout (default 30 s) or after its second restart. */
int rv_wait(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	struct rs_svc s;
	json_t *t = json_object_get(args, "timeout"), *p = json_object_get(args, "path");
	(void)data;
	if ((t && (!json_is_number(t) || json_number_value(t) <= 0 || json_number_value(t) > 3600)) ||
	    (p && (!json_is_string(p) || json_string_value(p)[0] != '/' ||
	           strpbrk(json_string_value(p), " \t\r\n"))))
		return paved->error(errmsg, "'timeout' must be seconds (0 to 3600] and 'path' a path "
		                    "starting with '/'");
	if (rs_open(ctx, args, false, &s, errmsg))
		return PAVED_ERR;
	json_t *spec = rs_load(&s), *r = rs_need_replica(&s, spec, args, NULL, errmsg);
	char id[64] = "", path[256] = "/health";
	int port = 0;
	if (r) {
		snprintf(id, sizeof id, "%s", json_string_value(json_object_get(r, "id")));
		snprintf(path, sizeof path, "%s", p ? json_string_value(p) :
		         json_string_value(json_object_get(r, "health")) ?: "/health");
		port = (int)json_integer_value(json_object_get(r, "port"));
	}
	json_decref(spec);
	rs_close(&s);
	if (!r)
		return PAVED_ERR;
	double timeout = t ? json_number_value(t) : 30, end = rl_now() + timeout;
	int code = -1, restarts = 0;
	char *sdir = rd_service_dir(paved->home(ctx), s.env, s.service);
	while (rl_now() < end) {
		code = rn_http_get(port, path, 1000);
		if (code >= 200 && code < 300) {
			*result = json_pack("{sb}", "healthy", 1);
			free(sdir);
			return PAVED_OK;
		}
		json_t *st = sdir ? rs_state(sdir) : NULL;
		restarts = (int)json_integer_value(json_object_get(json_object_get(
		           json_object_get(st, "replicas"), id), "restarts"));
		json_decref(st);
		if (restarts >= 2)
			break;
		nap_ms(100);
	}
	free(sdir);
	*result = json_pack("{sb}", "healthy", 0);
	char last[32];
	snprintf(last, sizeof last, code < 0 ? "no answer" : "HTTP %d", code);
	return paved->error(errmsg, "replica %s of %s/%s never became healthy (%s; last GET %s: "
	                    "%s); its output: paved call runtime.logs '{\"service\": \"%s\", "
	                    "\"env\": \"%s\"}'", id, s.env, s.service,
	                    restarts >= 2 ? "it crashed and was restarted twice" : "timed out",
	                    path, last, s.service, s.env);
}

/* Set replica R's traffic state: WEIGHT > 0 puts it in traffic with that
 * weight, 0 takes it out (kept until keep_seconds from now, for prune),
 * -1 puts it in traffic with its last weight. */
static void set_traffic(paved_ctx *ctx, json_t *r, int weight)
{
	if (weight != 0) {
		if (weight > 0)
			json_object_set_new(r, "weight", json_integer(weight));
		if (json_integer_value(json_object_get(r, "weight")) < 1)
			json_object_set_new(r, "weight", json_integer(100));
		json_object_set_new(r, "enabled", json_true());
		json_object_del(r, "keep_until");
	} else {
		json_object_set_new(r, "enabled", json_false());
		json_object_set_new(r, "keep_until",
		                    json_real(rl_now() + (double)rv_option(ctx, "keep_seconds", 0)));
	}
}

/* Apply CHANGES ({id: weight} as for set_traffic) to the service of ARGS:
 * save the spec, then one runtime-API batch; the spec goes back to what
 * it was when HAProxy refuses. */
static int traffic(paved_ctx *ctx, json_t *args, json_t *changes, char **errmsg)
{
	struct rs_svc s;
	if (rs_open(ctx, args, false, &s, errmsg))
		return PAVED_ERR;
	json_t *spec = rs_load(&s), *before = json_deep_copy(spec), *ids = json_array(), *w;
	const char *id;
	char buf[48];
	int rc = PAVED_OK;
	json_object_foreach(changes, id, w) {
		json_t *r = rs_replica(spec, id, NULL);
		if (!r) {
			snprintf(buf, sizeof buf, "%.40s", id);
			for (char *c = buf; *c; c++)
				if (!isprint((unsigned char)*c))
					*c = '?';
			rc = paved->error(errmsg, "no replica '%s' of %s/%s", buf, s.env, s.service);
			goto out;
		}
		set_traffic(ctx, r, (int)json_integer_value(w));
		json_array_append_new(ids, json_string(id));
	}
	if ((rc = rs_save(&s, spec, errmsg)) == PAVED_OK &&
	    (rc = rh_apply(ctx, spec, ids, true, errmsg)) != PAVED_OK) {
		char *e2 = NULL;
		rs_save(&s, before, &e2);
		free(e2);
	}
out:
	json_decref(ids), json_decref(before), json_decref(spec);
	rs_close(&s);
	return rc;
}

/* runtime.enable {service, env, id, weight?}: into traffic. */
int rv_enable(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *id = json_object_get(args, "id"), *w = json_object_get(args, "weight");
	(void)result, (void)data;
	if (!json_is_string(id))
		return paved->error(errmsg, "argument 'id' (a string, as runtime.start returned) is "
		                    "required");
	if (w && (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > 256))
		return paved->error(errmsg, "argument 'weight' must be a whole number from 1 to 256");
	json_t *changes = json_object();
	json_object_set_new(changes, json_string_value(id), json_integer(w ? json_integer_value(w) : -1));
	int rc = traffic(ctx, args, changes, errmsg);
	json_decref(changes);
	return rc;
}

/* runtime.disable {service, env, id}: out of traffic, still running. */
int rv_disable(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *id = json_object_get(args, "id");
	(void)result, (void)data;
	if (!json_is_string(id))
		return paved->error(errmsg, "argument 'id' (a string, as runtime.start returned) is "
		                    "required");
	json_t *changes = json_object();
	json_object_set_new(changes, json_string_value(id), json_integer(0));
	int rc = traffic(ctx, args, changes, errmsg);
	json_decref(changes);
	return rc;
}

/* runtime.weights {service, env, weights: {id: 0..256}}: one batch. */
int rv_weights(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *ws = json_object_get(args, "weights"), *w;
	const char *id;
	(void)result, (void)data;
	if (!json_is_object(ws) || !json_object_size(ws))
		return paved->error(errmsg, "argument 'weights' must be an object {replica id: "
		                    "weight 0..256} naming at least one replica");
	json_object_foreach(ws, id, w)
		if (!json_is_integer(w) || json_integer_value(w) < 0 || json_integer_value(w) > 256)
			return paved->error(errmsg, "the weight of %.40s must be a whole number from 0 "
			                    "(out of traffic) to 256", id);
	return traffic(ctx, args, ws, errmsg);
}

/* Remove replica ID from S's spec (SPEC, loaded under the lock), take it
 * out of traffic, let the supervisor stop it and check that it is gone. */
static int remove_locked(paved_ctx *ctx, struct rs_svc *s, json_t *spec, const char *id,
                         char **errmsg)
{
	size_t idx;
	json_t *state = rs_state(s->sdir);
	pid_t pid = rc_replica_pid(state, id);
	json_decref(state);
	if (!rs_replica(spec, id, &idx))
		return PAVED_OK;
	json_t *gone = json_incref(json_array_get(json_object_get(spec, "replicas"), idx));
	json_object_set_new(gone, "enabled", json_false());
	json_t *one = json_pack("{sO ss s[O]}", "env", json_object_get(spec, "env"),
	                        "service", s->service, "replicas", gone);
	json_t *ids = json_pack("[s]", id);
	json_array_remove(json_object_get(spec, "replicas"), idx);
	int rc = rh_apply(ctx, one, ids, false, errmsg);
	if (rc == PAVED_OK && (rc = rs_save(s, spec, errmsg)) == PAVED_OK) {
		pid_t sup = rc_supervisor(s->sdir);
		if (sup)
			kill(sup, SIGHUP);
		rc = rc_reap_replica(s, pid, rv_option(ctx, "stop_grace", 1) * 1000, errmsg);
	}
	json_decref(gone), json_decref(one), json_decref(ids);
	return rc;
}

/* runtime.remove {service, env, id}: stop a replica and forget it. */
int rv_remove(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	struct rs_svc s;
	(void)data;
	if (rs_open(ctx, args, false, &s, errmsg))
		return PAVED_ERR;
	json_t *spec = rs_load(&s), *r = rs_need_replica(&s, spec, args, NULL, errmsg);
	int rc = r ? remove_locked(ctx, &s, spec, json_string_value(json_object_get(args, "id")),
	                           errmsg) : PAVED_ERR;
	if (rc == PAVED_OK)
		*result = json_pack("{sO}", "removed", json_object_get(args, "id"));
	json_decref(spec);
	rs_close(&s);
	return rc;
}

/* runtime.prune {service?, env?} -> {removed: ["ENV/SERVICE/ID"]}: remove
 * the replicas out of traffic whose keep time (keep_seconds after they
 * left traffic) has passed. */
int rv_prune(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	(void)data;
	if (rs_args(args, &svc, &env, true, errmsg))
		return PAVED_ERR;
	json_t *list = rs_list(paved->home(ctx), svc, env), *pair, *removed = json_array();
	size_t i;
	int rc = PAVED_OK;
	json_array_foreach(list, i, pair) {
		struct rs_svc s;
		if (rs_open_named(ctx, json_string_value(json_array_get(pair, 1)),
		                  json_string_value(json_array_get(pair, 0)), false, &s, errmsg)) {
			/* a front door with no runtime dir has no replica to prune */
			free(*errmsg);
			*errmsg = NULL;
			continue;
		}
		json_t *spec = rs_load(&s), *old = json_array(), *r;
		size_t k;
		double now = rl_now();
		json_array_foreach(json_object_get(spec, "replicas"), k, r) {
			double until = json_number_value(json_object_get(r, "keep_until"));
			if (!json_is_true(json_object_get(r, "enabled")) && until > 0 && until < now)
				json_array_append(old, json_object_get(r, "id"));
		}
		json_array_foreach(old, k, r) {
			if (rc == PAVED_OK &&
			    (rc = remove_locked(ctx, &s, spec, json_string_value(r), errmsg)) == PAVED_OK)
				json_array_append_new(removed, json_sprintf("%s/%s/%s", s.env, s.service,
				                                            json_string_value(r)));
		}
		json_decref(old), json_decref(spec);
		rs_close(&s);
	}
	json_decref(list);
	*result = json_pack("{so}", "removed", removed);
	return rc;
}
