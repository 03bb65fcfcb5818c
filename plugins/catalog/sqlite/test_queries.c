/*
 * test_queries.c -- store (put, get, replace, delete, resolve) and every
 * query: list filters, search, deps/rdeps with cycles, depth limits and
 * missing refs, check, owners, cost, graph.
 */
#include <stdio.h>

#include "test_util.h"

#define H "apiVersion: backstage.io/v1alpha1\n"
/* What Backstage requires of a Component's and an API's spec besides an owner. */
#define S "type: service, lifecycle: deprecated, "
#define API_SPEC "spec: {type: openapi, lifecycle: production, owner: o, definition: x}\n"

/* A small world: a -> b -> c -> a (cycle), b -> db (resource), a -> ghost
 * (missing), d -> a; costs on a, b and db. */
static void world(void)
{
	tput(H "kind: Group\nmetadata: {name: team-a, annotations: {paved.dev/oncall: pd/team-a}}\n"
	     "spec: {type: team, profile: {displayName: Team A, email: a@x.io}, children: []}\n---\n"
	     H "kind: Component\nmetadata:\n  name: a\n  description: The alpha payment service\n"
	     "  tags: [java, payments]\n  annotations: {paved.dev/cost-per-month: '100'}\n"
	     "spec: {type: service, lifecycle: production, owner: team-a, system: pay,\n"
	     "       dependsOn: [component:b, 'component:ghost']}\n---\n"
	     H "kind: Component\nmetadata: {name: b, annotations: {paved.dev/cost-per-month: '50'}}\n"
	     "spec: {type: service, lifecycle: experimental, owner: team-b, dependsOn: ['component:c', 'resource:db']}\n---\n"
	     H "kind: Component\nmetadata: {name: c}\nspec: {" S "owner: team-a, dependsOn: ['component:a']}\n---\n"
	     H "kind: Component\nmetadata: {name: d}\nspec: {" S "owner: team-a, dependsOn: ['component:a']}\n---\n"
	     H "kind: Resource\nmetadata: {name: db, annotations: {paved.dev/cost-per-month: '$1,000'}}\n"
	     "spec: {type: database, owner: team-b, system: pay}\n---\n"
	     H "kind: System\nmetadata: {name: pay}\nspec: {owner: team-a}\n");
}

/* The refs of a deps result's items, "ref@depth" joined by spaces. */
static char *items(json_t *d)
{
	static char buf[2048];
	json_t *x;
	size_t i;
	buf[0] = '\0';
	json_array_foreach(json_object_get(d, "items"), i, x) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s@%d", i ? " " : "",
		         json_string_value(json_object_get(x, "ref")),
		         (int)json_integer_value(json_object_get(x, "depth")));
	}
	return buf;
}

START_TEST(test_put_get_replace_delete)
{
	world();
	json_t *e = cat_get(&tdb, "component:default/a");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(cat_get_str(e, "metadata.description"), "The alpha payment service");
	json_t *rels = json_object_get(e, "relations");
	/* ownedBy, partOf, dependsOn x2, dependencyOf (c, d) */
	ck_assert_int_eq(json_array_size(rels), 6);
	json_decref(e);
	/* replacing recomputes relations: only what the new version declares */
	bool created = true;
	char *err = NULL;
	json_t *n = json_loads("{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
	                       " \"metadata\": {\"name\": \"A\"}, \"spec\": {\"type\": \"service\", \"lifecycle\":"
	                       " \"production\", \"owner\": \"team-b\"}}",
	                       0, NULL);
	ck_assert_int_eq(cat_put(&tdb, n, "t", NULL, NULL, &created, &err), 0);
	ck_assert(!created);
	json_decref(n);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE origin = "
	                        "'component:default/a'"), 1);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities WHERE owner = "
	                        "'group:default/team-b'"), 3);
	ck_assert_int_eq(cat_delete(&tdb, "component:default/a", &err), 0);
	ck_assert_ptr_null(cat_get(&tdb, "component:default/a"));
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_fts WHERE catalog_fts MATCH 'alpha'"), 0);
	ck_assert_int_eq(cat_delete(&tdb, "component:default/a", &err), -1);
	ck_assert_str_eq(err, "no entity 'component:default/a' in the catalog");
	free(err);
}
END_TEST

