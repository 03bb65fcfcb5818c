/* rolling.c -- deploy_rolling: deploys a service from its repository to
 * local replicas (runtime_process) and replaces them one by one.
 *   deploy.service {name, env, dir?, template?, strategy?, version?} -> {url, version, outcome}
 *   deploy.rolling {service, env, version, dir, argv, env_vars, replicas} (the strategy)
 *   deploy.destroy {name, env}
 *   deploy.rollback {name, env} (rollback.c)
 *   cli.deploy, cli.status, cli.stop, cli.logs, cli.rollback
 * Records go to the state database (namespace "deploy"). */
#include <paved/plugin.h>
#include "../../runtime/process/util.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

PAVED_PLUGIN_INIT1;

static int opt_int(paved_ctx *ctx, const char *name, int dflt)
{
	json_t *v = paved->option(ctx, name);
	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void event(paved_ctx *ctx, const char *name, json_t *rec, const char *step)
{
	json_t *f = json_pack("{sO sO sO sO}", "service", json_object_get(rec, "service"),
	                      "env", json_object_get(rec, "env"), "version", json_object_get(rec, "version"),
	                      "strategy", json_object_get(rec, "strategy"));
	if (step)
		json_object_set_new(f, "step", json_string(step));
	paved->emit(ctx, name, f);
	json_decref(f);
}

/* deploy.rolling: replace the replicas in steps.  Each step first takes up
 * to max_unavailable old replicas out of traffic, starts max_surge +
 * max_unavailable new ones (at most what is left), waits for their /health,
 * puts them in traffic, then takes out of traffic the old ones no longer
 * needed to keep N in traffic.  Old replicas keep running (out of traffic)
 * until every new one is healthy, so a failed rollout is undone instantly. */
static int h_rolling(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env")) ?: "dev";
	int n = (int)json_integer_value(json_object_get(args, "replicas"));
	if (n <= 0)
		n = 2;
	json_t *ms = json_object_get(args, "max_surge"), *mu = json_object_get(args, "max_unavailable");
	int surge = json_is_integer(ms) ? (int)json_integer_value(ms) : 1;
	int unav = json_is_integer(mu) ? (int)json_integer_value(mu) : 0;
	if (surge < 0)
		surge = 0;
	if (unav < 0)
		unav = 0;
	if (surge + unav == 0)
		surge = 1;
	double timeout = json_number_value(json_object_get(args, "health_timeout"));
	json_t *st = NULL, *olds = json_array(), *news = json_array();
	json_t *se = json_pack("{ss ss}", "service", svc, "env", env);
	pc_call(ctx, "runtime.status", se, &st, NULL);
	size_t i, nin = 0, oi = 0;
	json_t *r;
	/* in-traffic old replicas first: they are the ones taken out step by step */
	json_array_foreach(json_object_get(json_array_get(st, 0), "replicas"), i, r)
		if (json_is_true(json_object_get(r, "enabled")))
			json_array_append(olds, json_object_get(r, "id")), nin++;
	json_array_foreach(json_object_get(json_array_get(st, 0), "replicas"), i, r)
		if (!json_is_true(json_object_get(r, "enabled")))
			json_array_append(olds, json_object_get(r, "id"));
	json_decref(st);
	int rc = PAVED_OK, done = 0;
	char *err = NULL;
	while (done < n && rc == PAVED_OK) {
		int b = surge + unav < n - done ? surge + unav : n - done;
		for (int k = 0; k < unav && oi < nin; k++, oi++) {
			json_t *ia = json_pack("{ss ss sO}", "service", svc, "env", env, "id",
			                       json_array_get(olds, oi));
			pc_call(ctx, "runtime.disable", ia, NULL, NULL);
			json_decref(ia);
		}
		json_t *batch = json_array();
		for (int k = 0; k < b && rc == PAVED_OK; k++) {
			json_t *a = json_deep_copy(args), *res = NULL;
			json_object_set_new(a, "service", json_string(svc));
			json_object_set_new(a, "env", json_string(env));
			rc = pc_call(ctx, "runtime.start", a, &res, &err);
			json_decref(a);
			if (!rc) {
				json_array_append(news, json_object_get(res, "id"));
				json_array_append(batch, json_object_get(res, "id"));
				paved->log(ctx, PAVED_LOG_INFO, "rolling: started replica %s; waiting for /health",
				         json_string_value(json_object_get(res, "id")));
			}
			json_decref(res);
		}
		json_t *id;
		json_array_foreach(batch, i, id) {
			if (rc)
				break;
			json_t *ia = json_pack("{ss ss sO sf}", "service", svc, "env", env, "id", id,
			                       "timeout", timeout > 0 ? timeout : 30.0);
			rc = pc_call(ctx, "runtime.wait", ia, NULL, &err) || pc_call(ctx, "runtime.enable", ia, NULL, &err);
			json_t *ev = json_pack("{ss ss sO ss}", "service", svc, "env", env, "replica", id,
			                       "step", rc ? "replica unhealthy" : "replica in traffic");
			paved->emit(ctx, "deploy.step", ev);
			json_decref(ev);
			json_decref(ia);
		}
		json_decref(batch);
		if (!rc)
			done += b;
		/* keep N in traffic: old ones beyond N - done leave */
		while (!rc && nin - oi > (size_t)(n > done ? n - done : 0)) {
			json_t *ia = json_pack("{ss ss sO}", "service", svc, "env", env, "id",
			                       json_array_get(olds, oi++));
			pc_call(ctx, "runtime.disable", ia, NULL, NULL);
			json_decref(ia);
		}
	}
	json_t *gone = rc ? news : olds, *keep = rc ? olds : news;
	/* rollback: old replicas back in traffic first, then the new ones go */
	json_array_foreach(keep, i, r) {
		json_t *ia = json_pack("{ss ss sO}", "service", svc, "env", env, "id", r);
		if (rc && i < nin)
			pc_call(ctx, "runtime.enable", ia, NULL, NULL);
		json_decref(ia);
	}
	json_array_foreach(gone, i, r) {
		json_t *ia = json_pack("{ss ss sO}", "service", svc, "env", env, "id", r);
		pc_call(ctx, "runtime.remove", ia, NULL, NULL);
		json_decref(ia);
	}
	if (rc) {
		int rolled = nin > 0;
		*result = json_pack("{ss}", "outcome", rolled ? "rolled_back" : "failed");
		paved->error(errmsg, "%s%s", err ? err : "rollout failed",
		           rolled ? "; rolled back, the previous version keeps serving" : "");
	} else {
		*result = json_pack("{ss si}", "outcome", "success", "replicas", n);
	}
	free(err);
	json_decref(se), json_decref(olds), json_decref(news);
	return rc ? PAVED_ERR : PAVED_OK;
}

static int exists(const char *dir, const char *f)
{
	char *p = pc_printf("%s/%s", dir, f);
	struct stat sb;
	int e = stat(p, &sb) == 0;
	free(p);
	return e;
}

static json_t *argv_of(const char *s)
{
	json_t *a = json_array();
	char *d = strdup(s), *save = NULL;
	for (char *t = strtok_r(d, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		json_array_append_new(a, json_string(t));
	free(d);
	return a;
}

/* the credentials of SVC's resources in ENV (provision.env), a new object */
static json_t *svc_env(paved_ctx *ctx, const char *svc, const char *env)
{
	json_t *envv = json_object(), *list = NULL;
	if (pc_call(ctx, "provision.list", NULL, &list, NULL) == PAVED_OK) {
		size_t i;
		json_t *r;
		json_array_foreach(list, i, r) {
			const char *rs = json_string_value(json_object_get(r, "service"));
			const char *re = json_string_value(json_object_get(r, "env"));
			if (!rs || !re || strcmp(rs, svc) || strcmp(re, env))
				continue;
			json_t *a = json_pack("{sO}", "name", json_object_get(r, "name")), *e = NULL;
			if (pc_call(ctx, "provision.env", a, &e, NULL) == PAVED_OK)
				json_object_update(envv, e);
			json_decref(a), json_decref(e);
		}
	}
	json_decref(list);
	return envv;
}

/* The deploy: section of DIR/platform.yaml (read with libyaml):
 *   deploy: {build: CMD, run: CMD, replicas: N, strategy: S | {ENV: S, ...}}
 * Strings are malloc()ed, NULL when absent; has_build tells "build: ''"
 * (no build) from no build key.  0, or -1 with *ERR when the file is not
 * valid YAML. */
struct dcfg {
	char *build, *run, *strategy;
	int has_build, replicas;
};

static void dcfg_free(struct dcfg *c)
{
	free(c->build), free(c->run), free(c->strategy);
	memset(c, 0, sizeof *c);
}

static yaml_node_t *ymap_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	yaml_node_t *v = NULL;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			v = yaml_document_get_node(doc, pr->value);
	}
	return v;
}

static char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? strdup((char *)n->data.scalar.value) : NULL;
}

