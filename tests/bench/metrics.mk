# tests/bench/metrics.mk: the metrics benchmarks (issue 13): `paved metrics
# SERVICE` against a running Prometheus (target < 100 ms) and the node-api
# skeleton's throughput with its metrics on against METRICS=off under wrk
# (target >= 0.95).  Run by `make bench-metrics` (not by make check).
EXTRA_DIST += tests/bench/bench_metrics.sh tests/bench/RESULTS-metrics.md
bench-metrics: all
	top_builddir="$(abs_top_builddir)" $(SHELL) $(srcdir)/tests/bench/bench_metrics.sh
.PHONY: bench-metrics
