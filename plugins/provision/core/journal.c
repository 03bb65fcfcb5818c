/*
 * journal.c -- intent recorded before acting, in the manner of Terraform
 * writing its state before and after each change.
 *
 * Every change of a resource first writes a journal entry (state
 * namespace "provision-journal", key = the resource's name): {op, resource,
 * previous?, pid, at}; the entry is removed once the record says what
 * exists.  A paved killed in between leaves the entry behind.  The next
 * command that provisions (it holds the lock, so no other paved is half
 * way through anything) calls prv_recover:
 *
 *   create   a record exists: the create had finished (the catalog entry
 *            is made again); else the caller is about to create the same
 *            resource: left alone, the driver's create adopts what is
 *            there; else rolled back (the driver's destroy removes what
 *            the create made, only that).
 *   update   taken back to what the record says (update from the
 *            journaled target to the record); the plan then sees the
 *            difference again.
 *   destroy  finished: the user had confirmed it.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "provision.h"

int prv_journal_put(paved_ctx *ctx, const char *op, json_t *rec, json_t *previous,
                    char **errmsg)
{
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_t *e = json_pack("{ss sO sI ss}", "op", op, "resource", rec, "pid", (json_int_t)getpid(),
	                      "at", now);
	if (e && previous)
		json_object_set(e, "previous", previous);
	int rc = e ? paved->state_put(ctx, PRV_JOURNAL, json_string_value(json_object_get(rec, "name")),
	                              e, errmsg)
	           : paved->error(errmsg, "out of memory");
	json_decref(e);
	return rc;
}

void prv_journal_del(paved_ctx *ctx, const char *name)
{
	char *err = NULL;
	if (paved->state_del(ctx, PRV_JOURNAL, name, &err))
		paved->log(ctx, PAVED_LOG_WARN, "cannot clear the journal entry of %s: %s", name, err);
	free(err);
}

/* Whether FINISH holds NAME as the same resource (type and driver) as R. */
static bool finishing(json_t *finish, const char *name, json_t *r)
{
	json_t *f = json_object_get(finish, name);
	return f && json_equal(json_object_get(f, "type"), json_object_get(r, "type")) &&
	       json_equal(json_object_get(f, "driver"), json_object_get(r, "driver"));
}

/* Recover one entry E of NAME; the outcome ("finished", "rolled back",
 * NULL: left for the caller), or NULL with *ERRMSG. */
static const char *recover_one(paved_ctx *ctx, const char *name, json_t *e, json_t *finish,
                               char **errmsg)
{
	const char *op = json_string_value(json_object_get(e, "op"));
	json_t *r = json_object_get(e, "resource"), *rec = paved->state_get(ctx, PRV_NS, name);
	const char *outcome = NULL;
	if (op && !strcmp(op, "create")) {
		if (rec) {
			prv_catalog_put(ctx, rec);
			outcome = "finished";
		} else if (finishing(finish, name, r)) {
			outcome = NULL;
		} else if (prv_call(ctx, "destroy", r, NULL, NULL, errmsg) == PAVED_OK) {
			prv_secret_remove(ctx, name);
			outcome = "rolled back";
		} else {
			goto fail;
		}
	} else if (op && !strcmp(op, "update")) {
		if (rec && prv_call(ctx, "update", rec, r, NULL, errmsg) != PAVED_OK)
			goto fail;
		outcome = "rolled back";
	} else if (op && !strcmp(op, "destroy")) {
		if (prv_destroy(ctx, rec ? rec : r, errmsg) != PAVED_OK)
			goto fail;
		outcome = "finished";
	} else {
		outcome = "dropped";      /* not ours to understand: a newer paved's? */
	}
	if (outcome)
		prv_journal_del(ctx, name);
	json_decref(rec);
	return outcome;
fail:
	json_decref(rec);
	return NULL;
}

void prv_recover(paved_ctx *ctx, json_t *finish, json_t **done)
{
	json_t *all = paved->state_list(ctx, PRV_JOURNAL), *e;
	const char *name;
	if (done)
		*done = json_array();
	json_object_foreach(all, name, e) {
		char *err = NULL;
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *outcome = recover_one(ctx, name, e, finish, &err);
		if (err)
			paved->log(ctx, PAVED_LOG_WARN, "cannot recover the interrupted %s of %s (paved "
			           "tries again next time): %s", op ? op : "change", name, err);
		else if (outcome)
			paved->log(ctx, PAVED_LOG_INFO, "%s the interrupted %s of %s", outcome,
			           op ? op : "change", name);
		if (done && (err || outcome))
			json_array_append_new(*done, json_pack("{ss ss ss}", "name", name, "op",
			                                       op ? op : "?", "outcome",
			                                       err ? "failed" : outcome));
		free(err);
	}
	json_decref(all);
}
