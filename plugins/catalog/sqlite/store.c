/*
 * store.c -- entities in and out of the state database: put, get, delete,
 * name resolution and the relations of one entity.
 *
 * An entity is stored whole (its JSON) with the columns queries filter on,
 * its tags in catalog_tags, its text in catalog_fts and the relations it
 * declares in catalog_edges (it is one end of each, by_target says which),
 * so replacing or deleting it removes exactly what it declared.  Relations name their ends by id in
 * catalog_refs, which holds every ref an entity is or names (a ref may be
 * named before, or without, its entity); an entity's id is its ref's id.
 */
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog.h"

/* Prepared statements, kept in cat_db.st[] by index. */
enum {
	S_FIND, S_INSERT, S_UPDATE, S_DEL_TAGS, S_ADD_TAG, S_DEL_RELS, S_ADD_REL,
	S_FTS_DEL, S_FTS_ADD, S_GET, S_DELETE, S_RELS, S_BYNAME, S_REF_FIND, S_REF_ADD,
	S_REF_DROP, S_DEL_RELS_IN, S_DOC_PUT, S_DOC_DEL, S_DOC_SET, S_LOC_FORGET, S_COUNT
};
_Static_assert(S_COUNT <= sizeof ((struct cat_db *)0)->st / sizeof (sqlite3_stmt *),
               "cat_db.st[] is too small for the statements");

static const char *const sql[] = {
	[S_FIND] = "SELECT e.id, d.source, d.location, d.hash FROM catalog_refs r"
	           " JOIN catalog_entities e ON e.id = r.id"
	           " LEFT JOIN catalog_documents d ON d.id = r.id WHERE r.ref = ?1",
	[S_INSERT] = "INSERT OR FAIL INTO catalog_entities (ref, kind, namespace, name, owner,"
	             " lifecycle, system, type, cost, id, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	             " ?7, ?8, ?9, ?10, ?11)",
	[S_UPDATE] = "UPDATE OR FAIL catalog_entities SET kind = ?2, namespace = ?3, name = ?4,"
	             " owner = ?5, lifecycle = ?6, system = ?7, type = ?8, cost = ?9,"
	             " updated = ?11 WHERE id = ?10",
	/* OR FAIL, not the default ABORT: a one-row write that fails has
	 * changed nothing either way, and SQLite opens a statement journal
	 * only for ABORT (or REPLACE) into a table with indexes; each one
	 * makes FTS5 flush its pending terms to a new segment (xSavepoint),
	 * thousands of tiny segments merged again in an import */
	[S_DOC_PUT] = "INSERT OR FAIL INTO catalog_documents (id, source, json, location, hash)"
	              " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DOC_SET] = "UPDATE OR FAIL catalog_documents SET source = ?2, json = ?3, location = ?4,"
	              " hash = ?5 WHERE id = ?1",
	[S_DOC_DEL] = "DELETE FROM catalog_documents WHERE id = ?1",
	/* a file that held a deleted entity is read again by the next import,
	 * even unchanged: it no longer matches what the catalog holds */
	[S_LOC_FORGET] = "DELETE FROM catalog_locations WHERE key ="
	                 " (SELECT location FROM catalog_documents WHERE id = ?1)",
	[S_DEL_TAGS] = "DELETE FROM catalog_tags WHERE entity = ?1",
	[S_ADD_TAG] = "INSERT OR IGNORE INTO catalog_tags (tag, entity) VALUES (?1, ?2)",
	[S_DEL_RELS] = "DELETE FROM catalog_edges WHERE source = ?1 AND by_target = 0",
	[S_DEL_RELS_IN] = "DELETE FROM catalog_edges WHERE target = ?1 AND by_target = 1",
	[S_ADD_REL] = "INSERT OR IGNORE INTO catalog_edges (source, type, target, by_target)"
	              " VALUES (?1, ?2, ?3, ?4)",
	[S_FTS_DEL] = "DELETE FROM catalog_fts WHERE rowid = ?1",
	[S_FTS_ADD] = "INSERT INTO catalog_fts (rowid, ref, name, title, description, tags, other)"
	              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_GET] = "SELECT d.json FROM catalog_refs r JOIN catalog_documents d"
	          " ON d.id = r.id WHERE r.ref = ?1",
	[S_DELETE] = "DELETE FROM catalog_entities WHERE id = ?1",
	[S_RELS] = "SELECT y.name, t.ref FROM catalog_edges x"
	           " JOIN catalog_relation_types y ON y.id = x.type JOIN catalog_refs t ON t.id = x.target"
	           " WHERE x.source = (SELECT id FROM catalog_refs WHERE ref = ?1)"
	           " UNION SELECT y.inverse, s.ref FROM catalog_edges x"
	           " JOIN catalog_relation_types y ON y.id = x.type JOIN catalog_refs s ON s.id = x.source"
	           " WHERE x.target = (SELECT id FROM catalog_refs WHERE ref = ?1) ORDER BY 1, 2",
	[S_BYNAME] = "SELECT ref, kind, namespace FROM catalog_entities WHERE name = ?1"
	             " ORDER BY ref",
	[S_REF_FIND] = "SELECT id FROM catalog_refs WHERE ref = ?1",
	[S_REF_ADD] = "INSERT INTO catalog_refs (ref) VALUES (?1) ON CONFLICT (ref) DO NOTHING",
	/* a ref with neither entity nor relation left is forgotten */
	[S_REF_DROP] = "DELETE FROM catalog_refs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM"
	               " catalog_edges WHERE source = ?1) AND NOT EXISTS (SELECT 1 FROM"
	               " catalog_edges WHERE target = ?1)",
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

