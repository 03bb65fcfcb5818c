/*
 * stats.c -- the Wilcoxon rank-sum / Mann-Whitney U test with its
 * confidence interval and the Hodges-Lehmann estimator (see stats.h).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double cs_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double cs_pnorm(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

/* Wichura, Algorithm AS 241 (PPND16), Applied Statistics 37 (1988). */
double cs_qnorm(double p)
{
	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	double q = p - 0.5, r, x;
	if (fabs(q) <= 0.425) {
		r = 0.180625 - q * q;
		return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r +
		       67265.770927008700853) * r + 45921.953931549871457) * r +
		       13731.693765509461125) * r + 1971.5909503065514427) * r +
		       133.14166789178437745) * r + 3.387132872796366608) /
		       (((((((r * 5226.495278852545925 + 28729.085735721942674) * r +
		       39307.89580009271061) * r + 21213.794301586595867) * r +
		       5394.1960214247511077) * r + 687.1870074920579083) * r +
		       42.313330701600911252) * r + 1.0);
	}
	r = q < 0 ? p : 1 - p;
	r = sqrt(-log(r));
	if (r <= 5) {
		r -= 1.6;
		x = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
		    0.24178072517745061177) * r + 1.27045825245236838258) * r +
		    3.64784832476320460504) * r + 5.7694972214606914055) * r +
		    4.6303378461565452959) * r + 1.42343711074968357734) /
		    (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
		    0.0151986665636164571966) * r + 0.14810397642748007459) * r +
		    0.68976733498510000455) * r + 1.6763848301838038494) * r +
		    2.05319162663775882187) * r + 1.0);
	} else {
		r -= 5;
		x = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
		    0.0012426609473880784386) * r + 0.026532189526576123093) * r +
		    0.29656057182850489123) * r + 1.7848265399172913358) * r +
		    5.4637849111641143699) * r + 6.6579046435011037772) /
		    (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
		    1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
		    0.0148753612908506148525) * r + 0.13692988092273580531) * r +
		    0.59983220655588793769) * r + 1.0);
	}
	return q < 0 ? -x : x;
}

/* The counts of W = 0 .. m*n for samples of M and N without ties: the
 * number of M-subsets of the ranks 1..M+N with each rank sum, counted by
 * adding one rank at a time (additions only, so the small counts of the
 * tails stay exact).  W is that sum minus M(M+1)/2.  malloc()ed (m*n + 1
 * entries), or NULL. */
static double *w_counts(size_t m, size_t n)
{
	size_t total = m + n, base = m * (m + 1) / 2, top = m * n;
	size_t maxsum = base + top;
	double *dp = calloc((m + 1) * (maxsum + 1), sizeof *dp), *c = NULL;
	if (!dp)
		return NULL;
#define DP(j, s) dp[(j) * (maxsum + 1) + (s)]
	DP(0, 0) = 1;
	for (size_t t = 1; t <= total; t++)
		for (size_t j = t < m ? t : m; j >= 1; j--)
			for (size_t s = maxsum; s >= t; s--)
				DP(j, s) += DP(j - 1, s - t);
	if ((c = malloc((top + 1) * sizeof *c)))
		for (size_t w = 0; w <= top; w++)
			c[w] = DP(m, w + base);
#undef DP
	free(dp);
	return c;
}

double cs_pwilcox(double q, size_t m, size_t n)
{
	if (!m || !n || m + n > 400)
		return -1;
	if (q < 0)
		return 0;
	if (q >= (double)(m * n))
		return 1;
	double *c = w_counts(m, n), below = 0, total = 0;
	if (!c)
		return -1;
	for (size_t k = 0; k <= m * n; k++) {
		total += c[k];
		if ((double)k <= q)
			below += c[k];
	}
	free(c);
	return below / total;
}

/* The smallest q with P(W <= q) >= P (R's qwilcox). */
static size_t qwilcox(double p, size_t m, size_t n)
{
	double *c = w_counts(m, n), total = 0, run = 0;
	size_t q = 0;
	if (!c)
		return 0;
	for (size_t k = 0; k <= m * n; k++)
		total += c[k];
	for (q = 0; q <= m * n; q++) {
		run += c[q];
		if (run / total >= p * (1 - 64 * 2.2e-16))   /* R's fuzz */
			break;
	}
	free(c);
	return q;
}

/* One value and where it came from, for ranking. */
struct obs { double v; int from_x; };

static int cmp_obs(const void *a, const void *b)
{
	return cmp_double(&((const struct obs *)a)->v, &((const struct obs *)b)->v);
}

/* Rank X - D against Y (average ranks for ties): *RX the rank sum of X,
 * *TIES the sum of t^3 - t over the tie groups.  O is scratch of nx+ny. */
