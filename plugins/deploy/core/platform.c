/*
 * platform.c -- a release's platform.yaml: its deploy section and the
 * variables of its replicas.
 *
 *   deploy:
 *     build: make                 # argv split on blanks, run in the release (optional)
 *     run: ./build/svc            # argv split on blanks: required, never guessed
 *     port: 8080                  # the port the app listens on by itself (documentation;
 *                                 # the runtime gives each replica its own PORT)
 *     health: /health             # default /health
 *     replicas: 2                 # 1..8, default plugins.deploy.replicas
 *     strategy: rolling           # or {dev: rolling, production: bluegreen, default: ...}
 *     auto: true                  # false: a push does not deploy
 *     variables: {DATABASE_URL: "${resources.db.url}"}
 *     config: {max_surge: 1}      # the strategy's knobs
 *   environments:
 *     production: {deploy: {replicas: 4}}   # merged over the top level for that env
 *
 * Only this commit's file counts: nothing comes from the template's name
 * or from what files the repository holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

/* Merge object OVER into object BASE, recursively (objects merge, other
 * values replace). */
static void merge(json_t *base, json_t *over)
{
	const char *k;
	json_t *v;
	json_object_foreach(over, k, v) {
		json_t *b = json_object_get(base, k);
		if (json_is_object(b) && json_is_object(v))
			merge(b, v);
		else
			json_object_set(base, k, v);
	}
}

/* Read PATH into a malloc()ed string (*LEN its length); NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *g = realloc(buf, cap = cap ? 2 * cap : 8192);
			if (!g) {
				free(buf), fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = g;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The marks of the last document read locally: {"/json/pointer": [line,
 * column]}, for messages that point into the file.  Owned here. */
static json_t *last_marks;

int dc_platform_read(paved_ctx *ctx, const char *path, const char *name, const char *env,
                     json_t **doc, char **errmsg)
{
	json_t *args = json_pack("{ss ss}", "file", path, "env", env), *res = NULL;
	char *err = NULL;
	*doc = NULL;
	json_decref(last_marks);
	last_marks = NULL;
	/* the host's reader, once it is there: parsed, checked and env-merged */
	int rc = paved->call(ctx, "platform.read", args, &res, &err);
	json_decref(args);
	if (rc != PAVED_NOHOOK) {
		if (rc == PAVED_OK && json_is_object(res)) {
			*doc = res;
			free(err);
			return PAVED_OK;
		}
		json_decref(res);
		if (rc == PAVED_OK)
			return paved->error(errmsg, "%s: platform.read returned no document", name);
		free(*errmsg);
		*errmsg = err;
		return PAVED_ERR;
	}
	free(err);
	json_decref(res);
	size_t len = 0;
	char *text = slurp(path, &len);
	if (!text)
		return paved->error(errmsg, errno == ENOENT ? "%s is missing: a service's repository "
		                    "needs a platform.yaml saying how to run it (deploy.run)" :
		                    "cannot read %s: %s", name, strerror(errno));
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_MARKS, .text = text,
	                             .text_len = len, .marks = &last_marks };
	rc = paved->read_yaml(ctx, name, &o, doc, errmsg);
	free(text);
	if (rc)
		return rc;
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		return paved->error(errmsg, "%s: the document must be a mapping", name);
	}
	json_t *over = json_object_get(json_object_get(*doc, "environments"), env);
	if (json_is_object(over))
		merge(*doc, over);
	return PAVED_OK;
}

/* "NAME:LINE:COL: " for deploy key KEY (looked up in ENV's override first,
 * then in the deploy section), or "NAME: "; into BUF. */
static const char *where(const char *name, const char *env, const char *key, char *buf, size_t n)
{
	char p1[300], p2[300];
	snprintf(p1, sizeof p1, "/environments/%s/deploy/%s", env, key);
	snprintf(p2, sizeof p2, "/deploy/%s", key);
	json_t *m = json_object_get(last_marks, p1);
	if (!m)
		m = json_object_get(last_marks, p2);
	if (json_array_size(m) == 2)
		snprintf(buf, n, "%s:%d:%d: ", name, (int)json_integer_value(json_array_get(m, 0)),
		         (int)json_integer_value(json_array_get(m, 1)));
	else
		snprintf(buf, n, "%s: ", name);
	return buf;
}

