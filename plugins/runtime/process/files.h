/*
 * files.h -- private files of the process runtime (prefix rf_).
 *
 * Everything under $PAVED_HOME/runtime/ may hold a service's variables
 * (DATABASE_URL and the like), so every directory made here is 0700 and
 * every file 0600, created with mkstemp (O_EXCL) and renamed into place.
 * Linked into the plugin and into paved-supervisor; uses no paved API.
 */
#ifndef RT_FILES_H
#define RT_FILES_H

#include <stddef.h>
#include <jansson.h>

/* Make ROOT/REL and every missing directory between them 0700; an existing
 * one must be a real directory owned by us and loses group and other
 * permissions.  ROOT itself must exist.  0, or -1 with errno set. */
int rf_private_dir(const char *root, const char *rel);

/* Replace PATH with LEN bytes of DATA: a mkstemp file (0600) beside it,
 * written, flushed and renamed over PATH.  0, or -1 with errno set. */
int rf_write_atomic(const char *path, const char *data, size_t len);

/* The same for a JSON value (indented, keys sorted). */
int rf_write_json(const char *path, json_t *v);

/* PATH parsed as JSON: a new reference, or NULL (absent or unreadable). */
json_t *rf_read_json(const char *path);

/* Open (creating 0600) the lock file PATH and flock() it: exclusive, or
 * shared with SHARED; with NOWAIT fail at once when it is held.  The fd
 * (close-on-exec) to pass to rf_unlock, or -1 with errno set (EWOULDBLOCK
 * when held). */
int rf_lock(const char *path, int shared, int nowait);
void rf_unlock(int fd);

#endif
