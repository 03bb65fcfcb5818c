/* runtime.h -- internals of the runtime_process plugin. */
#ifndef RT_RUNTIME_H
#define RT_RUNTIME_H
#include <paved/plugin.h>
#include "util.h"

#define RT_SLOTS 8   /* server slots per HAProxy backend */

/* supervisor.c: make sure the supervisor of service dir SDIR runs (and
 * has re-read its spec); logs go to LOGDIR.  0 or -1. */
int rt_supervise(const char *sdir, const char *logdir);

/* haproxy.c */
/* Write the config from every service's spec and start or reload HAProxy. */
int rt_haproxy_sync(const char *home, char **msg);
/* One runtime API command over the admin socket; the answer in *OUT. */
int rt_haproxy_cmd(const char *home, const char *cmd, char **out);
int rt_haproxy_stop(const char *home);
/* $PAVED_HOME/runtime/haproxy/services.json, {"ENV/SERVICE": {service, env,
 * port}}: its path (caller frees) and its contents (new reference; {} when
 * the file is absent or unreadable). */
char   *rt_services_path(const char *home);
json_t *rt_services_load(const char *home);
#endif
