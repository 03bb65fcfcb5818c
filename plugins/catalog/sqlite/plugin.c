/*
 * plugin.c -- the catalog plugin's descriptor and hooks.
 *
 * Each hook checks its arguments, calls the store/query code on the
 * host's connection to $PAVED_HOME/paved.db (paved->state_db; a connection
 * of its own under a host without it) and emits events after a successful
 * write.  Hook contracts are listed in README.md.
 */
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "validate.h"

PAVED_PLUGIN_INIT1;
static struct cat_db db;
static bool db_open;

struct cat_db *cat_plugin_db(paved_ctx *ctx, char **errmsg)
{
	if (db_open)
		return &db;
	char *path = NULL, *err = NULL;
	struct sqlite3 *shared = PAVED_API_HAS(paved, state_db) ? paved->state_db(ctx) : NULL;
	int rc;
	if (shared)
		rc = cat_db_attach(&db, shared, &err);
	else if ((path = pc_printf("%s/paved.db", paved->home(ctx))))
		rc = cat_db_open(&db, path, &err);
	else
		rc = cat_err(&err, "out of memory");
	free(path);
	if (rc) {
		paved->error(errmsg, "%s", err ? err : "cannot open the catalog");
		free(err);
		return NULL;
	}
	db_open = true;
	return &db;
}

/* Report a core error (malloc()ed ERR, freed here) through the host. */
static int fail(char **errmsg, char *err)
{
	paved->error(errmsg, "%s", err ? err : "out of memory");
	free(err);
	return PAVED_ERR;
}

/* Required string argument NAME of ARGS, or NULL with *errmsg set. */
static const char *arg_str(json_t *args, const char *name, char **errmsg)
{
	const char *v = json_string_value(json_object_get(args, name));
	if (!v || !*v)
		paved->error(errmsg, "argument '%s' (a non-empty string) is required", name);
	return v && *v ? v : NULL;
}

/* Resolve the "ref" argument to an existing canonical ref. */
static char *arg_ref(struct cat_db *c, json_t *args, char **errmsg)
{
	const char *text = arg_str(args, "ref", errmsg);
	char *ref = NULL, *err = NULL;
	if (text && cat_resolve(c, text, &ref, &err))
		fail(errmsg, err);
	return ref;
}

void cat_emit_imported(paved_ctx *ctx, const struct cat_import *res)
{
	json_t *f = json_pack("{sIsIsI}", "imported", (json_int_t)res->imported,
	                      "created", (json_int_t)res->created, "files", (json_int_t)res->files);
	paved->emit(ctx, "catalog.imported", f);
	json_decref(f);
}

void cat_emit_deleted(paved_ctx *ctx, const char *ref)
{
	json_t *f = json_pack("{ss}", "ref", ref);
	paved->emit(ctx, "catalog.entity.deleted", f);
	json_decref(f);
}

/* catalog.put {"entity", "source"?} -> {"ref", "created", "warnings"} */
static int hook_put(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	json_t *e = json_object_get(args, "entity");
	const char *source = json_string_value(json_object_get(args, "source"));
	char *ref = NULL, *err = NULL;
	bool created = false;
	if (!c)
		return PAVED_ERR;
	if (!json_is_object(e))
		return paved->error(errmsg, "argument 'entity' (a Backstage entity object) is "
		                      "required");
	json_t *warnings = json_array();
	if (cat_put(c, e, source ? source : "api", warnings, &ref, &created, &err)) {
		json_decref(warnings);
		return fail(errmsg, err);
	}
	*result = json_pack("{sssbso}", "ref", ref, "created", created, "warnings", warnings);
	json_t *f = json_pack("{s:s, s:s?, s:s?}", "ref", ref, "kind", cat_get_str(e, "kind"),
	                      "owner", cat_get_str(e, "spec.owner"));
	paved->emit(ctx, created ? "catalog.entity.registered" : "catalog.entity.updated", f);
	json_decref(f);
	free(ref);
	return PAVED_OK;
}

/* catalog.get {"ref"} -> the entity with "relations" */
static int hook_get(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	char *ref = c ? arg_ref(c, args, errmsg) : NULL;
	if (!ref)
		return PAVED_ERR;
	*result = cat_get(c, ref);
	free(ref);
	return *result ? PAVED_OK : paved->error(errmsg, "cannot read the entity");
}

