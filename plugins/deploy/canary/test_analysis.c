/*
 * test_analysis.c -- Argo Rollouts' analysis semantics (analysis.c) with a
 * small evaluator of "result OP NUMBER" standing in for the Lua sandbox.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "check_main.h"

static int evals;   /* how often the evaluator ran */

/* "result >= 0.95" and friends; "boom" cannot be evaluated. */
static int eval(void *ud, const char *cond, json_t *result, bool *holds, char **err)
{
	(void)ud;
	char op[3] = "";
	double k, v = json_number_value(result);
	evals++;
	ck_assert(json_is_number(result));   /* no data never reaches a condition */
	if (sscanf(cond, "result %2[<>=!] %lf", op, &k) != 2) {
		*err = strdup("attempt to compare nil with number");
		return -1;
	}
	*holds = !strcmp(op, ">=") ? v >= k : !strcmp(op, ">") ? v > k : !strcmp(op, "<=") ? v <= k :
	         !strcmp(op, "<") ? v < k : v == k;
	return 0;
}

/* Measure VALUE (NULL: the provider failed) for metric M into R at T. */
static const char *feed(json_t *m, json_t *r, json_t *value, double t)
{
	char *msg = NULL;
	const char *p = ca_measurement_phase(m, value, value ? NULL : "timed out after 5 s", eval, NULL,
	                                     &msg);
	ca_record(m, r, value, p, msg, t);
	free(msg);
	return json_string_value(json_object_get(r, "phase"));
}

START_TEST(test_failure_limit)
{
	/* failureLimit 3 with 0.90, 0.91, 0.99, 0.89, 0.88 against >= 0.95:
	 * fails on the fourth failure (the fifth measurement) */
	json_t *m = json_pack("{ss ss si si si}", "name", "success-rate", "successCondition",
	                      "result >= 0.95", "failureLimit", 3, "interval", 10, "count", 10);
	json_t *r = ca_result_new(m, 0);
	static const double v[] = { 0.90, 0.91, 0.99, 0.89, 0.88 };
	static const char *const want[] = { CA_RUNNING, CA_RUNNING, CA_RUNNING, CA_RUNNING, CA_FAILED };
	for (int i = 0; i < 5; i++) {
		json_t *x = json_real(v[i]);
		ck_assert_str_eq(feed(m, r, x, i * 10.0), want[i]);
		json_decref(x);
	}
	ck_assert_int_eq(json_integer_value(json_object_get(r, "failed")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "successful")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(r, "message")),
	                 "success-rate 0.88 (wants result >= 0.95), failed (4) > failureLimit (3)");
	ck_assert_int_eq(json_array_size(json_object_get(r, "measurements")), 5);
	json_decref(m), json_decref(r);
}
END_TEST

START_TEST(test_errors_do_not_count)
{
	json_t *m = json_pack("{ss ss si si}", "name", "p99", "successCondition", "result < 0.2",
	                      "interval", 1, "count", 3);
	json_t *r = ca_result_new(m, 100), *ok = json_real(0.1);
	ck_assert(!ca_due(r, 99.5) && ca_due(r, 100));
	ck_assert_str_eq(feed(m, r, NULL, 100), CA_RUNNING);
	ck_assert_str_eq(feed(m, r, ok, 101), CA_RUNNING);
	ck_assert_str_eq(feed(m, r, NULL, 102), CA_RUNNING);
	ck_assert_str_eq(feed(m, r, ok, 103), CA_RUNNING);
	ck_assert(!ca_due(r, 103.5) && ca_due(r, 104));
	ck_assert_str_eq(feed(m, r, ok, 104), CA_SUCCESSFUL);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "error")), 2);
	ck_assert(!ca_due(r, 1000));   /* completed: nothing more is due */
	json_decref(m), json_decref(r), json_decref(ok);
}
END_TEST

START_TEST(test_consecutive_errors)
{
	json_t *m = json_pack("{ss ss si si}", "name", "q", "successCondition", "result < 1",
	                      "interval", 1, "consecutiveErrorLimit", 2);
	json_t *r = ca_result_new(m, 0), *ok = json_real(0.5);
	feed(m, r, NULL, 0), feed(m, r, NULL, 1);
	ck_assert_str_eq(feed(m, r, ok, 2), CA_RUNNING);   /* a success resets the run of errors */
	feed(m, r, NULL, 3), feed(m, r, NULL, 4);
	ck_assert_str_eq(feed(m, r, NULL, 5), CA_ERROR);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r, "message")),
	                             "q: timed out after 5 s, consecutive errors (3) > "
	                             "consecutiveErrorLimit (2)"));
	json_decref(m), json_decref(r), json_decref(ok);
	/* the default limit is 4: the fifth error in a row */
	m = json_pack("{ss si}", "name", "d", "interval", 1);
	r = ca_result_new(m, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(feed(m, r, NULL, i), CA_RUNNING);
	ck_assert_str_eq(feed(m, r, NULL, 4), CA_ERROR);
	json_decref(m), json_decref(r);
}
END_TEST

