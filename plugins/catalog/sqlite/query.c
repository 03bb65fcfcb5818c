/*
 * query.c -- questions over the whole catalog: filtered lists, full-text
 * search, consistency check (dangling refs, dependency cycles), owners,
 * cost and counts.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* Prepare SQL or set *errmsg. */
static sqlite3_stmt *prepare(struct cat_db *c, const char *sql, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	return st;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Turn free text into an FTS5 query: each word (split at white space) a
 * quoted phrase, all required.  FTS5's tokenizer splits "team-a" into the
 * tokens team and a, so the phrase matches those two words next to each
 * other and nothing else: not team-b, not "alpha" (no prefix matching
 * unless the word ends in '*').  NULL (with *errmsg) when TEXT has no word
 * to look for. */
static char *fts_query(const char *text, char **errmsg)
{
	size_t n = strlen(text);
	char *q = malloc(n * 2 + 8), *p = q;
	bool any = false;
	if (!q) {
		cat_err(errmsg, "out of memory");
		return NULL;
	}
	for (const unsigned char *s = (const unsigned char *)text; *s;) {
		while (*s && isspace(*s))
			s++;
		const unsigned char *w = s;
		bool alnum = false;
		while (*s && !isspace(*s))
			alnum |= isalnum(*s) || *s >= 0x80, s++;
		if (!alnum)
			continue;
		bool prefix = s[-1] == '*';
		if (any)
			*p++ = ' ';
		*p++ = '"';
		for (const unsigned char *c = w; c < s - prefix; c++) {
			if (*c == '"')
				*p++ = '"';   /* a quote inside an FTS5 string is doubled */
			*p++ = (char)*c;
		}
		*p++ = '"';
		if (prefix)
			*p++ = '*';
		any = true;
	}
	*p = '\0';
	if (!any) {
		free(q);
		cat_err(errmsg, "search text '%s' has no words to look for", text);
		return NULL;
	}
	return q;
}

/* Name part of a ref-ish filter value, lower case: "group:default/a" -> "a". */
static char *filter_name(const char *v)
{
	const char *slash = strrchr(v, '/'), *colon = strchr(v, ':');
	return cat_lower(slash ? slash + 1 : colon ? colon + 1 : v);
}

int cat_query_each(struct cat_db *c, json_t *filter, cat_row_fn fn, void *ud, char **errmsg)
{
	static const char *const keys[] = {
		"kind", "owner", "lifecycle", "tag", "system", "text", "limit", NULL
	};
	const char *k;
	json_t *v;
	if (filter && !json_is_object(filter))
		return cat_err(errmsg, "the query must be an object of filters");
	json_object_foreach(filter, k, v) {
		size_t i = 0;
		while (keys[i] && strcmp(keys[i], k))
			i++;
		if (!keys[i])
			return cat_err(errmsg, "unknown filter '%s'; use kind, owner, lifecycle, tag, "
			               "system, text or limit", k);
		if (strcmp(k, "limit") ? !json_is_string(v) : !json_is_integer(v))
			return cat_err(errmsg, "filter '%s' must be a %s", k, strcmp(k, "limit") ?
			               "string" : "number");
	}
	const char *kind = json_string_value(json_object_get(filter, "kind"));
	const char *owner = json_string_value(json_object_get(filter, "owner"));
	const char *lifecycle = json_string_value(json_object_get(filter, "lifecycle"));
	const char *tag = json_string_value(json_object_get(filter, "tag"));
	const char *system = json_string_value(json_object_get(filter, "system"));
	const char *text = json_string_value(json_object_get(filter, "text"));
	json_int_t limit = json_integer_value(json_object_get(filter, "limit"));
	char *fts = text ? fts_query(text, errmsg) : NULL;
	if (text && !fts)
		return -1;
	/* the entities' ref index gives the order: rows come one at a time,
	 * nothing is sorted or held */
	char *sql = pc_printf("SELECT d.json FROM catalog_entities e JOIN catalog_documents d"
		" ON d.id = e.id WHERE 1%s%s%s%s%s%s ORDER BY e.ref LIMIT ?7",
		kind ? " AND e.kind = lower(?1)" : "",
		owner ? " AND substr(e.owner, instr(e.owner, '/') + 1) = ?2" : "",
		lifecycle ? " AND e.lifecycle = ?3 COLLATE NOCASE" : "",
		tag ? " AND e.id IN (SELECT entity FROM catalog_tags WHERE tag = lower(?4))" : "",
		system ? " AND substr(e.system, instr(e.system, '/') + 1) = ?5" : "",
		text ? " AND e.id IN (SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH ?6)" : "");
	char *oname = owner ? filter_name(owner) : NULL;
	char *sname = system ? filter_name(system) : NULL;
	sqlite3_stmt *st = sql ? prepare(c, sql, errmsg) : NULL;
	int rc = -1;
	if (st) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, oname, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, lifecycle, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, tag, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, sname, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, fts, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, limit > 0 ? limit : -1);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			if (fn(col(st, 0), (size_t)sqlite3_column_bytes(st, 0), ud))
				break;
		if (step == SQLITE_ROW)
			rc = -1;   /* FN stopped it */
		else if (step != SQLITE_DONE)
			cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
		else
			rc = 0;
	} else if (!sql) {
		cat_err(errmsg, "out of memory");
	}
	sqlite3_finalize(st);
	free(sql), free(fts), free(oname), free(sname);
	return rc;
}

