/*
 * measure.c -- analysis runs of a rollout: windows, measurements through
 * the fronts analysis.begin / analysis.measure (the metric's provider is
 * the selector), conditions through condition.eval (the Lua sandbox), the
 * judge, and what is reported and exported (see canary.h).
 *
 * A run in the state:
 *   {name, judged, started, phase, message, metrics: [METRIC],
 *    results: {NAME: result (analysis.h)}, cursors: {NAME: {canary,
 *    baseline}}, begun: {NAME: true}, samples: {NAME: {canary: [],
 *    baseline: []}}, judge: verdict?}
 * A metric's window opens one interval before its first measurement
 * (analysis.begin: the haproxy provider notes its counters), so the first
 * value covers an interval like the others.  A judged run measures the
 * baseline's replicas too (the same metric, role "baseline"): those values
 * are samples for the judge only; the conditions look at the canary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "judge.h"

json_t *cn_run_new(json_t *metrics, bool judged, double now)
{
	json_t *run = json_pack("{sb sf ss sO s{} s{} s{} s{}}", "judged", judged, "started", now,
	                        "phase", CA_RUNNING, "metrics", metrics, "results", "cursors",
	                        "begun", "samples");
	size_t i;
	json_t *m;
	json_array_foreach(metrics, i, m)
		json_object_set_new(json_object_get(run, "results"),
		                    json_string_value(json_object_get(m, "name")), ca_result_new(m, now));
	return run;
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* When metric M's window opens: one interval before its first measurement
 * (not before the run started). */
static double begin_at(json_t *run, json_t *m)
{
	json_t *r = json_object_get(json_object_get(run, "results"),
	                            json_string_value(json_object_get(m, "name")));
	double t = num(r, "next") - num(m, "interval");
	return t > num(run, "started") ? t : num(run, "started");
}

double cn_run_next(json_t *run)
{
	double next = 0;
	size_t i;
	json_t *m;
	if (ca_completed(json_string_value(json_object_get(run, "phase"))))
		return 0;
	json_array_foreach(json_object_get(run, "metrics"), i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		json_t *r = json_object_get(json_object_get(run, "results"), name);
		if (ca_completed(json_string_value(json_object_get(r, "phase"))))
			continue;
		double t = json_object_get(json_object_get(run, "begun"), name) ? num(r, "next")
		           : begin_at(run, m);
		if (!next || t < next)
			next = t;
	}
	return next;
}

/* The arguments of analysis.VERB for metric M of RUN over GROUP
 * ("canary" or "baseline") of ST. */
static json_t *verb_args(json_t *st, json_t *m, const char *group)
{
	json_t *a = json_pack("{sO sO sO sO sO ss}", "service", json_object_get(st, "service"), "env",
	                      json_object_get(st, "env"), "provider", json_object_get(m, "provider"),
	                      "metric", m, "replicas",
	                      json_object_get(json_object_get(st, "ids"), group), "role", group);
	json_t *rel = json_object_get(st, "release");
	if (!strcmp(group, "canary"))
		json_object_set(a, "version", json_object_get(st, "version"));
	else
		json_object_set(a, "version", json_object_get(st, "stable_version"));
	if (json_is_string(json_object_get(st, "stable_version")))
		json_object_set(a, "stable_version", json_object_get(st, "stable_version"));
	if (json_is_string(json_object_get(rel, "dir")))
		json_object_set(a, "dir", json_object_get(rel, "dir"));
	if (json_is_string(json_object_get(st, "url")))
		json_object_set(a, "url", json_object_get(st, "url"));
	double w = num(m, "interval");
	json_object_set_new(a, "window", json_real(w > 0 ? w : 60));
	return a;
}

