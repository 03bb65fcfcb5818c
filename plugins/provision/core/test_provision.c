/*
 * test_provision.c -- Check tests of the provision core through a real
 * host on a temporary PAVED_HOME, with a driver written in Lua
 * (testdata/fake_driver.lua, the driver "fake") so they need no server,
 * and every call checked against sdk/hooks.json: platform.yaml and its
 * errors, the plan (create, update, replace, destroy), confirmation,
 * secrets and their directory, the journal after kill -9 at each fault
 * point, the lock and two concurrent applies.  Each error test asserts the
 * exact message and that nothing was left behind.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *home, *yaml;
static pv_host *host;

static const char *const base_sets[] = {
	"drivers.provision={\"postgres\": {\"default\": \"fake\", \"qa\": \"nothere\"},"
	" \"redis\": \"fake\", \"queue\": {\"production\": \"fake\"}}",
	"hooks.check_shapes=true",
};

static const char article[] =
	"# the article's resources\n"
	"service: payment-api\n"
	"resources:\n"
	"  database:\n"
	"    type: postgres\n"
	"    class: medium\n"
	"    params: {backups: daily}\n"
	"  cache: {type: redis, params: {eviction: lru}}\n"
	"deploy: {strategy: canary}\n"
	"environments:\n"
	"  production:\n"
	"    resources:\n"
	"      database: {class: large, params: {storage_gb: 100}}\n";

static void open_host(const char *extra)
{
	struct pv_host_opts o = { 0 };
	const char *sets[4] = { base_sets[0], base_sets[1], extra, NULL };
	char *err = NULL;
	int code = 0;
	o.home = home;
	o.plugin_path = PR_TEST_PLUGIN_DIR;
	o.sets = sets;
	o.nsets = extra ? 3 : 2;
	if (host)
		pv_host_close(host);
	host = NULL;
	ck_assert_msg(pv_host_open(&o, &host, &err, &code) == PAVED_OK, "host: %s", err);
}

static void setup(void)
{
	tu_isolate_env();
	unsetenv("PAVED_TEST_FAULT");
	tmp = tu_mkdtemp();
	home = tu_join(tmp, "home");
	char *dir = tu_join(tmp, "payment-api");
	tu_mkdirs(dir, 0755);
	yaml = tu_join(dir, "platform.yaml");
	free(dir);
	tu_write_file(yaml, article);
	open_host(NULL);
}

static void teardown(void)
{
	pv_host_close(host);
	host = NULL;
	tu_rm_rf(tmp);
	free(tmp), free(home), free(yaml);
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

/* provision.apply of the test's platform.yaml with extra arguments. */
static int apply(const char *env, const char *flags, json_t **res, char **err)
{
	json_t *a = json_pack("{ss ss}", "file", yaml, "env", env ? env : "dev");
	if (flags && strstr(flags, "dry"))
		json_object_set_new(a, "dry_run", json_true());
	if (flags && strstr(flags, "prune"))
		json_object_set_new(a, "prune", json_true());
	if (flags && strstr(flags, "yes"))
		json_object_set_new(a, "yes", json_true());
	return call("provision.apply", a, res, err);
}

static void expect_error(const char *hook, json_t *args, const char *message)
{
	char *err = NULL;
	ck_assert_int_eq(call(hook, args, NULL, &err), PAVED_ERR);
	ck_assert_str_eq(err, message);
	free(err);
}

/* The apply error, with FILE standing for the platform.yaml. */
static void expect_apply_error(const char *fmt)
{
	char *err = NULL, want[8192], full[8300];
	snprintf(want, sizeof want, fmt, yaml);
	snprintf(full, sizeof full, "provision: provision.apply: %s", want);
	ck_assert_int_eq(apply(NULL, NULL, NULL, &err), PAVED_ERR);
	ck_assert_str_eq(err, full);
	free(err);
}

static size_t count_ns(const char *ns)
{
	json_t *all = pv_state_list(host, ns);
	size_t n = json_object_size(all);
	json_decref(all);
	return n;
}
#define nrecords() count_ns("provision")
#define njournal() count_ns("provision-journal")

/* Whether HOME/SUB exists. */
static bool exists(const char *fmt, const char *a)
{
	char p[8192];
	snprintf(p, sizeof p, fmt, home, a);
	return access(p, F_OK) == 0;
}

static json_t *record(const char *name)
{
	return pv_state_get(host, "provision", name);
}

