/*
 * rules.c -- the Prometheus rules file of a service (see gen.h):
 *
 *   paved-S-red     RED per version from the skeletons' histogram (without
 *                   Prometheus's own scrapes of /metrics), over 5m:
 *                   service_version:http_server_requests:rate5m,
 *                   ...:http_server_errors:rate5m (5xx), ...:ratio_rate5m,
 *                   ...:http_server_request_duration_seconds:p50_rate5m (p90, p99)
 *   paved-S-sli     the SLIs per env over every burn-rate window (Sloth's
 *                   layout): service:slo_availability_errors:ratio_rateW,
 *                   service:slo_latency_errors:ratio_rateW
 *   paved-S-alerts  ServiceDown, ReplicaDown, and per SLO a page and a
 *                   ticket alert: the SRE workbook's multi-window,
 *                   multi-burn-rate conditions (pmg_burns)
 *
 * Every alert carries severity, owner, summary, description, runbook_url
 * and dashboard_url.  The text is YAML written by hand so it reads well;
 * strings are double-quoted with escapes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Write S as a YAML double-quoted string. */
static void yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* "0.0144": a threshold, with no binary-fraction noise. */
static void num(FILE *f, double v)
{
	fprintf(f, "%.6g", v);
}

/* The request rate of SVC over W, summed by BY: "sum by (BY) (rate(C{...}[W]))". */
static void total(FILE *f, const char *svc, const char *by, const char *w)
{
	fprintf(f, "sum by (%s) (rate(" PMG_METRIC "_count{service=\"%s\"" PMG_USERS "}[%s]))", by,
	        svc, w);
}

/* The 5xx rate of SVC over W, by BY; 0 (not absent) where no request failed. */
static void errors(FILE *f, const char *svc, const char *by, const char *w)
{
	fprintf(f, "sum by (%s) (rate(" PMG_METRIC "_count{service=\"%s\"" PMG_USERS ","
	        "http_response_status_code=~\"5..\"}[%s]) or rate(" PMG_METRIC
	        "_count{service=\"%s\"" PMG_USERS "}[%s]) * 0)", by, svc, w, svc, w);
}

static void bucket(FILE *f, const char *svc, double le, const char *w)
{
	fprintf(f, "sum by (service, env) (rate(" PMG_METRIC "_bucket{service=\"%s\"" PMG_USERS
	        ",le=\"%g\"}[%s]))",
	        svc, le, w);
}

/* The rate of requests faster than MS milliseconds over W, by (service,
 * env): a bucket's count when MS is a bound, else interpolated linearly
 * between the two bounds around it, as histogram_quantile does. */
static void good(FILE *f, const char *svc, long ms, const char *w)
{
	double t = ms / 1000.0, lo = 0, hi = 0;
	size_t i;
	for (i = 0; i < pmg_nbuckets; i++) {
		if (fabs(pmg_buckets[i] - t) < 1e-9) {
			bucket(f, svc, pmg_buckets[i], w);
			return;
		}
		if (pmg_buckets[i] > t)
			break;
		lo = pmg_buckets[i];
	}
	hi = pmg_buckets[i];
	if (lo == 0) {
		fputc('(', f);
		bucket(f, svc, hi, w);
		fputs(" * ", f);
		num(f, t / hi);
		fputc(')', f);
		return;
	}
	fputc('(', f);
	bucket(f, svc, lo, w);
	fputs(" + (", f);
	bucket(f, svc, hi, w);
	fputs(" - ", f);
	bucket(f, svc, lo, w);
	fputs(") * ", f);
	num(f, (t - lo) / (hi - lo));
	fputc(')', f);
}

/* The RED recording rules per version. */
static void red(FILE *f, const char *svc)
{
	static const char by[] = "service, env, version";
	fprintf(f, "  - name: paved-%s-red\n    rules:\n", svc);
	fputs("      - record: service_version:http_server_requests:rate5m\n        expr: ", f);
	total(f, svc, by, "5m");
	fputs("\n      - record: service_version:http_server_errors:rate5m\n        expr: ", f);
	errors(f, svc, by, "5m");
	fprintf(f, "\n      - record: service_version:http_server_errors:ratio_rate5m\n"
	        "        expr: service_version:http_server_errors:rate5m{service=\"%s\"}"
	        " / service_version:http_server_requests:rate5m{service=\"%s\"}\n", svc, svc);
	static const char *const q[] = { "50", "90", "99" };
	for (int i = 0; i < 3; i++)
		fprintf(f, "      - record: service_version:http_server_request_duration_seconds:"
		        "p%s_rate5m\n        expr: histogram_quantile(0.%s, sum by (%s, le) (rate("
		        PMG_METRIC "_bucket{service=\"%s\"" PMG_USERS "}[5m])))\n", q[i], q[i], by, svc);
}

