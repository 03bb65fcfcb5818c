/*
 * index.c -- the portal's in-memory index of the catalog.
 *
 * The catalog plugin owns the entities; the portal keeps, for the API and
 * the pages, each entity in the form Backstage serves it (with uid, etag and
 * relations) and its search rows as Backstage's buildEntitySearch makes
 * them.  Strings are interned (one id per distinct string); for every
 * (key, value) pair and every key there is a posting list: the ascending
 * ids of the entities that have it.  A filter is then a few lookups, unions
 * and intersections of sorted integer arrays, whatever the catalog's size.
 *
 * The index is built once from catalog.export and catalog.relations, then
 * kept current entity by entity (po_index_refresh) as catalog events say
 * what changed (sync.c).  Ids are positions: an entity keeps its id when
 * it is replaced; a new one gets the next id; a deleted one stays as a
 * dead slot.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "portal.h"

/* Interned strings: open addressing over ids (0 = empty slot). */
struct strtab {
	char    **strs;       /* id -> string; strs[0] unused */
	uint32_t  n, cap;
	uint32_t *slots;      /* hash slots holding ids */
	uint32_t  nslots;
};

/* A posting list. */
struct post {
	uint64_t  key;        /* (key id << 32) | value id; value 0xffffffff: existence */
	uint32_t *ids;
	uint32_t  n, cap;
};

struct po_index {
	struct strtab  st;
	struct po_ent *ents;
	uint32_t       n, cap, live;
	struct post   *posts;     /* open addressing; key 0 = empty */
	uint32_t       npost, postcap;
	uint32_t      *refslots;  /* ref -> id + 1 (0 = empty) */
	uint32_t       refcap;
};

#define EXISTS 0xffffffffu

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* Find S: its id, or 0; *SLOT receives the slot it is or would be in. */
static uint32_t st_find(const struct strtab *t, const char *s, uint32_t *slot)
{
	if (!t->nslots)
		return 0;
	uint32_t mask = t->nslots - 1, i = (uint32_t)hash_str(s) & mask;
	for (;; i = (i + 1) & mask) {
		uint32_t id = t->slots[i];
		if (!id || strcmp(t->strs[id], s) == 0) {
			if (slot)
				*slot = i;
			return id;
		}
	}
}

