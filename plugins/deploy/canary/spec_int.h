/*
 * spec_int.h -- what spec.c and spec_metrics.c share (prefix cx_): one
 * normalisation in progress and its helpers.  Not used elsewhere.
 */
#ifndef CX_SPEC_INT_H
#define CX_SPEC_INT_H

#include "spec.h"

/* One normalisation: options, the error buffer, what was built. */
struct px {
	const struct cx_opts *o;
	char   *err;
	size_t  errlen;
	json_t *warnings;
	json_t *named;      /* deploy.analysis.metrics in normal form, by name */
};

/* Set the error (printf-style); returns -1. */
int   cx_fail(struct px *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* BASE + a formatted tail, malloc()ed. */
char *cx_path(const char *base, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Refuse a key of OBJ (at PATH) not in KNOWN (NULL-terminated); HINT lists them. */
int   cx_only(struct px *p, json_t *obj, const char *path, const char *const *known,
              const char *hint);
/* A duration / a weight at PATH, refused with the field named. */
int   cx_duration_at(struct px *p, json_t *v, const char *path, double *secs);
int   cx_weight_at(struct px *p, json_t *v, const char *path, double *w);
/* Is S a metric name ([a-z][a-z0-9_.-]{0,62})? */
bool  cx_metric_name(const char *s);
/* A full-form metric M at PATH into a new normal-form *OUT. */
int   cx_full_metric(struct px *p, json_t *m, const char *path, json_t **out);
/* A short-form entry E ({error_rate_less_than: 1%}) at PATH into *OUT: a
 * success condition, or with ROLLBACK a failure condition; INTERVAL and
 * COUNT as given (COUNT 0: until the rollout ends). */
int   cx_short_metric(struct px *p, json_t *e, const char *path, bool rollback, double interval,
                      int count, json_t **out);
/* Copy deploy.analysis's limits D onto generated metric M. */
void  cx_defaults(json_t *m, json_t *d);
/* Append M (taken) to LIST, refusing a duplicate name at PATH. */
int   cx_add_metric(struct px *p, json_t *list, json_t *m, const char *path);

#endif