static int dcfg_read(const char *dir, const char *env, struct dcfg *c, char **err)
{
	memset(c, 0, sizeof *c);
	char *p = pc_printf("%s/platform.yaml", dir);
	FILE *f = fopen(p, "r");
	if (!f) {
		free(p);
		return 0;
	}
	yaml_parser_t ps;
	yaml_document_t doc;
	int rc = 0;
	if (!yaml_parser_initialize(&ps)) {
		fclose(f), free(p);
		return 0;
	}
	yaml_parser_set_input_file(&ps, f);
	if (!yaml_parser_load(&ps, &doc)) {
		*err = pc_printf("%s: invalid YAML (line %lu: %s)", p, (unsigned long)ps.problem_mark.line + 1,
		              ps.problem ? ps.problem : "?");
		rc = -1;
	} else {
		yaml_node_t *d = ymap_get(&doc, yaml_document_get_root_node(&doc), "deploy");
		yaml_node_t *b = ymap_get(&doc, d, "build"), *s = ymap_get(&doc, d, "strategy");
		c->has_build = b != NULL;
		c->build = yscalar(b);
		c->run = yscalar(ymap_get(&doc, d, "run"));
		char *n = yscalar(ymap_get(&doc, d, "replicas"));
		if (n) {
			char *end;
			long v = strtol(n, &end, 10);
			if (*end || v < 1 || v > 8) {
				*err = pc_printf("%s: deploy.replicas must be an integer from 1 to 8, not '%s'", p, n);
				rc = -1;
			}
			c->replicas = (int)v;
			free(n);
		}
		if (s && s->type == YAML_MAPPING_NODE)   /* {dev: rolling, production: bluegreen} */
			s = ymap_get(&doc, s, env);
		c->strategy = yscalar(s);
		if (c->strategy && !*c->strategy)
			free(c->strategy), c->strategy = NULL;
		if (c->run && !*c->run)
			free(c->run), c->run = NULL;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&ps);
	fclose(f);
	free(p);
	if (rc)
		dcfg_free(c);
	return rc;
}

