/*
 * records.c -- release records, kept in the state database through
 * paved->state_put (every write's error is checked and reported).
 *
 *   namespace "deploy:SERVICE"
 *     ENV/ID         a release record: id, service, env, version, sha, ref,
 *                    author, commit_time, subject, trigger, strategy,
 *                    source, release, build, run, argv, health, port,
 *                    replicas, variables (names only: values may be
 *                    secrets), steps, outcome, reason, start, end, url
 *     @current/ENV   {"id": ID}: the release that is live in ENV
 *   namespace "deploy"
 *     SERVICE        {"envs": {ENV: true}, "deleted": TIME?}: the index
 *
 * IDs are UTC times with milliseconds and a random suffix
 * (20250105T134501.123Z-3f9a): keys sort by time, and neither the service
 * name nor its length has any part in them.  '@' cannot start an env name,
 * so pointers never clash with records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deploy.h"

/* Kept for its callers (deploy.h): the time is written by libpc. */
void dc_now_iso(char buf[32])
{
	pc_now_iso(buf);
}

void dc_new_id(char id[48])
{
	struct timespec ts;
	struct tm tm;
	char rnd[8];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (pc_random_hex(rnd, 2) != 0)
		snprintf(rnd, sizeof rnd, "%04x", (unsigned)(getpid() ^ ts.tv_nsec) & 0xffff);
	size_t n = strftime(id, 48, "%Y%m%dT%H%M%S", &tm);
	snprintf(id + n, 48 - n, ".%03ldZ-%s", ts.tv_nsec / 1000000, rnd);
}

/* "deploy:SVC" into BUF. */
static const char *ns_of(const char *svc, char buf[96])
{
	snprintf(buf, 96, "deploy:%s", svc);
	return buf;
}

int dc_record_put(paved_ctx *ctx, json_t *rec, char **errmsg)
{
	char ns[96], key[160], *err = NULL;
	snprintf(key, sizeof key, "%s/%s", json_string_value(json_object_get(rec, "env")),
	         json_string_value(json_object_get(rec, "id")));
	if (paved->state_put(ctx, ns_of(json_string_value(json_object_get(rec, "service")), ns), key,
	                     rec, &err) == PAVED_OK)
		return PAVED_OK;
	paved->error(errmsg, "cannot record release %s: %s", key, err ? err : "?");
	free(err);
	return PAVED_ERR;
}

json_t *dc_record_get(paved_ctx *ctx, const char *svc, const char *env, const char *id)
{
	char ns[96], key[160];
	snprintf(key, sizeof key, "%s/%s", env, id);
	return paved->state_get(ctx, ns_of(svc, ns), key);
}

json_t *dc_records(paved_ctx *ctx, const char *svc, const char *env)
{
	char ns[96];
	json_t *all = paved->state_list(ctx, ns_of(svc, ns)), *out = json_array(), *v;
	const char *key;
	size_t n = env ? strlen(env) : 0;
	/* state_list is ordered by key: ENV/ID sorts by time within an env */
	json_object_foreach(all, key, v) {
		if (key[0] == '@' || (env && (strncmp(key, env, n) != 0 || key[n] != '/')))
			continue;
		json_array_append(out, v);
	}
	json_decref(all);
	return out;
}

json_t *dc_current(paved_ctx *ctx, const char *svc, const char *env)
{
	char ns[96], key[96];
	snprintf(key, sizeof key, "@current/%s", env);
	json_t *p = paved->state_get(ctx, ns_of(svc, ns), key);
	const char *id = json_string_value(json_object_get(p, "id"));
	json_t *rec = id ? dc_record_get(ctx, svc, env, id) : NULL;
	json_decref(p);
	return rec;
}

int dc_set_current(paved_ctx *ctx, const char *svc, const char *env, const char *id,
                   char **errmsg)
{
	char ns[96], key[96], *err = NULL;
	snprintf(key, sizeof key, "@current/%s", env);
	json_t *v = json_pack("{ss}", "id", id);
	int rc = paved->state_put(ctx, ns_of(svc, ns), key, v, &err);
	json_decref(v);
	if (rc)
		paved->error(errmsg, "cannot record %s as the live release of %s in %s: %s", id, svc,
		             env, err ? err : "?");
	free(err);
	return rc;
}

json_t *dc_index(paved_ctx *ctx)
{
	return paved->state_list(ctx, "deploy");
}

json_t *dc_index_get(paved_ctx *ctx, const char *svc)
{
	return paved->state_get(ctx, "deploy", svc);
}

/* Write the index entry IX of SVC. */
static int index_put(paved_ctx *ctx, const char *svc, json_t *ix, char **errmsg)
{
	char *err = NULL;
	int rc = paved->state_put(ctx, "deploy", svc, ix, &err);
	if (rc)
		paved->error(errmsg, "cannot update the deploy index for %s: %s", svc, err ? err : "?");
	free(err);
	return rc;
}

int dc_index_env(paved_ctx *ctx, const char *svc, const char *env, bool add, char **errmsg)
{
	json_t *ix = dc_index_get(ctx, svc);
	int rc = PAVED_OK;
	if (!json_is_object(ix))
		json_decref(ix), ix = json_object();
	json_t *envs = json_object_get(ix, "envs");
	if (!json_is_object(envs))
		json_object_set_new(ix, "envs", envs = json_object());
	bool had = json_object_get(envs, env) != NULL, deleted = json_object_get(ix, "deleted");
	if (add && (!had || deleted)) {
		json_object_set_new(envs, env, json_true());
		json_object_del(ix, "deleted");   /* a service of that name again */
		rc = index_put(ctx, svc, ix, errmsg);
	} else if (!add && had) {
		json_object_del(envs, env);
		if (json_object_size(envs) == 0) {
			char *err = NULL;
			if ((rc = paved->state_del(ctx, "deploy", svc, &err)))
				paved->error(errmsg, "cannot update the deploy index for %s: %s", svc, err);
			free(err);
		} else {
			rc = index_put(ctx, svc, ix, errmsg);
		}
	}
	json_decref(ix);
	return rc;
}

int dc_index_deleted(paved_ctx *ctx, const char *svc, char **errmsg)
{
	json_t *ix = dc_index_get(ctx, svc);
	char now[32];
	if (!json_is_object(ix))
		json_decref(ix), ix = json_pack("{s{}}", "envs");
	dc_now_iso(now);
	json_object_set_new(ix, "deleted", json_string(now));
	int rc = index_put(ctx, svc, ix, errmsg);
	json_decref(ix);
	return rc;
}

int dc_records_forget(paved_ctx *ctx, const char *svc, const char *env, char **errmsg)
{
	char ns[96], cur[96];
	json_t *all = paved->state_list(ctx, ns_of(svc, ns)), *v;
	const char *key;
	size_t n = strlen(env);
	int rc = PAVED_OK;
	snprintf(cur, sizeof cur, "@current/%s", env);
	json_object_foreach(all, key, v) {
		if (strcmp(key, cur) != 0 && (strncmp(key, env, n) != 0 || key[n] != '/'))
			continue;
		char *err = NULL;
		if (paved->state_del(ctx, ns, key, &err) && !rc)
			rc = paved->error(errmsg, "cannot forget the record %s of %s: %s", key, svc,
			                  err ? err : "?");
		free(err);
	}
	json_decref(all);
	return rc ? rc : dc_index_env(ctx, svc, env, false, errmsg);
}
