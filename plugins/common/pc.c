/*
 * pc.c -- helpers shared by the bundled plugins (see pc.h).
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pc.h"

char *pc_vprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *pc_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

PAVED_PLUGIN_INIT3;

int pc_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result, char **errmsg)
{
	json_t *r = NULL;
	int rc = paved->call(ctx, hook, args, &r, errmsg);
	if (result)
		*result = r;
	else
		json_decref(r);
	return rc;
}

int pc_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		if (!(*s = c))
			break;
	}
	free(p);
	return 0;
}

/* nftw callback: remove one entry (children come first, FTW_DEPTH). */
static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int pc_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int pc_provide_verbs(paved_ctx *ctx, const char *prefix, const char *const *verbs,
                     paved_fn fn, char **errmsg)
{
	for (long i = 0; verbs[i]; i++) {
		char *hook = pc_printf("%s.%s", prefix, verbs[i]);
		int rc = hook ? paved->provide(ctx, hook, fn, (void *)i, NULL, errmsg)
		              : paved->error(errmsg, "out of memory");
		free(hook);
		if (rc != PAVED_OK)
			return rc;
	}
	return PAVED_OK;
}

int pc_provide_all(paved_ctx *ctx, const struct pc_hook *hooks, size_t nhooks,
                   const struct pc_cmd *cmds, size_t ncmds, char **errmsg)
{
	for (size_t i = 0; i < nhooks; i++)
		if (paved->provide(ctx, hooks[i].hook, hooks[i].fn, NULL, NULL, errmsg))
			return PAVED_ERR;
	for (size_t i = 0; i < ncmds; i++)
		if (paved->provide_command(ctx, cmds[i].name, cmds[i].summary, cmds[i].fn, NULL, NULL,
		                           errmsg))
			return PAVED_ERR;
	return PAVED_OK;
}

char *pc_keys(json_t *obj)
{
	char *s = strdup("");
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		char *t = s ? pc_printf("%s%s%s", s, *s ? ", " : "", k) : NULL;
		free(s);
		s = t;
	}
	return s;
}

int pc_refuse(char **errmsg, const char *name, const char *field, const char *old,
              const char *now, const char *what, const char *list)
{
	if (old && strcmp(old, now))
		return paved->error(errmsg, "resource '%s': %s: %s -> %s is not %s (%s)", name, field,
		                    old, now, what, list);
	return paved->error(errmsg, "resource '%s': %s '%s' is not %s (%s)", name, field, now, what,
	                    list);
}

void pc_unknown_params(paved_ctx *ctx, json_t *res, const char *driver,
                       const char *const *known)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(res, "params"), k, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], k))
			i++;
		if (!known[i])
			paved->log(ctx, PAVED_LOG_WARN, "resource '%s': params.%s means nothing to the %s "
			           "driver: ignored", json_string_value(json_object_get(res, "name")), k,
			           driver);
	}
}

double pc_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void pc_step(paved_ctx *ctx, json_t *steps, double t0, json_t *fields, const char *fmt, ...)
{
	va_list ap;
	char text[600];
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_array_append_new(steps, json_pack("{sf ss}", "seconds", pc_now() - t0, "step", text));
	json_t *ev = fields ? json_copy(fields) : json_object();
	json_object_set_new(ev, "step", json_string(text));
	paved->emit(ctx, "deploy.step", ev);
	json_decref(ev);
}

int pc_replica_call(paved_ctx *ctx, const char *hook, const char *svc, const char *env, json_t *id,
                    json_t *extra, char **errmsg)
{
	json_t *a = json_pack("{ss ss sO}", "service", svc, "env", env, "id", id);
	if (extra)
		json_object_update(a, extra);
	int rc = pc_call(ctx, hook, a, NULL, errmsg);
	json_decref(a);
	return rc;
}