/* The step of RES's plan for NAME. */
static json_t *step(json_t *res, const char *name)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(res, "plan"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), name))
			return s;
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- apply: create, nothing to do, dry run --------------------------- */

START_TEST(apply_twice)
{
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "changes")), 2);
	ck_assert_int_eq(json_array_size(json_object_get(r, "created")), 2);
	json_t *db = step(r, "payment-api-database-dev");
	ck_assert_str_eq(str(db, "action"), "create");
	ck_assert_str_eq(str(db, "class"), "medium");
	ck_assert_str_eq(str(db, "driver"), "fake");
	ck_assert_ptr_null(json_object_get(db, "record"));
	json_decref(r);
	json_t *rec = record("payment-api-cache-dev");
	ck_assert_str_eq(str(rec, "class"), "small");
	ck_assert_str_eq(str(rec, "key"), "cache");
	ck_assert_str_eq(str(rec, "service"), "payment-api");
	ck_assert_str_eq(str(rec, "env_var"), "REDIS_URL");
	ck_assert_str_eq(str(json_object_get(rec, "params"), "eviction"), "lru");
	json_decref(rec);
	/* the secret: mode 0600, nowhere else; the outputs by key */
	struct stat st;
	char sf[8192];
	snprintf(sf, sizeof sf, "%s/secrets/payment-api-database-dev.json", home);
	ck_assert_int_eq(stat(sf, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(sf, sizeof sf, "%s/secrets", home);
	ck_assert_int_eq(stat(sf, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	json_t *o = NULL;
	ck_assert_int_eq(call("provision.outputs", json_pack("{ss ss}", "service", "payment-api",
	                      "env", "dev"), &o, NULL), PAVED_OK);
	json_t *c = json_object_get(o, "cache");
	ck_assert_str_eq(str(c, "url"), "fake://payment-api-cache-dev:s3cr3t-payment-api-cache-dev"
	                 "@fake.example:5432/payment-api-cache-dev");
	ck_assert_str_eq(str(c, "host"), "fake.example");
	ck_assert_int_eq(json_integer_value(json_object_get(c, "port")), 5432);
	ck_assert_str_eq(str(c, "username"), "payment-api-cache-dev");
	ck_assert_str_eq(str(c, "password"), "s3cr3t-payment-api-cache-dev");
	ck_assert_str_eq(str(c, "name"), "payment-api-cache-dev");
	ck_assert_ptr_nonnull(json_object_get(o, "database"));
	json_decref(o);
	json_t *ev = pv_events_tail(host, 100), *list = NULL;
	char *text = json_dumps(ev, 0);
	ck_assert(!tu_contains(text, "s3cr3t"));
	ck_assert(tu_contains(text, "resource.provisioned"));
	ck_assert(tu_contains(text, "provision.applied"));
	free(text);
	json_decref(ev);
	ck_assert_int_eq(call("provision.list", NULL, &list, NULL), PAVED_OK);
	text = json_dumps(list, 0);
	ck_assert(!tu_contains(text, "s3cr3t"));
	free(text);
	json_decref(list);
	/* second apply: nothing to do, no driver call, no event */
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "changes")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "unchanged")), 2);
	json_decref(r);
	ck_assert_int_eq(nrecords(), 2);
	ck_assert_int_eq(njournal(), 0);
}
END_TEST

START_TEST(apply_dry_run)
{
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, "dry", &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "changes")), 2);
	ck_assert(json_is_true(json_object_get(r, "dry_run")));
	json_decref(r);
	ck_assert_int_eq(nrecords(), 0);
	ck_assert(!exists("%s/fake/%s", "payment-api-database-dev"));
	ck_assert(!exists("%s/secrets/%s", "payment-api-database-dev.json"));
}
END_TEST

START_TEST(apply_environment_override)
{
	json_t *r = NULL;
	ck_assert_int_eq(apply("production", NULL, &r, NULL), PAVED_OK);
	json_decref(r);
	json_t *rec = record("payment-api-database-production");
	ck_assert_str_eq(str(rec, "class"), "large");
	json_t *p = json_object_get(rec, "params");
	ck_assert_str_eq(str(p, "backups"), "daily");          /* merged, not replaced */
	ck_assert_int_eq(json_integer_value(json_object_get(p, "storage_gb")), 100);
	json_decref(rec);
	rec = record("payment-api-cache-production");
	ck_assert_str_eq(str(rec, "class"), "small");
	json_decref(rec);
}
END_TEST

