/*
 * rollout.c -- deploy.driver.canary.run / status / promote / abort /
 * retry (see driver.c for what run does; control.c for the controller).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"

static const char *sv(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* SERVICE and ENV of ARGS, checked. */
static int svc_env(json_t *args, const char **svc, const char **env, char **errmsg)
{
	*svc = sv(args, "service"), *env = sv(args, "env");
	if (!*svc || !*env)
		return paved->error(errmsg, "arguments 'service' and 'env' are required");
	return PAVED_OK;
}

/* The replicas of SVC in ENV in traffic now ([{id, port, version}], new)
 * and the stable URL in *URL (malloc()ed, may be NULL). */
static json_t *in_traffic(paved_ctx *ctx, const char *svc, const char *env, char **url,
                          char **errmsg)
{
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *st = NULL, *e, *r;
	json_t *out = NULL;
	size_t i;
	*url = NULL;
	if (paved->call(ctx, "runtime.status", a, &st, errmsg) == PAVED_OK) {
		out = json_array();
		json_array_foreach(st, i, e) {
			if (strcmp(sv(e, "service") ?: "", svc) || strcmp(sv(e, "env") ?: "", env))
				continue;
			if (sv(e, "url"))
				*url = strdup(sv(e, "url"));
			size_t j;
			json_array_foreach(json_object_get(e, "replicas"), j, r)
				if (json_is_true(json_object_get(r, "enabled")))
					json_array_append_new(out, json_pack("{sO sO sO}", "id",
					                      json_object_get(r, "id"), "port",
					                      json_object_get(r, "port") ?: json_integer(0),
					                      "version", json_object_get(r, "version")));
		}
	}
	json_decref(a), json_decref(st);
	return out;
}

/* Abort the rollout of P (if active) with REASON and OUTCOME: all traffic
 * to stable at once, then the canary and baseline replicas go.  They go
 * here when HERE is true or no controller runs; else the controller
 * removes them (paved abort returns as soon as traffic is on stable).
 * *MS: how long the switch took. */
static int abort_rollout(paved_ctx *ctx, const struct cn_paths *p, const char *reason,
                         const char *outcome, bool here, double *ms, char **errmsg)
{
	int cfd = here ? cn_cleanup_lock(p) : -1;   /* before the controller can see it */
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	cn_unlock(fd);
	*ms = 0;
	if (!st || !cn_active(st) || json_is_true(json_object_get(st, "cleanup"))) {
		json_decref(st);
		if (here)   /* a clean-up left by a killed process */
			cn_cleanup(ctx, p, cfd, NULL);
		return PAVED_OK;
	}
	int rc = cn_to_stable(ctx, p, st, reason, ms, errmsg);
	json_decref(st);
	fd = cn_lock(p);
	st = cn_load(p);
	if (st && cn_active(st) && !json_is_true(json_object_get(st, "cleanup"))) {
		json_object_set_new(st, "phase", json_string(CN_DEGRADED));
		json_object_set_new(st, "outcome", json_string(outcome));
		json_object_set_new(st, "reason", json_string(reason));
		json_object_set_new(st, "cleanup", json_true());
		json_object_set_new(st, "weight", json_integer(0));
		json_object_set_new(st, "gen", json_integer(json_integer_value(json_object_get(st, "gen")) + 1));
		cn_note(st, rc ? "aborting: %s; the switch to stable failed" : "%s: all traffic on stable "
		        "in %.1f ms", reason, *ms);
		cn_save(p, st, NULL);
	}
	cn_unlock(fd);
	json_decref(st);
	if (here || !cn_controller_alive(p, NULL))
		cn_cleanup(ctx, p, cfd, NULL);
	else if (cfd >= 0)
		close(cfd);
	return rc;
}

/* Wait until no controller of P runs: it sees the rollout ended within
 * 100 ms, or once the measurement it takes returns.  After 5 s it gets a
 * SIGTERM (it stops at its next round), and 5 s more.  The pid of one
 * still running, or 0. */
