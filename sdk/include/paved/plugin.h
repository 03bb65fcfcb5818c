/*
 * paved/plugin.h -- the whole plugin ABI of paved.
 *
 * A plugin is a shared object (built with -module) that exports ONE symbol,
 * a `struct paved_plugin` named `paved_plugin` (or `NAME_LTX_paved_plugin`,
 * which libltdl tries first).  The host finds it, checks its ABI version,
 * then calls init() with a pointer to `struct paved_api`: a table of host
 * functions.  A plugin reaches the host only through that table, so it is
 * built against this header alone and never links against paved.
 *
 * Minimal plugin:
 *
 *     #include <paved/plugin.h>
 *     static const struct paved_api *api;
 *
 *     static int hello(paved_host *h, json_t *args, json_t **result,
 *                      char **errmsg, void *data)
 *     {
 *         const char *who = json_string_value(json_object_get(args, "name"));
 *         if (!who)
 *             return api->error(errmsg, "argument 'name' (a string) is required");
 *         *result = json_pack("{s:s+}", "greeting", "hello, ", who);
 *         return PAVED_OK;
 *     }
 *     static int init(const struct paved_api *a, paved_host *h, char **errmsg)
 *     {
 *         api = a;
 *         return api->provide(h, "example.hello", hello, NULL, NULL, errmsg);
 *     }
 *     PAVED_PLUGIN_DECLARE(hello, "1.0.0", "says hello", init, NULL, NULL);
 *
 * ---------------------------------------------------------------------------
 * Hooks
 *   Hook names are `area.verb` or `area.type` ("catalog.query",
 *   "provision.postgres").  A *provider* answers calls to a hook; there is
 *   exactly one per hook.  An *observer* watches:
 *     "before:HOOK"  runs before the provider, in priority order (lower
 *                    number first); returning PAVED_VETO (or any error)
 *                    stops the call and its message reaches the user.
 *     "after:HOOK"   runs after a successful provider call; args is
 *                    {"args": <call args>, "result": <provider result>}.
 *                    An error here is logged, never fails the call.
 *     "event:NAME"   receives events; NAME may end in ".*" or be "*".
 *                    These are *sinks*: a failing sink never fails the
 *                    operation; its event waits in the outbox and is
 *                    delivered again on a later run.
 *     "cli.NAME"     a provider of this hook adds the command `paved NAME`:
 *                    args is {"argv": [..], "json": bool}; the plugin
 *                    prints to stdout itself and may return {"exit": N}.
 *
 * JSON reference rules (jansson)
 *   - `args` handed to a paved_fn is BORROWED: read it, json_incref() it
 *     to keep it; never decref it.
 *   - `*result` set by a paved_fn is a NEW reference the host takes over
 *     (leave it NULL for "no result"; the caller then sees JSON null).
 *   - api->call(): `args` is borrowed (NULL means {}), `*result` is a new
 *     reference the caller must json_decref().
 *   - api->emit(): `fields` is borrowed; the host copies what it keeps.
 *   - api->option(), api->config(): return BORROWED values valid until
 *     the host exits; never decref them.
 *   - api->state_get(): returns a NEW reference (or NULL).
 *
 * Errors
 *   Every fallible function returns an int: PAVED_OK (0) or an error code,
 *   and sets *errmsg to a malloc()ed one-line message the CALLER frees.
 *   Use api->error(errmsg, fmt, ...) to set it: it formats, allocates and
 *   returns PAVED_ERR, so `return api->error(errmsg, "...");` is the idiom.
 *   The host prefixes a plugin's message with "PLUGIN: HOOK: " before the
 *   user sees it, so write just what failed and what to do.
 *
 * Lifetime
 *   init() runs once, when the host first needs the plugin (see "Lazy
 *   loading" in sdk/README.md); fini() runs at exit, after which every
 *   `data` passed to provide()/observe() is released with its free_data.
 *   Registrations must depend only on the plugin file (not on config or
 *   time): the host caches them, keyed on the file's size and mtime.
 */