/* cat_query_each callback of cat_query: parse and keep. */
static int collect_row(const char *text, size_t len, void *ud)
{
	json_t *e = json_loadb(text, len, 0, NULL);
	return e ? json_array_append_new(ud, e) : -1;
}

json_t *cat_query(struct cat_db *c, json_t *filter, char **errmsg)
{
	json_t *out = json_array();
	if (out && cat_query_each(c, filter, collect_row, out, errmsg) == 0)
		return out;
	json_decref(out);
	if (errmsg && !*errmsg)
		cat_err(errmsg, "out of memory");
	return NULL;
}

json_t *cat_export(struct cat_db *c, char **errmsg)
{
	return cat_query(c, NULL, errmsg);
}

json_t *cat_search(struct cat_db *c, const char *text, int limit, char **errmsg)
{
	char *fts = fts_query(text ? text : "", errmsg);
	if (!fts)
		return NULL;
	sqlite3_stmt *st = prepare(c, "SELECT f.ref, d.json, bm25(catalog_fts, 0, 10.0, 5.0, 1.0,"
		" 3.0, 1.0) AS score FROM catalog_fts f JOIN catalog_documents d ON d.id = f.rowid"
		" WHERE catalog_fts MATCH ?1 ORDER BY score, f.ref LIMIT ?2", errmsg);
	json_t *out = NULL;
	if (st) {
		sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
		out = json_array();
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *e = json_loads(col(st, 1), 0, NULL);
			json_array_append_new(out, json_pack("{s:s, s:s?, s:s?, s:s?, s:f}", "ref", col(st, 0),
				"title", cat_get_str(e, "metadata.title"),
				"description", cat_get_str(e, "metadata.description"),
				"owner", cat_get_str(e, "spec.owner"),
				"score", -sqlite3_column_double(st, 2)));
			json_decref(e);
		}
	}
	sqlite3_finalize(st);
	free(fts);
	return out;
}

/* Every dependsOn cycle in the catalog, via a deps walk from each node not
 * yet seen (graph.c does the cycle search). */
