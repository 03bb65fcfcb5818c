/*
 * lua_tablib.c -- table.insert, table.remove, table.move and table.concat
 * of the sandbox.
 *
 * The stock functions loop in C over as many elements as their arguments
 * or a __len metamethod say: table.move(t, 1, 2^62, 2) or table.insert on
 * a table whose __len answers 2^62 runs for centuries without calling any
 * Lua code a hook could stop.  These versions behave as the reference
 * manual describes, and refuse an element count that no real table could
 * have under the memory limit (one 16-byte slot per element).
 */
#include "config.h"

#include <lualib.h>

#include "lua_rt.h"

enum { T_READ = 1, T_WRITE = 2, T_LEN = 4 };

/* Is metamethod EVENT of the metatable at the top present? */
static bool has_metamethod(lua_State *L, const char *event)
{
	lua_getfield(L, -1, event);
	bool yes = !lua_isnil(L, -1);
	lua_pop(L, 1);
	return yes;
}

/* Argument ARG must be a table, or have the metamethods for NEEDS. */
static void check_table(lua_State *L, int arg, int needs)
{
	if (lua_type(L, arg) == LUA_TTABLE)
		return;
	if (lua_getmetatable(L, arg)) {
		bool ok = (!(needs & T_READ) || has_metamethod(L, "__index")) &&
		          (!(needs & T_WRITE) || has_metamethod(L, "__newindex")) &&
		          (!(needs & T_LEN) || has_metamethod(L, "__len"));
		lua_pop(L, 1);
		if (ok)
			return;
	}
	luaL_checktype(L, arg, LUA_TTABLE);   /* raises the usual error */
}

/* Refuse to touch the elements FIRST..LAST (FIRST <= LAST) when no real
 * table could have that many. */
static void check_range(lua_State *L, const char *fn, lua_Integer first, lua_Integer last)
{
	lua_Integer max = pv_lua_max_elements(pv_lua_of(L));
	lua_Unsigned span = (lua_Unsigned)last - (lua_Unsigned)first;   /* count - 1 */
	if (max && span >= (lua_Unsigned)max)
		luaL_error(L, "table.%s: %I elements are more than the memory limit allows "
		           "(lua.max_memory_mb)", fn,
		           (lua_Integer)(span >= LUA_MAXINTEGER ? LUA_MAXINTEGER : span + 1));
}

/* table.insert(t, [pos,] value) */
static int tab_insert(lua_State *L)
{
	check_table(L, 1, T_READ | T_WRITE | T_LEN);
	/* wraps around like the stock function's luaL_intop */
	lua_Integer first_free = (lua_Integer)((lua_Unsigned)luaL_len(L, 1) + 1u), pos;
	if (lua_gettop(L) == 2) {
		pos = first_free;
	} else if (lua_gettop(L) == 3) {
		pos = luaL_checkinteger(L, 2);
		luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)first_free, 2,
		              "position out of bounds");
		if (first_free > pos)
			check_range(L, "insert", pos + 1, first_free);
		for (lua_Integer i = first_free; i > pos; i--) {
			lua_geti(L, 1, i - 1);
			lua_seti(L, 1, i);
		}
	} else {
		return luaL_error(L, "wrong number of arguments to 'insert'");
	}
	lua_seti(L, 1, pos);   /* the value is on top */
	return 0;
}

/* table.remove(t [, pos]) -> the removed element */
static int tab_remove(lua_State *L)
{
	check_table(L, 1, T_READ | T_WRITE | T_LEN);
	lua_Integer size = luaL_len(L, 1);
	lua_Integer pos = luaL_optinteger(L, 2, size);
	if (pos != size)
		luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2,
		              "position out of bounds");
	if (pos < size)
		check_range(L, "remove", pos + 1, size);
	lua_geti(L, 1, pos);
	for (; pos < size; pos++) {
		lua_geti(L, 1, pos + 1);
		lua_seti(L, 1, pos);
	}
	lua_pushnil(L);
	lua_seti(L, 1, pos);
	return 1;
}

/* table.move(a1, f, e, t [, a2]) -> a2 */
static int tab_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
	lua_Integer t = luaL_checkinteger(L, 4);
	int dst = lua_isnoneornil(L, 5) ? 1 : 5;
	check_table(L, 1, T_READ);
	check_table(L, dst, T_WRITE);
	if (e >= f) {
		luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
		lua_Integer n = e - f + 1;
		luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
		check_range(L, "move", f, e);
		bool forward = t > e || t <= f || (dst != 1 && !lua_compare(L, 1, dst, LUA_OPEQ));
		for (lua_Integer i = 0; i < n; i++) {
			lua_Integer k = forward ? i : n - 1 - i;
			lua_geti(L, 1, f + k);
			lua_seti(L, dst, t + k);
		}
	}
	lua_pushvalue(L, dst);
	return 1;
}

/* Append element I of the table (argument 1) to B; it must be a string
 * or a number. */
static void add_element(lua_State *L, luaL_Buffer *b, lua_Integer i)
{
	lua_geti(L, 1, i);
	if (!lua_isstring(L, -1))
		luaL_error(L, "invalid value (at index %I) in table for 'concat'", i);
	luaL_addvalue(b);
}

/* table.concat(list [, sep [, i [, j]]]) */
static int tab_concat(lua_State *L)
{
	check_table(L, 1, T_READ | T_LEN);
	lua_Integer last = luaL_len(L, 1);
	size_t lsep;
	const char *sep = luaL_optlstring(L, 2, "", &lsep);
	lua_Integer i = luaL_optinteger(L, 3, 1);
	last = luaL_optinteger(L, 4, last);
	if (i <= last)
		check_range(L, "concat", i, last);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (; i < last; i++) {
		add_element(L, &b, i);
		luaL_addlstring(&b, sep, lsep);
	}
	if (i == last)
		add_element(L, &b, i);
	luaL_pushresult(&b);
	return 1;
}

void pv_lua_open_tablib(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "insert", tab_insert }, { "remove", tab_remove }, { "move", tab_move },
		{ "concat", tab_concat }, { NULL, NULL }
	};
	lua_getglobal(L, LUA_TABLIBNAME);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