START_TEST(test_resolve)
{
	char *ref = NULL, *err = NULL;
	world();
	tput(H "kind: API\nmetadata: {name: b}\n" API_SPEC "---\n" H "kind: API\nmetadata: {name: x}\n"
	     API_SPEC "---\n" H "kind: Resource\nmetadata: {name: x}\nspec: {type: db, owner: o}\n");
	ck_assert_int_eq(cat_resolve(&tdb, "b", &ref, &err), 0);   /* Component wins */
	ck_assert_str_eq(ref, "component:default/b");
	free(ref);
	ck_assert_int_eq(cat_resolve(&tdb, "api:b", &ref, &err), 0);
	ck_assert_str_eq(ref, "api:default/b");
	free(ref);
	ck_assert_int_eq(cat_resolve(&tdb, "DB", &ref, &err), 0);
	ck_assert_str_eq(ref, "resource:default/db");
	free(ref);
	ck_assert_int_eq(cat_resolve(&tdb, "x", &ref, &err), -1);
	ck_assert_str_eq(err, "'x' is ambiguous: api:default/x, resource:default/x; give the "
	                 "full reference");
	ck_assert_int_eq(cat_resolve(&tdb, "component:nope", &ref, &err), -1);
	ck_assert_str_eq(err, "no entity 'component:default/nope' in the catalog");
	free(err);
}
END_TEST

/* Refs of cat_query(FILTER) joined by spaces. */
static char *query(const char *filter)
{
	static char buf[1024];
	char *err = NULL;
	json_t *f = json_loads(filter, 0, NULL), *res = cat_query(&tdb, f, &err), *e;
	size_t i;
	ck_assert_msg(res != NULL, "%s", err);
	buf[0] = '\0';
	json_array_foreach(res, i, e) {
		char *r = cat_entity_ref(e);
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", r);
		free(r);
	}
	json_decref(f), json_decref(res);
	return buf;
}

START_TEST(test_query_filters)
{
	world();
	ck_assert_str_eq(query("{\"kind\": \"Resource\"}"), "resource:default/db");
	ck_assert_str_eq(query("{\"owner\": \"team-a\", \"kind\": \"component\"}"),
	                 "component:default/a component:default/c component:default/d");
	ck_assert_str_eq(query("{\"owner\": \"group:default/team-b\"}"),
	                 "component:default/b resource:default/db");
	ck_assert_str_eq(query("{\"lifecycle\": \"Production\"}"), "component:default/a");
	ck_assert_str_eq(query("{\"tag\": \"payments\"}"), "component:default/a");
	ck_assert_str_eq(query("{\"system\": \"pay\"}"), "component:default/a resource:default/db");
	/* words, not parts of words: a prefix only when asked for */
	ck_assert_str_eq(query("{\"text\": \"alph\"}"), "");
	ck_assert_str_eq(query("{\"text\": \"alph*\"}"), "component:default/a");
	/* team-a is the words team and a together: never team-b's entities */
	ck_assert_str_eq(query("{\"text\": \"team-a\", \"kind\": \"component\"}"),
	                 "component:default/a component:default/c component:default/d");
	ck_assert_str_eq(query("{\"text\": \"team-b\"}"), "component:default/b resource:default/db");
	ck_assert_str_eq(query("{\"kind\": \"component\", \"limit\": 2}"),
	                 "component:default/a component:default/b");
	ck_assert_str_eq(query("{\"kind\": \"nothing\"}"), "");
	char *err = NULL;
	json_t *f = json_loads("{\"kind\": 3}", 0, NULL);
	ck_assert_ptr_null(cat_query(&tdb, f, &err));
	ck_assert_str_eq(err, "filter 'kind' must be a string");
	json_decref(f);
	free(err);
}
END_TEST

START_TEST(test_search)
{
	char *err = NULL;
	world();
	json_t *r = cat_search(&tdb, "payment", 10, &err);
	ck_assert_int_eq(json_array_size(r), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 0), "ref")),
	                 "component:default/a");
	json_decref(r);
	r = cat_search(&tdb, "database", 10, &err);   /* spec.type is searchable */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 0), "ref")),
	                 "resource:default/db");
	json_decref(r);
	r = cat_search(&tdb, "\"(*", 10, &err);        /* FTS syntax cannot leak in */
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err, "search text '\"(*' has no words to look for");
	free(err);
}
END_TEST

