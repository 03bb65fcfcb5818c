/*
 * glue.h -- what the plugin's hooks (plugin.c), its command (cli*.c) and
 * the live health (health.c) share: the parts that call the host beyond
 * its YAML reader.
 */
#ifndef CATALOG_GLUE_H
#define CATALOG_GLUE_H

#include <paved/plugin.h>

#include "catalog.h"

/* The catalog database of the plugin, opened on first use (kept open until
 * fini).  NULL with *errmsg set when it cannot be opened. */
struct cat_db *cat_plugin_db(paved_ctx *ctx, char **errmsg);

/* Emit catalog.imported for an import that wrote something. */
void cat_emit_imported(paved_ctx *ctx, const struct cat_import *res);
/* Emit catalog.entity.deleted for REF. */
void cat_emit_deleted(paved_ctx *ctx, const char *ref);

/* The hook cli.catalog: `paved catalog SUBCOMMAND ...` (cli.c). */
int cat_cli(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

/* ---- health.c: live state from the runtime, deploy records, metrics ---- */

/* The live state of service ENTITY (its metadata.name is the service),
 * in ENV or every env (ENV NULL): {"status", "envs": [{"env", "status",
 * "url", "replicas": {"healthy","in_traffic","total"}, "version",
 * "deployed_at", "strategy", "last_attempt"?, "rollout"?, "metrics"?}],
 * "notes": [why something is unknown], "declared_url"?}.  LIVE: ask
 * deploy.status and metrics.red too.  Never fails: what no plugin can
 * say is "unknown" with a note.  A new object. */
json_t *health_of(paved_ctx *ctx, json_t *entity, const char *env, bool live);
/* The fleet: one runtime.status call for every entity of ENTITIES:
 * [{"ref", "env", "status", "url", "replicas", "version", "deployed_at"}],
 * an entity the runtime does not know once with status "not deployed"
 * (or "unknown" without a runtime, the reason added to NOTES). */
json_t *health_fleet(paved_ctx *ctx, json_t *entities, const char *env, json_t *notes);

#endif
