/*
 * plugin.c -- deploy: the deploy core.  It builds releases from the
 * repository, records them, provides the commands (deploy, releases,
 * rollback, restart, scale, status, logs, stop, delete) and the hooks the
 * golden paths call:
 *
 *   deploy.service {service, env?, version?, strategy?, dir?, trigger?}
 *     -> {id, service, env, version, sha, url, outcome, replicas, strategy}
 *   deploy.destroy {service, env} -> {destroyed}   (the undo of deploy.service)
 *   deploy.record {service, env, id, outcome?, steps?, analysis?, ...}
 *     -> {outcome}   (a rollout that outlives its command reports; progress.c)
 *
 * Strategies are drivers behind the front deploy.run (plugins/deploy/rolling,
 * plugins/deploy/bluegreen); replicas run behind the fronts runtime.VERB.
 * See README.md.
 */
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

PAVED_PLUGIN_INIT1;

/* deploy.service: deploy SERVICE to ENV (default dev) from its repository
 * (or, with dir, a working copy).  A failure hands back the record's
 * outcome beside its error. */
static int h_service(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct dc_req q = {
		json_string_value(json_object_get(args, "service")),
		json_string_value(json_object_get(args, "env")) ?: "dev",
		json_string_value(json_object_get(args, "version")),
		json_string_value(json_object_get(args, "strategy")),
		json_string_value(json_object_get(args, "dir")),
		json_string_value(json_object_get(args, "trigger")) ?: "cli",
	};
	if (!q.svc)
		return paved->error(errmsg, "argument 'service' (a service name) is required");
	return dc_deploy(ctx, &q, result, errmsg);
}

/* deploy.destroy: stop SERVICE in ENV, remove its front door, releases and
 * records (what deploy.service made). */
static int h_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	if (!svc || !dc_valid_name(svc, false) || !env || !dc_valid_name(env, true))
		return paved->error(errmsg, "arguments 'service' and 'env' (names) are required");
	return dc_destroy(ctx, svc, env, result, errmsg);
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct pc_hook hooks[] = {
		{ "deploy.service", h_service }, { "deploy.destroy", h_destroy },
		{ "deploy.record", dc_record_hook },
	};
	static const struct pc_cmd cmds[] = {
		{ "deploy", "build a commit of the service's repository and roll it out", dc_cli_deploy },
		{ "releases", "list a service's deploys: version, outcome, trigger, strategy",
		  dc_cli_releases },
		{ "rollback", "put the previous (or a named) release back in traffic", dc_cli_rollback },
		{ "restart", "replace a service's replicas with fresh ones of the same release",
		  dc_cli_restart },
		{ "scale", "set how many replicas of a service run", dc_cli_scale },
		{ "status", "services' health, replicas, URL, live version and last deploy",
		  dc_cli_status },
		{ "logs", "a service's replica logs (Loki when it runs, else the log files)",
		  dc_cli_logs },
		{ "stop", "stop a service's replicas, or every service", dc_cli_stop },
		{ "delete", "decommission a service: replicas, front door, releases, records",
		  dc_cli_delete },
	};
	if (!PAVED_API_HAS(paved, provide_command))
		return paved->error(errmsg, "this paved is too old (it lacks provide_command)");
	return pc_provide_all(ctx, hooks, sizeof hooks / sizeof *hooks, cmds,
	                      sizeof cmds / sizeof *cmds, errmsg);
}

static const struct paved_option options[] = {
	{ "replicas", PAVED_OPT_INT, "2", "replicas when platform.yaml has no deploy.replicas" },
	{ "strategy", PAVED_OPT_STRING, "\"rolling\"",
	  "strategy when neither --strategy nor platform.yaml names one" },
	{ "health_timeout", PAVED_OPT_INT, "30", "seconds a new replica has to pass its health check" },
	{ "build_timeout", PAVED_OPT_INT, "600", "seconds a build command may take" },
	{ "lock_timeout", PAVED_OPT_INT, "600",
	  "seconds to wait for another paved command on the same service and env" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(deploy, "1.0.0",
                     "deploys from the repository: releases, records, rollback, status, logs",
                     init, NULL, options);
