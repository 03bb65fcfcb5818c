/*
 * schema.c -- the catalog's tables in the state database and their
 * migrations.
 *
 * The host owns PRAGMA user_version, so the catalog numbers its own
 * migrations in the table catalog_schema.  Migrations are forward only and
 * each runs in a BEGIN IMMEDIATE transaction that first re-reads the
 * version, so two paved processes starting at once migrate exactly once.
 */
#include <stdio.h>
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

	/* 2: integer keys, narrow rows.  Every ref an entity is or names gets
	 * an id in catalog_refs, the one index by ref text (an entity's id is
	 * its ref's id).  A relation is four integers instead of four strings.
	 * An entity declares relations it is one end of, so which end
	 * declared it is a flag, and the ends' own indexes find what an
	 * entity declared (no index by origin).  The JSON moves out of
	 * catalog_entities into catalog_documents, so the filter columns are
	 * a small table (an index build scans it).  catalog_relations stays
	 * as a view with the old columns. */
	"CREATE TABLE catalog_refs ("
	"  id  INTEGER PRIMARY KEY,"             /* = catalog_entities.id when it exists */
	"  ref TEXT NOT NULL UNIQUE);"
	"CREATE TABLE catalog_documents ("
	"  id     INTEGER PRIMARY KEY,"          /* catalog_entities.id */
	"  source TEXT,"                         /* file:line:col, or how it came */
	"  json   TEXT NOT NULL);"               /* the entity, whole */
	"INSERT INTO catalog_documents SELECT id, source, json FROM catalog_entities;"
	"CREATE TABLE catalog_entities_v2 ("
	"  id        INTEGER PRIMARY KEY,"
	"  ref       TEXT NOT NULL,"             /* = catalog_refs.ref of id */
	"  kind      TEXT NOT NULL,"
	"  namespace TEXT NOT NULL,"
	"  name      TEXT NOT NULL,"
	"  owner     TEXT,"                      /* resolved ref, group:default/x */
	"  lifecycle TEXT,"
	"  system    TEXT,"                      /* resolved ref, system:default/x */
	"  type      TEXT,"
	"  cost      REAL,"                      /* USD per month, own */
	"  updated   TEXT NOT NULL);"
	"INSERT INTO catalog_entities_v2 SELECT id, ref, kind, namespace, name, owner, lifecycle,"
	"  system, type, cost, updated FROM catalog_entities;"
	"CREATE TABLE catalog_relation_types ("
	"  id      INTEGER PRIMARY KEY,"
	"  name    TEXT NOT NULL UNIQUE,"        /* canonical: stored this way */
	"  inverse TEXT NOT NULL UNIQUE);"
	"INSERT INTO catalog_relation_types VALUES (1, 'ownedBy', 'ownerOf'),"
	"  (2, 'dependsOn', 'dependencyOf'), (3, 'providesApi', 'apiProvidedBy'),"
	"  (4, 'consumesApi', 'apiConsumedBy'), (5, 'partOf', 'hasPart'),"
	"  (6, 'memberOf', 'hasMember'), (7, 'childOf', 'parentOf');"
	"CREATE TABLE catalog_edges ("
	"  source INTEGER NOT NULL,"
	"  type   INTEGER NOT NULL,"             /* catalog_relation_types.id */
	"  target INTEGER NOT NULL,"
	"  by_target INTEGER NOT NULL,"          /* declared by: 0 the source, 1 the target */
	"  PRIMARY KEY (source, type, target, by_target)) WITHOUT ROWID;"
	"INSERT INTO catalog_refs (id, ref) SELECT id, ref FROM catalog_entities;"
	"INSERT OR IGNORE INTO catalog_refs (ref)"
	"  SELECT source FROM catalog_relations UNION SELECT target FROM catalog_relations;"
	"DROP TABLE catalog_entities;"
	"ALTER TABLE catalog_entities_v2 RENAME TO catalog_entities;"
	"CREATE INDEX catalog_entities_kind ON catalog_entities(kind);"
	"CREATE INDEX catalog_entities_name ON catalog_entities(name);"
	"CREATE INDEX catalog_entities_owner ON catalog_entities(owner);"
	"CREATE INDEX catalog_entities_lifecycle ON catalog_entities(lifecycle);"
	"CREATE INDEX catalog_entities_system ON catalog_entities(system);"
	"INSERT INTO catalog_edges SELECT s.id, y.id, t.id, r.origin = r.target AND r.origin <> r.source"
	"  FROM catalog_relations r JOIN catalog_refs s ON s.ref = r.source"
	"  JOIN catalog_relation_types y ON y.name = r.type JOIN catalog_refs t ON t.ref = r.target;"
	"DROP TABLE catalog_relations;"
	"CREATE INDEX catalog_edges_target ON catalog_edges(target, type);"
	"CREATE VIEW catalog_relations (source, type, target, origin) AS"
	"  SELECT s.ref, y.name, t.ref, CASE WHEN x.by_target THEN t.ref ELSE s.ref END"
	"  FROM catalog_edges x JOIN catalog_refs s ON s.id = x.source"
	"  JOIN catalog_relation_types y ON y.id = x.type JOIN catalog_refs t ON t.id = x.target;",

	/* 3: an entity is owned by the location (file) it came from, as in
	 * Backstage: another location defining it conflicts instead of
	 * replacing it.  The hash of the stored text lets a re-import skip
	 * unchanged documents; catalog_locations remembers each file read
	 * whole without a problem, so an unchanged file is not even parsed.
	 * Entities from before have no owner: the next import claims them. */
	"ALTER TABLE catalog_documents ADD COLUMN location TEXT;"   /* file:/real/path, or NULL */
	"ALTER TABLE catalog_documents ADD COLUMN hash INTEGER;"    /* cat_hash of json */
	"CREATE INDEX catalog_documents_location ON catalog_documents(location);"
	"CREATE TABLE catalog_locations ("
	"  key      TEXT PRIMARY KEY,"           /* file:/real/path */
	"  hash     INTEGER NOT NULL,"           /* cat_hash of the file's bytes */
	"  entities INTEGER NOT NULL,"           /* what it held */
	"  imported TEXT NOT NULL) WITHOUT ROWID;",
};
#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

