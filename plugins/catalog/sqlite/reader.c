/*
 * reader.c -- a catalog file's entities, parsed, validated and prepared
 * on a thread of their own, handed over in order.
 *
 * An import spends about as long turning YAML into ready rows (libyaml,
 * jansson, validation, relations, the JSON text) as SQLite spends storing
 * them.  The reader thread does the first half for the documents ahead
 * while the importing thread stores the current one.  The queue between
 * them is bounded, so memory stays bounded by a few documents.
 *
 * The thread touches nothing but the file and the documents it makes;
 * each document belongs to one thread at a time (handed over under the
 * queue's lock).  Documents go back to the reader to be freed: memory is
 * freed by the thread that allocated it, so the two threads do not
 * contend for the allocator's locks.
 *
 * The last step, cat_prep_init, goes to whichever thread has time: the
 * reader makes it while the queue is at least a quarter full (the
 * importer is behind), else it leaves it to the importing thread, which
 * makes it, uses it and frees it itself.  So neither thread waits long
 * for the other, whichever of parsing or storing is slower on the data at
 * hand.  The reader's preparation is the cheaper one (the tree is in its
 * cache, and freed at once after), hence a quarter, not a half.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define QUEUE 64   /* documents read ahead */

struct reader {
	struct cat_read *rd;
	struct cat_placeholders ph;
	bool             first;
	pthread_mutex_t  mu;
	pthread_cond_t   nonempty, nonfull;
	struct cat_doc  *q[QUEUE];
	size_t           head, len;
	struct cat_doc  *spent;     /* used, for the reader to free */
	bool             done;      /* the thread has finished */
	bool             stop;      /* the consumer wants no more */
	bool             skipped;   /* not a catalog file */
	int              rc;        /* the parse's result */
	char            *err;
};

/* Free the documents of list D. */
static void doc_free(struct cat_doc *d)
{
	while (d) {
		struct cat_doc *next = d->next;
		json_decref(d->warnings);
		free(d->err);
		cat_prep_free(&d->prep);
		json_decref(d->entity);
		free(d);
		d = next;
	}
}

/* Whether the importer is behind: the queue is at least a quarter full. */
static bool behind(struct reader *r)
{
	pthread_mutex_lock(&r->mu);
	bool b = r->len >= QUEUE / 4;
	pthread_mutex_unlock(&r->mu);
	return b;
}

/* A document for entity E at LINE:COL: placeholders substituted (in E),
 * validated and, if valid and the importer is behind, prepared. */
static struct cat_doc *doc_new(struct reader *r, json_t *e, int line, int col)
{
	struct cat_doc *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->line = line;
	d->col = col;
	d->entity = json_incref(e);
	d->warnings = json_array();
	r->ph.warnings = d->warnings;
	if (cat_placeholders_resolve(&r->ph, e)) {
		d->err = r->ph.err;
		r->ph.err = NULL;
		return d;
	}
	if (cat_entity_validate(e, d->warnings, &d->err) == 0 && behind(r)) {
		cat_prep_init(&d->prep, e, &d->err);
		d->prepped = true;
	}
	/* The importer needs the tree only to prepare it or to follow a
	 * Location: else it goes now, while this core has it in its cache
	 * (the host frees the document as soon as this returns), instead of
	 * cold, a queue's length later. */
	if (d->err || (d->prepped && strcmp(d->prep.kind, "location") != 0)) {
		json_decref(d->prep.entity);
		d->prep.entity = NULL;
		json_decref(d->entity);
		d->entity = NULL;
	}
	return d;
}

/* Queue D (the reader thread); 1 when the consumer wants no more. */
static int push(struct reader *r, struct cat_doc *d)
{
	pthread_mutex_lock(&r->mu);
	if (r->len == QUEUE)   /* full: wait until half of it is taken */
		while (r->len > QUEUE / 2 && !r->stop)
			pthread_cond_wait(&r->nonfull, &r->mu);
	struct cat_doc *spent = r->spent;
	r->spent = NULL;
	int stop = r->stop || !d;
	if (!stop) {
		r->q[(r->head + r->len) % QUEUE] = d;
		if (++r->len == QUEUE / 2)
			pthread_cond_signal(&r->nonempty);
	} else if (!d && !r->err) {
		r->err = strdup("out of memory");
	}
	pthread_mutex_unlock(&r->mu);
	doc_free(spent);
	if (stop)
		doc_free(d);
	return stop;
}

