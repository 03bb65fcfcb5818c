/*
 * lua_json.c -- Lua values <-> jansson values.
 *
 * Objects become tables with string keys; arrays become sequences.  A Lua
 * table is an array when its keys are exactly 1..n (n > 0); an empty table
 * is an empty object unless it carries the metatable paved.json.array.
 * JSON null is the light userdata paved.json.null.
 *
 * jansson's memory is not the Lua state's, so conversion is bounded by it
 * all the same: a value that would take more than the state's memory
 * limit as JSON (each node counted at NODE_COST bytes plus its strings;
 * a table shared many times counts each time) is refused, and JSON text
 * is measured the same way before it is parsed.  pv_lua_push_json_owned
 * pushes in a protected call, so a push that runs into the memory limit
 * does not leak the jansson value.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lua_rt.h"

#define MAX_DEPTH 200
#define NODE_COST 64      /* bytes a jansson node takes, roughly */

void pv_lua_push_json(lua_State *L, json_t *v)
{
	size_t i;
	const char *k;
	json_t *e;
	luaL_checkstack(L, 4, "JSON too deep");
	switch (json_typeof(v ? v : json_null())) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(v));
		json_object_foreach(v, k, e) {
			pv_lua_push_json(L, e);
			lua_setfield(L, -2, k);
		}
		break;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(v), 0);
		json_array_foreach(v, i, e) {
			pv_lua_push_json(L, e);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		if (json_array_size(v) == 0)
			luaL_setmetatable(L, "paved.json.array");
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(v));
		break;
	case JSON_TRUE:
		lua_pushboolean(L, 1);
		break;
	case JSON_FALSE:
		lua_pushboolean(L, 0);
		break;
	default:
		lua_pushlightuserdata(L, NULL);
		break;
	}
}

/* n when the table at IDX is a sequence 1..n, else -1. */
static lua_Integer seq_len(lua_State *L, int idx)
{
	lua_Integer n = 0, max = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
			lua_pop(L, 1);
			return -1;
		}
		lua_Integer k = lua_tointeger(L, -1);
		if (k > max)
			max = k;
		n++;
	}
	return n == max ? n : -1;
}

/* Charge N bytes to *BUDGET; false (with the error) when it runs out. */
static bool spend(size_t *budget, size_t n, char **errmsg)
{
	if (*budget < n) {
		pv_seterr(errmsg, "value too large to convert to JSON (more than the memory limit, "
		          "lua.max_memory_mb)");
		return false;
	}
	*budget -= n;
	return true;
}

static json_t *to_json(lua_State *L, int idx, int depth, size_t *budget, char **errmsg)
{
	idx = lua_absindex(L, idx);
	if (depth > MAX_DEPTH) {
		pv_seterr(errmsg, "value nested too deep (or cyclic) for JSON");
		return NULL;
	}
	if (!spend(budget, NODE_COST, errmsg))
		return NULL;
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return json_null();
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == NULL)
			return json_null();
		break;
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		if (!isfinite(lua_tonumber(L, idx)))
			break;
		return json_real(lua_tonumber(L, idx));
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		if (!spend(budget, n, errmsg))
			return NULL;
		json_t *j = json_stringn(s, n);
		if (!j)
			pv_seterr(errmsg, "string is not valid UTF-8, cannot encode as JSON");
		return j;
	}
	case LUA_TTABLE: {
		lua_Integer n = seq_len(L, idx);
		bool is_array = n > 0;
		if (n == 0 && lua_getmetatable(L, idx)) {
			luaL_getmetatable(L, "paved.json.array");
			is_array = lua_rawequal(L, -1, -2);
			lua_pop(L, 2);
		}
		json_t *out = is_array ? json_array() : json_object();
		if (is_array) {
			for (lua_Integer i = 1; i <= n; i++) {
				lua_rawgeti(L, idx, i);
				json_t *e = to_json(L, -1, depth + 1, budget, errmsg);
				lua_pop(L, 1);
				if (!e || json_array_append_new(out, e)) {
					json_decref(out);
					return NULL;
				}
			}
			return out;
		}
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			if (lua_type(L, -2) != LUA_TSTRING) {
				lua_pop(L, 2);
				json_decref(out);
				pv_seterr(errmsg, "table has a non-string key; JSON objects need string keys");
				return NULL;
			}
			json_t *e = to_json(L, -1, depth + 1, budget, errmsg);
			if (!e || !spend(budget, lua_rawlen(L, -2), errmsg)) {
				json_decref(e);
				lua_pop(L, 2);
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, lua_tostring(L, -2), e);
			lua_pop(L, 1);
		}
		return out;
	}
	default:
		break;
	}
	pv_seterr(errmsg, "a %s value cannot be converted to JSON", luaL_typename(L, idx));
	return NULL;
}

/* Bytes of JSON a conversion may produce in X: what its memory limit
 * leaves (no limit: no bound). */
static size_t json_budget(struct pv_lua *x)
{
	if (!x->max_bytes)
		return (size_t)-1;
	return x->used < x->max_bytes ? x->max_bytes - x->used : 0;
}

json_t *pv_lua_to_json(lua_State *L, int idx, char **errmsg)
{
	/* all the stack the walk needs, reserved before anything is built:
	 * nothing below raises, so no half-built value leaks (and a caller
	 * outside a protected call is safe) */
	if (!lua_checkstack(L, 3 * MAX_DEPTH + 10)) {
		pv_seterr(errmsg, "out of memory converting to JSON");
		return NULL;
	}
	size_t budget = json_budget(pv_lua_of(L));
	return to_json(L, idx, 0, &budget, errmsg);
}

int pv_lua_json_fits(lua_State *L, const char *text, size_t len, char **errmsg)
{
	/* nodes start at '[', '{', ',' and ':' outside strings (and one more) */
	size_t nodes = 1;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{' || c == ',' || c == ':') {
			nodes++;
		}
	}
	size_t budget = json_budget(pv_lua_of(L));
	if (nodes > budget / NODE_COST || len > budget - nodes * NODE_COST)
		return pv_seterr(errmsg, "JSON text of %zu bytes would take more than the memory "
		                 "limit leaves (lua.max_memory_mb)", len);
	return PAVED_OK;
}

/* Protected part of pv_lua_push_json_owned. */
static int push_protected(lua_State *L)
{
	pv_lua_push_json(L, lua_touserdata(L, 1));
	return 1;
}

void pv_lua_push_json_owned(lua_State *L, json_t *v)
{
	lua_pushcfunction(L, push_protected);
	lua_pushlightuserdata(L, v);
	int st = lua_pcall(L, 1, 1, 0);
	json_decref(v);
	if (st != LUA_OK)
		lua_error(L);
}
