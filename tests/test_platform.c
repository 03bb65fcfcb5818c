/*
 * test_platform.c -- platform.yaml, the service's contract, as the host's
 * hook platform.read reads it (host/platform.c).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *dir, *file;

static void setup(void)
{
	tmp = tu_mkdtemp();
	dir = tu_join(tmp, "payment-api");
	tu_mkdirs(dir, 0755);
	file = tu_join(dir, "platform.yaml");
}

static void teardown(void)
{
	tu_rm_rf(tmp);
	free(tmp), free(dir), free(file);
}

/* Write TEXT as platform.yaml and read it for ENV: the result, or NULL
 * with *ERR. */
static json_t *read_for(const char *text, const char *env, char **err)
{
	json_t *out = NULL;
	*err = NULL;
	tu_write_file(file, text);
	if (pv_platform_read(NULL, dir, env, NULL, &out, err) != PAVED_OK)
		return NULL;
	return out;
}

/* Expect TEXT to be refused with "platform.yaml:WHERE" (WHERE is the rest
 * of the message after the file's path). */
static void refused(const char *text, const char *want)
{
	char *err = NULL, *full = NULL;
	json_t *p = read_for(text, "dev", &err);
	ck_assert_msg(p == NULL, "accepted: %s", text);
	ck_assert_int_ne(asprintf(&full, "%s%s", file, want), -1);
	ck_assert_str_eq(err, full);
	free(err), free(full);
}

static const char golden[] =
	"# what the golden path writes\n"
	"service: payment-api\n"
	"resources:\n"
	"  db:\n"
	"    type: postgres\n"
	"    class: small\n"
	"    params: {backups: daily}\n"
	"deploy:\n"
	"  build: \"\"\n"
	"  run: node src/server.js\n"
	"  port: 8080\n"
	"  health: /health\n"
	"  replicas: 2\n"
	"  strategy: rolling\n"
	"  variables:\n"
	"    DATABASE_URL: ${resources.db.url}\n"
	"environments:\n"
	"  production:\n"
	"    deploy: {replicas: 3, strategy: canary}\n"
	"    resources: {db: {class: medium}}\n"
	"slo:\n"
	"  availability: 99.9\n"
	"  latency: {p99_ms: 200}\n"
	"  window: 30d\n";

START_TEST(test_golden_path_file)
{
	char *err;
	json_t *p = read_for(golden, "dev", &err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(p, "service")), "payment-api");
	json_t *d = json_object_get(p, "deploy");
	ck_assert_int_eq(json_array_size(json_object_get(d, "build")), 0);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "run"), 1)),
	                 "src/server.js");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "replicas")), 2);
	json_t *db = json_object_get(json_object_get(p, "resources"), "db");
	ck_assert_str_eq(json_string_value(json_object_get(db, "class")), "small");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(db, "params"),
	                 "backups")), "daily");
	ck_assert_int_eq(json_array_size(json_object_get(p, "warnings")), 0);
	ck_assert_ptr_null(json_object_get(p, "environments"));
	json_decref(p);
	/* production's overrides merge over the base */
	p = read_for(golden, "production", &err);
	d = json_object_get(p, "deploy");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "replicas")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(d, "strategy")), "canary");
	ck_assert_str_eq(json_string_value(json_object_get(d, "health")), "/health");
	db = json_object_get(json_object_get(p, "resources"), "db");
	ck_assert_str_eq(json_string_value(json_object_get(db, "class")), "medium");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(db, "params"),
	                 "backups")), "daily");
	json_decref(p);
}
END_TEST

START_TEST(test_defaults_and_warnings)
{
	char *err;
	json_t *p = read_for("resources:\n  cache: {type: redis, size: medium, eviction: lru}\n"
	                     "colour: blue\n", "dev", &err);
	ck_assert_msg(p != NULL, "%s", err);
	/* the service is named after the directory; class defaults; size is class */
	ck_assert_str_eq(json_string_value(json_object_get(p, "service")), "payment-api");
	json_t *c = json_object_get(json_object_get(p, "resources"), "cache");
	ck_assert_str_eq(json_string_value(json_object_get(c, "class")), "medium");
	json_t *w = json_object_get(p, "warnings");
	ck_assert_int_eq(json_array_size(w), 3);
	char *all = json_dumps(w, 0);
	ck_assert(tu_contains(all, "platform.yaml:2:48: unknown key 'resources.cache.eviction' "
	                      "(ignored)"));
	ck_assert(tu_contains(all, "platform.yaml:2:10: resources.cache.size is called class now"));
	ck_assert(tu_contains(all, "platform.yaml:3:9: unknown key 'colour' (ignored)"));
	free(all);
	json_decref(p);
	/* the caller may name the service the file does not name */
	ck_assert_int_eq(pv_platform_read(NULL, dir, "dev", "billing", &p, &err), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(p, "service")), "billing");
	json_decref(p);
}
END_TEST

