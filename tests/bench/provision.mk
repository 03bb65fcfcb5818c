# tests/bench/provision.mk: the provisioning benchmark (issue 5).  Built
# by `make check` so it cannot rot; run by `make bench-provision`.
check_PROGRAMS += tests/bench/bench_provision
tests_bench_bench_provision_SOURCES = tests/bench/bench_provision.c tests/bench/bench.h
tests_bench_bench_provision_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS) \
	-DPV_TEST_BUILDDIR='"$(abs_top_builddir)"'
tests_bench_bench_provision_LDADD = host/libpaved.la $(JANSSON_LIBS) $(PQ_LIBS)
EXTRA_DIST += tests/bench/RESULTS-provision.md

BENCH_PROVISION_RUNS = 15
# PostgreSQL refuses to run as root: as root, run as the user postgres.
bench-provision: all tests/bench/bench_provision$(EXEEXT)
	@if [ "$$(id -u)" -eq 0 ]; then \
		runuser -u postgres -- env TMPDIR=/tmp tests/bench/bench_provision$(EXEEXT) $(BENCH_PROVISION_RUNS); \
	else \
		tests/bench/bench_provision$(EXEEXT) $(BENCH_PROVISION_RUNS); \
	fi
.PHONY: bench-provision
