/*
 * filter.c -- Backstage's entity filters over the portal's index.
 *
 * `filter=kind=component,spec.type=service&filter=kind=group` is parsed as
 * Backstage's parseEntityFilterParams does: each filter parameter is a set
 * of comma-separated conditions that are ANDed; the sets are ORed; a
 * condition is KEY (the key exists) or KEY=VALUE; the same KEY twice in a
 * set ORs its values.  Keys and values compare case-insensitively (both
 * are lower-cased, as the search rows are).  A key no entity has matches
 * nothing: an empty result, not an error.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "portal.h"

struct cond {
	char  *key;
	char **vals;     /* NULL: existence */
	int    nvals;
};
struct set {
	struct cond *c;
	int          n;
};
struct po_filter {
	struct set *sets;
	int         n;
};

static char *lower_trim(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	d[n] = '\0';
	return d;
}

/* Parse one filter string into SET; -1 with *ERRMSG on a statement
 * without a key. */
static int parse_set(const char *text, struct set *set, char **errmsg)
{
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		char *stmt = lower_trim(p, n);
		p += n + (end ? 1 : 0);
		if (!stmt || !*stmt) {
			free(stmt);
			continue;
		}
		char *key = lower_trim(stmt, eq ? (size_t)(strchr(stmt, '=') - stmt) : strlen(stmt));
		if (!key || !*key) {
			paved->error(errmsg, "Invalid filter, '%s' is not a valid statement (expected a "
			             "string on the form a=b or a= or a)", stmt);
			free(key), free(stmt);
			return -1;
		}
		struct cond *c = NULL;
		for (int i = 0; i < set->n; i++)
			if (strcmp(set->c[i].key, key) == 0)
				c = &set->c[i];
		if (!c) {
			struct cond *g = realloc(set->c, (size_t)(set->n + 1) * sizeof *g);
			if (!g) {
				free(key), free(stmt);
				return -1;
			}
			set->c = g;
			c = &set->c[set->n++];
			memset(c, 0, sizeof *c);
			c->key = key;
		} else {
			free(key);
		}
		if (eq) {
			char *v = lower_trim(strchr(stmt, '=') + 1, strlen(strchr(stmt, '=') + 1));
			char **g = realloc(c->vals, (size_t)(c->nvals + 1) * sizeof *g);
			if (g && v) {
				c->vals = g;
				c->vals[c->nvals++] = v;
			} else {
				free(v);
				if (g)
					c->vals = g;
			}
		}
		free(stmt);
	}
	return 0;
}

struct po_filter *po_filter_parse(json_t *filters, char **errmsg)
{
	struct po_filter *f = calloc(1, sizeof *f);
	size_t i;
	json_t *v;
	if (!f)
		return NULL;
	json_array_foreach(filters, i, v) {
		struct set set = { NULL, 0 };
		if (parse_set(json_string_value(v) ? json_string_value(v) : "", &set, errmsg)) {
			for (int j = 0; j < set.n; j++) {
				free(set.c[j].key);
				for (int k = 0; k < set.c[j].nvals; k++)
					free(set.c[j].vals[k]);
				free(set.c[j].vals);
			}
			free(set.c);
			po_filter_free(f);
			return NULL;
		}
		if (!set.n)
			continue;
		struct set *g = realloc(f->sets, (size_t)(f->n + 1) * sizeof *g);
		if (!g) {
			free(set.c);
			continue;
		}
		f->sets = g;
		f->sets[f->n++] = set;
	}
	return f;
}

void po_filter_free(struct po_filter *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->n; i++) {
		for (int j = 0; j < f->sets[i].n; j++) {
			struct cond *c = &f->sets[i].c[j];
			free(c->key);
			for (int k = 0; k < c->nvals; k++)
				free(c->vals[k]);
			free(c->vals);
		}
		free(f->sets[i].c);
	}
	free(f->sets);
	free(f);
}

/* A sorted id list. */
struct ids {
	uint32_t *v;
	uint32_t  n;
};

static struct ids ids_copy(const uint32_t *v, uint32_t n)
{
	struct ids r = { malloc((n ? n : 1) * sizeof *r.v), 0 };
	if (r.v && n)
		memcpy(r.v, v, n * sizeof *v), r.n = n;
	return r;
}

/* A ∪ B (both freed). */
static struct ids ids_union(struct ids a, struct ids b)
{
	struct ids r = { malloc((a.n + b.n + 1) * sizeof *r.v), 0 };
	uint32_t i = 0, j = 0;
	while (r.v && (i < a.n || j < b.n)) {
		uint32_t x = j >= b.n || (i < a.n && a.v[i] < b.v[j]) ? a.v[i++] : b.v[j++];
		if (!r.n || r.v[r.n - 1] != x)
			r.v[r.n++] = x;
	}
	free(a.v), free(b.v);
	return r;
}

/* A ∩ B (A freed, B borrowed). */
static struct ids ids_inter(struct ids a, const uint32_t *b, uint32_t bn)
{
	uint32_t i = 0, j = 0, n = 0;
	while (i < a.n && j < bn) {
		if (a.v[i] < b[j])
			i++;
		else if (a.v[i] > b[j])
			j++;
		else
			a.v[n++] = a.v[i], i++, j++;
	}
	a.n = n;
	return a;
}

/* The ids matching condition C. */
static struct ids cond_ids(const struct po_index *ix, const struct cond *c)
{
	uint32_t key = po_index_str_id(ix, c->key), n;
	struct ids r = { malloc(sizeof *r.v), 0 };
	if (!key)
		return r;
	if (!c->vals) {
		const uint32_t *p = po_index_posting(ix, key, 0, &n);
		free(r.v);
		return ids_copy(p, n);
	}
	for (int i = 0; i < c->nvals; i++) {
		uint32_t val = po_index_str_id(ix, c->vals[i]);
		if (!val)
			continue;
		const uint32_t *p = po_index_posting(ix, key, val, &n);
		r = ids_union(r, ids_copy(p, n));
	}
	return r;
}

const uint32_t *po_filter_posting(const struct po_index *ix, const struct po_filter *f,
                                  uint32_t *n)
{
	if (!f || f->n != 1 || f->sets[0].n != 1 || (f->sets[0].c[0].vals && f->sets[0].c[0].nvals != 1))
		return NULL;
	const struct cond *c = &f->sets[0].c[0];
	uint32_t key = po_index_str_id(ix, c->key);
	uint32_t val = key && c->vals ? po_index_str_id(ix, c->vals[0]) : 0;
	static const uint32_t none[1];
	if (!key || (c->vals && !val)) {
		*n = 0;
		return none;
	}
	const uint32_t *p = po_index_posting(ix, key, val, n);
	return p ? p : none;
}

uint32_t *po_filter_run(const struct po_index *ix, const struct po_filter *f, uint32_t *n)
{
	struct ids all = { malloc((po_index_size(ix) + 1) * sizeof *all.v), 0 };
	if (!f || !f->n) {
		for (uint32_t i = 0; all.v && i < po_index_size(ix); i++)
			if (po_index_ent(ix, i)->live)
				all.v[all.n++] = i;
		*n = all.n;
		return all.v;
	}
	for (int s = 0; s < f->n; s++) {
		struct ids cur = cond_ids(ix, &f->sets[s].c[0]);
		for (int c = 1; c < f->sets[s].n && cur.n; c++) {
			struct ids other = cond_ids(ix, &f->sets[s].c[c]);
			cur = ids_inter(cur, other.v, other.n);
			free(other.v);
		}
		all = ids_union(all, cur);
	}
	*n = all.n;
	return all.v;
}
