/*
 * cli_recipes.c -- golden-path commands: `paved create`, `paved new`,
 * `paved recipes`, `paved runs`.  Each builds the arguments of the hook
 * recipe.run and calls it, so policies observing before:recipe.run apply
 * to every way of running a recipe.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "recipe.h"
#include "state_runs.h"

/* Call recipe.run with ARGS (stolen) and report like every command. */
static int run_recipe(pv_host *h, json_t *args)
{
	json_t *res = NULL;
	char *err = NULL;
	int rc = pv_call(h, "recipe.run", args, &res, &err);
	json_decref(args);
	if (rc != PAVED_OK) {
		/* the host runs recipe.run itself: "paved: paved: recipe.run: X" says
		 * nothing more than "paved: X" */
		static const char self[] = "paved: recipe.run: ";
		const char *shown = err ? err : "failed";
		pv_error("%s", strncmp(shown, self, sizeof self - 1) ? shown : shown + sizeof self - 1);
		int code = rc == PAVED_NOHOOK ? PV_EXIT_NOHOOK :
		           strstr(err ? err : "", "invalid parameters") || strstr(err ? err : "",
		           "unknown template") ? PV_EXIT_USAGE : PV_EXIT_FAIL;
		free(err);   /* after the checks above read it */
		return code;
	}
	if (h->json)
		pv_print_json(res);
	else
		json_decref(res);
	return PV_EXIT_OK;
}

/* Parse "k=v" into PARAMS. */
static bool add_set(json_t *params, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return false;
	char *k = strndup(kv, (size_t)(eq - kv));
	json_object_set_new(params, k, json_string(eq + 1));
	free(k);
	return true;
}

/* The options every recipe command has, before the recipe's own. */
static const struct paved_flag fixed_flags[] = {
	{ "template", 't', PAVED_FLAG_STRING, "T", "the golden path to run (see 'paved recipes')" },
	{ "dir", 0, PAVED_FLAG_STRING, "DIR", "where the working copy goes (default ./NAME)" },
	{ "set", 0, PAVED_FLAG_LIST, "KEY=VALUE", "any recipe parameter (repeatable)" },
	{ "dry-run", 'n', PAVED_FLAG_BOOL, NULL, "print the plan; create nothing" },
	{ 0 }
};
#define NFIXED (sizeof fixed_flags / sizeof fixed_flags[0] - 1)

/* The options of recipe R: the fixed ones (without --template for `new`),
 * then one per declared parameter (its name with '-' for '_'; NAME is the
 * positional argument when NAME_POSITIONAL).  A bool parameter is a
 * switch with --no-X.  The strings live in KEEP.  Caller frees the array. */
