/*
 * lua_paved.c -- the `paved` module seen by Lua plugins and golden paths.
 *
 *   paved.call(hook, args)            -> result; raises {code=, message=, result=}
 *                                     (result: what a failing hook handed back)
 *   paved.provide(hook, fn)           fn(args) -> result | error(msg)
 *   paved.observe(hook, priority, fn) fn(args) -> false, reason vetoes
 *   paved.emit(event, fields)         paved.log([level,] msg)
 *   paved.render, paved.render_tree, paved.run, paved.fs.*: lua_fs.c
 *   paved.json.encode/decode/null/array
 *   paved.home(), paved.config(key), paved.option(name) (Lua plugins),
 *   paved.import(lib) (recipes: loads _lib/LIB.lua), paved.params
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lua_rt.h"

/* Raise the error object {code=CODE, message=MSG, result=RES}; RES (a
 * result a failing hook handed back beside its error, may be NULL) is
 * stolen, and pushed first so that no later failure can leak it. */
static int raise(lua_State *L, const char *code, const char *msg, json_t *res)
{
	if (res && !json_is_null(res)) {
		pv_lua_push_json_owned(L, res);
	} else {
		json_decref(res);
		lua_pushnil(L);
	}
	int result = lua_gettop(L);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, code);
	lua_setfield(L, -2, "code");
	/* keep the position of the Lua caller, as error() does */
	luaL_where(L, 1);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	lua_setfield(L, -2, "message");
	lua_pushvalue(L, result);
	lua_setfield(L, -2, "result");
	return lua_error(L);
}

const char *pv_lua_error_code(lua_State *L, int idx)
{
	if (!lua_istable(L, idx))
		return NULL;
	lua_getfield(L, idx, "code");
	const char *c = lua_tostring(L, -1);
	lua_pop(L, 1);
	return c;   /* interned in the table: valid while it lives */
}

/* Convert the value at IDX to JSON or raise a Lua error. */
static json_t *check_json(lua_State *L, int idx)
{
	char *err = NULL;
	json_t *j = pv_lua_to_json(L, idx, &err);
	if (!j) {
		lua_pushfstring(L, "argument #%d: %s", idx, err ? err : "not JSON");
		free(err);
		lua_error(L);
	}
	return j;
}

/* paved.call(hook, args).  The time spent in the hook does not count
 * against this state's time limit: the hook's own limits bound it (a Lua
 * plugin's hook call has its own lua.max_seconds). */
static int l_call(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
	const char *hook = luaL_checkstring(L, 1);
	json_t *args = lua_isnoneornil(L, 2) ? json_object() : check_json(L, 2);
	json_t *res = NULL;
	char *err = NULL;
	double t0 = pv_lua_now();
	int rc = pv_call(x->host, hook, args, &res, &err);
	pv_lua_extend_deadline(x, pv_lua_now() - t0);
	json_decref(args);
	if (rc != PAVED_OK) {
		/* anchor the message in a protected way: pushing may hit the limit */
		const char *code = rc == PAVED_NOHOOK ? "nohook" : rc == PAVED_VETO ? "veto" : "error";
		const char *text = err ? err : "failed";
		json_t *msg = json_stringn_nocheck(text, strlen(text));
		free(err);
		if (!msg) {
			json_decref(res);
			return luaL_error(L, "paved.call: out of memory");
		}
		pv_lua_push_json_owned(L, msg);
		return raise(L, code, lua_tostring(L, -1), res);
	}
	pv_lua_push_json_owned(L, res);
	return 1;
}

/* A Lua function registered as a hook implementation. */
struct lua_cb {
	struct pv_lua *x;
	int ref;
};

/* Protected start of a hook call: upvalue-free C function called with the
 * Lua function and ARGS (a light userdata); converts ARGS inside the
 * pcall, where running into the memory limit is an error, not a panic. */
static int call_with_json(lua_State *L)
{
	json_t *args = lua_touserdata(L, 2);
	lua_settop(L, 1);
	pv_lua_push_json(L, args);
	lua_call(L, 1, 2);
	return 2;
}

/* Trampoline: call the Lua function with ARGS; a provider returns its
 * result; an observer returning false (plus a reason) vetoes.  A provider
 * that raises a table {message=, result=} fails with that result beside
 * its error, as a C provider may. */
static int lua_trampoline(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                          void *data)
{
	struct lua_cb *cb = data;
	lua_State *L = cb->x->L;
	(void)ctx;
	int top = lua_gettop(L);
	lua_pushcfunction(L, call_with_json);
	lua_rawgeti(L, LUA_REGISTRYINDEX, cb->ref);
	lua_pushlightuserdata(L, args);
	if (pv_lua_pcall(cb->x, 2, 2, errmsg)) {
		if (lua_istable(L, -1)) {
			lua_getfield(L, -1, "result");
			if (!lua_isnil(L, -1))
				*result = pv_lua_to_json(L, -1, NULL);
		}
		lua_settop(L, top);
		return PAVED_ERR;
	}
	int rc = PAVED_OK;
	if (lua_isboolean(L, -2) && !lua_toboolean(L, -2)) {
		rc = PAVED_VETO;
		pv_seterr(errmsg, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "vetoed");
	} else if (!lua_isnil(L, -2)) {
		if (!(*result = pv_lua_to_json(L, -2, errmsg)))
			rc = PAVED_ERR;
	}
	lua_settop(L, top);
	return rc;
}

/* The Lua state owns the functions: closing it releases them. */
static void lua_cb_free(void *p)
{
	free(p);
}