START_TEST(test_deps_direct_and_missing)
{
	char *err = NULL;
	world();
	json_t *d = cat_deps(&tdb, "component:default/a", false, false, 0, &err);
	ck_assert_str_eq(items(d), "component:default/b@1 component:default/ghost@1");
	ck_assert(json_is_false(json_object_get(json_array_get(json_object_get(d, "items"), 1),
	                                        "exists")));
	ck_assert_int_eq(json_array_size(json_object_get(d, "cycles")), 0);
	json_decref(d);
	/* a missing ref has no dependencies, and rdeps of it finds who needs it */
	d = cat_deps(&tdb, "component:default/ghost", true, true, 0, &err);
	ck_assert_str_eq(items(d), "component:default/a@1 component:default/c@2 "
	                 "component:default/d@2 component:default/b@3");
	json_decref(d);
}
END_TEST

START_TEST(test_deps_transitive_cycle)
{
	char *err = NULL;
	world();
	json_t *d = cat_deps(&tdb, "component:default/a", false, true, 0, &err);
	ck_assert_str_eq(items(d), "component:default/b@1 component:default/ghost@1 "
	                 "component:default/c@2 resource:default/db@2");
	json_t *cyc = json_object_get(d, "cycles");
	ck_assert_int_eq(json_array_size(cyc), 1);
	char *s = json_dumps(json_array_get(cyc, 0), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"component:default/a\",\"component:default/b\","
	                 "\"component:default/c\",\"component:default/a\"]");
	free(s);
	ck_assert(json_is_false(json_object_get(d, "truncated")));
	json_decref(d);
	/* depth limit: exact, and says there is more */
	d = cat_deps(&tdb, "component:default/a", false, true, 1, &err);
	ck_assert_str_eq(items(d), "component:default/b@1 component:default/ghost@1");
	ck_assert(json_is_true(json_object_get(d, "truncated")));
	json_decref(d);
	/* rdeps through the cycle: each dependent once, shortest distance */
	d = cat_deps(&tdb, "resource:default/db", true, true, 0, &err);
	ck_assert_str_eq(items(d), "component:default/b@1 component:default/a@2 "
	                 "component:default/c@3 component:default/d@3");
	ck_assert_int_eq(json_array_size(json_object_get(d, "cycles")), 1);
	s = json_dumps(json_array_get(json_object_get(d, "cycles"), 0), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"component:default/b\",\"component:default/c\","
	                 "\"component:default/a\",\"component:default/b\"]");
	free(s);
	json_decref(d);
	d = cat_deps(&tdb, "resource:default/db", true, true, 2, &err);
	ck_assert_str_eq(items(d), "component:default/b@1 component:default/a@2");
	json_decref(d);
}
END_TEST

START_TEST(test_self_cycle_and_long_chain)
{
	char *err = NULL, buf[256];
	tput(H "kind: Component\nmetadata: {name: self}\nspec: {" S "owner: o, dependsOn: ['component:self']}\n");
	json_t *d = cat_deps(&tdb, "component:default/self", false, true, 0, &err);
	ck_assert_int_eq(json_array_size(json_object_get(d, "cycles")), 1);
	json_decref(d);
	/* a 3000-long chain: no recursion depth problem, depth limit exact */
	ck_assert_int_eq(cat_db_begin(&tdb, &err), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, H "kind: Component\nmetadata: {name: n%d}\n"
		         "spec: {" S "owner: o, dependsOn: ['component:n%d']}\n", i, i + 1);
		tput(buf);
	}
	ck_assert_int_eq(cat_db_commit(&tdb, &err), 0);
	d = cat_deps(&tdb, "component:default/n0", false, true, 0, &err);
	ck_assert_int_eq(json_array_size(json_object_get(d, "items")), 3000);
	json_decref(d);
	d = cat_deps(&tdb, "component:default/n3000", true, true, 10, &err);
	ck_assert_int_eq(json_array_size(json_object_get(d, "items")), 10);
	json_decref(d);
}
END_TEST

START_TEST(test_check)
{
	char *err = NULL;
	world();
	json_t *c = cat_check(&tdb, &err), *x;
	size_t i;
	char lines[2048] = "";
	json_array_foreach(json_object_get(c, "dangling"), i, x) {
		size_t n = strlen(lines);
		snprintf(lines + n, sizeof lines - n, "%s %s %s\n",
		         json_string_value(json_object_get(x, "entity")),
		         json_string_value(json_object_get(x, "relation")),
		         json_string_value(json_object_get(x, "target")));
	}
	ck_assert_str_eq(lines,
		"component:default/a dependsOn component:default/ghost\n"
		"component:default/b ownedBy group:default/team-b\n"
		"resource:default/db ownedBy group:default/team-b\n");
	ck_assert_int_eq(json_array_size(json_object_get(c, "cycles")), 1);
	json_decref(c);
}
END_TEST

