/*
 * host.h -- the paved host's internal interfaces (prefix pv_).
 *
 * The host is small: a registry of hooks (registry.c), a plugin loader
 * with a registration cache (loader.c, plugin_cache.c), the event bus
 * (events.c), layered configuration (config.c), the SQLite state database
 * (state.c) and the function table handed to plugins (api.c).  Commands
 * live in cli_*.c.  Nothing here knows a resource type, a strategy or a sink.
 */
#ifndef PV_HOST_H
#define PV_HOST_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <sqlite3.h>
#include <paved/plugin.h>

/* Exit codes of the paved binary (documented in `paved --help`). */
enum pv_exit {
	PV_EXIT_OK      = 0,  /* success */
	PV_EXIT_FAIL    = 1,  /* the operation failed (plugin error, veto) */
	PV_EXIT_USAGE   = 2,  /* bad arguments, bad config, unusable PAVED_HOME */
	PV_EXIT_PLUGIN  = 3,  /* a plugin failed to load and --strict was given */
	PV_EXIT_NOHOOK  = 4,  /* no plugin provides the hook that was called */
};

/* A plugin's handle (paved_ctx in the SDK): who is calling.  Each plugin
 * embeds one; the host has its own (plugin NULL) for the hooks it provides. */
struct paved_ctx {
	struct pv_host *host;
	struct pv_plugin  *plugin;    /* NULL: the host itself */
};

/* A registered hook implementation.  fn == NULL marks a placeholder taken
 * from the registration cache: its plugin is loaded on first use. */
struct pv_impl {
	paved_fn          fn;
	void             *data;
	void            (*free_data)(void *);
	struct pv_plugin *plugin;     /* NULL for the host's own */
	int               priority;
	unsigned          seq;        /* registration order, for stable sorting */
	bool              passthrough;/* a front: its errors are the driver's, unprefixed */
	char             *summary;    /* a command's one line for `paved --help` */
};

/* A hook: one provider and ordered observer chains. */
struct paved_hook {
	char            *name;
	struct pv_impl  *provider;    /* NULL when nobody provides it */
	struct pv_impl **observers;   /* sorted by (priority, seq) */
	size_t           nobservers;
	struct paved_hook *before;    /* the "before:NAME" chain, once it exists */
	struct paved_hook *after;     /* the "after:NAME" chain, once it exists */
	struct paved_hook *next;      /* hash chain */
	json_t          *shape;       /* declared shape (borrowed), once looked up */
	bool             shape_known; /* shape has been looked up */
};

enum pv_plugin_status {
	PV_PLUGIN_CACHED,    /* registrations known from the cache, not loaded */
	PV_PLUGIN_LOADED,    /* opened and initialised */
	PV_PLUGIN_FAILED,    /* failed to load; error says why */
	PV_PLUGIN_SHADOWED,  /* same name found earlier in the search path */
};

/* One plugin file found in the search path. */
struct pv_plugin {
	char  *path;          /* absolute file path */
	char  *name;          /* descriptor name (or file stem until loaded) */
	char  *version, *summary;
	char  *kind;          /* "c" or "lua" */
	char  *error;         /* reason when FAILED or SHADOWED */
	enum pv_plugin_status status;
	json_t *regs;         /* [{"hook":..,"role":"provide"|"observe","priority":n}] */
	json_t *options;      /* declared options [{name,type,default,description}] */
	json_t *optvals;      /* resolved option values {name: value} */
	struct { long long size, mtime_ns, ctime_ns, ino; } st;
	void  *handle;        /* lt_dlhandle for C plugins */
	const struct paved_plugin *desc;
	void  *lua;           /* Lua state for Lua plugins */
	bool   from_cache;    /* regs came from the cache (not yet verified) */
	bool   conflict;      /* provide() hit a taken hook during init */
	bool   dirty;         /* loaded fresh: its cache entry must be written */
	struct paved_ctx ctx; /* handed to init, fini and every hook it registered */
	struct pv_plugin *next;
};

