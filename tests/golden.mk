# tests/golden.mk: tests of the Lua runtime, the template tree renderer and
# the golden-path runner (issue 3).  tests/recipes/ holds test-only recipes
# that break in one way each (PAVED_RECIPE_PATH=$top_srcdir/tests/recipes).
check_PROGRAMS += tests/test_lua tests/test_skeleton tests/test_recipe
tests_test_lua_SOURCES = tests/test_lua.c
tests_test_lua_CPPFLAGS = $(TEST_CPPFLAGS) $(LUA_CFLAGS)
tests_test_lua_LDADD = $(TEST_LDADD) $(LUA_LIBS)
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