/* The time as SQLite's strftime('%Y-%m-%dT%H:%M:%SZ','now') gives it,
 * formatted once a second (an import stores thousands a second). */
static const char *now(struct cat_db *c)
{
	time_t t = time(NULL);
	struct tm tm;
	if ((long)t != c->now || !c->now_text[0]) {
		c->now = (long)t;
		if (!gmtime_r(&t, &tm) ||
		    !strftime(c->now_text, sizeof c->now_text, "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(c->now_text, sizeof c->now_text, "1970-01-01T00:00:00Z");
	}
	return c->now_text;
}

/* The INSERT OR IGNORE of N (1..8) rows into the tags (WHICH 0: tag,
 * entity) or the relations (1: source, type, target, by_target),
 * prepared on first use and reset: one statement per entity instead of
 * one per row. */
static sqlite3_stmt *multi(struct cat_db *c, int which, size_t n)
{
	static const char *const head[] = {
		"INSERT OR IGNORE INTO catalog_tags (tag, entity) VALUES ",
		"INSERT OR IGNORE INTO catalog_edges (source, type, target, by_target) VALUES ",
	};
	static const char *const row[] = { "(?,?)", "(?,?,?,?)" };
	sqlite3_stmt **st = &c->multi[which][n - 1];
	if (!*st) {
		char sql[256];
		size_t len = (size_t)snprintf(sql, sizeof sql, "%s", head[which]);
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s", i ? "," : "",
			                        row[which]);
		if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
			return NULL;
	}
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return *st;
}
#define MULTI (sizeof ((struct cat_db *)0)->multi[0] / sizeof ((struct cat_db *)0)->multi[0][0])

/* Bind text V (NULL binds NULL) as a transient copy. */
static void bind(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Bind text V in place: V outlives the statement's next step (the
 * strings of a cat_prep, say).  stmt() clears the binding before reuse. */
static void bind_static(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
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

/* The id of REF in catalog_refs, added if new; -1 on error.  Inside a
 * transaction: the ids it hands out are cached until it ends. */
static sqlite3_int64 ref_id(struct cat_db *c, const char *ref)
{
	int known = cat_set_get(&c->ids, ref);
	if (known > 0)
		return known;
	/* Most refs an import meets are new: try to add it first. */
	sqlite3_stmt *st = stmt(c, S_REF_ADD);
	if (!st)
		return -1;
	bind_static(st, 1, ref);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	sqlite3_int64 id = sqlite3_changes(c->db) ? sqlite3_last_insert_rowid(c->db) : 0;
	if (!id) {
		if (!(st = stmt(c, S_REF_FIND)))
			return -1;
		bind_static(st, 1, ref);
		rc = sqlite3_step(st);
		id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_reset(st);
	}
	/* a cache miss later only costs a look-up, unless every ref was to
	 * be in the cache */
	if (id > INT_MAX || cat_set_put(&c->ids, ref, (int)id))
		c->ids_all = false;
	return id;
}

/* Write tags, text and relations of entity ID (prepared in P). */
static int write_index(struct cat_db *c, sqlite3_int64 id, const struct cat_prep *p,
                       char **errmsg)
{
	sqlite3_stmt *st;
	for (size_t i = 0; i < p->ntags; i += MULTI) {
		size_t n = p->ntags - i < MULTI ? p->ntags - i : MULTI;
		if (!(st = multi(c, 0, n)))
			return run(c, NULL, errmsg);
		for (size_t k = 0; k < n; k++) {
			bind_static(st, 2 * (int)k + 1, p->tags[i + k]);
			sqlite3_bind_int64(st, 2 * (int)k + 2, id);
		}
		if (run(c, st, errmsg))
			return -1;
	}
	if ((st = stmt(c, S_FTS_ADD))) {
		sqlite3_bind_int64(st, 1, id);
		bind_static(st, 2, p->ref);
		bind_static(st, 3, p->name);
		bind_static(st, 4, p->title);
		bind_static(st, 5, p->description);
		bind_static(st, 6, p->fts_tags);
		bind_static(st, 7, p->fts_other);
	}
	if (run(c, st, errmsg))
		return -1;
	for (size_t i = 0; i < p->nrels; i += MULTI) {
		size_t n = p->nrels - i < MULTI ? p->nrels - i : MULTI;
		sqlite3_int64 ends[2 * MULTI];
		/* the ids first: ref_id may run statements of its own */
		for (size_t k = 0; k < n; k++) {
			/* one end is the entity itself: no look-up for it */
			const struct cat_prep_rel *r = &p->rels[i + k];
			ends[2 * k] = strcmp(r->source, p->ref) ? ref_id(c, r->source) : id;
			ends[2 * k + 1] = strcmp(r->target, p->ref) ? ref_id(c, r->target) : id;
			if (ends[2 * k] < 0 || ends[2 * k + 1] < 0)
				return run(c, NULL, errmsg);
		}
		if (!(st = multi(c, 1, n)))
			return run(c, NULL, errmsg);
		for (size_t k = 0; k < n; k++) {
			sqlite3_int64 a = ends[2 * k], b = ends[2 * k + 1];
			int col = 4 * (int)k;
			sqlite3_bind_int64(st, col + 1, a);
			sqlite3_bind_int(st, col + 2, p->rels[i + k].type);
			sqlite3_bind_int64(st, col + 3, b);
			sqlite3_bind_int(st, col + 4, b == id && a != id);
		}
		if (run(c, st, errmsg))
			return -1;
	}
	return 0;
}

/* Remove the tags, text and declared relations of entity ID. */
static int clear_index(struct cat_db *c, sqlite3_int64 id, char **errmsg)
{
	sqlite3_stmt *st;
	/* relations declared by their target are found by the target index,
	 * which a bulk import may have dropped */
	if (cat_db_restore_indexes(c, errmsg))
		return -1;
	if (!(st = stmt(c, S_DEL_TAGS)))
		return run(c, NULL, errmsg);
	sqlite3_bind_int64(st, 1, id);
	if (run(c, st, errmsg) || !(st = stmt(c, S_FTS_DEL)))
		return run(c, NULL, errmsg);
	sqlite3_bind_int64(st, 1, id);
	if (run(c, st, errmsg) || !(st = stmt(c, S_DEL_RELS)))
		return run(c, NULL, errmsg);
	sqlite3_bind_int64(st, 1, id);
	if (run(c, st, errmsg) || !(st = stmt(c, S_DEL_RELS_IN)))
		return run(c, NULL, errmsg);
	sqlite3_bind_int64(st, 1, id);
	return run(c, st, errmsg);
}

/* Row id of REF, 0 when absent, -1 on error. */
static sqlite3_int64 find(struct cat_db *c, const char *ref)
{
	sqlite3_stmt *st = stmt(c, S_FIND);
	if (!st)
		return -1;
	bind(st, 1, ref);
	int rc = sqlite3_step(st);
	sqlite3_int64 id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(st);
	return id;
}

bool cat_exists(struct cat_db *c, const char *ref)
{
	return find(c, ref) > 0;
}

/* Write the document row of entity ID (P's text, SOURCE, LOCATION):
 * replace it when OLD (it may exist), else add it. */
static int put_document(struct cat_db *c, sqlite3_int64 id, bool old, const char *source,
                        const struct cat_prep *p, const char *location, char **errmsg)
{
	for (int i = old ? S_DOC_SET : S_DOC_PUT;; i = S_DOC_PUT) {
		sqlite3_stmt *st = stmt(c, i);
		if (!st)
			return run(c, NULL, errmsg);
		sqlite3_bind_int64(st, 1, id);
		bind_static(st, 2, source);
		bind_static(st, 3, p->text);
		bind_static(st, 4, location);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)p->hash);
		if (run(c, st, errmsg))
			return -1;
		if (i == S_DOC_PUT || sqlite3_changes(c->db) > 0)
			return 0;
	}
}

