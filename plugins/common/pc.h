/*
 * pc.h -- small helpers the bundled plugins share: formatted strings,
 * mkdir -p, rm -rf, calling a hook for its status alone, files, ports,
 * ISO-8601 times and command-line ages (pctime.c), starting a daemon that
 * outlives paved (pcdaemon.c), and the steps of a deploy (the deploy core
 * and its strategy drivers).  pcio.c, pctime.c and pcdaemon.c use no paved
 * API, so the plugins' helper programs (paved-logship, paved-metricsd,
 * paved-supervisor) link libpc.la too and pull in only those files.
 *
 * Not part of the SDK: a plugin sees only the ABI, so before this each
 * bundled plugin carried its own copy of these.  They are linked in as a
 * convenience library (plugins/common/libpc.la); out-of-tree plugins write
 * their own or use any library they like.
 *
 * HTTP is not here: the plugins that link libcurl share pchttp.h, in a
 * library of its own (libpchttp.la), so that linking libpc.la never pulls
 * libcurl into paved's process.
 */
#ifndef PAVED_PC_H
#define PAVED_PC_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <paved/plugin.h>

/* A malloc()ed formatted string, or NULL when out of memory. */
char *pc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pc_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Create PATH and its missing parents with MODE (before the umask); an
 * existing directory is fine.  0, or -1 with errno set. */
int pc_mkdir_p(const char *path, mode_t mode);

/* Remove PATH and everything below it, without following symbolic links;
 * a missing PATH is fine.  0, or -1 with errno set. */
int pc_rmtree(const char *path);

/* paved->call(), with *RESULT taken when RESULT is not NULL and dropped
 * otherwise; ERRMSG may be NULL too.  Returns what the call returned.
 * Uses the plugin's own `paved` table (PAVED_PLUGIN_INIT1). */
int pc_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result, char **errmsg);

/* Provide PREFIX.VERB for each of the NULL-terminated VERBS with FN, its
 * data the verb's index ((void *)(long)i): a driver's hooks in one call
 * ("provision.driver.redis-local" + create, update, ...). */
int pc_provide_verbs(paved_ctx *ctx, const char *prefix, const char *const *verbs,
                     paved_fn fn, char **errmsg);

/* A plugin's table of hooks, and of commands (`paved NAME`), without data. */
struct pc_hook { const char *hook; paved_fn fn; };
struct pc_cmd { const char *name, *summary; paved_fn fn; };

/* Provide each of the NHOOKS HOOKS and the NCMDS commands CMDS (either may
 * be NULL with 0): the first failure is returned, *ERRMSG set. */
int pc_provide_all(paved_ctx *ctx, const struct pc_hook *hooks, size_t nhooks,
                   const struct pc_cmd *cmds, size_t ncmds, char **errmsg);

/* "a, b, c": the keys of OBJ (malloc()ed; "" for none, NULL when out of
 * memory). */
char *pc_keys(json_t *obj);

/* Refuse a value: "resource 'NAME': FIELD: OLD -> NOW is not WHAT (LIST)"
 * when OLD is another value, else "resource 'NAME': FIELD 'NOW' is not
 * WHAT (LIST)".  Returns PAVED_ERR with *ERRMSG set. */
int pc_refuse(char **errmsg, const char *name, const char *field, const char *old,
              const char *now, const char *what, const char *list);

/* Log a warning for each params.KEY of resource RES that is not in KNOWN
 * (NULL-terminated): DRIVER ignores it (it may be meant for another env's
 * driver). */
void pc_unknown_params(paved_ctx *ctx, json_t *res, const char *driver,
                       const char *const *known);

/* ---- files ---------------------------------------------------------- */

/* The whole file PATH as a malloc()ed NUL-terminated string, or NULL with
 * errno set. */
char *pc_read_file(const char *path);

/* Write LEN bytes of DATA to PATH atomically: into a new file made by
 * mkstemp(3) beside PATH (O_EXCL: a file or link planted there is never
 * written through), given MODE, then renamed over PATH (a link at PATH is
 * replaced, not followed).  0, or -1 with errno set (nothing left behind). */
int pc_write_file(const char *path, const char *data, size_t len, mode_t mode);

/* The last non-empty line of TEXT (NULL: ""), malloc()ed; NULL when out
 * of memory. */
char *pc_last_line(const char *text);

/* ---- randomness and ports ----------------------------------------------- */

/* NBYTES (at most 64) random bytes from getrandom(2) as 2*NBYTES lowercase
 * hex digits and a NUL into OUT.  0, or -1 with errno set. */
int pc_random_hex(char *out, size_t nbytes);

/* A TCP port free on 127.0.0.1 now (bound and released), or -1 with errno. */
int pc_free_port(void);

/* True when something listens on, or holds, 127.0.0.1:PORT. */
bool pc_port_taken(int port);

