/* luatest.c - helpers shared by the Lua runtime's Check suites (see
 * luatest.h). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "luatest.h"
#include "proc.h"

char lt_tmp[PATH_MAX];
pv_host *lt_host;
struct pv_lua *lt_x;

void lt_make_tmp(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(lt_tmp, sizeof lt_tmp, "%s/paved-test-lua.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(lt_tmp));
}

/* Open a host on lt_tmp/home with config SETS; PLUGINS: directory of
 * plugins to load, or NULL for none. */
pv_host *lt_open_host(const char *const *sets, size_t nsets, const char *plugins)
{
	char home[PATH_MAX + 8];
	snprintf(home, sizeof home, "%s/home", lt_tmp);
	struct pv_host_opts o = { .home = home, .sets = sets, .nsets = nsets,
	                          .no_plugins = plugins == NULL, .plugin_path = plugins };
	pv_host *h = NULL;
	char *err = NULL;
	int code;
	unsetenv("PAVED_PLUGIN_PATH");
	if (pv_host_open(&o, &h, &err, &code) != PAVED_OK)
		ck_abort_msg("pv_host_open: %s", err ? err : "?");
	return h;
}

void lt_use_limits(const char *const *sets, size_t nsets)
{
	if (lt_x)
		pv_lua_close(lt_x);
	if (lt_host)
		pv_host_close(lt_host);
	lt_host = lt_open_host(sets, nsets, NULL);
	lt_x = pv_lua_new(lt_host, NULL);
	ck_assert_ptr_nonnull(lt_x);
}

/* A JSON list from "a,b,c" (NULL or "": none). */
json_t *lt_list(const char *csv)
{
	if (!csv || !*csv)
		return NULL;
	json_t *l = json_array();
	char *copy = strdup(csv), *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		json_array_append_new(l, json_string(w));
	free(copy);
	return l;
}

void lt_confine(const char *own, const char *programs, const char *env)
{
	struct pv_lua_decl d = { lt_list(programs), lt_list(env), NULL, json_pack("[s]", lt_tmp) };
	char *err = NULL;
	ck_assert_msg(pv_lua_confine(lt_x, "test code", own, &d, &err) == PAVED_OK, "%s", err);
	pv_lua_decl_free(&d);
}

void lt_setup(void)
{
	lt_make_tmp();
	lt_host = NULL;
	lt_x = NULL;
	lt_use_limits(NULL, 0);
}

/* For the tests of the paved module: confined to lt_tmp with the programs
 * they start declared. */
void lt_module_setup(void)
{
	lt_setup();
	lt_confine(NULL, "sh,cat,sleep,true,echo,nosuch", NULL);
}

void lt_teardown(void)
{
	pv_lua_close(lt_x);
	pv_host_close(lt_host);
	lt_x = NULL;
	lt_host = NULL;
	pv_rm_rf(lt_tmp, NULL);
}

/* Run CODE (chunk name "=test") leaving NRES results; PAVED_OK or the
 * error in *ERR (caller frees). */
int lt_run(const char *code, int nres, char **err)
{
	lua_State *L = lt_x->L;
	*err = NULL;
	if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") != LUA_OK) {
		*err = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
		return PAVED_ERR;
	}
	if (pv_lua_pcall(lt_x, 0, nres, err) != PAVED_OK) {
		lua_pop(L, 1);
		return PAVED_ERR;
	}
	return PAVED_OK;
}

/* Run CODE, which must succeed and return one string; returns a copy. */
char *lt_run_str(const char *code)
{
	char *err = NULL;
	if (lt_run(code, 1, &err) != PAVED_OK)
		ck_abort_msg("%s\nfailed: %s", code, err);
	const char *s = lua_tostring(lt_x->L, -1);
	ck_assert_msg(s != NULL, "%s: did not return a string", code);
	char *copy = strdup(s);
	lua_pop(lt_x->L, 1);
	return copy;
}

/* Run CODE, which must fail; returns the message (caller frees). */
char *lt_run_err(const char *code)
{
	char *err = NULL;
	if (lt_run(code, 0, &err) == PAVED_OK)
		ck_abort_msg("%s\nsucceeded but should have failed", code);
	ck_assert_ptr_nonnull(err);
	return err;
}

void lt_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

double lt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


int lt_run_recipe(const char *recipe, const char *how, char **out, double *took)
{
	char target[PATH_MAX + 16];
	snprintf(target, sizeof target, "%s/work/svc", lt_tmp);
	json_t *args = json_pack("{ss s{ssss} ss sb}", "recipe", recipe, "params", "name", "svc",
	                         "how", how, "target", target, "quiet", 1);
	json_t *res = NULL;
	*out = NULL;
	double t0 = lt_now();
	int rc = pv_call(lt_host, "recipe.run", args, &res, out);
	if (took)
		*took = lt_now() - t0;
	if (rc == PAVED_OK) {
		json_t *steps = json_object_get(res, "steps");
		json_t *last = json_array_get(steps, json_array_size(steps) - 1);
		const char *d = json_string_value(json_object_get(last, "detail"));
		*out = strdup(d ? d : "");
	}
	json_decref(args);
	json_decref(res);
	return rc;
}

bool lt_target_exists(void)
{
	char target[PATH_MAX + 16];
	struct stat st;
	snprintf(target, sizeof target, "%s/work/svc", lt_tmp);
	return lstat(target, &st) == 0;
}

void lt_expand(char *out, size_t cap, const char *want, const char *r, const char *o)
{
	size_t n = 0;
	for (const char *p = want; *p && n + 1 < cap; p++) {
		if (p[0] == '%' && (p[1] == 'R' || p[1] == 'O')) {
			n += (size_t)snprintf(out + n, cap - n, "%s", p[1] == 'R' ? r : o);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n < cap ? n : cap - 1] = '\0';
}
