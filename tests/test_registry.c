/*
 * test_registry.c -- Check suite for host/registry.c: providers, observer
 * chains in priority order, vetoes, after: observers, ownership of hook
 * data, and the messages a user sees when a call cannot be made.
 *
 * The host is built by hand (calloc + pv_registry_init): no PAVED_HOME, no
 * state database, no plugins; "plugins" are fake pv_plugin records.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testutil.h"

static pv_host *h;
static int freed;          /* free_data calls */
static json_t *trace;      /* what the hook functions saw, in order */

static void setup(void)
{
	h = calloc(1, sizeof *h);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(pv_registry_init(h), PAVED_OK);
	h->self = (struct paved_ctx){ h, NULL };
	h->verbosity = -1;     /* keep the log quiet */
	freed = 0;
	trace = json_array();
}

static void free_plugins(void)
{
	struct pv_plugin *p = h->plugins, *next;
	for (; p; p = next) {
		next = p->next;
		free(p->name), free(p->path), free(p->error);
		free(p);
	}
	h->plugins = h->plugins_tail = NULL;
}

static void teardown(void)
{
	pv_registry_free(h);
	free_plugins();
	json_decref(h->shapes);   /* parsed by the first call of a front */
	free(h);
	json_decref(trace);
}

/* A fake plugin record appended to the host's list. */
static struct pv_plugin *fake_plugin(const char *name, enum pv_plugin_status st)
{
	struct pv_plugin *p = calloc(1, sizeof *p);
	ck_assert_ptr_nonnull(p);
	p->ctx = (struct paved_ctx){ h, p };
	p->name = strdup(name);
	p->path = tu_join("/plugins", name);
	p->status = st;
	if (h->plugins_tail)
		h->plugins_tail->next = p;
	else
		h->plugins = p;
	h->plugins_tail = p;
	return p;
}

static void count_free(void *data)
{
	(void)data;
	freed++;
}

/* Provider: {"echo": ARGS}; records "provider". */
static int echo(paved_ctx *hh, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)errmsg, (void)data;
	json_array_append_new(trace, json_string("provider"));
	*result = json_pack("{sO}", "echo", args);
	return PAVED_OK;
}

/* Observer: records its tag (DATA, a string). */
static int tag(paved_ctx *hh, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)args, (void)result, (void)errmsg;
	json_array_append_new(trace, json_string(data));
	return PAVED_OK;
}

/* before: observer that refuses "mallory" with PAVED_VETO. */
static int policy(paved_ctx *hh, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)result, (void)data;
	json_array_append_new(trace, json_string("policy"));
	const char *who = json_string_value(json_object_get(args, "name"));
	if (who && strcmp(who, "mallory") == 0) {
		pv_seterr(errmsg, "mallory may not be greeted (ticket SEC-42)");
		return PAVED_VETO;
	}
	return PAVED_OK;
}

/* Fails with the message in DATA (or none when DATA is NULL). */
static int failing(paved_ctx *hh, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)args;
	*result = json_string("handed back beside the error");
	json_array_append_new(trace, json_string("fail"));
	if (data)
		pv_seterr(errmsg, "%s", (const char *)data);
	return PAVED_ERR;
}

/* after: observer: keeps a copy of what it was given. */
static int keep(paved_ctx *hh, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)result, (void)errmsg, (void)data;
	json_array_append(trace, args);
	return PAVED_OK;
}

/* Provider that returns PAVED_OK and no result. */
static int nothing(paved_ctx *hh, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)args, (void)result, (void)errmsg, (void)data;
	return PAVED_OK;
}

static const char *trace_at(size_t i)
{
	return json_string_value(json_array_get(trace, i));
}

/* ---- provide and call ------------------------------------------------- */

START_TEST(test_provide_and_call)
{
	char *err = NULL;
	json_t *res = NULL, *args = json_pack("{ss}", "name", "ada");
	ck_assert_int_eq(pv_provide(h, NULL, "test.echo", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.echo", args, &res, &err), PAVED_OK);
	ck_assert_ptr_null(err);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(res, "echo"), "name")),
	                 "ada");
	/* args is borrowed: the provider's result holds the only extra ref */
	ck_assert_int_eq(args->refcount, 2);
	json_decref(res);
	ck_assert_int_eq(args->refcount, 1);
	json_decref(args);
}
END_TEST

