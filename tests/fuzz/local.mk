# tests/fuzz/: libFuzzer targets over what a user's input reaches --
# Mustache, platform.yaml and the host's YAML, configuration, recipe
# params, catalog import (README.md there).  clang builds them beside the
# libtool build: the code under test, taken from the same source lists,
# is compiled again with -fsanitize=fuzzer-no-link,address,undefined into
# two archives here.
#   make fuzz [FUZZ_SECONDS=N]    build, then run each target N s (10)
#   make fuzz-build               build only
#   tests/fuzz/run.sh (in TESTS)  60 s each under CI=true, else a smoke run

FUZZ_SECONDS = 10
FUZZ_CC = clang
FUZZ_NAMES = template platform config params catalog
FUZZ_BINS = $(FUZZ_NAMES:%=tests/fuzz/fuzz_%)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=c11 -g -O1 -fno-omit-frame-pointer -pthread $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
FUZZ_CPPFLAGS = -I$(top_builddir) -I$(top_srcdir) $(host_libpaved_la_CPPFLAGS) \
	-I$(top_srcdir)/plugins/catalog/sqlite -I$(top_srcdir)/tests/fuzz \
	-DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
FUZZ_LIBS = $(JANSSON_LIBS) $(SQLITE_LIBS) $(LUA_LIBS) $(LTDL_LIBS) $(YAML_LIBS) -lm
FUZZ_MISSING = the fuzz targets need clang with libFuzzer and the sanitizers; \
	on Debian: apt-get install clang libclang-rt-dev llvm (scripts/bootstrap installs them)

# The code under test, from the lists the libtool build compiles, so a
# file added to or dropped from them is followed here.
FUZZ_OBJ = tests/fuzz/obj
FUZZ_HOST_SRCS = $(filter %.c,$(host_libpaved_la_SOURCES) \
	$(nodist_host_libpaved_la_SOURCES) $(plugins_common_libpc_la_SOURCES))
FUZZ_CATALOG_SRCS = $(filter %.c,$(CATALOG_CORE))
FUZZ_HOST_OBJS = $(FUZZ_HOST_SRCS:%.c=$(FUZZ_OBJ)/%.o)
FUZZ_CATALOG_OBJS = $(FUZZ_CATALOG_SRCS:%.c=$(FUZZ_OBJ)/%.o)
FUZZ_TARGET_OBJS = $(FUZZ_NAMES:%=$(FUZZ_OBJ)/tests/fuzz/fuzz_%.o) \
	$(FUZZ_OBJ)/tests/fuzz/fuzz_util.o
FUZZ_DEPS_H = $(filter %.h,$(host_libpaved_la_SOURCES) $(CATALOG_CORE) \
	$(plugins_common_libpc_la_SOURCES)) sdk/include/paved/plugin.h \
	tests/fuzz/fuzz_util.h config.h

FUZZ_ALL_OBJS = $(FUZZ_HOST_OBJS) $(FUZZ_CATALOG_OBJS) $(FUZZ_TARGET_OBJS)
$(FUZZ_ALL_OBJS): $(FUZZ_DEPS_H)
$(FUZZ_ALL_OBJS): $(FUZZ_OBJ)/%.o: %.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

tests/fuzz/libpaved.a: $(FUZZ_HOST_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) rcs $@ $(FUZZ_HOST_OBJS)
tests/fuzz/libcatalog.a: $(FUZZ_CATALOG_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) rcs $@ $(FUZZ_CATALOG_OBJS)

# Every target links both archives: the linker takes what it uses.
$(FUZZ_BINS): tests/fuzz/fuzz_%: $(FUZZ_OBJ)/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)/tests/fuzz/fuzz_util.o \
		tests/fuzz/libcatalog.a tests/fuzz/libpaved.a
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# Whether FUZZ_CC links a libFuzzer target with the sanitizers.
FUZZ_PROBE = $(MKDIR_P) tests/fuzz && \
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return d && n > 9; }\n' \
	| $(FUZZ_CC) -x c $(FUZZ_SAN) -fsanitize=fuzzer -o tests/fuzz/probe - >/dev/null 2>&1; \
	rc=$$?; rm -f tests/fuzz/probe; test $$rc = 0

# `make fuzz-build` fails without the tools; `make check` builds what it
# can and tests/fuzz/run.sh says what is missing (a failure under CI=true).
fuzz-build:
	@if $(FUZZ_PROBE); then :; else echo "make fuzz: $(FUZZ_MISSING)" >&2; exit 1; fi
	@$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_BINS)
fuzz-check-build:
	@if $(FUZZ_PROBE); then $(MAKE) $(AM_MAKEFLAGS) $(FUZZ_BINS); \
	else echo "tests/fuzz: not built: $(FUZZ_MISSING)" >&2; fi

fuzz: fuzz-build
	@top_builddir="$(abs_top_builddir)" top_srcdir="$(abs_top_srcdir)" \
		$(SHELL) $(srcdir)/tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)
.PHONY: fuzz fuzz-build fuzz-check-build

check_DATA = fuzz-check-build
TESTS += tests/fuzz/run.sh
CLEANFILES += $(FUZZ_BINS) tests/fuzz/libpaved.a tests/fuzz/libcatalog.a \
	$(FUZZ_ALL_OBJS)
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run.sh tests/fuzz/known-bugs tests/fuzz/fuzz_util.h \
	tests/fuzz/fuzz_util.c $(FUZZ_NAMES:%=tests/fuzz/fuzz_%.c) \
	tests/fuzz/dict tests/fuzz/corpus
