/*
 * secrets.c -- credentials under $PAVED_HOME/secrets (directory 0700,
 * files 0600), one NAME.env file per resource holding "VAR=URL": the
 * environment the service gets (DATABASE_URL, REDIS_URL).  Nothing here
 * logs or emits the URL.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provision.h"

char *pc_secret_path(paved_ctx *ctx, const char *name)
{
	return pc_printf("%s/secrets/%s.env", paved->home(ctx), name);
}

int pc_secret_write(paved_ctx *ctx, const char *name, const char *var, const char *url,
                    char **errmsg)
{
	char *dir = pc_printf("%s/secrets", paved->home(ctx)), *err = NULL;
	char *path = pc_secret_path(ctx, name), *text = pc_printf("%s=%s\n", var, url);
	int rc = PAVED_ERR;
	if (!dir || !path || !text) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	if (pu_mkdirs(dir, 0700, &err) || chmod(dir, 0700) ||
	    pu_write_file(path, text, strlen(text), 0600, &err)) {
		paved->error(errmsg, "cannot store the credentials: %s",
		              err ? err : "cannot set the mode of the secrets directory");
		goto out;
	}
	rc = PAVED_OK;
out:
	if (text)
		explicit_bzero(text, strlen(text));
	free(text), free(path), free(dir), free(err);
	return rc;
}

char *pc_secret_read(paved_ctx *ctx, const char *name)
{
	char *path = pc_secret_path(ctx, name);
	char *text = path ? pu_read_file(path) : NULL, *url = NULL;
	free(path);
	if (!text)
		return NULL;
	char *eq = strchr(text, '=');
	if (eq) {
		eq[strcspn(eq, "\n")] = '\0';
		url = strdup(eq + 1);
	}
	explicit_bzero(text, strlen(text));
	free(text);
	return url;
}

void pc_secret_remove(paved_ctx *ctx, const char *name)
{
	char *path = pc_secret_path(ctx, name);
	if (path)
		unlink(path);
	free(path);
}
