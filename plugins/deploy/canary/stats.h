/*
 * stats.h -- the statistics of the canary judge (prefix cs_), in plain C
 * with no paved API, so they are tested against known values on their own.
 *
 * The two-sample Wilcoxon rank-sum test (Mann-Whitney U) as R's
 * wilcox.test(x, y, conf.int = TRUE, conf.level = CONF) computes it:
 *
 *   W        the rank sum of X minus nx(nx+1)/2 (R's statistic; U of X)
 *   p        two-sided.  Exact (the distribution of W counted exactly) when
 *            there are no ties and both samples are smaller than 50, as R
 *            does; otherwise the normal approximation with the tie
 *            correction of the variance and a continuity correction of 0.5
 *   lo, hi   the confidence interval of the location shift X - Y: exact
 *            from the order statistics of the pairwise differences (R's
 *            qwilcox rule), or, in the approximate case, the shifts where
 *            the continuity-corrected statistic crosses the normal
 *            quantiles (R's uniroot, here a bisection to 1e-12 of the range)
 *   estimate the Hodges-Lehmann estimator: the median of the nx*ny pairwise
 *            differences X_i - Y_j.  (R's approximate branch reports the
 *            zero of the corrected statistic instead, which lies within a
 *            step of it; paved always reports the median.)
 */
#ifndef CS_STATS_H
#define CS_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* The most observations per sample: the test keeps nx*ny differences. */
#define CS_MAX_SAMPLE 4096

struct cs_mw {
	double w;          /* R's W */
	double p;          /* two-sided p-value */
	double estimate;   /* Hodges-Lehmann shift of X over Y */
	double lo, hi;     /* confidence interval of the shift */
	bool   exact;      /* exact distribution (no ties, nx, ny < 50) */
	bool   ci;         /* lo/hi are set (not when every observation is tied) */
};

/* The test of X (nx) against Y (ny) at confidence CONF (0 < CONF < 1).
 * 0, or -1 when a sample is empty, too large or holds a NaN, or CONF is
 * out of range. */
int cs_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double conf,
                    struct cs_mw *out);

/* The median of V (N > 0), which is sorted in place. */
double cs_median(double *v, size_t n);

/* The standard normal distribution function and its inverse (Wichura's
 * AS 241, accurate to about 1e-16). */
double cs_pnorm(double z);
double cs_qnorm(double p);

/* P(W <= Q) for samples of M and N without ties (the exact distribution,
 * counted); -1 when M or N is 0 or M + N > 400. */
double cs_pwilcox(double q, size_t m, size_t n);

#endif