/* the last non-empty line of file P from byte OFF on, malloc()ed ("" if none) */
static char *last_line(const char *p, long off)
{
	FILE *f = fopen(p, "r");
	char buf[512], *last = strdup("");
	if (!f)
		return last;
	fseek(f, off, SEEK_SET);
	while (fgets(buf, sizeof buf, f)) {
		buf[strcspn(buf, "\r\n")] = 0;
		if (*buf)
			free(last), last = strdup(buf);
	}
	fclose(f);
	return last;
}

/* REC without its chain of previous records deeper than DEPTH */
static json_t *trim_prev(json_t *rec, int depth)
{
	json_t *c = json_copy(rec);
	json_t *p = json_object_get(c, "previous");
	if (p && depth <= 0)
		json_object_del(c, "previous");
	else if (p)
		json_object_set_new(c, "previous", trim_prev(p, depth - 1));
	return c;
}

static int h_service(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "name"));
	if (!svc)
		svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env")) ?: "dev";
	const char *dir = json_string_value(json_object_get(args, "dir"));
	const char *tmpl = json_string_value(json_object_get(args, "template")) ?: "";
	const char *strategy = json_string_value(json_object_get(args, "strategy"));
	const char *ref = json_string_value(json_object_get(args, "version")) ?: "HEAD";
	if (!svc || !*svc || strchr(svc, '/') || strchr(env, '/'))
		return paved->error(errmsg, "argument 'name' (a service name) is required");
	const char *home = paved->home(ctx);
	char key[256];
	json_t *last = NULL;
	if (!dir) {
		snprintf(key, sizeof key, "current/%s/%s", env, svc);
		last = paved->state_get(ctx, "deploy", key);
		dir = json_string_value(json_object_get(last, "dir"));
		if (!dir)
			return paved->error(errmsg, "no directory for '%s': pass --dir DIR (its working copy)", svc);
	}
	double t0 = ru_now();
	char id[64];
	snprintf(id, sizeof id, "%s-%s-%lld", env, svc, (long long)(t0 * 1000));
	json_t *rec = json_pack("{ss ss ss ss ss sf ss}", "id", id, "service", svc, "env", env,
	                        "strategy", strategy ? strategy : "rolling", "dir", dir, "start", t0,
	                        "outcome", "running");
	char *logdir = pc_printf("%s/logs/%s/%s", home, env, svc);
	pc_mkdir_p(logdir, 0755);
	char *rel = pc_printf("%s/runtime/%s/%s/releases/%s", home, env, svc, id);
	char *buildlog = pc_printf("%s/build-%s.log", logdir, id);
	char *out = NULL, *err = NULL, *rdir = pc_printf("%s/runtime/%s/%s/releases", home, env, svc);
	int rc = PAVED_OK;
	pc_mkdir_p(rdir, 0755);
	/* the release: a clone of the repository at REF (a copy when not git) */
	char *gitv[] = { "git", "-C", (char *)dir, "rev-parse", "--verify", "-q",
	                 (char *)pc_printf("%s^{commit}", ref), NULL };
	if (ru_run(gitv, NULL, NULL, &out, 30) == 0) {
		out[strcspn(out, "\n")] = 0;
		json_object_set_new(rec, "version", json_string(out));
		char *clone[] = { "git", "clone", "-q", "--no-checkout", (char *)dir, rel, NULL };
		char *co[] = { "git", "-C", rel, "checkout", "-q", out, NULL };
		char *ct[] = { "git", "-C", rel, "show", "-s", "--format=%cI", out, NULL };
		char *ctime = NULL;
		if (ru_run(clone, NULL, buildlog, NULL, 120) || ru_run(co, NULL, buildlog, NULL, 120))
			rc = paved->error(errmsg, "cannot check out %s of %s (see %s)", ref, dir, buildlog);
		else if (ru_run(ct, NULL, NULL, &ctime, 30) == 0) {
			ctime[strcspn(ctime, "\n")] = 0;
			json_object_set_new(rec, "commit_time", json_string(ctime));
		}
		free(ctime);
	} else if (strcmp(ref, "HEAD")) {
		rc = paved->error(errmsg, "no commit '%s' in %s", ref, dir);
	} else {
		json_object_set_new(rec, "version", json_string("uncommitted"));
		char *cp[] = { "cp", "-a", (char *)dir, rel, NULL };
		if (ru_run(cp, NULL, buildlog, NULL, 120))
			rc = paved->error(errmsg, "cannot copy %s to %s", dir, rel);
	}
	free(gitv[6]);
	free(out);
	out = NULL;
	/* the release's platform.yaml (deploy: build, run, replicas, strategy),
	 * else the template's defaults (or what the files suggest) */
	struct dcfg cfg = { 0 };
	char *cerr = NULL;
	if (!rc && dcfg_read(rel, env, &cfg, &cerr))
		rc = paved->error(errmsg, "%s", cerr);
	free(cerr);
	if (!strategy)   /* --strategy, else platform.yaml (per env), else rolling */
		strategy = cfg.strategy ? cfg.strategy : "rolling";
	json_object_set_new(rec, "strategy", json_string(strategy));
	event(ctx, "deploy.started", rec, NULL);
	if (!rc && !strchr(strategy, '.') && !strchr(strategy, '/')) {
		json_t *pa = json_pack("{ss ss}", "service", svc, "env", env);
		pc_call(ctx, "runtime.prune", pa, NULL, NULL);
		json_decref(pa);
	}
	const char *build = NULL, *run = NULL;
	char *runbuf = NULL;
	if (!strcmp(tmpl, "c-api") || (!*tmpl && exists(rel, "Makefile") && !exists(rel, "package.json"))) {
		build = "make";
		run = runbuf = pc_printf("./build/%s", svc);
	} else {
		run = "node src/server.js";
	}
	if (cfg.has_build)
		build = cfg.build && *cfg.build ? cfg.build : NULL;
	if (cfg.run)
		run = cfg.run;
	int replicas = cfg.replicas ? cfg.replicas : opt_int(ctx, "replicas", 2);
	if (!rc && build) {
		json_t *bv = argv_of(build);
		char *av[16] = { 0 };
		for (size_t i = 0; i < json_array_size(bv) && i < 15; i++)
			av[i] = (char *)json_string_value(json_array_get(bv, i));
		event(ctx, "deploy.step", rec, "build");
		struct stat sb;
		long off = stat(buildlog, &sb) == 0 ? (long)sb.st_size : 0;
		int st = ru_run(av, rel, buildlog, NULL, 600);
		json_decref(bv);
		if (st) {
			char *ll = last_line(buildlog, off);
			rc = paved->error(errmsg, "the build command '%s' failed (exit %d)%s%s (full output: %s); "
			                "nothing changed, the running version keeps serving",
			                build, st, *ll ? ": " : "", ll, buildlog);
			free(ll);
		}
	}
	/* credentials of the service's resources in this env */
	json_t *envv = rc ? json_object() : svc_env(ctx, svc, env);
	json_t *url = NULL;
	if (!rc) {
		json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *res = NULL;
		rc = pc_call(ctx, "runtime.ensure", a, &res, &err);
		if (rc)
			rc = paved->error(errmsg, "%s", err);
		url = json_incref(json_object_get(res, "url"));
		json_decref(a), json_decref(res);
		free(err);
		err = NULL;
	}
	if (!rc) {
		json_t *a = json_pack("{ss ss sO ss so sO si sf}", "service", svc, "env", env,
		                      "version", json_object_get(rec, "version"), "dir", rel,
		                      "argv", argv_of(run), "env_vars", envv,
		                      "replicas", replicas,
		                      "health_timeout", (double)opt_int(ctx, "health_timeout", 30));
		json_object_set_new(a, "max_surge", json_integer(opt_int(ctx, "max_surge", 1)));
		json_object_set_new(a, "max_unavailable", json_integer(opt_int(ctx, "max_unavailable", 0)));
		char *hook = pc_printf("deploy.%s", strategy), *e2 = NULL;
		json_t *res = NULL, *st0 = NULL, *sa = json_pack("{ss ss}", "service", svc, "env", env);
		pc_call(ctx, "runtime.status", sa, &st0, NULL);
		int had = json_array_size(json_object_get(json_array_get(st0, 0), "replicas")) > 0;
		json_decref(sa), json_decref(st0);
		int st = pc_call(ctx, hook, a, &res, &e2);
		if (st == PAVED_NOHOOK)
			rc = paved->error(errmsg, "unknown strategy '%s': no plugin provides %s", strategy, hook);
		else if (st) {
			rc = paved->error(errmsg, "%s", e2 ? e2 : "deploy failed");
			json_object_set_new(rec, "outcome", json_string(had ? "rolled_back" : "failed"));
		}
		free(hook), free(e2);
		json_decref(a), json_decref(res);
	}
	json_decref(envv);
	if (rc && !strcmp(json_string_value(json_object_get(rec, "outcome")), "running"))
		json_object_set_new(rec, "outcome", json_string("failed"));
	if (!rc)
		json_object_set_new(rec, "outcome", json_string("success"));
	json_object_set_new(rec, "end", json_real(ru_now()));
	json_object_set_new(rec, "release", json_string(rel));
	json_object_set_new(rec, "run", json_string(run));
	json_object_set_new(rec, "replicas", json_integer(replicas));
	if (build)
		json_object_set_new(rec, "build", json_string(build));
	if (!rc) {   /* what paved rollback returns to */
		snprintf(key, sizeof key, "current/%s/%s", env, svc);
		json_t *prev = paved->state_get(ctx, "deploy", key);
		if (prev)
			json_object_set_new(rec, "previous", trim_prev(prev, 4));
		json_decref(prev);
	}
	if (url)
		json_object_set(rec, "url", url);
	char *e3 = NULL;
	snprintf(key, sizeof key, "%s", id);
	paved->state_put(ctx, "deploy", key, rec, &e3);
	free(e3);
	e3 = NULL;
	snprintf(key, sizeof key, "last/%s/%s", env, svc);   /* the latest attempt, whatever its outcome */
	paved->state_put(ctx, "deploy", key, rec, &e3);
	free(e3);
	e3 = NULL;
	const char *outcome = json_string_value(json_object_get(rec, "outcome"));
	if (!rc) {
		snprintf(key, sizeof key, "current/%s/%s", env, svc);
		paved->state_put(ctx, "deploy", key, rec, &e3);
		free(e3);
	}
	event(ctx, !rc ? "deploy.succeeded" : !strcmp(outcome, "rolled_back") ? "deploy.rolled_back"
	      : "deploy.failed", rec, NULL);
	if (!rc)
		*result = json_pack("{sO sO ss ss}", "url", url ? url : json_null(), "version",
		                    json_object_get(rec, "version"), "outcome", "success", "deployment", id);
	json_decref(url), json_decref(rec), json_decref(last);
	free(logdir), free(rel), free(buildlog), free(rdir), free(runbuf);
	dcfg_free(&cfg);
	return rc;
}

