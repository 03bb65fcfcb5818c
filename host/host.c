/*
 * host.c -- open and close a paved host: PAVED_HOME, configuration, the
 * state database, the log and the plugins, in that order.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "recipe.h"
#include "state_runs.h"

/* $PAVED_HOME, else $XDG_DATA_HOME/paved, else ~/.local/share/paved. */
char *pv_default_home(void)
{
	const char *e = getenv("PAVED_HOME");
	if (e && *e)
		return pv_strdup(e);
	e = getenv("XDG_DATA_HOME");
	if (e && *e == '/')
		return pv_path_join(e, "paved");
	e = getenv("HOME");
	return pv_asprintf("%s/.local/share/paved", e && *e ? e : ".");
}

/* Make HOME exist and check that paved can write there. */
static int prepare_home(const char *home, char **errmsg)
{
	char *err = NULL;
	if (pv_mkdir_p(home, 0700, &err)) {
		pv_seterr(errmsg, "PAVED_HOME %s is not usable: %s; set PAVED_HOME to a "
		          "writable directory", home, err);
		free(err);
		return PAVED_ERR;
	}
	if (access(home, W_OK | X_OK) != 0)
		return pv_seterr(errmsg, "PAVED_HOME %s is not writable: %s; set PAVED_HOME to a "
		                 "writable directory", home, strerror(errno));
	char *logs = pv_path_join(home, "logs");
	int rc = logs ? pv_mkdir_p(logs, 0700, &err) : PAVED_ERR;
	free(logs);
	if (rc) {
		pv_seterr(errmsg, "PAVED_HOME %s is not writable: %s; set PAVED_HOME to a "
		          "writable directory", home, err ? err : "out of memory");
		free(err);
	}
	return rc;
}

/* Tell the user about golden-path runs whose paved process died (the
 * journal in state_runs.c marks them interrupted). */
static void reap_runs(pv_host *h)
{
	json_t *dead = pv_runs_reap(h), *r;
	size_t i;
	json_array_foreach(dead, i, r) {
		long long id = json_integer_value(json_object_get(r, "id"));
		const char *name = json_string_value(json_object_get(json_object_get(r, "params"), "name"));
		fprintf(stderr, "paved: run #%lld (%s%s%s) was interrupted: its paved process (pid "
		        "%lld) died.\n       'paved runs undo %lld' removes what it made; 'paved runs "
		        "resume %lld' finishes it.\n", id,
		        json_string_value(json_object_get(r, "recipe")), name ? " for " : "",
		        name ? name : "", (long long)json_integer_value(json_object_get(r, "pid")), id, id);
	}
	json_decref(dead);
}

/* Open a host as O describes.  On failure returns PAVED_ERR with *ERRMSG
 * and *EXIT_CODE set (PV_EXIT_USAGE or PV_EXIT_PLUGIN). */
int pv_host_open(const struct pv_host_opts *o, pv_host **out, char **errmsg, int *exit_code)
{
	pv_host *h = calloc(1, sizeof *h);
	char *path = NULL;
	*exit_code = PV_EXIT_USAGE;
	if (!h)
		return pv_seterr(errmsg, "out of memory");
	h->self = (struct paved_ctx){ h, NULL };
	h->verbosity = o->verbosity;
	h->strict = o->strict;
	h->json = o->json;
	h->home = o->home ? pv_strdup(o->home) : pv_default_home();
	if (!h->home || pv_registry_init(h)) {
		pv_seterr(errmsg, "out of memory");
		goto fail;
	}
	if (h->home[0] != '/') {
		char cwd[4096];
		if (getcwd(cwd, sizeof cwd)) {
			char *abs = pv_path_join(cwd, h->home);
			free(h->home);
			h->home = abs;
		}
	}
	if (prepare_home(h->home, errmsg))
		goto fail;
	if (pv_config_load(h->home, o->sets, o->nsets, &h->config, errmsg))
		goto fail;
	if (pv_state_open(h, errmsg))
		goto fail;
	reap_runs(h);
	const char *cs = getenv("PAVED_CHECK_SHAPES");
	h->check_shapes = (cs && *cs && strcmp(cs, "0") != 0) ||
	                  json_is_true(pv_config_get(h->config, "hooks.check_shapes"));
	char *logpath = pv_path_join(h->home, "logs/paved.log");
	h->logf = logpath ? fopen(logpath, "a") : NULL;
	free(logpath);
	/* the host's own providers, registered first so no plugin takes them */
	if (pv_provide(h, NULL, "recipe.run", pv_recipe_run_hook, NULL, NULL, errmsg) ||
	    pv_provide(h, NULL, "platform.read", pv_platform_read_hook, NULL, NULL, errmsg))
		goto fail;
	if (o->no_plugins) {
		*out = h;
		return PAVED_OK;
	}
	if (pv_loader_init(errmsg))
		goto fail;
	h->loader = true;
	path = pv_plugin_path(h, o->plugin_path);
	if (pv_load_plugins(h, path, errmsg)) {
		*exit_code = PV_EXIT_PLUGIN;
		goto fail;
	}
	free(path);
	*out = h;
	return PAVED_OK;
fail:
	free(path);
	pv_host_close(h);
	return PAVED_ERR;
}

/* Release everything: plugins (fini, then their data), db, config, log. */
void pv_host_close(pv_host *h)
{
	if (!h)
		return;
	pv_unload_plugins(h);
	if (h->loader)
		pv_loader_exit();
	pv_state_close(h);
	json_decref(h->config);
	json_decref(h->plugin_cache);
	json_decref(h->shapes);
	if (h->logf)
		fclose(h->logf);
	free(h->home);
	free(h);
}
