/*
 * cli_call.c -- plumbing commands: `paved call`, `paved events`,
 * `paved config`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int call_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                    json_t *words, json_t *flags)
{
	json_t *args = NULL, *res = NULL;
	json_error_t je;
	char *err = NULL;
	size_t n = json_array_size(words);
	const char *hook = json_string_value(json_array_get(words, 0));
	const char *text = json_string_value(json_array_get(words, 1));
	(void)sub, (void)flags;
	if (n < 1 || n > 2)
		return pv_usage(cmd, n < 1 ? "missing HOOK" : "too many arguments");
	if (text && strcmp(text, "-") == 0)
		args = json_loadf(stdin, JSON_DECODE_ANY, &je);
	else if (text)
		args = json_loads(text, JSON_DECODE_ANY, &je);
	if (text && !args)
		return pv_usage(cmd, "invalid JSON argument at %d:%d: %s", je.line, je.column, je.text);
	int rc = pv_call(h, hook, args, &res, &err);
	json_decref(args);
	if (rc != PAVED_OK) {
		pv_error("%s", err);
		free(err);
		if (res && !json_is_null(res)) {   /* what the hook handed back beside its error */
			fprintf(stderr, "paved: the hook's result:\n");
			json_dumpf(res, stderr, JSON_INDENT(2) | JSON_ENCODE_ANY);
			fputc('\n', stderr);
		}
		json_decref(res);
		return rc == PAVED_NOHOOK ? PV_EXIT_NOHOOK : PV_EXIT_FAIL;
	}
	pv_print_json(res);
	return PV_EXIT_OK;
}

const struct pv_cmd pv_cmd_call = {
	.name = "call", .summary = "call any hook with a JSON argument (plumbing)", .help =
	"Usage: paved call HOOK [JSON | -]\n"
	"\n"
	"Calls HOOK as a plugin would: the before: observers (any may veto), the\n"
	"provider, then the after: observers.  JSON is the argument (default {});\n"
	"'-' reads it from standard input.  The result is printed as JSON.\n"
	"\n"
	"Examples:\n"
	"  paved call example.hello '{\"name\": \"ada\"}'\n"
	"  echo '{\"kind\": \"Component\"}' | paved call catalog.query -\n"
	"\n"
	"Exit status: 0 ok, 1 the call failed or was vetoed (the message is on\n"
	"stderr, with any result the hook handed back beside it), 2 bad arguments,\n"
	"4 no plugin provides HOOK.\n",
	.run = call_run,
};

/* One event in the human format. */
static void print_event(json_t *e)
{
	char *data = json_dumps(json_object_get(e, "data"), JSON_COMPACT | JSON_ENCODE_ANY);
	printf("%s  #%-5lld %-24s %-10s %s\n", json_string_value(json_object_get(e, "time")),
	       (long long)json_integer_value(json_object_get(e, "id")),
	       json_string_value(json_object_get(e, "event")),
	       json_string_value(json_object_get(e, "source")), data ? data : "");
	free(data);
}

static int events_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                      json_t *args, json_t *flags)
{
	if (json_array_size(args))
		return pv_sub_usage(cmd, sub, "unexpected argument '%s'",
		                    json_string_value(json_array_get(args, 0)));
	if (strcmp(sub->name, "flush") == 0) {
		int ok = 0, left = 0;
		pv_outbox_flush(h, &ok, &left);
		if (h->json)
			pv_print_json(json_pack("{sisi}", "delivered", ok, "pending", left));
		else
			printf("delivered %d, still pending %d\n", ok, left);
		return left ? PV_EXIT_FAIL : PV_EXIT_OK;
	}
	if (strcmp(sub->name, "outbox") == 0) {
		json_t *rows = pv_outbox_list(h);
		size_t i;
		json_t *r;
		if (h->json) {
			pv_print_json(rows);
			return PV_EXIT_OK;
		}
		json_array_foreach(rows, i, r)
			printf("#%-5lld %-24s -> %s (attempts %lld): %s\n",
			       (long long)json_integer_value(json_object_get(r, "event_id")),
			       json_string_value(json_object_get(r, "event")),
			       json_string_value(json_object_get(r, "sink")),
			       (long long)json_integer_value(json_object_get(r, "attempts")),
			       json_string_value(json_object_get(r, "last_error")) ?: "not tried yet");
		if (json_array_size(rows) == 0)
			printf("the outbox is empty: every event was delivered\n");
		json_decref(rows);
		return PV_EXIT_OK;
	}
	json_t *t = json_object_get(flags, "tail");
	long long tail = t ? json_integer_value(t) : 20;
	if (tail < 0 || tail > 1000000)
		return pv_sub_usage(cmd, NULL, "--tail needs a count (a whole number >= 0)");
	json_t *evs = pv_events_tail(h, (int)tail);
	if (h->json) {
		pv_print_json(evs);
		return PV_EXIT_OK;
	}
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e)
		print_event(e);
	json_decref(evs);
	return PV_EXIT_OK;
}

