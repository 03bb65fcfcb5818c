/*
 * deploy.c -- one deploy, from a commit to a record.
 *
 *   1. resolve the commit (source.c): REF of the forge repository (default
 *      its default branch's head), or of the working copy given with --dir
 *   2. take the service's lock for the env (lock.c)
 *   3. a push that a later push overtook is not deployed ("superseded");
 *      the version already live and healthy is a no-op that says so
 *   4. record the release ("running"), emit deploy.started
 *   5. check the commit out into a new release directory; read its
 *      platform.yaml (platform.c); with trigger push and deploy.auto false,
 *      stop here ("skipped")
 *   6. fill the variables (provision.outputs), build (build.c)
 *   6b. the strategy checks its config (deploy.check, progress.c): a canary
 *      with a weight over 100 is refused here, before the build
 *   7. runtime.prune, runtime.ensure (the stable URL), then the front
 *      deploy.run with the strategy as selector: the driver rolls the built
 *      release out through the runtime fronts and hands back its outcome
 *   8. record the outcome, steps and reason; on success the release becomes
 *      the live one; point the scrape targets at the replicas (live.c); emit
 *      deploy.succeeded, deploy.rolled_back or deploy.failed
 *
 * A failure says what failed and what is in traffic now, as the runtime
 * reports it, never what is hoped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy.h"

bool dc_valid_name(const char *s, bool underscore)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      (underscore && s[i] == '_')))
			return false;
	return true;
}

/* One deploy in progress. */
struct run {
	paved_ctx  *ctx;
	const char *svc, *env;
	json_t     *rec;        /* the release record (owned) */
	json_t     *steps;      /* borrowed from rec */
	char       *rel;        /* the release: the checkout, ID/SERVICE (owned) */
	char       *rel_id;     /* its ID directory, made by this deploy (removed when it fails), or NULL */
	bool        touched;    /* the runtime was asked to change something */
	json_t     *fields;     /* of its deploy.step events (owned) */
	double      t0;         /* pc_now() at the start */
};

/* Record a step of the core and emit deploy.step. */
#define step(r, ...) pc_step((r)->ctx, (r)->steps, (r)->t0, (r)->fields, __VA_ARGS__)

/* R's record is REC (taken): its steps and the fields of its events. */
static void track(struct run *r, json_t *rec)
{
	r->rec = rec;
	r->steps = json_object_get(rec, "steps");
	r->fields = json_pack("{ss ss sO sO}", "service", r->svc, "env", r->env, "id",
	                      json_object_get(rec, "id"), "version", json_object_get(rec, "version"));
}

/* A new record for commit C of SVC in ENV, id ID. */
static json_t *new_record(const char *svc, const char *env, const char *id, json_t *c,
                          const char *trigger)
{
	char now[32];
	dc_now_iso(now);
	json_t *rec = json_pack("{ss ss ss sO sO sO sO sO sO ss s[] ss ss}", "id", id, "service", svc,
	                        "env", env, "version", json_object_get(c, "short"),
	                        "sha", json_object_get(c, "sha"), "ref", json_object_get(c, "ref"),
	                        "author", json_object_get(c, "author"),
	                        "commit_time", json_object_get(c, "committed_at"),
	                        "subject", json_object_get(c, "subject"), "trigger", trigger,
	                        "steps", "outcome", "running", "start", now);
	return rec;
}

/* The response of a deploy that ended: {id, service, env, version, sha,
 * url, outcome, replicas, strategy, seconds}. */
static json_t *response(json_t *rec)
{
	static const char *const keys[] = { "id", "service", "env", "version", "sha", "url",
	                                     "outcome", "replicas", "strategy", "reason", "trigger",
	                                     "seconds", "superseded", NULL };
	json_t *o = json_object();
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(rec, keys[i]))
			json_object_set(o, keys[i], json_object_get(rec, keys[i]));
	return o;
}

