/*
 * import.c -- loading entities from files, directories and Location
 * entities as Backstage's catalog ingests them, in one transaction.
 *
 * Rules (documented in README.md):
 *   - PATH may be a file (YAML, multi-document, or JSON: one entity, a list
 *     of entities, or {"items": [...]}) or a directory, read recursively
 *     (*.yaml, *.yml, *.json; hidden entries skipped; each real directory
 *     once, so symbolic-link loops end).  In a directory, a file whose
 *     first document has neither apiVersion nor kind is skipped.
 *   - The directory of each PATH (a directory itself) is its root: nothing
 *     outside it is read, whether named by a Location, a placeholder, or
 *     reached by a symbolic link.
 *   - A Location's targets resolve relative to its file; globs (*, **,
 *     {a,b}); a target matching nothing is an error unless the Location
 *     says presence: optional.  Each file is read once per import.  With
 *     no_follow (restoring an export) Locations are stored, not read.
 *   - Each file is a location that owns the entities it defines (Backstage's
 *     location key).  An entity defined by two locations stays with the
 *     first: the second is reported as a conflict, within one import and
 *     across imports.
 *   - A bad entity is rejected alone (FILE:LINE:COL: problem); the others
 *     are imported.  With atomic, any problem imports nothing.
 *   - A document whose stored text is unchanged is not written again; a
 *     file unchanged since it was last imported without a problem is not
 *     even parsed (its Locations are followed from what was stored).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"

#define MAX_LOCATION_DEPTH 32
/* An import turns to bulk mode (secondary indexes dropped, rebuilt before
 * the commit, or before it first replaces an entity) once it has created
 * this many entities and at least a quarter as many as the catalog held:
 * rebuilding costs a sort of the whole table, inserting row by row a
 * random b-tree walk per index. */
#define BULK_AFTER 2000
/* An import into an empty catalog of files this big (together) goes bulk
 * from its first entity and writes through a rollback journal
 * (cat_db_journal_direct): about 2,000 generated entities. */
#define FRESH_BYTES (1L << 20)

struct importer {
	struct cat_db     *c;
	struct cat_import *res;
	struct cat_set     files;     /* real paths already read */
	struct cat_set     dirs;      /* "dev:ino" of directories walked */
	struct cat_idset   placed;    /* entities this import placed or kept */
	const char        *root;      /* real path: nothing outside it is read */
	int                depth;     /* Location nesting */
	sqlite3_int64      rows;      /* entities (about) before the import */
	bool               bulk;      /* went bulk (indexes dropped once) */
	bool               fresh;     /* big, into an empty catalog: bulk at once */
	bool               fatal;     /* the state database failed: roll back */
};

/* Per-file state handed to the entity callback. */
struct file_ctx {
	struct importer *im;
	const char      *path;        /* as reached */
	const char      *key;         /* "file:/real/path": the location */
	long             entities;    /* entities placed or kept */
	long             problems;    /* errors about this file's content */
};

static int import_path(struct importer *im, const char *path, bool from_dir, const char *via);

