/*
 * cli.c -- `paved catalog SUBCOMMAND`: the subcommand table, parsing with
 * the host's parser, help, and the helpers the subcommands share.
 *
 * The host hands over {"argv": [...after 'catalog'], "json": bool}.  The
 * first word names the subcommand; the rest is parsed against its flags
 * (paved->cli_parse) before the state database is opened, so --help and
 * every usage error change nothing.  A usage error returns PAVED_ERR with
 * {"exit": 2}: the host prints "paved catalog: SUB: MESSAGE" and how to get
 * help.  Other failures return {"exit": 1} with the message likewise.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct paved_flag no_flags[] = { { 0 } };
static const struct paved_flag import_flags[] = {
	{ "dry-run", 0, PAVED_FLAG_BOOL, NULL, "check everything, write nothing" },
	{ "no-follow", 0, PAVED_FLAG_BOOL, NULL, "store Locations without reading their targets" },
	{ "atomic", 0, PAVED_FLAG_BOOL, NULL, "all or nothing: one bad entity imports nothing" },
	{ 0 }
};
static const struct paved_flag validate_flags[] = {
	{ "no-follow", 0, PAVED_FLAG_BOOL, NULL, "do not read the targets of Locations" },
	{ 0 }
};
static const struct paved_flag export_flags[] = {
	{ "format", 0, PAVED_FLAG_STRING, "yaml|json", "output format (default yaml; --json: json)" },
	{ 0 }
};
static const struct paved_flag show_flags[] = {
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "live state in ENV only (default: every env)" },
	{ 0 }
};
static const struct paved_flag list_flags[] = {
	{ "kind", 0, PAVED_FLAG_STRING, "KIND", "Component, API, System, Resource, ..." },
	{ "owner", 0, PAVED_FLAG_STRING, "OWNER", "owned by OWNER (a name or a ref)" },
	{ "lifecycle", 0, PAVED_FLAG_STRING, "L", "experimental, production, ..." },
	{ "tag", 0, PAVED_FLAG_STRING, "TAG", "carrying TAG" },
	{ "system", 0, PAVED_FLAG_STRING, "SYSTEM", "part of SYSTEM" },
	{ "limit", 0, PAVED_FLAG_INT, "N", "at most N entities" },
	{ "health", 0, PAVED_FLAG_BOOL, NULL, "the fleet view: each service's live health" },
	{ "env", 'e', PAVED_FLAG_STRING, "ENV", "with --health: only ENV" },
	{ 0 }
};
static const struct paved_flag deps_flags[] = {
	{ "transitive", 't', PAVED_FLAG_BOOL, NULL, "follow dependencies of dependencies" },
	{ "depth", 0, PAVED_FLAG_INT, "N", "stop after N levels (N > 1 implies --transitive)" },
	{ 0 }
};
static const struct paved_flag graph_flags[] = {
	{ "format", 0, PAVED_FLAG_STRING, "dot|mermaid", "output language (default dot)" },
	{ "depth", 0, PAVED_FLAG_INT, "N", "neighbourhood depth around NAME (default: all)" },
	{ 0 }
};
static const struct paved_flag search_flags[] = {
	{ "limit", 0, PAVED_FLAG_INT, "N", "at most N results (default 50)" },
	{ 0 }
};
static const struct paved_flag cost_flags[] = {
	{ "by", 0, PAVED_FLAG_STRING, "owner|system", "sum the own costs per owner or system" },
	{ 0 }
};

/* The subcommands, in the order the overview lists them. */
static const struct sub {
	const char              *name;
	const struct paved_flag *flags;
	int                    (*run)(struct cli *cl);
} subs[] = {
	{ "import", import_flags, cli_import },
	{ "validate", validate_flags, cli_validate },
	{ "export", export_flags, cli_export },
	{ "show", show_flags, cli_show },
	{ "list", list_flags, cli_list },
	{ "deps", deps_flags, cli_deps },
	{ "rdeps", deps_flags, cli_rdeps },
	{ "graph", graph_flags, cli_graph },
	{ "search", search_flags, cli_search },
	{ "cost", cost_flags, cli_cost },
	{ "owners", no_flags, cli_owners },
	{ "check", no_flags, cli_check },
	{ "delete", no_flags, cli_delete },
};
#define NSUBS (sizeof subs / sizeof subs[0])

int cli_usage(struct cli *cl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = pc_vprintf(fmt, ap);
	va_end(ap);
	free(cl->msg);
	cl->msg = pc_printf("%s%s%s", cl->name ? cl->name : "", cl->name ? ": " : "",
	                    m ? m : "usage error");
	free(m);
	return CLI_EXIT_USAGE;
}

int cli_fail(struct cli *cl, char *err)
{
	free(cl->msg);
	cl->msg = pc_printf("%s: %s", cl->name, err ? err : "out of memory");
	free(err);
	return 1;
}

