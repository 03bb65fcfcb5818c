/*
 * events.c -- the event bus.
 *
 * pv_emit() records the event in the state database and, in the same
 * transaction, one outbox row per sink that matches it (observers of
 * "event:NAME", "event:PREFIX.*" or "event:*").  Delivery then drains the
 * outbox in event order: a row is deleted once its sink accepted the event;
 * a sink that fails keeps its row (attempts, last error) and gets no later
 * events in this pass, so order is kept.  Nothing is lost: the next emit or
 * `paved events flush` delivers what waits.  A failing sink never fails
 * the operation that emitted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Does sink hook "event:PAT" match EVENT? */
static bool pattern_match(const char *pat, const char *event)
{
	if (strcmp(pat, "*") == 0 || strcmp(pat, event) == 0)
		return true;
	size_t n = strlen(pat);
	return n >= 2 && strcmp(pat + n - 2, ".*") == 0 &&
	       strncmp(pat, event, n - 1) == 0;  /* "deploy." prefix */
}

/* Sink identity kept in the outbox: "PLUGIN hook". */
static char *sink_key(struct pv_impl *im, const char *hook)
{
	return pv_asprintf("%s %s", im->plugin ? im->plugin->name : "paved", hook);
}

/* Find the sink implementation named KEY, or NULL if it is gone. */
static struct pv_impl *sink_find(pv_host *h, const char *key, const char **hook)
{
	const char *sp = strchr(key, ' ');
	if (!sp)
		return NULL;
	struct paved_hook *hk = pv_hook_get(h, sp + 1, false);
	for (size_t i = 0; hk && i < hk->nobservers; i++) {
		struct pv_impl *im = hk->observers[i];
		const char *pn = im->plugin ? im->plugin->name : "paved";
		if (strlen(pn) == (size_t)(sp - key) && strncmp(pn, key, (size_t)(sp - key)) == 0) {
			*hook = hk->name;
			return im;
		}
	}
	return NULL;
}

/* Insert outbox rows for every sink matching EVENT_NAME. */
static void enqueue(pv_host *h, sqlite3_int64 id, const char *event_name)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h->db, "INSERT OR IGNORE INTO outbox(event_id, sink) VALUES(?,?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return;
	for (size_t b = 0; b < h->nbuckets; b++) {
		for (struct paved_hook *hk = h->hooks[b]; hk; hk = hk->next) {
			if (strncmp(hk->name, "event:", 6) != 0 || !pattern_match(hk->name + 6, event_name))
				continue;
			for (size_t i = 0; i < hk->nobservers; i++) {
				char *key = sink_key(hk->observers[i], hk->name);
				sqlite3_bind_int64(st, 1, id);
				sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
				sqlite3_step(st);
				sqlite3_reset(st);
				free(key);
			}
		}
	}
	sqlite3_finalize(st);
}

