/* test_recipe.c - Check suite for the golden-path runner (host/recipe*.c):
 * finding recipes, validating every parameter at once, and the run hook's
 * undo on failure, with the test recipes of tests/recipes (each breaks in
 * one way) and the shipped node-api recipe.
 *
 * Every test opens a host without plugins on a fresh PAVED_HOME and runs
 * recipes from inside a fresh temporary directory (targets default to
 * ./NAME), then checks that nothing was left behind.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "recipe.h"
#include "state_runs.h"

static char g_tmp[PATH_MAX], g_cwd[PATH_MAX + 8], g_oldcwd[PATH_MAX];
static pv_host *g_host;

static pv_host *open_host(const char *const *sets, size_t nsets)
{
	char home[PATH_MAX + 8];
	snprintf(home, sizeof home, "%s/home", g_tmp);
	struct pv_host_opts o = { .home = home, .sets = sets, .nsets = nsets, .no_plugins = true };
	pv_host *h = NULL;
	char *err = NULL;
	int code;
	if (pv_host_open(&o, &h, &err, &code) != PAVED_OK)
		ck_abort_msg("pv_host_open: %s", err ? err : "?");
	return h;
}

static void reopen(const char *const *sets, size_t nsets)
{
	pv_host_close(g_host);
	g_host = open_host(sets, nsets);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(g_tmp, sizeof g_tmp, "%s/paved-test-recipe.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(g_tmp));
	snprintf(g_cwd, sizeof g_cwd, "%s/work", g_tmp);
	ck_assert_int_eq(mkdir(g_cwd, 0755), 0);
	ck_assert_ptr_nonnull(getcwd(g_oldcwd, sizeof g_oldcwd));
	ck_assert_int_eq(chdir(g_cwd), 0);
	setenv("PAVED_RECIPE_PATH", PV_TEST_SRCDIR "/tests/recipes", 1);
	unsetenv("PAVED_CONFIG_RECIPE_PATH");
	g_host = open_host(NULL, 0);
}

static void teardown(void)
{
	pv_host_close(g_host);
	g_host = NULL;
	if (chdir(g_oldcwd) != 0)
		perror(g_oldcwd);
	pv_rm_rf(g_tmp, NULL);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Number of entries in directory DIR other than . and .. */
static int entries(const char *dir)
{
	char *l = NULL;
	struct paved_run_result r;
	const char *argv[] = { "ls", "-A", dir, NULL };
	struct paved_cmd cmd = { .argv = argv, .timeout_ms = 5000 };
	ck_assert_int_eq(pv_proc_run(&cmd, &r, &l), 0);
	int n = 0;
	for (const char *p = r.out; *p; p++)
		n += *p == '\n';
	pv_proc_result_free(&r);
	return n;
}

/* Validate INPUT (JSON text) against recipe NAME: returns the message or
 * NULL when valid (then *PARAMS, if given, gets the params). */
static char *validate(const char *name, const char *input, json_t **params)
{
	struct pv_recipe *r = NULL;
	char *err = NULL;
	if (pv_recipe_open(g_host, name, &r, &err) != PAVED_OK)
		ck_abort_msg("open %s: %s", name, err);
	json_t *in = json_loads(input, JSON_ALLOW_NUL, NULL), *out = NULL;
	ck_assert_ptr_nonnull(in);
	int rc = pv_recipe_validate(r, in, &out, &err);
	json_decref(in);
	pv_recipe_close(r);
	if (rc == PAVED_OK) {
		if (params)
			*params = out;
		else
			json_decref(out);
		return NULL;
	}
	ck_assert_ptr_null(out);
	return err;
}

/* Call recipe.run quietly; returns the hook status, *ERR the message. */
static int run_recipe(const char *recipe, json_t *params, bool dry, json_t **res, char **err)
{
	json_t *args = json_pack("{ss so sb sb}", "recipe", recipe, "params", params,
	                         "dry_run", dry, "quiet", 1);
	json_t *dummy = NULL;
	*err = NULL;
	int rc = pv_call(g_host, "recipe.run", args, res ? res : &dummy, err);
	json_decref(args);   /* pv_call borrows its arguments */
	json_decref(dummy);
	return rc;
}

/* The newest run, as `paved runs --json` shows it (new reference). */
static json_t *last_run(void)
{
	json_t *runs = pv_runs_list(g_host, 1, 0);
	json_t *r = json_incref(json_array_get(runs, 0));
	json_decref(runs);
	return r;
}

static size_t run_count(void)
{
	json_t *runs = pv_runs_list(g_host, 100, 0);
	size_t n = json_array_size(runs);
	json_decref(runs);
	return n;
}

