/*
 * cli.c -- paved rollout status, paved promote, paved abort, paved retry
 * (and the hidden `paved rollout _controller`, what a detached controller
 * runs).  Each calls the front deploy.VERB with strategy "canary", has
 * --help (it prints and changes nothing), strict options and --json.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"

/* One command: its usage, what it does, its options. */
struct cmd {
	const char *name, *usage, *about;
	const struct paved_flag *flags;
};

static int usage(json_t **result, char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage(json_t **result, char **errmsg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = pc_vprintf(fmt, ap);
	va_end(ap);
	json_decref(*result);
	*result = json_pack("{si}", "exit", 2);
	int rc = paved->error(errmsg, "%s", m ? m : "usage error");
	free(m);
	return rc;
}

static bool name_ok(const char *s, bool env)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      (env && s[i] == '_')))
			return false;
	return true;
}

/* Parse ARGV (from FROM on) for C: PAVED_OK with *P (new), or with *P
 * NULL after --help; a usage error otherwise.  *SVC and *ENV are checked. */
static int parse(paved_ctx *ctx, json_t *args, size_t from, const struct cmd *c, json_t **p,
                 const char **svc, const char **env, json_t **result, char **errmsg)
{
	json_t *argv = json_array(), *a;
	char *err = NULL;
	size_t i;
	json_array_foreach(json_object_get(args, "argv"), i, a)
		if (i >= from)
			json_array_append(argv, a);
	*p = NULL;
	int rc = paved->cli_parse(ctx, argv, c->flags, p, &err);
	json_decref(argv);
	if (rc) {
		rc = usage(result, errmsg, "%s", err ? err : "bad arguments");
		free(err);
		return rc;
	}
	if (json_is_true(json_object_get(*p, "help"))) {
		printf("Usage: %s\n\n%s\n\nOptions:\n", c->usage, c->about);
		paved->cli_help(ctx, stdout, c->flags);
		printf("%-26s%s\n", "  --json", "print JSON (a global option of paved)");
		json_decref(*p), *p = NULL;
		return PAVED_OK;
	}
	json_t *pos = json_object_get(*p, "args");
	*svc = json_string_value(json_array_get(pos, 0));
	*env = json_string_value(json_object_get(json_object_get(*p, "flags"), "env")) ?: "dev";
	if (json_array_size(pos) != 1)
		rc = usage(result, errmsg, "%s: %s", json_array_size(pos) ? "too many arguments" :
		           "missing argument", c->usage);
	else if (!name_ok(*svc, false))
		rc = usage(result, errmsg, "invalid service name '%s'", *svc);
	else if (!name_ok(*env, true))
		rc = usage(result, errmsg, "invalid env '%s': lowercase letters, digits, '-' and '_', "
		           "starting with a letter", *env);
	if (rc)
		json_decref(*p), *p = NULL;
	return rc;
}

/* Call the front deploy.VERB for SVC in ENV with EXTRA (may be NULL). */
static int front(paved_ctx *ctx, const char *verb, const char *svc, const char *env, json_t *extra,
                 json_t **res, char **errmsg)
{
	char hook[32], *err = NULL;
	snprintf(hook, sizeof hook, "deploy.%s", verb);
	json_t *a = json_pack("{ss ss ss}", "service", svc, "env", env, "strategy", "canary");
	if (extra)
		json_object_update(a, extra);
	int rc = paved->call(ctx, hook, a, res, &err);
	json_decref(a);
	if (rc) {
		const char *inner = err ? strstr(err, hook) : NULL;   /* drop "PLUGIN: HOOK: " */
		inner = inner && strstr(inner, ": ") ? strstr(inner, ": ") + 2 : err;
		paved->error(errmsg, "%s", inner ? inner : "failed");
	}
	free(err);
	return rc ? PAVED_ERR : PAVED_OK;
}

