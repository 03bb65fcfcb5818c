/*
 * validate.c -- an entity checked as Backstage's catalog checks it when it
 * ingests one (the rules and where they come from: validate.h).
 *
 * From @backstage/catalog-model's sources (packages/catalog-model/src):
 *   schema/EntityEnvelope.schema.json, Entity.schema.json,
 *     EntityMeta.schema.json                  types and required fields;
 *   entity/policies/NoForeignRootFieldsEntityPolicy.ts   root fields;
 *   entity/policies/FieldFormatEntityPolicy.ts           formats;
 *   schema/kinds/<Kind>.v1alpha1.schema.json + kinds/<Kind>EntityV1alpha1.ts
 *                                              the eight kinds' specs;
 * and from @backstage/plugin-catalog-backend (plugins/catalog-backend/src):
 *   processors/BuiltinKindsEntityProcessor.ts  which validators run, and
 *     the relation fields parsed with parseEntityRef (a bad reference
 *     fails the entity);
 *   processing/ProcessorOutputCollector.ts     a falsy
 *     metadata.annotations (null, false, 0, "") is replaced by {}.
 *
 * Placeholders ($text, $json, $yaml) are substituted by Backstage before
 * any of this; paved does not read them, so inside spec a placeholder is
 * accepted unchecked (it stands for a value not known here).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

struct cat_valid_ctx {
	struct cat_strv *out;
	int              problems;
	bool             oom;
};

void cat_valid_report(struct cat_valid_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	ctx->problems++;
	if (!ctx->out)
		return;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	if (!s || cat_strv_take(ctx->out, s))
		ctx->oom = true;
}
#define report cat_valid_report

/* ---- message helpers ------------------------------------------------------- */

/* V quoted for a message: "text", escaped, at most 60 bytes of it. */
static const char *quote(char buf[100], const char *s, size_t n)
{
	size_t o = 0, cut = n > 60 ? 60 : n;
	while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;   /* not inside a UTF-8 sequence */
	buf[o++] = '"';
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			o += (size_t)sprintf(buf + o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
		if (o > 90)
			break;
	}
	strcpy(buf + o, cut < n ? "...\"" : "\"");
	return buf;
}

/* "a number", "a list", ... for "must be a string, not ...". */
static const char *what(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY:  return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL:   return "a number";
	case JSON_TRUE:
	case JSON_FALSE:  return "a boolean";
	default:          return "null";
	}
}

/* Whether V is a placeholder Backstage would substitute (one paved left
 * alone: a URL). */
static bool placeholder(json_t *v)
{
	const char *k;
	return cat_placeholder_of(v, &k);
}

/* JavaScript's falsiness of a JSON value (null, false, 0, ""). */
static bool falsy(json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) ||
	       (json_is_integer(v) && json_integer_value(v) == 0) ||
	       (json_is_real(v) && json_real_value(v) == 0) ||
	       (json_is_string(v) && json_string_length(v) == 0);
}

/* A field's name, spelt out only when a message needs it (formatting it
 * for every field of every entity would cost more than the checks):
 * A[.B][[I]][.C], e.g. "metadata.links[0].url". */
struct fname {
	const char *a, *b;
	long        i;   /* -1: no index */
	const char *c;
};
#define FN(a, b, i, c) (&(const struct fname){ (a), (b), (i), (c) })

/* F spelt out in BUF. */
static const char *fstr(char buf[200], const struct fname *f)
{
	int n = snprintf(buf, 200, "%s%s%s", f->a, f->b ? "." : "", f->b ? f->b : "");
	if (f->i >= 0 && n < 200)
		n += snprintf(buf + n, 200 - (size_t)n, "[%ld]", f->i);
	if (f->c && n < 200)
		snprintf(buf + n, 200 - (size_t)n, ".%s", f->c);
	return buf;
}

