/*
 * valid_template.c -- the Template kind, registered as Backstage's
 * scaffolder registers it (plugins/scaffolder-backend's
 * ScaffolderEntitiesProcessor with @backstage/plugin-scaffolder-common's
 * Template.v1beta3.schema.json): apiVersion scaffolder.backstage.io/v1beta3,
 * a spec with a type and a list of steps, each step with an action; the
 * optional fields typed as the schema types them.  Its relations (an
 * owner: ownedBy/ownerOf, default kind Group) are in relations.c.
 */
#include <string.h>

#include "validate.h"

/* V (field NAME) must be a string (non-empty when NONEMPTY). */
static void str(struct cat_valid_ctx *ctx, json_t *v, const char *name, bool nonempty)
{
	const char *k;
	if (!v || cat_placeholder_of(v, &k))
		return;
	if (!json_is_string(v))
		cat_valid_report(ctx, "%s must be a string", name);
	else if (nonempty && !json_string_length(v))
		cat_valid_report(ctx, "%s must not be empty", name);
}

/* V (field NAME) must be a mapping, when present. */
static bool map(struct cat_valid_ctx *ctx, json_t *v, const char *name)
{
	if (v && !json_is_object(v))
		cat_valid_report(ctx, "%s must be a mapping", name);
	return json_is_object(v);
}

/* "backstage:permissions": {tags?: [string]} inside NAME. */
static void permissions(struct cat_valid_ctx *ctx, json_t *owner, const char *name)
{
	json_t *p = json_object_get(owner, "backstage:permissions"), *t, *x;
	size_t i;
	if (!map(ctx, p, name))
		return;
	if ((t = json_object_get(p, "tags")) && !json_is_array(t))
		cat_valid_report(ctx, "%s.backstage:permissions.tags must be a list", name);
	json_array_foreach(t, i, x)
		if (!json_is_string(x))
			cat_valid_report(ctx, "%s.backstage:permissions.tags[%zu] must be a string", name, i);
}

/* An "if" condition: a string or a boolean. */
static void condition(struct cat_valid_ctx *ctx, json_t *owner, const char *name)
{
	json_t *v = json_object_get(owner, "if");
	if (v && !json_is_string(v) && !json_is_boolean(v))
		cat_valid_report(ctx, "%s.if must be a string or a boolean", name);
}

static void check_steps(struct cat_valid_ctx *ctx, json_t *steps)
{
	json_t *s;
	size_t i;
	char name[64];
	if (!json_is_array(steps)) {
		cat_valid_report(ctx, "spec.steps must be a list");
		return;
	}
	json_array_foreach(steps, i, s) {
		snprintf(name, sizeof name, "spec.steps[%zu]", i);
		if (!json_is_object(s)) {
			cat_valid_report(ctx, "%s must be a mapping with an action", name);
			continue;
		}
		if (!json_object_get(s, "action"))
			cat_valid_report(ctx, "%s.action is required", name);
		str(ctx, json_object_get(s, "action"), "a step's action", false);
		str(ctx, json_object_get(s, "id"), "a step's id", false);
		str(ctx, json_object_get(s, "name"), "a step's name", false);
		map(ctx, json_object_get(s, "input"), "a step's input");
		condition(ctx, s, name);
		permissions(ctx, s, name);
	}
}

static void check_output(struct cat_valid_ctx *ctx, json_t *out)
{
	static const char *const link_fields[] = { "url", "entityRef", "title", "icon", NULL };
	const char *k;
	json_t *v, *x;
	size_t i;
	if (!map(ctx, out, "spec.output"))
		return;
	json_object_foreach(out, k, v) {
		bool links = !strcmp(k, "links"), text = !strcmp(k, "text");
		if (!links && !text) {
			if (!json_is_string(v))
				cat_valid_report(ctx, "spec.output.%s must be a string", k);
			continue;
		}
		if (!json_is_array(v)) {
			cat_valid_report(ctx, "spec.output.%s must be a list", k);
			continue;
		}
		json_array_foreach(v, i, x) {
			char name[64];
			snprintf(name, sizeof name, "spec.output.%s[%zu]", k, i);
			if (!map(ctx, x, name) || !x)
				continue;
			condition(ctx, x, name);
			for (int f = links ? 0 : 2; link_fields[f]; f++)
				str(ctx, json_object_get(x, link_fields[f]), link_fields[f], true);
			if (text)
				str(ctx, json_object_get(x, "content"), "spec.output.text[].content", false);
		}
	}
}

/* The kind checker (cat_valid_kind_fn). */
static void check_template(json_t *e, struct cat_valid_ctx *ctx, void *ud)
{
	json_t *spec = json_object_get(e, "spec"), *v, *x;
	size_t i;
	(void)ud;
	if (!spec) {
		cat_valid_report(ctx, "spec is required for kind Template");
		return;
	}
	if (!json_is_object(spec))
		return;   /* reported by the common rules */
	if (!json_object_get(spec, "type"))
		cat_valid_report(ctx, "spec.type is required for kind Template");
	str(ctx, json_object_get(spec, "type"), "spec.type", true);
	if (!(v = json_object_get(spec, "steps")))
		cat_valid_report(ctx, "spec.steps is required for kind Template");
	else
		check_steps(ctx, v);
	str(ctx, json_object_get(spec, "owner"), "spec.owner", true);
	str(ctx, json_object_get(spec, "lifecycle"), "spec.lifecycle", true);
	if ((v = json_object_get(spec, "parameters")) && json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (map(ctx, x, "each of spec.parameters") && x)
				permissions(ctx, x, "spec.parameters[]");
	} else if (v && map(ctx, v, "spec.parameters (a mapping or a list of them)")) {
		permissions(ctx, v, "spec.parameters");
	}
	if (map(ctx, (v = json_object_get(spec, "secrets")), "spec.secrets"))
		map(ctx, json_object_get(v, "schema"), "spec.secrets.schema");
	if (map(ctx, (v = json_object_get(spec, "presentation")), "spec.presentation") &&
	    map(ctx, (v = json_object_get(v, "buttonLabels")), "spec.presentation.buttonLabels")) {
		const char *k;
		json_object_foreach(v, k, x)
			str(ctx, x, "a button label", false);
	}
	map(ctx, json_object_get(spec, "EXPERIMENTAL_recovery"), "spec.EXPERIMENTAL_recovery");
	if ((v = json_object_get(spec, "EXPERIMENTAL_formDecorators")) && !json_is_array(v))
		cat_valid_report(ctx, "spec.EXPERIMENTAL_formDecorators must be a list");
	check_output(ctx, json_object_get(spec, "output"));
	/* the owner relation: parseEntityRef with default kind Group */
	const char *owner = json_string_value(json_object_get(spec, "owner")), *why = NULL;
	struct cat_valid_ref r;
	if (owner && *owner && cat_valid_parse_ref(owner, "group", cat_get_str(e,
	    "metadata.namespace") ? cat_get_str(e, "metadata.namespace") : "default", &r, &why))
		cat_valid_report(ctx, "spec.owner \"%s\" is not a valid entity reference: %s", owner, why);
}

int cat_valid_template_register(void)
{
	static const char *const versions[] = { "scaffolder.backstage.io/v1beta3", NULL };
	return cat_valid_kind_add("Template", versions, check_template, NULL);
}
