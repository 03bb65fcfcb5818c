/* util.h -- small helpers shared by runtime_process and deploy_rolling:
 * files, JSON files, processes run by argv, ports and a raw HTTP probe. */
#ifndef RT_UTIL_H
#define RT_UTIL_H
#include <jansson.h>
#include <sys/types.h>

#include "pc.h"

json_t *ru_read_json(const char *path);                /* new ref or NULL */
int     ru_write_json(const char *path, json_t *v);     /* atomic (rename) */
double  ru_now(void);
int     ru_pid_alive(pid_t pid);
pid_t   ru_read_pid(const char *path);                  /* 0 if none/dead */
/* Run ARGV (no shell) in CWD; stdout+stderr appended to LOG (NULL: /dev/null)
 * or captured into *OUT (malloc()ed) when OUT is not NULL.  Returns the exit
 * status, 127 when it cannot start, 128+N on signal, 124 on TIMEOUT (s). */
int     ru_run(char *const argv[], const char *cwd, const char *log, char **out, int timeout);
/* A free loopback TCP port, or 0 with errno set. */
int     ru_free_port(void);
/* 1 if loopback TCP PORT can be bound now. */
int     ru_port_free(int port);
/* GET PATH on 127.0.0.1:PORT; the HTTP status, or -1 (no answer). */
int     ru_http_get(int port, const char *path, int timeout_ms, char *body, size_t bodylen);
/* Search PATH for an executable NAME; 1 if found. */
int     ru_in_path(const char *name);
#endif
