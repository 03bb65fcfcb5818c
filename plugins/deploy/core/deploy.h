/*
 * deploy.h -- internals of the deploy plugin (prefix dc_), the deploy
 * core: releases built from the repository, their records, the commands
 * and the hooks the golden paths call.  Strategies are drivers reached
 * through the front deploy.run; the runtime through runtime.VERB.
 *
 *   plugin.c      descriptor, options, hook table; deploy.service, deploy.destroy
 *   platform.c    platform.yaml: reading, the deploy section, variables
 *   source.c      where a release comes from: the forge, or a working copy (--dir)
 *   build.c       the release directory and the build command
 *   deploy.c      one deploy, start to record
 *   records.c     release records, ids, the service index
 *   lock.c        one lock per service and env
 *   live.c        what runs: runtime.status summaries, scrape targets
 *   lifecycle.c   rollback, restart, scale, stop, delete
 *   progress.c    strategies whose rollout outlives the command: deploy.check
 *                 before the build, the stable release, deploy.record
 *   cli.c         option parsing and output shared by the commands
 *   cli_*.c       the commands
 */
#ifndef DC_DEPLOY_H
#define DC_DEPLOY_H

#include <stdbool.h>
#include <stdio.h>

#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT3;

/* ---- platform.c ---------------------------------------------------------- */

/* The deploy section of a release's platform.yaml for one env, as
 * platform.read hands it back.  Everything but DOC and CONFIG is borrowed
 * from DOC. */
struct dc_config {
	json_t     *doc;        /* platform.read's document (owned) */
	json_t     *argv;       /* deploy.run */
	json_t     *build;      /* deploy.build, or NULL when there is none */
	const char *run_text, *build_text, *health, *strategy;
	int         port, replicas;
	bool        auto_deploy;
	json_t     *variables;  /* deploy.variables as written, or NULL */
	json_t     *config;     /* the strategy's knobs (max_surge, steps, ...) (owned), or NULL */
};

/* Read platform.yaml PATH for ENV through the host's platform.read (its
 * warnings are logged).  NAME prefixes errors ("payment-api@1a2b3c4d5e6f").
 * *DOC is new. */
int  dc_platform_read(paved_ctx *ctx, const char *path, const char *name, const char *env,
                      json_t **doc, char **errmsg);
/* The deploy section for ENV of the release in DIR: deploy.run is
 * required (an error naming the file, never a guess). */
int  dc_config_read(paved_ctx *ctx, const char *dir, const char *name, const char *env,
                    struct dc_config *c, char **errmsg);
void dc_config_free(struct dc_config *c);
/* The replicas' variables: C's deploy.variables with every
 * ${resources.KEY.FIELD} filled from provision.outputs {service, env}.
 * FILE names the release in messages.  *OUT is new; the values may be
 * secrets: never record or print them. */
int  dc_variables(paved_ctx *ctx, const char *svc, const char *env, const struct dc_config *c,
                  const char *file, json_t **out, char **errmsg);

/* ---- source.c -------------------------------------------------------------- */

/* What is deployed: a commit of the forge repository, or of a working copy. */
struct dc_source {
	const char *svc;
	const char *dir;       /* the working copy (--dir), or NULL: the forge */
	json_t     *commit;    /* {sha, short, ref, author, committed_at, subject} (owned) */
};
/* Resolve REF (NULL: the default branch's head, or the working copy's
 * HEAD) of SVC's repository, or of the working copy DIR.  A working copy
 * with uncommitted changes is refused with a message listing them.  A
 * service with no repository is "no service 'SVC'".  On failure *S owns
 * nothing. */
int  dc_source_resolve(paved_ctx *ctx, const char *svc, const char *dir, const char *ref,
                       struct dc_source *s, char **errmsg);
