/*
 * ship.h -- the shipper's core (prefix ls_): replica log files of a home
 * to Loki, each line once and in order.  Used by paved-logship (and its
 * benchmark); uses no paved API.
 *
 * The runtime's log files are the buffer.  For each replica log
 * RUNTIME/ENV/SERVICE/logs/ID.log (rotated into ID.log.1, ID.log.2, ...;
 * JSON lines with a seq that counts the replica's lines across rotations,
 * see plugins/runtime/process/logfile.h) the shipper keeps a checkpoint,
 * logs/ID.shipped: the seq of the last line Loki accepted, written (atomic
 * rename) only after Loki answered 2xx to the batch that held it.  The
 * runtime's rotation reads that file and keeps every rotated file that
 * still holds a line past the checkpoint, so a line is never rotated away
 * before it was shipped (up to a hard cap, see logfile.c).
 *
 * A line becomes one Loki entry in the stream {service, env, version,
 * replica, stream}, at the line's time (milliseconds) plus seq mod 10^6
 * nanoseconds: entries of one replica are unique (Loki drops an entry
 * whose stream, time and text repeat one it has) and keep their order.
 */
#ifndef LOGS_SHIP_H
#define LOGS_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One replica log being shipped. */
struct ls_source {
	char  *dir;                    /* .../runtime/ENV/SERVICE/logs */
	char  *env, *service, *id;
	int    fd;                     /* the file being read, or -1 */
	ino_t  ino;
	off_t  off;                    /* first byte not yet accepted by Loki */
	unsigned long long seq;        /* last seq Loki accepted (the checkpoint) */
	off_t  pend_off;               /* the same, counting the batch in flight */
	unsigned long long pend_seq;
	int    pend_fd;                /* a file switched to during the batch */
	ino_t  pend_ino;
	bool   present;                /* found by the last scan */
};

/* What the shipper did so far. */
struct ls_stats {
	unsigned long long shipped, batches, failures, rejected, gaps;
	char last_error[300];
	double last_ok;                /* unix time of the last accepted batch */
};

struct ls_shipper {
	char              *runtime;    /* $PAVED_HOME/runtime */
	struct ls_source  *src;
	size_t             n, cap;
	size_t             max_lines, max_bytes;
	struct ls_stats    stats;
};

/* Start a shipper over HOME's runtime directory.  0, or -1 (errno). */
int  ls_init(struct ls_shipper *sh, const char *home);
void ls_free(struct ls_shipper *sh);

/* Find the replica logs under the runtime directory (new ones are added,
 * those whose directory is gone dropped). */
void ls_scan(struct ls_shipper *sh);

/* One round: scan, read the lines after every checkpoint (at most
 * max_lines / max_bytes), POST them to URL/loki/api/v1/push (TENANT, when
 * not NULL, as X-Scope-OrgID; TIMEOUT_MS for the whole request) and, when
 * Loki answers 2xx, advance the checkpoints.  Returns the number of lines
 * shipped (0: nothing new), or -1 when Loki did not take the batch
 * (stats.last_error says why; nothing advanced, the same lines go in the
 * next round).  A 4xx answer other than 429 refuses the batch for good:
 * it is logged to stderr, counted in stats.rejected and skipped, so one
 * bad batch cannot stop the shipping. */
long ls_round(struct ls_shipper *sh, const char *url, const char *tenant, long timeout_ms);

/* The JSON text of a push request made of the lines in BUF (LEN bytes of
 * log-file JSON lines, complete lines only) of replica ID of SERVICE in
 * ENV: a malloc()ed string, or NULL.  *COUNT is how many lines it holds.
 * For tests and the benchmark. */
char *ls_push_body(const char *env, const char *service, const char *buf, size_t len,
                   size_t *count);

/* The checkpoint of replica ID in DIR (0 when none); write one. */
unsigned long long ls_checkpoint(const char *dir, const char *id);
int  ls_checkpoint_write(const char *dir, const char *id, unsigned long long seq);

#endif