/* S split on blanks into a new array of strings (empty for ""). */
static json_t *split(const char *s)
{
	json_t *a = json_array();
	char *d = strdup(s), *save = NULL;
	for (char *t = d ? strtok_r(d, " \t\n", &save) : NULL; t; t = strtok_r(NULL, " \t\n", &save))
		json_array_append_new(a, json_string(t));
	free(d);
	return a;
}

void dc_config_free(struct dc_config *c)
{
	json_decref(c->doc), json_decref(c->deploy), json_decref(c->argv), json_decref(c->build);
	memset(c, 0, sizeof *c);
}

/* An integer deploy key: *OUT, or DFLT when absent; LO..HI. */
static int int_key(json_t *d, const char *key, int lo, int hi, int dflt, int *out, const char *name,
                   const char *env, char **errmsg)
{
	json_t *v = json_object_get(d, key);
	char w[400];
	*out = dflt;
	if (!v || json_is_null(v))
		return PAVED_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return paved->error(errmsg, "%sdeploy.%s must be a whole number from %d to %d",
		                    where(name, env, key, w, sizeof w), key, lo, hi);
	*out = (int)json_integer_value(v);
	return PAVED_OK;
}

int dc_config_read(paved_ctx *ctx, const char *dir, const char *name, const char *env,
                   struct dc_config *c, char **errmsg)
{
	char w[400], *path = pc_printf("%s/platform.yaml", dir);
	memset(c, 0, sizeof *c);
	int rc = dc_platform_read(ctx, path, name, env, &c->doc, errmsg);
	free(path);
	if (rc)
		return rc;
	json_t *d = json_object_get(c->doc, "deploy");
	if (!json_is_object(d))
		return paved->error(errmsg, "%s: no deploy section: add deploy.run, the command that "
		                    "starts the service (paved does not guess it)", name);
	c->deploy = json_deep_copy(d);
	d = c->deploy;
	json_t *run = json_object_get(d, "run"), *build = json_object_get(d, "build");
	if (!json_is_string(run) || !*json_string_value(run))
		return paved->error(errmsg, "%sdeploy.run is missing: say how to start the service "
		                    "(for example 'run: node src/server.js'); paved does not guess it",
		                    where(name, env, "run", w, sizeof w));
	c->run_text = json_string_value(run);
	c->argv = split(c->run_text);
	if (build && !json_is_null(build)) {
		if (!json_is_string(build))
			return paved->error(errmsg, "%sdeploy.build must be a command (a string; \"\" for "
			                    "none)", where(name, env, "build", w, sizeof w));
		c->build_text = json_string_value(build);
		c->build = split(c->build_text);
		if (!json_array_size(c->build))
			json_decref(c->build), c->build = NULL;
	}
	json_t *h = json_object_get(d, "health");
	c->health = json_is_string(h) ? json_string_value(h) : "/health";
	if ((h && !json_is_string(h)) || c->health[0] != '/' || strpbrk(c->health, " \t\r\n"))
		return paved->error(errmsg, "%sdeploy.health must be a path such as /health",
		                    where(name, env, "health", w, sizeof w));
	json_t *dr = paved->option(ctx, "replicas");
	if (int_key(d, "replicas", 1, 8, json_is_integer(dr) ? (int)json_integer_value(dr) : 2,
	            &c->replicas, name, env, errmsg) ||
	    int_key(d, "port", 1, 65535, 0, &c->port, name, env, errmsg))
		return PAVED_ERR;
	json_t *s = json_object_get(d, "strategy");
	if (json_is_object(s))   /* {dev: rolling, production: bluegreen, default: ...} */
		s = json_object_get(s, env) ? json_object_get(s, env) : json_object_get(s, "default");
	if (s && !json_is_null(s) && (!json_is_string(s) || !dc_valid_name(json_string_value(s), true)))
		return paved->error(errmsg, "%sdeploy.strategy must be a strategy name (rolling, "
		                    "bluegreen, ...) or a mapping of env to name",
		                    where(name, env, "strategy", w, sizeof w));
	c->strategy = json_string_value(s);
	json_t *a = json_object_get(d, "auto");
	if (a && !json_is_boolean(a))
		return paved->error(errmsg, "%sdeploy.auto must be true or false",
		                    where(name, env, "auto", w, sizeof w));
	c->auto_deploy = !json_is_false(a);
	c->variables = json_object_get(d, "variables");
	if (c->variables && !json_is_null(c->variables) && !json_is_object(c->variables))
		return paved->error(errmsg, "%sdeploy.variables must be a mapping of NAME: value",
		                    where(name, env, "variables", w, sizeof w));
	const char *k;
	json_t *v;
	json_object_foreach(c->variables, k, v) {
		size_t n = strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
		if (k[n] || !*k || (*k >= '0' && *k <= '9') || !(json_is_string(v) || json_is_number(v) ||
		    json_is_boolean(v)))
			return paved->error(errmsg, "%sdeploy.variables.%s: a variable is NAME (letters, "
			                    "digits, _) with a string, number or boolean value",
			                    where(name, env, "variables", w, sizeof w), k);
	}
	c->config = json_object_get(d, "config");
	if (c->config && !json_is_object(c->config))
		return paved->error(errmsg, "%sdeploy.config must be a mapping (the strategy's settings)",
		                    where(name, env, "config", w, sizeof w));
	return PAVED_OK;
}

