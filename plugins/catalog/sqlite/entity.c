/*
 * entity.c -- the Backstage entity model: references, validation and the
 * rich fields paved adds (oncall, repository, dashboard, runbook, cost,
 * tier, health URL as annotations; endpoints as spec.endpoints).
 *
 * Validation is Backstage's own (validate.c); this file adds paved's rich
 * fields on top, as warnings.  References parse as Backstage's
 * parseEntityRef and compare case-insensitively, so the canonical form is
 * lower case: "component:default/petstore".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "validate.h"

/* "KIND:NS/NAME" from the given lengths of each, lower case (malloc()ed;
 * NULL when out of memory).  Every import makes a few per entity. */
static char *ref_text(const char *kind, size_t nkind, const char *ns, size_t nns,
                      const char *name, size_t nname)
{
	char *s = malloc(nkind + nns + nname + 3), *o = s;
	if (!s)
		return NULL;
	memcpy(o, kind, nkind), o += nkind, *o++ = ':';
	memcpy(o, ns, nns), o += nns, *o++ = '/';
	memcpy(o, name, nname), o += nname, *o = '\0';
	for (o = s; *o; o++)
		*o = (char)tolower((unsigned char)*o);
	return s;
}

char *cat_ref_canon(const char *text, const char *def_kind, const char *def_ns,
                    char **errmsg)
{
	struct cat_valid_ref r;
	const char *why = NULL;
	if (cat_valid_parse_ref(text, def_kind, def_ns, &r, &why)) {
		cat_err(errmsg, "entity reference \"%s\": %s", text ? text : "", why);
		return NULL;
	}
	char *s = ref_text(r.kind, r.nkind, r.ns, r.nns, r.name, r.nname);
	if (!s)
		cat_err(errmsg, "out of memory");
	return s;
}

json_t *cat_doc_list(json_t *doc, json_t **probe)
{
	json_t *list = json_is_array(doc) ? doc : NULL;
	if (!list && json_is_object(doc) && !json_object_get(doc, "kind") &&
	    json_is_array(json_object_get(doc, "items")))
		list = json_object_get(doc, "items");
	*probe = list ? json_array_get(list, 0) : doc;
	return list;
}

bool cat_entity_shaped(json_t *probe)
{
	return json_object_get(probe, "apiVersion") || json_object_get(probe, "kind");
}

const char *cat_get_str(json_t *entity, const char *path)
{
	json_t *v = entity;
	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		v = json_object_getn(v, path, n);
		path += dot ? n + 1 : n;
	}
	return json_string_value(v);
}

const char *cat_annotation(json_t *entity, const char *key)
{
	json_t *ann = json_object_get(json_object_get(entity, "metadata"), "annotations");
	return json_string_value(json_object_get(ann, key));
}

char *cat_entity_ref(json_t *entity)
{
	const char *kind = cat_get_str(entity, "kind");
	const char *ns = cat_get_str(entity, "metadata.namespace");
	const char *name = cat_get_str(entity, "metadata.name");
	if (!kind || !name)
		return NULL;
	ns = ns ? ns : "default";
	return ref_text(kind, strlen(kind), ns, strlen(ns), name, strlen(name));
}

