/*
 * test_stats.c -- the judge's statistics (stats.c) against known values:
 *
 *  - Hollander & Wolfe (1973) p. 69, the example of R's ?wilcox.test:
 *    R prints W = 35, p-value = 0.1272 for alternative "greater", so the
 *    two-sided exact p is 0.2544; the exact confidence intervals and the
 *    Hodges-Lehmann estimate are the order statistics of the 50 pairwise
 *    differences (checked by enumerating all 3003 rank subsets by hand);
 *  - ClickHouse's test of mannWhitneyUTest (tests/queries/0_stateless/
 *    01560_mann_whitney.sql): 20 against 20 with ties, U = 223,
 *    p = 0.5426959774289482 (normal approximation, tie-corrected variance,
 *    continuity correction: R's wilcox.test gives the same);
 *  - the normal quantiles every table has.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "stats.h"
#include "check_main.h"

static const double hw_x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
static const double hw_y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };

START_TEST(test_normal)
{
	ck_assert_double_eq_tol(cs_qnorm(0.975), 1.959963984540054, 1e-12);
	ck_assert_double_eq_tol(cs_qnorm(0.01), -2.326347874040841, 1e-12);
	ck_assert_double_eq_tol(cs_qnorm(0.5), 0, 1e-15);
	ck_assert_double_eq_tol(cs_qnorm(1e-10), -6.361340902404056, 1e-9);
	ck_assert_double_eq_tol(cs_pnorm(1.96), 0.9750021048517795, 1e-12);
	ck_assert(isinf(cs_qnorm(0)) && isinf(cs_qnorm(1)) && isnan(cs_qnorm(2)));
}
END_TEST

START_TEST(test_exact_hollander_wolfe)
{
	struct cs_mw r;
	ck_assert_int_eq(cs_mann_whitney(hw_x, 10, hw_y, 5, 0.95, &r), 0);
	ck_assert(r.exact && r.ci);
	ck_assert_double_eq(r.w, 35);
	ck_assert_double_eq_tol(r.p, 0.2544122544122544, 1e-12);
	ck_assert_double_eq_tol(r.estimate, 0.305, 1e-12);
	ck_assert_double_eq_tol(r.lo, -0.15, 1e-12);
	ck_assert_double_eq_tol(r.hi, 0.76, 1e-12);
	/* R: P(W >= 35) = 0.1272 for the one-sided test */
	ck_assert_double_eq_tol(1 - cs_pwilcox(34, 10, 5), 0.1272061272061272, 1e-12);
	/* at Kayenta's 0.98 the interval widens */
	ck_assert_int_eq(cs_mann_whitney(hw_x, 10, hw_y, 5, 0.98, &r), 0);
	ck_assert_double_eq_tol(r.lo, -0.17, 1e-12);
	ck_assert_double_eq_tol(r.hi, 0.90, 1e-12);
	/* the other way round: the shift and the interval change sign */
	ck_assert_int_eq(cs_mann_whitney(hw_y, 5, hw_x, 10, 0.95, &r), 0);
	ck_assert_double_eq(r.w, 15);
	ck_assert_double_eq_tol(r.p, 0.2544122544122544, 1e-12);
	ck_assert_double_eq_tol(r.estimate, -0.305, 1e-12);
	ck_assert_double_eq_tol(r.lo, -0.76, 1e-12);
	ck_assert_double_eq_tol(r.hi, 0.15, 1e-12);
}
END_TEST

START_TEST(test_pwilcox_small)
{
	/* m = n = 2: W takes 0,1,2,2,3,4 over the 6 subsets */
	ck_assert_double_eq_tol(cs_pwilcox(0, 2, 2), 1.0 / 6, 1e-15);
	ck_assert_double_eq_tol(cs_pwilcox(2, 2, 2), 4.0 / 6, 1e-15);
	ck_assert_double_eq(cs_pwilcox(4, 2, 2), 1);
	ck_assert_double_eq(cs_pwilcox(-1, 2, 2), 0);
	/* the smallest tail of 49 against 49 is exactly 1 / C(98, 49) */
	ck_assert_double_eq_tol(cs_pwilcox(0, 49, 49) * 2.5477612258980856e28, 1, 1e-9);
	ck_assert_double_eq(cs_pwilcox(1, 0, 3), -1);
}
END_TEST

