/*
 * otlp -- a sink that ships paved's own events as OpenTelemetry logs:
 * OTLP/HTTP with JSON encoding, one POST of an ExportLogsServiceRequest
 * per event to ENDPOINT/v1/logs (libcurl).
 *
 * Observes event:* (priority 100).  The event {time, event, source, data,
 * id} becomes one LogRecord:
 *   timeUnixNano      the event's time (observedTimeUnixNano: now)
 *   severityNumber    9 INFO; 13 WARN for events whose name says a failure
 *                     (failed, rolled_back, error)
 *   body              the event's name
 *   attributes        event.name, paved.event.id, paved.source, and each
 *                     field of data as paved.data.KEY (strings, integers,
 *                     doubles, booleans as such; objects and arrays as
 *                     their JSON text); a data.trace_id / data.span_id of
 *                     the W3C form also become the record's traceId/spanId
 * under a resource with service.name (option service_name, "paved") and
 * the scope "paved".  Any 2xx answer is a delivery (OTLP's partial_success
 * is not an error: the collector took the request).  Anything else, a
 * transport failure or an unset endpoint is an error naming the URL, and
 * the host keeps the event in the outbox for a later run, as for every sink.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <paved/plugin.h>

#include "pchttp.h"

PAVED_PLUGIN_INIT1;
static bool curl_ready;

/* Up to this much of a failed answer's body is quoted in the error. */
#define SNIPPET_MAX 160

/* "2025-01-31T12:00:00.123Z" (or without the fraction) as a decimal
 * string of nanoseconds since the epoch, into OUT; "0" when bad. */
static void time_ns(const char *s, char out[32])
{
	struct tm tm = { 0 };
	int used = 0;
	long frac = 0;
	snprintf(out, 32, "0");
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return;
	const char *p = s + used;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++)
			if (digits++ < 9)
				frac = frac * 10 + (*p - '0');
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (*p != 'Z' && *p != '\0')
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	snprintf(out, 32, "%lld%09ld", (long long)timegm(&tm), frac);
}

/* An OTLP AnyValue for the JSON value V. */
static json_t *any_value(json_t *v)
{
	if (json_is_string(v))
		return json_pack("{sO}", "stringValue", v);
	if (json_is_integer(v))   /* int64 as a decimal string (proto3 JSON) */
		return json_pack("{so}", "intValue", json_sprintf("%lld",
		                 (long long)json_integer_value(v)));
	if (json_is_real(v))
		return json_pack("{sf}", "doubleValue", json_real_value(v));
	if (json_is_boolean(v))
		return json_pack("{sb}", "boolValue", json_is_true(v));
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	json_t *a = json_pack("{ss}", "stringValue", text ? text : "null");
	free(text);
	return a;
}

static void attr(json_t *attrs, const char *key, json_t *value /* stolen */)
{
	json_array_append_new(attrs, json_pack("{ss so}", "key", key, "value", value));
}

/* Is S N lowercase hex digits, not all zero? */
static bool w3c_id(const char *s, size_t n)
{
	bool nonzero = false;
	if (!s || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
		nonzero |= s[i] != '0';
	}
	return nonzero;
}

/* The ExportLogsServiceRequest for EVENT (new). */
static json_t *request_of(paved_ctx *ctx, json_t *event)
{
	const char *name = json_string_value(json_object_get(event, "event")) ?: "event";
	const char *source = json_string_value(json_object_get(event, "source"));
	const char *svc = json_string_value(paved->option(ctx, "service_name"));
	json_t *data = json_object_get(event, "data"), *attrs = json_array(), *v;
	char ts[32], now[32], host[256] = "";
	struct timespec t;
	const char *k;
	time_ns(json_string_value(json_object_get(event, "time")), ts);
	clock_gettime(CLOCK_REALTIME, &t);
	snprintf(now, sizeof now, "%lld%09ld", (long long)t.tv_sec, t.tv_nsec);
	if (!strcmp(ts, "0"))
		snprintf(ts, sizeof ts, "%s", now);
	attr(attrs, "event.name", json_pack("{ss}", "stringValue", name));
	if (json_is_integer(json_object_get(event, "id")))
		attr(attrs, "paved.event.id", any_value(json_object_get(event, "id")));
	if (source)
		attr(attrs, "paved.source", json_pack("{ss}", "stringValue", source));
	json_object_foreach(data, k, v) {
		json_t *key = json_sprintf("paved.data.%s", k);
		attr(attrs, json_string_value(key), any_value(v));
		json_decref(key);
	}
	bool bad = strstr(name, "fail") || strstr(name, "rolled_back") || strstr(name, "error");
	json_t *rec = json_pack("{ss ss si ss s{ss} so}", "timeUnixNano", ts,
	                        "observedTimeUnixNano", now, "severityNumber", bad ? 13 : 9,
	                        "severityText", bad ? "WARN" : "INFO", "body", "stringValue", name,
	                        "attributes", attrs);
	const char *tid = json_string_value(json_object_get(data, "trace_id"));
	const char *sid = json_string_value(json_object_get(data, "span_id"));
	if (w3c_id(tid, 32))
		json_object_set_new(rec, "traceId", json_string(tid));
	if (w3c_id(sid, 16))
		json_object_set_new(rec, "spanId", json_string(sid));
	gethostname(host, sizeof host - 1);
	return json_pack("{s[{s{s[{ss s{ss}} {ss s{ss}}]} s[{s{ss ss} s[o]}]}]}",
	                 "resourceLogs", "resource", "attributes",
	                 "key", "service.name", "value", "stringValue", svc && *svc ? svc : "paved",
	                 "key", "host.name", "value", "stringValue", host,
	                 "scopeLogs", "scope", "name", "paved", "version", "1.0.0",
	                 "logRecords", rec);
}

