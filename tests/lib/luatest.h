/*
 * luatest.h -- helpers shared by the Check suites of the embedded Lua
 * runtime (tests/test_lua*.c): a host on a fresh temporary PAVED_HOME, a
 * sandboxed state on it, running chunks and checking what they return or
 * raise.
 */
#ifndef PV_LUATEST_H
#define PV_LUATEST_H

#include <limits.h>

#include "lua_rt.h"

extern char lt_tmp[PATH_MAX];     /* the test's temporary directory */
extern pv_host *lt_host;          /* a host on lt_tmp/home */
extern struct pv_lua *lt_x;       /* a sandboxed state on it (not confined) */

/* Make lt_tmp. */
void     lt_make_tmp(void);
/* Open a host on lt_tmp/home with config SETS; PLUGINS: directory of
 * plugins to load, or NULL for none. */
pv_host *lt_open_host(const char *const *sets, size_t nsets, const char *plugins);
/* Reopen lt_host (no plugins) and lt_x with config SETS. */
void     lt_use_limits(const char *const *sets, size_t nsets);
/* Fixtures: lt_tmp, lt_host and lt_x; lt_module_setup also confines lt_x
 * to lt_tmp with the programs the module tests start. */
void     lt_setup(void);
void     lt_module_setup(void);
void     lt_teardown(void);
/* Confine lt_x: it may write lt_tmp, read OWN (may be NULL), run PROGRAMS
 * and read ENV ("a,b" lists, NULL for none). */
void     lt_confine(const char *own, const char *programs, const char *env);
/* A JSON list from "a,b,c" (NULL or "": NULL). */
json_t  *lt_list(const char *csv);

/* Run CODE (chunk name "=test") in lt_x leaving NRES results; PAVED_OK or
 * the error in *ERR (caller frees). */
int      lt_run(const char *code, int nres, char **err);
/* Run CODE, which must succeed and return one string; returns a copy. */
char    *lt_run_str(const char *code);
/* Run CODE, which must fail; returns the message (caller frees). */
char    *lt_run_err(const char *code);
#define ck_assert_lua_str(code, want) do { \
	char *got_ = lt_run_str(code); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

/* Run test recipe RECIPE (PAVED_RECIPE_PATH must lead to tests/recipes)
 * with --name svc --how HOW into lt_tmp/work/svc through the recipe.run
 * hook: its status; *OUT its error, or on success the detail of its last
 * step (caller frees); *TOOK (may be NULL) how long it took. */
int      lt_run_recipe(const char *recipe, const char *how, char **out, double *took);
/* Does lt_tmp/work/svc exist? */
bool     lt_target_exists(void);
/* Copy WANT to OUT (CAP bytes) with "%R" replaced by R and "%O" by O. */
void     lt_expand(char *out, size_t cap, const char *want, const char *r, const char *o);

/* Write TEXT to PATH; aborts the test on failure. */
void     lt_write_text(const char *path, const char *text);
/* Seconds on CLOCK_MONOTONIC. */
double   lt_now(void);

#endif
