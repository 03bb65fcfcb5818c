/*
 * control.h -- starting, finding and stopping a service's processes
 * (prefix rc_).
 *
 * The supervisor is the executable paved-supervisor, started with
 * paved->run as `paved-supervisor --detach SERVICE ENV`: it puts itself in
 * a new session and returns once the supervisor holds its lock.  The
 * plugin finds it in the build tree when the plugin itself was loaded from
 * the build tree, else in $(pkglibexecdir).  Every process of a service
 * carries the mark PAVED_RUNTIME_DIR=<its runtime dir> (procs.h): that is
 * how a stop finds what a killed supervisor left behind.
 */
#ifndef RT_CONTROL_H
#define RT_CONTROL_H

#include <sys/types.h>
#include "spec.h"

/* The paved-supervisor this plugin runs (a static string). */
const char *rc_supervisor_path(void);

/* The live supervisor of SDIR, checked by its pid file, its title and its
 * mark; 0 when none runs. */
pid_t rc_supervisor(const char *sdir);

/* The live pid of replica ID by STATE (state.json), checked by its start
 * time; 0 when it does not run. */
pid_t rc_replica_pid(json_t *state, const char *id);

/* Make S's supervisor follow its spec: signal the live one (SIGHUP), or
 * stop what a dead one left behind and start a new one.  Hold S's lock. */
int rc_supervise(paved_ctx *ctx, struct rs_svc *s, char **errmsg);

/* Stop every process of S: its supervisor (SIGTERM: it stops its
 * replicas), then whatever still carries the mark or a recorded pid
 * (SIGTERM, SIGKILL after GRACE_MS), and check that none is left.
 * *COUNT: how many processes there were.  Hold S's lock, with the spec
 * emptied first so nothing is restarted. */
int rc_stop(paved_ctx *ctx, struct rs_svc *s, long grace_ms, int *count, char **errmsg);

/* After replica PID was removed from the spec and the supervisor told:
 * wait for it to go (GRACE_MS and 2 s), and stop it (and its process
 * group) ourselves when it does not. */
int rc_reap_replica(struct rs_svc *s, pid_t pid, long grace_ms, char **errmsg);

#endif
