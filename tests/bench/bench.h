/*
 * bench.h -- small helpers shared by the benchmarks in tests/bench.
 *
 * A monotonic clock in nanoseconds and the median of a few runs: each
 * benchmark repeats its measurement and reports the median, so one run
 * disturbed by the machine does not move the figure.
 */
#ifndef PV_BENCH_H
#define PV_BENCH_H

#include <stdlib.h>
#include <time.h>

/* Nanoseconds on the monotonic clock. */
static inline double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of V[0..N) (sorts V in place). */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Keep VALUE alive as far as the optimiser is concerned. */
#define BENCH_KEEP(value) __asm__ volatile("" : : "g"(value) : "memory")

#endif /* PV_BENCH_H */
