/*
 * search.c -- an entity as Backstage's catalog API serves it, and its
 * search rows as Backstage's buildEntitySearch makes them.
 *
 * Rows (plugin-catalog-backend src/database/operations/stitcher/
 * buildEntitySearch.ts): every scalar at a dotted path is a row KEY=VALUE;
 * arrays are descended into under the same key, and a string item S of an
 * array at KEY is also the row KEY.S=true; attachments, relations, status
 * and metadata.{name,namespace,uid,etag} are skipped in the walk, then
 * metadata.name, metadata.namespace and metadata.uid are added, and one row
 * relations.TYPE=TARGETREF per relation.  Keys and values are lower-cased
 * (ASCII: Backstage lower-cases with the en-US locale, which differs only
 * for letters beyond ASCII); a key longer than 200 characters is dropped, a
 * value longer than 200 characters is kept as null (the key still exists).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "portal.h"

uint32_t po_intern(struct po_index *ix, const char *s);

#define MAX_KEY 200
#define MAX_VALUE 200

struct rows {
	struct po_index *ix;
	struct po_row   *v;
	uint32_t         n, cap;
};

/* Lower-case S (at most 200 bytes) into D. */
static void lower_into(char *d, const char *s)
{
	while (*s) {
		unsigned char c = (unsigned char)*s++;
		*d++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	*d = '\0';
}

/* Append the row KEY=VALUE (VALUE NULL: a null value). */
static void add_row(struct rows *r, const char *key, const char *value)
{
	if (strlen(key) > MAX_KEY)
		return;
	if (r->n == r->cap) {
		uint32_t nc = r->cap ? r->cap * 2 : 32;
		struct po_row *g = realloc(r->v, nc * sizeof *g);
		if (!g)
			return;
		r->v = g, r->cap = nc;
	}
	char low[MAX_KEY + 1];
	lower_into(low, key);
	struct po_row row = { po_intern(r->ix, low), 0, 0 };
	if (value && strlen(value) <= MAX_VALUE) {
		lower_into(low, value);
		row.val = po_intern(r->ix, low);
		row.orig = strcmp(low, value) == 0 ? row.val : po_intern(r->ix, value);
	}
	r->v[r->n++] = row;
}

/* JavaScript's String(V) for a scalar into BUF; NULL for null. */
static const char *scalar_text(json_t *v, char *buf, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return json_string_value(v);
	case JSON_TRUE:   return "true";
	case JSON_FALSE:  return "false";
	case JSON_INTEGER:
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	case JSON_REAL: {
		double d = json_real_value(v);
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		return buf;
	}
	default: return NULL;
	}
}

static bool special(const char *path)
{
	static const char *const keys[] = { "attachments", "relations", "status", "metadata.name",
	                                    "metadata.namespace", "metadata.uid", "metadata.etag",
	                                    NULL };
	for (int i = 0; keys[i]; i++)
		if (strcmp(path, keys[i]) == 0)
			return true;
	return false;
}

/* Backstage's traverse(): visit V at PATH. */
static void visit(struct rows *r, const char *path, json_t *v)
{
	char buf[64];
	if (special(path))
		return;
	if (!v || json_is_null(v) || !(json_is_object(v) || json_is_array(v))) {
		add_row(r, path, v ? scalar_text(v, buf, sizeof buf) : NULL);
		return;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			visit(r, path, item);
			if (json_is_string(item)) {
				char *k = pc_printf("%s.%s", path, json_string_value(item));
				if (k)
					add_row(r, k, "true");
				free(k);
			}
		}
		return;
	}
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		char *p = *path ? pc_printf("%s.%s", path, k) : strdup(k);
		if (p)
			visit(r, p, x);
		free(p);
	}
}

struct po_row *po_search_rows(struct po_index *ix, json_t *entity, uint32_t *n)
{
	struct rows r = { ix, NULL, 0, 0 };
	visit(&r, "", entity);
	json_t *md = json_object_get(entity, "metadata");
	const char *keys[] = { "name", "namespace", "uid" };
	for (int i = 0; i < 3; i++) {
		char full[32];
		snprintf(full, sizeof full, "metadata.%s", keys[i]);
		add_row(&r, full, json_string_value(json_object_get(md, keys[i])));
	}
	size_t i;
	json_t *rel;
	json_array_foreach(json_object_get(entity, "relations"), i, rel) {
		const char *type = json_string_value(json_object_get(rel, "type"));
		const char *target = json_string_value(json_object_get(rel, "targetRef"));
		char *k = type ? pc_printf("%s.%s", "relations", type) : NULL;
		if (k && target)
			add_row(&r, k, target);
		free(k);
	}
	*n = r.n;
	return r.v;
}

char *po_ref_of(const char *kind, const char *ns, const char *name)
{
	if (!kind || !name || !*kind || !*name)
		return NULL;
	size_t n = strlen(kind) + strlen(ns ? ns : "default") + strlen(name) + 3;
	char *s = malloc(n);
	if (!s)
		return NULL;
	snprintf(s, n, "%s:%s/%s", kind, ns && *ns ? ns : "default", name);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* "kind:ns/name" split into a {kind, namespace, name} object (new). */
static json_t *ref_parts(const char *ref)
{
	const char *colon = strchr(ref, ':'), *slash = colon ? strchr(colon, '/') : NULL;
	if (!colon || !slash)
		return json_null();
	return json_pack("{s:s%, s:s%, s:s}", "kind", ref, (size_t)(colon - ref), "namespace",
	                 colon + 1, (size_t)(slash - colon - 1), "name", slash + 1);
}

json_t *po_served_entity(json_t *entity, json_t *relations, const char *ref)
{
	json_t *e = json_deep_copy(entity);
	json_t *md = json_object_get(e, "metadata");
	if (!json_is_object(md)) {
		json_decref(e);
		return NULL;
	}
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	if (!ns || !*ns)
		json_object_set_new(md, "namespace", json_string("default"));
	/* a stable uid from the ref, shaped as a UUID; the etag from the content */
	char h[65], uid[40];
	po_sha256_hex(ref, strlen(ref), h);
	snprintf(uid, sizeof uid, "%.8s-%.4s-4%.3s-8%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
	json_object_set_new(md, "uid", json_string(uid));
	char *text = json_dumps(entity, JSON_COMPACT);
	if (text) {
		po_sha256_hex(text, strlen(text), h);
		h[40] = '\0';
		json_object_set_new(md, "etag", json_string(h));
		free(text);
	}
	json_t *rels = json_array(), *rel;
	size_t i;
	json_array_foreach(relations, i, rel) {
		const char *type = json_string_value(json_object_get(rel, "type"));
		const char *target = json_string_value(json_object_get(rel, "targetRef"));
		if (type && target)
			json_array_append_new(rels, json_pack("{ss ss so}", "type", type, "targetRef",
			                                      target, "target", ref_parts(target)));
	}
	json_object_set_new(e, "relations", rels);
	return e;
}
