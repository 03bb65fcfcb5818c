/*
 * bluegreen.c -- deploy_bluegreen: the deploy strategy driver "bluegreen".
 *
 *   deploy.driver.bluegreen.run {service, env, version, dir, argv, variables?,
 *       replicas?, health?, health_timeout?, config?}
 *     -> {outcome: "success", replicas, steps, standby: [ids]}
 *   on failure: the error, and beside it {outcome: "rolled_back" | "failed",
 *     reason, steps}
 *
 * It receives a built release and talks only to the runtime fronts.  The
 * new colour (N replicas, out of traffic) starts next to the live one;
 * once every new replica answers its health check, traffic moves in one
 * runtime.weights call (new replicas weight 100, old ones 0).  The old
 * colour keeps running out of traffic, so switching back is instant; it is
 * removed by the next deploy (one standby colour at most) or by
 * runtime.prune.  When healthy out-of-traffic replicas of VERSION are
 * already there (the colour kept by the previous deploy: what `paved
 * rollback` goes back to), they are switched back in without starting new
 * ones.  A new colour that never becomes healthy is removed: the live one
 * never left traffic.
 */
#include <paved/plugin.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"

PAVED_PLUGIN_INIT1;

/* One run: the call's arguments (borrowed) and its steps so far. */
struct bg {
	paved_ctx  *ctx;
	json_t     *args;
	const char *svc, *env, *version;
	json_t     *steps;
	json_t     *fields;     /* of its deploy.step events */
	double      t0;
};

/* Record a step and emit deploy.step. */
#define step(b, ...) pc_step((b)->ctx, (b)->steps, (b)->t0, (b)->fields, __VA_ARGS__)

/* Call runtime HOOK for replica ID with EXTRA fields (may be NULL). */
#define on_replica(b, hook, id, extra, err) \
	pc_replica_call((b)->ctx, hook, (b)->svc, (b)->env, id, extra, err)

/* Move traffic to the replicas NEWS and away from LIVE in one
 * runtime.weights call.  A runtime driver without that verb gets enable
 * for each new replica, then disable for each old one: never fewer
 * replicas in traffic, but not one step. */
static int switch_to(struct bg *b, json_t *news, json_t *live, char **err)
{
	json_t *w = json_object(), *id, *res = NULL;
	size_t i;
	json_array_foreach(news, i, id)
		json_object_set_new(w, json_string_value(id), json_integer(100));
	json_array_foreach(live, i, id)
		json_object_set_new(w, json_string_value(id), json_integer(0));
	json_t *a = json_pack("{ss ss so}", "service", b->svc, "env", b->env, "weights", w);
	int rc = paved->call(b->ctx, "runtime.weights", a, &res, err);
	json_decref(res), json_decref(a);
	if (rc != PAVED_NOHOOK)
		return rc;
	free(*err), *err = NULL;
	rc = PAVED_OK;
	json_array_foreach(news, i, id)
		if (!rc)
			rc = on_replica(b, "runtime.enable", id, NULL, err);
	json_array_foreach(live, i, id)
		if (!rc)
			rc = on_replica(b, "runtime.disable", id, NULL, err);
	return rc;
}

/* Start the new colour: N replicas of the release, appended to NEWS. */
static int start_colour(struct bg *b, int n, json_t *news, char **err)
{
	static const char *const copied[] = { "version", "dir", "argv", "variables", "health", NULL };
	int rc = PAVED_OK;
	for (int k = 0; k < n && !rc; k++) {
		json_t *a = json_pack("{ss ss}", "service", b->svc, "env", b->env), *res = NULL;
		for (size_t i = 0; copied[i]; i++)
			if (json_object_get(b->args, copied[i]))
				json_object_set(a, copied[i], json_object_get(b->args, copied[i]));
		rc = paved->call(b->ctx, "runtime.start", a, &res, err);
		json_t *id = json_object_get(res, "id");
		if (!rc && json_is_string(id)) {
			json_array_append(news, id);
			step(b, "started replica %s (port %d)", json_string_value(id),
			     (int)json_integer_value(json_object_get(res, "port")));
		} else if (!rc) {
			rc = paved->error(err, "runtime.start answered without a replica id");
		}
		json_decref(res), json_decref(a);
	}
	return rc;
}

