/*
 * pc.h -- small helpers the bundled plugins share: formatted strings,
 * mkdir -p, rm -rf, calling a hook for its status alone.
 *
 * Not part of the SDK: a plugin sees only the ABI, so before this each
 * bundled plugin carried its own copy of these.  They are linked in as a
 * convenience library (plugins/common/libpc.la); out-of-tree plugins write
 * their own or use any library they like.
 */
#ifndef PAVED_PC_H
#define PAVED_PC_H

#include <stdarg.h>
#include <sys/types.h>
#include <paved/plugin.h>

/* A malloc()ed formatted string, or NULL when out of memory. */
char *pc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pc_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Create PATH and its missing parents with MODE (before the umask); an
 * existing directory is fine.  0, or -1 with errno set. */
int pc_mkdir_p(const char *path, mode_t mode);

/* Remove PATH and everything below it, without following symbolic links;
 * a missing PATH is fine.  0, or -1 with errno set. */
int pc_rmtree(const char *path);

/* paved->call(), with *RESULT taken when RESULT is not NULL and dropped
 * otherwise; ERRMSG may be NULL too.  Returns what the call returned.
 * Uses the plugin's own `paved` table (PAVED_PLUGIN_INIT1). */
int pc_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result, char **errmsg);

#endif /* PAVED_PC_H */
