/*
 * health.c -- a service's live state for `catalog show` and the fleet view
 * (`catalog list --health`).  Internal prefix: health_.
 *
 * The catalog knows what a service is; what it is doing comes from the
 * plugins that run it, each through a declared hook, each optional:
 *   - runtime.status {service?, env?} (the runtime front): its URL and
 *     replicas, in traffic or not, healthy or not;
 *   - the deploy plugin's records, kept with state_put in namespace
 *     "deploy" (current/ENV/SERVICE: the live deployment, last/ENV/SERVICE:
 *     the latest attempt): live version, when and how it was deployed;
 *   - deploy.status {service, env} (the deploy front): a rollout under way;
 *   - metrics.red {service, env}: error rate and latency, once an
 *     observability plugin provides it.
 * A hook nobody provides leaves its part "unknown" with a note saying
 * which plugin is missing; it is never an error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glue.h"

/* Whether NAME can be a service name (sdk/hooks.json's "name"). */
static bool service_name(const char *s)
{
	size_t n = 0;
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return false;
	return n <= 63;
}

/* Add a note (formatted) to the array NOTES unless it is there already. */
static void note(json_t *notes, const char *fmt, const char *a, const char *b)
{
	char buf[512];
	json_t *x;
	size_t i;
	snprintf(buf, sizeof buf, fmt, a ? a : "", b ? b : "");
	json_array_foreach(notes, i, x)
		if (!strcmp(json_string_value(x), buf))
			return;
	json_array_append_new(notes, json_string(buf));
}

/* Epoch seconds as "YYYY-MM-DDTHH:MM:SSZ" (JSON string), or NULL. */
static json_t *iso_time(json_t *t)
{
	char buf[32];
	if (!json_is_number(t))
		return json_string_value(t) ? json_incref(t) : NULL;
	time_t secs = (time_t)floor(json_number_value(t));
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return json_string(buf);
}

/* How bad a status is, to pick the worst of several envs. */
static int badness(const char *s)
{
	static const char *const order[] = { "healthy", "not deployed", "unknown", "stopped",
	                                     "degraded", "down", NULL };
	for (int i = 0; order[i]; i++)
		if (!strcmp(s, order[i]))
			return i;
	return 2;
}

/* The status of one runtime.status item S: replicas in traffic and how
 * many of them answer their health check. */
static json_t *runtime_state(json_t *s)
{
	json_t *reps = json_object_get(s, "replicas"), *r, *versions = json_array();
	size_t i;
	int total = 0, in_traffic = 0, healthy = 0, unknown = 0;
	json_array_foreach(reps, i, r) {
		total++;
		if (!json_is_true(json_object_get(r, "enabled")))
			continue;
		in_traffic++;
		json_t *h = json_object_get(r, "healthy");
		healthy += json_is_true(h);
		unknown += !json_is_boolean(h);
		json_t *v = json_object_get(r, "version");
		bool seen = false;
		json_t *y;
		size_t k;
		json_array_foreach(versions, k, y)
			seen = seen || json_equal(y, v);
		if (json_is_string(v) && !seen)
			json_array_append(versions, v);
	}
	const char *status = total == 0 || json_is_false(json_object_get(s, "running")) ? "stopped"
	                   : in_traffic == 0 || (healthy == 0 && unknown == 0) ? "down"
	                   : healthy == in_traffic ? "healthy"
	                   : healthy + unknown == in_traffic && healthy == 0 ? "unknown"
	                   : "degraded";
	return json_pack("{s:s, s:O?, s:{s:i, s:i, s:i}, s:o}", "status", status,
	                 "url", json_object_get(s, "url"), "replicas", "healthy", healthy,
	                 "in_traffic", in_traffic, "total", total, "versions", versions);
}

/* Add the deploy records of SERVICE in ENV to the env state ST. */
static void add_records(paved_ctx *ctx, const char *service, const char *env, json_t *st)
{
	char key[300];
	snprintf(key, sizeof key, "current/%s/%s", env, service);
	json_t *cur = paved->state_get(ctx, "deploy", key);
	snprintf(key, sizeof key, "last/%s/%s", env, service);
	json_t *last = paved->state_get(ctx, "deploy", key);
	if (cur) {
		json_object_set(st, "version", json_object_get(cur, "version"));
		json_t *at = iso_time(json_object_get(cur, "end"));
		if (at)
			json_object_set_new(st, "deployed_at", at);
		json_object_set(st, "strategy", json_object_get(cur, "strategy"));
		if (!json_object_get(st, "url") || json_is_null(json_object_get(st, "url")))
			json_object_set(st, "url", json_object_get(cur, "url"));
	} else {
		json_t *v = json_array_get(json_object_get(st, "versions"), 0);
		if (v)
			json_object_set(st, "version", v);
	}
	if (last && (!cur || !json_equal(json_object_get(last, "id"), json_object_get(cur, "id")))) {
		json_t *at = iso_time(json_object_get(last, "end"));
		json_object_set_new(st, "last_attempt", json_pack("{s:O?, s:O?, s:o?}", "version",
		                    json_object_get(last, "version"), "outcome",
		                    json_object_get(last, "outcome"), "at", at));
	}
	json_object_del(st, "versions");
	json_decref(cur), json_decref(last);
}

