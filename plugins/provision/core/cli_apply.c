/*
 * cli_apply.c -- `paved apply`: print the plan of a platform.yaml, ask on a
 * terminal before destroying data, apply it.
 *
 * One line per resource: "+" create, "~" update in place, "-/+" replace
 * (its data is lost), "-" destroy (without --prune: kept, and the line
 * says how to destroy it), "=" unchanged.  Exit status 0 applied (or
 * nothing to do), 1 failed or refused, 2 usage error, and with --dry-run
 * 2 when the same command without --dry-run would change something.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provision.h"

static const struct paved_flag apply_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "environment (default dev)" },
	{ "dry-run", 'n', PAVED_FLAG_BOOL, NULL, "show the plan, change nothing (exit 2 when it "
	  "has changes)" },
	{ "prune", 0, PAVED_FLAG_BOOL, NULL, "destroy the service's resources no longer in the file" },
	{ "yes", 'y', PAVED_FLAG_BOOL, NULL, "destroy or replace resources holding data without "
	  "asking" },
	{ "owner", 0, PAVED_FLAG_STRING, "TEAM", "owner of the resources in the catalog (default: "
	  "the service's)" },
	{ 0 }
};

static const char apply_help[] =
"Usage: paved apply [FILE | DIR] [--env ENV] [--dry-run] [--prune] [--yes] [--json]\n"
"\n"
"Make the resources platform.yaml declares (FILE, DIR/platform.yaml, default\n"
"./platform.yaml) exist in one environment, as declared:\n"
"\n"
"    service: payment-api\n"
"    resources:\n"
"      db:    {type: postgres, class: small, params: {backups: daily}}\n"
"      cache: {type: redis, params: {eviction: lru}}\n"
"    environments:\n"
"      production: {resources: {db: {class: large}}}\n"
"\n"
"Each resource is named SERVICE-KEY-ENV (payment-api-db-dev); its connection\n"
"details go to $PAVED_HOME/secrets/NAME.json (mode 0600).  The plan lists each\n"
"resource: + create, ~ update in place, -/+ replace (its data is lost),\n"
"- destroy (gone from the file: destroyed only with --prune), = unchanged.\n"
"Destroying or replacing a resource that holds data asks you to type its\n"
"name, or needs --yes; without a terminal and without --yes it is refused.\n"
"\n"
"Options:\n";

void prv_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

int prv_confirm(const char *what, const char *name, char **errmsg)
{
	char *line = NULL;
	size_t cap = 0;
	if (!isatty(STDIN_FILENO))
		return paved->error(errmsg, "refusing to %s '%s', which holds data, without "
		                    "confirmation: run again with --yes, or on a terminal to confirm "
		                    "by typing its name; nothing was changed", what, name);
	fprintf(stderr, "'%s' holds data, which %s loses. Type its name to confirm: ", name,
	        !strcmp(what, "replace") ? "replacing it" : "destroying it");
	fflush(stderr);
	ssize_t n = getline(&line, &cap, stdin);
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	int rc = n >= 0 && !strcmp(line, name) ? PAVED_OK
	       : paved->error(errmsg, "'%s' was not confirmed (typed '%s'); nothing was changed", name,
	                      n >= 0 ? line : "");
	free(line);
	return rc;
}

static char *money(json_t *v)
{
	return json_is_number(v) ? pc_printf("$%.2f/month", json_number_value(v))
	                         : strdup("cost unknown");
}

/* How to run this apply again with --prune (for the hint). */
static char *prune_cmd(const char *file, const char *env)
{
	return pc_printf("paved apply%s%s%s%s --prune", file ? " " : "", file ? file : "",
	                 strcmp(env, "dev") ? " --env " : "", strcmp(env, "dev") ? env : "");
}

