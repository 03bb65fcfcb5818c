/*
 * plugin.c -- the logs plugin: replica logs aggregated in Loki.
 *
 *   logs.query            a service's lines from Loki (query.c)
 *   after:runtime.start   a replica started: make sure Loki and the
 *                         shipper run (option auto); a failure is logged,
 *                         never fails the start
 *   cli.loki              `paved loki up|down|status`
 *
 * What runs where (see README.md): paved's Loki (backend.c) and one
 * paved-logship per home (shipctl.c, logship.c), both outliving paved;
 * `paved loki down` stops both.
 */
#include "logs.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

PAVED_PLUGIN_INIT1;

/* Loki and the shipper up: *OUT {loki: {url, managed}, shipper: {pid}}. */
static int up(paved_ctx *ctx, json_t **out, char **errmsg)
{
	char *url = NULL;
	bool managed = true;
	int rc = lb_up(ctx, &url, &managed, errmsg);
	if (!rc)
		rc = lc_start(ctx, url, errmsg);
	if (!rc)
		*out = json_pack("{s{ss sb} s{si}}", "loki", "url", url, "managed", managed,
		                 "shipper", "pid", (int)lc_pid(ctx));
	free(url);
	return rc;
}

/* after:runtime.start: the backend follows the replicas. */
static int on_start(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)args, (void)result, (void)data, (void)errmsg;
	json_t *out = NULL;
	char *e = NULL;
	if (!json_is_true(paved->option(ctx, "auto")))
		return PAVED_OK;
	if (up(ctx, &out, &e) != PAVED_OK)
		paved->log(ctx, e && strstr(e, "not installed") ? PAVED_LOG_INFO : PAVED_LOG_WARN,
		           "the replicas' logs stay in their files for now: %s", e ? e : "?");
	json_decref(out);
	free(e);
	return PAVED_OK;
}

static const struct paved_flag loki_flags[] = { { 0 } };

static const char loki_help[] =
	"Usage: paved loki up|down|status\n"
	"The log backend: Loki (paved's own, started on demand, or plugins.logs.url) and the\n"
	"shipper paved-logship that sends every replica's lines there.\n"
	"  up      start paved's Loki (first use: make it) and the shipper\n"
	"  down    stop the shipper and paved's Loki (lines wait in the replicas' files)\n"
	"  status  whether Loki answers, where, and what the shipper did\n";

static int usage(json_t **result, char **errmsg, char *msg)
{
	int rc = paved->error(errmsg, "%s", msg ? msg : "out of memory");
	free(msg);
	*result = json_pack("{si}", "exit", 2);
	return rc;
}

/* Print the status S ({loki, shipper}) as text. */
static void print_status(json_t *s)
{
	json_t *l = json_object_get(s, "loki"), *sh = json_object_get(s, "shipper");
	const char *url = json_string_value(json_object_get(l, "url"));
	printf("Loki: %s%s%s (%s)\n", json_is_true(json_object_get(l, "running")) ? "running at "
	       : "not running", json_is_true(json_object_get(l, "running")) && url ? url : "",
	       json_is_true(json_object_get(l, "managed")) ? ", paved's own" : ", configured",
	       json_string_value(json_object_get(l, "detail")) ?: "");
	if (!json_integer_value(json_object_get(sh, "pid")))
		printf("Shipper: not running\n");
	else
		printf("Shipper: running (pid %lld), %lld lines shipped, %lld failed batches%s%s\n",
		       (long long)json_integer_value(json_object_get(sh, "pid")),
		       (long long)json_integer_value(json_object_get(sh, "shipped")),
		       (long long)json_integer_value(json_object_get(sh, "failures")),
		       json_string_length(json_object_get(sh, "last_error")) ? "; last error: " : "",
		       json_string_value(json_object_get(sh, "last_error")) ?: "");
}

