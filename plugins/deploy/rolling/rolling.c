/*
 * rolling.c -- deploy_rolling: the deploy strategy driver "rolling".
 *
 *   deploy.driver.rolling.run {service, env, version, dir, argv, variables?,
 *       replicas?, health?, health_timeout?, config?: {max_surge, max_unavailable}}
 *     -> {outcome: "success", replicas, steps}
 *   on failure: the error, and beside it {outcome: "rolled_back" | "failed",
 *     reason, steps}
 *
 * It receives a built release (DIR, ARGV) and talks only to the runtime
 * fronts (runtime.status/start/wait/enable/disable/remove).  The replicas
 * are replaced in steps.  Each step takes up to max_unavailable old
 * replicas out of traffic, starts max_surge + max_unavailable new ones (at
 * most what is still missing), waits for their health check and puts them
 * in traffic, then takes out of traffic the old ones no longer needed to
 * keep N in traffic.  Old replicas keep running, out of traffic, until
 * every new one is in, so a failed rollout is undone at once: the old
 * replicas this run took out go back in, then the new ones are removed.
 * The outcome says what happened, not what was hoped: "rolled_back" only
 * when every old replica taken out went back in, "failed" when one could
 * not or when nothing was in traffic before.
 */
#include <paved/plugin.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"

PAVED_PLUGIN_INIT1;

/* One run: the call's arguments (borrowed) and what it did so far. */
struct roll {
	paved_ctx  *ctx;
	json_t     *args;
	const char *svc, *env, *version;
	json_t     *steps;      /* [{seconds, step}] */
	json_t     *fields;     /* of its deploy.step events */
	double      t0;
};

/* Record a step (printf-style) and emit deploy.step. */
#define step(r, ...) pc_step((r)->ctx, (r)->steps, (r)->t0, (r)->fields, __VA_ARGS__)

/* Call runtime HOOK for replica ID with EXTRA fields (may be NULL). */
#define replica_call(r, hook, id, extra, err) \
	pc_replica_call((r)->ctx, hook, (r)->svc, (r)->env, id, extra, err)

/* Start one replica of the release; *ID (new) is its id. */
static int start_one(struct roll *r, json_t **id, char **err)
{
	static const char *const copied[] = { "version", "dir", "argv", "variables", "health", NULL };
	json_t *a = json_pack("{ss ss}", "service", r->svc, "env", r->env), *res = NULL;
	for (size_t i = 0; copied[i]; i++)
		if (json_object_get(r->args, copied[i]))
			json_object_set(a, copied[i], json_object_get(r->args, copied[i]));
	int rc = paved->call(r->ctx, "runtime.start", a, &res, err);
	*id = rc ? NULL : json_incref(json_object_get(res, "id"));
	if (!rc && !json_is_string(*id))
		rc = paved->error(err, "runtime.start answered without a replica id");
	if (!rc)
		step(r, "started replica %s (port %d)", json_string_value(*id),
		     (int)json_integer_value(json_object_get(res, "port")));
	json_decref(res);
	json_decref(a);
	return rc;
}

/* Wait for replica ID's health check, then put it in traffic. */
static int wait_enable(struct roll *r, json_t *id, double timeout, char **err)
{
	json_t *w = json_pack("{sf}", "timeout", timeout);
	json_t *path = json_object_get(r->args, "health");
	if (json_is_string(path))
		json_object_set(w, "path", path);
	int rc = replica_call(r, "runtime.wait", id, w, err);
	json_decref(w);
	if (!rc)
		rc = replica_call(r, "runtime.enable", id, NULL, err);
	if (!rc)
		step(r, "replica %s healthy, in traffic", json_string_value(id));
	return rc;
}

/* Take old replica ID out of traffic, remembering it in TAKEN. */
static int take_out(struct roll *r, json_t *id, json_t *taken, char **err)
{
	int rc = replica_call(r, "runtime.disable", id, NULL, err);
	if (!rc) {
		json_array_append(taken, id);
		step(r, "old replica %s out of traffic", json_string_value(id));
	}
	return rc;
}

/* An integer of ARGS.config, else the plugin's option, else DFLT; >= 0. */
static int knob(struct roll *r, const char *name, int dflt)
{
	json_t *v = json_object_get(json_object_get(r->args, "config"), name);
	if (!json_is_integer(v))
		v = paved->option(r->ctx, name);
	int n = json_is_integer(v) ? (int)json_integer_value(v) : dflt;
	return n < 0 ? 0 : n;
}

/* Undo after a failure: the old replicas this run took out go back in
 * (first, so traffic never drops), then the new ones are removed.  Sets
 * the outcome and reason in RESULT. */
