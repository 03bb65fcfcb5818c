/*
 * pgdriver.h -- internals of the provision_postgres plugin (prefix ppg_):
 * the postgres-local driver of the provision area.
 */
#ifndef PGDRIVER_H
#define PGDRIVER_H

#include <stdbool.h>
#include <libpq-fe.h>
#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT3;

/* cluster.c: the superuser connection to the maintenance database (kept
 * open; borrowed), creating (initdb) and starting the paved-owned cluster
 * first when START and it is missing or down.  NULL + *ERRMSG. */
PGconn *ppg_connect(paved_ctx *ctx, bool start, char **errmsg);
/* A new superuser connection to database DB of the same server (after
 * ppg_connect succeeded); the caller PQfinish()es it.  NULL + *ERRMSG. */
PGconn *ppg_connect_db(const char *db, char **errmsg);
const char *ppg_host(void);
int  ppg_port(void);
void ppg_disconnect(void);
/* Stop the paved-owned cluster of this home if it runs (*STOPPED = 1),
 * wherever it lives (see cluster.c). */
int  ppg_stop(paved_ctx *ctx, int *stopped, char **errmsg);
/* The test-only fault point NAME (PAVED_TEST_FAULT): the process kills
 * itself there, as a kill -9 would. */
void ppg_fault(const char *name);

/* sql.c: the verbs that work in the server. */
int ppg_create(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg);
int ppg_update(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg);
int ppg_destroy(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg);
int ppg_status(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg);

/* params.c: what a resource's class and params mean here. */
/* Check RES's class and params (PREV: what it is now, for the messages). */
int ppg_check(paved_ctx *ctx, json_t *res, json_t *prev, char **errmsg);
/* The connection limit of CLASS (-1: none). */
int ppg_connection_limit(paved_ctx *ctx, const char *cls);
/* The encoding of RES ("UTF8" when not given). */
const char *ppg_encoding(json_t *res);
/* The backups setting of RES as text ("daily" when not given). */
char *ppg_backups(json_t *res);
/* provision.driver.postgres-local.plan */
int ppg_plan(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg);

#endif