static const struct paved_flag events_flags[] = {
	{ "tail", 'n', PAVED_FLAG_INT, "N", "show the last N events (default 20)" },
	{ 0 }
};

static const struct pv_sub events_subs[] = {
	{ "list", "Usage: paved events [list] [--tail N] [--json]\n"
	  "\nThe most recent events, oldest first.\n", events_flags },
	{ "outbox", "Usage: paved events outbox [--json]\n"
	  "\nEvents waiting for a sink, with each sink's last error and attempts.\n", NULL },
	{ "flush", "Usage: paved events flush [--json]\n"
	  "\nDeliver the events waiting in the outbox now, in order.  Exit status 1\n"
	  "when some still wait (their sink failed again).\n", NULL },
	{ 0 }
};

const struct pv_cmd pv_cmd_events = {
	.name = "events", .summary = "show recent events, the outbox, or deliver what waits",
	.help =
	"Usage: paved events [list] [--tail N] [--json]\n"
	"       paved events outbox [--json]\n"
	"       paved events flush [--json]\n"
	"\n"
	"Every event (service.created, resource.provisioned, deploy.step, ...) is\n"
	"recorded in the state database and handed to every sink: the plugins that\n"
	"observe event:NAME, event:PREFIX.* or event:*.  A sink that fails never\n"
	"fails the command; its events wait in the outbox and are delivered, in\n"
	"order, the next time an event is emitted or on 'paved events flush'.\n"
	"\n"
	"  list      the last events (the default)\n"
	"  outbox    events waiting for a sink, with the last error\n"
	"  flush     deliver waiting events now; exit 1 if some still wait\n",
	.flags = events_flags, .subs = events_subs, .default_sub = "list", .run = events_run,
};

static int config_run(pv_host *h, const struct pv_cmd *cmd, const struct pv_sub *sub,
                      json_t *args, json_t *flags)
{
	size_t n = json_array_size(args);
	(void)flags;
	if (strcmp(sub->name, "get") == 0) {
		if (n != 1)
			return pv_sub_usage(cmd, sub, n ? "too many arguments" : "missing KEY");
		const char *key = json_string_value(json_array_get(args, 0));
		json_t *v = pv_config_get(h->config, key);
		if (!v) {
			pv_error("config key '%s' is not set", key);
			return PV_EXIT_FAIL;
		}
		if (json_is_string(v) && !h->json)
			printf("%s\n", json_string_value(v));
		else
			pv_print_json(json_incref(v));
		return PV_EXIT_OK;
	}
	if (n)
		return pv_sub_usage(cmd, sub, "unexpected argument '%s'",
		                    json_string_value(json_array_get(args, 0)));
	if (strcmp(sub->name, "path") == 0) {
		char *path = pv_plugin_path(h, NULL);
		if (h->json)
			pv_print_json(json_pack("{ssss}", "home", h->home, "plugin_path", path));
		else
			printf("home: %s\nplugin path: %s\n", h->home, path);
		free(path);
		return PV_EXIT_OK;
	}
	pv_print_json(json_incref(h->config));
	return PV_EXIT_OK;
}

static const struct pv_sub config_subs[] = {
	{ "show", "Usage: paved config [show]\n\nThe merged configuration as JSON.\n", NULL },
	{ "get", "Usage: paved config get KEY [--json]\n\nOne dotted key (plugins.jsonl.path); "
	  "exit 1 when it is not set.\n", NULL },
	{ "path", "Usage: paved config path [--json]\n\nPAVED_HOME and the plugin search path "
	  "(without --plugin-path).\n", NULL },
	{ 0 }
};

const struct pv_cmd pv_cmd_config = {
	.name = "config", .summary = "show the effective configuration",
	.help =
	"Usage: paved config [show]\n"
	"       paved config get KEY\n"
	"       paved config path\n"
	"\n"
	"'show' prints the merged configuration as JSON; 'get' prints one dotted\n"
	"key (plugins.jsonl.path); 'path' prints PAVED_HOME and the plugin search\n"
	"path (without --plugin-path).\n"
	"\n"
	"Layers, later wins: built-in defaults, /etc/paved/config.json (or\n"
	"$PAVED_SYSTEM_CONFIG), $PAVED_HOME/config.json, PAVED_CONFIG_<KEY>\n"
	"environment variables (PAVED_CONFIG_PLUGINS__JSONL__PATH=/tmp/e.jsonl),\n"
	"and -c KEY=VALUE flags.  VALUE is parsed as JSON when it is JSON.\n",
	.subs = config_subs, .default_sub = "show", .run = config_run, .no_plugins = true,
};