/* One line of step S: DONE (applied) or planned. */
static void print_step(json_t *s, bool done, const char *file, const char *env, int w)
{
	const char *a = json_string_value(json_object_get(s, "action"));
	json_t *fl = json_object_get(s, "fields");
	char *fields = prv_join(fl, ", "), *m = money(json_object_get(s, "cost_per_month"));
	char *what = NULL;
	bool data = json_is_true(json_object_get(s, "has_data"));
	const char *sym = "=";
	if (!strcmp(a, "create")) {
		sym = "+";
		what = pc_printf("%s (%s, %s, %s)", done ? "created" : "will be created",
		                 json_string_value(json_object_get(s, "driver")),
		                 json_string_value(json_object_get(s, "class")), m);
	} else if (!strcmp(a, "update")) {
		sym = "~";
		what = pc_printf("%s: %s", done ? "updated in place" : "will be updated in place",
		                 fields ? fields : "");
	} else if (!strcmp(a, "replace")) {
		sym = "-/+";
		what = pc_printf("%s: %s%s%s%s", done ? "replaced" : "will be replaced", fields ? fields : "",
		                 json_object_get(s, "reason") ? " (" : "",
		                 json_object_get(s, "reason") ? json_string_value(json_object_get(s, "reason")) : "",
		                 json_object_get(s, "reason") ? ")" : "");
		if (what && !done) {
			char *t = pc_printf("%s; %s", what, data ? "its data will be lost"
			                                         : "it holds no data");
			free(what);
			what = t;
		}
	} else if (!strcmp(a, "destroy") && json_is_true(json_object_get(s, "kept"))) {
		sym = "-";
		char *cmd = prune_cmd(file, env);
		what = pc_printf("no longer in platform.yaml: kept (run '%s' to destroy it)", cmd ? cmd : "");
		free(cmd);
	} else if (!strcmp(a, "destroy")) {
		sym = "-";
		what = pc_printf("%s%s", done ? "destroyed" : "will be destroyed",
		                 done ? "" : data ? "; its data will be lost" : "");
	} else {
		what = pc_printf("unchanged (%s, %s)", json_string_value(json_object_get(s, "driver")),
		                 json_string_value(json_object_get(s, "class")));
	}
	printf(" %-3s %-*s %s \"%s\"  %s\n", sym, w, json_string_value(json_object_get(s, "key")),
	       json_string_value(json_object_get(s, "type")), json_string_value(json_object_get(s, "name")),
	       what ? what : "");
	free(fields), free(m), free(what);
}

/* The plan and the outcome of apply result RES, as text (its warnings
 * about platform.yaml on stderr). */
static void print_result(json_t *res, bool done, const char *file, const char *env)
{
	json_t *plan = json_object_get(res, "plan"), *s;
	size_t i;
	int w = 1;
	json_array_foreach(json_object_get(res, "warnings"), i, s)
		fprintf(stderr, "paved apply: warning: %s\n", json_string_value(s));
	json_array_foreach(json_object_get(res, "recovered"), i, s) {
		const char *o = json_string_value(json_object_get(s, "outcome"));
		if (!strcmp(o, "pending"))
			printf(" !   %s: an interrupted %s, finished or rolled back when applied\n",
			       json_string_value(json_object_get(s, "name")),
			       json_string_value(json_object_get(s, "op")));
		else
			printf(" !   %s: %s the interrupted %s\n", json_string_value(json_object_get(s,
			       "name")), o, json_string_value(json_object_get(s, "op")));
	}
	json_array_foreach(plan, i, s) {
		int l = (int)strlen(json_string_value(json_object_get(s, "key")) ?
		                    json_string_value(json_object_get(s, "key")) : "");
		w = l > w ? l : w;
	}
	json_array_foreach(plan, i, s)
		print_step(s, done, file, env, w);
}

/* The closing line of a successful apply. */
static void print_summary(json_t *res, bool dry, const char *env)
{
	json_int_t n[4];
	static const char *const lists[] = { "created", "updated", "replaced", "destroyed" };
	json_t *plan = json_object_get(res, "plan"), *s;
	const char *file = json_string_value(json_object_get(res, "file"));
	size_t i;
	json_int_t changes = json_integer_value(json_object_get(res, "changes"));
	json_int_t unchanged = json_integer_value(json_object_get(res, "unchanged"));
	memset(n, 0, sizeof n);
	if (dry) {
		static const char *const acts[] = { "create", "update", "replace", "destroy" };
		json_array_foreach(plan, i, s)
			for (int k = 0; k < 4; k++)
				n[k] += !strcmp(json_string_value(json_object_get(s, "action")), acts[k]) &&
				        !json_is_true(json_object_get(s, "kept"));
	} else {
		for (int k = 0; k < 4; k++)
			n[k] = (json_int_t)json_array_size(json_object_get(res, lists[k]));
	}
	if (json_array_size(plan) == 0)
		printf("No resources declared in %s.\n", file);
	else if (changes == 0)
		printf("Nothing to do: %lld resource%s up to date (env %s).\n", (long long)unchanged,
		       unchanged == 1 ? "" : "s", env);
	else if (dry)
		printf("Plan: %lld to create, %lld to update in place, %lld to replace, %lld to "
		       "destroy (env %s).\n", (long long)n[0], (long long)n[1], (long long)n[2],
		       (long long)n[3], env);
	else
		printf("Applied %s (env %s): %lld created, %lld updated, %lld replaced, %lld "
		       "destroyed, %lld unchanged; $%.2f/month in all.\n", file, env, (long long)n[0],
		       (long long)n[1], (long long)n[2], (long long)n[3], (long long)unchanged,
		       json_number_value(json_object_get(res, "cost_per_month")));
}

