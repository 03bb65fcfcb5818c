/*
 * initfail -- a test plugin whose init registers a hook, then fails: the
 * host must report its words and undo the registration.
 */
#include <paved/plugin.h>

static int never(paved_host *h, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)h, (void)args, (void)result, (void)errmsg, (void)data;
	return PAVED_OK;
}

static int init(const struct paved_api *api, paved_host *h, char **errmsg)
{
	if (api->provide(h, "test.initfail", never, NULL, NULL, errmsg))
		return PAVED_ERR;
	return api->error(errmsg, "cannot reach the frobnicator at 10.0.0.1");
}

PAVED_PLUGIN_DECLARE(initfail, "1.0.0", "test plugin whose init fails", init, NULL, NULL);