/* deploy.status (a rollout under way) and metrics.red of SERVICE in ENV
 * into ST; what no plugin provides goes to NOTES. */
static void add_live(paved_ctx *ctx, const char *service, const char *env, json_t *st,
                     json_t *notes)
{
	json_t *a = json_pack("{ss ss}", "service", service, "env", env), *r = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "deploy.status", a, &r, &err);
	if (rc == PAVED_OK && json_is_object(r) && json_object_size(r))
		json_object_set(st, "rollout", r);
	json_decref(r), free(err);
	r = NULL, err = NULL;
	rc = paved->call(ctx, "metrics.red", a, &r, &err);
	if (rc == PAVED_OK && json_is_object(r))
		json_object_set(st, "metrics", r);
	else if (rc == PAVED_NOHOOK)
		note(notes, "error rate and latency: unknown (no plugin provides metrics.red)%s%s",
		     NULL, NULL);
	else
		note(notes, "error rate and latency: %s%s", err ? err : "metrics.red failed", NULL);
	json_decref(r), free(err), json_decref(a);
}

/* runtime.status for ARGS; NULL with a note when it cannot say. */
static json_t *runtime_status(paved_ctx *ctx, json_t *args, json_t *notes)
{
	json_t *r = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "runtime.status", args, &r, &err);
	if (rc == PAVED_OK && json_is_array(r)) {
		free(err);
		return r;
	}
	if (rc == PAVED_NOHOOK)
		note(notes, "health unknown: no runtime plugin is installed (runtime.status)%s%s",
		     NULL, NULL);
	else
		note(notes, "health unknown: %s%s", err ? err : "runtime.status failed", NULL);
	json_decref(r), free(err);
	return NULL;
}

json_t *health_of(paved_ctx *ctx, json_t *entity, const char *env, bool live)
{
	const char *service = cat_get_str(entity, "metadata.name");
	const char *declared = cat_annotation(entity, CAT_ANN_HEALTH);
	json_t *notes = json_array(), *envs = json_array(), *st, *x;
	size_t i;
	const char *worst = "unknown";
	if (!service_name(service)) {
		note(notes, "health unknown: '%s' cannot be a service name%s", service, NULL);
		goto out;
	}
	json_t *args = json_pack("{ss}", "service", service);
	if (env)
		json_object_set_new(args, "env", json_string(env));
	json_t *items = runtime_status(ctx, args, notes);
	json_decref(args);
	if (items && !json_array_size(items))
		worst = "not deployed";
	json_array_foreach(items, i, x) {
		const char *e = json_string_value(json_object_get(x, "env"));
		if (!e || strcmp(json_string_value(json_object_get(x, "service")) ?: "", service))
			continue;
		st = runtime_state(x);
		json_object_set_new(st, "env", json_string(e));
		add_records(ctx, service, e, st);
		if (live)
			add_live(ctx, service, e, st, notes);
		const char *s = json_string_value(json_object_get(st, "status"));
		if (json_array_size(envs) == 0 || badness(s) > badness(worst))
			worst = s;
		json_array_append_new(envs, st);
	}
	json_decref(items);
	if (!json_array_size(envs) && env) {   /* no runtime: the records still say something */
		st = json_pack("{ss ss}", "env", env, "status", "unknown");
		add_records(ctx, service, env, st);
		if (json_object_get(st, "version"))
			json_array_append(envs, st);
		json_decref(st);
	}
out:;
	json_t *h = json_pack("{s:s, s:o, s:o}", "status", worst, "envs", envs, "notes", notes);
	if (declared)
		json_object_set_new(h, "declared_url", json_string(declared));
	return h;
}

json_t *health_fleet(paved_ctx *ctx, json_t *entities, const char *env, json_t *notes)
{
	json_t *args = env ? json_pack("{ss}", "env", env) : json_object(), *out = json_array();
	json_t *items = runtime_status(ctx, args, notes), *e, *x;
	size_t i, k;
	json_decref(args);
	json_array_foreach(entities, i, e) {
		const char *service = cat_get_str(e, "metadata.name");
		char *ref = cat_entity_ref(e);
		bool any = false;
		json_array_foreach(items, k, x) {
			const char *s = json_string_value(json_object_get(x, "service"));
			const char *xe = json_string_value(json_object_get(x, "env"));
			if (!s || !xe || !service || strcmp(s, service))
				continue;
			json_t *st = runtime_state(x);
			add_records(ctx, service, xe, st);
			json_object_set_new(st, "env", json_string(xe));
			json_object_set_new(st, "ref", json_string(ref));
			json_array_append_new(out, st);
			any = true;
		}
		if (!any)
			json_array_append_new(out, json_pack("{s:s, s:s, s:n}", "ref", ref, "status",
			                      items ? "not deployed" : "unknown", "env"));
		free(ref);
	}
	json_decref(items);
	return out;
}
