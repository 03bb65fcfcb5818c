/*
 * bench_catalog_raw.c -- the floors the catalog benchmark compares paved
 * with: plain SQLite on the same paved.db, no host, no plugin.
 *
 *   bench_catalog_raw lookup DB REF   open DB, read one entity's JSON
 *   bench_catalog_raw rdeps DB REF    the recursive dependents query;
 *                                     prints the count and, on stderr,
 *                                     the query's own time in ms
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

static const char *const rdeps_sql =
	"WITH RECURSIVE r(id) AS (SELECT id FROM catalog_refs WHERE ref = ?1 UNION SELECT"
	" x.source FROM catalog_edges x JOIN r ON x.target = r.id WHERE x.type = 2)"
	" SELECT count(*) - 1 FROM r";

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct timespec a, b;
	if (argc != 4 || (strcmp(argv[1], "lookup") && strcmp(argv[1], "rdeps"))) {
		fprintf(stderr, "usage: %s lookup|rdeps DB REF\n", argv[0]);
		return 2;
	}
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[2], sqlite3_errmsg(db));
		return 1;
	}
	int rdeps = !strcmp(argv[1], "rdeps");
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (sqlite3_prepare_v2(db, rdeps ? rdeps_sql : "SELECT json FROM catalog_entities"
	                       " WHERE ref = ?1", -1, &st, NULL) != SQLITE_OK) {
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
