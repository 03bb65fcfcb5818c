/*
 * resource.c -- one resource: check the intent, match a driver by
 * (type, env), call it, keep the secret and the record, emit events.
 *
 * A failure at any point undoes what was done before it: a driver that
 * fails cleans up after itself (driver contract), and when the core fails
 * after the driver succeeded it asks the driver to destroy again.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "provision.h"

/* Names become database names, file names and catalog names: 1-63
 * printable ASCII characters, no '/', starting with a letter or digit.
 * Quotes, ';', '$' and spaces are allowed: drivers quote identifiers and
 * run programs with argv arrays. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '/')
			return false;
	return true;
}

static bool valid_word(const char *s)
{
	if (!s || !*s || strlen(s) > 63 || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* "a, b CONJ c" from the keys of OBJ (malloc()ed). */
static char *key_list(json_t *obj, const char *conj)
{
	size_t n = json_object_size(obj), i = 0, len = 1;
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
		len += strlen(k) + 6;
	char *s = calloc(1, len);
	if (!s)
		return NULL;
	json_object_foreach(obj, k, v) {
		if (i > 0)
			strcat(s, i + 1 == n ? conj : ", ");
		strcat(s, k);
		i++;
	}
	return s;
}

json_t *pc_normalise(paved_ctx *ctx, json_t *spec, char **errmsg)
{
	json_t *drivers = paved->option(ctx, "drivers"), *costs = paved->option(ctx, "costs");
	json_t *vars = paved->option(ctx, "env_vars");
	const char *type = json_string_value(json_object_get(spec, "type"));
	const char *name = json_string_value(json_object_get(spec, "name"));
	const char *env = json_string_value(json_object_get(spec, "env"));
	const char *size = json_string_value(json_object_get(spec, "size"));
	const char *service = json_string_value(json_object_get(spec, "service"));
	json_t *opts = json_object_get(spec, "options"), *v;
	const char *k;
	char *list = NULL;

	if (!json_is_object(spec))
		return paved->error(errmsg, "arguments must be an object"), NULL;
	json_object_foreach(spec, k, v)
		if (strcmp(k, "type") && strcmp(k, "name") && strcmp(k, "env") && strcmp(k, "size") &&
		    strcmp(k, "service") && strcmp(k, "options") && strcmp(k, "dir"))
			return paved->error(errmsg, "unknown argument '%s'", k), NULL;
	if (!type || !*type)
		return paved->error(errmsg, "argument 'type' (a non-empty string) is required"), NULL;
	if (!json_is_object(json_object_get(drivers, type))) {
		list = key_list(drivers, " and ");
		paved->error(errmsg, "unknown resource type '%s': known types are %s "
		              "(an organisation adds one in plugins.provision.drivers)", type,
		              list ? list : "?");
		free(list);
		return NULL;
	}
	if (!name || !valid_name(name))
		return paved->error(errmsg, "invalid resource name '%s': use 1-63 printable "
		                     "characters without '/', starting with a letter or digit",
		                     name ? name : ""), NULL;
	if (!env)
		env = "dev";
	if (!valid_word(env))
		return paved->error(errmsg, "invalid environment '%s': use lowercase letters, "
		                     "digits, '-' and '_' (dev, staging, production)", env), NULL;
	const char *driver = json_string_value(json_object_get(json_object_get(drivers, type), env));
	if (!driver || !*driver)
		return paved->error(errmsg, "no driver for %s in environment '%s': set "
		                     "plugins.provision.drivers.%s.%s (e.g. \"local\" or "
		                     "\"terraform\")", type, env, type, env), NULL;
	if (!valid_word(driver))
		return paved->error(errmsg, "invalid driver name '%s' in "
		                     "plugins.provision.drivers.%s.%s", driver, type, env), NULL;
	json_t *sizes = json_object_get(costs, type);
	if (!size)
		size = "small";
	if (!json_is_object(json_object_get(sizes, size))) {
		list = key_list(sizes, " or ");
		paved->error(errmsg, "invalid size '%s' for %s: use %s", size, type,
		              list && *list ? list : "a size listed in plugins.provision.costs");
		free(list);
		return NULL;
	}
	if (service && !valid_name(service))
		return paved->error(errmsg, "invalid service name '%s'", service), NULL;
	if (opts && !json_is_object(opts))
		return paved->error(errmsg, "argument 'options' must be an object"), NULL;
	json_object_foreach(opts, k, v)
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
			return paved->error(errmsg, "option '%s' must be a string, number or "
			                     "boolean", k), NULL;
	json_t *cost = json_object_get(json_object_get(sizes, size), driver);
	const char *var = json_string_value(json_object_get(vars, type));
	char *upper = NULL;
	if (!var) {
		upper = pc_printf("%s_URL", type);
		for (char *p = upper; p && *p; p++)
			*p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : (*p == '-' ? '_' : *p);
	}
	json_t *n = json_pack("{ss ss ss ss ss so ss so}", "name", name, "type", type, "env", env,
	                      "size", size, "driver", driver,
	                      "options", opts ? json_deep_copy(opts) : json_object(),
	                      "env_var", var ? var : upper,
	                      "cost_per_month", json_is_number(cost) ? json_real(json_number_value(cost))
	                                                          : json_null());
	free(upper);
	if (!n)
		return paved->error(errmsg, "out of memory"), NULL;
	if (service)
		json_object_set_new(n, "service", json_string(service));
	if (json_is_string(json_object_get(spec, "dir")))
		json_object_set(n, "dir", json_object_get(spec, "dir"));
	return n;
}

