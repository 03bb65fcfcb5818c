/*
 * test_shapes.c -- the declared hooks (sdk/hooks.json) and the fronts of
 * the driver areas (host/shapes.c): which driver a front picks, what it
 * says when there is none, and the shape checks.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *err;
static pv_host *h;

/* A driver: answers {"driver": DATA, "args": ARGS}; fails when the args
 * say "fail" (handing back a result beside the error). */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx;
	if (json_is_true(json_object_get(args, "fail"))) {
		*result = json_pack("{ss}", "outcome", "rolled_back");
		return pv_seterr(errmsg, "replica r2 never became healthy");
	}
	*result = json_pack("{ss sO}", "driver", (const char *)data, "args", args);
	return PAVED_OK;
}

/* Open a host on a fresh home with the configuration SETS. */
static void open_with(const char *const *sets, size_t n)
{
	struct pv_host_opts o = { .home = tmp, .no_plugins = true, .verbosity = -1,
	                          .sets = sets, .nsets = n };
	int code;
	ck_assert_msg(pv_host_open(&o, &h, &err, &code) == PAVED_OK, "%s", err);
}

static void provide(const char *hook, const char *name)
{
	ck_assert_int_eq(pv_provide(h, NULL, hook, driver, (void *)name, NULL, &err), PAVED_OK);
}

static void setup(void)
{
	tu_isolate_env();
	tmp = tu_mkdtemp();
	h = NULL;
	err = NULL;
}

static void teardown(void)
{
	pv_host_close(h);
	free(err);
	tu_rm_rf(tmp);
	free(tmp);
}

/* Call HOOK with ARGS (JSON text); returns the driver that answered (a
 * static copy) or NULL with err set, and the status in *RC. */
static const char *call(const char *hook, const char *args, int *rc)
{
	static char who[64];
	json_t *a = json_loads(args, 0, NULL), *res = NULL;
	ck_assert_ptr_nonnull(a);
	free(err), err = NULL;
	*rc = pv_call(h, hook, a, &res, &err);
	json_decref(a);
	const char *d = json_string_value(json_object_get(res, "driver"));
	snprintf(who, sizeof who, "%s", d ? d : "");
	json_decref(res);
	return *rc == PAVED_OK ? who : NULL;
}

START_TEST(test_pick_by_env_and_config)
{
	const char *sets[] = { "drivers.runtime={\"default\": \"a\", \"qa\": \"b\"}" };
	int rc;
	open_with(sets, 1);
	provide("runtime.driver.a.status", "a");
	provide("runtime.driver.b.status", "b");
	ck_assert_str_eq(call("runtime.status", "{\"env\": \"dev\"}", &rc), "a");
	ck_assert_str_eq(call("runtime.status", "{\"env\": \"qa\"}", &rc), "b");
	ck_assert_str_eq(call("runtime.status", "{}", &rc), "a");      /* env defaults to dev */
	ck_assert_str_eq(call("runtime.status", "{\"env\": \"qa\", \"driver\": \"a\"}", &rc), "a");
}
END_TEST

START_TEST(test_pick_by_selector_and_default)
{
	int rc;
	open_with(NULL, 0);
	provide("deploy.driver.rolling.run", "rolling");
	provide("deploy.driver.canary.run", "canary");
	ck_assert_str_eq(call("deploy.run", "{}", &rc), "rolling");       /* declared default */
	ck_assert_str_eq(call("deploy.run", "{\"strategy\": \"canary\"}", &rc), "canary");
}
END_TEST

START_TEST(test_pick_by_type)
{
	int rc;
	const char *sets[] = { "drivers.provision.postgres.qa=\"fake\"" };
	open_with(sets, 1);
	provide("provision.driver.postgres-local.create", "postgres-local");
	provide("provision.driver.terraform.create", "terraform");
	provide("provision.driver.fake.create", "fake");
	ck_assert_str_eq(call("provision.create", "{\"resource\": {\"type\": \"postgres\", "
	                      "\"env\": \"dev\"}}", &rc), "postgres-local");
	ck_assert_str_eq(call("provision.create", "{\"resource\": {\"type\": \"redis\", "
	                      "\"env\": \"production\"}}", &rc), "terraform");
	ck_assert_str_eq(call("provision.create", "{\"resource\": {\"type\": \"postgres\", "
	                      "\"env\": \"qa\"}}", &rc), "fake");
	ck_assert_ptr_null(call("provision.create", "{\"resource\": {\"type\": \"mysql\", "
	                        "\"env\": \"dev\"}}", &rc));
	ck_assert_str_eq(err, "no provision driver for resource.type 'mysql' in env 'dev': set "
	                 "drivers.provision.mysql.dev (or drivers.provision.mysql.default)");
	ck_assert_ptr_null(call("provision.create", "{\"resource\": {}}", &rc));
	ck_assert_str_eq(err, "argument 'resource.type' (a string) is required to choose a "
	                 "provision driver");
}
END_TEST

