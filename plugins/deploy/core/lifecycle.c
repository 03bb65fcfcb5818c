/*
 * lifecycle.c -- what happens to a service after a deploy: rollback,
 * restart, scale, stop, and the undo of a deploy (deploy.destroy).  Each
 * runs under the service's lock for the env and ends by pointing the
 * scrape targets at what runs.
 *
 * rollback  the previous successful release (or --to VERSION) is deployed
 *           again from its kept release directory: no checkout, no build.
 *           When replicas of that version are still up out of traffic (the
 *           colour blue-green keeps), the bluegreen driver switches back to
 *           them at once; otherwise the release's own strategy rolls it out.
 *           A new record with trigger "rollback".
 * restart   every replica of the live release is replaced, one at a time
 *           (the rolling driver with max_surge 1, max_unavailable 0).  A new
 *           record with trigger "restart".
 * scale     replicas of the live release are added or removed, as kubectl
 *           scale does: the next deploy goes back to platform.yaml's replicas.
 * stop      runtime.stop: no replica left, no scrape target.
 *
 * While a rollout is in progress (a canary: a record "progressing" whose
 * strategy's deploy.status says Progressing or Paused), rollback aborts it
 * (all traffic to stable at once, its replicas and controller gone), as do
 * stop, delete and deploy.destroy; restart and scale are refused, naming
 * its step and the commands that end it.  A rollback to an earlier release
 * of a progressive strategy skips its steps and analysis (bluegreen: every
 * replica at once, one switch), as Argo Rollouts' rollbackWindow does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

json_t *dc_envs(paved_ctx *ctx, const char *svc)
{
	json_t *envs = json_object(), *ix = dc_index_get(ctx, svc), *recs = dc_records(ctx, svc, NULL);
	json_t *a = json_pack("{ss}", "service", svc), *st = NULL, *e, *out = json_array();
	const char *k;
	size_t i;
	json_object_foreach(json_object_get(ix, "envs"), k, e)
		json_object_set_new(envs, k, json_true());
	json_array_foreach(recs, i, e)
		json_object_set_new(envs, json_string_value(json_object_get(e, "env")), json_true());
	if (paved->call(ctx, "runtime.status", a, &st, NULL) == PAVED_OK)
		json_array_foreach(st, i, e)
			if (json_is_string(json_object_get(e, "env")) &&
			    !strcmp(json_string_value(json_object_get(e, "service")) ?: "", svc))
				json_object_set_new(envs, json_string_value(json_object_get(e, "env")), json_true());
	json_object_foreach(envs, k, e)
		json_array_append_new(out, json_string(k));
	json_decref(envs), json_decref(ix), json_decref(recs), json_decref(a), json_decref(st);
	return out;
}

/* The release to roll back to: the newest successful one whose commit is
 * not the live one's, or, with TO, the newest successful one whose version
 * or sha starts with TO.  New reference, or NULL with *ERRMSG. */
static json_t *target(paved_ctx *ctx, const char *svc, const char *env, const char *to, json_t *cur,
                      char **errmsg)
{
	json_t *recs = dc_records(ctx, svc, env), *r, *pick = NULL;
	const char *live = json_string_value(json_object_get(cur, "sha"));
	for (size_t i = json_array_size(recs); i-- > 0 && !pick; ) {
		r = json_array_get(recs, i);
		const char *sha = json_string_value(json_object_get(r, "sha"));
		if (!sha || strcmp(json_string_value(json_object_get(r, "outcome")) ?: "", "success"))
			continue;
		if (to ? !strncmp(sha, to, strlen(to)) : !live || strcmp(sha, live))
			pick = json_incref(r);
	}
	json_decref(recs);
	if (!pick && to)
		paved->error(errmsg, "no successful release of %s (%s) is version '%s'; see 'paved "
		             "releases %s --env %s'", svc, env, to, svc, env);
	else if (!pick)
		paved->error(errmsg, "%s (%s) has no earlier successful release: nothing to roll back "
		             "to", svc, env);
	else if (to && live && !strcmp(live, json_string_value(json_object_get(pick, "sha")))) {
		paved->error(errmsg, "version %s is the live release of %s (%s) already",
		             json_string_value(json_object_get(pick, "version")), svc, env);
		json_decref(pick), pick = NULL;
	}
	return pick;
}