/* ---- changes: update, replace, destroy ------------------------------- */

START_TEST(apply_updates_in_place)
{
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, class: medium, params: {backups: daily}}\n"
	              "  cache: {type: redis, class: medium, params: {eviction: lfu}}\n");
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, "dry", &r, NULL), PAVED_OK);
	json_t *s = step(r, "payment-api-cache-dev");
	ck_assert_str_eq(str(s, "action"), "update");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(s, "fields"), 0)),
	                 "class: small -> medium");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(s, "fields"), 1)),
	                 "params.eviction: lru -> lfu");
	ck_assert_str_eq(str(step(r, "payment-api-database-dev"), "action"), "none");
	json_decref(r);
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "updated"), 0)),
	                 "payment-api-cache-dev");
	json_decref(r);
	json_t *rec = record("payment-api-cache-dev");
	ck_assert_str_eq(str(rec, "class"), "medium");
	ck_assert_str_eq(str(json_object_get(rec, "params"), "eviction"), "lfu");
	json_decref(rec);
	char *f = tu_join(home, "fake/payment-api-cache-dev"), *t = tu_read_file(f);
	ck_assert_str_eq(t, "redis medium\n");
	free(f), free(t);
	ck_assert_int_eq(njournal(), 0);
}
END_TEST

START_TEST(apply_refuses_unknown_class_change)
{
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, class: medium, params: {backups: daily}}\n"
	              "  cache: {type: redis, class: xlarge, params: {eviction: lru}}\n");
	expect_apply_error("%s: resource 'payment-api-cache-dev': class: small -> xlarge is not a "
	                   "known class (small, medium, large)");
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, class: medium, params: {backups: daily, bad: 1}}\n"
	              "  cache: {type: redis, params: {eviction: lru}}\n");
	expect_apply_error("fake_driver: provision.driver.fake.plan: resource "
	                   "'payment-api-database-dev': params.bad is refused by the fake driver");
	json_t *rec = record("payment-api-cache-dev");
	ck_assert_str_eq(str(rec, "class"), "small");     /* nothing changed */
	json_decref(rec);
}
END_TEST

START_TEST(apply_replaces_with_confirmation)
{
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	char *data = tu_join(home, "fake/payment-api-database-dev.data");
	tu_write_file(data, "rows\n");
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, class: medium, params: {backups: daily, layout: b}}\n"
	              "  cache: {type: redis, params: {eviction: lru}}\n");
	json_t *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(apply(NULL, NULL, &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "provision: provision.apply: refusing to replace 'payment-api-database-dev', which holds data, "
	                 "without confirmation: run again with --yes, or on a terminal to confirm "
	                 "by typing its name; nothing was changed");
	json_t *s = step(r, "payment-api-database-dev");
	ck_assert_str_eq(str(s, "action"), "replace");
	ck_assert(json_is_true(json_object_get(s, "has_data")));
	ck_assert_str_eq(str(s, "reason"), "the layout is fixed");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "confirm"), 0)),
	                 "payment-api-database-dev");
	free(err);
	json_decref(r);
	ck_assert_int_eq(access(data, F_OK), 0);             /* nothing changed */
	/* confirmed by name: replaced (the data is gone) */
	json_t *a = json_pack("{ss s[s]}", "file", yaml, "confirmed", "payment-api-database-dev");
	ck_assert_int_eq(call("provision.apply", a, &r, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "replaced"), 0)),
	                 "payment-api-database-dev");
	json_decref(r);
	ck_assert_int_ne(access(data, F_OK), 0);
	ck_assert(exists("%s/fake/%s", "payment-api-database-dev"));
	json_t *rec = record("payment-api-database-dev");
	ck_assert_str_eq(str(json_object_get(rec, "params"), "layout"), "b");
	json_decref(rec);
	free(data);
}
END_TEST

