# tests/bench/golden.mk: the golden-path benchmarks (issue 3), run by
# `make bench-golden` and never by `make check` (which only compiles
# bench_render, so it cannot rot).  Both scripts also run on their own:
#
#   tests/bench/bench_render.sh [RENDERS] [PROCESS_RUNS]
#   tests/bench/bench_create.sh [RUNS]
#
# Tunables: GOLDEN_RENDERS (in-process renders, default 200),
# GOLDEN_PROCESS_RUNS (whole-process runs per renderer, default 20),
# GOLDEN_CREATE_RUNS (`paved create` runs, default 20).

check_PROGRAMS += tests/bench/bench_render
tests_bench_bench_render_SOURCES = tests/bench/bench_render.c tests/bench/bench.h
tests_bench_bench_render_CPPFLAGS = $(AM_CPPFLAGS)
tests_bench_bench_render_LDADD = host/libpaved.la $(JANSSON_LIBS)

EXTRA_DIST += tests/bench/bench_render.sh tests/bench/bench_create.sh \
	tests/bench/bench_create_live.sh \
	tests/bench/RESULTS-golden.md

GOLDEN_RENDERS = 200
GOLDEN_PROCESS_RUNS = 20
GOLDEN_CREATE_RUNS = 20
GOLDEN_BENCH_ENV = top_builddir="$(abs_top_builddir)" top_srcdir="$(abs_top_srcdir)"

bench-golden-render: all tests/bench/bench_render$(EXEEXT)
	$(GOLDEN_BENCH_ENV) $(SHELL) $(srcdir)/tests/bench/bench_render.sh \
		$(GOLDEN_RENDERS) $(GOLDEN_PROCESS_RUNS)

bench-golden-create: all
	$(GOLDEN_BENCH_ENV) $(SHELL) $(srcdir)/tests/bench/bench_create.sh \
		$(GOLDEN_CREATE_RUNS)

# Issue #11: create with PostgreSQL, the cluster running, to a live URL.
GOLDEN_LIVE_RUNS = 9
bench-golden-live: all
	$(GOLDEN_BENCH_ENV) bash $(srcdir)/tests/bench/bench_create_live.sh $(GOLDEN_LIVE_RUNS)

# Sequential on purpose: two benchmarks at once would disturb each other.
bench-golden: all tests/bench/bench_render$(EXEEXT)
	$(MAKE) $(AM_MAKEFLAGS) bench-golden-render
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-golden-create
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-golden-live

.PHONY: bench-golden bench-golden-render bench-golden-create bench-golden-live
