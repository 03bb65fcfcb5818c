# tests/bench/canary.mk: the canary benchmarks (issue 14): paved abort to 0%
# canary traffic, a 10-step canary against its 10 s schedule.  Run by `make
# bench-canary` (not by make check); results in tests/bench/RESULTS-canary.md.
EXTRA_DIST += tests/bench/bench_canary.sh tests/bench/RESULTS-canary.md
bench-canary: all plugins/deploy/canary/testdata/canary-app$(EXEEXT)
	top_builddir="$(abs_top_builddir)" top_srcdir="$(abs_top_srcdir)" \
		$(SHELL) $(srcdir)/tests/bench/bench_canary.sh
.PHONY: bench-canary
