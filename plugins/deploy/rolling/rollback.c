/* rollback.c -- deploy.rollback and paved rollback (included by rolling.c).
 *
 * Goes back to the deployment that was current before the current one
 * (the record's "previous").  When replicas of that version are still
 * running out of traffic (blue-green keeps the old colour for keep_seconds)
 * the switch is instant: one runtime-API line puts them in traffic and takes
 * the current ones out.  Otherwise its kept release
 * ($PAVED_HOME/runtime/ENV/SERVICE/releases/ID, already built) is deployed
 * again with the rolling strategy.  The rolled-back deployment's record gets
 * outcome rolled_back; deploy.rolled_back is emitted. */

static int h_rollback(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *svc = json_string_value(json_object_get(args, "name"));
	if (!svc)
		svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env")) ?: "dev";
	if (!svc || !*svc || strchr(svc, '/') || strchr(env, '/'))
		return paved->error(errmsg, "argument 'name' (a service name) is required");
	char key[256];
	snprintf(key, sizeof key, "current/%s/%s", env, svc);
	json_t *cur = paved->state_get(ctx, "deploy", key);
	json_t *prev = json_object_get(cur, "previous");
	if (!cur || !prev) {
		json_decref(cur);
		return paved->error(errmsg, "%s (%s) has %s: nothing to roll back to", svc, env,
		                  cur ? "no previous successful deployment" : "never been deployed");
	}
	const char *to = json_string_value(json_object_get(prev, "version")) ?: "";
	const char *from = json_string_value(json_object_get(cur, "version")) ?: "";
	double t0 = ru_now();
	json_t *se = json_pack("{ss ss}", "service", svc, "env", env), *st = NULL;
	pc_call(ctx, "runtime.prune", se, NULL, NULL);
	pc_call(ctx, "runtime.status", se, &st, NULL);
	json_t *standby = json_array(), *live = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(json_array_get(st, 0), "replicas"), i, r) {
		const char *v = json_string_value(json_object_get(r, "version")) ?: "";
		if (json_is_true(json_object_get(r, "enabled")))
			json_array_append(live, json_object_get(r, "id"));
		else if (!strcmp(v, to) && json_is_true(json_object_get(r, "healthy")))
			json_array_append(standby, json_object_get(r, "id"));
	}
	json_decref(st);
	int rc;
	char *err = NULL;
	const char *how;
	if (json_array_size(standby) && strcmp(to, from)) {
		how = "instant switch";
		json_t *a = json_pack("{ss ss sO sO}", "service", svc, "env", env, "enable", standby,
		                      "disable", live);
		rc = pc_call(ctx, "runtime.switch", a, NULL, &err);
		json_decref(a);
		json_array_foreach(rc ? standby : live, i, r) {
			json_t *ia = json_pack("{ss ss sO}", "service", svc, "env", env, "id", r);
			pc_call(ctx, "runtime.remove", ia, NULL, NULL);
			json_decref(ia);
		}
	} else {
		how = "rolling redeploy of the kept release";
		const char *rel = json_string_value(json_object_get(prev, "release"));
		const char *run = json_string_value(json_object_get(prev, "run"));
		struct stat sb;
		if (!rel || !run || stat(rel, &sb)) {
			rc = paved->error(&err, "the release of version %.12s is gone (%s)", to,
			                rel ? rel : "not recorded");
		} else {
			json_t *a = json_pack("{ss ss sO ss so so si sf si si}", "service", svc, "env", env,
			                      "version", json_object_get(prev, "version"), "dir", rel,
			                      "argv", argv_of(run), "env_vars", svc_env(ctx, svc, env),
			                      "replicas", json_is_integer(json_object_get(prev, "replicas")) ?
			                      (int)json_integer_value(json_object_get(prev, "replicas")) :
			                      opt_int(ctx, "replicas", 2),
			                      "health_timeout", (double)opt_int(ctx, "health_timeout", 30),
			                      "max_surge", opt_int(ctx, "max_surge", 1),
			                      "max_unavailable", opt_int(ctx, "max_unavailable", 0));
			rc = pc_call(ctx, "deploy.rolling", a, NULL, &err);
			json_decref(a);
		}
	}
	json_t *ev = json_pack("{ss ss ss ss ss}", "service", svc, "env", env, "version", to,
	                       "from_version", from, "step", how);
	paved->emit(ctx, "deploy.step", ev);
	if (rc) {
		paved->emit(ctx, "deploy.failed", ev);
		rc = paved->error(errmsg, "rollback of %s (%s) to %.12s failed: %s", svc, env, to,
		                err ? err : "?");
	} else {
		char *e = NULL;
		/* the rolled-back deployment's record */
		const char *cid = json_string_value(json_object_get(cur, "id"));
		json_t *crec = cid ? paved->state_get(ctx, "deploy", cid) : NULL;
		if (crec) {
			json_object_set_new(crec, "outcome", json_string("rolled_back"));
			json_object_set_new(crec, "rolled_back_at", json_real(ru_now()));
			json_object_set(crec, "rolled_back_to", json_object_get(prev, "version"));
			paved->state_put(ctx, "deploy", cid, crec, &e);
			free(e), e = NULL;
		}
		json_decref(crec);
		/* the previous deployment is current again (its own previous: one further back) */
		json_t *np = json_copy(prev);
		json_object_set_new(np, "restored_at", json_real(ru_now()));
		paved->state_put(ctx, "deploy", key, np, &e);
		free(e);
		json_object_set_new(ev, "seconds", json_real(ru_now() - t0));
		paved->emit(ctx, "deploy.rolled_back", ev);
		*result = json_pack("{sO ss ss ss sf}", "url", json_object_get(cur, "url") ?: json_null(),
		                    "version", to, "from_version", from, "how", how,
		                    "seconds", ru_now() - t0);
		json_decref(np);
	}
	free(err);
	json_decref(ev), json_decref(se), json_decref(standby), json_decref(live), json_decref(cur);
	return rc;
}

#define U_ROLLBACK "paved rollback SERVICE [--env ENV]"

static int cli_rollback(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	if (help(args, U_ROLLBACK))
		return PAVED_OK;
	json_t *argv = json_object_get(args, "argv");
	const char *svc = positional(argv), *env = flag(argv, "--env", NULL);
	if (!svc) {
		fprintf(stderr, "usage: " U_ROLLBACK "\n");
		*result = exit_code(2);
		return PAVED_OK;
	}
	json_t *a = json_pack("{ss}", "name", svc), *res = NULL;
	if (env)
		json_object_set_new(a, "env", json_string(env));
	int rc = h_rollback(ctx, a, &res, errmsg, data);
	json_decref(a);
	if (rc)
		return rc;
	printf("Rolled back %s to version %.12s (%s, %.2fs): %s\n", svc,
	       json_string_value(json_object_get(res, "version")),
	       json_string_value(json_object_get(res, "how")),
	       json_number_value(json_object_get(res, "seconds")),
	       json_string_value(json_object_get(res, "url")) ?: "");
	json_decref(res);
	return PAVED_OK;
}
