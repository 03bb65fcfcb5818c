/*
 * plugin.c -- the provision core plugin: descriptor, options and hooks.
 *
 * Hooks (contracts in README.md; the shapes of provision.apply,
 * provision.outputs and resources.destroy are declared in sdk/hooks.json):
 *   provision.apply {file?, env?, service?, owner?, dry_run?, prune?, yes?, confirmed?}
 *   provision.outputs {service, env}      the connection details, by key (secrets)
 *   provision.resource {type, name, env?, class?, params?, service?, owner?, dry_run?}
 *   provision.list {}   provision.env {name}   (the deploy plugin's, until it
 *                                              reads provision.outputs)
 *   resources.destroy {name, yes?}   resources.status {name}
 *   resources.start {}   resources.stop {}
 *   cli.apply   cli.provision   cli.resources
 * It does not provide the fronts provision.create ... provision.stop: the
 * host does, and dispatches them to the drivers.
 */
#include <string.h>

#include "provision.h"

PAVED_PLUGIN_INIT1;

static int hook_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return prv_apply(ctx, args, result, errmsg);
}

static int hook_resource(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *spec = json_is_object(args) ? json_deep_copy(args) : json_object();
	bool dry = json_is_true(json_object_get(spec, "dry_run"));
	json_object_del(spec, "dry_run");
	int rc = prv_resource(ctx, spec, dry, result, errmsg);
	json_decref(spec);
	return rc;
}

/* provision.outputs {service, env} -> {KEY: {url, host, port, name,
 * username, password, ...}}: the connection details of the service's
 * resources in ENV, WITH their secrets, for the deploy plugin's
 * ${resources.KEY.FIELD}.  Never log or print the result. */
static int hook_outputs(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	json_t *all = paved->state_list(ctx, PRV_NS), *rec;
	const char *name;
	int rc = PAVED_OK;
	if (!svc || !env)
		return paved->error(errmsg, "arguments 'service' and 'env' (strings) are required");
	*result = json_object();
	json_object_foreach(all, name, rec) {
		const char *k = json_string_value(json_object_get(rec, "key"));
		if (!k || !json_equal(json_object_get(rec, "service"), json_object_get(args, "service")) ||
		    !json_equal(json_object_get(rec, "env"), json_object_get(args, "env")))
			continue;
		json_t *o = prv_secret_read(ctx, name, errmsg);
		if (!o && *errmsg) {
			rc = PAVED_ERR;
			break;
		}
		json_object_set_new(*result, k, o ? o : json_object());
	}
	json_decref(all);
	return rc;
}

/* provision.env {name} -> {"DATABASE_URL": "postgresql://..."}: the URL of
 * one resource under its variable, WITH the secret. */
static int hook_env(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	json_t *rec = name ? paved->state_get(ctx, PRV_NS, name) : NULL, *o = NULL;
	if (!rec)
		return paved->error(errmsg, "no resource '%s' (see 'paved resources list')",
		                    name ? name : "");
	o = prv_secret_read(ctx, name, errmsg);
	*result = json_object();
	if (json_is_string(json_object_get(o, "url")))
		json_object_set(*result, json_string_value(json_object_get(rec, "env_var")),
		                json_object_get(o, "url"));
	json_decref(o);
	json_decref(rec);
	return *errmsg ? PAVED_ERR : PAVED_OK;
}

static int hook_list(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)errmsg, (void)data;
	return prv_list(ctx, result);
}

static int hook_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	if (!name || !*name)
		return paved->error(errmsg, "argument 'name' (a non-empty string) is required");
	return prv_destroy_named(ctx, name, json_is_true(json_object_get(args, "yes")), result,
	                         errmsg);
}

static int hook_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	if (!name)
		return paved->error(errmsg, "argument 'name' (a non-empty string) is required");
	return prv_status_named(ctx, name, result, errmsg);
}

static int hook_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)data;
	return prv_stop_all(ctx, result, errmsg);
}

static int hook_start(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)data;
	return prv_start_all(ctx, result, errmsg);
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	static const struct pc_hook hooks[] = {
		{ "provision.apply", hook_apply },
		{ "provision.outputs", hook_outputs },
		{ "provision.resource", hook_resource },
		{ "provision.list", hook_list },
		{ "provision.env", hook_env },
		{ "resources.destroy", hook_destroy },
		{ "resources.status", hook_status },
		{ "resources.stop", hook_stop },
		{ "resources.start", hook_start },
	};
	static const struct pc_cmd commands[] = {
		{ "apply", "provision what platform.yaml declares: plan (+ ~ -/+ -), then apply",
		  prv_cli_apply },
		{ "provision", "provision one resource by type and name", prv_cli_provision },
		{ "resources", "list, show, check, start, stop or destroy provisioned resources",
		  prv_cli_resources },
	};
	PAVED_PLUGIN_INIT2(a);
	if (!PAVED_API_HAS(paved, provide_command))
		return paved->error(errmsg, "this paved is too old for the provision plugin (it needs "
		                    "cli_parse, cli_help and provide_command)");
	return pc_provide_all(ctx, hooks, sizeof hooks / sizeof *hooks, commands,
	                      sizeof commands / sizeof *commands, errmsg);
}

static const struct paved_option options[] = {
	{ "costs", PAVED_OPT_OBJECT,
	  "{\"postgres\": {\"small\": {\"postgres-local\": 0, \"terraform\": 24.82},"
	  " \"medium\": {\"postgres-local\": 0, \"terraform\": 99.28},"
	  " \"large\": {\"postgres-local\": 0, \"terraform\": 397.12}},"
	  " \"redis\": {\"small\": {\"redis-local\": 0, \"terraform\": 24.82},"
	  " \"medium\": {\"redis-local\": 0, \"terraform\": 99.28},"
	  " \"large\": {\"redis-local\": 0, \"terraform\": 198.56}}}",
	  "monthly cost in USD per type, class and driver; its classes are a type's known classes" },
	{ "env_vars", PAVED_OPT_OBJECT, "{\"postgres\": \"DATABASE_URL\", \"redis\": \"REDIS_URL\"}",
	  "environment variable that carries a type's URL (default TYPE_URL)" },
	{ "lock_timeout", PAVED_OPT_INT, "120",
	  "seconds to wait for another paved command that is provisioning" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision, "2.0.0",
                     "resources from platform.yaml, planned and applied through the provision drivers",
                     init, NULL, options);
