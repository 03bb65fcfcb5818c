/*
 * cli_status.c -- paved status and paved logs: what runs, from the runtime
 * (runtime.status, runtime.logs), next to what the records say.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deploy.h"

static const struct paved_flag env_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "only this environment (default: every one)" },
	{ 0 }
};

static const struct dc_cmd status_cmd = {
	"status", "paved status [SERVICE] [--env ENV]",
	"Shows per service and env: state (running, degraded, stopped, failed, not deployed),\n"
	"the live version, its URL (only while replicas serve), replicas healthy/total, the\n"
	"last deploy and its outcome, and the last failed attempt when it came after the live\n"
	"release. The state is the runtime's, not the records' hope. While replicas serve and a\n"
	"metrics backend answers (metrics.red), RED over the last 5 minutes too. An unknown\n"
	"SERVICE is an error (exit 1).",
	env_flags, 0, 1
};

/* A record cut down for status: {id, version, outcome, trigger, end, reason}. */
static json_t *brief(json_t *rec)
{
	static const char *const keys[] = { "id", "version", "outcome", "trigger", "strategy", "start",
	                                     "end", "reason", NULL };
	json_t *o = json_object();
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(rec, keys[i]))
			json_object_set(o, keys[i], json_object_get(rec, keys[i]));
	return o;
}

/* RED over the last 5 minutes from the metrics backend (metrics.red), or
 * NULL: status degrades silently when no plugin provides it, the backend
 * is down or it does not answer in time (issue 13). */
static json_t *red_of(paved_ctx *ctx, const char *svc, const char *env)
{
	json_t *a = json_pack("{ss ss si}", "service", svc, "env", env, "window", 300), *r = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "metrics.red", a, &r, &err);
	json_decref(a), free(err);
	if (rc == PAVED_OK && json_is_object(r))
		return r;
	json_decref(r);
	return NULL;
}

/* The status row of SVC in ENV. */
static json_t *row(paved_ctx *ctx, const char *svc, const char *env)
{
	char *err = NULL;
	json_t *e = dc_runtime_entry(ctx, svc, env, &err), *cur = dc_current(ctx, svc, env);
	json_t *recs = dc_records(ctx, svc, env), *last = NULL, *failed = NULL, *r;
	for (size_t i = json_array_size(recs); i-- > 0; ) {
		r = json_array_get(recs, i);
		const char *o = json_string_value(json_object_get(r, "outcome")) ?: "";
		if (!strcmp(o, "superseded") || !strcmp(o, "skipped"))
			continue;
		if (!last)
			last = r;
		if (!failed && (!strcmp(o, "failed") || !strcmp(o, "rolled_back")))
			failed = r;
		if (cur && json_equal(json_object_get(r, "id"), json_object_get(cur, "id")))
			break;   /* a failure before the live release is history */
	}
	struct dc_counts n = dc_count(e, NULL);
	const char *state = n.in > 0 ? (n.healthy == n.in ? "running" : "degraded")
	                    : cur ? "stopped" : last ? "failed" : "not deployed";
	json_t *o = json_pack("{ss ss ss s{si si si}}", "service", svc, "env", env, "state", state,
	                      "replicas", "healthy", n.healthy, "in_traffic", n.in, "total", n.total);
	if (err)
		json_object_set_new(o, "runtime_error", json_string(err));
	if (cur)
		json_object_set(o, "version", json_object_get(cur, "version"));
	if (n.in > 0)
		json_object_set(o, "url", json_object_get(e, "url") ? json_object_get(e, "url")
		                                                      : json_object_get(cur, "url"));
	if (last)
		json_object_set_new(o, "last_deploy", brief(last));
	if (failed)
		json_object_set_new(o, "last_failed", brief(failed));
	json_t *reps = json_array();
	size_t i;
	json_array_foreach(json_object_get(e, "replicas"), i, r) {
		json_t *x = json_pack("{sO sO sO sO}", "id", json_object_get(r, "id"), "version",
		                      json_object_get(r, "version"), "in_traffic",
		                      json_boolean(json_is_true(json_object_get(r, "enabled"))), "healthy",
		                      json_object_get(r, "healthy") ?: json_null());
		if (json_object_get(r, "port"))
			json_object_set(x, "port", json_object_get(r, "port"));
		if (json_object_get(r, "restarts"))
			json_object_set(x, "restarts", json_object_get(r, "restarts"));
		json_array_append_new(reps, x);
	}
	json_object_set_new(o, "instances", reps);
	json_t *red = n.in > 0 ? red_of(ctx, svc, env) : NULL;
	if (red)
		json_object_set_new(o, "metrics", red);
	free(err);
	json_decref(e), json_decref(cur), json_decref(recs);
	return o;
}

