/*
 * params.c -- what a redis resource's class and params mean to the local
 * driver, and its plan.  Everything changes in place (CONFIG SET, and the
 * configuration file rewritten):
 *
 *   class               maxmemory (option "classes": small 64mb, medium
 *                       256mb, large 1gb)
 *   params.eviction     maxmemory-policy: lru -> allkeys-lru, lfu ->
 *                       allkeys-lfu, random -> allkeys-random, ttl ->
 *                       volatile-ttl, none (default) -> noeviction, or any
 *                       Redis policy name
 *   params.persistence  aof (appendonly yes) or none (default)
 * Other params are ignored here, with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "rdriver.h"

static const char *const policies[][2] = {
	{ "lru", "allkeys-lru" }, { "lfu", "allkeys-lfu" }, { "random", "allkeys-random" },
	{ "ttl", "volatile-ttl" }, { "none", "noeviction" },
	{ "allkeys-lru", "allkeys-lru" }, { "allkeys-lfu", "allkeys-lfu" },
	{ "allkeys-random", "allkeys-random" }, { "volatile-lru", "volatile-lru" },
	{ "volatile-lfu", "volatile-lfu" }, { "volatile-random", "volatile-random" },
	{ "volatile-ttl", "volatile-ttl" }, { "noeviction", "noeviction" },
};

/* params.KEY of RES as text (malloc()ed), or NULL. */
static char *param(json_t *res, const char *key)
{
	json_t *v = json_object_get(json_object_get(res, "params"), key);
	if (!v)
		return NULL;
	return json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
}

static const char *policy_of(const char *e)
{
	for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
		if (!strcmp(e, policies[i][0]))
			return policies[i][1];
	return NULL;
}

const char *prd_policy(json_t *res)
{
	const char *e = json_string_value(json_object_get(json_object_get(res, "params"), "eviction"));
	const char *p = e ? policy_of(e) : NULL;
	return p ? p : "noeviction";
}

const char *prd_maxmemory(paved_ctx *ctx, json_t *res)
{
	return json_string_value(json_object_get(paved->option(ctx, "classes"),
	                                         json_string_value(json_object_get(res, "class"))));
}

bool prd_aof(json_t *res)
{
	json_t *v = json_object_get(json_object_get(res, "params"), "persistence");
	return json_is_true(v) || (json_is_string(v) && !strcmp(json_string_value(v), "aof"));
}

/* Refuse FIELD of RES: from OLD (may be NULL) to NOW. */
static int refuse(char **errmsg, json_t *res, const char *field, const char *old,
                  const char *now, const char *what, const char *list)
{
	return pc_refuse(errmsg, json_string_value(json_object_get(res, "name")), field, old, now,
	                 what, list);
}

int prd_check(paved_ctx *ctx, json_t *res, json_t *prev, char **errmsg)
{
	const char *cls = json_string_value(json_object_get(res, "class"));
	char *ev = param(res, "eviction"), *oev = param(prev, "eviction");
	char *pe = param(res, "persistence"), *ope = param(prev, "persistence");
	int rc = PAVED_OK;
	if (!prd_maxmemory(ctx, res)) {
		char *list = pc_keys(paved->option(ctx, "classes"));
		rc = refuse(errmsg, res, "class", json_string_value(json_object_get(prev, "class")),
		            cls ? cls : "", "a known class", list ? list : "?");
		free(list);
	} else if (ev && !policy_of(ev)) {
		rc = refuse(errmsg, res, "params.eviction", oev, ev, "an eviction policy",
		            "lru, lfu, random, ttl, none or a Redis policy such as volatile-lru");
	} else if (pe && strcmp(pe, "aof") && strcmp(pe, "none") && strcmp(pe, "true") &&
	           strcmp(pe, "false")) {
		rc = refuse(errmsg, res, "params.persistence", ope, pe, "a persistence setting",
		            "aof or none");
	}
	free(ev), free(oev), free(pe), free(ope);
	if (rc != PAVED_OK)
		return rc;
	static const char *const known[] = { "eviction", "persistence", NULL };
	pc_unknown_params(ctx, res, "redis-local", known);
	return PAVED_OK;
}

int prd_plan(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg)
{
	if (prd_check(ctx, res, prev, errmsg))
		return PAVED_ERR;
	json_t *fields = json_array();
	if (!json_equal(json_object_get(res, "class"), json_object_get(prev, "class")))
		json_array_append_new(fields, json_string("class"));
	if (strcmp(prd_policy(res), prd_policy(prev)))
		json_array_append_new(fields, json_string("params.eviction"));
	if (prd_aof(res) != prd_aof(prev))
		json_array_append_new(fields, json_string("params.persistence"));
	*result = json_pack("{ss so}", "action", json_array_size(fields) ? "update" : "none",
	                    "fields", fields);
	return PAVED_OK;
}
