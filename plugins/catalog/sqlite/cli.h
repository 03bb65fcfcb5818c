/*
 * cli.h -- the `paved catalog` command (cli.c dispatches; cli_write.c,
 * cli_show.c and cli_query.c hold the subcommands; cli_help.c their
 * manual pages).  Internal prefix: cli_.
 *
 * Every subcommand is parsed by the host's parser (paved->cli_parse)
 * against its flag table before anything is opened, so --help and usage
 * errors never touch the state database.  A subcommand returns its exit
 * status: 0 success, 1 failure, 2 usage error; a message it leaves in
 * cl->msg reaches the user through the host ("paved catalog: MSG").
 */
#ifndef CATALOG_CLI_H
#define CATALOG_CLI_H

#include <stdio.h>

#include "glue.h"

#define CLI_EXIT_USAGE 2

/* One run of a subcommand. */
struct cli {
	paved_ctx     *ctx;
	const char    *name;    /* the subcommand */
	json_t        *flags;   /* {name: value} as cli_parse gave them (borrowed) */
	json_t        *args;    /* positional words (borrowed) */
	bool           json;    /* --json (a global option) */
	struct cat_db *c;       /* opened for subcommands that need it */
	char          *msg;     /* for the host to print, malloc()ed, or NULL */
};

/* A usage error: "SUB: MESSAGE" for the host; returns CLI_EXIT_USAGE. */
int cli_usage(struct cli *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failure with ERR (malloc()ed, taken; NULL: out of memory); returns 1. */
int cli_fail(struct cli *cl, char *err);
/* Print J (stolen) as indented JSON, and a newline. */
void cli_print_json(json_t *j);
/* Flag NAME's value: a string (NULL if not given), a bool, a count >= 0
 * (DEF if not given; -1 if negative). */
const char *cli_str(const struct cli *cl, const char *name);
bool cli_bool(const struct cli *cl, const char *name);
long cli_count(const struct cli *cl, const char *name, long def);
/* Positional word I, or NULL; how many there are. */
const char *cli_arg(const struct cli *cl, size_t i);
size_t cli_nargs(const struct cli *cl);
/* The single NAME argument resolved to a ref (malloc()ed); NULL with
 * *CODE set (usage error or no such entity). */
char *cli_need_ref(struct cli *cl, int *code);

/* The subcommands (cli_write.c, cli_show.c, cli_query.c). */
int cli_import(struct cli *cl);
int cli_validate(struct cli *cl);
int cli_export(struct cli *cl);
int cli_delete(struct cli *cl);
int cli_show(struct cli *cl);
int cli_list(struct cli *cl);
int cli_deps(struct cli *cl);
int cli_rdeps(struct cli *cl);
int cli_graph(struct cli *cl);
int cli_search(struct cli *cl);
int cli_cost(struct cli *cl);
int cli_owners(struct cli *cl);
int cli_check(struct cli *cl);

/* ---- cli_help.c: the manual pages ---------------------------------------- */

/* The page of subcommand CMD (NULL: the overview): its text up to the
 * options (starting "Usage: paved catalog ...") and what follows them
 * (exit status, examples; may be NULL).  0, or -1 if CMD is unknown. */
int cli_page(const char *cmd, const char **text, const char **after);

#endif