/* The line of status row O's metrics (red_of), if it has them. */
static void print_red(json_t *o)
{
	json_t *m = json_object_get(o, "metrics"), *x;
	size_t i;
	if (!m)
		return;
	printf("  metrics (5m): %.2f req/s", json_number_value(json_object_get(m, "requests_per_s")));
	if (json_is_number(json_object_get(m, "error_rate")))
		printf(", %.2f%% 5xx", json_number_value(json_object_get(m, "error_rate")) * 100);
	if (json_is_number(json_object_get(m, "latency_p50_ms")))
		printf(", p50 %.1f ms", json_number_value(json_object_get(m, "latency_p50_ms")));
	if (json_is_number(json_object_get(m, "latency_p99_ms")))
		printf(", p99 %.1f ms", json_number_value(json_object_get(m, "latency_p99_ms")));
	json_t *t = json_object_get(m, "targets");
	printf("; %d/%d replicas scraped\n", (int)json_integer_value(json_object_get(t, "up")),
	       (int)json_integer_value(json_object_get(t, "total")));
	json_array_foreach(json_object_get(m, "replicas"), i, x)
		if (!json_is_true(json_object_get(x, "up")) &&
		    strcmp(json_string_value(json_object_get(x, "health")) ?: "", "unknown"))
			printf("    %-6s metrics DOWN: %s\n", json_string_value(json_object_get(x, "replica")) ?: "?",
			       json_string_value(json_object_get(x, "error")) ?: "no answer");
}

/* Print status row O as text. */
static void print_row(json_t *o)
{
	json_t *rep = json_object_get(o, "replicas"), *l, *x;
	char ago[32];
	size_t i;
	printf("%s (%s)  %s", json_string_value(json_object_get(o, "service")),
	       json_string_value(json_object_get(o, "env")), json_string_value(json_object_get(o, "state")));
	if (json_object_get(o, "version"))
		printf("  version %s", json_string_value(json_object_get(o, "version")));
	if (json_object_get(o, "url"))
		printf("  %s", json_string_value(json_object_get(o, "url")));
	printf("  %d/%d replicas healthy\n", (int)json_integer_value(json_object_get(rep, "healthy")),
	       (int)json_integer_value(json_object_get(rep, "total")));
	if ((l = json_object_get(o, "last_deploy")))
		printf("  last deploy: %s %s (%s, %s)\n", json_string_value(json_object_get(l, "version")),
		       json_string_value(json_object_get(l, "outcome")),
		       json_string_value(json_object_get(l, "trigger")) ?: "-",
		       dc_ago(json_string_value(json_object_get(l, "end")) ?:
		              json_string_value(json_object_get(l, "start")), ago, sizeof ago));
	if ((l = json_object_get(o, "last_failed")))
		printf("  last failed attempt: %s %s (%s, %s): %s\n",
		       json_string_value(json_object_get(l, "version")),
		       json_string_value(json_object_get(l, "outcome")),
		       json_string_value(json_object_get(l, "trigger")) ?: "-",
		       dc_ago(json_string_value(json_object_get(l, "end")), ago, sizeof ago),
		       json_string_value(json_object_get(l, "reason")) ?: "");
	json_array_foreach(json_object_get(o, "instances"), i, x)
		printf("    %-6s version %-12s port %-5d %-9s %s  restarts %d\n",
		       json_string_value(json_object_get(x, "id")),
		       json_string_value(json_object_get(x, "version")),
		       (int)json_integer_value(json_object_get(x, "port")),
		       json_is_true(json_object_get(x, "healthy")) ? "healthy" : "UNHEALTHY",
		       json_is_true(json_object_get(x, "in_traffic")) ? "in traffic" : "out of traffic",
		       (int)json_integer_value(json_object_get(x, "restarts")));
	print_red(o);
	if (json_object_get(o, "runtime_error"))
		printf("  runtime: %s\n", json_string_value(json_object_get(o, "runtime_error")));
}

/* The services status lists: every deployed one that was not deleted,
 * and every repository in the forge (new object used as a set). */
