/*
 * failsink -- a test sink that observes event:* and appends "ID NAME" per
 * delivered event to $PAVED_HOME/failsink.log.  While the option
 * plugins.failsink.fail is true, or the file $PAVED_HOME/failsink.down
 * exists, it fails instead, so the event must wait in the outbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static char *home_file(paved_ctx *ctx, const char *name)
{
	const char *home = paved->home(ctx);
	size_t n = strlen(home) + strlen(name) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", home, name);
	return s;
}

static int sink(paved_ctx *ctx, json_t *ev, json_t **result, char **errmsg, void *data)
{
	(void)result, (void)data;
	char *down = home_file(ctx, "failsink.down"), *log = home_file(ctx, "failsink.log");
	int rc = PAVED_OK;
	if (!down || !log) {
		rc = paved->error(errmsg, "out of memory");
	} else if (json_is_true(paved->option(ctx, "fail"))) {
		rc = paved->error(errmsg, "sink is down (plugins.failsink.fail is true)");
	} else if (access(down, F_OK) == 0) {
		rc = paved->error(errmsg, "sink is down (%s exists)", down);
	} else {
		FILE *f = fopen(log, "a");
		if (!f) {
			rc = paved->error(errmsg, "cannot open %s", log);
		} else {
			fprintf(f, "%lld %s\n", (long long)json_integer_value(json_object_get(ev, "id")),
			        json_string_value(json_object_get(ev, "event")));
			fclose(f);
		}
	}
	free(down);
	free(log);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->observe(ctx, "event:*", 50, sink, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "fail", PAVED_OPT_BOOL, "false", "fail every delivery" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(failsink, "1.0.0", "test sink that can be made to fail", init, NULL, options);
