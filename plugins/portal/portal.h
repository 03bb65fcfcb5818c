/*
 * portal.h -- internal interfaces of the portal plugin (`paved serve`,
 * `paved token`): the HTTP server, the in-memory catalog index behind the
 * Backstage-compatible API, tokens and the audit log, golden-path tasks run
 * as child paved processes, and the server-rendered pages.
 *
 * Threads: everything that touches the host (hooks, state, the index) runs
 * on the server's one loop thread.  The only other threads are the waiters
 * of child processes (po_job), which call paved->run_wait alone (it touches
 * nothing but its own process handle) and then hand the result back to the
 * loop through a pipe.  Internal prefix: po_.
 */
#ifndef PAVED_PORTAL_H
#define PAVED_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>
#include <paved/plugin.h>

PAVED_PLUGIN_INIT3;

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

/* The biggest request body taken (1 MiB): more is 413. */
#define PO_MAX_BODY (1024 * 1024)

/* ---- the catalog index (index.c, search.c) ------------------------------ */

/* One search row of an entity, as Backstage's buildEntitySearch makes
 * them: interned ids of the lower-case key, the lower-case value and the
 * original value (0: null). */
struct po_row {
	uint32_t key, val, orig;
};

/* One entity of the index.  ID is its position in po_index.ents. */
struct po_ent {
	char          *ref;      /* canonical, lower case: kind:namespace/name */
	char          *json;     /* the entity as served (uid, etag, relations) */
	size_t         json_len;
	struct po_row *rows;
	uint32_t       nrows;
	bool           live;
};

struct po_index;

/* Build the index from the catalog hooks (catalog.export, catalog.relations).
 * NULL with *ERRMSG when the catalog cannot be read; a missing catalog
 * plugin gives an empty index. */
struct po_index *po_index_build(paved_ctx *ctx, char **errmsg);
void po_index_free(struct po_index *ix);
/* Re-read one entity by REF (canonical) from the catalog: added, replaced,
 * or removed when the catalog no longer has it. */
void po_index_refresh(paved_ctx *ctx, struct po_index *ix, const char *ref);
/* Entities, live ones, and entity by id / by canonical ref (-1: none). */
uint32_t po_index_size(const struct po_index *ix);
uint32_t po_index_live(const struct po_index *ix);
const struct po_ent *po_index_ent(const struct po_index *ix, uint32_t id);
long po_index_find(const struct po_index *ix, const char *ref);
/* An interned string's id (0: not interned), and the string of an id. */
uint32_t po_index_str_id(const struct po_index *ix, const char *s);
const char *po_index_str(const struct po_index *ix, uint32_t id);
/* The ascending ids whose rows hold KEY=VAL (VAL 0: any value, existence).
 * Borrowed, valid until the index changes; *N set. */
const uint32_t *po_index_posting(const struct po_index *ix, uint32_t key, uint32_t val,
                                 uint32_t *n);
/* Backstage's search rows of ENTITY (the served form, with relations):
 * interned into IX; *N set.  malloc()ed. */
struct po_row *po_search_rows(struct po_index *ix, json_t *entity, uint32_t *n);
/* Lower-case REF from kind, namespace, name ("component:default/x"). */
char *po_ref_of(const char *kind, const char *ns, const char *name);
/* The served form of ENTITY (metadata.namespace, uid, etag; RELATIONS as
 * Backstage gives them): a new reference. */
json_t *po_served_entity(json_t *entity, json_t *relations, const char *ref);

/* ---- queries (query.c) ------------------------------------------------- */

/* A parsed filter: sets ORed, conditions in a set ANDed, values of one
 * condition ORed (Backstage's parseEntityFilterParams). */
struct po_filter;
/* Parse FILTERS (JSON array of strings); NULL and *ERRMSG on a bad one; an
 * empty list gives a filter that matches everything. */
struct po_filter *po_filter_parse(json_t *filters, char **errmsg);
void po_filter_free(struct po_filter *f);
/* For a filter of one condition with at most one value: its posting list
 * (borrowed, valid until the index changes; *N set); else NULL. */
const uint32_t *po_filter_posting(const struct po_index *ix, const struct po_filter *f,
                                  uint32_t *n);
/* The matching ids, ascending (malloc()ed, *N set). */
uint32_t *po_filter_run(const struct po_index *ix, const struct po_filter *f, uint32_t *n);

/* GET /entities/by-query: ARGS is the query string as {name: [values]}.
 * Returns the response body as JSON text (malloc()ed), or NULL with
 * *STATUS and *ERRMSG. */
