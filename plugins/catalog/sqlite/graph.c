/*
 * graph.c -- walking the dependsOn graph: deps, rdeps (impact analysis),
 * cycle reports and graph drawings (Graphviz dot, Mermaid).
 *
 * Traversal is breadth first with a visited set, so every node is listed
 * once at its shortest distance, a cycle can never make it loop, and a
 * depth limit is exact.  Cycles are found separately by a depth-first
 * walk over the edges the traversal saw (an edge to a node still on the
 * DFS stack closes a cycle).  An unlimited walk first reads every edge
 * of the reachable subgraph with one recursive query (no query per
 * visited node) and runs the same breadth-first walk over them in memory,
 * so depth, via, order and cycles are as for a limited walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define MAX_CYCLES 100

/* Neighbours along dependsOn, each once, sorted, with whether it exists.
 * The entity that declared a relation exists while the row does, so a
 * neighbour that declared it needs no look-up: in rdeps that is every
 * dependsOn written by the dependent itself.  Edges hold ids; an entity's
 * id is its ref's id.  BY is by_target's value when TO declared it. */
#define SQL_ONE(from, to, by) \
	"SELECT n.ref, max(CASE WHEN x.by_target = " by " THEN 1 ELSE EXISTS (SELECT 1 FROM" \
	" catalog_entities e WHERE e.id = x." to ") END) FROM catalog_edges x" \
	" JOIN catalog_refs n ON n.id = x." to " WHERE x." from " = (SELECT id FROM" \
	" catalog_refs WHERE ref = ?1) AND x.type = " CAT_REL_DEPENDSON \
	" GROUP BY x." to " ORDER BY 1"
static const char *const sql_fwd = SQL_ONE("source", "target", "1");
static const char *const sql_rev = SQL_ONE("target", "source", "0");

/* What a traversal found: nodes (index = position) and edges. */
struct walk {
	struct cat_strv refs;
	struct cat_set  index;
	int            *depth, *via;
	char           *exists;      /* per node: 1, 0, or -1 (not known) */
	size_t          cap;
	int            *eu, *ev;     /* edges u -> v (as traversed) */
	size_t          nedges, capedges;
	bool            truncated;
};

static void walk_free(struct walk *w)
{
	cat_strv_free(&w->refs);
	cat_set_free(&w->index);
	free(w->depth), free(w->via), free(w->exists), free(w->eu), free(w->ev);
}

/* Add node REF at DEPTH reached from VIA; returns its index or -1. */
static int add_node(struct walk *w, const char *ref, int depth, int via)
{
	if (w->refs.len == w->cap) {
		size_t n = w->cap ? w->cap * 2 : 64;
		int *d = realloc(w->depth, n * sizeof *d);
		if (d)
			w->depth = d;
		int *v = realloc(w->via, n * sizeof *v);
		if (v)
			w->via = v;
		char *x = realloc(w->exists, n);
		if (x)
			w->exists = x;
		if (!d || !v || !x)
			return -1;
		w->cap = n;
	}
	int i = (int)w->refs.len;
	if (cat_strv_push(&w->refs, ref) || cat_set_put(&w->index, ref, i))
		return -1;
	w->depth[i] = depth;
	w->via[i] = via;
	w->exists[i] = -1;
	return i;
}

static int add_edge(struct walk *w, int u, int v)
{
	if (w->nedges == w->capedges) {
		size_t n = w->capedges ? w->capedges * 2 : 64;
		int *a = realloc(w->eu, n * sizeof *a);
		if (a)
			w->eu = a;
		int *b = realloc(w->ev, n * sizeof *b);
		if (b)
			w->ev = b;
		if (!a || !b)
			return -1;
		w->capedges = n;
	}
	w->eu[w->nedges] = u;
	w->ev[w->nedges++] = v;
	return 0;
}

/* The whole reachable neighbourhood in one statement (no depth limit):
 * the recursive CTE collects the reachable set, each node once (UNION),
 * and the outer query lists every dependsOn edge out of it, grouped and
 * sorted exactly as the per-node queries above (neighbour, exists). */
#define SQL_ALL(from, to, by) \
	"WITH RECURSIVE r(id) AS (SELECT id FROM catalog_refs WHERE ref = ?1" \
	" UNION SELECT x." to " FROM catalog_edges x JOIN r ON x." from " = r.id" \
	" WHERE x.type = " CAT_REL_DEPENDSON ")" \
	" SELECT a.ref, b.ref, max(CASE WHEN x.by_target = " by " THEN 1 ELSE EXISTS" \
	" (SELECT 1 FROM catalog_entities e WHERE e.id = x." to ") END)" \
	" FROM r JOIN catalog_edges x ON x." from " = r.id AND x.type = " CAT_REL_DEPENDSON \
	" JOIN catalog_refs a ON a.id = x." from " JOIN catalog_refs b ON b.id = x." to \
	" GROUP BY x." from ", x." to " ORDER BY 1, 2"
