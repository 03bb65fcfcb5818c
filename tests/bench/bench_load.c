/*
 * bench_load -- loading 50 plugins: pv_load_plugins against raw libltdl.
 *
 * DIR holds N plugin files (`make bench` builds p01.so .. p50.so from
 * benchplug.c).  Three ways of bringing them up are timed, each in a fresh
 * child process so the dynamic linker starts clean every time:
 *   raw   lt_dlopenadvise + lt_dlsym("paved_plugin") of each file, with the
 *         host's advise (ext, local): the floor any loader pays;
 *   cold  pv_load_plugins with an empty registration cache (a new
 *         PAVED_HOME): open, check, init, register, write the cache;
 *   warm  pv_load_plugins again on that PAVED_HOME: every plugin comes from
 *         the cache, none is opened.
 * Opening PAVED_HOME and the state database is outside the timed part (it
 * is start-up, measured by bench_startup.sh).  Each figure is the median of
 * RUNS runs; the target is cold/raw <= 1.3.
 *
 * For attribution it also times writing the 50 cache entries the way the
 * loader does after a cold load (pv_cache_store_dirty: one transaction,
 * one prepared statement).
 *
 * Usage: bench_load DIR [RUNS]   (default RUNS 11)
 */
#include "config.h"

#include <dirent.h>
#include <ftw.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "bench.h"

enum mode { RAW, COLD, WARM, STORE };

static char **files;
static int nfiles;

