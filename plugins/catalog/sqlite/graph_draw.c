/*
 * graph_draw.c -- the dependency graph drawn as Graphviz dot or Mermaid:
 * the whole catalog, or one entity's neighbourhood (walked by graph.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* Write "text" as a double-quoted dot/mermaid string. */
static void quoted(FILE *f, const char *s, bool mermaid)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputs(mermaid ? "#quot;" : "\\\"", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Collect node set and edges of the whole catalog (REF NULL) or of REF's
 * dependency neighbourhood into W. */
static int collect(struct cat_db *c, const char *ref, int max_depth, struct walk *w,
                   json_t *types, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (ref) {
		struct walk down = { 0 }, up = { 0 };
		rc = walk_bfs(c, ref, false, max_depth, &down, errmsg) ||
		     walk_bfs(c, ref, true, max_depth, &up, errmsg) ? -1 : 0;
		for (size_t i = 0; rc == 0 && i < down.refs.len; i++)
			if (walk_add_node(w, down.refs.v[i], 0, -1) < 0)
				rc = -1;
		for (size_t i = 1; rc == 0 && i < up.refs.len; i++)
			if (cat_set_get(&w->index, up.refs.v[i]) < 0 && walk_add_node(w, up.refs.v[i], 0, -1) < 0)
				rc = -1;
		walk_free(&down), walk_free(&up);
		if (rc)
			return rc;
		rc = sqlite3_prepare_v2(c->db, walk_sql_fwd, -1, &st, NULL);
		for (size_t i = 0; rc == SQLITE_OK && i < w->refs.len; i++) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, w->refs.v[i], -1, SQLITE_TRANSIENT);
			while (sqlite3_step(st) == SQLITE_ROW) {
				int j = cat_set_get(&w->index, (const char *)sqlite3_column_text(st, 0));
				if (j >= 0 && walk_add_edge(w, (int)i, j) == 0)
					json_array_append_new(types, json_string("dependsOn"));
			}
		}
	} else {
		rc = sqlite3_prepare_v2(c->db, "SELECT DISTINCT source, type, target FROM "
		        "catalog_relations WHERE type IN ('dependsOn', 'providesApi', 'consumesApi',"
		        " 'partOf') ORDER BY 1, 2, 3", -1, &st, NULL);
		while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
			const char *s = (const char *)sqlite3_column_text(st, 0);
			const char *t = (const char *)sqlite3_column_text(st, 2);
			int u = cat_set_get(&w->index, s), v;
			if (u < 0)
				u = walk_add_node(w, s, 0, -1);
			if ((v = cat_set_get(&w->index, t)) < 0)
				v = walk_add_node(w, t, 0, -1);
			if (u < 0 || v < 0 || walk_add_edge(w, u, v)) {
				rc = SQLITE_NOMEM;
				break;
			}
			json_array_append_new(types, json_string((const char *)sqlite3_column_text(st, 1)));
		}
	}
	if (rc != SQLITE_OK)
		cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

char *cat_graph(struct cat_db *c, const char *ref, const char *format, int max_depth,
                char **errmsg)
{
	bool mermaid;
	if (!format || !strcmp(format, "dot"))
		mermaid = false;
	else if (!strcmp(format, "mermaid"))
		mermaid = true;
	else {
		cat_err(errmsg, "unknown graph format '%s'; use dot or mermaid", format);
		return NULL;
	}
	struct walk w = { 0 };
	json_t *types = json_array();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;
	if (!types || collect(c, ref, max_depth, &w, types, errmsg))
		goto done;
	if (!(f = open_memstream(&buf, &len))) {
		cat_err(errmsg, "out of memory");
		goto done;
	}
	fputs(mermaid ? "graph LR\n" : "digraph catalog {\n  rankdir=LR;\n"
	      "  node [shape=box, fontname=\"Helvetica\"];\n", f);
	for (size_t i = 0; i < w.refs.len; i++) {
		bool missing = !cat_exists(c, w.refs.v[i]);
		if (mermaid) {
			fprintf(f, "  n%zu[", i);
			quoted(f, w.refs.v[i], true);
			fprintf(f, "]\n");
			if (missing)
				fprintf(f, "  style n%zu stroke-dasharray: 5 5\n", i);
		} else {
			fputs("  ", f);
			quoted(f, w.refs.v[i], false);
			fprintf(f, "%s;\n", missing ? " [style=dashed]" : (ref && !strcmp(ref,
			        w.refs.v[i]) ? " [style=bold]" : ""));
		}
	}
	for (size_t e = 0; e < w.nedges; e++) {
		const char *type = json_string_value(json_array_get(types, e));
		if (mermaid) {
			fprintf(f, "  n%d -->|%s| n%d\n", w.eu[e], type, w.ev[e]);
		} else {
			fputs("  ", f);
			quoted(f, w.refs.v[w.eu[e]], false);
			fputs(" -> ", f);
			quoted(f, w.refs.v[w.ev[e]], false);
			fprintf(f, " [label=\"%s\"];\n", type);
		}
	}
	if (!mermaid)
		fputs("}\n", f);
done:
	if (f)
		fclose(f);
	json_decref(types);
	walk_free(&w);
	return buf;
}
