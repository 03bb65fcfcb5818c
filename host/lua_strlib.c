/*
 * lua_strlib.c -- string.find, string.match, string.gmatch and string.gsub
 * of the sandbox, on the budgeted matcher of lua_pattern.c.
 *
 * They take the arguments and give the results the reference manual
 * describes for Lua 5.4 (tests/test_lua_pattern.c compares them with the
 * stock functions on many patterns and subjects), with one difference: a
 * call whose matching takes more than lua.max_pattern_steps steps fails
 * with "pattern too complex: more than N matching steps
 * (lua.max_pattern_steps)", and one that runs into the step's time limit
 * fails with the time limit's error.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "lua_pattern.h"
#include <lualib.h>

#include "lua_rt.h"

/* A 1-based start position from the argument POS for a subject of LEN
 * bytes: negative counts from the end, 0 and anything before the start
 * mean 1.  May be past the end (callers check). */
static size_t start_position(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 1;
	return len - (size_t)(-pos) + 1;
}

static bool clock_says_stop(void *data)
{
	return pv_lua_time_left(data) < 0;
}

/* Set M up for subject S and pattern P with the state's budget. */
static void begin(lua_State *L, struct pv_pat *m, const char *s, size_t ls, const char *p,
                  size_t lp)
{
	struct pv_lua *x = pv_lua_of(L);
	pv_pat_init(m, s, ls, p, lp, x->max_pattern_steps);
	m->too_slow = clock_says_stop;
	m->clock_data = x;
}

/* Raise the error a match stopped with. */
static int match_error(lua_State *L, struct pv_pat *m)
{
	if (m->out_of_time)
		return pv_lua_time_up(L);
	return luaL_error(L, "%s", m->msg);
}

/* Push capture I of the match [S, E): its text, its position for a
 * position capture, or the whole match for capture 0 of a pattern
 * without captures. */
static void push_capture(lua_State *L, struct pv_pat *m, int i, const char *s, const char *e)
{
	if (i >= m->level) {
		if (i != 0)
			luaL_error(L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(L, s, (size_t)(e - s));
		return;
	}
	ptrdiff_t len = m->cap[i].len;
	if (len == PV_PAT_OPEN)
		luaL_error(L, "unfinished capture");
	else if (len == PV_PAT_POSITION)
		lua_pushinteger(L, (lua_Integer)(m->cap[i].init - m->src_init) + 1);
	else
		lua_pushlstring(L, m->cap[i].init, (size_t)len);
}

/* Push every capture of the match [S, E) (the whole match when the
 * pattern has none and S is given); returns how many. */
static int push_captures(lua_State *L, struct pv_pat *m, const char *s, const char *e)
{
	int n = m->level == 0 && s ? 1 : m->level;
	luaL_checkstack(L, n, "too many captures");
	for (int i = 0; i < n; i++)
		push_capture(L, m, i, s, e);
	return n;
}

/* string.find (FIND) and string.match. */
static int find_or_match(lua_State *L, bool find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = start_position(luaL_optinteger(L, 3, 1), ls);
	if (init > ls + 1) {
		luaL_pushfail(L);
		return 1;
	}
	if (find && (lua_toboolean(L, 4) || !pv_pat_has_specials(p, lp))) {
		const char *hit = memmem(s + init - 1, ls - init + 1, p, lp);
		if (!hit) {
			luaL_pushfail(L);
			return 1;
		}
		lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
		lua_pushinteger(L, (lua_Integer)(hit - s + lp));
		return 2;
	}
	struct pv_pat m;
	begin(L, &m, s, ls, p, lp);
	bool anchored = lp > 0 && p[0] == '^';
	const char *from = s + init - 1;
	for (;;) {
		const char *e = pv_pat_match(&m, from, p + anchored);
		if (m.err)
			return match_error(L, &m);
		if (e && find) {
			lua_pushinteger(L, (lua_Integer)(from - s) + 1);
			lua_pushinteger(L, (lua_Integer)(e - s));
			return push_captures(L, &m, NULL, NULL) + 2;
		}
		if (e)
			return push_captures(L, &m, from, e);
		if (anchored || from == m.src_end)
			break;
		from++;
	}
	luaL_pushfail(L);
	return 1;
}

static int str_find(lua_State *L)
{
	return find_or_match(L, true);
}

static int str_match(lua_State *L)
{
	return find_or_match(L, false);
}

/* Where a gmatch iteration goes on: offsets into the subject. */
struct gmatch_state {
	size_t next;       /* where the next search starts */
	size_t last_end;   /* end of the previous match, or SIZE_MAX */
};

/* The iterator of string.gmatch: upvalues subject, pattern, state.  A
 * match may not be empty where the previous one ended; '^' is an
 * ordinary character here, as the manual says. */
static int gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
	struct gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
	struct pv_pat m;
	begin(L, &m, s, ls, p, lp);
	for (size_t at = g->next; at <= ls; at++) {
		const char *e = pv_pat_match(&m, s + at, p);
		if (m.err)
			return match_error(L, &m);
		if (e && (size_t)(e - s) != g->last_end) {
			g->next = g->last_end = (size_t)(e - s);
			return push_captures(L, &m, s + at, e);
		}
	}
	g->next = ls + 1;
	return 0;
}

