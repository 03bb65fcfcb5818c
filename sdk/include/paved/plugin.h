/*
 * paved/plugin.h -- the whole plugin ABI of paved (ABI 2).
 *
 * A plugin is a shared object (built with -module) that exports ONE symbol,
 * a `struct paved_plugin` named `paved_plugin` (or `NAME_LTX_paved_plugin`,
 * which libltdl tries first).  The host finds it, checks its ABI version
 * and size, then calls init() with the plugin's own handle (a paved_ctx)
 * and a pointer to `struct paved_api`: a table of host functions.  A plugin
 * reaches the host only through that table, so it is built against this
 * header alone and never links against paved.
 *
 * Minimal plugin:
 *
 *     #include <paved/plugin.h>
 *     PAVED_PLUGIN_INIT1;
 *
 *     static int hello(paved_ctx *ctx, json_t *args, json_t **result,
 *                      char **errmsg, void *data)
 *     {
 *         const char *who = json_string_value(json_object_get(args, "name"));
 *         if (!who)
 *             return paved->error(errmsg, "argument 'name' (a string) is required");
 *         *result = json_pack("{s:s+}", "greeting", "hello, ", who);
 *         return PAVED_OK;
 *     }
 *     static int init(paved_ctx *ctx, const struct paved_api *api, char **errmsg)
 *     {
 *         PAVED_PLUGIN_INIT2(api);
 *         return paved->provide(ctx, "example.hello", hello, NULL, NULL, errmsg);
 *     }
 *     PAVED_PLUGIN_DECLARE(hello, "1.0.0", "says hello", init, NULL, NULL);
 *
 * ---------------------------------------------------------------------------
 * The handle
 *   Every plugin gets its own `paved_ctx *`: init() receives it, fini()
 *   receives it, and every hook function of the plugin is called with it.
 *   Every host function that acts for the plugin takes it first, so the host
 *   always knows which plugin is asking (for its options, the source of its
 *   events, the prefix of its log lines) and never guesses.  It lives as
 *   long as the plugin is loaded.  Keep using the one you were handed.
 *
 * Hooks
 *   Hook names are `area.verb` ("catalog.query", "runtime.start").  A
 *   *provider* answers calls to a hook; there is exactly one per hook.  An
 *   *observer* watches:
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
 *                    Parse argv with api->cli_parse.  A usage error is
 *                    PAVED_ERR with the result {"exit": 2}: paved prints
 *                    "paved NAME: MESSAGE" and "Try 'paved NAME --help'."
 *                    and exits 2.  --help must print help and change
 *                    nothing.
 *
 * Drivers (one shape for every area)
 *   The areas runtime, forge, deploy, provision, monitoring and analysis
 *   are reached through *front* hooks `AREA.VERB` ("runtime.start").  The
 *   host answers a front by calling `AREA.driver.NAME.VERB`, where NAME is
 *   chosen per call: the argument "driver" when given, else the area's
 *   selector argument ("strategy" for deploy, "provider" for analysis), else
 *   configuration `drivers.AREA` (a name, or {ENV: name, "default": name};
 *   provision is keyed by resource type first), else the area's default.
 *   A driver provides `AREA.driver.NAME.VERB` for the verbs it implements;
 *   many drivers of one area sit side by side.  Every front's argument and
 *   result shape is declared once in sdk/hooks.json (installed as
 *   $(datadir)/paved/hooks.json); `paved hooks --shapes` prints it, and with
 *   PAVED_CHECK_SHAPES=1 the host checks every call against it.
 *
 * JSON reference rules (jansson)
 *   - `args` handed to a paved_fn is BORROWED: read it, json_incref() it
 *     to keep it; never decref it.
 *   - `*result` set by a paved_fn is a NEW reference the host takes over
 *     (leave it NULL for "no result"; the caller then sees JSON null).
 *     A paved_fn that FAILS may set *result too: the caller receives it
 *     beside the error (for example {"outcome": "rolled_back"}).
 *   - api->call(): `args` is borrowed (NULL means {}), `*result` is a new
 *     reference the caller must json_decref() WHATEVER the return code: a
 *     failing hook may hand back a result beside its error.
 *   - api->emit(): `fields` is borrowed; the host copies what it keeps.
 *   - api->option(), api->config(): return BORROWED values valid until
 *     the host exits; never decref them.
 *   - api->state_get(), api->state_list(): return a NEW reference (or NULL).
 *
 * Errors
 *   Every fallible function returns an int: PAVED_OK (0) or an error code,
 *   and sets *errmsg to a malloc()ed one-line message the CALLER frees.
 *   Use paved->error(errmsg, fmt, ...) to set it: it formats, allocates and
 *   returns PAVED_ERR, so `return paved->error(errmsg, "...");` is the idiom.
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
#include <stdio.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped only when a change breaks plugins built earlier.  Appending
 * functions to struct paved_api does NOT bump it: see PAVED_API_HAS. */