/* deploy.driver.bluegreen.run: see the top of this file. */
static int h_run(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct bg b = { ctx, args, json_string_value(json_object_get(args, "service")),
	                json_string_value(json_object_get(args, "env")),
	                json_string_value(json_object_get(args, "version")), NULL, NULL, pc_now() };
	if (!b.svc || !b.env || !b.version || !json_array_size(json_object_get(args, "argv")))
		return paved->error(errmsg, "arguments 'service', 'env', 'version' and 'argv' are "
		                    "required");
	b.steps = json_array();
	b.fields = json_pack("{ss ss ss ss}", "service", b.svc, "env", b.env, "version", b.version,
	                     "strategy", "bluegreen");
	json_t *rv = json_object_get(args, "replicas");
	int n = json_is_integer(rv) && json_integer_value(rv) > 0 ? (int)json_integer_value(rv) : 1;
	double timeout = json_number_value(json_object_get(args, "health_timeout"));
	json_t *se = json_pack("{ss ss}", "service", b.svc, "env", b.env), *st = NULL, *r;
	json_t *live = json_array(), *news = json_array(), *kept = json_array();
	char *err = NULL;
	size_t i;
	int rc = paved->call(ctx, "runtime.status", se, &st, &err);
	/* the live colour; a kept colour of this very version is reused, any
	 * other kept colour goes now (one standby colour at most) */
	json_array_foreach(json_object_get(json_array_get(st, 0), "replicas"), i, r) {
		const char *v = json_string_value(json_object_get(r, "version"));
		if (json_is_true(json_object_get(r, "enabled")))
			json_array_append(live, json_object_get(r, "id"));
		else if (v && !strcmp(v, b.version) && json_is_true(json_object_get(r, "healthy")))
			json_array_append(kept, json_object_get(r, "id"));
		else if (!rc) {
			char *e2 = NULL;
			const char *id = json_string_value(json_object_get(r, "id"));
			if (on_replica(&b, "runtime.remove", json_object_get(r, "id"), NULL, &e2))
				step(&b, "could not remove old standby replica %s: %s", id, e2 ? e2 : "?");
			else
				step(&b, "old standby replica %s removed", id);
			free(e2);
		}
	}
	if (!rc && json_array_size(kept)) {
		step(&b, "%zu kept replica%s of version %s still healthy: switching back to them",
		     json_array_size(kept), json_array_size(kept) == 1 ? "" : "s", b.version);
		json_array_extend(news, kept);
	} else if (!rc) {
		step(&b, "start the new colour: %d replica%s of version %s", n, n == 1 ? "" : "s", b.version);
		rc = start_colour(&b, n, news, &err);
		json_array_foreach(news, i, r) {
			if (rc)
				break;
			json_t *w = json_pack("{sf}", "timeout", timeout > 0 ? timeout : 30.0);
			if (json_is_string(json_object_get(args, "health")))
				json_object_set(w, "path", json_object_get(args, "health"));
			rc = on_replica(&b, "runtime.wait", r, w, &err);
			json_decref(w);
		}
		if (!rc)
			step(&b, "new colour healthy");
	}
	if (!rc && !(rc = switch_to(&b, news, live, &err)))
		step(&b, "switched traffic: %zu new replica%s in, %zu old kept out of traffic",
		     json_array_size(news), json_array_size(news) == 1 ? "" : "s", json_array_size(live));
	*result = json_object();
	if (rc) {
		/* the switch is one call: if it failed, the live colour is where it
		 * was; the new one goes (a reused kept colour stays kept) */
		json_array_foreach(news, i, r) {
			char *e2 = NULL;
			bool reused = false;
			for (size_t k = 0; k < json_array_size(kept); k++)
				reused = reused || json_equal(r, json_array_get(kept, k));
			if (!reused && on_replica(&b, "runtime.remove", r, NULL, &e2))
				step(&b, "could not remove new replica %s: %s", json_string_value(r), e2 ? e2 : "?");
			free(e2);
		}
		json_object_set_new(*result, "outcome", json_string(json_array_size(live) ? "rolled_back"
		                                                                           : "failed"));
		json_object_set_new(*result, "reason", json_string(json_array_size(live)
		                    ? "the live colour never left traffic" : "nothing was in traffic before "
		                    "this deploy"));
		paved->error(errmsg, "%s", err ? err : "the blue-green deploy failed");
	} else {
		json_object_set_new(*result, "outcome", json_string("success"));
		json_object_set_new(*result, "replicas", json_integer((json_int_t)json_array_size(news)));
		json_object_set(*result, "standby", live);
	}
	json_object_set(*result, "steps", b.steps);
	free(err);
	json_decref(st), json_decref(se), json_decref(live), json_decref(news), json_decref(kept);
	json_decref(b.steps), json_decref(b.fields);
	return rc ? PAVED_ERR : PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "deploy.driver.bluegreen.run", h_run, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(deploy_bluegreen, "0.2.0",
                     "the deploy strategy 'bluegreen': switch traffic in one step",
                     init, NULL, NULL);
