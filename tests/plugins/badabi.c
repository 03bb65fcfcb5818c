/*
 * badabi -- a test plugin built for a plugin ABI this paved does not have
 * (999): the host must refuse it without calling anything in it.
 */
#include <stdlib.h>
#include <paved/plugin.h>

static int init(const struct paved_api *a, paved_host *h, char **errmsg)
{
	(void)a, (void)h, (void)errmsg;
	abort();  /* never called: the ABI check comes first */
}

const struct paved_plugin badabi_LTX_paved_plugin = {
	999, "badabi", "1.0.0", "test plugin for another ABI", init, NULL, NULL
};