/* Grow the slots to hold twice the strings. */
static bool st_grow(struct strtab *t)
{
	uint32_t ns = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = calloc(ns, sizeof *slots);
	if (!slots)
		return false;
	for (uint32_t id = 1; id < t->n; id++) {
		uint32_t i = (uint32_t)hash_str(t->strs[id]) & (ns - 1);
		while (slots[i])
			i = (i + 1) & (ns - 1);
		slots[i] = id;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = ns;
	return true;
}

/* The id of S, interned if new (0 when out of memory). */
static uint32_t st_intern(struct strtab *t, const char *s)
{
	if (!t->n)
		t->n = 1;
	if ((t->n + 1) * 2 > t->nslots && !st_grow(t))
		return 0;
	uint32_t slot, id = st_find(t, s, &slot);
	if (id)
		return id;
	if (t->n >= t->cap) {
		uint32_t nc = t->cap ? t->cap * 2 : 1024;
		char **g = realloc(t->strs, nc * sizeof *g);
		if (!g)
			return 0;
		t->strs = g, t->cap = nc;
	}
	char *copy = strdup(s);
	if (!copy)
		return 0;
	id = t->n++;
	t->strs[id] = copy;
	t->slots[slot] = id;
	return id;
}

uint32_t po_index_str_id(const struct po_index *ix, const char *s)
{
	return st_find(&ix->st, s, NULL);
}

const char *po_index_str(const struct po_index *ix, uint32_t id)
{
	return id && id < ix->st.n ? ix->st.strs[id] : NULL;
}

/* The posting list for KEY, or NULL; with CREATE, made when missing. */
static struct post *post_get(struct po_index *ix, uint64_t key, bool create)
{
	if (create && (ix->npost + 1) * 2 > ix->postcap) {
		uint32_t nc = ix->postcap ? ix->postcap * 2 : 4096;
		struct post *np = calloc(nc, sizeof *np);
		if (!np)
			return NULL;
		for (uint32_t i = 0; i < ix->postcap; i++) {
			if (!ix->posts[i].key)
				continue;
			uint32_t j = (uint32_t)hash_u64(ix->posts[i].key) & (nc - 1);
			while (np[j].key)
				j = (j + 1) & (nc - 1);
			np[j] = ix->posts[i];
		}
		free(ix->posts);
		ix->posts = np, ix->postcap = nc;
	}
	if (!ix->postcap)
		return NULL;
	uint32_t mask = ix->postcap - 1, i = (uint32_t)hash_u64(key) & mask;
	for (;; i = (i + 1) & mask) {
		if (ix->posts[i].key == key)
			return &ix->posts[i];
		if (!ix->posts[i].key) {
			if (!create)
				return NULL;
			ix->posts[i].key = key;
			ix->npost++;
			return &ix->posts[i];
		}
	}
}

uint32_t po_lower_bound(const uint32_t *ids, uint32_t n, uint32_t id)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add ID to list P, keeping it ascending and without duplicates. */
static void post_add(struct post *p, uint32_t id)
{
	if (p->n && p->ids[p->n - 1] == id)
		return;
	if (p->n == p->cap) {
		uint32_t nc = p->cap ? p->cap * 2 : 4;
		uint32_t *g = realloc(p->ids, nc * sizeof *g);
		if (!g)
			return;
		p->ids = g, p->cap = nc;
	}
	if (!p->n || p->ids[p->n - 1] < id) {
		p->ids[p->n++] = id;
		return;
	}
	uint32_t lo = po_lower_bound(p->ids, p->n, id);
	if (lo < p->n && p->ids[lo] == id)
		return;
	memmove(p->ids + lo + 1, p->ids + lo, (p->n - lo) * sizeof *p->ids);
	p->ids[lo] = id;
	p->n++;
}

static void post_del(struct post *p, uint32_t id)
{
	uint32_t lo = po_lower_bound(p->ids, p->n, id);
	if (lo < p->n && p->ids[lo] == id) {
		memmove(p->ids + lo, p->ids + lo + 1, (p->n - lo - 1) * sizeof *p->ids);
		p->n--;
	}
}

const uint32_t *po_index_posting(const struct po_index *ix, uint32_t key, uint32_t val,
                                 uint32_t *n)
{
	struct post *p = post_get((struct po_index *)ix,
	                          ((uint64_t)key << 32) | (val ? val : EXISTS), false);
	*n = p ? p->n : 0;
	return p ? p->ids : NULL;
}

/* Put ID's rows into (or, with DEL, take them out of) the posting lists. */
static void post_rows(struct po_index *ix, uint32_t id, bool del)
{
	struct po_ent *e = &ix->ents[id];
	for (uint32_t i = 0; i < e->nrows; i++) {
		uint64_t k = (uint64_t)e->rows[i].key << 32;
		uint64_t keys[2] = { k | EXISTS, e->rows[i].val ? k | e->rows[i].val : 0 };
		for (int j = 0; j < 2; j++) {
			if (!keys[j])
				continue;
			struct post *p = post_get(ix, keys[j], !del);
			if (p)
				del ? post_del(p, id) : post_add(p, id);
		}
	}
}

/* The slot of REF in the ref table (its value: id + 1, or 0). */
static uint32_t *ref_slot(struct po_index *ix, const char *ref)
{
	uint32_t mask = ix->refcap - 1, i = (uint32_t)hash_str(ref) & mask;
	for (;; i = (i + 1) & mask) {
		uint32_t v = ix->refslots[i];
		if (!v || strcmp(ix->ents[v - 1].ref, ref) == 0)
			return &ix->refslots[i];
	}
}

static bool ref_grow(struct po_index *ix)
{
	uint32_t nc = ix->refcap ? ix->refcap * 2 : 1024;
	uint32_t *g = calloc(nc, sizeof *g);
	if (!g)
		return false;
	free(ix->refslots);
	ix->refslots = g, ix->refcap = nc;
	for (uint32_t id = 0; id < ix->n; id++)
		*ref_slot(ix, ix->ents[id].ref) = id + 1;
	return true;
}

long po_index_find(const struct po_index *ix, const char *ref)
{
	if (!ix || !ix->refcap)
		return -1;
	uint32_t v = *ref_slot((struct po_index *)ix, ref);
	return v ? (long)v - 1 : -1;
}

uint32_t po_index_size(const struct po_index *ix) { return ix ? ix->n : 0; }
uint32_t po_index_live(const struct po_index *ix) { return ix ? ix->live : 0; }

const struct po_ent *po_index_ent(const struct po_index *ix, uint32_t id)
{
	return id < ix->n ? &ix->ents[id] : NULL;
}

uint32_t po_intern(struct po_index *ix, const char *s);
uint32_t po_intern(struct po_index *ix, const char *s)
{
	return st_intern(&ix->st, s);
}

/* Put entity SERVED (the served form, borrowed) at REF: replace the
 * entity with that ref or add one. */
static void index_put(struct po_index *ix, const char *ref, json_t *served)
{
	long id = po_index_find(ix, ref);
	char *json = json_dumps(served, JSON_COMPACT);
	if (!json)
		return;
	if (id < 0) {
		if (ix->n == ix->cap) {
			uint32_t nc = ix->cap ? ix->cap * 2 : 1024;
			struct po_ent *g = realloc(ix->ents, nc * sizeof *g);
			if (!g) {
				free(json);
				return;
			}
			ix->ents = g, ix->cap = nc;
		}
		if ((ix->n + 1) * 2 > ix->refcap && !ref_grow(ix)) {
			free(json);
			return;
		}
		id = ix->n++;
		memset(&ix->ents[id], 0, sizeof ix->ents[id]);
		ix->ents[id].ref = strdup(ref);
		*ref_slot(ix, ref) = (uint32_t)id + 1;
	} else {
		post_rows(ix, (uint32_t)id, true);
		free(ix->ents[id].json);
		free(ix->ents[id].rows);
		if (ix->ents[id].live)
			ix->live--;
	}
	struct po_ent *e = &ix->ents[id];
	e->json = json;
	e->json_len = strlen(json);
	e->rows = po_search_rows(ix, served, &e->nrows);
	e->live = true;
	ix->live++;
	post_rows(ix, (uint32_t)id, false);
}

/* Take REF out of the index (its slot stays, dead). */
static void index_del(struct po_index *ix, const char *ref)
{
	long id = po_index_find(ix, ref);
	if (id < 0 || !ix->ents[id].live)
		return;
	post_rows(ix, (uint32_t)id, true);
	struct po_ent *e = &ix->ents[id];
	free(e->json), free(e->rows);
	e->json = NULL, e->rows = NULL, e->nrows = 0, e->json_len = 0;
	e->live = false;
	ix->live--;
}

/* The lower-case canonical ref of a stored entity. */
static char *entity_ref(json_t *e)
{
	json_t *md = json_object_get(e, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	return po_ref_of(json_string_value(json_object_get(e, "kind")), ns && *ns ? ns : "default",
	                 json_string_value(json_object_get(md, "name")));
}

static long long t_rel, t_put;

/* Add ENTITY (borrowed, as the catalog stores it) with its relations: those
 * it carries (catalog.export with relations: true), else catalog.relations. */
static void index_add_stored(paved_ctx *ctx, paved_hook *relations, struct po_index *ix,
                             json_t *entity)
{
	char *ref = entity_ref(entity);
	if (!ref)
		return;
	long long t0 = po_now_ms();
	json_t *rels = json_incref(json_object_get(entity, "relations"));
	if (!json_is_array(rels)) {
		json_decref(rels);
		rels = NULL;
		json_t *a = json_pack("{ss}", "ref", ref);
		if (paved->call_hook(ctx, relations, a, &rels, NULL) != PAVED_OK) {
			json_decref(rels);
			rels = NULL;
		}
		json_decref(a);
	} else {
		json_object_del(entity, "relations");
	}
	long long t1 = po_now_ms();
	json_t *served = po_served_entity(entity, rels, ref);
	if (served)
		index_put(ix, ref, served);
	t_rel += t1 - t0, t_put += po_now_ms() - t1;
	json_decref(served);
	json_decref(rels);
	free(ref);
}

struct po_index *po_index_build(paved_ctx *ctx, char **errmsg)
{
	struct po_index *ix = calloc(1, sizeof *ix);
	json_t *all = NULL;
	char *err = NULL;
	if (!ix) {
		paved->error(errmsg, "out of memory");
		return NULL;
	}
	long long t0 = po_now_ms();
	json_t *a = json_pack("{sb}", "relations", 1);
	int rc = paved->call(ctx, "catalog.export", a, &all, &err);
	json_decref(a);
	if (rc == PAVED_NOHOOK) {
		paved->log(ctx, PAVED_LOG_WARN, "no catalog plugin: the catalog API serves nothing");
	} else if (rc != PAVED_OK) {
		paved->error(errmsg, "cannot read the catalog: %s", err ? err : "catalog.export failed");
		free(err);
		json_decref(all);
		po_index_free(ix);
		return NULL;
	}
	free(err);
	size_t i;
	json_t *e;
	paved_hook *rel = paved->resolve(ctx, "catalog.relations");
	long long t1 = po_now_ms();
	t_rel = t_put = 0;
	json_array_foreach(all, i, e)
		index_add_stored(ctx, rel, ix, e);
	paved->log(ctx, PAVED_LOG_INFO, "index: %zu entities: catalog.export %lld ms, relations "
	           "%lld ms, rows %lld ms", json_array_size(all), t1 - t0, t_rel, t_put);
	json_decref(all);
	return ix;
}

void po_index_refresh(paved_ctx *ctx, struct po_index *ix, const char *ref)
{
	json_t *a = json_pack("{ss}", "ref", ref), *got = NULL;
	int rc = paved->call(ctx, "catalog.get", a, &got, NULL);
	json_decref(a);
	if (rc != PAVED_OK || !json_is_object(got)) {
		index_del(ix, ref);
		json_decref(got);
		return;
	}
	/* catalog.get resolves bare names: only the entity named exactly */
	char *real = entity_ref(got);
	if (real && strcmp(real, ref) == 0) {
		json_t *rels = json_incref(json_object_get(got, "relations"));
		json_object_del(got, "relations");
		json_t *served = po_served_entity(got, rels, ref);
		if (served)
			index_put(ix, ref, served);
		json_decref(served);
		json_decref(rels);
	} else {
		index_del(ix, ref);
	}
	free(real);
	json_decref(got);
}

void po_index_free(struct po_index *ix)
{
	if (!ix)
		return;
	for (uint32_t i = 0; i < ix->n; i++)
		free(ix->ents[i].ref), free(ix->ents[i].json), free(ix->ents[i].rows);
	free(ix->ents);
	for (uint32_t i = 0; i < ix->postcap; i++)
		free(ix->posts[i].ids);
	free(ix->posts);
	for (uint32_t i = 1; i < ix->st.n; i++)
		free(ix->st.strs[i]);
	free(ix->st.strs);
	free(ix->st.slots);
	free(ix->refslots);
	free(ix);
}