static struct paved_flag *recipe_flags(json_t *desc, bool with_template, bool name_positional,
                                       json_t *keep)
{
	json_t *params = json_object_get(desc, "params"), *p;
	size_t i, k = 0;
	struct paved_flag *f = calloc(NFIXED + json_array_size(params) + 1, sizeof *f);
	if (!f)
		return NULL;
	for (i = 0; i < NFIXED; i++)
		if (with_template || strcmp(fixed_flags[i].name, "template") != 0)
			f[k++] = fixed_flags[i];
	json_array_foreach(params, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *type = json_string_value(json_object_get(p, "type"));
		if (!name || (name_positional && strcmp(name, "name") == 0))
			continue;
		json_t *dv = json_object_get(p, "default");
		/* a switch that is on by default is offered as --no-NAME */
		bool negated = type && !strcmp(type, "bool") && json_is_true(dv);
		char *flag = pv_asprintf("%s%s", negated ? "no-" : "", name);
		for (char *c = flag; c && *c; c++)
			if (*c == '_')
				*c = '-';
		bool clash = false;
		for (size_t j = 0; j < k; j++)
			clash = clash || strcmp(f[j].name, flag) == 0;
		if (!flag || clash) {
			free(flag);
			continue;
		}
		char *meta = NULL, *help = NULL, *def = NULL;
		if (dv && !json_is_boolean(dv) && !(json_is_string(dv) && !*json_string_value(dv)))
			def = json_dumps(dv, JSON_ENCODE_ANY);
		if (type && strcmp(type, "enum") == 0) {
			json_t *c;
			size_t j;
			json_array_foreach(json_object_get(p, "choices"), j, c) {
				char *m = pv_asprintf("%s%s%s", meta ? meta : "", meta ? "|" : "",
				                      json_string_value(c));
				free(meta);
				meta = m;
			}
		} else if (type && strcmp(type, "int") == 0) {
			meta = pv_strdup("N");
		} else if (!type || strcmp(type, "bool") != 0) {
			meta = pv_strdup(flag);
			for (char *c = meta; c && *c; c++)
				*c = (char)(*c == '-' ? '_' : toupper((unsigned char)*c));
		}
		help = pv_asprintf("%s%s%s%s%s", negated ? "do not: " : "",
		                   json_string_value(json_object_get(p, "description")) ?: "",
		                   json_is_true(json_object_get(p, "required")) ? " (required)" : "",
		                   def ? " (default " : "", def ? def : "");
		if (def) {
			char *h2 = pv_asprintf("%s)", help);
			free(help);
			help = h2;
		}
		json_array_append_new(keep, json_string(flag));
		json_array_append_new(keep, json_string(help ? help : ""));
		size_t n = json_array_size(keep);
		f[k].name = json_string_value(json_array_get(keep, n - 2));
		f[k].help = json_string_value(json_array_get(keep, n - 1));
		f[k].type = type && !strcmp(type, "bool") ? PAVED_FLAG_BOOL :
		            type && !strcmp(type, "int") ? PAVED_FLAG_INT : PAVED_FLAG_STRING;
		if (meta) {
			json_array_append_new(keep, json_string(meta));
			f[k].metavar = json_string_value(json_array_get(keep, n));
		}
		k++;
		free(flag), free(meta), free(help), free(def);
	}
	return f;
}

/* The value of option NAME given as --NAME V, --NAME=V, -t V or -tV in
 * ARGV[from..argc), or NULL: the template is needed before the options
 * can be parsed, since the recipe declares the rest. */
static const char *peek_option(int argc, char **argv, int from, const char *name, char sh)
{
	size_t n = strlen(name);
	for (int i = from; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, name, n) == 0) {
			if (a[2 + n] == '=')
				return a + 3 + n;
			if (a[2 + n] == '\0' && i + 1 < argc)
				return argv[i + 1];
		}
		if (sh && a[0] == '-' && a[1] == sh)
			return a[2] ? a + 2 : (i + 1 < argc ? argv[i + 1] : NULL);
	}
	return NULL;
}

/* Parse ARGV[from..] for recipe R into the recipe.run arguments; prints
 * help or a usage error itself (then returns the exit code and *DONE).
 * NAME_POSITIONAL: `create service NAME`; else every param is an option. */