START_TEST(test_owners_and_cost)
{
	char *err = NULL;
	world();
	json_t *o = cat_owners(&tdb, &err);
	ck_assert_int_eq(json_array_size(o), 2);
	json_t *a = json_array_get(o, 0);
	ck_assert_str_eq(json_string_value(json_object_get(a, "owner")), "group:default/team-a");
	ck_assert_str_eq(json_string_value(json_object_get(a, "title")), "Team A");
	ck_assert_str_eq(json_string_value(json_object_get(a, "email")), "a@x.io");
	ck_assert_str_eq(json_string_value(json_object_get(a, "oncall")), "pd/team-a");
	ck_assert_int_eq(json_array_size(json_object_get(a, "entities")), 4);
	ck_assert(json_is_false(json_object_get(json_array_get(o, 1), "exists")));
	json_decref(o);
	double own, res;
	ck_assert_int_eq(cat_cost_of(&tdb, "component:default/a", &own, &res), 0);
	ck_assert(own == 100 && res == 0);   /* db is b's resource, not a's */
	ck_assert_int_eq(cat_cost_of(&tdb, "component:default/b", &own, &res), 0);
	ck_assert(own == 50 && res == 1000);
	ck_assert_int_eq(cat_cost_of(&tdb, "component:default/d", &own, &res), 0);
	ck_assert(own == -1 && res == 0);
	json_t *rows = cat_cost(&tdb, NULL, &err);
	ck_assert_int_eq(json_array_size(rows), 2);   /* a and b have costs */
	ck_assert(json_real_value(json_object_get(json_array_get(rows, 1), "total")) == 1050);
	json_decref(rows);
	rows = cat_cost(&tdb, "owner", &err);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "key")),
	                 "group:default/team-b");
	ck_assert(json_real_value(json_object_get(json_array_get(rows, 0), "total")) == 1050);
	json_decref(rows);
	ck_assert_ptr_null(cat_cost(&tdb, "colour", &err));
	ck_assert_str_eq(err, "cannot group costs by 'colour'; use owner or system");
	free(err);
}
END_TEST

START_TEST(test_graph)
{
	char *err = NULL;
	world();
	char *g = cat_graph(&tdb, "component:default/b", "dot", 0, &err);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_nonnull(strstr(g, "\"component:default/b\" -> \"resource:default/db\" "
	                             "[label=\"dependsOn\"];"));
	ck_assert_ptr_nonnull(strstr(g, "\"component:default/ghost\" [style=dashed];"));
	free(g);
	g = cat_graph(&tdb, NULL, "mermaid", 0, &err);
	ck_assert_ptr_nonnull(strstr(g, "graph LR\n"));
	ck_assert_ptr_nonnull(strstr(g, "-->|partOf|"));
	free(g);
	ck_assert_ptr_null(cat_graph(&tdb, NULL, "svg", 0, &err));
	ck_assert_str_eq(err, "unknown graph format 'svg'; use dot or mermaid");
	free(err);
}
END_TEST

START_TEST(test_schema_version)
{
	ck_assert_int_eq(cat_db_version(&tdb), 3);
	/* reopening does not migrate again */
	char *err = NULL, path[300];
	struct cat_db again;
	snprintf(path, sizeof path, "%s/paved.db", tdir);
	ck_assert_int_eq(cat_db_open(&again, path, &err), 0);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_schema"), 3);
	cat_db_close(&again);
}
END_TEST

