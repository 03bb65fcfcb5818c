/*
 * weights.c -- exact traffic shares through server weights (weights.h).
 */
#include "weights.h"

#include <math.h>

/* ROUND(X) clamped to 1..256. */
static int clamp(double x)
{
	long v = lround(x);
	return v < 1 ? 1 : v > 256 ? 256 : (int)v;
}

int cw_split(double pct, int c, int b, int s, struct cw_split *out)
{
	double p = pct / 100;
	*out = (struct cw_split){ 0, 0, 0, 0 };
	if (c < 1 || pct < 0 || pct > 100)
		return -1;
	if (pct == 0) {
		*out = (struct cw_split){ 0, 0, s ? 100 : 0, 0 };
		return s ? 0 : -1;
	}
	if (pct == 100 && !b) {
		*out = (struct cw_split){ 100, 0, 0, 100 };
		return 0;
	}
	double rest = 1 - p - (b ? p : 0);
	if (s < 1 || rest < 0)
		return -1;
	if (rest == 0) {   /* 50% with a baseline: canary and baseline only */
		int wc = b >= c ? 100 : clamp(100.0 * b / c), wb = b >= c ? clamp(100.0 * c / b) : 100;
		*out = (struct cw_split){ wc, wb, 0, 100.0 * c * wc / (c * wc + b * wb) };
		return 0;
	}
	double best = INFINITY;
	for (int ws = 1; ws <= 256; ws++) {
		double unit = s * ws / rest;   /* the total the stable servers make 1 - 2p of */
		int wc = clamp(p * unit / c), wb = b ? clamp(p * unit / b) : 0;
		double total = (double)c * wc + (double)b * wb + (double)s * ws;
		double err = fabs(c * wc / total - p) + (b ? fabs(b * wb / total - p) : 0);
		if (err <= best + 1e-12) {
			best = err;
			*out = (struct cw_split){ wc, wb, ws, 100 * c * wc / total };
		}
	}
	return 0;
}
