/*
 * lua_fs.c -- the parts of the `paved` module that reach outside the Lua
 * state, all through lua_confine.c's checks:
 *
 *   paved.fs.read(path)              -> data | nil, err   (regular files)
 *   paved.fs.write(path, data[, mode]) -> true | nil, err (replaces a file)
 *   paved.fs.mkdir(path)             -> true | nil, err   (mkdir -p)
 *   paved.fs.exists(path)            -> "file" | "dir" | "other" | nil
 *   paved.fs.list(path)              -> {names} | nil, err
 *   paved.fs.remove(path)            -> true | nil, err   (rm -rf, no symlink followed)
 *   paved.fs.tmpdir()                -> a new directory, removed when the state closes
 *   paved.fs.datadir()               -> a Lua plugin's $PAVED_HOME/plugins-data/NAME
 *   paved.render_tree(src, dst, ctx) -> number of files
 *   paved.run{argv..., cwd=, env=, timeout=, stdin=}
 *                                    -> {code=, stdout=, stderr=, timed_out=}
 *
 * A path outside the state's confinement raises an error (it is a bug in
 * the recipe or plugin, not a condition to test for); other failures
 * return nil and a message.  Every function acts on the resolved path it
 * was allowed, never again on the one it was given.  What a call may cost
 * is bounded: reads and program output by the memory limit, renders by
 * the memory and time limits, programs by the time left in the step.
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

#define RUN_DEFAULT_TIMEOUT 300.0   /* seconds, when paved.run names none */

static int push_err(lua_State *L, char *err)
{
	lua_pushnil(L);
	lua_pushstring(L, err ? err : "failed");
	free(err);
	return 2;
}

/* A malloc'd buffer to push as a Lua string (push_owned). */
struct owned {
	const char *data;
	size_t len;
};

static int push_lstring(lua_State *L)
{
	struct owned *o = lua_touserdata(L, 1);
	lua_pushlstring(L, o->data, o->len);
	return 1;
}

/* Push DATA (LEN bytes, malloc'd) as a string and free it, also when the
 * push runs into the memory limit (then the error is raised again). */
static void push_owned(lua_State *L, char *data, size_t len)
{
	struct owned o = { data, len };
	lua_pushcfunction(L, push_lstring);
	lua_pushlightuserdata(L, &o);
	int st = lua_pcall(L, 1, 1, 0);
	free(data);
	if (st != LUA_OK)
		lua_error(L);
}

/* Bytes X may still allocate (SIZE_MAX without a memory limit). */
static size_t memory_left(struct pv_lua *x)
{
	if (!x->max_bytes)
		return (size_t)-1;
	return x->used < x->max_bytes ? x->max_bytes - x->used : 0;
}

static int l_fs_read(lua_State *L)
{
	const char *given = luaL_checkstring(L, 1);
	const char *path = pv_lua_checkpath(L, "paved.fs.read", given, false, true);
	struct stat st;
	if (stat(path, &st) != 0)
		return push_err(L, pv_asprintf("cannot read %s: %s", given, strerror(errno)));
	if (!S_ISREG(st.st_mode))
		return push_err(L, pv_asprintf("cannot read %s: not a regular file", given));
	if ((unsigned long long)st.st_size >= memory_left(pv_lua_of(L)))
		return push_err(L, pv_asprintf("cannot read %s: %lld bytes are more than the "
		                "memory limit leaves (lua.max_memory_mb)", given,
		                (long long)st.st_size));
	size_t n;
	char *err = NULL, *d = pv_read_file(path, &n, &err);
	if (!d)
		return push_err(L, err);
	push_owned(L, d, n);
	return 1;
}

