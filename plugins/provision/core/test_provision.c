/*
 * test_provision.c -- Check tests of the provision core through a real
 * host on a temporary PAVED_HOME, with a driver written in Lua
 * (testdata/fake_driver.lua) so they need no server: intent parsing,
 * driver matching, secrets, records, events, apply idempotency, undo on
 * failure and two concurrent applies.  Each error test asserts the exact
 * message and that nothing was left behind.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"

static char tmp[4096], home[4200], yaml[4300];
static pv_host *host;

static const char *const base_sets[] = {
	"plugins.provision.drivers={\"postgres\": {\"dev\": \"fake\", \"qa\": \"nothere\"},"
	" \"redis\": {\"dev\": \"fake\"}}",
	NULL, NULL
};

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(p);
}

static void open_host(const char *extra)
{
	struct pv_host_opts o = { 0 };
	const char *sets[3] = { base_sets[0], extra, NULL };
	char *err = NULL;
	int code = 0;
	o.home = home;
	o.plugin_path = PR_TEST_PLUGIN_DIR;
	o.sets = sets;
	o.nsets = extra ? 2 : 1;
	if (host)
		pv_host_close(host);
	host = NULL;
	ck_assert_msg(pv_host_open(&o, &host, &err, &code) == PAVED_OK, "host: %s", err);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(tmp, sizeof tmp, "%s/paved-prov-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(home, sizeof home, "%s/home", tmp);
	snprintf(yaml, sizeof yaml, "%s/payment-api/platform.yaml", tmp);
	char dir[4300];
	snprintf(dir, sizeof dir, "%s/payment-api", tmp);
	mkdir(dir, 0755);
	write_file(yaml, "# the article's intent\n"
	           "database:\n  type: postgres\n  size: medium\n  backups: daily\n"
	           "cache:\n  type: redis\n  size: small\n  eviction: lru\n"
	           "deploy:\n  strategy: canary\n");
	unsetenv("PAVED_PLUGIN_PATH");
	open_host(NULL);
}

static void teardown(void)
{
	pv_host_close(host);
	host = NULL;
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int call(const char *hook, json_t *args, json_t **res, char **err)
{
	json_t *r = NULL;
	char *e = NULL;
	int rc = pv_call(host, hook, args, &r, &e);
	json_decref(args);
	if (res)
		*res = r;
	else
		json_decref(r);
	if (err)
		*err = e;
	else
		free(e);
	return rc;
}

static void expect_error(const char *hook, json_t *args, const char *message)
{
	char *err = NULL;
	json_t *res = NULL;
	ck_assert_int_eq(call(hook, args, &res, &err), PAVED_ERR);
	ck_assert_ptr_null(res);
	ck_assert_str_eq(err, message);
	free(err);
}

static size_t nrecords(void)
{
	json_t *all = pv_state_list(host, "provision");
	size_t n = json_object_size(all);
	json_decref(all);
	return n;
}

static bool exists(const char *fmt, const char *a)
{
	char p[8192];
	snprintf(p, sizeof p, fmt, home, a);
	return access(p, F_OK) == 0;
}

START_TEST(apply_twice)
{
	json_t *r = NULL;
	ck_assert_int_eq(call("provision.apply", json_pack("{ss ss}", "file", yaml, "env", "dev"),
	                      &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "created")), 2);
	json_t *db = json_array_get(json_object_get(r, "resources"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(db, "name")), "payment-api-database-dev");
	ck_assert_str_eq(json_string_value(json_object_get(db, "size")), "medium");
	ck_assert_str_eq(json_string_value(json_object_get(db, "driver")), "fake");
	ck_assert_str_eq(json_string_value(json_object_get(db, "env_var")), "DATABASE_URL");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(db, "options"), "backups")), "daily");
	json_t *cache = json_array_get(json_object_get(r, "resources"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(cache, "env_var")), "REDIS_URL");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(cache, "options"), "eviction")), "lru");
	ck_assert_ptr_null(json_object_get(db, "state"));
	json_decref(r);
	/* the secret: mode 0600, in the env file, nowhere else */
	struct stat st;
	char sf[8192];
	snprintf(sf, sizeof sf, "%s/secrets/payment-api-database-dev.env", home);
	ck_assert_int_eq(stat(sf, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	json_t *ev = pv_events_tail(host, 100);
	char *text = json_dumps(ev, 0);
	ck_assert_ptr_null(strstr(text, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr(text, "resource.provisioned"));
	ck_assert_ptr_nonnull(strstr(text, "provision.applied"));
	free(text);
	json_decref(ev);
	json_t *list = NULL;
	ck_assert_int_eq(call("provision.list", NULL, &list, NULL), PAVED_OK);
	text = json_dumps(list, 0);
	ck_assert_ptr_null(strstr(text, "s3cr3t"));
	free(text);
	json_decref(list);
	json_t *env = NULL;
	ck_assert_int_eq(call("provision.env", json_pack("{ss}", "name", "payment-api-cache-dev"),
	                      &env, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(env, "REDIS_URL")),
	                 "fake://payment-api-cache-dev:s3cr3t-payment-api-cache-dev@fake.example/payment-api-cache-dev");
	json_decref(env);
	/* second apply: nothing to do */
	ck_assert_int_eq(call("provision.apply", json_pack("{ss ss}", "file", yaml, "env", "dev"),
	                      &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "created")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "unchanged")), 2);
	json_decref(r);
	ck_assert_int_eq(nrecords(), 2);
}
END_TEST

