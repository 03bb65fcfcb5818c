/*
 * cli.c -- what the deploy commands share: option parsing through the
 * host's parser (paved->cli_parse: unknown options exit 2 naming the
 * closest known one), --help that prints and changes nothing, usage
 * errors as {"exit": 2}, and JSON output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deploy.h"

int dc_usage(json_t **result, char **errmsg, const char *fmt, ...)
{
	va_list ap;
	char buf[600];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_decref(*result);
	*result = json_pack("{si}", "exit", 2);
	return paved->error(errmsg, "%s", buf);
}

int dc_cli_parse(paved_ctx *ctx, json_t *args, const struct dc_cmd *cmd, json_t **p,
                 json_t **result, char **errmsg)
{
	char *err = NULL;
	*p = NULL;
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), cmd->flags, p, &err) != PAVED_OK) {
		int rc = dc_usage(result, errmsg, "%s", err ? err : "bad arguments");
		free(err);
		return rc;
	}
	if (json_is_true(json_object_get(*p, "help"))) {
		printf("Usage: %s\n\n%s\n\nOptions:\n", cmd->usage, cmd->about);
		paved->cli_help(ctx, stdout, cmd->flags);
		printf("%-26s%s\n", "  --json", "print JSON (a global option of paved)");
		json_decref(*p);
		*p = NULL;
		return PAVED_OK;
	}
	size_t n = json_array_size(json_object_get(*p, "args"));
	if ((int)n < cmd->min_args || (cmd->max_args >= 0 && (int)n > cmd->max_args)) {
		json_decref(*p);
		*p = NULL;
		if ((int)n < cmd->min_args)
			return dc_usage(result, errmsg, "missing argument: %s", cmd->usage);
		return dc_usage(result, errmsg, "too many arguments: %s", cmd->usage);
	}
	return PAVED_OK;
}

const char *dc_flag(json_t *p, const char *name)
{
	return json_string_value(json_object_get(json_object_get(p, "flags"), name));
}

const char *dc_arg(json_t *p, size_t i)
{
	return json_string_value(json_array_get(json_object_get(p, "args"), i));
}

const char *dc_env_flag(json_t *p, json_t **result, char **errmsg)
{
	const char *env = dc_flag(p, "env");
	if (!env)
		return "dev";
	if (!dc_valid_name(env, true)) {
		dc_usage(result, errmsg, "invalid env '%s': lowercase letters, digits, '-' and '_', "
		         "starting with a letter", env);
		return NULL;
	}
	return env;
}

int dc_service_env(json_t *p, const char **svc, const char **env, json_t **result, char **errmsg)
{
	*svc = dc_arg(p, 0);
	if (dc_check_service(*svc, result, errmsg) || !(*env = dc_env_flag(p, result, errmsg)))
		return PAVED_ERR;
	return PAVED_OK;
}

int dc_check_service(const char *svc, json_t **result, char **errmsg)
{
	if (svc && dc_valid_name(svc, false))
		return PAVED_OK;
	return dc_usage(result, errmsg, "invalid service name '%s': lowercase letters, digits and "
	                "'-', starting with a letter (at most 63)", svc ? svc : "");
}

void dc_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
}

bool dc_json(json_t *args)
{
	return json_is_true(json_object_get(args, "json"));
}

const char *dc_ago(const char *t, char *buf, size_t len)
{
	struct tm tm = { 0 };
	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	long d = (long)(time(NULL) - timegm(&tm));
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, len, "%ld s ago", d);
	else if (d < 7200)
		snprintf(buf, len, "%ld min ago", d / 60);
	else if (d < 172800)
		snprintf(buf, len, "%ld h ago", d / 3600);
	else
		snprintf(buf, len, "%ld days ago", d / 86400);
	return buf;
}
