/*
 * lua_sandbox.c -- a Lua 5.4 state that platform code can run safely.
 *
 * Only base, table, string, math, utf8 and coroutine are opened; dofile,
 * loadfile and require do not exist, and load accepts text chunks only
 * (bytecode can crash the VM).  A counting allocator enforces a memory cap
 * (HAProxy's tune.lua.maxmem idea) and a count hook an instruction cap;
 * once the cap trips, the hook fires on every line too so a script's pcall
 * cannot swallow the error (Redis's approach).  Errors carry a traceback.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lua_rt.h"

#define HOOK_EVERY 1000

/* The allocator: counts bytes and refuses growth past the cap. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct pv_lua *x = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		x->used -= old;
		return NULL;
	}
	if (nsize > old && x->max_bytes && x->used - old + nsize > x->max_bytes) {
		x->tripped = 1;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (p)
		x->used = x->used - old + nsize;
	return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct pv_lua *x = pv_lua_of(L);
	if (!x->tripped)
		x->count += HOOK_EVERY;
	if (x->tripped == 2 || (x->max_instructions && x->count > x->max_instructions)) {
		x->tripped = 2;
		/* keep firing on every line so pcall cannot swallow the kill */
		lua_sethook(L, count_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
		/* lua_pushfstring knows %I, not %lld */
		luaL_error(L, "instruction limit of %I exceeded (lua.max_instructions)",
		           (lua_Integer)x->max_instructions);
	}
}

/* load(chunk [, name [, mode [, env]]]) restricted to text chunks. */
static int safe_load(lua_State *L)
{
	int top = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));  /* the original load */
	lua_pushvalue(L, 1);
	lua_pushvalue(L, top >= 2 ? 2 : 1);
	if (top < 2)
		lua_pushstring(L, "=(load)"), lua_replace(L, -2);
	lua_pushliteral(L, "t");
	int n = 4;
	if (top >= 4) {
		lua_pushvalue(L, 4);
		n = 5;
	}
	lua_call(L, n - 1, LUA_MULTRET);
	return lua_gettop(L) - top;
}

static int lua_print_log(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	fprintf(stdout, "%s\n", lua_tostring(L, -1));
	return 0;
}

struct pv_lua *pv_lua_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

struct pv_lua_limits pv_lua_limits_from_config(pv_host *h)
{
	struct pv_lua_limits l = { 64u << 20, 50000000LL };
	json_t *m = pv_config_get(h->config, "lua.max_memory_mb");
	json_t *i = pv_config_get(h->config, "lua.max_instructions");
	if (json_is_integer(m) && json_integer_value(m) > 0)
		l.max_bytes = (size_t)json_integer_value(m) << 20;
	if (json_is_integer(i) && json_integer_value(i) > 0)
		l.max_instructions = json_integer_value(i);
	return l;
}

/* Open the safe libraries and replace what must not be reachable. */
static void open_safe_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base }, { LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string }, { LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 }, { LUA_COLIBNAME, luaopen_coroutine },
		{ LUA_OSLIBNAME, luaopen_os }, { NULL, NULL }
	};
	for (const luaL_Reg *l = libs; l->name; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	/* os: keep only the clock and environment readers */
	static const char *const os_drop[] = { "execute", "exit", "remove", "rename",
		"tmpname", "setlocale", NULL };
	lua_getglobal(L, "os");
	for (const char *const *k = os_drop; *k; k++) {
		lua_pushnil(L);
		lua_setfield(L, -2, *k);
	}
	lua_pop(L, 1);
	static const char *const g_drop[] = { "dofile", "loadfile", "require", NULL };
	for (const char *const *k = g_drop; *k; k++) {
		lua_pushnil(L);
		lua_setglobal(L, *k);
	}
	lua_getglobal(L, "load");
	lua_pushcclosure(L, safe_load, 1);
	lua_setglobal(L, "load");
	lua_pushcfunction(L, lua_print_log);
	lua_setglobal(L, "print");
}

struct pv_lua *pv_lua_new(pv_host *h, struct pv_plugin *plugin)
{
	struct pv_lua *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	struct pv_lua_limits lim = pv_lua_limits_from_config(h);
	x->host = h;
	x->plugin = plugin;
	x->L = lua_newstate(sandbox_alloc, x);
	if (!x->L) {
		free(x);
		return NULL;
	}
	lua_gc(x->L, LUA_GCGEN, 0, 0);
	open_safe_libs(x->L);
	pv_lua_open_paved(x->L);
	/* limits apply to platform code, not to setting up the sandbox */
	x->max_bytes = lim.max_bytes;
	x->max_instructions = lim.max_instructions;
	lua_sethook(x->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
	return x;
}

void pv_lua_close(struct pv_lua *x)
{
	if (!x)
		return;
	x->max_bytes = 0;
	lua_close(x->L);
	free(x);
}

/* Message handler: the error text plus a traceback (as lua.c does). */
static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (lua_istable(L, 1)) {     /* paved.call error object: keep it */
			lua_getfield(L, 1, "message");
			msg = lua_tostring(L, -1);
			lua_pop(L, 1);
			lua_pushstring(L, msg ? msg : "error");
			lua_setfield(L, 1, "message");
			lua_pushvalue(L, 1);
			return 1;
		}
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* pcall with the traceback handler.  On error *ERRMSG gets the message;
 * the error value stays on the stack for pv_lua_error_code. */
int pv_lua_pcall(struct pv_lua *x, int nargs, int nresults, char **errmsg)
{
	lua_State *L = x->L;
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	int st = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	if (st == LUA_OK && x->tripped == 2) {
		/* the kill was swallowed (a coroutine.resume caught it): still
		 * a runaway script, and the next call must start afresh */
		lua_settop(L, base - 1);
		lua_pushfstring(L, "instruction limit of %I exceeded (lua.max_instructions)",
		                (lua_Integer)x->max_instructions);
		st = LUA_ERRRUN;
	} else if (st == LUA_OK) {
		x->tripped = 0;   /* a refused allocation the GC recovered from */
		return PAVED_OK;
	}
	if (x->tripped == 1 || st == LUA_ERRMEM)
		pv_seterr(errmsg, "memory limit of %zu MiB exceeded (lua.max_memory_mb)",
		          x->max_bytes >> 20);
	else if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "message");
		pv_seterr(errmsg, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
		lua_pop(L, 1);
	} else
		pv_seterr(errmsg, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
	if (x->tripped) {      /* reset so the state can run undo steps */
		x->tripped = 0;
		x->count = 0;
		lua_gc(L, LUA_GCCOLLECT);
		lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
	}
	return PAVED_ERR;
}

int pv_lua_dofile(struct pv_lua *x, const char *file, int nresults, char **errmsg)
{
	int st = luaL_loadfilex(x->L, file, "t");
	if (st != LUA_OK) {
		pv_seterr(errmsg, "%s", lua_tostring(x->L, -1));
		lua_pop(x->L, 1);
		return PAVED_ERR;
	}
	if (pv_lua_pcall(x, 0, nresults, errmsg)) {
		lua_pop(x->L, 1);
		return PAVED_ERR;
	}
	return PAVED_OK;
}
