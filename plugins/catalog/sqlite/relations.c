/*
 * relations.c -- the relations an entity declares, computed the way
 * Backstage's BuiltinKindsEntityProcessor computes them.
 *
 * Every relation has a pair (ownedBy/ownerOf, dependsOn/dependencyOf, ...).
 * The store keeps each one once, in its canonical direction (the first of
 * each pair below) and derives the inverse when reading, so a Group's
 * `children` and the child's `parent` collapse into one childOf row.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "validate.h"

/* Canonical type, its inverse; the position + 1 is the type's id in
 * catalog_relation_types (schema migration 2: keep them in step). */
static const char *const pairs[][2] = {
	{ "ownedBy", "ownerOf" },
	{ "dependsOn", "dependencyOf" },
	{ "providesApi", "apiProvidedBy" },
	{ "consumesApi", "apiConsumedBy" },
	{ "partOf", "hasPart" },
	{ "memberOf", "hasMember" },
	{ "childOf", "parentOf" },
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

const char *cat_rel_inverse(const char *type)
{
	for (size_t i = 0; i < NPAIRS; i++) {
		if (strcmp(type, pairs[i][0]) == 0)
			return pairs[i][1];
		if (strcmp(type, pairs[i][1]) == 0)
			return pairs[i][0];
	}
	return NULL;
}

const char *cat_rel_type_name(int id)
{
	return id >= 1 && (size_t)id <= NPAIRS ? pairs[id - 1][0] : NULL;
}

int cat_rel_type_id(const char *type)
{
	for (size_t i = 0; i < NPAIRS; i++)
		if (strcmp(type, pairs[i][0]) == 0)
			return (int)i + 1;
	return 0;
}

bool cat_rel_canonical(const char *type)
{
	for (size_t i = 0; i < NPAIRS; i++)
		if (strcmp(type, pairs[i][0]) == 0)
			return true;
	return false;
}

/* One spec field that yields relations: for entities of KIND, each
 * reference in FIELD (default kind DEF_KIND, NULL: must be explicit)
 * yields TYPE from the entity to the target; dependsOn and dependencyOf
 * have none, as in Backstage, unless cat_valid_set_dependency_kind chose
 * one. */
struct rule {
	const char *kind, *field, *def_kind, *type;
};

static const struct rule rules[] = {
	{ "component", "owner", "group", "ownedBy" },
	{ "component", "subcomponentOf", "component", "partOf" },
	{ "component", "system", "system", "partOf" },
	{ "component", "providesApis", "api", "providesApi" },
	{ "component", "consumesApis", "api", "consumesApi" },
	{ "component", "dependsOn", NULL, "dependsOn" },
	{ "component", "dependencyOf", NULL, "dependencyOf" },
	{ "api", "owner", "group", "ownedBy" },
	{ "api", "system", "system", "partOf" },
	{ "resource", "owner", "group", "ownedBy" },
	{ "resource", "system", "system", "partOf" },
	{ "resource", "dependsOn", NULL, "dependsOn" },
	{ "resource", "dependencyOf", NULL, "dependencyOf" },
	{ "system", "owner", "group", "ownedBy" },
	{ "system", "domain", "domain", "partOf" },
	{ "domain", "owner", "group", "ownedBy" },
	{ "domain", "subdomainOf", "domain", "partOf" },
	{ "user", "memberOf", "group", "memberOf" },
	{ "group", "parent", "group", "childOf" },
	{ "group", "children", "group", "parentOf" },
	{ "group", "members", "user", "hasMember" },
	/* the scaffolder's Template (valid_template.c) */
	{ "template", "owner", "group", "ownedBy" },
};

/* Resolve TEXT with the rule's defaults and hand over the relation in
 * canonical direction. */
static int add_ref(const char *self, const char *ns, const struct rule *r, const char *text,
                   cat_rel_fn fn, void *ud, char **errmsg)
{
	const char *def = r->def_kind ? r->def_kind : cat_valid_dependency_kind();
	char *inner = NULL, *target = cat_ref_canon(text, def, ns, &inner);
	if (!target) {
		cat_err(errmsg, "spec.%s: %s", r->field, inner ? inner : "bad reference");
		free(inner);
		return -1;
	}
	bool canon = cat_rel_canonical(r->type);
	int type = cat_rel_type_id(canon ? r->type : cat_rel_inverse(r->type));
	int rc = canon ? fn(self, type, target, ud) : fn(target, type, self, ud);
	free(target);
	return rc ? cat_err(errmsg, "out of memory") : 0;
}

int cat_relations_each(json_t *entity, const char *self, cat_rel_fn fn, void *ud,
                       char **errmsg)
{
	const char *kind = cat_get_str(entity, "kind");
	const char *ns = cat_get_str(entity, "metadata.namespace");
	json_t *spec = json_object_get(entity, "spec");
	int rc = 0;
	for (size_t i = 0; rc == 0 && kind && i < sizeof rules / sizeof rules[0]; i++) {
		const struct rule *r = &rules[i];
		if (strcasecmp(kind, r->kind) != 0)   /* the kind first: no look-up */
			continue;
		json_t *v = json_object_get(spec, r->field), *x;
		size_t j;
		if (!v)
			continue;
		if (json_is_string(v))
			rc = add_ref(self, ns, r, json_string_value(v), fn, ud, errmsg);
		json_array_foreach(v, j, x)
			if (rc == 0 && json_is_string(x))
				rc = add_ref(self, ns, r, json_string_value(x), fn, ud, errmsg);
	}
	return rc;
}

/* cat_relations_each callback of cat_relations_of. */
static int to_json(const char *source, int type, const char *target, void *ud)
{
	json_t *r = json_pack("{ssssss}", "source", source, "type", cat_rel_type_name(type),
	                      "target", target);
	return r && json_array_append_new(ud, r) == 0 ? 0 : -1;
}

int cat_relations_of(json_t *entity, json_t *rels, char **errmsg)
{
	char *self = cat_entity_ref(entity);
	int rc = self ? cat_relations_each(entity, self, to_json, rels, errmsg)
	              : cat_err(errmsg, "out of memory");
	free(self);
	return rc;
}
