/*
 * cli_life.c -- paved rollback, restart, scale and stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

static const struct paved_flag env_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ 0 }
};

static const struct paved_flag rollback_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "to", 0, PAVED_FLAG_STRING, "VERSION",
	  "the release to go back to: a version or sha prefix (default: the previous successful one)" },
	{ 0 }
};

static const struct dc_cmd rollback_cmd = {
	"rollback", "paved rollback SERVICE [--env ENV] [--to VERSION]",
	"Goes back to the previous successful release of SERVICE in ENV (or to --to VERSION),\n"
	"reusing its built release: no checkout, no build. Rollback is the emergency path:\n"
	"  - a rollout in progress (a canary) is aborted first: all traffic back to its stable\n"
	"    release at once, its replicas and controller gone, its record says aborted; that\n"
	"    is the whole rollback, unless --to names an earlier release;\n"
	"  - the replicas of the release still up out of traffic (blue-green keeps the old\n"
	"    colour): traffic switches back to them at once;\n"
	"  - a release of a canary (a strategy with steps): its steps, pauses and analysis are\n"
	"    skipped, as Argo Rollouts' rollbackWindow does: every replica starts at once and\n"
	"    traffic switches in one batch (seconds, not the canary's schedule);\n"
	"  - otherwise the release's own strategy rolls it out.\n"
	"A failure says what is in traffic now, as the runtime reports it.",
	rollback_flags, 1, 1
};

static const struct dc_cmd restart_cmd = {
	"restart", "paved restart SERVICE [--env ENV]",
	"Replaces every replica of SERVICE's live release in ENV, one at a time: a new replica\n"
	"starts, answers its health check and enters traffic before an old one leaves. The\n"
	"release is reused as built. Refused while a rollout is in progress (a canary): the\n"
	"message names its step and the commands that end it ('paved promote SERVICE --full',\n"
	"'paved abort SERVICE'); nothing is changed.",
	env_flags, 1, 1
};

static const struct dc_cmd scale_cmd = {
	"scale", "paved scale SERVICE N [--env ENV]",
	"Runs N replicas (1 to 8) of SERVICE's live release in ENV: new ones start and enter\n"
	"traffic once healthy, or the newest leave. Like 'kubectl scale', it lasts until the next\n"
	"deploy, which goes back to platform.yaml's deploy.replicas. Refused while a rollout is\n"
	"in progress (a canary), as restart is; nothing is changed.",
	env_flags, 2, 2
};

/* "Aborted the canary rollout of SVC version V (ENV) at step 2/5: all
 * traffic on stable version S (switched in 3.1 ms), its replicas removed"
 * for the abort result A, into BUF. */
static void aborted_text(json_t *a, char *buf, size_t len)
{
	json_t *rm = json_object_get(a, "removed");
	snprintf(buf, len, "the %s rollout of version %s was aborted at %s: all traffic on stable "
	         "version %s (switched in %.1f ms), %s", json_string_value(json_object_get(a,
	         "strategy")) ?: "?", json_string_value(json_object_get(a, "version")) ?: "?",
	         json_string_value(json_object_get(a, "summary")) ?: "its step",
	         json_string_value(json_object_get(a, "stable_version")) ?: "?",
	         json_number_value(json_object_get(a, "ms")),
	         json_is_true(json_object_get(rm, "controller_running")) ?
	         "its replicas removed; its controller is still ending" :
	         "its replicas removed and its controller stopped");
}

/* rollback, restart and scale: parse, check SERVICE and --env, act, print
 * (text on success; with --json the result, also beside a failure). */
