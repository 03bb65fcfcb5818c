/*
 * cli_plugins.c -- `paved plugins` and `paved hooks`: what is installed and
 * who answers which hook.  Both work from the registration cache, so they
 * open no plugin that is already known.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One plugin in the human format. */
static void print_plugin(struct pv_plugin *p, bool details)
{
	printf("%s %s  %s  (%s)  %s\n", p->name, p->version ? p->version : "-",
	       pv_plugin_status_name(p->status), p->kind, p->path);
	if (p->summary && *p->summary)
		printf("    %s\n", p->summary);
	if (p->error)
		printf("    %s: %s\n", p->status == PV_PLUGIN_SHADOWED ? "note" : "error", p->error);
	size_t i;
	json_t *r;
	json_array_foreach(p->regs, i, r) {
		const char *role = json_string_value(json_object_get(r, "role"));
		const char *hook = json_string_value(json_object_get(r, "hook"));
		if (strcmp(role, "provide") == 0)
			printf("    provides %s\n", hook);
		else
			printf("    observes %s (priority %lld)\n", hook,
			       (long long)json_integer_value(json_object_get(r, "priority")));
	}
	if (!details)
		return;
	json_t *o;
	json_array_foreach(p->options, i, o) {
		char *def = json_dumps(json_object_get(o, "default"), JSON_ENCODE_ANY | JSON_COMPACT);
		printf("    option plugins.%s.%s (%s, default %s)\n        %s\n", p->name,
		       json_string_value(json_object_get(o, "name")),
		       json_string_value(json_object_get(o, "type")), def ? def : "null",
		       json_string_value(json_object_get(o, "description")));
		free(def);
	}
}

static int plugins_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                       json_t *args, json_t *flags)
{
	const char *show = NULL;
	size_t n = json_array_size(args);
	(void)flags;
	if (strcmp(sub->name, "show") == 0) {
		if (n != 1)
			return pv_sub_usage(cmd, sub, "'show' takes one plugin name");
		show = json_string_value(json_array_get(args, 0));
	} else if (n) {
		return pv_sub_usage(cmd, sub, "unexpected argument '%s'",
		                    json_string_value(json_array_get(args, 0)));
	}
	json_t *all = json_array();
	bool found = false;
	for (struct pv_plugin *p = h->plugins; p; p = p->next) {
		if (show && strcmp(p->name, show) != 0)
			continue;
		found = true;
		if (h->json)
			json_array_append_new(all, pv_plugin_json(p));
		else
			print_plugin(p, show != NULL);
	}
	if (show && !found) {
		json_decref(all);
		pv_error("no plugin named '%s'; run 'paved plugins' for the list", show);
		return PV_EXIT_FAIL;
	}
	if (h->json)
		pv_print_json(show ? json_incref(json_array_get(all, 0)) : json_incref(all));
	else if (!found)
		printf("no plugins found (search path: see 'paved --help')\n");
	json_decref(all);
	return PV_EXIT_OK;
}

static const struct pv_sub plugins_subs[] = {
	{ "list", "Usage: paved plugins [list] [--json]\n\nEvery plugin found in the search "
	  "path: name, version, status, kind, file and hooks.\n", NULL },
	{ "show", "Usage: paved plugins show NAME [--json]\n\nOne plugin, with its "
	  "configuration options (type, default, description).\n", NULL },
	{ 0 }
};

const struct pv_cmd pv_cmd_plugins = {
	.name = "plugins", .summary = "list plugins, their hooks, files and load status",
	.help = "Usage: paved plugins [list] [--json]\n"
	"       paved plugins show NAME [--json]\n"
	"\n"
	"Lists every plugin file found in the search path with its name, version,\n"
	"kind (c or lua), file, status and the hooks it provides and observes.\n"
	"\n"
	"Status is one of:\n"
	"  ready     registrations known from the cache; opened when first used\n"
	"  loaded    opened and initialised in this run\n"
	"  failed    did not load; the reason is shown (with --strict, paved exits 3)\n"
	"  shadowed  a plugin of the same name earlier in the search path wins\n"
	"\n"
	"'show NAME' adds the plugin's configuration options with their types,\n"
	"defaults and descriptions.\n",
	.subs = plugins_subs, .default_sub = "list", .run = plugins_run,
};

