# tests/bench/logs.mk: the log shipping benchmark (issue 13): 50,000 lines/s
# from one replica, none dropped, and the ratio to plain file writing.  Run
# by `make bench-logs` (not by make check).
EXTRA_DIST += tests/bench/bench_logship.sh
bench-logs: all
	top_builddir="$(abs_top_builddir)" top_srcdir="$(abs_top_srcdir)" \
		$(SHELL) $(srcdir)/tests/bench/bench_logship.sh
.PHONY: bench-logs
