/*
 * test_ingest.c -- ingestion as Backstage ingests (import.c, glob.c,
 * placeholder.c): Location globs and presence, the import's root, link
 * loops, placeholders, NUL bytes, alias and number rules, the Template
 * kind, unchanged documents.
 */
#include <stdio.h>
#include <unistd.h>

#include "test_util.h"

#define H "apiVersion: backstage.io/v1alpha1\n"
#define CS "spec: {type: service, lifecycle: production, owner: team-a}\n"

/* A component document named NAME. */
static char *comp(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof buf, H "kind: Component\nmetadata: {name: %s}\n" CS, name);
	return buf;
}

/* Import PATH; the refs imported, space-joined in order (static). */
static const char *refs_of(const char *path, int want_rc, struct cat_import *res)
{
	static char buf[2048];
	json_t *x;
	size_t i;
	ck_assert_int_eq(timport(path, res), want_rc);
	buf[0] = '\0';
	json_array_foreach(res->refs, i, x)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "",
		         json_string_value(x));
	return buf;
}

START_TEST(test_glob_targets)
{
	struct cat_import res;
	twrite("sub/x.yaml", comp("x"));
	twrite("sub/d1/y.yaml", comp("y"));
	twrite("sub/d1/d2/z.yaml", comp("z"));
	twrite("sub/.hidden/h.yaml", comp("h"));     /* ** skips dot directories */
	twrite("sub/d1/note.txt", "not yaml\n");
	twrite("a.yaml", comp("a"));
	twrite("b.yaml", comp("b"));
	twrite("c.yaml", comp("c"));
	const char *loc = twrite("loc.yaml", H "kind: Location\nmetadata: {name: l}\n"
	                         "spec: {targets: ['./sub/**/*.yaml', './{a,b}.yaml']}\n");
	/* each pattern's files in path order, as glob lists them */
	ck_assert_str_eq(refs_of(loc, 0, &res), "location:default/l component:default/z "
	                 "component:default/y component:default/x component:default/a "
	                 "component:default/b");
	ck_assert_int_eq(json_array_size(res.errors), 0);
	cat_import_free(&res);
	/* nested braces and a pattern inside one */
	loc = twrite("loc2.yaml", H "kind: Location\nmetadata: {name: l2}\n"
	             "spec: {target: './{c,sub/{d1/y,x}}.y*ml'}\n");
	ck_assert_str_eq(refs_of(loc, 0, &res), "location:default/l2 component:default/c");
	cat_import_free(&res);
	/* a glob that matches nothing is an error unless the target is optional */
	loc = twrite("none.yaml", H "kind: Location\nmetadata: {name: n}\n"
	             "spec: {targets: ['./gone/**/*.yaml']}\n");
	ck_assert_int_eq(timport(loc, &res), -1);
	ck_assert(tcontains(res.errors, "none.yaml:1:1: Location target './gone/**/*.yaml' matches "
	                    "no file (say presence: optional if that is expected)"));
	ck_assert_int_eq(res.imported, 1);   /* the Location itself is fine */
	cat_import_free(&res);
}
END_TEST

START_TEST(test_presence_optional)
{
	struct cat_import res;
	const char *loc = twrite("opt.yaml", H "kind: Location\nmetadata: {name: o}\n"
	                         "spec: {presence: optional, targets: [./missing.yaml, './no/**/*.yaml']}\n");
	ck_assert_int_eq(timport(loc, &res), 0);
	ck_assert_int_eq(json_array_size(res.errors), 0);
	ck_assert_int_eq(res.imported, 1);
	cat_import_free(&res);
	loc = twrite("req.yaml", H "kind: Location\nmetadata: {name: r}\n"
	             "spec: {presence: required, target: ./missing.yaml}\n");
	ck_assert_int_eq(timport(loc, &res), -1);
	ck_assert(tcontains(res.errors, "req.yaml:1:1: Location target './missing.yaml' does not "
	                    "exist (say presence: optional if that is expected"));
	cat_import_free(&res);
}
END_TEST

/* Nothing outside the directory of the PATH imported is read: not by a
 * Location's "../..", not through a symbolic link. */