/* End the deploy R: outcome OUTCOME (NULL: from RC and the strategy's
 * RESULT), reason, steps, times; write the record; make it live when it
 * succeeded; targets, event.  Returns the final status; on failure *ERRMSG
 * is the one line the user sees and *RESULT the outcome beside it. */
static int finish(struct run *r, int rc, const char *outcome, json_t *driver, char *err,
                  json_t **result, char **errmsg)
{
	char now[32], *e2 = NULL;
	const char *reason = json_string_value(json_object_get(driver, "reason"));
	if (err)   /* one line for the user and the record (a Lua traceback stays out) */
		err[strcspn(err, "\n")] = '\0';
	const char *said = json_string_value(json_object_get(driver, "outcome"));
	if (!outcome)   /* a rollout that goes on in the background is not live yet */
		outcome = rc == PAVED_OK ? (said && !strcmp(said, "progressing") ? said : "success") : said;
	if (!outcome || (rc && !strcmp(outcome, "success")))
		outcome = "failed";
	dc_now_iso(now);
	json_object_set_new(r->rec, "outcome", json_string(outcome));
	json_object_set_new(r->rec, "end", json_string(now));
	json_object_set_new(r->rec, "seconds", json_real(pc_now() - r->t0));
	if (rc)
		json_object_set_new(r->rec, "reason", json_pack("s+++", err ? err : "failed",
		                    reason ? " (" : "", reason ? reason : "", reason ? ")" : ""));
	else if (reason)
		json_object_set_new(r->rec, "reason", json_string(reason));
	json_array_extend(r->steps, json_object_get(driver, "steps"));
	if (rc && r->rel_id)   /* never reused: rollback goes to successful releases */
		pc_rmtree(r->rel_id);
	bool live = !strcmp(outcome, "success");
	int prc = dc_record_put(r->ctx, r->rec, &e2);
	if (live && !prc)
		prc = dc_set_current(r->ctx, r->svc, r->env, json_string_value(json_object_get(r->rec, "id")),
		                     &e2);
	if (r->touched)
		dc_sync_targets(r->ctx, r->svc, r->env);
	dc_event(r->ctx, live ? "deploy.succeeded" : !strcmp(outcome, "rolled_back") ?
	         "deploy.rolled_back" : !strcmp(outcome, "skipped") ? "deploy.skipped" :
	         !strcmp(outcome, "progressing") ? "deploy.progressing" : "deploy.failed", r->rec);
	*result = response(r->rec);
	if (rc) {
		char *now_in = dc_in_traffic(r->ctx, r->svc, r->env);
		const char *trig = json_string_value(json_object_get(r->rec, "trigger"));
		paved->error(errmsg, "%s of %s (%s) %sversion %s failed: %s%s%s%s; in traffic now: %s",
		             trig && strcmp(trig, "cli") && strcmp(trig, "push") && strcmp(trig, "create")
		             ? trig : "deploy", r->svc, r->env, trig && !strcmp(trig, "rollback") ? "to " : "",
		             json_string_value(json_object_get(r->rec, "version")),
		             err ? err : "?", reason ? " (" : "", reason ? reason : "", reason ? ")" : "",
		             now_in);
		free(now_in);
	} else if (prc) {
		rc = paved->error(errmsg, "%s (%s) version %s is deployed, but %s", r->svc, r->env,
		                  json_string_value(json_object_get(r->rec, "version")), e2);
	}
	free(e2);
	return rc;
}

/* A rollout still in progress (a canary's) gives way to this deploy, as a
 * new revision does in Argo Rollouts: it is aborted (all traffic to its
 * stable release, its replicas and controller gone, its record "aborted:
 * superseded by version V") and this one starts from its first step.
 * Under the service's lock: deploy.record is re-entrant here. */