/* The record as users see it: everything but the driver's private state. */
json_t *pc_public(json_t *record)
{
	json_t *p = json_deep_copy(record);
	json_object_del(p, "state");
	return p;
}

/* Does RECORD already describe what N (normalised) asks for? */
static bool same(json_t *record, json_t *n)
{
	static const char *const keys[] = { "type", "env", "size", "driver", "options", NULL };
	for (size_t i = 0; keys[i]; i++)
		if (!json_equal(json_object_get(record, keys[i]), json_object_get(n, keys[i])))
			return false;
	return true;
}

static void emit(paved_ctx *ctx, const char *event, json_t *rec, const char *extra_key,
                 json_t *extra)
{
	json_t *f = json_pack("{sO sO sO sO}", "name", json_object_get(rec, "name"),
	                      "type", json_object_get(rec, "type"), "env", json_object_get(rec, "env"),
	                      "driver", json_object_get(rec, "driver"));
	if (f && json_object_get(rec, "cost_per_month"))
		json_object_set(f, "cost_per_month", json_object_get(rec, "cost_per_month"));
	if (f && json_object_get(rec, "service"))
		json_object_set(f, "service", json_object_get(rec, "service"));
	if (f && extra_key)
		json_object_set(f, extra_key, extra);
	paved->emit(ctx, event, f);
	json_decref(f);
	json_decref(extra);
}

/* Call the driver of REC with ACTION; *RES may be NULL. */
static int call_driver(paved_ctx *ctx, json_t *rec, const char *action, json_t **res,
                       char **errmsg)
{
	char hook[256];
	json_t *r = NULL;
	snprintf(hook, sizeof hook, "provision.driver.%s.%s",
	         json_string_value(json_object_get(rec, "type")),
	         json_string_value(json_object_get(rec, "driver")));
	json_t *args = json_pack("{ss sO}", "action", action, "resource", rec);
	int rc = paved->call(ctx, hook, args, &r, errmsg);
	json_decref(args);
	if (rc != PAVED_OK && rc != PAVED_NOHOOK && *errmsg && strchr(*errmsg, '\n')) {
		/* one line for the user (a Lua driver's traceback goes to the log) */
		paved->log(ctx, PAVED_LOG_DEBUG, "%s", *errmsg);
		(*errmsg)[strcspn(*errmsg, "\n")] = '\0';
	}
	if (rc == PAVED_NOHOOK) {
		free(*errmsg);
		*errmsg = NULL;
		paved->error(errmsg, "driver '%s' for %s in environment '%s' is not installed: no "
		              "plugin provides %s", json_string_value(json_object_get(rec, "driver")),
		              json_string_value(json_object_get(rec, "type")),
		              json_string_value(json_object_get(rec, "env")), hook);
	}
	if (rc == PAVED_OK && res)
		*res = r;
	else
		json_decref(r);
	return rc == PAVED_OK ? PAVED_OK : PAVED_ERR;
}