START_TEST(apply_prunes_only_when_asked)
{
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, class: medium, params: {backups: daily}}\n");
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	json_t *s = step(r, "payment-api-cache-dev");
	ck_assert_str_eq(str(s, "action"), "destroy");
	ck_assert(json_is_true(json_object_get(s, "kept")));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "changes")), 0);
	json_decref(r);
	ck_assert(exists("%s/fake/%s", "payment-api-cache-dev"));
	/* with prune, holding data: refused without yes */
	char *data = tu_join(home, "fake/payment-api-cache-dev.data"), *err = NULL;
	tu_write_file(data, "keys\n");
	ck_assert_int_eq(apply(NULL, "prune", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "provision: provision.apply: refusing to destroy 'payment-api-cache-dev', which holds data, "
	                 "without confirmation: run again with --yes, or on a terminal to confirm "
	                 "by typing its name; nothing was changed");
	free(err);
	json_decref(r);
	ck_assert(exists("%s/fake/%s", "payment-api-cache-dev"));
	ck_assert_int_eq(apply(NULL, "prune yes", &r, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "destroyed"), 0)),
	                 "payment-api-cache-dev");
	json_decref(r);
	ck_assert(!exists("%s/fake/%s", "payment-api-cache-dev"));
	ck_assert(!exists("%s/secrets/%s", "payment-api-cache-dev.json"));
	ck_assert_int_eq(nrecords(), 1);
	free(data);
}
END_TEST

/* ---- failures undo what the apply made ------------------------------- */

START_TEST(apply_undoes_earlier)
{
	json_t *r = NULL;
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss}", "type", "redis", "name",
	                      "keep-me"), &r, NULL), PAVED_OK);
	json_decref(r);
	tu_write_file(yaml, "service: svc\nresources:\n  database: {type: postgres}\n"
	              "  cache: {type: redis, params: {fail: true}}\n");
	expect_apply_error("fake_driver: provision.driver.fake.create: the fake cloud is down "
	                   "for svc-cache-dev");
	ck_assert_int_eq(nrecords(), 1);
	ck_assert_int_eq(njournal(), 0);
	ck_assert(!exists("%s/fake/%s", "svc-database-dev"));
	ck_assert(!exists("%s/secrets/%s", "svc-database-dev.json"));
	ck_assert(exists("%s/fake/%s", "keep-me"));
	json_t *ev = pv_events_tail(host, 100);
	char *text = json_dumps(ev, 0);
	ck_assert(tu_contains(text, "resource.failed"));
	ck_assert(tu_contains(text, "resource.destroyed"));
	free(text);
	json_decref(ev);
}
END_TEST

/* ---- bad input: exact messages, nothing made -------------------------- */

START_TEST(bad_resource_arguments)
{
	expect_error("provision.resource", json_pack("{ss ss}", "type", "mysql", "name", "a"),
	             "provision: provision.resource: unknown resource type 'mysql': known types "
	             "are postgres, redis and queue (an organisation adds one in drivers.provision, "
	             "e.g. drivers.provision.mysql.default)");
	expect_error("provision.resource", json_pack("{ss ss}", "type", "queue", "name", "a"),
	             "provision: provision.resource: no driver for queue in environment 'dev': set "
	             "drivers.provision.queue.dev (or drivers.provision.queue.default)");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "class", "huge"),
	             "provision: provision.resource: resource 'a': class 'huge' is not a known "
	             "class (small, medium, large)");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "env", "qa"),
	             "provision: provision.resource: driver 'nothere' of postgres 'a' is not "
	             "installed: no plugin provides provision.driver.nothere.create");
	expect_error("provision.resource", json_pack("{ss ss}", "type", "postgres", "name", "../etc"),
	             "provision: provision.resource: invalid resource name '../etc': use 1-63 "
	             "lowercase letters and digits, with single '-' or '_' between them, starting "
	             "with a letter");
	/* one lowercase rule: "A" cannot be made beside "a" */
	expect_error("provision.resource", json_pack("{ss ss}", "type", "postgres", "name", "A"),
	             "provision: provision.resource: invalid resource name 'A': use 1-63 "
	             "lowercase letters and digits, with single '-' or '_' between them, starting "
	             "with a letter");
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name", "a",
	                                             "size", "small"),
	             "provision: provision.resource: unknown argument 'size' ('size' is now 'class')");
	expect_error("provision.resource", json_pack("{ss ss s{s[]}}", "type", "postgres", "name",
	                                             "a", "params", "x"),
	             "provision: provision.resource: resource 'a': params.x must be a string, "
	             "number or boolean");
	expect_error("resources.destroy", json_pack("{ss}", "name", "nope"),
	             "provision: resources.destroy: no resource 'nope' (see 'paved resources list')");
	ck_assert_int_eq(nrecords(), 0);
	ck_assert_int_eq(njournal(), 0);
	ck_assert(!exists("%s/%s", "fake"));
}
END_TEST

