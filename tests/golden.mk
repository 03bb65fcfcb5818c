# tests/golden.mk: tests of the Lua runtime, the template tree renderer and
# the golden-path runner (issue 3).  tests/recipes/ holds test-only recipes
# that break in one way each (PAVED_RECIPE_PATH=$top_srcdir/tests/recipes).
check_PROGRAMS += tests/test_lua tests/test_skeleton tests/test_recipe
LUATEST = tests/lib/luatest.c tests/lib/luatest.h
LUATEST_CPPFLAGS = $(TEST_CPPFLAGS) $(LUA_CFLAGS) -I$(top_srcdir)/tests/lib
tests_test_lua_SOURCES = tests/test_lua.c $(LUATEST)
tests_test_lua_CPPFLAGS = $(LUATEST_CPPFLAGS)
tests_test_lua_LDADD = $(TEST_LDADD) $(LUA_LIBS)
# issue 12: the sandbox's pattern functions against the stock ones and their
# budget; the limits that hold in C functions and finalizers; confinement
check_PROGRAMS += tests/test_lua_pattern tests/test_lua_limits tests/test_lua_confine
tests_test_lua_pattern_SOURCES = tests/test_lua_pattern.c
tests_test_lua_pattern_CPPFLAGS = $(TEST_CPPFLAGS) $(LUA_CFLAGS)
tests_test_lua_pattern_LDADD = $(TEST_LDADD) $(LUA_LIBS)
tests_test_lua_limits_SOURCES = tests/test_lua_limits.c $(LUATEST)
tests_test_lua_limits_CPPFLAGS = $(LUATEST_CPPFLAGS)
tests_test_lua_limits_LDADD = $(TEST_LDADD) $(LUA_LIBS)
tests_test_lua_confine_SOURCES = tests/test_lua_confine.c $(LUATEST)
tests_test_lua_confine_CPPFLAGS = $(LUATEST_CPPFLAGS)
tests_test_lua_confine_LDADD = $(TEST_LDADD) $(LUA_LIBS)
TESTS += tests/test_lua_pattern tests/test_lua_limits tests/test_lua_confine
tests_test_skeleton_SOURCES = tests/test_skeleton.c
tests_test_skeleton_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_skeleton_LDADD = $(TEST_LDADD)
tests_test_recipe_SOURCES = tests/test_recipe.c
tests_test_recipe_CPPFLAGS = $(TEST_CPPFLAGS) $(LUA_CFLAGS)
tests_test_recipe_LDADD = $(TEST_LDADD) $(LUA_LIBS)
TESTS += tests/test_lua tests/test_skeleton tests/test_recipe

TESTS += tests/e2e/golden_path.sh tests/e2e/runs_journal.sh tests/e2e/next_steps.sh \
	tests/e2e/cli_walk.sh tests/e2e/concurrency.sh tests/e2e/permissions.sh \
	tests/e2e/kill_points.sh
EXTRA_DIST += tests/e2e/golden_path.sh tests/e2e/runs_journal.sh tests/e2e/cli_walk.sh \
	tests/e2e/next_steps.sh tests/e2e/concurrency.sh tests/e2e/permissions.sh \
	tests/e2e/kill_points.sh tests/recipes
TESTS += tests/e2e/skeletons.sh
EXTRA_DIST += tests/e2e/skeletons.sh
TESTS += tests/e2e/sandbox.sh
EXTRA_DIST += tests/e2e/sandbox.sh