/* Call analysis.VERB with A: {value?, cursor?, error?} (new). */
static json_t *call(paved_ctx *ctx, const char *verb, json_t *a)
{
	char hook[64], *err = NULL;
	json_t *res = NULL, *out = json_object();
	snprintf(hook, sizeof hook, "analysis.%s", verb);
	int rc = paved->call(ctx, hook, a, &res, &err);
	if (rc == PAVED_NOHOOK && !strcmp(verb, "begin")) {
		/* a provider without windows (prometheus, webhook, job) */
	} else if (rc) {
		char *e = err ? err : strdup("failed");
		e[strcspn(e, "\n")] = '\0';
		/* the host prefixes "PLUGIN: HOOK: ": keep the provider's own words */
		const char *inner = strstr(e, ".measure: ") ? strstr(e, ".measure: ") + 10 :
		                    strstr(e, ".begin: ") ? strstr(e, ".begin: ") + 8 : e;
		json_object_set_new(out, "error", json_string(inner));
		if (e != err)
			free(e);
	} else {
		if (json_object_get(res, "value"))
			json_object_set(out, "value", json_object_get(res, "value"));
		if (json_object_get(res, "cursor"))
			json_object_set(out, "cursor", json_object_get(res, "cursor"));
	}
	free(err);
	json_decref(res);
	return out;
}

void cn_run_measure(paved_ctx *ctx, json_t *st, json_t *run, double now, json_t **taken)
{
	json_t *m;
	size_t i;
	bool judged = json_is_true(json_object_get(run, "judged"));
	*taken = json_pack("{sf s{} s{}}", "at", now, "begin", "values");
	if (ca_completed(json_string_value(json_object_get(run, "phase"))))
		return;
	json_array_foreach(json_object_get(run, "metrics"), i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		json_t *r = json_object_get(json_object_get(run, "results"), name);
		if (ca_completed(json_string_value(json_object_get(r, "phase"))))
			continue;
		static const char *const groups[] = { "canary", "baseline" };
		if (!json_object_get(json_object_get(run, "begun"), name)) {
			if (now < begin_at(run, m))
				continue;
			json_t *b = json_object();
			for (int g = 0; g < (judged ? 2 : 1); g++) {
				json_t *a = verb_args(st, m, groups[g]);
				json_object_set_new(b, groups[g], call(ctx, "begin", a));
				json_decref(a);
			}
			json_object_set_new(json_object_get(*taken, "begin"), name, b);
			if (!ca_due(r, now))
				continue;
		}
		if (!ca_due(r, now))
			continue;
		json_t *v = json_object(), *cur = json_object_get(json_object_get(run, "cursors"), name);
		json_t *b = json_object_get(json_object_get(*taken, "begin"), name);
		for (int g = 0; g < (judged ? 2 : 1); g++) {
			json_t *a = verb_args(st, m, groups[g]);
			json_t *c = json_object_get(json_object_get(b, groups[g]), "cursor");
			if (!c)
				c = json_object_get(cur, groups[g]);
			if (c)
				json_object_set(a, "cursor", c);
			json_object_set_new(v, groups[g], call(ctx, "measure", a));
			json_decref(a);
		}
		json_object_set_new(json_object_get(*taken, "values"), name, v);
	}
}

/* condition.eval in the Lua sandbox, for analysis.c. */
static int eval(void *ud, const char *cond, json_t *result, bool *holds, char **err)
{
	paved_ctx *ctx = ud;
	json_t *a = json_pack("{ss sO}", "condition", cond, "result", result), *res = NULL;
	char *e = NULL;
	int rc = paved->call(ctx, "condition.eval", a, &res, &e);
	json_decref(a);
	if (rc == PAVED_OK && json_is_boolean(json_object_get(res, "value"))) {
		*holds = json_is_true(json_object_get(res, "value"));
		json_decref(res);
		free(e);
		return 0;
	}
	json_decref(res);
	if (e) {
		e[strcspn(e, "\n")] = '\0';
		const char *inner = strstr(e, "condition.eval: ");
		*err = strdup(inner ? inner + 16 : e);
		free(e);
	} else {
		*err = strdup("condition.eval gave no value");
	}
	return -1;
}

static void sample(json_t *run, const char *name, const char *group, json_t *value)
{
	json_t *s = json_object_get(json_object_get(run, "samples"), name);
	if (!s)
		json_object_set_new(json_object_get(run, "samples"), name,
		                    s = json_pack("{s[] s[]}", "canary", "baseline"));
	if (json_is_number(value))
		json_array_append(json_object_get(s, group), value);
}

