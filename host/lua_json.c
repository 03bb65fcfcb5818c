/*
 * lua_json.c -- Lua values <-> jansson values.
 *
 * Objects become tables with string keys; arrays become sequences.  A Lua
 * table is an array when its keys are exactly 1..n (n > 0); an empty table
 * is an empty object unless it carries the metatable paved.json.array.
 * JSON null is the light userdata paved.json.null.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lua_rt.h"

#define MAX_DEPTH 200

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

static json_t *to_json(lua_State *L, int idx, int depth, char **errmsg)
{
	idx = lua_absindex(L, idx);
	if (depth > MAX_DEPTH) {
		pv_seterr(errmsg, "value nested too deep (or cyclic) for JSON");
		return NULL;
	}
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
		json_t *j = json_stringn(s, n);
		if (!j)
			pv_seterr(errmsg, "string is not valid UTF-8, cannot encode as JSON");
		return j;
	}
	case LUA_TTABLE: {
		luaL_checkstack(L, 4, "JSON too deep");
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
				json_t *e = to_json(L, -1, depth + 1, errmsg);
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
			json_t *e = to_json(L, -1, depth + 1, errmsg);
			if (!e) {
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

json_t *pv_lua_to_json(lua_State *L, int idx, char **errmsg)
{
	return to_json(L, idx, 0, errmsg);
}
