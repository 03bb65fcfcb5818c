/*
 * api.c -- the function table handed to every plugin's init.
 *
 * Each entry is a thin wrapper over the host module that does the work;
 * the table is const, append-only and stamped with its size.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

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

static int api_provide(paved_host *h, const char *hook, paved_fn fn, void *data,
                       void (*free_data)(void *), char **errmsg)
{
	return pv_provide(h, h->current, hook, fn, data, free_data, errmsg);
}

static int api_observe(paved_host *h, const char *hook, int priority, paved_fn fn,
                       void *data, void (*free_data)(void *), char **errmsg)
{
	return pv_observe(h, h->current, hook, priority, fn, data, free_data, errmsg);
}

static paved_hook *api_resolve(paved_host *h, const char *hook)
{
	return pv_hook_get(h, hook, true);
}

static void api_emit(paved_host *h, const char *event, json_t *fields)
{
	pv_emit(h, h->current ? h->current->name : "paved", event, fields);
}

static void api_log(paved_host *h, enum paved_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap);
	va_end(ap);
	if (msg)
		pv_log(h, lvl, "%s: %s", h->current ? h->current->name : "paved", msg);
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

static json_t *api_option(paved_host *h, const char *name)
{
	return h->current ? json_object_get(h->current->optvals, name) : NULL;
}

static json_t *api_config(paved_host *h, const char *key)
{
	return pv_config_get(h->config, key);
}

static const char *api_home(paved_host *h)
{
	return h->home;
}

static struct sqlite3 *api_state_db(paved_host *h)
{
	return h->db;
}

const struct paved_api pv_api = {
	.abi        = PAVED_ABI_VERSION,
	.size       = sizeof(struct paved_api),
	.provide    = api_provide,
	.observe    = api_observe,
	.call       = pv_call,
	.resolve    = api_resolve,
	.call_hook  = pv_call_hook,
	.emit       = api_emit,
	.log        = api_log,
	.error      = api_error,
	.option     = api_option,
	.config     = api_config,
	.home       = api_home,
	.state_put  = pv_state_put,
	.state_get  = pv_state_get,
	.state_del  = pv_state_del,
	.state_list = pv_state_list,
	.state_db   = api_state_db,
};
