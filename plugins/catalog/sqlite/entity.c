/*
 * entity.c -- the Backstage entity model: references, validation and the
 * rich fields paved adds (oncall, repository, dashboard, runbook, cost,
 * tier, health URL as annotations; endpoints as spec.endpoints).
 *
 * The rules follow Backstage's catalog-model: a kind is a letter then
 * letters and digits; metadata.name is 1-63 characters of letters and
 * digits separated by single '-', '_' or '.'; a namespace is a DNS label.
 * References compare case-insensitively, so the canonical form is lower
 * case: "component:default/petstore".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"

static const char *const known_kinds[] = {
	"Component", "API", "System", "Domain", "Resource", "Group", "User", "Location", NULL
};

bool cat_kind_known(const char *kind)
{
	for (size_t i = 0; known_kinds[i]; i++)
		if (strcasecmp(kind, known_kinds[i]) == 0)
			return true;
	return false;
}

/* Backstage's object-name rule: [A-Za-z0-9] runs joined by single [-_.]. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch))
			continue;
		if (!strchr("-_.", ch) || !isalnum((unsigned char)s[i + 1]))
			return false;
	}
	return true;
}

/* A DNS label: [a-z0-9] runs joined by single '-', at most 63. */
static bool valid_namespace(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!(islower(ch) || isdigit(ch) || (ch == '-' && s[i + 1] != '-')))
			return false;
	}
	return true;
}

