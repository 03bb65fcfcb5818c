/*
 * shapes.c -- the declared hooks (sdk/hooks.json, compiled in as
 * pv_hooks_json) and the fronts of the driver areas.
 *
 * An area (runtime, forge, deploy, provision, monitoring, analysis) is
 * reached through front hooks AREA.VERB.  The host answers a front itself:
 * it picks a driver NAME for the call and calls AREA.driver.NAME.VERB,
 * which has the same argument and result shape.  Fronts are installed
 * lazily, the first time a call finds AREA.VERB without a provider, so
 * start-up pays nothing for them (and a plugin may still provide a front
 * itself).
 *
 * With PAVED_CHECK_SHAPES=1 (or config hooks.check_shapes) every call to a
 * declared hook is checked against its shape: the arguments before the
 * provider runs, the result after it succeeded.  A mismatch is an error
 * naming the hook and the JSON path.  The test suite runs that way, so the
 * bundled providers are checked in real use.
 */
#include "config.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

extern const char pv_hooks_json[];

/* The parsed declarations, once per host.  Borrowed; NULL if unreadable
 * (a build error: the file is compiled in and tested). */
json_t *pv_shapes(pv_host *h)
{
	if (!h->shapes) {
		json_error_t e;
		h->shapes = json_loads(pv_hooks_json, 0, &e);
		if (!h->shapes) {
			pv_log(h, PAVED_LOG_ERROR, "sdk/hooks.json:%d:%d: %s", e.line, e.column, e.text);
			h->shapes = json_object();
		}
	}
	return h->shapes;
}

/* Split HOOK into its area declaration and verb: "AREA.VERB" (FRONT set)
 * or "AREA.driver.NAME.VERB" (*DRIVER set to NAME's start, *DLEN to its
 * length).  NULL when HOOK is neither. */
static json_t *area_of(pv_host *h, const char *hook, const char **verb, const char **driver,
                       size_t *dlen)
{
	const char *dot = strchr(hook, '.');
	char area[64];
	if (!dot || dot == hook || (size_t)(dot - hook) >= sizeof area || strchr(hook, ':'))
		return NULL;
	memcpy(area, hook, (size_t)(dot - hook));
	area[dot - hook] = '\0';
	json_t *a = json_object_get(json_object_get(pv_shapes(h), "areas"), area);
	if (!a)
		return NULL;
	const char *rest = dot + 1;
	*driver = NULL, *dlen = 0;
	if (strncmp(rest, "driver.", 7) == 0) {
		const char *name = rest + 7, *last = strrchr(name, '.');
		if (!last || last == name)
			return NULL;
		*driver = name, *dlen = (size_t)(last - name);
		rest = last + 1;
	}
	if (!json_object_get(json_object_get(a, "verbs"), rest))
		return NULL;
	*verb = rest;
	return a;
}

json_t *pv_shape_of(pv_host *h, const char *hook)
{
	json_t *s = json_object_get(json_object_get(pv_shapes(h), "hooks"), hook);
	const char *verb, *driver;
	size_t dlen;
	json_t *a;
	if (s)
		return s;
	if ((a = area_of(h, hook, &verb, &driver, &dlen)))
		return json_object_get(json_object_get(a, "verbs"), verb);
	return NULL;
}

/* ---- checking a value against a shape --------------------------------- */

static const char *type_of(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "object";
	case JSON_ARRAY:   return "array";
	case JSON_STRING:  return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL:    return "number";
	case JSON_TRUE:
	case JSON_FALSE:   return "boolean";
	default:           return "null";
	}
}

static bool type_ok(const char *want, json_t *v)
{
	const char *have = type_of(v);
	return strcmp(want, have) == 0 || (strcmp(want, "number") == 0 && json_is_integer(v));
}

/* Check V against schema S (with $refs into DEFS); PATH names V.  0, or -1
 * with *ERRMSG naming the path and what was expected. */
