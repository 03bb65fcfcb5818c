/*
 * test_model.c -- YAML reading, the entity model (refs, validation, rich
 * fields) and relation computation.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "test_util.h"

/* Collect every document of a parse into an array (UD). */
static int collect(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	(void)errmsg;
	json_array_append_new(ud, json_pack("{s:O, s:i, s:i}", "doc", doc, "line", where->line,
	                                    "col", where->column));
	return 0;
}

/* Parse TEXT; returns the documents, or NULL with *ERR set. */
static json_t *parse(const char *text, char **err)
{
	json_t *docs = json_array();
	*err = NULL;
	if (tyaml(text, collect, docs, err)) {
		json_decref(docs);
		return NULL;
	}
	return docs;
}

START_TEST(test_yaml_scalars)
{
	char *err;
	json_t *d = parse("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: \"true\"\ng: 0x1f\nh: yes\n"
	                  "i: !!str 2\nj: [1, two, {k: v}]\nk: 99999999999999999999\nl: -7\n", &err);
	ck_assert_msg(d != NULL, "%s", err);
	json_t *o = json_object_get(json_array_get(d, 0), "doc");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "a")), 1);
	ck_assert(json_real_value(json_object_get(o, "b")) == 1.5);
	ck_assert(json_is_true(json_object_get(o, "c")));
	ck_assert(json_is_null(json_object_get(o, "d")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "e")), "1");
	ck_assert_str_eq(json_string_value(json_object_get(o, "f")), "true");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "g")), 31);
	ck_assert_str_eq(json_string_value(json_object_get(o, "h")), "yes");   /* YAML 1.2 */
	ck_assert_str_eq(json_string_value(json_object_get(o, "i")), "2");
	ck_assert_int_eq(json_array_size(json_object_get(o, "j")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(o, "k")), "99999999999999999999");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "l")), -7);
	json_decref(d);
}
END_TEST

START_TEST(test_yaml_multidoc_and_json)
{
	char *err;
	json_t *d = parse("# c\nkind: A\n---\nkind: B\n---\n{\"kind\": \"C\", \"n\": [1, 2.5, null]}\n",
	                  &err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_int_eq(json_array_size(d), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(d, 1), "line")), 3);
	json_t *c = json_object_get(json_array_get(d, 2), "doc");
	ck_assert_str_eq(json_string_value(json_object_get(c, "kind")), "C");
	ck_assert(json_is_null(json_array_get(json_object_get(c, "n"), 2)));
	json_decref(d);
}
END_TEST

START_TEST(test_yaml_errors)
{
	char *err;
	ck_assert_ptr_null(parse("kind: Component\nmetadata:\n  name: [unclosed\n", &err));
	ck_assert_str_eq(err, "t.yaml:4:1: did not find expected ',' or ']' while parsing a "
	                 "flow sequence (started at line 3)");
	free(err);
	ck_assert_ptr_null(parse("a: 1\na: 2\n", &err));
	ck_assert_str_eq(err, "t.yaml:2:1: duplicate key 'a'");
	free(err);
	ck_assert_ptr_null(parse("a: *nope\n", &err));
	ck_assert_str_eq(err, "t.yaml:1:4: unknown alias '*nope'");
	free(err);
	ck_assert_ptr_null(parse("? [a]\n: 1\n", &err));
	ck_assert_str_eq(err, "t.yaml:1:3: a mapping key must be a scalar");
	free(err);
}
END_TEST

/* The classic billion laughs, nine levels of ten. */
static const char bomb[] =
	"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

START_TEST(test_yaml_alias_bomb)
{
	struct rusage before, after;
	char *err;
	getrusage(RUSAGE_SELF, &before);
	ck_assert_ptr_null(parse(bomb, &err));
	getrusage(RUSAGE_SELF, &after);
	ck_assert_str_eq(err, "t.yaml:7:8: document expands to more than 1000000 nodes (YAML "
	                 "aliases nested too deep: an alias bomb?); refused");
	free(err);
	/* memory stays bounded: well under 64 MB more than before */
	ck_assert_int_lt(after.ru_maxrss - before.ru_maxrss, 64 * 1024);
	/* a few honest aliases are fine */
	json_t *d = parse("x: &x {a: 1}\ny: *x\n", &err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
		json_object_get(json_array_get(d, 0), "doc"), "y"), "a")), 1);
	json_decref(d);
}
END_TEST

