/*
 * recipe.c -- find, load and describe golden-path recipes.
 *
 * A recipe lives in DIR/NAME/recipe.lua beside DIR/NAME/skeleton/.  The
 * search path is $PAVED_RECIPE_PATH, the config key recipe_path, then the
 * installed golden paths (or, run from the build tree, scripts/golden-paths
 * of the source tree).  recipe.lua returns a table:
 *
 *     return {
 *       summary = "...",
 *       params = { { name = "name", type = "string", required = true,
 *                    pattern = "^[a-z][a-z0-9-]*$", max_length = 63,
 *                    description = "..." }, ... },
 *       steps = { { title = "...", run = function(ctx) end,
 *                   undo = function(ctx) end }, ... },
 *       finish = function(ctx) return "summary text" end,   -- optional
 *       requires = { "git" },      -- programs paved.run may start (optional)
 *       env = { "HOME" },          -- variables os.getenv may read (optional)
 *       reads = { "/srv/x" },      -- directories paved.fs may read (optional)
 *     }
 *
 * The recipe's state is confined (lua_confine.c): paved.fs reads the
 * recipe's own directory and what reads declares, and reads and writes
 * its temp directories and, once the runner sets it, the run's target;
 * paved.run and os.getenv reach only what requires and env declare.
 * `paved recipes show` prints all of it (pv_recipe_print_access).
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recipe.h"

char *pv_recipe_path(pv_host *h)
{
	const char *env = getenv("PAVED_RECIPE_PATH");
	json_t *cfg = pv_config_get(h->config, "recipe_path");
	const char *def = pv_in_build_tree() ? PV_ABS_SRCDIR "/scripts/golden-paths" : PV_RECIPEDIR;
	return pv_asprintf("%s%s%s%s%s", env && *env ? env : "", env && *env ? ":" : "",
	                   json_is_string(cfg) ? json_string_value(cfg) : "",
	                   json_is_string(cfg) ? ":" : "", def);
}

/* Directory of recipe NAME in the path, or NULL.  Caller frees. */
static char *find_recipe(pv_host *h, const char *name)
{
	char *path = pv_recipe_path(h), *save = NULL, *found = NULL;
	for (char *d = strtok_r(path, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = pv_asprintf("%s/%s/recipe.lua", d, name);
		struct stat st;
		if (f && stat(f, &st) == 0 && S_ISREG(st.st_mode))
			found = pv_asprintf("%s/%s", d, name);
		free(f);
	}
	free(path);
	return found;
}

/* A summary of recipe DIR without running its code: the first
 * `summary = "..."` line, so listing recipes executes nothing. */
static char *peek_summary(const char *dir)
{
	char *f = pv_asprintf("%s/recipe.lua", dir), line[1024], *out = NULL;
	FILE *fp = f ? fopen(f, "r") : NULL;
	while (fp && !out && fgets(line, sizeof line, fp)) {
		char *s = strstr(line, "summary"), *q1, *q2;
		if (s && (q1 = strchr(s, '"')) && (q2 = strchr(q1 + 1, '"')))
			out = strndup(q1 + 1, (size_t)(q2 - q1 - 1));
	}
	if (fp)
		fclose(fp);
	free(f);
	return out;
}

json_t *pv_recipe_list(pv_host *h)
{
	char *path = pv_recipe_path(h), *save = NULL;
	json_t *list = json_array(), *seen = json_object();
	for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct dirent **ents;
		int n = scandir(d, &ents, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			char *dir = pv_asprintf("%s/%s", d, ents[i]->d_name);
			char *f = pv_asprintf("%s/recipe.lua", dir);
			struct stat st;
			if (ents[i]->d_name[0] != '.' && f && stat(f, &st) == 0 &&
			    !json_object_get(seen, ents[i]->d_name)) {
				char *sum = peek_summary(dir);
				json_object_set_new(seen, ents[i]->d_name, json_true());
				json_array_append_new(list, json_pack("{ssss?ss}", "name", ents[i]->d_name,
				                      "summary", sum, "dir", dir));
				free(sum);
			}
			free(f), free(dir), free(ents[i]);
		}
		if (n >= 0)
			free(ents);
	}
	json_decref(seen);
	free(path);
	return list;
}

/* Names of every recipe, "a, b", for "unknown template" messages. */
static char *recipe_names(pv_host *h)
{
	json_t *l = pv_recipe_list(h);
	size_t i, len = 1;
	json_t *e;
	json_array_foreach(l, i, e)
		len += strlen(json_string_value(json_object_get(e, "name"))) + 2;
	char *s = calloc(1, len);
	json_array_foreach(l, i, e) {
		if (!s)
			break;
		if (i)
			strcat(s, ", ");
		strcat(s, json_string_value(json_object_get(e, "name")));
	}
	json_decref(l);
	return s;
}

