/*
 * schema.c -- the catalog's tables in the state database and their
 * migrations.
 *
 * The host owns PRAGMA user_version, so the catalog numbers its own
 * migrations in the table catalog_schema.  Migrations are forward only and
 * each runs in a BEGIN IMMEDIATE transaction that first re-reads the
 * version, so two paved processes starting at once migrate exactly once.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* Append only: never edit a released migration. */
static const char *const migrations[] = {
	/* 1: entities, tags, relations, full-text search */
	"CREATE TABLE catalog_entities ("
	"  id        INTEGER PRIMARY KEY,"
	"  ref       TEXT NOT NULL UNIQUE,"   /* kind:namespace/name, lower case */
	"  kind      TEXT NOT NULL,"
	"  namespace TEXT NOT NULL,"
	"  name      TEXT NOT NULL,"
	"  owner     TEXT,"                   /* resolved ref, group:default/x */
	"  lifecycle TEXT,"
	"  system    TEXT,"                   /* resolved ref, system:default/x */
	"  type      TEXT,"
	"  cost      REAL,"                   /* USD per month, own */
	"  source    TEXT,"                   /* file:line:col, or how it came */
	"  json      TEXT NOT NULL,"          /* the entity, whole */
	"  updated   TEXT NOT NULL);"
	"CREATE INDEX catalog_entities_kind ON catalog_entities(kind);"
	"CREATE INDEX catalog_entities_name ON catalog_entities(name);"
	"CREATE INDEX catalog_entities_owner ON catalog_entities(owner);"
	"CREATE INDEX catalog_entities_lifecycle ON catalog_entities(lifecycle);"
	"CREATE INDEX catalog_entities_system ON catalog_entities(system);"
	"CREATE TABLE catalog_tags ("
	"  tag    TEXT NOT NULL,"
	"  entity INTEGER NOT NULL,"
	"  PRIMARY KEY (tag, entity)) WITHOUT ROWID;"
	"CREATE INDEX catalog_tags_entity ON catalog_tags(entity);"
	"CREATE TABLE catalog_relations ("
	"  source TEXT NOT NULL,"
	"  type   TEXT NOT NULL,"                /* canonical: ownedBy, dependsOn, ... */
	"  target TEXT NOT NULL,"
	"  origin TEXT NOT NULL,"                /* ref of the entity that declared it */
	"  PRIMARY KEY (source, type, target, origin)) WITHOUT ROWID;"
	"CREATE INDEX catalog_relations_target ON catalog_relations(target, type);"
	"CREATE INDEX catalog_relations_origin ON catalog_relations(origin);"
	"CREATE VIRTUAL TABLE catalog_fts USING fts5("
	"  ref UNINDEXED, name, title, description, tags, other);",
};
#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

/* The secondary indexes a bulk import drops and rebuilds at its end (one
 * sort each instead of a random b-tree insert per row).  None of them is
 * read while importing: put looks entities up by ref (UNIQUE), replacing
 * one deletes its tags by entity and its relations by origin, and those
 * indexes stay.  Keep in step with the migrations above. */
static const char *const deferrable[][2] = {
	{ "catalog_entities_kind", "ON catalog_entities(kind)" },
	{ "catalog_entities_name", "ON catalog_entities(name)" },
	{ "catalog_entities_owner", "ON catalog_entities(owner)" },
	{ "catalog_entities_lifecycle", "ON catalog_entities(lifecycle)" },
	{ "catalog_entities_system", "ON catalog_entities(system)" },
	{ "catalog_relations_target", "ON catalog_relations(target, type)" },
};
#define NDEFERRABLE (sizeof deferrable / sizeof deferrable[0])

int cat_db_version(struct cat_db *c)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM catalog_schema",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Run SQL; on failure set *errmsg with WHAT. */
static int exec(struct cat_db *c, const char *sql, const char *what, char **errmsg)
{
	char *e = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &e) == SQLITE_OK)
		return 0;
	cat_err(errmsg, "state database: %s: %s", what, e ? e : sqlite3_errmsg(c->db));
	sqlite3_free(e);
	return -1;
}