/* Field F's value V must be a string, non-empty unless MAY_BE_EMPTY. */
static bool want_string(struct cat_valid_ctx *ctx, json_t *v, const struct fname *f,
                        bool may_be_empty)
{
	char b[200];
	if (!json_is_string(v)) {
		report(ctx, "%s must be a string, not %s", fstr(b, f), what(v));
		return false;
	}
	if (!may_be_empty && json_string_length(v) == 0) {
		report(ctx, "%s must not be empty", fstr(b, f));
		return false;
	}
	return true;
}

/* The expectations FieldFormatEntityPolicy states. */
#define EXPECT_NAME "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], " \
	"at most 63 characters in total"
#define EXPECT_DNS "a string that is sequences of [a-z0-9] separated by [-], at most 63 " \
	"characters in total"
#define EXPECT_KEY "an optional prefix of DNS labels joined by '.' (at most 253 characters) " \
	"and '/', then " EXPECT_NAME
#define EXPECT_TAG "a string that is sequences of [a-z0-9:+#] separated by [-], at most 63 " \
	"characters in total"

/* Field F's string V must pass OK; else say what was EXPECTED. */
static void want_format(struct cat_valid_ctx *ctx, json_t *v, const struct fname *f,
                        bool (*ok)(const char *, size_t), const char *expected)
{
	char q[100], b[200];
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (!ok(s, n))
		report(ctx, "%s %s is not valid; expected %s", fstr(b, f), quote(q, s, n), expected);
}

/* ---- metadata ---------------------------------------------------------------- */

/* labels or annotations: a mapping of valid keys to strings (labels: valid
 * values too). */
static void check_string_map(struct cat_valid_ctx *ctx, json_t *m, const char *what_map,
                             bool labels)
{
	const char *k;
	json_t *v;
	char q[100];
	if (!json_is_object(m)) {
		report(ctx, "metadata.%s must be a mapping, not %s", what_map, what(m));
		return;
	}
	json_object_foreach(m, k, v) {
		size_t nk = strlen(k);   /* jansson keys: NUL-free unless built so */
		if (!cat_valid_label_key(k, nk))
			report(ctx, "metadata.%s key %s is not valid; expected %s", what_map,
			       quote(q, k, nk), EXPECT_KEY);
		if (want_string(ctx, v, FN("metadata", what_map, -1, k), true) && labels)
			want_format(ctx, v, FN("metadata", what_map, -1, k), cat_valid_label_value,
			            "an empty string or " EXPECT_NAME);
	}
}

static void check_links(struct cat_valid_ctx *ctx, json_t *links)
{
	static const char *const opt[] = { "title", "icon", "type" };
	json_t *l, *v;
	size_t i;
	if (!json_is_array(links)) {
		report(ctx, "metadata.links must be a list, not %s", what(links));
		return;
	}
	json_array_foreach(links, i, l) {
		if (!json_is_object(l)) {
			report(ctx, "metadata.links[%zu] must be a mapping with a url, not %s", i, what(l));
			continue;
		}
		const struct fname *url = FN("metadata", "links", (long)i, "url");
		if (!(v = json_object_get(l, "url")))
			report(ctx, "metadata.links[%zu].url is required", i);
		else if (want_string(ctx, v, url, false))
			want_format(ctx, v, url, cat_valid_url,
			            "a string that is a valid url (with a scheme, e.g. https://...)");
		for (int k = 0; k < 3; k++) {
			const struct fname *f = FN("metadata", "links", (long)i, opt[k]);
			if ((v = json_object_get(l, opt[k])) && want_string(ctx, v, f, false) && k < 2)
				want_format(ctx, v, f, cat_valid_nonempty, "a non empty string");
		}
	}
}

