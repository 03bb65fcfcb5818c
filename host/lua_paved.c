/*
 * lua_paved.c -- the `paved` module seen by Lua plugins and golden paths.
 *
 *   paved.call(hook, args)            -> result; raises {code=, message=, result=}
 *                                     (result: what a failing hook handed back)
 *   paved.provide(hook, fn)           fn(args) -> result | error(msg)
 *   paved.observe(hook, priority, fn) fn(args) -> false, reason vetoes
 *   paved.emit(event, fields)         paved.log([level,] msg)
 *   paved.render(template, ctx)       -> string (Mustache)
 *   paved.render_tree(src, dst, ctx)  -> number of files
 *   paved.run{argv..., cwd=, env=, timeout=, stdin=}
 *                                     -> {code=, stdout=, stderr=, timed_out=}
 *   paved.fs.read/write/mkdir/exists/tmpdir/remove/list
 *   paved.json.encode/decode/null/array
 *   paved.home(), paved.config(key), paved.option(name) (Lua plugins),
 *   paved.import(lib) (recipes: loads _lib/LIB.lua), paved.params
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua_rt.h"
#include "proc.h"
#include "skeleton.h"
#include "template.h"

/* Raise the error object {code=CODE, message=MSG, result=RES}; RES (a
 * result a failing hook handed back beside its error, may be NULL) is
 * stolen. */
