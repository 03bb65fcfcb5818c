/*
 * test_import.c -- importing: Backstage's example catalog (through its
 * Location files and as a directory), JSON, export round trip, and every
 * bad-input case: the exact message, and nothing imported.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "test_util.h"
#include "validate.h"

#define H "apiVersion: backstage.io/v1alpha1\n"
/* A spec Backstage accepts for a Component. */
#define CS "spec: {type: service, lifecycle: production, owner: team-a}\n"

/* Whether REF has relation TYPE to TARGET. */
static int has_rel(const char *ref, const char *type, const char *target)
{
	json_t *rels = cat_relations_get(&tdb, ref), *r;
	size_t i;
	int found = 0;
	json_array_foreach(rels, i, r)
		found |= !strcmp(json_string_value(json_object_get(r, "type")), type) &&
		         !strcmp(json_string_value(json_object_get(r, "targetRef")), target);
	json_decref(rels);
	return found;
}

/* Relations of the examples Backstage's model defines. */
static void check_example_relations(void)
{
	ck_assert(has_rel("component:default/artist-lookup", "ownedBy", "group:default/team-a"));
	ck_assert(has_rel("group:default/team-a", "ownerOf", "component:default/artist-lookup"));
	ck_assert(has_rel("component:default/artist-lookup", "dependsOn", "resource:default/artists-db"));
	ck_assert(has_rel("resource:default/artists-db", "dependencyOf", "component:default/artist-lookup"));
	ck_assert(has_rel("component:default/artist-lookup", "partOf",
	                  "system:default/artist-engagement-portal"));
	ck_assert(has_rel("system:default/artist-engagement-portal", "hasPart",
	                  "component:default/www-artist"));
	ck_assert(has_rel("component:default/wayback-search", "consumesApi", "api:default/wayback-archive"));
	ck_assert(has_rel("component:default/wayback-archive-ingestion", "partOf",
	                  "component:default/wayback-archive"));
	ck_assert(has_rel("user:default/breanna.davison", "memberOf", "group:default/team-a"));
	ck_assert(has_rel("group:default/team-a", "hasMember", "user:development/guest"));
	ck_assert(has_rel("group:default/team-a", "childOf", "group:default/backstage"));
	ck_assert(has_rel("group:default/infrastructure", "parentOf", "group:default/boxoffice"));
	ck_assert(has_rel("domain:default/artists", "partOf", "domain:default/audio"));
	ck_assert(has_rel("domain:default/playback", "ownedBy", "user:default/frank.tiernan"));
	ck_assert(has_rel("component:default/shuffle-api", "ownedBy", "user:default/guest"));
	/* no relation is stored twice (team-a's parent and backstage's children agree) */
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE source ="
	                        " 'group:default/team-a' AND type = 'childOf'"), 2);   /* 2 origins */
}

/* The dangling refs of check as "entity relation target" lines. */
static char *dangling(void)
{
	static char buf[4096];
	char *err = NULL;
	json_t *c = cat_check(&tdb, &err), *x;
	size_t i;
	buf[0] = '\0';
	json_array_foreach(json_object_get(c, "dangling"), i, x) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s %s %s\n",
		         json_string_value(json_object_get(x, "entity")),
		         json_string_value(json_object_get(x, "relation")),
		         json_string_value(json_object_get(x, "target")));
	}
	json_decref(c);
	return buf;
}