/* "status,status,..." of the steps of RUN. */
static char *step_statuses(json_t *run)
{
	static char buf[256];
	size_t i;
	json_t *s;
	buf[0] = '\0';
	json_array_foreach(json_object_get(run, "steps"), i, s) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "",
		         json_string_value(json_object_get(s, "status")));
	}
	return buf;
}

/* ---- finding recipes ---------------------------------------------------- */

START_TEST(unknown_template)
{
	unsetenv("PAVED_RECIPE_PATH");
	struct pv_recipe *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(pv_recipe_open(g_host, "nope", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "unknown template 'nope'; available: c-api, node-api, python-api");
	free(err);
	ck_assert_ptr_null(r);
	/* a name that is a path is not looked up at all */
	err = NULL;
	ck_assert_int_eq(pv_recipe_open(g_host, "../node-api", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "unknown template '../node-api'; available: c-api, node-api, python-api");
	free(err);
	/* through the hook: nothing is recorded */
	ck_assert_int_eq(run_recipe("nope", json_pack("{ss}", "name", "x"), false, NULL, &err),
	                 PAVED_ERR);
	ck_assert_str_eq(err, "paved: recipe.run: unknown template 'nope'; available: c-api, node-api, python-api");
	free(err);
	ck_assert_uint_eq(run_count(), 0);
	ck_assert_int_eq(entries(g_cwd), 0);
}
END_TEST

START_TEST(list_includes_recipe_path)
{
	json_t *l = pv_recipe_list(g_host);
	char names[512] = "";
	size_t i;
	json_t *e;
	json_array_foreach(l, i, e) {
		size_t n = strlen(names);
		snprintf(names + n, sizeof names - n, "%s%s", i ? "," : "",
		         json_string_value(json_object_get(e, "name")));
	}
	json_decref(l);
	ck_assert_str_eq(names, "test-baddecl,test-confine,test-escape,test-fail,test-gc,test-hog,"
	                 "test-limits,test-loop,test-shell,test-slow,test-syntax,test-unclosed,"
	                 "c-api,node-api,python-api");
}
END_TEST

START_TEST(syntax_error_names_line)
{
	struct pv_recipe *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(pv_recipe_open(g_host, "test-syntax", &r, &err), PAVED_ERR);
	ck_assert_msg(strncmp(err, "recipe 'test-syntax': ", 22) == 0, "%s", err);
	ck_assert_msg(strstr(err, "tests/recipes/test-syntax/recipe.lua:6:") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "'}' expected") != NULL, "%s", err);
	free(err);
	ck_assert_int_eq(run_recipe("test-syntax", json_pack("{ss}", "name", "svc"), false, NULL,
	                            &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "test-syntax/recipe.lua:6:") != NULL, "%s", err);
	free(err);
	ck_assert_uint_eq(run_count(), 0);
	ck_assert_int_eq(entries(g_cwd), 0);
}
END_TEST

START_TEST(describe_node_api)
{
	struct pv_recipe *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(pv_recipe_open(g_host, "node-api", &r, &err), PAVED_OK);
	json_t *d = pv_recipe_describe(r);
	pv_recipe_close(r);
	ck_assert_str_eq(json_string_value(json_object_get(d, "name")), "node-api");
	json_t *steps = json_object_get(d, "steps");
	ck_assert_uint_eq(json_array_size(steps), 7);
	ck_assert_str_eq(json_string_value(json_array_get(steps, 0)), "Generated service files");
	ck_assert_str_eq(json_string_value(json_array_get(steps, 2)), "Created repository");
	json_t *p0 = json_array_get(json_object_get(d, "params"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(p0, "name")), "name");
	ck_assert(json_is_true(json_object_get(p0, "required")));
	json_decref(d);
}
END_TEST

/* ---- parameters --------------------------------------------------------- */

#define NAME_HINT "use lowercase letters, digits and '-', starting with a letter and not " \
	"ending with '-'"
#define NAME_PROBLEM(v) "  name: '" v "' does not match ^[a-z][a-z0-9%-]*$ — " NAME_HINT

START_TEST(params_bad_names)
{
	/* issue #12: 'a-' passed the recipe and failed later in the catalog */
	char *err = validate("node-api", "{\"name\": \"a-\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n  name: 'a-' must not "
	                 "match %-$ — " NAME_HINT);
	free(err);
	err = validate("node-api", "{\"name\": \"../x\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n" NAME_PROBLEM("../x"));
	free(err);
	err = validate("node-api", "{\"name\": \"Payment API\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n"
	                 NAME_PROBLEM("Payment API"));
	free(err);
	char long_name[201], in[256];
	memset(long_name, 'a', 200);
	long_name[200] = '\0';
	snprintf(in, sizeof in, "{\"name\": \"%s\"}", long_name);
	err = validate("node-api", in, NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n"
	                 "  name: 200 characters, at most 63 allowed");
	free(err);
	err = validate("node-api", "{}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n"
	                 "  name: required — service name, a DNS label (payment-api)");
	free(err);
}
END_TEST

START_TEST(params_all_problems_at_once)
{
	char *err = validate("node-api", "{\"name\": \"Payment API\", \"database\": \"mysql\","
	                     " \"port\": \"eighty\", \"owner\": \"Team X\", \"colour\": \"red\"}",
	                     NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n"
	                 NAME_PROBLEM("Payment API") "\n"
	                 "  owner: 'Team X' does not match ^[a-z][a-z0-9%-]*$ — use lowercase "
	                 "letters, digits and '-', starting with a letter and not ending with '-'\n"
	                 "  database: 'mysql' is not one of: none, postgres, redis\n"
	                 "  port: 'eighty' is not a whole number\n"
	                 "  colour: unknown parameter (see 'paved recipes show node-api')");
	free(err);
	err = validate("node-api", "{\"name\": \"ok-name\", \"port\": \"70000\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n"
	                 "  port: 70000 is above the maximum 65535");
	free(err);
	/* and a run with bad params records nothing and creates nothing */
	ck_assert_int_eq(run_recipe("node-api", json_pack("{ss ss}", "name", "../x", "database",
	                            "mysql"), false, NULL, &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "invalid parameters for recipe 'node-api':\n" NAME_PROBLEM("../x")
	                     "\n  database: 'mysql' is not one of") != NULL, "%s", err);
	free(err);
	ck_assert_uint_eq(run_count(), 0);
	ck_assert_int_eq(entries(g_cwd), 0);
	char forge[PATH_MAX * 2];
	snprintf(forge, sizeof forge, "%s/home/forge", g_tmp);
	ck_assert(!exists(forge) || entries(forge) == 0);
}
END_TEST

/* The fuzzer's finds: a NUL hid the rest of a value from the pattern and
 * the length check; an int param took leading blanks and overflowed. */
START_TEST(params_nul_and_overflow)
{
	char *err = validate("node-api", "{\"name\": \"ok\\u0000/../../x\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n  name: holds a NUL byte");
	free(err);
	/* an enum's choice followed by a NUL and more is not that choice */
	err = validate("node-api", "{\"name\": \"ok\", \"database\": \"postgres\\u0000\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n  database: holds a NUL "
	                 "byte");
	free(err);
	err = validate("node-api", "{\"name\": \"ok\", \"port\": \"99999999999999999999\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n  port: "
	                 "'99999999999999999999' is out of range");
	free(err);
	err = validate("node-api", "{\"name\": \"ok\", \"port\": \" 80\"}", NULL);
	ck_assert_str_eq(err, "invalid parameters for recipe 'node-api':\n  port: ' 80' is not a "
	                 "whole number");
	free(err);
}
END_TEST

START_TEST(params_coerced_with_defaults)
{
	json_t *p = NULL;
	ck_assert_ptr_null(validate("node-api", "{\"name\": \"payment-api\", \"port\": \"9090\","
	                            " \"database\": \"postgres\"}", &p));
	char *s = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s, "{\"database\":\"postgres\",\"deploy\":true,\"description\":\"A Node.js HTTP API "
	                 "created with paved\",\"name\":\"payment-api\",\"owner\":\"team-default\","
	                 "\"port\":9090,\"system\":\"\"}");
	free(s);
	json_decref(p);
}
END_TEST

