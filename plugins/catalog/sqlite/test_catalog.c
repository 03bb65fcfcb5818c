/*
 * test_catalog.c -- the catalog plugin's unit tests: fixtures, helpers,
 * the hooks driven through a fake host, and main().
 *
 * The plugin's sources are linked straight into this program (no host, no
 * dlopen).  Each test gets a fresh database in a temporary directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glue.h"
#include "host.h"        /* the host's YAML code and option parser */
#include "test_util.h"
#include "validate.h"

struct cat_db tdb;
char tdir[256];

void tdb_setup_at(int version)
{
	char *err = NULL, path[300];
	snprintf(tdir, sizeof tdir, "%s/catalog-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
	                                                                       : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(path, sizeof path, "%s/paved.db", tdir);
	ck_assert_msg(cat_db_open_at(&tdb, path, version, &err) == 0, "open: %s", err);
}

void tdb_setup(void)
{
	tdb_setup_at(INT_MAX);
}

void tdb_teardown(void)
{
	char cmd[400];
	cat_db_close(&tdb);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tdir);
}

int tyaml(const char *text, tyaml_fn each, void *ud, char **err)
{
	struct paved_yaml_opts o = { .size = sizeof o, .text = text, .max_depth = CAT_YAML_MAX_DEPTH,
	                             .flags = PAVED_YAML_NUL, .each = each, .ud = ud };
	json_t *none = NULL;
	*err = NULL;
	int rc = paved->read_yaml(NULL, "t.yaml", &o, &none, err);
	json_decref(none);
	return rc == PAVED_OK ? 0 : -1;
}

int temit(FILE *f, json_t *docs, char **err)
{
	return paved->write_yaml(NULL, f, docs, PAVED_YAML_ALL_DOCS, err) == PAVED_OK ? 0 : -1;
}

/* Document callback of tput: put the document. */
static int put_doc(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	(void)where, (void)ud;
	return cat_put(&tdb, doc, "test", NULL, NULL, NULL, errmsg);
}

char *tput_err(const char *yaml)
{
	char *err = NULL;
	if (tyaml(yaml, put_doc, NULL, &err))
		return err ? err : strdup("?");
	return NULL;
}

void tput(const char *yaml)
{
	char *err = tput_err(yaml);
	ck_assert_msg(err == NULL, "put failed: %s", err);
}

