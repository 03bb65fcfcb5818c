/*
 * sup.h -- the replica table of paved-supervisor (sup_replicas.c, prefix
 * sr_).  supervisor.c owns the process (detaching, locks, signals, the
 * poll loop); sup_replicas.c owns the replicas: it forks them, reads their
 * output into their logs, reaps them, restarts them with backoff and
 * writes state.json.
 */
#ifndef RT_SUP_H
#define RT_SUP_H

#include <poll.h>
#include <stdbool.h>
#include <jansson.h>

/* Start with no replica; SDIR is the service's runtime dir (borrowed, kept). */
void sr_init(const char *sdir);

/* Make the table follow SPEC (borrowed): replicas new in it are started,
 * those gone from it are stopped (SIGTERM to their process group, SIGKILL
 * after the spec's stop_grace).  With STOP_ALL every replica is stopped. */
void sr_sync(json_t *spec, bool stop_all);

/* Reap the children that exited and plan the restart of those still in
 * the spec (backoff 0.5 s doubling to 30 s, reset after 10 s up). */
void sr_reap(void);

/* Start the replicas whose time has come, SIGKILL those past their stop
 * grace, forget the stopped ones.  Returns the ms until the next timed
 * event, or -1 for none. */
long sr_tick(void);

/* The open output pipes, as pollfds (at most MAX); how many. */
int  sr_pollfds(struct pollfd *fds, int max);
/* Read what the pipes of FDS (from sr_pollfds) have ready into the logs. */
void sr_read(const struct pollfd *fds, int n);

/* How many replicas are tracked (running, in backoff or stopping). */
int  sr_count(void);

/* Write state.json when something changed since the last call. */
void sr_save_state(void);

/* The supervisor's own log line (stderr, which is supervisor.log). */
void sr_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
