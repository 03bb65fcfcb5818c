/*
 * state_runs.h -- recording golden-path runs (state_runs.c).
 */
#ifndef PV_STATE_RUNS_H
#define PV_STATE_RUNS_H

#include "host.h"

int     pv_run_begin(pv_host *h, const char *recipe, json_t *params, const char *target,
                     long long *id, char **errmsg);
int     pv_run_save_ctx(pv_host *h, long long id, json_t *ctx);
int     pv_run_claim(pv_host *h, long long id, const char *from, const char *to);
json_t *pv_runs_reap(pv_host *h);
json_t *pv_run_journal(pv_host *h, long long id);
json_t *pv_run_steps(pv_host *h, long long id);
int     pv_run_step(pv_host *h, long long id, int seq, const char *title, const char *status,
                    const char *detail);
int     pv_run_end(pv_host *h, long long id, const char *status, const char *error);
json_t *pv_runs_list(pv_host *h, int limit, long long only);

#endif