START_TEST(test_missing_driver_and_verb)
{
	int rc;
	const char *sets[] = { "drivers.runtime.production=\"kubernetes\"" };
	open_with(sets, 1);
	provide("runtime.driver.process.status", "process");
	ck_assert_ptr_null(call("runtime.status", "{\"env\": \"production\"}", &rc));
	ck_assert_int_eq(rc, PAVED_NOHOOK);
	ck_assert_str_eq(err, "no runtime driver 'kubernetes' is installed (chosen by "
	                 "drivers.runtime); installed runtime drivers: process");
	ck_assert_ptr_null(call("runtime.stop", "{\"all\": true}", &rc));
	ck_assert_int_eq(rc, PAVED_NOHOOK);
	ck_assert_str_eq(err, "the runtime driver 'process' (chosen by the default runtime "
	                 "driver) does not implement 'stop'");
	ck_assert_ptr_null(call("runtime.status", "{\"driver\": \"../x\"}", &rc));
	ck_assert_str_eq(err, "invalid runtime driver name '../x' (from the argument 'driver')");
	/* a hook that is no front stays "no plugin provides" */
	ck_assert_ptr_null(call("runtime.nosuchverb", "{}", &rc));
	ck_assert_int_eq(rc, PAVED_NOHOOK);
	ck_assert(tu_contains(err, "no plugin provides 'runtime.nosuchverb'"));
}
END_TEST

START_TEST(test_errors_and_results_pass_through)
{
	json_t *res = NULL;
	open_with(NULL, 0);
	provide("deploy.driver.rolling.run", "rolling");
	json_t *a = json_pack("{sb}", "fail", 1);
	ck_assert_int_eq(pv_call(h, "deploy.run", a, &res, &err), PAVED_ERR);
	/* the driver's words, prefixed once (by its hook), not by the front */
	ck_assert_str_eq(err, "paved: deploy.driver.rolling.run: replica r2 never became healthy");
	ck_assert_str_eq(json_string_value(json_object_get(res, "outcome")), "rolled_back");
	json_decref(res), json_decref(a);
}
END_TEST

START_TEST(test_shape_checks)
{
	json_t *res = NULL;
	open_with(NULL, 0);
	h->check_shapes = true;
	provide("runtime.driver.process.start", "process");
	json_t *a = json_pack("{ss ss ss ss}", "service", "api", "env", "dev", "version", "v1",
	                      "dir", "/srv");
	ck_assert_int_eq(pv_call(h, "runtime.start", a, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "paved: runtime.start: does not match the declared shape "
	                 "(sdk/hooks.json): args.argv is required");
	json_decref(res), free(err), err = NULL;
	json_object_set_new(a, "argv", json_pack("[s]", "node"));
	json_object_set_new(a, "service", json_string("Not A Name"));
	ck_assert_int_eq(pv_call(h, "runtime.start", a, &res, &err), PAVED_ERR);
	ck_assert(tu_contains(err, "args.service \"Not A Name\" does not match "));
	json_decref(res), free(err), err = NULL;
	/* the driver's result {"driver", "args"} lacks the required "id" */
	json_object_set_new(a, "service", json_string("api"));
	ck_assert_int_eq(pv_call(h, "runtime.start", a, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "paved: runtime.driver.process.start: does not match the declared "
	                 "shape (sdk/hooks.json): result.id is required");
	json_decref(res), json_decref(a);
}
END_TEST

/* Every $ref in S resolves in DEFS. */
static void refs_resolve(json_t *defs, json_t *s, const char *where)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_array(s))
		json_array_foreach(s, i, v)
			refs_resolve(defs, v, where);
	if (!json_is_object(s))
		return;
	const char *ref = json_string_value(json_object_get(s, "$ref"));
	if (ref)
		ck_assert_msg(strncmp(ref, "#/definitions/", 14) == 0 &&
		              json_object_get(defs, ref + 14), "%s: bad $ref %s", where, ref);
	json_object_foreach(s, k, v)
		refs_resolve(defs, v, where);
}

START_TEST(test_declarations_are_complete)
{
	const char *area, *verb;
	json_t *a, *v;
	open_with(NULL, 0);
	json_t *doc = pv_shapes(h);
	json_t *defs = json_object_get(doc, "definitions");
	static const char *const areas[] = { "runtime", "forge", "deploy", "provision",
	                                     "monitoring", "analysis", NULL };
	for (size_t i = 0; areas[i]; i++)
		ck_assert_msg(json_object_get(json_object_get(doc, "areas"), areas[i]),
		              "area %s is not declared", areas[i]);
	json_object_foreach(json_object_get(doc, "areas"), area, a) {
		ck_assert_msg(json_string_value(json_object_get(a, "summary")), "%s: no summary", area);
		ck_assert_msg(json_object_size(json_object_get(a, "verbs")) > 0, "%s: no verbs", area);
		json_object_foreach(json_object_get(a, "verbs"), verb, v) {
			ck_assert_msg(json_is_object(json_object_get(v, "args")) &&
			              json_is_object(json_object_get(v, "result")) &&
			              json_string_value(json_object_get(v, "summary")),
			              "%s.%s needs summary, args and result", area, verb);
			refs_resolve(defs, v, verb);
		}
	}
	json_object_foreach(json_object_get(doc, "hooks"), verb, v)
		refs_resolve(defs, v, verb);
	/* a driver hook has its front's shape */
	ck_assert_ptr_eq(pv_shape_of(h, "runtime.driver.anything.start"),
	                 pv_shape_of(h, "runtime.start"));
	ck_assert_ptr_null(pv_shape_of(h, "runtime.driver..start"));
	ck_assert_ptr_null(pv_shape_of(h, "catalog.nothing"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shapes");
	TCase *tc = tcase_create("shapes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pick_by_env_and_config);
	tcase_add_test(tc, test_pick_by_selector_and_default);
	tcase_add_test(tc, test_pick_by_type);
	tcase_add_test(tc, test_missing_driver_and_verb);
	tcase_add_test(tc, test_errors_and_results_pass_through);
	tcase_add_test(tc, test_shape_checks);
	tcase_add_test(tc, test_declarations_are_complete);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
