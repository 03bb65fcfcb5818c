/*
 * apply.c -- provision.apply: make a service's resources in one
 * environment what its platform.yaml declares.
 *
 * Every declared resource is checked (type, driver, class, params) before
 * anything is made.  Under the provisioning lock, what killed commands left
 * half-made is finished or rolled back (journal.c), then the plan is made
 * (plan.c) and carried out in the file's order, destroys last: create,
 * update in place, replace (destroy, then create), destroy (only with
 * prune).  Destroying or replacing a resource that holds data needs "yes"
 * or its name in "confirmed"; otherwise nothing at all is changed and the
 * error comes with the plan and the names to confirm.  When a step fails,
 * the resources this apply created are destroyed again.
 *
 * Arguments: {file? or dir? (default "."), env? ("dev"), service?, owner?,
 * dry_run?, prune?, yes?, confirmed?: [NAME...]}.  Result (also beside an
 * error once the plan is made): {file, env, service, dry_run, plan,
 * changes, created, updated, replaced, destroyed, kept, unchanged,
 * resources, recovered, cost_per_month, confirm, warnings}.
 */
#include <string.h>

#include "provision.h"

/* The declared resources of DOC as records: a new object name -> record
 * (file order), or NULL with *ERRMSG ("FILE:LINE:COL: resource ..."). */
static json_t *declared(paved_ctx *ctx, json_t *doc, const char *service, const char *env,
                        const char *owner, char **errmsg)
{
	json_t *out = json_object(), *r;
	const char *key;
	json_object_foreach(json_object_get(doc, "resources"), key, r) {
		char *name = pc_printf("%s-%s-%s", service, key, env), *e = NULL;
		json_t *spec = json_pack("{ss ss ss sO sO ss ss sO}", "name", name ? name : "", "env", env,
		                         "type", json_string_value(json_object_get(r, "type")),
		                         "class", json_object_get(r, "class"),
		                         "params", json_object_get(r, "params"), "service", service,
		                         "key", key, "dir", json_object_get(doc, "dir"));
		if (owner)
			json_object_set_new(spec, "owner", json_string(owner));
		json_t *old = name && prv_valid_name(name) ? paved->state_get(ctx, PRV_NS, name) : NULL;
		json_t *n = spec ? prv_normalise(ctx, spec, old, &e) : NULL;
		json_decref(spec), json_decref(old);
		if (!n) {
			bool named = e && !strncmp(e, "resource '", 10);   /* it says which already */
			paved->error(errmsg, "%s: %s%s%s%s", json_string_value(json_object_get(doc, "file")),
			             named ? "" : "resources.", named ? "" : key, named ? "" : ": ",
			             e ? e : "out of memory");
			free(e), free(name);
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, name, n);
		free(name);
	}
	return out;
}

/* The first step of PLAN that must be confirmed and is not: NULL if none. */
static const char *unconfirmed(json_t *plan, bool dry, bool yes, json_t *confirmed,
                               json_t *names)
{
	size_t i, j;
	json_t *s, *c;
	const char *first = NULL;
	json_array_foreach(plan, i, s) {
		if (!json_is_true(json_object_get(s, "confirm")))
			continue;
		bool ok = yes;
		json_array_foreach(confirmed, j, c)
			ok = ok || json_equal(c, json_object_get(s, "name"));
		if (!ok) {
			json_array_append(names, json_object_get(s, "name"));
			if (!first)
				first = json_string_value(json_object_get(s, "name"));
		}
	}
	return dry ? NULL : first;
}

/* What users see of a step: without records and state. */
static json_t *shown(json_t *s)
{
	json_t *p = json_deep_copy(s);
	json_object_del(p, "record");
	json_object_del(p, "previous");
	return p;
}

/* Carry out step S; adds its name to the list of RES it belongs to
 * ("created" is also what the undo destroys). */