static const char *sv(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Print status S as text. */
static void show(json_t *s)
{
	json_t *steps = json_object_get(s, "steps"), *ids = json_object_get(s, "ids"), *r, *m;
	size_t n = json_array_size(steps), i, j;
	json_int_t k = json_integer_value(json_object_get(s, "step"));
	char buf[200];
	printf("%s (%s): version %s over stable %s: %s\n", sv(s, "service"), sv(s, "env"),
	       sv(s, "version"), sv(s, "stable_version"), sv(s, "phase"));
	if (k < (json_int_t)n) {
		cn_step_text(json_array_get(steps, (size_t)k), buf, sizeof buf);
		double left = 0;
		json_t *p = json_object_get(json_array_get(steps, (size_t)k), "pause");
		if (json_is_number(json_object_get(p, "duration")))
			left = json_number_value(json_object_get(s, "step_started")) +
			       json_number_value(json_object_get(p, "duration")) -
			       json_number_value(json_object_get(s, "now"));
		printf("  Step:       %lld/%zu %s%s", (long long)k + 1, n, buf, left > 0 ? "" : "\n");
		if (left > 0)
			printf(" (%.0f s left)\n", ceil(left));
	} else {
		printf("  Step:       %zu/%zu done\n", n, n);
	}
	if (sv(s, "message"))
		printf("  Paused:     %s\n", sv(s, "message"));
	double w = json_number_value(json_object_get(s, "weight"));
	size_t nc = json_array_size(json_object_get(ids, "canary"));
	size_t nb = json_array_size(json_object_get(ids, "baseline"));
	size_t ns = json_array_size(json_object_get(ids, "stable"));
	printf("  Traffic:    canary %g%% (%zu replica%s)", w, nc, nc == 1 ? "" : "s");
	if (nb)
		printf(", baseline %g%% (%zu)", 2 * w <= 100 ? w : 0, nb);
	printf(", stable %g%% (%zu replica%s)\n", 100 - w - (nb && 2 * w <= 100 ? w : 0), ns,
	       ns == 1 ? "" : "s");
	json_t *wt = json_object_get(s, "weights");
	if (json_object_size(wt)) {
		const char *id;
		json_t *x;
		printf("  Weights:   ");
		json_object_foreach(wt, id, x)
			printf(" %s=%lld", id, (long long)json_integer_value(x));
		printf("\n");
	}
	printf("  Steps:      ");
	json_array_foreach(steps, i, r) {
		cn_step_text(r, buf, sizeof buf);
		printf("%s%s%s%s", i ? " -> " : "", (json_int_t)i == k ? "[" : "", buf,
		       (json_int_t)i == k ? "]" : "");
	}
	printf("\n");
	json_array_foreach(json_object_get(s, "analysis"), i, r) {
		printf("  Analysis %s: %s%s%s\n", sv(r, "name"), sv(r, "phase"),
		       sv(r, "message") ? ": " : "", sv(r, "message") ? sv(r, "message") : "");
		json_array_foreach(json_object_get(r, "metrics"), j, m) {
			char last[64] = "-";
			json_t *l = json_object_get(m, "last");
			if (json_is_number(l))
				snprintf(last, sizeof last, "%.4g", json_number_value(l));
			else if (l && !json_is_null(l)) {
				char *t = json_dumps(l, JSON_COMPACT | JSON_ENCODE_ANY);
				snprintf(last, sizeof last, "%.60s", t ? t : "?");
				free(t);
			}
			printf("    %-14s %-12s %lld measured: %lld successful, %lld failed, %lld "
			       "inconclusive, %lld errors; last %s%s\n", sv(m, "name"), sv(m, "phase"),
			       (long long)json_integer_value(json_object_get(m, "count")),
			       (long long)json_integer_value(json_object_get(m, "successful")),
			       (long long)json_integer_value(json_object_get(m, "failed")),
			       (long long)json_integer_value(json_object_get(m, "inconclusive")),
			       (long long)json_integer_value(json_object_get(m, "error")), last,
			       json_is_true(json_object_get(m, "dryRun")) ? " (dry run)" : "");
			/* each measurement with its verdict, the last ten */
			json_t *list = json_object_get(m, "measurements"), *x;
			size_t n = json_array_size(list), k;
			json_array_foreach(list, k, x) {
				if (k + 10 < n)
					continue;
				time_t at = (time_t)json_number_value(json_object_get(x, "at"));
				struct tm tm;
				char when[16];
				localtime_r(&at, &tm);
				strftime(when, sizeof when, "%H:%M:%S", &tm);
				printf("      #%zu %s  %-12s %s\n", k + 1, when, sv(x, "phase"),
				       sv(x, "message") ?: "");
			}
		}
		json_t *jd = json_object_get(r, "judge");
		if (jd)
			printf("    judge: %s, score %.0f\n", sv(jd, "verdict"),
			       json_number_value(json_object_get(jd, "score")));
	}
	if (sv(s, "outcome"))
		printf("  Outcome:    %s%s%s\n", sv(s, "outcome"), sv(s, "reason") ? ": " : "",
		       sv(s, "reason") ? sv(s, "reason") : "");
	json_t *c = json_object_get(s, "controller");
	printf("  Controller: %s", json_is_true(json_object_get(c, "running")) ? "running" : "not running");
	if (json_is_true(json_object_get(c, "running")))
		printf(" (pid %lld)", (long long)json_integer_value(json_object_get(c, "pid")));
	printf("%s\n", json_is_true(json_object_get(s, "resumed")) ? ", restarted now: the last one "
	       "had died" : "");
}

static void print_json(json_t *v, bool compact)
{
	json_dumpf(v, stdout, (compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	fflush(stdout);
}

static const struct paved_flag status_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "watch", 'w', PAVED_FLAG_BOOL, NULL,
	  "print again at every change until the rollout ends (exit 0 when it succeeds)" },
	{ 0 }
};
static const struct cmd status_cmd = {
	"rollout", "paved rollout status SERVICE [--env ENV] [--watch]",
	"Shows SERVICE's canary rollout in ENV: its phase, the step it is at (and the\n"
	"time left of a pause), the traffic of the canary, baseline and stable replicas\n"
	"and their weights, each analysis run with each metric's measurements and\n"
	"verdict, and the controller.  A controller that died (killed) is started\n"
	"again: the rollout resumes.  With --watch, it prints at every change until the\n"
	"rollout ends (with --json, one JSON object per line).  Exit status: 0, or 1\n"
	"when the rollout was rolled back or aborted (with --watch) or there is none.",
	status_flags
};

static const struct paved_flag ctl_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ 0 }
};
static const struct cmd ctl_cmd = {
	"rollout", "paved rollout _controller SERVICE [--env ENV]",
	"Runs the controller of SERVICE's rollout in ENV in the foreground (paved starts\n"
	"it detached by itself; this is what it runs).", ctl_flags
};

