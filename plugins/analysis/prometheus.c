/*
 * prometheus.c -- the provider "prometheus": an instant PromQL query
 * through libcurl (GET ADDRESS/api/v1/query?query=...).
 *
 * The address: the metric's `address`, else the option prometheus_url,
 * else what metrics.status says (the Prometheus paved runs).  The query
 * is a template: {{service}}, {{env}}, {{version}}, {{stable_version}},
 * {{replicas}} (the measured replicas' ids as a regular expression,
 * "r4|r5"), {{window}} ("30s": the metric's window, else the interval).
 * The answer: one series or a scalar is a number; several, a list; an
 * empty vector or NaN is no data (JSON null), never an error, so a
 * condition such as `result < 0.01` is not evaluated over nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "analysis.h"

PAVED_PLUGIN_INIT3;

/* The Prometheus to ask for METRIC (malloc()ed), or NULL with *ERRMSG. */
static char *address(paved_ctx *ctx, json_t *metric, char **errmsg)
{
	const char *a = json_string_value(json_object_get(metric, "address"));
	if (!a || !*a)
		a = json_string_value(paved->option(ctx, "prometheus_url"));
	if (a && *a)
		return strdup(a);
	json_t *res = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "metrics.status", NULL, &res, &err);
	char *out = NULL;
	if (rc == PAVED_NOHOOK)
		paved->error(errmsg, "no Prometheus to ask: give the metric an address, set "
		             "plugins.analysis.prometheus_url, or install the metrics plugin "
		             "(metrics.status)");
	else if (rc)
		paved->error(errmsg, "metrics.status: %s", err ? err : "failed");
	else if (!json_is_true(json_object_get(res, "running")) ||
	         !json_is_string(json_object_get(res, "url")))
		paved->error(errmsg, "the metrics backend does not run%s%s", json_is_string(
		             json_object_get(res, "detail")) ? ": " : "",
		             json_string_value(json_object_get(res, "detail")) ?: "");
	else
		out = strdup(json_string_value(json_object_get(res, "url")));
	json_decref(res);
	free(err);
	return out;
}

int an_prometheus_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	(void)result;
	json_t *m = json_object_get(args, "metric");
	const char *q = json_string_value(json_object_get(m, "query"));
	if (!q || !*q)
		return paved->error(errmsg, "query is missing: the provider prometheus needs a PromQL "
		                    "query");
	char *a = address(ctx, m, errmsg);
	if (!a)
		return PAVED_ERR;
	int rc = strncmp(a, "http://", 7) && strncmp(a, "https://", 8) ?
	         paved->error(errmsg, "address '%s' is not an http:// or https:// URL", a) : PAVED_OK;
	free(a);
	return rc;
}

/* The template variables of a measurement. */
static json_t *vars_of(json_t *args)
{
	json_t *m = json_object_get(args, "metric"), *r;
	json_t *v = json_pack("{sO sO}", "service", json_object_get(args, "service"), "env",
	                      json_object_get(args, "env"));
	static const char *const copied[] = { "version", "stable_version", NULL };
	for (size_t i = 0; copied[i]; i++)
		if (json_is_string(json_object_get(args, copied[i])))
			json_object_set(v, copied[i], json_object_get(args, copied[i]));
	char ids[1024] = "";
	size_t i;
	json_array_foreach(json_object_get(args, "replicas"), i, r) {
		size_t n = strlen(ids);
		snprintf(ids + n, sizeof ids - n, "%s%s", n ? "|" : "",
		         json_string_value(json_object_get(r, "id")) ?: "");
	}
	json_object_set_new(v, "replicas", json_string(ids));
	double w = json_number_value(json_object_get(m, "window"));
	if (w <= 0)
		w = json_number_value(json_object_get(args, "window"));
	if (w <= 0)
		w = json_number_value(json_object_get(m, "interval"));
	char win[32];
	snprintf(win, sizeof win, "%lds", (long)(w >= 1 ? w + 0.5 : 60));
	json_object_set_new(v, "window", json_string(win));
	return v;
}

int an_prometheus_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	json_t *m = json_object_get(args, "metric"), *vars = vars_of(args), *value = NULL;
	const char *tmpl = json_string_value(json_object_get(m, "query"));
	char *a = address(ctx, m, errmsg), *q = tmpl ? an_template(tmpl, vars) : NULL, *resp = NULL;
	char *enc = NULL, *url = NULL, perr[300];
	long status = 0;
	int rc = PAVED_ERR;
	CURL *c = curl_easy_init();
	if (!a)
		goto done;
	if (!q || !c || !(enc = curl_easy_escape(c, q, 0))) {
		paved->error(errmsg, "query is missing");
		goto done;
	}
	size_t al = strlen(a);
	url = pc_printf("%.*s/api/v1/query?query=%s", (int)(al && a[al - 1] == '/' ? al - 1 : al), a,
	                enc);
	if (an_http("GET", url, NULL, an_timeout(m, 10), &status, &resp, errmsg))
		goto done;
	if (an_prom_value(resp, &value, perr, sizeof perr)) {
		paved->error(errmsg, "Prometheus (HTTP %ld): %s", status, perr);
		goto done;
	}
	*result = json_pack("{so ss}", "value", value, "detail", q);
	rc = PAVED_OK;
done:
	if (enc)
		curl_free(enc);
	if (c)
		curl_easy_cleanup(c);
	json_decref(vars);
	free(a), free(q), free(resp), free(url);
	return rc;
}