static int h_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data, (void)result;
	const char *svc = json_string_value(json_object_get(args, "name"));
	const char *env = json_string_value(json_object_get(args, "env")) ?: "dev";
	if (!svc)
		return paved->error(errmsg, "argument 'name' is required");
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env);
	int rc = pc_call(ctx, "runtime.destroy", a, NULL, errmsg);
	json_decref(a);
	char key[256];
	snprintf(key, sizeof key, "current/%s/%s", env, svc);
	char *e = NULL;
	paved->state_del(ctx, "deploy", key, &e);
	free(e);
	return rc;
}

#include "cli.c"
#include "rollback.c"

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct { const char *hook; paved_fn fn; } hooks[] = {
		{ "deploy.service", h_service }, { "deploy.rolling", h_rolling },
		{ "deploy.destroy", h_destroy }, { "cli.deploy", cli_deploy },
		{ "cli.status", cli_status }, { "cli.stop", cli_stop }, { "cli.logs", cli_logs },
		{ "deploy.rollback", h_rollback }, { "cli.rollback", cli_rollback },
	};
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++)
		if (paved->provide(ctx, hooks[i].hook, hooks[i].fn, NULL, NULL, errmsg))
			return PAVED_ERR;
	return PAVED_OK;
}

static const struct paved_option options[] = {
	{ "replicas", PAVED_OPT_INT, "2", "replicas per service" },
	{ "health_timeout", PAVED_OPT_INT, "30", "seconds a new replica has to answer /health" },
	{ "max_surge", PAVED_OPT_INT, "1", "rolling: new replicas started ahead of old ones leaving traffic" },
	{ "max_unavailable", PAVED_OPT_INT, "0", "rolling: old replicas taken out of traffic before their replacement is healthy" },
	{ 0 }
};
PAVED_PLUGIN_DECLARE(deploy_rolling, "0.1.0", "rolling deploys of services to local replicas",
                     init, NULL, options);