/* ---- servers run for a home, as root ------------------------------------ */

/* When paved runs as root, a plugin runs its servers (PostgreSQL,
 * redis-server) as an unprivileged user, who cannot enter $PAVED_HOME.
 * Their files then live in /var/lib/paved/KIND-HASH, HASH of the home's
 * real path (so "/x/" and "/x" are one home).  That directory holds a file
 * "home" naming the home: the registry that finds it again when the home
 * is gone, and LINK (inside the home) points at it.
 *
 * pc_sysdir: the directory for HOME (malloc()ed), whether it exists or not.
 * pc_sysdir_make: create it (0700, owned by UID:GID), register HOME in it
 * and point LINK at it.  0, or -1 with errno set.
 * pc_sysdir_find: the existing directory of HOME, malloc()ed, or NULL:
 * where LINK points, else KIND-HASH, else a registered one naming HOME
 * (as typed or as its real path), else KIND-HASH of HOME as typed (how
 * earlier versions named it). */
char *pc_sysdir(const char *kind, const char *home);
int   pc_sysdir_make(const char *dir, const char *home, const char *link, uid_t uid, gid_t gid);
char *pc_sysdir_find(const char *kind, const char *home, const char *link);

/* ---- times (pctime.c; no paved API) ------------------------------------ */

/* "2025-01-31T12:00:00.250Z" (exactly that form: UTC, milliseconds, as
 * paved's logs write it) as milliseconds since the epoch; -1 for NULL or
 * anything else. */
long long pc_parse_time_ms(const char *s);

/* MS (milliseconds since the epoch, >= 0) in that form, into BUF; and the
 * current time so (what the host's own pv_now_iso writes). */
void pc_format_time_ms(long long ms, char buf[32]);
void pc_now_iso(char buf[32]);

/* An age typed on a command line ("30s", "10m", "2h", "1d"; a bare number
 * is seconds; fractions such as "1.5h" too) in seconds; -1 for NULL,
 * a negative or non-finite number, or another unit.  The caller checks
 * its own range. */
double pc_parse_age(const char *s);

/* ---- daemons that outlive paved (pcdaemon.c; no paved API) ------------- */

/* Start a daemon (paved-logship, paved-metricsd, paved-supervisor): fork,
 * start a new session, fork again, and in the grandchild set NOTIFY_VAR to
 * the number of the write end of a pipe, putenv(3) each of ENV
 * (NULL-terminated "NAME=VALUE" strings, may be NULL) and
 * execv("/proc/self/exe", ARGV) -- this program again, ARGV[0] its title.
 * Then read what the daemon tells (pc_daemon_notify) until the pipe closes.
 * 0 when it said "ok ..." or "busy ..." (it runs, or one already did);
 * else 1 with MSG (SIZE bytes) holding what it said (a line), "" when it
 * exited without a word, or "pipe: ...\n" / "fork: ...\n". */
int pc_daemon_spawn(char *const argv[], const char *notify_var, char *const env[], char *msg,
                    size_t size);

/* In the daemon: the write end of the pc_daemon_spawn pipe (NOTIFY_VAR's
 * number), or -1 when it is not set. */
int pc_daemon_notify_fd(const char *notify_var);

/* In the daemon: write FMT... ("ok PID\n", "busy PID\n" or the reason it
 * cannot run) to the pc_daemon_spawn pipe, close it and unset NOTIFY_VAR:
 * once.  Nothing when NOTIFY_VAR is not set. */
void pc_daemon_notify(const char *notify_var, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* In the daemon: stdin from /dev/null, stdout and stderr appended to LOG
 * (created with MODE, never through a symbolic link), and every other
 * descriptor below 1024 closed but the NKEEP of KEEP.  0; or, when LOG
 * cannot be opened, stdout and stderr go to /dev/null and -1 is returned
 * with errno set. */
int pc_daemon_stdio(const char *log, mode_t mode, const int *keep, size_t nkeep);

/* ---- the steps of a deploy (the deploy core and its strategy drivers) --- */

/* Seconds on the monotonic clock (for durations). */
double pc_now(void);

/* One step of a deploy: append {"seconds": now - T0, "step": TEXT} to the
 * array STEPS and emit deploy.step with FIELDS (borrowed, may be NULL)
 * plus "step": TEXT. */
void pc_step(paved_ctx *ctx, json_t *steps, double t0, json_t *fields, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Call runtime HOOK ("runtime.enable", ...) for replica ID (a JSON string)
 * of SVC in ENV, with EXTRA's fields added (borrowed, may be NULL); the
 * result is dropped.  Returns what the call returned. */
int pc_replica_call(paved_ctx *ctx, const char *hook, const char *svc, const char *env, json_t *id,
                    json_t *extra, char **errmsg);

#endif /* PAVED_PC_H */