static long controller_gone(const struct cn_paths *p)
{
	long pid = 0;
	for (int i = 0; i < 100 && cn_controller_alive(p, &pid); i++) {
		if (i == 50 && pid > 0)
			kill((pid_t)pid, SIGTERM);
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	return cn_controller_alive(p, &pid) ? pid : 0;
}

/* No stable replica: no canary; the N replicas of the release go in. */
static int straight_in(paved_ctx *ctx, json_t *args, json_t *release, int n, json_t **result,
                       char **errmsg)
{
	const char *svc = sv(args, "service"), *env = sv(args, "env");
	json_t *ids = json_array(), *w = json_object(), *x, *res = NULL;
	size_t i;
	int rc = cn_start(ctx, svc, env, release, n, ids, errmsg);
	json_array_foreach(ids, i, x)
		json_object_set_new(w, sv(x, "id"), json_integer(100));
	json_t *a = json_pack("{ss ss sO}", "service", svc, "env", env, "weights", w);
	if (!rc)
		rc = paved->call(ctx, "runtime.weights", a, &res, errmsg);
	if (rc)
		cn_remove(ctx, svc, env, ids);
	*result = rc ? json_pack("{ss ss}", "outcome", "failed", "reason", "nothing was in traffic "
	                         "before this deploy") :
	          json_pack("{ss si ss s[{sf ss}]}", "outcome", "success", "replicas", n, "reason",
	                    "nothing was in traffic: no canary, every replica went straight in",
	                    "steps", "seconds", 0.0, "step", "nothing in traffic: no canary; the "
	                    "replicas go straight in");
	json_decref(ids), json_decref(w), json_decref(a), json_decref(res);
	return rc;
}

int cn_h_run(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc, *env;
	if (svc_env(args, &svc, &env, errmsg))
		return PAVED_ERR;
	struct cn_paths p;
	json_t *spec = NULL, *warnings = json_array(), *stable = NULL, *st = NULL;
	char *url = NULL, *err = NULL;
	int rc = PAVED_ERR;
	int n = json_is_integer(json_object_get(args, "replicas")) ?
	        (int)json_integer_value(json_object_get(args, "replicas")) : 1;
	json_t *release = json_pack("{sO sO sO sO sO sO}", "version", json_object_get(args, "version"),
	                            "dir", json_object_get(args, "dir"), "argv",
	                            json_object_get(args, "argv"), "variables",
	                            json_object_get(args, "variables") ?: json_object(), "health",
	                            json_object_get(args, "health") ?: json_string("/health"),
	                            "health_timeout", json_object_get(args, "health_timeout") ?:
	                            json_real(30));
	if (cn_paths(ctx, svc, env, &p)) {
		paved->error(errmsg, "cannot make the rollout directory: %s", strerror(errno));
		goto done;
	}
	if (cn_normalise(ctx, args, &spec, warnings, errmsg))
		goto fail;
	/* a rollout still going for this service gives way to this one */
	double ms = 0;
	char *why = pc_printf("superseded by version %s", sv(args, "version"));
	int fd = cn_lock(&p);
	json_t *old = cn_load(&p);
	cn_unlock(fd);
	if (cn_active(old) && abort_rollout(ctx, &p, why, "aborted", true, &ms, &err))
		paved->log(ctx, PAVED_LOG_WARN, "superseding the rollout of %s: %s", sv(old, "version"),
		           err ? err : "?");
	free(why), free(err), err = NULL;
	json_decref(old);
	if (!(stable = in_traffic(ctx, svc, env, &url, errmsg)))
		goto fail;
	if (!json_array_size(stable)) {
		rc = straight_in(ctx, args, release, n, result, errmsg);
		goto done;
	}
	json_t *sr = json_object_get(args, "stable");
	if (json_is_true(json_object_get(spec, "baseline")) && !sr) {
		paved->error(errmsg, "the judge needs a baseline of the live release, and its release "
		             "directory is gone: deploy once without judge");
		goto fail;
	}
	const char *sver = sr ? sv(sr, "version") : sv(json_array_get(stable, 0), "version");
	json_t *ids = json_pack("{s[] s[] sO}", "canary", "baseline", "stable", stable);
	remove(p.abort);
	if (cn_start(ctx, svc, env, release, 1, json_object_get(ids, "canary"), errmsg)) {
		json_decref(ids);
		goto fail;
	}
	if (json_is_true(json_object_get(spec, "baseline"))) {
		json_t *b = json_deep_copy(sr);
		json_object_set(b, "health_timeout", json_object_get(release, "health_timeout"));
		int brc = cn_start(ctx, svc, env, b, 1, json_object_get(ids, "baseline"), errmsg);
		json_decref(b);
		if (brc) {
			cn_remove(ctx, svc, env, json_object_get(ids, "canary"));
			json_decref(ids);
			goto fail;
		}
	}
	double now = cn_now();
	st = json_pack("{sO sO sO sO ss sO sO* si sO ss si sf sf sf si so s[] si si s[]}",
	               "service", json_object_get(args, "service"), "env", json_object_get(args, "env"),
	               "id", json_object_get(args, "id") ?: json_string("?"),
	               "version", json_object_get(args, "version"), "stable_version", sver ? sver : "?",
	               "release", release, "stable", sr, "replicas", n, "spec", spec,
	               "phase", CN_PROGRESSING, "step", 0, "step_started", now, "started", now,
	               "weight", 0.0, "gen", 0, "ids", ids, "runs", "bg_runs", 0, "reported", 0,
	               "history");
	if (url)
		json_object_set_new(st, "url", json_string(url));
	size_t i;
	json_t *w;
	json_array_foreach(warnings, i, w)
		cn_note(st, "warning: %s", json_string_value(w));
	char *d = cn_describe(spec);
	cn_note(st, "canary: 1 replica of %s started and healthy beside %zu stable replica%s of %s%s; "
	        "steps %s", sv(args, "version"), json_array_size(stable),
	        json_array_size(stable) == 1 ? "" : "s", sver ? sver : "?",
	        json_is_true(json_object_get(spec, "baseline")) ? " (and 1 baseline replica of it)" : "",
	        d ? d : "");
	free(d);
	json_object_set_new(st, "reported", json_integer((json_int_t)json_array_size(
	                    json_object_get(st, "history"))));
	fd = cn_lock(&p);
	rc = cn_save(&p, st, errmsg);
	cn_unlock(fd);
	if (!rc)
		rc = cn_start_controller(ctx, svc, env, errmsg);
	if (rc) {
		cn_remove(ctx, svc, env, json_object_get(ids, "canary"));
		cn_remove(ctx, svc, env, json_object_get(ids, "baseline"));
		json_object_set_new(st, "phase", json_string(CN_DEGRADED));
		json_object_set_new(st, "outcome", json_string("rolled_back"));
		fd = cn_lock(&p);
		cn_save(&p, st, NULL);
		cn_unlock(fd);
		goto fail;
	}
	long pid = 0;
	cn_controller_alive(&p, &pid);
	char *reason = pc_printf("the canary runs beside version %s; the controller (pid %ld) takes "
	                         "it through %zu steps", sver ? sver : "?", pid,
	                         json_array_size(json_object_get(spec, "steps")));
	*result = json_pack("{ss ss si sO}", "outcome", "progressing", "reason", reason, "replicas",
	                    n, "steps", json_object_get(st, "history"));
	free(reason);
	goto done;
fail:
	rc = PAVED_ERR;
	*result = json_pack("{ss ss}", "outcome", "rolled_back", "reason",
	                    "the stable replicas never left traffic");
done:
	cn_paths_free(&p);
	json_decref(spec), json_decref(warnings), json_decref(stable), json_decref(st);
	json_decref(release);
	free(url);
	return rc;
}

json_t *cn_status(paved_ctx *ctx, const char *svc, const char *env)
{
	struct cn_paths p;
	if (cn_paths(ctx, svc, env, &p))
		return NULL;
	int fd = cn_lock(&p);
	json_t *st = cn_load(&p), *out = NULL;
	cn_unlock(fd);
	if (st) {
		long pid = 0;
		bool alive = cn_controller_alive(&p, &pid);
		json_t *spec = json_object_get(st, "spec");
		out = json_pack("{sO sO sO sO sO sO sO sO sO sO sO}", "service",
		                json_object_get(st, "service"), "env", json_object_get(st, "env"), "id",
		                json_object_get(st, "id"), "version", json_object_get(st, "version"),
		                "stable_version", json_object_get(st, "stable_version"), "phase",
		                json_object_get(st, "phase"), "step", json_object_get(st, "step"),
		                "weight", json_object_get(st, "weight"), "steps",
		                json_object_get(spec, "steps"), "ids", json_object_get(st, "ids"),
		                "history", json_object_get(st, "history"));
		static const char *const opt[] = { "outcome", "reason", "message", "step_started",
		                                   "started", "finished", "replicas", "url", NULL };
		for (size_t i = 0; opt[i]; i++)
			if (json_object_get(st, opt[i]) && !json_is_null(json_object_get(st, opt[i])))
				json_object_set(out, opt[i], json_object_get(st, opt[i]));
		/* for commands of other plugins that must wait for it (the deploy core) */
		json_t *steps = json_object_get(spec, "steps");
		json_int_t k = json_integer_value(json_object_get(st, "step"));
		char text[200] = "done";
		if (k < (json_int_t)json_array_size(steps))
			cn_step_text(json_array_get(steps, (size_t)k), text, sizeof text);
		json_object_set_new(out, "summary", json_sprintf("step %lld/%zu: %s (%s)",
		                    (long long)(k < (json_int_t)json_array_size(steps) ? k + 1 : k),
		                    json_array_size(steps), text, sv(st, "phase") ?: "?"));
		json_object_set_new(out, "commands", json_pack("[s+++++ s++++]", "paved promote ", svc,
		                    " --env ", env, " --full", "", "paved abort ", svc, " --env ", env, ""));
		json_object_set_new(out, "analysis", cn_verdicts(st, true));
		json_object_set_new(out, "controller", json_pack("{sb sI}", "running", alive, "pid",
		                                                 (json_int_t)pid));
		json_object_set_new(out, "now", json_real(cn_now()));
		json_t *w = cn_weights(st, json_number_value(json_object_get(st, "weight")), NULL);
		if (w && cn_active(st))
			json_object_set_new(out, "weights", w);
		else
			json_decref(w);
	}
	json_decref(st);
	cn_paths_free(&p);
	return out;
}

int cn_h_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc, *env;
	bool restarted = false;
	if (svc_env(args, &svc, &env, errmsg) || cn_ensure_controller(ctx, svc, env, &restarted,
	                                                               errmsg))
		return PAVED_ERR;
	*result = cn_status(ctx, svc, env);
	if (*result && restarted)
		json_object_set_new(*result, "resumed", json_true());
	return PAVED_OK;
}