/* Is SVC known and deployed in ENV?  An error naming what is missing. */
static int deployed(paved_ctx *ctx, const char *svc, const char *env, json_t **cur, char **errmsg)
{
	*cur = NULL;
	if (!dc_service_exists(ctx, svc))
		return paved->error(errmsg, "no service '%s'", svc);
	json_t *recs = dc_records(ctx, svc, env);
	size_t n = json_array_size(recs);
	json_decref(recs);
	*cur = dc_current(ctx, svc, env);
	if (!n || !*cur)
		return paved->error(errmsg, "%s has no live release in %s: deploy it first ('paved "
		                    "deploy %s --env %s')", svc, env, svc, env);
	return PAVED_OK;
}

/* Does TO name the live release CUR (a prefix of its sha)? */
static bool names_live(json_t *cur, const char *to)
{
	const char *sha = json_string_value(json_object_get(cur, "sha"));
	return to && sha && !strncmp(sha, to, strlen(to));
}

/* A rollback while a rollout is in progress (a canary): it is aborted
 * first, all traffic back to the stable release at once, as Argo Rollouts
 * does when a Rollout goes back to its stable ReplicaSet mid-update: no
 * steps, no analysis.  Before the service's lock: the rollout's controller
 * reports its end to the record under it.  With TO naming an earlier
 * release, *PICK (new) is checked before anything changes, and the caller
 * goes on to it; else *RESULT (new) says what was done. */
static int rollback_inflight(paved_ctx *ctx, const char *svc, const char *env, const char *to,
                             json_t *fl, json_t **ended, json_t **pick, json_t **result,
                             char **errmsg)
{
	json_t *cur = dc_current(ctx, svc, env);
	double t0 = pc_now();
	int rc = PAVED_OK;
	*pick = NULL;
	if (to && !names_live(cur, to) && !(*pick = target(ctx, svc, env, to, cur, errmsg))) {
		json_decref(cur);
		return PAVED_ERR;   /* nothing changed: the rollout goes on */
	}
	char *reason = pc_printf("rolled back ('paved rollback'): version %s aborted at %s; %s",
	                         json_string_value(json_object_get(fl, "version")),
	                         json_string_value(json_object_get(fl, "summary")) ?: "its step",
	                         *pick ? "going back to an earlier release" : "the stable release serves");
	if ((rc = dc_end_rollout(ctx, svc, env, fl, reason, false, ended, errmsg))) {
		json_decref(*pick), *pick = NULL;
	} else if (!*pick) {
		*result = json_pack("{ss ss sO sO ss ss sO sf}", "service", svc, "env", env, "version",
		                    json_object_get(cur, "version") ?: json_null(), "from_version",
		                    json_object_get(fl, "version"), "outcome", "aborted", "how",
		                    "abort of the rollout in progress: all traffic to stable at once, no "
		                    "steps, no analysis", "aborted", *ended, "seconds", pc_now() - t0);
		json_object_set(*result, "url", json_object_get(cur, "url"));
	}
	free(reason);
	json_decref(cur);
	return rc;
}

/* The strategy with steps (canary) of the service now (the live release
 * CUR's platform.yaml: a restart's record says rolling) or of the release
 * PICK goes back to, or NULL when neither has one.  malloc()ed. */
static char *progressive_of(paved_ctx *ctx, const char *env, json_t *cur, json_t *pick)
{
	json_t *recs[] = { cur, pick };
	char *out = NULL;
	for (int i = 0; i < 2 && !out; i++) {
		struct dc_config c = { 0 };
		const char *svc = json_string_value(json_object_get(recs[i], "service"));
		const char *rel = json_string_value(json_object_get(recs[i], "release"));
		char *err = NULL;
		const char *s = rel && !dc_config_read(ctx, rel, svc, env, &c, &err) && c.strategy ?
		                c.strategy : json_string_value(json_object_get(recs[i], "strategy"));
		if (s && dc_progressive(ctx, svc, env, s))
			out = strdup(s);
		dc_config_free(&c);
		free(err);
	}
	return out;
}

