/*
 * recipe_run.c -- the golden-path runner, the host's provider of the hook
 * "recipe.run".  Because it is a hook, before:recipe.run observers (a
 * naming policy, say) can veto a run before anything happens.
 *
 * Order: load the recipe, validate every param (all problems at once),
 * record the run, then run the steps in order printing one line each.  A
 * step whose hook has no provider yet is skipped with the reason.  When a
 * step fails, the completed steps are undone in reverse order and the run
 * is recorded as failed, so nothing is left half-made.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe.h"
#include "state_runs.h"

struct out {
	bool quiet, color;
};

/* Print one step line: GLYPH TITLE DETAIL (DETAIL may span lines). */
static void say(const struct out *o, const char *color, const char *glyph, const char *title,
                const char *detail)
{
	if (o->quiet)
		return;
	const char *nl = detail ? strchr(detail, '\n') : NULL;
	int n = nl ? (int)(nl - detail) : detail ? (int)strlen(detail) : 0;
	printf(" %s%s%s %-36s %.*s\n", o->color ? color : "", glyph, o->color ? "\033[0m" : "",
	       title, n, detail ? detail : "");
	for (const char *p = nl; p && *p; ) {
		const char *e = strchr(p + 1, '\n');
		int len = e ? (int)(e - p - 1) : (int)strlen(p + 1);
		if (len > 0)
			printf("      %.*s\n", len, p + 1);
		p = e;
	}
	fflush(stdout);
}

/* Print a skipped step with its REASON. */
static void say_skipped(const struct out *o, const char *title, const char *reason)
{
	char *line = pv_asprintf("skipped: %s", reason);
	say(o, "\033[2m", "–", title, line);
	free(line);
}

/* "no plugin provides 'X'" out of a longer message, or the message. */
static char *skip_reason(const char *msg)
{
	const char *p = strstr(msg, "no plugin provides '");
	if (!p)
		return pv_strdup(msg);
	const char *q = strchr(p + 20, '\'');
	return q ? strndup(p, (size_t)(q - p + 1)) : pv_strdup(p);
}

/* Call field FN of step table at STEP_IDX with the ctx; returns PAVED_OK,
 * or PAVED_ERR with *ERRMSG and *NOHOOK set for "no plugin provides". */
static int call_step(struct pv_recipe *r, int step_idx, const char *fn, int ctx_ref,
                     char **detail, bool *nohook, char **errmsg)
{
	lua_State *L = r->x->L;
	*detail = NULL;
	*nohook = false;
	lua_getfield(L, step_idx, fn);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return PAVED_OK;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, ctx_ref);
	r->x->count = 0;   /* the instruction limit applies per step */
	if (pv_lua_pcall(r->x, 1, 1, errmsg)) {
		const char *code = pv_lua_error_code(L, -1);
		*nohook = code && strcmp(code, "nohook") == 0;
		lua_pop(L, 1);
		return PAVED_ERR;
	}
	if (lua_isstring(L, -1))
		*detail = pv_strdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	return PAVED_OK;
}

/* A step's optional when(ctx) -> false, "reason" skips it.  Returns the
 * reason (caller frees) or NULL when the step should run. */
