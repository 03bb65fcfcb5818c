/*
 * procs.h -- who is running, read from /proc (prefix rp_).
 *
 * A pid alone is no proof: pids are reused.  Every process the runtime
 * starts for a service (its supervisor, the replicas, whatever they fork)
 * carries the variable PAVED_RUNTIME_DIR=<the service's runtime dir> in its
 * environment, and every recorded pid comes with the process's start time
 * (field 22 of /proc/PID/stat), so the runtime can tell its own processes
 * from strangers and find what a killed supervisor left behind.
 * Linked into the plugin and into paved-supervisor; uses no paved API.
 */
#ifndef RT_PROCS_H
#define RT_PROCS_H

#include <stdbool.h>
#include <sys/types.h>

/* The variable that marks a service's processes. */
#define RP_MARK "PAVED_RUNTIME_DIR"

/* PID exists and is not a zombie. */
bool rp_alive(pid_t pid);

/* The start time of PID in clock ticks since boot, or 0 when it is gone. */
unsigned long long rp_starttime(pid_t pid);

/* PID is alive and, when STARTTIME is not 0, started then. */
bool rp_same(pid_t pid, unsigned long long starttime);

/* PID's environment holds exactly the entry KV ("NAME=value"). */
bool rp_has_env(pid_t pid, const char *kv);

/* PID's command line holds the argument ARG (and, when ARG2 is not NULL,
 * ARG2 right after it). */
bool rp_has_arg(pid_t pid, const char *arg, const char *arg2);

/* The live processes whose environment holds KV, at most MAX of them, in
 * OUT; returns how many.  Our own process is never listed. */
int rp_scan_env(const char *kv, pid_t *out, int max);

/* The live processes whose command line holds ARG then ARG2, as above. */
int rp_scan_args(const char *arg, const char *arg2, pid_t *out, int max);

/* Signal the N processes of PIDS (entries <= 0 are skipped) with SIGTERM,
 * wait up to GRACE_MS for them to go, then SIGKILL what is left and wait
 * up to 2 s more.  With GROUPS, each pid is also a process group to
 * signal.  Returns how many are still alive (0: all gone). */
int rp_stop(const pid_t *pids, int n, long grace_ms, bool groups);

/* Wait up to MS for PID to be gone; true when it is. */
bool rp_wait_gone(pid_t pid, long ms);

#endif
