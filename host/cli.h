/*
 * cli.h -- the command table and helpers shared by the cli_*.c files.
 */
#ifndef PV_CLI_H
#define PV_CLI_H

#include "host.h"

struct pv_cmd;

/* A subcommand: `paved CMD SUB [ARGS] [OPTIONS]`. */
struct pv_sub {
	const char *name;
	const char *help;                /* usage and description (options are appended) */
	const struct paved_flag *flags;  /* its options; NULL: none */
};

/* Run CMD (SUB, or NULL for a command without subcommands) with ARGS, the
 * positional arguments after it (JSON array), and FLAGS, its parsed
 * options (JSON object).  Returns the exit code. */
typedef int (*pv_cmd_fn)(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                         json_t *args, json_t *flags);

struct pv_cmd {
	const char *name;
	const char *summary;   /* one line for `paved --help` */
	const char *help;      /* full text for `paved CMD --help` (options are appended) */
	const struct paved_flag *flags;  /* options when there are no subcommands */
	const struct pv_sub *subs;       /* subcommands (ended by a zeroed entry), or NULL */
	const char *default_sub;         /* the subcommand run when none is named */
	pv_cmd_fn   run;
	bool        no_plugins;/* runs without loading plugins */
	/* Commands whose options depend on what they run (create, new) parse
	 * argv themselves; argv[0] is the command name. */
	int (*raw)(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv);
};

extern const struct pv_cmd pv_cmd_plugins, pv_cmd_hooks, pv_cmd_call,
	pv_cmd_events, pv_cmd_config, pv_cmd_create, pv_cmd_new, pv_cmd_recipes, pv_cmd_runs;

/* Parse the words after CMD (ARGV, ARGC of them): pick the subcommand, parse
 * its options.  Prints help (exit 0) or a usage error (exit 2) itself and
 * returns that code with *DONE set; otherwise fills *SUB, *ARGS, *FLAGS. */
int  pv_cmd_parse(const struct pv_cmd *cmd, int argc, char **argv, const struct pv_sub **sub,
                  json_t **args, json_t **flags, bool *done);
/* Print the help of CMD (or its SUB) with its options. */
void pv_cmd_help(const struct pv_cmd *cmd, const struct pv_sub *sub, FILE *out);

/* Print JSON to stdout, pretty, with a newline.  Steals a reference. */
void pv_print_json(json_t *j);
/* Print "paved: MSG" to stderr. */
void pv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a usage error for CMD and return PV_EXIT_USAGE. */
int  pv_usage(const struct pv_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error of CMD's subcommand SUB (may be NULL): the message, then
 * "Try 'paved CMD SUB --help'."; returns PV_EXIT_USAGE. */
int  pv_sub_usage(const struct pv_cmd *cmd, const struct pv_sub *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True when ARG is -h or --help. */
bool pv_is_help(const char *arg);

#endif
