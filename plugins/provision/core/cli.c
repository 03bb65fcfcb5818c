/*
 * cli.c -- the commands `paved apply`, `paved provision` and
 * `paved resources`.  Each prints to stdout itself (JSON with --json)
 * and returns {"exit": N}: 0 done, 1 failed, 2 usage error.  Secrets are
 * printed only by `paved resources show NAME --show-secrets`.
 */
#include <stdio.h>
#include <string.h>

#include "provision.h"

static const char apply_help[] =
"Usage: paved apply [FILE] [--env ENV] [--dry-run] [--json]\n"
"\n"
"Provision every resource declared in FILE (default ./platform.yaml) for one\n"
"environment (default dev).  Resources are matched to a driver by (type, env):\n"
"by default dev uses the local drivers (a PostgreSQL cluster and redis-server\n"
"under $PAVED_HOME), staging and production the terraform driver.\n"
"Applying again changes nothing and says so.\n"
"\n"
"    service: payment-api\n"
"    database: {type: postgres, size: medium, backups: daily}\n"
"    cache:    {type: redis, size: small, eviction: lru}\n"
"\n"
"Each resource is named SERVICE-KEY-ENV (payment-api-database-dev); its URL\n"
"goes to $PAVED_HOME/secrets/NAME.env as DATABASE_URL or REDIS_URL.\n"
"\n"
"Options:\n"
"  --env ENV    dev, staging, production, or any env in plugins.provision.drivers\n"
"  --dry-run    show what would be provisioned; change nothing\n"
"  --json       print the result as JSON\n";

static const char provision_help[] =
"Usage: paved provision TYPE NAME [--size S] [--env ENV] [--service SVC]\n"
"                       [--set KEY=VALUE]... [--json]\n"
"\n"
"Provision one resource (TYPE postgres or redis, or a type an organisation\n"
"added in plugins.provision.drivers) named NAME.  The connection URL is kept\n"
"in $PAVED_HOME/secrets/NAME.env and never printed (see 'paved resources\n"
"show NAME --show-secrets').\n"
"\n"
"Options:\n"
"  --size S         small (default), medium or large\n"
"  --env ENV        environment (default dev)\n"
"  --service SVC    the service the resource belongs to\n"
"  --set KEY=VALUE  a driver option, e.g. eviction=lru or backups=daily\n";

static const char resources_help[] =
"Usage: paved resources [list]                    [--json]\n"
"       paved resources show NAME [--show-secrets] [--json]\n"
"       paved resources status NAME               [--json]\n"
"       paved resources destroy NAME              [--json]\n"
"       paved resources stop                      [--json]\n"
"       paved resources start                     [--json]\n"
"\n"
"  list       the provisioned resources and their monthly cost\n"
"  show       one resource; --show-secrets also prints its URL (password!)\n"
"  status     ask the driver whether it is running\n"
"  destroy    remove it: database and role, server and data, secret, record\n"
"  stop       stop the local servers paved started (PostgreSQL starts again on\n"
"             demand)\n"
"  start      start the servers of every resource again\n";

static json_t *exit_code(int n)
{
	return json_pack("{si}", "exit", n);
}

static int usage(json_t **result, const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "paved %s: ", cmd);
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nTry 'paved %s --help'.\n", cmd);
	*result = exit_code(2);
	return PAVED_OK;
}

static int failed(json_t **result, char *err)
{
	fprintf(stderr, "paved: %s\n", err ? err : "failed");
	free(err);
	*result = exit_code(1);
	return PAVED_OK;
}

static const char *arg_at(json_t *argv, size_t i)
{
	return json_string_value(json_array_get(argv, i));
}

/* If ARGV[*I] is option NAME ("--name V" or "--name=V") set *VAL. */
static bool opt(json_t *argv, size_t *i, const char *name, const char **val, bool *missing)
{
	const char *a = arg_at(argv, *i);
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	if (a[n] != '\0')
		return false;
	if (*i + 1 >= json_array_size(argv)) {
		*missing = true;
		return true;
	}
	*val = arg_at(argv, ++*i);
	return true;
}

