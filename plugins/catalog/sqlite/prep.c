/*
 * prep.c -- an entity made ready to store: everything its rows need that
 * can be computed from its JSON alone (ref and its parts, resolved owner
 * and system, cost, the compact JSON text, the full-text fields, tags,
 * relations).
 *
 * No SQL and no shared state, so an import's reader thread prepares the
 * next entities while the writer stores this one.  Every string lives in
 * one buffer: the writer reads a few consecutive cache lines per entity
 * instead of chasing the JSON tree another core built.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* A growing buffer of NUL-terminated strings, addressed by offset while
 * it may still move. */
struct pool {
	char  *buf;
	size_t len, cap;
	bool   oom;
};
#define NONE SIZE_MAX   /* offset of a NULL string */

/* Append N bytes of S and a NUL; the offset, or NONE for a NULL S. */
static size_t putn(struct pool *p, const char *s, size_t n)
{
	if (!s)
		return NONE;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 512;
		while (cap < p->len + n + 1)
			cap *= 2;
		char *b = realloc(p->buf, cap);
		if (!b) {
			p->oom = true;
			return NONE;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->buf[p->len + n] = '\0';
	p->len += n + 1;
	return p->len - n - 1;
}

static size_t put(struct pool *p, const char *s)
{
	return s ? putn(p, s, strlen(s)) : NONE;
}

/* Append S and free it (S malloc()ed or NULL). */
static size_t put_owned(struct pool *p, char *s)
{
	size_t off = put(p, s);
	free(s);
	return off;
}

/* S, or "" for NULL. */
static const char *orempty(const char *s)
{
	return s ? s : "";
}

/* Resolve spec field FIELD of E to a canonical ref (default kind DEF). */
static char *field_ref(json_t *e, const char *field, const char *def)
{
	const char *v = cat_get_str(e, field);
	return v ? cat_ref_canon(v, def, cat_get_str(e, "metadata.namespace"), NULL) : NULL;
}

/* Relations as they are found, before the pool is final. */
struct rels {
	struct pool *pool;
	size_t      *off;      /* source, target offsets, in pairs */
	int         *type;
	size_t       len, cap;
};

/* cat_relations_each callback: the relation's ends into the pool. */
static int add_rel(const char *source, int type, const char *target, void *ud)
{
	struct rels *r = ud;
	if (r->len == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		size_t *off = realloc(r->off, 2 * cap * sizeof *off);
		if (off)
			r->off = off;
		int *t = realloc(r->type, cap * sizeof *t);
		if (t)
			r->type = t;
		if (!off || !t)
			return -1;
		r->cap = cap;
	}
	r->off[2 * r->len] = put(r->pool, source);
	r->off[2 * r->len + 1] = put(r->pool, target);
	r->type[r->len++] = type;
	return r->pool->oom ? -1 : 0;
}

/* The strings of array TAGS, space-joined, malloc()ed. */
static char *joined(json_t *tags)
{
	json_t *t;
	size_t i, n = 1;
	json_array_foreach(tags, i, t)
		n += strlen(orempty(json_string_value(t))) + 1;
	char *s = calloc(1, n), *end = s;
	json_array_foreach(tags, i, t) {
		if (!s)
			break;
		end = stpcpy(stpcpy(end, i ? " " : ""), orempty(json_string_value(t)));
	}
	return s;
}

/* Offsets of the fields while the pool grows; pointers once done. */
enum {
	F_REF, F_KIND, F_NS, F_NAME, F_OWNER, F_SYSTEM, F_LIFECYCLE, F_TYPE, F_TEXT,
	F_TITLE, F_DESCRIPTION, F_FTS_TAGS, F_FTS_OTHER, NFIELDS
};

int cat_prep_init(struct cat_prep *p, json_t *e, char **errmsg)
{
	struct pool pool = { 0 };
	struct rels rels = { .pool = &pool };
	size_t off[NFIELDS], *tagoff = NULL;
	json_t *tags = json_object_get(json_object_get(e, "metadata"), "tags");
	char *ref = cat_entity_ref(e);
	int rc = -1;
	memset(p, 0, sizeof *p);
	p->entity = json_incref(e);
	if (!ref) {
		cat_err(errmsg, "out of memory");
		goto done;
	}
	/* "kind:ns/name": the parts are validated names, without ':' or '/' */
	size_t colon = strcspn(ref, ":"), slash = colon + 1 + strcspn(ref + colon + 1, "/");
	off[F_REF] = put(&pool, ref);
	off[F_KIND] = putn(&pool, ref, colon);
	off[F_NS] = putn(&pool, ref + colon + 1, slash - colon - 1);
	off[F_NAME] = put(&pool, ref + slash + 1);
	/* a malformed reference in the spec fails here, before any write */
	if (cat_relations_each(e, ref, add_rel, &rels, errmsg))
		goto done;
	off[F_OWNER] = put_owned(&pool, field_ref(e, "spec.owner", "group"));
	off[F_SYSTEM] = put_owned(&pool, field_ref(e, "spec.system", "system"));
	off[F_LIFECYCLE] = put(&pool, cat_get_str(e, "spec.lifecycle"));
	off[F_TYPE] = put(&pool, cat_get_str(e, "spec.type"));
	off[F_TEXT] = put_owned(&pool, json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY));
	off[F_TITLE] = put(&pool, cat_get_str(e, "metadata.title"));
	off[F_DESCRIPTION] = put(&pool, cat_get_str(e, "metadata.description"));
	off[F_FTS_TAGS] = put_owned(&pool, joined(tags));
	off[F_FTS_OTHER] = put_owned(&pool, pc_printf("%s %s %s %s %s",
	                             cat_get_str(e, "kind"),
	                             orempty(cat_get_str(e, "spec.type")),
	                             orempty(cat_get_str(e, "spec.lifecycle")),
	                             orempty(cat_get_str(e, "spec.owner")),
	                             orempty(cat_get_str(e, "spec.system"))));
	p->ntags = json_array_size(tags);
	p->nrels = rels.len;
	tagoff = calloc(p->ntags + 1, sizeof *tagoff);
	p->tags = calloc(p->ntags + 1, sizeof *p->tags);
	p->rels = calloc(p->nrels + 1, sizeof *p->rels);
	for (size_t i = 0; tagoff && i < p->ntags; i++)
		tagoff[i] = put_owned(&pool, cat_lower(json_string_value(json_array_get(tags, i))));
	if (pool.oom || !tagoff || !p->tags || !p->rels || off[F_REF] == NONE ||
	    off[F_TEXT] == NONE || off[F_FTS_TAGS] == NONE || off[F_FTS_OTHER] == NONE) {
		cat_err(errmsg, "out of memory");
		goto done;
	}
	/* the pool is final: offsets become pointers */
	p->buf = pool.buf;
	pool.buf = NULL;
	const char **field[NFIELDS] = {
		[F_REF] = &p->ref, [F_KIND] = &p->kind, [F_NS] = &p->ns, [F_NAME] = &p->name,
		[F_OWNER] = &p->owner, [F_SYSTEM] = &p->system, [F_LIFECYCLE] = &p->lifecycle,
		[F_TYPE] = &p->type, [F_TEXT] = &p->text, [F_TITLE] = &p->title,
		[F_DESCRIPTION] = &p->description, [F_FTS_TAGS] = &p->fts_tags,
		[F_FTS_OTHER] = &p->fts_other,
	};
	for (int i = 0; i < NFIELDS; i++)
		*field[i] = off[i] == NONE ? NULL : p->buf + off[i];
	for (size_t i = 0; i < p->ntags; i++)
		p->tags[i] = tagoff[i] == NONE ? "" : p->buf + tagoff[i];
	for (size_t i = 0; i < p->nrels; i++) {
		p->rels[i].source = p->buf + rels.off[2 * i];
		p->rels[i].target = p->buf + rels.off[2 * i + 1];
		p->rels[i].type = rels.type[i];
	}
	p->cost = cat_entity_cost(e);
	p->hash = cat_hash(p->text, strlen(p->text));
	rc = 0;
done:
	free(pool.buf), free(tagoff), free(rels.off), free(rels.type), free(ref);
	if (rc)
		cat_prep_free(p);
	return rc;
}

void cat_prep_free(struct cat_prep *p)
{
	json_decref(p->entity);
	free(p->buf);
	free(p->tags);
	free(p->rels);
	memset(p, 0, sizeof *p);
}
