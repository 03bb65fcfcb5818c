/*
 * cli.h -- the command table and helpers shared by the cli_*.c files.
 */
#ifndef PV_CLI_H
#define PV_CLI_H

#include "host.h"

struct pv_cmd;
typedef int (*pv_cmd_fn)(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv);

struct pv_cmd {
	const char *name;
	const char *summary;   /* one line for `paved --help` */
	const char *help;      /* full text for `paved CMD --help` */
	pv_cmd_fn   run;       /* argv[0] is the command name */
	bool        no_plugins;/* runs without loading plugins */
};

extern const struct pv_cmd pv_cmd_plugins, pv_cmd_hooks, pv_cmd_call,
	pv_cmd_events, pv_cmd_config, pv_cmd_create, pv_cmd_new, pv_cmd_recipes, pv_cmd_runs;

/* Print JSON to stdout, pretty, with a newline.  Steals a reference. */
void pv_print_json(json_t *j);
/* Print "paved: MSG" to stderr. */
void pv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a usage error for CMD and return PV_EXIT_USAGE. */
int  pv_usage(const struct pv_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True when ARG is -h or --help. */
bool pv_is_help(const char *arg);
/* Parse a non-negative int option value; -1 when invalid. */
long pv_parse_count(const char *s);

#endif