/* Store P as entity ID (0 for new) inside the current transaction,
 * owned by LOCATION (may be NULL); *ID_OUT gets its id. */
static int store(struct cat_db *c, const struct cat_prep *p, sqlite3_int64 id,
                 const char *source, const char *location, sqlite3_int64 *id_out,
                 char **errmsg)
{
	bool created = id == 0;
	sqlite3_stmt *st;
	if (created && (id = ref_id(c, p->ref)) < 0)
		return run(c, NULL, errmsg);
	*id_out = id;
	if ((st = stmt(c, created ? S_INSERT : S_UPDATE))) {
		bind_static(st, 1, p->ref);
		bind_static(st, 2, p->kind);
		bind_static(st, 3, p->ns);
		bind_static(st, 4, p->name);
		bind_static(st, 5, p->owner);
		bind_static(st, 6, p->lifecycle);
		bind_static(st, 7, p->system);
		bind_static(st, 8, p->type);
		if (p->cost >= 0)
			sqlite3_bind_double(st, 9, p->cost);
		sqlite3_bind_int64(st, 10, id);
		bind_static(st, 11, now(c));
	}
	if (run(c, st, errmsg) || put_document(c, id, !created, source, p, location, errmsg) ||
	    (!created && clear_index(c, id, errmsg)))
		return -1;
	return write_index(c, id, p, errmsg);
}

