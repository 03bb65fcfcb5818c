/*
 * good -- a test plugin that loads: provides test.good, which echoes its
 * arguments as {"ok": true, "args": ARGS} and emits the event test.called
 * with ARGS.
 */
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static int good(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)errmsg, (void)data;
	*result = json_pack("{sbsO}", "ok", 1, "args", args);
	paved->emit(ctx, "test.called", args);
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "test.good", good, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(good, "1.2.3", "test plugin that loads", init, NULL, NULL);
