/*
 * haproxy.h -- the one HAProxy of a home, in front of every service
 * (prefix rh_).
 *
 * $PAVED_HOME/runtime/haproxy/ (0700) holds haproxy.cfg, services.json
 * (the stable port of each ENV/SERVICE), haproxy.pid, admin.sock (the
 * runtime API, 0600, level admin), haproxy.log, lock and, when paved runs
 * as root, empty/ (HAProxy's chroot; it then runs as nobody).  Every
 * change (services.json, the config, a start or reload, runtime-API
 * commands) happens under lock (an flock).  The config is written to a
 * temporary file, checked with haproxy -c and renamed into place.  The
 * live HAProxy is the one its pid file names AND whose command line reads
 * `-f <this haproxy.cfg>`; a reload passes it (and any other HAProxy of
 * this home still running) to -sf, so one HAProxy serves the home, and
 * then re-applies every replica's address, weight and state from the
 * specs (a reload resets what the runtime API set).
 */
#ifndef RT_HAPROXY_H
#define RT_HAPROXY_H

#include <stdbool.h>
#include <sys/types.h>
#include <paved/plugin.h>

#define RH_SLOTS 8   /* server slots per backend: the most replicas of a service */

/* The front door port of ENV/SERVICE, or 0 when it has none. */
int rh_port(const char *home, const char *env, const char *service);

/* The live HAProxy of HOME, or 0. */
pid_t rh_live(const char *home);

/* Give ENV/SERVICE a front door (a stable port, kept in services.json)
 * and make sure HAProxy serves it; *PORT is the port. */
int rh_ensure(paved_ctx *ctx, const char *env, const char *service, int *port, char **errmsg);

/* Send the traffic state of the replicas of SPEC (borrowed) named in IDS
 * (an array of ids; NULL: every slot of the service) to HAProxy in one
 * runtime-API batch: address, weight and ready when enabled, maint when
 * not.  With START, HAProxy is started when it does not run (and a
 * service with no front door is an error); without, a service with no
 * front door or no running HAProxy has nothing to change. */
int rh_apply(paved_ctx *ctx, json_t *spec, json_t *ids, bool start, char **errmsg);

/* Remove the front door of ENV/SERVICE: reload without it, or stop
 * HAProxy when no front door is left.  No front door is fine. */
int rh_forget(paved_ctx *ctx, const char *env, const char *service, char **errmsg);

/* Stop every HAProxy of the home and check that none is left. */
int rh_stop(paved_ctx *ctx, char **errmsg);

/* The Lua action paved_traceparent (traceparent.c) written to
 * DIR/traceparent.lua when missing or different: its path (malloc()ed),
 * or NULL when it cannot be written. */
char *rh_traceparent_file(const char *dir);

#endif
