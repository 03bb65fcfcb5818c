# tests/bench/deploy.mk: the deploy benchmarks (issues 6 and 11): git push to
# a new version serving, the no-op re-deploy of the live version, a rolling
# deploy under a request loop, HAProxy's overhead.  Run by `make
# bench-deploy` (not by make check); results in tests/bench/RESULTS-deploy.md.
EXTRA_DIST += tests/bench/bench_deploy.sh tests/bench/RESULTS-deploy.md
bench-deploy: all
	top_builddir="$(abs_top_builddir)" $(SHELL) $(srcdir)/tests/bench/bench_deploy.sh
.PHONY: bench-deploy
