/*
 * cli_recipes.c -- golden-path commands: `paved create`, `paved new`,
 * `paved recipes`, `paved runs`.  Each builds the arguments of the hook
 * recipe.run and calls it, so policies observing before:recipe.run apply
 * to every way of running a recipe.
 */
#include "config.h"

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

/* Value of option ARGV[*I] given as "--opt v" or "--opt=v". */
static const char *optval(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int create_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	json_t *params = json_object();
	const char *tmpl = NULL, *dir = NULL, *v, *name = NULL;
	bool dry = false;
	if (argc < 2 || strcmp(argv[1], "service") != 0) {
		json_decref(params);
		return pv_usage(cmd, "expected 'create service NAME --template T'");
	}
	for (int i = 2; i < argc; i++) {
		if ((v = optval(argc, argv, &i, "--template")) || (v = optval(argc, argv, &i, "-t")))
			tmpl = v;
		else if ((v = optval(argc, argv, &i, "--database")))
			json_object_set_new(params, "database", json_string(v));
		else if ((v = optval(argc, argv, &i, "--owner")))
			json_object_set_new(params, "owner", json_string(v));
		else if ((v = optval(argc, argv, &i, "--system")))
			json_object_set_new(params, "system", json_string(v));
		else if ((v = optval(argc, argv, &i, "--description")))
			json_object_set_new(params, "description", json_string(v));
		else if ((v = optval(argc, argv, &i, "--dir")))
			dir = v;
		else if ((v = optval(argc, argv, &i, "--set"))) {
			if (!add_set(params, v)) {
				json_decref(params);
				return pv_usage(cmd, "--set expects KEY=VALUE, got '%s'", v);
			}
		} else if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
			dry = true;
		else if (strcmp(argv[i], "--no-deploy") == 0)
			json_object_set_new(params, "deploy", json_false());
		else if (argv[i][0] == '-' && argv[i][1]) {
			json_decref(params);
			return pv_usage(cmd, "unknown option '%s'", argv[i]);
		} else if (!name)
			name = argv[i];
		else {
			json_decref(params);
			return pv_usage(cmd, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!name || !tmpl) {
		json_decref(params);
		return pv_usage(cmd, "%s", !name ? "missing service NAME" : "missing --template T "
		                "(see 'paved recipes')");
	}
	json_object_set_new(params, "name", json_string(name));
	return run_recipe(h, json_pack("{ss so sb ss?}", "recipe", tmpl, "params", params,
	                               "dry_run", dry, "target", dir));
}

const struct pv_cmd pv_cmd_create = {
	"create", "create a service from a golden path (paved create service NAME)",
	"Usage: paved create service NAME --template T [--database postgres|redis|none]\n"
	"                            [--owner TEAM] [--system S] [--description TEXT]\n"
	"                            [--set KEY=VALUE ...] [--dir DIR] [--no-deploy]\n"
	"                            [--dry-run] [--json]\n"
	"\n"
	"Runs the golden path T (see 'paved recipes') for a new service NAME: renders\n"
	"its skeleton into DIR (default ./NAME), creates its git repository in the\n"
	"local forge, and runs the recipe's other steps (database, catalog,\n"
	"monitoring, deployment).  A step whose plugin is not installed is shown as\n"
	"skipped with the reason.  Every parameter is checked before anything runs;\n"
	"if a step fails, the completed steps are undone in reverse order, so\n"
	"nothing is left half-made.  Each run is recorded ('paved runs').\n"
	"\n"
	"  -t, --template T   golden path to use (node-api, c-api, ...)\n"
	"  --database D       postgres, redis or none (default none)\n"
	"  --owner TEAM       owning team, a catalog group (default team-default)\n"
	"  --set KEY=VALUE    any other recipe parameter\n"
	"  --dir DIR          where to put the working copy (default ./NAME)\n"
	"  --no-deploy        stop before the deploy step\n"
	"  -n, --dry-run      print the plan; create nothing\n"
	"\n"
	"Example:\n"
	"  paved create service payment-api --template node-api --database postgres\n"
	"\n"
	"Exit status: 0 created, 1 a step failed (undone) or a policy vetoed,\n"
	"2 unknown template or invalid parameters (nothing was run).\n",
	create_run, false
};

static int new_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	json_t *params = json_object();
	const char *dir = NULL, *v;
	bool dry = false;
	if (argc < 2 || argv[1][0] == '-') {
		json_decref(params);
		return pv_usage(cmd, "missing RECIPE (see 'paved recipes')");
	}
	for (int i = 2; i < argc; i++) {
		if ((v = optval(argc, argv, &i, "--set"))) {
			if (!add_set(params, v)) {
				json_decref(params);
				return pv_usage(cmd, "--set expects KEY=VALUE, got '%s'", v);
			}
		} else if ((v = optval(argc, argv, &i, "--dir"))) {
			dir = v;
		} else if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0) {
			dry = true;
		} else {
			json_decref(params);
			return pv_usage(cmd, "unexpected argument '%s'", argv[i]);
		}
	}
	return run_recipe(h, json_pack("{ss so sb ss?}", "recipe", argv[1], "params", params,
	                               "dry_run", dry, "target", dir));
}

const struct pv_cmd pv_cmd_new = {
	"new", "run any golden-path recipe with parameters",
	"Usage: paved new RECIPE [--set KEY=VALUE ...] [--dir DIR] [--dry-run] [--json]\n"
	"\n"
	"Runs golden path RECIPE with the given parameters (text values are\n"
	"converted to the declared type: int, bool, enum or string).  All parameters\n"
	"are validated first and every problem is listed.  See 'paved recipes show\n"
	"RECIPE' for the parameters.  'paved create service' is a shortcut for the\n"
	"service recipes.\n",
	new_run, false
};

static int recipes_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0)) {
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
	if (argc != 3 || strcmp(argv[1], "show") != 0)
		return pv_usage(cmd, "expected 'list' or 'show NAME'");
	struct pv_recipe *r;
	char *err = NULL;
	if (pv_recipe_open(h, argv[2], &r, &err)) {
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
	json_decref(d);
	return PV_EXIT_OK;
}

const struct pv_cmd pv_cmd_recipes = {
	"recipes", "list golden-path recipes or show one's parameters and steps",
	"Usage: paved recipes [list] [--json]\n"
	"       paved recipes show NAME [--json]\n"
	"\n"
	"Recipes are found in $PAVED_RECIPE_PATH, the config key recipe_path, then\n"
	"the installed golden paths.  Each is a directory NAME/ with recipe.lua and\n"
	"skeleton/; 'show' prints its typed parameters and its steps.\n",
	recipes_run, true
};

static int runs_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	long long only = 0;
	long limit = 20;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "show") == 0 && i + 1 < argc) {
			only = pv_parse_count(argv[++i]);
			if (only <= 0)
				return pv_usage(cmd, "'show' takes a run id");
		} else if ((strcmp(argv[i], "--limit") == 0) && i + 1 < argc) {
			if ((limit = pv_parse_count(argv[++i])) < 0)
				return pv_usage(cmd, "--limit needs a count");
		} else {
			return pv_usage(cmd, "unexpected argument '%s'", argv[i]);
		}
	}
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

const struct pv_cmd pv_cmd_runs = {
	"runs", "list golden-path runs and their steps",
	"Usage: paved runs [--limit N] [--json]\n"
	"       paved runs show ID [--json]\n"
	"\n"
	"Every run of a recipe is recorded with its parameters, status (running,\n"
	"succeeded, failed) and each step's outcome (done, skipped, failed, undone,\n"
	"undo-failed).  Newest first; --limit defaults to 20.\n",
	runs_run, true
};
