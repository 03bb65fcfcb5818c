/*
 * fuzz_catalog.c -- libFuzzer target: catalog import
 * (plugins/catalog/sqlite).
 *
 * Input: a catalog file.  Its YAML documents, each an entity, a list of
 * them or {"items": [...]}, are validated, prepared and stored as
 * `paved catalog import FILE` does, in an in-memory database and a
 * transaction rolled back after each input.
 *
 * Written against the plugin's entry points on main when it was made
 * (catalog.h): cat_yaml_parse_string (the plugin's own YAML reader),
 * cat_entity_validate, cat_prep_init, cat_put_prep, cat_get.  When the
 * plugin reads YAML through the host (api->read_yaml), parse() changes.
 *
 * Beyond the sanitizers: an entity that was stored reads back (cat_get)
 * as what was stored.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <paved/plugin.h>

#include "catalog.h"
#include "fuzz_util.h"

/* The host's function table libpc (pc_call) refers to; the catalog core
 * does not call the host on main.  A plugin sets it in init. */
PAVED_PLUGIN_INIT1;

static struct cat_db g_db;
static bool g_readback;   /* check that stored entities read back */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char *err = NULL;
	if (cat_db_open(&g_db, ":memory:", &err))
		fz_fail("cat_db_open: %s", err ? err : "?");
	return 0;
}

/* An entity stored reads back as itself ("relations" are the catalog's). */
static void check_stored(json_t *e, const char *ref)
{
	json_t *back = cat_get(&g_db, ref), *mine = json_copy(e);
	if (!back)
		fz_fail("entity %s was stored but does not read back", ref);
	json_object_del(back, "relations");
	json_object_del(mine, "relations");
	if (!json_equal(back, mine)) {
		char *a = json_dumps(mine, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
		fz_fail("entity %s reads back changed:\nstored:  %.600s\nread:    %.600s", ref, a,
		        b);
	}
	json_decref(back);
	json_decref(mine);
}

/* One entity: validate, prepare, store, read back. */
static void import_entity(json_t *e, int line, int col)
{
	json_t *warnings = json_array();
	char *err = NULL, source[64];
	struct cat_prep p;
	snprintf(source, sizeof source, "fuzz.yaml:%d:%d", line, col);
	if (cat_entity_validate(e, warnings, &err) == 0 && cat_prep_init(&p, e, &err) == 0) {
		bool created;
		if (cat_put_prep(&g_db, &p, source, NULL, &created, &err) == 0 && g_readback)
			check_stored(e, p.ref);
		cat_prep_free(&p);
	}
	free(err);
	json_decref(warnings);
}

/* cat_doc_fn: a document is an entity, a list of them or {"items": [...]}
 * (as reader.c reads a file). */
static int on_doc(json_t *doc, int line, int col, void *ud, char **errmsg)
{
	(void)ud, (void)errmsg;
	json_t *list = json_is_array(doc) ? doc : NULL, *e;
	size_t i;
	if (!list && json_is_object(doc) && !json_object_get(doc, "kind") &&
	    json_is_array(json_object_get(doc, "items")))
		list = json_object_get(doc, "items");
	if (!list && !json_is_null(doc))
		import_entity(doc, line, col);
	json_array_foreach(list, i, e)
		import_entity(e, line, col);
	return 0;
}

/* The file's documents, one at a time, to on_doc. */
static int parse(const uint8_t *data, size_t size, char **err)
{
	return cat_yaml_parse_string("fuzz.yaml", (const char *)data, size, on_doc, NULL, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	/* known-bugs catalog-nul: an entity with a NUL is stored, not read back */
	g_readback = !(fz_known("catalog-nul") && fz_nul_escape(data, size));
	if (cat_db_begin(&g_db, &err))
		fz_fail("cat_db_begin: %s", err ? err : "?");
	if (parse(data, size, &err) != 0 && (!err || strncmp(err, "fuzz.yaml:", 10) != 0))
		fz_fail("a file that does not parse gives no 'FILE:LINE:COL: ...': '%s'",
		        err ? err : "");
	free(err);
	cat_db_rollback(&g_db);
	return 0;
}