START_TEST(test_examples_via_locations)
{
	const char *ex = texamples();
	char p[6][1200];
	static const char *const files[] = {
		"acme-corp.yaml", "all-components.yaml", "all-domains.yaml", "all-resources.yaml",
		"all-systems.yaml", "apis"
	};
	if (!ex)
		return;   /* no test data: nothing to check here (the e2e test skips) */
	json_t *paths = json_array();
	for (int i = 0; i < 6; i++) {
		snprintf(p[i], sizeof p[i], "%s/%s", ex, files[i]);
		json_array_append_new(paths, json_string(p[i]));
	}
	struct cat_import res;
	cat_import_init(&res, false);
	int rc = cat_import_paths(&tdb, paths, &res);
	json_decref(paths);
	ck_assert_msg(rc == 0, "errors: %s", json_dumps(res.errors, 0));
	ck_assert_int_eq(json_array_size(res.errors), 0);
	ck_assert_int_eq(res.imported, 58);   /* 52 via Locations + 6 APIs */
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities WHERE kind = 'location'"), 6);
	json_t *st = cat_stats(&tdb);
	ck_assert_int_eq(json_integer_value(json_object_get(st, "relations")), 142);
	json_t *by = json_object_get(st, "byType");
	ck_assert_int_eq(json_integer_value(json_object_get(by, "ownedBy")), 26);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "ownerOf")), 26);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "memberOf")), 17);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "partOf")), 13);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "childOf")), 8);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "providesApi")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "consumesApi")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(by, "dependsOn")), 1);
	json_decref(st);
	check_example_relations();
	/* hello-world is the documented dangling ref; playback-order's
	 * "owner: guest" defaults to group:default/guest (guest is a User), which
	 * is dangling too under Backstage's own rules. */
	ck_assert_str_eq(dangling(),
		"component:default/petstore providesApi api:default/hello-world\n"
		"component:default/playback-order ownedBy group:default/guest\n");
}
END_TEST

START_TEST(test_examples_locations_only)
{
	const char *ex = texamples();
	char p[1200];
	struct cat_import res;
	if (!ex)
		return;
	snprintf(p, sizeof p, "%s/all-components.yaml", ex);
	ck_assert_int_eq(timport(p, &res), 0);
	ck_assert_int_eq(res.imported, 14);     /* the Location and its 13 targets */
	ck_assert_int_eq(res.files, 14);
	cat_import_free(&res);
	snprintf(p, sizeof p, "%s/acme-corp.yaml", ex);   /* nested Location in org.yaml */
	ck_assert_int_eq(timport(p, &res), 0);
	ck_assert_int_eq(res.imported, 1 + 2 + 3 + 6 + 6 + 6 + 3 + 1);
	cat_import_free(&res);
}
END_TEST

START_TEST(test_examples_directory)
{
	const char *ex = texamples();
	struct cat_import res;
	if (!ex)
		return;
	ck_assert_int_eq(timport(ex, &res), 0);
	ck_assert_int_eq(json_array_size(res.errors), 0);
	ck_assert_int_eq(res.imported, 58);   /* each file read once, Locations or not */
	/* the two OpenAPI documents are skipped, with a warning; three $text
	 * placeholders name URLs, which paved does not fetch; the relative one
	 * is read */
	ck_assert_int_eq(json_array_size(res.warnings), 5);
	ck_assert(tcontains(res.warnings, "petstore.oas.yaml: skipped: not a catalog file"));
	ck_assert(tcontains(res.warnings, "spotify-api.yaml:1:1: placeholder $text: https://"));
	json_t *hook = cat_get(&tdb, "api:default/petstore-webhook");
	ck_assert_ptr_nonnull(strstr(cat_get_str(hook, "spec.definition"), "webhooks:"));
	json_decref(hook);
	cat_import_free(&res);
	check_example_relations();
	ck_assert_ptr_nonnull(strstr(dangling(), "component:default/petstore providesApi "
	                             "api:default/hello-world\n"));
	/* importing again changes nothing: the files read without a problem
	 * are not even parsed, the others' documents are unchanged */
	ck_assert_int_eq(timport(ex, &res), 0);
	ck_assert_int_eq(res.created, 0);
	ck_assert_int_eq(res.updated, 0);
	ck_assert_int_eq(res.unchanged, 58);
	ck_assert_int_eq(json_array_size(res.warnings), 2);   /* skipped files are not read */
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"), 58);
}
END_TEST

/* Empty the catalog (between the cases of one test). */
#define CLEAR_SQL "DELETE FROM catalog_entities; DELETE FROM catalog_documents; DELETE FROM " \
	"catalog_edges; DELETE FROM catalog_refs; DELETE FROM catalog_tags; DELETE FROM " \
	"catalog_fts; DELETE FROM catalog_locations"

/* Import CONTENT written as NAME; expect failure with a message starting
 * with "<tdir>/" MSG.  With --atomic the catalog is untouched; without,
 * the GOOD entities around the bad one are imported all the same. */
