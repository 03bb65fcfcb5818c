/*
 * analysis.c -- an analysis run with Argo Rollouts' semantics (see
 * analysis.h).
 */
#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_MEASUREMENTS 50

static const char *const order[] = { CA_SUCCESSFUL, CA_INCONCLUSIVE, CA_ERROR, CA_FAILED, NULL };

static int rank_of(const char *phase)
{
	for (int i = 0; phase && order[i]; i++)
		if (!strcmp(order[i], phase))
			return i;
	return -1;
}

bool ca_completed(const char *phase)
{
	return rank_of(phase) >= 0;
}

bool ca_worse(const char *a, const char *b)
{
	return rank_of(a) > rank_of(b);
}

static double num(json_t *o, const char *k, double dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : NULL;
}

json_t *ca_result_new(json_t *metric, double now)
{
	return json_pack("{ss si si si si si si sf}", "phase", CA_RUNNING, "count", 0, "successful", 0,
	                 "failed", 0, "inconclusive", 0, "error", 0, "consecutiveError", 0,
	                 "next", now + num(metric, "initialDelay", 0));
}

/* VALUE in a few characters: a number with 4 significant digits, else
 * compact JSON cut at 60 characters. */
static void show(json_t *value, char *buf, size_t len)
{
	if (json_is_number(value)) {
		snprintf(buf, len, "%.4g", json_number_value(value));
		return;
	}
	char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%.60s%s", s ? s : "?", s && strlen(s) > 60 ? "..." : "");
	free(s);
}

static char *fmt(const char *f, const char *a, const char *b, const char *c)
{
	size_t n = strlen(f) + strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, f, a, b, c);
	return s;
}

const char *ca_measurement_phase(json_t *metric, json_t *value, const char *provider_err,
                                 ca_eval_fn eval, void *ud, char **msg)
{
	const char *name = str(metric, "name") ? str(metric, "name") : "metric";
	const char *sc = str(metric, "successCondition"), *fc = str(metric, "failureCondition");
	char shown[96];
	*msg = NULL;
	if (provider_err) {
		*msg = fmt("%s: %s%s", name, provider_err, "");
		return CA_ERROR;
	}
	if (!value || json_is_null(value) || (json_is_real(value) && isnan(json_real_value(value)))) {
		const char *nd = str(metric, "noData") ? str(metric, "noData") : "inconclusive";
		*msg = fmt("%s: no data (%s%s)", name, "an empty result counts as ", nd);
		return !strcmp(nd, "success") ? CA_SUCCESSFUL : !strcmp(nd, "failure") ? CA_FAILED :
		       !strcmp(nd, "error") ? CA_ERROR : CA_INCONCLUSIVE;
	}
	show(value, shown, sizeof shown);
	bool s_ok = false, f_ok = false;
	char *err = NULL;
	if (sc && eval(ud, sc, value, &s_ok, &err) != 0) {
		*msg = fmt("%s %s: successCondition: %s", name, shown, err ? err : "cannot be evaluated");
		free(err);
		return CA_ERROR;
	}
	if (fc && eval(ud, fc, value, &f_ok, &err) != 0) {
		*msg = fmt("%s %s: failureCondition: %s", name, shown, err ? err : "cannot be evaluated");
		free(err);
		return CA_ERROR;
	}
	if (!sc && !fc) {
		*msg = fmt("%s %s%s", name, shown, "");
		return CA_SUCCESSFUL;
	}
	if (fc && f_ok) {
		*msg = fmt("%s %s (%s holds)", name, shown, fc);
		return CA_FAILED;
	}
	if (sc && !s_ok) {
		if (fc) {
			*msg = fmt("%s %s (neither %s nor the failure condition holds)", name, shown, sc);
			return CA_INCONCLUSIVE;
		}
		*msg = fmt("%s %s (wants %s)", name, shown, sc);
		return CA_FAILED;
	}
	*msg = fmt("%s %s (%s)", name, shown, sc ? sc : "no failure");
	return CA_SUCCESSFUL;
}

static void bump(json_t *result, const char *key, int by)
{
	json_object_set_new(result, key, json_integer(json_integer_value(json_object_get(result, key)) +
	                                              by));
}

static long get(json_t *result, const char *key)
{
	return (long)json_integer_value(json_object_get(result, key));
}