#define PAVED_ABI_VERSION 2u

/* Status codes returned by every fallible function and by paved_fn. */
#define PAVED_OK     0
#define PAVED_ERR    1  /* failed; *errmsg says why */
#define PAVED_VETO   2  /* a before: observer refused; *errmsg is the reason */
#define PAVED_NOHOOK 3  /* api->call(): no plugin provides the hook */

/* Log levels for api->log(). */
enum paved_log_level { PAVED_LOG_ERROR, PAVED_LOG_WARN, PAVED_LOG_INFO, PAVED_LOG_DEBUG };

/* A plugin's handle (see "The handle" above).  Opaque. */
typedef struct paved_ctx paved_ctx;
/* A resolved hook (see api->resolve).  Opaque. */
typedef struct paved_hook paved_hook;
/* A program started with api->run_start.  Opaque. */
typedef struct paved_proc paved_proc;
struct sqlite3;   /* <sqlite3.h>, for api->state_db only */

/* A hook implementation: provider or observer.  CTX is the handle of the
 * plugin that registered it.  See the reference rules above: ARGS
 * borrowed, *RESULT new, *ERRMSG malloc()ed.  DATA is what was registered
 * with it. */
typedef int (*paved_fn)(paved_ctx *ctx, json_t *args, json_t **result,
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

/* What a plugin exports (as `paved_plugin` or `NAME_LTX_paved_plugin`).
 * Fill it with PAVED_PLUGIN_DECLARE, which sets abi and size. */
struct paved_plugin {
	uint32_t    abi;      /* PAVED_ABI_VERSION the plugin was built with */
	uint32_t    size;     /* sizeof(struct paved_plugin) it was built with */
	const char *name;     /* unique, [a-z][a-z0-9_-]*, e.g. "jsonl" */
	const char *version;  /* the plugin's own version, e.g. "1.2.0" */
	const char *summary;  /* one line for `paved plugins` */
	/* Register hooks.  Return PAVED_OK, or an error with *errmsg set: the
	 * plugin is then reported as failed and its registrations undone. */
	int  (*init)(paved_ctx *ctx, const struct paved_api *api, char **errmsg);
	void (*fini)(paved_ctx *ctx);            /* may be NULL */
	const struct paved_option *options;      /* may be NULL */
};

/* Declare the descriptor under the libltdl-prefixed name (found first,
 * so many plugins can be linked into one program) and the plain name (so
 * the file still loads when renamed on disk). */
#define PAVED_PLUGIN_DECLARE(NAME, VERSION, SUMMARY, INIT, FINI, OPTIONS)       \
	const struct paved_plugin NAME##_LTX_paved_plugin = {                   \
		PAVED_ABI_VERSION, (uint32_t)sizeof(struct paved_plugin), #NAME,  \
		VERSION, SUMMARY, INIT, FINI, OPTIONS                             \
	};                                                                      \
	const struct paved_plugin paved_plugin = {                              \
		PAVED_ABI_VERSION, (uint32_t)sizeof(struct paved_plugin), #NAME,  \
		VERSION, SUMMARY, INIT, FINI, OPTIONS                             \
	}

/* Every plugin names the host's table `paved`, as every SQLite extension
 * names its table sqlite3_api:
 *   PAVED_PLUGIN_INIT1       at file scope, in exactly one source file;
 *   PAVED_PLUGIN_INIT3       at file scope in the plugin's other files;
 *   PAVED_PLUGIN_INIT2(api)  first thing in init().
 * Then every host function is `paved->NAME(ctx, ...)`.  The symbol is not
 * exported (plugins export only their descriptor), so every plugin has its
 * own. */
