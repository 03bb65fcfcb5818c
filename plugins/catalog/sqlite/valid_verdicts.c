/*
 * valid_verdicts.c -- paved's verdict on every entity of some catalog
 * files, one line each, for test_backstage_verdicts.sh to compare with
 * the verdicts of Backstage's own library (backstage-verdicts.mjs).
 *
 *   valid_verdicts [-s] [-t] [-k KIND]... FILE...
 *   valid_verdicts -p [-k KIND]...
 *
 * Each YAML (or JSON) document is an entity, a list of them or
 * {"items": [...]}; null documents are skipped.  -s skips a file whose
 * first document has neither apiVersion nor kind, as a directory import
 * does (an OpenAPI document beside the entities).  -k registers KIND (any
 * apiVersion, no spec rules: backstage-verdicts.mjs --kind does the same);
 * -t registers the scaffolder's Template kind with its rules.
 * -p prints the cases ported from Backstage's unit tests instead
 * (validate_cases.h), WHERE being "ported-entity:I:0" or "ported-format:I:0".
 * Output, tab-separated:
 *
 *   accept|reject  FILE:LINE:COL  ENTITY-AS-COMPACT-JSON  PROBLEMS
 *
 * PROBLEMS are paved's messages joined by " | " (empty when accepted).
 * Exit 0, or 1 when a file cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "host.h"          /* the host's YAML reader (host/libpaved.la) */
#include "validate.h"
#include "validate_cases.h"

PAVED_PLUGIN_INIT1;

/* The host's YAML reader, lent as a host lends it to a plugin. */
static int read_yaml(paved_ctx *ctx, const char *path, const struct paved_yaml_opts *opts,
                     json_t **out, char **errmsg)
{
	(void)ctx;
	return pv_yaml_read(path, opts, out, errmsg);
}

static const struct paved_api api = {
	.abi = PAVED_ABI_VERSION, .size = sizeof api, .read_yaml = read_yaml,
};

struct run {
	const char *file;
	bool        skip_foreign, first;
};

/* Print the verdict on entity E found at LINE:COL. */
static void verdict(struct run *r, json_t *e, int line, int col)
{
	struct cat_strv problems = { 0 };
	int rc = cat_valid_entity(e, &problems);
	char *text = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
	printf("%s\t%s:%d:%d\t%s\t", rc == 0 ? "accept" : "reject", r->file, line, col,
	       text ? text : "null");
	for (size_t i = 0; i < problems.len; i++)
		printf("%s%s", i ? " | " : "", problems.v[i]);
	if (rc < 0)
		printf("out of memory");
	putchar('\n');
	free(text);
	cat_strv_free(&problems);
}

static int on_doc(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	struct run *r = ud;
	int line = where->line, col = where->column;
	(void)errmsg;
	if (json_is_null(doc))
		return 0;
	json_t *probe, *list = cat_doc_list(doc, &probe);
	if (r->first && r->skip_foreign && !cat_entity_shaped(probe))
		return 1;
	r->first = false;
	if (!list) {
		verdict(r, doc, line, col);
		return 0;
	}
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
		verdict(r, e, line, col);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, rc = 0;
	bool skip = false, ported = false;
	PAVED_PLUGIN_INIT2(&api);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s"))
			skip = true;
		else if (!strcmp(argv[i], "-p"))
			ported = true;
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			cat_valid_kind_add(argv[++i], NULL, NULL, NULL);
		else if (!strcmp(argv[i], "-t"))
			cat_valid_template_register();
		else
			break;
	}
	if (ported) {
		struct run r = { "ported-entity", false, true };
		for (size_t k = 0; k < VC_NENTITY; k++) {
			json_t *e = vc_entity(k);
			verdict(&r, e, (int)k, 0);
			json_decref(e);
		}
		r.file = "ported-format";
		for (size_t k = 0; k < VC_NFORMAT; k++) {
			json_t *e = vc_format_entity(k);
			verdict(&r, e, (int)k, 0);
			json_decref(e);
		}
		return 0;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: valid_verdicts [-s] [-k KIND]... FILE...\n"
		        "       valid_verdicts -p [-k KIND]...\n");
		return 2;
	}
	for (; i < argc; i++) {
		struct run r = { argv[i], skip, true };
		char *err = NULL;
		struct paved_yaml_opts o = { .size = sizeof o, .max_depth = CAT_YAML_MAX_DEPTH,
		                             .flags = PAVED_YAML_JS_NUMBERS,
		                             .each = on_doc, .ud = &r };
		json_t *none = NULL;
		int prc = paved->read_yaml(NULL, argv[i], &o, &none, &err);
		json_decref(none);
		if (prc != PAVED_OK) {
			fprintf(stderr, "valid_verdicts: %s\n", err ? err : "out of memory");
			rc = 1;
		}
		free(err);
	}
	return rc;
}
