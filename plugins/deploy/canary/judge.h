/*
 * judge.h -- the statistical judge "mann-whitney" (prefix cj_): the
 * canary's samples against a fresh baseline's, per metric, as Kayenta's
 * NetflixACAJudge does.  Plain C and JSON, no paved API.
 *
 * Per metric (canary X against baseline Y, each a list of measurements):
 *   - no data on either side: Nodata (left out of the score; a metric with
 *     mustHaveData counts as a failure instead);
 *   - identical samples, or a single distinct value: Pass;
 *   - otherwise the Mann-Whitney test at CONFIDENCE (0.98) gives the
 *     Hodges-Lehmann shift X - Y and its confidence interval.  The
 *     effect size is the shift relative to the baseline's median,
 *     ratio = (median(Y) + shift) / median(Y) (NaN when that median is 0:
 *     the effect gate is then skipped, as Kayenta skips a NaN ratio).
 *     High: the direction allows an increase, the whole interval lies
 *     above the tolerance band +-TOLERANCE*|shift| (0.25), and ratio >=
 *     allowedIncrease.  Low: the mirror image with allowedDecrease.
 *     Else Pass.
 * Score: 100 * (sum of the weights of the metrics that Pass) / (sum of the
 * weights of the metrics with data); 0 when a critical metric is High or
 * Low (beyond criticalIncrease / criticalDecrease when given), or when half
 * of the metrics or more have no data.  Verdict: pass when score >= pass
 * (95), marginal when >= marginal (75), else fail.
 *
 * The configuration (normalised by spec.c):
 *   {confidence, tolerance, pass, marginal, metrics: {NAME: {direction:
 *    increase|decrease|either, critical, weight, allowedIncrease,
 *    allowedDecrease, criticalIncrease?, criticalDecrease?, mustHaveData}}}
 * Samples: {NAME: {canary: [numbers], baseline: [numbers]}} (null entries,
 * no data, are dropped).
 */
#ifndef CJ_JUDGE_H
#define CJ_JUDGE_H

#include <jansson.h>

/* Judge SAMPLES by CONFIG (both borrowed).  New reference:
 *   {verdict: "pass"|"marginal"|"fail", score, reason,
 *    metrics: [{name, classification, critical, ratio, shift, lo, hi, p,
 *               canary_median, baseline_median, n_canary, n_baseline}]}
 * REASON names what decided it, e.g. "latency_p99 High (canary 0.074 vs
 * baseline 0.049, +51%, critical): score 0 < marginal 75". */
json_t *cj_judge(json_t *config, json_t *samples);

#endif