/* ---- runs that fail: undone, recorded, nothing left --------------------- */

START_TEST(step_fails_midway_undone)
{
	char *err = NULL;
	ck_assert_int_eq(run_recipe("test-fail", json_pack("{ss}", "name", "svc"), false, NULL,
	                            &err), PAVED_ERR);
	ck_assert_str_eq(err, "paved: recipe.run: step 'Broke on purpose' failed: the disk is "
	                 "full (simulated)");
	free(err);
	ck_assert_int_eq(entries(g_cwd), 0);
	json_t *run = last_run();
	ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
	ck_assert_str_eq(step_statuses(run), "undone,undone,failed");
	ck_assert_msg(strstr(json_string_value(json_object_get(run, "error")),
	                     "the disk is full (simulated)") != NULL, "run error not recorded");
	json_decref(run);
}
END_TEST

START_TEST(endless_loop_stopped)
{
	static const char *const sets[] = { "lua.max_instructions=2000000" };
	reopen(sets, 1);
	char *err = NULL;
	ck_assert_int_eq(run_recipe("test-loop", json_pack("{ss}", "name", "svc"), false, NULL,
	                            &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "step 'Looped forever' failed: ") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "instruction limit of 2000000 exceeded (lua.max_instructions)"),
	              "%s", err);
	free(err);
	ck_assert_int_eq(entries(g_cwd), 0);
	json_t *run = last_run();
	ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
	ck_assert_str_eq(step_statuses(run), "undone,failed");
	json_decref(run);
}
END_TEST

