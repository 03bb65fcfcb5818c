/*
 * spec.c -- a service's spec.json under the service's lock (see spec.h).
 */
#include "spec.h"
#include "files.h"
#include "paths.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

PAVED_PLUGIN_INIT3;

/* S for a message: at most 40 bytes, anything but printable ASCII as '?'. */
static const char *shown(const char *s, char buf[48])
{
	size_t i = 0;
	for (; s[i] && i < 40; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i])
		strcpy(buf + i, "...");
	return buf;
}

/* One name argument of ARGS, checked with VALID. */
static int name_arg(json_t *args, const char *key, bool (*valid)(const char *),
                    const char *rule, bool optional, const char **out, char **errmsg)
{
	json_t *v = json_object_get(args, key);
	char buf[48];
	*out = NULL;
	if (!v && optional)
		return PAVED_OK;
	if (!v)
		return paved->error(errmsg, "argument '%s' is required", key);
	if (!json_is_string(v))
		return paved->error(errmsg, "argument '%s' must be a string", key);
	const char *s = json_string_value(v);
	if (!*s)
		return paved->error(errmsg, "argument '%s' is empty: name a %s", key, key);
	if (strlen(s) != json_string_length(v) || !valid(s))
		return paved->error(errmsg, "invalid %s name '%s': %s", key, shown(s, buf), rule);
	*out = s;
	return PAVED_OK;
}

int rs_args(json_t *args, const char **service, const char **env, bool optional,
            char **errmsg)
{
	if (!json_is_object(args))
		return paved->error(errmsg, "the arguments must be a JSON object");
	if (name_arg(args, "service", rd_valid_service, "1 to 63 lowercase letters, digits and "
	             "'-', starting with a letter", optional, service, errmsg))
		return PAVED_ERR;
	if (name_arg(args, "env", rd_valid_env, "1 to 63 lowercase letters, digits, '-' and '_', "
	             "starting with a letter", optional, env, errmsg))
		return PAVED_ERR;
	if (*env && strcmp(*env, "haproxy") == 0)
		return paved->error(errmsg, "env 'haproxy' is reserved by the process runtime (its "
		                    "HAProxy lives in runtime/haproxy); choose another env name");
	return PAVED_OK;
}

int rs_open_named(paved_ctx *ctx, const char *service, const char *env, bool create,
                  struct rs_svc *s, char **errmsg)
{
	struct stat st;
	memset(s, 0, sizeof *s);
	s->lock = -1;
	s->home = paved->home(ctx);
	s->service = service;
	s->env = env;
	char *rel = NULL, *lock = NULL;
	if (!(s->sdir = rd_service_dir(s->home, env, service)) ||
	    asprintf(&rel, "runtime/%s/%s", env, service) < 0)
		return paved->error(errmsg, "out of memory");
	if (create && (rf_private_dir(s->home, rel) != 0 ||
	               rf_private_dir(s->sdir, "logs") != 0)) {
		int rc = paved->error(errmsg, "cannot make %s/%s: %s", s->home, rel, strerror(errno));
		free(rel);
		rs_close(s);
		return rc;
	}
	free(rel);
	if (!create && (stat(s->sdir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		int rc = paved->error(errmsg, "no service %s/%s in the process runtime", env, service);
		rs_close(s);
		return rc;
	}
	if (!(lock = rd_file(s->sdir, "lock")) || (s->lock = rf_lock(lock, 0, 0)) < 0) {
		int rc = paved->error(errmsg, "cannot lock %s: %s", lock ? lock : s->sdir,
		                      strerror(errno));
		free(lock);
		rs_close(s);
		return rc;
	}
	free(lock);
	return PAVED_OK;
}

int rs_open(paved_ctx *ctx, json_t *args, bool create, struct rs_svc *s, char **errmsg)
{
	const char *service, *env;
	memset(s, 0, sizeof *s);
	s->lock = -1;
	if (rs_args(args, &service, &env, false, errmsg))
		return PAVED_ERR;
	return rs_open_named(ctx, service, env, create, s, errmsg);
}

void rs_close(struct rs_svc *s)
{
	rf_unlock(s->lock);
	s->lock = -1;
	free(s->sdir);
	s->sdir = NULL;
}

json_t *rs_load(const struct rs_svc *s)
{
	char *p = rd_file(s->sdir, "spec.json");
	json_t *spec = p ? rf_read_json(p) : NULL;
	free(p);
	if (!json_is_object(spec)) {
		json_decref(spec);
		spec = json_pack("{ss ss s[] si}", "service", s->service, "env", s->env,
		                 "replicas", "next_id", 1);
	}
	if (!json_is_array(json_object_get(spec, "replicas")))
		json_object_set_new(spec, "replicas", json_array());
	return spec;
}

int rs_save(const struct rs_svc *s, json_t *spec, char **errmsg)
{
	char *p = rd_file(s->sdir, "spec.json");
	int rc = p && rf_write_json(p, spec) == 0 ? PAVED_OK :
	         paved->error(errmsg, "cannot write %s: %s", p ? p : "spec.json", strerror(errno));
	free(p);
	return rc;
}

json_t *rs_peek(const char *home, const char *env, const char *service)
{
	char *d = rd_service_dir(home, env, service), *p = d ? rd_file(d, "spec.json") : NULL;
	json_t *spec = p ? rf_read_json(p) : NULL;
	free(d), free(p);
	return spec;
}

json_t *rs_replica(json_t *spec, const char *id, size_t *idx)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r)
		if (id && strcmp(json_string_value(json_object_get(r, "id")) ?: "", id) == 0) {
			if (idx)
				*idx = i;
			return r;
		}
	return NULL;
}