int dc_rollback(paved_ctx *ctx, const char *svc, const char *env, const char *to,
                json_t **result, char **errmsg)
{
	json_t *cur = NULL, *pick = NULL, *fl = NULL, *ended = NULL;
	int fd = -1, rc = PAVED_OK;
	if (dc_service_exists(ctx, svc) && (fl = dc_inflight(ctx, svc, env))) {
		rc = rollback_inflight(ctx, svc, env, to, fl, &ended, &pick, result, errmsg);
		json_decref(pick), pick = NULL;   /* chosen again under the lock */
		if (rc || *result)
			goto out;
	}
	if ((rc = dc_lock(ctx, svc, env, &fd, errmsg)))
		goto out;
	if (!(rc = deployed(ctx, svc, env, &cur, errmsg)) &&
	    !(pick = target(ctx, svc, env, to, cur, errmsg)))
		rc = PAVED_ERR;
	if (!rc) {
		/* replicas of that version still up out of traffic: switch back to them */
		const char *v = json_string_value(json_object_get(pick, "version"));
		json_t *e = dc_runtime_entry(ctx, svc, env, NULL), *r;
		size_t i;
		bool kept = false;
		json_array_foreach(json_object_get(e, "replicas"), i, r)
			kept = kept || (!json_is_true(json_object_get(r, "enabled")) &&
			                json_is_true(json_object_get(r, "healthy")) &&
			                !strcmp(json_string_value(json_object_get(r, "version")) ?: "", v));
		json_decref(e);
		/* a progressive strategy's steps are not run again: rollback is the
		 * emergency path (Argo Rollouts' rollbackWindow): every replica of the
		 * release starts at once and traffic switches in one batch */
		char *was = kept ? NULL : progressive_of(ctx, env, cur, pick);
		bool direct = was != NULL;
		rc = dc_redeploy(ctx, pick, "rollback", kept || direct ? "bluegreen" : NULL, NULL, result,
		                 errmsg);
		if (*result)
			json_object_set_new(*result, "how", kept ? json_string("instant switch to the "
			                    "replicas kept out of traffic") : direct ? json_sprintf("direct: "
			                    "the %s steps and analysis skipped, every replica at once, one "
			                    "switch (no rebuild)", was) : json_string("redeploy of the kept "
			                    "release, no rebuild"));
		if (*result)
			json_object_set(*result, "from_version", json_object_get(cur, "version"));
		if (*result && ended)
			json_object_set(*result, "aborted", ended);
		free(was);
	}
	dc_unlock(fd);
out:
	json_decref(cur), json_decref(pick), json_decref(fl), json_decref(ended);
	return rc;
}

int dc_restart(paved_ctx *ctx, const char *svc, const char *env, json_t **result, char **errmsg)
{
	json_t *cur = NULL;
	int fd = -1, rc;
	if ((rc = dc_lock(ctx, svc, env, &fd, errmsg)))
		return rc;
	if (!(rc = deployed(ctx, svc, env, &cur, errmsg)) &&
	    !(rc = dc_refuse_inflight(ctx, svc, env, "restart", result, errmsg))) {
		json_t *e = dc_runtime_entry(ctx, svc, env, NULL);
		struct dc_counts n = dc_count(e, NULL);
		json_decref(e);
		if (n.in == 0) {
			rc = paved->error(errmsg, "%s (%s) is stopped: nothing to restart ('paved deploy %s "
			                  "--env %s' starts it)", svc, env, svc, env);
		} else {
			json_t *over = json_pack("{si s{si si}}", "replicas", n.in, "config", "max_surge", 1,
			                         "max_unavailable", 0);
			rc = dc_redeploy(ctx, cur, "restart", "rolling", over, result, errmsg);
			json_decref(over);
		}
	}
	dc_unlock(fd);
	json_decref(cur);
	return rc;
}

/* Start one replica of release CUR with ARGV, VARS; wait; put it in
 * traffic.  *ID (new) is its id, also on failure once it started. */
static int add_replica(paved_ctx *ctx, json_t *cur, struct dc_config *c, json_t *vars, json_t **id,
                       char **errmsg)
{
	const char *svc = json_string_value(json_object_get(cur, "service"));
	const char *env = json_string_value(json_object_get(cur, "env"));
	json_t *a = json_pack("{ss ss sO sO sO sO ss}", "service", svc, "env", env, "version",
	                      json_object_get(cur, "version"), "dir", json_object_get(cur, "release"),
	                      "argv", c->argv, "variables", vars, "health", c->health), *res = NULL;
	json_t *t = paved->option(ctx, "health_timeout");
	int rc = paved->call(ctx, "runtime.start", a, &res, errmsg);
	json_decref(a);
	*id = rc ? NULL : json_incref(json_object_get(res, "id"));
	json_decref(res), res = NULL;
	if (rc)
		return rc;
	a = json_pack("{ss ss sO sf ss}", "service", svc, "env", env, "id", *id, "timeout",
	              json_is_integer(t) ? (double)json_integer_value(t) : 30.0, "path", c->health);
	rc = paved->call(ctx, "runtime.wait", a, &res, errmsg);
	json_decref(res), res = NULL;
	json_object_del(a, "timeout"), json_object_del(a, "path");
	if (!rc)
		rc = paved->call(ctx, "runtime.enable", a, &res, errmsg);
	json_decref(res), json_decref(a);
	return rc;
}

