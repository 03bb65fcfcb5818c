/*
 * test_events.c -- Check suite for host/events.c: a failing sink never
 * fails the operation, its events wait in the outbox (attempts, last
 * error) and are delivered in order on a later run; sink patterns; the
 * jsonl sink writing one line per event to its default or configured file.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *home, *pdir, *dbpath;
static pv_host *h;
static char *err;

static void setup(void)
{
	tu_isolate_env();
	tmp = tu_mkdtemp();
	home = tu_join(tmp, "home");
	pdir = tu_join(tmp, "plugins");
	dbpath = tu_join(home, "paved.db");
	tu_mkdirs(pdir, 0755);
	h = NULL;
	err = NULL;
}

static void teardown(void)
{
	pv_host_close(h);
	h = NULL;
	free(err);
	tu_rm_rf(tmp);
	free(tmp), free(home), free(pdir), free(dbpath);
}

/* Open a host on HOME with the plugins of pdir only (a "run"). */
static void run_with(const char *const *sets, size_t nsets)
{
	struct pv_host_opts o = { .home = home, .no_plugins = true, .verbosity = -1,
	                          .sets = sets, .nsets = nsets };
	int code = 0;
	pv_host_close(h);
	h = NULL;
	free(err), err = NULL;
	ck_assert_msg(pv_host_open(&o, &h, &err, &code) == PAVED_OK, "open: %s", err);
	ck_assert_int_eq(pv_loader_init(&err), PAVED_OK);
	h->loader = true;
	ck_assert_int_eq(pv_load_plugins(h, pdir, &err), PAVED_OK);
	for (struct pv_plugin *p = h->plugins; p; p = p->next)
		ck_assert_msg(p->status != PV_PLUGIN_FAILED, "%s: %s", p->path, p->error);
}

static void install_jsonl(void)
{
	char *src = tu_built("plugins/sink/jsonl/.libs/jsonl.so");
	char *dst = tu_join(pdir, "jsonl.so");
	tu_copy_file(src, dst);
	free(src), free(dst);
}

/* Call test.good (which emits test.called with ARGS {"n": N}); it must
 * succeed whatever the sinks do. */
static void call_good(int n)
{
	json_t *res = NULL, *args = json_pack("{si}", "n", n);
	char *e = NULL;
	ck_assert_msg(pv_call(h, "test.good", args, &res, &e) == PAVED_OK, "call: %s", e);
	ck_assert(json_is_true(json_object_get(res, "ok")));
	json_decref(res);
	json_decref(args);
}

static char *home_file(const char *name)
{
	return tu_join(home, name);
}

static void assert_file_eq(const char *name, const char *want)
{
	char *p = home_file(name), *got = tu_read_file(p);
	ck_assert_msg(got != NULL, "%s missing", p);
	ck_assert_str_eq(got, want);
	free(got), free(p);
}

/* ---- outbox ----------------------------------------------------------- */

START_TEST(test_failing_sink_then_later_run)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "failsink"));
	const char *down[] = { "plugins.failsink.fail=true" };
	run_with(down, 1);
	call_good(1);
	call_good(2);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM events"), 2);

	json_t *rows = pv_outbox_list(h);
	ck_assert_int_eq(json_array_size(rows), 2);
	json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r0, "event_id")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(r0, "event")), "test.called");
	ck_assert_str_eq(json_string_value(json_object_get(r0, "sink")), "failsink event:*");
	ck_assert_int_eq(json_integer_value(json_object_get(r0, "attempts")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(r0, "last_error")),
	                 "failsink: event:*: sink is down (plugins.failsink.fail is true)");
	/* a sink that failed gets no later event in the same pass: order kept */
	ck_assert_int_eq(json_integer_value(json_object_get(r1, "event_id")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(r1, "attempts")), 0);
	json_decref(rows);

	int delivered = -1, pending = -1;
	ck_assert_int_eq(pv_outbox_flush(h, &delivered, &pending), PAVED_OK);
	ck_assert_int_eq(delivered, 0);
	ck_assert_int_eq(pending, 2);
	char *log = home_file("failsink.log");
	ck_assert_int_eq(access(log, F_OK), -1);
	free(log);

	/* a later run with the sink fixed delivers both, in order */
	run_with(NULL, 0);
	ck_assert_int_eq(pv_outbox_flush(h, &delivered, &pending), PAVED_OK);
	ck_assert_int_eq(delivered, 2);
	ck_assert_int_eq(pending, 0);
	assert_file_eq("failsink.log", "1 test.called\n2 test.called\n");
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM outbox"), 0);
	rows = pv_outbox_list(h);
	ck_assert_int_eq(json_array_size(rows), 0);
	json_decref(rows);
	/* delivered once only */
	ck_assert_int_eq(pv_outbox_flush(h, &delivered, &pending), PAVED_OK);
	ck_assert_int_eq(delivered, 0);
	assert_file_eq("failsink.log", "1 test.called\n2 test.called\n");
}
END_TEST