START_TEST(test_normal_approximation_ties)
{
	static const double l[] = { 310, 195, 530, 155, 530, 245, 385, 450, 465, 545, 170, 180, 125,
	                            180, 230, 75, 430, 480, 495, 295 };
	static const double r_[] = { 116, 171, 176, 421, 111, 326, 481, 111, 346, 441, 261, 411, 206,
	                             521, 456, 446, 296, 51, 426, 261 };
	struct cs_mw r;
	ck_assert_int_eq(cs_mann_whitney(l, 20, r_, 20, 0.95, &r), 0);
	ck_assert(!r.exact && r.ci);
	ck_assert_double_eq(r.w, 223);
	ck_assert_double_eq_tol(r.p, 0.5426959774289482, 1e-12);
	ck_assert(r.lo < r.estimate && r.estimate < r.hi);
	ck_assert(r.lo < 0 && r.hi > 0);   /* p > 0.05: the interval holds 0 */
}
END_TEST

START_TEST(test_large_samples_shift)
{
	/* 60 against 60 (the normal branch): Y is X shifted down by 10 plus
	 * a little noise; the interval is shifted by exactly what Y is */
	double x[60], y[60], y2[60];
	for (int i = 0; i < 60; i++) {
		x[i] = 100 + i * 0.5;
		y[i] = 90 + i * 0.5 + ((i * 7) % 5) * 0.013;
		y2[i] = y[i] + 3;
	}
	struct cs_mw a, b;
	ck_assert_int_eq(cs_mann_whitney(x, 60, y, 60, 0.98, &a), 0);
	ck_assert(!a.exact && a.ci);
	ck_assert(a.p < 1e-4);
	ck_assert(a.lo > 0 && a.lo < a.estimate && a.estimate < a.hi);
	ck_assert_double_eq_tol(a.estimate, 10 - 0.026, 0.03);
	ck_assert_int_eq(cs_mann_whitney(x, 60, y2, 60, 0.98, &b), 0);
	ck_assert_double_eq_tol(b.estimate, a.estimate - 3, 1e-9);
	ck_assert_double_eq_tol(b.lo, a.lo - 3, 1e-6);
	ck_assert_double_eq_tol(b.hi, a.hi - 3, 1e-6);
}
END_TEST

START_TEST(test_degenerate)
{
	double same[] = { 1, 1, 1 }, x[] = { 1, 2, 3 }, nan_[] = { 1, NAN };
	struct cs_mw r;
	ck_assert_int_eq(cs_mann_whitney(same, 3, same, 3, 0.98, &r), 0);
	ck_assert_double_eq(r.p, 1);
	ck_assert(!r.ci);                 /* R: "all observations are tied" */
	ck_assert_double_eq(r.estimate, 0);
	ck_assert_int_eq(cs_mann_whitney(x, 3, x, 3, 0.98, &r), 0);
	ck_assert_double_eq(r.estimate, 0);
	ck_assert(r.p > 0.5);
	ck_assert_int_eq(cs_mann_whitney(x, 0, x, 3, 0.98, &r), -1);
	ck_assert_int_eq(cs_mann_whitney(nan_, 2, x, 3, 0.98, &r), -1);
	ck_assert_int_eq(cs_mann_whitney(x, 3, x, 3, 1.0, &r), -1);
	double v[] = { 3, 1, 2, 10 };
	ck_assert_double_eq(cs_median(v, 4), 2.5);
	ck_assert_double_eq(cs_median(v, 3), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary_stats");
	TCase *tc = tcase_create("stats");
	tcase_add_test(tc, test_normal);
	tcase_add_test(tc, test_exact_hollander_wolfe);
	tcase_add_test(tc, test_pwilcox_small);
	tcase_add_test(tc, test_normal_approximation_ties);
	tcase_add_test(tc, test_large_samples_shift);
	tcase_add_test(tc, test_degenerate);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
