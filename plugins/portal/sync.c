/*
 * sync.c -- keeping the portal's index in step with the catalog.
 *
 * The catalog emits catalog.entity.registered / updated / deleted (with the
 * ref) and catalog.imported (a bulk change).  The portal is a sink of
 * event:catalog.*, so whichever paved process changes the catalog (the
 * server itself, a golden path it runs as a child, a `paved catalog import`
 * in a terminal) hands the event to this plugin:
 *   - in the server's own process the change is queued in memory;
 *   - in another process, while a server runs (state "portal"/"server"
 *     names its pid), it is written to state namespace "portal-changes",
 *     one key per event; with no server running nothing is written.
 * The server's loop reads and deletes those keys every half second
 * (po_sync) and re-reads each changed entity, and the entities its
 * relations point at, whose inverse relations changed with it; a bulk
 * change rebuilds the index.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "pc.h"
#include "portal.h"

#define CHANGES_NS "portal-changes"

static json_t *pending;     /* changes seen in this process: [ref | "*"] */

/* Is a server running (one that is not this process)? */
static bool server_elsewhere(paved_ctx *ctx)
{
	json_t *srv = paved->state_get(ctx, "portal", "server");
	pid_t pid = (pid_t)json_integer_value(json_object_get(srv, "pid"));
	json_decref(srv);
	return pid > 0 && pid != getpid() && kill(pid, 0) == 0;
}

int po_catalog_sink(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)result, (void)data;
	const char *event = json_string_value(json_object_get(args, "event"));
	const char *ref = json_string_value(json_object_get(json_object_get(args, "data"), "ref"));
	const char *what = event && strcmp(event, "catalog.imported") != 0 && ref ? ref : "*";
	if (po_current) {
		if (!pending)
			pending = json_array();
		json_array_append_new(pending, json_string(what));
		return PAVED_OK;
	}
	if (!server_elsewhere(ctx))
		return PAVED_OK;
	char rnd[9], key[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (pc_random_hex(rnd, 4))
		strcpy(rnd, "0");
	snprintf(key, sizeof key, "%lld.%09ld.%s", (long long)ts.tv_sec, ts.tv_nsec, rnd);
	json_t *v = json_pack("{ss}", "ref", what);
	int rc = paved->state_put(ctx, CHANGES_NS, key, v, errmsg);
	json_decref(v);
	return rc;
}

/* Re-read REF and the entities its relations name (before and after). */
static void refresh_around(struct po_server *s, const char *ref, json_t *done)
{
	json_t *targets = json_array();
	long id = po_index_find(s->index, ref);
	const struct po_ent *e = id >= 0 ? po_index_ent(s->index, (uint32_t)id) : NULL;
	json_t *before = e && e->json ? json_loadb(e->json, e->json_len, 0, NULL) : NULL;
	json_t *rel;
	size_t i;
	json_array_foreach(json_object_get(before, "relations"), i, rel)
		json_array_append(targets, json_object_get(rel, "targetRef"));
	json_decref(before);
	po_index_refresh(s->ctx, s->index, ref);
	json_object_set_new(done, ref, json_true());
	id = po_index_find(s->index, ref);
	e = id >= 0 ? po_index_ent(s->index, (uint32_t)id) : NULL;
	json_t *after = e && e->json ? json_loadb(e->json, e->json_len, 0, NULL) : NULL;
	json_array_foreach(json_object_get(after, "relations"), i, rel)
		json_array_append(targets, json_object_get(rel, "targetRef"));
	json_decref(after);
	json_t *t;
	json_array_foreach(targets, i, t) {
		const char *r = json_string_value(t);
		if (r && !json_object_get(done, r)) {
			json_object_set_new(done, r, json_true());
			po_index_refresh(s->ctx, s->index, r);
		}
	}
	json_decref(targets);
}

/* Apply the changes in LIST ([ref | "*"]). */
static void apply(struct po_server *s, json_t *list)
{
	json_t *v, *done = json_object();
	size_t i;
	bool all = false;
	json_array_foreach(list, i, v)
		all = all || !strcmp(json_string_value(v) ?: "*", "*");
	if (all) {
		char *err = NULL;
		long long t0 = po_now_ms();
		struct po_index *ix = po_index_build(s->ctx, &err);
		if (ix) {
			po_index_free(s->index);
			s->index = ix;
			paved->log(s->ctx, PAVED_LOG_INFO, "catalog re-read: %u entities in %lld ms",
			           po_index_live(ix), po_now_ms() - t0);
		} else {
			paved->log(s->ctx, PAVED_LOG_WARN, "catalog not re-read: %s", err);
		}
		free(err);
	} else {
		json_array_foreach(list, i, v)
			if (!json_object_get(done, json_string_value(v)))
				refresh_around(s, json_string_value(v), done);
	}
	json_decref(done);
}

void po_sync(struct po_server *s, bool force)
{
	s->last_sync = po_now_ms();
	json_t *list = json_array();
	if (pending) {
		json_array_extend(list, pending);
		json_decref(pending);
		pending = NULL;
	}
	json_t *changes = paved->state_list(s->ctx, CHANGES_NS), *v;
	const char *k;
	json_object_foreach(changes, k, v) {
		json_array_append(list, json_object_get(v, "ref"));
		paved->state_del(s->ctx, CHANGES_NS, k, NULL);
	}
	json_decref(changes);
	if (force) {
		/* start: the server's record, and nothing from before the index */
		json_t *me = json_pack("{sIss}", "pid", (json_int_t)getpid(), "url",
		                       s->base_url ? s->base_url : "");
		paved->state_put(s->ctx, "portal", "server", me, NULL);
		json_decref(me);
	} else if (json_array_size(list)) {
		apply(s, list);
	}
	json_decref(list);
}

void po_sync_refs(struct po_server *s, json_t *refs)
{
	/* the in-process events of the change just made are covered by REFS */
	json_decref(pending);
	pending = NULL;
	json_t *done = json_object(), *v;
	size_t i;
	json_array_foreach(refs, i, v)
		if (json_string_value(v) && !json_object_get(done, json_string_value(v)))
			refresh_around(s, json_string_value(v), done);
	json_decref(done);
}