static char *money(json_t *v)
{
	return json_is_number(v) ? pc_printf("$%.2f/month", json_number_value(v))
	                         : strdup("cost unknown");
}

int pc_cli_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data, (void)errmsg;
	json_t *argv = json_object_get(args, "argv"), *res = NULL, *r;
	bool js = json_is_true(json_object_get(args, "json")), dry = false, missing = false;
	const char *file = NULL, *env = "dev";
	for (size_t i = 0; i < json_array_size(argv); i++) {
		const char *a = arg_at(argv, i);
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(apply_help, stdout);
			*result = exit_code(0);
			return PAVED_OK;
		} else if (!strcmp(a, "--dry-run")) {
			dry = true;
		} else if (opt(argv, &i, "--env", &env, &missing)) {
			if (missing)
				return usage(result, "apply", "option --env needs a value%s", "");
		} else if (a[0] == '-' && a[1]) {
			return usage(result, "apply", "unknown option '%s'", a);
		} else if (!file) {
			file = a;
		} else {
			return usage(result, "apply", "unexpected argument '%s' (one FILE only)", a);
		}
	}
	json_t *call = json_pack("{ss ss sb}", "file", file ? file : "platform.yaml", "env", env,
	                         "dry_run", dry);
	char *err = NULL;
	int rc = paved->call(ctx, "provision.apply", call, &res, &err);
	json_decref(call);
	if (rc)
		return failed(result, err);
	if (js) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		size_t i, n = json_array_size(json_object_get(res, "resources"));
		json_int_t created = json_integer_value(json_object_get(res, "created"));
		json_array_foreach(json_object_get(res, "resources"), i, r) {
			bool changed = json_is_true(json_object_get(r, "changed"));
			char *m = money(json_object_get(r, "cost_per_month"));
			printf(" %s %-10s %s \"%s\"  %s (%s, %s, %s)\n", changed ? (dry ? "+" : "✓") : "=",
			       json_string_value(json_object_get(r, "key")),
			       json_string_value(json_object_get(r, "type")),
			       json_string_value(json_object_get(r, "name")),
			       changed ? (dry ? "would be created" : "created") : "unchanged",
			       json_string_value(json_object_get(r, "driver")),
			       json_string_value(json_object_get(r, "size")), m);
			free(m);
		}
		if (n == 0)
			printf("No resources declared in %s.\n", json_string_value(json_object_get(res, "file")));
		else if (created == 0)
			printf("Nothing to do: %zu resource%s up to date (env %s).\n", n, n == 1 ? "" : "s", env);
		else
			printf("%s %s (env %s): %lld %s, %lld unchanged; $%.2f/month in all.\n",
			       dry ? "Dry run of" : "Applied", json_string_value(json_object_get(res, "file")),
			       env, (long long)created, dry ? "to create" : "created",
			       (long long)json_integer_value(json_object_get(res, "unchanged")),
			       json_number_value(json_object_get(res, "cost_per_month")));
	}
	json_decref(res);
	*result = exit_code(0);
	return PAVED_OK;
}