/* Check the source's commit out into DEST (which must not exist). */
int  dc_source_checkout(paved_ctx *ctx, struct dc_source *s, const char *dest, char **errmsg);
void dc_source_free(struct dc_source *s);
/* Does service SVC exist (a live forge repository, or deploy records that
 * were not deleted)? */
bool dc_service_exists(paved_ctx *ctx, const char *svc);

/* ---- build.c ----------------------------------------------------------------- */

/* $PAVED_HOME/deploy/releases/SVC/ENV/ID (ENV and ID may be NULL for the
 * parents); caller frees.  A release's files are in ID/SVC. */
char *dc_release_dir(paved_ctx *ctx, const char *svc, const char *env, const char *id);
/* $PAVED_HOME/logs/ENV/SVC/build-ID.log; caller frees. */
char *dc_build_log(paved_ctx *ctx, const char *svc, const char *env, const char *id);
/* Run the build command ARGV (no shell) in DIR, output to LOG.  A failure
 * names the command, its exit status and the last line of its output. */
int  dc_build(paved_ctx *ctx, json_t *argv, const char *text, const char *dir, const char *log,
              char **errmsg);

/* ---- records.c ------------------------------------------------------------------ */

/* A new release id: sortable by time, unique (the release directory of
 * DIR/ID is made with mkdir, which fails on a clash, and the caller
 * retries).  Writes 40 bytes at most. */
void    dc_new_id(char id[48]);
/* Store release record REC (its "service", "env", "id"); PAVED_ERR with
 * the database's message. */
int     dc_record_put(paved_ctx *ctx, json_t *rec, char **errmsg);
/* Release record ID of SVC in ENV (new), or NULL. */
json_t *dc_record_get(paved_ctx *ctx, const char *svc, const char *env, const char *id);
/* Every release record of SVC in ENV (NULL: every env), oldest first (new array). */
json_t *dc_records(paved_ctx *ctx, const char *svc, const char *env);
/* The live release of SVC in ENV (new), or NULL. */
json_t *dc_current(paved_ctx *ctx, const char *svc, const char *env);
int     dc_set_current(paved_ctx *ctx, const char *svc, const char *env, const char *id,
                       char **errmsg);
/* The service index: {SVC: {envs: {ENV: true}, deleted?: TIME}} (new). */
json_t *dc_index(paved_ctx *ctx);
json_t *dc_index_get(paved_ctx *ctx, const char *svc);
int     dc_index_env(paved_ctx *ctx, const char *svc, const char *env, bool add, char **errmsg);
int     dc_index_deleted(paved_ctx *ctx, const char *svc, char **errmsg);
/* Forget every record of SVC in ENV (a golden path's undo). */
int     dc_records_forget(paved_ctx *ctx, const char *svc, const char *env, char **errmsg);
/* The current UTC time, ISO 8601 with milliseconds. */
void    dc_now_iso(char buf[32]);

/* ---- lock.c ----------------------------------------------------------------------- */

/* Take the lock of SVC in ENV ($PAVED_HOME/deploy/locks), waiting up to
 * the option lock_timeout; *FD is released with dc_unlock. */
int  dc_lock(paved_ctx *ctx, const char *svc, const char *env, int *fd, char **errmsg);
void dc_unlock(int fd);

/* ---- live.c -------------------------------------------------------------------------- */

/* runtime.status of SVC in ENV: the entry (new), or NULL when the runtime
 * knows nothing of it. */
json_t *dc_runtime_entry(paved_ctx *ctx, const char *svc, const char *env, char **errmsg);
/* Counts of ENTRY's replicas: all, in traffic, in traffic and healthy,
 * and those of VERSION in traffic and healthy (VERSION may be NULL). */
struct dc_counts { int total, in, healthy, version_ok; };
struct dc_counts dc_count(json_t *entry, const char *version);
/* What is in traffic now, in words ("version V (2 replicas)", "versions
 * A (1) and B (1)", "nothing"); malloc()ed. */
