/*
 * provision.h -- internals of the provision core plugin (prefix prv_).
 *
 * The core reads the resources a service declares in platform.yaml
 * (Score's vocabulary: type, class, params), plans each against what exists
 * (create, update in place, replace, destroy), and carries the plan out
 * through the driver area's fronts provision.VERB; the host picks the
 * driver (drivers.provision.TYPE.ENV, else the declared defaults).  It
 * keeps each resource's connection details in a 0600 file under
 * $PAVED_HOME/secrets, its record in the state database (namespace
 * "provision", key = name) and, before every change, a journal entry
 * (namespace "provision-journal") that the next command uses to finish or
 * roll back a change a killed paved left half-made.  See README.md.
 */
#ifndef PROVISION_H
#define PROVISION_H

#include <stdbool.h>
#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT3;

#define PRV_NS       "provision"
#define PRV_JOURNAL  "provision-journal"

/* ---- drivers.c: which driver, and calling it -------------------------- */

/* Whether TYPE is known: drivers.provision or the declared defaults name it. */
bool prv_type_known(paved_ctx *ctx, const char *type);
/* "a, b and c": the known types (malloc()ed). */
char *prv_known_types(paved_ctx *ctx);
/* The driver for TYPE in ENV (borrowed from the configuration or the
 * declarations), or NULL with *ERRMSG; *WHY (may be NULL) names the setting
 * it came from ("drivers.provision.postgres.dev", "the declared default"). */
const char *prv_driver_for(paved_ctx *ctx, const char *type, const char *env,
                           char *why, size_t whylen, char **errmsg);
/* Call the front provision.VERB for resource record REC (its driver is
 * passed as the argument "driver", so a resource always goes back to the
 * driver that made it); PREVIOUS (may be NULL) for update and plan.
 * *RES (may be NULL) receives the result.  Errors are one line. */
int prv_call(paved_ctx *ctx, const char *verb, json_t *rec, json_t *previous, json_t **res,
             char **errmsg);
/* Every driver named by drivers.provision, the declared defaults or a
 * record: a new array of names. */
json_t *prv_all_drivers(paved_ctx *ctx);
/* The test-only fault point NAME: when PAVED_TEST_FAULT names it, the
 * process kills itself there (SIGKILL), as a kill -9 would. */
void prv_fault(const char *name);

/* ---- resource.c: one resource ------------------------------------------ */

/* Check SPEC ({type, name, env?, class?, params?, service?, key?, owner?,
 * dir?}) and fill in the defaults (env "dev", class "small", the driver,
 * env_var, cost_per_month): a new record, or NULL with *ERRMSG.  PREVIOUS
 * (may be NULL): the record of that name, for the message about a class. */
json_t *prv_normalise(paved_ctx *ctx, json_t *spec, json_t *previous, char **errmsg);
/* The fields that differ from OLD to N: a new array of "FIELD: A -> B". */
json_t *prv_diff(json_t *old, json_t *n);
/* The strings of LIST joined by SEP (malloc()ed). */
char *prv_join(json_t *list, const char *sep);
/* Whether NAME is a valid resource name (lowercase, see README.md). */
bool prv_valid_name(const char *name);
/* Carry out one change, journaled: create N, update OLD to N, destroy OLD.
 * *RES (new) is the public record (create, update).  The caller holds the
 * lock. */
int prv_create(paved_ctx *ctx, json_t *n, json_t **res, char **errmsg);
int prv_update(paved_ctx *ctx, json_t *n, json_t *old, json_t **res, char **errmsg);
int prv_destroy(paved_ctx *ctx, json_t *old, char **errmsg);
/* The record as users see it: without the driver's private state (new). */
json_t *prv_public(json_t *record);
/* What drivers receive: {name, type, env, class, driver, service?, params,
 * dir?, state?} of record REC (new). */
json_t *prv_driver_view(json_t *rec);
/* provision.resource: one resource outside platform.yaml (paved provision). */
int prv_resource(paved_ctx *ctx, json_t *spec, bool dry_run, json_t **result, char **errmsg);
/* Emit EVENT about REC with EXTRA_KEY: EXTRA (taken; may be NULL). */
void prv_emit(paved_ctx *ctx, const char *event, json_t *rec, const char *extra_key,
              json_t *extra);

/* ---- journal.c: intent recorded before acting ---------------------------- */

/* Record that OP ("create", "update", "destroy") of REC is about to start
 * (PREVIOUS: the record an update starts from). */