const char *twrite(const char *name, const char *content)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", tdir, name);
	for (char *p = path + strlen(tdir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	return path;
}

int timport_as(const char *path, bool atomic, struct cat_import *res)
{
	json_t *paths = json_pack("[s]", path);
	cat_import_init(res, false);
	res->refs = json_array();   /* the refs imported, for refs_of() */
	res->atomic = atomic;
	int rc = cat_import_paths(&tdb, paths, res);
	json_decref(paths);
	return rc;
}

int timport(const char *path, struct cat_import *res)
{
	return timport_as(path, false, res);
}

long tcount(const char *sql)
{
	sqlite3_stmt *st;
	long v = -1;
	ck_assert_int_eq(sqlite3_prepare_v2(tdb.db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

const char *texamples(void)
{
	static char path[1024];
	const char *base = getenv("PAVED_TESTDATA");
	struct stat sb;
	snprintf(path, sizeof path, "%s/backstage-examples/catalog",
	         base && *base ? base : CAT_TESTDATA_DEFAULT);
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return path;
	/* a test that needs the shared data skips without it, but in CI a
	 * missing data set is a failure, never a silent pass */
	const char *ci = getenv("CI");
	ck_assert_msg(!(ci && strcmp(ci, "true") == 0), "the shared test data %s is missing "
	              "(CI=true: a missing data set fails the test)", path);
	return NULL;
}

int tcontains(json_t *arr, const char *s)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strstr(json_string_value(x), s))
			return 1;
	return 0;
}

/* ---- hooks through a fake host ---------------------------------------- */

extern const struct paved_plugin catalog_LTX_paved_plugin;

static struct { char name[64]; paved_fn fn; void *data; } fake_hooks[32];
static int nfake;
static json_t *events;

static int f_provide(paved_ctx *ctx, const char *hook, paved_fn fn, void *data,
                     void (*free_data)(void *), char **errmsg)
{
	(void)ctx, (void)free_data, (void)errmsg;
	ck_assert_int_lt(nfake, (int)(sizeof fake_hooks / sizeof fake_hooks[0]));
	snprintf(fake_hooks[nfake].name, sizeof fake_hooks[nfake].name, "%s", hook);
	fake_hooks[nfake].fn = fn;
	fake_hooks[nfake++].data = data;
	return PAVED_OK;
}

static int f_error(char **errmsg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(*errmsg);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
	return PAVED_ERR;
}

static void f_emit(paved_ctx *ctx, const char *event, json_t *fields)
{
	(void)ctx;
	json_array_append_new(events, json_pack("{s:s, s:O?}", "event", event, "fields", fields));
}

static const char *f_home(paved_ctx *ctx)
{
	(void)ctx;
	return tdir;
}

/* Hooks other plugins would provide: {hook: result}, or {hook: {"error":
 * message}}; the arguments of each call are kept in fake_calls. */
json_t *fake_results, *fake_calls;

static int f_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result, char **errmsg)
{
	(void)ctx;
	json_t *r = json_object_get(fake_results, hook);
	*result = NULL;
	if (fake_calls)
		json_array_append_new(fake_calls, json_pack("{s:s, s:O?}", "hook", hook, "args", args));
	if (!r) {
		f_error(errmsg, "no plugin provides '%s'", hook);
		return PAVED_NOHOOK;
	}
	if (json_is_object(r) && json_is_string(json_object_get(r, "error"))) {
		f_error(errmsg, "%s", json_string_value(json_object_get(r, "error")));
		return PAVED_ERR;
	}
	*result = json_deep_copy(r);
	return PAVED_OK;
}

/* The host's YAML reader and writer and its option parser, lent to the
 * plugin as the real host lends them. */
static int f_read_yaml(paved_ctx *ctx, const char *path, const struct paved_yaml_opts *opts,
                       json_t **out, char **errmsg)
{
	(void)ctx;
	return pv_yaml_read(path, opts, out, errmsg);
}

static int f_write_yaml(paved_ctx *ctx, FILE *out, json_t *docs, unsigned flags, char **errmsg)
{
	(void)ctx;
	return pv_yaml_write(out, docs, flags, errmsg);
}

static int f_cli_parse(paved_ctx *ctx, json_t *argv, const struct paved_flag *flags,
                       json_t **out, char **errmsg)
{
	(void)ctx;
	return pv_cli_parse(argv, flags, out, errmsg);
}

static void f_cli_help(paved_ctx *ctx, FILE *out, const struct paved_flag *flags)
{
	(void)ctx;
	pv_cli_help(out, flags);
}

/* Plugin state (namespace, key) -> value, for the deploy records. */
json_t *fake_state;

static json_t *f_state_get(paved_ctx *ctx, const char *ns, const char *key)
{
	(void)ctx;
	return json_incref(json_object_get(json_object_get(fake_state, ns), key));
}

struct paved_api fake_api = {
	.abi = PAVED_ABI_VERSION, .size = sizeof(struct paved_api),
	.provide = f_provide, .call = f_call, .emit = f_emit, .error = f_error, .home = f_home,
	.read_yaml = f_read_yaml, .write_yaml = f_write_yaml, .cli_parse = f_cli_parse,
	.cli_help = f_cli_help, .state_get = f_state_get,
};

/* Call the catalog hook NAME with ARGS (a JSON text); returns the status,
 * the result in *RES and the message in *ERR. */
static int hcall(const char *name, const char *args, json_t **res, char **err)
{
	json_t *a = json_loads(args, 0, NULL);
	ck_assert_msg(a != NULL, "bad test JSON %s", args);
	*res = NULL;
	*err = NULL;
	for (int i = 0; i < nfake; i++) {
		if (strcmp(fake_hooks[i].name, name) == 0) {
			int rc = fake_hooks[i].fn(NULL, a, res, err, fake_hooks[i].data);
			json_decref(a);
			return rc;
		}
	}
	ck_abort_msg("hook %s not registered", name);
	return -1;
}

static void hooks_setup(void)
{
	char *err = NULL;
	tdb_setup();
	nfake = 0;
	events = json_array();
	ck_assert_int_eq(catalog_LTX_paved_plugin.init(NULL, &fake_api, &err), PAVED_OK);
}

static void hooks_teardown(void)
{
	catalog_LTX_paved_plugin.fini(NULL);
	json_decref(events);
	tdb_teardown();
}

START_TEST(test_hook_contract)
{
	json_t *r;
	char *err;
	ck_assert_str_eq(catalog_LTX_paved_plugin.name, "catalog");
	ck_assert_int_eq(hcall("catalog.put", "{\"entity\": {\"apiVersion\": \"backstage.io/v1alpha1\","
	                       " \"kind\": \"Component\", \"metadata\": {\"name\": \"x\"},"
	                       " \"spec\": {\"type\": \"service\", \"lifecycle\": \"production\","
	                       " \"owner\": \"team-a\", \"dependsOn\": [\"resource:db\"]}}}",
	                       &r, &err), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r, "ref")), "component:default/x");
	ck_assert(json_is_true(json_object_get(r, "created")));
	json_decref(r);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, 0), "event")),
	                 "catalog.entity.registered");
	/* get by bare name and by ref, with relations */
	ck_assert_int_eq(hcall("catalog.get", "{\"ref\": \"x\"}", &r, &err), PAVED_OK);
	json_t *rels = json_object_get(r, "relations");
	ck_assert_int_eq(json_array_size(rels), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rels, 0), "type")),
	                 "dependsOn");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rels, 1), "targetRef")),
	                 "group:default/team-a");
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.query", "{\"owner\": \"team-a\"}", &r, &err), PAVED_OK);
	ck_assert_int_eq(json_array_size(r), 1);
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.query", "{\"colour\": \"red\"}", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "unknown filter 'colour'; use kind, owner, lifecycle, tag, system, "
	                 "text or limit");
	free(err);
	ck_assert_int_eq(hcall("catalog.deps", "{\"ref\": \"component:default/x\"}", &r, &err),
	                 PAVED_OK);
	ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
	ck_assert(json_is_false(json_object_get(json_array_get(json_object_get(r, "items"), 0),
	                                        "exists")));
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.delete", "{\"ref\": \"component:default/x\"}", &r, &err),
	                 PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r, "deleted")), "component:default/x");
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.get", "{\"ref\": \"x\"}", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "no entity named 'x' in the catalog; try 'paved catalog search x'");
	free(err);
	ck_assert_int_eq(hcall("catalog.delete", "{\"ref\": \"component:default/x\"}", &r, &err),
	                 PAVED_ERR);
	ck_assert_str_eq(err, "no entity 'component:default/x' in the catalog");
	free(err);
	ck_assert_int_eq(hcall("catalog.put", "{\"entity\": 3}", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "argument 'entity' (a Backstage entity object) is required");
	free(err);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, 1), "event")),
	                 "catalog.entity.deleted");
}
END_TEST

