/*
 * spec.c -- a canary's steps, background analysis, rollback and judge,
 * checked and normalised (see spec.h); the metrics are spec_metrics.c's.
 */
#include "spec_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void warn(struct px *p, const char *msg)
{
	if (p->warnings)
		json_array_append_new(p->warnings, json_string(msg));
}

/* deploy.analysis.metrics into P->named. */
static int named_metrics(struct px *p, json_t *analysis)
{
	json_t *list = json_object_get(analysis, "metrics"), *m, *all = json_array();
	size_t i;
	if (list && !json_is_array(list)) {
		json_decref(all);
		return cx_fail(p, "deploy.analysis.metrics: must be a list of metrics");
	}
	json_array_foreach(list, i, m) {
		char *at = cx_path("deploy.analysis.metrics", "[%zu]", i);
		json_t *o = NULL;
		int rc = cx_full_metric(p, m, at, &o);
		if (!rc) {
			char *np = cx_path(at, ".name");
			rc = cx_add_metric(p, all, json_incref(o), np);
			free(np);
			if (!rc)
				json_object_set(p->named, json_string_value(json_object_get(o, "name")), o);
		}
		json_decref(o);
		free(at);
		if (rc) {
			json_decref(all);
			return -1;
		}
	}
	json_decref(all);
	return 0;
}

/* The metrics of a run: LIST holds names of deploy.analysis.metrics or
 * inline metrics; at PATH.  *OUT (new) is their normal form.  With
 * MUST_END, a metric that would never end (an interval, no count) is
 * refused. */
static int run_metrics(struct px *p, json_t *list, const char *path, bool must_end, json_t **out)
{
	json_t *m;
	size_t i;
	*out = json_array();
	if (!json_is_array(list) || !json_array_size(list))
		return cx_fail(p, "%s: must be a non-empty list of metric names (from "
		               "deploy.analysis.metrics) or metrics", path);
	json_array_foreach(list, i, m) {
		char *at = cx_path(path, "[%zu]", i);
		json_t *o = NULL;
		int rc = 0;
		if (json_is_string(m)) {
			o = json_incref(json_object_get(p->named, json_string_value(m)));
			if (!o)
				rc = cx_fail(p, "%s: no metric '%s' in deploy.analysis.metrics", at,
				             json_string_value(m));
		} else {
			rc = cx_full_metric(p, m, at, &o);
		}
		if (!rc && must_end && json_integer_value(json_object_get(o, "count")) == 0 &&
		    json_number_value(json_object_get(o, "interval")) > 0)
			rc = cx_fail(p, "%s: metric '%s' has an interval and no count: this analysis "
			             "would never end (give it a count, or run it in "
			             "deploy.analysis.background)", at,
			             json_string_value(json_object_get(o, "name")));
		if (!rc) {
			rc = cx_add_metric(p, *out, json_deep_copy(o), at);
		}
		json_decref(o);
		free(at);
		if (rc)
			return -1;
	}
	return 0;
}

