/*
 * test_validate.c -- validate.c: the cases of Backstage's own unit tests
 * (validate_cases.h), parseEntityRef's, the review's findings (issue
 * #15), and the module's own contract (every problem, registered kinds,
 * the opt-in dependency kind, exact messages).
 */
#include <stdio.h>

#include "test_util.h"
#include "validate.h"
#include "validate_cases.h"

/* Fixture: kind Thing, any apiVersion, no spec rules (the policy cases). */
static void thing_setup(void)
{
	ck_assert_int_eq(cat_valid_kind_add("Thing", NULL, NULL, NULL), 0);
}

static void thing_teardown(void)
{
	cat_valid_kinds_reset();
	cat_valid_set_dependency_kind(NULL);
}

/* Paved's verdict on E (0 accept, 1 refuse), problems joined by " | " in
 * a static buffer. */
static int verdict(json_t *e, const char **msgs)
{
	static char buf[8192];
	struct cat_strv p = { 0 };
	int rc = cat_valid_entity(e, &p);
	buf[0] = '\0';
	for (size_t i = 0; i < p.len; i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? " | " : "", p.v[i]);
	}
	ck_assert_int_ge(rc, 0);
	ck_assert_int_eq(rc == 0, p.len == 0);
	cat_strv_free(&p);
	*msgs = buf;
	return rc;
}

START_TEST(test_backstage_entity_case)
{
	const struct vc_entity_case *c = &vc_entity_cases[_i];
	const char *msgs;
	json_t *e = vc_entity((size_t)_i);
	ck_assert_ptr_nonnull(e);
	int rc = verdict(e, &msgs);
	ck_assert_msg(rc == !c->valid, "case %d '%s': %s, wanted %s: %s", _i, c->name,
	              rc ? "refused" : "accepted", c->valid ? "accepted" : "refused", msgs);
	if (!c->valid)
		ck_assert_msg(strstr(msgs, c->field), "case %d '%s': no '%s' in: %s", _i, c->name,
		              c->field, msgs);
	json_decref(e);
}
END_TEST

/* The format functions themselves. */
START_TEST(test_backstage_format_case)
{
	static bool (*const fn[])(const char *, size_t) = {
		[VF_API_VERSION] = cat_valid_api_version, [VF_KIND] = cat_valid_kind_name,
		[VF_OBJECT_NAME] = cat_valid_object_name, [VF_NAMESPACE] = cat_valid_dns_label,
		[VF_LABEL_KEY] = cat_valid_label_key, [VF_LABEL_VALUE] = cat_valid_label_value,
		[VF_ANNOTATION_KEY] = cat_valid_label_key, [VF_DNS_SUBDOMAIN] = cat_valid_dns_subdomain,
		[VF_DNS_LABEL] = cat_valid_dns_label, [VF_URL] = cat_valid_url,
		[VF_NONEMPTY] = cat_valid_nonempty, [VF_TAG] = cat_valid_tag,
	};
	const struct vc_format_case *c = &vc_format_cases[_i];
	char *s = vc_expand(c->text);
	ck_assert_msg(fn[c->format](s, strlen(s)) == (bool)c->valid, "case %d: \"%s\" should be %s",
	              _i, c->text, c->valid ? "valid" : "invalid");
	free(s);
}
END_TEST

/* ... and in an entity, at the field each governs: the message names it. */
START_TEST(test_backstage_format_in_entity)
{
	static const char *const field[] = {
		[VF_OBJECT_NAME] = "metadata.name", [VF_NAMESPACE] = "metadata.namespace",
		[VF_LABEL_KEY] = "metadata.labels", [VF_LABEL_VALUE] = "metadata.labels.k",
		[VF_ANNOTATION_KEY] = "metadata.annotations", [VF_DNS_SUBDOMAIN] = "metadata.annotations",
		[VF_DNS_LABEL] = "metadata.namespace", [VF_URL] = "metadata.links[0].url",
		[VF_NONEMPTY] = "metadata.links[0].title", [VF_TAG] = "metadata.tags[0]",
	};
	const struct vc_format_case *c = &vc_format_cases[_i];
	const char *msgs;
	if (c->format == VF_API_VERSION || c->format == VF_KIND)
		return;   /* a Component accepts only its own kind and two apiVersions */
	json_t *e = vc_format_entity((size_t)_i);
	int rc = verdict(e, &msgs);
	ck_assert_msg(rc == !c->valid, "case %d \"%s\": %s", _i, c->text, msgs);
	if (!c->valid)
		ck_assert_msg(strstr(msgs, field[c->format]), "case %d: no '%s' in %s", _i,
		              field[c->format], msgs);
	json_decref(e);
}
END_TEST

/* parseEntityRef (entity/ref.test.ts, with 1.10.3's answers: a ':' after
 * the first '/' belongs to the name, and "a:b:c" is kind a, name "b:c"). */
