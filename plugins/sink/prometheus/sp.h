/*
 * sp.h -- the sink sink_prometheus: paved's own metrics, kept from the
 * events it observes (sink.c) and written in Prometheus's text format
 * (expo.c) for paved-metricsd to serve.  Prefix sp_.
 */
#ifndef SP_H
#define SP_H

#include <jansson.h>

/* The metric families and their bucket bounds (seconds). */
#define SP_DEPLOYS    "paved_deploys_total"
#define SP_DEPLOY_S   "paved_deploy_duration_seconds"
#define SP_RUNS       "paved_golden_path_runs_total"
#define SP_PROV_S     "paved_provision_duration_seconds"
#define SP_RESOURCES  "paved_resources_total"
#define SP_EVENTS     "paved_events_total"

/* Count one in counter FAMILY of STATE for the labels LABELS (an object of
 * strings). */
void sp_count(json_t *state, const char *family, json_t *labels);
/* Observe V seconds in histogram FAMILY of STATE for LABELS. */
void sp_observe(json_t *state, const char *family, json_t *labels, double v);
/* STATE as the text exposition format (malloc()ed): every family with its
 * HELP and TYPE lines, series sorted. */
char *sp_render(json_t *state);

#endif
