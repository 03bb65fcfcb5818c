/*
 * platform.c -- the resources a service declares in its platform.yaml, in
 * Score's vocabulary:
 *
 *     service: payment-api            # else metadata.name, else the directory
 *     resources:
 *       db:    {type: postgres, class: small, params: {backups: daily}}
 *       cache: {type: redis, params: {eviction: lru}}
 *     environments:
 *       production:
 *         resources:
 *           db: {class: large}        # class replaced, params merged
 *
 * The file is read with the host's YAML reader (duplicate keys, depth and
 * size limits, "FILE:LINE:COLUMN: ..." errors); the checks below name the
 * line and column too.  Other top-level keys (deploy, ...) belong to other
 * plugins.  prv_platform_read is the one function to swap for the host's
 * platform.read once that hook exists.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "provision.h"

/* "FILE:LINE:COLUMN" of the value at json pointer PTR (else of its nearest
 * marked parent), malloc()ed. */
static char *where(const char *file, json_t *marks, const char *ptr)
{
	char *p = strdup(ptr), *s = NULL;
	while (p) {
		json_t *m = json_object_get(marks, p);
		char *slash = strrchr(p, '/');
		if (m || !slash) {
			s = m ? pc_printf("%s:%lld:%lld", file, json_integer_value(json_array_get(m, 0)),
			                  json_integer_value(json_array_get(m, 1)))
			      : pc_printf("%s", file);
			break;
		}
		*slash = '\0';
	}
	free(p);
	return s;
}

/* Fail at PTR: "FILE:LINE:COLUMN: MESSAGE". */
static json_t *fail(char **errmsg, const char *file, json_t *marks, const char *ptr,
                    const char *fmt, const char *a, const char *b)
{
	char *loc = where(file, marks, ptr), *m = pc_printf(fmt, a, b);
	paved->error(errmsg, "%s: %s", loc ? loc : file, m ? m : "?");
	free(loc), free(m);
	return NULL;
}

/* A key a resource may have: lowercase letters and digits joined by single
 * '-' or '_' (it becomes part of the resource's name). */
static bool valid_key(const char *k)
{
	return prv_valid_name(k) && strlen(k) <= 40;
}

/* Check resource KEY's mapping R (top level when OVERRIDE is false, an
 * environment's override otherwise) at json pointer PTR. */
static int check_resource(const char *file, json_t *marks, const char *ptr, const char *key,
                          json_t *r, bool override, char **errmsg)
{
	const char *k;
	json_t *v;
	char *sub = NULL;
	if (!valid_key(key))
		return fail(errmsg, file, marks, ptr, "invalid resource key '%s': use lowercase "
		            "letters and digits with single '-' or '_' between them, starting with "
		            "a letter (at most 40)%s", key, ""), PAVED_ERR;
	if (!json_is_object(r))
		return fail(errmsg, file, marks, ptr, "resources.%s must be a mapping such as "
		            "{type: postgres, class: small}%s", key, ""), PAVED_ERR;
	json_object_foreach(r, k, v) {
		free(sub);
		sub = pc_printf("%s/%s", ptr, k);
		bool ok = !strcmp(k, "class") || !strcmp(k, "params") || !strcmp(k, "metadata") ||
		          (!override && !strcmp(k, "type"));
		if (!ok) {
			fail(errmsg, file, marks, sub, !strcmp(k, "size")
			     ? "resources.%s.%s: 'size' is gone: use 'class' (small, medium, large)"
			     : !strcmp(k, "type")
			     ? "resources.%s.%s: an environment cannot change a resource's type"
			     : "resources.%s: unknown field '%s' (a resource has type, class and "
			       "params; driver settings go under params)", key, k);
			goto bad;
		}
		if ((!strcmp(k, "type") || !strcmp(k, "class")) && (!json_is_string(v) ||
		                                                    !*json_string_value(v))) {
			fail(errmsg, file, marks, sub, "resources.%s.%s must be a non-empty string", key, k);
			goto bad;
		}
		if (!strcmp(k, "params") && !json_is_object(v)) {
			fail(errmsg, file, marks, sub, "resources.%s.%s must be a mapping such as "
			     "{backups: daily}", key, k);
			goto bad;
		}
	}
	free(sub);
	if (!override && !json_is_string(json_object_get(r, "type")))
		return fail(errmsg, file, marks, ptr, "resources.%s needs a type (postgres, "
		            "redis, ...)%s", key, ""), PAVED_ERR;
	return PAVED_OK;
bad:
	free(sub);
	return PAVED_ERR;
}

/* Check the document D and merge ENV's overrides into a new resources
 * object; NULL with *ERRMSG. */