json_t *rs_need_replica(const struct rs_svc *s, json_t *spec, json_t *args, size_t *idx,
                        char **errmsg)
{
	json_t *v = json_object_get(args, "id");
	char buf[48];
	if (!json_is_string(v)) {
		paved->error(errmsg, "argument 'id' (a string, as runtime.start returned) is required");
		return NULL;
	}
	json_t *r = rs_replica(spec, json_string_value(v), idx);
	if (!r)
		paved->error(errmsg, "no replica '%s' of %s/%s", shown(json_string_value(v), buf),
		             s->env, s->service);
	return r;
}

json_t *rs_state(const char *sdir)
{
	char *p = rd_file(sdir, "state.json");
	json_t *st = p ? rf_read_json(p) : NULL;
	free(p);
	return json_is_object(st) ? st : (json_decref(st), json_object());
}

/* Add [ENV, SERVICE] to LIST unless filtered out or already there. */
static void list_add(json_t *list, const char *env, const char *svc, const char *fsvc,
                     const char *fenv)
{
	size_t i;
	json_t *x;
	if (!rd_valid_env(env) || !rd_valid_service(svc) || (fsvc && strcmp(fsvc, svc)) ||
	    (fenv && strcmp(fenv, env)) || strcmp(env, "haproxy") == 0)
		return;
	json_array_foreach(list, i, x)
		if (!strcmp(json_string_value(json_array_get(x, 0)), env) &&
		    !strcmp(json_string_value(json_array_get(x, 1)), svc))
			return;
	json_array_append_new(list, json_pack("[ss]", env, svc));
}

static int pair_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_array_get(x, 0)), json_string_value(json_array_get(y, 0)));
	return c ? c : strcmp(json_string_value(json_array_get(x, 1)),
	                      json_string_value(json_array_get(y, 1)));
}

json_t *rs_list(const char *home, const char *service, const char *env)
{
	json_t *list = json_array();
	char *root = NULL, *svcs = NULL;
	if (asprintf(&root, "%s/runtime", home) < 0 ||
	    asprintf(&svcs, "%s/runtime/haproxy/services.json", home) < 0)
		return list;
	DIR *d = opendir(root), *sd;
	struct dirent *e, *f;
	while (d && (e = readdir(d))) {
		char *ed = NULL;
		if (!rd_valid_env(e->d_name) || asprintf(&ed, "%s/%s", root, e->d_name) < 0)
			continue;
		if ((sd = opendir(ed))) {
			while ((f = readdir(sd))) {
				char *spec = NULL;
				struct stat st;
				if (asprintf(&spec, "%s/%s/spec.json", ed, f->d_name) >= 0 &&
				    stat(spec, &st) == 0)
					list_add(list, e->d_name, f->d_name, service, env);
				free(spec);
			}
			closedir(sd);
		}
		free(ed);
	}
	if (d)
		closedir(d);
	json_t *front = rf_read_json(svcs), *s;
	const char *k;
	json_object_foreach(front, k, s)
		list_add(list, json_string_value(json_object_get(s, "env")) ?: "",
		         json_string_value(json_object_get(s, "service")) ?: "", service, env);
	json_decref(front);
	free(root), free(svcs);
	/* sort the pairs */
	size_t n = json_array_size(list);
	json_t **v = calloc(n ? n : 1, sizeof *v);
	if (v) {
		for (size_t i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(list, i));
		qsort(v, n, sizeof *v, pair_cmp);
		json_array_clear(list);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, v[i]);
		free(v);
	}
	return list;
}
