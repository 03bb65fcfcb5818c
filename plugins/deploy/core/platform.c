/*
 * platform.c -- a release's platform.yaml, the service's contract, as the
 * host reads it (platform.read: parsed, checked, environments.ENV merged
 * over the rest), and the variables of its replicas.
 *
 *   deploy:
 *     build: make                 # argv, run in the release (optional)
 *     run: ./build/svc            # argv: required, never guessed
 *     port: 8080                  # the port the app listens on by itself (the
 *                                 # runtime gives each replica its own PORT)
 *     health: /health             # default /health
 *     replicas: 2                 # default plugins.deploy.replicas
 *     strategy: rolling           # default plugins.deploy.strategy
 *     auto: true                  # false: a push does not deploy
 *     max_surge: 1                # the strategy's knobs (also max_unavailable,
 *                                 # steps, analysis): handed to it as config
 *     variables: {DATABASE_URL: "${resources.db.url}"}
 *   environments:
 *     production: {deploy: {replicas: 4}}
 *
 * Only this commit's file counts: nothing comes from the template's name
 * or from which files the repository holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

int dc_platform_read(paved_ctx *ctx, const char *path, const char *name, const char *env,
                     json_t **doc, char **errmsg)
{
	json_t *args = json_pack("{ss ss}", "file", path, "env", env), *w;
	char *err = NULL;
	size_t i;
	int rc = paved->call(ctx, "platform.read", args, doc, &err);
	json_decref(args);
	if (rc) {
		json_decref(*doc), *doc = NULL;
		const char *msg = err ? err : "?";
		const char *inner = strstr(msg, "platform.read: ");   /* without the host's prefix */
		paved->error(errmsg, "%s: %s", name, inner ? inner + 15 : msg);
		free(err);
		return PAVED_ERR;
	}
	json_array_foreach(json_object_get(*doc, "warnings"), i, w)
		paved->log(ctx, PAVED_LOG_WARN, "%s", json_string_value(w));
	return PAVED_OK;
}

void dc_config_free(struct dc_config *c)
{
	json_decref(c->doc), json_decref(c->config);
	memset(c, 0, sizeof *c);
}

/* ARGV (a list of strings) joined with spaces, for records and messages;
 * malloc()ed. */
static char *joined(json_t *argv)
{
	size_t i, n = 1;
	json_t *a;
	json_array_foreach(argv, i, a)
		n += strlen(json_string_value(a) ?: "") + 1;
	char *s = calloc(1, n);
	json_array_foreach(argv, i, a)
		if (s)
			strcat(strcat(s, i ? " " : ""), json_string_value(a) ?: "");
	return s;
}

int dc_config_read(paved_ctx *ctx, const char *dir, const char *name, const char *env,
                   struct dc_config *c, char **errmsg)
{
	static const char *const knobs[] = { "max_surge", "max_unavailable", "steps", "analysis",
	                                     "rollback", "judge", NULL };
	char *path = pc_printf("%s/platform.yaml", dir);
	memset(c, 0, sizeof *c);
	int rc = dc_platform_read(ctx, path, name, env, &c->doc, errmsg);
	free(path);
	if (rc)
		return rc;
	json_t *d = json_object_get(c->doc, "deploy");
	c->argv = json_object_get(d, "run");
	if (!json_array_size(c->argv))
		return paved->error(errmsg, "%s: deploy.run is missing: say how to start the service "
		                    "(for example 'run: node src/server.js'); paved does not guess it",
		                    name);
	c->build = json_array_size(json_object_get(d, "build")) ? json_object_get(d, "build") : NULL;
	char *rt = joined(c->argv), *bt = c->build ? joined(c->build) : NULL;
	json_object_set_new(d, "run_text", json_string(rt ? rt : ""));
	if (bt)
		json_object_set_new(d, "build_text", json_string(bt));
	free(rt), free(bt);
	c->run_text = json_string_value(json_object_get(d, "run_text"));
	c->build_text = json_string_value(json_object_get(d, "build_text"));
	c->health = json_string_value(json_object_get(d, "health")) ?: "/health";
	json_t *r = json_object_get(d, "replicas"), *dr = paved->option(ctx, "replicas");
	c->replicas = json_is_integer(r) ? (int)json_integer_value(r) :
	              json_is_integer(dr) ? (int)json_integer_value(dr) : 2;
	c->port = (int)json_integer_value(json_object_get(d, "port"));
	c->strategy = json_string_value(json_object_get(d, "strategy"));
	if (c->strategy && !dc_valid_name(c->strategy, true))
		return paved->error(errmsg, "%s: deploy.strategy '%s' is not a strategy name (rolling, "
		                    "bluegreen, ...)", name, c->strategy);
	c->auto_deploy = !json_is_false(json_object_get(d, "auto"));
	c->variables = json_object_get(d, "variables");
	c->config = json_object();
	for (size_t i = 0; knobs[i]; i++)
		if (json_object_get(d, knobs[i]))
			json_object_set(c->config, knobs[i], json_object_get(d, knobs[i]));
	if (!json_object_size(c->config))
		json_decref(c->config), c->config = NULL;
	return PAVED_OK;
}

/* provision.outputs {service, env} -> {KEY: {url, host, port, ...}}: the
 * connection details of SVC's resources in ENV (secrets).  New reference,
 * or NULL with *ERRMSG. */