const char *cn_run_apply(paved_ctx *ctx, json_t *st, json_t *run, json_t *taken, char **why)
{
	json_t *m, *b, *v;
	const char *name;
	size_t i;
	double at = num(taken, "at");
	*why = NULL;
	json_object_foreach(json_object_get(taken, "begin"), name, b) {
		json_object_set_new(json_object_get(run, "begun"), name, json_true());
		json_t *c = json_object();
		json_t *cc = json_object_get(json_object_get(b, "canary"), "cursor");
		json_t *bc = json_object_get(json_object_get(b, "baseline"), "cursor");
		if (cc)
			json_object_set(c, "canary", cc);
		if (bc)
			json_object_set(c, "baseline", bc);
		json_object_set_new(json_object_get(run, "cursors"), name, c);
	}
	json_array_foreach(json_object_get(run, "metrics"), i, m) {
		name = json_string_value(json_object_get(m, "name"));
		if (!(v = json_object_get(json_object_get(taken, "values"), name)))
			continue;
		json_t *r = json_object_get(json_object_get(run, "results"), name);
		json_t *cv = json_object_get(v, "canary"), *bv = json_object_get(v, "baseline");
		json_t *cur = json_object_get(json_object_get(run, "cursors"), name);
		if (json_object_get(cv, "cursor"))
			json_object_set(cur, "canary", json_object_get(cv, "cursor"));
		if (json_object_get(bv, "cursor"))
			json_object_set(cur, "baseline", json_object_get(bv, "cursor"));
		char *msg = NULL;
		const char *err = json_string_value(json_object_get(cv, "error"));
		json_t *value = json_object_get(cv, "value");
		const char *phase = ca_measurement_phase(m, value, err, eval, ctx, &msg);
		ca_record(m, r, err ? NULL : value, phase, msg, at);
		sample(run, name, "canary", value);
		if (bv)
			sample(run, name, "baseline", json_object_get(bv, "value"));
		json_t *ev = json_pack("{sO sO sO ss sO ss ss}", "service", json_object_get(st, "service"),
		                       "env", json_object_get(st, "env"), "version",
		                       json_object_get(st, "version"), "metric", name, "run",
		                       json_object_get(run, "name") ?: json_null(), "phase", phase,
		                       "message", msg ? msg : "");
		json_object_set(ev, "value", value ? value : json_null());
		if (bv)
			json_object_set(ev, "baseline", json_object_get(bv, "value") ?: json_null());
		paved->emit(ctx, "analysis.measured", ev);
		json_decref(ev);
		free(msg);
	}
	const char *w = NULL, *phase = ca_run_phase(json_object_get(run, "metrics"),
	                                             json_object_get(run, "results"), &w);
	if (w)
		*why = strdup(w);
	if (!strcmp(phase, CA_SUCCESSFUL) && json_is_true(json_object_get(run, "judged")) &&
	    !json_object_get(run, "judge")) {
		json_t *verdict = cj_judge(json_object_get(json_object_get(st, "spec"), "judge"),
		                           json_object_get(run, "samples"));
		const char *vd = json_string_value(json_object_get(verdict, "verdict"));
		phase = !strcmp(vd, "pass") ? CA_SUCCESSFUL : !strcmp(vd, "marginal") ? CA_INCONCLUSIVE
		        : CA_FAILED;
		free(*why);
		*why = pc_printf("judge mann-whitney (%s): %s", vd,
		                 json_string_value(json_object_get(verdict, "reason")));
		json_object_set_new(run, "judge", verdict);
	}
	json_object_set_new(run, "phase", json_string(phase));
	if (*why)
		json_object_set_new(run, "message", json_string(*why));
	return json_string_value(json_object_get(run, "phase"));
}