/* The host reader's `each` (the reader thread): a document is an entity,
 * a list of entities or {"items": [...]}. */
static int on_doc(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	struct reader *r = ud;
	int line = where->line, col = where->column;
	(void)errmsg;
	if (json_is_null(doc))
		return 0;
	json_t *probe, *list = cat_doc_list(doc, &probe);
	if (r->first && r->rd->from_dir && !cat_entity_shaped(probe)) {
		r->skipped = true;
		return 1;
	}
	r->first = false;
	if (!list)
		return push(r, doc_new(r, doc, line, col));
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
		if (push(r, doc_new(r, e, line, col)))
			return 1;
	return 0;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char *err = NULL;
	pthread_setname_np(pthread_self(), "paved-reader");
	struct paved_yaml_opts o = { .size = sizeof o, .max_depth = CAT_YAML_MAX_DEPTH,
	                             .flags = PAVED_YAML_JS_NUMBERS | PAVED_YAML_NUL,
	                             .each = on_doc, .ud = r };
	json_t *none = NULL;
	int rc = paved->read_yaml(r->rd->ctx, r->rd->name, &o, &none, &err);
	json_decref(none);
	pthread_mutex_lock(&r->mu);
	r->done = true;
	r->rc = rc;
	if (err) {
		free(r->err);
		r->err = err;
	}
	pthread_cond_signal(&r->nonempty);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int cat_read_entities(struct cat_read *rd, cat_entity_fn fn, void *ud, char **errmsg)
{
	const char *name = rd->name;
	char *dir = strdup(name), *slash = dir ? strrchr(dir, '/') : NULL;
	if (!dir)
		return cat_err(errmsg, "out of memory");
	if (slash)
		*slash = '\0';
	struct reader r = { .rd = rd, .first = true,
	                    .ph = { .ctx = rd->ctx, .dir = slash ? dir : ".",
	                            .root = rd->root ? rd->root : "/" } };
	pthread_t thread;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.nonempty, NULL);
	pthread_cond_init(&r.nonfull, NULL);
	int rc = pthread_create(&thread, NULL, reader_main, &r);
	if (rc) {
		cat_err(errmsg, "%s: cannot start the reader thread: %s", name, strerror(rc));
		goto done;
	}
	bool stopped = false;
	struct cat_doc *d = NULL;
	for (;;) {
		pthread_mutex_lock(&r.mu);
		if (d) {   /* the last one goes back to the reader */
			d->next = r.spent;
			r.spent = d;
		}
		if (r.len == 0)   /* empty: wait until half of it is filled */
			while (r.len < QUEUE / 2 && !r.done)
				pthread_cond_wait(&r.nonempty, &r.mu);
		d = NULL;
		if (r.len) {
			d = r.q[r.head];
			r.head = (r.head + 1) % QUEUE;
			if (--r.len == QUEUE / 2)
				pthread_cond_signal(&r.nonfull);
		}
		pthread_mutex_unlock(&r.mu);
		if (!d)
			break;   /* done and drained */
		/* the reader left the preparation to this thread: make it, and
		 * free it here too (memory stays with the thread that made it) */
		bool own = !d->err && !d->prepped && !stopped;
		if (own)
			cat_prep_init(&d->prep, d->entity, &d->err);
		if (!stopped && fn(d, ud)) {
			stopped = true;
			pthread_mutex_lock(&r.mu);
			r.stop = true;
			pthread_cond_signal(&r.nonfull);
			pthread_mutex_unlock(&r.mu);
		}
		if (own) {
			cat_prep_free(&d->prep);
			free(d->err);   /* a bad reference found here, reported by FN */
			d->err = NULL;
		}
	}
	pthread_join(thread, NULL);
	doc_free(r.spent);
	if (stopped) {          /* what lies after the stop is not reported */
		free(r.err);
		rc = 0;
	} else if (r.err) {
		rc = -1;
		*errmsg = r.err;
		r.err = NULL;
	} else {
		rc = r.rc ? -1 : r.skipped ? 1 : 0;
		if (r.rc)
			cat_err(errmsg, "%s: cannot read the file", name);
	}
	rd->placeholders = r.ph.read;
done:
	free(dir);
	free(r.ph.err);
	pthread_cond_destroy(&r.nonfull);
	pthread_cond_destroy(&r.nonempty);
	pthread_mutex_destroy(&r.mu);
	return rc;
}