/* The hooks that answer from the whole catalog, and a bad argument's
 * message coming through them. */
START_TEST(test_hook_whole_catalog)
{
	json_t *r;
	char *err;
	tput("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: api\n"
	     "  annotations: {paved.dev/cost-per-month: \"100\"}\n"
	     "spec: {type: service, lifecycle: production, owner: team-a, dependsOn: [resource:db,"
	     " component:ghost]}\n---\napiVersion: backstage.io/v1alpha1\nkind: Resource\n"
	     "metadata:\n  name: db\n  annotations: {paved.dev/cost-per-month: \"50\"}\n"
	     "spec: {type: database, owner: team-a}\n");
	ck_assert_int_eq(hcall("catalog.check", "{}", &r, &err), PAVED_OK);
	/* ghost, and team-a (no Group entity) from each of the two */
	ck_assert_int_eq(json_array_size(json_object_get(r, "dangling")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "stats"), "entities")), 2);
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.export", "{}", &r, &err), PAVED_OK);
	ck_assert_int_eq(json_array_size(r), 2);
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.owners", "{}", &r, &err), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 0), "owner")),
	                 "group:default/team-a");
	ck_assert_int_eq(json_array_size(json_object_get(json_array_get(r, 0), "entities")), 2);
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.cost", "{}", &r, &err), PAVED_OK);
	ck_assert(json_real_value(json_object_get(json_array_get(r, 0), "total")) == 150.0);
	json_decref(r);
	ck_assert_int_eq(hcall("catalog.cost", "{\"by\": \"team\"}", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "cannot group costs by 'team'; use owner or system");
	free(err);
}
END_TEST

START_TEST(test_hook_import)
{
	json_t *r;
	char *err, args[1024];
	const char *p = twrite("a.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
	                       "metadata: {name: team-a}\nspec: {type: team, children: []}\n");
	snprintf(args, sizeof args, "{\"paths\": [\"%s\"], \"dry_run\": true}", p);
	ck_assert_int_eq(hcall("catalog.import", args, &r, &err), PAVED_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "imported")), 1);
	json_decref(r);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"), 0);   /* dry run */
	ck_assert_int_eq(json_array_size(events), 0);
	snprintf(args, sizeof args, "{\"paths\": [\"%s\"]}", p);
	ck_assert_int_eq(hcall("catalog.import", args, &r, &err), PAVED_OK);
	json_decref(r);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, 0), "event")),
	                 "catalog.imported");
	snprintf(args, sizeof args, "{\"paths\": [\"%s/missing.yaml\"]}", tdir);
	ck_assert_int_eq(hcall("catalog.import", args, &r, &err), PAVED_ERR);
	ck_assert_ptr_nonnull(strstr(err, "missing.yaml: No such file or directory (nothing was "
	                             "imported)"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "imported")), 0);   /* beside it */
	json_decref(r);
	free(err);
}
END_TEST