START_TEST(test_delivered_by_next_emit)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "failsink"));
	char *marker = home_file("failsink.down");
	run_with(NULL, 0);
	tu_write_file(marker, "");
	call_good(1);
	call_good(2);
	json_t *rows = pv_outbox_list(h);
	ck_assert_int_eq(json_array_size(rows), 2);
	ck_assert(tu_contains(json_string_value(json_object_get(json_array_get(rows, 0),
	                      "last_error")), "failsink: event:*: sink is down ("));
	json_decref(rows);
	unlink(marker);
	run_with(NULL, 0);   /* a later run: failsink comes from the cache */
	call_good(3);        /* the next emit drains the outbox first */
	assert_file_eq("failsink.log", "1 test.called\n2 test.called\n3 test.called\n");
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM outbox"), 0);
	free(marker);
}
END_TEST

START_TEST(test_healthy_sink_not_held_back)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "failsink"));
	install_jsonl();
	const char *down[] = { "plugins.failsink.fail=true" };
	run_with(down, 1);
	call_good(1);
	call_good(2);
	char *jl = home_file("logs/events.jsonl");
	ck_assert_int_eq(tu_count_lines(jl), 2);
	free(jl);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM outbox WHERE sink LIKE 'jsonl%'"),
	                 0);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM outbox WHERE sink LIKE "
	                            "'failsink%'"), 2);
}
END_TEST

/* ---- sinks registered by the host itself ------------------------------- */

static int record(paved_ctx *hh, json_t *ev, json_t **result, char **errmsg, void *data)
{
	(void)hh, (void)result, (void)errmsg;
	json_array_append_new(data, json_string(json_string_value(json_object_get(ev, "event"))));
	return PAVED_OK;
}

static void no_free(void *data)
{
	(void)data;
}

START_TEST(test_sink_patterns)
{
	json_t *deploys = json_array(), *created = json_array(), *all = json_array();
	run_with(NULL, 0);
	ck_assert_int_eq(pv_observe(h, NULL, "event:deploy.*", 0, record, deploys, no_free, &err),
	                 PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "event:service.created", 0, record, created, no_free,
	                            &err), PAVED_OK);
	ck_assert_int_eq(pv_observe(h, NULL, "event:*", 0, record, all, no_free, &err), PAVED_OK);
	pv_emit(h, "test", "deploy.step", NULL);
	pv_emit(h, "test", "service.created", NULL);
	pv_emit(h, "test", "deployment", NULL);          /* not "deploy." */
	pv_emit(h, "test", "deploy.rolled_back", NULL);
	pv_emit(h, "test", "", NULL);                    /* ignored */
	ck_assert_int_eq(json_array_size(deploys), 2);
	ck_assert_str_eq(json_string_value(json_array_get(deploys, 0)), "deploy.step");
	ck_assert_str_eq(json_string_value(json_array_get(deploys, 1)), "deploy.rolled_back");
	ck_assert_int_eq(json_array_size(created), 1);
	ck_assert_int_eq(json_array_size(all), 4);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM events"), 4);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM outbox"), 0);
	pv_registry_free(h);   /* before the arrays go */
	pv_registry_init(h);
	json_decref(deploys), json_decref(created), json_decref(all);
}
END_TEST