static int carry_out(paved_ctx *ctx, json_t *s, json_t *res, char **errmsg)
{
	const char *a = json_string_value(json_object_get(s, "action"));
	json_t *n = json_object_get(s, "record"), *old = json_object_get(s, "previous"), *r = NULL;
	const char *list = NULL;
	int rc = PAVED_OK;
	if (!strcmp(a, "create")) {
		rc = prv_create(ctx, n, &r, errmsg), list = "created";
	} else if (!strcmp(a, "update")) {
		rc = prv_update(ctx, n, old, &r, errmsg), list = "updated";
	} else if (!strcmp(a, "replace")) {
		rc = prv_destroy(ctx, old, errmsg);
		if (rc == PAVED_OK)
			rc = prv_create(ctx, n, &r, errmsg);
		list = "replaced";
	} else if (!strcmp(a, "destroy") && !json_is_true(json_object_get(s, "kept"))) {
		rc = prv_destroy(ctx, old, errmsg), list = "destroyed";
	} else if (!strcmp(a, "none") && json_is_true(json_object_get(s, "refresh"))) {
		/* only fields the driver ignores changed: the record follows the file */
		json_t *rec = json_deep_copy(old);
		json_object_set(rec, "params", json_object_get(n, "params"));
		json_object_set(rec, "class", json_object_get(n, "class"));
		rc = paved->state_put(ctx, PRV_NS, json_string_value(json_object_get(n, "name")), rec,
		                      errmsg);
		json_decref(rec);
	}
	if (rc == PAVED_OK && list)
		json_array_append(json_object_get(res, list), json_object_get(s, "name"));
	json_decref(r);
	return rc;
}

/* Destroy again what this apply created (newest first). */
static void undo_created(paved_ctx *ctx, json_t *created)
{
	for (size_t j = json_array_size(created); j-- > 0;) {
		const char *name = json_string_value(json_array_get(created, j));
		json_t *rec = paved->state_get(ctx, PRV_NS, name);
		char *e = NULL;
		if (rec && prv_destroy(ctx, rec, &e))
			paved->log(ctx, PAVED_LOG_WARN, "undo of %s failed: %s", name, e);
		free(e);
		json_decref(rec);
	}
}

/* What killed commands left in the journal, for a dry run: a new array
 * of {name, op, outcome: "pending"}. */
static json_t *pending_of(paved_ctx *ctx)
{
	json_t *all = paved->state_list(ctx, PRV_JOURNAL), *e, *out = json_array();
	const char *name;
	json_object_foreach(all, name, e)
		json_array_append_new(out, json_pack("{ss sO ss}", "name", name, "op",
		                                     json_object_get(e, "op"), "outcome", "pending"));
	json_decref(all);
	return out;
}

/* Count the steps of PLAN that change something; total their cost. */
static json_int_t count(json_t *plan, double *cost, json_int_t *unchanged)
{
	size_t i;
	json_t *s;
	json_int_t n = 0;
	*cost = 0, *unchanged = 0;
	json_array_foreach(plan, i, s) {
		const char *a = json_string_value(json_object_get(s, "action"));
		if (strcmp(a, "destroy"))
			*cost += json_number_value(json_object_get(s, "cost_per_month"));
		if (!strcmp(a, "none"))
			(*unchanged)++;
		else if (!json_is_true(json_object_get(s, "kept")))
			n++;
	}
	return n;
}

