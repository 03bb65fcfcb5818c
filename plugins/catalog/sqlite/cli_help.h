/* cli_help.h -- manual pages of `paved catalog` (cli_help.c). */
#ifndef CATALOG_CLI_HELP_H
#define CATALOG_CLI_HELP_H

struct cat_help {
	const char *cmd;    /* NULL: the overview */
	const char *text;
};

/* The manual of subcommand CMD (NULL: the overview), or NULL if unknown. */
const char *cat_help_for(const char *cmd);

#endif