json_t *cn_verdicts(json_t *st, bool measurements)
{
	json_t *out = json_array(), *run, *m;
	size_t i, j;
	json_array_foreach(json_object_get(st, "runs"), i, run) {
		json_t *ms = json_array();
		json_array_foreach(json_object_get(run, "metrics"), j, m) {
			const char *name = json_string_value(json_object_get(m, "name"));
			json_t *r = json_object_get(json_object_get(run, "results"), name);
			json_t *last = json_array_get(json_object_get(r, "measurements"),
			                              json_array_size(json_object_get(r, "measurements")) - 1);
			json_t *o = json_pack("{ss sO sO sO sO sO sO sb}", "name", name, "phase",
			                      json_object_get(r, "phase"), "count", json_object_get(r, "count"),
			                      "successful", json_object_get(r, "successful"), "failed",
			                      json_object_get(r, "failed"), "inconclusive",
			                      json_object_get(r, "inconclusive"), "error",
			                      json_object_get(r, "error"), "dryRun",
			                      json_is_true(json_object_get(m, "dryRun")));
			if (last)
				json_object_set(o, "last", json_object_get(last, "value"));
			if (json_is_string(json_object_get(r, "message")))
				json_object_set(o, "message", json_object_get(r, "message"));
			if (measurements)
				json_object_set(o, "measurements", json_object_get(r, "measurements"));
			json_array_append_new(ms, o);
		}
		json_t *o = json_pack("{sO sO so}", "name", json_object_get(run, "name"), "phase",
		                      json_object_get(run, "phase"), "metrics", ms);
		if (json_is_string(json_object_get(run, "message")))
			json_object_set(o, "message", json_object_get(run, "message"));
		if (json_object_get(run, "judge"))
			json_object_set(o, "judge", json_object_get(run, "judge"));
		json_array_append_new(out, o);
	}
	return out;
}

void cn_export(const struct cn_paths *p, json_t *st)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	const char *svc = json_string_value(json_object_get(st, "service"));
	const char *env = json_string_value(json_object_get(st, "env"));
	const char *ver = json_string_value(json_object_get(st, "version"));
	fprintf(f, "# HELP paved_rollout_step The step a rollout is at (0-based).\n"
	        "# TYPE paved_rollout_step gauge\n"
	        "paved_rollout_step{service=\"%s\",env=\"%s\",version=\"%s\",phase=\"%s\"} %lld\n"
	        "# HELP paved_rollout_canary_weight The canary's share of traffic, percent.\n"
	        "# TYPE paved_rollout_canary_weight gauge\n"
	        "paved_rollout_canary_weight{service=\"%s\",env=\"%s\",version=\"%s\"} %g\n"
	        "# HELP paved_analysis_metric_phase The phase of each metric of each analysis run.\n"
	        "# TYPE paved_analysis_metric_phase gauge\n", svc, env, ver,
	        json_string_value(json_object_get(st, "phase")),
	        (long long)json_integer_value(json_object_get(st, "step")), svc, env, ver,
	        json_number_value(json_object_get(st, "weight")));
	json_t *run, *m;
	size_t i, j;
	static const char *const phases[] = { CA_RUNNING, CA_SUCCESSFUL, CA_FAILED, CA_INCONCLUSIVE,
	                                      CA_ERROR, NULL };
	json_array_foreach(json_object_get(st, "runs"), i, run)
		json_array_foreach(json_object_get(run, "metrics"), j, m) {
			const char *name = json_string_value(json_object_get(m, "name"));
			json_t *r = json_object_get(json_object_get(run, "results"), name);
			for (int k = 0; phases[k]; k++)
				fprintf(f, "paved_analysis_metric_phase{service=\"%s\",env=\"%s\",version=\"%s\","
				        "run=\"%s\",metric=\"%s\",phase=\"%s\"} %d\n", svc, env, ver,
				        json_string_value(json_object_get(run, "name")), name, phases[k],
				        !strcmp(phases[k], json_string_value(json_object_get(r, "phase")) ?: ""));
			json_t *ms = json_object_get(r, "measurements");
			json_t *last = json_object_get(json_array_get(ms, json_array_size(ms) - 1), "value");
			if (json_is_number(last))
				fprintf(f, "paved_analysis_measurement_value{service=\"%s\",env=\"%s\","
				        "version=\"%s\",run=\"%s\",metric=\"%s\"} %.10g\n", svc, env, ver,
				        json_string_value(json_object_get(run, "name")), name,
				        json_number_value(last));
		}
	fclose(f);
	if (text)
		pc_write_file(p->metrics, text, strlen(text), 0644);
	free(text);
}