char *po_query_entities_text(struct po_index *ix, json_t *args, int *status, char **errmsg);
/* GET /entities (the older list): an array, filter/fields/limit/offset/after. */
char *po_list_entities_text(struct po_index *ix, json_t *args, int *status, char **errmsg);
/* GET /entity-facets: {facets: {FACET: [{value, count}]}}. */
json_t *po_facets(struct po_index *ix, json_t *args, int *status, char **errmsg);
/* The entity ID as served, pruned to FIELDS (a JSON array of dotted paths,
 * or NULL for all): new. */
json_t *po_project(const struct po_ent *e, json_t *fields);
/* Split comma-separated values of query parameter NAME in ARGS into one array. */
json_t *po_args_list(json_t *args, const char *name);

/* ---- the HTTP server (server.c, http.c) ---------------------------------- */

struct po_server;
struct po_req;

/* What a route handler returns. */
enum po_reply { PO_DONE, PO_SUSPENDED };

/* The server's state, shared by the handlers (one loop thread). */
struct po_server {
	paved_ctx        *ctx;
	struct MHD_Daemon *daemon;
	struct po_index  *index;
	char             *home;          /* $PAVED_HOME */
	char             *dir;           /* $PAVED_HOME/portal */
	char             *static_dir;    /* the pages' assets */
	char             *paved_bin;     /* the paved to run for child commands */
	char             *workdir;       /* where golden paths put new services */
	char             *base_url;      /* http://HOST:PORT */
	bool              anonymous_read;
	FILE             *access_log;
	FILE             *audit_log;
	int               wake[2];       /* job threads -> loop */
	volatile int      stop;
	long long         last_sync;     /* ms: catalog changes last looked for */
	struct po_task   *tasks;         /* golden-path tasks, newest first */
	struct po_session *sessions;
	json_t           *recipes;       /* {name: `paved recipes show NAME`} */
};

/* Who is asking (auth.c). */
struct po_who {
	bool  authenticated, admin, session, bad_token;
	char  team[64];
	char  token_id[16];
	char  name[64];
};

/* One request in flight. */
struct po_req {
	struct po_server *srv;
	struct MHD_Connection *conn;
	const char *method, *url;
	char       *body;
	size_t      body_len;
	bool        too_big;
	long long   started;      /* ms */
	int         status;       /* for the access log */
	size_t      sent;
	struct po_who who;
	json_t     *args;         /* the query string: {name: [values]} */
	char        remote[64];
	bool        suspended;
	bool        sse;          /* an event stream: ended when the server stops */
	int         pend_status;  /* a deferred reply, queued once resumed */
	char       *pend_body;    /* JSON text */
	/* audit: set by a mutating handler before replying */
	const char *action;
	char       *target;
};

/* Reply helpers (http.c): each queues a response with the security
 * headers and returns PO_DONE. */
enum po_reply po_json(struct po_req *r, int status, json_t *body);       /* steals body */
enum po_reply po_text(struct po_req *r, int status, const char *type, const char *text,
                      size_t len);