/* The secondary indexes a bulk import drops and rebuilds at its end (one
 * sort each instead of a random b-tree insert per row).  A bulk import
 * only creates entities: it looks them up by ref (catalog_refs, UNIQUE)
 * and that index stays.  Replacing an entity reads relations by target, so
 * an import rebuilds the indexes before its first replacement.  Keep in
 * step with the migrations above. */
static const char *const deferrable[][2] = {
	{ "catalog_entities_kind", "ON catalog_entities(kind)" },
	{ "catalog_entities_name", "ON catalog_entities(name)" },
	{ "catalog_entities_owner", "ON catalog_entities(owner)" },
	{ "catalog_entities_lifecycle", "ON catalog_entities(lifecycle)" },
	{ "catalog_entities_system", "ON catalog_entities(system)" },
	{ "catalog_edges_target", "ON catalog_edges(target, type)" },
	{ "catalog_documents_location", "ON catalog_documents(location)" },
	{ "catalog_tags_entity", "ON catalog_tags(entity)" },
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

/* Bring the catalog tables up to migration UPTO. */
static int migrate(struct cat_db *c, int upto, char **errmsg)
{
	/* Fast path, taken by every command once the catalog exists: one
	 * read of the version (no DDL, no write lock). */
	if (cat_db_version(c) == upto)
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
	if (v >= upto)
		return 0;
	if (cat_db_begin(c, errmsg))
		return -1;
	for (v = cat_db_version(c); v < upto; v++) {
		char *sql = pc_printf("%s INSERT INTO catalog_schema VALUES (%d, "
		                       "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now'));",
		                       migrations[v], v + 1);
		char what[64];
		snprintf(what, sizeof what, "catalog migration %d", v + 1);
		if (!sql || exec(c, sql, what, errmsg)) {
			free(sql);
			cat_db_rollback(c);
			return sql ? -1 : cat_err(errmsg, "out of memory");
		}
		free(sql);
	}
	return cat_db_commit(c, errmsg);
}

int cat_db_open(struct cat_db *c, const char *path, char **errmsg)
{
	return cat_db_open_at(c, path, NMIGRATIONS, errmsg);
}

int cat_db_open_at(struct cat_db *c, const char *path, int version, char **errmsg)
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
	            "PRAGMA foreign_keys=ON",
	         "setting up", errmsg) ||
	    migrate(c, version < NMIGRATIONS ? version : NMIGRATIONS, errmsg)) {
		cat_db_close(c);
		return -1;
	}
	return 0;
}

int cat_db_attach(struct cat_db *c, sqlite3 *db, char **errmsg)
{
	memset(c, 0, sizeof *c);
	c->db = db;
	c->borrowed = true;
	if (migrate(c, NMIGRATIONS, errmsg)) {
		cat_db_close(c);
		return -1;
	}
	return 0;
}

