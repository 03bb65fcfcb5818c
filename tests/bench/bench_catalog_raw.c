/*
 * bench_catalog_raw.c -- the floors the catalog benchmark compares paved
 * with: plain SQLite on the same paved.db, no host, no plugin.
 *
 *   bench_catalog_raw lookup DB REF   open DB, read one entity's JSON
 *   bench_catalog_raw rdeps DB REF    the recursive dependents query;
 *                                     prints the count and, on stderr,
 *                                     the query's own time in ms
 *   bench_catalog_raw run N CMD...    median wall ms of N runs of CMD
 *                                     (posix_spawn, output to /dev/null):
 *                                     the process's own lifetime, without
 *                                     a shell's fork in the figure
 *   bench_catalog_raw insert DB N     the import floor: into a new
 *                                     DB (WAL), in one transaction, N
 *                                     entity rows (ref, kind, name, owner,
 *                                     lifecycle and the entity's JSON, as
 *                                     paved stores it) and 3N dependsOn
 *                                     rows; prints the time in ms
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sqlite3.h>

static const char *const rdeps_sql =
	"WITH RECURSIVE r(id) AS (SELECT id FROM catalog_refs WHERE ref = ?1 UNION SELECT"
	" x.source FROM catalog_edges x JOIN r ON x.target = r.id WHERE x.type = 2)"
	" SELECT count(*) - 1 FROM r";

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

/* N entities and 3N dependsOn rows in one transaction: what any importer
 * has to write at least.  The generator's shape (bench.sh) is kept: an
 * owner per entity, a description, a cost, three dependencies. */
static int insert(const char *path, long n)
{
	sqlite3 *db;
	sqlite3_stmt *ent, *rel;
	struct timespec a;
	char ref[64], name[32], owner[32], json[512];
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	                 "CREATE TABLE entities (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
	                 " kind TEXT, name TEXT, owner TEXT, lifecycle TEXT, json TEXT);"
	                 "CREATE TABLE relations (source INTEGER, type INTEGER, target INTEGER,"
	                 " PRIMARY KEY (source, type, target)) WITHOUT ROWID; BEGIN",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO entities VALUES (?1, ?2, 'component', ?3, ?4,"
	                       " 'production', ?5)", -1, &ent, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO relations VALUES (?1, 2, ?2)", -1, &rel,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof name, "c%ld", i);
		snprintf(ref, sizeof ref, "component:default/%s", name);
		snprintf(owner, sizeof owner, "group:default/team-%ld", i % 50);
		snprintf(json, sizeof json, "{\"apiVersion\":\"backstage.io/v1alpha1\","
		         "\"kind\":\"Component\",\"metadata\":{\"name\":\"%s\",\"description\":"
		         "\"generated component %ld\",\"annotations\":{\"paved.dev/cost-per-month\":"
		         "\"%ld\"}},\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
		         "\"owner\":\"team-%ld\",\"dependsOn\":[\"component:c%ld\",\"component:c%ld\","
		         "\"component:c%ld\"]}}", name, i, 100 + i % 900, i % 50, (i + 1) % n,
		         (i + 2) % n, (i + 3) % n);
		sqlite3_bind_int64(ent, 1, i + 1);
		sqlite3_bind_text(ent, 2, ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(ent, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ent, 4, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(ent, 5, json, -1, SQLITE_STATIC);
		if (sqlite3_step(ent) != SQLITE_DONE)
			break;
		sqlite3_reset(ent);
		for (long k = 1; k <= 3; k++) {
			sqlite3_bind_int64(rel, 1, i + 1);
			sqlite3_bind_int64(rel, 2, (i + k) % n + 1);
			if (sqlite3_step(rel) != SQLITE_DONE)
				break;
			sqlite3_reset(rel);
		}
	}
	sqlite3_finalize(ent);
	sqlite3_finalize(rel);
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	printf("%.0f\n", ms_since(&a));
	return rc == SQLITE_OK ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median wall time of N runs of ARGV (spawned directly, output dropped). */
static int run(long n, char **argv)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	double *ms = calloc((size_t)(n > 0 ? n : 1), sizeof *ms);
	if (n < 1 || !ms) {
		fprintf(stderr, "run: N must be at least 1\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (long i = 0; i < n; i++) {
		struct timespec a;
		pid_t pid;
		int status;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "run: %s failed\n", argv[0]);
			return 1;
		}
		ms[i] = ms_since(&a);
	}
	posix_spawn_file_actions_destroy(&fa);
	qsort(ms, (size_t)n, sizeof *ms, cmp_double);
	printf("%.1f\n", n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2);
	free(ms);
	return 0;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct timespec a, b;
	if (argc == 4 && !strcmp(argv[1], "insert"))
		return insert(argv[2], atol(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run(atol(argv[2]), argv + 3);
	if (argc != 4 || (strcmp(argv[1], "lookup") && strcmp(argv[1], "rdeps"))) {
		fprintf(stderr, "usage: %s lookup|rdeps DB REF | insert DB N | run N CMD...\n",
		        argv[0]);
		return 2;
	}
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[2], sqlite3_errmsg(db));
		return 1;
	}
	int rdeps = !strcmp(argv[1], "rdeps");
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (sqlite3_prepare_v2(db, rdeps ? rdeps_sql : "SELECT d.json FROM catalog_refs r JOIN"
	                       " catalog_documents d ON d.id = r.id WHERE r.ref = ?1", -1, &st,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, "%s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_text(st, 1, argv[3], -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && rdeps)
		printf("%d\n", sqlite3_column_int(st, 0));
	else if (rc == SQLITE_ROW)
		printf("%zu bytes\n", strlen((const char *)sqlite3_column_text(st, 0)));
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rdeps)
		fprintf(stderr, "%.2f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_ROW ? 0 : 1;
}
