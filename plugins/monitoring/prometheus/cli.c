/*
 * cli.c -- `paved metrics`: the metrics backend (up, down, status) and a
 * service's RED figures per version from Prometheus, with a sparkline.
 * Prints JSON with --json.  Exit 0, 1 when the operation failed, 2 for a
 * usage error.  Commands that need Prometheus start the embedded one on
 * demand (up, SERVICE); status and down never start it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm.h"

static const struct paved_flag flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "SERVICE: environment (default dev)" },
	{ "since", 's', PAVED_FLAG_STRING, "AGE", "SERVICE: over the last AGE: 30s, 15m (default), 2h, 1d" },
	{ 0 }
};

static const char help_all[] =
"Usage: paved metrics SERVICE [--env ENV] [--since AGE] [--json]\n"
"       paved metrics up|down|status [--json]\n"
"\n"
"  SERVICE  requests per second, share of 5xx answers, p50 and p99 latency per\n"
"           version over the last AGE, from Prometheus, with a sparkline of the\n"
"           request rate, and whether each replica's /metrics is scraped\n"
"  up       start the embedded Prometheus (if it is not running) and wait until\n"
"           it is ready\n"
"  down     stop the embedded Prometheus; nothing of it is left running\n"
"  status   whether Prometheus runs, where, and how many targets are up\n"
"\n"
"paved runs Prometheus itself (on a free loopback port, data under\n"
"$PAVED_HOME/prometheus) unless plugins.prometheus.url names one of yours.\n"
"SERVICE and up start it on demand.  'paved metrics SUBCOMMAND --help' for one.\n"
"\n"
"Options:\n";

static const char help_up[] =
"Usage: paved metrics up [--json]\n"
"\n"
"Starts the embedded Prometheus unless it runs, and waits until it is ready\n"
"(plugins.prometheus.start_timeout).  It scrapes every running replica of\n"
"every service, HAProxy's exporter and paved's own metrics, and evaluates every\n"
"service's rules.  With plugins.prometheus.url set, checks that Prometheus answers.\n";

static const char help_down[] =
"Usage: paved metrics down [--json]\n"
"\n"
"Stops the embedded Prometheus and paved-metricsd: nothing of it is left\n"
"running.  Its data stays; the next 'paved metrics up' (or a command that\n"
"needs it) starts it again.\n";

static const char help_status[] =
"Usage: paved metrics status [--json]\n"
"\n"
"Says whether Prometheus runs (never starts it), where, how many scrape\n"
"targets are up and how many alerts fire.  Exit 0 either way.\n";

static int usage(json_t **result, char **errmsg, char *msg)
{
	paved->error(errmsg, "%s", msg ? msg : "out of memory");
	free(msg);
	*result = json_pack("{si}", "exit", 2);
	return PAVED_ERR;
}

static int failed(json_t **result, char **errmsg, char *msg)
{
	paved->error(errmsg, "%s", msg ? msg : "failed");
	free(msg);
	*result = json_pack("{si}", "exit", 1);
	return PAVED_ERR;
}

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

/* A sparkline of the numbers in POINTS (null: a gap), to F. */
static void spark(FILE *f, json_t *points)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	double max = 0;
	size_t i;
	json_t *p;
	json_array_foreach(points, i, p)
		if (json_is_number(p) && json_number_value(p) > max)
			max = json_number_value(p);
	json_array_foreach(points, i, p) {
		if (!json_is_number(p))
			fputc(' ', f);
		else
			fputs(bars[max > 0 ? (int)lround(json_number_value(p) / max * 7) : 0], f);
	}
}

/* A figure for the table: "12.4", "0.50%", "3.1 ms", or "-". */
static void fig(char *out, size_t n, json_t *v, const char *kind)
{
	if (!json_is_number(v)) {
		snprintf(out, n, "-");
		return;
	}
	double d = json_number_value(v);
	if (!strcmp(kind, "pct"))
		snprintf(out, n, "%.2f%%", d * 100);
	else if (!strcmp(kind, "ms"))
		snprintf(out, n, d < 10 ? "%.1f ms" : "%.0f ms", d);
	else
		snprintf(out, n, d < 10 ? "%.2f" : "%.1f", d);
}

