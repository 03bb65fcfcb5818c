/*
 * paths.h -- names and places of the process runtime (prefix rd_).
 *
 * $PAVED_HOME/runtime/                    0700
 *   ENV/SERVICE/                          0700, the service's runtime dir:
 *     spec.json     what should run (the replicas, their variables): 0600
 *     state.json    what runs (pids, restarts), written by the supervisor
 *     supervisor.pid, supervisor.lock, supervisor.log, lock
 *     logs/ID.log   each replica's output as JSON lines (logfile.h)
 *   haproxy/                              0700, the one HAProxy of the home
 *   ports.lock
 * Linked into the plugin and into paved-supervisor; uses no paved API.
 */
#ifndef RT_PATHS_H
#define RT_PATHS_H

#include <stdbool.h>

/* A service name: [a-z][a-z0-9-]{0,62}, as sdk/hooks.json declares. */
bool rd_valid_service(const char *s);
/* An env name: [a-z][a-z0-9_-]{0,62}. */
bool rd_valid_env(const char *s);

/* HOME/runtime/ENV/SERVICE, malloc()ed (NULL on OOM). */
char *rd_service_dir(const char *home, const char *env, const char *service);
/* SDIR/NAME, malloc()ed. */
char *rd_file(const char *sdir, const char *name);
/* The environment entry that marks the processes of SDIR (procs.h). */
char *rd_mark(const char *sdir);

#endif