START_TEST(test_root_confines)
{
	struct cat_import res;
	char want[1200], inner[600], outside[600];
	twrite("outside.yaml", comp("outside"));
	snprintf(outside, sizeof outside, "%s/outside.yaml", tdir);
	const char *loc = twrite("in/deep/loc.yaml", H "kind: Location\nmetadata: {name: l}\n"
	                         "spec: {targets: [../../outside.yaml, '../../*.yaml']}\n");
	snprintf(inner, sizeof inner, "%s/in/deep", tdir);
	ck_assert_int_eq(timport(loc, &res), -1);
	snprintf(want, sizeof want, "%s:1:1: Location target '../../outside.yaml' is outside %s, "
	         "the directory imported; not read", loc, inner);
	ck_assert_str_eq(json_string_value(json_array_get(res.errors, 0)), want);
	ck_assert_int_eq(json_array_size(res.errors), 2);
	ck_assert_int_eq(res.imported, 1);
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities WHERE name = 'outside'"), 0);
	/* a link to outside: skipped in a directory walk, refused as a target */
	snprintf(want, sizeof want, "%s/in/deep/link.yaml", tdir);
	ck_assert_int_eq(symlink(outside, want), 0);
	ck_assert_int_eq(timport(inner, &res), -1);   /* loc.yaml's targets again */
	ck_assert(tcontains(res.warnings, "link.yaml: skipped: it leads to "));
	cat_import_free(&res);
	loc = twrite("in/deep/viaLink.yaml", H "kind: Location\nmetadata: {name: v}\n"
	             "spec: {target: ./link.yaml}\n");
	ck_assert_int_eq(timport(loc, &res), -1);
	ck_assert_msg(tcontains(res.errors, "viaLink.yaml:1:1: Location target './link.yaml' is "
	                        "outside "), "%s", json_dumps(res.errors, 0));
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities WHERE name = 'outside'"), 0);
}
END_TEST

/* a -> . and b -> . : each real directory is walked once (issue #12). */
START_TEST(test_symlink_loop)
{
	struct cat_import res;
	char dir[600], path[700];
	twrite("loop/one.yaml", comp("one"));
	snprintf(dir, sizeof dir, "%s/loop", tdir);
	snprintf(path, sizeof path, "%s/a", dir);
	ck_assert_int_eq(symlink(".", path), 0);
	snprintf(path, sizeof path, "%s/b", dir);
	ck_assert_int_eq(symlink(".", path), 0);
	ck_assert_int_eq(timport(dir, &res), 0);
	ck_assert_int_eq(res.imported, 1);
	ck_assert_int_eq(res.files, 1);
	cat_import_free(&res);
	/* a ** glob over the loop ends too, each file once */
	const char *loc = twrite("loop/all.yaml", H "kind: Location\nmetadata: {name: all}\n"
	                         "spec: {target: './**/*.yaml'}\n");
	ck_assert_int_eq(timport(loc, &res), 0);
	ck_assert_int_eq(res.files, 2);
	cat_import_free(&res);
}
END_TEST

START_TEST(test_placeholders)
{
	struct cat_import res;
	twrite("api/spec.txt", "openapi: 3.0.0\n");
	twrite("api/data.json", "{\"a\": [1, 2]}");
	twrite("api/data.yaml", "b: yes\nc: [x]\n");
	twrite("api/two.yaml", "a: 1\n---\nb: 2\n");
	twrite("secret.txt", "top secret\n");
	const char *p = twrite("api/api.yaml", H "kind: API\nmetadata: {name: pets}\n"
	                       "spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n"
	                       "  definition: {$text: ./spec.txt}\n"
	                       "  extra: {j: {$json: data.json}, y: {$yaml: ./data.yaml},"
	                       " keep: {$ref: '#/x', other: 1}, unknown: {$foo: bar}, num: {$text: 3}}\n");
	ck_assert_int_eq(timport(p, &res), 0);
	cat_import_free(&res);
	json_t *e = cat_get(&tdb, "api:default/pets");
	ck_assert_str_eq(cat_get_str(e, "spec.definition"), "openapi: 3.0.0\n");
	json_t *extra = json_object_get(json_object_get(e, "spec"), "extra");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(json_object_get(extra,
	                 "j"), "a"), 1)), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(extra, "y"), "b")), "yes");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(extra, "keep"), "$ref")),
	                 "#/x");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(extra, "unknown"), "$foo")),
	                 "bar");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(extra, "num"), "$text")), 3);
	json_decref(e);
	/* outside the root, two documents, a missing file: the entity is rejected */
	p = twrite("api/bad.yaml", H "kind: API\nmetadata: {name: a1}\n"
	           "spec: {type: openapi, lifecycle: x, owner: t, definition: {$text: ../secret.txt}}\n"
	           "---\n" H "kind: API\nmetadata: {name: a2}\n"
	           "spec: {type: openapi, lifecycle: x, owner: t, definition: {$yaml: two.yaml}}\n"
	           "---\n" H "kind: API\nmetadata: {name: a3}\n"
	           "spec: {type: openapi, lifecycle: x, owner: t, definition: {$json: ./nope.json}}\n");
	ck_assert_int_eq(timport(p, &res), -1);
	ck_assert_int_eq(res.rejected, 3);
	char want[1200];
	snprintf(want, sizeof want, "%s:1:1: placeholder $text: ../secret.txt is outside %s/api, the "
	         "directory imported; not read", p, tdir);
	ck_assert_str_eq(json_string_value(json_array_get(res.errors, 0)), want);
	ck_assert_msg(tcontains(res.errors, "bad.yaml:5:1: placeholder $yaml: two.yaml:2:1: a second "
	                        "document; one was expected"), "%s", json_dumps(res.errors, 0));
	ck_assert(tcontains(res.errors, "bad.yaml:10:1: placeholder $json: cannot read ./nope.json: "
	                    "No such file or directory"));
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_documents WHERE json LIKE "
	                        "'%top secret%'"), 0);
}
END_TEST