#define PAVED_PLUGIN_INIT1      const struct paved_api *paved = NULL
#define PAVED_PLUGIN_INIT2(api) (paved = (api))
#define PAVED_PLUGIN_INIT3      extern const struct paved_api *paved

/* ---- api->cli_parse: one option syntax for every command -------------- */

enum paved_flag_type {
	PAVED_FLAG_BOOL,    /* --name sets true, --no-name false; takes no value */
	PAVED_FLAG_STRING,  /* --name VALUE or --name=VALUE */
	PAVED_FLAG_INT,     /* a whole number */
	PAVED_FLAG_LIST,    /* a string, repeatable: collected in an array */
};
/* One option of a command.  End the array with a zeroed entry. */
struct paved_flag {
	const char          *name;        /* "env" for --env */
	char                 short_name;  /* 'e' for -e, or 0 */
	enum paved_flag_type type;
	const char          *metavar;     /* "ENV", shown in help */
	const char          *help;        /* one line */
};

/* ---- api->run: programs without a shell --------------------------------- */

/* What to run.  Zero what you do not need. */
struct paved_cmd {
	const char *const *argv;   /* argv[0] looked up in PATH; NULL-terminated */
	const char *cwd;           /* working directory (NULL: the current one) */
	const char *const *env;    /* "NAME=value" set, "NAME" unset; NULL-terminated,
	                              applied to paved's environment; may be NULL */
	const char *input;         /* fed to stdin (NULL: stdin is /dev/null) */
	size_t      input_len;     /* bytes of INPUT (0: strlen(input)) */
	long        timeout_ms;    /* 0: no limit; on expiry the program's whole
	                              process group is killed (SIGKILL) */
	const char *log;           /* append stdout and stderr to this file instead
	                              of capturing them (created 0600) */
	unsigned    flags;         /* PAVED_RUN_* */
};
/* A non-zero exit, a signal or a timeout is an error: *errmsg says
 * "PROGRAM exited with status N: <its last line of stderr>". */
#define PAVED_RUN_CHECK   0x1u
/* Discard output: stdout and stderr go to /dev/null. */
#define PAVED_RUN_QUIET   0x2u

/* What happened.  OUT and ERR are malloc()ed, NUL-terminated, and the
 * caller frees them with free() (also after an error). */
struct paved_run_result {
	int     status;        /* exit code, or 128+signal */
	int     timed_out;     /* killed at timeout_ms */
	char   *out, *err;     /* captured stdout and stderr ("" when not captured) */
	size_t  out_len, err_len;
	double  seconds;       /* wall time */
};

/* ---- api->read_yaml: YAML (and JSON) to jansson --------------------------- */

/* Where a document starts, handed to a streaming callback. */
struct paved_yaml_doc {
	int     index;         /* 0, 1, ... within the file */
	int     line, column;  /* 1-based */
	json_t *marks;         /* with PAVED_YAML_MARKS: {"/json/pointer": [line, column]}
	                          for every node of the document (borrowed) */
};

/* Options; zero them (or pass NULL) for the defaults. */
struct paved_yaml_opts {
	size_t      size;         /* sizeof(struct paved_yaml_opts) */
	unsigned    flags;        /* PAVED_YAML_* */
	size_t      max_bytes;    /* refuse a longer input (0: 16 MiB; with `each`, no limit) */
	long        max_nodes;    /* per document, aliases expanded (0: 1,000,000) */
	int         max_aliases;  /* per document (0: 100, as Backstage's parser) */
	int         max_depth;    /* nesting of mappings and sequences (0: 64) */
	const char *text;         /* parse this text; PATH then only names it */
	size_t      text_len;
	/* Stream: called with each document (borrowed) as it is read; return
	 * 0 to go on, 1 to stop, -1 (with *errmsg) to fail.  read_yaml then
	 * returns *out = NULL. */
	int       (*each)(void *ud, json_t *doc, const struct paved_yaml_doc *where,
	                  char **errmsg);
	void       *ud;
	json_t    **marks;        /* with PAVED_YAML_MARKS and no `each`: receives the
	                             marks (an array of them with PAVED_YAML_ALL_DOCS) */
};
/* Return every document as a JSON array (default: exactly one document is
 * expected; an empty input is JSON null). */
#define PAVED_YAML_ALL_DOCS 0x1u
/* Record the line and column of every node (see paved_yaml_doc.marks). */
#define PAVED_YAML_MARKS    0x2u
/* Numbers as a JavaScript reader (Backstage's) holds them and stores them
 * as JSON: .inf, -.inf and .nan become null, integers beyond 2^53 the
 * nearest double (by default those stay text). */
