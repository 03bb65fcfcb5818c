/*
 * state_runs.c -- golden-path runs in the state database (tables runs and
 * run_steps, migration 2).  Part of the state module: the runner records
 * through these calls and never writes SQL itself.
 */
#include "config.h"

#include <stdlib.h>

#include "host.h"
#include "state_runs.h"

static int step_done(pv_host *h, sqlite3_stmt *st, char **errmsg)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? PAVED_OK
	         : pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
	sqlite3_finalize(st);
	return rc;
}

/* Insert a run with status "running"; *ID gets its id. */
int pv_run_begin(pv_host *h, const char *recipe, json_t *params, long long *id, char **errmsg)
{
	sqlite3_stmt *st;
	char now[32], *p = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	pv_now_iso(now);
	if (!p || sqlite3_prepare_v2(h->db, "INSERT INTO runs(recipe, params, status, started) "
	    "VALUES(?,?,'running',?)", -1, &st, NULL) != SQLITE_OK) {
		free(p);
		return pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
	}
	sqlite3_bind_text(st, 1, recipe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	free(p);
	int rc = step_done(h, st, errmsg);
	*id = sqlite3_last_insert_rowid(h->db);
	return rc;
}

/* Record (or update) step SEQ of run ID. */
int pv_run_step(pv_host *h, long long id, int seq, const char *title, const char *status,
                const char *detail)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h->db, "INSERT INTO run_steps(run_id, seq, title, status, detail) "
	    "VALUES(?,?,?,?,?) ON CONFLICT(run_id, seq) DO UPDATE SET status=excluded.status, "
	    "detail=coalesce(excluded.detail, detail)", -1, &st, NULL) != SQLITE_OK)
		return PAVED_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, seq);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
	return step_done(h, st, NULL);
}

/* Close run ID with STATUS ("succeeded", "failed") and an error. */
int pv_run_end(pv_host *h, long long id, const char *status, const char *error)
{
	sqlite3_stmt *st;
	char now[32];
	pv_now_iso(now);
	if (sqlite3_prepare_v2(h->db, "UPDATE runs SET status=?, finished=?, error=? WHERE id=?",
	                       -1, &st, NULL) != SQLITE_OK)
		return PAVED_ERR;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	return step_done(h, st, NULL);
}

/* The steps of run ID as a new array. */
static json_t *run_steps(pv_host *h, long long id)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	if (sqlite3_prepare_v2(h->db, "SELECT seq, title, status, detail FROM run_steps "
	    "WHERE run_id=? ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return a;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{si ss ss ss?}", "seq", sqlite3_column_int(st, 0),
		    "title", sqlite3_column_text(st, 1), "status", sqlite3_column_text(st, 2),
		    "detail", sqlite3_column_text(st, 3)));
	sqlite3_finalize(st);
	return a;
}

/* Runs, newest first (LIMIT), or just run ONLY when ONLY > 0. */
json_t *pv_runs_list(pv_host *h, int limit, long long only)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	if (sqlite3_prepare_v2(h->db, "SELECT id, recipe, params, status, started, finished, error "
	    "FROM runs WHERE ?1 = 0 OR id = ?1 ORDER BY id DESC LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return a;
	sqlite3_bind_int64(st, 1, only);
	sqlite3_bind_int(st, 2, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		json_t *params = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		json_array_append_new(a, json_pack("{sI ss so ss ss ss? ss? so}", "id", id,
		    "recipe", sqlite3_column_text(st, 1), "params", params ? params : json_object(),
		    "status", sqlite3_column_text(st, 3), "started", sqlite3_column_text(st, 4),
		    "finished", sqlite3_column_text(st, 5), "error", sqlite3_column_text(st, 6),
		    "steps", run_steps(h, id)));
	}
	sqlite3_finalize(st);
	return a;
}