int prv_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	const char *path = json_string_value(json_object_get(args, "file"));
	if (!path)
		path = json_string_value(json_object_get(args, "dir"));
	const char *env = json_string_value(json_object_get(args, "env"));
	const char *owner = json_string_value(json_object_get(args, "owner"));
	bool dry = json_is_true(json_object_get(args, "dry_run"));
	bool prune = json_is_true(json_object_get(args, "prune"));
	bool yes = json_is_true(json_object_get(args, "yes"));
	json_t *doc = NULL, *desired = NULL, *plan = NULL, *res = NULL, *recovered = NULL, *s;
	int rc = PAVED_ERR;
	bool locked = false;
	size_t i;

	if (!env)
		env = "dev";
	if (!(doc = prv_platform_read(ctx, path ? path : ".", env, errmsg)))
		goto out;
	const char *service = json_string_value(json_object_get(args, "service"));
	if (!service)
		service = json_string_value(json_object_get(doc, "service"));
	if (!prv_valid_name(service)) {
		paved->error(errmsg, "%s: invalid service name '%s': name it with 'service:' (lowercase "
		             "letters and digits, single '-' between them)",
		             json_string_value(json_object_get(doc, "file")), service);
		goto out;
	}
	if (!(desired = declared(ctx, doc, service, env, owner, errmsg)))
		goto out;
	char *sd = dry ? NULL : prv_secrets_dir(ctx, errmsg);   /* refused before anything */
	free(sd);
	if ((!dry && !sd) || prv_lock(ctx, errmsg))
		goto out;
	locked = true;
	json_t *finish = json_object();
	json_t *records = paved->state_list(ctx, PRV_NS);
	const char *name;
	json_t *n;
	json_object_foreach(desired, name, n)
		if (!json_object_get(records, name))
			json_object_set(finish, name, n);
	json_decref(records);
	if (dry)        /* a dry run changes nothing: it only says what is pending */
		recovered = pending_of(ctx);
	else
		prv_recover(ctx, finish, &recovered);
	json_decref(finish);
	if (!(plan = prv_plan(ctx, desired, service, env, prune, errmsg)))
		goto out;
	double cost;
	json_int_t unchanged, changes = count(plan, &cost, &unchanged);
	res = json_pack("{sO ss ss sb s[] sI s[] s[] s[] s[] s[] sI so sf s[] s[] sO}", "file",
	                json_object_get(doc, "file"), "env", env, "service", service, "dry_run", dry,
	                "plan", "changes", changes, "created", "updated", "replaced", "destroyed",
	                "kept", "unchanged", unchanged, "recovered", recovered, "cost_per_month", cost,
	                "resources", "confirm", "warnings", json_object_get(doc, "warnings"));
	recovered = NULL;
	json_array_foreach(plan, i, s) {
		json_array_append_new(json_object_get(res, "plan"), shown(s));
		if (json_is_true(json_object_get(s, "kept")))
			json_array_append(json_object_get(res, "kept"), json_object_get(s, "name"));
	}
	const char *first = unconfirmed(plan, dry, yes, json_object_get(args, "confirmed"),
	                                json_object_get(res, "confirm"));
	if (first) {
		json_t *st = NULL;
		json_array_foreach(plan, i, s)
			if (!st && !strcmp(json_string_value(json_object_get(s, "name")), first))
				st = s;
		paved->error(errmsg, "refusing to %s '%s', which holds data, without confirmation: "
		             "run again with --yes, or on a terminal to confirm by typing its name; "
		             "nothing was changed", json_string_value(json_object_get(st, "action")),
		             first);
		goto out;
	}
	if (!dry) {
		json_array_foreach(plan, i, s) {
			const char *a = json_string_value(json_object_get(s, "action"));
			if (!strcmp(a, "destroy") || carry_out(ctx, s, res, errmsg) == PAVED_OK)
				continue;
			undo_created(ctx, json_object_get(res, "created"));
			json_object_set_new(res, "outcome", json_string("failed"));
			goto out;
		}
		json_array_foreach(plan, i, s)
			if (!strcmp(json_string_value(json_object_get(s, "action")), "destroy") &&
			    carry_out(ctx, s, res, errmsg) != PAVED_OK) {
				json_object_set_new(res, "outcome", json_string("failed"));
				goto out;
			}
	}
	json_object_foreach(desired, name, n) {
		json_t *rec = dry ? NULL : paved->state_get(ctx, PRV_NS, name);
		json_array_append_new(json_object_get(res, "resources"), rec ? prv_public(rec)
		                                                             : prv_public(n));
		json_decref(rec);
	}
	if (!dry && changes > 0) {      /* an apply that changes nothing emits nothing */
		json_t *ev = json_pack("{sO ss ss sI}", "file", json_object_get(doc, "file"), "env", env,
		                       "service", service, "changes", changes);
		paved->emit(ctx, "provision.applied", ev);
		json_decref(ev);
	}
	rc = PAVED_OK;
out:
	if (locked)
		prv_unlock();
	*result = res;
	json_decref(doc), json_decref(desired), json_decref(plan), json_decref(recovered);
	return rc;
}