static void expect_error(const char *name, const char *content, const char *msg, long good)
{
	struct cat_import res;
	char want[1024];
	long before = tcount("SELECT count(*) FROM catalog_entities");
	const char *path = twrite(name, content);
	snprintf(want, sizeof want, "%s/%s", tdir, msg);
	for (int atomic = 1; atomic >= 0; atomic--) {
		ck_assert_int_eq(timport_as(path, atomic, &res), -1);
		ck_assert_msg(json_array_size(res.errors) >= 1 &&
		              !strncmp(json_string_value(json_array_get(res.errors, 0)), want,
		                       strlen(want)), "want '%s', got %s", want,
		              json_dumps(res.errors, 0));
		ck_assert_int_eq(res.written, !atomic);
		ck_assert_int_eq(res.imported, atomic ? 0 : good);
		cat_import_free(&res);
		ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"),
		                 before + (atomic ? 0 : good));
	}
	/* leave the catalog as it was for the next case */
	ck_assert_int_eq(sqlite3_exec(tdb.db, CLEAR_SQL, NULL, NULL, NULL), SQLITE_OK);
}

/* An entity deleted from the catalog comes back with the next import of
 * its file, though the file is unchanged. */
START_TEST(test_reimport_after_delete)
{
	struct cat_import res;
	const char *path = twrite("two.yaml",
	    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: one}\n"
	    "spec: {type: service, lifecycle: production, owner: team-a}\n---\n"
	    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: two}\n"
	    "spec: {type: service, lifecycle: production, owner: team-a}\n");
	ck_assert_int_eq(timport(path, &res), 0);
	ck_assert_int_eq(res.created, 2);
	cat_import_free(&res);
	char *err = NULL;
	ck_assert_int_eq(cat_delete(&tdb, "component:default/two", &err), 0);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"), 1);
	ck_assert_int_eq(timport(path, &res), 0);
	ck_assert_int_eq(res.created, 1);     /* read again, not skipped as unchanged */
	ck_assert_int_eq(res.unchanged, 1);
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"), 2);
	/* and now that it is whole again, the next import skips it */
	ck_assert_int_eq(timport(path, &res), 0);
	ck_assert_int_eq(res.created, 0);
	ck_assert_int_eq(res.unchanged, 2);
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_locations"), 1);
	ck_assert_int_eq(sqlite3_exec(tdb.db, CLEAR_SQL, NULL, NULL, NULL), SQLITE_OK);
}
END_TEST

START_TEST(test_bad_input)
{
	/* every case has a good entity first: it must not be imported either */
	expect_error("malformed.yaml", H "kind: Component\nmetadata: {name: ok}\n" CS "---\n"
	             "kind: Component\nmetadata:\n  name: x\n   bad: indent\n",
	             "malformed.yaml:9:7: mapping values are not allowed in this context", 1);
	expect_error("nokind.yaml", H "kind: Component\nmetadata: {name: ok}\n" CS "---\n"
	             H "metadata: {name: x}\n",
	             "nokind.yaml:5:1: kind is required (e.g. kind: Component)", 1);
	expect_error("noname.yaml", H "kind: Component\nmetadata: {name: ok}\n" CS "---\n"
	             H "kind: Component\nmetadata:\n  title: X\n" CS,
	             "noname.yaml:5:1: metadata.name is required", 1);
	expect_error("badname.yaml", H "kind: Component\nmetadata: {name: ok}\n" CS "---\n"
	             H "kind: Component\nmetadata:\n  name: pay/ment api\n" CS,
	             "badname.yaml:5:1: metadata.name \"pay/ment api\" is not valid; expected a "
	             "string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 "
	             "characters in total", 1);
	expect_error("dup.yaml", H "kind: Component\nmetadata: {name: ok}\n" CS "---\n"
	             H "kind: Component\nmetadata: {name: OK}\n" CS,
	             "dup.yaml:5:1: conflicting entity component:default/ok: it is already defined "
	             "at ", 1);
}
END_TEST

