/*
 * recipe_run.c -- the golden-path runner, the host's provider of the hook
 * "recipe.run".  Because it is a hook, before:recipe.run observers (a
 * naming policy, say) can veto a run before anything happens.
 *
 * Order: load the recipe, validate every param (all problems at once),
 * record the run, then run the steps in order printing one line each.  A
 * step whose hook has no provider yet is skipped with the reason.  When a
 * step fails, or paved is interrupted (SIGINT, SIGTERM), that step and the
 * completed ones are undone in reverse order and the run is recorded as
 * failed, so nothing is left half-made.
 *
 * The run is a journal (state_runs.c): each step is recorded as running
 * before it starts and the ctx is saved after it, so when paved is killed
 * outright the next paved command marks the run interrupted and `paved runs
 * undo ID` (undo what was done, the step in flight included) or `paved runs
 * resume ID` (undo the step in flight, then run it and the rest) finish the
 * job.  A step's undo must therefore succeed whether its step did nothing,
 * part of its work, or all of it; a step records its intent in ctx and
 * calls paved.checkpoint() before it acts, so its undo knows.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
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

/* Build the ctx table handed to every step; returns its registry ref.
 * SAVED (may be NULL) is a journalled ctx laid over it, for undo and
 * resume of an interrupted run. */
static int make_ctx(pv_host *h, struct pv_recipe *r, json_t *params, const char *target,
                    long long run_id, json_t *saved)
{
	lua_State *L = r->x->L;
	pv_lua_set_target(r->x, target);   /* paved.fs may write the run's target */
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
	const char *k;
	json_t *v;
	json_object_foreach(saved, k, v) {
		pv_lua_push_json(L, v);
		lua_setfield(L, -2, k);
	}
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Save the ctx of run ID in its journal (after each step). */
static void journal_ctx(pv_host *h, struct pv_recipe *r, long long id, int ctx_ref)
{
	lua_State *L = r->x->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, ctx_ref);
	json_t *ctx = pv_lua_to_json(L, -1, NULL);
	lua_pop(L, 1);
	if (!ctx || pv_run_save_ctx(h, id, ctx) != PAVED_OK)
		pv_log(h, PAVED_LOG_WARN, "run %lld: cannot journal the recipe's ctx; if paved is "
		       "killed now, 'paved runs undo %lld' may miss what this step made", id, id);
	json_decref(ctx);
}

/* paved.checkpoint(): save the ctx of the run in progress now, so a step
 * that records its intent in ctx ("I am about to create X") before acting
 * can be undone by 'paved runs undo' even if paved is killed mid-step. */
static int l_checkpoint(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, "paved.run_id");
	lua_getfield(L, LUA_REGISTRYINDEX, "paved.run_ctx");
	long long id = (long long)lua_tointeger(L, -2);
	int ref = (int)lua_tointeger(L, -1);
	lua_pop(L, 2);
	if (id <= 0)
		return luaL_error(L, "paved.checkpoint: no run is in progress");
	struct pv_lua *x = pv_lua_of(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	char *err = NULL;
	json_t *ctx = pv_lua_to_json(L, -1, &err);
	lua_pop(L, 1);
	int rc = ctx ? pv_run_save_ctx(x->host, id, ctx) : PAVED_ERR;
	json_decref(ctx);
	if (rc != PAVED_OK) {
		lua_pushfstring(L, "paved.checkpoint: cannot journal the ctx: %s",
		                err ? err : "state database error");
		free(err);
		return lua_error(L);
	}
	return 0;
}

/* Make paved.checkpoint() save CTX_REF of run ID. */
static void bind_checkpoint(struct pv_recipe *r, long long id, int ctx_ref)
{
	lua_State *L = r->x->L;
	lua_pushinteger(L, id);
	lua_setfield(L, LUA_REGISTRYINDEX, "paved.run_id");
	lua_pushinteger(L, ctx_ref);
	lua_setfield(L, LUA_REGISTRYINDEX, "paved.run_ctx");
	lua_getglobal(L, "paved");
	lua_pushcfunction(L, l_checkpoint);
	lua_setfield(L, -2, "checkpoint");
	lua_pop(L, 1);
}

/* SIGINT and SIGTERM while a run is in progress: note it (the step in
 * progress is told through pv_interrupted, its programs are stopped), and
 * let a second signal act as usual. */
static void on_signal(int sig)
{
	(void)sig;
	pv_interrupted = 1;
}

struct sigs {
	struct sigaction intr, term;
};

static void catch_signals(struct sigs *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	pv_interrupted = 0;
	sigaction(SIGINT, &sa, &old->intr);
	sigaction(SIGTERM, &sa, &old->term);
}

static void restore_signals(const struct sigs *old)
{
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
}

/* Undo the steps DONE[0..N) marks, in reverse order: 'd' a step that
 * completed, 'f' one that failed (it may have done part of its work; its
 * status stays "failed" when the undo succeeds).  Returns how many undos
 * failed. */