static json_t *all_services(paved_ctx *ctx)
{
	json_t *set = json_object(), *ix = dc_index(ctx), *list = NULL, *v;
	const char *k;
	size_t i;
	json_object_foreach(ix, k, v)
		if (!json_object_get(v, "deleted"))
			json_object_set_new(set, k, json_true());
	if (paved->call(ctx, "forge.list", NULL, &list, NULL) == PAVED_OK)
		json_array_foreach(list, i, v)
			if (json_is_string(json_object_get(v, "name")))
				json_object_set_new(set, json_string_value(json_object_get(v, "name")), json_true());
	json_decref(ix), json_decref(list);
	return set;
}

int dc_cli_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL, *svcs = NULL, *rows = json_array();
	const char *svc, *env = NULL;
	(void)data;
	int rc = dc_cli_parse(ctx, args, &status_cmd, &p, result, errmsg);
	if (rc || !p)
		goto done;
	svc = dc_arg(p, 0);
	if ((svc && dc_check_service(svc, result, errmsg)) ||
	    (dc_flag(p, "env") && !(env = dc_env_flag(p, result, errmsg)))) {
		rc = PAVED_ERR;
		goto done;
	}
	if (svc && !dc_service_exists(ctx, svc)) {
		rc = paved->error(errmsg, "no service '%s'", svc);
		goto done;
	}
	if (svc) {
		svcs = json_object();
		json_object_set_new(svcs, svc, json_true());
	} else {
		svcs = all_services(ctx);
	}
	const char *s;
	json_t *x;
	json_object_foreach(svcs, s, x) {
		json_t *envs = env ? json_pack("[s]", env) : dc_envs(ctx, s), *e;
		size_t i;
		if (!json_array_size(envs))
			json_array_append_new(rows, json_pack("{ss ss s{si si si} s[]}", "service", s, "state",
			                      "not deployed", "replicas", "healthy", 0, "in_traffic", 0,
			                      "total", 0, "instances"));
		json_array_foreach(envs, i, e)
			json_array_append_new(rows, row(ctx, s, json_string_value(e)));
		json_decref(envs);
	}
	if (dc_json(args)) {
		dc_print_json(rows);
		goto done;
	}
	if (!json_array_size(rows))
		puts("No services yet: 'paved create service NAME' makes one");
	size_t i;
	json_array_foreach(rows, i, x) {
		if (!json_object_get(x, "env"))
			printf("%s  not deployed\n", json_string_value(json_object_get(x, "service")));
		else
			print_row(x);
	}
done:
	json_decref(p), json_decref(svcs), json_decref(rows);
	return rc;
}

static const struct paved_flag logs_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "since", 0, PAVED_FLAG_STRING, "AGE", "only lines newer than AGE: 30s, 10m, 2h, 1d" },
	{ "tail", 'n', PAVED_FLAG_INT, "N", "only the last N lines" },
	{ "follow", 'f', PAVED_FLAG_BOOL, NULL, "keep printing new lines until interrupted" },
	{ 0 }
};

static const struct dc_cmd logs_cmd = {
	"logs", "paved logs SERVICE [--env ENV] [--since AGE] [--tail N] [-f]",
	"Prints the log lines of SERVICE's replicas in ENV, merged by time, each with its time,\n"
	"replica and version: from the log backend (logs.query: Loki) when it runs, else from the\n"
	"replicas' log files (runtime.logs), with a note on stderr saying why. -f keeps following\n"
	"(it polls with a cursor). With --json: a JSON array of {time, replica, version, stream,\n"
	"line}; with -f, one JSON object per line.",
	logs_flags, 1, 1
};

static volatile sig_atomic_t logs_stop;
static void on_signal(int s)
{
	(void)s;
	logs_stop = 1;
}

/* qsort comparator: two log lines (json_t **) by their ISO "time". */
static int by_time(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "time")) ?: "";
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "time")) ?: "";
	return strcmp(x, y);
}

/* LINES (runtime.logs' lines) in time order, whatever order the runtime
 * used: a new array. */
