/*
 * bench_render.c -- how long paved's renderer takes for one skeleton.
 *
 * Usage: bench_render [-n N] [-k KEEPDIR] SKELETON CONTEXT.json WORKDIR
 *
 * Renders SKELETON (names and contents, as `paved create` does) with the
 * JSON object in CONTEXT.json N times (default 200), each time into a
 * fresh directory WORKDIR/rI that does not exist yet, by calling
 * pv_render_tree() in this process.  Each render is timed on its own:
 * reading the skeleton, rendering, creating the directories and writing
 * the files.  Removing the output is done between renders, untimed.
 * One warm-up render comes first (page cache, allocator), untimed.
 *
 * -k KEEPDIR keeps one render in KEEPDIR (which must not exist), so it
 * can be compared with another renderer's output (diff -r).
 *
 * Prints one line:
 *   paved-render files=13 runs=200 median_ms=0.412 min_ms=0.380 mean_ms=0.430
 * With -n 0 -k OUTDIR it renders once into OUTDIR and prints nothing: the
 * whole-process measurement target (start-up and loading libpaved and
 * jansson included), timed from the outside.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "host.h"
#include "proc.h"
#include "skeleton.h"

#include "bench.h"

static void usage(void)
{
	fprintf(stderr, "usage: bench_render [-n N] [-k KEEPDIR] SKELETON CONTEXT.json WORKDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long runs = 200;
	const char *keep = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "n:k:")) != -1) {
		switch (opt) {
		case 'n':
			runs = strtol(optarg, NULL, 10);
			break;
		case 'k':
			keep = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || runs < 0 || (runs == 0 && !keep))
		usage();
	const char *skel = argv[optind], *ctxfile = argv[optind + 1], *work = argv[optind + 2];

	json_error_t jerr;
	json_t *ctx = json_load_file(ctxfile, 0, &jerr);
	if (!ctx || !json_is_object(ctx)) {
		fprintf(stderr, "bench_render: %s:%d: %s\n", ctxfile, jerr.line,
		        ctx ? "not a JSON object" : jerr.text);
		return 1;
	}

	char *err = NULL;
	int files = 0;
	if (keep && pv_render_tree(skel, keep, ctx, &files, &err)) {
		fprintf(stderr, "bench_render: %s\n", err ? err : "render failed");
		return 1;
	}
	if (runs == 0) {  /* -n 0 -k DIR: one render, the whole-process target */
		json_decref(ctx);
		return 0;
	}

	double *t = calloc((size_t)runs, sizeof *t), sum = 0;
	char path[4096];
	if (!t)
		return 1;
	/* i = -1 is the untimed warm-up. */
	for (long i = -1; i < runs; i++) {
		snprintf(path, sizeof path, "%s/r%ld", work, i < 0 ? 999999L : i);
		double t0 = bench_now_ns();
		int rc = pv_render_tree(skel, path, ctx, &files, &err);
		double t1 = bench_now_ns();
		if (rc) {
			fprintf(stderr, "bench_render: %s\n", err ? err : "render failed");
			return 1;
		}
		if (i >= 0) {
			t[i] = (t1 - t0) / 1e6;
			sum += t[i];
		}
		if (pv_rm_rf(path, &err)) {
			fprintf(stderr, "bench_render: %s\n", err ? err : "cannot remove output");
			return 1;
		}
	}
	double mean = sum / (double)runs, med = bench_median(t, (size_t)runs);
	printf("paved-render files=%d runs=%ld median_ms=%.3f min_ms=%.3f mean_ms=%.3f\n", files,
	       runs, med, t[0], mean);
	free(t);
	json_decref(ctx);
	return 0;
}