static json_t *recipe_args(pv_host *h, const struct pv_cmd *cmd, struct pv_recipe *r,
                           const char *usage, int argc, char **argv, int from,
                           bool name_positional, int *code, bool *done)
{
	json_t *keep = json_array(), *desc = pv_recipe_describe(r), *words = json_array();
	json_t *parsed = NULL, *run = NULL;
	char *err = NULL;
	struct paved_flag *flags = recipe_flags(desc, name_positional, name_positional, keep);
	*done = true;
	*code = PV_EXIT_USAGE;
	for (int i = from; i < argc; i++)
		json_array_append_new(words, json_string(argv[i]));
	if (!flags || pv_cli_parse(words, flags, &parsed, &err) != PAVED_OK) {
		*code = pv_usage(cmd, "%s", err ? err : "out of memory");
		goto out;
	}
	if (json_is_true(json_object_get(parsed, "help"))) {
		printf("%s\n%s: %s\n\nOptions (the recipe's parameters among them):\n", usage, r->name,
		       json_string_value(json_object_get(desc, "summary")) ?: "");
		pv_cli_help(stdout, flags);
		printf("\nSteps:\n");
		size_t i;
		json_t *st;
		json_array_foreach(json_object_get(desc, "steps"), i, st)
			printf("  %zu. %s\n", i + 1, json_string_value(st));
		*code = PV_EXIT_OK;
		goto out;
	}
	json_t *fl = json_object_get(parsed, "flags"), *args = json_object_get(parsed, "args");
	json_t *params = json_object(), *p;
	size_t i;
	if (name_positional) {
		if (json_array_size(args) != 1) {
			json_decref(params);
			*code = json_array_size(args) ? pv_usage(cmd, "unexpected argument '%s'",
			        json_string_value(json_array_get(args, 1))) :
			        pv_usage(cmd, "missing service NAME");
			goto out;
		}
		json_object_set(params, "name", json_array_get(args, 0));
	} else if (json_array_size(args)) {
		json_decref(params);
		*code = pv_usage(cmd, "unexpected argument '%s'", json_string_value(json_array_get(args, 0)));
		goto out;
	}
	json_array_foreach(json_object_get(desc, "params"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *type = json_string_value(json_object_get(p, "type"));
		bool negated = type && !strcmp(type, "bool") &&
		               json_is_true(json_object_get(p, "default"));
		char *flag = pv_asprintf("%s%s", negated ? "no-" : "", name);
		for (char *c = flag; c && *c; c++)
			if (*c == '_')
				*c = '-';
		json_t *v = flag ? json_object_get(fl, flag) : NULL;
		if (v && !(name_positional && strcmp(name, "name") == 0))
			json_object_set_new(params, name, negated ? json_boolean(!json_is_true(v))
			                                          : json_incref(v));
		free(flag);
	}
	json_t *kv;
	json_array_foreach(json_object_get(fl, "set"), i, kv) {
		if (!add_set(params, json_string_value(kv))) {
			json_decref(params);
			*code = pv_usage(cmd, "--set expects KEY=VALUE, got '%s'", json_string_value(kv));
			goto out;
		}
	}
	run = json_pack("{ss so sb sO*}", "recipe", r->name, "params", params, "dry_run",
	                json_is_true(json_object_get(fl, "dry-run")), "target",
	                json_object_get(fl, "dir"));
	*done = false;
	*code = PV_EXIT_OK;
out:
	(void)h;
	free(err), free(flags);
	json_decref(parsed), json_decref(words), json_decref(desc), json_decref(keep);
	return run;
}

/* Open recipe NAME for a command; an unknown one is a usage error. */
static int open_recipe(pv_host *h, const struct pv_cmd *cmd, const char *name,
                       struct pv_recipe **r)
{
	char *err = NULL;
	if (pv_recipe_open(h, name, r, &err) == PAVED_OK)
		return PV_EXIT_OK;
	int code = strncmp(err, "unknown template", 16) == 0 ? pv_usage(cmd, "%s", err) :
	           (pv_error("%s", err), PV_EXIT_FAIL);
	free(err);
	return code;
}

/* Before the recipe is known, check ARGV[from..] against the options every
 * recipe has: an unknown one is reported as such (exit 2), not as a missing
 * template.  0 when they parse (recipe options are not known yet, so only
 * an option that none of FLAGS is close to counts as unknown here). */
static int check_fixed(const struct pv_cmd *cmd, int argc, char **argv, int from,
                       const struct paved_flag *flags)
{
	json_t *words = json_array(), *parsed = NULL;
	char *err = NULL;
	for (int i = from; i < argc; i++)
		json_array_append_new(words, json_string(argv[i]));
	int rc = pv_cli_parse(words, flags, &parsed, &err);
	json_decref(words), json_decref(parsed);
	if (rc == PAVED_OK) {
		free(err);
		return 0;
	}
	rc = pv_usage(cmd, "%s", err);
	free(err);
	return rc;
}

static const char create_usage[] =
	"Usage: paved create service NAME --template T [OPTIONS]\n";

static int create_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	struct pv_recipe *r = NULL;
	int code;
	bool done, help = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		help = help || pv_is_help(argv[i]);
	if (argc < 2 || strcmp(argv[1], "service") != 0) {
		if ((code = check_fixed(cmd, argc, argv, 1, fixed_flags)))
			return code;
		if (help || argc < 2) {
			pv_cmd_help(cmd, NULL, help ? stdout : stderr);
			return help ? PV_EXIT_OK : PV_EXIT_USAGE;
		}
		return pv_usage(cmd, "unknown kind '%s': paved creates a 'service' "
		                "('paved create service NAME --template T')", argv[1]);
	}
	const char *tmpl = peek_option(argc, argv, 2, "template", 't');
	if (!tmpl) {
		if ((code = check_fixed(cmd, argc, argv, 2, fixed_flags)))
			return code;
		if (help) {
			pv_cmd_help(cmd, NULL, stdout);
			return PV_EXIT_OK;
		}
		json_t *l = pv_recipe_list(h), *e;
		size_t i;
		char names[512] = "";
		json_array_foreach(l, i, e)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
			         i ? ", " : "", json_string_value(json_object_get(e, "name")));
		json_decref(l);
		return pv_usage(cmd, "missing --template T (one of: %s)", *names ? names : "none found");
	}
	if ((code = open_recipe(h, cmd, tmpl, &r)))
		return code;
	json_t *run = recipe_args(h, cmd, r, create_usage, argc, argv, 2, true, &code, &done);
	pv_recipe_close(r);
	return done ? code : run_recipe(h, run);
}

