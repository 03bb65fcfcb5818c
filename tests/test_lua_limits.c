/* test_lua_limits.c - Check suite for the limits of the Lua sandbox that
 * the reliability campaign of issue 12 (item 6) got around: finalizers,
 * collectgarbage, C functions the instruction count cannot see, and the
 * wall clock (lua.max_seconds).
 *
 * Each regression test did hang, run for minutes or allocate without
 * bound before; the tcases have timeouts, so one whose limit stops holding
 * fails here instead of hanging the suite.  The recipe tests run the test
 * recipes tests/recipes/test-gc and test-limits through the recipe.run
 * hook and check each step failed with its limit's message, was undone,
 * and took seconds at most.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luatest.h"
#include "proc.h"
#include "recipe.h"

/* A state with a half-second wall clock and an instruction limit too high to
 * matter: what stops a script is the clock. */
static const char *const clock_limits[] = {
	"lua.max_seconds=0.5", "lua.max_instructions=1000000000000",
};

/* What trips a count, not the clock, gets a clock a loaded machine cannot
 * beat: 10 million steps may take more than 0.5 s (0.3 s under ASan on an
 * idle machine). */
static const char *const count_limits[] = {
	"lua.max_seconds=30", "lua.max_instructions=1000000000000",
};

static void clock_setup(void)
{
	lt_setup();
	lt_use_limits(clock_limits, 2);
}

/* Run CODE, which must fail within MAX_S seconds with a message
 * containing WANT. */
static void fails_with(const char *code, const char *want, double max_s)
{
	double t0 = lt_now();
	char *err = lt_run_err(code);
	double took = lt_now() - t0;
	ck_assert_msg(strstr(err, want) != NULL, "%s\nfailed with: %s\nwanted: %s", code, err, want);
	ck_assert_msg(took < max_s, "%s\ntook %.2f s (at most %.1f)", code, took, max_s);
	free(err);
}

/* ---- finalizers and collectgarbage --------------------------------------- */

START_TEST(gc_metatable_refused)
{
	static const char refused[] = "setmetatable: a metatable with __gc is not allowed in the "
	                              "sandbox (finalizers run outside the time and instruction "
	                              "limits)";
	fails_with("setmetatable({}, { __gc = function() while true do end end })", refused, 5);
	fails_with("setmetatable({}, { __gc = true })", refused, 5);
	/* the refusal is an error: the object got no metatable */
	ck_assert_lua_str("local t = {}\n"
	                  "pcall(setmetatable, t, { __gc = print })\n"
	                  "return tostring(getmetatable(t))", "nil");
	/* setmetatable otherwise behaves as the manual says */
	ck_assert_lua_str("local mt = { __index = function(_, k) return k .. '!' end }\n"
	                  "local t = setmetatable({}, mt)\n"
	                  "assert(getmetatable(t) == mt and setmetatable(t, nil) == t)\n"
	                  "local p = setmetatable({}, { __metatable = 'locked' })\n"
	                  "local ok, e = pcall(setmetatable, p, {})\n"
	                  "return setmetatable({}, mt).hi .. ' ' .. tostring(ok) .. ' ' .. e",
	                  "hi! false cannot change a protected metatable");
	char *err = lt_run_err("setmetatable({}, 5)");
	ck_assert_msg(strstr(err, "bad argument #2 to 'setmetatable' (nil or table expected, got "
	                     "number)"), "%s", err);
	free(err);
	/* a metatable C code sets (json arrays) cannot be reached to add one */
	ck_assert_lua_str("return tostring(getmetatable(paved.json.array()))", "paved.json.array");
}
END_TEST

START_TEST(gc_added_late_is_inert)
{
	/* Lua marks an object for finalization when setmetatable runs; a __gc
	 * added afterwards never runs, here or at close */
	ck_assert_lua_str("local mt = {}\n"
	                  "KEEP = setmetatable({}, mt)\n"
	                  "mt.__gc = function() while true do end end\n"
	                  "setmetatable({}, {})\n"
	                  "local t = setmetatable({}, mt == nil and {} or { __index = mt })\n"
	                  "KEEP2 = t\n"
	                  "collectgarbage() collectgarbage()\n"
	                  "return 'done'", "done");
	double t0 = lt_now();
	pv_lua_close(lt_x);
	lt_x = NULL;
	ck_assert_msg(lt_now() - t0 < 5, "closing took %.1f s", lt_now() - t0);
}
END_TEST