static void row(const char *name, json_t *e, bool with_spark)
{
	char r[32], er[32], p50[32], p99[32];
	fig(r, sizeof r, json_object_get(e, "requests_per_s"), "");
	fig(er, sizeof er, json_object_get(e, "error_rate"), "pct");
	fig(p50, sizeof p50, json_object_get(e, "latency_p50_ms"), "ms");
	fig(p99, sizeof p99, json_object_get(e, "latency_p99_ms"), "ms");
	printf("%-14.14s %8s %8s %9s %9s  ", name, r, er, p50, p99);
	if (with_spark)
		spark(stdout, json_object_get(e, "spark"));
	putchar('\n');
}

/* Print the figures R of SVC in ENV over SINCE (its text). */
static void print_red(json_t *r, const char *svc, const char *env, const char *since,
                      const char *url)
{
	json_t *v, *x;
	size_t i;
	printf("%s (%s), last %s, from Prometheus at %s\n", svc, env, since, url);
	printf("%-14s %8s %8s %9s %9s  %s\n", "VERSION", "REQ/S", "5XX", "P50", "P99",
	       "REQUESTS/S OVER TIME");
	json_array_foreach(json_object_get(r, "versions"), i, v)
		row(json_string_value(json_object_get(v, "version")), v, true);
	if (json_array_size(json_object_get(r, "versions")) > 1 || !json_array_size(json_object_get(r, "versions")))
		row("all", r, false);
	json_t *t = json_object_get(r, "targets");
	int up = (int)json_integer_value(json_object_get(t, "up"));
	int total = (int)json_integer_value(json_object_get(t, "total"));
	printf("replicas scraped: %d of %d up\n", up, total);
	json_array_foreach(json_object_get(r, "replicas"), i, x) {
		const char *err = json_string_value(json_object_get(x, "error"));
		bool ok = json_is_true(json_object_get(x, "up"));
		printf("  %-6s version %-12.12s %-21s %s%s%s\n",
		       json_string_value(json_object_get(x, "replica")) ?: "-",
		       json_string_value(json_object_get(x, "version")) ?: "-",
		       json_string_value(json_object_get(x, "instance")) ?: "-",
		       ok ? "up" : !strcmp(json_string_value(json_object_get(x, "health")) ?: "", "unknown")
		       ? "not scraped yet" : "DOWN", err && !ok ? ": " : "", err && !ok ? err : "");
	}
	if (!json_is_number(json_object_get(r, "requests_per_s")) ||
	    json_number_value(json_object_get(r, "requests_per_s")) == 0)
		printf("no requests in the last %s\n", since);
}

/* Is SVC known to the monitoring directory (rules, or targets in ENV)? */
static bool monitored(const struct pmb *b, const char *svc, const char *env)
{
	char *a = pc_printf("%s/services/%s.json", b->mon, svc);
	char *t = pc_printf("%s/targets/%s.%s.json", b->mon, svc, env);
	bool yes = (a && access(a, F_OK) == 0) || (t && access(t, F_OK) == 0);
	free(a), free(t);
	return yes;
}

static int cmd_service(paved_ctx *ctx, struct pmb *b, const char *svc, json_t *fl, bool js,
                       json_t **result, char **errmsg)
{
	const char *env = json_string_value(json_object_get(fl, "env")) ?: "dev";
	const char *since = json_string_value(json_object_get(fl, "since")) ?: "15m";
	double w = pc_parse_age(since);
	json_t *r = NULL;
	char *err = NULL;
	bool started = false;
	if (!pmf_name_ok(svc))
		return usage(result, errmsg, pc_printf("invalid service name '%s' (a DNS label such as "
		                                       "payment-api)", svc));
	if (!pmf_env_ok(env))
		return usage(result, errmsg, pc_printf("invalid --env '%s'", env));
	if (w < 10 || w > 90 * 86400)
		return usage(result, errmsg, pc_printf("--since takes an age from 10s to 90d such as "
		                                       "30s, 15m, 2h or 1d, not '%s'", since));
	if (!monitored(b, svc, env))
		return failed(result, errmsg, pc_printf("no metrics for '%s' in %s: it has no alert rules "
		              "and no scrape targets ('paved create service %s' sets them up; 'paved "
		              "deploy %s --env %s' runs it)", svc, env, svc, svc, env));
	if (pmb_ensure(ctx, b, true, &started, &err))
		return failed(result, errmsg, err);
	if (started)
		fprintf(stderr, "paved metrics: Prometheus was not running: started it at %s; figures "
		        "appear after its first scrapes\n", b->url);
	if (pmq_red(ctx, b->url, svc, env, w, w, &r, &err))
		return failed(result, errmsg, err);
	if (js) {
		json_object_set_new(r, "service", json_string(svc));
		json_object_set_new(r, "env", json_string(env));
		json_object_set_new(r, "url", json_string(b->url));
		print_json(r);
	} else {
		print_red(r, svc, env, since, b->url);
	}
	json_decref(r);
	*result = json_pack("{si}", "exit", 0);
	return PAVED_OK;
}