START_TEST(test_refs)
{
	char *err = NULL, *s;
	s = cat_ref_canon("Component:Default/Foo", NULL, NULL, &err);
	ck_assert_str_eq(s, "component:default/foo");
	free(s);
	s = cat_ref_canon("team-a", "group", "prod", &err);
	ck_assert_str_eq(s, "group:prod/team-a");
	free(s);
	s = cat_ref_canon("user:guest", "group", "default", &err);
	ck_assert_str_eq(s, "user:default/guest");
	free(s);
	/* Backstage's parseEntityRef: a ':' after the first '/' is the name's */
	s = cat_ref_canon("ns/team:x", "group", "default", &err);
	ck_assert_str_eq(s, "group:ns/team:x");
	free(s);
	s = cat_ref_canon("a:b:c", NULL, NULL, &err);
	ck_assert_str_eq(s, "a:default/b:c");
	free(s);
	ck_assert_ptr_null(cat_ref_canon("x", NULL, NULL, &err));
	ck_assert_str_eq(err, "entity reference \"x\": it has no kind (e.g. \"component:\" in front)");
	ck_assert_ptr_null(cat_ref_canon("component:", NULL, NULL, &err));
	ck_assert_str_eq(err, "entity reference \"component:\": it is not of the form "
	                 "[<kind>:][<namespace>/]<name>");
	free(err);
}
END_TEST

/* Validate the entity in YAML; returns the error (malloc()ed) or NULL. */
static char *validate(const char *yaml, json_t *warnings)
{
	char *err = NULL;
	json_t *d = parse(yaml, &err);
	ck_assert_msg(d != NULL, "%s", err);
	cat_entity_validate(json_object_get(json_array_get(d, 0), "doc"), warnings, &err);
	json_decref(d);
	return err;
}

#define HEAD "apiVersion: backstage.io/v1alpha1\n"

#define VALID_SPEC "spec: {type: service, lifecycle: production, owner: team}\n"

/* cat_entity_validate: Backstage's rules (test_validate.c has them all),
 * every problem a line; paved's rich fields only warn. */
START_TEST(test_validation_messages)
{
	static const struct { const char *yaml, *msg; } cases[] = {
		{ HEAD "metadata: {name: x}\n", "kind is required (e.g. kind: Component)" },
		{ HEAD "kind: Component\nmetadata: {title: x}\n" VALID_SPEC, "metadata.name is required" },
		{ HEAD "kind: Component\n" VALID_SPEC, "metadata is required (with at least a name)" },
		{ "kind: Component\nmetadata: {name: x}\n" VALID_SPEC,
		  "apiVersion is required (e.g. apiVersion: backstage.io/v1alpha1)" },
		{ HEAD "kind: Component\nmetadata: {name: my service}\n" VALID_SPEC,
		  "metadata.name \"my service\" is not valid; expected a string that is sequences of "
		  "[a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total" },
		{ HEAD "kind: Component\nmetadata: {name: -a, namespace: Prod_1}\n" VALID_SPEC,
		  "metadata.name \"-a\" is not valid; expected a string that is sequences of "
		  "[a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total\n"
		  "metadata.namespace \"Prod_1\" is not valid; expected a string that is sequences "
		  "of [a-z0-9] separated by [-], at most 63 characters in total" },
		{ HEAD "kind: 3\nmetadata: {name: a}\n", "kind must be a string, not a number" },
		{ HEAD "kind: Component\nmetadata: {name: a, tags: [1]}\n" VALID_SPEC,
		  "metadata.tags[0] must be a string, not a number" },
		{ HEAD "kind: Component\nmetadata: {name: a}\nspec: {type: s, lifecycle: l, owner: [x]}\n",
		  "spec.owner must be a string, not a list" },
		{ HEAD "kind: Component\nmetadata: {name: a}\nspec: {dependsOn: x}\n",
		  "spec.type is required for kind Component\nspec.lifecycle is required for kind "
		  "Component\nspec.owner is required for kind Component\n"
		  "spec.dependsOn must be a list, not a string" },
		{ HEAD "kind: Widget\nmetadata: {name: w}\n",
		  "kind \"Widget\" (apiVersion \"backstage.io/v1alpha1\"): no processor recognises "
		  "it; the kinds known are API, Component, Domain, Group, Location, Resource, System "
		  "and User and those registered by configuration or plugins" },
		{ "[1, 2]\n", "an entity must be a mapping, not a list" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *err = validate(cases[i].yaml, NULL);
		ck_assert_msg(err && !strcmp(err, cases[i].msg), "case %zu: got '%s'", i, err);
		free(err);
	}
	json_t *w = json_array();
	char *err = validate(HEAD "kind: Component\nmetadata: {name: a, annotations: "
	                     "{paved.dev/cost-per-month: lots}}\nspec: {type: service, "
	                     "lifecycle: production, owner: team, endpoints: [{sla: 1}]}\n", w);
	ck_assert_ptr_null(err);
	ck_assert_int_eq(json_array_size(w), 2);
	ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
	                 "annotation paved.dev/cost-per-month: \"lots\" is not an amount (write "
	                 "e.g. \"2400\" or \"$2,400/month\"); no cost is counted");
	ck_assert_str_eq(json_string_value(json_array_get(w, 1)),
	                 "spec.endpoints[0].url must be a string; the endpoints are ignored");
	json_decref(w);
}
END_TEST

