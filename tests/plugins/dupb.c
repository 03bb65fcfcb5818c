/*
 * dupb -- a test plugin providing test.dup (as does dupa): whichever
 * loads second must fail with "provider 'test.dup' is already taken".
 */
#include <paved/plugin.h>

static int dup(paved_host *h, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)h, (void)args, (void)errmsg, (void)data;
	*result = json_string("dupb");
	return PAVED_OK;
}

static int init(const struct paved_api *api, paved_host *h, char **errmsg)
{
	return api->provide(h, "test.dup", dup, NULL, NULL, errmsg);
}

PAVED_PLUGIN_DECLARE(dupb, "1.0.0", "test plugin providing test.dup", init, NULL, NULL);