START_TEST(test_call_null_args_is_empty_object)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.echo", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.echo", NULL, &res, &err), PAVED_OK);
	ck_assert(json_is_object(json_object_get(res, "echo")));
	ck_assert_int_eq(json_object_size(json_object_get(res, "echo")), 0);
	json_decref(res);
}
END_TEST

START_TEST(test_no_result_is_json_null)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.nothing", nothing, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.nothing", NULL, &res, &err), PAVED_OK);
	ck_assert(json_is_null(res));
	json_decref(res);
}
END_TEST

START_TEST(test_resolve_once_call_many)
{
	char *err = NULL;
	json_t *res = NULL;
	struct paved_hook *hk = pv_api.resolve(&h->self, "test.later");
	ck_assert_ptr_nonnull(hk);
	ck_assert_ptr_eq(pv_api.resolve(&h->self, "test.later"), hk);
	/* resolving before anyone provides it is fine; calling says so */
	ck_assert_int_eq(pv_call_hook(h, hk, NULL, &res, &err), PAVED_NOHOOK);
	ck_assert_ptr_null(res);
	free(err), err = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.later", echo, NULL, NULL, &err), PAVED_OK);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pv_call_hook(h, hk, NULL, &res, &err), PAVED_OK);
		json_decref(res);
	}
	ck_assert_int_eq(json_array_size(trace), 3);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_provider_error_prefixed)
{
	char *err = NULL;
	json_t *res = NULL;
	struct pv_plugin *p = fake_plugin("alpha", PV_PLUGIN_LOADED);
	ck_assert_int_eq(pv_provide(h, p, "test.fail", failing, "the disk is full", NULL, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.fail", NULL, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "alpha: test.fail: the disk is full");
	/* ABI 2: a failing provider's result reaches the caller beside the error */
	ck_assert_str_eq(json_string_value(res), "handed back beside the error");
	json_decref(res);
	free(err);
}
END_TEST

START_TEST(test_provider_error_without_message)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.fail", failing, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.fail", NULL, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "paved: test.fail: failed (no message given)");
	json_decref(res);
	free(err);
}
END_TEST

START_TEST(test_no_provider_no_plugins)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_call(h, "nope.x", NULL, &res, &err), PAVED_NOHOOK);
	ck_assert_str_eq(err, "no plugin provides 'nope.x'; no plugins are loaded "
	                 "(see `paved plugins`)");
	free(err);
}
END_TEST

START_TEST(test_no_provider_lists_loaded)
{
	char *err = NULL;
	json_t *res = NULL;
	fake_plugin("alpha", PV_PLUGIN_LOADED);
	fake_plugin("broken", PV_PLUGIN_FAILED);
	fake_plugin("beta", PV_PLUGIN_CACHED);
	fake_plugin("alpha2", PV_PLUGIN_SHADOWED);
	ck_assert_int_eq(pv_call(h, "nope", NULL, &res, &err), PAVED_NOHOOK);
	ck_assert_str_eq(err, "no plugin provides 'nope'; loaded plugins: alpha, beta");
	free(err);
}
END_TEST

START_TEST(test_invalid_hook_names)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_call(h, "has space", NULL, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "invalid hook name 'has space'");
	ck_assert_int_eq(pv_call(h, "", NULL, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "invalid hook name ''");
	ck_assert_int_eq(pv_provide(h, NULL, "before:x.y", echo, NULL, count_free, &err),
	                 PAVED_ERR);
	ck_assert_str_eq(err, "provide: invalid hook name 'before:x.y'");
	ck_assert_int_eq(pv_observe(h, NULL, "x.y", 0, tag, "t", count_free, &err), PAVED_ERR);
	ck_assert_str_eq(err, "observe: invalid hook name 'x.y' (use before:HOOK, after:HOOK "
	                 "or event:NAME)");
	ck_assert_int_eq(pv_provide(h, NULL, "x.y", NULL, NULL, count_free, &err), PAVED_ERR);
	ck_assert(tu_contains(err, "provide: invalid hook name 'x.y'"));
	ck_assert_int_eq(freed, 3);   /* DATA is the registry's even on failure */
	free(err);
}
END_TEST

/* ---- provider taken twice, ownership of data --------------------------- */