static int life(paved_ctx *ctx, json_t *args, const struct dc_cmd *cmd, json_t **result,
                char **errmsg)
{
	json_t *p = NULL, *res = NULL;
	const char *svc, *env;
	char text[1200] = "";
	long n = 0;
	int rc = dc_cli_parse(ctx, args, cmd, &p, result, errmsg);
	if (rc || !p)
		return rc;
	if ((rc = dc_service_env(p, &svc, &env, result, errmsg)))
		goto done;
	if (cmd == &scale_cmd) {
		char *end;
		n = strtol(dc_arg(p, 1), &end, 10);
		if (*end || n < 1 || n > 8) {
			rc = dc_usage(result, errmsg, "N must be a whole number from 1 to 8, not '%s'",
			              dc_arg(p, 1));
			goto done;
		}
		rc = dc_scale(ctx, svc, env, (int)n, &res, errmsg);
	} else if (cmd == &restart_cmd) {
		rc = dc_restart(ctx, svc, env, &res, errmsg);
	} else {
		rc = dc_rollback(ctx, svc, env, dc_flag(p, "to"), &res, errmsg);
	}
	const char *v = json_string_value(json_object_get(res, "version")) ?: "-";
	double secs = json_number_value(json_object_get(res, "seconds"));
	int reps = (int)json_integer_value(json_object_get(res, "replicas"));
	if (cmd == &scale_cmd)
		snprintf(text, sizeof text, "Scaled %s (%s) version %s from %d to %ld replicas (until "
		         "the next deploy, which goes back to platform.yaml's deploy.replicas)", svc, env,
		         v, (int)json_integer_value(json_object_get(res, "from")), n);
	else if (cmd == &restart_cmd)
		snprintf(text, sizeof text, "Restarted %s (%s) version %s: %d replica%s replaced one at "
		         "a time (%.1f s)", svc, env, v, reps, reps == 1 ? "" : "s", secs);
	else if (json_object_get(res, "aborted") &&
	         !strcmp(json_string_value(json_object_get(res, "outcome")) ?: "", "aborted")) {
		char ab[500];
		aborted_text(json_object_get(res, "aborted"), ab, sizeof ab);
		snprintf(text, sizeof text, "Rolled back %s (%s): %s", svc, env, ab);
	} else if (json_object_get(res, "aborted")) {
		char ab[500];
		aborted_text(json_object_get(res, "aborted"), ab, sizeof ab);
		if (!rc && !dc_json(args))
			printf("First, %s\n", ab);
		snprintf(text, sizeof text, "Rolled back %s (%s) from %s to version %s (%s, %.1f s): %s",
		         svc, env, json_string_value(json_object_get(res, "from_version")) ?: "-", v,
		         json_string_value(json_object_get(res, "how")) ?: "-", secs,
		         json_string_value(json_object_get(res, "url")) ?: "");
	} else
		snprintf(text, sizeof text, "Rolled back %s (%s) from %s to version %s (%s, %.1f s): %s",
		         svc, env, json_string_value(json_object_get(res, "from_version")) ?: "-", v,
		         json_string_value(json_object_get(res, "how")) ?: "-", secs,
		         json_string_value(json_object_get(res, "url")) ?: "");
	if (res && dc_json(args))
		dc_print_json(res);
	else if (res && !rc)
		puts(text);
done:
	json_decref(p), json_decref(res);
	return rc;
}

int dc_cli_rollback(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return life(ctx, args, &rollback_cmd, result, errmsg);
}

int dc_cli_restart(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return life(ctx, args, &restart_cmd, result, errmsg);
}

int dc_cli_scale(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return life(ctx, args, &scale_cmd, result, errmsg);
}

static const struct paved_flag stop_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "only this environment (default: every one)" },
	{ "all", 0, PAVED_FLAG_BOOL, NULL, "stop every service (and the runtime's front doors)" },
	{ 0 }
};

static const struct dc_cmd stop_cmd = {
	"stop", "paved stop SERVICE [--env ENV] | paved stop --all",
	"Stops SERVICE's replicas (in every env, or in ENV), or with --all every service's.\n"
	"A rollout in progress (a canary) is aborted first: its controller stops, its record\n"
	"says aborted.\n"
	"Its releases and records stay: 'paved deploy SERVICE' starts it again. With neither a\n"
	"SERVICE nor --all, nothing is stopped (a usage error).",
	stop_flags, 0, 1
};

int dc_cli_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL, *res = NULL;
	(void)data;
	int rc = dc_cli_parse(ctx, args, &stop_cmd, &p, result, errmsg);
	if (rc || !p)
		return rc;
	const char *svc = dc_arg(p, 0), *env = NULL;
	bool all = json_is_true(json_object_get(json_object_get(p, "flags"), "all"));
	if (!svc && !all) {
		rc = dc_usage(result, errmsg, "name a SERVICE to stop, or --all for every service");
		goto done;
	}
	if (svc && all) {
		rc = dc_usage(result, errmsg, "give a SERVICE or --all, not both");
		goto done;
	}
	if (all && dc_flag(p, "env")) {
		rc = dc_usage(result, errmsg, "--all stops every env: --env does not go with it");
		goto done;
	}
	if (svc && (rc = dc_check_service(svc, result, errmsg)))
		goto done;
	if (svc && dc_flag(p, "env") && !(env = dc_env_flag(p, result, errmsg))) {
		rc = PAVED_ERR;
		goto done;
	}
	rc = dc_stop(ctx, svc, env, &res, errmsg);
	if (!rc && dc_json(args)) {
		dc_print_json(res);
	} else if (!rc) {
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(res, "aborted"), i, s) {
			char ab[500];
			aborted_text(s, ab, sizeof ab);
			printf("%s (%s): %s\n", json_string_value(json_object_get(s, "service")),
			       json_string_value(json_object_get(s, "env")), ab);
		}
		json_array_foreach(json_object_get(res, "stopped"), i, s)
			printf("Stopped %s (%s)\n", json_string_value(json_object_get(s, "service")),
			       json_string_value(json_object_get(s, "env")));
		int n = (int)json_integer_value(json_object_get(res, "processes"));
		printf("%d process%s stopped%s\n", n, n == 1 ? "" : "es",
		       all ? "; every service is stopped" : "");
	}
done:
	json_decref(p), json_decref(res);
	return rc;
}
