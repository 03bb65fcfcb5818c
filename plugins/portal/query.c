/*
 * query.c -- GET /entities/by-query, GET /entities and GET /entity-facets
 * with Backstage's semantics (plugin-catalog-backend 4.0.5,
 * DefaultEntitiesCatalog.queryEntities and the request parsers).
 *
 * by-query: `filter` (filter.c), `orderField=FIELD[,asc|desc]` (only the
 * first counts, and only entities that have a non-null value for FIELD are
 * returned, ordered by that lower-cased value then by id), `fullTextFilterTerm`
 * (a case-insensitive substring of the values of `fullTextFilterFields`,
 * default the order field, else metadata.uid, as Backstage has it),
 * `limit` (default 200), `offset`, `fields`, and `cursor`, which carries the
 * filter, order and term of the first request and overrides them.  The
 * response is `{items, totalItems, pageInfo: {nextCursor?, prevCursor?}}`.
 * Without an order field, entities come in id order (Backstage: its internal
 * entity id; here the order the index met them, the catalog's ref order).
 *
 * Responses are built as text: an entity without `fields` is copied as the
 * JSON text the index keeps, never parsed again.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/base64.h>

#include "portal.h"

json_t *po_args_list(json_t *args, const char *name)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(args, name), i, v) {
		const char *p = json_string_value(v);
		while (p && *p) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			while (n && isspace((unsigned char)*p))
				p++, n--;
			while (n && isspace((unsigned char)p[n - 1]))
				n--;
			if (n)
				json_array_append_new(out, json_stringn(p, n));
			p = e ? e + 1 : p + strlen(p);
		}
	}
	return out;
}

static const char *arg1(json_t *args, const char *name)
{
	return json_string_value(json_array_get(json_object_get(args, name), 0));
}

/* A non-negative integer argument: 0 when absent (*SET false), -1 when bad. */
static long arg_int(json_t *args, const char *name, bool *set)
{
	const char *s = arg1(args, name);
	*set = s != NULL;
	if (!s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 ? v : -1;
}

/* ---- fields ---------------------------------------------------------- */

/* Copy the value at dotted PATH of SRC into DST (keys may hold dots: the
 * longest key that matches is taken at each level). */
static void pick(json_t *dst, json_t *src, const char *path)
{
	if (!json_is_object(src))
		return;
	size_t n = strlen(path);
	for (size_t len = n; len > 0; len--) {
		if (len < n && path[len] != '.')
			continue;
		char *k = strndup(path, len);
		json_t *v = k ? json_object_get(src, k) : NULL;
		if (v) {
			if (len == n) {
				json_object_set(dst, k, v);
			} else if (json_is_object(v)) {
				json_t *sub = json_object_get(dst, k);
				if (!json_is_object(sub)) {
					sub = json_object();
					json_object_set_new(dst, k, sub);
				}
				pick(sub, v, path + len + 1);
				if (json_object_size(sub) == 0)
					json_object_del(dst, k);
			}
			free(k);
			return;
		}
		free(k);
	}
}

json_t *po_project(const struct po_ent *e, json_t *fields)
{
	json_t *full = json_loadb(e->json, e->json_len, 0, NULL);
	if (!json_array_size(fields) || !full)
		return full;
	json_t *out = json_object(), *f;
	size_t i;
	json_array_foreach(fields, i, f)
		pick(out, full, json_string_value(f));
	json_decref(full);
	return out;
}

/* Append entity E (pruned to FIELDS) to B as JSON text. */
static void add_entity(struct po_buf *b, const struct po_ent *e, json_t *fields)
{
	if (!json_array_size(fields)) {
		po_buf_add(b, e->json, e->json_len);
		return;
	}
	json_t *p = po_project(e, fields);
	char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
	po_buf_puts(b, s ? s : "null");
	free(s);
	json_decref(p);
}

/* ---- cursors ------------------------------------------------------------ */

static char *b64_encode(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);
	if (!out)
		return NULL;
	base64_encode_raw(out, n, (const uint8_t *)s);
	out[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	return out;
}

static json_t *b64_json(const char *s)
{
	struct base64_decode_ctx c;
	size_t n = strlen(s), len = BASE64_DECODE_LENGTH(n);
	uint8_t *out = malloc(len + 1);
	json_t *j = NULL;
	base64_decode_init(&c);
	if (out && base64_decode_update(&c, &len, out, n, s) && base64_decode_final(&c))
		j = json_loadb((char *)out, len, 0, NULL);
	free(out);
	return json_is_object(j) ? j : (json_decref(j), NULL);
}

/* ---- ordering ------------------------------------------------------------ */

struct keyed {
	const char *val;   /* the lower-case sort value */
	uint32_t    id;
};
static int desc_order;

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->val, y->val);
	if (!c)
		c = x->id < y->id ? -1 : x->id > y->id;
	return desc_order ? -c : c;
}

