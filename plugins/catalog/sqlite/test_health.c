/*
 * test_health.c -- live state in the catalog (health.c): from the
 * runtime's replicas, the deploy plugin's records and metrics.red, each
 * optional; `catalog show` and the fleet view `catalog list --health`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "glue.h"
#include "test_util.h"

#define H "apiVersion: backstage.io/v1alpha1\n"

static void setup(void)
{
	tdb_setup();
	tput(H "kind: Component\nmetadata: {name: shop}\nspec: {type: service, lifecycle: production,"
	     " owner: team-a}\n---\n" H "kind: Component\nmetadata: {name: idle}\nspec: {type: service,"
	     " lifecycle: production, owner: team-a}\n---\n" H "kind: Component\nmetadata:"
	     " {name: Odd.Name}\nspec: {type: library, lifecycle: production, owner: team-a}\n");
	fake_results = json_object();
	fake_state = json_object();
	fake_calls = json_array();
}

static void teardown(void)
{
	json_decref(fake_results), json_decref(fake_state), json_decref(fake_calls);
	fake_results = fake_state = fake_calls = NULL;
	tdb_teardown();
}

/* The runtime answers: shop runs in dev, one of two replicas healthy. */
static void runtime_up(void)
{
	json_object_set_new(fake_results, "runtime.status", json_loads(
		"[{\"service\": \"shop\", \"env\": \"dev\", \"url\": \"http://127.0.0.1:8123\","
		" \"running\": true, \"replicas\": ["
		"{\"id\": \"r1\", \"version\": \"3f2a9c1d0e4b5a6f\", \"enabled\": true, \"healthy\": true},"
		"{\"id\": \"r2\", \"version\": \"3f2a9c1d0e4b5a6f\", \"enabled\": true, \"healthy\": false},"
		"{\"id\": \"r0\", \"version\": \"old\", \"enabled\": false, \"healthy\": true}]}]", 0, NULL));
	json_object_set_new(fake_state, "deploy", json_loads(
		"{\"current/dev/shop\": {\"id\": \"d2\", \"version\": \"3f2a9c1d0e4b5a6f\","
		" \"end\": 1764939600.5, \"strategy\": \"rolling\", \"outcome\": \"success\"},"
		" \"last/dev/shop\": {\"id\": \"d3\", \"version\": \"badbadbadbad\", \"end\": 1764943200,"
		" \"outcome\": \"failed\"}}", 0, NULL));
}

static json_t *entity(const char *ref)
{
	json_t *e = cat_get(&tdb, ref);
	ck_assert_ptr_nonnull(e);
	return e;
}

START_TEST(test_no_runtime)
{
	json_t *e = entity("component:default/shop"), *h = health_of(NULL, e, NULL, true);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "unknown");
	ck_assert(tcontains(json_object_get(h, "notes"), "health unknown: no runtime plugin is "
	                    "installed (runtime.status)"));
	json_decref(h), json_decref(e);
}
END_TEST

START_TEST(test_live_state)
{
	runtime_up();
	json_t *e = entity("component:default/shop"), *h = health_of(NULL, e, NULL, true);
	json_t *dev = json_array_get(json_object_get(h, "envs"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "degraded");
	ck_assert_str_eq(json_string_value(json_object_get(dev, "url")), "http://127.0.0.1:8123");
	ck_assert_str_eq(json_string_value(json_object_get(dev, "version")), "3f2a9c1d0e4b5a6f");
	ck_assert_str_eq(json_string_value(json_object_get(dev, "deployed_at")), "2025-12-05T13:00:00Z");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(dev, "replicas"),
	                 "in_traffic")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(dev, "last_attempt"),
	                 "outcome")), "failed");
	/* no metrics plugin: said, not an error */
	ck_assert(tcontains(json_object_get(h, "notes"), "error rate and latency: unknown (no plugin "
	                    "provides metrics.red)"));
	json_decref(h);
	/* a metrics plugin answers metrics.red {service, env} */
	json_object_set_new(fake_results, "metrics.red", json_pack("{s:f, s:f}", "error_rate", 0.02,
	                    "latency_p99_ms", 45.0));
	json_array_clear(fake_calls);
	h = health_of(NULL, e, "dev", true);
	dev = json_array_get(json_object_get(h, "envs"), 0);
	ck_assert(json_real_value(json_object_get(json_object_get(dev, "metrics"), "error_rate")) == 0.02);
	ck_assert_int_eq(json_array_size(json_object_get(h, "notes")), 0);
	json_t *call = json_array_get(fake_calls, 0);
	ck_assert_str_eq(json_string_value(json_object_get(call, "hook")), "runtime.status");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(call, "args"), "env")), "dev");
	json_decref(h), json_decref(e);
	/* all replicas healthy: healthy; a service the runtime does not know */
	json_object_set_new(fake_results, "runtime.status", json_loads("[{\"service\": \"shop\","
		" \"env\": \"dev\", \"running\": true, \"replicas\": [{\"id\": \"r1\", \"version\": \"v\","
		" \"enabled\": true, \"healthy\": true}]}]", 0, NULL));
	e = entity("component:default/shop");
	h = health_of(NULL, e, NULL, false);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "healthy");
	json_decref(h), json_decref(e);
	json_object_set_new(fake_results, "runtime.status", json_array());
	e = entity("component:default/idle");
	h = health_of(NULL, e, NULL, false);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "not deployed");
	json_decref(h), json_decref(e);
	/* a name that cannot be a service is not asked about */
	e = entity("component:default/odd.name");
	h = health_of(NULL, e, NULL, false);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "unknown");
	json_decref(h), json_decref(e);
}
END_TEST