const struct pv_cmd pv_cmd_create = {
	.name = "create", .summary = "create a service from a golden path (paved create service NAME)",
	.help =
	"Usage: paved create service NAME --template T [OPTIONS]\n"
	"\n"
	"Runs the golden path T (see 'paved recipes') for a new service NAME: renders\n"
	"its skeleton into DIR (default ./NAME), creates its git repository in the\n"
	"forge, and runs the recipe's other steps (database, catalog, monitoring,\n"
	"deployment).  Each parameter the recipe declares is an option: 'paved create\n"
	"service NAME --template T --help' lists them (for node-api: --owner TEAM,\n"
	"--database none|postgres|redis, --no-deploy, ...).  A step whose plugin is\n"
	"not installed is shown as skipped with the reason.  Every parameter is\n"
	"checked before anything runs; if a step fails, the completed steps are undone\n"
	"in reverse order, so nothing is left half-made.  Each run is recorded\n"
	"('paved runs').\n"
	"\n"
	"Example:\n"
	"  paved create service payment-api --template node-api --database postgres\n"
	"\n"
	"Exit status: 0 created, 1 a step failed (undone) or a policy vetoed,\n"
	"2 unknown template or invalid parameters (nothing was run).\n",
	.flags = fixed_flags, .raw = create_run,
};

static int new_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	struct pv_recipe *r = NULL;
	int code;
	bool done;
	if (argc < 2 || argv[1][0] == '-') {
		if ((code = check_fixed(cmd, argc, argv, 1, fixed_flags + 1)))
			return code;
		bool help = argc >= 2 && pv_is_help(argv[1]);
		if (help) {
			pv_cmd_help(cmd, NULL, stdout);
			return PV_EXIT_OK;
		}
		return pv_usage(cmd, "missing RECIPE (see 'paved recipes')");
	}
	if ((code = open_recipe(h, cmd, argv[1], &r)))
		return code;
	json_t *run = recipe_args(h, cmd, r, "Usage: paved new RECIPE [OPTIONS]\n", argc, argv, 2,
	                          false, &code, &done);
	pv_recipe_close(r);
	return done ? code : run_recipe(h, run);
}

const struct pv_cmd pv_cmd_new = {
	.name = "new", .summary = "run any golden-path recipe with parameters",
	.help =
	"Usage: paved new RECIPE [--PARAM VALUE ...] [--set KEY=VALUE ...] [--dir DIR]\n"
	"                        [--dry-run] [--json]\n"
	"\n"
	"Runs golden path RECIPE with the given parameters: each declared parameter\n"
	"is an option (--name payment-api), --set KEY=VALUE sets any of them (text\n"
	"is converted to the declared type: int, bool, enum or string).  All\n"
	"parameters are validated first and every problem is listed.  'paved new\n"
	"RECIPE --help' lists the recipe's options; 'paved create service' is the\n"
	"shortcut for the service recipes.\n",
	.flags = fixed_flags + 1, .raw = new_run,
};