static json_t *outputs(paved_ctx *ctx, const char *svc, const char *env, char **errmsg)
{
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *res = NULL;
	int rc = paved->call(ctx, "provision.outputs", a, &res, errmsg);
	json_decref(a);
	if (rc == PAVED_OK && json_is_object(res))
		return res;
	json_decref(res);
	if (rc == PAVED_NOHOOK)
		paved->error(errmsg, "platform.yaml's variables name resources, and no provision plugin "
		             "provides provision.outputs");
	else if (rc == PAVED_OK)
		paved->error(errmsg, "provision.outputs answered with no object");
	return NULL;
}

/* The outputs of the resource platform.yaml names KEY when
 * provision.outputs has no entry for it: a resource of SVC in ENV made
 * without that key (the golden path's provision.resource names it
 * SVC-ENV), matched by the type platform.yaml gives KEY when exactly one
 * has it; its URL from provision.env.  New reference, or NULL. */
static json_t *by_type(paved_ctx *ctx, const char *svc, const char *env, json_t *doc,
                       const char *key)
{
	const char *type = json_string_value(json_object_get(json_object_get(
	                   json_object_get(doc, "resources"), key), "type"));
	json_t *list = NULL, *r, *pick = NULL, *vars = NULL, *out = NULL;
	size_t i, n = 0;
	if (!type || paved->call(ctx, "provision.list", NULL, &list, NULL) != PAVED_OK)
		goto done;
	json_array_foreach(list, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "service")) ?: "", svc) &&
		    !strcmp(json_string_value(json_object_get(r, "env")) ?: "", env) &&
		    !strcmp(json_string_value(json_object_get(r, "type")) ?: "", type))
			pick = r, n++;
	json_t *a = n == 1 ? json_pack("{sO}", "name", json_object_get(pick, "name")) : NULL;
	if (a && paved->call(ctx, "provision.env", a, &vars, NULL) == PAVED_OK &&
	    json_object_size(vars) == 1) {
		const char *k;
		json_t *v;
		json_object_foreach(vars, k, v)
			out = json_pack("{sO}", "url", v);
	}
	json_decref(a);
done:
	json_decref(list), json_decref(vars);
	return out;
}

int dc_variables(paved_ctx *ctx, const char *svc, const char *env, const struct dc_config *c,
                 const char *file, json_t **out, char **errmsg)
{
	json_t *outs = NULL, *vars = c->variables;
	const char *k;
	json_t *v;
	int rc = PAVED_OK;
	*out = json_object();
	json_object_foreach(vars, k, v) {
		char num[64];
		const char *s = json_is_string(v) ? json_string_value(v) : num;
		if (json_is_integer(v))
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(num, sizeof num, "%g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof num, "%s", json_is_true(v) ? "true" : "false");
		size_t cap = strlen(s) + 1, len = 0;
		char *val = malloc(cap);
		for (const char *p = s; val && *p && !rc; ) {
			if (p[0] != '$' || p[1] != '{') {
				val[len++] = *p++;
				continue;
			}
			const char *end = strchr(p, '}');
			char ref[256], key[128], field[64];
			int n = end && end - p - 2 < (long)sizeof ref ? (int)(end - p - 2) : -1;
			if (n > 0)
				snprintf(ref, sizeof ref, "%.*s", n, p + 2);
			if (n <= 0 || sscanf(ref, "resources.%127[a-z0-9_-].%63[a-z_]", key, field) != 2 ||
			    strlen(key) + strlen(field) + 11 != (size_t)n) {
				rc = paved->error(errmsg, "%s: deploy.variables.%s: '%.*s' is not a placeholder "
				                  "paved knows: write ${resources.NAME.FIELD}", file, k,
				                  end ? (int)(end - p + 1) : 2, p);
				break;
			}
			if (!outs) {   /* asked once, when a placeholder needs it */
				outs = outputs(ctx, svc, env, errmsg);
				if (!outs) {
					rc = PAVED_ERR;
					break;
				}
			}
			if (!json_object_get(outs, key)) {
				json_t *m = by_type(ctx, svc, env, c->doc, key);
				if (m)
					json_object_set_new(outs, key, m);
			}
			json_t *o = json_object_get(json_object_get(outs, key), field);
			if (!o) {
				rc = paved->error(errmsg, "%s: deploy.variables.%s needs ${resources.%s.%s}, "
				                  "but %s has no resource '%s' with a %s in %s; provision it "
				                  "first ('paved apply --env %s')", file, k, key, field, svc,
				                  key, field, env, env);
				break;
			}
			char onum[32];
			const char *os = json_is_string(o) ? json_string_value(o) : onum;
			if (json_is_integer(o))
				snprintf(onum, sizeof onum, "%lld", (long long)json_integer_value(o));
			else if (!json_is_string(o))
				snprintf(onum, sizeof onum, "?");
			char *g = realloc(val, cap += strlen(os));
			if (!g)
				break;
			val = g;
			memcpy(val + len, os, strlen(os));
			len += strlen(os);
			p = end + 1;
		}
		if (!val && !rc)
			rc = paved->error(errmsg, "out of memory");
		if (!rc) {
			val[len] = '\0';
			json_object_set_new(*out, k, json_string(val));
		}
		free(val);
		if (rc)
			break;
	}
	json_decref(outs);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
