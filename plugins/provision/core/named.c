/*
 * named.c -- what `paved resources` does to resources by name, and to the
 * drivers' local servers: destroy (asking first when it holds data),
 * status, stop, start, list.
 */
#include <string.h>

#include "provision.h"

int prv_destroy_named(paved_ctx *ctx, const char *name, bool yes, json_t **result,
                      char **errmsg)
{
	json_t *done = NULL, *rec = NULL, *st = NULL, *d;
	int rc = PAVED_ERR;
	size_t i;
	if (prv_lock(ctx, errmsg))
		return PAVED_ERR;
	prv_recover(ctx, NULL, &done);
	if (!(rec = paved->state_get(ctx, PRV_NS, name))) {
		/* only an interrupted create of NAME, just rolled back: that was it */
		json_array_foreach(done, i, d)
			if (!strcmp(json_string_value(json_object_get(d, "name")), name) &&
			    !strcmp(json_string_value(json_object_get(d, "outcome")), "rolled back")) {
				*result = json_pack("{ss sO}", "destroyed", name, "rolled_back",
				                    json_object_get(d, "op"));
				rc = PAVED_OK;
			}
		if (rc != PAVED_OK)
			paved->error(errmsg, "no resource '%s' (see 'paved resources list')", name);
		goto out;
	}
	if (!yes && prv_call(ctx, "status", rec, NULL, &st, NULL) != PAVED_OK)
		st = json_pack("{sb}", "has_data", 1);      /* cannot say: as if it held data */
	if (!yes && !json_is_false(json_object_get(st, "has_data"))) {
		paved->error(errmsg, "refusing to destroy '%s', which holds data, without "
		             "confirmation: run again with --yes, or on a terminal to confirm by typing "
		             "its name; nothing was changed", name);
		*result = json_pack("{s[s]}", "confirm", name);
		goto out;
	}
	if (prv_destroy(ctx, rec, errmsg) == PAVED_OK) {
		*result = json_pack("{ss sO}", "destroyed", name, "type", json_object_get(rec, "type"));
		rc = PAVED_OK;
	}
out:
	prv_unlock();
	json_decref(done), json_decref(rec), json_decref(st);
	return rc;
}

int prv_status_named(paved_ctx *ctx, const char *name, json_t **result, char **errmsg)
{
	json_t *rec = paved->state_get(ctx, PRV_NS, name);
	if (!rec)
		return paved->error(errmsg, "no resource '%s' (see 'paved resources list')", name);
	int rc = prv_call(ctx, "status", rec, NULL, result, errmsg);
	json_decref(rec);
	return rc;
}

int prv_stop_all(paved_ctx *ctx, json_t **result, char **errmsg)
{
	json_t *drivers = prv_all_drivers(ctx), *d;
	json_int_t stopped = 0;
	int rc = PAVED_OK;
	size_t i;
	if (prv_lock(ctx, errmsg)) {
		json_decref(drivers);
		return PAVED_ERR;
	}
	json_array_foreach(drivers, i, d) {
		json_t *args = json_pack("{sO}", "driver", d), *r = NULL;
		char *e = NULL;
		int c = paved->call(ctx, "provision.stop", args, &r, &e);
		if (c == PAVED_OK)
			stopped += json_integer_value(json_object_get(r, "stopped"));
		else if (c != PAVED_NOHOOK && rc == PAVED_OK)   /* a driver not installed: nothing to stop */
			rc = paved->error(errmsg, "%s", e);
		free(e);
		json_decref(r), json_decref(args);
	}
	prv_unlock();
	json_decref(drivers);
	if (rc == PAVED_OK)
		*result = json_pack("{sI}", "stopped", stopped);
	return rc;
}

int prv_start_all(paved_ctx *ctx, json_t **result, char **errmsg)
{
	json_t *all = paved->state_list(ctx, PRV_NS), *rec, *r;
	const char *name;
	json_int_t started = 0;
	int rc = prv_lock(ctx, errmsg);
	if (rc != PAVED_OK) {
		json_decref(all);
		return rc;
	}
	json_object_foreach(all, name, rec) {
		r = NULL;
		if ((rc = prv_call(ctx, "start", rec, NULL, &r, errmsg)) != PAVED_OK)
			break;
		started += json_integer_value(json_object_get(r, "started"));
		json_decref(r);
	}
	prv_unlock();
	json_decref(all);
	if (rc == PAVED_OK)
		*result = json_pack("{sI}", "started", started);
	return rc;
}

int prv_list(paved_ctx *ctx, json_t **result)
{
	json_t *all = paved->state_list(ctx, PRV_NS), *v;
	const char *k;
	*result = json_array();
	json_object_foreach(all, k, v)
		json_array_append_new(*result, prv_public(v));
	json_decref(all);
	return PAVED_OK;
}
