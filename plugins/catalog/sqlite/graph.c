/*
 * graph.c -- walking the dependsOn graph: deps, rdeps (impact analysis)
 * and cycle reports (the drawings are graph_draw.c).
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

#include "graph.h"

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
const char *const walk_sql_fwd = SQL_ONE("source", "target", "1");
static const char *const sql_rev = SQL_ONE("target", "source", "0");

void walk_free(struct walk *w)
{
	cat_strv_free(&w->refs);
	cat_set_free(&w->index);
	free(w->depth), free(w->via), free(w->exists), free(w->eu), free(w->ev);
}

/* Make room for one more node; 0 or -1. */
static int add_node_slot(struct walk *w)
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
	return 0;
}

int walk_add_node(struct walk *w, const char *ref, int depth, int via)
{
	int i = (int)w->refs.len;
	if (add_node_slot(w) || cat_strv_push(&w->refs, ref) || cat_set_put(&w->index, ref, i))
		return -1;
	w->depth[i] = depth;
	w->via[i] = via;
	w->exists[i] = -1;
	return i;
}

int walk_add_edge(struct walk *w, int u, int v)
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
 * the recursive CTE collects the reachable set, each node once (UNION).
 * The statement lists every node's ref (kind 0: id, ref), then every
 * dependsOn edge out of the set by id with whether the neighbour exists
 * (kind 1: from, to, exists); a pair declared by both its ends comes
 * twice.  Grouping and sorting by ref are left to adj_load: ids join and
 * sort faster than text.  CROSS JOIN keeps the reachable set the outer
 * loop: left to itself the planner may scan every edge and probe it. */
#define SQL_ALL(from, to, by) \
	"WITH RECURSIVE r(id) AS (SELECT id FROM catalog_refs WHERE ref = ?1" \
	" UNION SELECT x." to " FROM catalog_edges x JOIN r ON x." from " = r.id" \
	" WHERE x.type = " CAT_REL_DEPENDSON ")" \
	" SELECT 0, r.id, n.ref, 0 FROM r JOIN catalog_refs n ON n.id = r.id UNION ALL" \
	" SELECT 1, x." from ", x." to ", CASE WHEN x.by_target = " by " THEN 1 ELSE EXISTS" \
	" (SELECT 1 FROM catalog_entities e WHERE e.id = x." to ") END" \
	" FROM r CROSS JOIN catalog_edges x ON x." from " = r.id AND x.type = " CAT_REL_DEPENDSON
static const char *const sql_fwd_all = SQL_ALL("source", "target", "1");
static const char *const sql_rev_all = SQL_ALL("target", "source", "0");

/* A node's id and ref. */
struct id_ref {
	sqlite3_int64 id;
	char         *ref;
};

/* One edge as read (ids), then as node indexes. */
struct edge_row {
	sqlite3_int64 from, to;
	int           u, v;
	char          ex;
};

/* The reachable set read in one go: nodes are indexes into NAMES (sorted
 * by id); node K's neighbours are NB[FIRST[K]..FIRST[K + 1]) (each once,
 * sorted by ref, as a per-node query lists them) with existence EX. */
struct adj {
	struct id_ref *names;
	size_t         nnames;
	int           *first, *nb;
	char          *ex;
};

static void adj_free(struct adj *a)
{
	for (size_t i = 0; i < a->nnames; i++)
		free(a->names[i].ref);
	free(a->names), free(a->first), free(a->nb), free(a->ex);
}

static int by_id(const void *x, const void *y)
{
	const struct id_ref *a = x, *b = y;
	return (a->id > b->id) - (a->id < b->id);
}

/* qsort_r order of edges: by node, then by the neighbour's ref in NAMES. */
static int by_node_then_ref(const void *x, const void *y, void *names)
{
	const struct edge_row *a = x, *b = y;
	const struct id_ref *n = names;
	if (a->u != b->u)
		return (a->u > b->u) - (a->u < b->u);
	return strcmp(n[a->v].ref, n[b->v].ref);
}

/* The index of node ID in A's names, or -1. */
static int node_of(const struct adj *a, sqlite3_int64 id)
{
	struct id_ref key = { id, NULL }, *hit;
	hit = bsearch(&key, a->names, a->nnames, sizeof *a->names, by_id);
	return hit ? (int)(hit - a->names) : -1;
}

