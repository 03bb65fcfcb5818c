/*
 * build.c -- where releases live and how they are built.
 *
 * A release is $PAVED_HOME/deploy/releases/SERVICE/ENV/ID: the files of
 * one commit (checked out by source.c), built in place by platform.yaml's
 * deploy.build (argv, no shell, through the host's runner), output
 * appended to $PAVED_HOME/logs/ENV/SERVICE/build-ID.log.  The replicas
 * run from it; rollback reuses it as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deploy.h"

char *dc_release_dir(paved_ctx *ctx, const char *svc, const char *env, const char *id)
{
	if (!env)
		return pc_printf("%s/deploy/releases/%s", paved->home(ctx), svc);
	if (!id)
		return pc_printf("%s/deploy/releases/%s/%s", paved->home(ctx), svc, env);
	return pc_printf("%s/deploy/releases/%s/%s/%s", paved->home(ctx), svc, env, id);
}

char *dc_build_log(paved_ctx *ctx, const char *svc, const char *env, const char *id)
{
	return pc_printf("%s/logs/%s/%s/build-%s.log", paved->home(ctx), env, svc, id);
}

/* The last non-empty line of file PATH from byte OFF on, into BUF. */
static const char *last_line(const char *path, long off, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	buf[0] = '\0';
	if (!f)
		return buf;
	fseek(f, off, SEEK_SET);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (*line)
			snprintf(buf, len, "%.*s", (int)(len - 1), line);
	}
	fclose(f);
	return buf;
}

int dc_build(paved_ctx *ctx, json_t *argv, const char *text, const char *dir, const char *log,
             char **errmsg)
{
	size_t n = json_array_size(argv);
	const char **av = calloc(n + 1, sizeof *av);
	char *logdir = strdup(log), *slash = logdir ? strrchr(logdir, '/') : NULL, *err = NULL;
	struct stat st;
	struct paved_run_result res = { 0 };
	json_t *t = paved->option(ctx, "build_timeout");
	int rc = PAVED_ERR;
	if (!av || !logdir) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		av[i] = json_string_value(json_array_get(argv, i));
	if (slash)
		*slash = '\0';
	pc_mkdir_p(logdir, 0755);
	long off = stat(log, &st) == 0 ? (long)st.st_size : 0;
	long secs = json_is_integer(t) ? (long)json_integer_value(t) : 600;
	struct paved_cmd cmd = { .argv = av, .cwd = dir, .log = log, .timeout_ms = secs * 1000 };
	if (paved->run(ctx, &cmd, &res, &err) != PAVED_OK) {
		paved->error(errmsg, "cannot run the build command '%s': %s", text, err ? err : "?");
		goto done;
	}
	if (res.timed_out) {
		paved->error(errmsg, "the build command '%s' timed out after %ld s (full output: %s)",
		             text, secs, log);
		goto done;
	}
	if (res.status != 0) {
		char line[400];
		last_line(log, off, line, sizeof line);
		paved->error(errmsg, "the build command '%s' failed (exit %d)%s%s (full output: %s)",
		             text, res.status, *line ? ": " : "", line, log);
		goto done;
	}
	rc = PAVED_OK;
done:
	free(av), free(logdir), free(err), free(res.out), free(res.err);
	return rc;
}
