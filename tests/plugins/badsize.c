/*
 * badsize -- a test plugin whose descriptor claims ABI 2 but is smaller
 * than ABI 2's (written by hand instead of with PAVED_PLUGIN_DECLARE):
 * the host must refuse it without reading past its end.
 */
#include <stdint.h>
#include <stdlib.h>

struct short_descriptor {
	uint32_t abi, size;
	const char *name;
};

const struct short_descriptor badsize_LTX_paved_plugin = { 2, sizeof(struct short_descriptor),
                                                           "badsize" };
