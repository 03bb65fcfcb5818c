/*
 * pgdriver.h -- internals of the provision_postgres plugin (prefix ppg_).
 */
#ifndef PGDRIVER_H
#define PGDRIVER_H

#include <stdbool.h>
#include <libpq-fe.h>
#include <paved/plugin.h>

#include "../common/prutil.h"

PAVED_PLUGIN_INIT3;

/* cluster.c: the superuser connection (kept open; borrowed), starting the
 * paved-owned cluster first when START and it is down.  NULL + *errmsg. */
PGconn *ppg_connect(paved_ctx *ctx, bool start, char **errmsg);
const char *ppg_host(void);
int  ppg_port(void);
void ppg_disconnect(void);
/* Stop the paved-owned cluster if it runs (*STOPPED = 1). */
int  ppg_stop(paved_ctx *ctx, int *stopped, char **errmsg);

#endif