START_TEST(apply_dry_run)
{
	json_t *r = NULL;
	ck_assert_int_eq(call("provision.apply", json_pack("{ss ss sb}", "file", yaml, "env", "dev",
	                                                  "dry_run", 1), &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "created")), 2);
	json_decref(r);
	ck_assert_int_eq(nrecords(), 0);
	ck_assert(!exists("%s/secrets/%s", "payment-api-database-dev.env"));
}
END_TEST

START_TEST(apply_undoes_on_failure)
{
	write_file(yaml, "service: fail\ndatabase: {type: postgres}\ncache: {type: redis}\n");
	/* "fail-database-dev" fails in the fake driver at once: nothing made */
	expect_error("provision.apply", json_pack("{ss}", "file", yaml),
	             "provision: provision.apply: fake_driver: provision.driver.postgres.fake: "
	             "the fake cloud is down for fail-database-dev");
	write_file(yaml, "service: ok\ndatabase: {type: postgres}\n"
	           "cache: {type: redis}\n");
	ck_assert_int_eq(nrecords(), 0);
}
END_TEST

START_TEST(apply_undoes_earlier)
{
	/* the first resource is made, the second fails: the first is undone,
	 * a resource made before this apply is kept */
	json_t *r = NULL;
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss}", "type", "redis", "name",
	                      "keep-me"), &r, NULL), PAVED_OK);
	json_decref(r);
	write_file(yaml, "service: svc\ndatabase: {type: postgres}\ncache: {type: redis, fail: true}\n");
	expect_error("provision.apply", json_pack("{ss}", "file", yaml),
	             "provision: provision.apply: fake_driver: provision.driver.redis.fake: "
	             "the fake cloud is down for svc-cache-dev");
	ck_assert_int_eq(nrecords(), 1);
	ck_assert(!exists("%s/fake/%s", "svc-database-dev"));
	ck_assert(!exists("%s/secrets/%s", "svc-database-dev.env"));
	ck_assert(exists("%s/fake/%s", "keep-me"));
	json_t *ev = pv_events_tail(host, 100);
	char *text = json_dumps(ev, 0);
	ck_assert_ptr_nonnull(strstr(text, "resource.failed"));
	ck_assert_ptr_nonnull(strstr(text, "resource.destroyed"));
	free(text);
	json_decref(ev);
}
END_TEST

START_TEST(apply_rollback)
{
	/* the service defaults to the file's directory: "failing" */
	char y2[4400], d2[4300];
	snprintf(d2, sizeof d2, "%s/failing", tmp);
	mkdir(d2, 0755);
	snprintf(y2, sizeof y2, "%.4280s/platform.yaml", d2);
	write_file(y2, "db: {type: postgres}\n");
	expect_error("provision.apply", json_pack("{ss}", "file", y2),
	             "provision: provision.apply: fake_driver: provision.driver.postgres.fake: "
	             "the fake cloud is down for failing-db-dev");
	ck_assert_int_eq(nrecords(), 0);
}
END_TEST

START_TEST(bad_input)
{
	expect_error("provision.resource", json_pack("{ss ss}", "type", "mysql", "name", "a"),
	             "provision: provision.resource: unknown resource type 'mysql': known types "
	             "are postgres and redis (an organisation adds one in plugins.provision.drivers)");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "env", "production"),
	             "provision: provision.resource: no driver for postgres in environment "
	             "'production': set plugins.provision.drivers.postgres.production (e.g. "
	             "\"local\" or \"terraform\")");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "size", "huge"),
	             "provision: provision.resource: invalid size 'huge' for postgres: use small, "
	             "medium or large");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "env", "qa"),
	             "provision: provision.resource: driver 'nothere' for postgres in environment "
	             "'qa' is not installed: no plugin provides provision.driver.postgres.nothere");
	expect_error("provision.resource", json_pack("{ss ss}", "type", "postgres", "name", "../etc"),
	             "provision: provision.resource: invalid resource name '../etc': use 1-63 "
	             "printable characters without '/', starting with a letter or digit");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "colour", "red"),
	             "provision: provision.resource: unknown argument 'colour'");
	expect_error("provision.postgres", json_pack("{ss ss}", "type", "redis", "name", "a"),
	             "provision: provision.postgres: argument 'type' is 'redis' but this hook "
	             "provisions postgres");
	expect_error("provision.destroy", json_pack("{ss}", "name", "nope"),
	             "provision: provision.destroy: no resource 'nope' (see 'paved resources list')");
	ck_assert_int_eq(nrecords(), 0);
	ck_assert(!exists("%s/%s", "secrets"));
}
END_TEST