static int raise(lua_State *L, const char *code, const char *msg, json_t *res)
{
	lua_createtable(L, 0, 2);
	lua_pushstring(L, code);
	lua_setfield(L, -2, "code");
	/* keep the position of the Lua caller, as error() does */
	luaL_where(L, 1);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	lua_setfield(L, -2, "message");
	if (res && !json_is_null(res)) {
		pv_lua_push_json(L, res);
		lua_setfield(L, -2, "result");
	}
	json_decref(res);
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

static int l_call(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
	const char *hook = luaL_checkstring(L, 1);
	json_t *args = lua_isnoneornil(L, 2) ? json_object() : check_json(L, 2);
	json_t *res = NULL;
	char *err = NULL;
	int rc = pv_call(x->host, hook, args, &res, &err);
	json_decref(args);
	if (rc != PAVED_OK) {
		lua_pushstring(L, err ? err : "failed");
		free(err);
		return raise(L, rc == PAVED_NOHOOK ? "nohook" : rc == PAVED_VETO ? "veto" : "error",
		             lua_tostring(L, -1), res);
	}
	pv_lua_push_json(L, res);
	json_decref(res);
	return 1;
}

/* A Lua function registered as a hook implementation. */
struct lua_cb {
	struct pv_lua *x;
	int ref;
};

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
	lua_rawgeti(L, LUA_REGISTRYINDEX, cb->ref);
	pv_lua_push_json(L, args);
	if (pv_lua_pcall(cb->x, 1, 2, errmsg)) {
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

static int l_render(lua_State *L)
{
	size_t n;
	const char *t = luaL_checklstring(L, 1, &n);
	json_t *ctx = lua_isnoneornil(L, 2) ? json_object() : check_json(L, 2);
	char *out = NULL, *err = NULL;
	size_t olen;
	int rc = pv_render(t, n, ctx, NULL, NULL, &out, &olen, &err);
	json_decref(ctx);
	if (rc) {
		lua_pushfstring(L, "template %s", err ? err : "error");
		free(err);
		return lua_error(L);
	}
	lua_pushlstring(L, out, olen);
	free(out);
	return 1;
}

static int l_render_tree(lua_State *L)
{
	const char *src = luaL_checkstring(L, 1), *dst = luaL_checkstring(L, 2);
	json_t *ctx = lua_isnoneornil(L, 3) ? json_object() : check_json(L, 3);
	char *err = NULL;
	int count = 0, rc = pv_render_tree(src, dst, ctx, &count, &err);
	json_decref(ctx);
	if (rc) {
		lua_pushstring(L, err);
		free(err);
		return lua_error(L);
	}
	lua_pushinteger(L, count);
	return 1;
}

/* paved.run{argv..., cwd=, env={K=V}, timeout=seconds, stdin=}
 * Every argument is checked before anything is allocated, and the strings
 * (numbers converted, "K=V" built) are anchored in a table on the stack,
 * so a Lua error leaks nothing and no pointer outlives its string. */
static int l_run(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer n = luaL_len(L, 1);
	if (n < 1)
		return luaL_error(L, "paved.run: argv is empty");
	lua_newtable(L);                      /* the anchor */
	int anchor = lua_gettop(L);
	lua_Integer k = 0;
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		if (!lua_isstring(L, -1))
			return luaL_error(L, "paved.run: argv[%I] must be a string, not %s", i,
			                  luaL_typename(L, -1));
		lua_tostring(L, -1);
		lua_rawseti(L, anchor, ++k);
	}
	size_t nenv = 0;
	lua_getfield(L, 1, "env");
	if (lua_istable(L, -1)) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
				return luaL_error(L, "paved.run: env must map names to strings");
			lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
			lua_rawseti(L, anchor, ++k);
			lua_pop(L, 1);
			nenv++;
		}
	} else if (!lua_isnil(L, -1)) {
		return luaL_error(L, "paved.run: env must be a table");
	}
	lua_pop(L, 1);
	lua_getfield(L, 1, "cwd");
	const char *cwd = lua_tostring(L, -1);
	lua_getfield(L, 1, "stdin");
	size_t inlen = 0;
	const char *in = lua_tolstring(L, -1, &inlen);
	lua_getfield(L, 1, "timeout");
	double secs = lua_tonumber(L, -1);
	long tmo = secs > 0 && secs < 86400.0 * 365 ? (long)(secs * 1000) : 0;
	char **argv = calloc((size_t)n + 1, sizeof *argv);
	char **env = calloc(nenv + 1, sizeof *env);
	if (!argv || !env) {
		free(argv), free(env);
		return luaL_error(L, "paved.run: out of memory");
	}
	for (lua_Integer i = 1; i <= k; i++) {
		lua_rawgeti(L, anchor, i);
		if (i <= n)
			argv[i - 1] = (char *)lua_tostring(L, -1);  /* kept alive by the anchor */
		else
			env[i - n - 1] = (char *)lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	struct paved_run_result r;
	char *err = NULL;
	struct paved_cmd cmd = {
		.argv = (const char *const *)argv, .cwd = cwd,
		.env = nenv ? (const char *const *)env : NULL,
		.input = inlen ? in : NULL, .input_len = inlen,
		.timeout_ms = tmo > 0 ? tmo : 300000,
	};
	int rc = pv_proc_run(&cmd, &r, &err);
	free(argv);
	free(env);
	if (rc) {
		lua_pushstring(L, err);
		free(err);
		return lua_error(L);
	}
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, r.status);
	lua_setfield(L, -2, "code");
	lua_pushlstring(L, r.out, r.out_len);
	lua_setfield(L, -2, "stdout");
	lua_pushlstring(L, r.err, r.err_len);
	lua_setfield(L, -2, "stderr");
	lua_pushboolean(L, r.timed_out);
	lua_setfield(L, -2, "timed_out");
	pv_proc_result_free(&r);
	return 1;
}

static int push_err(lua_State *L, char *err)
{
	lua_pushnil(L);
	lua_pushstring(L, err ? err : "failed");
	free(err);
	return 2;
}

static int l_fs_read(lua_State *L)
{
	size_t n;
	char *err = NULL, *d = pv_read_file(luaL_checkstring(L, 1), &n, &err);
	if (!d)
		return push_err(L, err);
	lua_pushlstring(L, d, n);
	free(d);
	return 1;
}

