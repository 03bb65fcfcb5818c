/*
 * dupa -- a test plugin providing test.dup (as does dupb): whichever
 * loads second must fail with "provider 'test.dup' is already taken".
 */
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static int dup(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)args, (void)errmsg, (void)data;
	*result = json_string("dupa");
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
{
	PAVED_PLUGIN_INIT2(api);
	return paved->provide(ctx, "test.dup", dup, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(dupa, "1.0.0", "test plugin providing test.dup", init, NULL, NULL);
