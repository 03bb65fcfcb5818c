/* {{name}}: traces. W3C trace context in, one SERVER span per request,
 * spans out over OTLP/HTTP as JSON from a background thread. No SDK and no
 * HTTP library: a plain socket POST to an http:// collector.
 *
 * Environment (read by exporter_start):
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  full URL spans are POSTed to (wins)
 *   OTEL_EXPORTER_OTLP_ENDPOINT         base URL; spans go to BASE/v1/traces
 *   OTEL_SERVICE_NAME                   resource service.name (default: this service)
 *   OTEL_RESOURCE_ATTRIBUTES            key=value,key2=value2 (values percent-decoded)
 *   OTEL_BSP_SCHEDULE_DELAY             ms between exports (default 5000)
 *   OTEL_BSP_MAX_QUEUE_SIZE             spans waiting at most (default 2048); more are dropped
 *   OTEL_EXPORTER_OTLP_TIMEOUT          ms one export may take (default 10000)
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

/* The context of a request's SERVER span. */
struct span {
	char trace_id[33], span_id[17], parent_id[17], flags[3];
	int has_parent;
	uint64_t start_unix_ns;     /* wall clock, for the span's start time */
	struct timespec start_mono; /* monotonic, for its duration */
};

/* Split a traceparent header into its ids and flags. 0 when it is valid
 * (version 00, lowercase hex, non-zero ids), -1 otherwise. */
int trace_parse(const char *header, char trace_id[33], char parent_id[17], char flags[3]);
/* Start a span: continue header's trace when it is valid, else start a new,
 * sampled trace (header may be NULL). */
void span_start(struct span *s, const char *header);
/* Only sampled spans are exported (the OTel default: parent-based, always on). */
int span_sampled(const struct span *s);
/* The traceparent header naming this span (echoed on the response). */
void span_traceparent(const struct span *s, char out[56]);
/* Append the OTLP JSON object of a finished request span (HTTP server
 * semconv). method is the metrics label (_OTHER for unknown ones); route
 * may be NULL. */
void span_otlp_json(struct buf *b, const struct span *s, const char *method, const char *route,
                    const char *path, unsigned status, uint64_t end_unix_ns);

/* Where spans go, from the environment: a malloc()ed URL, or NULL. */
char *trace_endpoint_from_env(void);
/* Append the JSON array of resource attributes: OTEL_RESOURCE_ATTRIBUTES,
 * with service.name from OTEL_SERVICE_NAME (which wins), else from the
 * list, else service_name. */
void trace_resource_attributes(struct buf *b, const char *service_name);

struct exporter;

/* Start the exporter thread when an endpoint is configured. Returns NULL
 * with *err NULL when none is; NULL with a malloc()ed *err when the
 * endpoint cannot be used (not http://, no host) or the thread failed.
 * Failed exports are logged (as warnings) to log. */
struct exporter *exporter_start(const char *service_name, FILE *log, char **err);
/* Queue one span (a malloc()ed JSON object, owned by the exporter from
 * now on). Never blocks on the network: a full queue drops the span. */
void exporter_add(struct exporter *e, char *span_json);
/* Send what is queued (for at most OTEL_EXPORTER_OTLP_TIMEOUT), stop the
 * thread and free everything. Returns the number of spans exported. */
unsigned long long exporter_stop(struct exporter *e);
unsigned long long exporter_exported(struct exporter *e);
unsigned long long exporter_dropped(struct exporter *e);
/* The endpoint, for logs (scheme, host, port and path only). */
const char *exporter_endpoint(const struct exporter *e);

#endif /* TRACE_H */
