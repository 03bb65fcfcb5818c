/*
 * plugin.c -- analysis: the providers of a canary's measurements, each a
 * driver of the area analysis (sdk/hooks.json):
 *
 *   analysis.driver.haproxy.{check,begin,measure}   (the area's default)
 *   analysis.driver.prometheus.{check,measure}
 *   analysis.driver.webhook.{check,measure}
 *   analysis.driver.job.{check,measure}
 *
 * Callers (the canary's controller) call the fronts analysis.VERB with
 * the metric's provider as the selector.  See README.md.
 */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "analysis.h"

PAVED_PLUGIN_INIT1;

typedef int (*an_fn)(paved_ctx *, json_t *, json_t **, char **);

double an_timeout(json_t *metric, double dflt)
{
	double t = json_number_value(json_object_get(metric, "timeout"));
	return t > 0 ? t : dflt;
}

/* Every hook: DATA is the provider's function for the verb. */
static int dispatch(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	an_fn fn = *(an_fn *)data;
	if (!json_is_object(json_object_get(args, "metric")))
		return paved->error(errmsg, "argument 'metric' (an object) is required");
	return fn(ctx, args, result, errmsg);
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct { const char *hook; an_fn fn; } hooks[] = {
		{ "analysis.driver.haproxy.check", an_haproxy_check },
		{ "analysis.driver.haproxy.begin", an_haproxy_begin },
		{ "analysis.driver.haproxy.measure", an_haproxy_measure },
		{ "analysis.driver.prometheus.check", an_prometheus_check },
		{ "analysis.driver.prometheus.measure", an_prometheus_measure },
		{ "analysis.driver.webhook.check", an_webhook_check },
		{ "analysis.driver.webhook.measure", an_webhook_measure },
		{ "analysis.driver.job.check", an_job_check },
		{ "analysis.driver.job.measure", an_job_measure },
	};
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return paved->error(errmsg, "libcurl cannot start");
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++)
		if (paved->provide(ctx, hooks[i].hook, dispatch, (void *)&hooks[i].fn, NULL, errmsg))
			return PAVED_ERR;
	return PAVED_OK;
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	curl_global_cleanup();
}

static const struct paved_option options[] = {
	{ "prometheus_url", PAVED_OPT_STRING, "\"\"",
	  "the Prometheus the provider prometheus asks (empty: metrics.status's)" },
	{ "haproxy_socket", PAVED_OPT_STRING, "\"\"",
	  "HAProxy's stats socket (empty: the runtime's, $PAVED_HOME/runtime/haproxy/admin.sock)" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(analysis, "1.0.0",
                     "a canary's measurements: haproxy counters, prometheus, webhook, job",
                     init, fini, options);