/* Read the reachable set of REF and its edges into A. */
static int adj_load(struct cat_db *c, const char *ref, bool reverse, struct adj *a,
                    char **errmsg)
{
	sqlite3_stmt *st;
	struct edge_row *rows = NULL;
	size_t n = 0, cap = 0, capnames = 0;
	int rc = 0, step = SQLITE_DONE;
	bool oom = false;
	if (sqlite3_prepare_v2(c->db, reverse ? sql_rev_all : sql_fwd_all, -1, &st, NULL)
	    != SQLITE_OK)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	while (!oom && (step = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 u = sqlite3_column_int64(st, 1);
		if (sqlite3_column_int(st, 0) == 0) {
			if (a->nnames == capnames) {
				capnames = capnames ? 2 * capnames : 256;
				struct id_ref *x = realloc(a->names, capnames * sizeof *x);
				if (!(oom = !x))
					a->names = x;
			}
			if (!oom && !(a->names[a->nnames].ref =
			              strdup((const char *)sqlite3_column_text(st, 2))))
				oom = true;
			if (!oom)
				a->names[a->nnames++].id = u;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			struct edge_row *x = realloc(rows, cap * sizeof *x);
			if (!(oom = !x))
				rows = x;
		}
		if (!oom)
			rows[n++] = (struct edge_row){ .from = u, .to = sqlite3_column_int64(st, 2),
			                               .ex = (char)sqlite3_column_int(st, 3) };
	}
	if (!oom && step != SQLITE_DONE)
		rc = cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	a->first = calloc(a->nnames + 1, sizeof *a->first);
	a->nb = malloc((n + 1) * sizeof *a->nb);
	a->ex = malloc(n + 1);
	oom = oom || !a->first || !a->nb || !a->ex;
	if (rc || oom) {
		free(rows);
		return oom ? cat_err(errmsg, "out of memory") : rc;
	}
	if (a->nnames > 1)   /* (qsort must not see NULL, even for 0 items) */
		qsort(a->names, a->nnames, sizeof *a->names, by_id);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {   /* both ends are in the set */
		rows[m] = rows[i];
		rows[m].u = node_of(a, rows[i].from);
		rows[m].v = node_of(a, rows[i].to);
		m += rows[m].u >= 0 && rows[m].v >= 0;
	}
	if (m > 1)
		qsort_r(rows, m, sizeof *rows, by_node_then_ref, a->names);
	size_t len = 0;
	for (size_t i = 0; i < m; i++) {
		if (i > 0 && rows[i].u == rows[i - 1].u && rows[i].v == rows[i - 1].v) {
			a->ex[len - 1] |= rows[i].ex;   /* the same pair again */
			continue;
		}
		a->first[rows[i].u + 1]++;
		a->nb[len] = rows[i].v;
		a->ex[len++] = rows[i].ex;
	}
	for (size_t k = 0; k < a->nnames; k++)
		a->first[k + 1] += a->first[k];
	free(rows);
	return 0;
}

/* Append node K of A to W (its ref handed over, not copied). */
static int take_node(struct walk *w, struct adj *a, int k, int depth, int via)
{
	if (add_node_slot(w) < 0)
		return -1;
	char *ref = a->names[k].ref;
	a->names[k].ref = NULL;
	if (cat_strv_take(&w->refs, ref))   /* frees REF if it fails */
		return -1;
	int i = (int)w->refs.len - 1;
	w->depth[i] = depth;
	w->via[i] = via;
	w->exists[i] = -1;
	return i;
}

/* Breadth-first walk of everything reachable from REF: one recursive
 * query reads it all, then the walk runs over node indexes.  W's index
 * (ref -> node) is not filled. */
static int bfs_all(struct cat_db *c, const char *ref, bool reverse, struct walk *w,
                   char **errmsg)
{
	struct adj a = { 0 };
	int rc = 0, root = -1, *pos = NULL, *node = NULL;
	if (adj_load(c, ref, reverse, &a, errmsg)) {
		adj_free(&a);
		return -1;
	}
	for (size_t k = 0; k < a.nnames && root < 0; k++)
		if (strcmp(a.names[k].ref, ref) == 0)
			root = (int)k;
	if (root < 0) {   /* not a known ref: nothing reachable */
		adj_free(&a);
		return walk_add_node(w, ref, 0, -1) < 0 ? cat_err(errmsg, "out of memory") : 0;
	}
	pos = malloc(a.nnames * sizeof *pos);     /* node -> walk index */
	node = malloc(a.nnames * sizeof *node);   /* walk index -> node */
	if (!pos || !node || take_node(w, &a, root, 0, -1) < 0)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < a.nnames; k++)
		pos[k] = -1;
	if (rc == 0) {
		pos[root] = 0;
		node[0] = root;
	}
	for (size_t head = 0; rc == 0 && head < w->refs.len; head++) {
		int k = node[head];
		for (int e = a.first[k]; rc == 0 && e < a.first[k + 1]; e++) {
			int v = a.nb[e], j = pos[v];
			if (j < 0 && (j = take_node(w, &a, v, w->depth[head] + 1, (int)head)) >= 0) {
				pos[v] = j;
				node[j] = v;
			}
			if (j < 0 || walk_add_edge(w, (int)head, j))
				rc = -1;
			else
				w->exists[j] = a.ex[e];
		}
	}
	free(pos), free(node);
	adj_free(&a);
	return rc ? cat_err(errmsg, "out of memory") : 0;
}