START_TEST(test_rich_fields)
{
	char *err;
	json_t *d = parse(HEAD "kind: Component\nmetadata:\n  name: user-service\n  annotations:\n"
	                  "    paved.dev/oncall: pagerduty.com/team-auth\n"
	                  "    paved.dev/cost-per-month: $2,400/month\n", &err);
	json_t *e = json_object_get(json_array_get(d, 0), "doc");
	ck_assert(cat_entity_cost(e) == 2400.0);
	ck_assert_str_eq(cat_annotation(e, CAT_ANN_ONCALL), "pagerduty.com/team-auth");
	json_decref(d);
}
END_TEST

/* Relations of the entity in YAML as "source type target" lines. */
static json_t *rels_of(const char *yaml)
{
	char *err = NULL;
	json_t *d = parse(yaml, &err), *rels = json_array(), *out = json_array(), *r;
	size_t i;
	ck_assert_int_eq(cat_relations_of(json_object_get(json_array_get(d, 0), "doc"), rels, &err), 0);
	json_array_foreach(rels, i, r) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s %s %s", json_string_value(json_object_get(r, "source")),
		         json_string_value(json_object_get(r, "type")),
		         json_string_value(json_object_get(r, "target")));
		json_array_append_new(out, json_string(buf));
	}
	json_decref(d), json_decref(rels);
	return out;
}

