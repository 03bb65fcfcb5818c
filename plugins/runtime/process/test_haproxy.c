/*
 * test_haproxy.c -- Check tests of haproxy.c through the hooks that need
 * no running HAProxy: the message when haproxy is missing (and no front
 * door left recorded), enable before ensure.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_rt.h"

#define P "runtime_process: runtime.driver.process."

START_TEST(missing_haproxy)
{
	char empty[320];
	snprintf(empty, sizeof empty, "%s/empty-path", trt_tmp);
	ck_assert_int_eq(system("true"), 0);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", empty);
	ck_assert_int_eq(system(cmd), 0);
	setenv("PATH", empty, 1);   /* this test runs in its own process (CK_FORK) */
	trt_expect_error("runtime.ensure", "{\"service\": \"api\", \"env\": \"dev\"}",
	                 P "ensure: HAProxy is missing: 'haproxy' is not in PATH; install the Debian "
	                 "package 'haproxy' (apt-get install haproxy, or scripts/bootstrap)");
	json_t *svcs = NULL;
	char p[400];
	snprintf(p, sizeof p, "%s/runtime/haproxy/services.json", trt_home);
	svcs = json_load_file(p, 0, NULL);
	ck_assert_msg(!json_object_get(svcs, "dev/api"), "a front door HAProxy never served is recorded");
	json_decref(svcs);
}
END_TEST

START_TEST(enable_before_ensure)
{
	json_t *res = NULL;
	char *err = NULL;
	const char *start = "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v1\", "
	                    "\"dir\": \"/\", \"argv\": [\"sleep\", \"60\"]}";
	ck_assert_msg(trt_call("runtime.start", start, &res, &err) == 0, "start: %s", err);
	json_decref(res);
	trt_expect_error("runtime.enable", "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"r1\"}",
	                 P "enable: dev/api has no front door: call runtime.ensure first");
	ck_assert_int_eq(trt_call("runtime.status", "{\"service\": \"api\"}", &res, NULL), 0);
	json_t *r = json_array_get(json_object_get(json_array_get(res, 0), "replicas"), 0);
	ck_assert(json_is_false(json_object_get(r, "enabled")));   /* the spec went back */
	json_decref(res);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime_process haproxy");
	TCase *tc = tcase_create("haproxy");
	tcase_add_checked_fixture(tc, trt_setup, trt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, missing_haproxy);
	tcase_add_test(tc, enable_before_ensure);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