static json_t *all_cycles(struct cat_db *c, char **errmsg)
{
	json_t *cycles = json_array();
	struct cat_set seen = { 0 };
	sqlite3_stmt *st = prepare(c, "SELECT DISTINCT s.ref FROM catalog_edges x JOIN"
	                           " catalog_refs s ON s.id = x.source WHERE x.type = "
	                           CAT_REL_DEPENDSON " ORDER BY 1", errmsg);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *ref = col(st, 0);
		if (cat_set_get(&seen, ref) >= 0)
			continue;
		json_t *d = cat_deps(c, ref, false, true, 0, errmsg), *x, *cyc;
		size_t i;
		if (!d) {
			json_decref(cycles);
			cycles = NULL;
			break;
		}
		cat_set_put(&seen, ref, 1);
		json_array_foreach(json_object_get(d, "items"), i, x)
			cat_set_put(&seen, json_string_value(json_object_get(x, "ref")), 1);
		json_array_foreach(json_object_get(d, "cycles"), i, cyc) {
			/* the same cycle may be met from several roots: keep one */
			json_t *y;
			size_t j;
			bool dup = false;
			json_array_foreach(cycles, j, y)
				dup = dup || json_equal(y, cyc);
			if (!dup && json_array_size(cycles) < 100)
				json_array_append(cycles, cyc);
		}
		json_decref(d);
	}
	if (!st) {
		json_decref(cycles);
		cycles = NULL;
	}
	sqlite3_finalize(st);
	cat_set_free(&seen);
	return cycles;
}

json_t *cat_check(struct cat_db *c, char **errmsg)
{
	sqlite3_stmt *st = prepare(c, "SELECT DISTINCT CASE WHEN r.by_target THEN t.ref"
		" ELSE s.ref END, s.ref, y.name, t.ref FROM catalog_edges r"
		" JOIN catalog_refs s ON s.id = r.source JOIN catalog_refs t ON t.id = r.target"
		" JOIN catalog_relation_types y ON y.id = r.type WHERE NOT EXISTS (SELECT 1 FROM"
		" catalog_entities e WHERE e.id = CASE WHEN r.by_target THEN r.source"
		" ELSE r.target END) ORDER BY 1, 2, 3, 4", errmsg);
	if (!st)
		return NULL;
	json_t *dangling = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *origin = col(st, 0), *src = col(st, 1), *type = col(st, 2);
		bool fwd = strcmp(origin, src) == 0;
		json_array_append_new(dangling, json_pack("{ssssss}", "entity", origin,
			"relation", fwd ? type : cat_rel_inverse(type),
			"target", fwd ? col(st, 3) : src));
	}
	sqlite3_finalize(st);
	json_t *cycles = all_cycles(c, errmsg);
	if (!cycles) {
		json_decref(dangling);
		return NULL;
	}
	return json_pack("{soso}", "dangling", dangling, "cycles", cycles);
}

json_t *cat_owners(struct cat_db *c, char **errmsg)
{
	sqlite3_stmt *st = prepare(c, "SELECT owner, ref FROM catalog_entities"
		" WHERE owner IS NOT NULL ORDER BY owner, kind, ref", errmsg);
	if (!st)
		return NULL;
	json_t *out = json_array(), *cur = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *owner = col(st, 0);
		if (!cur || strcmp(json_string_value(json_object_get(cur, "owner")), owner)) {
			json_t *o = cat_get(c, owner);
			json_t *profile = json_object_get(json_object_get(o, "spec"), "profile");
			const char *title = json_string_value(json_object_get(profile, "displayName"));
			cur = json_pack("{s:s, s:s?, s:s?, s:s?, s:b, s:[]}", "owner", owner,
				"title", title ? title : cat_get_str(o, "metadata.title"),
				"email", json_string_value(json_object_get(profile, "email")),
				"oncall", cat_annotation(o, CAT_ANN_ONCALL),
				"exists", o != NULL, "entities");
			json_decref(o);
			json_array_append_new(out, cur);
		}
		json_array_append_new(json_object_get(cur, "entities"), json_string(col(st, 1)));
	}
	sqlite3_finalize(st);
	return out;
}

/* The resources ?1 depends on, directly or through other resources (by
 * ref: a dangling one is walked through too), and the sum of their costs. */