START_TEST(test_bad_input_more)
{
	char msg[1024];
	expect_error("bomb.yaml", H "kind: Component\nmetadata:\n  name: lol\n  annotations:\n"
	             "    a: &a [x,x,x,x,x,x,x,x,x,x]\n    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	             "    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	             "    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	             "    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
	             "bomb.yaml:11:33: document expands to more than 1000000 nodes (YAML aliases "
	             "nested too deep: an alias bomb?); refused", 0);
	/* the Location itself is imported; its missing target is the error */
	expect_error("loc.yaml", H "kind: Location\nmetadata: {name: l}\nspec: {targets: [./nope.yaml]}\n",
	             "loc.yaml:1:1: Location target './nope.yaml' does not exist (say presence: "
	             "optional if that is expected; restoring an export? use --no-follow)", 1);
	expect_error("badref.yaml", H "kind: Component\nmetadata: {name: r}\n"
	             "spec: {type: service, lifecycle: production, owner: 'group:'}\n",
	             "badref.yaml:1:1: spec.owner \"group:\" is not a valid entity reference: it is "
	             "not of the form [<kind>:][<namespace>/]<name>", 0);
	expect_error("tab.yaml", "\tkind: x\n",
	             "tab.yaml:1:1: found character that cannot start any token while scanning "
	             "for the next token (started at line 1)", 0);
	snprintf(msg, sizeof msg, "nul.json: %s", "");
	(void)msg;
}
END_TEST

/* The reader thread runs ahead of the importer: a bad entity early in a
 * long file is rejected alone and the rest is imported; a syntax error
 * after many good entities ends the file there, those before it are
 * imported.  With --atomic, nothing is kept either way. */
START_TEST(test_error_early_in_long_file)
{
	struct cat_import res;
	char path[400];
	for (int late = 0; late < 2; late++) {
		snprintf(path, sizeof path, "%s/long%d.yaml", tdir, late);
		FILE *f = fopen(path, "w");
		if (!late)
			fprintf(f, H "kind: Component\nmetadata: {name: 'bad name'}\n" CS "---\n");
		for (int i = 0; i < 1000; i++)
			fprintf(f, H "kind: Component\nmetadata: {name: c%d}\n" CS "---\n", i);
		fprintf(f, "kind: [unclosed\n");
		fclose(f);
		for (int atomic = 1; atomic >= 0; atomic--) {
			ck_assert_int_eq(timport_as(path, atomic, &res), -1);
			ck_assert_int_eq(json_array_size(res.errors), late ? 1 : 2);
			const char *msg = json_string_value(json_array_get(res.errors, 0));
			ck_assert_msg(strstr(msg, late ? "long1.yaml:5002:1: did not find expected" :
			                     "long0.yaml:1:1: metadata.name \"bad name\" is not valid"),
			              "got %s", msg);
			ck_assert_int_eq(res.imported, atomic ? 0 : 1000);
			ck_assert_int_eq(res.rejected, late ? 0 : 1);
			cat_import_free(&res);
			ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities"), atomic ? 0 : 1000);
		}
		ck_assert_int_eq(sqlite3_exec(tdb.db, CLEAR_SQL, NULL, NULL, NULL), SQLITE_OK);
	}
}
END_TEST

/* The same entity from two files (two locations): the first keeps it and
 * the second is reported, within one import and across imports, as
 * Backstage's catalog does ("conflicting entityRef").  Re-importing the
 * owner's file replaces it; deleting it frees the ref for another file. */