START_TEST(gc_collectgarbage_limited)
{
	ck_assert_lua_str("return math.type(collectgarbage('count')) .. ' ' .."
	                  " tostring(collectgarbage()) .. ' ' .. tostring(collectgarbage('collect'))"
	                  " .. ' ' .. type(collectgarbage('step')) .. ' ' .."
	                  " tostring(collectgarbage('isrunning'))", "float 0 0 boolean true");
	static const char *const refused[] = { "stop", "restart", "incremental", "generational",
	                                       "setpause", "setstepmul" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char code[64], want[160];
		snprintf(code, sizeof code, "collectgarbage('%s')", refused[i]);
		snprintf(want, sizeof want, "collectgarbage('%s') is not available in the sandbox "
		         "(allowed: collect, step, count, isrunning)", refused[i]);
		fails_with(code, want, 5);
	}
	ck_assert_lua_str("return tostring(collectgarbage('isrunning'))", "true");
}
END_TEST

/* The state's own finalizers (set by C code, which the sandbox allows)
 * run at close with hooks off, but under the memory cap: one that
 * allocates without end stops there.  Before, pv_lua_close lifted the cap
 * first and such a finalizer took 806 MB. */
static int g_hungry_status = -1;
static char g_hungry_error[128];

static int hungry_finalizer(lua_State *L)
{
	g_hungry_status = luaL_dostring(L, "local t = {}\n"
	                                "while true do t[#t + 1] = string.rep('x', 4096) .. #t end");
	snprintf(g_hungry_error, sizeof g_hungry_error, "%s", lua_tostring(L, -1));
	return 0;
}

START_TEST(close_keeps_memory_cap)
{
	static const char *const sets[] = { "lua.max_memory_mb=16" };
	lt_use_limits(sets, 1);
	lua_State *L = lt_x->L;
	lua_newuserdatauv(L, 1, 0);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, hungry_finalizer);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_setglobal(L, "HUNGRY");
	double t0 = lt_now();
	pv_lua_close(lt_x);
	lt_x = NULL;
	ck_assert_int_eq(g_hungry_status, 1);   /* luaL_dostring: true on error */
	ck_assert_str_eq(g_hungry_error, "not enough memory");
	ck_assert_msg(lt_now() - t0 < 10, "closing took %.1f s", lt_now() - t0);
}
END_TEST

/* ---- C functions the instruction count cannot see ---------------------- */

START_TEST(c_string_rep_huge)
{
	fails_with("return string.rep('x', 1 << 30)",
	           "memory limit of 64 MiB exceeded (lua.max_memory_mb)", 5);
	fails_with("return string.rep('x', 1 << 40)", "resulting string too large", 5);
	fails_with("return string.rep('abc', 1 << 24, ', ')",
	           "memory limit of 64 MiB exceeded", 5);
	ck_assert_lua_str("return string.rep('ab', 3, '-')", "ab-ab-ab");
}
END_TEST