static const char *const sql_fwd_all = SQL_ALL("source", "target", "1");
static const char *const sql_rev_all = SQL_ALL("target", "source", "0");

/* Adjacency read in one go: for node key K (set NODE -> index into
 * FIRST/COUNT), neighbours NB[FIRST..FIRST+COUNT), with existence EX. */
struct adj {
	struct cat_set  node;
	struct cat_strv nb;
	char           *ex;
	int            *first, *count;
	size_t          nnodes, capnodes, capex;
};

static void adj_free(struct adj *a)
{
	cat_set_free(&a->node);
	cat_strv_free(&a->nb);
	free(a->ex), free(a->first), free(a->count);
}

static int adj_load(struct cat_db *c, const char *ref, bool reverse, struct adj *a,
                    char **errmsg)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, reverse ? sql_rev_all : sql_fwd_all, -1, &st, NULL)
	    != SQLITE_OK)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	if (!c->in_tx)   /* takes effect from the next read transaction */
		sqlite3_exec(c->db, "PRAGMA mmap_size=" CAT_MMAP_BYTES, NULL, NULL, NULL);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int rc = 0, step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		if (!u || !v)
			continue;
		int k = cat_set_get(&a->node, u);
		if (k < 0) {
			if (a->nnodes == a->capnodes) {
				size_t n = a->capnodes ? a->capnodes * 2 : 64;
				int *f = realloc(a->first, n * sizeof *f);
				if (f)
					a->first = f;
				int *cn = realloc(a->count, n * sizeof *cn);
				if (cn)
					a->count = cn;
				if (!f || !cn) {
					rc = -1;
					break;
				}
				a->capnodes = n;
			}
			k = (int)a->nnodes++;
			if (cat_set_put(&a->node, u, k)) {
				rc = -1;
				break;
			}
			a->first[k] = (int)a->nb.len;
			a->count[k] = 0;
		}
		if (a->nb.len == a->capex) {
			size_t n = a->capex ? a->capex * 2 : 256;
			char *x = realloc(a->ex, n);
			if (!x) {
				rc = -1;
				break;
			}
			a->ex = x;
			a->capex = n;
		}
		a->ex[a->nb.len] = (char)sqlite3_column_int(st, 2);
		if (cat_strv_push(&a->nb, v)) {
			rc = -1;
			break;
		}
		a->count[k]++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	else if (rc)
		rc = cat_err(errmsg, "out of memory");
	sqlite3_finalize(st);
	if (!c->in_tx)
		sqlite3_exec(c->db, "PRAGMA mmap_size=0", NULL, NULL, NULL);
	return rc;
}

/* Breadth-first walk from REF along dependsOn (REVERSE: against it), at
 * most MAX_DEPTH levels (0: unlimited).  Unlimited walks read all the
 * edges they need with one recursive query first; limited ones ask per
 * node (they stop early, and a recursive query cannot). */
static int bfs(struct cat_db *c, const char *ref, bool reverse, int max_depth,
               struct walk *w, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	struct adj a = { 0 };
	if (max_depth <= 0) {
		if (adj_load(c, ref, reverse, &a, errmsg)) {
			adj_free(&a);
			return -1;
		}
	} else if (sqlite3_prepare_v2(c->db, reverse ? sql_rev : sql_fwd, -1, &st, NULL)
	           != SQLITE_OK)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	int rc = add_node(w, ref, 0, -1) < 0 ? -1 : 0;
	for (size_t head = 0; rc == 0 && head < w->refs.len; head++) {
		int d = w->depth[head];
		int k = -1, n = 0;
		if (st) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, w->refs.v[head], -1, SQLITE_TRANSIENT);
		} else if ((k = cat_set_get(&a.node, w->refs.v[head])) < 0) {
			continue;
		}
		for (;;) {
			const char *next;
			int ex;
			if (st) {
				if (sqlite3_step(st) != SQLITE_ROW)
					break;
				next = (const char *)sqlite3_column_text(st, 0);
				ex = sqlite3_column_int(st, 1);
			} else {
				if (n >= a.count[k])
					break;
				next = a.nb.v[a.first[k] + n];
				ex = a.ex[a.first[k] + n];
				n++;
			}
			int j = cat_set_get(&w->index, next);
			if (max_depth > 0 && d >= max_depth) {
				if (j < 0)
					w->truncated = true;
				continue;
			}
			if (j < 0 && (j = add_node(w, next, d + 1, (int)head)) < 0)
				rc = -1;
			else if (j >= 0)
				w->exists[j] = (char)ex;
			if (rc == 0 && add_edge(w, (int)head, j))
				rc = -1;
			if (rc)
				break;
		}
	}
	sqlite3_finalize(st);
	adj_free(&a);
	return rc ? cat_err(errmsg, "out of memory") : 0;
}

/* Depth-first search over the walk's edges; every edge back to a node on
 * the stack closes a cycle, appended to CYCLES as a list of refs (in
 * dependsOn order, first ref repeated at the end). */
