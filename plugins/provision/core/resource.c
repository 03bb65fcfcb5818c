/*
 * resource.c -- one resource: check what is asked, then create, update or
 * destroy it through its driver, journaled (journal.c), keeping its
 * connection details (secrets.c), its record, its catalog entity and
 * events in step.
 *
 * A failure undoes what was done before it: a driver that fails cleans up
 * after itself (the driver contract), and when the core fails after the
 * driver succeeded it asks the driver to destroy again.  A kill -9 in
 * between leaves the journal entry, which the next command acts on.
 */
#include <string.h>
#include <time.h>

#include "provision.h"

/* 1-63 characters: lowercase letters and digits in runs joined by single
 * '-' or '_', starting with a letter.  One rule, so names that differ only
 * by case cannot exist, and every name is a valid Backstage name, file
 * name and database name. */
bool prv_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
		if (!alnum && !((s[i] == '-' || s[i] == '_') && i + 1 < n &&
		                s[i + 1] != '-' && s[i + 1] != '_'))
			return false;
	}
	return true;
}

static bool valid_env(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* The value V as text for messages ("none" for no value), malloc()ed. */
static char *shown(json_t *v)
{
	if (!v)
		return strdup("(none)");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Append "FIELD: A -> B" to LIST (an array of strings). */
static void diff_one(json_t *list, const char *field, json_t *a, json_t *b)
{
	if (json_equal(a, b) || (!a && !b))
		return;
	char *x = shown(a), *y = shown(b), *s = pc_printf("%s: %s -> %s", field, x, y);
	if (s)
		json_array_append_new(list, json_string(s));
	free(x), free(y), free(s);
}

json_t *prv_diff(json_t *old, json_t *n)
{
	static const char *const top[] = { "type", "driver", "env", "class", NULL };
	json_t *list = json_array(), *po = json_object_get(old, "params"),
	       *pn = json_object_get(n, "params"), *v;
	const char *k;
	for (size_t i = 0; top[i]; i++)
		diff_one(list, top[i], json_object_get(old, top[i]), json_object_get(n, top[i]));
	json_t *keys = json_object();
	json_object_update(keys, po);
	json_object_update(keys, pn);
	json_object_foreach(keys, k, v) {
		char *f = pc_printf("params.%s", k);
		if (f)
			diff_one(list, f, json_object_get(po, k), json_object_get(pn, k));
		free(f);
	}
	json_decref(keys);
	return list;
}

char *prv_join(json_t *list, const char *sep)
{
	char *s = strdup("");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		char *t = s ? pc_printf("%s%s%s", s, i ? sep : "", json_string_value(v)) : NULL;
		free(s);
		s = t;
	}
	return s;
}

/* Check the class C of TYPE against the cost table (its classes are the
 * known classes; a type without one accepts any class).  PREV: the class
 * the resource has now, for the message. */
static int check_class(paved_ctx *ctx, const char *name, const char *type, const char *c,
                       const char *prev, char **errmsg)
{
	json_t *classes = json_object_get(paved->option(ctx, "costs"), type);
	if (!json_is_object(classes) || json_is_object(json_object_get(classes, c)))
		return PAVED_OK;
	char *list = pc_keys(classes);
	if (prev && strcmp(prev, c))
		paved->error(errmsg, "resource '%s': class: %s -> %s is not a known class (%s)", name,
		             prev, c, list ? list : "?");
	else
		paved->error(errmsg, "resource '%s': class '%s' is not a known class (%s)", name, c,
		             list ? list : "?");
	free(list);
	return PAVED_ERR;
}

json_t *prv_normalise(paved_ctx *ctx, json_t *spec, json_t *previous, char **errmsg)
{
	static const char *const known[] = { "type", "name", "env", "class", "params", "service",
	                                     "key", "owner", "dir", NULL };
	const char *type = json_string_value(json_object_get(spec, "type"));
	const char *name = json_string_value(json_object_get(spec, "name"));
	const char *env = json_string_value(json_object_get(spec, "env"));
	const char *cls = json_string_value(json_object_get(spec, "class"));
	const char *service = json_string_value(json_object_get(spec, "service"));
	json_t *params = json_object_get(spec, "params"), *v;
	const char *k, *driver;
	char why[200];

	if (!json_is_object(spec))
		return paved->error(errmsg, "arguments must be an object"), NULL;
	json_object_foreach(spec, k, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], k))
			i++;
		if (!known[i])
			return paved->error(errmsg, "unknown argument '%s'%s", k, !strcmp(k, "size")
			                    ? " ('size' is now 'class')" : !strcmp(k, "options")
			                    ? " ('options' are now 'params')" : ""), NULL;
	}
	if (!type || !*type)
		return paved->error(errmsg, "argument 'type' (a non-empty string) is required"), NULL;
	if (!prv_type_known(ctx, type)) {
		char *list = prv_known_types(ctx);
		paved->error(errmsg, "unknown resource type '%s': known types are %s (an "
		             "organisation adds one in drivers.provision, e.g. "
		             "drivers.provision.%s.default)", type, list ? list : "?", type);
		free(list);
		return NULL;
	}
	if (!prv_valid_name(name))
		return paved->error(errmsg, "invalid resource name '%s': use 1-63 lowercase letters "
		                    "and digits, with single '-' or '_' between them, starting with "
		                    "a letter", name ? name : ""), NULL;
	if (!env)
		env = "dev";
	if (!valid_env(env))
		return paved->error(errmsg, "invalid environment '%s': use lowercase letters, digits, "
		                    "'-' and '_', starting with a letter (dev, staging, production)",
		                    env), NULL;
	if (!(driver = prv_driver_for(ctx, type, env, why, sizeof why, errmsg)))
		return NULL;
	if (!cls)
		cls = "small";
	if (check_class(ctx, name, type, cls,
	                json_string_value(json_object_get(previous, "class")), errmsg))
		return NULL;
	if (service && !prv_valid_name(service))
		return paved->error(errmsg, "invalid service name '%s'", service), NULL;
	if (params && !json_is_object(params))
		return paved->error(errmsg, "resource '%s': params must be a mapping", name), NULL;
	json_object_foreach(params, k, v)
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
			return paved->error(errmsg, "resource '%s': params.%s must be a string, number or "
			                    "boolean", name, k), NULL;
	json_t *cost = json_object_get(json_object_get(json_object_get(paved->option(ctx, "costs"),
	                                                               type), cls), driver);
	const char *var = json_string_value(json_object_get(paved->option(ctx, "env_vars"), type));
	char *upper = var ? NULL : pc_printf("%s_URL", type);
	for (char *p = upper; p && *p; p++)
		*p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : (*p == '-' ? '_' : *p);
	json_t *n = json_pack("{ss ss ss ss ss so ss so}", "name", name, "type", type, "env", env,
	                      "class", cls, "driver", driver,
	                      "params", params ? json_deep_copy(params) : json_object(),
	                      "env_var", var ? var : upper ? upper : "URL",
	                      "cost_per_month", json_is_number(cost)
	                              ? json_real(json_number_value(cost)) : json_null());
	free(upper);
	if (!n)
		return paved->error(errmsg, "out of memory"), NULL;
	static const char *const extra[] = { "service", "key", "owner", "dir", NULL };
	for (size_t i = 0; extra[i]; i++)
		if (json_is_string(json_object_get(spec, extra[i])))
			json_object_set(n, extra[i], json_object_get(spec, extra[i]));
	return n;
}

