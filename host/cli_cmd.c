/*
 * cli_cmd.c -- what every built-in command shares: picking the
 * subcommand, parsing its options (cli_parse.c), help and usage errors.
 *
 * `paved CMD [SUB] [ARGS] [OPTIONS]`: SUB is the first word when it names
 * a subcommand, else the command's default one.  -h/--help anywhere prints
 * the help of the command or subcommand and does nothing else; an unknown
 * option or subcommand is a usage error (exit 2) naming it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void pv_cmd_help(const struct pv_cmd *cmd, const struct pv_sub *sub, FILE *out)
{
	const struct paved_flag *flags = sub ? sub->flags : cmd->flags;
	fputs(sub && sub->help ? sub->help : cmd->help, out);
	fputs("\nOptions:\n", out);
	pv_cli_help(out, flags);
	fputs("  --json                  machine-readable output (a global option: "
	      "see 'paved --help')\n", out);
}

int pv_sub_usage(const struct pv_cmd *cmd, const struct pv_sub *sub, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap), *safe = msg ? pv_printable(msg) : NULL;
	va_end(ap);
	fprintf(stderr, "paved %s%s%s: %s\nTry 'paved %s%s%s --help'.\n", cmd->name,
	        sub ? " " : "", sub ? sub->name : "", safe ? safe : "usage error", cmd->name,
	        sub ? " " : "", sub ? sub->name : "");
	free(msg), free(safe);
	return PV_EXIT_USAGE;
}

/* The names of CMD's subcommands, "a, b or c" (static buffer). */
static const char *sub_names(const struct pv_cmd *cmd)
{
	static char buf[256];
	buf[0] = '\0';
	for (const struct pv_sub *s = cmd->subs; s && s->name; s++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", n ? (s[1].name ? ", " : " or ") : "",
		         s->name);
	}
	return buf;
}

int pv_cmd_parse(const struct pv_cmd *cmd, int argc, char **argv, const struct pv_sub **sub,
                 json_t **args, json_t **flags, bool *done)
{
	int first = 1;
	const struct pv_sub *s = NULL;
	*sub = NULL, *args = *flags = NULL, *done = false;
	if (cmd->subs) {
		if (argc > 1 && argv[1][0] != '-') {
			for (const struct pv_sub *x = cmd->subs; x->name && !s; x++)
				if (strcmp(x->name, argv[1]) == 0)
					s = x, first = 2;
			if (!s && !cmd->default_sub) {
				*done = true;
				return pv_usage(cmd, "unknown subcommand '%s' (use %s)", argv[1],
				                sub_names(cmd));
			}
		}
		for (const struct pv_sub *x = cmd->subs; !s && x->name; x++)
			if (cmd->default_sub && strcmp(x->name, cmd->default_sub) == 0)
				s = x;
	}
	json_t *words = json_array(), *parsed = NULL;
	char *err = NULL;
	for (int i = first; i < argc; i++)
		json_array_append_new(words, json_string(argv[i]));
	int rc = pv_cli_parse(words, s ? s->flags : cmd->flags, &parsed, &err);
	json_decref(words);
	if (rc != PAVED_OK) {
		*done = true;
		/* a word that is neither a subcommand nor valid gets the subcommand list */
		rc = pv_sub_usage(cmd, first == 2 ? s : NULL, "%s", err ? err : "bad arguments");
		free(err);
		return rc;
	}
	if (json_is_true(json_object_get(parsed, "help"))) {
		*done = true;
		pv_cmd_help(cmd, first == 2 ? s : NULL, stdout);
		json_decref(parsed);
		return PV_EXIT_OK;
	}
	/* with a default subcommand, a first word that names none is an error */
	if (cmd->subs && cmd->default_sub && first == 1 && argc > 1 && argv[1][0] != '-' &&
	    json_array_size(json_object_get(parsed, "args")) > 0) {
		*done = true;
		json_decref(parsed);
		return pv_usage(cmd, "unknown subcommand '%s' (use %s)", argv[1], sub_names(cmd));
	}
	*sub = s;
	*args = json_incref(json_object_get(parsed, "args"));
	*flags = json_incref(json_object_get(parsed, "flags"));
	json_decref(parsed);
	return PV_EXIT_OK;
}
