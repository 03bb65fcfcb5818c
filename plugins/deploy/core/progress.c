/*
 * progress.c -- what the core does for strategies whose rollout outlives
 * the deploy command (a canary's controller runs for minutes or hours):
 *
 *   dc_preflight   before anything is built: the front deploy.check lets
 *                  the strategy refuse its own config (steps, analysis)
 *                  with the field named; a strategy without a check verb
 *                  is fine
 *   dc_stable      the live release, as deploy.run's "stable" argument, so
 *                  a strategy can start replicas of it (a canary's
 *                  baseline): its release directory, argv, variables
 *   deploy.record  the hook a running rollout calls to report steps,
 *                  analysis verdicts and its outcome; a final outcome ends
 *                  the record as finish() in deploy.c does (success makes
 *                  the release live, the scrape targets follow, events)
 *
 * A record whose rollout goes on has the outcome "progressing" until then.
 * deploy.record takes the service's lock (lock.c), so it never writes
 * between a deploy's reads and writes of the same record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "deploy.h"

int dc_preflight(paved_ctx *ctx, const char *svc, const char *env, const char *strategy,
                 const char *dir, struct dc_config *c, json_t *steps, double t0, char **errmsg)
{
	json_t *a = json_pack("{ss ss ss si}", "service", svc, "env", env, "strategy", strategy,
	                      "replicas", c->replicas), *res = NULL, *w;
	char *file = pc_printf("%s/platform.yaml", dir), *err = NULL;
	if (c->config)
		json_object_set(a, "config", c->config);
	if (json_is_object(json_object_get(c->doc, "slo")))
		json_object_set(a, "slo", json_object_get(c->doc, "slo"));
	if (file)
		json_object_set_new(a, "file", json_string(file));
	int rc = paved->call(ctx, "deploy.check", a, &res, &err);
	size_t i;
	if (rc == PAVED_NOHOOK) {   /* this strategy checks nothing before it runs */
		rc = PAVED_OK;
	} else if (rc) {
		const char *inner = err ? strstr(err, ".check: ") : NULL;   /* without the prefix */
		paved->error(errmsg, "%s", inner ? inner + 8 : err ? err : "deploy.check failed");
	} else {
		json_array_foreach(json_object_get(res, "warnings"), i, w) {
			paved->log(ctx, PAVED_LOG_WARN, "%s (%s): %s", svc, env, json_string_value(w));
			pc_step(ctx, steps, t0, NULL, "warning: %s", json_string_value(w));
		}
		if (json_is_string(json_object_get(res, "summary")))
			pc_step(ctx, steps, t0, NULL, "%s", json_string_value(json_object_get(res, "summary")));
	}
	json_decref(a), json_decref(res);
	free(file), free(err);
	return rc;
}

json_t *dc_stable(paved_ctx *ctx, const char *svc, const char *env)
{
	json_t *cur = dc_current(ctx, svc, env), *vars = NULL, *out = NULL;
	const char *rel = json_string_value(json_object_get(cur, "release"));
	struct dc_config c = { 0 };
	struct stat st;
	char name[300], *err = NULL;
	if (!rel || stat(rel, &st) != 0)
		goto done;
	snprintf(name, sizeof name, "%s version %s", svc,
	         json_string_value(json_object_get(cur, "version")));
	if (dc_config_read(ctx, rel, name, env, &c, &err) ||
	    dc_variables(ctx, svc, env, &c, name, &vars, &err)) {
		paved->log(ctx, PAVED_LOG_DEBUG, "no stable release for the strategy: %s", err ? err : "?");
		goto done;
	}
	out = json_pack("{sO ss sO sO ss}", "version", json_object_get(cur, "version"), "dir", rel,
	                "argv", c.argv, "variables", vars, "health", c.health);
done:
	dc_config_free(&c);
	json_decref(cur), json_decref(vars);
	free(err);
	return out;
}