static int cli_loki(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *p = NULL, *res = NULL;
	char *err = NULL;
	bool js = json_is_true(json_object_get(args, "json"));
	int rc = PAVED_OK;
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), loki_flags, &p, &err))
		return usage(result, errmsg, err);
	json_t *pos = json_object_get(p, "args");
	const char *sub = json_string_value(json_array_get(pos, 0));
	if (json_is_true(json_object_get(p, "help"))) {
		fputs(loki_help, stdout);
		paved->cli_help(ctx, stdout, loki_flags);
		*result = json_pack("{si}", "exit", 0);
		goto out;
	}
	if (!sub) {
		rc = usage(result, errmsg, pc_printf("a subcommand is needed: up, down or status"));
		goto out;
	}
	if (strcmp(sub, "up") && strcmp(sub, "down") && strcmp(sub, "status")) {
		rc = usage(result, errmsg, pc_printf("unknown subcommand '%s' (up, down, status)", sub));
		goto out;
	}
	if (json_array_size(pos) > 1) {
		rc = usage(result, errmsg, pc_printf("'%s' takes no argument", sub));
		goto out;
	}
	if (!strcmp(sub, "up")) {
		if ((rc = up(ctx, &res, errmsg)))
			goto out;
		if (js) {
			json_dumpf(res, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		} else {
			json_t *l = json_object_get(res, "loki");
			printf(" ✓ Loki ready at %s%s\n", json_string_value(json_object_get(l, "url")),
			       json_is_true(json_object_get(l, "managed")) ? " (paved's own)" : "");
			printf(" ✓ Log shipper running (pid %lld)\n",
			       (long long)json_integer_value(json_object_get(json_object_get(res, "shipper"),
			                                                     "pid")));
		}
	} else if (!strcmp(sub, "down")) {
		int s1 = 0, s2 = 0;
		if ((rc = lc_stop(ctx, &s1, errmsg)))
			goto out;
		if ((rc = lb_down(ctx, &s2, errmsg)))
			goto out;
		if (js)
			printf("{\"shipper_stopped\": %s, \"loki_stopped\": %d}\n", s1 ? "true" : "false", s2);
		else
			printf("Stopped %s and %s.\n", s1 ? "the log shipper" : "no log shipper (none ran)",
			       s2 ? "paved's Loki" : "no Loki (paved's own did not run)");
	} else {
		json_t *sh = lc_status(ctx);
		pid_t pid = lc_pid(ctx);
		if (!sh)
			sh = json_object();
		json_object_set_new(sh, "pid", json_integer(pid));
		res = json_pack("{so so}", "loki", lb_status(ctx), "shipper", sh);
		if (js) {
			json_dumpf(res, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		} else {
			print_status(res);
		}
	}
	*result = json_pack("{si}", "exit", 0);
out:
	json_decref(p), json_decref(res);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
{
	PAVED_PLUGIN_INIT2(api);
	if (!PAVED_API_HAS(paved, provide_command))
		return paved->error(errmsg, "this paved is too old for the logs plugin (it needs "
		                    "provide_command)");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = paved->provide(ctx, "logs.query", lq_query, NULL, NULL, errmsg);
	if (!rc)
		rc = paved->observe(ctx, "after:runtime.start", 100, on_start, NULL, NULL, errmsg);
	if (!rc)
		rc = paved->provide_command(ctx, "loki", "the log backend: Loki and the log shipper "
		                            "(up, down, status)", cli_loki, NULL, NULL, errmsg);
	return rc;
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	curl_global_cleanup();
}

static const struct paved_option options[] = {
	{ "url", PAVED_OPT_STRING, NULL,
	  "a Loki paved does not run (http://host:3100); unset: paved runs its own" },
	{ "tenant", PAVED_OPT_STRING, NULL, "X-Scope-OrgID sent to a multi-tenant Loki" },
	{ "binary", PAVED_OPT_STRING, "\"loki\"", "the Grafana Loki program paved runs" },
	{ "port", PAVED_OPT_INT, "0", "HTTP port of paved's Loki when it is made (0: a free one)" },
	{ "run_as", PAVED_OPT_STRING, "\"nobody\"", "as root: the user paved's Loki runs as" },
	{ "timeout_ms", PAVED_OPT_INT, "5000", "timeout of every HTTP request to Loki" },
	{ "start_timeout", PAVED_OPT_INT, "30", "seconds paved's Loki may take to get ready" },
	{ "auto", PAVED_OPT_BOOL, "true",
	  "start Loki and the shipper when a replica starts (runtime.start)" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(logs, "1.0.0", "replica logs in Loki: the shipper, logs.query, paved loki",
                     init, fini, options);