#define PAVED_YAML_JS_NUMBERS 0x4u
/* Accept strings holding a NUL byte ("\0"); by default they are refused,
 * since C code would see them cut.  A caller that sets this refuses them
 * itself where it must (the catalog, one entity at a time). */
#define PAVED_YAML_NUL      0x8u

/* The host's function table.  New members are only ever appended; a plugin
 * that needs a later member checks PAVED_API_HAS(paved, member) first. */
struct paved_api {
	uint32_t abi;   /* the host's PAVED_ABI_VERSION */
	size_t   size;  /* sizeof(struct paved_api) in the host */

	/* Become THE provider of HOOK.  Fails if another plugin provides it.
	 * The host owns DATA from now on and calls FREE_DATA(DATA) (if not
	 * NULL) when the hook is removed, including when this call fails. */
	int (*provide)(paved_ctx *ctx, const char *hook, paved_fn fn,
	               void *data, void (*free_data)(void *), char **errmsg);

	/* Add an observer of HOOK ("before:X", "after:X", "event:X").  Lower
	 * PRIORITY runs first; equal priorities run in registration order.
	 * DATA ownership as for provide(). */
	int (*observe)(paved_ctx *ctx, const char *hook, int priority, paved_fn fn,
	               void *data, void (*free_data)(void *), char **errmsg);

	/* Call HOOK: before: observers, the provider, then after: observers.
	 * Returns PAVED_OK, PAVED_NOHOOK, PAVED_VETO or PAVED_ERR.  *RESULT is
	 * set (maybe to NULL) whatever it returns: decref it. */
	int (*call)(paved_ctx *ctx, const char *hook, json_t *args,
	            json_t **result, char **errmsg);

	/* Resolve HOOK once; call it many times with call_hook().  The handle
	 * lives as long as the host.  Never NULL (a hook with no provider
	 * resolves; calling it returns PAVED_NOHOOK). */
	paved_hook *(*resolve)(paved_ctx *ctx, const char *hook);
	int (*call_hook)(paved_ctx *ctx, paved_hook *hook, json_t *args,
	                 json_t **result, char **errmsg);

	/* Emit EVENT ("service.created") with FIELDS (an object, borrowed, may be
	 * NULL).  Recorded in the state database and handed to every sink, with
	 * the plugin as its source. */
	void (*emit)(paved_ctx *ctx, const char *event, json_t *fields);

