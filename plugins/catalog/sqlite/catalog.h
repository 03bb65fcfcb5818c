/*
 * catalog.h -- internals of the catalog plugin (plugins/catalog/sqlite).
 *
 * Not part of the paved ABI.  The core files are plain C over jansson and
 * SQLite; they reach the host only through `paved` for YAML (the host's
 * reader and writer), so the unit tests link them with a fake function
 * table that lends them the host's YAML code (host/libpaved.la).
 *
 * Internal prefix: cat_.  Errors follow paved's rule: a function returns 0
 * or -1 and sets *errmsg to a malloc()ed message the caller frees.
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <sqlite3.h>
#include <paved/plugin.h>

#include "pc.h"

/* The host's function table (set by the plugin's init; the unit tests set
 * a fake one).  The core reaches the host only for YAML (read_yaml,
 * write_yaml) and, in the glue, for everything else. */
PAVED_PLUGIN_INIT3;

/* ---- util.c: messages, strings, a string set ------------------------- */

/* Set *ERRMSG (if ERRMSG is not NULL) to a formatted message; returns -1. */
int cat_err(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lower-case copy of S (ASCII), malloc()ed. */
char *cat_lower(const char *s);
/* A 64-bit fingerprint of N bytes (CAT_HASH_MORE: continuing H). */
uint64_t cat_hash(const void *data, size_t n);
uint64_t cat_hash_more(uint64_t h, const void *data, size_t n);

/* An open-addressing set of strings, each with an int value. */
struct cat_set {
	char  **keys;
	int    *vals;
	size_t *hashes;
	size_t  cap, len;
};
/* Value of KEY, or -1 when absent. */
int cat_set_get(const struct cat_set *s, const char *key);
/* Insert or overwrite KEY (copied).  Returns 0, or -1 on out of memory. */
int cat_set_put(struct cat_set *s, const char *key, int val);
void cat_set_free(struct cat_set *s);

/* A set of non-zero 64-bit ids (row ids). */
struct cat_idset {
	int64_t *v;
	size_t   cap, len;
};
bool cat_idset_has(const struct cat_idset *s, int64_t id);
int cat_idset_add(struct cat_idset *s, int64_t id);   /* 0, or -1 on out of memory */
void cat_idset_free(struct cat_idset *s);

/* A growable list of malloc()ed strings. */
struct cat_strv {
	char  **v;
	size_t  len, cap;
};
int cat_strv_push(struct cat_strv *sv, const char *s);  /* copies S */
int cat_strv_take(struct cat_strv *sv, char *s);        /* S malloc()ed: now SV's
                                                          (freed on failure) */
void cat_strv_free(struct cat_strv *sv);

/* ---- entity.c: the Backstage entity model ---------------------------- */

/* The canonical ref ("kind:ns/name", lower case) of TEXT ("kind:ns/name",
 * "kind:name", "ns/name" or "name", parsed as Backstage's parseEntityRef:
 * "ns/team:x" is namespace ns, name "team:x") with the given defaults
 * (DEF_KIND may be NULL: a kind is then required), malloc()ed; NULL with
 * *errmsg set. */
char *cat_ref_canon(const char *text, const char *def_kind, const char *def_ns,
                    char **errmsg);
/* Canonical ref of ENTITY (which must have passed cat_entity_validate). */
char *cat_entity_ref(json_t *entity);

/* Check ENTITY as Backstage does (validate.h); *errmsg gets every problem,
 * one a line.  Malformed rich paved fields (cost, endpoints) are warnings
 * appended to WARNINGS (may be NULL).  Returns 0 or -1. */
int cat_entity_validate(json_t *entity, json_t *warnings, char **errmsg);

/* The rich fields paved adds (annotation names). */
#define CAT_ANN_ONCALL     "paved.dev/oncall"
#define CAT_ANN_REPOSITORY "paved.dev/repository"
#define CAT_ANN_DASHBOARD  "paved.dev/dashboard"
#define CAT_ANN_RUNBOOK    "paved.dev/runbook"
#define CAT_ANN_COST       "paved.dev/cost-per-month"
#define CAT_ANN_TIER       "paved.dev/tier"
#define CAT_ANN_HEALTH     "paved.dev/health-url"
/* Monthly cost of ENTITY in USD, or -1 when it declares none. */
double cat_entity_cost(json_t *entity);
/* The entities of a YAML/JSON document: a list of them or {"items": [...]}
 * gives that array (borrowed), an entity NULL.  *PROBE gets the first
 * entity (to tell a catalog file from another YAML file). */
json_t *cat_doc_list(json_t *doc, json_t **probe);
/* Whether PROBE looks like an entity: it has apiVersion or kind. */
bool cat_entity_shaped(json_t *probe);
/* Borrowed string at a dotted PATH in ENTITY ("spec.owner"), or NULL. */
const char *cat_get_str(json_t *entity, const char *path);
/* Borrowed annotation value, or NULL. */
const char *cat_annotation(json_t *entity, const char *key);

/* ---- relations.c: computing relations as Backstage does -------------- */

/* Called with one relation in canonical direction; non-zero: out of memory. */
typedef int (*cat_rel_fn)(const char *source, int type, const char *target, void *ud);
/* Call FN for every relation ENTITY (whose canonical ref is SELF) declares,
 * in canonical direction, the other end resolved with Backstage's
 * defaults.  Returns 0 or -1 (a malformed reference, or FN failed). */
int cat_relations_each(json_t *entity, const char *self, cat_rel_fn fn, void *ud,
                       char **errmsg);
/* The same appended to RELS, an array of {"source","type","target"}. */
int cat_relations_of(json_t *entity, json_t *rels, char **errmsg);
/* The canonical type of id ID (cat_rel_type_id), or NULL. */
const char *cat_rel_type_name(int id);
/* The inverse of relation TYPE ("ownedBy" -> "ownerOf"), or NULL. */
const char *cat_rel_inverse(const char *type);
/* Whether TYPE is stored as is (canonical) rather than as its inverse. */
bool cat_rel_canonical(const char *type);
/* The id of canonical TYPE in catalog_relation_types, 0 if not canonical. */
int cat_rel_type_id(const char *type);
/* dependsOn's id, for SQL text. */
#define CAT_REL_DEPENDSON "2"

/* ---- prep.c: an entity ready to store -------------------------------- */

/* What the rows of one entity need, computed from its JSON alone (no SQL,
 * no shared state: a reader thread makes these).  The strings all live in
 * BUF; NULL where the entity has no such field. */
struct cat_prep {
	json_t     *entity;                   /* held (an import's reader drops it
	                                         but for a Location's: see reader.c) */
	const char *ref, *kind, *ns, *name;   /* canonical, lower case */
	const char *owner, *system;           /* resolved refs */
	const char *lifecycle, *type;
	const char *text;                     /* the entity as compact JSON */
	const char *title, *description, *fts_tags, *fts_other;
	const char **tags;                    /* lower case */
	size_t      ntags;
	struct cat_prep_rel {                 /* canonical direction */
		const char *source, *target;
		int         type;                 /* cat_rel_type_id */
	}          *rels;
	size_t      nrels;
	double      cost;                     /* -1: none declared */
	uint64_t    hash;                     /* of TEXT: unchanged documents are skipped */
	char       *buf;
};
/* Prepare ENTITY, which passed cat_entity_validate.  0, or -1 with
 * *errmsg set (a malformed reference in its spec). */
int cat_prep_init(struct cat_prep *p, json_t *entity, char **errmsg);
void cat_prep_free(struct cat_prep *p);

/* ---- placeholder.c: $text, $json, $yaml -------------------------------- */

/* Where an entity's placeholders are read from (see placeholder.c). */
struct cat_placeholders {
	paved_ctx  *ctx;       /* for the host's YAML reader */
	const char *dir;       /* the entity's file's directory */
	const char *root;      /* a real path: nothing is read outside it */
	json_t     *warnings;  /* URL placeholders left alone are noted here */
	int         read;      /* placeholders substituted so far */
	char       *err;       /* why the last call failed (malloc()ed) */
};
/* Substitute the placeholders of ENTITY in place.  0, or -1 with PH->err
 * set ("placeholder $text: cannot read ./x: ..."). */
int cat_placeholders_resolve(struct cat_placeholders *ph, json_t *entity);
/* Whether V is a placeholder {"$text"|"$json"|"$yaml": "where"}; *KEY gets
 * the key. */
bool cat_placeholder_of(json_t *v, const char **key);
/* Whether PATH (a real path) is ROOT (a real path) or inside it. */
bool cat_path_inside(const char *path, const char *root);

/* ---- glob.c: Location targets ------------------------------------------- */

/* The regular files PATTERN (*, ?, [..], **, {a,b}; no '.' or '..'
 * segments) matches, sorted, each once, appended to OUT.  0, or -1 with
 * *errmsg set. */
int cat_glob(const char *pattern, struct cat_strv *out, char **errmsg);
/* PATH made absolute (from the working directory) and normalised as text:
 * "//", "." and ".." resolved without touching the file system (malloc()ed). */
char *cat_path_lexical(const char *path);
/* Whether PATH (from cat_path_lexical; it may not exist, or hold glob
 * characters) stays inside ROOT (a real path): its longest existing
 * prefix, symbolic links resolved, must be inside. */
bool cat_path_prefix_inside(const char *path, const char *root);

/* ---- reader.c: a file's entities, read ahead on a thread ---------------- */

/* One entity document of a file, validated and, when valid, prepared. */
struct cat_doc {
	int             line, col;
	char           *err;      /* why it is invalid, or NULL */
	json_t         *warnings; /* from validation */
	struct cat_prep prep;     /* when err is NULL, by the time FN sees it */
	json_t         *entity;   /* held until prepared or refused (a Location's: kept) */
	bool            prepped;  /* PREP made by the reader (else the importer makes it) */
	struct cat_doc *next;     /* the reader's own list */
};
/* Called on the importing thread for each entity, in file order; D is
 * freed after.  Return 0 to go on, non-zero to read no further. */
typedef int (*cat_entity_fn)(struct cat_doc *d, void *ud);
/* A file to read. */
struct cat_read {
	paved_ctx  *ctx;          /* the host reads the YAML */
	const char *name;         /* the file */
	const char *root;         /* real path: placeholders are read inside it only */
	bool        from_dir;     /* found by a directory walk (see below) */
	int         placeholders; /* out: how many were substituted */
};
/* Read catalog file RD->name (YAML or JSON; a document is an entity, a
 * list of them or {"items": [...]}) on a thread: placeholders substituted,
 * validated, prepared; each entity handed to FN on the calling thread.
 * FROM_DIR: a file whose first document has neither apiVersion nor kind
 * is not a catalog file.  Returns 0; 1 if skipped as not a catalog file;
 * -1 with *errmsg set when the file cannot be parsed ("NAME:LINE:COL:
 * what"); the entities before the error were handed over. */
int cat_read_entities(struct cat_read *rd, cat_entity_fn fn, void *ud, char **errmsg);
/* Nesting an entity file may have (the host's default is 64). */
#define CAT_YAML_MAX_DEPTH 256

/* ---- store.c: schema, put/get/delete --------------------------------- */

/* Page cache (KiB): normal use (SQLite's default: a command reads a few
 * hundred pages, and a bigger cache only costs start-up), and during an
 * import. */
#define CAT_CACHE_KB        "2000"
#define CAT_IMPORT_CACHE_KB "16384"

struct cat_db {
	sqlite3      *db;
	sqlite3_stmt *st[24];   /* prepared statements, see store.c (S_COUNT) */
	int           in_tx;
	struct cat_set ids;     /* ref -> catalog_refs.id, known in this transaction */
	bool          ids_all;  /* IDS holds every ref there is: catalog_refs was
	                         * empty when the transaction began (cat_db_fresh) */
	sqlite3_stmt *multi[2][8]; /* tag and relation INSERTs of 1..8 rows (store.c) */
	long          now;      /* the second NOW_TEXT shows (store.c) */
	char          now_text[24];
	bool          deferred; /* secondary indexes dropped in this transaction */
	bool          borrowed; /* the host's connection: never closed here */
	bool          nested;   /* in_tx is a savepoint in the owner's transaction */
};
/* Open PATH (creating it), set WAL and a busy timeout, migrate the
 * catalog_ tables.  Returns 0 or -1. */
int cat_db_open(struct cat_db *c, const char *path, char **errmsg);
/* The same, migrating no further than VERSION (tests of the migrations). */
int cat_db_open_at(struct cat_db *c, const char *path, int version, char **errmsg);
/* Use DB, a connection someone else opened (the host's, api->state_db),
 * and migrate the catalog_ tables.  cat_db_close leaves DB open. */
int cat_db_attach(struct cat_db *c, sqlite3 *db, char **errmsg);
void cat_db_close(struct cat_db *c);
int cat_db_begin(struct cat_db *c, char **errmsg);
int cat_db_commit(struct cat_db *c, char **errmsg);
void cat_db_rollback(struct cat_db *c);
/* Inside a transaction: drop the secondary indexes a bulk import of new
 * entities does not read, and build them again.  Replacing an entity
 * and committing rebuild them first if they are dropped.  0 or -1. */
int cat_db_defer_indexes(struct cat_db *c, char **errmsg);
int cat_db_restore_indexes(struct cat_db *c, char **errmsg);
/* Outside a transaction: write the next transaction through a rollback
 * journal instead of the WAL (see schema.c); whether it did.  Only for an
 * import into an empty catalog.  cat_db_journal_wal goes back. */
bool cat_db_journal_direct(struct cat_db *c);
void cat_db_journal_wal(struct cat_db *c);
/* Inside a transaction that began on an empty catalog (no entity, no
 * ref): every ref is known to the cache from now on, so storing a new
 * entity needs no look-up.  Whether it was empty.  The transaction's end
 * (and cat_delete) forgets it. */
bool cat_db_fresh(struct cat_db *c);
/* Current catalog schema version. */
int cat_db_version(struct cat_db *c);

/* Validate and store ENTITY (borrowed), replacing any entity with the
 * same ref, and recompute its relations.  SOURCE is where it came from
 * ("file:line:col" or NULL).  *REF_OUT (may be NULL) gets the ref;
 * *CREATED whether it is new.  Runs inside the caller's transaction if
 * one is open.  Returns 0 or -1. */
int cat_put(struct cat_db *c, json_t *entity, const char *source, json_t *warnings,
            char **ref_out, bool *created, char **errmsg);
/* What cat_put_prep did. */
enum cat_put_outcome {
	CAT_PUT_CREATED, CAT_PUT_UPDATED,
	CAT_PUT_UNCHANGED,   /* same location, same text: nothing written */
	CAT_PUT_CONFLICT,    /* another location owns it: nothing written */
	CAT_PUT_DUPLICATE,   /* placed already by this import (in PLACED) */
};
struct cat_put_info {
	struct cat_idset    *placed;   /* in (may be NULL): ids this import placed;
	                                  the entity's id is added to it */
	enum cat_put_outcome outcome;
	char *old_source;    /* UPDATED from no owner: "file:line:col" of what was there */
	char *owner;         /* CONFLICT: the location that owns it;
	                        DUPLICATE: where this import placed it first */
};
/* cat_put for an entity already validated and prepared (prep.c), owned
 * from now on by LOCATION ("file:/real/path"; NULL: by none).  As in
 * Backstage's catalog, an entity owned by another location is not
 * replaced (CAT_PUT_CONFLICT); with no LOCATION (catalog.put) it always
 * is, and is then owned by none, so the next import of a file defining it
 * claims it.  INFO's strings are malloc()ed (the caller frees them); they
 * are set only for the outcomes that name them.
 * 0, or -1 with *errmsg set (the state database failed). */
int cat_put_prep(struct cat_db *c, const struct cat_prep *p, const char *source,
                 const char *location, struct cat_put_info *info, char **errmsg);
/* Entity by exact canonical REF, with "relations" added; NULL if absent. */
json_t *cat_get(struct cat_db *c, const char *ref);
/* Resolve user input TEXT ("x", "api:x", "component:default/x") to an
 * existing canonical ref.  A bare name is looked up across kinds (a
 * Component wins); ambiguity is an error listing the candidates. */
int cat_resolve(struct cat_db *c, const char *text, char **ref_out, char **errmsg);
/* Delete REF and the relations it declared.  Returns 0, or -1 if absent. */
int cat_delete(struct cat_db *c, const char *ref, char **errmsg);
/* Whether REF exists. */
bool cat_exists(struct cat_db *c, const char *ref);
/* Relations of REF, both directions: [{"type","targetRef"}], sorted. */
json_t *cat_relations_get(struct cat_db *c, const char *ref);

/* ---- query.c: lists, search, check, owners, cost ----------------------- */

/* Called with an entity's stored JSON text (LEN bytes, valid during the
 * call); non-zero stops the walk. */
typedef int (*cat_row_fn)(const char *json, size_t len, void *ud);
/* Every entity matching FILTER {"kind","owner","lifecycle","tag","system",
 * "text","limit"} (NULL: all), sorted by ref, handed to FN one at a time
 * (memory stays bounded).  0; -1 on a bad filter (*errmsg set) or when FN
 * stopped. */
int cat_query_each(struct cat_db *c, json_t *filter, cat_row_fn fn, void *ud, char **errmsg);
/* The same collected in a new array.  NULL with *errmsg on a bad filter. */
json_t *cat_query(struct cat_db *c, json_t *filter, char **errmsg);
/* Full-text search: [{"ref","title","description","rank"}]. */
json_t *cat_search(struct cat_db *c, const char *text, int limit, char **errmsg);
/* Dangling refs and dependency cycles:
 * {"dangling":[{"source","type","target"}],"cycles":[[ref...]]}. */
json_t *cat_check(struct cat_db *c, char **errmsg);
/* [{"owner","title","email","oncall","entities":[ref...]}] */
json_t *cat_owners(struct cat_db *c, char **errmsg);
/* BY NULL: per component {"ref","own","resources","total"};
 * BY "owner"|"system": [{"key","total","entities":N}]. */
json_t *cat_cost(struct cat_db *c, const char *by, char **errmsg);
/* Own monthly cost of REF (-1: none declared) and the cost of the
 * resources it depends on, transitively, each counted once. */
int cat_cost_of(struct cat_db *c, const char *ref, double *own, double *resources);
/* Counts {"entities":N,"relations":N,"byType":{type:N}} (both directions). */
json_t *cat_stats(struct cat_db *c);

/* ---- graph.c: dependency traversal ------------------------------------ */

/* Dependencies (REVERSE false) or dependents (true) of REF along dependsOn.
 * TRANSITIVE follows edges up to MAX_DEPTH (0: no limit; without
 * TRANSITIVE the depth is 1).  Result:
 * {"ref", "items":[{"ref","depth","via","exists"}], "cycles":[[ref...]],
 *  "truncated": bool}. */
json_t *cat_deps(struct cat_db *c, const char *ref, bool reverse, bool transitive,
                 int max_depth, char **errmsg);
/* One item of a dependency walk, in walk order (breadth first, each node
 * once at its shortest distance).  Non-zero: out of memory. */
typedef int (*cat_dep_fn)(const char *ref, int depth, const char *via, bool exists,
                          void *ud);
/* The walk of cat_deps, each item handed to FN (the strings are valid
 * during the call).  *CYCLES (CYCLES may be NULL) gets a new array of the
 * cycles met, *TRUNCATED (may be NULL) whether the depth limit cut the
 * walk.  Returns 0, or -1 with *errmsg set. */
int cat_deps_each(struct cat_db *c, const char *ref, bool reverse, bool transitive,
                  int max_depth, cat_dep_fn fn, void *ud, json_t **cycles, bool *truncated,
                  char **errmsg);
/* Graph text of REF's dependency neighbourhood (or everything when REF is
 * NULL) in FORMAT "dot" or "mermaid", malloc()ed. */
char *cat_graph(struct cat_db *c, const char *ref, const char *format, int max_depth,
                char **errmsg);

/* ---- import.c: files, directories, Locations, export ------------------ */

struct cat_import {
	paved_ctx *ctx;     /* the plugin's handle: the host reads the YAML */
	bool    dry_run;    /* check everything, write nothing */
	bool    no_follow;  /* keep Location entities, do not read their targets */
	bool    atomic;     /* any problem: nothing is written */
	bool    written;    /* out: the import committed */
	long    imported;   /* entities placed or kept as they were */
	long    created, updated, unchanged;
	long    rejected;   /* invalid entities (each left out alone) */
	long    conflicted; /* defined by another location: left to it */
	long    files;
	json_t *warnings;   /* array of strings */
	json_t *errors;     /* array of strings, "FILE:LINE:COL: problem" */
	json_t *conflicts;  /* [{"ref", "at", "owner"}] */
	json_t *refs;       /* refs imported, in order, if the caller sets an
	                     * array here after cat_import_init (tests) */
};
/* Import every path in PATHS (an array of strings) in one transaction, as
 * Backstage ingests (see import.c): a bad entity is left out alone, an
 * entity another location owns is left to it.  Fills RES (caller inits
 * with cat_import_init, frees with cat_import_free).  Returns 0 when
 * nothing failed, else -1 with the failures in RES->errors; RES->written
 * says whether the rest was written (never with atomic or dry_run). */
int cat_import_paths(struct cat_db *c, json_t *paths, struct cat_import *res);
void cat_import_init(struct cat_import *res, bool dry_run);
void cat_import_free(struct cat_import *res);
/* RES as JSON: {"imported","created","updated","unchanged","rejected",
 * "conflicted","files","conflicts","warnings","errors","dry_run","atomic",
 * "written"} (a new object). */
json_t *cat_import_json(const struct cat_import *res);
/* All entities, sorted by ref, without relations (a new array). */
json_t *cat_export(struct cat_db *c, char **errmsg);

#endif /* CATALOG_H */
