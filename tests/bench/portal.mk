# tests/bench/portal.mk: the portal benchmark (issue 16, "Performance").
# The HTTP client is built by `make check` so it cannot rot; the benchmark
# runs by `make bench-portal` (N components for paved alone, BS_N for the
# comparison with Backstage's catalog backend, SECONDS of load).
check_PROGRAMS += tests/bench/bench_http
tests_bench_bench_http_SOURCES = tests/bench/bench_http.c
EXTRA_DIST += tests/bench/bench_portal.sh tests/bench/backstage-catalog.mjs \
	tests/bench/RESULTS-portal.md

BENCH_PORTAL_N = 100000
BENCH_PORTAL_BS_N = 2000
BENCH_PORTAL_SECONDS = 20
bench-portal: all tests/bench/bench_http$(EXEEXT)
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	  sh $(srcdir)/tests/bench/bench_portal.sh $(BENCH_PORTAL_N) $(BENCH_PORTAL_BS_N) \
	  $(BENCH_PORTAL_SECONDS)
.PHONY: bench-portal
