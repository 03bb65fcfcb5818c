/*
 * spec_metrics.c -- the metrics of a canary's analysis, full form and
 * short form, checked and normalised (see spec.h), and the helpers of
 * spec.c.  Every refusal names its field.
 */
#include "spec_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cx_fail(struct px *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* BASE + a formatted tail, malloc()ed. */
char *cx_path(const char *base, const char *fmt, ...)
{
	char tail[200], *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	size_t n = strlen(base) + strlen(tail) + 1;
	if ((s = malloc(n)))
		snprintf(s, n, "%s%s", base, tail);
	return s;
}

/* Refuse the keys of OBJ (at PATH) that are not in KNOWN (a
 * NULL-terminated list; HINT lists them for the user). */
int cx_only(struct px *p, json_t *obj, const char *path, const char *const *known,
                const char *hint)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = !strcmp(k, known[i]);
		if (!ok)
			return cx_fail(p, "%s: unknown key '%s' (%s)", path, k, hint);
	}
	return 0;
}

int cx_duration_at(struct px *p, json_t *v, const char *path, double *secs)
{
	if (cx_duration(v, secs) == 0)
		return 0;
	char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	cx_fail(p, "%s: %s is not a duration (such as 30s, 10m, 1h)", path, t ? t : "?");
	free(t);
	return -1;
}

int cx_weight_at(struct px *p, json_t *v, const char *path, double *w)
{
	char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	int rc = 0;
	if (cx_percent(v, w) != 0)
		rc = cx_fail(p, "%s: %s is not a weight (a percentage such as 5%% or 5)", path, t ? t : "?");
	else if (*w < 0 || *w > 100)
		rc = cx_fail(p, "%s: %s is not a weight from 0 to 100 (%%)", path, t ? t : "?");
	free(t);
	return rc;
}

