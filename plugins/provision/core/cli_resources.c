/*
 * cli_resources.c -- `paved provision TYPE NAME` (one resource outside
 * platform.yaml) and `paved resources` (list, show, status, destroy, stop,
 * start).  Each prints to stdout, JSON with --json; errors go back to the
 * host, which prints "paved COMMAND: MESSAGE" and exits 1 (2 for usage).
 * Secrets are printed only by `paved resources show NAME --show-secrets`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provision.h"

static const struct paved_flag provision_flags[] = {
	{ "class", 'c', PAVED_FLAG_STRING, "CLASS", "small (default), medium or large" },
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "service", 's', PAVED_FLAG_STRING, "SERVICE", "the service it belongs to" },
	{ "owner", 0, PAVED_FLAG_STRING, "TEAM", "its owner in the catalog (default: the service's)" },
	{ "param", 'p', PAVED_FLAG_LIST, "KEY=VALUE", "a driver parameter, e.g. eviction=lru" },
	{ 0 }
};

static const char provision_help[] =
"Usage: paved provision TYPE NAME [--class C] [--env ENV] [--service SVC]\n"
"                       [--param KEY=VALUE]... [--json]\n"
"\n"
"Provision one resource outside platform.yaml: TYPE postgres or redis (or a\n"
"type drivers.provision adds), NAME 1-63 lowercase letters and digits with\n"
"single '-' or '_' between them.  Its connection details go to\n"
"$PAVED_HOME/secrets/NAME.json and are never printed (see 'paved resources\n"
"show NAME --show-secrets').\n"
"\n"
"Options:\n";

static const struct paved_flag resources_flags[] = {
	{ "show-secrets", 0, PAVED_FLAG_BOOL, NULL, "show: print the URL and password too" },
	{ "yes", 'y', PAVED_FLAG_BOOL, NULL, "destroy: do not ask, even when it holds data" },
	{ 0 }
};

static const char resources_help[] =
"Usage: paved resources [list]                     [--json]\n"
"       paved resources show NAME [--show-secrets]  [--json]\n"
"       paved resources status NAME                [--json]\n"
"       paved resources destroy NAME [--yes]       [--json]\n"
"       paved resources stop                       [--json]\n"
"       paved resources start                      [--json]\n"
"\n"
"  list     the provisioned resources and their monthly cost\n"
"  show     one resource; --show-secrets also prints its URL (a password!)\n"
"  status   ask its driver whether it is there and up, and holds data\n"
"  destroy  remove it: database and role, or server and data, secret,\n"
"           record, catalog entry.  When it holds data, type its name to\n"
"           confirm, or pass --yes; without a terminal it is refused\n"
"  stop     stop the local servers paved started (they start again on demand)\n"
"  start    start the servers of every resource again\n"
"\n"
"Options:\n";

static int usage(json_t **result, char **errmsg, char *msg)
{
	paved->error(errmsg, "%s", msg ? msg : "out of memory");
	free(msg);
	*result = json_pack("{si}", "exit", 2);
	return PAVED_ERR;
}

static int failed(json_t **result, char **errmsg, char *err)
{
	*errmsg = err;
	*result = json_pack("{si}", "exit", 1);
	return PAVED_ERR;
}

static char *money(json_t *v)
{
	return json_is_number(v) ? pc_printf("$%.2f/month", json_number_value(v))
	                         : strdup("cost unknown");
}

int prv_cli_provision(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *p = NULL, *res = NULL, *spec = NULL, *params = json_object(), *v;
	char *err = NULL;
	int rc = PAVED_OK;
	size_t i;
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), provision_flags, &p, &err)) {
		rc = usage(result, errmsg, err);
		goto out;
	}
	json_t *fl = json_object_get(p, "flags"), *pos = json_object_get(p, "args");
	if (json_is_true(json_object_get(p, "help"))) {
		fputs(provision_help, stdout);
		paved->cli_help(ctx, stdout, provision_flags);
		*result = json_pack("{si}", "exit", 0);
		goto out;
	}
	if (json_array_size(pos) != 2) {
		rc = usage(result, errmsg, json_array_size(pos) < 2
		           ? strdup("TYPE and NAME are required, e.g. 'paved provision postgres orders-db'")
		           : pc_printf("unexpected argument '%s'", json_string_value(json_array_get(pos, 2))));
		goto out;
	}
	json_array_foreach(json_object_get(fl, "param"), i, v) {
		const char *s = json_string_value(v), *eq = strchr(s, '=');
		if (!eq || eq == s) {
			rc = usage(result, errmsg, pc_printf("--param wants KEY=VALUE, not '%s'", s));
			goto out;
		}
		char *k = strndup(s, (size_t)(eq - s));
		json_object_set_new(params, k, json_string(eq + 1));
		free(k);
	}
	spec = json_pack("{sO sO sO}", "type", json_array_get(pos, 0), "name", json_array_get(pos, 1),
	                 "params", params);
	static const char *const opt[] = { "class", "env", "service", "owner", NULL };
	for (i = 0; opt[i]; i++)
		if (json_object_get(fl, opt[i]))
			json_object_set(spec, opt[i], json_object_get(fl, opt[i]));
	if (prv_resource(ctx, spec, false, &res, &err)) {
		rc = failed(result, errmsg, err);
		goto out;
	}
	if (json_is_true(json_object_get(args, "json"))) {
		prv_print_json(res);
	} else {
		char *m = money(json_object_get(res, "cost_per_month"));
		bool changed = json_is_true(json_object_get(res, "changed"));
		const char *name = json_string_value(json_object_get(res, "name"));
		printf(" %s %s %s \"%s\" (env %s, driver %s, class %s, %s)\n", changed ? "✓" : "=",
		       changed ? "Provisioned" : "Already provisioned",
		       json_string_value(json_object_get(res, "type")), name,
		       json_string_value(json_object_get(res, "env")),
		       json_string_value(json_object_get(res, "driver")),
		       json_string_value(json_object_get(res, "class")), m);
		free(m);
		if (json_is_string(json_object_get(res, "secret_file")))
			printf("   its %s is in %s (print it with 'paved resources show %s "
			       "--show-secrets')\n", json_string_value(json_object_get(res, "env_var")),
			       json_string_value(json_object_get(res, "secret_file")), name);
	}
	*result = json_pack("{si}", "exit", 0);
out:
	json_decref(p), json_decref(res), json_decref(spec), json_decref(params);
	return rc;
}

/* resources show NAME */
static int show(paved_ctx *ctx, const char *name, bool js, bool secrets, char **err)
{
	json_t *rec = paved->state_get(ctx, PRV_NS, name), *out = NULL, *v;
	const char *k;
	if (!rec) {
		*err = pc_printf("no resource '%s' (see 'paved resources list')", name);
		return PAVED_ERR;
	}
	if (secrets && !(out = prv_secret_read(ctx, name, err)) && *err) {
		json_decref(rec);
		return PAVED_ERR;
	}
	json_t *pub = prv_public(rec);
	if (js) {
		if (out)
			json_object_set(pub, "outputs", out);
		prv_print_json(pub);
	} else {
		static const char *const keys[] = { "name", "type", "env", "driver", "class", "service",
		                                    "key", "owner", "summary", "created_at", "updated_at",
		                                    "secret_file", NULL };
		for (size_t i = 0; keys[i]; i++)
			if (json_is_string(json_object_get(rec, keys[i])))
				printf("%-14s %s\n", keys[i], json_string_value(json_object_get(rec, keys[i])));
		char *m = money(json_object_get(rec, "cost_per_month"));
		printf("%-14s %s\n", "cost", m);
		free(m);
		json_object_foreach(json_object_get(rec, "params"), k, v) {
			char *t = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
			printf("%-14s %s=%s\n", "param", k, t ? t : "?");
			free(t);
		}
		if (json_is_string(json_object_get(rec, "secret_file")))
			printf("%-14s %s\n", json_string_value(json_object_get(rec, "env_var")),
			       json_is_string(json_object_get(out, "url"))
			       ? json_string_value(json_object_get(out, "url"))
			       : "(secret; add --show-secrets to print it)");
	}
	json_decref(pub), json_decref(out), json_decref(rec);
	return PAVED_OK;
}

