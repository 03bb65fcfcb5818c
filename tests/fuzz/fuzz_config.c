/*
 * fuzz_config.c -- libFuzzer target: the layered configuration
 * (host/config.c), as `paved -c KEY=VALUE config show` builds it.
 *
 * Input: up to four parts cut at NUL bytes (argv and the environment
 * cannot hold a NUL; the files can, but then they are not JSON anyway):
 *   SETS NUL ENV NUL HOME-CONFIG NUL SYSTEM-CONFIG
 * SETS are `-c` arguments, one a line; ENV are environment entries, one a
 * line, each after "PAVED_CONFIG_" (so "\xff__X=1" is the variable
 * PAVED_CONFIG_\xff__X); HOME-CONFIG is $PAVED_HOME/config.json and
 * SYSTEM-CONFIG the file $PAVED_SYSTEM_CONFIG names, each absent when its
 * part is.  An input without NUL is all `-c` arguments: the file
 * "\xff.x=1" is issue #12's use-after-free.
 *
 * The environment the code under test sees is exactly this: environ is
 * replaced for the call.  After pv_config_load, what `config show`,
 * `config get KEY` and the host's own readers (Lua limits, plugin path)
 * do with the result is done too.
 *
 * Beyond the sanitizers: a loaded configuration can be printed, and the
 * last `-c KEY=VALUE` wins (`config get KEY` gives VALUE).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "host.h"
#include "lua_rt.h"

#define MAX_LINES 32

extern char **environ;

static char *g_home, *g_home_config, *g_system_config, *g_system_var;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	g_home = fz_mkdir("home");
	g_home_config = fz_path("home/config.json");
	g_system_config = fz_path("system.json");
	if (asprintf(&g_system_var, "PAVED_SYSTEM_CONFIG=%s", g_system_config) < 0)
		fz_fail("out of memory");
	return 0;
}

/* Cut PART into at most MAX lines (NUL-terminated copies in LINES). */
static size_t lines(const struct fz_part *part, struct fz_part *out, size_t max)
{
	if (part->len == 0)
		return 0;
	return fz_split(part->data, part->len, '\n', out, max);
}

/* Place the file PATH holding PART, or no file when PART is absent. */
static void place(const char *path, const struct fz_part *part)
{
	if (part)
		fz_write(path, part->data, part->len);
	else
		remove(path);
}

/* What `config show` and `config get` print, and what the host reads. */
static void use(json_t *config, struct fz_part *sets, size_t nsets)
{
	char *shown = json_dumps(config, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (!shown)
		fz_fail("a loaded configuration cannot be printed");
	free(shown);
	for (size_t i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i].str, '=');
		if (!eq)
			fz_fail("-c '%s' without '=' was accepted", sets[i].str);
		*eq = '\0';
		json_t *v = pv_config_get(config, sets[i].str);
		char *text = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
		free(text);
		if (i + 1 < nsets)
			continue;
		/* the last -c wins: it reads back as what was given */
		json_t *want = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
		if (!want)
			want = json_string(eq + 1);
		if (!json_is_null(want) && !json_equal(v, want))
			fz_fail("-c %s=%s was accepted but `config get %s` differs", sets[i].str,
			        eq + 1, sets[i].str);
		json_decref(want);
	}
	pv_host h = { .config = config };
	struct pv_lua_limits l = pv_lua_limits_from_config(&h);
	(void)l;
	free(pv_plugin_path(&h, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[4], sets[MAX_LINES], env[MAX_LINES];
	size_t n = fz_split(data, size, 0, parts, 4);
	size_t nsets = lines(&parts[0], sets, MAX_LINES);
	size_t nenv = n > 1 ? lines(&parts[1], env, MAX_LINES) : 0;
	char *vars[MAX_LINES + 2];
	const char *argv[MAX_LINES];
	size_t nvars = 0;

	vars[nvars++] = g_system_var;
	for (size_t i = 0; i < nenv; i++)
		if (asprintf(&vars[nvars++], "PAVED_CONFIG_%s", env[i].str) < 0)
			fz_fail("out of memory");
	vars[nvars] = NULL;
	for (size_t i = 0; i < nsets; i++)
		argv[i] = sets[i].str;
	place(g_home_config, n > 2 ? &parts[2] : NULL);
	place(g_system_config, n > 3 ? &parts[3] : NULL);

	char **saved = environ;
	json_t *config = NULL;
	char *err = NULL;
	environ = vars;
	int rc = pv_config_load(g_home, argv, nsets, &config, &err);
	if (rc == PAVED_OK) {
		if (!json_is_object(config))
			fz_fail("pv_config_load: the configuration is not an object");
		use(config, sets, nsets);
	} else if (!err || !*err) {
		fz_fail("pv_config_load failed without saying why");
	}
	environ = saved;

	json_decref(config);
	free(err);
	for (size_t i = 1; i < nvars; i++)
		free(vars[i]);
	fz_parts_free(env, nenv);
	fz_parts_free(sets, nsets);
	fz_parts_free(parts, n);
	return 0;
}