static json_t *in_order(json_t *lines)
{
	size_t n = json_array_size(lines);
	json_t **v = calloc(n ? n : 1, sizeof *v), *out = json_array();
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(lines, i);
	if (v)
		qsort(v, n, sizeof *v, by_time);   /* ISO 8601 UTC times sort as text */
	for (size_t i = 0; v && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/* Print LINES (runtime.logs' lines) as text or JSON lines. */
static void print_lines(json_t *lines, bool json)
{
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l) {
		if (json) {
			json_dumpf(l, stdout, JSON_COMPACT);
			putchar('\n');
			continue;
		}
		const char *text = json_string_value(json_object_get(l, "line")) ?: "";
		printf("%s %-5s %-12.12s %s%s", json_string_value(json_object_get(l, "time")) ?: "-",
		       json_string_value(json_object_get(l, "replica")) ?: "-",
		       json_string_value(json_object_get(l, "version")) ?: "-", text,
		       text[0] && text[strlen(text) - 1] == '\n' ? "" : "\n");
	}
	fflush(stdout);
}

int dc_cli_logs(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL, *a = NULL, *res = NULL;
	const char *svc, *env;
	(void)data;
	int rc = dc_cli_parse(ctx, args, &logs_cmd, &p, result, errmsg);
	if (rc || !p)
		return rc;
	if ((rc = dc_service_env(p, &svc, &env, result, errmsg)))
		goto done;
	json_t *fl = json_object_get(p, "flags"), *tail = json_object_get(fl, "tail");
	bool follow = json_is_true(json_object_get(fl, "follow")), json = dc_json(args);
	a = json_pack("{ss ss}", "service", svc, "env", env);
	if (dc_flag(p, "since")) {
		double s = pc_parse_age(dc_flag(p, "since"));
		if (s < 0) {
			rc = dc_usage(result, errmsg, "--since takes an age such as 30s, 10m, 2h or 1d, not "
			              "'%s'", dc_flag(p, "since"));
			goto done;
		}
		json_object_set_new(a, "since", json_real(s));
	}
	if (tail && json_integer_value(tail) < 0) {
		rc = dc_usage(result, errmsg, "--tail must be 0 or more");
		goto done;
	}
	if (tail)
		json_object_set(a, "tail", tail);
	if (!dc_service_exists(ctx, svc)) {
		rc = paved->error(errmsg, "no service '%s'", svc);
		goto done;
	}
	/* the log backend (logs.query: Loki) when it runs, else the files */
	char *note = NULL;
	const char *hook = "logs.query";
	int lq = paved->call(ctx, hook, a, &res, &note);
	if (lq != PAVED_OK) {
		if (lq != PAVED_NOHOOK)
			fprintf(stderr, "paved logs: note: %s; reading the replicas' log files instead\n",
			        note ? note : "the log backend failed");
		free(note);
		json_decref(res), res = NULL;
		hook = "runtime.logs";
		if ((rc = paved->call(ctx, hook, a, &res, errmsg)))
			goto done;
	}
	json_t *lines = in_order(json_object_get(res, "lines"));
	if (json && !follow)
		dc_print_json(lines);
	else
		print_lines(lines, json);
	json_decref(lines);
	if (!follow)
		goto done;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	json_object_del(a, "since"), json_object_del(a, "tail");
	json_t *cursor = json_incref(json_object_get(res, "cursor"));
	bool down = false;
	while (!logs_stop) {
		/* poll with the cursor: it hands back only what is new */
		nanosleep(&(struct timespec){ 0, 500 * 1000 * 1000 }, NULL);
		if (cursor)
			json_object_set(a, "cursor", cursor);
		json_decref(res), res = NULL;
		char *err = NULL;
		if (paved->call(ctx, hook, a, &res, &err) != PAVED_OK) {
			if (!strcmp(hook, "logs.query")) {
				/* Loki went away: say so once, keep asking (nothing is lost:
				 * the shipper sends the lines once it is back) */
				if (!down)
					fprintf(stderr, "paved logs: note: %s; still trying\n", err ? err : "?");
				down = true;
				free(err);
				continue;
			}
			rc = paved->error(errmsg, "%s", err ? err : "runtime.logs failed");
			free(err);
			break;
		}
		if (down)
			fprintf(stderr, "paved logs: note: the log backend answers again\n");
		down = false;
		json_decref(cursor);
		cursor = json_incref(json_object_get(res, "cursor"));
		lines = in_order(json_object_get(res, "lines"));
		print_lines(lines, json);
		json_decref(lines);
	}
	json_decref(cursor);
done:
	json_decref(p), json_decref(a), json_decref(res);
	return rc;
}