/* Append a formatted message to the array ARR. */
static void note(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(json_t *arr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	if (s)
		json_array_append_new(arr, json_string(s));
	free(s);
}

/* The file part of a "file:line:col" source. */
static size_t file_part(const char *src)
{
	const char *p = strrchr(src, ':');
	if (!p)
		return strlen(src);
	const char *q = p;
	while (q > src && *--q != ':')
		;
	return *q == ':' ? (size_t)(q - src) : strlen(src);
}

/* Follow the targets of Location entity E found at WHERE in FC's file. */
static void follow_location(struct file_ctx *fc, json_t *e, const char *where)
{
	struct importer *im = fc->im;
	json_t *spec = json_object_get(e, "spec"), *targets = json_array(), *t;
	const char *type = json_string_value(json_object_get(spec, "type"));
	bool optional = !strcmp(json_string_value(json_object_get(spec, "presence")) ?: "",
	                        "optional");
	size_t i;
	if (json_is_string(json_object_get(spec, "target")))
		json_array_append(targets, json_object_get(spec, "target"));
	json_array_extend(targets, json_object_get(spec, "targets"));
	char *dir = strdup(fc->path), *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	json_array_foreach(targets, i, t) {
		const char *target = json_string_value(t);
		if (!target)
			continue;
		if ((type && strcmp(type, "file")) || strstr(target, "://")) {
			note(im->res->warnings, "%s: Location target '%s' not followed: only file targets "
			     "are read", where, target);
			continue;
		}
		char *joined = target[0] == '/' || !slash ? strdup(target)
		                                         : pc_printf("%s/%s", dir, target);
		char *path = joined ? cat_path_lexical(joined) : NULL, *err = NULL;
		struct cat_strv found = { 0 };
		free(joined);
		if (!path) {
			im->fatal = true;
			break;
		}
		/* as written, the target must stay inside the root ("../../x") */
		bool inside = cat_path_prefix_inside(path, im->root);
		if (!inside) {
			note(im->res->errors, "%s: Location target '%s' is outside %s, the directory "
			     "imported; not read", where, target, im->root);
			fc->problems++;
		} else if (strpbrk(path, "*?[{")) {
			if (cat_glob(path, &found, &err)) {
				note(im->res->errors, "%s: Location target '%s': %s", where, target, err);
				fc->problems++;
			} else if (found.len == 0 && !optional) {
				note(im->res->errors, "%s: Location target '%s' matches no file (say "
				     "presence: optional if that is expected)", where, target);
				fc->problems++;
			}
			for (size_t k = 0; k < found.len; k++)
				import_path(im, found.v[k], false, where);
		} else if (access(path, F_OK) != 0) {
			if (!optional) {
				note(im->res->errors, "%s: Location target '%s' does not exist (say presence: "
				     "optional if that is expected; restoring an export? use --no-follow)",
				     where, target);
				fc->problems++;
			}
		} else {
			import_path(im, path, false, where);
		}
		cat_strv_free(&found);
		free(err), free(path);
	}
	free(dir);
	json_decref(targets);
}

/* Report the conflict of REF at WHERE with OWNER (a location) or FIRST (a
 * place of this import). */
static void conflict(struct file_ctx *fc, const char *where, const char *ref,
                     const char *owner, const char *first)
{
	struct cat_import *res = fc->im->res;
	if (owner)
		note(res->errors, "%s: conflicting entity %s: it is already owned by %s; that "
		     "location keeps it (delete the entity first to move it)", where, ref, owner);
	else
		note(res->errors, "%s: conflicting entity %s: it is already defined at %s in this "
		     "import; the first definition is kept", where, ref, first);
	json_array_append_new(res->conflicts, json_pack("{s:s, s:s, s:s}", "ref", ref, "at", where,
	                      "owner", owner ? owner : first));
	res->conflicted++;
	fc->problems++;
}

/* Import one entity document D of FC's file (the entity_fn of
 * cat_read_entities).  Non-zero stops reading the file: only when the
 * state database failed. */
static int import_entity(struct cat_doc *d, void *ud)
{
	struct file_ctx *fc = ud;
	struct importer *im = fc->im;
	struct cat_import *res = im->res;
	char where[PATH_MAX + 64], *err = NULL;
	const char *ref = d->prep.ref;
	struct cat_put_info info = { .placed = &im->placed };
	json_t *w;
	size_t i;
	int rc = 0;
	snprintf(where, sizeof where, "%s:%d:%d", fc->path, d->line, d->col);
	if (d->err) {   /* rejected alone; every problem, one a line */
		for (const char *p = d->err, *nl; *p; p = *nl ? nl + 1 : nl)
			note(res->errors, "%s: %.*s", where, (int)((nl = p + strcspn(p, "\n")) - p), p);
		res->rejected++;
		fc->problems++;
		goto done;
	}
	if (cat_put_prep(im->c, &d->prep, where, fc->key, &info, &err)) {
		note(res->errors, "%s: %s", where, err ? err : "out of memory");
		rc = -1;
		goto done;
	}
	if (info.outcome == CAT_PUT_CONFLICT || info.outcome == CAT_PUT_DUPLICATE) {
		conflict(fc, where, ref, info.outcome == CAT_PUT_CONFLICT ? info.owner : NULL,
		         info.owner ? info.owner : "?");
		goto done;
	}
	if (info.old_source && strchr(info.old_source, ':') &&
	    (file_part(info.old_source) != strlen(fc->path) ||
	     strncmp(info.old_source, fc->path, file_part(info.old_source))))
		note(res->warnings, "%s: %s had no owner (imported before from %s, or put); this file "
		     "owns it now", where, ref, info.old_source);
	json_array_foreach(d->warnings, i, w)
		note(res->warnings, "%s: %s", where, json_string_value(w));
	res->imported++;
	fc->entities++;
	res->created += info.outcome == CAT_PUT_CREATED;
	res->updated += info.outcome == CAT_PUT_UPDATED;
	res->unchanged += info.outcome == CAT_PUT_UNCHANGED;
	if (!im->bulk && (im->fresh || (res->created >= BULK_AFTER &&
	                                res->created >= im->rows / 4))) {
		im->bulk = true;
		if (cat_db_defer_indexes(im->c, &err)) {
			note(res->errors, "%s: %s", where, err);
			rc = -1;
			goto done;
		}
	}
	if (res->refs)
		json_array_append_new(res->refs, json_string(ref));
	if (strcmp(d->prep.kind, "location") == 0 && !res->no_follow) {
		if (im->depth >= MAX_LOCATION_DEPTH) {
			note(res->errors, "%s: Locations nested more than %d deep", where,
			     MAX_LOCATION_DEPTH);
			fc->problems++;
		} else {
			im->depth++;
			follow_location(fc, d->prep.entity, where);
			im->depth--;
		}
	}
done:
	free(err), free(info.old_source), free(info.owner);
	if (rc)
		im->fatal = true;
	return rc || im->fatal;
}

/* Whether NAME is a file a directory walk reads. */
static bool catalog_file(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

/* Read every catalog file under DIR (whose status is SB), in name order;
 * each real directory once. */
static int import_dir(struct importer *im, const char *dir, const struct stat *sb)
{
	char key[64];
	snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)sb->st_dev,
	         (unsigned long long)sb->st_ino);
	if (cat_set_get(&im->dirs, key) >= 0)
		return 0;   /* walked already: a link loop, or two ways here */
	cat_set_put(&im->dirs, key, 1);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0;
	if (n < 0) {
		note(im->res->errors, "%s: cannot read the directory: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path = name[0] == '.' ? NULL : pc_printf("%s/%s", dir, name);
		struct stat st;
		if (path && stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || catalog_file(name)))
			rc |= import_path(im, path, true, NULL);
		free(path);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* The fingerprint of file PATH's bytes; 0 when it cannot be read. */
static uint64_t file_hash(const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[1 << 16];
	size_t n;
	uint64_t h = cat_hash("", 0);
	if (!f)
		return 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		h = cat_hash_more(h, buf, n);
	fclose(f);
	return h;
}

/* Whether location KEY was imported whole, without a problem, from a file
 * with fingerprint HASH: *ENTITIES gets how many it held. */
static bool unchanged_file(struct cat_db *c, const char *key, uint64_t hash, long *entities)
{
	sqlite3_stmt *st;
	bool same = false;
	if (sqlite3_prepare_v2(c->db, "SELECT hash, entities FROM catalog_locations WHERE key = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == (sqlite3_int64)hash) {
		same = true;
		*entities = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return same;
}

/* Remember (or, with ENTITIES < 0, forget) that location KEY was read
 * whole without a problem from a file with fingerprint HASH. */
static void remember_file(struct importer *im, const char *key, uint64_t hash, long entities)
{
	sqlite3_stmt *st;
	const char *sql = entities >= 0
		? "INSERT OR REPLACE INTO catalog_locations (key, hash, entities, imported) VALUES"
		  " (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
		: "DELETE FROM catalog_locations WHERE key = ?1";
	if (sqlite3_prepare_v2(im->c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		im->fatal = true;
		return;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (entities >= 0) {
		sqlite3_bind_int64(st, 2, (sqlite3_int64)hash);
		sqlite3_bind_int64(st, 3, entities);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		im->fatal = true;
	sqlite3_finalize(st);
}

/* An unchanged file: its entities stay as they are; its Locations are
 * followed from what was stored (their targets may have changed). */
static void skip_file(struct file_ctx *fc, long entities)
{
	struct importer *im = fc->im;
	sqlite3_stmt *st;
	im->res->imported += entities;
	im->res->unchanged += entities;
	if (im->res->no_follow)
		return;
	if (sqlite3_prepare_v2(im->c->db, "SELECT d.json, d.source FROM catalog_documents d JOIN"
	                       " catalog_entities e ON e.id = d.id WHERE d.location = ?1 AND"
	                       " e.kind = 'location' ORDER BY d.source", -1, &st, NULL) != SQLITE_OK) {
		im->fatal = true;
		return;
	}
	sqlite3_bind_text(st, 1, fc->key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *e = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		const char *src = (const char *)sqlite3_column_text(st, 1);
		if (im->depth < MAX_LOCATION_DEPTH && e) {
			im->depth++;
			follow_location(fc, e, src ? src : fc->path);
			im->depth--;
		}
		json_decref(e);
	}
	sqlite3_finalize(st);
}

/* Import file PATH (real path REAL) as the location it is. */
static int import_file(struct importer *im, const char *path, const char *real, bool from_dir)
{
	char *key = pc_printf("file:%s", real), *err = NULL;
	struct file_ctx fc = { im, path, key, 0, 0 };
	long entities = 0;
	if (!key)
		return -1;
	im->res->files++;
	uint64_t hash = file_hash(real);
	if (hash && unchanged_file(im->c, key, hash, &entities)) {
		skip_file(&fc, entities);
		free(key);
		return 0;
	}
	struct cat_read rd = { .ctx = im->res->ctx, .name = path, .root = im->root,
	                       .from_dir = from_dir };
	int rc = cat_read_entities(&rd, import_entity, &fc, &err);
	if (rc < 0) {
		note(im->res->errors, "%s", err ? err : "out of memory");
		fc.problems++;
	} else if (rc > 0) {
		note(im->res->warnings, "%s: skipped: not a catalog file (its first document has no "
		     "apiVersion or kind)", path);
	}
	/* an unchanged file is skipped next time only if it was read whole,
	 * without a problem, and holds no placeholder (what it reads may change) */
	if (rc == 0)
		remember_file(im, key, hash, fc.problems || rd.placeholders || !hash ? -1 : fc.entities);
	free(err), free(key);
	return fc.problems ? -1 : 0;
}

/* Import PATH (reached from VIA, a Location's place, or NULL): a
 * directory, or a file read once per import; never outside the root. */
static int import_path(struct importer *im, const char *path, bool from_dir, const char *via)
{
	struct stat sb;
	char real[PATH_MAX];
	if (stat(path, &sb) != 0 || !realpath(path, real)) {
		note(im->res->errors, "%s%s%s: %s", via ? via : "", via ? ": " : "", path,
		     strerror(errno));
		return -1;
	}
	if (!cat_path_inside(real, im->root)) {
		if (from_dir) {   /* a symbolic link in a directory walk */
			note(im->res->warnings, "%s: skipped: it leads to %s, outside %s", path, real,
			     im->root);
			return 0;
		}
		note(im->res->errors, "%s%s%s: it is %s, outside %s, the directory imported; not read",
		     via ? via : "", via ? ": " : "", path, real, im->root);
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return import_dir(im, path, &sb);
	if (cat_set_get(&im->files, real) >= 0)
		return 0;
	cat_set_put(&im->files, real, 1);
	return import_file(im, path, real, from_dir);
}

void cat_import_init(struct cat_import *res, bool dry_run)
{
	memset(res, 0, sizeof *res);
	res->dry_run = dry_run;
	res->warnings = json_array();
	res->errors = json_array();
	res->conflicts = json_array();
}

void cat_import_free(struct cat_import *res)
{
	json_decref(res->warnings);
	json_decref(res->errors);
	json_decref(res->conflicts);
	json_decref(res->refs);
}

json_t *cat_import_json(const struct cat_import *res)
{
	return json_pack("{sI sI sI sI sI sI sI sO sO sO sb sb sb}",
	                 "imported", (json_int_t)res->imported, "created", (json_int_t)res->created,
	                 "updated", (json_int_t)res->updated, "unchanged", (json_int_t)res->unchanged,
	                 "rejected", (json_int_t)res->rejected,
	                 "conflicted", (json_int_t)res->conflicted, "files", (json_int_t)res->files,
	                 "conflicts", res->conflicts, "warnings", res->warnings, "errors", res->errors,
	                 "dry_run", res->dry_run, "atomic", res->atomic, "written", res->written);
}

/* The root of PATH given to an import: the directory itself, or the
 * file's directory, as a real path (malloc()ed); NULL if it does not exist. */
static char *root_of(const char *path)
{
	char real[PATH_MAX];
	struct stat sb;
	if (!realpath(path, real) || stat(real, &sb) != 0)
		return NULL;
	if (!S_ISDIR(sb.st_mode)) {
		char *slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
	}
	return strdup(real);
}

/* The largest entity id (0 for an empty catalog, -1 on error). */
static sqlite3_int64 max_id(struct cat_db *c)
{
	sqlite3_stmt *st;
	sqlite3_int64 id = -1;
	if (sqlite3_prepare_v2(c->db, "SELECT max(id) FROM catalog_entities", -1, &st,
	                       NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return id;
}

/* The bytes of the regular files among PATHS (directories count 0). */
static long input_bytes(json_t *paths)
{
	struct stat sb;
	long n = 0;
	size_t i;
	json_t *p;
	json_array_foreach(paths, i, p)
		if (json_string_value(p) && stat(json_string_value(p), &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			n += (long)sb.st_size;
	return n;
}

int cat_import_paths(struct cat_db *c, json_t *paths, struct cat_import *res)
{
	struct importer im = { .c = c, .res = res };
	char *err = NULL;
	size_t i;
	json_t *p;
	if (!json_is_array(paths) || json_array_size(paths) == 0) {
		note(res->errors, "give at least one file or directory to import");
		return -1;
	}
	/* A big import touches every index page: give it a page cache that
	 * holds them (allocated only as used), back to the default after. */
	sqlite3_exec(c->db, "PRAGMA cache_size=-" CAT_IMPORT_CACHE_KB, NULL, NULL, NULL);
	bool direct = !res->dry_run && max_id(c) == 0 && input_bytes(paths) >= FRESH_BYTES &&
	              cat_db_journal_direct(c);
	if (cat_db_begin(c, &err)) {
		note(res->errors, "%s", err);
		free(err);
		sqlite3_exec(c->db, "PRAGMA cache_size=-" CAT_CACHE_KB, NULL, NULL, NULL);
		if (direct)
			cat_db_journal_wal(c);
		return -1;
	}
	im.rows = max_id(c);   /* again: another import may have come first */
	im.fresh = direct && im.rows == 0;
	if (im.rows == 0)
		cat_db_fresh(c);   /* no look-up per new entity */
	json_array_foreach(paths, i, p) {
		const char *path = json_string_value(p);
		char *root = path ? root_of(path) : NULL;
		if (!path)
			note(res->errors, "paths[%zu] must be a string", i);
		else if (!root)
			note(res->errors, "%s: %s", path, strerror(errno));
		else {
			im.root = root;
			import_path(&im, path, false, NULL);
		}
		free(root);
		if (im.fatal)
			break;
	}
	bool failed = json_array_size(res->errors) > 0;
	if (im.fatal || res->dry_run || (failed && res->atomic)) {
		cat_db_rollback(c);
	} else if (cat_db_commit(c, &err)) {   /* rebuilds indexes a bulk import dropped */
		note(res->errors, "%s", err);
		failed = true;
	} else {
		res->written = true;
	}
	if (!res->written && !res->dry_run) {
		res->imported = res->created = res->updated = res->unchanged = 0;
		json_array_clear(res->refs);
	}
	sqlite3_exec(c->db, "PRAGMA cache_size=-" CAT_CACHE_KB, NULL, NULL, NULL);
	if (direct)
		cat_db_journal_wal(c);
	sqlite3_db_release_memory(c->db);
	free(err);
	cat_set_free(&im.files);
	cat_set_free(&im.dirs);
	cat_idset_free(&im.placed);
	return failed || im.fatal ? -1 : 0;
}
