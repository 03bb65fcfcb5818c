/*
 * gen.h -- what the monitoring driver writes for a service, as pure
 * functions of the service (no paved API, no files): the SLO read from
 * platform.yaml's slo, Prometheus recording and alerting rules, a Grafana
 * dashboard and a runbook.  The plugin writes their results under
 * $PAVED_HOME/monitoring; the unit test (test_gen.c) checks them directly
 * and promtool checks the rules (test_rules.sh).
 *
 * Prefix pmg_.  Every returned string is malloc()ed (the caller frees it);
 * every json_t is a new reference.  Errors are one line in a malloc()ed
 * *errmsg naming the field ("slo.availability: ...").
 */
#ifndef PM_GEN_H
#define PM_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* The metric every golden-path skeleton serves (SKELETON-VARS.md): an
 * OTel-shaped histogram with these bucket bounds (seconds). */
#define PMG_METRIC "http_server_request_duration_seconds"
/* The requests RED counts: not Prometheus's own scrapes of /metrics
 * (every replica, every scrape interval), which are the monitoring's load,
 * not the users'.  Appended to a selector of PMG_METRIC's series. */
#define PMG_USERS ",http_route!=\"/metrics\""
extern const double pmg_buckets[];
extern const size_t pmg_nbuckets;

/* A service's SLO, from platform.yaml's `slo` (platform.read validated it
 * once; the generator checks again what it depends on). */
struct pmg_slo {
	bool   availability_set;
	double availability;     /* percent, above 0 and below 100 */
	bool   latency_set;
	long   p99_ms;           /* 99% of requests faster than this */
	int    window_days;      /* 28..90, default 30 */
};

/* Read SLO (a JSON object, or NULL/null for none) into *OUT.  PAVED_OK-like
 * 0, or -1 with *ERRMSG naming the field. */
int pmg_slo_parse(json_t *slo, struct pmg_slo *out, char **errmsg);

/* One burn-rate condition of the SRE workbook's multi-window,
 * multi-burn-rate alerts: the error budget's BUDGET_PCT percent spent in
 * LONG_W (checked again over SHORT_W so the alert resets quickly) means
 * a burn rate of FACTOR = budget fraction * window / long window: 14.4,
 * 6, 3 and 1 for a 30d window. */
struct pmg_burn {
	const char *severity;    /* "page" or "ticket" */
	const char *long_w, *short_w;
	double      budget_pct;
	double      factor;
};
/* The four conditions for a window of WINDOW_DAYS days: page on 1h/5m and
 * 6h/30m, ticket on 1d/2h and 3d/6h. */
void pmg_burns(int window_days, struct pmg_burn out[4]);

/* The SLI windows recorded for the burn-rate alerts. */
extern const char *const pmg_windows[];

/* What the generators need to know of a service. */
struct pmg_service {
	const char           *service;        /* a DNS label */
	const char           *owner;
	const struct pmg_slo *slo;
	const char           *uid;            /* its Grafana dashboard uid (pmg_uid) */
	const char           *runbook_url;    /* the runbook file's URL; #anchor appended */
	const char           *dashboard_url;  /* GRAFANA/d/UID/SLUG */
	const char           *dashboard_file; /* where the dashboard JSON is written */
};

/* The stable Grafana uid of SERVICE: "paved-SERVICE" when that fits
 * Grafana's 40 characters, else its first 23 characters, '-' and 16 hex
 * digits of a hash of the whole name. */
char *pmg_uid(const char *service);

/* One alert the rules define, for the runbook's sections. */
struct pmg_alert {
	const char *name;        /* the alert rule's name (a metric-name-like word) */
	const char *severity;    /* page or ticket */
	const char *slo;         /* NULL, "availability" or "latency" */
};
/* The alerts for S (ServiceDown, ReplicaDown and the SLO alerts its SLO
 * asks for), into OUT (room for 6); how many. */
size_t pmg_alerts(const struct pmg_slo *slo, struct pmg_alert out[6]);
/* The anchor of alert NAME in the runbook: its name in lower case. */
char *pmg_anchor(const char *name);

/* The rules file (YAML) for S: RED recording rules per version, the SLIs
 * over the burn-rate windows and the alerts.  NULL when out of memory. */
char *pmg_rules(const struct pmg_service *s);

/* The Grafana dashboard (the dashboard model, id null, schemaVersion 39)
 * for S: rate, errors and latency per version, replicas up, the front
 * door's HAProxy counters and SLO burn. */
json_t *pmg_dashboard(const struct pmg_service *s);

/* Every PromQL expression of dashboard D's panels (a new array of
 * strings), for checks. */
json_t *pmg_dashboard_exprs(json_t *d);

/* The runbook (Markdown) of S: per alert its meaning, impact, diagnosis
 * and mitigation, with the paved commands to run. */
char *pmg_runbook(const struct pmg_service *s);

/* Set *ERRMSG to a malloc()ed formatted message; returns -1. */
int pmg_error(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* PM_GEN_H */