static void undo(struct roll *r, json_t *taken, json_t *news, size_t nin, json_t *result)
{
	size_t i;
	json_t *id;
	char *err = NULL, back[256] = "", lost[256] = "";
	int failed = 0;
	json_array_foreach(taken, i, id) {
		if (replica_call(r, "runtime.enable", id, NULL, &err)) {
			step(r, "could not put old replica %s back in traffic: %s", json_string_value(id),
			     err ? err : "?");
			snprintf(lost + strlen(lost), sizeof lost - strlen(lost), "%s%s", failed ? ", " : "",
			         json_string_value(id));
			failed++;
		} else {
			step(r, "old replica %s back in traffic", json_string_value(id));
			snprintf(back + strlen(back), sizeof back - strlen(back), "%s%s",
			         strlen(back) ? ", " : "", json_string_value(id));
		}
		free(err), err = NULL;
	}
	json_array_foreach(news, i, id) {
		if (replica_call(r, "runtime.remove", id, NULL, &err))
			step(r, "could not remove new replica %s: %s", json_string_value(id), err ? err : "?");
		else
			step(r, "new replica %s removed", json_string_value(id));
		free(err), err = NULL;
	}
	char reason[640];
	const char *outcome = "rolled_back";
	if (nin == 0) {
		outcome = "failed";
		snprintf(reason, sizeof reason, "nothing was in traffic before this deploy");
	} else if (failed) {
		outcome = "failed";
		snprintf(reason, sizeof reason, "rolling back, old replica%s %s could not be put back "
		         "in traffic", failed > 1 ? "s" : "", lost);
	} else if (*back) {
		snprintf(reason, sizeof reason, "rolled back: old replicas %s are back in traffic", back);
	} else {
		snprintf(reason, sizeof reason, "rolled back: the old replicas never left traffic");
	}
	json_object_set_new(result, "outcome", json_string(outcome));
	json_object_set_new(result, "reason", json_string(reason));
}

/* deploy.driver.rolling.run: see the top of this file. */
static int h_run(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct roll r = { ctx, args, json_string_value(json_object_get(args, "service")),
	                  json_string_value(json_object_get(args, "env")),
	                  json_string_value(json_object_get(args, "version")), NULL, NULL, pc_now() };
	if (!r.svc || !r.env || !r.version || !json_array_size(json_object_get(args, "argv")))
		return paved->error(errmsg, "arguments 'service', 'env', 'version' and 'argv' are "
		                    "required");
	r.steps = json_array();
	r.fields = json_pack("{ss ss ss ss}", "service", r.svc, "env", r.env, "version", r.version,
	                     "strategy", "rolling");
	json_t *rv = json_object_get(args, "replicas");
	int n = json_is_integer(rv) && json_integer_value(rv) > 0 ? (int)json_integer_value(rv) : 1;
	int surge = knob(&r, "max_surge", 1), unav = knob(&r, "max_unavailable", 0);
	if (surge + unav == 0)
		surge = 1;
	double timeout = json_number_value(json_object_get(args, "health_timeout"));
	if (timeout <= 0)
		timeout = 30;
	json_t *se = json_pack("{ss ss}", "service", r.svc, "env", r.env), *st = NULL;
	json_t *olds = json_array(), *news = json_array(), *taken = json_array(), *rep;
	char *err = NULL;
	int rc = paved->call(ctx, "runtime.status", se, &st, &err);
	size_t i, nin = 0, oi = 0;
	/* in-traffic old replicas first: they are the ones taken out step by step */
	json_t *reps = json_object_get(json_array_get(st, 0), "replicas");
	json_array_foreach(reps, i, rep)
		if (json_is_true(json_object_get(rep, "enabled")))
			json_array_append(olds, json_object_get(rep, "id")), nin++;
	json_array_foreach(reps, i, rep)
		if (!json_is_true(json_object_get(rep, "enabled")))
			json_array_append(olds, json_object_get(rep, "id"));
	if (!rc)
		step(&r, "replace %zu replica%s in traffic by %d of version %s (max surge %d, max "
		     "unavailable %d)", nin, nin == 1 ? "" : "s", n, r.version, surge, unav);
	int done = 0;
	while (!rc && done < n) {
		int b = surge + unav < n - done ? surge + unav : n - done;
		for (int k = 0; !rc && k < unav && oi < nin; k++)
			rc = take_out(&r, json_array_get(olds, oi++), taken, &err);
		json_t *batch = json_array(), *id;
		for (int k = 0; !rc && k < b; k++) {
			if (!(rc = start_one(&r, &id, &err))) {
				json_array_append(news, id);
				json_array_append_new(batch, id);
			}
		}
		json_array_foreach(batch, i, id)
			if (!rc)
				rc = wait_enable(&r, id, timeout, &err);
		json_decref(batch);
		if (!rc)
			done += b;
		/* keep N in traffic: the old ones beyond N - done leave */
		while (!rc && nin - oi > (size_t)(n - done))
			rc = take_out(&r, json_array_get(olds, oi++), taken, &err);
	}
	*result = json_object();
	if (!rc) {
		json_array_foreach(olds, i, rep) {
			char *e2 = NULL;
			if (replica_call(&r, "runtime.remove", rep, NULL, &e2))
				step(&r, "could not remove old replica %s: %s", json_string_value(rep),
				     e2 ? e2 : "?");
			else
				step(&r, "old replica %s removed", json_string_value(rep));
			free(e2);
		}
		json_object_set_new(*result, "outcome", json_string("success"));
		json_object_set_new(*result, "replicas", json_integer(n));
	} else {
		undo(&r, taken, news, nin, *result);
		paved->error(errmsg, "%s", err ? err : "the rollout failed");
	}
	json_object_set(*result, "steps", r.steps);
	free(err);
	json_decref(st), json_decref(se), json_decref(olds), json_decref(news), json_decref(taken);
	json_decref(r.steps), json_decref(r.fields);
	return rc ? PAVED_ERR : PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "deploy.driver.rolling.run", h_run, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "max_surge", PAVED_OPT_INT, "1",
	  "new replicas started ahead of old ones leaving traffic (config.max_surge overrides)" },
	{ "max_unavailable", PAVED_OPT_INT, "0",
	  "old replicas taken out of traffic before their replacement is healthy" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(deploy_rolling, "0.2.0", "the deploy strategy 'rolling': replicas replaced in steps",
                     init, NULL, options);