static const char *const analysis_keys[] = { "metrics", "background", "interval", "measurements",
	"failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "noData", NULL };
static const char *const analysis_hint = "metrics, background, interval, measurements, "
	"failureLimit, inconclusiveLimit, consecutiveErrorLimit, noData";

/* One short-form step S ({deploy, duration?, metrics?}) at PATH: appended
 * to STEPS; *W is its weight. */
static int short_step(struct px *p, json_t *s, const char *path, json_t *analysis, json_t *steps,
                      int index, double *w)
{
	static const char *const keys[] = { "deploy", "duration", "metrics", NULL };
	if (cx_only(p, s, path, keys, "a step is {deploy, duration, metrics} or one of setWeight, "
	            "pause, analysis"))
		return -1;
	char *at = cx_path(path, ".deploy");
	int rc = json_object_get(s, "deploy") ? cx_weight_at(p, json_object_get(s, "deploy"), at, w)
	         : cx_fail(p, "%s: the step's weight is missing (deploy: 5%%)", path);
	free(at);
	if (rc)
		return -1;
	json_array_append_new(steps, json_pack("{sf}", "setWeight", *w));
	double d = 0;
	json_t *dv = json_object_get(s, "duration"), *mv = json_object_get(s, "metrics");
	if (dv) {
		at = cx_path(path, ".duration");
		rc = cx_duration_at(p, dv, at, &d);
		free(at);
		if (rc)
			return -1;
	}
	if (!mv) {
		if (dv)
			json_array_append_new(steps, json_pack("{s{sf}}", "pause", "duration", d));
		return 0;
	}
	if (!dv || d <= 0)
		return cx_fail(p, "%s.metrics: needs a duration: how long to measure (duration: 10m)",
		               path);
	if (!json_is_array(mv) || !json_array_size(mv))
		return cx_fail(p, "%s.metrics: must be a list such as [{error_rate_less_than: 1%%}]",
		               path);
	json_t *n = json_object_get(analysis, "measurements");
	int count = json_is_integer(n) && json_integer_value(n) > 0 ? (int)json_integer_value(n)
	            : p->o->measurements;
	double interval = d / count;
	if (interval < 1) {
		interval = 1;
		count = d >= 1 ? (int)d : 1;
	}
	json_t *list = json_array(), *e;
	size_t j;
	json_array_foreach(mv, j, e) {
		char *ep = cx_path(path, ".metrics[%zu]", j);
		json_t *m = NULL;
		rc = cx_short_metric(p, e, ep, false, interval, count, &m);
		if (!rc) {
			cx_defaults(m, analysis);
			rc = cx_add_metric(p, list, m, ep);
		}
		free(ep);
		if (rc) {
			json_decref(list);
			return -1;
		}
	}
	char name[32];
	snprintf(name, sizeof name, "step-%d", index + 1);
	json_array_append_new(steps, json_pack("{s{ss so}}", "analysis", "name", name, "metrics", list));
	return 0;
}

/* One full-form step S at PATH, appended to STEPS; sets *W when it sets
 * a weight. */
static int full_step(struct px *p, json_t *s, const char *path, json_t *steps, int index, double *w,
                     bool *sets)
{
	static const char *const keys[] = { "setWeight", "pause", "analysis", NULL };
	if (cx_only(p, s, path, keys, "a step is one of setWeight, pause, analysis; or {deploy, "
	            "duration, metrics}"))
		return -1;
	if (json_object_size(s) != 1)
		return cx_fail(p, "%s: a step does one thing: setWeight, pause or analysis (split it "
		               "into several steps)", path);
	json_t *v;
	char *at;
	int rc = 0;
	*sets = false;
	if ((v = json_object_get(s, "setWeight"))) {
		at = cx_path(path, ".setWeight");
		rc = cx_weight_at(p, v, at, w);
		free(at);
		if (!rc)
			json_array_append_new(steps, json_pack("{sf}", "setWeight", *w));
		*sets = true;
		return rc;
	}
	if ((v = json_object_get(s, "pause")) || json_object_get(s, "pause")) {
		double d = 0;
		bool until = true;
		at = cx_path(path, ".pause");
		if (json_is_object(v)) {
			static const char *const pk[] = { "duration", NULL };
			rc = cx_only(p, v, at, pk, "duration");
			if (!rc && json_object_get(v, "duration")) {
				char *dp = cx_path(at, ".duration");
				rc = cx_duration_at(p, json_object_get(v, "duration"), dp, &d);
				free(dp);
				until = false;
			}
		} else if (!json_is_null(v)) {
			rc = cx_duration_at(p, v, at, &d);
			until = false;
		}
		free(at);
		if (!rc)
			json_array_append_new(steps, until ? json_pack("{s{sn}}", "pause", "duration")
			                      : json_pack("{s{sf}}", "pause", "duration", d));
		return rc;
	}
	v = json_object_get(s, "analysis");
	at = cx_path(path, ".analysis");
	if (!json_is_object(v)) {
		rc = cx_fail(p, "%s: must be {metrics: [NAME, ...]}", at);
	} else {
		static const char *const ak[] = { "metrics", "templates", NULL };
		rc = cx_only(p, v, at, ak, "metrics");
		json_t *list = NULL;
		const char *key = json_object_get(v, "templates") ? "templates" : "metrics";
		char *lp = cx_path(at, ".%s", key);
		if (!rc)
			rc = run_metrics(p, json_object_get(v, key), lp, true, &list);
		free(lp);
		char name[32];
		snprintf(name, sizeof name, "step-%d", index + 1);
		if (!rc)
			json_array_append_new(steps, json_pack("{s{ss sO}}", "analysis", "name", name,
			                                       "metrics", list));
		json_decref(list);
	}
	free(at);
	return rc;
}

/* The judge: "mann-whitney" or {method, confidence, tolerance, pass,
 * marginal, metrics: {NAME: {direction, critical, weight, ...}}}, over
 * the metrics of the judged steps (JUDGED: {name: true}).  *OUT new. */
static int judge(struct px *p, json_t *j, json_t *judged, json_t **out)
{
	static const char *const keys[] = { "method", "confidence", "tolerance", "pass", "marginal",
	                                    "metrics", NULL };
	static const char *const mkeys[] = { "direction", "critical", "weight", "allowedIncrease",
		"allowedDecrease", "criticalIncrease", "criticalDecrease", "mustHaveData", NULL };
	json_t *o = json_pack("{ss sf sf sf sf s{}}", "method", "mann-whitney", "confidence", 0.98,
	                      "tolerance", 0.25, "pass", 95.0, "marginal", 75.0, "metrics");
	json_t *cfg = json_is_object(j) ? j : NULL, *v;
	const char *method = json_is_string(j) ? json_string_value(j) :
	                     json_string_value(json_object_get(cfg, "method"));
	*out = o;
	if (!json_is_string(j) && !cfg)
		return cx_fail(p, "deploy.judge: must be mann-whitney or {method: mann-whitney, "
		               "confidence, pass, marginal, metrics}");
	if (cfg && cx_only(p, cfg, "deploy.judge", keys, "method, confidence, tolerance, pass, "
	                   "marginal, metrics"))
		return -1;
	if (!method || strcmp(method, "mann-whitney"))
		return cx_fail(p, "deploy.judge%s: unknown judge '%s' (paved has mann-whitney)",
		               cfg ? ".method" : "", method ? method : "");
	static const char *const nums[] = { "confidence", "tolerance", "pass", "marginal", NULL };
	for (size_t i = 0; nums[i] && cfg; i++) {
		if (!(v = json_object_get(cfg, nums[i])))
			continue;
		double x = json_number_value(v);
		bool ok = json_is_number(v) && (i == 0 ? x > 0 && x < 1 : i == 1 ? x >= 0 :
		          x >= 0 && x <= 100);
		if (!ok)
			return cx_fail(p, "deploy.judge.%s: must be %s", nums[i], i == 0 ? "a confidence "
			               "between 0 and 1 (0.98)" : i == 1 ? "0 or more (0.25)" :
			               "a score from 0 to 100");
		json_object_set(o, nums[i], v);
	}
	if (json_number_value(json_object_get(o, "marginal")) >
	    json_number_value(json_object_get(o, "pass")))
		return cx_fail(p, "deploy.judge.marginal: %g is above pass (%g)",
		               json_number_value(json_object_get(o, "marginal")),
		               json_number_value(json_object_get(o, "pass")));
	json_t *ms = json_object_get(o, "metrics"), *given = json_object_get(cfg, "metrics"), *m;
	const char *name;
	if (given && !json_is_object(given))
		return cx_fail(p, "deploy.judge.metrics: must be a mapping of metric name: {direction, "
		               "critical, weight}");
	json_object_foreach(judged, name, v)
		if (!given)
			json_object_set_new(ms, name, json_pack("{ss sb sf}", "direction", "increase",
			                                        "critical", 0, "weight", 1.0));
	json_object_foreach(given, name, m) {
		char *at = cx_path("deploy.judge.metrics", ".%s", name);
		int rc = 0;
		if (!json_object_get(judged, name))
			rc = cx_fail(p, "%s: no judged analysis step measures a metric '%s'", at, name);
		else if (!json_is_object(m))
			rc = cx_fail(p, "%s: must be {direction, critical, weight}", at);
		else
			rc = cx_only(p, m, at, mkeys, "direction, critical, weight, allowedIncrease, "
			             "allowedDecrease, criticalIncrease, criticalDecrease, mustHaveData");
		const char *dir = json_string_value(json_object_get(m, "direction"));
		if (!rc && json_object_get(m, "direction") && (!dir || (strcmp(dir, "increase") &&
		    strcmp(dir, "decrease") && strcmp(dir, "either"))))
			rc = cx_fail(p, "%s.direction: must be increase, decrease or either", at);
		if (!rc && json_object_get(m, "weight") && (!json_is_number(json_object_get(m, "weight")) ||
		    json_number_value(json_object_get(m, "weight")) < 0))
			rc = cx_fail(p, "%s.weight: must be a number, 0 or more", at);
		free(at);
		if (rc)
			return -1;
		json_t *c = json_pack("{ss sb sf}", "direction", dir ? dir : "increase", "critical", 0,
		                      "weight", 1.0);
		json_object_update(c, m);
		json_object_set_new(ms, name, c);
	}
	return 0;
}

/* The analysis the SLO implies when the file gives none: the canary's
 * error rate within the error budget, and its p99 within the latency
 * objective (marked optional: left out, with a warning, when no
 * Prometheus answers). */
static json_t *from_slo(struct px *p, json_t *slo)
{
	json_t *list = json_array(), *a = json_object_get(slo, "availability");
	json_t *p99 = json_object_get(json_object_get(slo, "latency"), "p99_ms");
	char cond[96], msg[200];
	if (json_is_number(a)) {
		double budget = 1 - json_number_value(a) / 100;
		snprintf(cond, sizeof cond, "result <= %.10g", budget);
		json_array_append_new(list, json_pack("{ss ss ss ss sf si sf si si si sb ss ss}", "name",
		                      "error_rate", "provider", "haproxy", "query", "error_rate",
		                      "successCondition", cond, "interval", p->o->interval, "count", 0,
		                      "initialDelay", p->o->interval, "failureLimit", 1,
		                      "inconclusiveLimit", -1, "consecutiveErrorLimit", 4, "dryRun", 0,
		                      "noData", "inconclusive", "at", "slo.availability"));
	}
	if (json_is_integer(p99)) {
		json_t *e = json_pack("{sO}", "latency_p99_less_than", p99), *m = NULL;
		if (cx_short_metric(p, e, "slo.latency.p99_ms", false, p->o->interval, 0, &m) == 0) {
			json_object_set_new(m, "initialDelay", json_real(p->o->interval));
			json_object_set_new(m, "failureLimit", json_integer(1));
			json_object_set_new(m, "inconclusiveLimit", json_integer(-1));
			json_object_set_new(m, "optional", json_true());
			json_array_append_new(list, m);
		}
		json_decref(e);
	}
	snprintf(msg, sizeof msg, "no analysis in platform.yaml: the canary is measured against the "
	         "SLO (%zu metric%s, every %.0f s)", json_array_size(list),
	         json_array_size(list) == 1 ? "" : "s", p->o->interval);
	warn(p, msg);
	return list;
}

/* The background analysis: deploy.analysis.background and rollback.on. */
static int background(struct px *p, json_t *analysis, json_t *rollback, size_t nsteps,
                      json_t **out)
{
	json_t *bg = json_object_get(analysis, "background"), *list = NULL;
	long start = 0;
	*out = NULL;
	if (bg) {
		static const char *const keys[] = { "metrics", "templates", "startingStep", NULL };
		if (!json_is_object(bg))
			return cx_fail(p, "deploy.analysis.background: must be {metrics: [NAME, ...], "
			               "startingStep}");
		if (cx_only(p, bg, "deploy.analysis.background", keys, "metrics, startingStep"))
			return -1;
		const char *key = json_object_get(bg, "templates") ? "templates" : "metrics";
		char *lp = cx_path("deploy.analysis.background", ".%s", key);
		int rc = run_metrics(p, json_object_get(bg, key), lp, false, &list);
		free(lp);
		if (rc) {
			json_decref(list);
			return -1;
		}
		json_t *s = json_object_get(bg, "startingStep");
		if (s && (!json_is_integer(s) || json_integer_value(s) < 0 ||
		          (size_t)json_integer_value(s) >= nsteps)) {
			json_decref(list);
			return cx_fail(p, "deploy.analysis.background.startingStep: must be a step index "
			               "from 0 to %zu", nsteps - 1);
		}
		start = s ? (long)json_integer_value(s) : 0;
	}
	json_t *on = json_object_get(rollback, "on"), *e;
	size_t i;
	if (on && (!json_is_array(on) || !json_array_size(on))) {
		json_decref(list);
		return cx_fail(p, "deploy.rollback.on: must be a list such as "
		               "[{error_rate_greater_than: 2%%}]");
	}
	json_t *iv = json_object_get(analysis, "interval");
	double interval = p->o->interval;
	if (iv && cx_duration_at(p, iv, "deploy.analysis.interval", &interval)) {
		json_decref(list);
		return -1;
	}
	if (on && !list)
		list = json_array();
	json_array_foreach(on, i, e) {
		char *at = cx_path("deploy.rollback.on", "[%zu]", i);
		json_t *m = NULL;
		int rc = cx_short_metric(p, e, at, true, interval, 0, &m);
		if (!rc) {
			json_object_set_new(m, "initialDelay", json_real(interval));
			cx_defaults(m, analysis);
			rc = cx_add_metric(p, list, m, at);
		}
		free(at);
		if (rc) {
			json_decref(list);
			return -1;
		}
	}
	if (list)
		*out = json_pack("{so si}", "metrics", list, "startingStep", (int)start);
	return 0;
}

int cx_spec_parse(json_t *config, json_t *slo, const struct cx_opts *o, json_t **spec,
                  json_t *warnings, char *err, size_t errlen)
{
	struct px p = { o, err, errlen, warnings, json_object() };
	json_t *steps = json_object_get(config, "steps"), *analysis = json_object_get(config, "analysis");
	json_t *rollback = json_object_get(config, "rollback"), *out = json_array(), *s;
	json_t *bg = NULL, *jdg = NULL, *judged = json_object();
	bool short_form = false, full_form = false;
	double w = -1, last = -1;
	int rc = -1;
	size_t i;
	*spec = NULL;
	if (err && errlen)
		*err = '\0';
	if (analysis && !json_is_object(analysis)) {
		cx_fail(&p, "deploy.analysis: must be a mapping (metrics, background, interval, ...)");
		goto done;
	}
	if (cx_only(&p, analysis, "deploy.analysis", analysis_keys, analysis_hint) ||
	    named_metrics(&p, analysis))
		goto done;
	if (rollback) {
		static const char *const rk[] = { "auto", "on", NULL };
		if (!json_is_object(rollback)) {
			cx_fail(&p, "deploy.rollback: must be {auto: true, on: [...]}");
			goto done;
		}
		if (cx_only(&p, rollback, "deploy.rollback", rk, "auto, on"))
			goto done;
		if (json_object_get(rollback, "auto") && !json_is_boolean(json_object_get(rollback, "auto"))) {
			cx_fail(&p, "deploy.rollback.auto: must be true or false");
			goto done;
		}
	}
	if (!json_is_array(steps) || !json_array_size(steps)) {
		cx_fail(&p, "deploy.steps: a canary needs steps, such as [{setWeight: 5}, {pause: "
		        "{duration: 1m}}, {setWeight: 100}]");
		goto done;
	}
	json_array_foreach(steps, i, s) {
		char *at = cx_path("deploy.steps", "[%zu]", i);
		size_t before = json_array_size(out);
		bool sets = true;
		if (!json_is_object(s))
			rc = cx_fail(&p, "%s: must be a mapping (setWeight, pause, analysis; or deploy, "
			             "duration, metrics)", at);
		else if (json_object_get(s, "deploy") || json_object_get(s, "duration") ||
		         json_object_get(s, "metrics"))
			rc = short_step(&p, s, at, analysis, out, (int)i, &w), short_form = true;
		else
			rc = full_step(&p, s, at, out, (int)i, &w, &sets), full_form = true;
		if (!rc && sets)
			last = w;
		/* an analysis step run at more than 50% cannot have a baseline beside it */
		for (size_t k = before; !rc && k < json_array_size(out); k++) {
			json_t *a = json_object_get(json_array_get(out, k), "analysis"), *m;
			size_t j;
			if (!a)
				continue;
			json_array_foreach(json_object_get(a, "metrics"), j, m)
				json_object_set_new(judged, json_string_value(json_object_get(m, "name")),
				                    json_true());
			json_object_set_new(a, "weight", json_real(w < 0 ? 0 : w));
			if (json_object_get(config, "judge") && w > 50)
				rc = cx_fail(&p, "%s: an analysis judged by mann-whitney needs the weight at 50%% "
				             "or less (the baseline takes as much traffic as the canary); it is "
				             "%g%% here", at, w);
		}
		free(at);
		if (rc)
			goto done;
	}
	rc = -1;
	if (last < 0) {
		cx_fail(&p, "deploy.steps: no step sets a weight (setWeight: 5, or deploy: 5%%)");
		goto done;
	}
	if (last != 100) {
		cx_fail(&p, "deploy.steps: the weights must reach 100%%: the last weight set is %g%% "
		        "(end with setWeight: 100 or deploy: 100%%)", last);
		goto done;
	}
	if (background(&p, analysis, rollback, json_array_size(out), &bg))
		goto done;
	if (json_object_get(config, "judge") && judge(&p, json_object_get(config, "judge"), judged,
	                                              &jdg))
		goto done;
	bool any = bg != NULL;
	json_array_foreach(out, i, s)
		any = any || json_object_get(s, "analysis");
	const char *source = short_form && full_form ? "mixed" : short_form ? "short" : "full";
	if (!any && json_is_object(slo)) {
		json_t *list = from_slo(&p, slo);
		if (json_array_size(list)) {
			bg = json_pack("{so si}", "metrics", list, "startingStep", 0);
			source = "slo";
		} else {
			json_decref(list);
		}
	} else if (!any) {
		warn(&p, "no analysis and no slo in platform.yaml: the steps advance on time alone");
	}
	*spec = json_pack("{sO so* so* sb sb ss}", "steps", out, "background", bg, "judge", jdg,
	                  "autoRollback", !json_is_false(json_object_get(rollback, "auto")),
	                  "baseline", jdg != NULL, "source", source);
	bg = jdg = NULL;
	rc = 0;
done:
	json_decref(out), json_decref(bg), json_decref(jdg), json_decref(judged), json_decref(p.named);
	return rc;
}