static json_t *resources_of(const char *file, json_t *d, json_t *marks, const char *env,
                            char **errmsg)
{
	json_t *rs = json_object_get(d, "resources"), *out = json_object(), *r, *v;
	const char *k, *t;
	json_object_foreach(d, t, v)     /* the earlier style: a top-level mapping with a type */
		if (strcmp(t, "resources") && strcmp(t, "environments") &&
		    json_is_string(json_object_get(v, "type"))) {
			char *ptr = pc_printf("/%s", t);
			fail(errmsg, file, marks, ptr ? ptr : "", "'%s' declares a type outside "
			     "'resources:'; write resources: {%s: {type: ..., class: ..., params: {...}}}",
			     t, t);
			free(ptr);
			goto bad;
		}
	if (rs && !json_is_null(rs) && !json_is_object(rs)) {
		fail(errmsg, file, marks, "/resources", "resources must be a mapping of resources "
		     "such as {db: {type: postgres}}%s%s", "", "");
		goto bad;
	}
	json_object_foreach(rs, k, r) {
		char *ptr = pc_printf("/resources/%s", k);
		int bad = check_resource(file, marks, ptr ? ptr : "", k, r, false, errmsg);
		free(ptr);
		if (bad)
			goto bad;
		json_t *n = json_pack("{sO ss so}", "type", json_object_get(r, "type"), "class",
		                      json_is_string(json_object_get(r, "class"))
		                      ? json_string_value(json_object_get(r, "class")) : "small",
		                      "params", json_is_object(json_object_get(r, "params"))
		                      ? json_deep_copy(json_object_get(r, "params")) : json_object());
		json_object_set_new(out, k, n);
	}
	json_t *envs = json_object_get(d, "environments");
	if (envs && !json_is_object(envs)) {
		fail(errmsg, file, marks, "/environments", "environments must be a mapping of "
		     "environments such as {production: {resources: {db: {class: large}}}}%s%s", "", "");
		goto bad;
	}
	json_t *over = json_object_get(json_object_get(envs, env), "resources");
	json_object_foreach(over, k, r) {
		char *ptr = pc_printf("/environments/%s/resources/%s", env, k);
		int bad = check_resource(file, marks, ptr ? ptr : "", k, r, true, errmsg);
		if (!bad && !json_object_get(out, k)) {
			fail(errmsg, file, marks, ptr ? ptr : "", "environments.%s.resources.%s: no "
			     "such resource under resources: to override", env, k);
			bad = PAVED_ERR;
		}
		free(ptr);
		if (bad)
			goto bad;
		json_t *n = json_object_get(out, k);
		if (json_object_get(r, "class"))
			json_object_set(n, "class", json_object_get(r, "class"));
		json_object_update(json_object_get(n, "params"), json_object_get(r, "params"));
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

json_t *prv_platform_read(paved_ctx *ctx, const char *path, const char *env, char **errmsg)
{
	char abs[PATH_MAX], *file = NULL, *copy = NULL;
	json_t *d = NULL, *marks = NULL, *out = NULL, *rs;
	struct stat st;
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_MARKS, .marks = &marks };
	if (!realpath(path, abs))
		return paved->error(errmsg, "cannot read %s: %s (write the service's resources in "
		                    "platform.yaml, e.g. 'resources: {db: {type: postgres}}')", path,
		                    strerror(errno)), NULL;
	file = stat(abs, &st) == 0 && S_ISDIR(st.st_mode) ? pc_printf("%s/platform.yaml", abs)
	                                                   : strdup(abs);
	if (!file || paved->read_yaml(ctx, file, &o, &d, errmsg))
		goto out;
	if (!json_is_object(d)) {
		paved->error(errmsg, "%s: expected a mapping with 'resources:', such as 'resources: "
		             "{db: {type: postgres}}'", file);
		goto out;
	}
	if (!(rs = resources_of(file, d, marks, env, errmsg)))
		goto out;
	const char *svc = json_string_value(json_object_get(d, "service"));
	if (!svc)
		svc = json_string_value(json_object_get(json_object_get(d, "metadata"), "name"));
	copy = strdup(file);
	char *dir = copy ? dirname(copy) : NULL;
	char *base = dir ? strdup(dir) : NULL;
	out = json_pack("{ss ss ss so}", "file", file, "dir", dir ? dir : ".", "service",
	                svc ? svc : base ? basename(base) : "", "resources", rs);
	free(base);
	json_t *lines = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(rs, k, v) {
		char *ptr = pc_printf("/resources/%s", k), *loc = ptr ? where(file, marks, ptr) : NULL;
		json_object_set_new(lines, k, json_string(loc ? loc : file));
		free(ptr), free(loc);
	}
	json_object_set_new(out, "where", lines);
out:
	json_decref(d);
	json_decref(marks);
	free(file), free(copy);
	return out;
}
