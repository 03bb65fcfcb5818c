/*
 * test_state.c -- Check suite for host/state.c: schema migrations (fresh,
 * reopen, newer than known, a failing migration rolled back) and the
 * plugin key/value store.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *dbpath;
static pv_host *h;

static void setup(void)
{
	tu_isolate_env();
	tmp = tu_mkdtemp();
	dbpath = tu_join(tmp, "paved.db");
	h = calloc(1, sizeof *h);
	ck_assert_ptr_nonnull(h);
	h->self = (struct paved_ctx){ h, NULL };
	h->home = strdup(tmp);
}

static void teardown(void)
{
	pv_state_close(h);
	free(h->home);
	free(h);
	tu_rm_rf(tmp);
	free(tmp), free(dbpath);
}

static void open_ok(void)
{
	char *err = NULL;
	ck_assert_msg(pv_state_open(h, &err) == PAVED_OK, "pv_state_open: %s", err);
	ck_assert_ptr_nonnull(h->db);
}

static long long table_exists(const char *name)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type='table' "
	         "AND name='%s'", name);
	return tu_sql_int(dbpath, sql);
}

START_TEST(test_fresh_db_migrated)
{
	open_ok();
	int v = pv_state_schema_version(h);
	ck_assert_int_ge(v, 2);
	ck_assert_int_eq(tu_sql_int(dbpath, "PRAGMA user_version"), v);
	static const char *const tables[] = { "events", "outbox", "kv", "plugin_cache", "runs",
	                                      "run_steps" };
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		ck_assert_msg(table_exists(tables[i]) == 1, "table %s missing", tables[i]);
	/* WAL journal */
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(h->db, "PRAGMA journal_mode", -1, &st, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
}
END_TEST

START_TEST(test_reopen_is_noop)
{
	char *err = NULL;
	open_ok();
	int v = pv_state_schema_version(h);
	ck_assert_int_eq(pv_state_put(h, "ns", "k", json_true(), &err), PAVED_OK);
	pv_state_close(h);
	ck_assert_ptr_null(h->db);
	open_ok();
	ck_assert_int_eq(pv_state_schema_version(h), v);
	json_t *got = pv_state_get(h, "ns", "k");
	ck_assert(json_is_true(got));
	json_decref(got);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	char *err = NULL;
	open_ok();
	int v = pv_state_schema_version(h);
	ck_assert_int_eq(pv_state_exec(h, "PRAGMA user_version=9999", &err), PAVED_OK);
	pv_state_close(h);
	ck_assert_int_eq(pv_state_open(h, &err), PAVED_ERR);
	ck_assert_ptr_null(h->db);
	char want[160];
	snprintf(want, sizeof want, "state database schema 9999 is newer than this paved "
	         "(knows %d): upgrade paved", v);
	ck_assert_str_eq(err, want);
	/* nothing was touched */
	ck_assert_int_eq(tu_sql_int(dbpath, "PRAGMA user_version"), 9999);
	free(err);
}
END_TEST

START_TEST(test_failed_migration_rolls_back)
{
	char *err = NULL;
	open_ok();
	int v = pv_state_schema_version(h);
	/* pretend migration 2 never ran, but leave a table it creates in the
	 * way, so running it again fails half-way */
	ck_assert_int_eq(pv_state_exec(h, "DROP TABLE run_steps; PRAGMA user_version=1", &err),
	                 PAVED_OK);
	pv_state_close(h);
	ck_assert_int_eq(pv_state_open(h, &err), PAVED_ERR);
	ck_assert_str_eq(err, "state database: table runs already exists");
	ck_assert_int_eq(tu_sql_int(dbpath, "PRAGMA user_version"), 1);
	ck_assert_int_eq(table_exists("run_steps"), 0);   /* nothing half-made */
	/* clear the obstacle: the migration now runs to the end */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE runs", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	open_ok();
	ck_assert_int_eq(pv_state_schema_version(h), v);
	ck_assert_int_eq(table_exists("run_steps"), 1);
	free(err);
}
END_TEST