/* Record one delivery outcome for (ID, SINK). */
static void settle(pv_host *h, sqlite3_int64 id, const char *sink, const char *err)
{
	sqlite3_stmt *st;
	const char *sql = err
		? "UPDATE outbox SET attempts=attempts+1, last_error=?3 WHERE event_id=?1 AND sink=?2"
		: "DELETE FROM outbox WHERE event_id=?1 AND sink=?2";
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, sink, -1, SQLITE_STATIC);
	if (err)
		sqlite3_bind_text(st, 3, err, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

/* Deliver what waits in the outbox, oldest first.  Counts are optional. */
int pv_outbox_flush(pv_host *h, int *delivered, int *pending)
{
	sqlite3_stmt *st;
	json_t *failed = json_object();   /* sinks that failed in this pass */
	int ok = 0, left = 0;
	if (!h->db || sqlite3_prepare_v2(h->db, "SELECT o.event_id, o.sink, e.data FROM outbox o"
	    " JOIN events e ON e.id = o.event_id ORDER BY o.event_id, o.sink",
	    -1, &st, NULL) != SQLITE_OK) {
		json_decref(failed);
		return PAVED_ERR;
	}
	json_t *rows = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{sIssss}", "id", sqlite3_column_int64(st, 0),
		    "sink", sqlite3_column_text(st, 1), "data", sqlite3_column_text(st, 2)));
	sqlite3_finalize(st);
	h->emitting++;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *sink = json_string_value(json_object_get(r, "sink")), *hook = NULL;
		sqlite3_int64 id = json_integer_value(json_object_get(r, "id"));
		struct pv_impl *im = sink_find(h, sink, &hook);
		if (!im || json_object_get(failed, sink)) {
			left++;
			continue;
		}
		json_t *ev = json_loads(json_string_value(json_object_get(r, "data")), 0, NULL);
		json_t *res = NULL;
		char *err = NULL;
		int rc = ev ? pv_run_impl(h, im, hook, ev, &res, &err) : PAVED_ERR;
		json_decref(res);
		json_decref(ev);
		settle(h, id, sink, rc == PAVED_OK ? NULL : (err ? err : "event unreadable"));
		if (rc == PAVED_OK) {
			ok++;
		} else {
			left++;
			json_object_set_new(failed, sink, json_true());
			pv_log(h, PAVED_LOG_WARN, "event %lld kept in the outbox: %s",
			       (long long)id, err ? err : "event unreadable");
		}
		free(err);
	}
	h->emitting--;
	json_decref(rows);
	json_decref(failed);
	if (delivered)
		*delivered = ok;
	if (pending)
		*pending = left;
	return PAVED_OK;
}

/* Emit EVENT from SOURCE with FIELDS (borrowed, may be NULL). */
void pv_emit(pv_host *h, const char *source, const char *event, json_t *fields)
{
	char now[32];
	sqlite3_stmt *st = NULL;
	if (!h->db || !event || !*event)
		return;
	pv_now_iso(now);
	json_t *data = fields ? json_deep_copy(fields) : json_object();
	json_t *ev = json_pack("{sssssssO}", "time", now, "event", event, "source", source, "data",
	                       data ? data : json_null());
	json_decref(data);
	if (!ev || sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		json_decref(ev);
		pv_log(h, PAVED_LOG_ERROR, "event %s not recorded: %s", event, sqlite3_errmsg(h->db));
		return;
	}
	int rc = sqlite3_prepare_v2(h->db, "INSERT INTO events(time, name, source, data) "
	                            "VALUES(?,?,?,'{}')", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	sqlite3_int64 id = sqlite3_last_insert_rowid(h->db);
	json_object_set_new(ev, "id", json_integer(id));
	char *text = json_dumps(ev, JSON_COMPACT);
	if (rc == SQLITE_OK && text && sqlite3_prepare_v2(h->db, "UPDATE events SET data=? "
	    "WHERE id=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK)
		enqueue(h, id, event);
	sqlite3_exec(h->db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	free(text);
	json_decref(ev);
	if (rc != SQLITE_OK)
		pv_log(h, PAVED_LOG_ERROR, "event %s not recorded: %s", event, sqlite3_errmsg(h->db));
	else if (!h->emitting)
		pv_outbox_flush(h, NULL, NULL);
}

/* The last N events (oldest first) as a new array. */
json_t *pv_events_tail(pv_host *h, int n)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	if (!h->db || sqlite3_prepare_v2(h->db, "SELECT data FROM (SELECT id, data FROM events "
	    "ORDER BY id DESC LIMIT ?) ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return a;
	sqlite3_bind_int(st, 1, n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *e = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (e)
			json_array_append_new(a, e);
	}
	sqlite3_finalize(st);
	return a;
}

/* Outbox rows waiting for delivery, as a new array. */
json_t *pv_outbox_list(pv_host *h)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	if (!h->db || sqlite3_prepare_v2(h->db, "SELECT o.event_id, e.name, o.sink, o.attempts, "
	    "o.last_error FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY o.event_id",
	    -1, &st, NULL) != SQLITE_OK)
		return a;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{sIsssssiss?}", "event_id",
		    sqlite3_column_int64(st, 0), "event", sqlite3_column_text(st, 1),
		    "sink", sqlite3_column_text(st, 2), "attempts", sqlite3_column_int(st, 3),
		    "last_error", sqlite3_column_text(st, 4)));
	sqlite3_finalize(st);
	return a;
}