START_TEST(resource_conflict_names_both_values)
{
	json_t *r = NULL;
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss}", "type", "postgres", "name",
	                      "orders-db"), &r, NULL), PAVED_OK);
	ck_assert(json_is_true(json_object_get(r, "changed")));
	json_decref(r);
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss}", "type", "postgres", "name",
	                      "orders-db"), &r, NULL), PAVED_OK);
	ck_assert(json_is_false(json_object_get(r, "changed")));
	json_decref(r);
	expect_error("provision.resource", json_pack("{ss ss ss}", "type", "postgres", "name",
	                                             "orders-db", "class", "large"),
	             "provision: provision.resource: resource 'orders-db' already exists with other "
	             "settings (class: small -> large); destroy it first ('paved resources destroy "
	             "orders-db') or choose another name");
	ck_assert_int_eq(call("resources.destroy", json_pack("{ss}", "name", "orders-db"), NULL,
	                      NULL), PAVED_OK);
	ck_assert_int_eq(nrecords(), 0);
	ck_assert(!exists("%s/fake/%s", "orders-db"));
}
END_TEST

START_TEST(bad_platform_yaml)
{
	/* platform.read (the host) checks the file; the provisioning its types */
	static const struct { const char *text, *want; } cases[] = {
		{ "resources:\n  db:\n    type: postgres\n    class: [small\n",
		  "%s:5:1: did not find expected ',' or ']' while parsing a flow sequence (started at "
		  "line 4)" },
		{ "resources:\n  db: {type: postgres}\n  db: {type: redis}\n",
		  "%s:3:3: duplicate key 'db'" },
		{ "resources:\n  db: {class: small}\n",
		  "%s:2:7: resources.db: type is required (postgres, redis, ...)" },
		{ "resources:\n  cache: {type: memcached}\n",
		  "%s: resources.cache: unknown resource type 'memcached': known types are postgres, "
		  "redis and queue (an organisation adds one in drivers.provision, e.g. "
		  "drivers.provision.memcached.default)" },
		{ "resources:\n  cache: {type: redis, class: huge}\n",
		  "%s: resource 'payment-api-cache-dev': class 'huge' is not a known class (small, "
		  "medium, large)" },
		{ "resources:\n  db: {type: postgres}\nenvironments:\n  dev:\n    resources:\n"
		  "      cache: {class: large}\n",
		  "%s:6:7: environments.dev.resources: 'cache' overrides no resource of this file" },
		{ "service: Payment\nresources: {db: {type: postgres}}\n",
		  "%s:1:10: service: 'Payment' is not a service name: lowercase letters, digits and "
		  "'-', starting with a letter, at most 63" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tu_write_file(yaml, cases[i].text);
		expect_apply_error(cases[i].want);
	}
	expect_error("provision.apply", json_pack("{ss}", "file", "/nonexistent/platform.yaml"),
	             "provision: provision.apply: cannot read /nonexistent/platform.yaml: No such "
	             "file or directory (write the service's resources in platform.yaml, e.g. "
	             "'resources: {db: {type: postgres}}')");
	ck_assert_int_eq(nrecords(), 0);
	ck_assert(!exists("%s/%s", "fake"));
}
END_TEST

START_TEST(platform_yaml_warnings)
{
	/* the vocabulary before Score's: size is read as class, with a warning */
	tu_write_file(yaml, "service: payment-api\nresources:\n  db: {type: postgres, size: medium}\n");
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, "dry", &r, NULL), PAVED_OK);
	ck_assert_str_eq(str(step(r, "payment-api-db-dev"), "class"), "medium");
	char want[8192];
	snprintf(want, sizeof want, "%s:3:7: resources.db.size is called class now (Score's "
	         "vocabulary); read as class", yaml);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)), want);
	json_decref(r);
}
END_TEST

START_TEST(no_resources)
{
	tu_write_file(yaml, "service: payment-api\nresources: {}\n");
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	ck_assert_int_eq(json_array_size(json_object_get(r, "plan")), 0);
	json_decref(r);
	/* a directory holding platform.yaml is read as well; the service is its name */
	char *dir = tu_join(tmp, "payment-api");
	tu_write_file(yaml, "resources: {db: {type: postgres}}\n");
	ck_assert_int_eq(call("provision.apply", json_pack("{ss}", "file", dir), &r, NULL), PAVED_OK);
	ck_assert_str_eq(str(r, "service"), "payment-api");
	json_decref(r);
	ck_assert(exists("%s/fake/%s", "payment-api-db-dev"));
	free(dir);
}
END_TEST

