/*
 * test_spec.c -- a canary's platform.yaml (spec.c): the seed article's
 * short form as written, the full form, the SLO default, and every
 * refusal with its exact message naming the field.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "check_main.h"

static const struct cx_opts opts = { 10, 60, 10, "http_server_request_duration_seconds" };
static char err[600];

/* Parse the JSON text CONFIG (and SLO, may be NULL): the spec, or NULL
 * with err set. */
static json_t *parse(const char *config, const char *slo)
{
	json_error_t je;
	json_t *c = json_loads(config, 0, &je), *s = slo ? json_loads(slo, 0, &je) : NULL, *spec = NULL;
	ck_assert_msg(c != NULL, "bad test JSON: %s", je.text);
	json_t *w = json_array();
	if (cx_spec_parse(c, s, &opts, &spec, w, err, sizeof err) != 0)
		ck_assert_ptr_null(spec);
	json_decref(c), json_decref(s), json_decref(w);
	return spec;
}

static void refused(const char *config, const char *want)
{
	json_t *spec = parse(config, NULL);
	ck_assert_msg(spec == NULL, "accepted: %s", config);
	ck_assert_str_eq(err, want);
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

START_TEST(test_seed_article)
{
	json_t *spec = parse(
		"{\"steps\": [{\"deploy\": \"5%\", \"duration\": \"10m\", \"metrics\": ["
		"  {\"error_rate_less_than\": \"1%\"}, {\"latency_p99_less_than\": \"200ms\"}]},"
		" {\"deploy\": \"50%\", \"duration\": \"20m\"}, {\"deploy\": \"100%\"}],"
		" \"rollback\": {\"auto\": true, \"on\": [{\"error_rate_greater_than\": \"2%\"},"
		"  {\"latency_p99_greater_than\": \"500ms\"}]}}", NULL);
	ck_assert_msg(spec != NULL, "refused: %s", err);
	json_t *steps = json_object_get(spec, "steps");
	ck_assert_int_eq(json_array_size(steps), 5);
	ck_assert_double_eq(json_number_value(json_object_get(json_array_get(steps, 0), "setWeight")), 5);
	json_t *a = json_object_get(json_array_get(steps, 1), "analysis");
	ck_assert_str_eq(sget(a, "name"), "step-1");
	json_t *m0 = json_array_get(json_object_get(a, "metrics"), 0);
	json_t *m1 = json_array_get(json_object_get(a, "metrics"), 1);
	ck_assert_str_eq(sget(m0, "name"), "error_rate");
	ck_assert_str_eq(sget(m0, "provider"), "haproxy");
	ck_assert_str_eq(sget(m0, "successCondition"), "result < 0.01");
	ck_assert_double_eq(json_number_value(json_object_get(m0, "interval")), 60);  /* 10m / 10 */
	ck_assert_int_eq(json_integer_value(json_object_get(m0, "count")), 10);
	ck_assert_str_eq(sget(m1, "provider"), "prometheus");
	ck_assert_str_eq(sget(m1, "successCondition"), "result < 0.2");
	ck_assert_ptr_nonnull(strstr(sget(m1, "query"), "histogram_quantile(0.99, sum by (le) (rate("
	                             "http_server_request_duration_seconds_bucket{service="));
	json_t *p = json_object_get(json_array_get(steps, 3), "pause");
	ck_assert_double_eq(json_number_value(json_object_get(p, "duration")), 1200);
	ck_assert_double_eq(json_number_value(json_object_get(json_array_get(steps, 4), "setWeight")),
	                    100);
	json_t *bg = json_object_get(spec, "background");
	json_t *r0 = json_array_get(json_object_get(bg, "metrics"), 0);
	ck_assert_str_eq(sget(r0, "failureCondition"), "result > 0.02");
	ck_assert_int_eq(json_integer_value(json_object_get(r0, "count")), 0);   /* until the end */
	ck_assert_str_eq(sget(json_array_get(json_object_get(bg, "metrics"), 1), "failureCondition"),
	                 "result > 0.5");
	ck_assert(json_is_true(json_object_get(spec, "autoRollback")));
	ck_assert_str_eq(sget(spec, "source"), "short");
	json_decref(spec);
}
END_TEST

START_TEST(test_full_form)
{
	json_t *spec = parse(
		"{\"steps\": [{\"setWeight\": 5}, {\"pause\": {\"duration\": \"30s\"}},"
		" {\"analysis\": {\"metrics\": [\"success-rate\"]}}, {\"setWeight\": \"50%\"},"
		" {\"pause\": {}}, {\"setWeight\": 100}],"
		" \"analysis\": {\"metrics\": [{\"name\": \"success-rate\", \"provider\": \"prometheus\","
		"  \"query\": \"q\", \"interval\": \"10s\", \"count\": 5, \"successCondition\": "
		"  \"result >= 0.95\", \"failureLimit\": 3, \"dryRun\": false},"
		"  {\"name\": \"smoke\", \"provider\": \"job\", \"command\": [\"true\"]}],"
		"  \"background\": {\"metrics\": [\"smoke\"], \"startingStep\": 1}},"
		" \"judge\": {\"method\": \"mann-whitney\", \"marginal\": 60, \"metrics\": "
		"  {\"success-rate\": {\"direction\": \"decrease\", \"critical\": true}}}}", NULL);
	ck_assert_msg(spec != NULL, "refused: %s", err);
	json_t *steps = json_object_get(spec, "steps");
	ck_assert_int_eq(json_array_size(steps), 6);
	ck_assert(json_is_null(json_object_get(json_object_get(json_array_get(steps, 4), "pause"),
	                                       "duration")));   /* until promoted */
	json_t *m = json_array_get(json_object_get(json_object_get(json_array_get(steps, 2),
	                           "analysis"), "metrics"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "failureLimit")), 3);
	ck_assert_double_eq(json_number_value(json_object_get(m, "interval")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "consecutiveErrorLimit")), 4);
	ck_assert_str_eq(sget(m, "noData"), "inconclusive");
	json_t *j = json_object_get(spec, "judge");
	ck_assert_double_eq(json_number_value(json_object_get(j, "confidence")), 0.98);
	ck_assert_double_eq(json_number_value(json_object_get(j, "marginal")), 60);
	ck_assert_str_eq(sget(json_object_get(json_object_get(j, "metrics"), "success-rate"),
	                      "direction"), "decrease");
	ck_assert(json_is_true(json_object_get(spec, "baseline")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(spec, "background"),
	                                                    "startingStep")), 1);
	json_decref(spec);
}
END_TEST

