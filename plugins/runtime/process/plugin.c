/*
 * plugin.c -- runtime_process: a service's replicas as supervised local
 * processes behind one HAProxy per home.  The driver "process" of the
 * runtime area: it provides runtime.driver.process.VERB for every verb
 * that sdk/hooks.json declares (callers use the fronts runtime.VERB).
 *
 *   verbs.c      ensure start wait enable disable weights remove prune
 *   report.c     status stop destroy logs
 *   spec.c       spec.json under the service's lock
 *   control.c    the supervisor: found, started, adopted, stopped
 *   haproxy.c    the one HAProxy of the home, under its lock
 *   net.c        free ports, the health probe
 *   files.c procs.c paths.c logfile.c   shared with paved-supervisor
 *   supervisor.c sup_replicas.c         paved-supervisor itself
 */
#include "runtime.h"

#include <stdio.h>

PAVED_PLUGIN_INIT1;

static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
{
	PAVED_PLUGIN_INIT2(api);
	static const struct { const char *verb; paved_fn fn; } verbs[] = {
		{ "ensure", rv_ensure }, { "start", rv_start }, { "wait", rv_wait },
		{ "enable", rv_enable }, { "disable", rv_disable }, { "weights", rv_weights },
		{ "remove", rv_remove }, { "status", rq_status }, { "stop", rq_stop },
		{ "destroy", rq_destroy }, { "prune", rv_prune }, { "logs", rq_logs },
	};
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
		char hook[64];
		snprintf(hook, sizeof hook, "runtime.driver.process.%s", verbs[i].verb);
		if (paved->provide(ctx, hook, verbs[i].fn, NULL, NULL, errmsg))
			return PAVED_ERR;
	}
	return PAVED_OK;
}

static const struct paved_option options[] = {
	{ "ports", PAVED_OPT_STRING, "\"\"",
	  "loopback ports for front doors and replicas, LO-HI (empty: any free port)" },
	{ "stop_grace", PAVED_OPT_INT, "10",
	  "seconds a replica has to exit after SIGTERM before SIGKILL" },
	{ "keep_seconds", PAVED_OPT_INT, "600",
	  "seconds a replica out of traffic is kept running before runtime.prune removes it" },
	{ "log_max_bytes", PAVED_OPT_INT, "1048576",
	  "size of a replica's log file before it is rotated" },
	{ "log_keep", PAVED_OPT_INT, "3", "rotated log files kept per replica" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(runtime_process, "0.2.0",
                     "runtime driver 'process': supervised local processes behind HAProxy",
                     init, NULL, options);