/* Remove replica ID of SVC in ENV (out of traffic first). */
static int drop_replica(paved_ctx *ctx, const char *svc, const char *env, json_t *id, char **errmsg)
{
	json_t *a = json_pack("{ss ss sO}", "service", svc, "env", env, "id", id), *res = NULL;
	int rc = paved->call(ctx, "runtime.disable", a, &res, errmsg);
	json_decref(res), res = NULL;
	if (!rc)
		rc = paved->call(ctx, "runtime.remove", a, &res, errmsg);
	json_decref(res), json_decref(a);
	return rc;
}

int dc_scale(paved_ctx *ctx, const char *svc, const char *env, int want, json_t **result,
             char **errmsg)
{
	json_t *cur = NULL, *e = NULL, *vars = NULL, *added = json_array(), *removed = json_array();
	struct dc_config c = { 0 };
	char name[300];
	int fd = -1, rc;
	if ((rc = dc_lock(ctx, svc, env, &fd, errmsg)))
		goto out;
	if ((rc = deployed(ctx, svc, env, &cur, errmsg)) ||
	    (rc = dc_refuse_inflight(ctx, svc, env, "scale", result, errmsg)))
		goto out;
	const char *version = json_string_value(json_object_get(cur, "version"));
	e = dc_runtime_entry(ctx, svc, env, NULL);
	json_t *in = json_array(), *r;
	size_t i;
	json_array_foreach(json_object_get(e, "replicas"), i, r)
		if (json_is_true(json_object_get(r, "enabled")))
			json_array_append(in, json_object_get(r, "id"));
	int have = (int)json_array_size(in);
	if (have == 0) {
		json_decref(in);
		rc = paved->error(errmsg, "%s (%s) is stopped: 'paved deploy %s --env %s' starts it", svc,
		                  env, svc, env);
		goto out;
	}
	snprintf(name, sizeof name, "%s version %s", svc, version);
	if (want > have &&
	    ((rc = dc_config_read(ctx, json_string_value(json_object_get(cur, "release")), name, env,
	                          &c, errmsg)) ||
	     (rc = dc_variables(ctx, svc, env, &c, name, &vars, errmsg)))) {
		json_decref(in);
		goto out;
	}
	for (int k = have; k < want && !rc; k++) {
		json_t *id = NULL;
		rc = add_replica(ctx, cur, &c, vars, &id, errmsg);
		if (id)
			json_array_append_new(added, id);
	}
	if (rc) {   /* all or nothing: the replicas this scale added go */
		json_array_foreach(added, i, r) {
			char *e2 = NULL;
			drop_replica(ctx, svc, env, r, &e2);
			free(e2);
		}
		json_array_clear(added);
	}
	for (int k = have - 1; !rc && k >= want; k--) {   /* the newest leave first */
		json_t *id = json_array_get(in, (size_t)k);
		if (!(rc = drop_replica(ctx, svc, env, id, errmsg)))
			json_array_append(removed, id);
	}
	json_decref(in);
	dc_sync_targets(ctx, svc, env);
	if (!rc) {
		char now[32];
		dc_now_iso(now);
		json_object_set_new(cur, "scaled_to", json_integer(want));
		json_object_set_new(cur, "scaled_at", json_string(now));
		rc = dc_record_put(ctx, cur, errmsg);
		json_t *ev = json_pack("{ss ss sO ss si si}", "service", svc, "env", env, "version",
		                       json_object_get(cur, "version"), "step", "scale", "from", have,
		                       "to", want);
		paved->emit(ctx, "deploy.step", ev);
		json_decref(ev);
		*result = json_pack("{ss ss sO si si sO sO}", "service", svc, "env", env, "version",
		                    json_object_get(cur, "version"), "from", have, "replicas", want,
		                    "added", added, "removed", removed);
	}
out:
	dc_unlock(fd);
	dc_config_free(&c);
	json_decref(cur), json_decref(e), json_decref(vars), json_decref(added), json_decref(removed);
	return rc;
}

/* runtime.stop ARGS; the number of processes it stopped (else of
 * services, which is all a driver must say) in *N. */
static int stop_call(paved_ctx *ctx, json_t *args, int *n, char **errmsg)
{
	json_t *res = NULL;
	int rc = paved->call(ctx, "runtime.stop", args, &res, errmsg);
	json_t *p = json_object_get(res, "processes");
	*n = (int)json_integer_value(p ? p : json_object_get(res, "stopped"));
	json_decref(res);
	return rc;
}

/* End the rollout of SVC in ENV in progress, if any, with REASON (before
 * the service's lock: see dc_end_rollout); its result goes to ENDED.
 * FORGET: the service is deleted, its rollout's state goes too, and the
 * state of rollouts that ended before (dc_forget_rollouts). */