START_TEST(test_slo_default)
{
	json_t *spec = parse("{\"steps\": [{\"setWeight\": 10}, {\"pause\": \"1m\"}, "
	                     "{\"setWeight\": 100}]}",
	                     "{\"availability\": 99.9, \"latency\": {\"p99_ms\": 200}}");
	ck_assert_msg(spec != NULL, "refused: %s", err);
	ck_assert_str_eq(sget(spec, "source"), "slo");
	json_t *ms = json_object_get(json_object_get(spec, "background"), "metrics");
	ck_assert_int_eq(json_array_size(ms), 2);
	ck_assert_str_eq(sget(json_array_get(ms, 0), "successCondition"), "result <= 0.001");
	ck_assert_str_eq(sget(json_array_get(ms, 1), "successCondition"), "result < 0.2");
	ck_assert(json_is_true(json_object_get(json_array_get(ms, 1), "optional")));
	json_decref(spec);
	/* no SLO either: time alone */
	spec = parse("{\"steps\": [{\"setWeight\": 100}]}", NULL);
	ck_assert_str_eq(sget(spec, "source"), "full");
	ck_assert(json_is_null(json_object_get(spec, "background")) ||
	          !json_object_get(spec, "background"));
	json_decref(spec);
}
END_TEST

START_TEST(test_refusals)
{
	refused("{\"steps\": [{\"setWeight\": 150}, {\"setWeight\": 100}]}",
	        "deploy.steps[0].setWeight: 150 is not a weight from 0 to 100 (%)");
	refused("{\"steps\": [{\"deploy\": \"-5%\"}, {\"deploy\": \"100%\"}]}",
	        "deploy.steps[0].deploy: \"-5%\" is not a weight from 0 to 100 (%)");
	refused("{\"steps\": [{\"deploy\": \"5%\"}, {\"deploy\": \"50%\", \"duration\": \"1m\"}]}",
	        "deploy.steps: the weights must reach 100%: the last weight set is 50% (end with "
	        "setWeight: 100 or deploy: 100%)");
	refused("{\"steps\": [{\"setWeight\": 10}, {\"setWeight\": 100}], \"analysis\": {\"metrics\": ["
	        "{\"name\": \"error-rate\"}, {\"name\": \"error-rate\"}]}}",
	        "deploy.analysis.metrics[1].name: duplicate metric name 'error-rate' "
	        "(deploy.analysis.metrics[0] has it too)");
	refused("{\"steps\": [{\"setWeight\": 10, \"pause\": {}}, {\"setWeight\": 100}]}",
	        "deploy.steps[0]: a step does one thing: setWeight, pause or analysis (split it into "
	        "several steps)");
	refused("{\"steps\": [{\"wait\": 3}, {\"setWeight\": 100}]}",
	        "deploy.steps[0]: unknown key 'wait' (a step is one of setWeight, pause, analysis; or "
	        "{deploy, duration, metrics})");
	refused("{\"steps\": [{\"deploy\": \"5%\", \"metrics\": [{\"error_rate_less_than\": \"1%\"}]},"
	        " {\"deploy\": 100}]}",
	        "deploy.steps[0].metrics: needs a duration: how long to measure (duration: 10m)");
	refused("{\"steps\": [{\"deploy\": \"5%\", \"duration\": \"1m\", \"metrics\": "
	        "[{\"errors_less_than\": 3}]}, {\"deploy\": 100}]}",
	        "deploy.steps[0].metrics[0]: unknown metric 'errors_less_than' (error_rate, "
	        "request_rate, latency_avg, latency_p50, latency_p90, latency_p95 or latency_p99, "
	        "each with _less_than or _greater_than)");
	refused("{\"steps\": [{\"deploy\": \"5%\", \"duration\": \"ten minutes\"}, {\"deploy\": 100}]}",
	        "deploy.steps[0].duration: \"ten minutes\" is not a duration (such as 30s, 10m, 1h)");
	refused("{\"steps\": [{\"setWeight\": 5}, {\"analysis\": {\"metrics\": [\"nope\"]}}, "
	        "{\"setWeight\": 100}]}",
	        "deploy.steps[1].analysis.metrics[0]: no metric 'nope' in deploy.analysis.metrics");
	refused("{\"steps\": [{\"setWeight\": 5}, {\"analysis\": {\"metrics\": [\"bg\"]}}, "
	        "{\"setWeight\": 100}], \"analysis\": {\"metrics\": [{\"name\": \"bg\", "
	        "\"interval\": \"5s\"}]}}",
	        "deploy.steps[1].analysis.metrics[0]: metric 'bg' has an interval and no count: this "
	        "analysis would never end (give it a count, or run it in deploy.analysis.background)");
	refused("{\"steps\": [{\"setWeight\": 60}, {\"analysis\": {\"metrics\": [{\"name\": \"m\"}]}}, "
	        "{\"setWeight\": 100}], \"judge\": \"mann-whitney\"}",
	        "deploy.steps[1]: an analysis judged by mann-whitney needs the weight at 50% or less "
	        "(the baseline takes as much traffic as the canary); it is 60% here");
	refused("{\"steps\": [{\"setWeight\": 100}], \"judge\": \"t-test\"}",
	        "deploy.judge: unknown judge 't-test' (paved has mann-whitney)");
	refused("{\"steps\": [{\"setWeight\": 100}], \"analysis\": {\"metrics\": [{\"name\": \"m\", "
	        "\"failureLimit\": -2}]}}",
	        "deploy.analysis.metrics[0].failureLimit: must be a whole number, -1 or more");
	refused("{\"steps\": []}", "deploy.steps: a canary needs steps, such as [{setWeight: 5}, "
	        "{pause: {duration: 1m}}, {setWeight: 100}]");
	refused("{\"steps\": [{\"setWeight\": 100}], \"rollback\": {\"auto\": \"yes\"}}",
	        "deploy.rollback.auto: must be true or false");
	refused("{\"steps\": [{\"setWeight\": 100}], \"analysis\": {\"metrics\": [{\"name\": \"m\", "
	        "\"provider\": \"Bad Name\"}]}}",
	        "deploy.analysis.metrics[0].provider: must be a provider name (haproxy, prometheus, "
	        "webhook, job)");
}
END_TEST

START_TEST(test_units)
{
	double d;
	json_t *v;
#define DUR(text, want) v = json_string(text); ck_assert_int_eq(cx_duration(v, &d), 0); \
	ck_assert_double_eq_tol(d, want, 1e-9); json_decref(v)
	DUR("30s", 30); DUR("10m", 600); DUR("1h30m", 5400); DUR("500ms", 0.5); DUR("1.5s", 1.5);
#undef DUR
	v = json_string("10");
	ck_assert_int_eq(cx_duration(v, &d), -1);   /* text needs a unit */
	json_decref(v);
	v = json_integer(-1);
	ck_assert_int_eq(cx_duration(v, &d), -1);
	json_decref(v);
	v = json_string("2.5%");
	ck_assert_int_eq(cx_percent(v, &d), 0);
	ck_assert_double_eq(d, 2.5);
	json_decref(v);
	char buf[64];
	cx_pointer("deploy.steps[2].setWeight", buf, sizeof buf);
	ck_assert_str_eq(buf, "/deploy/steps/2/setWeight");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary_spec");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, test_seed_article);
	tcase_add_test(tc, test_full_form);
	tcase_add_test(tc, test_slo_default);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_units);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