/* A kind: a letter, then letters and digits, at most 63. */
static bool valid_kind(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

char *cat_ref_canon(const char *text, const char *def_kind, const char *def_ns,
                    char **errmsg)
{
	if (!text || !*text) {
		cat_err(errmsg, "empty entity reference");
		return NULL;
	}
	const char *colon = strchr(text, ':');
	const char *rest = colon ? colon + 1 : text;
	const char *slash = strchr(rest, '/');
	const char *name = slash ? slash + 1 : rest;
	if (colon == text)
		cat_err(errmsg, "entity reference '%s' has an empty kind", text);
	else if (!colon && !def_kind)
		cat_err(errmsg, "entity reference '%s' needs a kind, e.g. 'component:%s'", text, text);
	else if (slash == rest)
		cat_err(errmsg, "entity reference '%s' has an empty namespace", text);
	else if (!*name)
		cat_err(errmsg, "entity reference '%s' has an empty name", text);
	else {
		const char *kind = colon ? text : def_kind;
		const char *ns = slash ? rest : def_ns ? def_ns : "default";
		int nkind = colon ? (int)(colon - text) : (int)strlen(def_kind);
		int nns = slash ? (int)(slash - rest) : (int)strlen(ns);
		char *s = pc_printf("%.*s:%.*s/%s", nkind, kind, nns, ns, name);
		if (!s)
			cat_err(errmsg, "out of memory");
		for (char *c = s; c && *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return s;
	}
	return NULL;
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
	char *s = pc_printf("%s:%s/%s", kind, ns ? ns : "default", name);
	for (char *c = s; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
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

/* Check that OBJ[KEY], if present, is an object whose values are strings. */
static int check_string_map(json_t *obj, const char *key, char **errmsg)
{
	json_t *m = json_object_get(obj, key), *v;
	const char *k;
	if (!m)
		return 0;
	if (!json_is_object(m))
		return cat_err(errmsg, "metadata.%s must be a mapping", key);
	json_object_foreach(m, k, v)
		if (!json_is_string(v))
			return cat_err(errmsg, "metadata.%s.%s must be a string", key, k);
	return 0;
}

/* Check that SPEC[KEY], if present, is a string (LIST false) or a list of
 * strings (LIST true). */
static int check_field(json_t *spec, const char *key, bool list, char **errmsg)
{
	json_t *v = json_object_get(spec, key), *x;
	size_t i;
	if (!v || json_is_null(v))
		return 0;
	if (!list) {
		if (!json_is_string(v))
			return cat_err(errmsg, "spec.%s must be a string (an entity reference)", key);
		return 0;
	}
	if (!json_is_array(v))
		return cat_err(errmsg, "spec.%s must be a list of entity references", key);
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return cat_err(errmsg, "spec.%s[%zu] must be a string (an entity reference)",
			               key, i);
	return 0;
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

int cat_entity_validate(json_t *e, json_t *warnings, char **errmsg)
{
	static const char *const ref_fields[] = {
		"owner", "system", "domain", "subcomponentOf", "subdomainOf", "parent", NULL
	};
	static const char *const list_fields[] = {
		"dependsOn", "dependencyOf", "providesApis", "consumesApis", "memberOf",
		"children", "members", "targets", NULL
	};
	if (!json_is_object(e))
		return cat_err(errmsg, "an entity must be a mapping, not a %s",
		               json_is_array(e) ? "list" : "scalar");
	json_t *kind = json_object_get(e, "kind");
	json_t *meta = json_object_get(e, "metadata");
	json_t *api_version = json_object_get(e, "apiVersion");
	if (!kind)
		return cat_err(errmsg, "entity has no 'kind' (e.g. kind: Component)");
	if (!json_is_string(kind) || !valid_kind(json_string_value(kind)))
		return cat_err(errmsg, "'kind' must be a word such as Component");
	if (!api_version)
		return cat_err(errmsg, "entity has no 'apiVersion' (e.g. apiVersion: "
		               "backstage.io/v1alpha1)");
	if (!json_is_string(api_version))
		return cat_err(errmsg, "'apiVersion' must be a string");
	if (!json_is_object(meta))
		return cat_err(errmsg, "entity has no 'metadata' mapping");
	json_t *name = json_object_get(meta, "name");
	if (!name)
		return cat_err(errmsg, "entity has no 'metadata.name'");
	if (!json_is_string(name))
		return cat_err(errmsg, "'metadata.name' must be a string");
	if (!valid_name(json_string_value(name)))
		return cat_err(errmsg, "invalid metadata.name \"%s\": use 1-63 letters and digits, "
		               "separated by single '-', '_' or '.'", json_string_value(name));
	json_t *ns = json_object_get(meta, "namespace");
	if (ns && (!json_is_string(ns) || !valid_namespace(json_string_value(ns))))
		return cat_err(errmsg, "invalid metadata.namespace: use 1-63 lower-case letters, "
		               "digits and single '-'");
	if (check_string_map(meta, "annotations", errmsg) || check_string_map(meta, "labels", errmsg))
		return -1;
	json_t *tags = json_object_get(meta, "tags"), *x;
	size_t i;
	if (tags && !json_is_array(tags))
		return cat_err(errmsg, "metadata.tags must be a list of strings");
	json_array_foreach(tags, i, x)
		if (!json_is_string(x))
			return cat_err(errmsg, "metadata.tags[%zu] must be a string", i);
	json_t *spec = json_object_get(e, "spec");
	if (spec && !json_is_object(spec))
		return cat_err(errmsg, "'spec' must be a mapping");
	bool known = cat_kind_known(json_string_value(kind));
	for (i = 0; known && spec && ref_fields[i]; i++)
		if (check_field(spec, ref_fields[i], false, errmsg))
			return -1;
	for (i = 0; known && spec && list_fields[i]; i++)
		if (check_field(spec, list_fields[i], true, errmsg))
			return -1;
	if (check_endpoints(spec, errmsg))
		return -1;
	const char *cost = cat_annotation(e, CAT_ANN_COST);
	if (cost && parse_cost(cost) < 0)
		return cat_err(errmsg, "annotation %s: \"%s\" is not an amount; write e.g. "
		               "\"2400\" or \"$2,400/month\"", CAT_ANN_COST, cost);
	if (!known && warnings) {
		char *w = pc_printf("unknown kind '%s': kept, but no relations are computed for it",
		                     json_string_value(kind));
		if (w)
			json_array_append_new(warnings, json_string(w));
		free(w);
	}
	return 0;
}
