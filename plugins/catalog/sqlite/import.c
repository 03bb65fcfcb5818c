/*
 * import.c -- loading entities from files, directories and Location
 * entities, all in one transaction; and exporting them again.
 *
 * Rules (documented in README.md):
 *   - PATH may be a file (YAML, multi-document, or JSON: one entity, a list
 *     of entities, or {"items": [...]}) or a directory, read recursively
 *     (*.yaml, *.yml, *.json; hidden entries skipped).  In a directory, a
 *     file whose first document has neither apiVersion nor kind (an OpenAPI
 *     spec, say) is skipped with a warning.
 *   - A Location's targets resolve relative to the file holding it, as in
 *     Backstage; they are followed recursively; each file is read once.
 *     With no_follow (restoring an export) Locations are stored, not read.
 *   - Any error anywhere rolls the whole import back: nothing is written.
 *   - The same entity twice in one import is an error naming both places;
 *     an entity imported earlier from another file is replaced, with a
 *     warning (last import wins).
 */
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"

#define MAX_LOCATION_DEPTH 32
/* An import turns to bulk mode (secondary indexes dropped, rebuilt before
 * the commit, or before it first replaces an entity) once it has created
 * this many entities and at least a quarter as many as the catalog held:
 * rebuilding costs a sort of the whole table, inserting row by row a
 * random b-tree walk per index. */
#define BULK_AFTER 2000

struct importer {
	struct cat_db     *c;
	struct cat_import *res;
	struct cat_set     files;     /* real paths already read */
	struct cat_set     refs;      /* ref -> index into sources */
	struct cat_strv    sources;   /* "file:line:col" of each ref */
	int                depth;     /* Location nesting */
	sqlite3_int64      rows;      /* entities (about) before the import */
	bool               bulk;      /* went bulk (indexes dropped once) */
};

/* Per-file state handed to the entity callback. */
struct file_ctx {
	struct importer *im;
	const char      *path;
	bool             failed;
};

static int import_path(struct importer *im, const char *path, bool from_dir);

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

/* Follow the targets of Location entity E found at WHERE in CTX's file. */
static int follow_location(struct file_ctx *ctx, json_t *e, const char *where)
{
	json_t *spec = json_object_get(e, "spec"), *targets = json_array(), *t;
	const char *type = json_string_value(json_object_get(spec, "type"));
	size_t i;
	int rc = 0;
	if (json_is_string(json_object_get(spec, "target")))
		json_array_append(targets, json_object_get(spec, "target"));
	json_array_extend(targets, json_object_get(spec, "targets"));
	char *dir = strdup(ctx->path), *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	json_array_foreach(targets, i, t) {
		const char *target = json_string_value(t);
		if (!target)
			continue;
		if ((type && strcmp(type, "file")) || strstr(target, "://")) {
			note(ctx->im->res->warnings, "%s: Location target '%s' not followed: only "
			     "file targets are read", where, target);
			continue;
		}
		char *path = target[0] == '/' || !slash ? strdup(target)
		                                        : pc_printf("%s/%s", dir, target);
		glob_t g;
		if (!path) {
			rc = -1;
			break;
		}
		if (strpbrk(target, "*?[") && glob(path, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++)
				rc |= import_path(ctx->im, g.gl_pathv[k], false);
			globfree(&g);
		} else if (access(path, R_OK) != 0) {
			note(ctx->im->res->errors, "%s: Location target '%s': %s (restoring an "
			     "export? use --no-follow)", where, target, strerror(errno));
			rc = -1;
		} else {
			rc |= import_path(ctx->im, path, false);
		}
		free(path);
	}
	free(dir);
	json_decref(targets);
	return rc;
}

/* Import one entity document D of CTX's file (the entity_fn of
 * cat_read_entities).  Non-zero stops reading the file. */