START_TEST(test_duplicates_across_files)
{
	struct cat_import res;
	const char *a = twrite("a.yaml", H "kind: Component\nmetadata: {name: x, title: from a}\n" CS);
	char pa[512], want[1200];
	snprintf(pa, sizeof pa, "%s", a);
	char b[512];   /* twrite's buffer is reused */
	snprintf(b, sizeof b, "%s", twrite("b.yaml", H "kind: Component\nmetadata: {name: x, "
	         "title: from b}\n" CS "---\n" H "kind: Component\nmetadata: {name: y}\n" CS));
	/* both in one import: the first keeps it, the rest of b is imported */
	json_t *paths = json_pack("[ss]", pa, b);
	cat_import_init(&res, false);
	ck_assert_int_eq(cat_import_paths(&tdb, paths, &res), -1);
	snprintf(want, sizeof want, "%s:1:1: conflicting entity component:default/x: it is already "
	         "defined at %s:1:1 in this import; the first definition is kept", b, pa);
	ck_assert_str_eq(json_string_value(json_array_get(res.errors, 0)), want);
	ck_assert_int_eq(res.imported, 2);
	ck_assert_int_eq(res.conflicted, 1);
	ck_assert(res.written);
	cat_import_free(&res);
	json_decref(paths);
	json_t *e = cat_get(&tdb, "component:default/x");
	ck_assert_str_eq(cat_get_str(e, "metadata.title"), "from a");
	json_decref(e);
	/* in a later import: a still owns it; b's copy is a conflict */
	ck_assert_int_eq(timport(b, &res), -1);
	snprintf(want, sizeof want, "%s:1:1: conflicting entity component:default/x: it is already "
	         "owned by file:%s; that location keeps it (delete the entity first to move it)",
	         b, pa);
	ck_assert_str_eq(json_string_value(json_array_get(res.errors, 0)), want);
	snprintf(want, sizeof want, "file:%s", pa);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(res.conflicts, 0),
	                 "owner")), want);
	cat_import_free(&res);
	e = cat_get(&tdb, "component:default/x");
	ck_assert_str_eq(cat_get_str(e, "metadata.title"), "from a");
	json_decref(e);
	/* the owner's file changes: it is replaced */
	twrite("a.yaml", H "kind: Component\nmetadata: {name: x, title: from a again}\n" CS);
	ck_assert_int_eq(timport(pa, &res), 0);
	ck_assert_int_eq(res.updated, 1);
	cat_import_free(&res);
	/* deleted, it can move */
	char *err = NULL;
	ck_assert_int_eq(cat_delete(&tdb, "component:default/x", &err), 0);
	ck_assert_int_eq(timport(b, &res), 0);
	ck_assert_msg(res.created == 1, "%s", json_dumps(cat_import_json(&res), 0));
	cat_import_free(&res);
	e = cat_get(&tdb, "component:default/x");
	ck_assert_str_eq(cat_get_str(e, "metadata.title"), "from b");
	json_decref(e);
}
END_TEST

/* Backstage refuses a kind no processor recognises; a registered kind
 * (configuration or a plugin) is accepted and gets no relations. */
START_TEST(test_unknown_kind_refused)
{
	struct cat_import res;
	const char *p = twrite("w.yaml", H "kind: Widget\nmetadata: {name: w}\n");
	char want[800];
	ck_assert_int_eq(timport(p, &res), -1);
	snprintf(want, sizeof want, "%s:1:1: kind \"Widget\" (apiVersion \"backstage.io/v1alpha1\"): "
	         "no processor recognises it; the kinds known are API, Component, Domain, Group, "
	         "Location, Resource, System and User and those registered by configuration or "
	         "plugins", p);
	ck_assert_str_eq(json_string_value(json_array_get(res.errors, 0)), want);
	cat_import_free(&res);
	static const char *const versions[] = { "backstage.io/v1alpha1", NULL };
	ck_assert_int_eq(cat_valid_kind_add("Widget", versions, NULL, NULL), 0);
	ck_assert_int_eq(timport(p, &res), 0);
	cat_import_free(&res);
	cat_valid_kinds_reset();
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities WHERE ref = "
	                        "'widget:default/w'"), 1);
}
END_TEST

START_TEST(test_json_and_export_roundtrip)
{
	struct cat_import res;
	char *err = NULL;
	const char *p = twrite("in.json", "[{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": "
	                       "\"Component\", \"metadata\": {\"name\": \"j\", \"annotations\": "
	                       "{\"paved.dev/tier\": \"1\"}}, \"spec\": {\"type\": \"service\", "
	                       "\"lifecycle\": \"production\", \"owner\": \"team-a\", "
	                       "\"endpoints\": [{\"url\": \"https://j.example/api\", \"sla\": \"99.9%\"}]}},"
	                       "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Group\","
	                       " \"metadata\": {\"name\": \"team-a\"}, \"spec\": {\"type\": \"team\","
	                       " \"children\": []}}]");
	ck_assert_int_eq(timport(p, &res), 0);
	ck_assert_int_eq(res.imported, 2);
	cat_import_free(&res);
	json_t *all = cat_export(&tdb, &err);
	ck_assert_int_eq(json_array_size(all), 2);
	/* export as YAML, import into a fresh catalog: identical */
	char path[400];
	snprintf(path, sizeof path, "%s/out.yaml", tdir);
	FILE *f = fopen(path, "w");
	ck_assert_int_eq(temit(f, all, &err), 0);
	fclose(f);
	ck_assert_int_eq(cat_delete(&tdb, "component:default/j", &err), 0);
	ck_assert_int_eq(cat_delete(&tdb, "group:default/team-a", &err), 0);
	ck_assert_int_eq(timport(path, &res), 0);
	cat_import_free(&res);
	json_t *again = cat_export(&tdb, &err);
	ck_assert(json_equal(all, again));
	json_decref(all), json_decref(again);
}
END_TEST