static int supersede(struct run *r, char **err)
{
	json_t *fl = dc_inflight(r->ctx, r->svc, r->env), *ended = NULL;
	if (!fl)
		return PAVED_OK;
	const char *v = json_string_value(json_object_get(r->rec, "version"));
	char *reason = pc_printf("superseded by version %s ('paved deploy')", v);
	int rc = dc_end_rollout(r->ctx, r->svc, r->env, fl, reason, false, &ended, err);
	if (!rc) {
		step(r, "superseded the %s rollout of version %s (at %s): aborted, all traffic on "
		     "stable version %s", json_string_value(json_object_get(fl, "strategy")),
		     json_string_value(json_object_get(fl, "version")),
		     json_string_value(json_object_get(fl, "summary")) ?: "?",
		     json_string_value(json_object_get(fl, "stable_version")) ?: "?");
		json_object_set(r->rec, "superseded", json_object_get(fl, "version"));
	}
	free(reason);
	json_decref(fl), json_decref(ended);
	return rc;
}

/* Roll the built release R->rel with config C out: variables, runtime
 * front door, then deploy.run.  OVER may replace "replicas" and "config"
 * (restart).  Ends the deploy (finish). */
static int roll_out(struct run *r, struct dc_config *c, const char *strategy, json_t *over,
                    json_t **result, char **errmsg)
{
	char *err = NULL, file[300];
	json_t *vars = NULL, *res = NULL, *driver = NULL, *names = json_array();
	int rc;
	snprintf(file, sizeof file, "%s version %s", r->svc,
	         json_string_value(json_object_get(r->rec, "version")));
	json_object_set_new(r->rec, "strategy", json_string(strategy));
	json_object_set_new(r->rec, "release", json_string(r->rel));
	json_object_set_new(r->rec, "run", json_string(c->run_text));
	json_object_set_new(r->rec, "replicas", json_integer(c->replicas));
	json_object_set_new(r->rec, "health", json_string(c->health));
	if (c->build_text)
		json_object_set_new(r->rec, "build", json_string(c->build_text));
	if (c->port)
		json_object_set_new(r->rec, "port", json_integer(c->port));
	const char *k;
	json_t *v;
	json_object_foreach(c->variables, k, v)
		json_array_append_new(names, json_string(k));
	json_object_set_new(r->rec, "variables", names);   /* names only: values may be secrets */
	if ((rc = dc_variables(r->ctx, r->svc, r->env, c, file, &vars, &err)))
		goto done;
	if ((rc = supersede(r, &err)))
		goto done;
	json_t *pa = json_pack("{ss ss}", "service", r->svc, "env", r->env);
	paved->call(r->ctx, "runtime.prune", pa, &res, NULL);
	json_decref(res), res = NULL;
	rc = paved->call(r->ctx, "runtime.ensure", pa, &res, &err);
	json_decref(pa);
	if (rc)
		goto done;
	json_object_set(r->rec, "url", json_object_get(res, "url"));
	json_decref(res), res = NULL;
	json_t *t = paved->option(r->ctx, "health_timeout");
	json_t *a = json_pack("{ss ss ss sO ss sO sO si ss sf}", "service", r->svc, "env", r->env,
	                      "strategy", strategy, "version", json_object_get(r->rec, "version"),
	                      "dir", r->rel, "argv", c->argv, "variables", vars,
	                      "replicas", c->replicas, "health", c->health,
	                      "health_timeout", json_is_integer(t) ? (double)json_integer_value(t) : 30.0);
	if (c->config)
		json_object_set(a, "config", c->config);
	json_object_set(a, "id", json_object_get(r->rec, "id"));
	if (json_is_object(json_object_get(c->doc, "slo")))   /* a canary's default analysis */
		json_object_set(a, "slo", json_object_get(c->doc, "slo"));
	json_t *stable = dc_stable(r->ctx, r->svc, r->env);   /* a canary's baseline runs it */
	if (stable)
		json_object_set_new(a, "stable", stable);
	if (over)
		json_object_update(a, over);
	step(r, "deploy.run: strategy %s, %d replica%s", strategy, c->replicas,
	     c->replicas == 1 ? "" : "s");
	r->touched = true;
	rc = paved->call(r->ctx, "deploy.run", a, &driver, &err);
	json_decref(a);
	if (rc == PAVED_NOHOOK) {
		free(err);
		err = pc_printf("no deploy strategy '%s' is installed (deploy.driver.%s.run)", strategy,
		                strategy);
		r->touched = false;
	}
done:
	json_decref(vars);
	rc = finish(r, rc, NULL, driver, err, result, errmsg);
	json_decref(driver);
	free(err);
	return rc;
}

