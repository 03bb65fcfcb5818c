/*
 * test_net.c -- Check tests of net.c through the hooks: the option ports
 * (LO-HI), a port held by a front door or a replica of the home is never
 * handed out twice, and the message when the range is used up.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "test_rt.h"

#define P "runtime_process: runtime.driver.process."

/* A socket bound to 127.0.0.1:PORT (listening when LISTEN), or -1. */
static int bind_port(int port, int listen_too)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || (listen_too && listen(s, 1) != 0)) {
		close(s);
		return -1;
	}
	return s;
}

/* Two consecutive free loopback ports; the first of them. */
static int two_free_ports(void)
{
	for (int p = 20000 + getpid() % 20000; p < 65000; p += 7) {
		int a = bind_port(p, 0), b = a >= 0 ? bind_port(p + 1, 0) : -1;
		if (a >= 0)
			close(a);
		if (b >= 0) {
			close(b);
			return p;
		}
	}
	ck_abort_msg("no two free ports");
	return 0;
}

START_TEST(bad_range)
{
	const char *sets[] = { "plugins.runtime_process.ports=abc", NULL };
	trt_open(sets);
	trt_expect_error("runtime.ensure", "{\"service\": \"api\", \"env\": \"dev\"}",
	                 P "ensure: plugins.runtime_process.ports must be LO-HI (e.g. 20000-20999), "
	                 "not 'abc'");
	ck_assert(!trt_exists("runtime/haproxy/services.json"));
}
END_TEST

START_TEST(range_in_use)
{
	int p = two_free_ports(), s = bind_port(p, 1);
	char set[80], msg[400];
	ck_assert_int_ge(s, 0);
	snprintf(set, sizeof set, "plugins.runtime_process.ports=%d-%d", p, p);
	const char *sets[] = { set, NULL };
	trt_open(sets);
	snprintf(msg, sizeof msg, P "ensure: no free port for the front door of dev/api: every port "
	         "of plugins.runtime_process.ports (%d-%d) on 127.0.0.1 is in use; widen the range "
	         "or stop what holds them", p, p);
	trt_expect_error("runtime.ensure", "{\"service\": \"api\", \"env\": \"dev\"}", msg);
	ck_assert(!trt_exists("runtime/haproxy/services.json"));
	close(s);
}
END_TEST

START_TEST(held_ports_are_skipped)
{
	int p = two_free_ports();
	char set[80], path[600], msg[400], args[300];
	FILE *f;
	snprintf(set, sizeof set, "plugins.runtime_process.ports=%d-%d", p, p + 1);
	const char *sets[] = { set, NULL };
	trt_open(sets);
	/* port p is a front door of the home (recorded, not bound now) */
	snprintf(path, sizeof path, "%s/runtime", trt_home);
	ck_assert_int_eq(mkdir(trt_home, 0700) == 0 || 1, 1);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/runtime/haproxy", trt_home);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/runtime/haproxy/services.json", trt_home);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "{\"dev/front\": {\"service\": \"front\", \"env\": \"dev\", \"port\": %d}}\n", p);
	fclose(f);
	json_t *res = NULL;
	char *err = NULL;
	const char *start = "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v1\", "
	                    "\"dir\": \"/\", \"argv\": [\"sleep\", \"60\"]}";
	ck_assert_msg(trt_call("runtime.start", start, &res, &err) == 0, "start: %s", err);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "port")), p + 1);
	snprintf(args, sizeof args, "127.0.0.1:%d", p + 1);
	ck_assert_str_eq(json_string_value(json_object_get(res, "address")), args);
	json_decref(res);
	/* both ports are held now: the next replica has none */
	snprintf(msg, sizeof msg, P "start: no free port for a replica of dev/api: every port of "
	         "plugins.runtime_process.ports (%d-%d) on 127.0.0.1 is in use; widen the range or "
	         "stop what holds them", p, p + 1);
	trt_expect_error("runtime.start", start, msg);
	ck_assert_int_eq(trt_call("runtime.status", "{\"service\": \"api\"}", &res, NULL), 0);
	ck_assert_int_eq(json_array_size(json_object_get(json_array_get(res, 0), "replicas")), 1);
	json_decref(res);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime_process net");
	TCase *tc = tcase_create("ports");
	tcase_add_checked_fixture(tc, trt_setup, trt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bad_range);
	tcase_add_test(tc, range_in_use);
	tcase_add_test(tc, held_ports_are_skipped);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