int pv_recipe_open(pv_host *h, const char *name, struct pv_recipe **out, char **errmsg)
{
	struct pv_recipe *r = NULL;
	if (!pv_valid_name(name) || !(r = calloc(1, sizeof *r)) ||
	    !(r->dir = find_recipe(h, name))) {
		char *names = recipe_names(h);
		pv_seterr(errmsg, "unknown template '%s'; available: %s", name ? name : "",
		          names && *names ? names : "none (check PAVED_RECIPE_PATH)");
		free(names);
		pv_recipe_close(r);
		return PAVED_ERR;
	}
	r->name = pv_strdup(name);
	r->file = pv_asprintf("%s/recipe.lua", r->dir);
	if (!(r->x = pv_lua_new(h, NULL))) {
		pv_recipe_close(r);
		return pv_seterr(errmsg, "out of memory");
	}
	char *err = NULL, *libdir = pv_asprintf("%.*s/_lib", (int)(strrchr(r->dir, '/') - r->dir),
	                                        r->dir);
	char *who = pv_asprintf("recipe '%s'", name);
	struct pv_lua_decl decl = { 0 };
	lua_State *L = r->x->L;
	lua_pushstring(L, libdir);
	lua_setfield(L, LUA_REGISTRYINDEX, "paved.libdir");
	free(libdir);
	if (pv_lua_confine(r->x, who, r->dir, NULL, &err) ||
	    pv_lua_dofile(r->x, r->file, 1, &err) || !lua_istable(L, -1)) {
		pv_seterr(errmsg, "recipe '%s': %s", name, err ? err :
		          "recipe.lua must return a table {summary=, params=, steps=}");
		goto fail;
	}
	lua_getfield(L, -1, "steps");
	bool ok = lua_istable(L, -1);
	lua_pop(L, 1);
	if (!ok) {
		pv_seterr(errmsg, "recipe '%s': the returned table has no 'steps' list", name);
		goto fail;
	}
	/* what it declares: from now on the only programs, variables and
	 * extra directories it reaches */
	if (pv_lua_read_decl(L, -1, &decl, &err) ||
	    (decl.writes && pv_seterr(&err, "'writes' is not allowed: a recipe writes its target "
	                              "and temp directories only (or calls a hook)")) ||
	    pv_lua_confine(r->x, who, r->dir, &decl, &err)) {
		pv_seterr(errmsg, "recipe '%s': %s", name, err);
		goto fail;
	}
	pv_lua_decl_free(&decl);
	free(who);
	r->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	*out = r;
	return PAVED_OK;
fail:
	free(err);
	free(who);
	pv_lua_decl_free(&decl);
	pv_recipe_close(r);
	return PAVED_ERR;
}

void pv_recipe_close(struct pv_recipe *r)
{
	if (!r)
		return;
	pv_lua_close(r->x);
	free(r->name), free(r->dir), free(r->file);
	free(r);
}

json_t *pv_recipe_describe(struct pv_recipe *r)
{
	lua_State *L = r->x->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	lua_getfield(L, -1, "summary");
	json_t *d = json_pack("{ss ss ss?}", "name", r->name, "dir", r->dir, "summary",
	                      lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_getfield(L, -1, "params");
	json_t *params = lua_istable(L, -1) ? pv_lua_to_json(L, -1, NULL) : NULL;
	json_object_set_new(d, "params", params ? params : json_array());
	lua_pop(L, 1);
	json_t *steps = json_array();
	lua_getfield(L, -1, "steps");
	for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		lua_getfield(L, -1, "title");
		json_array_append_new(steps, json_string(lua_tostring(L, -1) ? lua_tostring(L, -1) : "?"));
		lua_pop(L, 2);
	}
	lua_pop(L, 2);
	/* what the sandbox lets it reach (validated when it was opened) */
	struct pv_lua_decl decl;
	json_t *warnings = json_array(), *v;
	size_t i;
	if (pv_lua_read_decl(L, -1, &decl, NULL) != PAVED_OK)
		memset(&decl, 0, sizeof decl);
	lua_pop(L, 1);
	json_object_set_new(d, "requires", decl.requires ? json_incref(decl.requires) : json_array());
	json_object_set_new(d, "env", decl.env ? json_incref(decl.env) : json_array());
	json_object_set_new(d, "reads", decl.reads ? json_incref(decl.reads) : json_array());
	json_array_foreach(decl.requires, i, v) {
		const char *prog = json_string_value(v), *base = strrchr(prog, '/');
		if (pv_lua_program_is_launcher(base ? base + 1 : prog))
			json_array_append_new(warnings, json_sprintf("requires '%s', which runs any "
			                      "command: paved.run's confinement does not hold for this "
			                      "recipe", prog));
	}
	json_object_set_new(d, "warnings", warnings);
	pv_lua_decl_free(&decl);
	json_object_set_new(d, "steps", steps);
	return d;
}

/* Print the "Access" block of `paved recipes show` for DESC (from
 * pv_recipe_describe): what the recipe reaches, then its warnings. */
void pv_recipe_print_access(FILE *out, json_t *desc)
{
	const char *const lists[][2] = {
		{ "requires", "programs" }, { "env", "env" }, { "reads", "also reads" },
	};
	fprintf(out, "\nAccess (the sandbox allows nothing else):\n"
	        "  files       writes its target and temp directories; reads its own files\n");
	for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
		json_t *l = json_object_get(desc, lists[k][0]), *v;
		size_t i;
		fprintf(out, "  %-11s ", lists[k][1]);
		json_array_foreach(l, i, v)
			fprintf(out, "%s%s", i ? ", " : "", json_string_value(v));
		fprintf(out, "%s\n", json_array_size(l) ? "" : k == 2 ? "nothing more" : "none");
	}
	json_t *w;
	size_t i;
	json_array_foreach(json_object_get(desc, "warnings"), i, w)
		fprintf(out, "  warning: %s\n", json_string_value(w));
}
