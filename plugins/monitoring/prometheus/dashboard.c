/*
 * dashboard.c -- a service's Grafana dashboard (see gen.h), in Grafana's
 * dashboard model: id null (Grafana assigns it on import), a stable uid
 * derived from the service (pmg_uid), tags "paved" and "paved-SERVICE"
 * (what the Backstage Grafana plugin's grafana/dashboard-selector
 * matches), a Prometheus data-source variable and an env variable.
 *
 * Panels read the recording rules of rules.c (per version) and the raw
 * series where no rule records them: requests/s, 5xx ratio and latency
 * p50/p90/p99 per version, replicas answering scrapes, the front door's
 * HAProxy counters, and the burn rate of each SLO over the alert windows
 * with the page and ticket factors as threshold lines.  Deploys (the sink
 * sink_prometheus's paved_deploys_total) are annotations.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static json_t *datasource(void)
{
	return json_pack("{ss ss}", "type", "prometheus", "uid", "${datasource}");
}

/* A query of a panel. */
static json_t *target(const char *ref, const char *legend, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static json_t *target(const char *ref, const char *legend, const char *fmt, ...)
{
	char *expr = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&expr, fmt, ap) < 0)
		expr = NULL;
	va_end(ap);
	json_t *t = json_pack("{ss so ss? ss sb}", "refId", ref, "datasource", datasource(),
	                      "expr", expr, "legendFormat", legend ? legend : "__auto", "range", 1);
	free(expr);
	return t;
}

/* A panel of TYPE at X, Y (W wide, H high) showing TARGETS (taken) in UNIT. */
static json_t *panel(int id, const char *type, const char *title, const char *desc,
                     const char *unit, int x, int y, int w, int h, json_t *targets)
{
	json_t *defaults = json_pack("{ss s{ss s[{ss ss?}]}}", "unit", unit, "thresholds",
	                             "mode", "absolute", "steps", "color", "green", "value", NULL);
	json_t *p = json_pack("{si ss ss ss so s{si si si si} s{so s[]} so}", "id", id, "type", type,
	                      "title", title, "description", desc, "datasource", datasource(),
	                      "gridPos", "h", h, "w", w, "x", x, "y", y,
	                      "fieldConfig", "defaults", defaults, "overrides", "targets", targets);
	if (!strcmp(type, "timeseries"))
		json_object_set_new(p, "options", json_pack("{s{ss ss sb} s{ss ss}}", "legend",
		                    "displayMode", "list", "placement", "bottom", "showLegend", 1,
		                    "tooltip", "mode", "multi", "sort", "desc"));
	else
		json_object_set_new(p, "options", json_pack("{s{s[s] ss sb} ss ss}", "reduceOptions",
		                    "calcs", "lastNotNull", "fields", "", "values", 0, "colorMode",
		                    "value", "graphMode", "area"));
	return p;
}

/* The burn-rate panel of one SLO: its SLI over each window divided by the
 * budget, with the page and ticket factors as threshold lines. */
