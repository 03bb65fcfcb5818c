/*
 * fuzz_params.c -- libFuzzer target: a recipe's typed parameters
 * (host/recipe_params.c), validated as `paved new`, `paved create` and
 * the hook recipe.run validate them before anything runs.
 *
 * The recipe is a real golden path, scripts/golden-paths/node-api (or
 * $FUZZ_RECIPE), opened once through a host with no plugins on a
 * temporary PAVED_HOME.  Input: JSON, taken as recipe.run takes its
 * "params" (an object, anything else is no params; strings may hold NUL,
 * as a Lua or C plugin's can), or else `--set KEY=VALUE` arguments one a
 * line, made into params as the command line makes them.
 *
 * Beyond the sanitizers, what passes keeps the recipe's word: nothing
 * undeclared; a given value has its declared type; a string matches its
 * pattern, does not match its not_pattern (both checked here on the whole
 * value) and keeps its length limits; an int is within min..max; an enum
 * is one of its choices; a required param is there.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "recipe.h"

#define MAX_SETS 32

extern char **environ;

static pv_host *g_host;
static struct pv_recipe *g_recipe;
static json_t *g_desc;       /* pv_recipe_describe: the declared params */
static lua_State *g_L;       /* a plain Lua, for string.find on whole values */

/* Drop PAVED_CONFIG_* so the machine's environment cannot steer the host. */
static void isolate_env(void)
{
	for (bool again = true; again;) {
		again = false;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "PAVED_CONFIG_", 13) != 0)
				continue;
			char *name = strndup(*e, strcspn(*e, "="));
			if (!name)
				fz_fail("out of memory");
			unsetenv(name);
			free(name);
			again = true;
			break;
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char *home = fz_path("home"), *sys = fz_path("no-system-config.json"), *err = NULL;
	const char *recipe = getenv("FUZZ_RECIPE");
	int code;
	isolate_env();
	setenv("PAVED_SYSTEM_CONFIG", sys, 1);
	if (!getenv("PAVED_RECIPE_PATH"))
		setenv("PAVED_RECIPE_PATH", FUZZ_SRCDIR "/scripts/golden-paths", 1);
	struct pv_host_opts o = { .home = home, .no_plugins = true, .verbosity = 0 };
	if (pv_host_open(&o, &g_host, &err, &code) != PAVED_OK)
		fz_fail("pv_host_open: %s", err ? err : "?");
	if (pv_recipe_open(g_host, recipe && *recipe ? recipe : "node-api", &g_recipe, &err))
		fz_fail("pv_recipe_open: %s", err ? err : "?");
	g_desc = pv_recipe_describe(g_recipe);
	if (!json_array_size(json_object_get(g_desc, "params")))
		fz_fail("the recipe declares no params");
	g_L = luaL_newstate();
	luaL_requiref(g_L, LUA_STRLIBNAME, luaopen_string, 1);
	lua_pop(g_L, 1);
	free(home), free(sys);
	return 0;
}

/* Whether the whole of S (LEN bytes) matches Lua pattern PAT. */
static bool matches(const char *s, size_t len, const char *pat)
{
	lua_getglobal(g_L, "string");
	lua_getfield(g_L, -1, "find");
	lua_pushlstring(g_L, s, len);
	lua_pushstring(g_L, pat);
	bool m = lua_pcall(g_L, 2, 1, 0) == LUA_OK && !lua_isnil(g_L, -1);
	lua_pop(g_L, 2);
	return m;
}

/* Integer field K of the declaration D, if it has one. */
static bool int_of(json_t *d, const char *k, json_int_t *v)
{
	json_t *x = json_object_get(d, k);
	if (json_is_integer(x))
		*v = json_integer_value(x);
	return json_is_integer(x);
}