int pc_cli_provision(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data, (void)errmsg;
	json_t *argv = json_object_get(args, "argv"), *res = NULL;
	bool js = json_is_true(json_object_get(args, "json")), missing = false;
	const char *type = NULL, *name = NULL, *size = NULL, *env = "dev", *service = NULL, *set;
	json_t *opts = json_object();
	int rc = PAVED_OK;
	for (size_t i = 0; i < json_array_size(argv); i++) {
		const char *a = arg_at(argv, i);
		set = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(provision_help, stdout);
			*result = exit_code(0);
			goto out;
		} else if (opt(argv, &i, "--size", &size, &missing) ||
		           opt(argv, &i, "--env", &env, &missing) ||
		           opt(argv, &i, "--service", &service, &missing) ||
		           opt(argv, &i, "--set", &set, &missing)) {
			if (missing) {
				rc = usage(result, "provision", "option %s needs a value", a);
				goto out;
			}
			if (set) {
				const char *eq = strchr(set, '=');
				if (!eq || eq == set) {
					rc = usage(result, "provision", "--set wants KEY=VALUE, not '%s'", set);
					goto out;
				}
				char *k = strndup(set, (size_t)(eq - set));
				json_object_set_new(opts, k, json_string(eq + 1));
				free(k);
			}
		} else if (a[0] == '-' && a[1]) {
			rc = usage(result, "provision", "unknown option '%s'", a);
			goto out;
		} else if (!type) {
			type = a;
		} else if (!name) {
			name = a;
		} else {
			rc = usage(result, "provision", "unexpected argument '%s'", a);
			goto out;
		}
	}
	if (!type || !name) {
		rc = usage(result, "provision", "%s", "TYPE and NAME are required, e.g. "
		           "'paved provision postgres orders-db'");
		goto out;
	}
	json_t *call = json_pack("{ss ss ss sO}", "type", type, "name", name, "env", env,
	                         "options", opts);
	if (size)
		json_object_set_new(call, "size", json_string(size));
	if (service)
		json_object_set_new(call, "service", json_string(service));
	char *err = NULL;
	int c = paved->call(ctx, "provision.resource", call, &res, &err);
	json_decref(call);
	if (c) {
		rc = failed(result, err);
		goto out;
	}
	if (js) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		char *m = money(json_object_get(res, "cost_per_month"));
		bool changed = json_is_true(json_object_get(res, "changed"));
		printf(" %s %s %s \"%s\" (env %s, driver %s, size %s, %s)\n", changed ? "✓" : "=",
		       changed ? "Provisioned" : "Already provisioned", type, name,
		       json_string_value(json_object_get(res, "env")),
		       json_string_value(json_object_get(res, "driver")),
		       json_string_value(json_object_get(res, "size")), m);
		free(m);
		const char *sf = json_string_value(json_object_get(res, "secret_file"));
		if (sf)
			printf("   %s is in %s (print it with 'paved resources show %s --show-secrets')\n",
			       json_string_value(json_object_get(res, "env_var")), sf, name);
	}
	*result = exit_code(0);
out:
	json_decref(res);
	json_decref(opts);
	return rc;
}

/* resources show NAME */
static void show(paved_ctx *ctx, json_t *rec, bool js, bool secrets)
{
	const char *name = json_string_value(json_object_get(rec, "name"));
	char *url = secrets ? pc_secret_read(ctx, name) : NULL;
	if (js) {
		json_t *o = json_deep_copy(rec);
		if (url)
			json_object_set_new(o, "url", json_string(url));
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		static const char *const keys[] = { "name", "type", "env", "driver", "size", "service",
		                                    "summary", "created_at", "secret_file", NULL };
		for (size_t i = 0; keys[i]; i++) {
			const char *v = json_string_value(json_object_get(rec, keys[i]));
			if (v)
				printf("%-14s %s\n", keys[i], v);
		}
		char *m = money(json_object_get(rec, "cost_per_month"));
		printf("%-14s %s\n", "cost", m);
		free(m);
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(rec, "options"), k, v) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);
			printf("%-14s %s=%s\n", "option", k, t ? t : "?");
			free(t);
		}
		if (json_is_string(json_object_get(rec, "secret_file")))
			printf("%-14s %s\n", json_string_value(json_object_get(rec, "env_var")),
			       url ? url : "(secret; add --show-secrets to print it)");
	}
	if (url)
		explicit_bzero(url, strlen(url));
	free(url);
}

