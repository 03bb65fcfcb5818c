/*
 * main.c -- the paved command line: global options, dispatch, help.
 *
 * Global options may appear anywhere before a "--"; everything else is
 * handed to the command.  A command name the host does not know is looked
 * up as the hook "cli.NAME", so plugins add commands.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct pv_cmd *const commands[] = {
	&pv_cmd_create, &pv_cmd_new, &pv_cmd_recipes, &pv_cmd_runs,
	&pv_cmd_plugins, &pv_cmd_hooks, &pv_cmd_call, &pv_cmd_events, &pv_cmd_config, NULL
};

static const char main_help[] =
"Usage: paved [OPTIONS] COMMAND [ARGS...]\n"
"\n"
"paved is an internal developer platform: golden paths, a service catalog,\n"
"provisioning and deployment, all served by plugins behind hooks.\n"
"\n"
"Commands:\n"
"%s"
"%s"
"\n"
"Options (accepted anywhere before \"--\"):\n"
"  --home DIR          state directory (default $PAVED_HOME, else\n"
"                      $XDG_DATA_HOME/paved, else ~/.local/share/paved)\n"
"  --plugin-path DIRS  colon-separated plugin directories searched first\n"
"  -c, --config KEY=VALUE\n"
"                      set a configuration key (dotted; VALUE is JSON or text)\n"
"  --json              machine-readable JSON output\n"
"  --strict            a plugin that fails to load is fatal (exit 3)\n"
"  -v, --verbose       more log output (repeat for debug)\n"
"  -q, --quiet         only errors\n"
"  -h, --help          show help (`paved COMMAND --help` for a command)\n"
"  -V, --version       print the version\n"
"\n"
"Configuration layers, later wins: built-in defaults < /etc/paved/config.json\n"
"($PAVED_SYSTEM_CONFIG) < $PAVED_HOME/config.json < PAVED_CONFIG_<KEY> variables\n"
"(\"__\" separates levels) < -c flags.  Plugins are searched in --plugin-path,\n"
"$PAVED_PLUGIN_PATH, config plugin_path, then %s.\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  the operation failed (a plugin reported an error, an observer vetoed)\n"
"  2  usage error, malformed configuration, or PAVED_HOME not writable\n"
"  3  a plugin failed to load and --strict was given\n"
"  4  no plugin provides the hook that was called\n"
"\n"
"Documentation: README.md; plugin authoring: sdk/README.md.\n";

void pv_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(j);
}

void pv_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap);
	va_end(ap);
	/* a hook paved provides itself already says "paved: HOOK: ..." */
	char *safe = msg ? pv_printable(msg) : NULL;
	const char *m = safe ? safe : "out of memory";
	fprintf(stderr, "paved: %s\n", strncmp(m, "paved: ", 7) == 0 ? m + 7 : m);
	free(msg), free(safe);
}

int pv_usage(const struct pv_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap), *safe = msg ? pv_printable(msg) : NULL;
	va_end(ap);
	fprintf(stderr, "paved %s: %s\nTry 'paved %s --help'.\n", cmd->name,
	        safe ? safe : "usage error", cmd->name);
	free(msg), free(safe);
	return PV_EXIT_USAGE;
}

bool pv_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct paved_hook *const *)a)->name, (*(struct paved_hook *const *)b)->name);
}

/* Print the top-level help, including plugin commands (sorted) when a host
 * is up. */
static void print_help(pv_host *h)
{
	char builtin[2048] = "", extra[4096] = "";
	struct paved_hook *cli[128];
	size_t n = 0;
	for (size_t i = 0; commands[i]; i++) {
		size_t len = strlen(builtin);
		snprintf(builtin + len, sizeof builtin - len, "  %-10s %s\n", commands[i]->name,
		         commands[i]->summary);
	}
	for (size_t b = 0; h && b < h->nbuckets; b++)
		for (struct paved_hook *hk = h->hooks[b]; hk; hk = hk->next)
			if (strncmp(hk->name, "cli.", 4) == 0 && hk->provider && n < 128)
				cli[n++] = hk;
	qsort(cli, n, sizeof *cli, by_name);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(extra);
		struct pv_impl *im = cli[i]->provider;
		snprintf(extra + len, sizeof extra - len, "  %-10s %s (plugin %s)\n", cli[i]->name + 4,
		         im->summary ? im->summary : im->plugin && im->plugin->summary ?
		         im->plugin->summary : "", im->plugin ? im->plugin->name : "paved");
	}
	printf(main_help, builtin, extra, PV_PLUGINDIR);
}

/* Take the value of option ARGV[*I] (either "--opt=value" or "--opt value"). */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* ERR without the "PLUGIN: cli.NAME: " prefix the registry adds: a
 * command's message reads "paved NAME: ..." instead. */
static const char *unprefixed(const char *err, const char *hook)
{
	const char *p = err ? strstr(err, hook) : NULL;
	if (p && p > err && p[-1] == ' ' && p[-2] == ':' && strncmp(p + strlen(hook), ": ", 2) == 0)
		return p + strlen(hook) + 2;
	return err ? err : "failed (no message given)";
}

/* Run a plugin-provided command through hook cli.NAME.  A failing command
 * may hand back {"exit": N} beside its error: 2 is a usage error. */
