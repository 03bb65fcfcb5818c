/*
 * twin -- a test plugin exporting the plain `paved_plugin` descriptor (no
 * NAME_LTX_ prefix) under a name another test plugin uses ("good"): the
 * second file to load with that name must fail.
 */
#include <paved/plugin.h>

static int twin(paved_host *h, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)h, (void)args, (void)errmsg, (void)data;
	*result = json_string("twin");
	return PAVED_OK;
}

static int init(const struct paved_api *api, paved_host *h, char **errmsg)
{
	return api->provide(h, "test.twin", twin, NULL, NULL, errmsg);
}

const struct paved_plugin paved_plugin = {
	PAVED_ABI_VERSION, "good", "9.9.9", "test plugin reusing the name good", init, NULL, NULL
};