/* The list of resources RES, and the changes a killed paved left in the
 * journal (the next apply or provision finishes or rolls them back). */
static void list(paved_ctx *ctx, json_t *res)
{
	size_t i;
	json_t *r, *journal = paved->state_list(ctx, PRV_JOURNAL);
	const char *k;
	int w = 4;
	double total = 0;
	json_object_foreach(journal, k, r)
		printf("interrupted: %s of %s (the next apply, provision or destroy of it finishes or "
		       "rolls it back)\n", json_string_value(json_object_get(r, "op")), k);
	json_decref(journal);
	if (json_array_size(res) == 0) {
		printf("No resources yet: 'paved apply' or 'paved provision TYPE NAME'.\n");
		return;
	}
	json_array_foreach(res, i, r) {
		int l = (int)strlen(json_string_value(json_object_get(r, "name")));
		w = l > w ? l : w;
	}
	printf("%-*s  %-9s %-11s %-15s %-7s %11s  %s\n", w, "NAME", "TYPE", "ENV", "DRIVER", "CLASS",
	       "COST/MONTH", "SERVICE");
	json_array_foreach(res, i, r) {
		json_t *c = json_object_get(r, "cost_per_month");
		char cost[32] = "?";
		if (json_is_number(c))
			snprintf(cost, sizeof cost, "$%.2f", json_number_value(c));
		total += json_number_value(c);
		printf("%-*s  %-9s %-11s %-15s %-7s %11s  %s\n", w,
		       json_string_value(json_object_get(r, "name")),
		       json_string_value(json_object_get(r, "type")),
		       json_string_value(json_object_get(r, "env")),
		       json_string_value(json_object_get(r, "driver")),
		       json_string_value(json_object_get(r, "class")), cost,
		       json_is_string(json_object_get(r, "service"))
		       ? json_string_value(json_object_get(r, "service")) : "-");
	}
	printf("%zu resource%s, $%.2f/month\n", json_array_size(res),
	       json_array_size(res) == 1 ? "" : "s", total);
}

