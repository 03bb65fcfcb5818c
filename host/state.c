/*
 * state.c -- the SQLite state database, $PAVED_HOME/paved.db.
 *
 * WAL journal, a busy timeout so concurrent paved processes wait rather
 * than fail, and forward-only schema migrations numbered by
 * PRAGMA user_version.  Each migration runs in its own transaction, so a
 * failed one leaves the database at the previous version.  This is the only
 * host module that writes SQL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"

/* Migrations, in order.  Append only: never edit a released one. */
static const char *const migrations[] = {
	/* 1: events, outbox, plugin kv state, plugin registration cache */
	"CREATE TABLE events ("
	"  id     INTEGER PRIMARY KEY,"
	"  time   TEXT NOT NULL,"
	"  name   TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  data   TEXT NOT NULL);"
	"CREATE INDEX events_name ON events(name);"
	"CREATE TABLE outbox ("
	"  event_id   INTEGER NOT NULL REFERENCES events(id),"
	"  sink       TEXT NOT NULL,"
	"  attempts   INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  PRIMARY KEY (event_id, sink));"
	"CREATE TABLE kv ("
	"  ns    TEXT NOT NULL,"
	"  key   TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  updated TEXT NOT NULL,"
	"  PRIMARY KEY (ns, key));"
	"CREATE TABLE plugin_cache ("
	"  path     TEXT PRIMARY KEY,"
	"  stamp    TEXT NOT NULL,"
	"  entry    TEXT NOT NULL);",
	/* 2: golden-path runs and their steps */
	"CREATE TABLE runs ("
	"  id       INTEGER PRIMARY KEY,"
	"  recipe   TEXT NOT NULL,"
	"  params   TEXT NOT NULL,"
	"  status   TEXT NOT NULL,"
	"  started  TEXT NOT NULL,"
	"  finished TEXT,"
	"  error    TEXT,"
	"  dry_run  INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE run_steps ("
	"  run_id  INTEGER NOT NULL REFERENCES runs(id),"
	"  seq     INTEGER NOT NULL,"
	"  title   TEXT NOT NULL,"
	"  status  TEXT NOT NULL,"
	"  detail  TEXT,"
	"  PRIMARY KEY (run_id, seq));",
	/* 3: the runs journal: who runs a run (pid and its start time, so a
	 * reused pid is not mistaken for it), where, and the recipe's ctx after
	 * every step, so an interrupted run can be undone or resumed later */
	"ALTER TABLE runs ADD COLUMN pid INTEGER;"
	"ALTER TABLE runs ADD COLUMN pid_start TEXT;"
	"ALTER TABLE runs ADD COLUMN target TEXT;"
	"ALTER TABLE runs ADD COLUMN ctx TEXT;"
	"CREATE INDEX runs_status ON runs(status);",
};
#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

int pv_state_exec(pv_host *h, const char *sql, char **errmsg)
{
	char *e = NULL;
	if (sqlite3_exec(h->db, sql, NULL, NULL, &e) != SQLITE_OK) {
		pv_seterr(errmsg, "state database: %s", e ? e : sqlite3_errmsg(h->db));
		sqlite3_free(e);
		return PAVED_ERR;
	}
	return PAVED_OK;
}

int pv_state_schema_version(pv_host *h)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Bring the schema up to date, one transaction per migration. */
static int migrate(pv_host *h, char **errmsg)
{
	int v = pv_state_schema_version(h);
	if (v < 0)
		return pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
	if (v > NMIGRATIONS)
		return pv_seterr(errmsg, "state database schema %d is newer than this paved "
		                 "(knows %d): upgrade paved", v, NMIGRATIONS);
	for (; v < NMIGRATIONS; v++) {
		char *sql = pv_asprintf("BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;",
		                        migrations[v], v + 1);
		if (!sql)
			return pv_seterr(errmsg, "out of memory");
		int rc = pv_state_exec(h, sql, errmsg);
		free(sql);
		if (rc) {
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
			/* another process may have migrated meanwhile */
			if (pv_state_schema_version(h) > v)
				continue;
			return rc;
		}
	}
	return PAVED_OK;
}

