/*
 * badabi -- a test plugin built for plugin ABI 1, as every plugin was
 * before ABI 2: its descriptor has ABI 1's layout (no size, init taking
 * the table first).  The host must refuse it, naming both versions,
 * without calling anything in it.
 */
#include <stdint.h>
#include <stdlib.h>

/* ABI 1's descriptor, as paved/plugin.h declared it then. */
struct paved_plugin_v1 {
	uint32_t    abi;
	const char *name, *version, *summary;
	int  (*init)(const void *api, void *host, char **errmsg);
	void (*fini)(void *host);
	const void *options;
};

static int init(const void *api, void *host, char **errmsg)
{
	(void)api, (void)host, (void)errmsg;
	abort();  /* never called: the ABI check comes first */
}

const struct paved_plugin_v1 badabi_LTX_paved_plugin = {
	1, "badabi", "1.0.0", "test plugin built for plugin ABI 1", init, NULL, NULL
};
