/*
 * fuzz_util.h -- what the libFuzzer targets in tests/fuzz share (prefix
 * fz_): a private temporary directory, files written into it, an input
 * cut into parts.  Plain C over libc: each target links it beside the
 * code it fuzzes.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The target's own directory, made on first use under $TMPDIR (else /tmp)
 * and removed, with all it holds, when the process exits normally (the
 * runner removes $TMPDIR itself after a crash).  Aborts when it cannot be
 * made: a target that cannot work is not a passing one. */
const char *fz_tmpdir(void);

/* "TMPDIR/NAME" in the target's directory, malloc()ed; aborts on OOM. */
char *fz_path(const char *name);

/* Make the directory "TMPDIR/NAME" (mode 0700); its path, malloc()ed.
 * Aborts when it cannot. */
char *fz_mkdir(const char *name);

/* Make the file PATH hold LEN bytes of DATA (mode 0600).  Aborts when
 * it cannot (the disk is the harness's, not the code under test's). */
void fz_write(const char *path, const void *data, size_t len);

/* rm -rf PATH (quiet when it does not exist). */
void fz_rmtree(const char *path);

/* One part of an input: DATA[0..LEN), and a NUL-terminated copy. */
struct fz_part {
	const uint8_t *data;
	size_t         len;
	char          *str;   /* malloc()ed copy; freed by fz_parts_free */
};

/* Cut DATA at each SEP byte into at most MAX parts (the last part takes
 * the rest, separators included).  Returns how many (at least 1). */
size_t fz_split(const uint8_t *data, size_t size, uint8_t sep, struct fz_part *parts,
                size_t max);
void fz_parts_free(struct fz_part *parts, size_t n);

/* Whether the JSON value V holds no cycle (a container inside itself).
 * Linear in the distinct values, however often they are shared: jansson
 * values may sit in several containers (YAML aliases), and json_dumps
 * would expand them. */
struct json_t;
bool fz_acyclic(struct json_t *v);

/* Whether NAME is among the known bugs run.sh names in $FUZZ_KNOWN (from
 * tests/fuzz/known-bugs): a target then steps around that bug, so a
 * standing run still finds everything else.  Run by hand, a target steps
 * around nothing. */
bool fz_known(const char *name);

/* Whether DATA holds a YAML or JSON escape of a NUL character ("\0",
 * "\x00", "\u0000", "\U00000000"): a string with a NUL in it. */
bool fz_nul_escape(const uint8_t *data, size_t size);

/* Abort with "fuzz oracle: MESSAGE" on stderr: a broken promise of the
 * code under test that no sanitizer sees (libFuzzer reports the crash
 * and saves the input). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
