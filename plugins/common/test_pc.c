/*
 * test_pc.c -- the helpers the bundled plugins share (pc.h).  The dropped
 * result of pc_call is freed: the sanitizer build's leak check says so.
 */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s/pc-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	pc_rmtree(dir);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

START_TEST(test_printf)
{
	char *s = pc_printf("%s/%d", "a", 42);
	ck_assert_str_eq(s, "a/42");
	free(s);
}
END_TEST

START_TEST(test_mkdir_p)
{
	char *deep = pc_printf("%s/a/b/c", dir), *file = pc_printf("%s/f", dir);
	char *under = pc_printf("%s/f/x", dir);
	ck_assert_int_eq(pc_mkdir_p(deep, 0755), 0);
	ck_assert(is_dir(deep));
	ck_assert_int_eq(pc_mkdir_p(deep, 0755), 0);          /* it exists: fine */
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	errno = 0;
	ck_assert_int_eq(pc_mkdir_p(under, 0755), -1);       /* a file in the way */
	ck_assert_int_eq(errno, ENOTDIR);
	free(deep), free(file), free(under);
}
END_TEST

START_TEST(test_rmtree)
{
	char *tree = pc_printf("%s/t", dir), *deep = pc_printf("%s/t/x/y", dir);
	char *keep = pc_printf("%s/keep", dir), *kept = pc_printf("%s/keep/k", dir);
	char *link = pc_printf("%s/t/x/to-keep", dir);
	ck_assert_int_eq(pc_mkdir_p(deep, 0755), 0);
	ck_assert_int_eq(pc_mkdir_p(kept, 0755), 0);
	ck_assert_int_eq(symlink(keep, link), 0);
	ck_assert_int_eq(pc_rmtree(tree), 0);
	ck_assert(!is_dir(tree));
	ck_assert(is_dir(kept));                              /* the link was not followed */
	ck_assert_int_eq(pc_rmtree(tree), 0);                 /* missing: fine */
	free(tree), free(deep), free(keep), free(kept), free(link);
}
END_TEST

PAVED_PLUGIN_INIT1;

static int calls;
static int fake_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result,
                     char **errmsg)
{
	(void)ctx, (void)args, (void)errmsg;
	calls++;
	*result = json_pack("{ss}", "hook", hook);
	return PAVED_VETO;
}

START_TEST(test_call)
{
	static const struct paved_api api = { .abi = PAVED_ABI_VERSION, .size = sizeof api,
	                                       .call = fake_call };
	json_t *r = NULL;
	PAVED_PLUGIN_INIT2(&api);
	ck_assert_int_eq(pc_call(NULL, "a.b", NULL, &r, NULL), PAVED_VETO);
	ck_assert_str_eq(json_string_value(json_object_get(r, "hook")), "a.b");   /* taken */
	json_decref(r);
	ck_assert_int_eq(pc_call(NULL, "a.c", NULL, NULL, NULL), PAVED_VETO); /* dropped */
	ck_assert_int_eq(calls, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pc");
	TCase *tc = tcase_create("pc");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_rmtree);
	tcase_add_test(tc, test_call);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
