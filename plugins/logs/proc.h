/*
 * proc.h -- processes found by their command line in /proc (prefix lp_),
 * shared by the logs plugin and paved-logship.  Uses no paved API.
 */
#ifndef LOGS_PROC_H
#define LOGS_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* PID exists and is not a zombie. */
bool lp_alive(pid_t pid);

/* The live processes (not this one) whose command line holds the argument
 * ARG, at most MAX of them into PIDS; returns how many. */
int lp_scan_arg(const char *arg, pid_t *pids, int max);

#endif