enum po_reply po_error(struct po_req *r, int status, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
enum po_reply po_redirect(struct po_req *r, const char *location);
enum po_reply po_static(struct po_req *r, const char *path);
/* Add the security headers every response carries. */
void po_headers(struct MHD_Response *resp, bool html);
/* The first value of query parameter NAME, or NULL. */
const char *po_arg(struct po_req *r, const char *name);
/* The body parsed as a JSON object/array; NULL after replying 400. */
json_t *po_body_json(struct po_req *r, enum po_reply *reply);
/* The request header NAME, or NULL. */
const char *po_header(struct po_req *r, const char *name);
/* Percent-decode S in place (+ as space when FORM). */
void po_url_decode(char *s, bool form);
/* Parse application/x-www-form-urlencoded TEXT into {name: value}. */
json_t *po_form_parse(const char *text, size_t len);
/* Milliseconds on the monotonic clock. */
long long po_now_ms(void);
/* UTC time as ISO 8601 with milliseconds into BUF (at least 32). */
void po_iso_time(char *buf, size_t size);
/* Suspend / resume a request that waits for a job or an event. */
void po_suspend(struct po_req *r);
void po_resume(struct po_req *r);
/* Answer suspended R with STATUS and the JSON text BODY (taken), then
 * resume it. */
void po_defer(struct po_req *r, int status, char *body);
/* Resume every suspended request with 503 (the server stops). */
void po_resume_all(struct po_server *s);

/* Routing (routes.c): answer R. */
enum po_reply po_route(struct po_req *r);

/* Run the server until SIGTERM or SIGINT (server.c). */
int po_serve(paved_ctx *ctx, const char *listen, bool print_json, char **errmsg);
/* Look for catalog changes made by other paved processes (sync.c). */
void po_sync(struct po_server *s, bool force);
/* Re-read the entities REFS (and their neighbours) after a change this
 * process made; drops the in-process events of that change (sync.c). */
void po_sync_refs(struct po_server *s, json_t *refs);
/* The catalog routes, REST after /api/catalog/ (api_catalog.c). */
enum po_reply po_catalog_route(struct po_req *r, const char *rest);
/* The event:catalog.* sink (sync.c). */
int po_catalog_sink(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
extern struct po_server *po_current;   /* the running server, or NULL */

/* ---- tokens, sessions, audit (auth.c) ----------------------------------- */

/* Who R is, from its bearer token or session cookie (fills r->who). */
void po_auth(struct po_req *r);
/* Refuse (401 or 403, audited when MUTATING) unless R may read. */
bool po_may_read(struct po_req *r, enum po_reply *reply);
/* Refuse unless R is authenticated (401); for a mutating request from a
 * session the CSRF token must match too (403). */
bool po_may_write(struct po_req *r, enum po_reply *reply);
/* Refuse (403) unless R's team owns the entity REF or R is admin. */
bool po_may_own(struct po_req *r, const char *ref, enum po_reply *reply);
/* The owning team of a service (its catalog owner's name), malloc()ed or NULL. */
char *po_owner_team(struct po_server *s, const char *ref);
/* One line of the audit log. */
void po_audit(struct po_req *r, const char *action, const char *target, int status,
              const char *outcome);
/* Create a token for TEAM (ADMIN): prints it; the store keeps its hash. */
int po_token_create(paved_ctx *ctx, const char *team, bool admin, const char *name,
                    json_t **out, char **errmsg);
json_t *po_token_list(paved_ctx *ctx);
int po_token_revoke(paved_ctx *ctx, const char *id, char **errmsg);
/* Sessions for the pages: a cookie for a token, with its CSRF token. */
struct po_session;
const char *po_session_new(struct po_server *s, const struct po_who *who, const char **csrf);
const char *po_session_csrf(struct po_req *r);   /* NULL: no session */
void po_session_drop(struct po_server *s, const char *id);
void po_sessions_free(struct po_server *s);
/* Fill WHO for TOKEN; false when it is unknown. */
bool po_token_check(paved_ctx *ctx, const char *token, struct po_who *who);
/* SHA-256 of DATA as 64 hex digits into OUT[65]. */
void po_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- jobs and tasks (job.c, tasks.c) ------------------------------------- */

struct po_job;
typedef void (*po_job_done)(struct po_server *s, struct po_job *job,
                            struct paved_run_result *res, int rc, const char *err);
/* Run `paved ARGV...` as a child (argv[0] is not paved: it is added), its
 * output in LOG (NULL: captured), then call DONE on the loop thread. */
int po_job_start(struct po_server *s, const char *const *argv, const char *cwd,
                 const char *log, po_job_done done, void *data, char **errmsg);
void *po_job_data(struct po_job *job);
/* Called by the loop when the wake pipe is readable. */
void po_jobs_reap(struct po_server *s);
/* Jobs still running. */
int po_jobs_running(void);

struct po_task;
/* The golden paths' descriptions, read once at start (services.c), and one
 * of them (borrowed, NULL when unknown). */
void po_recipes_load(struct po_server *s);
json_t *po_recipe(struct po_server *s, const char *name);
/* The scaffolder routes (tasks.c). */
enum po_reply po_tasks_route(struct po_req *r, const char *rest);
/* Follow the log files of running tasks (the loop calls it often). */
void po_tasks_poll(struct po_server *s);
void po_tasks_free(struct po_server *s);
bool po_tasks_active(struct po_server *s);

/* ---- deploy and observe (services.c) ------------------------------------- */

enum po_reply po_services_route(struct po_req *r, const char *rest);

/* ---- the pages (pages.c, page_entity.c) ----------------------------------- */

enum po_reply po_pages_route(struct po_req *r);

/* A growing text buffer for the pages. */
struct po_buf {
	char  *s;
	size_t len, cap;
};
void po_buf_add(struct po_buf *b, const char *s, size_t n);
void po_buf_puts(struct po_buf *b, const char *s);
void po_buf_printf(struct po_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append S escaped for HTML text and attribute values. */
void po_buf_html(struct po_buf *b, const char *s);
/* Append each string of the array TAGS as <span class="tag">. */
void po_buf_tags(struct po_buf *b, json_t *tags);
/* The index of the first of the N ascending IDS that is not below ID. */
uint32_t po_lower_bound(const uint32_t *ids, uint32_t n, uint32_t id);
/* Append S escaped for a URL query value. */
void po_buf_urlenc(struct po_buf *b, const char *s);

#endif /* PAVED_PORTAL_H */