static int l_fs_write(lua_State *L)
{
	size_t n;
	const char *given = luaL_checkstring(L, 1), *data = luaL_checklstring(L, 2, &n);
	mode_t mode = (mode_t)luaL_optinteger(L, 3, 0644) & 0777;
	const char *path = pv_lua_checkpath(L, "paved.fs.write", given, true, false);
	char *err = NULL;
	unlink(path);     /* a symlink is replaced, never written through */
	if (pv_write_file(path, data, n, mode, &err))
		return push_err(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_fs_mkdir(lua_State *L)
{
	const char *path = pv_lua_checkpath(L, "paved.fs.mkdir", luaL_checkstring(L, 1), true, true);
	char *err = NULL;
	if (pv_mkdir_p(path, 0755, &err))
		return push_err(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_fs_exists(lua_State *L)
{
	const char *path = pv_lua_checkpath(L, "paved.fs.exists", luaL_checkstring(L, 1), false,
	                                    false);
	struct stat st;
	if (lstat(path, &st) != 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other");
	return 1;
}

static int l_fs_tmpdir(lua_State *L)
{
	char *err = NULL, *dir = pv_lua_tmpdir(pv_lua_of(L), &err);
	if (!dir)
		return push_err(L, err);
	lua_pushstring(L, dir);
	free(dir);
	return 1;
}

static int l_fs_datadir(lua_State *L)
{
	const char *d = pv_lua_datadir(pv_lua_of(L));
	char *err = NULL;
	if (!d)
		return push_err(L, pv_strdup("paved.fs.datadir: only Lua plugins have a data "
		                             "directory"));
	if (pv_mkdir_p(d, 0700, &err))
		return push_err(L, err);
	lua_pushstring(L, d);
	return 1;
}

static int l_fs_remove(lua_State *L)
{
	const char *path = pv_lua_checkpath(L, "paved.fs.remove", luaL_checkstring(L, 1), true,
	                                    false);
	char *err = NULL;
	if (pv_rm_rf(path, &err))
		return push_err(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

/* Directory entries to push, for push_names. */
struct names {
	struct dirent **ents;
	int n;
};

/* Protected part of paved.fs.list: the names (but . and ..) as a list. */
static int push_names(lua_State *L)
{
	struct names *nm = lua_touserdata(L, 1);
	lua_createtable(L, nm->n, 0);
	for (int i = 0, k = 0; i < nm->n; i++) {
		if (strcmp(nm->ents[i]->d_name, ".") && strcmp(nm->ents[i]->d_name, "..")) {
			lua_pushstring(L, nm->ents[i]->d_name);
			lua_rawseti(L, -2, ++k);
		}
	}
	return 1;
}

static int l_fs_list(lua_State *L)
{
	const char *given = luaL_checkstring(L, 1);
	const char *path = pv_lua_checkpath(L, "paved.fs.list", given, false, true);
	struct names nm;
	if ((nm.n = scandir(path, &nm.ents, NULL, alphasort)) < 0)
		return push_err(L, pv_asprintf("cannot list %s: %s", given, strerror(errno)));
	/* pushing may run into the memory limit: free the entries either way */
	lua_pushcfunction(L, push_names);
	lua_pushlightuserdata(L, &nm);
	int st = lua_pcall(L, 1, 1, 0);
	for (int i = 0; i < nm.n; i++)
		free(nm.ents[i]);
	free(nm.ents);
	return st == LUA_OK ? 1 : lua_error(L);
}

/* The render bounds of the calling state: its memory left, its deadline. */
static struct pv_render_limits render_limits(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
	struct pv_render_limits lim = { 0, 0 };
	if (x->max_bytes)
		lim.max_out = memory_left(x);
	if (x->deadline > 0)
		lim.deadline = x->deadline;
	return lim;
}

/* Raise a render error; past the deadline it is the time limit's. */
static int render_error(lua_State *L, const char *prefix, char *err)
{
	if (pv_lua_time_left(pv_lua_of(L)) < 0) {
		free(err);
		return pv_lua_time_up(L);
	}
	lua_pushfstring(L, "%s%s", prefix, err ? err : "error");
	free(err);
	return lua_error(L);
}

/* The template context at argument IDX of FN (an empty object when
 * absent), or a raised error.  New reference. */
static json_t *context_arg(lua_State *L, int idx, const char *fn)
{
	if (lua_isnoneornil(L, idx))
		return json_object();
	char *err = NULL;
	json_t *ctx = pv_lua_to_json(L, idx, &err);
	if (!ctx) {
		lua_pushfstring(L, "%s: argument #%d: %s", fn, idx, err ? err : "not JSON");
		free(err);
		lua_error(L);
	}
	return ctx;
}

static int l_render(lua_State *L)
{
	size_t n;
	const char *t = luaL_checklstring(L, 1, &n);
	json_t *ctx = context_arg(L, 2, "paved.render");
	struct pv_render_limits lim = render_limits(L);
	char *out = NULL, *err = NULL;
	size_t olen;
	int rc = pv_render_limited(t, n, ctx, 1, &lim, &out, &olen, &err);
	json_decref(ctx);
	if (rc)
		return render_error(L, "template ", err);
	push_owned(L, out, olen);
	return 1;
}

static int l_render_tree(lua_State *L)
{
	const char *src = pv_lua_checkpath(L, "paved.render_tree", luaL_checkstring(L, 1), false,
	                                   true);
	const char *dst = pv_lua_checkpath(L, "paved.render_tree", luaL_checkstring(L, 2), true,
	                                   false);
	json_t *ctx = context_arg(L, 3, "paved.render_tree");
	struct pv_render_limits lim = render_limits(L);
	char *err = NULL;
	int count = 0, rc = pv_render_tree_limited(src, dst, ctx, &lim, &count, &err);
	json_decref(ctx);
	if (rc)
		return render_error(L, "", err);
	lua_pushinteger(L, count);
	return 1;
}

/* Protected part of paved.run: its result table from the paved_run_result
 * (a light userdata), which the caller frees either way. */
static int push_run_result(lua_State *L)
{
	struct paved_run_result *r = lua_touserdata(L, 1);
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, r->status);
	lua_setfield(L, -2, "code");
	lua_pushlstring(L, r->out, r->out_len);
	lua_setfield(L, -2, "stdout");
	lua_pushlstring(L, r->err, r->err_len);
	lua_setfield(L, -2, "stderr");
	lua_pushboolean(L, r->timed_out);
	lua_setfield(L, -2, "timed_out");
	return 1;
}

/* paved.run{argv..., cwd=, env={K=V}, timeout=seconds, stdin=}
 * argv[0] must be a declared program (lua_confine.c), cwd a directory the
 * state may read.  The timeout is cut to the time left in the step (and
 * its expiry is then the step's time limit); stdout and stderr are each
 * captured up to the memory left.  Every argument is checked before
 * anything is allocated, and the strings (numbers converted, "K=V" built)
 * are anchored in a table on the stack, so a Lua error leaks nothing and
 * no pointer outlives its string. */
static int l_run(lua_State *L)
{
	struct pv_lua *x = pv_lua_of(L);
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
	lua_rawgeti(L, anchor, 1);
	const char *name = lua_tostring(L, -1);           /* kept alive by the anchor */
	const char *prog = pv_lua_checkprogram(L, name);  /* kept alive on the stack */
	lua_getfield(L, 1, "cwd");
	const char *cwd = lua_isnil(L, -1) ? NULL :
	                  pv_lua_checkpath(L, "paved.run", luaL_checkstring(L, -1), false, true);
	lua_getfield(L, 1, "stdin");
	size_t inlen = 0;
	const char *in = lua_tolstring(L, -1, &inlen);
	lua_getfield(L, 1, "timeout");
	double secs = lua_tonumber(L, -1), left = pv_lua_time_left(x);
	if (!(secs > 0 && secs < 86400.0 * 365))
		secs = RUN_DEFAULT_TIMEOUT;
	bool cut = left < secs;
	if (left <= 0)
		return pv_lua_time_up(L);
	char **argv = calloc((size_t)n + 1, sizeof *argv);
	char **env = calloc(nenv + 1, sizeof *env);
	if (!argv || !env) {
		free(argv), free(env);
		return luaL_error(L, "paved.run: out of memory");
	}
	argv[0] = (char *)prog;    /* the resolved path; kept alive on the stack */
	for (lua_Integer i = 2; i <= k; i++) {
		lua_rawgeti(L, anchor, i);
		if (i <= n)
			argv[i - 1] = (char *)lua_tostring(L, -1);  /* kept alive by the anchor */
		else
			env[i - n - 1] = (char *)lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	struct paved_run_result r;
	char *err = NULL;
	bool overflow = false;
	size_t cap = memory_left(x) / 2;
	struct paved_cmd cmd = {
		.argv = (const char *const *)argv, .cwd = cwd,
		.env = nenv ? (const char *const *)env : NULL,
		.input = inlen ? in : NULL, .input_len = inlen,
		.timeout_ms = (long)((cut ? left : secs) * 1000) + 1,
	};
	int rc = pv_proc_run_capped(&cmd, cap, &overflow, &r, &err);
	free(argv);
	free(env);
	if (rc) {
		lua_pushstring(L, err);
		free(err);
		return lua_error(L);
	}
	if (overflow || (r.timed_out && cut)) {
		pv_proc_result_free(&r);
		if (!overflow)
			return pv_lua_time_up(L);
		return luaL_error(L, "paved.run: %s wrote more output than the memory limit "
		                  "leaves (%d MiB, lua.max_memory_mb); it was stopped", name,
		                  (int)(cap >> 20));
	}
	lua_pushcfunction(L, push_run_result);
	lua_pushlightuserdata(L, &r);
	int st = lua_pcall(L, 1, 1, 0);
	pv_proc_result_free(&r);
	return st == LUA_OK ? 1 : lua_error(L);
}

void pv_lua_open_fs(lua_State *L)
{
	static const luaL_Reg fs[] = {
		{ "read", l_fs_read }, { "write", l_fs_write }, { "mkdir", l_fs_mkdir },
		{ "exists", l_fs_exists }, { "tmpdir", l_fs_tmpdir }, { "remove", l_fs_remove },
		{ "list", l_fs_list }, { "datadir", l_fs_datadir }, { NULL, NULL }
	};
	luaL_newlib(L, fs);
	lua_setfield(L, -2, "fs");
	lua_pushcfunction(L, l_render);
	lua_setfield(L, -2, "render");
	lua_pushcfunction(L, l_render_tree);
	lua_setfield(L, -2, "render_tree");
	lua_pushcfunction(L, l_run);
	lua_setfield(L, -2, "run");
}