static int count_at(struct px *p, json_t *m, const char *key, const char *path, long min,
                    long dflt, json_t *out)
{
	json_t *v = json_object_get(m, key);
	if (!v) {
		json_object_set_new(out, key, json_integer(dflt));
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return cx_fail(p, "%s.%s: must be a whole number, %ld or more", path, key, min);
	json_object_set(out, key, v);
	return 0;
}

/* ---- metrics ------------------------------------------------------------ */

static const char *const metric_keys[] = { "name", "provider", "interval", "count",
	"initialDelay", "successCondition", "failureCondition", "failureLimit", "inconclusiveLimit",
	"consecutiveErrorLimit", "dryRun", "noData", "query", "address", "url", "method", "body",
	"headers", "timeout", "command", "window", NULL };

/* Is NAME a metric name: [a-z0-9_.-], 1..63, starting with a letter? */
bool cx_metric_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* A full-form metric M at PATH into a new normal-form *OUT. */
int cx_full_metric(struct px *p, json_t *m, const char *path, json_t **out)
{
	*out = NULL;
	if (!json_is_object(m))
		return cx_fail(p, "%s: must be a mapping (name, provider, successCondition, ...)", path);
	if (cx_only(p, m, path, metric_keys, "name, provider, interval, count, initialDelay, "
	         "successCondition, failureCondition, failureLimit, inconclusiveLimit, "
	         "consecutiveErrorLimit, dryRun, noData and the provider's fields"))
		return -1;
	const char *name = json_string_value(json_object_get(m, "name"));
	if (!cx_metric_name(name))
		return cx_fail(p, "%s.name: %s: a metric needs a name of lowercase letters, digits, "
		            "'_', '-' and '.'", path, name ? "is not a name" : "is missing");
	json_t *o = json_deep_copy(m);
	double d;
	const char *prov = json_string_value(json_object_get(m, "provider"));
	if (json_object_get(m, "provider") && (!prov || !cx_metric_name(prov))) {
		json_decref(o);
		return cx_fail(p, "%s.provider: must be a provider name (haproxy, prometheus, webhook, job)",
		            path);
	}
	json_object_set_new(o, "provider", json_string(prov ? prov : "haproxy"));
	static const char *const times[] = { "interval", "initialDelay", "timeout", "window", NULL };
	for (size_t i = 0; times[i]; i++) {
		json_t *v = json_object_get(m, times[i]);
		char *at = cx_path(path, ".%s", times[i]);
		int bad = v && cx_duration_at(p, v, at, &d);
		free(at);
		if (bad) {
			json_decref(o);
			return -1;
		}
		json_object_set_new(o, times[i], json_real(v ? d : 0));
	}
	if (count_at(p, m, "count", path, 0, 0, o) || count_at(p, m, "failureLimit", path, -1, 0, o) ||
	    count_at(p, m, "inconclusiveLimit", path, -1, 0, o) ||
	    count_at(p, m, "consecutiveErrorLimit", path, -1, 4, o)) {
		json_decref(o);
		return -1;
	}
	static const char *const conds[] = { "successCondition", "failureCondition", NULL };
	for (size_t i = 0; conds[i]; i++) {
		json_t *v = json_object_get(m, conds[i]);
		if (v && (!json_is_string(v) || !*json_string_value(v))) {
			json_decref(o);
			return cx_fail(p, "%s.%s: must be an expression over result, such as 'result < 0.01'",
			            path, conds[i]);
		}
	}
	json_t *dr = json_object_get(m, "dryRun");
	if (dr && !json_is_boolean(dr)) {
		json_decref(o);
		return cx_fail(p, "%s.dryRun: must be true or false", path);
	}
	json_object_set_new(o, "dryRun", json_boolean(json_is_true(dr)));
	const char *nd = json_string_value(json_object_get(m, "noData"));
	if (json_object_get(m, "noData") && (!nd || (strcmp(nd, "inconclusive") && strcmp(nd, "success") &&
	    strcmp(nd, "failure") && strcmp(nd, "error")))) {
		json_decref(o);
		return cx_fail(p, "%s.noData: must be inconclusive, success, failure or error", path);
	}
	json_object_set_new(o, "noData", json_string(nd ? nd : "inconclusive"));
	json_object_set_new(o, "at", json_string(path));
	*out = o;
	return 0;
}

/* The short-form metrics: NAME_less_than / NAME_greater_than. */
struct shorthand { const char *name, *provider, *unit; };
static const struct shorthand shorthands[] = {
	{ "error_rate", "haproxy", "%" }, { "request_rate", "haproxy", "" },
	{ "latency_avg", "haproxy", "ms" }, { "latency_p50", "prometheus", "ms" },
	{ "latency_p90", "prometheus", "ms" }, { "latency_p95", "prometheus", "ms" },
	{ "latency_p99", "prometheus", "ms" }, { NULL, NULL, NULL }
};

/* A value of a shorthand in UNIT: "%" (1% or 0.01), "ms" (200ms, 0.2s, or
 * a number of milliseconds) -> the value the provider measures (a
 * fraction, seconds, requests per second). */
static int short_value(struct px *p, json_t *v, const char *unit, const char *path, double *out)
{
	double x;
	if (!strcmp(unit, "%")) {
		if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1) {
			*out = json_number_value(v);
			return 0;
		}
		if (json_is_string(v) && cx_percent(v, &x) == 0 && x >= 0 && x <= 100) {
			*out = x / 100;
			return 0;
		}
		return cx_fail(p, "%s: must be a percentage such as 1%% (or a fraction such as 0.01)", path);
	}
	if (!strcmp(unit, "ms")) {
		if (json_is_number(v) && json_number_value(v) >= 0) {
			*out = json_number_value(v) / 1000;
			return 0;
		}
		if (json_is_string(v) && cx_duration(v, &x) == 0) {
			*out = x;
			return 0;
		}
		return cx_fail(p, "%s: must be a time such as 200ms or 0.5s", path);
	}
	if (json_is_number(v) && json_number_value(v) >= 0) {
		*out = json_number_value(v);
		return 0;
	}
	return cx_fail(p, "%s: must be a number", path);
}