/* catalog.delete {"ref"} -> {"deleted": ref} */
static int hook_delete(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	char *ref = c ? arg_ref(c, args, errmsg) : NULL, *err = NULL;
	if (!ref)
		return PAVED_ERR;
	if (cat_delete(c, ref, &err)) {
		free(ref);
		return fail(errmsg, err);
	}
	cat_emit_deleted(ctx, ref);
	*result = json_pack("{ss}", "deleted", ref);
	free(ref);
	return PAVED_OK;
}

/* catalog.import {"paths", "dry_run"?, "follow"? (default true), "atomic"?}
 * -> cat_import_json's object.  A rejected entity or a conflict fails the
 * call, with that object beside the error (what was imported all the same,
 * unless atomic). */
static int hook_import(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	struct cat_import res;
	if (!c)
		return PAVED_ERR;
	cat_import_init(&res, json_is_true(json_object_get(args, "dry_run")));
	res.ctx = ctx;
	res.no_follow = json_is_false(json_object_get(args, "follow"));
	res.atomic = json_is_true(json_object_get(args, "atomic"));
	int rc = cat_import_paths(c, json_object_get(args, "paths"), &res);
	if (res.written && res.created + res.updated)
		cat_emit_imported(ctx, &res);
	*result = cat_import_json(&res);
	if (rc) {
		size_t n = json_array_size(res.errors);
		paved->error(errmsg, "%s%s", json_string_value(json_array_get(res.errors, 0)),
		             !res.written || !res.imported
		                          ? (n > 1 ? " (and more errors; nothing was imported)"
		                                   : " (nothing was imported)")
		                          : (n > 1 ? " (and more errors; the rest was imported)"
		                                   : " (the rest was imported)"));
	}
	cat_import_free(&res);
	return rc ? PAVED_ERR : PAVED_OK;
}

/* Hooks that answer from the whole catalog: FN(catalog, args, &err) gives
 * the result, or NULL with err set. */
struct whole {
	json_t *(*fn)(struct cat_db *c, json_t *args, char **errmsg);
};

static int hook_whole(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const struct whole *w = data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	char *err = NULL;
	if (!c)
		return PAVED_ERR;
	*result = w->fn(c, args, &err);
	return *result ? PAVED_OK : fail(errmsg, err);
}

/* catalog.check {} -> {"dangling": [...], "cycles": [...], "stats": {...}} */
static json_t *check(struct cat_db *c, json_t *args, char **errmsg)
{
	(void)args;
	json_t *r = cat_check(c, errmsg);
	if (r)
		json_object_set_new(r, "stats", cat_stats(c));
	return r;
}

/* catalog.export {} -> [entities] */
static json_t *export(struct cat_db *c, json_t *args, char **errmsg)
{
	(void)args;
	return cat_export(c, errmsg);
}

/* catalog.owners {} -> [{"owner","title","email","oncall","exists","entities"}] */
static json_t *owners(struct cat_db *c, json_t *args, char **errmsg)
{
	(void)args;
	return cat_owners(c, errmsg);
}

/* catalog.cost {"by"?} -> see cat_cost() */
static json_t *cost(struct cat_db *c, json_t *args, char **errmsg)
{
	return cat_cost(c, json_string_value(json_object_get(args, "by")), errmsg);
}

/* catalog.query {"kind"?, "owner"?, "lifecycle"?, "tag"?, "system"?, "text"?,
 * "limit"?} -> [entities]: cat_query itself */
static const struct whole w_query = { cat_query }, w_check = { check },
                          w_export = { export }, w_owners = { owners }, w_cost = { cost };

/* catalog.relations {"ref"} -> [{"type","targetRef"}] */
static int hook_relations(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                          void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	char *ref = c ? arg_ref(c, args, errmsg) : NULL;
	if (!ref)
		return PAVED_ERR;
	*result = cat_relations_get(c, ref);
	free(ref);
	return PAVED_OK;
}