static void check_metadata(struct cat_valid_ctx *ctx, json_t *m)
{
	static const char *const plain[] = { "uid", "etag", "title" };
	json_t *v, *x;
	size_t i;
	const struct fname *name = FN("metadata", "name", -1, NULL);
	const struct fname *ns = FN("metadata", "namespace", -1, NULL);
	if (!(v = json_object_get(m, "name")))
		report(ctx, "metadata.name is required");
	else if (want_string(ctx, v, name, false))
		want_format(ctx, v, name, cat_valid_object_name, EXPECT_NAME);
	if ((v = json_object_get(m, "namespace")) && want_string(ctx, v, ns, false))
		want_format(ctx, v, ns, cat_valid_dns_label, EXPECT_DNS);
	for (int k = 0; k < 3; k++)
		if ((v = json_object_get(m, plain[k])))
			want_string(ctx, v, FN("metadata", plain[k], -1, NULL), false);
	if ((v = json_object_get(m, "description")))
		want_string(ctx, v, FN("metadata", "description", -1, NULL), true);
	if ((v = json_object_get(m, "labels")))
		check_string_map(ctx, v, "labels", true);
	if (!falsy(v = json_object_get(m, "annotations")))
		check_string_map(ctx, v, "annotations", false);
	if ((v = json_object_get(m, "tags")) && !json_is_array(v))
		report(ctx, "metadata.tags must be a list, not %s", what(v));
	json_array_foreach(v, i, x) {
		const struct fname *tag = FN("metadata", "tags", (long)i, NULL);
		if (want_string(ctx, x, tag, false))
			want_format(ctx, x, tag, cat_valid_tag, EXPECT_TAG);
	}
	if ((v = json_object_get(m, "links")))
		check_links(ctx, v);
}

/* ---- kinds ------------------------------------------------------------------- */

enum { F_STR, F_STRS, F_PROFILE, F_PRESENCE, F_ANY };

/* A spec field of a kind's schema; REF: its default kind when it is a
 * relation field ("" when it has none), NULL when it is not one. */
struct spec_field {
	const char *name;
	int         type;
	bool        required;
	const char *ref;
};

struct kind {
	const char              *name;
	const struct spec_field *fields;
};

static const struct spec_field component_fields[] = {
	{ "type", F_STR, true, NULL }, { "lifecycle", F_STR, true, NULL },
	{ "owner", F_STR, true, "group" }, { "system", F_STR, false, "system" },
	{ "subcomponentOf", F_STR, false, "component" },
	{ "providesApis", F_STRS, false, "api" }, { "consumesApis", F_STRS, false, "api" },
	{ "dependsOn", F_STRS, false, "" }, { "dependencyOf", F_ANY, false, "" }, { NULL, 0, 0, 0 }
};
static const struct spec_field api_fields[] = {
	{ "type", F_STR, true, NULL }, { "lifecycle", F_STR, true, NULL },
	{ "owner", F_STR, true, "group" }, { "system", F_STR, false, "system" },
	{ "definition", F_STR, true, NULL }, { NULL, 0, 0, 0 }
};
static const struct spec_field resource_fields[] = {
	{ "type", F_STR, true, NULL }, { "owner", F_STR, true, "group" },
	{ "dependsOn", F_STRS, false, "" }, { "system", F_STR, false, "system" },
	{ "dependencyOf", F_ANY, false, "" }, { NULL, 0, 0, 0 }
};
static const struct spec_field system_fields[] = {
	{ "owner", F_STR, true, "group" }, { "domain", F_STR, false, "domain" },
	{ "type", F_STR, false, NULL }, { NULL, 0, 0, 0 }
};
static const struct spec_field domain_fields[] = {
	{ "owner", F_STR, true, "group" }, { "subdomainOf", F_STR, false, "domain" },
	{ "type", F_STR, false, NULL }, { NULL, 0, 0, 0 }
};
static const struct spec_field group_fields[] = {
	{ "type", F_STR, true, NULL }, { "profile", F_PROFILE, false, NULL },
	{ "parent", F_STR, false, "group" }, { "children", F_STRS, true, "group" },
	{ "members", F_STRS, false, "user" }, { NULL, 0, 0, 0 }
};
static const struct spec_field user_fields[] = {
	{ "profile", F_PROFILE, false, NULL }, { "memberOf", F_STRS, true, "group" },
	{ NULL, 0, 0, 0 }
};
static const struct spec_field location_fields[] = {
	{ "type", F_STR, false, NULL }, { "target", F_STR, false, NULL },
	{ "targets", F_STRS, false, NULL }, { "presence", F_PRESENCE, false, NULL },
	{ NULL, 0, 0, 0 }
};

