/*
 * judge.c -- the judge "mann-whitney" (see judge.h).
 */
#include "judge.h"
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num(json_t *o, const char *k, double dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* The numbers of the array A (nulls and NaNs dropped) into *OUT
 * (malloc()ed, at most CS_MAX_SAMPLE); their count. */
static size_t numbers(json_t *a, double **out)
{
	size_t i, n = 0;
	json_t *v;
	*out = malloc((json_array_size(a) + 1) * sizeof **out);
	json_array_foreach(a, i, v)
		if (*out && json_is_number(v) && !isnan(json_number_value(v)) && n < CS_MAX_SAMPLE)
			(*out)[n++] = json_number_value(v);
	return *out ? n : 0;
}

static bool identical(double *x, size_t nx, double *y, size_t ny)
{
	if (nx != ny)
		return false;
	double *a = malloc(nx * sizeof *a), *b = malloc(ny * sizeof *b);
	bool same = a && b;
	if (same) {
		memcpy(a, x, nx * sizeof *a), memcpy(b, y, ny * sizeof *b);
		cs_median(a, nx), cs_median(b, ny);   /* sorts */
		same = memcmp(a, b, nx * sizeof *a) == 0;
	}
	free(a), free(b);
	return same;
}

static bool one_value(double *x, size_t nx, double *y, size_t ny)
{
	double v = nx ? x[0] : y[0];
	for (size_t i = 0; i < nx; i++)
		if (x[i] != v)
			return false;
	for (size_t j = 0; j < ny; j++)
		if (y[j] != v)
			return false;
	return true;
}

/* Classify one metric: a new {name, classification, ...} object. */
static json_t *classify(const char *name, json_t *cfg, json_t *s, double conf, double tol)
{
	double *x = NULL, *y = NULL;
	size_t nx = numbers(json_object_get(s, "canary"), &x);
	size_t ny = numbers(json_object_get(s, "baseline"), &y);
	const char *dir = json_string_value(json_object_get(cfg, "direction"));
	bool up = !dir || strcmp(dir, "decrease"), down = dir && strcmp(dir, "increase");
	json_t *o = json_pack("{ss sb si si}", "name", name, "critical",
	                      json_is_true(json_object_get(cfg, "critical")), "n_canary", (int)nx,
	                      "n_baseline", (int)ny);
	const char *cls = "Pass";
	if (!nx || !ny) {
		cls = json_is_true(json_object_get(cfg, "mustHaveData")) ? "NodataFailMetric" : "Nodata";
		goto done;
	}
	double mx, my;
	{
		double *a = malloc(nx * sizeof *a), *b = malloc(ny * sizeof *b);
		memcpy(a, x, nx * sizeof *a), memcpy(b, y, ny * sizeof *b);
		mx = cs_median(a, nx), my = cs_median(b, ny);
		free(a), free(b);
	}
	json_object_set_new(o, "canary_median", json_real(mx));
	json_object_set_new(o, "baseline_median", json_real(my));
	if (identical(x, nx, y, ny) || one_value(x, nx, y, ny)) {
		json_object_set_new(o, "ratio", json_real(1));
		goto done;
	}
	struct cs_mw mw;
	if (cs_mann_whitney(x, nx, y, ny, conf, &mw) != 0) {
		cls = "Nodata";
		goto done;
	}
	double ratio = my != 0 ? (my + mw.estimate) / my : NAN;
	if (my < 0)
		ratio = 2 - ratio;   /* a shift up is an increase whatever the sign */
	json_object_set_new(o, "shift", json_real(mw.estimate));
	json_object_set_new(o, "p", json_real(mw.p));
	if (!isnan(ratio))
		json_object_set_new(o, "ratio", json_real(ratio));
	if (mw.ci) {
		json_object_set_new(o, "lo", json_real(mw.lo));
		json_object_set_new(o, "hi", json_real(mw.hi));
	}
	double band = tol * fabs(mw.estimate);
	if (mw.ci && up && mw.lo > band &&
	    (isnan(ratio) || ratio >= num(cfg, "allowedIncrease", 1.0)))
		cls = "High";
	else if (mw.ci && down && mw.hi < -band &&
	         (isnan(ratio) || ratio <= num(cfg, "allowedDecrease", 1.0)))
		cls = "Low";
done:
	json_object_set_new(o, "classification", json_string(cls));
	free(x), free(y);
	return o;
}

/* Is classified metric O a critical failure under CFG? */
static bool critical_failure(json_t *o, json_t *cfg)
{
	const char *c = json_string_value(json_object_get(o, "classification"));
	if (!json_is_true(json_object_get(cfg, "critical")) || !c)
		return false;
	double ratio = num(o, "ratio", NAN);
	if (!strcmp(c, "High"))
		return isnan(ratio) || !json_is_number(json_object_get(cfg, "criticalIncrease")) ||
		       ratio >= num(cfg, "criticalIncrease", 1);
	if (!strcmp(c, "Low"))
		return isnan(ratio) || !json_is_number(json_object_get(cfg, "criticalDecrease")) ||
		       ratio <= num(cfg, "criticalDecrease", 1);
	return !strcmp(c, "NodataFailMetric");
}

/* "latency_p99 High (canary 0.074 vs baseline 0.049, +51%, critical)" */
static void describe(json_t *o, char *buf, size_t len)
{
	double r = num(o, "ratio", NAN);
	char pct[32] = "";
	if (!isnan(r))
		snprintf(pct, sizeof pct, ", %+.0f%%", (r - 1) * 100);
	if (json_is_number(json_object_get(o, "canary_median")))
		snprintf(buf, len, "%s %s (canary %.4g vs baseline %.4g%s%s)",
		         json_string_value(json_object_get(o, "name")),
		         json_string_value(json_object_get(o, "classification")),
		         num(o, "canary_median", 0), num(o, "baseline_median", 0), pct,
		         json_is_true(json_object_get(o, "critical")) ? ", critical" : "");
	else
		snprintf(buf, len, "%s %s (no data)", json_string_value(json_object_get(o, "name")),
		         json_string_value(json_object_get(o, "classification")));
}

json_t *cj_judge(json_t *config, json_t *samples)
{
	double conf = num(config, "confidence", 0.98), tol = num(config, "tolerance", 0.25);
	double pass = num(config, "pass", 95), marginal = num(config, "marginal", 75);
	json_t *metrics = json_object_get(config, "metrics"), *list = json_array(), *cfg;
	double wsum = 0, wpass = 0;
	int total = 0, nodata = 0;
	bool critical = false;
	char worst[300] = "", crit[300] = "";
	const char *name;
	json_object_foreach(metrics, name, cfg) {
		json_t *o = classify(name, cfg, json_object_get(samples, name), conf, tol);
		const char *c = json_string_value(json_object_get(o, "classification"));
		double w = num(cfg, "weight", 1);
		total++;
		if (!strcmp(c, "Nodata")) {
			nodata++;
		} else {
			wsum += w;
			if (!strcmp(c, "Pass"))
				wpass += w;
			else if (!*worst)
				describe(o, worst, sizeof worst);
		}
		if (critical_failure(o, cfg) && !critical) {
			critical = true;
			describe(o, crit, sizeof crit);
		}
		json_array_append_new(list, o);
	}
	double score = wsum > 0 ? 100 * wpass / wsum : 100;
	char reason[700];
	if (critical) {
		score = 0;
		snprintf(reason, sizeof reason, "%s: score 0 < marginal %g", crit, marginal);
	} else if (total && 2 * nodata >= total) {
		score = 0;
		snprintf(reason, sizeof reason, "%d of %d metrics have no data: score 0", nodata, total);
	} else if (*worst) {
		snprintf(reason, sizeof reason, "%s: score %.0f %s", worst, score, score >= pass ?
		         "(pass)" : score >= marginal ? "< pass, marginal" : "< marginal");
	} else {
		snprintf(reason, sizeof reason, "every metric passes: score %.0f", score);
	}
	const char *verdict = score >= pass ? "pass" : score >= marginal ? "marginal" : "fail";
	return json_pack("{ss sf ss so}", "verdict", verdict, "score", score, "reason", reason,
	                 "metrics", list);
}