START_TEST(test_relations_by_kind)
{
	json_t *r = rels_of(HEAD "kind: Component\nmetadata: {name: c, namespace: ns}\nspec:\n"
		"  owner: team-a\n  system: s\n  subcomponentOf: parent\n  providesApis: [p]\n"
		"  consumesApis: [api:other/q]\n  dependsOn: [resource:db, component:c2]\n"
		"  dependencyOf: [component:c3]\n");
	const char *want[] = {
		"component:ns/c ownedBy group:ns/team-a", "component:ns/c partOf system:ns/s",
		"component:ns/c partOf component:ns/parent", "component:ns/c providesApi api:ns/p",
		"component:ns/c consumesApi api:other/q", "component:ns/c dependsOn resource:ns/db",
		"component:ns/c dependsOn component:ns/c2", "component:ns/c3 dependsOn component:ns/c",
	};
	ck_assert_int_eq(json_array_size(r), 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_msg(tcontains(r, want[i]), "missing %s", want[i]);
	json_decref(r);
	r = rels_of(HEAD "kind: Group\nmetadata: {name: g}\nspec:\n  parent: p\n  children: [k]\n"
	            "  members: [u]\n");
	ck_assert(tcontains(r, "group:default/g childOf group:default/p"));
	ck_assert(tcontains(r, "group:default/k childOf group:default/g"));
	ck_assert(tcontains(r, "user:default/u memberOf group:default/g"));
	json_decref(r);
	r = rels_of(HEAD "kind: User\nmetadata: {name: u}\nspec: {memberOf: [g]}\n");
	ck_assert(tcontains(r, "user:default/u memberOf group:default/g"));
	json_decref(r);
	r = rels_of(HEAD "kind: System\nmetadata: {name: s}\nspec: {owner: 'user:x', domain: d}\n");
	ck_assert(tcontains(r, "system:default/s ownedBy user:default/x"));
	ck_assert(tcontains(r, "system:default/s partOf domain:default/d"));
	json_decref(r);
	r = rels_of(HEAD "kind: Domain\nmetadata: {name: d}\nspec: {owner: o, subdomainOf: e}\n");
	ck_assert(tcontains(r, "domain:default/d partOf domain:default/e"));
	json_decref(r);
	r = rels_of(HEAD "kind: API\nmetadata: {name: a}\nspec: {owner: o, system: s}\n");
	ck_assert(tcontains(r, "api:default/a partOf system:default/s"));
	json_decref(r);
	r = rels_of(HEAD "kind: Resource\nmetadata: {name: r}\nspec: {owner: o, dependsOn: ['resource:x']}\n");
	ck_assert(tcontains(r, "resource:default/r dependsOn resource:default/x"));
	json_decref(r);
	ck_assert_str_eq(cat_rel_inverse("ownedBy"), "ownerOf");
	ck_assert_str_eq(cat_rel_inverse("apiConsumedBy"), "consumesApi");
}
END_TEST

START_TEST(test_emit_roundtrip)
{
	char *err = NULL, *buf = NULL;
	size_t len = 0;
	json_t *in = json_loads("[{\"a\": \"true\", \"b\": \"12\", \"c\": 12, \"d\": \"\","
	                        " \"e\": \"multi\\nline\\n\", \"f\": [1.5, null, false],"
	                        " \"g\": \"null\", \"h\": \"- x\", \"i\": \"caf\\u00e9\"}, {\"k\": {}}]",
	                        0, NULL);
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(temit(f, in, &err), 0);
	fclose(f);
	json_t *d = parse(buf, &err), *back = json_array(), *x;
	size_t i;
	ck_assert_msg(d != NULL, "%s in\n%s", err, buf);
	json_array_foreach(d, i, x)
		json_array_append(back, json_object_get(x, "doc"));
	ck_assert_msg(json_equal(in, back), "round trip differs:\n%s", buf);
	json_decref(in), json_decref(d), json_decref(back);
	free(buf);
}
END_TEST

/* The stored document is exactly the text json_dumps gives (prep.c
 * writes it itself): escapes, control characters, UTF-8, numbers, empty
 * containers, key order; text it cannot write (not UTF-8) fails. */
START_TEST(test_prep_text_is_jansson)
{
	static const char *const docs[] = {
		"{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
		" \"metadata\": {\"name\": \"x\", \"title\": \"q\\\" b\\\\ s/ \\u007f\","
		" \"description\": \"t\\there\\nnl \\u00e9t\\u00e9 \\u65e5 \\ud83d\\ude00 \\u0001\\u001f\","
		" \"tags\": [\"a\", \"B\"], \"annotations\": {\"k\\\"\\u00e9\": \"\\r\\b\\f\"}},"
		" \"spec\": {\"owner\": \"o\", \"n\": -12, \"big\": 9223372036854775807,"
		" \"f\": 1.5, \"e\": 1e300, \"g\": 0.1, \"t\": true, \"u\": false, \"z\": null,"
		" \"o\": {}, \"a\": [], \"d\": [[{}], {\"x\": [1, \"\"]}], \"zz\": 1, \"aa\": 2,"
		/* the special byte past the first 8 (prep.c scans 8 at a time) */
		" \"long1\": \"abcdefghijklmnop\\\"qrstuvwx\\\\yz0123456789\","
		" \"long2\": \"abcdefghijklmnopqrstuvwxyz \\u00e9 end\","
		" \"long3\": \"abcdefghij\\u0001\", \"long4\": \"abcdefgh\\u007f\","
		" \"long5\": \"abcdefghijklmnop\", \"long6\": \"abcdefg~~~~~~~~~~~~~~~~~\"}}",
		"{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Group\","
		" \"metadata\": {\"name\": \"g\"}, \"spec\": {\"type\": \"team\", \"children\": []}}",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		json_error_t je;
		json_t *e = json_loads(docs[i], 0, &je);
		ck_assert_msg(e != NULL, "%s", je.text);
		struct cat_prep p;
		char *err = NULL, *want = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
		ck_assert_msg(cat_prep_init(&p, e, &err) == 0, "%s", err);
		ck_assert_str_eq(p.text, want);
		ck_assert(p.hash == cat_hash(want, strlen(want)));
		cat_prep_free(&p);
		free(want);
		json_decref(e);
	}
	/* a string that is not UTF-8 (only a caller bypassing the reader makes
	 * one) fails the entity, as json_dumps did */
	json_t *e = json_pack("{s:s, s:s, s:{s:s, s:o}, s:{}}", "apiVersion", "backstage.io/v1alpha1",
	                      "kind", "Component", "metadata", "name", "x", "title",
	                      json_stringn_nocheck("\xff\xfe", 2), "spec");
	struct cat_prep p;
	char *err = NULL;
	ck_assert_int_eq(cat_prep_init(&p, e, &err), -1);
	ck_assert_str_eq(err, "out of memory");
	free(err);
	json_decref(e);
}
END_TEST

Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_yaml_scalars);
	tcase_add_test(tc, test_yaml_multidoc_and_json);
	tcase_add_test(tc, test_yaml_errors);
	tcase_add_test(tc, test_yaml_alias_bomb);
	tcase_add_test(tc, test_refs);
	tcase_add_test(tc, test_validation_messages);
	tcase_add_test(tc, test_rich_fields);
	tcase_add_test(tc, test_relations_by_kind);
	tcase_add_test(tc, test_emit_roundtrip);
	tcase_add_test(tc, test_prep_text_is_jansson);
	suite_add_tcase(s, tc);
	return s;
}
