/*
 * logfile.h -- replica logs: JSON lines, size-capped with rotation, and
 * reading them back merged by time (prefix rl_).
 *
 * paved-supervisor writes each line a replica prints as one JSON object:
 *   {"time": "2025-01-31T12:00:00.123Z", "seq": 42, "replica": "r1",
 *    "version": "v1", "stream": "stdout", "line": "..."}
 * time is RFC 3339 UTC with milliseconds; seq counts the lines of one
 * replica's log (1, 2, ...) across rotations and supervisor restarts, so a
 * reader can resume after the last line it saw.  stream is stdout, stderr
 * or supervisor (the supervisor's own notes: started, exited, restarting).
 * The file is RUNTIME_DIR/logs/ID.log (0600); past MAX bytes it becomes
 * ID.log.1 (ID.log.1 becomes ID.log.2, ... up to KEEP files).  A rotated
 * file holding lines past the log shipper's checkpoint ID.shipped (the
 * seq of the last line it shipped; plugins/logs writes it) is kept beyond
 * KEEP, up to RL_UNSHIPPED_MAX more files.
 */
#ifndef RT_LOGFILE_H
#define RT_LOGFILE_H

#include <stddef.h>
#include <jansson.h>

/* Longest line kept whole; a longer one is split. */
#define RL_LINE_MAX 16384
/* Rotated files kept beyond KEEP while the log shipper has not shipped them. */
#define RL_UNSHIPPED_MAX 100

/* One replica's log, open for appending. */
struct rl_writer {
	int                fd;      /* -1 when closed */
	char              *path;
	long long          size, max;
	int                keep;
	unsigned long long seq;     /* the last seq written */
};

/* The current time (seconds since the epoch) and its RFC 3339 form
 * (UTC, milliseconds: 24 characters) in BUF. */
double rl_now(void);
void   rl_time(double t, char buf[32]);
/* RFC 3339 (as written above) to seconds since the epoch; -1 when bad. */
double rl_parse_time(const char *s);

/* Open PATH for appending (0600), rotating past MAX bytes (<= 0: 1 MiB)
 * into at most KEEP (<= 0: 3) older files; seq continues from the last
 * line found.  0, or -1 with errno set. */
int  rl_open(struct rl_writer *w, const char *path, long long max, int keep);
/* Append one line of TEXT (LEN bytes, no newline; invalid UTF-8 is
 * replaced) from STREAM of replica ID at VERSION.  0, or -1. */
int  rl_write(struct rl_writer *w, const char *id, const char *version,
              const char *stream, const char *text, size_t len);
void rl_close(struct rl_writer *w);

/* The lines of every replica log in DIR (rotated files included), merged
 * by time: those at or after SINCE (seconds since the epoch; 0: all),
 * after CURSOR (NULL: from the start), the last TAIL of them (< 0: all).
 * *OUT (new) is {"lines": [{time, replica, version, stream, line}],
 * "cursor": CURSOR'} where CURSOR' resumes after the newest line of every
 * log.  0, or -1 with *ERRMSG (malloc()ed) for a malformed cursor. */
int rl_collect(const char *dir, double since, const char *cursor, long tail,
               json_t **out, char **errmsg);

#endif
