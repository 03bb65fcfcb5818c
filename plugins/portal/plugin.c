/*
 * plugin.c -- the portal plugin: `paved serve` (the developer portal and
 * its HTTP API) and `paved token` (API tokens), and the sink of catalog
 * events that keeps a running server's index current (sync.c).
 */
#include "config.h"

#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc.h"
#include "portal.h"

PAVED_PLUGIN_INIT1;

#ifndef PORTAL_STATIC_DIR
#define PORTAL_STATIC_DIR "/usr/local/share/paved/portal/static"
#endif

/* Where the pages' assets are: beside the plugin in the build tree
 * (plugins/portal/.libs/portal.so -> plugins/portal/static), else the
 * installed directory. */
const char *po_static_default(void);
const char *po_static_default(void)
{
	static char dir[4096];
	Dl_info info;
	if (dladdr((void *)po_static_default, &info) && info.dli_fname) {
		char copy[4096];
		snprintf(copy, sizeof copy, "%s", info.dli_fname);
		char *d = dirname(copy);
		snprintf(dir, sizeof dir, "%s/../static", d);
		if (strstr(d, "/.libs") && access(dir, R_OK) == 0)
			return dir;
	}
	return PORTAL_STATIC_DIR;
}

static int usage(json_t **result, char **errmsg, const char *msg)
{
	json_decref(*result);
	*result = json_pack("{si}", "exit", 2);
	return paved->error(errmsg, "%s", msg);
}

/* Parse a command's ARGS against FLAGS into *P; --help prints HELP and the
 * options and leaves *P NULL; a usage error is PAVED_ERR with {"exit": 2}. */
static int parse(paved_ctx *ctx, json_t *args, const struct paved_flag *flags, const char *help,
                 json_t **p, json_t **result, char **errmsg)
{
	char *err = NULL;
	*p = NULL;
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), flags, p, &err)) {
		int rc = usage(result, errmsg, err ? err : "bad arguments");
		free(err);
		return rc;
	}
	if (json_is_true(json_object_get(*p, "help"))) {
		fputs(help, stdout);
		paved->cli_help(ctx, stdout, flags);
		json_decref(*p);
		*p = NULL;
	}
	return PAVED_OK;
}

static const struct paved_flag serve_flags[] = {
	{ "listen", 'l', PAVED_FLAG_STRING, "HOST:PORT",
	  "address to listen on (default serve.listen, else 127.0.0.1:7007; port 0 picks one)" },
	{ 0 }
};

static const char serve_help[] =
	"Usage: paved serve [--listen HOST:PORT] [--json]\n"
	"\n"
	"The developer portal and its HTTP API, in one process, from the state in\n"
	"PAVED_HOME: the Backstage-compatible catalog API (/api/catalog), golden\n"
	"paths as scaffolder tasks (/api/scaffolder/v2), deploy, rollback, status\n"
	"and metrics per service (/api/paved/services), and the pages (/catalog,\n"
	"/create, /teams).  Prints the URL once it listens; stops gracefully on\n"
	"SIGTERM or Ctrl-C.\n"
	"\n"
	"Reading needs an API token ('paved token create --team TEAM') unless\n"
	"configuration serve.anonymous_read is true.  Other keys: serve.listen,\n"
	"serve.workdir, serve.access_log, serve.static_dir, serve.shutdown_timeout.\n"
	"\n"
	"Options:\n";

static int cmd_serve(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL;
	(void)data;
	int rc = parse(ctx, args, serve_flags, serve_help, &p, result, errmsg);
	if (rc || !p)
		return rc;   /* a usage error, or --help */
	if (json_array_size(json_object_get(p, "args"))) {
		char *m = pc_printf("unexpected argument '%s'",
		                    json_string_value(json_array_get(json_object_get(p, "args"), 0)));
		rc = usage(result, errmsg, m ? m : "unexpected argument");
		free(m), json_decref(p);
		return rc;
	}
	const char *listen = json_string_value(json_object_get(json_object_get(p, "flags"), "listen"));
	if (!listen)
		listen = json_string_value(paved->config(ctx, "serve.listen"));
	rc = po_serve(ctx, listen ? listen : "127.0.0.1:7007",
	                  json_is_true(json_object_get(args, "json")), errmsg);
	if (rc && *errmsg && strncmp(*errmsg, "--listen", 8) == 0) {
		json_decref(*result);
		*result = json_pack("{si}", "exit", 2);
	}
	json_decref(p);
	return rc;
}