void pv_state_configure(void)
{
	/* No bulk page-cache allocation per connection and per temporary
	 * b-tree: SQLite would otherwise set up 20 pages up front for each
	 * (every UNION, GROUP BY or CTE a query materialises), and a short
	 * command touches fewer than that; the page faults cost more than
	 * allocating pages as they are used. */
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
	/* No global memory statistics: nothing reads them, and keeping them
	 * takes a process-wide mutex on every allocation SQLite makes (a bulk
	 * catalog import makes millions). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Open (creating) $PAVED_HOME/paved.db and migrate it. */
int pv_state_open(pv_host *h, char **errmsg)
{
	char *path = pv_path_join(h->home, "paved.db");
	if (!path)
		return pv_seterr(errmsg, "out of memory");
	/* NOMUTEX: the connection is used by one thread at a time (the host
	 * has no threads; a plugin's own threads keep away from it), so
	 * SQLite's lock around every call on it is not needed */
	int rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		pv_seterr(errmsg, "cannot open state database %s: %s", path,
		          h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(h->db, 5000);
	/* leave checkpointing to SQLite's automatic checkpoints: a checkpoint
	 * and its fsyncs on every close would cost each command milliseconds */
	sqlite3_db_config(h->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* Switching a new database to WAL needs it to itself, and SQLite
	 * answers SQLITE_BUSY at once, without the busy handler, while another
	 * process does the same (8 paveds on a fresh home: about 1 in 100):
	 * try again for as long as the busy timeout would wait. */
	for (int tries = 0;; tries++) {
		if (sqlite3_exec(h->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		                 "PRAGMA foreign_keys=ON;", NULL, NULL, NULL) == SQLITE_OK)
			break;
		if ((sqlite3_errcode(h->db) != SQLITE_BUSY && sqlite3_errcode(h->db) != SQLITE_LOCKED) ||
		    tries == 1000) {
			pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
			goto fail;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000000 }, NULL);   /* 5 ms */
	}
	if (migrate(h, errmsg))
		goto fail;
	free(path);
	return PAVED_OK;
fail:
	free(path);
	sqlite3_close(h->db);
	h->db = NULL;
	return PAVED_ERR;
}

void pv_state_close(pv_host *h)
{
	if (h->db)
		sqlite3_close_v2(h->db);
	h->db = NULL;
}

/* Prepare SQL or return NULL (the caller reports sqlite3_errmsg). */
static sqlite3_stmt *prep(pv_host *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (!h->db || sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/* Store a copy of V under (NS, KEY). */
int pv_state_put(pv_host *h, const char *ns, const char *key, json_t *v, char **errmsg)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char now[32];
	sqlite3_stmt *st = prep(h, "INSERT INTO kv(ns,key,value,updated) VALUES(?,?,?,?)"
	                        " ON CONFLICT(ns,key) DO UPDATE SET value=excluded.value,"
	                        " updated=excluded.updated");
	int rc = PAVED_OK;
	if (!text || !st) {
		rc = pv_seterr(errmsg, "state database: %s", h->db ? sqlite3_errmsg(h->db) : "not open");
		goto done;
	}
	pv_now_iso(now);
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
done:
	sqlite3_finalize(st);
	free(text);
	return rc;
}

/* The value under (NS, KEY) as a new reference, or NULL. */
json_t *pv_state_get(pv_host *h, const char *ns, const char *key)
{
	sqlite3_stmt *st = prep(h, "SELECT value FROM kv WHERE ns=? AND key=?");
	json_t *v = NULL;
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = json_loads((const char *)sqlite3_column_text(st, 0), JSON_DECODE_ANY, NULL);
	sqlite3_finalize(st);
	return v;
}

int pv_state_del(pv_host *h, const char *ns, const char *key, char **errmsg)
{
	sqlite3_stmt *st = prep(h, "DELETE FROM kv WHERE ns=? AND key=?");
	int rc = PAVED_OK;
	if (!st)
		return pv_seterr(errmsg, "state database: %s", h->db ? sqlite3_errmsg(h->db) : "not open");
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
	sqlite3_finalize(st);
	return rc;
}

/* Every (key: value) of namespace NS as a new object. */
json_t *pv_state_list(pv_host *h, const char *ns)
{
	sqlite3_stmt *st = prep(h, "SELECT key, value FROM kv WHERE ns=? ORDER BY key");
	json_t *o = json_object();
	if (!st)
		return o;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *v = json_loads((const char *)sqlite3_column_text(st, 1), JSON_DECODE_ANY, NULL);
		if (v)
			json_object_set_new(o, (const char *)sqlite3_column_text(st, 0), v);
	}
	sqlite3_finalize(st);
	return o;
}
