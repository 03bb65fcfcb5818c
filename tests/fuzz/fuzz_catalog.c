/*
 * fuzz_catalog.c -- libFuzzer target: catalog import
 * (plugins/catalog/sqlite).
 *
 * Input: a catalog file.  Its YAML documents, each an entity, a list of
 * them or {"items": [...]}, are validated, prepared and stored as
 * `paved catalog import FILE` does, in an in-memory database and a
 * transaction rolled back after each input.
 *
 * The YAML is read as the plugin's reader thread reads it (reader.c): by
 * the host's reader through api->read_yaml, streamed, with the plugin's
 * depth and number options.  Then its entry points on main (catalog.h):
 * cat_doc_list, cat_entity_validate, cat_prep_init, cat_put_prep, cat_get.
 * Placeholders ($text, $json, $yaml) are not substituted: they read files.
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
#include "host.h"

/* The host's function table, which the catalog core reaches for YAML; a
 * plugin gets it in init, here it is the host's own (pv_api). */
PAVED_PLUGIN_INIT1;

static struct cat_db g_db;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char *err = NULL;
	paved = &pv_api;
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
		struct cat_put_info info = { 0 };
		if (cat_put_prep(&g_db, &p, source, NULL, &info, &err) == 0)
			check_stored(e, p.ref);
		free(info.old_source), free(info.owner);
		cat_prep_free(&p);
	}
	free(err);
	json_decref(warnings);
}

/* paved_yaml_opts.each: a document is an entity, a list of them or
 * {"items": [...]} (cat_doc_list, as reader.c reads a file). */
static int on_doc(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	(void)ud, (void)errmsg;
	json_t *probe, *list = json_is_null(doc) ? NULL : cat_doc_list(doc, &probe), *e;
	size_t i;
	if (!list && !json_is_null(doc))
		import_entity(doc, where->line, where->column);
	json_array_foreach(list, i, e)
		import_entity(e, where->line, where->column);
	return 0;
}

/* The file's documents, one at a time, to on_doc (reader.c's options). */
static int parse(const uint8_t *data, size_t size, char **err)
{
	struct paved_yaml_opts o = { .size = sizeof o, .max_depth = CAT_YAML_MAX_DEPTH,
	                             .flags = PAVED_YAML_JS_NUMBERS, .each = on_doc,
	                             .text = (const char *)data, .text_len = size };
	json_t *none = NULL;
	if (size == 0)   /* text_len 0 would mean strlen(text) */
		return 0;
	int rc = paved->read_yaml(NULL, "fuzz.yaml", &o, &none, err);
	json_decref(none);
	return rc == PAVED_OK ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	if (cat_db_begin(&g_db, &err))
		fz_fail("cat_db_begin: %s", err ? err : "?");
	if (parse(data, size, &err) != 0 && (!err || strncmp(err, "fuzz.yaml:", 10) != 0))
		fz_fail("a file that does not parse gives no 'FILE:LINE:COL: ...': '%s'",
		        err ? err : "");
	free(err);
	cat_db_rollback(&g_db);
	return 0;
}
