/*
 * state_runs.c -- golden-path runs in the state database (tables runs and
 * run_steps, migrations 2 and 3).  Part of the state module: the runner
 * records through these calls and never writes SQL itself.
 *
 * The table is a journal: a run records the process running it (pid and
 * the process's start time, so a reused pid is not taken for it) before
 * any step, each step is recorded as "running" before it starts, and the
 * recipe's ctx is saved after every step.  A run whose process died is
 * found by the next paved command (pv_runs_reap) and marked interrupted;
 * `paved runs undo|resume` pick it up from there.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "state_runs.h"

static int step_done(pv_host *h, sqlite3_stmt *st, char **errmsg)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? PAVED_OK
	         : pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
	sqlite3_finalize(st);
	return rc;
}

/* The start time of process PID (field 22 of /proc/PID/stat, clock ticks
 * since boot) as text, into BUF; "" when it cannot be read. */
static const char *proc_start(pid_t pid, char *buf, size_t len)
{
	char path[64], line[1024];
	buf[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return buf;
	size_t n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = '\0';
	/* the command name (field 2) may hold spaces: count from its ')' */
	char *p = strrchr(line, ')');
	for (int field = 2; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (p)
		snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
	return buf;
}

/* Is process PID, started at START, still running? */
static bool alive(long long pid, const char *start)
{
	char now[32];
	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
		return false;
	return !start || !*start || strcmp(proc_start((pid_t)pid, now, sizeof now), start) == 0;
}

/* Insert a run with status "running", owned by this process; *ID gets its
 * id. */
int pv_run_begin(pv_host *h, const char *recipe, json_t *params, const char *target,
                 long long *id, char **errmsg)
{
	sqlite3_stmt *st;
	char now[32], start[32], *p = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	pv_now_iso(now);
	if (!p || sqlite3_prepare_v2(h->db, "INSERT INTO runs(recipe, params, status, started, "
	    "pid, pid_start, target) VALUES(?,?,'running',?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
		free(p);
		return pv_seterr(errmsg, "state database: %s", sqlite3_errmsg(h->db));
	}
	sqlite3_bind_text(st, 1, recipe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (long long)getpid());
	sqlite3_bind_text(st, 5, proc_start(getpid(), start, sizeof start), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, target, -1, SQLITE_STATIC);
	free(p);
	int rc = step_done(h, st, errmsg);
	*id = sqlite3_last_insert_rowid(h->db);
	return rc;
}

/* Save CTX (the recipe's ctx as JSON) as run ID's journal. */
int pv_run_save_ctx(pv_host *h, long long id, json_t *ctx)
{
	sqlite3_stmt *st;
	char *text = json_dumps(ctx, JSON_COMPACT);
	if (!text || sqlite3_prepare_v2(h->db, "UPDATE runs SET ctx=? WHERE id=?", -1, &st,
	                                NULL) != SQLITE_OK) {
		free(text);
		return PAVED_ERR;
	}
	sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	free(text);
	return step_done(h, st, NULL);
}

/* Take run ID for this process if its status is one of FROM (a
 * comma-separated list), setting it to TO; PAVED_ERR when another status
 * (or another process) has it.  The claim is one UPDATE: two processes
 * never both get it. */
int pv_run_claim(pv_host *h, long long id, const char *from, const char *to)
{
	sqlite3_stmt *st;
	char start[32];
	if (sqlite3_prepare_v2(h->db, "UPDATE runs SET status=?1, pid=?2, pid_start=?3 WHERE id=?4 "
	    "AND instr(',' || ?5 || ',', ',' || status || ',') > 0", -1, &st, NULL) != SQLITE_OK)
		return PAVED_ERR;
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (long long)getpid());
	sqlite3_bind_text(st, 3, proc_start(getpid(), start, sizeof start), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_text(st, 5, from, -1, SQLITE_STATIC);
	int rc = step_done(h, st, NULL);
	return rc == PAVED_OK && sqlite3_changes(h->db) == 1 ? PAVED_OK : PAVED_ERR;
}

/* Mark every run whose process died while it was running (or undoing or
 * resuming it) as interrupted.  Returns them [{id, recipe, params, pid}]
 * (new reference): the caller tells the user. */
json_t *pv_runs_reap(pv_host *h)
{
	sqlite3_stmt *st;
	json_t *dead = json_array();
	if (!h->db || sqlite3_prepare_v2(h->db, "SELECT id, recipe, params, pid, pid_start FROM runs "
	    "WHERE status IN ('running', 'undoing', 'resuming')", -1, &st, NULL) != SQLITE_OK)
		return dead;
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long pid = sqlite3_column_int64(st, 3);
		if (alive(pid, (const char *)sqlite3_column_text(st, 4)))
			continue;
		json_t *params = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		json_array_append_new(dead, json_pack("{sI ss so sI}", "id", sqlite3_column_int64(st, 0),
		                      "recipe", sqlite3_column_text(st, 1),
		                      "params", params ? params : json_object(), "pid", pid));
	}
	sqlite3_finalize(st);
	size_t i;
	json_t *r;
	json_array_foreach(dead, i, r) {
		char *why = pv_asprintf("interrupted: the paved process running it (pid %lld) died",
		                        (long long)json_integer_value(json_object_get(r, "pid")));
		if (sqlite3_prepare_v2(h->db, "UPDATE runs SET status='interrupted', error=?1 WHERE "
		    "id=?2 AND status IN ('running', 'undoing', 'resuming')", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, why, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(r, "id")));
			step_done(h, st, NULL);
		}
		free(why);
	}
	return dead;
}

/* The journal of run ID: {id, recipe, params, status, target, ctx, steps}
 * (new reference), or NULL when there is no such run. */
json_t *pv_run_journal(pv_host *h, long long id)
{
	sqlite3_stmt *st;
	json_t *out = NULL;
	if (sqlite3_prepare_v2(h->db, "SELECT recipe, params, status, target, ctx FROM runs "
	                       "WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_t *params = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		const char *c = (const char *)sqlite3_column_text(st, 4);
		json_t *ctx = c ? json_loads(c, 0, NULL) : NULL;
		out = json_pack("{sI ss so ss ss? so}", "id", id, "recipe", sqlite3_column_text(st, 0),
		                "params", params ? params : json_object(),
		                "status", sqlite3_column_text(st, 2), "target", sqlite3_column_text(st, 3),
		                "ctx", ctx ? ctx : json_object());
	}
	sqlite3_finalize(st);
	if (out)
		json_object_set_new(out, "steps", pv_run_steps(h, id));
	return out;
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
json_t *pv_run_steps(pv_host *h, long long id)
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
		    "steps", pv_run_steps(h, id)));
	}
	sqlite3_finalize(st);
	return a;
}