/* walk_bfs: a limited walk asks per node (it stops early, and a recursive
 * query cannot); an unlimited one is bfs_all. */
int walk_bfs(struct cat_db *c, const char *ref, bool reverse, int max_depth,
               struct walk *w, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	if (max_depth <= 0)
		return bfs_all(c, ref, reverse, w, errmsg);
	if (sqlite3_prepare_v2(c->db, reverse ? sql_rev : walk_sql_fwd, -1, &st, NULL) != SQLITE_OK)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	int rc = walk_add_node(w, ref, 0, -1) < 0 ? -1 : 0;
	for (size_t head = 0; rc == 0 && head < w->refs.len; head++) {
		int d = w->depth[head];
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, w->refs.v[head], -1, SQLITE_TRANSIENT);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			const char *next = (const char *)sqlite3_column_text(st, 0);
			int j = cat_set_get(&w->index, next);
			if (d >= max_depth) {
				if (j < 0)
					w->truncated = true;
				continue;
			}
			if (j < 0 && (j = walk_add_node(w, next, d + 1, (int)head)) < 0)
				rc = -1;
			else
				w->exists[j] = (char)sqlite3_column_int(st, 1);
			if (rc == 0 && walk_add_edge(w, (int)head, j))
				rc = -1;
		}
	}
	sqlite3_finalize(st);
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

int cat_deps_each(struct cat_db *c, const char *ref, bool reverse, bool transitive,
                  int max_depth, cat_dep_fn fn, void *ud, json_t **cycles, bool *truncated,
                  char **errmsg)
{
	struct walk w = { 0 };
	int rc = -1;
	if (cycles && !(*cycles = json_array()))
		return cat_err(errmsg, "out of memory");
	if (!transitive)
		max_depth = 1;
	if (walk_bfs(c, ref, reverse, max_depth, &w, errmsg))
		goto done;
	for (size_t i = 1; i < w.refs.len; i++)
		if (fn(w.refs.v[i], w.depth[i], w.via[i] > 0 ? w.refs.v[w.via[i]] : NULL,
		       w.exists[i] >= 0 ? w.exists[i] != 0 : cat_exists(c, w.refs.v[i]), ud)) {
			cat_err(errmsg, "out of memory");
			goto done;
		}
	if (cycles && transitive && find_cycles(&w, reverse, *cycles)) {
		cat_err(errmsg, "out of memory");
		goto done;
	}
	if (truncated)
		*truncated = w.truncated;
	rc = 0;
done:
	if (rc && cycles) {
		json_decref(*cycles);
		*cycles = NULL;
	}
	walk_free(&w);
	return rc;
}

/* cat_deps_each callback of cat_deps: one item object.  Thousands of
 * them: fields are set directly (json_pack parses its format and checks
 * UTF-8 each time; these refs come from the database, checked). */
static int item_json(const char *ref, int depth, const char *via, bool exists, void *items)
{
	json_t *it = json_object();
	if (!it)
		return -1;
	json_object_set_new_nocheck(it, "ref", json_string_nocheck(ref));
	json_object_set_new_nocheck(it, "depth", json_integer(depth));
	if (via)
		json_object_set_new_nocheck(it, "via", json_string_nocheck(via));
	json_object_set_new_nocheck(it, "exists", json_boolean(exists));
	return json_array_append_new(items, it);
}

json_t *cat_deps(struct cat_db *c, const char *ref, bool reverse, bool transitive,
                 int max_depth, char **errmsg)
{
	json_t *items = json_array(), *cycles = NULL;
	bool truncated = false;
	if (!items) {
		cat_err(errmsg, "out of memory");
		return NULL;
	}
	if (cat_deps_each(c, ref, reverse, transitive, max_depth, item_json, items, &cycles,
	                  &truncated, errmsg)) {
		json_decref(items);
		return NULL;
	}
	return json_pack("{sssososo}", "ref", ref, "items", items, "cycles", cycles ? cycles
	                 : json_array(), "truncated", json_boolean(truncated));
}
