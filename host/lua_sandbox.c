/*
 * lua_sandbox.c -- a Lua 5.4 state that platform code can run safely.
 *
 * Opened: base, table, string, math, utf8, coroutine and a reduced os
 * (clock, date, difftime, time, and a getenv that sees only the declared
 * variables).  dofile, loadfile and require do not exist, and load accepts
 * text chunks only (bytecode can crash the VM).  string.find/match/gmatch/
 * gsub run on a matcher with a step budget (lua_strlib.c); table.insert/
 * remove/move/concat refuse element counts no real table could have
 * (lua_tablib.c).
 *
 * Limits (lua.max_memory_mb, lua.max_instructions, lua.max_seconds):
 *  - a counting allocator refuses growth past the memory cap (HAProxy's
 *    tune.lua.maxmem idea), at close as well;
 *  - a hook counts instructions and, on every function call (C functions
 *    included), reads the clock; once a limit trips it fires on every line
 *    too so a script's pcall cannot swallow the error (Redis's approach);
 *  - each pv_lua_pcall starts a fresh count and clock, so the limits
 *    apply to each recipe step and each Lua plugin hook call;
 *  - Lua runs finalizers with hooks off, where no instruction or time limit
 *    can reach: so sandboxed code may not set a metatable with __gc, and
 *    collectgarbage offers only collect, step, count and isrunning.
 * Errors carry a traceback; warnings (an error in a finalizer, warn())
 * go to the log.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lualib.h>

#include "lua_rt.h"

#define HOOK_EVERY 1000          /* instructions between two count hooks */
#define CALLS_PER_CLOCK 4        /* call events between two looks at the clock */
#define MAX_WARNING 2048

double pv_lua_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
		x->tripped = PV_LUA_TRIP_MEMORY;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (p)
		x->used = x->used - old + nsize;
	return p;
}

/* Push the message of the limit X tripped (instructions or time). */
static const char *push_limit_message(lua_State *L, struct pv_lua *x)
{
	if (x->tripped == PV_LUA_TRIP_TIME) {
		char secs[32];
		snprintf(secs, sizeof secs, "%g", x->max_seconds);
		return lua_pushfstring(L, "time limit of %s s exceeded (lua.max_seconds)", secs);
	}
	/* lua_pushfstring knows %I, not %lld */
	return lua_pushfstring(L, "instruction limit of %I exceeded (lua.max_instructions)",
	                       (lua_Integer)x->max_instructions);
}

/* Raise the error of the limit that tripped, with the position of the Lua
 * function at LEVEL (0 in a hook: the function running; 1 in a C function:
 * its caller), or of its caller when that one has no line (a C function
 * the call hook caught). */
static int limit_error(lua_State *L, struct pv_lua *x, int level)
{
	lua_Debug ar;
	if (lua_getstack(L, level, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline <= 0)
		level++;
	luaL_where(L, level);
	push_limit_message(L, x);
	lua_concat(L, 2);
	return lua_error(L);
}

/* Stop X for good (until the pv_lua_pcall running it returns): the hook
 * fires on every line from now on, so pcall cannot swallow the kill. */
static int trip(lua_State *L, struct pv_lua *x, int why, int level)
{
	x->tripped = why;
	lua_sethook(L, lua_gethook(L), LUA_MASKCOUNT | LUA_MASKLINE | LUA_MASKCALL, 1);
	return limit_error(L, x, level);
}

/* Count hook (every HOOK_EVERY instructions) and call hook: instruction
 * and wall-clock limits. */
static void limit_hook(lua_State *L, lua_Debug *ar)
{
	struct pv_lua *x = pv_lua_of(L);
	if (x->tripped == PV_LUA_TRIP_INSTRUCTIONS || x->tripped == PV_LUA_TRIP_TIME) {
		trip(L, x, x->tripped, 0);
		return;
	}
	if (ar->event == LUA_HOOKCOUNT)
		x->count += HOOK_EVERY;
	else if (++x->calls < CALLS_PER_CLOCK)
		return;
	x->calls = 0;
	if (x->max_instructions && x->count > x->max_instructions)
		trip(L, x, PV_LUA_TRIP_INSTRUCTIONS, 0);
	else if (x->deadline > 0 && pv_lua_now() > x->deadline)
		trip(L, x, PV_LUA_TRIP_TIME, 0);
}

static void set_hook(struct pv_lua *x)
{
	lua_sethook(x->L, limit_hook, LUA_MASKCOUNT | LUA_MASKCALL, HOOK_EVERY);
}

int pv_lua_time_up(lua_State *L)
{
	return trip(L, pv_lua_of(L), PV_LUA_TRIP_TIME, 1);
}

double pv_lua_time_left(struct pv_lua *x)
{
	return x->deadline > 0 ? x->deadline - pv_lua_now() : 1e9;
}

void pv_lua_extend_deadline(struct pv_lua *x, double seconds)
{
	if (x->deadline > 0 && seconds > 0)
		x->deadline += seconds;
}

lua_Integer pv_lua_max_elements(struct pv_lua *x)
{
	/* every element of a real table takes at least one 16-byte slot */
	return x->max_bytes ? (lua_Integer)(x->max_bytes / 16) : 0;
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

/* setmetatable(t, mt) as the manual describes it, refusing a metatable
 * with a __gc field: the object would be finalized with hooks off, out of
 * reach of every limit.  (Lua marks an object for finalization only when
 * its metatable has __gc at this moment, so adding __gc later is inert.) */
static int safe_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: a metatable with __gc is not allowed in "
			                  "the sandbox (finalizers run outside the time and "
			                  "instruction limits)");
		lua_pop(L, 1);
	}
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/* collectgarbage([opt [, arg]]) limited to what cannot hurt: "collect"
 * (the default), "step", "count" and "isrunning".  Stopping the collector
 * or changing its mode is refused. */
