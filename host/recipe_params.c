/*
 * recipe_params.c -- validate a recipe's typed parameters before anything
 * runs.  Every problem is collected, so the user fixes them all at once.
 *
 * A param is {name=, type="string"|"int"|"bool"|"enum", description=,
 * required=, default=, pattern= (a Lua pattern the value must match),
 * not_pattern= (one it must not match), hint= (shown when either fails),
 * choices= (enum), min=, max= (int), min_length=,
 * max_length= (string)}.  Values may arrive as text (from --set k=v) and
 * are coerced to the declared type.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recipe.h"

/* Append one problem line to the growing message *ACC. */
static void problem(char **acc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(char **acc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = pv_vasprintf(fmt, ap);
	va_end(ap);
	char *n = pv_asprintf("%s\n  %s", *acc ? *acc : "", line ? line : "?");
	free(line);
	free(*acc);
	*acc = n;
}

static lua_Integer int_field(lua_State *L, const char *k, lua_Integer def, bool *set)
{
	lua_getfield(L, -1, k);
	bool has = lua_isinteger(L, -1);
	lua_Integer v = has ? lua_tointeger(L, -1) : def;
	lua_pop(L, 1);
	if (set)
		*set = has;
	return v;
}

static const char *str_field(lua_State *L, const char *k)
{
	lua_getfield(L, -1, k);
	const char *s = lua_tostring(L, -1);  /* interned; the spec table keeps it */
	lua_pop(L, 1);
	return s;
}

/* Does S match Lua pattern PAT?  -1 when the pattern itself is bad. */
static int lua_match(lua_State *L, const char *s, const char *pat)
{
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "find");
	lua_pushstring(L, s);
	lua_pushstring(L, pat);
	int rc = lua_pcall(L, 2, 1, 0);
	int m = rc == LUA_OK ? !lua_isnil(L, -1) : -1;
	lua_pop(L, 2);
	return m;
}

/* Coerce V (borrowed) to TYPE.  New reference or NULL with a reason. */
static json_t *coerce(const char *type, json_t *v, const char **why)
{
	const char *s = json_string_value(v);
	if (strcmp(type, "int") == 0) {
		if (json_is_integer(v))
			return json_incref(v);
		char *end;
		errno = 0;
		long long n = s ? strtoll(s, &end, 10) : 0;
		/* digits only (strtoll would take leading blanks), in range */
		if (s && (*s == '-' || isdigit((unsigned char)*s)) && !*end && errno == 0)
			return json_integer(n);
		*why = s && errno == ERANGE ? "is out of range" : "is not a whole number";
		return NULL;
	}
	if (strcmp(type, "bool") == 0) {
		if (json_is_boolean(v))
			return json_incref(v);
		static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = {
			"false", "no", "off", "0" };
		for (int i = 0; s && i < 4; i++) {
			if (strcasecmp(s, yes[i]) == 0)
				return json_true();
			if (strcasecmp(s, no[i]) == 0)
				return json_false();
		}
		*why = "is not a boolean (true/false, yes/no, on/off, 1/0)";
		return NULL;
	}
	if (json_is_string(v))
		return json_incref(v);
	if (json_is_number(v) || json_is_boolean(v)) {
		char *t = json_dumps(v, JSON_ENCODE_ANY);
		json_t *r = json_string(t);
		free(t);
		return r;
	}
	*why = "is not text";
	return NULL;
}

