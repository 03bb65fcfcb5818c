/*
 * cli_call.c -- plumbing commands: `paved call`, `paved events`,
 * `paved config`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int call_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	json_t *args = NULL, *res = NULL;
	json_error_t je;
	char *err = NULL;
	if (argc < 2 || argc > 3)
		return pv_usage(cmd, argc < 2 ? "missing HOOK" : "too many arguments");
	if (argc == 3 && strcmp(argv[2], "-") == 0)
		args = json_loadf(stdin, JSON_DECODE_ANY, &je);
	else if (argc == 3)
		args = json_loads(argv[2], JSON_DECODE_ANY, &je);
	if (argc == 3 && !args)
		return pv_usage(cmd, "invalid JSON argument at %d:%d: %s", je.line, je.column, je.text);
	int rc = pv_call(h, argv[1], args, &res, &err);
	json_decref(args);
	if (rc != PAVED_OK) {
		pv_error("%s", err);
		free(err);
		return rc == PAVED_NOHOOK ? PV_EXIT_NOHOOK : PV_EXIT_FAIL;
	}
	pv_print_json(res);
	return PV_EXIT_OK;
}

const struct pv_cmd pv_cmd_call = {
	"call", "call any hook with a JSON argument (plumbing)",
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
	"stderr), 2 bad arguments, 4 no plugin provides HOOK.\n",
	call_run, false
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

static int events_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	long tail = 20;
	if (argc > 1 && strcmp(argv[1], "flush") == 0) {
		int ok = 0, left = 0;
		pv_outbox_flush(h, &ok, &left);
		if (h->json)
			pv_print_json(json_pack("{sisi}", "delivered", ok, "pending", left));
		else
			printf("delivered %d, still pending %d\n", ok, left);
		return left ? PV_EXIT_FAIL : PV_EXIT_OK;
	}
	if (argc > 1 && strcmp(argv[1], "outbox") == 0) {
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
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tail") == 0 || strcmp(argv[i], "-n") == 0) {
			if (i + 1 >= argc || (tail = pv_parse_count(argv[++i])) < 0)
				return pv_usage(cmd, "--tail needs a count (a whole number >= 0)");
		} else if (strncmp(argv[i], "--tail=", 7) == 0) {
			if ((tail = pv_parse_count(argv[i] + 7)) < 0)
				return pv_usage(cmd, "--tail needs a count (a whole number >= 0)");
		} else {
			return pv_usage(cmd, "unknown argument '%s'", argv[i]);
		}
	}
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

const struct pv_cmd pv_cmd_events = {
	"events", "show recent events, the outbox, or deliver what waits",
	"Usage: paved events [--tail N] [--json]\n"
	"       paved events outbox [--json]\n"
	"       paved events flush [--json]\n"
	"\n"
	"Every event (service.created, resource.provisioned, deploy.step, ...) is\n"
	"recorded in the state database and handed to every sink: the plugins that\n"
	"observe event:NAME, event:PREFIX.* or event:*.  A sink that fails never\n"
	"fails the command; its events wait in the outbox and are delivered, in\n"
	"order, the next time an event is emitted or on 'paved events flush'.\n"
	"\n"
	"  --tail N, -n N   show the last N events (default 20)\n"
	"  outbox           list events waiting for a sink, with the last error\n"
	"  flush            deliver waiting events now; exit 1 if some still wait\n",
	events_run, false
};

static int config_run(pv_host *h, const struct pv_cmd *cmd, int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "show") == 0)) {
		pv_print_json(json_incref(h->config));
		return PV_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "get") == 0) {
		json_t *v = pv_config_get(h->config, argv[2]);
		if (!v) {
			pv_error("config key '%s' is not set", argv[2]);
			return PV_EXIT_FAIL;
		}
		if (json_is_string(v) && !h->json)
			printf("%s\n", json_string_value(v));
		else
			pv_print_json(json_incref(v));
		return PV_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "path") == 0) {
		char *path = pv_plugin_path(h, NULL);
		if (h->json)
			pv_print_json(json_pack("{ssss}", "home", h->home, "plugin_path", path));
		else
			printf("home: %s\nplugin path: %s\n", h->home, path);
		free(path);
		return PV_EXIT_OK;
	}
	return pv_usage(cmd, "expected 'show', 'get KEY' or 'path'");
}

const struct pv_cmd pv_cmd_config = {
	"config", "show the effective configuration",
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
	config_run, true
};
