/*
 * lua_plugin.c -- *.lua files as plugins.
 *
 * A Lua plugin is a file that returns its descriptor:
 *
 *     return {
 *       name = "naming-policy", version = "1.0.0",
 *       summary = "service names must be lowercase DNS labels",
 *       options = { { name = "max_length", type = "int", default = 40,
 *                     description = "longest allowed name" } },
 *       init = function()
 *         paved.observe("before:recipe.run", 10, function(args) ... end)
 *       end,
 *     }
 *
 * Each plugin gets its own sandboxed state (lua_sandbox.c), so plugins
 * cannot see each other's globals.  init() registers hooks exactly as a
 * C plugin's init does; registrations are cached the same way.
 *
 * A plugin is confined (lua_confine.c): paved.fs reads its own directory
 * and writes its data directory $PAVED_HOME/plugins-data/NAME
 * (paved.fs.datadir()) and its temp directories; paved.run starts only
 * the programs, and os.getenv reads only the variables, its descriptor
 * declares.  The descriptor may declare more:
 *
 *       requires = { "git" },            -- programs paved.run may start
 *       env = { "HOME" },                -- variables os.getenv may read
 *       reads = { "/srv/shared" },       -- directories it may read
 *       writes = { "/srv/prometheus" },  -- directories it may write
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua_rt.h"

/* Read the declared options table at the top of the stack into JSON;
 * leaves the stack as it was. */
static json_t *read_options(lua_State *L, char **errmsg)
{
	static const char *const types[] = { "string", "int", "bool", "object", NULL };
	json_t *opts = json_array();
	if (lua_isnil(L, -1))
		return opts;
	if (!lua_istable(L, -1)) {
		json_decref(opts);
		pv_seterr(errmsg, "descriptor field 'options' must be a list of tables");
		return NULL;
	}
	lua_Integer i;
	for (i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		lua_getfield(L, -1, "name");
		lua_getfield(L, -2, "type");
		lua_getfield(L, -3, "description");
		const char *name = lua_tostring(L, -3), *type = lua_tostring(L, -2);
		bool ok = false;
		for (int t = 0; types[t] && type; t++)
			ok = ok || strcmp(types[t], type) == 0;
		if (!name || !ok) {
			lua_pop(L, 4);
			json_decref(opts);
			pv_seterr(errmsg, "option %lld needs a name and a type (string, int, bool "
			          "or object)", (long long)i);
			return NULL;
		}
		lua_getfield(L, -4, "default");
		json_t *def = pv_lua_to_json(L, -1, NULL);
		json_array_append_new(opts, json_pack("{sssssoss}", "name", name, "type", type,
		                      "default", def ? def : json_null(), "description",
		                      lua_tostring(L, -2) ? lua_tostring(L, -2) : ""));
		lua_pop(L, 5);
	}
	lua_pop(L, 1);   /* the non-table that ended the list */
	return opts;
}

/* Copy string field K of the descriptor at the top of the stack. */
static char *field(lua_State *L, const char *k)
{
	lua_getfield(L, -1, k);
	char *s = lua_isstring(L, -1) ? pv_strdup(lua_tostring(L, -1)) : NULL;
	lua_pop(L, 1);
	return s;
}

static int lua_load_plugin(pv_host *h, struct pv_plugin *p, char **errmsg)
{
	int fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pv_seterr(errmsg, "cannot read: %s", strerror(errno));
	close(fd);
	struct pv_lua *x = pv_lua_new(h, p);
	if (!x)
		return pv_seterr(errmsg, "cannot create a Lua state: out of memory");
	lua_State *L = x->L;
	p->lua = x;
	char buf[PATH_MAX], *who = pv_asprintf("plugin '%s'", p->name);
	snprintf(buf, sizeof buf, "%s", p->path);
	const char *dir = dirname(buf);   /* p->path is absolute: its directory */
	int rc = pv_lua_confine(x, who ? who : "plugin", dir, NULL, errmsg);
	free(who);
	if (rc || pv_lua_dofile(x, p->path, 1, errmsg))
		return PAVED_ERR;
	if (!lua_istable(L, -1))
		return pv_seterr(errmsg, "the file must return a descriptor table "
		                 "{name=, version=, summary=, init=function}");
	char *name = field(L, "name");
	if (!pv_valid_name(name)) {
		pv_seterr(errmsg, "descriptor name '%s' is invalid: use [a-z][a-z0-9_-]*",
		          name ? name : "(missing)");
		free(name);
		return PAVED_ERR;
	}
	if (p->from_cache && strcmp(name, p->name) != 0) {
		pv_seterr(errmsg, "descriptor name changed from '%s' to '%s'", p->name, name);
		free(name);
		return PAVED_ERR;
	}
	free(p->name), free(p->version), free(p->summary);
	p->name = name;
	p->version = field(L, "version");
	p->summary = field(L, "summary");
	if (!p->version)
		p->version = pv_strdup("0");
	lua_getfield(L, -1, "options");
	json_t *opts = read_options(L, errmsg);
	lua_pop(L, 1);
	if (!opts)
		return PAVED_ERR;
	json_decref(p->options);
	p->options = opts;
	if (!p->from_cache) {
		struct pv_plugin *other = pv_plugin_find(h, p->name);
		if (other && other != p)
			return pv_seterr(errmsg, "plugin name '%s' is already used by %s", p->name,
			                 other->path);
	}
	if (pv_options_resolve(h, p, errmsg))
		return PAVED_ERR;
	/* the confinement with the descriptor's name and declarations */
	struct pv_lua_decl decl;
	char *derr = NULL;
	who = pv_asprintf("plugin '%s'", p->name);
	rc = pv_lua_read_decl(L, -1, &decl, &derr) ||
	     pv_lua_confine(x, who ? who : "plugin", dir, &decl, &derr);
	pv_lua_decl_free(&decl);
	free(who);
	if (rc) {
		pv_seterr(errmsg, "descriptor: %s", derr);
		free(derr);
		return PAVED_ERR;
	}
	lua_getfield(L, -1, "init");
	if (!lua_isfunction(L, -1))
		return pv_seterr(errmsg, "descriptor field 'init' must be a function");
	char *err = NULL;
	p->conflict = false;
	rc = pv_lua_pcall(x, 0, 0, &err);
	lua_settop(L, 0);
	if (rc || p->conflict) {
		pv_seterr(errmsg, "init failed: %s", err ? err : "a provider was already taken");
		free(err);
		return PAVED_ERR;
	}
	return PAVED_OK;
}

static void lua_unload_plugin(pv_host *h, struct pv_plugin *p)
{
	(void)h;
	pv_lua_close(p->lua);
	p->lua = NULL;
}

const struct pv_plugin_kind pv_lua_kind = {
	".lua", "lua", lua_load_plugin, lua_unload_plugin
};