static void rank_shifted(const double *x, size_t nx, const double *y, size_t ny, double d,
                         struct obs *o, double *rx, double *ties)
{
	size_t n = nx + ny;
	for (size_t i = 0; i < nx; i++)
		o[i] = (struct obs){ x[i] - d, 1 };
	for (size_t j = 0; j < ny; j++)
		o[nx + j] = (struct obs){ y[j], 0 };
	qsort(o, n, sizeof *o, cmp_obs);
	*rx = 0, *ties = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && o[j + 1].v == o[i].v)
			j++;
		double t = (double)(j - i + 1), rank = (double)(i + j) / 2 + 1;
		for (size_t k = i; k <= j; k++)
			if (o[k].from_x)
				*rx += rank;
		*ties += t * t * t - t;
		i = j + 1;
	}
}

/* R's wdiff: the continuity-corrected normal statistic of the shift D,
 * minus ZQ; NAN when every observation is tied. */
static double wdiff(const double *x, size_t nx, const double *y, size_t ny, double d, double zq,
                    struct obs *o)
{
	double rx, ties, fx = (double)nx, fy = (double)ny;
	rank_shifted(x, nx, y, ny, d, o, &rx, &ties);
	double dz = rx - fx * (fx + 1) / 2 - fx * fy / 2;
	double corr = dz > 0 ? 0.5 : dz < 0 ? -0.5 : 0;
	double sigma = sqrt(fx * fy / 12 * ((fx + fy + 1) - ties / ((fx + fy) * (fx + fy - 1))));
	if (sigma == 0)
		return NAN;
	return (dz - corr) / sigma - zq;
}

/* The shift where wdiff(., ZQ) (decreasing in the shift) crosses zero,
 * within [LO, HI], as R's root() does. */
static double root(const double *x, size_t nx, const double *y, size_t ny, double lo, double hi,
                   double zq, struct obs *o)
{
	double flo = wdiff(x, nx, y, ny, lo, zq, o), fhi = wdiff(x, nx, y, ny, hi, zq, o);
	if (flo <= 0)
		return lo;
	if (fhi >= 0)
		return hi;
	double tol = (hi - lo) * 1e-12;
	for (int i = 0; i < 200 && hi - lo > tol; i++) {
		double mid = lo + (hi - lo) / 2;
		if (wdiff(x, nx, y, ny, mid, zq, o) > 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

int cs_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double conf,
                    struct cs_mw *out)
{
	memset(out, 0, sizeof *out);
	if (!nx || !ny || nx > CS_MAX_SAMPLE || ny > CS_MAX_SAMPLE || !(conf > 0 && conf < 1))
		return -1;
	for (size_t i = 0; i < nx; i++)
		if (isnan(x[i]))
			return -1;
	for (size_t j = 0; j < ny; j++)
		if (isnan(y[j]))
			return -1;
	struct obs *o = malloc((nx + ny) * sizeof *o);
	double *diffs = malloc(nx * ny * sizeof *diffs);
	int rc = -1;
	if (!o || !diffs)
		goto done;
	double rx, ties, fx = (double)nx, fy = (double)ny, alpha = 1 - conf;
	rank_shifted(x, nx, y, ny, 0, o, &rx, &ties);
	out->w = rx - fx * (fx + 1) / 2;
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			diffs[i * ny + j] = x[i] - y[j];
	out->estimate = cs_median(diffs, nx * ny);   /* sorts diffs */
	out->exact = nx < 50 && ny < 50 && ties == 0;
	if (out->exact) {
		double p = out->w > fx * fy / 2 ? 1 - cs_pwilcox(out->w - 1, nx, ny)
		                                : cs_pwilcox(out->w, nx, ny);
		out->p = fmin(2 * p, 1);
		size_t qu = qwilcox(alpha / 2, nx, ny);
		if (qu == 0)
			qu = 1;
		size_t ql = nx * ny - qu;
		out->lo = diffs[qu - 1];
		out->hi = diffs[ql];
		out->ci = true;
	} else {
		double z = out->w - fx * fy / 2;
		double sigma = sqrt(fx * fy / 12 * ((fx + fy + 1) - ties / ((fx + fy) * (fx + fy - 1))));
		double corr = z > 0 ? 0.5 : z < 0 ? -0.5 : 0;
		if (sigma > 0) {
			z = (z - corr) / sigma;
			out->p = 2 * fmin(cs_pnorm(z), 1 - cs_pnorm(z));
		} else {
			out->p = 1;   /* every observation tied: no evidence of a shift */
		}
		double mumin = diffs[0], mumax = diffs[nx * ny - 1];
		if (sigma > 0 && !isnan(wdiff(x, nx, y, ny, mumin, 0, o))) {
			out->lo = root(x, nx, y, ny, mumin, mumax, cs_qnorm(1 - alpha / 2), o);
			out->hi = root(x, nx, y, ny, mumin, mumax, cs_qnorm(alpha / 2), o);
			out->ci = true;
		}
	}
	rc = 0;
done:
	free(o), free(diffs);
	return rc;
}