/* The relation types table is the C list: ids, names and inverses. */
START_TEST(test_relation_types_table)
{
	sqlite3_stmt *st;
	int n = 0;
	ck_assert_int_eq(sqlite3_prepare_v2(tdb.db, "SELECT id, name, inverse FROM"
	                 " catalog_relation_types ORDER BY id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		ck_assert_int_eq(cat_rel_type_id(name), sqlite3_column_int(st, 0));
		ck_assert_str_eq(cat_rel_inverse(name), (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(n, 7);
	ck_assert_int_eq(cat_rel_type_id("dependsOn"), atoi(CAT_REL_DEPENDSON));
	ck_assert_int_eq(cat_rel_type_id("dependencyOf"), 0);   /* stored as dependsOn */
}
END_TEST

/* A catalog written by schema 1 (text relations) keeps its entities and
 * relations through migration 2, and new entities get ids of their own. */
START_TEST(test_migration_keeps_relations)
{
	char *err = NULL, path[300];
	struct cat_db old;
	tdb_teardown();
	tdb_setup_at(1);
	snprintf(path, sizeof path, "%s/paved.db", tdir);
	ck_assert_int_eq(cat_db_version(&tdb), 1);
	ck_assert_int_eq(sqlite3_exec(tdb.db,
		"INSERT INTO catalog_entities (id, ref, kind, namespace, name, json, updated) VALUES"
		" (1, 'component:default/a', 'component', 'default', 'a', '{}', 'now'),"
		" (2, 'component:default/b', 'component', 'default', 'b', '{}', 'now');"
		"INSERT INTO catalog_relations VALUES"
		" ('component:default/a', 'dependsOn', 'component:default/b', 'component:default/a'),"
		" ('component:default/b', 'dependsOn', 'resource:default/gone', 'component:default/b'),"
		" ('component:default/a', 'ownedBy', 'group:default/team', 'component:default/a');",
		NULL, NULL, NULL), SQLITE_OK);
	cat_db_close(&tdb);
	ck_assert_msg(cat_db_open(&old, path, &err) == 0, "migrate: %s", err);
	tdb = old;
	ck_assert_int_eq(cat_db_version(&tdb), 3);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_documents d JOIN catalog_entities e"
	                        " ON e.id = d.id WHERE d.json = '{}'"), 2);
	ck_assert_int_eq(tcount("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
	                        " tbl_name = 'catalog_entities'"), 5);
	ck_assert(cat_exists(&tdb, "component:default/a"));
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_edges"), 3);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE source ="
	                        " 'component:default/b' AND target = 'resource:default/gone'"), 1);
	ck_assert_int_eq(tcount("SELECT id FROM catalog_refs WHERE ref = 'component:default/b'"), 2);
	json_t *r = cat_relations_get(&tdb, "component:default/b");
	ck_assert_int_eq(json_array_size(r), 2);   /* dependencyOf a, dependsOn gone */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 0), "type")),
	                 "dependencyOf");
	json_decref(r);
	json_t *d = cat_deps(&tdb, "component:default/a", false, true, 0, &err);
	ck_assert_int_eq(json_array_size(json_object_get(d, "items")), 2);
	json_decref(d);
	/* a new entity takes an id no ref has */
	tput("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c}\n"
	     "spec: {type: service, lifecycle: production, owner: team, dependsOn: [component:b]}\n");
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_entities e JOIN catalog_refs r"
	                        " ON r.id = e.id AND r.ref = e.ref"), 3);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_relations WHERE target ="
	                        " 'component:default/b'"), 2);
}
END_TEST

/* Deleting an entity forgets its ref only when nothing names it. */
START_TEST(test_delete_forgets_unnamed_refs)
{
	char *err = NULL;
	tput("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
	     "spec: {type: service, lifecycle: production, owner: t, dependsOn: [component:y]}\n---\n"
	     "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: y}\n"
	     "spec: {type: service, lifecycle: production, owner: t}\n");
	ck_assert_int_eq(cat_delete(&tdb, "component:default/y", &err), 0);
	/* x still names y: the ref stays, dangling */
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_refs WHERE ref = 'component:default/y'"), 1);
	ck_assert_int_eq(cat_delete(&tdb, "component:default/x", &err), 0);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_refs WHERE ref = 'component:default/x'"), 0);
	ck_assert_int_eq(tcount("SELECT count(*) FROM catalog_edges"), 0);
}
END_TEST

Suite *queries_suite(void)
{
	Suite *s = suite_create("queries");
	TCase *tc = tcase_create("queries");
	tcase_add_checked_fixture(tc, tdb_setup, tdb_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_put_get_replace_delete);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_query_filters);
	tcase_add_test(tc, test_search);
	tcase_add_test(tc, test_deps_direct_and_missing);
	tcase_add_test(tc, test_deps_transitive_cycle);
	tcase_add_test(tc, test_self_cycle_and_long_chain);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_owners_and_cost);
	tcase_add_test(tc, test_graph);
	tcase_add_test(tc, test_schema_version);
	tcase_add_test(tc, test_relation_types_table);
	tcase_add_test(tc, test_migration_keeps_relations);
	tcase_add_test(tc, test_delete_forgets_unnamed_refs);
	suite_add_tcase(s, tc);
	return s;
}