/* A NUL byte in any string is refused: list and export would lose it. */
START_TEST(test_nul_refused)
{
	struct cat_import res;
	const char *p = twrite("nul.json", "[{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": "
	                       "\"Component\", \"metadata\": {\"name\": \"ok\", \"description\": "
	                       "\"a\\u0000b\"}, \"spec\": {\"type\": \"service\", \"lifecycle\": "
	                       "\"x\", \"owner\": \"t\", \"tags\": [\"x\\u0000\"]}}]");
	ck_assert_int_eq(timport(p, &res), -1);
	ck_assert(tcontains(res.errors, "nul.json:1:1: metadata.description holds a NUL byte (\\0); "
	                    "refused"));
	ck_assert(tcontains(res.errors, "nul.json:1:1: spec.tags[0] holds a NUL byte"));
	ck_assert_int_eq(res.rejected, 1);
	cat_import_free(&res);
	p = twrite("nul.yaml", H "kind: Component\nmetadata: {name: \"nul\\0x\"}\n" CS);
	ck_assert_int_eq(timport(p, &res), -1);
	ck_assert(tcontains(res.errors, "metadata.name holds a NUL byte"));
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"), 0);
}
END_TEST

/* At most 100 aliases a document, as Backstage's YAML parser. */
START_TEST(test_alias_limit)
{
	struct cat_import res;
	for (int n = 100; n <= 101; n++) {
		char path[64], *text = malloc(8192);
		int o = sprintf(text, H "kind: Component\nmetadata:\n  name: al%d\n  labels: {a: &a x}\n"
		                "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
		                "  refs: [", n);
		for (int i = 0; i < n; i++)
			o += sprintf(text + o, "%s*a", i ? ", " : "");
		strcpy(text + o, "]\n");
		snprintf(path, sizeof path, "alias%d.yaml", n);
		const char *p = twrite(path, text);
		free(text);
		ck_assert_int_eq(timport(p, &res), n == 100 ? 0 : -1);
		if (n == 101)
			ck_assert(tcontains(res.errors, "more than 100 aliases in one document; refused"));
		cat_import_free(&res);
	}
}
END_TEST

/* YAML 1.2 numbers stored as Backstage stores them (it keeps JSON):
 * infinity and NaN as null, big integers as the nearest double. */
START_TEST(test_numbers_as_backstage)
{
	struct cat_import res;
	const char *p = twrite("num.yaml", H "kind: Component\nmetadata: {name: n}\n"
	                       "spec: {type: service, lifecycle: x, owner: t, inf: .inf, nan: .nan,"
	                       " big: 12345678901234567890, str: '.inf'}\n");
	ck_assert_int_eq(timport(p, &res), 0);
	cat_import_free(&res);
	json_t *e = cat_get(&tdb, "component:default/n"), *spec = json_object_get(e, "spec");
	ck_assert(json_is_null(json_object_get(spec, "inf")));
	ck_assert(json_is_null(json_object_get(spec, "nan")));
	ck_assert(json_number_value(json_object_get(spec, "big")) == 12345678901234567890.0);
	ck_assert_str_eq(json_string_value(json_object_get(spec, "str")), ".inf");
	json_decref(e);
}
END_TEST

