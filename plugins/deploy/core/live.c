/*
 * live.c -- what runs, as the runtime says (runtime.status), never as the
 * records hope: the counts status and the no-op check use, the "in traffic
 * now" a failed deploy reports, and the scrape targets of the replicas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

json_t *dc_runtime_entry(paved_ctx *ctx, const char *svc, const char *env, char **errmsg)
{
	json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *st = NULL, *e, *found = NULL;
	size_t i;
	if (paved->call(ctx, "runtime.status", a, &st, errmsg) == PAVED_OK)
		json_array_foreach(st, i, e) {
			const char *s = json_string_value(json_object_get(e, "service"));
			const char *v = json_string_value(json_object_get(e, "env"));
			if (s && v && !strcmp(s, svc) && !strcmp(v, env))
				found = json_incref(e);
		}
	json_decref(a), json_decref(st);
	return found;
}

struct dc_counts dc_count(json_t *entry, const char *version)
{
	struct dc_counts c = { 0, 0, 0, 0 };
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(entry, "replicas"), i, r) {
		const char *v = json_string_value(json_object_get(r, "version"));
		bool in = json_is_true(json_object_get(r, "enabled"));
		bool ok = json_is_true(json_object_get(r, "healthy"));
		c.total++;
		c.in += in;
		c.healthy += in && ok;
		c.version_ok += in && ok && version && v && !strcmp(v, version);
	}
	return c;
}

char *dc_in_traffic(paved_ctx *ctx, const char *svc, const char *env)
{
	char *err = NULL;
	json_t *e = dc_runtime_entry(ctx, svc, env, &err), *by = json_object(), *r, *n;
	size_t i;
	if (!e) {
		char *s = err ? pc_printf("unknown (runtime.status: %s)", err) : strdup("nothing");
		free(err), json_decref(by);
		return s;
	}
	json_array_foreach(json_object_get(e, "replicas"), i, r) {
		const char *v = json_string_value(json_object_get(r, "version"));
		if (!json_is_true(json_object_get(r, "enabled")) || !v)
			continue;
		n = json_object_get(by, v);
		json_object_set_new(by, v, json_integer(json_integer_value(n) + 1));
	}
	char buf[512] = "";
	const char *v;
	size_t k = 0, total = json_object_size(by);
	json_object_foreach(by, v, n) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "%s%.12s (%d replica%s)",
		         k == 0 ? (total > 1 ? "versions " : "version ") : k + 1 == total ? " and " : ", ",
		         v, (int)json_integer_value(n), json_integer_value(n) == 1 ? "" : "s");
		k++;
	}
	json_decref(e), json_decref(by), free(err);
	return strdup(*buf ? buf : "nothing");
}

void dc_sync_targets(paved_ctx *ctx, const char *svc, const char *env)
{
	char *err = NULL;
	json_t *e = dc_runtime_entry(ctx, svc, env, &err), *targets = json_array(), *r;
	size_t i;
	if (err) {   /* what runs is unknown: leave the targets as they are */
		paved->log(ctx, PAVED_LOG_WARN, "scrape targets of %s (%s) not updated: %s", svc, env, err);
		goto done;
	}
	json_array_foreach(json_object_get(e, "replicas"), i, r) {
		const char *addr = json_string_value(json_object_get(r, "address"));
		json_int_t port = json_integer_value(json_object_get(r, "port"));
		char where[300];
		if (addr && strchr(addr, ':'))
			snprintf(where, sizeof where, "%s", addr);
		else if (port > 0)
			snprintf(where, sizeof where, "%s:%lld", addr ? addr : "127.0.0.1", (long long)port);
		else
			continue;
		json_t *t = json_pack("{ss}", "address", where);
		json_object_set_new(t, "labels", json_pack("{sO sO}", "version",
		                    json_object_get(r, "version"), "replica", json_object_get(r, "id")));
		json_array_append_new(targets, t);
	}
	json_t *a = json_pack("{ss ss sO}", "service", svc, "env", env, "targets", targets), *res = NULL;
	int rc = paved->call(ctx, "monitoring.targets", a, &res, &err);
	if (rc != PAVED_OK && rc != PAVED_NOHOOK)
		paved->log(ctx, PAVED_LOG_WARN, "scrape targets of %s (%s): %s", svc, env, err);
	json_decref(a), json_decref(res);
done:
	free(err);
	json_decref(e), json_decref(targets);
}

void dc_event(paved_ctx *ctx, const char *event, json_t *rec)
{
	static const char *const fields[] = { "id", "service", "env", "version", "sha", "trigger",
	                                      "strategy", "outcome", "reason", "from_version", NULL };
	json_t *f = json_object();
	for (size_t i = 0; fields[i]; i++)
		if (json_object_get(rec, fields[i]))
			json_object_set(f, fields[i], json_object_get(rec, fields[i]));
	paved->emit(ctx, event, f);
	json_decref(f);
}
