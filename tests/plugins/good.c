/*
 * good -- a test plugin that loads: provides test.good, which echoes its
 * arguments as {"ok": true, "args": ARGS} and emits the event test.called
 * with ARGS.
 */
#include <paved/plugin.h>

static const struct paved_api *api;

static int good(paved_host *h, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)errmsg, (void)data;
	*result = json_pack("{sbsO}", "ok", 1, "args", args);
	api->emit(h, "test.called", args);
	return PAVED_OK;
}

static int init(const struct paved_api *a, paved_host *h, char **errmsg)
{
	api = a;
	return api->provide(h, "test.good", good, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(good, "1.2.3", "test plugin that loads", init, NULL, NULL);