/* ---- the catalog: a valid Backstage Resource with its owner -------------- */

START_TEST(catalog_resources_have_owners)
{
	json_t *r = NULL, *e = NULL;
	ck_assert_int_eq(call("catalog.put", json_pack("{s{ss ss s{ss} s{ss ss ss}}}", "entity",
	                      "apiVersion", "backstage.io/v1alpha1", "kind", "Component",
	                      "metadata", "name", "payment-api", "spec", "type", "service",
	                      "lifecycle", "production", "owner", "team-payments"), NULL, NULL),
	                 PAVED_OK);
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	ck_assert_int_eq(call("catalog.get", json_pack("{ss}", "ref",
	                      "resource:default/payment-api-database-dev"), &e, NULL), PAVED_OK);
	json_t *spec = json_object_get(e, "spec");
	ck_assert_str_eq(str(spec, "owner"), "team-payments");    /* the service's owner */
	ck_assert_str_eq(str(spec, "type"), "database");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(spec, "dependencyOf"), 0)),
	                 "component:default/payment-api");
	json_decref(e);
	/* an owner given to apply; a service with no entity and no owner: not registered */
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss ss ss}", "type", "redis",
	                      "name", "orders-cache", "service", "orders", "owner", "team-orders"),
	                      &r, NULL), PAVED_OK);
	json_decref(r);
	ck_assert_int_eq(call("catalog.get", json_pack("{ss}", "ref", "resource:default/orders-cache"),
	                      &e, NULL), PAVED_OK);
	ck_assert_str_eq(str(json_object_get(e, "spec"), "owner"), "team-orders");
	json_decref(e);
	ck_assert_int_eq(call("provision.resource", json_pack("{ss ss ss}", "type", "redis",
	                      "name", "lone-cache", "service", "lone"), &r, NULL), PAVED_OK);
	json_decref(r);
	ck_assert_int_ne(call("catalog.get", json_pack("{ss}", "ref", "resource:default/lone-cache"),
	                      NULL, NULL), PAVED_OK);
	/* destroy takes it out of the catalog */
	ck_assert_int_eq(call("resources.destroy", json_pack("{ss}", "name", "orders-cache"), NULL,
	                      NULL), PAVED_OK);
	ck_assert_int_ne(call("catalog.get", json_pack("{ss}", "ref", "resource:default/orders-cache"),
	                      NULL, NULL), PAVED_OK);
}
END_TEST

/* ---- secrets ------------------------------------------------------------ */