int pc_cli_resources(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data, (void)errmsg;
	json_t *argv = json_object_get(args, "argv"), *res = NULL, *r;
	bool js = json_is_true(json_object_get(args, "json")), secrets = false;
	const char *words[3] = { 0 };
	size_t nw = 0, i;
	char *err = NULL;
	for (i = 0; i < json_array_size(argv); i++) {
		const char *a = arg_at(argv, i);
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(resources_help, stdout);
			*result = exit_code(0);
			return PAVED_OK;
		} else if (!strcmp(a, "--show-secrets")) {
			secrets = true;
		} else if (a[0] == '-' && a[1]) {
			return usage(result, "resources", "unknown option '%s'", a);
		} else if (nw < 2) {
			words[nw++] = a;
		} else {
			return usage(result, "resources", "unexpected argument '%s'", a);
		}
	}
	const char *sub = nw ? words[0] : "list";
	bool wants_name = !strcmp(sub, "show") || !strcmp(sub, "destroy") || !strcmp(sub, "status");
	if (!wants_name && strcmp(sub, "list") && strcmp(sub, "stop") && strcmp(sub, "start"))
		return usage(result, "resources", "unknown subcommand '%s' (list, show, status, "
		             "destroy, stop, start)", sub);
	if (wants_name != (nw == 2))
		return usage(result, "resources", wants_name ? "'%s' needs a resource NAME"
		                                             : "'%s' takes no NAME", sub);
	if (!strcmp(sub, "list")) {
		paved->call(ctx, "provision.list", NULL, &res, &err);
		if (js) {
			json_dumpf(res, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else if (json_array_size(res) == 0) {
			printf("No resources yet: 'paved provision TYPE NAME' or 'paved apply'.\n");
		} else {
			double total = 0;
			int w = 4;
			json_array_foreach(res, i, r) {
				int l = (int)strlen(json_string_value(json_object_get(r, "name")));
				w = l > w ? l : w;
			}
			printf("%-*s  %-9s %-11s %-10s %-7s %11s  %s\n", w, "NAME", "TYPE", "ENV", "DRIVER",
			       "SIZE", "COST/MONTH", "SERVICE");
			json_array_foreach(res, i, r) {
				json_t *c = json_object_get(r, "cost_per_month");
				char cost[32] = "?";
				if (json_is_number(c))
					snprintf(cost, sizeof cost, "$%.2f", json_number_value(c));
				total += json_number_value(c);
				printf("%-*s  %-9s %-11s %-10s %-7s %11s  %s\n", w,
				       json_string_value(json_object_get(r, "name")),
				       json_string_value(json_object_get(r, "type")),
				       json_string_value(json_object_get(r, "env")),
				       json_string_value(json_object_get(r, "driver")),
				       json_string_value(json_object_get(r, "size")), cost,
				       json_is_string(json_object_get(r, "service"))
				               ? json_string_value(json_object_get(r, "service")) : "-");
			}
			printf("%zu resource%s, $%.2f/month\n", json_array_size(res),
			       json_array_size(res) == 1 ? "" : "s", total);
		}
	} else if (!strcmp(sub, "show")) {
		json_t *rec = paved->state_get(ctx, PC_NS, words[1]);
		if (!rec)
			return failed(result, pc_printf("no resource '%s' (see 'paved resources list')",
			                                words[1]));
		json_t *pub = pc_public(rec);
		show(ctx, pub, js, secrets);
		json_decref(pub);
		json_decref(rec);
	} else {
		const char *hook = !strcmp(sub, "destroy") ? "provision.destroy"
		                 : !strcmp(sub, "status") ? "provision.status"
		                 : !strcmp(sub, "start") ? "provision.start" : "provision.stop";
		json_t *call = json_pack("{ss}", "name", nw == 2 ? words[1] : "");
		int rc = paved->call(ctx, hook, call, &res, &err);
		json_decref(call);
		if (rc)
			return failed(result, err);
		if (js) {
			json_dumpf(res, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else if (!strcmp(sub, "destroy")) {
			printf(" ✓ Destroyed %s \"%s\"\n", json_string_value(json_object_get(res, "type")),
			       words[1]);
		} else if (!strcmp(sub, "status")) {
			printf("%s: %s%s%s\n", words[1], json_string_value(json_object_get(res, "status")),
			       json_is_string(json_object_get(res, "detail")) ? " - " : "",
			       json_is_string(json_object_get(res, "detail"))
			               ? json_string_value(json_object_get(res, "detail")) : "");
		} else if (!strcmp(sub, "start")) {
			json_int_t n = json_integer_value(json_object_get(res, "started"));
			printf("Started %lld local server%s.\n", (long long)n, n == 1 ? "" : "s");
		} else {
			json_int_t n = json_integer_value(json_object_get(res, "stopped"));
			printf("Stopped %lld local server%s.\n", (long long)n, n == 1 ? "" : "s");
		}
	}
	free(err);
	json_decref(res);
	*result = exit_code(0);
	return PAVED_OK;
}