/* The SLIs over every burn-rate window. */
static void slis(FILE *f, const struct pmg_service *s)
{
	const struct pmg_slo *slo = s->slo;
	fprintf(f, "  - name: paved-%s-sli\n    rules:\n", s->service);
	for (size_t i = 0; slo->availability_set && pmg_windows[i]; i++) {
		const char *w = pmg_windows[i];
		fprintf(f, "      - record: service:slo_availability_errors:ratio_rate%s\n"
		        "        expr: |\n          ", w);
		errors(f, s->service, "service, env", w);
		fputs("\n          /\n          ", f);
		total(f, s->service, "service, env", w);
		fputc('\n', f);
	}
	for (size_t i = 0; slo->latency_set && pmg_windows[i]; i++) {
		const char *w = pmg_windows[i];
		fprintf(f, "      - record: service:slo_latency_errors:ratio_rate%s\n"
		        "        expr: |\n          1 - ", w);
		good(f, s->service, slo->p99_ms, w);
		fputs("\n          /\n          ", f);
		total(f, s->service, "service, env", w);
		fputc('\n', f);
	}
}

/* runbook_url and dashboard_url of alert NAME. */
static void links(FILE *f, const struct pmg_service *s, const char *name)
{
	char *a = pmg_anchor(name), *rb = NULL, *db = NULL;
	if (asprintf(&rb, "%s#%s", s->runbook_url, a ? a : "") < 0)
		rb = NULL;
	if (asprintf(&db, "%s?orgId=1&var-env={{ $labels.env }}", s->dashboard_url) < 0)
		db = NULL;
	fputs("          runbook_url: ", f);
	yq(f, rb);
	fputs("\n          dashboard_url: ", f);
	yq(f, db);
	fputc('\n', f);
	free(a), free(rb), free(db);
}

/* An alert's name, expression, duration and labels; its annotations follow. */
static void alert_head(FILE *f, const struct pmg_service *s, const char *name, const char *sev,
                       const char *expr, const char *dur)
{
	fprintf(f, "      - alert: %s\n        expr: %s\n        for: %s\n", name, expr, dur);
	fprintf(f, "        labels:\n          severity: %s\n          owner: ", sev);
	yq(f, s->owner);
	fputs("\n        annotations:\n", f);
}

/* The page or ticket alert (SEV) of one SLO: either of its two burn-rate
 * conditions, each true over its long and its short window. */
static void slo_alert(FILE *f, const struct pmg_service *s, const char *kind, double budget,
                      const char *objective, const char *sev, const char *name)
{
	struct pmg_burn b[4];
	char *text = NULL;
	pmg_burns(s->slo->window_days, b);
	fprintf(f, "      - alert: %s\n        expr: |\n", name);
	int k = 0;
	for (int i = 0; i < 4; i++) {
		if (strcmp(b[i].severity, sev))
			continue;
		fprintf(f, "          %s(\n", k++ ? "or\n          " : "");
		const char *w[2] = { b[i].long_w, b[i].short_w };
		for (int j = 0; j < 2; j++) {
			fprintf(f, "            %sservice:slo_%s_errors:ratio_rate%s{service=\"%s\"} > ",
			        j ? "and " : "", kind, w[j], s->service);
			num(f, b[i].factor * budget);
			fputc('\n', f);
		}
		fputs("          )\n", f);
	}
	fprintf(f, "        labels:\n          severity: %s\n          owner: ", sev);
	yq(f, s->owner);
	fprintf(f, "\n          slo: %s\n        annotations:\n          summary: ", kind);
	if (asprintf(&text, "%s (env {{ $labels.env }}): %s burn the %s budget too fast (%s)",
	             s->service, !strcmp(kind, "availability") ? "5xx errors" : "slow requests",
	             objective, sev) < 0)
		text = NULL;
	yq(f, text);
	free(text);
	const struct pmg_burn *p = !strcmp(sev, "page") ? &b[0] : &b[2], *q = p + 1;
	if (asprintf(&text, "{{ $value | humanizePercentage }} of requests %s over the last %s or "
	             "%s: at %.6gx the budget (%.6g%% of requests over %dd) burns %.6g%% of itself "
	             "in %s, or at %.6gx %.6g%% in %s. Fires on %.6gx over %s and %s, or %.6gx over %s "
	             "and %s.", !strcmp(kind, "availability") ? "failed (5xx)" : "were slow",
	             p->long_w, q->long_w, p->factor, budget * 100, s->slo->window_days,
	             p->budget_pct, p->long_w, q->factor, q->budget_pct, q->long_w, p->factor,
	             p->long_w, p->short_w, q->factor, q->long_w, q->short_w) < 0)
		text = NULL;
	fputs("\n          description: ", f);
	yq(f, text);
	free(text);
	fputc('\n', f);
	links(f, s, name);
}

