/*
 * twin -- a test plugin exporting the plain `paved_plugin` descriptor (no
 * NAME_LTX_ prefix) under a name another test plugin uses ("good"): the
 * second file to load with that name must fail.
 */
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static int twin(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)args, (void)errmsg, (void)data;
	*result = json_string("twin");
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
{
	PAVED_PLUGIN_INIT2(api);
	return paved->provide(ctx, "test.twin", twin, NULL, NULL, errmsg);
}

const struct paved_plugin paved_plugin = {
	PAVED_ABI_VERSION, sizeof(struct paved_plugin), "good", "9.9.9",
	"test plugin reusing the name good", init, NULL, NULL
};
