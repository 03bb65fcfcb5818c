/*
 * bench_provision.c -- what provisioning a PostgreSQL database costs, and
 * what `paved apply` of an unchanged platform.yaml costs.
 *
 *   floor     CREATE ROLE + CREATE DATABASE over one open libpq connection
 *             (as superuser of the same cluster), in the same run
 *   hook      provision.resource through the host, in process (the
 *             driver's connection stays open between calls): driver +
 *             journal + secret file + record + events
 *   command   `paved provision postgres NAME`: a whole process (start-up,
 *             plugin load, a new authenticated connection, then the above)
 *   apply     `paved apply` of a platform.yaml whose resources all exist
 *
 * Runs on a paved-owned cluster in a temporary PAVED_HOME (created,
 * started and finally stopped and removed here).  PostgreSQL refuses to
 * run as root: run it as an ordinary user (`make bench-provision` does).
 * Usage: bench_provision [RUNS]   (default 15 of each, interleaved)
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "host.h"

extern char **environ;
static char tmp[256], home[300];

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(p);
}

static char *slurp(const char *fmt, const char *a)
{
	char p[1024];
	snprintf(p, sizeof p, fmt, a);
	FILE *f = fopen(p, "r");
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];
	if (!f || !fgets(b, 256, f)) {
		fprintf(stderr, "bench_provision: cannot read %s\n", p);
		exit(1);
	}
	fclose(f);
	b[strcspn(b, "\n")] = '\0';
	return b;
}

/* Run paved with ARGS (NULL-terminated); milliseconds, or -1. */
static double run_paved(const char *const *args)
{
	const char *argv[16] = { PV_TEST_BUILDDIR "/host/paved", "-q" };
	size_t n = 2;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int st;
	double t0 = bench_now_ns();
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ))
		return -1;
	waitpid(pid, &st, 0);
	double ms = (bench_now_ns() - t0) / 1e6;
	posix_spawn_file_actions_destroy(&fa);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? ms : -1;
}

static void sql(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_provision: %s: %s", q, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

static int call(pv_host *h, const char *hook, json_t *args)
{
	json_t *r = NULL;
	char *e = NULL;
	int rc = pv_call(h, hook, args, &r, &e);
	if (rc)
		fprintf(stderr, "bench_provision: %s: %s\n", hook, e);
	json_decref(args);
	json_decref(r);
	free(e);
	return rc;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 15;
	if (runs < 3)
		runs = 3;
	if (geteuid() == 0) {
		fprintf(stderr, "bench_provision: PostgreSQL refuses to run as root; run as an "
		        "ordinary user (make bench-provision uses runuser -u postgres)\n");
		return 77;
	}
	snprintf(tmp, sizeof tmp, "%s/paved-bench-prov-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(home, sizeof home, "%s/home", tmp);
	setenv("PAVED_HOME", home, 1);
	unsetenv("PAVED_PLUGIN_PATH");

	struct pv_host_opts o = { .home = home };
	pv_host *h = NULL;
	char *err = NULL;
	int code;
	if (pv_host_open(&o, &h, &err, &code)) {
		fprintf(stderr, "bench_provision: %s\n", err);
		return 1;
	}
	double t0 = bench_now_ns();
	if (call(h, "provision.resource", json_pack("{ss ss}", "type", "postgres", "name", "warmup")))
		return 1;
	printf("cluster created and started on demand: %.0f ms (initdb + pg_ctl start, once)\n",
	       (bench_now_ns() - t0) / 1e6);

	/* the floor's own superuser connection to the same cluster */
	const char *k[] = { "host", "port", "user", "password", "dbname", "sslmode", NULL };
	const char *v[] = { "127.0.0.1", slurp("%s/provision/postgres/port", home), "paved",
	                    slurp("%s/provision/postgres/superuser-password", home), "postgres", "disable", NULL };
	PGconn *c = PQconnectdbParams(k, v, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_provision: %s", PQerrorMessage(c));
		return 1;
	}
	double *floor_ms = calloc((size_t)runs, sizeof(double));
	double *hook_ms = calloc((size_t)runs, sizeof(double));
	double *cmd_ms = calloc((size_t)runs, sizeof(double));
	double *apply_ms = calloc((size_t)runs, sizeof(double));
	char q[256], name[64];
	for (int i = 0; i < runs; i++) {
		t0 = bench_now_ns();
		snprintf(q, sizeof q, "CREATE ROLE \"floor-%d\" LOGIN PASSWORD 'x%08d'", i, i);
		sql(c, q);
		snprintf(q, sizeof q, "CREATE DATABASE \"floor-%d\" OWNER \"floor-%d\"", i, i);
		sql(c, q);
		floor_ms[i] = (bench_now_ns() - t0) / 1e6;

		snprintf(name, sizeof name, "hook-%d", i);
		t0 = bench_now_ns();
		if (call(h, "provision.resource", json_pack("{ss ss}", "type", "postgres", "name", name)))
			return 1;
		hook_ms[i] = (bench_now_ns() - t0) / 1e6;

		snprintf(name, sizeof name, "cmd-%d", i);
		cmd_ms[i] = run_paved((const char *[]){ "provision", "postgres", name, NULL });
		if (cmd_ms[i] < 0)
			return fprintf(stderr, "bench_provision: paved provision failed\n"), 1;
	}
	/* apply of an unchanged platform.yaml */
	char yaml[400];
	snprintf(yaml, sizeof yaml, "%s/platform.yaml", tmp);
	FILE *f = fopen(yaml, "w");
	fputs("service: bench\nresources:\n  db: {type: postgres, class: small}\n", f);
	fclose(f);
	if (run_paved((const char *[]){ "apply", yaml, NULL }) < 0)
		return fprintf(stderr, "bench_provision: paved apply failed\n"), 1;
	for (int i = 0; i < runs; i++)
		apply_ms[i] = run_paved((const char *[]){ "apply", yaml, NULL });

	double fl = bench_median(floor_ms, (size_t)runs), hk = bench_median(hook_ms, (size_t)runs);
	double cm = bench_median(cmd_ms, (size_t)runs), ap = bench_median(apply_ms, (size_t)runs);
	printf("medians of %d interleaved runs:\n", runs);
	printf("  floor: CREATE ROLE + CREATE DATABASE, one libpq connection  %7.1f ms\n", fl);
	printf("  provision.resource hook (in process)                        %7.1f ms  ratio %.2f (target <= 1.5)\n", hk, hk / fl);
	printf("  paved provision postgres NAME (whole process)               %7.1f ms  ratio %.2f\n", cm, cm / fl);
	printf("  paved apply, platform.yaml unchanged                        %7.1f ms  (target < 20)\n", ap);

	PQfinish(c);
	call(h, "resources.stop", NULL);
	pv_host_close(h);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(floor_ms), free(hook_ms), free(cmd_ms), free(apply_ms);
	return 0;
}