/* BuiltinKindsEntityProcessor's validators, in its order. */
static const struct kind builtin[] = {
	{ "API", api_fields }, { "Component", component_fields },
	{ "Resource", resource_fields }, { "Group", group_fields },
	{ "Location", location_fields }, { "User", user_fields },
	{ "System", system_fields }, { "Domain", domain_fields },
};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])
#define KNOWN_KINDS "API, Component, Domain, Group, Location, Resource, System and User"

/* Kinds registered by cat_valid_kind_add. */
static struct extra {
	char             *kind;
	char            **versions;   /* NULL: any */
	cat_valid_kind_fn fn;
	void             *ud;
} *extras;
static size_t nextras;

static const char *dependency_kind;

void cat_valid_set_dependency_kind(const char *kind)
{
	dependency_kind = kind && *kind ? kind : NULL;
}

const char *cat_valid_dependency_kind(void)
{
	return dependency_kind;
}

/* One reference TARGET of relation field FIELD (default kind DEF, "" for
 * none): parseEntityRef must succeed. */
static void check_ref(struct cat_valid_ctx *ctx, const struct fname *field, const char *def,
                      const char *ns, json_t *target)
{
	struct cat_valid_ref r;
	const char *why = NULL;
	char q[100], b[200];
	const char *dk = *def ? def : dependency_kind;
	if (json_is_string(target)) {
		const char *s = json_string_value(target);
		if (cat_valid_parse_ref(s, dk, ns, &r, &why) == 0)
			return;
		report(ctx, "%s %s is not a valid entity reference: %s%s", fstr(b, field),
		       quote(q, s, json_string_length(target)), why,
		       *def ? "" : "; Backstage gives this field no default kind");
		return;
	}
	/* parseEntityRef of a non-string: {kind?, namespace?, name} */
	json_t *k = json_object_get(target, "kind"), *n = json_object_get(target, "name");
	json_t *nsv = json_object_get(target, "namespace");
	bool has_kind = (k && !json_is_null(k)) ? !falsy(k) : dk != NULL;
	bool has_ns = (nsv && !json_is_null(nsv)) ? !falsy(nsv) : true;
	if (falsy(target) || !json_is_object(target) || !has_kind || !has_ns || falsy(n))
		report(ctx, "%s must be an entity reference (\"kind:namespace/name\"), not %s", fstr(b, field),
		       what(target));
}

/* The relation references of field F (value V) of the spec. */
static void check_refs(struct cat_valid_ctx *ctx, const struct spec_field *f, json_t *v,
                       const char *ns)
{
	json_t *x;
	size_t i;
	if (f->type == F_ANY && falsy(v))
		return;   /* doEmit ignores a falsy value */
	if (!json_is_array(v)) {
		if (!placeholder(v))
			check_ref(ctx, FN("spec", f->name, -1, NULL), f->ref, ns, v);
		return;
	}
	json_array_foreach(v, i, x)
		if (!placeholder(x))
			check_ref(ctx, FN("spec", f->name, (long)i, NULL), f->ref, ns, x);
}

/* FIELD (V) of type F_STR: a non-empty string. */
static bool spec_string(struct cat_valid_ctx *ctx, json_t *v, const struct fname *field)
{
	return placeholder(v) || want_string(ctx, v, field, false);
}