START_TEST(test_refused_with_positions)
{
	refused("deploy:\n  port: 80800\n", ":2:9: deploy.port: must be a port number (1-65535)");
	refused("deploy:\n  replicas: 0\n", ":2:13: deploy.replicas: must be a whole number from "
	        "1 to 64");
	refused("deploy:\n  run: []\n", ":2:8: deploy.run: is empty: say how to start the service");
	refused("deploy:\n  variables:\n    DB: ${resources.db.url}\n",
	        ":3:9: deploy.variables.DB: placeholder '${resources.db.url}' names no resource "
	        "'db' of this file");
	refused("deploy:\n  variables:\n    DB: ${env.HOME}\n", ":3:9: deploy.variables.DB: "
	        "unknown placeholder '${env.HOME}' (use ${resources.NAME.FIELD})");
	refused("resources:\n  db: {class: small}\n", ":2:7: resources.db: type is required "
	        "(postgres, redis, ...)");
	refused("resources:\n  Db: {type: postgres}\n", ":2:7: resources.Db: resource names are "
	        "lowercase letters, digits and '-', starting with a letter");
	refused("service: Payment\n", ":1:10: service: 'Payment' is not a service name: lowercase "
	        "letters, digits and '-', starting with a letter, at most 63");
	refused("slo: {availability: 100}\n", ":1:21: slo.availability: must be a percentage "
	        "above 0 and below 100, such as 99.9");
	refused("slo: {window: 4w}\n", ":1:15: slo.window: must be a number of days, such as "
	        "30d (1d to 90d)");
	refused("environments:\n  prod:\n    resources: {cache: {class: large}}\n",
	        ":3:16: environments.prod.resources: 'cache' overrides no resource of this file");
	refused("deploy:\n  replicas: 2\n  replicas: 3\n", ":3:3: duplicate key 'replicas'");
	refused("- a\n- b\n", ":1:1: (top): must be a mapping with service, resources and deploy");
}
END_TEST

START_TEST(test_deep_nesting_is_refused_fast)
{
	/* 100,000 levels took 17.5 s before; the reader's depth limit stops it */
	size_t n = 100000;
	char *text = malloc(n + 10);
	memcpy(text, "deploy: ", 8);
	memset(text + 8, '[', n);
	text[8 + n] = '\0';
	char *err = NULL;
	ck_assert_ptr_null(read_for(text, "dev", &err));
	ck_assert(tu_contains(err, "platform.yaml:1:72: nesting deeper than 64 levels"));
	free(text), free(err);
}
END_TEST

/* The fuzzer's find: an override merged into a node an alias shares made
 * the contract contain itself (truncated JSON, endless walks). */
START_TEST(test_alias_cycle)
{
	char *err;
	json_t *p = read_for("service: a\ndeploy: &d {run: x}\n"
	                     "environments: {dev: {deploy: {loop: [*d]}}}\n", "dev", &err);
	ck_assert_msg(p != NULL, "%s", err);
	char *text = json_dumps(p, JSON_COMPACT);   /* finite: no cycle */
	ck_assert_ptr_nonnull(text);
	ck_assert(tu_contains(text, "\"loop\":[{\"run\":\"x\"}]"));
	free(text);
	json_decref(p);
}
END_TEST

START_TEST(test_score_file)
{
	char *err = NULL, *score = tu_join(dir, "score.yaml");
	json_t *p = NULL;
	tu_write_file(score, "apiVersion: score.dev/v1b1\n"
	              "metadata: {name: hello-world}\n"
	              "containers:\n"
	              "  main:\n"
	              "    image: .\n"
	              "    command: [node]\n"
	              "    args: [src/server.js]\n"
	              "    variables: {DATABASE_URL: \"${resources.db.url}\"}\n"
	              "service:\n  ports:\n    www: {port: 80, targetPort: 8080}\n"
	              "resources:\n  db: {type: postgres}\n");
	/* no platform.yaml in the directory: score.yaml is read */
	ck_assert_msg(pv_platform_read(NULL, dir, "dev", NULL, &p, &err) == PAVED_OK, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(p, "service")), "hello-world");
	json_t *d = json_object_get(p, "deploy");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "run"), 0)), "node");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "run"), 1)),
	                 "src/server.js");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "port")), 8080);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "variables"),
	                 "DATABASE_URL")), "${resources.db.url}");
	json_decref(p);
	free(score);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("platform");
	TCase *tc = tcase_create("platform");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_golden_path_file);
	tcase_add_test(tc, test_defaults_and_warnings);
	tcase_add_test(tc, test_refused_with_positions);
	tcase_add_test(tc, test_deep_nesting_is_refused_fast);
	tcase_add_test(tc, test_score_file);
	tcase_add_test(tc, test_alias_cycle);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