START_TEST(c_table_functions)
{
	fails_with("table.move({}, 1, math.maxinteger // 2, 2)",
	           "table.move: 4611686018427387903 elements are more than the memory limit "
	           "allows (lua.max_memory_mb)", 5);
	fails_with("local t = setmetatable({}, { __len = function() return 1 << 62 end })\n"
	           "table.insert(t, 1, 'x')", "table.insert: 4611686018427387904 elements", 5);
	fails_with("local t = setmetatable({}, { __len = function() return 1 << 62 end })\n"
	           "table.remove(t, 1)", "table.remove: 4611686018427387903 elements", 5);
	fails_with("local t = setmetatable({}, { __index = function() return '' end,\n"
	           "  __len = function() return 1 << 62 end })\n"
	           "return table.concat(t)", "table.concat: 4611686018427387904 elements", 5);
	fails_with("return table.concat({}, '', math.mininteger, math.maxinteger)",
	           "table.concat: 9223372036854775807 elements", 5);
	/* and they still do their job */
	ck_assert_lua_str("local t = { 'a', 'c' }\n"
	                  "table.insert(t, 2, 'b') table.insert(t, 'd')\n"
	                  "local r = table.remove(t, 1)\n"
	                  "local m = table.move(t, 1, 3, 2, { 'z' })\n"
	                  "table.move(m, 2, 4, 1)\n"
	                  "return r .. table.concat(t, ',') .. '|' .. table.concat(m, '', 1, 3) ..\n"
	                  "  '|' .. table.concat({ 1, 2.5, 'x' }, '-', 2)",
	                  "ab,c,d|bcd|2.5-x");
	char *err = lt_run_err("table.insert({}, 5, 'x')");
	ck_assert_msg(strstr(err, "bad argument #2 to 'insert' (position out of bounds)"), "%s",
	              err);
	free(err);
	err = lt_run_err("table.insert({}, 1, 2, 3)");
	ck_assert_msg(strstr(err, "wrong number of arguments to 'insert'"), "%s", err);
	free(err);
	err = lt_run_err("table.concat({ {} })");
	ck_assert_msg(strstr(err, "invalid value (at index 1) in table for 'concat'"), "%s", err);
	free(err);
	err = lt_run_err("table.move(1, 1, 2, 3)");
	ck_assert_msg(strstr(err, "bad argument #1 to 'move' (table expected, got number)"), "%s",
	              err);
	free(err);
}
END_TEST

START_TEST(c_json_huge)
{
	/* a table shared 2^40 times over: refused before jansson fills memory */
	fails_with("local t = {} for _ = 1, 40 do t = { t, t } end\n"
	           "return paved.json.encode(t)", "value too large to convert to JSON", 10);
	fails_with("return paved.json.encode({ string.rep('x', 40 << 20), string.rep('y', 40 << 20) })",
	           "memory limit", 10);
	/* JSON text that would expand past the limit is refused unparsed */
	static const char *const sets[] = { "lua.max_memory_mb=16" };
	lt_use_limits(sets, 1);
	fails_with("return paved.json.decode('[' .. string.rep('0,', 2 << 20) .. '0]')",
	           "paved.json.decode: JSON text of 4194307 bytes would take more than the memory "
	           "limit leaves (lua.max_memory_mb)", 10);
	ck_assert_lua_str("return paved.json.encode(paved.json.decode('[1,{\"a\":[]}]'))",
	                  "[1,{\"a\":[]}]");
}
END_TEST

START_TEST(c_render_huge)
{
	/* 100^8 section bodies: the renderer's step bound stops it */
	lt_use_limits(count_limits, 2);
	fails_with("local l = {} for i = 1, 100 do l[i] = i end\n"
	           "return paved.render(string.rep('{{#l}}', 8) .. string.rep('{{/l}}', 8), {l = l})",
	           "rendering stopped: more than the allowed steps", 5);
	/* output past the memory limit */
	static const char *const sets[] = { "lua.max_memory_mb=8" };
	lt_use_limits(sets, 1);
	fails_with("local l = {} for i = 1, 1000 do l[i] = i end\n"
	           "return paved.render('{{#l}}{{#l}}{{#l}}xxxxxxxxxx{{/l}}{{/l}}{{/l}}', {l = l})",
	           "output larger than", 10);
}
END_TEST

START_TEST(clock_stops_a_loop)
{
	fails_with("while true do end", "test:1: time limit of 0.5 s exceeded (lua.max_seconds)", 3);
	/* pcall cannot swallow it, nor a coroutine */
	fails_with("while true do pcall(function() while true do end end) end",
	           "time limit of 0.5 s exceeded", 3);
	fails_with("local co = coroutine.wrap(function() while true do end end)\n"
	           "pcall(co) return 'swallowed'", "time limit of 0.5 s exceeded", 3);
	/* the next call starts with a fresh clock */
	ck_assert_lua_str("return 'afresh'", "afresh");
}
END_TEST