static int run_plugin_cmd(pv_host *h, int argc, char **argv)
{
	char hook[256];
	snprintf(hook, sizeof hook, "cli.%s", argv[0]);
	struct paved_hook *hk = pv_hook_get(h, hook, false);
	if (!hk || !hk->provider) {
		pv_error("unknown command '%s'; run 'paved --help' for the list", argv[0]);
		return PV_EXIT_USAGE;
	}
	json_t *av = json_array(), *res = NULL;
	for (int i = 1; i < argc; i++)
		json_array_append_new(av, json_string(argv[i]));
	json_t *args = json_pack("{sosb}", "argv", av, "json", h->json);
	char *err = NULL;
	fflush(stdout);
	int rc = pv_call_hook(h, hk, args, &res, &err);
	int code = PV_EXIT_OK;
	json_t *ex = json_object_get(res, "exit");
	if (rc != PAVED_OK) {
		code = json_is_integer(ex) ? (int)json_integer_value(ex) :
		       rc == PAVED_NOHOOK ? PV_EXIT_NOHOOK : PV_EXIT_FAIL;
		char *safe = pv_printable(unprefixed(err, hook));
		if (rc == PAVED_VETO)
			pv_error("%s", err);
		else
			fprintf(stderr, "paved %s: %s\n", argv[0], safe ? safe : "out of memory");
		free(safe);
		if (code == PV_EXIT_USAGE)
			fprintf(stderr, "Try 'paved %s --help'.\n", argv[0]);
	} else if (json_is_integer(ex)) {
		code = (int)json_integer_value(ex);
	}
	free(err);
	json_decref(res);
	json_decref(args);
	return code;
}

int main(int argc, char **argv)
{
	struct pv_host_opts o = { .verbosity = 1 };
	const char **sets = calloc((size_t)argc + 1, sizeof *sets);
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0, code = PV_EXIT_USAGE;
	bool help = false, version = false, dashdash = false;
	pv_host *h = NULL;
	char *err = NULL;
	const struct pv_sub *sub = NULL;
	json_t *cargs = NULL, *cflags = NULL;

	if (!sets || !rest)
		return PV_EXIT_FAIL;
	/* a program paved feeds that exits early must not kill paved */
	signal(SIGPIPE, SIG_IGN);
	/* every argument must be text: one that is not UTF-8 would otherwise
	 * vanish on its way into JSON (`paved stop $'\xff'` became `paved stop`) */
	for (int i = 1; i < argc; i++) {
		json_t *t = json_string(argv[i]);
		json_decref(t);
		if (!t) {
			pv_error("argument %d is not valid UTF-8 text; refused", i);
			goto out;
		}
	}
	o.sets = sets;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			rest[nrest++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			rest[nrest++] = argv[i];
		} else if (strcmp(a, "--json") == 0) {
			o.json = true;
		} else if (strcmp(a, "--strict") == 0) {
			o.strict = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o.verbosity++;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o.verbosity = 0;
		} else if ((strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) && nrest == 0) {
			version = true;   /* after a command it is the command's own (deploy --version) */
		} else if (pv_is_help(a) && nrest == 0) {
			help = true;
		} else if (is_opt(a, "--home") || is_opt(a, "--plugin-path") ||
		           is_opt(a, "--config") || strcmp(a, "-c") == 0) {
			const char *name = a[1] == 'c' ? "-c" : (strncmp(a, "--home", 6) == 0 ? "--home" :
			                   strncmp(a, "--config", 8) == 0 ? "--config" : "--plugin-path");
			if (!(v = opt_value(argc, argv, &i, name))) {
				pv_error("option %s needs a value; run 'paved --help'", name);
				goto out;
			}
			if (name[1] == 'c' || name[2] == 'c')
				sets[o.nsets++] = v;
			else if (name[2] == 'h')
				o.home = v;
			else
				o.plugin_path = v;
		} else {
			rest[nrest++] = argv[i];   /* a command's own option */
		}
	}
	if (version) {
		printf(o.json ? "{\"version\": \"%s\", \"abi\": %u}\n" : "paved %s (plugin ABI %u)\n",
		       PACKAGE_VERSION, PAVED_ABI_VERSION);
		code = PV_EXIT_OK;
		goto out;
	}
	const struct pv_cmd *cmd = NULL;
	if (nrest > 0)
		for (size_t i = 0; commands[i]; i++)
			if (strcmp(commands[i]->name, rest[0]) == 0)
				cmd = commands[i];
	if (nrest > 0 && strcmp(rest[0], "help") == 0) {
		help = true;
		if (nrest > 1)
			for (size_t i = 0; commands[i]; i++)
				if (strcmp(commands[i]->name, rest[1]) == 0)
					cmd = commands[i];
	}
	/* a built-in command's own options are parsed before anything is opened,
	 * so --help and usage errors have no side effect */
	if (cmd && help) {
		pv_cmd_help(cmd, NULL, stdout);
		code = PV_EXIT_OK;
		goto out;
	}
	if (cmd && !cmd->raw) {
		bool done;
		code = pv_cmd_parse(cmd, nrest, rest, &sub, &cargs, &cflags, &done);
		if (done)
			goto out;
	}
	if (nrest == 0 && !help) {
		fputs("Usage: paved [OPTIONS] COMMAND [ARGS...]\nRun 'paved --help' for the commands.\n",
		      stderr);
		goto out;
	}
	o.no_plugins = cmd && cmd->no_plugins;
	pv_state_configure();
	if (pv_host_open(&o, &h, &err, &code)) {
		if (help) {           /* help never depends on a usable PAVED_HOME */
			print_help(NULL);
			code = PV_EXIT_OK;
		} else {
			pv_error("%s", err);
		}
		goto out;
	}
	if (help)
		print_help(h), code = PV_EXIT_OK;
	else if (cmd && cmd->raw)
		code = cmd->raw(h, cmd, nrest, rest);
	else if (cmd)
		code = cmd->run(h, cmd, sub, cargs, cflags);
	else
		code = run_plugin_cmd(h, nrest, rest);
out:
	json_decref(cargs);
	json_decref(cflags);
	fflush(stdout);
	pv_host_close(h);
	free(err);
	free(sets);
	free(rest);
	return code;
}
