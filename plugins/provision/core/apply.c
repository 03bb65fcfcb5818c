/*
 * apply.c -- provision.apply: make the resources of a platform.yaml exist
 * in one environment.  Every resource is checked (type, driver, size)
 * before anything is made; the whole apply runs under the provisioning
 * lock; a resource that already exists as asked is left alone (so a
 * second apply changes nothing); when one fails, those this apply
 * created are destroyed again.
 */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "provision.h"

/* The service: "service:" in the file, else the name of its directory. */
static char *service_name(json_t *intent, const char *abs)
{
	const char *s = json_string_value(json_object_get(intent, "service"));
	if (s)
		return strdup(s);
	char *copy = strdup(abs);
	char *dir = copy ? dirname(copy) : NULL;
	char *b = dir ? strdup(basename(dir)) : NULL;
	free(copy);
	return b;
}

int pc_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	const char *file = json_string_value(json_object_get(args, "file"));
	const char *env = json_string_value(json_object_get(args, "env"));
	bool dry = json_is_true(json_object_get(args, "dry_run"));
	char abs[PATH_MAX], *service = NULL, *dir = NULL;
	json_t *intent = NULL, *specs = json_array(), *out = json_array(), *x;
	int rc = PAVED_ERR;
	size_t i, created = 0, unchanged = 0;
	double total = 0;
	bool locked = false;

	if (!file)
		file = "platform.yaml";
	if (!env)
		env = "dev";
	if (!realpath(file, abs)) {
		paved->error(errmsg, "cannot read %s: no such file (write the intent in "
		              "platform.yaml, e.g. 'database: {type: postgres, size: small}')", file);
		goto out;
	}
	if (!(intent = pc_intent_load(abs, errmsg)))
		goto out;
	service = service_name(intent, abs);
	char *copy = strdup(abs);
	dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	json_array_foreach(json_object_get(intent, "resources"), i, x) {
		const char *key = json_string_value(json_object_get(x, "key"));
		char *name = pc_printf("%s-%s-%s", service, key, env);
		const char *type = json_string_value(json_object_get(x, "type"));
		json_t *spec = json_pack("{ss ss ss ss sO ss}", "name", name ? name : "",
		                         "env", env, "service", service ? service : "",
		                         "type", type ? type : "",
		                         "options", json_object_get(x, "options"), "dir", dir ? dir : ".");
		free(name);
		if (json_object_get(x, "size"))
			json_object_set(spec, "size", json_object_get(x, "size"));
		char *e = NULL;
		json_t *n = pc_normalise(ctx, spec, &e);
		if (!n) {
			paved->error(errmsg, "%s: %s: %s", file, key, e);
			free(e);
			json_decref(spec);
			goto out;
		}
		json_decref(n);
		json_object_set_new(spec, "key", json_string(key));
		json_array_append_new(specs, spec);
	}
	if (pc_lock(ctx, errmsg))
		goto out;
	locked = true;
	json_array_foreach(specs, i, x) {
		json_t *r = NULL, *spec = json_deep_copy(x);
		json_object_del(spec, "key");
		int c = pc_create(ctx, spec, dry, &r, errmsg);
		json_decref(spec);
		if (c) {
			/* undo what this apply made, newest first */
			for (size_t j = json_array_size(out); j-- > 0;) {
				json_t *done = json_array_get(out, j), *d = NULL;
				char *e = NULL;
				if (!json_is_true(json_object_get(done, "changed")) || dry)
					continue;
				if (pc_destroy(ctx, json_string_value(json_object_get(done, "name")), &d, &e))
					paved->log(ctx, PAVED_LOG_WARN, "undo failed: %s", e);
				free(e);
				json_decref(d);
			}
			goto out;
		}
		json_object_set(r, "key", json_object_get(x, "key"));
		if (json_is_true(json_object_get(r, "changed")))
			created++;
		else
			unchanged++;
		total += json_number_value(json_object_get(r, "cost_per_month"));
		json_array_append_new(out, r);
	}
	*result = json_pack("{ss ss ss sb sO sI sI sf}", "file", abs, "env", env,
	                    "service", service ? service : "", "dry_run", dry, "resources", out,
	                    "created", (json_int_t)created, "unchanged", (json_int_t)unchanged,
	                    "cost_per_month", total);
	if (!dry && created > 0) {      /* an apply that changes nothing emits nothing */
		json_t *ev = json_pack("{ss ss ss sI sI}", "file", abs, "env", env, "service",
		                       service ? service : "", "created", (json_int_t)created,
		                       "unchanged", (json_int_t)unchanged);
		paved->emit(ctx, "provision.applied", ev);
		json_decref(ev);
	}
	rc = PAVED_OK;
out:
	if (locked)
		pc_unlock();
	free(service), free(dir);
	json_decref(intent), json_decref(specs), json_decref(out);
	return rc;
}