START_TEST(test_unopenable_db)
{
	char *err = NULL;
	tu_mkdirs(dbpath, 0700);   /* a directory where the file should be */
	ck_assert_int_eq(pv_state_open(h, &err), PAVED_ERR);
	ck_assert_ptr_null(h->db);
	ck_assert(tu_contains(err, "paved.db"));
	free(err);
}
END_TEST

START_TEST(test_kv_round_trip)
{
	char *err = NULL;
	open_ok();
	json_t *v = json_pack("{sis[ss]}", "n", 1, "tags", "a", "b");
	ck_assert_int_eq(pv_state_put(h, "plug", "one", v, &err), PAVED_OK);
	ck_assert_int_eq(v->refcount, 1);   /* borrowed: a copy is stored */
	json_t *s = json_string("text");
	ck_assert_int_eq(pv_state_put(h, "plug", "two", s, &err), PAVED_OK);
	ck_assert_int_eq(pv_state_put(h, "other", "one", json_null(), &err), PAVED_OK);

	json_t *got = pv_state_get(h, "plug", "one");
	ck_assert(json_equal(got, v));
	json_decref(got);
	got = pv_state_get(h, "plug", "two");
	ck_assert_str_eq(json_string_value(got), "text");
	json_decref(got);
	ck_assert_ptr_null(pv_state_get(h, "plug", "three"));

	json_t *all = pv_state_list(h, "plug");
	ck_assert_int_eq(json_object_size(all), 2);
	ck_assert(json_equal(json_object_get(all, "one"), v));
	json_decref(all);

	/* overwrite */
	ck_assert_int_eq(pv_state_put(h, "plug", "one", s, &err), PAVED_OK);
	got = pv_state_get(h, "plug", "one");
	ck_assert_str_eq(json_string_value(got), "text");
	json_decref(got);

	/* delete: idempotent, other namespaces untouched */
	ck_assert_int_eq(pv_state_del(h, "plug", "one", &err), PAVED_OK);
	ck_assert_int_eq(pv_state_del(h, "plug", "one", &err), PAVED_OK);
	ck_assert_ptr_null(pv_state_get(h, "plug", "one"));
	all = pv_state_list(h, "plug");
	ck_assert_int_eq(json_object_size(all), 1);
	json_decref(all);
	got = pv_state_get(h, "other", "one");
	ck_assert(json_is_null(got));
	json_decref(got);
	all = pv_state_list(h, "empty");
	ck_assert_int_eq(json_object_size(all), 0);
	json_decref(all);
	json_decref(v);
	json_decref(s);
	ck_assert_ptr_null(err);
}
END_TEST

START_TEST(test_kv_through_api_and_closed_db)
{
	char *err = NULL;
	open_ok();
	json_t *v = json_integer(5);
	ck_assert_int_eq(pv_api.state_put(&h->self, "p", "k", v, &err), PAVED_OK);
	json_t *got = pv_api.state_get(&h->self, "p", "k");
	ck_assert(json_equal(got, v));
	json_decref(got);
	pv_state_close(h);
	/* a closed database is an error, never a crash */
	ck_assert_int_eq(pv_state_put(h, "p", "k", v, &err), PAVED_ERR);
	ck_assert_str_eq(err, "state database: not open");
	ck_assert_int_eq(pv_state_del(h, "p", "k", &err), PAVED_ERR);
	ck_assert_ptr_null(pv_state_get(h, "p", "k"));
	json_t *all = pv_state_list(h, "p");
	ck_assert_int_eq(json_object_size(all), 0);
	json_decref(all);
	json_decref(v);
	free(err);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("migrations");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fresh_db_migrated);
	tcase_add_test(tc, test_reopen_is_noop);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_failed_migration_rolls_back);
	tcase_add_test(tc, test_unopenable_db);
	suite_add_tcase(s, tc);

	tc = tcase_create("kv");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kv_round_trip);
	tcase_add_test(tc, test_kv_through_api_and_closed_db);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
