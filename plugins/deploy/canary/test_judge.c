/*
 * test_judge.c -- the judge "mann-whitney" (judge.c): classification,
 * direction, effect size, critical metrics, weighted score and verdicts.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "check_main.h"

/* N values around BASE: BASE * (1 + small deterministic noise). */
static json_t *series(double base, int n, int seed)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_real(base * (1 + (((i * 7 + seed * 3) % 11) - 5) * 0.004)));
	return a;
}

static json_t *pair(double canary, double baseline, int n)
{
	return json_pack("{so so}", "canary", series(canary, n, 1), "baseline", series(baseline, n, 2));
}

static const char *verdict(json_t *r)
{
	return json_string_value(json_object_get(r, "verdict"));
}

static const char *cls(json_t *r, int i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(r, "metrics"), i),
	                                         "classification"));
}

START_TEST(test_slower_canary_fails)
{
	/* p99 50% slower (0.074 against 0.049), critical: score 0 */
	json_t *cfg = json_pack("{s{s{ss sb}}}", "metrics", "latency_p99", "direction", "increase",
	                        "critical", 1);
	json_t *s = json_pack("{so}", "latency_p99", pair(0.074, 0.049, 10));
	json_t *r = cj_judge(cfg, s);
	ck_assert_str_eq(verdict(r), "fail");
	ck_assert_str_eq(cls(r, 0), "High");
	ck_assert_double_eq(json_number_value(json_object_get(r, "score")), 0);
	const char *reason = json_string_value(json_object_get(r, "reason"));
	ck_assert_msg(strstr(reason, "latency_p99 High (canary 0.07") && strstr(reason, "+5") &&
	              strstr(reason, "critical): score 0 < marginal 75"), "reason: %s", reason);
	json_decref(r);
	/* an allowed increase of 60% lets it pass */
	json_object_set_new(json_object_get(json_object_get(cfg, "metrics"), "latency_p99"),
	                    "allowedIncrease", json_real(1.6));
	r = cj_judge(cfg, s);
	ck_assert_str_eq(verdict(r), "pass");
	ck_assert_str_eq(cls(r, 0), "Pass");
	json_decref(r), json_decref(cfg), json_decref(s);
}
END_TEST

START_TEST(test_direction)
{
	json_t *s = json_pack("{so}", "m", pair(0.02, 0.05, 12));   /* canary lower */
	json_t *cfg = json_pack("{s{s{ss}}}", "metrics", "m", "direction", "increase");
	json_t *r = cj_judge(cfg, s);
	ck_assert_str_eq(cls(r, 0), "Pass");   /* lower is fine for an increase metric */
	json_decref(r), json_decref(cfg);
	cfg = json_pack("{s{s{ss}}}", "metrics", "m", "direction", "either");
	r = cj_judge(cfg, s);
	ck_assert_str_eq(cls(r, 0), "Low");
	ck_assert_str_eq(verdict(r), "fail");   /* 0 of 1 pass */
	json_decref(r), json_decref(cfg), json_decref(s);
}
END_TEST

START_TEST(test_weighted_score)
{
	/* four metrics of weight 1, one High (not critical): 75, marginal */
	json_t *cfg = json_pack("{s{s{} s{} s{} s{}}}", "metrics", "a", "b", "c", "d");
	json_t *s = json_pack("{so so so so}", "a", pair(1, 1, 10), "b", pair(2, 2, 10),
	                      "c", pair(3, 3, 10), "d", pair(9, 3, 10));
	json_t *r = cj_judge(cfg, s);
	ck_assert_double_eq_tol(json_number_value(json_object_get(r, "score")), 75, 1e-9);
	ck_assert_str_eq(verdict(r), "marginal");
	json_decref(r);
	/* d weighs 3 of 6: 50, fail */
	json_object_set_new(json_object_get(json_object_get(cfg, "metrics"), "d"), "weight",
	                    json_integer(3));
	r = cj_judge(cfg, s);
	ck_assert_double_eq_tol(json_number_value(json_object_get(r, "score")), 50, 1e-9);
	ck_assert_str_eq(verdict(r), "fail");
	json_decref(r);
	/* pass and marginal thresholds are the configuration's */
	json_object_set_new(cfg, "marginal", json_integer(50));
	r = cj_judge(cfg, s);
	ck_assert_str_eq(verdict(r), "marginal");
	json_decref(r), json_decref(cfg), json_decref(s);
}
END_TEST

START_TEST(test_no_data_and_identical)
{
	json_t *cfg = json_pack("{s{s{} s{}}}", "metrics", "a", "b");
	json_t *s = json_pack("{s{s[] s[f]} s{s[fff] s[fff]}}", "a", "canary", "baseline", 1.0,
	                      "b", "canary", 1.0, 2.0, 3.0, "baseline", 3.0, 1.0, 2.0);
	json_t *r = cj_judge(cfg, s);
	ck_assert_str_eq(cls(r, 0), "Nodata");
	ck_assert_str_eq(cls(r, 1), "Pass");
	ck_assert_str_eq(verdict(r), "fail");   /* half the metrics have no data */
	ck_assert_str_eq(json_string_value(json_object_get(r, "reason")),
	                 "1 of 2 metrics have no data: score 0");
	json_decref(r), json_decref(s);
	s = json_pack("{s{s[ff] s[ff]} s{s[ff] s[ff]}}", "a", "canary", 0.0, 0.0, "baseline", 0.0, 0.0,
	              "b", "canary", 1.0, 2.0, "baseline", 2.0, 1.0);
	r = cj_judge(cfg, s);
	ck_assert_str_eq(verdict(r), "pass");
	ck_assert_str_eq(json_string_value(json_object_get(r, "reason")),
	                 "every metric passes: score 100");
	json_decref(r), json_decref(s), json_decref(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary_judge");
	TCase *tc = tcase_create("judge");
	tcase_add_test(tc, test_slower_canary_fails);
	tcase_add_test(tc, test_direction);
	tcase_add_test(tc, test_weighted_score);
	tcase_add_test(tc, test_no_data_and_identical);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
