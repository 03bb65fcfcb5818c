/*
 * prutil.h -- helpers shared by the provision plugins (compiled into each
 * of them; nothing here is exported from a plugin).  Prefix pu_.
 *
 * Every function that can fail returns 0 on success or -1 with *ERR set to
 * a malloc()ed one-line message the caller frees.
 */
#ifndef PRUTIL_H
#define PRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pc.h"

/* Set *ERR to a formatted message; returns -1. */
int pu_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run ARGV (argv[0] looked up in PATH; no shell) with stdin from
 * /dev/null.  ENV_SET (NULL or NULL-terminated "K=V" strings) is added
 * to the environment.  TIMEOUT_MS > 0 kills it after that long.
 * *OUT and *ERRTEXT (either may be NULL) get its stdout and stderr
 * (malloc()ed, up to 64 KiB each).  Returns the exit status (0..255),
 * 128+signal when killed, or -1 with *ERR set when it could not run. */
int pu_run(const char *const argv[], char *const env_set[], int timeout_ms,
           char **out, char **errtext, char **err);

/* The last non-empty line of TEXT (malloc()ed, "" if none). */
char *pu_last_line(const char *text);
/* The last non-empty line of file PATH, or NULL. */
char *pu_file_last_line(const char *path);

/* A free TCP port on 127.0.0.1 (bound and released), or -1 with *ERR. */
int pu_free_port(int *port, char **err);
/* True if something listens on (or holds) 127.0.0.1:PORT. */
bool pu_port_taken(int port);

/* NBYTES random bytes from getrandom(2) as 2*NBYTES lowercase hex digits
 * into OUT (size >= 2*NBYTES + 1). */
int pu_random_hex(char *out, size_t nbytes, char **err);

/* mkdir -p with MODE for created directories. */
int pu_mkdirs(const char *path, mode_t mode, char **err);
/* rm -rf PATH (no error if missing). */
int pu_rmtree(const char *path, char **err);
/* Write DATA to PATH atomically (temporary file + rename), mode MODE. */
int pu_write_file(const char *path, const char *data, size_t len, mode_t mode, char **err);
/* Whole file as a malloc()ed NUL-terminated string, or NULL (errno). */
char *pu_read_file(const char *path);

/* Percent-encode S for a URL user, password or path component. */
char *pu_urlencode(const char *s);

/* Milliseconds from a monotonic clock. */
double pu_now_ms(void);

#endif