/* Seconds from ISO time START (as dc_now_iso writes it) to now. */
static double since(const char *start)
{
	struct tm tm = { 0 };
	int ms = 0;
	if (!start || sscanf(start, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
		return 0;
	tm.tm_year -= 1900, tm.tm_mon -= 1;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - timegm(&tm)) + now.tv_nsec / 1e9 - ms / 1e3;
}

/* deploy.record {service, env, id, outcome?, reason?, steps?, analysis?,
 * replicas?, targets?}: see the top of this file.  Steps are appended;
 * analysis replaces the record's verdicts. */
int dc_record_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	const char *id = json_string_value(json_object_get(args, "id"));
	const char *outcome = json_string_value(json_object_get(args, "outcome"));
	if (!dc_valid_name(svc, false) || !dc_valid_name(env, true) || !id)
		return paved->error(errmsg, "arguments 'service', 'env' (names) and 'id' are required");
	/* the deploy that started the rollout writes the record last when it
	 * ends: wait for it (and for any other command on the service) */
	int fd = -1;
	if (dc_lock(ctx, svc, env, &fd, errmsg))
		return PAVED_ERR;
	json_t *rec = dc_record_get(ctx, svc, env, id);
	if (!rec) {
		dc_unlock(fd);
		return paved->error(errmsg, "no release record %s of %s in %s", id, svc, env);
	}
	const char *was = json_string_value(json_object_get(rec, "outcome"));
	json_t *steps = json_object_get(rec, "steps");
	if (!json_is_array(steps))
		json_object_set_new(rec, "steps", steps = json_array());
	json_array_extend(steps, json_object_get(args, "steps"));
	if (json_object_get(args, "analysis"))
		json_object_set(rec, "analysis", json_object_get(args, "analysis"));
	if (json_is_integer(json_object_get(args, "replicas")))
		json_object_set(rec, "replicas", json_object_get(args, "replicas"));
	if (json_is_string(json_object_get(args, "reason")))
		json_object_set(rec, "reason", json_object_get(args, "reason"));
	bool final = outcome && strcmp(outcome, "progressing") != 0;
	bool changed = outcome && (!was || strcmp(was, outcome) != 0);
	if (outcome)
		json_object_set_new(rec, "outcome", json_string(outcome));
	if (final) {
		char now[32];
		dc_now_iso(now);
		json_object_set_new(rec, "end", json_string(now));
		json_object_set_new(rec, "seconds",
		                    json_real(since(json_string_value(json_object_get(rec, "start")))));
	} else if (outcome) {
		json_object_del(rec, "end");
		json_object_del(rec, "reason");
	}
	int rc = dc_record_put(ctx, rec, errmsg);
	if (!rc && final && !strcmp(outcome, "success"))
		rc = dc_set_current(ctx, svc, env, id, errmsg);
	if (final || json_is_true(json_object_get(args, "targets")))
		dc_sync_targets(ctx, svc, env);
	if (changed)
		dc_event(ctx, !strcmp(outcome, "success") ? "deploy.succeeded" :
		         !strcmp(outcome, "rolled_back") ? "deploy.rolled_back" :
		         !strcmp(outcome, "aborted") ? "deploy.aborted" :
		         !strcmp(outcome, "progressing") ? "deploy.progressing" : "deploy.failed", rec);
	if (!rc)
		*result = json_pack("{sO}", "outcome", json_object_get(rec, "outcome"));
	dc_unlock(fd);
	json_decref(rec);
	return rc;
}

json_t *dc_inflight(paved_ctx *ctx, const char *svc, const char *env)
{
	json_t *recs = dc_records(ctx, svc, env), *r, *st = NULL, *out = NULL;
	for (size_t i = json_array_size(recs); i-- > 0; ) {
		r = json_array_get(recs, i);
		if (strcmp(json_string_value(json_object_get(r, "outcome")) ?: "", "progressing"))
			continue;
		/* the newest progressing record is the only one that may still run:
		 * a strategy keeps one rollout per service and env */
		const char *strategy = json_string_value(json_object_get(r, "strategy"));
		json_t *a = json_pack("{ss ss ss}", "service", svc, "env", env, "strategy",
		                      strategy ? strategy : "");
		const char *ph = NULL;
		if (strategy && paved->call(ctx, "deploy.status", a, &st, NULL) == PAVED_OK &&
		    json_is_object(st) && json_equal(json_object_get(st, "id"), json_object_get(r, "id")))
			ph = json_string_value(json_object_get(st, "phase"));
		if (ph && (!strcmp(ph, "Progressing") || !strcmp(ph, "Paused"))) {
			out = json_pack("{ss sO sO ss}", "strategy", strategy, "id", json_object_get(r, "id"),
			                "version", json_object_get(r, "version"), "phase", ph);
			static const char *const keys[] = { "stable_version", "summary", "commands", NULL };
			for (size_t k = 0; keys[k]; k++)
				if (json_object_get(st, keys[k]))
					json_object_set(out, keys[k], json_object_get(st, keys[k]));
		}
		json_decref(a);
		break;
	}
	json_decref(recs), json_decref(st);
	return out;
}

