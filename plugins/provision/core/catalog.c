/*
 * catalog.c -- flow a resource and its monthly cost into the service
 * catalog when a catalog plugin is installed: a Resource entity
 * "resource:default/NAME" with the annotation paved.dev/cost-per-month
 * and spec.dependencyOf the service's component, so the catalog's cost
 * of the service includes it.  Never fails provisioning: without a
 * catalog (or for a name the catalog refuses) it logs and goes on.
 */
#include <stdio.h>
#include <string.h>

#include "provision.h"

void pc_catalog_put(paved_ctx *ctx, json_t *rec)
{
	json_t *cost = json_object_get(rec, "cost_per_month");
	const char *service = json_string_value(json_object_get(rec, "service"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	char amount[64];
	snprintf(amount, sizeof amount, "%.2f", json_is_number(cost) ? json_number_value(cost) : 0.0);
	json_t *ann = json_pack("{ss ss ss ss}", "paved.dev/cost-per-month", amount,
	                        "paved.dev/provision-driver", json_string_value(json_object_get(rec, "driver")),
	                        "paved.dev/provision-env", json_string_value(json_object_get(rec, "env")),
	                        "paved.dev/provision-size", json_string_value(json_object_get(rec, "size")));
	json_t *spec = json_pack("{ss}", "type", strcmp(type, "redis") == 0 ? "cache" :
	                         strcmp(type, "postgres") == 0 ? "database" : type);
	if (service) {
		char *ref = pc_printf("component:default/%s", service);
		json_object_set_new(spec, "dependencyOf", json_pack("[s]", ref ? ref : service));
		free(ref);
	}
	json_t *args = json_pack("{s{ss ss s{sO so} so} ss}", "entity",
	                         "apiVersion", "backstage.io/v1alpha1", "kind", "Resource",
	                         "metadata", "name", json_object_get(rec, "name"), "annotations", ann,
	                         "spec", spec, "source", "provision");
	json_t *r = NULL;
	char *err = NULL;
	int rc = args ? paved->call(ctx, "catalog.put", args, &r, &err) : PAVED_ERR;
	if (rc != PAVED_OK && rc != PAVED_NOHOOK)
		paved->log(ctx, PAVED_LOG_INFO, "resource %s not registered in the catalog: %s",
		            json_string_value(json_object_get(rec, "name")), err ? err : "?");
	free(err);
	json_decref(r);
	json_decref(args);
}

void pc_catalog_delete(paved_ctx *ctx, const char *name)
{
	char *ref = pc_printf("resource:default/%s", name);
	json_t *args = json_pack("{ss}", "ref", ref ? ref : name), *r = NULL;
	char *err = NULL;
	paved->call(ctx, "catalog.delete", args, &r, &err);
	free(err), free(ref);
	json_decref(r);
	json_decref(args);
}