/* The value of row KEY of E (its lower-case id), 0 for none or null. */
static uint32_t row_val(const struct po_ent *e, uint32_t key)
{
	for (uint32_t i = 0; i < e->nrows; i++)
		if (e->rows[i].key == key && e->rows[i].val)
			return e->rows[i].val;
	return 0;
}

/* Does E have, under one of KEYS, a value holding TERM? */
static bool text_match(const struct po_index *ix, const struct po_ent *e, const uint32_t *keys,
                       int nkeys, const char *term)
{
	for (uint32_t i = 0; i < e->nrows; i++)
		for (int k = 0; k < nkeys; k++)
			if (e->rows[i].key == keys[k] && e->rows[i].val &&
			    strstr(po_index_str(ix, e->rows[i].val), term))
				return true;
	return false;
}

/* Is (VAL, ID) after (AVAL, AID) in the order? */
static bool after(const char *val, uint32_t id, const char *aval, uint32_t aid, bool desc)
{
	int c = val && aval ? strcmp(val, aval) : 0;
	if (!c)
		c = id < aid ? -1 : id > aid;
	return desc ? c < 0 : c > 0;
}

/* [value, id] or [id] of an ordered item, for a cursor. */
static json_t *sort_values(const struct keyed *k, bool sorted)
{
	return sorted ? json_pack("[s,I]", k->val, (json_int_t)k->id) :
	       json_pack("[I]", (json_int_t)k->id);
}


/* Append a cursor object CUR (with POSITION [id], PREV, TOTAL) as
 * "NAME":"base64" to B. */
static void add_cursor(struct po_buf *b, const char *name, json_t *cur, uint32_t position,
                       json_t *first, bool prev, json_int_t total)
{
	json_t *c = json_deep_copy(cur);
	json_object_set_new(c, "position", json_pack("[I]", (json_int_t)position));
	json_object_set(c, "first", first);
	json_object_set_new(c, "isPrevious", json_boolean(prev));
	json_object_set_new(c, "totalItems", json_integer(total));
	char *txt = json_dumps(c, JSON_COMPACT), *enc = txt ? b64_encode(txt) : NULL;
	po_buf_printf(b, "\"%s\":\"%s\"", name, enc ? enc : "");
	free(txt), free(enc);
	json_decref(c);
}

/* by-query without an order field or a term: the ids ascending (borrowed
 * from the index when the filter is one condition), a window of LIMIT. */
static char *window(struct po_index *ix, struct po_filter *f, json_t *cur, bool from_cursor,
                    long limit, long offset, json_t *fields)
{
	uint32_t n;
	uint32_t *owned = NULL;
	const uint32_t *ids = po_filter_posting(ix, f, &n);
	if (!ids)
		ids = owned = po_filter_run(ix, f, &n);
	json_int_t total = json_is_integer(json_object_get(cur, "totalItems")) ?
	                   json_integer_value(json_object_get(cur, "totalItems")) : (json_int_t)n;
	json_t *pos = json_object_get(cur, "position");
	bool prev = json_is_true(json_object_get(cur, "isPrevious"));
	uint32_t start, end;
	if (json_is_array(pos)) {
		uint32_t pid = (uint32_t)json_integer_value(json_array_get(pos, 0));
		uint32_t lo = po_lower_bound(ids, n, pid);
		if (prev) {
			end = lo;
			start = end > (uint32_t)limit ? end - (uint32_t)limit : 0;
		} else {
			start = lo < n && ids[lo] == pid ? lo + 1 : lo;
			end = start + (uint64_t)limit < n ? start + (uint32_t)limit : n;
		}
	} else {
		start = (uint64_t)offset < n ? (uint32_t)offset : n;
		end = start + (uint64_t)limit < n ? start + (uint32_t)limit : n;
	}
	bool more = prev || end < n;
	struct po_buf b = { 0 };
	po_buf_puts(&b, "{\"items\":[");
	for (uint32_t i = start; i < end; i++) {
		if (i > start)
			po_buf_puts(&b, ",");
		add_entity(&b, po_index_ent(ix, ids[i]), fields);
	}
	po_buf_printf(&b, "],\"totalItems\":%lld,\"pageInfo\":{", (long long)total);
	json_t *first = json_object_get(cur, "first");
	json_t *firstv = first ? json_incref(first) :
	                 end > start ? json_pack("[I]", (json_int_t)ids[start]) : json_null();
	bool comma = false;
	if (more && end > start && limit > 0) {
		add_cursor(&b, "nextCursor", cur, ids[end - 1], firstv, false, total);
		comma = true;
	}
	if (from_cursor && end > start && json_integer_value(json_array_get(first, 0)) != ids[start]) {
		if (comma)
			po_buf_puts(&b, ",");
		add_cursor(&b, "prevCursor", cur, ids[start], first, true, total);
	}
	po_buf_puts(&b, "}}");
	json_decref(firstv);
	free(owned);
	return b.s;
}

