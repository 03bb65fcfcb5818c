/*
 * recipe.h -- golden paths: Lua recipes with typed params and undoable
 * steps (recipe.c, recipe_params.c, recipe_run.c).
 */
#ifndef PV_RECIPE_H
#define PV_RECIPE_H

#include <stdio.h>

#include "lua_rt.h"

/* A loaded recipe: its own sandboxed state holding the recipe table. */
struct pv_recipe {
	char *name, *dir, *file;
	struct pv_lua *x;
	int   ref;            /* registry ref of the recipe table */
};

/* Colon-separated recipe search path in effect. */
char   *pv_recipe_path(pv_host *h);
/* [{name, summary, dir}] of every recipe in the path.  New reference. */
json_t *pv_recipe_list(pv_host *h);
/* Find and load recipe NAME.  Unknown names list what exists. */
int     pv_recipe_open(pv_host *h, const char *name, struct pv_recipe **out, char **errmsg);
void    pv_recipe_close(struct pv_recipe *r);
/* {name, summary, dir, params: [...], steps: [titles], requires, env,
 * reads: [...], warnings: [...]}.  New reference. */
json_t *pv_recipe_describe(struct pv_recipe *r);
/* Print what the described recipe may reach, for `paved recipes show`. */
void    pv_recipe_print_access(FILE *out, json_t *desc);
/* Check INPUT (object of raw values) against the declared params; on
 * success *PARAMS is a new object with coerced values and defaults; on
 * failure *ERRMSG lists every problem, one per line. */
int     pv_recipe_validate(struct pv_recipe *r, json_t *input, json_t **params, char **errmsg);
/* Undo (or, with RESUME, finish) interrupted run ID: `paved runs undo|resume`. */
int     pv_recipe_recover(pv_host *h, long long id, bool resume, json_t **result, char **errmsg);
/* The provider of hook "recipe.run" (registered by the host). */
int     pv_recipe_run_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                           void *data);

#endif