static const struct {
	const char *text, *def_kind, *def_ns, *want;   /* want NULL: an error */
} ref_cases[] = {
	{ "a:b/c", NULL, NULL, "a:b/c" }, { "b/c", NULL, NULL, NULL }, { "a:c", NULL, NULL, "a:default/c" },
	{ "c", NULL, NULL, NULL }, { "a:b:c", NULL, NULL, "a:default/b:c" },
	{ "a/b/c", NULL, NULL, NULL }, { "a/b/c", "x", NULL, "x:a/b/c" },
	{ "a/b:c", NULL, NULL, NULL }, { "a/b:c", "x", NULL, "x:a/b:c" },
	{ "a:b/c/d", NULL, NULL, "a:b/c/d" }, { "a:b/c:d", NULL, NULL, "a:b/c:d" },
	{ ":b/c", NULL, NULL, NULL }, { "a:/c", NULL, NULL, NULL }, { "a:b/", NULL, NULL, NULL },
	{ "a:/", NULL, NULL, NULL }, { ":b/", NULL, NULL, NULL }, { ":/c", NULL, NULL, NULL },
	{ ":/", NULL, NULL, NULL }, { "/c", NULL, NULL, NULL }, { "b/", NULL, NULL, NULL },
	{ ":c", NULL, NULL, NULL }, { "a:", NULL, NULL, NULL }, { "", NULL, NULL, NULL },
	{ "a:b/c", "x", "y", "a:b/c" }, { "b/c", "x", "y", "x:b/c" }, { "a:c", "x", "y", "a:y/c" },
	{ "c", "x", "y", "x:y/c" }, { "a:c", "x", NULL, "a:default/c" }, { "c", "x", NULL, "x:default/c" },
	/* the review's case */
	{ "ns/team:x", "Group", "default", "Group:ns/team:x" },
};

START_TEST(test_parse_ref)
{
	struct cat_valid_ref r;
	const char *why = NULL;
	char got[200];
	int rc = cat_valid_parse_ref(ref_cases[_i].text, ref_cases[_i].def_kind, ref_cases[_i].def_ns,
	                             &r, &why);
	if (!ref_cases[_i].want) {
		ck_assert_msg(rc == -1 && why, "'%s' should not parse", ref_cases[_i].text);
		return;
	}
	ck_assert_msg(rc == 0, "'%s': %s", ref_cases[_i].text, why);
	snprintf(got, sizeof got, "%.*s:%.*s/%.*s", (int)r.nkind, r.kind, (int)r.nns, r.ns,
	         (int)r.nname, r.name);
	ck_assert_str_eq(got, ref_cases[_i].want);
}
END_TEST

