/*
 * rdriver.h -- internals of the provision_redis plugin (prefix prd_): the
 * redis-local driver of the provision area.
 */
#ifndef RDRIVER_H
#define RDRIVER_H

#include <stdbool.h>
#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT3;

/* resp.c: run one command (ARGV) on the server at 127.0.0.1:PORT after
 * AUTH with PW: its reply as text (arrays joined by spaces; *IS_ERROR for
 * an error reply), or NULL when it cannot be reached.  Caller frees. */
char *prd_command(int port, const char *pw, const char *const argv[], bool *is_error);

/* server.c: one redis-server per resource. */
struct prd_server {
	char *dir, *conf, *pidf, *logf;   /* malloc()ed */
	int   port;
	char *pw;                         /* from the configuration file, or NULL */
};
/* The paths of resource NAME's server (its directory need not exist):
 * $PAVED_HOME/provision/redis/NAME, or as root /var/lib/paved/redis-HASH/
 * NAME (see server.c).  Reads the port and password of an existing
 * configuration.  0, or -1 with *ERRMSG. */
int  prd_server_init(paved_ctx *ctx, const char *name, struct prd_server *s, char **errmsg);
void prd_server_free(struct prd_server *s);
/* The directory holding every resource's server of this home (malloc()ed),
 * or NULL when there is none. */
char *prd_base(paved_ctx *ctx, bool create, char **errmsg);
/* Whether S's directory is paved's for resource NAME: it names NAME in
 * its file "paved-resource", or it is empty (a create killed right after
 * making it). */
bool prd_ours(struct prd_server *s, const char *name);
/* Make S's directory (0700, owned by the user redis runs as; it must be
 * absent, empty or paved's own), returning whether it is paved's. */
int  prd_server_dir(paved_ctx *ctx, struct prd_server *s, const char *name, char **errmsg);
/* Write S's configuration for RES (class and params) with S->port and S->pw. */
int  prd_write_conf(paved_ctx *ctx, struct prd_server *s, json_t *res, char **errmsg);
/* Start S's server and wait until it answers; 0, or -1 with *ERRMSG. */
int  prd_start(paved_ctx *ctx, struct prd_server *s, char **errmsg);
/* Stop the server whose pid file is in DIR: 1 if one ran, else 0. */
int  prd_stop_dir(const char *dir);
/* Whether S's server answers PING. */
bool prd_up(struct prd_server *s);

/* params.c: class and params. */
int  prd_check(paved_ctx *ctx, json_t *res, json_t *prev, char **errmsg);
const char *prd_policy(json_t *res);        /* maxmemory-policy */
const char *prd_maxmemory(paved_ctx *ctx, json_t *res);
bool prd_aof(json_t *res);                  /* appendonly */
int  prd_plan(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg);

/* The test-only fault point NAME (PAVED_TEST_FAULT). */
void prd_fault(const char *name);

#endif
