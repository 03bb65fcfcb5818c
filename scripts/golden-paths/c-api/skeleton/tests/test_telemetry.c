/* Unit tests of {{name}}'s metrics, trace context, span JSON and helpers
 * (no server). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "trace.h"
#include "util.h"

static int passed, failed, current_failed;

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			current_failed = 1;                                                 \
		}                                                                           \
	} while (0)

#define RUN(fn)                                           \
	do {                                              \
		current_failed = 0;                       \
		fn();                                     \
		if (current_failed) {                     \
			failed++;                         \
			printf("FAIL %s\n", #fn);         \
		} else {                                  \
			passed++;                         \
			printf("ok   %s\n", #fn);         \
		}                                         \
		fflush(stdout);                           \
	} while (0)

#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PARENT_ID "00f067aa0ba902b7"
#define H METRICS_NAME

/* 1 when text has a line that is exactly line. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *end = strchr(p, '\n');
		const char *hit = strstr(p, needle);
		if (hit != NULL && (end == NULL || hit < end))
			n++;
	}
	return n;
}

static void test_buckets_are_the_otel_ones_and_cumulative(void)
{
	struct metrics *m = metrics_new(1);
	metrics_observe(m, "GET", 200, "/", 0.003);
	metrics_observe(m, "GET", 200, "/", 0.08);
	metrics_observe(m, "GET", 200, "/", 12);
	struct buf b = { NULL, 0, 0, 0 };
	metrics_render(m, &b);
#define L "http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/\""
	CHECK(has_line(b.data, "# TYPE " H " histogram"));
	CHECK(strstr(b.data, "# HELP " H " ") != NULL);
	static const char *const want[] = {
		H "_bucket{" L ",le=\"0.005\"} 1", H "_bucket{" L ",le=\"0.01\"} 1",
		H "_bucket{" L ",le=\"0.025\"} 1", H "_bucket{" L ",le=\"0.05\"} 1",
		H "_bucket{" L ",le=\"0.075\"} 1", H "_bucket{" L ",le=\"0.1\"} 2",
		H "_bucket{" L ",le=\"0.25\"} 2",  H "_bucket{" L ",le=\"0.5\"} 2",
		H "_bucket{" L ",le=\"0.75\"} 2",  H "_bucket{" L ",le=\"1\"} 2",
		H "_bucket{" L ",le=\"2.5\"} 2",   H "_bucket{" L ",le=\"5\"} 2",
		H "_bucket{" L ",le=\"7.5\"} 2",   H "_bucket{" L ",le=\"10\"} 2",
		H "_bucket{" L ",le=\"+Inf\"} 3",  H "_count{" L "} 3",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK(has_line(b.data, want[i]));
	CHECK(count_lines_with(b.data, "_bucket{") == 15); /* 14 buckets and +Inf, nothing else */
	CHECK(strstr(b.data, H "_sum{" L "} 12.083") != NULL);
#undef L
	buf_free(&b);
	metrics_free(m);
}

static void test_labels_error_type_other_and_no_route(void)
{
	struct metrics *m = metrics_new(1);
	metrics_observe(m, "GET", 500, "/", 0.01);
	metrics_observe(m, "GET", 503, "/health", 0.01);
	metrics_observe(m, "GET", 404, NULL, 0.01);
	metrics_observe(m, "GET", 499, "/", 0.01);
	metrics_observe(m, "BREW", 200, "/", 0.01);
	metrics_observe(m, "TRACE", 405, "/", 0.01);
	struct buf b = { NULL, 0, 0, 0 };
	metrics_render(m, &b);
	CHECK(has_line(b.data, H "_count{http_request_method=\"GET\",http_response_status_code=\"500\","
	                       "http_route=\"/\",error_type=\"500\"} 1"));
	CHECK(has_line(b.data, H "_count{http_request_method=\"GET\",http_response_status_code=\"503\","
	                       "http_route=\"/health\",error_type=\"503\"} 1"));
	CHECK(has_line(b.data, H "_count{http_request_method=\"GET\",http_response_status_code=\"404\"} 1"));
	CHECK(has_line(b.data, H "_count{http_request_method=\"GET\",http_response_status_code=\"499\","
	                       "http_route=\"/\"} 1"));
	CHECK(has_line(b.data, H "_count{http_request_method=\"_OTHER\",http_response_status_code=\"200\","
	                       "http_route=\"/\"} 1"));
	CHECK(has_line(b.data, H "_count{http_request_method=\"TRACE\",http_response_status_code=\"405\","
	                       "http_route=\"/\"} 1"));
	CHECK(count_lines_with(b.data, "error_type=") == 2 * 17); /* 2 series x (15 buckets, sum, count) */
	buf_free(&b);
	metrics_free(m);
}

