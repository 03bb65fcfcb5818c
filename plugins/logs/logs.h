/*
 * logs.h -- the logs plugin's modules (one prefix each):
 *   backend.c  lb_  the Loki paved runs (or the one configured): where it
 *                   is, starting it on demand, stopping it, its status
 *   shipctl.c  lc_  the shipper process paved-logship of the home
 *   query.c    lq_  logs.query: LogQL over Loki's HTTP API
 *   plugin.c        registration, options, `paved loki`, the observer
 */
#ifndef LOGS_LOGS_H
#define LOGS_LOGS_H

#include <stdbool.h>
#include <sys/types.h>
#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT3;

/* ---- backend.c ---- */

/* The Loki to use: the option url (*MANAGED false), else the one paved
 * runs for this home (*MANAGED true; its URL is known once it was made).
 * *URL malloc()ed.  PAVED_ERR with a message naming what to install or
 * run when there is none. */
int  lb_url(paved_ctx *ctx, char **url, bool *managed, char **errmsg);
/* GET URL/ready within TIMEOUT_MS: true when Loki says it is ready. */
bool lb_ready(const char *url, long timeout_ms);
/* Make sure Loki runs: the configured one answers, or paved's own is
 * made (first use) and started.  *URL (malloc()ed) where it answers. */
int  lb_up(paved_ctx *ctx, char **url, bool *managed, char **errmsg);
/* Stop the Loki paved runs for this home (none configured is stopped):
 * *STOPPED is how many processes were stopped. */
int  lb_down(paved_ctx *ctx, int *stopped, char **errmsg);
/* {running, url, managed, detail, pid?, dir?} */
json_t *lb_status(paved_ctx *ctx);
/* The argument that finds paved's Loki's process ("-config.file=..."),
 * malloc()ed; NULL when it was never made. */
char *lb_config_arg(paved_ctx *ctx);
/* The request timeout of every HTTP call (option timeout_ms). */
long lb_timeout(paved_ctx *ctx);
/* SIGTERM to the N PIDS, SIGKILL to what is left after GRACE_MS; returns
 * how many are still alive. */
int  lb_stop_pids(const pid_t *pids, int n, long grace_ms);

/* ---- shipctl.c ---- */

/* The live shipper of the home, or 0. */
pid_t lc_pid(paved_ctx *ctx);
/* Point the shipper at URL (target.json) and start it unless it runs. */
int   lc_start(paved_ctx *ctx, const char *url, char **errmsg);
/* Stop it (it ships one last round); *STOPPED 1 when one ran. */
int   lc_stop(paved_ctx *ctx, int *stopped, char **errmsg);
/* Its status.json, or NULL. */
json_t *lc_status(paved_ctx *ctx);

/* ---- query.c ---- */

int lq_query(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

#endif
