/*
 * pm.h -- the plugin "prometheus": the monitoring driver `prometheus`
 * (rules, file_sd targets, dashboards, runbooks), the metrics backend (an
 * embedded Prometheus paved starts on demand, or one named by
 * plugins.prometheus.url) and what reads it (metrics.status,
 * metrics.query, metrics.red, `paved metrics`).  See README.md.
 *
 * Modules and prefixes:
 *   plugin.c   registration, options                      (pm_)
 *   driver.c   monitoring.driver.prometheus.VERB          (pmd_)
 *   files.c    the monitoring directory                   (pmf_)
 *   backend.c  the backend's files: open, configuration, sync (pmb_)
 *   control.c  the embedded Prometheus: start, stop, running  (pmb_)
 *   http.c     libcurl, every request with a timeout      (pmh_)
 *   query.c    the query API, metrics.* hooks, RED        (pmq_)
 *   cli.c      paved metrics                              (pmc_)
 *   gen.h      what is generated (no paved API)           (pmg_)
 *   metricsd.c the program paved-metricsd (no paved API)
 */
#ifndef PM_H
#define PM_H

#include <stdbool.h>
#include <sys/types.h>

#include <paved/plugin.h>

#include "gen.h"
#include "pc.h"

PAVED_PLUGIN_INIT3;

/* ---- files.c ------------------------------------------------------------ */

/* The monitoring directory: plugins.prometheus.dir, else
 * $PAVED_HOME/monitoring (malloc()ed; NULL when out of memory). */
char *pmf_dir(paved_ctx *ctx);
/* Write TEXT to PATH (atomically, MODE) unless it already holds exactly
 * that; *CHANGED (may be NULL) says whether it wrote.  0, or -1 with errno. */
int pmf_put(const char *path, const char *text, mode_t mode, bool *changed);
/* Remove PATH; a missing file is fine.  Whether it was there. */
bool pmf_remove(const char *path);
/* The names in DIR ending in SUFFIX, sorted (a new array; empty when DIR
 * is missing). */
json_t *pmf_list(const char *dir, const char *suffix);
/* Is NAME a service name (a DNS label)?  An env name? */
bool pmf_name_ok(const char *s);
bool pmf_env_ok(const char *s);

/* ---- backend.c ---------------------------------------------------------- */

/* The metrics backend of a home. */
struct pmb {
	char *home, *mon;     /* $PAVED_HOME, the monitoring directory */
	char *srv;            /* $PAVED_HOME/prometheus (as root a link to /var/lib/paved/...) */
	char *real;           /* its real path, NULL until it exists */
	char *url;            /* where Prometheus answers (NULL: not known yet) */
	bool  managed;        /* paved runs it (no plugins.prometheus.url) */
	int   port, exporter_port;
};

/* Fill B for the plugin's home and configuration; nothing is created. */
int  pmb_open(paved_ctx *ctx, struct pmb *b, char **errmsg);
void pmb_close(struct pmb *b);
/* Is the managed Prometheus's daemon (paved-metricsd) running? */
bool pmb_running(const struct pmb *b);
/* The pid of paved-metricsd, or 0. */
pid_t pmb_pid(const struct pmb *b);
/* Start the managed Prometheus unless it runs; with WAIT, return once it
 * answers /-/ready.  *STARTED (may be NULL) says whether this call started
 * it.  For a configured url: with WAIT, check that it answers. */
int  pmb_ensure(paved_ctx *ctx, struct pmb *b, bool wait, bool *started, char **errmsg);
/* Stop paved-metricsd and its Prometheus; nothing of it is left running.
 * *STOPPED: how many processes were stopped. */
int  pmb_stop(paved_ctx *ctx, struct pmb *b, int *stopped, char **errmsg);
/* Bring what Prometheus reads up to date with the monitoring directory
 * (prometheus.yml, rules, targets, HAProxy's exporter) and make a running
 * Prometheus reload changed rules. */
int  pmb_sync(paved_ctx *ctx, struct pmb *b, char **errmsg);
/* Start it when configured to (plugins.prometheus.autostart) and
 * possible, without waiting; a failure is only logged.  A note for the
 * user (malloc()ed, or NULL when nothing to say). */
char *pmb_autostart(paved_ctx *ctx, struct pmb *b);
/* Whether Prometheus at B->url answers /-/ready within TIMEOUT_MS. */
bool pmb_ready(const struct pmb *b, long timeout_ms, char **why);
/* Internals of backend.c and control.c. */
char   *pmb_find_real(const struct pmb *b);                 /* SRV's real path, if it exists */
json_t *pmb_read_json(const char *dir, const char *name);   /* DIR/NAME parsed, or NULL */
/* prometheus.yml reading rules, targets and platform under BASE; with
 * PORT (the embedded one) also the jobs "paved" (EXPORTER_PORT) and
 * "prometheus". */
char   *pmb_config_text(paved_ctx *ctx, const char *base, int port, int exporter_port);
int     pmb_prepare_mon(const struct pmb *b, char **errmsg); /* MON and its subdirectories */
void    pmb_signal_prometheus(const struct pmb *b, int sig); /* the managed Prometheus, if any */
/* The Debian package hint for a missing program. */
#define PM_INSTALL_HINT "install the Debian package 'prometheus' (apt-get install prometheus, " \
	"or scripts/bootstrap)"

/* ---- http.c ------------------------------------------------------------- */

/* One GET: URL in, status and body (or a one-line error) out. */
struct pmh_req {
	char  *url;           /* set by the caller, freed by pmh_free */
	long   status;        /* HTTP status, 0 when none */
	char  *body;          /* malloc()ed, NUL-terminated */
	size_t len;
	char  *err;           /* malloc()ed, when the request failed */
};
/* Perform the N requests of RS side by side, each bounded by TIMEOUT_MS
 * (connect by min(TIMEOUT_MS, 1000)).  Never fails as a whole: each
 * request says how it went. */
void pmh_many(struct pmh_req *rs, size_t n, long timeout_ms);
void pmh_free(struct pmh_req *r);
/* S URL-encoded (malloc()ed). */
char *pmh_escape(const char *s);
/* Release libcurl (the plugin's fini). */
void pmh_global_cleanup(void);

/* ---- query.c ------------------------------------------------------------ */

/* The plugin's query timeout (plugins.prometheus.timeout_ms). */
long pmq_timeout(paved_ctx *ctx);
/* Run the instant queries EXPRS (N) at TIME (0: now) against URL side by
 * side: DATA[i] the "data" object of each answer (new), or NULL with
 * ERRS[i] (malloc()ed). */
void pmq_instant(paved_ctx *ctx, const char *url, const char *const *exprs, size_t n,
                 double time, json_t **data, char **errs);
/* RED of SVC in ENV over the last WINDOW seconds, per version and in all,
 * with each replica's scrape; with SPARK_S > 0 also a request-rate series
 * per version over the last SPARK_S seconds.  A new object. */
int pmq_red(paved_ctx *ctx, const char *url, const char *svc, const char *env, double window,
            double spark_s, json_t **out, char **errmsg);

int pmq_hook_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int pmq_hook_query(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int pmq_hook_red(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
/* metrics.status's result for B (a new object). */
json_t *pmq_status(paved_ctx *ctx, struct pmb *b);

/* ---- driver.c, cli.c ----------------------------------------------------- */

int pmd_verb(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int pmc_metrics(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

#endif /* PM_H */