START_TEST(endless_allocation_stopped)
{
	static const char *const sets[] = { "lua.max_memory_mb=16" };
	reopen(sets, 1);
	char *err = NULL;
	ck_assert_int_eq(run_recipe("test-hog", json_pack("{ss}", "name", "svc"), false, NULL,
	                            &err), PAVED_ERR);
	ck_assert_str_eq(err, "paved: recipe.run: step 'Allocated without end' failed: memory "
	                 "limit of 16 MiB exceeded (lua.max_memory_mb)");
	free(err);
	ck_assert_int_eq(entries(g_cwd), 0);
	json_t *run = last_run();
	ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
	ck_assert_str_eq(step_statuses(run), "undone,failed");
	json_decref(run);
}
END_TEST

START_TEST(unclosed_tag_in_skeleton)
{
	char *err = NULL;
	ck_assert_int_eq(run_recipe("test-unclosed", json_pack("{ss}", "name", "svc"), false, NULL,
	                            &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "step 'Generated files' failed: skeleton/README.md:3:10: "
	                     "unclosed tag") != NULL, "%s", err);
	free(err);
	ck_assert_int_eq(entries(g_cwd), 0);
	json_t *run = last_run();
	ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
	ck_assert_str_eq(step_statuses(run), "failed");
	json_decref(run);
}
END_TEST

START_TEST(variable_escaping_target)
{
	char *err = NULL;
	ck_assert_int_eq(run_recipe("test-escape", json_pack("{ss ss}", "name", "svc", "dest", ".."),
	                            false, NULL, &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "step 'Generated files' failed: skeleton/{{dest}}: the name "
	                     "renders to '..', which would escape the target directory") != NULL,
	              "%s", err);
	free(err);
	ck_assert_int_eq(entries(g_cwd), 0);
	char out[PATH_MAX * 2];
	snprintf(out, sizeof out, "%s/ESCAPED.txt", g_tmp);
	ck_assert(!exists(out));
	json_t *run = last_run();
	ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
	json_decref(run);
	/* the same recipe with a harmless value works */
	json_t *res = NULL;
	ck_assert_int_eq(run_recipe("test-escape", json_pack("{ss ss}", "name", "svc2", "dest",
	                            "docs"), false, &res, &err), PAVED_OK);
	json_decref(res);
	char ok[PATH_MAX * 2];
	snprintf(ok, sizeof ok, "%s/svc2/docs/ESCAPED.txt", g_cwd);
	ck_assert(exists(ok));
}
END_TEST

START_TEST(dry_run_touches_nothing)
{
	json_t *res = NULL;
	char *err = NULL;
	ck_assert_int_eq(run_recipe("test-fail", json_pack("{ss}", "name", "svc"), true, &res, &err),
	                 PAVED_OK);
	ck_assert(json_is_true(json_object_get(res, "dry_run")));
	ck_assert_uint_eq(json_array_size(json_object_get(res, "steps")), 4);
	char want[PATH_MAX * 2];
	snprintf(want, sizeof want, "%s/svc", g_cwd);
	ck_assert_str_eq(json_string_value(json_object_get(res, "target")), want);
	json_decref(res);
	ck_assert_int_eq(entries(g_cwd), 0);
	ck_assert_uint_eq(run_count(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recipe");
	TCase *tc = tcase_create("find");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_template);
	tcase_add_test(tc, list_includes_recipe_path);
	tcase_add_test(tc, syntax_error_names_line);
	tcase_add_test(tc, describe_node_api);
	suite_add_tcase(s, tc);
	tc = tcase_create("params");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, params_bad_names);
	tcase_add_test(tc, params_all_problems_at_once);
	tcase_add_test(tc, params_coerced_with_defaults);
	tcase_add_test(tc, params_nul_and_overflow);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, step_fails_midway_undone);
	tcase_add_test(tc, endless_loop_stopped);
	tcase_add_test(tc, endless_allocation_stopped);
	tcase_add_test(tc, unclosed_tag_in_skeleton);
	tcase_add_test(tc, variable_escaping_target);
	tcase_add_test(tc, dry_run_touches_nothing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