/* The running host. */
struct pv_host {
	char   *home;             /* $PAVED_HOME */
	json_t *config;           /* merged configuration */
	sqlite3 *db;              /* state database, NULL until pv_state_open */
	struct paved_hook **hooks;/* hash table */
	size_t  nbuckets, nhooks;
	unsigned seq;
	struct pv_plugin *plugins, *plugins_tail;
	struct paved_ctx self;    /* the host's own handle (plugin NULL) */
	int     verbosity;        /* 0 quiet .. 3 debug */
	bool    strict, json, color;
	int     emitting;         /* recursion guard for the event bus */
	FILE   *logf;
	bool    loader;       /* pv_loader_init succeeded */
	json_t *plugin_cache; /* {path: {stamp, entry}}, read once */
	json_t *shapes;       /* sdk/hooks.json, parsed on first use */
	bool    check_shapes; /* check every declared call (PAVED_CHECK_SHAPES) */
};

typedef struct pv_host pv_host;

/* ---- util.c ---------------------------------------------------------- */
char *pv_strdup(const char *s);
char *pv_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pv_vasprintf(const char *fmt, va_list ap);
int   pv_seterr(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int   pv_mkdir_p(const char *path, mode_t mode, char **errmsg);
char *pv_path_join(const char *a, const char *b);
void  pv_now_iso(char buf[32]);
bool  pv_valid_name(const char *s);
bool  pv_in_build_tree(void);
struct stat;
char *pv_unsafe_owner(const struct stat *st, const char *path);
char *pv_printable(const char *s);

/* ---- config.c -------------------------------------------------------- */
/* Build the merged configuration: defaults < SYSTEM file < HOME file <
 * environment (PAVED_CONFIG_*) < SETS (array of "key=value").  SYSTEM may be
 * NULL for the default /etc/paved/config.json (or $PAVED_SYSTEM_CONFIG). */
int     pv_config_load(const char *home, const char *const *sets, size_t nsets,
                       json_t **out, char **errmsg);
int     pv_config_file(const char *path, json_t *into, char **errmsg);
json_t *pv_config_get(json_t *config, const char *dotted);
int     pv_config_set(json_t *config, const char *dotted, json_t *value);
void    pv_json_merge(json_t *dst, json_t *src);

/* ---- state.c --------------------------------------------------------- */
/* Process-wide SQLite settings: once, before any database is opened. */
void    pv_state_configure(void);
int     pv_state_open(pv_host *h, char **errmsg);
void    pv_state_close(pv_host *h);
int     pv_state_schema_version(pv_host *h);
int     pv_state_exec(pv_host *h, const char *sql, char **errmsg);
int     pv_state_put(pv_host *h, const char *ns, const char *key, json_t *v, char **errmsg);
json_t *pv_state_get(pv_host *h, const char *ns, const char *key);
int     pv_state_del(pv_host *h, const char *ns, const char *key, char **errmsg);
json_t *pv_state_list(pv_host *h, const char *ns);

/* ---- registry.c ------------------------------------------------------ */
int     pv_registry_init(pv_host *h);
void    pv_registry_free(pv_host *h);
struct paved_hook *pv_hook_get(pv_host *h, const char *name, bool create);
int     pv_provide(pv_host *h, struct pv_plugin *p, const char *hook, paved_fn fn,
                   void *data, void (*free_data)(void *), char **errmsg);
/* Provide cli.NAME (the command `paved NAME`) with a one-line SUMMARY. */
int     pv_provide_command(pv_host *h, struct pv_plugin *p, const char *name,
                           const char *summary, paved_fn fn, void *data,
                           void (*free_data)(void *), char **errmsg);
int     pv_observe(pv_host *h, struct pv_plugin *p, const char *hook, int priority,
                   paved_fn fn, void *data, void (*free_data)(void *), char **errmsg);
int     pv_call_hook(pv_host *h, struct paved_hook *hk, json_t *args,
                     json_t **result, char **errmsg);
int     pv_call(pv_host *h, const char *hook, json_t *args, json_t **result, char **errmsg);
void    pv_unregister_plugin(pv_host *h, struct pv_plugin *p);
int     pv_run_impl(pv_host *h, struct pv_impl *im, const char *hook, json_t *args,
                    json_t **result, char **errmsg);
char   *pv_loaded_summary(pv_host *h);

/* ---- loader.c / plugin_cache.c --------------------------------------- */
int     pv_loader_init(char **errmsg);
void    pv_loader_exit(void);
/* Colon-separated search path in effect (flag, env, config, default). */
char   *pv_plugin_path(pv_host *h, const char *flag_path);
int     pv_load_plugins(pv_host *h, const char *search_path, char **errmsg);
int     pv_plugin_ensure(pv_host *h, struct pv_plugin *p, char **errmsg);
void    pv_unload_plugins(pv_host *h);
struct pv_plugin *pv_plugin_find(pv_host *h, const char *name);
int     pv_cache_lookup(pv_host *h, struct pv_plugin *p);
void    pv_cache_store_dirty(pv_host *h);
int     pv_options_resolve(pv_host *h, struct pv_plugin *p, char **errmsg);
json_t *pv_plugin_json(struct pv_plugin *p);
const char *pv_plugin_status_name(enum pv_plugin_status s);

/* Loaders for plugin kinds other than C (lua.c registers itself). */
struct pv_plugin_kind {
	const char *ext;    /* ".lua" */
	const char *kind;   /* "lua" */
	int  (*load)(pv_host *h, struct pv_plugin *p, char **errmsg);
	void (*unload)(pv_host *h, struct pv_plugin *p);
};
extern const struct pv_plugin_kind *pv_extra_kinds[];

/* ---- events.c -------------------------------------------------------- */
void    pv_emit(pv_host *h, const char *source, const char *event, json_t *fields);
int     pv_outbox_flush(pv_host *h, int *delivered, int *pending);
json_t *pv_events_tail(pv_host *h, int n);
json_t *pv_outbox_list(pv_host *h);

/* ---- shapes.c: declared hooks and the fronts of driver areas --------- */
json_t *pv_shapes(pv_host *h);
json_t *pv_shape_of(pv_host *h, const char *hook);
int     pv_shape_check(pv_host *h, json_t *shape, json_t *v, const char *what, char **errmsg);
/* Make HK (named AREA.VERB of a declared area) a front; PAVED_ERR if not one. */
int     pv_front_install(pv_host *h, struct paved_hook *hk);

/* ---- yaml.c ---------------------------------------------------------- */
int     pv_yaml_read(const char *path, const struct paved_yaml_opts *opts, json_t **out,
                     char **errmsg);
int     pv_yaml_write(FILE *out, json_t *docs, unsigned flags, char **errmsg);
bool    pv_yaml_needs_quotes(const char *s);
/* A plain scalar's value by the core schema (JS: numbers as JavaScript
 * stores them, PAVED_YAML_JS_NUMBERS), or NULL when it is text.  New ref. */
json_t *pv_yaml_resolve(const char *s, bool js);

/* ---- platform.c: platform.yaml, the service's contract ---------------- */
int     pv_platform_read(const char *file, const char *dir, const char *env,
                         const char *service, json_t **out, char **errmsg);
int     pv_platform_read_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                              void *data);

/* ---- cli_parse.c: option parsing for every command ------------------- */
int     pv_cli_parse(json_t *argv, const struct paved_flag *flags, json_t **out, char **errmsg);
void    pv_cli_help(FILE *out, const struct paved_flag *flags);

/* ---- api.c ----------------------------------------------------------- */
extern const struct paved_api pv_api;
void    pv_log(pv_host *h, enum paved_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- host.c ---------------------------------------------------------- */
/* Options that shape a host, parsed by main.c from flags. */
struct pv_host_opts {
	const char  *home;          /* --home, else env/XDG */
	const char  *plugin_path;   /* --plugin-path */
	const char *const *sets;    /* -c key=value */
	size_t       nsets;
	bool         strict, json, no_plugins;
	int          verbosity;
};
int     pv_host_open(const struct pv_host_opts *o, pv_host **out, char **errmsg, int *exit_code);
void    pv_host_close(pv_host *h);
char   *pv_default_home(void);

#endif /* PV_HOST_H */