START_TEST(secrets_directory_is_checked)
{
	/* a home other users may write: repaired, with a warning */
	ck_assert_int_eq(chmod(home, 0777), 0);
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	struct stat st;
	ck_assert_int_eq(stat(home, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0755);
	char *log = tu_join(home, "logs/paved.log"), *text = tu_read_file(log);
	char want[8192];
	snprintf(want, sizeof want, "the home (PAVED_HOME) %s had mode 0777 (other users could "
	         "write it); it is now 0755", home);
	ck_assert_msg(tu_contains(text, want), "log: %s", text);
	free(text), free(log);
	/* a secrets directory with a wider mode: repaired */
	char *sd = tu_join(home, "secrets");
	ck_assert_int_eq(chmod(sd, 0755), 0);
	json_t *o = NULL;
	ck_assert_int_eq(call("provision.outputs", json_pack("{ss ss}", "service", "payment-api",
	                      "env", "dev"), &o, NULL), PAVED_OK);
	json_decref(o);
	ck_assert_int_eq(stat(sd, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	/* a secrets directory that is a link: refused */
	char *elsewhere = tu_join(tmp, "elsewhere");
	tu_mkdirs(elsewhere, 0700);
	tu_rm_rf(sd);
	ck_assert_int_eq(symlink(elsewhere, sd), 0);
	tu_write_file(yaml, "service: other\nresources: {db: {type: postgres}}\n");
	snprintf(want, sizeof want, "provision: provision.apply: cannot keep secrets in %s: the "
	         "secrets directory is a symbolic link, not a directory; remove it (paved makes it "
	         "again)", sd);
	char *err = NULL;
	ck_assert_int_eq(apply(NULL, NULL, NULL, &err), PAVED_ERR);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert(!exists("%s/fake/%s", "other-db-dev"));     /* undone */
	ck_assert_ptr_null(record("other-db-dev"));
	ck_assert_int_eq(njournal(), 0);
	free(sd), free(elsewhere);
}
END_TEST

START_TEST(secrets_directory_of_another_user)
{
	if (geteuid() != 0)
		return;                  /* needs root to give the directory away (runs as root in CI) */
	char *sd = tu_join(home, "secrets"), want[8192], *err = NULL;
	tu_mkdirs(sd, 0700);
	ck_assert_int_eq(chown(sd, 65534, 65534), 0);
	snprintf(want, sizeof want, "provision: provision.apply: cannot keep secrets in %s: the "
	         "secrets directory belongs to uid 65534, not to you (uid 0); another user may "
	         "have made it: remove it (paved makes it again)", sd);
	ck_assert_int_eq(apply(NULL, NULL, NULL, &err), PAVED_ERR);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert_int_eq(nrecords(), 0);
	ck_assert(!exists("%s/fake/%s", "payment-api-database-dev"));
	free(sd);
}
END_TEST

/* ---- kill -9 at each fault point, then a rerun converges -------------- */

/* Run apply (FLAGS as for apply()) in a child with PAVED_TEST_FAULT=POINT:
 * it must die of SIGKILL. */
static void killed_apply(const char *point, const char *flags)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("PAVED_TEST_FAULT", point, 1);
		host = NULL;
		open_host(NULL);
		apply(NULL, flags, NULL, NULL);
		_exit(3);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: not killed", point);
	open_host(NULL);
}

START_TEST(kill_then_rerun_finishes)
{
	static const char *const points[] = { "provision.after_journal", "provision.after_create" };
	for (size_t i = 0; i < 2; i++) {
		killed_apply(points[i], NULL);
		ck_assert_int_eq(nrecords(), 0);
		ck_assert_int_eq(njournal(), 1);
		json_t *r = NULL;
		ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
		json_decref(r);
		ck_assert_int_eq(nrecords(), 2);
		ck_assert_int_eq(njournal(), 0);
		ck_assert(exists("%s/fake/%s", "payment-api-database-dev"));
		ck_assert(exists("%s/secrets/%s", "payment-api-database-dev.json"));
		ck_assert_int_eq(apply(NULL, "prune yes", NULL, NULL), PAVED_OK);
		tu_write_file(yaml, "service: payment-api\nresources: {}\n");
		ck_assert_int_eq(apply(NULL, "prune yes", NULL, NULL), PAVED_OK);
		ck_assert_int_eq(nrecords(), 0);
		tu_write_file(yaml, article);
	}
}
END_TEST

START_TEST(kill_then_other_command_rolls_back)
{
	killed_apply("provision.after_create", NULL);
	ck_assert(exists("%s/fake/%s", "payment-api-database-dev"));
	ck_assert_int_eq(njournal(), 1);
	/* the resource left the file: the next apply rolls the create back (a
	 * dry run only says so) */
	tu_write_file(yaml, "service: payment-api\nresources: {}\n");
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, "dry", &r, NULL), PAVED_OK);
	ck_assert_str_eq(str(json_array_get(json_object_get(r, "recovered"), 0), "outcome"), "pending");
	json_decref(r);
	ck_assert_int_eq(njournal(), 1);
	ck_assert(exists("%s/fake/%s", "payment-api-database-dev"));
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	json_t *d = json_array_get(json_object_get(r, "recovered"), 0);
	ck_assert_str_eq(str(d, "name"), "payment-api-database-dev");
	ck_assert_str_eq(str(d, "op"), "create");
	ck_assert_str_eq(str(d, "outcome"), "rolled back");
	json_decref(r);
	ck_assert(!exists("%s/fake/%s", "payment-api-database-dev"));
	ck_assert(!exists("%s/secrets/%s", "payment-api-database-dev.json"));
	ck_assert_int_eq(nrecords(), 0);
	ck_assert_int_eq(njournal(), 0);
	/* resources destroy of a name that only has a journal entry */
	tu_write_file(yaml, article);
	killed_apply("provision.after_create", NULL);
	ck_assert_int_eq(call("resources.destroy", json_pack("{ss}", "name",
	                      "payment-api-database-dev"), &r, NULL), PAVED_OK);
	ck_assert_str_eq(str(r, "rolled_back"), "create");
	json_decref(r);
	ck_assert(!exists("%s/fake/%s", "payment-api-database-dev"));
	ck_assert_int_eq(njournal(), 0);
}
END_TEST