/* The .so files of DIR in name order (as the loader scans them). */
static int list_plugins(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return -1;
	files = calloc((size_t)n + 1, sizeof *files);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(ents[i]->d_name);
		if (files && len > 3 && strcmp(ents[i]->d_name + len - 3, ".so") == 0)
			files[nfiles++] = pv_path_join(dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return nfiles;
}

/* Open a host on HOME without plugins (what pv_host_open does before it
 * loads them). */
static pv_host *open_host(const char *home)
{
	struct pv_host_opts o = { .home = home, .no_plugins = true, .verbosity = 0 };
	pv_host *h = NULL;
	char *err = NULL;
	int code;
	if (pv_host_open(&o, &h, &err, &code)) {
		fprintf(stderr, "bench_load: cannot open host on %s: %s\n", home, err);
		exit(1);
	}
	return h;
}

/* Time MODE once (in the calling process); milliseconds. */
static double measure(enum mode m, const char *dir, const char *home)
{
	double t0, t1;
	char *err = NULL;
	if (m == RAW) {
		lt_dladvise advise;
		lt_dlinit();
		lt_dladvise_init(&advise);
		lt_dladvise_ext(&advise);
		lt_dladvise_local(&advise);
		t0 = bench_now_ns();
		for (int i = 0; i < nfiles; i++) {
			lt_dlhandle hd = lt_dlopenadvise(files[i], advise);
			if (!hd || !lt_dlsym(hd, "paved_plugin")) {
				fprintf(stderr, "bench_load: %s: %s\n", files[i], lt_dlerror());
				exit(1);
			}
		}
		t1 = bench_now_ns();
		return (t1 - t0) / 1e6;
	}
	pv_host *h = open_host(home);
	if (pv_loader_init(&err)) {
		fprintf(stderr, "bench_load: %s\n", err);
		exit(1);
	}
	h->loader = true;
	if (m == STORE) {
		/* The plugins are cached already (a warm home): write their
		 * entries again as the loader does after a cold load. */
		pv_load_plugins(h, dir, &err);
		for (struct pv_plugin *p = h->plugins; p; p = p->next)
			p->dirty = true, p->status = PV_PLUGIN_LOADED;
		t0 = bench_now_ns();
		pv_cache_store_dirty(h);
		t1 = bench_now_ns();
		for (struct pv_plugin *p = h->plugins; p; p = p->next)
			p->status = PV_PLUGIN_CACHED;
		pv_host_close(h);
		return (t1 - t0) / 1e6;
	}
	t0 = bench_now_ns();
	int rc = pv_load_plugins(h, dir, &err);
	t1 = bench_now_ns();
	int loaded = 0, cached = 0, failed = 0;
	for (struct pv_plugin *p = h->plugins; p; p = p->next) {
		loaded += p->status == PV_PLUGIN_LOADED;
		cached += p->status == PV_PLUGIN_CACHED;
		failed += p->status == PV_PLUGIN_FAILED;
		if (p->status == PV_PLUGIN_FAILED)
			fprintf(stderr, "bench_load: %s: %s\n", p->path, p->error);
	}
	if (rc || failed || (m == COLD ? loaded : cached) != nfiles) {
		fprintf(stderr, "bench_load: %s load: %d loaded, %d cached, %d failed of %d\n",
		        m == COLD ? "cold" : "warm", loaded, cached, failed, nfiles);
		exit(1);
	}
	pv_host_close(h);
	return (t1 - t0) / 1e6;
}

/* Run measure(M) in a fresh child process; milliseconds (exits on error). */
static double in_child(enum mode m, const char *dir, const char *home)
{
	int fds[2];
	double ms = -1;
	if (pipe(fds) != 0) {
		perror("pipe");
		exit(1);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		ms = measure(m, dir, home);
		if (write(fds[1], &ms, sizeof ms) != (ssize_t)sizeof ms)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	int status = 0;
	if (pid < 0 || read(fds[0], &ms, sizeof ms) != (ssize_t)sizeof ms ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_load: measurement failed\n");
		exit(1);
	}
	close(fds[0]);
	return ms;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/bench/plugins";
	int runs = argc > 2 ? atoi(argv[2]) : 11;
	if (runs <= 0 || runs > 64) {
		fprintf(stderr, "usage: bench_load DIR [RUNS<=64]\n");
		return 2;
	}
	if (list_plugins(dir) <= 0) {
		fprintf(stderr, "bench_load: no plugins in %s (run `make bench`)\n", dir);
		return 1;
	}
	char base[] = "/tmp/paved-bench-load.XXXXXX";
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	double raw[64], cold[64], warm[64], store[64];
	in_child(RAW, dir, NULL);  /* untimed: pull the files into the page cache */
	for (int r = 0; r < runs; r++) {
		char *home = pv_asprintf("%s/home%d", base, r);
		raw[r] = in_child(RAW, dir, NULL);
		cold[r] = in_child(COLD, dir, home);
		warm[r] = in_child(WARM, dir, home);
		store[r] = in_child(STORE, dir, home);
		free(home);
	}
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	double mr = bench_median(raw, (size_t)runs), mc = bench_median(cold, (size_t)runs);
	double mw = bench_median(warm, (size_t)runs);
	double ms = bench_median(store, (size_t)runs);

	printf("bench_load: %d plugins from %s (median of %d runs, fresh process each)\n",
	       nfiles, dir, runs);
	printf("  raw lt_dlopenadvise+lt_dlsym        %7.2f ms  %6.3f ms/plugin\n",
	       mr, mr / nfiles);
	printf("  pv_load_plugins, cold (no cache)    %7.2f ms  %6.3f ms/plugin  "
	       "ratio %.2f  target <= 1.3: %s\n", mc, mc / nfiles, mc / mr,
	       mc / mr <= 1.3 ? "met" : "NOT MET");
	printf("  pv_load_plugins, warm (cached)      %7.2f ms  %6.3f ms/plugin  ratio %.2f\n",
	       mw, mw / nfiles, mw / mr);
	printf("  best runs: raw %.2f, cold %.2f (ratio %.2f), warm %.2f ms\n",
	       raw[0], cold[0], cold[0] / raw[0], warm[0]);
	printf("  of cold: writing the %d cache entries (one transaction)  %7.2f ms\n", nfiles, ms);
	return 0;
}