/* Make a new release directory for R with a fresh id (mkdir fails on a
 * clash, and another id is tried, so two deploys never share one).  The
 * checkout goes into ID/SERVICE: a directory named after the service, as
 * a clone is, which is what platform.yaml's reader takes for the service
 * name when the file gives none. */
static int new_release(struct run *r, char id[48], char **errmsg)
{
	char *parent = dc_release_dir(r->ctx, r->svc, r->env, NULL);
	int rc = PAVED_ERR;
	if (!parent || pc_mkdir_p(parent, 0755) != 0) {
		paved->error(errmsg, "cannot create %s: %s", parent ? parent : "?", strerror(errno));
		goto done;
	}
	for (int tries = 0; tries < 10; tries++) {
		dc_new_id(id);
		free(r->rel_id);
		r->rel_id = dc_release_dir(r->ctx, r->svc, r->env, id);
		if (mkdir(r->rel_id, 0755) == 0) {
			r->rel = pc_printf("%s/%s", r->rel_id, r->svc);
			rc = PAVED_OK;
			goto done;
		}
		if (errno != EEXIST) {
			paved->error(errmsg, "cannot create %s: %s", r->rel_id, strerror(errno));
			free(r->rel_id), r->rel_id = NULL;
			goto done;
		}
	}
	free(r->rel_id), r->rel_id = NULL;
	paved->error(errmsg, "no free release id under %s", parent);
done:
	free(parent);
	return rc;
}

/* Is the release of CUR (the live record) running as declared: every
 * replica in traffic of its version and healthy, as many as it declared?
 * Then a deploy of the same commit has nothing to do. */
static bool live_and_healthy(paved_ctx *ctx, const char *svc, const char *env, json_t *cur,
                             char *what, size_t len)
{
	json_t *e = dc_runtime_entry(ctx, svc, env, NULL);
	struct dc_counts n = dc_count(e, json_string_value(json_object_get(cur, "version")));
	int want = (int)json_integer_value(json_object_get(cur, "replicas"));
	json_decref(e);
	snprintf(what, len, "%d/%d replicas healthy", n.version_ok, want);
	return want > 0 && n.version_ok == want && n.in == want;
}

/* A push that a later push overtook: record it, deploy nothing. */
static int superseded(paved_ctx *ctx, const struct dc_req *q, struct dc_source *s, const char *head,
                      json_t **result, char **errmsg)
{
	char id[48], reason[160], now[32];
	dc_new_id(id);
	dc_now_iso(now);
	json_t *rec = new_record(q->svc, q->env, id, s->commit, q->trigger);
	snprintf(reason, sizeof reason, "a later push (%.12s) is deployed instead", head);
	json_object_set_new(rec, "outcome", json_string("superseded"));
	json_object_set_new(rec, "reason", json_string(reason));
	json_object_set_new(rec, "end", json_string(now));
	int rc = dc_record_put(ctx, rec, errmsg);
	*result = response(rec);
	json_decref(rec);
	return rc;
}

