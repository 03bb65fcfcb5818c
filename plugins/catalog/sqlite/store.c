/*
 * store.c -- entities in and out of the state database: put, get, delete,
 * name resolution and the relations of one entity.
 *
 * An entity is stored whole (its JSON) with the columns queries filter on,
 * its tags in catalog_tags, its text in catalog_fts and the relations it
 * declares in catalog_relations (origin = its ref), so replacing or
 * deleting it removes exactly what it declared.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* Prepared statements, kept in cat_db.st[] by index. */
enum {
	S_FIND, S_INSERT, S_UPDATE, S_DEL_TAGS, S_ADD_TAG, S_DEL_RELS, S_ADD_REL,
	S_FTS_DEL, S_FTS_ADD, S_GET, S_DELETE, S_RELS, S_BYNAME
};

/* SQL mapping a canonical relation type to its inverse. */
#define INVERSE_SQL \
	"CASE type WHEN 'ownedBy' THEN 'ownerOf' WHEN 'dependsOn' THEN 'dependencyOf' " \
	"WHEN 'providesApi' THEN 'apiProvidedBy' WHEN 'consumesApi' THEN 'apiConsumedBy' " \
	"WHEN 'partOf' THEN 'hasPart' WHEN 'memberOf' THEN 'hasMember' " \
	"WHEN 'childOf' THEN 'parentOf' ELSE type END"

static const char *const sql[] = {
	[S_FIND] = "SELECT id, source FROM catalog_entities WHERE ref = ?1",
	[S_INSERT] = "INSERT INTO catalog_entities (ref, kind, namespace, name, owner, lifecycle,"
	             " system, type, cost, source, json, updated) VALUES (?1, ?2, ?3, ?4, ?5,"
	             " ?6, ?7, ?8, ?9, ?10, ?11, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
	[S_UPDATE] = "UPDATE catalog_entities SET kind = ?2, namespace = ?3, name = ?4,"
	             " owner = ?5, lifecycle = ?6, system = ?7, type = ?8, cost = ?9,"
	             " source = ?10, json = ?11, updated = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
	             " WHERE ref = ?1",
	[S_DEL_TAGS] = "DELETE FROM catalog_tags WHERE entity = ?1",
	[S_ADD_TAG] = "INSERT OR IGNORE INTO catalog_tags (tag, entity) VALUES (?1, ?2)",
	[S_DEL_RELS] = "DELETE FROM catalog_relations WHERE origin = ?1",
	[S_ADD_REL] = "INSERT OR IGNORE INTO catalog_relations (source, type, target, origin)"
	              " VALUES (?1, ?2, ?3, ?4)",
	[S_FTS_DEL] = "DELETE FROM catalog_fts WHERE rowid = ?1",
	[S_FTS_ADD] = "INSERT INTO catalog_fts (rowid, ref, name, title, description, tags, other)"
	              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_GET] = "SELECT json, source FROM catalog_entities WHERE ref = ?1",
	[S_DELETE] = "DELETE FROM catalog_entities WHERE id = ?1",
	[S_RELS] = "SELECT type, target FROM catalog_relations WHERE source = ?1"
	           " UNION SELECT " INVERSE_SQL ", source FROM catalog_relations"
	           " WHERE target = ?1 ORDER BY 1, 2",
	[S_BYNAME] = "SELECT ref, kind, namespace FROM catalog_entities WHERE name = ?1"
	             " ORDER BY ref",
};