static int end_inflight(paved_ctx *ctx, const char *svc, const char *env, const char *reason,
                        bool forget, json_t *ended, char **errmsg)
{
	json_t *fl = dc_inflight(ctx, svc, env), *res = NULL;
	int rc = fl ? dc_end_rollout(ctx, svc, env, fl, reason, forget, &res, errmsg) : PAVED_OK;
	if (!rc && forget)
		dc_forget_rollouts(ctx, svc, env);
	if (res) {
		json_object_set_new(res, "service", json_string(svc));
		json_object_set_new(res, "env", json_string(env));
		json_array_append_new(ended, res);
	}
	json_decref(fl);
	return rc;
}

int dc_stop(paved_ctx *ctx, const char *svc, const char *env, json_t **result, char **errmsg)
{
	json_t *stopped = json_array(), *envs = NULL, *ix = NULL, *e, *ended = json_array();
	int rc = PAVED_OK, n = 0;
	size_t i;
	if (!svc) {   /* every service */
		const char *s;
		ix = dc_index(ctx);
		json_object_foreach(ix, s, e) {   /* rollouts in progress end first */
			const char *en;
			json_t *x;
			json_object_foreach(json_object_get(e, "envs"), en, x)
				if (!rc)
					rc = end_inflight(ctx, s, en, "stopped ('paved stop --all')", false, ended,
					                  errmsg);
		}
		if (rc)
			goto out;
		json_t *a = json_pack("{sb}", "all", 1);
		rc = stop_call(ctx, a, &n, errmsg);
		json_decref(a);
		json_object_foreach(ix, s, e) {
			const char *en;
			json_t *x;
			json_object_foreach(json_object_get(e, "envs"), en, x) {
				dc_sync_targets(ctx, s, en);
				json_array_append_new(stopped, json_pack("{ss ss}", "service", s, "env", en));
			}
		}
		goto out;
	}
	if (!dc_service_exists(ctx, svc)) {
		rc = paved->error(errmsg, "no service '%s'", svc);
		goto out;
	}
	envs = env ? json_pack("[s]", env) : dc_envs(ctx, svc);
	json_array_foreach(envs, i, e) {
		int fd = -1, k = 0;
		const char *en = json_string_value(e);
		if ((rc = end_inflight(ctx, svc, en, "stopped ('paved stop')", false, ended, errmsg)) ||
		    (rc = dc_lock(ctx, svc, en, &fd, errmsg)))
			break;
		json_t *a = json_pack("{ss ss}", "service", svc, "env", en);
		rc = stop_call(ctx, a, &k, errmsg);
		json_decref(a);
		dc_sync_targets(ctx, svc, en);
		dc_unlock(fd);
		if (rc)
			break;
		n += k;
		json_array_append_new(stopped, json_pack("{ss ss}", "service", svc, "env", en));
		json_t *ev = json_pack("{ss ss ss}", "service", svc, "env", en, "step", "stop");
		paved->emit(ctx, "deploy.step", ev);
		json_decref(ev);
	}
out:
	*result = json_pack("{so si so}", "stopped", stopped, "processes", n, "aborted", ended);
	json_decref(envs), json_decref(ix);
	return rc;
}

int dc_end_for_delete(paved_ctx *ctx, const char *svc, const char *env, json_t *ended,
                      char **errmsg)
{
	return end_inflight(ctx, svc, env, "the service was deleted", true, ended, errmsg);
}

int dc_destroy(paved_ctx *ctx, const char *svc, const char *env, json_t **result, char **errmsg)
{
	json_t *ended = json_array();
	int fd = -1, rc = end_inflight(ctx, svc, env, "undone (deploy.destroy)", true, ended, errmsg);
	json_decref(ended);
	if (rc || (rc = dc_lock(ctx, svc, env, &fd, errmsg)))
		return rc;
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *res = NULL;
	rc = paved->call(ctx, "runtime.destroy", a, &res, errmsg);
	json_decref(a), json_decref(res);
	if (!rc) {
		dc_sync_targets(ctx, svc, env);
		char *rel = dc_release_dir(ctx, svc, env, NULL);
		if (pc_rmtree(rel) != 0)
			paved->log(ctx, PAVED_LOG_WARN, "could not remove %s", rel);
		free(rel);
		rc = dc_records_forget(ctx, svc, env, errmsg);
	}
	dc_unlock(fd);
	if (!rc)
		*result = json_pack("{sb}", "destroyed", 1);
	return rc;
}
