/*
 * glue.h -- what plugin.c (the hooks) shares with cli.c (the command).
 * Only these two files see the paved ABI.
 */
#ifndef CATALOG_GLUE_H
#define CATALOG_GLUE_H

#include <paved/plugin.h>

#include "catalog.h"

/* The host's function table, set by init(). */
PAVED_PLUGIN_INIT3;

/* The catalog database of host H, opened on first use (kept open until
 * fini).  NULL with *errmsg set when it cannot be opened. */
struct cat_db *cat_plugin_db(paved_ctx *ctx, char **errmsg);

/* Emit catalog.imported for a successful, non-dry-run import. */
void cat_emit_imported(paved_ctx *ctx, const struct cat_import *res);
/* Emit catalog.entity.deleted for REF. */
void cat_emit_deleted(paved_ctx *ctx, const char *ref);

/* The hook cli.catalog: `paved catalog SUBCOMMAND ...`. */
int cat_cli(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

#endif