static json_t *burn_panel(int id, const struct pmg_service *s, const char *kind, double budget,
                          const char *objective, int x, int y)
{
	struct pmg_burn b[4];
	pmg_burns(s->slo->window_days, b);
	json_t *targets = json_array();
	static const char *const w[] = { "5m", "1h", "6h", "1d", "3d" };
	for (int i = 0; i < 5; i++) {
		char ref[2] = { (char)('A' + i), 0 };
		json_array_append_new(targets, target(ref, w[i], "service:slo_%s_errors:ratio_rate%s"
		                      "{service=\"%s\",env=\"$env\"} / %.6g", kind, w[i], s->service,
		                      budget));
	}
	char title[160], desc[400];
	snprintf(title, sizeof title, "SLO burn rate: %s (%s over %dd)", kind, objective,
	         s->slo->window_days);
	snprintf(desc, sizeof desc, "How fast the error budget burns: 1 spends it exactly over %dd. "
	         "Page at %.6gx over 1h and 5m or %.6gx over 6h and 30m; ticket at %.6gx over 1d and "
	         "2h or %.6gx over 3d and 6h.", s->slo->window_days, b[0].factor, b[1].factor,
	         b[2].factor, b[3].factor);
	json_t *p = panel(id, "timeseries", title, desc, "x", x, y, 12, 8, targets);
	json_t *defaults = json_object_get(json_object_get(p, "fieldConfig"), "defaults");
	json_t *steps = json_pack("[{ss ss?} {ss sf} {ss sf}]", "color", "green", "value", NULL,
	                          "color", "orange", "value", b[2].factor, "color", "red", "value",
	                          b[1].factor);
	json_object_set_new(defaults, "thresholds", json_pack("{ss so}", "mode", "absolute", "steps",
	                    steps));
	json_object_set_new(defaults, "custom", json_pack("{s{ss}}", "thresholdsStyle", "mode",
	                    "line"));
	return p;
}