/* A copy of text column I of ST, or NULL. */
static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

int cat_put_prep(struct cat_db *c, const struct cat_prep *p, const char *source,
                 const char *location, struct cat_put_info *info, char **errmsg)
{
	bool own_tx = !c->in_tx;
	int rc = -1;
	info->outcome = CAT_PUT_CREATED;
	info->old_source = info->owner = NULL;
	if (own_tx && cat_db_begin(c, errmsg))
		return -1;
	/* what the catalog holds for the ref: row, source, owner, hash; the
	 * strings are read in place, copied only for the outcome that names them */
	/* An import into an empty catalog knows every ref and entity there
	 * is: a ref it has not seen is new, and an entity it has not placed is
	 * not there.  Only a duplicate reads what the first one was. */
	int known = c->ids_all && info->placed ? cat_set_get(&c->ids, p->ref) : 0;
	bool look = !c->ids_all || !info->placed || (known > 0 && cat_idset_has(info->placed, known));
	sqlite3_stmt *st = look ? stmt(c, S_FIND) : NULL;
	sqlite3_int64 id = look ? -1 : 0;
	if (st) {
		bind_static(st, 1, p->ref);
		int step = sqlite3_step(st);
		id = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : step == SQLITE_DONE ? 0 : -1;
		if (id > 0) {
			const char *owner = (const char *)sqlite3_column_text(st, 2);
			if (info->placed && cat_idset_has(info->placed, id)) {
				info->outcome = CAT_PUT_DUPLICATE;
				info->owner = col_dup(st, 1);
			} else if (location && owner && strcmp(owner, location)) {
				/* another location owns it: Backstage's "conflicting entity" */
				info->outcome = CAT_PUT_CONFLICT;
				info->owner = col_dup(st, 2);
			} else if (location && owner && sqlite3_column_int64(st, 3) ==
			           (sqlite3_int64)p->hash) {
				info->outcome = CAT_PUT_UNCHANGED;   /* the same document, same place */
			} else {
				info->outcome = CAT_PUT_UPDATED;
				if (!owner)
					info->old_source = col_dup(st, 1);
			}
		}
		sqlite3_reset(st);
	}
	if (id < 0)
		cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	else if (info->outcome == CAT_PUT_CREATED || info->outcome == CAT_PUT_UPDATED)
		rc = store(c, p, id, source, location, &id, errmsg);
	else
		rc = 0;
	if (rc == 0 && info->placed && info->outcome != CAT_PUT_CONFLICT &&
	    info->outcome != CAT_PUT_DUPLICATE && cat_idset_add(info->placed, id))
		rc = cat_err(errmsg, "out of memory");
	if (own_tx)
		rc = rc ? (cat_db_rollback(c), -1) : cat_db_commit(c, errmsg);
	return rc;
}

