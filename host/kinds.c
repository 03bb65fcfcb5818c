/*
 * kinds.c -- plugin kinds besides C shared objects.  A kind maps a file
 * extension to a loader.
 */
#include "config.h"

#include "lua_rt.h"

const struct pv_plugin_kind *pv_extra_kinds[] = {
	&pv_lua_kind,
	NULL
};
