/*
 * postgres.c -- the provision_postgres plugin: the driver "postgres-local"
 * of the provision area, hooks provision.driver.postgres-local.VERB for
 * the verbs sdk/hooks.json declares (create, update, plan, destroy,
 * status, start, stop).  The work is in sql.c (the server), cluster.c
 * (which server) and params.c (class and params).
 */
#include <string.h>

#include "pgdriver.h"

PAVED_PLUGIN_INIT1;

enum verb { CREATE, UPDATE, PLAN, DESTROY, STATUS, START, STOP };

/* Start the cluster if it is down: {started: 1}, else {started: 0}. */
static int start(paved_ctx *ctx, json_t **result, char **errmsg)
{
	char *e = NULL;
	bool was = ppg_connect(ctx, false, &e) != NULL;
	free(e);
	if (!was && !ppg_connect(ctx, true, errmsg))
		return PAVED_ERR;
	*result = json_pack("{si}", "started", was ? 0 : 1);
	return PAVED_OK;
}

/* provision.driver.postgres-local.VERB; DATA is the verb. */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	enum verb v = (enum verb)(long)data;
	json_t *res = json_object_get(args, "resource"), *prev = json_object_get(args, "previous");
	if (v == STOP) {
		int n = 0;
		if (ppg_stop(ctx, &n, errmsg))
			return PAVED_ERR;
		*result = json_pack("{si}", "stopped", n);
		return PAVED_OK;
	}
	if (!json_is_string(json_object_get(res, "name")) ||
	    ((v == UPDATE || v == PLAN) && !json_is_object(prev)))
		return paved->error(errmsg, "arguments {\"resource\": {\"name\", ...}%s} are required",
		                    v == UPDATE || v == PLAN ? ", \"previous\"" : "");
	switch (v) {
	case CREATE:  return ppg_create(ctx, res, result, errmsg);
	case UPDATE:  return ppg_update(ctx, res, prev, result, errmsg);
	case PLAN:    return ppg_plan(ctx, res, prev, result, errmsg);
	case DESTROY: return ppg_destroy(ctx, res, result, errmsg);
	case STATUS:  return ppg_status(ctx, res, result, errmsg);
	default:      return start(ctx, result, errmsg);
	}
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	static const char *const verbs[] = { "create", "update", "plan", "destroy", "status",
	                                     "start", "stop", NULL };
	PAVED_PLUGIN_INIT2(a);
	return pc_provide_verbs(ctx, "provision.driver.postgres-local", verbs, driver, errmsg);
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	ppg_disconnect();
}

static const struct paved_option options[] = {
	{ "bindir", PAVED_OPT_STRING, "\"\"",
	  "directory of initdb and pg_ctl (default: newest /usr/lib/postgresql/N/bin, else PATH)" },
	{ "port", PAVED_OPT_INT, "0", "port of the paved-owned cluster (0: a free port)" },
	{ "start_timeout", PAVED_OPT_INT, "30", "seconds to wait for the cluster to start" },
	{ "run_as", PAVED_OPT_STRING, "\"postgres\"",
	  "when paved runs as root: the user the paved-owned cluster runs as (via runuser)" },
	{ "server", PAVED_OPT_OBJECT, "null",
	  "an existing server instead of a paved-owned cluster: {host, port, user, password, "
	  "dbname, sslmode}" },
	{ "classes", PAVED_OPT_OBJECT, "{\"small\": 25, \"medium\": 50, \"large\": -1}",
	  "connection limit of a database per class (-1: none); its keys are the known classes" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision_postgres, "2.0.0",
                     "PostgreSQL databases with their own role: the postgres-local driver",
                     init, fini, options);