/* The prepared, reset statement number I (prepared on first use). */
static sqlite3_stmt *stmt(struct cat_db *c, int i)
{
	if (!c->st[i] && sqlite3_prepare_v2(c->db, sql[i], -1, &c->st[i], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(c->st[i]);
	sqlite3_clear_bindings(c->st[i]);
	return c->st[i];
}

/* Bind text V (NULL binds NULL) as a transient copy. */
static void bind(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Step ST to completion; 0, or -1 with *errmsg set. */
static int run(struct cat_db *c, sqlite3_stmt *st, char **errmsg)
{
	if (!st)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	return 0;
}

/* Resolve spec field FIELD of E to a canonical ref (default kind DEF). */
static char *field_ref(json_t *e, const char *field, const char *def)
{
	const char *v = cat_get_str(e, field);
	struct cat_ref r;
	if (!v || cat_ref_parse(v, def, cat_get_str(e, "metadata.namespace"), &r, NULL))
		return NULL;
	char *s = cat_ref_str(&r);
	cat_ref_free(&r);
	return s;
}

/* Space-joined tags of E, malloc()ed. */
static char *joined_tags(json_t *e)
{
	json_t *tags = json_object_get(json_object_get(e, "metadata"), "tags"), *t;
	size_t i, n = 1;
	json_array_foreach(tags, i, t)
		n += strlen(json_string_value(t)) + 1;
	char *s = calloc(1, n);
	json_array_foreach(tags, i, t) {
		if (!s)
			break;
		if (*s)
			strcat(s, " ");
		strcat(s, json_string_value(t));
	}
	return s;
}

/* Write tags, text and relations of entity ID / REF. */
static int write_index(struct cat_db *c, sqlite3_int64 id, const char *ref, json_t *e,
                       json_t *rels, char **errmsg)
{
	sqlite3_stmt *st;
	json_t *tags = json_object_get(json_object_get(e, "metadata"), "tags"), *t;
	size_t i;
	json_array_foreach(tags, i, t) {
		char *low = cat_lower(json_string_value(t));
		if (!(st = stmt(c, S_ADD_TAG))) {
			free(low);
			return run(c, NULL, errmsg);
		}
		bind(st, 1, low);
		sqlite3_bind_int64(st, 2, id);
		free(low);
		if (run(c, st, errmsg))
			return -1;
	}
	char *tagtext = joined_tags(e);
	char *other = cat_printf("%s %s %s %s %s", cat_get_str(e, "kind"),
	                         cat_get_str(e, "spec.type") ? cat_get_str(e, "spec.type") : "",
	                         cat_get_str(e, "spec.lifecycle") ? cat_get_str(e, "spec.lifecycle") : "",
	                         cat_get_str(e, "spec.owner") ? cat_get_str(e, "spec.owner") : "",
	                         cat_get_str(e, "spec.system") ? cat_get_str(e, "spec.system") : "");
	int rc = -1;
	if ((st = stmt(c, S_FTS_ADD))) {
		sqlite3_bind_int64(st, 1, id);
		bind(st, 2, ref);
		bind(st, 3, cat_get_str(e, "metadata.name"));
		bind(st, 4, cat_get_str(e, "metadata.title"));
		bind(st, 5, cat_get_str(e, "metadata.description"));
		bind(st, 6, tagtext);
		bind(st, 7, other);
	}
	rc = run(c, st, errmsg);
	free(tagtext);
	free(other);
	if (rc)
		return -1;
	if (!cat_kind_known(cat_get_str(e, "kind")))
		return 0;
	json_t *r;
	json_array_foreach(rels, i, r) {
		if (!(st = stmt(c, S_ADD_REL)) && (rc = run(c, NULL, errmsg)))
			break;
		bind(st, 1, json_string_value(json_object_get(r, "source")));
		bind(st, 2, json_string_value(json_object_get(r, "type")));
		bind(st, 3, json_string_value(json_object_get(r, "target")));
		bind(st, 4, ref);
		if ((rc = run(c, st, errmsg)))
			break;
	}
	return rc;
}

/* Remove the tags, text and declared relations of entity ID / REF. */
static int clear_index(struct cat_db *c, sqlite3_int64 id, const char *ref, char **errmsg)
{
	sqlite3_stmt *st;
	if (!(st = stmt(c, S_DEL_TAGS)))
		return run(c, NULL, errmsg);
	sqlite3_bind_int64(st, 1, id);
	if (run(c, st, errmsg) || !(st = stmt(c, S_FTS_DEL)))
		return run(c, NULL, errmsg);
	sqlite3_bind_int64(st, 1, id);
	if (run(c, st, errmsg) || !(st = stmt(c, S_DEL_RELS)))
		return run(c, NULL, errmsg);
	bind(st, 1, ref);
	return run(c, st, errmsg);
}

/* Row id of REF, 0 when absent, -1 on error; *SOURCE (if not NULL) gets
 * its recorded source, malloc()ed, or NULL. */
static sqlite3_int64 find_src(struct cat_db *c, const char *ref, char **source)
{
	sqlite3_stmt *st = stmt(c, S_FIND);
	if (source)
		*source = NULL;
	if (!st)
		return -1;
	bind(st, 1, ref);
	int rc = sqlite3_step(st);
	sqlite3_int64 id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -1;
	if (rc == SQLITE_ROW && source && sqlite3_column_text(st, 1))
		*source = strdup((const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return id;
}

static sqlite3_int64 find(struct cat_db *c, const char *ref)
{
	return find_src(c, ref, NULL);
}

bool cat_exists(struct cat_db *c, const char *ref)
{
	return find(c, ref) > 0;
}

/* Store E as REF (id ID, 0 for new) inside the current transaction. */
static int store(struct cat_db *c, json_t *e, const char *ref, sqlite3_int64 id,
                 const char *source, json_t *rels, char **errmsg)
{
	struct cat_ref r;
	cat_ref_parse(ref, NULL, NULL, &r, NULL);
	char *owner = field_ref(e, "spec.owner", "group");
	char *system = field_ref(e, "spec.system", "system");
	char *text = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
	double cost = cat_entity_cost(e);
	sqlite3_stmt *st = stmt(c, id ? S_UPDATE : S_INSERT);
	int rc = -1;
	if (!text || !r.kind) {
		cat_err(errmsg, "out of memory");
		goto done;
	}
	if (st) {
		bind(st, 1, ref);
		bind(st, 2, r.kind);
		bind(st, 3, r.ns);
		bind(st, 4, r.name);
		bind(st, 5, owner);
		bind(st, 6, cat_get_str(e, "spec.lifecycle"));
		bind(st, 7, system);
		bind(st, 8, cat_get_str(e, "spec.type"));
		if (cost >= 0)
			sqlite3_bind_double(st, 9, cost);
		bind(st, 10, source);
		bind(st, 11, text);
	}
	if (run(c, st, errmsg))
		goto done;
	if (!id)
		id = sqlite3_last_insert_rowid(c->db);
	else if (clear_index(c, id, ref, errmsg))
		goto done;
	rc = write_index(c, id, ref, e, rels, errmsg);
done:
	cat_ref_free(&r);
	free(owner), free(system), free(text);
	return rc;
}

int cat_put_valid(struct cat_db *c, json_t *entity, const char *ref, const char *source,
                  char **old_source, bool *created, char **errmsg)
{
	bool own_tx = !c->in_tx;
	int rc = -1;
	json_t *rels = NULL;
	if (old_source)
		*old_source = NULL;
	if (own_tx && cat_db_begin(c, errmsg))
		return -1;
	sqlite3_int64 id = find_src(c, ref, old_source);
	if (id < 0) {
		cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
		goto done;
	}
	/* Relations are checked before anything is written. */
	rels = json_array();
	rc = rels ? cat_relations_of(entity, rels, errmsg) : cat_err(errmsg, "out of memory");
	if (rc == 0)
		rc = store(c, entity, ref, id, source, rels, errmsg);
	if (created)
		*created = id == 0;
done:
	json_decref(rels);
	if (own_tx)
		rc = rc ? (cat_db_rollback(c), -1) : cat_db_commit(c, errmsg);
	return rc;
}

int cat_put(struct cat_db *c, json_t *entity, const char *source, json_t *warnings,
            char **ref_out, bool *created, char **errmsg)
{
	if (cat_entity_validate(entity, warnings, errmsg))
		return -1;
	char *ref = cat_entity_ref(entity);
	if (!ref)
		return cat_err(errmsg, "out of memory");
	int rc = cat_put_valid(c, entity, ref, source, NULL, created, errmsg);
	if (rc == 0 && ref_out)
		*ref_out = ref;
	else
		free(ref);
	return rc;
}

json_t *cat_relations_get(struct cat_db *c, const char *ref)
{
	sqlite3_stmt *st = stmt(c, S_RELS);
	json_t *out = json_array();
	if (!st || !out)
		return out;
	bind(st, 1, ref);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_pack("{ssss}",
			"type", (const char *)sqlite3_column_text(st, 0),
			"targetRef", (const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	return out;
}

json_t *cat_get(struct cat_db *c, const char *ref)
{
	sqlite3_stmt *st = stmt(c, S_GET);
	json_t *e = NULL;
	if (!st)
		return NULL;
	bind(st, 1, ref);
	if (sqlite3_step(st) == SQLITE_ROW)
		e = json_loads((const char *)sqlite3_column_text(st, 0), JSON_DECODE_ANY, NULL);
	sqlite3_reset(st);
	if (e)
		json_object_set_new(e, "relations", cat_relations_get(c, ref));
	return e;
}

char *cat_source_of(struct cat_db *c, const char *ref)
{
	sqlite3_stmt *st = stmt(c, S_GET);
	char *s = NULL;
	if (!st)
		return NULL;
	bind(st, 1, ref);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1))
		s = strdup((const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return s;
}

int cat_delete(struct cat_db *c, const char *ref, char **errmsg)
{
	bool own_tx = !c->in_tx;
	if (own_tx && cat_db_begin(c, errmsg))
		return -1;
	sqlite3_int64 id = find(c, ref);
	int rc;
	sqlite3_stmt *st;
	if (id <= 0)
		rc = id < 0 ? run(c, NULL, errmsg)
		            : cat_err(errmsg, "no entity '%s' in the catalog", ref);
	else if ((rc = clear_index(c, id, ref, errmsg)) == 0) {
		if ((st = stmt(c, S_DELETE)))
			sqlite3_bind_int64(st, 1, id);
		rc = run(c, st, errmsg);
	}
	if (own_tx)
		rc = rc ? (cat_db_rollback(c), -1) : cat_db_commit(c, errmsg);
	return rc;
}

int cat_resolve(struct cat_db *c, const char *text, char **ref_out, char **errmsg)
{
	struct cat_ref r;
	*ref_out = NULL;
	if (!text || !*text)
		return cat_err(errmsg, "an entity name or reference is required");
	if (strchr(text, ':')) {
		if (cat_ref_parse(text, NULL, "default", &r, errmsg))
			return -1;
		char *ref = cat_ref_str(&r);
		cat_ref_free(&r);
		if (ref && cat_exists(c, ref)) {
			*ref_out = ref;
			return 0;
		}
		cat_err(errmsg, "no entity '%s' in the catalog", ref ? ref : text);
		free(ref);
		return -1;
	}
	/* A bare name or ns/name: look across kinds. */
	const char *slash = strchr(text, '/');
	char *ns = slash ? cat_lower(text) : NULL;
	if (ns)
		ns[slash - text] = '\0';
	char *name = cat_lower(slash ? slash + 1 : text);
	sqlite3_stmt *st = stmt(c, S_BYNAME);
	struct cat_strv all = { 0 };
	char *pick = NULL;
	int ncomp = 0, ndefault = 0;
	if (st) {
		bind(st, 1, name);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *ref = (const char *)sqlite3_column_text(st, 0);
			const char *kind = (const char *)sqlite3_column_text(st, 1);
			const char *rns = (const char *)sqlite3_column_text(st, 2);
			if (ns && strcmp(ns, rns) != 0)
				continue;
			cat_strv_push(&all, ref);
			ndefault += strcmp(rns, "default") == 0;
			if (strcmp(kind, "component") == 0 && strcmp(rns, ns ? ns : "default") == 0) {
				ncomp++;
				free(pick);
				pick = strdup(ref);
			}
		}
		sqlite3_reset(st);
	}
	int rc = 0;
	if (all.len == 1) {
		free(pick);
		pick = strdup(all.v[0]);
	} else if (ncomp != 1) {
		free(pick);
		pick = NULL;
	}
	if (!pick && all.len == 0) {
		rc = cat_err(errmsg, "no entity named '%s' in the catalog; try 'paved catalog "
		             "search %s'", text, text);
	} else if (!pick) {
		size_t n = 1;
		for (size_t i = 0; i < all.len; i++)
			n += strlen(all.v[i]) + 2;
		char *list = calloc(1, n);
		for (size_t i = 0; list && i < all.len; i++)
			strcat(strcat(list, i ? ", " : ""), all.v[i]);
		rc = cat_err(errmsg, "'%s' is ambiguous: %s; give the full reference", text,
		             list ? list : "");
		free(list);
	}
	(void)ndefault;
	*ref_out = pick;
	cat_strv_free(&all);
	free(ns), free(name);
	return rc;
}