START_TEST(test_big_file_streamed)
{
	/* ~50 MB: 5000 documents with a 10 KB description each */
	char path[400], *desc = malloc(10001);
	struct rusage ru;
	memset(desc, 'x', 10000);
	desc[10000] = '\0';
	for (int i = 0; i < 10000; i += 100)
		desc[i] = ' ';
	snprintf(path, sizeof path, "%s/big.yaml", tdir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 5000; i++)
		fprintf(f, H "kind: Component\nmetadata:\n  name: c%d\n  description: %s\n"
		        CS "---\n", i, desc);
	fclose(f);
	free(desc);
	struct cat_import res;
	ck_assert_int_eq(timport(path, &res), 0);
	ck_assert_int_eq(res.imported, 5000);
	cat_import_free(&res);
	getrusage(RUSAGE_SELF, &ru);
	/* the file is 50 MB; the process never held it (allow for SQLite's cache
	 * and the sanitizers' overhead) */
#ifdef __SANITIZE_ADDRESS__
	/* ASan keeps up to 256 MB of freed memory in quarantine, plus shadow */
	ck_assert_int_lt(ru.ru_maxrss, 512 * 1024);
#else
	ck_assert_int_lt(ru.ru_maxrss, 48 * 1024);
#endif
}
END_TEST

/* A bulk import (indexes dropped) that then replaces an entity: the
 * relations the old version declared, at either end, are gone, the new
 * ones are there, and the indexes are all back after the commit. */
START_TEST(test_bulk_import_then_replace)
{
	struct cat_import res;
	char path[400];
	const char *first = twrite("many.yaml", H "kind: Group\nmetadata: {name: g}\n"
	                           "spec: {type: team, children: [c0, c1], members: [u]}\n");
	ck_assert_int_eq(timport(first, &res), 0);
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_edges WHERE by_target = 1"), 3);
	/* the same file (the group's owner), grown */
	snprintf(path, sizeof path, "%s/many.yaml", tdir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 3000; i++)
		fprintf(f, H "kind: Component\nmetadata: {name: c%d}\n"
		        "spec: {type: service, lifecycle: x, owner: g, dependsOn: [component:c%d]}\n---\n",
		        i, (i + 1) % 3000);
	fprintf(f, H "kind: Group\nmetadata: {name: g}\nspec: {type: team, children: [c2]}\n");
	fclose(f);
	ck_assert_int_eq(timport(path, &res), 0);
	ck_assert_int_eq(res.created, 3000);
	ck_assert_int_eq(res.imported, 3001);
	cat_import_free(&res);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE origin ="
	                        " 'group:default/g'"), 1);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE type = 'childOf'"
	                        " AND source = 'group:default/c2' AND target = 'group:default/g'"), 1);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE type = 'memberOf'"), 0);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_edges"), 3000 + 3000 + 1);
	ck_assert_int_eq(tcount("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
	                        " name IN ('catalog_edges_target', 'catalog_entities_kind',"
	                        " 'catalog_entities_owner')"), 3);
	json_t *d = cat_deps(&tdb, "component:default/c0", true, true, 0, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(d, "items")), 2999);
	json_decref(d);
}
END_TEST

Suite *import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");
	tcase_add_checked_fixture(tc, tdb_setup, tdb_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_examples_via_locations);
	tcase_add_test(tc, test_examples_locations_only);
	tcase_add_test(tc, test_examples_directory);
	tcase_add_test(tc, test_reimport_after_delete);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_bad_input_more);
	tcase_add_test(tc, test_error_early_in_long_file);
	tcase_add_test(tc, test_duplicates_across_files);
	tcase_add_test(tc, test_unknown_kind_refused);
	tcase_add_test(tc, test_json_and_export_roundtrip);
	tcase_add_test(tc, test_big_file_streamed);
	tcase_add_test(tc, test_bulk_import_then_replace);
	suite_add_tcase(s, tc);
	return s;
}