/* A scrape alert: NAME (SEV) when EXPR holds for DUR, with its summary and
 * description; "@S" in the texts stands for the service. */
static void scrape_alert(FILE *f, const struct pmg_service *s, const char *name, const char *sev,
                         const char *expr, const char *dur, const char *summary, const char *desc)
{
	const char *texts[3] = { expr, summary, desc };
	char *out[3] = { NULL, NULL, NULL };
	for (int i = 0; i < 3; i++) {   /* @S -> the service */
		size_t len = 0;
		FILE *m = open_memstream(&out[i], &len);
		for (const char *p = texts[i]; m && *p; p++)
			if (p[0] == '@' && p[1] == 'S')
				fputs(s->service, m), p++;
			else
				fputc(*p, m);
		if (m)
			fclose(m);
	}
	alert_head(f, s, name, sev, out[0] ? out[0] : "", dur);
	fputs("          summary: ", f);
	yq(f, out[1]);
	fputs("\n          description: ", f);
	yq(f, out[2]);
	fputc('\n', f);
	links(f, s, name);
	free(out[0]), free(out[1]), free(out[2]);
}

static void alerts(FILE *f, const struct pmg_service *s)
{
	char obj[96];
	fprintf(f, "  - name: paved-%s-alerts\n    rules:\n", s->service);
	scrape_alert(f, s, "ServiceDown", "page", "max by (service, env) (up{service=\"@S\"}) == 0",
	             "2m", "@S (env {{ $labels.env }}): no replica answers its metrics scrape",
	             "For 2 minutes Prometheus has scraped no replica of @S in {{ $labels.env }}: "
	             "every one is down, unreachable or serves no valid /metrics.");
	scrape_alert(f, s, "ReplicaDown", "ticket", "up{service=\"@S\"} == 0", "5m",
	             "@S (env {{ $labels.env }}): replica {{ $labels.replica }} (version "
	             "{{ $labels.version }}) fails its metrics scrape",
	             "For 5 minutes {{ $labels.instance }} has not answered a valid /metrics: it is "
	             "down, hangs, or serves a malformed page.");

	if (s->slo->availability_set) {
		double budget = (100 - s->slo->availability) / 100;
		snprintf(obj, sizeof obj, "%g%% availability", s->slo->availability);
		slo_alert(f, s, "availability", budget, obj, "page", "AvailabilitySLOPage");
		slo_alert(f, s, "availability", budget, obj, "ticket", "AvailabilitySLOTicket");
	}
	if (s->slo->latency_set) {
		snprintf(obj, sizeof obj, "p99 < %ld ms latency", s->slo->p99_ms);
		slo_alert(f, s, "latency", 0.01, obj, "page", "LatencySLOPage");
		slo_alert(f, s, "latency", 0.01, obj, "ticket", "LatencySLOTicket");
	}
}

char *pmg_rules(const struct pmg_service *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "# Rules of %s (owner %s), written by paved's monitoring driver 'prometheus'\n"
	        "# at every monitoring.register: RED per version, ", s->service, s->owner);
	if (s->slo->availability_set || s->slo->latency_set) {
		fputs("the SLO from platform.yaml (", f);
		if (s->slo->availability_set)
			fprintf(f, "availability %g%%%s", s->slo->availability, s->slo->latency_set ? ", " : "");
		if (s->slo->latency_set)
			fprintf(f, "p99 < %ld ms", s->slo->p99_ms);
		fprintf(f, " over %dd)\n# as multi-window, multi-burn-rate alerts (SRE workbook, "
		        "as Sloth generates them),", s->slo->window_days);
	}
	fprintf(f, " and scrape alerts.  Do not edit: the next register rewrites it.\n"
	        "# Runbook: %s\ngroups:\n", s->runbook_url);
	red(f, s->service);
	if (s->slo->availability_set || s->slo->latency_set)
		slis(f, s);
	alerts(f, s);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
