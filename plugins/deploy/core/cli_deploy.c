/*
 * cli_deploy.c -- paved deploy and paved releases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

static const struct paved_flag deploy_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment to deploy to (default dev)" },
	{ "version", 0, PAVED_FLAG_STRING, "REF",
	  "commit to deploy: a branch, tag, sha or sha prefix (default: the default branch's head)" },
	{ "strategy", 0, PAVED_FLAG_STRING, "S", "rolling, bluegreen, ... (default: platform.yaml's)" },
	{ "dir", 0, PAVED_FLAG_STRING, "DIR",
	  "deploy a commit of this working copy instead of the forge repository" },
	{ "trigger", 0, PAVED_FLAG_STRING, "T",
	  "what started the deploy: cli (default) or push (the forge's post-receive hook)" },
	{ 0 }
};

static const struct dc_cmd deploy_cmd = {
	"deploy", "paved deploy SERVICE [--env ENV] [--version REF] [--strategy S] [--dir DIR]",
	"Builds a commit of SERVICE's forge repository (default: the head of its default branch)\n"
	"in a clean checkout and rolls it out to ENV. Build and run commands, port, health path,\n"
	"replicas, strategy and variables come from that commit's platform.yaml (deploy: and\n"
	"environments.ENV.deploy:). Deploying the version that is already live and healthy does\n"
	"nothing and says so. With --dir, a commit of that working copy is deployed (its HEAD by\n"
	"default, unpushed commits included); uncommitted changes are refused, listed.\n"
	"A rollout still in progress (a canary) gives way, as a new revision does in Argo\n"
	"Rollouts: it is aborted (all traffic back to its stable release, its replicas and\n"
	"controller gone, its record says aborted: superseded) and this release starts from\n"
	"its first step.\n"
	"Exit status: 0 deployed (or nothing to do), 1 failed, 2 usage error.",
	deploy_flags, 1, 1
};

int dc_cli_deploy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL, *res = NULL;
	(void)data;
	int rc = dc_cli_parse(ctx, args, &deploy_cmd, &p, result, errmsg);
	if (rc || !p)
		return rc;
	struct dc_req q = { dc_arg(p, 0), NULL, dc_flag(p, "version"), dc_flag(p, "strategy"),
	                    dc_flag(p, "dir"), dc_flag(p, "trigger") };
	const char *trig = q.trigger ? q.trigger : "cli";
	if ((rc = dc_service_env(p, &q.svc, &q.env, result, errmsg)))
		goto done;
	if (strcmp(trig, "cli") && strcmp(trig, "push")) {
		rc = dc_usage(result, errmsg, "--trigger must be cli or push, not '%s'", trig);
		goto done;
	}
	if (q.strategy && !dc_valid_name(q.strategy, true)) {
		rc = dc_usage(result, errmsg, "invalid strategy '%s'", q.strategy);
		goto done;
	}
	if (q.ref && (!*q.ref || q.ref[0] == '-')) {
		rc = dc_usage(result, errmsg, "--version needs a commit (a branch, tag or sha), not '%s'",
		              q.ref);
		goto done;
	}
	q.trigger = trig;
	rc = dc_deploy(ctx, &q, &res, errmsg);
	if (dc_json(args) && res) {
		dc_print_json(res);
	} else if (!rc) {
		const char *o = json_string_value(json_object_get(res, "outcome"));
		if (json_is_string(json_object_get(res, "superseded")))
			printf("Superseded the rollout of %s version %s in progress: aborted, its replicas "
			       "removed\n", q.svc, json_string_value(json_object_get(res, "superseded")));
		const char *v = json_string_value(json_object_get(res, "version"));
		if (!strcmp(o, "success"))
			printf("Deployed %s version %s to %s (%s, %d replica%s, %.1f s): %s\n", q.svc, v, q.env,
			       json_string_value(json_object_get(res, "strategy")),
			       (int)json_integer_value(json_object_get(res, "replicas")),
			       json_integer_value(json_object_get(res, "replicas")) == 1 ? "" : "s",
			       json_number_value(json_object_get(res, "seconds")),
			       json_string_value(json_object_get(res, "url")) ?: "");
		else if (!strcmp(o, "progressing"))   /* the strategy goes on in the background */
			printf("Rolling out %s version %s to %s (%s): %s\nFollow it: paved rollout status %s "
			       "--env %s --watch\n", q.svc, v, q.env,
			       json_string_value(json_object_get(res, "strategy")),
			       json_string_value(json_object_get(res, "reason")) ?: "in progress", q.svc,
			       q.env);
		else if (!strcmp(o, "noop"))
			printf("Nothing to do: %s (%s): %s; %s\n", q.svc, q.env,
			       json_string_value(json_object_get(res, "reason")),
			       json_string_value(json_object_get(res, "url")) ?: "");
		else
			printf("Not deployed: %s version %s (%s): %s\n", q.svc, v, o,
			       json_string_value(json_object_get(res, "reason")) ?: "");
	}