/* resources destroy NAME: asks on a terminal when it holds data. */
static int destroy(paved_ctx *ctx, const char *name, bool yes, json_t **res, char **err)
{
	int rc = prv_destroy_named(ctx, name, yes, res, err);
	if (rc != PAVED_OK && json_array_size(json_object_get(*res, "confirm")) && isatty(STDIN_FILENO)) {
		free(*err);
		*err = NULL;
		json_decref(*res);
		*res = NULL;
		if (prv_confirm("destroy", name, err) == PAVED_OK)
			rc = prv_destroy_named(ctx, name, true, res, err);
	}
	return rc;
}

int prv_cli_resources(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *p = NULL, *res = NULL;
	char *err = NULL;
	bool js = json_is_true(json_object_get(args, "json"));
	int rc = PAVED_OK;
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), resources_flags, &p, &err))
		return usage(result, errmsg, err);
	json_t *fl = json_object_get(p, "flags"), *pos = json_object_get(p, "args");
	size_t nw = json_array_size(pos);
	const char *sub = nw ? json_string_value(json_array_get(pos, 0)) : "list";
	const char *name = json_string_value(json_array_get(pos, 1));
	bool wants = !strcmp(sub, "show") || !strcmp(sub, "destroy") || !strcmp(sub, "status");
	if (json_is_true(json_object_get(p, "help"))) {
		fputs(resources_help, stdout);
		paved->cli_help(ctx, stdout, resources_flags);
		*result = json_pack("{si}", "exit", 0);
		goto out;
	}
	if (!wants && strcmp(sub, "list") && strcmp(sub, "stop") && strcmp(sub, "start")) {
		rc = usage(result, errmsg, pc_printf("unknown subcommand '%s' (list, show, status, "
		                                     "destroy, stop, start)", sub));
		goto out;
	}
	if (nw > 2 || (wants ? nw != 2 : nw > 1)) {
		rc = usage(result, errmsg, pc_printf(wants ? "'%s' needs one resource NAME"
		                                           : "'%s' takes no NAME", sub));
		goto out;
	}
	if (!strcmp(sub, "list"))
		rc = prv_list(ctx, &res);
	else if (!strcmp(sub, "show"))
		rc = show(ctx, name, js, json_is_true(json_object_get(fl, "show-secrets")), &err);
	else if (!strcmp(sub, "status"))
		rc = prv_status_named(ctx, name, &res, &err);
	else if (!strcmp(sub, "destroy"))
		rc = destroy(ctx, name, json_is_true(json_object_get(fl, "yes")), &res, &err);
	else if (!strcmp(sub, "stop"))
		rc = prv_stop_all(ctx, &res, &err);
	else
		rc = prv_start_all(ctx, &res, &err);
	if (rc != PAVED_OK) {
		rc = failed(result, errmsg, err);
		err = NULL;
		goto out;
	}
	if (js && res) {
		prv_print_json(res);
	} else if (!strcmp(sub, "list")) {
		list(ctx, res);
	} else if (!strcmp(sub, "destroy")) {
		printf(" ✓ Destroyed \"%s\"%s\n", name, json_object_get(res, "rolled_back")
		       ? " (an interrupted create, rolled back)" : "");
	} else if (!strcmp(sub, "status")) {
		printf("%s: %s%s%s%s\n", name, json_string_value(json_object_get(res, "status")),
		       json_is_string(json_object_get(res, "detail")) ? " - " : "",
		       json_is_string(json_object_get(res, "detail"))
		       ? json_string_value(json_object_get(res, "detail")) : "",
		       json_is_true(json_object_get(res, "has_data")) ? " (holds data)" : "");
	} else if (!strcmp(sub, "start") || !strcmp(sub, "stop")) {
		bool start = !strcmp(sub, "start");
		json_int_t n = json_integer_value(json_object_get(res, start ? "started" : "stopped"));
		printf("%s %lld local server%s.\n", start ? "Started" : "Stopped", (long long)n,
		       n == 1 ? "" : "s");
	}
	*result = json_pack("{si}", "exit", 0);
out:
	free(err);
	json_decref(p), json_decref(res);
	return rc;
}