static void test_disabled_metrics_render_nothing(void)
{
	struct metrics *m = metrics_new(0);
	metrics_observe(m, "GET", 200, "/", 0.01);
	struct buf b = { NULL, 0, 0, 0 };
	metrics_render(m, &b);
	CHECK(b.len == 0);
	buf_free(&b);
	metrics_free(m);
}

static void test_trace_parse(void)
{
	char t[33], p[17], f[3];
	CHECK(trace_parse("00-" TRACE_ID "-" PARENT_ID "-01", t, p, f) == 0);
	CHECK(strcmp(t, TRACE_ID) == 0 && strcmp(p, PARENT_ID) == 0 && strcmp(f, "01") == 0);
	static const char *const bad[] = {
		"",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-" PARENT_ID "-01",      /* uppercase */
		"00-" TRACE_ID "-00F067AA0BA902B7-01",                       /* uppercase */
		"00-00000000000000000000000000000000-" PARENT_ID "-01",      /* all-zero trace id */
		"00-" TRACE_ID "-0000000000000000-01",                       /* all-zero parent id */
		"ff-" TRACE_ID "-" PARENT_ID "-01",                          /* version ff */
		"01-" TRACE_ID "-" PARENT_ID "-01",                          /* another version */
		"00-" TRACE_ID "-" PARENT_ID "-1",                           /* short flags */
		"00-" TRACE_ID "-" PARENT_ID "-01-extra",                    /* trailing data */
		"00_" TRACE_ID "_" PARENT_ID "_01",                          /* separators */
		"00-" TRACE_ID "-" PARENT_ID "-0g",                          /* not hex */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(trace_parse(bad[i], t, p, f) == -1);
	CHECK(trace_parse(NULL, t, p, f) == -1);
}

static void test_span_start(void)
{
	struct span child, root, other;
	span_start(&child, "00-" TRACE_ID "-" PARENT_ID "-00");
	CHECK(child.has_parent && strcmp(child.trace_id, TRACE_ID) == 0 && strcmp(child.parent_id, PARENT_ID) == 0);
	CHECK(!span_sampled(&child));
	CHECK(strcmp(child.span_id, PARENT_ID) != 0);

	span_start(&root, NULL);
	span_start(&other, "00-" TRACE_ID "-" PARENT_ID "-0");
	CHECK(!root.has_parent && span_sampled(&root));
	CHECK(strlen(root.trace_id) == 32 && strspn(root.trace_id, "0123456789abcdef") == 32);
	CHECK(strlen(root.span_id) == 16 && strspn(root.span_id, "0123456789abcdef") == 16);
	CHECK(strcmp(root.trace_id, other.trace_id) != 0 && strcmp(other.trace_id, TRACE_ID) != 0);
	char tp[56], want[56];
	span_traceparent(&root, tp);
	snprintf(want, sizeof want, "00-%s-%s-01", root.trace_id, root.span_id);
	CHECK(strcmp(tp, want) == 0);
}

static void test_span_otlp_json(void)
{
	struct span s;
	span_start(&s, "00-" TRACE_ID "-" PARENT_ID "-01");
	struct buf b = { NULL, 0, 0, 0 };
	span_otlp_json(&b, &s, "GET", "/health", "/health", 200, s.start_unix_ns + 5);
	CHECK(strstr(b.data, "\"traceId\":\"" TRACE_ID "\"") != NULL);
	CHECK(strstr(b.data, "\"parentSpanId\":\"" PARENT_ID "\"") != NULL);
	CHECK(strstr(b.data, "\"name\":\"GET /health\",\"kind\":2,") != NULL);
	CHECK(strstr(b.data, "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}}") != NULL);
	CHECK(strstr(b.data, "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/health\"}}") != NULL);
	CHECK(strstr(b.data, "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/health\"}}") != NULL);
	CHECK(strstr(b.data, "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}") != NULL);
	CHECK(strstr(b.data, "error.type") == NULL && strstr(b.data, "\"status\"") == NULL);
	char times[128];
	snprintf(times, sizeof times, "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\"",
	         (unsigned long long)s.start_unix_ns, (unsigned long long)s.start_unix_ns + 5);
	CHECK(strstr(b.data, times) != NULL);
	buf_free(&b);

	span_start(&s, NULL);
	span_otlp_json(&b, &s, "_OTHER", NULL, "/a\"b", 502, s.start_unix_ns);
	CHECK(strstr(b.data, "parentSpanId") == NULL);
	CHECK(strstr(b.data, "\"name\":\"HTTP\"") != NULL);
	CHECK(strstr(b.data, "http.route") == NULL);
	CHECK(strstr(b.data, "\"stringValue\":\"/a\\\"b\"") != NULL);
	CHECK(strstr(b.data, "{\"key\":\"error.type\",\"value\":{\"stringValue\":\"502\"}}") != NULL);
	CHECK(strstr(b.data, ",\"status\":{\"code\":2}}") != NULL);
	buf_free(&b);
}

static void test_endpoint_and_resource_from_env(void)
{
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	CHECK(trace_endpoint_from_env() == NULL);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/", 1);
	char *u = trace_endpoint_from_env();
	CHECK(u != NULL && strcmp(u, "http://c:4318/v1/traces") == 0);
	free(u);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/x", 1);
	u = trace_endpoint_from_env();
	CHECK(u != NULL && strcmp(u, "http://t:1/x") == 0);
	free(u);
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");

	struct buf b = { NULL, 0, 0, 0 };
	unsetenv("OTEL_SERVICE_NAME");
	unsetenv("OTEL_RESOURCE_ATTRIBUTES");
	trace_resource_attributes(&b, "svc");
	CHECK(strcmp(b.data, "[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]") == 0);
	buf_free(&b);

	setenv("OTEL_RESOURCE_ATTRIBUTES", " service.version = abc123 ,deployment.environment=dev,,bad,=x,team=a%20b", 1);
	trace_resource_attributes(&b, "svc");
	CHECK(strcmp(b.data, "[{\"key\":\"service.version\",\"value\":{\"stringValue\":\"abc123\"}},"
	                     "{\"key\":\"deployment.environment\",\"value\":{\"stringValue\":\"dev\"}},"
	                     "{\"key\":\"team\",\"value\":{\"stringValue\":\"a b\"}},"
	                     "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]") == 0);
	buf_free(&b);

	setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=a", 1);
	trace_resource_attributes(&b, "svc");
	CHECK(strstr(b.data, "{\"stringValue\":\"a\"}") != NULL && strstr(b.data, "svc") == NULL);
	buf_free(&b);
	setenv("OTEL_SERVICE_NAME", "b", 1);
	trace_resource_attributes(&b, "svc");
	CHECK(strcmp(b.data, "[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"b\"}}]") == 0);
	buf_free(&b);
	unsetenv("OTEL_SERVICE_NAME");
	unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

static void test_json_escaping(void)
{
	struct buf b = { NULL, 0, 0, 0 };
	buf_json_string(&b, "a\"b\\c\n\x01\xc3\xa9");
	CHECK(strcmp(b.data, "\"a\\\"b\\\\c\\u000a\\u0001\\u00c3\\u00a9\"") == 0);
	buf_free(&b);
}

static void test_url_split(void)
{
	char host[64], p[8];
	CHECK(url_split("postgres://u:p@db.internal:6543/app", "5432", host, sizeof host, p, sizeof p) == 0);
	CHECK(strcmp(host, "db.internal") == 0 && strcmp(p, "6543") == 0);
	CHECK(url_split("postgres://db/app", "5432", host, sizeof host, p, sizeof p) == 0);
	CHECK(strcmp(host, "db") == 0 && strcmp(p, "5432") == 0);
	CHECK(url_split("redis://[::1]/0", "6379", host, sizeof host, p, sizeof p) == 0);
	CHECK(strcmp(host, "::1") == 0 && strcmp(p, "6379") == 0);
	CHECK(url_split("not a url", "5432", host, sizeof host, p, sizeof p) == -1);
	CHECK(url_split("postgres://h:99999/x", "5432", host, sizeof host, p, sizeof p) == -1);
}

static void test_env_and_time(void)
{
	static const char *const off[] = { "off", "OFF", " false ", "0" }, *const on[] = { "on", "", "1", "offf" };
	for (size_t i = 0; i < 4; i++) {
		setenv("METRICS", off[i], 1);
		CHECK(env_is_off("METRICS"));
		setenv("METRICS", on[i], 1);
		CHECK(!env_is_off("METRICS"));
	}
	unsetenv("METRICS");
	CHECK(!env_is_off("METRICS"));

	char now[32];
	rfc3339_now(now);
	/* 2026-01-31T12:00:00.123Z */
	CHECK(strlen(now) == 24 && now[4] == '-' && now[10] == 'T' && now[19] == '.' && now[23] == 'Z');
}

int main(void)
{
	RUN(test_buckets_are_the_otel_ones_and_cumulative);
	RUN(test_labels_error_type_other_and_no_route);
	RUN(test_disabled_metrics_render_nothing);
	RUN(test_trace_parse);
	RUN(test_span_start);
	RUN(test_span_otlp_json);
	RUN(test_endpoint_and_resource_from_env);
	RUN(test_json_escaping);
	RUN(test_url_split);
	RUN(test_env_and_time);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
