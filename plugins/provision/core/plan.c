/*
 * plan.c -- what an apply would do to each resource of a service in an
 * environment, as Terraform plans:
 *
 *   create    declared, no record;
 *   update    declared with another class or params, and the driver's
 *             plan says it can change it in place;
 *   replace   another type or driver, or the driver's plan says replace
 *             (destroy, then create anew: its data is lost);
 *   destroy   recorded for the service and env from platform.yaml but no
 *             longer declared (carried out only with prune);
 *   none      as declared.
 *
 * A change no driver can make is refused with a message naming the field
 * and both values.  Destroying or replacing a resource that holds data (the
 * driver's status says has_data, or cannot say) is marked "confirm".  A
 * new resource is checked by its driver's plan (from itself to itself), so
 * bad params and a missing driver are found before anything is made.
 */
#include <string.h>

#include "provision.h"

/* A new step ACTION for resource N (desired; may be NULL) and OLD (the
 * record; may be NULL). */
static json_t *step(const char *action, json_t *n, json_t *old)
{
	json_t *src = n ? n : old;
	json_t *s = json_pack("{ss sO sO sO sO}", "action", action, "name",
	                      json_object_get(src, "name"), "type", json_object_get(src, "type"),
	                      "class", json_object_get(src, "class"), "driver",
	                      json_object_get(src, "driver"));
	static const char *const extra[] = { "key", "cost_per_month", NULL };
	for (size_t i = 0; s && extra[i]; i++)
		if (json_object_get(src, extra[i]))
			json_object_set(s, extra[i], json_object_get(src, extra[i]));
	if (s && n)
		json_object_set(s, "record", n);
	if (s && old)
		json_object_set(s, "previous", old);
	return s;
}

/* Ask OLD's driver whether it holds data: true also when it cannot say. */
static bool holds_data(paved_ctx *ctx, json_t *old)
{
	json_t *r = NULL;
	char *err = NULL;
	bool has = true;
	if (prv_call(ctx, "status", old, NULL, &r, &err) == PAVED_OK)
		has = !json_is_false(json_object_get(r, "has_data"));
	else
		paved->log(ctx, PAVED_LOG_INFO, "cannot tell whether %s holds data (so it counts "
		           "as holding data): %s", json_string_value(json_object_get(old, "name")), err);
	free(err);
	json_decref(r);
	return has;
}

/* Plan the change of declared N from its record OLD: a new step, or NULL
 * with *ERRMSG. */
static json_t *plan_change(paved_ctx *ctx, json_t *n, json_t *old, char **errmsg)
{
	json_t *fields = prv_diff(old, n), *r = NULL, *s = NULL;
	const char *action = "none", *reason = NULL;
	if (json_array_size(fields) == 0) {
		json_decref(fields);
		return step("none", n, old);
	}
	if (!json_equal(json_object_get(old, "type"), json_object_get(n, "type")) ||
	    !json_equal(json_object_get(old, "driver"), json_object_get(n, "driver"))) {
		action = "replace";
		reason = "another type or driver is a new resource";
	} else if (prv_call(ctx, "plan", n, old, &r, errmsg) != PAVED_OK) {
		json_decref(fields);
		return NULL;
	} else {
		action = json_string_value(json_object_get(r, "action"));
		reason = json_string_value(json_object_get(r, "reason"));
		if (!action || (strcmp(action, "none") && strcmp(action, "update") &&
		                strcmp(action, "replace"))) {
			paved->error(errmsg, "driver '%s' planned '%s' for '%s' (none, update or replace "
			             "expected)", json_string_value(json_object_get(n, "driver")),
			             action ? action : "nothing", json_string_value(json_object_get(n, "name")));
			json_decref(fields), json_decref(r);
			return NULL;
		}
	}
	s = step(action, n, old);
	json_object_set(s, "fields", fields);
	if (reason)
		json_object_set_new(s, "reason", json_string(reason));
	if (!strcmp(action, "none"))
		json_object_set_new(s, "refresh", json_true());   /* fields the driver ignores */
	json_decref(fields), json_decref(r);
	return s;
}

/* Mark step S (a replace or a carried-out destroy of OLD) with has_data
 * and confirm. */
static void mark_data(paved_ctx *ctx, json_t *s, json_t *old)
{
	bool has = holds_data(ctx, old);
	json_object_set_new(s, "has_data", json_boolean(has));
	json_object_set_new(s, "confirm", json_boolean(has));
}

json_t *prv_plan(paved_ctx *ctx, json_t *desired, const char *service, const char *env,
                 bool prune, char **errmsg)
{
	json_t *steps = json_array(), *records = paved->state_list(ctx, PRV_NS), *n, *old;
	const char *name;
	json_object_foreach(desired, name, n) {
		json_t *s = NULL;
		const char *owner;
		old = json_object_get(records, name);
		owner = json_string_value(json_object_get(old, "service"));
		if (old && owner && strcmp(owner, service)) {
			paved->error(errmsg, "resource '%s' already exists for service '%s'; rename the "
			             "key '%s' in platform.yaml", name, owner,
			             json_string_value(json_object_get(n, "key")));
			goto fail;
		}
		if (!old) {
			json_t *r = NULL;
			/* the driver checks the params (from itself to itself: "none") */
			if (prv_call(ctx, "plan", n, n, &r, errmsg) != PAVED_OK)
				goto fail;
			json_decref(r);
			s = step("create", n, NULL);
		} else if (!(s = plan_change(ctx, n, old, errmsg))) {
			goto fail;
		}
		if (!strcmp(json_string_value(json_object_get(s, "action")), "replace"))
			mark_data(ctx, s, old);
		json_array_append_new(steps, s);
	}
	json_object_foreach(records, name, old) {
		const char *os = json_string_value(json_object_get(old, "service"));
		const char *oe = json_string_value(json_object_get(old, "env"));
		if (json_object_get(desired, name) || !json_object_get(old, "key") || !os ||
		    strcmp(os, service) || !oe || strcmp(oe, env))
			continue;
		json_t *s = step("destroy", NULL, old);
		json_object_set_new(s, "reason", json_string("no longer in platform.yaml"));
		if (prune)
			mark_data(ctx, s, old);
		else
			json_object_set_new(s, "kept", json_true());
		json_array_append_new(steps, s);
	}
	json_decref(records);
	return steps;
fail:
	json_decref(records);
	json_decref(steps);
	return NULL;
}
