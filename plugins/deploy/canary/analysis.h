/*
 * analysis.h -- an analysis run with Argo Rollouts' semantics (prefix
 * ca_), on JSON and a condition evaluator, with no paved API: the
 * controller feeds it measurements, the tests feed it values.
 *
 * A metric (normalised by spec.c):
 *   {name, provider, interval (s; 0: none), count (0: unset),
 *    initialDelay (s), successCondition?, failureCondition?, failureLimit,
 *    inconclusiveLimit, consecutiveErrorLimit, dryRun, noData}
 * Its result, kept in the rollout state:
 *   {phase, count, successful, failed, inconclusive, error,
 *    consecutiveError, next (epoch s of the next measurement), message,
 *    measurements: [{at, value, phase, message}] (the last 50)}
 *
 * One measurement's phase:
 *   - the provider failed (an error, a timeout): Error; it does not add to
 *     count, only to error and consecutiveError;
 *   - no data (the provider's value is null: an empty Prometheus vector, a
 *     NaN, no request in the window): the metric's noData phase
 *     ("inconclusive" unless set), and no condition is evaluated, so an
 *     empty vector never becomes an error by accident;
 *   - neither condition: Successful;  only successCondition: Successful
 *     when it holds, else Failed;  only failureCondition: Failed when it
 *     holds, else Successful;  both: Failed when failureCondition holds,
 *     Successful when only successCondition holds, Inconclusive when
 *     neither does;  a condition that cannot be evaluated: Error.
 * A metric's phase after each measurement (Argo's assessMetricStatus):
 *   Failed when failed > failureLimit (-1: no limit), Inconclusive when
 *   inconclusive > inconclusiveLimit, Error when consecutiveError >
 *   consecutiveErrorLimit, Successful once count reaches the count (a
 *   metric with neither count nor interval measures once), else Running.
 * A run's phase: the worst completed phase of its metrics that are not
 *   dryRun (Successful < Inconclusive < Error < Failed) as soon as one of
 *   them is Inconclusive, Error or Failed (the run then terminates: its
 *   other metrics stop); Successful when every metric is; else Running.
 */
#ifndef CA_ANALYSIS_H
#define CA_ANALYSIS_H

#include <stdbool.h>
#include <jansson.h>

/* Evaluate CONDITION over RESULT (a number, object or array): 0 with
 * *HOLDS set, or -1 with *ERR (malloc()ed) when it cannot be evaluated. */
typedef int (*ca_eval_fn)(void *ud, const char *condition, json_t *result, bool *holds,
                          char **err);

/* The phase names, as Argo spells them. */
#define CA_PENDING      "Pending"
#define CA_RUNNING      "Running"
#define CA_SUCCESSFUL   "Successful"
#define CA_FAILED       "Failed"
#define CA_INCONCLUSIVE "Inconclusive"
#define CA_ERROR        "Error"

/* Is PHASE one a metric or run ends in? */
bool ca_completed(const char *phase);
/* Is A worse than B (Successful < Inconclusive < Error < Failed)? */
bool ca_worse(const char *a, const char *b);

/* A fresh result for METRIC of a run started at NOW (its first
 * measurement due after initialDelay).  New reference. */
json_t *ca_result_new(json_t *metric, double now);

/* The phase of one measurement of METRIC: VALUE (borrowed; NULL or JSON
 * null: no data) or, when PROVIDER_ERR is set, a failed measurement.
 * *MSG (malloc()ed) says why, in words ("error_rate 0.051 >= 0.05"). */
const char *ca_measurement_phase(json_t *metric, json_t *value, const char *provider_err,
                                 ca_eval_fn eval, void *ud, char **msg);

/* Record a measurement taken at NOW in RESULT: counters, the list, the
 * next due time and the metric's phase (with a message naming the limit
 * it passed, e.g. "failed (4) > failureLimit (3)"). */
void ca_record(json_t *metric, json_t *result, json_t *value, const char *phase,
               const char *msg, double now);

/* The metric's phase from its counters (TERMINATING: the run stops, so a
 * metric still running counts as Successful). */
const char *ca_assess(json_t *metric, json_t *result, bool terminating);

/* The run's phase over METRICS (array) and RESULTS ({name: result}); *WHY
 * (borrowed from a result, may be NULL) is the message of the metric that
 * decided it. */
const char *ca_run_phase(json_t *metrics, json_t *results, const char **why);

/* Is a measurement of METRIC due at NOW (its phase still open)? */
bool ca_due(json_t *result, double now);

#endif
