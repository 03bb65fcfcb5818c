/*
 * validate.h -- entity validation exactly as Backstage's catalog validates
 * on ingestion (plugins/catalog/sqlite).  Prefix: cat_valid_.
 *
 * What Backstage runs on an entity read from a file (catalog-backend's
 * DefaultCatalogProcessingOrchestrator with CatalogBuilder's default
 * policies and BuiltinKindsEntityProcessor; rules from
 * @backstage/catalog-model, pinned in node/package.json):
 *
 *   1. the EntityEnvelope and Entity/EntityMeta JSON schemas
 *      (SchemaValidEntityPolicy, entityEnvelopeSchemaValidator);
 *   2. NoForeignRootFieldsEntityPolicy: apiVersion, kind, metadata, spec;
 *   3. FieldFormatEntityPolicy with makeValidator()'s defaults
 *      (KubernetesValidatorFunctions, CommonValidatorFunctions);
 *   4. a kind validator must recognise the entity: one of the eight
 *      *.v1alpha1 JSON schemas (kind and apiVersion matched exactly),
 *      or a kind registered with cat_valid_kind_add;
 *   5. every reference in a relation field parses with parseEntityRef
 *      and the field's default kind (dependsOn/dependencyOf have none).
 *
 * Backstage stops at the first problem; this reports every one.  Messages
 * name the field ("metadata.tags[0] ...", "spec.owner ...").
 *
 * Pure functions of the JSON, no allocation unless there is a problem to
 * report.  Registering kinds and setting the dependency default are not
 * thread-safe: do them before validating (plugin init, configuration).
 */
#ifndef CATALOG_VALIDATE_H
#define CATALOG_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "catalog.h"

/* Validate ENTITY.  Returns 0 when Backstage would accept it; 1 when not,
 * each problem appended to PROBLEMS (may be NULL: the verdict only); -1
 * when out of memory. */
int cat_valid_entity(json_t *entity, struct cat_strv *problems);

/* ---- extra kinds ------------------------------------------------------- */

/* Where a kind checker reports problems (cat_valid_report). */
struct cat_valid_ctx;
/* Report a problem ("spec.x must be ...") about the entity being checked. */
void cat_valid_report(struct cat_valid_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Check the spec of ENTITY, a registered kind; report problems to CTX. */
typedef void (*cat_valid_kind_fn)(json_t *entity, struct cat_valid_ctx *ctx, void *ud);
/* Make KIND (exact case, as Backstage compares it) with one of
 * API_VERSIONS (NULL-terminated; NULL: any well-formed apiVersion)
 * acceptable, checked by FN (may be NULL: no check beyond the common
 * rules).  The strings are copied.  0, or -1 (out of memory, or the kind
 * is built in).  A kind registered again with the same FN is left as it
 * is. */
int cat_valid_kind_add(const char *kind, const char *const *api_versions,
                       cat_valid_kind_fn fn, void *ud);
/* Forget every registered kind (tests). */
void cat_valid_kinds_reset(void);
/* Register Backstage's scaffolder Template kind (valid_template.c), as the
 * scaffolder backend does.  Registering it again changes nothing. */
int cat_valid_template_register(void);

/* ---- references (parseEntityRef) ----------------------------------------- */

/* The parts of a reference; they point into the text or the defaults. */
struct cat_valid_ref {
	const char *kind, *ns, *name;
	size_t      nkind, nns, nname;
};
/* Parse TEXT as Backstage's parseEntityRef does: "[kind:][namespace/]name",
 * a ':' after the first '/' belonging to the name ("ns/team:x" is group
 * ns, name "team:x" with default kind group).  DEF_KIND may be NULL (a kind
 * is then required).  0, or -1 with *WHY (may be NULL) set to a static
 * reason. */
int cat_valid_parse_ref(const char *text, const char *def_kind, const char *def_ns,
                        struct cat_valid_ref *out, const char **why);

/* Backstage gives spec.dependsOn and spec.dependencyOf no default kind: a
 * bare "x" is an error.  Opt in to a default (e.g. "component"); NULL
 * restores Backstage's rule.  KIND must outlive its use. */
void cat_valid_set_dependency_kind(const char *kind);
const char *cat_valid_dependency_kind(void);

/* ---- formats (FieldFormatEntityPolicy's validators) ----------------------- */

/* Each takes a string of N bytes (it may hold NULs). */
bool cat_valid_api_version(const char *s, size_t n);  /* [dns-subdomain/]alnum{1,63} */
bool cat_valid_kind_name(const char *s, size_t n);    /* [a-zA-Z][a-zA-Z0-9]{0,62} */
bool cat_valid_object_name(const char *s, size_t n);  /* metadata.name */
bool cat_valid_dns_label(const char *s, size_t n);    /* metadata.namespace */
bool cat_valid_dns_subdomain(const char *s, size_t n);
bool cat_valid_label_key(const char *s, size_t n);    /* also annotation keys */
bool cat_valid_label_value(const char *s, size_t n);
bool cat_valid_tag(const char *s, size_t n);
bool cat_valid_url(const char *s, size_t n);          /* WHATWG `new URL(s)` */
bool cat_valid_nonempty(const char *s, size_t n);     /* s.trim() is not "" */

#endif /* CATALOG_VALIDATE_H */