json_t *prv_public(json_t *record)
{
	json_t *p = json_deep_copy(record);
	json_object_del(p, "state");
	return p;
}

json_t *prv_driver_view(json_t *rec)
{
	static const char *const keys[] = { "name", "type", "env", "class", "driver", "service",
	                                    "params", "dir", "state", NULL };
	json_t *v = json_object();
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(rec, keys[i]))
			json_object_set(v, keys[i], json_object_get(rec, keys[i]));
	if (!json_object_get(v, "params"))
		json_object_set_new(v, "params", json_object());
	return v;
}

void prv_emit(paved_ctx *ctx, const char *event, json_t *rec, const char *extra_key,
              json_t *extra)
{
	static const char *const keys[] = { "name", "type", "env", "class", "driver", "service",
	                                    "cost_per_month", NULL };
	json_t *f = json_object();
	for (size_t i = 0; f && keys[i]; i++)
		if (json_object_get(rec, keys[i]))
			json_object_set(f, keys[i], json_object_get(rec, keys[i]));
	if (f && extra_key)
		json_object_set(f, extra_key, extra);
	paved->emit(ctx, event, f);
	json_decref(f);
	json_decref(extra);
}

/* Take the state and summary of driver result R into REC, stamped with
 * the time under STAMP ("created_at", "updated_at"). */