static struct lua_cb *new_cb(lua_State *L, int fn_idx)
{
	luaL_checktype(L, fn_idx, LUA_TFUNCTION);
	struct lua_cb *cb = malloc(sizeof *cb);
	if (!cb)
		luaL_error(L, "out of memory");
	cb->x = pv_lua_of(L);
	lua_pushvalue(L, fn_idx);
	cb->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return cb;
}

static int l_provide(lua_State *L)
{
	const char *hook = luaL_checkstring(L, 1);
	struct lua_cb *cb = new_cb(L, 2);
	char *err = NULL;
	if (pv_provide(cb->x->host, cb->x->plugin, hook, lua_trampoline, cb, lua_cb_free, &err)) {
		lua_pushstring(L, err);
		free(err);
		return lua_error(L);
	}
	return 0;
}

static int l_observe(lua_State *L)
{
	const char *hook = luaL_checkstring(L, 1);
	int prio = (int)luaL_checkinteger(L, 2);
	struct lua_cb *cb = new_cb(L, 3);
	char *err = NULL;
	if (pv_observe(cb->x->host, cb->x->plugin, hook, prio, lua_trampoline, cb, lua_cb_free,
	               &err)) {
		lua_pushstring(L, err);
		free(err);
		return lua_error(L);
	}
	return 0;
}

static int l_emit(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
	const char *ev = luaL_checkstring(L, 1);
	json_t *f = lua_isnoneornil(L, 2) ? NULL : check_json(L, 2);
	pv_emit(x->host, x->plugin ? x->plugin->name : "recipe", ev, f);
	json_decref(f);
	return 0;
}

static int l_log(lua_State *L)
{
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	struct pv_lua *x = pv_lua_of(L);
	int lvl = PAVED_LOG_INFO, msg = 1;
	if (lua_gettop(L) >= 2) {
		lvl = luaL_checkoption(L, 1, "info", levels);
		msg = 2;
	}
	pv_log(x->host, (enum paved_log_level)lvl, "%s", luaL_checkstring(L, msg));
	return 0;
}

/* paved.json.encode(value [, indent]): the conversion is bounded by the
 * memory limit (lua_json.c), so the text is too. */
static int l_json_encode(lua_State *L)
{
	json_t *j = check_json(L, 1);
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | (lua_toboolean(L, 2) ? JSON_INDENT(2) : 0));
	json_decref(j);
	json_t *text = s ? json_stringn_nocheck(s, strlen(s)) : NULL;
	free(s);
	if (!text)
		return luaL_error(L, "paved.json.encode: out of memory");
	pv_lua_push_json_owned(L, text);
	return 1;
}

/* paved.json.decode(text): text that would take more than the memory
 * limit leaves is refused before it is parsed. */
static int l_json_decode(lua_State *L)
{
	size_t n;
	const char *text = luaL_checklstring(L, 1, &n);
	char *err = NULL;
	if (pv_lua_json_fits(L, text, n, &err)) {
		lua_pushfstring(L, "paved.json.decode: %s", err);
		free(err);
		return lua_error(L);
	}
	json_error_t e;
	json_t *j = json_loadb(text, n, JSON_DECODE_ANY, &e);
	if (!j)
		return luaL_error(L, "invalid JSON at %d:%d: %s", e.line, e.column, e.text);
	pv_lua_push_json_owned(L, j);
	return 1;
}

static int l_json_array(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	luaL_setmetatable(L, "paved.json.array");
	return 1;
}

static int l_home(lua_State *L)
{
	lua_pushstring(L, pv_lua_of(L)->host->home);
	return 1;
}

/* paved.import(name): load _lib/NAME.lua beside the recipes (set by the
 * recipe loader in the registry as "paved.libdir") and return its value. */
static int l_import(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	if (!pv_valid_name(name))
		return luaL_error(L, "paved.import: invalid library name '%s'", name);
	lua_getfield(L, LUA_REGISTRYINDEX, "paved.libdir");
	const char *dir = lua_tostring(L, -1);
	if (!dir)
		return luaL_error(L, "paved.import is only available to recipes");
	lua_pushfstring(L, "%s/%s.lua", dir, name);
	if (luaL_loadfilex(L, lua_tostring(L, -1), "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 1);
	return 1;
}

/* paved.option(name): the calling Lua plugin's option value or default. */
static int l_option(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
	json_t *v = x->plugin ? json_object_get(x->plugin->optvals, luaL_checkstring(L, 1)) : NULL;
	if (v)
		pv_lua_push_json(L, v);
	else
		lua_pushnil(L);
	return 1;
}

static int l_config(lua_State *L)
{
	pv_lua_push_json(L, pv_config_get(pv_lua_of(L)->host->config, luaL_checkstring(L, 1)));   /* borrowed */
	if (lua_touserdata(L, -1) == NULL && lua_islightuserdata(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
	return 1;
}

void pv_lua_open_paved(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "call", l_call }, { "provide", l_provide }, { "observe", l_observe },
		{ "emit", l_emit }, { "log", l_log }, { "home", l_home },
		{ "config", l_config }, { "option", l_option },
		{ "import", l_import }, { NULL, NULL }
	};
	static const luaL_Reg js[] = {
		{ "encode", l_json_encode }, { "decode", l_json_decode }, { "array", l_json_array },
		{ NULL, NULL }
	};
	/* protected: sandboxed code can neither read it (to add a __gc that C
	 * would then set on every new array) nor replace it on an array */
	luaL_newmetatable(L, "paved.json.array");
	lua_pushliteral(L, "paved.json.array");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
	luaL_newlib(L, fns);
	pv_lua_open_fs(L);
	luaL_newlib(L, js);
	lua_pushlightuserdata(L, NULL);
	lua_setfield(L, -2, "null");
	lua_setfield(L, -2, "json");
	lua_newtable(L);
	lua_setfield(L, -2, "params");
	lua_setglobal(L, "paved");
}
