/*
 * veto -- a policy test plugin: observes before:example.hello and refuses
 * to greet "mallory".  Its reason must reach the user verbatim.
 */
#include <string.h>
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static int policy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)result, (void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	if (name && strcmp(name, "mallory") == 0) {
		paved->error(errmsg, "policy forbids greeting mallory (ticket SEC-42)");
		return PAVED_VETO;
	}
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->observe(ctx, "before:example.hello", 10, policy, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(veto, "1.0.0", "test plugin that vetoes greeting mallory", init, NULL, NULL);