static int undo_all(pv_host *h, struct pv_recipe *r, const struct out *o, long long id,
                    int steps_idx, const char *done, int n, int ctx_ref)
{
	lua_State *L = r->x->L;
	int failed = 0;
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
		if (rc || done[i] != 'f')
			pv_run_step(h, id, i + 1, title, rc ? "undo-failed" : "undone", rc ? err : NULL);
		journal_ctx(h, r, id, ctx_ref);
		failed += rc != PAVED_OK;
		free(title), free(detail), free(err);
	}
	return failed;
}

/* How many steps recipe R declares. */
static int step_count(struct pv_recipe *r)
{
	lua_State *L = r->x->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	lua_getfield(L, -1, "steps");
	int n = lua_istable(L, -1) ? (int)luaL_len(L, -1) : 0;
	lua_pop(L, 2);
	return n;
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

/* Run steps FROM..n-1 (DONE[] says which earlier steps are done); on
 * failure or interruption undo every done step.  Fills STEPS; returns
 * PAVED_OK or ERR. */
static int run_steps(pv_host *h, struct pv_recipe *r, const struct out *o, long long id,
                     int ctx_ref, json_t *steps, int from, char *done, char **errmsg)
{
	lua_State *L = r->x->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	lua_getfield(L, -1, "steps");
	int sidx = lua_gettop(L), n = (int)luaL_len(L, sidx), rc = PAVED_OK;
	for (int i = from; i < n && rc == PAVED_OK; i++) {
		lua_rawgeti(L, sidx, i + 1);
		lua_getfield(L, -1, "title");
		char *title = pv_strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "step");
		lua_pop(L, 1);
		char *detail = NULL, *err = NULL;
		bool nohook;
		const char *status = "done";
		pv_run_step(h, id, i + 1, title, "running", NULL);   /* intent, before acting */
		char *why_not = step_wanted(r, lua_gettop(L), ctx_ref);
		if (why_not) {
			status = "skipped";
			detail = why_not;
			say_skipped(o, title, detail);
		} else if (call_step(r, lua_gettop(L), "run", ctx_ref, &detail, &nohook, &err) == PAVED_OK) {
			done[i] = 'd';
			say(o, "\033[32m", "✓", title, detail);
		} else if (nohook) {
			status = "skipped";
			free(detail);
			detail = skip_reason(err);
			say_skipped(o, title, detail);
		} else {
			status = "failed";
			done[i] = 'f';   /* it may have done part of its work: undo it too */
			say(o, "\033[31m", "✗", title, err);
			const char *nl = strchr(err, '\n');
			if (pv_interrupted)
				pv_seterr(errmsg, "interrupted by a signal during step '%s'; the "
				          "completed steps were undone", title);
			else
				pv_seterr(errmsg, "step '%s' failed: %.*s", title,
				          nl ? (int)(nl - err) : (int)strlen(err), err);
			rc = PAVED_ERR;
		}
		journal_ctx(h, r, id, ctx_ref);
		pv_run_step(h, id, i + 1, title, status, rc ? err : detail);
		json_array_append_new(steps, json_pack("{ss ss ss?}", "title", title, "status", status,
		                      "detail", rc ? err : detail));
		lua_pop(L, 1);
		free(title), free(detail), free(err);
		if (rc == PAVED_OK && pv_interrupted && i + 1 < n) {
			say(o, "\033[31m", "✗", "Interrupted", "undoing what was done");
			rc = pv_seterr(errmsg, "interrupted by a signal; the completed steps were undone");
		}
	}
	if (rc) {
		pv_interrupted = 0;   /* the undo's own programs must run */
		undo_all(h, r, o, id, sidx, done, n, ctx_ref);
	}
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
	if (pv_run_begin(h, r->name, params, tgt, &id, errmsg))
		goto done;
	ctx_ref = make_ctx(h, r, params, tgt, id, NULL);
	bind_checkpoint(r, id, ctx_ref);
	journal_ctx(h, r, id, ctx_ref);
	char *completed = calloc((size_t)step_count(r) + 1, 1);
	struct sigs old;
	catch_signals(&old);
	rc = completed ? run_steps(h, r, &o, id, ctx_ref, steps, 0, completed, errmsg) :
	     pv_seterr(errmsg, "out of memory");
	restore_signals(&old);
	free(completed);
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

/* Pick up interrupted run ID: undo what it did (RESUME false), or finish
 * it (RESUME true: undo the step that was in flight, then run it and the
 * steps after it).  See the top of this file. */
int pv_recipe_recover(pv_host *h, long long id, bool resume, json_t **result, char **errmsg)
{
	json_t *j = pv_run_journal(h, id), *steps = json_array();
	struct pv_recipe *r = NULL;
	struct out o = { h->json, isatty(1) && !getenv("NO_COLOR") };
	int rc = PAVED_ERR, ctx_ref = LUA_NOREF, inflight = -1;
	char *done = NULL, *text = NULL;
	*result = NULL;
	if (!j) {
		rc = pv_seterr(errmsg, "no run %lld ('paved runs' lists them)", id);
		goto out;
	}
	const char *status = json_string_value(json_object_get(j, "status"));
	bool undo_failed = false;
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(j, "steps"), i, st)
		undo_failed = undo_failed || !strcmp(json_string_value(json_object_get(st, "status")),
		                                     "undo-failed");
	if (strcmp(status, "interrupted") != 0 && !(!resume && undo_failed &&
	    strcmp(status, "failed") == 0)) {
		rc = pv_seterr(errmsg, "run %lld is %s; only an interrupted run can be %s%s", id,
		               status, resume ? "resumed" : "undone",
		               resume ? "" : " (or a failed one whose undo failed)");
		goto out;
	}
	if (pv_run_claim(h, id, resume ? "interrupted" : "interrupted,failed",
	                 resume ? "resuming" : "undoing") != PAVED_OK) {
		rc = pv_seterr(errmsg, "another paved command is working on run %lld", id);
		goto out;
	}
	if (pv_recipe_open(h, json_string_value(json_object_get(j, "recipe")), &r, errmsg))
		goto fail;
	int n = step_count(r);
	if (!(done = calloc((size_t)n + 1, 1))) {
		pv_seterr(errmsg, "out of memory");
		goto fail;
	}
	json_array_foreach(json_object_get(j, "steps"), i, st) {
		int seq = (int)json_integer_value(json_object_get(st, "seq")) - 1;
		const char *s = json_string_value(json_object_get(st, "status"));
		if (seq < 0 || seq >= n)
			continue;
		done[seq] = !strcmp(s, "done") || !strcmp(s, "running") || !strcmp(s, "undo-failed") ?
		            'd' : !strcmp(s, "failed") ? 'f' : 0;
		if (!strcmp(s, "running"))
			inflight = seq;
	}
	ctx_ref = make_ctx(h, r, json_object_get(j, "params"),
	                   json_string_value(json_object_get(j, "target")), id,
	                   json_object_get(j, "ctx"));
	bind_checkpoint(r, id, ctx_ref);
	struct sigs old;
	catch_signals(&old);
	lua_State *L = r->x->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
	lua_getfield(L, -1, "steps");
	int sidx = lua_gettop(L);
	if (!resume) {
		if (!o.quiet)
			printf("Undoing run %lld (%s)\n", id, r->name);
		int failed = undo_all(h, r, &o, id, sidx, done, n, ctx_ref);
		lua_pop(L, 2);
		restore_signals(&old);
		rc = failed ? pv_seterr(errmsg, "%d undo step%s failed; fix the cause and run 'paved "
		                        "runs undo %lld' again", failed, failed > 1 ? "s" : "", id)
		            : PAVED_OK;
		pv_run_end(h, id, failed ? "failed" : "undone", failed ? *errmsg : NULL);
		*result = json_pack("{sI ss}", "run_id", id, "status", failed ? "failed" : "undone");
		goto out;
	}
	if (!o.quiet)
		printf("Resuming run %lld (%s)\n", id, r->name);
	/* go on after the last step that finished (done, skipped), or with the
	 * step that was in flight, undone first since it may be half done */
	int from = 0;
	json_array_foreach(json_object_get(j, "steps"), i, st) {
		int seq = (int)json_integer_value(json_object_get(st, "seq"));
		if (strcmp(json_string_value(json_object_get(st, "status")), "running") && seq > from)
			from = seq;
	}
	if (inflight >= 0) {
		char *only = calloc((size_t)inflight + 1, 1);
		bool quiet = o.quiet;
		if (only) {
			only[inflight] = 'd';
			o.quiet = true;
			undo_all(h, r, &o, id, sidx, only, inflight + 1, ctx_ref);
			o.quiet = quiet;
			free(only);
		}
		done[inflight] = 0;
		from = inflight;
	}
	lua_pop(L, 2);
	rc = run_steps(h, r, &o, id, ctx_ref, steps, from, done, errmsg);
	restore_signals(&old);
	pv_run_end(h, id, rc ? "failed" : "succeeded", rc ? *errmsg : NULL);
	if (rc)
		goto out;
	text = finish_text(r, ctx_ref);
	if (text && !o.quiet)
		printf("\n%s\n", text);
	*result = json_pack("{sI ss sO ss?}", "run_id", id, "status", "succeeded", "steps", steps,
	                    "summary", text);
	goto out;
fail:
	pv_run_end(h, id, "interrupted", *errmsg);
out:
	free(done), free(text);
	json_decref(steps), json_decref(j);
	pv_recipe_close(r);
	return rc;
}