static char *step_wanted(struct pv_recipe *r, int step_idx, int ctx_ref)
{
	lua_State *L = r->x->L;
	lua_getfield(L, step_idx, "when");
	if (!lua_isfunction(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, ctx_ref);
	char *err = NULL, *why = NULL;
	if (pv_lua_pcall(r->x, 1, 2, &err)) {
		lua_pop(L, 1);
		return err;
	}
	if (!lua_toboolean(L, -2))
		why = pv_strdup(lua_isstring(L, -1) ? lua_tostring(L, -1) : "not wanted");
	lua_pop(L, 2);
	return why;
}

/* Build the ctx table handed to every step; returns its registry ref. */
static int make_ctx(pv_host *h, struct pv_recipe *r, json_t *params, const char *target,
                    long long run_id)
{
	lua_State *L = r->x->L;
	lua_createtable(L, 0, 8);
	pv_lua_push_json(L, params);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "params");
	lua_getglobal(L, "paved");
	lua_insert(L, -2);
	lua_setfield(L, -2, "params");   /* paved.params too */
	lua_pop(L, 1);
	lua_pushstring(L, r->name), lua_setfield(L, -2, "recipe");
	lua_pushstring(L, r->dir), lua_setfield(L, -2, "recipe_dir");
	char *sk = pv_path_join(r->dir, "skeleton");
	lua_pushstring(L, sk), lua_setfield(L, -2, "skeleton");
	free(sk);
	if (target)
		lua_pushstring(L, target), lua_setfield(L, -2, "target");
	lua_pushinteger(L, run_id), lua_setfield(L, -2, "run_id");
	lua_pushstring(L, h->home), lua_setfield(L, -2, "home");
	lua_newtable(L), lua_setfield(L, -2, "out");
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Undo completed steps DONE[0..N) in reverse order. */
static void undo_all(pv_host *h, struct pv_recipe *r, const struct out *o, long long id,
                     int steps_idx, const bool *done, int n, int ctx_ref)
{
	lua_State *L = r->x->L;
	for (int i = n - 1; i >= 0; i--) {
		if (!done[i])
			continue;
		lua_rawgeti(L, steps_idx, i + 1);
		lua_getfield(L, -1, "title");
		char *title = pv_strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
		char *detail = NULL, *err = NULL;
		bool nohook;
		int rc = call_step(r, lua_gettop(L), "undo", ctx_ref, &detail, &nohook, &err);
		lua_pop(L, 1);
		say(o, "\033[33m", rc ? "!" : "↩", rc ? "undo failed:" : "undone:",
		    rc ? err : title);
		pv_run_step(h, id, i + 1, title, rc ? "undo-failed" : "undone", rc ? err : NULL);
		free(title), free(detail), free(err);
	}
}

/* Print the dry-run plan and describe it as the result. */
static json_t *plan(struct pv_recipe *r, json_t *params, const char *target, const struct out *o)
{
	json_t *d = pv_recipe_describe(r);
	json_object_set(d, "params", params);
	json_object_set_new(d, "dry_run", json_true());
	if (target)
		json_object_set_new(d, "target", json_string(target));
	if (!o->quiet) {
		printf("Plan for %s (dry run: nothing is created)\n", r->name);
		const char *k;
		json_t *v;
		json_object_foreach(params, k, v) {
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			printf("  %-12s %s\n", k, s ? s : "");
			free(s);
		}
		if (target)
			printf("  %-12s %s\n", "target", target);
		size_t i;
		json_array_foreach(json_object_get(d, "steps"), i, v)
			printf(" %zu. %s\n", i + 1, json_string_value(v));
	}
	return d;
}

/* Run every step; on failure undo.  Fills STEPS; returns PAVED_OK or ERR. */
static int run_steps(pv_host *h, struct pv_recipe *r, const struct out *o, long long id,
                     int ctx_ref, json_t *steps, char **errmsg)
{
	lua_State *L = r->x->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	lua_getfield(L, -1, "steps");
	int sidx = lua_gettop(L), n = (int)luaL_len(L, sidx), rc = PAVED_OK;
	bool *done = calloc((size_t)n + 1, sizeof *done);
	for (int i = 0; i < n && rc == PAVED_OK; i++) {
		lua_rawgeti(L, sidx, i + 1);
		lua_getfield(L, -1, "title");
		char *title = pv_strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "step");
		lua_pop(L, 1);
		char *detail = NULL, *err = NULL;
		bool nohook;
		const char *status = "done";
		char *why_not = step_wanted(r, lua_gettop(L), ctx_ref);
		if (why_not) {
			status = "skipped";
			detail = why_not;
			say_skipped(o, title, detail);
		} else if (call_step(r, lua_gettop(L), "run", ctx_ref, &detail, &nohook, &err) == PAVED_OK) {
			done[i] = true;
			say(o, "\033[32m", "✓", title, detail);
		} else if (nohook) {
			status = "skipped";
			free(detail);
			detail = skip_reason(err);
			say_skipped(o, title, detail);
		} else {
			status = "failed";
			say(o, "\033[31m", "✗", title, err);
			const char *nl = strchr(err, '\n');
			pv_seterr(errmsg, "step '%s' failed: %.*s", title,
			          nl ? (int)(nl - err) : (int)strlen(err), err);
			rc = PAVED_ERR;
		}
		pv_run_step(h, id, i + 1, title, status, rc ? err : detail);
		json_array_append_new(steps, json_pack("{ss ss ss?}", "title", title, "status", status,
		                      "detail", rc ? err : detail));
		lua_pop(L, 1);
		free(title), free(detail), free(err);
	}
	if (rc)
		undo_all(h, r, o, id, sidx, done, n, ctx_ref);
	free(done);
	lua_pop(L, 2);
	return rc;
}

