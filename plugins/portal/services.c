/*
 * services.c -- deploy and observe over HTTP (/api/paved), with the CLI's
 * semantics because it is the CLI that does the work:
 *
 *   GET  /services/:name/releases?env=E    `paved releases NAME --env E --json`
 *   GET  /services/:name/status?env=E      `paved status NAME [--env E] --json`
 *   POST /services/:name/deploy  {env?, version?, strategy?}   `paved deploy ...`
 *   POST /services/:name/rollback {env?, to?}                 `paved rollback ...`
 *   GET  /services/:name/health?env=E      runtime.status (in the server)
 *   GET  /services/:name/metrics?env=E&minutes=M   metrics.red now, and per
 *                                          version over time (metrics.query)
 *   GET  /services/:name/cost              catalog.cost for its component
 *   GET  /templates                        the golden paths (recipes)
 *
 * Each CLI command runs as a child paved (job.c) while the request waits,
 * suspended, so a minute-long deploy holds up nobody.  Deploy and rollback
 * need a token of the team that owns component:default/NAME, or an admin
 * token, and are audited with their outcome.  A hook nobody provides
 * (runtime.status, metrics.red, metrics.query) is reported as unavailable,
 * never an error.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc.h"
#include "portal.h"

/* A request waiting for a child command. */
struct wait {
	struct po_req *r;
	char          *action, *target;
	bool           audit;
};

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 63 || !islower((unsigned char)s[0]) || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static void cmd_done(struct po_server *s, struct po_job *job, struct paved_run_result *res,
                     int rc, const char *err)
{
	struct wait *w = po_job_data(job);
	(void)s;
	json_t *out = res->out ? json_loads(res->out, JSON_DECODE_ANY, NULL) : NULL;
	char *last = pc_last_line(res->err && *res->err ? res->err : err ? err : "");
	int status = rc == PAVED_OK && res->status == 0 ? 200 : res->status == 2 ? 400 :
	             last && strstr(last, "no service") ? 404 : 500;
	char *body;
	if (status == 200) {
		body = out ? json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
	} else {
		json_t *e = json_pack("{s{ss ss} so*}", "error", "name", status == 404 ? "NotFoundError" :
		                      status == 400 ? "InputError" : "Error", "message",
		                      last && *last ? last : "the command failed", "result", out);
		out = NULL;
		body = json_dumps(e, JSON_COMPACT);
		json_decref(e);
	}
	if (w->audit)
		po_audit(w->r, w->action, w->target, status, status == 200 ?
		         json_string_value(json_object_get(out, "outcome")) ?: "ok" : last);
	po_defer(w->r, status, body);
	json_decref(out);
	free(last), free(w->action), free(w->target), free(w);
}

/* Run `paved --json ARGV...` for R and answer with its JSON once done. */
static enum po_reply run_cmd(struct po_req *r, const char *const *argv, const char *action,
                             const char *target)
{
	struct wait *w = calloc(1, sizeof *w);
	char *err = NULL;
	size_t n = 0;
	while (argv[n])
		n++;
	const char **full = calloc(n + 2, sizeof *full);
	if (!w || !full) {
		free(w), free(full);
		return po_error(r, 500, "Error", "out of memory");
	}
	full[0] = "--json";
	memcpy(full + 1, argv, n * sizeof *argv);
	w->r = r;
	w->audit = action != NULL;
	w->action = action ? strdup(action) : NULL;
	w->target = target ? strdup(target) : NULL;
	int rc = po_job_start(r->srv, full, NULL, NULL, cmd_done, w, &err);
	free(full);
	if (rc) {
		enum po_reply reply = po_error(r, 500, "Error", "cannot run paved: %s", err ? err : "?");
		free(err), free(w->action), free(w->target), free(w);
		return reply;
	}
	po_suspend(r);
	return PO_SUSPENDED;
}

/* A hook's answer, or {"available": false, "reason"} when nobody provides it. */
static json_t *hook_or_reason(struct po_server *s, const char *hook, json_t *args)
{
	json_t *res = NULL;
	char *err = NULL;
	int rc = paved->call(s->ctx, hook, args, &res, &err);
	if (rc == PAVED_OK) {
		free(err);
		return res ? res : json_null();
	}
	json_decref(res);
	json_t *why = json_pack("{sb ss}", "available", 0, "reason",
	                        rc == PAVED_NOHOOK ? "no plugin provides it" : err ? err : "failed");
	json_object_set_new(why, "hook", json_string(hook));
	free(err);
	return why;
}

