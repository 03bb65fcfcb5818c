/*
 * graph.h -- the dependsOn walk (graph.c) that deps, rdeps, check and the
 * drawings (graph_draw.c) share.  Internal prefix: walk_.
 */
#ifndef CATALOG_GRAPH_H
#define CATALOG_GRAPH_H

#include "catalog.h"

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

void walk_free(struct walk *w);
/* Add node REF at DEPTH reached from VIA; returns its index or -1. */
int walk_add_node(struct walk *w, const char *ref, int depth, int via);
/* Add the edge U -> V; 0 or -1 (out of memory). */
int walk_add_edge(struct walk *w, int u, int v);
/* Breadth-first walk from REF along dependsOn (REVERSE: against it), at
 * most MAX_DEPTH levels (0: unlimited), into W.  0, or -1 with *errmsg. */
int walk_bfs(struct cat_db *c, const char *ref, bool reverse, int max_depth,
             struct walk *w, char **errmsg);
/* The direct dependsOn neighbours of ?1, each once, sorted by ref, with
 * whether it exists (SQL text). */
extern const char *const walk_sql_fwd;

#endif