#ifndef PAVED_PLUGIN_H
#define PAVED_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped only when a change breaks plugins built earlier.  Appending
 * functions to struct paved_api does NOT bump it: check api->size. */
#define PAVED_ABI_VERSION 1u

/* Status codes returned by every fallible function and by paved_fn. */
#define PAVED_OK     0
#define PAVED_ERR    1  /* failed; *errmsg says why */
#define PAVED_VETO   2  /* a before: observer refused; *errmsg is the reason */
#define PAVED_NOHOOK 3  /* api->call(): no plugin provides the hook */

/* Log levels for api->log(). */
enum paved_log_level { PAVED_LOG_ERROR, PAVED_LOG_WARN, PAVED_LOG_INFO, PAVED_LOG_DEBUG };

/* Opaque handle to the running host. */
typedef struct paved_host paved_host;
struct sqlite3;   /* <sqlite3.h>, for api->state_db only */
/* Opaque resolved hook (see api->resolve). */
typedef struct paved_hook paved_hook;

/* A hook implementation: provider or observer.  See the reference rules
 * above: ARGS borrowed, *RESULT new, *ERRMSG malloc()ed.  DATA is what
 * was registered with it. */
typedef int (*paved_fn)(paved_host *host, json_t *args, json_t **result,
                        char **errmsg, void *data);

/* Option types for a plugin's declarative configuration. */
enum paved_opt_type { PAVED_OPT_STRING, PAVED_OPT_INT, PAVED_OPT_BOOL, PAVED_OPT_OBJECT };

/* One configuration option of a plugin (Fluent Bit's config map idea).
 * The host reads config key "plugins.<plugin-name>.<name>", checks its type
 * at load time (a wrong type is a load error naming the key) and falls back
 * to DEFAULT_JSON (a JSON text, or NULL for "no default").  `paved plugins
 * show NAME` prints this table.  End the array with a zeroed entry. */
struct paved_option {
	const char         *name;
	enum paved_opt_type type;
	const char         *default_json;
	const char         *description;
};

struct paved_api;

/* What a plugin exports (as `paved_plugin` or `NAME_LTX_paved_plugin`). */
struct paved_plugin {
	uint32_t    abi;      /* PAVED_ABI_VERSION the plugin was built with */
	const char *name;     /* unique, [a-z0-9_-]+, e.g. "jsonl" */
	const char *version;  /* the plugin's own version, e.g. "1.2.0" */
	const char *summary;  /* one line for `paved plugins` */
	/* Register hooks.  Return PAVED_OK, or an error with *errmsg set: the
	 * plugin is then reported as failed and its registrations undone. */
	int  (*init)(const struct paved_api *api, paved_host *host, char **errmsg);
	void (*fini)(paved_host *host);          /* may be NULL */
	const struct paved_option *options;      /* may be NULL */
};

/* Declare the descriptor under the libltdl-prefixed name (found first,
 * so many plugins can be linked into one program) and the plain name (so
 * the file still loads when renamed on disk). */
#define PAVED_PLUGIN_DECLARE(NAME, VERSION, SUMMARY, INIT, FINI, OPTIONS)     \
	const struct paved_plugin NAME##_LTX_paved_plugin = {                 \
		PAVED_ABI_VERSION, #NAME, VERSION, SUMMARY, INIT, FINI, OPTIONS \
	};                                                                    \
	const struct paved_plugin paved_plugin = {                            \
		PAVED_ABI_VERSION, #NAME, VERSION, SUMMARY, INIT, FINI, OPTIONS \
	}

/* The host's function table.  New members are only ever appended; a plugin
 * that needs a later member checks `api->size >= offsetof(...)` first. */
struct paved_api {
	uint32_t abi;   /* the host's PAVED_ABI_VERSION */
	size_t   size;  /* sizeof(struct paved_api) in the host */