const char *ca_assess(json_t *metric, json_t *result, bool terminating)
{
	const char *phase = str(result, "phase");
	if (ca_completed(phase))
		return phase;
	long fl = (long)num(metric, "failureLimit", 0), il = (long)num(metric, "inconclusiveLimit", 0);
	long el = (long)num(metric, "consecutiveErrorLimit", 4), count = (long)num(metric, "count", 0);
	double interval = num(metric, "interval", 0);
	if (get(result, "count") + get(result, "error") == 0)
		return terminating ? CA_SUCCESSFUL : CA_RUNNING;
	if (fl >= 0 && get(result, "failed") > fl)
		return CA_FAILED;
	if (il >= 0 && get(result, "inconclusive") > il)
		return CA_INCONCLUSIVE;
	if (el >= 0 && get(result, "consecutiveError") > el)
		return CA_ERROR;
	if (count <= 0 && interval <= 0)
		count = 1;   /* neither count nor interval: one measurement */
	if (count > 0 && get(result, "count") >= count)
		return CA_SUCCESSFUL;
	return terminating ? CA_SUCCESSFUL : CA_RUNNING;
}

void ca_record(json_t *metric, json_t *result, json_t *value, const char *phase, const char *msg,
               double now)
{
	json_t *list = json_object_get(result, "measurements");
	if (!json_is_array(list))
		json_object_set_new(result, "measurements", list = json_array());
	json_t *m = json_pack("{sf ss}", "at", now, "phase", phase);
	json_object_set(m, "value", value ? value : json_null());
	if (msg)
		json_object_set_new(m, "message", json_string(msg));
	json_array_append_new(list, m);
	while (json_array_size(list) > KEEP_MEASUREMENTS)
		json_array_remove(list, 0);
	if (!strcmp(phase, CA_ERROR)) {
		bump(result, "error", 1);
		bump(result, "consecutiveError", 1);
	} else {
		json_object_set_new(result, "consecutiveError", json_integer(0));
		bump(result, "count", 1);   /* an error does not add to count */
		bump(result, !strcmp(phase, CA_SUCCESSFUL) ? "successful" : !strcmp(phase, CA_FAILED)
		     ? "failed" : "inconclusive", 1);
	}
	double interval = num(metric, "interval", 0);
	json_object_set_new(result, "next", json_real(interval > 0 ? now + interval : now));
	const char *p = ca_assess(metric, result, false);
	json_object_set_new(result, "phase", json_string(p));
	char why[600];
	long fl = (long)num(metric, "failureLimit", 0), il = (long)num(metric, "inconclusiveLimit", 0);
	long el = (long)num(metric, "consecutiveErrorLimit", 4);
	if (!strcmp(p, CA_FAILED))
		snprintf(why, sizeof why, "%s, failed (%ld) > failureLimit (%ld)", msg ? msg : "",
		         get(result, "failed"), fl);
	else if (!strcmp(p, CA_INCONCLUSIVE))
		snprintf(why, sizeof why, "%s, inconclusive (%ld) > inconclusiveLimit (%ld)",
		         msg ? msg : "", get(result, "inconclusive"), il);
	else if (!strcmp(p, CA_ERROR))
		snprintf(why, sizeof why, "%s, consecutive errors (%ld) > consecutiveErrorLimit (%ld)",
		         msg ? msg : "", get(result, "consecutiveError"), el);
	else
		snprintf(why, sizeof why, "%s", msg ? msg : "");
	json_object_set_new(result, "message", json_string(why));
}

bool ca_due(json_t *result, double now)
{
	return !ca_completed(str(result, "phase")) && num(result, "next", 0) <= now;
}

const char *ca_run_phase(json_t *metrics, json_t *results, const char **why)
{
	const char *worst = CA_SUCCESSFUL;
	bool all_done = true, bad = false;
	size_t i;
	json_t *m;
	*why = NULL;
	json_array_foreach(metrics, i, m) {
		json_t *r = json_object_get(results, str(m, "name") ? str(m, "name") : "");
		const char *p = r ? str(r, "phase") : CA_PENDING;
		if (json_is_true(json_object_get(m, "dryRun")))
			continue;   /* reported, never decisive */
		if (!ca_completed(p)) {
			all_done = false;
			continue;
		}
		if (strcmp(p, CA_SUCCESSFUL))
			bad = true;
		if (ca_worse(p, worst)) {
			worst = p;
			*why = str(r, "message");
		}
	}
	if (bad)
		return worst;
	return all_done ? CA_SUCCESSFUL : CA_RUNNING;
}