/* Series per version of a PromQL QUERY over the last MINUTES. */
static json_t *range(struct po_server *s, const char *query, int minutes)
{
	time_t now = time(NULL);
	json_t *a = json_pack("{ss sf sf sf}", "query", query, "start", (double)(now - minutes * 60),
	                      "end", (double)now, "step", minutes * 60 / 120.0 < 5 ? 5.0 :
	                      minutes * 60 / 120.0);
	json_t *r = hook_or_reason(s, "metrics.query", a);
	json_decref(a);
	return r;
}

static enum po_reply metrics(struct po_req *r, const char *svc, const char *env)
{
	struct po_server *s = r->srv;
	const char *m = po_arg(r, "minutes");
	int minutes = m ? atoi(m) : 30;
	if (minutes < 1 || minutes > 24 * 60)
		return po_error(r, 400, "InputError", "minutes must be 1..1440");
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env);
	json_t *red = hook_or_reason(s, "metrics.red", a);
	json_decref(a);
	char sel[200];
	snprintf(sel, sizeof sel, "service=\"%s\",env=\"%s\"", svc, env);
	char *q_rate = pc_printf("sum by (version) (rate(http_server_request_duration_seconds_count{%s}[1m]))", sel);
	char *q_err = pc_printf("sum by (version) (rate(http_server_request_duration_seconds_count{%s,http_response_status_code=~\"5..\"}[1m])) / sum by (version) (rate(http_server_request_duration_seconds_count{%s}[1m]))", sel, sel);
	char *q_p99 = pc_printf("histogram_quantile(0.99, sum by (version, le) (rate(http_server_request_duration_seconds_bucket{%s}[1m]))) * 1000", sel);
	/* metrics.query would start Prometheus: a page view must not, so when
	 * metrics.red says the backend is down the series say so too. */
	json_t *series;
	if (json_is_false(json_object_get(red, "available"))) {
		json_t *down = json_pack("{sb sO ss}", "available", 0, "reason",
		                         json_object_get(red, "reason"), "hook", "metrics.query");
		series = json_pack("{sO sO sO}", "requests_per_s", down, "error_rate", down,
		                   "latency_p99_ms", down);
		json_decref(down);
	} else {
		series = json_pack("{so so so}", "requests_per_s", range(s, q_rate, minutes),
		                   "error_rate", range(s, q_err, minutes), "latency_p99_ms",
		                   range(s, q_p99, minutes));
	}
	json_t *out = json_pack("{ss ss so so}", "service", svc, "env", env, "red", red,
	                        "series", series);
	free(q_rate), free(q_err), free(q_p99);
	return po_json(r, 200, out);
}

static enum po_reply deploy_or_rollback(struct po_req *r, const char *svc, bool rollback)
{
	enum po_reply reply;
	char ref[128];
	snprintf(ref, sizeof ref, "component:default/%s", svc);
	r->action = rollback ? "deploy.rollback" : "deploy.deploy";
	r->target = strdup(ref);
	if (!po_may_write(r, &reply) || !po_may_own(r, ref, &reply))
		return reply;
	json_t *body = r->body_len ? po_body_json(r, &reply) : json_object();
	if (!body)
		return reply;
	const char *env = json_string_value(json_object_get(body, "env"));
	const char *ver = json_string_value(json_object_get(body, rollback ? "to" : "version"));
	const char *strategy = rollback ? NULL : json_string_value(json_object_get(body, "strategy"));
	const char *argv[12] = { rollback ? "rollback" : "deploy", svc, "--env", env ? env : "dev" };
	int n = 4;
	if (ver)
		argv[n++] = rollback ? "--to" : "--version", argv[n++] = ver;
	if (strategy)
		argv[n++] = "--strategy", argv[n++] = strategy;
	argv[n] = NULL;
	reply = run_cmd(r, argv, r->action, ref);
	json_decref(body);
	return reply;
}

enum po_reply po_api_definition(struct po_req *r, const char *name);