	/* Become THE provider of HOOK.  Fails if another plugin provides it.
	 * The host owns DATA from now on and calls FREE_DATA(DATA) (if not
	 * NULL) when the hook is removed, including when this call fails. */
	int (*provide)(paved_host *host, const char *hook, paved_fn fn,
	               void *data, void (*free_data)(void *), char **errmsg);

	/* Add an observer of HOOK ("before:X", "after:X", "event:X").  Lower
	 * PRIORITY runs first; equal priorities run in registration order.
	 * DATA ownership as for provide(). */
	int (*observe)(paved_host *host, const char *hook, int priority, paved_fn fn,
	               void *data, void (*free_data)(void *), char **errmsg);

	/* Call HOOK: before: observers, the provider, then after: observers.
	 * Returns PAVED_OK, PAVED_NOHOOK, PAVED_VETO or PAVED_ERR. */
	int (*call)(paved_host *host, const char *hook, json_t *args,
	            json_t **result, char **errmsg);

	/* Resolve HOOK once; call it many times with call_hook().  The handle
	 * lives as long as the host.  Never NULL (a hook with no provider
	 * resolves; calling it returns PAVED_NOHOOK). */
	paved_hook *(*resolve)(paved_host *host, const char *hook);
	int (*call_hook)(paved_host *host, paved_hook *hook, json_t *args,
	                 json_t **result, char **errmsg);

	/* Emit EVENT ("service.created") with FIELDS (an object, borrowed, may be
	 * NULL).  Recorded in the state database and handed to every sink. */
	void (*emit)(paved_host *host, const char *event, json_t *fields);

	/* Log a line (to stderr, and $PAVED_HOME/logs/paved.log). */
	void (*log)(paved_host *host, enum paved_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* Set *ERRMSG to a malloc()ed formatted message; returns PAVED_ERR. */
	int (*error)(char **errmsg, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* The calling plugin's option NAME (declared in its options table), or
	 * its default; NULL if neither.  Borrowed. */
	json_t *(*option)(paved_host *host, const char *name);

	/* Any configuration value by dotted KEY ("plugin_path",
	 * "plugins.jsonl.path"); NULL if unset.  Borrowed. */
	json_t *(*config)(paved_host *host, const char *key);

	/* $PAVED_HOME, absolute, existing and writable. */
	const char *(*home)(paved_host *host);

	/* Small persistent state for plugins, kept in the state database:
	 * JSON values under (namespace, key).  Use the plugin name as NS.
	 * state_put stores a copy of VALUE (borrowed); state_get returns a new
	 * reference or NULL; state_list returns a new object {key: value}. */
	int (*state_put)(paved_host *host, const char *ns, const char *key,
	                 json_t *value, char **errmsg);
	json_t *(*state_get)(paved_host *host, const char *ns, const char *key);
	int (*state_del)(paved_host *host, const char *ns, const char *key, char **errmsg);
	json_t *(*state_list)(paved_host *host, const char *ns);

	/* --- appended after ABI 1's first release: check PAVED_API_HAS() --- */

	/* The host's own connection to the state database ($PAVED_HOME/
	 * paved.db), for storage plugins that keep tables there (the
	 * catalog): open, in WAL mode, with a busy timeout.  Borrowed: never
	 * close it, finalize every statement in fini(), prefix your tables
	 * with the plugin name, and nest with SAVEPOINT when
	 * sqlite3_get_autocommit() says a transaction is open.  NULL when the
	 * host has no state database. */
	struct sqlite3 *(*state_db)(paved_host *host);
};

/* Whether API (a const struct paved_api *) has member FIELD: hosts of the
 * same ABI version may predate members appended later. */
#define PAVED_API_HAS(api, field) \
	((api)->size >= offsetof(struct paved_api, field) + sizeof((api)->field) && (api)->field)

#ifdef __cplusplus
}
#endif
#endif /* PAVED_PLUGIN_H */