/* The review's findings (issue #15), each with the field its message names. */
#define HD "{\"apiVersion\": \"backstage.io/v1alpha1\", "
#define COMP HD "\"kind\": \"Component\", "
#define SPEC "\"spec\": {\"type\": \"service\", \"lifecycle\": \"production\", \"owner\": \"team\"}"
static const struct {
	const char *json;
	int         valid;
	const char *field;
} issue_cases[] = {
	{ COMP "\"metadata\": {\"name\": \"a\", \"tags\": [\"Java\"]}, " SPEC "}", 0, "metadata.tags[0]" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"tags\": [\"a_b\"]}, " SPEC "}", 0, "metadata.tags[0]" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"labels\": {\"a/b/c\": \"x\"}}, " SPEC "}", 0,
	  "metadata.labels key \"a/b/c\"" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"annotations\": {\"Backstage.io/x\": \"x\"}}, " SPEC "}",
	  0, "metadata.annotations key \"Backstage.io/x\"" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"labels\": {\"k\": \"two words\"}}, " SPEC "}", 0,
	  "metadata.labels.k" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"links\": [{\"url\": \"abc\"}]}, " SPEC "}", 0,
	  "metadata.links[0].url" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"links\": [{\"title\": \"t\"}]}, " SPEC "}", 0,
	  "metadata.links[0].url is required" },
	{ COMP "\"metadata\": {\"name\": \"a\", \"links\": [{\"url\": \"README.md#runbook\"}]}, " SPEC "}",
	  0, "metadata.links[0].url" },
	{ COMP "\"metadata\": {\"name\": \"a--b\"}, " SPEC "}", 1, NULL },
	{ COMP "\"metadata\": {\"name\": \"a..b\"}, " SPEC "}", 1, NULL },
	{ HD "\"kind\": \"component\", \"metadata\": {\"name\": \"a\"}, " SPEC "}", 0, "kind" },
	{ "{\"apiVersion\": \"backstage.io/v2\", \"kind\": \"Component\", \"metadata\": {\"name\": \"a\"}, "
	  SPEC "}", 0, "apiVersion \"backstage.io/v2\"" },
	{ "{\"apiVersion\": \"a/b/c\", \"kind\": \"Component\", \"metadata\": {\"name\": \"a\"}, " SPEC "}",
	  0, "apiVersion \"a/b/c\" is not valid" },
	{ HD "\"kind\": \"Widget\", \"metadata\": {\"name\": \"a\"}}", 0, "kind \"Widget\"" },
	{ COMP "\"metadata\": {\"name\": \"a\"}, " SPEC ", \"status\": {}}", 0, "root field \"status\"" },
	{ COMP "\"metadata\": {\"name\": \"a\"}, " SPEC ", \"data\": 1}", 0, "root field \"data\"" },
	{ HD "\"kind\": \"Group\", \"metadata\": {\"name\": \"g\"}, \"spec\": {\"type\": \"team\"}}", 0,
	  "spec.children is required" },
	{ COMP "\"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"s\", \"lifecycle\": \"l\"}}", 0,
	  "spec.owner is required" },
	{ HD "\"kind\": \"API\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"openapi\", "
	  "\"lifecycle\": \"l\", \"owner\": \"o\"}}", 0, "spec.definition is required" },
	{ HD "\"kind\": \"User\", \"metadata\": {\"name\": \"u\"}, \"spec\": {}}", 0,
	  "spec.memberOf is required" },
	{ HD "\"kind\": \"Resource\", \"metadata\": {\"name\": \"db\"}, \"spec\": {\"type\": \"database\", "
	  "\"dependencyOf\": [\"component:default/x\"]}}", 0, "spec.owner is required" },
	{ COMP "\"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"s\", \"lifecycle\": \"l\", "
	  "\"owner\": \"ns/team:x\"}}", 1, NULL },
	{ COMP "\"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"s\", \"lifecycle\": \"l\", "
	  "\"owner\": \"o\", \"dependsOn\": [\"x\"]}}", 0, "spec.dependsOn[0] \"x\"" },
	{ COMP "\"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"s\", \"lifecycle\": \"l\", "
	  "\"owner\": \"o\", \"dependencyOf\": \"x\"}}", 0, "spec.dependencyOf \"x\"" },
	{ COMP "\"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"s\", \"lifecycle\": \"l\", "
	  "\"owner\": \"o\", \"dependencyOf\": {\"kind\": \"component\", \"name\": \"x\"}}}", 1, NULL },
	{ COMP "\"metadata\": {\"name\": \"a\"}, \"spec\": {\"type\": \"s\", \"lifecycle\": \"l\", "
	  "\"owner\": \"group:\"}}", 0, "spec.owner \"group:\"" },
};

START_TEST(test_issue_case)
{
	const char *msgs;
	json_error_t je;
	json_t *e = json_loads(issue_cases[_i].json, 0, &je);
	ck_assert_msg(e != NULL, "case %d: %s", _i, je.text);
	int rc = verdict(e, &msgs);
	ck_assert_msg(rc == !issue_cases[_i].valid, "case %d: %s", _i, msgs);
	if (!issue_cases[_i].valid)
		ck_assert_msg(strstr(msgs, issue_cases[_i].field), "case %d: no '%s' in %s", _i,
		              issue_cases[_i].field, msgs);
	json_decref(e);
}
END_TEST

/* Every problem is reported, with the exact words a user sees. */
START_TEST(test_every_problem_exact)
{
	const char *msgs;
	json_t *e = json_loads(HD "\"kind\": \"Component\", \"metadata\": {\"name\": \"a b\", "
	                       "\"tags\": [\"Java\"]}, \"spec\": {\"type\": \"s\"}, \"status\": 1}", 0, NULL);
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_str_eq(msgs,
		"unknown root field \"status\": an entity has only apiVersion, kind, metadata and spec | "
		"metadata.name \"a b\" is not valid; expected a string that is sequences of [a-zA-Z0-9] "
		"separated by any of [-_.], at most 63 characters in total | "
		"metadata.tags[0] \"Java\" is not valid; expected a string that is sequences of "
		"[a-z0-9:+#] separated by [-], at most 63 characters in total | "
		"spec.lifecycle is required for kind Component | spec.owner is required for kind Component");
	json_decref(e);
	/* the verdict alone, without messages */
	e = json_loads(HD "\"kind\": \"component\", \"metadata\": {\"name\": \"a\"}}", 0, NULL);
	ck_assert_int_eq(cat_valid_entity(e, NULL), 1);
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_str_eq(msgs, "kind \"component\": no processor recognises it; kinds are "
	                 "case-sensitive: did you mean \"Component\"?");
	json_decref(e);
	/* a long value is cut in the message */
	e = json_loads(COMP "\"metadata\": {\"name\": \"" LONG_NAME "\"}, " SPEC "}", 0, NULL);
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_ptr_nonnull(strstr(msgs, "metadata.name \"aaaa"));
	ck_assert_ptr_nonnull(strstr(msgs, "aaaa...\" is not valid"));
	json_decref(e);
}
END_TEST

