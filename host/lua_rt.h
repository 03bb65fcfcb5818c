/*
 * lua_rt.h -- the embedded Lua 5.4 runtime (prefix pv_lua_).
 *
 * lua_sandbox.c  a sandboxed state: safe libraries only, text-only load,
 *                memory, instruction and wall-clock limits that hold in
 *                finalizers and at close too, tracebacks on error
 * lua_strlib.c   string.find/match/gmatch/gsub on lua_pattern.c's matcher,
 *                which has a step budget
 * lua_tablib.c   table.insert/remove/move/concat with a bound on the
 *                elements they touch
 * lua_confine.c  what a state may reach: directories, programs, variables
 * lua_fs.c       paved.fs, paved.render_tree and paved.run, confined
 * lua_json.c     conversion between Lua values and jansson values
 * lua_paved.c    the rest of the `paved` module (hooks, render, json, log)
 * lua_plugin.c   *.lua files as plugins
 */
#ifndef PV_LUA_RT_H
#define PV_LUA_RT_H

#include <lua.h>
#include <lauxlib.h>

#include "host.h"

/* Limits of one Lua state (config: lua.max_memory_mb, lua.max_instructions,
 * lua.max_seconds, lua.max_pattern_steps).  Instructions and seconds are
 * per call: a recipe step's run, undo or when, a Lua plugin's hook call,
 * loading a file, closing the state. */
struct pv_lua_limits {
	size_t    max_bytes;
	long long max_instructions;
	double    max_seconds;
	unsigned long long max_pattern_steps;
};

/* Why a state stopped (pv_lua.tripped). */
enum { PV_LUA_OK, PV_LUA_TRIP_MEMORY, PV_LUA_TRIP_INSTRUCTIONS, PV_LUA_TRIP_TIME };

struct pv_lua_confine;

/* Per-state bookkeeping, stored as the allocator's user data. */
struct pv_lua {
	lua_State *L;
	pv_host   *host;
	struct pv_plugin *plugin;   /* the Lua plugin this state runs, or NULL */
	size_t     used, max_bytes;
	long long  count, max_instructions;
	double     max_seconds;
	double     deadline;        /* CLOCK_MONOTONIC seconds; 0 while idle */
	unsigned long long max_pattern_steps;
	unsigned   calls;           /* call events since the clock was read */
	int        tripped;         /* PV_LUA_TRIP_* */
	struct pv_lua_confine *confine;   /* lua_confine.c; owned */
	char      *warning;         /* a warning being assembled from pieces */
	size_t     warnlen;
	bool       warn_off;        /* warn("@off") */
};

/* Create a sandboxed state with the paved module loaded, confined to
 * nothing (see pv_lua_confine).  NULL on OOM. */
struct pv_lua *pv_lua_new(pv_host *h, struct pv_plugin *plugin);
/* Close X: pending finalizers run under the same memory, instruction and
 * time limits; then the state's temp directories are removed. */
void  pv_lua_close(struct pv_lua *x);
/* Limits from the configuration (defaults 64 MiB, 50 million, 60 s,
 * 10 million). */
struct pv_lua_limits pv_lua_limits_from_config(pv_host *h);
/* Load and run FILE; leaves its NRESULTS results on the stack. */
int   pv_lua_dofile(struct pv_lua *x, const char *file, int nresults, char **errmsg);
/* lua_pcall with a traceback and limit-aware messages.  Each call starts
 * a fresh instruction count and wall clock (a nested one puts the outer
 * call's back when it returns). */
int   pv_lua_pcall(struct pv_lua *x, int nargs, int nresults, char **errmsg);
struct pv_lua *pv_lua_of(lua_State *L);
/* Seconds on CLOCK_MONOTONIC. */
double pv_lua_now(void);
/* Seconds left before X's deadline (a large number when none is set). */
double pv_lua_time_left(struct pv_lua *x);
/* Trip the time limit and raise its error (does not return). */
int   pv_lua_time_up(lua_State *L);
/* Move X's deadline later by SECONDS (time spent waiting for a hook it
 * called, which its own limits bound). */
void  pv_lua_extend_deadline(struct pv_lua *x, double seconds);
/* The element count table functions may touch: what the memory limit
 * could hold (0: no limit). */
lua_Integer pv_lua_max_elements(struct pv_lua *x);