/* paved rollout status | _controller. */
int cn_cli_rollout(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *sub = json_string_value(json_array_get(json_object_get(args, "argv"), 0));
	json_t *p = NULL, *s = NULL;
	const char *svc, *env;
	bool json = json_is_true(json_object_get(args, "json"));
	int rc;
	if (!sub || sub[0] == '-') {
		/* options before a subcommand: only --help is one */
		static const struct paved_flag none[] = { { 0 } };
		char *err = NULL;
		if (paved->cli_parse(ctx, json_object_get(args, "argv"), none, &p, &err)) {
			rc = usage(result, errmsg, "%s", err ? err : "bad arguments");
			free(err);
			return rc;
		}
		bool help = json_is_true(json_object_get(p, "help"));
		json_decref(p);
		if (!help)
			return usage(result, errmsg, "missing subcommand: paved rollout status SERVICE");
		printf("Usage: paved rollout status SERVICE [--env ENV] [--watch]\n\n"
		       "Canary rollouts (the deploy strategy canary):\n"
		       "  paved rollout status SERVICE   the rollout, its steps, weights and analysis\n"
		       "  paved promote SERVICE          go on past a pause or an inconclusive analysis\n"
		       "  paved abort SERVICE            all traffic back to stable at once\n"
		       "  paved retry SERVICE            an aborted rollout again from its first step\n");
		return PAVED_OK;
	}
	if (!strcmp(sub, "_controller")) {
		if ((rc = parse(ctx, args, 1, &ctl_cmd, &p, &svc, &env, result, errmsg)) || !p)
			return rc;
		const char *fd = getenv("PAVED_CANARY_READY_FD");
		rc = cn_control(ctx, svc, env, fd ? atoi(fd) : -1, errmsg);
		json_decref(p);
		return rc;
	}
	if (strcmp(sub, "status"))
		return usage(result, errmsg, "unknown subcommand '%s' (status)", sub);
	if ((rc = parse(ctx, args, 1, &status_cmd, &p, &svc, &env, result, errmsg)) || !p)
		return rc;
	bool watch = json_is_true(json_object_get(json_object_get(p, "flags"), "watch"));
	double last = -1;
	for (;;) {
		json_decref(s), s = NULL;
		if ((rc = front(ctx, "status", svc, env, NULL, &s, errmsg)))
			break;
		if (!json_is_object(s)) {
			rc = paved->error(errmsg, "%s has no canary rollout in %s", svc, env);
			break;
		}
		double up = json_number_value(json_object_get(s, "now"));
		json_t *hist = json_object_get(s, "history");
		double mark = (double)json_array_size(hist) * 1e6 +
		              json_number_value(json_object_get(s, "step")) * 1e3 + json_array_size(
		              json_object_get(s, "analysis"));
		(void)up;
		const char *ph = sv(s, "phase");
		bool ended = strcmp(ph, CN_PROGRESSING) && strcmp(ph, CN_PAUSED) &&
		             !json_is_true(json_object_get(json_object_get(s, "controller"), "running"));
		if (!watch || mark != last || ended) {
			if (json)
				print_json(s, watch);
			else {
				if (watch && last >= 0)
					printf("\n");
				show(s);
			}
			fflush(stdout);
			last = mark;
		}
		if (!watch || ended) {
			if (watch && strcmp(ph, CN_HEALTHY))
				*result = json_pack("{si}", "exit", 1);
			break;
		}
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	json_decref(p), json_decref(s);
	return rc;
}

static const struct paved_flag promote_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "full", 0, PAVED_FLAG_BOOL, NULL, "to 100% now: skip the remaining steps and analysis" },
	{ 0 }
};
static const struct cmd promote_cmd = {
	"promote", "paved promote SERVICE [--env ENV] [--full]",
	"Moves SERVICE's canary rollout in ENV past the step it waits at: a pause (also\n"
	"one without a duration), or an analysis that was inconclusive.  With --full it\n"
	"goes to 100% at once.  The controller carries on from there.", promote_flags
};

