/*
 * proc.h -- run programs without a shell (prefix pv_proc_), and file tree
 * helpers (pv_rm_rf).  This is the host's one process runner: recipes reach
 * it through paved.run, plugins through api->run.
 */
#ifndef PV_PROC_H
#define PV_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <paved/plugin.h>

/* Set (by a signal handler) when paved is interrupted: programs being
 * waited for are asked to stop (SIGTERM to their group, SIGKILL 3 s
 * later). */
extern volatile int pv_interrupted;   /* sig_atomic_t is int here (checked in proc.c) */

/* A started program (paved_proc in the SDK). */
struct paved_proc;

/* Start CMD (see struct paved_cmd in paved/plugin.h).  0 with *PROC, or -1
 * with *ERRMSG when it could not be started (no such program, bad cwd). */
int  pv_proc_start(const struct paved_cmd *cmd, struct paved_proc **proc, char **errmsg);
/* Wait for PROC, collecting its output into RES (may be NULL), and free it.
 * 0, or -1 with *ERRMSG when CMD had PAVED_RUN_CHECK and the program failed
 * (RES is filled either way). */
int  pv_proc_wait(struct paved_proc *proc, struct paved_run_result *res, char **errmsg);
/* Start and wait. */
int  pv_proc_run(const struct paved_cmd *cmd, struct paved_run_result *res, char **errmsg);
/* pv_proc_run capturing at most MAX_CAPTURE bytes of stdout and of stderr:
 * past it the program's process group is killed and *OVERFLOW set. */
int  pv_proc_run_capped(const struct paved_cmd *cmd, size_t max_capture, bool *overflow,
                        struct paved_run_result *res, char **errmsg);
void pv_proc_result_free(struct paved_run_result *res);

/* rm -rf PATH (does not follow symlinks).  0 or -1 with *ERRMSG. */
int  pv_rm_rf(const char *path, char **errmsg);

#endif
