/*
 * plugin.c -- the provision core plugin: descriptor, options and hooks.
 *
 * Hooks (contracts in README.md):
 *   provision.resource {type, name, service?, env?, size?, options?, dry_run?}
 *   provision.postgres / provision.redis   the same with the type implied
 *   provision.destroy {name}   provision.apply {file?, env?, dry_run?}
 *   provision.list {}   provision.status {name}   provision.env {name}
 *   provision.stop {}   provision.start {}   cli.apply   cli.provision   cli.resources
 */
#include <string.h>

#include "provision.h"

PAVED_PLUGIN_INIT1;

int pc_fail(char **errmsg, char *err)
{
	paved->error(errmsg, "%s", err ? err : "out of memory");
	free(err);
	return PAVED_ERR;
}

/* provision.resource and its typed twins (DATA: the implied type or NULL). */
static int hook_resource(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *spec = json_is_object(args) ? json_deep_copy(args) : json_object();
	bool dry = json_is_true(json_object_get(spec, "dry_run"));
	json_object_del(spec, "dry_run");
	if (data) {
		const char *t = json_string_value(json_object_get(spec, "type"));
		if (t && strcmp(t, data)) {
			paved->error(errmsg, "argument 'type' is '%s' but this hook provisions %s",
			              t, (const char *)data);
			json_decref(spec);
			return PAVED_ERR;
		}
		json_object_set_new(spec, "type", json_string(data));
	}
	int rc = pc_lock(ctx, errmsg);
	if (rc == PAVED_OK) {
		rc = pc_create(ctx, spec, dry, result, errmsg);
		pc_unlock();
	}
	json_decref(spec);
	return rc;
}

static int hook_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	if (!name || !*name)
		return paved->error(errmsg, "argument 'name' (a non-empty string) is required");
	if (pc_lock(ctx, errmsg))
		return PAVED_ERR;
	int rc = pc_destroy(ctx, name, result, errmsg);
	pc_unlock();
	return rc;
}

static int hook_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return pc_apply(ctx, args, result, errmsg);
}

static int hook_list(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)errmsg, (void)data;
	json_t *all = paved->state_list(ctx, PC_NS), *v;
	const char *k;
	*result = json_array();
	json_object_foreach(all, k, v)
		json_array_append_new(*result, pc_public(v));
	json_decref(all);
	return PAVED_OK;
}

static int hook_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	if (!name)
		return paved->error(errmsg, "argument 'name' (a non-empty string) is required");
	*result = pc_status(ctx, name, errmsg);
	return *result ? PAVED_OK : PAVED_ERR;
}

/* provision.env {name}: the environment the service gets, WITH the secret
 * ({"DATABASE_URL": "postgresql://..."}): for deploy plugins. */
static int hook_env(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	json_t *rec = name ? paved->state_get(ctx, PC_NS, name) : NULL;
	if (!rec)
		return paved->error(errmsg, "no resource '%s' (see 'paved resources list')",
		                     name ? name : "");
	char *url = pc_secret_read(ctx, name);
	*result = json_object();
	if (url)
		json_object_set_new(*result, json_string_value(json_object_get(rec, "env_var")),
		                    json_string(url));
	if (url)
		explicit_bzero(url, strlen(url));
	free(url);
	json_decref(rec);
	return PAVED_OK;
}

static int hook_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)data;
	if (pc_lock(ctx, errmsg))
		return PAVED_ERR;
	int rc = pc_stop_all(ctx, result, errmsg);
	pc_unlock();
	return rc;
}

static int hook_start(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)data;
	if (pc_lock(ctx, errmsg))
		return PAVED_ERR;
	int rc = pc_start_all(ctx, result, errmsg);
	pc_unlock();
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	static const struct { const char *hook; paved_fn fn; const char *data; } hooks[] = {
		{ "provision.resource", hook_resource, NULL },
		{ "provision.postgres", hook_resource, "postgres" },
		{ "provision.redis", hook_resource, "redis" },
		{ "provision.destroy", hook_destroy, NULL },
		{ "provision.apply", hook_apply, NULL },
		{ "provision.list", hook_list, NULL },
		{ "provision.status", hook_status, NULL },
		{ "provision.env", hook_env, NULL },
		{ "provision.stop", hook_stop, NULL },
		{ "provision.start", hook_start, NULL },
		{ "cli.apply", pc_cli_apply, NULL },
		{ "cli.provision", pc_cli_provision, NULL },
		{ "cli.resources", pc_cli_resources, NULL },
	};
	PAVED_PLUGIN_INIT2(a);
	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
		if (paved->provide(ctx, hooks[i].hook, hooks[i].fn, (void *)hooks[i].data, NULL, errmsg))
			return PAVED_ERR;
	return PAVED_OK;
}

static const struct paved_option options[] = {
	{ "drivers", PAVED_OPT_OBJECT,
	  "{\"postgres\": {\"dev\": \"local\", \"staging\": \"terraform\", \"production\": \"terraform\"},"
	  " \"redis\": {\"dev\": \"local\", \"staging\": \"terraform\", \"production\": \"terraform\"}}",
	  "driver per resource type and environment: hook provision.driver.TYPE.DRIVER" },
	{ "costs", PAVED_OPT_OBJECT,
	  "{\"postgres\": {\"small\": {\"local\": 0, \"terraform\": 24.82},"
	  " \"medium\": {\"local\": 0, \"terraform\": 99.28},"
	  " \"large\": {\"local\": 0, \"terraform\": 397.12}},"
	  " \"redis\": {\"small\": {\"local\": 0, \"terraform\": 24.82},"
	  " \"medium\": {\"local\": 0, \"terraform\": 99.28},"
	  " \"large\": {\"local\": 0, \"terraform\": 198.56}}}",
	  "monthly cost in USD per type, size and driver; its sizes are the valid sizes" },
	{ "env_vars", PAVED_OPT_OBJECT, "{\"postgres\": \"DATABASE_URL\", \"redis\": \"REDIS_URL\"}",
	  "environment variable that carries a type's URL (default TYPE_URL)" },
	{ "lock_timeout", PAVED_OPT_INT, "120",
	  "seconds to wait for another paved command that is provisioning" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision, "1.0.0",
                     "self-service provisioning: intent in platform.yaml, drivers per (type, env)",
                     init, NULL, options);
