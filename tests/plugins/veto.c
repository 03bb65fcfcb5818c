/*
 * veto -- a policy test plugin: observes before:example.hello and refuses
 * to greet "mallory".  Its reason must reach the user verbatim.
 */
#include <string.h>
#include <paved/plugin.h>

static const struct paved_api *api;

static int policy(paved_host *h, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)h, (void)result, (void)data;
	const char *name = json_string_value(json_object_get(args, "name"));
	if (name && strcmp(name, "mallory") == 0) {
		api->error(errmsg, "policy forbids greeting mallory (ticket SEC-42)");
		return PAVED_VETO;
	}
	return PAVED_OK;
}

static int init(const struct paved_api *a, paved_host *h, char **errmsg)
{
	api = a;
	return api->observe(h, "before:example.hello", 10, policy, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(veto, "1.0.0", "test plugin that vetoes greeting mallory", init, NULL, NULL);