static const struct paved_flag token_flags[] = {
	{ "team", 't', PAVED_FLAG_STRING, "TEAM", "the team the token acts for (create)" },
	{ "admin", 0, PAVED_FLAG_BOOL, NULL, "an admin token: may change everything (create)" },
	{ "name", 'n', PAVED_FLAG_STRING, "NAME", "a note: who or what uses it (create)" },
	{ 0 }
};

static const char token_help[] =
	"Usage: paved token create --team TEAM [--admin] [--name NAME] [--json]\n"
	"       paved token list [--json]\n"
	"       paved token revoke ID\n"
	"\n"
	"API tokens of 'paved serve'.  create prints a new token once: only its\n"
	"SHA-256 is kept.  A token acts for its team: it reads, and it deploys,\n"
	"rolls back and deletes what its team owns; an admin token may change\n"
	"everything.  Send it as 'Authorization: Bearer TOKEN', or sign in with\n"
	"it on the portal's pages.  revoke takes the ID that list shows.\n"
	"\n"
	"Options:\n";

static int cmd_token(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL;
	bool json = json_is_true(json_object_get(args, "json"));
	(void)data;
	int rc = parse(ctx, args, token_flags, token_help, &p, result, errmsg);
	if (rc || !p)
		return rc;   /* a usage error, or --help */
	json_t *fl = json_object_get(p, "flags"), *a = json_object_get(p, "args");
	const char *sub = json_string_value(json_array_get(a, 0));
	if (!sub) {
		rc = usage(result, errmsg, "missing subcommand: create, list or revoke");
	} else if (!strcmp(sub, "create")) {
		const char *team = json_string_value(json_object_get(fl, "team"));
		json_t *out = NULL;
		if (!team)
			rc = usage(result, errmsg, "create: --team TEAM is required");
		else if (json_array_size(a) > 1)
			rc = usage(result, errmsg, "create: unexpected argument");
		else if (!(rc = po_token_create(ctx, team, json_is_true(json_object_get(fl, "admin")),
		                                json_string_value(json_object_get(fl, "name")), &out,
		                                errmsg))) {
			if (json) {
				char *s = json_dumps(out, JSON_INDENT(2));
				printf("%s\n", s ? s : "{}");
				free(s);
			} else {
				printf("%s\n", json_string_value(json_object_get(out, "token")));
				fprintf(stderr, "token %s for team %s%s: shown once, only its hash is kept\n",
				        json_string_value(json_object_get(out, "id")), team,
				        json_is_true(json_object_get(fl, "admin")) ? " (admin)" : "");
			}
		}
		json_decref(out);
	} else if (!strcmp(sub, "list")) {
		json_t *l = po_token_list(ctx), *v;
		size_t i;
		if (json) {
			char *s = json_dumps(l, JSON_INDENT(2));
			printf("%s\n", s ? s : "[]");
			free(s);
		} else {
			printf("%-14s %-20s %-6s %-24s %s\n", "ID", "TEAM", "ADMIN", "CREATED", "NAME");
			json_array_foreach(l, i, v)
				printf("%-14s %-20s %-6s %-24s %s\n", json_string_value(json_object_get(v, "id")),
				       json_string_value(json_object_get(v, "team")),
				       json_is_true(json_object_get(v, "admin")) ? "yes" : "no",
				       json_string_value(json_object_get(v, "created")),
				       json_string_value(json_object_get(v, "name")));
		}
		json_decref(l);
	} else if (!strcmp(sub, "revoke")) {
		const char *id = json_string_value(json_array_get(a, 1));
		if (!id)
			rc = usage(result, errmsg, "revoke: missing ID ('paved token list' shows them)");
		else if (!(rc = po_token_revoke(ctx, id, errmsg)))
			printf(json ? "{\"revoked\": \"%s\"}\n" : "revoked token %s\n", id);
	} else {
		char *m = pc_printf("unknown subcommand '%s': create, list or revoke", sub);
		rc = usage(result, errmsg, m ? m : "unknown subcommand");
		free(m);
	}
	json_decref(p);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
{
	PAVED_PLUGIN_INIT2(api);
	if (paved->provide_command(ctx, "serve", "the developer portal and HTTP API "
	                           "(Backstage-compatible catalog API, golden paths, deploys)",
	                           cmd_serve, NULL, NULL, errmsg) ||
	    paved->provide_command(ctx, "token", "API tokens of 'paved serve' (create, list, revoke)",
	                           cmd_token, NULL, NULL, errmsg) ||
	    paved->observe(ctx, "event:catalog.*", 100, po_catalog_sink, NULL, NULL, errmsg))
		return PAVED_ERR;
	return PAVED_OK;
}

PAVED_PLUGIN_DECLARE(portal, "1.0.0", "the developer portal: paved serve and paved token",
                     init, NULL, NULL);
