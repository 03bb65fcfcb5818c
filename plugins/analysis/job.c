/*
 * job.c -- the provider "job": runs the metric's command (argv, no shell;
 * smoke tests, for example) through paved->run in the canary's release
 * directory, with SERVICE, ENV, VERSION, STABLE_VERSION, URL (the
 * service's stable URL) and CANARY_ADDRESSES (127.0.0.1:PORT,... of the
 * measured replicas) set.  Exit 0 passes; another status or the timeout
 * (the metric's timeout, 60 s) fails: the value is {ok, status,
 * timed_out, output (the last line)}, the canary's default condition is
 * `result.ok`.  A command that cannot start is a measurement error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

PAVED_PLUGIN_INIT3;

int an_job_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	(void)ctx, (void)result;
	json_t *c = json_object_get(json_object_get(args, "metric"), "command"), *x;
	size_t i;
	if (json_is_string(c) && *json_string_value(c))
		return PAVED_OK;
	if (!json_is_array(c) || !json_array_size(c))
		return paved->error(errmsg, "command is missing: the provider job needs a command "
		                    "(a list of strings, or one string split on spaces)");
	json_array_foreach(c, i, x)
		if (!json_is_string(x))
			return paved->error(errmsg, "command[%zu] must be a string", i);
	return PAVED_OK;
}

int an_job_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	json_t *m = json_object_get(args, "metric"), *c = json_object_get(m, "command"), *r;
	const char *argv[64];
	char *copy = NULL, *save = NULL, *env[8] = { 0 }, addrs[1024] = "";
	size_t n = 0, i;
	if (json_is_string(c)) {
		copy = strdup(json_string_value(c));
		for (char *w = strtok_r(copy, " \t", &save); w && n < 63; w = strtok_r(NULL, " \t", &save))
			argv[n++] = w;
	} else {
		json_array_foreach(c, i, r)
			if (n < 63 && json_is_string(r))
				argv[n++] = json_string_value(r);
	}
	argv[n] = NULL;
	if (!n) {
		free(copy);
		return an_job_check(ctx, args, result, errmsg);
	}
	json_array_foreach(json_object_get(args, "replicas"), i, r) {
		size_t l = strlen(addrs);
		snprintf(addrs + l, sizeof addrs - l, "%s127.0.0.1:%d", l ? "," : "",
		         (int)json_integer_value(json_object_get(r, "port")));
	}
	env[0] = pc_printf("SERVICE=%s", json_string_value(json_object_get(args, "service")) ?: "");
	env[1] = pc_printf("ENV=%s", json_string_value(json_object_get(args, "env")) ?: "");
	env[2] = pc_printf("VERSION=%s", json_string_value(json_object_get(args, "version")) ?: "");
	env[3] = pc_printf("STABLE_VERSION=%s",
	                   json_string_value(json_object_get(args, "stable_version")) ?: "");
	env[4] = pc_printf("URL=%s", json_string_value(json_object_get(args, "url")) ?: "");
	env[5] = pc_printf("CANARY_ADDRESSES=%s", addrs);
	struct paved_run_result res = { 0 };
	const char *dir = json_string_value(json_object_get(args, "dir"));
	int rc = paved->run(ctx, &(struct paved_cmd){ .argv = argv, .cwd = dir,
	                    .env = (const char *const *)env,
	                    .timeout_ms = (long)(an_timeout(m, 60) * 1000) }, &res, errmsg);
	if (!rc) {
		char *last = pc_last_line(res.out && *res.out ? res.out : res.err);
		*result = json_pack("{s{sb si sb ss}}", "value", "ok", res.status == 0 && !res.timed_out,
		                    "status", res.status, "timed_out", res.timed_out, "output",
		                    last ? last : "");
		free(last);
	}
	free(res.out), free(res.err), free(copy);
	for (i = 0; env[i]; i++)
		free(env[i]);
	return rc;
}