int dc_deploy(paved_ctx *ctx, const struct dc_req *q, json_t **result, char **errmsg)
{
	struct dc_source src = { 0 };
	struct dc_config c = { 0 };
	struct run r = { .ctx = ctx, .svc = q->svc, .env = q->env, .t0 = pc_now() };
	char id[48], what[80], name[300], *err = NULL;
	int fd = -1, rc;
	if (!dc_valid_name(q->svc, false))
		return paved->error(errmsg, "invalid service name '%s'", q->svc ? q->svc : "");
	if (!dc_valid_name(q->env, true))
		return paved->error(errmsg, "invalid env '%s'", q->env ? q->env : "");
	if (q->strategy && !dc_valid_name(q->strategy, true))
		return paved->error(errmsg, "invalid strategy '%s'", q->strategy);
	if ((rc = dc_source_resolve(ctx, q->svc, q->dir, q->ref, &src, errmsg)))
		return rc;
	const char *sha = json_string_value(json_object_get(src.commit, "sha"));
	const char *version = json_string_value(json_object_get(src.commit, "short"));
	if ((rc = dc_lock(ctx, q->svc, q->env, &fd, errmsg)))
		goto out;
	if (q->trigger && !strcmp(q->trigger, "push") && !q->dir) {
		/* pushes deploy in order: the latest push wins, whichever got the lock first */
		json_t *a = json_pack("{ss}", "name", q->svc), *info = NULL;
		paved->call(ctx, "forge.info", a, &info, NULL);
		const char *head = json_string_value(json_object_get(info, "head"));
		if (head && strcmp(head, sha)) {
			rc = superseded(ctx, q, &src, head, result, errmsg);
			json_decref(a), json_decref(info);
			goto out;
		}
		json_decref(a), json_decref(info);
	}
	json_t *cur = dc_current(ctx, q->svc, q->env);
	if (cur && !strcmp(json_string_value(json_object_get(cur, "sha")) ?: "", sha) &&
	    live_and_healthy(ctx, q->svc, q->env, cur, what, sizeof what)) {
		*result = response(cur);
		json_object_set_new(*result, "outcome", json_string("noop"));
		json_object_set_new(*result, "reason", json_pack("s++++", "version ", version,
		                    " is already live (", what, ")"));
		json_decref(cur);
		goto out;
	}
	json_decref(cur);
	if ((rc = new_release(&r, id, errmsg)))
		goto out;
	track(&r, new_record(q->svc, q->env, id, src.commit, q->trigger ? q->trigger : "cli"));
	json_object_set_new(r.rec, "source", json_string(q->dir ? "dir" : "forge"));
	if (q->dir)
		json_object_set_new(r.rec, "dir", json_string(src.dir));
	if ((rc = dc_record_put(ctx, r.rec, errmsg)) || (rc = dc_index_env(ctx, q->svc, q->env, true,
	                                                                   errmsg)))
		goto out;
	dc_event(ctx, "deploy.started", r.rec);
	if ((rc = dc_source_checkout(ctx, &src, r.rel, &err))) {
		rc = finish(&r, rc, NULL, NULL, err, result, errmsg);
		goto out;
	}
	step(&r, "checked out %s (%s) into %s", version,
	     json_string_value(json_object_get(src.commit, "subject")), r.rel);
	snprintf(name, sizeof name, "%s version %s", q->svc, version);
	if ((rc = dc_config_read(ctx, r.rel, name, q->env, &c, &err))) {
		rc = finish(&r, rc, NULL, NULL, err, result, errmsg);
		goto out;
	}
	const char *strategy = q->strategy ? q->strategy : c.strategy ? c.strategy :
	                       json_string_value(paved->option(ctx, "strategy"));
	if (!strategy)
		strategy = "rolling";
	/* the strategy refuses a config it cannot run before anything is built */
	if ((rc = dc_preflight(ctx, q->svc, q->env, strategy, r.rel, &c, r.steps, r.t0, &err))) {
		json_object_set_new(r.rec, "strategy", json_string(strategy));
		rc = finish(&r, rc, NULL, NULL, err, result, errmsg);
		goto out;
	}
	if (q->trigger && !strcmp(q->trigger, "push") && !c.auto_deploy) {
		json_object_set_new(r.rec, "reason", json_string("deploy.auto is false in platform.yaml"));
		pc_rmtree(r.rel_id);
		rc = finish(&r, PAVED_OK, "skipped", NULL, NULL, result, errmsg);
		goto out;
	}
	if (c.build) {
		char *log = dc_build_log(ctx, q->svc, q->env, id);
		step(&r, "build: %s", c.build_text);
		json_object_set_new(r.rec, "build_log", json_string(log));
		rc = dc_build(ctx, c.build, c.build_text, r.rel, log, &err);
		free(log);
		if (rc) {
			rc = finish(&r, rc, NULL, NULL, err, result, errmsg);
			goto out;
		}
	}
	rc = roll_out(&r, &c, strategy, NULL, result, errmsg);
out:
	dc_unlock(fd);
	dc_source_free(&src);
	dc_config_free(&c);
	json_decref(r.rec), json_decref(r.fields);
	free(r.rel), free(r.rel_id), free(err);
	return rc;
}

