/*
 * util.c -- small helpers of the catalog plugin: formatted messages,
 * lower-casing, a string set and a string vector.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int cat_err(char **errmsg, const char *fmt, ...)
{
	if (!errmsg)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	free(*errmsg);
	*errmsg = pc_vprintf(fmt, ap);
	va_end(ap);
	return -1;
}

char *cat_lower(const char *s)
{
	char *d = strdup(s ? s : "");
	for (char *p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* FNV-1a: good enough for refs. */
static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

uint64_t cat_hash_more(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	/* FNV-1a over 8-byte words, then the tail: a fingerprint to see that a
	 * document or file did not change, not a defence against collisions
	 * made on purpose (the catalog's own data) */
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 1099511628211ULL;
		h ^= h >> 29;
	}
	for (; n; n--, p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

uint64_t cat_hash(const void *data, size_t n)
{
	return cat_hash_more(1469598103934665603ULL, data, n);
}

int cat_set_get(const struct cat_set *s, const char *key)
{
	if (!s->cap)
		return -1;
	size_t h = hash(key);
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->keys[i])
			return -1;
		/* the hash first: refs share long prefixes, strcmp would walk them */
		if (s->hashes[i] == h && strcmp(s->keys[i], key) == 0)
			return s->vals[i];
	}
}

/* Double the table (or create it), rehashing every key. */
static int grow(struct cat_set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	char **k = calloc(ncap, sizeof *k);
	int *v = calloc(ncap, sizeof *v);
	size_t *hs = calloc(ncap, sizeof *hs);
	if (!k || !v || !hs) {
		free(k), free(v), free(hs);
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->keys[i])
			continue;
		size_t j = s->hashes[i] & (ncap - 1);
		while (k[j])
			j = (j + 1) & (ncap - 1);
		k[j] = s->keys[i];
		v[j] = s->vals[i];
		hs[j] = s->hashes[i];
	}
	free(s->keys), free(s->vals), free(s->hashes);
	s->keys = k, s->vals = v, s->hashes = hs, s->cap = ncap;
	return 0;
}

int cat_set_put(struct cat_set *s, const char *key, int val)
{
	if ((s->len + 1) * 2 > s->cap && grow(s))
		return -1;
	size_t h = hash(key), i = h & (s->cap - 1);
	for (; s->keys[i]; i = (i + 1) & (s->cap - 1)) {
		if (s->hashes[i] == h && strcmp(s->keys[i], key) == 0) {
			s->vals[i] = val;
			return 0;
		}
	}
	if (!(s->keys[i] = strdup(key)))
		return -1;
	s->vals[i] = val;
	s->hashes[i] = h;
	s->len++;
	return 0;
}

void cat_set_free(struct cat_set *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys), free(s->vals), free(s->hashes);
	memset(s, 0, sizeof *s);
}

/* Double the id table (or create it). */
static int idset_grow(struct cat_idset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024;
	int64_t *v = calloc(ncap, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->v[i])
			continue;
		size_t j = (size_t)((uint64_t)s->v[i] * 0x9E3779B97F4A7C15ULL) & (ncap - 1);
		while (v[j])
			j = (j + 1) & (ncap - 1);
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v, s->cap = ncap;
	return 0;
}

bool cat_idset_has(const struct cat_idset *s, int64_t id)
{
	if (!s->cap)
		return false;
	for (size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL) & (s->cap - 1); s->v[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->v[i] == id)
			return true;
	return false;
}

int cat_idset_add(struct cat_idset *s, int64_t id)
{
	if (id == 0 || cat_idset_has(s, id))
		return 0;
	if ((s->len + 1) * 2 > s->cap && idset_grow(s))
		return -1;
	size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL) & (s->cap - 1);
	while (s->v[i])
		i = (i + 1) & (s->cap - 1);
	s->v[i] = id;
	s->len++;
	return 0;
}

void cat_idset_free(struct cat_idset *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

int cat_strv_take(struct cat_strv *sv, char *s)
{
	if (!s)
		return -1;
	if (sv->len == sv->cap) {
		size_t n = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, n * sizeof *v);
		if (!v) {
			free(s);
			return -1;
		}
		sv->v = v, sv->cap = n;
	}
	sv->v[sv->len++] = s;
	return 0;
}

int cat_strv_push(struct cat_strv *sv, const char *s)
{
	return cat_strv_take(sv, strdup(s));
}

void cat_strv_free(struct cat_strv *sv)
{
	for (size_t i = 0; i < sv->len; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof *sv);
}
