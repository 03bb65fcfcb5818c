/*
 * jsonl -- the simplest sink: every event as one JSON line in a file.
 *
 * Observes event:*.  Each event is appended with a single write(2) on a
 * file opened O_APPEND, so concurrent paved processes never interleave
 * lines.  A failed write returns an error; the host keeps the event in the
 * outbox and hands it over again later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

/* The configured file, or $PAVED_HOME/logs/events.jsonl.  Caller frees. */
static char *target(paved_ctx *ctx)
{
	const char *p = json_string_value(paved->option(ctx, "path"));
	const char *home = paved->home(ctx);
	if (p && *p)
		return strdup(p);
	size_t n = strlen(home) + sizeof "/logs/events.jsonl";
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/logs/events.jsonl", home);
	return s;
}

/* Append EVENT (borrowed) as one line. */
static int write_event(paved_ctx *ctx, json_t *event, json_t **result, char **errmsg,
                       void *data)
{
	(void)result, (void)data;
	char *path = target(ctx);
	char *line = json_dumps(event, JSON_COMPACT);
	int rc = PAVED_OK, fd = -1;
	if (!path || !line) {
		rc = paved->error(errmsg, "out of memory");
		goto done;
	}
	size_t n = strlen(line);
	line[n++] = '\n';  /* replaces the NUL: the buffer is written by length */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = paved->error(errmsg, "cannot open %s: %s", path, strerror(errno));
		goto done;
	}
	if (write(fd, line, n) != (ssize_t)n)
		rc = paved->error(errmsg, "cannot write %s: %s", path, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	free(line);
	free(path);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->observe(ctx, "event:*", 100, write_event, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "path", PAVED_OPT_STRING, NULL,
	  "file to append events to (default $PAVED_HOME/logs/events.jsonl)" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(jsonl, "1.0.0", "writes every event as one JSON line to a file",
                     init, NULL, options);