static int cmd_backend(paved_ctx *ctx, struct pmb *b, const char *sub, bool js, json_t **result,
                       char **errmsg)
{
	char *err = NULL;
	bool started = false;
	json_t *st = NULL;
	if (!strcmp(sub, "down")) {
		int n = 0;
		if (b->managed && pmb_stop(ctx, b, &n, &err))
			return failed(result, errmsg, err);
		if (js)
			print_json(st = json_pack("{sb si}", "managed", b->managed, "stopped", n));
		else if (!b->managed)
			printf("paved does not run the Prometheus at %s (plugins.prometheus.url): nothing "
			       "to stop.\n", b->url);
		else
			printf(n ? "Stopped Prometheus (%d processes).\n" : "Prometheus was not running.\n", n);
	} else if (!strcmp(sub, "up")) {
		if (pmb_ensure(ctx, b, true, &started, &err))
			return failed(result, errmsg, err);
		st = pmq_status(ctx, b);
		json_object_set_new(st, "started", json_boolean(started));
		if (js)
			print_json(st);
		else
			printf("%s%s\n", json_string_value(json_object_get(st, "detail")),
			       !b->managed ? "" : started ? "; started now" : "; it was running");
	} else {
		st = pmq_status(ctx, b);
		if (js)
			print_json(st);
		else
			printf("%s\n", json_string_value(json_object_get(st, "detail")));
	}
	json_decref(st);
	*result = json_pack("{si}", "exit", 0);
	return PAVED_OK;
}

int pmc_metrics(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL;
	char *err = NULL;
	struct pmb b = { 0 };
	bool js = json_is_true(json_object_get(args, "json"));
	int rc;
	(void)data;
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), flags, &p, &err))
		return usage(result, errmsg, err);
	json_t *fl = json_object_get(p, "flags"), *pos = json_object_get(p, "args");
	const char *sub = json_string_value(json_array_get(pos, 0));
	bool backend = sub && (!strcmp(sub, "up") || !strcmp(sub, "down") || !strcmp(sub, "status"));
	if (json_is_true(json_object_get(p, "help"))) {
		fputs(!backend ? help_all : !strcmp(sub, "up") ? help_up : !strcmp(sub, "down") ? help_down
		      : help_status, stdout);
		if (!backend) {
			paved->cli_help(ctx, stdout, flags);
			puts("  --json                  print JSON (a global option of paved)");
		}
		*result = json_pack("{si}", "exit", 0);
		rc = PAVED_OK;
		goto out;
	}
	if (!sub) {
		rc = usage(result, errmsg, strdup("name a SERVICE, or up, down or status"));
		goto out;
	}
	if (json_array_size(pos) > 1) {
		rc = usage(result, errmsg, pc_printf("unexpected argument '%s'",
		                                     json_string_value(json_array_get(pos, 1))));
		goto out;
	}
	if (backend && json_object_size(fl)) {
		rc = usage(result, errmsg, pc_printf("'%s' takes no --env or --since", sub));
		goto out;
	}
	if ((rc = pmb_open(ctx, &b, errmsg))) {
		*result = json_pack("{si}", "exit", 1);
		goto out;
	}
	rc = backend ? cmd_backend(ctx, &b, sub, js, result, errmsg)
	             : cmd_service(ctx, &b, sub, fl, js, result, errmsg);
out:
	pmb_close(&b);
	json_decref(p);
	return rc;
}