static int recipes_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                       json_t *args, json_t *flags)
{
	size_t n = json_array_size(args);
	(void)flags;
	if (strcmp(sub->name, "list") == 0) {
		if (n)
			return pv_sub_usage(cmd, sub, "unexpected argument '%s'",
			                    json_string_value(json_array_get(args, 0)));
		json_t *l = pv_recipe_list(h);
		if (h->json) {
			pv_print_json(l);
			return PV_EXIT_OK;
		}
		size_t i;
		json_t *e;
		json_array_foreach(l, i, e)
			printf("%-14s %s\n", json_string_value(json_object_get(e, "name")),
			       json_string_value(json_object_get(e, "summary")) ?: "");
		if (json_array_size(l) == 0)
			printf("no recipes found (search path: $PAVED_RECIPE_PATH, recipe_path)\n");
		json_decref(l);
		return PV_EXIT_OK;
	}
	if (n != 1)
		return pv_sub_usage(cmd, sub, n ? "'show' takes one recipe name" : "missing NAME");
	struct pv_recipe *r;
	char *err = NULL;
	if (pv_recipe_open(h, json_string_value(json_array_get(args, 0)), &r, &err)) {
		pv_error("%s", err);
		free(err);
		return PV_EXIT_FAIL;
	}
	json_t *d = pv_recipe_describe(r);
	pv_recipe_close(r);
	if (h->json) {
		pv_print_json(d);
		return PV_EXIT_OK;
	}
	printf("%s — %s\n%s\n\nParameters:\n", json_string_value(json_object_get(d, "name")),
	       json_string_value(json_object_get(d, "summary")) ?: "",
	       json_string_value(json_object_get(d, "dir")));
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(d, "params"), i, p) {
		char *def = json_dumps(json_object_get(p, "default"), JSON_ENCODE_ANY);
		char *ch = json_dumps(json_object_get(p, "choices"), JSON_COMPACT);
		printf("  %-12s %-7s%s%s%s%s%s\n      %s\n", json_string_value(json_object_get(p, "name")),
		       json_string_value(json_object_get(p, "type")) ?: "string",
		       json_is_true(json_object_get(p, "required")) ? " required" : "",
		       def ? " default " : "", def ? def : "", ch ? " one of " : "", ch ? ch : "",
		       json_string_value(json_object_get(p, "description")) ?: "");
		free(def), free(ch);
	}
	printf("\nSteps:\n");
	json_array_foreach(json_object_get(d, "steps"), i, p)
		printf("  %zu. %s\n", i + 1, json_string_value(p));
	pv_recipe_print_access(stdout, d);
	json_decref(d);
	return PV_EXIT_OK;
}

static const struct pv_sub recipes_subs[] = {
	{ "list", "Usage: paved recipes [list] [--json]\n\nEvery recipe in the search path with "
	  "its summary.\n", NULL },
	{ "show", "Usage: paved recipes show NAME [--json]\n\nA recipe's typed parameters (the "
	  "options of 'paved create'/'paved new') and its steps.\n", NULL },
	{ 0 }
};

const struct pv_cmd pv_cmd_recipes = {
	.name = "recipes", .summary = "list golden-path recipes or show one's parameters and steps",
	.help = "Usage: paved recipes [list] [--json]\n"
	"       paved recipes show NAME [--json]\n"
	"\n"
	"Recipes are found in $PAVED_RECIPE_PATH, the config key recipe_path, then\n"
	"the installed golden paths.  Each is a directory NAME/ with recipe.lua and\n"
	"skeleton/; 'show' prints its typed parameters and its steps.\n",
	.subs = recipes_subs, .default_sub = "list", .run = recipes_run, .no_plugins = true,
};

/* `paved runs undo ID` and `paved runs resume ID`. */
static int runs_recover(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                        json_t *args)
{
	const char *id = json_string_value(json_array_get(args, 0));
	char *end = NULL, *err = NULL;
	long long n = id ? strtoll(id, &end, 10) : 0;
	if (json_array_size(args) != 1 || n <= 0 || *end)
		return pv_sub_usage(cmd, sub, "'%s' takes a run id (a number)", sub->name);
	json_t *res = NULL;
	int rc = pv_recipe_recover(h, n, strcmp(sub->name, "resume") == 0, &res, &err);
	if (rc != PAVED_OK) {
		pv_error("%s", err);
		free(err);
		json_decref(res);
		return PV_EXIT_FAIL;
	}
	if (h->json)
		pv_print_json(res);
	else
		json_decref(res);
	return PV_EXIT_OK;
}

