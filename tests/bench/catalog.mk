# tests/bench/catalog.mk: the catalog benchmark (issue 4, "Performance").
# The raw-SQLite floor program is built by `make check` so it cannot rot;
# the benchmark itself runs by `make bench-catalog` (N components, RUNS
# repetitions of each timed command).
check_PROGRAMS += tests/bench/bench_catalog_raw
tests_bench_bench_catalog_raw_SOURCES = tests/bench/bench_catalog_raw.c
tests_bench_bench_catalog_raw_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS)
tests_bench_bench_catalog_raw_LDADD = $(SQLITE_LIBS)
EXTRA_DIST += tests/bench/bench_catalog.sh tests/bench/RESULTS-catalog.md

BENCH_CATALOG_N = 100000
BENCH_CATALOG_RUNS = 21
bench-catalog: all tests/bench/bench_catalog_raw$(EXEEXT)
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	  sh $(srcdir)/tests/bench/bench_catalog.sh $(BENCH_CATALOG_N) $(BENCH_CATALOG_RUNS)
.PHONY: bench-catalog