void cli_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(j);
}

const char *cli_str(const struct cli *cl, const char *name)
{
	return json_string_value(json_object_get(cl->flags, name));
}

bool cli_bool(const struct cli *cl, const char *name)
{
	return json_is_true(json_object_get(cl->flags, name));
}

long cli_count(const struct cli *cl, const char *name, long def)
{
	json_t *v = json_object_get(cl->flags, name);
	if (!v)
		return def;
	json_int_t n = json_integer_value(v);
	return n < 0 ? -1 : n > 1000000000 ? 1000000000 : (long)n;
}

const char *cli_arg(const struct cli *cl, size_t i)
{
	return json_string_value(json_array_get(cl->args, i));
}

size_t cli_nargs(const struct cli *cl)
{
	return json_array_size(cl->args);
}

char *cli_need_ref(struct cli *cl, int *code)
{
	char *ref = NULL, *err = NULL;
	if (cli_nargs(cl) != 1) {
		*code = cli_usage(cl, "%s", cli_nargs(cl) ? "give exactly one NAME"
		                                          : "a NAME is required");
		return NULL;
	}
	if (cat_resolve(cl->c, cli_arg(cl, 0), &ref, &err))
		*code = cli_fail(cl, err);
	else
		free(err);
	return ref;
}

/* The names of the subcommands, "a, b or c" (static buffer). */
static const char *sub_names(void)
{
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; i < NSUBS; i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? (i + 1 < NSUBS ? ", " : " or ") : "",
		         subs[i].name);
	}
	return buf;
}

/* Print the help page of S (NULL: the overview) to stdout. */
static void print_help(paved_ctx *ctx, const struct sub *s)
{
	const char *text = NULL, *after = NULL;
	cli_page(s ? s->name : NULL, &text, &after);
	fputs(text, stdout);
	fputs("\nOptions:\n", stdout);
	paved->cli_help(ctx, stdout, s ? s->flags : no_flags);
	fputs("  --json                  machine-readable output (a global option: see "
	      "'paved --help')\n", stdout);
	if (after)
		printf("\n%s", after);
}

/* Hand the outcome of a run to the host: {"exit": CODE}, with the message
 * as the error when there is one. */
static int finish(struct cli *cl, int code, json_t **result, char **errmsg)
{
	fflush(stdout);
	*result = json_pack("{si}", "exit", code);
	int rc = PAVED_OK;
	if (cl->msg && code != 0)
		rc = paved->error(errmsg, "%s", cl->msg);
	free(cl->msg);
	return rc;
}

int cat_cli(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *argv = json_object_get(args, "argv"), *words = NULL, *parsed = NULL;
	struct cli cl = { .ctx = ctx, .json = json_is_true(json_object_get(args, "json")) };
	const char *first = json_string_value(json_array_get(argv, 0));
	const struct sub *s = NULL;
	char *err = NULL;
	int code = 0;
	for (size_t i = 0; first && i < NSUBS && !s; i++)
		if (!strcmp(subs[i].name, first))
			s = &subs[i];
	if (first && !s && strcmp(first, "help") && first[0] != '-') {
		code = cli_usage(&cl, "unknown subcommand '%s' (use %s)", first, sub_names());
		goto out;
	}
	if (first && !strcmp(first, "help")) {   /* paved catalog help [SUB] */
		const char *topic = json_string_value(json_array_get(argv, 1));
		for (size_t i = 0; topic && i < NSUBS && !s; i++)
			if (!strcmp(subs[i].name, topic))
				s = &subs[i];
		print_help(ctx, s);
		goto out;
	}
	/* the words after the subcommand (all of them without one) */
	words = json_array();
	for (size_t i = s ? 1 : 0; i < json_array_size(argv); i++)
		json_array_append(words, json_array_get(argv, i));
	cl.name = s ? s->name : NULL;
	if (paved->cli_parse(ctx, words, s ? s->flags : no_flags, &parsed, &err) != PAVED_OK) {
		code = cli_usage(&cl, "%s", err ? err : "bad arguments");
		goto out;
	}
	if (json_is_true(json_object_get(parsed, "help"))) {
		print_help(ctx, s);
		goto out;
	}
	if (!s) {
		code = cli_usage(&cl, "a subcommand is required (use %s)", sub_names());
		goto out;
	}
	cl.flags = json_object_get(parsed, "flags");
	cl.args = json_object_get(parsed, "args");
	if (!(cl.c = cat_plugin_db(ctx, &err))) {
		code = cli_fail(&cl, err ? strdup(err) : NULL);
		goto out;
	}
	code = s->run(&cl);
out:
	free(err);
	json_decref(words), json_decref(parsed);
	return finish(&cl, code, result, errmsg);
}
