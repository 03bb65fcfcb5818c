/*
 * provision.h -- internals of the provision core plugin (prefix pc_).
 *
 * The core turns an intent ({type, name, env, size, options}) into a call
 * of the driver hook "provision.driver.TYPE.DRIVER" picked from the
 * configuration, keeps the secret it returns under $PAVED_HOME/secrets
 * (mode 0600) and records the resource in the state database (namespace
 * "provision", key = resource name).  See README.md for the contracts.
 */
#ifndef PROVISION_H
#define PROVISION_H

#include <stdbool.h>
#include <paved/plugin.h>

#include "../common/prutil.h"

PAVED_PLUGIN_INIT3;

#define PC_NS "provision"

/* resource.c: create (or find unchanged) one resource.  SPEC is borrowed:
 * {type, name, env?, size?, service?, options?, dir?}.  *RESULT (new) is
 * the public record plus "changed" (and "dry_run").  The caller holds the
 * lock (pc_lock). */
int pc_create(paved_ctx *ctx, json_t *spec, bool dry_run, json_t **result, char **errmsg);
/* Check SPEC and fill in defaults (env "dev", size "small", the driver):
 * returns a new normalised spec or NULL with *errmsg set. */
json_t *pc_normalise(paved_ctx *ctx, json_t *spec, char **errmsg);
/* Destroy resource NAME (driver, secret, record).  Caller holds the lock. */
int pc_destroy(paved_ctx *ctx, const char *name, json_t **result, char **errmsg);
/* The record of NAME without driver internals (new), or NULL. */
json_t *pc_public(json_t *record);
/* Ask every configured driver to stop its local servers: {"stopped": N}. */
int pc_stop_all(paved_ctx *ctx, json_t **result, char **errmsg);
/* Ask the driver of every resource to start its server if it is down:
 * {"started": N}. */
int pc_start_all(paved_ctx *ctx, json_t **result, char **errmsg);
/* Status of NAME's resource from its driver (new), or NULL with *errmsg. */
json_t *pc_status(paved_ctx *ctx, const char *name, char **errmsg);

/* secrets.c */
char *pc_secret_path(paved_ctx *ctx, const char *name);
int   pc_secret_write(paved_ctx *ctx, const char *name, const char *var, const char *url,
                      char **errmsg);
/* The URL kept for NAME (malloc()ed) or NULL. */
char *pc_secret_read(paved_ctx *ctx, const char *name);
void  pc_secret_remove(paved_ctx *ctx, const char *name);

/* lock.c: the provisioning lock, $PAVED_HOME/provision/lock (flock).
 * Re-entrant within one process. */
int  pc_lock(paved_ctx *ctx, char **errmsg);
void pc_unlock(void);

/* intent.c: parse platform.yaml into {"service": S, "resources":
 * [{"key": K, "type": T, "size"?: S, "options": {...}}, ...]}. */
json_t *pc_intent_load(const char *path, char **errmsg);

/* apply.c */
int pc_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg);

/* cli.c */
int pc_cli_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int pc_cli_provision(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int pc_cli_resources(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

/* catalog.c: flow a resource's cost into the catalog, if installed. */
void pc_catalog_put(paved_ctx *ctx, json_t *record);
void pc_catalog_delete(paved_ctx *ctx, const char *name);

/* plugin.c: take over a pu_* error message as the hook's error. */
int pc_fail(char **errmsg, char *err);

#endif