/* A registered kind's checker reports through the context. */
static void widget_check(json_t *e, struct cat_valid_ctx *ctx, void *ud)
{
	ck_assert_str_eq(ud, "data");
	if (!json_is_string(json_object_get(json_object_get(e, "spec"), "size")))
		cat_valid_report(ctx, "spec.size is required for kind %s", "Widget");
}

START_TEST(test_registered_kind)
{
	static const char *const versions[] = { "example.com/v1", NULL };
	const char *msgs;
	json_t *e = json_loads("{\"apiVersion\": \"example.com/v1\", \"kind\": \"Widget\", "
	                       "\"metadata\": {\"name\": \"w\"}, \"spec\": {}}", 0, NULL);
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_int_eq(cat_valid_kind_add("Component", NULL, NULL, NULL), -1);   /* built in */
	ck_assert_int_eq(cat_valid_kind_add("Widget", versions, widget_check, "data"), 0);
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_str_eq(msgs, "spec.size is required for kind Widget");
	json_object_set_new(json_object_get(e, "spec"), "size", json_string("L"));
	ck_assert_int_eq(verdict(e, &msgs), 0);
	json_object_set_new(e, "apiVersion", json_string("example.com/v2"));
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_str_eq(msgs, "apiVersion \"example.com/v2\": no processor recognises kind Widget "
	                 "with it");
	json_decref(e);
}
END_TEST

/* Backstage gives dependsOn no default kind; paved can opt in to one. */
START_TEST(test_dependency_kind_opt_in)
{
	const char *msgs;
	json_t *e = json_loads(COMP "\"metadata\": {\"name\": \"a\", \"namespace\": \"ns\"}, \"spec\": "
	                       "{\"type\": \"s\", \"lifecycle\": \"l\", \"owner\": \"o\", "
	                       "\"dependsOn\": [\"b\"]}}", 0, NULL), *rels = json_array();
	char *err = NULL;
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_str_eq(msgs, "spec.dependsOn[0] \"b\" is not a valid entity reference: it has no "
	                 "kind (e.g. \"component:\" in front); Backstage gives this field no default "
	                 "kind");
	cat_valid_set_dependency_kind("component");
	ck_assert_int_eq(verdict(e, &msgs), 0);
	ck_assert_int_eq(cat_relations_of(e, rels, &err), 0);
	json_t *r = json_array_get(rels, 1);   /* ownedBy, then dependsOn */
	ck_assert_str_eq(json_string_value(json_object_get(r, "target")), "component:ns/b");
	cat_valid_set_dependency_kind(NULL);
	ck_assert_int_eq(verdict(e, &msgs), 1);
	json_decref(rels);
	json_decref(e);
}
END_TEST

/* Placeholders: in spec they stand for what Backstage would read. */
START_TEST(test_placeholders)
{
	const char *msgs;
	json_t *e = json_loads(HD "\"kind\": \"API\", \"metadata\": {\"name\": \"a\"}, \"spec\": "
	                       "{\"type\": \"openapi\", \"lifecycle\": \"l\", \"owner\": \"o\", "
	                       "\"definition\": {\"$text\": \"./a.yaml\"}}}", 0, NULL);
	ck_assert_int_eq(verdict(e, &msgs), 0);
	/* not one of $text, $json, $yaml: a mapping where a string belongs */
	json_object_set_new(json_object_get(e, "spec"), "definition", json_pack("{ss}", "$foo", "x"));
	ck_assert_int_eq(verdict(e, &msgs), 1);
	ck_assert_str_eq(msgs, "spec.definition must be a string, not a mapping");
	json_decref(e);
}
END_TEST

Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("backstage");
	tcase_add_checked_fixture(tc, thing_setup, thing_teardown);
	tcase_add_loop_test(tc, test_backstage_entity_case, 0, (int)VC_NENTITY);
	tcase_add_loop_test(tc, test_backstage_format_case, 0, (int)VC_NFORMAT);
	tcase_add_loop_test(tc, test_backstage_format_in_entity, 0, (int)VC_NFORMAT);
	tcase_add_loop_test(tc, test_parse_ref, 0, (int)(sizeof ref_cases / sizeof ref_cases[0]));
	tcase_add_loop_test(tc, test_issue_case, 0, (int)(sizeof issue_cases / sizeof issue_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("contract");
	tcase_add_checked_fixture(tc, NULL, thing_teardown);
	tcase_add_test(tc, test_every_problem_exact);
	tcase_add_test(tc, test_registered_kind);
	tcase_add_test(tc, test_dependency_kind_opt_in);
	tcase_add_test(tc, test_placeholders);
	suite_add_tcase(s, tc);
	return s;
}