int  prv_journal_put(paved_ctx *ctx, const char *op, json_t *rec, json_t *previous,
                     char **errmsg);
void prv_journal_del(paved_ctx *ctx, const char *name);
/* Finish or roll back what killed commands left in the journal: an update
 * is taken back to the record, a destroy is finished, a create is rolled
 * back -- unless FINISH (an object name -> record, may be NULL) holds the
 * same resource, which the caller is about to create (the driver's create
 * adopts what is there).  *DONE (new, may be NULL) lists {name, op,
 * outcome}.  A failure is logged and leaves its entry for the next run. */
void prv_recover(paved_ctx *ctx, json_t *finish, json_t **done);

/* ---- platform.c: platform.yaml ------------------------------------------ */

/* Read PATH (a platform.yaml, or a directory holding one) for ENV: a new
 * {file, dir, service, resources: {KEY: {type, class, params}}} with the
 * environment's overrides merged, or NULL with *ERRMSG
 * ("FILE:LINE:COLUMN: ..."). */
json_t *prv_platform_read(paved_ctx *ctx, const char *path, const char *env, char **errmsg);

/* ---- plan.c and apply.c -------------------------------------------------- */

/* Plan DESIRED (name -> normalised record) against the records of SERVICE
 * in ENV: a new array of steps {action: create|update|replace|destroy|none,
 * name, key, type, class, driver, fields?, reason?, has_data?, confirm?,
 * record?, previous?}.  PRUNE: "destroy" steps will be carried out.  NULL
 * with *ERRMSG for a change no driver can make. */
json_t *prv_plan(paved_ctx *ctx, json_t *desired, const char *service, const char *env,
                 bool prune, char **errmsg);
/* provision.apply (see README.md). */
int prv_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);

/* ---- secrets.c: connection details, mode 0600 ------------------------- */

/* $PAVED_HOME/secrets checked (owned by us, 0700, no link; a home other
 * users may write is repaired with a warning): malloc()ed, or NULL with
 * *ERRMSG. */
char *prv_secrets_dir(paved_ctx *ctx, char **errmsg);
char *prv_secret_path(paved_ctx *ctx, const char *name);
/* Store OUTPUTS (the connection details: url, host, port, ...) of NAME. */
int prv_secret_write(paved_ctx *ctx, const char *name, json_t *outputs, char **errmsg);
/* The stored outputs of NAME (new), or NULL when there are none. */
json_t *prv_secret_read(paved_ctx *ctx, const char *name, char **errmsg);
void prv_secret_remove(paved_ctx *ctx, const char *name);
/* The outputs of a driver's result: its "outputs", else those the URL
 * names (scheme://username:password@host:port/name); new, or NULL. */
json_t *prv_outputs_of(json_t *driver_result);

/* ---- lock.c: $PAVED_HOME/provision/lock ---------------------------------- */

int  prv_lock(paved_ctx *ctx, char **errmsg);
void prv_unlock(void);

/* ---- catalog.c ------------------------------------------------------------- */

/* Register REC as a Backstage Resource when a catalog is installed and an
 * owner is known (REC's owner, or its service's); else log why not. */
void prv_catalog_put(paved_ctx *ctx, json_t *rec);
void prv_catalog_delete(paved_ctx *ctx, const char *name);

/* ---- cli_apply.c, cli_resources.c ----------------------------------------- */

int prv_cli_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int prv_cli_provision(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                      void *data);
int prv_cli_resources(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                      void *data);
/* Ask on the terminal to type NAME to confirm WHAT ("destroy"); PAVED_OK
 * when typed, else an error.  Refused without a terminal. */
int prv_confirm(const char *what, const char *name, char **errmsg);
/* Print JSON to stdout (with --json). */
void prv_print_json(json_t *v);

/* ---- hooks.c ---------------------------------------------------------------- */

/* resources.destroy {name, yes?} and the others behind `paved resources`. */
int prv_destroy_named(paved_ctx *ctx, const char *name, bool yes, json_t **result,
                      char **errmsg);
int prv_status_named(paved_ctx *ctx, const char *name, json_t **result, char **errmsg);
int prv_stop_all(paved_ctx *ctx, json_t **result, char **errmsg);
int prv_start_all(paved_ctx *ctx, json_t **result, char **errmsg);
int prv_list(paved_ctx *ctx, json_t **result);

#endif
