/*
 * test_host.c -- Check suite for host/host.c: opening a host prepares
 * PAVED_HOME (logs, state database), and an unusable PAVED_HOME, a broken
 * config or a too-new database each fail with exit code 2 and a message
 * naming the problem, leaving nothing half-made.
 *
 * Permission tests run as nobody when the suite runs as root (root ignores
 * file modes), which needs Check's fork mode.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "testutil.h"

static char *tmp;
static pv_host *h;
static char *err;

static void setup(void)
{
	tu_isolate_env();
	tmp = tu_base_subdir();
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

/* pv_host_open without plugins on HOME; returns the exit code (0 = ok). */
static int open_home(const char *home)
{
	struct pv_host_opts o = { .home = home, .no_plugins = true, .verbosity = -1 };
	int code = -1;
	free(err), err = NULL;
	if (pv_host_open(&o, &h, &err, &code) == PAVED_OK)
		return 0;
	ck_assert_ptr_null(h);
	ck_assert_ptr_nonnull(err);
	return code;
}

static bool exists(const char *dir, const char *name)
{
	char *p = tu_join(dir, name);
	bool e = access(p, F_OK) == 0;
	free(p);
	return e;
}

START_TEST(test_open_prepares_home)
{
	char *home = tu_join(tmp, "a/b/home");   /* created, parents too */
	ck_assert_int_eq(open_home(home), 0);
	ck_assert_str_eq(h->home, home);
	ck_assert(exists(home, "logs"));
	ck_assert(exists(home, "paved.db"));
	ck_assert(exists(home, "logs/paved.log"));
	struct stat st;
	ck_assert_int_eq(stat(home, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_ptr_nonnull(h->db);
	ck_assert_ptr_nonnull(h->config);
	pv_log(h, PAVED_LOG_WARN, "a line for the log");
	char *log = tu_join(home, "logs/paved.log"), *text = tu_read_file(log);
	ck_assert(tu_contains(text, " warning a line for the log\n"));
	ck_assert_str_eq(pv_api.home(&h->self), home);
	free(text), free(log), free(home);
}
END_TEST

START_TEST(test_relative_home_made_absolute)
{
	ck_assert_int_eq(chdir(tmp), 0);
	ck_assert_int_eq(open_home("rel/home"), 0);
	char *want = tu_join(tmp, "rel/home");
	ck_assert_str_eq(h->home, want);
	free(want);
}
END_TEST

START_TEST(test_default_home)
{
	setenv("PAVED_HOME", "/x/paved-home", 1);
	char *d = pv_default_home();
	ck_assert_str_eq(d, "/x/paved-home");
	free(d);
	unsetenv("PAVED_HOME");
	setenv("XDG_DATA_HOME", "/x/data", 1);
	d = pv_default_home();
	ck_assert_str_eq(d, "/x/data/paved");
	free(d);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/x/user", 1);
	d = pv_default_home();
	ck_assert_str_eq(d, "/x/user/.local/share/paved");
	free(d);
}
END_TEST

START_TEST(test_home_not_writable)
{
	char *home = tu_join(tmp, "readonly");
	tu_mkdirs(home, 0755);
	chmod(home, 0555);
	if (!tu_drop_root())
		return;
	ck_assert_int_eq(open_home(home), PV_EXIT_USAGE);
	char want[4300];
	snprintf(want, sizeof want, "PAVED_HOME %s is not writable: Permission denied; set "
	         "PAVED_HOME to a writable directory", home);
	ck_assert_str_eq(err, want);
	ck_assert(!exists(home, "paved.db"));
	ck_assert(!exists(home, "logs"));
	free(home);
}
END_TEST

START_TEST(test_home_logs_not_writable)
{
	/* PAVED_HOME itself is writable, its logs directory is not creatable */
	char *home = tu_join(tmp, "home");
	tu_mkdirs(home, 0755);
	char *logs = tu_join(home, "logs");
	tu_write_file(logs, "a file in the way\n");
	ck_assert_int_eq(open_home(home), PV_EXIT_USAGE);
	char want[4300];
	snprintf(want, sizeof want, "PAVED_HOME %s is not writable: %s exists and is not a "
	         "directory; set PAVED_HOME to a writable directory", home, logs);
	ck_assert_str_eq(err, want);
	ck_assert(!exists(home, "paved.db"));
	free(home), free(logs);
}
END_TEST

START_TEST(test_home_under_a_file)
{
	char *file = tu_join(tmp, "file");
	tu_write_file(file, "x\n");
	char *home = tu_join(file, "home");
	ck_assert_int_eq(open_home(home), PV_EXIT_USAGE);
	char want[4300];
	snprintf(want, sizeof want, "PAVED_HOME %s is not usable: %s exists and is not a "
	         "directory; set PAVED_HOME to a writable directory", home, file);
	ck_assert_str_eq(err, want);
	free(file), free(home);
}
END_TEST

START_TEST(test_home_not_creatable)
{
	char *parent = tu_join(tmp, "locked");
	tu_mkdirs(parent, 0755);
	chmod(parent, 0555);
	char *home = tu_join(parent, "home");
	if (!tu_drop_root())
		return;
	ck_assert_int_eq(open_home(home), PV_EXIT_USAGE);
	char want[4300];
	snprintf(want, sizeof want, "PAVED_HOME %s is not usable: cannot create directory %s: "
	         "Permission denied; set PAVED_HOME to a writable directory", home, home);
	ck_assert_str_eq(err, want);
	free(parent), free(home);
}
END_TEST

START_TEST(test_bad_config_exit_2)
{
	char *home = tu_join(tmp, "home");
	tu_mkdirs(home, 0700);
	char *cfg = tu_join(home, "config.json");
	tu_write_file(cfg, "{\"plugin_path\": [\"/a\",]}\n");
	ck_assert_int_eq(open_home(home), PV_EXIT_USAGE);
	char *want = tu_join(home, "config.json:1:");
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s'", err);
	ck_assert(tu_contains(err, ": invalid JSON: "));
	ck_assert(!exists(home, "paved.db"));   /* the state db is not touched */
	free(want), free(cfg), free(home);
}
END_TEST

START_TEST(test_newer_db_exit_2)
{
	char *home = tu_join(tmp, "home");
	ck_assert_int_eq(open_home(home), 0);
	ck_assert_int_eq(pv_state_exec(h, "PRAGMA user_version=9999", &err), PAVED_OK);
	pv_host_close(h);
	h = NULL;
	ck_assert_int_eq(open_home(home), PV_EXIT_USAGE);
	ck_assert(tu_contains(err, "state database schema 9999 is newer than this paved"));
	free(home);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("home");
	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_prepares_home);
	tcase_add_test(tc, test_relative_home_made_absolute);
	tcase_add_test(tc, test_default_home);
	tcase_add_test(tc, test_home_not_writable);
	tcase_add_test(tc, test_home_logs_not_writable);
	tcase_add_test(tc, test_home_under_a_file);
	tcase_add_test(tc, test_home_not_creatable);
	tcase_add_test(tc, test_bad_config_exit_2);
	tcase_add_test(tc, test_newer_db_exit_2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(host_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