START_TEST(clock_stops_busy_c_calls)
{
	/* each call is bounded, but called without end only the clock (read on
	 * every few function calls) stops them */
	fails_with("local s = string.rep('\\u{20AC}', 1 << 20)\n"
	           "while true do utf8.len(s) end", "time limit of 0.5 s exceeded", 3);
	fails_with("local s = string.rep('x', 1 << 22)\n"
	           "while true do local _ = s:upper() end", "time limit of 0.5 s exceeded", 3);
	fails_with("local s = string.rep('a', 1 << 16)\n"
	           "while true do s:gsub('a', 'b') end", "time limit of 0.5 s exceeded", 3);
	fails_with("while true do table.concat({ 'a', 'b' }) end", "time limit of 0.5 s exceeded", 3);
}
END_TEST

START_TEST(clock_cuts_program_timeout)
{
	lt_confine(NULL, "sleep", NULL);
	double t0 = lt_now();
	char *err = lt_run_err("return paved.run{ 'sleep', '30' }");
	double took = lt_now() - t0;
	ck_assert_msg(strstr(err, "time limit of 0.5 s exceeded (lua.max_seconds)"), "%s", err);
	ck_assert_msg(took < 3, "paved.run of sleep 30 took %.1f s", took);
	free(err);
	/* a timeout shorter than what is left is the program's own */
	ck_assert_lua_str("return tostring(paved.run{ 'sleep', '5', timeout = 0.1 }.timed_out)",
	                  "true");
}
END_TEST

START_TEST(program_output_bounded)
{
	static const char *const sets[] = { "lua.max_memory_mb=8" };
	lt_use_limits(sets, 1);
	lt_confine(NULL, "yes", NULL);
	fails_with("return paved.run{ 'yes' }", "paved.run: yes wrote more output than the memory "
	           "limit leaves", 10);
}
END_TEST

START_TEST(defaults)
{
	struct pv_lua_limits l = pv_lua_limits_from_config(lt_host);
	ck_assert_uint_eq(l.max_bytes, 64u << 20);
	ck_assert_int_eq(l.max_instructions, 50000000LL);
	ck_assert(l.max_seconds == 60.0);
	ck_assert_uint_eq(l.max_pattern_steps, 10000000ULL);
	static const char *const sets[] = { "lua.max_seconds=2.5", "lua.max_pattern_steps=99",
	                                    "lua.max_memory_mb=0", "lua.max_instructions=-1" };
	lt_use_limits(sets, 4);
	l = pv_lua_limits_from_config(lt_host);
	ck_assert(l.max_seconds == 2.5);
	ck_assert_uint_eq(l.max_pattern_steps, 99);
	ck_assert_uint_eq(l.max_bytes, 64u << 20);        /* invalid: the default */
	ck_assert_int_eq(l.max_instructions, 50000000LL);
}
END_TEST

/* ---- the limits per call: each plugin hook call and each step ---------- */

START_TEST(instructions_per_call)
{
	static const char *const sets[] = { "lua.max_instructions=2000000" };
	lt_use_limits(sets, 1);
	/* three calls of ~1.2 million instructions each: fine one by one
	 * (before, a plugin's count was never reset between hook calls) */
	for (int i = 0; i < 3; i++)
		ck_assert_lua_str("local n = 0 for i = 1, 400000 do n = n + i end return 'ok'", "ok");
}
END_TEST

/* ---- the regression recipes ---------------------------------------------- */

static void recipes_setup(void)
{
	lt_setup();
	setenv("PAVED_RECIPE_PATH", PV_TEST_SRCDIR "/tests/recipes", 1);
	char work[PATH_MAX + 8];
	snprintf(work, sizeof work, "%s/work", lt_tmp);
	ck_assert_int_eq(mkdir(work, 0755), 0);
	lt_use_limits(clock_limits, 2);
}

