/*
 * canary.h -- internals of the plugin deploy_canary (prefix cn_): the
 * deploy strategy "canary", its controller and its commands.
 *
 *   plugin.c    descriptor, options, hooks
 *   driver.c    deploy.driver.canary.check: the config normalised, the
 *               providers asked, refusals with the field and line named
 *   rollout.c   deploy.driver.canary.run / status / promote / abort / retry
 *   state.c     the rollout's state: $PAVED_HOME/deploy/canary/ENV/SERVICE/
 *               rollout.json (0600: it holds the replicas' variables),
 *               its lock, the controller's lock, the abort marker
 *   traffic.c   replicas and weights through the runtime fronts: start,
 *               scale, the weights of a step, abort to stable, clean up
 *   control.c   the controller: the step machine, run detached (`paved
 *               rollout _controller`, started by paved-canary-detach)
 *   measure.c   one tick of an analysis run: windows, measurements,
 *               conditions (condition.eval), the judge, verdicts
 *   cli.c       paved rollout status, promote, abort, retry
 *   detach.c    the program paved-canary-detach (no paved API)
 *
 * The pure parts (spec.c, analysis.c, judge.c, stats.c, weights.c) are
 * in libcanary.la with their own headers.
 */
#ifndef CN_CANARY_H
#define CN_CANARY_H

#include <stdbool.h>
#include <paved/plugin.h>

#include "pc.h"
#include "analysis.h"
#include "spec.h"

PAVED_PLUGIN_INIT3;

/* Phases of a rollout, as Argo Rollouts names them. */
#define CN_PROGRESSING "Progressing"
#define CN_PAUSED      "Paused"
#define CN_HEALTHY     "Healthy"
#define CN_DEGRADED    "Degraded"

/* ---- state.c ------------------------------------------------------------- */

/* A rollout's files. */
struct cn_paths {
	char *dir, *state, *lock, *ctl, *abort, *log, *metrics;
};
int    cn_paths(paved_ctx *ctx, const char *svc, const char *env, struct cn_paths *p);
void   cn_paths_free(struct cn_paths *p);
/* Take the state lock (flock, short holds only); -1 on failure. */
int    cn_lock(const struct cn_paths *p);
void   cn_unlock(int fd);
/* The state (new), or NULL when there is none. */
json_t *cn_load(const struct cn_paths *p);
/* Write the state atomically (0600).  PAVED_OK or an error. */
int    cn_save(const struct cn_paths *p, json_t *st, char **errmsg);
/* Is a controller holding the controller lock?  Its pid in *PID. */
bool   cn_controller_alive(const struct cn_paths *p, long *pid);
/* Is the rollout still to be driven (Progressing, Paused, or a clean-up
 * left to do)? */