/* Parse a money amount: "2400", "2400.50", "$2,400/month".  -1 if not. */
static double parse_cost(const char *s)
{
	char buf[64];
	size_t n = 0;
	if (*s == '$')
		s++;
	for (; *s && n + 1 < sizeof buf; s++) {
		if (*s == ',')
			continue;
		if (*s == '/' || *s == ' ')
			break;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	if (*s == ' ')
		while (*s == ' ')
			s++;
	if (*s && strcmp(s, "/month") != 0 && strcmp(s, "/mo") != 0 && strcmp(s, "USD") != 0)
		return -1;
	char *end;
	double v = strtod(buf, &end);
	if (!n || *end || v < 0)
		return -1;
	return v;
}

double cat_entity_cost(json_t *entity)
{
	const char *c = cat_annotation(entity, CAT_ANN_COST);
	return c ? parse_cost(c) : -1;
}

/* Check spec.endpoints: a list of {url: string, sla?: string|number}. */
static int check_endpoints(json_t *spec, char **errmsg)
{
	json_t *v = json_object_get(spec, "endpoints"), *x;
	size_t i;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return cat_err(errmsg, "spec.endpoints must be a list of {url, sla}");
	json_array_foreach(v, i, x) {
		json_t *sla = json_object_get(x, "sla");
		if (!json_is_string(json_object_get(x, "url")))
			return cat_err(errmsg, "spec.endpoints[%zu].url must be a string", i);
		if (sla && !json_is_string(sla) && !json_is_number(sla))
			return cat_err(errmsg, "spec.endpoints[%zu].sla must be a string such as "
			               "\"99.9%%\"", i);
	}
	return 0;
}

/* Append a formatted warning to WARNINGS (may be NULL). */
static void warn(json_t *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(json_t *warnings, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = warnings ? pc_vprintf(fmt, ap) : NULL;
	va_end(ap);
	if (s)
		json_array_append_new(warnings, json_string(s));
	free(s);
}

/* Every string in V holding a NUL byte, by its field name (PATH, LEN
 * bytes of CAP used), appended to PROBLEMS.  Backstage keeps such strings,
 * but SQLite's text, C strings and the command line cut them short, so
 * list and export would lose the entity: paved refuses it. */
static void nul_bytes(json_t *v, char *path, size_t len, size_t cap, struct cat_strv *problems)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_string(v) && memchr(json_string_value(v), '\0', json_string_length(v))) {
		char *m = pc_printf("%s holds a NUL byte (\\0); refused: paved stores text without them",
		                    len ? path : "the entity");
		if (m)
			cat_strv_take(problems, m);
		return;
	}
	json_array_foreach(v, i, x) {
		int n = snprintf(path + len, cap - len, "[%zu]", i);
		if (n > 0 && (size_t)n < cap - len)
			nul_bytes(x, path, len + (size_t)n, cap, problems);
	}
	json_object_foreach(v, k, x) {
		int n = snprintf(path + len, cap - len, "%s%s", len ? "." : "", k);
		if (n > 0 && (size_t)n < cap - len)
			nul_bytes(x, path, len + (size_t)n, cap, problems);
	}
	path[len] = '\0';
}

/* Whether any string in V holds a NUL byte (the cheap pass: names are
 * spelt out only when there is one). */
static bool has_nul(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_string(v))
		return strlen(json_string_value(v)) != json_string_length(v);
	json_array_foreach(v, i, x)
		if (has_nul(x))
			return true;
	json_object_foreach(v, k, x)
		if (has_nul(x))
			return true;
	return false;
}

int cat_entity_validate(json_t *e, json_t *warnings, char **errmsg)
{
	struct cat_strv problems = { 0 };
	char path[512] = "";
	int rc = cat_valid_entity(e, &problems);
	size_t before = problems.len;
	if (has_nul(e))
		nul_bytes(e, path, 0, sizeof path, &problems);
	if (problems.len > before && rc == 0)
		rc = 1;
	if (rc) {   /* every problem, one a line */
		size_t n = 1;
		for (size_t i = 0; i < problems.len; i++)
			n += strlen(problems.v[i]) + 1;
		char *s = rc > 0 ? calloc(1, n) : NULL, *end = s;
		for (size_t i = 0; s && i < problems.len; i++)
			end = stpcpy(stpcpy(end, i ? "\n" : ""), problems.v[i]);
		if (errmsg) {
			free(*errmsg);
			*errmsg = s ? s : strdup("out of memory");
		} else {
			free(s);
		}
		cat_strv_free(&problems);
		return -1;
	}
	/* paved's rich fields: Backstage accepts any annotation value and any
	 * spec field, so a malformed one is a warning and is ignored */
	char *err = NULL;
	const char *cost = cat_annotation(e, CAT_ANN_COST);
	if (cost && parse_cost(cost) < 0)
		warn(warnings, "annotation %s: \"%s\" is not an amount (write e.g. \"2400\" or "
		     "\"$2,400/month\"); no cost is counted", CAT_ANN_COST, cost);
	if (check_endpoints(json_object_get(e, "spec"), &err))
		warn(warnings, "%s; the endpoints are ignored", err);
	free(err);
	return 0;
}
