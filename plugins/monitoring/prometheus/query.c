/*
 * query.c -- reading the metrics backend (see pm.h): Prometheus's HTTP
 * query API, the hooks metrics.status, metrics.query and metrics.red, and
 * the RED figures `paved metrics` and `paved status` show.
 *
 * metrics.red never starts Prometheus (the catalog's show and paved
 * status degrade without it); metrics.query does (a canary needs it);
 * `paved metrics` does.  Every request is bounded by the option
 * timeout_ms; the queries of one figure set run side by side.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pm.h"

long pmq_timeout(paved_ctx *ctx)
{
	json_t *t = paved->option(ctx, "timeout_ms");
	long ms = json_is_integer(t) ? (long)json_integer_value(t) : 5000;
	return ms > 0 ? ms : 5000;
}

/* DATA of Prometheus's answer BODY (new), or NULL with *ERR. */
static json_t *answer(const struct pmh_req *r, char **err)
{
	json_error_t je;
	json_t *j = NULL, *data = NULL;
	if (r->err) {
		*err = pc_printf("Prometheus does not answer: %s", r->err);
		return NULL;
	}
	j = json_loads(r->body, 0, &je);
	const char *st = json_string_value(json_object_get(j, "status"));
	if (st && !strcmp(st, "success") && json_is_object(json_object_get(j, "data")))
		data = json_incref(json_object_get(j, "data"));
	else if (st)
		*err = pc_printf("Prometheus refused the query: %s: %s",
		                 json_string_value(json_object_get(j, "errorType")) ?: "error",
		                 json_string_value(json_object_get(j, "error")) ?: "?");
	else
		*err = pc_printf("Prometheus answered HTTP %ld with no API answer: %.200s", r->status,
		                 r->body);
	json_decref(j);
	return data;
}

void pmq_instant(paved_ctx *ctx, const char *url, const char *const *exprs, size_t n,
                 double time, json_t **data, char **errs)
{
	struct pmh_req *rs = calloc(n ? n : 1, sizeof *rs);
	for (size_t i = 0; rs && i < n; i++) {
		char *q = pmh_escape(exprs[i]);
		rs[i].url = time > 0 ? pc_printf("%s/api/v1/query?query=%s&time=%.3f", url, q ? q : "", time)
		                     : pc_printf("%s/api/v1/query?query=%s", url, q ? q : "");
		free(q);
	}
	if (rs)
		pmh_many(rs, n, pmq_timeout(ctx));
	for (size_t i = 0; i < n; i++) {
		data[i] = NULL, errs[i] = NULL;
		if (!rs)
			errs[i] = strdup("out of memory");
		else
			data[i] = answer(&rs[i], &errs[i]);
		if (rs)
			pmh_free(&rs[i]);
	}
	free(rs);
}

/* A sample's value ("NaN" and friends: NAN). */
static double value_of(json_t *sample)
{
	const char *v = json_string_value(json_array_get(json_object_get(sample, "value"), 1));
	return v ? strtod(v, NULL) : NAN;
}

/* Set KEY of O to V (SCALE times), unless V is not a number. */
static void set_num(json_t *o, const char *key, double v, double scale)
{
	if (isfinite(v))
		json_object_set_new(o, key, json_real(v * scale));
}

/* The entry of VERSION in BY (made when missing). */
static json_t *entry(json_t *by, const char *version)
{
	json_t *e = json_object_get(by, version);
	if (!e) {
		e = json_pack("{ss}", "version", version);
		json_object_set_new(by, version, e);
	}
	return e;
}

/* The scrape of each replica of SVC in ENV, from the targets API: a new
 * array of {replica, version, instance, up, error?}. */
static json_t *replicas(json_t *targets, const char *svc, const char *env)
{
	json_t *out = json_array(), *t;
	size_t i;
	json_array_foreach(json_object_get(targets, "activeTargets"), i, t) {
		json_t *l = json_object_get(t, "labels");
		const char *s = json_string_value(json_object_get(l, "service"));
		const char *e = json_string_value(json_object_get(l, "env"));
		if (!s || !e || strcmp(s, svc) || strcmp(e, env))
			continue;
		const char *h = json_string_value(json_object_get(t, "health"));
		const char *err = json_string_value(json_object_get(t, "lastError"));
		json_t *r = json_pack("{sO? sO? sO? ss}", "replica", json_object_get(l, "replica"),
		                      "version", json_object_get(l, "version"), "instance",
		                      json_object_get(l, "instance"), "health", h ? h : "unknown");
		json_object_set_new(r, "up", json_boolean(h && !strcmp(h, "up")));
		if (err && *err)
			json_object_set_new(r, "error", json_string(err));
		json_array_append_new(out, r);
	}
	return out;
}