/* The PromQL of latency_pNN over the canary's replicas. */
static char *latency_query(struct px *p, const char *name)
{
	const char *q = name + strlen("latency_p");
	char buf[512];
	snprintf(buf, sizeof buf, "histogram_quantile(0.%s, sum by (le) (rate(%s_bucket{service=\""
	         "{{service}}\",env=\"{{env}}\",replica=~\"{{replicas}}\"}[{{window}}])))", q,
	         p->o->latency_metric ? p->o->latency_metric : "http_server_request_duration_seconds");
	return strdup(buf);
}

/* A short-form metric entry E ({error_rate_less_than: 1%}) at PATH into a
 * normal-form metric *OUT: its condition is a success condition (ROLLBACK
 * false: "must hold") or a failure condition (ROLLBACK true: "roll back
 * when"). */
int cx_short_metric(struct px *p, json_t *e, const char *path, bool rollback, double interval,
                        int count, json_t **out)
{
	*out = NULL;
	if (!json_is_object(e) || json_object_size(e) != 1)
		return cx_fail(p, "%s: must be one entry such as 'error_rate_less_than: 1%%'", path);
	const char *k = NULL;
	json_t *v = NULL;
	json_object_foreach(e, k, v)
		break;
	const struct shorthand *s = NULL;
	const char *op = NULL;
	char base[64];
	for (size_t i = 0; shorthands[i].name && !s; i++) {
		size_t n = strlen(shorthands[i].name);
		if (strncmp(k, shorthands[i].name, n) != 0)
			continue;
		if (!strcmp(k + n, "_less_than"))
			s = &shorthands[i], op = "<";
		else if (!strcmp(k + n, "_greater_than"))
			s = &shorthands[i], op = ">";
	}
	if (!s)
		return cx_fail(p, "%s: unknown metric '%s' (error_rate, request_rate, latency_avg, "
		            "latency_p50, latency_p90, latency_p95 or latency_p99, each with _less_than "
		            "or _greater_than)", path, k);
	double x = 0;
	char *vp = cx_path(path, ".%s", k);
	int bad = short_value(p, v, s->unit, vp, &x);
	free(vp);
	if (bad)
		return -1;
	snprintf(base, sizeof base, "%s", s->name);
	char cond[96];
	snprintf(cond, sizeof cond, "result %s %.10g", op, x);
	json_t *o = json_pack("{ss ss sf si sf si si si sb ss ss}", "name", base, "provider",
	                      s->provider, "interval", interval, "count", count,
	                      "initialDelay", count ? interval : 0.0, "failureLimit", 0,
	                      "inconclusiveLimit", 0, "consecutiveErrorLimit", 4, "dryRun", 0,
	                      "noData", "inconclusive", "at", path);
	json_object_set_new(o, rollback ? "failureCondition" : "successCondition", json_string(cond));
	if (!strcmp(s->provider, "haproxy")) {
		json_object_set_new(o, "query", json_string(s->name));
	} else {
		char *q = latency_query(p, s->name);
		json_object_set_new(o, "query", json_string(q));
		free(q);
		double w = interval > p->o->min_window ? interval : p->o->min_window;
		json_object_set_new(o, "window", json_real(w));
	}
	*out = o;
	return 0;
}

/* Apply deploy.analysis's defaults (interval, failureLimit, ...) of the
 * short form to the generated metric M. */
void cx_defaults(json_t *m, json_t *d)
{
	static const char *const keys[] = { "failureLimit", "inconclusiveLimit",
		"consecutiveErrorLimit", "noData", NULL };
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(d, keys[i]))
			json_object_set(m, keys[i], json_object_get(d, keys[i]));
}

/* Append metric M (taken) to the list LIST, refusing a second of its name
 * (the list of a run) at PATH. */
int cx_add_metric(struct px *p, json_t *list, json_t *m, const char *path)
{
	size_t i;
	json_t *x;
	const char *name = json_string_value(json_object_get(m, "name"));
	json_array_foreach(list, i, x)
		if (!strcmp(json_string_value(json_object_get(x, "name")), name)) {
			json_decref(m);
			return cx_fail(p, "%s: duplicate metric name '%s' (%s has it too)", path, name,
			            json_string_value(json_object_get(x, "at")));
		}
	json_array_append_new(list, m);
	return 0;
}