bool   cn_active(json_t *st);
/* Epoch seconds now. */
double cn_now(void);
/* Append a line to the state's history (the record's steps). */
void   cn_note(json_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Start the controller of SVC in ENV detached (paved-canary-detach), and
 * wait until it holds its lock.  WHY goes to the history. */
int    cn_start_controller(paved_ctx *ctx, const char *svc, const char *env, char **errmsg);
/* If the rollout is active and no controller runs (it was killed), start
 * one: the rollout resumes where its state says.  *RESTARTED tells. */
int    cn_ensure_controller(paved_ctx *ctx, const char *svc, const char *env, bool *restarted,
                            char **errmsg);

/* ---- traffic.c ------------------------------------------------------------- */

/* Start N replicas of RELEASE ({version, dir, argv, variables, health,
 * health_timeout}) of SVC in ENV and wait for their health; append
 * {id, port} of each to IDS.  A failure removes what it started. */
int    cn_start(paved_ctx *ctx, const char *svc, const char *env, json_t *release, int n,
                json_t *ids, char **errmsg);
/* Remove the replicas IDS ([{id}]) (errors logged, never fatal). */
void   cn_remove(paved_ctx *ctx, const char *svc, const char *env, json_t *ids);
/* The weights that put WEIGHT% on the canary (and as much on the
 * baseline) of state ST: {id: w} (new), or NULL with *ERRMSG. */
json_t *cn_weights(json_t *st, double weight, char **errmsg);
/* Send WEIGHTS in one runtime.weights batch, unless the abort marker is
 * there (then PAVED_ERR with "aborted"): under the traffic lock, so an
 * abort's switch to stable is never overtaken. */
int    cn_apply(paved_ctx *ctx, const struct cn_paths *p, json_t *st, json_t *weights,
                char **errmsg);
/* Abort: write the marker with REASON, then all traffic to the stable
 * replicas in one batch.  Returns how long the switch took (ms) in *MS. */
int    cn_to_stable(paved_ctx *ctx, const struct cn_paths *p, json_t *st, const char *reason,
                    double *ms, char **errmsg);
/* After an abort or rollback: remove the canary and baseline replicas,
 * report the outcome to the record (deploy.record), mark it done.  One
 * cleaner at a time (the flock cleanup.lock, dropped by the kernel when
 * its holder dies): while another process cleans up, it returns at once.
 * HELD: the clean-up lock the caller took (cn_cleanup_lock), or -1. */
int    cn_cleanup(paved_ctx *ctx, const struct cn_paths *p, int held, char **errmsg);
/* Take the clean-up lock without waiting (for cn_cleanup's HELD, which
 * closes it): -1 when another process is cleaning up.  A command that
 * ends a rollout takes it before it marks the clean-up, so the
 * controller never starts one it would have to finish under a lock that
 * command holds. */
int    cn_cleanup_lock(const struct cn_paths *p);
/* Report ST's new history lines, analysis and OUTCOME (may be NULL) to the
 * release record through deploy.record; ST's "reported" follows.  Never
 * under the state lock: deploy.record takes the service's deploy lock,
 * which a deploy holds while it waits for the state lock. */
void   cn_report(paved_ctx *ctx, json_t *st, const char *outcome);
/* cn_report of the saved state, outside the lock, then its "reported"
 * saved. */
void   cn_flush(paved_ctx *ctx, const struct cn_paths *p, const char *outcome);

/* ---- measure.c ----------------------------------------------------------------- */

/* Start an analysis run NAME over METRICS (borrowed) in ST at NOW. */
json_t *cn_run_new(json_t *metrics, bool judged, double now);
/* Take the measurements of RUN that are due at NOW (outside the state
 * lock: they may take seconds).  *TAKEN (new) is what was measured, for
 * cn_run_apply. */
void   cn_run_measure(paved_ctx *ctx, json_t *st, json_t *run, double now, json_t **taken);
/* Apply TAKEN to RUN (of state ST): phases, counters, samples.  Then the
 * run's phase: Running, Successful (judged runs: after the judge's pass),
 * Inconclusive, Failed or Error; *WHY (malloc()ed) names what decided it. */
const char *cn_run_apply(paved_ctx *ctx, json_t *st, json_t *run, json_t *taken, char **why);
/* The earliest due time of RUN's open metrics (0: none). */
double cn_run_next(json_t *run);
/* The verdicts of the runs of ST: [{name, phase, message, judge?, metrics:
 * [{name, phase, counts, last, message, measurements?}]}] (new); with
 * MEASUREMENTS each metric's last 50 measurements too (status; the
 * record keeps the counts). */
json_t *cn_verdicts(json_t *st, bool measurements);
/* Write the analysis metrics of ST in Prometheus's text format to
 * P->metrics (for the metrics backend to scrape as a file). */
void   cn_export(const struct cn_paths *p, json_t *st);

/* ---- control.c ------------------------------------------------------------------- */

/* The controller of SVC in ENV: holds the controller lock, drives the
 * rollout to its end, exits.  READY_FD (or -1) hears "ready PID". */
int    cn_control(paved_ctx *ctx, const char *svc, const char *env, int ready_fd, char **errmsg);

/* ---- driver.c --------------------------------------------------------------------- */

/* The normal form of ARGS.config (and ARGS.slo) with every metric's
 * provider checked; an error names the field and its line in ARGS.file.
 * *SPEC new; WARNINGS gets the warnings. */
int    cn_normalise(paved_ctx *ctx, json_t *args, json_t **spec, json_t *warnings,
                    char **errmsg);
/* "5%, pause 60s, analysis, 100%" (malloc()ed). */
char  *cn_describe(json_t *spec);
/* "setWeight 5%", "pause 60s", "pause (until promoted)", "analysis NAME":
 * step S of a normalised spec, into BUF. */
void   cn_step_text(json_t *s, char *buf, size_t len);
/* The status object of a rollout (what `paved rollout status` shows). */
json_t *cn_status(paved_ctx *ctx, const char *svc, const char *env);
int    cn_h_check(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_h_run(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_h_status(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_h_promote(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_h_abort(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_h_retry(paved_ctx *, json_t *, json_t **, char **, void *);

/* ---- cli.c ----------------------------------------------------------------------------- */

int    cn_cli_rollout(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_cli_promote(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_cli_abort(paved_ctx *, json_t *, json_t **, char **, void *);
int    cn_cli_retry(paved_ctx *, json_t *, json_t **, char **, void *);

/* The options of the normalisation (plugin options). */
void   cn_opts(paved_ctx *ctx, struct cx_opts *o);

#endif