int pmq_red(paved_ctx *ctx, const char *url, const char *svc, const char *env, double window,
            double spark_s, json_t **out, char **errmsg)
{
	char sel[300], w[32], *ex[4] = { 0 };
	snprintf(sel, sizeof sel, "service=\"%s\",env=\"%s\"" PMG_USERS, svc, env);
	snprintf(w, sizeof w, "%lds", (long)(window > 1 ? window : 1));
	/* each figure per version and, as version "*", over every version */
	ex[0] = pc_printf("sum by (version) (rate(" PMG_METRIC "_count{%s}[%s])) or "
	                  "label_replace(sum(rate(" PMG_METRIC "_count{%s}[%s])), \"version\", \"*\", \"\", \"\")",
	                  sel, w, sel, w);
	ex[1] = pc_printf("sum by (version) (rate(" PMG_METRIC "_count{%s,http_response_status_code=~\"5..\"}[%s])"
	                  " or rate(" PMG_METRIC "_count{%s}[%s]) * 0) or label_replace(sum(rate("
	                  PMG_METRIC "_count{%s,http_response_status_code=~\"5..\"}[%s]) or rate("
	                  PMG_METRIC "_count{%s}[%s]) * 0), \"version\", \"*\", \"\", \"\")",
	                  sel, w, sel, w, sel, w, sel, w);
	for (int q = 0; q < 2; q++)
		ex[2 + q] = pc_printf("histogram_quantile(%s, sum by (version, le) (rate(" PMG_METRIC
		                      "_bucket{%s}[%s]))) or label_replace(histogram_quantile(%s, sum by (le) "
		                      "(rate(" PMG_METRIC "_bucket{%s}[%s]))), \"version\", \"*\", \"\", \"\")",
		                      q ? "0.99" : "0.5", sel, w, q ? "0.99" : "0.5", sel, w);
	/* side by side: the four figures, the targets, and the sparkline */
	size_t n = spark_s > 0 ? 6 : 5;
	struct pmh_req rs[6] = { { 0 } };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = ts.tv_sec + ts.tv_nsec / 1e9;   /* not truncated: a new series counts */
	double step = spark_s / 24 >= 1 ? spark_s / 24 : 1;
	for (int i = 0; i < 4; i++) {
		char *q = ex[i] ? pmh_escape(ex[i]) : NULL;
		rs[i].url = pc_printf("%s/api/v1/query?query=%s&time=%.3f", url, q ? q : "", now);
		free(q);
	}
	rs[4].url = pc_printf("%s/api/v1/targets?state=active", url);
	if (n == 6) {
		char *e = pc_printf("sum by (version) (rate(" PMG_METRIC "_count{%s}[%lds]))", sel,
		                    (long)(step * 2 > 60 ? step * 2 : 60));
		char *q = e ? pmh_escape(e) : NULL;
		rs[5].url = pc_printf("%s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.0f", url,
		                      q ? q : "", now - spark_s, now, step);
		free(e), free(q);
	}
	pmh_many(rs, n, pmq_timeout(ctx));
	json_t *by = json_object(), *data[6] = { 0 }, *s;
	char *err = NULL;
	int rc = PAVED_OK;
	for (size_t i = 0; i < n && rc == PAVED_OK; i++)
		if (!(data[i] = answer(&rs[i], &err)))
			rc = paved->error(errmsg, "%s", err ? err : "?");
	if (rc)
		goto out;
	static const char *const keys[] = { "requests_per_s", "errors_per_s", "latency_p50_ms",
	                                    "latency_p99_ms" };
	for (int i = 0; i < 4; i++) {
		size_t k;
		json_array_foreach(json_object_get(data[i], "result"), k, s) {
			const char *v = json_string_value(json_object_get(json_object_get(s, "metric"), "version"));
			set_num(entry(by, v ? v : "?"), keys[i], value_of(s), i >= 2 ? 1000 : 1);
		}
	}
	*out = json_pack("{sf}", "window", window);
	json_t *versions = json_array(), *all = json_object_get(by, "*"), *e;
	const char *v;
	json_object_foreach(by, v, e) {
		double r = json_number_value(json_object_get(e, "requests_per_s"));
		json_t *er = json_object_get(e, "errors_per_s");
		if (er && r > 0)
			json_object_set_new(e, "error_rate", json_real(json_number_value(er) / r));
		json_object_del(e, "errors_per_s");
		if (strcmp(v, "*"))
			json_array_append(versions, e);
	}
	if (all) {
		static const char *const top[] = { "requests_per_s", "error_rate", "latency_p50_ms",
		                                   "latency_p99_ms" };
		for (int i = 0; i < 4; i++)
			if (json_object_get(all, top[i]))
				json_object_set(*out, top[i], json_object_get(all, top[i]));
	} else {
		json_object_set_new(*out, "requests_per_s", json_real(0));
	}
	if (n == 6) {
		size_t k;
		json_array_foreach(json_object_get(data[5], "result"), k, s) {
			const char *ver = json_string_value(json_object_get(json_object_get(s, "metric"), "version"));
			json_t *pts = json_array(), *p, *ve = NULL, *x;
			size_t j;
			json_array_foreach(json_object_get(s, "values"), j, p) {
				double d = strtod(json_string_value(json_array_get(p, 1)) ?: "nan", NULL);
				json_array_append_new(pts, isfinite(d) ? json_real(d) : json_null());
			}
			json_array_foreach(versions, j, x)
				if (ver && !strcmp(json_string_value(json_object_get(x, "version")) ?: "", ver))
					ve = x;
			if (!ve && ver) {
				ve = json_pack("{ss}", "version", ver);
				json_array_append_new(versions, ve);
			}
			if (ve)
				json_object_set_new(ve, "spark", pts);
			else
				json_decref(pts);
		}
	}
	json_object_set_new(*out, "versions", versions);
	json_t *reps = replicas(data[4], svc, env);
	size_t up = 0, k;
	json_array_foreach(reps, k, s)
		up += json_is_true(json_object_get(s, "up"));
	json_object_set_new(*out, "replicas", reps);
	json_object_set_new(*out, "targets", json_pack("{si si}", "up", (int)up, "total",
	                    (int)json_array_size(reps)));
out:
	for (size_t i = 0; i < 6; i++) {
		pmh_free(&rs[i]);
		json_decref(data[i]);
	}
	for (int i = 0; i < 4; i++)
		free(ex[i]);
	json_decref(by);
	free(err);
	return rc;
}

