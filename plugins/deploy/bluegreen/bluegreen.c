/* bluegreen.c -- deploy_bluegreen: the strategy deploy.bluegreen.
 *   deploy.bluegreen {service, env, version, dir, argv, env_vars, replicas,
 *                     health_timeout?, keep_seconds?} -> {outcome, replicas, colour}
 * Starts the new colour (N replicas, out of traffic) next to the live one,
 * waits for /health of each, then switches traffic in one runtime-API line
 * (runtime.switch: new servers ready, old servers maint, no reload).  The
 * old colour keeps running out of traffic for keep_seconds (option, 300),
 * so `paved rollback` switches back instantly; runtime.prune removes it
 * afterwards (called by each deploy and rollback).  A new colour that never
 * becomes healthy is removed and the live colour never left traffic. */
#include <paved/plugin.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"

PAVED_PLUGIN_INIT1;

static void replica_call(paved_ctx *ctx, const char *hook, const char *svc, const char *env,
                         json_t *id)
{
	json_t *a = json_pack("{ss ss sO}", "service", svc, "env", env, "id", id);
	pc_call(ctx, hook, a, NULL, NULL);
	json_decref(a);
}

static void step(paved_ctx *ctx, const char *svc, const char *env, const char *what)
{
	json_t *ev = json_pack("{ss ss ss ss}", "service", svc, "env", env, "strategy", "bluegreen",
	                       "step", what);
	paved->emit(ctx, "deploy.step", ev);
	json_decref(ev);
}

static int h_bluegreen(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env")) ?: "dev";
	if (!svc || !*svc)
		return paved->error(errmsg, "argument 'service' is required");
	int n = (int)json_integer_value(json_object_get(args, "replicas"));
	if (n <= 0)
		n = 2;
	double timeout = json_number_value(json_object_get(args, "health_timeout"));
	json_t *ks = json_object_get(args, "keep_seconds");
	if (!json_is_number(ks))
		ks = paved->option(ctx, "keep_seconds");
	double keep = json_is_number(ks) ? json_number_value(ks) : 300;
	json_t *se = json_pack("{ss ss}", "service", svc, "env", env), *st = NULL;
	pc_call(ctx, "runtime.status", se, &st, NULL);
	json_t *live = json_array(), *news = json_array();
	size_t i;
	json_t *r;
	/* one standby colour at most: an older one still kept goes now */
	json_array_foreach(json_object_get(json_array_get(st, 0), "replicas"), i, r) {
		if (json_is_true(json_object_get(r, "enabled")))
			json_array_append(live, json_object_get(r, "id"));
		else
			replica_call(ctx, "runtime.remove", svc, env, json_object_get(r, "id"));
	}
	json_decref(st);
	int rc = PAVED_OK;
	char *err = NULL;
	step(ctx, svc, env, "start new colour");
	for (int k = 0; k < n && !rc; k++) {
		json_t *a = json_deep_copy(args), *res = NULL;
		json_object_set_new(a, "service", json_string(svc));
		json_object_set_new(a, "env", json_string(env));
		rc = pc_call(ctx, "runtime.start", a, &res, &err);
		if (!rc)
			json_array_append(news, json_object_get(res, "id"));
		json_decref(a), json_decref(res);
	}
	json_array_foreach(news, i, r) {
		if (rc)
			break;
		json_t *a = json_pack("{ss ss sO sf}", "service", svc, "env", env, "id", r,
		                      "timeout", timeout > 0 ? timeout : 30.0);
		rc = pc_call(ctx, "runtime.wait", a, NULL, &err);
		json_decref(a);
	}
	if (!rc) {
		step(ctx, svc, env, "new colour healthy; switch traffic");
		json_t *a = json_pack("{ss ss sO sO sf}", "service", svc, "env", env, "enable", news,
		                      "disable", live, "keep_seconds", keep);
		rc = pc_call(ctx, "runtime.switch", a, NULL, &err);
		json_decref(a);
	}
	if (rc) {   /* the live colour never left traffic: drop the new one */
		json_array_foreach(news, i, r)
			replica_call(ctx, "runtime.remove", svc, env, r);
		int rolled = json_array_size(live) > 0;
		*result = json_pack("{ss}", "outcome", rolled ? "rolled_back" : "failed");
		paved->error(errmsg, "%s%s", err ? err : "blue-green deploy failed",
		           rolled ? "; rolled back, the previous version keeps serving" : "");
	} else {
		step(ctx, svc, env, "switched; old colour kept out of traffic");
		paved->log(ctx, PAVED_LOG_INFO, "bluegreen: %s/%s switched to %zu new replicas; the old "
		         "colour (%zu) stays up %.0f s for paved rollback", env, svc,
		         json_array_size(news), json_array_size(live), keep);
		*result = json_pack("{ss si sO sf}", "outcome", "success", "replicas", n,
		                    "standby", live, "keep_seconds", keep);
	}
	free(err);
	json_decref(se), json_decref(live), json_decref(news);
	return rc ? PAVED_ERR : PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "deploy.bluegreen", h_bluegreen, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "keep_seconds", PAVED_OPT_INT, "300",
	  "seconds the old colour stays up (out of traffic) for an instant rollback" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(deploy_bluegreen, "0.1.0", "blue-green deploys: switch traffic atomically",
                     init, NULL, options);
