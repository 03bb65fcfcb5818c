/*
 * initfail -- a test plugin whose init registers a hook, then fails: the
 * host must report its words and undo the registration.
 */
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static int never(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)args, (void)result, (void)errmsg, (void)data;
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
{
	PAVED_PLUGIN_INIT2(api);
	if (paved->provide(ctx, "test.initfail", never, NULL, NULL, errmsg))
		return PAVED_ERR;
	return paved->error(errmsg, "cannot reach the frobnicator at 10.0.0.1");
}

PAVED_PLUGIN_DECLARE(initfail, "1.0.0", "test plugin whose init fails", init, NULL, NULL);
