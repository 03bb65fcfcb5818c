/*
 * drivers.c -- which driver serves a resource, and calling it.
 *
 * The host answers the fronts provision.VERB by calling
 * provision.driver.NAME.VERB, NAME chosen by configuration
 * drivers.provision.TYPE (a name, or {ENV: name, "default": name}) and
 * else the defaults declared in sdk/hooks.json.  The core resolves the
 * same name before a resource is made, so it can refuse an unknown type or
 * environment before anything happens and record which driver made the
 * resource; every later call names that driver ("driver" argument), so a
 * resource goes back to the driver that made it even after the
 * configuration changed.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "provision.h"

/* The declared defaults of the provision area ({TYPE: {ENV: name}}). */
static json_t *declared(paved_ctx *ctx)
{
	return json_object_get(paved->shape(ctx, "provision"), "defaults");
}

static json_t *configured(paved_ctx *ctx)
{
	return paved->config(ctx, "drivers.provision");
}

bool prv_type_known(paved_ctx *ctx, const char *type)
{
	return json_object_get(configured(ctx), type) || json_object_get(declared(ctx), type);
}

char *prv_known_types(paved_ctx *ctx)
{
	json_t *all = json_object(), *v;
	const char *k;
	json_object_update(all, declared(ctx));
	if (json_is_object(configured(ctx)))
		json_object_update(all, configured(ctx));
	size_t n = json_object_size(all), i = 0;
	char *s = strdup("");
	json_object_foreach(all, k, v) {
		char *t = s ? pc_printf("%s%s%s", s, i == 0 ? "" : i + 1 == n ? " and " : ", ", k)
		            : NULL;
		free(s);
		s = t;
		i++;
	}
	json_decref(all);
	return s;
}

/* NAME from one layer's entry C for ENV: a string, or {ENV, "default"}. */
static const char *from(json_t *c, const char *env, const char **which)
{
	if (json_is_string(c))
		return *which = NULL, json_string_value(c);
	if (json_is_string(json_object_get(c, env)))
		return *which = env, json_string_value(json_object_get(c, env));
	*which = "default";
	return json_string_value(json_object_get(c, "default"));
}

const char *prv_driver_for(paved_ctx *ctx, const char *type, const char *env,
                           char *why, size_t whylen, char **errmsg)
{
	const char *which, *name = from(json_object_get(configured(ctx), type), env, &which);
	char dummy[8];
	if (!why)
		why = dummy, whylen = sizeof dummy;
	if (name) {
		snprintf(why, whylen, "drivers.provision.%s%s%s", type, which ? "." : "",
		         which ? which : "");
		return name;
	}
	if ((name = from(json_object_get(declared(ctx), type), env, &which))) {
		snprintf(why, whylen, "the declared default for %s in %s", type,
		         which && strcmp(which, "default") ? env : "any env");
		return name;
	}
	return paved->error(errmsg, "no driver for %s in environment '%s': set "
	                    "drivers.provision.%s.%s (or drivers.provision.%s.default)", type, env,
	                    type, env, type), NULL;
}

void prv_fault(const char *name)
{
	const char *f = getenv("PAVED_TEST_FAULT");
	if (f && strcmp(f, name) == 0)
		raise(SIGKILL);
}

int prv_call(paved_ctx *ctx, const char *verb, json_t *rec, json_t *previous, json_t **res,
             char **errmsg)
{
	char hook[64];
	json_t *r = NULL, *view = prv_driver_view(rec);
	const char *driver = json_string_value(json_object_get(rec, "driver"));
	snprintf(hook, sizeof hook, "provision.%s", verb);
	json_t *args = json_pack("{so ss}", "resource", view, "driver", driver ? driver : "");
	if (args && previous)
		json_object_set_new(args, "previous", prv_driver_view(previous));
	int rc = args ? paved->call(ctx, hook, args, &r, errmsg) : paved->error(errmsg, "out of memory");
	json_decref(args);
	if (rc == PAVED_NOHOOK) {
		free(*errmsg);
		*errmsg = NULL;
		paved->error(errmsg, "driver '%s' of %s '%s' is not installed: no plugin provides "
		             "provision.driver.%s.%s", driver, json_string_value(json_object_get(rec, "type")),
		             json_string_value(json_object_get(rec, "name")), driver, verb);
	} else if (rc != PAVED_OK && *errmsg && strchr(*errmsg, '\n')) {
		/* one line for the user; a Lua driver's traceback goes to the log */
		paved->log(ctx, PAVED_LOG_DEBUG, "%s", *errmsg);
		(*errmsg)[strcspn(*errmsg, "\n")] = '\0';
	}
	if (rc == PAVED_OK && res)
		*res = r;
	else
		json_decref(r);
	return rc == PAVED_OK ? PAVED_OK : PAVED_ERR;
}

/* Add the driver names of layer C ({TYPE: name | {ENV: name}}) to SET. */
static void names_of(json_t *c, json_t *set)
{
	const char *k, *e;
	json_t *v, *d;
	json_object_foreach(c, k, v) {
		if (json_is_string(v))
			json_object_set_new(set, json_string_value(v), json_true());
		json_object_foreach(v, e, d)
			if (json_is_string(d))
				json_object_set_new(set, json_string_value(d), json_true());
	}
}

json_t *prv_all_drivers(paved_ctx *ctx)
{
	json_t *set = json_object(), *all = paved->state_list(ctx, PRV_NS), *v, *out = json_array();
	const char *k;
	names_of(declared(ctx), set);
	names_of(configured(ctx), set);
	json_object_foreach(all, k, v)
		if (json_is_string(json_object_get(v, "driver")))
			json_object_set(set, json_string_value(json_object_get(v, "driver")), json_true());
	json_object_foreach(set, k, v)
		json_array_append_new(out, json_string(k));
	json_decref(set);
	json_decref(all);
	return out;
}
