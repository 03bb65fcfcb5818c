# tests/bench: benchmarks, run by `make bench` (never by `make check`,
# which only compiles them so they cannot rot), and the webhook sink's
# end-to-end test (kept here, not in tests/local.mk, to avoid edit clashes).

TESTS += tests/e2e/webhook.sh
EXTRA_DIST += tests/e2e/webhook.sh tests/bench/bench_startup.sh \
	tests/bench/benchplug.c tests/bench/RESULTS.md

BENCH_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS)
BENCH_LDADD = host/libpaved.la $(JANSSON_LIBS) $(SQLITE_LIBS) $(LTDL_LIBS)

check_PROGRAMS += tests/bench/bench_call tests/bench/bench_load
tests_bench_bench_call_SOURCES = tests/bench/bench_call.c tests/bench/bench.h
tests_bench_bench_call_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_call_LDADD = $(BENCH_LDADD)
tests_bench_bench_load_SOURCES = tests/bench/bench_load.c tests/bench/bench.h
tests_bench_bench_load_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_load_LDADD = $(BENCH_LDADD)

# The template plugin, built once by `make check` (as p00) so it compiles...
check_LTLIBRARIES += tests/bench/benchplug.la
tests_bench_benchplug_la_SOURCES = tests/bench/benchplug.c
tests_bench_benchplug_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere
tests_bench_benchplug_la_LIBADD = $(JANSSON_LIBS)

# ... and 50 times by `make bench`, as p01.so .. p50.so, for bench_load.
BENCH_PLUGIN_NAMES = \
	p01 p02 p03 p04 p05 p06 p07 p08 p09 p10 p11 p12 p13 p14 p15 p16 p17 \
	p18 p19 p20 p21 p22 p23 p24 p25 p26 p27 p28 p29 p30 p31 p32 p33 p34 \
	p35 p36 p37 p38 p39 p40 p41 p42 p43 p44 p45 p46 p47 p48 p49 p50
BENCH_PLUGINS = $(BENCH_PLUGIN_NAMES:%=tests/bench/plugins/%.so)
CLEANFILES += $(BENCH_PLUGINS)

tests/bench/plugins/%.so: tests/bench/benchplug.c
	@$(MKDIR_P) tests/bench/plugins
	$(AM_V_CC)$(CC) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) \
		$(AM_CFLAGS) $(CFLAGS) -fPIC -shared -DPV_BENCH_NAME=$* \
		-Wl,--version-script=$(srcdir)/tests/bench/benchplug.map \
		$(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(JANSSON_LIBS)
EXTRA_DIST += tests/bench/benchplug.map

BENCH_ITERATIONS = 10000000
BENCH_RUNS = 7

# `make bench`: build everything the benchmarks need, run them, print the
# figures.  BENCH_ITERATIONS, BENCH_RUNS and BENCH_STARTUP_RUNS tune them.
bench: all tests/bench/bench_call$(EXEEXT) tests/bench/bench_load$(EXEEXT) \
		$(BENCH_PLUGINS)
	tests/bench/bench_call$(EXEEXT) $(BENCH_ITERATIONS) $(BENCH_RUNS)
	@echo
	tests/bench/bench_load$(EXEEXT) tests/bench/plugins 11
	@echo
	top_builddir="$(abs_top_builddir)" top_srcdir="$(abs_top_srcdir)" \
		$(SHELL) $(srcdir)/tests/bench/bench_startup.sh $(BENCH_STARTUP_RUNS)
.PHONY: bench
