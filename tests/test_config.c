/*
 * test_config.c -- Check suite for host/config.c: the layering order
 * (defaults < system file < $PAVED_HOME/config.json < PAVED_CONFIG_* <
 * -c), dotted keys, and how a malformed file is reported.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *home, *sysfile;

static void setup(void)
{
	tu_isolate_env();
	tmp = tu_mkdtemp();
	home = tu_join(tmp, "home");
	sysfile = tu_join(tmp, "system.json");
	tu_mkdirs(home, 0700);
	setenv("PAVED_SYSTEM_CONFIG", sysfile, 1);
}

static void teardown(void)
{
	tu_rm_rf(tmp);
	free(tmp), free(home), free(sysfile);
}

static void write_home_config(const char *text)
{
	char *p = tu_join(home, "config.json");
	tu_write_file(p, text);
	free(p);
}

static const char *str_at(json_t *c, const char *key)
{
	return json_string_value(pv_config_get(c, key));
}

START_TEST(test_defaults)
{
	json_t *c = NULL;
	char *err = NULL;
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_OK);
	ck_assert_str_eq(str_at(c, "log_level"), "warn");
	ck_assert(json_is_object(pv_config_get(c, "plugins")));
	ck_assert_ptr_null(pv_config_get(c, "plugin_path"));   /* null reads as unset */
	json_decref(c);
}
END_TEST

START_TEST(test_layering_order)
{
	json_t *c = NULL;
	char *err = NULL;
	/* each layer sets its own key and overrides the ones below */
	tu_write_file(sysfile, "{\"l\": {\"sys\": \"sys\", \"home\": \"sys\", \"env\": \"sys\","
	              " \"flag\": \"sys\"}, \"log_level\": \"info\"}");
	write_home_config("{\"l\": {\"home\": \"home\", \"env\": \"home\", \"flag\": \"home\"}}");
	setenv("PAVED_CONFIG_L__ENV", "env", 1);
	setenv("PAVED_CONFIG_L__FLAG", "env", 1);
	const char *sets[] = { "l.flag=flag" };
	ck_assert_int_eq(pv_config_load(home, sets, 1, &c, &err), PAVED_OK);
	ck_assert_str_eq(str_at(c, "log_level"), "info");   /* system beats defaults */
	ck_assert_str_eq(str_at(c, "l.sys"), "sys");
	ck_assert_str_eq(str_at(c, "l.home"), "home");
	ck_assert_str_eq(str_at(c, "l.env"), "env");
	ck_assert_str_eq(str_at(c, "l.flag"), "flag");
	json_decref(c);
}
END_TEST

START_TEST(test_objects_merge_other_values_replace)
{
	json_t *c = NULL;
	char *err = NULL;
	tu_write_file(sysfile, "{\"plugins\": {\"jsonl\": {\"path\": \"/a\", \"x\": 1}},"
	              " \"list\": [1, 2, 3]}");
	write_home_config("{\"plugins\": {\"jsonl\": {\"path\": \"/b\"}}, \"list\": [4]}");
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_OK);
	ck_assert_str_eq(str_at(c, "plugins.jsonl.path"), "/b");
	ck_assert_int_eq(json_integer_value(pv_config_get(c, "plugins.jsonl.x")), 1);
	ck_assert_int_eq(json_array_size(pv_config_get(c, "list")), 1);
	json_decref(c);
}
END_TEST

START_TEST(test_env_and_flag_values)
{
	json_t *c = NULL;
	char *err = NULL;
	setenv("PAVED_CONFIG_PLUGINS__JSONL__PATH", "/tmp/e.jsonl", 1);
	setenv("PAVED_CONFIG_COUNT", "42", 1);
	setenv("PAVED_CONFIG_FLAG", "true", 1);
	const char *sets[] = { "a.b.c={\"d\": [1]}", "text=hello world", "n=1.5" };
	ck_assert_int_eq(pv_config_load(home, sets, 3, &c, &err), PAVED_OK);
	ck_assert_str_eq(str_at(c, "plugins.jsonl.path"), "/tmp/e.jsonl");
	ck_assert_int_eq(json_integer_value(pv_config_get(c, "count")), 42);
	ck_assert(json_is_true(pv_config_get(c, "flag")));
	ck_assert_int_eq(json_integer_value(pv_config_get(c, "a.b.c.d")), 0);  /* array */
	ck_assert(json_is_array(pv_config_get(c, "a.b.c.d")));
	ck_assert_str_eq(str_at(c, "text"), "hello world");
	ck_assert(json_is_real(pv_config_get(c, "n")));
	json_decref(c);
}
END_TEST

START_TEST(test_dotted_keys)
{
	json_t *c = json_object();
	ck_assert_int_eq(pv_config_set(c, "a.b.c", json_integer(3)), 0);
	ck_assert_int_eq(json_integer_value(pv_config_get(c, "a.b.c")), 3);
	ck_assert(json_is_object(pv_config_get(c, "a.b")));
	ck_assert_ptr_null(pv_config_get(c, "a.x"));
	ck_assert_ptr_null(pv_config_get(c, "a.b.c.d"));   /* through a non-object */
	ck_assert_ptr_null(pv_config_get(c, "zzz"));
	ck_assert_int_eq(pv_config_set(c, "a.b.c.d", json_integer(4)), -1);
	ck_assert_int_eq(pv_config_set(c, "a.b.e", json_string("e")), 0);
	ck_assert_int_eq(json_object_size(pv_config_get(c, "a.b")), 2);
	json_decref(c);
}
END_TEST