START_TEST(kill_during_update_and_destroy)
{
	ck_assert_int_eq(apply(NULL, NULL, NULL, NULL), PAVED_OK);
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, class: large, params: {backups: daily}}\n");
	/* killed after the driver changed the database: taken back, then changed again */
	killed_apply("provision.after_update", NULL);
	json_t *rec = record("payment-api-database-dev");
	ck_assert_str_eq(str(rec, "class"), "medium");
	json_decref(rec);
	json_t *r = NULL;
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	ck_assert_str_eq(str(json_array_get(json_object_get(r, "recovered"), 0), "outcome"),
	                 "rolled back");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "updated"), 0)),
	                 "payment-api-database-dev");
	json_decref(r);
	rec = record("payment-api-database-dev");
	ck_assert_str_eq(str(rec, "class"), "large");
	json_decref(rec);
	/* killed after the driver destroyed the cache: the rerun finishes the destroy */
	killed_apply("provision.after_destroy", "prune yes");
	ck_assert_int_eq(njournal(), 1);
	ck_assert(!exists("%s/fake/%s", "payment-api-cache-dev"));
	ck_assert_int_eq(apply(NULL, NULL, &r, NULL), PAVED_OK);
	ck_assert_str_eq(str(json_array_get(json_object_get(r, "recovered"), 0), "outcome"),
	                 "finished");
	json_decref(r);
	ck_assert_ptr_null(record("payment-api-cache-dev"));
	ck_assert(!exists("%s/secrets/%s", "payment-api-cache-dev.json"));
	ck_assert_int_eq(nrecords(), 1);
	ck_assert_int_eq(njournal(), 0);
}
END_TEST

/* ---- the lock ------------------------------------------------------------- */

START_TEST(lock_timeout)
{
	char *dir = tu_join(home, "provision"), *p = tu_join(dir, "lock"), want[16800];
	int ready[2], done[2];
	tu_mkdirs(dir, 0700);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid_t pid = fork();
	if (pid == 0) {           /* another "paved" holding the lock until told */
		int fd = open(p, O_RDWR | O_CREAT, 0600);
		char c = flock(fd, LOCK_EX) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	char c = 0;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	open_host("plugins.provision.lock_timeout=0");
	snprintf(want, sizeof want, "provision: provision.resource: another paved command is "
	         "provisioning in %s and still holds %s after 0 s; try again when it has finished",
	         home, p);
	expect_error("provision.resource", json_pack("{ss ss}", "type", "postgres", "name", "x"), want);
	ck_assert_int_eq(write(done[1], "x", 1), 1);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(nrecords(), 0);
	free(dir), free(p);
}
END_TEST

/* Two applies at once on the same home: one waits; nothing duplicated. */
START_TEST(concurrent_apply)
{
	tu_write_file(yaml, "service: payment-api\nresources:\n"
	              "  database: {type: postgres, params: {slow: true}}\n"
	              "  cache: {type: redis, params: {slow: true}}\n");
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			host = NULL;
			open_host(NULL);
			json_t *r = NULL;
			int rc = apply(NULL, NULL, &r, NULL);
			_exit(rc == PAVED_OK ? 10 + (int)json_array_size(json_object_get(r, "created")) : 1);
		}
	}
	int got[2];
	for (int i = 0; i < 2; i++) {
		int st;
		waitpid(kids[i], &st, 0);
		got[i] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	/* one created both, the other found both there */
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
	tcase_set_timeout(t, 60);
	tcase_add_test(t, apply_twice);
	tcase_add_test(t, apply_dry_run);
	tcase_add_test(t, apply_environment_override);
	tcase_add_test(t, apply_updates_in_place);
	tcase_add_test(t, apply_refuses_unknown_class_change);
	tcase_add_test(t, apply_replaces_with_confirmation);
	tcase_add_test(t, apply_prunes_only_when_asked);
	tcase_add_test(t, apply_undoes_earlier);
	tcase_add_test(t, bad_resource_arguments);
	tcase_add_test(t, resource_conflict_names_both_values);
	tcase_add_test(t, bad_platform_yaml);
	tcase_add_test(t, platform_yaml_warnings);
	tcase_add_test(t, no_resources);
	tcase_add_test(t, catalog_resources_have_owners);
	tcase_add_test(t, secrets_directory_is_checked);
	tcase_add_test(t, secrets_directory_of_another_user);
	tcase_add_test(t, kill_then_rerun_finishes);
	tcase_add_test(t, kill_then_other_command_rolls_back);
	tcase_add_test(t, kill_during_update_and_destroy);
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
