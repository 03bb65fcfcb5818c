/*
 * test_paths.c -- Check tests of paths.c: service and env names, the
 * runtime dir and the process mark.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "check_main.h"

static const struct { const char *name; bool service, env; } names[] = {
	{ "api", true, true }, { "a", true, true }, { "payment-api", true, true },
	{ "a1-b2", true, true }, { "dev_eu", false, true }, { "-rf", false, false },
	{ "", false, false }, { "Api", false, false }, { "1api", false, false },
	{ "a/b", false, false }, { "..", false, false }, { "a b", false, false },
	{ "\xff", false, false }, { "caf\xc3\xa9", false, false },
	{ "a123456789012345678901234567890123456789012345678901234567890ab", true, true },
	{ "a123456789012345678901234567890123456789012345678901234567890abc", false, false },
};

START_TEST(name_rules)
{
	const char *n = names[_i].name;
	ck_assert_msg(rd_valid_service(n) == names[_i].service, "service '%s'", n);
	ck_assert_msg(rd_valid_env(n) == names[_i].env, "env '%s'", n);
}
END_TEST

START_TEST(dirs_and_mark)
{
	char *d = rd_service_dir("/h", "dev", "api"), *f = rd_file(d, "spec.json"), *m = rd_mark(d);
	ck_assert_str_eq(d, "/h/runtime/dev/api");
	ck_assert_str_eq(f, "/h/runtime/dev/api/spec.json");
	ck_assert_str_eq(m, "PAVED_RUNTIME_DIR=/h/runtime/dev/api");
	ck_assert(!rd_valid_service(NULL) && !rd_valid_env(NULL));
	free(d), free(f), free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime paths");
	TCase *tc = tcase_create("paths");
	tcase_add_loop_test(tc, name_rules, 0, (int)(sizeof names / sizeof *names));
	tcase_add_test(tc, dirs_and_mark);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
