/*
 * test_weights.c -- exact shares through HAProxy weights (weights.c):
 * 5% is 5% whatever the replica count.
 */
#include <check.h>
#include <math.h>

#include "weights.h"
#include "check_main.h"

static double share(const struct cw_split *w, int c, int b, int s, int group)
{
	double t = (double)c * w->canary + (double)b * w->baseline + (double)s * w->stable;
	return 100 * (group == 0 ? c * w->canary : group == 1 ? b * w->baseline : s * w->stable) / t;
}

START_TEST(test_exact)
{
	struct cw_split w;
	static const double pcts[] = { 1, 5, 10, 20, 25, 33, 50, 75, 99 };
	/* as many canary replicas as the controller starts: ceil(S * P), at least 1 */
	for (int s = 1; s <= 8; s++)
		for (size_t i = 0; i < sizeof pcts / sizeof *pcts; i++) {
			int c = (int)ceil(s * pcts[i] / 100);
				ck_assert_int_eq(cw_split(pcts[i], c, 0, s, &w), 0);
				ck_assert(w.canary >= 1 && w.canary <= 256 && w.stable >= 1 && w.stable <= 256);
				ck_assert_msg(fabs(share(&w, c, 0, s, 0) - pcts[i]) < 0.02,
				              "%g%% with %d canary, %d stable: %d/%d gives %g", pcts[i], c, s,
				              w.canary, w.stable, share(&w, c, 0, s, 0));
		}
	ck_assert_int_eq(cw_split(5, 1, 0, 2, &w), 0);
	ck_assert_double_eq_tol(share(&w, 1, 0, 2, 0), 5, 1e-9);   /* exactly */
}
END_TEST

START_TEST(test_baseline)
{
	struct cw_split w;
	ck_assert_int_eq(cw_split(5, 1, 1, 2, &w), 0);
	ck_assert_double_eq_tol(share(&w, 1, 1, 2, 0), 5, 0.02);
	ck_assert_double_eq_tol(share(&w, 1, 1, 2, 1), 5, 0.02);
	ck_assert_int_eq(cw_split(50, 2, 2, 4, &w), 0);
	ck_assert_double_eq_tol(share(&w, 2, 2, 4, 0), 50, 1e-9);
	ck_assert_int_eq(w.stable, 0);
	ck_assert_int_eq(cw_split(60, 1, 1, 2, &w), -1);   /* no room for the baseline */
}
END_TEST

START_TEST(test_ends)
{
	struct cw_split w;
	ck_assert_int_eq(cw_split(0, 1, 0, 2, &w), 0);
	ck_assert(w.canary == 0 && w.stable == 100);
	ck_assert_int_eq(cw_split(100, 2, 0, 2, &w), 0);
	ck_assert(w.canary == 100 && w.stable == 0);
	ck_assert_int_eq(cw_split(5, 1, 0, 0, &w), -1);     /* nothing stable to take the rest */
	ck_assert_int_eq(cw_split(101, 1, 0, 2, &w), -1);
	ck_assert_int_eq(cw_split(5, 0, 0, 2, &w), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary_weights");
	TCase *tc = tcase_create("weights");
	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_baseline);
	tcase_add_test(tc, test_ends);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
