/*
 * spec.h -- a canary's platform.yaml, checked and normalised (prefix cx_).
 * Plain C and JSON, no paved API: every refusal is tested on its own.
 *
 * Two forms are accepted, step by step, and may be mixed:
 *
 *   the short form (the seed article's):
 *     steps:
 *       - deploy: 5%                 # the canary's share of traffic
 *         duration: 10m              # how long the step lasts
 *         metrics:                   # must hold during it (measured
 *           - error_rate_less_than: 1%          # `measurements` times)
 *           - latency_p99_less_than: 200ms
 *       - deploy: 100%
 *     rollback: {auto: true, on: [{error_rate_greater_than: 2%}]}
 *
 *   the full form (Argo Rollouts' vocabulary):
 *     steps:
 *       - setWeight: 5
 *       - pause: {duration: 30s}     # or pause: {} (until promoted), pause: 30s
 *       - analysis: {metrics: [error-rate]}   # names, or inline metrics
 *       - setWeight: 100
 *     analysis:
 *       metrics:
 *         - {name: error-rate, provider: haproxy, query: error_rate,
 *            interval: 10s, count: 6, successCondition: result < 0.01,
 *            failureLimit: 1}
 *       background: {metrics: [error-rate], startingStep: 1}
 *     judge: mann-whitney            # or {method, confidence, pass, marginal, metrics}
 *
 * The normal form, what the controller runs:
 *   {steps: [{setWeight: W} | {pause: {duration: S|null}} |
 *            {analysis: {name, metrics: [METRIC...], judged: bool}}],
 *    background: {metrics: [METRIC...], startingStep} | null,
 *    judge: {confidence, tolerance, pass, marginal, metrics: {...}} | null,
 *    autoRollback: bool, baseline: bool, source: "short"|"full"|"slo"|"none"}
 * METRIC: {name, provider, interval, count, initialDelay, successCondition?,
 *          failureCondition?, failureLimit, inconclusiveLimit,
 *          consecutiveErrorLimit, dryRun, noData, window, at: "deploy...."
 *          and the provider's own fields (query, url, command, ...)}
 */
#ifndef CX_SPEC_H
#define CX_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Knobs of the normalisation (the plugin's options). */
struct cx_opts {
	int         measurements;   /* per short-form step with metrics (10) */
	double      interval;       /* rollback.on and SLO metrics, seconds (60) */
	double      min_window;     /* shortest PromQL rate window, seconds (10) */
	const char *latency_metric; /* the histogram replicas export */
};

/* Check CONFIG (the deploy section's steps, analysis, rollback, judge;
 * borrowed) and SLO (may be NULL) and build the normal form into *SPEC
 * (new).  0, or -1 with ERR naming the field ("deploy.steps[2].setWeight:
 * 150 is not a weight from 0 to 100").  WARNINGS (an array, may be NULL)
 * gets what is accepted but worth saying. */
int cx_spec_parse(json_t *config, json_t *slo, const struct cx_opts *o, json_t **spec,
                  json_t *warnings, char *err, size_t errlen);

/* "30s", "10m", "1h", "500ms", "1h30m" or a number of seconds -> seconds.
 * 0, or -1 when V is none of these or negative. */
int cx_duration(json_t *v, double *secs);
/* "5%", "0.5%" or a number (a percentage) -> 0..100 (not range-checked).
 * 0, or -1. */
int cx_percent(json_t *v, double *pct);

/* The JSON pointer ("/deploy/steps/2/setWeight") of a field path
 * ("deploy.steps[2].setWeight"), into BUF. */
void cx_pointer(const char *path, char *buf, size_t len);

#endif