/* Usage error: MSG for "paved apply: MSG", exit 2. */
static int usage(json_t **result, char **errmsg, char *msg)
{
	paved->error(errmsg, "%s", msg ? msg : "out of memory");
	free(msg);
	*result = json_pack("{si}", "exit", 2);
	return PAVED_ERR;
}

int prv_cli_apply(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *p = NULL, *res = NULL, *call = NULL;
	char *err = NULL;
	bool js = json_is_true(json_object_get(args, "json"));
	if (paved->cli_parse(ctx, json_object_get(args, "argv"), apply_flags, &p, &err))
		return usage(result, errmsg, err);
	json_t *fl = json_object_get(p, "flags"), *pos = json_object_get(p, "args");
	int rc = PAVED_OK;
	if (json_is_true(json_object_get(p, "help"))) {
		fputs(apply_help, stdout);
		paved->cli_help(ctx, stdout, apply_flags);
		*result = json_pack("{si}", "exit", 0);
		goto out;
	}
	if (json_array_size(pos) > 1) {
		rc = usage(result, errmsg, pc_printf("unexpected argument '%s' (one FILE or DIR only)",
		                                     json_string_value(json_array_get(pos, 1))));
		goto out;
	}
	const char *file = json_string_value(json_array_get(pos, 0));
	const char *env = json_string_value(json_object_get(fl, "env"));
	bool dry = json_is_true(json_object_get(fl, "dry-run"));
	if (!env)
		env = "dev";
	call = json_pack("{ss ss sb sb sb}", "file", file ? file : ".", "env", env, "dry_run", dry,
	                 "prune", json_is_true(json_object_get(fl, "prune")),
	                 "yes", json_is_true(json_object_get(fl, "yes")));
	if (json_object_get(fl, "owner"))
		json_object_set(call, "owner", json_object_get(fl, "owner"));
	rc = prv_apply(ctx, call, &res, &err);
	json_t *need = json_object_get(res, "confirm");
	if (rc != PAVED_OK && json_array_size(need) > 0 && isatty(STDIN_FILENO)) {
		size_t i;
		json_t *s;
		if (!js)
			print_result(res, false, file, env);
		free(err);
		err = NULL;
		json_array_foreach(json_object_get(res, "plan"), i, s)
			if (json_is_true(json_object_get(s, "confirm")) &&
			    prv_confirm(json_string_value(json_object_get(s, "action")),
			                json_string_value(json_object_get(s, "name")), &err) != PAVED_OK)
				break;
		if (!err) {
			json_object_set(call, "confirmed", need);
			json_decref(res);
			res = NULL;
			rc = prv_apply(ctx, call, &res, &err);
		} else {
			rc = PAVED_ERR;
		}
	}
	if (js && res)
		prv_print_json(res);
	else if (res)
		print_result(res, rc == PAVED_OK && !dry, file, env);
	if (rc != PAVED_OK) {
		*errmsg = err;
		err = NULL;
		*result = json_pack("{si}", "exit", 1);
		goto out;
	}
	if (!js)
		print_summary(res, dry, env);
	*result = json_pack("{si}", "exit", dry && json_integer_value(json_object_get(res, "changes"))
	                                    ? 2 : 0);
out:
	free(err);
	json_decref(p), json_decref(res), json_decref(call);
	return rc;
}