START_TEST(bad_yaml)
{
	write_file(yaml, "database:\n  type: postgres\n  size: [small\n");
	char *err = NULL;
	ck_assert_int_eq(call("provision.apply", json_pack("{ss}", "file", yaml), NULL, &err), PAVED_ERR);
	ck_assert_ptr_nonnull(strstr(err, "platform.yaml:4:1: did not find expected ',' or ']'"));
	free(err);
	write_file(yaml, "database: {type: postgres, size: medium}\ncache: {type: memcached}\n");
	char want[8192];
	snprintf(want, sizeof want, "provision: provision.apply: %s: cache: unknown resource type "
	         "'memcached': known types are postgres and redis (an organisation adds one in "
	         "plugins.provision.drivers)", yaml);
	expect_error("provision.apply", json_pack("{ss}", "file", yaml), want);
	write_file(yaml, "database: {type: postgres, size: jumbo}\n");
	snprintf(want, sizeof want, "provision: provision.apply: %s: database: invalid size "
	         "'jumbo' for postgres: use small, medium or large", yaml);
	expect_error("provision.apply", json_pack("{ss}", "file", yaml), want);
	write_file(yaml, "- just\n- a list\n");
	snprintf(want, sizeof want, "provision: provision.apply: %s: expected a mapping of resources "
	         "such as 'database: {type: postgres, size: medium}'", yaml);
	expect_error("provision.apply", json_pack("{ss}", "file", yaml), want);
	expect_error("provision.apply", json_pack("{ss}", "file", "/nonexistent/platform.yaml"),
	             "provision: provision.apply: cannot read /nonexistent/platform.yaml: no such "
	             "file (write the intent in platform.yaml, e.g. 'database: {type: postgres, "
	             "size: small}')");
	ck_assert_int_eq(nrecords(), 0);
}
END_TEST

START_TEST(destroy_removes_everything)
{
	json_t *r = NULL;
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss ss}", "type", "postgres",
	                      "name", "orders-db", "service", "orders"), &r, NULL), PAVED_OK);
	ck_assert(json_is_true(json_object_get(r, "changed")));
	json_decref(r);
	ck_assert(exists("%s/fake/%s", "orders-db"));
	ck_assert_int_eq(call("provision.destroy", json_pack("{ss}", "name", "orders-db"), &r, NULL),
	                 PAVED_OK);
	json_decref(r);
	ck_assert(!exists("%s/fake/%s", "orders-db"));
	ck_assert(!exists("%s/secrets/%s", "orders-db.env"));
	ck_assert_int_eq(nrecords(), 0);
}
END_TEST

START_TEST(lock_timeout)
{
	char p[8192];
	snprintf(p, sizeof p, "%s/provision", home);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/provision/lock", home);
	int fd = open(p, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	pid_t pid = fork();
	if (pid == 0) {           /* another "paved" holding the lock */
		flock(fd, LOCK_EX);
		sleep(3);
		_exit(0);
	}
	usleep(200000);
	open_host("plugins.provision.lock_timeout=0");
	char want[16800];
	snprintf(want, sizeof want, "provision: provision.resource: another paved command is "
	         "provisioning in %s and still holds %s after 0 s; try again when it has finished",
	         home, p);
	expect_error("provision.resource", json_pack("{ss ss}", "type", "postgres", "name", "x"), want);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	ck_assert_int_eq(nrecords(), 0);
}
END_TEST

/* Two applies at once on the same home: one waits; nothing duplicated. */
START_TEST(concurrent_apply)
{
	write_file(yaml, "database: {type: postgres, slow: true}\ncache: {type: redis, slow: true}\n");
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			host = NULL;
			open_host(NULL);
			json_t *r = NULL;
			int rc = call("provision.apply", json_pack("{ss}", "file", yaml), &r, NULL);
			int created = (int)json_integer_value(json_object_get(r, "created"));
			_exit(rc == PAVED_OK ? 10 + created : 1);
		}
	}
	int got[2];
	for (int i = 0; i < 2; i++) {
		int st;
		waitpid(kids[i], &st, 0);
		got[i] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	/* one created both, the other found both unchanged */
	ck_assert_int_eq(got[0] + got[1], 10 + 2 + 10 + 0);
	ck_assert(got[0] == 12 || got[0] == 10);
	open_host(NULL);
	ck_assert_int_eq(nrecords(), 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("provision");
	TCase *t = tcase_create("core");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, apply_twice);
	tcase_add_test(t, apply_dry_run);
	tcase_add_test(t, apply_undoes_on_failure);
	tcase_add_test(t, apply_undoes_earlier);
	tcase_add_test(t, apply_rollback);
	tcase_add_test(t, bad_input);
	tcase_add_test(t, bad_yaml);
	tcase_add_test(t, destroy_removes_everything);
	tcase_add_test(t, lock_timeout);
	tcase_add_test(t, concurrent_apply);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
