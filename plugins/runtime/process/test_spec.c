/*
 * test_spec.c -- Check tests of spec.c through the hooks: the service and
 * env arguments every verb checks, with the exact message and nothing
 * made; start's other arguments; the services status lists.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_rt.h"

#define P "runtime_process: runtime.driver.process."
#define RULE "1 to 63 lowercase letters, digits and '-', starting with a letter"

static const struct { const char *hook, *args, *msg; } bad[] = {
	{ "stop", "{\"service\": \"-rf\"}", P "stop: invalid service name '-rf': " RULE },
	{ "stop", "{\"service\": \"\"}", P "stop: argument 'service' is empty: name a service" },
	{ "stop", "{\"service\": 7}", P "stop: argument 'service' must be a string" },
	{ "stop", "{\"service\": \"a\\u0000b\"}", NULL },   /* jansson refuses it first */
	{ "stop", "{\"service\": \"../x\"}", P "stop: invalid service name '../x': " RULE },
	{ "stop", "{\"service\": \"\\u00e9t\\u00e9\"}", P "stop: invalid service name '?\?t?\?': " RULE },
	{ "stop", "{}", P "stop: name a 'service' to stop, or pass \"all\": true to stop every "
	  "service; nothing was stopped" },
	{ "stop", "{\"env\": \"dev\"}", P "stop: name a 'service' to stop, or pass \"all\": true to "
	  "stop every service of the env; nothing was stopped" },
	{ "stop", "{\"all\": \"yes\"}", P "stop: argument 'all' must be true or false" },
	{ "stop", "{\"service\": \"nosuch\", \"env\": \"dev\"}",
	  P "stop: no service dev/nosuch in the process runtime; nothing was stopped" },
	{ "ensure", "{\"service\": \"api\", \"env\": \"Dev\"}", P "ensure: invalid env name 'Dev': "
	  "1 to 63 lowercase letters, digits, '-' and '_', starting with a letter" },
	{ "ensure", "{\"service\": \"api\", \"env\": \"haproxy\"}", P "ensure: env 'haproxy' is "
	  "reserved by the process runtime (its HAProxy lives in runtime/haproxy); choose another "
	  "env name" },
	{ "wait", "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"r1\"}",
	  P "wait: no service dev/api in the process runtime" },
	{ "enable", "{\"service\": \"api\", \"env\": \"dev\"}",
	  P "enable: argument 'id' (a string, as runtime.start returned) is required" },
	{ "enable", "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"r1\", \"weight\": 0}",
	  P "enable: argument 'weight' must be a whole number from 1 to 256" },
	{ "weights", "{\"service\": \"api\", \"env\": \"dev\", \"weights\": {}}",
	  P "weights: argument 'weights' must be an object {replica id: weight 0..256} naming at "
	  "least one replica" },
	{ "logs", "{\"service\": \"api\", \"env\": \"dev\", \"tail\": -1}",
	  P "logs: argument 'tail' must be a whole number of lines (>= 0)" },
	{ "logs", "{\"service\": \"api\", \"env\": \"dev\"}",
	  P "logs: no service dev/api in the process runtime" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"dir\": \"/\", \"argv\": [\"x\"]}",
	  P "start: argument 'version' (a string of 1 to 120 characters) is required" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v\", \"dir\": \"/\", \"argv\": []}",
	  P "start: argument 'argv' (a non-empty array of strings) is required" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v\", \"dir\": \"/\", \"argv\": [\"\"]}",
	  P "start: argv[0] must be a non-empty string without NUL" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v\", \"dir\": \"/\", "
	  "\"argv\": [\"x\"], \"variables\": {\"PAVED_RUNTIME_DIR\": \"/\"}}",
	  P "start: invalid variable name 'PAVED_RUNTIME_DIR': letters, digits and '_', not starting "
	  "with a digit, and not PAVED_*" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v\", \"dir\": \"/\", "
	  "\"argv\": [\"x\"], \"variables\": {\"A\": 1}}",
	  P "start: variable A must be a string without NUL" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v\", \"dir\": \"/\", "
	  "\"argv\": [\"x\"], \"health\": \"health\"}",
	  P "start: argument 'health' must be a path starting with '/' (no spaces), e.g. /health" },
	{ "start", "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v\", \"argv\": [\"x\"]}",
	  P "start: argument 'dir' (the directory the replica runs in) is required" },
};

START_TEST(bad_arguments_are_refused_and_make_nothing)
{
	char hook[64];
	if (!bad[_i].msg)
		return;
	snprintf(hook, sizeof hook, "runtime.%s", bad[_i].hook);
	trt_expect_error(hook, bad[_i].args, bad[_i].msg);
	ck_assert_msg(!trt_exists("runtime/dev") && !trt_exists("runtime/haproxy"),
	              "%s %s made something", hook, bad[_i].args);
}
END_TEST

START_TEST(status_of_nothing)
{
	json_t *res = NULL;
	ck_assert_int_eq(trt_call("runtime.status", "{}", &res, NULL), 0);
	ck_assert(json_is_array(res) && json_array_size(res) == 0);
	json_decref(res);
	ck_assert_int_eq(trt_call("runtime.stop", "{\"all\": true}", &res, NULL), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "stopped")), 0);
	json_decref(res);
	ck_assert_int_eq(trt_call("runtime.prune", "{}", &res, NULL), 0);
	ck_assert_int_eq(json_array_size(json_object_get(res, "removed")), 0);
	json_decref(res);
	ck_assert_int_eq(trt_call("runtime.destroy", "{\"service\": \"api\", \"env\": \"dev\"}",
	                          NULL, NULL), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime_process spec");
	TCase *tc = tcase_create("arguments");
	tcase_add_checked_fixture(tc, trt_setup, trt_teardown);
	tcase_add_loop_test(tc, bad_arguments_are_refused_and_make_nothing, 0,
	                    (int)(sizeof bad / sizeof *bad));
	tcase_add_test(tc, status_of_nothing);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