/* The recipe's finish(ctx) text, or NULL. */
static char *finish_text(struct pv_recipe *r, int ctx_ref)
{
	lua_State *L = r->x->L;
	char *text = NULL, *err = NULL;
	bool nohook;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	int rc = call_step(r, lua_gettop(L), "finish", ctx_ref, &text, &nohook, &err);
	lua_pop(L, 1);
	if (rc)
		pv_log(r->x->host, PAVED_LOG_WARN, "recipe %s: finish: %s", r->name, err);
	free(err);
	return text;
}

int pv_recipe_run_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	pv_host *h = ctx->host;
	(void)data;
	struct pv_recipe *r = NULL;
	json_t *params = NULL, *steps = json_array();
	const char *name = json_string_value(json_object_get(args, "recipe"));
	const char *target = json_string_value(json_object_get(args, "target"));
	struct out o = { h->json || json_is_true(json_object_get(args, "quiet")),
	                 isatty(1) && !getenv("NO_COLOR") };
	char *tgt = NULL, *text = NULL;
	long long id = 0;
	int rc = PAVED_ERR, ctx_ref = LUA_NOREF;
	json_t *input = json_object_get(args, "params");
	if (pv_recipe_open(h, name, &r, errmsg) ||
	    pv_recipe_validate(r, json_is_object(input) ? input : NULL, &params, errmsg))
		goto done;
	const char *pname = json_string_value(json_object_get(params, "name"));
	if (target) {
		tgt = target[0] == '/' ? pv_strdup(target) : NULL;
		if (!tgt) {
			char cwd[PATH_MAX];
			tgt = getcwd(cwd, sizeof cwd) ? pv_path_join(cwd, target) : NULL;
		}
	} else if (pname) {
		char cwd[PATH_MAX];
		tgt = getcwd(cwd, sizeof cwd) ? pv_path_join(cwd, pname) : NULL;
	}
	if (json_is_true(json_object_get(args, "dry_run"))) {
		*result = plan(r, params, tgt, &o);
		rc = PAVED_OK;
		goto done;
	}
	if (pv_run_begin(h, r->name, params, &id, errmsg))
		goto done;
	ctx_ref = make_ctx(h, r, params, tgt, id);
	rc = run_steps(h, r, &o, id, ctx_ref, steps, errmsg);
	pv_run_end(h, id, rc ? "failed" : "succeeded", rc ? *errmsg : NULL);
	json_t *ev = json_pack("{sIsssO}", "run_id", id, "recipe", r->name, "params", params);
	pv_emit(h, "paved", rc ? "recipe.run.failed" : "recipe.run.succeeded", ev);
	json_decref(ev);
	if (rc)
		goto done;
	text = finish_text(r, ctx_ref);
	lua_rawgeti(r->x->L, LUA_REGISTRYINDEX, ctx_ref);
	lua_getfield(r->x->L, -1, "out");
	json_t *outs = pv_lua_to_json(r->x->L, -1, NULL);
	lua_pop(r->x->L, 2);
	if (text && !o.quiet)
		printf("\n%s\n", text);
	*result = json_pack("{sI ss ss sO ss? sO so ss?}", "run_id", id, "recipe", r->name,
	                    "status", "succeeded", "params", params, "target", tgt,
	                    "steps", steps, "outputs", outs ? outs : json_object(),
	                    "summary", text);
done:
	free(text);
	free(tgt);
	json_decref(steps);
	json_decref(params);
	pv_recipe_close(r);
	return rc;
}