static int check(json_t *defs, json_t *s, json_t *v, const char *path, char **errmsg)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));
	if (ref) {
		if (strncmp(ref, "#/definitions/", 14) != 0 || !(s = json_object_get(defs, ref + 14)))
			return pv_seterr(errmsg, "%s: unknown shape reference '%s'", path, ref), -1;
	}
	json_t *t = json_object_get(s, "type");
	if (json_is_string(t) && !type_ok(json_string_value(t), v))
		return pv_seterr(errmsg, "%s must be %s %s, not %s", path,
		                 strchr("aeiou", json_string_value(t)[0]) ? "an" : "a",
		                 json_string_value(t), type_of(v)), -1;
	if (json_is_array(t)) {
		size_t i;
		json_t *x;
		bool ok = false;
		json_array_foreach(t, i, x)
			ok = ok || type_ok(json_string_value(x), v);
		if (!ok) {
			char *want = json_dumps(t, JSON_COMPACT);
			pv_seterr(errmsg, "%s must be one of the types %s, not %s", path,
			          want ? want : "?", type_of(v));
			free(want);
			return -1;
		}
	}
	json_t *en = json_object_get(s, "enum");
	if (en) {
		size_t i;
		json_t *x;
		bool ok = false;
		json_array_foreach(en, i, x)
			ok = ok || json_equal(x, v);
		if (!ok) {
			char *want = json_dumps(en, JSON_COMPACT), *have = json_dumps(v, JSON_ENCODE_ANY);
			pv_seterr(errmsg, "%s must be one of %s, not %s", path, want ? want : "?",
			          have ? have : "?");
			free(want), free(have);
			return -1;
		}
	}
	if (json_is_number(v)) {
		json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
		if ((mn && json_number_value(v) < json_number_value(mn)) ||
		    (mx && json_number_value(v) > json_number_value(mx)))
			return pv_seterr(errmsg, "%s is %g, outside %g..%g", path, json_number_value(v),
			                 mn ? json_number_value(mn) : -1e300,
			                 mx ? json_number_value(mx) : 1e300), -1;
	}
	const char *pat = json_string_value(json_object_get(s, "pattern"));
	if (pat && json_is_string(v)) {
		regex_t re;
		if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
			return pv_seterr(errmsg, "%s: bad pattern in the shape: %s", path, pat), -1;
		int m = regexec(&re, json_string_value(v), 0, NULL, 0);
		regfree(&re);
		if (m != 0)
			return pv_seterr(errmsg, "%s \"%s\" does not match %s", path,
			                 json_string_value(v), pat), -1;
	}
	if (json_is_object(v)) {
		json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
		size_t i;
		json_t *x;
		const char *k;
		json_array_foreach(req, i, x)
			if (!json_object_get(v, json_string_value(x)))
				return pv_seterr(errmsg, "%s.%s is required", path, json_string_value(x)), -1;
		json_object_foreach(v, k, x) {
			json_t *ps = json_object_get(props, k);
			if (!ps && json_is_false(json_object_get(s, "additionalProperties")))
				return pv_seterr(errmsg, "%s.%s is not a known field", path, k), -1;
			if (ps) {
				char *sub = pv_asprintf("%s.%s", path, k);
				int rc = check(defs, ps, x, sub ? sub : path, errmsg);
				free(sub);
				if (rc)
					return rc;
			}
		}
	}
	json_t *items = json_object_get(s, "items");
	if (items && json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			char *sub = pv_asprintf("%s[%zu]", path, i);
			int rc = check(defs, items, x, sub ? sub : path, errmsg);
			free(sub);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int pv_shape_check(pv_host *h, json_t *shape, json_t *v, const char *what, char **errmsg)
{
	if (!shape)
		return PAVED_OK;
	json_t *defs = json_object_get(pv_shapes(h), "definitions");
	return check(defs, shape, v ? v : json_null(), what, errmsg) ? PAVED_ERR : PAVED_OK;
}

/* ---- fronts ------------------------------------------------------------- */

/* What a front hook dispatches: its area and verb. */
struct front {
	char   *area, *verb;
	json_t *decl;   /* the area's declaration (borrowed from pv_shapes) */
};

static void front_free(void *p)
{
	struct front *f = p;
	free(f->area), free(f->verb), free(f);
}

/* The value at dotted PATH ("resource.type") of ARGS, or NULL. */
static json_t *get_path(json_t *args, const char *path)
{
	char buf[128];
	if (!path || strlen(path) >= sizeof buf)
		return NULL;
	strcpy(buf, path);
	json_t *v = args;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
	     k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

/* The installed drivers of AREA ("a, b"), malloc()ed; *FOUND tells
 * whether NAME is one of them. */
static char *installed(pv_host *h, const char *area, const char *name, bool *found)
{
	size_t n = strlen(area);
	json_t *names = json_object();
	for (size_t b = 0; b < h->nbuckets; b++)
		for (struct paved_hook *hk = h->hooks[b]; hk; hk = hk->next) {
			if (!hk->provider || strncmp(hk->name, area, n) != 0 ||
			    strncmp(hk->name + n, ".driver.", 8) != 0)
				continue;
			const char *d = hk->name + n + 8, *last = strrchr(d, '.');
			if (last && last > d) {
				char *dn = strndup(d, (size_t)(last - d));
				if (dn)
					json_object_set_new(names, dn, json_true());
				free(dn);
			}
		}
	*found = json_object_get(names, name) != NULL;
	char *s = NULL;
	const char *k;
	json_t *x;
	json_object_foreach(names, k, x) {
		char *t = s ? pv_asprintf("%s, %s", s, k) : pv_strdup(k);
		free(s);
		s = t;
	}
	json_decref(names);
	return s ? s : pv_strdup("none");
}

/* Pick the driver for a call of front F with ARGS: the argument "driver",
 * the area's selector argument, configuration drivers.AREA (by the area's
 * key, then by env, then "default"), the area's declared defaults.  The
 * name is borrowed from ARGS or the configuration; *WHY says where it came
 * from (for messages).  NULL with *ERRMSG when none applies. */
static const char *pick(pv_host *h, struct front *f, json_t *args, char *why, size_t whylen,
                        char **errmsg)
{
	const char *name = json_string_value(json_object_get(args, "driver"));
	const char *sel = json_string_value(json_object_get(f->decl, "select"));
	const char *by = json_string_value(json_object_get(f->decl, "by"));
	const char *env = json_string_value(get_path(args,
	                  json_string_value(json_object_get(f->decl, "env"))));
	if (name) {
		snprintf(why, whylen, "the argument 'driver'");
		return name;
	}
	if (sel && (name = json_string_value(json_object_get(args, sel)))) {
		snprintf(why, whylen, "the argument '%s'", sel);
		return name;
	}
	if (!env)
		env = "dev";
	char key[256];
	snprintf(key, sizeof key, "drivers.%s", f->area);
	json_t *conf = pv_config_get(h->config, key), *defs = json_object_get(f->decl, "defaults");
	const char *byval = by ? json_string_value(get_path(args, by)) : NULL;
	if (by && !byval)
		return pv_seterr(errmsg, "argument '%s' (a string) is required to choose a %s "
		                 "driver", by, f->area), NULL;
	for (int layer = 0; layer < 2; layer++) {
		json_t *c = layer == 0 ? conf : defs;
		if (byval)
			c = json_object_get(c, byval);
		if (json_is_string(c))
			name = json_string_value(c);
		else if (json_is_object(c) && json_is_string(json_object_get(c, env)))
			name = json_string_value(json_object_get(c, env));
		else if (json_is_object(c))
			name = json_string_value(json_object_get(c, "default"));
		if (name) {
			snprintf(why, whylen, "%s%s%s%s", layer == 0 ? key : "the default for ",
			         layer == 0 ? "" : f->area, byval ? "." : "", byval ? byval : "");
			return name;
		}
	}
	if ((name = json_string_value(json_object_get(f->decl, "default")))) {
		snprintf(why, whylen, "the default %s driver", f->area);
		return name;
	}
	if (byval)
		return pv_seterr(errmsg, "no %s driver for %s '%s' in env '%s': set %s.%s.%s "
		                 "(or %s.%s.default)", f->area, by, byval, env, key, byval, env,
		                 key, byval), NULL;
	return pv_seterr(errmsg, "no %s driver for env '%s': set %s.%s (or %s.default)",
	                 f->area, env, key, env, key), NULL;
}

/* The front hook: pick a driver and hand the call to it.  The driver's
 * error (already prefixed with its plugin and hook) and any result it
 * handed back beside the error reach the caller unchanged. */
static int front_fn(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	pv_host *h = ctx->host;
	struct front *f = data;
	char why[300], hook[256];
	const char *name = pick(h, f, args, why, sizeof why, errmsg);
	if (!name)
		return PAVED_ERR;
	if (!pv_valid_name(name))
		return pv_seterr(errmsg, "invalid %s driver name '%s' (from %s)", f->area, name, why);
	snprintf(hook, sizeof hook, "%s.driver.%s.%s", f->area, name, f->verb);
	struct paved_hook *hk = pv_hook_get(h, hook, true);
	if (!hk)
		return pv_seterr(errmsg, "out of memory");
	if (!hk->provider) {
		bool found;
		char *list = installed(h, f->area, name, &found);
		if (found)
			pv_seterr(errmsg, "the %s driver '%s' (chosen by %s) does not implement "
			          "'%s'", f->area, name, why, f->verb);
		else
			pv_seterr(errmsg, "no %s driver '%s' is installed (chosen by %s); installed "
			          "%s drivers: %s", f->area, name, why, f->area, list);
		free(list);
		return PAVED_NOHOOK;
	}
	return pv_call_hook(h, hk, args, result, errmsg);
}

int pv_front_install(pv_host *h, struct paved_hook *hk)
{
	const char *verb, *driver;
	size_t dlen;
	json_t *a = area_of(h, hk->name, &verb, &driver, &dlen);
	if (!a || driver)
		return PAVED_ERR;
	struct front *f = calloc(1, sizeof *f);
	if (!f || !(f->area = strndup(hk->name, (size_t)(verb - 1 - hk->name))) ||
	    !(f->verb = strdup(verb))) {
		if (f)
			front_free(f);
		return PAVED_ERR;
	}
	f->decl = a;
	char *err = NULL;
	int rc = pv_provide(h, NULL, hk->name, front_fn, f, front_free, &err);
	free(err);
	if (rc == PAVED_OK)
		hk->provider->passthrough = true;
	return rc;
}