static int find_cycles(struct walk *w, bool reverse, json_t *cycles)
{
	size_t n = w->refs.len;
	int *start = calloc(n + 1, sizeof *start), *adj = malloc((w->nedges + 1) * sizeof *adj);
	int *color = calloc(n, sizeof *color), *stack = malloc((n + 1) * sizeof *stack);
	int *pos = calloc(n, sizeof *pos);   /* next edge to look at, per node */
	int rc = -1;
	if (!start || !adj || !color || !stack || !pos)
		goto done;
	for (size_t e = 0; e < w->nedges; e++)
		start[w->eu[e] + 1]++;
	for (size_t i = 0; i < n; i++)
		start[i + 1] += start[i];
	for (size_t e = 0, *fill = NULL; e < w->nedges; e++) {
		(void)fill;
		adj[start[w->eu[e]] + pos[w->eu[e]]++] = w->ev[e];
	}
	memset(pos, 0, n * sizeof *pos);
	for (size_t root = 0; root < n; root++) {
		if (color[root])
			continue;
		int sp = 0;
		stack[sp++] = (int)root;
		color[root] = 1;
		while (sp > 0) {
			int u = stack[sp - 1];
			if (start[u] + pos[u] >= start[u + 1]) {
				color[u] = 2;
				sp--;
				continue;
			}
			int v = adj[start[u] + pos[u]++];
			if (color[v] == 0) {
				color[v] = 1;
				stack[sp++] = v;
			} else if (color[v] == 1 && json_array_size(cycles) < MAX_CYCLES) {
				json_t *cyc = json_array();
				int k = sp - 1;
				while (k > 0 && stack[k] != v)
					k--;
				for (int i = k; i < sp; i++)
					json_array_append_new(cyc, json_string(w->refs.v[stack[i]]));
				json_array_append_new(cyc, json_string(w->refs.v[v]));
				if (reverse) {   /* list cycles in dependsOn direction */
					json_t *r = json_array();
					for (size_t i = json_array_size(cyc); i-- > 0;)
						json_array_append(r, json_array_get(cyc, i));
					json_decref(cyc);
					cyc = r;
				}
				json_array_append_new(cycles, cyc);
			}
		}
	}
	rc = 0;
done:
	free(start), free(adj), free(color), free(stack), free(pos);
	return rc;
}

json_t *cat_deps(struct cat_db *c, const char *ref, bool reverse, bool transitive,
                 int max_depth, char **errmsg)
{
	struct walk w = { 0 };
	json_t *items = json_array(), *cycles = json_array(), *out = NULL;
	if (!transitive)
		max_depth = 1;
	if (!items || !cycles || bfs(c, ref, reverse, max_depth, &w, errmsg))
		goto done;
	for (size_t i = 1; i < w.refs.len; i++)
		json_array_append_new(items, json_pack("{s:s, s:i, s:s?, s:b}", "ref", w.refs.v[i],
			"depth", w.depth[i], "via", w.via[i] > 0 ? w.refs.v[w.via[i]] : NULL,
			"exists", w.exists[i] >= 0 ? w.exists[i] != 0 : cat_exists(c, w.refs.v[i])));
	if (transitive && find_cycles(&w, reverse, cycles)) {
		cat_err(errmsg, "out of memory");
		goto done;
	}
	out = json_pack("{sssOsOsb}", "ref", ref, "items", items, "cycles", cycles,
	                "truncated", w.truncated);
done:
	json_decref(items);
	json_decref(cycles);
	walk_free(&w);
	return out;
}

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
		rc = bfs(c, ref, false, max_depth, &down, errmsg) ||
		     bfs(c, ref, true, max_depth, &up, errmsg) ? -1 : 0;
		for (size_t i = 0; rc == 0 && i < down.refs.len; i++)
			if (add_node(w, down.refs.v[i], 0, -1) < 0)
				rc = -1;
		for (size_t i = 1; rc == 0 && i < up.refs.len; i++)
			if (cat_set_get(&w->index, up.refs.v[i]) < 0 && add_node(w, up.refs.v[i], 0, -1) < 0)
				rc = -1;
		walk_free(&down), walk_free(&up);
		if (rc)
			return rc;
		rc = sqlite3_prepare_v2(c->db, sql_fwd, -1, &st, NULL);
		for (size_t i = 0; rc == SQLITE_OK && i < w->refs.len; i++) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, w->refs.v[i], -1, SQLITE_TRANSIENT);
			while (sqlite3_step(st) == SQLITE_ROW) {
				int j = cat_set_get(&w->index, (const char *)sqlite3_column_text(st, 0));
				if (j >= 0 && add_edge(w, (int)i, j) == 0)
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
				u = add_node(w, s, 0, -1);
			if ((v = cat_set_get(&w->index, t)) < 0)
				v = add_node(w, t, 0, -1);
			if (u < 0 || v < 0 || add_edge(w, u, v)) {
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
