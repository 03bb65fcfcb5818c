/*
 * cli_write.c -- the subcommands that load, dump and remove entities:
 * import, validate, export, delete.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* import and validate (DRY: nothing is written). */
static int run_import(struct cli *cl, bool dry)
{
	struct cat_import res;
	json_t *x;
	size_t i;
	if (cli_nargs(cl) == 0)
		return cli_usage(cl, "give at least one file or directory");
	cat_import_init(&res, dry);
	res.ctx = cl->ctx;
	res.no_follow = cli_bool(cl, "no-follow");
	res.atomic = cli_bool(cl, "atomic");
	int rc = cat_import_paths(cl->c, cl->args, &res);
	if (res.written && res.created + res.updated)
		cat_emit_imported(cl->ctx, &res);
	size_t nerr = json_array_size(res.errors);
	if (cl->json) {
		cli_print_json(cat_import_json(&res));
	} else {
		json_array_foreach(res.warnings, i, x)
			fprintf(stderr, "warning: %s\n", json_string_value(x));
		json_array_foreach(res.errors, i, x)
			fprintf(stderr, "error: %s\n", json_string_value(x));
		if (dry)
			printf("%s: %ld entities in %ld files%s", rc ? "invalid" : "valid",
			       res.imported, res.files, rc ? "" : "\n");
		else if (res.written || !rc)
			printf("imported %ld entities (%ld new, %ld unchanged) from %ld files",
			       res.imported, res.created, res.unchanged, res.files);
		if (rc && (dry || res.written))
			printf("; %ld rejected, %ld conflicting\n", res.rejected, res.conflicted);
		else if (!dry && (res.written || !rc))
			putchar('\n');
	}
	if (rc)
		cli_fail(cl, pc_printf("%zu error%s%s", nerr, nerr == 1 ? "" : "s", dry ? "" :
		                       res.written && res.imported ? "; the rest was imported"
		                                                   : "; nothing was imported"));
	cat_import_free(&res);
	return rc ? 1 : 0;
}

int cli_import(struct cli *cl)
{
	return run_import(cl, cli_bool(cl, "dry-run"));
}

int cli_validate(struct cli *cl)
{
	return run_import(cl, true);
}

/* What export's row printer needs. */
struct export_out {
	struct cli *cl;
	bool        yaml;
	size_t      n;
	char       *err;
};

/* cat_query_each callback of export: one entity as a YAML document, or as
 * an element of the JSON array (the stored compact text, one a line). */
static int export_row(const char *text, size_t len, void *ud)
{
	struct export_out *o = ud;
	if (!o->yaml) {
		fputs(o->n++ ? ",\n" : "[\n", stdout);
		fwrite(text, 1, len, stdout);
		return 0;
	}
	json_t *e = json_loadb(text, len, 0, NULL), *one = json_pack("[o]", e);
	int rc = one ? paved->write_yaml(o->cl->ctx, stdout, one, PAVED_YAML_ALL_DOCS, &o->err)
	             : -1;
	json_decref(one);
	o->n++;
	return rc;
}

/* export [--format yaml|json]: streamed, one entity at a time, so memory
 * stays bounded whatever the catalog's size. */
int cli_export(struct cli *cl)
{
	const char *fmt = cli_str(cl, "format");
	char *err = NULL;
	if (!fmt)
		fmt = cl->json ? "json" : "yaml";
	if (strcmp(fmt, "yaml") && strcmp(fmt, "json"))
		return cli_usage(cl, "unknown format '%s'; use yaml or json", fmt);
	if (cli_nargs(cl))
		return cli_usage(cl, "unexpected argument '%s'", cli_arg(cl, 0));
	struct export_out o = { .cl = cl, .yaml = !strcmp(fmt, "yaml") };
	if (cat_query_each(cl->c, NULL, export_row, &o, &err)) {
		if (err)
			free(o.err);
		return cli_fail(cl, err ? err : o.err);
	}
	if (!o.yaml)
		fputs(o.n ? "\n]\n" : "[]\n", stdout);
	return 0;
}

/* delete REF */
int cli_delete(struct cli *cl)
{
	int code = 0;
	char *ref = cli_need_ref(cl, &code), *err = NULL;
	if (!ref)
		return code;
	if (cat_delete(cl->c, ref, &err)) {
		free(ref);
		return cli_fail(cl, err);
	}
	cat_emit_deleted(cl->ctx, ref);
	if (cl->json)
		cli_print_json(json_pack("{ss}", "deleted", ref));
	else
		printf("deleted %s\n", ref);
	free(ref);
	return 0;
}