static int import_entity(struct cat_doc *d, void *ud)
{
	struct file_ctx *ctx = ud;
	struct importer *im = ctx->im;
	char *where = pc_printf("%s:%d:%d", ctx->path, d->line, d->col), *err = NULL;
	const char *ref = d->prep.ref;
	json_t *w;
	size_t i;
	bool created = false;
	int rc = -1;
	if (!where)
		goto done;
	if (d->err) {   /* validation gives every problem, one a line */
		for (const char *p = d->err, *nl; *p; p = *nl ? nl + 1 : nl)
			note(im->res->errors, "%s: %.*s", where,
			     (int)((nl = p + strcspn(p, "\n")) - p), p);
		goto done;
	}
	int prev = cat_set_get(&im->refs, ref);
	if (prev >= 0) {
		note(im->res->errors, "%s: %s is already defined at %s; an entity may come "
		     "from one place only", where, ref, im->sources.v[prev]);
		goto done;
	}
	char *old = NULL;
	if (cat_put_prep(im->c, &d->prep, where, &old, &created, &err)) {
		note(im->res->errors, "%s: %s", where, err ? err : "out of memory");
		free(old);
		goto done;
	}
	if (old && strchr(old, ':') && (file_part(old) != strlen(ctx->path) ||
	                                strncmp(old, ctx->path, file_part(old))))
		note(im->res->warnings, "%s: %s replaces the entity imported from %s", where, ref, old);
	free(old);
	if (cat_set_put(&im->refs, ref, (int)im->sources.len) || cat_strv_push(&im->sources, where))
		goto done;
	json_array_foreach(d->warnings, i, w)
		note(im->res->warnings, "%s: %s", where, json_string_value(w));
	im->res->imported++;
	im->res->created += created;
	if (!im->bulk && im->res->created >= BULK_AFTER && im->res->created >= im->rows / 4) {
		im->bulk = true;
		if (cat_db_defer_indexes(im->c, &err)) {
			note(im->res->errors, "%s: %s", where, err);
			goto done;
		}
	}
	json_array_append_new(im->res->refs, json_string(ref));
	rc = 0;
	if (strcmp(d->prep.kind, "location") == 0 && !im->res->no_follow) {
		if (im->depth >= MAX_LOCATION_DEPTH) {
			note(im->res->errors, "%s: Locations nested more than %d deep", where,
			     MAX_LOCATION_DEPTH);
			rc = -1;
		} else {
			im->depth++;
			rc = follow_location(ctx, d->prep.entity, where);
			im->depth--;
		}
	}
done:
	free(where), free(err);
	if (rc)
		ctx->failed = true;
	return rc;
}

/* Whether NAME is a file a directory walk reads. */
static bool catalog_file(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

/* Read every catalog file under DIR, in name order. */
static int import_dir(struct importer *im, const char *dir)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0;
	if (n < 0) {
		note(im->res->errors, "%s: cannot read the directory: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path = name[0] == '.' ? NULL : pc_printf("%s/%s", dir, name);
		struct stat sb;
		if (path && stat(path, &sb) == 0 && (S_ISDIR(sb.st_mode) || catalog_file(name)))
			rc |= import_path(im, path, true);
		free(path);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* Import PATH: a directory, or a file read once per import. */
static int import_path(struct importer *im, const char *path, bool from_dir)
{
	struct stat sb;
	char real[PATH_MAX];
	if (stat(path, &sb) != 0) {
		note(im->res->errors, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return import_dir(im, path);
	if (!realpath(path, real) || cat_set_get(&im->files, real) >= 0)
		return 0;
	cat_set_put(&im->files, real, 1);
	im->res->files++;
	struct file_ctx ctx = { im, path, false };
	char *err = NULL;
	int rc = cat_read_entities(path, from_dir, import_entity, &ctx, &err);
	if (rc < 0)
		note(im->res->errors, "%s", err ? err : "out of memory");
	else if (rc > 0)
		note(im->res->warnings, "%s: skipped: not a catalog file (its first "
		     "document has no apiVersion or kind)", path);
	free(err);
	return rc < 0 || ctx.failed ? -1 : 0;
}

void cat_import_init(struct cat_import *res, bool dry_run)
{
	memset(res, 0, sizeof *res);
	res->dry_run = dry_run;
	res->warnings = json_array();
	res->errors = json_array();
	res->refs = json_array();
}

void cat_import_free(struct cat_import *res)
{
	json_decref(res->warnings);
	json_decref(res->errors);
	json_decref(res->refs);
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
	if (cat_db_begin(c, &err)) {
		note(res->errors, "%s", err);
		free(err);
		sqlite3_exec(c->db, "PRAGMA cache_size=-" CAT_CACHE_KB, NULL, NULL, NULL);
		return -1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, "SELECT max(id) FROM catalog_entities", -1, &st,
	                       NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			im.rows = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	json_array_foreach(paths, i, p) {
		if (!json_is_string(p))
			note(res->errors, "paths[%zu] must be a string", i);
		else
			import_path(&im, json_string_value(p), false);
	}
	int rc = 0;   /* the commit rebuilds indexes a bulk import dropped */
	if (json_array_size(res->errors) || res->dry_run) {
		cat_db_rollback(c);
		rc = json_array_size(res->errors) ? -1 : 0;
	} else if (cat_db_commit(c, &err)) {
		note(res->errors, "%s", err);
		rc = -1;
	}
	if (rc) {
		res->imported = res->created = 0;
		json_array_clear(res->refs);
	}
	sqlite3_exec(c->db, "PRAGMA cache_size=-" CAT_CACHE_KB, NULL, NULL, NULL);
	sqlite3_db_release_memory(c->db);
	free(err);
	cat_set_free(&im.files);
	cat_set_free(&im.refs);
	cat_strv_free(&im.sources);
	return rc;
}

json_t *cat_export(struct cat_db *c, char **errmsg)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, "SELECT d.json FROM catalog_entities e JOIN catalog_documents"
	                       " d ON d.id = e.id ORDER BY e.ref", -1, &st, NULL) != SQLITE_OK) {
		cat_err(errmsg, "state database: %s", sqlite3_errmsg(c->db));
		return NULL;
	}
	json_t *out = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL));
	sqlite3_finalize(st);
	return out;
}
