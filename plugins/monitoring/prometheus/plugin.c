/*
 * plugin.c -- the plugin "prometheus": descriptor, options, hooks (see
 * pm.h and README.md).
 *
 *   monitoring.driver.prometheus.register/unregister/targets/list  (driver.c)
 *   metrics.status {}                     is the backend up, and where
 *   metrics.query {query, time? | start, end, step}   PromQL (starts it)
 *   metrics.red {service, env, window?}   RED over the last WINDOW seconds
 *   cli.metrics                           paved metrics (cli.c)
 */
#include "pm.h"

PAVED_PLUGIN_INIT1;

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	static const char *const verbs[] = { "register", "unregister", "targets", "list", NULL };
	PAVED_PLUGIN_INIT2(a);
	if (!PAVED_API_HAS(paved, provide_command))
		return paved->error(errmsg, "this paved is too old for the plugin prometheus (it needs "
		                    "cli_parse, cli_help and provide_command)");
	if (pc_provide_verbs(ctx, "monitoring.driver.prometheus", verbs, pmd_verb, errmsg) ||
	    paved->provide(ctx, "metrics.status", pmq_hook_status, NULL, NULL, errmsg) ||
	    paved->provide(ctx, "metrics.query", pmq_hook_query, NULL, NULL, errmsg) ||
	    paved->provide(ctx, "metrics.red", pmq_hook_red, NULL, NULL, errmsg) ||
	    paved->provide_command(ctx, "metrics", "RED per version from Prometheus; start, stop or "
	                           "check the metrics backend", pmc_metrics, NULL, NULL, errmsg))
		return PAVED_ERR;
	return PAVED_OK;
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	pmh_global_cleanup();
}

static const struct paved_option options[] = {
	{ "dir", PAVED_OPT_STRING, "\"\"",
	  "where rules/, targets/, services/, dashboards/, runbooks/ and prometheus.yml go "
	  "(default $PAVED_HOME/monitoring)" },
	{ "scrape_interval", PAVED_OPT_STRING, "\"15s\"", "scrape and rule evaluation interval" },
	{ "url", PAVED_OPT_STRING, "\"\"",
	  "a Prometheus of yours (http://host:9090): paved then only writes files and queries it; "
	  "empty: paved runs one" },
	{ "autostart", PAVED_OPT_BOOL, "true",
	  "start the embedded Prometheus when a service is registered or gets scrape targets" },
	{ "prometheus", PAVED_OPT_STRING, "\"prometheus\"", "the Prometheus program" },
	{ "port", PAVED_OPT_INT, "0", "its loopback port (0: a free one)" },
	{ "exporter_port", PAVED_OPT_INT, "0",
	  "loopback port of paved's own metrics (paved-metricsd; 0: a free one)" },
	{ "retention", PAVED_OPT_STRING, "\"15d\"", "how long Prometheus keeps samples" },
	{ "timeout_ms", PAVED_OPT_INT, "5000", "timeout of every request to Prometheus" },
	{ "start_timeout", PAVED_OPT_INT, "60", "seconds to wait for Prometheus to be ready" },
	{ "run_as", PAVED_OPT_STRING, "\"\"",
	  "as root, the user Prometheus runs as (default prometheus, else nobody)" },
	{ "grafana_url", PAVED_OPT_STRING, "\"http://localhost:3000\"",
	  "the Grafana the dashboards' and alerts' links point at" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(prometheus, "3.0.0",
                     "the monitoring driver 'prometheus' and the metrics backend: rules, SLO "
                     "alerts, dashboards, an embedded Prometheus, metrics.* and paved metrics",
                     init, fini, options);