static const struct { const char *how, *want; } limit_cases[] = {
	{ "pattern", "pattern too complex: more than 10000000 matching steps (lua.max_pattern_steps)" },
	{ "move", "table.move: 4611686018427387903 elements are more than the memory limit allows" },
	{ "insert", "table.insert: 4611686018427387903 elements are more than the memory limit" },
	{ "concat", "table.concat: 4611686018427387903 elements are more than the memory limit" },
	{ "utf8", "time limit of 0.5 s exceeded (lua.max_seconds)" },
	{ "rep", "resulting string too large" },
	{ "json", "value too large to convert to JSON" },
	{ "render", "rendering stopped: more than the allowed steps" },
	{ "loop", "time limit of 0.5 s exceeded (lua.max_seconds)" },
};

START_TEST(recipe_limits)
{
	char *err = NULL;
	double took;
	if (!strstr(limit_cases[_i].want, "time limit"))
		lt_use_limits(count_limits, 2);
	int rc = lt_run_recipe("test-limits", limit_cases[_i].how, &err, &took);
	ck_assert_int_eq(rc, PAVED_ERR);
	ck_assert_msg(strstr(err, "step 'Kept C busy' failed") && strstr(err, limit_cases[_i].want),
	              "--how %s: %s", limit_cases[_i].how, err);
	ck_assert_msg(took < 5, "--how %s took %.1f s", limit_cases[_i].how, took);
	ck_assert_msg(!lt_target_exists(), "--how %s: the target was not undone", limit_cases[_i].how);
	free(err);
}
END_TEST

static const struct { const char *how, *want; } gc_cases[] = {
	{ "at-close", "setmetatable: a metatable with __gc is not allowed in the sandbox" },
	{ "collect", "setmetatable: a metatable with __gc is not allowed in the sandbox" },
	{ "stop", "collectgarbage('stop') is not available in the sandbox" },
};

START_TEST(recipe_finalizers)
{
	char *err = NULL;
	double took;
	int rc = lt_run_recipe("test-gc", gc_cases[_i].how, &err, &took);
	ck_assert_int_eq(rc, PAVED_ERR);
	ck_assert_msg(strstr(err, "step 'Left a finalizer behind' failed") &&
	              strstr(err, gc_cases[_i].want), "--how %s: %s", gc_cases[_i].how, err);
	ck_assert_msg(took < 5, "--how %s took %.1f s", gc_cases[_i].how, took);
	ck_assert(!lt_target_exists());
	free(err);
}
END_TEST

START_TEST(recipe_finalizer_added_late)
{
	char *err = NULL;
	double took;
	ck_assert_msg(lt_run_recipe("test-gc", "late", &err, &took) == PAVED_OK, "%s", err);
	ck_assert_msg(took < 5, "took %.1f s (the recipe's state closes at the end)", took);
	ck_assert_str_eq(err, "inert");
	ck_assert(lt_target_exists());
	free(err);
}
END_TEST

static Suite *limits_suite(void)
{
	Suite *s = suite_create("lua_limits");
	TCase *tc = tcase_create("finalizers");
	tcase_add_checked_fixture(tc, lt_setup, lt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, gc_metatable_refused);
	tcase_add_test(tc, gc_added_late_is_inert);
	tcase_add_test(tc, gc_collectgarbage_limited);
	tcase_add_test(tc, close_keeps_memory_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("c_functions");
	tcase_add_checked_fixture(tc, clock_setup, lt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, c_string_rep_huge);
	tcase_add_test(tc, c_table_functions);
	tcase_add_test(tc, c_json_huge);
	tcase_add_test(tc, c_render_huge);
	tcase_add_test(tc, clock_stops_a_loop);
	tcase_add_test(tc, clock_stops_busy_c_calls);
	tcase_add_test(tc, clock_cuts_program_timeout);
	tcase_add_test(tc, program_output_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("per_call");
	tcase_add_checked_fixture(tc, lt_setup, lt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, instructions_per_call);
	suite_add_tcase(s, tc);

	tc = tcase_create("recipes");
	tcase_add_checked_fixture(tc, recipes_setup, lt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, recipe_limits, 0, (int)(sizeof limit_cases / sizeof limit_cases[0]));
	tcase_add_loop_test(tc, recipe_finalizers, 0, (int)(sizeof gc_cases / sizeof gc_cases[0]));
	tcase_add_test(tc, recipe_finalizer_added_late);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