json_t *pmq_status(paved_ctx *ctx, struct pmb *b)
{
	json_t *r = json_pack("{sb sb}", "running", 0, "managed", b->managed);
	char *why = NULL, *detail = NULL;
	if (b->managed && !pmb_running(b)) {
		json_object_set_new(r, "url", json_null());
		detail = pc_printf("not running ('paved metrics up' starts it; data in %s/data)", b->srv);
	} else if (!pmb_ready(b, pmq_timeout(ctx), &why)) {
		json_object_set_new(r, "url", b->url ? json_string(b->url) : json_null());
		detail = b->managed ? pc_printf("paved-metricsd runs (pid %d) but Prometheus at %s is not "
		                                "ready: %s", (int)pmb_pid(b), b->url ? b->url : "?", why)
		                    : pc_printf("the Prometheus at %s (plugins.prometheus.url) does not "
		                                "answer: %s", b->url, why);
	} else {
		const char *const exprs[] = { "count(up == 1)", "count(up)",
		                              "count(ALERTS{alertstate=\"firing\"})" };
		json_t *d[3];
		char *e[3];
		double v[3];
		pmq_instant(ctx, b->url, exprs, 3, 0, d, e);
		for (int i = 0; i < 3; i++) {
			v[i] = d[i] ? value_of(json_array_get(json_object_get(d[i], "result"), 0)) : NAN;
			json_decref(d[i]);
			free(e[i]);
		}
		json_object_set_new(r, "running", json_true());
		json_object_set_new(r, "url", json_string(b->url));
		json_object_set_new(r, "targets", json_pack("{si si}", "up", isfinite(v[0]) ? (int)v[0] : 0,
		                    "total", isfinite(v[1]) ? (int)v[1] : 0));
		json_object_set_new(r, "alerts_firing", json_integer(isfinite(v[2]) ? (int)v[2] : 0));
		if (b->managed) {
			json_object_set_new(r, "pid", json_integer(pmb_pid(b)));
			json_object_set_new(r, "dir", json_string(b->real));
		}
		detail = pc_printf("Prometheus at %s%s: %d of %d targets up, %d alerts firing", b->url,
		                   b->managed ? " (run by paved)" : " (plugins.prometheus.url)",
		                   isfinite(v[0]) ? (int)v[0] : 0, isfinite(v[1]) ? (int)v[1] : 0,
		                   isfinite(v[2]) ? (int)v[2] : 0);
	}
	json_object_set_new(r, "detail", json_string(detail ? detail : "?"));
	free(why), free(detail);
	return r;
}