/* Validate the param spec at the top of the stack against INPUT. */
static void check_param(lua_State *L, const char *name, json_t *input, json_t *out, char **acc)
{
	const char *type = str_field(L, "type"), *why = NULL;
	if (!type)
		type = "string";
	lua_getfield(L, -1, "required");
	bool required = lua_toboolean(L, -1);
	lua_pop(L, 1);
	json_t *raw = json_object_get(input, name), *v = NULL;
	if (!raw || json_is_null(raw)) {
		lua_getfield(L, -1, "default");
		json_t *def = lua_isnil(L, -1) ? NULL : pv_lua_to_json(L, -1, NULL);
		lua_pop(L, 1);
		if (def)
			json_object_set_new(out, name, def);
		else if (required)
			problem(acc, "%s: required%s%s", name, str_field(L, "description") ? " — " : "",
			        str_field(L, "description") ? str_field(L, "description") : "");
		return;
	}
	char *shown = json_is_string(raw) ? pv_strdup(json_string_value(raw))
	              : json_dumps(raw, JSON_ENCODE_ANY);
	if (json_is_string(raw) && memchr(json_string_value(raw), '\0', json_string_length(raw))) {
		/* what C strings show of it would hide the rest: "postgres\0x" */
		problem(acc, "%s: holds a NUL byte", name);
		free(shown);
		return;
	}
	if (strcmp(type, "enum") == 0) {
		bool ok = false;
		char choices[512] = "";
		lua_getfield(L, -1, "choices");
		/* the whole value, its length included: "postgres\0x" is not "postgres" */
		for (lua_Integer i = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
			size_t clen = 0;
			const char *c = lua_tolstring(L, -1, &clen);
			ok = ok || (c && json_is_string(raw) && json_string_length(raw) == clen &&
			            memcmp(c, json_string_value(raw), clen) == 0);
			size_t n = strlen(choices);
			snprintf(choices + n, sizeof choices - n, "%s%s", i > 1 ? ", " : "", c ? c : "?");
			lua_pop(L, 1);
		}
		lua_pop(L, 2);
		if (!ok)
			problem(acc, "%s: '%s' is not one of: %s", name, shown, choices);
		else
			json_object_set(out, name, raw);
		free(shown);
		return;
	}
	if (!(v = coerce(type, raw, &why))) {
		problem(acc, "%s: '%s' %s", name, shown, why);
		free(shown);
		return;
	}
	bool bad = false, set;
	if (strcmp(type, "int") == 0) {
		lua_Integer n = json_integer_value(v), lo = int_field(L, "min", 0, &set);
		if (set && n < lo)
			problem(acc, "%s: %lld is below the minimum %lld", name, (long long)n,
			        (long long)lo), bad = true;
		lua_Integer hi = int_field(L, "max", 0, &set);
		if (set && n > hi)
			problem(acc, "%s: %lld is above the maximum %lld", name, (long long)n,
			        (long long)hi), bad = true;
	} else if (strcmp(type, "string") == 0) {
		const char *s = json_string_value(v), *pat = str_field(L, "pattern");
		size_t len = json_string_length(v);
		lua_Integer maxl = int_field(L, "max_length", 0, &set);
		if (set && (lua_Integer)len > maxl)
			problem(acc, "%s: %zu characters, at most %lld allowed", name, len,
			        (long long)maxl), bad = true;
		lua_Integer minl = int_field(L, "min_length", 0, &set);
		if (set && (lua_Integer)len < minl)
			problem(acc, "%s: '%s' is shorter than %lld characters", name, s,
			        (long long)minl), bad = true;
		int m = pat ? lua_match(L, s, pat) : 1;
		if (m < 0)
			problem(acc, "%s: the recipe's pattern '%s' is not a valid Lua pattern", name,
			        pat), bad = true;
		else if (m == 0 && !bad)
			problem(acc, "%s: '%s' does not match %s%s%s", name, shown, pat,
			        str_field(L, "hint") ? " — " : "",
			        str_field(L, "hint") ? str_field(L, "hint") : ""), bad = true;
		/* not_pattern: what a value must not contain (a trailing '-') */
		const char *neg = str_field(L, "not_pattern");
		int nm = neg && !bad ? lua_match(L, s, neg) : 0;
		if (nm < 0)
			problem(acc, "%s: the recipe's not_pattern '%s' is not a valid Lua pattern", name,
			        neg), bad = true;
		else if (nm > 0)
			problem(acc, "%s: '%s' must not match %s%s%s", name, shown, neg,
			        str_field(L, "hint") ? " — " : "",
			        str_field(L, "hint") ? str_field(L, "hint") : ""), bad = true;
	}
	if (!bad)
		json_object_set(out, name, v);
	json_decref(v);
	free(shown);
}

int pv_recipe_validate(struct pv_recipe *r, json_t *input, json_t **params, char **errmsg)
{
	lua_State *L = r->x->L;
	json_t *out = json_object(), *known = json_object();
	char *acc = NULL;
	int top = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	lua_getfield(L, -1, "params");
	for (lua_Integer i = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		const char *name = str_field(L, "name");
		if (name) {
			json_object_set_new(known, name, json_true());
			check_param(L, name, input, out, &acc);
		}
		lua_pop(L, 1);
	}
	lua_settop(L, top);
	const char *k;
	json_t *v;
	json_object_foreach(input, k, v)
		if (!json_object_get(known, k))
			problem(&acc, "%s: unknown parameter (see 'paved recipes show %s')", k, r->name);
	json_decref(known);
	if (acc) {
		pv_seterr(errmsg, "invalid parameters for recipe '%s':%s", r->name, acc);
		free(acc);
		json_decref(out);
		return PAVED_ERR;
	}
	*params = out;
	return PAVED_OK;
}