static int l_fs_write(lua_State *L)
{
	size_t n;
	const char *path = luaL_checkstring(L, 1), *data = luaL_checklstring(L, 2, &n);
	mode_t mode = (mode_t)luaL_optinteger(L, 3, 0644);
	char *err = NULL;
	unlink(path);
	if (pv_write_file(path, data, n, mode, &err))
		return push_err(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_fs_mkdir(lua_State *L)
{
	char *err = NULL;
	if (pv_mkdir_p(luaL_checkstring(L, 1), 0755, &err))
		return push_err(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_fs_exists(lua_State *L)
{
	struct stat st;
	if (lstat(luaL_checkstring(L, 1), &st) != 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other");
	return 1;
}

static int l_fs_tmpdir(lua_State *L)
{
	const char *t = getenv("TMPDIR");
	char *tmpl = pv_asprintf("%s/paved.XXXXXX", t && *t ? t : "/tmp");
	if (!tmpl || !mkdtemp(tmpl)) {
		free(tmpl);
		return push_err(L, pv_asprintf("mkdtemp: %s", strerror(errno)));
	}
	lua_pushstring(L, tmpl);
	free(tmpl);
	return 1;
}

static int l_fs_remove(lua_State *L)
{
	char *err = NULL;
	if (pv_rm_rf(luaL_checkstring(L, 1), &err))
		return push_err(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_fs_list(lua_State *L)
{
	struct dirent **ents;
	int n = scandir(luaL_checkstring(L, 1), &ents, NULL, alphasort), k = 0;
	if (n < 0)
		return push_err(L, pv_asprintf("cannot list %s: %s", lua_tostring(L, 1), strerror(errno)));
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			lua_pushstring(L, ents[i]->d_name);
			lua_rawseti(L, -2, ++k);
		}
		free(ents[i]);
	}
	free(ents);
	return 1;
}

static int l_json_encode(lua_State *L)
{
	json_t *j = check_json(L, 1);
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | (lua_toboolean(L, 2) ? JSON_INDENT(2) : 0));
	json_decref(j);
	lua_pushstring(L, s ? s : "null");
	free(s);
	return 1;
}

static int l_json_decode(lua_State *L)
{
	json_error_t e;
	json_t *j = json_loads(luaL_checkstring(L, 1), JSON_DECODE_ANY, &e);
	if (!j)
		return luaL_error(L, "invalid JSON at %d:%d: %s", e.line, e.column, e.text);
	pv_lua_push_json(L, j);
	json_decref(j);
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
	pv_lua_push_json(L, pv_config_get(pv_lua_of(L)->host->config, luaL_checkstring(L, 1)));
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
		{ "emit", l_emit }, { "log", l_log }, { "render", l_render },
		{ "render_tree", l_render_tree }, { "run", l_run }, { "home", l_home },
		{ "config", l_config }, { "option", l_option },
		{ "import", l_import }, { NULL, NULL }
	};
	static const luaL_Reg fs[] = {
		{ "read", l_fs_read }, { "write", l_fs_write }, { "mkdir", l_fs_mkdir },
		{ "exists", l_fs_exists }, { "tmpdir", l_fs_tmpdir }, { "remove", l_fs_remove },
		{ "list", l_fs_list }, { NULL, NULL }
	};
	static const luaL_Reg js[] = {
		{ "encode", l_json_encode }, { "decode", l_json_decode }, { "array", l_json_array },
		{ NULL, NULL }
	};
	luaL_newmetatable(L, "paved.json.array");
	lua_pop(L, 1);
	luaL_newlib(L, fns);
	luaL_newlib(L, fs);
	lua_setfield(L, -2, "fs");
	luaL_newlib(L, js);
	lua_pushlightuserdata(L, NULL);
	lua_setfield(L, -2, "null");
	lua_setfield(L, -2, "json");
	lua_newtable(L);
	lua_setfield(L, -2, "params");
	lua_setglobal(L, "paved");
}