START_TEST(test_events_tail)
{
	free(tu_install_plugin(pdir, "good"));
	run_with(NULL, 0);
	call_good(1);
	call_good(2);
	json_t *f = json_pack("{ss}", "service", "payment-api");
	pv_emit(h, "paved", "service.created", f);
	json_object_set_new(f, "service", json_string("changed"));   /* the host kept a copy */
	json_t *evs = pv_events_tail(h, 2);
	ck_assert_int_eq(json_array_size(evs), 2);
	json_t *e0 = json_array_get(evs, 0), *e1 = json_array_get(evs, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(e0, "id")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(e0, "source")), "good");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e0, "data"), "n")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(e1, "event")), "service.created");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e1, "data"), "service")),
	                 "payment-api");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(e1, "time")));
	json_decref(evs);
	json_decref(f);
	evs = pv_events_tail(h, 100);
	ck_assert_int_eq(json_array_size(evs), 3);
	json_decref(evs);
}
END_TEST

/* ---- the jsonl sink ---------------------------------------------------- */

START_TEST(test_jsonl_default_path)
{
	free(tu_install_plugin(pdir, "good"));
	install_jsonl();
	run_with(NULL, 0);
	for (int i = 1; i <= 3; i++)
		call_good(i);
	char *jl = home_file("logs/events.jsonl"), *text = tu_read_file(jl);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(tu_count_lines(jl), 3);
	char *save = NULL;
	int n = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *ev = json_loads(line, 0, &je);
		ck_assert_msg(ev != NULL, "line %d is not JSON: %s", n + 1, je.text);
		n++;
		ck_assert_int_eq(json_integer_value(json_object_get(ev, "id")), n);
		ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "test.called");
		ck_assert_str_eq(json_string_value(json_object_get(ev, "source")), "good");
		ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ev, "data"), "n")),
		                 n);
		json_decref(ev);
	}
	ck_assert_int_eq(n, 3);
	free(text), free(jl);
	/* and from the cache on a later run */
	run_with(NULL, 0);
	call_good(4);
	jl = home_file("logs/events.jsonl");
	ck_assert_int_eq(tu_count_lines(jl), 4);
	free(jl);
}
END_TEST

START_TEST(test_jsonl_configured_path)
{
	free(tu_install_plugin(pdir, "good"));
	install_jsonl();
	char *custom = tu_join(tmp, "custom.jsonl");
	char set[4200];
	snprintf(set, sizeof set, "plugins.jsonl.path=%s", custom);
	const char *sets[] = { set };
	run_with(sets, 1);
	call_good(1);
	call_good(2);
	ck_assert_int_eq(tu_count_lines(custom), 2);
	char *def = home_file("logs/events.jsonl");
	ck_assert_int_eq(access(def, F_OK), -1);
	free(def);
	/* the environment layer works too */
	char *other = tu_join(tmp, "env.jsonl");
	setenv("PAVED_CONFIG_PLUGINS__JSONL__PATH", other, 1);
	run_with(NULL, 0);
	call_good(3);
	ck_assert_int_eq(tu_count_lines(other), 1);
	ck_assert_int_eq(tu_count_lines(custom), 2);
	free(custom), free(other);
}
END_TEST

START_TEST(test_jsonl_unwritable_path_waits)
{
	free(tu_install_plugin(pdir, "good"));
	install_jsonl();
	const char *sets[] = { "plugins.jsonl.path=/nonexistent/paved/e.jsonl" };
	run_with(sets, 1);
	call_good(1);   /* still succeeds */
	json_t *rows = pv_outbox_list(h);
	ck_assert_int_eq(json_array_size(rows), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "last_error")),
	                 "jsonl: event:*: cannot open /nonexistent/paved/e.jsonl: "
	                 "No such file or directory");
	json_decref(rows);
	run_with(NULL, 0);   /* fixed: default path */
	int delivered = 0, pending = 0;
	pv_outbox_flush(h, &delivered, &pending);
	ck_assert_int_eq(delivered, 1);
	ck_assert_int_eq(pending, 0);
	char *jl = home_file("logs/events.jsonl");
	ck_assert_int_eq(tu_count_lines(jl), 1);
	free(jl);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("outbox");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failing_sink_then_later_run);
	tcase_add_test(tc, test_delivered_by_next_emit);
	tcase_add_test(tc, test_healthy_sink_not_held_back);
	tcase_add_test(tc, test_sink_patterns);
	tcase_add_test(tc, test_events_tail);
	suite_add_tcase(s, tc);

	tc = tcase_create("jsonl");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jsonl_default_path);
	tcase_add_test(tc, test_jsonl_configured_path);
	tcase_add_test(tc, test_jsonl_unwritable_path_waits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
