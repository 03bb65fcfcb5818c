/*
 * kinds.c -- plugin kinds besides C shared objects.  A kind maps a file
 * extension to a loader; the Lua runtime adds ".lua" here.
 */
#include "config.h"

#include "host.h"

const struct pv_plugin_kind *pv_extra_kinds[] = {
	NULL
};
