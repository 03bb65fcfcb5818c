/*
 * analysis.h -- internals of the plugin "analysis" (prefix an_): the
 * providers of a canary's measurements, each a driver of the area
 * analysis (analysis.driver.NAME.check/begin/measure):
 *
 *   haproxy.c     haproxy: per-server counters from HAProxy's stats socket
 *                 (error rate, requests, request rate, mean response time)
 *   prometheus.c  prometheus: an instant PromQL query through libcurl
 *   webhook.c     webhook: 2xx passes, any other status or a timeout fails
 *   job.c         job: a command (smoke tests) through paved->run
 *   http.c        the libcurl requests prometheus and webhook make
 *   parse.c       what needs no paved API: HAProxy's CSV, Prometheus's
 *                 JSON answer, {{name}} templates (tested on their own)
 *   plugin.c      registration, options
 *
 * The conditions over the values these return are evaluated by
 * analysis_condition.lua (condition.eval) in the Lua sandbox.
 */
#ifndef AN_ANALYSIS_H
#define AN_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <paved/plugin.h>

#include "pc.h"

#include "parse.h"

/* ---- http.c ---------------------------------------------------------------------- */

/* One HTTP request (libcurl, no redirects): METHOD GET or POST (BODY, JSON,
 * may be NULL), TIMEOUT seconds.  PAVED_OK with *STATUS and *RESP
 * (malloc()ed, the body) when an answer came; PAVED_ERR with *ERRMSG for
 * a timeout or a refused connection ("timed out after 5 s"). */
int an_http(const char *method, const char *url, const char *body, double timeout, long *status,
            char **resp, char **errmsg);

/* ---- the providers: each VERB {service, env, metric, ...} ----------------------- */

int an_haproxy_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_haproxy_begin(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_haproxy_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_prometheus_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_prometheus_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_webhook_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_webhook_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_job_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);
int an_job_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);

/* A timeout field of METRIC in seconds (spec.c normalised it to a
 * number), else DFLT. */
double an_timeout(json_t *metric, double dflt);

#endif