/* The state of an active rollout under the lock *FD, or NULL with an
 * error naming what there is instead. */
static json_t *active_locked(const struct cn_paths *p, const char *svc, const char *env, int *fd,
                             char **errmsg)
{
	*fd = cn_lock(p);
	json_t *st = cn_load(p);
	if (cn_active(st) && !json_is_true(json_object_get(st, "cleanup")))
		return st;
	cn_unlock(*fd), *fd = -1;
	if (!st)
		paved->error(errmsg, "%s has no canary rollout in %s", svc, env);
	else
		paved->error(errmsg, "the rollout of %s version %s in %s is not in progress: it ended "
		             "%s (%s)", svc, sv(st, "version"), env, sv(st, "phase"),
		             sv(st, "reason") ? sv(st, "reason") : sv(st, "outcome") ?: "done");
	json_decref(st);
	return NULL;
}

int cn_h_promote(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc, *env;
	struct cn_paths p;
	int fd = -1, rc = PAVED_OK;
	if (svc_env(args, &svc, &env, errmsg) || cn_paths(ctx, svc, env, &p))
		return PAVED_ERR;
	bool full = json_is_true(json_object_get(args, "full")), restarted;
	json_t *st = active_locked(&p, svc, env, &fd, errmsg);
	if (!st) {
		cn_paths_free(&p);
		return PAVED_ERR;
	}
	json_t *steps = json_object_get(json_object_get(st, "spec"), "steps");
	json_int_t k = json_integer_value(json_object_get(st, "step"));
	json_t *step = json_array_get(steps, (size_t)k);
	const char *what;
	if (full) {
		json_object_set_new(st, "full", json_true());
		what = "promoted in full: to 100% now, the remaining steps and analysis skipped";
	} else if (!strcmp(sv(st, "phase"), CN_PAUSED) || json_object_get(step, "pause") ||
	           json_object_get(step, "analysis")) {
		/* a background run that stopped the rollout starts anew */
		const char *bg = sv(st, "bg_run");
		size_t i;
		json_t *r;
		json_array_foreach(json_object_get(st, "runs"), i, r)
			if (bg && !strcmp(sv(r, "name") ?: "", bg) && ca_completed(sv(r, "phase")) &&
			    strcmp(sv(r, "phase"), CA_SUCCESSFUL))
				json_object_del(st, "bg_run");
		if (step && !json_object_get(step, "setWeight")) {
			json_object_set_new(st, "step", json_integer(k + 1));
			json_object_set_new(st, "step_started", json_real(cn_now()));
		}
		what = "promoted: past the current step";
	} else {
		what = "promoted (nothing waited: the rollout goes on)";
	}
	json_object_set_new(st, "phase", json_string(CN_PROGRESSING));
	json_object_del(st, "message");
	json_object_set_new(st, "gen", json_integer(json_integer_value(json_object_get(st, "gen")) + 1));
	cn_note(st, "%s ('paved promote%s')", what, full ? " --full" : "");
	rc = cn_save(&p, st, errmsg);
	cn_unlock(fd);
	if (!rc)
		rc = cn_ensure_controller(ctx, svc, env, &restarted, errmsg);
	if (!rc)
		*result = json_pack("{ss sI}", "promoted", what, "step", (json_int_t)(full ? -1 : k));
	json_decref(st);
	cn_paths_free(&p);
	return rc;
}

