/*
 * lua_rt.h -- the embedded Lua 5.4 runtime (prefix pv_lua_).
 *
 * lua_sandbox.c  a sandboxed state: safe libraries only, text-only load,
 *                memory and instruction limits, tracebacks on error
 * lua_json.c     conversion between Lua values and jansson values
 * lua_paved.c    the `paved` module (hooks, run, fs, render, json, log)
 * lua_plugin.c   *.lua files as plugins
 */
#ifndef PV_LUA_RT_H
#define PV_LUA_RT_H

#include <lua.h>
#include <lauxlib.h>

#include "host.h"

/* Limits of one Lua state (config: lua.max_memory_mb, lua.max_instructions). */
struct pv_lua_limits {
	size_t    max_bytes;
	long long max_instructions;
};

/* Per-state bookkeeping, stored as the allocator's user data. */
struct pv_lua {
	lua_State *L;
	pv_host   *host;
	struct pv_plugin *plugin;   /* the Lua plugin this state runs, or NULL */
	size_t     used, max_bytes;
	long long  count, max_instructions;
	int        tripped;         /* 1 memory, 2 instructions */
};

/* Create a sandboxed state with the paved module loaded.  NULL on OOM. */
struct pv_lua *pv_lua_new(pv_host *h, struct pv_plugin *plugin);
void  pv_lua_close(struct pv_lua *x);
/* Limits from the configuration (defaults 64 MiB, 50 million). */
struct pv_lua_limits pv_lua_limits_from_config(pv_host *h);
/* Load and run FILE; leaves its NRESULTS results on the stack. */
int   pv_lua_dofile(struct pv_lua *x, const char *file, int nresults, char **errmsg);
/* lua_pcall with a traceback and limit-aware messages. */
int   pv_lua_pcall(struct pv_lua *x, int nargs, int nresults, char **errmsg);
struct pv_lua *pv_lua_of(lua_State *L);

/* lua_json.c: push V (borrowed) / convert the value at IDX (new ref). */
void    pv_lua_push_json(lua_State *L, json_t *v);
json_t *pv_lua_to_json(lua_State *L, int idx, char **errmsg);

/* lua_paved.c: open the `paved` module into global `paved`. */
void  pv_lua_open_paved(lua_State *L);
/* Error raised by paved.call: a table {code=, message=}; "nohook" code
 * marks a hook no plugin provides. */
const char *pv_lua_error_code(lua_State *L, int idx);

extern const struct pv_plugin_kind pv_lua_kind;

#endif