/* lua_strlib.c / lua_tablib.c: replace the stock functions in the string
 * and table libraries of L (called by pv_lua_new). */
void  pv_lua_open_strlib(lua_State *L);
void  pv_lua_open_tablib(lua_State *L);

/* What a recipe table or a plugin descriptor declares it needs (JSON
 * arrays of strings, owned; NULL when not declared):
 *   requires  programs paved.run may start (names, or absolute paths)
 *   env       variables os.getenv may read
 *   reads     directories it may read besides its own (absolute)
 *   writes    directories it may write (absolute; Lua plugins only) */
struct pv_lua_decl {
	json_t *requires, *env, *reads, *writes;
};
/* Read the declarations of the table at IDX.  PAVED_ERR with *ERRMSG
 * ("requires[2] must be ...") for a malformed one. */
int   pv_lua_read_decl(lua_State *L, int idx, struct pv_lua_decl *d, char **errmsg);
void  pv_lua_decl_free(struct pv_lua_decl *d);

/* lua_confine.c.  Confine X: it may read OWN_DIR (the recipe's or
 * plugin's own files) and what D declares, write its temp directories,
 * what D declares in writes and, for a Lua plugin, its data directory;
 * start the programs and read the variables D declares (D may be NULL:
 * nothing).  WHO names the state in messages ("recipe 'node-api'").
 * Replaces an earlier confinement but keeps the temp directories and the
 * target.  PAVED_ERR with *ERRMSG for an invalid declaration. */
int   pv_lua_confine(struct pv_lua *x, const char *who, const char *own_dir,
                     const struct pv_lua_decl *d, char **errmsg);
/* Let X read and write DIR too (a recipe run's target; may not exist). */
void  pv_lua_set_target(struct pv_lua *x, const char *dir);
/* The plugin data directory of X ($PAVED_HOME/plugins-data/NAME), or NULL. */
const char *pv_lua_datadir(struct pv_lua *x);
/* Resolve PATH for an access: symlinks in its existing part followed
 * (FOLLOW_LAST: the last component too), "." and ".." applied, made
 * absolute.  Raises a Lua error naming FN when the result is outside what
 * X may read (WRITE false) or write (WRITE true).  Returns the resolved
 * path on the Lua stack's top (pushed) and as a pointer into it. */
const char *pv_lua_checkpath(lua_State *L, const char *fn, const char *path, bool write,
                             bool follow_last);
/* A new temp directory for X (under a per-state root removed at close);
 * caller frees.  NULL with *ERRMSG on failure. */
char *pv_lua_tmpdir(struct pv_lua *x, char **errmsg);
/* The absolute path of program NAME if X may run it; raises otherwise. */
const char *pv_lua_checkprogram(lua_State *L, const char *name);
/* Is variable NAME declared for X? */
bool  pv_lua_env_allowed(struct pv_lua *x, const char *name);
void  pv_lua_confine_free(struct pv_lua *x);
/* Does program NAME (a basename) run other commands (a shell, env, sudo,
 * ...)?  Declaring one defeats paved.run's confinement. */
bool  pv_lua_program_is_launcher(const char *name);

/* lua_json.c: push V (borrowed) / convert the value at IDX (new ref).
 * pv_lua_push_json_owned pushes V and releases it even when the push
 * raises (memory limit).  Conversion to JSON refuses a value bigger than
 * the state's memory limit. */
void    pv_lua_push_json(lua_State *L, json_t *v);
void    pv_lua_push_json_owned(lua_State *L, json_t *v);
json_t *pv_lua_to_json(lua_State *L, int idx, char **errmsg);
/* Refuse JSON TEXT (LEN bytes) that would take more memory than the
 * state may use; PAVED_ERR with *ERRMSG. */
int     pv_lua_json_fits(lua_State *L, const char *text, size_t len, char **errmsg);

/* lua_paved.c: open the `paved` module into global `paved`. */
void  pv_lua_open_paved(lua_State *L);
/* lua_fs.c: add paved.fs, paved.render_tree and paved.run to the table
 * at the top of the stack. */
void  pv_lua_open_fs(lua_State *L);
/* Error raised by paved.call: a table {code=, message=}; "nohook" code
 * marks a hook no plugin provides. */
const char *pv_lua_error_code(lua_State *L, int idx);

extern const struct pv_plugin_kind pv_lua_kind;

#endif