static void take(json_t *rec, json_t *r, const char *stamp)
{
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (json_object_get(r, "state"))
		json_object_set(rec, "state", json_object_get(r, "state"));
	if (json_is_string(json_object_get(r, "summary")))
		json_object_set(rec, "summary", json_object_get(r, "summary"));
	json_object_set_new(rec, stamp, json_string(now));
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Keep the outputs of driver result R for REC's name; sets REC's
 * secret_file.  No outputs: nothing stored, PAVED_OK. */
static int keep_outputs(paved_ctx *ctx, json_t *rec, json_t *r, char **errmsg)
{
	json_t *o = prv_outputs_of(r);
	const char *name = json_string_value(json_object_get(rec, "name"));
	if (!o)
		return PAVED_OK;
	int rc = prv_secret_write(ctx, name, o, errmsg);
	json_decref(o);
	if (rc == PAVED_OK) {
		char *p = prv_secret_path(ctx, name);
		json_object_set_new(rec, "secret_file", p ? json_string(p) : json_null());
		free(p);
	}
	return rc;
}

int prv_create(paved_ctx *ctx, json_t *n, json_t **res, char **errmsg)
{
	const char *name = json_string_value(json_object_get(n, "name"));
	json_t *r = NULL, *rec = json_deep_copy(n);
	int rc = PAVED_ERR;
	double t0 = now_ms();
	if (prv_journal_put(ctx, "create", n, NULL, errmsg))
		goto out;
	prv_fault("provision.after_journal");
	prv_emit(ctx, "resource.provisioning", n, NULL, NULL);
	if (prv_call(ctx, "create", n, NULL, &r, errmsg)) {
		prv_journal_del(ctx, name);       /* the driver cleaned up after itself */
		prv_emit(ctx, "resource.failed", n, "error", json_string(*errmsg));
		goto out;
	}
	prv_fault("provision.after_create");
	json_object_set_new(rec, "secret_file", json_null());
	take(rec, r, "created_at");
	if (keep_outputs(ctx, rec, r, errmsg))
		goto undo;
	if (paved->state_put(ctx, PRV_NS, name, rec, errmsg)) {
		prv_secret_remove(ctx, name);
		goto undo;
	}
	prv_catalog_put(ctx, rec);
	prv_journal_del(ctx, name);
	prv_emit(ctx, "resource.provisioned", rec, "duration_ms",
	         json_integer((json_int_t)(now_ms() - t0)));
	*res = prv_public(rec);
	rc = PAVED_OK;
	goto out;
undo:
	{
		char *e2 = NULL;
		if (prv_call(ctx, "destroy", rec, NULL, NULL, &e2) == PAVED_OK)
			prv_journal_del(ctx, name);
		else
			paved->log(ctx, PAVED_LOG_WARN, "undo of %s failed (paved tries again next "
			           "time): %s", name, e2);
		free(e2);
		prv_emit(ctx, "resource.failed", n, "error", json_string(*errmsg));
	}
out:
	json_decref(r);
	json_decref(rec);
	return rc;
}

int prv_update(paved_ctx *ctx, json_t *n, json_t *old, json_t **res, char **errmsg)
{
	const char *name = json_string_value(json_object_get(n, "name"));
	json_t *r = NULL, *rec = json_deep_copy(n), *fields = prv_diff(old, n);
	int rc = PAVED_ERR;
	if (prv_journal_put(ctx, "update", n, old, errmsg))
		goto out;
	prv_fault("provision.after_journal");
	if (prv_call(ctx, "update", n, old, &r, errmsg)) {
		char *e2 = NULL, *m = *errmsg;
		*errmsg = NULL;
		/* take it back to what the record says */
		if (prv_call(ctx, "update", old, n, NULL, &e2) == PAVED_OK) {
			prv_journal_del(ctx, name);
			paved->error(errmsg, "%s (it was left as it was)", m);
		} else {
			paved->error(errmsg, "%s; and taking it back failed: %s", m, e2);
		}
		free(m), free(e2);
		goto out;
	}
	prv_fault("provision.after_update");
	static const char *const kept[] = { "state", "summary", "created_at", "secret_file", NULL };
	for (size_t i = 0; kept[i]; i++)
		if (json_object_get(old, kept[i]))
			json_object_set(rec, kept[i], json_object_get(old, kept[i]));
	take(rec, r, "updated_at");
	if (keep_outputs(ctx, rec, r, errmsg) || paved->state_put(ctx, PRV_NS, name, rec, errmsg))
		goto out;       /* the journal entry stays: the next command takes it back */
	prv_catalog_put(ctx, rec);
	prv_journal_del(ctx, name);
	prv_emit(ctx, "resource.updated", rec, "fields", json_incref(fields));
	*res = prv_public(rec);
	rc = PAVED_OK;
out:
	json_decref(r);
	json_decref(rec);
	json_decref(fields);
	return rc;
}

int prv_destroy(paved_ctx *ctx, json_t *old, char **errmsg)
{
	const char *name = json_string_value(json_object_get(old, "name"));
	if (prv_journal_put(ctx, "destroy", old, NULL, errmsg))
		return PAVED_ERR;
	prv_fault("provision.after_journal");
	if (prv_call(ctx, "destroy", old, NULL, NULL, errmsg)) {
		prv_journal_del(ctx, name);
		return PAVED_ERR;
	}
	prv_fault("provision.after_destroy");
	prv_secret_remove(ctx, name);
	prv_catalog_delete(ctx, name);
	json_t *rec = paved->state_get(ctx, PRV_NS, name);
	if (rec && paved->state_del(ctx, PRV_NS, name, errmsg)) {
		json_decref(rec);
		return PAVED_ERR;
	}
	prv_journal_del(ctx, name);
	if (rec)
		prv_emit(ctx, "resource.destroyed", rec, NULL, NULL);
	json_decref(rec);
	return PAVED_OK;
}

int prv_resource(paved_ctx *ctx, json_t *spec, bool dry_run, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(spec, "name"));
	json_t *old = prv_valid_name(name) ? paved->state_get(ctx, PRV_NS, name) : NULL;
	json_t *n = prv_normalise(ctx, spec, old, errmsg), *fields = NULL;
	int rc = PAVED_ERR;
	if (!n)
		goto out;
	json_decref(old);
	old = NULL;
	char *sd = dry_run ? NULL : prv_secrets_dir(ctx, errmsg);   /* refused before anything */
	free(sd);
	if ((!dry_run && !sd) || prv_lock(ctx, errmsg))
		goto out;
	json_t *finish = json_pack("{sO}", name, n);
	prv_recover(ctx, finish, NULL);
	json_decref(finish);
	old = paved->state_get(ctx, PRV_NS, name);
	fields = old ? prv_diff(old, n) : NULL;
	if (old && json_array_size(fields) > 0) {
		char *list = prv_join(fields, ", ");
		paved->error(errmsg, "resource '%s' already exists with other settings (%s); destroy "
		             "it first ('paved resources destroy %s') or choose another name", name,
		             list ? list : "?", name);
		free(list);
	} else if (old) {
		*result = prv_public(old);
		json_object_set_new(*result, "changed", json_false());
		rc = PAVED_OK;
	} else if (dry_run) {
		*result = json_deep_copy(n);
		json_object_set_new(*result, "changed", json_true());
		json_object_set_new(*result, "dry_run", json_true());
		rc = PAVED_OK;
	} else if ((rc = prv_create(ctx, n, result, errmsg)) == PAVED_OK) {
		json_object_set_new(*result, "changed", json_true());
	}
	prv_unlock();
out:
	json_decref(fields);
	json_decref(old);
	json_decref(n);
	return rc;
}