/* Bring the catalog tables up to date. */
static int migrate(struct cat_db *c, char **errmsg)
{
	/* Fast path, taken by every command once the catalog exists: one
	 * read of the version (no DDL, no write lock). */
	if (cat_db_version(c) == NMIGRATIONS)
		return 0;
	if (exec(c, "CREATE TABLE IF NOT EXISTS catalog_schema ("
	            " version INTEGER PRIMARY KEY, applied TEXT NOT NULL)",
	         "creating catalog_schema", errmsg))
		return -1;
	int v = cat_db_version(c);
	if (v < 0)
		return cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
	if (v > NMIGRATIONS)
		return cat_err(errmsg, "catalog schema %d is newer than this plugin (knows %d): "
		               "upgrade paved", v, NMIGRATIONS);
	if (v == NMIGRATIONS)
		return 0;
	if (exec(c, "BEGIN IMMEDIATE", "starting the migration", errmsg))
		return -1;
	for (v = cat_db_version(c); v < NMIGRATIONS; v++) {
		char *sql = cat_printf("%s INSERT INTO catalog_schema VALUES (%d, "
		                       "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now'));",
		                       migrations[v], v + 1);
		char what[64];
		snprintf(what, sizeof what, "catalog migration %d", v + 1);
		if (!sql || exec(c, sql, what, errmsg)) {
			free(sql);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return sql ? -1 : cat_err(errmsg, "out of memory");
		}
		free(sql);
	}
	return exec(c, "COMMIT", "committing the migration", errmsg);
}

int cat_db_open(struct cat_db *c, const char *path, char **errmsg)
{
	memset(c, 0, sizeof *c);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX /* one thread per connection: no lock per call */,
	                    NULL)) {
		cat_err(errmsg, "cannot open %s: %s", path,
		        c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		c->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(c->db, 5000);
	if (exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	            "PRAGMA foreign_keys=ON; PRAGMA cache_size=-" CAT_CACHE_KB,
	         "setting up", errmsg) ||
	    migrate(c, errmsg)) {
		cat_db_close(c);
		return -1;
	}
	return 0;
}

int cat_db_defer_indexes(struct cat_db *c, char **errmsg)
{
	for (size_t i = 0; i < NDEFERRABLE; i++) {
		char *sql = cat_printf("DROP INDEX IF EXISTS %s", deferrable[i][0]);
		int rc = sql ? exec(c, sql, "deferring an index", errmsg)
		             : cat_err(errmsg, "out of memory");
		free(sql);
		if (rc)
			return -1;
	}
	return 0;
}

int cat_db_restore_indexes(struct cat_db *c, char **errmsg)
{
	for (size_t i = 0; i < NDEFERRABLE; i++) {
		char *sql = cat_printf("CREATE INDEX IF NOT EXISTS %s %s", deferrable[i][0],
		                       deferrable[i][1]);
		int rc = sql ? exec(c, sql, "rebuilding an index", errmsg)
		             : cat_err(errmsg, "out of memory");
		free(sql);
		if (rc)
			return -1;
	}
	return 0;
}

void cat_db_close(struct cat_db *c)
{
	for (size_t i = 0; i < sizeof c->st / sizeof c->st[0]; i++)
		sqlite3_finalize(c->st[i]);
	if (c->db && c->in_tx)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(c->db);
	memset(c, 0, sizeof *c);
}

int cat_db_begin(struct cat_db *c, char **errmsg)
{
	if (exec(c, "BEGIN IMMEDIATE", "starting a transaction", errmsg))
		return -1;
	c->in_tx = 1;
	return 0;
}

int cat_db_commit(struct cat_db *c, char **errmsg)
{
	int rc = exec(c, "COMMIT", "committing", errmsg);
	if (rc)
		cat_db_rollback(c);
	c->in_tx = 0;
	return rc;
}

void cat_db_rollback(struct cat_db *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->in_tx = 0;
}