static int hook_cmp(const void *a, const void *b)
{
	return strcmp((*(struct paved_hook *const *)a)->name, (*(struct paved_hook *const *)b)->name);
}

static json_t *impl_json(struct pv_impl *im)
{
	return json_pack("{sssi}", "plugin", im->plugin ? im->plugin->name : "paved",
	                 "priority", im->priority);
}

static int hooks_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                     json_t *args, json_t *flags)
{
	(void)sub;
	if (json_array_size(args))
		return pv_usage(cmd, "unexpected argument '%s'", json_string_value(json_array_get(args, 0)));
	if (json_is_true(json_object_get(flags, "shapes"))) {
		pv_print_json(json_incref(pv_shapes(h)));
		return PV_EXIT_OK;
	}
	struct paved_hook **list = calloc(h->nhooks + 1, sizeof *list);
	size_t n = 0;
	for (size_t b = 0; list && b < h->nbuckets; b++)
		for (struct paved_hook *hk = h->hooks[b]; hk; hk = hk->next)
			if (hk->provider || hk->nobservers)
				list[n++] = hk;
	qsort(list, n, sizeof *list, hook_cmp);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		struct paved_hook *hk = list[i];
		json_t *obs = json_array();
		for (size_t k = 0; k < hk->nobservers; k++)
			json_array_append_new(obs, impl_json(hk->observers[k]));
		json_t *j = json_pack("{sssoso}", "hook", hk->name, "provider",
		                      hk->provider ? json_string(hk->provider->plugin ?
		                      hk->provider->plugin->name : "paved") : json_null(),
		                      "observers", obs);
		if (h->json) {
			json_array_append_new(out, j);
			continue;
		}
		if (hk->provider)
			printf("%-32s provided by %s\n", hk->name,
			       json_string_value(json_object_get(j, "provider")));
		else
			printf("%-32s", hk->name);
		for (size_t k = 0; k < hk->nobservers; k++)
			printf("%s%s (priority %d)%s", k == 0 ? (hk->provider ? "    observed by " :
			       " observed by ") : "", hk->observers[k]->plugin ?
			       hk->observers[k]->plugin->name : "paved", hk->observers[k]->priority,
			       k + 1 < hk->nobservers ? ", " : "\n");
		json_decref(j);
	}
	if (h->json)
		pv_print_json(out);
	else {
		if (n == 0)
			printf("no hooks are registered (see 'paved plugins')\n");
		json_decref(out);
	}
	free(list);
	return PV_EXIT_OK;
}

static const struct paved_flag hooks_flags[] = {
	{ "shapes", 0, PAVED_FLAG_BOOL, NULL, "print the declared hooks and driver areas "
	  "(sdk/hooks.json) instead" },
	{ 0 }
};

const struct pv_cmd pv_cmd_hooks = {
	.name = "hooks", .summary = "list hooks with their provider and observers in order",
	.help = "Usage: paved hooks [--json]\n"
	"       paved hooks --shapes\n"
	"\n"
	"Lists every hook that has a provider or observers.  A hook is named\n"
	"area.verb (catalog.query) or area.type (provision.postgres).  Observers\n"
	"are listed in the order they run: lower priority first.\n"
	"  before:HOOK  runs before the provider and may veto the call\n"
	"  after:HOOK   runs after a successful call\n"
	"  event:NAME   a sink: receives events (NAME may be *, or end in .*)\n"
	"  cli.NAME     a provider here adds the command 'paved NAME'\n"
	"\n"
	"The areas runtime, forge, deploy, provision, monitoring and analysis are\n"
	"called through fronts AREA.VERB that paved answers by calling the driver\n"
	"AREA.driver.NAME.VERB chosen by configuration (drivers.AREA); --shapes\n"
	"prints every declared hook's argument and result shape.\n",
	.flags = hooks_flags, .run = hooks_run,
};
