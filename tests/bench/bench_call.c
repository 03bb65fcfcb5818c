/*
 * bench_call -- the cost of a C-to-C hook call.
 *
 * One provider, `bench.work`, reads the five fields of its JSON argument.
 * The same function is called N times directly and N times through the
 * resolved hook (pv_call_hook, which is api->call_hook), with the same
 * prebuilt 5-field argument; the difference is the dispatch overhead
 * without the JSON work (target: under 25 ns).  Each figure is the median
 * of RUNS runs.  For context it also measures building the argument and
 * the registry's per-call lookups of the before:/after: chains.
 *
 * Usage: bench_call [ITERATIONS [RUNS]]   (default 10000000 7)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "bench.h"

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noipa))
#endif

static long long checksum;

/* The provider: the "JSON work" both paths share. */
static NOINLINE int work(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                         void *data)
{
	(void)ctx, (void)result, (void)errmsg, (void)data;
	checksum += json_integer_value(json_object_get(args, "replicas"))
	          + (long long)json_string_length(json_object_get(args, "name"))
	          + (long long)json_string_length(json_object_get(args, "env"))
	          + json_is_true(json_object_get(args, "canary"))
	          + (long long)json_real_value(json_object_get(args, "weight"));
	return PAVED_OK;
}

static json_t *make_args(void)
{
	return json_pack("{sssssisbsf}", "name", "payment-api", "env", "dev", "replicas", 3,
	                 "canary", 1, "weight", 0.25);
}

typedef double (*bench_fn)(pv_host *h, struct paved_hook *hk, json_t *args, long n);

/* N direct calls of work(); ns per call. */
static double run_direct(pv_host *h, struct paved_hook *hk, json_t *args, long n)
{
	(void)hk;
	json_t *res = NULL;
	char *err = NULL;
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		int rc = work(&h->self, args, &res, &err, NULL);
		BENCH_KEEP(rc);
	}
	return (bench_now_ns() - t0) / (double)n;
}

/* N calls through the resolved hook; ns per call. */
static double run_hook(pv_host *h, struct paved_hook *hk, json_t *args, long n)
{
	json_t *res = NULL;
	char *err = NULL;
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		int rc = pv_call_hook(h, hk, args, &res, &err);
		BENCH_KEEP(rc);
		json_decref(res);   /* JSON null: a no-op, as for any result */
	}
	return (bench_now_ns() - t0) / (double)n;
}

/* N calls the way a C plugin makes them: through the function table. */
static double run_api(pv_host *h, struct paved_hook *hk, json_t *args, long n)
{
	const struct paved_api *api = &pv_api;
	json_t *res = NULL;
	char *err = NULL;
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		int rc = api->call_hook(&h->self, hk, args, &res, &err);
		BENCH_KEEP(rc);
		json_decref(res);
	}
	return (bench_now_ns() - t0) / (double)n;
}

/* N times what pv_call_hook does per call to find the before:/after:
 * chains (a snprintf and a hash lookup each); ns per call. */
static double run_chain_lookups(pv_host *h, struct paved_hook *hk, json_t *args, long n)
{
	(void)args;
	char key[256];
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof key, "%s:%s", "before", hk->name);
		struct paved_hook *b = pv_hook_get(h, key, false);
		snprintf(key, sizeof key, "after:%s", hk->name);
		struct paved_hook *a = pv_hook_get(h, key, false);
		BENCH_KEEP(b);
		BENCH_KEEP(a);
	}
	return (bench_now_ns() - t0) / (double)n;
}

/* N times building and freeing the 5-field argument; ns per call. */
static double run_build(pv_host *h, struct paved_hook *hk, json_t *args, long n)
{
	(void)h, (void)hk, (void)args;
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		json_t *a = make_args();
		BENCH_KEEP(a);
		json_decref(a);
	}
	return (bench_now_ns() - t0) / (double)n;
}

enum { DIRECT, HOOK, API, CHAINS, BUILD, NVARIANTS };
static const bench_fn variants[NVARIANTS] = {
	run_direct, run_hook, run_api, run_chain_lookups, run_build
};

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000L;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	char *err = NULL;
	if (n <= 0 || runs <= 0 || runs > 64) {
		fprintf(stderr, "usage: bench_call [ITERATIONS [RUNS<=64]]\n");
		return 2;
	}
	pv_host *h = calloc(1, sizeof *h);
	if (h)
		h->self = (struct paved_ctx){ h, NULL };
	if (!h || pv_registry_init(h) ||
	    pv_provide(h, NULL, "bench.work", work, NULL, NULL, &err)) {
		fprintf(stderr, "bench_call: setup failed: %s\n", err ? err : "out of memory");
		return 1;
	}
	struct paved_hook *hk = pv_hook_get(h, "bench.work", false);
	json_t *args = make_args();

	run_direct(h, hk, args, n / 10 + 1);   /* warm up caches and branch predictors */
	run_hook(h, hk, args, n / 10 + 1);
	/* Rounds alternate the variants, so a machine that gets busier or
	 * quieter during the run moves every median alike. */
	double v[NVARIANTS][64], med[NVARIANTS], best[NVARIANTS];
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < NVARIANTS; k++)
			v[k][r] = variants[k](h, hk, args, k == BUILD ? n / 4 + 1 : n);
	for (int k = 0; k < NVARIANTS; k++) {
		med[k] = bench_median(v[k], (size_t)runs);
		best[k] = v[k][0];  /* sorted by bench_median */
	}
	double direct = med[DIRECT], hook = med[HOOK], via_api = med[API];
	double chains = med[CHAINS], build = med[BUILD];
	double overhead = hook - direct;

	printf("bench_call: C-to-C hook call, 5-field JSON argument "
	       "(%ld calls, median of %d runs)\n", n, runs);
	printf("  direct call of the provider      %8.1f ns/call  (best run %.1f)\n",
	       direct, best[DIRECT]);
	printf("  pv_call_hook (resolved hook)     %8.1f ns/call  (best run %.1f)\n",
	       hook, best[HOOK]);
	printf("  api->call_hook (plugin's view)   %8.1f ns/call  (best run %.1f)\n",
	       via_api, best[API]);
	printf("  dispatch overhead (hook-direct)  %8.1f ns/call  target < 25 ns: %s\n",
	       overhead, overhead < 25.0 ? "met" : "NOT MET");
	printf("  ratio hook/direct                %8.2f x\n", hook / direct);
	printf("  best runs: overhead %.1f ns/call, ratio %.2f x\n",
	       best[HOOK] - best[DIRECT], best[HOOK] / best[DIRECT]);
	printf("  of which before:/after: chain lookups (2 x snprintf + hash) %.1f ns/call\n",
	       chains);
	printf("  for scale: building the 5-field argument (json_pack+decref) %.1f ns\n",
	       build);

	json_decref(args);
	pv_registry_free(h);
	free(h);
	BENCH_KEEP(checksum);
	return 0;
}