done:
	json_decref(p), json_decref(res);
	return rc;
}

static const struct paved_flag releases_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "limit", 'n', PAVED_FLAG_INT, "N", "show the N newest (default 20)" },
	{ 0 }
};

static const struct dc_cmd releases_cmd = {
	"releases", "paved releases SERVICE [--env ENV] [--limit N]",
	"Lists SERVICE's releases in ENV, newest first: version (commit), author, commit time,\n"
	"deploy time, strategy, trigger (cli, push, create, rollback, restart) and outcome\n"
	"(success, failed, rolled_back, superseded, skipped; running while a deploy runs).\n"
	"The live release is marked with '*'.",
	releases_flags, 1, 1
};

int dc_cli_releases(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL, *recs = NULL, *out = json_array(), *cur = NULL;
	const char *svc, *env;
	(void)data;
	int rc = dc_cli_parse(ctx, args, &releases_cmd, &p, result, errmsg);
	if (rc || !p)
		goto done;
	json_t *lim = json_object_get(json_object_get(p, "flags"), "limit");
	long limit = lim ? (long)json_integer_value(lim) : 20;
	if ((rc = dc_service_env(p, &svc, &env, result, errmsg)))
		goto done;
	if (limit < 1) {
		rc = dc_usage(result, errmsg, "--limit must be 1 or more, not %ld", limit);
		goto done;
	}
	if (!dc_service_exists(ctx, svc)) {
		rc = paved->error(errmsg, "no service '%s'", svc);
		goto done;
	}
	recs = dc_records(ctx, svc, env);
	cur = dc_current(ctx, svc, env);
	static const char *const keys[] = { "id", "version", "sha", "author", "commit_time", "subject",
	                                    "start", "end", "strategy", "trigger", "outcome", "reason",
	                                    "from_version", "seconds", NULL };
	for (size_t i = json_array_size(recs); i-- > 0 && (long)json_array_size(out) < limit; ) {
		json_t *r = json_array_get(recs, i), *o = json_object();
		for (size_t k = 0; keys[k]; k++)
			if (json_object_get(r, keys[k]))
				json_object_set(o, keys[k], json_object_get(r, keys[k]));
		json_object_set_new(o, "live", json_boolean(cur && json_equal(json_object_get(cur, "id"),
		                                                           json_object_get(r, "id"))));
		json_array_append_new(out, o);
	}
	if (dc_json(args)) {
		dc_print_json(out);
		goto done;
	}
	if (!json_array_size(out)) {
		printf("%s has no releases in %s\n", svc, env);
		goto done;
	}
	printf("  %-12s  %-13s  %-8s  %-9s  %-11s  %-20s  %-10s  %s\n", "VERSION", "DEPLOYED", "TRIGGER",
	       "STRATEGY", "OUTCOME", "AUTHOR", "COMMITTED", "SUBJECT");
	size_t i;
	json_t *o;
	json_array_foreach(out, i, o) {
		char ago[32], author[21];
		const char *a = json_string_value(json_object_get(o, "author")) ?: "-";
		snprintf(author, sizeof author, "%.*s", (int)strcspn(a, "<") > 1 ? (int)strcspn(a, "<") - 1
		         : (int)strlen(a), a);
		printf("%s %-12s  %-13s  %-8s  %-9s  %-11s  %-20s  %-10.10s  %.50s\n",
		       json_is_true(json_object_get(o, "live")) ? "*" : " ",
		       json_string_value(json_object_get(o, "version")) ?: "-",
		       dc_ago(json_string_value(json_object_get(o, "end")) ?:
		              json_string_value(json_object_get(o, "start")), ago, sizeof ago),
		       json_string_value(json_object_get(o, "trigger")) ?: "-",
		       json_string_value(json_object_get(o, "strategy")) ?: "-",
		       json_string_value(json_object_get(o, "outcome")) ?: "-", author,
		       json_string_value(json_object_get(o, "commit_time")) ?: "-",
		       json_string_value(json_object_get(o, "subject")) ?: "");
	}
done:
	json_decref(p), json_decref(recs), json_decref(out), json_decref(cur);
	return rc;
}