int cat_put(struct cat_db *c, json_t *entity, const char *source, json_t *warnings,
            char **ref_out, bool *created, char **errmsg)
{
	if (cat_entity_validate(entity, warnings, errmsg))
		return -1;
	struct cat_prep p;
	if (cat_prep_init(&p, entity, errmsg))
		return -1;
	struct cat_put_info info = { 0 };
	int rc = cat_put_prep(c, &p, source, NULL, &info, errmsg);
	if (created)
		*created = info.outcome == CAT_PUT_CREATED;
	free(info.old_source), free(info.owner);
	if (rc == 0 && ref_out && !(*ref_out = strdup(p.ref)))
		rc = cat_err(errmsg, "out of memory");
	cat_prep_free(&p);
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
	else if ((rc = clear_index(c, id, errmsg)) == 0) {
		if ((st = stmt(c, S_DELETE)))
			sqlite3_bind_int64(st, 1, id);
		rc = run(c, st, errmsg);
		if (rc == 0 && (st = stmt(c, S_LOC_FORGET)))
			sqlite3_bind_int64(st, 1, id);
		if (rc == 0)
			rc = run(c, st, errmsg);
		if (rc == 0 && (st = stmt(c, S_DOC_DEL)))
			sqlite3_bind_int64(st, 1, id);
		if (rc == 0)
			rc = run(c, st, errmsg);
		if (rc == 0 && (st = stmt(c, S_REF_DROP)))
			sqlite3_bind_int64(st, 1, id);
		if (rc == 0 && (rc = run(c, st, errmsg)) == 0) {
			c->ids_all = false;
			cat_set_free(&c->ids);   /* its id may be gone */
		}
	}
	if (own_tx)
		rc = rc ? (cat_db_rollback(c), -1) : cat_db_commit(c, errmsg);
	return rc;
}

int cat_resolve(struct cat_db *c, const char *text, char **ref_out, char **errmsg)
{
	*ref_out = NULL;
	if (!text || !*text)
		return cat_err(errmsg, "an entity name or reference is required");
	if (strchr(text, ':')) {
		char *ref = cat_ref_canon(text, NULL, "default", errmsg);
		if (!ref)
			return -1;
		if (cat_exists(c, ref)) {
			*ref_out = ref;
			return 0;
		}
		cat_err(errmsg, "no entity '%s' in the catalog", ref);
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