#define SQL_RESOURCE_COST \
	"WITH RECURSIVE d(id) AS (SELECT target FROM catalog_edges WHERE source =" \
	" (SELECT id FROM catalog_refs WHERE ref = ?1) AND type = " CAT_REL_DEPENDSON \
	" UNION SELECT x.target FROM catalog_edges x JOIN d ON x.source = d.id" \
	" JOIN catalog_refs k ON k.id = d.id WHERE x.type = " CAT_REL_DEPENDSON \
	" AND k.ref LIKE 'resource:%')" \
	" SELECT coalesce(sum(e.cost), 0) FROM catalog_entities e JOIN d ON e.id = d.id" \
	" WHERE e.kind = 'resource'"

/* Sum of the costs of the resources REF depends on (directly, or through
 * other resources), each counted once.  Other components' resources are
 * theirs, not REF's. */
static double resource_cost(sqlite3_stmt *st, const char *ref)
{
	double v = 0;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return v;
}

json_t *cat_cost(struct cat_db *c, const char *by, char **errmsg)
{
	json_t *out = json_array();
	sqlite3_stmt *st = NULL, *res = NULL;
	if (by && strcmp(by, "owner") && strcmp(by, "system")) {
		json_decref(out);
		cat_err(errmsg, "cannot group costs by '%s'; use owner or system", by);
		return NULL;
	}
	if (by) {
		char *sql = pc_printf("SELECT coalesce(%s, '(none)'), sum(cost), count(*)"
			" FROM catalog_entities WHERE cost IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", by);
		st = sql ? prepare(c, sql, errmsg) : NULL;
		free(sql);
		while (st && sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(out, json_pack("{sssfsi}", "key", col(st, 0),
				"total", sqlite3_column_double(st, 1), "entities", sqlite3_column_int(st, 2)));
	} else {
		st = prepare(c, "SELECT ref, coalesce(cost, 0) FROM catalog_entities"
		             " WHERE kind = 'component' ORDER BY ref", errmsg);
		res = prepare(c, SQL_RESOURCE_COST, errmsg);
		while (st && res && sqlite3_step(st) == SQLITE_ROW) {
			double own = sqlite3_column_double(st, 1), r = resource_cost(res, col(st, 0));
			if (own > 0 || r > 0)
				json_array_append_new(out, json_pack("{sssfsfsf}", "ref", col(st, 0),
					"own", own, "resources", r, "total", own + r));
		}
	}
	if (!st || (!by && !res)) {
		json_decref(out);
		out = NULL;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(res);
	return out;
}

json_t *cat_stats(struct cat_db *c)
{
	sqlite3_stmt *st = prepare(c, "SELECT y.name, count(*) FROM (SELECT DISTINCT source, type,"
	                           " target FROM catalog_edges) x JOIN catalog_relation_types y"
	                           " ON y.id = x.type GROUP BY y.name", NULL);
	json_t *by = json_object();
	json_int_t total = 0, entities = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_int_t n = sqlite3_column_int64(st, 1);
		json_object_set_new(by, col(st, 0), json_integer(n));
		json_object_set_new(by, cat_rel_inverse(col(st, 0)), json_integer(n));
		total += 2 * n;
	}
	sqlite3_finalize(st);
	st = prepare(c, "SELECT count(*) FROM catalog_entities", NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		entities = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return json_pack("{sIsIso}", "entities", entities, "relations", total, "byType", by);
}

int cat_cost_of(struct cat_db *c, const char *ref, double *own, double *resources)
{
	sqlite3_stmt *st = prepare(c, "SELECT e.cost FROM catalog_refs r JOIN catalog_entities e"
	                           " ON e.id = r.id WHERE r.ref = ?1", NULL);
	sqlite3_stmt *res = prepare(c, SQL_RESOURCE_COST, NULL);
	int rc = st && res ? 0 : -1;
	*own = -1, *resources = 0;
	if (st) {
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			*own = sqlite3_column_double(st, 0);
	}
	if (res)
		*resources = resource_cost(res, ref);
	sqlite3_finalize(st);
	sqlite3_finalize(res);
	return rc;
}