START_TEST(test_conditions)
{
	json_t *both = json_pack("{ss ss ss}", "name", "e", "successCondition", "result < 0.01",
	                         "failureCondition", "result >= 0.05");
	json_t *fail_only = json_pack("{ss ss}", "name", "f", "failureCondition", "result > 0.02");
	json_t *none = json_pack("{ss}", "name", "n"), *bad = json_pack("{ss ss}", "name", "b",
	                         "successCondition", "boom");
	json_t *v = json_real(0.03), *lo = json_real(0.001), *hi = json_real(0.051);
	char *msg = NULL;
	ck_assert_str_eq(ca_measurement_phase(both, v, NULL, eval, NULL, &msg), CA_INCONCLUSIVE);
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(both, lo, NULL, eval, NULL, &msg), CA_SUCCESSFUL);
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(both, hi, NULL, eval, NULL, &msg), CA_FAILED);
	ck_assert_str_eq(msg, "e 0.051 (result >= 0.05 holds)");
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(fail_only, v, NULL, eval, NULL, &msg), CA_FAILED);
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(fail_only, lo, NULL, eval, NULL, &msg), CA_SUCCESSFUL);
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(none, hi, NULL, eval, NULL, &msg), CA_SUCCESSFUL);
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(bad, v, NULL, eval, NULL, &msg), CA_ERROR);
	ck_assert_str_eq(msg, "b 0.03: successCondition: attempt to compare nil with number");
	free(msg);
	/* inconclusiveLimit 0: the first inconclusive measurement ends the metric */
	json_t *r = ca_result_new(both, 0);
	ck_assert_str_eq(feed(both, r, v, 0), CA_INCONCLUSIVE);
	json_decref(r);
	/* neither count nor interval: one measurement */
	r = ca_result_new(none, 0);
	ck_assert_str_eq(feed(none, r, v, 0), CA_SUCCESSFUL);
	json_decref(r);
	json_decref(both), json_decref(fail_only), json_decref(none), json_decref(bad);
	json_decref(v), json_decref(lo), json_decref(hi);
}
END_TEST

START_TEST(test_no_data)
{
	json_t *m = json_pack("{ss ss}", "name", "rate", "successCondition", "result < 0.01");
	json_t *q = json_pack("{ss ss ss}", "name", "rate2", "successCondition", "result < 0.01",
	                      "noData", "success");
	json_t *null = json_null(), *nan_ = json_real(0);
	char *msg = NULL;
	evals = 0;
	ck_assert_str_eq(ca_measurement_phase(m, null, NULL, eval, NULL, &msg), CA_INCONCLUSIVE);
	ck_assert_str_eq(msg, "rate: no data (an empty result counts as inconclusive)");
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(m, NULL, NULL, eval, NULL, &msg), CA_INCONCLUSIVE);
	free(msg);
	ck_assert_str_eq(ca_measurement_phase(q, null, NULL, eval, NULL, &msg), CA_SUCCESSFUL);
	free(msg);
	ck_assert_int_eq(evals, 0);   /* no condition ran on an empty result */
	json_decref(m), json_decref(q), json_decref(null), json_decref(nan_);
}
END_TEST

START_TEST(test_run_phase)
{
	json_t *metrics = json_pack("[{ss} {ss} {ss sb}]", "name", "a", "name", "b", "name", "c",
	                            "dryRun", 1);
	json_t *results = json_pack("{s{ss} s{ss} s{ss ss}}", "a", "phase", CA_SUCCESSFUL,
	                            "b", "phase", CA_RUNNING, "c", "phase", CA_FAILED, "message", "c!");
	const char *why;
	/* a dry-run metric that failed is reported, never decisive */
	ck_assert_str_eq(ca_run_phase(metrics, results, &why), CA_RUNNING);
	json_object_set_new(json_object_get(results, "b"), "phase", json_string(CA_SUCCESSFUL));
	ck_assert_str_eq(ca_run_phase(metrics, results, &why), CA_SUCCESSFUL);
	/* the worst completed phase wins, even while others still run */
	json_object_set_new(json_object_get(results, "a"), "phase", json_string(CA_INCONCLUSIVE));
	json_object_set_new(json_object_get(results, "b"), "phase", json_string(CA_ERROR));
	json_object_set_new(json_object_get(results, "b"), "message", json_string("b failed to measure"));
	ck_assert_str_eq(ca_run_phase(metrics, results, &why), CA_ERROR);
	ck_assert_str_eq(why, "b failed to measure");
	json_object_set_new(json_object_get(results, "b"), "phase", json_string(CA_RUNNING));
	ck_assert_str_eq(ca_run_phase(metrics, results, &why), CA_INCONCLUSIVE);
	ck_assert(ca_worse(CA_FAILED, CA_ERROR) && ca_worse(CA_ERROR, CA_INCONCLUSIVE) &&
	          ca_worse(CA_INCONCLUSIVE, CA_SUCCESSFUL) && !ca_worse(CA_SUCCESSFUL, CA_FAILED));
	/* terminating: a metric still running counts as Successful */
	json_t *m = json_pack("{ss si}", "name", "bg", "interval", 5);
	json_t *r = ca_result_new(m, 0);
	ck_assert_str_eq(ca_assess(m, r, false), CA_RUNNING);
	ck_assert_str_eq(ca_assess(m, r, true), CA_SUCCESSFUL);
	json_decref(m), json_decref(r), json_decref(metrics), json_decref(results);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary_analysis");
	TCase *tc = tcase_create("analysis");
	tcase_add_test(tc, test_failure_limit);
	tcase_add_test(tc, test_errors_do_not_count);
	tcase_add_test(tc, test_consecutive_errors);
	tcase_add_test(tc, test_conditions);
	tcase_add_test(tc, test_no_data);
	tcase_add_test(tc, test_run_phase);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