static int runs_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                    json_t *args, json_t *flags)
{
	long long only = 0;
	if (!strcmp(sub->name, "undo") || !strcmp(sub->name, "resume"))
		return runs_recover(h, cmd, sub, args);
	size_t n = json_array_size(args);
	json_t *lim = json_object_get(flags, "limit");
	long long limit = lim ? json_integer_value(lim) : 20;
	if (strcmp(sub->name, "show") == 0) {
		const char *id = json_string_value(json_array_get(args, 0));
		char *end = NULL;
		only = id ? strtoll(id, &end, 10) : 0;
		if (n != 1 || only <= 0 || *end)
			return pv_sub_usage(cmd, sub, "'show' takes a run id (a number)");
	} else if (n) {
		return pv_sub_usage(cmd, sub, "unexpected argument '%s'",
		                    json_string_value(json_array_get(args, 0)));
	}
	if (limit < 0 || limit > 1000000)
		return pv_sub_usage(cmd, sub, "--limit needs a count (a whole number >= 0)");
	json_t *runs = pv_runs_list(h, (int)limit, only);
	if (only && json_array_size(runs) == 0) {
		json_decref(runs);
		pv_error("no run %lld", only);
		return PV_EXIT_FAIL;
	}
	if (h->json) {
		pv_print_json(only ? json_incref(json_array_get(runs, 0)) : json_incref(runs));
		json_decref(runs);
		return PV_EXIT_OK;
	}
	size_t i, k;
	json_t *r, *s;
	json_array_foreach(runs, i, r) {
		printf("#%-4lld %-10s %-10s %s  %s\n", (long long)json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "recipe")),
		       json_string_value(json_object_get(r, "status")),
		       json_string_value(json_object_get(r, "started")),
		       json_string_value(json_object_get(json_object_get(r, "params"), "name")) ?: "");
		if (json_string_value(json_object_get(r, "error")))
			printf("      error: %s\n", json_string_value(json_object_get(r, "error")));
		if (!only)
			continue;
		json_array_foreach(json_object_get(r, "steps"), k, s)
			printf("      %-12s %s\n", json_string_value(json_object_get(s, "status")),
			       json_string_value(json_object_get(s, "title")));
	}
	if (json_array_size(runs) == 0)
		printf("no runs yet ('paved create service NAME --template T' starts one)\n");
	json_decref(runs);
	return PV_EXIT_OK;
}

static const struct paved_flag runs_flags[] = {
	{ "limit", 0, PAVED_FLAG_INT, "N", "show the newest N runs (default 20)" },
	{ 0 }
};

static const struct pv_sub runs_subs[] = {
	{ "list", "Usage: paved runs [list] [--limit N] [--json]\n\nRecorded runs, newest "
	  "first.\n", runs_flags },
	{ "show", "Usage: paved runs show ID [--json]\n\nOne run with each step's outcome.\n",
	  NULL },
	{ "undo", "Usage: paved runs undo ID [--json]\n\nUndo what an interrupted run made (its "
	  "paved process was killed): every completed\nstep, and the one that was in flight, in "
	  "reverse order.  Also finishes the undo\nof a failed run whose undo failed, once the "
	  "cause is fixed.\n", NULL },
	{ "resume", "Usage: paved runs resume ID [--json]\n\nFinish an interrupted run: the step "
	  "that was in flight is undone, then it\nand the remaining steps run.  If one fails, "
	  "every completed step is undone.\n", NULL },
	{ 0 }
};

const struct pv_cmd pv_cmd_runs = {
	.name = "runs", .summary = "list golden-path runs and their steps",
	.help =
	"Usage: paved runs [list] [--limit N] [--json]\n"
	"       paved runs show ID [--json]\n"
	"       paved runs undo ID\n"
	"       paved runs resume ID\n"
	"\n"
	"Every run of a recipe is recorded with its parameters, status (running,\n"
	"succeeded, failed, interrupted, undone) and each step's outcome (running,\n"
	"done, skipped, failed, undone, undo-failed).  Newest first; --limit\n"
	"defaults to 20.  A run is journalled step by step: when its paved process\n"
	"is killed, the next paved command marks it interrupted, and 'undo' removes\n"
	"what it made or 'resume' finishes it.  Ctrl-C (SIGINT) or SIGTERM during a\n"
	"run undoes the completed steps at once.\n",
	.flags = runs_flags, .subs = runs_subs, .default_sub = "list", .run = runs_run,
	/* undo and resume call the plugins' hooks */
};