/* abort {forget} with no rollout in progress (a deleted service whose
 * last rollout ended, or none ran): a clean-up a killed process left is
 * finished, the controller let go, and the state directory removed, with
 * the variables rollout.json keeps.  *RESULT stays NULL. */
static int forget_ended(paved_ctx *ctx, const struct cn_paths *p, const char *svc,
                        const char *env, char **errmsg)
{
	double ms = 0;
	int rc = abort_rollout(ctx, p, "the service was deleted", "aborted", true, &ms, errmsg);
	long pid = rc ? 0 : controller_gone(p);
	if (!rc && pid)
		rc = paved->error(errmsg, "the rollout state of %s in %s is kept: its controller (pid "
		                  "%ld) would not stop", svc, env, pid);
	else if (!rc)
		pc_rmtree(p->dir);
	return rc;
}

int cn_h_abort(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc, *env;
	struct cn_paths p;
	int fd = -1, rc;
	double ms = 0;
	if (svc_env(args, &svc, &env, errmsg) || cn_paths(ctx, svc, env, &p))
		return PAVED_ERR;
	bool wait = json_is_true(json_object_get(args, "wait"));
	bool forget = json_is_true(json_object_get(args, "forget"));
	char *none = NULL;
	json_t *st = active_locked(&p, svc, env, &fd, &none);
	cn_unlock(fd);
	if (!st && forget) {   /* nothing in progress: an ended rollout's state goes */
		rc = forget_ended(ctx, &p, svc, env, errmsg);
		free(none);
		cn_paths_free(&p);
		return rc;
	}
	if (!st) {
		*errmsg = none;
		cn_paths_free(&p);
		return PAVED_ERR;
	}
	const char *reason = sv(args, "reason") ?: "aborted by hand ('paved abort')";
	rc = abort_rollout(ctx, &p, reason, "aborted", wait || forget, &ms, errmsg);
	long pid = wait || forget ? controller_gone(&p) : 0;
	if (forget && !pid)   /* the service is deleted: its rollout with it */
		pc_rmtree(p.dir);
	if (!rc) {
		json_int_t k = json_integer_value(json_object_get(st, "step"));
		size_t n = json_array_size(json_object_get(json_object_get(st, "spec"), "steps"));
		*result = json_pack("{sb sf sO sO sO sI sI}", "aborted", 1, "ms", ms, "stable_version",
		                    json_object_get(st, "stable_version"), "version",
		                    json_object_get(st, "version"), "id", json_object_get(st, "id"),
		                    "step", k < (json_int_t)n ? k + 1 : (json_int_t)n, "steps", (json_int_t)n);
		if (wait || forget)   /* what is left: nothing, unless a controller would not stop */
			json_object_set_new(*result, "removed", json_pack("{sI sb}", "canary",
			                    (json_int_t)json_array_size(json_object_get(json_object_get(st,
			                    "ids"), "canary")), "controller_running", pid > 0));
	}
	json_decref(st);
	cn_paths_free(&p);
	return rc;
}