	/* Log a line, prefixed with the plugin's name (to stderr by verbosity,
	 * and to $PAVED_HOME/logs/paved.log). */
	void (*log)(paved_ctx *ctx, enum paved_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* Set *ERRMSG to a malloc()ed formatted message; returns PAVED_ERR.
	 * A pure formatter: it acts for nobody, so it takes no handle. */
	int (*error)(char **errmsg, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* The plugin's option NAME (declared in its options table), or its
	 * default; NULL if neither.  Borrowed. */
	json_t *(*option)(paved_ctx *ctx, const char *name);

	/* Any configuration value by dotted KEY ("plugin_path",
	 * "plugins.jsonl.path"); NULL if unset.  Borrowed. */
	json_t *(*config)(paved_ctx *ctx, const char *key);

	/* $PAVED_HOME, absolute, existing and writable. */
	const char *(*home)(paved_ctx *ctx);

	/* Small persistent state for plugins, kept in the state database:
	 * JSON values under (namespace, key); NS NULL means the plugin's name.
	 * state_put stores a copy of VALUE (borrowed); state_get returns a new
	 * reference or NULL; state_list returns a new object {key: value}. */
	int (*state_put)(paved_ctx *ctx, const char *ns, const char *key,
	                 json_t *value, char **errmsg);
	json_t *(*state_get)(paved_ctx *ctx, const char *ns, const char *key);
	int (*state_del)(paved_ctx *ctx, const char *ns, const char *key, char **errmsg);
	json_t *(*state_list)(paved_ctx *ctx, const char *ns);

	/* The host's own connection to the state database ($PAVED_HOME/
	 * paved.db), for storage plugins that keep tables there (the
	 * catalog): open, in WAL mode, with a busy timeout.  Borrowed: never
	 * close it, finalize every statement in fini(), prefix your tables
	 * with the plugin name, and nest with SAVEPOINT when
	 * sqlite3_get_autocommit() says a transaction is open.  Use it only
	 * on the thread that called you (it is opened SQLITE_OPEN_NOMUTEX).
	 * NULL when the host has no state database. */
	struct sqlite3 *(*state_db)(paved_ctx *ctx);

	/* Run CMD (argv, no shell) on the host's runner and wait for it.
	 * Returns PAVED_OK when it ran (whatever its exit status, unless
	 * PAVED_RUN_CHECK), PAVED_ERR with *ERRMSG when it could not start.
	 * RES may be NULL (output discarded); else fill it and free its out/err. */
	int (*run)(paved_ctx *ctx, const struct paved_cmd *cmd,
	           struct paved_run_result *res, char **errmsg);
	/* The same in two halves, to run programs side by side: run_start
	 * returns a handle; run_wait (exactly once per handle) waits, fills RES,
	 * applies PAVED_RUN_CHECK and frees the handle.  Output beyond a pipe's
	 * buffer (64 KiB) makes the program wait until run_wait reads it. */
	int (*run_start)(paved_ctx *ctx, const struct paved_cmd *cmd, paved_proc **proc,
	                 char **errmsg);
	int (*run_wait)(paved_ctx *ctx, paved_proc *proc, struct paved_run_result *res,
	                char **errmsg);

	/* Read YAML (JSON is YAML) from PATH into *OUT, a new reference.
	 * Scalars resolve by the YAML 1.2 core schema; duplicate keys, alias
	 * bombs, over-deep nesting and oversize input are errors.  Errors read
	 * "PATH:LINE:COLUMN: problem". */
	int (*read_yaml)(paved_ctx *ctx, const char *path, const struct paved_yaml_opts *opts,
	                 json_t **out, char **errmsg);
	/* Write DOCS to OUT as YAML that any YAML 1.1 or 1.2 reader reads back
	 * as the same JSON (strings that look like other types are quoted):
	 * one document, or with PAVED_YAML_ALL_DOCS each element of the array
	 * DOCS as its own document. */
	int (*write_yaml)(paved_ctx *ctx, FILE *out, json_t *docs, unsigned flags, char **errmsg);

	/* The declared shape of HOOK (sdk/hooks.json): {summary, args, result}
	 * or NULL when undeclared.  For an area's name ("provision") its whole
	 * declaration: {summary, by?, env, default, defaults?, verbs}.  Borrowed. */
	json_t *(*shape)(paved_ctx *ctx, const char *hook);

	/* The plugin's own name. */
	const char *(*name)(paved_ctx *ctx);

	/* Parse ARGV (a JSON array of strings: the words after the command)
	 * against FLAGS.  --name=value and --name value both work, -x value
	 * too; a BOOL's --no-name sets false; "--" ends options; -h/--help is
	 * always known.  *OUT (new) is {"flags": {name: value}, "args":
	 * [positional...], "help": bool}.  An unknown option or a missing or
	 * bad value is PAVED_ERR with *ERRMSG naming it and, for a typo, the
	 * closest known option: "unknown option '--stratgy' (did you mean
	 * '--strategy'?)". */
	int (*cli_parse)(paved_ctx *ctx, json_t *argv, const struct paved_flag *flags,
	                 json_t **out, char **errmsg);
	/* Print FLAGS to OUT as the option list of a help text, aligned, with
	 * -h/--help at the end. */
	void (*cli_help)(paved_ctx *ctx, FILE *out, const struct paved_flag *flags);

	/* Add the command `paved NAME`: provide the hook cli.NAME with a
	 * one-line SUMMARY for `paved --help` (kept in the registration cache,
	 * so listing commands opens no plugin).  As provide() otherwise. */
	int (*provide_command)(paved_ctx *ctx, const char *name, const char *summary,
	                       paved_fn fn, void *data, void (*free_data)(void *), char **errmsg);
};

/* Whether API (a const struct paved_api *) has member FIELD: hosts of the
 * same ABI version may predate members appended later. */
#define PAVED_API_HAS(api, field) \
	((api)->size >= offsetof(struct paved_api, field) + sizeof((api)->field) && (api)->field)

#ifdef __cplusplus
}
#endif
#endif /* PAVED_PLUGIN_H */