int dc_redeploy(paved_ctx *ctx, json_t *old, const char *trigger, const char *strategy,
                json_t *over, json_t **result, char **errmsg)
{
	const char *svc = json_string_value(json_object_get(old, "service"));
	const char *env = json_string_value(json_object_get(old, "env"));
	const char *rel = json_string_value(json_object_get(old, "release"));
	struct run r = { .ctx = ctx, .svc = svc, .env = env, .t0 = pc_now() };
	struct dc_config c = { 0 };
	struct stat st;
	char id[48], name[300], *err = NULL;
	if (!rel || stat(rel, &st) != 0)
		return paved->error(errmsg, "the release of version %s is gone (%s): deploy it again "
		                    "with 'paved deploy %s --env %s --version %s'",
		                    json_string_value(json_object_get(old, "version")), rel ? rel : "not recorded",
		                    svc, env, json_string_value(json_object_get(old, "sha")));
	dc_new_id(id);
	json_t *commit = json_pack("{sO sO sO sO sO sO}", "sha", json_object_get(old, "sha"),
	                           "short", json_object_get(old, "version"), "ref", json_object_get(old, "ref"),
	                           "author", json_object_get(old, "author"),
	                           "committed_at", json_object_get(old, "commit_time"),
	                           "subject", json_object_get(old, "subject"));
	track(&r, new_record(svc, env, id, commit, trigger));
	json_decref(commit);
	r.rel = strdup(rel);
	json_object_set(r.rec, "source", json_object_get(old, "source"));
	json_object_set(r.rec, "restores", json_object_get(old, "id"));
	json_t *cur = dc_current(ctx, svc, env);
	if (cur)
		json_object_set(r.rec, "from_version", json_object_get(cur, "version"));
	json_decref(cur);
	int rc = dc_record_put(ctx, r.rec, errmsg);
	if (rc)
		goto out;
	dc_event(ctx, "deploy.started", r.rec);
	step(&r, "reuse the built release %s of version %s (no checkout, no build)", rel,
	     json_string_value(json_object_get(old, "version")));
	snprintf(name, sizeof name, "%s version %s", svc,
	         json_string_value(json_object_get(old, "version")));
	if ((rc = dc_config_read(ctx, rel, name, env, &c, &err))) {
		rc = finish(&r, rc, NULL, NULL, err, result, errmsg);
		goto out;
	}
	if (!strategy)
		strategy = json_string_value(json_object_get(old, "strategy"));
	if (!strategy)
		strategy = "rolling";
	if ((rc = dc_preflight(ctx, svc, env, strategy, rel, &c, r.steps, r.t0, &err))) {
		json_object_set_new(r.rec, "strategy", json_string(strategy));
		rc = finish(&r, rc, NULL, NULL, err, result, errmsg);
		goto out;
	}
	rc = roll_out(&r, &c, strategy, over, result, errmsg);
out:
	dc_config_free(&c);
	json_decref(r.rec), json_decref(r.fields);
	free(r.rel), free(err);
	return rc;
}
