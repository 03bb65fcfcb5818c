/*
 * runtime.h -- the hooks of runtime_process: runtime.driver.process.VERB
 * for every verb of the runtime area of sdk/hooks.json.
 *   verbs.c   (rv_)  ensure, start, wait, enable, disable, weights, remove, prune
 *   report.c  (rq_)  status, stop, destroy, logs
 * plugin.c registers them and declares the options.
 */
#ifndef RT_RUNTIME_H
#define RT_RUNTIME_H

#include <paved/plugin.h>

#define RT_HOOK(name) int name(paved_ctx *ctx, json_t *args, json_t **result, \
                               char **errmsg, void *data)
RT_HOOK(rv_ensure);
RT_HOOK(rv_start);
RT_HOOK(rv_wait);
RT_HOOK(rv_enable);
RT_HOOK(rv_disable);
RT_HOOK(rv_weights);
RT_HOOK(rv_remove);
RT_HOOK(rv_prune);
RT_HOOK(rq_status);
RT_HOOK(rq_stop);
RT_HOOK(rq_destroy);
RT_HOOK(rq_logs);

/* The option NAME (an integer) of the plugin, at least MIN. */
long rv_option(paved_ctx *ctx, const char *name, long min);

#endif
