/*
 * test_cli_parse.c -- the option parser every command uses (host/cli_parse.c,
 * api->cli_parse for plugins).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testutil.h"

static const struct paved_flag flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment" },
	{ "strategy", 0, PAVED_FLAG_STRING, "S", "rolling, bluegreen or canary" },
	{ "replicas", 'r', PAVED_FLAG_INT, "N", "how many" },
	{ "set", 0, PAVED_FLAG_LIST, "K=V", "a parameter" },
	{ "wait", 0, PAVED_FLAG_BOOL, NULL, "wait for it" },
	{ "follow", 'f', PAVED_FLAG_BOOL, NULL, "keep reading" },
	{ 0 }
};

/* Parse the words of LINE (split on spaces); returns the compact JSON of
 * the result, or "ERR: message". */
static char *parse(const char *line)
{
	json_t *argv = json_array(), *out = NULL;
	char *copy = strdup(line), *save = NULL, *err = NULL, *s;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		json_array_append_new(argv, json_string(w));
	if (pv_cli_parse(argv, flags, &out, &err) == PAVED_OK) {
		s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	} else {
		ck_assert_ptr_null(out);
		ck_assert_int_ne(asprintf(&s, "ERR: %s", err), -1);
	}
	free(err), free(copy);
	json_decref(argv), json_decref(out);
	return s;
}

static void expect(const char *line, const char *want)
{
	char *got = parse(line);
	ck_assert_msg(strcmp(got, want) == 0, "'%s': got %s, want %s", line, got, want);
	free(got);
}

START_TEST(test_forms)
{
	expect("api --env=prod", "{\"args\":[\"api\"],\"flags\":{\"env\":\"prod\"},\"help\":false}");
	expect("--env prod api", "{\"args\":[\"api\"],\"flags\":{\"env\":\"prod\"},\"help\":false}");
	expect("-e prod -r3 api", "{\"args\":[\"api\"],\"flags\":{\"env\":\"prod\",\"replicas\":3},"
	       "\"help\":false}");
	expect("--wait --no-follow", "{\"args\":[],\"flags\":{\"follow\":false,\"wait\":true},"
	       "\"help\":false}");
	expect("--set a=1 --set=b=2", "{\"args\":[],\"flags\":{\"set\":[\"a=1\",\"b=2\"]},"
	       "\"help\":false}");
	expect("x -- --env -", "{\"args\":[\"x\",\"--env\",\"-\"],\"flags\":{},\"help\":false}");
	expect("api --help --bogus-after-help-still-fails",
	       "ERR: unknown option '--bogus-after-help-still-fails'");
	expect("-h", "{\"args\":[],\"flags\":{},\"help\":true}");
}
END_TEST

START_TEST(test_errors)
{
	expect("--stratgy bluegreen", "ERR: unknown option '--stratgy' (did you mean '--strategy'?)");
	expect("--bogus", "ERR: unknown option '--bogus'");
	expect("--hepl", "ERR: unknown option '--hepl' (did you mean '--help'?)");
	expect("--version=39cd4e0", "ERR: unknown option '--version'");
	expect("-x", "ERR: unknown option '-x'");
	expect("--env", "ERR: option --env needs a value ENV");
	expect("--replicas three", "ERR: option --replicas expects a whole number, not 'three'");
	expect("--wait=yes", "ERR: option --wait takes no value");
	expect("-f1", "ERR: option -f takes no value");
}
END_TEST

START_TEST(test_help_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pv_cli_help(f, flags);
	fclose(f);
	ck_assert(tu_contains(buf, "  -e, --env ENV           environment\n"));
	ck_assert(tu_contains(buf, "      --strategy S        rolling, bluegreen or canary\n"));
	ck_assert(tu_contains(buf, "  -h, --help              show this help\n"));
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_parse");
	TCase *tc = tcase_create("cli_parse");
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_help_text);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