char *po_query_entities_text(struct po_index *ix, json_t *args, int *status, char **errmsg)
{
	json_t *fields = po_args_list(args, "fields"), *cur = NULL, *filters = NULL;
	struct po_filter *f = NULL;
	struct keyed *items = NULL;
	uint32_t *ids = NULL, n = 0;
	char *out = NULL, *sortkey = NULL, *term = NULL;
	uint32_t tkeys[16];
	int ntkeys = 0;
	bool set, desc = false;
	long limit = arg_int(args, "limit", &set);
	if (!set)
		limit = 200;
	long offset = arg_int(args, "offset", &set);
	*status = 400;
	if (limit < 0 || offset < 0) {
		paved->error(errmsg, "%s must be a non-negative integer", limit < 0 ? "limit" : "offset");
		goto done;
	}
	const char *cursor = arg1(args, "cursor");
	if (cursor) {
		cur = b64_json(cursor);
		if (!cur) {
			paved->error(errmsg, "Malformed cursor, could not be parsed");
			goto done;
		}
		filters = json_incref(json_object_get(cur, "filter"));
		offset = 0;
	} else {
		filters = json_incref(json_object_get(args, "filter"));
		cur = json_object();
		json_object_set_new(cur, "filter", filters ? json_incref(filters) : json_array());
		const char *of = arg1(args, "orderField");
		if (of) {
			const char *comma = strchr(of, ',');
			const char *ord = comma ? comma + 1 : "asc";
			if (strcmp(ord, "asc") && strcmp(ord, "desc")) {
				paved->error(errmsg, "Invalid order field order, must be asc or desc");
				goto done;
			}
			json_object_set_new(cur, "orderField", json_stringn(of, comma ? (size_t)(comma - of)
			                                                            : strlen(of)));
			json_object_set_new(cur, "order", json_string(ord));
		}
		const char *t = arg1(args, "fullTextFilterTerm");
		json_t *tf = po_args_list(args, "fullTextFilterFields");
		if (t)
			json_object_set_new(cur, "term", json_string(t));
		json_object_set_new(cur, "termFields", tf);
	}
	f = po_filter_parse(filters, errmsg);
	if (!f)
		goto done;
	const char *of = json_string_value(json_object_get(cur, "orderField"));
	desc = of && !strcmp(json_string_value(json_object_get(cur, "order")) ?: "", "desc");
	if (of) {
		sortkey = strdup(of);
		for (char *p = sortkey; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	const char *t = json_string_value(json_object_get(cur, "term"));
	if (t) {
		while (isspace((unsigned char)*t))
			t++;
		term = strdup(t);
		for (char *p = term + (term ? strlen(term) : 0); term && p > term && isspace((unsigned char)p[-1]); )
			*--p = '\0';
		for (char *p = term; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (term && !*term)
			free(term), term = NULL;
	}
	if (term) {
		json_t *tf = json_object_get(cur, "termFields"), *v;
		size_t i;
		if (!json_array_size(tf))
			tkeys[ntkeys++] = po_index_str_id(ix, sortkey ? sortkey : "metadata.uid");
		json_array_foreach(tf, i, v) {
			if (ntkeys == 16)
				break;
			char *k = strdup(json_string_value(v));
			for (char *p = k; p && *p; p++)
				*p = (char)tolower((unsigned char)*p);
			tkeys[ntkeys++] = k ? po_index_str_id(ix, k) : 0;
			free(k);
		}
	}
	if (!term && !sortkey) {
		/* the common case, in id order: a window of the sorted ids, found by
		 * binary search, whatever the catalog's size */
		out = window(ix, f, cur, cursor != NULL, limit, offset, fields);
		*status = 200;
		goto done;
	}
	ids = po_filter_run(ix, f, &n);
	items = malloc((n + 1) * sizeof *items);
	uint32_t m = 0, skey = sortkey ? po_index_str_id(ix, sortkey) : 0;
	for (uint32_t i = 0; items && i < n; i++) {
		const struct po_ent *e = po_index_ent(ix, ids[i]);
		if (term && !text_match(ix, e, tkeys, ntkeys, term))
			continue;
		uint32_t v = 0;
		if (sortkey && !(v = skey ? row_val(e, skey) : 0))
			continue;
		items[m].val = v ? po_index_str(ix, v) : NULL;
		items[m++].id = ids[i];
	}
	if (!items) {
		paved->error(errmsg, "out of memory");
		*status = 500;
		goto done;
	}
	if (sortkey) {
		desc_order = desc;
		qsort(items, m, sizeof *items, cmp_keyed);
	}
	json_int_t total = json_is_integer(json_object_get(cur, "totalItems")) ?
	                   json_integer_value(json_object_get(cur, "totalItems")) : (json_int_t)m;
	/* the window: after the cursor's position (or before it, going back) */
	json_t *pos = json_object_get(cur, "position");
	bool prev = json_is_true(json_object_get(cur, "isPrevious"));
	long start = 0, end = m;
	if (json_is_array(pos)) {
		const char *pv = json_string_value(json_array_get(pos, 0));
		uint32_t pid = (uint32_t)json_integer_value(json_array_get(pos, sortkey ? 1 : 0));
		long k = 0;
		while (k < (long)m && !after(items[k].val, items[k].id, pv, pid, desc) &&
		       !(items[k].id == pid && (!sortkey || (pv && !strcmp(items[k].val, pv)))))
			k++;
		long at = k;   /* first item not before the position */
		if (prev) {
			end = at;
			start = end - limit > 0 ? end - limit : 0;
		} else {
			if (at < (long)m && items[at].id == pid)
				at++;
			start = at;
		}
	} else {
		start = offset < (long)m ? offset : m;
	}
	if (!prev)
		end = start + limit < (long)m ? start + limit : (long)m;
	bool more = prev ? start > 0 || limit > 0 : end < (long)m;
	if (prev)
		more = true;   /* Backstage: going back, there is always a next page */
	struct po_buf b = { 0 };
	po_buf_puts(&b, "{\"items\":[");
	for (long i = start; i < end; i++) {
		if (i > start)
			po_buf_puts(&b, ",");
		add_entity(&b, po_index_ent(ix, items[i].id), fields);
	}
	po_buf_printf(&b, "],\"totalItems\":%lld,\"pageInfo\":{", (long long)total);
	json_t *first = json_object_get(cur, "first");
	json_t *firstv = first ? json_incref(first) :
	                 (end > start ? sort_values(&items[start], sortkey) : json_null());
	bool comma = false;
	if (more && end > start && limit > 0) {
		json_t *nc = json_deep_copy(cur);
		json_object_set_new(nc, "position", sort_values(&items[end - 1], sortkey));
		json_object_set(nc, "first", firstv);
		json_object_set_new(nc, "isPrevious", json_false());
		json_object_set_new(nc, "totalItems", json_integer(total));
		char *txt = json_dumps(nc, JSON_COMPACT), *enc = txt ? b64_encode(txt) : NULL;
		po_buf_printf(&b, "\"nextCursor\":\"%s\"", enc ? enc : "");
		comma = true;
		free(txt), free(enc), json_decref(nc);
	}
	if (cursor && end > start) {
		json_t *here = sort_values(&items[start], sortkey);
		if (!json_equal(here, first)) {
			json_t *pc = json_deep_copy(cur);
			json_object_set(pc, "position", here);
			json_object_set_new(pc, "isPrevious", json_true());
			json_object_set_new(pc, "totalItems", json_integer(total));
			char *txt = json_dumps(pc, JSON_COMPACT), *enc = txt ? b64_encode(txt) : NULL;
			po_buf_printf(&b, "%s\"prevCursor\":\"%s\"", comma ? "," : "", enc ? enc : "");
			free(txt), free(enc), json_decref(pc);
		}
		json_decref(here);
	}
	json_decref(firstv);
	po_buf_puts(&b, "}}");
	out = b.s;
	*status = 200;
done:
	free(items), free(ids), free(sortkey), free(term);
	po_filter_free(f);
	json_decref(filters), json_decref(cur), json_decref(fields);
	return out;
}


char *po_list_entities_text(struct po_index *ix, json_t *args, int *status, char **errmsg)
{
	json_t *fields = po_args_list(args, "fields");
	bool set;
	long limit = arg_int(args, "limit", &set), offset;
	if (!set)
		limit = -2;
	offset = arg_int(args, "offset", &set);
	const char *afterc = arg1(args, "after");
	if (afterc) {
		json_t *a = b64_json(afterc);
		offset = a ? (long)json_integer_value(json_object_get(a, "offset")) : -1;
		if (a && json_object_get(a, "limit"))
			limit = (long)json_integer_value(json_object_get(a, "limit"));
		json_decref(a);
	}
	*status = 400;
	if (limit == -1 || offset < 0) {
		json_decref(fields);
		paved->error(errmsg, "Malformed pagination: limit, offset and after must be valid");
		return NULL;
	}
	struct po_filter *f = po_filter_parse(json_object_get(args, "filter"), errmsg);
	if (!f) {
		json_decref(fields);
		return NULL;
	}
	uint32_t n, *ids = po_filter_run(ix, f, &n);
	po_filter_free(f);
	struct po_buf b = { 0 };
	po_buf_puts(&b, "[");
	uint32_t end = limit >= 0 && (uint64_t)offset + (uint64_t)limit < n ?
	               (uint32_t)(offset + limit) : n;
	for (uint32_t i = (uint32_t)offset; i < end; i++) {
		if (i > (uint32_t)offset)
			po_buf_puts(&b, ",");
		add_entity(&b, po_index_ent(ix, ids[i]), fields);
	}
	po_buf_puts(&b, "]");
	free(ids);
	json_decref(fields);
	*status = 200;
	return b.s;
}

struct facet_count {
	uint32_t val;
	long     count;
};

static int cmp_facet(const void *a, const void *b)
{
	const struct facet_count *x = a, *y = b;
	return x->count != y->count ? (x->count > y->count ? -1 : 1) :
	       (x->val < y->val ? -1 : x->val > y->val);
}

json_t *po_facets(struct po_index *ix, json_t *args, int *status, char **errmsg)
{
	json_t *names = json_object_get(args, "facet");
	*status = 400;
	if (!json_array_size(names)) {
		paved->error(errmsg, "Missing facet parameter");
		return NULL;
	}
	struct po_filter *f = po_filter_parse(json_object_get(args, "filter"), errmsg);
	if (!f)
		return NULL;
	uint32_t n, *ids = po_filter_run(ix, f, &n);
	po_filter_free(f);
	json_t *facets = json_object(), *name;
	size_t k;
	json_array_foreach(names, k, name) {
		char *key = strdup(json_string_value(name));
		for (char *p = key; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		uint32_t kid = key ? po_index_str_id(ix, key) : 0;
		struct facet_count *c = NULL;
		size_t nc = 0, cap = 0;
		for (uint32_t i = 0; kid && i < n; i++) {
			const struct po_ent *e = po_index_ent(ix, ids[i]);
			for (uint32_t r = 0; r < e->nrows; r++) {
				if (e->rows[r].key != kid || !e->rows[r].orig)
					continue;
				size_t j = 0;
				while (j < nc && c[j].val != e->rows[r].orig)
					j++;
				if (j == nc) {
					if (nc == cap) {
						cap = cap ? cap * 2 : 16;
						struct facet_count *g = realloc(c, cap * sizeof *g);
						if (!g)
							break;
						c = g;
					}
					c[nc].val = e->rows[r].orig, c[nc++].count = 0;
				}
				c[j].count++;
			}
		}
		if (nc)
			qsort(c, nc, sizeof *c, cmp_facet);
		json_t *list = json_array();
		for (size_t j = 0; j < nc; j++)
			json_array_append_new(list, json_pack("{sssI}", "value", po_index_str(ix, c[j].val),
			                                      "count", (json_int_t)c[j].count));
		json_object_set_new(facets, json_string_value(name), list);
		free(c);
		free(key);
	}
	free(ids);
	*status = 200;
	return json_pack("{so}", "facets", facets);
}