int cat_db_defer_indexes(struct cat_db *c, char **errmsg)
{
	c->deferred = true;
	for (size_t i = 0; i < NDEFERRABLE; i++) {
		char *sql = pc_printf("DROP INDEX IF EXISTS %s", deferrable[i][0]);
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
	if (!c->deferred)
		return 0;
	c->deferred = false;
	for (size_t i = 0; i < NDEFERRABLE; i++) {
		char *sql = pc_printf("CREATE INDEX IF NOT EXISTS %s %s", deferrable[i][0],
		                       deferrable[i][1]);
		int rc = sql ? exec(c, sql, "rebuilding an index", errmsg)
		             : cat_err(errmsg, "out of memory");
		free(sql);
		if (rc)
			return -1;
	}
	return 0;
}

bool cat_db_fresh(struct cat_db *c)
{
	sqlite3_stmt *st;
	bool empty = false;
	if (!c->in_tx || sqlite3_prepare_v2(c->db, "SELECT NOT EXISTS (SELECT 1 FROM catalog_refs)"
	                                    " AND NOT EXISTS (SELECT 1 FROM catalog_entities)",
	                                    -1, &st, NULL) != SQLITE_OK)
		return false;
	empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	sqlite3_finalize(st);
	c->ids_all = empty && c->ids.len == 0;
	return c->ids_all;
}

/* PRAGMA journal_mode=MODE; whether the database is in MODE after. */
static bool journal_mode(struct cat_db *c, const char *mode)
{
	char sql[40];
	sqlite3_stmt *st;
	bool done = false;
	snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		done = !strcmp((const char *)sqlite3_column_text(st, 0) ?: "", mode);
	sqlite3_finalize(st);
	return done;
}

/* In WAL mode every page a transaction writes is written twice: to the
 * WAL at the commit, then into the database by the checkpoint that
 * follows (reading the WAL back).  An import that fills an empty catalog
 * writes ~100 MB of new pages, so for it the database goes to a rollback
 * journal: SQLite journals only the pages that existed (a few: the
 * schema, the roots), and appends the new ones to the file once.  A
 * kill -9 still leaves the previous state (the hot journal is rolled
 * back by the next connection).  Other processes wait for the commit
 * (busy timeout) instead of reading beside it.  The switch needs no
 * other connection in the file: when one is open it is not made. */
bool cat_db_journal_direct(struct cat_db *c)
{
	return sqlite3_get_autocommit(c->db) && journal_mode(c, "delete");
}

void cat_db_journal_wal(struct cat_db *c)
{
	journal_mode(c, "wal");   /* else the next paved to open it sets WAL again */
}

void cat_db_close(struct cat_db *c)
{
	for (size_t i = 0; i < sizeof c->st / sizeof c->st[0]; i++)
		sqlite3_finalize(c->st[i]);
	for (size_t i = 0; i < 2; i++)
		for (size_t n = 0; n < sizeof c->multi[i] / sizeof c->multi[i][0]; n++)
			sqlite3_finalize(c->multi[i][n]);
	if (c->db && c->in_tx)
		cat_db_rollback(c);
	cat_set_free(&c->ids);
	if (!c->borrowed)
		sqlite3_close(c->db);
	memset(c, 0, sizeof *c);
}

/* A transaction of our own, or a savepoint inside the one the connection
 * is in (a borrowed connection's owner may have one open). */
int cat_db_begin(struct cat_db *c, char **errmsg)
{
	c->nested = !sqlite3_get_autocommit(c->db);
	if (exec(c, c->nested ? "SAVEPOINT catalog" : "BEGIN IMMEDIATE",
	         "starting a transaction", errmsg))
		return -1;
	c->in_tx = 1;
	return 0;
}

int cat_db_commit(struct cat_db *c, char **errmsg)
{
	int rc = cat_db_restore_indexes(c, errmsg) ? -1 :
	         exec(c, c->nested ? "RELEASE catalog" : "COMMIT", "committing", errmsg);
	if (rc)
		cat_db_rollback(c);
	c->in_tx = 0;
	c->ids_all = false;
	cat_set_free(&c->ids);   /* another process may write next */
	return rc;
}

void cat_db_rollback(struct cat_db *c)
{
	sqlite3_exec(c->db, c->nested ? "ROLLBACK TO catalog; RELEASE catalog" : "ROLLBACK",
	             NULL, NULL, NULL);
	c->in_tx = 0;
	c->deferred = false;     /* the DROP INDEX went with it */
	c->ids_all = false;
	cat_set_free(&c->ids);   /* ids handed out in it are void */
}
