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
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
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

/* Room for N more bytes in P; false when out of memory. */
static bool room(struct pool *p, size_t n)
{
	if (p->len + n <= p->cap)
		return true;
	size_t cap = p->cap ? p->cap : 2048;   /* most entities fit at once */
	while (cap < p->len + n)
		cap *= 2;
	char *b = p->oom ? NULL : realloc(p->buf, cap);
	if (!b) {
		p->oom = true;
		return false;
	}
	p->buf = b;
	p->cap = cap;
	return true;
}

/* Append N bytes of S (no NUL). */
static void raw(struct pool *p, const char *s, size_t n)
{
	if (room(p, n)) {
		memcpy(p->buf + p->len, s, n);
		p->len += n;
	}
}

/* Append N bytes of S and a NUL; the offset, or NONE for a NULL S. */
static size_t putn(struct pool *p, const char *s, size_t n)
{
	if (!s || !room(p, n + 1))
		return NONE;
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

/* Append V as jansson's json_dumps(V, JSON_COMPACT | JSON_ENCODE_ANY)
 * writes it (anything this does not write itself, it asks jansson for). */
static void dump_jansson(struct pool *p, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s)
		raw(p, s, strlen(s));
	else
		p->oom = true;   /* what json_dumps refuses (not UTF-8) fails the entity */
	free(s);
}

/* Whether any byte of the 8 in W is below 0x20, at or above 0x80, '"'
 * or '\\' (the exact bit tricks for "has a byte below N" and "has a zero
 * byte"; which byte it is, the byte loop finds). */
static bool word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & high) != 0;
}

/* Append string S of N bytes as a JSON string, byte for byte as jansson
 * writes it: printable ASCII here, with '"' and '\\' escaped; a string
 * with any other byte (control characters, UTF-8) is written by jansson. */
static void dump_string(struct pool *p, const char *s, size_t n)
{
	size_t esc = 0, i = 0;
	for (uint64_t w; i + 8 <= n; i += 8) {   /* most strings: plain, 8 bytes at a time */
		memcpy(&w, s + i, 8);
		if (word_special(w))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x80) {
			json_t *v = json_stringn_nocheck(s, n);
			dump_jansson(p, v);
			json_decref(v);
			return;
		}
		esc += c == '"' || c == '\\';
	}
	if (!room(p, n + esc + 2))
		return;
	char *o = p->buf + p->len;
	*o++ = '"';
	if (!esc) {
		memcpy(o, s, n);
		o += n;
	} else {
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				*o++ = '\\';
			*o++ = s[i];
		}
	}
	*o++ = '"';
	p->len = (size_t)(o - p->buf);
}

/* Append V as compact JSON, the text json_dumps(V, JSON_COMPACT |
 * JSON_ENCODE_ANY) gives (keys in the object's order): the stored
 * document and its hash stay what they were.  DEPTH guards the stack;
 * entities nest at most CAT_YAML_MAX_DEPTH deep. */
static void dump(struct pool *p, json_t *v, int depth)
{
	char num[32];
	const char *k;
	json_t *x;
	size_t i;
	bool first = true;
	if (depth > 2 * CAT_YAML_MAX_DEPTH) {
		dump_jansson(p, v);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		raw(p, "{", 1);
		json_object_foreach(v, k, x) {
			if (!first)
				raw(p, ",", 1);
			first = false;
			dump_string(p, k, strlen(k));
			raw(p, ":", 1);
			dump(p, x, depth + 1);
		}
		raw(p, "}", 1);
		break;
	case JSON_ARRAY:
		raw(p, "[", 1);
		json_array_foreach(v, i, x) {
			if (i)
				raw(p, ",", 1);
			dump(p, x, depth + 1);
		}
		raw(p, "]", 1);
		break;
	case JSON_STRING:
		dump_string(p, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		raw(p, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		                             json_integer_value(v)));
		break;
	case JSON_TRUE:
		raw(p, "true", 4);
		break;
	case JSON_FALSE:
		raw(p, "false", 5);
		break;
	case JSON_NULL:
		raw(p, "null", 4);
		break;
	default:   /* reals: jansson's own formatting */
		dump_jansson(p, v);
		break;
	}
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

/* Append TAGS's strings, space-joined, and a NUL; the offset. */
static size_t put_joined(struct pool *p, json_t *tags)
{
	size_t off = p->len, i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		const char *v = orempty(json_string_value(t));
		if (i)
			raw(p, " ", 1);
		raw(p, v, strlen(v));
	}
	raw(p, "", 1);
	return p->oom ? NONE : off;
}

/* Append the space-joined strings of V (NULL as "") and a NUL; the offset. */
static size_t put_words(struct pool *p, const char *const *v, size_t n)
{
	size_t off = p->len;
	for (size_t i = 0; i < n; i++) {
		const char *w = v[i] ? v[i] : i ? "" : "(null)";   /* as printf's %s did */
		if (i)
			raw(p, " ", 1);
		raw(p, w, strlen(w));
	}
	raw(p, "", 1);
	return p->oom ? NONE : off;
}

/* Append S lower-cased and a NUL; the offset. */
static size_t put_lower(struct pool *p, const char *s)
{
	size_t off = put(p, orempty(s));
	for (char *c = off == NONE ? NULL : p->buf + off; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return off;
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
	off[F_TEXT] = pool.len;
	dump(&pool, e, 0);
	size_t text_len = pool.len - off[F_TEXT];
	raw(&pool, "", 1);
	off[F_TITLE] = put(&pool, cat_get_str(e, "metadata.title"));
	off[F_DESCRIPTION] = put(&pool, cat_get_str(e, "metadata.description"));
	off[F_FTS_TAGS] = put_joined(&pool, tags);
	json_t *spec = json_object_get(e, "spec");
	const char *other[] = {
		json_string_value(json_object_get(e, "kind")),
		json_string_value(json_object_get(spec, "type")),
		json_string_value(json_object_get(spec, "lifecycle")),
		json_string_value(json_object_get(spec, "owner")),
		json_string_value(json_object_get(spec, "system")),
	};
	off[F_FTS_OTHER] = put_words(&pool, other, sizeof other / sizeof other[0]);
	p->ntags = json_array_size(tags);
	p->nrels = rels.len;
	tagoff = calloc(p->ntags + 1, sizeof *tagoff);
	p->tags = calloc(p->ntags + 1, sizeof *p->tags);
	p->rels = calloc(p->nrels + 1, sizeof *p->rels);
	for (size_t i = 0; tagoff && i < p->ntags; i++)
		tagoff[i] = put_lower(&pool, json_string_value(json_array_get(tags, i)));
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
	p->hash = cat_hash(p->text, text_len);
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