static int safe_collectgarbage(lua_State *L)
{
	static const char *const opts[] = { "collect", "step", "count", "isrunning", NULL };
	const char *opt = luaL_optstring(L, 1, "collect");
	int i = 0;
	while (opts[i] && strcmp(opts[i], opt) != 0)
		i++;
	switch (i) {
	case 0:
		lua_gc(L, LUA_GCCOLLECT);
		lua_pushinteger(L, 0);
		return 1;
	case 1: {
		lua_Integer kb = luaL_optinteger(L, 2, 0);
		lua_pushboolean(L, lua_gc(L, LUA_GCSTEP, (int)(kb > 1 << 20 ? 1 << 20 : kb)));
		return 1;
	}
	case 2:
		lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) +
		               (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024);
		return 1;
	case 3:
		lua_pushboolean(L, lua_gc(L, LUA_GCISRUNNING));
		return 1;
	default:
		return luaL_error(L, "collectgarbage('%s') is not available in the sandbox "
		                  "(allowed: collect, step, count, isrunning)", opt);
	}
}

/* os.getenv(name): the value of a variable the recipe or plugin declared
 * (env = {...}); any other reads as nil, with a warning in the log. */
static int safe_getenv(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
	const char *name = luaL_checkstring(L, 1);
	if (pv_lua_env_allowed(x, name)) {
		lua_pushstring(L, getenv(name));
		return 1;
	}
	lua_pushfstring(L, "paved.getenv.warned.%s", name);
	if (lua_rawget(L, LUA_REGISTRYINDEX) == LUA_TNIL) {
		pv_log(x->host, PAVED_LOG_WARN, "%s: os.getenv('%s') reads nil: the variable is not "
		       "declared (add env = { \"%s\" })",
		       x->plugin ? x->plugin->name : "recipe", name, name);
		lua_pushfstring(L, "paved.getenv.warned.%s", name);
		lua_pushboolean(L, 1);
		lua_rawset(L, LUA_REGISTRYINDEX);
	}
	lua_pushnil(L);
	return 1;
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

/* The warning function: pieces are joined (up to MAX_WARNING bytes) and
 * the whole message goes to the log; "@on" and "@off" switch it. */
static void warn_log(void *ud, const char *msg, int tocont)
{
	struct pv_lua *x = ud;
	if (!x->warning && !tocont && msg[0] == '@') {
		if (strcmp(msg, "@off") == 0)
			x->warn_off = true;
		else if (strcmp(msg, "@on") == 0)
			x->warn_off = false;
		return;
	}
	size_t n = strlen(msg);
	if (x->warnlen + n > MAX_WARNING)
		n = MAX_WARNING - x->warnlen;
	char *w = realloc(x->warning, x->warnlen + n + 1);
	if (w) {
		memcpy(w + x->warnlen, msg, n);
		x->warnlen += n;
		w[x->warnlen] = '\0';
		x->warning = w;
	}
	if (tocont)
		return;
	if (!x->warn_off && x->warning)
		pv_log(x->host, PAVED_LOG_WARN, "%s: Lua warning: %s",
		       x->plugin ? x->plugin->name : "recipe", x->warning);
	free(x->warning);
	x->warning = NULL;
	x->warnlen = 0;
}

static int panic(lua_State *L)
{
	fprintf(stderr, "paved: unprotected Lua error: %s\n",
	        lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)");
	return 0;   /* Lua aborts */
}

struct pv_lua *pv_lua_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

/* A positive number at config KEY, or 0. */
static double config_number(pv_host *h, const char *key)
{
	json_t *v = pv_config_get(h->config, key);
	return json_is_number(v) && json_number_value(v) > 0 ? json_number_value(v) : 0;
}

struct pv_lua_limits pv_lua_limits_from_config(pv_host *h)
{
	struct pv_lua_limits l = { 64u << 20, 50000000LL, 60.0, 10000000ULL };
	double v;
	/* at most 1 TiB: a larger figure would wrap to 0, no limit at all */
	if ((v = config_number(h, "lua.max_memory_mb")) >= 1)
		l.max_bytes = (size_t)(v < 1048576 ? v : 1048576) << 20;
	/* clamped below what the integer types hold: a double beyond that
	 * would not convert (undefined behaviour) */
	if ((v = config_number(h, "lua.max_instructions")) > 0)
		l.max_instructions = (long long)(v < 1e18 ? v : 1e18);
	if ((v = config_number(h, "lua.max_seconds")) > 0)
		l.max_seconds = v < 1e9 ? v : 1e9;
	if ((v = config_number(h, "lua.max_pattern_steps")) > 0)
		l.max_pattern_steps = (unsigned long long)(v < 1e18 ? v : 1e18);
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
	/* os: keep the clock and date functions; getenv sees declared names only */
	static const char *const os_drop[] = { "execute", "exit", "remove", "rename",
		"tmpname", "setlocale", NULL };
	lua_getglobal(L, "os");
	for (const char *const *k = os_drop; *k; k++) {
		lua_pushnil(L);
		lua_setfield(L, -2, *k);
	}
	lua_pushcfunction(L, safe_getenv);
	lua_setfield(L, -2, "getenv");
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
	lua_pushcfunction(L, safe_setmetatable);
	lua_setglobal(L, "setmetatable");
	lua_pushcfunction(L, safe_collectgarbage);
	lua_setglobal(L, "collectgarbage");
	pv_lua_open_strlib(L);
	pv_lua_open_tablib(L);
}

struct pv_lua *pv_lua_new(pv_host *h, struct pv_plugin *plugin)
{
	struct pv_lua *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	struct pv_lua_limits lim = pv_lua_limits_from_config(h);
	x->host = h;
	x->plugin = plugin;
	x->max_pattern_steps = lim.max_pattern_steps;
	x->max_seconds = lim.max_seconds;
	x->L = lua_newstate(sandbox_alloc, x);
	if (!x->L) {
		free(x);
		return NULL;
	}
	lua_atpanic(x->L, panic);
	lua_setwarnf(x->L, warn_log, x);
	lua_gc(x->L, LUA_GCGEN, 0, 0);
	open_safe_libs(x->L);
	pv_lua_open_paved(x->L);
	/* limits apply to platform code, not to setting up the sandbox */
	x->max_bytes = lim.max_bytes;
	x->max_instructions = lim.max_instructions;
	set_hook(x);
	return x;
}

void pv_lua_close(struct pv_lua *x)
{
	if (!x)
		return;
	/* the limits hold while pending finalizers and __close handlers run:
	 * a fresh budget, the same caps (Lua turns hooks off inside __gc, which
	 * is why sandboxed code cannot set one) */
	x->tripped = PV_LUA_OK;
	x->count = 0;
	x->deadline = pv_lua_now() + x->max_seconds;
	set_hook(x);
	lua_close(x->L);
	pv_lua_confine_free(x);
	free(x->warning);
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
 * the error value stays on the stack for pv_lua_error_code.  Each call
 * gets a fresh instruction count and clock, nested ones too (a Lua
 * plugin's hook called through paved.call from its own code): the outer
 * call's are put back afterwards, and its paved.call does not count the
 * time spent inside. */
int pv_lua_pcall(struct pv_lua *x, int nargs, int nresults, char **errmsg)
{
	lua_State *L = x->L;
	int base = lua_gettop(L) - nargs;
	long long outer_count = x->count;
	double outer_deadline = x->deadline;
	x->count = 0;
	x->calls = 0;
	x->deadline = pv_lua_now() + x->max_seconds;
	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	int st = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	bool killed = x->tripped == PV_LUA_TRIP_INSTRUCTIONS || x->tripped == PV_LUA_TRIP_TIME;
	if (st == LUA_OK && killed) {
		/* the kill was swallowed (a coroutine.resume caught it): still
		 * a runaway script, and the next call must start afresh */
		lua_settop(L, base - 1);
		push_limit_message(L, x);
		st = LUA_ERRRUN;
	}
	int rc = PAVED_OK;
	if (st != LUA_OK) {
		if (x->tripped == PV_LUA_TRIP_MEMORY || st == LUA_ERRMEM)
			pv_seterr(errmsg, "memory limit of %zu MiB exceeded (lua.max_memory_mb)",
			          x->max_bytes >> 20);
		else if (lua_istable(L, -1)) {
			lua_getfield(L, -1, "message");
			pv_seterr(errmsg, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
			lua_pop(L, 1);
		} else
			pv_seterr(errmsg, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
		rc = PAVED_ERR;
	}
	if (x->tripped) {
		/* reset, so the state can run undo steps and the caller goes on
		 * (a refused allocation the GC recovered from needs nothing more) */
		if (rc == PAVED_ERR) {
			lua_gc(L, LUA_GCCOLLECT);
			set_hook(x);
		}
		x->tripped = PV_LUA_OK;
	}
	x->count = outer_count;
	x->deadline = outer_deadline;
	x->calls = 0;
	return rc;
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