int pmq_hook_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	struct pmb b;
	(void)args, (void)data;
	int rc = pmb_open(ctx, &b, errmsg);
	if (rc == PAVED_OK)
		*result = pmq_status(ctx, &b);
	pmb_close(&b);
	return rc;
}

int pmq_hook_query(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *q = json_string_value(json_object_get(args, "query"));
	json_t *st = json_object_get(args, "start"), *en = json_object_get(args, "end");
	json_t *sp = json_object_get(args, "step"), *t = json_object_get(args, "time");
	struct pmb b;
	struct pmh_req r = { 0 };
	char *err = NULL, *eq = NULL;
	int rc;
	(void)data;
	if (!q || !*q)
		return paved->error(errmsg, "argument 'query' (PromQL) is required");
	if ((st || en || sp) && !(json_is_number(st) && json_is_number(en) && json_is_number(sp)))
		return paved->error(errmsg, "a range query needs all of 'start', 'end' and 'step' "
		                    "(unix seconds, seconds)");
	if (sp && json_number_value(sp) <= 0)
		return paved->error(errmsg, "argument 'step' must be above 0 seconds");
	if ((rc = pmb_open(ctx, &b, errmsg)))
		goto out;
	if ((rc = pmb_ensure(ctx, &b, true, NULL, errmsg)))
		goto out;
	eq = pmh_escape(q);
	if (st)
		r.url = pc_printf("%s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.3f", b.url,
		                  eq ? eq : "", json_number_value(st), json_number_value(en),
		                  json_number_value(sp));
	else if (t)
		r.url = pc_printf("%s/api/v1/query?query=%s&time=%.3f", b.url, eq ? eq : "",
		                  json_number_value(t));
	else
		r.url = pc_printf("%s/api/v1/query?query=%s", b.url, eq ? eq : "");
	pmh_many(&r, 1, pmq_timeout(ctx));
	json_t *d = answer(&r, &err);
	if (!d) {
		rc = paved->error(errmsg, "%s", err ? err : "?");
		goto out;
	}
	/* vectors and matrices are lists of series; a scalar or string is [time, value] */
	json_t *res = json_object_get(d, "result");
	*result = json_pack("{sO? so}", "result_type", json_object_get(d, "resultType"), "result",
	                    json_is_array(res) ? json_incref(res) : json_pack("[O?]", res));
	json_decref(d);
out:
	pmh_free(&r);
	pmb_close(&b);
	free(err), free(eq);
	return rc;
}

int pmq_hook_red(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	json_t *w = json_object_get(args, "window");
	struct pmb b;
	int rc;
	(void)data;
	if (!pmf_name_ok(svc))
		return paved->error(errmsg, "invalid service name '%s'", svc ? svc : "");
	if (!pmf_env_ok(env))
		return paved->error(errmsg, "invalid env '%s'", env ? env : "");
	if (w && (!json_is_number(w) || json_number_value(w) < 1))
		return paved->error(errmsg, "argument 'window' must be a number of seconds, 1 or more");
	if ((rc = pmb_open(ctx, &b, errmsg)))
		return rc;
	if (b.managed && !pmb_running(&b))
		rc = paved->error(errmsg, "metrics unavailable: Prometheus is not running ('paved "
		                  "metrics up' starts it)");
	else
		rc = pmq_red(ctx, b.url, svc, env, w ? json_number_value(w) : 300, 0, result, errmsg);
	pmb_close(&b);
	return rc;
}
