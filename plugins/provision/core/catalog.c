/*
 * catalog.c -- a resource in the service catalog, when a catalog plugin is
 * installed: a Backstage Resource "resource:default/NAME" that passes
 * Backstage's validation (a valid name -- every resource name is --,
 * spec.type, spec.owner), with spec.dependencyOf the service's component
 * and the annotation paved.dev/cost-per-month, so the catalog's cost of
 * the service includes it.
 *
 * The owner is the record's (the "owner" argument of apply or provision),
 * else the spec.owner of the service's own catalog entity.  Without an
 * owner, or without a catalog, the resource is not registered (logged);
 * provisioning never fails for the catalog's sake.
 */
#include <stdio.h>
#include <string.h>

#include "provision.h"

/* The owner of REC: its own, else its service component's (new string). */
static char *owner_of(paved_ctx *ctx, json_t *rec)
{
	const char *o = json_string_value(json_object_get(rec, "owner"));
	const char *svc = json_string_value(json_object_get(rec, "service"));
	if (o && *o)
		return strdup(o);
	if (!svc)
		return NULL;
	char *ref = pc_printf("component:default/%s", svc), *owner = NULL;
	json_t *args = json_pack("{ss}", "ref", ref ? ref : ""), *e = NULL;
	if (pc_call(ctx, "catalog.get", args, &e, NULL) == PAVED_OK) {
		const char *so = json_string_value(json_object_get(json_object_get(e, "spec"), "owner"));
		owner = so ? strdup(so) : NULL;
	}
	json_decref(args), json_decref(e);
	free(ref);
	return owner;
}

void prv_catalog_put(paved_ctx *ctx, json_t *rec)
{
	const char *name = json_string_value(json_object_get(rec, "name"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *service = json_string_value(json_object_get(rec, "service"));
	json_t *cost = json_object_get(rec, "cost_per_month"), *r = NULL;
	char amount[64], *owner = owner_of(ctx, rec), *err = NULL;
	if (!owner) {
		paved->log(ctx, PAVED_LOG_INFO, "resource %s not registered in the catalog: no owner "
		           "(give apply an owner, or register the service %s with spec.owner first)",
		           name, service ? service : "(none)");
		return;
	}
	snprintf(amount, sizeof amount, "%.2f", json_is_number(cost) ? json_number_value(cost) : 0.0);
	json_t *ann = json_pack("{ss ss ss ss}", "paved.dev/cost-per-month", amount,
	                        "paved.dev/provision-driver", json_string_value(json_object_get(rec, "driver")),
	                        "paved.dev/provision-env", json_string_value(json_object_get(rec, "env")),
	                        "paved.dev/provision-class", json_string_value(json_object_get(rec, "class")));
	json_t *spec = json_pack("{ss ss}", "type", !strcmp(type, "redis") ? "cache" :
	                         !strcmp(type, "postgres") ? "database" : type, "owner", owner);
	if (service) {
		char *ref = pc_printf("component:default/%s", service);
		json_object_set_new(spec, "dependencyOf", json_pack("[s]", ref ? ref : service));
		free(ref);
	}
	json_t *args = json_pack("{s{ss ss s{ss so} so} ss}", "entity",
	                         "apiVersion", "backstage.io/v1alpha1", "kind", "Resource",
	                         "metadata", "name", name, "annotations", ann,
	                         "spec", spec, "source", "provision");
	int rc = args ? paved->call(ctx, "catalog.put", args, &r, &err) : PAVED_ERR;
	if (rc != PAVED_OK && rc != PAVED_NOHOOK)
		paved->log(ctx, PAVED_LOG_WARN, "resource %s not registered in the catalog: %s", name,
		           err ? err : "?");
	free(err), free(owner);
	json_decref(r);
	json_decref(args);
}

void prv_catalog_delete(paved_ctx *ctx, const char *name)
{
	char *ref = pc_printf("resource:default/%s", name);
	json_t *args = json_pack("{ss}", "ref", ref ? ref : name);
	pc_call(ctx, "catalog.delete", args, NULL, NULL);
	free(ref);
	json_decref(args);
}