static const struct paved_flag env_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ 0 }
};
static const struct cmd abort_cmd = {
	"abort", "paved abort SERVICE [--env ENV]",
	"Sends all of SERVICE's traffic in ENV back to the stable version at once (one\n"
	"HAProxy weights batch), then removes the canary's replicas.  The release record\n"
	"says aborted.  'paved retry SERVICE' starts the rollout again.", env_flags
};
static const struct cmd retry_cmd = {
	"retry", "paved retry SERVICE [--env ENV]",
	"Starts SERVICE's aborted or rolled back canary rollout in ENV again from its\n"
	"first step, with the same release, while the stable replicas it began with\n"
	"still serve.", env_flags
};

/* promote, abort, retry: C parsed, then deploy.VERB. */
static int simple(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                  const struct cmd *c, const char *verb)
{
	json_t *p = NULL, *res = NULL, *extra = NULL;
	const char *svc, *env;
	int rc = parse(ctx, args, 0, c, &p, &svc, &env, result, errmsg);
	if (rc || !p)
		return rc;
	if (json_is_true(json_object_get(json_object_get(p, "flags"), "full")))
		extra = json_pack("{sb}", "full", 1);
	double t0 = cn_now();
	rc = front(ctx, verb, svc, env, extra, &res, errmsg);
	if (!rc && json_is_true(json_object_get(args, "json"))) {
		print_json(res, false);
	} else if (!rc && !strcmp(verb, "abort")) {
		printf("Aborted the rollout of %s version %s in %s: all traffic on stable version %s "
		       "(switched in %.1f ms; %.0f ms in all); the canary replicas are removed\n", svc,
		       sv(res, "version"), env, sv(res, "stable_version"),
		       json_number_value(json_object_get(res, "ms")), (cn_now() - t0) * 1000);
		printf("Start it again: paved retry %s --env %s\n", svc, env);
	} else if (!rc && !strcmp(verb, "retry")) {
		printf("Retrying the rollout of %s version %s in %s from its first step\n"
		       "Follow it: paved rollout status %s --env %s --watch\n", svc, sv(res, "version"),
		       env, svc, env);
	} else if (!rc) {
		printf("%s: %s\n", svc, sv(res, "promoted"));
	}
	json_decref(p), json_decref(res), json_decref(extra);
	return rc;
}

int cn_cli_promote(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return simple(ctx, args, result, errmsg, &promote_cmd, "promote");
}

int cn_cli_abort(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return simple(ctx, args, result, errmsg, &abort_cmd, "abort");
}

int cn_cli_retry(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	return simple(ctx, args, result, errmsg, &retry_cmd, "retry");
}