/* provision.outputs {service, env} -> {KEY: {url, ...}}.  Until that hook
 * is on main (the provision rewrite), the outputs are pieced together from
 * provision.list and provision.env: the resource of SVC in ENV with the
 * key KEY, else the only one of the type platform.yaml gives KEY.  Remove
 * this fallback once provision.outputs is there. */
static json_t *outputs(paved_ctx *ctx, const char *svc, const char *env, json_t *doc,
                       char **errmsg)
{
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *res = NULL, *list = NULL;
	int rc = paved->call(ctx, "provision.outputs", a, &res, errmsg);
	json_decref(a);
	if (rc != PAVED_NOHOOK) {
		if (rc == PAVED_OK && !json_is_object(res))
			json_decref(res), res = json_object();
		return rc == PAVED_OK ? res : (json_decref(res), NULL);
	}
	free(*errmsg), *errmsg = NULL;
	json_decref(res);
	res = json_object();
	if (paved->call(ctx, "provision.list", NULL, &list, NULL) != PAVED_OK) {
		json_decref(list);
		return res;
	}
	const char *key;
	json_t *decl;
	json_object_foreach(json_object_get(doc, "resources"), key, decl) {
		const char *type = json_string_value(json_object_get(decl, "type"));
		json_t *pick = NULL, *r;
		size_t i, n = 0;
		json_array_foreach(list, i, r) {
			const char *rs = json_string_value(json_object_get(r, "service"));
			const char *re = json_string_value(json_object_get(r, "env"));
			const char *rk = json_string_value(json_object_get(r, "key"));
			const char *rt = json_string_value(json_object_get(r, "type"));
			if (!rs || !re || strcmp(rs, svc) || strcmp(re, env))
				continue;
			if (rk && !strcmp(rk, key)) {
				pick = r, n = 1;
				break;
			}
			if (type && rt && !strcmp(rt, type))
				pick = r, n++;
		}
		json_t *ea = n == 1 ? json_pack("{sO}", "name", json_object_get(pick, "name")) : NULL;
		json_t *vars = NULL;
		if (ea && paved->call(ctx, "provision.env", ea, &vars, NULL) == PAVED_OK &&
		    json_object_size(vars) == 1) {
			const char *vk;
			json_t *vv;
			json_object_foreach(vars, vk, vv)
				json_object_set_new(res, key, json_pack("{sO}", "url", vv));
		}
		json_decref(ea), json_decref(vars);
	}
	json_decref(list);
	return res;
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
			if (p[0] == '$' && p[1] == '$' && p[2] == '{') {   /* $${ is a literal ${ */
				val[len++] = '$', p += 2;
				continue;
			}
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
				                  "paved knows: write ${resources.NAME.url} (or $${ for a "
				                  "literal ${)", file, k, end ? (int)(end - p + 1) : 2, p);
				break;
			}
			if (!outs) {   /* asked once, when a placeholder needs it */
				outs = outputs(ctx, svc, env, c->doc, errmsg);
				if (!outs) {
					rc = PAVED_ERR;
					break;
				}
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