json_t *pmg_dashboard(const struct pmg_service *s)
{
	const char *svc = s->service;
	json_t *panels = json_array();
	int id = 1, y = 0;
	char title[200], q[300];

	json_array_append_new(panels, panel(id++, "timeseries", "Requests per second by version",
	    "Requests the replicas served, from the skeleton's histogram "
	    "(service_version:http_server_requests:rate5m).", "reqps", 0, y, 12, 8,
	    json_pack("[o]", target("A", "{{version}}", "sum by (version) (service_version:"
	              "http_server_requests:rate5m{service=\"%s\",env=\"$env\"})", svc))));
	json_array_append_new(panels, panel(id++, "timeseries", "Errors (5xx) by version",
	    "The share of requests answered 5xx (service_version:http_server_errors:ratio_rate5m).",
	    "percentunit", 12, y, 12, 8,
	    json_pack("[o]", target("A", "{{version}}", "service_version:http_server_errors:"
	              "ratio_rate5m{service=\"%s\",env=\"$env\"}", svc))));
	y += 8;
	json_array_append_new(panels, panel(id++, "timeseries", "Latency by version",
	    "p50, p90 and p99 of the request duration, from the histogram's buckets.", "s", 0, y, 12, 8,
	    json_pack("[ooo]",
	              target("A", "p50 {{version}}", "service_version:http_server_request_duration_"
	                     "seconds:p50_rate5m{service=\"%s\",env=\"$env\"}", svc),
	              target("B", "p90 {{version}}", "service_version:http_server_request_duration_"
	                     "seconds:p90_rate5m{service=\"%s\",env=\"$env\"}", svc),
	              target("C", "p99 {{version}}", "service_version:http_server_request_duration_"
	                     "seconds:p99_rate5m{service=\"%s\",env=\"$env\"}", svc))));
	json_array_append_new(panels, panel(id++, "timeseries", "Front door (HAProxy)",
	    "Requests and 5xx responses per second at the service's stable port, from HAProxy's "
	    "built-in exporter: what the users see, retries and all.", "reqps", 12, y, 12, 8,
	    json_pack("[oo]",
	              target("A", "requests", "sum(rate(haproxy_frontend_http_requests_total{"
	                     "proxy=\"fe.$env.%s\"}[5m]))", svc),
	              target("B", "5xx", "sum(rate(haproxy_frontend_http_responses_total{"
	                     "proxy=\"fe.$env.%s\",code=\"5xx\"}[5m]))", svc))));
	y += 8;
	json_array_append_new(panels, panel(id++, "stat", "Replicas answering scrapes",
	    "Replicas whose /metrics Prometheus scraped at its last attempt (up == 1), by version.",
	    "none", 0, y, 12, 4,
	    json_pack("[o]", target("A", "{{version}}", "sum by (version) (up{service=\"%s\","
	              "env=\"$env\"})", svc))));
	y += 4;
	if (s->slo->availability_set) {
		snprintf(title, sizeof title, "%g%%", s->slo->availability);
		json_array_append_new(panels, burn_panel(id++, s, "availability",
		                      (100 - s->slo->availability) / 100, title, 0, y));
	}
	if (s->slo->latency_set) {
		snprintf(title, sizeof title, "p99 < %ld ms", s->slo->p99_ms);
		json_array_append_new(panels, burn_panel(id++, s, "latency", 0.01, title,
		                      s->slo->availability_set ? 12 : 0, y));
	}

	snprintf(q, sizeof q, "label_values(up{service=\"%s\"}, env)", svc);
	json_t *templating = json_pack("{s[{ss ss ss ss s{} si si ss s[]}"
	    " {ss ss ss so ss s{ss ss} si s{sb ss ss} sb sb s[] si si}]}", "list",
	    "name", "datasource", "label", "Prometheus", "type", "datasource", "query", "prometheus",
	    "current", "hide", 0, "refresh", 1, "regex", "", "options",
	    "name", "env", "label", "env", "type", "query", "datasource", datasource(),
	    "definition", q, "query", "query", q, "refId", "PrometheusVariableQueryEditor-VariableQuery",
	    "refresh", 2, "current", "selected", 1, "text", "dev", "value", "dev", "includeAll", 0,
	    "multi", 0, "options", "sort", 1, "hide", 0);
	char deploys[300], tag[80];
	snprintf(deploys, sizeof deploys, "sum by (outcome, version) (changes(paved_deploys_total{"
	         "service=\"%s\",env=\"$env\"}[2m])) > 0", svc);
	snprintf(tag, sizeof tag, "paved-%s", svc);
	snprintf(title, sizeof title, "%s (paved)", svc);
	json_t *annotations = json_pack("{s[{si s{ss ss} sb sb ss ss ss} {so sb ss ss ss ss ss}]}",
	    "list", "builtIn", 1, "datasource", "type", "grafana", "uid", "-- Grafana --",
	    "enable", 1, "hide", 1, "iconColor", "rgba(0, 211, 255, 1)", "name", "Annotations & Alerts",
	    "type", "dashboard",
	    "datasource", datasource(), "enable", 1, "expr", deploys, "iconColor", "blue",
	    "name", "Deploys", "titleFormat", "deploy {{outcome}}", "step", "60s");
	json_t *d = json_pack("{sn ss ss ss s[ss] ss sb si si si ss s{ss ss} s{} so so so"
	    " s[{ss ss ss sb ss}]}",
	    "id", "uid", s->uid, "title", title,
	    "description", "RED per version and SLO burn, generated by paved's monitoring driver "
	    "'prometheus' at every monitoring.register (do not edit: import again instead).",
	    "tags", "paved", tag, "timezone", "browser", "editable", 1, "graphTooltip", 1,
	    "schemaVersion", 39, "version", 1, "refresh", "30s", "time", "from", "now-1h", "to", "now",
	    "timepicker", "templating", templating, "annotations", annotations, "panels", panels,
	    "links", "title", "Runbook", "type", "link", "url", s->runbook_url, "targetBlank", 1,
	    "icon", "doc");
	return d;
}

json_t *pmg_dashboard_exprs(json_t *d)
{
	json_t *out = json_array(), *p, *t, *a;
	size_t i, j;
	json_array_foreach(json_object_get(d, "panels"), i, p)
		json_array_foreach(json_object_get(p, "targets"), j, t)
			if (json_is_string(json_object_get(t, "expr")))
				json_array_append(out, json_object_get(t, "expr"));
	json_array_foreach(json_object_get(json_object_get(d, "annotations"), "list"), i, a)
		if (json_is_string(json_object_get(a, "expr")))
			json_array_append(out, json_object_get(a, "expr"));
	return out;
}