/* ENDPOINT/v1/logs (an endpoint that already ends so is used as it is). */
static char *logs_url(const char *endpoint)
{
	size_t n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	char *u = malloc(n + sizeof "/v1/logs");
	if (!u)
		return NULL;
	bool has = n >= 8 && !strncmp(endpoint + n - 8, "/v1/logs", 8);
	snprintf(u, n + sizeof "/v1/logs", "%.*s%s", (int)n, endpoint, has ? "" : "/v1/logs");
	return u;
}

/* Deliver EVENT (borrowed): one POST, on a libcurl handle of its own. */
static int post_event(paved_ctx *ctx, json_t *event, json_t **result, char **errmsg, void *data)
{
	(void)result, (void)data;
	const char *endpoint = json_string_value(paved->option(ctx, "endpoint"));
	json_int_t timeout = json_integer_value(paved->option(ctx, "timeout_ms"));
	struct curl_slist *headers = NULL;
	struct pchttp_answer answer = { .body = NULL };
	char *body = NULL, *url = NULL;
	int rc = PAVED_OK;
	pchttp *h = NULL;
	if (!endpoint || !*endpoint)
		return paved->error(errmsg, "plugins.otlp.endpoint is not set; set it to the OTLP/HTTP "
		                    "endpoint (e.g. http://127.0.0.1:4318) in $PAVED_HOME/config.json "
		                    "or with -c plugins.otlp.endpoint=URL");
	if (timeout <= 0)
		return paved->error(errmsg, "option plugins.otlp.timeout_ms must be a positive number "
		                    "of milliseconds, not %lld", (long long)timeout);
	if (!curl_ready || !(h = pchttp_new()))
		return paved->error(errmsg, "libcurl could not be initialised");
	json_t *req = request_of(ctx, event);
	if (!req || !(body = json_dumps(req, JSON_COMPACT)) || !(url = logs_url(endpoint))) {
		json_decref(req);
		rc = paved->error(errmsg, "cannot encode the event as OTLP JSON");
		goto done;
	}
	json_decref(req);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	const char *k;
	json_t *v;
	json_object_foreach(paved->option(ctx, "headers"), k, v) {
		const char *s = json_string_value(v);
		if (!s || strpbrk(k, "\r\n: \t") || strpbrk(s, "\r\n")) {
			rc = paved->error(errmsg, "option plugins.otlp.headers.%s must be a string on one "
			                  "line", k);
			goto done;
		}
		char line[1024];
		snprintf(line, sizeof line, "%s: %s", k, s);
		headers = curl_slist_append(headers, line);
	}
	struct pchttp_req rq = { .method = "POST", .url = url, .body = body, .len = strlen(body),
	                         .headers = headers, .user_agent = "paved-otlp/1.0",
	                         .timeout_ms = (long)timeout, .body_max = SNIPPET_MAX,
	                         .truncate = true };
	if (pchttp_request(h, &rq, &answer)) {
		rc = paved->error(errmsg, "POST %s failed: %s", url, answer.error);
		goto done;
	}
	if (answer.status < 200 || answer.status > 299) {
		for (size_t i = 0; i < answer.len; i++)   /* the start of the answer, on one line */
			if ((unsigned char)answer.body[i] < ' ')
				answer.body[i] = ' ';
		rc = paved->error(errmsg, "POST %s answered HTTP %ld%s%s", url, answer.status,
		                  answer.len ? ": " : "", answer.body ? answer.body : "");
	}
done:
	pchttp_free(&answer);
	curl_slist_free_all(headers);
	pchttp_close(h);
	free(body), free(url);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!curl_ready)
		paved->log(ctx, PAVED_LOG_WARN, "otlp: libcurl could not be initialised; events will "
		           "wait in the outbox");
	return paved->observe(ctx, "event:*", 100, post_event, NULL, NULL, errmsg);
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

static const struct paved_option options[] = {
	{ "endpoint", PAVED_OPT_STRING, NULL,
	  "OTLP/HTTP endpoint (e.g. http://127.0.0.1:4318): events go to ENDPOINT/v1/logs" },
	{ "timeout_ms", PAVED_OPT_INT, "2000",
	  "whole-request timeout; a slower endpoint keeps the event in the outbox" },
	{ "headers", PAVED_OPT_OBJECT, NULL, "extra request headers, e.g. {\"Authorization\": ...}" },
	{ "service_name", PAVED_OPT_STRING, "\"paved\"", "the resource's service.name" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(otlp, "1.0.0", "ships paved's events as OTLP logs (OTLP/HTTP JSON)",
                     init, fini, options);