/* catalog.deps / catalog.rdeps {"ref", "transitive"?, "depth"?} */
static int hook_deps(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	bool reverse = data != NULL;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	char *ref = c ? arg_ref(c, args, errmsg) : NULL, *err = NULL;
	json_t *depth = json_object_get(args, "depth");
	if (!ref)
		return PAVED_ERR;
	if (depth && (!json_is_integer(depth) || json_integer_value(depth) < 0)) {
		free(ref);
		return paved->error(errmsg, "argument 'depth' must be a number >= 0");
	}
	*result = cat_deps(c, ref, reverse, json_is_true(json_object_get(args, "transitive")) ||
	                   json_integer_value(depth) > 1, (int)json_integer_value(depth), &err);
	free(ref);
	return *result ? PAVED_OK : fail(errmsg, err);
}

/* catalog.search {"text", "limit"?} -> [{"ref","title","description","owner","score"}] */
static int hook_search(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	const char *text = c ? arg_str(args, "text", errmsg) : NULL;
	char *err = NULL;
	if (!text)
		return PAVED_ERR;
	*result = cat_search(c, text, (int)json_integer_value(json_object_get(args, "limit")), &err);
	return *result ? PAVED_OK : fail(errmsg, err);
}

/* catalog.graph {"ref"?, "format"?, "depth"?} -> {"format","text"} */
static int hook_graph(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	char *ref = NULL, *err = NULL;
	const char *format = json_string_value(json_object_get(args, "format"));
	if (!c)
		return PAVED_ERR;
	if (json_object_get(args, "ref") && !(ref = arg_ref(c, args, errmsg)))
		return PAVED_ERR;
	char *text = cat_graph(c, ref, format, (int)json_integer_value(json_object_get(args, "depth")),
	                       &err);
	free(ref);
	if (!text)
		return fail(errmsg, err);
	*result = json_pack("{ssss}", "format", format ? format : "dot", "text", text);
	free(text);
	return PAVED_OK;
}

static const struct {
	const char *hook;
	paved_fn    fn;
	void       *data;
} hooks[] = {
	{ "catalog.put", hook_put, NULL },
	{ "catalog.get", hook_get, NULL },
	{ "catalog.delete", hook_delete, NULL },
	{ "catalog.import", hook_import, NULL },
	{ "catalog.query", hook_whole, (void *)&w_query },
	{ "catalog.relations", hook_relations, NULL },
	{ "catalog.deps", hook_deps, NULL },
	{ "catalog.rdeps", hook_deps, (void *)1 },
	{ "catalog.search", hook_search, NULL },
	{ "catalog.check", hook_whole, (void *)&w_check },
	{ "catalog.export", hook_whole, (void *)&w_export },
	{ "catalog.owners", hook_whole, (void *)&w_owners },
	{ "catalog.cost", hook_whole, (void *)&w_cost },
	{ "catalog.graph", hook_graph, NULL },
	{ "cli.catalog", cat_cli, NULL },
};

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	if (cat_valid_template_register())   /* the scaffolder's kind, as Backstage has it */
		return paved->error(errmsg, "out of memory");
	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
		int rc = !strcmp(hooks[i].hook, "cli.catalog") && PAVED_API_HAS(paved, provide_command)
		       ? paved->provide_command(ctx, "catalog", "the service catalog (Backstage model): "
		                                "import, ownership, dependencies, live health, search, cost",
		                                hooks[i].fn, hooks[i].data, NULL, errmsg)
		       : paved->provide(ctx, hooks[i].hook, hooks[i].fn, hooks[i].data, NULL, errmsg);
		if (rc) {
			cat_valid_kinds_reset();
			return PAVED_ERR;
		}
	}
	return PAVED_OK;
}

/* Close the database and drop the kinds init registered: they live in this
 * module's static data, which goes away when the host unloads it. */
static void fini(paved_ctx *ctx)
{
	(void)ctx;
	if (db_open)
		cat_db_close(&db);
	db_open = false;
	cat_valid_kinds_reset();
}

PAVED_PLUGIN_DECLARE(catalog, "1.0.0",
                     "service catalog (Backstage model) on the state database: "
                     "import, relations, dependency graph, search, cost",
                     init, fini, NULL);