static int str_gmatch(lua_State *L)
{
	size_t ls;
	luaL_checklstring(L, 1, &ls);
	luaL_checkstring(L, 2);
	size_t init = start_position(luaL_optinteger(L, 3, 1), ls);
	lua_settop(L, 2);
	struct gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
	g->next = init > ls + 1 ? ls + 1 : init - 1;
	g->last_end = (size_t)-1;
	lua_pushcclosure(L, gmatch_next, 3);
	return 1;
}

/* Append the replacement string (argument 3) for the match [S, E): %0 is
 * the match, %1-%9 its captures, %% a percent sign. */
static void add_template(lua_State *L, luaL_Buffer *b, struct pv_pat *m, const char *s,
                         const char *e)
{
	size_t len;
	const char *r = lua_tolstring(L, 3, &len), *end = r + len;
	while (r < end) {
		const char *pct = memchr(r, '%', (size_t)(end - r));
		if (!pct) {
			luaL_addlstring(b, r, (size_t)(end - r));
			return;
		}
		luaL_addlstring(b, r, (size_t)(pct - r));
		int c = pct + 1 < end ? (unsigned char)pct[1] : '\0';
		if (c == '%') {
			luaL_addchar(b, '%');
		} else if (c == '0') {
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (isdigit(c)) {
			push_capture(L, m, c - '1', s, e);
			luaL_tolstring(L, -1, NULL);   /* a position capture is a number */
			lua_remove(L, -2);
			luaL_addvalue(b);
		} else {
			luaL_error(L, "invalid use of '%%' in replacement string");
		}
		r = pct + 2;
	}
}

/* Append the replacement of the match [S, E) given by argument 3 (type
 * KIND); false when the match is kept as it was (a function or table
 * gave false or nil). */
static bool add_replacement(lua_State *L, luaL_Buffer *b, struct pv_pat *m, const char *s,
                            const char *e, int kind)
{
	if (kind == LUA_TSTRING || kind == LUA_TNUMBER) {
		add_template(L, b, m, s, e);
		return true;
	}
	if (kind == LUA_TFUNCTION) {
		lua_pushvalue(L, 3);
		int n = push_captures(L, m, s, e);
		lua_call(L, n, 1);
	} else {
		push_capture(L, m, 0, s, e);
		lua_gettable(L, 3);
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
		return false;
	}
	if (!lua_isstring(L, -1))
		luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
	luaL_addvalue(b);
	return true;
}

/* string.gsub(s, pattern, repl [, n]) -> string, count */
static int str_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	int kind = lua_type(L, 3);
	lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
	luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING ||
	                 kind == LUA_TFUNCTION || kind == LUA_TTABLE, 3, "string/function/table");
	struct pv_pat m;
	begin(L, &m, s, ls, p, lp);
	bool anchored = lp > 0 && p[0] == '^', changed = false;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	const char *from = s, *last_end = NULL;
	lua_Integer n = 0;
	while (n < max) {
		const char *e = pv_pat_match(&m, from, p + anchored);
		if (m.err)
			return match_error(L, &m);
		if (e && e != last_end) {
			n++;
			changed = add_replacement(L, &b, &m, from, e, kind) || changed;
			from = last_end = e;
		} else if (from < m.src_end) {
			luaL_addchar(&b, *from++);
		} else {
			break;
		}
		if (anchored)
			break;
	}
	if (changed) {
		luaL_addlstring(&b, from, (size_t)(m.src_end - from));
		luaL_pushresult(&b);
	} else {
		lua_pushvalue(L, 1);
	}
	lua_pushinteger(L, n);
	return 2;
}

void pv_lua_open_strlib(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "find", str_find }, { "match", str_match }, { "gmatch", str_gmatch },
		{ "gsub", str_gsub }, { NULL, NULL }
	};
	lua_getglobal(L, LUA_STRLIBNAME);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