START_TEST(test_runtime_fails)
{
	json_object_set_new(fake_results, "runtime.status", json_pack("{s:s}", "error",
	                    "no driver 'k8s' for area runtime"));
	json_t *e = entity("component:default/shop"), *h = health_of(NULL, e, NULL, false);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "unknown");
	ck_assert(tcontains(json_object_get(h, "notes"), "health unknown: no driver 'k8s'"));
	json_decref(h), json_decref(e);
}
END_TEST

/* Run `paved catalog ARGV...` (a JSON array text) through the plugin's
 * command; stdout into OUT (static), the exit status returned. */
static int run_cli(const char *argv, bool json, const char **out)
{
	static char buf[16384];
	extern const struct paved_plugin catalog_LTX_paved_plugin;
	char path[600], *err = NULL;
	json_t *r = NULL, *args = json_pack("{s:o, s:b}", "argv", json_loads(argv, 0, NULL), "json",
	                                    json);
	snprintf(path, sizeof path, "%s/stdout", tdir);
	fflush(stdout);
	int saved = dup(1), fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	dup2(fd, 1);
	close(fd);
	int rc = cat_cli(NULL, args, &r, &err, NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	FILE *f = fopen(path, "r");
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	int code = (int)json_integer_value(json_object_get(r, "exit"));
	ck_assert_int_eq(rc, code ? (err ? PAVED_ERR : PAVED_OK) : PAVED_OK);
	(void)catalog_LTX_paved_plugin;
	free(err), json_decref(r), json_decref(args);
	return code;
}

START_TEST(test_show_and_fleet)
{
	const char *out;
	runtime_up();
	ck_assert_int_eq(run_cli("[\"show\", \"shop\"]", false, &out), 0);
	ck_assert_msg(strstr(out, "  health       degraded (dev, 1/2 replicas in traffic healthy)  "
	                     "http://127.0.0.1:8123\n"), "%s", out);
	ck_assert_msg(strstr(out, "  version      3f2a9c1d0e4b  deployed 2025-12-05T13:00:00Z "
	                     "(rolling)\n"), "%s", out);
	ck_assert_msg(strstr(out, "last deploy failed: badbadbadbad at 2025-12-05T14:00:00Z"), "%s", out);
	ck_assert_int_eq(run_cli("[\"show\", \"shop\"]", true, &out), 0);
	json_t *j = json_loads(out, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "health"), "status")),
	                 "degraded");
	json_decref(j);
	ck_assert_int_eq(run_cli("[\"list\", \"--health\"]", false, &out), 0);
	ck_assert_msg(strstr(out, "component:default/shop"), "%s", out);
	ck_assert_msg(strstr(out, "degraded     1/2       3f2a9c1d0e4b  http://127.0.0.1:8123"),
	              "%s", out);
	ck_assert_msg(strstr(out, "component:default/idle                   -          not deployed"),
	              "%s", out);
	ck_assert_int_eq(run_cli("[\"list\", \"--health\"]", true, &out), 0);
	j = json_loads(out, 0, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(j, "services")), 3);
	json_decref(j);
	/* one runtime.status call for the whole fleet */
	size_t calls = 0, i;
	json_t *x;
	json_array_foreach(fake_calls, i, x)
		calls += !strcmp(json_string_value(json_object_get(x, "hook")), "runtime.status");
	ck_assert_int_eq(calls, 4);   /* one per command: two shows, two fleet views */
}
END_TEST

Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("health");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_runtime);
	tcase_add_test(tc, test_live_state);
	tcase_add_test(tc, test_runtime_fails);
	tcase_add_test(tc, test_show_and_fleet);
	suite_add_tcase(s, tc);
	return s;
}