char   *dc_in_traffic(paved_ctx *ctx, const char *svc, const char *env);
/* Point the scrape targets of SVC in ENV at its running replicas
 * (monitoring.targets); a missing monitoring driver is no error. */
void    dc_sync_targets(paved_ctx *ctx, const char *svc, const char *env);
/* Emit EVENT with REC's identifying fields (+ REASON when set). */
void    dc_event(paved_ctx *ctx, const char *event, json_t *rec);

/* ---- deploy.c ------------------------------------------------------------------------- */

/* One deploy request. */
struct dc_req {
	const char *svc, *env;
	const char *ref;        /* --version, or NULL */
	const char *strategy;   /* --strategy, or NULL: platform.yaml's */
	const char *dir;        /* --dir, or NULL: the forge */
	const char *trigger;    /* cli, push, create */
};
/* Deploy: *RESULT (new) is {id, service, env, version, sha, url, outcome,
 * replicas, noop?}; on failure the error, and the record's outcome and
 * reason beside it. */
int dc_deploy(paved_ctx *ctx, const struct dc_req *req, json_t **result, char **errmsg);
/* Deploy the already built release of record REC again (rollback,
 * restart): no checkout, no build.  TRIGGER is recorded; STRATEGY NULL
 * means REC's; OVER (may be NULL) replaces deploy.run arguments
 * ("replicas", "config").  The caller holds the lock. */
int dc_redeploy(paved_ctx *ctx, json_t *rec, const char *trigger, const char *strategy,
                json_t *over, json_t **result, char **errmsg);
/* A name of the hooks.json pattern ^[a-z][a-z0-9-]{0,62}$ (services) or
 * ^[a-z][a-z0-9_-]{0,62}$ (envs, strategies). */
bool dc_valid_name(const char *s, bool underscore);

/* ---- progress.c ------------------------------------------------------------------------ */

/* The front deploy.check {service, env, strategy, config, replicas, slo,
 * file} for the release in DIR: the strategy refuses its config before
 * anything is built (the error names the field); its warnings become
 * steps.  A strategy without the verb passes. */
int     dc_preflight(paved_ctx *ctx, const char *svc, const char *env, const char *strategy,
                     const char *dir, struct dc_config *c, json_t *steps, double t0,
                     char **errmsg);
/* The live release of SVC in ENV as deploy.run's "stable" argument
 * {version, dir, argv, variables, health} (new), or NULL when there is
 * none or its release directory is gone. */
json_t *dc_stable(paved_ctx *ctx, const char *svc, const char *env);
/* The rollout of SVC in ENV still in progress (a canary's), or NULL: the
 * newest record whose outcome is "progressing", confirmed by its
 * strategy's deploy.status (same id, phase Progressing or Paused).  New
 * {strategy, id, version, phase, stable_version?, summary?, commands?}. */
json_t *dc_inflight(paved_ctx *ctx, const char *svc, const char *env);
/* End the rollout FL (dc_inflight's) of SVC in ENV with REASON: the front
 * deploy.abort {strategy, reason, wait: true, forget}: traffic on stable,
 * its replicas removed, its record ended, its controller gone.  Not under
 * the service's lock when the controller may still report (it takes it).
 * *ENDED (new): the abort's result with FL's fields. */
int     dc_end_rollout(paved_ctx *ctx, const char *svc, const char *env, json_t *fl,
                       const char *reason, bool forget, json_t **ended, char **errmsg);
/* Is STRATEGY progressive (steps, pauses, analysis: it answers
 * deploy.status)?  A rollback does not go through its steps. */
bool    dc_progressive(paved_ctx *ctx, const char *svc, const char *env, const char *strategy);
/* Refuse WHAT ("restart", "scale") while a rollout is in progress: an
 * error naming its step and the commands that end it, *RESULT {service,
 * env, refused, rollout}.  PAVED_OK when none is. */
int     dc_refuse_inflight(paved_ctx *ctx, const char *svc, const char *env, const char *what,
                           json_t **result, char **errmsg);