/* Field F of SPEC against the kind's schema, then its references. */
static void check_field(struct cat_valid_ctx *ctx, const char *kind, json_t *spec,
                        const struct spec_field *f, const char *ns)
{
	static const char *const profile[] = { "displayName", "email", "picture" };
	json_t *v = json_object_get(spec, f->name), *x;
	const struct fname *field = FN("spec", f->name, -1, NULL);
	char b[200];
	size_t i;
	bool ok = true;
	if (!v) {
		if (f->required)
			report(ctx, "spec.%s is required for kind %s", f->name, kind);
		return;
	}
	if (placeholder(v))
		return;
	switch (f->type) {
	case F_STR:
		ok = spec_string(ctx, v, field);
		break;
	case F_STRS:
		if (!json_is_array(v)) {
			report(ctx, "spec.%s must be a list, not %s", f->name, what(v));
			return;
		}
		json_array_foreach(v, i, x)
			ok &= spec_string(ctx, x, FN("spec", f->name, (long)i, NULL));
		break;
	case F_PROFILE:
		if (!json_is_object(v)) {
			report(ctx, "spec.%s must be a mapping, not %s", f->name, what(v));
			return;
		}
		for (int k = 0; k < 3; k++)
			if ((x = json_object_get(v, profile[k])))
				spec_string(ctx, x, FN("spec", f->name, -1, profile[k]));
		break;
	case F_PRESENCE:
		if (want_string(ctx, v, field, true) && strcmp(json_string_value(v), "required") &&
		    strcmp(json_string_value(v), "optional"))
			report(ctx, "%s must be \"required\" or \"optional\"", fstr(b, field));
		break;
	}
	if (ok && f->ref)
		check_refs(ctx, f, v, ns);
}

/* A kind validator must recognise KIND/API_VERSION; check the spec. */
static void check_kind(struct cat_valid_ctx *ctx, json_t *e, const char *kind,
                       const char *api_version)
{
	json_t *spec = json_object_get(e, "spec");
	const char *ns = cat_get_str(e, "metadata.namespace");
	char q[100];
	for (size_t i = 0; i < NBUILTIN; i++) {
		if (strcmp(kind, builtin[i].name))
			continue;
		if (strcmp(api_version, "backstage.io/v1alpha1") &&
		    strcmp(api_version, "backstage.io/v1beta1")) {
			report(ctx, "apiVersion %s: no processor recognises kind %s with it; use "
			       "backstage.io/v1alpha1 (or backstage.io/v1beta1)",
			       quote(q, api_version, strlen(api_version)), kind);
			return;
		}
		if (!spec)
			report(ctx, "spec is required for kind %s", kind);
		if (!json_is_object(spec) || placeholder(spec))
			return;   /* not a mapping: said already */
		for (const struct spec_field *f = builtin[i].fields; f->name; f++)
			check_field(ctx, kind, spec, f, ns ? ns : "default");
		return;
	}
	bool kind_seen = false;
	for (size_t i = 0; i < nextras; i++) {
		if (strcmp(kind, extras[i].kind))
			continue;
		kind_seen = true;
		bool match = !extras[i].versions;
		for (char **v = extras[i].versions; v && *v && !match; v++)
			match = !strcmp(*v, api_version);
		if (match) {
			if (extras[i].fn)
				extras[i].fn(e, ctx, extras[i].ud);
			return;
		}
	}
	if (kind_seen) {
		report(ctx, "apiVersion %s: no processor recognises kind %s with it",
		       quote(q, api_version, strlen(api_version)), kind);
		return;
	}
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcasecmp(kind, builtin[i].name)) {
			report(ctx, "kind %s: no processor recognises it; kinds are case-sensitive: "
			       "did you mean \"%s\"?", quote(q, kind, strlen(kind)), builtin[i].name);
			return;
		}
	char q2[100];
	report(ctx, "kind %s (apiVersion %s): no processor recognises it; the kinds known are "
	       KNOWN_KINDS " and those registered by configuration or plugins",
	       quote(q, kind, strlen(kind)), quote(q2, api_version, strlen(api_version)));
}