enum po_reply po_services_route(struct po_req *r, const char *rest)
{
	enum po_reply reply;
	bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
	if (!post && !po_may_read(r, &reply))
		return reply;
	if (get && !strcmp(rest, "templates")) {
		json_t *list = json_array(), *v;
		const char *k;
		json_object_foreach(r->srv->recipes, k, v)
			json_array_append_new(list, json_pack("{ss sO sO}", "name", k, "summary",
			                      json_object_get(v, "summary"), "params",
			                      json_object_get(v, "params")));
		return po_json(r, 200, list);
	}
	if (get && !strncmp(rest, "entities/api/", 13) && strstr(rest, "/definition")) {
		char api[128];
		snprintf(api, sizeof api, "%.*s", (int)(strstr(rest, "/definition") - rest - 13), rest + 13);
		return po_api_definition(r, api);
	}
	if (strncmp(rest, "services/", 9) != 0)
		return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, r->url);
	char svc[80];
	const char *slash = strchr(rest + 9, '/');
	if (!slash || (size_t)(slash - rest - 9) >= sizeof svc)
		return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, r->url);
	snprintf(svc, sizeof svc, "%.*s", (int)(slash - rest - 9), rest + 9);
	if (!name_ok(svc))
		return po_error(r, 400, "InputError", "'%s' is not a service name", svc);
	const char *what = slash + 1, *env = po_arg(r, "env");
	if (env && !name_ok(env))
		return po_error(r, 400, "InputError", "'%s' is not an env name", env);
	if (post && !strcmp(what, "deploy"))
		return deploy_or_rollback(r, svc, false);
	if (post && !strcmp(what, "rollback"))
		return deploy_or_rollback(r, svc, true);
	if (post)
		return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, r->url);
	if (!strcmp(what, "releases")) {
		const char *argv[] = { "releases", svc, "--env", env ? env : "dev", NULL };
		return run_cmd(r, argv, NULL, NULL);
	}
	if (!strcmp(what, "status")) {
		const char *argv[] = { "status", svc, env ? "--env" : NULL, env, NULL };
		return run_cmd(r, argv, NULL, NULL);
	}
	if (!strcmp(what, "health")) {
		json_t *a = json_pack("{ss}", "service", svc);
		if (env)
			json_object_set_new(a, "env", json_string(env));
		json_t *h = hook_or_reason(r->srv, "runtime.status", a);
		json_decref(a);
		return po_json(r, 200, json_pack("{ss so}", "service", svc, "runtime", h));
	}
	if (!strcmp(what, "metrics"))
		return metrics(r, svc, env ? env : "dev");
	if (!strcmp(what, "cost")) {
		json_t *all = hook_or_reason(r->srv, "catalog.cost", NULL), *v, *mine = json_null();
		size_t i;
		char ref[128];
		snprintf(ref, sizeof ref, "component:default/%s", svc);
		json_array_foreach(all, i, v)
			if (!strcmp(json_string_value(json_object_get(v, "ref")) ?: "", ref))
				mine = json_incref(v);
		json_decref(all);
		return po_json(r, 200, json_pack("{ss so}", "service", svc, "cost", mine));
	}
	return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, r->url);
}

/* ---- recipes ------------------------------------------------------------- */

/* `paved --json ARGS...` now, in the server (startup only): its JSON or NULL. */
static json_t *run_now(struct po_server *s, const char *const *args)
{
	const char *argv[8] = { s->paved_bin, "--json" };
	int n = 2;
	for (int i = 0; args[i] && n < 7; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct paved_run_result res;
	struct paved_cmd cmd = { .argv = argv, .timeout_ms = 30000 };
	memset(&res, 0, sizeof res);
	json_t *out = NULL;
	if (paved->run(s->ctx, &cmd, &res, NULL) == PAVED_OK && res.status == 0 && res.out)
		out = json_loads(res.out, JSON_DECODE_ANY, NULL);
	free(res.out), free(res.err);
	return out;
}

void po_recipes_load(struct po_server *s)
{
	const char *list_args[] = { "recipes", "list", NULL };
	json_t *list = run_now(s, list_args), *v;
	size_t i;
	json_decref(s->recipes);
	s->recipes = json_object();
	json_array_foreach(list, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *show[] = { "recipes", "show", name, NULL };
		json_t *d = name ? run_now(s, show) : NULL;
		if (d)
			json_object_set_new(s->recipes, name, d);
	}
	json_decref(list);
}

json_t *po_recipe(struct po_server *s, const char *name)
{
	return json_object_get(s->recipes, name);
}
