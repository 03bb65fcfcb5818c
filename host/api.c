/*
 * api.c -- the function table handed to every plugin's init.
 *
 * Each entry is a thin wrapper over the host module that does the work,
 * taking the caller's handle (paved_ctx) and acting for that plugin; the
 * table is const, append-only and stamped with its size.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "proc.h"

static const char *const level_names[] = { "error", "warning", "info", "debug" };

/* Log a line to stderr (when the verbosity allows) and to paved.log. */
void pv_log(pv_host *h, enum paved_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	if ((int)lvl <= (h ? h->verbosity : 1))
		fprintf(stderr, "paved: %s%s%s\n", lvl == PAVED_LOG_ERROR ? "" : level_names[lvl],
		        lvl == PAVED_LOG_ERROR ? "" : ": ", msg);
	if (h && h->logf) {
		char now[32];
		pv_now_iso(now);
		fprintf(h->logf, "%s %s %s\n", now, level_names[lvl], msg);
		fflush(h->logf);
	}
	free(msg);
}

/* The host behind a handle.  Every plugin's handle and the host's own
 * point back at it. */
#define HOST(ctx) ((ctx)->host)

/* The name events and log lines of CTX are attributed to. */
static const char *who(paved_ctx *ctx)
{
	return ctx->plugin ? ctx->plugin->name : "paved";
}

static int api_provide(paved_ctx *ctx, const char *hook, paved_fn fn, void *data,
                       void (*free_data)(void *), char **errmsg)
{
	return pv_provide(HOST(ctx), ctx->plugin, hook, fn, data, free_data, errmsg);
}

static int api_observe(paved_ctx *ctx, const char *hook, int priority, paved_fn fn,
                       void *data, void (*free_data)(void *), char **errmsg)
{
	return pv_observe(HOST(ctx), ctx->plugin, hook, priority, fn, data, free_data, errmsg);
}

static int api_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result,
                    char **errmsg)
{
	return pv_call(HOST(ctx), hook, args, result, errmsg);
}

static paved_hook *api_resolve(paved_ctx *ctx, const char *hook)
{
	return pv_hook_get(HOST(ctx), hook, true);
}

static int api_call_hook(paved_ctx *ctx, paved_hook *hook, json_t *args, json_t **result,
                         char **errmsg)
{
	return pv_call_hook(HOST(ctx), hook, args, result, errmsg);
}

static void api_emit(paved_ctx *ctx, const char *event, json_t *fields)
{
	pv_emit(HOST(ctx), who(ctx), event, fields);
}

static void api_log(paved_ctx *ctx, enum paved_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap);
	va_end(ap);
	if (msg)
		pv_log(HOST(ctx), lvl, "%s: %s", who(ctx), msg);
	free(msg);
}

static int api_error(char **errmsg, const char *fmt, ...)
{
	if (!errmsg)
		return PAVED_ERR;
	va_list ap;
	va_start(ap, fmt);
	char *s = pv_vasprintf(fmt, ap);
	va_end(ap);
	free(*errmsg);
	*errmsg = s ? s : strdup("out of memory");
	return PAVED_ERR;
}

static json_t *api_option(paved_ctx *ctx, const char *name)
{
	return ctx->plugin ? json_object_get(ctx->plugin->optvals, name) : NULL;
}

static json_t *api_config(paved_ctx *ctx, const char *key)
{
	return pv_config_get(HOST(ctx)->config, key);
}

static const char *api_home(paved_ctx *ctx)
{
	return HOST(ctx)->home;
}

static int api_state_put(paved_ctx *ctx, const char *ns, const char *key, json_t *value,
                         char **errmsg)
{
	return pv_state_put(HOST(ctx), ns ? ns : who(ctx), key, value, errmsg);
}

static json_t *api_state_get(paved_ctx *ctx, const char *ns, const char *key)
{
	return pv_state_get(HOST(ctx), ns ? ns : who(ctx), key);
}

static int api_state_del(paved_ctx *ctx, const char *ns, const char *key, char **errmsg)
{
	return pv_state_del(HOST(ctx), ns ? ns : who(ctx), key, errmsg);
}

static json_t *api_state_list(paved_ctx *ctx, const char *ns)
{
	return pv_state_list(HOST(ctx), ns ? ns : who(ctx));
}

static struct sqlite3 *api_state_db(paved_ctx *ctx)
{
	return HOST(ctx)->db;
}

static int api_run(paved_ctx *ctx, const struct paved_cmd *cmd, struct paved_run_result *res,
                   char **errmsg)
{
	(void)ctx;
	return pv_proc_run(cmd, res, errmsg) ? PAVED_ERR : PAVED_OK;
}

static int api_run_start(paved_ctx *ctx, const struct paved_cmd *cmd, paved_proc **proc,
                         char **errmsg)
{
	(void)ctx;
	return pv_proc_start(cmd, proc, errmsg) ? PAVED_ERR : PAVED_OK;
}

static int api_run_wait(paved_ctx *ctx, paved_proc *proc, struct paved_run_result *res,
                        char **errmsg)
{
	(void)ctx;
	return pv_proc_wait(proc, res, errmsg) ? PAVED_ERR : PAVED_OK;
}

static int api_read_yaml(paved_ctx *ctx, const char *path, const struct paved_yaml_opts *opts,
                         json_t **out, char **errmsg)
{
	(void)ctx;
	return pv_yaml_read(path, opts, out, errmsg);
}

static int api_write_yaml(paved_ctx *ctx, FILE *out, json_t *docs, unsigned flags,
                          char **errmsg)
{
	(void)ctx;
	return pv_yaml_write(out, docs, flags, errmsg);
}

static json_t *api_shape(paved_ctx *ctx, const char *hook)
{
	return pv_shape_of(HOST(ctx), hook);
}

static const char *api_name(paved_ctx *ctx)
{
	return who(ctx);
}

static int api_cli_parse(paved_ctx *ctx, json_t *argv, const struct paved_flag *flags,
                         json_t **out, char **errmsg)
{
	(void)ctx;
	return pv_cli_parse(argv, flags, out, errmsg);
}

static int api_provide_command(paved_ctx *ctx, const char *name, const char *summary,
                               paved_fn fn, void *data, void (*free_data)(void *), char **errmsg)
{
	return pv_provide_command(HOST(ctx), ctx->plugin, name, summary, fn, data, free_data, errmsg);
}

static void api_cli_help(paved_ctx *ctx, FILE *out, const struct paved_flag *flags)
{
	(void)ctx;
	pv_cli_help(out, flags);
}

const struct paved_api pv_api = {
	.abi        = PAVED_ABI_VERSION,
	.size       = sizeof(struct paved_api),
	.provide    = api_provide,
	.observe    = api_observe,
	.call       = api_call,
	.resolve    = api_resolve,
	.call_hook  = api_call_hook,
	.emit       = api_emit,
	.log        = api_log,
	.error      = api_error,
	.option     = api_option,
	.config     = api_config,
	.home       = api_home,
	.state_put  = api_state_put,
	.state_get  = api_state_get,
	.state_del  = api_state_del,
	.state_list = api_state_list,
	.state_db   = api_state_db,
	.run        = api_run,
	.run_start  = api_run_start,
	.run_wait   = api_run_wait,
	.read_yaml  = api_read_yaml,
	.write_yaml = api_write_yaml,
	.shape      = api_shape,
	.name       = api_name,
	.cli_parse  = api_cli_parse,
	.cli_help   = api_cli_help,
	.provide_command = api_provide_command,
};