int dc_end_rollout(paved_ctx *ctx, const char *svc, const char *env, json_t *fl,
                   const char *reason, bool forget, json_t **ended, char **errmsg)
{
	json_t *a = json_pack("{ss ss sO ss sb sb}", "service", svc, "env", env, "strategy",
	                      json_object_get(fl, "strategy"), "reason", reason, "wait", 1,
	                      "forget", forget), *res = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "deploy.abort", a, &res, &err);
	json_decref(a);
	*ended = NULL;
	if (rc) {
		const char *inner = err ? strstr(err, ".abort: ") : NULL;   /* without the prefix */
		paved->error(errmsg, "%s (%s): the %s rollout of version %s could not be aborted: %s",
		             svc, env, json_string_value(json_object_get(fl, "strategy")),
		             json_string_value(json_object_get(fl, "version")),
		             inner ? inner + 8 : err ? err : "deploy.abort failed");
		json_decref(res);
	} else {
		*ended = json_is_object(res) ? res : json_object();
		if (res != *ended)
			json_decref(res);
		json_object_update_missing(*ended, fl);
		json_object_set_new(*ended, "reason", json_string(reason));
	}
	free(err);
	return rc;
}

bool dc_progressive(paved_ctx *ctx, const char *svc, const char *env, const char *strategy)
{
	json_t *a = json_pack("{ss ss ss}", "service", svc, "env", env, "strategy", strategy), *res = NULL;
	int rc = paved->call(ctx, "deploy.status", a, &res, NULL);
	json_decref(a), json_decref(res);
	return rc != PAVED_NOHOOK;
}

int dc_refuse_inflight(paved_ctx *ctx, const char *svc, const char *env, const char *what,
                       json_t **result, char **errmsg)
{
	json_t *fl = dc_inflight(ctx, svc, env), *c;
	if (!fl)
		return PAVED_OK;
	char ends[400] = "";
	size_t i, n;
	json_array_foreach(json_object_get(fl, "commands"), i, c) {
		n = strlen(ends);
		snprintf(ends + n, sizeof ends - n, "%s'%s'", i ? " or " : "", json_string_value(c));
	}
	if (!*ends)
		snprintf(ends, sizeof ends, "see 'paved releases %s --env %s'", svc, env);
	int rc = paved->error(errmsg, "%s (%s) has a %s rollout in progress: version %s at %s; "
	                      "%s would change its replicas under it, so nothing was changed. End "
	                      "the rollout first: %s", svc, env,
	                      json_string_value(json_object_get(fl, "strategy")),
	                      json_string_value(json_object_get(fl, "version")),
	                      json_string_value(json_object_get(fl, "summary")) ?: "?", what, ends);
	*result = json_pack("{ss ss ss so}", "service", svc, "env", env, "refused", what, "rollout", fl);
	return rc;
}

void dc_forget_rollouts(paved_ctx *ctx, const char *svc, const char *env)
{
	json_t *recs = dc_records(ctx, svc, env), *seen = json_object(), *r;
	size_t i;
	json_array_foreach(recs, i, r) {
		const char *s = json_string_value(json_object_get(r, "strategy"));
		if (!s || json_object_get(seen, s))
			continue;
		json_object_set_new(seen, s, json_true());
		if (!dc_progressive(ctx, svc, env, s))
			continue;
		json_t *a = json_pack("{ss ss ss ss sb}", "service", svc, "env", env, "strategy", s,
		                      "reason", "the service was deleted", "forget", 1), *res = NULL;
		char *err = NULL;
		if (paved->call(ctx, "deploy.abort", a, &res, &err))
			paved->log(ctx, PAVED_LOG_WARN, "%s (%s): the %s rollout state was not removed: %s",
			           svc, env, s, err ? err : "?");
		json_decref(a), json_decref(res);
		free(err);
	}
	json_decref(recs), json_decref(seen);
}