int cat_valid_kind_add(const char *kind, const char *const *api_versions,
                       cat_valid_kind_fn fn, void *ud)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcmp(kind, builtin[i].name))
			return -1;
	for (size_t i = 0; fn && i < nextras; i++)
		if (!strcmp(kind, extras[i].kind) && extras[i].fn == fn)
			return 0;
	struct extra *x = realloc(extras, (nextras + 1) * sizeof *x);
	if (!x)
		return -1;
	extras = x;
	x = &extras[nextras];
	memset(x, 0, sizeof *x);
	x->kind = strdup(kind);
	x->fn = fn;
	x->ud = ud;
	size_t n = 0;
	while (api_versions && api_versions[n])
		n++;
	if (api_versions && (x->versions = calloc(n + 1, sizeof *x->versions)))
		for (size_t i = 0; i < n; i++)
			if (!(x->versions[i] = strdup(api_versions[i])))
				x->kind = (free(x->kind), NULL);
	if (!x->kind || (api_versions && !x->versions)) {
		for (char **v = x->versions; v && *v; v++)
			free(*v);
		free(x->versions);
		free(x->kind);
		return -1;
	}
	nextras++;
	return 0;
}

void cat_valid_kinds_reset(void)
{
	for (size_t i = 0; i < nextras; i++) {
		for (char **v = extras[i].versions; v && *v; v++)
			free(*v);
		free(extras[i].versions);
		free(extras[i].kind);
	}
	free(extras);
	extras = NULL;
	nextras = 0;
}

/* ---- the entity ------------------------------------------------------------- */

int cat_valid_entity(json_t *e, struct cat_strv *problems)
{
	struct cat_valid_ctx ctx = { problems, 0, false };
	const char *k;
	json_t *v, *api, *kind, *meta, *spec;
	char q[100];
	if (!json_is_object(e)) {
		report(&ctx, "an entity must be a mapping, not %s", what(e));
		return ctx.oom ? -1 : 1;
	}
	json_object_foreach(e, k, v)
		if (strcmp(k, "apiVersion") && strcmp(k, "kind") && strcmp(k, "metadata") &&
		    strcmp(k, "spec"))
			report(&ctx, "unknown root field %s: an entity has only apiVersion, kind, "
			       "metadata and spec", quote(q, k, strlen(k)));
	if (!(api = json_object_get(e, "apiVersion")))
		report(&ctx, "apiVersion is required (e.g. apiVersion: backstage.io/v1alpha1)");
	else if (want_string(&ctx, api, FN("apiVersion", NULL, -1, NULL), false))
		want_format(&ctx, api, FN("apiVersion", NULL, -1, NULL), cat_valid_api_version,
		            "a valid prefix and/or suffix: [<DNS subdomain>/]<1-63 of [a-zA-Z0-9]>, "
		            "e.g. backstage.io/v1alpha1");
	if (!(kind = json_object_get(e, "kind")))
		report(&ctx, "kind is required (e.g. kind: Component)");
	else if (want_string(&ctx, kind, FN("kind", NULL, -1, NULL), false))
		want_format(&ctx, kind, FN("kind", NULL, -1, NULL), cat_valid_kind_name,
		            "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 "
		            "characters in total");
	if (!(meta = json_object_get(e, "metadata")))
		report(&ctx, "metadata is required (with at least a name)");
	else if (!json_is_object(meta))
		report(&ctx, "metadata must be a mapping, not %s", what(meta));
	else
		check_metadata(&ctx, meta);
	if ((spec = json_object_get(e, "spec")) && !json_is_object(spec))
		report(&ctx, "spec must be a mapping, not %s", what(spec));
	if (json_string_length(api) && json_string_length(kind))
		check_kind(&ctx, e, json_string_value(kind), json_string_value(api));
	return ctx.oom ? -1 : ctx.problems ? 1 : 0;
}