int pc_create(paved_ctx *ctx, json_t *spec, bool dry_run, json_t **result, char **errmsg)
{
	json_t *n = pc_normalise(ctx, spec, errmsg), *old = NULL, *res = NULL;
	int rc = PAVED_ERR;
	if (!n)
		return PAVED_ERR;
	const char *name = json_string_value(json_object_get(n, "name"));
	if ((old = paved->state_get(ctx, PC_NS, name))) {
		if (!same(old, n)) {
			paved->error(errmsg, "resource '%s' already exists with other settings (type %s, "
			              "env %s, size %s, driver %s); destroy it first ('paved resources "
			              "destroy %s') or choose another name", name,
			              json_string_value(json_object_get(old, "type")),
			              json_string_value(json_object_get(old, "env")),
			              json_string_value(json_object_get(old, "size")),
			              json_string_value(json_object_get(old, "driver")), name);
			goto out;
		}
		*result = pc_public(old);
		json_object_set_new(*result, "changed", json_false());
		rc = PAVED_OK;
		goto out;
	}
	if (dry_run) {
		*result = json_deep_copy(n);
		json_object_set_new(*result, "changed", json_true());
		json_object_set_new(*result, "dry_run", json_true());
		rc = PAVED_OK;
		goto out;
	}
	double t0 = pu_now_ms();
	emit(ctx, "resource.provisioning", n, NULL, NULL);
	if (call_driver(ctx, n, "create", &res, errmsg)) {
		emit(ctx, "resource.failed", n, "error", json_string(*errmsg));
		goto out;
	}
	if (!json_is_object(res)) {
		paved->error(errmsg, "driver provision.driver.%s.%s returned no result object for "
		              "'create' (see the driver contract in plugins/provision/core/README.md)",
		              json_string_value(json_object_get(n, "type")),
		              json_string_value(json_object_get(n, "driver")));
		goto undo;
	}
	const char *url = json_string_value(json_object_get(res, "url"));
	if (url) {
		if (pc_secret_write(ctx, name, json_string_value(json_object_get(n, "env_var")), url,
		                    errmsg))
			goto undo;
		char *p = pc_secret_path(ctx, name);
		json_object_set_new(n, "secret_file", p ? json_string(p) : json_null());
		free(p);
	} else {
		json_object_set_new(n, "secret_file", json_null());
	}
	if (json_object_get(res, "state"))
		json_object_set(n, "state", json_object_get(res, "state"));
	if (json_is_string(json_object_get(res, "summary")))
		json_object_set(n, "summary", json_object_get(res, "summary"));
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_object_set_new(n, "created_at", json_string(now));
	if (paved->state_put(ctx, PC_NS, name, n, errmsg)) {
		pc_secret_remove(ctx, name);
		goto undo;
	}
	pc_catalog_put(ctx, n);
	emit(ctx, "resource.provisioned", n, "duration_ms", json_integer((json_int_t)(pu_now_ms() - t0)));
	*result = pc_public(n);
	json_object_set_new(*result, "changed", json_true());
	rc = PAVED_OK;
	goto out;
undo:
	{
		char *e2 = NULL;
		json_t *rec = json_deep_copy(n);
		if (json_object_get(res, "state"))
			json_object_set(rec, "state", json_object_get(res, "state"));
		if (call_driver(ctx, rec, "destroy", NULL, &e2))
			paved->log(ctx, PAVED_LOG_WARN, "undo of %s failed: %s", name, e2);
		free(e2);
		json_decref(rec);
		emit(ctx, "resource.failed", n, "error", json_string(*errmsg));
	}
out:
	json_decref(res);
	json_decref(old);
	json_decref(n);
	return rc;
}

int pc_destroy(paved_ctx *ctx, const char *name, json_t **result, char **errmsg)
{
	json_t *rec = name ? paved->state_get(ctx, PC_NS, name) : NULL;
	if (!rec)
		return paved->error(errmsg, "no resource '%s' (see 'paved resources list')",
		                     name ? name : "");
	if (call_driver(ctx, rec, "destroy", NULL, errmsg)) {
		json_decref(rec);
		return PAVED_ERR;
	}
	pc_secret_remove(ctx, name);
	if (paved->state_del(ctx, PC_NS, name, errmsg)) {
		json_decref(rec);
		return PAVED_ERR;
	}
	pc_catalog_delete(ctx, name);
	emit(ctx, "resource.destroyed", rec, NULL, NULL);
	*result = json_pack("{sssO}", "destroyed", name, "type", json_object_get(rec, "type"));
	json_decref(rec);
	return PAVED_OK;
}

json_t *pc_status(paved_ctx *ctx, const char *name, char **errmsg)
{
	json_t *rec = paved->state_get(ctx, PC_NS, name), *res = NULL;
	if (!rec)
		return paved->error(errmsg, "no resource '%s' (see 'paved resources list')", name), NULL;
	if (call_driver(ctx, rec, "status", &res, errmsg))
		res = NULL;
	json_decref(rec);
	return res;
}

int pc_stop_all(paved_ctx *ctx, json_t **result, char **errmsg)
{
	json_t *drivers = paved->option(ctx, "drivers"), *envs, *d;
	json_t *done = json_object();
	const char *type, *env;
	json_int_t stopped = 0;
	json_object_foreach(drivers, type, envs) {
		json_object_foreach(envs, env, d) {
			char hook[256];
			json_t *r = NULL;
			char *e = NULL;
			if (!json_is_string(d))
				continue;
			snprintf(hook, sizeof hook, "provision.driver.%s.%s", type, json_string_value(d));
			if (json_object_get(done, hook))
				continue;
			json_object_set_new(done, hook, json_true());
			json_t *args = json_pack("{ss}", "action", "stop");
			int rc = paved->call(ctx, hook, args, &r, &e);
			json_decref(args);
			if (rc == PAVED_OK) {
				stopped += json_integer_value(json_object_get(r, "stopped"));
			} else if (rc != PAVED_NOHOOK) {
				json_decref(done);
				json_decref(r);
				paved->error(errmsg, "%s", e);
				free(e);
				return PAVED_ERR;
			}
			free(e);
			json_decref(r);
		}
	}
	json_decref(done);
	*result = json_pack("{sI}", "stopped", stopped);
	return PAVED_OK;
}

int pc_start_all(paved_ctx *ctx, json_t **result, char **errmsg)
{
	json_t *all = paved->state_list(ctx, PC_NS), *rec, *r;
	const char *name;
	json_int_t started = 0;
	json_object_foreach(all, name, rec) {
		r = NULL;
		if (call_driver(ctx, rec, "start", &r, errmsg)) {
			json_decref(all);
			return PAVED_ERR;
		}
		started += json_integer_value(json_object_get(r, "started"));
		json_decref(r);
	}
	json_decref(all);
	*result = json_pack("{sI}", "started", started);
	return PAVED_OK;
}
