/*
 * params.c -- what a postgres resource's class and params mean to the
 * local driver, and its plan:
 *
 *   class             CONNECTION LIMIT of the database (option "classes":
 *                     small 25, medium 50, large none); in place.
 *   params.backups    daily | weekly | none | N days (0-35): recorded as the
 *                     database's comment (the local cluster takes no
 *                     backups; the terraform driver sets RDS's retention);
 *                     in place.
 *   params.encoding   UTF8 (default), LATIN1, LATIN9, SQL_ASCII, WIN1252:
 *                     a database's encoding is fixed when it is made, so a
 *                     change replaces it.
 * Other params are ignored here (a warning names them): they may be meant
 * for another environment's driver (storage_gb for terraform).
 */
#include <stdlib.h>
#include <string.h>

#include "pgdriver.h"

static const char *const encodings[] = { "UTF8", "LATIN1", "LATIN9", "SQL_ASCII", "WIN1252",
                                         NULL };

/* The value of params.KEY of RES as text (malloc()ed), or NULL. */
static char *param(json_t *res, const char *key)
{
	json_t *v = json_object_get(json_object_get(res, "params"), key);
	if (!v)
		return NULL;
	return json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
}

char *ppg_backups(json_t *res)
{
	char *b = param(res, "backups");
	return b ? b : strdup("daily");
}

const char *ppg_encoding(json_t *res)
{
	const char *e = json_string_value(json_object_get(json_object_get(res, "params"), "encoding"));
	return e ? e : "UTF8";
}

static bool valid_backups(const char *b)
{
	if (!strcmp(b, "daily") || !strcmp(b, "weekly") || !strcmp(b, "none") || !strcmp(b, "true") ||
	    !strcmp(b, "false"))
		return true;
	char *end;
	long v = strtol(b, &end, 10);
	return *b && !*end && v >= 0 && v <= 35;
}

static bool valid_encoding(const char *e)
{
	for (size_t i = 0; encodings[i]; i++)
		if (!strcmp(e, encodings[i]))
			return true;
	return false;
}

int ppg_connection_limit(paved_ctx *ctx, const char *cls)
{
	json_t *v = json_object_get(paved->option(ctx, "classes"), cls);
	return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

/* Refuse FIELD of RES: from OLD (may be NULL) to NOW. */
static int refuse(char **errmsg, json_t *res, const char *field, const char *old,
                  const char *now, const char *what, const char *list)
{
	return pc_refuse(errmsg, json_string_value(json_object_get(res, "name")), field, old, now,
	                 what, list);
}

int ppg_check(paved_ctx *ctx, json_t *res, json_t *prev, char **errmsg)
{
	const char *cls = json_string_value(json_object_get(res, "class"));
	json_t *classes = paved->option(ctx, "classes");
	char *b = param(res, "backups"), *ob = param(prev, "backups");
	int rc = PAVED_OK;
	if (!cls || !json_object_get(classes, cls)) {
		char *list = pc_keys(classes);
		rc = refuse(errmsg, res, "class", json_string_value(json_object_get(prev, "class")),
		            cls ? cls : "", "a known class", list ? list : "?");
		free(list);
	}
	else if (b && !valid_backups(b))
		rc = refuse(errmsg, res, "params.backups", ob, b, "a backups setting",
		            "daily, weekly, none or a number of days 0-35");
	else if (!valid_encoding(ppg_encoding(res)))
		rc = refuse(errmsg, res, "params.encoding", prev ? ppg_encoding(prev) : NULL,
		            ppg_encoding(res), "an encoding the local driver makes",
		            "UTF8, LATIN1, LATIN9, SQL_ASCII, WIN1252");
	free(b), free(ob);
	if (rc != PAVED_OK)
		return rc;
	static const char *const known[] = { "backups", "encoding", NULL };
	pc_unknown_params(ctx, res, "postgres-local", known);
	return PAVED_OK;
}

int ppg_plan(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg)
{
	if (ppg_check(ctx, res, prev, errmsg))
		return PAVED_ERR;
	json_t *fields = json_array();
	char *b = ppg_backups(res), *ob = ppg_backups(prev);
	bool replace = strcmp(ppg_encoding(res), ppg_encoding(prev)) != 0;
	if (replace)
		json_array_append_new(fields, json_string("params.encoding"));
	if (!json_equal(json_object_get(res, "class"), json_object_get(prev, "class")))
		json_array_append_new(fields, json_string("class"));
	if (strcmp(b, ob))
		json_array_append_new(fields, json_string("params.backups"));
	const char *action = replace ? "replace" : json_array_size(fields) ? "update" : "none";
	*result = json_pack("{ss so}", "action", action, "fields", fields);
	if (replace)
		json_object_set_new(*result, "reason", json_string("a database's encoding is fixed "
		                                                   "when it is made"));
	free(b), free(ob);
	return PAVED_OK;
}