START_TEST(test_provider_taken_twice)
{
	char *err = NULL;
	json_t *res = NULL;
	struct pv_plugin *a = fake_plugin("dupa", PV_PLUGIN_LOADED);
	struct pv_plugin *b = fake_plugin("dupb", PV_PLUGIN_LOADED);
	ck_assert_int_eq(pv_provide(h, a, "test.dup", echo, NULL, count_free, &err), PAVED_OK);
	ck_assert_int_eq(pv_provide(h, b, "test.dup", failing, "x", count_free, &err), PAVED_ERR);
	ck_assert_str_eq(err, "provider 'test.dup' is already taken by plugin 'dupa' from "
	                 "/plugins/dupa");
	ck_assert(b->conflict);
	ck_assert_int_eq(freed, 1);   /* the refused registration's data */
	/* the first provider still answers */
	ck_assert_int_eq(pv_call(h, "test.dup", NULL, &res, &err), PAVED_OK);
	json_decref(res);
	free(err), err = NULL;
	/* the host's own provider is named "paved" */
	ck_assert_int_eq(pv_provide(h, NULL, "test.host", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_provide(h, NULL, "test.host", echo, NULL, NULL, &err), PAVED_ERR);
	ck_assert_str_eq(err, "provider 'test.host' is already taken by plugin 'paved'");
	free(err);
}
END_TEST

START_TEST(test_free_data_at_teardown)
{
	char *err = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.a", echo, NULL, count_free, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "before:test.a", 1, tag, "b", count_free, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "after:test.a", 1, tag, "c", count_free, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "event:*", 1, tag, "d", NULL, &err), PAVED_OK);
	ck_assert_int_eq(freed, 0);
	pv_registry_free(h);
	ck_assert_int_eq(freed, 3);
	ck_assert_ptr_null(h->hooks);
	ck_assert_int_eq(pv_registry_init(h), PAVED_OK);  /* for teardown */
}
END_TEST

START_TEST(test_unregister_plugin)
{
	char *err = NULL;
	json_t *res = NULL;
	struct pv_plugin *a = fake_plugin("alpha", PV_PLUGIN_LOADED);
	struct pv_plugin *b = fake_plugin("beta", PV_PLUGIN_LOADED);
	ck_assert_int_eq(pv_provide(h, a, "test.a", echo, NULL, count_free, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, a, "before:test.b", 1, tag, "a1", count_free, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_provide(h, b, "test.b", echo, NULL, count_free, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, b, "before:test.b", 2, tag, "b1", count_free, &err),
	                 PAVED_OK);
	pv_unregister_plugin(h, a);
	ck_assert_int_eq(freed, 2);
	ck_assert_int_eq(pv_call(h, "test.a", NULL, &res, &err), PAVED_NOHOOK);
	free(err), err = NULL;
	ck_assert_int_eq(pv_call(h, "test.b", NULL, &res, &err), PAVED_OK);
	json_decref(res);
	ck_assert_int_eq(json_array_size(trace), 2);
	ck_assert_str_eq(trace_at(0), "b1");
	ck_assert_str_eq(trace_at(1), "provider");
}
END_TEST

/* ---- observer chains ---------------------------------------------------- */

START_TEST(test_observer_priority_order)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.x", echo, NULL, NULL, &err), PAVED_OK);
	/* equal priorities run in registration order */
	static const struct { int prio; const char *tag; } obs[] = {
		{ 10, "10-first" }, { -5, "-5" }, { 10, "10-second" }, { 0, "0-first" },
		{ 100, "100" }, { 0, "0-second" }, { 10, "10-third" },
	};
	for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
		ck_assert_int_eq(pv_observe(h, NULL, "before:test.x", obs[i].prio, tag,
		                            (void *)obs[i].tag, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.x", NULL, &res, &err), PAVED_OK);
	json_decref(res);
	static const char *const want[] = { "-5", "0-first", "0-second", "10-first",
	                                    "10-second", "10-third", "100", "provider" };
	ck_assert_int_eq(json_array_size(trace), 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_str_eq(trace_at(i), want[i]);
}
END_TEST

START_TEST(test_before_veto_reaches_caller)
{
	char *err = NULL;
	json_t *res = NULL, *args = json_pack("{ss}", "name", "mallory");
	struct pv_plugin *p = fake_plugin("policy", PV_PLUGIN_LOADED);
	ck_assert_int_eq(pv_provide(h, NULL, "example.hello", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "before:example.hello", 0, tag, "early", NULL, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_observe(h, p, "before:example.hello", 5, policy, NULL, NULL, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "before:example.hello", 9, tag, "late", NULL, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "after:example.hello", 0, tag, "after", NULL, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_call(h, "example.hello", args, &res, &err), PAVED_VETO);
	ck_assert_str_eq(err, "policy: before:example.hello: mallory may not be greeted "
	                 "(ticket SEC-42)");
	ck_assert_ptr_null(res);
	/* the chain stopped: neither later observers nor the provider ran */
	ck_assert_int_eq(json_array_size(trace), 2);
	ck_assert_str_eq(trace_at(0), "early");
	ck_assert_str_eq(trace_at(1), "policy");
	free(err), err = NULL;
	/* anyone else passes */
	json_object_set_new(args, "name", json_string("ada"));
	ck_assert_int_eq(pv_call(h, "example.hello", args, &res, &err), PAVED_OK);
	ck_assert_ptr_null(err);
	json_decref(res);
	json_decref(args);
}
END_TEST

START_TEST(test_before_error_is_a_veto)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.x", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "before:test.x", 0, failing, "quota exceeded", NULL,
	                            &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.x", NULL, &res, &err), PAVED_VETO);
	ck_assert_str_eq(err, "paved: before:test.x: quota exceeded");
	ck_assert_int_eq(json_array_size(trace), 1);
	free(err);
}
END_TEST

START_TEST(test_after_sees_args_and_result)
{
	char *err = NULL;
	json_t *res = NULL, *args = json_pack("{si}", "n", 7);
	ck_assert_int_eq(pv_provide(h, NULL, "test.x", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "after:test.x", 0, keep, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.x", args, &res, &err), PAVED_OK);
	ck_assert_int_eq(json_array_size(trace), 2);
	json_t *seen = json_array_get(trace, 1);
	ck_assert(json_equal(json_object_get(seen, "args"), args));
	ck_assert(json_equal(json_object_get(seen, "result"), res));
	json_decref(res);
	json_decref(args);
}
END_TEST

START_TEST(test_after_error_does_not_fail_call)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(pv_provide(h, NULL, "test.x", echo, NULL, NULL, &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "after:test.x", 0, failing, "audit log full", NULL,
	                            &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "after:test.x", 1, tag, "after-2", NULL, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_call(h, "test.x", NULL, &res, &err), PAVED_OK);
	ck_assert_ptr_null(err);
	ck_assert_ptr_nonnull(json_object_get(res, "echo"));
	ck_assert_int_eq(json_array_size(trace), 3);   /* provider, failing, after-2 */
	ck_assert_str_eq(trace_at(2), "after-2");
	json_decref(res);
}
END_TEST

START_TEST(test_api_table)
{
	ck_assert_uint_eq(pv_api.abi, PAVED_ABI_VERSION);
	ck_assert_uint_eq(pv_api.size, sizeof(struct paved_api));
	char *err = NULL;
	ck_assert_int_eq(pv_api.error(&err, "x=%d", 3), PAVED_ERR);
	ck_assert_str_eq(err, "x=3");
	ck_assert_int_eq(pv_api.error(&err, "replaced"), PAVED_ERR);  /* frees the old one */
	ck_assert_str_eq(err, "replaced");
	free(err);
	ck_assert_int_eq(pv_api.error(NULL, "ignored"), PAVED_ERR);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("calls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_provide_and_call);
	tcase_add_test(tc, test_call_null_args_is_empty_object);
	tcase_add_test(tc, test_no_result_is_json_null);
	tcase_add_test(tc, test_resolve_once_call_many);
	tcase_add_test(tc, test_api_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_provider_error_prefixed);
	tcase_add_test(tc, test_provider_error_without_message);
	tcase_add_test(tc, test_no_provider_no_plugins);
	tcase_add_test(tc, test_no_provider_lists_loaded);
	tcase_add_test(tc, test_invalid_hook_names);
	tcase_add_test(tc, test_provider_taken_twice);
	tcase_add_test(tc, test_free_data_at_teardown);
	tcase_add_test(tc, test_unregister_plugin);
	suite_add_tcase(s, tc);

	tc = tcase_create("chains");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_observer_priority_order);
	tcase_add_test(tc, test_before_veto_reaches_caller);
	tcase_add_test(tc, test_before_error_is_a_veto);
	tcase_add_test(tc, test_after_sees_args_and_result);
	tcase_add_test(tc, test_after_error_does_not_fail_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