/* A host that hands out its state connection (paved->state_db): the
 * catalog keeps its tables there, nests in a transaction the host has
 * open, and leaves the connection open at fini. */
static sqlite3 *host_db;
static struct sqlite3 *f_state_db(paved_ctx *ctx)
{
	(void)ctx;
	return host_db;
}

static const char *const one_entity =
	"{\"entity\": {\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
	" \"metadata\": {\"name\": \"%s\"}, \"spec\": {\"type\": \"service\","
	" \"lifecycle\": \"production\", \"owner\": \"team-a\"}}}";

static long host_count(const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;
	ck_assert_int_eq(sqlite3_prepare_v2(host_db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

START_TEST(test_shared_state_connection)
{
	json_t *r;
	char *err, args[512];
	/* the catalog opened nothing yet: give it the host's connection, an
	 * in-memory database no file-based connection could see */
	catalog_LTX_paved_plugin.fini(NULL);
	ck_assert_int_eq(sqlite3_open(":memory:", &host_db), SQLITE_OK);
	fake_api.state_db = f_state_db;
	nfake = 0;
	ck_assert_int_eq(catalog_LTX_paved_plugin.init(NULL, &fake_api, &err), PAVED_OK);
	snprintf(args, sizeof args, one_entity, "kept");
	ck_assert_int_eq(hcall("catalog.put", args, &r, &err), PAVED_OK);
	json_decref(r);
	ck_assert_int_eq(host_count("SELECT count(*) FROM catalog_entities"), 1);
	/* inside the host's transaction: a savepoint, undone with it */
	ck_assert_int_eq(sqlite3_exec(host_db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	snprintf(args, sizeof args, one_entity, "undone");
	ck_assert_int_eq(hcall("catalog.put", args, &r, &err), PAVED_OK);
	json_decref(r);
	ck_assert_int_eq(host_count("SELECT count(*) FROM catalog_entities"), 2);
	ck_assert_int_eq(sqlite3_exec(host_db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(host_count("SELECT count(*) FROM catalog_entities"), 1);
	ck_assert_int_eq(host_count("SELECT count(*) FROM catalog_refs WHERE ref ="
	                            " 'component:default/undone'"), 0);
	/* a failing put inside it rolls back its savepoint only */
	ck_assert_int_eq(sqlite3_exec(host_db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(hcall("catalog.put", "{\"entity\": {\"kind\": \"Component\","
	                       " \"metadata\": {\"name\": \"x\"}, \"spec\": {\"owner\": \"group:\"}}}",
	                       &r, &err), PAVED_ERR);
	free(err);
	ck_assert_int_eq(sqlite3_get_autocommit(host_db), 0);
	ck_assert_int_eq(sqlite3_exec(host_db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	/* fini finalizes the catalog's statements and leaves the connection */
	catalog_LTX_paved_plugin.fini(NULL);
	ck_assert_int_eq(host_count("SELECT count(*) FROM catalog_entities"), 1);
	ck_assert_int_eq(sqlite3_close(host_db), SQLITE_OK);   /* nothing left open on it */
	host_db = NULL;
	fake_api.state_db = NULL;
	nfake = 0;
	ck_assert_int_eq(catalog_LTX_paved_plugin.init(NULL, &fake_api, &err), PAVED_OK);
}
END_TEST

Suite *hooks_suite(void)
{
	Suite *s = suite_create("hooks");
	TCase *tc = tcase_create("hooks");
	tcase_add_checked_fixture(tc, hooks_setup, hooks_teardown);
	tcase_add_test(tc, test_hook_contract);
	tcase_add_test(tc, test_hook_import);
	tcase_add_test(tc, test_hook_whole_catalog);
	tcase_add_test(tc, test_shared_state_connection);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	paved = &fake_api;   /* the core reads YAML through the host's table */
	cat_valid_template_register();
	SRunner *sr = srunner_create(model_suite());
	srunner_add_suite(sr, queries_suite());
	srunner_add_suite(sr, import_suite());
	srunner_add_suite(sr, hooks_suite());
	srunner_add_suite(sr, validate_suite());
	srunner_add_suite(sr, ingest_suite());
	srunner_add_suite(sr, health_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