/* The promises about OUT, the params that passed, for INPUT. */
static void check(json_t *input, json_t *out)
{
	json_t *decls = json_object_get(g_desc, "params"), *d, *v;
	const char *k;
	size_t i;
	json_object_foreach(out, k, v) {
		bool declared = false;
		json_array_foreach(decls, i, d)
			declared = declared || !strcmp(k, json_string_value(json_object_get(d, "name")));
		if (!declared)
			fz_fail("param '%s' passed but is not declared", k);
	}
	json_array_foreach(decls, i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *type = json_string_value(json_object_get(d, "type"));
		json_t *given = json_object_get(input, name);
		json_int_t lo, hi;
		v = json_object_get(out, name);
		type = type ? type : "string";
		if (!given || json_is_null(given)) {
			if (!v && json_is_true(json_object_get(d, "required")))
				fz_fail("required param '%s' is missing but the params passed", name);
			continue;   /* a default: the recipe author's, not checked here */
		}
		if (!v)
			fz_fail("param '%s' was given but is not in what passed", name);
		if (!strcmp(type, "int")) {
			if (!json_is_integer(v))
				fz_fail("int param '%s' passed as another type", name);
			if ((int_of(d, "min", &lo) && json_integer_value(v) < lo) ||
			    (int_of(d, "max", &hi) && json_integer_value(v) > hi))
				fz_fail("int param '%s' passed outside min..max", name);
		} else if (!strcmp(type, "bool")) {
			if (!json_is_boolean(v))
				fz_fail("bool param '%s' passed as another type", name);
		} else if (!strcmp(type, "enum")) {
			bool ok = false;
			json_t *c;
			size_t j;
			json_array_foreach(json_object_get(d, "choices"), j, c)
				ok = ok || json_equal(c, v);
			if (!ok)
				fz_fail("enum param '%s' passed with a value not among its choices", name);
		} else {
			const char *pat = json_string_value(json_object_get(d, "pattern"));
			size_t len = json_string_length(v);
			if (!json_is_string(v))
				fz_fail("string param '%s' passed as another type", name);
			if ((int_of(d, "max_length", &hi) && (json_int_t)len > hi) ||
			    (int_of(d, "min_length", &lo) && (json_int_t)len < lo))
				fz_fail("string param '%s' passed with %zu bytes, outside its length limits",
				        name, len);
			const char *neg = json_string_value(json_object_get(d, "not_pattern"));
			if (pat && !matches(json_string_value(v), len, pat))
				fz_fail("string param '%s' passed but its whole value does not match %s",
				        name, pat);
			if (neg && matches(json_string_value(v), len, neg))
				fz_fail("string param '%s' passed but its whole value matches its "
				        "not_pattern %s", name, neg);
		}
	}
}

/* `--set KEY=VALUE` lines into params, as the command line does. */
static json_t *from_sets(const uint8_t *data, size_t size)
{
	struct fz_part sets[MAX_SETS];
	size_t n = size ? fz_split(data, size, '\n', sets, MAX_SETS) : 0;
	json_t *params = json_object();
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(sets[i].str, '=');
		if (!eq || eq == sets[i].str)
			continue;   /* a usage error before validation */
		*eq = '\0';
		json_object_set_new(params, sets[i].str, json_string(eq + 1));
	}
	fz_parts_free(sets, n);
	return params;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* known-bugs params-nul: no NUL in strings, as from the command line */
	size_t flags = JSON_DECODE_ANY | (fz_known("params-nul") ? 0 : JSON_ALLOW_NUL);
	json_t *input = json_loadb((const char *)data, size, flags, NULL);
	if (input && !json_is_object(input)) {
		json_decref(input);
		input = NULL;   /* recipe.run: params that are not an object are none */
	} else if (!input) {
		input = from_sets(data, size);
	}
	json_t *out = NULL;
	char *err = NULL;
	if (pv_recipe_validate(g_recipe, input, &out, &err) == PAVED_OK) {
		if (!json_is_object(out))
			fz_fail("pv_recipe_validate passed without params");
		check(input, out);
	} else if (!err || strncmp(err, "invalid parameters for recipe '", 31) != 0) {
		fz_fail("pv_recipe_validate failed without its message: '%s'", err ? err : "");
	}
	json_decref(out);
	json_decref(input);
	free(err);
	/* garbage left for later collections looks like a leak to libFuzzer,
	 * whose leak check then runs after every input */
	lua_gc(g_recipe->x->L, LUA_GCCOLLECT);
	lua_gc(g_L, LUA_GCCOLLECT);
	return 0;
}