START_TEST(test_malformed_home_config)
{
	json_t *c = NULL;
	char *err = NULL;
	write_home_config("{\n  \"a\": 1,\n  \"b\": ,\n}\n");
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_ERR);
	ck_assert_ptr_null(c);
	char *want = tu_join(home, "config.json:3:8: invalid JSON: ");
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s...'", err, want);
	free(want);
	free(err);
}
END_TEST

START_TEST(test_malformed_system_config)
{
	json_t *c = NULL;
	char *err = NULL;
	tu_write_file(sysfile, "{\"a\": tru}");
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_ERR);
	char want[4200];
	snprintf(want, sizeof want, "%s:1:", sysfile);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s'", err);
	ck_assert(tu_contains(err, ": invalid JSON: "));
	free(err);
}
END_TEST

START_TEST(test_duplicate_key_rejected)
{
	json_t *c = NULL;
	char *err = NULL;
	write_home_config("{\"a\": 1,\n \"a\": 2}");
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_ERR);
	ck_assert(tu_contains(err, "config.json:2:"));
	ck_assert(tu_contains(err, "invalid JSON: duplicate object key"));
	free(err);
}
END_TEST

START_TEST(test_non_object_config)
{
	json_t *c = NULL;
	char *err = NULL;
	write_home_config("[1, 2]\n");
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_ERR);
	char *want = tu_join(home, "config.json:1:1: config must be a JSON object");
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
}
END_TEST

START_TEST(test_bad_flag)
{
	json_t *c = NULL;
	char *err = NULL;
	const char *noeq[] = { "justakey" };
	ck_assert_int_eq(pv_config_load(home, noeq, 1, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "-c: expected KEY=VALUE, got 'justakey'");
	const char *through[] = { "log_level.x=1" };
	ck_assert_int_eq(pv_config_load(home, through, 1, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "-c: cannot set 'log_level.x': a parent key is not an object");
	free(err);
}
END_TEST

/* Issue #12: `paved -c $'\xff.x=1'` and PAVED_CONFIG_\xff__X=1 were a
 * heap-use-after-free (jansson frees a value whose key it refuses). */
START_TEST(test_non_utf8_keys)
{
	json_t *c = NULL;
	char *err = NULL;
	const char *bad[] = { "\xff.x=1" };
	ck_assert_int_eq(pv_config_load(home, bad, 1, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "-c: invalid key: keys must be UTF-8 text");
	free(err), err = NULL;
	const char *badleaf[] = { "a.\xfe=1" };
	ck_assert_int_eq(pv_config_load(home, badleaf, 1, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "-c: invalid key: keys must be UTF-8 text");
	free(err), err = NULL;
	const char *badval[] = { "a.b=\xff" };
	ck_assert_int_eq(pv_config_load(home, badval, 1, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "-c: the value of 'a.b' is not valid UTF-8");
	free(err), err = NULL;
	const char *empty[] = { "a..b=1" };
	ck_assert_int_eq(pv_config_load(home, empty, 1, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "-c: invalid key 'a..b': a dotted key has no empty parts");
	free(err), err = NULL;
	setenv("PAVED_CONFIG_\xff__X", "1", 1);
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_ERR);
	ck_assert_str_eq(err, "environment (PAVED_CONFIG_*): invalid key: keys must be UTF-8 text");
	unsetenv("PAVED_CONFIG_\xff__X");
	free(err);
	/* the direct call refuses too, without touching freed memory */
	json_t *o = json_object();
	ck_assert_int_eq(pv_config_set(o, "\xff.x", json_integer(1)), -1);
	ck_assert_int_eq(pv_config_set(o, "x.\xff.y", json_integer(1)), -1);
	ck_assert_int_eq(json_object_size(o), 0);
	json_decref(o);
}
END_TEST

START_TEST(test_missing_files_are_fine)
{
	json_t *c = NULL;
	char *err = NULL;
	setenv("PAVED_SYSTEM_CONFIG", "/nonexistent/x.json", 1);
	ck_assert_int_eq(pv_config_load(home, NULL, 0, &c, &err), PAVED_OK);
	json_decref(c);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("layers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_layering_order);
	tcase_add_test(tc, test_objects_merge_other_values_replace);
	tcase_add_test(tc, test_env_and_flag_values);
	tcase_add_test(tc, test_dotted_keys);
	tcase_add_test(tc, test_missing_files_are_fine);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_malformed_home_config);
	tcase_add_test(tc, test_malformed_system_config);
	tcase_add_test(tc, test_duplicate_key_rejected);
	tcase_add_test(tc, test_non_object_config);
	tcase_add_test(tc, test_bad_flag);
	tcase_add_test(tc, test_non_utf8_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