int cn_h_retry(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc, *env;
	struct cn_paths p;
	char *url = NULL;
	int rc = PAVED_ERR;
	if (svc_env(args, &svc, &env, errmsg) || cn_paths(ctx, svc, env, &p))
		return PAVED_ERR;
	int fd = cn_lock(&p);
	json_t *st = cn_load(&p), *live = NULL;
	const char *out = sv(st, "outcome");
	if (!st) {
		paved->error(errmsg, "%s has no canary rollout in %s", svc, env);
		goto done;
	}
	if (cn_active(st) || !out || (strcmp(out, "aborted") && strcmp(out, "rolled_back"))) {
		paved->error(errmsg, "the rollout of %s version %s in %s is %s: only an aborted or "
		             "rolled back rollout is retried", svc, sv(st, "version"), env,
		             cn_active(st) ? "in progress" : sv(st, "phase"));
		goto done;
	}
	/* the stable replicas it began with must still be what serves */
	if (!(live = in_traffic(ctx, svc, env, &url, errmsg)))
		goto done;
	size_t i, j;
	json_t *s, *l;
	json_array_foreach(json_object_get(json_object_get(st, "ids"), "stable"), i, s) {
		bool there = false;
		json_array_foreach(live, j, l)
			there = there || json_equal(json_object_get(l, "id"), json_object_get(s, "id"));
		if (!there) {
			paved->error(errmsg, "the stable replicas of version %s the rollout began with are "
			             "no longer all in traffic (another deploy ran since): deploy version "
			             "%s again instead", sv(st, "stable_version"), sv(st, "version"));
			goto done;
		}
	}
	remove(p.abort);
	json_object_set_new(st, "phase", json_string(CN_PROGRESSING));
	json_object_set_new(st, "step", json_integer(0));
	json_object_set_new(st, "step_started", json_real(cn_now()));
	json_object_set_new(st, "weight", json_integer(0));
	json_object_set_new(st, "runs", json_array());
	json_object_del(st, "bg_run");
	json_object_del(st, "step_run");
	json_object_del(st, "outcome");
	json_object_del(st, "reason");
	json_object_del(st, "message");
	json_object_del(st, "full");
	json_object_del(st, "finished");
	json_object_set_new(st, "gen", json_integer(json_integer_value(json_object_get(st, "gen")) + 1));
	cn_note(st, "retried ('paved retry'): from step 1");
	rc = cn_save(&p, st, errmsg);
	cn_unlock(fd), fd = -1;
	if (!rc) {
		cn_flush(ctx, &p, "progressing");
		rc = cn_start_controller(ctx, svc, env, errmsg);
	}
	if (!rc)
		*result = json_pack("{sb sO}", "retried", 1, "version", json_object_get(st, "version"));
done:
	cn_unlock(fd);
	json_decref(st), json_decref(live);
	free(url);
	cn_paths_free(&p);
	return rc;
}