/* Export quotes strings a YAML 1.1 reader would turn into booleans. */
START_TEST(test_export_quotes_yaml11)
{
	char *err = NULL, *buf = NULL;
	size_t len = 0;
	tput(H "kind: Component\nmetadata:\n  name: q\n  annotations: {a: 'yes', b: 'off', c: 'y'}\n"
	     CS);
	json_t *all = cat_export(&tdb, &err);
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(temit(f, all, &err), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "a: \"yes\""));
	ck_assert_ptr_nonnull(strstr(buf, "b: \"off\""));
	ck_assert_ptr_nonnull(strstr(buf, "c: \"y\""));
	json_decref(all);
	free(buf);
}
END_TEST

/* The scaffolder's Template kind: imported with its owner relation. */
START_TEST(test_template_kind)
{
	struct cat_import res;
	const char *p = twrite("t.yaml", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\n"
	                       "metadata: {name: svc}\nspec:\n  owner: backstage/techdocs-core\n"
	                       "  type: service\n  parameters: [{title: x}]\n"
	                       "  steps: [{id: f, action: 'fetch:template', input: {url: ./t}}]\n"
	                       "---\napiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\n"
	                       "metadata: {name: nosteps}\nspec: {type: service, owner: team-a}\n"
	                       "---\napiVersion: backstage.io/v1alpha1\nkind: Template\n"
	                       "metadata: {name: oldapi}\nspec: {type: service, steps: []}\n");
	ck_assert_int_eq(timport(p, &res), -1);
	ck_assert_int_eq(res.imported, 1);
	ck_assert_msg(tcontains(res.errors, "t.yaml:9:1: spec.steps is required for kind Template"),
	              "%s", json_dumps(res.errors, 0));
	ck_assert(tcontains(res.errors, "t.yaml:14:1: apiVersion \"backstage.io/v1alpha1\": no "
	                    "processor recognises kind Template with it"));
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE source ="
	                        " 'template:default/svc' AND type = 'ownedBy' AND target ="
	                        " 'group:backstage/techdocs-core'"), 1);
	const char *ex = texamples();
	if (!ex)
		return;
	char path[1200];
	snprintf(path, sizeof path, "%s/../templates", ex);
	/* the two templates; the skeleton (Nunjucks, not YAML) is an error */
	ck_assert_int_eq(timport(path, &res), -1);
	ck_assert_int_eq(res.imported, 2);
	ck_assert(tcontains(res.errors, "skeleton/catalog-info.yaml:5:4: found character that cannot "
	                    "start any token"));
	cat_import_free(&res);
}
END_TEST

/* Re-import: a file unchanged since it was imported whole is not parsed;
 * in a changed file only the changed documents are written. */
START_TEST(test_unchanged_skipped)
{
	struct cat_import res;
	char text[4096] = "", name[8];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "c%d", i);
		strcat(strcat(text, comp(name)), "---\n");
	}
	const char *p = twrite("ten.yaml", text);
	ck_assert_int_eq(timport(p, &res), 0);
	ck_assert_int_eq(res.created, 10);
	cat_import_free(&res);
	ck_assert_int_eq(timport(p, &res), 0);
	ck_assert_int_eq(res.unchanged, 10);
	ck_assert_int_eq(res.imported, 10);
	cat_import_free(&res);
	/* one document changes */
	char *at = strstr(text, "lifecycle: production");
	memcpy(at, "lifecycle: deprecated", strlen("lifecycle: deprecated"));
	twrite("ten.yaml", text);
	ck_assert_int_eq(timport(p, &res), 0);
	ck_assert_int_eq(res.updated, 1);
	ck_assert_int_eq(res.unchanged, 9);
	cat_import_free(&res);
}
END_TEST

Suite *ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");
	tcase_add_checked_fixture(tc, tdb_setup, tdb_teardown);
	tcase_add_test(tc, test_glob_targets);
	tcase_add_test(tc, test_presence_optional);
	tcase_add_test(tc, test_root_confines);
	tcase_add_test(tc, test_symlink_loop);
	tcase_add_test(tc, test_placeholders);
	tcase_add_test(tc, test_nul_refused);
	tcase_add_test(tc, test_alias_limit);
	tcase_add_test(tc, test_numbers_as_backstage);
	tcase_add_test(tc, test_export_quotes_yaml11);
	tcase_add_test(tc, test_template_kind);
	tcase_add_test(tc, test_unchanged_skipped);
	suite_add_tcase(s, tc);
	return s;
}
