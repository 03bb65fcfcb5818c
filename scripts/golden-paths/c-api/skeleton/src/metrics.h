/* {{name}}: RED metrics in the OpenTelemetry shape, served in the
 * Prometheus text format.
 *
 * One histogram, http_server_request_duration_seconds, with the OTel HTTP
 * server-duration buckets and the labels http_request_method,
 * http_response_status_code, http_route (absent for an unmatched path) and
 * error_type (5xx only). Its _count is the request rate, so no separate
 * request counter is kept. */
#ifndef METRICS_H
#define METRICS_H

#include "util.h"

#define METRICS_NAME "http_server_request_duration_seconds"
/* At most this many series (method x status x route); more are not recorded.
 * The label values come from fixed sets, so a service stays far below it. */
#define METRICS_MAX_SERIES 256

struct metrics;

/* A new recorder; enabled 0 (METRICS=off) records and renders nothing.
 * NULL when out of memory. */
struct metrics *metrics_new(int enabled);
void metrics_free(struct metrics *m);
int metrics_enabled(const struct metrics *m);

/* Record one request. route is a route template (a static string) or NULL. */
void metrics_observe(struct metrics *m, const char *method, unsigned status, const char *route,
                     double seconds);
/* Append the exposition (nothing at all when disabled). */
void metrics_render(struct metrics *m, struct buf *b);

/* The method as a label value: one of the nine HTTP methods, else "_OTHER". */
const char *metrics_method_label(const char *method);

#endif /* METRICS_H */
