/*
 * weights.h -- exact traffic shares through HAProxy server weights
 * (prefix cw_).  Plain C.
 *
 * HAProxy shares requests among a backend's servers in proportion to
 * their weights (integers 0..256).  A canary at P% with C canary replicas
 * next to S stable ones (and, with a judge, B baseline replicas taking P%
 * too) needs weights wc, wb, ws with C*wc : B*wb : S*ws = P : P : 100-P(-P).
 * The search tries every stable weight 1..256 and rounds the others, and
 * keeps the pair closest to P (ties: the larger weights): 5% of 2 stable
 * replicas and 1 canary is 20 : 190+190 (5.00%), whatever the replica
 * count; only shares finer than 1/256 of a server are approximated.
 */
#ifndef CW_WEIGHTS_H
#define CW_WEIGHTS_H

struct cw_split {
	int    canary, baseline, stable;   /* the weight of each server of the group */
	double share;                      /* the canary's share it gives, in % */
};

/* The weights for PCT (0..100) with C canary, B baseline (0: none) and S
 * stable servers.  0, or -1 when no stable server is left to take the
 * rest (S == 0 and PCT < 100, or 2*PCT > 100 with a baseline). */
int cw_split(double pct, int c, int b, int s, struct cw_split *out);

#endif
