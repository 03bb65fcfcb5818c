/*
 * plugin.c -- deploy_canary: the deploy strategy "canary" with metric
 * analysis (Argo Rollouts' semantics), a statistical judge (Kayenta's
 * Mann-Whitney) and automatic rollback, with no Kubernetes and no mesh:
 * HAProxy's weights move the traffic, a detached controller runs the
 * steps.
 *
 *   deploy.driver.canary.{check,run,status,promote,abort,retry}
 *   paved rollout status, paved promote, paved abort, paved retry
 *
 * See README.md.
 */
#include <stdlib.h>

#include "canary.h"

PAVED_PLUGIN_INIT1;

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct pc_hook hooks[] = {
		{ "deploy.driver.canary.check", cn_h_check }, { "deploy.driver.canary.run", cn_h_run },
		{ "deploy.driver.canary.status", cn_h_status },
		{ "deploy.driver.canary.promote", cn_h_promote },
		{ "deploy.driver.canary.abort", cn_h_abort }, { "deploy.driver.canary.retry", cn_h_retry },
	};
	static const struct pc_cmd cmds[] = {
		{ "rollout", "a canary rollout: its steps, traffic and analysis (rollout status)",
		  cn_cli_rollout },
		{ "promote", "move a canary rollout past a pause or an inconclusive analysis",
		  cn_cli_promote },
		{ "abort", "send all traffic back to the stable version at once", cn_cli_abort },
		{ "retry", "start an aborted canary rollout again from its first step", cn_cli_retry },
	};
	return pc_provide_all(ctx, hooks, sizeof hooks / sizeof *hooks, cmds,
	                      sizeof cmds / sizeof *cmds, errmsg);
}

static const struct paved_option options[] = {
	{ "measurements", PAVED_OPT_INT, "10",
	  "measurements of each metric over a short-form step's duration" },
	{ "interval", PAVED_OPT_INT, "60",
	  "seconds between measurements of rollback.on and of the analysis the SLO implies" },
	{ "min_window", PAVED_OPT_INT, "10", "shortest rate() window of a latency query, seconds" },
	{ "latency_metric", PAVED_OPT_STRING, "\"http_server_request_duration_seconds\"",
	  "the histogram the replicas export (latency_pNN of the short form)" },
	{ "paved", PAVED_OPT_STRING, "\"\"",
	  "the paved binary the controller runs (empty: this one, or the build tree's)" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(deploy_canary, "1.0.0",
                     "the deploy strategy 'canary': weights, analysis, a judge, automatic rollback",
                     init, NULL, options);