/* SVC in ENV is deleted: each progressive strategy its records name
 * removes what is left of its ended rollouts (deploy.abort {forget} with
 * nothing in progress: the state, with the variables it keeps).  A
 * failure is logged as a warning, the delete goes on. */
void    dc_forget_rollouts(paved_ctx *ctx, const char *svc, const char *env);
/* The hook deploy.record (see progress.c). */
int     dc_record_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

/* ---- lifecycle.c ------------------------------------------------------------------------ */

int dc_rollback(paved_ctx *ctx, const char *svc, const char *env, const char *to,
                json_t **result, char **errmsg);
int dc_restart(paved_ctx *ctx, const char *svc, const char *env, json_t **result, char **errmsg);
int dc_scale(paved_ctx *ctx, const char *svc, const char *env, int n, json_t **result,
             char **errmsg);
/* Stop SVC (all its envs, or ENV), or with SVC NULL every service. */
int dc_stop(paved_ctx *ctx, const char *svc, const char *env, json_t **result, char **errmsg);
/* End the rollout of SVC in ENV in progress, if any, before SVC is
 * deleted (its state goes too); what was aborted is appended to ENDED. */
int dc_end_for_delete(paved_ctx *ctx, const char *svc, const char *env, json_t *ended,
                      char **errmsg);
/* Undo a deploy of SVC in ENV: replicas, front door, releases, records. */
int dc_destroy(paved_ctx *ctx, const char *svc, const char *env, json_t **result, char **errmsg);
/* The envs SVC has records or replicas in (new array of strings). */
json_t *dc_envs(paved_ctx *ctx, const char *svc);

/* ---- cli.c ------------------------------------------------------------------------------- */

/* One command: its name, usage line, what it does, its options. */
struct dc_cmd {
	const char *name, *usage, *about;
	const struct paved_flag *flags;
	int min_args, max_args;
};
/* Parse ARGS.argv for CMD.  PAVED_OK with *P (new) to go on; PAVED_OK with
 * *P NULL after printing --help (nothing else to do); PAVED_ERR with
 * *RESULT {"exit": 2} and *ERRMSG for a usage error. */
int  dc_cli_parse(paved_ctx *ctx, json_t *args, const struct dc_cmd *cmd, json_t **p,
                  json_t **result, char **errmsg);
/* A usage error: *RESULT {"exit": 2}, *ERRMSG; returns PAVED_ERR. */
int  dc_usage(json_t **result, char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Flag NAME of parsed P: a string, or NULL. */
const char *dc_flag(json_t *p, const char *name);
/* Positional argument I of parsed P, or NULL. */
const char *dc_arg(json_t *p, size_t i);
/* --env of P, checked (default "dev"); NULL with a usage error. */
const char *dc_env_flag(json_t *p, json_t **result, char **errmsg);
/* The SERVICE argument (the first) and --env of P, checked; a usage
 * error otherwise. */
int  dc_service_env(json_t *p, const char **svc, const char **env, json_t **result,
                    char **errmsg);
/* Check a SERVICE argument: a usage error when it is not a service name. */
int  dc_check_service(const char *svc, json_t **result, char **errmsg);
/* Print V as indented JSON on stdout (V borrowed). */
void dc_print_json(json_t *v);
/* Is ARGS.json true (the global --json)? */
bool dc_json(json_t *args);
/* "12 s ago", "3 min ago", ... for ISO time T relative to now, into BUF. */
const char *dc_ago(const char *t, char *buf, size_t len);

/* ---- the commands (cli_*.c) ----------------------------------------------------------------- */

int dc_cli_deploy(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_releases(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_rollback(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_restart(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_scale(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_stop(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_status(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_logs(paved_ctx *, json_t *, json_t **, char **, void *);
int dc_cli_delete(paved_ctx *, json_t *, json_t **, char **, void *);

#endif /* DC_DEPLOY_H */
